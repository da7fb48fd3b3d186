"""One table, one entry per primitive of the brief, run through every transform.

Issues #3 and #4 ask for each primitive: jvp and vjp against central finite
differences in float64 (orders 1 and 2, order 3 for the smooth unary ones)
over several shapes and broadcasting; jacfwd == jacrev; a symmetric Hessian;
vmap against a Python loop for in_axes 0, 1, -1 and None and nested; a
staged vmap with batched shapes and no per-example loop. The per-primitive
files test values and many special cases; this file makes sure no primitive
is missed by any of those checks (``test_table_covers_every_primitive``).

Primitives whose output is piecewise constant (comparisons, floor, argmax...)
or not differentiable (bitwise ops) enter through a product ``x * P(x)``,
sampled away from the jumps: the derivative is then ``P(x)``, which central
differences see, so a wrong (non-zero) rule for P is caught.
"""
import functools

import numpy as np
import pytest

import jaxlite
from jaxlite import core, ir, lax, tree_util
from helpers import (check_grads, check_vmap, normal, positive, unit, above_minus_half,
                     away_from_zero, small)

F32, F64, I32 = np.float32, np.float64, np.int32


def _sum(x):
    return lax.reduce_sum(x, tuple(range(np.ndim(x))))


def _f64(x):
    return lax.convert_element_type(x, F64)


# ------------------------------------------------------------------ samplers

def off_integers(rng, s):
    """Far from the jumps of floor and ceil."""
    return rng.integers(-3, 3, s) + rng.uniform(0.2, 0.8, s)


def near_integers(rng, s):
    """Far from the jumps of round (the half-integers)."""
    return rng.integers(-3, 3, s) + rng.uniform(-0.3, 0.3, s)


def distinct(rng, s):
    """No ties, gaps far wider than the finite-difference step."""
    n = int(np.prod(s, dtype=np.int64))
    return rng.permutation(np.linspace(-2.0, 2.0, n) if n > 1 else np.full(n, 0.7)).reshape(s)


# ------------------------------------------------------------------- the table

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

_add("and", "and", lambda x, y: lax.mul(x, _f64(lax.bitwise_and(lax.gt(x, 0.0), lax.gt(y, 0.0)))),
     [away_from_zero, away_from_zero], BIN_SHAPES)
_add("or", "or", lambda x, y: lax.mul(y, _f64(lax.bitwise_or(lax.gt(x, 0.0), lax.gt(y, 0.0)))),
     [away_from_zero, away_from_zero], BIN_SHAPES)
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

NAMES = list(TABLE)


def _prims_in(jaxpr, out=None):
    out = set() if out is None else out
    for e in jaxpr.eqns:
        out.add(e.prim.name)
        for v in e.params.values():
            if isinstance(v, ir.ClosedJaxpr):
                _prims_in(v.jaxpr, out)
    return out


def test_table_covers_every_primitive():
    from test_registry import EXPECTED
    covered = {e.prim for e in TABLE.values()}
    assert sorted(set(EXPECTED) - covered) == []
    assert covered <= set(EXPECTED)


@pytest.mark.parametrize("name", NAMES)
def test_entry_binds_its_primitive(name):
    e = TABLE[name]
    args = e.args(np.random.default_rng(0))
    assert e.prim in _prims_in(jaxlite.make_jaxpr(e.fn)(*args).jaxpr)


# ------------------------------------------- derivatives against finite differences

def _fd_directional(f, args, v, eps=1e-6):
    hi = f(*[a + eps * d for a, d in zip(args, v)])
    lo = f(*[a - eps * d for a, d in zip(args, v)])
    return tree_util.tree_map(lambda h, l: (np.asarray(h, F64) - np.asarray(l, F64)) / (2 * eps),
                              hi, lo)


def _vdot(a, b):
    return sum(float(np.sum(np.asarray(x, F64) * np.asarray(y, F64)))
               for x, y in zip(tree_util.tree_leaves(a), tree_util.tree_leaves(b)))


def check_rev_fd(f, args, order, rng, rtol=1e-5, atol=1e-6):
    """Reverse mode only (custom_vjp has no forward mode): <u, FD(v)> equals
    <vjp(u), v>, and the same for the vjp itself as a function, to ``order``."""
    v = [rng.standard_normal(np.shape(a)) for a in args]
    out = f(*args)
    u = tree_util.tree_map(lambda o: rng.standard_normal(np.shape(o)), out)
    ct = jaxlite.vjp(f, *args)[1](u)
    np.testing.assert_allclose(_vdot(ct, v), _vdot(u, _fd_directional(f, args, v)),
                               rtol=rtol, atol=atol)
    if order > 1:
        check_rev_fd(lambda *a: jaxlite.vjp(f, *a)[1](u), args, order - 1, rng, rtol, atol)


def _fd_cases():
    for name, e in TABLE.items():
        if name == "stop_gradient":   # not a mathematical function: see its own test
            continue
        for k, shapes in enumerate(e.shapes):
            yield pytest.param(name, k, id=f"{name}-{'-'.join(map(str, shapes))}")


@pytest.mark.parametrize("name,case", list(_fd_cases()))
def test_derivatives_match_finite_differences(name, case):
    e = TABLE[name]
    rng = np.random.default_rng(100 + case)
    args = e.args(rng, case)
    if e.fwd:
        check_grads(e.fn, args, order=e.order, rng=rng)
    else:
        check_rev_fd(e.fn, args, e.order, rng)


def test_stop_gradient_derivative_treats_its_value_as_constant():
    # f(x) = stop(x) * x: the derivative is the frozen x (finite differences of
    # f would see 2x); every order above the first is zero.
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    v = np.random.default_rng(0).standard_normal(x.shape)
    f = TABLE["stop_gradient"].fn
    frozen = lambda y: lax.mul(x, y)
    np.testing.assert_allclose(jaxlite.jvp(f, (x,), (v,))[1], _fd_directional(frozen, (x,), (v,)),
                               rtol=1e-8)
    np.testing.assert_allclose(jaxlite.grad(lambda y: _sum(f(y)))(x), x)
    np.testing.assert_array_equal(jaxlite.hessian(lambda y: _sum(f(y)))(x[0]), np.zeros((3, 3)))


def test_convert_element_type_float32_round_trip_fd():
    # Central differences of a quadratic are exact, so a coarse step (which
    # float32 can resolve) still gives the derivative to float32 rounding.
    f = lambda x: lax.mul(_f64(lax.convert_element_type(x, F32)), x)
    x = np.array([0.75, -1.25, 2.5])
    v = np.array([1.0, -0.5, 0.25])
    want = _fd_directional(f, (x,), (v,), eps=2.0 ** -6)
    np.testing.assert_allclose(jaxlite.jvp(f, (x,), (v,))[1], want, rtol=1e-6)
    np.testing.assert_allclose(jaxlite.grad(lambda y: _sum(f(y)))(x), 2 * x, rtol=1e-6)
    # int -> float and float -> int carry no derivative.
    g = lambda x: lax.mul(x, _f64(lax.convert_element_type(lax.mul(x, 3.0), I32)))
    np.testing.assert_allclose(jaxlite.grad(lambda y: _sum(g(y)))(x), np.trunc(3 * x))


# ---------------------------------------------------------- Jacobians and Hessians

def _fd_jacobian(f, args, eps=1e-6):
    """Per argument, d out / d arg with shape out.shape + arg.shape."""
    out_shape = np.shape(f(*args))
    jac = []
    for i, a in enumerate(args):
        cols = []
        for k in range(np.size(a)):
            d = np.zeros(np.size(a))
            d[k] = 1.0
            v = [d.reshape(np.shape(a)) if j == i else np.zeros(np.shape(b))
                 for j, b in enumerate(args)]
            cols.append(np.asarray(_fd_directional(f, args, v, eps)).reshape(out_shape))
        jac.append(np.moveaxis(np.array(cols).reshape(np.shape(a) + out_shape),
                               tuple(range(np.ndim(a))),
                               tuple(range(len(out_shape), len(out_shape) + np.ndim(a)))))
    return jac


@pytest.mark.parametrize("name", NAMES)
def test_jacfwd_equals_jacrev_equals_fd(name):
    e = TABLE[name]
    args = e.args(np.random.default_rng(200))
    argnums = tuple(range(len(args)))
    jr = jaxlite.jacrev(e.fn, argnums=argnums)(*args)
    if name != "stop_gradient":
        for got, want in zip(jr, _fd_jacobian(e.fn, args)):
            assert np.shape(got) == np.shape(want)
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    if e.fwd:
        jf = jaxlite.jacfwd(e.fn, argnums=argnums)(*args)
        for a, b in zip(jf, jr):
            assert np.shape(a) == np.shape(b)
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_hessian_is_symmetric_and_matches_fd_of_the_gradient(name):
    e = TABLE[name]
    rng = np.random.default_rng(300)
    args = e.args(rng)
    w = rng.standard_normal(np.shape(e.fn(*args)))
    s = lambda *a: _sum(lax.mul(lax.sin(e.fn(*a)), w))
    argnums = tuple(range(len(args)))
    hess = jaxlite.hessian if e.fwd else (
        lambda f, argnums: jaxlite.jacrev(jaxlite.jacrev(f, argnums), argnums))
    h = hess(s, argnums=argnums)(*args)
    n = len(args)
    for i in range(n):
        for j in range(n):
            hij, hji = np.asarray(h[i][j]), np.asarray(h[j][i])
            ri, rj = np.ndim(args[i]), np.ndim(args[j])
            perm = tuple(range(rj, rj + ri)) + tuple(range(rj))
            np.testing.assert_allclose(hij, np.transpose(hji, perm), rtol=1e-10, atol=1e-12)
    if name == "stop_gradient":
        return
    grad = jaxlite.grad(s, argnums=argnums)
    for i in range(n):
        fd = _fd_jacobian(lambda *a: grad(*a)[i], args)
        for j in range(n):
            np.testing.assert_allclose(h[i][j], fd[j], rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------ vmap

B = 3


def _batched_args(e, in_axes, rng, size=B):
    """Per argument: ``size`` samples stacked along its in_axes entry (None: one sample)."""
    out = []
    for sampler, shape, ax in zip(e.samplers, e.shapes[0], in_axes):
        if ax is None:
            out.append(sampler(rng, shape))
        else:
            stacked = np.stack([sampler(rng, shape) for _ in range(size)])
            out.append(np.moveaxis(stacked, 0, ax if ax >= 0 else len(shape) + 1 + ax))
    return tuple(out)


def _axis_patterns(e):
    """in_axes 0, 1, -1 and None on each argument, where the rank allows it."""
    ranks = [len(s) for s in e.shapes[0]]
    n = len(ranks)
    pats = {(0,) * n, (-1,) * n, tuple(1 if r >= 1 else 0 for r in ranks)}
    if n > 1:
        for i in range(n):
            pats.add(tuple(None if j == i else (-1 if j % 2 else 0) for j in range(n)))
            pats.add(tuple(1 if j == i and ranks[j] >= 1 else None for j in range(n)))
    return sorted(pats, key=str)


def _vmap_cases():
    for name in NAMES:
        for pat in _axis_patterns(TABLE[name]):
            if all(a is None for a in pat):
                continue
            yield pytest.param(name, pat, id=f"{name}-{pat}")


@pytest.mark.parametrize("name,in_axes", list(_vmap_cases()))
def test_vmap_matches_loop(name, in_axes):
    e = TABLE[name]
    args = _batched_args(e, in_axes, np.random.default_rng(400))
    check_vmap(e.fn, args, in_axes=in_axes, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_nested_vmap_matches_double_loop(name):
    e = TABLE[name]
    n = len(e.shapes[0])
    rng = np.random.default_rng(500)
    inner_axes = tuple(-1 if j % 2 else 0 for j in range(n))
    # Inner batch of 2 along inner_axes, then outer batch of 3 along axis 1 of the
    # first argument (0 for the others; rank 0 ones fall back to 0).
    inner = [_batched_args(e, inner_axes, rng, size=2) for _ in range(B)]
    outer_axes = tuple(1 if j == 0 else 0 for j in range(n))
    args = tuple(np.stack([inner[b][j] for b in range(B)], axis=outer_axes[j]) for j in range(n))
    got = jaxlite.vmap(jaxlite.vmap(e.fn, in_axes=inner_axes), in_axes=outer_axes)(*args)
    for b in range(B):
        for k in range(2):
            sl = [np.take(np.take(a, b, axis=oa), k, axis=ia)
                  for a, oa, ia in zip(args, outer_axes, inner_axes)]
            np.testing.assert_allclose(got[b, k], e.fn(*sl), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_staged_vmap_is_batched_not_a_loop(name):
    e = TABLE[name]
    n = len(e.shapes[0])
    sizes = {}
    for size in (2, 5):
        args = _batched_args(e, (0,) * n, np.random.default_rng(600), size=size)
        closed = jaxlite.make_jaxpr(jaxlite.vmap(e.fn))(*args)
        jaxpr = closed.jaxpr
        assert all(v.aval.shape[:1] == (size,) for v in jaxpr.invars)
        assert all(v.aval.shape[:1] == (size,) for v in jaxpr.outvars), str(closed)
        assert e.prim in _prims_in(jaxpr), str(closed)
        sizes[size] = len(jaxpr.eqns)
    # An unrolled per-example loop would grow with the batch.
    assert sizes[2] == sizes[5]


@pytest.mark.parametrize("name", NAMES)
def test_vmap_of_grad_and_grad_of_vmap_match_loops(name):
    e = TABLE[name]
    n = len(e.shapes[0])
    argnums = tuple(range(n))
    loss = lambda *a: _sum(lax.sin(e.fn(*a)))
    args = _batched_args(e, (0,) * n, np.random.default_rng(700))
    per_example = jaxlite.vmap(jaxlite.grad(loss, argnums=argnums))(*args)
    total = jaxlite.grad(lambda *a: _sum(jaxlite.vmap(loss)(*a)), argnums=argnums)(*args)
    for b in range(B):
        want = jaxlite.grad(loss, argnums=argnums)(*[a[b] for a in args])
        for j in range(n):
            np.testing.assert_allclose(per_example[j][b], want[j], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(total[j][b], want[j], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_vmap_of_jacobians_matches_loop(name):
    e = TABLE[name]
    n = len(e.shapes[0])
    args = _batched_args(e, (0,) * n, np.random.default_rng(800))
    jacs = [jaxlite.jacrev] + ([jaxlite.jacfwd] if e.fwd else [])
    for jac in jacs:
        got = jaxlite.vmap(jac(e.fn, argnums=tuple(range(n))))(*args)
        for b in range(B):
            want = jac(e.fn, argnums=tuple(range(n)))(*[a[b] for a in args])
            for j in range(n):
                np.testing.assert_allclose(got[j][b], want[j], rtol=1e-12, atol=1e-12)


# -------------------------------------- random programs over structural primitives

from hypothesis import given, settings, strategies as st  # noqa: E402
from helpers import check_vjp  # noqa: E402

_W = np.random.default_rng(7).standard_normal((4, 4)) * 0.5
_ROWS = np.array([[2], [0], [1]], I32)

# Each maps (3, 4) float64 values to a (3, 4) value, through the structural,
# indexing, reduction and contraction primitives (elementwise ones are
# covered by test_properties.py).
STRUCT_UNARY = {
    "rev": lambda a: lax.rev(a, (0,)),
    "cumsum": lambda a: lax.cumsum(a, 1),
    "cumsum_rev": lambda a: lax.cumsum(a, 0, True),
    "roll": lambda a: lax.concatenate([lax.slice(a, (0, 1), (3, 4)), lax.slice(a, (0, 0), (3, 1))],
                                      1),
    "shift_down": lambda a: lax.slice(lax.pad(a, 0.5, [(1, 1, 0), (0, 0, 0)]), (0, 0), (3, 4)),
    "interleave": lambda a: lax.slice(lax.pad(a, 0.0, [(0, 0, 0), (0, 0, 1)]), (0, 0), (3, 4)),
    "transpose_reshape": lambda a: lax.reshape(lax.transpose(a, (1, 0)), (3, 4)),
    "mix": lambda a: lax.dot(lax.tanh(a), _W),
    "rowmax": lambda a: lax.broadcast_in_dim(lax.reduce_max(a, (1,)), (3, 4), (0,)),
    "colmin": lambda a: lax.broadcast_in_dim(lax.reduce_min(a, (0,)), (3, 4), (1,)),
    "rowprod": lambda a: lax.broadcast_in_dim(
        lax.reduce_prod(lax.tanh(a), (1,)), (3, 4), (0,)),
    "gather_rows": lambda a: lax.gather(a, _ROWS, (0,)),
    "squeeze_expand": lambda a: lax.squeeze(lax.expand_dims(a, (1,)), (1,)),
    "dyn_slice": lambda a: lax.dynamic_update_slice(
        a, lax.dynamic_slice(a, (np.int32(2), np.int32(1)), (1, 3)), (np.int32(0), np.int32(0))),
}
STRUCT_BINARY = {
    "add": lax.add,
    "mul": lax.mul,
    "gram": lambda a, b: lax.dot(lax.mul(lax.dot(a, lax.transpose(b, (1, 0))), 0.25), a),
    "bmm": lambda a, b: lax.broadcast_in_dim(
        lax.dot_general(a, b, (((1,), (1,)), ((0,), (0,)))), (3, 4), (0,)),
    "scatter_rows": lambda a, b: lax.scatter_add(a, _ROWS[:2], lax.slice(b, (0, 0), (2, 4)),
                                                 (0,)),
    "scatter_set": lambda a, b: lax.scatter(a, _ROWS[1:], lax.tanh(lax.slice(b, (1, 0), (3, 4))),
                                            (0,)),
    "select": lambda a, b: lax.select_n(lax.gt(a, b), lax.sin(a), b),
    "max": lax.max,
}

_struct_instruction = st.one_of(
    st.tuples(st.just("u"), st.sampled_from(sorted(STRUCT_UNARY)), st.integers(0, 50)),
    st.tuples(st.just("b"), st.sampled_from(sorted(STRUCT_BINARY)), st.integers(0, 50),
              st.integers(0, 50)))


def _build_struct(program):
    def f(x, y):
        vals = [x, y]
        for ins in program:
            if ins[0] == "u":
                vals.append(STRUCT_UNARY[ins[1]](vals[ins[2] % len(vals)]))
            else:
                vals.append(STRUCT_BINARY[ins[1]](vals[ins[2] % len(vals)],
                                                  vals[ins[3] % len(vals)]))
        # tanh keeps products of many values well scaled.
        total = vals[0]
        for v in vals[1:]:
            total = lax.add(total, lax.tanh(v))
        return vals[-1], total
    return f


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(_struct_instruction, min_size=1, max_size=6), st.integers(0, 2 ** 16))
def test_random_structural_programs_vjp_adjoint_and_fd(program, seed):
    f = _build_struct(program)
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    check_vjp(f, (x, y), rtol=1e-5, atol=1e-6, rng=rng)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.lists(_struct_instruction, min_size=1, max_size=6), st.integers(0, 2 ** 16),
       st.sampled_from([(0, 0), (1, None), (None, -1), (2, 1), (-1, 0)]))
def test_random_structural_programs_vmap_matches_loop(program, seed, in_axes):
    f = _build_struct(program)
    rng = np.random.default_rng(seed)
    args = tuple(rng.standard_normal((3, 4)) if ax is None else
                 np.moveaxis(rng.standard_normal((2, 3, 4)), 0, ax) for ax in in_axes)
    check_vmap(f, args, in_axes=in_axes, rtol=1e-12, atol=1e-12)
