"""The five dtypes, JAX's promotion lattice (with weak Python scalars),
rejection of everything else, and the jnp dtype functions (astype, isdtype,
issubdtype, iinfo)."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import core, dtypes, lax

B, I32, I64, F32, F64 = (np.dtype(t) for t in ("bool", "int32", "int64", "float32", "float64"))
# Weak types: the Python scalars int and float.
IW, FW = "i*", "f*"
ROW = [B, I32, I64, F32, F64, IW, FW]

# JAX's promotion table restricted to jaxlite's types (weak defaults are
# int32/float32: jaxlite has no x64 switch). Row x column -> result.
TABLE = {
    B:   [B,   I32, I64, F32, F64, IW,  FW],
    I32: [I32, I32, I64, F32, F64, I32, FW],
    I64: [I64, I64, I64, F32, F64, I64, FW],
    F32: [F32, F32, F32, F32, F64, F32, F32],
    F64: [F64, F64, F64, F64, F64, F64, F64],
    IW:  [IW,  I32, I64, F32, F64, IW,  FW],
    FW:  [FW,  FW,  FW,  F32, F64, FW,  FW],
}


def _typed(t):
    return {IW: (I32, True), FW: (F32, True)}.get(t, (t, False))


@pytest.mark.parametrize("a", ROW, ids=str)
def test_promotion_table(a):
    for b, want in zip(ROW, TABLE[a]):
        got = dtypes.result_type(_typed(a), _typed(b))
        assert got == _typed(want), (a, b, got, want)
        assert dtypes.result_type(_typed(b), _typed(a)) == got   # symmetric


def test_promotion_is_associative():
    for a in ROW:
        for b in ROW:
            for c in ROW:
                ab = dtypes.result_type(_typed(a), _typed(b))
                bc = dtypes.result_type(_typed(b), _typed(c))
                assert dtypes.result_type(ab, _typed(c)) == dtypes.result_type(_typed(a), bc)


def test_promote_types():
    assert dtypes.promote_types(np.int32, np.float32) == F32
    assert dtypes.promote_types(np.int64, np.float32) == F32
    assert dtypes.promote_types(np.bool_, np.int64) == I64
    assert dtypes.promote_types(np.float32, np.float64) == F64


def test_avals_of_python_and_numpy_values():
    assert core.get_aval(1.0) == core.ShapedArray((), F32, weak_type=True)
    assert core.get_aval(1) == core.ShapedArray((), I32, weak_type=True)
    assert core.get_aval(True) == core.ShapedArray((), B)
    assert core.get_aval(np.float64(1.0)) == core.ShapedArray((), F64)
    assert core.get_aval(np.ones((2, 3), np.float32)) == core.ShapedArray((2, 3), F32)


@pytest.mark.parametrize("src,dst", [(np.int8, I32), (np.int16, I32), (np.uint8, I32),
                                     (np.uint16, I32), (np.uint32, I64), (np.float16, F32)])
def test_narrow_numpy_types_widen(src, dst):
    assert dtypes.canonicalize(src) == dst
    assert core.get_aval(np.ones(2, src)).dtype == dst


@pytest.mark.parametrize("bad", [np.complex64, np.complex128, object, str, "U3", "datetime64"])
def test_unsupported_dtypes_are_type_errors(bad):
    with pytest.raises(TypeError, match="supported|unsupported"):
        dtypes.canonicalize(bad)


@pytest.mark.parametrize("value", [np.array([1j, 2j]), np.array(["a", "b"]),
                                   np.array([object(), None]), 1j, "text", object()])
def test_unsupported_values_are_type_errors(value):
    with pytest.raises(TypeError):
        core.get_aval(value)
    with pytest.raises(TypeError):
        jaxlite.make_jaxpr(lambda x: x)(value)


def test_unsupported_values_rejected_by_ops_and_transforms():
    with pytest.raises(TypeError, match="complex128"):
        lax.neg(np.array([1j]))
    with pytest.raises(TypeError):
        jaxlite.grad(lambda x: x)(1j)
    with pytest.raises(TypeError, match="str"):
        jaxlite.vmap(lambda x: x)("abc")


def test_weak_types_through_ops():
    # Two weak scalars stay weak; a strong operand decides the dtype.
    assert lax.add(1.0, 2.0).dtype == F32
    assert lax.mul(np.ones(2, F64), 2.0).dtype == F64
    assert lax.mul(np.ones(2, I64), 2).dtype == I64
    aval = jaxlite.make_jaxpr(lambda x: lax.mul(x, 2.0))(1.0).out_avals[0]
    assert aval.weak_type and aval.dtype == F32
    aval = jaxlite.make_jaxpr(lambda x: lax.mul(x, 2.0))(np.float32(1.0)).out_avals[0]
    assert not aval.weak_type


def test_short_names_and_info():
    assert [dtypes.short_name(t) for t in (B, I32, I64, F32, F64)] == \
        ["bool", "i32", "i64", "f32", "f64"]
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


@pytest.mark.parametrize("dtype", [np.bool_, np.int32, np.int64, np.float32, np.float64])
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
