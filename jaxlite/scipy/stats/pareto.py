"""The Pareto distribution with shape ``b``: density b / z^(b + 1) for
z = (x - loc) / scale >= 1."""
from jaxlite import numpy as jnp
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"]


def _standardize(x, b, loc, scale):
    """z = (x - loc) / scale and b, scale, all of one float dtype."""
    x, b, loc, scale = _common.floats(x, b, loc, scale)
    return (x - loc) / scale, b, scale


def logpdf(x, b, loc=0, scale=1):
    z, b, scale = _standardize(x, b, loc, scale)
    inside = z >= 1
    zs = jnp.where(inside, z, 1.0)
    return _common.neg_inf_outside(inside, jnp.log(b) - jnp.log(scale) - (b + 1) * jnp.log(zs))


pdf = _common.exp_of(logpdf)


def logsf(x, b, loc=0, scale=1):
    """log P(X > x) = -b log(z) for z >= 1, 0 below."""
    z, b, _ = _standardize(x, b, loc, scale)
    return jnp.where(z >= 1, -b * jnp.log(jnp.maximum(z, 1.0)), 0.0)


sf = _common.exp_of(logsf)


def cdf(x, b, loc=0, scale=1):
    return -jnp.expm1(logsf(x, b, loc, scale))


def logcdf(x, b, loc=0, scale=1):
    return jnp.log1p(-sf(x, b, loc, scale))


def ppf(q, b, loc=0, scale=1):
    """The quantile: z = (1 - q)^(-1/b)."""
    q, b, loc, scale = _common.floats(q, b, loc, scale)
    z = jnp.power(1.0 - q, -1.0 / b)
    return jnp.where((q >= 0) & (q <= 1), z * scale + loc, jnp.nan)
