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
    assert cfg.read("jax_enable_x64") is False
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
    with pytest.raises(ValueError, match="CPU only"):
        jaxlite.config.update("jax_platform_name", "gpu")
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


# ------------------------------------------------- checks (jax_enable_checks)

def _drop_first_eqn(jaxpr, used_outputs=None):
    """A deliberately broken DCE: it drops a live equation."""
    from jaxlite.ir import Jaxpr
    return Jaxpr(jaxpr.constvars, jaxpr.invars, jaxpr.eqns[1:], jaxpr.outvars)


def _f(x):
    return jnp.sum(jnp.sin(x) * x)


def test_checks_catch_a_broken_jaxpr_where_it_is_built(monkeypatch):
    from jaxlite.interpreters import partial_eval as pe
    x = np.linspace(0.0, 1.0, 4)
    monkeypatch.setattr(pe, "dce", _drop_first_eqn)
    with _checks(False):
        closed = jaxlite.make_jaxpr(_f)(x)        # checks off: built silently
    assert len(closed.jaxpr.eqns) == 2
    saved = jaxlite.config.jax_enable_checks      # on in CI (JAXLITE_CHECKS=1)
    jaxlite.config.update("jax_enable_checks", True)
    try:
        assert jaxlite.config.jax_enable_checks is True
        with pytest.raises(TypeError, match="make_jaxpr built an ill-typed jaxpr: variable "
                                            "of type f64\\[4\\] used before definition"):
            jaxlite.make_jaxpr(_f)(x)
        with pytest.raises(TypeError, match="linearize built an ill-typed jaxpr"):
            jaxlite.grad(_f)(x)
    finally:
        jaxlite.config.update("jax_enable_checks", saved)


def test_checks_name_the_jit_rule_that_built_a_broken_jaxpr(monkeypatch):
    from jaxlite.interpreters import partial_eval as pe
    x = np.linspace(0.0, 1.0, 4)
    g = jaxlite.jit(_f)
    g.lower(x)                                     # traced (and cached) while DCE works
    monkeypatch.setattr(pe, "dce", _drop_first_eqn)
    with pytest.raises(TypeError, match="jit's jvp rule built an ill-typed jaxpr"):
        with _checks(True):
            jaxlite.jvp(g, (x,), (np.ones(4),))


def _checks(on):
    return jaxlite.enable_checks(on)       # as jax.enable_checks: this thread only


def test_checks_catch_a_mistyped_equation_inside_a_jit_call():
    from jaxlite import ir
    from jaxlite.core import ShapedArray
    from jaxlite.jit_primitive import jit_p
    f32 = ShapedArray((3,), np.dtype("float32"))
    a, b = ir.Var(f32), ir.Var(ShapedArray((3,), np.dtype("float64")))   # sin of f32 is f32
    sin_p = jaxlite.core.all_primitives["sin"]
    inner = ir.ClosedJaxpr(ir.Jaxpr([], [a], [ir.Eqn(sin_p, [a], {}, [b])], [b]), [])

    def outer(x):
        return jit_p.bind(x, jaxpr=inner, name="broken")[0]
    x = np.ones(3, np.float32)
    with _checks(False):
        jaxlite.make_jaxpr(outer)(x)                # checks off: not looked at
    with _checks(True), pytest.raises(TypeError, match="sin: declared output f64\\[3\\] but "
                                                      "rule gives f32\\[3\\]"):
        jaxlite.make_jaxpr(outer)(x)


def test_checks_off_cost_nothing(monkeypatch):
    # With checks off the typechecker is never called.
    from jaxlite.interpreters import partial_eval as pe

    def boom(*a, **k):
        raise AssertionError("typecheck ran with checks off")
    monkeypatch.setattr(pe, "check", boom)
    x = np.linspace(0.0, 1.0, 4)
    with _checks(False):
        np.testing.assert_allclose(jaxlite.grad(_f)(x), np.sin(x) + x * np.cos(x))
    with _checks(True), pytest.raises(AssertionError, match="with checks off"):
        jaxlite.make_jaxpr(_f)(x)
