"""Integer bit operations and float bit-level helpers: left_shift / right_shift
(and the array-API names), bitwise_count, bitwise_invert, packbits /
unpackbits, gcd, lcm, frexp, ldexp, modf, nextafter, spacing.

There is no shift or bitcast primitive: shifts multiply or floor-divide by a
power of two read from a table (two's-complement wraparound gives left shifts
their bits; floor division is the arithmetic right shift), and the float
helpers work on the exponent found by log2 and corrected exactly, with exact
powers of two also read from a table.
"""
import numpy as np

from jaxlite import lax
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util

__all__ = ["left_shift", "right_shift", "bitwise_left_shift", "bitwise_right_shift",
           "bitwise_count", "bitwise_invert", "packbits", "unpackbits", "gcd", "lcm", "frexp",
           "ldexp", "modf", "nextafter", "spacing"]


def _ints(name, x1, x2):
    x1, x2 = util.promote(util.as_operand(x1), util.as_operand(x2))
    x1, x2 = util.broadcast(x1, x2, what=name, keep_scalars=False)
    dt = util.aval(x1).dtype
    if dt.kind not in "iu":
        raise TypeError(f"jnp.{name}: only integer arrays, got {dt}")
    return x1, x2, dt


def _pow2_int(k, dt):
    """``2**k`` in ``dt`` for 0 <= k < bits (2**(bits-1) wraps for signed types)."""
    bits = dt.itemsize * 8
    table = np.array([1 << i for i in range(bits)], np.uint64).astype(dt)
    return jnp.take(table, jnp.clip(k, 0, bits - 1).astype(np.int32))


def _shift_out_of_range(y, bits):
    return (y < 0) | (y >= bits)


def left_shift(x1, x2, /):
    """``x1 << x2``; shifts of ``bits`` or more (or negative) give 0."""
    x, y, dt = _ints("left_shift", x1, x2)
    bits = dt.itemsize * 8
    out = x * _pow2_int(y, dt)
    return jnp.where(_shift_out_of_range(y, bits), jnp.zeros((), dt), out)


def right_shift(x1, x2, /):
    """``x1 >> x2`` (arithmetic for signed types); shifts of ``bits`` or more
    (or negative) give 0, or -1 for negative signed values."""
    x, y, dt = _ints("right_shift", x1, x2)
    bits = dt.itemsize * 8
    top = bits - 1 if dt.kind == "i" else bits       # 2**top does not fit
    out = jnp.floor_divide(x, _pow2_int(jnp.clip(y, 0, top - 1), dt))
    full = jnp.where(x < 0, jnp.full((), -1, dt), jnp.zeros((), dt)) if dt.kind == "i" \
        else jnp.zeros((), dt)
    return jnp.where((y >= top) | (y < 0), full, out)


bitwise_left_shift = left_shift
bitwise_right_shift = right_shift


def bitwise_invert(x, /):
    return jnp.invert(x)


def bitwise_count(x, /):
    """The number of 1 bits of ``|x|`` (numpy's and JAX's rule), as uint8."""
    x = util.as_operand(x)
    dt = util.aval(x).dtype
    if dt.kind not in "biu":
        raise TypeError(f"jnp.bitwise_count: only integer arrays, got {dt}")
    if dt.kind == "b":
        return x.astype(np.uint8)
    bits = dt.itemsize * 8
    # |INT_MIN| does not fit: count it as the one bit it has.
    is_min = (x == np.iinfo(dt).min) if dt.kind == "i" else jnp.zeros(util.shape(x), bool)
    v = jnp.where(is_min, jnp.zeros((), dt), jnp.abs(x) if dt.kind == "i" else x)
    count = jnp.zeros(util.shape(x), np.int32)
    for _ in range(bits):
        count = count + (v % 2).astype(np.int32)
        v = v // 2
    return jnp.where(is_min, 1, count).astype(np.uint8)


def packbits(a, axis=None, bitorder="big"):
    """The non-zero-ness of ``a``'s elements packed 8 to a uint8 along ``axis``
    (flattened when None), zero-padded at the end."""
    if bitorder not in ("big", "little"):
        raise ValueError(f"packbits: bitorder must be 'big' or 'little', got {bitorder!r}")
    a = util.as_operand(a)
    if util.aval(a).dtype.kind not in "biu":
        raise TypeError(f"packbits: expected an integer or boolean array, got "
                        f"{util.aval(a).dtype}")
    if axis is None:
        a, axis = jnp.ravel(a), 0
    bits = jnp.moveaxis((a != 0).astype(np.int32), axis, -1)
    n = util.shape(bits)[-1]
    pad = (-n) % 8
    bits = jnp.pad(bits, [(0, 0)] * (util.ndim(bits) - 1) + [(0, pad)])
    bits = jnp.reshape(bits, util.shape(bits)[:-1] + ((n + pad) // 8, 8))
    weights = 2 ** np.arange(7, -1, -1) if bitorder == "big" else 2 ** np.arange(8)
    packed = jnp.sum(bits * weights.astype(np.int32), axis=-1).astype(np.uint8)
    return jnp.moveaxis(packed, -1, axis)


def unpackbits(a, axis=None, count=None, bitorder="big"):
    """Each uint8 of ``a`` as 8 bits (0/1 uint8) along ``axis`` (flattened when
    None), cut or zero-padded to ``count`` bits."""
    if bitorder not in ("big", "little"):
        raise ValueError(f"unpackbits: bitorder must be 'big' or 'little', got {bitorder!r}")
    a = util.as_operand(a)
    if util.aval(a).dtype != np.uint8:
        raise TypeError(f"unpackbits: expected an array of dtype uint8, got "
                        f"{util.aval(a).dtype}")
    if axis is None:
        a, axis = jnp.ravel(a), 0
    v = jnp.moveaxis(a, axis, -1).astype(np.int32)[..., None]
    shifts = np.arange(7, -1, -1) if bitorder == "big" else np.arange(8)
    bits = (v // (2 ** shifts).astype(np.int32)) % 2
    bits = jnp.reshape(bits, util.shape(bits)[:-2] + (-1,))
    if count is not None:
        n = util.shape(bits)[-1]
        if count < 0:
            count += n
        bits = bits[..., :count] if count <= n else \
            jnp.pad(bits, [(0, 0)] * (util.ndim(bits) - 1) + [(0, count - n)])
    return jnp.moveaxis(bits.astype(np.uint8), -1, axis)


def gcd(x1, x2):
    """The greatest common divisor of ``|x1|`` and ``|x2|`` (Euclid's algorithm,
    a while loop over all elements at once)."""
    a, b, dt = _ints("gcd", x1, x2)
    a, b = jnp.abs(a), jnp.abs(b)

    def body(ab):
        a, b = ab
        nz = b != 0
        safe = jnp.where(nz, b, jnp.ones((), dt))
        return jnp.where(nz, b, a), jnp.where(nz, a % safe, b)
    a, _ = lax.while_loop(lambda ab: jnp.any(ab[1] != 0), body, (a, b))
    return a


def lcm(x1, x2):
    """The least common multiple of ``|x1|`` and ``|x2|`` (0 if either is 0)."""
    a, b, dt = _ints("lcm", x1, x2)
    g = gcd(a, b)
    safe = jnp.where(g == 0, jnp.ones((), dt), g)
    return jnp.where(g == 0, jnp.zeros((), dt), jnp.abs(a // safe * b))


def _float(x):
    x = util.as_operand(x)
    dt = util.aval(x).dtype
    return x if dt.kind == "f" else x.astype(util.to_inexact_dtype(dt))


def _pow2_float(k, dt):
    """Exact ``2.0**k`` for integer ``k`` in ``dt`` (0 below the smallest subnormal,
    inf above the largest power)."""
    info = np.finfo(dt)
    lo = int(np.log2(float(info.smallest_subnormal)))
    hi = int(info.maxexp) - 1
    table = np.ldexp(np.ones(hi - lo + 1, dt), np.arange(lo, hi + 1)).astype(dt)
    out = jnp.take(table, jnp.clip(k - lo, 0, hi - lo).astype(np.int32))
    out = jnp.where(k < lo, jnp.zeros((), dt), out)
    return jnp.where(k > hi, jnp.full((), np.inf, dt), out)


def ldexp(x1, x2, /):
    """``x1 * 2**x2`` (exact: the power of two is applied in two exact halves)."""
    x = _float(x1)
    dt = util.aval(x).dtype
    k = util.as_operand(x2)
    if util.aval(k).dtype.kind not in "iub":
        raise TypeError(f"jnp.ldexp: x2 must be an integer array, got {util.aval(k).dtype}")
    k = k.astype(np.int32)
    half = k // 2
    return x * _pow2_float(half, dt) * _pow2_float(k - half, dt)


def _exponent(x):
    """``e`` with ``|x| = m * 2**e``, ``0.5 <= m < 1``, for finite non-zero ``x``."""
    dt = util.aval(x).dtype
    ax = jnp.abs(x)
    ok = (ax > 0) & jnp.isfinite(ax)
    safe = jnp.where(ok, ax, jnp.ones((), dt))
    e = (jnp.floor(jnp.log2(safe)) + 1).astype(np.int32)
    m = ldexp(safe, -e)
    e = jnp.where(m >= 1, e + 1, jnp.where(m < 0.5, e - 1, e))
    return e, ok


def frexp(x, /):
    """``(m, e)`` with ``x = m * 2**e`` and ``0.5 <= |m| < 1`` (``(x, 0)`` for 0,
    inf and NaN)."""
    x = _float(x)
    e, ok = _exponent(x)
    e = jnp.where(ok, e, 0)
    return jnp.where(ok, ldexp(x, -e), x), e


def modf(x, /, out=None):
    """``(fractional part, integral part)``, both with ``x``'s sign."""
    x = _float(x)
    whole = jnp.trunc(x)
    return x - whole, whole


def _ulp_away(x):
    """The distance from ``x`` to the next float of larger magnitude."""
    dt = util.aval(x).dtype
    info = np.finfo(dt)
    e, _ = _exponent(x)
    tiny = jnp.full((), info.smallest_subnormal, dt)
    return jnp.maximum(_pow2_float(e - info.nmant - 1, dt), tiny), e


def spacing(x, /):
    """The signed distance from ``x`` to the next float away from zero (NaN for
    inf and NaN)."""
    x = _float(x)
    ulp, _ = _ulp_away(x)
    ulp = jnp.where(x == 0, np.finfo(util.aval(x).dtype).smallest_subnormal, ulp)
    out = jnp.where(x < 0, -ulp, ulp)
    return jnp.where(jnp.isfinite(x), out, np.nan)


def nextafter(x1, x2, /):
    """The next float after ``x1`` in the direction of ``x2``."""
    x, y = util.promote_inexact(util.as_operand(x1), util.as_operand(x2))
    x, y = util.broadcast(x, y, what="nextafter", keep_scalars=False)
    dt = util.aval(x).dtype
    info = np.finfo(dt)
    ulp, e = _ulp_away(x)
    up = y > x
    away = jnp.where(x > 0, up, ~up)
    # Toward zero from an exact power of two (a normal one), the step halves.
    power_of_two = (jnp.abs(x) == _pow2_float(e - 1, dt)) & (e - 1 > info.minexp)
    step = jnp.where(~away & power_of_two, ulp / 2, ulp)
    out = jnp.where(up, x + step, x - step)
    tiny = jnp.full((), info.smallest_subnormal, dt)
    out = jnp.where(x == 0, jnp.where(up, tiny, -tiny), out)
    out = jnp.where(x == y, y, out)
    return jnp.where(jnp.isnan(x) | jnp.isnan(y), np.nan, out)
