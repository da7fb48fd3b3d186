"""The wrapped Cauchy distribution of shape ``c`` in (0, 1), on [0, 2 pi]."""
import math

import numpy as np

from jaxlite import numpy as jnp
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf"]


def logpdf(x, c):
    x, c = _common.floats(x, c)
    value = (jnp.log1p(-c * c) - math.log(2 * math.pi)
             - jnp.log(1.0 + c * c - 2.0 * c * jnp.cos(x)))
    inside = (x >= 0) & (x <= 2 * math.pi)
    return jnp.where((c > 0) & (c < 1), _common.neg_inf_outside(inside, value), np.nan)


pdf = _common.exp_of(logpdf)
