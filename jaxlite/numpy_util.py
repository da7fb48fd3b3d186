"""Shared machinery of jaxlite.numpy (and of nn and random, which are written
the same way): turning inputs into arrays, JAX's type promotion with weak
Python scalars, numpy broadcasting and axis checks.

Every jnp function funnels its array arguments through ``promote`` (dtype) and
``broadcast`` (shape) and then calls lax, whose ops need equal dtypes and
equal shapes (rank-0 operands excepted).
"""
import builtins

import numpy as np

from jaxlite import core, dtypes, lax
from jaxlite.util import normalize_axis

_PY_KIND = {bool: 0, int: 1, float: 2, complex: 3}


def py_default(t):
    """The dtype of a Python scalar type (bool, int, float, complex) in the current mode."""
    return dtypes.default_for_kind(_PY_KIND[t])


def canonical_dtype(dtype):
    """A user-supplied dtype as a supported one; the Python types map to JAX's
    defaults (``int`` -> int32, ``float`` -> float32; 64-bit in x64 mode)."""
    if dtype is None:
        return None
    if dtype in _PY_KIND:
        return py_default(dtype)
    return dtypes.canonicalize(dtype, "requested dtype")


def is_array(x):
    return isinstance(x, (core.Tracer, np.ndarray))


def _leaves(x):
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out.extend(_leaves(v))
        return out
    return [x]


def _check_int_range(x):
    if type(x) is int:
        info = np.iinfo(dtypes.default_int())
        if not info.min <= x <= info.max:
            raise OverflowError(f"Python int {x} too large to convert to {info.dtype.name}")


def asarray(x, dtype=None):
    """``x`` as a jaxlite value: a Tracer stays a Tracer, anything else becomes a
    read-only ``core.Array`` with JAX's dtype defaults (Python floats -> float32)."""
    dtype = canonical_dtype(dtype)
    if hasattr(x, "__jax_array__") and not isinstance(x, (core.Tracer, np.ndarray)):
        x = x.__jax_array__()       # an object that says how to become an array (JAX's protocol)
    if isinstance(x, core.Tracer):
        return x if dtype is None else lax.convert_element_type(x, dtype)
    if isinstance(x, (list, tuple)):
        leaves = _leaves(x)
        if builtins.any(isinstance(v, core.Tracer) for v in leaves):
            return _stack_nested(x, dtype)
        if dtype is None and leaves:
            dtype = dtypes.result_type(*[_leaf_type(v) for v in leaves])[0]
        elif dtype is None:
            dtype = dtypes.default_float()      # jnp.array([]) is float32
        return core.wrap(np.asarray(x, dtype))
    if type(x) in _PY_KIND:
        _check_int_range(x)
        return core.wrap(np.asarray(x, dtype or py_default(type(x))))
    try:
        aval = core.get_aval(x)
    except TypeError:
        raise TypeError(f"jaxlite.numpy cannot convert {x!r} of type {type(x).__name__} "
                        f"to an array") from None
    return core.wrap(np.asarray(x, dtype or aval.dtype))


def _leaf_type(v):
    if type(v) in _PY_KIND:
        _check_int_range(v)
    aval = core.get_aval(v)
    return aval.dtype, aval.weak_type


def _stack_nested(x, dtype):
    """jnp.array([tracer, ...]): stack the elements (recursively for nested lists),
    as jnp.stack does (same shapes required, promoted, then joined on a new axis)."""
    elems = [_stack_nested(v, dtype) if isinstance(v, (list, tuple)) else v for v in x]
    elems = [strong(as_operand(e)) for e in elems]
    shapes = [shape(e) for e in elems]
    if len(set(shapes)) > 1:
        raise TypeError(f"stack: all input arrays must have the same shape, got shapes "
                        f"{', '.join(map(str, shapes))}{core.where_message()}")
    rows = [strong(r) for r in promote(*[lax.reshape(e, (1,) + shapes[0]) for e in elems])]
    out = rows[0] if len(rows) == 1 else lax.concatenate(rows, 0)
    return out if dtype is None else lax.convert_element_type(out, dtype)


def as_operand(x):
    """``x`` as something lax accepts, keeping Python scalars (they are weak)."""
    if isinstance(x, core.Tracer) or type(x) in _PY_KIND:
        if type(x) is int:
            _check_int_range(x)
        return x
    if isinstance(x, np.ndarray) and x.dtype in dtypes.SUPPORTED:
        # A view as core.Array, so even identity results (x.reshape(x.shape)) are Arrays.
        return core.wrap(x)
    if isinstance(x, (list, tuple)):
        # As JAX: a list is ambiguous (an array? a pytree?), so jnp functions refuse it.
        raise TypeError(f"jaxlite.numpy functions require ndarray or scalar arguments, got "
                        f"{type(x)}: convert it with jnp.asarray first"
                        f"{core.where_message()}")
    return asarray(x)


def aval(x):
    return core.get_aval(x)


def shape(x):
    return core.get_aval(x).shape


def ndim(x):
    return core.get_aval(x).ndim


# ------------------------------------------------------------------ dtypes

def result_type(*args):
    """JAX's promoted ``(dtype, weak_type)`` of the arguments."""
    return dtypes.result_type(*[(a.dtype, a.weak_type) for a in map(core.get_aval, args)])


def to_inexact_dtype(dt):
    """The float dtype an int/bool input computes in: (u)int64 -> float64, else float32."""
    return dtypes.to_inexact(dt)


def convert(x, dt, weak=False):
    """``x`` with dtype ``dt``; Python scalars keep being Python scalars when
    their default dtype is already ``dt`` (so they stay weak under tracing)."""
    if type(x) in _PY_KIND:
        if py_default(type(x)) == dt:
            return x
        if weak:
            # A weak result (weak x * 2, weak x + True): the scalar becomes the
            # Python scalar of dt's kind, so it stays weak, when dt is that
            # kind's default.
            for t in (int, float, complex):
                if py_default(t) == dt and _PY_KIND[t] > _PY_KIND[type(x)]:
                    return t(x)
        if type(x) is int and np.dtype(dt).kind in "iu":
            # As JAX: the int (range-checked at the default int width) wraps
            # to a narrower dtype, so int8 + 300 is int8 + 44, not an error.
            return np.asarray(x, py_default(int)).astype(dt)
        return np.asarray(x, dt)
    if core.get_aval(x).dtype == dt:
        return x
    return lax.convert_element_type(x, dt, weak_type=weak)


def promote(*args, dtype=None):
    """Operands converted to their common JAX dtype (or ``dtype``)."""
    args = [as_operand(a) for a in args]
    if dtype is not None:
        dt, weak = canonical_dtype(dtype), False
    else:
        dt, weak = result_type(*args)
    return [convert(a, dt, weak) for a in args]


def promote_inexact(*args):
    """Operands promoted together, then to a float dtype (as jnp.exp etc. do)."""
    if len(args) == 1:      # one float array or tracer (jnp.sin(x)): itself
        x = args[0]
        if ((type(x) is core.Array or isinstance(x, core.Tracer))
                and x.dtype in _FLOAT32_64):
            return [x]
    args = [as_operand(a) for a in args]
    dt, weak = result_type(*args)
    dt = to_inexact_dtype(dt)
    return [convert(a, dt, weak) for a in args]


_FLOAT32_64 = frozenset([np.dtype(np.float32), np.dtype(np.float64)])


def strong(x):
    """A value that is not weakly typed (a Python scalar becomes a 0-d array)."""
    if type(x) in _PY_KIND:
        return np.asarray(x, py_default(type(x)))
    return x


# -------------------------------------------------------------- broadcasting

def broadcast_shapes(*shapes, what="broadcast", error=ValueError):
    """numpy's broadcast shape, or ``error`` naming every shape (JAX raises
    ValueError, except in its binary ufuncs, whose lax op raises TypeError)."""
    ndim_out = builtins.max((len(s) for s in shapes), default=0)
    out = []
    for i in range(ndim_out):
        size = 1
        for s in shapes:
            d = s[i - ndim_out + len(s)] if i - ndim_out + len(s) >= 0 else 1
            if d == 1:
                continue
            if size not in (1, d):
                raise error(f"{what}: Incompatible shapes for broadcasting: shapes="
                                f"[{', '.join(str(tuple(t)) for t in shapes)}]"
                                f"{core.where_message()}")
            size = d
        out.append(size)
    return tuple(out)


def broadcast_to_shape(x, shape_):
    """``x`` broadcast (numpy rules) to exactly ``shape_``."""
    xs = core.get_aval(x).shape
    if xs == tuple(shape_) and not core.is_python_scalar(x):
        return x
    if len(xs) > len(shape_) or builtins.any(
            d not in (1, t) for d, t in zip(xs, shape_[len(shape_) - len(xs):])):
        raise ValueError(f"cannot broadcast an array of shape {xs} to shape {tuple(shape_)}"
                        f"{core.where_message()}")
    lead = len(shape_) - len(xs)
    return lax.broadcast_in_dim(strong(x), tuple(shape_), tuple(range(lead, len(shape_))))


def broadcast(*args, what="broadcast", keep_scalars=True, error=ValueError):
    """Operands broadcast to their common shape. Rank-0 operands are left alone
    when ``keep_scalars`` (lax's elementwise ops broadcast them themselves)."""
    shapes = [core.get_aval(a).shape for a in args]
    out_shape = broadcast_shapes(*shapes, what=what, error=error)
    return [a if s == out_shape or (keep_scalars and s == ()) else broadcast_to_shape(a, out_shape)
            for a, s in zip(args, shapes)]


# --------------------------------------------------------------------- axes

def _strict_axis(axis, rank, what="axis"):
    # lax's normalize_axis lets axis 0/-1 through for rank 0; a jnp function given
    # an axis of a scalar would then index an empty shape, so refuse it here (as JAX).
    if rank == 0:
        raise ValueError(f"{what} {int(axis)} is out of bounds for array of rank 0")
    return normalize_axis(axis, rank, what)


def canonical_axis(axis, rank):
    return _strict_axis(operator_index(axis, "axis"), rank)


def canonical_axes(axis, rank, what="axis"):
    """``axis`` (None, int or sequence) as a sorted tuple of distinct non-negative axes."""
    if axis is None:
        return tuple(range(rank))
    if isinstance(axis, (tuple, list)):
        axes = tuple(_strict_axis(operator_index(a, what), rank, what) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"repeated axis in {what} {tuple(axis)} for array of rank {rank}")
        return tuple(sorted(axes))
    return (_strict_axis(operator_index(axis, what), rank, what),)


def operator_index(x, what="value"):
    """A static Python int from ``x`` (TypeError if it is traced or not integral)."""
    if type(x) is int:
        return x
    if isinstance(x, core.Tracer):
        x = x.concrete_value()
    try:
        return int(np.asarray(x).item()) if np.ndim(x) == 0 and np.asarray(x).dtype.kind in "iu" \
            else x.__index__()
    except (AttributeError, TypeError):
        raise TypeError(f"{what} must be an integer, got {x!r}") from None


def is_concrete(*xs):
    """Whether every one of ``xs`` has a known value (not a tracer, or one
    whose value is known, as during eager autodiff)."""
    for x in xs:
        if isinstance(x, core.Tracer):
            try:
                x.concrete_value()
            except core.ConcretizationTypeError:
                return False
    return True


def concrete_shape(shape_, what="shape"):
    if isinstance(shape_, (int, np.integer)) or (is_array(shape_) and np.ndim(shape_) == 0):
        return (operator_index(shape_, what),)
    return tuple(operator_index(d, what) for d in shape_)
