"""Array creation (array, zeros/ones/full and their _like forms, arange,
linspace, logspace, geomspace, eye, tri, indices) and the jnp namespace
constants and scalar types, against numpy in every dtype."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp

from helpers import B, DTYPES, F32, F64, I32, I64, data, layouts, same, same_exact


def test_array_dtype_defaults():
    same_exact(jnp.array(1.5), np.float32(1.5))
    same_exact(jnp.array(3), np.int32(3))
    same_exact(jnp.array(True), np.bool_(True))
    same_exact(jnp.array([1.0, 2.0]), np.array([1, 2], np.float32))
    same_exact(jnp.array([1, 2]), np.array([1, 2], np.int32))
    same_exact(jnp.array([[1, 2.5], [3, 4]]), np.array([[1, 2.5], [3, 4]], np.float32))
    same_exact(jnp.array(np.ones(2, np.float64)), np.ones(2))
    same_exact(jnp.array(np.ones(2, np.int64)), np.ones(2, np.int64))
    same_exact(jnp.array(np.ones(2, np.uint8)), np.ones(2, np.uint8))
    same_exact(jnp.array(np.ones(2, np.float16)), np.ones(2, np.float16))
    same_exact(jnp.array([np.float64(1.0), 2.0]), np.array([1, 2], np.float64))
    same_exact(jnp.array([1, 2], dtype=jnp.float64), np.array([1, 2], np.float64))
    same_exact(jnp.array([1, 2], dtype=float), np.array([1, 2], np.float32))
    same_exact(jnp.array([]), np.zeros(0, np.float32))
    same_exact(jnp.array(5, ndmin=2), np.full((1, 1), 5, np.int32))
    same_exact(jnp.asarray((1, 2)), np.array([1, 2], np.int32))
    assert isinstance(jnp.array(1.0), jnp.ndarray)


def test_array_copies_and_is_immutable():
    src = np.zeros(3, np.float32)
    a = jnp.array(src)
    src[0] = 5
    assert float(a[0]) == 0.0
    with pytest.raises(TypeError, match=r"x.at\[idx\].set\(value\)"):
        a[0] = 1.0


def test_array_of_tracers_stacks():
    f = jaxlite.jit(lambda x, y: jnp.array([x, y, [1.0, 2.0]]))
    same_exact(f(np.ones(2, np.float32), np.zeros(2, np.float32)),
          np.array([[1, 1], [0, 0], [1, 2]], np.float32))
    g = jaxlite.grad(lambda x: jnp.sum(jnp.array([x, 2 * x]) ** 2))
    assert float(g(1.0)) == pytest.approx(10.0)


@pytest.mark.parametrize("shape", [(), 0, 3, (2, 0), (2, 3)])
def test_zeros_ones_full(shape):
    same_exact(jnp.zeros(shape), np.zeros(shape, np.float32))
    same_exact(jnp.ones(shape, jnp.int32), np.ones(shape, np.int32))
    same_exact(jnp.full(shape, 7), np.full(shape, 7, np.int32))
    same_exact(jnp.full(shape, 2.5, jnp.float64), np.full(shape, 2.5))
    same_exact(jnp.empty(shape), np.zeros(shape, np.float32))
    base = np.ones(shape, np.int64)
    same_exact(jnp.zeros_like(base), np.zeros(shape, np.int64))
    same_exact(jnp.ones_like(base, dtype=jnp.bool_), np.ones(shape, bool))
    same_exact(jnp.full_like(base, 3.7), np.full(shape, 3, np.int64))
    same_exact(jnp.full((2,) + np.shape(base), base), np.ones((2,) + np.shape(base), np.int64))


def test_traced_fill_and_like():
    f = jaxlite.jit(lambda v: jnp.full((2, 2), v) + jnp.zeros_like(v))
    same_exact(f(np.float32(3)), np.full((2, 2), 3, np.float32))
    g = jaxlite.grad(lambda v: jnp.sum(jnp.full((3,), v)))
    assert float(g(2.0)) == 3.0


def test_arange_linspace_eye():
    same_exact(jnp.arange(5), np.arange(5, dtype=np.int32))
    same_exact(jnp.arange(1, 7, 2), np.arange(1, 7, 2, dtype=np.int32))
    same_exact(jnp.arange(0.0, 1.0, 0.25), np.arange(0, 1, 0.25, dtype=np.float32))
    same_exact(jnp.arange(5, 0, -2), np.arange(5, 0, -2, dtype=np.int32))
    same_exact(jnp.arange(3, dtype=jnp.float64), np.arange(3.0))
    same_exact(jnp.arange(0), np.arange(0, dtype=np.int32))
    np.testing.assert_allclose(jnp.linspace(0, 1, 5), np.linspace(0, 1, 5, dtype=np.float32))
    assert jnp.linspace(0, 1, 5).dtype == np.float32
    np.testing.assert_allclose(jnp.linspace(0, 1, 4, endpoint=False), [0, 0.25, 0.5, 0.75])
    out, step = jnp.linspace(2.0, 3.0, 3, retstep=True)
    assert step == pytest.approx(0.5)
    assert step.dtype == np.float32         # as JAX: an array of the float dtype, not a float64
    assert jnp.linspace(0, 4, 3, retstep=True, dtype=jnp.int32)[1].dtype == np.float32
    np.testing.assert_allclose(jnp.linspace(np.zeros(2), np.ones(2), 3, axis=1),
                               np.linspace(np.zeros(2), np.ones(2), 3, axis=1), rtol=1e-6)
    f = jaxlite.jit(lambda a, b: jnp.linspace(a, b, 5))
    np.testing.assert_allclose(f(np.float32(0), np.float32(2)), np.linspace(0, 2, 5), rtol=1e-6)
    same_exact(jnp.eye(3), np.eye(3, dtype=np.float32))
    same_exact(jnp.eye(2, 4, k=1, dtype=jnp.int32), np.eye(2, 4, 1, dtype=np.int32))
    same_exact(jnp.identity(2), np.eye(2, dtype=np.float32))


def test_bad_inputs():
    with pytest.raises(ValueError, match="negative dimensions"):
        jnp.zeros((2, -1))
    with pytest.raises(TypeError, match="not support|unsupported"):
        jnp.zeros(3, dtype=np.complex256)
    with pytest.raises(jaxlite.ConcretizationTypeError, match="arange"):
        jaxlite.jit(lambda n: jnp.arange(n))(3)
    with pytest.raises(ValueError, match="must be non-negative"):
        jnp.linspace(0, 1, -1)
    with pytest.raises(TypeError, match="cannot convert"):
        jnp.array("abc")
    with pytest.raises(OverflowError):
        jnp.array(2 ** 40)


def test_namespace_constants():
    assert jnp.pi == np.pi and np.isinf(jnp.inf) and np.isnan(jnp.nan)
    assert jnp.newaxis is None
    assert jnp.ndarray is jaxlite.Array
    for name, dt in [("float32", np.float32), ("float64", np.float64), ("int32", np.int32),
                     ("int64", np.int64), ("bool_", np.bool_)]:
        assert np.dtype(getattr(jnp, name)) == dt
        assert jnp.zeros(1, getattr(jnp, name)).dtype == dt
    assert jnp.result_type(np.ones(2, np.int32), 1.5) == np.float32
    assert jnp.result_type(jnp.int32, jnp.float64) == np.float64
    assert jnp.promote_types(jnp.int64, jnp.float32) == np.float32
    assert jnp.finfo(jnp.float32).eps == np.finfo(np.float32).eps
    assert jnp.shape(np.ones((2, 3))) == (2, 3) and jnp.ndim(1.0) == 0 and jnp.size(np.ones(4)) == 4
    assert bool(jnp.array_equal(np.ones(2), np.ones(2)))


def test_scalar_types_cast_like_jax():
    out = jnp.float32(3)
    assert isinstance(out, jnp.ndarray) and out.dtype == np.float32 and out.shape == ()
    same_exact(jnp.int32(np.array([1.7, -2.2])), np.array([1, -2], np.int32))
    f = jaxlite.jit(lambda x: jnp.float64(x) / 2)
    same_exact(f(np.arange(3, dtype=np.int32)), np.arange(3) / 2)
    assert np.zeros(2, jnp.int64).dtype == np.int64
    assert jnp.arange(2).dtype == jnp.int32


# ------------------------------------------------------------------ creation

def test_creation_edge_cases_vs_numpy():
    for num in (0, 1, 2, 7):
        for endpoint in (True, False):
            same(jnp.linspace(-1.0, 3.0, num, endpoint=endpoint),
                  np.linspace(-1.0, 3.0, num, endpoint=endpoint), F32)
    same(jnp.linspace(0, 10, 5, dtype=jnp.int32), np.linspace(0, 10, 5).astype(I32))
    same(jnp.linspace(0.0, 1.0, 4, dtype=jnp.float64), np.linspace(0, 1, 4))
    same(jnp.arange(2.0, -1.0, -0.5), np.arange(2.0, -1.0, -0.5, dtype=F32))
    same(jnp.arange(5, 1), np.arange(5, 1, dtype=I32))
    same(jnp.arange(np.int64(3)), np.arange(3, dtype=I64))
    for n, m, k in [(0, None, 0), (3, 0, 0), (2, 5, 4), (4, 3, -3), (3, 3, 9)]:
        same(jnp.eye(n, m, k), np.eye(n, m, k, dtype=F32))
    for dt in DTYPES:
        same(jnp.eye(3, dtype=dt), np.eye(3, dtype=dt))
        same(jnp.arange(4, dtype=dt) if dt != B else jnp.arange(2, dtype=dt),
              np.arange(4, dtype=dt) if dt != B else np.arange(2, dtype=dt))
        x = data((2, 3), dt)
        for arg in layouts(x) + [np.zeros((0, 3), dt)]:
            same(jnp.zeros_like(arg), np.zeros(arg.shape, dt))
            same(jnp.ones_like(arg), np.ones(arg.shape, dt))
            same(jnp.full_like(arg, 1), np.full(arg.shape, 1, dt))
            same(jnp.array(arg), arg)
            same(jnp.asarray(arg), arg)
    fill = np.arange(3.0)[::-1]
    same(jnp.full((2, 3), fill), np.full((2, 3), fill))


def test_fill_values_are_checked_not_silently_cast():
    # A complex fill of a real array keeps the real part with numpy's warning, as JAX.
    with pytest.warns(np.exceptions.ComplexWarning):
        np.testing.assert_array_equal(jnp.full_like(np.ones(3), 1j), np.zeros(3))
    with pytest.warns(np.exceptions.ComplexWarning):
        np.testing.assert_array_equal(jnp.full(3, 2 + 1j, jnp.float32), np.full(3, 2.0))
    with pytest.raises(TypeError, match="str"):
        jnp.full(3, "7", jnp.float32)
    with pytest.raises(OverflowError, match="int32"):
        jnp.full(2, 2 ** 40, jnp.int32)
    same(jnp.full(2, 2 ** 40, jnp.int64), np.full(2, 2 ** 40, I64))
    same(jnp.full(2, 2 ** 40, jnp.float64), np.full(2, 2.0 ** 40))
    same(jnp.full_like(np.ones(2, I32), 3.7), np.full(2, 3, I32))


LINSPACES = [(-5, 5, 4), (0, 1, 3), (2.5, -3.5, 7), (0.1, 0.7, 1), (0.1, 0.7, 0), (-1, 1, 9)]


@pytest.mark.parametrize("dt", [I32, I64, F32, F64], ids=lambda d: np.dtype(d).name)
def test_linspace_every_dtype_concrete_and_traced(dt):
    """Integer samples round down (numpy >= 2 and JAX floor, -5..5 in 4 is
    [-5, -2, 1, 5]); traced endpoints give the same samples, the exact stop,
    and numpy's step (nan when there is no interval)."""
    for start, stop, num in LINSPACES:
        for endpoint in (True, False):
            ref, ref_step = np.linspace(start, stop, num, endpoint=endpoint, retstep=True,
                                        dtype=dt)
            out, step = jnp.linspace(start, stop, num, endpoint=endpoint, retstep=True,
                                     dtype=dt)
            same(out, ref)
            np.testing.assert_allclose(step, ref_step, equal_nan=True)
            f = jaxlite.jit(lambda a, b: jnp.linspace(a, b, num, endpoint=endpoint,
                                                      retstep=True, dtype=dt))
            out, step = f(np.float64(start), np.float64(stop))
            assert out.dtype == ref.dtype and out.shape == ref.shape
            np.testing.assert_allclose(out, ref, rtol=1e-6 if dt == F32 else 1e-12,
                                       atol=1e-6 if dt == F32 else 0)
            np.testing.assert_allclose(step, ref_step, rtol=1e-6, equal_nan=True)
    got = jaxlite.jit(lambda a, b: jnp.linspace(a, b, 7))(np.float32(0.1), np.float32(0.7))
    assert got[-1] == np.float32(0.7)
    a, b = np.array([0.0, 1.0]), np.array([[2.0], [3.0]])
    same(jaxlite.jit(lambda a, b: jnp.linspace(a, b, 4, axis=-1))(a, b),
          np.linspace(a, b, 4, axis=-1))


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


def test_constants_and_scalar_types():
    assert jnp.e == np.e and jnp.euler_gamma == np.euler_gamma
    # jnp.float_ / int_ are the default float and int types (x64 off: 32 bits).
    assert jnp.float_(3).dtype == np.float32 and float(jnp.float_(2.5)) == 2.5
    assert jnp.int_(3.7).dtype == np.int32 and int(jnp.int_(3.7)) == 3
    assert jnp.dtype("float32") == np.float32 and jnp.dtype(jnp.int64) == np.int64


def test_empty_like_has_the_shape_and_dtype():
    # Its values are unspecified (zeros here): only shape and dtype are checked.
    assert jnp.empty_like(np.ones((2, 3), I32)).shape == (2, 3)
    assert jnp.empty_like(np.ones((2, 3), I32)).dtype == np.int32
    out = jnp.empty_like(np.ones((2, 3)), dtype=jnp.float64, shape=(4,))
    assert out.shape == (4,) and out.dtype == np.float64


@pytest.mark.parametrize("n,m,k", [(3, None, 0), (3, 4, 1), (4, 2, -1), (0, 3, 0), (2, 5, 9)])
def test_tri_vs_numpy(n, m, k):
    same_exact(jnp.tri(n, m, k), np.tri(n, m, k, dtype=np.float32))
    same_exact(jnp.tri(n, m, k, dtype=jnp.int32), np.tri(n, m, k, dtype=np.int32))
