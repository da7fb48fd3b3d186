"""The warm path (compiler/warm.py): a fresh process whose program is in the disk
cache loads its object code without importing any compiler pass, and computes
exactly what the cold compile computed."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import compiler
from jaxlite.compiler import cache, pipeline, runtime, warm

# What only a compile that lowers needs; a warm first call must import none of them.
PASSES = ("pipeline", "simplify", "fusion", "lowering", "kernels", "control_flow",
          "complex_expand", "complex_rules", "special_rules", "scalar_rules", "lapack",
          "fft", "sort_kernel", "collectives", "callback", "conv", "windows", "entry")

PROGRAM = textwrap.dedent("""
    import json, sys
    import numpy as np
    import jaxlite, jaxlite.numpy as jnp

    rng = np.random.default_rng(0)
    sizes = [12, 16, 16, 3]
    params = [(rng.normal(size=(m, n)).astype(np.float32) / np.sqrt(m),
               np.zeros(n, np.float32)) for m, n in zip(sizes[:-1], sizes[1:])]
    x = rng.normal(size=(8, 12)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 8)]
    shift = np.linspace(-1.0, 1.0, 12).astype(np.float32)    # a constant of the program

    @jaxlite.jit
    def center(v):                                           # inlined, with its own constant
        return v - shift

    def loss(params, x, y):
        h = center(x)
        for w, b in params[:-1]:
            h = jnp.tanh(h @ w + b)
        w, b = params[-1]
        logits = h @ w + b
        logp = logits - jaxlite.nn.logsumexp(logits, axis=1, keepdims=True)
        return -jnp.mean(jnp.sum(logp * y, axis=1))

    step = jaxlite.jit(jaxlite.value_and_grad(loss))
    value, grads = step(params, x, y)
    leaves = [np.asarray(value)] + [np.asarray(g) for g in jaxlite.tree_util.tree_leaves(grads)]
    modules = sorted(m for m in sys.modules if m.startswith("jaxlite.compiler."))
    print(json.dumps({"leaves": [l.tobytes().hex() for l in leaves], "modules": modules}))
""")


def _fresh(env):
    out = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path))
    for name in ("JAXLITE_DISABLE_DISK_CACHE", "JAXLITE_DUMP_DIR"):
        monkeypatch.delenv(name, raising=False)
    return dict(os.environ)


def test_warm_first_call_imports_no_pass_and_matches_cold(tmp_path, monkeypatch):
    env = _env(tmp_path, monkeypatch)
    cold, warm_run = _fresh(env), _fresh(env)
    assert "jaxlite.compiler.pipeline" in cold["modules"]          # the cold one lowered
    loaded = {m.rsplit(".", 1)[1] for m in warm_run["modules"]}
    assert loaded.isdisjoint(PASSES), sorted(loaded & set(PASSES))
    assert {"warm", "cache", "engine", "runtime"} <= loaded
    assert warm_run["leaves"] == cold["leaves"]                     # bit for bit
    off = _fresh(dict(env, JAXLITE_DISABLE_DISK_CACHE="1"))
    assert off["leaves"] == cold["leaves"]


def _counting_lowering(monkeypatch):
    lowered = []
    lower = pipeline.lowering.lower

    def counting(*args, **kwargs):
        lowered.append(1)
        return lower(*args, **kwargs)
    monkeypatch.setattr(pipeline.lowering, "lower", counting)
    return lowered


def _twice(f, *args):
    """Results of a cold compile, then of a warm-cache hit (memory cache cleared), of
    ``f``'s jaxpr with its constants kept (jit would pass them as arguments)."""
    results = []
    for _ in range(2):
        jaxlite.clear_caches()
        exe = compiler.compile(jaxlite.make_jaxpr(f)(*args))
        results.append([np.asarray(r) for r in exe(*args)])
    return results


def test_constants_come_back_by_position_and_by_value(tmp_path, monkeypatch):
    _env(tmp_path, monkeypatch)
    lowered = _counting_lowering(monkeypatch)
    table = np.arange(6.0).reshape(2, 3)                    # a constant of the program
    half = np.array([1.5, -2.25, 4.0], np.float16)         # widened to float32: a new constant

    def f(v, h):
        return v * table + 1.0, h * half

    v, h = np.ones((2, 3)), np.ones(3, np.float16)
    cold, hot = _twice(f, v, h)
    assert len(lowered) == 1
    for a, b in zip(cold, hot):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    np.testing.assert_array_equal(cold[0], table + 1.0)
    np.testing.assert_array_equal(cold[1], half)


def test_complex_constants_are_rebuilt_from_the_entry(tmp_path, monkeypatch):
    _env(tmp_path, monkeypatch)
    lowered = _counting_lowering(monkeypatch)
    z = np.array([1 + 2j, -0.5j, 3.0], np.complex64)       # expanded to real planes

    def f(x):
        return jnp.abs(x * z + z)

    x = np.array([0.5, 2.0, -1.0], np.float32)
    cold, hot = _twice(f, x)
    assert len(lowered) == 1
    assert cold[0].tobytes() == hot[0].tobytes()
    np.testing.assert_allclose(cold[0], np.abs(x * z + z), rtol=1e-6)


def test_constants_too_big_for_an_entry_take_the_object_cache_path(tmp_path, monkeypatch):
    _env(tmp_path, monkeypatch)
    lowered = _counting_lowering(monkeypatch)
    n = warm.CONST_BYTES_LIMIT // 8 + 1
    z = (np.arange(n) * (1 + 1j)).astype(np.complex64)     # its real planes are new arrays

    def f(x):
        return jnp.real(x * z)

    x = np.float32(2.0)
    cold, hot = _twice(f, x)
    assert len(lowered) == 2                                # no warm entry: lowered again
    assert cold[0].tobytes() == hot[0].tobytes()
    np.testing.assert_array_equal(hot[0], np.real(np.complex64(2.0) * z))
    hits = cache.stats["disk_hits"]
    jaxlite.clear_caches()
    assert compiler.compile(jaxlite.make_jaxpr(f)(x)).from_disk_cache
    assert cache.stats["disk_hits"] > hits                  # the object came from disk


def test_warm_key_follows_the_program_and_its_constants(tmp_path, monkeypatch):
    _env(tmp_path, monkeypatch)

    def wkey(f, *args):
        return warm.key(cache.memory_key(jaxlite.make_jaxpr(f)(*args)), runtime.DATA_OFFSET)
    x = np.ones(3)
    a, b = np.arange(3.0), np.arange(3.0) + 1
    assert wkey(lambda v: v * a, x) == wkey(lambda v: v * a.copy(), x)
    assert wkey(lambda v: v * a, x) != wkey(lambda v: v * b, x)
    assert wkey(lambda v: v * a, x) != wkey(lambda v: v + a, x)
    assert wkey(lambda v: v * a, x) != wkey(lambda v: v * a, x.astype(np.float32))
