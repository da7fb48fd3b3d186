"""Train a tanh RNN with `lax.scan` to predict the next sample of sine waves.

The recurrence over time is one `scan` (its body traced and compiled once,
whatever the sequence length); `jit(value_and_grad(loss))` differentiates
through it in reverse, keeping per-step residuals only. The batch is a
batch dimension of the matrices inside the body (no vmap needed); plain
SGD with momentum. The loss must go down by a large factor.

The code is written for JAX's API: replacing the two jaxlite imports with
`import jax` / `import jax.numpy as jnp` runs it unchanged.
"""
import time

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax

HIDDEN, STEPS, BATCH = 32, 60, 16


def init_params(key):
    k1, k2, k3 = jax.random.split(key, 3)
    return {
        "w_in": jax.random.normal(k1, (1, HIDDEN)) * 0.5,
        "w_rec": jax.random.normal(k2, (HIDDEN, HIDDEN)) * np.float32(0.5 / np.sqrt(HIDDEN)),
        "b": jnp.zeros(HIDDEN),
        "w_out": jax.random.normal(k3, (HIDDEN, 1)) * np.float32(1.0 / np.sqrt(HIDDEN)),
    }


def predict(params, xs):
    """xs: (time, batch, 1) -> predictions of the next sample, same shape."""
    def step(h, x):
        h = jnp.tanh(x @ params["w_in"] + h @ params["w_rec"] + params["b"])
        return h, h @ params["w_out"]
    h0 = jnp.zeros((xs.shape[1], HIDDEN))
    _, ys = lax.scan(step, h0, xs)
    return ys


def loss(params, xs, targets):
    return jnp.mean((predict(params, xs) - targets) ** 2)


def sine_batch(rng):
    phase = rng.uniform(0, 2 * np.pi, size=(1, BATCH, 1))
    freq = rng.uniform(0.1, 0.3, size=(1, BATCH, 1))
    t = np.arange(STEPS + 1).reshape(-1, 1, 1)
    wave = np.sin(freq * t + phase).astype(np.float32)
    return wave[:-1], wave[1:]


def main():
    rng = np.random.default_rng(0)
    params = init_params(jax.random.PRNGKey(0))
    velocity = jax.tree_util.tree_map(jnp.zeros_like, params)

    @jax.jit
    def train_step(params, velocity, xs, targets):
        value, grads = jax.value_and_grad(loss)(params, xs, targets)
        velocity = jax.tree_util.tree_map(lambda v, g: 0.9 * v - 0.05 * g, velocity, grads)
        params = jax.tree_util.tree_map(lambda p, v: p + v, params, velocity)
        return params, velocity, value

    xs_eval, ys_eval = sine_batch(np.random.default_rng(1))
    first = float(loss(params, xs_eval, ys_eval))
    t0 = time.perf_counter()
    for it in range(400):
        xs, ys = sine_batch(rng)
        params, velocity, value = train_step(params, velocity, xs, ys)
        if it % 100 == 0:
            print(f"step {it:4d}  train loss {float(value):.5f}")
    elapsed = time.perf_counter() - t0
    final = float(jax.jit(loss)(params, xs_eval, ys_eval))
    print(f"400 steps in {elapsed:.2f} s; held-out loss {first:.4f} -> {final:.5f}")
    assert final < first / 10, "the RNN did not learn"


if __name__ == "__main__":
    main()
