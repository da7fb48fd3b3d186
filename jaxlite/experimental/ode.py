"""odeint: adaptive Dormand-Prince 5(4) integration of dy/dt = func(y, t, *args)
with gradients by the adjoint method, as jax.experimental.ode.odeint.

Forward: for each output interval [t_i, t_i+1], a while loop of embedded
Runge-Kutta steps with step-size control on the mixed error tolerance
atol + rtol |y|; the last step of an interval is shortened to land exactly on
t_i+1, so outputs need no interpolation (the step size carries over). The
intervals are one lax.scan, so the whole solve jits to one native loop nest.

Reverse (custom_vjp): from the last time backwards, the augmented system
[y, a, t0_bar, args_bar] with a = dL/dy runs over each interval (in reversed
time s = -t: dy/ds = -f, da/ds = a df/dy, d(args_bar)/ds = a df/dargs,
d(t0_bar)/ds = a df/dt), solved by the same integrator; each output's
cotangent is added to a as the sweep passes its time. Time cotangents:
dL/dt_i = g_i . f(y_i, t_i) for i > 0, and t_0's from the adjoint identity.

Parameters whose gradients are wanted must be passed through ``*args``
(func must not close over values being differentiated).
"""
import numpy as np

from jaxlite import api, custom_derivatives, lax, tree_util
from jaxlite import numpy as jnp
from jaxlite.flatten_util import ravel_pytree

__all__ = ["odeint"]

# Dormand & Prince (1980), RK5(4)7M: nodes, stage weights, 5th-order weights and
# the difference between the 5th- and the embedded 4th-order weights.
_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_A = ((),
      (1 / 5,),
      (3 / 40, 9 / 40),
      (44 / 45, -56 / 15, 32 / 9),
      (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
      (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
      (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84))
_B5 = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0)
_B4 = (5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40)
_E = tuple(b5 - b4 for b5, b4 in zip(_B5, _B4))


def _combine(ks, weights):
    total = None
    for k, w in zip(ks, weights):
        if w != 0.0:
            total = k * w if total is None else total + k * w
    return total


def _dopri_step(f, y, fy, t, h):
    """One step: the 5th-order solution, f there (the next step's first stage)
    and the local error estimate."""
    ks = [fy]
    for i in range(1, 7):
        ks.append(f(y + h * _combine(ks, _A[i]), t + _C[i] * h))
    y_new = y + h * _combine(ks[:6], _B5)
    return y_new, ks[6], h * _combine(ks, _E)


def _rms(x):
    return jnp.sqrt(jnp.mean(x * x))


def _initial_step(f, y0, f0, t0, rtol, atol):
    """Hairer, Norsett & Wanner's starting step for a method of order 5."""
    scale = atol + rtol * jnp.abs(y0)
    d0, d1 = _rms(y0 / scale), _rms(f0 / scale)
    h0 = jnp.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / d1)
    f1 = f(y0 + h0 * f0, t0 + h0)
    d2 = _rms((f1 - f0) / scale) / h0
    h1 = jnp.where(jnp.maximum(d1, d2) <= 1e-15, jnp.maximum(1e-6, h0 * 1e-3),
                   (0.01 / jnp.maximum(d1, d2)) ** 0.2)
    return jnp.minimum(100.0 * h0, h1)


def _integrate(f, y0, ts, rtol, atol, mxstep, hmax):
    """y at each of ``ts`` (increasing) for a flat state ``y0``; f(y, t) -> dy/dt.
    An interval the solver cannot finish (mxstep steps, or a step size
    underflowing) gives NaN."""
    dtype = y0.dtype
    f0 = f(y0, ts[0])
    h0 = jnp.minimum(_initial_step(f, y0, f0, ts[0], rtol, atol), hmax).astype(dtype)

    def interval(carry, t_end):
        t, y, fy, h = carry

        def cond(s):
            t, _, _, h, n = s
            going = (t < t_end) & (h > 1e-14 * jnp.abs(t))
            return going if mxstep == np.inf else going & (n < mxstep)

        def body(s):
            t, y, fy, h, n = s
            remaining = t_end - t
            shortened = h >= remaining
            h_try = jnp.where(shortened, remaining, h)
            y_new, f_new, err = _dopri_step(f, y, fy, t, h_try)
            ratio = _rms(err / (atol + rtol * jnp.maximum(jnp.abs(y), jnp.abs(y_new))))
            accept = ratio <= 1.0
            factor = jnp.clip(0.9 * jnp.where(ratio > 0, ratio, 1e-10) ** -0.2, 0.2, 10.0)
            h_next = jnp.minimum(h_try * factor, hmax)
            # A step cut short to land on t_end says nothing about the step size.
            h_next = jnp.where(accept & shortened, jnp.maximum(h, h_next), h_next)
            t_new = jnp.where(shortened, t_end, t + h_try)
            return (jnp.where(accept, t_new, t), jnp.where(accept, y_new, y),
                    jnp.where(accept, f_new, fy), h_next.astype(dtype), n + 1)

        t, y, fy, h, _ = lax.while_loop(cond, body, (t, y, fy, h, jnp.array(0, np.int32)))
        y_out = jnp.where(t < t_end, np.nan, y)
        return (t, y, fy, h), y_out

    _, ys = lax.scan(interval, (ts[0], y0, f0, h0), ts[1:])
    return jnp.concatenate([y0[None], ys], axis=0)


def _check_args(args):
    for leaf in tree_util.tree_leaves(args):
        if not (hasattr(leaf, "dtype") or isinstance(leaf, (int, float, bool))):
            raise TypeError(f"The contents of odeint *args must be arrays or scalars, but got "
                            f"{leaf}.")


def odeint(func, y0, t, *args, rtol=1.4e-8, atol=1.4e-8, mxstep=np.inf, hmax=np.inf):
    """Solve dy/dt = func(y, t, *args) from y(t[0]) = y0; returns y at every t
    (stacked on a leading axis, for each leaf of y0's pytree). ``t`` must be
    increasing. Differentiable with respect to y0, t and args (adjoint
    method); jit- and vmap-able."""
    _check_args(args)
    t = jnp.asarray(t)
    if t.ndim != 1:
        raise ValueError(f"odeint: t must be one-dimensional, got shape {t.shape}")
    y_flat, _ = ravel_pytree(y0)
    if not jnp.issubdtype(y_flat.dtype, jnp.floating):
        raise TypeError(f"odeint: y0 must hold floating-point values, got {y_flat.dtype}")
    t = t.astype(y_flat.dtype)
    args = tree_util.tree_map(lambda a: jnp.asarray(a, y_flat.dtype)
                              if not jnp.issubdtype(jnp.asarray(a).dtype, jnp.floating)
                              else jnp.asarray(a), args)
    return _odeint(func, rtol, atol, mxstep, hmax, y0, t, *args)


def _flat_dynamics(func, unravel, args):
    def f(y, t):
        out, _ = ravel_pytree(func(unravel(y), t, *args))
        return out.astype(y.dtype)
    return f


def _solve(func, rtol, atol, mxstep, hmax, y0, t, *args):
    y_flat, unravel = ravel_pytree(y0)
    ys = _integrate(_flat_dynamics(func, unravel, args), y_flat, t, rtol, atol, mxstep, hmax)
    return api.vmap(unravel)(ys)        # each row back to y0's pytree: a leading time axis


_odeint = custom_derivatives.custom_vjp(_solve, nondiff_argnums=(0, 1, 2, 3, 4))


def _odeint_fwd(func, rtol, atol, mxstep, hmax, y0, t, *args):
    # Through odeint itself, so that differentiating the residuals (second order)
    # uses the adjoint method again rather than reversing the solver's while loops.
    ys = _odeint(func, rtol, atol, mxstep, hmax, y0, t, *args)
    return ys, (ys, t, args)


def _odeint_bwd(func, rtol, atol, mxstep, hmax, residuals, g):
    ys, t, args = residuals
    ys_flat = api.vmap(lambda y: ravel_pytree(y)[0])(ys)
    g_flat = api.vmap(lambda y: ravel_pytree(y)[0])(g)
    _, unravel_y = ravel_pytree(tree_util.tree_map(lambda y: y[0], ys))
    args_flat, unravel_args = ravel_pytree(args)
    dtype = ys_flat.dtype

    def f(y, t, *args):
        out, _ = ravel_pytree(func(unravel_y(y), t, *args))
        return out.astype(dtype)

    def augmented(state, s, *args):
        # Reversed time s = -t; state (y, a, t0_bar, args_bar), a = dL/dy.
        y, a = state[0], state[1]
        dy, pullback = api.vjp(f, y, -s, *args)
        a_y, a_t, *a_args = pullback(a)
        return -dy, a_y, a_t, ravel_pytree(tuple(a_args))[0].astype(dtype)

    def sweep(carry, interval):
        a, t0_bar, args_bar = carry
        y_i, g_i, g_prev, t_i, t_prev = interval
        t_bar = jnp.dot(f(y_i, t_i, *args), g_i)
        t0_bar = t0_bar - t_bar
        # odeint itself (not the bare integrator), so that this pass differentiates too.
        _, a, t0_bar, args_bar = _odeint(augmented, rtol, atol, mxstep, hmax,
                                         (y_i, a, t0_bar, args_bar), jnp.stack([-t_i, -t_prev]),
                                         *args)
        return (a[1] + g_prev, t0_bar[1], args_bar[1]), t_bar

    init = (g_flat[-1], jnp.zeros((), dtype), jnp.zeros(args_flat.shape, dtype))
    t = jnp.asarray(t)
    # Intervals from the last one back: (y_i, g_i, g_i-1, t_i, t_i-1) for i = N-1 .. 1.
    intervals = (ys_flat[1:][::-1], g_flat[1:][::-1], g_flat[:-1][::-1], t[1:][::-1],
                 t[:-1][::-1])
    (a, t0_bar, args_bar), t_bars = lax.scan(sweep, init, intervals)
    t_bar = jnp.concatenate([jnp.reshape(t0_bar, (1,)), t_bars[::-1]])
    return (unravel_y(a), t_bar, *unravel_args(args_bar))


_odeint.defvjp(_odeint_fwd, _odeint_bwd)
