"""Large triangular solves under jit are cut into blocks of right-hand sides that
jaxlite's worker pool runs as single-threaded trsm calls (compiler/lapack.py):
every flag combination against scipy, blocks that do not divide the right-hand
sides evenly, a batch, and the single-call paths (one thread, or
JAXLITE_BLAS_THREADS)."""
import numpy as np
import pytest
import scipy.linalg as sl

import jaxlite
from jaxlite.compiler import lapack, native, threadpool
from jaxlite.lax import linalg as lax_linalg

RNG = np.random.default_rng(7)

pytestmark = pytest.mark.skipif(
    native.find_blas() is None or not threadpool.available(),
    reason="needs numpy's OpenBLAS and pthreads (the split path only exists there)")


def triangular(m, lower):
    a = RNG.standard_normal((m, m)) / m + 2 * np.eye(m)
    return np.tril(a) if lower else np.triu(a)


def reference(a, b, left, lower, trans, unit):
    t = (np.tril(a) if lower else np.triu(a)).copy()
    if unit:
        np.fill_diagonal(t, 1.0)
    op = t.T if trans else t
    return sl.solve_triangular(op, b, lower=(lower != trans)) if left else \
        sl.solve_triangular(op.T, b.T, lower=(lower == trans)).T


def solve(a, b, left, lower, trans, unit):
    return jaxlite.jit(lambda a, b: lax_linalg.triangular_solve(
        a, b, left_side=left, lower=lower, transpose_a=trans, unit_diagonal=unit))(a, b)


def uses_pool(a, b, left):
    f = jaxlite.jit(lambda a, b: lax_linalg.triangular_solve(a, b, left_side=left))
    return "jaxlite_trsm_blocks" in f.lower(a, b).compile().llvm_ir(optimized=False)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("trans", [True, False])
@pytest.mark.parametrize("unit", [True, False])
def test_split_solve_matches_scipy(monkeypatch, left, lower, trans, unit):
    monkeypatch.setenv("JAXLITE_THREADS", "2")
    monkeypatch.delenv("JAXLITE_BLAS_THREADS", raising=False)
    jaxlite.clear_caches()
    m, k = 260, 301          # 301 right-hand sides: the last block is short
    a = triangular(m, lower)
    b = RNG.standard_normal((m, k) if left else (k, m))
    assert uses_pool(a, b, left)
    got = solve(a, b, left, lower, trans, unit)
    np.testing.assert_allclose(got, reference(a, b, left, lower, trans, unit),
                               rtol=1e-10, atol=1e-10)
    jaxlite.clear_caches()


def test_split_solve_over_a_batch(monkeypatch):
    monkeypatch.setenv("JAXLITE_THREADS", "2")
    jaxlite.clear_caches()
    a = np.stack([triangular(300, True) for _ in range(3)])
    b = RNG.standard_normal((3, 300, 250))
    got = solve(a, b, True, True, False, False)
    for i in range(3):
        np.testing.assert_allclose(got[i], sl.solve_triangular(a[i], b[i], lower=True),
                                   rtol=1e-10, atol=1e-10)
    jaxlite.clear_caches()


def test_block_plan():
    blas = native.find_blas()
    rt = lapack.Routine("jaxlite_lapack_dtrsm_openblas64", 64)
    if native.requested_blas_threads(blas):
        pytest.skip("JAXLITE_BLAS_THREADS set: every solve is one call")
    block, chunks, threads = lapack._trsm_blocks(rt, 500, 500) or (None, None, None)
    if threads is None:
        assert native.kernel_threads() < 2
        return
    assert block % lapack.TRSM_BLOCK_UNIT == 0 and (chunks - 1) * block < 500 <= chunks * block
    assert lapack._trsm_blocks(rt, 20, 20) is None          # small: one call


@pytest.mark.parametrize("env", [("JAXLITE_THREADS", "1"), ("JAXLITE_BLAS_THREADS", "2")])
def test_one_call_when_threads_are_off_or_forced(monkeypatch, env):
    monkeypatch.setenv(*env)
    jaxlite.clear_caches()
    a, b = triangular(300, True), RNG.standard_normal((300, 300))
    assert not uses_pool(a, b, True)
    np.testing.assert_allclose(solve(a, b, True, True, False, False),
                               sl.solve_triangular(a, b, lower=True), rtol=1e-10, atol=1e-10)
    jaxlite.clear_caches()
