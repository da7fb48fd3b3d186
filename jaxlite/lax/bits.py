"""Bit manipulation primitives on integers: xor, the three shifts,
population_count, clz and bitcast_convert_type. One block per primitive (numpy impl, shape rule,
zero derivative, batching); the compiler's value rules are in
compiler/scalar_rules.py.

Shift amounts are read as unsigned, as XLA does: an amount that is negative
or at least the bit width shifts everything out (0, or the sign for the
arithmetic right shift).
"""
import numpy as np

from jaxlite import core, dtypes
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.lax.elementwise import convert_element_type, bitwise_and, bitwise_or
from jaxlite.lax.structural import concatenate, expand_dims, squeeze
from jaxlite.lax.indexing import slice_in_dim
from jaxlite.lax._rules import (standard_primitive, unop_shape_rule, naryop_shape_rule,
                                promote_weak)

__all__ = ["xor_p", "shift_left_p", "shift_right_logical_p", "shift_right_arithmetic_p",
           "population_count_p", "clz_p", "bitwise_xor", "shift_left", "shift_right_logical",
           "shift_right_arithmetic", "population_count", "clz",
           "bitcast_convert_type_p", "bitcast_convert_type"]

_INT = "i"      # signed and unsigned integers (see _rules.accepts)


def _binop(name, impl, kinds=_INT):
    prim = standard_primitive(name, impl, naryop_shape_rule(name, kinds),
                              kind=core.ELEMENTWISE, cost=core.CHEAP)
    batching.defbroadcasting(prim)
    ad.defjvp_zero(prim)
    return prim


def _unop(name, impl):
    prim = standard_primitive(name, impl, unop_shape_rule(name, _INT),
                              kind=core.ELEMENTWISE, cost=core.CHEAP)
    batching.defvectorized(prim)
    ad.defjvp_zero(prim)
    return prim


def _unsigned(dt):
    return np.dtype(f"u{dt.itemsize}")


def _amount(x, y):
    """(in-range mask, amount clamped into [0, bits)) of shift amounts ``y``."""
    bits = x.dtype.itemsize * 8
    y = np.asarray(y)
    ok = (y >= 0) & (y < bits) if y.dtype.kind == "i" else y < bits
    return ok, np.where(ok, y, 0).astype(x.dtype)


xor_p = _binop("xor", lambda x, y: np.bitwise_xor(x, y), "bi")


def _shift_left_impl(x, y):
    ok, s = _amount(x, y)
    return np.where(ok, np.left_shift(x, s), 0).astype(x.dtype)


shift_left_p = _binop("shift_left", _shift_left_impl)


def _shift_right_logical_impl(x, y):
    ok, s = _amount(x, y)
    u = _unsigned(x.dtype)
    out = np.right_shift(x.astype(u), s.astype(u)).astype(x.dtype)
    return np.where(ok, out, 0).astype(x.dtype)


shift_right_logical_p = _binop("shift_right_logical", _shift_right_logical_impl)


def _shift_right_arithmetic_impl(x, y):
    # The sign bit fills in, whatever the dtype's signedness (XLA's rule).
    ok, s = _amount(x, y)
    s = np.where(ok, s, x.dtype.itemsize * 8 - 1)
    signed = np.dtype(f"i{x.dtype.itemsize}")
    return np.right_shift(x.astype(signed), s.astype(signed)).astype(x.dtype)


shift_right_arithmetic_p = _binop("shift_right_arithmetic", _shift_right_arithmetic_impl)


def _population_count_impl(x):
    return np.bitwise_count(x.astype(_unsigned(x.dtype))).astype(x.dtype)


population_count_p = _unop("population_count", _population_count_impl)


def _clz_impl(x):
    bits = x.dtype.itemsize * 8
    u = np.asarray(x).astype(_unsigned(x.dtype))
    out = np.full(u.shape, bits, np.int64)
    for k in range(bits):      # the highest set bit decides
        out = np.where((u >> np.asarray(k, u.dtype)) & np.asarray(1, u.dtype), bits - 1 - k, out)
    return out.astype(x.dtype)


clz_p = _unop("clz", _clz_impl)


def _binary(prim):
    def f(x, y):
        x, y = promote_weak(prim.name, x, y)
        return core.bind(prim, x, y)
    f.__name__ = prim.name
    f.__doc__ = f"Elementwise ``{prim.name}`` of two same-dtype integer operands."
    return f


bitwise_xor = _binary(xor_p)
shift_left = _binary(shift_left_p)
shift_right_logical = _binary(shift_right_logical_p)
shift_right_arithmetic = _binary(shift_right_arithmetic_p)


def population_count(x):
    """The number of set bits of each element."""
    return core.bind(population_count_p, x)


def clz(x):
    """The number of leading zero bits of each element."""
    return core.bind(clz_p, x)


# bitcast_convert_type: the same bits read as another dtype of the same width.
# Width-changing casts (JAX's extra trailing dimension) are built from it in
# ``bitcast_convert_type`` with shifts, so the primitive stays elementwise.

def _bitcast_shape_rule(x, *, new_dtype):
    if x.dtype.itemsize != new_dtype.itemsize or x.dtype.kind == "b" or new_dtype.kind == "b":
        raise TypeError(f"bitcast_convert_type_p needs two non-bool dtypes of one width, "
                        f"got {x.dtype.name} -> {new_dtype.name}{core.where_message()}")
    return ShapedArray(x.shape, new_dtype)


bitcast_convert_type_p = standard_primitive(
    "bitcast_convert_type", lambda x, *, new_dtype: np.asarray(x).view(new_dtype),
    _bitcast_shape_rule, kind=core.ELEMENTWISE, cost=core.FREE)
batching.defvectorized(bitcast_convert_type_p)
ad.defjvp_zero(bitcast_convert_type_p)


def bitcast_convert_type(operand, new_dtype):
    """``operand``'s bits as ``new_dtype`` (as XLA, little-endian). A narrower
    ``new_dtype`` adds a trailing dimension of width ratio; a wider one
    consumes a trailing dimension of that size."""
    x = operand
    src = core.get_aval(x).dtype
    dst = dtypes.canonicalize(new_dtype, "new_dtype")
    if src == dst:
        return x
    if src.kind == "c" or dst.kind == "c":     # as JAX
        raise TypeError(f"bitcast_convert_type does not support complex values, got "
                        f"{src.name} -> {dst.name}")
    if src.itemsize == dst.itemsize:
        return core.bind(bitcast_convert_type_p, x, new_dtype=dst)
    if src.kind == "b" or dst.kind == "b":
        raise TypeError(f"bitcast_convert_type: cannot bitcast {src.name} to {dst.name}")
    if dst.itemsize < src.itemsize:
        return _split_words(x, src, dst)
    return _join_words(x, src, dst)


def _uint(itemsize):
    return np.dtype(f"u{itemsize}")


def _split_words(x, src, dst):
    """Each element's bits as ``ratio`` narrower words along a new last axis,
    least significant first (little-endian, as XLA)."""
    u = _uint(src.itemsize)
    w = bitcast_convert_type(x, u) if src != u else x
    width = dst.itemsize * 8
    mask = np.asarray((1 << width) - 1, u)
    parts = []
    for k in range(src.itemsize // dst.itemsize):
        word = convert_element_type(bitwise_and(shift_right_logical(w, np.asarray(k * width, u)),
                                                mask), _uint(dst.itemsize))
        parts.append(expand_dims(bitcast_convert_type(word, dst), (word.ndim,)))
    return concatenate(parts, len(core.get_aval(x).shape))


def _join_words(x, src, dst):
    """The inverse of _split_words: the last axis (of size ``ratio``) combined."""
    shape = core.get_aval(x).shape
    ratio = dst.itemsize // src.itemsize
    if not shape or shape[-1] != ratio:
        raise ValueError(f"bitcast_convert_type: {src.name} -> {dst.name} needs a last "
                         f"dimension of size {ratio}, got shape {shape}")
    u = _uint(dst.itemsize)
    w = bitcast_convert_type(x, _uint(src.itemsize)) if src.kind != "u" else x
    out = None
    for k in range(ratio):
        word = convert_element_type(squeeze(slice_in_dim(w, k, k + 1, axis=len(shape) - 1),
                                            (len(shape) - 1,)), u)
        word = shift_left(word, np.asarray(k * src.itemsize * 8, u))
        out = word if out is None else bitwise_or(out, word)
    return bitcast_convert_type(out, dst)
