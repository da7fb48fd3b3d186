"""jnp reductions vs numpy: axes, keepdims, dtypes (JAX's: int32 sums stay
int32), empty arrays, bad axes, derivatives and vmap; the NaN-ignoring
reductions, cumulative_sum / cumulative_prod, var without degrees of freedom."""
import itertools

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp

from helpers import (B, DATA_RNG, F32, F64, FLOATS, I32, check_grads, check_jit, check_vmap,
                     data, normal_array, same, tols, with_nans)

AXES = [None, 0, 1, -1, (0, 2), (), (2, 1, 0)]


def _jax_dtype(name, dt):
    dt = np.dtype(dt)
    if name in ("sum", "prod", "cumsum"):
        return np.dtype(np.int32) if dt == np.bool_ else dt
    if name in ("mean", "var", "std"):
        return {np.dtype(np.int64): np.dtype(np.float64),
                np.dtype(np.float64): np.dtype(np.float64)}.get(dt, np.dtype(np.float32))
    if name in ("all", "any"):
        return np.dtype(np.bool_)
    return dt


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "var", "std", "all",
                                  "any"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.bool_])
def test_reductions_vs_numpy(name, dtype):
    if dtype == np.bool_ and name in ("var", "std"):
        return
    x = data((2, 3, 4), dtype)
    for arg in (x, np.transpose(x, (1, 0, 2)).copy().transpose(1, 0, 2)[:, ::-1]):
        for axis in AXES:
            for keepdims in (False, True):
                out = getattr(jnp, name)(arg, axis=axis, keepdims=keepdims)
                ref = getattr(np, name)(arg, axis=axis, keepdims=keepdims)
                assert out.shape == ref.shape, (axis, keepdims)
                assert out.dtype == _jax_dtype(name, dtype), (out.dtype, axis)
                tol = 1e-5 if out.dtype == np.float32 else 1e-12
                np.testing.assert_allclose(np.asarray(out, np.float64),
                                           np.asarray(ref, np.float64), rtol=tol, atol=tol)


def test_method_forms_and_dtype_args():
    x = data((2, 3, 4), np.float32)
    np.testing.assert_allclose(jnp.asarray(x).sum(axis=1), x.sum(axis=1), rtol=1e-6)
    np.testing.assert_allclose(jnp.asarray(x).mean(0), x.mean(0), rtol=1e-6)
    assert jnp.sum(np.ones(3, np.int32), dtype=jnp.float32).dtype == np.float32
    assert jnp.mean(np.ones(3, np.float32), dtype=jnp.float64).dtype == np.float64
    np.testing.assert_allclose(jnp.var(x, axis=1, ddof=1), x.var(axis=1, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(jnp.std(x, ddof=2), x.std(ddof=2), rtol=1e-5)
    np.testing.assert_allclose(jnp.sum(x, axis=0, initial=1.0), x.sum(0) + 1, rtol=1e-6)
    np.testing.assert_allclose(jnp.max(x, axis=(0, 1), initial=1.5), np.max(x, (0, 1), initial=1.5))
    w = x > 0
    np.testing.assert_allclose(jnp.sum(x, where=w), np.sum(x, where=w), rtol=1e-6)
    np.testing.assert_allclose(jnp.mean(x, axis=2, where=w), np.mean(x, axis=2, where=w),
                               rtol=1e-5)
    assert float(jnp.sum(3.0)) == 3.0
    assert jnp.count_nonzero(w) == np.count_nonzero(w)
    np.testing.assert_allclose(jnp.ptp(x, 1), np.ptp(x, 1), rtol=1e-6)
    np.testing.assert_allclose(jnp.average(x, 1, weights=np.abs(x)),
                               np.average(x, 1, weights=np.abs(x)), rtol=1e-5)


def test_nan_propagates():
    x = np.array([1.0, np.nan, 3.0])
    assert np.isnan(jnp.max(x)) and np.isnan(jnp.min(x)) and np.isnan(jnp.sum(x))
    assert int(jnp.argmax(x)) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64, np.bool_])
def test_argmax_argmin(dtype):
    x = data((3, 4, 5), dtype)
    for name in ("argmax", "argmin"):
        for axis in (None, 0, 1, -1):
            out = getattr(jnp, name)(x, axis=axis)
            ref = getattr(np, name)(x, axis=axis)
            assert out.dtype == np.int32
            np.testing.assert_array_equal(out, ref)
            kd = getattr(jnp, name)(x, axis=axis, keepdims=True)
            assert kd.shape == getattr(np, name)(x, axis=axis, keepdims=True).shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.bool_])
def test_cumsum(dtype):
    x = data((3, 4), dtype)
    for axis in (None, 0, 1, -1):
        out = jnp.cumsum(x, axis=axis)
        ref = np.cumsum(x, axis=axis)
        assert out.dtype == _jax_dtype("cumsum", dtype)
        np.testing.assert_allclose(out, ref, rtol=1e-6)
    assert jnp.cumsum(x, axis=0, dtype=jnp.float32).dtype == np.float32
    np.testing.assert_array_equal(jnp.cumsum(np.zeros((0, 2)), 0), np.zeros((0, 2)))


def test_empty_arrays():
    z = np.zeros((0, 3), np.float32)
    np.testing.assert_array_equal(jnp.sum(z, 0), np.zeros(3))
    np.testing.assert_array_equal(jnp.prod(z, 0), np.ones(3))
    assert jnp.sum(z).shape == () and float(jnp.sum(z)) == 0.0
    np.testing.assert_array_equal(jnp.max(z, axis=1), np.zeros((0,)))
    assert bool(jnp.all(z)) and not bool(jnp.any(z))
    assert np.isnan(jnp.mean(z))
    np.testing.assert_array_equal(jnp.max(z, axis=0, initial=-1.0), -np.ones(3))


def test_bad_inputs():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="axis 2 .*rank 2"):
        jnp.sum(x, axis=2)
    with pytest.raises(ValueError, match="axis -3 .*rank 2"):
        jnp.mean(x, axis=-3)
    with pytest.raises(ValueError, match="repeated axis"):
        jnp.sum(x, axis=(0, 0))
    with pytest.raises(ValueError, match="zero-size array"):
        jnp.max(np.zeros((0, 2)), axis=0)
    with pytest.raises(ValueError, match="empty sequence"):
        jnp.argmax(np.zeros((0,)))
    with pytest.raises(TypeError, match="out argument"):
        jnp.sum(x, out=x)


REDUCTION_GRADS = [
    lambda x: jnp.sum(x, axis=1), lambda x: jnp.mean(x, axis=(0, 2), keepdims=True),
    lambda x: jnp.var(x, axis=-1), lambda x: jnp.std(x, axis=0, ddof=1), jnp.var,
    lambda x: jnp.max(x, axis=1), lambda x: jnp.prod(x, axis=2),
    lambda x: jnp.cumsum(x, axis=1), lambda x: jnp.min(x, axis=(1, 2)),
]


@pytest.mark.parametrize("f", REDUCTION_GRADS, ids=range(len(REDUCTION_GRADS)))
def test_grads(f):
    x = DATA_RNG.normal(size=(2, 3, 4))
    check_grads(f, (x,))


def test_vmap_and_jit():
    x = DATA_RNG.normal(size=(3, 4, 5))
    check_vmap(lambda a: jnp.var(a, axis=1) + jnp.max(a), (x,), 1)
    check_vmap(lambda a: jnp.argmax(a, axis=0), (x,), 2)
    check_vmap(lambda a: jnp.cumsum(a, axis=-1), (x,))
    check_jit(lambda a: (jnp.std(a, axis=0), jnp.argmin(a, axis=1), jnp.any(a > 2)), (x,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.bool_])
def test_cumprod(dtype):
    x = data((3, 5), dtype)
    for axis in (None, 0, 1):
        out = jnp.cumprod(x, axis=axis)
        ref = np.cumprod(x, axis=axis)
        assert out.dtype == _jax_dtype("cumsum", dtype)
        np.testing.assert_allclose(out, ref, rtol=1e-6)
    check_grads(lambda a: jnp.cumprod(a, axis=1), (DATA_RNG.normal(size=(2, 6)),))
    check_vmap(lambda a: jnp.cumprod(a), (DATA_RNG.normal(size=(3, 4)),), 1)


# --------------------------------------------------------- reductions: 0-size

@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "var", "std",
                                  "argmax", "argmin", "all", "any", "cumsum"])
def test_reductions_of_empty_arrays_follow_numpy(name):
    """Empty axes give the identity (sum 0, prod 1, all True), nan for mean/var,
    and a ValueError where numpy has no answer (max/argmax of nothing)."""
    for shape in [(0,), (2, 0), (0, 3), (3, 0, 2)]:
        for dt in (I32, F32, F64, B):
            x = np.zeros(shape, dt)
            axes = [None] + list(range(-len(shape), len(shape)))
            for axis, keep in itertools.product(axes, [False, True]):
                kw = {} if name == "cumsum" else {"keepdims": keep}
                if name == "cumsum" and keep:
                    continue
                try:
                    with np.errstate(all="ignore"):
                        ref = getattr(np, name)(x, axis=axis, **kw)
                except ValueError:
                    with pytest.raises(ValueError):
                        getattr(jnp, name)(x, axis=axis, **kw)
                    continue
                out = getattr(jnp, name)(x, axis=axis, **kw)
                assert out.shape == np.shape(ref), (name, shape, axis, keep)
                np.testing.assert_array_equal(np.asarray(out, F64), np.asarray(ref, F64))


def test_var_without_degrees_of_freedom_is_nan():
    """N - ddof <= 0: nan, as JAX (N - ddof < 0 gave a negative variance)."""
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]])
    for ddof in (0, 1, 2):
        same(jnp.var(x, axis=1, ddof=ddof), np.var(x, axis=1, ddof=ddof))
    for ddof in (3, 4, 7):
        assert np.isnan(jnp.var(x, axis=1, ddof=ddof)).all()
        assert np.isnan(jnp.std(x, axis=1, ddof=ddof)).all()
        assert np.isnan(jaxlite.jit(lambda a: jnp.var(a, 1, ddof=ddof))(x)).all()
    w = x > 1.5                      # one row keeps 2 elements, the other 3
    np.testing.assert_allclose(jnp.var(x, axis=1, ddof=2, where=w), [np.nan, 4.666666666666667],
                               rtol=1e-12)


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
    x = with_nans((3, 4, 2), dtype)
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
    x = with_nans((3, 4, 2), dtype)
    out = f(x, axis=axis, keepdims=keepdims)
    expected = ref(x, axis=axis, keepdims=keepdims)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, expected)


@pytest.mark.filterwarnings("ignore:Degrees of freedom")
def test_nanvar_ddof_vs_numpy():
    x = with_nans((4, 5))
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
    x = (DATA_RNG.integers(-3, 4, size=(3, 4)) if dtype == np.int32
         else normal_array((3, 4))).astype(dtype)
    out = getattr(jnp, name)(x, axis=axis, include_initial=include_initial)
    expected = getattr(np, name)(x, axis=axis, include_initial=include_initial)
    assert out.dtype == dtype and out.shape == expected.shape
    np.testing.assert_allclose(out, expected, **tols(dtype))


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


def test_amax_amin_are_max_min():
    x = DATA_RNG.normal(size=(3, 4, 5))
    for axis in (None, 0, -1, (0, 2)):
        for keepdims in (False, True):
            np.testing.assert_array_equal(jnp.amax(x, axis=axis, keepdims=keepdims),
                                          np.amax(x, axis=axis, keepdims=keepdims))
            np.testing.assert_array_equal(jnp.amin(x, axis=axis, keepdims=keepdims),
                                          np.amin(x, axis=axis, keepdims=keepdims))
    np.testing.assert_array_equal(jnp.amax(x, axis=1, initial=0.5), np.amax(x, axis=1, initial=0.5))
    w = x > 0
    np.testing.assert_array_equal(jnp.amin(x, axis=0, where=w, initial=9.0),
                                  np.amin(x, axis=0, where=w, initial=9.0))
