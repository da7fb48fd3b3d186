"""Top-level names JAX programs use: jacobian, typeof, and an array's placement
attributes (devices, device, sharding) on jaxlite's single CPU device."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp


def test_jacobian_is_jacrev():
    x = jnp.array([0.5, 1.0])
    np.testing.assert_allclose(jaxlite.jacobian(jnp.sin)(x), np.diag(np.cos([0.5, 1.0])),
                               rtol=1e-6)
    j = jaxlite.jacobian(lambda a, b: a * b, argnums=1)(x, jnp.array([2.0, 3.0]))
    np.testing.assert_allclose(j, np.diag([0.5, 1.0]))


def test_typeof():
    t = jaxlite.typeof(jnp.ones((2, 3)))
    assert (t.shape, t.dtype, t.weak_type) == ((2, 3), np.float32, False)
    assert jaxlite.typeof(1.0).weak_type
    seen = []
    jaxlite.jit(lambda x: seen.append(jaxlite.typeof(x)) or x)(jnp.ones(4, jnp.int32))
    assert (seen[0].shape, seen[0].dtype) == ((4,), np.int32)
    with pytest.raises(TypeError):
        jaxlite.typeof([1.0])


def test_devices_device_sharding():
    x = jnp.arange(3.0)
    dev = jaxlite.devices()[0]
    assert x.devices() == {dev}
    assert x.device == dev
    s = x.sharding
    assert s.device_set == {dev} and s.is_fully_replicated and s.num_devices == 1
    assert s == jaxlite.jit(lambda v: v * 2)(x).sharding
    assert "SingleDeviceSharding" in repr(s)
    assert jaxlite.device_put(np.ones(2), x.device).device == dev


def test_at_get_modes_match_jax():
    x = jnp.arange(4.0)
    i = jnp.array([1, 5, -1, -7])
    # Expected values printed by JAX 0.10.2 for the same calls.
    np.testing.assert_array_equal(x.at[i].get(), [1, 3, 3, 0])
    np.testing.assert_array_equal(x.at[i].get(mode="clip"), [1, 3, 3, 0])
    np.testing.assert_array_equal(x.at[i].get(mode="fill"), [1, np.nan, 3, np.nan])
    np.testing.assert_array_equal(x.at[i].get(mode="drop"), [1, np.nan, 3, np.nan])
    np.testing.assert_array_equal(x.at[i].get(mode="fill", fill_value=9), [1, 9, 3, 9])
    np.testing.assert_array_equal(jnp.arange(4).at[i].get(mode="fill"),
                                  [1, -2 ** 31, 3, -2 ** 31])
    assert bool(jnp.array([True, False]).at[jnp.array([3])].get(mode="fill")[0])
    assert np.isnan(x.at[5].get(mode="fill"))
    m = jnp.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(m.at[1, jnp.array([0, 3])].get(mode="fill"), [3, np.nan])
    f = jaxlite.jit(lambda x, i: x.at[i].get(mode="fill", fill_value=-1.0))
    np.testing.assert_array_equal(f(x, i), [1, -1, 3, -1])
    g = jaxlite.grad(lambda x: x.at[i].get(mode="fill", fill_value=0.0).sum())(x)
    np.testing.assert_array_equal(g, [0, 1, 0, 1])
    with pytest.raises(ValueError, match="gather mode"):
        x.at[i].get(mode="bad")
