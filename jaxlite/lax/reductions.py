"""Reductions: reduce_sum and its family. One block per primitive."""
import numpy as np

from jaxlite import core
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.interpreters.ad import Zero
from jaxlite.lax._rules import standard_primitive


def _reduce_shape(name):
    def rule(x, axes):
        if len(set(axes)) != len(axes) or any(not 0 <= a < x.ndim for a in axes):
            raise ValueError(f"{name}: axes {axes} are invalid for an array of rank {x.ndim}")
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return ShapedArray(shape, x.dtype, x.weak_type)
    return rule


def _normalize_axes(axes, ndim):
    from jaxlite.lax._rules import normalize_axis
    return tuple(sorted(normalize_axis(a, ndim) for a in axes))


# ---------------------------------------------------------------- reduce_sum

reduce_sum_p = standard_primitive(
    "reduce_sum", lambda x, axes: np.sum(x, axis=axes, dtype=x.dtype), _reduce_shape("reduce_sum"))


def _reduce_sum_transpose(ct, x, axes):
    if type(ct) is Zero:
        return [None]
    from jaxlite.lax.structural import broadcast_in_dim
    shape = x.aval.shape
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    return [broadcast_in_dim(ct, shape, kept)]


ad.deflinear(reduce_sum_p, _reduce_sum_transpose)
batching.defreducer(reduce_sum_p)


def reduce_sum(operand, axes):
    """Sum over ``axes``."""
    axes = _normalize_axes(axes, core.get_aval(operand).ndim)
    if not axes and not core.is_python_scalar(operand):
        return operand
    return core.bind(reduce_sum_p, operand, axes=axes)
