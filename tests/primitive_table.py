"""One sampling entry per primitive, shared by the every-primitive tests
(test_transforms_every_primitive.py, test_lax_every_primitive.py).

An entry is a small float64 function that binds its primitive, one input
sampler per argument (domains away from singularities, kinks and ties) and
the argument shapes of each case. The tests parametrize over the registry
(``core.all_primitives``), so a new primitive without an entry here is a
failing test named for it.

Primitives whose output is piecewise constant (comparisons, floor, argmax,
argsort...) or not differentiable (bitwise ops) enter through a product
``x * P(x)``, sampled away from the jumps: the derivative is then ``P(x)``,
which central differences see, so a wrong (non-zero) rule for P is caught.
"""
import functools

import numpy as np

import jaxlite
from jaxlite import core, ir, lax
from helpers import (normal, positive, unit, above_minus_half, away_from_zero, small,
                     off_integers, near_integers, distinct)

F32, F64, I32 = np.float32, np.float64, np.int32

# Registered primitives deliberately without an entry, and why.
NO_ENTRY = {
    # custom_vjp's tangent map: bound only inside linearize's staged linear
    # jaxpr and transposed there, never by user code; custom_vjp_call's entry
    # exercises it under every reverse-mode check.
    "custom_lin": "only staged by linearize inside custom_vjp_call's jvp",
}
# Kinds with their own test files: control-flow primitives carry jaxprs
# whose transforms test_control_flow*.py checks branch by branch.
OWN_FILE_KINDS = {core.HIGHER_ORDER: "test_control_flow*.py"}


def _f64(x):
    return lax.convert_element_type(x, F64)


class Entry:
    """``fn`` over float64 arrays; ``samplers`` one per argument; ``shapes``
    the argument shapes of each case (the first case is used by the
    Jacobian, Hessian and vmap tests); ``order`` of the finite-difference
    check; ``fwd`` False for custom_vjp (forward mode is an error by design)."""

    def __init__(self, prim, fn, samplers, shapes, order=2, fwd=True):
        self.prim, self.fn, self.samplers = prim, fn, samplers
        self.shapes, self.order, self.fwd = shapes, order, fwd

    def args(self, rng, case=0):
        return tuple(s(rng, sh) for s, sh in zip(self.samplers, self.shapes[case]))


UN_SHAPES = [((2, 3),), ((3,),), ((),)]
BIN_SHAPES = [((3,), (3,)), ((), (2, 3)), ((2, 3), ()), ((2, 3), (2, 3))]
TABLE = {}


def _add(name, prim, fn, samplers, shapes, order=2, fwd=True):
    TABLE[name] = Entry(prim, fn, samplers, shapes, order, fwd)


# smooth unary: third order
for _name, _fn, _s in [
        ("neg", lax.neg, normal), ("exp", lax.exp, normal), ("exp2", lax.exp2, normal),
        ("log", lax.log, positive), ("log1p", lax.log1p, above_minus_half),
        ("expm1", lax.expm1, normal), ("sqrt", lax.sqrt, positive),
        ("rsqrt", lax.rsqrt, positive), ("sin", lax.sin, normal), ("cos", lax.cos, normal),
        ("tan", lax.tan, small), ("asin", lax.asin, unit), ("acos", lax.acos, unit),
        ("atan", lax.atan, normal), ("sinh", lax.sinh, normal), ("cosh", lax.cosh, normal),
        ("tanh", lax.tanh, normal), ("logistic", lax.logistic, normal), ("erf", lax.erf, normal),
        ("abs", lax.abs, away_from_zero)]:
    _add(_name, _name, _fn, [_s], UN_SHAPES, order=3)
_add("integer_pow", "integer_pow", lambda x: lax.integer_pow(x, 3), [normal], UN_SHAPES, 3)
_add("integer_pow-2", "integer_pow", lambda x: lax.integer_pow(x, -2), [away_from_zero],
     UN_SHAPES, 3)

# special functions (lax/special.py): shape parameters fixed where only x has a derivative
def _prob(rng, shape):
    return rng.uniform(0.1, 0.9, shape)


for _name, _fn, _s in [
        ("lgamma", lax.lgamma, positive), ("digamma", lax.digamma, positive),
        ("erfc", lax.erfc, normal), ("erf_inv", lax.erf_inv, unit), ("ndtri", lax.ndtri, _prob),
        ("bessel_i0e", lax.bessel_i0e, away_from_zero), ("bessel_i1e", lax.bessel_i1e, normal),
        ("igamma", lambda x: lax.igamma(2.5, x), positive),
        ("igammac", lambda x: lax.igammac(0.7, x), positive),
        ("igamma_grad_a", lambda x: lax.igamma_grad_a(2.5, x), positive),
        ("zeta", lambda q: lax.zeta(3.0, q), positive),
        ("betainc", lambda x: lax.betainc(2.0, 3.5, x), _prob)]:
    _add(_name, _name, _fn, [_s], UN_SHAPES, order=3)

# piecewise constant unary, through x * P(x)
for _name, _fn, _s in [("sign", lax.sign, away_from_zero), ("floor", lax.floor, off_integers),
                       ("ceil", lax.ceil, off_integers), ("round", lax.round, near_integers)]:
    _add(_name, _name, functools.partial(lambda f, x: lax.mul(x, f(x)), _fn), [_s], UN_SHAPES)
_add("not", "not", lambda x: lax.mul(x, _f64(lax.bitwise_not(lax.gt(x, 0.0)))),
     [away_from_zero], UN_SHAPES)


def _rem_x(rng, s):   # x / y stays away from the integers, where rem jumps
    return rng.uniform(0.2, 0.8, s) * 3.0 + 3.0 * rng.integers(0, 3, s)


def _rem_y(rng, s):
    return 3.0 + rng.uniform(-0.05, 0.05, s)


for _name, _fn, _sx, _sy in [
        ("add", lax.add, normal, normal), ("sub", lax.sub, normal, normal),
        ("mul", lax.mul, normal, normal), ("div", lax.div, normal, away_from_zero),
        ("rem", lax.rem, _rem_x, _rem_y), ("pow", lax.pow, positive, normal),
        ("atan2", lax.atan2, normal, away_from_zero)]:
    _add(_name, _name, _fn, [_sx, _sy], BIN_SHAPES)
# max/min of x and x + y with |y| >= 0.3: no ties; the winner depends on y's sign.
_add("max", "max", lambda x, y: lax.max(lax.mul(x, 0.5), lax.add(lax.mul(x, 0.5), y)),
     [normal, away_from_zero], BIN_SHAPES)
_add("min", "min", lambda x, y: lax.min(lax.add(x, y), x), [normal, away_from_zero], BIN_SHAPES)

# complex numbers (lax/complex_ops.py): float64 in and out, complex128 inside;
# a complex product mixes the parts, so a wrong (e.g. conjugating) transpose
# shows in the gradients.
_add("complex", "complex", lambda x, y: lax.imag(lax.mul(lax.complex(x, y), lax.complex(y, x))),
     [normal, normal], BIN_SHAPES)
_add("real", "real", lambda x, y: lax.real(lax.mul(lax.complex(x, y), lax.complex(x, x))),
     [normal, normal], BIN_SHAPES)
_add("imag", "imag", lambda x, y: lax.imag(lax.mul(lax.complex(x, y), lax.complex(y, y))),
     [normal, normal], BIN_SHAPES)
_add("conj", "conj", lambda x, y: lax.imag(lax.mul(lax.conj(lax.complex(x, y)),
                                                   lax.mul(lax.conj(y), lax.complex(y, x)))),
     [normal, normal], [((3,), (3,)), ((2, 3), (2, 3))])


def _c(x, y):
    return lax.complex(x, y)


def _parts(z):     # both parts of a complex result, as one float64 array
    return lax.add(lax.real(z), lax.mul(lax.imag(z), lax.imag(z)))


# Other primitives on complex operands (variants named "<prim>-complex"): the
# derivative rules must be right for complex values (holomorphic ones) and
# for |z| (not holomorphic).
for _name, _fn in [("exp", lax.exp), ("log", lax.log), ("sqrt", lax.sqrt), ("sin", lax.sin),
                   ("tanh", lax.tanh), ("atan", lax.atan), ("neg", lax.neg),
                   ("integer_pow", lambda z: lax.integer_pow(z, 3))]:
    _add(_name + "-complex", _name, functools.partial(lambda f, x, y: _parts(f(_c(x, y))), _fn),
         [positive, normal], BIN_SHAPES[:1] + BIN_SHAPES[3:])
_add("abs-complex", "abs", lambda x, y: lax.abs(_c(x, y)), [away_from_zero, normal],
     BIN_SHAPES[:1] + BIN_SHAPES[3:])
for _name, _fn in [("add", lax.add), ("sub", lax.sub), ("mul", lax.mul), ("div", lax.div),
                   ("pow", lax.pow)]:
    _add(_name + "-complex", _name, functools.partial(
        lambda f, x, y: _parts(f(_c(x, y), _c(y, x))), _fn), [positive, positive],
        BIN_SHAPES[:1] + BIN_SHAPES[3:])
_add("dot_general-complex", "dot_general", lambda x, y: _parts(lax.dot_general(
    _c(x, y), _c(y, x), (((1,), (0,)), ((), ())))), [normal, normal], [((3, 3), (3, 3))])
_add("reduce_sum-complex", "reduce_sum", lambda x, y: _parts(lax.reduce_sum(
    lax.mul(_c(x, y), _c(y, x)), (1,))), [normal, normal], [((2, 3), (2, 3))])
_add("and", "and", lambda x, y: lax.mul(x, _f64(lax.bitwise_and(lax.gt(x, 0.0), lax.gt(y, 0.0)))),
     [away_from_zero, away_from_zero], BIN_SHAPES)
_add("or", "or", lambda x, y: lax.mul(y, _f64(lax.bitwise_or(lax.gt(x, 0.0), lax.gt(y, 0.0)))),
     [away_from_zero, away_from_zero], BIN_SHAPES)


def _int(x):        # a piecewise-constant integer view of a float sample
    return lax.convert_element_type(lax.floor(x), I32)


# bit manipulation (lax/bits.py), through x * P(x) with P on floor(x)
_add("xor", "xor", lambda x, y: lax.mul(x, _f64(lax.bitwise_xor(lax.gt(x, 0.0), lax.gt(y, 0.0)))),
     [away_from_zero, away_from_zero], BIN_SHAPES)
for _name, _fn in [("shift_left", lax.shift_left), ("shift_right_logical", lax.shift_right_logical),
                   ("shift_right_arithmetic", lax.shift_right_arithmetic)]:
    _add(_name, _name, functools.partial(
        lambda f, x, y: lax.mul(x, _f64(f(_int(x), _int(y)))), _fn),
        [off_integers, off_integers], BIN_SHAPES)
for _name, _fn in [("population_count", lax.population_count), ("clz", lax.clz)]:
    _add(_name, _name, functools.partial(lambda f, x: lax.mul(x, _f64(f(_int(x)))),
                                         _fn), [off_integers], UN_SHAPES)
# bitcast: float32 bits near 1.0 (0x3f800000 + small integers), piecewise constant
_add("bitcast_convert_type", "bitcast_convert_type", lambda x: lax.mul(x, _f64(
    lax.bitcast_convert_type(lax.add(_int(x), np.int32(0x3F800000)), F32))),
    [off_integers], UN_SHAPES)
# eq/ne compare a piecewise constant (floor) so that equality survives the
# finite-difference step.
_add("eq", "eq", lambda x, y: lax.mul(y, _f64(lax.eq(lax.floor(x), 1.0))), [off_integers, normal],
     BIN_SHAPES)
_add("ne", "ne", lambda x, y: lax.mul(lax.sin(y), _f64(lax.ne(lax.floor(x), 0.0))),
     [off_integers, normal], BIN_SHAPES)
for _name, _fn in [("lt", lax.lt), ("le", lax.le), ("gt", lax.gt), ("ge", lax.ge)]:
    _add(_name, _name, functools.partial(
        lambda c, x, y: lax.mul(lax.mul(x, y), _f64(c(x, lax.add(x, y)))), _fn),
        [normal, away_from_zero], BIN_SHAPES)

_add("select_n", "select_n",
     lambda x, y: lax.select_n(lax.gt(x, 0.0), lax.sin(x), lax.mul(x, y)),
     [away_from_zero, normal], [((3,), (3,)), ((2, 3), (2, 3))])
# A float64 -> weakly typed float64 conversion: an exact identity
# that still binds the primitive (a float32 round trip is below FD precision;
# see test_convert_element_type_float32_round_trip_fd).
_add("convert_element_type", "convert_element_type",
     lambda x: lax.mul(x, lax.convert_element_type(lax.sin(x), F64, weak_type=True)),
     [normal], UN_SHAPES)
_add("stop_gradient", "stop_gradient", lambda x: lax.mul(lax.stop_gradient(x), x), [normal],
     UN_SHAPES)   # FD sees 2x, the rule x: special-cased below

_add("broadcast_in_dim", "broadcast_in_dim",
     lambda x: lax.broadcast_in_dim(x, (2, 4, 3), (0, 2)), [normal], [((2, 3),)])
_add("reshape", "reshape", lambda x: lax.reshape(lax.sin(x), (3, 2)), [normal], [((2, 3),)])
_add("transpose", "transpose", lambda x: lax.transpose(lax.sin(x), (2, 0, 1)), [normal],
     [((2, 3, 4),)])
_add("reduce_sum", "reduce_sum", lambda x: lax.reduce_sum(lax.sin(x), (np.ndim(x) - 1,)), [normal],
     [((2, 3, 4),), ((5,),)])
_add("squeeze", "squeeze", lambda x: lax.squeeze(lax.sin(x), (1,)), [normal], [((3, 1, 2),)])
_add("rev", "rev", lambda x: lax.mul(lax.rev(x, (0, 2)), x), [normal], [((2, 3, 4),)])
_add("concatenate", "concatenate", lambda x, y: lax.concatenate([x, lax.sin(y), x], 1),
     [normal, normal], [((2, 3), (2, 1))])
_add("pad", "pad", lambda x, v: lax.pad(lax.sin(x), v, [(1, -1, 1), (0, 2, 0)]),
     [normal, normal], [((3, 4), ())])
_add("iota", "iota",
     lambda x: lax.mul(x, lax.broadcasted_iota(F64, (3, 4), 1)), [normal], [((3, 4),)])
_add("slice", "slice", lambda x: lax.slice(lax.sin(x), (1, 0), (3, 4), (1, 2)), [normal],
     [((3, 4),)])
_add("dynamic_slice", "dynamic_slice",
     lambda x: lax.dynamic_slice(lax.sin(x), (np.int32(1), np.int32(-1)), (2, 2)), [normal],
     [((3, 4),)])
_add("dynamic_update_slice", "dynamic_update_slice",
     lambda x, u: lax.dynamic_update_slice(lax.sin(x), lax.mul(u, u), (np.int32(2), np.int32(1))),
     [normal, normal], [((3, 4), (2, 2))])
_IDX = np.array([[1, 0], [2, 3], [1, 0], [5, -1]], I32)   # a duplicate, two clamped
_add("gather", "gather", lambda x: lax.gather(lax.sin(x), _IDX, (0, 1)), [normal], [((3, 4, 2),)])
_add("scatter_add", "scatter_add",
     lambda x, u: lax.scatter_add(lax.sin(x), _IDX[:3], lax.mul(u, u), (0, 1)),
     [normal, normal], [((3, 4, 2), (3, 2))])
_add("scatter", "scatter",
     lambda x, u: lax.scatter(lax.sin(x), _IDX[1:], lax.mul(u, lax.cos(u)), (0, 1)),
     [normal, normal], [((3, 4, 2), (3, 2))])
_add("reduce_max", "reduce_max", lambda x: lax.reduce_max(lax.tanh(x), (1,)), [distinct],
     [((3, 4),), ((2, 3, 4),)])
_add("reduce_min", "reduce_min",
     lambda x: lax.reduce_min(lax.tanh(x), tuple(range(0, np.ndim(x), 2))), [distinct],
     [((2, 3, 4),), ((5,),)])
_add("reduce_prod", "reduce_prod", lambda x: lax.reduce_prod(x, (1,)), [positive],
     [((3, 4),), ((2, 3, 4),)])
_add("argmax", "argmax", lambda x: lax.mul(x, lax.broadcast_in_dim(
    _f64(lax.argmax(x, np.ndim(x) - 1, I32)), np.shape(x), tuple(range(np.ndim(x) - 1)))),
    [distinct], [((3, 4),), ((5,),), ((2, 3, 4),)])
_add("argmin", "argmin", lambda x: lax.mul(x, lax.broadcast_in_dim(
    _f64(lax.argmin(x, 0, I32)), np.shape(x), tuple(range(1, np.ndim(x))))),
    [distinct], [((3, 4),), ((5,),), ((2, 3, 4),)])
_add("cumsum", "cumsum", lambda x: lax.cumsum(lax.sin(x), 1, True), [normal], [((3, 4),)])
_add("dot_general", "dot_general",
     lambda a, b: lax.dot_general(a, b, (((2,), (1,)), ((0,), (0,)))), [normal, normal],
     [((2, 3, 4), (2, 4, 5))])
_add("dot_general_outer", "dot_general", lambda a, b: lax.dot_general(a, b, (((), ()), ((), ()))),
     [normal, normal], [((3,), (2,))])
_add("conv_general_dilated", "conv_general_dilated",
     lambda a, b: lax.conv_general_dilated(a, b, (2, 1), ((1, 0), (0, 1)), rhs_dilation=(1, 2),
                                           dimension_numbers=("NHWC", "HWIO", "NHWC")),
     [normal, normal], [((2, 5, 6, 3), (2, 2, 3, 4))])
_add("conv_general_dilated_grouped", "conv_general_dilated",
     lambda a, b: lax.conv_general_dilated(a, b, (1,), ((1, 2),), lhs_dilation=(2,),
                                           feature_group_count=2),
     [normal, normal], [((2, 4, 5), (4, 2, 3))])
_WIN = dict(window_dimensions=(2, 2), window_strides=(1, 2), padding=((1, 0), (0, 1)),
            base_dilation=(1, 1), window_dilation=(1, 1))
_add("reduce_window_sum", "reduce_window_sum",
     lambda x: lax.reduce_window(x, 0.0, lax.add, (2, 3), (1, 2), ((1, 0), (2, 1)), (2, 1)),
     [normal], [((3, 4),)])
for _name, _op, _init in [("reduce_window_max", lax.max, -np.inf),
                          ("reduce_window_min", lax.min, np.inf)]:
    _add(_name, _name, functools.partial(
        lambda op, init, x: lax.reduce_window(x, init, op, (2, 2), (1, 2), ((0, 0), (0, 1))),
        _op, _init), [distinct], [((3, 4),)])
# max pooling's jvp and its transpose, bound directly (x fixed with distinct values)
_POOL_X = np.arange(12.0).reshape(3, 4) % 7 + np.arange(12.0).reshape(3, 4) * 0.01
_add("select_and_gather_add", "select_and_gather_add",
     lambda t: lax.select_and_gather_add_p.bind(t, _POOL_X, select_prim="ge", **_WIN),
     [normal], [((3, 4),)])
_add("select_and_scatter_add", "select_and_scatter_add",
     lambda s: lax.select_and_scatter_add_p.bind(s, _POOL_X, select_prim="le", **_WIN),
     [normal], [((3, 2),)])


@jaxlite.jit
def _jitted(x, y):
    return lax.add(lax.mul(lax.sin(x), y), lax.exp(lax.mul(x, 0.5)))


_add("jit", "jit", _jitted, [normal, normal], BIN_SHAPES[:1] + BIN_SHAPES[3:])


@jaxlite.custom_jvp
def _softplus(x):
    return lax.log1p(lax.exp(x))


@_softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _softplus(x), lax.mul(t, lax.logistic(x))


_add("custom_jvp_call", "custom_jvp_call", _softplus, [normal], UN_SHAPES, order=3)


@jaxlite.custom_vjp
def _sin_mul(x, y):
    return lax.mul(lax.sin(x), y)


def _sin_mul_fwd(x, y):
    return _sin_mul(x, y), (x, y)


def _sin_mul_bwd(res, g):
    x, y = res
    return lax.mul(lax.mul(lax.cos(x), y), g), lax.mul(lax.sin(x), g)


_sin_mul.defvjp(_sin_mul_fwd, _sin_mul_bwd)
_add("custom_vjp_call", "custom_vjp_call", _sin_mul, [normal, normal],
     [((3,), (3,)), ((2, 3), (2, 3))], fwd=False)


def _diag_solve(x, b):
    """b / (2 + x^2) through custom_linear_solve: a diagonal operator closing over x."""
    d = lax.add(lax.mul(x, x), 2.0)
    return lax.custom_linear_solve(lambda v: lax.mul(d, v), b, lambda mv, y: lax.div(y, d),
                                   symmetric=True)


_add("custom_linear_solve", "custom_linear_solve", _diag_solve, [normal, normal],
     [((3,), (3,)), ((2, 3), (2, 3)), ((), ())])


def _cube_root_of(a):
    """The real root of x^3 + x = a (Newton, fixed steps) through custom_root."""
    def f(x):
        return lax.sub(lax.add(lax.integer_pow(x, 3), x), a)

    def newton(f, x0):
        step = lambda i, x: lax.sub(x, lax.div(f(x), lax.add(lax.mul(3.0, lax.mul(x, x)), 1.0)))
        return lax.fori_loop(0, 40, step, x0)
    return lax.custom_root(f, lax.full_like(a, 0.0), newton,
                           lambda g, y: lax.div(y, g(lax.full_like(y, 1.0))))


_add("custom_root", "custom_root", _cube_root_of, [normal], UN_SHAPES)


@jaxlite.checkpoint
def _remat(x, y):
    return lax.add(lax.mul(lax.sin(x), y), lax.exp(lax.mul(x, 0.5)))


def _remat_dots(a, b):
    # dots_saveable keeps the dot_general output as a residual, recomputes the rest
    f = jaxlite.checkpoint(lambda p, q: lax.tanh(lax.dot_general(lax.sin(p), q,
                                                                 (((1,), (0,)), ((), ())))),
                           policy=jaxlite.checkpoint_policies.dots_saveable)
    return f(a, b)


_add("checkpoint", "checkpoint", _remat, [normal, normal], BIN_SHAPES[:1] + BIN_SHAPES[3:])
_add("checkpoint_dots", "checkpoint", _remat_dots, [normal, normal], [((2, 3), (3, 4))])


def _sort_entry(x):
    return lax.sort(lax.tanh(x), np.ndim(x) - 1)


def _argsort_entry(x):
    return lax.mul(x, _f64(lax.argsort(x, 0)))


_add("sort", "sort", _sort_entry, [distinct], [((3, 4),), ((5,),), ((2, 3, 4),)])
_add("argsort", "argsort", _argsort_entry, [distinct], [((3, 4),), ((5,),), ((2, 3, 4),)])


# linear algebra (lax/linalg.py): well-conditioned matrices built from the samples
from jaxlite.lax import linalg as lax_linalg  # noqa: E402


def _spd(x):
    shape = np.shape(x)
    eye = lax.broadcast_in_dim(2.0 * shape[-1] * np.eye(shape[-1]), shape,
                               (len(shape) - 2, len(shape) - 1))
    return lax.add(lax_linalg.symmetrize(x), eye)


def _flat(*outs):
    """Several outputs as one vector (the table's functions return one array)."""
    return lax.concatenate([lax.reshape(o, (np.size(o),)) for o in outs], 0)


def _tri_left(a, b):
    return lax_linalg.triangular_solve(_spd(a), b, left_side=True, lower=True)


def _tri_right(a, b):
    return lax_linalg.triangular_solve(_spd(a), b, left_side=False, lower=False,
                                       transpose_a=True, unit_diagonal=True)


_add("cholesky", "cholesky", lambda x: lax_linalg.cholesky(_spd(x)), [normal],
     [((3, 3),), ((2, 3, 3),)])
_add("triangular_solve", "triangular_solve", _tri_left, [normal, normal],
     [((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1))])
_add("triangular_solve-right", "triangular_solve", _tri_right, [normal, normal],
     [((3, 3), (2, 3))])
_add("lu", "lu", lambda x: lax_linalg.lu(x)[0], [normal], [((3, 3),), ((3, 4),), ((2, 4, 3),)])
_add("qr", "qr", lambda x: _flat(*lax_linalg.qr(x, full_matrices=False)), [normal],
     [((3, 3),), ((4, 3),)])
_add("eigh", "eigh", lambda x: _flat(*lax_linalg.eigh(x)), [normal], [((3, 3),), ((2, 4, 4),)])
_add("svd", "svd", lambda x: _flat(*lax_linalg.svd(x, full_matrices=False)), [normal],
     [((3, 3),), ((4, 3),), ((3, 4),)])
# eig (lax/linalg_eig.py): eigenvalues (imaginary parts squared: smooth across the
# +-b of a conjugate pair), and right/left eigenvectors with enable_eigvec_derivs.
_add("eig", "eig", lambda x: _flat(*(lambda w: (lax.real(w), lax.mul(lax.imag(w), lax.imag(w))))(
    lax_linalg.eig(x, compute_left_eigenvectors=False, compute_right_eigenvectors=False)[0])),
    [normal], [((3, 3),), ((2, 3, 3),)])
_add("eig-vectors", "eig", lambda x: _flat(*[f(v) for v in lax_linalg.eig(
    x, enable_eigvec_derivs=True)[1:] for f in (lax.real, lax.imag)]), [normal], [((3, 3),)])
_add("svd-values", "svd", lambda x: lax_linalg.svd(x, compute_uv=False), [normal],
     [((3, 4),)])

# FFTs (lax/fft_ops.py) over the last one or two axes. fft: float64 in and out,
# complex128 inside, both parts of the result used (a transpose that
# conjugates wrongly shows in the gradients); irfft reads a half spectrum.
_FFT_T = lax.FftType


def _fft_entry(typ, k):
    def fn(x):
        lengths = np.shape(x)[-k:]
        if typ == _FFT_T.RFFT:
            y = lax.fft(lax.mul(x, x), typ, lengths)
        elif typ == _FFT_T.IRFFT:
            lengths = lengths[:-1] + (2 * (lengths[-1] - 1),)
            return lax.fft(lax.complex(x, lax.sin(x)), typ, lengths)
        else:
            y = lax.fft(lax.complex(x, lax.sin(x)), typ, lengths)
        return lax.add(lax.real(y), lax.mul(lax.imag(y), lax.imag(y)))
    return fn


def _fft_planar_entry(typ, k):
    def fn(x):
        lengths = np.shape(x)[-k:]
        if typ == _FFT_T.RFFT:
            planes = [lax.mul(x, x)]
        else:
            planes = [x, lax.sin(x)]
            if typ == _FFT_T.IRFFT:
                lengths = lengths[:-1] + (2 * (lengths[-1] - 1) + 1,)   # odd n
        outs = lax.fft_planar(planes, typ, lengths)
        return _flat(*[lax.mul(o, o) if i else o for i, o in enumerate(outs)])
    return fn


for _typ in _FFT_T:
    _sfx = "" if _typ == _FFT_T.FFT else "-" + _typ.name.lower()
    _add("fft" + _sfx, "fft", _fft_entry(_typ, 1), [normal], [((2, 4),), ((5,),), ((2, 3, 3),)])
    _add("fft2" + _sfx, "fft", _fft_entry(_typ, 2), [normal], [((3, 4),), ((2, 2, 3),)])
    _add("fft_planar" + _sfx, "fft_planar", _fft_planar_entry(_typ, 1), [normal],
         [((2, 4),), ((5,),)])
_add("fft_planar2", "fft_planar", _fft_planar_entry(_FFT_T.IRFFT, 2), [normal], [((3, 4),)])


def _callback_entry(x):
    # The callback sees the values; the output (sin x) carries the derivatives.
    jaxlite.debug.callback(lambda v: None, x)
    return lax.sin(x)


_add("debug_callback", "debug_callback", _callback_entry, [normal], UN_SHAPES)


def _python_sin(call):
    """sin(x) computed by numpy in a callback; callbacks have no derivatives (JAX's
    ValueError), so custom_jvp supplies them, its primal calling this again so
    that every order of derivative goes through the callback."""
    @jaxlite.custom_jvp
    def f(x):
        return call(lambda v: np.sin(np.asarray(v)), jaxlite.ShapeDtypeStruct(x.shape, x.dtype), x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), lax.mul(lax.cos(x), t)
    return f


_add("pure_callback", "pure_callback",
     _python_sin(functools.partial(jaxlite.pure_callback, vmap_method="sequential")),
     [normal], UN_SHAPES)
_add("io_callback", "io_callback", _python_sin(jaxlite.experimental.io_callback), [normal],
     UN_SHAPES)


# Collectives (lax/parallel.py) over an axis bound to the processes: in one
# process that axis has size 1 (tests/test_collectives.py and test_mpi.py
# check the values over larger axes).
def _over_processes(f):
    return jaxlite.distributed.spmd(f, "p")


for _name, _fn in [("psum", lambda x: lax.psum(x, "p")), ("pmax", lambda x: lax.pmax(x, "p")),
                   ("pmin", lambda x: lax.pmin(x, "p")),
                   ("ppermute", lambda x: lax.ppermute(x, "p", [(0, 0)])),
                   ("axis_index", lambda x: x * (lax.axis_index("p") + 1))]:
    _add(_name, _name, _over_processes(_fn), [normal], UN_SHAPES)
_add("all_gather", "all_gather", _over_processes(lambda x: lax.all_gather(x, "p", axis=1)),
     [normal], [((2, 3),), ((3,),)])
_add("psum_scatter", "psum_scatter", _over_processes(lambda x: lax.psum_scatter(x, "p")),
     [normal], [((1, 3),), ((1,),)])
_add("all_to_all", "all_to_all", _over_processes(lambda x: lax.all_to_all(x, "p", 0, 1)),
     [normal], [((1, 3),)])


def table_primitives():
    """The registered primitives the table must cover, sorted by name."""
    return sorted(name for name, p in core.all_primitives.items()
                  if name not in NO_ENTRY and p.kind not in OWN_FILE_KINDS)


def variants_of(prim):
    """The entry names that bind ``prim`` (several for some: integer_pow-2)."""
    return [name for name, e in TABLE.items() if e.prim == prim]


def entry_names():
    """Every entry name, in the registry's order; a primitive with no entry
    gives its own name, which ``entry`` turns into a failure."""
    names = []
    for prim in table_primitives():
        names.extend(variants_of(prim) or [prim])
    return names


def entry(name):
    if name not in TABLE:
        raise AssertionError(f"primitive {name!r} has no sampling entry in "
                             "tests/primitive_table.py: add one (or a reason to NO_ENTRY)")
    return TABLE[name]


def prims_in(jaxpr, out=None):
    """The names of the primitives a jaxpr binds, inner jaxprs included."""
    out = set() if out is None else out
    for e in jaxpr.eqns:
        out.add(e.prim.name)
        for v in e.params.values():
            if isinstance(v, ir.ClosedJaxpr):
                prims_in(v.jaxpr, out)
    return out
