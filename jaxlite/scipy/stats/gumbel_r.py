"""The right-skewed Gumbel (extreme value, maximum) distribution."""
import numpy as np

from jaxlite import numpy as jnp
from jaxlite.nn import log1mexp
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf", "logcdf", "cdf", "ppf", "sf", "logsf"]


def _nan_unless_positive(scale, value):
    # JAX (unlike SciPy's -inf/0) answers nan for a non-positive scale.
    return jnp.where(scale > 0, value, np.nan)


def logpdf(x, loc=0, scale=1):
    z, scale = _common.standardize(x, loc, scale)
    return _nan_unless_positive(scale, -jnp.log(scale) - (z + jnp.exp(-z)))


pdf = _common.exp_of(logpdf)


def logcdf(x, loc=0, scale=1):
    z, scale = _common.standardize(x, loc, scale)
    return _nan_unless_positive(scale, -jnp.exp(-z))


cdf = _common.exp_of(logcdf)


def sf(x, loc=0, scale=1):
    z, scale = _common.standardize(x, loc, scale)
    # 1 - exp(-e^-z) without cancellation when e^-z is small
    return _nan_unless_positive(scale, -jnp.expm1(-jnp.exp(-z)))


def logsf(x, loc=0, scale=1):
    z, scale = _common.standardize(x, loc, scale)
    return _nan_unless_positive(scale, log1mexp(jnp.exp(-z)))


def ppf(q, loc=0, scale=1):
    q, loc, scale = _common.floats(q, loc, scale)
    inside = (q > 0) & (q < 1)     # JAX: nan at q = 0 and q = 1 too
    return jnp.where(inside, loc - scale * jnp.log(-jnp.log(q)), np.nan)
