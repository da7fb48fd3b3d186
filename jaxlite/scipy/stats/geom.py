"""The geometric distribution: the trial of the first success, k = 1, 2, ...,
each trial succeeding with probability ``p``."""
from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpmf", "pmf"]


def logpmf(k, p, loc=0):
    """(k - 1) log(1 - p) + log(p) on the integers k >= 1 (after ``loc``)."""
    k, p, loc = _common.floats(k, p, loc)
    k = k - loc
    inside = (k >= 1) & (k == jnp.floor(k))
    ks = jnp.where(inside, k, 1.0)
    return _common.neg_inf_outside(inside, special.xlog1py(ks - 1.0, -p) + jnp.log(p))


pmf = _common.exp_of(logpmf)
