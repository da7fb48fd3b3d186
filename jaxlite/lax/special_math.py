"""Special-function algorithms, written once over a backend ``o``.

Each function here computes in float64 on values of ``o``'s kind: numpy
arrays with ``NumpyOps`` (the primitives' eager impl, lax/special.py) or LLVM
values with the compiler's backend (compiler/special_rules.py), so eager and
compiled results come from the same algorithm. Values support ``+ - * /``,
unary minus and comparisons (masks, combined with ``& | ~``); the backend
supplies ``where``, the elementary functions, ``lgamma`` and ``erfc`` (the C
library's), ``loop`` (a while loop over a tuple of values, elementwise: a
finished element keeps its state) and ``branch`` (one of two functions per
element, the other not computed).

Nothing here imports jaxlite: the compiler reads this module too.
"""
import math
from fractions import Fraction

import numpy as np

__all__ = ["NumpyOps", "ALGORITHMS", "evaluate"]

EPS = 2.0 ** -53
TINY = 1e-300
SQRT_PI = math.sqrt(math.pi)
MAX_ITER = 2000


# ------------------------------------------------------------------ numpy backend

class NumpyOps:
    """The eager backend: float64 numpy arrays, masks are bool arrays."""

    @staticmethod
    def where(m, a, b):
        return np.where(m, a, b)

    @staticmethod
    def const(v, like):
        return np.full_like(like, v)

    fabs, floor, sqrt, exp, log = np.abs, np.floor, np.sqrt, np.exp, np.log
    log1p, expm1, sin, cos, tan = np.log1p, np.expm1, np.sin, np.cos, np.tan
    pow = np.power

    @staticmethod
    def fma(a, b, c):
        """a * b + c (the compiled backend may fuse it: one rounding)."""
        return a * b + c

    @staticmethod
    def branch(mask, if_true, if_false, *args):
        """``if_true(*args)`` where ``mask``, else ``if_false(*args)``; each
        computed only on its own elements."""
        mask = np.asarray(mask)
        args = [np.broadcast_to(np.asarray(a, np.float64), mask.shape) for a in args]
        out = np.empty(mask.shape, np.float64)
        for fn, where in ((if_true, mask), (if_false, ~mask)):
            if np.any(where):
                out[where] = fn(*[a[where] for a in args])
        return out

    @staticmethod
    def loop(state, cond, body, max_iter=MAX_ITER):
        state = tuple(np.asarray(s, np.float64) for s in state)
        for _ in range(max_iter):
            live = cond(*state)
            if not np.any(live):
                break
            new = body(*state)
            state = tuple(np.where(live, n, s) for n, s in zip(new, state))
        return state


def _lgamma_scalar(x):
    try:
        return math.lgamma(x)
    except ValueError:        # the poles, where C's lgamma returns inf
        return math.inf


def _elementwise(fn):
    ufunc = np.frompyfunc(fn, 1, 1)
    return staticmethod(lambda x: np.asarray(ufunc(x), np.float64))


NumpyOps.lgamma = _elementwise(_lgamma_scalar)
NumpyOps.erfc = _elementwise(math.erfc)
NumpyOps.erf = _elementwise(math.erf)


def evaluate(name, *args):
    """``name``'s algorithm on numpy arrays (computed in float64, returned in
    the first argument's dtype)."""
    dtype = np.result_type(*args)
    xs = np.broadcast_arrays(*[np.asarray(a, np.float64) for a in args])
    with np.errstate(all="ignore"):
        out = ALGORITHMS[name](NumpyOps, *xs)
    return np.asarray(out, dtype)


# ------------------------------------------------------------------ forward-mode backend

class _Dual:
    """A value and its derivative along one argument, both of the base backend."""
    __slots__ = ("v", "d")
    __hash__ = None

    def __init__(self, v, d):
        self.v, self.d = v, d

    @staticmethod
    def lift(x):
        return x if isinstance(x, _Dual) else _Dual(x, 0.0)

    def __add__(self, o):
        o = _Dual.lift(o)
        return _Dual(self.v + o.v, self.d + o.d)

    __radd__ = __add__

    def __sub__(self, o):
        o = _Dual.lift(o)
        return _Dual(self.v - o.v, self.d - o.d)

    def __rsub__(self, o):
        return _Dual.lift(o) - self

    def __mul__(self, o):
        o = _Dual.lift(o)
        return _Dual(self.v * o.v, self.d * o.v + self.v * o.d)

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = _Dual.lift(o)
        q = self.v / o.v
        return _Dual(q, (self.d - q * o.d) / o.v)

    def __rtruediv__(self, o):
        return _Dual.lift(o) / self

    def __neg__(self):
        return _Dual(-self.v, -self.d)

    def __lt__(self, o):
        return self.v < _Dual.lift(o).v

    def __le__(self, o):
        return self.v <= _Dual.lift(o).v

    def __gt__(self, o):
        return self.v > _Dual.lift(o).v

    def __ge__(self, o):
        return self.v >= _Dual.lift(o).v

    def __eq__(self, o):
        return self.v == _Dual.lift(o).v

    def __ne__(self, o):
        return self.v != _Dual.lift(o).v


class DualOps:
    """Forward-mode differentiation of an algorithm here over a base backend
    ``o``: run it on ``_Dual`` values (loops carry both parts)."""

    def __init__(self, o):
        self.o = o

    def const(self, v, like):
        return _Dual(self.o.const(v, _Dual.lift(like).v), 0.0)

    def where(self, m, a, b):
        a, b = _Dual.lift(a), _Dual.lift(b)
        return _Dual(self.o.where(m, a.v, b.v), self.o.where(m, a.d, b.d))

    def _chain(self, x, value, slope):
        x = _Dual.lift(x)
        return _Dual(value(x.v), x.d * slope(x.v))

    def fabs(self, x):
        x = _Dual.lift(x)
        return _Dual(self.o.fabs(x.v), self.o.where(x.v < 0.0, -x.d, x.d))

    def floor(self, x):
        return _Dual(self.o.floor(_Dual.lift(x).v), 0.0)

    def exp(self, x):
        x = _Dual.lift(x)
        e = self.o.exp(x.v)
        return _Dual(e, x.d * e)

    def log(self, x):
        return self._chain(x, self.o.log, lambda v: 1.0 / v)

    def log1p(self, x):
        return self._chain(x, self.o.log1p, lambda v: 1.0 / (1.0 + v))

    def sqrt(self, x):
        x = _Dual.lift(x)
        r = self.o.sqrt(x.v)
        return _Dual(r, x.d * 0.5 / r)

    def lgamma(self, x):
        return self._chain(x, self.o.lgamma, lambda v: digamma(self.o, v))

    def branch(self, mask, if_true, if_false, *args):
        return self.where(mask, if_true(*args), if_false(*args))

    def loop(self, state, cond, body, max_iter=MAX_ITER):
        state = [_Dual.lift(s) for s in state]
        k = len(state)

        def duals(flat):
            return [_Dual(v, d) for v, d in zip(flat[:k], flat[k:])]

        def flat_body(*flat):
            out = [_Dual.lift(s) for s in body(*duals(flat))]
            return tuple(s.v for s in out) + tuple(s.d for s in out)

        flat = self.o.loop(tuple(s.v for s in state) + tuple(s.d for s in state),
                           lambda *flat: cond(*duals(flat)), flat_body, max_iter)
        return tuple(duals(list(flat)))


def _derivative(algorithm, o, wrt, *args):
    """d algorithm(*args) / d args[wrt], NaN where the value is NaN."""
    seeded = [_Dual(a, o.const(1.0 if i == wrt else 0.0, a)) for i, a in enumerate(args)]
    out = _Dual.lift(algorithm(DualOps(o), *seeded))
    return o.where(out.v != out.v, math.nan, out.d)


# ------------------------------------------------------------------ gamma family

def lgamma(o, x):
    return o.lgamma(x)


def _nonpositive_integer(o, x):
    return (x <= 0.0) & (o.floor(x) == x)


def digamma(o, x):
    """psi(x): reflection below 1/2, ten recurrence steps up, then the
    asymptotic series at z >= 10.5 (its truncation error is below 1e-17)."""
    reflect = x < 0.5
    y = o.where(reflect, 1.0 - x, x)
    shift = 0.0
    for k in range(10):
        shift = shift + 1.0 / (y + float(k))
    z = y + 10.0
    z2 = 1.0 / (z * z)
    tail = z2 * (1 / 12 - z2 * (1 / 120 - z2 * (1 / 252 - z2 * (1 / 240 - z2 * (
        1 / 132 - z2 * (691 / 32760 - z2 / 12))))))
    psi = o.log(z) - 0.5 / z - tail - shift
    frac = x - o.floor(x)                  # tan has period pi: reduce before scaling
    psi = o.where(reflect, psi - math.pi / o.tan(math.pi * frac), psi)
    psi = o.where(x == math.inf, x, psi)
    return o.where(_nonpositive_integer(o, x) | (x == -math.inf), math.nan, psi)


def _bernoulli_over_factorial(count):
    """B_{2j} / (2j)! for j = 1..count, exactly, then as floats."""
    b = [Fraction(1)]
    for m in range(1, 2 * count + 1):
        b.append(-sum(math.comb(m + 1, k) * b[k] for k in range(m)) / Fraction(m + 1))
    return [float(b[2 * j] / math.factorial(2 * j)) for j in range(1, count + 1)]


_ZETA_N = 9
_ZETA_EM = _bernoulli_over_factorial(12)


def zeta(o, s, q):
    """Hurwitz zeta by Euler-Maclaurin summation: nine terms directly, the
    rest as an integral plus twelve Bernoulli corrections at w = q + 9."""
    total = 0.0
    for k in range(_ZETA_N):
        total = total + o.pow(q + float(k), -s)
    w = q + float(_ZETA_N)
    wpow = o.pow(w, -s)
    total = total + w * wpow / (s - 1.0) + 0.5 * wpow
    rising, inv_w, wk = s, 1.0 / w, wpow / w
    for j, coef in enumerate(_ZETA_EM):
        total = total + coef * rising * wk
        rising = rising * (s + float(2 * j + 1)) * (s + float(2 * j + 2))
        wk = wk * inv_w * inv_w
    pole = (s == 1.0) | ((q <= 0.0) & (o.floor(q) == q))
    out = o.where(pole, math.inf, total)
    bad = (s < 1.0) | ((q <= 0.0) & (o.floor(s) != s))
    return o.where(bad, math.nan, out)


def _gamma_prefactor(o, a, x):
    """x^a e^-x / Gamma(a), through logs."""
    return o.exp(a * o.log(x) - x - o.lgamma(a))


def _igamma_parts(o, a, x):
    """(P by its series, Q by its continued fraction, use the series?) for a
    > 0, x > 0; each loop runs only where its part is used."""
    use_series = x < a + 1.0
    done = EPS

    def series_cond(n, term, total):
        return use_series & (o.fabs(term) > o.fabs(total) * done) & (n < MAX_ITER)

    def series_body(n, term, total):
        term = term * (x / (a + n))
        return n + 1.0, term, total + term

    inv_a = 1.0 / a
    _, _, total = o.loop((o.const(1.0, x), inv_a, inv_a), series_cond, series_body)
    p_series = total * _gamma_prefactor(o, a, x)

    b0 = x + 1.0 - a

    def cf_cond(i, b, c, d, h, delta):
        going = o.fabs(delta - 1.0) > done
        if isinstance(delta, _Dual):
            # Differentiated (igamma_grad_a): the factors' derivatives go to 0
            # more slowly than the factors go to 1, so wait for them too.
            going = going | (o.fabs(delta.d) > done)
        return ~use_series & going & (i < MAX_ITER)

    def cf_body(i, b, c, d, h, delta):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = o.where(o.fabs(d) < TINY, TINY, d)
        c = b + an / c
        c = o.where(o.fabs(c) < TINY, TINY, c)
        d = 1.0 / d
        delta = d * c
        return i + 1.0, b, c, d, h * delta, delta

    d0 = 1.0 / o.where(o.fabs(b0) < TINY, TINY, b0)
    state = (o.const(1.0, x), b0, o.const(1.0 / TINY, x), d0, d0, o.const(0.0, x))
    h = o.loop(state, cf_cond, cf_body)[4]
    q_cf = h * _gamma_prefactor(o, a, x)
    return p_series, q_cf, use_series


def _igamma_edges(o, a, x, value, at_zero_x, at_zero_a):
    value = o.where(x == 0.0, at_zero_x, value)
    value = o.where((a == 0.0) & (x > 0.0), at_zero_a, value)
    value = o.where((x == math.inf) & (a < math.inf), 1.0 - at_zero_x, value)
    bad = (a < 0.0) | (x < 0.0) | (a == math.inf) | ((a == 0.0) & (x == 0.0))
    return o.where(bad, math.nan, value)


def igamma(o, a, x):
    """Regularized lower incomplete gamma P(a, x)."""
    p, q, series = _igamma_parts(o, a, x)
    return _igamma_edges(o, a, x, o.where(series, p, 1.0 - q), 0.0, 1.0)


def igammac(o, a, x):
    """Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x)."""
    p, q, series = _igamma_parts(o, a, x)
    return _igamma_edges(o, a, x, o.where(series, 1.0 - p, q), 1.0, 0.0)


def igamma_grad_a(o, a, x):
    """d P(a, x) / da, by forward-mode differentiation of igamma's algorithm."""
    return _derivative(igamma, o, 0, a, x)


def betainc(o, a, b, x):
    """Regularized incomplete beta I_x(a, b): the continued fraction (modified
    Lentz) on the side of the mean where it converges fast."""
    swap = x > (a + 1.0) / (a + b + 2.0)
    aa, bb = o.where(swap, b, a), o.where(swap, a, b)
    xx = o.where(swap, 1.0 - x, x)
    qab, qap, qam = aa + bb, aa + 1.0, aa - 1.0

    def guard(v):
        return o.where(o.fabs(v) < TINY, TINY, v)

    def cond(m, c, d, h, delta):
        return (o.fabs(delta - 1.0) > EPS) & (m < MAX_ITER)

    def body(m, c, d, h, delta):
        m2 = 2.0 * m
        num = m * (bb - m) * xx / ((qam + m2) * (aa + m2))
        d = 1.0 / guard(1.0 + num * d)
        c = guard(1.0 + num / c)
        h = h * d * c
        num = -(aa + m) * (qab + m) * xx / ((aa + m2) * (qap + m2))
        d = 1.0 / guard(1.0 + num * d)
        c = guard(1.0 + num / c)
        delta = d * c
        return m + 1.0, c, d, h * delta, delta

    d0 = 1.0 / guard(1.0 - qab * xx / qap)
    one = o.const(1.0, xx)
    h = o.loop((one, one, d0, d0, o.const(0.0, xx)), cond, body)[3]
    log_front = (o.lgamma(aa + bb) - o.lgamma(aa) - o.lgamma(bb)
                 + aa * o.log(xx) + bb * o.log1p(-xx))
    r = o.exp(log_front) * h / aa
    out = o.where(swap, 1.0 - r, r)
    out = o.where(x == 0.0, 0.0, o.where(x == 1.0, 1.0, out))
    out = o.where((a == 0.0) & (b > 0.0), 1.0, out)
    bad = (x < 0.0) | (x > 1.0) | (a < 0.0) | (b <= 0.0) | (x != x)
    return o.where(bad, math.nan, out)


# ------------------------------------------------------------------ error function inverses

# The inverses of erf and erfc: x = y P(s) with y = erf(x), w = -log((1-y)(1+y))
# and s = w on the first segment, sqrt(w) on the others; P a Chebyshev series
# in s scaled to [-1, 1]. Segments (lo, hi, s is sqrt(w)?, degree); the last
# one (t = 1 - y below 1e-17) only ndtri reaches. The coefficients are least-
# squares fits printed by `python -m jaxlite.compiler.tools.fit_special`.
ERFINV_SEGMENTS = ((0.0, 6.25, False, 30), (2.5, 4.0, True, 20), (4.0, 6.25, True, 16),
                   (6.25, 27.3, True, 28))
ERFINV_COEFFS = (
    (1.6304220989459335,
     0.7315674456742262,
     -0.02123503214250361,
     -0.006580887542449312,
     0.0019488711426905363,
     -0.00014158343386373588,
     -4.92928646362305e-05,
     1.475288792929963e-05,
     -6.111918596225455e-07,
     -5.106997330885913e-07,
     1.1590277227922774e-07,
     1.490799852081891e-09,
     -5.244776760898352e-09,
     8.517905065624986e-10,
     7.917008517349125e-11,
     -5.099440407852997e-11,
     5.43607494342223e-12,
     1.292132770558953e-12,
     -4.657883278608816e-13,
     2.409105270732594e-14,
     1.6278676026448717e-14,
     -4.118556402962373e-15,
     -2.727590700562462e-16,
     1.5160194087901985e-17,
     4.3696116475511784e-18,
     3.932366088856498e-18,
     -3.3389824581669747e-16,
     -4.271498421625735e-16,
     -1.2930176139274128e-16,
     -8.695712253446951e-17,
     -6.423341461542226e-17),
    (3.0857448440231026,
     0.7524837268921291,
     0.0019842584172041293,
     -0.0005345619001017396,
     0.00013028067459129985,
     -2.9433775347026865e-05,
     5.23105154209101e-06,
     -5.38518964563002e-07,
     -2.9226867099133757e-08,
     2.3903569833401482e-08,
     -4.411210255523044e-09,
     2.205358601064714e-10,
     8.095192579992359e-11,
     -2.164220835321047e-11,
     1.9371300095080965e-12,
     1.9222588733068387e-13,
     -8.458580069216474e-14,
     1.0176518032207603e-14,
     9.407618035796303e-16,
     -1.5113463161859e-16,
     -1.8332960693347733e-15),
    (4.976098221510013,
     1.1363264063963097,
     -7.894657289046681e-05,
     -7.40393876679702e-05,
     1.4487997114524161e-05,
     -2.0897638367706467e-06,
     2.708361648386706e-07,
     -3.4653656959990796e-08,
     4.9861111811241775e-09,
     -9.387770552365029e-10,
     2.2811729471491846e-10,
     -6.021718594550208e-11,
     1.505713131544724e-11,
     -3.3182869257467783e-12,
     6.04434515048478e-13,
     -8.275320657324274e-14,
     5.291600015072958e-15),
    (16.686121728100336,
     10.56258192944362,
     -0.008748403933437168,
     0.002018493404087652,
     -0.00042913390825314506,
     7.174148069410747e-05,
     -2.0552802903754786e-06,
     -6.223362141199654e-06,
     4.3027392462982265e-06,
     -2.162796044747764e-06,
     9.612386828240245e-07,
     -4.0012512515165015e-07,
     1.598843920474161e-07,
     -6.213074773955857e-08,
     2.3645816536081474e-08,
     -8.862913394737497e-09,
     3.2753216700693537e-09,
     -1.2012666568317838e-09,
     4.3372894440904533e-10,
     -1.5757940805695183e-10,
     5.5165751034488544e-11,
     -2.0411455344878035e-11,
     6.61581868371476e-12,
     -2.720074935602558e-12,
     6.966064174530526e-13,
     -3.952968755165584e-13,
     4.408117383995373e-14,
     -6.028509350637755e-14,
     -5.946360599346286e-16),
)


def _powers(coeffs):
    """A Chebyshev series' coefficients in the monomial basis (well conditioned
    on these segments: the sums of their magnitudes stay within 6x the values)."""
    return tuple(float(c) for c in np.polynomial.chebyshev.cheb2poly(coeffs))


ERFINV_POWERS = tuple(_powers(c) for c in ERFINV_COEFFS)


def _horner(o, u, powers):
    out = u * powers[-1] + powers[-2]
    for c in powers[-3::-1]:
        out = o.fma(out, u, c)
    return out


def _erfinv_ratio(o, w, segments):
    """x / y where erf(x) = y, from w = -log((1-y)(1+y)): the first ``segments``
    polynomials all computed (Horner, independent chains) and one selected per
    element (no branches: vectorizable)."""
    s = o.sqrt(w)
    out = None
    for (lo, hi, use_sqrt, _), powers in reversed(
            list(zip(ERFINV_SEGMENTS, ERFINV_POWERS))[:segments]):
        v = s if use_sqrt else w
        value = _horner(o, v * (2.0 / (hi - lo)) + (lo + hi) / (lo - hi), powers)
        out = value if out is None else o.where(v < hi, value, out)
    return out


def _log_of_one_minus_square(o, t):
    """log((1-y)(1+y)) from t = 1 - |y|: one log; its absolute error (an ulp of
    the result's size near y = 0) moves x / y by far less than an ulp."""
    return o.log(t * (2.0 - t))


def erf_inv(o, y):
    ay = o.fabs(y)
    t = 1.0 - ay
    w = -_log_of_one_minus_square(o, t)
    x = o.where(t == 0.0, math.inf, ay * _erfinv_ratio(o, w, 3))
    x = o.where(y < 0.0, -x, x)
    return o.where(ay > 1.0, math.nan, x)


def ndtri(o, p):
    """The standard normal quantile: -sqrt(2) erfcinv(2p) below 1/2 (accurate
    for tiny p: the series reach t = 2p down to 1e-316), by symmetry above."""
    q = o.where(p < 0.5, p, 1.0 - p)
    t = 2.0 * q
    y = 1.0 - t
    w = -_log_of_one_minus_square(o, t)
    x = o.where(t == 0.0, math.inf, y * _erfinv_ratio(o, w, 4))
    x = math.sqrt(2.0) * o.where(p < 0.5, -x, x)
    return o.where((p < 0.0) | (p > 1.0), math.nan, x)


# erfc(x) = e^(-x^2) S(x) / x above ERFC_SWITCH, S(x) = x e^(x^2) erfc(x) a
# Chebyshev series (degree ERFC_DEGREE) in t = 1 - 2K/(x + K), which maps
# [1/2, inf) into [-1/3, 1] (K = ERFC_K); ERFC_COEFFS is printed by
# `python -m jaxlite.compiler.tools.fit_special`. Below, 1 - erf(x); for
# negative x, 2 - erfc(-x). Branch-free: vectorizable.
ERFC_SWITCH, ERFC_K, ERFC_DEGREE = 0.5, 4.0, 26
ERFC_COEFFS = (0.5038841025492574,
               0.09989075381102668,
               -0.05805857540482043,
               0.025397660775200948,
               -0.009088803452689493,
               0.002733741697662103,
               -0.0006941321852750556,
               0.00014694482061098623,
               -2.5022670171972687e-05,
               3.1249516734074725e-06,
               -1.977650213290676e-07,
               -1.9761357786134642e-08,
               6.8180216495319586e-09,
               -5.897229091006588e-10,
               -6.65558434385511e-11,
               2.0992382928264244e-11,
               -6.893020903413552e-13,
               -4.464774384442596e-13,
               5.577096785874409e-14,
               7.62480537331208e-15,
               -2.0666869817783976e-15,
               -6.341679207229796e-17,
               3.0926866970149014e-17,
               2.918310847606816e-17,
               -2.594857199481974e-17,
               3.6917083973131426e-17,
               -1.0455774700907083e-17)
ERFC_POWERS = _powers(ERFC_COEFFS)


def _exp_of_minus_square(o, a):
    """e^(-a^2) with a^2 split exactly into hi + lo (Veltkamp): rounding a^2
    would cost a relative error of a^2 ulps."""
    hi = a * a
    c = a * 134217729.0
    ah = c - (c - a)
    al = a - ah
    lo = ((ah * ah - hi) + 2.0 * ah * al) + al * al
    return o.exp(-hi) * (1.0 - lo)


def erfc(o, x):
    a = o.fabs(x)
    far = o.where(a > 27.5, 27.5, a)            # erfc is 0 beyond; NaN stays NaN
    far = o.where(far < ERFC_SWITCH, 1.0, far)
    t_lo = 1.0 - 2.0 * ERFC_K / (ERFC_SWITCH + ERFC_K)
    t = 1.0 - 2.0 * ERFC_K / (far + ERFC_K)
    tail = _exp_of_minus_square(o, far) * _horner(
        o, (t - t_lo) * (2.0 / (1.0 - t_lo)) - 1.0, ERFC_POWERS) / far
    tail = o.where(a > 27.5, 0.0, tail)
    positive = o.where(a < ERFC_SWITCH, 1.0 - o.erf(a), tail)
    return o.where(x < 0.0, 2.0 - positive, positive)


# ------------------------------------------------------------------ modified Bessel

# e^-z I_nu(z), nu in {0, 1}, as two Chebyshev series (degrees BESSEL_DEGREES):
# of e^-z I_nu(z) / z^nu in u = z/4 - 1 on [0, 8], and of sqrt(z) e^-z I_nu(z)
# in v = 16/z - 1 above 8. Both are evaluated and one selected per element (no
# branches: vectorizable). BESSEL_COEFFS is (nu=0 small, nu=0 large, nu=1
# small, nu=1 large): Chebyshev interpolants of an extended-precision
# reference, printed by `python -m jaxlite.compiler.tools.fit_special`.
BESSEL_DEGREES = (28, 22)
BESSEL_COEFFS = (
    (0.33839763720473803,
     -0.30468267234319835,
     0.1716209015222087,
     -0.09490109704804757,
     0.049305284239670635,
     -0.02373741480589939,
     0.01054646039459492,
     -0.004324309995050498,
     0.0016394756169412577,
     -0.0005763755745385041,
     0.00018850288509576334,
     -5.7541950100742645e-05,
     1.6448448070650423e-05,
     -4.416738358380198e-06,
     1.1173875390414467e-06,
     -2.670793853153e-07,
     6.046995014654504e-08,
     -1.3000250020866775e-08,
     2.659823645568323e-09,
     -5.189794809179471e-10,
     9.675801095944143e-11,
     -1.7268183374827734e-11,
     2.954972945299015e-12,
     -4.855648489624637e-13,
     7.668183398731414e-14,
     -1.1605101283886551e-14,
     1.6350039811624528e-15,
     -1.6255352821894128e-16,
     -4.7469985118657e-17),
    (0.4022452055070544,
     0.003369116478255722,
     6.889758346913962e-05,
     2.8913705208645777e-06,
     2.0489185891597038e-07,
     2.266668993668897e-08,
     3.396231993721649e-09,
     4.940602706024817e-10,
     1.188911575238067e-11,
     -3.149913432278598e-11,
     -1.3215842608303572e-11,
     -1.7941477003251907e-12,
     7.179812915761495e-13,
     3.8530931555901443e-13,
     1.53691656001878e-14,
     -4.1473947305261057e-14,
     -9.586469586993362e-15,
     3.843117230700743e-15,
     1.7412440767769286e-15,
     -3.1119538731217794e-16,
     -3.142709286506188e-16,
     6.634413793800882e-17,
     1.2687494758685351e-17),
    (0.12629359322181682,
     -0.17641651835783403,
     0.10264365868984707,
     -0.052945981208094954,
     0.024726449030626478,
     -0.01056408489462616,
     0.004156422944312849,
     -0.0015135724506312141,
     0.0005122859561685367,
     -0.0001617608158258576,
     4.7815651075461375e-05,
     -1.3273163656000239e-05,
     3.470251308098437e-06,
     -8.568720264302602e-07,
     2.0032947531587936e-07,
     -4.4450591248578664e-08,
     9.381537347057892e-09,
     -1.8872497122287995e-09,
     3.625589886003336e-10,
     -6.66348576161575e-11,
     1.1736146602706719e-11,
     -1.983934632064701e-12,
     3.223394813148146e-13,
     -5.038193079600952e-14,
     7.560674814809562e-15,
     -1.0654816149739215e-15,
     1.151693757722727e-16,
     1.9172308416785338e-17,
     -3.761503912166897e-17),
    (0.38928811750914005,
     -0.009761097491361441,
     -0.00011058893876265236,
     -3.882564808847868e-06,
     -2.51223623817958e-07,
     -2.631468843717656e-08,
     -3.835380417926075e-09,
     -5.589743144432835e-10,
     -1.8974989479049323e-11,
     3.252606679973901e-11,
     1.4125776658019428e-11,
     2.0356593935558017e-12,
     -7.198863251433877e-13,
     -4.0832365022806447e-13,
     -2.1047098213832182e-14,
     4.275614512323315e-14,
     1.0388654680789389e-14,
     -3.782944010127798e-15,
     -1.9116721173760985e-15,
     3.621709594552047e-16,
     2.647421240745418e-16,
     -3.5688321510981186e-19,
     -7.846941457795413e-17),
)
BESSEL_POWERS = tuple((_powers(BESSEL_COEFFS[2 * nu]), _powers(BESSEL_COEFFS[2 * nu + 1])) for nu in (0, 1))


def _bessel_ie(o, x, nu):
    small_powers, large_powers = BESSEL_POWERS[nu]
    z = o.fabs(x)
    small = _horner(o, z * 0.25 - 1.0, small_powers)
    if nu == 1:
        small = small * z
    far = o.where(z <= 8.0, 8.0, z)     # NaN stays NaN
    large = _horner(o, 16.0 / far - 1.0, large_powers) / o.sqrt(far)
    out = o.where(z <= 8.0, small, large)
    return o.where(x < 0.0, -out, out) if nu == 1 else out


def bessel_i0e(o, x):
    return _bessel_ie(o, x, 0)


def bessel_i1e(o, x):
    return _bessel_ie(o, x, 1)


ALGORITHMS = {"lgamma": lgamma, "digamma": digamma, "zeta": zeta, "igamma": igamma,
              "igammac": igammac, "igamma_grad_a": igamma_grad_a, "betainc": betainc, "erf_inv": erf_inv, "ndtri": ndtri,
              "erfc": erfc, "bessel_i0e": bessel_i0e, "bessel_i1e": bessel_i1e}
