"""Structured control flow: fori_loop, while_loop, scan, cond, switch, and derivatives through them."""
import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402

import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

# fori_loop: sum of squares 0..9, and a loop-carried tuple (Fibonacci).
assert int(lax.fori_loop(0, 10, lambda i, acc: acc + i * i, 0)) == sum(i * i for i in range(10))
fib = lax.fori_loop(0, 20, lambda i, ab: (ab[1], ab[0] + ab[1]), (0, 1))
assert int(fib[0]) == 6765


# while_loop: Newton's method for sqrt(a), stopping when the step is tiny.
def newton_sqrt(a):
    def cond(state):
        x, step, it = state
        return (jnp.abs(step) > 1e-12) & (it < 100)

    def body(state):
        x, _, it = state
        new = 0.5 * (x + a / x)
        return new, new - x, it + 1

    x, _, iters = lax.while_loop(cond, body, (a, jnp.inf, 0))
    return x, iters


a = jnp.array([2.0, 9.0, 0.25, 1e4])
root, iters = jax.vmap(newton_sqrt)(a)
np.testing.assert_allclose(root, np.sqrt(np.asarray(a)), rtol=1e-12)
assert int(jnp.max(iters)) < 100
np.testing.assert_allclose(jax.jit(jax.vmap(lambda v: newton_sqrt(v)[0]))(a), np.sqrt(np.asarray(a)), rtol=1e-12)

# jvp through while_loop: d/da sqrt(a) = 1 / (2 sqrt(a)).
primal, tangent = jax.jvp(jax.vmap(lambda v: newton_sqrt(v)[0]), (a,), (jnp.ones_like(a),))
np.testing.assert_allclose(tangent, 0.5 / np.sqrt(np.asarray(a)), rtol=1e-8)

# scan: cumulative sum (forward and reverse).
xs = jnp.arange(1.0, 7.0)
carry, ys = lax.scan(lambda c, x: (c + x, c + x), 0.0, xs)
np.testing.assert_allclose(ys, np.cumsum(np.arange(1.0, 7.0)))
assert float(carry) == 21.0
_, rev = lax.scan(lambda c, x: (c + x, c + x), 0.0, xs, reverse=True)
np.testing.assert_allclose(rev, np.cumsum(np.arange(1.0, 7.0)[::-1])[::-1])

# associative_scan: the same prefix sums in O(log n) vectorised steps, and a linear
# recurrence h_t = a_t h_{t-1} + b_t as a composition of affine maps (not commutative).
np.testing.assert_allclose(lax.associative_scan(jnp.add, xs), np.cumsum(np.arange(1.0, 7.0)))
a_t, b_t = jnp.linspace(0.5, 1.0, 6), jnp.arange(6.0)
_, h_t = lax.associative_scan(lambda p, q: (q[0] * p[0], q[0] * p[1] + q[1]), (a_t, b_t))
_, h_scan = lax.scan(lambda h, ab: (ab[0] * h + ab[1],) * 2, 0.0, (a_t, b_t))
np.testing.assert_allclose(h_t, h_scan, rtol=1e-12)

# scan as an RNN: h_t = tanh(W h_{t-1} + U x_t), checked against a numpy loop.
rng = np.random.default_rng(0)
W, U = rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(4, 3))
seq, h0 = rng.normal(size=(8, 3)), np.zeros(4)


def rnn(params, h0, seq):
    W, U = params

    def cell(h, x):
        h = jnp.tanh(W @ h + U @ x)
        return h, h

    return lax.scan(cell, h0, seq)


h_last, hs = jax.jit(rnn)((W, U), h0, seq)
h, want = h0, []
for x in seq:
    h = np.tanh(W @ h + U @ x)
    want.append(h)
np.testing.assert_allclose(hs, np.stack(want), rtol=1e-12)
np.testing.assert_allclose(h_last, h, rtol=1e-12)


# grad through scan and fori_loop, checked against central finite differences.
def central_diff(f, x, eps=1e-6):
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def rnn_loss(W):
    return jnp.sum(rnn((W, U), h0, seq)[1] ** 2)


np.testing.assert_allclose(jax.grad(rnn_loss)(W), central_diff(lambda w: float(rnn_loss(w)), W), rtol=1e-6, atol=1e-8)


def power_loop(x):  # x -> x**(2**5) by repeated squaring, scaled to stay finite
    return lax.fori_loop(0, 5, lambda i, y: y * y, x)


x0 = 1.01
np.testing.assert_allclose(jax.grad(power_loop)(x0), 32 * x0 ** 31, rtol=1e-12)
np.testing.assert_allclose(jax.grad(power_loop)(x0), central_diff(power_loop, x0), rtol=1e-7)

# cond and switch with operands; where evaluates both branches, cond picks one.
f = lambda x: lax.cond(x > 0, lambda v: jnp.log(v), lambda v: -v, x)  # noqa: E731
assert float(f(jnp.e)) == 1.0 and float(f(-3.0)) == 3.0
np.testing.assert_allclose(jax.grad(f)(2.0), 0.5)
np.testing.assert_allclose(jax.vmap(f)(jnp.array([1.0, -2.0])), [0.0, 2.0])
branches = [lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x - y]
assert [float(lax.switch(i, branches, 3.0, 4.0)) for i in range(3)] == [7.0, 12.0, -1.0]
assert float(lax.switch(7, branches, 3.0, 4.0)) == -1.0  # index is clamped
v = jnp.array([-1.0, 4.0])
np.testing.assert_allclose(jnp.where(v > 0, jnp.sqrt(jnp.abs(v)), 0.0), [0.0, 2.0])
np.testing.assert_allclose(jax.jit(jax.vmap(lambda s: lax.cond(s > 0, jnp.sqrt, jnp.zeros_like, s)))(v), [0.0, 2.0])
print("OK")
