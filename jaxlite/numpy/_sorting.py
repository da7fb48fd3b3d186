"""sort and argsort: numpy's sorting functions over lax.sort/argsort.

Order as numpy and JAX: NaN last (first when descending); sorts are stable,
so ``kind`` and ``stable`` only select what is already guaranteed.
"""
import numpy as np

from jaxlite import dtypes, lax
from jaxlite import numpy_util as util
from jaxlite.numpy._shape import ravel

__all__ = ["sort", "argsort", "sort_complex"]


def _prepare(a, axis, order, name):
    if order is not None:
        raise TypeError(f"jnp.{name}: 'order' (structured arrays) is not supported")
    a = util.as_operand(a)
    if axis is None:
        return ravel(a), 0
    rank = util.ndim(a)
    if rank == 0:
        raise ValueError(f"jnp.{name}: axis {axis} is out of bounds for an array of rank 0")
    return a, util.canonical_axis(axis, rank)


def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """``a`` sorted along ``axis`` (flattened when None)."""
    a, axis = _prepare(a, axis, order, "sort")
    out = lax.sort(a, axis)
    return lax.rev(out, (axis,)) if descending else out


def argsort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """The indices that sort ``a`` along ``axis`` (stable: ties keep index order)."""
    a, axis = _prepare(a, axis, order, "argsort")
    if not descending:
        return lax.argsort(a, axis)
    # Stable descending order: sort the reversed line, map positions back to
    # the original ones, and read the result backwards.
    n = util.shape(a)[axis]
    idx = lax.argsort(lax.rev(a, (axis,)), axis)
    return lax.rev(lax.sub(np.asarray(n - 1, idx.dtype), idx), (axis,))


def sort_complex(a):
    """``a`` sorted along its last axis (lexicographically: real part, then
    imaginary part), as a complex array."""
    a = sort(a, axis=-1)
    return lax.convert_element_type(a, dtypes.to_complex(util.aval(a).dtype))
