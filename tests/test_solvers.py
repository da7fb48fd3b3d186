"""lax.custom_linear_solve, lax.custom_root and scipy.sparse.linalg (cg, bicgstab,
gmres): values against numpy.linalg.solve and scipy.sparse.linalg, derivatives
against closed forms and float64 central differences, eagerly and under jit,
vmap, grad and their compositions."""
import numpy as np
import pytest
import scipy.sparse.linalg as ssl

import jaxlite
import jaxlite.numpy as jnp
import jaxlite.scipy.sparse.linalg as sl
from jaxlite import lax

from helpers import check_jvp, check_vjp

RNG = np.random.default_rng(7)
N = 5
_Q = RNG.standard_normal((N, N))
SPD = _Q @ _Q.T + N * np.eye(N)                       # symmetric positive definite
GEN = RNG.standard_normal((N, N)) + 4 * np.eye(N)    # general, well conditioned
B = RNG.standard_normal(N)
ONES = np.ones(N)


def _dense_solve(M):
    return lambda matvec, y: jnp.linalg.solve(M, y)


def _solve_scaled(t, b, symmetric=False):
    """x = (GEN + t I)^-1 b by custom_linear_solve: t is closed over by matvec."""
    M = GEN + t * jnp.eye(N, dtype=jnp.float64) if not symmetric else SPD + t * jnp.eye(N)

    def transpose_solve(vecmat, y):
        return jnp.linalg.solve(M.T, y)
    return lax.custom_linear_solve(lambda v: M @ v, b, _dense_solve(M),
                                   None if symmetric else transpose_solve, symmetric=symmetric)


def _ref_scaled(t, b, symmetric=False):
    M = (SPD if symmetric else GEN) + t * np.eye(N)
    return np.linalg.solve(M, b)


# ------------------------------------------------------------ custom_linear_solve

@pytest.mark.parametrize("symmetric", [False, True])
def test_linear_solve_value_and_grads(symmetric):
    t = np.float64(0.5)
    x = _solve_scaled(t, B, symmetric)
    np.testing.assert_allclose(x, _ref_scaled(t, B, symmetric), rtol=1e-12)
    M = (SPD if symmetric else GEN) + t * np.eye(N)
    # d sum(x) / db = M^-T 1; d sum(x) / dt = -1^T M^-1 M^-1 b.
    gb = jaxlite.grad(lambda b: _solve_scaled(t, b, symmetric).sum())(B)
    np.testing.assert_allclose(gb, np.linalg.solve(M.T, ONES), rtol=1e-12)
    gt = jaxlite.grad(lambda t: _solve_scaled(t, B, symmetric).sum())(t)
    np.testing.assert_allclose(gt, -ONES @ np.linalg.solve(M, np.linalg.solve(M, B)),
                               rtol=1e-12)
    check_vjp(lambda t, b: _solve_scaled(t, b, symmetric), (t, B), rtol=1e-6)


def test_linear_solve_jit_vmap_grad_compose():
    ts = np.array([0.1, 0.7, 2.0])
    f = lambda t: _solve_scaled(t, B).sum()                      # noqa: E731
    want = [(-ONES @ np.linalg.solve(GEN + t * np.eye(N),
                                     np.linalg.solve(GEN + t * np.eye(N), B))) for t in ts]
    np.testing.assert_allclose(jaxlite.jit(jaxlite.vmap(jaxlite.grad(f)))(ts), want, rtol=1e-10)
    np.testing.assert_allclose(jaxlite.vmap(jaxlite.grad(f))(ts), want, rtol=1e-10)
    xs = jaxlite.jit(jaxlite.vmap(lambda t: _solve_scaled(t, B)))(ts)
    np.testing.assert_allclose(xs, np.stack([_ref_scaled(t, B) for t in ts]), rtol=1e-10)
    bs = RNG.standard_normal((4, N))
    xs = jaxlite.vmap(lambda b: _solve_scaled(0.3, b))(bs)
    np.testing.assert_allclose(xs, np.linalg.solve(GEN + 0.3 * np.eye(N), bs.T).T, rtol=1e-10)
    # Second derivative in t: 2 1^T M^-3 b.
    M = GEN + 0.5 * np.eye(N)
    Minv = np.linalg.inv(M)
    np.testing.assert_allclose(jaxlite.grad(jaxlite.grad(f))(np.float64(0.5)),
                               2 * ONES @ Minv @ Minv @ Minv @ B, rtol=1e-9)


def test_linear_solve_needs_transpose_solve_only_for_reverse_mode():
    M = GEN

    def f(b):
        return lax.custom_linear_solve(lambda v: M @ v, b, _dense_solve(M))
    _, t = jaxlite.jvp(f, (B,), (ONES,))
    np.testing.assert_allclose(t, np.linalg.solve(M, ONES), rtol=1e-12)
    with pytest.raises(TypeError, match="transpose_solve required"):
        jaxlite.grad(lambda b: f(b).sum())(B)


def test_linear_solve_pytree_and_aux():
    M = SPD

    def matvec(x):
        y = M @ jnp.concatenate([x["u"], x["v"]])
        return {"u": y[:2], "v": y[2:]}

    def solve(mv, b):
        x = jnp.linalg.solve(M, jnp.concatenate([b["u"], b["v"]]))
        return {"u": x[:2], "v": x[2:]}, jnp.sum(x)

    b = {"u": B[:2], "v": B[2:]}
    x, aux = lax.custom_linear_solve(matvec, b, solve, symmetric=True, has_aux=True)
    want = np.linalg.solve(M, B)
    np.testing.assert_allclose(np.concatenate([x["u"], x["v"]]), want, rtol=1e-12)
    np.testing.assert_allclose(aux, want.sum(), rtol=1e-12)
    g = jaxlite.grad(lambda b: lax.custom_linear_solve(matvec, b, solve, symmetric=True,
                                                      has_aux=True)[0]["v"].sum())(b)
    np.testing.assert_allclose(np.concatenate([g["u"], g["v"]]),
                               np.linalg.solve(M, np.r_[0, 0, 1, 1, 1.]), rtol=1e-12)


def test_linear_solve_checks_solver_outputs():
    mv = lambda v: GEN @ v                                        # noqa: E731
    with pytest.raises(ValueError, match=r"solve\(\) output shapes must match b"):
        lax.custom_linear_solve(mv, B, lambda m, y: y[:2])
    with pytest.raises(ValueError, match=r"solve\(\) output shapes must match b"):
        lax.custom_linear_solve(mv, B, lambda m, y: (y, y))
    with pytest.raises(ValueError, match="auxiliary output was expected"):
        lax.custom_linear_solve(mv, B, lambda m, y: [y, y, y], has_aux=True)


# ------------------------------------------------------------------ custom_root

def _newton_sqrt(a):
    """sqrt(a) as the root of x^2 - a, Newton's iteration inside custom_root."""
    def solve(f, x0):
        return lax.while_loop(lambda x: jnp.abs(f(x)) > 1e-12, lambda x: x - f(x) / (2 * x),
                              x0)
    return lax.custom_root(lambda x: x ** 2 - a, np.float64(1.0), solve,
                           lambda g, y: y / g(1.0))


def test_custom_root_scalar():
    a = np.float64(2.0)
    np.testing.assert_allclose(_newton_sqrt(a), np.sqrt(a), rtol=1e-14)
    np.testing.assert_allclose(jaxlite.grad(_newton_sqrt)(a), 0.5 / np.sqrt(a), rtol=1e-12)
    np.testing.assert_allclose(jaxlite.grad(jaxlite.grad(_newton_sqrt))(a),
                               -0.25 * a ** -1.5, rtol=1e-10)
    np.testing.assert_allclose(jaxlite.jit(jaxlite.grad(_newton_sqrt))(a), 0.5 / np.sqrt(a),
                               rtol=1e-12)
    xs = np.array([0.5, 2.0, 9.0])
    np.testing.assert_allclose(jaxlite.vmap(_newton_sqrt)(xs), np.sqrt(xs), rtol=1e-12)
    np.testing.assert_allclose(jaxlite.jit(jaxlite.vmap(jaxlite.grad(_newton_sqrt)))(xs),
                               0.5 / np.sqrt(xs), rtol=1e-12)
    check_jvp(lambda a: _newton_sqrt(a), (np.float64(3.0),), rtol=1e-7)


def test_custom_root_vector_system():
    # x = tanh(W x + p) componentwise: f(x) = x - tanh(W x + p), solved by fixed point.
    W = 0.3 * RNG.standard_normal((3, 3))

    def fixed_point(p):
        f = lambda x: x - jnp.tanh(W @ x + p)                     # noqa: E731

        def solve(f, x0):
            step = lambda i, x: jnp.tanh(W @ x + p)             # noqa: E731
            return lax.fori_loop(0, 200, step, x0)

        def tangent_solve(g, y):
            return jnp.linalg.solve(jaxlite.jacobian(g)(y), y)
        return lax.custom_root(f, np.zeros(3), solve, tangent_solve)

    p = np.array([0.2, -0.4, 0.1])
    x = fixed_point(p)
    np.testing.assert_allclose(x, np.tanh(W @ np.asarray(x) + p), rtol=1e-12)
    # dx/dp = (I - D W)^-1 D with D = diag(1 - x^2).
    D = np.diag(1 - np.asarray(x) ** 2)
    np.testing.assert_allclose(jaxlite.jacobian(fixed_point)(p),
                               np.linalg.solve(np.eye(3) - D @ W, D), rtol=1e-10)
    check_vjp(fixed_point, (p,), rtol=1e-6)


def test_custom_root_aux_and_structure_check():
    def solve(f, x0):
        return jnp.sqrt(2.0) + 0 * x0, jnp.asarray(7)
    x, aux = lax.custom_root(lambda x: x ** 2 - 2.0, 1.0, solve, lambda g, y: y / g(1.0),
                             has_aux=True)
    np.testing.assert_allclose(x, np.sqrt(2.0), rtol=1e-6)
    assert int(aux) == 7
    with pytest.raises(TypeError, match="must match initial_guess"):
        lax.custom_root(lambda x: x ** 2 - 2.0, 1.0, lambda f, x: (x, x),
                        lambda g, y: y / g(1.0))


# ------------------------------------------------------------ sparse.linalg values

def test_values_match_numpy_solve():
    np.testing.assert_allclose(sl.cg(SPD, B, tol=1e-12)[0], np.linalg.solve(SPD, B),
                               rtol=1e-9)
    np.testing.assert_allclose(sl.bicgstab(GEN, B, tol=1e-12)[0], np.linalg.solve(GEN, B),
                               rtol=1e-9)
    for method in ("batched", "incremental"):
        x, info = sl.gmres(GEN, B, tol=1e-12, solve_method=method)
        np.testing.assert_allclose(x, np.linalg.solve(GEN, B), rtol=1e-9)
        assert int(info) == 0


def test_truncated_iterations_match_scipy():
    # With a fixed iteration budget both libraries stop at the same iterate.
    P = np.diag(1 / np.diag(SPD))
    np.testing.assert_allclose(sl.cg(SPD, B, maxiter=3)[0],
                               ssl.cg(SPD, B, maxiter=3, rtol=0)[0], rtol=1e-10)
    np.testing.assert_allclose(sl.cg(SPD, B, maxiter=3, M=P)[0],
                               ssl.cg(SPD, B, maxiter=3, M=P, rtol=0)[0], rtol=1e-10)
    np.testing.assert_allclose(sl.bicgstab(GEN, B, maxiter=2)[0],
                               ssl.bicgstab(GEN, B, maxiter=2, rtol=0)[0], rtol=1e-10)
    P = np.diag(1 / np.diag(GEN))
    for method in ("batched", "incremental"):
        np.testing.assert_allclose(
            sl.gmres(GEN, B, restart=2, maxiter=1, solve_method=method)[0],
            ssl.gmres(GEN, B, restart=2, maxiter=1, rtol=0)[0], rtol=1e-9)
        np.testing.assert_allclose(
            sl.gmres(GEN, B, restart=2, maxiter=2, M=P, solve_method=method)[0],
            ssl.gmres(GEN, B, restart=2, maxiter=2, M=P, rtol=0)[0], rtol=1e-9)


def test_matvec_function_pytree_and_x0():
    def matvec(x):
        y = SPD @ jnp.concatenate([x[0], x[1]])
        return (y[:2], y[2:])
    b = (B[:2], B[2:])
    x0 = (np.ones(2), np.zeros(3))
    want = np.linalg.solve(SPD, B)
    for solver in (sl.cg, sl.bicgstab, sl.gmres):
        x, _ = solver(matvec, b, x0, tol=1e-12)
        assert isinstance(x, tuple) and len(x) == 2
        np.testing.assert_allclose(np.concatenate(x), want, rtol=1e-9)
    assert sl.cg(SPD, B)[1] is None and sl.bicgstab(GEN, B)[1] is None
    info = sl.gmres(GEN, B)[1]
    assert info.dtype == np.int32 and int(info) == 0


def test_float32_dtype_kept():
    x, _ = sl.cg(SPD.astype(np.float32), B.astype(np.float32))
    assert x.dtype == np.float32
    np.testing.assert_allclose(x, np.linalg.solve(SPD, B), rtol=1e-4)


def test_bad_arguments():
    with pytest.raises(ValueError, match="square matrix"):
        sl.cg(np.ones((2, 3)), np.ones(3))
    with pytest.raises(ValueError, match="matching tree structure"):
        sl.cg(SPD, B, x0=(B,))
    with pytest.raises(ValueError, match="matching shapes"):
        sl.bicgstab(GEN, B, x0=np.ones(3))
    with pytest.raises(ValueError, match="invalid solve_method"):
        sl.gmres(GEN, B, solve_method="qr")


# --------------------------------------------------- sparse.linalg transforms

SOLVERS = [("cg", sl.cg, SPD), ("bicgstab", sl.bicgstab, GEN), ("gmres", sl.gmres, GEN),
           ("gmres_incremental",
            lambda A, b, **kw: sl.gmres(A, b, solve_method="incremental", **kw), GEN)]


@pytest.mark.parametrize("name,solver,A", SOLVERS, ids=[s[0] for s in SOLVERS])
def test_gradients(name, solver, A):
    # d sum(x)/db = A^-T 1 and d sum(x)/dA = -(A^-T 1) x^T, A passed as a matrix.
    x = np.linalg.solve(A, B)
    lam = np.linalg.solve(A.T, ONES)
    gb = jaxlite.grad(lambda b: solver(A, b, tol=1e-12)[0].sum())(B)
    np.testing.assert_allclose(gb, lam, rtol=1e-8)
    gA = jaxlite.grad(lambda A: solver(A, B, tol=1e-12)[0].sum())(A)
    np.testing.assert_allclose(gA, -np.outer(lam, x), rtol=1e-7, atol=1e-10)
    gA_jit = jaxlite.jit(jaxlite.grad(lambda A: solver(A, B, tol=1e-12)[0].sum()))(A)
    np.testing.assert_allclose(gA_jit, gA, rtol=1e-9, atol=1e-12)
    check_vjp(lambda t, b: solver(lambda v: A @ v + t * v, b, tol=1e-12)[0], (np.float64(0.3), B),
              rtol=1e-5)


@pytest.mark.parametrize("name,solver,A", SOLVERS, ids=[s[0] for s in SOLVERS])
def test_vmap_and_jit(name, solver, A):
    bs = RNG.standard_normal((3, N))
    want = np.linalg.solve(A, bs.T).T
    xs = jaxlite.vmap(lambda b: solver(A, b, tol=1e-12)[0])(bs)
    np.testing.assert_allclose(xs, want, rtol=1e-8)
    xs = jaxlite.jit(jaxlite.vmap(lambda b: solver(A, b, tol=1e-12)[0]))(bs)
    np.testing.assert_allclose(xs, want, rtol=1e-8)
    ts = np.array([0.0, 1.0, 3.0])
    f = lambda t: solver(lambda v: A @ v + t * v, B, tol=1e-12)[0].sum()   # noqa: E731
    want = [-np.linalg.solve(A.T + t * np.eye(N), ONES)
            @ np.linalg.solve(A + t * np.eye(N), B) for t in ts]
    np.testing.assert_allclose(jaxlite.vmap(jaxlite.grad(f))(ts), want, rtol=1e-7)


def test_complex_systems():
    # Hermitian positive definite H: cg, bicgstab and both gmres methods against
    # numpy; a truncated gmres against scipy's; gradients of a real loss.
    Z = RNG.standard_normal((N, N)) + 1j * RNG.standard_normal((N, N))
    H = Z @ Z.conj().T + N * np.eye(N)
    b = RNG.standard_normal(N) + 1j * RNG.standard_normal(N)
    want = np.linalg.solve(H, b)
    for solver in (sl.cg, sl.bicgstab, sl.gmres,
                   lambda *a, **k: sl.gmres(*a, solve_method="incremental", **k)):
        x = solver(H, b, tol=1e-12)[0]
        assert x.dtype == np.complex128
        np.testing.assert_allclose(x, want, rtol=1e-9)
    for method in ("batched", "incremental"):
        np.testing.assert_allclose(
            sl.gmres(H, b, restart=2, maxiter=1, solve_method=method)[0],
            ssl.gmres(H, b, restart=2, maxiter=1, rtol=0)[0], rtol=1e-9)
    x32 = sl.gmres(H.astype(np.complex64), b.astype(np.complex64))[0]
    assert x32.dtype == np.complex64
    g = jaxlite.grad(lambda br: jnp.real(sl.cg(H, br + 0j, tol=1e-12)[0]).sum())(b.real)
    np.testing.assert_allclose(g, np.real(np.linalg.solve(H.T, ONES)), rtol=1e-9)


def test_custom_root_pytree_guess_and_iterative_tangent_solve():
    # u^2 + v = p, u - v = 1, so u^2 + u - 1 = p and du/dp = 1 / (2u + 1). The
    # tangent solve is a while loop (not transposable): reverse mode still works,
    # as it runs tangent_solve on the transposed linearization.
    def root(p):
        f = lambda z: {"u": z["u"] ** 2 + z["v"] - p, "v": z["u"] - z["v"] - 1.0}  # noqa: E731

        def newton(f, z):
            def step(i, z):
                J = jnp.array([[2 * z["u"], 1.0], [1.0, -1.0]])
                r = f(z)
                d = jnp.linalg.solve(J, jnp.stack([r["u"], r["v"]]))
                return {"u": z["u"] - d[0], "v": z["v"] - d[1]}
            return lax.fori_loop(0, 40, step, z)

        def tangent_solve(g, y):
            # Richardson iteration on the normal equations of the 2x2 map g.
            def body(c):
                k, t = c
                r = jaxlite.tree_util.tree_map(lambda a, b: a - b, g(t), y)
                gt = jaxlite.linear_transpose(g, t)(r)[0]
                return k + 1, jaxlite.tree_util.tree_map(lambda a, b: a - 0.1 * b, t, gt)
            zero = jaxlite.tree_util.tree_map(jnp.zeros_like, y)
            return lax.while_loop(lambda c: c[0] < 3000, body, (0, zero))[1]
        return lax.custom_root(f, {"u": np.float64(1.0), "v": np.float64(0.0)}, newton,
                               tangent_solve)

    p = np.float64(3.0)
    u = (-1 + np.sqrt(5 + 4 * p)) / 2
    z = root(p)
    np.testing.assert_allclose([z["u"], z["v"]], [u, u - 1], rtol=1e-12)
    np.testing.assert_allclose(jaxlite.grad(lambda p: root(p)["u"])(p), 1 / (2 * u + 1),
                               rtol=1e-8)
    ps = np.array([3.0, 5.0])
    us = (-1 + np.sqrt(5 + 4 * ps)) / 2
    np.testing.assert_allclose(jaxlite.jit(jaxlite.vmap(jaxlite.grad(lambda p: root(p)["v"])))(ps),
                               1 / (2 * us + 1), rtol=1e-8)


def test_transforms_outside_vmap():
    # jvp / grad / hessian of a vmapped solve (the batched primitive differentiated),
    # against vmap of the derivative and closed forms; nested vmap.
    a = np.array([2.0, 3.0, 5.0])
    _, t = jaxlite.jvp(jaxlite.vmap(_newton_sqrt), (a,), (np.ones(3),))
    np.testing.assert_allclose(t, 0.5 / np.sqrt(a), rtol=1e-12)
    np.testing.assert_allclose(jaxlite.grad(lambda a: jaxlite.vmap(_newton_sqrt)(a).sum())(a),
                               0.5 / np.sqrt(a), rtol=1e-12)
    hess = jaxlite.hessian(lambda a: jaxlite.vmap(_newton_sqrt)(a).sum())(a)
    np.testing.assert_allclose(hess, np.diag(-0.25 * a ** -1.5), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(jaxlite.vmap(jaxlite.vmap(_newton_sqrt))(np.array([[2.0, 3.0],
                                                                                    [4.0, 9.0]])),
                               np.sqrt([[2.0, 3.0], [4.0, 9.0]]), rtol=1e-12)

    As = np.stack([SPD, SPD + np.eye(N), 2 * SPD])
    f = lambda A: sl.cg(A, B, tol=1e-12)[0]                      # noqa: E731
    _, t = jaxlite.jvp(jaxlite.vmap(f), (As,), (np.ones_like(As),))
    _, t2 = jaxlite.vmap(lambda A, dA: jaxlite.jvp(f, (A,), (dA,)))(As, np.ones_like(As))
    np.testing.assert_allclose(t, t2, rtol=1e-10, atol=1e-14)
    # x = A^-1 b, so d x / dA along E = -A^-1 E x.
    want = [-np.linalg.solve(A, np.ones((N, N)) @ np.linalg.solve(A, B)) for A in As]
    np.testing.assert_allclose(t, want, rtol=1e-8)
    g = jaxlite.grad(lambda As: jaxlite.vmap(f)(As).sum())(As)
    want = [-np.outer(np.linalg.solve(A.T, ONES), np.linalg.solve(A, B)) for A in As]
    np.testing.assert_allclose(g, want, rtol=1e-8, atol=1e-14)
