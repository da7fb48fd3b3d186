"""jaxlite.config: JAX's config.update for the options that mean something here."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp


def test_accepted_options():
    cfg = jaxlite.config
    cfg.update("jax_enable_x64", False)
    cfg.update("jax_platform_name", "cpu")
    cfg.update("jax_platforms", "cpu")
    cfg.update("jax_default_matmul_precision", "highest")
    assert cfg.jax_enable_x64 is False and cfg.jax_platform_name == "cpu"
    assert cfg.jax_default_matmul_precision == "highest"


def test_disable_jit_option():
    seen = []

    @jaxlite.jit
    def f(x):
        seen.append(1)
        return x * 2.0
    x = np.arange(3.0)
    f(x)
    f(x)
    assert len(seen) == 1
    jaxlite.config.update("jax_disable_jit", True)
    try:
        np.testing.assert_allclose(f(x), x * 2.0)
        assert len(seen) == 2
        assert jaxlite.config.jax_disable_jit is True
    finally:
        jaxlite.config.update("jax_disable_jit", False)
    f(x)
    assert len(seen) == 2


def test_refused_options_say_what_to_do():
    with pytest.raises(ValueError, match="dtype=jnp.float64"):
        jaxlite.config.update("jax_enable_x64", True)
    assert jnp.ones(2).dtype == np.float32        # nothing changed
    with pytest.raises(ValueError, match="CPU only"):
        jaxlite.config.update("jax_platform_name", "gpu")
    with pytest.raises(ValueError, match="isnan"):
        jaxlite.config.update("jax_debug_nans", True)
    with pytest.raises(ValueError, match="unknown or unsupported option 'jax_nope'"):
        jaxlite.config.update("jax_nope", 1)
    with pytest.raises(AttributeError):
        jaxlite.config.jax_nope
