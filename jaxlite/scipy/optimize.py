"""jaxlite.scipy.optimize.minimize: BFGS with a strong-Wolfe line search, as
jax.scipy.optimize.minimize(method="BFGS").

Everything runs inside ``lax.while_loop``, so ``jit(minimize ...)`` compiles
the whole optimization to one native loop. Gradients come from
``value_and_grad(fun)``. The line search brackets a step satisfying the
strong Wolfe conditions (Nocedal & Wright, algorithms 3.5 and 3.6) and then
zooms with a safeguarded cubic interpolation, in one loop whose state says
which phase it is in.
"""
from typing import Any, NamedTuple

import numpy as np

from jaxlite import api, lax
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util

__all__ = ["minimize", "OptimizeResults"]


class OptimizeResults(NamedTuple):
    """The result of ``minimize``.

    status: 0 converged, 1 maximum BFGS iterations reached, 3 the line
    search's zoom failed (the bracket collapsed), 5 the line search reached
    its iteration limit, -1 undefined (as JAX's codes)."""
    x: Any
    success: Any
    status: Any
    fun: Any
    jac: Any
    hess_inv: Any
    nfev: Any
    njev: Any
    nit: Any


class _Search(NamedTuple):
    n: Any            # trial steps taken
    done: Any
    failed: Any
    zooming: Any
    a_prev: Any       # bracketing: the previous trial step and its values
    phi_prev: Any
    dphi_prev: Any
    a_next: Any
    lo: Any           # zooming: the bracket, lo the best step so far
    phi_lo: Any
    dphi_lo: Any
    hi: Any
    phi_hi: Any
    dphi_hi: Any
    a_star: Any       # the accepted step, its value and gradient
    phi_star: Any
    g_star: Any


def _cubic_step(lo, phi_lo, dphi_lo, hi, phi_hi, dphi_hi):
    """The minimizer of the cubic through both ends (values and slopes), kept
    inside the middle 80% of the bracket; bisection otherwise."""
    d1 = dphi_lo + dphi_hi - 3.0 * (phi_lo - phi_hi) / (lo - hi)
    radicand = d1 * d1 - dphi_lo * dphi_hi
    d2 = jnp.sign(hi - lo) * jnp.sqrt(jnp.maximum(radicand, 0.0))
    a = hi - (hi - lo) * (dphi_hi + d2 - d1) / (dphi_hi - dphi_lo + 2.0 * d2)
    width = hi - lo
    left, right = jnp.minimum(lo, hi), jnp.maximum(lo, hi)
    margin = 0.1 * jnp.abs(width)
    ok = (radicand >= 0) & jnp.isfinite(a) & (a > left + margin) & (a < right - margin)
    return jnp.where(ok, a, lo + 0.5 * width)


def _line_search(value_and_grad, x, p, f0, g0, old_f, maxiter, c1=1e-4, c2=0.9):
    """A step a along p with phi(a) = f(x + a p) meeting the strong Wolfe
    conditions. Returns (a, f(x + a p), grad there, evaluations, status)."""
    dt = x.dtype
    dphi0 = jnp.dot(g0, p)
    start = 1.01 * 2.0 * (f0 - old_f) / dphi0
    start = jnp.where((start > 1.0) | ~jnp.isfinite(start) | (start <= 0), 1.0, start)
    zero, false = jnp.zeros((), dt), jnp.array(False)
    state = _Search(n=jnp.array(0, np.int32), done=false, failed=false, zooming=false,
                    a_prev=zero, phi_prev=f0, dphi_prev=dphi0, a_next=start.astype(dt),
                    lo=zero, phi_lo=f0, dphi_lo=dphi0, hi=zero, phi_hi=f0, dphi_hi=dphi0,
                    a_star=zero, phi_star=f0, g_star=g0)
    limit = maxiter + 30          # bracketing steps, then zoom steps

    def cond(s):
        return ~s.done & ~s.failed & (s.n < limit)

    def body(s):
        a = jnp.where(s.zooming, _cubic_step(s.lo, s.phi_lo, s.dphi_lo, s.hi, s.phi_hi,
                                             s.dphi_hi), s.a_next)
        phi, g = value_and_grad(x + a * p)
        dphi = jnp.dot(g, p)
        armijo_fails = phi > f0 + c1 * a * dphi0
        curvature_ok = jnp.abs(dphi) <= -c2 * dphi0
        # Bracketing: a too long step (or a rise) or an uphill slope brackets a minimum.
        rise = armijo_fails | ((s.n > 0) & (phi >= s.phi_prev))
        uphill = ~rise & ~curvature_ok & (dphi >= 0)
        b_done = ~rise & curvature_ok
        b_lo = jnp.where(rise, s.a_prev, a)
        b_phi_lo = jnp.where(rise, s.phi_prev, phi)
        b_dphi_lo = jnp.where(rise, s.dphi_prev, dphi)
        b_hi = jnp.where(rise, a, s.a_prev)
        b_phi_hi = jnp.where(rise, phi, s.phi_prev)
        b_dphi_hi = jnp.where(rise, dphi, s.dphi_prev)
        b_zoom = rise | uphill
        b_failed = ~b_done & ~b_zoom & (s.n + 1 >= maxiter)
        # Zooming: shrink [lo, hi] around a minimum meeting both conditions.
        above = armijo_fails | (phi >= s.phi_lo)
        z_done = ~above & curvature_ok
        flip = ~above & ~curvature_ok & (dphi * (s.hi - s.lo) >= 0)
        z_hi = jnp.where(above, a, jnp.where(flip, s.lo, s.hi))
        z_phi_hi = jnp.where(above, phi, jnp.where(flip, s.phi_lo, s.phi_hi))
        z_dphi_hi = jnp.where(above, dphi, jnp.where(flip, s.dphi_lo, s.dphi_hi))
        z_lo = jnp.where(above, s.lo, a)
        z_phi_lo = jnp.where(above, s.phi_lo, phi)
        z_dphi_lo = jnp.where(above, s.dphi_lo, dphi)
        z_failed = ~z_done & (jnp.abs(z_hi - z_lo) <= 1e-12 * jnp.maximum(jnp.abs(z_lo), 1.0))
        z = s.zooming
        done = jnp.where(z, z_done, b_done)

        def pick(zv, bv):
            return jnp.where(z, zv, bv)
        return _Search(
            n=s.n + 1, done=done, failed=pick(z_failed, b_failed), zooming=z | b_zoom,
            a_prev=a, phi_prev=phi, dphi_prev=dphi, a_next=2.0 * a,
            lo=pick(z_lo, b_lo), phi_lo=pick(z_phi_lo, b_phi_lo),
            dphi_lo=pick(z_dphi_lo, b_dphi_lo), hi=pick(z_hi, b_hi),
            phi_hi=pick(z_phi_hi, b_phi_hi), dphi_hi=pick(z_dphi_hi, b_dphi_hi),
            a_star=jnp.where(done, a, s.a_star), phi_star=jnp.where(done, phi, s.phi_star),
            g_star=jnp.where(done, g, s.g_star))

    s = lax.while_loop(cond, body, state)
    status = jnp.where(s.done, 0, jnp.where(s.failed & s.zooming, 1, 3)).astype(np.int32)
    return s.a_star, s.phi_star, s.g_star, s.n, status


class _BFGS(NamedTuple):
    converged: Any
    failed: Any
    k: Any
    nfev: Any
    x: Any
    f: Any
    g: Any
    H: Any
    old_f: Any
    ls_status: Any


def _norm(g, ord):
    if ord == np.inf:
        return jnp.max(jnp.abs(g))
    return jnp.linalg.norm(g, ord=ord)


def _bfgs(fun, x0, maxiter=None, norm=np.inf, gtol=1e-5, line_search_maxiter=10):
    value_and_grad = api.value_and_grad(fun)
    n = x0.shape[0]
    maxiter = n * 200 if maxiter is None else int(maxiter)
    f0, g0 = value_and_grad(x0)
    one = jnp.array(1, np.int32)
    state = _BFGS(converged=_norm(g0, norm) < gtol, failed=jnp.array(False), k=one * 0,
                  nfev=one, x=x0, f=f0, g=g0, H=jnp.eye(n, dtype=x0.dtype),
                  old_f=f0 + jnp.sqrt(jnp.sum(g0 * g0)) / 2.0, ls_status=one * 0)

    def cond(s):
        return ~s.converged & ~s.failed & (s.k < maxiter)

    def body(s):
        p = -(s.H @ s.g)
        a, f_new, g_new, evals, ls_status = _line_search(
            value_and_grad, s.x, p, s.f, s.g, s.old_f, line_search_maxiter)
        failed = ls_status != 0
        step = a * p
        y = g_new - s.g
        rho = 1.0 / jnp.dot(y, step)
        w = jnp.eye(n, dtype=s.x.dtype) - rho * jnp.outer(step, y)
        H_new = w @ s.H @ w.T + rho * jnp.outer(step, step)
        H_new = jnp.where(jnp.isfinite(rho), H_new, s.H)
        keep = failed                   # a failed search leaves the iterate alone
        return _BFGS(converged=~keep & (_norm(g_new, norm) < gtol), failed=failed, k=s.k + 1,
                     nfev=s.nfev + evals, x=jnp.where(keep, s.x, s.x + step),
                     f=jnp.where(keep, s.f, f_new), g=jnp.where(keep, s.g, g_new),
                     H=jnp.where(keep, s.H, H_new), old_f=s.f, ls_status=ls_status)

    s = lax.while_loop(cond, body, state)
    status = jnp.where(s.converged, 0, jnp.where(s.k == maxiter, 1, jnp.where(
        s.failed, 2 + s.ls_status, -1))).astype(np.int32)
    return OptimizeResults(x=s.x, success=s.converged & ~s.failed, status=status, fun=s.f,
                           jac=s.g, hess_inv=s.H, nfev=s.nfev, njev=s.nfev, nit=s.k)


def minimize(fun, x0, args=(), *, method, tol=None, options=None):
    """Minimize ``fun(x, *args)`` over a one-dimensional ``x`` from ``x0``.

    ``method`` must be "BFGS" (any case). ``options``: ``maxiter`` (default
    200 * x0.size), ``norm`` (of the gradient in the stopping test, default
    inf), ``gtol`` (default 1e-5; ``tol`` sets it too), ``line_search_maxiter``
    (default 10)."""
    if not isinstance(args, tuple):
        raise TypeError(f"args argument to jaxlite.scipy.optimize.minimize must be a tuple, "
                        f"got {args}")
    if method.lower() != "bfgs":
        raise ValueError(f"Method {method} not recognized")
    options = dict(options or {})
    unknown = set(options) - {"maxiter", "norm", "gtol", "line_search_maxiter"}
    if unknown:
        raise TypeError(f"minimize: unknown BFGS options {sorted(unknown)}")
    if tol is not None:
        options.setdefault("gtol", tol)
    x0, = util.promote_inexact(x0)
    if x0.ndim != 1:
        raise TypeError(f"minimize: x0 must be one-dimensional, got shape {x0.shape}")
    return _bfgs(lambda x: fun(x, *args), x0, **options)
