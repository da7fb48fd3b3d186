"""Autodiff cookbook: grad with aux and argnums, jvp/vjp by hand, Hessian-vector
products, jacfwd vs jacrev and jax.hessian, checked against closed forms,
dense matrices and central finite differences in float64."""
import numpy as np

import jax
import jax.numpy as jnp
from jax import grad, jvp, vjp, value_and_grad


def loss(w, b, x, y):
    pred = jnp.tanh(x @ w + b)
    return jnp.mean((pred - y) ** 2), pred


rng = np.random.default_rng(0)
x = rng.normal(size=(8, 3)).astype(np.float32)
y = rng.normal(size=8).astype(np.float32)
w = rng.normal(size=3).astype(np.float32)
b = np.float32(0.3)

# value_and_grad with has_aux and a tuple of argnums
(val, pred), (gw, gb) = value_and_grad(loss, argnums=(0, 1), has_aux=True)(w, b, x, y)
t = np.tanh(x.astype(np.float64) @ w + b)
np.testing.assert_allclose(val, np.mean((t - y) ** 2), rtol=1e-5)
np.testing.assert_allclose(pred, t, rtol=1e-5, atol=1e-6)
r = 2 * (t - y) * (1 - t ** 2) / len(y)
np.testing.assert_allclose(gw, x.T @ r, rtol=1e-4, atol=1e-6)
np.testing.assert_allclose(gb, r.sum(), rtol=1e-4, atol=1e-6)
g_only, aux = grad(loss, has_aux=True)(w, b, x, y)
np.testing.assert_allclose(g_only, gw, rtol=1e-6)


def f(v):
    return jnp.array([v[0] * v[1], jnp.sin(v[2]) + v[0] ** 2, jnp.exp(v[1] - v[2])])


def jac_np(v):
    return np.array([[v[1], v[0], 0.0],
                     [2 * v[0], 0.0, np.cos(v[2])],
                     [0.0, np.exp(v[1] - v[2]), -np.exp(v[1] - v[2])]])


v = jnp.array([0.5, -1.2, 0.7])
J = jac_np(np.asarray(v, np.float64))
tangent = jnp.array([1.0, 2.0, -0.5])
out, jv = jvp(f, (v,), (tangent,))
np.testing.assert_allclose(out, f(v), rtol=1e-6)
np.testing.assert_allclose(jv, J @ np.asarray(tangent), rtol=1e-5, atol=1e-6)
out2, f_vjp = vjp(f, v)
cot = jnp.array([0.3, -1.0, 2.0])
(vj,) = f_vjp(cot)
np.testing.assert_allclose(vj, np.asarray(cot) @ J, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(jax.jacfwd(f)(v), J, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(jax.jacrev(f)(v), J, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(jax.jacfwd(f)(v), jax.jacrev(f)(v), rtol=1e-6, atol=1e-7)

# Hessian-vector product: forward-over-reverse
A = rng.normal(size=(4, 4))


def energy(z):
    return jnp.sum(jnp.cos(z) * z ** 2) + z @ jnp.asarray(A, jnp.float32) @ z


def hvp(fun, primal, tan):
    return jvp(grad(fun), (primal,), (tan,))[1]


z = jnp.array([0.1, -0.4, 1.3, 0.8])
u = jnp.array([1.0, 0.0, -2.0, 0.5])
H = jax.hessian(energy)(z)
zn = np.asarray(z, np.float64)
d2 = np.diag(2 * np.cos(zn) - 4 * zn * np.sin(zn) - zn ** 2 * np.cos(zn))
np.testing.assert_allclose(H, d2 + A + A.T, rtol=1e-4, atol=1e-5)
np.testing.assert_allclose(hvp(energy, z, u), np.asarray(H) @ np.asarray(u), rtol=1e-4, atol=1e-5)


def grad_np(zz):  # closed-form gradient of energy, for float64 finite differences
    return 2 * zz * np.cos(zz) - zz ** 2 * np.sin(zz) + (A + A.T) @ zz


eps = 1e-6
un = np.asarray(u, np.float64)
fd = (grad_np(zn + eps * un) - grad_np(zn - eps * un)) / (2 * eps)
np.testing.assert_allclose(hvp(energy, z, u), fd, rtol=1e-4, atol=1e-4)
np.testing.assert_allclose(jax.jacfwd(jax.jacrev(energy))(z), H, rtol=1e-5, atol=1e-5)


# the transpose of a linear map is the vjp at any point: A^T ct
M = jnp.asarray(rng.normal(size=(3, 4)), jnp.float32)
(mt,) = jax.linear_transpose(lambda v: M @ v, jnp.zeros(4))(jnp.array([1.0, 0.0, -1.0]))
np.testing.assert_allclose(mt, np.asarray(M).T @ [1.0, 0.0, -1.0], rtol=1e-5, atol=1e-6)


# gradient with respect to a dict of parameters
def model(params, inp):
    return jnp.sum(params["scale"] * jnp.sin(inp) + params["shift"] ** 2)


params = {"scale": jnp.array([1.0, 2.0, 3.0]), "shift": jnp.float32(0.5)}
inp = jnp.array([0.2, 0.4, 0.6])
g = grad(model)(params, inp)
assert set(g) == {"scale", "shift"}
np.testing.assert_allclose(g["scale"], np.sin(np.asarray(inp)), rtol=1e-6)
np.testing.assert_allclose(g["shift"], 2 * 0.5 * 3, rtol=1e-6)
print("OK")
