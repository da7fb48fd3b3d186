"""jnp reductions vs numpy: axes, keepdims, dtypes (JAX's: int32 sums stay
int32), empty arrays, bad axes, derivatives and vmap."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from helpers import check_grads, check_vmap, check_jit

RNG = np.random.default_rng(0)
AXES = [None, 0, 1, -1, (0, 2), (), (2, 1, 0)]


def _x(dtype, shape=(2, 3, 4)):
    if dtype == np.bool_:
        return RNG.random(shape) > 0.4
    if np.dtype(dtype).kind == "i":
        return RNG.integers(-4, 5, size=shape).astype(dtype)
    return RNG.normal(size=shape).astype(dtype)


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
    x = _x(dtype)
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
    x = _x(np.float32)
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
    x = _x(dtype, (3, 4, 5))
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
    x = _x(dtype, (3, 4))
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
    x = RNG.normal(size=(2, 3, 4))
    check_grads(f, (x,))


def test_vmap_and_jit():
    x = RNG.normal(size=(3, 4, 5))
    check_vmap(lambda a: jnp.var(a, axis=1) + jnp.max(a), (x,), 1)
    check_vmap(lambda a: jnp.argmax(a, axis=0), (x,), 2)
    check_vmap(lambda a: jnp.cumsum(a, axis=-1), (x,))
    check_jit(lambda a: (jnp.std(a, axis=0), jnp.argmin(a, axis=1), jnp.any(a > 2)), (x,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.bool_])
def test_cumprod(dtype):
    x = _x(dtype, (3, 5))
    for axis in (None, 0, 1):
        out = jnp.cumprod(x, axis=axis)
        ref = np.cumprod(x, axis=axis)
        assert out.dtype == _jax_dtype("cumsum", dtype)
        np.testing.assert_allclose(out, ref, rtol=1e-6)
    check_grads(lambda a: jnp.cumprod(a, axis=1), (RNG.normal(size=(2, 6)),))
    check_vmap(lambda a: jnp.cumprod(a), (RNG.normal(size=(3, 4)),), 1)
