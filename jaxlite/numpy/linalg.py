"""jaxlite.numpy.linalg: the norms (what needs no decomposition)."""
import numpy as np

from jaxlite import lax
from jaxlite.numpy import _elementwise as el, _reductions as red, _shape
from jaxlite import numpy_util as util


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector norms (any ``ord``) and matrix norms ``'fro'``, 1, -1, inf, -inf.

    With ``axis=None`` a 1-d input gets the vector 2-norm and a 2-d input the
    Frobenius norm, as in numpy; other ranks need ``axis``."""
    (x,) = util.promote_inexact(x)
    x = util.strong(x)
    nd = util.ndim(x)
    if axis is None:
        if ord is None:
            return _keepdims(lax.sqrt(red.sum(lax.mul(x, x))), nd, keepdims)
        if nd not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} with axis=None needs a 1-d or 2-d input, "
                             f"got rank {nd}")
        axis = tuple(range(nd))
    axes = util.canonical_axes(axis, nd)
    if len(axes) == 1:
        return _vector_norm(x, axes, ord, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, axes, ord, keepdims)
    raise ValueError(f"norm: axis {axis} must name one or two axes of an array of rank {nd}")


def _keepdims(out, nd, keepdims):
    return lax.reshape(out, (1,) * nd) if keepdims else out


def _vector_norm(x, axes, ord, keepdims):
    ax = el.absolute(x)
    if ord is None or ord == 2:
        return lax.sqrt(red.sum(lax.mul(x, x), axes, keepdims=keepdims))
    if ord == np.inf:
        return red.max(ax, axes, keepdims=keepdims)
    if ord == -np.inf:
        return red.min(ax, axes, keepdims=keepdims)
    if ord == 0:
        return red.sum(el.not_equal(x, 0), axes, dtype=util.aval(x).dtype, keepdims=keepdims)
    if ord == 1:
        return red.sum(ax, axes, keepdims=keepdims)
    p = float(ord)
    return el.power(red.sum(el.power(ax, p), axes, keepdims=keepdims), 1.0 / p)


def _matrix_norm(x, axes, ord, keepdims):
    r, c = axes
    if ord is None or ord == "fro":
        return lax.sqrt(red.sum(lax.mul(x, x), axes, keepdims=keepdims))
    ax = el.absolute(x)
    if ord in (1, -1):
        sums = red.sum(ax, r, keepdims=True)
        fn = red.max if ord == 1 else red.min
        return _drop(fn(sums, c, keepdims=True), axes, keepdims)
    if ord in (np.inf, -np.inf):
        sums = red.sum(ax, c, keepdims=True)
        fn = red.max if ord == np.inf else red.min
        return _drop(fn(sums, r, keepdims=True), axes, keepdims)
    raise ValueError(f"norm: matrix ord={ord!r} is not supported by jaxlite (needs a "
                     f"singular value decomposition); use 'fro', 1, -1, inf or -inf")


def _drop(out, axes, keepdims):
    if keepdims:
        return out
    return _shape.squeeze(out, axes)
