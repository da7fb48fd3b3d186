"""Dense linear algebra with jax.numpy.linalg and jax.scipy.linalg, plus gradients through solve and slogdet."""
import numpy as np

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

rng = np.random.default_rng(7)
n = 5
M = rng.normal(size=(n, n)).astype(np.float32)
S = (M @ M.T + n * np.eye(n)).astype(np.float32)     # symmetric positive definite
b = rng.normal(size=(n,)).astype(np.float32)
B = rng.normal(size=(n, 3)).astype(np.float32)
M64, S64 = M.astype(np.float64), S.astype(np.float64)
tol = dict(rtol=2e-4, atol=2e-4)

x = jnp.linalg.solve(M, b)
np.testing.assert_allclose(M64 @ np.asarray(x, np.float64), b, **tol)
np.testing.assert_allclose(jnp.linalg.solve(S, B), np.linalg.solve(S64, B), **tol)
np.testing.assert_allclose(jnp.linalg.inv(M) @ M, np.eye(n), **tol)
np.testing.assert_allclose(jnp.linalg.det(M), np.linalg.det(M64), rtol=1e-4)
sign, logdet = jnp.linalg.slogdet(M)
sign_np, logdet_np = np.linalg.slogdet(M64)
assert float(sign) == sign_np
np.testing.assert_allclose(logdet, logdet_np, rtol=1e-5)

# Factorizations: check the defining identities rather than sign conventions.
L = jnp.linalg.cholesky(S)
np.testing.assert_allclose(L, np.linalg.cholesky(S64), **tol)
Q, R = jnp.linalg.qr(M)
np.testing.assert_allclose(Q @ R, M, **tol)
np.testing.assert_allclose(Q.T @ Q, np.eye(n), **tol)
assert np.allclose(np.tril(np.asarray(R), -1), 0)
w, V = jnp.linalg.eigh(S)
np.testing.assert_allclose(w, np.linalg.eigvalsh(S64), rtol=1e-4)
np.testing.assert_allclose(S @ V, V * w, **tol)
U, s, Vt = jnp.linalg.svd(B, full_matrices=False)
np.testing.assert_allclose(s, np.linalg.svd(B.astype(np.float64), compute_uv=False), rtol=1e-4)
np.testing.assert_allclose((U * s) @ Vt, B, **tol)

# Norms.
np.testing.assert_allclose(jnp.linalg.norm(b), np.linalg.norm(b), rtol=1e-6)
np.testing.assert_allclose(jnp.linalg.norm(M, ord="fro"), np.linalg.norm(M64, "fro"), rtol=1e-6)
np.testing.assert_allclose(jnp.linalg.norm(M, ord=2), np.linalg.norm(M64, 2), rtol=1e-4)
np.testing.assert_allclose(jnp.linalg.norm(M, ord=1), np.linalg.norm(M64, 1), rtol=1e-6)
np.testing.assert_allclose(jnp.linalg.norm(B, axis=0), np.linalg.norm(B, axis=0), rtol=1e-6)

# Least squares and the pseudo-inverse on a tall system.
tall = rng.normal(size=(8, 3)).astype(np.float32)
y = rng.normal(size=(8,)).astype(np.float32)
coef, resid, rank, sv = jnp.linalg.lstsq(tall, y)
coef_np, resid_np, rank_np, _ = np.linalg.lstsq(tall.astype(np.float64), y, rcond=None)
np.testing.assert_allclose(coef, coef_np, **tol)
np.testing.assert_allclose(resid, resid_np, rtol=1e-4)
assert int(rank) == rank_np == 3
np.testing.assert_allclose(jnp.linalg.pinv(tall), np.linalg.pinv(tall.astype(np.float64)), **tol)

# jax.scipy.linalg: reuse one Cholesky factorization for several solves; triangular solves.
c_and_lower = jsl.cho_factor(S, lower=True)
np.testing.assert_allclose(jsl.cho_solve(c_and_lower, B), np.linalg.solve(S64, B), **tol)
Lnp = np.linalg.cholesky(S64)
np.testing.assert_allclose(jsl.solve_triangular(L, b, lower=True), np.linalg.solve(Lnp, b), **tol)
np.testing.assert_allclose(jsl.solve_triangular(L.T, b, lower=False), np.linalg.solve(Lnp.T, b), **tol)
np.testing.assert_allclose(jsl.solve_triangular(L, b, lower=True, trans="T"), np.linalg.solve(Lnp.T, b), **tol)

# scipy-style factorizations and structured matrices.
U2, s2, Vt2 = jsl.svd(tall, full_matrices=False)
np.testing.assert_allclose((U2 * s2) @ Vt2, tall, **tol)
Qf, Rf = jsl.qr(tall)                                    # scipy's default mode="full"
assert Qf.shape == (8, 8) and Rf.shape == (8, 3)
np.testing.assert_allclose(Qf @ Rf, tall, **tol)
col, row = np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 6.0, 7.0])
np.testing.assert_allclose(jsl.toeplitz(col, row), [[1, 5, 6, 7], [2, 1, 5, 6], [3, 2, 1, 5]])

# Gradients. d/dA log|det A| = inv(A).T ; for f(A, b) = sum(solve(A, b)) = 1^T A^{-1} b,
# df/db = A^{-T} 1 and df/dA = -(A^{-T} 1)(A^{-1} b)^T.
g_logdet = jax.grad(lambda A: jnp.linalg.slogdet(A)[1])(M)
np.testing.assert_allclose(g_logdet, np.linalg.inv(M64).T, **tol)
gA, gb = jax.grad(lambda A, v: jnp.sum(jnp.linalg.solve(A, v)), argnums=(0, 1))(M, b)
lam = np.linalg.solve(M64.T, np.ones(n))
np.testing.assert_allclose(gb, lam, rtol=1e-3, atol=1e-3)
np.testing.assert_allclose(gA, -np.outer(lam, np.linalg.solve(M64, b)), rtol=1e-3, atol=1e-3)
np.testing.assert_allclose(jax.jit(jax.grad(lambda A: jnp.linalg.slogdet(A)[1]))(S), np.linalg.inv(S64), **tol)
# Batched solves with vmap agree with numpy's stacked solve.
Ms = np.stack([M, S, M.T])
np.testing.assert_allclose(jax.vmap(jnp.linalg.solve, (0, None))(Ms, b), np.linalg.solve(Ms.astype(np.float64), b[:, None])[..., 0], **tol)
print("OK")
