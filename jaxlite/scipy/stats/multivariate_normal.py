"""The multivariate normal distribution N(mean, cov), through the Cholesky factor
of ``cov`` (lax.linalg): a log-density needs a triangular solve and the
log-determinant from the factor's diagonal."""
import math

from jaxlite import numpy as jnp
from jaxlite.lax import linalg
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf"]


def logpdf(x, mean, cov, allow_singular=None):
    """x: (..., n); mean: (..., n); cov: (..., n, n), or (n,) for a diagonal, or a
    scalar, as in JAX. Leading dimensions broadcast."""
    if allow_singular is not None:
        raise NotImplementedError("multivariate_normal.logpdf: allow_singular is not supported")
    x, mean, cov = map(jnp.asarray, _common.floats(x, mean, cov))   # cov may be a Python float
    if mean.ndim == 0:
        # As JAX: a scalar mean is the univariate case, elementwise, cov a variance.
        return -0.5 * ((x - mean) ** 2 / cov + math.log(2 * math.pi) + jnp.log(cov))
    n = mean.shape[-1]
    if cov.ndim < 2:
        cov = jnp.eye(n, dtype=cov.dtype) * cov
    if cov.shape[-2:] != (n, n):
        raise ValueError(f"multivariate_normal.logpdf got incompatible shapes: mean "
                         f"{mean.shape}, cov {cov.shape}")
    if x.ndim and x.shape[-1] != n:        # a scalar x broadcasts to a point
        raise ValueError(f"multivariate_normal.logpdf got incompatible shapes: x {x.shape}, "
                         f"mean {mean.shape}")
    diff = x - mean
    lower = linalg.cholesky(cov)
    if cov.ndim == 2:
        # One factor for every point: a single solve L y = diff^T, one column per point.
        cols = jnp.reshape(diff, (-1, n)).T
        y = linalg.triangular_solve(lower, cols, left_side=True, lower=True)
        maha = jnp.reshape(jnp.sum(y * y, axis=0), diff.shape[:-1])
    else:
        batch = jnp.broadcast_shapes(diff.shape[:-1], cov.shape[:-2])
        lower = jnp.broadcast_to(lower, batch + (n, n))
        cols = jnp.broadcast_to(diff, batch + (n,))[..., None]
        y = linalg.triangular_solve(lower, cols, left_side=True, lower=True)[..., 0]
        maha = jnp.sum(y * y, axis=-1)
    log_det = 2.0 * jnp.sum(jnp.log(jnp.diagonal(lower, axis1=-2, axis2=-1)), axis=-1)
    return -0.5 * (n * math.log(2 * math.pi) + log_det + maha)


pdf = _common.exp_of(logpdf)
