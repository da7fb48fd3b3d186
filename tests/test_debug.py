"""debug.callback and debug.breakpoint: called with the values when the program
runs (eagerly, every call of a jit-compiled function, once per element under
vmap, with primals under grad), in program order, never folded or merged away."""
import sys

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp


def _recorder():
    log = []
    return log, lambda tag: (lambda *a, **k: log.append(
        (tag,) + tuple(np.asarray(v).tolist() for v in a) + tuple(sorted(k.items()))))


def test_eager_callback_gets_arrays_and_kwargs():
    log, rec = _recorder()
    seen = []
    jaxlite.debug.callback(lambda x, y: seen.append((type(x), y)), jnp.ones(2), 3.0)
    assert seen[0][0] is jaxlite.Array and float(seen[0][1]) == 3.0
    jaxlite.debug.callback(rec("kw"), jnp.arange(3.0), scale="s")
    assert log == [("kw", [0.0, 1.0, 2.0], ("scale", "s"))]
    tree = []
    jaxlite.debug.callback(lambda d: tree.append(sorted(d)), {"a": 1.0, "b": jnp.ones(1)})
    assert tree == [["a", "b"]]
    assert jaxlite.debug.callback(rec("none")) is None
    with pytest.raises(TypeError):
        jaxlite.debug.callback(3)


def _program(rec):
    def f(x):
        jaxlite.debug.callback(rec("a"), x * 2)
        y = jnp.sin(x)
        jaxlite.debug.callback(rec("b"), y)
        jaxlite.debug.callback(rec("c"))
        jaxlite.debug.callback(rec("c"))          # identical: must not be merged
        jaxlite.debug.callback(rec("d"), 3.0)     # constant: must not be folded
        return y + 1
    return f


def test_jit_calls_every_time_in_program_order():
    log, rec = _recorder()
    f = jaxlite.jit(_program(rec))
    x = np.array([0.5, 1.0], np.float32)
    for k in range(3):
        log.clear()
        out = f(x + k)
        np.testing.assert_allclose(out, np.sin(x + k) + 1, rtol=1e-6)
        assert [e[0] for e in log] == ["a", "b", "c", "c", "d"]
        np.testing.assert_allclose(log[0][1], 2 * (x + k), rtol=1e-6)
        np.testing.assert_allclose(log[1][1], np.sin(x + k), rtol=1e-6)
        assert log[4][1] == 3.0


def test_eager_jit_order_matches():
    log, rec = _recorder()
    f = _program(rec)
    f(np.array([0.5, 1.0]))
    eager = [e[0] for e in log]
    log.clear()
    jaxlite.jit(f)(np.array([0.5, 1.0]))
    assert [e[0] for e in log] == eager


def test_vmap_calls_once_per_element_as_jax():
    log, rec = _recorder()
    f = _program(rec)
    x = np.arange(4.0).reshape(2, 2)
    for g in (jaxlite.vmap(f), jaxlite.jit(jaxlite.vmap(f))):
        log.clear()
        g(x)
        a = [e[1] for e in log if e[0] == "a"]
        assert a == [[0.0, 2.0], [4.0, 6.0]]
        # Callbacks on unbatched values run once, as in JAX.
        assert [e[0] for e in log] == ["a", "a", "b", "b", "c", "c", "d"]


def test_grad_sees_primals_and_derivative_is_unchanged():
    log, rec = _recorder()
    f = _program(rec)
    x = np.array([0.3, 0.7])
    for g in (jaxlite.grad(lambda v: f(v).sum()), jaxlite.jit(jaxlite.grad(lambda v: f(v).sum()))):
        log.clear()
        np.testing.assert_allclose(g(x), np.cos(x), rtol=1e-12)
        np.testing.assert_allclose([e for e in log if e[0] == "a"][0][1], 2 * x)
        assert [e[0] for e in log] == ["a", "b", "c", "c", "d"]


def test_callback_inside_compiled_loop_runs_each_trip():
    log, rec = _recorder()

    def body(i, c):
        jaxlite.debug.callback(rec("i"), i, c)
        return c * 2.0
    out = jaxlite.jit(lambda c: jaxlite.lax.fori_loop(0, 3, body, c))(1.0)
    assert float(out) == 8.0
    assert [e[1:] for e in log] == [(0, 1.0), (1, 2.0), (2, 4.0)]


def test_exception_in_compiled_callback_is_reported_not_fatal(capsys):
    def bad(x):
        raise RuntimeError("boom in callback")
    f = jaxlite.jit(lambda x: (jaxlite.debug.callback(bad, x), x + 1)[1])
    np.testing.assert_allclose(f(np.ones(2)), [2, 2])
    assert "boom in callback" in capsys.readouterr().err
    with pytest.raises(RuntimeError):            # eagerly it propagates
        jaxlite.debug.callback(bad, 1.0)


def test_breakpoint_calls_the_breakpoint_hook(monkeypatch):
    hits = []
    monkeypatch.setattr(sys, "breakpointhook", lambda *a, **k: hits.append(1))
    jaxlite.debug.breakpoint()
    assert hits == [1]
    f = jaxlite.jit(lambda x: (jaxlite.debug.breakpoint(), x * 2)[1])
    f(np.ones(2))
    f(np.ones(2))
    assert hits == [1, 1, 1]


def test_array_kwargs_are_operands_and_other_leaves_pass_through():
    got = []
    f = jaxlite.jit(lambda x: (jaxlite.debug.callback(
        lambda v, total, tag: got.append((v.tolist(), float(total), tag)), x,
        total=jnp.sum(x), tag="t"), x)[1])
    f(np.array([1.0, 2.0]))
    f(np.array([3.0, 4.0]))
    assert got == [([1.0, 2.0], 3.0, "t"), ([3.0, 4.0], 7.0, "t")]


def test_debug_print_prints_values_under_jit_every_call(capsys):
    f = jaxlite.jit(lambda x: (jaxlite.debug.print("v={v} s={}", jnp.sum(x), v=x), x)[1])
    f(np.array([1.0, 2.0], np.float32))
    f(np.array([3.0, 4.0], np.float32))
    assert capsys.readouterr().out == "v=[1. 2.] s=3.0\nv=[3. 4.] s=7.0\n"


def test_effects_barrier_after_jit_sees_every_callback():
    # JAX programs call jax.effects_barrier() before reading what callbacks
    # recorded; jaxlite's callbacks already ran, so it returns None at once.
    seen = []
    f = jaxlite.jit(lambda x: (jaxlite.debug.callback(seen.append, x * 2), x)[1])
    f(np.float32(1.5))
    assert jaxlite.effects_barrier() is None
    np.testing.assert_allclose(seen, [3.0])


def test_debug_print_formats_arrays_in_containers_as_jax(capsys):
    # str of an array is numpy's text; inside a container its repr shows, as
    # JAX's Array(...) (not numpy's array(...)).
    jaxlite.jit(lambda x: jaxlite.debug.print("{} {d}", x, d={"a": x}))(np.float32(1.0))
    jaxlite.debug.print("{}", [np.ones(2, np.float32)])
    assert capsys.readouterr().out == ("1.0 {'a': Array(1., dtype=float32)}\n"
                                       "[Array([1., 1.], dtype=float32)]\n")


def test_callbacks_in_compiled_control_flow():
    from jaxlite import lax
    log = []

    def branchy(x):
        return lax.cond(x.sum() > 0,
                        lambda v: (jaxlite.debug.callback(lambda a: log.append("pos"), v), v)[1],
                        lambda v: (jaxlite.debug.callback(lambda a: log.append("neg"), v), v)[1],
                        x)
    g = jaxlite.jit(branchy)
    g(jnp.ones(2))
    g(-jnp.ones(2))
    assert log == ["pos", "neg"]          # only the taken branch
    log.clear()

    def loop(x):
        def body(c):
            jaxlite.debug.callback(lambda a: log.append(float(a)), c)
            return c * 2
        return lax.while_loop(lambda c: c < 10, body, x)
    assert float(jaxlite.jit(loop)(1.0)) == 16.0
    assert log == [1.0, 2.0, 4.0, 8.0]
    log.clear()

    def scanned(xs):
        def body(c, x):
            jaxlite.debug.callback(lambda a, b: log.append((float(a), float(b))), c, x)
            return c + x * x, c
        return lax.scan(body, 0.0, xs)[0]
    xs = jnp.arange(3.0)
    for h in (jaxlite.jit(scanned), jaxlite.grad(scanned), jaxlite.jit(jaxlite.grad(scanned))):
        log.clear()
        h(xs)
        assert log == [(0.0, 0.0), (0.0, 1.0), (1.0, 2.0)]
