"""The exponential distribution."""
import numpy as np

from jaxlite import numpy as jnp
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"]


def logpdf(x, loc=0, scale=1):
    z, scale = _common.standardize(x, loc, scale)
    return _common.neg_inf_outside(z >= 0, -z - jnp.log(scale))


pdf = _common.exp_of(logpdf)


def cdf(x, loc=0, scale=1):
    z, _ = _common.standardize(x, loc, scale)
    return jnp.where(z >= 0, -jnp.expm1(-jnp.maximum(z, 0.0)), 0.0)


def logcdf(x, loc=0, scale=1):
    return jnp.log(cdf(x, loc, scale))


def logsf(x, loc=0, scale=1):
    z, _ = _common.standardize(x, loc, scale)
    return jnp.where(z >= 0, -z, 0.0)


def sf(x, loc=0, scale=1):
    return jnp.exp(logsf(x, loc, scale))


def ppf(q, loc=0, scale=1):
    q, loc, scale = _common.floats(q, loc, scale)
    inside = (q >= 0) & (q <= 1)
    return jnp.where(inside, loc - scale * jnp.log1p(-q), np.nan)
