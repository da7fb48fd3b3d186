"""jaxlite's thread policy: size decides single- or multi-threaded BLAS/LAPACK calls,
numpy's own BLAS threading is left alone, worker counts follow the CPU affinity."""
import os

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.compiler import native, parallel


def _knob():
    blas = native.find_blas()
    if blas is None or blas.set_threads_symbol is None or blas.threads_fn is None:
        pytest.skip("no OpenBLAS with openblas_set_num_threads_local in this numpy")
    return blas


def test_kernel_threads_follow_affinity(monkeypatch):
    monkeypatch.delenv("JAXLITE_THREADS", raising=False)
    if not native.has_threads():
        assert parallel.threads() == 1
        return
    assert parallel.threads() == min(len(os.sched_getaffinity(0)), 8)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert parallel.threads() == 1
    monkeypatch.setenv("JAXLITE_THREADS", "3")
    assert parallel.threads() == 3


def test_lapack_call_threads_by_size(monkeypatch):
    blas = _knob()
    monkeypatch.delenv("JAXLITE_BLAS_THREADS", raising=False)
    monkeypatch.setenv("JAXLITE_THREADS", "2")
    assert native.blas_call_threads(blas, 500 ** 3) == 1
    assert native.blas_call_threads(blas, native.LAPACK_PARALLEL_MIN_FLOPS) == 2
    monkeypatch.setenv("JAXLITE_BLAS_THREADS", "3")       # forced for every call
    assert native.blas_call_threads(blas, 10) == 3


@pytest.mark.parametrize("n", [8, 300])
def test_jitted_matmul_leaves_numpy_blas_threads_alone(n):
    blas = _knob()
    before = int(blas.threads_fn())
    rng = np.random.default_rng(n)
    a = rng.normal(size=(n, n)).astype(np.float32)
    b = rng.normal(size=(n, n)).astype(np.float32)
    compiled = jaxlite.jit(lambda x, y: x @ y).lower(a, b).compile()
    # The thread count is set around the call, and restored after it.
    assert blas.set_threads_alias in compiled.llvm_ir(optimized=False)
    np.testing.assert_allclose(compiled(a, b), a.astype(np.float64) @ b, rtol=1e-4,
                               atol=1e-4 * n)
    assert int(blas.threads_fn()) == before
    np.testing.assert_allclose(a @ b, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4 * n)


def test_lapack_call_threads_restored():
    blas = _knob()
    before = int(blas.threads_fn())
    rng = np.random.default_rng(0)
    m = rng.normal(size=(40, 40))
    s = m @ m.T + 40 * np.eye(40)
    out = jaxlite.jit(jnp.linalg.cholesky)(s)
    np.testing.assert_allclose(out, np.linalg.cholesky(s), rtol=1e-10, atol=1e-10)
    assert int(blas.threads_fn()) == before
