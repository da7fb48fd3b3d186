"""JAX's behaviour at the edges (issue 10, items 4-6): the error classes JAX
raises, out-of-bounds indexing, division and conversion edge values, cache
sharing, leaked tracers, long programs, and array conversion from Python
containers, __jax_array__, numpy scalars and numpy ufuncs. Expected values
and classes were read off JAX 0.10.2 (/work/jaxvenv) for the same calls."""
import sys
import time

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax
from jaxlite.experimental import disable_x64
from jaxlite.errors import (ConcretizationTypeError, TracerArrayConversionError,
                            TracerBoolConversionError, TracerIntegerConversionError,
                            UnexpectedTracerError)

THIS_FILE = "test_edges.py"


@pytest.fixture(autouse=True)
def _x64_off():
    """The expected dtypes are JAX's with x64 off (whatever mode the run starts in)."""
    with disable_x64():
        yield


# ------------------------------------------------------------ error classes

@pytest.mark.parametrize("f, cls", [
    # ValueError from broadcasting helpers, TypeError from the lax ops under ufuncs.
    (lambda: jnp.where(jnp.ones(2) > 0, jnp.ones(3), jnp.ones(4)), ValueError),
    (lambda: jnp.broadcast_to(jnp.ones(2), (3,)), ValueError),
    (lambda: jnp.broadcast_shapes((2,), (3,)), ValueError),
    (lambda: jnp.broadcast_arrays(np.ones(2), np.ones(3)), ValueError),
    (lambda: jnp.logaddexp(np.ones((2, 3)), np.ones(4)), ValueError),
    (lambda: jnp.linspace(np.ones(2), np.ones(3), 5), ValueError),
    (lambda: jnp.zeros(4).at[:2].set(np.ones(3)), ValueError),
    (lambda: jnp.add(jnp.ones(2), jnp.ones(3)), TypeError),
    (lambda: jnp.arctan2(np.ones(2), np.ones(3)), TypeError),
    (lambda: lax.add(np.ones(2, np.float32), np.ones(3, np.float32)), TypeError),
    # lax does not promote across dtypes or kinds.
    (lambda: lax.add(1, 1.0), TypeError),
    (lambda: lax.add(np.float32(1), 1), TypeError),
    (lambda: lax.mul(np.ones(2, np.float32), np.ones(2, np.int32)), TypeError),
    (lambda: lax.max(np.int8(1), 0.5), TypeError),
    # jnp functions refuse Python lists (jnp.array/asarray take them).
    (lambda: jnp.sum([1, 2]), TypeError),
    (lambda: jnp.sin([1.0, 2.0]), TypeError),
    (lambda: jnp.add([1, 2], 1), TypeError),
    # vjp cotangents of the wrong shape or kind.
    (lambda: jaxlite.vjp(jnp.sin, jnp.ones(3))[1](jnp.ones(2)), ValueError),
    (lambda: jaxlite.vjp(jnp.sin, jnp.ones(3))[1](jnp.ones(3, jnp.int32)), ValueError),
])
def test_error_classes_match_jax(f, cls):
    with pytest.raises(cls) as info:
        f()
    assert type(info.value) is cls or issubclass(type(info.value), cls)


def test_broadcast_and_vjp_messages_name_both_shapes():
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\).*\(4,\)"):
        jnp.where(jnp.ones(2) > 0, jnp.ones(3), jnp.ones(4))
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)") as info:
        jaxlite.vjp(jnp.sin, jnp.ones(3))[1](jnp.ones(2))
    assert "f32[2]" in str(info.value) and "f32[3]" in str(info.value)


def test_lists_still_make_arrays():
    np.testing.assert_array_equal(jnp.array([1, 2]), [1, 2])
    np.testing.assert_array_equal(jnp.asarray([[1.0], [2.0]]), [[1.0], [2.0]])
    assert jnp.array([1, 2]).dtype == np.int32
    np.testing.assert_array_equal(jnp.concatenate([jnp.ones(1), jnp.zeros(1)]), [1, 0])


# --------------------------------------------------- custom_vjp cotangent dtype

def test_custom_vjp_cotangent_follows_the_primal_dtype():
    seen = []

    @jaxlite.custom_vjp
    def f(a):
        return a * 2.0

    def f_bwd(_, ct):
        seen.append(ct.dtype)
        return (ct * 2.0,)
    f.defvjp(lambda a: (f(a), None), f_bwd)
    assert float(jaxlite.grad(lambda a: f(a) + a)(2.0)) == 3.0
    assert seen == [np.float32]
    assert jaxlite.grad(lambda a: f(a) + a)(np.float64(2.0)).dtype == np.float64


# ------------------------------------------------------- out-of-bounds indexing

X3 = np.arange(3.0, dtype=np.float32)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "jit"])
def test_out_of_bounds_indexing_as_jax(compiled):
    j = jaxlite.jit if compiled else (lambda f: f)
    idx = np.array([5, -5])
    x = jnp.asarray(X3)
    # Gathers (x[i]) clamp, take fills with NaN (mode="fill"), other modes as asked.
    np.testing.assert_array_equal(j(lambda x, i: x[i])(x, idx), [2.0, 0.0])
    np.testing.assert_array_equal(j(lambda x, i: jnp.take(x, i))(x, idx), [np.nan, np.nan])
    np.testing.assert_array_equal(j(lambda x, i: jnp.take(x, i, mode="clip"))(x, idx), [2, 0])
    np.testing.assert_array_equal(j(lambda x, i: jnp.take(x, i, mode="wrap"))(x, idx), [2, 1])
    np.testing.assert_array_equal(
        j(lambda x, i: jnp.take(x, i, fill_value=-1.0))(x, idx), [-1, -1])
    np.testing.assert_array_equal(
        j(lambda x, i: jnp.take(x.astype(jnp.int32), i))(x, idx), [np.iinfo(np.int32).min] * 2)
    np.testing.assert_array_equal(
        j(lambda x, i: jnp.take(x.astype(jnp.uint8), i))(x, idx), [255, 255])
    np.testing.assert_array_equal(
        j(lambda x, i: x.at[i].get(mode="fill", fill_value=7.0))(x, idx), [7, 7])
    # Scatters drop out-of-range updates.
    np.testing.assert_array_equal(j(lambda x, i: x.at[i].set(9.0))(x, np.array([5, 1])),
                                  [0, 9, 2])
    np.testing.assert_array_equal(j(lambda x, i: x.at[i].add(1.0))(x, np.array([-7, 0])),
                                  [1, 1, 2])


def test_static_out_of_bounds_ints():
    x = jnp.asarray(X3)
    assert float(x[5]) == 2.0 and float(x[-5]) == 0.0            # clamp, as JAX
    np.testing.assert_array_equal(x.at[5].set(9.0), X3)          # dropped
    np.testing.assert_array_equal(x.at[5].get(mode="fill", fill_value=-1.0), -1.0)
    with pytest.raises(ValueError, match="mode"):
        jnp.take(x, np.array([0]), mode="bogus")


def test_take_gradient_with_fill_is_zero_out_of_bounds():
    g = jaxlite.grad(lambda x: jnp.sum(jnp.take(x, np.array([1, 7]), fill_value=0.0)))(X3)
    np.testing.assert_array_equal(g, [0, 1, 0])


# ------------------------------------------------- division and conversion edges

@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "jit"])
def test_float_floor_divide_by_zero_is_inf(compiled):
    f = jaxlite.jit(lambda x: x // 0.0) if compiled else (lambda x: x // 0.0)
    for dt in (np.float16, np.float32, np.float64):
        out = f(jnp.array([1.0, -1.0, 0.0], dt))
        np.testing.assert_array_equal(out, [np.inf, -np.inf, np.nan])
        assert out.dtype == dt


SPECIAL = np.array([np.nan, np.inf, -np.inf, 3e9, -3e9, 2.7, -2.7, 300.0, -300.0, -0.5],
                   np.float32)
# JAX's results (float32 -> each type), read off JAX 0.10.2 with x64 on.
F2I = {
    "int8": [0, 127, -128, 127, -128, 2, -2, 127, -128, 0],
    "uint8": [0, 255, 0, 255, 0, 2, 0, 255, 0, 0],
    "int32": [0, 2 ** 31 - 1, -2 ** 31, 2 ** 31 - 1, -2 ** 31, 2, -2, 300, -300, 0],
    "uint32": [0, 2 ** 32 - 1, 0, 3000000000, 0, 2, 0, 300, 0, 0],
    "int64": [0, 2 ** 63 - 1, -2 ** 63, 3000000000, -3000000000, 2, -2, 300, -300, 0],
    "uint64": [0, 2 ** 64 - 1, 0, 3000000000, 0, 2, 0, 300, 0, 0],
}


@pytest.mark.parametrize("dt", sorted(F2I))
def test_float_to_int_conversion_saturates_the_same_eager_and_jit(dt):
    want = np.array(F2I[dt], dtype=dt)
    eager = jnp.asarray(SPECIAL).astype(dt)
    compiled = jaxlite.jit(lambda v: v.astype(dt))(SPECIAL)
    np.testing.assert_array_equal(eager, want)
    np.testing.assert_array_equal(compiled, want)
    np.testing.assert_array_equal(lax.convert_element_type(SPECIAL, dt), want)


def test_int_to_unsigned_wraps_and_unsigned_never_changes_sign():
    x = jnp.array([-1, 256, 300], jnp.int32)
    np.testing.assert_array_equal(x.astype(jnp.uint8), [255, 0, 44])     # as JAX
    big = np.array([2 ** 32 - 1, 2 ** 31], np.uint32)
    for f in (lambda v: v.astype(jnp.float64), lambda v: v // np.uint32(1) + np.uint32(0)):
        np.testing.assert_array_equal(f(jnp.asarray(big)), big)
        np.testing.assert_array_equal(jaxlite.jit(f)(big), big)
    assert jnp.asarray(big).dtype == np.uint32 and int(jnp.max(jnp.asarray(big))) == 2 ** 32 - 1


# ----------------------------------------------------------------- jit caches

def test_jit_of_the_same_function_shares_its_trace_cache():
    traces = []

    def f(x):
        traces.append(1)
        return x * 2.0
    for _ in range(5):
        jaxlite.jit(f)(np.ones(3, np.float32))
    jaxlite.jit(f).lower(np.ones(3, np.float32))
    assert len(traces) == 1
    jaxlite.jit(f, static_argnums=())(np.ones(3, np.float32))    # same spec, same cache
    assert len(traces) == 1
    jaxlite.clear_caches()
    jaxlite.jit(f)(np.ones(3, np.float32))
    assert len(traces) == 2


# ------------------------------------------------------------ tracer errors

def test_bool_of_a_tracer_is_a_tracer_bool_conversion_error():
    def f(x):
        if x > 0:
            return x
        return -x
    with pytest.raises(TracerBoolConversionError) as info:
        jaxlite.jit(f)(1.0)
    assert isinstance(info.value, ConcretizationTypeError)
    assert THIS_FILE in str(info.value) and "if x > 0" in str(info.value)


def test_index_and_array_conversions_of_tracers():
    with pytest.raises(TracerIntegerConversionError):
        jaxlite.jit(lambda i: [1, 2, 3][i])(1)
    with pytest.raises(TracerArrayConversionError) as info:
        jaxlite.jit(lambda x: np.asarray(x))(1.0)
    assert THIS_FILE in str(info.value)


def test_numpy_ufuncs_on_tracers_run_jnp_or_raise_with_the_line():
    x = np.linspace(0.1, 2.0, 5)
    f = jaxlite.jit(lambda v: np.sin(v) * np.exp(-v) + np.maximum(v, 1.0))
    np.testing.assert_allclose(f(x), np.sin(x) * np.exp(-x) + np.maximum(x, 1.0), rtol=1e-12)
    np.testing.assert_allclose(jaxlite.grad(lambda v: np.tanh(v) * 2.0)(0.3),
                               2.0 / np.cosh(0.3) ** 2, rtol=1e-6)
    np.testing.assert_allclose(jaxlite.vmap(lambda v: np.ones(3) + v)(x), x[:, None] + np.ones(3))
    with pytest.raises(TracerArrayConversionError) as info:
        jaxlite.jit(lambda v: np.add.reduce(v))(x)
    assert "add.reduce" in str(info.value) and THIS_FILE in str(info.value)
    # On concrete jaxlite arrays numpy's ufuncs just work (they are ndarrays).
    np.testing.assert_allclose(np.sin(jnp.asarray(x)), np.sin(x))


def _leak(transform, arg):
    box = []

    def f(x):
        box.append(x * 2.0)
        return x
    transform(f)(arg)
    return box[0]


@pytest.mark.parametrize("name, transform, arg", [
    ("jit", jaxlite.jit, 1.0),
    ("vmap", jaxlite.vmap, np.ones(2)),
    ("grad", jaxlite.grad, 1.0),
])
def test_leaked_tracers_raise_unexpected_tracer_error(name, transform, arg):
    leaked = _leak(transform, arg)
    with pytest.raises(UnexpectedTracerError) as info:
        jnp.sin(leaked)
    msg = str(info.value)
    assert THIS_FILE in msg     # where it was created or where its transform started
    assert not isinstance(info.value, ConcretizationTypeError)


# ----------------------------------------------------------- long programs

def _chain(n):
    def f(x):
        for _ in range(n):
            x = x * 1.0001 + 0.0001
        return x
    return f


def test_ten_thousand_equations_compile_without_recursion():
    limit = sys.getrecursionlimit()
    x = np.ones(4, np.float32)
    f = _chain(5000)        # 10 000 equations
    want = x
    for _ in range(5000):
        want = want * np.float32(1.0001) + np.float32(0.0001)
    try:
        sys.setrecursionlimit(400)      # nothing may recurse over the program's length
        out = jaxlite.jit(f)(x)
        g = jaxlite.jit(jaxlite.grad(lambda v: jnp.sum(f(v))))(x)
    finally:
        sys.setrecursionlimit(limit)
    np.testing.assert_allclose(out, want, rtol=1e-4)
    np.testing.assert_allclose(g, np.full(4, 1.0001 ** 5000), rtol=1e-3)


def test_compile_time_grows_linearly():
    def seconds(n):
        start = time.perf_counter()
        jaxlite.jit(_chain(n)).lower(np.ones(4, np.float32)).compile()
        return time.perf_counter() - start
    seconds(100)
    small, large = seconds(500), seconds(4000)
    assert large < 8 * small * 3, (small, large)     # 8x the equations; quadratic would be 64x


# ------------------------------------------------------------- conversions

class _HasJaxArray:
    def __init__(self, v):
        self.v = v

    def __jax_array__(self):
        return jnp.asarray(self.v)


def test_jax_array_protocol():
    obj = _HasJaxArray(np.arange(3.0))
    np.testing.assert_array_equal(jnp.asarray(obj), [0, 1, 2])
    np.testing.assert_allclose(jnp.sin(obj), np.sin(np.arange(3.0)))
    np.testing.assert_array_equal(jnp.add(obj, 1.0), [1, 2, 3])


@pytest.mark.parametrize("t", [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                               np.uint16, np.uint32, np.uint64, np.float16, np.float32,
                               np.float64])
def test_numpy_scalars_of_every_dtype(t):
    s = t(1)
    assert jnp.asarray(s).dtype == np.dtype(t)
    assert (jnp.ones(2, t) + s).dtype == np.dtype(t)
    assert jaxlite.jit(lambda v: v)(s).dtype == np.dtype(t)


def test_nested_containers_and_byte_order():
    np.testing.assert_array_equal(jnp.array([[1, 2], (3, 4)]), [[1, 2], [3, 4]])
    assert jnp.array([1, 2.5]).dtype == np.float32 and jnp.array([True, 2]).dtype == np.int32
    assert jnp.array([np.uint8(1), 2]).dtype == np.uint8
    swapped = np.arange(4, dtype=">i4")
    x = jnp.asarray(swapped)
    assert x.dtype == np.int32 and x.dtype.isnative
    np.testing.assert_array_equal(jnp.sum(x), 6)
