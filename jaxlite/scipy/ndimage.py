"""jaxlite.scipy.ndimage: ``map_coordinates`` (orders 0 and 1), as jax.scipy.ndimage.

Each output value is a weighted sum of input values at whole-number
positions around its coordinates (one position at order 0, 2**ndim at
order 1); positions outside the array are folded back in by ``mode`` or, in
"constant" mode, read as ``cval``. The weights are smooth in the
coordinates, so the result differentiates in both the input and them.
"""
import functools
import itertools
import operator

import numpy as np

from jaxlite import lax
import jaxlite.numpy as jnp
from jaxlite import numpy_util as util

__all__ = ["map_coordinates"]


def _mirror(i, n):
    """Reflect about the edge samples: ... 2 1 | 0 1 2 ... n-1 | n-2 ... (period 2n - 2)."""
    if n == 1:
        return jnp.zeros_like(i)
    j = i % (2 * n - 2)
    return jnp.where(j < n, j, 2 * n - 2 - j)


def _reflect(i, n):
    """Reflect about the array's outer edges: ... 1 0 | 0 1 ... n-1 | n-1 ... (period 2n)."""
    j = i % (2 * n)
    return jnp.where(j < n, j, 2 * n - 1 - j)


_FOLDS = {
    "constant": lambda i, n: i,            # out-of-range positions are masked to cval
    "nearest": lambda i, n: jnp.clip(i, 0, n - 1),
    "wrap": lambda i, n: i % n,
    "mirror": _mirror,
    "reflect": _reflect,
}


def _nodes(coordinate, order):
    """[(integer position, weight)] of one axis's interpolation."""
    if order == 0:
        # lax.round rounds halves away from zero, as JAX does here.
        integral = jnp.issubdtype(coordinate.dtype, jnp.integer)
        index = coordinate if integral else lax.round(coordinate)
        return [(index.astype(np.int32), None)]
    lower = jnp.floor(coordinate)
    upper_weight = coordinate - lower
    index = lower.astype(np.int32)
    return [(index, 1 - upper_weight), (index + 1, upper_weight)]


def map_coordinates(input, coordinates, order, mode="constant", cval=0.0):
    """``input`` interpolated at the points ``coordinates`` (one array per input
    axis, broadcast together) with splines of ``order`` 0 (nearest) or 1
    (linear) (scipy.ndimage.map_coordinates)."""
    arr = util.as_operand(input)
    dtype = arr.dtype
    coords = [util.as_operand(c) for c in coordinates]
    if len(coords) != util.ndim(arr):
        raise ValueError(f"coordinates must be a sequence of length input.ndim, but "
                         f"{len(coords)} != {util.ndim(arr)}")
    fold = _FOLDS.get(mode)
    if fold is None:
        raise NotImplementedError(
            f"jax.scipy.ndimage.map_coordinates does not yet support mode {mode}. "
            f"Currently supported modes are {set(_FOLDS)}.")
    if order not in (0, 1):
        raise NotImplementedError("jax.scipy.ndimage.map_coordinates currently requires "
                                  "order<=1")
    cval = jnp.asarray(cval, dtype)
    if order == 1:
        coords = [util.strong(c) for c in util.promote_inexact(*coords)] if coords else coords
    per_axis = []
    for c, n in zip(coords, util.shape(arr)):
        per_axis.append([(fold(i, n), (i >= 0) & (i < n) if mode == "constant" else None, w)
                         for i, w in _nodes(c, order)])
    terms = []
    for corner in itertools.product(*per_axis):
        indices, valids, weights = zip(*corner)
        value = arr[tuple(indices)]
        valids = [v for v in valids if v is not None]
        if valids:
            value = jnp.where(functools.reduce(operator.and_, valids), value, cval)
        weights = [w for w in weights if w is not None]
        if weights:
            value = functools.reduce(operator.mul, weights) * value
        terms.append(value)
    result = functools.reduce(operator.add, terms)
    if jnp.issubdtype(dtype, jnp.integer) and jnp.issubdtype(result.dtype, jnp.inexact):
        result = lax.round(result)      # integers round to nearest, halves away from zero
    return result.astype(dtype)
