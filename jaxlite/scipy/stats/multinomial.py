"""The multinomial distribution: counts ``x`` (last axis) of ``n`` draws over
categories of probabilities ``p``."""
import numpy as np

from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpmf", "pmf"]


def logpmf(x, n, p):
    p, = _common.floats(p)
    x = jnp.asarray(x).astype(p.dtype)
    n = jnp.asarray(n).astype(p.dtype)
    value = special.gammaln(n + 1.0) + jnp.sum(special.xlogy(x, p) - special.gammaln(x + 1.0),
                                               axis=-1)
    # as JAX: counts that do not add up to n (summed over all of x) have no mass
    return jnp.where(jnp.sum(x) == n, value, -np.inf)


pmf = _common.exp_of(logpmf)
