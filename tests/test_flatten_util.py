"""ravel_pytree: flat vector in the promoted dtype, unravel restores each
leaf's shape and dtype; both directions transform (grad, jit, vmap)."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.flatten_util import ravel_pytree


def test_ravel_and_unravel_round_trip_with_dtypes():
    tree = {"a": jnp.ones(2, jnp.int32), "b": (jnp.float32(2.0),), "c": True,
            "d": jnp.arange(6.0).reshape(2, 3)}
    flat, unravel = ravel_pytree(tree)
    assert flat.dtype == np.float32 and flat.shape == (10,)
    np.testing.assert_array_equal(flat, [1, 1, 2, 1, 0, 1, 2, 3, 4, 5])
    back = unravel(flat)
    assert back["a"].dtype == np.int32 and back["c"].dtype == np.bool_
    assert back["d"].shape == (2, 3)
    np.testing.assert_array_equal(back["d"], tree["d"])
    # Values of the promoted dtype are cast back per leaf (as JAX: float -> int truncates).
    out = unravel(jnp.arange(10.0) + 0.5)
    np.testing.assert_array_equal(out["a"], [0, 1])
    assert bool(out["c"]) is True


def test_weak_python_scalars_and_empty_tree():
    flat, unravel = ravel_pytree((1.0, 2))
    assert flat.dtype == np.float32
    a, b = unravel(flat)
    assert b.dtype == np.int32 and int(b) == 2
    flat, unravel = ravel_pytree([])
    assert flat.shape == (0,) and flat.dtype == np.float32 and unravel(flat) == []


def test_float64_inputs_stay_float64():
    flat, _ = ravel_pytree((np.ones(2), 2))
    assert flat.dtype == np.float64


def test_unravel_checks_shape_and_dtype():
    _, unravel = ravel_pytree({"w": jnp.ones((2, 2))})
    with pytest.raises(ValueError, match=r"\(4,\)"):
        unravel(jnp.ones(5))
    with pytest.raises(TypeError, match="int32"):
        unravel(jnp.ones(4, jnp.int32))


def test_transforms():
    params = {"w": jnp.ones((2, 3)), "b": jnp.arange(3.0)}
    flat, unravel = ravel_pytree(params)
    loss = lambda v: jnp.sum(unravel(v)["w"] ** 2) + jnp.sum(unravel(v)["b"] ** 3)  # noqa
    g = jaxlite.grad(loss)(flat)
    expected = np.concatenate([3 * np.arange(3.0) ** 2, 2 * np.ones(6)])   # b first (sorted)
    np.testing.assert_allclose(g, expected)
    np.testing.assert_allclose(jaxlite.jit(loss)(flat), loss(flat), rtol=1e-6)
    g_tree = jaxlite.grad(lambda p: jnp.sum(ravel_pytree(p)[0] ** 2))(params)
    np.testing.assert_allclose(g_tree["w"], 2 * np.ones((2, 3)))
    batched = jaxlite.vmap(lambda v: unravel(v)["b"])(jnp.stack([flat, 2 * flat]))
    np.testing.assert_allclose(batched, [[0, 1, 2], [0, 2, 4]])
