"""jnp elementwise functions vs numpy: shapes (0-size, scalars, broadcasting,
non-contiguous), dtypes, JAX type promotion, derivatives."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import jaxlite
import jaxlite.numpy as jnp

from helpers import (DATA_RNG, DTYPES, FLOATS, check_grads, check_jit, check_vmap, data,
                     inexact, layouts, normal_array, same, tols)

F32, F64, I32, I64, B = np.float32, np.float64, np.int32, np.int64, np.bool_


def _noncontig(x):
    """A transposed view with the same values order as x.T, and a strided one."""
    return x.T


SHAPES = [(), (0,), (3,), (2, 3), (2, 0, 4)]
SHAPES_ADDED = [(5,), (2, 3)]

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
            x = (data(shape, dtype, **kw) + dtype(shift)).astype(dtype)
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
        x = data(shape, dtype)
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
    big = DATA_RNG.normal(size=(6, 8)).astype(F32)[::2, 1::3]
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
        x = data(sx, dt)
        y = data(sy, dt, positive=name in ("power", "floor_divide", "remainder", "mod", "fmod"))
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


def test_isclose_with_infinities_matches_numpy():
    # An infinity makes the tolerance infinite: only equal infinities are close.
    a = np.array([np.inf, -np.inf, 1.0, np.inf, 1.0, np.nan, 0.0], F32)
    b = np.array([np.inf, np.inf, np.inf, 1.0, 1.0 + 1e-6, np.nan, 0.0], F32)
    for equal_nan in (False, True):
        want = np.isclose(a, b, equal_nan=equal_nan)
        np.testing.assert_array_equal(jnp.isclose(a, b, equal_nan=equal_nan), want)
        np.testing.assert_array_equal(
            jaxlite.jit(lambda u, v: jnp.isclose(u, v, equal_nan=equal_nan))(a, b), want)
    assert not bool(jnp.allclose(np.array([-np.inf], F32), np.array([np.inf], F32)))


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
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2,\)"):     # as JAX
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
    x = DATA_RNG.normal(size=(4, 3))
    y = DATA_RNG.normal(size=(3,))
    check_vmap(lambda a, b: jnp.logaddexp(a, b) * jnp.where(a > 0, 2.0, b), (x, y), (0, None))
    check_vmap(lambda a, b: jnp.maximum(a[:, None], b), (x, x.T), (0, 1))
    check_jit(lambda a, b: jnp.remainder(a, b) + jnp.floor_divide(a, b), (x, np.abs(y) + 0.5))


# ------------------------------------------------------- unary: every dtype


# name -> (dtype rule, needs positive input); "float": computes in float
# (int64 -> float64, int32/bool -> float32); "same": keeps the dtype, bool/int
# pass through floor/ceil/round unchanged, as in JAX.
UNARY_DTYPE_RULES = {
    "exp": "float", "exp2": "float", "log": "float+", "log1p": "float+", "expm1": "float",
    "sqrt": "float+", "sin": "float", "cos": "float", "tan": "float", "arcsin": "unit",
    "arccos": "unit", "arctan": "float", "sinh": "float", "cosh": "float", "tanh": "float",
    "reciprocal": "float+", "floor": "same", "ceil": "same", "round": "same",
    "abs": "same", "negative": "same", "sign": "same", "square": "same", "logical_not": "bool",
}


def _unary_case(name, dt, shape):
    rule = UNARY_DTYPE_RULES[name]
    x = data(shape, dt, positive=rule == "float+")
    if rule == "unit" and dt in (F32, F64):
        x = (x / 4).astype(dt)
    if rule == "unit" and dt in (I32, I64):
        x = np.clip(x, -1, 1).astype(dt)
    return x


@pytest.mark.parametrize("name", list(UNARY_DTYPE_RULES))
@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_unary_every_dtype_shape_and_layout(name, dt):
    rule = UNARY_DTYPE_RULES[name]
    if name in ("negative", "sign") and dt == B:
        return          # numpy and JAX both refuse: see test_unary_bool_refusals
    for shape in [(), (0,), (3,), (2, 3), (4, 0, 2), (3, 1, 4)]:
        x = _unary_case(name, dt, shape)
        if rule in ("float", "float+", "unit"):
            ct = inexact(dt)
            ref = getattr(np, name)(x.astype(ct))
        elif rule == "bool":
            ct, ref = B, np.logical_not(x)
        elif name == "square" and dt == B:
            ct, ref = I32, np.square(x.astype(I32))    # JAX counts True as 1
        elif name in ("floor", "ceil", "round") and dt in (B, I32, I64):
            ct, ref = dt, x                              # the identity, as JAX
        else:
            ct, ref = dt, getattr(np, name)(x)
        for arg in layouts(x):
            same(getattr(jnp, name)(arg), ref, ct)
        same(jaxlite.jit(getattr(jnp, name))(layouts(x)[-1]), ref, ct)


def test_unary_bool_refusals():
    b = np.array([True, False])
    with pytest.raises(TypeError, match="bool"):
        jnp.negative(b)
    with pytest.raises(TypeError):
        np.negative(b)
    with pytest.raises(TypeError, match="bool"):
        jnp.sign(b)
    with pytest.raises(TypeError):
        np.sign(b)


# ------------------------------------------------------ binary: every dtype pair

def _promote(a, b):
    """JAX's lattice restricted to our five dtypes is a chain:
    bool < int32 < int64 < float32 < float64 (so int64 with float32 is float32)."""
    return max(a, b, key=DTYPES.index)


# name -> how the result dtype follows from the promoted one
BINARY_DTYPE_RULES = {
    "add": "same", "subtract": "same", "multiply": "same", "maximum": "same",
    "minimum": "same", "divide": "float", "arctan2": "float", "logaddexp": "float",
    "power": "numeric", "remainder": "numeric", "equal": "bool", "not_equal": "bool",
    "less": "bool", "less_equal": "bool", "greater": "bool", "greater_equal": "bool",
    "logical_and": "bool", "logical_or": "bool",
}
DTYPE_BCAST = [((), ()), ((0,), ()), ((2, 3), (3,)), ((3, 1), (1, 4)), ((2, 0), (2, 1)),
         ((4, 1, 3), (2, 1))]


def _binary_operands(name, da, db, sa, sb):
    positive_b = name in ("remainder", "power", "divide")
    a = data(sa, da, positive=name == "power")
    b = data(sb, db, positive=positive_b)
    if name == "power" and DTYPES.index(_promote(da, db)) <= 2:
        b = np.minimum(b, 3).astype(db) if db != B else b     # int powers stay small
    return a, b


@pytest.mark.parametrize("name", list(BINARY_DTYPE_RULES))
def test_binary_every_dtype_pair_and_broadcast(name):
    rule = BINARY_DTYPE_RULES[name]
    for da, db in itertools.product(DTYPES, DTYPES):
        pt = _promote(da, db)
        ct = {"same": pt, "float": inexact(pt), "bool": pt,
              "numeric": I32 if pt == B else pt}[rule]
        for sa, sb in DTYPE_BCAST:
            a, b = _binary_operands(name, da, db, sa, sb)
            np_fn = getattr(np, name)
            if name == "subtract" and pt == B:
                with pytest.raises(TypeError):
                    np_fn(a, b)
                with pytest.raises(TypeError, match="bool"):
                    jnp.subtract(a, b)
                continue
            with np.errstate(all="ignore"):
                ref = np_fn(a.astype(ct), b.astype(ct))
            out_dt = B if rule == "bool" else ct
            for x, y in [(a, b), (layouts(a)[-1], layouts(b)[-1])]:
                same(getattr(jnp, name)(x, y), ref, out_dt)


def test_where_and_clip_every_dtype():
    for da, db in itertools.product(DTYPES, DTYPES):
        c = data((2, 3), B)
        a, b = data((2, 3), da), data((3,), db)
        pt = _promote(da, db)
        for cc, aa in [(c, a), (c.T.copy().T, np.asfortranarray(a))]:
            same(jnp.where(cc, aa, b), np.where(cc, aa, b).astype(pt), pt)
    for dt in (I32, I64, F32, F64):
        x = data((3, 4), dt)
        for arg in layouts(x):
            same(jnp.clip(arg, -1, 2), np.clip(x, -1, 2), dt)
            same(jnp.clip(arg, max=0), np.minimum(x, 0), dt)
    same(jnp.where(np.zeros((0, 2), bool), 1.0, 2.0), np.zeros((0, 2)), F32)


# ----------------------------------------------------------- bool arithmetic

def test_bool_operands_of_numeric_ops_count_as_int32():
    b = np.array([True, False, True, True])
    c = np.array([True, True, False, True])
    bi, ci = b.astype(I32), c.astype(I32)
    same(jnp.square(b), bi * bi, I32)
    same(jnp.power(b, c), bi ** ci, I32)
    same(jnp.power(b, 3), bi ** 3, I32)
    with np.errstate(divide="ignore"):
        for name in ("remainder", "floor_divide", "fmod", "mod"):
            got = getattr(jnp, name)(b, c)
            safe = ci != 0      # x // 0 and x % 0 on ints: numpy and XLA differ
            assert got.dtype == I32
            np.testing.assert_array_equal(np.asarray(got)[safe], getattr(np, name)(bi, ci)[safe])
    same(jnp.remainder(b, 2.5), np.remainder(bi, 2.5).astype(F32), F32)
    assert jaxlite.jit(jnp.square)(b).dtype == I32


# ------------------------------------------------- broadcasting as a property

_dims = st.lists(st.sampled_from([0, 1, 2, 3]), max_size=4).map(tuple)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(_dims, _dims, _dims)
def test_broadcasting_is_numpys_exactly(sa, sb, sc):
    """numpy's rules decide: a shape numpy gives is ours, a pair numpy refuses
    is a TypeError naming both shapes (eager, traced), a ValueError in where
    (the classes JAX raises)."""
    a, b, c = np.ones(sa, F32), np.full(sb, 2.0, F32), np.ones(sc, bool)
    try:
        ref = np.broadcast_shapes(sa, sb)
    except ValueError:
        ref = None
    for f in (jnp.add, jaxlite.jit(lambda x, y: x * y), lambda x, y: jnp.asarray(x) - y):
        if ref is None:
            with pytest.raises(TypeError) as info:
                f(a, b)
            assert str(sa) in str(info.value) and str(sb) in str(info.value)
        else:
            assert f(a, b).shape == ref
    try:
        np.broadcast_shapes(sc, sa, sb)
    except ValueError:
        with pytest.raises(ValueError):
            jnp.where(c, a, b)
        return
    same(jnp.where(c, a, b), np.where(c, a, b))


# ------------------------------------------------------- numerical edge cases

@pytest.mark.parametrize("dt", [F32, F64])
def test_float_floor_divide_is_numpys_not_floor_of_the_quotient(dt):
    """1 // 0.1 is 9 (0.1 is slightly above a tenth): rounding x / y first gives 10."""
    a = np.array([1.0, 7.0, -7.0, 0.3, 5.0, -5.0, 0.0, 1e30], dt)
    b = np.array([0.1, 0.7, 0.7, 0.1, np.inf, np.inf, 3.0, 1e-5], dt)
    same(jnp.floor_divide(a, b), np.floor_divide(a, b))
    same(jnp.asarray(a) // b, a // b)
    x = (DATA_RNG.normal(size=4000) * 100).astype(dt)
    y = DATA_RNG.normal(size=4000).astype(dt)
    same(jnp.floor_divide(x, y), np.floor_divide(x, y))
    same(jaxlite.jit(jnp.floor_divide)(x, y), np.floor_divide(x, y))
    q, r = jnp.divmod(x, y)
    np.testing.assert_allclose(np.asarray(q) * y + np.asarray(r), x, rtol=1e-5, atol=1e-3)
    # inf // y has no integer answer: nan, as numpy (and JAX)
    assert np.isnan(jnp.floor_divide(np.array([np.inf, -np.inf], dt), dt(2.0))).all()


# ------------------------------------------------------- elementwise vs numpy

def _unit(x):
    return np.tanh(x) * 0.9          # inside (-1, 1)


def _above_one(x):
    return 1.0 + np.abs(x) + 0.1


UNARY_ADDED = [
    ("acos", jnp.acos, np.arccos, _unit),
    ("asin", jnp.asin, np.arcsin, _unit),
    ("atan", jnp.atan, np.arctan, None),
    ("acosh", jnp.acosh, np.arccosh, _above_one),
    ("asinh", jnp.asinh, np.arcsinh, None),
    ("atanh", jnp.atanh, np.arctanh, _unit),
    ("sinc", jnp.sinc, np.sinc, None),
    ("real", jnp.real, np.real, None),
    ("imag", jnp.imag, np.imag, None),
    ("conj", jnp.conj, np.conj, None),
    ("conjugate", jnp.conjugate, np.conjugate, None),
]


@pytest.mark.parametrize("name,f,ref,domain", UNARY_ADDED, ids=[u[0] for u in UNARY_ADDED])
@pytest.mark.parametrize("shape", SHAPES_ADDED)
@pytest.mark.parametrize("dtype", FLOATS)
def test_unary_vs_numpy(name, f, ref, domain, shape, dtype):
    x = normal_array(shape)
    x = (domain(x) if domain else x).astype(dtype)
    out = f(x)
    assert out.dtype == dtype and out.shape == shape
    np.testing.assert_allclose(out, ref(x), **tols(dtype))


def _positive(x):
    return np.abs(x) + 0.5


BINARY_ADDED = [
    ("atan2", jnp.atan2, np.arctan2, None),
    ("pow", jnp.pow, np.power, _positive),
    ("fmax", jnp.fmax, np.fmax, None),
    ("fmin", jnp.fmin, np.fmin, None),
    ("copysign", jnp.copysign, np.copysign, None),
    ("heaviside", jnp.heaviside, np.heaviside, None),
]


@pytest.mark.parametrize("name,f,ref,domain", BINARY_ADDED, ids=[b[0] for b in BINARY_ADDED])
@pytest.mark.parametrize("shape", SHAPES_ADDED)
@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_vs_numpy(name, f, ref, domain, shape, dtype):
    x1 = normal_array(shape)
    x1 = (domain(x1) if domain else x1).astype(dtype)
    x2 = normal_array(shape[-1:], dtype)        # broadcasts against x1
    if name == "heaviside":
        x1[..., 0] = 0.0                   # where x2 is used
    out = f(x1, x2)
    assert out.dtype == dtype and out.shape == shape
    np.testing.assert_allclose(out, ref(x1, x2), **tols(dtype))


def test_fmax_fmin_ignore_nan():
    a = np.array([np.nan, 1.0, np.nan, 2.0, -0.5])
    b = np.array([3.0, np.nan, np.nan, 2.0, 4.0])
    np.testing.assert_array_equal(jnp.fmax(a, b), np.fmax(a, b))
    np.testing.assert_array_equal(jnp.fmin(a, b), np.fmin(a, b))
    # whereas maximum propagates NaN
    assert np.isnan(jnp.maximum(a, b)[0])


def test_fmax_dtypes_follow_promotion():
    i = np.array([1, 5, -3], np.int32)
    assert jnp.fmax(i, 2).dtype == np.int32
    np.testing.assert_array_equal(jnp.fmax(i, 2), [2, 5, 2])
    assert jnp.fmin(i, 2.5).dtype == np.float32


def test_copysign_uses_the_sign_bit_and_computes_in_float():
    out = jnp.copysign(np.array([1.0, 2.0, 3.0, 4.0]), np.array([-0.0, 0.0, -np.inf, np.inf]))
    np.testing.assert_array_equal(out, [-1.0, 2.0, -3.0, 4.0])
    i = jnp.copysign(np.array([3, -4], np.int32), np.array([-1, 1], np.int32))
    assert i.dtype == np.float32
    np.testing.assert_array_equal(i, [-3.0, 4.0])


def test_heaviside_int_inputs_promote_to_float():
    out = jnp.heaviside(np.array([-2, 0, 3], np.int32), 0.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.heaviside([-2.0, 0.0, 3.0], 0.5))


def test_heaviside_of_nan_is_x2_as_in_jax():
    # JAX's definition is where(x1 < 0, 0, where(x1 > 0, 1, x2)): NaN is neither
    # side, so it gets x2 (numpy returns NaN here).
    np.testing.assert_array_equal(jnp.heaviside(np.array([np.nan, -1.0]), 0.25), [0.25, 0.0])


def test_sinc_limit_and_integer_zeros():
    x = np.array([0.0, 1.0, -2.0, 3.0, 0.5])
    np.testing.assert_allclose(jnp.sinc(x), [1.0, 0.0, 0.0, 0.0, 2 / np.pi], atol=1e-15)
    assert jnp.sinc(np.array([0, 1], np.int32)).dtype == np.float32


def test_sinc_derivatives_at_zero_match_taylor_series():
    # sinc(x) = 1 - (pi x)^2 / 6 + (pi x)^4 / 120 - ...
    d1 = jaxlite.grad(jnp.sinc)
    d2 = jaxlite.grad(d1)
    d3 = jaxlite.grad(d2)
    d4 = jaxlite.grad(d3)
    zero = np.float64(0.0)
    assert float(d1(zero)) == 0.0
    np.testing.assert_allclose(float(d2(zero)), -np.pi ** 2 / 3, rtol=1e-12)
    assert float(d3(zero)) == 0.0
    np.testing.assert_allclose(float(d4(zero)), np.pi ** 4 / 5, rtol=1e-12)


def test_real_imag_conj_of_real_inputs():
    x = np.array([[1, -2], [3, 4]], np.int32)
    np.testing.assert_array_equal(jnp.real(x), x)
    np.testing.assert_array_equal(jnp.conj(x), x)
    im = jnp.imag(x)
    assert im.dtype == np.int32 and im.shape == (2, 2)
    np.testing.assert_array_equal(im, np.zeros((2, 2)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_isposinf_isneginf(dtype):
    x = np.array([np.inf, -np.inf, np.nan, 0.0, 1e30], dtype)
    np.testing.assert_array_equal(jnp.isposinf(x), np.isposinf(x))
    np.testing.assert_array_equal(jnp.isneginf(x), np.isneginf(x))
    i = np.array([1, -1], np.int32)
    np.testing.assert_array_equal(jnp.isposinf(i), [False, False])
    np.testing.assert_array_equal(jnp.isneginf(i), [False, False])


def test_nan_to_num_vs_numpy():
    x = np.array([np.nan, np.inf, -np.inf, 1.5])
    np.testing.assert_array_equal(jnp.nan_to_num(x), np.nan_to_num(x))
    np.testing.assert_array_equal(jnp.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0),
                                  np.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0))


# --------------------------------------------------------------------- select

def test_select_first_true_condition_wins():
    x = np.arange(-4.0, 5.0)
    conds = [x < -1, x > 2, x < 0]          # the first and third overlap
    choices = [-x, x ** 2, 100 + x]
    np.testing.assert_array_equal(jnp.select(conds, choices, 42.0),
                                  np.select(conds, choices, 42.0))
    np.testing.assert_array_equal(jnp.select(conds, choices), np.select(conds, choices))


def test_select_broadcasts_and_promotes():
    c = np.array([[True], [False]])
    out = jnp.select([c], [np.arange(3, dtype=np.int32)], default=0.5)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    np.testing.assert_array_equal(out, np.select([c], [np.arange(3)], 0.5))


def test_select_errors():
    with pytest.raises(ValueError, match="same length"):
        jnp.select([np.array([True])], [np.array([1.0]), np.array([2.0])])
    with pytest.raises(ValueError, match="empty"):
        jnp.select([], [])
    with pytest.raises(TypeError, match="entry 0"):
        jnp.select([np.array([1, 0])], [np.array([1.0, 2.0])])


# ------------------------------------------- rounding, angles, base-2 and powers

def test_around_round_and_fix_vs_numpy():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.567, -3.14159])
    for decimals in (0, 1, 2, -1):
        np.testing.assert_allclose(jnp.around(x, decimals), np.around(x, decimals), rtol=1e-6)
        np.testing.assert_allclose(jnp.round_(x, decimals), np.round(x, decimals), rtol=1e-6)
    np.testing.assert_array_equal(jnp.fix(x), np.fix(x))
    same(jnp.fix(np.arange(-2, 3, dtype=I32)), np.arange(-2, 3, dtype=I32))
    same(jaxlite.jit(jnp.fix)(x.astype(F32)), np.fix(x).astype(F32))


def test_degrees_radians_vs_numpy():
    x = np.array([-np.pi, -1.0, 0.0, 0.5, 2 * np.pi])
    same(jnp.degrees(x), np.degrees(x))
    same(jnp.radians(np.degrees(x)), x)
    same(jnp.radians(np.array([90, 180], I32)), np.radians([90, 180]).astype(F32))
    check_grads(jnp.degrees, (x,), order=1)


def test_logaddexp2_and_float_power_vs_numpy():
    a = np.array([-3.0, 0.0, 1.0, 40.0, -40.0])
    b = np.array([2.0, 0.0, -1.0, 41.0, 3.0])
    same(jnp.logaddexp2(a, b), np.logaddexp2(a, b))
    check_grads(jnp.logaddexp2, (a, b), order=2)
    base = np.array([0.5, 2.0, 3.0], F32)
    # float_power computes in the widest float: float32 with x64 off, as JAX (numpy: float64)
    got = jnp.float_power(base, 3)
    assert got.dtype == F32
    np.testing.assert_allclose(got, np.float_power(base, 3), rtol=1e-7)
    got = jnp.float_power(np.array([2, 3], I32), np.array([-1, 2], I32))
    assert got.dtype == F32
    np.testing.assert_allclose(got, [0.5, 9.0], rtol=1e-7)
    assert jnp.float_power(base.astype(F64), 3).dtype == F64     # explicit float64 stays
    check_grads(jnp.float_power, (base.astype(F64), np.array([1.5, -0.5, 2.0])), order=1)


def test_bitwise_not_vs_numpy():
    for dt in (B, I32, I64):
        x = data((3, 4), dt)
        same(jnp.bitwise_not(x), np.bitwise_not(x))
        same(jaxlite.jit(jnp.bitwise_not)(x), np.bitwise_not(x))
