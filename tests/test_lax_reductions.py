"""reduce_sum/max/min/prod, argmax/argmin, cumsum: eager vs numpy, derivatives
(finite differences to order 2, JAX's tie convention, zeros in products),
vmap vs a loop, jit vs eager, and bad input."""
import numpy as np
import pytest

import jaxlite
from jaxlite import lax
from helpers import DATA_RNG, check_grads, check_jit, check_vmap, data


SHAPES_AXES = [((), ()), ((5,), (0,)), ((3, 4), (1,)), ((3, 4), (0, 1)),
               ((2, 3, 4), (0, 2)), ((2, 3, 4), (1,)), ((0, 3), (0,)), ((0, 3), (1,)),
               ((2, 0, 3), (1, 2))]


def _distinct(shape, lo=-2.0, hi=2.0):
    """float64 values with no ties and gaps far wider than the FD step."""
    n = int(np.prod(shape, dtype=np.int64))
    vals = np.linspace(lo, hi, n) if n > 1 else np.array([0.7] * n)
    return DATA_RNG.permutation(vals).reshape(shape)


# --------------------------------------------------------------- eager values

NUMPY_REDUCER = {lax.reduce_sum: np.sum, lax.reduce_max: np.max, lax.reduce_min: np.min,
                 lax.reduce_prod: np.prod}


@pytest.mark.parametrize("op,dtype", [(op, dt) for op in NUMPY_REDUCER
                                      for dt in (np.float32, np.float64, np.int32, np.bool_)
                                      if not (op is lax.reduce_prod and dt is np.bool_)],
                         ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("shape,axes", SHAPES_AXES)
def test_reduction_matches_numpy(op, dtype, shape, axes):
    x = data(shape, dtype)
    got = op(x, axes)
    if op in (lax.reduce_max, lax.reduce_min) and 0 in [shape[a] for a in axes]:
        # JAX's identities for an empty max/min.
        big = {np.dtype(np.float32): np.inf, np.dtype(np.float64): np.inf,
               np.dtype(np.int32): np.iinfo(np.int32).max, np.dtype(np.bool_): True}[np.dtype(dtype)]
        ident = -big if op is lax.reduce_max and dtype is not np.bool_ else big
        if op is lax.reduce_max and dtype is np.bool_:
            ident = False
        expected = np.full(np.sum(x, axis=axes).shape, ident, dtype)
    else:
        expected = NUMPY_REDUCER[op](x, axis=axes).astype(dtype)
    assert got.dtype == np.dtype(dtype)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_negative_axes_and_int_axis():
    x = data((2, 3, 4), np.float64)
    np.testing.assert_allclose(lax.reduce_max(x, (-1, 0)), np.max(x, axis=(0, 2)))
    np.testing.assert_allclose(lax.reduce_prod(x, -2), np.prod(x, axis=1))


def test_empty_axes_is_identity_and_python_scalars():
    x = data((2, 3), np.float32)
    assert lax.reduce_min(x, ()) is x
    assert lax.reduce_max(2.0, ()).dtype == np.float32


def test_reduce_max_nan_propagates():
    assert np.isnan(lax.reduce_max(np.array([1.0, np.nan, 3.0]), (0,)))
    assert np.isnan(lax.reduce_min(np.array([1.0, np.nan, 3.0]), (0,)))


@pytest.mark.parametrize("op,np_fn", [(lax.argmax, np.argmax), (lax.argmin, np.argmin)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.bool_])
@pytest.mark.parametrize("shape,axis", [((5,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), 1),
                                        ((0, 3), 1)])
def test_arg_reductions_match_numpy(op, np_fn, dtype, shape, axis):
    x = data(shape, dtype)
    for index_dtype in (np.int32, np.int64):
        got = op(x, axis, index_dtype)
        assert got.dtype == np.dtype(index_dtype)
        np.testing.assert_array_equal(got, np_fn(x, axis=axis))


def test_argmax_first_index_and_nan():
    x = np.array([1.0, 3.0, 3.0, np.nan, 5.0, np.nan])
    assert int(lax.argmax(x, 0, np.int32)) == 3
    assert int(lax.argmin(x, 0, np.int32)) == 3
    assert int(lax.argmax(np.array([2, 7, 7, 1]), 0, np.int32)) == 1
    assert int(lax.argmin(np.array([2, 0, 7, 0]), 0, np.int32)) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
@pytest.mark.parametrize("shape,axis", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1),
                                        ((0, 3), 0), ((2, 0), 1)])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum_matches_numpy(dtype, shape, axis, reverse):
    x = data(shape, dtype)
    got = lax.cumsum(x, axis, reverse)
    expected = (np.flip(np.cumsum(np.flip(x, axis), axis), axis) if reverse
                else np.cumsum(x, axis)).astype(dtype)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


CUMULATIVE = [(lax.cumprod, np.cumprod), (lax.cummax, np.maximum.accumulate),
              (lax.cummin, np.minimum.accumulate)]


@pytest.mark.parametrize("op,np_fn", CUMULATIVE, ids=["cumprod", "cummax", "cummin"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
@pytest.mark.parametrize("shape,axis", [((1,), 0), ((3, 9), 1), ((0, 3), 0), ((2, 17, 2), -2)])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumulative_composites_match_numpy(op, np_fn, dtype, shape, axis, reverse):
    x = data(shape, dtype) if op is not lax.cumprod else \
        DATA_RNG.uniform(0.5, 1.5, shape).astype(dtype) if dtype != np.int32 else \
        DATA_RNG.integers(-2, 3, shape).astype(dtype)
    got = op(x, axis, reverse)
    expected = (np.flip(np_fn(np.flip(x, axis), axis=axis), axis) if reverse
                else np_fn(x, axis=axis)).astype(dtype)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_cummax_bool_and_errors():
    np.testing.assert_array_equal(lax.cummax(np.array([False, True, False])), [0, 1, 1])
    np.testing.assert_array_equal(lax.cummin(np.array([True, False, True])), [1, 0, 0])
    with pytest.raises(TypeError, match="cumprod requires"):
        lax.cumprod(np.array([True, False]))
    with pytest.raises(ValueError, match="axis 2 .* rank 2"):
        lax.cummax(np.zeros((2, 3)), 2)


# ------------------------------------------------------------- derivatives

GRAD_SHAPES_AXES = [((), ()), ((5,), (0,)), ((3, 4), (1,)), ((2, 3, 4), (0, 2)),
                    ((2, 3, 4), (0, 1, 2))]


@pytest.mark.parametrize("op", [lax.reduce_sum, lax.reduce_max, lax.reduce_min,
                                lax.reduce_prod], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape,axes", GRAD_SHAPES_AXES)
def test_reduction_grads(op, shape, axes):
    x = _distinct(shape) if op is not lax.reduce_prod else DATA_RNG.uniform(0.5, 1.5, shape)
    check_grads(lambda v: op(v, axes), (x,), order=2)


def test_max_min_tie_gradient_is_averaged():
    x = np.array([1.0, 3.0, 3.0])
    np.testing.assert_allclose(jaxlite.grad(lambda v: lax.reduce_max(v, (0,)))(x), [0, .5, .5])
    y = np.array([[2.0, 2.0, 2.0], [5.0, 1.0, 1.0]])
    np.testing.assert_allclose(jaxlite.grad(lambda v: lax.reduce_min(v, (0, 1)))(y),
                               [[0, 0, 0], [0, .5, .5]])
    np.testing.assert_allclose(
        jaxlite.grad(lambda v: lax.reduce_sum(lax.reduce_max(v, (1,)), (0,)))(y),
        [[1 / 3, 1 / 3, 1 / 3], [1, 0, 0]])
    # Forward mode averages the tangent too.
    _, t = jaxlite.jvp(lambda v: lax.reduce_max(v, (0,)), (x,), (np.array([1.0, 2.0, 4.0]),))
    np.testing.assert_allclose(t, 3.0)


def test_max_of_empty_has_zero_gradient():
    g = jaxlite.grad(lambda v: lax.reduce_sum(lax.reduce_max(v, (0,)), (0,)))(np.zeros((0, 3)))
    assert g.shape == (0, 3)


def _prod_grad_closed_form(x):
    """d prod / d x_i = product of the other entries, by brute force."""
    return np.array([np.prod(np.delete(x, i)) for i in range(len(x))])


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 3.0], [0.0], [5.0, -1.5],
                               list(np.r_[0.0, np.linspace(0.5, 1.5, 36)]),   # 37: padded to 64
                               list(np.r_[np.linspace(0.5, 1.5, 47), 0.0, 2.0, -1.0])])  # 50
def test_prod_grad_with_zeros(x):
    x = np.asarray(x)
    g = jaxlite.grad(lambda v: lax.reduce_prod(v, (0,)))(x)
    np.testing.assert_allclose(g, _prod_grad_closed_form(x), rtol=1e-12, atol=1e-300)


def test_prod_second_derivative_with_zeros():
    x = np.array([2.0, 0.0, 3.0, 0.0])
    grad = jaxlite.grad(lambda v: lax.reduce_prod(v, (0,)))
    h = np.stack([jaxlite.jvp(grad, (x,), (e,))[1] for e in np.eye(4)])
    expected = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            if i != j:
                expected[i, j] = np.prod(np.delete(x, [i, j]))
    np.testing.assert_allclose(h, expected)
    check_grads(lambda v: lax.reduce_prod(v, (0,)), (np.array([2.0, 0.0, 3.0, -1.0]),), order=2)


def test_prod_grad_long_axis_and_multi_axes():
    x = DATA_RNG.uniform(0.9, 1.1, (3, 8, 10))
    g = jaxlite.grad(lambda v: lax.reduce_sum(lax.reduce_prod(v, (0, 2)), (0,)))(x)
    np.testing.assert_allclose(g, np.prod(x, axis=(0, 2), keepdims=True) / x, rtol=1e-12)
    check_grads(lambda v: lax.reduce_prod(v, (1,)), (DATA_RNG.uniform(0.8, 1.2, (2, 64)),), order=2)
    # n = 20 is padded with ones to 32; a zero entry in each row.
    y = DATA_RNG.uniform(0.8, 1.2, (3, 20))
    y[:, 5] = 0.0
    check_grads(lambda v: lax.reduce_prod(v, (1,)), (y,), order=2)
    g = jaxlite.vmap(jaxlite.grad(lambda v: lax.reduce_prod(v, (0,))))(y)
    np.testing.assert_allclose(g, np.stack([_prod_grad_closed_form(r) for r in y]))
    check_jit(jaxlite.grad(lambda v: lax.reduce_prod(v, (0, 1))), (y,))


def test_prod_grad_under_vmap_and_float32():
    x = np.array([[2.0, 0.0, 3.0], [1.0, 4.0, 0.5], [0.0, 0.0, 7.0]])
    g = jaxlite.vmap(jaxlite.grad(lambda v: lax.reduce_prod(v, (0,))))(x)
    np.testing.assert_allclose(g, np.stack([_prod_grad_closed_form(r) for r in x]))
    g32 = jaxlite.grad(lambda v: lax.reduce_prod(v, (0, 1)))(x.astype(np.float32))
    assert g32.dtype == np.float32
    expected = _prod_grad_closed_form(x.ravel()).reshape(x.shape)
    np.testing.assert_allclose(g32, expected)


def test_arg_reductions_have_zero_derivative():
    x = _distinct((3, 4))
    f = lambda v: lax.convert_element_type(lax.argmax(v, 1, np.int32), np.float64) * 1.0
    np.testing.assert_array_equal(jaxlite.grad(lambda v: lax.reduce_sum(f(v), (0,)))(x), 0)
    _, t = jaxlite.jvp(lambda v: lax.argmin(v, 0, np.int32), (x,), (np.ones_like(x),))
    np.testing.assert_array_equal(t, 0)


@pytest.mark.parametrize("shape,axis", [((5,), 0), ((3, 4), 1), ((2, 3, 4), 0)])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum_grads(shape, axis, reverse):
    check_grads(lambda v: lax.cumsum(v, axis, reverse), (DATA_RNG.standard_normal(shape),), order=2)


@pytest.mark.parametrize("op", [lax.cumprod, lax.cummax, lax.cummin],
                         ids=["cumprod", "cummax", "cummin"])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumulative_composite_grads(op, reverse):
    x = _distinct((3, 6)) if op is not lax.cumprod else DATA_RNG.uniform(0.5, 1.5, (3, 6))
    check_grads(lambda v: op(v, 1, reverse), (x,), order=2)


def test_cumprod_grad_with_zero():
    x = np.array([2.0, 0.0, 3.0, 4.0])
    # d/dx_i sum_k cumprod(x)_k = sum_{k >= i} prod_{j <= k, j != i} x_j
    expected = [sum(np.prod(np.delete(x[:k + 1], i)) for k in range(i, 4)) for i in range(4)]
    got = jaxlite.grad(lambda v: lax.reduce_sum(lax.cumprod(v), (0,)))(x)
    np.testing.assert_allclose(got, expected)


def test_cumsum_transpose_is_reverse_cumsum():
    ct = np.array([1.0, 2.0, 3.0])
    _, vjp = jaxlite.vjp(lambda v: lax.cumsum(v, 0), np.zeros(3))
    np.testing.assert_allclose(vjp(ct)[0], [6.0, 5.0, 3.0])


# ---------------------------------------------------------------- vmap, jit

VMAP_FUNS = {
    "sum": lambda v: lax.reduce_sum(v, (1,)),
    "max": lambda v: lax.reduce_max(v, (0, 1)),
    "min": lambda v: lax.reduce_min(v, (0,)),
    "prod": lambda v: lax.reduce_prod(v, (1,)),
    "argmax": lambda v: lax.argmax(v, 1, np.int32),
    "argmin": lambda v: lax.argmin(v, 0, np.int64),
    "cumsum": lambda v: lax.cumsum(v, 1),
    "cumsum_rev": lambda v: lax.cumsum(v, 0, True),
    "cumprod": lambda v: lax.cumprod(v, 1),
    "cummax_rev": lambda v: lax.cummax(v, 0, True),
}


@pytest.mark.parametrize("name", list(VMAP_FUNS))
@pytest.mark.parametrize("in_axis", [0, 1, -1])
def test_vmap(name, in_axis):
    x = _distinct((3, 4, 5))
    check_vmap(VMAP_FUNS[name], (x,), in_axes=in_axis)


@pytest.mark.parametrize("name", ["max", "prod", "cumsum", "argmax"])
def test_vmap_with_unbatched_argument_and_nested(name):
    f = VMAP_FUNS[name]
    x = _distinct((4, 5))
    y = _distinct((2, 3, 4, 5))
    # An unbatched operand combined with a batched one.
    check_vmap(lambda a, b: f(a * b), (x, y[0]), in_axes=(None, 0))
    nested = jaxlite.vmap(jaxlite.vmap(f, in_axes=1), in_axes=0)
    expected = np.stack([np.stack([f(y[i, :, j]) for j in range(4)]) for i in range(2)])
    np.testing.assert_allclose(nested(y), expected)


def test_vmap_of_grad_of_max_with_ties():
    x = np.array([[1.0, 3.0, 3.0], [4.0, 0.0, 4.0]])
    g = jaxlite.vmap(jaxlite.grad(lambda v: lax.reduce_max(v, (0,))))(x)
    np.testing.assert_allclose(g, [[0, .5, .5], [.5, 0, .5]])


@pytest.mark.parametrize("name", list(VMAP_FUNS))
def test_jit(name):
    check_jit(VMAP_FUNS[name], (_distinct((3, 4)),))


def test_jit_of_grads():
    x = np.array([[2.0, 0.0, 3.0], [1.0, 1.0, 0.5]])
    for f in (lambda v: lax.reduce_prod(v, (0, 1)), lambda v: lax.reduce_max(v, (0, 1)),
              lambda v: lax.reduce_sum(lax.cumsum(v, 1, True) ** 2, (0, 1))):
        check_jit(jaxlite.grad(f), (x,))


def test_jaxpr_params():
    jaxpr = jaxlite.make_jaxpr(lambda v: lax.argmax(lax.cumsum(v, -1, True), -1, np.int32))(
        np.zeros((2, 3)))
    text = str(jaxpr)
    assert "cumsum[axis=1 reverse=True]" in text
    assert "argmax[axes=(1,) index_dtype=int32]" in text


# ---------------------------------------------------------------- bad input

def test_bad_axes():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="axis 2 is out of bounds for array of rank 2"):
        lax.reduce_max(x, (2,))
    with pytest.raises(ValueError, match="axis -3 .* rank 2"):
        lax.reduce_prod(x, (-3,))
    with pytest.raises(ValueError, match=r"axes \(1, 1\) are invalid .* rank 2"):
        lax.reduce_min(x, (1, -1))
    with pytest.raises(ValueError, match="axis 2 .* rank 2"):
        lax.argmax(x, 2, np.int32)
    with pytest.raises(ValueError, match="axis 3 .* rank 2"):
        lax.cumsum(x, 3)
    with pytest.raises(ValueError, match="rank 0"):
        lax.cumsum(np.float32(1.0))


def test_bad_axes_on_the_primitive_name_the_rank():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"reduce_max: axes \(5,\) .* rank 2"):
        lax.reduce_max_p.bind(x, axes=(5,))
    with pytest.raises(ValueError, match="argmax takes exactly one axis"):
        lax.argmax_p.bind(x, axes=(0, 1), index_dtype=np.dtype(np.int32))
    with pytest.raises(ValueError, match="cumsum: axis 2 .* rank 2"):
        jaxlite.make_jaxpr(lambda v: lax.cumsum_p.bind(v, axis=2, reverse=False))(x)


def test_bad_dtypes_and_empty_argmax():
    with pytest.raises(TypeError, match="reduce_prod requires .* bool"):
        lax.reduce_prod(np.array([True, False]), (0,))
    with pytest.raises(TypeError, match="cumsum requires"):
        lax.cumsum(np.array([True, False]))
    with pytest.raises(TypeError, match="index_dtype must be an integer dtype"):
        lax.argmax(np.zeros(3), 0, np.float32)
    with pytest.raises(ValueError, match=r"argmin: axis 0 of shape \(0, 2\) is empty"):
        lax.argmin(np.zeros((0, 2)), 0, np.int32)
