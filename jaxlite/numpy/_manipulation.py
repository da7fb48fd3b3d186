"""Array manipulation beyond _shape: insert / delete / resize / trim_zeros,
compress / extract / choose, the functional forms of numpy's in-place writers
(put, place, put_along_axis, fill_diagonal), index helpers (ix_, diag_indices,
mask_indices, ravel_multi_index, unravel_index) and small stacking forms
(block, dstack, dsplit, rollaxis, diagflat).

Where numpy's rule for *which* elements go where is intricate (insert, delete,
resize) the rule is applied by numpy to an array of element ids (static
shapes, so the index arguments must be concrete) and the values are then
gathered from the operands, so the data stays traceable and differentiable.
"""
import builtins

import numpy as np

from jaxlite import core, dtypes
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util
from jaxlite.numpy import _setops

__all__ = ["insert", "delete", "resize", "trim_zeros", "compress", "extract", "choose",
           "put", "place", "put_along_axis", "fill_diagonal", "ix_", "diag_indices",
           "diag_indices_from", "mask_indices", "ravel_multi_index", "unravel_index", "block",
           "dstack", "dsplit", "rollaxis", "diagflat", "array_equiv", "ediff1d", "copy"]


def _int():
    return dtypes.default_for_kind(1)


def _concrete(x, name, what):
    if isinstance(x, slice) or x is None:
        return x
    if isinstance(x, core.Tracer):
        try:
            return np.asarray(x.concrete_value())
        except core.ConcretizationTypeError:
            raise core.ConcretizationTypeError(
                f"jnp.{name}: {what} must be concrete (it decides the result's shape)"
                f"{core.where_message()}") from None
    return np.asarray(x) if isinstance(x, (list, tuple, np.ndarray)) else x


def _gather_ids(sources, ids):
    """Elements picked by ``ids`` (numpy ints): id ``i >= 0`` reads ``sources[0]``'s
    flat element ``i``, id ``-j-1`` reads ``sources[1]``'s flat element ``j``."""
    first = jnp.ravel(sources[0])
    out = jnp.take(first, np.clip(ids, 0, None)) if util.shape(first)[0] else \
        jnp.zeros(ids.shape, util.aval(first).dtype)
    if len(sources) > 1 and (ids < 0).any():
        second = jnp.ravel(sources[1]).astype(util.aval(first).dtype)
        out = jnp.where(ids < 0, jnp.take(second, np.clip(-ids - 1, 0, None)), out)
    return out


def _ids(shape, negative=False):
    n = int(np.prod(shape, dtype=np.int64))
    return (-np.arange(n) - 1 if negative else np.arange(n)).reshape(shape)


def insert(arr, obj, values, axis=None):
    """``arr`` with ``values`` inserted before the index/indices ``obj`` along
    ``axis`` (flattened when None); numpy's rules for ``obj`` and ``values``."""
    arr = util.as_operand(arr)
    if axis is None:
        arr, axis = jnp.ravel(arr), 0
    values = util.as_operand(values)
    obj = _concrete(obj, "insert", "obj")
    ids = np.insert(_ids(util.shape(arr)), obj, _ids(util.shape(values), True), axis=axis)
    return _gather_ids([arr, values], ids)


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    """``arr`` without the entries ``obj`` (index, indices, slice or boolean mask)
    along ``axis`` (flattened when None)."""
    arr = util.as_operand(arr)
    if axis is None:
        arr, axis = jnp.ravel(arr), 0
    obj = _concrete(obj, "delete", "obj")
    return _gather_ids([arr], np.delete(_ids(util.shape(arr)), obj, axis=axis))


def resize(a, new_shape):
    """``a``'s elements repeated cyclically to fill ``new_shape``."""
    a = util.as_operand(a)
    if isinstance(new_shape, (int, np.integer)):
        new_shape = (int(new_shape),)
    if builtins.any(d < 0 for d in new_shape):
        raise ValueError(f"resize: all elements of new_shape must be non-negative, "
                         f"got {tuple(new_shape)}")
    return _gather_ids([a], np.resize(_ids(util.shape(a)), tuple(new_shape)))


def trim_zeros(filt, trim="fb", axis=None):
    """``filt`` without its leading ('f') and/or trailing ('b') zeros (concrete)."""
    filt = util.as_operand(filt)
    v = _concrete(filt, "trim_zeros", "filt")
    trim = trim.lower()
    nz = np.flatnonzero(v)
    if nz.size == 0:
        return filt[:0]
    start = nz[0] if "f" in trim else 0
    stop = nz[-1] + 1 if "b" in trim else v.shape[0]
    return filt[start:stop]


def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
    """The slices of ``a`` along ``axis`` (flattened when None) where the 1-d
    ``condition`` holds; ``size=`` makes it traceable (padded with fill_value)."""
    condition = jnp.ravel(util.as_operand(condition)).astype(bool)
    a = util.as_operand(a)
    if axis is None:
        a, axis = jnp.ravel(a), 0
    axis = util.canonical_axis(axis, util.ndim(a))
    n = util.shape(a)[axis]
    m = util.shape(condition)[0]
    # As JAX: the condition and the axis are cut to the shorter of the two.
    condition = condition[:n]
    a = jnp.moveaxis(a, axis, 0)[:m]
    if size is None:
        keep = _concrete(condition, "compress", "condition (without size=)")
        out = a[np.flatnonzero(keep)]
    else:
        if not 0 < size <= util.shape(a)[0]:
            raise ValueError(f"compress: size must be positive and not greater than the "
                             f"size of the array axis; got size={size} for "
                             f"a.shape[axis]={util.shape(a)[0]}")
        pos = _setops.compact(condition, size)
        valid = jnp.arange(size) < jnp.sum(condition)
        valid = jnp.reshape(valid, (size,) + (1,) * (util.ndim(a) - 1))
        out = jnp.where(valid, jnp.take(a, pos, axis=0), fill_value)
    return jnp.moveaxis(out, 0, axis)


def extract(condition, arr, *, size=None, fill_value=0):
    """The elements of ``arr`` where ``condition`` holds (both flattened)."""
    return compress(jnp.ravel(condition), jnp.ravel(arr), size=size, fill_value=fill_value)


def choose(a, choices, out=None, mode="raise"):
    """``choices[a[i]][i]`` elementwise (all broadcast); mode 'raise' checks the
    indices (concrete ``a`` only), 'wrap' takes them modulo, 'clip' clamps."""
    a = util.as_operand(a)
    choices = [util.as_operand(c) for c in choices] if not util.is_array(choices) else \
        [choices[i] for i in range(util.shape(choices)[0])]
    n = len(choices)
    if mode == "raise":
        if isinstance(a, core.Tracer):
            raise NotImplementedError("jnp.choose: mode='raise' needs a concrete index "
                                      "array; use mode='clip' or 'wrap' under jit")
        if np.any((np.asarray(a) < 0) | (np.asarray(a) >= n)):
            raise ValueError("invalid entry in choice array")
    elif mode == "wrap":
        a = a % n
    elif mode == "clip":
        a = jnp.clip(a, 0, n - 1)
    else:
        raise ValueError(f"jnp.choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    stacked = jnp.stack(jnp.broadcast_arrays(*choices))
    shape = util.broadcast_shapes(util.shape(a), util.shape(stacked)[1:], what="choose")
    stacked = jnp.broadcast_to(stacked, (n,) + shape)
    idx = jnp.broadcast_to(a, shape)[None]
    return jnp.take_along_axis(stacked, idx.astype(_int()), axis=0, mode="clip")[0]


def _no_inplace(name, inplace):
    if inplace:
        raise ValueError(f"jax.numpy.{name} cannot modify arrays in-place, because JAX "
                         f"arrays are immutable. Pass inplace=False to instead return an "
                         f"updated array.")


def put(a, ind, v, mode=None, *, inplace=True):
    """``a`` (flattened view) with ``v`` written at the flat indices ``ind``;
    ``v`` is cycled or cut to ``ind``'s size (numpy's rule). Out-of-range indices
    are clamped (mode None or 'clip', as JAX), dropped ('fill', 'drop') or
    wrapped ('wrap')."""
    _no_inplace("put", inplace)
    a = util.as_operand(a)
    ind = jnp.ravel(util.as_operand(ind)).astype(_int())
    size = util.aval(a).size
    if mode in (None, "clip"):
        ind = jnp.clip(ind, 0, size - 1)
    elif mode == "wrap":
        ind = ind % size
    elif mode not in ("fill", "drop"):
        raise ValueError(f"jnp.put: unknown mode {mode!r}")
    vals = jnp.resize(jnp.ravel(util.as_operand(v)), (util.shape(ind)[0],))
    flat = jnp.ravel(a).at[ind].set(vals.astype(util.aval(a).dtype))
    return jnp.reshape(flat, util.shape(a))


def place(arr, mask, vals, *, inplace=True):
    """``arr`` with the positions where ``mask`` holds filled, in order, by
    ``vals`` (cycled)."""
    _no_inplace("place", inplace)
    arr = util.as_operand(arr)
    mask = jnp.broadcast_to(util.as_operand(mask), util.shape(arr)).astype(bool)
    vals = jnp.ravel(util.as_operand(vals)).astype(util.aval(arr).dtype)
    k = util.shape(vals)[0]
    if k == 0:
        return arr
    pos = (jnp.cumsum(jnp.ravel(mask), dtype=_int()) - 1) % k
    return jnp.where(mask, jnp.reshape(jnp.take(vals, pos), util.shape(arr)), arr)


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    """``arr`` with ``values`` written where take_along_axis(arr, indices, axis)
    would read."""
    _no_inplace("put_along_axis", inplace)
    arr = util.as_operand(arr)
    indices = util.as_operand(indices)
    if axis is None:
        return put(arr, indices, values, inplace=False)
    nd = util.ndim(arr)
    axis = util.canonical_axis(axis, nd)
    idx = []
    for d in range(nd):
        if d == axis:
            idx.append(indices)
        else:
            s = [1] * nd
            s[d] = util.shape(arr)[d]
            idx.append(jnp.reshape(jnp.arange(util.shape(arr)[d]), s))
    values = jnp.asarray(util.as_operand(values)).astype(util.aval(arr).dtype)
    return arr.at[tuple(idx)].set(values)


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    """``a`` (all dimensions equal, or 2-d) with its main diagonal set to ``val``
    (cycled)."""
    _no_inplace("fill_diagonal", inplace)
    if wrap:
        raise NotImplementedError("fill_diagonal: wrap=True is not implemented, must use "
                                  "wrap=False")
    a = util.as_operand(a)
    shape = util.shape(a)
    if len(shape) < 2:
        raise ValueError("fill_diagonal: array must be at least 2-d")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise ValueError(f"fill_diagonal: all dimensions of the input must be of equal "
                         f"length, got {shape}")
    n = builtins.min(shape)
    vals = jnp.resize(jnp.ravel(util.as_operand(val)), (n,)).astype(util.aval(a).dtype)
    i = np.arange(n)
    return a.at[(i,) * len(shape)].set(vals)


def ix_(*args):
    """Open-mesh index arrays: the k-th of n 1-d sequences reshaped to have its
    length on axis k (booleans become their nonzero indices)."""
    out = []
    n = len(args)
    for k, a in enumerate(args):
        a = util.as_operand(a)
        if util.ndim(a) != 1:
            raise ValueError(f"ix_: arguments must be 1-d, got shape {util.shape(a)}")
        if util.aval(a).dtype == np.bool_:
            a = jnp.nonzero(a)[0]
        out.append(jnp.reshape(a, (1,) * k + (-1,) + (1,) * (n - k - 1)))
    return tuple(out)


def diag_indices(n, ndim=2):
    """The indices of the main diagonal of an n x ... x n array."""
    if n < 0 or ndim < 0:
        raise ValueError(f"diag_indices: n and ndim must be non-negative, got {n}, {ndim}")
    i = jnp.arange(n, dtype=_int())
    return (i,) * ndim


def diag_indices_from(arr):
    shape = util.shape(util.as_operand(arr))
    if len(shape) < 2 or len(set(shape)) != 1:
        raise ValueError(f"diag_indices_from: input must be at least 2-d with all "
                         f"dimensions equal, got shape {shape}")
    return diag_indices(shape[0], len(shape))


def mask_indices(n, mask_func, k=0, *, size=None):
    """The indices where ``mask_func(ones((n, n)), k)`` is non-zero."""
    return jnp.nonzero(mask_func(jnp.ones((n, n), _int()), k), size=size)


def ravel_multi_index(multi_index, dims, mode="raise", order="C", *, dtype=None):
    """Flat indices of the coordinate arrays ``multi_index`` into shape ``dims``;
    mode 'raise' checks bounds (concrete indices), 'wrap' or 'clip' fixes them."""
    dims = tuple(int(d) for d in dims)
    if len(multi_index) != len(dims):
        raise ValueError(f"ravel_multi_index: {len(multi_index)} index arrays for "
                         f"{len(dims)} dimensions")
    if order not in ("C", "F"):
        raise ValueError(f"ravel_multi_index: order must be 'C' or 'F', got {order!r}")
    idx = [util.as_operand(i) for i in multi_index]
    fixed = []
    for i, d in zip(idx, dims):
        if mode == "raise":
            c = _concrete(i, "ravel_multi_index", "the indices (with mode='raise')")
            if np.any((np.asarray(c) < 0) | (np.asarray(c) >= d)):
                raise ValueError("invalid entry in coordinates array")
        elif mode == "wrap":
            i = i % d
        elif mode == "clip":
            i = jnp.clip(i, 0, d - 1)
        else:
            raise ValueError(f"ravel_multi_index: invalid mode {mode!r}")
        fixed.append(jnp.asarray(i).astype(dtype or _int()))
    pairs = list(zip(fixed, dims))
    if order == "F":
        pairs = pairs[::-1]
    out = jnp.zeros((), dtype or _int())
    for i, d in pairs:
        out = out * d + i
    return out


def unravel_index(indices, shape):
    """The coordinate arrays of the flat ``indices`` in ``shape`` (negative
    indices count from the end; out-of-range ones clamp, as JAX)."""
    indices = util.as_operand(indices)
    shape = tuple(int(s) for s in shape)
    size = int(np.prod(shape, dtype=np.int64))
    i = jnp.where(indices < 0, indices + size, indices)
    i = jnp.clip(i, 0, builtins.max(size - 1, 0))
    out = []
    for d in reversed(shape):
        out.append((i % d).astype(_int()) if d else i)
        i = i // d if d else i
    return tuple(reversed(out))


def _depth(x):
    return 1 + _depth(x[0]) if isinstance(x, list) and x else (1 if isinstance(x, list) else 0)


def block(arrays):
    """One array assembled from nested lists of blocks (numpy's block): the
    innermost lists join along the last axis, the outer ones along earlier axes."""
    if not isinstance(arrays, list):
        return jnp.asarray(arrays) if not util.is_array(arrays) else arrays
    depth = _depth(arrays)

    def build(x, level):
        if not isinstance(x, list):
            raise TypeError("block: the nesting of the lists must be uniform")
        if level == depth:
            parts = [util.as_operand(p) for p in x]
        else:
            parts = [build(p, level + 1) for p in x]
        if not parts:
            raise ValueError("block: lists cannot be empty")
        rank = builtins.max(depth, *[util.ndim(p) for p in parts])
        parts = [jnp.reshape(p, (1,) * (rank - util.ndim(p)) + util.shape(p)) for p in parts]
        return jnp.concatenate(parts, axis=-(depth - level + 1))
    return build(arrays, 1)


def dstack(tup, dtype=None):
    """Stack along the third axis (1-d and 2-d inputs are made 3-d first)."""
    arrays = [jnp.atleast_3d(util.as_operand(t)) for t in tup]
    return jnp.concatenate(arrays, axis=2, dtype=dtype)


def dsplit(ary, indices_or_sections):
    """Split along the third axis."""
    ary = util.as_operand(ary)
    if util.ndim(ary) < 3:
        raise ValueError(f"dsplit only works on arrays of 3 or more dimensions, got shape "
                         f"{util.shape(ary)}")
    return jnp.split(ary, indices_or_sections, axis=2)


def rollaxis(a, axis, start=0):
    """Move ``axis`` so that it lies before position ``start`` (numpy's rule)."""
    a = util.as_operand(a)
    nd = util.ndim(a)
    axis = util.canonical_axis(axis, nd)
    if start < 0:
        start += nd
    if not 0 <= start <= nd:
        raise ValueError(f"rollaxis: start {start} out of range for rank {nd}")
    if axis < start:
        start -= 1
    return jnp.moveaxis(a, axis, start)


def diagflat(v, k=0):
    """A 2-d array with the flattened ``v`` on its k-th diagonal."""
    return jnp.diag(jnp.ravel(util.as_operand(v)), k)


def array_equiv(a1, a2):
    """True when the arrays broadcast together and are equal elementwise."""
    a1, a2 = util.as_operand(a1), util.as_operand(a2)
    try:
        util.broadcast_shapes(util.shape(a1), util.shape(a2))
    except (TypeError, ValueError):
        return jnp.asarray(False)
    return jnp.all(a1 == a2)


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of consecutive elements of the flattened ``ary``, with
    ``to_begin`` / ``to_end`` attached."""
    ary = jnp.ravel(util.as_operand(ary))
    parts = [ary[1:] - ary[:-1]]
    dt = util.aval(parts[0]).dtype
    if to_begin is not None:
        parts.insert(0, jnp.ravel(jnp.asarray(to_begin)).astype(dt))
    if to_end is not None:
        parts.append(jnp.ravel(jnp.asarray(to_end)).astype(dt))
    return jnp.concatenate(parts)


def copy(a, order=None):
    """A copy of ``a`` (jaxlite arrays are immutable, so the value itself)."""
    return jnp.array(a, copy=True)
