"""Benchmark workloads written once against a JAX-like module pair.

Every function takes ``(jax, jnp)`` so the same code runs on jaxlite and on
JAX, which is the promise we make to users.
"""
import numpy as np


def chain_workloads(jnp):
    return {
        "sum(x*x+1)": lambda x: jnp.sum(x * x + 1),
        "sum(exp(-x))": lambda x: jnp.sum(jnp.exp(-x)),
        "sum(tanh(x))": lambda x: jnp.sum(jnp.tanh(x)),
        "sum(tanh(x)*exp(-x*x)+0.5*sin(3x))":
            lambda x: jnp.sum(jnp.tanh(x) * jnp.exp(-x * x) + 0.5 * jnp.sin(3 * x)),
    }


NUMPY_CHAINS = {
    "sum(x*x+1)": lambda x: np.sum(x * x + 1),
    "sum(exp(-x))": lambda x: np.sum(np.exp(-x)),
    "sum(tanh(x))": lambda x: np.sum(np.tanh(x)),
    "sum(tanh(x)*exp(-x*x)+0.5*sin(3x))":
        lambda x: np.sum(np.tanh(x) * np.exp(-x * x) + 0.5 * np.sin(3 * x)),
}


def logsumexp_rows(jnp):
    def f(x):
        m = jnp.max(x, axis=1, keepdims=True)
        return jnp.log(jnp.sum(jnp.exp(x - m), axis=1)) + m[:, 0]
    return f


def numpy_logsumexp_rows(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.log(np.sum(np.exp(x - m), axis=1)) + m[:, 0]


def mlp_params(sizes, seed=0):
    rng = np.random.default_rng(seed)
    return [{"w": (rng.normal(size=(a, b)) * np.sqrt(2.0 / a)).astype(np.float32),
             "b": np.zeros(b, np.float32)} for a, b in zip(sizes[:-1], sizes[1:])]


def mlp_data(sizes, batch, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, sizes[0])).astype(np.float32)
    y = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], batch)]
    return x, y


def mlp_loss(jax, jnp):
    def loss(params, x, y):
        h = x
        for layer in params[:-1]:
            h = jax.nn.relu(h @ layer["w"] + layer["b"])
        logits = h @ params[-1]["w"] + params[-1]["b"]
        return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits) * y, axis=-1))
    return loss


def example_loss(jax, jnp):
    """The loss of one example (x: [d], y: [classes])."""
    def loss(params, x, y):
        h = x
        for layer in params[:-1]:
            h = jax.nn.relu(h @ layer["w"] + layer["b"])
        logits = h @ params[-1]["w"] + params[-1]["b"]
        return -jnp.sum(jax.nn.log_softmax(logits) * y)
    return loss
