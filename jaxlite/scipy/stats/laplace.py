"""The Laplace (double exponential) distribution."""
import math

from jaxlite import numpy as jnp
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf", "cdf"]


def logpdf(x, loc=0, scale=1):
    z, scale = _common.standardize(x, loc, scale)
    return -math.log(2.0) - jnp.log(scale) - jnp.abs(z)


pdf = _common.exp_of(logpdf)


def cdf(x, loc=0, scale=1):
    z, _ = _common.standardize(x, loc, scale)
    return jnp.where(z < 0, 0.5 * jnp.exp(jnp.minimum(z, 0.0)),
                     1.0 - 0.5 * jnp.exp(-jnp.maximum(z, 0.0)))
