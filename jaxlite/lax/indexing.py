"""Indexing primitives: slice, dynamic_slice, dynamic_update_slice, gather,
scatter_add and scatter. One block per primitive with all its rules.

Index semantics (as JAX's defaults): dynamic start indices are clamped so the
window fits; gather clamps each index into range; scatter/scatter_add drop
updates whose index is out of range; scatter_add accumulates duplicates and
scatter keeps the last of duplicate updates.
"""
import builtins

import numpy as np

from jaxlite import core
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.interpreters.ad import Zero, is_undef
from jaxlite.lax._rules import standard_primitive, normalize_axis, promote_weak
# Modules, not names: structural imports this one too (used at call time).
from jaxlite.lax import elementwise as _ew, structural

_pyslice = builtins.slice   # this module defines lax.slice

__all__ = ["slice_p", "dynamic_slice_p", "dynamic_update_slice_p", "gather_p", "scatter_add_p",
           "scatter_p", "slice", "slice_in_dim", "index_in_dim", "dynamic_slice",
           "dynamic_slice_in_dim", "dynamic_index_in_dim", "dynamic_update_slice",
           "dynamic_update_slice_in_dim", "dynamic_update_index_in_dim", "gather",
           "scatter_add", "scatter"]


def _zeros(aval):
    return structural.full(aval.shape, 0, aval.dtype)


def _aval(x):
    return x.aval if is_undef(x) else core.get_aval(x)


def _shift_dims(dims, bdim):
    """Unbatched dimension numbers as numbers in an array batched at ``bdim``."""
    return tuple(d + (d >= bdim) for d in dims)


# --------------------------------------------------------------------- slice

def _slice_impl(x, start_indices, limit_indices, strides):
    strides = strides or (1,) * x.ndim
    return x[tuple(_pyslice(s, l, st) for s, l, st in zip(start_indices, limit_indices, strides))]


def _slice_sizes(start_indices, limit_indices, strides):
    strides = strides or (1,) * len(start_indices)
    return tuple(max(0, -(-(l - s) // st)) for s, l, st in zip(start_indices, limit_indices,
                                                                  strides))


def _slice_shape(x, start_indices, limit_indices, strides):
    n = x.ndim
    if len(start_indices) != n or len(limit_indices) != n or \
            (strides is not None and len(strides) != n):
        raise ValueError(f"slice: start_indices {start_indices}, limit_indices {limit_indices} "
                         f"and strides {strides} need one entry per dimension of the rank-{n} "
                         f"operand (shape {x.shape}){core.where_message()}")
    for axis, (s, l, d) in enumerate(zip(start_indices, limit_indices, x.shape)):
        st = 1 if strides is None else strides[axis]
        if st < 1:
            raise ValueError(f"slice: stride {st} of axis {axis} (rank {n}) must be positive"
                             f"{core.where_message()}")
        if not 0 <= s <= l <= d:
            raise ValueError(f"slice: start {s} and limit {l} of axis {axis} (rank {n}) must "
                             f"satisfy 0 <= start <= limit <= {d} (operand shape {x.shape})"
                             f"{core.where_message()}")
    return ShapedArray(_slice_sizes(start_indices, limit_indices, strides), x.dtype,
                       x.weak_type)


slice_p = standard_primitive("slice", _slice_impl, _slice_shape,
                             kind=core.INDEX_MAP, cost=core.FREE)


def _slice_transpose(ct, x, start_indices, limit_indices, strides):
    if type(ct) is Zero:
        return [None]
    # The cotangent goes back into place: pad with the skipped elements as
    # zeros (interior padding fills the gaps left by strides).
    shape = x.aval.shape
    out_shape = core.get_aval(ct).shape
    strides = strides or (1,) * len(shape)
    config = []
    for n, s, st, m in zip(shape, start_indices, strides, out_shape):
        config.append((0, n, 0) if m == 0 else (s, n - s - (m - 1) * st - 1, st - 1))
    return [structural.pad(ct, np.zeros((), ct.dtype), tuple(config))]


def _slice_batch(axis_size, vals, dims, start_indices, limit_indices, strides):
    (x,), (d,) = vals, dims
    start, limit = list(start_indices), list(limit_indices)
    start.insert(d, 0)
    limit.insert(d, axis_size)
    if strides is not None:
        strides = strides[:d] + (1,) + strides[d:]
    return slice(x, tuple(start), tuple(limit), strides), d


ad.deflinear(slice_p, _slice_transpose)
batching.batch_rules[slice_p] = _slice_batch


def slice(operand, start_indices, limit_indices, strides=None):
    """``operand[start:limit:stride]`` per dimension (static bounds; strides positive)."""
    start = tuple(int(s) for s in start_indices)
    limit = tuple(int(s) for s in limit_indices)
    if strides is not None:
        strides = tuple(int(s) for s in strides)
        if all(s == 1 for s in strides):
            strides = None
    return core.bind(slice_p, operand, start_indices=start, limit_indices=limit,
                     strides=strides)


def slice_in_dim(operand, start_index, limit_index, stride=1, axis=0):
    """``lax.slice`` along one ``axis``; None and negative bounds as in Python."""
    shape = core.get_aval(operand).shape
    axis = normalize_axis(axis, len(shape))
    n = shape[axis]
    start = 0 if start_index is None else int(start_index)
    limit = n if limit_index is None else int(limit_index)
    start, limit = start + n if start < 0 else start, limit + n if limit < 0 else limit
    starts, limits, strides = [0] * len(shape), list(shape), [1] * len(shape)
    starts[axis], limits[axis], strides[axis] = start, limit, int(stride)
    return slice(operand, starts, limits, strides)


def index_in_dim(operand, index, axis=0, keepdims=True):
    """Element ``index`` along ``axis`` (static), keeping the axis as size 1 if ``keepdims``."""
    shape = core.get_aval(operand).shape
    axis = normalize_axis(axis, len(shape))
    index = int(index)
    if not -shape[axis] <= index < shape[axis]:
        raise IndexError(f"index {index} is out of bounds for axis {axis} with size "
                         f"{shape[axis]}{core.where_message()}")
    index = index % shape[axis]
    out = slice_in_dim(operand, index, index + 1, axis=axis)
    return out if keepdims else structural.squeeze(out, (axis,))


# ------------------------------------------------------------ start indices

def _clamped_starts(starts, shape, sizes):
    return tuple(int(min(max(int(s), 0), n - k)) for s, n, k in zip(starts, shape, sizes))


def _check_starts(name, operand, starts):
    if len(starts) != operand.ndim:
        raise TypeError(f"{name}: got {len(starts)} start indices for an operand of rank "
                        f"{operand.ndim} (shape {operand.shape}){core.where_message()}")
    for i, s in enumerate(starts):
        if s.shape != () or s.dtype.kind not in "iu":
            raise TypeError(f"{name}: start index {i} must be an integer scalar, got "
                            f"{s.str_short()}{core.where_message()}")


def _start_indices(name, start_indices, shape, allow_negative_indices):
    """The wrapper's start indices as a list of integer scalars: concrete ones as
    int32 arrays (Literals when staged); negative ones count from the end."""
    if isinstance(start_indices, (np.ndarray, core.Tracer)):
        aval = core.get_aval(start_indices)
        if aval.ndim != 1:
            raise TypeError(f"{name}: start_indices must be a sequence of scalars or a 1-D "
                            f"array, got shape {aval.shape}{core.where_message()}")
        start_indices = [structural.squeeze(slice(start_indices, (i,), (i + 1,)), (0,))
                         for i in range(aval.shape[0])]
    starts = list(start_indices)
    if len(starts) != len(shape):
        raise TypeError(f"{name}: got {len(starts)} start indices for an operand of rank "
                        f"{len(shape)} (shape {shape}){core.where_message()}")
    out = []
    for i, (s, n) in enumerate(zip(starts, shape)):
        aval = core.get_aval(s)
        if aval.shape != () or aval.dtype.kind not in "iu":
            raise TypeError(f"{name}: start index {i} must be an integer scalar, got "
                            f"{aval.str_short()}{core.where_message()}")
        if not isinstance(s, core.Tracer):
            s = int(s)
            if allow_negative_indices and s < 0:
                s += n
            out.append(np.asarray(s, np.int32 if -2**31 <= s < 2**31 else np.int64))
        elif allow_negative_indices:
            out.append(_ew.select_n(_ew.lt(s, 0), s, _ew.add(s, n)))
        else:
            out.append(s)
    return out


def _clamp_start(s, n, size):
    """A (possibly batched) start index clamped so a window of ``size`` fits in ``n``."""
    return _ew.min(_ew.max(s, 0), n - size)


def _window_indices(starts, sizes, axis_size):
    """Index grid (B, *sizes, len(starts)) of every element of each example's window.
    ``starts`` are int32 arrays of shape (B,), already clamped."""
    grid_shape = (axis_size,) + tuple(sizes)
    cols = []
    for j, s in enumerate(starts):
        col = _ew.add(structural.broadcast_in_dim(s, grid_shape, (0,)),
                      structural.broadcasted_iota(np.int32, grid_shape, j + 1))
        cols.append(structural.reshape(col, grid_shape + (1,)))
    return cols


def _batched_starts(starts, sdims, shape, sizes, axis_size):
    out = []
    for s, d, n, k in zip(starts, sdims, shape, sizes):
        s = _ew.convert_element_type(s, np.int32)
        s = batching.move_to(s, d, 0, axis_size)
        out.append(_clamp_start(s, n, k))
    return out


# ------------------------------------------------------------- dynamic_slice

def _window(starts, sizes):
    return tuple(_pyslice(s, s + k) for s, k in zip(starts, sizes))


def _dynamic_slice_impl(x, *starts, slice_sizes):
    return x[_window(_clamped_starts(starts, x.shape, slice_sizes), slice_sizes)]


def _dynamic_slice_shape(x, *starts, slice_sizes):
    _check_starts("dynamic_slice", x, starts)
    if len(slice_sizes) != x.ndim:
        raise ValueError(f"dynamic_slice: slice_sizes {slice_sizes} need one entry per "
                         f"dimension of the rank-{x.ndim} operand (shape {x.shape})"
                         f"{core.where_message()}")
    for axis, (k, n) in enumerate(zip(slice_sizes, x.shape)):
        if not 0 <= k <= n:
            raise ValueError(f"dynamic_slice: slice size {k} of axis {axis} (rank {x.ndim}) "
                             f"must be between 0 and the operand size {n} (shape {x.shape})"
                             f"{core.where_message()}")
    return ShapedArray(slice_sizes, x.dtype, x.weak_type)


dynamic_slice_p = standard_primitive("dynamic_slice", _dynamic_slice_impl,
                                     _dynamic_slice_shape, kind=core.INDEX_MAP, cost=core.COSTLY)


def _dynamic_slice_jvp(primals, tangents, slice_sizes):
    x, *starts = primals
    out = core.bind(dynamic_slice_p, x, *starts, slice_sizes=slice_sizes)
    t = tangents[0]
    if type(t) is Zero:
        return out, Zero(core.get_aval(out))
    return out, core.bind(dynamic_slice_p, t, *starts, slice_sizes=slice_sizes)


def _dynamic_slice_transpose(ct, x, *starts, slice_sizes):
    if type(ct) is Zero or not is_undef(x):
        return [None] * (1 + len(starts))
    zeros = _zeros(x.aval)
    return [core.bind(dynamic_update_slice_p, zeros, ct, *starts)] + [None] * len(starts)


def _dynamic_slice_batch(axis_size, vals, dims, slice_sizes):
    (x, *starts), (xd, *sdims) = vals, dims
    if all(d is None for d in sdims):
        # One window for every example: add the whole batch dim to it.
        dt = core.get_aval(starts[0]).dtype if starts else np.dtype(np.int32)
        starts.insert(xd, np.zeros((), dt))
        sizes = slice_sizes[:xd] + (axis_size,) + slice_sizes[xd:]
        return core.bind(dynamic_slice_p, x, *starts, slice_sizes=sizes), xd
    # Per-example windows: gather every element of every window.
    shape = core.get_aval(x).shape
    if xd is not None:
        shape = shape[:xd] + shape[xd + 1:]
    starts = _batched_starts(starts, sdims, shape, slice_sizes, axis_size)
    cols = _window_indices(starts, slice_sizes, axis_size)
    axes = tuple(range(len(shape)))
    if xd is not None:
        x = batching.moveaxis(x, xd, 0)
        grid = (axis_size,) + tuple(slice_sizes)
        iota = structural.broadcasted_iota(np.int32, grid, 0)
        cols.insert(0, structural.reshape(iota, grid + (1,)))
        axes = tuple(range(len(shape) + 1))
    return gather(x, structural.concatenate(cols, len(slice_sizes) + 1), axes), 0


ad.jvp_rules[dynamic_slice_p] = _dynamic_slice_jvp
ad.transpose_rules[dynamic_slice_p] = _dynamic_slice_transpose
batching.batch_rules[dynamic_slice_p] = _dynamic_slice_batch


def dynamic_slice(operand, start_indices, slice_sizes, *, allow_negative_indices=True):
    """The window of ``slice_sizes`` at ``start_indices`` (scalars, possibly traced),
    moved back so that it fits. Negative starts count from the end unless
    ``allow_negative_indices`` is False (then they clamp to 0)."""
    shape = core.get_aval(operand).shape
    starts = _start_indices("dynamic_slice", start_indices, shape, allow_negative_indices)
    sizes = tuple(int(k) for k in slice_sizes)
    return core.bind(dynamic_slice_p, operand, *starts, slice_sizes=sizes)


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0):
    """``dynamic_slice`` along one ``axis``."""
    shape = core.get_aval(operand).shape
    axis = normalize_axis(axis, len(shape))
    starts = [0] * len(shape)
    starts[axis] = start_index
    sizes = list(shape)
    sizes[axis] = slice_size
    return dynamic_slice(operand, starts, sizes)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True):
    """Element ``index`` (possibly traced) along ``axis``."""
    axis = normalize_axis(axis, core.get_aval(operand).ndim)
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    return out if keepdims else structural.squeeze(out, (axis,))


# ------------------------------------------------------ dynamic_update_slice

def _dynamic_update_slice_impl(x, update, *starts):
    out = np.array(x, copy=True)
    out[_window(_clamped_starts(starts, x.shape, update.shape), update.shape)] = update
    return out


def _dynamic_update_slice_shape(x, update, *starts):
    _check_starts("dynamic_update_slice", x, starts)
    if update.dtype != x.dtype:
        raise TypeError(f"dynamic_update_slice: update dtype {update.dtype.name} must match "
                        f"the operand dtype {x.dtype.name}{core.where_message()}")
    if update.ndim != x.ndim or any(u > n for u, n in zip(update.shape, x.shape)):
        raise TypeError(f"dynamic_update_slice: update shape {update.shape} must have the "
                        f"operand's rank and fit inside operand shape {x.shape}"
                        f"{core.where_message()}")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


dynamic_update_slice_p = standard_primitive("dynamic_update_slice",
                                            _dynamic_update_slice_impl,
                                            _dynamic_update_slice_shape,
                                            kind=core.INDEX_MAP, cost=core.COSTLY)


def _dynamic_update_slice_jvp(primals, tangents):
    x, update, *starts = primals
    tx, tu = tangents[:2]
    out = core.bind(dynamic_update_slice_p, x, update, *starts)
    if type(tx) is Zero and type(tu) is Zero:
        return out, Zero(core.get_aval(out))
    return out, core.bind(dynamic_update_slice_p, ad.instantiate(tx), ad.instantiate(tu),
                          *starts)


def _dynamic_update_slice_transpose(ct, x, update, *starts):
    if type(ct) is Zero:
        return [None] * (2 + len(starts))
    u_aval = _aval(update)
    ct_x = ct_u = None
    if is_undef(x):   # the window was overwritten: no cotangent flows there
        ct_x = core.bind(dynamic_update_slice_p, ct, _zeros(u_aval), *starts)
    if is_undef(update):
        ct_u = core.bind(dynamic_slice_p, ct, *starts, slice_sizes=u_aval.shape)
    return [ct_x, ct_u] + [None] * len(starts)


def _dynamic_update_slice_batch(axis_size, vals, dims):
    (x, update, *starts), (xd, ud, *sdims) = vals, dims
    if all(d is None for d in sdims):
        bd = xd if xd is not None else 0
        x = batching.move_to(x, xd, bd, axis_size)
        update = batching.move_to(update, ud, bd, axis_size)
        dt = core.get_aval(starts[0]).dtype if starts else np.dtype(np.int32)
        starts.insert(bd, np.zeros((), dt))
        return core.bind(dynamic_update_slice_p, x, update, *starts), bd
    # Per-example windows: scatter every element of every example's window.
    x = batching.move_to(x, xd, 0, axis_size)
    update = batching.move_to(update, ud, 0, axis_size)
    shape = core.get_aval(x).shape[1:]
    sizes = core.get_aval(update).shape[1:]
    starts = _batched_starts(starts, sdims, shape, sizes, axis_size)
    cols = _window_indices(starts, sizes, axis_size)
    grid = (axis_size,) + tuple(sizes)
    cols.insert(0, structural.reshape(structural.broadcasted_iota(np.int32, grid, 0), grid + (1,)))
    indices = structural.concatenate(cols, len(sizes) + 1)
    return scatter(x, indices, update, tuple(range(len(shape) + 1))), 0


ad.jvp_rules[dynamic_update_slice_p] = _dynamic_update_slice_jvp
ad.transpose_rules[dynamic_update_slice_p] = _dynamic_update_slice_transpose
batching.batch_rules[dynamic_update_slice_p] = _dynamic_update_slice_batch


def dynamic_update_slice(operand, update, start_indices, *, allow_negative_indices=True):
    """``operand`` with ``update`` written at ``start_indices`` (moved back to fit)."""
    shape = core.get_aval(operand).shape
    starts = _start_indices("dynamic_update_slice", start_indices, shape,
                            allow_negative_indices)
    return core.bind(dynamic_update_slice_p, operand, update, *starts)


def dynamic_update_slice_in_dim(operand, update, start_index, axis):
    """``dynamic_update_slice`` along one ``axis``."""
    ndim = core.get_aval(operand).ndim
    axis = normalize_axis(axis, ndim)
    starts = [0] * ndim
    starts[axis] = start_index
    return dynamic_update_slice(operand, update, starts)


def dynamic_update_index_in_dim(operand, update, index, axis):
    """Write ``update`` (with or without the size-1 ``axis``) at ``index`` along ``axis``."""
    ndim = core.get_aval(operand).ndim
    axis = normalize_axis(axis, ndim)
    if core.get_aval(update).ndim == ndim - 1:
        update = structural.expand_dims(update, (axis,))
    return dynamic_update_slice_in_dim(operand, update, index, axis)


# -------------------------------------------------- gather / scatter shared

def _rest_dims(ndim, axes):
    return tuple(d for d in range(ndim) if d not in axes)


def _check_indices(name, operand, indices, axes):
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers, got {indices.dtype.name} "
                        f"(indices shape {indices.shape}){core.where_message()}")
    if indices.ndim < 1 or indices.shape[-1] != len(axes):
        raise TypeError(f"{name}: indices shape {indices.shape} must end in {len(axes)}, one "
                        f"column per axis in {axes} (operand shape {operand.shape})"
                        f"{core.where_message()}")
    for a in axes:
        if not 0 <= a < operand.ndim:
            raise ValueError(f"{name}: axis {a} is out of bounds for an operand of rank "
                             f"{operand.ndim}{core.where_message()}")
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: axes {axes} contain duplicates{core.where_message()}")
    batch = indices.shape[:-1]
    for a in axes:
        if operand.shape[a] == 0 and int(np.prod(batch)) > 0:
            raise ValueError(f"{name}: cannot index axis {a} of size 0 (operand shape "
                             f"{operand.shape}, rank {operand.ndim}){core.where_message()}")
    return batch + tuple(operand.shape[d] for d in _rest_dims(operand.ndim, axes))


def _moved(x, axes):
    """A view of ``x`` with ``axes`` first, in order: indexing it with the index
    columns gives batch + rest."""
    return np.transpose(x, tuple(axes) + _rest_dims(x.ndim, axes))


def _index_column(indices, j):
    shape = core.get_aval(indices).shape
    col = slice_in_dim(indices, j, j + 1, axis=len(shape) - 1)
    return structural.reshape(col, shape[:-1])


def _in_bounds(indices, shape, axes):
    """Boolean (batch shape): which index rows address a real element (None: all)."""
    if not isinstance(indices, core.Tracer):   # known indices: decide now
        idx = np.asarray(indices)
        ok = np.ones(idx.shape[:-1], bool)
        for j, a in enumerate(axes):
            ok &= (idx[..., j] >= 0) & (idx[..., j] < shape[a])
        return None if ok.all() else ok
    mask = None
    for j, a in enumerate(axes):
        c = _index_column(indices, j)
        ok = _ew.bitwise_and(_ew.ge(c, 0), _ew.lt(c, shape[a]))
        mask = ok if mask is None else _ew.bitwise_and(mask, ok)
    return mask


def _clamp_indices(indices, shape, axes):
    """Indices clipped into range, as gather reads them."""
    aval = core.get_aval(indices)
    if not axes:
        return indices
    if not isinstance(indices, core.Tracer):   # known indices: clip now
        upper = np.asarray([shape[a] - 1 for a in axes])
        return np.clip(np.asarray(indices), 0, upper).astype(aval.dtype)
    upper = np.asarray([shape[a] - 1 for a in axes], aval.dtype)
    upper = structural.broadcast_in_dim(upper, aval.shape, (aval.ndim - 1,))
    return _ew.min(_ew.max(indices, 0), upper)


def _where_rows(mask, x, batch_ndim):
    """``x`` (batch + rest) where the batch-shaped ``mask`` holds, zero elsewhere."""
    if mask is None:
        return x
    aval = core.get_aval(x)
    mask = structural.broadcast_in_dim(mask, aval.shape, tuple(range(batch_ndim)))
    return _ew.select_n(mask, _zeros(aval), x)


def _with_batch_column(indices, axes):
    """Indices batched at 0 with an iota column addressing the operand's batch
    dim 0: each example reads/writes its own slice of the operand."""
    aval = core.get_aval(indices)
    col = structural.broadcasted_iota(aval.dtype, aval.shape[:-1] + (1,), 0)
    return structural.concatenate([col, indices], aval.ndim - 1), (0,) + tuple(a + 1 for a in axes)


# -------------------------------------------------------------------- gather

def _gather_impl(operand, indices, axes):
    batch = indices.shape[:-1]
    moved = _moved(operand, axes)
    if not axes:
        return np.ascontiguousarray(np.broadcast_to(moved, batch + moved.shape))
    cols = tuple(np.clip(indices[..., j], 0, operand.shape[a] - 1) for j, a in enumerate(axes))
    return moved[cols]


def _gather_shape(operand, indices, axes):
    shape = _check_indices("gather", operand, indices, axes)
    return ShapedArray(shape, operand.dtype, operand.weak_type)


gather_p = standard_primitive("gather", _gather_impl, _gather_shape,
                              kind=core.INDEX_MAP, cost=core.COSTLY)


def _gather_jvp(primals, tangents, axes):
    x, indices = primals
    out = core.bind(gather_p, x, indices, axes=axes)
    if type(tangents[0]) is Zero:
        return out, Zero(core.get_aval(out))
    return out, core.bind(gather_p, tangents[0], indices, axes=axes)


def _gather_transpose(ct, x, indices, axes):
    if type(ct) is Zero or not is_undef(x):
        return [None, None]
    # gather clamps but scatter_add drops: clamp first so every read is credited.
    clamped = _clamp_indices(indices, x.aval.shape, axes)
    return [core.bind(scatter_add_p, _zeros(x.aval), clamped, ct, axes=axes), None]


def _gather_batch(axis_size, vals, dims, axes):
    (x, indices), (xd, idd) = vals, dims
    if idd is None:
        new_axes = _shift_dims(axes, xd)
        rest = _rest_dims(core.get_aval(x).ndim, new_axes)
        batch_ndim = core.get_aval(indices).ndim - 1
        return gather(x, indices, new_axes), batch_ndim + rest.index(xd)
    if xd is None:
        if idd == core.get_aval(indices).ndim - 1:   # keep the index column last
            indices, idd = batching.moveaxis(indices, idd, 0), 0
        return gather(x, indices, axes), idd
    x = batching.moveaxis(x, xd, 0)
    indices, new_axes = _with_batch_column(batching.moveaxis(indices, idd, 0), axes)
    return gather(x, indices, new_axes), 0


ad.jvp_rules[gather_p] = _gather_jvp
ad.transpose_rules[gather_p] = _gather_transpose
batching.batch_rules[gather_p] = _gather_batch


def _index_array(indices):
    if isinstance(indices, (core.Tracer, np.ndarray)):
        return indices
    return np.asarray(indices, np.int32)


def _normalize_axes(axes, ndim):
    return tuple(normalize_axis(a, ndim, "indexed axis") for a in axes)


def gather(operand, indices, axes):
    """``out[b..., rest...] = operand`` at ``axes[j] = clip(indices[b..., j])``, the
    other dimensions taken whole: result shape ``indices.shape[:-1] + rest``."""
    indices = _index_array(indices)
    axes = _normalize_axes(axes, core.get_aval(operand).ndim)
    return core.bind(gather_p, operand, indices, axes=axes)


# ------------------------------------------------------ scatter_add / scatter

def _scatter_targets(operand, indices, updates, axes):
    """A writable copy of operand, its axes-first view, and the in-range index
    columns with their update rows."""
    out = np.array(operand, copy=True)
    moved = _moved(out, axes)
    batch = indices.shape[:-1]
    ok = np.ones(batch, bool)
    cols = [indices[..., j] for j in range(len(axes))]
    for c, a in zip(cols, axes):
        ok &= (c >= 0) & (c < operand.shape[a])
    return out, moved, tuple(c[ok] for c in cols), updates[ok]


def _scatter_add_impl(operand, indices, updates, axes):
    if not axes:   # every update row adds to the whole operand
        batch_ndim = indices.ndim - 1
        return (operand + np.sum(updates, axis=tuple(range(batch_ndim)))).astype(operand.dtype)
    out, moved, cols, rows = _scatter_targets(operand, indices, updates, axes)
    np.add.at(moved, cols, rows)
    return out


def _scatter_impl(operand, indices, updates, axes):
    if not axes:   # every update row overwrites the whole operand: the last wins
        rows = updates.reshape((-1,) + operand.shape)
        return np.array(rows[-1] if len(rows) else operand, operand.dtype)
    out, moved, cols, rows = _scatter_targets(operand, indices, updates, axes)
    # Duplicates: keep the last row for each target, deterministically.
    flat = np.ravel_multi_index(cols, tuple(operand.shape[a] for a in axes))
    _, first_from_end = np.unique(flat[::-1], return_index=True)
    keep = np.sort(len(flat) - 1 - first_from_end)
    moved[tuple(c[keep] for c in cols)] = rows[keep]
    return out


def _scatter_shape_rule(name, kinds):
    def rule(operand, indices, updates, axes):
        expected = _check_indices(name, operand, indices, axes)
        if updates.dtype != operand.dtype:
            raise TypeError(f"{name}: updates dtype {updates.dtype.name} must match the "
                            f"operand dtype {operand.dtype.name}{core.where_message()}")
        if operand.dtype.kind not in kinds:
            raise TypeError(f"{name} does not support {operand.dtype.name} operands"
                            f"{core.where_message()}")
        if updates.shape != expected:
            raise TypeError(f"{name}: updates shape {updates.shape} must be {expected} "
                            f"(indices shape {indices.shape}, operand shape {operand.shape}, "
                            f"axes {axes}){core.where_message()}")
        return ShapedArray(operand.shape, operand.dtype, operand.weak_type)
    return rule


scatter_add_p = standard_primitive("scatter_add", _scatter_add_impl,
                                   _scatter_shape_rule("scatter_add", "iufc"),
                                   kind=core.KERNEL, cost=core.COSTLY)
scatter_p = standard_primitive("scatter", _scatter_impl, _scatter_shape_rule("scatter", "biufc"),
                               kind=core.KERNEL, cost=core.COSTLY)


def _scatter_jvp_rule(prim):
    # Both scatters are linear in (operand, updates) jointly; indices are fixed.
    def rule(primals, tangents, axes):
        x, indices, updates = primals
        tx, _, tu = tangents
        out = core.bind(prim, x, indices, updates, axes=axes)
        if type(tx) is Zero and type(tu) is Zero:
            return out, Zero(core.get_aval(out))
        return out, core.bind(prim, ad.instantiate(tx), indices, ad.instantiate(tu), axes=axes)
    return rule


def _scatter_add_transpose(ct, x, indices, updates, axes):
    if type(ct) is Zero:
        return [None, None, None]
    ct_u = None
    if is_undef(updates):   # dropped (out-of-range) updates get no cotangent
        shape = _aval(x).shape
        read = core.bind(gather_p, ct, indices, axes=axes)
        ct_u = _where_rows(_in_bounds(indices, shape, axes), read,
                           core.get_aval(indices).ndim - 1)
    return [ct if is_undef(x) else None, None, ct_u]


def _scatter_winners(indices, shape, axes):
    """Boolean (batch shape): which update rows scatter kept (None: all of them).
    Found by scattering each row's id with the same deterministic rule into an
    array of just the indexed dims, and reading back who owns each target."""
    batch = core.get_aval(indices).shape[:-1]
    target = tuple(shape[a] for a in axes)
    positions = tuple(range(len(axes)))
    if not isinstance(indices, core.Tracer):   # known indices: decide now
        ids = np.arange(int(np.prod(batch, dtype=np.int64)), dtype=np.int32).reshape(batch)
        owner = _scatter_impl(np.full(target, -1, np.int32), np.asarray(indices), ids,
                              positions)
        won = _gather_impl(owner, np.asarray(indices), positions) == ids
        return None if won.all() else won
    count = int(np.prod(batch, dtype=np.int64))
    ids = structural.reshape(structural.broadcasted_iota(np.int32, (count,), 0), batch)
    owner = core.bind(scatter_p, structural.full(target, -1, np.int32), indices, ids,
                      axes=positions)
    return _ew.eq(core.bind(gather_p, owner, indices, axes=positions), ids)


def _scatter_transpose(ct, x, indices, updates, axes):
    if type(ct) is Zero:
        return [None, None, None]
    u_aval = _aval(updates)
    ct_x = ct_u = None
    if is_undef(x):   # overwritten elements get no cotangent
        ct_x = core.bind(scatter_p, ct, indices, _zeros(u_aval), axes=axes)
    if is_undef(updates):   # only the rows scatter kept get a cotangent
        read = core.bind(gather_p, ct, indices, axes=axes)
        won = _scatter_winners(indices, _aval(x).shape, axes)
        ct_u = _where_rows(won, read, core.get_aval(indices).ndim - 1)
    return [ct_x, None, ct_u]


def _scatter_batch_rule(prim):
    def rule(axis_size, vals, dims, axes):
        (x, indices, updates), (xd, idd, ud) = vals, dims
        if idd is None:
            # Same targets for every example: the batch dim is one more
            # untouched operand dim, and the matching dim of the updates.
            bd = 0 if xd is None else xd
            x = batching.move_to(x, xd, bd, axis_size)
            new_axes = _shift_dims(axes, bd)
            rest = _rest_dims(core.get_aval(x).ndim, new_axes)
            upos = core.get_aval(indices).ndim - 1 + rest.index(bd)
            updates = batching.move_to(updates, ud, upos, axis_size)
            return core.bind(prim, x, indices, updates, axes=new_axes), bd
        x = batching.move_to(x, xd, 0, axis_size)
        updates = batching.move_to(updates, ud, 0, axis_size)
        indices, new_axes = _with_batch_column(batching.moveaxis(indices, idd, 0), axes)
        return core.bind(prim, x, indices, updates, axes=new_axes), 0
    return rule


ad.jvp_rules[scatter_add_p] = _scatter_jvp_rule(scatter_add_p)
ad.transpose_rules[scatter_add_p] = _scatter_add_transpose
batching.batch_rules[scatter_add_p] = _scatter_batch_rule(scatter_add_p)

ad.jvp_rules[scatter_p] = _scatter_jvp_rule(scatter_p)
ad.transpose_rules[scatter_p] = _scatter_transpose
batching.batch_rules[scatter_p] = _scatter_batch_rule(scatter_p)


def scatter_add(operand, indices, updates, axes):
    """``operand`` plus ``updates`` added at the rows ``indices`` select along ``axes``
    (gather's addressing); out-of-range rows are dropped, duplicates accumulate."""
    indices = _index_array(indices)
    axes = _normalize_axes(axes, core.get_aval(operand).ndim)
    operand, updates = promote_weak("scatter_add", operand, updates)
    return core.bind(scatter_add_p, operand, indices, updates, axes=axes)


def scatter(operand, indices, updates, axes):
    """``operand`` with ``updates`` written at the rows ``indices`` select along ``axes``;
    out-of-range rows are dropped; of duplicate rows the last is kept."""
    indices = _index_array(indices)
    axes = _normalize_axes(axes, core.get_aval(operand).ndim)
    operand, updates = promote_weak("scatter", operand, updates)
    return core.bind(scatter_p, operand, indices, updates, axes=axes)
