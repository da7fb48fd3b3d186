"""The binomial distribution: ``n`` trials of probability ``p``."""
from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpmf", "pmf"]


def logpmf(k, n, p, loc=0):
    k, n, p, loc = _common.floats(k, n, p, loc)
    k = k - loc
    inside = (k >= 0) & (k <= n) & (k == jnp.floor(k))
    ks = jnp.where(inside, k, 0.0)
    log_choose = (special.gammaln(n + 1.0) - special.gammaln(ks + 1.0)
                  - special.gammaln(n - ks + 1.0))
    value = log_choose + special.xlogy(ks, p) + special.xlog1py(n - ks, -p)
    return _common.neg_inf_outside(inside, value)


pmf = _common.exp_of(logpmf)
