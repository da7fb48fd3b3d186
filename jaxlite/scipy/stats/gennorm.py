"""The generalized normal distribution of shape ``beta`` (standard form, as
JAX: no loc/scale): density beta / (2 Gamma(1/beta)) exp(-|x|^beta)."""
from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf", "cdf"]


def logpdf(x, beta):
    x, beta = _common.floats(x, beta)
    return jnp.log(0.5 * beta) - special.gammaln(1.0 / beta) - jnp.abs(x) ** beta


pdf = _common.exp_of(logpdf)


def cdf(x, beta):
    x, beta = _common.floats(x, beta)
    # symmetric: half the mass lies within |x|, on each side of zero
    return 0.5 * (1.0 + jnp.sign(x) * special.gammainc(1.0 / beta, jnp.abs(x) ** beta))
