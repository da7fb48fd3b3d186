"""The beta-binomial distribution: ``n`` trials whose success probability is
Beta(a, b) distributed."""
import numpy as np

from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpmf", "pmf"]


def logpmf(k, n, a, b, loc=0):
    k, n, a, b, loc = _common.floats(k, n, a, b, loc)
    # JAX floors k (a fractional k gets the mass of its floor)
    y = jnp.floor(k) - loc
    inside = (y >= 0) & (y <= n)
    ys = jnp.where(inside, y, 0.0)
    log_choose = -jnp.log1p(n) - special.betaln(n - ys + 1.0, ys + 1.0)
    value = log_choose + special.betaln(ys + a, n - ys + b) - special.betaln(a, b)
    value = _common.neg_inf_outside(inside, value)
    return jnp.where((n < 0) | (a <= 0) | (b <= 0), np.nan, value)


pmf = _common.exp_of(logpmf)
