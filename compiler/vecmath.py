"""Vectorizable transcendental functions emitted as straight-line LLVM IR.

LLVM lowers `llvm.exp.f32` and friends to scalar libm calls, which stops the loop
vectorizer.  Here every function is built from arithmetic, bit manipulation
(bitcast/shl/ashr), `select` and intrinsics that have vector forms (llvm.fma,
llvm.fmuladd, llvm.fabs, llvm.floor, llvm.rint, llvm.copysign, llvm.sqrt), so a
loop `out[i] = f(in[i])` becomes AVX2 code at O3.

Public interface::

    has(name)                      # is there a vectorizable `name`?
    emit(builder, name, *args)     # -> ir.Value, same type as the arguments
    SUPPORTED                      # frozenset of the names registered by @_function

A function is added by writing its emitter ``_f(e, x)`` with ``@_function('f')``.

Arguments are `float`, `double` or vectors of them.  float work is done in float
(8 lanes per AVX2 register) except `pow`, which runs in double and rounds.

Accuracy (measured by tests/test_vecmath.py against numpy / math.erf): float32
within 2.6 ulp (tan: 3.2 near its poles; pow 0.54, its short double polynomials
leaving ~2^-29 before the rounding to float32), float64 within 5e-16 relative (pow
carries log|x| in two doubles, since |y log x| up to 745 amplifies its absolute error).
Special values follow numpy: overflow gives inf, underflow 0 (subnormal results
are produced), log(0) = -inf, log(<0) = NaN, NaN propagates, signed zeros are kept.

Argument reduction limits: sin/cos/tan use a three-part Cody-Waite reduction by
pi/2 (with a corrected quotient in float32).  They are accurate (<= 3.2 ulp float32;
float64 <= 5e-16 up to |x| = 1e14, <= 2e-15 up to 1e15) for |x| <= 2e7 (float32) and
|x| <= 1e15 (float64), and return NaN beyond those limits rather than a result without
correct digits (numpy returns the true value there).

Polynomials: the float64 kernels use Taylor series where they converge fast
(exp, log, sin, cos, erf); the others were fitted by least squares on Chebyshev
nodes (near-minimax), those of float32 tanh and logistic by minimax fits in
relative error (max error over every float32: tanh 1.50 ulp, logistic 2.40 ulp), as
are the double polynomials of float32 pow.
The derivation is `compiler/tools/fit_vecmath.py` (`python -m jaxlite.compiler.tools.fit_vecmath`
prints the tables); it is a development tool, never imported at run time.

FMA: exactness of the argument reductions relies on a fused multiply-add
(llvm.fma).  Compile for the host CPU (with its features) so that it becomes
one instruction; polynomials use llvm.fmuladd, which is free to split.
"""
import math
from fractions import Fraction

import numpy as np
from llvmlite import ir

from jaxlite.compiler.lltypes import I32, has_avx512

# name -> (emitter(e, *args), number of arguments), filled by @_function below.
_FUNCTIONS = {}


def _function(name, arity=1):
    """Register a function's emitter under ``name`` (what ``emit`` and ``has`` see)."""
    def register(fn):
        _FUNCTIONS[name] = (fn, arity)
        return fn
    return register


# ---------------------------------------------------------------------------
# Polynomial coefficients, lowest order first (printed by derive()).

# exp: e^r - 1 = r + r^2 P(r), |r| <= ln2/2.
EXP_P32 = (0.5000000013462219, 0.16666666719007717, 0.041666464976125916,
           0.00833329848035404, 0.0013933643522621763, 0.0001989927622440999)
EXP_P64 = tuple(1 / math.factorial(k + 2) for k in range(12))
# e^r = sum Q[k] r^k, |r| <= ln2/2, Q[0] = 1 exactly (float32 logistic).
EXP_Q32 = (1.0, 1.0000000321655123, 0.4999999420895165, 0.16666431261113096,
           0.04166800204904516, 0.008374155410450456, 0.0013843653098696387)
# float32 pow (computed in double): log2(1 + f) = s G(z), s = f / (2 + f), z = s^2 <= 0.0295,
# and 2^r = sum E[k] r^k for |r| <= 1/2, E[0] = 1 exactly; minimax in relative error.
POW_L32 = (2.88539008179008, 0.9617966733503073, 0.577083583230141, 0.4116728289311233,
           0.34072797504190777)
POW_E32 = (1.0, 0.6931472028553792, 0.24022647913583314, 0.05550332470630673,
           0.009618437360752885, 0.001339887457061107, 0.00015353361453539503)
# log: log1p(f) = f - f^2/2 + s (f^2/2 + z L(z)), s = f / (2 + f), z = s^2 <= 0.0295.
LOG_L32 = (0.6666666655378405, 0.40000122277368433, 0.2855078110672292, 0.23331367484055598)
LOG_L64 = tuple(2 / (2 * k + 3) for k in range(10))
# sin r = r + r^3 S(r^2), cos r = 1 - r^2/2 + r^4 C(r^2), |r| <= 0.8.
SIN_S32 = (-0.16666666663413202, 0.008333331705663076, -0.00019839996998780826,
           2.7238495367302133e-06)
COS_C32 = (0.04166666666395187, -0.0013888887530818794, 2.4800525433505217e-05,
           -2.729141387099737e-07)
SIN_S64 = tuple((-1) ** (k + 1) / math.factorial(2 * k + 3) for k in range(7))
COS_C64 = tuple((-1) ** k / math.factorial(2 * k + 4) for k in range(7))
# tan r = r + r^3 T(r^2), |r| <= 0.8 (float32; float64 uses sin/cos).
TAN_T32 = (0.33333334274944765, 0.13333192197154148, 0.05400256146323041, 0.021560043013511797,
           0.010168328471122803, 0.0008672298429537144, 0.004025894576876994)
# float32 tanh, |x| < 0.7: tanh x = x - x^3 (S[0] + S[1] z) / (S[2] + z), z = x^2.
TANH_S32 = (0.8238202956872029, 0.003813008064338276, 2.4714614867813447)
# float32 tanh, |x| >= 0.7: e^(2r) = sum E[k] r^k, |r| <= ln2/4, E[0] = 1 exactly.
TANH_E32 = (1.0, 1.999999414370978, 1.9999659810769228, 1.3334108965382592,
            0.6703668745295472, 0.265290047027747)
# asin t = t + t^3 P(t^2), |t| <= 1/2.
ASIN_P32 = (0.16666666316763593, 0.07500098762726137, 0.04459803222966145,
            0.031116156438565648, 0.017077859371357737, 0.033805748308940765)
ASIN_P64 = (0.16666666666666646, 0.07500000000022133, 0.044642857101279854,
            0.03038194749683699, 0.022372043562766425, 0.01735533505867181,
            0.013928783650533634, 0.011881979042808456, 0.007771806579899888,
            0.016128497881803778, -0.010906036327381236, 0.028283701679753064)
# atan u = u + u^3 A(u^2), |u| <= tan(pi/8).
ATAN_A32 = (-0.33333333281082583, 0.1999997778435192, -0.14284175492718842,
            0.11071759151986438, -0.08627289507475452, 0.05054209709683729)
ATAN_A64 = (-0.3333333333333332, 0.19999999999995324, -0.1428571428464522,
            0.11111111014024838, -0.0909090454452174, 0.07692182697450292,
            -0.06664507182838388, 0.05858125393774173, -0.05085358344110081,
            0.03922910668079202, -0.01917315101947004)
# erf x = x + x E(x^2), |x| <= 1 (E(0) = 2/sqrt(pi) - 1, so the leading x is exact).
ERF_E32 = (0.128379165881503, -0.3761262690358108, 0.11283597463491872,
           -0.02685432879616434, 0.005189311942803325, -0.0008018854993418796,
           7.882497111235411e-05)
ERF_E64 = tuple(2 / math.sqrt(math.pi) * (-1) ** k / (math.factorial(k) * (2 * k + 1))
                - (k == 0) for k in range(18))
# erfc x = exp(-x^2) G(1/x) for x in [1, 4] (float32, monomials in u = 1/x).
ERFC_G32 = (0.00014590342901676934, 0.5613178839787936, 0.02404976238405837,
            -0.39137487885960975, 0.2730973458185072, 0.16222162195615164,
            -0.44898904699222053, 0.37458830997550474, -0.1534985556993123,
            0.02602523323068769)
# float64: G on u in [1/6, 1] (x in [1, 6]) as a polynomial in t = (12u - 7) / 5 in
# [-1, 1] (from a Chebyshev fit; the coefficients sum to 0.49, so Horner is stable).
ERFC_G64 = (
    0.2897221163234641, 0.16536269001261503, -0.030831050508412575, 0.002821131897899192,
    0.001034432225733847, -0.0007383867437814392, 0.0002656054761722201,
    -5.528648595797242e-05, -4.046682007411858e-06, 1.088259144987383e-05,
    -6.497792362993361e-06, 2.5832956520418996e-06, -6.643572226421804e-07,
    9.60264196335416e-10, 1.285242467694051e-07, -9.411394494580891e-08, 4.41425077406021e-08,
    -1.9235267245676383e-08, 8.15634848549961e-09, 4.969479050487287e-10,
    -3.367313183844087e-09, 1.5017576515674594e-09, -1.6298145055770878e-10)

# ---------------------------------------------------------------------------
# Constants split into a sum of floats (hi + lo [+ lo2]) so that n*hi is exact.

_PI = Fraction('3.14159265358979323846264338327950288419716939937510582097494459230781640628')
_LN2 = Fraction('0.693147180559945309417232121458176568075500134360255254120680009493393621969')


def _split(value, parts, f64):
    """value (a Fraction) as `parts` floats whose sum is value to ~parts*24/53 bits."""
    out = []
    for _ in range(parts):
        v = float(value) if f64 else float(np.float32(float(value)))
        out.append(v)
        value -= Fraction(v)
    return out


class _Consts:
    def __init__(self, f64):
        self.ln2 = _split(_LN2, 2, f64)
        self.pio2 = _split(_PI / 2, 3, f64)
        self.pio4 = _split(_PI / 4, 2, f64)
        self.pi = _split(_PI, 2, f64)
        self.twoopi = _split(2 / _PI, 2, f64)


_CONSTS = {False: _Consts(False), True: _Consts(True)}


# ---------------------------------------------------------------------------
# Emission helpers: one _Emitter per (builder, float type).

def _overload_suffix(ty):
    """An intrinsic's name part for the type ``ty``: f32, v8f32, i32, v8i32."""
    if isinstance(ty, ir.VectorType):
        return f"v{ty.count}{ty.element.intrinsic_name}"
    return ty.intrinsic_name


class _Emitter:
    """Builds IR for one float type (scalar or vector); constants are splatted."""

    def __init__(self, builder, ty):
        scalar = ty.element if isinstance(ty, ir.VectorType) else ty
        if not isinstance(scalar, (ir.FloatType, ir.DoubleType)):
            raise TypeError(f"vecmath: expected float/double (or vector) values, got {ty}")
        self.b = builder
        self.ty = ty
        self.lanes = ty.count if isinstance(ty, ir.VectorType) else None
        self.f64 = isinstance(scalar, ir.DoubleType)
        self.k = _CONSTS[self.f64]
        self.mant = 52 if self.f64 else 23
        self.bias = 1023 if self.f64 else 127
        ielem = ir.IntType(64 if self.f64 else 32)
        self.ity = ir.VectorType(ielem, self.lanes) if self.lanes else ielem
        # Adding this rounds a float to an integer and leaves the integer in the low bits.
        self.shifter = 1.5 * 2.0 ** self.mant

    # constants
    def c(self, v):
        if not self.f64:
            v = float(np.float32(v))
        return ir.Constant(self.ty, [v] * self.lanes) if self.lanes else ir.Constant(self.ty, v)

    def rnd(self, v):
        """v rounded to this float type, as a Python float."""
        return float(v) if self.f64 else float(np.float32(v))

    def ci(self, v):
        return ir.Constant(self.ity, [v] * self.lanes) if self.lanes else ir.Constant(self.ity, v)

    # arithmetic (no fast-math flags: the error-free transformations need IEEE order)
    def add(self, a, b):
        return self.b.fadd(a, b)

    def sub(self, a, b):
        return self.b.fsub(a, b)

    def mul(self, a, b):
        return self.b.fmul(a, b)

    def div(self, a, b):
        return self.b.fdiv(a, b)

    def neg(self, a):
        return self.b.fneg(a)

    def intrinsic(self, name, *args, overloads=None):
        """Call llvm.<name> overloaded on this type, or on the types ``overloads``
        (llvm.ldexp is overloaded on both of its operands), declared once per module."""
        module = self.b.module
        full = ".".join([name, *map(_overload_suffix, overloads or (self.ty,))])
        fn = module.globals.get(full)
        if fn is None:
            fn = ir.Function(module, ir.FunctionType(self.ty, [a.type for a in args]),
                             name=full)
        return self.b.call(fn, args)

    def fma(self, a, b, c):
        """a*b + c rounded once (needed by the exact reductions)."""
        return self.intrinsic('llvm.fma', a, b, c)

    def mad(self, a, b, c):
        """a*b + c, fused or not (polynomials)."""
        return self.intrinsic('llvm.fmuladd', a, b, c)

    def abs(self, a):
        return self.intrinsic('llvm.fabs', a)

    def floor(self, a):
        return self.intrinsic('llvm.floor', a)

    def rint(self, a):
        return self.intrinsic('llvm.rint', a)

    def sqrt(self, a):
        return self.intrinsic('llvm.sqrt', a)

    def copysign(self, mag, sign):
        return self.intrinsic('llvm.copysign', mag, sign)

    def poly(self, x, coeffs):
        """Horner evaluation of sum(coeffs[k] * x**k)."""
        acc = self.c(coeffs[-1])
        for cf in reversed(coeffs[:-1]):
            acc = self.mad(acc, x, self.c(cf))
        return acc

    # comparisons and selection (ordered compares are false for NaN)
    def cmp(self, op, a, b):
        return self.b.fcmp_ordered(op, a, b)

    def ucmp(self, op, a, b):
        return self.b.fcmp_unordered(op, a, b)

    def isnan(self, a):
        return self.b.fcmp_unordered('uno', a, a)

    def sel(self, cond, a, b):
        return self.b.select(cond, a, b)

    def or_(self, a, b):
        return self.b.or_(a, b)

    def and_(self, a, b):
        return self.b.and_(a, b)

    # bit-level views
    def bits(self, x):
        return self.b.bitcast(x, self.ity)

    def from_bits(self, i):
        return self.b.bitcast(i, self.ty)

    def signbit(self, x):
        return self.b.icmp_signed('<', self.bits(x), self.ci(0))

    def pow2i(self, n):
        """2.0**n for an integer vector n within the normal exponent range."""
        return self.from_bits(self.b.shl(self.b.add(n, self.ci(self.bias)), self.ci(self.mant)))

    def int_to_float(self, n):
        """Small integers to float without sitofp (i64 -> double does not vectorize on AVX2)."""
        sh = self.c(self.shifter)
        return self.sub(self.from_bits(self.b.add(n, self.bits(sh))), sh)

    def round_int(self, x):
        """(rint(x) as float, as integer); |x| < 2**(mant-1)."""
        sh = self.c(self.shifter)
        t = self.add(x, sh)
        return self.sub(t, sh), self.b.sub(self.bits(t), self.bits(sh))

    def clamp(self, x, lo, hi):
        """min(max(x, lo), hi) that keeps NaN."""
        x = self.sel(self.cmp('>', x, self.c(hi)), self.c(hi), x)
        return self.sel(self.cmp('<', x, self.c(lo)), self.c(lo), x)


def _two_sum(e, a, b):
    """(a + b rounded, its exact rounding error) (Knuth)."""
    s = e.add(a, b)
    bb = e.sub(s, a)
    err = e.add(e.sub(a, e.sub(s, bb)), e.sub(b, bb))
    return s, err


# ---------------------------------------------------------------------------
# exp family.  x = n ln2 + r, |r| <= ln2/2, e^x = 2^n (1 + expm1(r)).

def _exp_reduce(e, x):
    """(n as float, n as int, r) with x = n*ln2 + r; x must be clamped."""
    nf, ni = e.round_int(e.mul(x, e.c(1 / math.log(2))))
    hi, lo = e.k.ln2
    r = e.fma(e.neg(nf), e.c(hi), x)          # exact: the result is small and on hi's grid
    r = e.fma(e.neg(nf), e.c(lo), r)
    return nf, ni, r


def _expm1_poly(e, r):
    """expm1(r) for |r| <= ln2/2."""
    p = e.poly(r, EXP_P64 if e.f64 else EXP_P32)
    return e.add(r, e.mul(e.mul(r, r), p))


def _exp_small(e, r, rlo=None):
    """e^(r + rlo) for |r| <= ln2/2 and a tiny correction rlo."""
    y = e.add(e.c(1.0), _expm1_poly(e, r))
    return y if rlo is None else e.fma(y, rlo, y)


def _scale2(e, y, ni):
    """y * 2**ni, ni reaching the subnormal and overflow ranges: one vscalef on
    AVX-512 hosts (llvm.ldexp, which the vectorizer widens), else two multiplies
    (2**ni alone may not be a float). Both round once: the same result."""
    if has_avx512():
        return _ldexp(e, y, ni)
    n1 = e.b.ashr(ni, e.ci(1))
    n2 = e.b.sub(ni, n1)
    return e.mul(e.mul(y, e.pow2i(n1)), e.pow2i(n2))


def _ldexp(e, y, ni):
    ity = ir.VectorType(I32, e.ty.count) if isinstance(e.ty, ir.VectorType) else I32
    n = ni if ni.type == ity else e.b.trunc(ni, ity)
    return e.intrinsic("llvm.ldexp", y, n, overloads=(e.ty, ity))


def _exp_limits(e):
    # Beyond these, exp is 0 or inf; the two-step scaling produces both.
    return (-746.0, 710.0) if e.f64 else (-104.0, 89.0)


@_function('exp')
def _exp(e, x, xlo=None):
    """e^(x + xlo), xlo a tiny correction (used by pow)."""
    lo, hi = _exp_limits(e)
    xc = e.clamp(x, lo, hi)
    nf, ni, r = _exp_reduce(e, xc)
    if xlo is not None:     # a clamped (or NaN) x makes the correction meaningless
        xlo = e.sel(e.cmp('==', xc, x), xlo, e.c(0.0))
    return _scale2(e, _exp_small(e, r, xlo), ni)


@_function('exp2')
def _exp2(e, x):
    lo, hi = (-1076.0, 1025.0) if e.f64 else (-151.0, 129.0)
    xc = e.clamp(x, lo, hi)
    nf, ni = e.round_int(xc)
    f = e.sub(xc, nf)                          # exact, |f| <= 1/2
    ln2 = e.c(e.k.ln2[0])
    r = e.mul(f, ln2)
    rlo = e.mad(f, e.c(e.k.ln2[1]), e.fma(f, ln2, e.neg(r)))   # f*ln2 - r, rounding error
    return _scale2(e, _exp_small(e, r, rlo), ni)


@_function('expm1')
def _expm1(e, x):
    lo, hi = (-40.0, 710.0) if e.f64 else (-18.0, 89.0)
    xc = e.clamp(x, lo, hi)
    nf, ni, r = _exp_reduce(e, xc)
    em = _expm1_poly(e, r)
    # 2^n (1 + em) - 1 = 2 (s em + (s - 1/2)), s = 2^(n-1): keeps 2^128 in range.
    s = e.pow2i(e.b.sub(ni, e.ci(1)))
    half = e.sub(s, e.c(0.5))
    y = e.mul(e.fma(s, em, half), e.c(2.0))
    return e.sel(e.cmp('==', x, e.c(0.0)), x, y)   # keep -0


# ---------------------------------------------------------------------------
# log family.  x = 2^k m, m in [sqrt(1/2), sqrt(2)), log x = k ln2 + log1p(m - 1).

def _log_decompose(e, x):
    """(k as float, f = m - 1) for finite x > 0 (subnormals are rescaled)."""
    tiny = 2.0 ** (-1022 if e.f64 else -126)
    up = 54 if e.f64 else 24
    sub = e.cmp('<', x, e.c(tiny))
    xs = e.sel(sub, e.mul(x, e.c(2.0 ** up)), x)
    kadj = e.sel(sub, e.c(-float(up)), e.c(0.0))
    ix = e.bits(xs)
    sqrt_half = 0x3FE6A09E667F3BCD if e.f64 else 0x3F3504F3
    k = e.b.ashr(e.b.sub(ix, e.ci(sqrt_half)), e.ci(e.mant))
    m = e.from_bits(e.b.sub(ix, e.b.shl(k, e.ci(e.mant))))
    return e.add(e.int_to_float(k), kadj), e.sub(m, e.c(1.0))


def _log1p_kernel(e, f):
    """(hfsq, tail) with log1p(f) = f - hfsq + tail, |f| <= sqrt(2) - 1."""
    s = e.div(f, e.add(e.c(2.0), f))
    z = e.mul(s, s)
    hfsq = e.mul(e.mul(e.c(0.5), f), f)
    rz = e.mul(z, e.poly(z, LOG_L64 if e.f64 else LOG_L32))
    return hfsq, e.mul(s, e.add(hfsq, rz))


def _log_specials(e, x, y):
    """log's result y, fixed for x = 0, < 0, inf, NaN."""
    y = e.sel(e.cmp('==', x, e.c(math.inf)), x, y)
    y = e.sel(e.cmp('==', x, e.c(0.0)), e.c(-math.inf), y)
    return e.sel(e.ucmp('<', x, e.c(0.0)), e.c(math.nan), y)


@_function('log')
def _log(e, x):
    k, f = _log_decompose(e, x)
    hfsq, tail = _log1p_kernel(e, f)
    hi, lo = e.k.ln2
    low = e.mad(k, e.c(lo), tail)
    y = e.fma(k, e.c(hi), e.sub(f, e.sub(hfsq, low)))
    return _log_specials(e, x, y)


@_function('log2')
def _log2(e, x):
    k, f = _log_decompose(e, x)
    hfsq, tail = _log1p_kernel(e, f)
    # log2 x = k + (f - hfsq + tail) / ln2, the fraction carried in two parts.
    inv = e.rnd(1 / math.log(2))
    inv_hi, inv_lo = e.c(inv), e.c(float(1 / _LN2 - Fraction(inv)))
    fh = e.sub(f, hfsq)
    part = e.mad(e.add(fh, tail), inv_lo, e.mul(tail, inv_hi))
    y = e.add(k, e.fma(fh, inv_hi, part))
    return _log_specials(e, x, y)


@_function('log1p')
def _log1p(e, x):
    u = e.add(e.c(1.0), x)
    # u = 1 + x rounded; c corrects log(u) to log(1 + x) (first order).
    c = e.div(e.sub(x, e.sub(u, e.c(1.0))), u)
    c = e.sel(e.cmp('==', c, c), c, e.c(0.0))      # u = 0 or inf gives NaN
    y = e.add(_log(e, u), c)
    return e.sel(e.cmp('==', x, e.c(0.0)), x, y)    # keep -0


# ---------------------------------------------------------------------------
# Hyperbolic and logistic, through expm1/exp (no cancellation); float32 tanh and
# logistic inline exp's reduction and end in a single division.

@_function('tanh')
def _tanh(e, x):
    if not e.f64:
        return _tanh32(e, x)
    ax = e.clamp(e.abs(x), 0.0, 20.0)              # tanh(20) rounds to 1
    em = _expm1(e, e.add(ax, ax))
    return e.copysign(e.div(em, e.add(em, e.c(2.0))), x)


TANH32_SPLIT = 0.7


def _tanh32(e, x):
    """float32 tanh as base - num / den, one division shared by two branches:

    |x| <  0.7: |x| - |x|^3 h(x^2), h a (1,1) rational; the subtracted part is below
                16% of the result, which shrinks its rounding errors accordingly.
    |x| >= 0.7: 1 - 2 / (1 + e^(2|x|)), the subtracted part below 0.4.
    (A single rational x P(x^2) / Q(x^2) over the whole range is ~30% cheaper but
    5 ulp off: rounding P, Q, x P and the quotient costs up to 1 ulp each.)
    """
    ax = e.abs(x)
    # The small branch comes first: LLVM then interleaves vectorized sums of tanh
    # twice rather than four times, and spills fewer registers.
    z = e.mul(ax, ax)
    num_small = e.mul(e.mul(ax, z), e.mad(z, e.c(TANH_S32[1]), e.c(TANH_S32[0])))
    den_small = e.add(z, e.c(TANH_S32[2]))
    # e^(2|x|) = 2^n e^(2r), |r| <= ln2/4.  tanh rounds to 1 from |x| = 9.02 on; the
    # clamp keeps NaN (and sends inf to 1).  One fma reduces: n <= 29 and float32(ln2/2)
    # is within 1e-9 of ln2/2, which moves the result by < 0.05 ulp.
    axc = e.sel(e.cmp('>', ax, e.c(10.0)), e.c(10.0), ax)
    sh = e.c(e.shifter)
    kf = e.fma(axc, e.c(2 / math.log(2)), sh)      # n in the low mantissa bits
    r = e.fma(e.neg(e.sub(kf, sh)), e.c(math.log(2) / 2), axc)
    n_exp = e.b.shl(e.bits(kf), e.ci(e.mant))       # n << 23; the shifter's bits fall off
    two_mn = e.from_bits(e.b.sub(e.ci(e.bias << e.mant), n_exp))      # 2^-n
    # 2 / (1 + 2^n e^(2r)) = 2^(1-n) / (2^-n + e^(2r)): an add where 1 + E needs an fma
    num_large = e.add(two_mn, two_mn)
    den_large = e.add(two_mn, e.poly(r, TANH_E32))
    small = e.cmp('<', ax, e.c(TANH32_SPLIT))
    q = e.div(e.sel(small, num_small, num_large), e.sel(small, den_small, den_large))
    y = e.sub(e.sel(small, ax, e.c(1.0)), q)
    return e.copysign(y, x)                         # keeps -0


@_function('logistic')
def _logistic(e, x):
    if not e.f64:
        return _logistic32(e, x)
    a = _exp(e, e.neg(e.abs(x)))                     # in (0, 1]: never overflows
    num = e.sel(e.signbit(x), a, e.c(1.0))
    return e.div(num, e.add(e.c(1.0), a))


def _logistic32(e, x):
    """float32 logistic: with a = e^-|x| = 2^n p (n in [-150, 0]), both 1 / (1 + a) and
    a / (1 + a) scaled by 2^64: (2^64 or p 2^(n+64)) / (2^64 + p 2^(n+64)).  The scaled
    terms stay normal, so one scaling step does (exp needs two to reach subnormals),
    and the division rounds a subnormal result once."""
    ax = e.abs(x)
    # beyond 104 the result rounds to 0 (or 1); the clamp keeps NaN
    axc = e.sel(e.cmp('>', ax, e.c(104.0)), e.c(104.0), ax)
    sh = e.c(e.shifter)
    kf = e.fma(axc, e.c(-1 / math.log(2)), sh)     # n in the low mantissa bits
    nf = e.sub(kf, sh)
    hi, lo = e.k.ln2
    r = e.fma(e.neg(nf), e.c(hi), e.neg(axc))
    r = e.fma(e.neg(nf), e.c(lo), r)
    # 2^(n+64) from n's bits (the shifter's own bits shift out)
    scale = e.from_bits(e.b.add(e.b.shl(e.bits(kf), e.ci(e.mant)),
                                e.ci((e.bias + 64) << e.mant)))
    a64 = e.mul(e.poly(r, EXP_Q32), scale)            # exact: a power-of-2 scaling
    two64 = e.c(2.0 ** 64)
    return e.div(e.sel(e.signbit(x), a64, two64), e.add(a64, two64))


def _half_exp(e, ax):
    """e^ax / 2 = e^(ax - ln2) with ln2 carried to double length."""
    hi, lo = e.k.ln2
    d, err = _two_sum(e, ax, e.c(-hi))
    return _exp(e, d, e.sub(err, e.c(lo)))


@_function('sinh')
def _sinh(e, x):
    ax = e.abs(x)
    em = _expm1(e, ax)
    small = e.mul(e.c(0.5), e.add(em, e.div(em, e.add(em, e.c(1.0)))))
    h = _half_exp(e, ax)
    large = e.sub(h, e.div(e.c(0.25), h))
    return e.copysign(e.sel(e.cmp('<', ax, e.c(1.0)), small, large), x)


@_function('cosh')
def _cosh(e, x):
    h = _half_exp(e, e.abs(x))
    return e.add(h, e.div(e.c(0.25), h))


# ---------------------------------------------------------------------------
# Trigonometric.  x = n pi/2 + r (Cody-Waite, three parts), |r| <= pi/4.

def _trig_reduce(e, x):
    """(r, quadrant n mod 4 as float); r is NaN beyond the accurate range."""
    # Past these the reduction loses the quadrant; NaN is returned instead of noise.
    limit = 1e15 if e.f64 else 2e7
    x = e.sel(e.cmp('>', e.abs(x), e.c(limit)), e.c(math.nan), x)
    twoopi = e.k.twoopi
    p = e.mul(x, e.c(twoopi[0]))
    n = e.rint(p)
    if not e.f64:
        # p has only ~7 fraction bits at |x| ~ 1e6: correct n by the rounding error of p
        # so that |r| <= pi/4 holds (exact n up to |x| ~ 2.6e7).
        delta = e.mad(x, e.c(twoopi[1]), e.fma(x, e.c(twoopi[0]), e.neg(p)))
        d = e.add(e.sub(p, n), delta)
        n = e.add(n, e.sel(e.cmp('>', d, e.c(0.5)), e.c(1.0), e.c(0.0)))
        n = e.sub(n, e.sel(e.cmp('<', d, e.c(-0.5)), e.c(1.0), e.c(0.0)))
    c1, c2, c3 = e.k.pio2
    r = e.fma(e.neg(n), e.c(c1), x)                  # exact
    r = e.fma(e.neg(n), e.c(c2), r)
    r = e.fma(e.neg(n), e.c(c3), r)
    q = e.sub(n, e.mul(e.c(4.0), e.floor(e.mul(n, e.c(0.25)))))
    return r, q


def _sin_cos_kernel(e, r):
    z = e.mul(r, r)
    s = e.mad(e.mul(r, z), e.poly(z, SIN_S64 if e.f64 else SIN_S32), r)
    c0 = e.fma(z, e.c(-0.5), e.c(1.0))
    c = e.mad(e.mul(z, z), e.poly(z, COS_C64 if e.f64 else COS_C32), c0)
    return s, c


def _sin_or_cos(e, x, want_cos):
    r, q = _trig_reduce(e, x)
    s, c = _sin_cos_kernel(e, r)
    odd = e.or_(e.cmp('==', q, e.c(1.0)), e.cmp('==', q, e.c(3.0)))
    if want_cos:
        v = e.sel(odd, s, c)
        negate = e.or_(e.cmp('==', q, e.c(1.0)), e.cmp('==', q, e.c(2.0)))
    else:
        v = e.sel(odd, c, s)
        negate = e.cmp('>=', q, e.c(2.0))
    y = e.sel(negate, e.neg(v), v)
    return y if want_cos else e.sel(e.cmp('==', x, e.c(0.0)), x, y)   # sin(-0) = -0


@_function('sin')
def _sin(e, x):
    return _sin_or_cos(e, x, False)


@_function('cos')
def _cos(e, x):
    return _sin_or_cos(e, x, True)


@_function('tan')
def _tan(e, x):
    r, q = _trig_reduce(e, x)
    odd = e.or_(e.cmp('==', q, e.c(1.0)), e.cmp('==', q, e.c(3.0)))
    if e.f64:
        s, c = _sin_cos_kernel(e, r)
        # tan(r + pi/2) = -cos r / sin r
        y = e.div(e.sel(odd, e.neg(c), s), e.sel(odd, s, c))
    else:
        z = e.mul(r, r)
        t = e.mad(e.mul(r, z), e.poly(z, TAN_T32), r)
        y = e.sel(odd, e.div(e.c(-1.0), t), t)
    return e.sel(e.cmp('==', x, e.c(0.0)), x, y)


# ---------------------------------------------------------------------------
# Inverse trigonometric, all through one atan kernel on [0, 1].

def _atan01(e, t):
    """atan(t) for t in [0, 1] (NaN passes)."""
    mid = e.cmp('>', t, e.c(math.tan(math.pi / 8)))
    u = e.sel(mid, e.div(e.sub(t, e.c(1.0)), e.add(t, e.c(1.0))), t)
    z = e.mul(u, u)
    a = e.mad(e.mul(u, z), e.poly(z, ATAN_A64 if e.f64 else ATAN_A32), u)
    hi, lo = e.k.pio4
    return e.sel(mid, e.add(e.c(hi), e.add(e.c(lo), a)), a)


def _atan_pos(e, ax):
    """atan for ax >= 0 (inf gives pi/2)."""
    big = e.cmp('>', ax, e.c(1.0))
    a = _atan01(e, e.sel(big, e.div(e.c(1.0), ax), ax))
    hi, lo = e.k.pio2[:2]
    return e.sel(big, e.add(e.c(hi), e.sub(e.c(lo), a)), a)


@_function('atan')
def _atan(e, x):
    return e.copysign(_atan_pos(e, e.abs(x)), x)


def _asin_poly(e, t, z):
    """asin(t) - t for |t| <= 1/2, z = t^2."""
    return e.mul(e.mul(t, z), e.poly(z, ASIN_P64 if e.f64 else ASIN_P32))


def _asin_outer(e, w):
    """asin(sqrt(w)) for w in [0, 1/4], sqrt carried with its rounding correction."""
    s = e.sqrt(w)
    corr = e.div(e.fma(e.neg(s), s, w), e.add(s, s))     # sqrt(w) - s
    corr = e.sel(e.cmp('>', w, e.c(0.0)), corr, e.c(0.0))
    return s, e.add(corr, _asin_poly(e, s, w))            # asin = s + second


@_function('asin')
def _asin(e, x):
    ax = e.abs(x)
    inner = e.add(ax, _asin_poly(e, ax, e.mul(ax, ax)))
    # |x| > 1/2: asin x = pi/2 - 2 asin(sqrt((1 - |x|) / 2)); 1 - |x| is exact
    s, lo = _asin_outer(e, e.mul(e.sub(e.c(1.0), ax), e.c(0.5)))
    hi, plo = e.k.pio2[:2]
    outer = e.add(e.sub(e.c(hi), e.add(s, s)), e.sub(e.c(plo), e.add(lo, lo)))
    y = e.sel(e.cmp('>', ax, e.c(0.5)), outer, inner)
    y = e.sel(e.cmp('>', ax, e.c(1.0)), e.c(math.nan), y)
    return e.copysign(y, x)


@_function('acos')
def _acos(e, x):
    ax = e.abs(x)
    hi, plo = e.k.pio2[:2]
    # |x| <= 1/2: pi/2 - asin x
    inner = e.add(e.c(hi), e.sub(e.c(plo), e.add(x, _asin_poly(e, x, e.mul(x, x)))))
    # |x| > 1/2: 2 asin(sqrt((1 - |x|) / 2)), reflected to pi - ... for x < 0
    s, lo = _asin_outer(e, e.mul(e.sub(e.c(1.0), ax), e.c(0.5)))
    pihi, pilo = e.k.pi
    pos = e.add(e.add(s, s), e.add(lo, lo))
    neg = e.add(e.sub(e.c(pihi), e.add(s, s)), e.sub(e.c(pilo), e.add(lo, lo)))
    y = e.sel(e.cmp('>', ax, e.c(0.5)), e.sel(e.signbit(x), neg, pos), inner)
    return e.sel(e.cmp('>', ax, e.c(1.0)), e.c(math.nan), y)


@_function('atan2', arity=2)
def _atan2(e, y, x):
    ay, ax = e.abs(y), e.abs(x)
    swap = e.cmp('>', ay, ax)
    num = e.sel(swap, ax, ay)
    den = e.sel(swap, ay, ax)
    t = e.div(num, den)
    t = e.sel(e.cmp('==', den, e.c(0.0)), e.c(0.0), t)            # atan2(0, 0)
    t = e.sel(e.cmp('==', num, e.c(math.inf)), e.c(1.0), t)       # atan2(inf, inf)
    a = _atan01(e, t)
    p2hi, p2lo = e.k.pio2[:2]
    a = e.sel(swap, e.add(e.c(p2hi), e.sub(e.c(p2lo), a)), a)
    pihi, pilo = e.k.pi
    a = e.sel(e.signbit(x), e.add(e.c(pihi), e.sub(e.c(pilo), a)), a)
    out = e.copysign(a, y)
    return e.sel(e.b.or_(e.isnan(x), e.isnan(y)), e.add(x, y), out)


# ---------------------------------------------------------------------------
# erf: odd polynomial below 1, 1 - exp(-x^2) G(1/x) above (saturates at 4 / 6).

@_function('erf')
def _erf(e, x):
    ax = e.abs(x)
    z = e.mul(x, x)
    small = e.mad(x, e.poly(z, ERF_E64 if e.f64 else ERF_E32), x)
    xmax = 6.0 if e.f64 else 4.0
    xc = e.clamp(ax, 1.0, xmax)
    u = e.div(e.c(1.0), xc)
    if e.f64:
        # u in [1/6, 1] mapped to t in [-1, 1]
        t = e.mad(u, e.c(2 / (1 - 1 / 6)), e.c(-(1 + 1 / 6) / (1 - 1 / 6)))
        g = e.poly(t, ERFC_G64)
    else:
        g = e.poly(u, ERFC_G32)
    large = e.copysign(e.sub(e.c(1.0), e.mul(_exp(e, e.neg(e.mul(xc, xc))), g)), x)
    return e.sel(e.cmp('<', ax, e.c(1.0)), small, large)


# ---------------------------------------------------------------------------
# pow(x, y) = sign * exp(y log|x|) with log|x| in double-word precision; the
# product y log|x| reaches 745 so its absolute error sets the relative error.

_LOG_DD_REST = tuple(2 / (2 * k + 3) for k in range(1, 14))   # L'(z): truncation < 1e-21


def _log_dd(e, x):
    """log x as hi + lo for finite x > 0 (float64 emitter), relative error ~1e-19."""
    k, f = _log_decompose(e, x)
    # s = f / (2 + f) in two parts: d = 2 + f exactly as d + dlo, s = sh + sl.
    d = e.add(e.c(2.0), f)
    dlo = e.sub(f, e.sub(d, e.c(2.0)))
    sh = e.div(f, d)
    resid = e.sub(e.fma(e.neg(sh), d, f), e.mul(sh, dlo))
    sl = e.div(resid, d)
    # log1p(f) = 2 atanh(s) = 2 s + (2/3) s^3 + s^3 z L'(z), z = s^2.  The first two
    # terms are carried in two parts; the last is below 1e-4 and needs no extra bits.
    z = e.mul(sh, sh)
    z_err = e.fma(sh, sh, e.neg(z))
    c3 = e.mul(sh, z)
    c3_err = e.add(e.fma(sh, z, e.neg(c3)),
                   e.mad(sh, z_err, e.mul(e.mul(e.c(3.0), z), sl)))
    two3 = e.c(2 / 3)
    two3_lo = e.c(float(Fraction(2, 3) - Fraction(2 / 3)))
    cube = e.mul(two3, c3)
    cube_err = e.add(e.fma(two3, c3, e.neg(cube)), e.mad(two3, c3_err, e.mul(two3_lo, c3)))
    rest = e.mul(e.mul(c3, z), e.poly(z, _LOG_DD_REST))
    hi_ln2, lo_ln2 = e.k.ln2
    a = e.mul(k, e.c(hi_ln2))
    a_err = e.fma(k, e.c(hi_ln2), e.neg(a))        # exact rounding error of k*hi
    hi, err = _two_sum(e, a, e.add(sh, sh))
    hi, err2 = _two_sum(e, hi, cube)
    small = e.add(e.add(sl, sl), e.add(cube_err, e.mad(k, e.c(lo_ln2), rest)))
    lo = e.add(e.add(err, err2), e.add(a_err, small))
    return _two_sum(e, hi, lo)


def _pow_ones(e, x, y):
    """Where C pow gives 1: y = 0, x = 1 (even with NaN y), |x| = 1 with y = +-inf."""
    one = e.or_(e.cmp('==', y, e.c(0.0)), e.cmp('==', x, e.c(1.0)))
    return e.or_(one, e.and_(e.cmp('==', e.abs(x), e.c(1.0)),
                             e.cmp('==', e.abs(y), e.c(math.inf))))


def _pow_rules(e, x, y, r, one):
    """C pow's rules on r = |x|^y (NaN for NaN x or y): the sign of x for odd integer
    y, NaN for finite x < 0 and non-integer y, and 1 where `one` (_pow_ones) holds."""
    # w = y - 2 floor(y / 2): 1 for odd integers, 0 for even ones, NaN for +-inf
    w = e.fma(e.floor(e.mul(y, e.c(0.5))), e.c(-2.0), y)
    r = e.sel(e.and_(e.signbit(x), e.cmp('==', w, e.c(1.0))), e.neg(r), r)
    neg_finite = e.and_(e.cmp('<', x, e.c(0.0)), e.cmp('>', x, e.c(-math.inf)))
    non_int = e.ucmp('!=', e.floor(y), y)
    r = e.sel(e.and_(neg_finite, non_int), e.c(math.nan), r)
    return e.sel(one, e.c(1.0), r)


def _pow64(e, x, y):
    ax = e.abs(x)
    lh, ll = _log_dd(e, ax)
    ph = e.mul(y, lh)
    pl = e.mad(y, ll, e.fma(y, lh, e.neg(ph)))
    pl = e.sel(e.cmp('==', e.abs(ph), e.c(math.inf)), e.c(0.0), pl)
    r = _exp(e, ph, e.sel(e.cmp('==', pl, pl), pl, e.c(0.0)))
    # log|x| specials: 0 -> -inf, inf -> inf (so r is 0/inf as C pow says)
    zero_or_inf = e.or_(e.cmp('==', ax, e.c(0.0)), e.cmp('==', ax, e.c(math.inf)))
    lspec = e.sel(e.cmp('==', ax, e.c(0.0)), e.c(-math.inf), e.c(math.inf))
    inf_or_zero = e.sel(e.cmp('>', e.mul(y, lspec), e.c(0.0)), e.c(math.inf), e.c(0.0))
    r = e.sel(zero_or_inf, inf_or_zero, r)
    r = e.sel(e.b.or_(e.isnan(x), e.isnan(y)), e.add(x, y), r)
    return _pow_rules(e, x, y, r, _pow_ones(e, x, y))


def _pow32(e, x, y):
    """float32 pow through 2^(y log2|x|) in double.

    Double leaves enough room for short polynomials: y log2|x| needs an absolute error
    near 2^-30 for |y log2|x|| <= 151, so log2|x| a relative one near 2^-38 (POW_L32,
    degree 4 in s^2) and 2^r one near 2^-29 (POW_E32, degree 6); the one rounding to
    float32 then dominates.  Every float32 is a normal double, so the split of |x| is
    done on float32 bits (8 lanes of i32, where i64 shifts are slow or missing) and the
    result is scaled in one step: the conversion to float32 rounds subnormal results
    once and overflows to inf.
    """
    dty = ir.VectorType(ir.DoubleType(), e.lanes) if e.lanes else ir.DoubleType()
    d = _Emitter(e.b, dty)
    ext = lambda v: e.b.fpext(v, dty)   # noqa: E731
    ax = e.abs(x)
    k, f = _log_decompose(e, ax)
    # |x| = inf and NaN split into f = 0 and -1/4, 0 into f = 0: replacing k by |x| or
    # -inf makes log2|x| (below) +inf, NaN or -inf, so y log2|x| is +-inf, 0 or NaN
    k = e.sel(e.ucmp('>=', ax, e.c(math.inf)), ax, k)
    k = e.sel(e.cmp('==', ax, e.c(0.0)), e.c(-math.inf), k)
    # log2|x| = k + log2(1 + f) = k + s G(s^2), s = f / (2 + f) (2 + f exact in double)
    fd = ext(f)
    s = d.div(fd, d.add(d.c(2.0), fd))
    log2x = d.fma(s, d.poly(d.mul(s, s), POW_L32), ext(k))
    # 2^t = 2^n 2^r, |r| <= 1/2; past +-160 the float32 result is 0 or inf (NaN kept).
    # The shifter carries the exponent bias, so n + 1023 sits in kf's low bits.
    t = d.clamp(d.mul(ext(y), log2x), -160.0, 160.0)
    shifter = d.c(d.shifter + d.bias)
    kf = d.add(t, shifter)
    r = d.sub(t, d.sub(kf, shifter))
    scale = d.from_bits(d.b.shl(d.bits(kf), d.ci(d.mant)))
    r = d.mul(d.poly(r, POW_E32), scale)
    # (`one` emitted before the conversion: LLVM then schedules the loop ~5% faster)
    one = _pow_ones(e, x, y)
    return _pow_rules(e, x, y, e.b.fptrunc(r, e.ty), one)


@_function('pow', arity=2)
def _pow(e, x, y):
    return (_pow64 if e.f64 else _pow32)(e, x, y)


# ---------------------------------------------------------------------------

def emit(builder, name, *args):
    """Emit `name(*args)` at the builder's position; returns a value of the args' type.

    args are float/double scalars or vectors, all of one type (pow and atan2 take two).
    """
    if name not in _FUNCTIONS:
        raise ValueError(f"vecmath: unsupported function {name!r}; supported: {sorted(SUPPORTED)}")
    fn, want = _FUNCTIONS[name]
    if len(args) != want:
        raise TypeError(f"vecmath: {name} takes {want} argument(s), got {len(args)}")
    if len({str(a.type) for a in args}) != 1:
        raise TypeError(f"vecmath: {name} arguments must share a type, got "
                        f"{', '.join(str(a.type) for a in args)}")
    e = _Emitter(builder, args[0].type)
    return fn(e, *args)


def has(name):
    """Is there a vectorizable ``name``? (The lowering of a primitive asks.)"""
    return name in _FUNCTIONS


SUPPORTED = frozenset(_FUNCTIONS)
