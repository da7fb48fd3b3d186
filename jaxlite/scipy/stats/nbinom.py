"""The negative binomial distribution: the number of failures k = 0, 1, ...
before the ``n``-th success, each trial succeeding with probability ``p``."""
from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpmf", "pmf"]


def logpmf(k, n, p, loc=0):
    """log C(k + n - 1, k) + n log(p) + k log(1 - p) on the integers k >= 0."""
    k, n, p, loc = _common.floats(k, n, p, loc)
    k = k - loc
    inside = (k >= 0) & (k == jnp.floor(k))
    ks = jnp.where(inside, k, 0.0)
    log_comb = special.gammaln(ks + n) - special.gammaln(ks + 1.0) - special.gammaln(n)
    value = log_comb + special.xlogy(n, p) + special.xlog1py(ks, -p)
    return _common.neg_inf_outside(inside, value)


pmf = _common.exp_of(logpmf)
