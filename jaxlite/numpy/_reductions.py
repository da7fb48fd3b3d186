"""Reductions: sum, prod, max, min, mean, var, std, argmax, argmin, all, any,
cumsum, with numpy's ``axis``/``keepdims``/``dtype`` arguments and JAX's
result dtypes (sums of bool/int32 stay int32, means of ints are float32).
"""
import builtins

import numpy as np

from jaxlite import dtypes, lax
# Modules, not names: the numpy modules import each other (used at call time).
from jaxlite.numpy import _elementwise
from jaxlite import numpy_util as util
from jaxlite.numpy_util import canonical_axes, canonical_dtype


def _operand(a):
    """Reductions see Python scalars as 0-d arrays (strongly typed)."""
    return util.strong(util.as_operand(a))


def _keep(out, in_shape, axes, keepdims):
    if not keepdims:
        return out
    return lax.reshape(out, tuple(1 if i in axes else d for i, d in enumerate(in_shape)))


def _check_out(out, name):
    if out is not None:
        raise TypeError(f"jnp.{name} does not support the out argument: jaxlite arrays are "
                        f"immutable")


def _sum_dtype(dt):
    """Sums and products of bool and narrow integers accumulate in the default
    (unsigned) int, as in JAX; wider ones keep their dtype."""
    if dt.kind in "bi" and dt.itemsize < dtypes.default_int().itemsize:
        return dtypes.default_int()
    if dt.kind == "u" and dt.itemsize < dtypes.default_uint().itemsize:
        return dtypes.default_uint()
    return dt


def _cum_dtype(dt):
    """Running sums and products keep integer dtypes; bool counts in the default int."""
    return dtypes.default_int() if dt.kind == "b" else dt


def _masked(a, where, fill):
    if where is None:
        return a
    return _elementwise.where(where, a, np.asarray(fill, util.aval(a).dtype))


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Sum over ``axis`` (all axes when None); bool and int32 sum in int32."""
    _check_out(out, "sum")
    a = _operand(a)
    dt = canonical_dtype(dtype) or _sum_dtype(util.aval(a).dtype)
    a = _masked(util.convert(a, dt), where, 0)
    axes = canonical_axes(axis, util.ndim(a))
    res = lax.reduce_sum(a, axes)
    if initial is not None:
        res = lax.add(res, np.asarray(initial, dt))
    return _keep(res, util.shape(a), axes, keepdims)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Product over ``axis``."""
    _check_out(out, "prod")
    a = _operand(a)
    dt = canonical_dtype(dtype) or _sum_dtype(util.aval(a).dtype)
    a = _masked(util.convert(a, dt), where, 1)
    axes = canonical_axes(axis, util.ndim(a))
    res = lax.reduce_prod(a, axes)
    if initial is not None:
        res = lax.mul(res, np.asarray(initial, dt))
    return _keep(res, util.shape(a), axes, keepdims)


def _extremum(name, lax_reduce, lax_binary):
    def f(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        _check_out(out, name)
        a = _operand(a)
        axes = canonical_axes(axis, util.ndim(a))
        shape = util.shape(a)
        if initial is None and builtins.any(shape[i] == 0 for i in axes):
            raise ValueError(f"zero-size array to reduction operation {name} which has no "
                             f"identity (shape {shape}, axis {axis})")
        if where is not None:
            if initial is None:
                raise ValueError(f"reduction operation {name} with where= needs initial=")
            a = _masked(a, where, initial)
        res = lax_reduce(a, axes)
        if initial is not None:
            res = lax_binary(res, np.asarray(initial, util.aval(a).dtype))
        return _keep(res, shape, axes, keepdims)
    f.__name__ = name
    f.__doc__ = f"The {name}imum over ``axis`` (NaN propagates)."
    return f


max = amax = _extremum("max", lax.reduce_max, lax.max)
min = amin = _extremum("min", lax.reduce_min, lax.min)


def _count(shape, axes):
    return int(np.prod([shape[i] for i in axes], dtype=np.int64))


def mean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    """Arithmetic mean over ``axis``; integer inputs average in float."""
    _check_out(out, "mean")
    a = _operand(a)
    dt = canonical_dtype(dtype) or util.to_inexact_dtype(util.aval(a).dtype)
    axes = canonical_axes(axis, util.ndim(a))
    total = sum(a, axis=axes, dtype=dt, keepdims=keepdims, where=where)
    if where is None:
        n = np.asarray(_count(util.shape(a), axes), dt)
    else:
        n = sum(util.broadcast_to_shape(util.asarray(where, bool), util.shape(a)),
                axis=axes, dtype=dt, keepdims=keepdims)
    return lax.div(total, n)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None):
    """Variance: mean squared deviation, divided by ``N - ddof``."""
    _check_out(out, "var")
    a = _operand(a)
    dt = canonical_dtype(dtype) or util.to_inexact_dtype(util.aval(a).dtype)
    a = util.convert(a, util.to_inexact_dtype(dt))
    axes = canonical_axes(axis, util.ndim(a))
    centered = lax.sub(a, util.broadcast_to_shape(
        mean(a, axis=axes, keepdims=True, where=where), util.shape(a)))
    if util.aval(centered).dtype.kind == "c":   # |a - mean|^2: a real variance, as JAX
        sq = lax.real(lax.mul(centered, lax.conj(centered)))
        dt = dtypes.real_dtype(dt)
    else:
        sq = lax.mul(centered, centered)
    total = sum(sq, axis=axes, keepdims=keepdims, where=where)
    tdt = util.aval(total).dtype
    # N - ddof <= 0 leaves no degrees of freedom: nan, as JAX (not a negative variance).
    if where is None:
        n = _count(util.shape(a), axes) - ddof
        out = lax.div(total, np.asarray(n if n > 0 else np.nan, tdt))
    else:
        n = sum(util.broadcast_to_shape(util.asarray(where, bool), util.shape(a)),
                axis=axes, dtype=tdt, keepdims=keepdims)
        denom = lax.sub(n, np.asarray(ddof, tdt))
        nan = util.broadcast_to_shape(np.asarray(np.nan, tdt), util.shape(total))
        out = lax.select_n(lax.gt(denom, np.asarray(0, tdt)), nan, lax.div(total, denom))
    return util.convert(out, dt)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None):
    """Standard deviation: ``sqrt(var(...))``."""
    return lax.sqrt(var(a, axis, dtype, out, ddof, keepdims, where))


def _arg_extremum(name, lax_fn):
    def f(a, axis=None, out=None, keepdims=False):
        _check_out(out, name)
        a = _operand(a)
        if axis is None:
            shape = util.shape(a)
            a = lax.reshape(a, (util.aval(a).size,))
            ax = 0
        else:
            ax = util.canonical_axis(axis, util.ndim(a))
            shape = util.shape(a)
        if util.shape(a)[ax] == 0:
            raise ValueError(f"attempt to get {name} of an empty sequence (shape {shape})")
        res = lax_fn(a, ax, dtypes.default_int())
        if keepdims:
            axes = tuple(range(len(shape))) if axis is None else (ax,)
            res = _keep(res, shape, axes, True)
        return res
    f.__name__ = name
    f.__doc__ = f"Index of the first {name[3:]}imum along ``axis`` (of the flattened array if None)."
    return f


argmax = _arg_extremum("argmax", lax.argmax)
argmin = _arg_extremum("argmin", lax.argmin)


def _bool_reduce(name, lax_reduce):
    def f(a, axis=None, out=None, keepdims=False, where=None):
        _check_out(out, name)
        a = _elementwise.to_bool(_operand(a))
        if where is not None:
            a = _masked(a, where, name == "all")
        axes = canonical_axes(axis, util.ndim(a))
        return _keep(lax_reduce(a, axes), util.shape(a), axes, keepdims)
    f.__name__ = name
    return f


all = _bool_reduce("all", lax.reduce_min)
any = _bool_reduce("any", lax.reduce_max)


def cumsum(a, axis=None, dtype=None, out=None):
    """Running sum along ``axis`` (of the flattened array if None)."""
    _check_out(out, "cumsum")
    a = _operand(a)
    dt = canonical_dtype(dtype) or _cum_dtype(util.aval(a).dtype)
    a = util.convert(a, dt)
    if axis is None:
        a = lax.reshape(a, (util.aval(a).size,))
        axis = 0
    return lax.cumsum(a, util.canonical_axis(axis, util.ndim(a)))


def count_nonzero(a, axis=None, keepdims=False):
    return sum(_elementwise.to_bool(_operand(a)), axis=axis, keepdims=keepdims)


def ptp(a, axis=None, keepdims=False):
    return lax.sub(max(a, axis, keepdims=keepdims), min(a, axis, keepdims=keepdims))


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    """The (weighted) mean over ``axis``; with ``returned``, also the sum of the
    weights (the element count without weights). 1-d ``weights`` apply along
    ``axis``."""
    if weights is None:
        a = _operand(a)
        avg = mean(a, axis, keepdims=keepdims)
        count = util.aval(a).size // builtins.max(util.aval(avg).size, 1)
        return (avg, lax.full(util.shape(avg), count, util.aval(avg).dtype)) \
            if returned else avg
    a, weights = util.promote_inexact(a, weights)
    if util.shape(weights) != util.shape(a):
        if axis is None:
            raise ValueError("Axis must be specified when shapes of a and weights differ.")
        if util.ndim(weights) != 1:
            raise ValueError("1D weights expected when shapes of a and weights differ.")
        ax = util.canonical_axis(axis, util.ndim(a))
        if util.shape(weights)[0] != util.shape(a)[ax]:
            raise ValueError("Length of weights not compatible with specified axis.")
        weights = lax.broadcast_in_dim(weights, util.shape(a), (ax,))
    scale = sum(weights, axis, keepdims=keepdims)
    avg = lax.div(sum(_elementwise.multiply(a, weights), axis, keepdims=keepdims), scale)
    return (avg, scale) if returned else avg


def _scan_along(a, axis, combine, identity):
    """Inclusive prefix combine along ``axis`` by doubling (Hillis-Steele):
    log2(n) rounds of shift-and-combine, each a slice, a pad and one op."""
    n = util.shape(a)[axis]
    nd = util.ndim(a)
    shift = 1
    while shift < n:
        cfg = [(0, 0, 0)] * nd
        cfg[axis] = (shift, -shift, 0)      # shift right by ``shift``, fill with identity
        shifted = lax.pad(a, np.asarray(identity, util.aval(a).dtype), tuple(cfg))
        a = combine(a, shifted)
        shift *= 2
    return a


def _cumulative(name, combine, identity_of):
    def f(a, axis=None, dtype=None, out=None):
        _check_out(out, name)
        a = _operand(a)
        dt = canonical_dtype(dtype) or (_cum_dtype(util.aval(a).dtype)
                                        if name == "cumprod" else util.aval(a).dtype)
        a = util.convert(a, dt)
        if axis is None:
            a = lax.reshape(a, (util.aval(a).size,))
            axis = 0
        axis = util.canonical_axis(axis, util.ndim(a))
        return _scan_along(a, axis, combine, identity_of(dt))
    f.__name__ = name
    f.__doc__ = f"Running {name[3:]} along ``axis`` (of the flattened array if None)."
    return f


def _lowest(dt):
    return -np.inf if dt.kind == "f" else (False if dt.kind == "b" else np.iinfo(dt).min)


def _highest(dt):
    return np.inf if dt.kind == "f" else (True if dt.kind == "b" else np.iinfo(dt).max)


cumprod = _cumulative("cumprod", lax.mul, lambda dt: 1)
cummax = _cumulative("cummax", lax.max, _lowest)
cummin = _cumulative("cummin", lax.min, _highest)


# ----------------------------------------------------- NaN-ignoring reductions

def _is_float(a):
    """Whether ``a`` can hold NaNs (float, or complex: NaN in either part)."""
    return util.aval(a).dtype.kind in "fc"


def _nan_mask(a):
    return lax.ne(a, a)


def _nan_replaced(a, value):
    """``a`` with its NaNs replaced by ``value`` (the identity of the reduction)."""
    fill = util.broadcast_to_shape(np.asarray(value, util.aval(a).dtype), util.shape(a))
    return lax.select_n(_nan_mask(a), a, fill)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """``sum`` treating NaNs as zero."""
    _check_out(out, "nansum")
    a = _operand(a)
    if _is_float(a):
        a = _nan_replaced(a, 0)
    return sum(a, axis, dtype, None, keepdims, initial, where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """``prod`` treating NaNs as one."""
    _check_out(out, "nanprod")
    a = _operand(a)
    if _is_float(a):
        a = _nan_replaced(a, 1)
    return prod(a, axis, dtype, None, keepdims, initial, where)


def _nan_count(a, axis, dtype, keepdims, where):
    return sum(_elementwise.logical_not(_nan_mask(a)), axis, dtype, None, keepdims, None, where)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    """Mean of the non-NaN elements; NaN where there are none."""
    _check_out(out, "nanmean")
    a = _operand(a)
    if not _is_float(a):
        return mean(a, axis, dtype, None, keepdims, where)
    dt = canonical_dtype(dtype) or util.aval(a).dtype
    total = nansum(a, axis, dt, None, keepdims, None, where)
    return lax.div(total, _nan_count(a, axis, util.aval(total).dtype, keepdims, where))


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None):
    """Variance of the non-NaN elements, divided by ``count - ddof``; NaN when
    that is not positive."""
    _check_out(out, "nanvar")
    a = _operand(a)
    if not _is_float(a):
        return var(a, axis, dtype, None, ddof, keepdims, where)
    dt = canonical_dtype(dtype) or util.aval(a).dtype
    a = util.convert(a, util.to_inexact_dtype(dt))
    axes = canonical_axes(axis, util.ndim(a))
    centered = lax.sub(a, util.broadcast_to_shape(
        nanmean(a, axes, keepdims=True, where=where), util.shape(a)))
    centered = _nan_replaced(centered, 0)
    if util.aval(centered).dtype.kind == "c":     # |c|^2: a real variance, as JAX
        sq = lax.real(lax.mul(centered, lax.conj(centered)))
        dt = dtypes.real_dtype(dt)
    else:
        sq = lax.mul(centered, centered)
    total = sum(sq, axes, None, None, keepdims, None, where)
    tdt = util.aval(total).dtype
    denom = lax.sub(_nan_count(a, axes, tdt, keepdims, where), np.asarray(ddof, tdt))
    positive = lax.gt(denom, np.asarray(0, tdt))
    nan = util.broadcast_to_shape(np.asarray(np.nan, tdt), util.shape(total))
    # Divide by 1 where the result is NaN anyway, so no 0/0 reaches the gradient.
    one = util.broadcast_to_shape(np.asarray(1, tdt), util.shape(total))
    res = lax.div(total, lax.select_n(positive, one, denom))
    return util.convert(lax.select_n(positive, nan, res), dt)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None):
    """``sqrt(nanvar(...))``."""
    return lax.sqrt(nanvar(a, axis, dtype, out, ddof, keepdims, where))


def _where_all_nan(res, a, axis, keepdims, where, value):
    """``res`` with ``value`` for the slices of ``a`` that are all NaN."""
    all_nan = all(_nan_mask(a), axis, None, keepdims, where)
    fill = util.broadcast_to_shape(np.asarray(value, util.aval(res).dtype), util.shape(res))
    return lax.select_n(all_nan, res, fill)


def _nan_extremum(name, reduce, fill):
    def f(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        _check_out(out, name)
        a = _operand(a)
        if not _is_float(a):
            return reduce(a, axis, None, keepdims, initial, where)
        res = reduce(_nan_replaced(a, fill), axis, None, keepdims, initial, where)
        if initial is not None:
            return res
        # A slice of nothing but NaN has no extremum: NaN, as JAX and numpy.
        return _where_all_nan(res, a, axis, keepdims, where, np.nan)
    f.__name__ = name
    f.__doc__ = f"``{name[3:]}`` ignoring NaNs; NaN for slices that are all NaN."
    return f


nanmax = _nan_extremum("nanmax", max, -np.inf)
nanmin = _nan_extremum("nanmin", min, np.inf)


def _nan_arg_extremum(name, arg_reduce, fill):
    def f(a, axis=None, out=None, keepdims=False):
        _check_out(out, name)
        a = _operand(a)
        if not _is_float(a):
            return arg_reduce(a, axis, None, keepdims)
        res = arg_reduce(_nan_replaced(a, fill), axis, None, keepdims)
        # JAX returns -1 for an all-NaN slice (numpy raises).
        return _where_all_nan(res, a, axis, bool(keepdims), None, -1)
    f.__name__ = name
    f.__doc__ = f"``{name[3:]}`` ignoring NaNs; -1 for slices that are all NaN (as JAX)."
    return f


nanargmax = _nan_arg_extremum("nanargmax", argmax, -np.inf)
nanargmin = _nan_arg_extremum("nanargmin", argmin, np.inf)


# ------------------------------------------------- array-API cumulative forms

def _cumulative_api(name, scan, identity):
    def f(x, /, *, axis=None, dtype=None, include_initial=False):
        x = _operand(x)
        nd = util.ndim(x)
        if axis is None:
            if nd > 1:
                raise ValueError(f"{name}: axis must be given for an array of rank {nd}")
            axis = 0
        axis = util.canonical_axis(axis, nd)
        res = scan(x, axis=axis, dtype=dtype)
        if not include_initial:
            return res
        cfg = [(0, 0, 0)] * nd
        cfg[axis] = (1, 0, 0)       # one identity element in front along ``axis``
        return lax.pad(res, np.asarray(identity, util.aval(res).dtype), tuple(cfg))
    f.__name__ = name
    f.__doc__ = (f"Array-API ``{name}`` along ``axis`` (optional for 1-d input); "
                 f"``include_initial`` prepends the identity ({identity}).")
    return f


cumulative_sum = _cumulative_api("cumulative_sum", cumsum, 0)
cumulative_prod = _cumulative_api("cumulative_prod", cumprod, 1)
