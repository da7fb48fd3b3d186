"""The multivariate normal distribution N(mean, cov), through the Cholesky factor
of ``cov`` (lax.linalg): a log-density needs a triangular solve and the
log-determinant from the factor's diagonal."""
import math

from jaxlite import numpy as jnp
from jaxlite.lax import linalg
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf"]


def logpdf(x, mean, cov, allow_singular=None):
    """x: (..., n); mean: (n,) or broadcastable; cov: (n, n), a scalar or (n,)
    (a diagonal) as in JAX."""
    if allow_singular is not None:
        raise NotImplementedError("multivariate_normal.logpdf: allow_singular is not supported")
    x, mean, cov = _common.floats(x, mean, cov)
    if mean.ndim == 0:
        raise ValueError("multivariate_normal.logpdf: mean must have at least one dimension")
    n = mean.shape[-1]
    if cov.ndim < 2:
        cov = jnp.eye(n, dtype=cov.dtype) * cov
    if cov.shape[-2:] != (n, n):
        raise ValueError(f"multivariate_normal.logpdf got incompatible shapes: mean "
                         f"{mean.shape}, cov {cov.shape}")
    if x.shape[-1:] != (n,):
        raise ValueError(f"multivariate_normal.logpdf got incompatible shapes: x {x.shape}, "
                         f"mean {mean.shape}")
    if cov.ndim > 2:
        raise ValueError("multivariate_normal.logpdf: cov must be a single (n, n) matrix")
    lower = linalg.cholesky(cov)
    diff = x - mean
    batch = diff.shape[:-1]
    # One triangular solve for every point: L y = diff^T, columns are the points.
    cols = jnp.reshape(diff, (-1, n)).T
    y = linalg.triangular_solve(lower, cols, left_side=True, lower=True)
    maha = jnp.reshape(jnp.sum(y * y, axis=0), batch)
    log_det = 2.0 * jnp.sum(jnp.log(jnp.diagonal(lower)))
    return -0.5 * (n * math.log(2 * math.pi) + log_det + maha)


pdf = _common.exp_of(logpdf)
