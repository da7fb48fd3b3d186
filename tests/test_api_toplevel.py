"""Top-level API extras: the device API, checkpoint / named_call no-ops,
ShapeDtypeStruct with eval_shape, clear_caches and debug.print."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import tree

def test_devices():
    devs = jaxlite.devices()
    assert len(devs) == 1 and repr(devs[0]) == "CpuDevice(id=0)"
    assert devs[0].platform == "cpu" and devs[0].id == 0
    assert jaxlite.local_devices() == devs and jaxlite.devices("cpu") == devs
    assert jaxlite.device_count() == jaxlite.local_device_count() == 1
    assert jaxlite.default_backend() == "cpu"
    assert jaxlite.process_index() == 0 and jaxlite.process_count() == 1
    with pytest.raises(RuntimeError, match="gpu"):
        jaxlite.devices("gpu")


def test_device_put_get_round_trip():
    src = {"w": np.arange(6.0).reshape(2, 3), "n": (np.int32(3), 2.5, True), "none": None}
    put = jaxlite.device_put(src, jaxlite.devices()[0])
    assert tree.structure(put) == tree.structure(src)
    for leaf, orig in zip(tree.leaves(put), tree.leaves(src)):
        assert isinstance(leaf, jaxlite.Array)
        np.testing.assert_array_equal(leaf, orig)
    assert put["w"].dtype == np.float64 and put["n"][0].dtype == np.int32
    assert put["n"][1].dtype == np.float32 and put["n"][2].dtype == np.bool_
    src["w"][0, 0] = 100.0          # device_put copied: the put value is unchanged
    assert put["w"][0, 0] == 0.0
    got = jaxlite.device_get(put)
    assert tree.structure(got) == tree.structure(src)
    for leaf, orig in zip(tree.leaves(got), tree.leaves(put)):
        assert type(leaf) is np.ndarray
        np.testing.assert_array_equal(leaf, orig)
    got["w"][0, 0] = -1.0          # a writable host copy
    assert put["w"][0, 0] == 0.0
    # Leaves without __array__ pass through device_get, as in JAX.
    assert jaxlite.device_get({"s": 1.5, "t": "tag"}) == {"s": 1.5, "t": "tag"}


def test_device_put_under_jit_and_bad_device():
    f = jaxlite.jit(lambda x: jaxlite.device_put(x) * 2)
    np.testing.assert_allclose(f(np.arange(3.0)), [0.0, 2.0, 4.0])
    with pytest.raises(TypeError, match="device"):
        jaxlite.device_put(np.ones(2), "gpu:0")
    with pytest.raises(TypeError):
        jaxlite.device_put(object())
    a = jnp.ones(3)
    assert jaxlite.device_put(a) is a       # already a device array
    assert jaxlite.block_until_ready({"a": a})["a"] is a


# ---------------------------------------------------- checkpoint and naming

def _fd(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("wrap", [
    lambda f: jaxlite.checkpoint(f),
    lambda f: jaxlite.checkpoint(f, prevent_cse=False,
                                 policy=jaxlite.checkpoint_policies.dots_saveable),
    lambda f: jaxlite.remat(f, static_argnums=()),
    lambda f: jaxlite.checkpoint(policy=jaxlite.checkpoint_policies.nothing_saveable)(f),
    lambda f: jaxlite.named_call(f, name="layer"),
])
def test_checkpoint_and_named_call_under_grad(wrap):
    def layer(x):
        return jnp.sin(x) * jnp.exp(x / 3)

    def loss(x):
        return jnp.sum(wrap(layer)(wrap(layer)(x)))
    x = np.linspace(-1.0, 1.0, 4)
    g = jaxlite.grad(loss)(x)
    ref = [_fd(lambda t: float(np.sum(_np_layer(_np_layer(
        np.where(np.arange(4) == i, t, x))))), x[i]) for i in range(4)]
    np.testing.assert_allclose(g, ref, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jaxlite.jit(jaxlite.grad(loss))(x), ref, rtol=1e-6, atol=1e-8)


def _np_layer(x):
    return np.sin(x) * np.exp(x / 3)


def test_checkpoint_rejects_non_callables_and_named_scope():
    with pytest.raises(TypeError):
        jaxlite.checkpoint(3)
    with pytest.raises(TypeError):
        jaxlite.named_call("f")
    with jaxlite.named_scope("block"):
        y = jnp.add(1.0, 2.0)
    assert float(y) == 3.0
    with pytest.raises(TypeError, match="string"):
        with jaxlite.named_scope(3):
            pass


# ------------------------------------------------- ShapeDtypeStruct / eval_shape

def test_shape_dtype_struct():
    s = jaxlite.ShapeDtypeStruct((2, 3), np.float32)
    assert s.shape == (2, 3) and s.dtype == np.float32 and s.ndim == 2 and s.size == 6
    assert s == jaxlite.ShapeDtypeStruct([2, 3], "float32") and hash(s) == hash(
        jaxlite.ShapeDtypeStruct((2, 3), np.float32))
    assert s != jaxlite.ShapeDtypeStruct((2, 3), np.float64)
    assert "(2, 3)" in repr(s) and "float32" in repr(s)
    with pytest.raises(ValueError):
        jaxlite.ShapeDtypeStruct((2, -1), np.float32)
    with pytest.raises(TypeError):
        jaxlite.ShapeDtypeStruct((2.5,), np.float32)


def test_eval_shape_with_shape_dtype_structs():
    S = jaxlite.ShapeDtypeStruct

    def f(params, x, scale=1.0):
        h = jnp.tanh(x @ params["w"] + params["b"])
        return {"out": h * scale, "norm": jnp.sum(h ** 2, axis=-1).astype(jnp.float64)}
    params = {"w": S((5, 4), np.float32), "b": S((4,), np.float32)}
    out = jaxlite.eval_shape(f, params, S((8, 5), np.float32), scale=2.0)
    assert out == {"out": S((8, 4), np.float32), "norm": S((8,), np.float64)}
    # The same result as for concrete arguments of those shapes.
    concrete = {"w": np.zeros((5, 4), np.float32), "b": np.zeros(4, np.float32)}
    ref = jaxlite.eval_shape(f, concrete, np.zeros((8, 5), np.float32))
    ref_real = f(concrete, np.zeros((8, 5), np.float32))
    assert ref == out
    assert all(o.shape == r.shape and o.dtype == r.dtype for o, r in zip(
        tree.leaves(out), tree.leaves(ref_real)))
    # ShapedArray leaves (what jaxlite.api.eval_shape used to return) are accepted too.
    aval = jaxlite.core.ShapedArray((3,), np.float64)
    assert jaxlite.eval_shape(jnp.cumsum, aval) == S((3,), np.float64)
    with pytest.raises(TypeError):
        jaxlite.eval_shape(lambda a, b: a + b, S((3,), np.float32), S((4,), np.float32))


def test_make_jaxpr_shape_structs_return_shape_and_eqn_names():
    S = jaxlite.ShapeDtypeStruct
    closed = jaxlite.make_jaxpr(lambda x: jnp.sin(x @ x.T))(S((2, 3), np.float32))
    assert [(a.shape, a.dtype) for a in closed.out_avals] == [((2, 2), np.float32)]
    closed, shapes = jaxlite.make_jaxpr(lambda x, y: {"a": x * y, "b": (jnp.sum(y), 1.0)},
                                        return_shape=True)(np.float32(2.0), np.ones(3, np.float32))
    assert shapes == {"a": S((3,), np.float32),
                      "b": (S((), np.float32), S((), np.float32, weak_type=True))}
    # JAX's JaxprEqn names: primitive, invars, outvars, params
    eqns = closed.jaxpr.eqns
    assert [e.primitive.name for e in eqns] == [e.prim.name for e in eqns]
    assert "mul" in [e.primitive.name for e in eqns]
    mul = next(e for e in eqns if e.primitive.name == "mul")
    assert mul.invars[0] is closed.jaxpr.invars[0] and mul.outvars[0].aval.shape == (3,)
    np.testing.assert_allclose(closed(np.float32(2.0), np.arange(3.0, dtype=np.float32))[0],
                               [0.0, 2.0, 4.0])


# -------------------------------------------------------------- clear_caches

def test_clear_caches_then_jit_still_works():
    import jaxlite.compiler.cache as ccache
    f = jaxlite.jit(lambda x: jnp.sin(x) * 2.0)
    x = np.linspace(0.0, 1.0, 5)
    np.testing.assert_allclose(f(x), np.sin(x) * 2.0, rtol=1e-12)
    g = jaxlite.grad(lambda x: jnp.sum(f(x)))
    np.testing.assert_allclose(g(x), 2 * np.cos(x), rtol=1e-12)
    assert ccache.memory
    jaxlite.clear_caches()
    assert not ccache.memory
    np.testing.assert_allclose(f(x), np.sin(x) * 2.0, rtol=1e-12)
    np.testing.assert_allclose(g(x), 2 * np.cos(x), rtol=1e-12)
    h = jaxlite.jit(lambda x: x + 1.0)          # a fresh compile after clearing
    np.testing.assert_allclose(h(x), x + 1.0)
    np.testing.assert_allclose(jaxlite.vmap(f)(x[:, None]), 2 * np.sin(x)[:, None], rtol=1e-12)


# ---------------------------------------------------------------- debug.print

def test_debug_print_eager_jit_and_grad(capsys):
    def f(x):
        jaxlite.debug.print("x={} total={t:.2f}", x, t=jnp.sum(x))
        return jnp.sum(x * x)
    f(np.array([1.0, 2.0]))
    assert capsys.readouterr().out == "x=[1. 2.] total=3.00\n"
    jf = jaxlite.jit(f)
    jf(np.array([1.0, 2.0], np.float32))
    assert capsys.readouterr().out == "x=[1. 2.] total=3.00\n"
    jf(np.array([5.0, 2.0], np.float32))      # compiled: prints the values every call
    assert capsys.readouterr().out == "x=[5. 2.] total=7.00\n"
    jaxlite.vmap(f)(np.array([[1.0], [2.0]]))  # once per element, as JAX
    assert capsys.readouterr().out == "x=[1.] total=1.00\nx=[2.] total=2.00\n"
    jaxlite.grad(f)(np.array([3.0, 4.0]))
    assert capsys.readouterr().out == "x=[3. 4.] total=7.00\n"
    with pytest.raises(TypeError):
        jaxlite.debug.print(3)


# ------------------------------------------------ float0 and stop_gradient

def test_float0_is_the_tangent_dtype_of_integers():
    assert jaxlite.float0.itemsize == 0 and jaxlite.float0.names == ("float0",)
    z = np.zeros((2, 3), jaxlite.float0)
    assert z.shape == (2, 3) and z.dtype == jaxlite.float0


def test_top_level_stop_gradient():
    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_array_equal(jaxlite.stop_gradient(x), x)
    g = jaxlite.grad(lambda a: jnp.sum(jaxlite.stop_gradient(a) * a))(x)
    np.testing.assert_allclose(g, x)


# ------------------------------------------------------------------ jax.ops

def test_segment_reductions_against_a_loop():
    rng = np.random.default_rng(5)
    data = rng.normal(size=(7, 2))
    ids = np.array([0, 3, 3, 1, 0, 3, -1])       # -1 and ids >= num_segments are dropped
    want = {k: np.full((4, 2), v) for k, v in (("sum", 0.0), ("prod", 1.0),
                                                ("max", -np.inf), ("min", np.inf))}
    for row, s in zip(data, ids):
        if 0 <= s < 4:
            want["sum"][s] += row
            want["prod"][s] *= row
            want["max"][s] = np.maximum(want["max"][s], row)
            want["min"][s] = np.minimum(want["min"][s], row)
    for k in want:
        got = getattr(jaxlite.ops, f"segment_{k}")(data, ids, num_segments=4)
        np.testing.assert_allclose(got, want[k], rtol=1e-12)
    np.testing.assert_allclose(jaxlite.ops.segment_sum(data, np.array([0, 1, 1, 2, 0, 1, 2])),
                               [data[[0, 4]].sum(0), data[[1, 2, 5]].sum(0), data[[3, 6]].sum(0)])
    # under jit (num_segments static), grad (a scatter-add's transpose is a gather) and vmap
    f = jaxlite.jit(lambda d, i: jaxlite.ops.segment_sum(d, i, num_segments=4))
    np.testing.assert_allclose(f(data, ids), want["sum"], rtol=1e-12)
    g = jaxlite.grad(lambda d: jnp.sum(jaxlite.ops.segment_sum(d, ids, 4) ** 2))(data)
    np.testing.assert_allclose(g, np.where((ids >= 0)[:, None], 2 * want["sum"][ids], 0.0),
                               rtol=1e-12)
    with pytest.raises(jaxlite.ConcretizationTypeError, match="num_segments"):
        jaxlite.jit(lambda d, i: jaxlite.ops.segment_sum(d, i))(data, ids)
    empty = jaxlite.ops.segment_max(np.arange(3, dtype=np.int32), np.array([0, 0, 2]), 3)[1]
    assert int(empty) == np.iinfo(np.int32).min             # the identity of max


def test_traced_values_are_instances_of_array_as_in_jax():
    seen = []

    def f(x):
        seen.append((isinstance(x, jaxlite.Array), isinstance(x, jnp.ndarray),
                     isinstance(x, np.ndarray), type(x) is jaxlite.Array))
        return x * 2
    jaxlite.jit(f)(np.ones(2, np.float32))
    jaxlite.grad(lambda x: jnp.sum(f(x)))(np.ones(2, np.float32))
    jaxlite.vmap(f)(np.ones((3, 2), np.float32))
    assert seen == [(True, True, False, False)] * 3
    concrete = jnp.ones(2)
    assert isinstance(concrete, jaxlite.Array) and type(concrete) is jaxlite.Array
    assert not isinstance(np.ones(2), jaxlite.Array)
    # only Array itself: a tracer is no DeletedArray
    assert not isinstance(jaxlite.make_jaxpr(lambda x: x)(1.0), jaxlite.core.DeletedArray)
    held = []
    jaxlite.jit(lambda x: held.append(isinstance(x, jaxlite.core.DeletedArray)) or x)(1.0)
    assert held == [False]


def test_jax_names_for_dtypes_errors_and_stax_reexports():
    assert jnp.double is jnp.float64 and jnp.single is jnp.float32
    assert jnp.cdouble is jnp.complex128 and jnp.csingle is jnp.complex64
    assert issubclass(jnp.floating, jnp.generic) and jnp.character is np.character
    assert issubclass(jnp.character, jnp.flexible)
    d = jaxlite.dtypes
    assert d.canonicalize_dtype(np.float64) == np.float32     # x64 off
    assert d.canonicalize_dtype(np.int8) == np.int8 and d.canonicalize_dtype(np.int64) == np.int32
    with jaxlite.experimental.enable_x64():
        assert d.canonicalize_dtype(np.float64) == np.float64
    assert d.scalar_type_of(np.float32(1)) is float and d.scalar_type_of(jnp.ones(2, bool)) is bool
    assert d.itemsize_bits(np.int16) == 16 and d.issubdtype(np.float32, np.floating)
    assert issubclass(d.TypePromotionError, ValueError)
    e = jaxlite.errors
    assert issubclass(e.NonConcreteBooleanIndexError, e.JAXIndexError)
    assert issubclass(e.JAXIndexError, IndexError) and issubclass(e.JAXTypeError, TypeError)
    assert issubclass(e.JaxRuntimeError, RuntimeError)
    from jaxlite.example_libraries import stax
    assert stax.relu is jaxlite.nn.relu and stax.glorot_normal is jaxlite.nn.initializers.glorot_normal


def test_typing_x64_devices_and_environment_names_as_jax():
    from jaxlite.typing import ArrayLike, DTypeLike

    def f(x: ArrayLike, dtype: DTypeLike = np.float32) -> jaxlite.Array:
        return jnp.asarray(x, dtype)
    assert f([1, 2]).dtype == np.float32
    assert jaxlite.Array in ArrayLike.__args__ and np.ndarray in ArrayLike.__args__
    with jaxlite.enable_x64(True):
        assert jnp.arange(3.0).dtype == np.float64
    assert jnp.arange(3.0).dtype == np.float32
    with jaxlite.default_device(jaxlite.devices()[0]):
        assert jnp.ones(2).devices() == {jaxlite.devices()[0]}
    with pytest.raises(ValueError):
        with jaxlite.default_device("gpu"):
            pass
    assert (jaxlite.host_id(), jaxlite.host_count(), jaxlite.process_indices()) == (0, 1, [0])
    text = jaxlite.print_environment_info(return_string=True)
    assert "jaxlite:" in text and "numpy:" in text and "llvmlite:" in text


def test_lax_split_and_tile_as_jax():
    from jaxlite import lax
    x = np.arange(10.0).reshape(2, 5)
    parts = lax.split(x, (1, 4), axis=1)
    np.testing.assert_array_equal(parts[0], x[:, :1])
    np.testing.assert_array_equal(parts[1], x[:, 1:])
    with pytest.raises(ValueError, match="Sum of sizes"):
        lax.split(x, (2, 2), axis=1)
    np.testing.assert_array_equal(lax.tile(x, (2, 3)), np.tile(x, (2, 3)))
    np.testing.assert_array_equal(jaxlite.jit(lambda v: lax.tile(v, (1, 2)))(x), np.tile(x, (1, 2)))
    g = jaxlite.grad(lambda v: jnp.sum(lax.tile(v, (3,)) ** 2) + jnp.sum(lax.split(v, (1, 2))[1]))
    np.testing.assert_allclose(g(np.array([1.0, 2.0, 3.0])), 6 * np.array([1.0, 2.0, 3.0]) + [0, 1, 1])
