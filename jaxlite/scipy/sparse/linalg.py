"""Krylov solvers of scipy.sparse.linalg, as jax.scipy.sparse.linalg: cg, gmres
and bicgstab over a matrix or a matvec function and pytree vectors.

Each iteration is a lax.while_loop wrapped in lax.custom_linear_solve, so
derivatives of the solution (with respect to b and to whatever the matvec
closes over) come from another solve of the same kind, never from
differentiating the loop. Tolerances are SciPy's non-legacy ones:
stop when ``norm(r) <= max(tol * norm(b), atol)``.
"""
import functools
import operator

import numpy as np

from jaxlite import core, lax
import jaxlite.numpy as jnp
from jaxlite.scipy import linalg as sp_linalg
from jaxlite.tree_util import tree_leaves, tree_map, tree_structure

__all__ = ["cg", "gmres", "bicgstab"]


# -------------------------------------------------------- pytree vector algebra

def _dot(a, b):
    return jnp.dot(a, b)


def _vdot_real(x, y):
    """Re(x^H y) without the real/imaginary cross terms: real for the
    Hermitian forms cg and bicgstab use it on."""
    out = _dot(jnp.ravel(jnp.real(x)), jnp.ravel(jnp.real(y)))
    if jnp.iscomplexobj(x) or jnp.iscomplexobj(y):
        out = out + _dot(jnp.ravel(jnp.imag(x)), jnp.ravel(jnp.imag(y)))
    return out


def _vdot_real_tree(x, y):
    return sum(tree_leaves(tree_map(_vdot_real, x, y)))


def _vdot_tree(x, y):
    return sum(tree_leaves(tree_map(
        lambda a, b: jnp.vdot(a, b), x, y)))


def _norm(x):
    return jnp.sqrt(sum(_vdot_real(v, v) for v in tree_leaves(x)))


def _mul(scalar, tree):
    return tree_map(lambda v: scalar * v, tree)


def _add(x, y):
    return tree_map(operator.add, x, y)


def _sub(x, y):
    return tree_map(operator.sub, x, y)


def _identity(x):
    return x


def _as_matvec(f):
    """A callable ``x -> A x`` from a function, a square matrix, or an object with @."""
    if callable(f):
        return f
    if isinstance(f, (np.ndarray, core.Array)) or isinstance(f, core.Tracer):
        if f.ndim != 2 or f.shape[0] != f.shape[1]:
            raise ValueError(f"linear operator must be a square matrix, but has shape: "
                             f"{f.shape}")
        return functools.partial(_dot, f)
    if hasattr(f, "__matmul__"):
        if hasattr(f, "shape") and (len(f.shape) != 2 or f.shape[0] != f.shape[1]):
            raise ValueError(f"linear operator must be a square matrix, but has shape: "
                             f"{f.shape}")
        return functools.partial(operator.matmul, f)
    raise TypeError(f"linear operator must be either a function or ndarray: {f}")


def _result_dtype(tree):
    return jnp.result_type(*tree_leaves(tree))


def _shapes(tree):
    return [tuple(np.shape(x)) for x in tree_leaves(tree)]


def _prepare(b, x0, maxiter, M):
    """JAX's argument handling: x0 defaults to zeros, maxiter to 10 * size,
    M to the identity; x0 must match b's structure and shapes."""
    b = tree_map(jnp.asarray, b)
    x0 = tree_map(jnp.zeros_like, b) if x0 is None else tree_map(jnp.asarray, x0)
    if maxiter is None:
        maxiter = 10 * sum(np.size(x) for x in tree_leaves(b))
    if tree_structure(x0) != tree_structure(b):
        raise ValueError(f"x0 and b must have matching tree structure: "
                         f"{tree_structure(x0)} vs {tree_structure(b)}")
    if _shapes(x0) != _shapes(b):
        raise ValueError(f"arrays in x0 and b must have matching shapes: "
                         f"{_shapes(x0)} vs {_shapes(b)}")
    M = _identity if M is None else _as_matvec(M)
    return b, x0, maxiter, M


# ------------------------------------------------------------------------ cg

def _cg_solve(A, b, x0, *, maxiter, tol, atol, M):
    # Preconditioned conjugate gradients; stop on ||r||^2 <= max(tol ||b||, atol)^2.
    target = jnp.maximum(jnp.square(tol) * _vdot_real_tree(b, b), jnp.square(atol))

    def cond(state):
        _, r, gamma, _, k = state
        rs = jnp.real(gamma) if M is _identity else _vdot_real_tree(r, r)
        return (rs > target) & (k < maxiter)

    def body(state):
        x, r, gamma, p, k = state
        Ap = A(p)
        alpha = gamma / _vdot_real_tree(p, Ap).astype(dtype)
        x = _add(x, _mul(alpha, p))
        r = _sub(r, _mul(alpha, Ap))
        z = M(r)
        gamma_new = _vdot_real_tree(r, z).astype(dtype)
        p = _add(z, _mul(gamma_new / gamma, p))
        return x, r, gamma_new, p, k + 1

    r0 = _sub(b, A(x0))
    z0 = M(r0)
    dtype = _result_dtype(z0)
    gamma0 = _vdot_real_tree(r0, z0).astype(dtype)
    return lax.while_loop(cond, body, (x0, r0, gamma0, z0, 0))[0]


# ------------------------------------------------------------------ bicgstab

def _bicgstab_solve(A, b, x0, *, maxiter, tol, atol, M):
    # Preconditioned BiCGSTAB; k < 0 marks a breakdown (rho or omega zero).
    target = jnp.maximum(jnp.square(tol) * _vdot_real_tree(b, b), jnp.square(atol))

    def cond(state):
        r, k = state[1], state[-1]
        return (_vdot_real_tree(r, r) > target) & (k < maxiter) & (k >= 0)

    def body(state):
        x, r, rhat, alpha, omega, rho, p, q, k = state
        rho_new = _vdot_tree(rhat, r)
        beta = rho_new / rho * alpha / omega
        p = _add(r, _mul(beta, _sub(p, _mul(omega, q))))
        phat = M(p)
        q = A(phat)
        alpha = rho_new / _vdot_tree(rhat, q)
        s = _sub(r, _mul(alpha, q))
        done = _vdot_real_tree(s, s) < target
        shat = M(s)
        t = A(shat)
        omega = _vdot_tree(t, s) / _vdot_tree(t, t)
        x = tree_map(functools.partial(jnp.where, done), _add(x, _mul(alpha, phat)),
                     _add(x, _add(_mul(alpha, phat), _mul(omega, shat))))
        r = tree_map(functools.partial(jnp.where, done), s, _sub(s, _mul(omega, t)))
        k = jnp.where((omega == 0) | (alpha == 0), -11, k + 1)
        k = jnp.where(rho_new == 0, -10, k)
        return x, r, rhat, alpha, omega, rho_new, p, q, k

    r0 = _sub(b, A(x0))
    one = jnp.ones((), _result_dtype(b))
    state = (x0, r0, r0, one, one, one, r0, r0, 0)
    return lax.while_loop(cond, body, state)[0]


def _isolve(solver, A, b, x0, *, tol, atol, maxiter, M, symmetric_if_real):
    b, x0, maxiter, M = _prepare(b, x0, maxiter, M)
    A = _as_matvec(A)
    solve = functools.partial(_solve_with, solver, x0=x0, tol=tol, atol=atol,
                              maxiter=maxiter, M=M)
    # A real positive-definite operator (cg's premise) is its own transpose.
    symmetric = symmetric_if_real and not any(jnp.iscomplexobj(x) for x in tree_leaves(b))
    x = lax.custom_linear_solve(A, b, solve=solve, transpose_solve=solve,
                                symmetric=symmetric)
    return x, None


def _solve_with(solver, A, b, *, x0, tol, atol, maxiter, M):
    return solver(A, b, x0, maxiter=maxiter, tol=tol, atol=atol, M=M)


def cg(A, b, x0=None, *, tol=1e-5, atol=0.0, maxiter=None, M=None):
    """Conjugate gradients for ``A x = b`` with ``A`` Hermitian positive
    definite (a matrix or a function ``x -> A x``; ``b`` any pytree).
    Returns ``(x, None)``; derivatives by implicit differentiation with another cg."""
    return _isolve(_cg_solve, A, b, x0, tol=tol, atol=atol, maxiter=maxiter, M=M,
                   symmetric_if_real=True)


def bicgstab(A, b, x0=None, *, tol=1e-5, atol=0.0, maxiter=None, M=None):
    """BiCGSTAB for ``A x = b`` with a general (nonsymmetric) ``A``.
    Returns ``(x, None)``; derivatives by implicit differentiation with another bicgstab."""
    return _isolve(_bicgstab_solve, A, b, x0, tol=tol, atol=atol, maxiter=maxiter, M=M,
                   symmetric_if_real=False)


# --------------------------------------------------------------------- gmres

def _safe_normalize(x, thresh=None):
    """``(x / ||x||, ||x||)``, or zeros and 0 when ``||x||`` is at most
    ``thresh`` (default the dtype's epsilon)."""
    norm = _norm(x)
    dtype = _result_dtype(x)
    if thresh is None:
        thresh = jnp.finfo(norm.dtype).eps
    thresh = jnp.real(jnp.asarray(thresh).astype(dtype))
    ok = norm > thresh
    safe = jnp.where(ok, norm, 1).astype(dtype)
    return tree_map(lambda y: jnp.where(ok, y / safe, 0).astype(y.dtype), x), \
        jnp.where(ok, norm, 0)


def _project(Q, v):
    """Q^H v, summed over the leaves (Q's columns on its last axis)."""
    return sum(tree_leaves(tree_map(
        lambda X, y: jnp.einsum("...n,...->n", jnp.conj(X), y,
                                ), Q, v)))


def _gram_schmidt(Q, x, xnorm, max_iterations=2):
    """``(q, h)``: x orthogonalized against Q's columns by classical
    Gram-Schmidt, repeated (up to ``max_iterations``) while cancellation
    (||q|| < ||x||/sqrt 2) leaves it inaccurate; ``h`` the overlaps."""
    h = jnp.zeros(tree_leaves(Q)[0].shape[-1], tree_leaves(Q)[0].dtype)

    def body(state):
        k, q, h, _ = state
        c = _project(Q, q)
        q = _sub(q, tree_map(lambda X: _dot(X, c), Q))
        return k + 1, q, h + c, _safe_normalize(q)[1] / np.sqrt(2.0)

    def cond(state):
        k, _, h, qnorm_scaled = state
        return (k < max_iterations) & (_safe_normalize(h)[1] < qnorm_scaled)

    state = body((0, x, h, xnorm / np.sqrt(2.0)))
    _, q, h, _ = lax.while_loop(cond, body, state)
    return q, h


def _arnoldi_step(k, A, M, V, H):
    """Column k+1 of the Krylov basis V (M A applied to column k, orthonormalized)
    and row k of the Hessenberg matrix H; a zero column means breakdown."""
    dtype = _result_dtype(V)
    eps = jnp.finfo(dtype).eps
    v = M(A(tree_map(lambda X: X[..., k], V)))
    _, norm0 = _safe_normalize(v)
    v, h = _gram_schmidt(V, v, norm0)
    unit, norm1 = _safe_normalize(v, thresh=eps * norm0)
    V = tree_map(lambda X, y: X.at[..., k + 1].set(y), V, unit)
    h = h.at[k + 1].set(norm1.astype(dtype))
    return V, H.at[k, :].set(h), norm1 == 0


def _rotate(H, i, cs, sn):
    x, y = H[i], H[i + 1]
    H = H.at[i].set(jnp.conj(cs) * x - jnp.conj(sn) * y)
    return H.at[i + 1].set(sn * x + cs * y)


def _givens(a, b):
    """(cos, sin) of the rotation zeroing b against a."""
    b_zero = jnp.abs(b) == 0
    a_lt_b = jnp.abs(a) < jnp.abs(b)
    t = -jnp.where(a_lt_b, a, b) / jnp.where(a_lt_b, b, a)
    r = lax.rsqrt(1 + jnp.abs(t) ** 2).astype(t.dtype)
    cs = jnp.where(b_zero, 1, jnp.where(a_lt_b, r * t, r))
    sn = jnp.where(b_zero, 0, jnp.where(a_lt_b, r, r * t))
    return cs, sn


def _small_solve(a, b, triangular=False):
    """``a^-1 b`` for gmres's small systems: ``a`` upper triangular, or else
    Hermitian positive definite (a Gram matrix). jaxlite's decompositions are
    real, so a complex system is solved as its real form
    ``[[Re a, -Im a], [Im a, Re a]] [Re x; Im x] = [Re b; Im b]``, which
    keeps positive definiteness (though not triangularity)."""
    if not jnp.iscomplexobj(a):
        if triangular:
            return sp_linalg.solve_triangular(a, b)
        return sp_linalg.solve(a, b, assume_a="pos")
    ar, ai = jnp.real(a), jnp.imag(a)
    big = jnp.concatenate([jnp.concatenate([ar, -ai], axis=1),
                           jnp.concatenate([ai, ar], axis=1)], axis=0)
    rhs = jnp.concatenate([jnp.real(b), jnp.imag(b)])
    x = jnp.linalg.solve(big, rhs) if triangular else sp_linalg.solve(big, rhs, assume_a="pos")
    n = b.shape[0]
    return lax.complex(x[:n], x[n:]).astype(a.dtype)


def _krylov_basis(unit_residual, restart):
    return tree_map(lambda x: jnp.pad(x[..., None], ((0, 0),) * x.ndim + ((0, restart),)),
                    unit_residual)


def _finish_cycle(A, b, x0, V, y, M):
    x = _add(x0, tree_map(lambda X: _dot(X[..., :-1], y), V))
    unit, norm = _safe_normalize(M(_sub(b, A(x))))
    return x, unit, norm


def _gmres_incremental(A, b, x0, unit_residual, residual_norm, ptol, restart, M):
    """One GMRES cycle, QR-factorizing the Hessenberg matrix by Givens rotations
    as it grows: the rotated right-hand side gives the residual each step,
    so the cycle stops as soon as it is below ptol."""
    V = _krylov_basis(unit_residual, restart)
    dtype = _result_dtype(b)
    R = jnp.eye(restart, restart + 1, dtype=dtype)
    rotations = jnp.zeros((restart, 2), dtype)
    beta = jnp.zeros(restart + 1, dtype).at[0].set(residual_norm.astype(dtype))

    def cond(state):
        k, err = state[0], state[1]
        return (k < restart) & (err > ptol)

    def body(state):
        k, _, V, R, beta, rotations = state
        V, H, _ = _arnoldi_step(k, A, M, V, R)
        row = lax.fori_loop(0, k, lambda i, row: _rotate(row, i, *rotations[i, :]), H[k, :])
        cs_sn = _givens(row[k], row[k + 1])
        rotations = rotations.at[k, :].set(jnp.stack(cs_sn))
        R = R.at[k, :].set(_rotate(row, k, *cs_sn))
        beta = _rotate(beta, k, *cs_sn)
        return k + 1, jnp.abs(beta[k + 1]), V, R, beta, rotations

    state = (0, residual_norm, V, R, beta, rotations)
    _, _, V, R, beta, _ = lax.while_loop(cond, body, state)
    y = _small_solve(R[:, :-1].T, beta[:-1], triangular=True)
    return _finish_cycle(A, b, x0, V, y, M)


def _gmres_batched(A, b, x0, unit_residual, residual_norm, ptol, restart, M):
    """One GMRES cycle building the whole Krylov basis (unless it breaks down)
    and then solving the small least-squares problem by its normal equations."""
    V = _krylov_basis(unit_residual, restart)
    dtype = _result_dtype(b)
    H = jnp.eye(restart, restart + 1, dtype=dtype)

    def cond(state):
        _, _, breakdown, k = state
        return (k < restart) & ~breakdown

    def body(state):
        V, H, _, k = state
        V, H, breakdown = _arnoldi_step(k, A, M, V, H)
        return V, H, breakdown, k + 1

    V, H, _, _ = lax.while_loop(cond, body, (V, H, jnp.asarray(False), 0))
    beta = jnp.zeros(restart + 1, dtype).at[0].set(residual_norm.astype(dtype))
    Ht = H.T
    y = _small_solve(_dot(jnp.conj(Ht).T, Ht), _dot(jnp.conj(Ht).T, beta))
    return _finish_cycle(A, b, x0, V, y, M)


def _gmres_solve(A, b, x0, atol, ptol, restart, maxiter, M, cycle):
    """Restarted GMRES: up to ``maxiter`` cycles, each from the last one's x,
    until the (preconditioned) residual norm is at most ``atol``."""
    unit, norm = _safe_normalize(M(_sub(b, A(x0))))

    def cond(state):
        _, k, _, norm = state
        return (k < maxiter) & (norm > atol)

    def body(state):
        x, k, unit, norm = state
        x, unit, norm = cycle(A, b, x, unit, norm, ptol, restart, M)
        return x, k + 1, unit, norm

    return lax.while_loop(cond, body, (x0, 0, unit, norm))[0]


def gmres(A, b, x0=None, *, tol=1e-5, atol=0.0, restart=20, maxiter=None, M=None,
          solve_method="batched"):
    """Restarted GMRES for ``A x = b`` with a general ``A`` (a matrix or a
    function ``x -> A x``; ``b`` any pytree). ``restart`` is the Krylov
    dimension per cycle, ``maxiter`` the number of cycles; ``solve_method``
    'incremental' (Givens QR, early exit within a cycle) or 'batched' (one
    least-squares solve per cycle). Returns ``(x, info)``, info -1 if x has NaNs
    and 0 otherwise, as JAX's."""
    if solve_method == "incremental":
        cycle = _gmres_incremental
    elif solve_method == "batched":
        cycle = _gmres_batched
    else:
        raise ValueError(f"invalid solve_method {solve_method}, must be either "
                         f"'incremental' or 'batched'")
    b, x0, maxiter, M = _prepare(b, x0, maxiter, M)
    A = _as_matvec(A)
    size = sum(np.size(x) for x in tree_leaves(b))
    restart = min(restart, size)
    b_norm = _norm(b)
    atol = jnp.maximum(tol * b_norm, atol)
    ptol = _norm(M(b)) * jnp.minimum(1.0, atol / b_norm)

    def solve(A, b):
        return _gmres_solve(A, b, x0, atol, ptol, restart, maxiter, M, cycle)
    x = lax.custom_linear_solve(A, b, solve=solve, transpose_solve=solve)
    info = jnp.where(jnp.isnan(_norm(x)), -1, 0)
    return x, info
