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


def softmax_rows(jnp):
    def f(x):
        e = jnp.exp(x - jnp.max(x, axis=-1, keepdims=True))
        return e / jnp.sum(e, axis=-1, keepdims=True)
    return f


def layer_norm_rows(jnp):
    def f(x):
        mu = jnp.mean(x, axis=-1, keepdims=True)
        var = jnp.mean((x - mu) ** 2, axis=-1, keepdims=True)
        return (x - mu) / jnp.sqrt(var + 1e-5)
    return f


ROW_WORKLOADS = {"row softmax": softmax_rows, "row layer norm": layer_norm_rows}


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


def sgd_step(jax, jnp, lr=0.01):
    """One training step with the update inside: (params, x, y) -> (params, loss)."""
    loss = mlp_loss(jax, jnp)

    def step(params, x, y):
        value, grads = jax.value_and_grad(loss)(params, x, y)
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), value
    return step


def numpy_sgd_step(params, x, y, lr=0.01):
    """The same step written by hand in numpy, updating ``params`` in place."""
    hs, h = [x], x
    for layer in params[:-1]:
        h = np.maximum(h @ layer["w"] + layer["b"], 0)
        hs.append(h)
    logits = h @ params[-1]["w"] + params[-1]["b"]
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    value = -np.mean(np.sum((logits - m - np.log(s)) * y, axis=1))
    d = (e / s * y.sum(axis=1, keepdims=True) - y) / np.float32(x.shape[0])
    for i in range(len(params) - 1, -1, -1):
        gw, gb = hs[i].T @ d, d.sum(axis=0)
        if i > 0:
            d = (d @ params[i]["w"].T) * (hs[i] > 0)
        params[i]["w"] -= np.float32(lr) * gw
        params[i]["b"] -= np.float32(lr) * gb
    return params, value
