"""External callbacks: a scipy function inside jitted, vmapped and
differentiated code through pure_callback and custom_jvp, and io_callback
logging from a training loop."""
import numpy as np
import scipy.special

import jax
import jax.numpy as jnp
from jax.experimental import io_callback


def host_j0(x):
    # scipy computes in float64; the result is declared float32 like x
    return scipy.special.j0(np.asarray(x)).astype(x.dtype)


def host_j1(x):
    return scipy.special.j1(np.asarray(x)).astype(x.dtype)


@jax.custom_jvp
def j0(x):
    out = jax.ShapeDtypeStruct(x.shape, x.dtype)
    return jax.pure_callback(host_j0, out, x, vmap_method="expand_dims")


@j0.defjvp
def j0_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    out = jax.ShapeDtypeStruct(x.shape, x.dtype)
    # d/dx J0(x) = -J1(x)
    return j0(x), -jax.pure_callback(host_j1, out, x, vmap_method="expand_dims") * t


x = jnp.linspace(0.0, 10.0, 50)
np.testing.assert_allclose(jax.jit(j0)(x), scipy.special.j0(np.asarray(x)), rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(jax.vmap(j0)(x.reshape(5, 10)).ravel(), scipy.special.j0(np.asarray(x)),
                           rtol=1e-5, atol=1e-6)
g = jax.jit(jax.grad(lambda v: jnp.sum(j0(v))))(x)
np.testing.assert_allclose(g, -scipy.special.j1(np.asarray(x)), rtol=1e-5, atol=1e-6)
xn = np.asarray(x, np.float64)
fd = (scipy.special.j0(xn + 1e-6) - scipy.special.j0(xn - 1e-6)) / 2e-6
np.testing.assert_allclose(g, fd, rtol=1e-4, atol=1e-5)

# Fit a * J0(b * t) to data; io_callback records the loss at every step.
t = jnp.linspace(0.5, 6.0, 40)
data = 1.5 * scipy.special.j0(0.8 * np.asarray(t))
losses = []


def record(step, loss):
    losses.append((int(step), float(loss)))
    return np.int32(0)


@jax.jit
def step(params, i):
    def loss_fn(p):
        return jnp.mean((p[0] * j0(p[1] * t) - data) ** 2)
    loss, grads = jax.value_and_grad(loss_fn)(params)
    io_callback(record, jax.ShapeDtypeStruct((), jnp.int32), i, loss)
    return params - 0.2 * grads


params = jnp.array([1.0, 0.9])
for i in range(300):
    params = step(params, i)
assert [s for s, _ in losses] == list(range(300))
assert losses[-1][1] < 1e-3 * losses[0][1], (losses[0], losses[-1])
np.testing.assert_allclose(params, [1.5, 0.8], rtol=2e-2)
print("OK")
