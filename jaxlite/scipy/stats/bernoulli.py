"""The Bernoulli distribution: P(k = 1) = p."""
import numpy as np

from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpmf", "pmf", "cdf", "ppf"]


def logpmf(k, p, loc=0):
    k, p, loc = _common.floats(k, p, loc)
    k = k - loc
    value = special.xlogy(k, p) + special.xlog1py(1.0 - k, -p)
    return _common.neg_inf_outside((k == 0) | (k == 1), value)


pmf = _common.exp_of(logpmf)


def cdf(k, p):
    k, p = _common.floats(k, p)
    return jnp.where(k < 0, 0.0, jnp.where(k >= 1, 1.0, 1.0 - p))


def ppf(q, p):
    q, p = _common.floats(q, p)
    inside = (q >= 0) & (q <= 1)
    return jnp.where(inside, jnp.where(q <= 1.0 - p, 0.0, 1.0), np.nan)
