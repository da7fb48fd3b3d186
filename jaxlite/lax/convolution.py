"""conv_general_dilated and its wrappers (conv, conv_with_general_padding,
conv_transpose, conv_dimension_numbers). One block: impl, shape rule, bilinear
jvp with its two transposes, batch rule, public wrappers.

Per spatial dimension, with input size n, lhs dilation a, padding (lo, hi),
kernel size k, rhs dilation r and stride s, output element o reads the
dilated, padded input at o*s + j*r for j < k. ``dimension_numbers`` is a
ConvDimensionNumbers of three permutations: lhs_spec = (batch, feature,
spatial...), rhs_spec = (out feature, in feature, spatial...), out_spec =
(batch, feature, spatial...), each naming the operand's dimensions.

Groups: with feature_group_count G the lhs features split into G groups of
C/G, the kernel's out features into G groups, and group g of the output reads
group g of the input only. With batch_group_count B the lhs *batch* splits
into B groups instead, and output feature group b reads batch group b.
"""
import collections

import numpy as np

from jaxlite import core, dtypes
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.lax._rules import standard_primitive, promote_weak
from jaxlite.lax import elementwise, structural

__all__ = ["conv_general_dilated_p", "ConvDimensionNumbers", "conv_general_dilated", "conv",
           "conv_with_general_padding", "conv_transpose", "conv_dimension_numbers",
           "padtype_to_pads"]

ConvDimensionNumbers = collections.namedtuple("ConvDimensionNumbers",
                                              ["lhs_spec", "rhs_spec", "out_spec"])


def _dilated(n, d):
    return 0 if n == 0 else (n - 1) * d + 1


def _canonical(x, spec):
    """``x`` transposed to (batch|out, feature|in, spatial...) order."""
    return np.transpose(x, spec)


# ------------------------------------------------------------------ impl

def _dilate_pad(x, lhs_dilation, padding):
    """(N, C, spatial...) -> zeros between elements (lhs dilation), then padding
    (negative padding crops)."""
    sp = x.shape[2:]
    shape = x.shape[:2] + tuple(_dilated(n, a) for n, a in zip(sp, lhs_dilation))
    if shape != x.shape:
        y = np.zeros(shape, x.dtype)
        y[(slice(None), slice(None)) + tuple(slice(None, None, a) for a in lhs_dilation)] = x
        x = y
    grow = [(0, 0), (0, 0)] + [(max(lo, 0), max(hi, 0)) for lo, hi in padding]
    x = np.pad(x, grow)
    crop = tuple(slice(-min(lo, 0), x.shape[2 + i] + min(hi, 0))
                 for i, (lo, hi) in enumerate(padding))
    return x[(slice(None), slice(None)) + crop]


def _conv_impl(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
               dimension_numbers, feature_group_count, batch_group_count,
               preferred_element_type):
    out_aval = _conv_shape(core.get_aval(lhs), core.get_aval(rhs), window_strides, padding,
                           lhs_dilation, rhs_dilation, dimension_numbers,
                           feature_group_count, batch_group_count, preferred_element_type)
    dt = out_aval.dtype
    if out_aval.size == 0:
        return np.zeros(out_aval.shape, dt)
    lspec, rspec, ospec = dimension_numbers
    x = _dilate_pad(_canonical(lhs, lspec).astype(dt), lhs_dilation, padding)
    w = _canonical(rhs, rspec).astype(dt)
    nsp = x.ndim - 2
    win = w.shape[2:]
    dwin = tuple(_dilated(k, r) for k, r in zip(win, rhs_dilation))
    out_sp = tuple(out_aval.shape[d] for d in ospec[2:])
    # Every window as trailing dims: (N, C, out..., k...), strided views only.
    views = np.lib.stride_tricks.sliding_window_view(x, dwin, axis=tuple(range(2, 2 + nsp)))
    take = ((slice(None), slice(None))
            + tuple(slice(0, o * s, s) if o else slice(0, 0) for o, s in zip(out_sp, window_strides))
            + tuple(slice(None, None, r) for r in rhs_dilation))
    p = views[take]
    G, B = feature_group_count, batch_group_count
    n, c = p.shape[:2]
    o = w.shape[0]
    if B > 1:     # (B, N/B, C, ...): the group index leads
        p = p.reshape((B, n // B, c) + p.shape[2:])
        groups, nb, cg = B, n // B, c
    else:
        p = p.reshape((n, G, c // G) + p.shape[2:]).swapaxes(0, 1)
        groups, nb, cg = G, n, c // G
    # (groups, rows = nb*out, K = cg*win) @ (groups, K, o/groups)
    perm = (0, 1) + tuple(range(3, 3 + nsp)) + (2,) + tuple(range(3 + nsp, 3 + 2 * nsp))
    rows = p.transpose(perm).reshape(groups, nb * int(np.prod(out_sp)), -1)
    kern = w.reshape((groups, o // groups) + w.shape[1:]).reshape(groups, o // groups, -1)
    res = np.matmul(rows, kern.transpose(0, 2, 1))          # (groups, rows, o/groups)
    res = res.reshape((groups, nb) + out_sp + (o // groups,))
    res = np.moveaxis(res, 0, -2).reshape((nb,) + out_sp + (o,))
    canon = np.moveaxis(res, -1, 1)                           # (N, O, out...)
    return np.ascontiguousarray(np.transpose(canon, np.argsort(ospec))).astype(dt)


# ------------------------------------------------------------ shape rule

def _ints(name, what, values, n):
    vals = tuple(int(v) for v in values)
    if len(vals) != n:
        raise ValueError(f"{name}: {what} must have one entry per spatial dimension ({n}), "
                         f"got {vals}{core.where_message()}")
    return vals


def _conv_shape(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                dimension_numbers, feature_group_count, batch_group_count,
                preferred_element_type):
    name = "conv_general_dilated"
    if lhs.ndim != rhs.ndim:
        raise TypeError(f"convolution requires lhs and rhs ndim to be equal, got {lhs.ndim} "
                        f"and {rhs.ndim} (shapes {lhs.shape} and {rhs.shape})"
                        f"{core.where_message()}")
    if lhs.ndim < 2:
        raise TypeError(f"convolution requires operands of rank at least 2, got shapes "
                        f"{lhs.shape} and {rhs.shape}{core.where_message()}")
    if lhs.dtype != rhs.dtype:
        raise TypeError(f"lax.conv_general_dilated requires arguments to have the same "
                        f"dtypes, got {lhs.dtype.name}, {rhs.dtype.name}{core.where_message()}")
    lspec, rspec, ospec = dimension_numbers
    G, B = feature_group_count, batch_group_count
    for what, v in (("feature_group_count", G), ("batch_group_count", B)):
        if v < 1:
            raise ValueError(f"{name} {what} must be a positive integer, got {v}"
                             f"{core.where_message()}")
    if G > 1 and B > 1:
        raise ValueError(f"{name} at most one of feature_group_count and batch_group_count "
                         f"may be > 1, got feature_group_count={G} and batch_group_count={B}"
                         f"{core.where_message()}")
    n, c = lhs.shape[lspec[0]], lhs.shape[lspec[1]]
    o, i = rhs.shape[rspec[0]], rhs.shape[rspec[1]]
    if c % G:
        raise ValueError(f"{name} feature_group_count must divide lhs feature dimension "
                         f"size, but {G} does not divide {c} (lhs shape {lhs.shape})"
                         f"{core.where_message()}")
    if c // G != i:
        raise ValueError(f"{name} lhs feature dimension size divided by feature_group_count "
                         f"must equal the rhs input feature dimension size, but {c} // {G} != "
                         f"{i} (lhs shape {lhs.shape}, rhs shape {rhs.shape})"
                         f"{core.where_message()}")
    if n % B:
        raise ValueError(f"{name} batch_group_count must divide lhs batch dimension size, "
                         f"but {B} does not divide {n} (lhs shape {lhs.shape})"
                         f"{core.where_message()}")
    for what, v in (("feature_group_count", G), ("batch_group_count", B)):
        if o % v:
            raise ValueError(f"{name} rhs output feature dimension size must be a multiple of "
                             f"{what}, but {o} is not a multiple of {v} (rhs shape "
                             f"{rhs.shape}){core.where_message()}")
    nsp = lhs.ndim - 2
    if min(window_strides, default=1) < 1:
        raise ValueError(f"{name}: window_strides must be positive, got {window_strides}"
                         f"{core.where_message()}")
    for what, dil in (("lhs_dilation", lhs_dilation), ("rhs_dilation", rhs_dilation)):
        if min(dil, default=1) < 1:
            raise TypeError(f"All dilations must be positive, got {dil} ({what})"
                            f"{core.where_message()}")
    out_sp = []
    for d in range(nsp):
        size = _dilated(lhs.shape[lspec[2 + d]], lhs_dilation[d]) + sum(padding[d])
        win = _dilated(rhs.shape[rspec[2 + d]], rhs_dilation[d])
        out_sp.append(max((size - win) // window_strides[d] + 1, 0) if size >= win else 0)
    canon = (n // B, o) + tuple(out_sp)
    shape = [0] * lhs.ndim
    for pos, d in enumerate(ospec):
        shape[d] = canon[pos]
    dtype = lhs.dtype if preferred_element_type is None else preferred_element_type
    return ShapedArray(tuple(shape), dtype, lhs.weak_type and rhs.weak_type)


conv_general_dilated_p = standard_primitive("conv_general_dilated", _conv_impl, _conv_shape,
                                            kind=core.KERNEL, cost=core.COSTLY)


# ------------------------------------------------------------- transposes
#
# Gradients are convolutions again (derivations in docs/COMPILER.md's
# convolution section). They are built in the operands' own layouts by
# permuting dimension numbers; only the kernel of a grouped lhs gradient and
# the output of a batch-grouped one are physically rearranged (small arrays).

def _swap01(spec):
    return (spec[1], spec[0]) + tuple(spec[2:])


def _lhs_transpose(ct, lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                   dimension_numbers, feature_group_count, batch_group_count,
                   preferred_element_type):
    """d lhs: ct (lhs-dilated by the strides) against the flipped kernel, with the
    kernel's in/out features swapped and the lhs dilation as stride."""
    lspec, rspec, ospec = dimension_numbers
    laval = lhs.aval
    raval = core.get_aval(rhs)
    G, B = feature_group_count, batch_group_count
    nsp = laval.ndim - 2
    ct_aval = core.get_aval(ct)
    rhs = elementwise.convert_element_type(rhs, ct_aval.dtype)
    k = structural.transpose(rhs, rspec)                      # (O, I, win...)
    k = structural.rev(k, tuple(range(2, 2 + nsp)))
    groups = max(G, B)
    kspec = (1, 0) + tuple(range(2, nsp + 2))     # (O, I) read as (in, out)
    if groups > 1:     # (O = groups*Og, I) -> (groups*I, Og): regroup per group
        o, i = raval.shape[rspec[0]], raval.shape[rspec[1]]
        win = tuple(raval.shape[d] for d in rspec[2:])
        k = structural.reshape(k, (groups, o // groups, i) + win)
        k = structural.transpose(k, (0, 2, 1) + tuple(range(3, 3 + nsp)))
        k = structural.reshape(k, (groups * i, o // groups) + win)
        kspec = tuple(range(nsp + 2))
    pads = []
    for d in range(nsp):
        n_in = laval.shape[lspec[2 + d]]
        kk = raval.shape[rspec[2 + d]]
        n_out = ct_aval.shape[ospec[2 + d]]
        lo = (kk - 1) * rhs_dilation[d] - padding[d][0]
        need = _dilated(n_in, lhs_dilation[d]) + (kk - 1) * rhs_dilation[d]
        hi = need - _dilated(n_out, window_strides[d]) - lo
        pads.append((lo, hi))
    if B > 1:
        # Output features are (group, in feature); the group goes back to the batch.
        canon = tuple(range(nsp + 2))
        out = conv_general_dilated_p.bind(
            ct, k, window_strides=tuple(lhs_dilation), padding=tuple(pads),
            lhs_dilation=tuple(window_strides), rhs_dilation=tuple(rhs_dilation),
            dimension_numbers=ConvDimensionNumbers(ospec, kspec, canon),
            feature_group_count=B, batch_group_count=1, preferred_element_type=None)
        nb = ct_aval.shape[ospec[0]]
        c = laval.shape[lspec[1]]
        sp = tuple(laval.shape[d] for d in lspec[2:])
        out = structural.reshape(out, (nb, B, c) + sp)
        out = structural.transpose(out, (1, 0, 2) + tuple(range(3, 3 + nsp)))
        out = structural.reshape(out, (B * nb, c) + sp)
        out = structural.transpose(out, tuple(int(p) for p in np.argsort(lspec)))
    else:
        out = conv_general_dilated_p.bind(
            ct, k, window_strides=tuple(lhs_dilation), padding=tuple(pads),
            lhs_dilation=tuple(window_strides), rhs_dilation=tuple(rhs_dilation),
            dimension_numbers=ConvDimensionNumbers(ospec, kspec, lspec),
            feature_group_count=G, batch_group_count=1, preferred_element_type=None)
    return elementwise.convert_element_type(out, laval.dtype)


def _rhs_transpose(ct, lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                   dimension_numbers, feature_group_count, batch_group_count,
                   preferred_element_type):
    """d rhs: the input (batch and feature swapped) against ct as the kernel, with
    strides and rhs dilation swapped; feature and batch groups swap roles."""
    lspec, rspec, ospec = dimension_numbers
    raval = rhs.aval
    laval = core.get_aval(lhs)
    ct_aval = core.get_aval(ct)
    nsp = raval.ndim - 2
    if ct_aval.size == 0 or laval.size == 0:
        return structural.full(raval.shape, 0, raval.dtype)
    lhs = elementwise.convert_element_type(lhs, ct_aval.dtype)
    pads = []
    for d in range(nsp):
        kk = raval.shape[rspec[2 + d]]
        n_out = ct_aval.shape[ospec[2 + d]]
        lo = padding[d][0]
        need = (kk - 1) * rhs_dilation[d] + _dilated(n_out, window_strides[d])
        hi = need - _dilated(laval.shape[lspec[2 + d]], lhs_dilation[d]) - lo
        pads.append((lo, hi))
    out = conv_general_dilated_p.bind(
        lhs, ct, window_strides=tuple(rhs_dilation), padding=tuple(pads),
        lhs_dilation=tuple(lhs_dilation), rhs_dilation=tuple(window_strides),
        dimension_numbers=ConvDimensionNumbers(_swap01(lspec), _swap01(ospec), _swap01(rspec)),
        feature_group_count=batch_group_count, batch_group_count=feature_group_count,
        preferred_element_type=None)
    return elementwise.convert_element_type(out, raval.dtype)


ad.defbilinear(conv_general_dilated_p, _lhs_transpose, _rhs_transpose)


# ----------------------------------------------------------------- batch
#
# The vmapped axis is folded into an existing dimension so one convolution
# does the work: into the batch (lhs only), the out features (rhs only) or
# the feature groups (both), then split out of the result.

def _merge(x, src, dst):
    """Move axis ``src`` just before ``dst`` (numbered without ``src``) and merge them."""
    x = batching.moveaxis(x, src, dst)
    shape = core.get_aval(x).shape
    return structural.reshape(x, shape[:dst] + (shape[dst] * shape[dst + 1],) + shape[dst + 2:])


def _split(x, dim, sizes):
    shape = core.get_aval(x).shape
    return structural.reshape(x, shape[:dim] + tuple(sizes) + shape[dim + 1:])


def _grouped_merge(x, src, dst, groups):
    """Fold axis ``src`` into dim ``dst`` (unbatched numbering) *inside* each of
    ``groups`` groups: the new dim is (group, vmapped, rest) flattened, so group
    boundaries survive."""
    x = batching.moveaxis(x, src, 0)
    size = core.get_aval(x).shape[dst + 1]
    x = _split(x, dst + 1, (groups, size // groups))
    ndim = core.get_aval(x).ndim
    x = structural.transpose(x, tuple(range(1, dst + 2)) + (0,) + tuple(range(dst + 2, ndim)))
    s = core.get_aval(x).shape
    return structural.reshape(x, s[:dst] + (s[dst] * s[dst + 1] * s[dst + 2],) + s[dst + 3:])


def _grouped_split(x, dim, groups, v):
    """Inverse of _grouped_merge for an output dim laid out (g, v, rest): the v axis
    is returned at position ``dim`` and the dim keeps (g, rest)."""
    size = core.get_aval(x).shape[dim]
    x = _split(x, dim, (groups, v, size // (groups * v)))
    x = batching.moveaxis(x, dim + 1, dim)
    shape = core.get_aval(x).shape
    return structural.reshape(x, shape[:dim + 1] + (shape[dim + 1] * shape[dim + 2],)
                              + shape[dim + 3:])


def _conv_batch(axis_size, vals, dims, window_strides, padding, lhs_dilation, rhs_dilation,
                dimension_numbers, feature_group_count, batch_group_count,
                preferred_element_type):
    (lhs, rhs), (ld, rd) = vals, dims
    lspec, rspec, ospec = dimension_numbers
    G, B = feature_group_count, batch_group_count
    v = axis_size
    params = dict(window_strides=window_strides, padding=padding, lhs_dilation=lhs_dilation,
                  rhs_dilation=rhs_dilation, preferred_element_type=preferred_element_type)
    if ld is not None and rd is not None:
        # Each example its own group: features (v, C) with v*G groups, kernel out
        # features (v, O). Batch groups: the examples become more batch groups.
        lhs = _merge(lhs, ld, lspec[1] if B == 1 else lspec[0])
        rhs = _merge(rhs, rd, rspec[0])
        out = conv_general_dilated_p.bind(
            lhs, rhs, dimension_numbers=dimension_numbers,
            feature_group_count=G * v if B == 1 else 1, batch_group_count=B * v if B > 1 else 1,
            **params)
        return _split(out, ospec[1], (v, core.get_aval(out).shape[ospec[1]] // v)), ospec[1]
    if ld is not None:
        if B == 1:
            lhs = _merge(lhs, ld, lspec[0])
            out = conv_general_dilated_p.bind(
                lhs, rhs, dimension_numbers=dimension_numbers,
                feature_group_count=G, batch_group_count=1, **params)
            return _split(out, ospec[0], (v, core.get_aval(out).shape[ospec[0]] // v)), ospec[0]
        lhs = _grouped_merge(lhs, ld, lspec[0], B)
        out = conv_general_dilated_p.bind(
            lhs, rhs, dimension_numbers=dimension_numbers,
            feature_group_count=1, batch_group_count=B, **params)
        return _split(out, ospec[0], (v, core.get_aval(out).shape[ospec[0]] // v)), ospec[0]
    groups = max(G, B)
    rhs = _grouped_merge(rhs, rd, rspec[0], groups)
    out = conv_general_dilated_p.bind(
        lhs, rhs, dimension_numbers=dimension_numbers,
        feature_group_count=G, batch_group_count=B, **params)
    return _grouped_split(out, ospec[1], groups, v), ospec[1]


batching.batch_rules[conv_general_dilated_p] = _conv_batch


# ------------------------------------------------------- public wrappers

def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers):
    """ConvDimensionNumbers from None (NC..., OI..., NC...), a ConvDimensionNumbers,
    or three strings such as ("NHWC", "HWIO", "NHWC")."""
    ndim = len(lhs_shape)
    if len(rhs_shape) != ndim:
        raise TypeError(f"convolution requires lhs and rhs ndim to be equal, got {ndim} and "
                        f"{len(rhs_shape)} (shapes {tuple(lhs_shape)} and {tuple(rhs_shape)})")
    if dimension_numbers is None:
        iota = tuple(range(ndim))
        return ConvDimensionNumbers(iota, iota, iota)
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return ConvDimensionNumbers(*(tuple(int(d) for d in s) for s in dimension_numbers))
    if len(dimension_numbers) != 3:
        raise TypeError(f"convolution dimension_numbers must be a ConvDimensionNumbers or "
                        f"three strings, got {dimension_numbers!r}")
    if not all(isinstance(s, str) for s in dimension_numbers):
        raise TypeError(f"convolution dimension_numbers elements must be strings, got "
                        f"{tuple(type(s) for s in dimension_numbers)}.")
    lhs_s, rhs_s, out_s = dimension_numbers
    if len(lhs_s) != ndim or len(rhs_s) != ndim or len(out_s) != ndim:
        raise TypeError(f"convolution dimension_numbers[0] must have len equal to the ndim of "
                        f"lhs and rhs, got {len(lhs_s)} for lhs and rhs shapes "
                        f"{tuple(lhs_shape)} and {tuple(rhs_shape)}.")
    spatial = [set(lhs_s) - set("NC"), set(rhs_s) - set("OI"), set(out_s) - set("NC")]
    if not (spatial[0] == spatial[1] == spatial[2]) or any(
            len(set(s)) != ndim for s in dimension_numbers) or not (
            set("NC") <= set(lhs_s) and set("OI") <= set(rhs_s) and set("NC") <= set(out_s)):
        raise TypeError(f"convolution dimension_numbers elements must each have the same set "
                        f"of spatial characters, got {tuple(dimension_numbers)}.")
    # Spatial dims are ordered as they appear in the kernel spec (as JAX).
    order = [ch for ch in rhs_s if ch not in "OI"]
    return ConvDimensionNumbers(
        (lhs_s.index("N"), lhs_s.index("C")) + tuple(lhs_s.index(ch) for ch in order),
        (rhs_s.index("O"), rhs_s.index("I")) + tuple(rhs_s.index(ch) for ch in order),
        (out_s.index("N"), out_s.index("C")) + tuple(out_s.index(ch) for ch in order))


def padtype_to_pads(in_shape, window_shape, window_strides, padding):
    """Explicit (lo, hi) pairs for "SAME", "SAME_LOWER" or "VALID" padding."""
    if not isinstance(padding, str):
        raise TypeError(f"padtype_to_pads expects a padding string, got {padding!r}")
    kind = padding.upper()
    if kind == "VALID":
        return [(0, 0)] * len(in_shape)
    if kind not in ("SAME", "SAME_LOWER"):
        raise RuntimeError(f"Unrecognized padding type: expected 'VALID', 'SAME', or "
                           f"'SAME_LOWER', got {padding}.")
    pads = []
    for n, k, s in zip(in_shape, window_shape, window_strides):
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        small, big = total // 2, total - total // 2
        pads.append((small, big) if kind == "SAME" else (big, small))
    return pads


def _explicit_padding(padding, in_sp, win_sp, strides, rhs_dilation, lhs_dilation):
    nsp = len(in_sp)
    if isinstance(padding, str):
        if any(a != 1 for a in lhs_dilation):
            raise ValueError("String padding is not implemented for transposed convolution "
                             "using this op. Please either exactly specify the required "
                             "padding or use conv_transpose.")
        dwin = [_dilated(k, r) for k, r in zip(win_sp, rhs_dilation)]
        return tuple(tuple(p) for p in padtype_to_pads(in_sp, dwin, strides, padding))
    pads = tuple((int(lo), int(hi)) for lo, hi in padding)
    if len(pads) != nsp:
        raise TypeError(f"Wrong number of explicit pads for convolution: expected {nsp}, "
                        f"got {len(pads)}.")
    return pads


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None,
                         rhs_dilation=None, dimension_numbers=None, feature_group_count=1,
                         batch_group_count=1, precision=None, preferred_element_type=None):
    """General n-d convolution (cross-correlation, as XLA's) with strides, padding,
    lhs (input) and rhs (kernel) dilation, layouts and groups. ``precision`` is
    accepted for JAX compatibility and ignored."""
    la, ra = core.get_aval(lhs), core.get_aval(rhs)
    if la.weak_type or ra.weak_type:
        lhs, rhs = promote_weak("conv_general_dilated", lhs, rhs)
        la, ra = core.get_aval(lhs), core.get_aval(rhs)
    dn = conv_dimension_numbers(la.shape, ra.shape, dimension_numbers)
    nsp = la.ndim - 2
    strides = tuple(int(s) for s in window_strides)
    if len(strides) != nsp:
        raise ValueError(f"conv_general_dilated window and window_strides must have the same "
                         f"number of dimensions, but got {nsp} and {len(strides)}")
    lhs_dilation = _ints("conv_general_dilated", "lhs_dilation",
                         lhs_dilation if lhs_dilation is not None else (1,) * nsp, nsp)
    rhs_dilation = _ints("conv_general_dilated", "rhs_dilation",
                         rhs_dilation if rhs_dilation is not None else (1,) * nsp, nsp)
    if min(rhs_dilation + lhs_dilation, default=1) < 1:
        raise TypeError(f"All dilations must be positive, got "
                        f"{rhs_dilation if min(rhs_dilation, default=1) < 1 else lhs_dilation}.")
    in_sp = tuple(la.shape[d] for d in dn.lhs_spec[2:])
    win_sp = tuple(ra.shape[d] for d in dn.rhs_spec[2:])
    pads = _explicit_padding(padding, in_sp, win_sp, strides, rhs_dilation, lhs_dilation)
    for n, a, (lo, hi) in zip(in_sp, lhs_dilation, pads):
        if lo + hi < -_dilated(n, a):
            raise ValueError(f"Negative padding is larger than the size of the corresponding "
                             f"dimension: got padding={pads} for lhs spatial shape {in_sp}")
    if preferred_element_type is not None:
        preferred_element_type = dtypes.canonicalize(preferred_element_type,
                                                     "preferred_element_type")
    return core.bind(conv_general_dilated_p, lhs, rhs, window_strides=strides, padding=pads,
                     lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation,
                     dimension_numbers=dn, feature_group_count=int(feature_group_count),
                     batch_group_count=int(batch_group_count),
                     preferred_element_type=preferred_element_type)


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    """NC... x OI... convolution with strides and padding only."""
    return conv_general_dilated(lhs, rhs, window_strides, padding,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                              precision=None, preferred_element_type=None):
    """NC... x OI... convolution with strides, padding and both dilations."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation,
                                preferred_element_type=preferred_element_type)


def _conv_transpose_padding(k, s, padding):
    """(lo, hi) padding of the lhs-dilated convolution a transposed convolution is,
    for an effective kernel size k and stride s (JAX's conventions)."""
    if padding == "SAME":
        total = k + s - 2
        lo = k - 1 if s > k - 1 else -(-total // 2)
    elif padding == "VALID":
        total = k + s - 2 + max(k - s, 0)
        lo = k - 1
    else:
        raise ValueError(f"conv_transpose padding must be 'SAME', 'VALID' or explicit pairs, "
                         f"got {padding!r}")
    return lo, total - lo


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                   transpose_kernel=False, precision=None, preferred_element_type=None):
    """The gradient-of-convolution ("deconvolution"): an lhs-dilated convolution.
    With ``transpose_kernel`` the kernel is flipped spatially and its in/out
    features swapped, which makes it the exact transpose of conv_general_dilated."""
    la, ra = core.get_aval(lhs), core.get_aval(rhs)
    nsp = la.ndim - 2
    if nsp < 1:
        raise TypeError(f"conv_transpose requires operands of rank at least 3, got shapes "
                        f"{la.shape} and {ra.shape}")
    if dimension_numbers is None:
        dimension_numbers = {1: ("NHC", "HIO", "NHC"), 2: ("NHWC", "HWIO", "NHWC"),
                             3: ("NHWDC", "HWDIO", "NHWDC")}.get(nsp)
        if dimension_numbers is None:
            raise ValueError(f"conv_transpose: no default dimension_numbers for {nsp} spatial "
                             f"dimensions; pass them")
    dn = conv_dimension_numbers(la.shape, ra.shape, dimension_numbers)
    k_sp = tuple(ra.shape[d] for d in dn.rhs_spec[2:])
    rhs_dilation = tuple(rhs_dilation) if rhs_dilation is not None else (1,) * nsp
    eff_k = tuple(_dilated(k, r) for k, r in zip(k_sp, rhs_dilation))
    strides = tuple(int(s) for s in strides)
    if isinstance(padding, str):
        pads = tuple(_conv_transpose_padding(k, s, padding) for k, s in zip(eff_k, strides))
    else:
        pads = tuple((int(lo), int(hi)) for lo, hi in padding)
    if transpose_kernel:
        rhs = structural.rev(rhs, tuple(dn.rhs_spec[2:]))
        spec = list(dn.rhs_spec)
        spec[0], spec[1] = spec[1], spec[0]
        dn = ConvDimensionNumbers(dn.lhs_spec, tuple(spec), dn.out_spec)
    return conv_general_dilated(lhs, rhs, (1,) * nsp, pads, lhs_dilation=strides,
                                rhs_dilation=rhs_dilation, dimension_numbers=dn,
                                preferred_element_type=preferred_element_type)
