"""What a compile leaves behind: evicted and dead functions' executables release
their LLVM engines, jit shares one trace cache per function, and compiling never
waits for running code or for another thread's Python passes."""
import gc
import os
import subprocess
import sys
import threading
import weakref

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax
from jaxlite.compiler import cache, engine, lowering

TIMEOUT = 120.0      # seconds: only reached if a compile waits for the other thread


def _fresh(monkeypatch, limit):
    monkeypatch.setattr(cache, "MEMORY_LIMIT", limit)
    jaxlite.clear_caches()
    gc.collect()
    return engine.live_engines()


def test_evicted_executables_release_their_engines(monkeypatch):
    x = np.linspace(-1.0, 1.0, 9).astype(np.float32)
    before = _fresh(monkeypatch, 3)
    for c in range(10):
        f = jaxlite.jit(lambda v, c=c: v * float(c) + 1.0)
        np.testing.assert_allclose(f(x), x * float(c) + 1.0, rtol=1e-6)
    del f
    gc.collect()
    # Only the 3 newest executables are held (by the cache, nothing else).
    assert engine.live_engines() - before <= 3
    assert len(cache.memory) <= 3


def test_closing_an_engine_updates_the_count(monkeypatch):
    before = _fresh(monkeypatch, 256)
    exe = jaxlite.jit(lambda v: jnp.cos(v) * 0.5).lower(np.ones(4)).compile()
    np.testing.assert_allclose(exe(np.zeros(4)), np.full(4, 0.5))
    assert engine.live_engines() == before + 1
    jaxlite.clear_caches()
    del exe
    gc.collect()
    assert engine.live_engines() == before


def test_dead_closures_take_their_cache_entries_with_them(monkeypatch):
    x = np.arange(5.0)
    before = _fresh(monkeypatch, 2)
    funs, exes = [], []
    remember = cache.remember

    def record(key, exe):
        exes.append(weakref.ref(exe))
        return remember(key, exe)
    monkeypatch.setattr(cache, "remember", record)
    for c in range(6):
        fun = (lambda c: (lambda v: jnp.exp(v * 0.1) + float(c)))(c)
        funs.append(weakref.ref(fun))
        np.testing.assert_allclose(jaxlite.jit(fun)(x), np.exp(x * 0.1) + c, rtol=1e-12)
        del fun
    gc.collect()
    assert all(r() is None for r in funs)                  # jit keeps no function alive
    assert sum(r() is not None for r in exes) <= 2          # nor their executables
    assert engine.live_engines() - before <= 2


def test_jit_of_one_function_twice_shares_one_trace_cache():
    traces = []

    def f(v):
        traces.append(1)
        return jnp.sin(v) + 2.0
    x = np.linspace(0.0, 1.0, 6)
    a, b = jaxlite.jit(f), jaxlite.jit(f)
    np.testing.assert_allclose(a(x), np.sin(x) + 2.0)
    np.testing.assert_allclose(b(x), np.sin(x) + 2.0)
    assert len(traces) == 1
    assert a._cache_size() == b._cache_size() == 1
    np.testing.assert_allclose(b(x[:3]), np.sin(x[:3]) + 2.0)    # a new shape: one trace
    assert len(traces) == 2 and a._cache_size() == 2


def test_compile_proceeds_while_another_thread_runs_compiled_code():
    """Thread A runs a jitted loop whose host callback waits until thread B has
    compiled and run a new function: if compiling needed anything running code
    holds, B would wait for A and A for B until the timeout."""
    compiled = threading.Event()
    entered = threading.Event()

    def wait_for_b(i):
        entered.set()
        if not compiled.wait(TIMEOUT):
            raise AssertionError("compile in thread B never finished")

    @jaxlite.jit
    def long_loop(x):
        def body(i, acc):
            acc = acc * 0.5 + 1.0
            jaxlite.debug.callback(wait_for_b, i)
            return acc
        return lax.fori_loop(0, 3, body, x)
    x = np.zeros(3)
    long_loop.lower(x).compile()               # compiled before thread A starts
    result = {}

    def thread_a():
        result["a"] = np.asarray(long_loop(x))
    a = threading.Thread(target=thread_a)
    a.start()
    assert entered.wait(TIMEOUT)
    y = np.linspace(0.0, 2.0, 5)
    got = jaxlite.jit(lambda v: jnp.tanh(v) * 4.0 - v)(y)      # a new compile in B
    compiled.set()
    a.join(TIMEOUT)
    assert not a.is_alive()
    np.testing.assert_allclose(got, np.tanh(y) * 4.0 - y, rtol=1e-12)
    np.testing.assert_allclose(result["a"], np.full(3, 1.75))


def test_compile_proceeds_while_another_thread_is_mid_compile(monkeypatch):
    """Thread A's compile is held inside lowering (a Python pass) until thread B
    has compiled something else: no lock may cover a compile's Python passes."""
    monkeypatch.setenv("JAXLITE_DISABLE_DISK_CACHE", "1")     # a warm hit skips lowering
    lower, b_done, a_inside = lowering.lower, threading.Event(), threading.Event()

    def held_lower(prog, name, *rest):
        if "held_fn" in name:
            a_inside.set()
            if not b_done.wait(TIMEOUT):
                raise AssertionError("thread B's compile waited for thread A's")
        return lower(prog, name, *rest)
    monkeypatch.setattr(lowering, "lower", held_lower)

    def held_fn(v):
        return jnp.sqrt(v) + 3.0
    x = np.array([1.0, 4.0, 9.0])
    result = {}
    a = threading.Thread(target=lambda: result.setdefault("a", np.asarray(
        jaxlite.jit(held_fn)(x))))
    a.start()
    assert a_inside.wait(TIMEOUT)
    got = jaxlite.jit(lambda v: v * v - 1.0)(x)
    b_done.set()
    a.join(TIMEOUT)
    assert not a.is_alive()
    np.testing.assert_allclose(got, x * x - 1.0)
    np.testing.assert_allclose(result["a"], np.sqrt(x) + 3.0)


def test_two_threads_compiling_one_program_share_the_first_executable(monkeypatch):
    _fresh(monkeypatch, 256)
    x = np.linspace(0.0, 1.0, 7)
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    out = [None, None]

    def compile_in(i):
        barrier.wait()
        out[i] = jaxlite.jit(lambda v: jnp.log1p(v) * 3.0).lower(x).compile()
    threads = [threading.Thread(target=compile_in, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    for exe in out:
        np.testing.assert_allclose(exe(x), np.log1p(x) * 3.0, rtol=1e-12)
    assert len(cache.memory) == 1


def test_pass_pipelines_are_freed():
    """llvmlite's ModulePassManager.close() is a no-op (method order); engine frees
    each pipeline itself. A freed pass manager is detached (closed)."""
    import llvmlite.binding as llvm
    pto = llvm.create_pipeline_tuning_options(speed_level=1)
    mpm = llvm.create_pass_builder(engine.target_machine(), pto).getModulePassManager()
    engine._dispose_pass_manager(mpm)
    assert mpm.closed


# A fresh process compiles closures of one shape, each called once and dropped, with
# the compiler's cache held to 16 executables: after the warm-up every executable is
# evicted and dies. Growth is read after gc and malloc_trim(0): native heap in use
# (glibc's mallinfo2: exact, 0.2 B per call over 600 calls of one compiled function)
# and RSS.
_EVICTION_CHILD = r"""
import ctypes, gc, os, sys
import numpy as np
import jaxlite
from jaxlite.compiler import cache
cache.MEMORY_LIMIT = 16
libc = ctypes.CDLL(None)
class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost").split()]
libc.mallinfo2.restype = Mallinfo2
def measure():
    gc.collect()
    libc.malloc_trim(0)
    info = libc.mallinfo2()
    with open("/proc/self/statm") as f:
        rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return info.uordblks + info.hblkhd, rss
x = np.linspace(-1.0, 1.0, 7).astype(np.float32)
def closure(c):
    y = jaxlite.jit(lambda v: v * c + 1.0)(x)
    assert np.allclose(y, x * c + 1.0, rtol=1e-6)
warm, n = int(sys.argv[1]), int(sys.argv[2])
for c in range(warm):
    closure(c)
heap0, rss0 = measure()
for c in range(warm, warm + n):
    closure(c)
heap1, rss1 = measure()
print((heap1 - heap0) / n, (rss1 - rss0) / n)
"""


def _has_mallinfo2():
    import ctypes
    try:
        return sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "mallinfo2")
    except OSError:
        return False


@pytest.mark.skipif(not _has_mallinfo2(), reason="reads glibc's mallinfo2 and /proc")
def test_compiles_after_eviction_keep_no_more_than_llvmlites_floor():
    """Per evicted closure: 1.5 KB of native heap (measured 1500-1550 B), 1488 B of it
    the PassInstrumentationCallbacks llvmlite allocates per pass builder and never
    frees (engine.optimize), and ~2.1 KB of RSS. Bounds: the floor plus 1 KB of heap,
    4x the RSS. An executable's engine, module or pipeline kept alive costs 28-90 KB."""
    env = dict(os.environ, JAXLITE_DISABLE_DISK_CACHE="1")
    out = subprocess.run([sys.executable, "-c", _EVICTION_CHILD, "48", "500"],
                         capture_output=True, text=True, env=env, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    heap, rss = map(float, out.stdout.split())
    assert heap < 1488 + 1024, f"{heap:.0f} B of native heap kept per evicted compile"
    assert rss < 8192, f"{rss:.0f} B of RSS kept per evicted compile"
