"""Kernels split over threads (compiler/parallel.py, compiler/threadpool.py)
against eager results, and the chunked scheduler itself.

The split threshold is lowered so small arrays take the threaded path, and an
odd thread count makes the chunks uneven (fewer rows than chunks, ragged ends).
"""
import os
import threading
import time

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax, nn
from jaxlite.compiler import cache, parallel, threadpool

RNG = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def threaded(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ELEMENTS", 1)
    monkeypatch.setattr(parallel, "threads", lambda: 3)
    monkeypatch.setattr(cache, "memory", cache.MemoryCache())  # no executable compiled serially
    monkeypatch.setenv("JAXLITE_DISABLE_DISK_CACHE", "1")


def f32(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape).astype(np.float32)


def check(f, *args, rtol=2e-5):
    got, want = jaxlite.jit(f)(*args), f(*args)
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    else:
        np.testing.assert_array_equal(got, want)


CASES = {
    "flat loop": (lambda x: jnp.exp(-x) * 2 + 1, (f32(5, 7),)),
    "row loop (broadcast)": (lambda x: x * jnp.arange(7.0, dtype=jnp.float32), (f32(5, 7),)),
    "row loop (transpose)": (lambda x: x.T + 1, (f32(4, 6),)),
    "fewer rows than threads": (lambda x: jnp.sin(x) + x[:1], (f32(2, 9),)),
    "total sum, blocked": (lambda x: jnp.sum(x * x + 1), (f32(3 * 2048 + 5),)),
    "total sum, short": (lambda x: jnp.sum(jnp.tanh(x)), (f32(100),)),
    "total sum, 2-d flat": (lambda x: jnp.sum(jnp.exp(x)), (f32(64, 100),)),
    "total max + epilogue": (lambda x: jnp.max(jnp.sin(x)) * 2, (f32(1000),)),
    "total min": (lambda x: jnp.min(x - 1), (f32(999),)),
    "total prod": (lambda x: jnp.prod(1 + x * 0.001), (f32(500),)),
    "mean epilogue": (lambda x: jnp.mean(jnp.exp(-x)), (f32(4097),)),
    "int sum": (lambda x: jnp.sum(x * 3), (RNG.integers(-50, 50, 777).astype(np.int32),)),
    "bool any": (lambda x: jnp.any(x > 1.9), (f32(300),)),
    "row logsumexp": (lambda x: nn.logsumexp(x, axis=1), (f32(13, 50),)),
    "row sum, long rows": (lambda x: jnp.sum(x * 2, axis=1), (f32(5, 3000),)),
    "column sum (not split)": (lambda x: jnp.sum(x, axis=0), (f32(30, 8),)),
    "softmax": (lambda x: nn.softmax(x, axis=-1), (f32(11, 17),)),
    "sort rows": (lambda x: lax.sort(x, 1), (f32(7, 33),)),
    "argsort middle dim": (lambda x: lax.argsort(x, 1), (f32(5, 9, 4),)),
    "sort first dim (not split)": (lambda x: lax.sort(x, 0), (f32(9, 4),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_threaded_kernels_match_eager(name):
    f, args = CASES[name]
    check(f, *args)


def test_split_plans_are_made(monkeypatch):
    plans = []
    orig = parallel.split_plan

    def spy(k, n):
        plan = orig(k, n)
        plans.append(plan and plan[0])
        return plan
    monkeypatch.setattr(parallel, "split_plan", spy)
    jaxlite.jit(lambda x: jnp.sum(jnp.exp(x)) + jnp.max(x, axis=1) + x[:, 0] * 2)(f32(6, 8))
    assert {"total", "rows", "flat"} & set(plans) >= {"total", "rows"}, plans


def test_gradient_of_mlp_loss_threaded():
    w, x = f32(20, 10), f32(30, 20)

    def loss(w, x):
        return jnp.mean(nn.log_softmax(jnp.tanh(x @ w)) ** 2)
    g = jaxlite.jit(jaxlite.grad(loss))(w, x)
    np.testing.assert_allclose(g, jaxlite.grad(loss)(w, x), rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------------------------------
# The chunked scheduler (compiler/threadpool.py): dynamic work sharing over the pool.

def _run_chunks(n, threads, body=None):
    """Run n chunks over the pool; returns how many times each chunk ran."""
    counts = [0] * n
    lock = threading.Lock()

    def record(ctx, c):
        if body is not None:
            body(c)
        with lock:
            counts[c] += 1
    threadpool.parallel_for(threadpool.BODY(record), n, threads)
    return counts


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 16, 17, 100])
def test_pool_runs_every_chunk_exactly_once(threads, n):
    assert _run_chunks(n, threads) == [1] * n


@pytest.mark.parametrize("threads", [2, 3])
def test_a_stuck_chunk_does_not_hold_the_others(threads):
    # Chunk 0 does not finish until every other chunk has: with static bands the
    # thread holding chunk 0 would also own chunks that nobody else may take.
    n, others = 24, threading.Semaphore(0)

    def body(c):
        if c == 0:
            for _ in range(n - 1):
                assert others.acquire(timeout=30), "other chunks never ran"
        else:
            others.release()
    assert _run_chunks(n, threads, body) == [1] * n


@pytest.mark.parametrize("extent", [1, 2, 7, 8, 9, 63, 64, 65, 1000])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_chunking_covers_the_range_exactly_once(extent, threads):
    grain, chunks = parallel.chunking(extent, extent * 5000, threads)
    covered = [i for c in range(chunks) for i in range(c * grain, min((c + 1) * grain, extent))]
    assert covered == list(range(extent))
    assert 1 <= chunks <= max(1, threads * parallel.CHUNKS_PER_THREAD)


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("size", [23, 24, 25, 47, 48, 49])
def test_chunked_kernels_near_chunk_boundaries(monkeypatch, threads, size):
    # Tiny chunks (2 elements) so the chunk count and the ragged last chunk vary with size.
    monkeypatch.setattr(parallel, "threads", lambda: threads)
    monkeypatch.setattr(parallel, "MIN_CHUNK_ELEMENTS", 2)
    x = np.arange(size, dtype=np.float32) / 7
    rows = np.arange(size * 3, dtype=np.float32).reshape(size, 3) / 5
    check(lambda v: v * 2 + 1, x)                                # flat
    check(lambda v: jnp.sum(v * v + 1), x)                       # total, in chunk order
    check(lambda m: jnp.max(jnp.sin(m), axis=1), rows)           # rows
    check(lambda m: m.T[::-1] * 3, rows)                         # row loop


def test_idle_workers_sleep():
    x = f32(1 << 18)
    f = jaxlite.jit(lambda v: jnp.sum(jnp.exp(v)))
    for _ in range(5):
        f(x)
    assert threadpool.workers() >= 2          # the fixture asks for 3 threads
    before = os.times()
    time.sleep(0.5)
    after = os.times()
    busy = (after.user - before.user) + (after.system - before.system)
    # Spinning workers would use ~0.5 s each; they sleep after tens of microseconds.
    assert busy < 0.2, busy


def test_nested_parallel_loops_run_inline():
    inner = []

    def body(c):
        inner.append(_run_chunks(5, 3))       # the pool is busy: runs on this thread
    assert _run_chunks(4, 3, body) == [1] * 4
    assert inner == [[1] * 5] * 4


def test_threaded_kernels_from_several_python_threads():
    x = f32(50, 300)
    f = jaxlite.jit(lambda v: nn.logsumexp(v * 2, axis=1) + jnp.sum(jnp.tanh(v)))
    want = np.asarray(f(x))
    out = []

    def work():
        out.append(all(np.allclose(f(x), want, rtol=1e-6) for _ in range(30)))
    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in ts)
    assert out == [True] * 4


@pytest.mark.parametrize("shape", [(64, 200, 30), (200, 64, 30), (33, 47, 5), (1, 70, 9),
                                   (70, 1, 9)])
@pytest.mark.parametrize("trans", [(False, False), (True, False), (False, True)])
def test_gemm_blocks_over_the_pool(monkeypatch, shape, trans):
    # Every product splits into 16-wide blocks of columns (n >= m) or rows.
    from jaxlite.compiler import gemm, native
    monkeypatch.setattr(native, "BLAS_PARALLEL_MIN_FLOPS", 1)
    monkeypatch.setattr(gemm, "GEMM_CHUNK_FLOPS", 1)
    monkeypatch.setattr(gemm, "GEMM_CHUNKS_PER_THREAD", 4)
    monkeypatch.setattr(native, "kernel_threads", lambda: 3)
    monkeypatch.delenv("JAXLITE_BLAS_THREADS", raising=False)
    m, n, k = shape
    a = f32(k, m) if trans[0] else f32(m, k)
    b = f32(n, k) if trans[1] else f32(k, n)

    def f(a, b):
        return (a.T if trans[0] else a) @ (b.T if trans[1] else b)
    compiled = jaxlite.jit(f).lower(a, b).compile()
    if native.find_blas() is not None and native.find_blas().set_threads_symbol:
        assert threadpool.PARALLEL_FOR in compiled.llvm_ir(optimized=False)
    got = compiled(a, b)
    want = f(a.astype(np.float64), b.astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_pool_counts_its_jobs():
    before = threadpool.stats()
    assert _run_chunks(10, 3) == [1] * 10
    after = threadpool.stats()
    assert after["jobs"] == before["jobs"] + 1
    assert 0 <= after["caller_chunks"] - before["caller_chunks"] <= 10
    assert after["waits"] - before["waits"] in (0, 1)
