"""Student's t distribution with ``df`` degrees of freedom."""
import math

from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf"]


def logpdf(x, df, loc=0, scale=1):
    x, df, loc, scale = _common.floats(x, df, loc, scale)
    z = (x - loc) / scale
    half = 0.5 * (df + 1.0)
    norm = (special.gammaln(half) - special.gammaln(0.5 * df)
            - 0.5 * jnp.log(df * math.pi) - jnp.log(scale))
    return norm - half * jnp.log1p(z * z / df)


pdf = _common.exp_of(logpdf)
