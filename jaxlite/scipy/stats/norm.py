"""The normal distribution N(loc, scale^2)."""
import math

from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def logpdf(x, loc=0, scale=1):
    z, scale = _common.standardize(x, loc, scale)
    return -0.5 * z * z - _HALF_LOG_2PI - jnp.log(scale)


pdf = _common.exp_of(logpdf)


def cdf(x, loc=0, scale=1):
    return special.ndtr(_common.standardize(x, loc, scale)[0])


def logcdf(x, loc=0, scale=1):
    return special.log_ndtr(_common.standardize(x, loc, scale)[0])


def sf(x, loc=0, scale=1):
    return special.ndtr(-_common.standardize(x, loc, scale)[0])


def logsf(x, loc=0, scale=1):
    return special.log_ndtr(-_common.standardize(x, loc, scale)[0])


def ppf(q, loc=0, scale=1):
    q, loc, scale = _common.floats(q, loc, scale)
    return special.ndtri(q) * scale + loc


def isf(q, loc=0, scale=1):
    q, loc, scale = _common.floats(q, loc, scale)
    return -special.ndtri(q) * scale + loc
