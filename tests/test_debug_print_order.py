"""The documented order of debug.print / debug.callback output (docs/DEBUGGING.md):
program order under jit, one line per batch element in order under vmap,
primal values under grad, iteration order in loops nested two deep (under vmap:
per iteration, the batch elements in order); debug.breakpoint enters pdb with
the caller's local arrays, eagerly, under jit and per element under vmap."""
import pdb

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax


def _lines(capsys):
    return capsys.readouterr().out.splitlines()


def _nested(xs):
    def inner(c, x):
        jaxlite.debug.print("i={} x={}", c, x)
        return c + 1, x

    def outer(c, row):
        jaxlite.debug.print("outer {}", c)
        _, ys = lax.scan(inner, 0, row)
        return c + 1, ys.sum()
    return lax.scan(outer, 0, xs)[1]


XS = np.arange(6.0, dtype=np.float32).reshape(2, 3)
NESTED = ["outer 0", "i=0 x=0.0", "i=1 x=1.0", "i=2 x=2.0",
          "outer 1", "i=0 x=3.0", "i=1 x=4.0", "i=2 x=5.0"]


@pytest.mark.parametrize("jit", [False, True])
def test_scan_in_scan_prints_in_iteration_order(capsys, jit):
    f = jaxlite.jit(_nested) if jit else _nested
    out = f(XS)
    np.testing.assert_allclose(out, XS.sum(1))
    assert _lines(capsys) == NESTED
    if jit:
        f(XS + 1)                                   # every call prints, with its values
        assert _lines(capsys)[1] == "i=0 x=1.0"


def test_fori_in_fori_under_jit(capsys):
    def f():
        def outer(i, c):
            def inner(j, d):
                jaxlite.debug.print("{} {}", i, j)
                return d + 1
            return lax.fori_loop(0, 2, inner, c)
        return lax.fori_loop(0, 3, outer, 0)
    assert jaxlite.jit(f)() == 6
    assert _lines(capsys) == [f"{i} {j}" for i in range(3) for j in range(2)]


def test_while_in_scan(capsys):
    def body(c, x):
        def cond(s):
            return s[0] < x

        def step(s):
            jaxlite.debug.print("x={} k={}", x, s[0])
            return s[0] + 1, s[1]
        k, _ = lax.while_loop(cond, step, (0, 0))
        return c + k, x
    assert jaxlite.jit(lambda xs: lax.scan(body, 0, xs)[0])(np.array([1, 2], np.int32)) == 3
    assert _lines(capsys) == ["x=1 k=0", "x=2 k=0", "x=2 k=1"]


@pytest.mark.parametrize("jit", [False, True])
def test_vmap_prints_one_line_per_element_in_order(capsys, jit):
    f = jaxlite.vmap(lambda x: (jaxlite.debug.print("v {}", x), x * 2)[1])
    f = jaxlite.jit(f) if jit else f
    np.testing.assert_allclose(f(np.arange(3.0, dtype=np.float32)), [0, 2, 4])
    assert _lines(capsys) == ["v 0.0", "v 1.0", "v 2.0"]


@pytest.mark.parametrize("jit", [False, True])
def test_vmap_of_scan_is_iteration_major(capsys, jit):
    def f(row):
        def step(c, x):
            jaxlite.debug.print("i={} x={}", c, x)
            return c + 1, x
        return lax.scan(step, 0, row)[1]
    g = jaxlite.vmap(f)
    g = jaxlite.jit(g) if jit else g
    g(XS)
    assert _lines(capsys) == ["i=0 x=0.0", "i=0 x=3.0", "i=1 x=1.0", "i=1 x=4.0",
                              "i=2 x=2.0", "i=2 x=5.0"]


@pytest.mark.parametrize("jit", [False, True])
def test_grad_prints_the_primal_once(capsys, jit):
    g = jaxlite.grad(lambda x: (jaxlite.debug.print("x={}", x), x * x)[1])
    g = jaxlite.jit(g) if jit else g
    assert g(3.0) == 6.0
    assert _lines(capsys) == ["x=3.0"]


def test_callback_sees_runtime_values_in_program_order():
    seen = []

    def f(x):
        jaxlite.debug.callback(lambda v: seen.append(("a", float(v))), x)
        y = jnp.sin(x)
        jaxlite.debug.callback(lambda v: seen.append(("b", float(v))), y)
        return y
    jaxlite.jit(f)(0.5)
    assert seen == [("a", 0.5), ("b", pytest.approx(np.sin(0.5)))]


class _FakePdb:
    calls = []

    def run(self, cmd, globals_, locals_):
        _FakePdb.calls.append({k: np.asarray(v).tolist() for k, v in locals_.items()})


@pytest.fixture
def fake_pdb(monkeypatch):
    _FakePdb.calls = []
    monkeypatch.setattr(pdb, "Pdb", _FakePdb)
    monkeypatch.delenv("PYTHONBREAKPOINT", raising=False)
    return _FakePdb.calls


def _with_breakpoint(x):
    y = x * 2
    jaxlite.debug.breakpoint()
    return y + 1


@pytest.mark.parametrize("jit", [False, True])
def test_breakpoint_enters_pdb_with_the_local_values(fake_pdb, capsys, jit):
    f = jaxlite.jit(_with_breakpoint) if jit else _with_breakpoint
    np.testing.assert_allclose(f(np.arange(3.0)), [1, 3, 5])
    assert fake_pdb == [{"x": [0.0, 1.0, 2.0], "y": [0.0, 2.0, 4.0]}]
    assert "jaxlite.debug.breakpoint at test_debug_print_order.py" in capsys.readouterr().out


def test_breakpoint_under_vmap_stops_per_element(fake_pdb):
    jaxlite.vmap(_with_breakpoint)(np.arange(2.0))
    assert fake_pdb == [{"x": 0.0, "y": 0.0}, {"x": 1.0, "y": 2.0}]


def test_pythonbreakpoint_0_skips(fake_pdb, monkeypatch):
    monkeypatch.setenv("PYTHONBREAKPOINT", "0")
    _with_breakpoint(np.arange(2.0))
    assert fake_pdb == []
