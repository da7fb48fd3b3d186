"""The dtypes, JAX's promotion lattice (with weak Python scalars) checked
against tables captured from JAX 0.10.2 in both x64 modes, rejection of
everything else, and the jnp dtype functions (astype, isdtype, issubdtype,
iinfo)."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import core, dtypes, lax
from jaxlite.experimental import enable_x64, disable_x64

B, I32, I64, F32, F64 = (np.dtype(t) for t in ("bool", "int32", "int64", "float32", "float64"))
NAMES = ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
         "float16", "float32", "float64"]
SHORT = {"b": "bool", **{dtypes.short_name(n): n for n in NAMES[1:]}}

# jnp.promote_types(row, column) in JAX 0.10.2 (captured with
# /work/jaxvenv/bin/python, jax.config.update("jax_enable_x64", mode)).
PROMOTE = {False: """
b u8 u16 u32 u64 i8 i16 i32 i64 f16 f32 f64
u8 u8 u16 u32 u64 i16 i16 i32 i64 f16 f32 f64
u16 u16 u16 u32 u64 i32 i32 i32 i64 f16 f32 f64
u32 u32 u32 u32 u64 i32 i32 i32 i64 f16 f32 f64
u64 u64 u64 u64 u64 f64 f64 f64 f64 f16 f32 f64
i8 i16 i32 i32 f64 i8 i16 i32 i64 f16 f32 f64
i16 i16 i32 i32 f64 i16 i16 i32 i64 f16 f32 f64
i32 i32 i32 i32 f64 i32 i32 i32 i64 f16 f32 f64
i64 i64 i64 i64 f64 i64 i64 i64 i64 f16 f32 f64
f16 f16 f16 f16 f16 f16 f16 f16 f16 f16 f32 f64
f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 f64
f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64
""", True: """
b u8 u16 u32 u64 i8 i16 i32 i64 f16 f32 f64
u8 u8 u16 u32 u64 i16 i16 i32 i64 f16 f32 f64
u16 u16 u16 u32 u64 i32 i32 i32 i64 f16 f32 f64
u32 u32 u32 u32 u64 i64 i64 i64 i64 f16 f32 f64
u64 u64 u64 u64 u64 f64 f64 f64 f64 f16 f32 f64
i8 i16 i32 i64 f64 i8 i16 i32 i64 f16 f32 f64
i16 i16 i32 i64 f64 i16 i16 i32 i64 f16 f32 f64
i32 i32 i32 i64 f64 i32 i32 i32 i64 f16 f32 f64
i64 i64 i64 i64 f64 i64 i64 i64 i64 f16 f32 f64
f16 f16 f16 f16 f16 f16 f16 f16 f16 f16 f32 f64
f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 f64
f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64
"""}

# (jnp.zeros(1, row) + 1).dtype and (... + 1.0).dtype in JAX, "*" = weak_type.
# With x64 off JAX narrows 64-bit arrays to 32 bits first; jaxlite keeps them
# (its one deliberate difference), so those three rows hold jaxlite's answer:
# the lattice applied to the unnarrowed dtype.
WEAK = {False: """
i32* f32*
u8 f32*
u16 f32*
u32 f32*
u64 f32*
i8 f32*
i16 f32*
i32 f32*
i64 f32*
f16 f16
f32 f32
f64 f64
""", True: """
i64* f64*
u8 f64*
u16 f64*
u32 f64*
u64 f64*
i8 f64*
i16 f64*
i32 f64*
i64 f64*
f16 f16
f32 f32
f64 f64
"""}


def _rows(text):
    return [[SHORT[c.rstrip("*")] for c in line.split()] for line in text.strip().splitlines()]


def _mode(x64):
    return enable_x64() if x64 else disable_x64()


@pytest.mark.parametrize("x64", [False, True], ids=["x32", "x64"])
def test_promote_types_matches_jax_for_every_pair(x64):
    table = _rows(PROMOTE[x64])
    with _mode(x64):
        wrong = [(a, b, jnp.promote_types(a, b).name, want)
                 for a, row in zip(NAMES, table) for b, want in zip(NAMES, row)
                 if jnp.promote_types(a, b).name != want]
    assert not wrong


@pytest.mark.parametrize("x64", [False, True], ids=["x32", "x64"])
def test_weak_python_scalars_match_jax(x64):
    lines = WEAK[x64].strip().splitlines()
    with _mode(x64):
        for a, line in zip(NAMES, lines):
            for scalar, cell in zip((1, 1.0), line.split()):
                want = (SHORT[cell.rstrip("*")], cell.endswith("*"))
                # Concrete arrays carry no weak flag in jaxlite: the dtype eagerly,
                # dtype and weak flag staged.
                assert (jnp.zeros(1, a) + scalar).dtype.name == want[0], (a, scalar)
                aval = jaxlite.make_jaxpr(lambda x: x + scalar)(jnp.zeros(1, a)).out_avals[0]
                assert (aval.dtype.name, aval.weak_type) == want, (a, scalar)


def test_promotion_is_associative_and_symmetric():
    typed = [(np.dtype(n), False) for n in NAMES] + [(I32, True), (F32, True)]
    for a in typed:
        for b in typed:
            ab = dtypes.result_type(a, b)
            assert ab == dtypes.result_type(b, a)
            for c in typed:
                bc = dtypes.result_type(b, c)
                assert dtypes.result_type(ab, c) == dtypes.result_type(a, bc), (a, b, c)


def test_python_types_in_promote_types():
    assert jnp.promote_types("uint8", int) == np.uint8
    assert jnp.promote_types("float16", float) == np.float16
    assert jnp.promote_types(np.int32, float) == F64     # JAX: the weak type's full width
    assert jnp.promote_types(int, float) == F64
    assert jnp.promote_types(np.uint64, np.int64) == F64


def test_avals_of_python_and_numpy_values():
    assert core.get_aval(1.0) == core.ShapedArray((), F32, weak_type=True)
    assert core.get_aval(1) == core.ShapedArray((), I32, weak_type=True)
    assert core.get_aval(True) == core.ShapedArray((), B)
    assert core.get_aval(np.float64(1.0)) == core.ShapedArray((), F64)
    assert core.get_aval(np.ones((2, 3), np.float32)) == core.ShapedArray((2, 3), F32)
    with enable_x64():
        assert core.get_aval(1.0) == core.ShapedArray((), F64, weak_type=True)
        assert core.get_aval(1) == core.ShapedArray((), I64, weak_type=True)


@pytest.mark.parametrize("name", NAMES)
def test_every_numpy_dtype_is_kept(name):
    dt = np.dtype(name)
    assert dtypes.canonicalize(dt) == dt
    assert core.get_aval(np.ones(2, dt)).dtype == dt
    assert core.get_aval(dt.type(1)) == core.ShapedArray((), dt)
    assert jnp.asarray(dt.type(1)).dtype == dt        # numpy scalars of every dtype
    assert jnp.array([dt.type(1), dt.type(0)]).dtype == dt


def test_non_native_byte_order_is_converted():
    for name in NAMES[1:]:
        swapped = np.arange(3).astype(np.dtype(name).newbyteorder(">"))
        assert dtypes.canonicalize(swapped.dtype) == np.dtype(name)
        x = jnp.asarray(swapped)
        assert x.dtype == np.dtype(name) and x.dtype.isnative
        np.testing.assert_array_equal(x, np.arange(3))
        np.testing.assert_array_equal(jaxlite.jit(lambda v: v + v)(swapped), 2 * np.arange(3))


@pytest.mark.parametrize("bad", [np.complex256, object, str, "U3", "datetime64"])
def test_unsupported_dtypes_are_type_errors(bad):
    with pytest.raises(TypeError, match="supported|unsupported"):
        dtypes.canonicalize(bad)


@pytest.mark.parametrize("value", [np.array([1j, 2j], np.complex256), np.array(["a", "b"]),
                                   np.array([object(), None]), "text", object()])
def test_unsupported_values_are_type_errors(value):
    with pytest.raises(TypeError):
        core.get_aval(value)
    with pytest.raises(TypeError):
        jaxlite.make_jaxpr(lambda x: x)(value)


def test_unsupported_values_rejected_by_ops_and_transforms():
    with pytest.raises(TypeError, match="complex128"):
        lax.floor(np.array([1j]))
    with pytest.raises(TypeError, match="holomorphic"):
        jaxlite.grad(lambda x: x)(1j)
    with pytest.raises(TypeError, match="str"):
        jaxlite.vmap(lambda x: x)("abc")


def test_weak_types_through_ops():
    # Two weak scalars stay weak; a strong operand decides the dtype.
    assert lax.add(1.0, 2.0).dtype == F32
    assert lax.mul(np.ones(2, F64), 2.0).dtype == F64
    assert lax.mul(np.ones(2, np.uint8), 2).dtype == np.uint8
    assert lax.mul(np.ones(2, I64), 2).dtype == I64
    aval = jaxlite.make_jaxpr(lambda x: lax.mul(x, 2.0))(1.0).out_avals[0]
    assert aval.weak_type and aval.dtype == F32
    aval = jaxlite.make_jaxpr(lambda x: lax.mul(x, 2.0))(np.float32(1.0)).out_avals[0]
    assert not aval.weak_type


def test_weak_float_times_python_int_stays_weak():
    # JAX: a weak float (traced Python float) times a Python int is weak float,
    # so a float16 array later decides the dtype. The int used to become a
    # strong float32 constant.
    for f in (lambda x: x * 2, lambda x: jnp.multiply(x, 2), lambda x: 2 - x,
              lambda x: jnp.add(x, 2 + 0j), lambda x: x + True):
        aval = jaxlite.make_jaxpr(f)(1.0).out_avals[0]
        assert aval.weak_type, aval
    aval = jaxlite.make_jaxpr(lambda n: n + True)(1).out_avals[0]      # weak int + bool
    assert aval.weak_type and aval.dtype == I32
    got = jaxlite.jit(lambda x: x * 2 + jnp.ones(2, np.float16))(1.5)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, [4.0, 4.0])
    got = jaxlite.jit(lambda x: (x * 2 + 1j) * jnp.ones(2, np.complex64))(1.0)
    assert got.dtype == np.complex64
    np.testing.assert_array_equal(got, [2 + 1j, 2 + 1j])
    with enable_x64():
        aval = jaxlite.make_jaxpr(lambda x: x * 2)(1.0).out_avals[0]
        assert aval.weak_type and aval.dtype == F64


def test_weak_int_wraps_to_a_narrower_int_dtype():
    # JAX: a Python int that fits the default int wraps C-style to the array's
    # narrower dtype (int8 + 300 is int8 + 44), eagerly and under jit; only an
    # int beyond the default int width is an OverflowError.
    i8, u8 = np.ones(2, np.int8), np.ones(2, np.uint8)
    want = (i8.astype(np.int32) + 300).astype(np.int8)        # [45, 45]
    for got in (jnp.asarray(i8) + 300, jnp.add(i8, 300), jaxlite.jit(lambda a: a + 300)(i8)):
        assert got.dtype == np.int8
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(jnp.asarray(u8) + (-1), [0, 0])
    np.testing.assert_array_equal(jnp.asarray(i8) * -300, [-44, -44])
    np.testing.assert_array_equal(jnp.asarray(i8).at[0].set(300), [44, 1])
    with pytest.raises(OverflowError):
        jnp.ones(2, np.int32) + 2 ** 40


def test_short_names_and_info():
    assert [dtypes.short_name(t) for t in (B, I32, I64, F32, F64)] == \
        ["bool", "i32", "i64", "f32", "f64"]
    assert [dtypes.short_name(np.dtype(t)) for t in ("uint8", "int16", "float16")] == \
        ["u8", "i16", "f16"]
    assert dtypes.finfo(F32).eps == np.finfo(np.float32).eps
    assert dtypes.iinfo(I32).max == 2 ** 31 - 1
    assert str(core.ShapedArray((2, 3), F32)) == "f32[2,3]"
    assert repr(core.ShapedArray((), F32, True)) == "ShapedArray((), float32, weak_type=True)"


# ---------------------------------------------------------- dtypes, astype

def test_astype_function_and_bool_alias():
    x = np.array([1.7, -1.7, 0.0])
    np.testing.assert_array_equal(jnp.astype(x, jnp.int32), x.astype(np.int32))
    b = jnp.astype(x, jnp.bool)
    assert b.dtype == np.bool_
    np.testing.assert_array_equal(b, [True, True, False])
    assert jnp.zeros(2, jnp.bool).dtype == np.bool_
    assert jnp.bool is jnp.bool_
    assert jnp.astype(3, jnp.float64).dtype == np.float64
    # Python's bool is still the weak boolean type for promotion
    assert jnp.result_type(bool) == np.bool_
    assert jnp.result_type(np.int32, bool) == np.int32


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.uint64, np.int8, np.int32, np.int64,
                                   np.float16, np.float32, np.float64])
@pytest.mark.parametrize("kind", ["bool", "signed integer", "unsigned integer", "integral",
                                  "real floating", "complex floating", "numeric",
                                  ("bool", "real floating"), np.float32])
def test_isdtype_vs_numpy(dtype, kind):
    assert jnp.isdtype(dtype, kind) == np.isdtype(np.dtype(dtype), kind)


def test_isdtype_takes_jnp_scalar_types_and_rejects_unknown_kinds():
    assert jnp.isdtype(jnp.float32, "real floating")
    assert jnp.isdtype(jnp.int32, jnp.int32)
    with pytest.raises(ValueError, match="unknown kind"):
        jnp.isdtype(np.float32, "floating")


def test_iinfo_and_issubdtype_vs_numpy():
    for dt in (jnp.int32, jnp.int64):
        assert jnp.iinfo(dt).max == np.iinfo(dt).max and jnp.iinfo(dt).min == np.iinfo(dt).min
    kinds = [jnp.number, jnp.inexact, jnp.floating, jnp.integer, jnp.signedinteger, jnp.bool_]
    for dt in (jnp.bool_, jnp.int32, jnp.int64, jnp.float32, jnp.float64):
        for kind in kinds:
            assert jnp.issubdtype(dt, kind) == np.issubdtype(dt, kind), (dt, kind)


# ------------------------------------------- every family, every dtype, jit == eager

NUMERIC = [n for n in NAMES if n != "bool"]


def _sample(name, shape=(3, 4), seed=0):
    rng = np.random.default_rng(seed)
    dt = np.dtype(name)
    if dt.kind == "b":
        return rng.random(shape) > 0.5
    if dt.kind == "u":
        return rng.integers(0, 9, shape).astype(dt)
    if dt.kind == "i":
        return rng.integers(-8, 9, shape).astype(dt)
    return rng.uniform(-2, 2, shape).astype(dt)


FAMILIES = {
    "arith": lambda x, y: (x + y, x - y, x * y, jnp.maximum(x, y), jnp.abs(x), -x, jnp.sign(x)),
    "divide": lambda x, y: (x // (y * 0 + 3), x % (y * 0 + 3)),
    "compare": lambda x, y: (x < y, x == y, jnp.where(x > y, x, y)),
    "cast": lambda x, y: tuple(x.astype(t) for t in NAMES),
    "reduce": lambda x, y: (jnp.sum(x, 0), jnp.max(x, 1), jnp.argmax(x, 1), jnp.cumsum(x, 1),
                            jnp.prod(x, 0)),
    "sort": lambda x, y: (jnp.sort(x, 1), jnp.argsort(x, 0)),
    "index": lambda x, y: (x[::-1, 1:], x[np.array([2, 0])], x.at[0, 1].set(y[1, 1]),
                           x.at[np.array([1, 1])].add(y[:2]), jnp.concatenate([x, y]),
                           jnp.take(x, np.array([0, 3]), axis=1)),
    "dot": lambda x, y: (x @ y.T, jnp.einsum("ij,ij->i", x, y)),
}


@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_compiles_every_dtype(family, name):
    x, y = _sample(name), _sample(name, seed=1)
    f = FAMILIES[family]
    eager = f(jnp.asarray(x), jnp.asarray(y))
    compiled = jaxlite.jit(f)(x, y)
    for e, c in zip(eager, compiled):
        assert e.dtype == c.dtype, (family, name, e.dtype, c.dtype)
        if e.dtype == np.float16:    # jit computes in float32 and rounds once
            np.testing.assert_allclose(np.asarray(c, np.float32), np.asarray(e, np.float32),
                                       rtol=2e-3, atol=2e-3)
        else:
            np.testing.assert_allclose(c, e, rtol=1e-6)


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_float_math_every_width(name):
    x = np.linspace(0.1, 2.0, 16).astype(name)
    f = lambda v: (jnp.exp(v), jnp.log(v), jnp.sin(v), jnp.tanh(v), jnp.sqrt(v), v ** 2.5,
                   v / 3.0, jnp.arctan2(v, v + 1))
    ref = [np.exp(x.astype(np.float64)), np.log(x.astype(np.float64))]
    eager, compiled = f(jnp.asarray(x)), jaxlite.jit(f)(x)
    tol = {"float16": 2e-3, "float32": 2e-6, "float64": 1e-13}[name]
    for e, c in zip(eager, compiled):
        assert e.dtype == c.dtype == np.dtype(name)
        np.testing.assert_allclose(np.asarray(c, np.float64), np.asarray(e, np.float64),
                                   rtol=tol, atol=tol)
    for e, r in zip(eager, ref):
        np.testing.assert_allclose(np.asarray(e, np.float64), r, rtol=tol * 2)


def test_float16_under_every_transform():
    x = np.linspace(0.2, 1.5, 6).astype(np.float16)

    def f(v):
        return jnp.sum(jnp.sin(v) * v)
    want = np.cos(x.astype(np.float64)) * x + np.sin(x.astype(np.float64))
    for g in (jaxlite.grad(f), jaxlite.jit(jaxlite.grad(f))):
        out = g(x)
        assert out.dtype == np.float16
        np.testing.assert_allclose(np.asarray(out, np.float64), want, rtol=5e-3, atol=5e-3)
    per = jaxlite.vmap(jaxlite.grad(lambda v: jnp.sin(v) * v))(x)
    assert per.dtype == np.float16
    np.testing.assert_allclose(np.asarray(per, np.float64), want, rtol=5e-3, atol=5e-3)
    _, t = jaxlite.jvp(f, (x,), (np.ones_like(x),))
    assert t.dtype == np.float16


@pytest.mark.parametrize("name", ["uint8", "uint16", "uint32", "uint64"])
def test_unsigned_semantics_under_jit(name):
    dt = np.dtype(name)
    top = np.iinfo(dt).max
    x = np.array([top, top - 1, 5, 0], dt)
    y = np.array([2, top, 0, 3], dt)

    def f(a, b):
        return a // b, a % b, a < b, jnp.maximum(a, b), a.astype(jnp.float64), a - b
    with np.errstate(all="ignore"):
        want_mul = x * y
    for out in (f(jnp.asarray(x), jnp.asarray(y)), jaxlite.jit(f)(x, y)):
        q, r, lt, mx, fl, diff = out
        np.testing.assert_array_equal(q, [top // 2, 0, top, 0])      # x // 0: all bits set (JAX)
        np.testing.assert_array_equal(r, [top % 2, top - 1, 0, 0])
        np.testing.assert_array_equal(lt, x < y)
        np.testing.assert_array_equal(mx, np.maximum(x, y))
        np.testing.assert_array_equal(fl, x.astype(np.float64))
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(diff, x - y)                  # wraps, as numpy
    np.testing.assert_array_equal(jaxlite.jit(lambda a, b: a * b)(x, y), want_mul)


def test_jnp_scalar_types_of_every_dtype():
    types = [jnp.uint8, jnp.uint16, jnp.uint32, jnp.uint64, jnp.int8, jnp.int16, jnp.float16]
    for t, name in zip(types, ["uint8", "uint16", "uint32", "uint64", "int8", "int16",
                               "float16"]):
        x = t(3)
        assert x.dtype == np.dtype(name) and int(x) == 3
        assert jnp.zeros(2, t).dtype == np.dtype(name)
    assert jnp.issubdtype(jnp.uint8, jnp.unsignedinteger)
    assert not jnp.issubdtype(jnp.int16, jnp.unsignedinteger)
    np.testing.assert_array_equal(np.asarray(jnp.uint8(np.array([255.0, 1.5]))), [255, 1])
