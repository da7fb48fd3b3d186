"""jaxlite.scipy.interpolate: ``RegularGridInterpolator``, as jax.scipy.interpolate.

Linear or nearest-neighbour interpolation on a rectilinear grid (one sorted
coordinate array per axis). Points outside the grid get ``fill_value``
(NaN by default) or, with ``fill_value=None``, are extrapolated from the
edge cells; ``bounds_error=True`` is refused, as in JAX, since a traced
value cannot raise. The interpolator is a pytree (grid, values and
fill_value are its leaves), so it passes through jit, vmap and grad.
"""
import itertools

import numpy as np

import jaxlite.numpy as jnp
from jaxlite import numpy_util as util
from jaxlite import tree_util

__all__ = ["RegularGridInterpolator"]

_METHODS = ("linear", "nearest")


def _check_method(method):
    if method not in _METHODS:
        raise ValueError(f"method {method!r} is not defined")


def _as_points(xi, ndim):
    """xi as an array of points with coordinates on the last axis."""
    if isinstance(xi, tuple) and len(xi) == 1:
        xi = xi[0]
    if isinstance(xi, tuple):
        parts = jnp.broadcast_arrays(*[util.as_operand(p) for p in xi])
        parts = [util.strong(p) for p in util.promote_inexact(*parts)]
        return jnp.stack(parts, axis=-1)
    xi = util.as_operand(xi)
    if util.ndim(xi) == 1:
        xi = jnp.reshape(xi, (-1, ndim))
    return xi


class RegularGridInterpolator:
    """Interpolate ``values`` given on the grid ``points`` (scipy's class of the
    same name; methods "linear" and "nearest")."""

    def __init__(self, points, values, method="linear", bounds_error=False,
                 fill_value=np.nan):
        _check_method(method)
        self.method = method
        self.bounds_error = bounds_error
        if bounds_error:
            raise NotImplementedError("`bounds_error` takes no effect under JIT")
        values = util.as_operand(values)
        if len(points) > util.ndim(values):
            raise ValueError(f"there are {len(points)} point arrays, but values has "
                             f"{util.ndim(values)} dimensions")
        values, = util.promote_inexact(values)
        if fill_value is not None:
            fill_value = jnp.asarray(fill_value)
            if not np.can_cast(fill_value.dtype, values.dtype, casting="same_kind"):
                raise ValueError("fill_value must be either 'None' or of a type compatible "
                                 "with values")
        self.fill_value = fill_value
        self.grid = tuple(util.as_operand(p) for p in points)
        self.values = values

    def __call__(self, xi, method=None):
        """The interpolant at the points ``xi`` (shape ``(..., ndim)``, or a tuple
        of coordinate arrays); result shape ``xi.shape[:-1] + values.shape[ndim:]``."""
        method = self.method if method is None else method
        _check_method(method)
        ndim = len(self.grid)
        xi = _as_points(xi, ndim)
        if util.shape(xi)[-1] != ndim:
            raise ValueError(f"the requested sample points xi have dimension "
                             f"{util.shape(xi)[-1]}, but this RegularGridInterpolator has "
                             f"dimension {ndim}")
        lead = util.shape(xi)[:-1]
        xi = jnp.reshape(xi, (-1, ndim))
        cells, fractions, outside = self._locate(xi)
        if method == "linear":
            result = self._linear(cells, fractions)
        else:
            result = self._nearest(cells, fractions)
        if self.fill_value is not None:
            mask = jnp.reshape(outside, (-1,) + (1,) * (util.ndim(result) - 1))
            result = jnp.where(mask, self.fill_value, result)
        return jnp.reshape(result, lead + util.shape(self.values)[ndim:])

    def _locate(self, xi):
        """Per axis, the cell index i (grid[i] <= x < grid[i+1], clamped to the
        edge cells) and the fraction of the way across it; and which points lie
        outside the grid."""
        cells, fractions = [], []
        outside = jnp.zeros(util.shape(xi)[:1], dtype=bool)
        for d, g in enumerate(self.grid):
            x = xi[:, d]
            i = jnp.clip(jnp.searchsorted(g, x) - 1, 0, util.shape(g)[0] - 2)
            cells.append(i)
            fractions.append((x - g[i]) / (g[i + 1] - g[i]))
            outside = outside | (x < g[0]) | (x > g[-1])
        return cells, fractions, outside

    def _linear(self, cells, fractions):
        # Broadcast the per-point weights over any trailing value axes.
        trailing = (slice(None),) + (None,) * (util.ndim(self.values) - len(cells))
        result = None
        for corner in itertools.product((0, 1), repeat=len(cells)):
            weight = None
            for upper, t in zip(corner, fractions):
                w = t if upper else 1 - t
                weight = w if weight is None else weight * w
            term = self.values[tuple(i + upper for i, upper in zip(cells, corner))]
            term = term * weight[trailing]
            result = term if result is None else result + term
        return result

    def _nearest(self, cells, fractions):
        # A point exactly halfway between two grid points takes the lower one.
        return self.values[tuple(jnp.where(t <= 0.5, i, i + 1)
                                 for i, t in zip(cells, fractions))]


tree_util.register_pytree_node(
    RegularGridInterpolator,
    lambda obj: ((obj.grid, obj.values, obj.fill_value), (obj.method, obj.bounds_error)),
    lambda aux, leaves: RegularGridInterpolator(leaves[0], leaves[1], aux[0], aux[1],
                                                leaves[2]))
