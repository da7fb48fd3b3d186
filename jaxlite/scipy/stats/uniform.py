"""The uniform distribution on [loc, loc + scale]."""
import numpy as np

from jaxlite import numpy as jnp
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf", "cdf", "ppf"]


def logpdf(x, loc=0, scale=1):
    x, loc, scale = _common.floats(x, loc, scale)
    inside = (x >= loc) & (x <= loc + scale)
    return _common.neg_inf_outside(inside, -jnp.log(scale) + 0.0 * x)


pdf = _common.exp_of(logpdf)


def cdf(x, loc=0, scale=1):
    x, loc, scale = _common.floats(x, loc, scale)
    return jnp.clip((x - loc) / scale, 0.0, 1.0)


def ppf(q, loc=0, scale=1):
    q, loc, scale = _common.floats(q, loc, scale)
    inside = (q >= 0) & (q <= 1)
    return jnp.where(inside, loc + q * scale, np.nan)
