"""jaxlite.scipy.cluster.vq: ``vq``, the nearest code of each observation, as
jax.scipy.cluster.vq."""
import jaxlite.numpy as jnp
from jaxlite import numpy_util as util

__all__ = ["vq"]


def vq(obs, code_book, check_finite=True):
    """For each row of ``obs`` (M, N), the index of the nearest row of
    ``code_book`` (K, N) in Euclidean distance and that distance: ``(code,
    dist)``, both of shape (M,). 1-d inputs are length-1 vectors;
    ``check_finite`` is accepted and ignored, as in JAX (scipy.cluster.vq.vq)."""
    del check_finite
    obs, book = (util.strong(x) for x in util.promote_inexact(util.as_operand(obs),
                                                               util.as_operand(code_book)))
    if util.ndim(obs) != util.ndim(book):
        raise ValueError("Observation and code_book should have the same rank")
    if util.ndim(obs) == 1:
        obs, book = obs[:, None], book[:, None]
    if util.ndim(obs) != 2:
        raise ValueError("ndim different than 1 or 2 are not supported")
    # All M x K distances at once; argmin takes the first of equal distances.
    dist = jnp.linalg.norm(obs[:, None, :] - book[None, :, :], axis=-1)
    code = jnp.argmin(dist, axis=-1)
    return code, jnp.take_along_axis(dist, code[:, None], axis=-1)[:, 0]
