"""jaxlite.scipy.special: special functions as jax.scipy.special has them.

Integer inputs promote to floats. The incomplete gamma and beta functions
differentiate with respect to x only (the shape parameters raise), as the lax
primitives they call; see jaxlite/lax/special.py.
"""
import math

import numpy as np

from jaxlite import custom_derivatives, lax, nn
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util
from jaxlite.scipy._special_more import (bernoulli, dawsn, erfcx, exp1, expi, expn, fresnel,
                                            sici, spence)

__all__ = ["logsumexp", "softmax", "log_softmax", "erf", "erfc", "erfinv", "gammaln", "gamma",
           "digamma", "polygamma", "betaln", "betainc", "gammainc", "gammaincc", "xlogy",
           "xlog1py", "expit", "logit", "ndtr", "ndtri", "log_ndtr", "entr", "i0e", "i1e",
           "i0", "i1", "zeta", "multigammaln", "gammasgn", "beta", "kl_div", "rel_entr",
           "factorial", "comb", "poch", "loggamma", "boxcox", "boxcox1p",
           "erfcx", "dawsn", "exp1", "expi", "expn", "sici", "fresnel", "spence", "bernoulli"]

logsumexp = nn.logsumexp


def softmax(x, /, *, axis=None):
    """exp(x) / sum(exp(x)) over ``axis``: as scipy, every element by default
    (jax.nn.softmax's default is the last axis)."""
    return nn.softmax(x, axis=axis)


def log_softmax(x, /, *, axis=None):
    """x - logsumexp(x) over ``axis`` (every element by default, as scipy)."""
    return nn.log_softmax(x, axis=axis)


def _floats(*args):
    """Operands promoted to one float dtype and broadcast to one shape."""
    args = util.promote_inexact(*args)
    return jnp.broadcast_arrays(*args) if len(args) > 1 else args


def _unary(lax_fn, name, doc):
    def f(x):
        return lax_fn(*_floats(x))
    f.__name__ = name
    f.__doc__ = doc
    return f


erf = _unary(lax.erf, "erf", "The error function.")
erfc = _unary(lax.erfc, "erfc", "1 - erf(x), accurate where erf(x) is near 1.")
erfinv = _unary(lax.erf_inv, "erfinv", "The inverse of erf on (-1, 1).")
gammaln = _unary(lax.lgamma, "gammaln", "log|Gamma(x)|.")
digamma = _unary(lax.digamma, "digamma", "d/dx log Gamma(x) (NaN at the poles).")
expit = _unary(lax.logistic, "expit", "The logistic function 1 / (1 + exp(-x)).")
ndtri = _unary(lax.ndtri, "ndtri", "The standard normal quantile (inverse of ndtr).")
i0e = _unary(lax.bessel_i0e, "i0e", "exp(-|x|) I0(x).")
i1e = _unary(lax.bessel_i1e, "i1e", "exp(-|x|) I1(x).")


def i0(x):
    """The modified Bessel function I0."""
    x, = _floats(x)
    return jnp.exp(jnp.abs(x)) * lax.bessel_i0e(x)


def i1(x):
    """The modified Bessel function I1."""
    x, = _floats(x)
    return jnp.exp(jnp.abs(x)) * lax.bessel_i1e(x)


def gamma(x):
    """Gamma(x): exp(lgamma(x)) with the sign of Gamma (negative on (-1, 0), (-3, -2), ...)."""
    x, = _floats(x)
    negative = (x < 0) & (jnp.floor(x) % 2 != 0)
    return jnp.where(negative, -1.0, 1.0) * jnp.exp(lax.lgamma(x))


def betaln(a, b):
    """log|B(a, b)| = lgamma(a) + lgamma(b) - lgamma(a + b)."""
    a, b = _floats(a, b)
    return lax.lgamma(a) + lax.lgamma(b) - lax.lgamma(a + b)


def gammasgn(x):
    """The sign of Gamma(x): 1 for x > 0, alternating on the negative unit
    intervals ((-1, 0) is -1), the sign of a zero at 0, NaN at the poles."""
    x, = _floats(x)
    x = jnp.asarray(x)
    odd = jnp.floor(x) % 2 != 0
    pole = (x < 0) & (jnp.floor(x) == x)             # negative integers and -inf
    out = jnp.where(x > 0, 1.0, jnp.where(x == 0, jnp.where(jnp.signbit(x), -1.0, 1.0),
                                          jnp.where(odd, -1.0, 1.0)))
    return jnp.where(pole | jnp.isnan(x), np.nan, out).astype(x.dtype)


def beta(a, b):
    """B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b), signed for negative arguments."""
    a, b = _floats(a, b)
    sign = gammasgn(a) * gammasgn(b) * gammasgn(a + b)
    return sign * jnp.exp(betaln(a, b))


def _entropy_terms(p, q):
    """(both positive, the zero-p case, p log(p / q) with safe operands)."""
    p, q = _floats(p, q)
    both = (p > 0) & (q > 0)
    zero_p = (p == 0) & (q >= 0)
    sp, sq = jnp.where(both, p, 1.0), jnp.where(both, q, 1.0)
    return p, q, both, zero_p, sp * jnp.log(sp / sq)


def rel_entr(p, q):
    """p log(p / q) for p, q > 0; 0 for p == 0 <= q; inf otherwise."""
    p, q, both, zero_p, plogpq = _entropy_terms(p, q)
    return jnp.where(both, plogpq, jnp.where(zero_p, 0.0, np.inf))


def kl_div(p, q):
    """p log(p / q) - p + q for p, q > 0; q for p == 0 <= q; inf otherwise."""
    p, q, both, zero_p, plogpq = _entropy_terms(p, q)
    return jnp.where(both, plogpq - p + q, jnp.where(zero_p, q, np.inf))


def factorial(n, exact=False):
    """Gamma(n + 1), and 0 for n < 0 (as scipy); exact integers are not supported."""
    if exact:
        raise NotImplementedError("factorial with exact=True")
    n, = _floats(n)
    return jnp.where(jnp.asarray(n) < 0, 0.0, gamma(jnp.asarray(n) + 1.0))

def comb(N, k, *, repetition=False):
    """N choose k as a float, 0 unless 0 <= k <= N (scipy's exact=False);
    ``repetition`` counts multisets, C(N + k - 1, k). For integer arguments
    the value is rounded to an integer (5 choose 2 is 10, not lgamma's 9.999995)."""
    N, k = _floats(N, k)
    if repetition:
        N = N + k - 1.0
    valid = (k >= 0) & (N >= 0) & (k <= N)
    safe_n, safe_k = jnp.where(valid, N, 1.0), jnp.where(valid, k, 0.0)
    value = jnp.exp(lax.lgamma(safe_n + 1.0) - lax.lgamma(safe_k + 1.0)
                    - lax.lgamma(safe_n - safe_k + 1.0))
    integral = (jnp.floor(N) == N) & (jnp.floor(k) == k)
    return jnp.where(valid, jnp.where(integral, jnp.round(value), value), 0.0)


def poch(z, m):
    """The rising factorial Gamma(z + m) / Gamma(z), signed."""
    z, m = _floats(z, m)
    sign = gammasgn(z + m) * gammasgn(z)
    return sign * jnp.exp(lax.lgamma(z + m) - lax.lgamma(z))


def loggamma(x):
    """log Gamma(x) for real x > 0 (NaN below 0, as scipy's real loggamma)."""
    x, = _floats(x)
    if jnp.iscomplexobj(x):
        raise NotImplementedError("loggamma of complex arguments is not supported")
    return jnp.where(x < 0, np.nan, lax.lgamma(x))


def boxcox(x, lmbda):
    """(x^lmbda - 1) / lmbda, log(x) at lmbda = 0 (computed with expm1)."""
    x, lmbda = _floats(x, lmbda)
    return _boxcox_of_log(jnp.log(x), lmbda)


def boxcox1p(x, lmbda):
    """boxcox(1 + x, lmbda), accurate for small x (log1p)."""
    x, lmbda = _floats(x, lmbda)
    return _boxcox_of_log(jnp.log1p(x), lmbda)


def _boxcox_of_log(log_x, lmbda):
    zero = lmbda == 0
    safe = jnp.where(zero, 1.0, lmbda)
    return jnp.where(zero, log_x, jnp.expm1(safe * log_x) / safe)

def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b)."""
    return lax.betainc(*_floats(a, b, x))


def gammainc(a, x):
    """The regularized lower incomplete gamma function P(a, x)."""
    return lax.igamma(*_floats(a, x))


def gammaincc(a, x):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return lax.igammac(*_floats(a, x))


def polygamma(n, x):
    """The n-th derivative of digamma (n a non-negative integer)."""
    n, x = _floats(n, x)
    return lax.polygamma(n, x)


def zeta(x, q=None):
    """The Hurwitz zeta function sum_k (k + q)^-x; Riemann's with ``q=None``."""
    if q is None:
        q = 1.0
    return lax.zeta(*_floats(x, q))


def multigammaln(a, d):
    """log of the multivariate gamma function of dimension ``d`` (a Python int)."""
    d = util.operator_index(d, "d")
    a = jnp.asarray(_floats(a)[0])      # a Python float has no dtype
    js = jnp.arange(d, dtype=a.dtype)
    terms = lax.lgamma(jnp.expand_dims(a, -1) - js / 2.0)
    return jnp.sum(terms, axis=-1) + (d * (d - 1) / 4.0) * math.log(math.pi)


@custom_derivatives.custom_jvp
def _xlogy(x, y):
    zero = x == 0
    return jnp.where(zero, 0.0, x * jnp.log(jnp.where(zero, 1.0, y)))


@_xlogy.defjvp
def _xlogy_jvp(primals, tangents):
    x, y = map(jnp.asarray, primals)    # grad(xlogy)(0.0, 0.0): x / y is NaN, not an error
    tx, ty = tangents
    return _xlogy(x, y), tx * jnp.log(y) + ty * jnp.where(x == 0, 0.0, x / y)


def xlogy(x, y):
    """x * log(y), 0 where x == 0."""
    return _xlogy(*_floats(x, y))


@custom_derivatives.custom_jvp
def _xlog1py(x, y):
    zero = x == 0
    return jnp.where(zero, 0.0, x * jnp.log1p(jnp.where(zero, 0.0, y)))


@_xlog1py.defjvp
def _xlog1py_jvp(primals, tangents):
    x, y = map(jnp.asarray, primals)
    tx, ty = tangents
    return _xlog1py(x, y), tx * jnp.log1p(y) + ty * jnp.where(x == 0, 0.0, x / (1.0 + y))


def xlog1py(x, y):
    """x * log1p(y), 0 where x == 0."""
    return _xlog1py(*_floats(x, y))


def logit(x):
    """log(x / (1 - x))."""
    x, = _floats(x)
    return jnp.log(x / (1.0 - x))


def entr(x):
    """-x log(x) for x > 0, 0 at 0, -inf below."""
    x, = _floats(x)
    positive = x > 0
    safe = jnp.where(positive, x, 1.0)
    return jnp.where(positive, -safe * jnp.log(safe), jnp.where(x == 0, 0.0, -np.inf))


def ndtr(x):
    """The standard normal CDF, 0.5 erfc(-x / sqrt(2)) (relative accuracy in both tails)."""
    x, = _floats(x)
    return 0.5 * lax.erfc(-x * (1.0 / math.sqrt(2.0)))


def log_ndtr(x, series_order=3):
    """log(ndtr(x)), accurate far into the lower tail: log(erfc) while erfc is
    a normal number, then the asymptotic series with ``series_order`` terms;
    log1p(-ndtr(-x)) above 0, where ndtr(x) is near 1."""
    series_order = util.operator_index(series_order, "series_order")
    if not 0 <= series_order <= 30:
        raise ValueError(f"series_order must be in [0, 30], got {series_order}")
    x, = _floats(x)
    lower = -37.5 if x.dtype == np.float64 else -13.0
    upper = 0.0
    x_low = jnp.minimum(x, lower)               # each branch sees only its own domain
    # One erfc serves both sides: ndtr(x) below 0, ndtr(-x) above.
    x_above = jnp.maximum(x, lower)
    tail = ndtr(jnp.where(x_above > upper, -x_above, x_above))
    mid = jnp.log(tail)
    high = jnp.log1p(-tail)
    low = _log_ndtr_asymptotic(x_low, series_order)
    return jnp.where(x > upper, high, jnp.where(x > lower, mid, low))


def _log_ndtr_asymptotic(x, series_order):
    """log ndtr(x) ~ -x^2/2 - log(-x) - log(2 pi)/2 + log(1 + sum_k (-1)^k (2k-1)!! / x^2k)."""
    x2 = x * x
    total, term, power = 0.0, 1.0, 1.0
    for k in range(1, series_order + 1):
        term = -term * (2 * k - 1)
        power = power * x2
        total = total + term / power
    return -0.5 * x2 - jnp.log(-x) - 0.5 * math.log(2 * math.pi) + jnp.log1p(total)
