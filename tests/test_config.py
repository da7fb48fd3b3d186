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


def _traced_counter():
    seen = []

    @jaxlite.jit
    def f(x):
        seen.append(1)
        return x * 2.0
    return f, seen


def test_disable_jit_option_is_global_across_threads():
    # The option is one global value: set in one thread, cleared in another,
    # every thread sees it cleared (it used to leave a per-thread count behind).
    import threading
    f, seen = _traced_counter()
    x = np.arange(3.0)
    f(x)
    t = threading.Thread(target=jaxlite.config.update, args=("jax_disable_jit", True))
    t.start()
    t.join()
    try:
        assert jaxlite.config.jax_disable_jit is True      # set by the other thread
        np.testing.assert_allclose(f(x), 2.0 * x)
        assert len(seen) == 2                              # ran op by op here too
    finally:
        jaxlite.config.update("jax_disable_jit", False)
    assert jaxlite.config.jax_disable_jit is False
    f(x)
    assert len(seen) == 2                                  # compiled again

    # On in thread A, off in thread B: both threads end with jit enabled.
    results = {}

    def turn(value, name):
        jaxlite.config.update("jax_disable_jit", value)
        results[name] = jaxlite.config.jax_disable_jit

    for value, name in ((True, "a"), (False, "b")):
        t = threading.Thread(target=turn, args=(value, name))
        t.start()
        t.join()
    assert results == {"a": True, "b": False}
    assert jaxlite.config.jax_disable_jit is False
    f(x)
    assert len(seen) == 2


def test_disable_jit_context_overrides_the_global_in_its_thread_only():
    import threading
    f, seen = _traced_counter()
    x = np.arange(3.0)
    f(x)
    inside, outside = threading.Event(), threading.Event()
    other = {}

    def in_other_thread():
        inside.wait()
        other["flag"] = jaxlite.config.jax_disable_jit
        other["value"] = np.asarray(f(x))
        outside.set()

    t = threading.Thread(target=in_other_thread)
    t.start()
    with jaxlite.disable_jit():
        assert jaxlite.config.jax_disable_jit is True
        inside.set()
        outside.wait()
        np.testing.assert_allclose(f(x), 2.0 * x)
    t.join()
    assert other["flag"] is False                        # the context is per thread
    np.testing.assert_allclose(other["value"], 2.0 * x)
    assert len(seen) == 2                                # only this thread re-ran f
    assert jaxlite.config.jax_disable_jit is False
    # disable_jit(False) re-enables jit where the global value disables it.
    jaxlite.config.update("jax_disable_jit", True)
    try:
        with jaxlite.disable_jit(False):
            f(x)
            assert len(seen) == 2
        f(x)
        assert len(seen) == 3
    finally:
        jaxlite.config.update("jax_disable_jit", False)
