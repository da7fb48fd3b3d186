"""Adam written with tree_map on an MLP's list of (W, b), compared step by step
with jax.example_libraries.optimizers.adam on a small regression problem."""
import numpy as np

import jax
import jax.numpy as jnp
from jax.example_libraries import optimizers

tree_map = jax.tree_util.tree_map


def init_mlp(key, sizes):
    params = []
    for k, (m, n) in zip(jax.random.split(key, len(sizes) - 1), zip(sizes[:-1], sizes[1:])):
        params.append((jax.random.normal(k, (m, n)) / np.sqrt(m), jnp.zeros(n)))
    return params


def mlp(params, x):
    for w, b in params[:-1]:
        x = jnp.tanh(x @ w + b)
    w, b = params[-1]
    return (x @ w + b)[:, 0]


def loss(params, x, y):
    return jnp.mean((mlp(params, x) - y) ** 2)


def adam_init(params):
    zeros = tree_map(jnp.zeros_like, params)
    return {"step": 0, "m": zeros, "v": zeros}


@jax.jit
def adam_update(params, state, x, y, lr=1e-2, b1=0.9, b2=0.999, eps=1e-8):
    g = jax.grad(loss)(params, x, y)
    t = state["step"] + 1
    m = tree_map(lambda m, g: b1 * m + (1 - b1) * g, state["m"], g)
    v = tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, state["v"], g)
    def step(p, m, v):
        return p - lr * (m / (1 - b1 ** t)) / (jnp.sqrt(v / (1 - b2 ** t)) + eps)
    return tree_map(step, params, m, v), {"step": t, "m": m, "v": v}


xs = jnp.linspace(-2.0, 2.0, 64)[:, None]
ys = jnp.sin(2.0 * xs[:, 0]) + 0.5 * xs[:, 0]
params0 = init_mlp(jax.random.key(7), [1, 16, 16, 1])
assert [w.shape for w, _ in params0] == [(1, 16), (16, 16), (16, 1)]

# the first Adam step moves every parameter by lr * sign(grad), unless its
# gradient is as small as eps (the hidden biases' are ~0 by the data's symmetry)
g0 = jax.grad(loss)(params0, xs, ys)
p1, _ = adam_update(params0, adam_init(params0), xs, ys)
for a, b, g in zip(jax.tree_util.tree_leaves(p1), jax.tree_util.tree_leaves(params0),
                   jax.tree_util.tree_leaves(g0)):
    big = np.abs(np.asarray(g)) > 1e-4
    np.testing.assert_allclose((a - b)[big], -1e-2 * np.sign(g)[big], rtol=1e-3)
    assert np.all(np.abs(a - b) <= 1e-2 * (1 + 1e-5))
assert sum(int(np.sum(np.abs(np.asarray(g)) > 1e-4)) for g in jax.tree_util.tree_leaves(g0)) > 250

opt_init, opt_update, get_params = optimizers.adam(1e-2)


@jax.jit
def lib_step(i, opt_state, x, y):
    g = jax.grad(loss)(get_params(opt_state), x, y)
    return opt_update(i, g, opt_state)


params, state = params0, adam_init(params0)
opt_state = opt_init(params0)
losses = []
for i in range(200):
    params, state = adam_update(params, state, xs, ys)
    opt_state = lib_step(i, opt_state, xs, ys)
    if i % 50 == 49:
        theirs = get_params(opt_state)
        for a, b in zip(jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(theirs)):
            np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-4)
    losses.append(float(loss(params, xs, ys)))

assert state["step"] == 200
assert losses[-1] < 0.05 * losses[0], (losses[0], losses[-1])
np.testing.assert_allclose(loss(get_params(opt_state), xs, ys), losses[-1], rtol=2e-2)
pred = np.asarray(mlp(params, xs))
assert np.max(np.abs(pred - np.asarray(ys))) < 0.3
print("OK")
