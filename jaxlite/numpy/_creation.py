"""Array creation: array/asarray, zeros/ones/full(_like), arange, linspace, eye.

Creation from static arguments builds the array with numpy right away (a
constant, as JAX's would be after constant folding); only a traced fill value
needs a lax op.
"""
import numpy as np

from jaxlite import core, dtypes, lax
# Modules, not names: the numpy modules import each other (used at call time).
from jaxlite.numpy import _elementwise as el, _shape
from jaxlite import numpy_util as util
from jaxlite.numpy_util import canonical_dtype, concrete_shape


def array(object, dtype=None, copy=True, ndmin=0):
    """Like ``numpy.array`` with JAX's dtype defaults (Python floats -> float32)."""
    if isinstance(object, np.ndarray) and not isinstance(object, core.Array) and copy:
        object = np.array(object)     # later writes to the user's array must not show
    out = util.asarray(object, dtype)
    nd = util.ndim(out)
    if ndmin > nd:
        out = lax.reshape(out, (1,) * (ndmin - nd) + util.shape(out))
    return out


def asarray(a, dtype=None, copy=None):
    """``a`` as a jaxlite array (no copy when it already is one). A writeable
    numpy array is copied, as JAX copies it to the device: later writes to the
    user's array must not change the jaxlite one."""
    if (isinstance(a, np.ndarray) and not isinstance(a, core.Array) and a.flags.writeable
            and copy is not False):
        a = np.array(a)
    return util.asarray(a, dtype)


def _fill(shape, value, dtype):
    shape = concrete_shape(shape)
    if any(d < 0 for d in shape):
        raise ValueError(f"negative dimensions are not allowed: shape {shape}")
    dtype = canonical_dtype(dtype)
    value = _fill_operand(value, dtype)
    if dtype is None:
        dtype = util.aval(value).dtype
    if isinstance(value, core.Tracer):
        return util.broadcast_to_shape(lax.convert_element_type(value, dtype), shape)
    # lax.full: a broadcast scalar, so under jit a literal rather than a big constant.
    return lax.full(shape, np.asarray(value).astype(dtype), dtype)


def _fill_operand(value, dtype):
    """``value`` checked before numpy's astype sees it: astype would drop the
    imaginary part of a complex, parse a string, or wrap an int that does not fit."""
    if type(value) is int and dtype is not None and dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise OverflowError(f"fill value {value} does not fit in {dtype.name}")
        return value
    if type(value) is int and dtype is not None:
        return value            # an int fill of a float/bool array: any size is fine
    return util.as_operand(value)


def zeros(shape, dtype=None):
    return _fill(shape, 0, dtype or dtypes.default_float())


def ones(shape, dtype=None):
    return _fill(shape, 1, dtype or dtypes.default_float())


def empty(shape, dtype=None):
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None):
    """An array of ``shape`` filled with ``fill_value`` (which may be an array that
    broadcasts to ``shape``)."""
    if util.is_array(fill_value) and util.ndim(fill_value):
        v = util.asarray(fill_value, dtype)
        return util.broadcast_to_shape(v, concrete_shape(shape))
    return _fill(shape, fill_value, dtype)


def _like(a, dtype, shape):
    av = util.aval(util.as_operand(a))
    return (av.shape if shape is None else shape), (dtype or av.dtype)


def zeros_like(a, dtype=None, shape=None):
    s, dt = _like(a, dtype, shape)
    return _fill(s, 0, dt)


def ones_like(a, dtype=None, shape=None):
    s, dt = _like(a, dtype, shape)
    return _fill(s, 1, dt)


def empty_like(a, dtype=None, shape=None):
    return zeros_like(a, dtype, shape)


def full_like(a, fill_value, dtype=None, shape=None):
    s, dt = _like(a, dtype, shape)
    return full(s, fill_value, dt)


def _static_number(x, name):
    if isinstance(x, core.Tracer):
        raise core.ConcretizationTypeError(
            f"jnp.{name} needs concrete (static) bounds, got a traced value {x.aval}; its "
            f"output shape depends on them{core.where_message()}")
    return x


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in [start, stop); int arguments give int32, as in JAX."""
    for v in (start, stop, step):
        _static_number(v, "arange")
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    if dtype is None:
        dtype = util.result_type(*[util.as_operand(v) for v in (start, stop, step)])[0]
    dtype = canonical_dtype(dtype)
    start, stop, step = (np.asarray(v).item() for v in (start, stop, step))
    if dtype.kind in "iu" and all(float(v).is_integer() for v in (start, stop, step)):
        # lax.iota: under jit an equation rather than an embedded constant.
        n = len(range(int(start), int(stop), int(step)))
        out = lax.iota(dtype, n)
        if step != 1:
            out = lax.mul(out, np.asarray(step, dtype))
        return lax.add(out, np.asarray(start, dtype)) if start else out
    return core.wrap(np.arange(start, stop, step, dtype=dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (float32 by default)."""
    num = util.operator_index(num, "num")
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    if dtype is None:
        dt = util.result_type(util.as_operand(start), util.as_operand(stop))[0]
        dtype = util.to_inexact_dtype(dt)
    dtype = canonical_dtype(dtype)
    bounds = util.broadcast_shapes(util.shape(util.as_operand(start)),
                                    util.shape(util.as_operand(stop)), what="linspace")
    axis = util.canonical_axis(axis, len(bounds) + 1)
    if isinstance(start, core.Tracer) or isinstance(stop, core.Tracer):
        return _traced_linspace(start, stop, num, endpoint, retstep, dtype, axis)
    complex_bounds = "c" in (util.aval(util.as_operand(v)).dtype.kind for v in (start, stop))
    compute = np.complex128 if dtype.kind == "c" or complex_bounds else np.float64
    out, step = np.linspace(np.asarray(start, compute), np.asarray(stop, compute), num,
                            endpoint=endpoint, retstep=True, axis=axis)
    if dtype.kind in "iu":
        out = np.floor(out)     # integer samples round down (numpy >= 2, JAX), not to zero
    out = core.wrap(out.astype(dtype))
    # As JAX, the step is an array of the computation's float dtype (float32 by default).
    step = core.wrap(np.asarray(step, util.to_inexact_dtype(dtype)))
    return (out, step) if retstep else out


def _traced_linspace(start, stop, num, endpoint, retstep, dtype, axis):
    ft = util.to_inexact_dtype(dtype)
    start, stop = util.broadcast(*util.promote(start, stop, dtype=ft), keep_scalars=False)
    div = (num - 1) if endpoint else num
    step = el.divide(el.subtract(stop, start), div) if div > 0 else \
        util.broadcast_to_shape(np.asarray(np.nan, ft), util.shape(start))
    # start * (1 - t) + stop * t: the last sample is stop exactly when endpoint is set.
    t = core.wrap((np.arange(num) / max(div, 1)).astype(ft))
    t = lax.reshape(t, (num,) + (1,) * util.ndim(start))
    out = el.add(el.multiply(start, el.subtract(np.asarray(1, ft), t)), el.multiply(stop, t))
    out = _shape.moveaxis(out, 0, axis)
    if dtype.kind in "iu":
        out = lax.floor(out)
    out = lax.convert_element_type(out, dtype)
    return (out, step) if retstep else out


def eye(N, M=None, k=0, dtype=None):
    """The identity matrix (with diagonal offset ``k``)."""
    N = util.operator_index(N, "N")
    M = N if M is None else util.operator_index(M, "M")
    return core.wrap(np.eye(N, M, k, dtype=canonical_dtype(dtype or dtypes.default_float())))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    return core.wrap(np.tri(N, M, k, dtype=canonical_dtype(dtype or dtypes.default_float())))


# ------------------------------------------------- log-spaced samples, indices

def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``base ** linspace(start, stop, ...)``."""
    if dtype is None:
        dt = util.result_type(util.as_operand(start), util.as_operand(stop))[0]
        dtype = util.to_inexact_dtype(dt)
    dtype = canonical_dtype(dtype)
    ft = util.to_inexact_dtype(dtype)
    exponents = linspace(start, stop, num, endpoint, dtype=ft, axis=axis)
    out = el.power(util.convert(util.as_operand(base), ft), exponents)
    return lax.convert_element_type(out, dtype) if dtype != ft else out


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` samples from ``start`` to ``stop`` with a constant ratio; both ends
    must have the same sign and neither may be zero."""
    for v in (start, stop):
        if not isinstance(v, core.Tracer) and np.any(np.asarray(v) == 0):
            raise ValueError("geomspace: a geometric sequence cannot include zero")
    if dtype is None:
        dt = util.result_type(util.as_operand(start), util.as_operand(stop))[0]
        dtype = util.to_inexact_dtype(dt)
    dtype = canonical_dtype(dtype)
    ft = util.to_inexact_dtype(dtype)
    start, stop = util.broadcast(*util.promote(start, stop, dtype=ft), keep_scalars=False)
    # Work on magnitudes (negative ends give a negated sequence, like numpy).
    sign = el.sign(start)
    logs = linspace(el.log10(el.abs(start)), el.log10(el.abs(stop)), num, endpoint, dtype=ft)
    out = el.multiply(sign, el.power(np.asarray(10, ft), logs))
    # The ends exactly, not 10 ** log10(.) rounded.
    if num > 0:
        out = out.at[0].set(start)
        if endpoint and num > 1:
            out = out.at[num - 1].set(stop)
    out = _shape.moveaxis(out, 0, util.canonical_axis(axis, util.ndim(out)))
    return lax.convert_element_type(out, dtype) if dtype != ft else out


def _triangle_indices(np_fn, n, k, m):
    n = util.operator_index(n, "n")
    k = util.operator_index(k, "k")
    m = n if m is None else util.operator_index(m, "m")
    return tuple(core.wrap(i.astype(dtypes.default_int())) for i in np_fn(n, k, m))


def tril_indices(n, k=0, m=None):
    """Row and column indices (int32) of the lower triangle of an (n, m) array."""
    return _triangle_indices(np.tril_indices, n, k, m)


def triu_indices(n, k=0, m=None):
    """Row and column indices (int32) of the upper triangle of an (n, m) array."""
    return _triangle_indices(np.triu_indices, n, k, m)


def _from_shape(name, arr):
    s = util.shape(util.as_operand(arr))
    if len(s) != 2:
        raise ValueError(f"{name} needs a 2-d array, got shape {s}")
    return s


def tril_indices_from(arr, k=0):
    n, m = _from_shape("tril_indices_from", arr)
    return tril_indices(n, k, m)


def triu_indices_from(arr, k=0):
    n, m = _from_shape("triu_indices_from", arr)
    return triu_indices(n, k, m)


def indices(dimensions, dtype=None, sparse=False):
    """The index grid of an array of shape ``dimensions``: one array per axis."""
    dims = concrete_shape(dimensions, "dimensions")
    dtype = canonical_dtype(dtype or dtypes.default_int())
    grids = np.indices(dims, dtype=dtype, sparse=sparse)
    if sparse:
        return tuple(core.wrap(g) for g in grids)
    return core.wrap(grids)
