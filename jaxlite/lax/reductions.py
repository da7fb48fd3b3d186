"""Reductions: reduce_sum/max/min/prod, argmax/argmin and cumsum.

One block per primitive: impl, shape rule, jvp, transpose (linear ones),
batch rule and public wrapper. jvp rules are written with lax ops, so they
differentiate again.
"""
import numpy as np

from jaxlite import core, dtypes
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.interpreters.ad import Zero
from jaxlite.lax._rules import standard_primitive, check_dtype, normalize_axis
# Modules, not names: they import this one too (their functions are used at call time).
from jaxlite.lax import elementwise, structural

__all__ = ["reduce_sum_p", "reduce_max_p", "reduce_min_p", "reduce_prod_p", "argmax_p", "argmin_p",
           "cumsum_p", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "argmax", "argmin",
           "cumsum", "cumprod", "cummax", "cummin"]


def _check_axes(name, x, axes):
    """ValueError naming the axes and the rank when ``axes`` are not distinct dims of ``x``."""
    if len(set(axes)) != len(axes) or any(not 0 <= a < x.ndim for a in axes):
        raise ValueError(f"{name}: axes {tuple(axes)} are invalid for an array of rank "
                         f"{x.ndim} (shape {x.shape}){core.where_message()}")


def _reduce_shape(name, kinds="bif"):
    def rule(x, axes):
        check_dtype(name, x, kinds)
        _check_axes(name, x, axes)
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return ShapedArray(shape, x.dtype, x.weak_type)
    return rule


def _normalize_axes(axes, ndim):
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    return tuple(sorted(normalize_axis(a, ndim) for a in axes))


def _reducer(prim):
    """The public wrapper of a reduction primitive: ``f(operand, axes)``."""
    def f(operand, axes):
        axes = _normalize_axes(axes, core.get_aval(operand).ndim)
        if not axes and not core.is_python_scalar(operand):
            return operand
        return core.bind(prim, operand, axes=axes)
    f.__name__ = prim.name
    return f


def _kept(shape, axes):
    return tuple(i for i in range(len(shape)) if i not in axes)


def _expand(ans, shape, axes):
    """A reduction's result broadcast back over the reduced ``axes`` of ``shape``."""
    return structural.broadcast_in_dim(ans, tuple(shape), _kept(shape, axes))


def _reduced_size(shape, axes):
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


# ---------------------------------------------------------------- reduce_sum

reduce_sum_p = standard_primitive(
    "reduce_sum", lambda x, axes: np.sum(x, axis=axes, dtype=x.dtype), _reduce_shape("reduce_sum", "bifc"),
    kind=core.REDUCTION, cost=core.COSTLY)


def _reduce_sum_transpose(ct, x, axes):
    if type(ct) is Zero:
        return [None]
    return [_expand(ct, x.aval.shape, axes)]


ad.deflinear(reduce_sum_p, _reduce_sum_transpose)
batching.defreducer(reduce_sum_p)
reduce_sum = _reducer(reduce_sum_p)
reduce_sum.__doc__ = "Sum over ``axes``."


# ------------------------------------------------------ reduce_max, reduce_min

def _identity(dtype, largest):
    """The identity of max (``largest=False``) or min over an empty set, as in JAX."""
    if dtype.kind in "fc":      # complex: (-)inf + 0j, which compares below every number
        return dtype.type(-np.inf if not largest else np.inf)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return dtype.type(info.max if largest else info.min)
    return np.bool_(largest)


def _complex_fold(x, axes, np_cmp, identity):
    """A complex max/min as JAX's: a left fold of elementwise.complex_pick, which
    lets a NaN through only where it is last. Without NaNs that is numpy's
    lexicographic max/min."""
    kept = [d for d in range(x.ndim) if d not in axes]
    lines = np.transpose(x, kept + list(axes)).reshape([x.shape[d] for d in kept] + [-1])
    acc = np.full(lines.shape[:-1], identity, x.dtype)
    for i in range(lines.shape[-1]):
        acc = elementwise.complex_pick(acc, lines[..., i], np_cmp)
    return acc.astype(x.dtype)


def _reduce_max_impl(x, axes):
    if x.dtype.kind == "c" and np.isnan(x).any():
        return _complex_fold(x, axes, np.greater, _identity(x.dtype, largest=False))
    return np.max(x, axis=axes, initial=_identity(x.dtype, largest=False))


def _reduce_min_impl(x, axes):
    if x.dtype.kind == "c" and np.isnan(x).any():
        return _complex_fold(x, axes, np.less, _identity(x.dtype, largest=True))
    return np.min(x, axis=axes, initial=_identity(x.dtype, largest=True))


def _chosen_jvp(g, ans, x, axes):
    """Tangent of max/min: JAX's tie convention averages ``g`` over every position
    equal to the result."""
    aval = core.get_aval(x)
    if _reduced_size(aval.shape, axes) == 0:   # nothing chosen: the result is constant
        return Zero(core.get_aval(ans))
    chosen = elementwise.eq(x, _expand(ans, aval.shape, axes))
    location = elementwise.convert_element_type(chosen, aval.dtype)
    counts = reduce_sum(location, axes)
    return elementwise.div(reduce_sum(elementwise.mul(g, location), axes), counts)


reduce_max_p = standard_primitive("reduce_max", _reduce_max_impl, _reduce_shape("reduce_max", "bifc"),
                                  kind=core.REDUCTION, cost=core.COSTLY)
ad.defjvp(reduce_max_p, _chosen_jvp)
batching.defreducer(reduce_max_p)
reduce_max = _reducer(reduce_max_p)
reduce_max.__doc__ = "Maximum over ``axes`` (-inf / iinfo.min over an empty set)."

reduce_min_p = standard_primitive("reduce_min", _reduce_min_impl, _reduce_shape("reduce_min", "bifc"),
                                  kind=core.REDUCTION, cost=core.COSTLY)
ad.defjvp(reduce_min_p, _chosen_jvp)
batching.defreducer(reduce_min_p)
reduce_min = _reducer(reduce_min_p)
reduce_min.__doc__ = "Minimum over ``axes`` (+inf / iinfo.max over an empty set)."


# --------------------------------------------------------------- reduce_prod
#
# d prod(x) = sum_i t_i * prod_{j != i} x_j. The "product of the others" is
# computed exactly (no division, so zeros in x are handled) and with lax ops,
# so it differentiates again:
#   - for a short axis (n <= _DIRECT_MAX), directly: broadcast the row to
#     (n, n), put 1 on the diagonal and multiply along the row: O(n^2);
#   - otherwise pad the axis with ones to a power of two (ones change no
#     product), split it as (a, b) with a ~ b ~ sqrt(n) (a reshape) and
#     recurse: the others of element (p, q) are (the others of q inside block
#     p) * (the others of block p among the block products). About
#     O(n log n) work; the padding is cut off again with a negative pad.

_DIRECT_MAX = 16

reduce_prod_p = standard_primitive(
    "reduce_prod", lambda x, axes: np.prod(x, axis=axes, dtype=x.dtype),
    _reduce_shape("reduce_prod", "ifc"), kind=core.REDUCTION, cost=core.COSTLY)


def _prod_of_others(x):
    """``x`` of shape (..., n) -> (..., n): for each i, the product over j != i."""
    aval = core.get_aval(x)
    lead, n, r = aval.shape[:-1], aval.shape[-1], aval.ndim - 1
    if n <= _DIRECT_MAX:
        square = lead + (n, n)
        rows = structural.broadcast_in_dim(x, square, tuple(range(r)) + (r + 1,))
        diagonal = structural.broadcast_in_dim(np.eye(n, dtype=bool), square, (r, r + 1))
        masked = elementwise.select_n(diagonal, rows, structural.full(square, 1, aval.dtype))
        return reduce_prod(masked, (r + 1,))
    size = 1 << (n - 1).bit_length()
    if size != n:
        keep = ((0, 0, 0),) * r
        padded = structural.pad(x, np.ones((), aval.dtype), keep + ((0, size - n, 0),))
        return structural.pad(_prod_of_others(padded), np.zeros((), aval.dtype),
                              keep + ((0, n - size, 0),))
    a = 1 << (n.bit_length() - 1) // 2
    blocks = structural.reshape(x, lead + (a, n // a))
    inner = _prod_of_others(blocks)
    outer = _prod_of_others(reduce_prod(blocks, (r + 1,)))
    outer = structural.broadcast_in_dim(outer, lead + (a, n // a), tuple(range(r + 1)))
    return structural.reshape(elementwise.mul(inner, outer), lead + (n,))


def _reduce_prod_jvp(g, ans, x, axes):
    aval = core.get_aval(x)
    n = _reduced_size(aval.shape, axes)
    if n == 0:   # the empty product is the constant 1
        return Zero(core.get_aval(ans))
    kept = _kept(aval.shape, axes)
    # Reduced axes last, flattened into one axis of length n.
    rows_shape = tuple(aval.shape[i] for i in kept) + (n,)
    def rows(v):
        return structural.reshape(structural.transpose(v, kept + tuple(axes)), rows_shape)
    others = _prod_of_others(rows(x))
    return reduce_sum(elementwise.mul(rows(g), others), (len(kept),))


ad.defjvp(reduce_prod_p, _reduce_prod_jvp)
batching.defreducer(reduce_prod_p)
reduce_prod = _reducer(reduce_prod_p)
reduce_prod.__doc__ = "Product over ``axes``."


# ------------------------------------------------------------ argmax, argmin

def _arg_impl(np_fn):
    def impl(x, axes, index_dtype):
        return np_fn(x, axis=axes[0]).astype(index_dtype)
    return impl


def _arg_shape(name):
    def rule(x, axes, index_dtype):
        if len(axes) != 1:
            raise ValueError(f"{name} takes exactly one axis, got axes {tuple(axes)} for an "
                             f"array of rank {x.ndim}{core.where_message()}")
        _check_axes(name, x, axes)
        check_dtype(name, x, "bif")     # complex numbers have no order here, as JAX
        if x.shape[axes[0]] == 0:
            raise ValueError(f"{name}: axis {axes[0]} of shape {x.shape} is empty, so it "
                             f"has no extreme element{core.where_message()}")
        if np.dtype(index_dtype).kind != "i":
            raise TypeError(f"{name}: index_dtype must be an integer dtype, got "
                            f"{np.dtype(index_dtype).name}{core.where_message()}")
        shape = tuple(d for i, d in enumerate(x.shape) if i != axes[0])
        return ShapedArray(shape, np.dtype(index_dtype))
    return rule


def _arg_wrapper(prim):
    def f(operand, axis, index_dtype):
        ndim = core.get_aval(operand).ndim
        axes = (normalize_axis(axis, ndim),)
        index_dtype = dtypes.canonicalize(index_dtype, f"{prim.name} index_dtype")
        return core.bind(prim, operand, axes=axes, index_dtype=index_dtype)
    f.__name__ = prim.name
    return f


# np.argmax/argmin return the first extreme index and treat NaN as extreme, as JAX does.
argmax_p = standard_primitive("argmax", _arg_impl(np.argmax), _arg_shape("argmax"),
                              kind=core.REDUCTION, cost=core.COSTLY)
ad.defjvp_zero(argmax_p)
batching.defreducer(argmax_p)
argmax = _arg_wrapper(argmax_p)
argmax.__doc__ = "Index of the first maximum along ``axis`` (NaN counts as the maximum)."

argmin_p = standard_primitive("argmin", _arg_impl(np.argmin), _arg_shape("argmin"),
                              kind=core.REDUCTION, cost=core.COSTLY)
ad.defjvp_zero(argmin_p)
batching.defreducer(argmin_p)
argmin = _arg_wrapper(argmin_p)
argmin.__doc__ = "Index of the first minimum along ``axis`` (NaN counts as the minimum)."


# -------------------------------------------------------------------- cumsum

def _cumsum_impl(x, axis, reverse):
    if reverse:
        return np.flip(np.cumsum(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)
    return np.cumsum(x, axis=axis, dtype=x.dtype)


def _cumsum_shape(x, axis, reverse):
    check_dtype("cumsum", x, "ifc")
    if not 0 <= axis < x.ndim:
        raise ValueError(f"cumsum: axis {axis} is out of bounds for an array of rank "
                         f"{x.ndim}{core.where_message()}")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _cumsum_transpose(ct, x, axis, reverse):
    # The adjoint of a running sum is the running sum in the other direction.
    return [None if type(ct) is Zero else cumsum(ct, axis, not reverse)]


def _cumsum_batch(axis_size, vals, dims, axis, reverse):
    (x,), (d,) = vals, dims
    return cumsum(x, axis + (axis >= d), reverse), d


cumsum_p = standard_primitive("cumsum", _cumsum_impl, _cumsum_shape,
                              kind=core.KERNEL, cost=core.COSTLY)
ad.deflinear(cumsum_p, _cumsum_transpose)
batching.batch_rules[cumsum_p] = _cumsum_batch


def cumsum(operand, axis=0, reverse=False):
    """Running sum along ``axis`` (from the end when ``reverse``)."""
    ndim = core.get_aval(operand).ndim
    if ndim == 0:
        raise ValueError(f"cumsum: axis {axis} is out of bounds for an array of rank 0"
                         f"{core.where_message()}")
    axis = normalize_axis(axis, ndim)
    return core.bind(cumsum_p, operand, axis=axis, reverse=bool(reverse))


# ------------------------------------------- cumprod, cummax, cummin (composites)
#
# Not primitives: a log-depth scan (Hillis-Steele) of the binary op over pads.
# Step k combines every element with the one 2^k before it (the pad shifts the
# array along ``axis``, filling with the op's identity). Built from mul/max/min
# and pad, so every transform and derivative order comes for free; a tie in
# cummax/cummin splits the gradient between the tied pair, as max/min do.

def _cumulative(name, binary, identity):
    def f(operand, axis=0, reverse=False):
        aval = core.get_aval(operand)
        if aval.ndim == 0:
            raise ValueError(f"{name}: axis {axis} is out of bounds for an array of rank 0"
                             f"{core.where_message()}")
        axis = normalize_axis(axis, aval.ndim)
        x = structural.rev(operand, (axis,)) if reverse else operand
        fill = identity(aval.dtype)
        shift = 1
        while shift < aval.shape[axis]:
            config = [(0, 0, 0)] * aval.ndim
            config[axis] = (shift, -shift, 0)
            x = binary(x, structural.pad(x, fill, tuple(config)))
            shift *= 2
        return structural.rev(x, (axis,)) if reverse else x
    f.__name__ = name
    f.__doc__ = f"Running {name[3:]} along ``axis`` (from the end when ``reverse``)."
    return f


def _cum_binary(name):
    def binary(x, y):
        return getattr(elementwise, name)(x, y)
    return binary


def _prod_identity(dtype):
    if dtype.kind not in "iufc":
        raise TypeError(f"cumprod requires integer, floating or complex operands, got {dtype.name}"
                        f"{core.where_message()}")
    return np.ones((), dtype)


cumprod = _cumulative("cumprod", _cum_binary("mul"), _prod_identity)
cummax = _cumulative("cummax", _cum_binary("max"),
                     lambda dt: np.asarray(_identity(dt, largest=False), dt))
cummin = _cumulative("cummin", _cum_binary("min"),
                     lambda dt: np.asarray(_identity(dt, largest=True), dt))
