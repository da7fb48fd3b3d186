"""The compiler's caches: bounded memory (count and bytes, dead functions' entries
freed) and disk entries bound to their key."""
import gc
import os
import shutil
import weakref

import numpy as np

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.compiler import cache, lowering


def _closure_call(c, x):
    f = jaxlite.jit(lambda v: jnp.tanh(v) * c + 1.0)
    np.testing.assert_allclose(f(x), np.tanh(x) * c + 1.0, rtol=1e-5, atol=1e-6)


def _recording(monkeypatch):
    """Weak references to every executable the compiler caches from now on."""
    seen, remember = [], cache.remember

    def record(key, exe):
        seen.append(weakref.ref(exe))
        return remember(key, exe)
    monkeypatch.setattr(cache, "remember", record)
    return seen


def test_dead_functions_executables_are_freed(monkeypatch):
    monkeypatch.setattr(cache, "MEMORY_LIMIT", 2)
    jaxlite.clear_caches()
    x = np.linspace(-1.0, 1.0, 5).astype(np.float32)
    refs = _recording(monkeypatch)
    for c in range(6):
        _closure_call(float(c) + 0.25, x)
    gc.collect()
    assert len(refs) == 6
    alive = sum(r() is not None for r in refs)
    assert alive <= 2, alive                  # only the strongly held most recent ones
    assert len(cache.memory) <= 2


def test_live_function_keeps_its_executable(monkeypatch):
    monkeypatch.setattr(cache, "MEMORY_LIMIT", 1)
    jaxlite.clear_caches()
    x = np.linspace(0.0, 1.0, 7)
    f = jaxlite.jit(lambda v: jnp.sin(v) * 3.0)
    np.testing.assert_allclose(f(x), np.sin(x) * 3.0)
    for c in range(4):
        _closure_call(float(c) + 2.0, x)
    gc.collect()
    np.testing.assert_allclose(f(x), np.sin(x) * 3.0)
    np.testing.assert_allclose(f(x + 1.0), np.sin(x + 1.0) * 3.0)


def test_byte_limit_evicts(monkeypatch):
    monkeypatch.setattr(cache, "MEMORY_LIMIT_BYTES", 1)     # one entry at a time
    jaxlite.clear_caches()
    x = np.linspace(0.0, 1.0, 5)
    refs = _recording(monkeypatch)
    for c in range(3):
        _closure_call(float(c) + 3.0, x)
    gc.collect()
    assert len(refs) == 3 and refs[-1]().nbytes() > 0
    assert cache.memory.nbytes() == refs[-1]().nbytes()      # only the newest is held
    assert all(r() is None for r in refs[:-1])


def test_swapped_disk_entries_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("JAXLITE_DISABLE_DISK_CACHE", raising=False)
    key_a, key_b = "a" * 64, "b" * 64
    cache.store(key_a, b"object-a", "ir a")
    cache.store(key_b, b"object-bb", "ir b")
    assert cache.load(key_a) == (b"object-a", "ir a")
    path_a = os.path.join(str(tmp_path), "aa", key_a + ".jlc")
    path_b = os.path.join(str(tmp_path), "bb", key_b + ".jlc")
    shutil.copyfile(path_b, path_a)          # b's entry under a's name: a miss, not b's code
    assert cache.load(key_a) is None
    assert cache.load(key_b) == (b"object-bb", "ir b")


def test_disk_hit_runs_correctly(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("JAXLITE_DISABLE_DISK_CACHE", raising=False)
    x = np.linspace(0.0, 2.0, 11)
    for _ in range(2):                       # compile + store, then load from disk
        jaxlite.clear_caches()
        exe = jaxlite.jit(lambda v: jnp.exp(-v) * 2.5).lower(x).compile()
        np.testing.assert_allclose(exe(x), np.exp(-x) * 2.5, rtol=1e-12)


def test_at_scalar_indices_do_not_build_a_full_index():
    import tracemalloc
    x = jnp.zeros((4000, 4000), bool)                 # 16 MB; a full int32 index is 64 MB
    tracemalloc.start()
    try:
        y = x.at[123, 3456].set(True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40e6, peak
    want = np.zeros((4000, 4000), bool)
    want[123, 3456] = True
    np.testing.assert_array_equal(np.asarray(y), want)
    z = jnp.arange(24.0).reshape(2, 3, 4).at[1, -1].add(100.0)
    ref = np.arange(24.0).reshape(2, 3, 4)
    ref[1, -1] += 100.0
    np.testing.assert_array_equal(np.asarray(z), ref)


def _warm_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("JAXLITE_DISABLE_DISK_CACHE", raising=False)
    monkeypatch.delenv("JAXLITE_DUMP_DIR", raising=False)
    lowered = []
    lower = lowering.lower

    def counting(*args, **kwargs):
        lowered.append(1)
        return lower(*args, **kwargs)
    monkeypatch.setattr(lowering, "lower", counting)
    return lowered


def test_warm_disk_hit_skips_lowering_and_keeps_texts(tmp_path, monkeypatch):
    lowered = _warm_cache(tmp_path, monkeypatch)
    x = np.linspace(0.0, 1.0, 13)

    def f(v):
        return jnp.sum(jnp.sin(v) * 2.0) + v
    results = []
    for _ in range(2):                  # compile + store, then the warm path
        jaxlite.clear_caches()
        exe = jaxlite.jit(f).lower(x).compile()
        results.append(np.asarray(exe(x)))
    assert len(lowered) == 1
    for r in results:
        np.testing.assert_allclose(r, np.sum(np.sin(x) * 2.0) + x, rtol=1e-12)
    assert "define" in exe.as_text() and len(lowered) == 2      # texts made on request


def test_programs_with_host_callbacks_are_never_warm(tmp_path, monkeypatch):
    lowered = _warm_cache(tmp_path, monkeypatch)
    seen = []

    def f(v):
        jaxlite.debug.callback(lambda a: seen.append(np.asarray(a).copy()), v)
        return v * 3.0
    x = np.arange(4.0)
    for _ in range(2):
        jaxlite.clear_caches()
        np.testing.assert_allclose(jaxlite.jit(f)(x), x * 3.0)
    assert len(lowered) == 2 and len(seen) == 2
    np.testing.assert_array_equal(seen[1], x)
