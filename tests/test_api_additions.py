"""The jax.numpy / jax.nn names added for drop-in compatibility: values against
numpy or closed forms, JAX's edge cases (NaN handling, ties, all-NaN slices),
derivatives against finite differences, vmap against a loop, jit against eager,
and the errors for bad axes and shapes."""
import math
import warnings

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import nn
from helpers import check_grads, check_vmap, check_jit

RNG = np.random.default_rng(7)
SHAPES = [(5,), (2, 3)]
FLOATS = [np.float32, np.float64]


def _normal(shape, dtype=np.float64):
    return RNG.normal(size=shape).astype(dtype)


def _tol(dtype):
    return dict(rtol=2e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)


def _with_nans(shape, dtype=np.float64, frac=0.3):
    """Normal samples with about ``frac`` NaNs, but no slice along any axis all NaN."""
    x = _normal(shape, dtype)
    mask = RNG.random(shape) < frac
    mask.flat[0] = False
    x[mask] = np.nan
    x[(0,) * (len(shape) - 1)] = _normal(shape[-1:], dtype)    # one clean row
    for ax in range(len(shape)):
        idx = [slice(None)] * len(shape)
        idx[ax] = 0
        clean = _normal(shape[:ax] + shape[ax + 1:], dtype)
        x[tuple(idx)] = np.where(np.isnan(x[tuple(idx)]), clean, x[tuple(idx)])
    return x


# ------------------------------------------------------- elementwise vs numpy

def _unit(x):
    return np.tanh(x) * 0.9          # inside (-1, 1)


def _above_one(x):
    return 1.0 + np.abs(x) + 0.1


UNARY = [
    ("acos", jnp.acos, np.arccos, _unit),
    ("asin", jnp.asin, np.arcsin, _unit),
    ("atan", jnp.atan, np.arctan, None),
    ("acosh", jnp.acosh, np.arccosh, _above_one),
    ("asinh", jnp.asinh, np.arcsinh, None),
    ("atanh", jnp.atanh, np.arctanh, _unit),
    ("sinc", jnp.sinc, np.sinc, None),
    ("real", jnp.real, np.real, None),
    ("imag", jnp.imag, np.imag, None),
    ("conj", jnp.conj, np.conj, None),
    ("conjugate", jnp.conjugate, np.conjugate, None),
]


@pytest.mark.parametrize("name,f,ref,domain", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_unary_vs_numpy(name, f, ref, domain, shape, dtype):
    x = _normal(shape)
    x = (domain(x) if domain else x).astype(dtype)
    out = f(x)
    assert out.dtype == dtype and out.shape == shape
    np.testing.assert_allclose(out, ref(x), **_tol(dtype))


def _positive(x):
    return np.abs(x) + 0.5


BINARY = [
    ("atan2", jnp.atan2, np.arctan2, None),
    ("pow", jnp.pow, np.power, _positive),
    ("fmax", jnp.fmax, np.fmax, None),
    ("fmin", jnp.fmin, np.fmin, None),
    ("copysign", jnp.copysign, np.copysign, None),
    ("heaviside", jnp.heaviside, np.heaviside, None),
]


@pytest.mark.parametrize("name,f,ref,domain", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_vs_numpy(name, f, ref, domain, shape, dtype):
    x1 = _normal(shape)
    x1 = (domain(x1) if domain else x1).astype(dtype)
    x2 = _normal(shape[-1:], dtype)        # broadcasts against x1
    if name == "heaviside":
        x1[..., 0] = 0.0                   # where x2 is used
    out = f(x1, x2)
    assert out.dtype == dtype and out.shape == shape
    np.testing.assert_allclose(out, ref(x1, x2), **_tol(dtype))


def test_fmax_fmin_ignore_nan():
    a = np.array([np.nan, 1.0, np.nan, 2.0, -0.5])
    b = np.array([3.0, np.nan, np.nan, 2.0, 4.0])
    np.testing.assert_array_equal(jnp.fmax(a, b), np.fmax(a, b))
    np.testing.assert_array_equal(jnp.fmin(a, b), np.fmin(a, b))
    # whereas maximum propagates NaN
    assert np.isnan(jnp.maximum(a, b)[0])


def test_fmax_dtypes_follow_promotion():
    i = np.array([1, 5, -3], np.int32)
    assert jnp.fmax(i, 2).dtype == np.int32
    np.testing.assert_array_equal(jnp.fmax(i, 2), [2, 5, 2])
    assert jnp.fmin(i, 2.5).dtype == np.float32


def test_copysign_uses_the_sign_bit_and_computes_in_float():
    out = jnp.copysign(np.array([1.0, 2.0, 3.0, 4.0]), np.array([-0.0, 0.0, -np.inf, np.inf]))
    np.testing.assert_array_equal(out, [-1.0, 2.0, -3.0, 4.0])
    i = jnp.copysign(np.array([3, -4], np.int32), np.array([-1, 1], np.int32))
    assert i.dtype == np.float32
    np.testing.assert_array_equal(i, [-3.0, 4.0])


def test_heaviside_int_inputs_promote_to_float():
    out = jnp.heaviside(np.array([-2, 0, 3], np.int32), 0.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.heaviside([-2.0, 0.0, 3.0], 0.5))


def test_heaviside_of_nan_is_x2_as_in_jax():
    # JAX's definition is where(x1 < 0, 0, where(x1 > 0, 1, x2)): NaN is neither
    # side, so it gets x2 (numpy returns NaN here).
    np.testing.assert_array_equal(jnp.heaviside(np.array([np.nan, -1.0]), 0.25), [0.25, 0.0])


def test_sinc_limit_and_integer_zeros():
    x = np.array([0.0, 1.0, -2.0, 3.0, 0.5])
    np.testing.assert_allclose(jnp.sinc(x), [1.0, 0.0, 0.0, 0.0, 2 / np.pi], atol=1e-15)
    assert jnp.sinc(np.array([0, 1], np.int32)).dtype == np.float32


def test_sinc_derivatives_at_zero_match_taylor_series():
    # sinc(x) = 1 - (pi x)^2 / 6 + (pi x)^4 / 120 - ...
    d1 = jaxlite.grad(jnp.sinc)
    d2 = jaxlite.grad(d1)
    d3 = jaxlite.grad(d2)
    d4 = jaxlite.grad(d3)
    zero = np.float64(0.0)
    assert float(d1(zero)) == 0.0
    np.testing.assert_allclose(float(d2(zero)), -np.pi ** 2 / 3, rtol=1e-12)
    assert float(d3(zero)) == 0.0
    np.testing.assert_allclose(float(d4(zero)), np.pi ** 4 / 5, rtol=1e-12)


def test_real_imag_conj_of_real_inputs():
    x = np.array([[1, -2], [3, 4]], np.int32)
    np.testing.assert_array_equal(jnp.real(x), x)
    np.testing.assert_array_equal(jnp.conj(x), x)
    im = jnp.imag(x)
    assert im.dtype == np.int32 and im.shape == (2, 2)
    np.testing.assert_array_equal(im, np.zeros((2, 2)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_isposinf_isneginf(dtype):
    x = np.array([np.inf, -np.inf, np.nan, 0.0, 1e30], dtype)
    np.testing.assert_array_equal(jnp.isposinf(x), np.isposinf(x))
    np.testing.assert_array_equal(jnp.isneginf(x), np.isneginf(x))
    i = np.array([1, -1], np.int32)
    np.testing.assert_array_equal(jnp.isposinf(i), [False, False])
    np.testing.assert_array_equal(jnp.isneginf(i), [False, False])


def test_nan_to_num_vs_numpy():
    x = np.array([np.nan, np.inf, -np.inf, 1.5])
    np.testing.assert_array_equal(jnp.nan_to_num(x), np.nan_to_num(x))
    np.testing.assert_array_equal(jnp.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0),
                                  np.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0))


# --------------------------------------------------------------------- select

def test_select_first_true_condition_wins():
    x = np.arange(-4.0, 5.0)
    conds = [x < -1, x > 2, x < 0]          # the first and third overlap
    choices = [-x, x ** 2, 100 + x]
    np.testing.assert_array_equal(jnp.select(conds, choices, 42.0),
                                  np.select(conds, choices, 42.0))
    np.testing.assert_array_equal(jnp.select(conds, choices), np.select(conds, choices))


def test_select_broadcasts_and_promotes():
    c = np.array([[True], [False]])
    out = jnp.select([c], [np.arange(3, dtype=np.int32)], default=0.5)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    np.testing.assert_array_equal(out, np.select([c], [np.arange(3)], 0.5))


def test_select_errors():
    with pytest.raises(ValueError, match="same length"):
        jnp.select([np.array([True])], [np.array([1.0]), np.array([2.0])])
    with pytest.raises(ValueError, match="empty"):
        jnp.select([], [])
    with pytest.raises(TypeError, match="entry 0"):
        jnp.select([np.array([1, 0])], [np.array([1.0, 2.0])])


# ------------------------------------------------------ NaN-ignoring reductions

NAN_REDUCTIONS = [
    ("nansum", jnp.nansum, np.nansum),
    ("nanprod", jnp.nanprod, np.nanprod),
    ("nanmean", jnp.nanmean, np.nanmean),
    ("nanmax", jnp.nanmax, np.nanmax),
    ("nanmin", jnp.nanmin, np.nanmin),
    ("nanvar", jnp.nanvar, np.nanvar),
    ("nanstd", jnp.nanstd, np.nanstd),
]


@pytest.mark.parametrize("name,f,ref", NAN_REDUCTIONS, ids=[r[0] for r in NAN_REDUCTIONS])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
def test_nan_reductions_vs_numpy(name, f, ref, axis, keepdims, dtype):
    x = _with_nans((3, 4, 2), dtype)
    out = f(x, axis=axis, keepdims=keepdims)
    expected = ref(x, axis=axis, keepdims=keepdims)
    assert out.dtype == dtype and out.shape == np.shape(expected)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(out, expected, **tol)


@pytest.mark.parametrize("name,f,ref", [("nanargmax", jnp.nanargmax, np.nanargmax),
                                        ("nanargmin", jnp.nanargmin, np.nanargmin)])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
def test_nanargs_vs_numpy(name, f, ref, axis, keepdims, dtype):
    x = _with_nans((3, 4, 2), dtype)
    out = f(x, axis=axis, keepdims=keepdims)
    expected = ref(x, axis=axis, keepdims=keepdims)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, expected)


@pytest.mark.filterwarnings("ignore:Degrees of freedom")
def test_nanvar_ddof_vs_numpy():
    x = _with_nans((4, 5))
    np.testing.assert_allclose(jnp.nanvar(x, axis=1, ddof=1), np.nanvar(x, axis=1, ddof=1),
                               rtol=1e-12)
    np.testing.assert_allclose(jnp.nanstd(x, axis=0, ddof=1), np.nanstd(x, axis=0, ddof=1),
                               rtol=1e-12)


def test_nan_reductions_of_all_nan_slices():
    # numpy warns (or raises for nanarg*); JAX: nan for the statistics, -1 for the indices.
    x = np.array([[np.nan, np.nan, np.nan], [1.0, np.nan, 3.0]])
    np.testing.assert_array_equal(jnp.nansum(x, axis=1), [0.0, 4.0])
    np.testing.assert_array_equal(jnp.nanprod(x, axis=1), [1.0, 3.0])
    np.testing.assert_array_equal(jnp.nanmean(x, axis=1), [np.nan, 2.0])
    np.testing.assert_array_equal(jnp.nanmax(x, axis=1), [np.nan, 3.0])
    np.testing.assert_array_equal(jnp.nanmin(x, axis=1), [np.nan, 1.0])
    np.testing.assert_array_equal(jnp.nanvar(x, axis=1), [np.nan, 1.0])
    np.testing.assert_array_equal(jnp.nanargmax(x, axis=1), [-1, 2])
    np.testing.assert_array_equal(jnp.nanargmin(x, axis=1), [-1, 0])
    assert int(jnp.nanargmax(np.full(4, np.nan))) == -1
    # a single non-NaN element has no degrees of freedom left with ddof=1
    np.testing.assert_array_equal(jnp.nanvar(x, axis=1, ddof=2), [np.nan, np.nan])


def test_nanargs_ties_pick_the_first():
    x = np.array([1.0, 3.0, np.nan, 3.0, -2.0, -2.0])
    assert int(jnp.nanargmax(x)) == np.nanargmax(x) == 1
    assert int(jnp.nanargmin(x)) == np.nanargmin(x) == 4


def test_nan_reductions_of_ints_match_plain_reductions():
    x = np.array([[1, 5, -2], [4, 0, 7]], np.int32)
    assert jnp.nansum(x).dtype == np.int32 and int(jnp.nansum(x)) == x.sum()
    assert jnp.nanmean(x, axis=0).dtype == np.float32
    np.testing.assert_allclose(jnp.nanmean(x, axis=0), x.mean(axis=0))
    np.testing.assert_array_equal(jnp.nanmax(x, axis=1), x.max(axis=1))
    np.testing.assert_array_equal(jnp.nanargmin(x, axis=1), x.argmin(axis=1))


def test_nan_reductions_with_where_and_initial():
    x = np.array([[1.0, np.nan, 3.0], [np.nan, 5.0, -1.0]])
    where = np.array([[True, True, False], [True, True, True]])
    np.testing.assert_allclose(jnp.nansum(x, axis=1, where=where),
                               np.nansum(x, axis=1, where=where))
    np.testing.assert_allclose(jnp.nanmean(x, axis=1, where=where),
                               np.nanmean(x, axis=1, where=where))
    np.testing.assert_allclose(jnp.nanmax(x, axis=1, initial=4.0),
                               np.nanmax(x, axis=1, initial=4.0))


def test_nan_reduction_grads_skip_nans():
    x = np.array([1.0, np.nan, 3.0, 2.0])
    np.testing.assert_array_equal(jaxlite.grad(jnp.nansum)(x), [1, 0, 1, 1])
    np.testing.assert_allclose(jaxlite.grad(jnp.nanmean)(x), [1 / 3, 0, 1 / 3, 1 / 3])
    np.testing.assert_array_equal(jaxlite.grad(jnp.nanmax)(x), [0, 0, 1, 0])
    np.testing.assert_array_equal(jaxlite.grad(jnp.nanmin)(x), [1, 0, 0, 0])
    np.testing.assert_allclose(jaxlite.grad(jnp.nanprod)(x), [6, 0, 2, 3])
    # d var / d x_i = 2 (x_i - mean) / n over the non-NaN entries
    np.testing.assert_allclose(jaxlite.grad(jnp.nanvar)(x), [-2 / 3, 0, 2 / 3, 0], atol=1e-15)


# -------------------------------------------------- cumulative_sum / _prod

@pytest.mark.parametrize("name", ["cumulative_sum", "cumulative_prod"])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("include_initial", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_cumulative_vs_numpy(name, axis, include_initial, dtype):
    x = (RNG.integers(-3, 4, size=(3, 4)) if dtype == np.int32
         else _normal((3, 4))).astype(dtype)
    out = getattr(jnp, name)(x, axis=axis, include_initial=include_initial)
    expected = getattr(np, name)(x, axis=axis, include_initial=include_initial)
    assert out.dtype == dtype and out.shape == expected.shape
    np.testing.assert_allclose(out, expected, **_tol(dtype))


def test_cumulative_defaults():
    v = np.array([1, 2, 3], np.int32)
    np.testing.assert_array_equal(jnp.cumulative_sum(v), np.cumulative_sum(v))
    b = jnp.cumulative_sum(np.array([True, False, True]), include_initial=True)
    assert b.dtype == np.int32
    np.testing.assert_array_equal(b, [0, 1, 1, 2])
    np.testing.assert_allclose(jnp.cumulative_prod(np.array([2.0, 3.0]), dtype=np.float64),
                               [2.0, 6.0])
    with pytest.raises(ValueError, match="axis must be given for an array of rank 2"):
        jnp.cumulative_sum(np.ones((2, 2)))


# ---------------------------------------------------------- shape functions

def test_concat_permute_dims_matrix_transpose_vs_numpy():
    a, b = _normal((2, 3)), _normal((2, 1))
    np.testing.assert_array_equal(jnp.concat([a, b], axis=1), np.concat([a, b], axis=1))
    np.testing.assert_array_equal(jnp.concat([a, a]), np.concat([a, a]))
    x = _normal((2, 3, 4))
    np.testing.assert_array_equal(jnp.permute_dims(x, (2, 0, 1)), np.permute_dims(x, (2, 0, 1)))
    np.testing.assert_array_equal(jnp.matrix_transpose(x), np.matrix_transpose(x))
    with pytest.raises(ValueError, match=r"rank >= 2.*\(3,\)"):
        jnp.matrix_transpose(np.ones(3))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unstack_vs_numpy(axis):
    x = _normal((2, 3, 4))
    got, expected = jnp.unstack(x, axis=axis), np.unstack(x, axis=axis)
    assert isinstance(got, tuple) and len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_append_vs_numpy(axis):
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    v = np.full((2, 3), 7, np.int32) if axis is not None else np.array([8.5, 9.5], np.float32)
    out = jnp.append(a, v, axis=axis)
    np.testing.assert_array_equal(out, np.append(a, v, axis=axis))
    assert out.dtype == (np.float32 if axis is None else np.int32)


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (2, 0), (-1, 1)])
def test_rot90_vs_numpy(k, axes):
    x = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(jnp.rot90(x, k, axes), np.rot90(x, k, axes))


def test_rot90_default_and_errors():
    m = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(jnp.rot90(m), np.rot90(m))
    with pytest.raises(ValueError, match="different"):
        jnp.rot90(m, axes=(1, 1))
    with pytest.raises(ValueError, match="two axes"):
        jnp.rot90(m, axes=(0,))
    with pytest.raises(ValueError, match="rank >= 2"):
        jnp.rot90(np.ones(3))


# ------------------------------------------------------------------ products

@pytest.mark.parametrize("sa,sb", [((2, 2), (2, 3)), ((3,), (2, 2)), ((2, 1, 3), (3, 2)),
                                   ((), (2,))])
def test_kron_vs_numpy(sa, sb):
    a, b = _normal(sa), _normal(sb)
    np.testing.assert_allclose(jnp.kron(a, b), np.kron(a, b), rtol=1e-14)
    ai = RNG.integers(-3, 3, size=sa).astype(np.int32)
    out = jnp.kron(ai, b.astype(np.float32))
    assert out.dtype == np.float32


@pytest.mark.parametrize("sa,sb,kw", [
    ((3,), (3,), {}),
    ((4, 3), (3,), {}),
    ((3, 4), (4, 3), dict(axisa=0)),
    ((3, 4), (3, 4), dict(axis=0)),
    ((2, 3), (5, 1, 3), dict(axisc=0)),
])
@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_vs_numpy(sa, sb, kw, dtype):
    a, b = _normal(sa, dtype), _normal(sb, dtype)
    out = jnp.cross(a, b, **kw)
    expected = np.cross(a, b, **kw)
    assert out.dtype == dtype and out.shape == expected.shape
    np.testing.assert_allclose(out, expected, **_tol(dtype))


def test_cross_of_2_vectors_and_mixed():
    a, b = _normal((4, 2)), _normal((4, 2))
    np.testing.assert_allclose(jnp.cross(a, b), a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])
    c = _normal((4, 3))
    pad = np.concatenate([a, np.zeros((4, 1))], axis=1)       # a 2-vector has z = 0
    np.testing.assert_allclose(jnp.cross(a, c), np.cross(pad, c), rtol=1e-14)
    np.testing.assert_allclose(jnp.cross(c, a), np.cross(c, pad), rtol=1e-14)
    with pytest.raises(ValueError, match="dimension must be 2 or 3"):
        jnp.cross(np.ones(4), np.ones(4))


@pytest.mark.parametrize("s1,s2,axis", [((3,), (3,), -1), ((2, 1, 3), (4, 3), -1),
                                        ((3, 4), (3, 4), 0), ((4, 3, 2), (3, 2), -2),
                                        ((1, 3, 2), (4, 3, 2), 1)])
def test_vecdot_vs_numpy(s1, s2, axis):
    a, b = _normal(s1), _normal(s2)
    np.testing.assert_allclose(jnp.vecdot(a, b, axis=axis), np.vecdot(a, b, axis=axis),
                               rtol=1e-13)


def test_vecdot_size_mismatch_is_a_value_error():
    # JAX raises ValueError here (numpy too: a gufunc core-dimension mismatch)
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\)"):
        jnp.vecdot(np.ones((2, 3)), np.ones(4))


@pytest.mark.parametrize("s1,s2", [((2, 3), (3,)), ((4, 2, 3), (4, 3)), ((2, 3), (5, 3)),
                                   ((1, 2, 3), (6, 3))])
def test_matvec_vs_numpy(s1, s2):
    a, b = _normal(s1), _normal(s2)
    np.testing.assert_allclose(jnp.matvec(a, b), np.matvec(a, b), rtol=1e-13)


@pytest.mark.parametrize("s1,s2", [((3,), (3, 2)), ((4, 3), (4, 3, 2)), ((5, 3), (3, 2))])
def test_vecmat_vs_numpy(s1, s2):
    a, b = _normal(s1), _normal(s2)
    np.testing.assert_allclose(jnp.vecmat(a, b), np.vecmat(a, b), rtol=1e-13)


def test_matvec_vecmat_rank_errors():
    with pytest.raises(ValueError, match="x1 must have rank >= 2"):
        jnp.matvec(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="x2 must have rank >= 2"):
        jnp.vecmat(np.ones(3), np.ones(3))
    with pytest.raises(TypeError):
        jnp.matvec(np.ones((2, 3)), np.ones(4))


# ------------------------------------------------------------------ creation

@pytest.mark.parametrize("kw", [dict(), dict(num=7, base=2.0), dict(num=4, endpoint=False),
                                dict(num=1), dict(num=5, dtype=np.float64)])
def test_logspace_vs_numpy(kw):
    out = jnp.logspace(-1.0, 2.0, **kw)
    expected = np.logspace(-1.0, 2.0, **kw)
    assert out.dtype == kw.get("dtype", np.float32)
    np.testing.assert_allclose(out, expected, rtol=2e-6)


def test_logspace_array_bounds_and_axis():
    start, stop = np.array([0.0, 1.0]), np.array([2.0, 3.0])
    np.testing.assert_allclose(jnp.logspace(start, stop, 4, axis=1),
                               np.logspace(start, stop, 4, axis=1), rtol=1e-12)


@pytest.mark.parametrize("start,stop,kw", [(1.0, 1000.0, dict(num=4)),
                                           (-1.0, -1000.0, dict(num=4)),
                                           (2.0, 0.5, dict(num=6, endpoint=False)),
                                           (3.0, 7.0, dict(num=1)),
                                           (1.0, 256.0, dict(num=9, dtype=np.float64))])
def test_geomspace_vs_numpy(start, stop, kw):
    out = jnp.geomspace(start, stop, **kw)
    np.testing.assert_allclose(out, np.geomspace(start, stop, **kw), rtol=2e-6)
    assert float(out[0]) == start       # the first sample is exactly start


def test_geomspace_array_bounds_axis_and_zero():
    start, stop = np.array([1.0, -2.0]), np.array([16.0, -0.125])
    out = jnp.geomspace(start, stop, 5, axis=1)
    np.testing.assert_allclose(out, np.geomspace(start, stop, 5, axis=1), rtol=1e-12)
    np.testing.assert_array_equal(out[:, -1], stop)
    with pytest.raises(ValueError, match="zero"):
        jnp.geomspace(0.0, 1.0)


@pytest.mark.parametrize("n,k,m", [(4, 0, None), (4, -1, None), (3, 1, 5), (5, 2, 2),
                                   (0, 0, None)])
def test_tri_indices_vs_numpy(n, k, m):
    for ours, theirs in [(jnp.tril_indices, np.tril_indices),
                         (jnp.triu_indices, np.triu_indices)]:
        got, expected = ours(n, k, m), theirs(n, k, m)
        assert len(got) == 2
        for g, e in zip(got, expected):
            assert g.dtype == np.int32
            np.testing.assert_array_equal(g, e)
    a = np.ones((n, n if m is None else m))
    for ours, theirs in [(jnp.tril_indices_from, np.tril_indices_from),
                         (jnp.triu_indices_from, np.triu_indices_from)]:
        for g, e in zip(ours(a, k), theirs(a, k)):
            np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("dims", [(2, 3), (4,), (2, 1, 3)])
@pytest.mark.parametrize("sparse", [False, True])
def test_indices_vs_numpy(dims, sparse):
    got, expected = jnp.indices(dims, sparse=sparse), np.indices(dims, sparse=sparse)
    if not sparse:
        got, expected = [got], [expected]
    for g, e in zip(got, expected):
        assert g.dtype == np.int32
        np.testing.assert_array_equal(g, e)
    assert jnp.indices((2,), dtype=np.float32).dtype == np.float32


# ---------------------------------------------------------- dtypes, astype

def test_astype_function_and_bool_alias():
    x = np.array([1.7, -1.7, 0.0])
    np.testing.assert_array_equal(jnp.astype(x, jnp.int32), x.astype(np.int32))
    b = jnp.astype(x, jnp.bool)
    assert b.dtype == np.bool_
    np.testing.assert_array_equal(b, [True, True, False])
    assert jnp.zeros(2, jnp.bool).dtype == np.bool_
    assert jnp.bool is jnp.bool_
    assert jnp.astype(3, jnp.float64).dtype == np.float64
    # Python's bool is still the weak boolean type for promotion
    assert jnp.result_type(bool) == np.bool_
    assert jnp.result_type(np.int32, bool) == np.int32


@pytest.mark.parametrize("dtype", [np.bool_, np.int32, np.int64, np.float32, np.float64])
@pytest.mark.parametrize("kind", ["bool", "signed integer", "unsigned integer", "integral",
                                  "real floating", "complex floating", "numeric",
                                  ("bool", "real floating"), np.float32])
def test_isdtype_vs_numpy(dtype, kind):
    assert jnp.isdtype(dtype, kind) == np.isdtype(np.dtype(dtype), kind)


def test_isdtype_takes_jnp_scalar_types_and_rejects_unknown_kinds():
    assert jnp.isdtype(jnp.float32, "real floating")
    assert jnp.isdtype(jnp.int32, jnp.int32)
    with pytest.raises(ValueError, match="unknown kind"):
        jnp.isdtype(np.float32, "floating")


# ------------------------------------------------------------------ jax.nn

def _sig(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


SELU_A, SELU_L = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

NN_CLOSED_FORMS = [
    ("tanh", nn.tanh, np.tanh),
    ("identity", nn.identity, lambda x: x),
    ("selu", nn.selu, lambda x: SELU_L * np.where(x > 0, x, SELU_A * np.expm1(x))),
    ("celu", nn.celu, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("celu_alpha", lambda x: nn.celu(x, alpha=0.5),
     lambda x: np.where(x > 0, x, 0.5 * np.expm1(x / 0.5))),
    ("mish", nn.mish, lambda x: x * np.tanh(_softplus(x))),
    ("soft_sign", nn.soft_sign, lambda x: x / (np.abs(x) + 1)),
    ("hard_tanh", nn.hard_tanh, lambda x: np.clip(x, -1, 1)),
    ("hard_sigmoid", nn.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    ("hard_silu", nn.hard_silu, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("hard_swish", nn.hard_swish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("squareplus", nn.squareplus, lambda x: (x + np.sqrt(x * x + 4)) / 2),
    ("squareplus_b", lambda x: nn.squareplus(x, b=1.0), lambda x: (x + np.sqrt(x * x + 1)) / 2),
    ("sparse_plus", nn.sparse_plus,
     lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4))),
    ("sparse_sigmoid", nn.sparse_sigmoid,
     lambda x: np.where(x <= -1, 0, np.where(x >= 1, 1, (x + 1) / 2))),
]
NN_X = np.array([-5.0, -3.0, -1.5, -1.0, -0.4, 0.0, 0.3, 1.0, 2.5, 4.0])


@pytest.mark.parametrize("name,f,ref", NN_CLOSED_FORMS, ids=[c[0] for c in NN_CLOSED_FORMS])
@pytest.mark.parametrize("dtype", FLOATS)
def test_nn_closed_forms(name, f, ref, dtype):
    x = NN_X.reshape(2, 5).astype(dtype)
    out = f(x)
    assert out.dtype == dtype and out.shape == (2, 5)
    np.testing.assert_allclose(out, ref(x.astype(np.float64)), **_tol(dtype))


def test_nn_identity_returns_an_array():
    out = nn.identity(3)
    assert isinstance(out, jaxlite.core.Array) and out.dtype == np.int32 and int(out) == 3


def test_nn_int_inputs_compute_in_float():
    i = np.array([-2, 0, 3], np.int32)
    for f in (nn.selu, nn.mish, nn.hard_sigmoid, nn.squareplus, nn.sparse_plus, nn.celu):
        assert f(i).dtype == np.float32, f.__name__


@pytest.mark.parametrize("axis", [-1, 0])
def test_glu_vs_closed_form(axis):
    x = _normal((4, 6))
    a, b = np.split(x, 2, axis=axis)
    np.testing.assert_allclose(nn.glu(x, axis=axis), a * _sig(b), rtol=1e-13)
    with pytest.raises(ValueError, match=r"even size.*\(3, 5\)"):
        nn.glu(np.ones((3, 5)), axis=0)


@pytest.mark.filterwarnings("ignore:divide by zero")     # log1mexp(0) = log(0) = -inf
def test_log1mexp_vs_closed_form_and_extremes():
    x = np.array([1e-3, 0.2, 0.69, 0.7, 1.0, 5.0])
    np.testing.assert_allclose(nn.log1mexp(x), np.log(-np.expm1(-x)), rtol=1e-13)
    # log(1 - e) = -e - e^2/2 - ... (the naive log(-expm1(-20)) is off by 2e-8 here)
    e = np.exp(-20.0)
    np.testing.assert_allclose(nn.log1mexp(np.float64(20.0)), -e - e * e / 2, rtol=1e-15)
    # tiny x: 1 - exp(-x) ~ x; large x: log(1 - e) ~ -e with e = exp(-x)
    np.testing.assert_allclose(nn.log1mexp(np.float64(1e-20)), np.log(1e-20), rtol=1e-14)
    np.testing.assert_allclose(nn.log1mexp(np.float64(50.0)), -np.exp(-50.0), rtol=1e-14)
    assert float(nn.log1mexp(np.float64(0.0))) == -np.inf


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logmeanexp_vs_closed_form(axis, keepdims):
    x = _normal((3, 4)) * 3
    expected = np.log(np.mean(np.exp(x), axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(nn.logmeanexp(x, axis=axis, keepdims=keepdims), expected,
                               rtol=1e-12)


def test_logmeanexp_where_and_large_inputs():
    x = _normal((3, 4))
    where = RNG.random((3, 4)) < 0.6
    where[:, 0] = True
    expected = [np.log(np.mean(np.exp(r[w]))) for r, w in zip(x, where)]
    np.testing.assert_allclose(nn.logmeanexp(x, axis=1, where=where), expected, rtol=1e-12)
    big = np.array([1000.0, 1000.0])
    np.testing.assert_allclose(nn.logmeanexp(big), 1000.0, rtol=1e-15)


# -------------------------------------------- derivatives (float64, finite differences)

def _pos(shape):
    return np.abs(_normal(shape)) + 0.5


GRAD_CASES = [
    # (name, function, args, order)
    ("acos", jnp.acos, lambda: (np.tanh(_normal((4,))) * 0.8,), 2),
    ("asin", jnp.asin, lambda: (np.tanh(_normal((4,))) * 0.8,), 2),
    ("atan", jnp.atan, lambda: (_normal((4,)),), 2),
    ("acosh", jnp.acosh, lambda: (_pos((4,)) + 1,), 2),
    ("asinh", jnp.asinh, lambda: (_normal((4,)),), 2),
    ("atanh", jnp.atanh, lambda: (np.tanh(_normal((4,))) * 0.8,), 2),
    ("atan2", jnp.atan2, lambda: (_normal((2, 3)), _pos((3,))), 2),
    ("pow", jnp.pow, lambda: (_pos((2, 3)), _normal((2, 3))), 2),
    ("fmax", jnp.fmax, lambda: (np.array([1.0, -2.0, 3.0]), np.array([2.0, -3.0, 0.5])), 1),
    ("fmin", jnp.fmin, lambda: (np.array([1.0, -2.0, 3.0]), np.array([2.0, -3.0, 0.5])), 1),
    ("copysign", jnp.copysign, lambda: (np.array([1.0, -2.0, 3.0]), np.array([-1.0, 1.0, 1.0])), 2),
    ("sinc", jnp.sinc, lambda: (np.array([-1.3, -0.2, 0.4, 2.7]),), 2),
    ("real", jnp.real, lambda: (_normal((3,)),), 1),
    ("conj", jnp.conj, lambda: (_normal((3,)),), 1),
    ("nansum", lambda x: jnp.nansum(x, axis=0), lambda: (_with_nans((4, 3)),), 2),
    ("nanprod", lambda x: jnp.nanprod(x, axis=1), lambda: (_with_nans((3, 4)),), 2),
    ("nanmean", lambda x: jnp.nanmean(x, axis=1), lambda: (_with_nans((3, 4)),), 2),
    ("nanvar", lambda x: jnp.nanvar(x, axis=0), lambda: (_with_nans((5, 3)),), 2),
    ("nanstd", lambda x: jnp.nanstd(x, axis=1, ddof=1), lambda: (_with_nans((3, 5)),), 2),
    ("nanmax", lambda x: jnp.nanmax(x, axis=1), lambda: (_with_nans((3, 4)),), 1),
    ("nanmin", lambda x: jnp.nanmin(x, axis=0), lambda: (_with_nans((4, 3)),), 1),
    ("select", lambda a, b: jnp.select([a > 0, b > 0], [a * b, jnp.sin(b)], a),
     lambda: (_normal((5,)), _normal((5,))), 2),
    ("cumulative_sum", lambda x: jnp.cumulative_sum(x, axis=1, include_initial=True),
     lambda: (_normal((2, 4)),), 2),
    ("cumulative_prod", lambda x: jnp.cumulative_prod(x, axis=0),
     lambda: (_normal((3, 2)),), 2),
    ("append", lambda a, b: jnp.append(a, b, axis=0), lambda: (_normal((2, 3)), _normal((1, 3))), 1),
    ("rot90", lambda x: jnp.rot90(x, 3), lambda: (_normal((2, 3)),), 1),
    ("unstack", lambda x: jnp.unstack(x, axis=1), lambda: (_normal((2, 3)),), 1),
    ("concat", lambda a, b: jnp.concat([a, b], axis=1), lambda: (_normal((2, 1)), _normal((2, 3))), 1),
    ("matrix_transpose", jnp.matrix_transpose, lambda: (_normal((2, 3, 4)),), 1),
    ("kron", jnp.kron, lambda: (_normal((2, 2)), _normal((3, 2))), 2),
    ("cross", jnp.cross, lambda: (_normal((4, 3)), _normal((3,))), 2),
    ("vecdot", jnp.vecdot, lambda: (_normal((2, 3)), _normal((3,))), 2),
    ("matvec", jnp.matvec, lambda: (_normal((2, 3, 4)), _normal((2, 4))), 2),
    ("vecmat", jnp.vecmat, lambda: (_normal((4,)), _normal((4, 3))), 2),
    ("logspace", lambda a, b: jnp.logspace(a, b, 5, dtype=np.float64),
     lambda: (np.float64(0.3), np.float64(1.2)), 2),
    ("geomspace", lambda a, b: jnp.geomspace(a, b, 5, dtype=np.float64),
     lambda: (np.float64(0.7), np.float64(4.0)), 2),
    ("astype", lambda x: jnp.astype(x, jnp.float64) * 2, lambda: (_normal((3,)),), 1),
    ("nn.tanh", nn.tanh, lambda: (_normal((4,)),), 2),
    ("nn.selu", nn.selu, lambda: (np.array([-1.5, -0.3, 0.4, 2.0]),), 2),
    ("nn.celu", lambda x: nn.celu(x, 0.7), lambda: (np.array([-1.5, -0.3, 0.4, 2.0]),), 2),
    ("nn.glu", nn.glu, lambda: (_normal((3, 4)),), 2),
    ("nn.mish", nn.mish, lambda: (_normal((4,)),), 2),
    ("nn.soft_sign", nn.soft_sign, lambda: (np.array([-1.5, -0.3, 0.4, 2.0]),), 2),
    ("nn.hard_tanh", nn.hard_tanh, lambda: (np.array([-1.5, -0.3, 0.4, 2.0]),), 1),
    ("nn.hard_sigmoid", nn.hard_sigmoid, lambda: (np.array([-4.0, -0.3, 0.4, 5.0]),), 1),
    ("nn.hard_silu", nn.hard_silu, lambda: (np.array([-4.0, -0.3, 0.4, 5.0]),), 2),
    ("nn.squareplus", nn.squareplus, lambda: (_normal((4,)),), 2),
    ("nn.log1mexp", nn.log1mexp, lambda: (np.array([0.05, 0.5, 0.8, 3.0]),), 2),
    ("nn.logmeanexp", lambda x: nn.logmeanexp(x, axis=1), lambda: (_normal((2, 4)),), 2),
    ("nn.sparse_plus", nn.sparse_plus, lambda: (np.array([-1.5, -0.3, 0.4, 2.0]),), 2),
    ("nn.sparse_sigmoid", nn.sparse_sigmoid, lambda: (np.array([-1.5, -0.3, 0.4, 2.0]),), 1),
]


@pytest.mark.parametrize("name,f,make_args,order", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_grads_vs_finite_differences(name, f, make_args, order):
    check_grads(f, make_args(), order=order)


def test_heaviside_and_sparse_sigmoid_gradients_are_piecewise_constant():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    # heaviside is flat away from 0 in x1; its x2 derivative is 1 exactly where x1 == 0
    g1, g2 = jaxlite.grad(lambda a, b: jnp.sum(jnp.heaviside(a, b)), argnums=(0, 1))(
        np.array([-1.0, 0.0, 2.0]), np.array([0.3, 0.3, 0.3]))
    np.testing.assert_array_equal(g1, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(g2, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(jaxlite.grad(lambda v: jnp.sum(nn.sparse_sigmoid(v)))(x),
                                  [0.0, 0.5, 0.5, 0.0])


# ---------------------------------------------------- vmap vs loop, jit vs eager

TRANSFORM_CASES = [
    # (name, function, args, in_axes); args are batched along axis 0
    ("acos", jnp.acos, (np.tanh(_normal((3, 4))) * 0.9,), 0),
    ("asin", jnp.asin, (np.tanh(_normal((3, 4))) * 0.9,), 0),
    ("atan", jnp.atan, (_normal((3, 4)),), 0),
    ("atan2", jnp.atan2, (_normal((3, 4)), _normal((3, 4))), 0),
    ("acosh", jnp.acosh, (_pos((3, 4)) + 1,), 0),
    ("asinh", jnp.asinh, (_normal((3, 4)),), 0),
    ("atanh", jnp.atanh, (np.tanh(_normal((3, 4))) * 0.9,), 0),
    ("pow", jnp.pow, (_pos((3, 4)), _normal((4,))), (0, None)),
    ("fmax", jnp.fmax, (_with_nans((3, 4)), _with_nans((3, 4))), 0),
    ("fmin", jnp.fmin, (_with_nans((3, 4)), _normal((4,))), (0, None)),
    ("copysign", jnp.copysign, (_normal((3, 4)), _normal((3, 4))), 0),
    ("heaviside", jnp.heaviside, (np.round(_normal((3, 4))), _normal((3, 4))), 0),
    ("sinc", jnp.sinc, (np.array([[0.0, 0.5], [1.5, 0.0], [-2.2, 0.1]]),), 0),
    ("real", jnp.real, (_normal((3, 4)),), 0),
    ("imag", jnp.imag, (_normal((3, 4)),), 0),
    ("conj", jnp.conj, (_normal((3, 4)),), 0),
    ("conjugate", jnp.conjugate, (_normal((3, 4)),), 0),
    ("nan_to_num", jnp.nan_to_num, (np.array([[np.nan, np.inf], [-np.inf, 1.0]]),), 0),
    ("isposinf", jnp.isposinf, (np.array([[np.inf, -np.inf], [np.nan, 1.0]]),), 0),
    ("isneginf", jnp.isneginf, (np.array([[np.inf, -np.inf], [np.nan, 1.0]]),), 0),
    ("nansum", lambda x: jnp.nansum(x, axis=0), (_with_nans((3, 4, 2)),), 0),
    ("nanprod", lambda x: jnp.nanprod(x, axis=1), (_with_nans((3, 4, 2)),), 0),
    ("nanmean", lambda x: jnp.nanmean(x, axis=-1, keepdims=True), (_with_nans((3, 4, 2)),), 0),
    ("nanmax", lambda x: jnp.nanmax(x, axis=0), (_with_nans((3, 4, 2)),), 0),
    ("nanmin", jnp.nanmin, (_with_nans((3, 4, 2)),), 0),
    ("nanvar", lambda x: jnp.nanvar(x, axis=0), (_with_nans((3, 4, 2)),), 0),
    ("nanstd", lambda x: jnp.nanstd(x, axis=1), (_with_nans((3, 4, 2)),), 0),
    ("nanargmax", lambda x: jnp.nanargmax(x, axis=0), (_with_nans((3, 4, 2)),), 0),
    ("nanargmin", jnp.nanargmin, (_with_nans((3, 4, 2)),), 0),
    ("select", lambda x: jnp.select([x > 0.5, x < -0.5], [x, 2 * x], -1.0),
     (_normal((3, 4)),), 0),
    ("append", lambda a, b: jnp.append(a, b), (_normal((3, 2, 2)), _normal((3, 3))), 0),
    ("kron", jnp.kron, (_normal((3, 2, 2)), _normal((3, 2))), 0),
    ("cross", lambda a, b: jnp.cross(a, b, axisa=0), (_normal((3, 3, 2)), _normal((3, 2, 3))), 0),
    ("rot90", lambda x: jnp.rot90(x, 1, (1, 0)), (_normal((3, 2, 4)),), 0),
    ("logspace", lambda a: jnp.logspace(a, 2.0, 4), (_normal((3,)),), 0),
    ("geomspace", lambda a: jnp.geomspace(a, 8.0, 4), (_pos((3,)),), 0),
    ("tril_indices", lambda x: x[jnp.tril_indices(3, -1)], (_normal((4, 3, 3)),), 0),
    ("triu_indices", lambda x: x[jnp.triu_indices(3, 1, 4)], (_normal((4, 3, 4)),), 0),
    ("tril_indices_from", lambda x: x[jnp.tril_indices_from(x, 1)], (_normal((4, 3, 2)),), 0),
    ("triu_indices_from", lambda x: x[jnp.triu_indices_from(x)], (_normal((4, 2, 3)),), 0),
    ("indices", lambda x: x * jnp.indices((2, 3))[1], (_normal((4, 2, 3)),), 0),
    ("cumulative_sum", lambda x: jnp.cumulative_sum(x, include_initial=True),
     (_normal((3, 5)),), 0),
    ("cumulative_prod", lambda x: jnp.cumulative_prod(x, axis=0), (_normal((3, 4, 2)),), 0),
    ("unstack", lambda x: jnp.unstack(x, axis=1), (_normal((3, 2, 4)),), 0),
    ("concat", lambda a, b: jnp.concat([a, b], axis=0), (_normal((3, 2)), _normal((3, 4))), 0),
    ("permute_dims", lambda x: jnp.permute_dims(x, (1, 0)), (_normal((3, 2, 4)),), 0),
    ("matrix_transpose", jnp.matrix_transpose, (_normal((3, 2, 4)),), 0),
    ("vecdot", jnp.vecdot, (_normal((3, 2, 4)), _normal((3, 4))), 0),
    ("matvec", jnp.matvec, (_normal((3, 2, 4)), _normal((4,))), (0, None)),
    ("vecmat", jnp.vecmat, (_normal((3, 4)), _normal((3, 4, 2))), 0),
    ("astype", lambda x: jnp.astype(x, jnp.int32), (_normal((3, 4)) * 5,), 0),
    ("bool", lambda x: jnp.astype(x, jnp.bool), (np.round(_normal((3, 4))),), 0),
    ("nn.tanh", nn.tanh, (_normal((3, 4)),), 0),
    ("nn.identity", nn.identity, (_normal((3, 4)),), 0),
    ("nn.selu", nn.selu, (_normal((3, 4)),), 0),
    ("nn.celu", nn.celu, (_normal((3, 4)),), 0),
    ("nn.glu", nn.glu, (_normal((3, 2, 4)),), 0),
    ("nn.mish", nn.mish, (_normal((3, 4)),), 0),
    ("nn.soft_sign", nn.soft_sign, (_normal((3, 4)),), 0),
    ("nn.hard_tanh", nn.hard_tanh, (_normal((3, 4)) * 2,), 0),
    ("nn.hard_sigmoid", nn.hard_sigmoid, (_normal((3, 4)) * 4,), 0),
    ("nn.hard_silu", nn.hard_silu, (_normal((3, 4)) * 4,), 0),
    ("nn.hard_swish", nn.hard_swish, (_normal((3, 4)) * 4,), 0),
    ("nn.squareplus", nn.squareplus, (_normal((3, 4)),), 0),
    ("nn.log1mexp", nn.log1mexp, (_pos((3, 4)) - 0.45,), 0),
    ("nn.logmeanexp", lambda x: nn.logmeanexp(x, axis=0), (_normal((3, 4, 2)),), 0),
    ("nn.sparse_plus", nn.sparse_plus, (_normal((3, 4)) * 2,), 0),
    ("nn.sparse_sigmoid", nn.sparse_sigmoid, (_normal((3, 4)) * 2,), 0),
]


@pytest.mark.parametrize("name,f,args,in_axes", TRANSFORM_CASES,
                         ids=[c[0] for c in TRANSFORM_CASES])
def test_vmap_vs_loop(name, f, args, in_axes):
    check_vmap(f, args, in_axes=in_axes, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,f,args,in_axes", TRANSFORM_CASES,
                         ids=[c[0] for c in TRANSFORM_CASES])
def test_jit_vs_eager(name, f, args, in_axes):
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    one = tuple(a if ax is None else a[0] for a, ax in zip(args, axes))    # unbatched
    check_jit(f, one, rtol=1e-10, atol=1e-12)


def test_jit_handles_nan_edge_cases():
    x = np.array([[np.nan, np.nan], [2.0, np.nan]])
    f = jaxlite.jit(lambda v: (jnp.nanmax(v, axis=1), jnp.nanargmin(v, axis=1),
                               jnp.nanmean(v, axis=1), jnp.fmax(v, 0.0)))
    mx, am, mean, fm = f(x)
    np.testing.assert_array_equal(mx, [np.nan, 2.0])
    np.testing.assert_array_equal(am, [-1, 0])
    np.testing.assert_array_equal(mean, [np.nan, 2.0])
    np.testing.assert_array_equal(fm, [[0.0, 0.0], [2.0, 0.0]])


# ------------------------------------------------------------------ bad axes

BAD_AXIS_CASES = [
    ("nansum", lambda x: jnp.nansum(x, axis=5)),
    ("nanprod", lambda x: jnp.nanprod(x, axis=-3)),
    ("nanmean", lambda x: jnp.nanmean(x, axis=5)),
    ("nanmax", lambda x: jnp.nanmax(x, axis=5)),
    ("nanmin", lambda x: jnp.nanmin(x, axis=(0, 5))),
    ("nanvar", lambda x: jnp.nanvar(x, axis=5)),
    ("nanstd", lambda x: jnp.nanstd(x, axis=5)),
    ("nanargmax", lambda x: jnp.nanargmax(x, axis=5)),
    ("nanargmin", lambda x: jnp.nanargmin(x, axis=-3)),
    ("cumulative_sum", lambda x: jnp.cumulative_sum(x, axis=5)),
    ("cumulative_prod", lambda x: jnp.cumulative_prod(x, axis=-3)),
    ("unstack", lambda x: jnp.unstack(x, axis=5)),
    ("concat", lambda x: jnp.concat([x, x], axis=5)),
    ("append", lambda x: jnp.append(x, x, axis=5)),
    ("rot90", lambda x: jnp.rot90(x, axes=(0, 5))),
    ("cross", lambda x: jnp.cross(x, x, axisa=5)),
    ("vecdot", lambda x: jnp.vecdot(x, x, axis=5)),
    ("nn.glu", lambda x: nn.glu(x, axis=5)),
    ("nn.logmeanexp", lambda x: nn.logmeanexp(x, axis=5)),
]


@pytest.mark.parametrize("name,f", BAD_AXIS_CASES, ids=[c[0] for c in BAD_AXIS_CASES])
def test_bad_axis_is_a_value_error_naming_axis_and_rank(name, f):
    x = np.ones((2, 2))
    with pytest.raises(ValueError, match=r"axis -?\d+ is out of bounds for array of rank 2"):
        f(x)
