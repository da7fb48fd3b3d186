"""The left-skewed Gumbel (extreme value, minimum) distribution."""
import numpy as np

from jaxlite import numpy as jnp
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf", "logcdf", "cdf", "ppf", "sf", "logsf"]


def _nan_unless_positive(scale, value):
    # JAX (unlike SciPy's -inf/0) answers nan for a non-positive scale.
    return jnp.where(scale > 0, value, np.nan)


def logpdf(x, loc=0, scale=1):
    z, scale = _common.standardize(x, loc, scale)
    return _nan_unless_positive(scale, -jnp.log(scale) + z - jnp.exp(z))


pdf = _common.exp_of(logpdf)


def logcdf(x, loc=0, scale=1):
    z, scale = _common.standardize(x, loc, scale)
    # log(1 - exp(-e^z)): expm1 keeps the small-e^z tail accurate
    return _nan_unless_positive(scale, jnp.log(-jnp.expm1(-jnp.exp(z))))


cdf = _common.exp_of(logcdf)


def logsf(x, loc=0, scale=1):
    z, scale = _common.standardize(x, loc, scale)
    return _nan_unless_positive(scale, -jnp.exp(z))


sf = _common.exp_of(logsf)


def ppf(q, loc=0, scale=1):
    q, loc, scale = _common.floats(q, loc, scale)
    inside = (q > 0) & (q < 1)     # JAX: nan at q = 0 and q = 1 too
    return jnp.where(inside, loc + scale * jnp.log(-jnp.log1p(-q)), np.nan)
