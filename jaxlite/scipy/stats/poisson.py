"""The Poisson distribution with mean ``mu``."""
from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpmf", "pmf", "cdf"]


def logpmf(k, mu, loc=0):
    k, mu, loc = _common.floats(k, mu, loc)
    k = k - loc
    inside = (k >= 0) & (k == jnp.floor(k))
    ks = jnp.where(inside, k, 0.0)
    value = special.xlogy(ks, mu) - mu - special.gammaln(ks + 1.0)
    return _common.neg_inf_outside(inside, value)


pmf = _common.exp_of(logpmf)


def cdf(k, mu, loc=0):
    """P(K <= k) = Q(floor(k) + 1, mu)."""
    k, mu, loc = _common.floats(k, mu, loc)
    k = jnp.floor(k - loc)
    return jnp.where(k < 0, 0.0, special.gammaincc(jnp.maximum(k, 0.0) + 1.0, mu))
