"""jax.scipy.optimize.minimize with BFGS on Rosenbrock and on logistic regression, against scipy."""
import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402
import scipy.optimize as sopt  # noqa: E402

import jax.numpy as jnp  # noqa: E402
from jax.scipy.optimize import minimize  # noqa: E402


def rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


x0 = jnp.array([-1.2, 1.0, -0.5, 0.8])
res = minimize(rosenbrock, x0, method="BFGS")
ref = sopt.minimize(sopt.rosen, np.asarray(x0), jac=sopt.rosen_der, method="BFGS")
assert bool(res.success), res.status
np.testing.assert_allclose(res.x, np.ones(4), atol=1e-5)
np.testing.assert_allclose(res.x, ref.x, atol=1e-5)
assert float(res.fun) < 1e-10 and ref.fun < 1e-10
np.testing.assert_allclose(res.jac, jax.grad(rosenbrock)(res.x), atol=1e-12)
assert float(jnp.linalg.norm(res.jac)) < 1e-4
# The inverse-Hessian estimate stays symmetric positive definite (BFGS's invariant).
np.testing.assert_allclose(res.hess_inv, np.asarray(res.hess_inv).T, atol=1e-8)
assert np.all(np.linalg.eigvalsh(np.asarray(res.hess_inv)) > 0)
# On a separable quadratic BFGS recovers the exact inverse Hessian, diag(1 / (2 c)).
c = jnp.arange(1.0, 5.0)
quad = minimize(lambda v: jnp.sum(c * (v - 1.0) ** 2), jnp.zeros(4), method="BFGS")
np.testing.assert_allclose(quad.x, np.ones(4), atol=1e-6)
np.testing.assert_allclose(quad.hess_inv, np.diag(0.5 / np.arange(1.0, 5.0)), atol=1e-6)

# minimize is traceable: run it under jit with the starting point as an argument.
jitted = jax.jit(lambda start: minimize(rosenbrock, start, method="BFGS").x)
np.testing.assert_allclose(jitted(jnp.zeros(4)), np.ones(4), atol=1e-5)

# L2-regularised logistic regression on synthetic data.
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 3))
true_w = np.array([1.5, -2.0, 0.5])
y = (rng.uniform(size=200) < 1 / (1 + np.exp(-(X @ true_w + 0.3)))).astype(np.float64)


def loss(params, X, y):
    w, b0 = params[:-1], params[-1]
    logits = X @ w + b0
    # log(1 + exp(z)) - y z, written stably.
    return jnp.mean(jnp.logaddexp(0.0, logits) - y * logits) + 0.01 * jnp.sum(w ** 2)


def loss_np(params):
    logits = X @ params[:-1] + params[-1]
    return np.mean(np.logaddexp(0.0, logits) - y * logits) + 0.01 * np.sum(params[:-1] ** 2)


res = minimize(loss, jnp.zeros(4), args=(X, y), method="BFGS")
ref = sopt.minimize(loss_np, np.zeros(4), method="BFGS", options={"gtol": 1e-8})
assert bool(res.success)
np.testing.assert_allclose(res.x, ref.x, rtol=1e-4, atol=1e-5)
np.testing.assert_allclose(res.fun, ref.fun, rtol=1e-8)
np.testing.assert_allclose(res.fun, loss_np(np.asarray(res.x)), rtol=1e-12)
# At the optimum the gradient of the mean loss vanishes: X^T (sigmoid - y) / n + 0.02 w = 0.
p = 1 / (1 + np.exp(-(X @ np.asarray(res.x[:-1]) + float(res.x[-1]))))
np.testing.assert_allclose(X.T @ (p - y) / len(y) + 0.02 * np.asarray(res.x[:-1]), 0.0, atol=1e-5)
np.testing.assert_allclose(np.mean(p - y), 0.0, atol=1e-5)
assert int(res.nit) > 0 and int(res.nfev) >= int(res.nit)
print("OK")
