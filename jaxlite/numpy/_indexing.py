"""Indexing: ``x[idx]`` (ints, slices with any step, None, Ellipsis, integer
arrays, concrete boolean masks), ``x.at[idx].set/add/mul/...``, take,
take_along_axis, nonzero, diagonal, trace.

``x[idx]`` is done in two steps, as numpy defines it: basic indexing (slices and
static ints) with lax.rev/slice/reshape, then advanced indexing (integer
arrays, broadcast together) with one gather. ``x.at[idx]`` finds the flat
positions that ``x[idx]`` would read (by indexing an iota of x's shape) and
scatters the updates into the flattened ``x`` at those positions.
"""
import numpy as np

from jaxlite import core, dtypes, lax
# Modules, not names: the numpy modules import each other (used at call time).
from jaxlite.numpy import _eager, _elementwise, _reductions, _setops, _shape
from jaxlite import numpy_util as util


NonConcreteBooleanIndexError = core.NonConcreteBooleanIndexError    # an IndexError, as JAX's


def _is_index_array(e):
    return isinstance(e, (np.ndarray, core.Tracer))


def _concrete_mask(e):
    """A boolean mask as a numpy array, or NonConcreteBooleanIndexError."""
    if isinstance(e, core.Tracer):
        try:
            return np.asarray(e.concrete_value())
        except core.ConcretizationTypeError:
            raise NonConcreteBooleanIndexError(
                f"Array boolean indices must be concrete; got a traced boolean array "
                f"{e.aval}. The shape of x[mask] depends on the mask's values, which are "
                f"not known inside jit/vmap: use jnp.where(mask, x, fill) instead"
                f"{core.where_message()}") from None
    return np.asarray(e)


class _BoolScalar:
    """A boolean scalar index: like None it adds an axis of size 1, which it then
    indexes as an integer array, [0] for True and [] for False (numpy's
    semantics: x[True] has a new axis of size 1, x[False] one of size 0)."""
    __slots__ = ("array",)

    def __init__(self, value):
        self.array = np.zeros(1 if value else 0, np.int32)


def _dims_of(e):
    """How many dims of the indexed array the entry consumes."""
    if e is None or e is Ellipsis or isinstance(e, _BoolScalar):
        return 0
    return e[1].ndim if isinstance(e, tuple) else 1


def _normalize_entries(idx):
    """The index as a list of None / Ellipsis / slice / int / integer array entries,
    boolean masks replaced by their (concrete) nonzero index arrays."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    entries = []
    for e in idx:
        if e is None or e is Ellipsis or isinstance(e, slice):
            entries.append(e)
        elif isinstance(e, (bool, np.bool_)):
            entries.append(_BoolScalar(e))
        elif isinstance(e, (int, np.integer)):
            entries.append(int(e))
        elif isinstance(e, (list, tuple)) or _is_index_array(e):
            if not _is_index_array(e):
                e = util.asarray(e) if e else np.zeros((0,), np.int32)
            dt = util.aval(e).dtype
            if dt == dtypes.bool_:
                mask = _concrete_mask(e)
                entries.append(_BoolScalar(mask.item()) if mask.ndim == 0 else ("mask", mask))
            elif dt.kind in "iu":
                entries.append(e)
            else:
                raise IndexError(f"arrays used as indices must be of integer (or boolean) "
                                 f"type, got {dt.name}")
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None "
                             f"(`numpy.newaxis`) and integer or boolean arrays are valid "
                             f"indices, got {e!r}")
    return entries


def _expand(entries, ndim):
    """Entries with Ellipsis expanded and masks split, one per consumed dim (plus None)."""
    consumed = sum(_dims_of(e) for e in entries)
    if sum(e is Ellipsis for e in entries) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                         f"{consumed} were indexed")
    out = []
    for e in entries:
        if e is Ellipsis:
            out.extend([slice(None)] * (ndim - consumed))
        elif isinstance(e, tuple):
            out.extend(n.astype(np.int32) for n in e[1].nonzero())
        else:
            out.append(e)
    if not any(e is Ellipsis for e in entries):
        out.extend([slice(None)] * (ndim - consumed))
    return out


def _check_masks(entries, shape):
    dim = 0
    for k, e in enumerate(entries):
        if e is Ellipsis:
            dim = len(shape) - sum(_dims_of(x) for x in entries[k + 1:])
        elif isinstance(e, tuple):
            m = e[1].shape
            if shape[dim:dim + len(m)] != m:
                raise IndexError(f"boolean index of shape {m} does not match the indexed "
                                 f"array of shape {shape} at dimension {dim}")
            dim += len(m)
        else:
            dim += _dims_of(e)


def _static_int(i, n, dim):
    """A static index, clamped into the axis as JAX's gathers clamp (an axis of
    size 0 has nothing to clamp to)."""
    if n == 0:
        raise IndexError(f"index {i} is out of bounds for axis {dim} with size 0")
    return min(max(i + n if i < 0 else i, 0), n - 1)


def _slice_bounds(s, n):
    """(start, limit, stride, reversed) for lax.slice on a dim of size n, after an
    optional lax.rev for negative steps."""
    start, stop, step = (util.operator_index(v, "slice bound") if v is not None else None
                         for v in (s.start, s.stop, s.step))
    if step == 0:
        raise ValueError("slice step cannot be zero")
    r = range(*slice(start, stop, step).indices(n))
    if len(r) == 0:
        return 0, 0, 1, False
    if r.step > 0:
        return r[0], r[-1] + 1, r.step, False
    # Reversed array: element i sits at n - 1 - i.
    return n - 1 - r[0], n - 1 - r[-1] + 1, -r.step, True


def _basic(x, entries):
    """Apply slices (and static ints when there are no index arrays)."""
    shape = util.shape(x)
    has_adv = any(_is_index_array(e) for e in entries)
    starts, limits, strides, rev, drop = [], [], [], [], []
    out_entries = []
    for d, (e, n) in enumerate(zip(entries, shape)):
        if isinstance(e, slice):
            lo, hi, st, r = _slice_bounds(e, n)
            out_entries.append(None)
        elif isinstance(e, int) and not has_adv:
            lo, hi, st, r = _static_int(e, n, d), _static_int(e, n, d) + 1, 1, False
            drop.append(d)
        else:
            if isinstance(e, int):
                e = np.asarray(_static_int(e, n, d), np.int32)
            lo, hi, st, r = 0, n, 1, False
            out_entries.append(e)
        starts.append(lo)
        limits.append(hi)
        strides.append(st)
        if r:
            rev.append(d)
    if rev:
        x = lax.rev(x, tuple(rev))
    if starts != [0] * len(shape) or limits != list(shape) or strides != [1] * len(shape):
        x = lax.slice(x, tuple(starts), tuple(limits),
                      None if strides == [1] * len(shape) else tuple(strides))
    if drop:
        x = lax.reshape(x, tuple(d for i, d in enumerate(util.shape(x)) if i not in drop))
    return x, out_entries


def _normalize_index(i, n):
    """Negative indices count from the end (gather itself clamps)."""
    if not isinstance(i, core.Tracer):
        i = np.asarray(i)
        return np.where(i < 0, i + n, i)
    zero = np.zeros((), util.aval(i).dtype)
    return lax.select_n(lax.lt(i, zero), i, lax.add(i, np.asarray(n, util.aval(i).dtype)))


def index_vectors(arrays, sizes):
    """Integer index arrays (normalized, broadcast together) stacked on a last
    axis: the ``indices`` operand of gather/scatter."""
    idx_dt = dtypes.int64 if any(util.aval(a).dtype == dtypes.int64 for a in arrays) \
        else dtypes.int32
    arrays = [util.convert(_normalize_index(a, n), idx_dt) for a, n in zip(arrays, sizes)]
    bshape = util.broadcast_shapes(*[util.shape(a) for a in arrays], what="indexing")
    if not any(isinstance(a, core.Tracer) for a in arrays):
        return core.wrap(np.stack([np.broadcast_to(a, bshape) for a in arrays], axis=-1))
    cols = [lax.reshape(util.broadcast_to_shape(util.strong(a), bshape), bshape + (1,))
            for a in arrays]
    return cols[0] if len(cols) == 1 else lax.concatenate(cols, len(bshape))


def _check_static_slices(idx):
    """JAX's IndexError for a slice with a traced bound (under jit its size
    would depend on values: lax.dynamic_slice is the way)."""
    for pos, e in enumerate(idx if isinstance(idx, tuple) else (idx,)):
        if isinstance(e, slice):
            for bound in (e.start, e.stop, e.step):
                if isinstance(bound, core.Tracer) and not util.is_concrete(bound):
                    raise IndexError(f"Slice entries must be static integers. Got {e} at "
                                     f"position {pos}{core.where_message()}")


def getitem(x, idx, fill_out_of_bounds=None):
    """``x[idx]`` with numpy's semantics, except that out-of-bounds integer
    array indices clamp (as JAX) or, with ``fill_out_of_bounds``, read that value."""
    _check_static_slices(idx)
    x = util.strong(util.as_operand(x))
    raw = _normalize_entries(idx)
    _check_masks(raw, util.shape(x))
    entries = _expand(raw, util.ndim(x))
    if any(e is None or isinstance(e, _BoolScalar) for e in entries):
        it = iter(util.shape(x))
        x = lax.reshape(x, tuple(next(it) if _dims_of(e) else 1 for e in entries))
        entries = [slice(None) if e is None else e.array if isinstance(e, _BoolScalar) else e
                   for e in entries]
    x, entries = _basic(x, entries)
    adv = [d for d, e in enumerate(entries) if e is not None]
    if not adv:
        return x
    shape = util.shape(x)
    indices = index_vectors([entries[d] for d in adv], [shape[d] for d in adv])
    out = lax.gather(x, indices, tuple(adv))
    nb = util.ndim(indices) - 1
    if fill_out_of_bounds is not None:
        out = _fill_invalid(out, indices, [shape[d] for d in adv], fill_out_of_bounds)
    contiguous = adv == list(range(adv[0], adv[0] + len(adv)))
    if contiguous and adv[0] > 0 and nb:
        # numpy puts the index dims where the (adjacent) index arrays were.
        rest = list(range(nb, util.ndim(out)))
        perm = rest[:adv[0]] + list(range(nb)) + rest[adv[0]:]
        out = lax.transpose(out, tuple(perm))
    return out


def _fill_invalid(out, indices, sizes, fill):
    """``out`` (a gather result) with ``fill`` where any index was out of bounds."""
    dt = util.aval(indices).dtype
    ok = lax.bitwise_and(lax.ge(indices, np.zeros((), dt)),
                         lax.lt(indices, util.broadcast_to_shape(np.asarray(sizes, dt),
                                                                  util.shape(indices))))
    nb = util.ndim(indices) - 1
    ok = lax.reduce_min(ok, (nb,))
    oshape = util.shape(out)
    ok = lax.broadcast_in_dim(ok, oshape, tuple(range(nb)))
    return lax.select_n(ok, lax.full(oshape, np.asarray(fill, util.aval(out).dtype)), out)


# ------------------------------------------------------------- functions

_TAKE_MODES = (None, "fill", "clip", "wrap", "promise_in_bounds")


def take(a, indices, axis=None, mode=None, fill_value=None):
    """Elements of ``a`` at ``indices`` along ``axis`` (flattened if None).
    Out of range (after negative indices count from the end), as JAX: mode
    None or "fill" reads ``fill_value`` (default NaN, the lowest signed int, the
    highest unsigned int, True), "clip" clamps, "wrap" takes them modulo the size."""
    if mode not in _TAKE_MODES:
        raise ValueError(f"take: invalid mode {mode!r}; expected one of {_TAKE_MODES}")
    a = util.strong(util.as_operand(a))
    if axis is None:
        a = lax.reshape(a, (util.aval(a).size,))
        axis = 0
    axis = util.canonical_axis(axis, util.ndim(a))
    indices = util.as_operand(indices)
    if util.aval(indices).dtype.kind not in "iu":
        raise TypeError(f"take: indices must be integers, got {util.aval(indices).dtype.name}")
    shape = util.shape(a)
    if mode == "wrap":
        indices = _elementwise.remainder(indices, shape[axis])
    idx = index_vectors([indices], [shape[axis]])
    out = lax.gather(a, idx, (axis,))
    if mode in (None, "fill") and shape[axis] and util.aval(a).size:
        fill = _default_fill(util.aval(a).dtype) if fill_value is None else fill_value
        out = _fill_invalid(out, idx, [shape[axis]], fill)
    nb = util.ndim(idx) - 1
    rest = list(range(nb, util.ndim(out)))
    return lax.transpose(out, tuple(rest[:axis] + list(range(nb)) + rest[axis:]))


def take_along_axis(arr, indices, axis, mode=None, fill_value=None):
    """``arr`` indexed along ``axis`` by ``indices`` (same rank; other dims
    broadcast). Out-of-range indices follow ``mode`` as in ``take``, except
    that there is no "wrap" (JAX's default fills, with NaN for floats)."""
    if mode not in _TAKE_MODES or mode == "wrap":       # JAX's gather has no "wrap"
        raise ValueError(f'Unknown gather mode "{mode}"')
    arr = util.strong(util.as_operand(arr))
    indices = util.as_operand(indices)
    shape = util.shape(arr)
    nd = len(shape)
    if axis is None:
        return take_along_axis(lax.reshape(arr, (util.aval(arr).size,)), indices, 0,
                               mode, fill_value)
    axis = util.canonical_axis(axis, nd)
    ishape = util.shape(indices)
    if len(ishape) != nd:
        raise ValueError(f"take_along_axis: indices of rank {len(ishape)} must have the rank "
                         f"{nd} of the array")
    bshape = list(util.broadcast_shapes(
        tuple(1 if d == axis else s for d, s in enumerate(shape)),
        tuple(1 if d == axis else s for d, s in enumerate(ishape)), what="take_along_axis"))
    bshape[axis] = ishape[axis]
    bshape = tuple(bshape)
    cols, sizes = [], []
    for d in range(nd):
        if d == axis:
            cols.append(util.broadcast_to_shape(util.strong(indices), bshape))
        else:
            grid = np.arange(bshape[d]).reshape([-1 if k == d else 1 for k in range(nd)])
            # A size-1 array dim broadcasts: always read its element 0.
            cols.append(np.broadcast_to(grid if shape[d] != 1 else 0 * grid, bshape))
        sizes.append(shape[d])
    idx = index_vectors(cols, sizes)
    out = lax.gather(arr, idx, tuple(range(nd)))
    if mode in (None, "fill") and shape[axis] and util.aval(arr).size:
        fill = _default_fill(util.aval(arr).dtype) if fill_value is None else fill_value
        out = _fill_invalid(out, idx, sizes, fill)
    return out


def nonzero(a, *, size=None, fill_value=None):
    """Indices of the non-zero elements (needs a concrete ``a`` or a static
    ``size``: the result's shape depends on its values)."""
    if size is not None:
        return _setops.nonzero_sized(a, size, fill_value)
    if isinstance(a, core.Tracer):
        try:
            a = a.concrete_value()
        except core.ConcretizationTypeError:
            raise core.ConcretizationTypeError(
                f"jnp.nonzero (and one-argument jnp.where) needs a concrete array: the "
                f"result's shape depends on its values; got {a.aval}{core.where_message()}"
            ) from None
    res = np.nonzero(np.atleast_1d(np.asarray(a)))
    if size is not None:
        fill = 0 if fill_value is None else fill_value
        res = tuple(np.concatenate([r[:size], np.full(max(size - len(r), 0), fill, r.dtype)])
                    for r in res)
    return tuple(core.wrap(r.astype(dtypes.default_int())) for r in res)


def flatnonzero(a, *, size=None, fill_value=None):
    return nonzero(_shape.ravel(a), size=size, fill_value=fill_value)[0]


def argwhere(a, *, size=None, fill_value=None):
    if size is not None:
        return _shape.stack(nonzero(_shape.atleast_1d(a), size=size, fill_value=fill_value),
                            axis=-1)
    res = nonzero(a, size=size, fill_value=fill_value)
    return core.wrap(np.stack([np.asarray(r) for r in res], axis=-1).astype(dtypes.default_int()))


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal of the 2-d planes (axis1, axis2), as a new last axis."""
    a = util.strong(util.as_operand(a))
    nd = util.ndim(a)
    ax1, ax2 = util.canonical_axis(axis1, nd), util.canonical_axis(axis2, nd)
    if ax1 == ax2:
        raise ValueError(f"diagonal: axis1 and axis2 cannot be the same (axis {ax1})")
    n1, n2 = util.shape(a)[ax1], util.shape(a)[ax2]
    rows = np.arange(max(0, -offset), n1)
    cols = rows + offset
    keep = cols < n2
    rows, cols = rows[keep], cols[keep]
    out = lax.gather(a, core.wrap(np.stack([rows, cols], -1).astype(np.int32)), (ax1, ax2))
    return lax.transpose(out, tuple(range(1, util.ndim(out))) + (0,))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None):
    return _reductions.sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


# ------------------------------------------------------------------ x.at

def _flat_positions(shape, idx):
    """The flat positions ``x[idx]`` reads, as an integer array of x[idx]'s shape."""
    _check_static_slices(idx)
    size = int(np.prod(shape, dtype=np.int64))
    dt = np.dtype(np.int32 if size < 2 ** 31 else np.int64)
    leaves = idx if isinstance(idx, tuple) else (idx,)
    if not any(isinstance(e, core.Tracer) for e in leaves):
        # Static index: numpy itself computes the positions (a constant).
        _check_masks(_normalize_entries(idx), shape)
        index = tuple(np.asarray(e) if isinstance(e, list) else e for e in leaves)
        try:
            return core.wrap(_static_positions(shape, index, dt))
        except IndexError:
            if _malformed(leaves, shape):
                raise
            iota = np.arange(size, dtype=dt).reshape(shape)
            # An index out of bounds: its updates are dropped (as JAX). Static ints
            # become index arrays, which fill rather than clamp.
            return getitem(core.wrap(iota), _ints_as_arrays(leaves), fill_out_of_bounds=size)
    # Traced index: gather from an iota (an equation under jit, not a constant).
    # Out-of-bounds index arrays give position ``size``, which scatter drops.
    return getitem(lax.reshape(lax.iota(dt, size), shape), idx, fill_out_of_bounds=size)


def _static_positions(shape, index, dt):
    """``arange(size).reshape(shape)[index]`` without the full-size iota: one
    broadcast (zero-copy) view per axis, so x.at[i, j] of a huge x costs O(1)."""
    if not shape:
        return np.zeros((), dt)[index]
    strides = np.cumprod((1,) + shape[:0:-1], dtype=np.int64)[::-1]
    total = None
    for axis, (n, stride) in enumerate(zip(shape, strides)):
        along = (np.arange(n, dtype=dt) * dt.type(stride)).reshape(
            (n,) + (1,) * (len(shape) - axis - 1))
        part = np.broadcast_to(along, shape)[index]
        total = part if total is None else total + part
    return np.asarray(total, dt)


def _malformed(leaves, shape):
    """An index numpy refuses for another reason than bounds (too many indices...)."""
    try:
        _expand(_normalize_entries(leaves), len(shape))
    except IndexError:
        return True
    return False


def _ints_as_arrays(leaves):
    return tuple(np.asarray(e) if isinstance(e, (int, np.integer))
                 and not isinstance(e, (bool, np.bool_)) else e for e in leaves)


def _scatter(x, idx, values, how):
    x = util.strong(util.as_operand(x))
    av = util.aval(x)
    pos = _flat_positions(av.shape, idx)
    values = util.convert(util.as_operand(values), av.dtype)
    pshape = util.shape(pos)
    try:
        values = util.broadcast_to_shape(util.strong(values), pshape)
    except ValueError:
        raise ValueError(f"x.at[idx].{how}(values): values of shape {util.shape(values)} "
                        f"cannot be broadcast to the indexed shape {pshape}"
                        f"{core.where_message()}") from None
    flat = lax.reshape(x, (av.size,))
    n = int(np.prod(pshape, dtype=np.int64))
    # A static index stays a numpy constant, so duplicates can be found at trace time.
    pos = (lax.reshape(pos, (n, 1)) if isinstance(pos, core.Tracer)
           else core.wrap(pos.view(np.ndarray).reshape(n, 1)))
    values = lax.reshape(values, (n,))
    if how == "add":
        out = lax.scatter_add(flat, pos, values, (0,))
    elif how == "set":
        out = lax.scatter(flat, pos, values, (0,))
    elif how in ("divide", "power"):
        # As JAX: the updates to one element are multiplied together first, then
        # x is divided by (raised to) that product; other elements see a 1.
        ones = lax.full((av.size,), np.ones((), av.dtype), av.dtype)
        out = _BINARY[how](flat, _scatter_combine(ones, pos, values, "multiply",
                                                  _may_repeat(idx)))
    else:
        out = _scatter_combine(flat, pos, values, how, _may_repeat(idx))
    return lax.reshape(out, av.shape)


def _may_repeat(idx):
    """Whether ``x[idx]`` can read one element twice: only an integer index array
    with more than one entry can (ints, slices and boolean masks never do)."""
    for e in (idx if isinstance(idx, tuple) else (idx,)):
        if isinstance(e, list):
            e = np.asarray(e)
        if _is_index_array(e) and util.aval(e).dtype.kind in "iu" and util.aval(e).size > 1:
            return True
    return False


def _scatter_combine(flat, pos, values, how, may_repeat=True):
    """``flat[pos] = combine(flat[pos], values)`` where every update to a repeated
    position is applied (x.at[[0, 0]].mul(v) multiplies x[0] by both v's, as in
    JAX). ``pos`` is (n, 1), ``values`` (n,); out-of-range positions are dropped."""
    size = util.shape(flat)[0]
    rounds = _unique_rounds(pos, values, how, size) if may_repeat else [(pos, values)]
    for round_pos, round_vals in rounds:
        current = lax.gather(flat, round_pos, (0,))
        flat = lax.scatter(flat, round_pos, _BINARY[how](current, round_vals), (0,))
    return flat


def _unique_rounds(pos, values, how, size):
    """(positions, values) pairs, each free of repeated in-range positions, that
    together apply every update. Static positions: one round per occurrence
    rank (the k-th update to each element goes in round k). Traced positions:
    a single round, after folding each group of equal positions into its first
    member (an n x n comparison, since the groups are unknown until run time)."""
    if not isinstance(pos, core.Tracer):
        p = pos.view(np.ndarray)[:, 0]
        rank = _occurrence_rank(p)
        if not rank.any():
            return [(pos, values)]
        return [(core.wrap(np.where(rank == r, p, size)[:, None].astype(p.dtype)), values)
                for r in range(int(rank.max()) + 1)]
    n = util.shape(pos)[0]
    col = lax.broadcast_in_dim(lax.reshape(pos, (n,)), (n, n), (0,))
    same = lax.eq(col, lax.transpose(col, (1, 0)))           # same[k, j]: pos k == pos j
    earlier = core.wrap(np.tri(n, n, -1, dtype=bool))         # j < k
    # not the group's first
    repeat = _reductions.any(_elementwise.logical_and(same, earlier), axis=1)
    grid = lax.broadcast_in_dim(values, (n, n), (1,))
    identity = np.asarray(_IDENTITY[how](util.aval(values).dtype), util.aval(values).dtype)
    folded = _FOLD[how](_elementwise.where(same, grid, identity), axis=1)
    first_pos = _elementwise.where(lax.reshape(repeat, (n, 1)),
                                   np.asarray(size, util.aval(pos).dtype), pos)
    return [(first_pos, folded)]


def _occurrence_rank(p):
    """For each entry of the 1-d int array ``p``, how many earlier entries equal it."""
    order = np.argsort(p, kind="stable")
    sp = p[order]
    starts = np.r_[True, sp[1:] != sp[:-1]] if len(p) else np.zeros(0, bool)
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(p)), 0))
    rank = np.empty(len(p), np.int64)
    rank[order] = np.arange(len(p)) - group_start
    return rank


def _power(a, b):
    return _elementwise.power(a, b)


def _extreme(dtype, sign):
    if np.dtype(dtype).kind == "f":
        return sign * np.inf
    if np.dtype(dtype).kind == "b":
        return sign > 0
    info = np.iinfo(dtype)
    return info.max if sign > 0 else info.min


_BINARY = {"multiply": lax.mul, "divide": lax.div, "min": lax.min, "max": lax.max,
           "power": _power}
_IDENTITY = {"multiply": lambda dt: 1, "min": lambda dt: _extreme(dt, 1),
             "max": lambda dt: _extreme(dt, -1)}


def _fold(name):
    def f(x, axis):
        return getattr(_reductions, name)(x, axis=axis)
    return f


_FOLD = {"multiply": _fold("prod"), "min": _fold("min"), "max": _fold("max")}


class _IndexUpdateRef:
    """``x.at[idx]``: functional updates of the elements ``x[idx]``.

    Every update to a repeated index is applied (``add`` sums them, ``multiply``
    multiplies by all of them, ``min``/``max`` take the extreme, ``divide`` and
    ``power`` use their product); for ``set`` one of them wins (as in JAX, which
    does not define the order).
    Updates at out-of-bounds index-array entries are dropped (as JAX);
    ``get`` clamps them (as JAX, static ints too)."""
    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array, self.index = array, index

    def get(self, *, mode=None, fill_value=None, indices_are_sorted=False,
            unique_indices=False):
        """``x[idx]``; out-of-bounds entries clamp (mode None/'clip'/
        'promise_in_bounds') or read ``fill_value`` (mode 'fill' or 'drop';
        default NaN, the lowest signed int, the highest unsigned int, True)."""
        if mode in (None, "clip", "promise_in_bounds"):
            return getitem(self.array, self.index)
        if mode not in ("fill", "drop"):
            raise ValueError(f'Unknown gather mode "{mode}"')
        x = util.as_operand(self.array)
        if fill_value is None:
            fill_value = _default_fill(util.aval(x).dtype)
        idx = self.index if isinstance(self.index, tuple) else (self.index,)
        # Static ints become index arrays, so that out of bounds they fill, not clamp.
        return getitem(x, _ints_as_arrays(idx), fill_out_of_bounds=fill_value)

    def set(self, values, **_):
        fast = _eager.index_set(self.array, self.index, values)
        if fast is not None:
            return fast
        return _scatter(self.array, self.index, values, "set")

    def add(self, values, **_):
        return _scatter(self.array, self.index, values, "add")

    def subtract(self, values, **_):
        return self.add(_elementwise.negative(values))

    def multiply(self, values, **_):
        return _scatter(self.array, self.index, values, "multiply")

    mul = multiply

    def divide(self, values, **_):
        return _scatter(self.array, self.index, values, "divide")

    def power(self, values, **_):
        return _scatter(self.array, self.index, values, "power")

    def min(self, values, **_):
        return _scatter(self.array, self.index, values, "min")

    def max(self, values, **_):
        return _scatter(self.array, self.index, values, "max")

    def apply(self, func, **_):
        return self.set(func(self.get()))


def _default_fill(dt):
    if dt.kind == "b":
        return True
    if dt.kind in "iu":
        return np.iinfo(dt).min if dt.kind == "i" else np.iinfo(dt).max
    return np.nan


class IndexUpdateHelper:
    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"_IndexUpdateHelper({self.array!r})"
