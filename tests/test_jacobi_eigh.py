"""The compiled eigh of matrices up to lapack.SMALL (compiler/jacobi.py: batched
cyclic Jacobi, one matrix per SIMD lane) against scipy's LAPACK eigh: values,
vectors (up to the sign convention), the hard cases (repeated eigenvalues, rank
deficiency, extreme scales, NaN/inf), batch sizes that do not fill the lanes,
both triangles and dtypes, vmap/jit composition and exact derivatives."""
import numpy as np
import pytest
import scipy.linalg as sl

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.compiler import jacobi, lapack
from jaxlite.lax import linalg as lax_linalg

RNG = np.random.default_rng(2024)


def sym(*shape):
    a = RNG.standard_normal(shape)
    return a + np.swapaxes(a, -1, -2)


def lapack_eigh(a, lower=True):
    """scipy per matrix, with the eager implementation's sign convention."""
    flat = a.reshape((-1,) + a.shape[-2:])
    ws, vs = [], []
    for m in flat:
        w, v = sl.eigh(m, lower=lower)
        idx = np.argmax(np.abs(v), axis=0)
        v = v * np.where(v[idx, np.arange(v.shape[1])] < 0, -1.0, 1.0)
        ws.append(w)
        vs.append(v)
    return np.array(vs).reshape(a.shape), np.array(ws).reshape(a.shape[:-1])


def jit_eigh(a, lower=True):
    v, w = jaxlite.jit(lambda x: lax_linalg.eigh(x, lower=lower, symmetrize_input=False))(a)
    return np.asarray(v), np.asarray(w)


def check_decomposition(a, v, w, tol=1e-13, lower=True):
    """a's triangle = v diag(w) v^T, v orthogonal, w ascending: to tol * ||a||."""
    full = np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2) if lower else \
        np.triu(a) + np.swapaxes(np.triu(a, 1), -1, -2)
    scale = max(np.abs(full).max(), np.finfo(float).tiny)
    n = a.shape[-1]
    rebuilt = v @ (w[..., :, None] * np.swapaxes(v, -1, -2))
    assert np.abs(rebuilt - full).max() <= tol * scale * n
    assert np.abs(np.swapaxes(v, -1, -2) @ v - np.eye(n)).max() <= tol * n
    assert np.all(np.diff(w, axis=-1) >= 0)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16])
def test_values_and_vectors_match_lapack(n):
    a = sym(11, n, n)          # 11 matrices: one full group of lanes and a partial one
    v, w = jit_eigh(a)
    v0, w0 = lapack_eigh(a)
    np.testing.assert_allclose(w, w0, rtol=0, atol=1e-13 * np.abs(w0).max())
    np.testing.assert_allclose(v, v0, rtol=0, atol=1e-10)   # distinct eigenvalues
    check_decomposition(a, v, w)


@pytest.mark.parametrize("batch", [(), (1,), (4,), (7,), (8,), (9,), (2, 3, 5)])
def test_batch_shapes_that_do_not_fill_the_lanes(batch):
    a = sym(*batch, 6, 6)      # () and (1,) take syevd: one matrix is faster there
    v, w = jit_eigh(a)
    v0, w0 = lapack_eigh(a)
    assert v.shape == a.shape and w.shape == a.shape[:-1]
    np.testing.assert_allclose(w, w0, atol=1e-13 * np.abs(w0).max())
    np.testing.assert_allclose(v, v0, atol=1e-10)


def test_upper_triangle_is_read_when_lower_is_false():
    a = RNG.standard_normal((5, 6, 6))        # not symmetric: only one triangle counts
    for lower in (True, False):
        v, w = jit_eigh(a, lower)
        v0, w0 = lapack_eigh(a, lower)
        np.testing.assert_allclose(w, w0, atol=1e-12)
        np.testing.assert_allclose(v, v0, atol=1e-10)
        check_decomposition(a, v, w, lower=lower)


def test_float32_is_computed_in_float64_and_rounded_once():
    a = sym(9, 8, 8)
    v, w = jit_eigh(a.astype(np.float32))
    assert v.dtype == w.dtype == np.float32
    v0, w0 = lapack_eigh(a.astype(np.float32).astype(np.float64))
    np.testing.assert_allclose(w, w0.astype(np.float32), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(v, v0.astype(np.float32), atol=1e-5)


def repeated_cases():
    q, _ = np.linalg.qr(RNG.standard_normal((8, 8)))
    x = RNG.standard_normal((8, 3))
    return {
        "identity": np.eye(8),
        "zero": np.zeros((8, 8)),
        "diagonal_with_repeats": np.diag([3.0, 1.0, 3.0, 2.0, 1.0, 3.0, 0.0, 2.0]),
        "triple_cluster": q @ np.diag([1, 1, 1, 2, 5, 5, -4, 7.0]) @ q.T,
        "rank_3": x @ x.T,
        "all_ones": np.ones((8, 8)),
        "graded": np.diag(10.0 ** -np.arange(8)) @ (np.eye(8) + 0.1 * sym(8, 8))
        @ np.diag(10.0 ** -np.arange(8)),
        "huge": 1e200 * sym(8, 8),
        "near_overflow": 2.0 ** 1023 * np.diag([1.5, -1.0, 0.5, 1.0, 0.25, 1.25, -1.5, 0.0])
        + 2.0 ** 1020 * (np.eye(8, k=1) + np.eye(8, k=-1)),
        "tiny": 1e-200 * sym(8, 8),
        "subnormal": 1e-310 * np.diag(np.arange(8.0)),
    }


@pytest.mark.parametrize("name", sorted(repeated_cases()))
def test_hard_cases_give_a_valid_decomposition(name):
    case = repeated_cases()[name]
    a = np.stack([case, sym(8, 8), case, case, sym(8, 8)])       # a batch: the Jacobi kernel
    v, w = jit_eigh(a)
    w0 = sl.eigh(case, eigvals_only=True)
    for i in (0, 2, 3):
        check_decomposition(case, v[i], w[i], tol=1e-13 if name != "subnormal" else 1e-3)
        np.testing.assert_allclose(w[i], w0, rtol=0,
                                   atol=1e-13 * max(np.abs(w0).max(), 1e-300))


def test_graded_matrix_small_eigenvalues_keep_relative_accuracy():
    d = 10.0 ** -np.arange(0, 16, 2.0)
    a = d[:, None] * (np.eye(8) + 0.1 * sym(8, 8) / 8) * d[None, :]
    w = jit_eigh(np.stack([a] * 4))[1][2]
    # LAPACK is also accurate relative to each eigenvalue when the grading decreases
    # down the diagonal; an absolute-only criterion would lose the eigenvalues ~1e-28
    ref = np.sort(sl.eigh(a, eigvals_only=True))
    assert ref[0] < 1e-25
    np.testing.assert_allclose(w, ref, rtol=1e-10)


def test_nan_or_inf_gives_nan_for_that_matrix_only():
    a = sym(10, 5, 5)
    a[3, 2, 1] = np.nan
    a[7, 4, 0] = np.inf
    v, w = jit_eigh(a)
    for bad in (3, 7):
        assert np.isnan(w[bad]).all() and np.isnan(v[bad]).all()
    good = [i for i in range(10) if i not in (3, 7)]
    v0, w0 = lapack_eigh(a[good])
    np.testing.assert_allclose(w[good], w0, atol=1e-12)
    np.testing.assert_allclose(v[good], v0, atol=1e-10)


def test_just_above_small_calls_lapack_and_agrees():
    n = lapack.SMALL + 1
    a = sym(3, n, n)
    v, w = jit_eigh(a)
    v0, w0 = lapack_eigh(a)
    np.testing.assert_allclose(w, w0, atol=1e-12)
    np.testing.assert_allclose(v, v0, atol=1e-10)


def test_jacobi_kernel_is_used_for_batches_of_small_matrices():
    def ir(*shape):
        return jaxlite.jit(lax_linalg.eigh).lower(sym(*shape)).compile().llvm_ir(optimized=False)
    for shape in [(4, 4), (jacobi.MIN_BATCH, 16, 16), (9, 8, 8)]:
        text = ir(*shape)
        assert f"jaxlite_jacobi_pairs_{shape[-1]}" in text and "syevd" not in text, shape
    for shape in [(8, 8), (jacobi.MIN_BATCH - 1, 16, 16), (9, 17, 17)]:
        assert "syevd" in ir(*shape), shape
    assert lapack.SMALL == jacobi.LARGEST


def test_rounds_pair_every_index_pair_once():
    for n in range(2, 18):
        rounds = jacobi._rounds(n)
        pairs = [p for rnd in rounds for p in rnd]
        assert sorted(pairs) == [(p, q) for p in range(n) for q in range(p + 1, n)]
        for rnd in rounds:      # disjoint within a round
            flat = [i for p in rnd for i in p]
            assert len(flat) == len(set(flat)) and len(rnd) == n // 2


def test_vmap_of_jit_and_jit_of_vmap_match_a_loop():
    a = sym(6, 5, 5)

    def f(x):
        w, v = jnp.linalg.eigh(x)
        return w, v
    loop = [lapack_eigh(m[None]) for m in a]
    for g in (jaxlite.jit(jaxlite.vmap(f)), jaxlite.vmap(jaxlite.jit(f))):
        w, v = g(a)
        np.testing.assert_allclose(w, np.concatenate([l[1] for l in loop]), atol=1e-12)
        np.testing.assert_allclose(v, np.concatenate([l[0] for l in loop]), atol=1e-10)


def test_jit_gradient_matches_central_differences():
    a = sym(6, 6)
    batch = np.stack([a, sym(6, 6), sym(6, 6), sym(6, 6)])       # vmap: the Jacobi kernel
    weights = RNG.standard_normal((6, 6))

    def f(x):
        w, v = jnp.linalg.eigh(x)
        return jnp.sum(w * jnp.arange(6.0)) + jnp.sum((v * v) * weights)

    def f_np(x):
        x = (x + x.T) / 2
        w, v = np.linalg.eigh(x)
        return np.sum(w * np.arange(6.0)) + np.sum(v * v * weights)
    g = np.asarray(jaxlite.jit(jaxlite.vmap(jaxlite.grad(f)))(batch))[0]
    eps = 1e-6
    for _ in range(3):
        d = RNG.standard_normal((6, 6))
        fd = (f_np(a + eps * d) - f_np(a - eps * d)) / (2 * eps)
        np.testing.assert_allclose(np.sum(g * d), fd, rtol=1e-6, atol=1e-8)


def test_jit_gradient_with_repeated_eigenvalues_is_finite_and_exact():
    q, _ = np.linalg.qr(RNG.standard_normal((5, 5)))
    a = q @ np.diag([2.0, 2.0, 2.0, -1.0, 4.0]) @ q.T
    batch = np.stack([a, sym(5, 5), a, sym(5, 5)])
    weights = RNG.standard_normal((5, 5))

    def f(x):
        w, v = jnp.linalg.eigh(x)
        p = v[:, 1:4] @ v[:, 1:4].T          # projector onto the cluster {2, 2, 2}
        return jnp.sum(w ** 3) + jnp.sum(p * weights)

    def f_np(x):
        w, v = np.linalg.eigh((x + x.T) / 2)
        return np.sum(w ** 3) + np.sum(v[:, 1:4] @ v[:, 1:4].T * weights)
    g = np.asarray(jaxlite.jit(jaxlite.vmap(jaxlite.grad(f)))(batch))[2]
    assert np.isfinite(g).all()
    eps = 1e-6
    for _ in range(3):
        d = RNG.standard_normal((5, 5))
        fd = (f_np(a + eps * d) - f_np(a - eps * d)) / (2 * eps)
        np.testing.assert_allclose(np.sum(g * d), fd, rtol=1e-6, atol=1e-7)


def test_jit_jvp_matches_eager_jvp():
    a, t = sym(3, 4, 4), sym(3, 4, 4)
    f = lambda x, dx: jaxlite.jvp(jnp.linalg.eigh, (x,), (dx,))
    got = jaxlite.jit(f)(a, t)
    with jaxlite.disable_jit():
        want = f(a, t)
    for g, w in zip(jaxlite.tree_util.tree_leaves(got), jaxlite.tree_util.tree_leaves(want)):
        np.testing.assert_allclose(g, w, atol=1e-10)
