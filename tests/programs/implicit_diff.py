"""Implicit differentiation: gradients through iterative solvers without
differentiating their loops (jax.scipy.sparse.linalg.cg / gmres,
jax.lax.custom_root, jax.lax.custom_linear_solve), checked against closed forms."""
import jax

jax.config.update("jax_enable_x64", True)

from functools import partial  # noqa: E402

import numpy as np  # noqa: E402

import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402
import jax.scipy.linalg  # noqa: E402
from jax.scipy.sparse.linalg import cg, gmres  # noqa: E402

# ---- 1. Ridge regression: differentiate the validation loss w.r.t. the penalty.
rng = np.random.default_rng(0)
X, X_val = rng.normal(size=(40, 6)), rng.normal(size=(20, 6))
w_true = rng.normal(size=6)
y = X @ w_true + 0.3 * rng.normal(size=40)
y_val = X_val @ w_true + 0.3 * rng.normal(size=20)


def ridge_weights(lam):
    # (X^T X + lam I) w = X^T y, by conjugate gradients on a matrix-free operator.
    matvec = lambda w: X.T @ (X @ w) + lam * w
    w, _ = cg(matvec, X.T @ y, tol=1e-12)
    return w


def validation_loss(lam):
    r = X_val @ ridge_weights(lam) - y_val
    return 0.5 * jnp.dot(r, r)


lam = 3.0
H = X.T @ X + lam * np.eye(6)
w = np.linalg.solve(H, X.T @ y)
np.testing.assert_allclose(ridge_weights(lam), w, rtol=1e-9)
# dw/dlam = -H^-1 w, so dL/dlam = (X_val w - y_val)^T X_val (-H^-1 w).
dL = (X_val @ w - y_val) @ X_val @ -np.linalg.solve(H, w)
np.testing.assert_allclose(jax.grad(validation_loss)(lam), dL, rtol=1e-8)
np.testing.assert_allclose(jax.jit(jax.grad(validation_loss))(lam), dL, rtol=1e-8)

# The gradient over a grid of penalties at once.
lams = jnp.array([0.1, 1.0, 10.0])
grads = jax.vmap(jax.grad(validation_loss))(lams)
for l_, g in zip(np.asarray(lams), np.asarray(grads)):
    H = X.T @ X + l_ * np.eye(6)
    w = np.linalg.solve(H, X.T @ y)
    np.testing.assert_allclose(g, (X_val @ w - y_val) @ X_val @ -np.linalg.solve(H, w),
                               rtol=1e-7)

# A few steps of gradient descent on log(lam) lower the validation loss.
log_lam = jnp.log(3.0)
step = jax.jit(lambda t: t - 0.05 * jax.grad(lambda t: validation_loss(jnp.exp(t)))(t))
start = validation_loss(jnp.exp(log_lam))
for _ in range(5):
    log_lam = step(log_lam)
assert validation_loss(jnp.exp(log_lam)) < start

# ---- 2. GMRES on a nonsymmetric system, b given as a pytree.
A = rng.normal(size=(5, 5)) + 5 * np.eye(5)


def matvec(v):
    x = A @ jnp.concatenate([v["head"], v["tail"]])
    return {"head": x[:2], "tail": x[2:]}


b = {"head": jnp.array([1.0, -1.0]), "tail": jnp.array([0.5, 2.0, 0.0])}
x, info = gmres(matvec, b, tol=1e-12)
flat_b = np.concatenate([b["head"], b["tail"]])
np.testing.assert_allclose(np.concatenate([x["head"], x["tail"]]),
                           np.linalg.solve(A, flat_b), rtol=1e-9)
# d sum(x) / db = A^-T 1.
g = jax.grad(lambda b: sum(v.sum() for v in jax.tree_util.tree_leaves(gmres(matvec, b)[0])))(b)
np.testing.assert_allclose(np.concatenate([g["head"], g["tail"]]),
                           np.linalg.solve(A.T, np.ones(5)), rtol=1e-8)

# ---- 3. Kepler's equation E - e sin E = M by Newton's method inside custom_root.


def newton(f, x0):
    fp = jax.grad(f)
    return lax.while_loop(lambda x: jnp.abs(f(x)) > 1e-13, lambda x: x - f(x) / fp(x), x0)


def eccentric_anomaly(M, e):
    f = lambda E: E - e * jnp.sin(E) - M
    return lax.custom_root(f, M, newton, lambda g, y: y / g(1.0))


M, e = 1.2, 0.3
E = eccentric_anomaly(M, e)
np.testing.assert_allclose(E - e * np.sin(E), M, atol=1e-12)
# By implicit differentiation: dE/dM = 1 / (1 - e cos E), dE/de = sin E / (1 - e cos E).
dM, de = jax.grad(eccentric_anomaly, argnums=(0, 1))(M, e)
np.testing.assert_allclose(dM, 1 / (1 - e * np.cos(E)), rtol=1e-12)
np.testing.assert_allclose(de, np.sin(E) / (1 - e * np.cos(E)), rtol=1e-12)
Ms = jnp.linspace(0.1, 3.0, 7)
dMs = jax.jit(jax.vmap(jax.grad(eccentric_anomaly), in_axes=(0, None)))(Ms, e)
Es = jax.vmap(eccentric_anomaly, in_axes=(0, None))(Ms, e)
np.testing.assert_allclose(dMs, 1 / (1 - e * np.cos(np.asarray(Es))), rtol=1e-12)
_, tangent = jax.jvp(partial(eccentric_anomaly, M), (e,), (1.0,))
np.testing.assert_allclose(tangent, de, rtol=1e-12)

# ---- 4. custom_linear_solve directly: a Cholesky solve with implicit gradients.
S = A @ A.T + np.eye(5)


def spd_solve(scale, rhs):
    K = scale * S
    chol = jnp.linalg.cholesky(K)
    solve = lambda matvec, r: jax.scipy.linalg.cho_solve((chol, True), r)
    return lax.custom_linear_solve(lambda v: K @ v, rhs, solve, symmetric=True)


rhs = jnp.arange(1.0, 6.0)
np.testing.assert_allclose(spd_solve(2.0, rhs), np.linalg.solve(2 * S, rhs), rtol=1e-10)
# x = S^-1 rhs / scale, so d sum(x) / d scale = -sum(x) / scale.
np.testing.assert_allclose(jax.grad(lambda s: spd_solve(s, rhs).sum())(2.0),
                           -np.linalg.solve(2 * S, rhs).sum() / 2.0, rtol=1e-10)

print("OK")
