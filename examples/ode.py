"""Fit the parameters of an ODE by differentiating through its RK4 solver.

A damped pendulum  theta'' = -(g/L) sin(theta) - c theta'  is integrated with
fixed-step RK4 written as one `lax.fori_loop` (static bounds: a `scan`, so
`grad` reverse-differentiates through all steps with the body compiled once).
The loss compares the trajectory with observations made with the true
parameters; its gradient is checked against central finite differences, and
a few steps of gradient descent recover the parameters. An adaptive-step
`while_loop` solver integrates to a final time with a tolerance.

The code is written for JAX's API: replacing the two jaxlite imports with
`import jax` / `import jax.numpy as jnp` runs it unchanged.
"""
import time

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax

DT, STEPS, OBSERVE_EVERY = 0.01, 400, 20


def pendulum(y, params):
    theta, omega = y[0], y[1]
    g_over_l, damping = params[0], params[1]
    return jnp.stack([omega, -g_over_l * jnp.sin(theta) - damping * omega])


def rk4_step(y, params, dt):
    k1 = pendulum(y, params)
    k2 = pendulum(y + 0.5 * dt * k1, params)
    k3 = pendulum(y + 0.5 * dt * k2, params)
    k4 = pendulum(y + dt * k3, params)
    return y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def trajectory(params, y0):
    """The angle every OBSERVE_EVERY steps: a scan over observations, each a
    fori_loop of RK4 steps."""
    def observe(y, _):
        y = lax.fori_loop(0, OBSERVE_EVERY, lambda i, y: rk4_step(y, params, DT), y)
        return y, y[0]
    _, thetas = lax.scan(observe, y0, None, length=STEPS // OBSERVE_EVERY)
    return thetas


def loss(params, y0, observed):
    return jnp.mean((trajectory(params, y0) - observed) ** 2)


def solve_adaptive(params, y0, t_end, tol=1e-6):
    """RK4 with step doubling: a while_loop whose trip count depends on the data."""
    def cond(state):
        t, _, _, _ = state
        return t < t_end

    def body(state):
        t, y, dt, n = state
        dt = jnp.minimum(dt, t_end - t)
        full = rk4_step(y, params, dt)
        half = rk4_step(rk4_step(y, params, dt / 2), params, dt / 2)
        err = jnp.max(jnp.abs(full - half))
        accept = err < tol
        t = jnp.where(accept, t + dt, t)
        y = jnp.where(accept, half, y)
        dt = jnp.where(accept, dt * 1.5, dt / 2)
        return t, y, dt, n + 1
    t, y, _, n = lax.while_loop(cond, body, (jnp.float32(0.0), y0, jnp.float32(0.1), 0))
    return y, n


def main():
    true_params = jnp.array([9.81 / 1.5, 0.3], jnp.float32)
    y0 = jnp.array([1.0, 0.0], jnp.float32)
    observed = jax.jit(trajectory)(true_params, y0)

    params = jnp.array([4.0, 0.1], jnp.float32)
    value_and_grad = jax.jit(jax.value_and_grad(loss))
    t0 = time.perf_counter()
    value, g = value_and_grad(params, y0, observed)
    print(f"first call (trace + compile): {time.perf_counter() - t0:.2f} s")
    print(f"loss {float(value):.5f}, grad {np.asarray(g)}")

    # Central finite differences in float64 on the same loss.
    p64, y64, o64 = (np.asarray(a, np.float64) for a in (params, y0, observed))
    eps = 1e-5
    fd = []
    for i in range(2):
        e = np.zeros(2)
        e[i] = eps
        fd.append((float(loss(p64 + e, y64, o64)) - float(loss(p64 - e, y64, o64))) / (2 * eps))
    print(f"finite differences     {np.array(fd)}")
    rel = np.max(np.abs(np.asarray(g) - fd) / np.maximum(np.abs(fd), 1e-8))
    print(f"max relative difference {rel:.2e}")
    assert rel < 2e-2, "gradient does not match finite differences"

    first = float(value)
    step = jax.jit(lambda p: p - 0.5 * value_and_grad(p, y0, observed)[1])
    t0 = time.perf_counter()
    for _ in range(300):
        params = step(params)
    value, _ = value_and_grad(params, y0, observed)
    print(f"300 gradient steps in {time.perf_counter() - t0:.2f} s: loss {first:.5f} -> "
          f"{float(value):.2e}, params {np.asarray(params)} (true {np.asarray(true_params)})")
    assert float(value) < first

    y, n = jax.jit(solve_adaptive, static_argnums=2)(true_params, y0, 4.0)
    fixed = jax.jit(lambda p, y: lax.fori_loop(0, 400, lambda i, y: rk4_step(y, p, 0.01), y))(
        true_params, y0)
    print(f"adaptive solver: y(4) = {np.asarray(y)} in {int(n)} trips; fixed step: "
          f"{np.asarray(fixed)}")


if __name__ == "__main__":
    main()
