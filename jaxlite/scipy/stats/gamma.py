"""The gamma distribution with shape ``a``."""
from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def logpdf(x, a, loc=0, scale=1):
    x, a, loc, scale = _common.floats(x, a, loc, scale)
    z = (x - loc) / scale
    inside = z >= 0
    zs = jnp.where(inside, z, 1.0)
    value = special.xlogy(a - 1.0, zs) - zs - special.gammaln(a) - jnp.log(scale)
    return _common.neg_inf_outside(inside, value)


pdf = _common.exp_of(logpdf)


def cdf(x, a, loc=0, scale=1):
    x, a, loc, scale = _common.floats(x, a, loc, scale)
    z = jnp.maximum((x - loc) / scale, 0.0)
    return special.gammainc(a, z)


def logcdf(x, a, loc=0, scale=1):
    return jnp.log(cdf(x, a, loc, scale))


def sf(x, a, loc=0, scale=1):
    x, a, loc, scale = _common.floats(x, a, loc, scale)
    z = jnp.maximum((x - loc) / scale, 0.0)
    return special.gammaincc(a, z)


def logsf(x, a, loc=0, scale=1):
    return jnp.log(sf(x, a, loc, scale))
