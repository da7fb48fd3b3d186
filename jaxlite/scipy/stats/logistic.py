"""The logistic distribution."""
import numpy as np

from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf", "cdf", "sf", "ppf", "isf"]


def logpdf(x, loc=0, scale=1):
    z, scale = _common.standardize(x, loc, scale)
    a = -jnp.abs(z)       # symmetric: the form that cannot overflow
    return a - 2.0 * jnp.log1p(jnp.exp(a)) - jnp.log(scale)


pdf = _common.exp_of(logpdf)


def cdf(x, loc=0, scale=1):
    return special.expit(_common.standardize(x, loc, scale)[0])


def sf(x, loc=0, scale=1):
    return special.expit(-_common.standardize(x, loc, scale)[0])


def ppf(q, loc=0, scale=1):
    q, loc, scale = _common.floats(q, loc, scale)
    inside = (q >= 0) & (q <= 1)
    return jnp.where(inside, loc + scale * special.logit(q), np.nan)


def isf(q, loc=0, scale=1):
    q, loc, scale = _common.floats(q, loc, scale)
    inside = (q >= 0) & (q <= 1)
    return jnp.where(inside, loc - scale * special.logit(q), np.nan)
