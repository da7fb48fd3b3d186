"""Derivatives through cond / switch / while_loop / fori_loop / scan: jvp and
vjp to second order against float64 central finite differences
(helpers.check_grads), closed forms, the residuals linearize keeps, and the
errors for reverse mode through an unbounded while."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax
from jaxlite.interpreters import ad
from helpers import check_grads

RNG = np.random.default_rng(0)


def _rnn(w, xs, h0):
    def step(h, x):
        h = jnp.tanh(w @ h + x)
        return h, jnp.sum(h * h)
    h, ys = lax.scan(step, h0, xs)
    return jnp.sum(h) + jnp.sum(ys * ys)


# ------------------------------------------------------------------- cond

@pytest.mark.parametrize("p", [1.0, -1.0])
def test_cond_grads(p):
    f = lambda x, y: lax.cond(p > 0, lambda a, b: jnp.sin(a) * b, lambda a, b: jnp.cos(a * b),
                              x, y)
    check_grads(f, (np.array([0.3, 1.1]), np.array([0.7, -0.4])), order=2)
    want = np.cos(2.0) if p > 0 else -np.sin(2.0)
    g = jaxlite.grad(lambda x: lax.cond(p > 0, jnp.sin, jnp.cos, x))(2.0)
    np.testing.assert_allclose(g, want, rtol=1e-6)


def test_cond_grads_with_traced_predicate():
    # The predicate depends on x itself: still piecewise smooth.
    f = lambda x: lax.cond(jnp.sum(x) > 0, lambda v: v * v * v, lambda v: jnp.exp(v), x)
    check_grads(f, (np.array([0.3, 1.1]),), order=2)
    check_grads(f, (np.array([-0.3, -1.1]),), order=2)


def test_cond_grad_of_closed_over_value_and_jaxpr():
    def f(x, y):
        return lax.cond(x > 0, lambda: y * x, lambda: y + x)
    check_grads(f, (np.float64(0.5), np.float64(2.0)), order=2)
    text = str(jaxlite.make_jaxpr(jaxlite.grad(f, argnums=1))(0.5, 2.0))
    # A traced predicate: the backward pass is itself a cond.
    assert text.count("cond[") == 2


def test_switch_grads():
    branches = [lambda v: v * v, lambda v: jnp.sin(v), lambda v: -v]
    for i in range(3):
        check_grads(lambda x: lax.switch(i, branches, x), (np.array([0.4, -0.9]),), order=2)


# ------------------------------------------------------------------- scan

def test_scan_grads():
    w = RNG.normal(size=(3, 3)) * 0.5
    xs = RNG.normal(size=(5, 3))
    h0 = RNG.normal(size=3)
    check_grads(_rnn, (w, xs, h0), order=2)


def test_scan_reverse_pytree_and_closed_over_grads():
    a = np.float64(0.3)

    def f(x, xs):
        def step(c, x_t):
            u, v = c
            return (u * x_t["p"] + v * a, jnp.sin(v) * x), {"y": u * v, "z": x_t["q"] * u}
        (u, v), ys = lax.scan(step, (x, 2.0 * x), {"p": xs, "q": xs * xs}, reverse=True)
        return u + v + jnp.sum(ys["y"]) + jnp.sum(ys["z"])
    check_grads(f, (np.float64(0.7), np.linspace(-1, 1, 4)), order=2)


def test_scan_grad_closed_form():
    # c_{t+1} = c_t * x_t: d(prod)/dx_i = prod / x_i.
    xs = np.array([1.0, 2.0, 3.0])
    g = jaxlite.grad(lambda xs: lax.scan(lambda c, x: (c * x, c), 1.0, xs)[0])(xs)
    np.testing.assert_allclose(g, [6.0, 3.0, 2.0])


def test_fori_loop_grads():
    power = lambda x: lax.fori_loop(0, 5, lambda i, v: lax.mul(v, x), 1.0)
    assert float(jaxlite.grad(power)(2.0)) == 80.0
    f = lambda x: lax.fori_loop(0, 4, lambda i, v: jnp.sin(v) * x + i, x)
    check_grads(f, (np.float64(0.3),), order=2)
    assert "scan[" in str(jaxlite.make_jaxpr(jaxlite.grad(f))(0.3))


def test_third_order_scan():
    f = lambda x: lax.scan(lambda c, _: (jnp.sin(c) * x, None), x, None, length=3)[0]
    x0, eps = 0.6, 1e-4
    d2 = lambda x: jaxlite.grad(jaxlite.grad(f))(x)
    fd = (d2(np.float64(x0 + eps)) - d2(np.float64(x0 - eps))) / (2 * eps)
    np.testing.assert_allclose(jaxlite.grad(jaxlite.grad(jaxlite.grad(f)))(np.float64(x0)), fd,
                               rtol=1e-5)


# --------------------------------------------------- residual memory of linearize

def _residual_bytes(lin):
    return sum(np.asarray(c).nbytes for c in lin.closed.consts)


def test_linearize_keeps_per_iteration_residuals_not_loop_invariants():
    n, steps = 32, 200
    w = RNG.normal(size=(n, n)) / np.sqrt(n)
    xs = RNG.normal(size=(steps, n))
    h0 = np.zeros(n)
    _, lin = ad.linearize_flat(lambda w: [_rnn(w, xs, h0)], [w])
    # Per step the tangent needs h (the dot's other operand) and tanh's
    # derivative input: a few vectors, never a copy of w per iteration.
    assert _residual_bytes(lin) <= 6 * steps * n * 8 + 2 * w.nbytes
    assert _residual_bytes(lin) < steps * w.nbytes / 4


# ------------------------------------------------------------------- while

def test_while_jvp_and_eager_grad():
    f = lambda x: lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, jnp.sin(c[1]) * x),
                                 (0, x))[1]
    check_grads(f, (np.float64(0.4),), order=2)
    # The predicate depends on the carry's value: x^4 at x = 2 (1 -> 2 -> 4 -> 8 -> 16).
    g = jaxlite.grad(lambda x: lax.while_loop(lambda v: lax.lt(v, 10.0),
                                              lambda v: lax.mul(v, x), 1.0))(2.0)
    assert float(g) == 32.0


def test_while_forward_mode_under_staging():
    f = lambda x: lax.while_loop(lambda v: v < 10.0, lambda v: v * x, 1.0)
    jf = jaxlite.jit(lambda x, t: jaxlite.jvp(f, (x,), (t,)))
    p, t = jf(2.0, 1.0)
    assert float(p) == 16.0 and float(t) == 32.0


def test_grad_of_while_with_traced_predicate_is_a_clear_error():
    f = lambda x: lax.while_loop(lambda v: v < 10.0, lambda v: v * x, 1.0)
    with pytest.raises(ValueError, match="scan.*fori_loop.*max_steps"):
        jaxlite.make_jaxpr(jaxlite.grad(f))(2.0)
    with pytest.raises(ValueError, match="while_loop"):
        jaxlite.jit(jaxlite.grad(f))(2.0)


def test_bounded_while_reverse_mode():
    f = lambda x: lax.while_loop(lambda v: v < 10.0, lambda v: v * x, 1.0, max_steps=20)
    g = jaxlite.jit(jaxlite.grad(f))
    assert float(g(2.0)) == 32.0          # 4 steps: d(x^4) = 4 x^3
    assert float(g(3.0)) == 27.0          # 3 steps: d(x^3) = 3 x^2
    text = str(jaxlite.make_jaxpr(jaxlite.grad(f))(2.0))
    assert "scan[" in text and "length=20" in text and "while[" not in text
    # The bound is a bound: at most max_steps trips, also under grad.
    h = lambda x: lax.while_loop(lambda v: v < 1e9, lambda v: v * x, 1.0, max_steps=3)
    assert float(h(2.0)) == 8.0 and float(jaxlite.grad(h)(2.0)) == 12.0
    check_grads(lambda x: lax.while_loop(lambda c: c[0] < 2.0,
                                         lambda c: (c[0] + x, jnp.sin(c[1]) + x), (x, x),
                                         max_steps=10)[1], (np.float64(0.3),), order=2)


def test_linearize_of_while_with_traced_predicate():
    # Linearizing works (the tangent loop recomputes the primal, as in JAX);
    # only transposing it needs a bound.
    f = lambda x: lax.while_loop(lambda v: v < 10.0, lambda v: v * x, 1.0)
    lin = jaxlite.jit(lambda x, t: jaxlite.linearize(f, x)[1](t))
    assert float(lin(2.0, 1.0)) == 32.0 and float(lin(3.0, 2.0)) == 54.0
