"""jaxlite.numpy.linalg and jaxlite.scipy.linalg against numpy and scipy:
values on stacked matrices (float32, float64, integer inputs), derivatives
(orders 1-2 against float64 central differences), vmap against a loop, jit
(LAPACK called from native code) against eager, the hard cases of issue 12
and the errors JAX raises for bad input."""
import re

import numpy as np
import pytest
import scipy.linalg as sl

import jaxlite
import jaxlite.numpy as jnp
import jaxlite.scipy.linalg as jsl
from jaxlite import lax
from jaxlite.lax import linalg as lax_linalg
from helpers import check_grads, check_jit, check_vmap

RNG = np.random.default_rng(12)
F32, F64 = np.float32, np.float64


def rand(*shape, dtype=F64):
    return RNG.standard_normal(shape).astype(dtype)


def spd(*shape, dtype=F64):
    a = rand(*shape)
    n = shape[-1]
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


def close(out, ref, dtype=F64, scale=1.0):
    tol = (2e-4 if np.dtype(dtype) == F32 else 1e-10) * scale
    out, ref = np.asarray(out), np.asarray(ref)
    assert out.shape == ref.shape, (out.shape, ref.shape)
    np.testing.assert_allclose(out.astype(F64), ref.astype(F64), rtol=tol, atol=tol)


# ------------------------------------------------------- values vs numpy

@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("batch", [(), (3,), (2, 2)])
def test_numpy_functions_match_numpy(dtype, batch):
    a, s = rand(*batch, 4, 4, dtype=dtype), spd(*batch, 4, 4, dtype=dtype)
    b, v = rand(*batch, 4, 2, dtype=dtype), rand(4, dtype=dtype)
    close(jnp.linalg.solve(a, b), np.linalg.solve(a, b), dtype)
    close(jnp.linalg.solve(a[..., :, :], v) if not batch else jnp.linalg.solve(a[(0,) * len(batch)], v),
          np.linalg.solve(a[(0,) * len(batch)], v), dtype)
    close(jnp.linalg.inv(a), np.linalg.inv(a), dtype)
    close(jnp.linalg.det(a), np.linalg.det(a), dtype)
    sign, logdet = jnp.linalg.slogdet(a)
    close(sign, np.linalg.slogdet(a)[0], dtype)
    close(logdet, np.linalg.slogdet(a)[1], dtype)
    close(jnp.linalg.cholesky(s), np.linalg.cholesky(s), dtype)
    close(jnp.linalg.cholesky(s, upper=True), np.linalg.cholesky(s, upper=True), dtype)
    close(jnp.linalg.eigvalsh(s), np.linalg.eigvalsh(s), dtype, 10)
    w, vecs = jnp.linalg.eigh(s)
    close(vecs @ (w[..., :, None] * np.swapaxes(vecs, -1, -2)), s, dtype, 10)
    close(jnp.linalg.svd(a, compute_uv=False), np.linalg.svd(a, compute_uv=False), dtype)
    close(jnp.linalg.svdvals(a), np.linalg.svd(a, compute_uv=False), dtype)
    for mode in ("reduced", "complete"):
        q, r = jnp.linalg.qr(a[..., :3], mode=mode)
        qn, rn = np.linalg.qr(a[..., :3], mode=mode)
        close(np.abs(q), np.abs(qn), dtype)       # column signs are LAPACK's choice
        close(q @ r, a[..., :3] if mode == "reduced" else qn @ rn, dtype)
    close(jnp.linalg.qr(a, mode="r"), np.linalg.qr(a, mode="r"), dtype, 10)
    close(jnp.linalg.pinv(a[..., :3]), np.linalg.pinv(a[..., :3]), dtype, 10)
    close(jnp.linalg.matrix_power(a, 3), np.linalg.matrix_power(a, 3), dtype, 10)
    close(jnp.linalg.matrix_power(a, -2), np.linalg.matrix_power(a, -2), dtype, 100)
    close(jnp.linalg.matrix_power(a, 0), np.linalg.matrix_power(a, 0), dtype)
    close(jnp.linalg.matrix_rank(a), np.linalg.matrix_rank(a), dtype)
    close(jnp.linalg.cond(a), np.linalg.cond(a), dtype, 100)
    for p in (1, -1, np.inf, "fro", -2):
        close(jnp.linalg.cond(a, p), np.linalg.cond(a, p), dtype, 100)
    close(jnp.linalg.trace(a, offset=1), np.linalg.trace(a, offset=1), dtype)
    close(jnp.linalg.diagonal(a, offset=-1), np.linalg.diagonal(a, offset=-1), dtype)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (2, 4, 4), (2, 3, 2, 4)])
def test_norm_every_order_matches_numpy(shape):
    x = rand(*shape)
    for ord in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        for axis in ((-2, -1), (-1, -2), (0, -1)):
            for keepdims in (False, True):
                close(jnp.linalg.norm(x, ord, axis, keepdims),
                      np.linalg.norm(x, ord, axis, keepdims))
    for ord in (None, 0, 1, 2, 3, 0.5, np.inf, -np.inf, -1):
        close(jnp.linalg.norm(x, ord, axis=-1), np.linalg.norm(x, ord, axis=-1))
        close(jnp.linalg.vector_norm(x, ord=ord if ord is not None else 2),
              np.linalg.vector_norm(x, ord=ord if ord is not None else 2))
    close(jnp.linalg.matrix_norm(x, ord="nuc"), np.linalg.matrix_norm(x, ord="nuc"))


def test_lstsq_multi_dot_and_products_match_numpy():
    for m, n in ((6, 3), (3, 6), (4, 4)):
        a, b = rand(m, n), rand(m, 2)
        for rhs in (b, b[:, 0]):
            x, resid, rank, s = jnp.linalg.lstsq(a, rhs)
            xn, _, rank_n, sn = np.linalg.lstsq(a, rhs)
            close(x, xn)
            close(resid, np.sum((rhs - a @ xn) ** 2, axis=0).reshape(-1))   # (1,) for 1-d b
            assert int(rank) == rank_n
            close(s, sn)
            # numpy's residuals (empty unless full column rank n < m), on request.
            _, resid_np, _, _ = jnp.linalg.lstsq(a, rhs, numpy_resid=True)
            assert resid_np.shape == np.linalg.lstsq(a, rhs)[1].shape
    # As JAX: a 1-d b gives residuals of shape (1,), also when a is rank-deficient.
    a, b = np.ones((3, 2)), np.array([1.0, 2.0, 3.0])
    _, resid, rank, _ = jnp.linalg.lstsq(a, b)
    assert resid.shape == (1,) and int(rank) == 1
    close(resid, [2.0])
    arrays = [rand(3), rand(3, 5), rand(5, 2), rand(2, 4), rand(4)]
    close(jnp.linalg.multi_dot(arrays), np.linalg.multi_dot(arrays))
    close(jnp.linalg.multi_dot(arrays[1:4]), np.linalg.multi_dot(arrays[1:4]))
    a, b = rand(2, 3, 4), rand(2, 4, 5)
    close(jnp.linalg.matmul(a, b), np.linalg.matmul(a, b))
    close(jnp.linalg.tensordot(a, b[0], axes=1), np.linalg.tensordot(a, b[0], axes=1))
    close(jnp.linalg.outer(a[0, 0], b[0, 0]), np.linalg.outer(a[0, 0], b[0, 0]))
    close(jnp.linalg.vecdot(a, a), np.linalg.vecdot(a, a))
    close(jnp.linalg.matrix_transpose(a), np.linalg.matrix_transpose(a))
    u, v = rand(4, 3), rand(4, 3)
    close(jnp.linalg.cross(u, v), np.linalg.cross(u, v))
    t = rand(6, 6) + 3 * np.eye(6)
    close(jnp.linalg.tensorinv(t.reshape(2, 3, 6), ind=2),
          np.linalg.tensorinv(t.reshape(2, 3, 6), ind=2))
    t4 = t.reshape(2, 3, 2, 3)
    rhs = rand(2, 3)
    close(jnp.linalg.tensorsolve(t4, rhs), np.linalg.tensorsolve(t4, rhs))
    close(jnp.linalg.tensorsolve(t4, rhs, axes=(0,)), np.linalg.tensorsolve(t4, rhs, axes=(0,)))
    with pytest.raises(ValueError, match="3-dimensional"):
        jnp.linalg.cross(rand(2), rand(2))
    with pytest.raises(ValueError, match="tensorinv"):
        jnp.linalg.tensorinv(rand(2, 3), ind=1)


def test_integer_inputs_promote_as_jax():
    # JAX: integer inputs become the default float of their width class (int32 -> float32).
    a = np.array([[2, 1], [1, 3]], np.int32)
    b = np.array([1, 2], np.int32)
    for out in (jnp.linalg.solve(a, b), jnp.linalg.inv(a), jnp.linalg.det(a),
                jnp.linalg.cholesky(a), jnp.linalg.eigvalsh(a), jsl.solve(a, b)):
        assert out.dtype == np.float32
    close(jnp.linalg.solve(a, b), np.linalg.solve(a, b), F32)
    assert jnp.linalg.det(a.astype(np.int64)).dtype == np.float64
    assert jnp.linalg.matrix_power(a, 2).dtype == np.int32          # products stay integer
    np.testing.assert_array_equal(jnp.linalg.matrix_power(a, 2), a @ a)


# -------------------------------------------------------- values vs scipy

@pytest.mark.parametrize("dtype", [F32, F64])
def test_scipy_functions_match_scipy(dtype):
    a, s, b, v = rand(4, 4, dtype=dtype), spd(4, 4, dtype=dtype), rand(4, 3, dtype=dtype), \
        rand(4, dtype=dtype)
    for trans in (0, 1, "T", 2):
        for lower in (True, False):
            for unit in (True, False):
                for rhs in (b, v):
                    close(jsl.solve_triangular(a + 4 * np.eye(4, dtype=dtype), rhs, trans, lower,
                                               unit),
                          sl.solve_triangular(a + 4 * np.eye(4, dtype=dtype), rhs, trans, lower,
                                              unit), dtype)
    for lower in (True, False):
        c, low = jsl.cho_factor(s, lower=lower)
        assert low == lower
        close(jsl.cho_solve((c, low), b), sl.cho_solve(sl.cho_factor(s, lower=lower), b), dtype)
        close(jsl.cholesky(s, lower=lower), sl.cholesky(s, lower=lower), dtype)
    for shape in ((4, 4), (3, 5), (5, 3)):
        x = rand(*shape, dtype=dtype)
        for got, want in zip(jsl.lu(x), sl.lu(x)):
            close(got, want, dtype)
        for got, want in zip(jsl.lu(x, permute_l=True), sl.lu(x, permute_l=True)):
            close(got, want, dtype)
    lu, piv = jsl.lu_factor(a)
    lu_n, piv_n = sl.lu_factor(a)
    close(lu, lu_n, dtype)
    np.testing.assert_array_equal(piv, piv_n)
    assert piv.dtype == np.int32
    for trans in (0, 1):
        close(jsl.lu_solve((lu, piv), b, trans), sl.lu_solve((lu_n, piv_n), b, trans), dtype)
    close(jsl.lu_solve((lu, piv), v), sl.lu_solve((lu_n, piv_n), v), dtype)
    w, vecs = jsl.eigh(s)
    close(w, sl.eigh(s)[0], dtype, 10)
    close(jsl.eigh(s, eigvals_only=True), sl.eigh(s, eigvals_only=True), dtype, 10)
    close(jsl.det(a), sl.det(a), dtype)
    close(jsl.inv(a), sl.inv(a), dtype)
    close(jsl.solve(a, b), sl.solve(a, b), dtype)
    close(jsl.solve(s, v, assume_a="pos"), sl.solve(s, v, assume_a="pos"), dtype)
    close(jsl.block_diag(a, v, dtype(3.0), b), sl.block_diag(a, v, 3.0, b), dtype)
    assert jsl.block_diag().shape == (1, 0)


@pytest.mark.parametrize("dtype", [F32, F64])
def test_scipy_svd_qr_and_structured_matrices_match_scipy(dtype):
    x = rand(5, 3, dtype=dtype)
    s_full = jsl.svd(x)
    assert [m.shape for m in s_full] == [m.shape for m in sl.svd(x)]
    close(jsl.svd(x, compute_uv=False), sl.svd(x, compute_uv=False), dtype)
    u, s, vh = jsl.svd(x, full_matrices=False)
    close((u * s) @ vh, x, dtype)
    # QR factors are unique up to the signs of R's rows: compare |R| and Q R.
    for mode in ("full", "economic"):
        (q, r), (q_n, r_n) = jsl.qr(x, mode=mode), sl.qr(x, mode=mode)
        assert q.shape == q_n.shape and r.shape == r_n.shape
        close(np.abs(r), np.abs(r_n), dtype)
        close(q @ r, x, dtype)
    (r,) = jsl.qr(x, mode="r")      # a 1-tuple, as scipy returns
    close(np.abs(r), np.abs(sl.qr(x, mode="r")[0]), dtype)
    with pytest.raises(NotImplementedError):
        jsl.qr(x, pivoting=True)
    c, row = rand(4, dtype=dtype), rand(3, dtype=dtype)
    close(jsl.toeplitz(c, row), sl.toeplitz(c, row), dtype)
    close(jsl.toeplitz(c), sl.toeplitz(c), dtype)
    z = c + 1j * c[::-1]
    np.testing.assert_allclose(jsl.toeplitz(z), sl.toeplitz(z), rtol=1e-6)    # r = conj(c)
    close(jsl.hankel(c, row), sl.hankel(c, row), dtype)
    close(jsl.hankel(c), sl.hankel(c), dtype)
    close(jsl.circulant(c), sl.circulant(c), dtype)
    assert jsl.toeplitz(np.arange(3, dtype=np.int32)).dtype == np.int32   # as JAX: kept
    close(jaxlite.jit(jsl.toeplitz)(c, row), sl.toeplitz(c, row), dtype)
    # d/dc of sum(toeplitz(c, row)) counts c[k]'s places in the 4x3 matrix: its
    # k-th subdiagonal has min(4 - k, 3) entries (row[0] is ignored).
    close(jaxlite.grad(lambda v: jnp.sum(jsl.toeplitz(v, row)))(c),
          np.array([3.0, 3.0, 2.0, 1.0]), dtype)


@pytest.mark.parametrize("scale", [1e-3, 0.5, 3.0, 40.0])
def test_expm_matches_scipy(scale):
    a = rand(5, 5) * scale
    want = sl.expm(a)
    close(jsl.expm(a) / np.abs(want).max(), want / np.abs(want).max())
    close(jsl.expm(np.zeros((3, 3))), np.eye(3))
    batch = rand(3, 4, 4) * scale
    close(jsl.expm(batch), np.stack([sl.expm(m) for m in batch]), scale=max(1.0, scale ** 2))


def test_lax_linalg_primitives():
    a, s = rand(2, 4, 3), spd(2, 3, 3)
    q, r = lax_linalg.qr(a, full_matrices=False)
    close(q @ r, a)
    u, sv, vh = lax_linalg.svd(a, full_matrices=False)
    close((u * sv[..., None, :]) @ vh, a)
    close(lax_linalg.svd(a, compute_uv=False), sv)
    v, w = lax_linalg.eigh(s)
    close(w, np.linalg.eigvalsh(s))
    lu, piv, perm = lax_linalg.lu(a)
    np.testing.assert_array_equal(lax_linalg.lu_pivots_to_permutation(piv, 4), perm)
    to_perm = jaxlite.jit(jaxlite.vmap(lambda p: lax_linalg.lu_pivots_to_permutation(p, 4)))
    np.testing.assert_array_equal(to_perm(piv), perm)
    L = lax_linalg.cholesky(s)
    close(lax_linalg.triangular_solve(L, a[..., :3, :], left_side=True, lower=True),
          np.linalg.solve(L, a[..., :3, :]))
    close(lax_linalg.tril(s, -1), np.tril(s, -1))
    close(lax_linalg.triu(s, 1), np.triu(s, 1))


# ------------------------------------------------------------- derivatives

def _sym(x):
    return x @ jnp.swapaxes(x, -1, -2) + 4 * jnp.eye(np.shape(x)[-1])


GRAD_CASES = {
    "solve": (lambda a, b: jnp.linalg.solve(a, b), (rand(3, 3) + 3 * np.eye(3), rand(3, 2))),
    "solve_vec": (lambda a, b: jnp.linalg.solve(a, b), (rand(3, 3) + 3 * np.eye(3), rand(3))),
    "inv": (jnp.linalg.inv, (rand(3, 3) + 3 * np.eye(3),)),
    "det": (jnp.linalg.det, (rand(2, 3, 3),)),
    "slogdet": (lambda a: jnp.linalg.slogdet(a)[1], (rand(3, 3),)),
    "cholesky": (lambda x: jnp.linalg.cholesky(_sym(x)), (rand(3, 3),)),
    "qr": (lambda x: jnp.linalg.qr(x), (rand(4, 3),)),
    "eigh": (lambda x: jnp.linalg.eigh(_sym(x)), (rand(3, 3),)),
    "eigvalsh": (lambda x: jnp.linalg.eigvalsh(x), (rand(3, 3),)),
    "svd": (lambda x: jnp.linalg.svd(x, full_matrices=False), (rand(3, 4),)),
    "svd_square_full": (lambda x: jnp.linalg.svd(x), (rand(3, 3),)),
    "svdvals": (lambda x: jnp.linalg.svd(x, compute_uv=False), (rand(4, 3),)),
    "lstsq": (lambda a, b: jnp.linalg.lstsq(a, b)[0], (rand(5, 3), rand(5, 2))),
    "pinv": (jnp.linalg.pinv, (rand(4, 3),)),
    "matrix_power": (lambda a: jnp.linalg.matrix_power(a, 3), (rand(3, 3),)),
    "matrix_power_neg": (lambda a: jnp.linalg.matrix_power(a, -1), (rand(3, 3) + 3 * np.eye(3),)),
    "multi_dot": (lambda a, b, c: jnp.linalg.multi_dot([a, b, c]), (rand(2, 3), rand(3, 4),
                                                                    rand(4))),
    "cond": (jnp.linalg.cond, (rand(3, 3),)),
    "norm_2": (lambda x: jnp.linalg.norm(x, 2), (rand(3, 4),)),
    "norm_nuc": (lambda x: jnp.linalg.norm(x, "nuc"), (rand(3, 4),)),
    "norm_-2": (lambda x: jnp.linalg.norm(x, -2), (rand(4, 3),)),
    "solve_triangular": (lambda a, b: jsl.solve_triangular(a + 3 * np.eye(3), b, trans=1,
                                                           lower=True), (rand(3, 3), rand(3, 2))),
    "cho_solve": (lambda x, b: jsl.cho_solve(jsl.cho_factor(_sym(x)), b), (rand(3, 3), rand(3))),
    "scipy_lu": (lambda x: jsl.lu(x)[1:], (rand(4, 3),)),
    "lu_factor": (lambda x: jsl.lu_factor(x)[0], (rand(3, 3),)),
    "lu_solve": (lambda x, b: jsl.lu_solve(jsl.lu_factor(x), b, trans=1),
                 (rand(3, 3) + 3 * np.eye(3), rand(3, 2))),
    "expm": (jsl.expm, (rand(3, 3),)),
    "expm_squared": (jsl.expm, (3 * rand(3, 3),)),
    "scipy_det": (jsl.det, (rand(3, 3),)),
    "scipy_inv": (jsl.inv, (rand(3, 3) + 3 * np.eye(3),)),
    "scipy_solve": (jsl.solve, (rand(3, 3) + 3 * np.eye(3), rand(3, 2))),
    "scipy_solve_pos": (lambda x, b: jsl.solve(_sym(x), b, assume_a="pos"), (rand(3, 3), rand(3))),
    "scipy_cholesky": (lambda x: jsl.cholesky(_sym(x)), (rand(3, 3),)),
    "scipy_eigh": (lambda x: jsl.eigh(_sym(x)), (rand(3, 3),)),
    "block_diag": (lambda a, b: jsl.block_diag(a, b, a), (rand(2, 2), rand(3))),
    "trace_diagonal": (lambda x: (jnp.linalg.trace(x), jnp.linalg.diagonal(x, offset=1)),
                       (rand(2, 3, 3),)),
    "batched_solve": (jnp.linalg.solve, (rand(2, 3, 3) + 3 * np.eye(3), rand(2, 3, 2))),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_derivatives_match_finite_differences(name):
    f, args = GRAD_CASES[name]
    check_grads(f, args, order=2, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", ["solve", "cholesky", "eigh", "svd", "lu_solve", "expm",
                                  "slogdet"])
def test_jit_of_grad_matches_eager_grad(name):
    f, args = GRAD_CASES[name]

    def loss(*a):
        return sum(jnp.sum(jnp.sin(o)) for o in jaxlite.tree_util.tree_leaves(f(*a)))
    want = jaxlite.grad(loss, argnums=tuple(range(len(args))))(*args)
    got = jaxlite.jit(jaxlite.grad(loss, argnums=tuple(range(len(args)))))(*args)
    for g, w in zip(got, want):
        close(g, w)


# ------------------------------------------------------------- vmap, jit

VMAP_CASES = {
    "solve": (jnp.linalg.solve, (rand(4, 3, 3), rand(4, 3, 2))),
    "solve_shared_a": (jnp.linalg.solve, (rand(3, 3), rand(4, 3)), (None, 0)),
    "cholesky": (jnp.linalg.cholesky, (spd(4, 3, 3),)),
    "eigh": (lambda x: jnp.linalg.eigh(x).eigenvalues, (spd(4, 3, 3),)),
    "svd": (lambda x: jnp.linalg.svd(x, compute_uv=False), (rand(4, 3, 2),)),
    "qr": (lambda x: jnp.linalg.qr(x, mode="r"), (rand(4, 3, 3),)),
    "lu": (lambda x: jsl.lu(x)[2], (rand(4, 3, 3),)),
    "slogdet": (lambda x: jnp.linalg.slogdet(x)[1], (rand(4, 3, 3),)),
    "solve_triangular": (lambda a, b: jsl.solve_triangular(a, b, lower=True),
                         (spd(4, 3, 3), rand(4, 3))),
    "triangular_in_axis_1": (lambda a, b: jsl.solve_triangular(a, b), (np.moveaxis(spd(4, 3, 3), 0, 1), rand(3, 4)),
                             (1, 1)),
    "lu_solve": (lambda x, b: jsl.lu_solve(jsl.lu_factor(x), b), (rand(4, 3, 3), rand(4, 3))),
    "expm": (jsl.expm, (rand(4, 3, 3),)),
}


@pytest.mark.parametrize("name", sorted(VMAP_CASES))
def test_vmap_matches_loop(name):
    f, args, *axes = VMAP_CASES[name]
    check_vmap(f, args, axes[0] if axes else 0, rtol=1e-9, atol=1e-9)
    check_vmap(jaxlite.jit(f), args, axes[0] if axes else 0, rtol=1e-9, atol=1e-9)


JIT_CASES = {
    "solve": (jnp.linalg.solve, (rand(2, 4, 4), rand(5, 2, 4, 3))),
    "inv": (jnp.linalg.inv, (rand(3, 4, 4),)),
    "det": (jnp.linalg.det, (rand(3, 4, 4),)),
    "slogdet": (jnp.linalg.slogdet, (rand(3, 4, 4),)),
    "cholesky": (jnp.linalg.cholesky, (spd(2, 5, 5),)),
    "qr": (jnp.linalg.qr, (rand(2, 5, 3),)),
    "qr_complete": (lambda x: jnp.linalg.qr(x, "complete"), (rand(2, 5, 3),)),
    "qr_wide": (lambda x: jnp.linalg.qr(x, "complete"), (rand(3, 5),)),
    "eigh": (jnp.linalg.eigh, (spd(2, 5, 5),)),
    "eigh_upper": (lambda x: jnp.linalg.eigh(x, UPLO="U", symmetrize_input=False), (rand(5, 5),)),
    "svd": (jnp.linalg.svd, (rand(2, 5, 3),)),
    "svd_wide_reduced": (lambda x: jnp.linalg.svd(x, full_matrices=False), (rand(2, 3, 5),)),
    "svdvals": (jnp.linalg.svdvals, (rand(4, 6),)),
    "lstsq": (lambda a, b: jnp.linalg.lstsq(a, b)[:2], (rand(6, 3), rand(6, 2))),
    "pinv": (jnp.linalg.pinv, (rand(6, 3),)),
    "norm_nuc": (lambda x: jnp.linalg.norm(x, "nuc", axis=(0, 2)), (rand(3, 2, 4),)),
    "matrix_rank": (jnp.linalg.matrix_rank, (rand(3, 4, 4),)),
    "cond": (jnp.linalg.cond, (rand(4, 4),)),
    "lu": (jsl.lu, (rand(2, 4, 6),)),
    "lu_factor": (jsl.lu_factor, (rand(5, 5),)),
    "lu_solve": (lambda a, b: jsl.lu_solve(jsl.lu_factor(a), b, 1), (rand(5, 5), rand(5, 2))),
    "cho_solve": (lambda a, b: jsl.cho_solve(jsl.cho_factor(a, lower=True), b),
                  (spd(5, 5), rand(5))),
    "solve_triangular": (lambda a, b: jsl.solve_triangular(a, b, trans="T", unit_diagonal=True),
                         (rand(5, 5), rand(5, 3))),
    "expm": (jsl.expm, (rand(2, 4, 4) * 4,)),
    "block_diag": (jsl.block_diag, (rand(2, 2), rand(3), rand(1, 4))),
    # above lapack.SMALL: LAPACK's getrf / potrf / trsm instead of emitted loops
    "solve_large": (jnp.linalg.solve, (rand(2, 20, 20), rand(2, 20, 3))),
    "cholesky_large": (jnp.linalg.cholesky, (spd(2, 20, 20),)),
    "lu_large": (jsl.lu, (rand(20, 17),)),
    "slogdet_large": (jnp.linalg.slogdet, (rand(3, 20, 20),)),
}


@pytest.mark.parametrize("name", sorted(JIT_CASES))
def test_jit_matches_eager(name):
    f, args = JIT_CASES[name]
    check_jit(f, args, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("dtype", [F32, F64])
def test_jit_decompositions_in_both_float_dtypes(dtype):
    a, s = rand(3, 4, 4, dtype=dtype), spd(3, 4, 4, dtype=dtype)
    f = jaxlite.jit(lambda a, s: (jnp.linalg.solve(a, s), jnp.linalg.cholesky(s),
                                  jnp.linalg.eigh(s), jnp.linalg.svd(a), jnp.linalg.qr(a),
                                  jsl.lu(a)))
    got = f(a, s)
    with jaxlite.disable_jit():
        want = f(a, s)
    for g, w in zip(jaxlite.tree_util.tree_leaves(got), jaxlite.tree_util.tree_leaves(want)):
        assert g.dtype == w.dtype
        close(g, w, dtype, 10)


def test_jit_on_empty_and_degenerate_shapes():
    for f, args in [(jnp.linalg.cholesky, (np.zeros((0, 0)),)),
                    (jnp.linalg.solve, (np.zeros((2, 0, 0)), np.zeros((2, 0, 3)))),
                    (jnp.linalg.eigh, (np.zeros((0, 3, 3)),)),
                    (jnp.linalg.svd, (np.zeros((3, 0)),)),
                    (jnp.linalg.qr, (np.zeros((0, 2)),)),
                    (jsl.lu, (np.zeros((3, 0)),))]:
        check_jit(f, args)


# ------------------------------------------------------------- hard cases

def test_eigh_repeated_eigenvalues_gradient_of_invariant_function_is_finite():
    """A triple eigenvalue: eigenvectors inside the cluster are arbitrary, so the
    derivative of one is undefined (JAX gives NaN). Functions that do not depend on
    that choice (the eigenvalues' squares, the projector onto the cluster) get finite,
    exact derivatives: compared with central differences of the same function."""
    q, _ = np.linalg.qr(rand(4, 4))
    a = q @ np.diag([1.0, 1.0, 1.0, 3.0]) @ q.T
    weights = rand(4, 4)

    def f(x):
        w, v = jnp.linalg.eigh(x)
        cluster = v[:, :3] @ v[:, :3].T         # projector onto the triple eigenvalue's space
        return jnp.sum(w ** 2) + jnp.sum(cluster * weights)

    def f_numpy(x):
        w, v = np.linalg.eigh((x + x.T) / 2)
        return np.sum(w ** 2) + np.sum(v[:, :3] @ v[:, :3].T * weights)
    eps = 1e-6
    for direction in (rand(4, 4), rand(4, 4)):
        fd = (f_numpy(a + eps * direction) - f_numpy(a - eps * direction)) / (2 * eps)
        for grad in (jaxlite.grad(f), jaxlite.jit(jaxlite.grad(f))):
            g = np.asarray(grad(a))
            assert np.all(np.isfinite(g))
            np.testing.assert_allclose(np.sum(g * direction), fd, rtol=1e-6, atol=1e-6)
        _, t = jaxlite.jvp(f, (a,), (direction,))
        np.testing.assert_allclose(t, fd, rtol=1e-6, atol=1e-6)
    sym = (a + a.T) / 2
    close(jaxlite.grad(lambda x: jnp.sum(jnp.linalg.eigvalsh(x) ** 2))(a), 2 * sym, scale=100)
    close(jaxlite.grad(lambda x: jnp.linalg.slogdet(x)[1])(a), np.linalg.inv(a).T, scale=100)


def test_svd_of_rank_deficient_matrix():
    a = rand(5, 2) @ rand(2, 4)                     # rank 2
    s = jnp.linalg.svd(a, compute_uv=False)
    close(s, np.linalg.svd(a, compute_uv=False))
    u, s2, vh = jaxlite.jit(lambda x: jnp.linalg.svd(x, full_matrices=False))(a)
    close((u * s2) @ vh, a)
    assert int(jnp.linalg.matrix_rank(a)) == 2
    close(jnp.linalg.pinv(a), np.linalg.pinv(a), scale=100)
    # Functions that do not depend on the basis of the null space: finite, exact gradients.
    close(jaxlite.grad(lambda x: jnp.sum(jnp.linalg.svd(x, compute_uv=False) ** 2))(a), 2 * a)

    def rebuild(x):
        u, s, vh = jnp.linalg.svd(x, full_matrices=False)
        return jnp.sum(jnp.sin((u * s) @ vh))
    for grad in (jaxlite.grad(rebuild), jaxlite.jit(jaxlite.grad(rebuild))):
        close(grad(a), np.cos(a), scale=1e3)
    assert np.all(np.isfinite(jaxlite.grad(lambda x: jnp.linalg.norm(x, "nuc"))(a)))


def test_slogdet_and_det_of_singular_matrix():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    for f in (jnp.linalg.slogdet, jaxlite.jit(jnp.linalg.slogdet)):
        sign, logdet = f(a)
        assert float(sign) == 0.0 and float(logdet) == -np.inf
        sign, logdet = f(np.zeros((2, 3, 3)))
        np.testing.assert_array_equal(sign, [0.0, 0.0])
        np.testing.assert_array_equal(logdet, [-np.inf, -np.inf])
    assert float(jnp.linalg.det(a)) == 0.0
    assert float(jaxlite.jit(jnp.linalg.det)(np.zeros((3, 3)))) == 0.0


def test_cholesky_of_non_positive_definite_matrix_is_nan():
    """As JAX: no error, the factor of a matrix that is not positive definite is
    all NaN (only that matrix of a batch)."""
    for n in (2, 20):                  # emitted loops and LAPACK's potrf
        bad = np.eye(n)
        bad[0, 1] = bad[1, 0] = 2.0
        batch = np.stack([bad, np.eye(n) * 4])
        for f in (jnp.linalg.cholesky, jaxlite.jit(jnp.linalg.cholesky), jsl.cholesky):
            out = np.asarray(f(batch))
            assert np.all(np.isnan(out[0]))
            close(np.abs(out[1]), 2 * np.eye(n))


def test_solve_with_a_batch_of_right_hand_sides():
    a = rand(4, 4) + 4 * np.eye(4)
    b = rand(6, 4, 3)
    want = np.linalg.solve(a, b)
    close(jnp.linalg.solve(a, b), want)
    close(jaxlite.jit(jnp.linalg.solve)(a, b), want)
    close(jaxlite.vmap(jnp.linalg.solve, in_axes=(None, 0))(a, b), want)
    close(jaxlite.vmap(jnp.linalg.solve, in_axes=(None, 2))(a, np.moveaxis(b, 0, 2)), want)
    close(jsl.solve(a, b), np.stack([sl.solve(a, x) for x in b]))
    # stacked a against one b: b broadcasts
    A = rand(3, 4, 4) + 4 * np.eye(4)
    close(jnp.linalg.solve(A, b[0]), np.linalg.solve(A, b[0]))


# ------------------------------------------------------------------ errors

def test_square_only_functions_reject_other_shapes():
    x = np.ones((3, 4))
    for f, name in [(jnp.linalg.inv, "inv"), (jnp.linalg.det, "det"),
                    (jnp.linalg.slogdet, "slogdet"), (jsl.expm, "expm"), (jsl.det, "det"),
                    (jsl.lu_solve, None)]:
        with pytest.raises(ValueError, match=r"\(3, 4\)"):
            f(x) if name else f((x, np.zeros(3, np.int32)), np.ones(3))
    # JAX raises TypeError for these two (its symmetrization fails to broadcast).
    for f in (jnp.linalg.cholesky, jnp.linalg.eigh, jnp.linalg.eigvalsh):
        with pytest.raises(TypeError, match=r"\(3, 4\)"):
            f(x)
    with pytest.raises(TypeError, match="square"):
        jnp.linalg.matrix_power(x, 2)
    with pytest.raises(ValueError, match=r"\(3,\)"):
        jnp.linalg.solve(np.ones(3), np.ones(3))


def test_mismatched_right_hand_sides():
    a = np.eye(3)
    for f in (jnp.linalg.solve, jsl.solve, jsl.solve_triangular,
              lambda a, b: jsl.cho_solve((a, True), b),
              lambda a, b: jsl.lu_solve(jsl.lu_factor(a), b)):
        for b in (np.ones(4), np.ones((4, 2)), np.ones((2, 4, 1))):
            with pytest.raises(ValueError, match=re.escape(str(np.shape(b)))):
                f(a, b)
            with pytest.raises(ValueError):
                jaxlite.jit(f)(a, b)
    with pytest.raises(ValueError, match=r"\(3, 3\).*\(4, 2\)"):
        lax_linalg.triangular_solve(a, np.ones((4, 2)), left_side=True)
    with pytest.raises(ValueError, match="Leading dimensions"):
        jnp.linalg.lstsq(np.ones((3, 2)), np.ones(4))
    with pytest.raises((TypeError, ValueError), match="ncompatible shapes"):
        jnp.linalg.solve(np.ones((2, 3, 3)), np.ones((3, 3, 1)))


def test_wrong_ord_axis_mode():
    x = np.ones((3, 3))
    with pytest.raises(ValueError, match="Invalid order '3' for matrix norm"):
        jnp.linalg.norm(x, 3)
    with pytest.raises(ValueError, match="Invalid order 'fro' for vector norm"):
        jnp.linalg.norm(np.ones(3), "fro")
    with pytest.raises(ValueError, match="axis 5 is out of bounds"):
        jnp.linalg.norm(x, axis=5)
    with pytest.raises(ValueError, match="Improper number of axes"):
        jnp.linalg.norm(np.ones((2, 2, 2)), axis=(0, 1, 2))
    with pytest.raises(ValueError, match="Invalid order 'foo'"):
        jnp.linalg.cond(x, "foo")
    with pytest.raises(ValueError, match="Unsupported QR decomposition mode 'foo'"):
        jnp.linalg.qr(x, mode="foo")
    with pytest.raises(ValueError, match="UPLO"):
        jnp.linalg.eigh(x, UPLO="X")
    with pytest.raises(ValueError, match="trans"):
        jsl.solve_triangular(x, np.ones(3), trans=3)
    with pytest.raises(ValueError, match="multi_dot"):
        jnp.linalg.multi_dot([np.ones(3)])
    with pytest.raises(ValueError, match="two-dimensional"):
        jnp.linalg.multi_dot([np.ones(3), np.ones((2, 3, 3)), np.ones(3)])
    with pytest.raises(TypeError, match="floating"):
        lax_linalg.cholesky(np.eye(3, dtype=np.int32))
    for f in (jnp.linalg.cholesky, jnp.linalg.inv, jnp.linalg.svd, jaxlite.jit(jnp.linalg.qr)):
        with pytest.raises(NotImplementedError, match="float16"):     # as JAX
            f(np.eye(2, dtype=np.float16))
    with pytest.raises(NotImplementedError, match="only the standard problem"):
        jsl.eigh(x, x)
    with pytest.raises(NotImplementedError, match="QR decomposition derivative"):
        jaxlite.jvp(lambda a: jnp.linalg.qr(a), (np.ones((2, 3)),), (np.ones((2, 3)),))


def test_missing_lapack_routine_is_a_clear_error_at_jit_time(monkeypatch):
    from jaxlite.compiler import lapack
    found = lapack.routine("potrf", F64)
    assert found.int_bits in (32, 64)
    monkeypatch.setattr(lapack, "_found", {})
    monkeypatch.setattr(lapack, "_from_numpy_openblas", lambda name: None)
    monkeypatch.setattr(lapack, "_from_scipy", lambda name: None)
    with pytest.raises(RuntimeError, match="dgesdd"):
        lapack.routine("gesdd", F64)
    jaxlite.clear_caches()
    with pytest.raises(RuntimeError, match="spotrf"):
        jaxlite.jit(lambda x: jnp.linalg.cholesky(x) + 1.0)(np.eye(20, dtype=F32) * 7.0)
    # Matrices up to lapack.SMALL use loops emitted by jaxlite: no routine needed.
    check_jit(jnp.linalg.cholesky, (spd(4, 4),))


def test_scipy_function_pointers_are_a_working_fallback(monkeypatch):
    from jaxlite.compiler import lapack
    monkeypatch.setattr(lapack, "_found", {})
    monkeypatch.setattr(lapack, "_from_numpy_openblas", lambda name: None)
    assert lapack.routine("potrf", F64).int_bits == 32
    jaxlite.clear_caches()
    s, b = spd(2, 5, 5), rand(2, 5, 2)
    f = jaxlite.jit(lambda s, b: (jnp.linalg.solve(s, b), jnp.linalg.eigh(s)[0],
                                  jnp.linalg.svd(s, compute_uv=False), jnp.linalg.qr(s)[1],
                                  jnp.linalg.cholesky(s) * 1.0))
    for g, w in zip(f(s, b), (np.linalg.solve(s, b), np.linalg.eigvalsh(s),
                              np.linalg.svd(s, compute_uv=False), np.linalg.qr(s)[1],
                              np.linalg.cholesky(s))):
        close(np.abs(g), np.abs(w))
    jaxlite.clear_caches()


@pytest.mark.parametrize("m", [3, 16, 17, 40])     # substitution loops up to 16, BLAS trsm above
def test_triangular_solve_every_flag_both_native_paths(m):
    a = rand(2, m, m) / m + np.eye(m)       # well conditioned with or without its diagonal
    for left in (True, False):
        b = rand(2, m, 3) if left else rand(2, 3, m)
        for lower in (True, False):
            for trans in (True, False):
                for unit in (True, False):
                    def f(a, b):
                        return lax_linalg.triangular_solve(a, b, left_side=left, lower=lower,
                                                           transpose_a=trans,
                                                           unit_diagonal=unit)
                    check_jit(f, (a, b), rtol=1e-10, atol=1e-10)


def test_blas_threads_knob_applies_to_lapack_calls(monkeypatch):
    from jaxlite.compiler import native
    blas = native.find_blas()
    if blas is None or blas.set_threads_symbol is None:
        pytest.skip("no OpenBLAS with a per-call thread setting here")   # only the knob is absent
    monkeypatch.setenv("JAXLITE_BLAS_THREADS", "1")
    jaxlite.clear_caches()
    s = spd(20, 20)
    compiled = jaxlite.jit(jnp.linalg.cholesky).lower(s).compile()
    assert blas.set_threads_alias in compiled.llvm_ir(optimized=False)
    close(compiled(s), np.linalg.cholesky(s))
    jaxlite.clear_caches()


def test_scipy_cholesky_reads_one_triangle_like_scipy_and_jax():
    """scipy.linalg.cholesky / cho_factor read the requested triangle only (JAX's
    jax.scipy.linalg.cholesky passes symmetrize_input=False): the other triangle
    may hold anything, eagerly and under jit, and the gradient is that of the
    function of the triangle (central differences)."""
    s = spd(2, 5, 5)
    junk = s + np.triu(rand(2, 5, 5), 1) * 100            # upper triangle garbage
    for lower, a in ((True, junk), (False, np.swapaxes(junk, -1, -2))):
        want = np.stack([sl.cholesky(m, lower=lower) for m in a])
        close(jsl.cholesky(a, lower=lower), want)
        close(jaxlite.jit(lambda x: jsl.cho_factor(x, lower=lower)[0])(a), want)

    def f(x):
        return jnp.sum(jsl.cholesky(x, lower=True) ** 2 * np.arange(25.0).reshape(5, 5))

    def f_np(x):
        return np.sum(np.linalg.cholesky(np.tril(x) + np.tril(x, -1).T) ** 2
                      * np.arange(25.0).reshape(5, 5))
    g = np.asarray(jaxlite.jit(jaxlite.grad(f))(junk[0]))
    assert np.all(np.triu(g, 1) == 0)
    eps = 1e-6
    for _ in range(3):
        d = rand(5, 5)
        fd = (f_np(junk[0] + eps * d) - f_np(junk[0] - eps * d)) / (2 * eps)
        np.testing.assert_allclose(np.sum(g * d), fd, rtol=1e-6, atol=1e-8)


def test_det_gradient_at_singular_matrices_is_the_cofactor_matrix():
    # d det / dA = adj(A)^T, finite for a singular A (det * A^-T would be 0 * inf);
    # adj([[a, b], [c, d]]) = [[d, -b], [-c, a]] and for 3x3 the cofactors.
    def adj_t(m):
        n = len(m)
        return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(m, i, 0), j, 1))
                          for j in range(n)] for i in range(n)])
    for m in ([[1.0, 2.0], [2.0, 4.0]], [[0.0, 1.0], [0.0, 1.0]],
              [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], [[2.0, 1.0], [1.0, 3.0]],
              [[0.0, 0.0], [0.0, 0.0]]):
        m = np.array(m)
        for g in (jaxlite.grad(jnp.linalg.det), jaxlite.jit(jaxlite.grad(jnp.linalg.det))):
            np.testing.assert_allclose(g(m), adj_t(m), atol=1e-12)
    batch = np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [1.0, 3.0]]])
    np.testing.assert_allclose(jaxlite.vmap(jaxlite.grad(jnp.linalg.det))(batch),
                               [adj_t(b) for b in batch], atol=1e-12)
