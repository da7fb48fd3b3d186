"""lax.sort / lax.argsort: eager and compiled against numpy's stable sort (NaN
last, ties in index order), derivatives against finite differences, vmap
against loops."""
import numpy as np
import pytest

import jaxlite
from jaxlite import lax
from helpers import check_grads, check_jit, check_vmap

RNG = np.random.default_rng(11)
DTYPES = [np.float32, np.float64, np.int32, np.int64, np.bool_]
SHAPES = [((7,), 0), ((3, 8), 1), ((6, 4), 0), ((2, 3, 9), 1), ((2, 3, 5), -1),
          ((0, 3), 1), ((4, 1), 1), ((3, 0), 1), ((1,), 0)]


def data(shape, dtype):
    """Values with ties, and for floats NaN, -0.0 next to 0.0 and infinities."""
    x = RNG.integers(-3, 4, shape).astype(dtype)
    if np.dtype(dtype).kind == "f" and x.size >= 4:
        flat = x.reshape(-1)
        flat[:4] = [np.nan, -0.0, np.inf, -np.inf]
        flat[4:] += (RNG.standard_normal(flat.size - 4) * (RNG.random(flat.size - 4) > 0.5))
        x = flat.reshape(shape)
        x = np.take(x, RNG.permutation(x.shape[0]), axis=0)
    return x


def same(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(np.asarray(got), want)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", SHAPES)
def test_eager_and_compiled_match_numpy(shape, dim, dtype):
    x = data(shape, dtype)
    want_sort = np.sort(x, axis=dim, kind="stable")
    want_arg = np.argsort(x, axis=dim, kind="stable").astype(np.int32)
    same(lax.sort(x, dim), want_sort)
    same(lax.argsort(x, dim), want_arg)
    same(jaxlite.jit(lambda v: lax.sort(v, dim))(x), want_sort)
    same(jaxlite.jit(lambda v: lax.argsort(v, dim))(x), want_arg)


def test_non_contiguous_inputs_and_fused_producers():
    x = RNG.standard_normal((9, 12))[::2, ::-3]
    same(jaxlite.jit(lambda v: lax.sort(v, 0))(x), np.sort(x, axis=0))
    f = jaxlite.jit(lambda v: lax.argsort(v * 2.0 - 1.0, 1, np.int64))
    same(f(x), np.argsort(x * 2.0 - 1.0, axis=1, kind="stable"))


def test_long_lines_compiled():
    x = RNG.standard_normal((3, 5000)).astype(np.float32)
    x[:, ::7] = 0.5                                   # many ties
    same(jaxlite.jit(lambda v: lax.argsort(v, 1))(x),
         np.argsort(x, axis=1, kind="stable").astype(np.int32))
    same(jaxlite.jit(lambda v: lax.sort(v, 1))(x), np.sort(x, axis=1))


def distinct(shape):
    return RNG.permutation(np.prod(shape)).reshape(shape) * 0.37 + RNG.standard_normal(shape) * 0.01


@pytest.mark.parametrize("shape,dim", [((6,), 0), ((3, 5), 1), ((4, 3), 0), ((2, 3, 4), 1)])
def test_sort_derivatives(shape, dim):
    x = distinct(shape)
    w = RNG.standard_normal(shape)
    check_grads(lambda v: lax.sort(v, dim) * w, (x,), order=2)
    check_grads(lambda v: lax.sort(v * v, dim), (x,), order=2)


def test_sort_gradient_follows_the_values():
    x = np.array([3.0, 1.0, 2.0])
    g = jaxlite.grad(lambda v: (lax.sort(v, 0) * np.array([1.0, 10.0, 100.0])).sum())(x)
    np.testing.assert_array_equal(g, [100.0, 1.0, 10.0])
    g = jaxlite.jit(jaxlite.grad(lambda v: lax.sort(v, 0)[-1]))(x)  # d max / dx
    np.testing.assert_array_equal(g, [1.0, 0.0, 0.0])


def test_argsort_has_zero_tangent():
    x = distinct((5,))
    _, t = jaxlite.jvp(lambda v: lax.argsort(v, 0), (x,), (np.ones(5),))
    assert np.asarray(t).dtype.kind in "iV" or not np.any(np.asarray(t))


@pytest.mark.parametrize("in_axes", [0, 1, -1])
def test_vmap_against_loop(in_axes):
    x = data((4, 5, 6), np.float64)
    check_vmap(lambda v: lax.sort(v, 0), (x,), in_axes=in_axes)
    check_vmap(lambda v: lax.argsort(v, -1), (x,), in_axes=in_axes)


def test_nested_vmap_and_jit_of_vmap():
    x = data((3, 4, 7), np.float32)
    f = jaxlite.vmap(jaxlite.vmap(lambda v: lax.argsort(v, 0)))
    same(f(x), np.argsort(x, axis=2, kind="stable").astype(np.int32))
    same(jaxlite.jit(jaxlite.vmap(lambda v: lax.sort(v, 0), in_axes=1))(x),
         np.moveaxis(np.sort(x, axis=0), 1, 0))
    check_jit(lambda v: lax.sort(v, 1) + lax.argsort(v, 1), (x,))


def test_bad_input():
    with pytest.raises(ValueError, match="rank 0"):
        lax.sort(np.float32(1.0))
    with pytest.raises(ValueError, match="dimension 2"):
        lax.argsort(np.ones((2, 3)), 2)
    with pytest.raises(TypeError):
        lax.argsort(np.ones(3), 0, np.float32)


# ----------------------------------------------------------------- jnp level

import jaxlite.numpy as jnp  # noqa: E402


def test_jnp_sort_and_argsort_match_numpy_and_jax_conventions():
    x = np.array([[1.0, 2, 2, np.nan, 0], [3, 3, 1, -1, 3]])
    same(jnp.sort(x), np.sort(x))
    same(jnp.sort(x, axis=None), np.sort(x, axis=None))
    same(jnp.sort(x, axis=0), np.sort(x, axis=0))
    same(jnp.argsort(x), np.argsort(x, kind="stable").astype(np.int32))
    same(jnp.argsort(x, axis=None), np.argsort(x, axis=None, kind="stable").astype(np.int32))
    # Descending: the reverse of ascending for values (NaN first), and stable
    # (ties keep index order) for indices, as JAX.
    same(jnp.sort(x, descending=True), np.sort(x)[:, ::-1])
    same(jnp.argsort(x, descending=True), np.array([[3, 1, 2, 0, 4], [0, 1, 4, 2, 3]], np.int32))
    f = jaxlite.jit(lambda v: jnp.argsort(v, axis=0, descending=True))
    same(f(x), np.array([[1, 1, 0, 0, 1], [0, 0, 1, 1, 0]], np.int32))


def test_jnp_sort_bad_input():
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.sort(np.float32(1.0))
    with pytest.raises(ValueError):
        jnp.argsort(np.ones((2, 3)), axis=3)
    with pytest.raises(TypeError, match="order"):
        jnp.sort(np.ones(3), order="x")


def test_median_style_use_under_grad_and_vmap():
    x = distinct((4, 7))
    top2 = lambda v: jnp.sort(v)[-2:].sum()
    np.testing.assert_allclose(jaxlite.vmap(top2)(x), np.sort(x, axis=1)[:, -2:].sum(1))
    g = jaxlite.grad(top2)(x[0])
    want = np.zeros(7)
    want[np.argsort(x[0])[-2:]] = 1.0
    np.testing.assert_array_equal(g, want)
