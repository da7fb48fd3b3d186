"""jnp elementwise functions vs numpy: shapes (0-size, scalars, broadcasting,
non-contiguous), dtypes, JAX type promotion, derivatives."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from helpers import check_grads, check_vmap, check_jit

RNG = np.random.default_rng(0)
F32, F64, I32, I64, B = np.float32, np.float64, np.int32, np.int64, np.bool_


def _data(shape, dtype, positive=False, unit=False):
    if dtype == B:
        return RNG.random(shape) > 0.5
    if np.dtype(dtype).kind == "i":
        lo = 1 if positive else -5
        return RNG.integers(lo, 6, size=shape).astype(dtype)
    x = RNG.uniform(-0.9, 0.9, size=shape) if unit else RNG.normal(size=shape)
    if positive:
        x = np.abs(x) + 0.5
    return x.astype(dtype)


def _noncontig(x):
    """A transposed view with the same values order as x.T, and a strided one."""
    return x.T


SHAPES = [(), (0,), (3,), (2, 3), (2, 0, 4)]

UNARY_FLOAT = [
    ("exp", {}), ("exp2", {}), ("log", dict(positive=True)), ("log1p", dict(positive=True)),
    ("expm1", {}), ("sqrt", dict(positive=True)), ("sin", {}), ("cos", {}), ("tan", {}),
    ("arcsin", dict(unit=True)), ("arccos", dict(unit=True)), ("arctan", {}), ("sinh", {}),
    ("cosh", {}), ("tanh", {}), ("log2", dict(positive=True)), ("log10", dict(positive=True)),
    ("arcsinh", {}), ("arccosh", dict(positive=True, shift=1.0)), ("arctanh", dict(unit=True)),
    ("cbrt", {}), ("deg2rad", {}), ("rad2deg", {}), ("reciprocal", dict(positive=True)),
]


@pytest.mark.parametrize("name,kw", UNARY_FLOAT)
def test_unary_float_vs_numpy(name, kw):
    kw = dict(kw)
    shift = kw.pop("shift", 0.0)
    for shape in SHAPES:
        for dtype in (F32, F64):
            x = (_data(shape, dtype, **kw) + dtype(shift)).astype(dtype)
            for arg in (x, x.T, x[..., ::-1] if x.ndim else x):
                out = getattr(jnp, name)(arg)
                ref = getattr(np, name)(arg)
                assert out.dtype == dtype and out.shape == ref.shape
                tol = 2e-6 if dtype == F32 else 1e-13
                np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", ["exp", "sin", "sqrt", "tanh", "log1p"])
@pytest.mark.parametrize("dtype,out_dtype", [(I32, F32), (B, F32), (I64, F64)])
def test_unary_float_promotes_ints(name, dtype, out_dtype):
    x = np.array([0, 1, 3], dtype)
    out = getattr(jnp, name)(x)
    assert out.dtype == out_dtype
    np.testing.assert_allclose(out, getattr(np, name)(x.astype(np.float64)), rtol=1e-6)


UNARY_NUMERIC = ["negative", "positive", "abs", "absolute", "sign", "floor", "ceil", "trunc",
                 "rint", "round", "square", "fabs"]


@pytest.mark.parametrize("name", UNARY_NUMERIC)
@pytest.mark.parametrize("dtype", [F32, F64, I32, I64])
def test_unary_numeric_vs_numpy(name, dtype):
    for shape in [(), (0,), (2, 3)]:
        x = _data(shape, dtype)
        if dtype in (F32, F64):
            x = (x * 3).astype(dtype)
            if shape == (2, 3):
                x[0, :] = np.array([0.5, -2.5, 1.5], dtype)   # halves round to even, as numpy
        out = getattr(jnp, name)(x)
        ref = getattr(np, name)(x)
        if dtype in (I32, I64) and name in ("fabs", "rint"):
            ref = ref.astype(F32 if dtype == I32 else F64)   # JAX: float of the int's width
        if dtype in (I32, I64) and name in ("floor", "ceil", "trunc"):
            ref = ref.astype(dtype)                          # JAX: identity on integers
        assert out.dtype == ref.dtype, (shape, out.dtype, ref.dtype)
        np.testing.assert_allclose(out, ref, rtol=1e-6)


def test_round_decimals_and_noncontiguous():
    x = np.array([[1.234, -5.678], [0.125, 9.999]], np.float64).T
    np.testing.assert_allclose(jnp.round(x, 2), np.round(x, 2))
    np.testing.assert_allclose(jnp.exp(x[:, ::-1]), np.exp(x[:, ::-1]))
    big = RNG.normal(size=(6, 8)).astype(F32)[::2, 1::3]
    assert not big.flags.c_contiguous
    np.testing.assert_allclose(jnp.sin(big), np.sin(big), rtol=1e-6)
    np.testing.assert_allclose(jnp.add(big, big.T.T), big + big, rtol=1e-6)


BINARY = ["add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum",
          "floor_divide", "remainder", "mod", "fmod", "power", "arctan2", "hypot", "logaddexp",
          "equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]
BCAST = [((), ()), ((3,), ()), ((), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((4, 1, 2), (3, 1)),
         ((0,), (1,)), ((2, 0), (2, 1))]


@pytest.mark.parametrize("name", BINARY)
def test_binary_float_broadcasting(name):
    for (sx, sy), dt in zip(BCAST, [F32, F64] * len(BCAST)):
        x = _data(sx, dt)
        y = _data(sy, dt, positive=name in ("power", "floor_divide", "remainder", "mod", "fmod"))
        if name == "power":
            x = np.abs(x).astype(dt)
        for a, b in ((x, y), (y, x), (x.T, y)):
            try:
                ref = getattr(np, name)(a, b)
            except ValueError:
                continue
            out = getattr(jnp, name)(a, b)
            assert out.shape == ref.shape and out.dtype == ref.dtype
            np.testing.assert_allclose(out, ref, rtol=3e-6, atol=1e-6)


INT_BINARY = ["add", "subtract", "multiply", "maximum", "minimum", "floor_divide", "remainder",
              "fmod", "equal", "less", "greater_equal", "bitwise_and", "bitwise_or",
              "bitwise_xor"]


@pytest.mark.parametrize("name", INT_BINARY)
@pytest.mark.parametrize("dtype", [I32, I64])
def test_binary_int_vs_numpy(name, dtype):
    x = np.array([[-7, -3, 0, 3, 7, 5]], dtype)
    y = np.array([[2], [-3]], dtype)
    out = getattr(jnp, name)(x, y)
    ref = getattr(np, name)(x, y)
    assert out.dtype == ref.dtype
    np.testing.assert_array_equal(out, ref)


def test_int_power_and_true_divide():
    x = np.array([-3, -1, 0, 2, 5], I32)
    np.testing.assert_array_equal(jnp.power(x, np.array([3, 2, 0, 5, 1], I32)),
                                  x ** np.array([3, 2, 0, 5, 1]))
    np.testing.assert_array_equal(jnp.power(x, 2), x ** 2)
    assert jnp.power(x, 2).dtype == I32
    out = jnp.divide(np.array([1, 2], I32), np.array([2, 4], I32))
    assert out.dtype == F32
    np.testing.assert_allclose(out, [0.5, 0.5])
    assert jnp.divide(np.array([1], I64), 2).dtype == F64


def test_logical_and_bool_arithmetic():
    a = np.array([True, False, True, False])
    b = np.array([True, True, False, False])
    for name in ["logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
                 "bitwise_xor", "equal"]:
        np.testing.assert_array_equal(getattr(jnp, name)(a, b), getattr(np, name)(a, b))
    np.testing.assert_array_equal(jnp.logical_not(a), ~a)
    np.testing.assert_array_equal(jnp.logical_and(np.array([0, 2]), 1.5), [False, True])
    np.testing.assert_array_equal(jnp.add(a, b), a | b)
    np.testing.assert_array_equal(jnp.multiply(a, b), a & b)
    np.testing.assert_array_equal(jnp.invert(np.array([0, 5], I32)), ~np.array([0, 5], I32))


def test_special_values():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0], F32)
    np.testing.assert_array_equal(jnp.isnan(x), np.isnan(x))
    np.testing.assert_array_equal(jnp.isinf(x), np.isinf(x))
    np.testing.assert_array_equal(jnp.isfinite(x), np.isfinite(x))
    np.testing.assert_array_equal(jnp.signbit(x[1:]), np.signbit(x[1:]))
    np.testing.assert_array_equal(jnp.isfinite(np.array([1, 2], I32)), [True, True])
    np.testing.assert_allclose(jnp.nan_to_num(x), np.nan_to_num(x))
    np.testing.assert_allclose(jnp.logaddexp(-np.inf, -np.inf), -np.inf)
    np.testing.assert_allclose(jnp.logaddexp(np.float32(1e4), np.float32(1e4)),
                               np.float32(1e4 + np.log(2)))
    np.testing.assert_array_equal(jnp.isclose(x, x), np.isclose(x, x))
    assert bool(jnp.allclose(np.ones(3), np.ones(3) + 1e-9))


def test_where_and_clip():
    c = np.array([[True], [False]])
    x = np.arange(6.0).reshape(2, 3).astype(F32)
    np.testing.assert_array_equal(jnp.where(c, x, -1), np.where(c, x, -1))
    assert jnp.where(c, x, -1).dtype == F32
    np.testing.assert_array_equal(jnp.where(np.array([1, 0, 2]), 1, 2), [1, 2, 1])
    assert jnp.where(True, 1, 2.0).dtype == F32
    np.testing.assert_array_equal(jnp.clip(x, 1, 4), np.clip(x, 1, 4))
    np.testing.assert_array_equal(jnp.clip(x, max=2), np.minimum(x, 2))
    np.testing.assert_array_equal(jnp.clip(x, a_min=np.array([0, 2, 3], F32)),
                                  np.maximum(x, [0, 2, 3]))
    idx = jnp.where(np.array([0, 3, 0, 1]))
    np.testing.assert_array_equal(idx[0], [1, 3])


# ------------------------------------------------------------- promotion

# (left, right, expected dtype): "w*" are weak Python scalars.
PROMOTION = [
    (I32, 1, I32), (I32, 1.5, F32), (I32, True, I32), (B, 1, I32), (B, 1.0, F32),
    (F32, 1, F32), (F32, 2.5, F32), (F64, 2.5, F64), (I64, 1, I64), (I64, 1.5, F32),
    (I32, I64, I64), (I32, F32, F32), (I64, F32, F32), (F32, F64, F64), (B, I32, I32),
    (B, F32, F32), (I32, F64, F64), (B, B, B),
]


def _operand(t):
    return np.ones((2,), t) if isinstance(t, type) else t


@pytest.mark.parametrize("lhs,rhs,expected", PROMOTION)
def test_promotion_table(lhs, rhs, expected):
    x, y = _operand(lhs), _operand(rhs)
    name = "logical_or" if expected == B else "add"
    if expected != B:
        assert jnp.add(x, y).dtype == expected
        assert jnp.add(y, x).dtype == expected
        assert jnp.multiply(x, y).dtype == expected
        assert jnp.maximum(x, y).dtype == expected
    assert getattr(jnp, name)(x, y).shape == (2,)
    assert jnp.result_type(x, y) == expected if expected != B else True


def test_weak_scalars_under_jit_and_operators():
    f = jaxlite.jit(lambda x, s: x * s + 1)
    assert f(np.ones(2, F32), 2.0).dtype == F32
    assert f(np.ones(2, F64), 2.0).dtype == F64
    assert f(np.ones(2, I32), 2).dtype == I32
    x = jnp.arange(3)
    assert x.dtype == I32
    assert (x + 1.5).dtype == F32
    assert (x / 2).dtype == F32
    assert (2 * x).dtype == I32
    assert (np.ones(3, F64) + jnp.ones(3)).dtype == F64
    assert (jnp.ones(3) + np.ones(3, F64)).dtype == F64


def test_true_divide_all_weak():
    assert jnp.divide(1, 2).dtype == F32
    np.testing.assert_allclose(jnp.divide(1, 2), 0.5)


# ---------------------------------------------------------- bad inputs

def test_incompatible_shapes_raise_type_error():
    with pytest.raises(TypeError, match=r"\(3,\).*\(4,\)"):
        jnp.add(np.ones(3), np.ones(4))
    with pytest.raises(TypeError, match=r"\(2, 3\).*\(2,\)"):
        jnp.where(True, np.ones((2, 3)), np.ones(2))
    with pytest.raises(TypeError, match="only defined for integer and boolean"):
        jnp.bitwise_and(np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="cannot convert"):
        jnp.add(np.ones(2), "a")
    with pytest.raises(OverflowError, match="int32"):
        jnp.add(np.ones(2, I32), 2 ** 40)


# ----------------------------------------------------------- transforms

GRAD_FUNCS = [
    lambda x, y: jnp.add(x, y[0]), lambda x, y: jnp.multiply(x, y), jnp.divide,
    lambda x, y: jnp.power(jnp.abs(x) + 1, y), lambda x, y: jnp.arctan2(x, y),
    jnp.logaddexp, jnp.hypot, lambda x, y: jnp.where(x > 0, x, y), jnp.maximum,
    lambda x, y: jnp.sinh(x) + jnp.arcsinh(y), lambda x, y: jnp.clip(x, -0.5, 0.5) * y,
    lambda x, y: jnp.cbrt(jnp.abs(x) + 1) * jnp.log10(jnp.abs(y) + 1),
]


@pytest.mark.parametrize("f", GRAD_FUNCS)
def test_grads(f):
    x = np.array([[0.3, -1.2, 0.8]])
    y = np.array([[1.1], [-0.6]])
    check_grads(lambda a, b: f(a, b), (x, y))


def test_vmap_and_jit_of_broadcasting():
    x = RNG.normal(size=(4, 3))
    y = RNG.normal(size=(3,))
    check_vmap(lambda a, b: jnp.logaddexp(a, b) * jnp.where(a > 0, 2.0, b), (x, y), (0, None))
    check_vmap(lambda a, b: jnp.maximum(a[:, None], b), (x, x.T), (0, 1))
    check_jit(lambda a, b: jnp.remainder(a, b) + jnp.floor_divide(a, b), (x, np.abs(y) + 0.5))
