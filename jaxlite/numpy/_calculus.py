"""Numerical calculus and signal helpers: gradient, trapezoid, interp, unwrap,
the window functions (bartlett, blackman, hamming, hanning, kaiser), i0,
angle and the real/complex predicates.

All are compositions of jnp functions, so they trace and differentiate.
"""
import math

import numpy as np

from jaxlite import numpy as jnp
from jaxlite import numpy_util as util

__all__ = ["gradient", "trapezoid", "interp", "unwrap", "bartlett", "blackman", "hamming",
           "hanning", "kaiser", "i0", "angle", "iscomplex", "isreal", "iscomplexobj",
           "isrealobj"]


def _float(a):
    a = util.as_operand(a)
    dt = util.aval(a).dtype
    return a if dt.kind == "f" else a.astype(util.to_inexact_dtype(dt))


def _gradient_1d(f, h, axis):
    """Second-order central differences inside, first-order at the edges
    (numpy's default), for a scalar spacing or a coordinate vector ``h``."""
    n = util.shape(f)[axis]
    if n < 2:
        raise ValueError(f"gradient: shape of the array along axis {axis} must be at least "
                         f"2, got {n}")
    sl = lambda a, b: jnp.take(f, jnp.arange(a, n + b if b <= 0 else b), axis=axis)  # noqa
    shape = [1] * util.ndim(f)
    shape[axis] = -1
    if util.ndim(h) == 0:
        interior = (sl(2, 0) - sl(0, -2)) / (2 * h)
        first = (sl(1, 2) - sl(0, 1)) / h
        last = (sl(n - 1, 0) - sl(n - 2, -1)) / h
    else:
        dx = jnp.diff(h)
        dx1 = jnp.reshape(dx[:-1], shape)
        dx2 = jnp.reshape(dx[1:], shape)
        a = -dx2 / (dx1 * (dx1 + dx2))
        b = (dx2 - dx1) / (dx1 * dx2)
        c = dx1 / (dx2 * (dx1 + dx2))
        interior = a * sl(0, -2) + b * sl(1, -1) + c * sl(2, 0)
        first = (sl(1, 2) - sl(0, 1)) / dx[0]
        last = (sl(n - 1, 0) - sl(n - 2, -1)) / dx[-1]
    return jnp.concatenate([first, interior, last], axis=axis) if n > 2 else \
        jnp.concatenate([first, last], axis=axis)


def gradient(f, *varargs, axis=None, edge_order=None):
    """The gradient of sampled values ``f`` along each axis (or ``axis``):
    spacings are scalars or coordinate vectors, one per axis (or one for all)."""
    if edge_order not in (None, 1):
        raise NotImplementedError("gradient: only edge_order=1 is implemented (as JAX)")
    f = _float(f)
    nd = util.ndim(f)
    axes = list(range(nd)) if axis is None else \
        ([util.canonical_axis(axis, nd)] if isinstance(axis, int)
         else [util.canonical_axis(a, nd) for a in axis])
    if len(varargs) == 0:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and util.ndim(util.as_operand(varargs[0])) == 0:
        spacing = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacing = list(varargs)
    else:
        raise TypeError(f"gradient: invalid number of spacing arguments: {len(varargs)} for "
                        f"{len(axes)} axes")
    spacing = [jnp.asarray(util.as_operand(h)).astype(util.aval(f).dtype) for h in spacing]
    out = [_gradient_1d(f, h, ax) for ax, h in zip(axes, spacing)]
    return out[0] if len(out) == 1 else out


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` along ``axis`` by the trapezoidal rule."""
    y = _float(y)
    axis = util.canonical_axis(axis, util.ndim(y))
    y = jnp.moveaxis(y, axis, -1)
    if x is None:
        d = dx
    else:
        x = _float(x)
        d = jnp.diff(x) if util.ndim(x) == 1 else jnp.diff(jnp.moveaxis(x, axis, -1), axis=-1)
    return jnp.sum(d * (y[..., 1:] + y[..., :-1]) / 2, axis=-1)


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of the points ``(xp, fp)`` (``xp``
    increasing) at ``x``; outside, ``left`` / ``right`` (default the end values,
    or 'extrapolate'); with ``period``, ``xp`` is periodic."""
    x, xp, fp = util.promote_inexact(util.as_operand(x), util.as_operand(xp),
                                     util.as_operand(fp))
    if util.ndim(xp) != 1 or util.ndim(fp) != 1 or util.shape(xp) != util.shape(fp):
        raise ValueError(f"interp: xp and fp must be 1-d of equal length, got shapes "
                         f"{util.shape(xp)} and {util.shape(fp)}")
    if period is not None:
        if left is not None or right is not None:
            raise ValueError("interp: left and right cannot be given with period")
        period = jnp.abs(jnp.asarray(period, util.aval(x).dtype))
        x = x % period
        xp = xp % period
        order = jnp.argsort(xp)
        xp, fp = jnp.take(xp, order), jnp.take(fp, order)
        xp = jnp.concatenate([xp[-1:] - period, xp, xp[:1] + period])
        fp = jnp.concatenate([fp[-1:], fp, fp[:1]])
    n = util.shape(xp)[0]
    i = jnp.clip(jnp.searchsorted(xp, x, side="right"), 1, n - 1)
    x0, x1, f0, f1 = xp[i - 1], xp[i], fp[i - 1], fp[i]
    dx = x1 - x0
    safe = jnp.where(dx == 0, 1, dx)
    out = jnp.where(dx == 0, f0, f0 + (x - x0) / safe * (f1 - f0))
    if period is not None:
        return out
    if isinstance(left, str):
        if left != "extrapolate":
            raise ValueError(f"interp: left must be a value or 'extrapolate', got {left!r}")
    else:
        out = jnp.where(x < xp[0], fp[0] if left is None else left, out)
    if isinstance(right, str):
        if right != "extrapolate":
            raise ValueError(f"interp: right must be a value or 'extrapolate', got {right!r}")
    else:
        out = jnp.where(x > xp[-1], fp[-1] if right is None else right, out)
    return out


def unwrap(p, discont=None, axis=-1, period=2 * math.pi):
    """``p`` with jumps larger than ``discont`` (default period/2) between
    neighbours along ``axis`` replaced by their complement modulo ``period``."""
    p = _float(p)
    axis = util.canonical_axis(axis, util.ndim(p))
    half = period / 2
    discont = half if discont is None else max(discont, half)
    dd = jnp.diff(p, axis=axis)
    ddmod = (dd + half) % period - half
    ddmod = jnp.where((ddmod == -half) & (dd > 0), half, ddmod)
    correct = jnp.where(jnp.abs(dd) < discont, 0, ddmod - dd)
    n = util.shape(p)[axis]
    head = jnp.take(p, jnp.arange(0, 1), axis=axis)
    tail = jnp.take(p, jnp.arange(1, n), axis=axis) + jnp.cumsum(correct, axis=axis)
    return jnp.concatenate([head, tail], axis=axis)


# --------------------------------------------------------------- windows

def _window(M, f):
    M = int(M)
    if M < 1:
        return jnp.zeros(0)
    if M == 1:
        return jnp.ones(1)
    n = jnp.arange(M, dtype=float)
    return f(n, M)


def bartlett(M):
    return _window(M, lambda n, M: 1 - jnp.abs(2 * n / (M - 1) - 1))


def blackman(M):
    return _window(M, lambda n, M: 0.42 - 0.5 * jnp.cos(2 * np.pi * n / (M - 1))
                   + 0.08 * jnp.cos(4 * np.pi * n / (M - 1)))


def hamming(M):
    return _window(M, lambda n, M: 0.54 - 0.46 * jnp.cos(2 * np.pi * n / (M - 1)))


def hanning(M):
    return _window(M, lambda n, M: 0.5 - 0.5 * jnp.cos(2 * np.pi * n / (M - 1)))


def kaiser(M, beta):
    return _window(M, lambda n, M: i0(beta * jnp.sqrt(1 - (2 * n / (M - 1) - 1) ** 2))
                   / i0(jnp.asarray(beta, n.dtype)))


_SERIES_TERMS = 60
_ASYMPTOTIC_TERMS = 12
_SWITCH = 15.0


def i0(x):
    """The modified Bessel function of the first kind, order 0: its power series
    below |x| = 15, its asymptotic expansion above (each branch evaluated at a
    safe argument, so the unused one cannot make the gradient NaN)."""
    if jnp.iscomplexobj(x):
        raise ValueError(f"Unsupported input type to jnp.i0: {util.aval(util.as_operand(x)).dtype}")
    x = jnp.abs(_float(x))
    small = x < _SWITCH
    xs = jnp.where(small, x, 0)
    q = (xs / 2) ** 2
    term = jnp.ones_like(xs)
    series = jnp.ones_like(xs)
    for k in range(1, _SERIES_TERMS):
        term = term * q / (k * k)
        series = series + term
    xl = jnp.where(small, _SWITCH, x)
    coef, total = 1.0, jnp.ones_like(xl)
    for k in range(1, _ASYMPTOTIC_TERMS):
        coef *= (2 * k - 1) ** 2 / (k * 8.0)
        total = total + coef / xl ** k
    asymptotic = jnp.exp(xl) / jnp.sqrt(2 * np.pi * xl) * total
    return jnp.where(small, series, asymptotic)


# ------------------------------------------------------- complex helpers

def angle(z, deg=False):
    """The argument of ``z``: ``arctan2(imag(z), real(z))`` (for real ``z``: 0, or
    pi for negative values and -0.0), in degrees if ``deg``."""
    z = util.as_operand(z)
    re = _float(jnp.real(z))
    # A real input's imaginary part is +0 (not imag(x), which can be -0.0).
    im = jnp.imag(z).astype(util.aval(re).dtype) if iscomplexobj(z) else jnp.zeros_like(re)
    out = jnp.arctan2(im, re)
    return out * (180 / np.pi) if deg else out


def iscomplexobj(x):
    """True when ``x`` has a complex dtype."""
    dt = getattr(x, "dtype", None)
    if dt is None:
        dt = np.asarray(x).dtype
    return np.dtype(dt).kind == "c"


def isrealobj(x):
    return not iscomplexobj(x)


def iscomplex(x):
    """Elementwise: a non-zero imaginary part."""
    return jnp.imag(util.as_operand(x)) != 0


def isreal(x):
    """Elementwise: a zero imaginary part."""
    return jnp.imag(util.as_operand(x)) == 0
