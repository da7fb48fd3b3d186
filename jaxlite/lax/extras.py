"""jax.lax functions built from other primitives: square, reciprocal, is_finite,
cbrt, acosh, asinh, atanh, clamp, full_like, broadcast_shapes,
broadcast_to_rank, collapse. They check dtypes as lax does (no promotion,
floats where JAX wants floats) and differentiate, batch and compile through the
primitives they are made of. (The real formulas are jaxlite.numpy's, which lax
may not import.)
"""
import numpy as np

from jaxlite import core, dtypes
from jaxlite.lax import elementwise as el
from jaxlite.lax import bits
from jaxlite.lax import indexing as ix
from jaxlite.lax import structural as st

__all__ = ["square", "reciprocal", "is_finite", "cbrt", "acosh", "asinh", "atanh",
           "clamp", "full_like", "broadcast_shapes", "broadcast_to_rank", "collapse", "split",
           "tile", "nextafter", "reduce_precision"]


def _aval(x):
    return core.get_aval(x)


def _floating(name, x):
    dt = _aval(x).dtype
    if dt.kind != "f":
        raise TypeError(f"{name} does not accept dtype {dt.name}. Accepted dtypes are "
                        f"subtypes of floating.")


def square(x):
    return el.integer_pow(x, 2)


def reciprocal(x):
    return el.integer_pow(x, -1)


def is_finite(x):
    """False for inf and NaN (|x| < inf is False for both)."""
    _floating("is_finite", x)
    return el.lt(el.abs(x), np.array(np.inf, _aval(x).dtype))


def _c(x, v):
    return np.array(v, _aval(x).dtype)


def cbrt(x):
    """The real cube root. pow(|x|, 1/3) is a few ulp off (27 -> 3.0000002: 1/3 is
    not exact); one Newton step on y**3 = |x| makes it correctly rounded in
    practice. Zero stays zero (the step would divide by it)."""
    _floating("cbrt", x)
    ax = el.abs(x)
    y = el.pow(ax, _c(x, 1.0 / 3.0))
    newton = el.sub(y, el.div(el.sub(el.mul(el.mul(y, y), y), ax), el.mul(_c(x, 3.0), el.mul(y, y))))
    finite = el.bitwise_and(el.gt(ax, _c(x, 0.0)), el.lt(ax, _c(x, np.inf)))
    return el.mul(el.sign(x), el.select(finite, newton, y))


def asinh(x):
    _floating("asinh", x)
    ax = el.abs(x)           # odd symmetry keeps large negative inputs accurate
    return el.mul(el.sign(x), el.log(el.add(ax, el.sqrt(el.add(el.mul(ax, ax), _c(x, 1.0))))))


def acosh(x):
    _floating("acosh", x)
    return el.log(el.add(x, el.sqrt(el.sub(el.mul(x, x), _c(x, 1.0)))))


def atanh(x):
    _floating("atanh", x)
    return el.mul(_c(x, 0.5), el.log1p(el.div(el.mul(_c(x, 2.0), x), el.sub(_c(x, 1.0), x))))


def clamp(min, x, max):  # noqa: A002 (JAX's argument names)
    """``x`` clipped to [min, max]; min and max are scalars or of x's shape.
    As JAX's clamp_p, the derivative passes to x strictly inside the interval,
    to min where min > x and to max where max < x (none at a tie)."""
    avals = [_aval(v) for v in (min, x, max)]
    strong = {a.dtype for a in avals if not a.weak_type}
    if len(strong) > 1 or len({dtypes.kind_rank(a.dtype) for a in avals}) > 1:
        raise TypeError(f"lax.clamp requires arguments to have the same dtypes, got "
                        f"{', '.join(a.dtype.name for a in avals)}.")
    for name, a in (("min", avals[0]), ("max", avals[2])):
        if a.shape not in ((), avals[1].shape):
            raise TypeError(f"clamp requires {name}.shape == operand.shape or {name}.shape "
                            f"== (), got {name}.shape={a.shape}, operand.shape="
                            f"{avals[1].shape}.")
    dt, shape = (strong.pop() if strong else avals[1].dtype), avals[1].shape
    lo, x, hi = (st.broadcast_in_dim(el.convert_element_type(v, dt), shape,
                                     tuple(range(len(shape))) if a.shape else ())
                 for v, a in zip((min, x, max), avals))
    above, below = el.lt(hi, x), el.lt(x, lo)
    strictly_inside = el.bitwise_and(el.lt(lo, x), el.lt(x, hi))
    mid = el.select_n(strictly_inside, el.stop_gradient(x), x)    # a tie: x, no derivative
    return el.select_n(above, el.select_n(below, mid, lo), hi)


def full_like(x, fill_value, dtype=None, shape=None):
    """An array like ``x`` (its dtype and shape unless given) of ``fill_value``."""
    a = _aval(x)
    dt = a.dtype if dtype is None else dtypes.canonicalize(dtype, "full_like dtype")
    return st.full(a.shape if shape is None else shape, fill_value, dt)


def broadcast_shapes(*shapes):
    """The numpy broadcast of ``shapes`` (ValueError when incompatible)."""
    shapes = [tuple(s) for s in shapes]
    rank = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (rank - len(s)) + s for s in shapes]
    out = []
    for dims in zip(*padded):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise ValueError(f"Incompatible shapes for broadcasting: shapes="
                             f"[{', '.join(str(s) for s in shapes)}]")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast_to_rank(x, rank):
    """``x`` with leading unit dimensions up to ``rank``."""
    shape = _aval(x).shape
    return st.reshape(x, (1,) * (rank - len(shape)) + shape) if len(shape) < rank else x


def collapse(operand, start_dimension, stop_dimension=None):
    """``operand`` with dimensions [start, stop) merged into one."""
    shape = _aval(operand).shape
    stop = len(shape) if stop_dimension is None else stop_dimension
    size = int(np.prod(shape[start_dimension:stop], dtype=np.int64))
    return st.reshape(operand, shape[:start_dimension] + (size,) + shape[stop:])


def split(operand, sizes, axis=0):
    """``operand`` cut along ``axis`` into consecutive pieces of ``sizes``, which must
    add up to that dimension (JAX's ValueError otherwise)."""
    shape = _aval(operand).shape
    axis = axis + len(shape) if axis < 0 else axis
    sizes = [int(s) for s in sizes]
    if any(s < 0 for s in sizes) or sum(sizes) != shape[axis]:
        raise ValueError(f"Sum of sizes {sum(sizes)} must be equal to dimension {axis} of the "
                         f"operand shape {shape}")
    starts = np.cumsum([0] + sizes)
    return [ix.slice_in_dim(operand, int(a), int(b), axis=axis) for a, b in zip(starts, starts[1:])]


def tile(operand, reps):
    """``operand`` repeated ``reps[i]`` times along each dimension i (len(reps) = ndim)."""
    shape = _aval(operand).shape
    reps = tuple(int(r) for r in reps)
    if len(reps) != len(shape):
        raise ValueError(f"len(reps) must equal operand.ndim, got reps={reps} for shape {shape}")
    # broadcast to (r0, d0, r1, d1, ...), then merge each (ri, di) pair
    wide = st.broadcast_in_dim(operand, tuple(x for r, d in zip(reps, shape) for x in (r, d)),
                               tuple(range(1, 2 * len(shape), 2)))
    return st.reshape(wide, tuple(r * d for r, d in zip(reps, shape)))


def nextafter(x1, x2):
    """The next float after ``x1`` toward ``x2`` (operands of one float dtype).

    One step of the bits read as a signed integer: +1 moves away from zero on
    either side of it, -1 toward it. From zero the step is the smallest
    subnormal with the direction's sign; equal operands give ``x2``, NaN gives NaN."""
    _floating("nextafter", x1)
    dt = _aval(x1).dtype
    if _aval(x2).dtype != dt:
        raise TypeError(f"nextafter requires arguments to have the same dtypes, got "
                        f"{dt.name}, {_aval(x2).dtype.name}")
    ity = np.dtype(f"int{8 * dt.itemsize}")
    up = el.lt(x1, x2)
    away = el.eq(el.gt(x1, _c(x1, 0)), up)
    one = full_like(x1, 1, ity)
    step = el.select_n(away, full_like(x1, -1, ity), one)
    moved = bits.bitcast_convert_type(el.add(bits.bitcast_convert_type(x1, ity), step), dt)
    tiny = bits.bitcast_convert_type(one, dt)
    from_zero = el.select_n(up, el.neg(tiny), tiny)
    out = el.select_n(el.eq(x1, _c(x1, 0)), moved, from_zero)
    out = el.select_n(el.eq(x1, x2), out, x2)
    nan = el.bitwise_or(el.ne(x1, x1), el.ne(x2, x2))
    return el.select_n(nan, out, el.add(x1, x2))


def reduce_precision(operand, exponent_bits, mantissa_bits):
    """``operand`` rounded to a float format with these exponent and mantissa
    widths and back (XLA's ReducePrecision): the mantissa rounds to nearest even,
    magnitudes above the format's largest become infinities, below its smallest
    normal zeros (of the same sign); NaN stays NaN."""
    _floating("reduce_precision", operand)
    dt = _aval(operand).dtype
    info = np.finfo(dt)
    src_mant, src_exp = info.nmant, dt.itemsize * 8 - 1 - info.nmant
    exponent_bits, mantissa_bits = int(exponent_bits), int(mantissa_bits)
    if exponent_bits < 1 or mantissa_bits < 0:
        raise ValueError(f"reduce_precision: exponent_bits must be >= 1 and mantissa_bits >= 0, "
                         f"got {exponent_bits} and {mantissa_bits}")
    uty = np.dtype(f"uint{8 * dt.itemsize}")

    def u(v):
        return full_like(operand, v, uty)
    x = bits.bitcast_convert_type(operand, uty)
    if mantissa_bits < src_mant:
        shift = src_mant - mantissa_bits
        last = el.bitwise_and(bits.shift_right_logical(x, u(shift)), u(1))
        x = el.add(x, el.add(u((1 << (shift - 1)) - 1), last))
        x = el.bitwise_and(x, u(~((1 << shift) - 1) & ((1 << (8 * dt.itemsize)) - 1)))
    if exponent_bits < src_exp:
        sign = u(1 << (8 * dt.itemsize - 1))
        exp_field = el.bitwise_and(x, u(((1 << src_exp) - 1) << src_mant))
        bias, reduced_bias = (1 << (src_exp - 1)) - 1, (1 << (exponent_bits - 1)) - 1
        top = u((bias + reduced_bias) << src_mant)           # largest exponent kept
        bottom = u((bias - reduced_bias) << src_mant)        # below: not a normal number
        signed_inf = el.bitwise_or(el.bitwise_and(x, sign), u(((1 << src_exp) - 1) << src_mant))
        signed_zero = el.bitwise_and(x, sign)
        x = el.select_n(el.gt(exp_field, top), x, signed_inf)
        x = el.select_n(el.le(exp_field, bottom), x, signed_zero)
    out = bits.bitcast_convert_type(x, dt)
    return el.select_n(el.ne(operand, operand), out, operand)

