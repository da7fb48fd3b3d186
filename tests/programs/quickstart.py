"""JAX's quickstart: grad, jit, vmap and a Hessian, checked against closed forms."""
import numpy as np

import jax
import jax.numpy as jnp
from jax import grad, jit, vmap


def selu(x, alpha=1.67, lmbda=1.05):
    return lmbda * jnp.where(x > 0, x, alpha * jnp.exp(x) - alpha)


key = jax.random.key(0)
x = jax.random.normal(key, (1_000_000,))
fast = jit(selu)
np.testing.assert_allclose(fast(x), selu(x), rtol=1e-6, atol=1e-6)
xn = np.asarray(x, np.float64)
np.testing.assert_allclose(fast(x), 1.05 * np.where(xn > 0, xn, 1.67 * np.expm1(xn)),
                           rtol=1e-5, atol=1e-6)


def sum_logistic(x):
    return jnp.sum(1.0 / (1.0 + jnp.exp(-x)))


x_small = jnp.arange(3.0)
s = 1 / (1 + np.exp(-np.arange(3.0)))
np.testing.assert_allclose(grad(sum_logistic)(x_small), s * (1 - s), rtol=1e-6)
np.testing.assert_allclose(jit(grad(jit(grad(jit(grad(sum_logistic))))))(1.0),
                           # third derivative of the logistic function at 1
                           (lambda p: p * (1 - p) * (1 - 6 * p + 6 * p * p))(1 / (1 + np.exp(-1.0))),
                           rtol=1e-5)

mat = jax.random.normal(key, (150, 100))
batched_x = jax.random.normal(key, (10, 100))


def apply_matrix(v):
    return jnp.dot(mat, v)


want = np.asarray(batched_x) @ np.asarray(mat).T
np.testing.assert_allclose(vmap(apply_matrix)(batched_x), want, rtol=1e-4, atol=1e-4)
np.testing.assert_allclose(jit(vmap(apply_matrix))(batched_x), want, rtol=1e-4, atol=1e-4)


def hessian(f):
    return jax.jacfwd(jax.jacrev(f))


def quad(v):
    return v @ jnp.array([[2.0, 1.0], [1.0, 3.0]]) @ v


np.testing.assert_allclose(hessian(quad)(jnp.ones(2)), [[4.0, 2.0], [2.0, 6.0]], rtol=1e-6)
print("OK")
