"""Elementwise primitives: unary math, binary arithmetic, comparisons, logic,
select_n and convert_element_type. One block per primitive: its numpy impl and
shape rule, then its jvp, transpose (if linear) and batch rules.
"""
import math
import warnings

import numpy as np

from jaxlite import core, dtypes, tree_util
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.interpreters.ad import Zero, is_undef
from jaxlite.lax._rules import (standard_primitive, unop_shape_rule, naryop_shape_rule,
                                typed_impl, promote_weak, check_dtype)
# Modules, not names: they import this one too (their functions are used at call time).
from jaxlite.lax import reductions, structural, complex_ops

__all__ = ["neg_p", "sign_p", "floor_p", "ceil_p", "round_p", "abs_p", "exp_p", "exp2_p", "log_p",
           "log1p_p", "expm1_p", "sqrt_p", "rsqrt_p", "sin_p", "cos_p", "tan_p", "asin_p",
           "acos_p", "atan_p", "sinh_p", "cosh_p", "tanh_p", "logistic_p", "erf_p", "not_p",
           "integer_pow_p", "add_p", "sub_p", "mul_p", "div_p", "rem_p", "pow_p", "max_p", "min_p",
           "atan2_p", "and_p", "or_p", "eq_p", "ne_p", "lt_p", "le_p", "gt_p", "ge_p",
           "select_n_p", "convert_element_type_p", "stop_gradient_p", "neg", "sign", "floor",
           "ceil", "abs", "exp", "exp2", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos",
           "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "logistic", "erf", "bitwise_not",
           "add", "sub", "mul", "div", "rem", "pow", "max", "min", "atan2", "bitwise_and",
           "bitwise_or", "eq", "ne", "lt", "le", "gt", "ge", "round", "integer_pow", "select_n",
           "select", "convert_element_type", "stop_gradient"]

_F = "f"
_FI = "fi"
_ANY = "bif"
_NUM = "fic"       # the arithmetic JAX also defines on complex numbers
_ALL = "bifc"
_FC = "fc"         # float or complex


def _unop(name, np_fn, kinds=_F, *, cost):
    prim = standard_primitive(name, typed_impl(np_fn), unop_shape_rule(name, kinds),
                              kind=core.ELEMENTWISE, cost=cost)
    batching.defvectorized(prim)
    return prim


def _binop(name, np_fn, kinds=_FI, result_dtype=None, *, cost):
    impl = typed_impl(np_fn) if result_dtype is None else (lambda x, y: np_fn(x, y))
    prim = standard_primitive(name, impl, naryop_shape_rule(name, kinds, result_dtype),
                              kind=core.ELEMENTWISE, cost=cost)
    batching.defbroadcasting(prim)
    return prim


def _unbroadcast(aval, ct):
    """Sum a cotangent down to a rank-0 operand's shape (the only broadcasting lax does)."""
    if type(ct) is Zero:
        return ct
    ct_aval = core.get_aval(ct)
    if ct_aval.shape == aval.shape:
        return ct
    return reductions.reduce_sum(ct, tuple(range(ct_aval.ndim)))


def _bcast(t, shape):
    """A rank-0 tangent broadcast to the output shape."""
    if core.get_aval(t).shape == tuple(shape):
        return t
    return structural.broadcast_in_dim(t, shape, ())


# ------------------------------------------------------------------ unary

neg_p = _unop("neg", np.negative, _NUM, cost=core.FREE)
ad.deflinear(neg_p, lambda ct, x: [neg(ct)])

# A complex sign is z / |z| (0 at 0); its derivative is taken as zero, as JAX.
sign_p = _unop("sign", np.sign, _NUM, cost=core.COSTLY)
ad.defjvp_zero(sign_p)

floor_p = _unop("floor", np.floor, cost=core.COSTLY)
ad.defjvp_zero(floor_p)

ceil_p = _unop("ceil", np.ceil, cost=core.COSTLY)
ad.defjvp_zero(ceil_p)


def _round_impl(x, rounding_method=0):
    # 0: away from zero (lax.round's default); 1: to nearest even (np.round).
    if rounding_method == 0:
        return (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(x.dtype)
    return np.round(x).astype(x.dtype)


round_p = standard_primitive("round", _round_impl, unop_shape_rule("round", _F),
                             kind=core.ELEMENTWISE, cost=core.COSTLY)
batching.defvectorized(round_p)
ad.defjvp_zero(round_p)

def _abs_shape(x):
    check_dtype("abs", x, _NUM)
    return ShapedArray(x.shape, dtypes.real_dtype(x.dtype), x.weak_type)


def _abs_jvp(g, ans, x):
    if core.get_aval(x).dtype.kind == "c":
        # d|z| = Re(conj(z) dz / |z|), taken as 0 at z == 0 (as JAX). Written with
        # z and |z| rather than sign(z), whose own derivative is taken as zero,
        # so that higher derivatives are right.
        dt = core.get_aval(x).dtype
        safe = select_n(eq(ans, _zero_like(ans)), ans, _full_like(ans, 1.0))
        return complex_ops.real(mul(g, div(complex_ops.conj(x), convert_element_type(safe, dt))))
    # d|x| = g where x >= 0, else -g: the derivative at 0 is 1, as in JAX.
    return select_n(ge(x, _zero_like(x)), neg(g), g)


# |z| of a complex z is real (complex64 -> float32).
abs_p = standard_primitive("abs", lambda x: np.abs(x), _abs_shape,
                           kind=core.ELEMENTWISE, cost=core.CHEAP)
batching.defvectorized(abs_p)
ad.defjvp(abs_p, _abs_jvp)

exp_p = _unop("exp", np.exp, _FC, cost=core.COSTLY)
ad.defjvp(exp_p, lambda g, ans, x: mul(g, ans))

exp2_p = _unop("exp2", np.exp2, _FC, cost=core.COSTLY)
ad.defjvp(exp2_p, lambda g, ans, x: mul(g, mul(ans, _const(x, math.log(2.0)))))

log_p = _unop("log", np.log, _FC, cost=core.COSTLY)
ad.defjvp(log_p, lambda g, ans, x: div(g, x))

log1p_p = _unop("log1p", np.log1p, _FC, cost=core.COSTLY)
ad.defjvp(log1p_p, lambda g, ans, x: div(g, add(x, _const(x, 1.0))))

expm1_p = _unop("expm1", np.expm1, _FC, cost=core.COSTLY)
ad.defjvp(expm1_p, lambda g, ans, x: mul(g, add(ans, _const(x, 1.0))))

sqrt_p = _unop("sqrt", np.sqrt, _FC, cost=core.COSTLY)
ad.defjvp(sqrt_p, lambda g, ans, x: div(g, mul(ans, _const(x, 2.0))))

rsqrt_p = _unop("rsqrt", lambda x: 1 / np.sqrt(x), _FC, cost=core.COSTLY)
ad.defjvp(rsqrt_p, lambda g, ans, x: mul(g, mul(_const(x, -0.5), div(ans, x))))

sin_p = _unop("sin", np.sin, _FC, cost=core.COSTLY)
ad.defjvp(sin_p, lambda g, ans, x: mul(g, cos(x)))

cos_p = _unop("cos", np.cos, _FC, cost=core.COSTLY)
ad.defjvp(cos_p, lambda g, ans, x: neg(mul(g, sin(x))))

tan_p = _unop("tan", np.tan, _FC, cost=core.COSTLY)
ad.defjvp(tan_p, lambda g, ans, x: mul(g, add(_const(x, 1.0), mul(ans, ans))))

asin_p = _unop("asin", np.arcsin, _FC, cost=core.COSTLY)
ad.defjvp(asin_p, lambda g, ans, x: mul(g, rsqrt(sub(_const(x, 1.0), mul(x, x)))))

acos_p = _unop("acos", np.arccos, _FC, cost=core.COSTLY)
ad.defjvp(acos_p, lambda g, ans, x: neg(mul(g, rsqrt(sub(_const(x, 1.0), mul(x, x))))))

atan_p = _unop("atan", np.arctan, _FC, cost=core.COSTLY)
ad.defjvp(atan_p, lambda g, ans, x: div(g, add(_const(x, 1.0), mul(x, x))))

sinh_p = _unop("sinh", np.sinh, _FC, cost=core.COSTLY)
ad.defjvp(sinh_p, lambda g, ans, x: mul(g, cosh(x)))

cosh_p = _unop("cosh", np.cosh, _FC, cost=core.COSTLY)
ad.defjvp(cosh_p, lambda g, ans, x: mul(g, sinh(x)))

tanh_p = _unop("tanh", np.tanh, _FC, cost=core.COSTLY)
ad.defjvp(tanh_p, lambda g, ans, x: mul(g, sub(_const(x, 1.0), mul(ans, ans))))


def _logistic_impl(x):
    if x.dtype.kind == "c":
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return (1 / (1 + np.exp(-x))).astype(x.dtype)
    # exp of a non-positive number only, so no overflow warnings.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


logistic_p = standard_primitive("logistic", _logistic_impl, unop_shape_rule("logistic", _FC),
                                kind=core.ELEMENTWISE, cost=core.COSTLY)
batching.defvectorized(logistic_p)
ad.defjvp(logistic_p, lambda g, ans, x: mul(g, mul(ans, sub(_const(x, 1.0), ans))))

_erf_scalar = np.frompyfunc(math.erf, 1, 1)
erf_p = _unop("erf", lambda x: np.asarray(_erf_scalar(x), dtype=x.dtype), cost=core.COSTLY)
ad.defjvp(erf_p, lambda g, ans, x: mul(g, mul(_const(x, 2.0 / math.sqrt(math.pi)),
                                              exp(neg(mul(x, x))))))

not_p = _unop("not", np.invert, "bi", cost=core.CHEAP)
ad.defjvp_zero(not_p)


def _integer_pow_impl(x, y):
    return np.power(x, y).astype(x.dtype) if y >= 0 else (1 / np.power(x, -y)).astype(x.dtype)


def _integer_pow_shape(x, y):
    check_dtype("integer_pow", x, _NUM)
    if x.dtype.kind in "iu" and y < 0:
        raise TypeError(f"integer_pow of an integer array to a negative power {y}"
                        f"{core.where_message()}")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


integer_pow_p = standard_primitive("integer_pow", _integer_pow_impl, _integer_pow_shape,
                                   kind=core.ELEMENTWISE, cost=core.COSTLY)
batching.defvectorized(integer_pow_p)


def _integer_pow_jvp(g, ans, x, y):
    if y == 0:
        return Zero(core.get_aval(x))
    d = _const(x, float(y)) if y != 1 else None
    return mul(g, d if y == 1 else mul(d, integer_pow(x, y - 1))) if d is not None else g


ad.defjvp(integer_pow_p, _integer_pow_jvp)


# ----------------------------------------------------------------- binary

def _add_jvp(primals, tangents):
    x, y = primals
    ans = add(x, y)
    shape = core.get_aval(ans).shape
    tx, ty = tangents
    if type(tx) is Zero and type(ty) is Zero:
        return ans, Zero(core.get_aval(ans))
    if type(tx) is Zero:
        return ans, _bcast(ty, shape)
    if type(ty) is Zero:
        return ans, _bcast(tx, shape)
    return ans, add(tx, ty)


add_p = _binop("add", np.add, _NUM, cost=core.CHEAP)
ad.jvp_rules[add_p] = _add_jvp
ad.transpose_rules[add_p] = lambda ct, x, y: [
    _unbroadcast(x.aval, ct) if is_undef(x) else None,
    _unbroadcast(y.aval, ct) if is_undef(y) else None]


def _sub_jvp(primals, tangents):
    x, y = primals
    ans = sub(x, y)
    shape = core.get_aval(ans).shape
    tx, ty = tangents
    if type(tx) is Zero and type(ty) is Zero:
        return ans, Zero(core.get_aval(ans))
    if type(tx) is Zero:
        return ans, _bcast(neg(ty), shape)
    if type(ty) is Zero:
        return ans, _bcast(tx, shape)
    return ans, sub(tx, ty)


sub_p = _binop("sub", np.subtract, _NUM, cost=core.CHEAP)
ad.jvp_rules[sub_p] = _sub_jvp
ad.transpose_rules[sub_p] = lambda ct, x, y: [
    _unbroadcast(x.aval, ct) if is_undef(x) else None,
    _unbroadcast(y.aval, neg(ct)) if is_undef(y) and type(ct) is not Zero else None]

mul_p = _binop("mul", np.multiply, _ALL, cost=core.CHEAP)
ad.defbilinear(mul_p,
               lambda ct, x, y: _unbroadcast(x.aval, mul(ct, y)),
               lambda ct, x, y: _unbroadcast(y.aval, mul(x, ct)))


def _div_impl(x, y):
    if x.dtype.kind in "iu":
        # lax.div rounds toward zero, like C. In integers throughout: a float
        # quotient is inexact beyond 2**53. Division by zero gives all bits set
        # (-1, or the unsigned maximum), as XLA.
        safe = np.where(y == 0, 1, y).astype(x.dtype)
        with np.errstate(over="ignore"):     # INT_MIN // -1 wraps, as in C
            q = np.floor_divide(x, safe)
            inexact = np.remainder(x, safe) != 0
        q = q + (inexact & ((x < 0) != (safe < 0))).astype(x.dtype)
        return np.where(y == 0, np.array(-1).astype(x.dtype), q).astype(x.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.true_divide(x, y).astype(np.result_type(x, y))


div_p = standard_primitive("div", _div_impl, naryop_shape_rule("div", _NUM),
                           kind=core.ELEMENTWISE, cost=core.COSTLY)
batching.defbroadcasting(div_p)
ad.defjvp(div_p,
          lambda g, ans, x, y: div(g, y),
          lambda g, ans, x, y: neg(mul(g, div(ans, y))))
ad.transpose_rules[div_p] = lambda ct, x, y: [
    _unbroadcast(x.aval, div(ct, y)) if type(ct) is not Zero else None, None]


def _rem_impl(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        if x.dtype.kind in "iu":
            # x rem 0 is x, as XLA.
            return np.where(y == 0, x, np.fmod(x, np.where(y == 0, 1, y))).astype(x.dtype)
        return np.fmod(x, y).astype(np.result_type(x, y))


rem_p = standard_primitive("rem", _rem_impl, naryop_shape_rule("rem", _FI),
                           kind=core.ELEMENTWISE, cost=core.COSTLY)
batching.defbroadcasting(rem_p)
ad.defjvp(rem_p,
          lambda g, ans, x, y: _bcast(g, core.get_aval(ans).shape),
          lambda g, ans, x, y: mul(neg(g), mul(sign(div(x, y)), floor(abs(div(x, y))))))


def _pow_impl(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.power(x, y).astype(np.result_type(x, y))


def _pow_jvp_y(g, ans, x, y):
    # d/dy x**y = log(x) x**y, taken as 0 where x == 0 (as JAX does).
    # log(1) = 0 gives that zero without computing log(0) (and its warning).
    safe_log = log(select_n(eq(x, _const(x, 0.0)), x, _full_like(x, 1.0)))
    return mul(g, mul(safe_log, ans))


pow_p = standard_primitive("pow", _pow_impl, naryop_shape_rule("pow", _FC),
                           kind=core.ELEMENTWISE, cost=core.COSTLY)
batching.defbroadcasting(pow_p)
def _pow_jvp_x(g, ans, x, y):
    # d/dx x**y = y x**(y-1). At x == y == 0 that is 0 * inf = nan; there the
    # exponent is bumped to 1 so the result is 0, as JAX gives. The bump is
    # piecewise constant and only at x == y == 0, so higher (mixed)
    # derivatives everywhere else are exact.
    both_zero = bitwise_and(eq(x, _const(x, 0.0)), eq(y, _const(y, 0.0)))
    bump = mul(convert_element_type(both_zero, core.get_aval(y).dtype), _const(y, 2.0))
    return mul(g, mul(y, pow(x, add(sub(y, _const(y, 1.0)), bump))))


ad.defjvp(pow_p, _pow_jvp_x, _pow_jvp_y)


def _balanced_eq(x, z, y):
    """1 where x alone attains the extremum z, 0.5 where x and y tie, 0 elsewhere."""
    # Written with arithmetic rather than select_n: select_n's cases must have
    # the predicate's shape, and these constants are scalars.
    dt = core.get_aval(x).dtype
    x_is = convert_element_type(eq(x, z), dt)
    y_is = convert_element_type(eq(y, z), dt)
    return mul(x_is, sub(_const(x, 1.0), mul(_const(x, 0.5), y_is)))


def complex_pick(x, y, np_cmp):
    """JAX's complex max (np_cmp = np.greater) or min (np.less): lexicographic
    (real part, then imaginary), ``x`` kept where the comparison holds, else
    ``y``; so a NaN does not propagate (numpy's maximum would)."""
    rx, ry = np.real(x), np.imag(x)
    sx, sy = np.real(y), np.imag(y)
    pick_x = np.where(rx == sx, np_cmp(ry, sy), np_cmp(rx, sx))
    return np.where(pick_x, x, y)


def _extremum(np_fn, np_cmp):
    def impl(x, y):
        if x.dtype.kind == "c":
            return complex_pick(x, y, np_cmp).astype(x.dtype)
        return np_fn(x, y)
    return impl


max_p = _binop("max", _extremum(np.maximum, np.greater), _ALL, cost=core.CHEAP)
ad.defjvp(max_p,
          lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
          lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)))

min_p = _binop("min", _extremum(np.minimum, np.less), _ALL, cost=core.CHEAP)
ad.defjvp(min_p,
          lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
          lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)))

def _atan2_impl(x, y):
    if x.dtype.kind != "c":
        return np.arctan2(x, y)
    # The complex continuation (XLA's): atan2(x, y) = -i log((y + i x) / sqrt(x^2 + y^2)).
    with np.errstate(divide="ignore", invalid="ignore"):
        return (-1j * np.log((y + 1j * x) / np.sqrt(x * x + y * y))).astype(x.dtype)


atan2_p = _binop("atan2", _atan2_impl, _FC, cost=core.COSTLY)
ad.defjvp(atan2_p,
          lambda g, ans, x, y: mul(g, div(y, add(mul(x, x), mul(y, y)))),
          lambda g, ans, x, y: neg(mul(g, div(x, add(mul(x, x), mul(y, y))))))

and_p = _binop("and", np.bitwise_and, "bi", cost=core.CHEAP)
ad.defjvp_zero(and_p)

or_p = _binop("or", np.bitwise_or, "bi", cost=core.CHEAP)
ad.defjvp_zero(or_p)


def _compare(name, np_fn, kinds=_ANY):
    prim = standard_primitive(name, lambda x, y: np_fn(x, y),
                              naryop_shape_rule(name, kinds, np.dtype(bool)),
                              kind=core.ELEMENTWISE, cost=core.CHEAP)
    batching.defbroadcasting(prim)
    ad.defjvp_zero(prim)
    return prim


eq_p = _compare("eq", np.equal, _ALL)
ne_p = _compare("ne", np.not_equal, _ALL)
lt_p = _compare("lt", np.less)
le_p = _compare("le", np.less_equal)
gt_p = _compare("gt", np.greater)
ge_p = _compare("ge", np.greater_equal)


# --------------------------------------------------------------- select_n

def _select_n_impl(which, *cases):
    if which.dtype == np.bool_:
        out = np.where(which, cases[1], cases[0]) if len(cases) == 2 else cases[0]
    else:
        out = np.choose(which, cases) if cases[0].ndim or which.ndim else cases[int(which)]
    return np.asarray(out, cases[0].dtype)


def _select_n_shape(which, *cases):
    problem = _select_n_problem(which, cases)
    if problem:     # the source line is looked up only for an error (it walks the stack)
        raise TypeError(problem + core.where_message())
    return ShapedArray(cases[0].shape, cases[0].dtype, all(c.weak_type for c in cases))


def _select_n_problem(which, cases):
    if not cases:
        return "select_n requires at least one case"
    if which.dtype.kind not in "bi":
        return f"select_n predicate must be boolean or int32, got {which.dtype.name}"
    if which.dtype == np.bool_ and len(cases) > 2:
        return (f"select_n with a boolean predicate takes at most two cases, got "
                f"{len(cases)}")
    if len({c.dtype for c in cases}) > 1:
        return ("select_n cases must have the same dtypes, got "
                + ", ".join(c.dtype.name for c in cases))
    if len({c.shape for c in cases}) > 1:
        return ("select_n cases must have the same shapes, got "
                + ", ".join(str(c.shape) for c in cases))
    shape = cases[0].shape
    if which.shape not in ((), shape):
        return (f"select_n predicate shape {which.shape} must be scalar or match the "
                f"cases' shape {shape}")
    return None


select_n_p = standard_primitive("select_n", _select_n_impl, _select_n_shape,
                                kind=core.ELEMENTWISE, cost=core.CHEAP)


def _select_n_batch(axis_size, vals, dims):
    # Not a broadcasting rule: the cases must share one shape (a rank-0 case
    # does not broadcast), and a batched scalar predicate must be widened to
    # the cases' shape. The output keeps the first batched case's batch dim
    # (else a full-rank predicate's), so nothing already in place is moved.
    which, *cases = vals
    wd, *cds = dims
    case_shape = core.get_aval(cases[0]).shape
    if cds[0] is not None:
        case_shape = case_shape[:cds[0]] + case_shape[cds[0] + 1:]
    w_rank = core.get_aval(which).ndim - (wd is not None)
    out = next((d for d in cds if d is not None), None)
    if out is None:
        out = wd if w_rank == len(case_shape) else 0
    cases = [batching.move_to(c, d, out, axis_size) for c, d in zip(cases, cds)]
    if wd is None and w_rank == 0:
        pass    # an unbatched scalar predicate applies to every element
    elif w_rank == len(case_shape):
        which = batching.move_to(which, wd, out, axis_size)
    else:       # batched scalar predicate: one per example, widened
        full = case_shape[:out] + (axis_size,) + case_shape[out:]
        which = structural.broadcast_in_dim(which, full, (out,))
    return select_n(which, *cases), out


batching.batch_rules[select_n_p] = _select_n_batch


def _select_n_jvp(primals, tangents):
    which, *cases = primals
    ans = select_n(which, *cases)
    case_ts = tangents[1:]
    if all(type(t) is Zero for t in case_ts):
        return ans, Zero(core.get_aval(ans))
    return ans, select_n(which, *map(ad.instantiate, case_ts))


def _select_n_transpose(ct, which, *cases):
    if type(ct) is Zero:
        return [None] * (len(cases) + 1)
    zeros = _zeros_like(ct)
    out = [None]
    for i, c in enumerate(cases):
        if is_undef(c):
            branches = [zeros] * len(cases)
            branches[i] = ct
            out.append(select_n(which, *branches))
        else:
            out.append(None)
    return out


ad.jvp_rules[select_n_p] = _select_n_jvp
ad.transpose_rules[select_n_p] = _select_n_transpose


# ------------------------------------------------------------ convert

def _convert_impl(x, new_dtype, weak_type=False):
    x = np.asarray(x)
    if x.dtype.kind == "f" and new_dtype.kind in "iu":
        return float_to_int(x, new_dtype)
    return x.astype(new_dtype)


def float_to_int(x, dt):
    """Truncation toward zero, saturating at the integer range, NaN -> 0: JAX's
    (XLA's) conversion, which compiled code also does; numpy's astype would
    give INT_MIN or wrap."""
    info = np.iinfo(dt)
    # The bounds as powers of two are exact in every float type.
    too_big = x >= 2.0 ** (info.bits - (dt.kind == "i"))
    too_small = x < info.min if dt.kind == "i" else x <= -1
    bad = too_big | too_small | np.isnan(x)
    out = np.where(bad, 0, x).astype(dt)
    return np.where(too_big, info.max, np.where(too_small, info.min, out)).astype(dt)


def _convert_shape(x, new_dtype, weak_type=False):
    return ShapedArray(x.shape, new_dtype, weak_type)


convert_element_type_p = standard_primitive("convert_element_type", _convert_impl,
                                            _convert_shape, kind=core.ELEMENTWISE, cost=core.FREE)
batching.defvectorized(convert_element_type_p)


def _convert_jvp(primals, tangents, new_dtype, weak_type=False):
    (x,), (t,) = primals, tangents
    ans = convert_element_type(x, new_dtype, weak_type)
    if (type(t) is Zero or not dtypes.is_inexact(new_dtype)
            or not dtypes.is_inexact(core.get_aval(x).dtype)):
        return ans, Zero(core.get_aval(ans))
    return ans, convert_element_type(t, new_dtype, weak_type)


def _convert_transpose(ct, x, new_dtype, weak_type=False):
    if type(ct) is Zero:
        return [None]
    if new_dtype.kind == "c" and x.aval.dtype.kind != "c":
        ct = complex_ops.real(ct)   # Re(c t) for a real t: no discarded-part warning
    return [convert_element_type(ct, x.aval.dtype, x.aval.weak_type)]


ad.jvp_rules[convert_element_type_p] = _convert_jvp
ad.transpose_rules[convert_element_type_p] = _convert_transpose


# ------------------------------------------------------- public wrappers

def _const(like, value):
    """A scalar constant of ``like``'s dtype (a Literal when staged)."""
    return np.asarray(value, core.get_aval(like).dtype)


def _full_like(x, value):
    aval = core.get_aval(x)
    return structural.full(aval.shape, value, aval.dtype)


def _zeros_like(x):
    aval = core.get_aval(x)
    return structural.full(aval.shape, 0, aval.dtype)


def _unary(prim):
    def f(x):
        return core.bind(prim, x)
    f.__name__ = prim.name
    f.__doc__ = f"Elementwise ``{prim.name}`` (lax primitive)."
    return f


def _binary(prim):
    def f(x, y):
        x, y = promote_weak(prim.name, x, y)
        return core.bind(prim, x, y)
    f.__name__ = prim.name
    f.__doc__ = f"Elementwise ``{prim.name}`` of two same-dtype operands (lax primitive)."
    return f


neg, sign, floor, ceil, abs = map(_unary, (neg_p, sign_p, floor_p, ceil_p, abs_p))
exp, exp2, log, log1p, expm1 = map(_unary, (exp_p, exp2_p, log_p, log1p_p, expm1_p))
sqrt, rsqrt, sin, cos, tan = map(_unary, (sqrt_p, rsqrt_p, sin_p, cos_p, tan_p))
asin, acos, atan, sinh, cosh = map(_unary, (asin_p, acos_p, atan_p, sinh_p, cosh_p))
tanh, logistic, erf, bitwise_not = map(_unary, (tanh_p, logistic_p, erf_p, not_p))
add, sub, mul, div, rem = map(_binary, (add_p, sub_p, mul_p, div_p, rem_p))
pow, max, min, atan2 = map(_binary, (pow_p, max_p, min_p, atan2_p))
bitwise_and, bitwise_or = map(_binary, (and_p, or_p))
eq, ne, lt, le, gt, ge = map(_binary, (eq_p, ne_p, lt_p, le_p, gt_p, ge_p))


def round(x, rounding_method=0):
    """Round to integral values; ``rounding_method`` 0 is away from zero, 1 to even."""
    return core.bind(round_p, x, rounding_method=int(rounding_method))


def integer_pow(x, y):
    """``x ** y`` for a Python int ``y``."""
    return core.bind(integer_pow_p, x, y=int(y))


def select_n(which, *cases):
    """``cases[which]`` elementwise; a boolean ``which`` picks between two cases."""
    return core.bind(select_n_p, which, *cases)


def select(pred, on_true, on_false):
    """``on_true`` where ``pred`` holds, else ``on_false`` (JAX's lax.select:
    ``select_n(pred, on_false, on_true)``)."""
    return select_n(pred, on_false, on_true)


def convert_element_type(x, new_dtype, weak_type=False):
    """Cast ``x`` to ``new_dtype``."""
    new_dtype = dtypes.canonicalize(new_dtype, "convert_element_type target")
    aval = core.get_aval(x)
    if aval.dtype.kind == "c" and new_dtype.kind == "b":
        return ne(x, _zero_like(x))       # nonzero real or imaginary part
    if aval.dtype.kind == "c" and new_dtype.kind != "c":
        # As JAX: the real part, with numpy's warning.
        warnings.warn("Casting complex values to real discards the imaginary part",
                      np.exceptions.ComplexWarning, stacklevel=2)
        x = complex_ops.real(x)
        aval = core.get_aval(x)
    if aval.dtype == new_dtype and aval.weak_type == weak_type and not core.is_python_scalar(x):
        return x
    if not isinstance(x, core.Tracer):
        return core.wrap(_convert_impl(x, new_dtype))
    return core.bind(convert_element_type_p, x, new_dtype=new_dtype, weak_type=bool(weak_type))


def stop_gradient(x):
    """The identity, with a zero derivative."""
    return tree_util.tree_map(lambda v: core.bind(stop_gradient_p, v), x)


stop_gradient_p = standard_primitive("stop_gradient", lambda x: x,
                                     lambda x: x, kind=core.ELEMENTWISE, cost=core.FREE)
batching.defvectorized(stop_gradient_p)
ad.defjvp_zero(stop_gradient_p)


def _zero_like(x):
    return np.zeros((), core.get_aval(x).dtype)
