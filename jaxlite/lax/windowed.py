"""Windowed reductions (pooling) and their derivatives, plus the cumulative
and top-k operations built from lax primitives.

Window geometry per dimension, as XLA's: the operand is dilated
(``base_dilation - 1`` holes between elements) and padded (``padding``);
output element o reduces the elements at o*stride + j*window_dilation for
j < window. Holes and padding hold the reduction's identity.

Primitives (all kind KERNEL, lowered by compiler/windows.py):

* reduce_window_sum / max / min: the reductions. Sum is linear (its
  transpose is a sum over the windows of a dilated, padded cotangent).
* select_and_gather_add(t, x): t at the position of each window's maximum
  (minimum) of x, first one on ties: the jvp of max (min) pooling.
* select_and_scatter_add(s, x): each s[o] added at the position of window
  o's maximum (minimum) of x: the transpose of select_and_gather_add, so
  max pooling's gradient, picking one maximum per window as JAX does.
"""
import numpy as np

from jaxlite import core, dtypes
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching, partial_eval as pe
from jaxlite.interpreters.ad import Zero
from jaxlite.lax._rules import check_dtype, normalize_axis, standard_primitive
from jaxlite.lax import convolution, elementwise, indexing, reductions, sorting, structural

__all__ = ["reduce_window_sum_p", "reduce_window_max_p", "reduce_window_min_p",
           "select_and_gather_add_p", "select_and_scatter_add_p", "reduce_window",
           "reduce_window_sum", "reduce_window_max", "reduce_window_min",
           "reduce_window_shape_tuple", "cumlogsumexp", "top_k"]

_PARAMS = ("window_dimensions", "window_strides", "padding", "base_dilation",
           "window_dilation")


def _dilated(n, d):
    return 0 if n == 0 else (n - 1) * d + 1


def _identity(kind, dtype):
    dtype = np.dtype(dtype)
    if kind == "sum":
        return np.zeros((), dtype)
    if dtype.kind in "fc":      # complex: (-)inf + 0j, below (above) every number
        return np.asarray(-np.inf if kind == "max" else np.inf, dtype)
    if dtype.kind == "b":
        return np.asarray(kind == "min", dtype)
    info = np.iinfo(dtype)
    return np.asarray(info.min if kind == "max" else info.max, dtype)


# ------------------------------------------------------------ shape rule

def reduce_window_shape_tuple(operand_shape, window_dimensions, window_strides, padding,
                              base_dilation=None, window_dilation=None):
    """The output shape of a windowed reduction."""
    nd = len(operand_shape)
    base_dilation = base_dilation or (1,) * nd
    window_dilation = window_dilation or (1,) * nd
    out = []
    for n, k, s, (lo, hi), bd, wd in zip(operand_shape, window_dimensions, window_strides,
                                         padding, base_dilation, window_dilation):
        size = _dilated(n, bd) + lo + hi
        eff = _dilated(k, wd)
        out.append((size - eff) // s + 1 if size >= eff else 0)
    return tuple(out)


def _check_geometry(name, shape, window_dimensions, window_strides, padding, base_dilation,
                    window_dilation):
    nd = len(shape)
    for what, v in (("window_dimensions", window_dimensions), ("window_strides", window_strides),
                    ("base_dilation", base_dilation), ("window_dilation", window_dilation),
                    ("padding", padding)):
        if len(v) != nd:
            raise TypeError(f"{name} got the wrong number of {what} for operand: got operand "
                            f"shape {tuple(shape)} with {what} {tuple(v)}."
                            f"{core.where_message()}")
        if what != "padding" and min(v, default=1) < 1:
            raise TypeError(f"{name} {what} must have every element be strictly positive, "
                            f"got {tuple(v)}.{core.where_message()}")


def _window_shape(name, kinds):
    def rule(x, window_dimensions, window_strides, padding, base_dilation, window_dilation):
        check_dtype(name, x, kinds)
        _check_geometry(name, x.shape, window_dimensions, window_strides, padding,
                        base_dilation, window_dilation)
        shape = reduce_window_shape_tuple(x.shape, window_dimensions, window_strides, padding,
                                          base_dilation, window_dilation)
        return ShapedArray(shape, x.dtype, x.weak_type)
    return rule


# ------------------------------------------------------------------ impl

def _windows(x, fill, window_dimensions, window_strides, padding, base_dilation,
             window_dilation):
    """(view of shape out + window, out shape): every window of the dilated,
    padded operand as trailing axes (holes and padding hold ``fill``)."""
    nd = x.ndim
    shape = tuple(_dilated(n, d) for n, d in zip(x.shape, base_dilation))
    y = np.full(shape, fill, x.dtype)
    y[tuple(slice(None, None, d) for d in base_dilation)] = x
    y = np.pad(y, [(max(lo, 0), max(hi, 0)) for lo, hi in padding], constant_values=fill)
    y = y[tuple(slice(-min(lo, 0), y.shape[i] + min(hi, 0)) for i, (lo, hi) in enumerate(padding))]
    out = reduce_window_shape_tuple(x.shape, window_dimensions, window_strides, padding,
                                    base_dilation, window_dilation)
    eff = tuple(_dilated(k, d) for k, d in zip(window_dimensions, window_dilation))
    if 0 in out or 0 in eff:
        return np.full(out + tuple(window_dimensions), fill, x.dtype), out
    v = np.lib.stride_tricks.sliding_window_view(y, eff)
    take = (tuple(slice(0, o * s, s) for o, s in zip(out, window_strides))
            + tuple(slice(None, None, d) for d in window_dilation))
    return v[take][tuple(slice(0, o) for o in out)], out


def _reduce_impl(kind):
    fn = {"sum": np.sum, "max": np.max, "min": np.min}[kind]

    def impl(x, **params):
        w, out = _windows(x, _identity(kind, x.dtype), **params)
        axes = tuple(range(len(out), w.ndim))
        if w.size == 0:
            return np.full(out, _identity(kind, x.dtype), x.dtype)
        return np.asarray(fn(w, axis=axes), x.dtype)
    return impl


reduce_window_sum_p = standard_primitive("reduce_window_sum", _reduce_impl("sum"),
                                         _window_shape("reduce_window_sum", "ifc"),
                                         kind=core.KERNEL, cost=core.COSTLY)
reduce_window_max_p = standard_primitive("reduce_window_max", _reduce_impl("max"),
                                         _window_shape("reduce_window_max", "bifc"),
                                         kind=core.KERNEL, cost=core.COSTLY)
reduce_window_min_p = standard_primitive("reduce_window_min", _reduce_impl("min"),
                                         _window_shape("reduce_window_min", "bifc"),
                                         kind=core.KERNEL, cost=core.COSTLY)


def _chosen(x, select_prim, params):
    """Flat index (into x) of the first maximum (minimum) of each window, -1 for a
    window of padding only; also the output shape."""
    kind = "max" if select_prim == "ge" else "min"
    pos = np.arange(x.size, dtype=np.int64).reshape(x.shape)
    wx, out = _windows(x, _identity(kind, x.dtype), **params)
    wp, _ = _windows(pos, np.int64(-1), **params)
    wsize = int(np.prod(params["window_dimensions"]))
    if wsize == 0 or 0 in out:
        return np.full(out, -1, np.int64), out
    flat_x = wx.reshape(out + (wsize,))
    flat_p = wp.reshape(out + (wsize,))
    # Padding never wins against a real element (it holds the identity, which
    # a real element equals or beats): prefer real positions among equals.
    real = flat_p >= 0
    key = np.where(real, flat_x, _identity(kind, x.dtype))
    best = (np.max if kind == "max" else np.min)(key, axis=-1, keepdims=True)
    hit = (key == best) & real
    if x.dtype.kind == "f":
        hit |= np.isnan(key) & real & np.isnan(best)
    first = np.argmax(hit, axis=-1)
    chosen = np.take_along_axis(flat_p, first[..., None], -1)[..., 0]
    return np.where(hit.any(-1), chosen, -1), out


def _gather_impl(t, x, select_prim, **params):
    chosen, out = _chosen(x, select_prim, params)
    flat = np.concatenate([t.reshape(-1), np.zeros(1, t.dtype)])
    return flat[np.where(chosen >= 0, chosen, t.size)].reshape(out)


def _scatter_impl(s, x, select_prim, **params):
    chosen, _ = _chosen(x, select_prim, params)
    out = np.zeros(x.size + 1, s.dtype)
    np.add.at(out, np.where(chosen >= 0, chosen, x.size).reshape(-1), s.reshape(-1))
    return out[:-1].reshape(x.shape)


def _gather_shape(t, x, select_prim, **params):
    if t.shape != x.shape:
        raise TypeError(f"select_and_gather_add: tangent shape {t.shape} must equal operand "
                        f"shape {x.shape}{core.where_message()}")
    return _window_shape("select_and_gather_add", "if")(t, **params)


def _scatter_shape(s, x, select_prim, **params):
    out = _window_shape("select_and_scatter_add", "bif")(x, **params)
    if s.shape != out.shape:
        raise TypeError(f"select_and_scatter_add: source shape {s.shape} must equal the "
                        f"window output shape {out.shape} of operand shape {x.shape}"
                        f"{core.where_message()}")
    return ShapedArray(x.shape, s.dtype, s.weak_type)


select_and_gather_add_p = standard_primitive("select_and_gather_add", _gather_impl,
                                             _gather_shape, kind=core.KERNEL,
                                             cost=core.COSTLY)
select_and_scatter_add_p = standard_primitive("select_and_scatter_add", _scatter_impl,
                                              _scatter_shape, kind=core.KERNEL,
                                              cost=core.COSTLY)


# ------------------------------------------------------------ derivatives

def _sum_transpose(ct, x, window_dimensions, window_strides, padding, base_dilation,
                   window_dilation):
    """Each input element receives the cotangents of the windows holding it: a
    windowed sum over the cotangent dilated by the strides, padded so that the
    windows line up with input elements (the geometry of a convolution's input
    gradient, with an all-ones kernel)."""
    if type(ct) is Zero:
        return [None]
    shape = x.aval.shape
    pads = []
    for n, k, s, (lo, _), bd, wd, o in zip(shape, window_dimensions, window_strides, padding,
                                           base_dilation, window_dilation,
                                           core.get_aval(ct).shape):
        plo = (k - 1) * wd - lo
        need = _dilated(n, bd) + (k - 1) * wd
        pads.append((plo, need - _dilated(o, s) - plo))
    out = reduce_window_sum_p.bind(ct, window_dimensions=window_dimensions,
                                   window_strides=tuple(base_dilation), padding=tuple(pads),
                                   base_dilation=tuple(window_strides),
                                   window_dilation=tuple(window_dilation))
    return [out]


ad.deflinear(reduce_window_sum_p, _sum_transpose)


def _chooser_jvp(prim, select_prim):
    def rule(primals, tangents, **params):
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, **params)
        if type(t) is Zero:
            return ans, Zero(core.get_aval(ans))
        return ans, select_and_gather_add_p.bind(t, x, select_prim=select_prim, **params)
    ad.jvp_rules[prim] = rule


_chooser_jvp(reduce_window_max_p, "ge")
_chooser_jvp(reduce_window_min_p, "le")


def _linear_in_values(prim, dual):
    """Rules of select_and_{gather,scatter}_add: linear in their first operand
    (the values moved), piecewise constant in the second (which picks where),
    and each one's transpose is the other one."""
    def jvp(primals, tangents, select_prim, **params):
        (v, x), (tv, _) = primals, tangents
        ans = prim.bind(v, x, select_prim=select_prim, **params)
        if type(tv) is Zero:
            return ans, Zero(core.get_aval(ans))
        return ans, prim.bind(tv, x, select_prim=select_prim, **params)

    def transpose(ct, v, x, select_prim, **params):
        if type(ct) is Zero:
            return [None, None]
        return [dual.bind(ct, x, select_prim=select_prim, **params), None]

    ad.jvp_rules[prim] = jvp
    ad.transpose_rules[prim] = transpose


_linear_in_values(select_and_gather_add_p, select_and_scatter_add_p)
_linear_in_values(select_and_scatter_add_p, select_and_gather_add_p)


# ----------------------------------------------------------------- batch
#
# The vmapped axis becomes a leading window dimension of size 1.

def _batched_params(params):
    return dict(window_dimensions=(1,) + tuple(params["window_dimensions"]),
                window_strides=(1,) + tuple(params["window_strides"]),
                padding=((0, 0),) + tuple(params["padding"]),
                base_dilation=(1,) + tuple(params["base_dilation"]),
                window_dilation=(1,) + tuple(params["window_dilation"]))


def _window_batch(prim):
    def rule(axis_size, vals, dims, **params):
        extra = {k: v for k, v in params.items() if k not in _PARAMS}
        moved = [batching.move_to(v, d, 0, axis_size) for v, d in zip(vals, dims)]
        return prim.bind(*moved, **_batched_params(params), **extra), 0
    batching.batch_rules[prim] = rule


for _p in (reduce_window_sum_p, reduce_window_max_p, reduce_window_min_p,
           select_and_gather_add_p, select_and_scatter_add_p):
    _window_batch(_p)


# ------------------------------------------------------- public wrappers

def _geometry(name, shape, window_dimensions, window_strides, padding, base_dilation,
              window_dilation):
    nd = len(shape)
    dims = tuple(int(d) for d in window_dimensions)
    strides = tuple(int(s) for s in window_strides) if window_strides is not None else (1,) * nd
    bd = tuple(int(d) for d in base_dilation) if base_dilation is not None else (1,) * nd
    wd = tuple(int(d) for d in window_dilation) if window_dilation is not None else (1,) * nd
    if len(dims) != nd:
        raise TypeError(f"{name} got the wrong number of window_dimensions for operand: got "
                        f"operand shape {tuple(shape)} with window_dimensions {dims}.")
    if isinstance(padding, str):
        if any(d != 1 for d in bd):
            raise ValueError(f"{name}: string padding with base_dilation is not supported; "
                             f"pass explicit padding")
        eff = [_dilated(k, d) for k, d in zip(dims, wd)]
        pads = tuple(tuple(p) for p in convolution.padtype_to_pads(shape, eff, strides, padding))
    else:
        pads = tuple((int(lo), int(hi)) for lo, hi in padding)
    return dict(window_dimensions=dims, window_strides=strides, padding=pads,
                base_dilation=bd, window_dilation=wd)


def _windowed(prim, name):
    def f(operand, window_dimensions, window_strides=None, padding="VALID", base_dilation=None,
          window_dilation=None):
        shape = core.get_aval(operand).shape
        return prim.bind(operand, **_geometry(name, shape, window_dimensions, window_strides,
                                              padding, base_dilation, window_dilation))
    f.__name__ = name
    f.__doc__ = f"lax.{name}: {name.split('_')[-1]} over every window (see reduce_window)."
    return f


reduce_window_sum = _windowed(reduce_window_sum_p, "reduce_window_sum")
reduce_window_max = _windowed(reduce_window_max_p, "reduce_window_max")
reduce_window_min = _windowed(reduce_window_min_p, "reduce_window_min")

_MONOIDS = {"add": ("sum", reduce_window_sum_p), "max": ("max", reduce_window_max_p),
            "min": ("min", reduce_window_min_p)}


def _monoid_of(computation, dtype):
    """The name (add / max / min) of the binary primitive ``computation`` applies,
    found by tracing it on two scalars; None for anything else."""
    aval = ShapedArray((), dtype)
    try:
        closed = pe.trace_flat(lambda a, b: [computation(a, b)], [aval, aval])
    except Exception:
        return None
    jaxpr = closed.jaxpr
    if len(jaxpr.eqns) != 1 or jaxpr.eqns[0].prim.name not in _MONOIDS:
        return None
    e = jaxpr.eqns[0]
    if list(e.inputs) != list(jaxpr.invars) and list(e.inputs) != list(jaxpr.invars)[::-1]:
        return None
    return e.prim.name


def reduce_window(operand, init_value, computation, window_dimensions, window_strides=None,
                  padding="VALID", base_dilation=None, window_dilation=None):
    """Reduce every window of ``operand`` with ``computation`` (lax.add, lax.max or
    lax.min, or a function applying one of them) starting from ``init_value``.
    Padding and dilation holes take no part; ``init_value`` is combined into every
    window's result once (what JAX computes)."""
    if isinstance(operand, (tuple, list)):
        raise NotImplementedError("reduce_window over several operands is not supported")
    aval = core.get_aval(operand)
    name = _monoid_of(computation, aval.dtype)
    if name is None:
        raise NotImplementedError(
            f"reduce_window supports computations lax.add, lax.max and lax.min (the monoids "
            f"XLA pools with), got {computation!r}")
    kind, prim = _MONOIDS[name]
    g = _geometry("reduce_window", aval.shape, window_dimensions, window_strides, padding,
                  base_dilation, window_dilation)
    if isinstance(init_value, core.Tracer):
        init_value = init_value.concrete_value()       # raises for a staged value
    init = np.asarray(init_value)
    if init.shape != ():
        raise TypeError(f"reduce_window init_value must be a scalar, got shape {init.shape}")
    out = prim.bind(operand, **g)
    if init.astype(aval.dtype) == _identity(kind, aval.dtype):
        return out
    # Holes and padding add nothing; init_value is combined once per window.
    fill = structural.full(core.get_aval(out).shape, init.astype(aval.dtype), aval.dtype)
    combine = {"add": elementwise.add, "max": elementwise.max, "min": elementwise.min}[name]
    return combine(out, fill)


# -------------------------------------------------- cumlogsumexp, top_k

def _logaddexp(a, b):
    m = elementwise.max(a, b)
    aval = core.get_aval(m)
    ninf = structural.full(aval.shape, -np.inf, aval.dtype)
    # -inf on both sides: log(0 + 0) = -inf, without inf - inf = NaN.
    finite = elementwise.ne(m, ninf)
    zero = structural.full(aval.shape, 0, aval.dtype)
    a0, b0 = (elementwise.select_n(finite, zero, v) for v in (a, b))
    d = elementwise.neg(elementwise.abs(elementwise.sub(a0, b0)))
    safe = elementwise.select_n(finite, ninf, d)
    return elementwise.add(m, elementwise.log1p(elementwise.exp(safe)))


def cumlogsumexp(operand, axis=0, reverse=False):
    """log(cumsum(exp(x))) along ``axis``, computed stably (a log-depth scan of
    logaddexp, like lax.cummax)."""
    aval = core.get_aval(operand)
    check_dtype("cumlogsumexp", aval, "f")
    if aval.ndim == 0:
        raise ValueError(f"cumlogsumexp: axis {axis} is out of bounds for an array of rank 0")
    axis = normalize_axis(axis, aval.ndim)
    x = structural.rev(operand, (axis,)) if reverse else operand
    n = aval.shape[axis]
    shift = 1
    while shift < n:
        config = [(0, 0, 0)] * aval.ndim
        config[axis] = (shift, -shift, 0)
        fill = np.asarray(-np.inf, aval.dtype)
        x = _logaddexp(x, structural.pad(x, fill, tuple(config)))
        shift *= 2
    return structural.rev(x, (axis,)) if reverse else x


def top_k(operand, k, *, axis=-1):
    """The ``k`` largest entries along ``axis`` and their int32 indices, largest
    first; equal values keep index order and NaN counts as largest."""
    aval = core.get_aval(operand)
    if aval.dtype.kind == "c":
        raise ValueError("top_k is not compatible with complex inputs (they have no order), "
                         f"got {aval.dtype.name}")
    check_dtype("top_k", aval, "if")
    if aval.ndim == 0:
        raise TypeError("top_k operand must have >= 1 dimension, got shape ()")
    axis = normalize_axis(axis, aval.ndim)
    k = int(k)
    if not 0 <= k <= aval.shape[axis]:
        raise ValueError(f"top_k: k must be between 0 and the operand's size "
                         f"{aval.shape[axis]} along axis {axis}, got {k}")
    if aval.dtype.kind == "f":
        nan = elementwise.ne(operand, operand)
        key = elementwise.select_n(nan, elementwise.neg(operand),
                                   structural.full(aval.shape, -np.inf, aval.dtype))
    else:
        key = elementwise.bitwise_not(operand)
    order = sorting.argsort(key, axis, np.int32)                    # stable
    limit = list(aval.shape)
    limit[axis] = k
    idx = indexing.slice(order, (0,) * aval.ndim, tuple(limit))
    # values[..., i] = operand[..., idx[..., i]]: select along a one-hot axis
    # (select, not multiply, so a NaN elsewhere cannot leak in).
    n = aval.shape[axis]
    x = structural.expand_dims(operand, (axis,))                    # [..., 1, n, ...]
    ids = structural.expand_dims(idx, (axis + 1,))                  # [..., k, 1, ...]
    full = list(aval.shape)
    full.insert(axis, k)
    hot = elementwise.eq(structural.broadcast_in_dim(ids, tuple(full), tuple(range(len(full)))),
                         structural.broadcasted_iota(np.int32, tuple(full), axis + 1))
    xs = structural.broadcast_in_dim(x, tuple(full), tuple(range(len(full))))
    zero = structural.full(tuple(full), 0, aval.dtype)
    vals = reductions.reduce_sum(elementwise.select_n(hot, zero, xs), (axis + 1,)) \
        if n else structural.full(tuple(limit), 0, aval.dtype)
    return vals, idx
