"""complex64 / complex128 in the front end: promotion, the complex primitives,
complex math eagerly, derivatives (JAX's conventions), vmap and jaxlite.numpy.

References are numpy, closed forms and complex128 central finite differences;
a few expected values were read off JAX 0.10.2 (named where used).
Compiled complex programs are tested in test_complex_jit.py.
"""
import warnings

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import dtypes, lax

C64, C128 = np.complex64, np.complex128
F32, F64 = np.float32, np.float64
RNG = np.random.default_rng(7)
Z = np.array([1 + 2j, -3 + 0.5j, 1 - 1j, 0.25 - 2j], C128)
W = np.array([1 - 1j, -3 + 1j, 2 - 1j, -2 + 0.5j], C128)


def close(got, want, **tol):
    """assert_allclose on the real and imaginary parts separately (infinite
    parts compare exactly, whatever the other part is)."""
    assert np.asarray(got).dtype == np.asarray(want).dtype, (np.asarray(got).dtype,
                                                             np.asarray(want).dtype)
    np.testing.assert_allclose(np.real(got), np.real(want), **tol)
    np.testing.assert_allclose(np.imag(got), np.imag(want), **tol)


def crandn(*shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


@pytest.fixture(params=[False, True], ids=["x32", "x64"])
def x64_mode(request):
    prev = jaxlite.config.jax_enable_x64
    jaxlite.config.update("jax_enable_x64", request.param)
    yield request.param
    jaxlite.config.update("jax_enable_x64", prev)


# ------------------------------------------------------------------ promotion

# jnp.promote_types in JAX 0.10.2 (the same in both x64 modes).
PROMOTIONS = [
    (F32, C64, C64), (F64, C64, C128), (np.float16, C64, C64), (np.int64, C64, C64),
    (np.uint64, C64, C64), (np.int8, C128, C128), (np.bool_, C64, C64), (C64, C128, C128),
    (complex, F32, C64), (complex, float, C128), (int, complex, C128), (complex, complex, C128),
]


@pytest.mark.parametrize("a,b,want", PROMOTIONS)
def test_promote_types_table(a, b, want, x64_mode):
    assert jnp.promote_types(a, b) == np.dtype(want)
    assert jnp.promote_types(b, a) == np.dtype(want)


NAMES = ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
         "float16", "float32", "float64", "complex64", "complex128"]
# jnp.promote_types(row, complex64 / complex128) in JAX 0.10.2, the same in both x64
# modes (captured with /work/jaxvenv/bin/python); the real rows' other columns are
# test_dtypes.py's tables.
COMPLEX_COLUMNS = """
c64 c128 | c64 c128 | c64 c128 | c64 c128 | c64 c128 | c64 c128 | c64 c128 | c64 c128 |
c64 c128 | c64 c128 | c64 c128 | c128 c128 | c64 c128 | c128 c128"""
# (x + 1j) staged for x of each dtype: dtype, "*" for weak. With x64 off JAX
# narrows float64 first (giving c64); jaxlite keeps float64, so that cell is c128.
WEAK_1J = {False: "c64* c64* c64* c64* c64* c64* c64* c64* c64* c64 c64 c128 c64 c128",
           True: "c128* c128* c128* c128* c128* c128* c128* c128* c128* c64 c64 c128 c64 c128"}


def test_promote_types_with_complex_matches_jax_for_every_pair(x64_mode):
    cells = [c.split() for c in COMPLEX_COLUMNS.strip().replace("\n", " ").split("|")]
    full = {"c64": "complex64", "c128": "complex128"}
    for name, (with64, with128) in zip(NAMES, cells):
        assert jnp.promote_types(name, C64).name == full[with64], name
        assert jnp.promote_types(C64, name).name == full[with64], name
        assert jnp.promote_types(name, C128).name == full[with128], name
    for name, cell in zip(NAMES, WEAK_1J[x64_mode].split()):
        aval = jaxlite.make_jaxpr(lambda x: x + 1j)(jnp.zeros(1, name)).out_avals[0]
        short = cell.rstrip("*")
        assert (dtypes.short_name(aval.dtype), aval.weak_type) == (short, cell.endswith("*"))
    for name in ("complex64", "complex128"):
        for scalar in (1, 1.0, True, 1j):
            assert (jnp.zeros(1, name) + scalar).dtype == name


def test_promotion_with_complex_is_associative_and_symmetric(x64_mode):
    typed = [(np.dtype(n), False) for n in NAMES] + [
        (dtypes.default_int(), True), (dtypes.default_float(), True),
        (dtypes.default_complex(), True)]
    for a in typed:
        for b in typed:
            ab = dtypes.result_type(a, b)
            assert ab == dtypes.result_type(b, a)
            for c in typed:
                assert dtypes.result_type(ab, c) == dtypes.result_type(
                    a, dtypes.result_type(b, c)), (a, b, c)


def test_python_complex_is_weak_and_takes_the_default_width(x64_mode):
    default = C128 if x64_mode else C64
    assert dtypes.default_complex() == default
    assert jnp.asarray(1j).dtype == default
    assert lax.mul(1j, 2j).dtype == default
    # A weak complex meets a strong float: the complex of that float's width.
    for dt, want in [(F32, C64), (np.float16, C64), (F64, C128)]:
        assert (jnp.ones(2, dt) * 1j).dtype == want
    # ... and a strong integer or bool: the default complex, as JAX.
    assert (jnp.ones(2, np.int32) * 1j).dtype == default
    assert (jnp.ones(2, bool) * 1j).dtype == default
    assert (jnp.ones(2, C64) + 2.0).dtype == C64
    assert jnp.result_type(1j, 1.0) == default
    assert jnp.result_type(1j, F32) == C64
    assert jnp.result_type(np.int8, 1j) == default
    z = jaxlite.make_jaxpr(lambda x: x * 1j)(np.ones(2, F32))
    assert "c64" in str(z)


def test_complex_dtypes_and_scalar_types():
    assert jnp.complex64(1 + 2j).dtype == C64 and jnp.complex64(1 + 2j) == 1 + 2j
    assert jnp.complex128(3).dtype == C128
    assert jnp.complex_ is jnp.complex64
    np.testing.assert_array_equal(jnp.complex64(np.float32([1, 2])), [1, 2])
    assert jnp.issubdtype(jnp.complex64, jnp.complexfloating)
    assert jnp.issubdtype(jnp.complex128, jnp.inexact)
    assert not jnp.issubdtype(jnp.complex64, jnp.floating)
    assert jnp.isdtype(jnp.complex64, "complex floating") and jnp.isdtype(C128, "numeric")
    assert jnp.finfo(jnp.complex64).eps == np.finfo(F32).eps
    assert jnp.finfo(jnp.complex128).dtype == F64
    assert dtypes.canonicalize(np.dtype(C64).newbyteorder(">")) == C64
    with pytest.raises(TypeError, match="complex256"):
        dtypes.canonicalize(np.complex256)


def test_creation_with_complex_dtypes():
    def same(got, want):
        assert got.dtype == np.asarray(want).dtype, (got.dtype, np.asarray(want).dtype)
        np.testing.assert_array_equal(got, want)
    same(jnp.array([1 + 2j, 3]), np.array([1 + 2j, 3], C64))
    same(jnp.array([1, 2.5, 1j]), np.array([1, 2.5, 1j], C64))
    same(jnp.array([1, 2], dtype=jnp.complex128), np.array([1, 2], C128))
    same(jnp.asarray(2 - 1j), np.asarray(2 - 1j, C64))
    same(jnp.asarray(np.complex128(1 + 1j)), np.asarray(1 + 1j, C128))
    same(jnp.zeros((2, 2), jnp.complex64), np.zeros((2, 2), C64))
    same(jnp.zeros(2, complex), np.zeros(2, C64))
    same(jnp.ones(3, dtype="complex128"), np.ones(3, C128))
    same(jnp.full(3, 1 + 1j), np.full(3, 1 + 1j, C64))
    same(jnp.full(3, 2.0, jnp.complex64), np.full(3, 2, C64))
    same(jnp.full_like(Z.astype(C64), 3j), np.full(4, 3j, C64))
    same(jnp.zeros_like(Z), np.zeros(4, C128))
    assert jnp.empty((2, 3), jnp.complex64).dtype == C64
    same(jnp.arange(3, dtype=jnp.complex64), np.arange(3).astype(C64))
    same(jnp.linspace(0, 1j, 3), np.linspace(0, 1j, 3).astype(C64))
    same(jnp.linspace(1 + 1j, 2 - 1j, 5, dtype=jnp.complex128), np.linspace(1 + 1j, 2 - 1j, 5))
    same(jnp.eye(2, dtype=jnp.complex64), np.eye(2, dtype=C64))
    same(jnp.identity(2, jnp.complex128), np.eye(2, dtype=C128))


def test_array_attributes_methods_and_printing():
    x = jnp.asarray(Z.astype(C64))
    np.testing.assert_array_equal(x.real, Z.real.astype(F32))
    np.testing.assert_array_equal(x.imag, Z.imag.astype(F32))
    assert x.real.dtype == F32 and x.imag.dtype == F32
    np.testing.assert_array_equal(x.conj(), np.conj(Z).astype(C64))
    np.testing.assert_array_equal(x.conjugate(), np.conj(Z).astype(C64))
    r = jnp.asarray(np.float32([1.5, -2]))
    np.testing.assert_array_equal(r.real, r)
    np.testing.assert_array_equal(r.imag, [0, 0])
    np.testing.assert_array_equal(r.conj(), r)
    assert repr(x[:2]) == "Array([ 1.+2.j , -3.+0.5j], dtype=complex64)"
    assert str(x[:2]) == "[ 1.+2.j  -3.+0.5j]"
    assert complex(x[1]) == -3 + 0.5j and x[1].item() == -3 + 0.5j
    assert x.tolist()[0] == 1 + 2j
    assert bool(x[1]) and not bool(jnp.asarray(0j))
    with pytest.raises(TypeError):
        float(x[1])
    np.testing.assert_array_equal(np.add(x, 1j), Z.astype(C64) + 1j)


def test_operators_on_complex_arrays():
    x = jnp.asarray(Z)
    for got, want in [(x * 2, Z * 2), (2 - x, 2 - Z), (x / 1j, Z / 1j), (-x, -Z),
                      (x ** 2, Z ** 2), (2 ** x, 2 ** Z), (x @ x, Z @ Z),
                      (np.float64(2) * x, 2 * Z), (jnp.ones(4) + x, 1 + Z)]:
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-14)
    assert abs(x).dtype == F64
    np.testing.assert_allclose(abs(x), np.abs(Z), rtol=1e-15)
    np.testing.assert_array_equal(x == Z, [True] * 4)
    np.testing.assert_array_equal(x != 1 - 1j, Z != 1 - 1j)
    # Order comparisons are lexicographic (real part, then imaginary), as numpy's.
    np.testing.assert_array_equal(x < 1 + 0j, Z < 1 + 0j)
    np.testing.assert_array_equal(x >= x[::-1], Z >= Z[::-1])
    with pytest.raises(TypeError, match="floor_divide|rem|complex"):
        x // 2
    with pytest.raises(TypeError, match="rem|complex"):
        x % 2


# ----------------------------------------------------------- lax primitives

def test_real_imag_conj_complex_primitives():
    z = Z.astype(C64)
    for f, want, dt in [(lax.real, z.real, F32), (lax.imag, z.imag, F32),
                        (lax.conj, np.conj(z), C64)]:
        out = f(z)
        assert out.dtype == dt
        np.testing.assert_array_equal(out, want)
    # conj of a real float32/float64 is complex, as JAX.
    assert lax.conj(np.float32(2)).dtype == C64 and lax.conj(np.float64(2)).dtype == C128
    c = lax.complex(np.float32([1, 2]), np.float32([3, 4]))
    assert c.dtype == C64
    np.testing.assert_array_equal(c, [1 + 3j, 2 + 4j])
    assert lax.complex(np.float64(1), 2.0).dtype == C128
    np.testing.assert_array_equal(lax.complex(np.float32([1, 2]), 3.0), [1 + 3j, 2 + 3j])
    assert lax.real(1 + 2j) == 1 and lax.real(1 + 2j).dtype == F32


@pytest.mark.parametrize("call,match", [
    (lambda: lax.real(np.float32(1)), "real does not accept dtype float32"),
    (lambda: lax.imag(np.ones(2)), "imag does not accept dtype float64"),
    (lambda: lax.conj(np.int32(1)), "conj does not accept dtype int32"),
    (lambda: lax.complex(np.int32(1), np.int32(2)), "complex does not accept dtype int32 at "
                                                   "position 0"),
    (lambda: lax.complex(np.float16(1), np.float16(2)), "float16"),
    (lambda: lax.complex(np.float32(1), np.float64(2)), "same dtypes"),
    (lambda: lax.complex(np.ones(3, F32), np.ones(2, F32)), r"\(3,\), \(2,\)"),
    (lambda: lax.floor(Z), "floor requires floating operands, got complex128"),
    (lambda: lax.erf(Z), "complex128"),
    (lambda: lax.rem(Z, Z), "complex128"),
    (lambda: lax.lt(Z, Z), "complex128"),
    (lambda: lax.argmax(Z, 0, np.int32), "complex128"),
])
def test_complex_primitive_errors_are_type_errors(call, match):
    with pytest.raises(TypeError, match=match):
        call()


UNARY = {   # lax name -> numpy reference on complex128
    "neg": np.negative, "sign": lambda z: z / np.abs(z), "abs": np.abs, "exp": np.exp,
    "exp2": np.exp2, "log": np.log, "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt,
    "rsqrt": lambda z: 1 / np.sqrt(z), "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh,
    "cosh": np.cosh, "tanh": np.tanh, "logistic": lambda z: 1 / (1 + np.exp(-z)),
}


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("dt", [C64, C128])
def test_unary_math_on_complex_matches_numpy(name, dt):
    z = (Z * 0.4).astype(dt)
    out = getattr(lax, name)(z)
    want_dt = np.dtype(dt) if name != "abs" else np.dtype(F32 if dt == C64 else F64)
    assert out.dtype == want_dt
    tol = 2e-6 if dt == C64 else 1e-14
    np.testing.assert_allclose(out, UNARY[name](z.astype(C128)), rtol=tol, atol=tol)


def test_binary_math_on_complex_matches_numpy():
    for f, ref in [(lax.add, np.add), (lax.sub, np.subtract), (lax.mul, np.multiply),
                   (lax.div, np.divide), (lax.pow, np.power), (lax.eq, np.equal),
                   (lax.ne, np.not_equal)]:
        np.testing.assert_allclose(f(Z, W), ref(Z, W), rtol=1e-14)
    np.testing.assert_allclose(lax.integer_pow(Z, 3), Z ** 3, rtol=1e-14)
    np.testing.assert_allclose(lax.integer_pow(Z, -2), Z ** -2.0, rtol=1e-14)
    # atan2 continues to complex numbers as -i log((y + i x) / sqrt(x^2 + y^2)).
    want = -1j * np.log((W + 1j * Z) / np.sqrt(Z * Z + W * W))
    np.testing.assert_allclose(lax.atan2(Z, W), want, rtol=1e-14)
    np.testing.assert_allclose(lax.atan2(Z.real, W.real), np.arctan2(Z.real, W.real))


def test_max_min_are_lexicographic_and_nan_does_not_propagate():
    a = np.array([1 + 2j, -3 + 0.5j, 1 - 1j, 2 + 0j], C64)
    b = np.array([1 + 3j, -3 + 0.25j, 0 + 9j, 2 + 0j], C64)
    np.testing.assert_array_equal(lax.max(a, b), [1 + 3j, -3 + 0.5j, 1 - 1j, 2])
    np.testing.assert_array_equal(lax.min(a, b), [1 + 2j, -3 + 0.25j, 9j, 2])
    # JAX picks x where x > y lexicographically, else y: a NaN loses (JAX 0.10.2).
    nans = np.array([complex(np.nan, 1), 1j, complex(1, np.nan)], C64)
    np.testing.assert_array_equal(jnp.maximum(nans, np.complex64(1)), [1, 1, 1])
    assert jnp.max(np.array([complex(np.nan, 1), 1j, 2], C64)) == 2
    assert jnp.max(np.array([1j, 2, complex(np.nan, 1)], C64)) != jnp.max(
        np.array([1j, 2, complex(np.nan, 1)], C64))      # the fold ends on the NaN: NaN
    np.testing.assert_array_equal(lax.reduce_max(np.array([1 + 5j, 1 + 6j, -2 + 9j], C64), (0,)),
                                  1 + 6j)
    np.testing.assert_array_equal(lax.reduce_min(a.reshape(2, 2), (1,)), [-3 + 0.5j, 1 - 1j])
    assert lax.reduce_max(np.zeros((0,), C64), (0,)) == -np.inf
    np.testing.assert_array_equal(lax.cummax(a), [1 + 2j, 1 + 2j, 1 + 2j, 2])


def test_sort_and_argsort_are_lexicographic_with_nan_last():
    x = np.array([np.nan + 0j, 1 + 1j, complex(1, np.nan), 0j, 1 - 1j, -2 + 5j])
    np.testing.assert_array_equal(jnp.sort(x), np.sort(x))
    np.testing.assert_array_equal(jnp.argsort(x), np.argsort(x, kind="stable"))
    np.testing.assert_array_equal(jnp.sort_complex(np.float32([3, 1, 2])), [1, 2, 3])
    assert jnp.sort_complex(np.float32([3, 1])).dtype == C64
    np.testing.assert_array_equal(jnp.sort_complex(Z), np.sort_complex(Z))
    with pytest.raises(NotImplementedError):
        jnp.partition(Z, 1)
    with pytest.raises(ValueError, match="complex"):
        jnp.median(Z)


def test_convert_element_type_to_and_from_complex():
    x = np.float32([1.5, -2])
    np.testing.assert_array_equal(lax.convert_element_type(x, C64), x.astype(C64))
    # complex -> real keeps the real part with numpy's warning, as JAX.
    with pytest.warns(np.exceptions.ComplexWarning):
        out = lax.convert_element_type(Z, F32)
    np.testing.assert_array_equal(out, Z.real.astype(F32))
    with pytest.warns(np.exceptions.ComplexWarning):
        out = jnp.asarray(np.array([1e10 + 1j, -2.7 + 5j])).astype(jnp.int32)
    np.testing.assert_array_equal(out, [np.iinfo(np.int32).max, -2])   # saturating, as JAX
    # complex -> bool is "nonzero", either part (no warning).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(jnp.asarray(np.array([0j, 1j, 1 + 0j])).astype(bool),
                                      [False, True, True])


# -------------------------------------------------------------- jaxlite.numpy

def test_numpy_complex_helpers():
    z = Z.astype(C64)
    np.testing.assert_array_equal(jnp.real(z), z.real)
    np.testing.assert_array_equal(jnp.imag(z), z.imag)
    np.testing.assert_array_equal(jnp.conj(z), np.conj(z))
    np.testing.assert_array_equal(jnp.conjugate(z), np.conj(z))
    i = np.int32([1, -2])
    for f in (jnp.real, jnp.conj):
        out = f(i)
        assert out.dtype == np.int32
        np.testing.assert_array_equal(out, i)
    assert jnp.imag(i).dtype == np.int32 and not jnp.imag(i).any()
    np.testing.assert_allclose(jnp.angle(z), np.angle(z), rtol=1e-6)
    np.testing.assert_allclose(jnp.angle(z, deg=True), np.angle(z, deg=True), rtol=1e-6)
    np.testing.assert_array_equal(jnp.angle(np.float32([-1, 0, 2])),
                                  np.angle(np.float32([-1, 0, 2])))
    np.testing.assert_allclose(jnp.angle(1j), np.pi / 2)
    np.testing.assert_array_equal(jnp.iscomplex(np.array([1 + 0j, 1j])), [False, True])
    np.testing.assert_array_equal(jnp.isreal(np.array([1 + 0j, 1j])), [True, False])
    np.testing.assert_array_equal(jnp.iscomplex(np.float32([1, 2])), [False, False])
    assert jnp.iscomplexobj(z) and jnp.iscomplexobj(1j) and not jnp.iscomplexobj(1.0)
    assert jnp.isrealobj(np.float32(1)) and not jnp.isrealobj(z)
    assert jnp.abs(z).dtype == F32 and jnp.absolute(z).dtype == F32
    np.testing.assert_allclose(jnp.abs(z), np.abs(z), rtol=1e-6)


NP_UNARY = ["negative", "positive", "square", "reciprocal", "exp", "exp2", "log", "log2",
            "log10", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "arcsin", "arccos",
            "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "sign", "rint",
            "isnan", "isinf", "isfinite", "sinc"]


@pytest.mark.parametrize("name", NP_UNARY)
def test_numpy_unary_on_complex_matches_numpy(name):
    z = np.concatenate([Z * 0.4, [-2.5 + 0j, 2.5 + 0j, 3j, -3j]])
    if name not in ("arcsinh", "arctanh"):     # not numpy's special values there
        z = np.concatenate([z, [complex(np.nan, 1), complex(1, np.inf)]])
    with np.errstate(all="ignore"):
        want = getattr(np, name)(z)
    close(getattr(jnp, name)(z), want, rtol=1e-13, atol=1e-14)


NP_BINARY = ["add", "subtract", "multiply", "divide", "power", "float_power", "maximum",
             "minimum", "fmax", "fmin", "equal", "not_equal", "less", "greater",
             "less_equal", "greater_equal", "logaddexp"]


@pytest.mark.parametrize("name", NP_BINARY)
def test_numpy_binary_on_complex_matches_numpy(name):
    w = W.copy()
    w[2] = Z[2].real + 0.5j      # a tie in the real parts
    ref = (lambda a, b: np.log(np.exp(a) + np.exp(b))) if name == "logaddexp" \
        else getattr(np, name)
    for a, b in [(Z, w), (Z, w.real), (w.real, Z), (Z.astype(C64), 1j)]:
        got, want = getattr(jnp, name)(a, b), ref(a, b)
        if a.dtype == C64 and want.dtype == C128:
            # a weak Python complex keeps complex64
            want = want.astype(C64)
        close(got, want, rtol=2e-6 if got.dtype == C64 else 1e-13)


def test_numpy_functions_that_refuse_complex_raise_jax_classes():
    for call, error in [(lambda: jnp.clip(Z, 0, 1), ValueError),
                        (lambda: jnp.hypot(Z, Z), ValueError),
                        (lambda: jnp.signbit(Z), ValueError),
                        (lambda: jnp.copysign(Z, Z), TypeError),
                        (lambda: jnp.fabs(Z), TypeError),
                        (lambda: jnp.argmax(Z), TypeError),
                        (lambda: jnp.i0(Z), ValueError),
                        (lambda: jnp.floor(Z), TypeError),
                        (lambda: jnp.floor_divide(Z, Z), TypeError)]:
        with pytest.raises(error):
            call()


def test_numpy_rounding_and_nan_handling_per_part():
    z = np.array([1.37 - 2.5j, -0.5 + 3.51j])
    np.testing.assert_array_equal(jnp.round(z), np.round(z))
    np.testing.assert_allclose(jnp.round(z, 1), np.round(z, 1))
    odd = np.array([complex(np.nan, np.inf), complex(-np.inf, 1), 1j])
    np.testing.assert_array_equal(jnp.nan_to_num(odd), np.nan_to_num(odd))
    nz = np.array([complex(np.nan, 1), 1j, 2], C128)
    np.testing.assert_allclose(jnp.nansum(nz), 2 + 1j)
    np.testing.assert_allclose(jnp.nanprod(nz), 2j)
    np.testing.assert_allclose(jnp.nanmean(nz), 1 + 0.5j)
    assert jnp.nanmax(nz) == 2


def test_numpy_reductions_and_statistics_on_complex():
    m = crandn(3, 4)
    for got, want in [(jnp.sum(m, 0), m.sum(0)), (jnp.prod(m, 1), m.prod(1)),
                      (jnp.mean(m), m.mean()), (jnp.cumsum(m, 1), m.cumsum(1)),
                      (jnp.cumprod(m, 1), m.cumprod(1)), (jnp.var(m, 0), m.var(0)),
                      (jnp.std(m, 1), m.std(1)), (jnp.nanvar(m), np.nanvar(m)),
                      (jnp.max(m, 1), m.max(1)), (jnp.min(m), m.min()),
                      (jnp.ptp(m, 0), np.ptp(m, 0)),
                      (jnp.average(m, 1, weights=np.arange(4.0)),
                       np.average(m, 1, weights=np.arange(4.0)))]:
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-13)
    assert jnp.sum(np.float32([1, 2]), dtype=jnp.complex64).dtype == C64
    assert jnp.count_nonzero(np.array([0j, 1j, 1 + 0j])) == 2
    np.testing.assert_array_equal(jnp.nonzero(np.array([0j, 1j, 1 + 0j]))[0], [1, 2])


def test_numpy_linear_algebra_on_complex():
    a, b = crandn(3, 4), crandn(4, 2)
    for got, want in [(jnp.dot(a, b), a @ b), (jnp.matmul(a.real, b), a.real @ b),
                      (jnp.einsum("ij,jk->ik", a, b), a @ b), (jnp.vdot(Z, W), np.vdot(Z, W)),
                      (jnp.inner(Z, W), np.inner(Z, W)), (jnp.outer(Z, W), np.outer(Z, W)),
                      (jnp.tensordot(a, b, 1), np.tensordot(a, b, 1)),
                      (jnp.linalg.norm(Z), np.linalg.norm(Z)),
                      (jnp.linalg.norm(Z, 1), np.linalg.norm(Z, 1)),
                      (jnp.linalg.norm(Z, np.inf), np.linalg.norm(Z, np.inf)),
                      (jnp.linalg.norm(Z, 0), np.linalg.norm(Z, 0)),
                      (jnp.linalg.norm(a), np.linalg.norm(a)),
                      (jnp.linalg.norm(a, 1), np.linalg.norm(a, 1)),
                      (jnp.convolve(Z, W), np.convolve(Z, W)),
                      (jnp.correlate(Z, W[:3], "full"), np.correlate(Z, W[:3], "full")),
                      (jnp.correlate(Z[:2], W, "same"), np.correlate(Z[:2], W, "same")),
                      (jnp.polyval(Z, W), np.polyval(Z, W)), (jnp.kron(Z, W), np.kron(Z, W)),
                      (jnp.trace(a[:, :3]), np.trace(a[:, :3]))]:
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-13)


def test_structural_and_indexing_ops_on_complex():
    z = jnp.asarray(Z)
    np.testing.assert_array_equal(jnp.reshape(z, (2, 2)).T, Z.reshape(2, 2).T)
    np.testing.assert_array_equal(jnp.concatenate([z, W, W.real]),
                                  np.concatenate([Z, W, W.real]))
    np.testing.assert_array_equal(jnp.stack([z, W]), np.stack([Z, W]))
    np.testing.assert_array_equal(jnp.pad(z, 2, constant_values=1j),
                                  np.pad(Z, 2, constant_values=1j))
    np.testing.assert_array_equal(jnp.flip(jnp.roll(z, 1)), np.flip(np.roll(Z, 1)))
    np.testing.assert_array_equal(jnp.take(z, np.array([3, 0, 0])), Z[[3, 0, 0]])
    np.testing.assert_array_equal(z[np.array([2, 0])], Z[[2, 0]])
    np.testing.assert_array_equal(z.at[1].set(2 + 3j), np.where(np.arange(4) == 1, 2 + 3j, Z))
    want = Z.copy()
    np.add.at(want, [1, 1, 2], 1j)
    np.testing.assert_array_equal(z.at[np.array([1, 1, 2])].add(1j), want)
    np.testing.assert_array_equal(jnp.where(Z.real > 0, z, 2.0), np.where(Z.real > 0, Z, 2))
    np.testing.assert_array_equal(lax.select_n(np.array([True, False]), z[:2], z[2:]),
                                  [Z[2], Z[1]])
    np.testing.assert_array_equal(jnp.tril(z.reshape(2, 2)), np.tril(Z.reshape(2, 2)))
    np.testing.assert_array_equal(jnp.diff(z), np.diff(Z))
    np.testing.assert_array_equal(jnp.unique(np.array([1j, 1j, 2, 1 + 0j])), [1j, 1, 2])


# ------------------------------------------------------------- derivatives

def _fd(f, z, t, h=1e-6):
    """The derivative of f at z in the direction t (h real): (f(z + ht) - f(z - ht)) / 2h."""
    return (np.asarray(f(z + h * t)) - np.asarray(f(z - h * t))) / (2 * h)


# Functions of complex128 arrays: holomorphic ones and merely real-differentiable ones.
FUNCS = {
    "mul": lambda z: z * z * (0.5 - 1j), "div": lambda z: (1 + 2j) / (z + 3),
    "exp": jnp.exp, "exp2": jnp.exp2, "log": jnp.log, "log1p": lambda z: jnp.log1p(z),
    "expm1": jnp.expm1, "sqrt": jnp.sqrt, "rsqrt": lambda z: lax.rsqrt(z),
    "sin": jnp.sin, "cos": jnp.cos, "tan": jnp.tan, "arcsin": jnp.arcsin,
    "arccos": jnp.arccos, "arctan": jnp.arctan, "sinh": jnp.sinh, "cosh": jnp.cosh,
    # arccosh: its derivative is checked left of the imaginary axis too (at -3 + 0.5j),
    # where JAX 0.10.2's has the wrong sign; jaxlite's matches finite differences.
    "tanh": jnp.tanh, "arcsinh": jnp.arcsinh, "arccosh": jnp.arccosh,
    "arctanh": jnp.arctanh, "logistic": lambda z: lax.logistic(z),
    "pow": lambda z: z ** (1.5 + 0.5j), "pow_base": lambda z: (0.5 + 1j) ** z,
    "integer_pow": lambda z: z ** 3 + z ** -2, "atan2": lambda z: lax.atan2(z, 1 + 2j),
    "logaddexp": lambda z: jnp.logaddexp(z, 0.3 - 1j),
    "abs": jnp.abs, "abs_sq": lambda z: jnp.abs(z) ** 2, "angle": jnp.angle,
    "real": jnp.real, "imag": jnp.imag, "conj": jnp.conj,
    "conj_mix": lambda z: jnp.conj(z) * jnp.exp(z), "sign_times": lambda z: jnp.sign(z) * 2,
    "max": lambda z: jnp.maximum(z, 0.5 + 0j) * z, "cast": lambda z: jnp.real(z).astype(F64),
    "sum_dot": lambda z: jnp.dot(z, z[::-1]) * jnp.ones(2), "cumprod": jnp.cumprod,
    "sort": lambda z: jnp.sort(z + np.array([0, 0, 0.5, 0])) * jnp.arange(1, 5),
    "prod": jnp.prod,
    "norm": lambda z: jnp.linalg.norm(z), "var": jnp.var,
}
HOLOMORPHIC = {"mul", "div", "exp", "exp2", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin",
               "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
               "arccosh", "arctanh", "logistic", "pow", "pow_base", "integer_pow", "atan2",
               "logaddexp", "sum_dot", "cumprod", "prod"}


@pytest.mark.parametrize("name", list(FUNCS))
def test_jvp_matches_complex_finite_differences(name):
    f, t = FUNCS[name], crandn(4)
    if name == "sign_times":    # sign's derivative is taken as zero, as JAX
        np.testing.assert_array_equal(jaxlite.jvp(f, (Z,), (t,))[1], 0)
        return
    out, tan = jaxlite.jvp(f, (Z,), (t,))
    np.testing.assert_allclose(out, f(Z), rtol=1e-14)
    np.testing.assert_allclose(tan, _fd(f, Z, t), rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("name", list(FUNCS))
def test_vjp_is_the_real_transpose_of_jvp(name):
    """JAX's pairing of a cotangent c with a tangent t is Re(sum(c * t)), without
    conjugation: <vjp(u), v> = <u, jvp(v)>."""
    f = FUNCS[name]
    out = f(Z)
    v = crandn(4)
    u = crandn(*np.shape(out)) if np.iscomplexobj(out) else RNG.standard_normal(np.shape(out))
    ct, = jaxlite.vjp(f, Z)[1](u)
    assert ct.dtype == C128
    tan = jaxlite.jvp(f, (Z,), (v,))[1]
    np.testing.assert_allclose(np.real(np.sum(ct * v)), np.real(np.sum(u * np.asarray(tan))),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(HOLOMORPHIC))
def test_holomorphic_grad_jacfwd_jacrev_are_the_complex_derivative(name):
    f = FUNCS[name]
    # f'(z) from a complex-step difference along 1 (any direction gives it).
    jac_fd = np.stack([_fd(f, Z, e) for e in np.eye(4)], axis=-1)
    np.testing.assert_allclose(jaxlite.jacfwd(f, holomorphic=True)(Z), jac_fd, rtol=1e-7,
                               atol=1e-8)
    np.testing.assert_allclose(jaxlite.jacrev(f, holomorphic=True)(Z), jac_fd, rtol=1e-7,
                               atol=1e-8)
    if np.shape(f(Z)) == (4,):
        g = jaxlite.grad(lambda z: f(z)[1], holomorphic=True)(Z)
        np.testing.assert_allclose(g, jac_fd[1], rtol=1e-7, atol=1e-8)


REAL_OF_COMPLEX = {
    "abs2": lambda z: jnp.abs(z) ** 2, "abs": jnp.abs, "real_sq": lambda z: jnp.real(z * z),
    "imag_exp": lambda z: jnp.imag(jnp.exp(z)), "angle": jnp.angle,
    "abs_log": lambda z: jnp.abs(jnp.log(z)), "real_sqrt": lambda z: jnp.real(jnp.sqrt(z)),
    "abs_sin_conj": lambda z: jnp.abs(jnp.sin(z) * jnp.conj(z)),
    "real_pow": lambda z: jnp.real(z ** (1.5 + 0.5j)), "abs_div": lambda z: jnp.abs(1 / (z + 2)),
    "real_tanh": lambda z: jnp.real(jnp.tanh(z)), "imag_arcsin": lambda z: jnp.imag(jnp.arcsin(z)),
    "real_logistic": lambda z: jnp.real(jaxlite.nn.sigmoid(z)),
    "cast": lambda z: jnp.real(z).astype(F32) * jnp.imag(z),
    "real_arctan2": lambda z: jnp.real(jnp.arctan2(z, 1 + 2j)),
}
# grad at z0 = 0.7 + 1.3j, from JAX 0.10.2 (complex64): grad f = df/dx - i df/dy.
JAX_GRADS = {"abs2": 1.4 - 2.6j, "abs": 0.4740998 - 0.8804711j, "real_sq": 1.4 + 2.6j,
             "imag_exp": 1.9403679 - 0.5386766j, "angle": -0.5963303 - 0.32110095j,
             "abs_log": -0.4514898 - 0.50484914j, "real_sqrt": 0.35326803 - 0.21100488j,
             "abs_sin_conj": 1.2616867 - 4.320198j, "real_pow": 0.5530807 + 0.9754832j,
             "abs_div": -0.10033427 + 0.04830909j, "real_tanh": -1.0069866 - 1.1725205j,
             "imag_arcsin": 0.20046693 - 0.5568178j, "real_logistic": 0.2880626 - 0.15763077j,
             "cast": 1.3 - 0.7j, "real_arctan2": 0.14443126 - 0.27605003j}


@pytest.mark.parametrize("name", list(REAL_OF_COMPLEX))
def test_grad_of_real_function_of_complex_input_is_jaxs(name):
    f, z0 = REAL_OF_COMPLEX[name], 0.7 + 1.3j
    g = jaxlite.grad(f)(z0)
    assert g.dtype == C64       # a Python complex is complex64 without x64
    np.testing.assert_allclose(g, JAX_GRADS[name], rtol=2e-6)
    if name == "cast":     # float32 inside: finite differences would see its rounding
        return
    # In complex128, against finite differences: df/dx - i df/dy.
    z = np.complex128(z0)
    g64 = jaxlite.grad(f)(z)
    assert g64.dtype == C128
    want = _fd(lambda v: f(v).astype(F64), z, 1.0) - 1j * _fd(lambda v: f(v).astype(F64), z, 1j)
    np.testing.assert_allclose(g64, want, rtol=1e-6, atol=1e-8)


def test_grad_conventions_closed_forms():
    z = np.complex128(3 + 4j)
    np.testing.assert_allclose(jaxlite.grad(lambda v: jnp.abs(v) ** 2)(z), 6 - 8j)  # 2 conj(z)
    assert jaxlite.grad(lambda v: jnp.real(v * v))(z) == 6 + 8j    # 2 z
    np.testing.assert_allclose(jaxlite.grad(jnp.abs)(z), np.conj(z) / 5)
    assert jaxlite.grad(jnp.abs)(0j) == 0                          # as JAX at the kink
    assert jaxlite.grad(lambda v: v * v, holomorphic=True)(1 + 2j) == 2 + 4j
    v, g = jaxlite.value_and_grad(lambda v: jnp.sum(jnp.abs(v)))(Z)
    np.testing.assert_allclose(v, np.abs(Z).sum())
    np.testing.assert_allclose(g, np.conj(Z) / np.abs(Z))
    # A real input to a complex intermediate: an ordinary real gradient.
    f = lambda x: jnp.abs(lax.complex(x, 2 * x) * (1 + 1j)) ** 2    # noqa: E731
    assert jaxlite.grad(f)(1.5) == pytest.approx(2 * 1.5 * 5 * 2)
    # d|w|, w = z^2 + 1, z = x + iy: (d/dx, d/dy) = (Re(c), Re(i c)), c = conj(w) 2z / |w|.
    z, w = 1.5 - 0.5j, (1.5 - 0.5j) ** 2 + 1
    c = np.conj(w) * 2 * z / abs(w)
    np.testing.assert_allclose(
        jaxlite.grad(lambda x, y: jnp.abs(lax.complex(x, y) ** 2 + 1), (0, 1))(1.5, -0.5),
        (c.real, (1j * c).real), rtol=1e-6)
    assert jaxlite.grad(lambda x: jnp.imag(lax.conj(x) * (1 + 2j)))(1.5) == 2
    np.testing.assert_allclose(jaxlite.jacfwd(lambda x: jnp.exp(1j * x))(np.float32([0.5, 1])),
                               np.diag(1j * np.exp(1j * np.float32([0.5, 1]))), rtol=1e-6)
    np.testing.assert_allclose(jaxlite.jacrev(lambda v: jnp.abs(v * v))(Z),
                               np.diag(2 * np.abs(Z) * np.conj(Z) / np.abs(Z)), rtol=1e-12)


def test_second_derivatives_through_complex_values():
    # |sum exp(i x)|^2 = 2 + 2 cos(x0 - x1): Hessian [[-c, c], [c, -c]], c = 2 cos(x0 - x1).
    x = np.array([0.5, 1.0])
    c = 2 * np.cos(x[0] - x[1])
    h = jaxlite.hessian(lambda v: jnp.abs(jnp.sum(jnp.exp(1j * v))) ** 2)(x)
    np.testing.assert_allclose(h, [[-c, c], [c, -c]], rtol=1e-12)
    hh = jaxlite.hessian(lambda v: jnp.sum(v ** 3), holomorphic=True)(Z[:2])
    np.testing.assert_allclose(hh, np.diag(6 * Z[:2]), rtol=1e-13)


@pytest.mark.parametrize("call,match", [
    (lambda: jaxlite.grad(lambda z: z * z)(1j), "real-valued outputs.*complex64.*holomorphic"),
    (lambda: jaxlite.grad(lambda z: z * z, holomorphic=True)(1.0),
     "holomorphic=True requires inputs with complex dtype, but got float32"),
    (lambda: jaxlite.grad(lambda z: jnp.abs(z), holomorphic=True)(1j),
     "holomorphic=True requires outputs with complex dtype, but got float32"),
    (lambda: jaxlite.grad(lambda z: z * 1.0)(1), "real- or complex-valued inputs.*int32"),
    (lambda: jaxlite.jacfwd(jnp.abs)(Z), "jacfwd requires real-valued inputs.*complex128.*"
                                         "holomorphic=True"),
    (lambda: jaxlite.jacrev(lambda z: z)(Z), "jacrev requires real-valued outputs.*complex128"),
    (lambda: jaxlite.jacfwd(lambda x: x, holomorphic=True)(np.ones(2)),
     "jacfwd with holomorphic=True requires inputs with complex dtype"),
    (lambda: jaxlite.jacrev(jnp.real, holomorphic=True)(Z),
     "jacrev with holomorphic=True requires outputs with complex dtype"),
])
def test_holomorphic_argument_errors_are_jaxs(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_linearize_and_jvp_of_mixed_programs():
    f = lambda z: jnp.exp(z) * jnp.conj(z)     # noqa: E731
    out, lin = jaxlite.linearize(f, Z)
    t = crandn(4)
    np.testing.assert_allclose(lin(t), _fd(f, Z, t), rtol=1e-7)
    # A real tangent of a complex primal is an error, as a dtype mismatch.
    with pytest.raises(TypeError, match="dtype"):
        jaxlite.jvp(f, (Z,), (np.ones(4),))


# ---------------------------------------------------------------------- vmap

def test_vmap_over_complex_arrays():
    m = crandn(3, 4)
    f = lambda z: (lax.real(z), lax.imag(z), lax.conj(z),     # noqa: E731
                   lax.complex(lax.imag(z), lax.real(z)), jnp.abs(z) * z)
    for got, want in zip(jaxlite.vmap(f)(m), [m.real, m.imag, m.conj(), m.imag + 1j * m.real,
                                               np.abs(m) * m]):
        np.testing.assert_allclose(got, want, rtol=1e-15)
    np.testing.assert_allclose(jaxlite.vmap(jnp.dot, (0, None))(m, Z), m @ Z, rtol=1e-14)
    np.testing.assert_allclose(jaxlite.vmap(lambda x: lax.complex(x, 2.0))(np.ones(2)),
                               [1 + 2j, 1 + 2j])
    np.testing.assert_allclose(jaxlite.vmap(lambda x, y: lax.complex(x, y), (0, None))(
        np.arange(2.0), np.arange(3.0)), np.arange(2.0)[:, None] + 1j * np.arange(3.0))
    g = jaxlite.vmap(jaxlite.grad(lambda z: jnp.abs(z) ** 3))(Z)
    np.testing.assert_allclose(g, 3 * np.abs(Z) * np.conj(Z), rtol=1e-13)
    np.testing.assert_allclose(jaxlite.vmap(jnp.sort)(m), np.sort(m, axis=1))
    np.testing.assert_allclose(jaxlite.vmap(lambda z: lax.reduce_max(z, (0,)))(m), m.max(1))


def test_control_flow_and_custom_rules_carry_complex_values():
    z = np.complex128(0.5 + 0.5j)
    # fori_loop: c -> c z three times from z gives z^4; in JAX's convention
    # grad |z^4| = 4 |z|^3 conj(z) / |z| = 4 |z|^2 conj(z).
    g = jaxlite.grad(lambda v: jnp.abs(lax.fori_loop(0, 3, lambda i, c: c * v, v)))(z)
    np.testing.assert_allclose(g, 4 * abs(z) ** 2 * np.conj(z), rtol=1e-13)
    carry, ys = lax.scan(lambda c, x: (c * x + 1j, jnp.abs(c)), np.complex128(1), Z)
    c, want = 1 + 0j, []
    for x in Z:
        want.append(abs(c))
        c = c * x + 1j
    np.testing.assert_allclose(carry, c, rtol=1e-14)
    np.testing.assert_allclose(ys, want, rtol=1e-14)
    g = jaxlite.grad(lambda v: jnp.abs(lax.cond(True, lambda a: a * a, lambda a: a, v)))(z)
    np.testing.assert_allclose(g, 2 * np.conj(z), rtol=1e-13)      # grad |z^2| = 2 conj(z)

    @jaxlite.custom_vjp
    def sq(v):
        return v * v
    sq.defvjp(lambda v: (v * v, v), lambda v, g: (2 * v * g,))
    np.testing.assert_allclose(jaxlite.grad(lambda v: jnp.abs(sq(v)).sum())(Z),
                               2 * np.conj(Z), rtol=1e-13)
    jaxlite.test_util.check_grads(lambda v: jnp.sin(v) * v, (Z,), order=2)


def test_random_normal_and_dot_with_complex_dtypes():
    x = jaxlite.random.normal(jaxlite.random.PRNGKey(0), (2000,), jnp.complex64)
    assert x.dtype == C64
    # (re + i im) / sqrt 2: E|z|^2 = 1, the parts independent with variance 1/2.
    assert abs(np.mean(np.abs(x) ** 2) - 1) < 0.1
    assert abs(np.var(x.real) - 0.5) < 0.05 and abs(np.mean(x.real * x.imag)) < 0.05
    out = lax.dot(Z.astype(C64), Z.astype(C64), preferred_element_type=jnp.complex128)
    assert out.dtype == C128
    np.testing.assert_allclose(out, Z @ Z, rtol=1e-6)
    with pytest.raises(TypeError, match="preferred_element_type"):
        lax.dot(Z, Z, preferred_element_type=jnp.float64)


def test_more_operations_on_complex():
    m = crandn(3, 4)
    np.testing.assert_allclose(jnp.cov(m), np.cov(m), rtol=1e-13)
    np.testing.assert_allclose(jnp.corrcoef(m), np.corrcoef(m), rtol=1e-12)
    # logsumexp shifts by the largest real part: the principal log of the sum.
    np.testing.assert_allclose(jaxlite.nn.logsumexp(Z), np.log(np.sum(np.exp(Z))), rtol=1e-14)
    w = lax.reduce_window(m, 0j, lax.add, (2, 2), (1, 1), "VALID")
    np.testing.assert_allclose(w, m[:-1, :-1] + m[1:, :-1] + m[:-1, 1:] + m[1:, 1:], rtol=1e-14)
    np.testing.assert_array_equal(lax.broadcasted_iota(C64, (2, 3), 1), [[0, 1, 2]] * 2)
    np.testing.assert_allclose(lax.cumprod(Z), np.cumprod(Z), rtol=1e-14)
    with pytest.raises(ValueError, match="complex"):
        lax.top_k(Z, 2)
    with pytest.raises(TypeError, match="complex"):
        lax.bitcast_convert_type(Z, np.float64)
    # all/any are "nonzero" tests, as numpy (JAX 0.10.2 reads only the real
    # part there: jnp.all(jnp.array([1j])) is False in JAX, True here).
    assert jnp.all(np.array([1j, 1 + 0j])) and not jnp.any(np.array([0j, 0j]))
    np.testing.assert_array_equal(jnp.logical_not(np.array([1j, 0j])), [False, True])


def test_window_reductions_on_complex():
    m = (np.array([[1, 5, 2, 2], [3, 1, 4, 0], [2, 2, 6, 1]])
         + 1j * np.array([[0, 1, 2, 3], [1, 0, 1, 0], [3, 2, 1, 0]]))
    windows = np.stack([m[:-1, :-1], m[1:, :-1], m[:-1, 1:], m[1:, 1:]])
    np.testing.assert_array_equal(lax.reduce_window(m, -np.inf + 0j, lax.max, (2, 2), (1, 1),
                                                    "VALID"), windows.max(0))
    np.testing.assert_array_equal(lax.reduce_window(m, np.inf + 0j, lax.min, (2, 2), (1, 1),
                                                    "VALID"), windows.min(0))
    # Its gradient compares windows with ge, which JAX refuses on complex: TypeError.
    with pytest.raises(TypeError, match="complex128"):
        jaxlite.grad(lambda v: jnp.sum(jnp.abs(lax.reduce_window(
            v, -np.inf + 0j, lax.max, (1, 2), (1, 2), "VALID"))))(m)
    s = jaxlite.grad(lambda v: jnp.sum(jnp.abs(lax.reduce_window(v, 0j, lax.add, (1, 2), (1, 2),
                                                                 "VALID"))))(m)
    pair = m[:, 0::2] + m[:, 1::2]
    np.testing.assert_allclose(s, np.repeat(np.conj(pair) / np.abs(pair), 2, axis=1), rtol=1e-14)
