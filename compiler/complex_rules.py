"""The complex expansion rules: each primitive on complex values as real lax
operations on the planes (see ``complex_expand.py``).

A rule takes the primitive's operands (a ``Pair`` for each complex one) and
params and returns its result (a ``Pair`` when complex). Data movement applies
to both planes alike; arithmetic follows the usual formulas, with numpy's
care where they overflow or cancel: division by Smith's scaling, the modulus
as a scaled hypot, sqrt as csqrt, log1p and expm1 without cancellation near 0,
tanh by Kahan's formula.
"""
import itertools

import numpy as np

from jaxlite import core, dtypes, lax
from jaxlite.compiler import registry
from jaxlite.compiler.complex_expand import Pair, expand_nested, flatten, register, unflatten

__all__ = []

_prim = core.all_primitives.__getitem__   # by name: the primitives live in several lax modules


def _rule(*names):
    def deco(f):
        for n in names:
            register(n, f)
        return f
    return deco


def _pair(x):
    """A real operand as a complex one with a zero imaginary plane."""
    return x if isinstance(x, Pair) else Pair(x, _zeros_like(x))


def _full_like(x, value):
    a = core.get_aval(x)
    return lax.full(a.shape, value, a.dtype)


def _zeros_like(x):
    return _full_like(x, 0)


def _ones_like(x):
    return _full_like(x, 1)


def _same_shape(*zs):
    """Pairs broadcast to their common shape (lax broadcasts a rank-0 operand)."""
    shape = np.broadcast_shapes(*[core.get_aval(z.re).shape for z in zs])
    return [Pair(_broadcast(z.re, shape), _broadcast(z.im, shape)) for z in zs]


def _real_params(params):
    """Complex dtypes in params (preferred_element_type, new_dtype...) as real."""
    return {k: (dtypes.real_dtype(v) if isinstance(v, np.dtype) and v.kind == "c" else v)
            for k, v in params.items()}


def _planewise(name):
    """The primitive applied to each plane (real operands: indices, predicates,
    shared by both)."""
    prim = _prim(name)

    def rule(*args, **params):
        params = _real_params(params)
        re = prim.bind(*[a.re if isinstance(a, Pair) else a for a in args], **params)
        im = prim.bind(*[a.im if isinstance(a, Pair) else a for a in args], **params)
        if prim.multiple_results:
            return [Pair(r, i) for r, i in zip(re, im)]
        return Pair(re, im)
    return rule


# Data movement, linear maps and selections: the same on both planes.
_PLANEWISE = """broadcast_in_dim reshape transpose squeeze rev slice pad concatenate
dynamic_slice dynamic_update_slice gather scatter scatter_add select_n stop_gradient
reduce_sum cumsum reduce_window_sum add sub neg""".split()
for _name in _PLANEWISE:
    if _name in core.all_primitives:
        register(_name, _planewise(_name))


# ---------------------------------------------------------------- the parts
# Only complex values have parts: these four never reach a kernel.
registry.expanded_away("real", "imag", "conj", "complex")

@_rule("real")
def _real(z):
    return z.re


@_rule("imag")
def _imag(z):
    return z.im


@_rule("conj")
def _conj(x, input_dtype=None):
    z = _pair(x)
    return Pair(z.re, lax.neg(z.im))


@_rule("complex")
def _complex(x, y):
    shape = np.broadcast_shapes(core.get_aval(x).shape, core.get_aval(y).shape)
    return Pair(_broadcast(x, shape), _broadcast(y, shape))


def _broadcast(x, shape):
    a = core.get_aval(x)
    return x if a.shape == shape else lax.broadcast_in_dim(x, shape, ())


@_rule("convert_element_type")
def _convert(x, new_dtype, weak_type=False):
    new_dtype = np.dtype(new_dtype)
    if new_dtype.kind != "c":           # complex -> real keeps the real part (as JAX)
        return lax.convert_element_type(x.re, new_dtype)
    part = dtypes.real_dtype(new_dtype)
    if isinstance(x, Pair):
        return Pair(lax.convert_element_type(x.re, part), lax.convert_element_type(x.im, part))
    re = lax.convert_element_type(x, part)
    return Pair(re, _zeros_like(re))


# ------------------------------------------------------------- arithmetic

def cmul(a, b):
    return Pair(lax.sub(lax.mul(a.re, b.re), lax.mul(a.im, b.im)),
                lax.add(lax.mul(a.re, b.im), lax.mul(a.im, b.re)))


def cdiv(a, b):
    """Smith's division (numpy's): scale by the larger part of the divisor."""
    c, d = b.re, b.im
    wide = lax.ge(lax.abs(c), lax.abs(d))
    big, small = lax.select_n(wide, d, c), lax.select_n(wide, c, d)
    r = lax.div(small, big)
    s = lax.div(1.0, lax.add(big, lax.mul(small, r)))
    re = lax.select_n(wide, lax.add(lax.mul(a.re, r), a.im), lax.add(a.re, lax.mul(a.im, r)))
    im = lax.select_n(wide, lax.sub(lax.mul(a.im, r), a.re), lax.sub(a.im, lax.mul(a.re, r)))
    # A zero divisor gives inf or nan per part, as a real division would.
    zero = lax.bitwise_and(lax.eq(c, 0.0), lax.eq(d, 0.0))
    return Pair(lax.select_n(zero, lax.mul(re, s), lax.div(a.re, lax.abs(c))),
                lax.select_n(zero, lax.mul(im, s), lax.div(a.im, lax.abs(c))))


register("mul", lambda a, b: cmul(_pair(a), _pair(b)))
register("div", lambda a, b: cdiv(*_same_shape(_pair(a), _pair(b))))


def _isinf(x):
    return lax.eq(lax.abs(x), np.inf)


def hypot(x, y):
    """sqrt(x^2 + y^2) without overflow or underflow (scaled by the larger part)."""
    ax, ay = lax.abs(x), lax.abs(y)
    big, small = lax.max(ax, ay), lax.min(ax, ay)
    ratio = lax.div(small, big)
    h = lax.mul(big, lax.sqrt(lax.add(1.0, lax.mul(ratio, ratio))))
    h = lax.select_n(lax.eq(big, 0.0), h, big)                  # 0/0
    inf = lax.bitwise_or(_isinf(x), _isinf(y))                   # inf even beside a NaN
    return lax.select_n(inf, h, _full_like(h, np.inf))


@_rule("abs")
def _abs(z):
    return hypot(z.re, z.im)


@_rule("sign")
def _sign(z):
    h = hypot(z.re, z.im)
    zero = lax.eq(h, 0.0)
    safe = lax.select_n(zero, h, _ones_like(h))
    return Pair(lax.div(z.re, safe), lax.div(z.im, safe))


@_rule("eq")
def _eq(a, b):
    a, b = _pair(a), _pair(b)
    return lax.bitwise_and(lax.eq(a.re, b.re), lax.eq(a.im, b.im))


@_rule("ne")
def _ne(a, b):
    a, b = _pair(a), _pair(b)
    return lax.bitwise_or(lax.ne(a.re, b.re), lax.ne(a.im, b.im))


# ------------------------------------------------------ exp, log, powers

def _keep_zero(y, value):
    """``value`` where the imaginary part ``y`` is not 0, else ``y`` itself: a
    real argument keeps an exact (signed) zero imaginary part (exp(inf + 0j))."""
    return lax.select_n(lax.eq(y, 0.0), value, y)


@_rule("exp")
def cexp(z):
    e = lax.exp(z.re)
    return Pair(lax.mul(e, lax.cos(z.im)), _keep_zero(z.im, lax.mul(e, lax.sin(z.im))))


_LN2 = float(np.log(2.0))


@_rule("exp2")
def _exp2(z):
    return cexp(Pair(lax.mul(z.re, _LN2), lax.mul(z.im, _LN2)))


@_rule("logistic")
def _logistic(z):
    e = cexp(Pair(lax.neg(z.re), lax.neg(z.im)))
    return cdiv(Pair(_ones_like(e.re), _zeros_like(e.re)), Pair(lax.add(e.re, 1.0), e.im))


@_rule("log")
def clog(z):
    return Pair(lax.log(hypot(z.re, z.im)), lax.atan2(z.im, z.re))


@_rule("log1p")
def _log1p(z):
    x, y = z.re, z.im
    x1 = lax.add(x, 1.0)
    # |1+z|^2 - 1 = x(2 + x) + y^2, accurate near z = 0
    near = lax.lt(lax.max(lax.abs(x), lax.abs(y)), 0.5)
    small = lax.mul(0.5, lax.log1p(lax.add(lax.mul(x, lax.add(x, 2.0)), lax.mul(y, y))))
    re = lax.select_n(near, lax.log(hypot(x1, y)), small)
    return Pair(re, lax.atan2(y, x1))


@_rule("expm1")
def _expm1(z):
    x, y = z.re, z.im
    # Re: e^x cos y - 1 = expm1(x) cos y - 2 sin^2(y/2)
    h = lax.sin(lax.mul(y, 0.5))
    re = lax.sub(lax.mul(lax.expm1(x), lax.cos(y)), lax.mul(2.0, lax.mul(h, h)))
    return Pair(re, _keep_zero(y, lax.mul(lax.exp(x), lax.sin(y))))


def _signbit(x):
    bits = np.int32 if core.get_aval(x).dtype == np.float32 else np.int64
    return lax.lt(lax.bitcast_convert_type(x, bits), np.zeros((), bits))


@_rule("sqrt")
def csqrt(z):
    x, y = z.re, z.im
    # t = sqrt((|x| + |z|) / 2), halves first so that nothing overflows
    t = lax.sqrt(lax.add(lax.mul(0.5, lax.abs(x)), lax.mul(0.5, hypot(x, y))))
    two_t = lax.mul(2.0, t)
    neg_y = _signbit(y)        # -0.0 too: sqrt(-4 - 0j) = -2j
    re = lax.select_n(lax.ge(x, 0.0), lax.div(lax.abs(y), two_t), t)
    im = lax.select_n(lax.ge(x, 0.0), lax.select_n(neg_y, t, lax.neg(t)), lax.div(y, two_t))
    zero = lax.eq(t, 0.0)
    re = lax.select_n(zero, re, _zeros_like(re))
    im = lax.select_n(zero, im, y)
    inf_y = _isinf(y)          # sqrt(x + inf i) = inf + inf i, whatever x
    return Pair(lax.select_n(inf_y, re, lax.abs(y)), lax.select_n(inf_y, im, y))


@_rule("rsqrt")
def _rsqrt(z):
    s = csqrt(z)
    return cdiv(Pair(_ones_like(s.re), _zeros_like(s.re)), s)


@_rule("pow")
def _pow(z, w):
    z, w = _same_shape(_pair(z), _pair(w))
    p = cexp(cmul(w, clog(z)))
    # 0 ** w: 1 for w == 0, 0 when Re(w) > 0, nan otherwise (as numpy)
    z0 = lax.bitwise_and(lax.eq(z.re, 0.0), lax.eq(z.im, 0.0))
    w0 = lax.bitwise_and(lax.eq(w.re, 0.0), lax.eq(w.im, 0.0))
    wpos = lax.gt(w.re, 0.0)
    nan = _full_like(p.re, np.nan)
    zero_re = lax.select_n(w0, lax.select_n(wpos, nan, _zeros_like(nan)), _ones_like(nan))
    zero_im = lax.select_n(lax.bitwise_or(w0, wpos), nan, _zeros_like(nan))
    return Pair(lax.select_n(z0, p.re, zero_re), lax.select_n(z0, p.im, zero_im))


@_rule("integer_pow")
def _integer_pow(z, y):
    """Binary powering by complex products; a negative power divides into 1."""
    n = abs(int(y))
    acc, base = None, z
    while n:
        if n & 1:
            acc = base if acc is None else cmul(acc, base)
        n >>= 1
        if n:
            base = cmul(base, base)
    one = Pair(_ones_like(z.re), _zeros_like(z.re))
    if acc is None:
        return one
    return cdiv(one, acc) if y < 0 else acc


# ---------------------------------------------------------- trigonometry

@_rule("sin")
def _sin(z):
    x, y = z.re, z.im
    return Pair(lax.mul(lax.sin(x), lax.cosh(y)), lax.mul(lax.cos(x), lax.sinh(y)))


@_rule("cos")
def _cos(z):
    x, y = z.re, z.im
    return Pair(lax.mul(lax.cos(x), lax.cosh(y)), lax.neg(lax.mul(lax.sin(x), lax.sinh(y))))


@_rule("sinh")
def _sinh(z):
    x, y = z.re, z.im
    return Pair(lax.mul(lax.sinh(x), lax.cos(y)), _keep_zero(y, lax.mul(lax.cosh(x), lax.sin(y))))


@_rule("cosh")
def _cosh(z):
    x, y = z.re, z.im
    return Pair(lax.mul(lax.cosh(x), lax.cos(y)), _keep_zero(y, lax.mul(lax.sinh(x), lax.sin(y))))


def ctanh(x, y):
    """tanh(x + iy) by Kahan's formula; the real part is +-1 for |x| > 20
    (instead of inf / inf)."""
    t = lax.tan(y)
    beta = lax.add(1.0, lax.mul(t, t))
    s = lax.sinh(x)
    rho = lax.sqrt(lax.add(1.0, lax.mul(s, s)))
    den = lax.add(1.0, lax.mul(beta, lax.mul(s, s)))
    big = lax.gt(lax.abs(x), 20.0)
    re = lax.select_n(big, lax.div(lax.mul(beta, lax.mul(rho, s)), den), lax.sign(x))
    return Pair(re, lax.div(t, den))     # den overflows to inf for huge |x|: im -> 0


@_rule("tanh")
def _tanh(z):
    return ctanh(z.re, z.im)


@_rule("tan")
def _tan(z):
    # tan(z) = -i tanh(iz), iz = -y + ix
    p = ctanh(lax.neg(z.im), z.re)
    return Pair(p.im, lax.neg(p.re))


def _times_i(z):
    return Pair(lax.neg(z.im), z.re)


@_rule("asin")
def casin(z):
    """asin z = -i log(iz + sqrt(1 - z^2)), on the half plane where the sum does
    not cancel (asin is odd)."""
    flip = lax.gt(z.im, 0.0)
    z = Pair(lax.select_n(flip, z.re, lax.neg(z.re)), lax.select_n(flip, z.im, lax.neg(z.im)))
    zz = cmul(z, z)
    s = csqrt(Pair(lax.sub(1.0, zz.re), lax.neg(zz.im)))
    iz = _times_i(z)
    w = clog(Pair(lax.add(iz.re, s.re), lax.add(iz.im, s.im)))
    re, im = w.im, lax.neg(w.re)
    return Pair(lax.select_n(flip, re, lax.neg(re)), lax.select_n(flip, im, lax.neg(im)))


@_rule("acos")
def _acos(z):
    a = casin(z)
    return Pair(lax.sub(np.pi / 2, a.re), lax.neg(a.im))


@_rule("atan")
def _atan(z):
    # atan z = (i/2) (log(1 - iz) - log(1 + iz))
    iz = _times_i(z)
    lo = clog(Pair(lax.sub(1.0, iz.re), lax.neg(iz.im)))
    hi = clog(Pair(lax.add(1.0, iz.re), iz.im))
    d = Pair(lax.sub(lo.re, hi.re), lax.sub(lo.im, hi.im))
    return Pair(lax.mul(-0.5, d.im), lax.mul(0.5, d.re))


@_rule("atan2")
def _atan2(x, y):
    """The complex continuation (XLA's): -i log((y + ix) / sqrt(x^2 + y^2))."""
    x, y = _same_shape(_pair(x), _pair(y))
    xx, yy = cmul(x, x), cmul(y, y)
    den = csqrt(Pair(lax.add(xx.re, yy.re), lax.add(xx.im, yy.im)))
    w = clog(cdiv(Pair(lax.sub(y.re, x.im), lax.add(y.im, x.re)), den))
    return Pair(w.im, lax.neg(w.re))


# -------------------------------------------------------------- reductions

def _lines(z, axes):
    """The planes with ``axes`` moved last and flattened: (re, im, kept shape, n)."""
    shape = core.get_aval(z.re).shape
    keep = [d for d in range(len(shape)) if d not in axes]
    out_shape = tuple(shape[d] for d in keep)
    n = int(np.prod([shape[d] for d in axes], dtype=np.int64))

    def arrange(x):
        return lax.reshape(lax.transpose(x, tuple(keep) + tuple(axes)), out_shape + (n,))
    return arrange(z.re), arrange(z.im), out_shape, n


def _tree_reduce(re, im, out_shape, n, identity, combine):
    """Reduce lines (last axis, length ``n``) by a balanced tree of
    ``combine(a, b) -> Pair``, padding odd lengths with ``identity``."""
    dt = core.get_aval(re).dtype
    last = len(out_shape)
    if n == 0:
        return Pair(lax.full(out_shape, identity.real, dt), lax.full(out_shape, identity.imag, dt))
    while n > 1:
        if n % 2:
            cfg = [(0, 0, 0)] * last + [(0, 1, 0)]
            re = lax.pad(re, np.array(identity.real, dt), cfg)
            im = lax.pad(im, np.array(identity.imag, dt), cfg)
            n += 1
        h = n // 2

        def half(x, k):
            return lax.slice_in_dim(x, k * h, (k + 1) * h, axis=last)
        p = combine(Pair(half(re, 0), half(im, 0)), Pair(half(re, 1), half(im, 1)))
        re, im, n = _materialize(p.re), _materialize(p.im), h
    return Pair(lax.reshape(re, out_shape), lax.reshape(im, out_shape))


def _materialize(x):
    """``x`` stored, not fused into its readers: a sum over a new unit axis (a
    kernel root). Each tree level reads two elements of the previous one, so
    fusing the levels would evaluate the whole tree per output element."""
    a = core.get_aval(x)
    return lax.reduce_sum(lax.reshape(x, a.shape + (1,)), (a.ndim,))


register("reduce_prod", lambda z, axes: _tree_reduce(*_lines(z, axes), 1 + 0j, cmul))


def _pick(op):
    """JAX's complex max (op gt) or min (op lt): lexicographic, ``x`` where it
    wins strictly, else ``y`` (so a NaN ``y`` is taken, a NaN ``x`` dropped)."""
    def rule(x, y):
        x, y = _same_shape(_pair(x), _pair(y))
        keep_x = lax.select_n(lax.eq(x.re, y.re), op(x.re, y.re), op(x.im, y.im))
        return Pair(lax.select_n(keep_x, y.re, x.re), lax.select_n(keep_x, y.im, x.im))
    return rule


register("max", _pick(lax.gt))
register("min", _pick(lax.lt))


def _reduce_extreme(op, identity):
    """JAX's complex max/min reduction: a left fold of ``_pick`` over the reduced
    elements, as a loop (with NaNs the fold depends on its order: no tree)."""
    pick = _pick(op)

    def rule(z, axes):
        re, im, out_shape, n = _lines(z, axes)
        last = len(out_shape)
        dt = core.get_aval(re).dtype

        def body(acc, x):
            p = pick(Pair(*acc), Pair(*x))
            return (p.re, p.im), None
        init = (lax.full(out_shape, identity.real, dt), lax.full(out_shape, identity.imag, dt))
        perm = (last,) + tuple(range(last))
        return Pair(*lax.scan(body, init, (lax.transpose(re, perm), lax.transpose(im, perm)))[0])
    return rule


register("reduce_max", _reduce_extreme(lax.gt, complex(-np.inf, 0)))
register("reduce_min", _reduce_extreme(lax.lt, complex(np.inf, 0)))


def _reduce_window_extreme(op, identity):
    """Window max/min: JAX's pick folded over the window's offsets, each a strided
    slice of the (identity-padded, base-dilated) planes."""
    pick = _pick(op)

    def rule(z, window_dimensions, window_strides, padding, base_dilation, window_dilation):
        dt = core.get_aval(z.re).dtype
        cfg = [(lo, hi, bd - 1) for (lo, hi), bd in zip(padding, base_dilation)]
        re = lax.pad(z.re, np.array(identity.real, dt), cfg)
        im = lax.pad(z.im, np.array(identity.imag, dt), cfg)
        size = core.get_aval(re).shape
        out = [max(0, (n - (w - 1) * d - 1) // s + 1) for n, w, d, s in
               zip(size, window_dimensions, window_dilation, window_strides)]
        acc = Pair(lax.full(out, identity.real, dt), lax.full(out, identity.imag, dt))
        for offset in itertools.product(*[range(w) for w in window_dimensions]):
            start = [o * d for o, d in zip(offset, window_dilation)]
            limit = [b + (n - 1) * s + 1 if n else b for b, n, s in
                     zip(start, out, window_strides)]
            acc = pick(acc, Pair(lax.slice(re, start, limit, window_strides),
                                 lax.slice(im, start, limit, window_strides)))
        return acc
    return rule


register("reduce_window_max", _reduce_window_extreme(lax.gt, complex(-np.inf, 0)))
register("reduce_window_min", _reduce_window_extreme(lax.lt, complex(np.inf, 0)))


def _take_along(x, perm, dimension):
    """``x`` reordered along ``dimension`` by ``perm``: a gather with ``perm`` on
    that dimension and iotas on the others."""
    shape = core.get_aval(perm).shape
    dt = core.get_aval(perm).dtype
    cols = [perm if d == dimension else lax.broadcasted_iota(dt, shape, d)
            for d in range(len(shape))]
    index = lax.concatenate([lax.reshape(c, shape + (1,)) for c in cols], len(shape))
    return lax.gather(x, index, tuple(range(len(shape))))


def _lex_argsort(z, dimension, index_dtype):
    """Lexicographic order (real part, then imaginary): a stable argsort by the
    imaginary parts, then a stable one by the real parts in that order."""
    by_im = lax.argsort(z.im, dimension, index_dtype)
    return _take_along(by_im, lax.argsort(_take_along(z.re, by_im, dimension), dimension,
                                          index_dtype), dimension)


register("argsort", _lex_argsort)


@_rule("sort")
def _sort(z, dimension):
    perm = _lex_argsort(z, dimension, np.int32)
    return Pair(_take_along(z.re, perm, dimension), _take_along(z.im, perm, dimension))


def _bilinear(name):
    """A product bilinear in its two operands (dot_general, convolution) on
    complex values: four real products, two when one side is real."""
    prim = _prim(name)

    def rule(lhs, rhs, **params):
        params = _real_params(params)

        def prod(a, b):
            return prim.bind(a, b, **params)
        if not isinstance(lhs, Pair):
            return Pair(prod(lhs, rhs.re), prod(lhs, rhs.im))
        if not isinstance(rhs, Pair):
            return Pair(prod(lhs.re, rhs), prod(lhs.im, rhs))
        return Pair(lax.sub(prod(lhs.re, rhs.re), prod(lhs.im, rhs.im)),
                    lax.add(prod(lhs.re, rhs.im), prod(lhs.im, rhs.re)))
    return rule


for _name in ("dot_general", "conv_general_dilated"):
    register(_name, _bilinear(_name))


# ------------------------------------------------------------ control flow
# Their programs are expanded with complex inputs and outputs flattened to
# consecutive (re, im) pairs; operand counts in params count real operands.

def _count(values):
    return len(flatten(values))


@_rule("cond")
def _cond(index, *ops, branches):
    new = tuple(expand_nested(b) for b in branches)
    outs = _prim("cond").bind(index, *flatten(ops), branches=new)
    return unflatten(outs, branches[0].out_avals)


@_rule("while")
def _while(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts, **rest):
    cc, bc = args[:cond_nconsts], args[cond_nconsts:cond_nconsts + body_nconsts]
    init = args[cond_nconsts + body_nconsts:]
    outs = _prim("while").bind(*flatten(args), cond_jaxpr=expand_nested(cond_jaxpr),
                               body_jaxpr=expand_nested(body_jaxpr), cond_nconsts=_count(cc),
                               body_nconsts=_count(bc), **rest)
    return unflatten(outs, body_jaxpr.out_avals)


@_rule("scan")
def _scan(*args, jaxpr, num_consts, num_carry, linear, **rest):
    consts, carry = args[:num_consts], args[num_consts:num_consts + num_carry]
    lin = tuple(f for x, f in zip(args, linear) for _ in range(2 if isinstance(x, Pair) else 1))
    outs = _prim("scan").bind(*flatten(args), jaxpr=expand_nested(jaxpr),
                              num_consts=_count(consts), num_carry=_count(carry), linear=lin,
                              **rest)
    carry_avals = jaxpr.out_avals[:num_carry]
    ys = [a.update(shape=(rest["length"],) + a.shape) for a in jaxpr.out_avals[num_carry:]]
    return unflatten(outs, carry_avals + ys)
