"""lax.cond / switch / fori_loop / while_loop / scan: eager, under grad, jit
and vmap, and their errors."""
import numpy as np
import pytest

import jaxlite
from jaxlite import lax
from helpers import check_grads


def _cond_f(p, x):
    return lax.cond(lax.gt(p, 0.0), lambda v: lax.sin(v), lambda v: lax.cos(v), x)


@pytest.mark.parametrize("transform", [lambda f: f, jaxlite.jit], ids=["eager", "jit"])
def test_cond_values(transform):
    f = transform(_cond_f)
    np.testing.assert_allclose(f(1.0, 2.0), np.sin(2.0), rtol=1e-6)
    np.testing.assert_allclose(f(-1.0, 2.0), np.cos(2.0), rtol=1e-6)


def test_cond_staged_is_a_select():
    text = str(jaxlite.make_jaxpr(_cond_f)(1.0, 2.0))
    assert "select_n c d e" in text and "sin" in text and "cos" in text


def test_cond_grads():
    for p in (1.0, -1.0):
        want = np.cos(2.0) if p > 0 else -np.sin(2.0)
        g = jaxlite.grad(_cond_f, argnums=1)(p, 2.0)
        np.testing.assert_allclose(g, want, rtol=1e-6)
        g = jaxlite.jit(jaxlite.grad(_cond_f, argnums=1))(p, 2.0)
        np.testing.assert_allclose(g, want, rtol=1e-6)
        check_grads(lambda x: _cond_f(np.float64(p), x), (np.array([0.3, 1.1]),), order=2)


def test_cond_vmap_with_batched_predicate():
    p = np.array([1.0, -1.0, 2.0])
    x = np.array([0.5, 0.5, 1.5])
    got = jaxlite.vmap(_cond_f)(p, x)
    np.testing.assert_allclose(got, np.where(p > 0, np.sin(x), np.cos(x)))
    g = jaxlite.vmap(jaxlite.grad(_cond_f, argnums=1))(p, x)
    np.testing.assert_allclose(g, np.where(p > 0, np.cos(x), -np.sin(x)))


def test_cond_concrete_predicate_runs_one_branch():
    calls = []

    def t(v):
        calls.append("t")
        return v

    def f(v):
        calls.append("f")
        return v
    lax.cond(True, t, f, 1.0)
    assert calls == ["t"]
    # Under grad the predicate is still concrete: still one branch.
    jaxlite.grad(lambda x: lax.cond(lax.gt(x, 0.0), t, f, x))(1.0)
    assert calls == ["t", "t"]


def test_cond_pytree_operands_and_outputs():
    def f(p, d):
        return lax.cond(p, lambda d: {"a": lax.mul(d["x"], 2.0), "b": d["y"]},
                        lambda d: {"a": d["x"], "b": lax.neg(d["y"])}, d)
    d = {"x": np.array([1.0, 2.0]), "y": np.float64(3.0)}
    out = jaxlite.jit(f)(True, d)
    np.testing.assert_allclose(out["a"], [2.0, 4.0])
    assert float(out["b"]) == 3.0
    out = jaxlite.jit(f)(False, d)
    assert float(out["b"]) == -3.0


def test_cond_branch_mismatch_errors():
    with pytest.raises(TypeError, match="structure"):
        jaxlite.jit(lambda p, x: lax.cond(p, lambda v: (v, v), lambda v: v, x))(True, 1.0)
    with pytest.raises(TypeError, match="matching types"):
        jaxlite.jit(lambda p, x: lax.cond(p, lambda v: v, lambda v: np.ones(3), x))(True, 1.0)


def test_switch():
    branches = [lambda v: v, lambda v: lax.mul(v, 2.0), lambda v: lax.neg(v)]
    g = lambda i, x: lax.switch(i, branches, x)
    want = {-1: 3.0, 0: 3.0, 1: 6.0, 2: -3.0, 3: -3.0}   # index clamped
    for i, w in want.items():
        assert float(g(i, 3.0)) == w
        assert float(jaxlite.jit(g)(i, 3.0)) == w
    got = jaxlite.vmap(g)(np.array([0, 1, 2, 5], np.int32), np.arange(4.0))
    np.testing.assert_allclose(got, [0.0, 2.0, -2.0, -3.0])
    gi = jaxlite.grad(g, argnums=1)
    assert [float(gi(i, 1.0)) for i in range(3)] == [1.0, 2.0, -1.0]
    with pytest.raises(ValueError, match="at least one branch"):
        lax.switch(0, [], 1.0)


def test_fori_loop():
    assert float(lax.fori_loop(0, 5, lambda i, v: lax.add(v, float(i)), 0.0)) == 10.0
    power = lambda x: lax.fori_loop(0, 5, lambda i, v: lax.mul(v, x), 1.0)
    assert float(jaxlite.jit(power)(2.0)) == 32.0
    assert float(jaxlite.grad(power)(2.0)) == 80.0
    np.testing.assert_allclose(jaxlite.vmap(power)(np.array([1.0, 2.0])), [1.0, 32.0])


def test_fori_loop_traced_bound_is_concretization_error():
    with pytest.raises(jaxlite.ConcretizationTypeError, match="upper"):
        jaxlite.jit(lambda n: lax.fori_loop(0, n, lambda i, v: v, 0.0))(3)


def test_while_loop():
    assert int(lax.while_loop(lambda v: lax.lt(v, 10), lambda v: lax.mul(v, 2), 1)) == 16
    # Under grad the predicate is concrete: x^4 at x = 2 (1 -> 2 -> 4 -> 8 -> 16).
    g = jaxlite.grad(lambda x: lax.while_loop(lambda v: lax.lt(v, 10.0),
                                              lambda v: lax.mul(v, x), 1.0))(2.0)
    assert float(g) == 32.0


def test_while_loop_under_jit_is_concretization_error():
    def f(x):
        return lax.while_loop(lambda v: lax.lt(v, 10.0), lambda v: lax.mul(v, 2.0), x)
    with pytest.raises(jaxlite.ConcretizationTypeError, match="while_loop"):
        jaxlite.jit(f)(1.0)


def test_scan():
    xs = np.arange(4.0)
    c, ys = lax.scan(lambda c, x: (lax.add(c, x), lax.mul(c, x)), 0.0, xs)
    assert float(c) == 6.0
    np.testing.assert_allclose(ys, [0.0, 0.0, 2.0, 9.0])
    c, ys = jaxlite.jit(lambda xs: lax.scan(lambda c, x: (lax.add(c, x), c), 0.0, xs))(xs[1:])
    assert float(c) == 6.0
    np.testing.assert_allclose(ys, [0.0, 1.0, 3.0])
    g = jaxlite.grad(lambda xs: lax.scan(lambda c, x: (lax.mul(c, x), c), 1.0, xs)[0])(
        np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(g, [6.0, 3.0, 2.0])


def test_scan_pytree_carry_and_length():
    def step(carry, x):
        a, b = carry
        return (lax.add(a, x), lax.mul(b, 2.0)), {"a": a}
    (a, b), ys = lax.scan(step, (0.0, 1.0), np.array([1.0, 2.0, 3.0]))
    assert float(a) == 6.0 and float(b) == 8.0
    np.testing.assert_allclose(ys["a"], [0.0, 1.0, 3.0])
    c, _ = lax.scan(lambda c, _: (lax.add(c, 1.0), None), 0.0, None, length=4)
    assert float(c) == 4.0
    with pytest.raises(ValueError, match="length"):
        lax.scan(lambda c, _: (c, None), 0.0, None)
