"""The normal distribution N(loc, scale^2) truncated to standardized bounds
[a, b]. The normalizer Phi(b) - Phi(a) is computed as a difference of
log_ndtr values on the side of 0 away from the bulk, so it stays accurate far
in a tail (a = 10, b = 11) where both cdf values round to 1."""
from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common, norm

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def _log_diff_ndtr(lo, hi):
    """log(Phi(hi) - Phi(lo)) for lo <= hi, reflected to the lower tail when lo > 0."""
    flip = lo > 0
    lo, hi = jnp.where(flip, -hi, lo), jnp.where(flip, -lo, hi)
    log_hi, log_lo = special.log_ndtr(hi), special.log_ndtr(lo)
    return log_hi + jnp.log1p(-jnp.exp(log_lo - log_hi))


def _standardize(x, a, b, loc, scale):
    x, a, b, loc, scale = _common.floats(x, a, b, loc, scale)
    return (x - loc) / scale, a, b, scale


def logpdf(x, a, b, loc=0, scale=1):
    z, a, b, scale = _standardize(x, a, b, loc, scale)
    value = norm.logpdf(z) - _log_diff_ndtr(a, b) - jnp.log(scale)
    return _common.neg_inf_outside((z >= a) & (z <= b), value)


pdf = _common.exp_of(logpdf)


def logcdf(x, a, b, loc=0, scale=1):
    """log((Phi(z) - Phi(a)) / (Phi(b) - Phi(a))), 0 above b and -inf below a."""
    z, a, b, _ = _standardize(x, a, b, loc, scale)
    zc = jnp.clip(z, a, b)
    value = _log_diff_ndtr(a, zc) - _log_diff_ndtr(a, b)
    return jnp.where(z >= b, 0.0, jnp.where(z <= a, -jnp.inf, value))


cdf = _common.exp_of(logcdf)


def logsf(x, a, b, loc=0, scale=1):
    """log((Phi(b) - Phi(z)) / (Phi(b) - Phi(a)))."""
    z, a, b, _ = _standardize(x, a, b, loc, scale)
    zc = jnp.clip(z, a, b)
    value = _log_diff_ndtr(zc, b) - _log_diff_ndtr(a, b)
    return jnp.where(z <= a, 0.0, jnp.where(z >= b, -jnp.inf, value))


sf = _common.exp_of(logsf)
