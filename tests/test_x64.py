"""x64 mode (jax_enable_x64): Python scalars and dtype-less creation functions
become 64-bit, as in JAX; arrays keep their dtypes in both modes. Expected
dtypes were read off JAX 0.10.2 (/work/jaxvenv) in the same mode.

CI also runs tests/test_transforms_every_primitive.py with JAX_ENABLE_X64=1."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax, random
from jaxlite.experimental import enable_x64, disable_x64

F32, F64, I32, I64 = (np.dtype(t) for t in ("float32", "float64", "int32", "int64"))


def _defaults():
    return [jnp.zeros(3).dtype, jnp.ones(2).dtype, jnp.arange(3).dtype, jnp.array(1.0).dtype,
            jnp.array(1).dtype, jnp.linspace(0, 1, 3).dtype, jnp.eye(2).dtype,
            jnp.full(2, 1.5).dtype, jnp.sin(jnp.zeros(1, jnp.int32)).dtype,
            jnp.sin(jnp.zeros(1, jnp.int8)).dtype, jnp.sin(jnp.zeros(1, jnp.uint8)).dtype,
            jnp.sin(jnp.zeros(1, bool)).dtype, jnp.sin(jnp.zeros(1, jnp.int64)).dtype,
            jnp.sum(jnp.zeros(2, jnp.int8)).dtype, jnp.sum(jnp.zeros(2, jnp.uint8)).dtype,
            jnp.sum(jnp.zeros(2, jnp.int32)).dtype, jnp.sum(jnp.zeros(2, jnp.float16)).dtype,
            jnp.argmax(jnp.zeros(3)).dtype, jnp.nonzero(jnp.ones(3))[0].dtype,
            jnp.tril_indices(3)[0].dtype, jnp.cumsum(jnp.zeros(2, jnp.uint8)).dtype,
            jnp.prod(jnp.zeros(2, jnp.int8)).dtype, jnp.max(jnp.zeros(2, jnp.int8)).dtype]


# JAX's answers for _defaults(), x64 off and on.
JAX_X32 = ("f32 f32 i32 f32 i32 f32 f32 f32 f32 f32 f32 f32 f64 "
           "i32 u32 i32 f16 i32 i32 i32 u8 i32 i8")
JAX_X64 = ("f64 f64 i64 f64 i64 f64 f64 f64 f32 f32 f32 f32 f64 "
           "i64 u64 i64 f16 i64 i64 i64 u8 i64 i8")


def _short(dts):
    return " ".join(jaxlite.dtypes.short_name(d) for d in dts)


def test_defaults_match_jax_in_both_modes():
    with disable_x64():
        assert _short(_defaults()) == JAX_X32
    with enable_x64():
        assert _short(_defaults()) == JAX_X64
    with disable_x64():
        with enable_x64():
            pass
        assert _short(_defaults()) == JAX_X32    # the inner context restored the mode


def test_config_update_switches_the_mode():
    saved = jaxlite.config.jax_enable_x64      # CI also runs this file with x64 on
    try:
        jaxlite.config.update("jax_enable_x64", True)
        assert jaxlite.config.jax_enable_x64 is True
        assert jnp.zeros(2).dtype == F64 and (jnp.ones(2, jnp.float32) * 2.0).dtype == F32
        assert jaxlite.grad(lambda x: x * x)(3.0).dtype == F64
        jaxlite.config.update("jax_enable_x64", False)
        assert jnp.zeros(2).dtype == F32 and jaxlite.grad(lambda x: x * x)(3.0).dtype == F32
    finally:
        jaxlite.config.update("jax_enable_x64", saved)


@pytest.mark.parametrize("var", ["JAX_ENABLE_X64", "JAXLITE_ENABLE_X64"])
def test_environment_variable_turns_it_on(var):
    env = dict(os.environ, **{var: "1"})
    code = ("import jaxlite.numpy as jnp, jaxlite; "
            "print(jnp.zeros(1).dtype, jaxlite.config.jax_enable_x64)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["float64", "True"]


def test_context_is_per_thread():
    seen = {}

    def other():
        seen["other"] = jnp.zeros(1).dtype
    glob = F64 if jaxlite.config.jax_enable_x64 else F32      # the global mode
    with (disable_x64() if glob == F64 else enable_x64()):
        t = threading.Thread(target=other)
        t.start()
        t.join()
        seen["here"] = jnp.zeros(1).dtype
    assert seen == {"other": glob, "here": F32 if glob == F64 else F64}


def test_float64_arrays_stay_float64_with_x64_off():
    # jaxlite's one deliberate difference from JAX (which narrows them to float32).
    with disable_x64():
        x = jnp.asarray(np.ones(2, np.float64))
        assert x.dtype == F64 and (x * 2.0).dtype == F64
        assert jnp.asarray(np.ones(2, np.int64)).dtype == I64


def test_jit_retraces_per_mode():
    traces = []

    @jaxlite.jit
    def f(x):
        traces.append(1)
        return x + jnp.ones(3) * 0.1
    x = np.ones(3, np.float32)
    with disable_x64():
        a = f(x)
    with enable_x64():
        b = f(x)
        c = f(x)
    with disable_x64():
        d = f(x)
    assert len(traces) == 2
    assert (a.dtype, b.dtype, c.dtype, d.dtype) == (F32, F64, F64, F32)
    np.testing.assert_allclose(b, 1.1, rtol=1e-15)
    # Python scalar arguments change type with the mode, through the fast path too.
    g = jaxlite.jit(lambda s: s * 2)
    with disable_x64():
        assert g(3).dtype == I32 and g(3.0).dtype == F32
    with enable_x64():
        assert g(3).dtype == I64 and g(3.0).dtype == F64


def test_float64_finite_differences_in_x64():
    # The first line of many scientific scripts; central differences at h=1e-6
    # only agree to 1e-8 in float64.
    def f(x):
        return jnp.sum(jnp.sin(x) * jnp.exp(-x * x / 3.0)) + 0.5 * x[0] ** 3
    with enable_x64():
        x = jnp.array([0.3, -1.2, 2.0])
        assert x.dtype == F64
        g = jaxlite.grad(f)(x)
        h = 1e-6
        fd = [(f(x.at[i].add(h)) - f(x.at[i].add(-h))) / (2 * h) for i in range(3)]
        np.testing.assert_allclose(g, fd, rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(jaxlite.jit(jaxlite.grad(f))(x), g, rtol=1e-14)


def test_python_int_range_follows_the_mode():
    with disable_x64(), pytest.raises(OverflowError, match="int32"):
        jnp.array(2 ** 40)
    with enable_x64():
        assert int(jnp.array(2 ** 40)) == 2 ** 40 and jnp.array(2 ** 40).dtype == I64


def test_random_defaults_follow_the_mode():
    key = random.PRNGKey(0)
    with disable_x64():
        assert random.normal(key, (2,)).dtype == F32
        assert random.randint(key, (2,), 0, 3).dtype == I32
    with enable_x64():
        assert random.normal(key, (2,)).dtype == F64
        assert random.uniform(key, (2,)).dtype == F64
        assert random.randint(key, (2,), 0, 3).dtype == I64
    # The float32 stream is the same whatever the mode (bits depend on key and shape only).
    with enable_x64():
        u64 = random.uniform(key, (4,), jnp.float32)
    np.testing.assert_array_equal(u64, random.uniform(key, (4,), jnp.float32))


def test_lax_weak_scalars_in_x64():
    with enable_x64():
        assert lax.add(1.0, 2.0).dtype == F64
        assert lax.add(np.ones(2, F64), 1.0).dtype == F64
        with pytest.raises(TypeError, match="same dtypes"):
            lax.add(1, 1.0)
