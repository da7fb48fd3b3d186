"""Shape-changing primitives: broadcast_in_dim, reshape, transpose, and the
rest of the structural family. One block per primitive with all its rules.
"""
import numpy as np

from jaxlite import core, dtypes
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.interpreters.ad import Zero
from jaxlite.lax._rules import normalize_axis, promote_weak, standard_primitive
# Modules, not names: they import this one too (their functions are used at call time).
from jaxlite.lax import elementwise, indexing, reductions

__all__ = ["broadcast_in_dim_p", "reshape_p", "transpose_p", "squeeze_p", "rev_p", "concatenate_p",
           "pad_p", "iota_p", "broadcast_in_dim", "broadcast", "full", "reshape", "transpose",
           "squeeze", "expand_dims", "rev", "concatenate", "pad", "broadcasted_iota", "iota"]


def _shape_tuple(shape, what="shape"):
    try:
        shape = tuple(int(d) for d in shape)
    except TypeError:
        shape = (int(shape),)
    if any(d < 0 for d in shape):
        raise ValueError(f"{what} {shape} has a negative dimension")
    return shape


# ------------------------------------------------------------ broadcast_in_dim

def _broadcast_in_dim_impl(x, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(np.reshape(x, expanded), shape)


def _broadcast_in_dim_shape(x, shape, broadcast_dimensions):
    bd = broadcast_dimensions
    if len(bd) != x.ndim:
        raise TypeError(f"broadcast_in_dim: broadcast_dimensions {bd} must have one entry "
                        f"per operand dimension (operand shape {x.shape})")
    if any(not 0 <= d < len(shape) for d in bd) or list(bd) != sorted(set(bd)):
        raise ValueError(f"broadcast_in_dim: broadcast_dimensions {bd} must be strictly "
                         f"increasing and within the rank {len(shape)} of shape {shape}")
    for i, d in enumerate(bd):
        if x.shape[i] not in (1, shape[d]):
            raise TypeError(f"broadcast_in_dim: operand shape {x.shape} cannot be broadcast "
                            f"to shape {shape} with broadcast_dimensions {bd}"
                            f"{core.where_message()}")
    return ShapedArray(shape, x.dtype, x.weak_type)


broadcast_in_dim_p = standard_primitive("broadcast_in_dim", _broadcast_in_dim_impl,
                                        _broadcast_in_dim_shape,
                                        kind=core.INDEX_MAP, cost=core.FREE)


def _broadcast_in_dim_transpose(ct, x, shape, broadcast_dimensions):
    if type(ct) is Zero:
        return [None]
    in_shape = x.aval.shape
    new_dims = tuple(d for d in range(len(shape)) if d not in broadcast_dimensions)
    stretched = tuple(d for i, d in enumerate(broadcast_dimensions)
                      if in_shape[i] == 1 and shape[d] != 1)
    summed = ct
    if new_dims + stretched:
        summed = reductions.reduce_sum(ct, tuple(sorted(new_dims + stretched)))
    return [reshape(summed, in_shape) if stretched else summed]


def _broadcast_in_dim_batch(axis_size, vals, dims, shape, broadcast_dimensions):
    # No transpose: a leading batch dim stays leading; any other goes just
    # before the output dim of the operand dim that follows it (or last).
    (x,), (d,) = vals, dims
    bd = tuple(broadcast_dimensions)
    out_d = 0 if d == 0 else (bd[d] if d < len(bd) else len(shape))
    new_bd = bd[:d] + (out_d,) + tuple(b + 1 for b in bd[d:])
    new_shape = tuple(shape[:out_d]) + (axis_size,) + tuple(shape[out_d:])
    return broadcast_in_dim(x, new_shape, new_bd), out_d


ad.deflinear(broadcast_in_dim_p, _broadcast_in_dim_transpose)
batching.batch_rules[broadcast_in_dim_p] = _broadcast_in_dim_batch


def broadcast_in_dim(operand, shape, broadcast_dimensions):
    """Broadcast ``operand`` to ``shape``; operand dim i becomes dim broadcast_dimensions[i]."""
    shape = _shape_tuple(shape)
    bd = tuple(int(d) for d in broadcast_dimensions)
    aval = core.get_aval(operand)
    if aval.shape == shape and bd == tuple(range(len(shape))) \
            and not core.is_python_scalar(operand):
        return operand
    return core.bind(broadcast_in_dim_p, operand, shape=shape, broadcast_dimensions=bd)


def broadcast(operand, sizes):
    """Add leading dimensions of ``sizes``."""
    aval = core.get_aval(operand)
    sizes = _shape_tuple(sizes)
    return broadcast_in_dim(operand, sizes + aval.shape,
                            tuple(range(len(sizes), len(sizes) + aval.ndim)))


def full(shape, fill_value, dtype=None):
    """An array of ``shape`` filled with ``fill_value``."""
    shape = _shape_tuple(shape)
    if dtype is None:
        dtype = core.get_aval(fill_value).dtype
    dtype = dtypes.canonicalize(dtype)
    if isinstance(fill_value, core.Tracer):
        fill = elementwise.convert_element_type(fill_value, dtype)
    else:
        fill = np.asarray(fill_value, dtype)
    if not shape and not isinstance(fill, core.Tracer):
        return core.wrap(fill)
    return core.bind(broadcast_in_dim_p, fill, shape=shape, broadcast_dimensions=())


# ------------------------------------------------------------------- reshape

def _reshape_shape(x, new_sizes, dimensions=None):
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise TypeError(f"reshape total size must be unchanged, got new_sizes {new_sizes} "
                        f"for shape {x.shape}{core.where_message()}")
    return ShapedArray(new_sizes, x.dtype, x.weak_type)


reshape_p = standard_primitive(
    "reshape", lambda x, new_sizes, dimensions=None: np.reshape(x, new_sizes), _reshape_shape,
    kind=core.INDEX_MAP, cost=core.FREE)
ad.deflinear(reshape_p, lambda ct, x, new_sizes, dimensions=None: [
    None if type(ct) is Zero else reshape(ct, x.aval.shape)])


def _reshape_batch(axis_size, vals, dims, new_sizes, dimensions=None):
    (x,), (d,) = vals, dims
    x = batching.moveaxis(x, d, 0)
    return reshape(x, (axis_size,) + tuple(new_sizes)), 0


batching.batch_rules[reshape_p] = _reshape_batch


def reshape(operand, new_sizes, dimensions=None):
    """Reshape ``operand`` to ``new_sizes`` (row-major order)."""
    new_sizes = _shape_tuple(new_sizes, "new_sizes")
    if dimensions is not None:
        operand = transpose(operand, dimensions)
    if core.get_aval(operand).shape == new_sizes and not core.is_python_scalar(operand):
        return operand
    return core.bind(reshape_p, operand, new_sizes=new_sizes, dimensions=None)


# ----------------------------------------------------------------- transpose

def _transpose_shape(x, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise ValueError(f"transpose permutation {permutation} is not a permutation of "
                         f"the axes of an array of rank {x.ndim}")
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)


transpose_p = standard_primitive("transpose", lambda x, permutation: np.transpose(x, permutation),
                                 _transpose_shape, kind=core.INDEX_MAP, cost=core.FREE)
ad.deflinear(transpose_p, lambda ct, x, permutation: [
    None if type(ct) is Zero else transpose(ct, tuple(np.argsort(permutation)))])


def _transpose_batch(axis_size, vals, dims, permutation):
    (x,), (d,) = vals, dims
    perm = [p + (p >= d) for p in permutation]
    perm.insert(d, d)
    return transpose(x, tuple(perm)), d


batching.batch_rules[transpose_p] = _transpose_batch


def transpose(operand, permutation):
    """Permute the axes of ``operand``."""
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))) and not core.is_python_scalar(operand):
        core.get_aval(operand)   # still validates the type
        if len(permutation) == core.get_aval(operand).ndim:
            return operand
    return core.bind(transpose_p, operand, permutation=permutation)


# ------------------------------------------------------------------ helpers

def _normalize_dims(dims, ndim, what):
    return tuple(normalize_axis(d, ndim, f"{what} dimension") for d in dims)


def _check_dims(name, dims, ndim):
    """Shape-rule check: distinct dimensions within the rank (ValueError otherwise)."""
    for d in dims:
        if not 0 <= d < ndim:
            raise ValueError(f"{name}: dimension {d} is out of bounds for an array of rank "
                             f"{ndim}{core.where_message()}")
    if len(set(dims)) != len(dims):
        raise ValueError(f"{name}: dimensions {dims} contain duplicates{core.where_message()}")


def _zeros(aval):
    return full(aval.shape, 0, aval.dtype)


def _shift_dims(dims, bdim):
    """Unbatched dimension numbers as numbers in an array batched at ``bdim``."""
    return tuple(d + (d >= bdim) for d in dims)


# ------------------------------------------------------------------- squeeze

def _squeeze_shape(x, dimensions):
    _check_dims("squeeze", dimensions, x.ndim)
    for d in dimensions:
        if x.shape[d] != 1:
            raise ValueError(f"squeeze: dimension {d} of shape {x.shape} has size "
                             f"{x.shape[d]}, not 1{core.where_message()}")
    shape = tuple(s for i, s in enumerate(x.shape) if i not in dimensions)
    return ShapedArray(shape, x.dtype, x.weak_type)


squeeze_p = standard_primitive(
    "squeeze", lambda x, dimensions: np.squeeze(x, axis=dimensions), _squeeze_shape,
    kind=core.INDEX_MAP, cost=core.FREE)
ad.deflinear(squeeze_p, lambda ct, x, dimensions: [
    None if type(ct) is Zero else reshape(ct, x.aval.shape)])
batching.defreducer(squeeze_p, "dimensions")   # removes axes just like a reduction


def squeeze(array, dimensions):
    """Remove the size-1 ``dimensions`` of ``array``."""
    ndim = core.get_aval(array).ndim
    dims = tuple(sorted(_normalize_dims(dimensions, ndim, "squeeze")))
    if not dims and not core.is_python_scalar(array):
        return array
    return core.bind(squeeze_p, array, dimensions=dims)


def expand_dims(array, dimensions):
    """Insert size-1 dimensions at ``dimensions`` (positions in the result)."""
    aval = core.get_aval(array)
    out_ndim = aval.ndim + len(dimensions)
    dims = _normalize_dims(dimensions, out_ndim, "expand_dims")
    if len(set(dims)) != len(dims):
        raise ValueError(f"expand_dims: dimensions {tuple(dimensions)} repeat a position "
                         f"of the rank-{out_ndim} result{core.where_message()}")
    shape = list(aval.shape)
    for d in sorted(dims):
        shape.insert(d, 1)
    kept = tuple(i for i in range(out_ndim) if i not in dims)
    return broadcast_in_dim(array, tuple(shape), kept)


# ----------------------------------------------------------------------- rev

def _rev_shape(x, dimensions):
    _check_dims("rev", dimensions, x.ndim)
    return x


rev_p = standard_primitive(
    "rev", lambda x, dimensions: np.flip(x, dimensions) if dimensions else x, _rev_shape,
    kind=core.INDEX_MAP, cost=core.FREE)
ad.deflinear(rev_p, lambda ct, x, dimensions: [
    None if type(ct) is Zero else rev(ct, dimensions)])


def _rev_batch(axis_size, vals, dims, dimensions):
    (x,), (d,) = vals, dims
    return rev(x, _shift_dims(dimensions, d)), d


batching.batch_rules[rev_p] = _rev_batch


def rev(operand, dimensions):
    """Reverse ``operand`` along ``dimensions``."""
    ndim = core.get_aval(operand).ndim
    dims = tuple(sorted(_normalize_dims(dimensions, ndim, "rev")))
    return core.bind(rev_p, operand, dimensions=dims)


# --------------------------------------------------------------- concatenate

def _concatenate_shape(*xs, dimension):
    if not xs:
        raise TypeError("concatenate needs at least one operand")
    shapes = ", ".join(str(x.shape) for x in xs)
    if len({x.dtype for x in xs}) > 1:
        raise TypeError(f"concatenate requires operands of one dtype, got "
                        f"{', '.join(x.dtype.name for x in xs)} (shapes {shapes})"
                        f"{core.where_message()}")
    ndim = xs[0].ndim
    if not 0 <= dimension < ndim:
        raise ValueError(f"concatenate: dimension {dimension} is out of bounds for operands "
                         f"of rank {ndim} (shapes {shapes}){core.where_message()}")
    others = lambda s: s[:dimension] + s[dimension + 1:]
    if any(x.ndim != ndim or others(x.shape) != others(xs[0].shape) for x in xs):
        raise TypeError(f"concatenate: operand shapes {shapes} must agree except in "
                        f"dimension {dimension}{core.where_message()}")
    size = sum(x.shape[dimension] for x in xs)
    shape = xs[0].shape[:dimension] + (size,) + xs[0].shape[dimension + 1:]
    return ShapedArray(shape, xs[0].dtype, all(x.weak_type for x in xs))


concatenate_p = standard_primitive(
    "concatenate", lambda *xs, dimension: np.concatenate(xs, axis=dimension),
    _concatenate_shape, kind=core.INDEX_MAP, cost=core.COSTLY)


def _concatenate_transpose(ct, *xs, dimension):
    if type(ct) is Zero:
        return [None] * len(xs)
    out, start = [], 0
    for x in xs:
        aval = x.aval if ad.is_undef(x) else core.get_aval(x)
        stop = start + aval.shape[dimension]
        out.append(indexing.slice_in_dim(ct, start, stop, axis=dimension)
                   if ad.is_undef(x) else None)
        start = stop
    return out


ad.deflinear(concatenate_p, _concatenate_transpose)


def _concatenate_batch(axis_size, vals, dims, dimension):
    bdim = next(d for d in dims if d is not None)
    xs = [batching.move_to(x, d, bdim, axis_size) for x, d in zip(vals, dims)]
    return concatenate(xs, dimension + (dimension >= bdim)), bdim


batching.batch_rules[concatenate_p] = _concatenate_batch


def concatenate(operands, dimension):
    """Join ``operands`` (one dtype, same shapes off ``dimension``) along ``dimension``."""
    operands = list(operands)
    if not operands:
        raise TypeError("concatenate needs at least one operand" + core.where_message())
    ndim = core.get_aval(operands[0]).ndim
    if ndim == 0:
        raise ValueError("concatenate: operands must have rank at least 1, got rank 0"
                         + core.where_message())
    dimension = normalize_axis(dimension, ndim, "concatenate dimension")
    if len(operands) == 1 and not core.is_python_scalar(operands[0]):
        return operands[0]
    return core.bind(concatenate_p, *operands, dimension=dimension)


# ----------------------------------------------------------------------- pad

def _padded_size(n, lo, hi, interior):
    return lo + hi + n + max(n - 1, 0) * interior


def _pad_impl(x, padding_value, padding_config):
    # Pad with the non-negative parts of lo/hi (placing x with stride
    # interior+1), then cut away the negative parts.
    big = [max(lo, 0) + max(hi, 0) + n + max(n - 1, 0) * i
           for n, (lo, hi, i) in zip(x.shape, padding_config)]
    out = np.full(big, padding_value, dtype=x.dtype)
    place = tuple(slice(max(lo, 0), max(lo, 0) + n + max(n - 1, 0) * i, i + 1)
                  for n, (lo, hi, i) in zip(x.shape, padding_config))
    out[place] = x
    cut = tuple(slice(max(-lo, 0), b - max(-hi, 0))
                for b, (lo, hi, _) in zip(big, padding_config))
    return out[cut]


def _pad_shape(x, padding_value, padding_config):
    if padding_value.shape != ():
        raise TypeError(f"pad: padding_value must be a scalar, got shape "
                        f"{padding_value.shape} (operand shape {x.shape}){core.where_message()}")
    if padding_value.dtype != x.dtype:
        raise TypeError(f"pad: padding_value dtype {padding_value.dtype.name} must match the "
                        f"operand dtype {x.dtype.name}{core.where_message()}")
    if len(padding_config) != x.ndim:
        raise ValueError(f"pad: padding_config has {len(padding_config)} entries but the "
                         f"operand has rank {x.ndim} (shape {x.shape}){core.where_message()}")
    shape = []
    for axis, (n, (lo, hi, interior)) in enumerate(zip(x.shape, padding_config)):
        if interior < 0:
            raise ValueError(f"pad: interior padding {interior} of axis {axis} (rank "
                             f"{x.ndim}) must be non-negative{core.where_message()}")
        size = _padded_size(n, lo, hi, interior)
        if size < 0:
            raise ValueError(f"pad: padding {(lo, hi, interior)} of axis {axis} (rank "
                             f"{x.ndim}, size {n}) gives a negative size {size}"
                             f"{core.where_message()}")
        shape.append(size)
    return ShapedArray(shape, x.dtype, x.weak_type)


pad_p = standard_primitive("pad", _pad_impl, _pad_shape, kind=core.INDEX_MAP, cost=core.COSTLY)


def _pad_transpose(ct, x, padding_value, padding_config):
    if type(ct) is Zero:
        return [None, None]
    # Undo lo/hi (a negative lo/hi cut elements away: pad them back as zeros),
    # then take every (interior+1)-th element.
    unpadded = pad(ct, np.zeros((), ct.dtype), tuple((-lo, -hi, 0) for lo, hi, _ in padding_config))
    shape = core.get_aval(unpadded).shape
    t_x = indexing.slice(unpadded, (0,) * len(shape), shape,
                         tuple(i + 1 for _, _, i in padding_config))
    t_pv = None
    if ad.is_undef(padding_value):
        everything = tuple(range(len(shape)))
        t_pv = elementwise.sub(reductions.reduce_sum(ct, everything),
                               reductions.reduce_sum(t_x, everything))
    return [t_x if ad.is_undef(x) else None, t_pv]


ad.deflinear(pad_p, _pad_transpose)


def _pad_batch(axis_size, vals, dims, padding_config):
    (x, pv), (xd, pvd) = vals, dims
    if pvd is None:
        config = list(padding_config)
        config.insert(xd, (0, 0, 0))
        return pad(x, pv, tuple(config)), xd
    # A batched padding value: pad with zeros, then select the padding value
    # wherever a padded all-True mask is False. A batched x keeps its batch dim.
    d = 0 if xd is None else xd
    x = batching.move_to(x, xd, d, axis_size)
    aval = core.get_aval(x)
    config = list(padding_config)
    config.insert(d, (0, 0, 0))
    padded = pad(x, np.zeros((), aval.dtype), tuple(config))
    out_shape = core.get_aval(padded).shape
    mask = pad(full(aval.shape[:d] + aval.shape[d + 1:], True, bool), np.asarray(False),
               padding_config)
    mask = broadcast_in_dim(mask, out_shape, tuple(i for i in range(len(out_shape)) if i != d))
    pv = broadcast_in_dim(pv, out_shape, (d,))
    return elementwise.select_n(mask, pv, padded), d


batching.batch_rules[pad_p] = _pad_batch


def pad(operand, padding_value, padding_config):
    """Pad ``operand`` with ``padding_value``: ``padding_config`` holds (lo, hi, interior)
    per dimension; negative lo/hi remove elements."""
    config = tuple((int(lo), int(hi), int(i)) for lo, hi, i in padding_config)
    operand, padding_value = promote_weak("pad", operand, padding_value)
    return core.bind(pad_p, operand, padding_value, padding_config=config)


# ---------------------------------------------------------------------- iota

def _iota_impl(dtype, shape, dimension):
    line = np.arange(shape[dimension], dtype=dtype)
    expanded = [1] * len(shape)
    expanded[dimension] = shape[dimension]
    return np.ascontiguousarray(np.broadcast_to(line.reshape(expanded), shape))


def _iota_shape(dtype, shape, dimension):
    if not 0 <= dimension < len(shape):
        raise ValueError(f"iota: dimension {dimension} is out of bounds for shape {shape} "
                         f"of rank {len(shape)}{core.where_message()}")
    if np.dtype(dtype).kind not in "iufc":
        raise TypeError(f"iota requires a complex, integer or floating dtype, got "
                        f"{np.dtype(dtype).name}{core.where_message()}")
    return ShapedArray(shape, dtype)


iota_p = standard_primitive("iota", _iota_impl, _iota_shape, kind=core.INDEX_MAP, cost=core.FREE)
ad.defjvp_zero(iota_p)
# iota has no operands, so a batch interpreter never owns its inputs; the rule
# is here so the rule table is complete.
batching.batch_rules[iota_p] = lambda axis_size, vals, dims, **params: (
    core.bind(iota_p, **params), None)


def broadcasted_iota(dtype, shape, dimension):
    """An array of ``shape`` whose entries count up along ``dimension``."""
    shape = _shape_tuple(shape)
    dimension = normalize_axis(dimension, len(shape), "iota dimension") if shape else int(dimension)
    return core.bind(iota_p, dtype=dtypes.canonicalize(dtype, "iota dtype"), shape=shape,
                     dimension=dimension)


def iota(dtype, size):
    """``[0, 1, ..., size - 1]`` of ``dtype``."""
    return broadcasted_iota(dtype, (int(size),), 0)
