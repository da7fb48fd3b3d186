"""Elementwise functions under their numpy names.

Each one promotes its operands with JAX's rules (``util.promote``), broadcasts
them with numpy's rules, and calls one or a few lax ops. Math functions such as
``exp`` compute in float (int32/bool -> float32, int64 -> float64).
"""
import math

import numpy as np

from jaxlite import core, dtypes, lax
from jaxlite.custom_derivatives import custom_jvp
# Modules, not names: the numpy modules import each other (used at call time).
from jaxlite.numpy import _eager, _indexing
from jaxlite import numpy_util as util
from jaxlite.numpy_util import promote, promote_inexact, broadcast, as_operand


def _kind(x):
    return util.aval(x).dtype.kind


def _binary(name, lax_fn, inexact=False, numeric=False):
    """A numpy binary ufunc over ``lax_fn``: promote, broadcast, apply. ``numeric``:
    bool operands compute as int32 (JAX's promote_args_numeric)."""
    def f(x1, x2):
        quick = _quick_operands(x1, x2, inexact, numeric)
        if quick is not None:
            return lax_fn(*quick)
        x1, x2 = (promote_inexact if inexact else promote)(x1, x2)
        if numeric:
            x1, x2 = _numeric(x1, x2)
        x1, x2 = broadcast(x1, x2, what=name, error=TypeError)     # as JAX's ufuncs
        return lax_fn(x1, x2)
    f.__name__ = name
    f.__doc__ = f"Elementwise ``numpy.{name}`` with JAX's type promotion and broadcasting."
    return f


_ARRAY_TYPES = (np.ndarray, core.Array)
_SUPPORTED = frozenset(dtypes.SUPPORTED)


def _quick_operands(x1, x2, inexact, numeric):
    """The operands as promotion and broadcasting would leave them, in the common
    cases where that is cheap to see (eager ops are dominated by this
    bookkeeping), else None: two arrays or tracers of one supported dtype and
    shape, or a strong float array or tracer with a Python float or int (the
    scalar takes its dtype)."""
    t1, t2 = type(x1), type(x2)
    a1 = t1 in _ARRAY_TYPES or isinstance(x1, core.Tracer)
    a2 = t2 in _ARRAY_TYPES or isinstance(x2, core.Tracer)
    if a1 and a2:
        dt = x1.dtype
        same = (dt is x2.dtype and dt in _SUPPORTED and x1.shape == x2.shape
                and (dt.kind == "f" or not inexact) and not (numeric and dt.kind == "b"))
        return (x1, x2) if same else None
    if a1 and (t2 is float or t2 is int):
        arr = x1
    elif a2 and (t1 is float or t1 is int):
        arr = x2
    else:
        return None
    dt = arr.dtype
    if dt.kind != "f" or dt not in _SUPPORTED or getattr(arr, "weak_type", False):
        return None
    return (x1, np.asarray(x2, dt)) if arr is x1 else (np.asarray(x1, dt), x2)


def _unary_inexact(name, lax_fn):
    def f(x):
        (x,) = promote_inexact(x)
        return lax_fn(x)
    f.__name__ = name
    f.__doc__ = f"Elementwise ``numpy.{name}``; integer inputs compute in float."
    if name in _EAGER_UFUNCS:       # the primitive's impl is this numpy ufunc
        return _eager.unary(getattr(np, name), f)
    return f


_EAGER_UFUNCS = frozenset(["exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "tanh"])


def _numeric(*args):
    """Already-promoted operands, with bool turned into int32: arithmetic that has
    no boolean meaning (square, power, remainder, ...) counts True as 1, as JAX does."""
    if _kind(args[0]) != "b":
        return args
    return [util.convert(a, dtypes.int32, weak=core.is_python_scalar(a)) for a in args]


def _const(like, value):
    return np.asarray(value, util.aval(like).dtype)


# ----------------------------------------------------------- arithmetic

def _add(x, y):
    return lax.bitwise_or(x, y) if _kind(x) == "b" else lax.add(x, y)


def _mul(x, y):
    return lax.bitwise_and(x, y) if _kind(x) == "b" else lax.mul(x, y)


add = _binary("add", _add)
subtract = _binary("subtract", lax.sub)
multiply = _binary("multiply", _mul)
divide = true_divide = _binary("true_divide", lax.div, inexact=True)
maximum = _binary("maximum", lax.max)
minimum = _binary("minimum", lax.min)
arctan2 = _binary("arctan2", lax.atan2, inexact=True)
def _fmod(x, y):
    if _kind(x) == "f":
        return lax.rem(x, y)
    r = lax.rem(x, y)
    return lax.select_n(lax.eq(y, _const(y, 0)), r, lax.mul(r, _const(x, 0)))   # x % 0 -> 0


fmod = _binary("fmod", _fmod, numeric=True)


def _float_floor_divide(x, y):
    """numpy's float ``x // y``: floor(x / y) would round the quotient first
    (1 // 0.1 would be 10, not 9, and inf // 2 inf, not nan). Instead take the
    exact remainder, make it follow y's sign, and divide the rest exactly."""
    mod = lax.rem(x, y)
    div = lax.div(lax.sub(x, mod), y)
    zero = _const(x, 0)
    step_down = lax.bitwise_and(lax.ne(mod, zero), lax.ne(lax.lt(y, zero), lax.lt(mod, zero)))
    div = lax.select_n(step_down, div, lax.sub(div, _const(x, 1)))
    div = lax.round(div)        # div is an integer up to rounding error
    # x // 0 is x / 0 (+-inf, nan for 0 // 0), as in numpy and JAX.
    return lax.select_n(lax.eq(y, zero), div, lax.div(x, y))


def _floor_divide(x, y):
    if _kind(x) == "f":
        return _float_floor_divide(x, y)
    q = lax.div(x, y)           # truncates toward zero; x // 0 is all bits set
    if _kind(x) == "u":
        return q
    r = lax.rem(x, y)
    zero = _const(x, 0)
    # Step down by one when the truncated quotient was rounded up (signs
    # differ); written with sign() so that x // 0 gives JAX's value too.
    adjust = lax.bitwise_and(lax.ne(r, zero), lax.ne(lax.sign(x), lax.sign(y)))
    return lax.select_n(adjust, q, lax.sub(q, _const(x, 1)))


def _remainder(x, y):
    r = lax.rem(x, y)           # sign of x; numpy's remainder has the sign of y
    zero = _const(x, 0)
    adjust = lax.bitwise_and(lax.ne(r, zero), lax.ne(lax.lt(r, zero), lax.lt(y, zero)))
    out = lax.select_n(adjust, r, lax.add(r, y))
    if _kind(x) == "f":
        return out
    return lax.select_n(lax.eq(y, zero), out, lax.mul(out, zero))   # x % 0 -> 0, as numpy and JAX


floor_divide = _binary("floor_divide", _floor_divide, numeric=True)
remainder = mod = _binary("remainder", _remainder, numeric=True)


def divmod(x1, x2):
    return floor_divide(x1, x2), remainder(x1, x2)


def _int_power(x, y):
    """``x ** y`` for integer arrays by binary exponentiation over y's bits
    (negative exponents are treated as 0)."""
    bits = 8 * util.aval(x).dtype.itemsize - 1
    one, zero, two = _const(x, 1), _const(x, 0), _const(x, 2)
    acc = lax.add(lax.mul(x, zero), one)
    y = lax.max(y, zero)
    for _ in range(bits):
        odd = lax.ne(lax.rem(y, two), zero)
        acc = lax.select_n(odd, acc, lax.mul(acc, x))
        x = lax.mul(x, x)
        y = lax.div(y, two)
    return acc


def power(x1, x2):
    """``x1 ** x2``; a static Python int exponent uses lax.integer_pow."""
    if type(x2) is int and _kind(as_operand(x1)) in "ifc":
        if x2 < 0 and _kind(as_operand(x1)) == "i":
            # JAX's TypeError (numpy raises ValueError here)
            raise TypeError(f"Integers cannot be raised to negative powers, got "
                            f"integer_pow({core.get_aval(as_operand(x1)).str_short()}, {x2})")
        return lax.integer_pow(as_operand(x1), x2)
    x1, x2 = _numeric(*promote(x1, x2))
    x1, x2 = broadcast(x1, x2, what="power", keep_scalars=False)
    if _kind(x1) in "fc":
        return lax.pow(x1, x2)
    return _int_power(x1, x2)


def float_power(x1, x2):
    """``x1 ** x2`` in the widest float (complex) type: float64 under x64, else
    float32 as in JAX (explicit float64 operands stay float64, jaxlite's rule)."""
    x1, x2 = (as_operand(x) for x in (x1, x2))
    kinds = (_kind(x1), _kind(x2))
    wide = dtypes.default_complex() if "c" in kinds else dtypes.default_float()
    for x, kind in zip((x1, x2), kinds):
        if kind in "fc":
            wide = np.promote_types(wide, util.aval(x).dtype)
    x1, x2 = promote(x1, x2, dtype=wide)
    return power(x1, x2)


def square(x):
    (x,) = _numeric(as_operand(x))
    return lax.integer_pow(x, 2)


def reciprocal(x):
    (x,) = promote_inexact(x)
    return lax.div(_const(x, 1), x)


def negative(x):
    return lax.neg(as_operand(x))


def positive(x):
    return as_operand(x)


def absolute(x):
    x = as_operand(x)
    return x if _kind(x) == "b" else lax.abs(x)


abs = absolute


def fabs(x):
    (x,) = promote_inexact(x)
    _refuse_complex("fabs", x, TypeError, "ufunc 'fabs' does not support complex dtypes")
    return lax.abs(x)


def _refuse_complex(name, x, error=ValueError, message=None):
    """JAX's error for a function that has no meaning on complex numbers."""
    if _kind(x) == "c":
        raise error(message or f"jnp.{name} is not well defined for complex-valued inputs"
                    f"{core.where_message()}")


def _parts(lax_fn):
    """``lax_fn`` applied to the real and imaginary parts of a complex operand
    separately (rounding, say); to a real operand directly."""
    def f(x, *args):
        if _kind(x) != "c":
            return lax_fn(x, *args)
        return lax.complex(lax_fn(lax.real(x), *args), lax_fn(lax.imag(x), *args))
    return f


def sign(x):
    # bool has no sign: lax.sign refuses it with a TypeError, as JAX and numpy do
    return lax.sign(as_operand(x))


def _float_only(name, lax_fn):
    """floor/ceil/trunc: the identity on integers, as in JAX."""
    def f(x):
        x = as_operand(x)
        return x if _kind(x) in "bi" else lax_fn(x)
    f.__name__ = name
    return f


floor = _float_only("floor", lax.floor)
ceil = _float_only("ceil", lax.ceil)
trunc = fix = _float_only("trunc", lambda x: lax.mul(lax.sign(x), lax.floor(lax.abs(x))))
rint = _unary_inexact("rint", _parts(lambda x: lax.round(x, 1)))


def round(a, decimals=0, out=None):
    """Round half to even (numpy's rule) to ``decimals`` places."""
    a = as_operand(a)
    if _kind(a) in "bi":
        return a
    if decimals == 0:
        return _parts(lax.round)(a, 1)
    factor = _const(a, 10.0 ** decimals)
    return lax.div(_parts(lax.round)(lax.mul(a, factor), 1), factor)


around = round_ = round

exp = _unary_inexact("exp", lax.exp)
exp2 = _unary_inexact("exp2", lax.exp2)
log = _unary_inexact("log", lax.log)
log1p = _unary_inexact("log1p", lax.log1p)
expm1 = _unary_inexact("expm1", lax.expm1)
sqrt = _unary_inexact("sqrt", lax.sqrt)
sin = _unary_inexact("sin", lax.sin)
cos = _unary_inexact("cos", lax.cos)
tan = _unary_inexact("tan", lax.tan)
arcsin = _unary_inexact("arcsin", lax.asin)
arccos = _unary_inexact("arccos", lax.acos)
arctan = _unary_inexact("arctan", lax.atan)
sinh = _unary_inexact("sinh", lax.sinh)
cosh = _unary_inexact("cosh", lax.cosh)
tanh = _unary_inexact("tanh", lax.tanh)
def _log_base(base):
    def f(x):
        if _kind(x) == "c":     # each part on its own: inf / ln 2 stays inf (no inf * 0j)
            return _parts(lambda p: lax.div(p, _const(p, math.log(base))))(lax.log(x))
        return lax.div(lax.log(x), _const(x, math.log(base)))
    return f


log2 = _unary_inexact("log2", _log_base(2.0))
log10 = _unary_inexact("log10", _log_base(10.0))


def _times_i(z, sign=1):
    """``i z`` (``-i z`` for sign -1) by swapping parts: a complex product with
    i would turn an infinite part into NaN (inf * 0)."""
    re, im = lax.real(z), lax.imag(z)
    return lax.complex(lax.neg(im), re) if sign > 0 else lax.complex(im, lax.neg(re))
deg2rad = radians = _unary_inexact("deg2rad", lambda x: lax.mul(x, _const(x, math.pi / 180)))
rad2deg = degrees = _unary_inexact("rad2deg", lambda x: lax.mul(x, _const(x, 180 / math.pi)))


cbrt = _unary_inexact("cbrt", lax.cbrt)


def _arcsinh(x):
    if _kind(x) == "c":
        # asinh(z) = -i asin(i z), whose branch cuts are numpy's and JAX's.
        return _times_i(lax.asin(_times_i(x)), -1)
    # Odd symmetry keeps large negative inputs accurate.
    ax = lax.abs(x)
    return lax.mul(lax.sign(x), lax.log(lax.add(ax, lax.sqrt(lax.add(lax.mul(ax, ax),
                                                                     _const(x, 1.0))))))


def _arccosh(x):
    if _kind(x) == "c":
        # acosh(z) = +-i acos(z), the sign giving a non-negative real part: the
        # principal branch, numpy's (and JAX's values).
        w = lax.acos(x)
        return lax.select_n(lax.le(lax.imag(w), _const(lax.imag(w), 0)), _times_i(w, -1),
                            _times_i(w))
    return lax.log(lax.add(x, lax.sqrt(lax.sub(lax.mul(x, x), _const(x, 1.0)))))


def _arctanh(x):
    if _kind(x) == "c":
        return lax.mul(_const(x, 0.5), lax.sub(lax.log1p(x), lax.log1p(lax.neg(x))))
    one = _const(x, 1.0)
    return lax.mul(_const(x, 0.5), lax.log1p(lax.div(lax.mul(_const(x, 2.0), x), lax.sub(one, x))))


arcsinh = _unary_inexact("arcsinh", _arcsinh)
arccosh = _unary_inexact("arccosh", _arccosh)
arctanh = _unary_inexact("arctanh", _arctanh)


def hypot(x1, x2):
    x1, x2 = promote_inexact(x1, x2)
    _refuse_complex("hypot", x1)
    x1, x2 = broadcast(x1, x2, what="hypot")
    return lax.sqrt(lax.add(lax.mul(x1, x1), lax.mul(x2, x2)))


def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)) without overflow; -inf + -inf gives -inf."""
    x1, x2 = promote_inexact(x1, x2)
    x1, x2 = broadcast(x1, x2, what="logaddexp", keep_scalars=False)
    return _logaddexp(x1, x2)


def _logaddexp_value(x1, x2):
    if _kind(x1) == "c":
        return _complex_logaddexp(x1, x2)
    amax = lax.max(x1, x2)
    delta = lax.sub(x1, x2)
    soft = lax.add(amax, lax.log1p(lax.exp(lax.neg(lax.abs(delta)))))
    # delta is NaN when both are the same infinity (or either is NaN).
    return lax.select_n(lax.ne(delta, delta), soft, lax.add(x1, x2))


def _complex_logaddexp(x1, x2):
    # Factor out the operand of larger real part: log(e^a + e^b) = a + log1p(e^(b - a)).
    first = lax.ge(lax.real(x1), lax.real(x2))
    big, small = lax.select_n(first, x2, x1), lax.select_n(first, x1, x2)
    return lax.add(big, lax.log1p(lax.exp(lax.sub(small, big))))


def _finite_or_zero(x):
    zero = util.broadcast_to_shape(_const(x, 0.0), util.shape(x))
    return lax.select_n(lax.eq(lax.abs(x), _const(x, math.inf)), x, zero)


def _logaddexp_jvp(primals, tangents):
    # Weights exp(x_i - out) (a softmax of the pair): exact at ties, where the
    # max/abs formulation would split the derivative by its kink conventions.
    x1, x2 = primals
    t1, t2 = tangents
    out = _logaddexp(x1, x2)    # itself, so higher derivatives use this rule too
    if _kind(x1) == "c":        # holomorphic: the weights are plain exponentials
        return out, lax.add(lax.mul(t1, lax.exp(lax.sub(x1, out))),
                            lax.mul(t2, lax.exp(lax.sub(x2, out))))
    o = _finite_or_zero(out)
    w1 = lax.exp(lax.sub(_finite_or_zero(x1), o))
    w2 = lax.exp(lax.sub(_finite_or_zero(x2), o))
    return out, lax.add(lax.mul(t1, w1), lax.mul(t2, w2))


def _make_logaddexp():
    f = custom_jvp(_logaddexp_value)
    f.defjvp(_logaddexp_jvp)
    return f


_logaddexp = _make_logaddexp()


def logaddexp2(x1, x2):
    ln2 = math.log(2.0)
    x1, x2 = promote_inexact(x1, x2)
    return divide(logaddexp(multiply(x1, ln2), multiply(x2, ln2)), ln2)


# ---------------------------------------------------------- comparisons

equal = _binary("equal", lax.eq)
not_equal = _binary("not_equal", lax.ne)
def _ordered(lax_fn):
    """An order comparison; complex numbers compare lexicographically (real
    part first, then imaginary), as in JAX and numpy."""
    def f(x, y):
        dt = getattr(x, "dtype", None)      # cheaper than the aval on the eager hot path
        if (dt.kind if dt is not None else _kind(x)) != "c":
            return lax_fn(x, y)
        rx, ry = lax.real(x), lax.real(y)
        return lax.select_n(lax.eq(rx, ry), lax_fn(rx, ry), lax_fn(lax.imag(x), lax.imag(y)))
    f.__name__ = lax_fn.__name__
    return f


less = _binary("less", _ordered(lax.lt))
less_equal = _binary("less_equal", _ordered(lax.le))
greater = _binary("greater", _ordered(lax.gt))
greater_equal = _binary("greater_equal", _ordered(lax.ge))


def to_bool(x):
    x = as_operand(x)
    if _kind(x) == "b":
        return x
    return lax.ne(util.strong(x), _const(x, 0))


def logical_and(x1, x2):
    x1, x2 = broadcast(to_bool(x1), to_bool(x2), what="logical_and")
    return lax.bitwise_and(x1, x2)


def logical_or(x1, x2):
    x1, x2 = broadcast(to_bool(x1), to_bool(x2), what="logical_or")
    return lax.bitwise_or(x1, x2)


def logical_xor(x1, x2):
    x1, x2 = broadcast(to_bool(x1), to_bool(x2), what="logical_xor")
    return lax.ne(x1, x2)


def logical_not(x):
    return lax.bitwise_not(to_bool(x))


def _check_bitwise(name, *xs):
    for x in xs:
        if _kind(x) == "f":
            raise TypeError(f"{name} is only defined for integer and boolean arrays, got "
                            f"{util.aval(x).dtype.name}")


def _bitwise(name, fn):
    def f(x1, x2):
        x1, x2 = promote(x1, x2)
        _check_bitwise(name, x1, x2)
        x1, x2 = broadcast(x1, x2, what=name)
        return fn(x1, x2)
    f.__name__ = name
    return f


bitwise_and = _bitwise("bitwise_and", lax.bitwise_and)
bitwise_or = _bitwise("bitwise_or", lax.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", lax.bitwise_xor)


def invert(x):
    x = as_operand(x)
    _check_bitwise("invert", x)
    return lax.bitwise_not(x)


bitwise_not = invert


def isnan(x):
    x = as_operand(x)
    if _kind(x) == "c":
        return lax.bitwise_or(isnan(lax.real(x)), isnan(lax.imag(x)))
    if _kind(x) != "f":
        return _falses(x)
    return lax.ne(x, x)


def isinf(x):
    x = as_operand(x)
    if _kind(x) == "c":
        return lax.bitwise_or(isinf(lax.real(x)), isinf(lax.imag(x)))
    if _kind(x) != "f":
        return _falses(x)
    return lax.eq(lax.abs(x), _const(x, np.inf))


def isfinite(x):
    x = as_operand(x)
    if _kind(x) == "c":
        return lax.bitwise_and(isfinite(lax.real(x)), isfinite(lax.imag(x)))
    if _kind(x) != "f":
        return lax.bitwise_not(_falses(x))
    # |x| < inf is False for inf and for NaN.
    return lax.lt(lax.abs(x), _const(x, np.inf))


def _falses(x):
    return core.wrap(np.zeros(util.shape(x), bool))


def signbit(x):
    x = as_operand(x)
    _refuse_complex("signbit", x)
    if _kind(x) == "f":
        # 1/x tells -0.0 from +0.0.
        return lax.bitwise_or(lax.lt(x, _const(x, 0)),
                              lax.bitwise_and(lax.eq(x, _const(x, 0)),
                                              lax.lt(lax.div(_const(x, 1), x), _const(x, 0))))
    return lax.lt(x, _const(x, 0))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = promote_inexact(a, b)
    a, b = broadcast(a, b, what="isclose", keep_scalars=False)
    close = less_equal(absolute(subtract(a, b)), add(atol, multiply(rtol, absolute(b))))
    # With an infinity the tolerance is infinite too (so -inf would be "close"
    # to inf, and 1 to inf): infinities are close only to themselves.
    close = logical_and(close, logical_and(isfinite(a), isfinite(b)))
    close = logical_or(close, equal(a, b))
    if equal_nan:
        close = logical_or(close, logical_and(isnan(a), isnan(b)))
    return close


# ---------------------------------------------------------------- select

def where(condition, x=None, y=None, *, size=None, fill_value=None):
    """``x`` where ``condition`` else ``y``, broadcasting all three; the
    one-argument form (``nonzero``) needs a concrete condition or ``size=``."""
    if x is None and y is None:
        return _indexing.nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("Either both or neither of the x and y arguments should be provided "
                         "to jnp.where")
    cond = to_bool(condition)
    x, y = promote(x, y)
    cond, x, y = broadcast(cond, x, y, what="where", keep_scalars=False)
    return lax.select_n(cond, y, x)


def clip(a, a_min=None, a_max=None, *, min=None, max=None):
    """``a`` limited to [a_min, a_max] (either bound may be None)."""
    lo = min if min is not None else a_min
    hi = max if max is not None else a_max
    a = as_operand(a)
    for v in (a, lo, hi):
        if v is not None:
            _refuse_complex("clip", as_operand(v), ValueError,
                            "clip: complex values have no ordering and cannot be clipped")
    if lo is not None:
        a = maximum(a, lo)
    if hi is not None:
        a = minimum(a, hi)
    return a


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    x = as_operand(x)
    if _kind(x) == "c":       # each part on its own, as JAX and numpy
        return lax.complex(*(nan_to_num(p, copy, nan, posinf, neginf)
                             for p in (lax.real(x), lax.imag(x))))
    if _kind(x) != "f":
        return x
    info = np.finfo(util.aval(x).dtype)
    x = where(isnan(x), nan, x)
    x = where(equal(x, np.inf), info.max if posinf is None else posinf, x)
    return where(equal(x, -np.inf), info.min if neginf is None else neginf, x)


# ------------------------------------------------- array-API aliases, extras

acos = arccos
asin = arcsin
atan = arctan
atan2 = arctan2
acosh = arccosh
asinh = arcsinh
atanh = arctanh
pow = power


def _nan_ignoring(name, better):
    """fmax/fmin: like maximum/minimum, but a NaN loses to a number (NaN only
    when both are NaN). Ties pick x2, so its gradient goes to x2."""
    def f(x1, x2):
        x1, x2 = promote(x1, x2)
        x1, x2 = broadcast(x1, x2, what=name, keep_scalars=False)
        return lax.select_n(lax.bitwise_or(better(x1, x2), isnan(x2)), x2, x1)
    f.__name__ = name
    f.__doc__ = f"Elementwise ``numpy.{name}``: NaNs are ignored unless both are NaN."
    return f


fmax = _nan_ignoring("fmax", _ordered(lax.gt))
fmin = _nan_ignoring("fmin", _ordered(lax.lt))


def copysign(x1, x2):
    """|x1| with the sign bit of x2 (so -0.0 counts as negative)."""
    x1, x2 = promote_inexact(x1, x2)
    _refuse_complex("copysign", x1, TypeError, "copysign does not support complex-valued inputs")
    x1, x2 = broadcast(x1, x2, what="copysign", keep_scalars=False)
    mag = lax.abs(x1)
    return lax.select_n(signbit(x2), mag, lax.neg(mag))


def heaviside(x1, x2):
    """0 where x1 < 0, 1 where x1 > 0, x2 elsewhere (x1 == 0, and NaN as in JAX)."""
    x1, x2 = promote_inexact(x1, x2)
    x1, x2 = broadcast(x1, x2, what="heaviside", keep_scalars=False)
    zero = _const(x1, 0)
    shape = util.shape(x1)
    zeros = util.broadcast_to_shape(zero, shape)
    ones = util.broadcast_to_shape(_const(x1, 1), shape)
    out = lax.select_n(lax.gt(x1, zero), x2, ones)
    return lax.select_n(lax.lt(x1, zero), out, zeros)


def _sinc_taylor_value(k, x):
    # The k-th derivative of sin(y)/y at y == 0: (-1)^(k/2) / (k + 1) for even k.
    c = 0.0 if k % 2 else (-1.0) ** (k // 2) / (k + 1)
    return lax.add(lax.mul(x, _const(x, 0)), _const(x, c))


def _make_sinc_taylor():
    """sin(y)/y near 0 as a constant whose k-th derivative is the k-th Taylor
    coefficient times k!: every order of derivative of sinc is right at 0,
    where the quotient form would give 0/0."""
    cache = {}

    def taylor(k):
        if k not in cache:
            f = custom_jvp(lambda x: _sinc_taylor_value(k, x))
            f.defjvp(lambda primals, tangents: (taylor(k)(primals[0]),
                                                lax.mul(taylor(k + 1)(primals[0]),
                                                        tangents[0])))
            cache[k] = f
        return cache[k]
    return taylor


_sinc_taylor = _make_sinc_taylor()


def sinc(x):
    """sin(pi x) / (pi x), with the limit 1 (and correct derivatives) at x == 0."""
    (x,) = promote_inexact(x)
    x = util.strong(x)
    y = lax.mul(x, _const(x, math.pi))
    at_zero = lax.eq(x, _const(x, 0))
    safe = lax.select_n(at_zero, y, lax.add(lax.mul(y, _const(x, 0)), _const(x, 1)))
    return lax.select_n(at_zero, lax.div(lax.sin(safe), safe), _sinc_taylor(0)(y))


def real(val):
    """The real part (a real ``val`` is its own)."""
    val = as_operand(val)
    return lax.real(val) if _kind(val) == "c" else val


def imag(val):
    """The imaginary part (zeros of ``val``'s dtype for a real ``val``)."""
    val = as_operand(val)
    if _kind(val) == "c":
        return lax.imag(val)
    val = util.strong(val)
    return lax.mul(val, _const(val, 0)) if _kind(val) != "b" else _falses(val)


def conjugate(x):
    """The complex conjugate (a real ``x`` is its own)."""
    x = as_operand(x)
    return lax.conj(x) if _kind(x) == "c" else x


conj = conjugate


def _isinf_signed(name, value):
    def f(x):
        x = as_operand(x)
        if _kind(x) != "f":
            return _falses(x)
        return lax.eq(x, _const(x, value))
    f.__name__ = name
    f.__doc__ = f"Elementwise ``numpy.{name}`` (False for integer and bool inputs)."
    return f


isposinf = _isinf_signed("isposinf", np.inf)
isneginf = _isinf_signed("isneginf", -np.inf)


def select(condlist, choicelist, default=0):
    """The choice of the first true condition at each position, else ``default``."""
    condlist, choicelist = list(condlist), list(choicelist)
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: condlist has {len(condlist)} entries but choicelist has "
                         f"{len(choicelist)}; they must have the same length")
    if not condlist:
        raise ValueError("select: condlist and choicelist must not be empty")
    for i, c in enumerate(condlist):
        c = as_operand(c)
        if _kind(c) != "b":
            raise TypeError(f"select: condlist entry {i} must be a boolean array, got "
                            f"{util.aval(c).dtype.name}")
    out = as_operand(default)
    # Last condition first, so the earliest true condition has the final say.
    for cond, choice in zip(reversed(condlist), reversed(choicelist)):
        out = where(cond, choice, out)
    return out
