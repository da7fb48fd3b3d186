"""The beta distribution on [loc, loc + scale]."""
from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def logpdf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = _common.floats(x, a, b, loc, scale)
    z = (x - loc) / scale
    inside = (z >= 0) & (z <= 1)
    zs = jnp.where(inside, z, 0.5)
    value = (special.xlogy(a - 1.0, zs) + special.xlog1py(b - 1.0, -zs)
             - special.betaln(a, b) - jnp.log(scale))
    return _common.neg_inf_outside(inside, value)


pdf = _common.exp_of(logpdf)


def cdf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = _common.floats(x, a, b, loc, scale)
    z = jnp.clip((x - loc) / scale, 0.0, 1.0)
    return special.betainc(a, b, z)


def logcdf(x, a, b, loc=0, scale=1):
    return jnp.log(cdf(x, a, b, loc, scale))


def sf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = _common.floats(x, a, b, loc, scale)
    z = jnp.clip((x - loc) / scale, 0.0, 1.0)
    return special.betainc(b, a, 1.0 - z)


def logsf(x, a, b, loc=0, scale=1):
    return jnp.log(sf(x, a, b, loc, scale))
