"""jaxlite.experimental.ode.odeint: values against closed forms and
scipy.integrate, gradients (adjoint method) against float64 central finite
differences for y0, t and args, second order, jit, vmap, pytrees, bad input."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.experimental.ode import odeint

TS = np.linspace(0.0, 4.0, 9)


def decay(y, t, k):
    return -k * y


def forced(y, t, k):
    return -k * y + jnp.sin(3.0 * t)


def lotka_volterra(y, t, rates):
    prey, pred = y[0], y[1]
    a, b, c, d = rates[0], rates[1], rates[2], rates[3]
    return jnp.stack([a * prey - b * prey * pred, c * prey * pred - d * pred])


def oscillator(state, t, params):
    # A pytree state and parameters: {"x", "v"} and (omega, damping).
    omega, zeta = params
    return {"x": state["v"], "v": -omega ** 2 * state["x"] - 2 * zeta * omega * state["v"]}


RATES = np.array([1.1, 0.4, 0.1, 0.4])


def test_exponential_decay_closed_form():
    y0 = np.array([1.0, -2.0, 0.5])
    ys = odeint(decay, y0, TS, 0.8)
    np.testing.assert_allclose(ys, y0 * np.exp(-0.8 * TS)[:, None], rtol=2e-7, atol=1e-9)


def test_damped_oscillator_pytree_closed_form():
    omega, zeta = 2.0, 0.1
    out = odeint(oscillator, {"x": np.float64(1.0), "v": np.float64(0.0)}, TS, (omega, zeta))
    wd = omega * np.sqrt(1 - zeta ** 2)
    x = np.exp(-zeta * omega * TS) * (np.cos(wd * TS) + zeta * omega / wd * np.sin(wd * TS))
    np.testing.assert_allclose(out["x"], x, rtol=1e-6, atol=1e-8)
    assert out["v"].shape == TS.shape


def test_lotka_volterra_against_solve_ivp():
    y0 = np.array([10.0, 5.0])
    ts = np.linspace(0, 15, 31)
    got = odeint(lotka_volterra, y0, ts, RATES)
    want = solve_ivp(lambda t, y: np.asarray(lotka_volterra(y, t, RATES)), (0, 15), y0,
                     t_eval=ts, rtol=1e-12, atol=1e-12, method="DOP853").y.T
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)
    loose = odeint(lotka_volterra, y0, ts, RATES, rtol=1e-4, atol=1e-4)
    err = np.max(np.abs(np.asarray(loose) - want))
    assert 1e-7 < err < 0.05            # the tolerance is honoured, not exceeded by far


def test_time_dependent_against_solve_ivp():
    y0 = np.array([0.3, 1.0])
    got = odeint(forced, y0, TS, 0.5)
    want = solve_ivp(lambda t, y: -0.5 * y + np.sin(3 * t), (0, 4), y0, t_eval=TS, rtol=1e-12,
                     atol=1e-12).y.T
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)


def test_jit_matches_eager_and_vmap_matches_loop():
    y0 = np.array([10.0, 5.0])
    ts = np.linspace(0, 5, 6)
    eager = odeint(lotka_volterra, y0, ts, RATES)
    jitted = jaxlite.jit(lambda y0, ts, r: odeint(lotka_volterra, y0, ts, r))(y0, ts, RATES)
    np.testing.assert_allclose(jitted, eager, rtol=1e-12)
    starts = np.array([[10.0, 5.0], [4.0, 2.0], [7.0, 7.0]])
    batched = jaxlite.vmap(lambda y: odeint(lotka_volterra, y, ts, RATES))(starts)
    for i, y in enumerate(starts):
        np.testing.assert_allclose(batched[i], odeint(lotka_volterra, y, ts, RATES), rtol=1e-6)
    ks = np.array([0.3, 0.9])
    by_k = jaxlite.vmap(lambda k: odeint(forced, np.array([1.0]), TS, k))(ks)
    for i, k in enumerate(ks):
        np.testing.assert_allclose(by_k[i], odeint(forced, np.array([1.0]), TS, k), rtol=1e-6)


def _loss(y0, ts, rates):
    ys = odeint(lotka_volterra, y0, ts, rates)
    return jnp.sum(ys * jnp.array([1.0, 0.5])) + jnp.sum(ys[-1] ** 2)


def _fd(f, x, eps=1e-6):
    x = np.asarray(x, np.float64)
    out = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        out.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return out


def test_gradients_against_finite_differences():
    y0, ts = np.array([10.0, 5.0]), np.linspace(0, 3, 5)
    g_y0, g_t, g_r = jaxlite.grad(_loss, (0, 1, 2))(y0, ts, RATES)
    np.testing.assert_allclose(g_y0, _fd(lambda y: float(_loss(y, ts, RATES)), y0), rtol=1e-5)
    np.testing.assert_allclose(g_t, _fd(lambda t: float(_loss(y0, t, RATES)), ts), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(g_r, _fd(lambda r: float(_loss(y0, ts, r)), RATES), rtol=1e-5)


def test_gradient_of_time_dependent_field_and_start_time():
    def loss(y0, ts, k):
        return jnp.sum(odeint(forced, y0, ts, k) ** 2)
    y0, ts, k = np.array([0.3, 1.0]), np.array([0.5, 1.0, 2.5]), np.float64(0.7)
    g_y0, g_t, g_k = jaxlite.grad(loss, (0, 1, 2))(y0, ts, k)
    np.testing.assert_allclose(g_t, _fd(lambda t: float(loss(y0, t, k)), ts), rtol=1e-5)
    np.testing.assert_allclose(g_k, _fd(lambda k: float(loss(y0, ts, k)), k), rtol=1e-5)
    np.testing.assert_allclose(g_y0, _fd(lambda y: float(loss(y, ts, k)), y0), rtol=1e-5)


def test_gradient_with_pytree_state_and_args():
    def loss(params):
        out = odeint(oscillator, {"x": np.float64(1.0), "v": np.float64(0.0)}, TS, params)
        return jnp.sum(out["x"] ** 2) + jnp.sum(out["v"])
    params = (np.float64(2.0), np.float64(0.1))
    got = jaxlite.grad(loss)(params)
    for i in range(2):
        def along(v, i=i):
            p = list(params)
            p[i] = v
            return float(loss(tuple(p)))
        np.testing.assert_allclose(got[i], _fd(along, params[i]), rtol=1e-5)


def test_second_order():
    def loss(k):
        return jnp.sum(odeint(forced, np.array([0.3, 1.0]), TS, k) ** 2)
    k = np.float64(0.7)
    second = jaxlite.grad(jaxlite.grad(loss))(k)
    fd = (jaxlite.grad(loss)(k + 1e-5) - jaxlite.grad(loss)(k - 1e-5)) / 2e-5
    np.testing.assert_allclose(second, fd, rtol=1e-5)


def test_jit_of_grad_matches_grad():
    y0, ts = np.array([10.0, 5.0]), np.linspace(0, 3, 5)
    eager = jaxlite.grad(_loss, (0, 2))(y0, ts, RATES)
    jitted = jaxlite.jit(jaxlite.grad(_loss, (0, 2)))(y0, ts, RATES)
    for a, b in zip(jitted, eager):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_float32_and_options():
    y0 = np.array([1.0, 2.0], np.float32)
    ys = odeint(decay, y0, TS.astype(np.float32), np.float32(0.8), rtol=1e-5, atol=1e-6)
    assert ys.dtype == np.float32
    np.testing.assert_allclose(ys, y0 * np.exp(-0.8 * TS)[:, None], rtol=1e-4)
    capped = odeint(decay, np.array([1.0]), TS, 0.8, hmax=0.01)
    np.testing.assert_allclose(capped[:, 0], np.exp(-0.8 * TS), rtol=2e-7)
    # Too few steps allowed: the unfinished outputs are NaN, not silently wrong.
    short = odeint(decay, np.array([1.0]), TS, 0.8, mxstep=1)
    assert np.isnan(short[-1, 0]) and short[0, 0] == 1.0


def test_bad_input():
    with pytest.raises(TypeError, match="must be arrays or scalars"):
        odeint(decay, np.array([1.0]), TS, "fast")
    with pytest.raises(TypeError, match="floating-point"):
        odeint(decay, np.array([1, 2]), TS, 0.5)
    with pytest.raises(ValueError, match="one-dimensional"):
        odeint(decay, np.array([1.0]), TS[None], 0.5)
