"""Every elementwise lax primitive: values against numpy (or closed forms),
derivatives against float64 finite differences, vmap against a loop, jit
against eager."""
import math

import numpy as np
import pytest

import jaxlite
from jaxlite import lax
import jaxlite.numpy as jnp

from helpers import (above_minus_half, away_from_zero, check_grads, check_jit, check_vmap, data,
                     normal, positive, same, sample, small, small_ints, unit)

F32, F64, I32, I64, B = np.float32, np.float64, np.int32, np.int64, np.bool_
FLOATS = (F32, F64)
INTS = (I32, I64)

SHAPES = [(), (0,), (3,), (2, 3)]


_vec_erf = np.vectorize(math.erf, otypes=[np.float64])

# name -> (lax fn, numpy reference, sampler, dtypes, derivative order or None)
# Derivative order 3 for the smooth ones, 2 for the rest, None for the
# piecewise-constant ones (their derivative is tested to be zero instead).
UNARY = {
    "neg": (lax.neg, np.negative, normal, FLOATS + INTS, 2),
    "sign": (lax.sign, np.sign, away_from_zero, FLOATS + INTS, None),
    "floor": (lax.floor, np.floor, normal, FLOATS, None),
    "ceil": (lax.ceil, np.ceil, normal, FLOATS, None),
    "round": (lax.round, lambda x: np.sign(x) * np.floor(np.abs(x) + 0.5), normal, FLOATS,
              None),
    "abs": (lax.abs, np.abs, away_from_zero, FLOATS + INTS, 2),
    "exp": (lax.exp, np.exp, normal, FLOATS, 3),
    "exp2": (lax.exp2, lambda x: 2.0 ** x, normal, FLOATS, 3),
    "log": (lax.log, np.log, positive, FLOATS, 3),
    "log1p": (lax.log1p, np.log1p, above_minus_half, FLOATS, 3),
    "expm1": (lax.expm1, np.expm1, normal, FLOATS, 3),
    "sqrt": (lax.sqrt, np.sqrt, positive, FLOATS, 3),
    "rsqrt": (lax.rsqrt, lambda x: 1.0 / np.sqrt(x), positive, FLOATS, 3),
    "sin": (lax.sin, np.sin, normal, FLOATS, 3),
    "cos": (lax.cos, np.cos, normal, FLOATS, 3),
    "tan": (lax.tan, np.tan, small, FLOATS, 3),
    "asin": (lax.asin, np.arcsin, unit, FLOATS, 3),
    "acos": (lax.acos, np.arccos, unit, FLOATS, 3),
    "atan": (lax.atan, np.arctan, normal, FLOATS, 3),
    "sinh": (lax.sinh, np.sinh, normal, FLOATS, 3),
    "cosh": (lax.cosh, np.cosh, normal, FLOATS, 3),
    "tanh": (lax.tanh, np.tanh, normal, FLOATS, 3),
    "logistic": (lax.logistic, lambda x: 1.0 / (1.0 + np.exp(-x)), normal, FLOATS, 3),
    "erf": (lax.erf, _vec_erf, normal, FLOATS, 3),
    "integer_pow3": (lambda x: lax.integer_pow(x, 3), lambda x: x ** 3, normal,
                     FLOATS + INTS, 3),
    "integer_pow-2": (lambda x: lax.integer_pow(x, -2), lambda x: 1.0 / x ** 2,
                      away_from_zero, FLOATS, 3),
    "integer_pow0": (lambda x: lax.integer_pow(x, 0), lambda x: np.ones_like(x), normal,
                     FLOATS, 2),
    "integer_pow1": (lambda x: lax.integer_pow(x, 1), lambda x: x, normal, FLOATS, 2),
    "not": (lax.bitwise_not, np.invert, normal, (B,) + INTS, None),
}


def _tol(dtype):
    return dict(rtol=2e-6, atol=2e-6) if np.dtype(dtype) == F32 else dict(rtol=1e-12, atol=1e-12)


def _assert_matches(got, want, dtype):
    got = np.asarray(got)
    assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    assert got.shape == np.shape(want)
    if got.dtype.kind in "bi":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, np.asarray(want, np.float64), **_tol(dtype))


def _unary_cases():
    for name, (_, _, _, dts, _) in UNARY.items():
        for dt in dts:
            yield pytest.param(name, dt, id=f"{name}-{np.dtype(dt).name}")


@pytest.mark.parametrize("name,dtype", list(_unary_cases()))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary_values(name, dtype, shape):
    fn, ref, sampler, _, _ = UNARY[name]
    x = sample(sampler, np.random.default_rng(0), shape, dtype)
    got = fn(x)
    # The reference runs in float64 for floats; the result must keep x's dtype.
    want = ref(x.astype(F64)) if x.dtype.kind == "f" else ref(x)
    _assert_matches(got, want, dtype)
    assert isinstance(got, jaxlite.Array)


@pytest.mark.parametrize("name", [n for n, v in UNARY.items() if F64 in v[3]])
def test_unary_noncontiguous(name):
    fn, ref, sampler, _, _ = UNARY[name]
    base = sample(sampler, np.random.default_rng(1), (4, 6), F64)
    for x in (base[:, ::2], base.T, base[::-1, 1::3]):
        assert not x.flags.c_contiguous
        _assert_matches(fn(x), ref(np.ascontiguousarray(x)), F64)


@pytest.mark.parametrize("name", [n for n, v in UNARY.items() if v[4] is not None])
def test_unary_grads(name):
    fn, _, sampler, _, order = UNARY[name]
    rng = np.random.default_rng(2)
    check_grads(fn, (sample(sampler, rng, (3,), F64),), order=order)
    check_grads(fn, (sample(sampler, rng, (), F64),), order=order)


@pytest.mark.parametrize("name", [n for n, v in UNARY.items() if v[4] is None and F64 in v[3]])
def test_piecewise_constant_have_zero_derivative(name):
    fn, _, sampler, _, _ = UNARY[name]
    x = sample(sampler, np.random.default_rng(3), (3,), F64)
    _, t = jaxlite.jvp(fn, (x,), (np.ones(3),))
    np.testing.assert_array_equal(t, np.zeros(3))
    g = jaxlite.grad(lambda v: lax.reduce_sum(fn(v), (0,)))(x)
    np.testing.assert_array_equal(g, np.zeros(3))


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_vmap_jit(name):
    fn, _, sampler, dts, _ = UNARY[name]
    dt = dts[0]
    x = sample(sampler, np.random.default_rng(4), (4, 3), dt)
    for axis in (0, 1, -1):
        check_vmap(fn, (x,), in_axes=axis)
    check_vmap(jaxlite.vmap(fn), (x[None].repeat(2, 0),), in_axes=0)
    check_jit(fn, (x,))
    check_jit(fn, (x[0, 0],))


def test_round_methods():
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 2.4, -2.6], F32)
    np.testing.assert_array_equal(lax.round(x), [1, 2, 3, -1, -3, 2, -3])
    np.testing.assert_array_equal(lax.round(x, 1), [0, 2, 2, -0.0, -2, 2, -3])


def test_erf_known_values():
    x = np.array([0.0, 0.5, 1.0, -1.0, 3.0], F64)
    want = [0.0, 0.5204998778130465, 0.8427007929497149, -0.8427007929497149,
            0.9999779095030014]
    np.testing.assert_allclose(lax.erf(x), want, rtol=1e-13)


def test_logistic_extremes_no_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = lax.logistic(np.array([-1000.0, 0.0, 1000.0], F32))
    np.testing.assert_allclose(y, [0.0, 0.5, 1.0])


def test_integer_pow_negative_on_ints_is_type_error():
    with pytest.raises(TypeError, match="negative power"):
        lax.integer_pow(np.arange(3), -1)


def test_unary_rejects_wrong_dtype():
    with pytest.raises(TypeError, match="floating"):
        lax.sin(np.arange(3))
    with pytest.raises(TypeError, match="boolean or integer operands, got float64"):
        lax.bitwise_not(np.ones(3))


# -------------------------------------------------------------------- binary

def _fmod(x, y):
    return np.fmod(x, y)


def _trunc_div(x, y):
    if x.dtype.kind == "f":
        return x / y
    return np.trunc(x / y).astype(x.dtype)


def _y_nonzero(rng, shape):
    return away_from_zero(rng, shape)


# name -> (lax fn, numpy reference, x sampler, y sampler, dtypes, differentiable)
BINARY = {
    "add": (lax.add, np.add, normal, normal, FLOATS + INTS, True),
    "sub": (lax.sub, np.subtract, normal, normal, FLOATS + INTS, True),
    "mul": (lax.mul, np.multiply, normal, normal, FLOATS + INTS + (B,), True),
    "div": (lax.div, _trunc_div, normal, _y_nonzero, FLOATS + INTS, True),
    "rem": (lax.rem, _fmod, normal, _y_nonzero, FLOATS + INTS, True),
    "pow": (lax.pow, np.power, positive, normal, FLOATS, True),
    "max": (lax.max, np.maximum, normal, normal, FLOATS + INTS + (B,), True),
    "min": (lax.min, np.minimum, normal, normal, FLOATS + INTS + (B,), True),
    "atan2": (lax.atan2, np.arctan2, normal, normal, FLOATS, True),
    "and": (lax.bitwise_and, np.bitwise_and, normal, normal, (B,) + INTS, False),
    "or": (lax.bitwise_or, np.bitwise_or, normal, normal, (B,) + INTS, False),
    "eq": (lax.eq, np.equal, small_ints, small_ints, FLOATS + INTS + (B,), False),
    "ne": (lax.ne, np.not_equal, small_ints, small_ints, FLOATS + INTS + (B,), False),
    "lt": (lax.lt, np.less, small_ints, small_ints, FLOATS + INTS + (B,), False),
    "le": (lax.le, np.less_equal, small_ints, small_ints, FLOATS + INTS + (B,), False),
    "gt": (lax.gt, np.greater, small_ints, small_ints, FLOATS + INTS + (B,), False),
    "ge": (lax.ge, np.greater_equal, small_ints, small_ints, FLOATS + INTS + (B,), False),
}
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")


def _sample_y(name, sampler, rng, shape, dtype):
    y = sample(sampler, rng, shape, dtype)
    if name in ("div", "rem") and np.dtype(dtype).kind == "i":
        y = np.where(y == 0, 3, y).astype(dtype)
    return y


def _binary_cases():
    for name, v in BINARY.items():
        for dt in v[4]:
            yield pytest.param(name, dt, id=f"{name}-{np.dtype(dt).name}")


def _out_dtype(name, dtype):
    return B if name in COMPARISONS else dtype


@pytest.mark.parametrize("name,dtype", list(_binary_cases()))
@pytest.mark.parametrize("shapes", [((), ()), ((0,), (0,)), ((3,), (3,)), ((2, 3), (2, 3)),
                                    ((), (2, 3)), ((2, 3), ())], ids=str)
def test_binary_values(name, dtype, shapes):
    fn, ref, xs, ys, _, _ = BINARY[name]
    rng = np.random.default_rng(5)
    x = sample(xs, rng, shapes[0], dtype)
    y = _sample_y(name, ys, rng, shapes[1], dtype)
    got = fn(x, y)
    want = ref(x.astype(F64), y.astype(F64)) if x.dtype.kind == "f" else ref(x, y)
    _assert_matches(got, want, _out_dtype(name, dtype))


@pytest.mark.parametrize("name", [n for n, v in BINARY.items() if F64 in v[4]])
def test_binary_noncontiguous(name):
    fn, ref, xs, ys, _, _ = BINARY[name]
    rng = np.random.default_rng(6)
    x = sample(xs, rng, (4, 6), F64)[:, ::2]
    y = _sample_y(name, ys, rng, (3, 4), F64).T
    _assert_matches(fn(x, y), ref(np.ascontiguousarray(x), np.ascontiguousarray(y)),
                    _out_dtype(name, F64))


def test_integer_div_rem_round_toward_zero():
    x = np.array([7, -7, 7, -7, 5], I32)
    y = np.array([2, 2, -2, -2, 0], I32)
    # XLA's (and JAX's) integer division by zero: x / 0 is -1 (all bits set), x rem 0 is x.
    np.testing.assert_array_equal(lax.div(x, y), [3, -3, -3, 3, -1])
    np.testing.assert_array_equal(lax.rem(x, y), [1, -1, 1, -1, 5])
    # Exact beyond 2**53, where a float quotient would round.
    big = np.array([2 ** 62 + 1, -(2 ** 62) - 3, 9007199254740993], I64)
    d = np.array([3, 7, 1], I64)
    want = [int(a) // int(b) if a >= 0 else -(-int(a) // int(b)) for a, b in zip(big, d)]
    np.testing.assert_array_equal(lax.div(big, d), want)
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(lax.div(np.array([5, -5], I32), np.array([0, 0], I32)),
                                      [-1, -1])
        u = np.array([5, 0], np.uint8)
        np.testing.assert_array_equal(lax.div(u, np.zeros(2, np.uint8)), [255, 255])
        np.testing.assert_array_equal(lax.rem(u, np.zeros(2, np.uint8)), [5, 0])
    for f in (lax.div, lax.rem):        # the compiled rule agrees
        np.testing.assert_array_equal(jaxlite.jit(f)(x, y), f(x, y))
    np.testing.assert_array_equal(jaxlite.jit(lax.div)(u, np.zeros(2, np.uint8)), [255, 255])
    # jnp keeps numpy's x % 0 == 0, and x // 0 follows JAX's formula on lax.div.
    np.testing.assert_array_equal(jnp.remainder(x, y), [1, 1, -1, -1, 0])
    np.testing.assert_array_equal(jnp.fmod(x, y), [1, -1, 1, -1, 0])
    np.testing.assert_array_equal(jnp.floor_divide(np.array([5, -5, 0], I32), 0), [-2, -2, -1])


def test_binary_python_scalars_are_weak():
    x = np.ones(3, F32)
    assert lax.add(x, 2.0).dtype == F32
    assert lax.mul(3.0, x).dtype == F32
    assert lax.add(np.ones(3, I64), 2).dtype == I64
    # Across kinds lax does not promote (JAX raises the same TypeError).
    for a, b in [(1, 2.0), (3, x), (np.ones(3, I32), 2.0)]:
        with pytest.raises(TypeError, match="same dtypes"):
            lax.add(a, b)


def test_binary_shape_and_dtype_errors():
    with pytest.raises(TypeError, match=r"\(2,\).*\(3,\)") as info:
        lax.add(np.ones(2), np.ones(3))
    assert "lax.add(np.ones(2), np.ones(3))" in str(info.value)   # the user's line
    with pytest.raises(TypeError, match="float32.*float64"):
        lax.add(np.ones(2, F32), np.ones(2, F64))
    with pytest.raises(TypeError, match="floating"):
        lax.pow(np.arange(3), np.arange(3))
    with pytest.raises(TypeError, match=r"\(2,\).*\(3,\)"):
        jaxlite.make_jaxpr(lax.mul)(np.ones(2), np.ones(3))


def _grad_args(name, rng, xshape, yshape):
    _, _, xs, ys, _, _ = BINARY[name]
    if name == "rem":   # keep x / y away from integers, where rem jumps
        x = rng.uniform(0.2, 0.8, xshape) * 3.0 + 3.0 * rng.integers(0, 3, xshape)
        y = np.full(yshape, 3.0) + rng.uniform(-0.05, 0.05, yshape)
        return x, y
    return sample(xs, rng, xshape, F64), sample(ys, rng, yshape, F64)


@pytest.mark.parametrize("name", [n for n, v in BINARY.items() if v[5]])
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((), (3,)), ((2, 3), ()), ((), ())], ids=str)
def test_binary_grads(name, shapes):
    fn = BINARY[name][0]
    x, y = _grad_args(name, np.random.default_rng(7), *shapes)
    if name in ("max", "min"):
        y = y + 0.1   # no ties: the derivative is discontinuous there
    check_grads(fn, (x, y), order=2)


@pytest.mark.parametrize("fn,wx,wy", [(lax.max, 0.5, 0.5), (lax.min, 0.5, 0.5)])
def test_max_min_ties_split_the_gradient(fn, wx, wy):
    x = np.array([1.0, 2.0, 3.0])
    gx, gy = jaxlite.grad(lambda a, b: lax.reduce_sum(fn(a, b), (0,)), argnums=(0, 1))(x, x)
    np.testing.assert_array_equal(gx, [wx] * 3)
    np.testing.assert_array_equal(gy, [wy] * 3)
    # Without ties, all of it goes to the winner.
    y = np.array([0.0, 5.0, 3.0])
    gx, gy = jaxlite.grad(lambda a, b: lax.reduce_sum(lax.max(a, b), (0,)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(gy, [0.0, 1.0, 0.5])


@pytest.mark.parametrize("name", [n for n, v in BINARY.items() if I32 in v[4]])
def test_integer_inputs_get_zero_tangents(name):
    fn = BINARY[name][0]
    x = np.array([1, 2, 3], I32)
    y = np.array([3, 1, 2], I32)
    out, t = jaxlite.jvp(fn, (x, y), (x, y))
    np.testing.assert_array_equal(out, fn(x, y))
    np.testing.assert_array_equal(t, np.zeros(3))
    # A float function of an integer input: the integer contributes nothing.
    f = lambda a, n: lax.mul(a, lax.convert_element_type(fn(n, n), F64))
    g = jaxlite.grad(lambda a, n: lax.reduce_sum(f(a, n), (0,)))(np.ones(3), x)
    np.testing.assert_array_equal(g, np.asarray(fn(x, x), F64))


def test_comparisons_and_logic_have_zero_derivative():
    x = np.array([1.0, 2.0, 3.0])
    for name in COMPARISONS:
        fn = BINARY[name][0]
        f = lambda a: lax.mul(a, lax.convert_element_type(fn(a, np.full(3, 2.0)), F64))
        g = jaxlite.grad(lambda a: lax.reduce_sum(f(a), (0,)))(x)
        np.testing.assert_array_equal(g, np.asarray(fn(x, np.full(3, 2.0)), F64))


_AXES = [(0, 0), (0, 1), (1, 0), (-1, 0), (0, None), (None, 1), (-1, -1)]


def _mapped_shape(ax, full=(4, 3)):
    # Axis 0 of the mapped operand has size 4 when mapped at 0, else the
    # mapped axis is the last one of a (3, 4) array.
    if ax is None:
        return (3,)
    return full if ax == 0 else full[::-1]


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("axes", _AXES, ids=str)
def test_binary_vmap(name, axes):
    fn, _, xs, ys, dts, _ = BINARY[name]
    dt = dts[0]
    rng = np.random.default_rng(8)
    x = sample(xs, rng, _mapped_shape(axes[0]), dt)
    y = _sample_y(name, ys, rng, _mapped_shape(axes[1]), dt)
    check_vmap(fn, (x, y), in_axes=axes)


@pytest.mark.parametrize("name", ["add", "mul", "max", "pow", "lt", "atan2"])
def test_binary_vmap_rank0_with_rank_n(name):
    fn, _, xs, ys, dts, _ = BINARY[name]
    rng = np.random.default_rng(9)
    dt = dts[0]
    s = sample(xs, rng, (4,), dt)          # a batch of scalars
    v = sample(ys, rng, (4, 3), dt)
    check_vmap(fn, (s, v), in_axes=(0, 0))
    check_vmap(fn, (v.T, s), in_axes=(1, 0))
    check_vmap(fn, (s, v[0]), in_axes=(0, None))
    check_vmap(fn, (v[:, 0], s[0]), in_axes=(0, None))


@pytest.mark.parametrize("name", ["add", "div", "min", "ge"])
def test_binary_nested_vmap(name):
    fn, ref, xs, ys, dts, _ = BINARY[name]
    rng = np.random.default_rng(10)
    x = sample(xs, rng, (4, 2), dts[0])
    y = sample(ys, rng, (5, 2), dts[0])
    outer = jaxlite.vmap(jaxlite.vmap(fn, in_axes=(None, 0)), in_axes=(0, None))(x, y)
    want = ref(x[:, None, :], y[None, :, :])
    _assert_matches(outer, want, _out_dtype(name, dts[0]))


@pytest.mark.parametrize("name,dtype", list(_binary_cases()))
def test_binary_jit(name, dtype):
    fn, _, xs, ys, _, _ = BINARY[name]
    rng = np.random.default_rng(11)
    x = sample(xs, rng, (2, 3), dtype)
    y = _sample_y(name, ys, rng, (2, 3), dtype)
    check_jit(fn, (x, y))
    check_jit(fn, (x[0, 0], y))


# ---------------------------------------------------------- select_n, convert

def test_select_n_values():
    p = np.array([True, False, True])
    a, b = np.arange(3.0), -np.arange(3.0)
    np.testing.assert_array_equal(lax.select_n(p, a, b), np.where(p, b, a))
    which = np.array([0, 2, 1], I32)
    c = np.full(3, 7.0)
    np.testing.assert_array_equal(lax.select_n(which, a, b, c), [0.0, 7.0, -2.0])
    np.testing.assert_array_equal(lax.select_n(np.True_, a, b), b)
    np.testing.assert_array_equal(lax.select_n(np.int32(2), a, b, c), c)
    assert lax.select_n(p, a.astype(F32), b.astype(F32)).dtype == F32


def test_select_n_errors():
    with pytest.raises(TypeError, match=r"\(2,\).*\(3,\)(.|\n)*test_lax_elementwise.py"):
        lax.select_n(np.array([True, False]), np.ones(3), np.ones(3))
    with pytest.raises(TypeError, match="dtype"):
        lax.select_n(np.True_, np.ones(3, F32), np.ones(3, F64))
    with pytest.raises(TypeError, match="boolean or int32"):
        lax.select_n(np.ones(3), np.ones(3), np.ones(3))


def test_select_is_select_n_with_cases_swapped():
    # JAX's lax.select(pred, on_true, on_false) = np.where(pred, on_true, on_false)
    p = np.array([True, False, True])
    a, b = np.arange(3.0), -np.arange(3.0)
    np.testing.assert_array_equal(lax.select(p, a, b), np.where(p, a, b))
    assert float(lax.select(True, 1.0, 2.0)) == 1.0
    ga = jaxlite.grad(lambda x: lax.reduce_sum(lax.select(p, x, b), (0,)))(a)
    np.testing.assert_array_equal(ga, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(jaxlite.jit(lax.select)(p, a, b), np.where(p, a, b))


def test_select_n_grads_and_vmap():
    p = np.array([True, False, True])
    a, b = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 4.0])
    check_grads(lambda x, y: lax.select_n(p, x, y), (a, b), order=2)
    check_grads(lambda x, y: lax.select_n(np.array([0, 1, 0], I32), x, y), (a, b), order=2)
    ga, gb = jaxlite.grad(lambda x, y: lax.reduce_sum(lax.select_n(p, x, y), (0,)),
                          argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(ga, [0, 1, 0])
    np.testing.assert_array_equal(gb, [1, 0, 1])
    ps = np.array([[True, False, True], [False, False, True]])
    check_vmap(lax.select_n, (ps, np.stack([a, b]), np.stack([b, a])), in_axes=(0, 0, 0))
    check_vmap(lax.select_n, (ps, a, np.stack([b, a]).T), in_axes=(0, None, 1))
    check_vmap(lambda w, x, y: lax.select_n(w, x, y), (ps[:, 0], np.stack([a, b]), b),
               in_axes=(0, 0, None))
    # A batched scalar predicate with unbatched cases, vector or scalar.
    check_vmap(lax.select_n, (ps[:, 0], a, b), in_axes=(0, None, None))
    check_vmap(lax.select_n, (ps[:, 0], np.float64(1.0), np.float64(2.0)),
               in_axes=(0, None, None))
    check_vmap(lax.select_n, (ps[:, 0], np.stack([a, b]), b), in_axes=(0, 0, None))
    check_vmap(lax.select_n, (np.array([0, 2], I32), a, np.stack([a, b], 1), b),
               in_axes=(0, None, 1, None))
    check_jit(lax.select_n, (p, a, b))


@pytest.mark.parametrize("src", [F32, F64, I32, I64, B])
@pytest.mark.parametrize("dst", [F32, F64, I32, I64, B])
def test_convert_element_type_values(src, dst):
    x = np.array([0, 1, 2, 3]).astype(src)
    got = lax.convert_element_type(x, dst)
    assert np.asarray(got).dtype == np.dtype(dst)
    np.testing.assert_array_equal(got, x.astype(dst))
    got = jaxlite.jit(lambda v: lax.convert_element_type(v, dst))(x)
    np.testing.assert_array_equal(got, x.astype(dst))


def test_convert_element_type_grads():
    x = np.array([0.5, -1.5, 2.0])
    # float32 finite differences are too coarse for check_grads: compare exactly.
    out, t = jaxlite.jvp(lambda v: lax.convert_element_type(v, F32), (x,), (x * 3,))
    assert out.dtype == F32 and t.dtype == F32
    np.testing.assert_array_equal(t, (x * 3).astype(F32))
    f = lambda v: lax.mul(v, lax.convert_element_type(lax.convert_element_type(v, F32), F64))
    _, t = jaxlite.jvp(f, (x,), (np.ones(3),))
    np.testing.assert_allclose(t, 2 * x)
    np.testing.assert_allclose(jaxlite.grad(lambda v: lax.reduce_sum(f(v), (0,)))(x), 2 * x)
    g = jaxlite.grad(lambda v: lax.reduce_sum(
        lax.convert_element_type(lax.convert_element_type(v, I32), F64), (0,)))(x)
    np.testing.assert_array_equal(g, np.zeros(3))
    g = jaxlite.grad(lambda v: lax.reduce_sum(lax.convert_element_type(v, F32), (0,)))(x)
    assert g.dtype == F64
    np.testing.assert_array_equal(g, np.ones(3))
    check_vmap(lambda v: lax.convert_element_type(v, I32), (np.arange(6.0).reshape(2, 3),), 1)


def test_convert_element_type_rejects_unsupported():
    with pytest.raises(TypeError, match="complex256"):
        lax.convert_element_type(np.ones(3), np.complex256)


def test_stop_gradient():
    x = np.array([1.0, 2.0])
    f = lambda v: lax.reduce_sum(lax.mul(v, lax.stop_gradient(v)), (0,))
    np.testing.assert_array_equal(jaxlite.grad(f)(x), x)
    np.testing.assert_array_equal(lax.stop_gradient(x), x)
    check_vmap(lax.stop_gradient, (np.ones((2, 3)),), 1)
    tree = lax.stop_gradient({"a": x, "b": (x,)})
    np.testing.assert_array_equal(tree["b"][0], x)


def test_bitwise_primitives_on_ints_and_bools():
    for dt in (B, I32, I64):
        a, b = data((3, 4), dt), data((3, 4), dt)
        for f, ref in [(lax.bitwise_and, np.bitwise_and), (lax.bitwise_or, np.bitwise_or),
                       (lambda x, y: lax.bitwise_not(x), lambda x, y: np.invert(x))]:
            same(f(a, b), ref(a, b))
            same(jaxlite.jit(f)(a, b), ref(a, b))


# ------------------------------------ jax.lax functions built from primitives

def test_lax_extras_values_against_numpy():
    x = np.array([-2.0, 0.5, 3.0], F32)
    np.testing.assert_array_equal(lax.square(x), x * x)
    np.testing.assert_array_equal(lax.square(np.arange(3, dtype=I32)), [0, 1, 4])
    np.testing.assert_allclose(lax.reciprocal(x), 1 / x, rtol=1e-7)
    np.testing.assert_array_equal(lax.is_finite(np.array([1.0, np.inf, -np.inf, np.nan])),
                                  [True, False, False, False])
    np.testing.assert_allclose(lax.cbrt(np.array([-8.0, 2.0])), np.cbrt([-8.0, 2.0]), rtol=1e-12)
    np.testing.assert_allclose(lax.acosh(np.array([1.5])), np.arccosh([1.5]), rtol=1e-12)
    np.testing.assert_allclose(lax.asinh(x), np.arcsinh(x), rtol=1e-6)
    np.testing.assert_allclose(lax.atanh(np.array([0.5])), np.arctanh([0.5]), rtol=1e-12)
    for bad in (lax.is_finite, lax.cbrt, lax.acosh):       # floats only, as JAX
        with pytest.raises(TypeError, match="does not accept dtype int32"):
            bad(np.arange(2, dtype=I32))
    np.testing.assert_array_equal(lax.full_like(x, 7), np.full(3, 7, F32))
    assert lax.full_like(x, 7, np.int32).dtype == I32
    assert lax.full_like(x, 2.5, shape=(2, 2)).shape == (2, 2)
    assert lax.broadcast_shapes((2, 1), (3,)) == (2, 3)
    with pytest.raises(ValueError, match="Incompatible shapes"):
        lax.broadcast_shapes((2,), (3,))
    assert lax.broadcast_to_rank(x, 3).shape == (1, 1, 3)
    assert lax.collapse(np.ones((2, 3, 4)), 0, 2).shape == (6, 4)
    assert lax.collapse(np.ones((2, 3, 4)), 1).shape == (2, 12)


def test_clamp_values_derivatives_and_errors():
    x = np.array([-1.0, 0.5, 2.0, 0.0, 1.0])
    np.testing.assert_array_equal(lax.clamp(0.0, x, 1.0), np.clip(x, 0.0, 1.0))
    np.testing.assert_array_equal(lax.clamp(np.zeros(5), x, np.ones(5)), np.clip(x, 0, 1))
    np.testing.assert_array_equal(jaxlite.jit(lax.clamp)(0.0, x, 1.0), np.clip(x, 0, 1))
    # JAX's clamp_p derivative: to x strictly inside, to min/max where they bind, none at ties
    g = jaxlite.grad(lambda v: lax.reduce_sum(lax.clamp(0.0, v, 1.0), (0,)))(x)
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0, 0.0, 0.0])
    glo, ghi = jaxlite.grad(lambda lo, hi: lax.reduce_sum(lax.clamp(lo, x, hi), (0,)),
                            argnums=(0, 1))(0.0, 1.0)
    assert (float(glo), float(ghi)) == (1.0, 1.0)          # x[0] < 0 and x[2] > 1 only
    np.testing.assert_array_equal(
        jaxlite.vmap(lambda lo, v: lax.clamp(lo, v, 1.0))(np.array([0.0, 0.6]), np.full(2, 0.5)),
        [0.5, 0.6])
    with pytest.raises(TypeError, match="lax.clamp requires arguments to have the same dtypes"):
        lax.clamp(np.int32(0), x, 1.0)
    with pytest.raises(TypeError, match=r"min.shape == operand.shape or min.shape == \(\)"):
        lax.clamp(np.zeros(2), x, 1.0)


def test_cbrt_is_exact_on_cubes_and_within_an_ulp_elsewhere():
    for dt in (np.float32, np.float64):
        cubes = np.array([27.0, -27.0, 8.0, 0.125, 1000.0, 0.0, np.inf, -np.inf], dt)
        for f in (lax.cbrt, jaxlite.jit(lax.cbrt)):
            np.testing.assert_array_equal(f(cubes), np.cbrt(cubes.astype(np.float64)).astype(dt))
        x = np.concatenate([np.random.default_rng(0).uniform(-1e3, 1e3, 10_000),
                            [1e-30, -1e30, 3e-20]]).astype(dt)
        want = np.cbrt(x.astype(np.float64))
        np.testing.assert_allclose(lax.cbrt(x), want, rtol=np.finfo(dt).eps, atol=0)
    np.testing.assert_allclose(jaxlite.grad(lax.cbrt)(8.0), 1 / 12, rtol=1e-6)


def test_nextafter_is_bit_exact_against_numpy():
    for dt, it in ((np.float32, np.int32), (np.float64, np.int64)):
        vals = np.array([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, np.inf, -np.inf, np.nan, 3.5,
                         np.finfo(dt).smallest_subnormal, np.finfo(dt).max, np.finfo(dt).tiny], dt)
        a, b = (v.ravel() for v in np.meshgrid(vals, vals))
        with np.errstate(over="ignore"):
            want = np.nextafter(a, b)
        for f in (lax.nextafter, jaxlite.jit(lax.nextafter)):
            got = np.asarray(f(a, b))
            same_bits = got.view(it) == want.view(it)
            assert np.all(same_bits | (np.isnan(got) & np.isnan(want)))
    with pytest.raises(TypeError, match="same dtypes"):
        lax.nextafter(np.float32(1), np.float64(2))


def test_reduce_precision_rounds_like_float16_and_bfloat16():
    rng = np.random.default_rng(0)
    x = (rng.normal(size=2000) * 10.0 ** rng.integers(-8, 6, 2000)).astype(np.float32)
    x = np.concatenate([x, np.array([0.0, -0.0, np.inf, -np.inf, 65504, 65520, 1 + 2**-11,
                                     1 + 3 * 2**-11, 2**-14, 2**-15], np.float32)])
    for f in (lax.reduce_precision, jaxlite.jit(lax.reduce_precision, static_argnums=(1, 2))):
        # float16: numpy's conversion, except that values below the smallest normal
        # flush to zero (XLA's ReducePrecision keeps no subnormals)
        got = np.asarray(f(x, 5, 10))
        with np.errstate(over="ignore"):
            want = x.astype(np.float16).astype(np.float32)
        want = np.where(np.abs(want) < 2.0**-14, np.copysign(0.0, x), want).astype(np.float32)
        np.testing.assert_array_equal(got, want)
        # bfloat16: the top 16 bits, rounded to nearest even
        b = x.view(np.uint32).astype(np.uint64)
        rounded = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16 << 16).astype(np.uint32).view(np.float32)
        np.testing.assert_array_equal(np.asarray(f(x, 8, 7)), rounded)
    assert np.isnan(lax.reduce_precision(np.float32(np.nan), 5, 10))
