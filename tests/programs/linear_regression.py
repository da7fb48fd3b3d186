"""A stateful training loop: linear regression with a params dict and a jitted
SGD step built from tree_map, converging to numpy's least-squares solution."""
import numpy as np

import jax
import jax.numpy as jnp

rng = np.random.default_rng(42)
n, d = 200, 3
xs = rng.normal(size=(n, d)).astype(np.float32)
true_w = np.array([2.0, -3.0, 0.5], np.float32)
ys = (xs @ true_w + 1.25 + 0.1 * rng.normal(size=n)).astype(np.float32)


def init(key):
    return {"w": 0.01 * jax.random.normal(key, (d,)), "b": jnp.zeros(())}


def model(params, x):
    return x @ params["w"] + params["b"]


def loss_fn(params, x, y):
    return jnp.mean((model(params, x) - y) ** 2)


learning_rate = 0.1


@jax.jit
def update(params, x, y):
    loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
    new = jax.tree_util.tree_map(lambda p, g: p - learning_rate * g, params, grads)
    return new, loss


params = init(jax.random.key(123))
assert params["w"].shape == (d,) and params["b"].shape == ()
history = []
for step in range(300):
    params, loss = update(params, xs, ys)
    history.append(float(loss))

# the loss falls monotonically (a small enough step on a convex quadratic)
assert all(b <= a + 1e-6 for a, b in zip(history, history[1:])), history[:10]
assert history[-1] < 0.02 < history[0]

design = np.hstack([xs, np.ones((n, 1), np.float32)]).astype(np.float64)
coef, *_ = np.linalg.lstsq(design, ys.astype(np.float64), rcond=None)
np.testing.assert_allclose(params["w"], coef[:d], atol=1e-4)
np.testing.assert_allclose(params["b"], coef[d], atol=1e-4)
best = np.mean((design @ coef - ys) ** 2)
np.testing.assert_allclose(loss_fn(params, xs, ys), best, rtol=1e-4)
assert abs(best - 0.01) < 0.005          # noise variance 0.1 ** 2

# the jitted step agrees with one eager step
p0 = init(jax.random.key(0))
eager_loss, eager_g = jax.value_and_grad(loss_fn)(p0, xs, ys)
stepped, jit_loss = update(p0, xs, ys)
np.testing.assert_allclose(jit_loss, eager_loss, rtol=1e-5)
np.testing.assert_allclose(stepped["w"], p0["w"] - learning_rate * eager_g["w"],
                           rtol=1e-5, atol=1e-6)
resid = np.asarray(model(p0, xs)) - ys
np.testing.assert_allclose(eager_g["w"], 2 * xs.T @ resid / n, rtol=1e-4, atol=1e-5)
np.testing.assert_allclose(eager_g["b"], 2 * resid.mean(), rtol=1e-4, atol=1e-5)
print("OK")
