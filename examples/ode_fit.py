"""Recover Lotka-Volterra rates from noisy observations with odeint's adjoint
gradients.

Predator-prey dynamics

    prey' = a prey - b prey pred,    pred' = c prey pred - d pred

are observed (with 3% multiplicative noise) at 25 times on [0, 12] under the
true rates (a, b, c, d) = (1.0, 0.4, 0.1, 0.4). Starting from rates 30-50% off,
the rates (in log space, so they stay positive) are fitted by minimizing the
squared error of log populations:

* the loss integrates the ODE with ``odeint`` (adaptive Dormand-Prince,
  tolerance 1e-8), and ``value_and_grad`` differentiates it with the adjoint
  method (a second ODE solve backwards in time), all under one ``jit``;
* the gradient at the start is checked against central finite differences;
* a few steps of gradient descent with backtracking show the loss falling,
  then ``jaxlite.scipy.optimize.minimize(method="BFGS")`` finishes the fit,
  itself jitted (its line search calls the jitted loss).

Run: ``python examples/ode_fit.py``. The code is written for JAX's API:
replacing the jaxlite imports with ``import jax`` / ``jax.numpy`` /
``jax.experimental.ode`` / ``jax.scipy.optimize`` runs it unchanged (with
``jax.config.update("jax_enable_x64", True)``).
"""
import time

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite.experimental.ode import odeint
from jaxlite.scipy.optimize import minimize

TRUE_RATES = np.array([1.0, 0.4, 0.1, 0.4])
Y0 = np.array([10.0, 5.0])
TIMES = np.linspace(0.0, 12.0, 25)


def lotka_volterra(y, t, rates):
    prey, pred = y[0], y[1]
    a, b, c, d = rates[0], rates[1], rates[2], rates[3]
    return jnp.stack([a * prey - b * prey * pred, c * prey * pred - d * pred])


def simulate(log_rates):
    return odeint(lotka_volterra, Y0, TIMES, jnp.exp(log_rates), rtol=1e-8, atol=1e-8)


def make_observations(rng):
    clean = np.asarray(simulate(np.log(TRUE_RATES)))
    return clean * np.exp(0.03 * rng.standard_normal(clean.shape))


def make_loss(observed):
    log_observed = np.log(observed)

    def loss(log_rates):
        predicted = simulate(log_rates)
        return jnp.mean((jnp.log(predicted) - log_observed) ** 2)
    return loss


def check_gradient(loss, value_and_grad, x, eps=1e-6):
    _, grad = value_and_grad(x)
    fd = np.array([(float(loss(x + eps * e)) - float(loss(x - eps * e))) / (2 * eps)
                   for e in np.eye(len(x))])
    err = np.max(np.abs(np.asarray(grad) - fd)) / np.max(np.abs(fd))
    print(f"adjoint gradient vs central differences: max relative error {err:.1e}")
    assert err < 1e-5, err


def gradient_descent(value_and_grad, x, steps=15):
    step = 1.0
    value, grad = value_and_grad(x)
    for i in range(steps):
        while True:                      # backtracking: accept the first decrease
            trial = x - step * np.asarray(grad)
            trial_value, trial_grad = value_and_grad(trial)
            if float(trial_value) < float(value):
                break
            step *= 0.5
        x, value, grad, step = trial, trial_value, trial_grad, step * 1.5
        if i % 5 == 4:
            print(f"  descent step {i + 1:2d}: loss {float(value):.6f}  rates "
                  f"{np.round(np.exp(x), 4)}")
    return x


def main():
    rng = np.random.default_rng(0)
    observed = make_observations(rng)
    loss = make_loss(observed)
    value_and_grad = jax.jit(jax.value_and_grad(loss))
    start = np.log(TRUE_RATES * np.array([1.4, 0.6, 1.3, 0.7]))

    t0 = time.perf_counter()
    value, _ = value_and_grad(start)
    print(f"first jit(value_and_grad) call (trace + compile + run): "
          f"{time.perf_counter() - t0:.2f} s; loss at start {float(value):.4f}")
    t0 = time.perf_counter()
    for _ in range(100):
        jax.block_until_ready(value_and_grad(start))
    print(f"one loss + adjoint gradient: {(time.perf_counter() - t0) / 100 * 1e3:.2f} ms")
    check_gradient(loss, value_and_grad, start)

    x = gradient_descent(value_and_grad, start)

    fit = jax.jit(lambda x0: minimize(loss, x0, method="BFGS", options={"gtol": 1e-7}))
    t0 = time.perf_counter()
    result = fit(x)
    print(f"BFGS: {int(result.nit)} iterations, {int(result.nfev)} evaluations, "
          f"status {int(result.status)}, loss {float(result.fun):.6f} "
          f"({time.perf_counter() - t0:.1f} s with compilation)")
    rates = np.exp(np.asarray(result.x))
    print("true rates      ", TRUE_RATES)
    print("recovered rates ", np.round(rates, 4))
    error = np.max(np.abs(rates / TRUE_RATES - 1))
    print(f"largest relative error of a recovered rate: {error:.2%}")
    assert error < 0.05, error
    return rates


if __name__ == "__main__":
    main()
