"""Shape-changing primitives: broadcast_in_dim, reshape, transpose, and the
rest of the structural family. One block per primitive with all its rules.
"""
import numpy as np

from jaxlite import core
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.interpreters.ad import Zero
from jaxlite.lax._rules import standard_primitive


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
                                        _broadcast_in_dim_shape)


def _broadcast_in_dim_transpose(ct, x, shape, broadcast_dimensions):
    if type(ct) is Zero:
        return [None]
    from jaxlite.lax.reductions import reduce_sum
    in_shape = x.aval.shape
    new_dims = tuple(d for d in range(len(shape)) if d not in broadcast_dimensions)
    stretched = tuple(d for i, d in enumerate(broadcast_dimensions)
                      if in_shape[i] == 1 and shape[d] != 1)
    summed = reduce_sum(ct, tuple(sorted(new_dims + stretched))) if new_dims + stretched else ct
    return [reshape(summed, in_shape) if stretched else summed]


def _broadcast_in_dim_batch(axis_size, vals, dims, shape, broadcast_dimensions):
    (x,), (d,) = vals, dims
    x = batching.moveaxis(x, d, 0)
    return broadcast_in_dim(x, (axis_size,) + tuple(shape),
                            (0,) + tuple(b + 1 for b in broadcast_dimensions)), 0


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
    from jaxlite import dtypes
    shape = _shape_tuple(shape)
    if dtype is None:
        dtype = core.get_aval(fill_value).dtype
    dtype = dtypes.canonicalize(dtype)
    if isinstance(fill_value, core.Tracer):
        from jaxlite.lax.elementwise import convert_element_type
        fill = convert_element_type(fill_value, dtype)
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
    "reshape", lambda x, new_sizes, dimensions=None: np.reshape(x, new_sizes), _reshape_shape)
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
                                 _transpose_shape)
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
