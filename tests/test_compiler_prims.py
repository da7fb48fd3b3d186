"""compiler.compile against eager evaluation, primitive by primitive: every
dtype a primitive takes, scalars, 0-size arrays, broadcasting and
non-contiguous inputs. Plus every registered primitive, from core.all_primitives,
jitted once against eager evaluation (a primitive without a sample fails)."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("JAXLITE_DISABLE_DISK_CACHE", "1")

import jaxlite  # noqa: E402
from jaxlite import core, lax  # noqa: E402
from jaxlite import compiler  # noqa: E402
from jaxlite.compiler import pipeline, registry  # noqa: E402,F401  (pipeline fills the rule tables)

RNG = np.random.default_rng(0)


def rand(shape, dtype, low=-3.0, high=3.0):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return RNG.random(shape) > 0.5
    if dtype.kind == "i":
        return RNG.integers(-9, 10, size=shape).astype(dtype)
    return RNG.uniform(low, high, size=shape).astype(dtype)


def run_compiled(f, *args):
    closed = jaxlite.make_jaxpr(f)(*args)
    exe = compiler.compile(closed, getattr(f, "__name__", "f"))
    return exe(*args), exe


def check(f, *args, rtol=None, atol=None):
    """Compiled f(*args) equals eager f(*args) (dtype, shape and values)."""
    got, exe = run_compiled(f, *args)
    want = f(*args)
    want = list(want) if isinstance(want, (tuple, list)) else [want]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        w = np.asarray(w, g.dtype) if type(w) in (int, float, bool) else np.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        assert g.dtype == w.dtype, (g.dtype, w.dtype)
        if w.dtype.kind in "fc":
            tol = 1e-5 if w.dtype in (np.float32, np.complex64) else 1e-12
            np.testing.assert_allclose(np.asarray(g), w, rtol=rtol or tol, atol=atol or tol * 10,
                                       equal_nan=True)
        else:
            np.testing.assert_array_equal(g, w)
    return exe


def test_registry_complete():
    missing = [n for n, p in core.all_primitives.items() if registry.lowering_for(p) is None
               and p.kind != core.HIGHER_ORDER]
    assert not missing, f"primitives without a compiler lowering: {missing}"


UNARY_F = ["exp", "exp2", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan",
           "asin", "acos", "atan", "sinh", "cosh", "tanh", "logistic", "erf", "floor",
           "ceil"]
DOMAIN = {"log": (0.1, 5), "log1p": (-0.9, 5), "sqrt": (0.1, 5), "rsqrt": (0.1, 5),
          "asin": (-0.99, 0.99), "acos": (-0.99, 0.99), "tan": (-1.4, 1.4)}
SHAPES = [(), (0,), (1,), (7,), (3, 5), (2, 0, 3), (2, 3, 33)]


@pytest.mark.parametrize("name", UNARY_F)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_float(name, dtype):
    fn = getattr(lax, name)
    lo, hi = DOMAIN.get(name, (-3, 3))
    for shape in SHAPES:
        check(fn, rand(shape, dtype, lo, hi), rtol=2e-5 if dtype == np.float32 else 1e-12)


def test_unary_float_specials():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, 80.0, -80.0, 100.0], np.float32)
    for name in ["exp", "tanh", "logistic", "sin", "floor", "abs", "neg", "sign"]:
        check(getattr(lax, name), x)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
def test_unary_numeric(dtype):
    for shape in SHAPES:
        x = rand(shape, dtype)
        for fn in [lax.neg, lax.sign, lax.abs, lambda v: lax.integer_pow(v, 3),
                   lambda v: lax.integer_pow(v, 0), lambda v: lax.integer_pow(v, 2)]:
            check(fn, x)


def test_round_methods():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -3.7], np.float32)
    check(lambda v: lax.round(v, 0), x)
    check(lambda v: lax.round(v, 1), x)


def test_integer_pow_negative():
    check(lambda v: lax.integer_pow(v, -3), rand((9,), np.float64, 0.5, 2))


def test_not():
    check(lax.bitwise_not, rand((6,), np.bool_))
    check(lax.bitwise_not, rand((6,), np.int32))


BINARY = ["add", "sub", "mul", "div", "rem", "max", "min", "eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
def test_binary(name, dtype):
    fn = getattr(lax, name)
    for shape in [(), (0,), (5,), (3, 4)]:
        x, y = rand(shape, dtype), rand(shape, dtype)
        check(fn, x, y)
        check(fn, x, rand((), dtype))       # rank-0 operand broadcasts
        check(fn, rand((), dtype), y)


def test_int_div_rem_edge_cases():
    for dt in (np.int32, np.int64):
        info = np.iinfo(dt)
        x = np.array([7, -7, 7, -7, 0, info.min, info.min, 5], dt)
        y = np.array([2, 2, -2, -2, 3, -1, 1, 0], dt)
        check(lax.div, x, y)
        check(lax.rem, x, y)


def test_float_minmax_nan():
    x = np.array([np.nan, 1.0, 2.0, np.nan, -0.0], np.float32)
    y = np.array([1.0, np.nan, 1.0, np.nan, 0.0], np.float32)
    got, _ = run_compiled(lax.max, x, y)
    np.testing.assert_array_equal(np.isnan(got[0]), np.isnan(np.maximum(x, y)))
    got, _ = run_compiled(lax.min, x, y)
    np.testing.assert_array_equal(np.isnan(got[0]), np.isnan(np.minimum(x, y)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pow_atan2(dtype):
    check(lax.pow, rand((10,), dtype, 0.1, 3), rand((10,), dtype))
    check(lax.atan2, rand((10,), dtype), rand((10,), dtype))


def test_bool_ops():
    x, y = rand((9,), np.bool_), rand((9,), np.bool_)
    for fn in [lax.bitwise_and, lax.bitwise_or, lax.mul, lax.max, lax.min, lax.eq, lax.ne,
               lax.lt, lax.ge]:
        check(fn, x, y)
    check(lax.bitwise_and, rand((9,), np.int32), rand((9,), np.int32))
    check(lax.bitwise_or, rand((9,), np.int64), rand((9,), np.int64))


def test_compare_nan():
    x = np.array([np.nan, 1.0, np.nan], np.float64)
    y = np.array([np.nan, np.nan, 1.0], np.float64)
    for fn in [lax.eq, lax.ne, lax.lt, lax.le, lax.gt, lax.ge]:
        check(fn, x, y)


def test_select_n():
    p = rand((4, 3), np.bool_)
    a, b = rand((4, 3), np.float32), rand((4, 3), np.float32)
    check(lax.select_n, p, a, b)
    check(lambda q, u, v: lax.select_n(q, u, v), np.bool_(True), a, b)
    w = RNG.integers(0, 3, size=(4, 3)).astype(np.int32)
    check(lax.select_n, w, a, b, rand((4, 3), np.float32))
    check(lax.select_n, rand((0,), np.bool_), rand((0,), np.int32), rand((0,), np.int32))


DTYPES = [np.bool_, np.int32, np.int64, np.float32, np.float64]


@pytest.mark.parametrize("src", DTYPES)
@pytest.mark.parametrize("dst", DTYPES)
def test_convert(src, dst):
    x = rand((11,), src) * (5 if np.dtype(src).kind == "f" else 1)
    check(lambda v: lax.convert_element_type(v, dst), x)


def test_convert_float_to_int_truncates():
    x = np.array([2.7, -2.7, 0.5, -0.5, 1e3], np.float32)
    check(lambda v: lax.convert_element_type(v, np.int32), x)


def test_stop_gradient():
    check(lambda v: lax.stop_gradient(v) * 2.0, rand((3,), np.float32))


# ----------------------------------------------------------- structural

def test_broadcast_in_dim():
    check(lambda v: lax.broadcast_in_dim(v, (3, 4), (1,)), rand((4,), np.float32))
    check(lambda v: lax.broadcast_in_dim(v, (3, 4), (0,)), rand((3,), np.int32))
    check(lambda v: lax.broadcast_in_dim(v, (2, 3, 4), (0, 2)), rand((2, 1), np.float64))
    check(lambda v: lax.broadcast_in_dim(v, (5, 0), ()), rand((), np.float32))
    check(lambda v: lax.broadcast_in_dim(v, (2, 3), ()), rand((), np.bool_))


def test_reshape_transpose():
    x = rand((2, 3, 4), np.float32)
    check(lambda v: lax.reshape(v, (6, 4)), x)
    check(lambda v: lax.reshape(v * 2.0, (4, 6)) + 1.0, x)
    check(lambda v: lax.reshape(v, (1, 24, 1)), x)
    check(lambda v: lax.transpose(v, (2, 0, 1)), x)
    check(lambda v: lax.transpose(lax.exp(v), (1, 2, 0)) * 2.0, x)
    check(lambda v: lax.reshape(lax.transpose(v, (1, 0, 2)), (3, 8)), x)
    check(lambda v: lax.reshape(v, (0, 3)), rand((3, 0), np.int32))


def test_squeeze_rev():
    check(lambda v: lax.squeeze(v, (0, 2)), rand((1, 3, 1), np.float32))
    check(lambda v: lax.rev(v, (0, 1)), rand((3, 4), np.int64))
    check(lambda v: lax.rev(v, (1,)) + v, rand((3, 4), np.float32))


def test_slice():
    x = rand((7, 9), np.float32)
    check(lambda v: lax.slice(v, (1, 2), (6, 9)), x)
    check(lambda v: lax.slice(v, (0, 1), (7, 9), (3, 2)), x)
    check(lambda v: lax.slice(v, (2, 2), (2, 5)), x)


def test_pad():
    x = rand((3, 4), np.float32)
    check(lambda v: lax.pad(v, 0.0, ((1, 2, 0), (0, 1, 1))), x)
    check(lambda v: lax.pad(v, -1.0, ((-1, 2, 0), (1, -2, 2))), x)
    check(lambda v, p: lax.pad(v, p, ((2, 2, 0),)), rand((0,), np.int32), np.int32(7))


def test_iota_concatenate():
    check(lambda: lax.iota(np.int32, 5))
    check(lambda: lax.broadcasted_iota(np.float32, (3, 4), 1))
    a, b, c = rand((2, 3), np.float32), rand((2, 0), np.float32), rand((2, 5), np.float32)
    check(lambda x, y, z: lax.concatenate([x, y, z], 1), a, b, c)
    check(lambda x, z: lax.concatenate([lax.exp(x), z * 2.0], 1), a, c)
    check(lambda x: lax.concatenate([x, x], 0), rand((3,), np.bool_))


def test_dynamic_slice_update():
    x = rand((6, 5), np.float32)
    for i, j in [(0, 0), (2, 1), (5, 4), (-3, 9), (100, -100)]:
        check(lambda v, a, b: lax.dynamic_slice(v, (a, b), (3, 2)), x, np.int32(i), np.int32(j))
        check(lambda v, u, a, b: lax.dynamic_update_slice(v, u, (a, b)), x,
              rand((2, 3), np.float32), np.int32(i), np.int32(j))
    check(lambda v, u, a: lax.dynamic_update_slice(v, u, (a, a)), x, rand((0, 2), np.float32),
          np.int64(1))


def test_gather_scatter():
    op = rand((5, 4), np.float32)
    idx = np.array([[0], [4], [2], [7], [-3]], np.int32)
    check(lambda o, i: lax.gather(o, i, (0,)), op, idx)
    idx2 = np.array([[[1, 2], [4, 3]], [[0, 0], [9, 1]]], np.int64)
    check(lambda o, i: lax.gather(o, i, (0, 1)), op, idx2)
    upd = rand((5, 4), np.float32)
    idx3 = np.array([[0], [4], [2], [2], [9]], np.int32)
    check(lambda o, i, u: lax.scatter_add(o, i, u, (0,)), op, idx3, upd)
    check(lambda o, i, u: lax.scatter(o, i, u, (0,)), op, np.array([[0], [4], [2], [1], [9]],
                                                                  np.int32), upd)
    check(lambda o, i, u: lax.scatter_add(o, i, u, (1,)), rand((3, 4), np.int32),
          np.array([[1], [1], [3]], np.int32), rand((3, 3), np.int32))


# ----------------------------------------------------------- reductions

REDUCERS = ["reduce_sum", "reduce_max", "reduce_min", "reduce_prod"]


@pytest.mark.parametrize("name", REDUCERS)
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
def test_reductions(name, dtype):
    fn = getattr(lax, name)
    x = rand((3, 4, 5), dtype, -1.5, 1.5)
    for axes in [(0,), (1,), (2,), (0, 1), (1, 2), (0, 2), (0, 1, 2)]:
        check(lambda v: fn(v, axes), x, rtol=1e-5)
    check(lambda v: fn(v, (0,)), rand((0, 3), dtype))
    check(lambda v: fn(v, (1,)), rand((0, 3), dtype))
    check(lambda v: fn(v * v, (0,)), rand((1000,), dtype, -1, 1), rtol=1e-4)


def test_reduce_bool():
    x = rand((4, 6), np.bool_)
    check(lambda v: lax.reduce_max(v, (1,)), x)
    check(lambda v: lax.reduce_min(v, (0,)), x)


def test_reduce_max_nan():
    x = np.array([[1.0, np.nan, 3.0], [1.0, 2.0, 0.0]], np.float32)
    check(lambda v: lax.reduce_max(v, (1,)), x)
    check(lambda v: lax.reduce_min(v, (0,)), x)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.float64, np.bool_])
def test_argminmax(name, dtype):
    fn = getattr(lax, name)
    x = rand((4, 5, 3), dtype)
    x = np.concatenate([x, x], axis=1)       # ties: the first index wins
    for axis in range(3):
        for idt in (np.int32, np.int64):
            check(lambda v: fn(v, axis, idt), x)


def test_argmax_nan():
    x = np.array([[1.0, np.nan, 3.0, np.nan], [5.0, 2.0, 5.0, 0.0]], np.float32)
    check(lambda v: lax.argmax(v, 1, np.int32), x)
    check(lambda v: lax.argmin(v, 1, np.int32), x)


@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.float64])
def test_cumsum(dtype):
    x = rand((3, 4, 5), dtype)
    for axis in range(3):
        for rev in (False, True):
            check(lambda v: lax.cumsum(v, axis, rev), x)
    check(lambda v: lax.cumsum(v, 0), rand((0,), dtype))


# ---------------------------------------------------------------- dot

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_dot_general(dtype):
    a, b = rand((3, 4), dtype), rand((4, 5), dtype)
    tol = dict(rtol=1e-4) if np.dtype(dtype) == np.float32 else {}
    check(lax.dot, a, b, **tol)
    check(lambda x, y: lax.dot_general(x, y, (((0,), (0,)), ((), ()))), rand((4, 3), dtype), b,
          **tol)
    check(lambda x, y: lax.dot_general(x, y, (((1,), (1,)), ((), ()))), a, rand((5, 4), dtype),
          **tol)
    check(lambda x, y: lax.dot_general(x, y, (((2,), (1,)), ((0,), (0,)))),
          rand((2, 3, 4), dtype), rand((2, 4, 5), dtype), **tol)
    check(lambda x, y: lax.dot_general(x, y, (((0, 2), (2, 1)), ((1,), (0,)))),
          rand((4, 2, 3), dtype), rand((2, 3, 4, 5), dtype), **tol)
    check(lax.dot, rand((4,), dtype), rand((4,), dtype), **tol)
    check(lax.dot, rand((0, 4), dtype), rand((4, 5), dtype))
    check(lax.dot, rand((3, 0), dtype), rand((0, 5), dtype))
    check(lambda x, y: lax.dot_general(x, y, (((), ()), ((), ()))), rand((3,), dtype),
          rand((2,), dtype))


def test_dot_preferred_and_bool():
    a, b = rand((3, 4), np.int32), rand((4, 2), np.int32)
    check(lambda x, y: lax.dot_general(x, y, (((1,), (0,)), ((), ())),
                                       preferred_element_type=np.float32), a, b)
    check(lax.dot, rand((3, 4), np.bool_), rand((4, 2), np.bool_))


# ------------------------------------------------------- program shapes

def test_literal_and_input_outputs():
    x = rand((3,), np.float32)
    check(lambda v: (v, v, 2.0, v + 1.0), x)
    check(lambda v, w: (w, v), x, rand((2,), np.int32))


def test_consts_closed_over():
    c = rand((3,), np.float32)
    check(lambda v: v * c + c.sum(), rand((3,), np.float32))


def test_non_contiguous_inputs():
    x = rand((6, 8), np.float32)
    closed = jaxlite.make_jaxpr(lambda v: lax.exp(v) + 1.0)(x[:, ::2])
    exe = compiler.compile(closed, "nc")
    y = rand((8, 6), np.float32)
    for view in [x[:, ::2], y.T[:, 1:5], np.asfortranarray(x)[:, 2:6], x[::-1, 7:3:-1]]:
        np.testing.assert_allclose(exe(view)[0], np.exp(view) + 1.0, rtol=1e-6)


def test_python_scalars_accepted():
    closed = jaxlite.make_jaxpr(lambda v, s: v * s)(np.ones(3, np.float32), 2.0)
    exe = compiler.compile(closed, "scal")
    np.testing.assert_allclose(exe(np.ones(3, np.float32), 3.0)[0], [3.0, 3.0, 3.0])
    np.testing.assert_allclose(exe(np.ones(3, np.float32), 3)[0], [3.0, 3.0, 3.0])
    np.testing.assert_allclose(exe(np.ones(3, np.float32), np.float32(4))[0], [4.0] * 3)


def test_inlines_calls():
    inner = jaxlite.jit(lambda v: lax.sin(v) * 2.0)

    @jaxlite.custom_jvp
    def g(v):
        return lax.exp(v)
    g.defjvp(lambda p, t: (g(p[0]), t[0] * g(p[0])))
    f = lambda v: inner(v) + g(v)  # noqa: E731
    exe = check(f, rand((4,), np.float32))
    assert "jit" not in exe.jaxpr_text() and "custom_jvp" not in exe.jaxpr_text()


def test_long_float32_sum_is_accurate():
    x = RNG.uniform(0, 1, size=3_000_001).astype(np.float32)
    got, _ = run_compiled(lambda v: lax.reduce_sum(v, (0,)), x)
    exact = np.sum(x.astype(np.float64))
    assert abs(float(got[0]) - exact) / exact < 2e-6
    y = RNG.uniform(0, 1, size=(3, 5000)).astype(np.float32)
    got, _ = run_compiled(lambda v: lax.reduce_sum(lax.exp(v), (1,)), y)
    np.testing.assert_allclose(got[0], np.exp(y.astype(np.float64)).sum(1), rtol=2e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_dot_general_outer_products(dtype):
    check(lambda x, y: lax.dot_general(x, y, (((), ()), ((1,), (0,)))), rand((3, 2), dtype),
          rand((2, 4), dtype))
    check(lambda x, y: lax.dot_general(x, y, (((), ()), ((0, 2), (2, 0)))),
          rand((2, 3, 5), dtype), rand((5, 4, 2), dtype))
    check(lambda x, y: lax.dot_general(x, y, (((), ()), ((), ()))), rand((0, 2), dtype),
          rand((3,), dtype))


# ------------------------------------------- every primitive, from the registry

def _custom_jvp_sin():
    f = jaxlite.custom_jvp(lambda x: lax.sin(x))
    f.defjvp(lambda primals, tangents: (lax.sin(primals[0]), lax.cos(primals[0]) * tangents[0]))
    return f


def _custom_vjp_sq():
    f = jaxlite.custom_vjp(lambda x: x * x)
    f.defvjp(lambda x: (x * x, x), lambda x, g: (2.0 * x * g,))
    return f


_F = rand((3, 4), np.float32, 0.2, 0.9)      # inside every float primitive's domain
_I = rand((3, 4), np.int32)
_B = rand((3, 4), np.bool_)

# One jitted use of each primitive: f, arguments. The primitive must appear in
# f's jaxpr; the compiled result must equal eager evaluation.
SAMPLES = {name: (getattr(lax, name), _F) for name in [
    "neg", "sign", "floor", "ceil", "round", "abs", "exp", "exp2", "log", "log1p", "expm1",
    "sqrt", "rsqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
    "logistic", "erf", "stop_gradient"]}
SAMPLES.update({name: (getattr(lax, name), _F, _F[::-1]) for name in [
    "add", "sub", "mul", "div", "rem", "pow", "max", "min", "atan2", "eq", "ne", "lt", "le",
    "gt", "ge"]})
SAMPLES.update({
    "not": (lax.bitwise_not, _I),
    "xor": (lax.bitwise_xor, _I, _I[::-1]),
    "shift_left": (lax.shift_left, _I, rand((3, 4), np.int32) * 4),   # some out of range
    "shift_right_logical": (lax.shift_right_logical, _I, rand((3, 4), np.int32) * 4),
    "shift_right_arithmetic": (lax.shift_right_arithmetic, _I, rand((3, 4), np.int32) * 4),
    "population_count": (lax.population_count, _I),
    "clz": (lax.clz, _I),
    "bitcast_convert_type": (lambda x: lax.bitcast_convert_type(x, np.int32), _F),
    "and": (lax.bitwise_and, _B, _B[::-1]),
    "or": (lax.bitwise_or, _I, _I[::-1]),
    "integer_pow": (lambda x: lax.integer_pow(x, 3), _F),
    "select_n": (lambda p, x: lax.select_n(p, x, -x), _B, _F),
    "convert_element_type": (lambda x: lax.convert_element_type(x, np.int32), _F * 10),
    "broadcast_in_dim": (lambda x: lax.broadcast_in_dim(x, (2, 3, 4), (1, 2)), _F),
    "reshape": (lambda x: lax.reshape(x, (4, 3)), _F),
    "transpose": (lambda x: lax.transpose(x, (1, 0)), _F),
    "squeeze": (lambda x: lax.squeeze(x, (0,)), _F[:1]),
    "rev": (lambda x: lax.rev(x, (1,)), _F),
    "slice": (lambda x: lax.slice(x, (1, 0), (3, 4), (1, 2)), _F),
    "pad": (lambda x: lax.pad(x, np.float32(0), ((1, 0, 1), (0, 2, 0))), _F),
    "iota": (lambda x: lax.iota(np.int32, 5) + x, np.int32(2)),
    "concatenate": (lambda x, y: lax.concatenate([x, y], 1), _F, _F),
    "dynamic_slice": (lambda x, i: lax.dynamic_slice(x, (i, 1), (2, 2)), _F, np.int32(1)),
    "dynamic_update_slice": (lambda x, u: lax.dynamic_update_slice(x, u, (1, 1)), _F,
                             _F[:2, :2] * 2),
    "gather": (lambda x, i: lax.gather(x, i, (0,)), _F, np.array([[2], [0]], np.int32)),
    "scatter_add": (lambda x, i, u: lax.scatter_add(x, i, u, (0,)), _F,
                    np.array([[2], [2]], np.int32), _F[:2]),
    "scatter": (lambda x, i, u: lax.scatter(x, i, u, (0,)), _F, np.array([[2], [0]], np.int32),
                _F[:2]),
    "reduce_sum": (lambda x: lax.reduce_sum(x, (1,)), _F),
    "reduce_max": (lambda x: lax.reduce_max(x, (0,)), _F),
    "reduce_min": (lambda x: lax.reduce_min(x, (0, 1)), _F),
    "reduce_prod": (lambda x: lax.reduce_prod(x, (1,)), _F),
    "argmax": (lambda x: lax.argmax(x, 1, np.int32), _F),
    "argmin": (lambda x: lax.argmin(x, 0, np.int32), _F),
    "cumsum": (lambda x: lax.cumsum(x, 1), _F),
    "sort": (lambda x: lax.sort(x, 1), _F),
    "argsort": (lambda x: lax.argsort(x, 0), _F),
    "dot_general": (lambda x, y: lax.dot_general(x, y, (((1,), (0,)), ((), ()))), _F, _F.T),
    "jit": (jaxlite.jit(lambda x: x * 2.0 + 1.0), _F),
    "custom_jvp_call": (_custom_jvp_sin(), _F),
    "custom_vjp_call": (_custom_vjp_sq(), _F),
    "custom_linear_solve": (lambda x: lax.custom_linear_solve(
        lambda v: lax.mul(lax.add(lax.mul(x, x), 2.0), v), x,
        lambda mv, y: lax.div(y, lax.add(lax.mul(x, x), 2.0)), symmetric=True), _F),
    "custom_root": (lambda x: lax.custom_root(
        lambda r: lax.sub(lax.mul(r, 2.0), x), x, lambda f, r0: lax.mul(x, 0.5),
        lambda g, y: lax.div(y, g(lax.full_like(y, 1.0)))), _F),
    "checkpoint": (lambda x: jaxlite.checkpoint(lambda y: lax.sin(y) * 2.0)(x), _F),
    # cond/while/scan with traced predicates, trip counts and carries.
    "cond": (lambda p, x: lax.cond(p, lax.sin, lax.cos, x), np.bool_(True), _F),
    "while": (lambda x: lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * 2.0),
                                       (0, x))[1], _F),
    "scan": (lambda x: lax.scan(lambda c, r: (c + r, c * r), x[0], x)[1], _F),
})
SAMPLES.update({name: (getattr(lax, name), _F) for name in [
    "lgamma", "digamma", "erfc", "erf_inv", "ndtri", "bessel_i0e", "bessel_i1e"]})
SAMPLES.update({name: (getattr(lax, name), _F * 4.0, _F[::-1] * 3.0) for name in [
    "igamma", "igammac", "igamma_grad_a"]})
SAMPLES.update({"zeta": (lax.zeta, _F * 4.0 + 1.0, _F[::-1] * 3.0),
                "betainc": (lax.betainc, _F * 4.0, _F[::-1] * 3.0, _F)})
# Decompositions (compiler/lapack.py): float32 here, float64 in tests/test_linalg_jit.py.
from jaxlite.lax import linalg as lax_linalg  # noqa: E402
_SPD = (_F @ _F.T + 3 * np.eye(3)).astype(np.float32)
SAMPLES.update({
    "cholesky": (lax_linalg.cholesky, _SPD),
    "triangular_solve": (lambda a, b: lax_linalg.triangular_solve(a, b, left_side=True,
                                                                  lower=True), _SPD, _F),
    "lu": (lax_linalg.lu, _F.T),
    "qr": (lambda x: lax_linalg.qr(x, full_matrices=False), _F.T),
    "eigh": (lax_linalg.eigh, _SPD),
    "svd": (lax_linalg.svd, _F),
    "eig": (lambda x: lax_linalg.eig(x, compute_left_eigenvectors=False), rand((2, 4, 4), np.float64)),
})
# FFTs (compiler/fft.py); tests/test_fft.py covers lengths, types and accuracy.
SAMPLES.update({
    "fft": (lambda x: lax.add(lax.fft(lax.fft(x, "rfft", (4,)), "irfft", (4,)),
                              lax.imag(lax.fft(lax.complex(x, x[::-1]), "ifft", (3, 4)))), _F),
    "fft_planar": (lambda x, y: lax.fft_planar([x, y], lax.FftType.FFT, (3, 4)), _F, _F[::-1]),
})
# Host callbacks (compiler/callback.py); tests/test_debug.py checks the calls.
SAMPLES["debug_callback"] = (lambda x: (jaxlite.debug.callback(lambda v: None, x),
                                        lax.sin(x))[1], _F)
# Python callbacks with results; tests/test_callbacks.py checks their semantics.
_SIN = lambda v: np.sin(np.asarray(v))    # noqa: E731
SAMPLES.update({
    "pure_callback": (lambda x: jaxlite.pure_callback(
        _SIN, jaxlite.ShapeDtypeStruct(x.shape, x.dtype), x), _F),
    "io_callback": (lambda x: jaxlite.experimental.io_callback(
        _SIN, jaxlite.ShapeDtypeStruct(x.shape, x.dtype), x), _F),
})
# Convolution (compiler/conv.py): one small (direct loop) and one im2col + GEMM case
# here; tests/test_conv_jit.py covers the options.
_IMG = np.linspace(-1, 1, 2 * 9 * 9 * 8, dtype=np.float32).reshape(2, 9, 9, 8)
_KER = np.cos(np.arange(3 * 3 * 8 * 16, dtype=np.float32)).reshape(3, 3, 8, 16)
SAMPLES.update({
    "conv_general_dilated": (lambda x, w: lax.conv_general_dilated(
        x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")), _IMG, _KER),
})
_WIN = dict(window_dimensions=(2, 2), window_strides=(1, 2), padding=((1, 0), (0, 1)),
            base_dilation=(1, 1), window_dilation=(1, 1))
SAMPLES.update({
    "reduce_window_sum": (lambda x: lax.reduce_window_sum(x, (2, 2), (1, 2), ((1, 0), (0, 1))),
                          _F),
    "reduce_window_max": (lambda x: lax.reduce_window_max(x, (2, 2), (2, 1), "SAME"), _F),
    "reduce_window_min": (lambda x: lax.reduce_window_min(x, (3, 1), (1, 1), ((0, 0), (0, 0)),
                                                          base_dilation=(2, 1)), _F),
    "select_and_gather_add": (lambda t, x: lax.select_and_gather_add_p.bind(
        t, x, select_prim="ge", **_WIN), _F, _F[::-1]),
    "select_and_scatter_add": (lambda s, x: lax.select_and_scatter_add_p.bind(
        s, x, select_prim="ge", **_WIN), _F[:, :2], _F),
})
# Collectives over processes (compiler/collectives.py): in one process, copies;
# tests/test_mpi.py runs them compiled over 2 and 4 processes.
_spmd = lambda f: jaxlite.distributed.spmd(f, "p")  # noqa: E731
SAMPLES.update({
    "psum": (_spmd(lambda x: lax.psum((x, 2 * x), "p")), _F),
    "pmax": (_spmd(lambda x: lax.pmax(x, "p")), _F),
    "pmin": (_spmd(lambda x: lax.pmin(x, "p")), _F),
    "all_gather": (_spmd(lambda x: lax.all_gather(x, "p", axis=1)), _F),
    "psum_scatter": (_spmd(lambda x: lax.psum_scatter(x[None], "p")), _F),
    "all_to_all": (_spmd(lambda x: lax.all_to_all(x[None], "p", 0, 0)), _F),
    "ppermute": (_spmd(lambda x: lax.ppermute(x, "p", [(0, 0)])), _F),
    "axis_index": (_spmd(lambda x: x * (lax.axis_index("p") + 1)), _F),
})
# Complex parts (compiler/complex_expand.py rewrites them into real operations on
# planes); tests/test_complex_jit.py covers every complex rule.
_Z = (_F + 1j * _F[::-1]).astype(np.complex64)
SAMPLES.update({
    "real": (lambda z: lax.real(z * z), _Z),
    "imag": (lambda z: lax.imag(z * z), _Z.T),
    "conj": (lambda z, x: (lax.conj(z), lax.conj(x)), _Z.astype(np.complex128), _F),
    "complex": (lambda x, y: lax.complex(x, y) * lax.complex(y, x), _F, _F[::-1]),
})
# Primitives the compiler must refuse, with the error JAX gives.
REFUSED = {
    # custom_vjp's tangent map: only bound by forward mode through a custom_vjp function.
    "custom_lin": (TypeError, "forward-mode autodiff",
                   lambda x: jaxlite.jvp(_custom_vjp_sq(), (x,), (x,))[1], _F),
}


def _prim_names(jaxpr):
    """Every primitive in ``jaxpr`` and the jaxprs its equations hold."""
    names = set()
    for e in jaxpr.eqns:
        names.add(e.prim.name)
        for v in e.params.values():
            for inner in v if isinstance(v, (tuple, list)) else [v]:
                inner = getattr(inner, "jaxpr", inner)
                if hasattr(inner, "eqns"):
                    names |= _prim_names(inner)
    return names


@pytest.mark.parametrize("name", sorted(core.all_primitives))
def test_every_primitive_compiles(name):
    """Built from core.all_primitives: a primitive without a sample fails here."""
    if name in REFUSED:
        error, match, f, *args = REFUSED[name]
        assert name in _prim_names(jaxlite.make_jaxpr(f)(*args).jaxpr)
        with pytest.raises(error, match=match):
            jaxlite.jit(f)(*args)
        return
    assert name in SAMPLES, f"primitive {name} has no entry in SAMPLES"
    f, *args = SAMPLES[name]
    assert name in _prim_names(jaxlite.make_jaxpr(f)(*args).jaxpr), \
        f"SAMPLES[{name!r}] does not use {name}"
    check(f, *args)
