"""The von Mises (circular normal) distribution of concentration ``kappa``,
standard form on [-pi, pi] (density periodic in x, as in JAX)."""
import math

import numpy as np

from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf"]


def logpdf(x, kappa):
    x, kappa = _common.floats(x, kappa)
    # kappa cos x - log(2 pi I0(kappa)), with I0 scaled by exp(-kappa) so a
    # large kappa cannot overflow
    value = kappa * (jnp.cos(x) - 1.0) - math.log(2 * math.pi) - jnp.log(special.i0e(kappa))
    return jnp.where(kappa > 0, value, np.nan)


pdf = _common.exp_of(logpdf)
