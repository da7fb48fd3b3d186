"""Bit manipulation primitives on integers: xor, the three shifts,
population_count and clz. One block per primitive (numpy impl, shape rule,
zero derivative, batching); the compiler's value rules are in
compiler/scalar_rules.py.

Shift amounts are read as unsigned, as XLA does: an amount that is negative
or at least the bit width shifts everything out (0, or the sign for the
arithmetic right shift).
"""
import numpy as np

from jaxlite import core
from jaxlite.interpreters import ad, batching
from jaxlite.lax._rules import (standard_primitive, unop_shape_rule, naryop_shape_rule,
                                promote_weak)

__all__ = ["xor_p", "shift_left_p", "shift_right_logical_p", "shift_right_arithmetic_p",
           "population_count_p", "clz_p", "bitwise_xor", "shift_left", "shift_right_logical",
           "shift_right_arithmetic", "population_count", "clz"]

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
