"""The complex-number primitives: real, imag, conj and complex.

All four are linear over the reals. Their transposes follow JAX's pairing of
a cotangent ``c`` with a tangent ``t``, ``Re(c * t)`` (no conjugation), so
for example the transpose of ``real`` is ``complex(c, 0)`` and that of
``imag`` is ``complex(0, -c)``.
"""
import numpy as np

from jaxlite import core, dtypes
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.interpreters.ad import Zero, is_undef
from jaxlite.lax._rules import standard_primitive, broadcast_shapes_strict, promote_weak
# Modules, not names: they import this one too (their functions are used at call time).
from jaxlite.lax import elementwise, reductions

__all__ = ["real_p", "imag_p", "conj_p", "complex_p", "real", "imag", "conj", "complex"]

# The real dtypes conj and complex accept (JAX has no complex32: float16 is refused).
_PART_DTYPES = (dtypes.float32, dtypes.float64)


def _dtype_error(name, dtype, accepted, position=None):
    at = "" if position is None else f" at position {position}"
    raise TypeError(f"{name} does not accept dtype {dtype.name}{at}. Accepted dtypes{at} are "
                    f"{accepted}{core.where_message()}")


def _complex_part_shape(name):
    def rule(x, **_):
        if x.dtype.kind != "c":
            _dtype_error(name, x.dtype, "complex64 or complex128")
        return ShapedArray(x.shape, dtypes.real_dtype(x.dtype), x.weak_type)
    return rule


# ------------------------------------------------------------------- real

real_p = standard_primitive("real", lambda x: np.real(x).copy(), _complex_part_shape("real"),
                            kind=core.ELEMENTWISE, cost=core.FREE)
batching.defvectorized(real_p)
ad.deflinear(real_p, lambda ct, x: [
    None if type(ct) is Zero else complex(ct, np.zeros((), core.get_aval(ct).dtype))])

# ------------------------------------------------------------------- imag

imag_p = standard_primitive("imag", lambda x: np.imag(x).copy(), _complex_part_shape("imag"),
                            kind=core.ELEMENTWISE, cost=core.FREE)
batching.defvectorized(imag_p)
ad.deflinear(imag_p, lambda ct, x: [
    None if type(ct) is Zero
    else complex(np.zeros((), core.get_aval(ct).dtype), elementwise.neg(ct))])

# ------------------------------------------------------------------- conj


def _conj_shape(x, input_dtype):
    if x.dtype.kind != "c" and x.dtype not in _PART_DTYPES:
        _dtype_error("conj", x.dtype, "float32, float64, complex64 or complex128")
    return ShapedArray(x.shape, dtypes.to_complex(x.dtype), x.weak_type)


def _conj_impl(x, input_dtype):
    return np.conj(x).astype(dtypes.to_complex(x.dtype))


def _conj_transpose(ct, x, input_dtype):
    if type(ct) is Zero:
        return [None]
    # Re(c * conj(t)) = Re(conj(c) * t); a real input sees only Re(c).
    return [conj(ct) if input_dtype.kind == "c" else real(ct)]


conj_p = standard_primitive("conj", _conj_impl, _conj_shape,
                            kind=core.ELEMENTWISE, cost=core.CHEAP)
batching.defvectorized(conj_p)
ad.deflinear(conj_p, _conj_transpose)

# ---------------------------------------------------------------- complex


def _complex_shape(x, y):
    for position, a in enumerate((x, y)):
        if a.dtype not in _PART_DTYPES:
            _dtype_error("complex", a.dtype, "float32 or float64", position)
    if x.dtype != y.dtype:
        raise TypeError(f"complex requires arguments to have the same dtypes, got "
                        f"{x.dtype.name}, {y.dtype.name}{core.where_message()}")
    shape = broadcast_shapes_strict("complex", x, y)
    return ShapedArray(shape, dtypes.to_complex(x.dtype), x.weak_type and y.weak_type)


def _complex_impl(x, y):
    out_dtype = dtypes.to_complex(np.result_type(x, y))
    out = np.empty(np.broadcast_shapes(np.shape(x), np.shape(y)), out_dtype)
    out.real, out.imag = x, y
    return out


def _unbroadcast(aval, ct):
    """Sum a cotangent down to a rank-0 operand's shape."""
    if core.get_aval(ct).shape == aval.shape:
        return ct
    return reductions.reduce_sum(ct, tuple(range(core.get_aval(ct).ndim)))


def _complex_transpose(ct, x, y):
    if type(ct) is Zero:
        return [None, None]
    # Re(c * (tx + i ty)) = Re(c) tx - Im(c) ty.
    return [_unbroadcast(x.aval, real(ct)) if is_undef(x) else None,
            _unbroadcast(y.aval, elementwise.neg(imag(ct))) if is_undef(y) else None]


complex_p = standard_primitive("complex", _complex_impl, _complex_shape,
                               kind=core.ELEMENTWISE, cost=core.CHEAP)
batching.defbroadcasting(complex_p)


def _complex_jvp(primals, tangents):
    ans = complex(*primals)
    tx, ty = tangents
    if type(tx) is Zero and type(ty) is Zero:
        return ans, Zero(core.get_aval(ans))
    return ans, complex(*(ad.instantiate(t) for t in tangents))


ad.jvp_rules[complex_p] = _complex_jvp
ad.transpose_rules[complex_p] = _complex_transpose

# ------------------------------------------------------- public wrappers


def real(x):
    """The real part of a complex ``x`` (lax.real: complex operands only)."""
    return core.bind(real_p, x)


def imag(x):
    """The imaginary part of a complex ``x`` (lax.imag: complex operands only)."""
    return core.bind(imag_p, x)


def conj(x):
    """The complex conjugate; a float32/float64 ``x`` gives a complex result."""
    return core.bind(conj_p, x, input_dtype=core.get_aval(x).dtype)


def complex(x, y):
    """``x + i y`` from two float32 or float64 operands of one dtype."""
    x, y = promote_weak("complex", x, y)
    return core.bind(complex_p, x, y)
