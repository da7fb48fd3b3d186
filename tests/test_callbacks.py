"""pure_callback and io_callback (jaxlite/callbacks.py, compiler/callback.py):
values eagerly and compiled, JAX's errors, vmap methods, dead-code rules."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax
from jaxlite.experimental import io_callback

X = np.linspace(-1.0, 2.0, 6, dtype=np.float32)


def np_sin(x):
    return jaxlite.pure_callback(lambda v: np.sin(np.asarray(v)),
                                 jaxlite.ShapeDtypeStruct(x.shape, x.dtype), x,
                                 vmap_method="sequential")


@pytest.mark.parametrize("wrap", [lambda f: f, jaxlite.jit], ids=["eager", "jit"])
def test_values_pytrees_and_keywords(wrap):
    def f(x, scale):
        out = jaxlite.ShapeDtypeStruct(x.shape, x.dtype), jaxlite.ShapeDtypeStruct((), np.int32)
        return jaxlite.pure_callback(
            lambda a, s, k: {"y": np.asarray(a) * s + k, "n": np.int32(a.size)}["y"],
            out[0], x, scale, k=np.float32(1.0))
    np.testing.assert_allclose(wrap(f)(X, 3.0), X * 3 + 1, rtol=1e-6)

    def g(x):
        shapes = {"sum": jaxlite.ShapeDtypeStruct((), x.dtype),
                  "twice": jaxlite.ShapeDtypeStruct(x.shape, x.dtype)}
        return jaxlite.pure_callback(lambda v: {"sum": np.sum(v), "twice": 2 * np.asarray(v)},
                                     shapes, x)
    got = wrap(g)(X)
    np.testing.assert_allclose(got["sum"], np.sum(X), rtol=1e-6)
    np.testing.assert_allclose(got["twice"], 2 * X)
    assert got["sum"].dtype == np.float32


def test_inside_compiled_loops_and_with_literal_operands():
    def body(i, c):
        return c + np_sin(c * 0.5) + jaxlite.pure_callback(
            lambda k: np.float32(k), jaxlite.ShapeDtypeStruct((), np.float32), i)
    got = jaxlite.jit(lambda c: lax.fori_loop(0, 3, body, c))(X)
    want = X.copy()
    for i in range(3):
        want = want + np.sin(want * 0.5) + i
    np.testing.assert_allclose(got, want, rtol=1e-5)
    two = jaxlite.jit(lambda x: np_sin(jnp.float32(2.0)) + x)(X)
    np.testing.assert_allclose(two, X + np.sin(2.0), rtol=1e-6)


@pytest.mark.parametrize("wrap", [lambda f: f, jaxlite.jit], ids=["eager", "jit"])
def test_results_are_checked_with_jax_runtime_errors(wrap):
    # JaxRuntimeError is a RuntimeError, as JAX's
    def returning(value, shape=(6,), dtype=np.float32):
        return wrap(lambda x: jaxlite.pure_callback(
            lambda v: value, jaxlite.ShapeDtypeStruct(shape, dtype), x))
    with pytest.raises(RuntimeError, match=r"output shape for return value #0: "
                                           r"Expected: \(6,\), Actual: \(3,\)"):
        returning(np.zeros(3, np.float32))(X)
    with pytest.raises(RuntimeError, match="output dtype for return value #0"):
        returning(np.zeros(6, np.int32))(X)
    with pytest.raises(RuntimeError, match="Mismatched number of outputs"):
        returning((np.zeros(6, np.float32), np.zeros(6, np.float32)))(X)
    # float64 results narrow to a declared float32 (x64 off), as JAX canonicalizes them
    got = returning(np.arange(6.0))(X)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.arange(6.0))


def test_an_exception_in_a_callback_is_jaxs_runtime_error_caused_by_it():
    def boom(v):
        raise ZeroDivisionError("from the callback")
    call = lambda x: jaxlite.pure_callback(boom, jaxlite.ShapeDtypeStruct((6,),  # noqa: E731
                                                                         np.float32), x)
    for f in (call, jaxlite.jit(call), jaxlite.jit(call)):  # the fast path must not swallow it
        with pytest.raises(jaxlite.errors.JaxRuntimeError,
                           match="ZeroDivisionError: from the callback") as info:
            f(X)
        assert isinstance(info.value.__cause__, ZeroDivisionError)
    np.testing.assert_allclose(jaxlite.jit(np_sin)(X), np.sin(X), rtol=1e-6)


def test_no_derivatives_as_jax():
    with pytest.raises(ValueError, match="Pure callbacks do not support JVP"):
        jaxlite.grad(lambda x: jnp.sum(np_sin(x)))(X)
    with pytest.raises(ValueError, match="IO callbacks do not support JVP"):
        jaxlite.jvp(lambda x: io_callback(lambda v: v, jaxlite.ShapeDtypeStruct((6,),
                                                                               np.float32), x),
                    (X,), (X,))


def test_custom_jvp_around_a_callback_differentiates():
    f = jaxlite.custom_jvp(np_sin)
    f.defjvp(lambda p, t: (f(p[0]), jnp.cos(p[0]) * t[0]))
    np.testing.assert_allclose(jaxlite.jit(jaxlite.grad(lambda x: jnp.sum(f(x))))(X),
                               np.cos(X), rtol=1e-6)


def test_vmap_methods():
    calls = []

    def add(a, b):
        calls.append((np.shape(a), np.shape(b)))
        return np.asarray(a) + np.asarray(b)

    def f(x, y, method):
        return jaxlite.pure_callback(add, jaxlite.ShapeDtypeStruct(x.shape, x.dtype), x, y,
                                     vmap_method=method)
    xs, y = np.arange(8, dtype=np.float32).reshape(4, 2), np.full(2, 10.0, np.float32)
    for method, seen in [("sequential", [((2,), (2,))] * 4),
                         ("sequential_unrolled", [((2,), (2,))] * 4),
                         ("expand_dims", [((4, 2), (1, 2))]),
                         ("broadcast_all", [((4, 2), (4, 2))])]:
        calls.clear()
        got = jaxlite.vmap(lambda x: f(x, y, method))(xs)
        np.testing.assert_array_equal(got, xs + 10)
        assert calls == seen, method
    np.testing.assert_array_equal(
        jaxlite.jit(jaxlite.vmap(lambda x: f(x, y, "sequential"), in_axes=1, out_axes=1))(xs.T),
        xs.T + 10)
    with pytest.raises(NotImplementedError, match="vmap_method"):
        jaxlite.vmap(lambda x: f(x, y, None))(xs)
    with pytest.raises(ValueError, match="vmap_method must be one of"):
        f(xs, y, "in_parallel")


def test_unused_pure_callbacks_are_dropped_io_callbacks_are_not():
    pure, io = [], []

    def f(x):
        jaxlite.pure_callback(lambda v: pure.append(1) or np.asarray(v),
                              jaxlite.ShapeDtypeStruct(x.shape, x.dtype), x)
        io_callback(lambda v: io.append(1) or np.asarray(v),
                    jaxlite.ShapeDtypeStruct(x.shape, x.dtype), x)
        return x + 1
    g = jaxlite.jit(f)
    g(X)
    g(X)
    assert pure == [] and io == [1, 1]


def test_io_callback_runs_in_program_order_and_ordered_ones_do_not_vmap():
    log = []

    def f(x):
        for k in range(3):
            x = io_callback(lambda v, k=k: log.append(k) or np.asarray(v) + 1,
                            jaxlite.ShapeDtypeStruct(x.shape, x.dtype), x, ordered=True)
        return x
    np.testing.assert_array_equal(jaxlite.jit(f)(X), X + 3)
    assert log == [0, 1, 2]
    with pytest.raises(ValueError, match="Cannot `vmap` ordered IO callback"):
        jaxlite.vmap(f)(np.ones((2, 3), np.float32))


def test_bad_result_shape_dtypes_is_a_type_error():
    with pytest.raises(TypeError, match="result_shape_dtypes"):
        jaxlite.pure_callback(lambda v: v, (6,), X)


def test_eager_calls_do_not_accumulate_registrations():
    from jaxlite import callbacks
    np_sin(X)
    before = len(callbacks._registry)
    for _ in range(50):
        np_sin(X)
        io_callback(lambda v: np.asarray(v), jaxlite.ShapeDtypeStruct((6,), np.float32), X)
    assert len(callbacks._registry) == before
    np.testing.assert_allclose(jaxlite.jit(np_sin)(X), np.sin(X), rtol=1e-6)


def test_callbacks_without_results_or_operands_under_jit():
    log = []

    @jaxlite.jit
    def f(x):
        io_callback(lambda: log.append("tick"), None)
        io_callback(lambda v: log.append(float(v[0])), None, x)
        return x + 1
    f(X)
    f(X)
    assert log == ["tick", float(X[0])] * 2
