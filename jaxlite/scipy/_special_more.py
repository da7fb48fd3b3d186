"""More of jax.scipy.special: erfcx, dawsn, exp1, expi, expn, sici, fresnel,
spence, bernoulli (real arguments).

Each is written over jaxlite.numpy and lax with a fixed number of series or
continued-fraction terms per branch (no data-dependent loops), so they trace
under jit, vmap and grad; every branch is evaluated on an argument clamped
into its own domain so that untaken branches produce no NaN gradients.
"""
import math
from fractions import Fraction

import numpy as np

from jaxlite import custom_derivatives, lax
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util

_EULER = 0.57721566490153286060651209
_SQRT_PI = math.sqrt(math.pi)


def _float(x):
    x, = util.promote_inexact(x)
    return jnp.asarray(x)


# ---------------------------------------------------------------- erfcx

def _erfcx_cf(x):
    """exp(x^2) erfc(x) for x >= 2 by the continued fraction
    1/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated backward."""
    terms = 60 if x.dtype == np.float64 else 24
    tail = x
    for k in range(terms, 0, -1):
        tail = x + (k / 2.0) / tail
    return (1.0 / _SQRT_PI) / tail


def _exp_square(x):
    """exp(x^2) without the rounding error of x^2 (which exp would multiply by
    x^2): x^2 = hi + lo exactly by Veltkamp splitting, exp(hi) exp(lo)."""
    split = 134217729.0 if x.dtype == np.float64 else 4097.0
    c = x * split
    xh = c - (c - x)
    xl = x - xh
    hi = x * x
    lo = ((xh * xh - hi) + 2.0 * xh * xl) + xl * xl
    return jnp.exp(hi) * jnp.exp(lo)


def _erfcx_impl(x):
    """The scaled complementary error function exp(x^2) erfc(x) (real x)."""
    x = _float(x)
    # Below -30 erfcx overflows any float; clamping keeps the squaring finite.
    small = jnp.clip(x, -30.0, 2.0)
    direct = _exp_square(small) * lax.erfc(small)
    large = _erfcx_cf(jnp.maximum(x, 2.0))
    return jnp.where(x < 2.0, direct, large)


# ---------------------------------------------------------------- dawsn

def _dawsn_taylor(x):
    """sum_k (-2)^k x^(2k+1) / (2k+1)!!, for |x| < 0.2."""
    x2 = x * x
    total = jnp.zeros_like(x)
    for k in range(14, -1, -1):
        coef = (-2.0) ** k / math.prod(range(1, 2 * k + 2, 2))
        total = total * x2 + coef
    return x * total


def _dawsn_rybicki(x):
    """Rybicki's sum (1/sqrt(pi)) sum_{n odd} exp(-(x - n h)^2) / n, h = 1/4,
    centred on the even grid point nearest x (error ~exp(-(pi/2h)^2))."""
    h = 0.25
    n0 = 2.0 * jnp.round(x / (2 * h))
    xp = x - n0 * h                      # exact: h is a power of two
    total = jnp.zeros_like(x)
    for k in range(-29, 30, 2):
        total = total + jnp.exp(-(xp - k * h) ** 2) / (n0 + k)
    return total / _SQRT_PI


def _dawsn_asymptotic(x):
    """1/(2x) sum_k (2k-1)!! / (2x^2)^k, for |x| >= 9 (error ~exp(-x^2))."""
    t = 1.0 / (2.0 * x * x)
    total = jnp.zeros_like(x)
    for k in range(20 if x.dtype == np.float64 else 8, -1, -1):
        total = total * t + float(math.prod(range(1, 2 * k, 2)))
    return total / (2.0 * x)


def _dawsn_impl(x):
    """Dawson's integral exp(-x^2) int_0^x exp(t^2) dt (real x)."""
    x = _float(x)
    a = jnp.abs(x)
    sign = jnp.where(x < 0, -1.0, 1.0).astype(x.dtype)
    small = _dawsn_taylor(jnp.clip(a, 0.0, 0.2))
    mid = _dawsn_rybicki(jnp.clip(a, 0.2, 9.0))
    large = _dawsn_asymptotic(jnp.maximum(a, 9.0))
    return sign * jnp.where(a < 0.2, small, jnp.where(a < 9.0, mid, large))


# ---------------------------------------------------------------- exp1 / expi

def _e1_series(x):
    """E1(x) = -gamma - log x - sum_k (-x)^k / (k k!), for 0 < x <= 1."""
    total = jnp.zeros_like(x)
    for k in range(24, 0, -1):
        total = total * x + (-1.0) ** k / (k * math.factorial(k))
    return -_EULER - jnp.log(x) - total * x


def _e1_cf(x):
    """E1(x) = exp(-x) / (x + 1 - 1/(x + 3 - 4/(x + 5 - ...))), for x >= 1."""
    terms = 90 if x.dtype == np.float64 else 30
    tail = x + (2 * terms + 1)
    for k in range(terms, 0, -1):
        tail = x + (2 * k - 1) - (k * k) / tail
    return jnp.exp(-x) / tail


def _exp1_impl(x):
    """E1(x) = int_x^inf exp(-t)/t dt: inf at 0, NaN below 0 (as scipy)."""
    x = _float(x)
    series = _e1_series(jnp.where(x > 0, jnp.minimum(x, 1.0), 1.0))
    cf = _e1_cf(jnp.maximum(x, 1.0))
    out = jnp.where(x <= 1.0, series, cf)
    return jnp.where(x > 0, out, jnp.where(x == 0, np.inf, np.nan)).astype(x.dtype)


def _ei_series(x):
    """Ei(x) = gamma + log x + sum_k x^k / (k k!), for 0 < x <= 50."""
    # Nested from the last term: term_(k+1) / term_k = x k / (k+1)^2.
    terms = 170 if x.dtype == np.float64 else 100
    acc = jnp.ones_like(x)
    for k in range(terms - 1, 0, -1):
        acc = 1.0 + acc * (x * (k / (k + 1.0) ** 2))
    return _EULER + jnp.log(x) + x * acc


def _ei_asymptotic(x):
    """Ei(x) ~ exp(x)/x sum_k k!/x^k, for x >= 50 (error ~ exp(-x))."""
    t = 1.0 / x
    total = jnp.zeros_like(x)
    for k in range(50 if x.dtype == np.float64 else 14, -1, -1):
        total = total * t + float(math.factorial(k))
    half = jnp.exp(0.5 * x)        # exp(x) alone overflows before Ei(x) does
    return half * (t * total) * half


def _expi_impl(x):
    """Ei(x) = -E1(-x) below 0, the principal value integral above; -inf at 0."""
    x = _float(x)
    pos = jnp.where(x < 50.0, _ei_series(jnp.where(x > 0, jnp.minimum(x, 50.0), 1.0)),
                    _ei_asymptotic(jnp.maximum(x, 50.0)))
    neg = -_exp1_impl(jnp.where(x < 0, -x, 1.0))
    out = jnp.where(x > 0, pos, neg)
    out = jnp.where(x == np.inf, np.inf, out)   # the asymptotic sum is inf * 0 there
    out = jnp.where(x == 0, -np.inf, out)
    return jnp.where(jnp.isnan(x), x, out).astype(x.dtype)   # NaN would take the x < 0 branch


# ---------------------------------------------------------------- expn

_EXPN_SERIES_MAX_N = 20


def _expn_series(n, x):
    """E_n(x) for 0 < x <= 1 and integer 1 <= n <= 20:
    (-x)^(n-1)/(n-1)! (psi(n) - log x) - sum_{k != n-1} (-x)^k / ((k-n+1) k!)."""
    psi = jnp.full_like(x, -_EULER)
    for m in range(1, _EXPN_SERIES_MAX_N):          # psi(n) = -gamma + H_(n-1)
        psi = jnp.where(m < n, psi + 1.0 / m, psi)    # (a bare where of two Python floats is float32)
    total = jnp.zeros_like(x)
    special = jnp.zeros_like(x)
    power = jnp.ones_like(x)                        # (-x)^k / k!
    for k in range(0, _EXPN_SERIES_MAX_N + 25):
        hit = (n - 1.0) == k
        special = jnp.where(hit, power, special)
        total = total - jnp.where(hit, 0.0, power / jnp.where(hit, 1.0, k - n + 1.0))
        power = power * (-x / (k + 1))
    return special * (psi - jnp.log(x)) + total


def _expn_cf(n, x):
    """E_n(x) = exp(-x) / (x + n - 1 n/(x + n + 2 - 2 (n+1)/(x + n + 4 - ...))),
    for x > 1 or n > 20, evaluated backward."""
    terms = 100 if x.dtype == np.float64 else 36
    tail = x + n + 2.0 * terms
    for i in range(terms, 0, -1):
        tail = x + n + 2.0 * (i - 1) - i * (n - 1.0 + i) / tail
    return jnp.exp(-x) / tail


def _expn_impl(n, x):
    n, x = jnp.asarray(n), jnp.asarray(x)
    integer = n == jnp.floor(n)
    use_series = (x <= 1.0) & (n <= _EXPN_SERIES_MAX_N)
    ns = jnp.clip(jnp.where(integer, n, 1.0), 1.0, float(_EXPN_SERIES_MAX_N))
    series = _expn_series(ns, jnp.where(x > 0, jnp.minimum(x, 1.0), 1.0))
    cf = _expn_cf(jnp.where(integer, jnp.maximum(n, 1.0), 1.0), jnp.where(x > 0, x, 1.0))
    out = jnp.where(use_series, series, cf)
    out = jnp.where(n == 0, jnp.exp(-x) / x, out)
    # At x = 0: inf for n <= 1, 1/(n-1) above.
    out = jnp.where(x == 0, jnp.where(n <= 1, np.inf, 1.0 / jnp.maximum(n - 1.0, 1.0)), out)
    bad = (n < 0) | (x < 0) | ~integer | jnp.isnan(x)
    return jnp.where(bad, np.nan, out).astype(x.dtype)


@custom_derivatives.custom_jvp
def _expn(n, x):
    return _expn_impl(n, x)


@_expn.defjvp
def _expn_jvp(primals, tangents):
    # d/dx E_n(x) = -E_(n-1)(x); n is an integer index, so its tangent is dropped (as JAX).
    n, x = primals
    _, dx = tangents
    # E_0 = exp(-x)/x has derivative -exp(-x) (x + 1) / x^2 (E_-1 would be NaN here).
    e0_slope = -jnp.exp(-x) * (x + 1.0) / (x * x)
    slope = jnp.where(n == 0, e0_slope, -_expn(jnp.maximum(n - 1.0, 0.0), x))
    return _expn(n, x), slope * dx


def expn(n, x):
    """The generalized exponential integral E_n(x) = int_1^inf exp(-x t)/t^n dt
    for integer-valued n >= 0 and x >= 0 (n and x promote to one float dtype);
    NaN for n < 0, x < 0 or non-integer n (as JAX; scipy truncates n)."""
    n, x = util.promote_inexact(n, x)
    n, x = jnp.broadcast_arrays(n, x)
    return _expn(n, x)


# ---------------------------------------------------------------- sici

def _sici_series(x):
    """Si and Ci by their power series, for 0 < x <= 4:
    Si = sum (-1)^k x^(2k+1) / ((2k+1) (2k+1)!), Ci = gamma + log x + sum_k>=1
    (-1)^k x^(2k) / (2k (2k)!)."""
    x2 = x * x
    si = jnp.zeros_like(x)
    ci = jnp.zeros_like(x)
    for k in range(22, 0, -1):
        si = si * x2 + (-1.0) ** k / ((2 * k + 1) * math.factorial(2 * k + 1))
        ci = ci * x2 + (-1.0) ** k / (2 * k * math.factorial(2 * k))
    si = x * (1.0 + si * x2)
    ci = _EULER + jnp.log(x) + ci * x2
    return si, ci


def _sici_cf(x):
    """Si and Ci for 4 <= x <= 1e8 from E1(ix) = -Ci(x) + i (Si(x) - pi/2), by
    the continued fraction exp(-z) / (z + 1 - 1/(z + 3 - 4/(z + 5 - ...))) at
    z = ix, in real and imaginary parts."""
    terms = 60 if x.dtype == np.float64 else 25
    tr, ti = jnp.full_like(x, 2.0 * terms + 1.0), x          # the tail, tr + i ti
    for k in range(terms, 0, -1):
        scale = (k * k) / (tr * tr + ti * ti)                   # k^2 / tail = scale conj(tail)
        tr, ti = (2.0 * k - 1.0) - scale * tr, x + scale * ti
    norm = tr * tr + ti * ti
    # (cos x - i sin x) / (tr + i ti)
    c, s = jnp.cos(x), jnp.sin(x)
    re = (c * tr - s * ti) / norm
    im = (-s * tr - c * ti) / norm
    return 0.5 * math.pi + im, -re


def _sici_asymptotic(x):
    """Si ~ pi/2 - f cos x - g sin x, Ci ~ f sin x - g cos x with
    f ~ (1 - 2/x^2)/x, g ~ (1 - 6/x^2)/x^2, for x >= 1e8."""
    inv = 1.0 / x
    f = inv * (1.0 - 2.0 * inv * inv)
    g = inv * inv * (1.0 - 6.0 * inv * inv)
    c, s = jnp.cos(x), jnp.sin(x)
    return 0.5 * math.pi - f * c - g * s, f * s - g * c


def _sici_impl(x):
    x = jnp.asarray(x)
    a = jnp.abs(x)
    si_s, ci_s = _sici_series(jnp.where(a > 0, jnp.minimum(a, 4.0), 1.0))
    si_c, ci_c = _sici_cf(jnp.clip(a, 4.0, 1e8))
    si_a, ci_a = _sici_asymptotic(jnp.maximum(a, 1e8))
    si = jnp.where(a <= 4.0, si_s, jnp.where(a <= 1e8, si_c, si_a))
    ci = jnp.where(a <= 4.0, ci_s, jnp.where(a <= 1e8, ci_c, ci_a))
    si = jnp.where(a == np.inf, 0.5 * math.pi, si)
    ci = jnp.where(a == np.inf, 0.0, jnp.where(a == 0, -np.inf, ci))
    si = jnp.where(x < 0, -si, jnp.where(x == 0, x, si))      # odd; keeps -0.0
    return si.astype(x.dtype), ci.astype(x.dtype)


@custom_derivatives.custom_jvp
def _sici(x):
    return _sici_impl(x)


@_sici.defjvp
def _sici_jvp(primals, tangents):
    x, = primals
    dx, = tangents
    si, ci = _sici(x)
    # d Si = sin(x)/x (1 at 0), d Ci = cos(x)/x.
    safe = jnp.where(x == 0, 1.0, x)
    dsi = jnp.where(x == 0, 1.0, jnp.sin(safe) / safe)
    return (si, ci), (dsi * dx, jnp.cos(x) / x * dx)


def sici(x):
    """The sine and cosine integrals (Si(x), Ci(x)): Si = int_0^x sin t / t dt,
    Ci = gamma + log|x| + int_0^|x| (cos t - 1)/t dt (real part for x < 0, as
    scipy and JAX); Ci(0) = -inf."""
    return _sici(_float(x))


# ---------------------------------------------------------------- fresnel

def _mod4(v):
    """v mod 4, exactly: from 2^(digits+2) on every float is a multiple of 4
    (and floor only sees the range a jitted float-to-int conversion covers)."""
    even = 2.0 ** 55 if v.dtype == np.float64 else 2.0 ** 26
    small = jnp.clip(v, -even, even)
    return jnp.where(jnp.abs(v) >= even, 0.0, small - 4.0 * jnp.floor(small * 0.25))


def _fresnel_phase(x):
    """(cos, sin) of pi x^2 / 2, reducing x^2 modulo 4 exactly first (x^2 =
    hi + lo by Veltkamp splitting), so the phase stays right for large x."""
    split = 134217729.0 if x.dtype == np.float64 else 4097.0
    c = x * split
    xh = c - (c - x)
    xl = x - xh
    hi = x * x
    lo = ((xh * xh - hi) + 2.0 * xh * xl) + xl * xl
    r = _mod4(hi) + _mod4(lo)                   # lo can be far above 4 for large x
    phase = (0.5 * math.pi) * r
    return jnp.cos(phase), jnp.sin(phase)


def _fresnel_series(x):
    """S and C by their power series, for 0 <= x <= 1.5:
    C = sum (-1)^k t^(2k) x / ((4k+1) (2k)!), S = sum (-1)^k t^(2k+1) x / ((4k+3) (2k+1)!),
    t = pi x^2 / 2."""
    t = (0.5 * math.pi) * x * x
    t2 = t * t
    s = jnp.zeros_like(x)
    c = jnp.zeros_like(x)
    for k in range(20, -1, -1):
        c = c * t2 + (-1.0) ** k / ((4 * k + 1) * math.factorial(2 * k))
        s = s * t2 + (-1.0) ** k / ((4 * k + 3) * math.factorial(2 * k + 1))
    return x * t * s, x * c


def _fresnel_cf(x):
    """S and C for 1.5 <= x <= 1e6: C + iS = (1+i)/2 (1 - exp(i pi x^2/2) (1-i) x h),
    h = 1/(b + a_1/(b + 4 + a_2/(b + 8 + ...))), b = 1 - i pi x^2, a_k = -(2k-1) 2k."""
    terms = 50 if x.dtype == np.float64 else 20
    p = math.pi * x * x
    tr, ti = jnp.full_like(x, 1.0 + 4.0 * terms), -p
    for k in range(terms, 0, -1):
        scale = -((2 * k - 1) * (2 * k)) / (tr * tr + ti * ti)   # a_k / tail = scale conj(tail)
        tr, ti = (1.0 + 4.0 * (k - 1)) + scale * tr, -p - scale * ti
    norm = tr * tr + ti * ti
    hr, hi = tr / norm, -ti / norm
    mr, mi = x * (hr + hi), x * (hi - hr)                        # (1 - i) x h
    cos_f, sin_f = _fresnel_phase(x)
    wr = 1.0 - (cos_f * mr - sin_f * mi)                         # 1 - exp(i phase) m
    wi = -(sin_f * mr + cos_f * mi)
    return 0.5 * (wr + wi), 0.5 * (wr - wi)


def _fresnel_asymptotic(x):
    """S ~ 1/2 - f cos - g sin, C ~ 1/2 + f sin - g cos with f = 1/(pi x),
    g = 1/(pi^2 x^3), for x >= 1e6."""
    f = 1.0 / (math.pi * x)
    g = f * f / x
    # Beyond 1e17 (float64) or 1e8 (float32) f is under half an ulp of 1/2.
    cos_f, sin_f = _fresnel_phase(jnp.minimum(x, 1e17 if x.dtype == np.float64 else 1e8))
    return 0.5 - f * cos_f - g * sin_f, 0.5 + f * sin_f - g * cos_f


def _fresnel_impl(x):
    x = jnp.asarray(x)
    a = jnp.abs(x)
    s_s, c_s = _fresnel_series(jnp.minimum(a, 1.5))
    s_c, c_c = _fresnel_cf(jnp.clip(a, 1.5, 1e6))
    s_a, c_a = _fresnel_asymptotic(jnp.maximum(a, 1e6))
    s = jnp.where(a <= 1.5, s_s, jnp.where(a <= 1e6, s_c, s_a))
    c = jnp.where(a <= 1.5, c_s, jnp.where(a <= 1e6, c_c, c_a))
    s = jnp.where(a == np.inf, 0.5, s)
    c = jnp.where(a == np.inf, 0.5, c)
    sign = jnp.where(x < 0, -1.0, 1.0)
    return (sign * s).astype(x.dtype), (sign * c).astype(x.dtype)


@custom_derivatives.custom_jvp
def _fresnel(x):
    return _fresnel_impl(x)


@_fresnel.defjvp
def _fresnel_jvp(primals, tangents):
    x, = primals
    dx, = tangents
    cos_f, sin_f = _fresnel_phase(jnp.asarray(x))
    return _fresnel(x), (sin_f * dx, cos_f * dx)


def fresnel(x):
    """The Fresnel integrals (S(x), C(x)) = (int_0^x sin(pi t^2/2) dt,
    int_0^x cos(pi t^2/2) dt), real x."""
    return _fresnel(_float(x))


# ---------------------------------------------------------------- spence

def _bernoulli_exact(n):
    """B_0 .. B_n as Fractions (B_1 = -1/2), by the Akiyama-Tanigawa recurrence."""
    out, a = [], []
    for m in range(n + 1):
        a.append(Fraction(1, m + 1))
        for j in range(m, 0, -1):
            a[j - 1] = j * (a[j - 1] - a[j])
        out.append(a[0])
    if n >= 1:
        out[1] = Fraction(-1, 2)
    return out


_B = [float(b) for b in _bernoulli_exact(40)]


def _li2_of_log(u):
    """Li2(1 - exp(-u)) = sum_k B_k u^(k+1) / (k+1)!, for |u| <= log 2."""
    total = jnp.zeros_like(u)
    for k in range(30, -1, -1):
        if _B[k] != 0.0:
            total = total + _B[k] / math.factorial(k + 1) * u ** (k + 1)
    return total


def _spence_impl(x):
    """Spence's function int_1^x log t / (1 - t) dt = Li2(1 - x), x >= 0 (NaN below)."""
    # Fold x > 2 onto 1/x: spence(x) = -spence(1/x) - log(x)^2 / 2.
    big = x > 2.0
    y = jnp.where(big, 1.0 / jnp.maximum(x, 2.0), x)
    # On [1/2, 2]: Li2(1 - y) with u = -log y.
    mid = _li2_of_log(-jnp.log(jnp.clip(y, 0.5, 2.0)))
    # On [0, 1/2): Euler's reflection, Li2(1-y) = pi^2/6 - log y log(1-y) - Li2(y).
    ys = jnp.clip(y, 0.0, 0.5)
    log_y = jnp.log(jnp.where(ys > 0, ys, 1.0))
    low = (math.pi ** 2 / 6) - log_y * jnp.log1p(-ys) - _li2_of_log(-jnp.log1p(-ys))
    val = jnp.where(y < 0.5, low, mid)
    logx = jnp.log(jnp.where(big, x, 1.0))
    val = jnp.where(big, -val - 0.5 * logx * logx, val)
    return jnp.where(x < 0, np.nan, val).astype(x.dtype)


# ---------------------------------------------------------------- derivatives

def _with_derivative(impl, derivative, name):
    """impl as a custom_jvp function whose tangent is derivative(x, value) * dx:
    the closed-form derivative rather than that of the series."""
    f = custom_derivatives.custom_jvp(lambda x: impl(jnp.asarray(x)))

    @f.defjvp
    def _jvp(primals, tangents):
        x, = primals
        dx, = tangents
        value = f(x)
        return value, derivative(x, value) * dx

    f.__name__ = name
    return f


_erfcx = _with_derivative(_erfcx_impl, lambda x, v: 2.0 * x * v - 2.0 / _SQRT_PI, "erfcx")
_dawsn = _with_derivative(_dawsn_impl, lambda x, v: 1.0 - 2.0 * x * v, "dawsn")
_exp1 = _with_derivative(_exp1_impl, lambda x, v: -jnp.exp(-x) / x, "exp1")
_expi = _with_derivative(_expi_impl, lambda x, v: jnp.exp(x) / x, "expi")
_spence = _with_derivative(
    _spence_impl,
    # log(x) / (1 - x), whose limit at x = 1 is -1.
    lambda x, v: jnp.where(x == 1.0, -1.0, jnp.log(x) / jnp.where(x == 1.0, 0.5, 1.0 - x)),
    "spence")


def erfcx(x):
    """The scaled complementary error function exp(x^2) erfc(x), real x;
    overflows to inf below about -26.6 (float64) or -9.3 (float32)."""
    return _erfcx(_float(x))


def dawsn(x):
    """Dawson's integral exp(-x^2) int_0^x exp(t^2) dt, real x."""
    return _dawsn(_float(x))


def exp1(x):
    """E1(x) = int_x^inf exp(-t)/t dt: inf at 0, NaN below 0 (as scipy)."""
    return _exp1(_float(x))


def expi(x):
    """Ei(x): -E1(-x) below 0, the principal value of int_-inf^x exp(t)/t dt
    above; -inf at 0 (as scipy)."""
    return _expi(_float(x))


def spence(x):
    """Spence's function int_1^x log t / (1 - t) dt (the dilogarithm
    Li2(1 - x)) for float32/float64 x >= 0; NaN below 0 (as JAX).
    Other dtypes raise TypeError."""
    x = jnp.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"x.dtype={x.dtype} is not supported, see docstring for supported types.")
    return _spence(x)


# ---------------------------------------------------------------- bernoulli

def bernoulli(n):
    """The Bernoulli numbers B_0 .. B_n (B_1 = -1/2), exact then rounded to
    the default float dtype."""
    n = util.operator_index(n, "Argument n of bernoulli")
    if n < 0:
        raise ValueError("n must be a non-negative integer.")
    values = np.array([float(b) for b in _bernoulli_exact(n)])
    return jnp.asarray(values, dtype=jnp.zeros(0).dtype)
