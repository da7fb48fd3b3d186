"""vmap: in_axes as tuples, None and dict pytrees, out_axes, nested vmap for
pairwise distances, per-example gradients, axis_name with lax.psum, and
keyword arguments."""
import numpy as np

import jax
import jax.numpy as jnp
from jax import lax, vmap

rng = np.random.default_rng(3)
A = rng.normal(size=(5, 3)).astype(np.float32)
B = rng.normal(size=(3, 5)).astype(np.float32)
w = rng.normal(size=3).astype(np.float32)

dot = lambda a, b: jnp.dot(a, b)
np.testing.assert_allclose(vmap(dot, in_axes=(0, None))(A, w), A @ w, rtol=1e-5)
np.testing.assert_allclose(vmap(dot, in_axes=(0, 1))(A, B), np.einsum("ij,ji->i", A, B), rtol=1e-5)
np.testing.assert_allclose(vmap(dot, in_axes=(None, 1))(w, B), w @ B, rtol=1e-5)
# out_axes moves the mapped axis in the output
outer = vmap(lambda a: a * w, in_axes=0, out_axes=1)(A)
assert outer.shape == (3, 5)
np.testing.assert_allclose(outer, (A * w).T, rtol=1e-6)


def affine(params, x):
    return params["W"] @ x + params["b"]


params = {"W": jnp.asarray(rng.normal(size=(4, 2, 3)), jnp.float32), "b": jnp.ones(2)}
xs = jnp.asarray(rng.normal(size=(4, 3)), jnp.float32)
# a dict pytree in in_axes: map over W's leading axis, broadcast b
got = vmap(affine, in_axes=({"W": 0, "b": None}, 0))(params, xs)
want = np.einsum("nij,nj->ni", np.asarray(params["W"]), np.asarray(xs)) + 1.0
np.testing.assert_allclose(got, want, rtol=1e-5)
both = vmap(lambda p, x: {"y": affine(p, x), "n": jnp.sum(x)}, in_axes=({"W": 0, "b": None}, 0),
            out_axes={"y": 1, "n": 0})(params, xs)
assert both["y"].shape == (2, 4) and both["n"].shape == (4,)
np.testing.assert_allclose(both["y"], want.T, rtol=1e-5)

# nested vmap: all pairwise distances
P = rng.normal(size=(6, 3)).astype(np.float32)
Q = rng.normal(size=(4, 3)).astype(np.float32)
dist = lambda p, q: jnp.sqrt(jnp.sum((p - q) ** 2))
pairwise = vmap(vmap(dist, in_axes=(None, 0)), in_axes=(0, None))(P, Q)
ref = np.sqrt(((P[:, None, :] - Q[None, :, :]) ** 2).sum(-1))
assert pairwise.shape == (6, 4)
np.testing.assert_allclose(pairwise, ref, rtol=1e-5)
np.testing.assert_allclose(jax.jit(vmap(vmap(dist, (None, 0)), (0, None)))(P, Q), ref, rtol=1e-5)


# per-example gradients of a logistic loss
def example_loss(theta, x, y):
    return jnp.log1p(jnp.exp(-y * jnp.dot(theta, x)))


X = rng.normal(size=(8, 3)).astype(np.float32)
Y = np.sign(rng.normal(size=8)).astype(np.float32)
theta = jnp.array([0.3, -0.2, 0.9])
per_ex = vmap(jax.grad(example_loss), in_axes=(None, 0, 0))(theta, X, Y)
loop = np.stack([np.asarray(jax.grad(example_loss)(theta, X[i], Y[i])) for i in range(8)])
np.testing.assert_allclose(per_ex, loop, rtol=1e-5, atol=1e-7)
m = Y * (X.astype(np.float64) @ np.asarray(theta, np.float64))
closed = (-Y / (1 + np.exp(m)))[:, None] * X
np.testing.assert_allclose(per_ex, closed, rtol=1e-5, atol=1e-6)
mean_loss = lambda t: jnp.mean(vmap(example_loss, (None, 0, 0))(t, X, Y))
np.testing.assert_allclose(per_ex.mean(0), jax.grad(mean_loss)(theta), rtol=1e-5, atol=1e-7)

# a named axis: normalize by the sum over the whole batch
normalize = vmap(lambda x: x / lax.psum(x, axis_name="batch"), axis_name="batch")
vals = jnp.array([1.0, 3.0, 4.0])
np.testing.assert_allclose(normalize(vals), [0.125, 0.375, 0.5], rtol=1e-6)
center = vmap(lambda r: r - lax.pmean(r, "rows"), axis_name="rows")(jnp.asarray(A))
np.testing.assert_allclose(center, A - A.mean(0), rtol=1e-5, atol=1e-6)


# keyword arguments are mapped over their leading axis (in_axes covers positionals only)
def scaled(x, scale=1.0):
    return x * scale


np.testing.assert_allclose(vmap(scaled)(jnp.arange(3.0), scale=jnp.array([1.0, 2.0, 3.0])),
                           [0.0, 2.0, 6.0])
np.testing.assert_allclose(vmap(scaled, in_axes=(0,))(jnp.arange(3.0)), [0.0, 1.0, 2.0])
print("OK")
