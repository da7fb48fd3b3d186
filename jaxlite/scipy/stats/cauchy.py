"""The Cauchy distribution."""
import math

import numpy as np

from jaxlite import numpy as jnp
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


def logpdf(x, loc=0, scale=1):
    z, scale = _common.standardize(x, loc, scale)
    return -math.log(math.pi) - jnp.log(scale) - jnp.log1p(z * z)


pdf = _common.exp_of(logpdf)


def cdf(x, loc=0, scale=1):
    z, _ = _common.standardize(x, loc, scale)
    return 0.5 + jnp.arctan(z) / math.pi


def logcdf(x, loc=0, scale=1):
    return jnp.log(cdf(x, loc, scale))


def sf(x, loc=0, scale=1):
    z, _ = _common.standardize(x, loc, scale)
    return 0.5 - jnp.arctan(z) / math.pi


def logsf(x, loc=0, scale=1):
    return jnp.log(sf(x, loc, scale))


def ppf(q, loc=0, scale=1):
    q, loc, scale = _common.floats(q, loc, scale)
    inside = (q >= 0) & (q <= 1)
    return jnp.where(inside, loc + scale * jnp.tan(math.pi * (q - 0.5)), np.nan)


def isf(q, loc=0, scale=1):
    q, loc, scale = _common.floats(q, loc, scale)
    inside = (q >= 0) & (q <= 1)
    return jnp.where(inside, loc + scale * jnp.tan(math.pi * (0.5 - q)), np.nan)
