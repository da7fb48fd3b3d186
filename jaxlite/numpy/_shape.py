"""Shape manipulation: reshape, transpose, squeeze/expand_dims, broadcasting,
concatenate/stack/split, tile/repeat, flip, pad, roll.

Layout-only reshuffles become reshape/transpose/broadcast_in_dim; pieces of an
array come from lax.slice, gluing from lax.concatenate. Static index patterns
(repeat with per-element counts, pad's edge/reflect/wrap modes, roll) are
computed with numpy on index vectors and applied with a gather.
"""
import builtins

import numpy as np

from jaxlite import core, lax
# Modules, not names: the numpy modules import each other (used at call time).
from jaxlite.numpy import _creation, _elementwise, _indexing
from jaxlite import numpy as jnp      # max/min/mean/median, bound by the time pad runs
from jaxlite import numpy_util as util
from jaxlite.numpy_util import canonical_axis, canonical_axes, operator_index


def _arr(a):
    return util.strong(util.as_operand(a))


# ----------------------------------------------------------------- reshape

def _resolve_shape(newshape, size, old_shape):
    newshape = util.concrete_shape(newshape, "reshape dimension")
    unknown = [i for i, d in enumerate(newshape) if d == -1]
    if len(unknown) > 1:
        raise ValueError(f"can only specify one unknown dimension, got new shape {newshape}")
    if builtins.any(d < -1 for d in newshape):
        raise ValueError(f"reshape: invalid dimension in new shape {newshape}")
    known = int(np.prod([d for d in newshape if d != -1], dtype=np.int64))
    if unknown:
        if known == 0 or size % known:
            raise TypeError(f"cannot reshape array of shape {old_shape} (size {size}) into "
                            f"shape {newshape}{core.where_message()}")
        newshape = tuple(size // known if d == -1 else d for d in newshape)
    elif known != size:
        raise TypeError(f"cannot reshape array of shape {old_shape} (size {size}) into shape "
                        f"{newshape}{core.where_message()}")
    return newshape


def reshape(a, newshape=None, order="C", *, shape=None):
    """``a`` with a new shape; one dimension may be -1 (inferred). ``order="F"``
    reads and writes the elements column-major."""
    if order == "A":
        raise NotImplementedError("np.reshape order=A is not implemented.")
    if order not in ("C", "F"):
        raise ValueError(f"Unexpected value for 'order' argument: {order}.")
    newshape = shape if newshape is None else newshape
    a = _arr(a)
    av = util.aval(a)
    newshape = _resolve_shape(newshape, av.size, av.shape)
    if order == "F":    # column-major is row-major with every axis order reversed
        return transpose(lax.reshape(transpose(a), tuple(reversed(newshape))))
    return lax.reshape(a, newshape)


def ravel(a, order="C"):
    if order == "K":
        raise NotImplementedError("Ravel not implemented for order='K'.")
    return reshape(a, (-1,), order)


def transpose(a, axes=None):
    """Permute the axes (reverse them when ``axes`` is None)."""
    a = _arr(a)
    nd = util.ndim(a)
    if axes is None:
        perm = tuple(range(nd))[::-1]
    else:
        perm = tuple(canonical_axis(operator_index(p, "axis"), nd) for p in axes)
        if sorted(perm) != list(range(nd)):
            raise ValueError(f"axes {tuple(axes)} don't match array of rank {nd}")
    return lax.transpose(a, perm)


def permute_dims(a, axes=None):
    return transpose(a, axes)


def swapaxes(a, axis1, axis2):
    a = _arr(a)
    nd = util.ndim(a)
    perm = list(range(nd))
    i, j = canonical_axis(axis1, nd), canonical_axis(axis2, nd)
    perm[i], perm[j] = perm[j], perm[i]
    return lax.transpose(a, tuple(perm))


def moveaxis(a, source, destination):
    """Move axes ``source`` to positions ``destination`` (ints or sequences)."""
    a = _arr(a)
    nd = util.ndim(a)
    src = [source] if isinstance(source, (int, np.integer)) else list(source)
    dst = [destination] if isinstance(destination, (int, np.integer)) else list(destination)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source} and destination {destination} must have "
                         f"the same number of elements")
    src = [canonical_axis(s, nd) for s in src]
    dst = [canonical_axis(d, nd) for d in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"moveaxis: repeated axis in source {source} or destination "
                         f"{destination}")
    perm = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return lax.transpose(a, tuple(perm))


def expand_dims(a, axis):
    """Insert size-1 axes at positions ``axis`` (int or tuple) of the result."""
    a = _arr(a)
    shape = util.shape(a)
    axes_in = axis if isinstance(axis, (tuple, list)) else (axis,)
    out_nd = len(shape) + len(axes_in)
    axes = canonical_axes(tuple(axes_in), out_nd)
    it = iter(shape)
    return lax.reshape(a, tuple(1 if i in axes else next(it) for i in range(out_nd)))


def squeeze(a, axis=None):
    """Remove size-1 axes (all of them, or those in ``axis``)."""
    a = _arr(a)
    shape = util.shape(a)
    if axis is None:
        axes = tuple(i for i, d in enumerate(shape) if d == 1)
    else:
        axes = canonical_axes(axis, len(shape))
        for i in axes:
            if shape[i] != 1:
                raise ValueError(f"cannot select an axis to squeeze out which has size not "
                                 f"equal to one: axis {i} of shape {shape}")
    return lax.reshape(a, tuple(d for i, d in enumerate(shape) if i not in axes))


# ------------------------------------------------------------- broadcasting

def broadcast_shapes(*shapes):
    return util.broadcast_shapes(*[util.concrete_shape(s) for s in shapes],
                                  what="broadcast_shapes")


def broadcast_to(array, shape):
    """``array`` broadcast to ``shape`` (TypeError if numpy would refuse)."""
    return util.broadcast_to_shape(_arr(array), util.concrete_shape(shape))


def broadcast_arrays(*args):
    args = [_arr(a) for a in args]
    return util.broadcast(*args, what="broadcast_arrays", keep_scalars=False)


def atleast_1d(*arys):
    out = [a if util.ndim(a) >= 1 else reshape(a, (1,)) for a in map(_arr, arys)]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    out = []
    for a in map(_arr, arys):
        nd = util.ndim(a)
        out.append(a if nd >= 2 else reshape(a, (1,) * (2 - nd) + util.shape(a)))
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    out = []
    for a in map(_arr, arys):
        s = util.shape(a)
        s = {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(len(s), s)
        out.append(reshape(a, s))
    return out[0] if len(out) == 1 else out


# ---------------------------------------------------------- join and split

def concatenate(arrays, axis=0, dtype=None):
    """Join arrays along an existing axis (``axis=None`` joins them flattened)."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    arrays = util.promote(*arrays, dtype=dtype)
    arrays = [util.strong(a) for a in arrays]
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    nd = util.ndim(arrays[0])
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    axis = canonical_axis(axis, nd)
    shapes = [util.shape(a) for a in arrays]
    for s in shapes:
        if len(s) != nd or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:]:
            raise TypeError(f"concatenate: all input array dimensions other than axis {axis} "
                            f"must match, got shapes {', '.join(map(str, shapes))}"
                            f"{core.where_message()}")
    if len(arrays) == 1:
        return arrays[0]
    return lax.concatenate(arrays, axis)


def stack(arrays, axis=0, dtype=None):
    """Join same-shape arrays along a new axis."""
    arrays = [_arr(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to stack")
    shapes = {util.shape(a) for a in arrays}
    if len(shapes) > 1:
        raise TypeError(f"stack: all input arrays must have the same shape, got shapes "
                        f"{', '.join(str(util.shape(a)) for a in arrays)}"
                        f"{core.where_message()}")
    axis = canonical_axis(axis, util.ndim(arrays[0]) + 1)
    return concatenate([expand_dims(a, axis) for a in arrays], axis, dtype)


def vstack(tup, dtype=None):
    return concatenate(atleast_2d(*tup) if len(tup) > 1 else [atleast_2d(*tup)], 0, dtype)


def hstack(tup, dtype=None):
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, 0 if util.ndim(arrs[0]) == 1 else 1, dtype)


def column_stack(tup):
    arrs = [a if util.ndim(a) >= 2 else reshape(a, (-1, 1)) for a in map(_arr, tup)]
    return concatenate(arrs, 1)


def slice_along(a, axis, start, stop, step=1):
    """``a[..., start:stop:step, ...]`` along ``axis`` (static, in-bounds, step > 0)."""
    shape = util.shape(a)
    if start == 0 and stop == shape[axis] and step == 1:
        return a
    starts = [0] * len(shape)
    limits = list(shape)
    strides = [1] * len(shape)
    starts[axis], limits[axis], strides[axis] = start, stop, step
    return lax.slice(a, tuple(starts), tuple(limits), None if step == 1 else tuple(strides))


def _split_points(n, indices_or_sections, equal):
    if isinstance(indices_or_sections, (int, np.integer)) or np.ndim(indices_or_sections) == 0:
        k = operator_index(indices_or_sections, "number of sections")
        if k <= 0:
            raise ValueError(f"number of sections must be larger than 0, got {k}")
        if equal and n % k:
            raise ValueError(f"array split does not result in an equal division: axis of "
                             f"size {n} into {k} sections")
        sizes = [n // k + (i < n % k) for i in range(k)]
        return list(np.cumsum([0] + sizes))
    pts = [operator_index(i, "split index") for i in indices_or_sections]
    return [0] + pts + [n]


def split(ary, indices_or_sections, axis=0):
    """Split into equal sections (int) or at the given indices (sequence)."""
    ary = _arr(ary)
    axis = canonical_axis(axis, util.ndim(ary))
    n = util.shape(ary)[axis]
    pts = _split_points(n, indices_or_sections, equal=True)
    return [_clamped_slice(ary, axis, lo, hi, n) for lo, hi in zip(pts[:-1], pts[1:])]


def array_split(ary, indices_or_sections, axis=0):
    ary = _arr(ary)
    axis = canonical_axis(axis, util.ndim(ary))
    n = util.shape(ary)[axis]
    pts = _split_points(n, indices_or_sections, equal=False)
    return [_clamped_slice(ary, axis, lo, hi, n) for lo, hi in zip(pts[:-1], pts[1:])]


def _clamped_slice(a, axis, lo, hi, n):
    # numpy semantics of a[lo:hi] for split points: negative counts from the end,
    # out-of-range clamps, hi < lo is empty.
    lo, hi, _ = slice(lo, hi).indices(n)
    return slice_along(a, axis, lo, builtins.max(lo, hi))


def hsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=1 if util.ndim(ary) > 1 else 0)


def vsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=0)


# ------------------------------------------------------------ tile, repeat

def tile(A, reps):
    """Repeat the whole of ``A`` ``reps`` times along each axis."""
    A = _arr(A)
    reps = util.concrete_shape(reps, "reps")
    shape = util.shape(A)
    d = builtins.max(len(reps), len(shape))
    shape = (1,) * (d - len(shape)) + shape
    reps = (1,) * (d - len(reps)) + reps
    A = lax.reshape(A, shape)
    # Interleave a new axis of size reps[i] before each axis, then merge pairs.
    big = tuple(x for r, s in zip(reps, shape) for x in (r, s))
    A = lax.broadcast_in_dim(A, big, tuple(range(1, 2 * d, 2)))
    return lax.reshape(A, tuple(r * s for r, s in zip(reps, shape)))


def repeat(a, repeats, axis=None, total_repeat_length=None):
    """Repeat each element ``repeats`` times along ``axis`` (flattened if None)."""
    a = _arr(a)
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = canonical_axis(axis, util.ndim(a))
    shape = util.shape(a)
    if isinstance(repeats, core.Tracer):
        raise core.ConcretizationTypeError(
            f"jnp.repeat needs concrete repeats (the output shape depends on them), got "
            f"{repeats.aval}{core.where_message()}")
    reps = np.asarray(repeats)
    if reps.ndim == 0:
        r = int(reps)
        if r < 0:
            raise ValueError(f"repeats may not contain negative values, got {r}")
        big = shape[:axis + 1] + (r,) + shape[axis + 1:]
        dims = tuple(i if i <= axis else i + 1 for i in range(len(shape)))
        out = lax.broadcast_in_dim(a, big, dims)
        return lax.reshape(out, shape[:axis] + (shape[axis] * r,) + shape[axis + 1:])
    if reps.shape != (shape[axis],):
        raise ValueError(f"repeats of shape {reps.shape} do not match axis {axis} of size "
                         f"{shape[axis]}")
    return _indexing.take(a, np.repeat(np.arange(shape[axis]), reps), axis=axis)


# ---------------------------------------------------------- flip, pad, roll

def flip(m, axis=None):
    """Reverse the order of elements along ``axis`` (all axes if None)."""
    m = _arr(m)
    axes = canonical_axes(axis, util.ndim(m))
    return lax.rev(m, axes) if axes else m


def fliplr(m):
    return flip(m, 1)


def flipud(m):
    return flip(m, 0)


def _pad_width(pad_width, nd):
    pw = np.asarray(pad_width)
    if isinstance(pad_width, core.Tracer) or pw.dtype.kind not in "iu":
        raise TypeError(f"pad_width must be static integers, got {pad_width!r}")
    try:
        pw = np.broadcast_to(pw, (nd, 2))
    except ValueError:
        raise ValueError(f"pad_width {pad_width!r} does not fit an array of rank {nd}") from None
    if (pw < 0).any():
        raise ValueError(f"pad_width {pad_width!r} may not contain negative values")
    return [(int(lo), int(hi)) for lo, hi in pw]


_STAT_MODES = ("maximum", "minimum", "mean", "median")


def pad(array, pad_width, mode="constant", constant_values=0, *, stat_length=None,
        end_values=0, reflect_type="even", **kwargs):
    """Pad as numpy: with a constant (default; 'empty' pads zeros), 'edge',
    'wrap', 'reflect', 'symmetric', 'linear_ramp' (to ``end_values``), a
    statistic of the edge ('maximum', 'minimum', 'mean', 'median' over
    ``stat_length`` elements, the whole axis by default), or a function
    ``mode(vector, (before, after), axis, kwargs)`` returning each zero-padded
    1-d vector filled in (JAX's functional form of numpy's)."""
    array = _arr(array)
    nd = util.ndim(array)
    pw = _pad_width(pad_width, nd)
    if callable(mode):
        padded = _pad_constant(array, pw, 0)
        for axis in range(nd):
            padded = jnp.apply_along_axis(mode, axis, padded, pw[axis], axis, kwargs)
        return padded
    if kwargs:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {set(kwargs)}")
    if mode in ("constant", "empty"):
        return _pad_constant(array, pw, constant_values if mode == "constant" else 0)
    if mode in _STAT_MODES:
        return _pad_stat(array, pw, mode, stat_length)
    if mode == "linear_ramp":
        return _pad_linear_ramp(array, pw, end_values)
    if mode not in ("edge", "wrap", "reflect", "symmetric"):
        raise ValueError(f"jnp.pad: unsupported mode {mode!r}; jaxlite supports 'constant', "
                         f"'empty', 'edge', 'wrap', 'reflect', 'symmetric', 'linear_ramp', "
                         f"'maximum', 'minimum', 'mean' and 'median'")
    if reflect_type not in ("even", "odd"):
        raise ValueError(f"jnp.pad: reflect_type must be 'even' or 'odd', got {reflect_type!r}")
    odd = reflect_type == "odd" and mode in ("reflect", "symmetric")
    for axis, (lo, hi) in enumerate(pw):
        if lo or hi:
            n = util.shape(array)[axis]
            if n == 0:
                raise ValueError(f"can't pad axis {axis} of size 0 in mode {mode!r}")
            padded = _indexing.take(array, np.pad(np.arange(n), (lo, hi), mode=mode), axis=axis)
            array = _odd_reflection(array, padded, axis, lo, hi, mode) if odd else padded
    return array


def _odd_reflection(array, padded, axis, lo, hi, mode):
    """numpy's reflect_type='odd': each padded value is 2 * edge - its even
    reflection, for pads within one reflection of the axis."""
    n = util.shape(array)[axis]
    if max(lo, hi) > (n - 1 if mode == "reflect" else n):
        raise NotImplementedError(f"jnp.pad: reflect_type='odd' with a pad wider than one "
                                  f"reflection of an axis of size {n}")
    nd = util.ndim(array)
    edge = np.concatenate([np.zeros(lo, int), np.full(n, -1), np.ones(hi, int)])
    first, last = slice_along(array, axis, 0, 1), slice_along(array, axis, n - 1, n)
    two = np.asarray(2, util.aval(array).dtype)
    lo_side, hi_side = _along(edge == 0, axis, nd), _along(edge == 1, axis, nd)
    return _elementwise.where(lo_side, two * first - padded,
                              _elementwise.where(hi_side, two * last - padded, padded))


def _pairs(value, nd):
    """numpy's per-axis (before, after) pairs from a scalar, a pair or one pair per axis."""
    return np.broadcast_to(np.asarray(value), (nd, 2))


def _along(values, axis, nd):
    """A 1-d numpy array shaped to broadcast along ``axis`` of an nd array."""
    return values.reshape([-1 if d == axis else 1 for d in range(nd)])


def _pad_stat(array, pw, mode, stat_length):
    """Axis by axis (each sees the previous axes' padding, as numpy): each side
    repeats the statistic of its ``stat_length`` nearest elements; integer
    results round half to even, as numpy's."""
    stat = {"maximum": jnp.max, "minimum": jnp.min, "mean": jnp.mean, "median": jnp.median}[mode]
    nd, dt = util.ndim(array), util.aval(array).dtype
    lengths = None if stat_length is None else _pairs(stat_length, nd)
    for axis, (lo, hi) in enumerate(pw):
        n = util.shape(array)[axis]
        sides = []
        for side, width in ((0, lo), (1, hi)):
            k = n if lengths is None else min(operator_index(lengths[axis, side]), n)
            if width and k <= 0:
                raise ValueError(f"stat_length of {k} yields no value for padding")
            chunk = slice_along(array, axis, 0, k) if side == 0 else slice_along(array, axis,
                                                                                  n - k, n)
            value = stat(chunk, axis=axis, keepdims=True) if width else None
            if value is not None and dt.kind in "iub" and mode in ("mean", "median"):
                value = _elementwise.round(value)
            shape = list(util.shape(array))
            shape[axis] = width
            sides.append(broadcast_to(value.astype(dt), tuple(shape)) if width else None)
        array = concatenate([a for a in (sides[0], array, sides[1]) if a is not None], axis)
    return array


def _pad_linear_ramp(array, pw, end_values):
    """Axis by axis: linspace(end value, edge value, width, endpoint=False) on
    the left, mirrored on the right; integer samples round down as numpy's."""
    nd, dt = util.ndim(array), util.aval(array).dtype
    ends = _pairs(end_values, nd)
    ft = util.to_inexact_dtype(dt)
    for axis, (lo, hi) in enumerate(pw):
        n = util.shape(array)[axis]
        if not (lo or hi):
            continue
        if n == 0:
            raise ValueError(f"can't pad axis {axis} of size 0 in mode 'linear_ramp'")
        parts = [array]
        for side, width in ((0, lo), (1, hi)):
            if not width:
                continue
            edge = slice_along(array, axis, 0, 1) if side == 0 else slice_along(array, axis,
                                                                                 n - 1, n)
            t = np.arange(width, dtype=np.float64) / width
            t = _along(t if side == 0 else t[::-1], axis, nd).astype(ft)
            end = np.asarray(ends[axis, side], ft)
            ramp = end + (edge.astype(ft) - end) * t
            ramp = (jnp.floor(ramp) if dt.kind in "iu" else ramp).astype(dt)
            parts = [ramp] + parts if side == 0 else parts + [ramp]
        array = concatenate(parts, axis)
    return array


def _pad_constant(array, pw, constant_values):
    dt = util.aval(array).dtype
    cv = np.asarray(constant_values)
    if isinstance(constant_values, core.Tracer) or cv.ndim == 0:
        value = util.convert(util.as_operand(constant_values), dt)
        return lax.pad(array, util.strong(value), tuple((lo, hi, 0) for lo, hi in pw))
    # Per-axis (before, after) values: pad one side of one axis at a time.
    cv = np.broadcast_to(cv, (len(pw), 2))
    for axis, (lo, hi) in enumerate(pw):
        for side, width in ((0, lo), (1, hi)):
            if width:
                cfg = [(0, 0, 0)] * len(pw)
                cfg[axis] = (width, 0, 0) if side == 0 else (0, width, 0)
                array = lax.pad(array, np.asarray(cv[axis, side], dt), tuple(cfg))
    return array


def roll(a, shift, axis=None):
    """Rotate elements along ``axis`` by ``shift`` (flattened if None). A
    static shift is two slices; a traced one (as JAX allows) a gather."""
    a = _arr(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), util.shape(a))
    if not util.is_concrete(shift):
        return _roll_traced(a, shift, axis)
    shifts = np.broadcast_to(np.asarray(shift), np.shape(axis))
    axes = np.atleast_1d(axis)
    for s, ax in zip(np.atleast_1d(shifts), axes):
        ax = canonical_axis(int(ax), util.ndim(a))
        n = util.shape(a)[ax]
        if n:
            k = int(s) % n
            if k:
                a = concatenate([slice_along(a, ax, n - k, n), slice_along(a, ax, 0, n - k)], ax)
    return a


def _roll_traced(a, shift, axis):
    axes = [canonical_axis(int(ax), util.ndim(a)) for ax in np.atleast_1d(axis)]
    shifts = util.as_operand(shift)
    if util.ndim(shifts) > 1 or (util.ndim(shifts) == 1 and util.shape(shifts)[0] != len(axes)):
        raise ValueError(f"roll: shift of shape {util.shape(shifts)} does not match the "
                         f"{len(axes)} axes {tuple(axes)}")
    for i, ax in enumerate(axes):
        n = util.shape(a)[ax]
        if n:
            k = shifts[i] if util.ndim(shifts) else shifts
            src = _elementwise.remainder(_elementwise.subtract(
                lax.iota(util.aval(k).dtype, n), k), n)
            a = _indexing.take(a, src, axis=ax, mode="clip")     # src is in range
    return a


# ---------------------------------------------------------------- triangles

def tril(m, k=0):
    m = _arr(m)
    s = util.shape(m)
    mask = np.tri(s[-2], s[-1], k, dtype=bool)
    return _elementwise.where(mask, m, np.zeros((), util.aval(m).dtype))


def triu(m, k=0):
    m = _arr(m)
    s = util.shape(m)
    mask = ~np.tri(s[-2], s[-1], k - 1, dtype=bool)
    return _elementwise.where(mask, m, np.zeros((), util.aval(m).dtype))


# ------------------------------------------------------- grids, diagonals

def meshgrid(*xi, indexing="xy", sparse=False, copy=True):
    """Coordinate arrays from 1-d coordinate vectors (numpy's 'xy' or 'ij')."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [ravel(x) for x in map(_arr, xi)]
    shape = [util.shape(x)[0] for x in xs]
    dims = list(range(len(xs)))
    if indexing == "xy" and len(xs) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
        dims[0], dims[1] = 1, 0
    out = []
    for x, d in zip(xs, dims):
        if sparse:
            out.append(reshape(x, tuple(-1 if i == d else 1 for i in range(len(xs)))))
        else:
            out.append(lax.broadcast_in_dim(x, tuple(shape), (d,)))
    return out


def diag(v, k=0):
    """The k-th diagonal of a 2-d array, or a 2-d array with 1-d ``v`` on it."""
    v = _arr(v)
    nd = util.ndim(v)
    if nd == 2:
        return _indexing.diagonal(v, k)
    if nd != 1:
        raise ValueError(f"diag: input must be 1-d or 2-d, got rank {nd}")
    n = util.shape(v)[0] + builtins.abs(k)
    rows = np.arange(util.shape(v)[0]) + builtins.max(-k, 0)
    return _creation.zeros((n, n), util.aval(v).dtype).at[rows, rows + k].set(v)


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """The n-th discrete difference along ``axis``, after attaching ``prepend``
    and ``append`` (scalars are broadcast to one slice)."""
    a = _arr(a)
    axis = canonical_axis(axis, util.ndim(a))
    if prepend is not None or append is not None:
        def slab(v):
            v = _arr(v)
            if util.ndim(v) == 0:
                shape = list(util.shape(a))
                shape[axis] = 1
                v = broadcast_to(v, tuple(shape))
            return v
        parts = ([slab(prepend)] if prepend is not None else []) + [a] + \
            ([slab(append)] if append is not None else [])
        a = concatenate(parts, axis=axis)
    for _ in range(n):
        size = util.shape(a)[axis]
        if size == 0:
            break
        hi, lo = slice_along(a, axis, 1, size), slice_along(a, axis, 0, size - 1)
        a = lax.ne(hi, lo) if util.aval(a).dtype.kind == "b" else lax.sub(hi, lo)
    return a


# ------------------------------------------------ array-API forms and extras

def concat(arrays, /, *, axis=0):
    """Array-API name of ``concatenate``."""
    return concatenate(arrays, axis)


def matrix_transpose(x, /):
    """Swap the last two axes (a stack of matrices transposed)."""
    x = _arr(x)
    if util.ndim(x) < 2:
        raise ValueError(f"matrix_transpose needs an array of rank >= 2, got shape "
                         f"{util.shape(x)}")
    return swapaxes(x, -1, -2)


def unstack(x, /, *, axis=0):
    """The slices of ``x`` along ``axis``, as a tuple (the inverse of ``stack``)."""
    x = _arr(x)
    axis = canonical_axis(axis, util.ndim(x))
    return tuple(lax.squeeze(slice_along(x, axis, i, i + 1), (axis,))
                 for i in range(util.shape(x)[axis]))


def append(arr, values, axis=None):
    """``arr`` followed by ``values`` along ``axis`` (both flattened if None)."""
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], 0)
    return concatenate([arr, values], axis)


def rot90(m, k=1, axes=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``, from the first
    axis towards the second."""
    m = _arr(m)
    nd = util.ndim(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must hold exactly two axes, got {axes}")
    if nd < 2:
        raise ValueError(f"rot90 needs an array of rank >= 2, got shape {util.shape(m)}")
    a0, a1 = (canonical_axis(a, nd) for a in axes)
    if a0 == a1:
        raise ValueError(f"rot90: axes must be different, got {axes} for rank {nd}")
    k = operator_index(k, "k") % 4
    if k == 0:
        return m
    if k == 2:
        return flip(m, (a0, a1))
    perm = list(range(nd))
    perm[a0], perm[a1] = a1, a0
    if k == 1:
        return transpose(flip(m, a1), perm)
    return flip(transpose(m, perm), a1)
