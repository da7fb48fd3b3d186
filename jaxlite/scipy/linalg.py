"""jaxlite.scipy.linalg: scipy.linalg's dense solvers and factorizations, as
jax.scipy.linalg, over the primitives of jaxlite.lax.linalg (batched over
leading axes, differentiable, compiled to LAPACK calls under jit)."""
import numpy as np

from jaxlite import core, lax
from jaxlite.lax import linalg as lax_linalg
import jaxlite.numpy as jnp
from jaxlite.numpy import linalg as jnp_linalg
from jaxlite import numpy_util as util

__all__ = ["block_diag", "circulant", "cho_factor", "cho_solve", "cholesky", "det", "eigh",
           "expm", "hankel", "inv", "lu", "lu_factor", "lu_solve", "qr", "solve",
           "solve_triangular", "svd", "toeplitz"]


def _inexact(*xs):
    return [util.strong(x) for x in util.promote_inexact(*xs)]


def _square(name, a):
    s = util.shape(a)
    if len(s) < 2 or s[-1] != s[-2]:
        raise ValueError(f"{name}: expected a (batched) square matrix, got a.shape={s}"
                         f"{core.where_message()}")
    return s[-1]


def _rhs(name, a, b):
    """b as a matrix of right-hand sides (a vector gets a trailing unit axis),
    its batch axes broadcast with a's; the flag says whether to drop it again."""
    sa, sb = util.shape(a), util.shape(b)
    n = sa[-1]
    vector = len(sb) == 1
    if vector:
        b = lax.reshape(b, (sb[0], 1))
    sb2 = util.shape(b)
    if sb2[-2] != n:
        raise ValueError(f"{name}: incompatible shapes a {sa} and b {sb}: b must have {n} "
                         f"{'entries' if vector else 'rows'}{core.where_message()}")
    batch = util.broadcast_shapes(sa[:-2], sb2[:-2], what=name)
    return (util.broadcast_to_shape(a, batch + sa[-2:]),
            util.broadcast_to_shape(b, batch + sb2[-2:]), vector)


def _unrhs(x, vector):
    return lax.reshape(x, util.shape(x)[:-1]) if vector else x


def _trans(trans):
    if trans in (0, "N"):
        return False
    if trans in (1, "T", 2, "C"):
        return True
    raise ValueError(f"Invalid 'trans' value {trans!r}: expected 0, 1, 2, 'N', 'T' or 'C'")


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     debug=None, check_finite=True):
    """x with op(a) x = b, reading only a's ``lower`` (or upper) triangle."""
    a, b = _inexact(a, b)
    _square("solve_triangular", a)
    a, b2, vector = _rhs("solve_triangular", a, b)
    x = lax_linalg.triangular_solve(a, b2, left_side=True, lower=lower,
                                    transpose_a=_trans(trans), unit_diagonal=unit_diagonal)
    return _unrhs(x, vector)


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """Cholesky factor of each matrix: upper (scipy's default) or ``lower``. Like
    scipy and JAX, only that triangle of ``a`` is read (no symmetrization, which
    also spares the gradient a transposed pass over the matrix)."""
    (a,) = _inexact(a)
    _square("cholesky", a)
    L = lax_linalg.cholesky(a if lower else jnp.swapaxes(a, -1, -2), symmetrize_input=False)
    return L if lower else jnp.swapaxes(L, -1, -2)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """(c, lower) for cho_solve; c's other triangle is zero."""
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """x with a x = b, from cho_factor's (c, lower)."""
    c, lower = c_and_lower
    c, b = _inexact(c, b)
    _square("cho_solve", c)
    c, b2, vector = _rhs("cho_solve", c, b)
    # a = L L^T: solve L y = b, then L^T x = y (with U = L^T when upper).
    y = lax_linalg.triangular_solve(c, b2, left_side=True, lower=lower, transpose_a=not lower)
    x = lax_linalg.triangular_solve(c, y, left_side=True, lower=lower, transpose_a=lower)
    return _unrhs(x, vector)


def lu(a, permute_l=False, overwrite_a=False, check_finite=True):
    """(p, l, u) with a = p @ l @ u (or (p @ l, u) when ``permute_l``)."""
    (a,) = _inexact(a)
    if util.ndim(a) < 2:
        raise ValueError(f"lu: expected a (batched) matrix, got a.shape={util.shape(a)}")
    m, n = util.shape(a)[-2:]
    k = min(m, n)
    factors, _, perm = lax_linalg.lu(a)
    dt = util.aval(a).dtype
    l = jnp.tril(factors[..., :, :k], -1) + jnp.eye(m, k, dtype=dt)
    u = jnp.triu(factors[..., :k, :])
    # a[perm] = l u, so a = p l u with p[perm[i], i] = 1.
    p = jnp.swapaxes(jnp.asarray(perm[..., :, None] == jnp.arange(m), dtype=dt), -1, -2)
    if permute_l:
        return jnp.matmul(p, l), u
    return p, l, u


def lu_factor(a, overwrite_a=False, check_finite=True):
    """(lu, piv): both triangles in one matrix and LAPACK's 0-based row swaps."""
    (a,) = _inexact(a)
    if util.ndim(a) < 2:
        raise ValueError(f"lu_factor: expected a (batched) matrix, got a.shape="
                         f"{util.shape(a)}")
    factors, pivots, _ = lax_linalg.lu(a)
    return factors, pivots


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """x with a x = b (``trans`` 1/2: a^T x = b) from lu_factor's (lu, piv)."""
    factors, pivots = lu_and_piv
    factors, b = _inexact(factors, b)
    n = _square("lu_solve", factors)
    factors, b2, vector = _rhs("lu_solve", factors, b)
    perm = lax_linalg.lu_pivots_to_permutation(
        jnp.broadcast_to(pivots, util.shape(factors)[:-2] + util.shape(pivots)[-1:]), n)
    idx = jnp.broadcast_to(perm[..., :, None], util.shape(b2))
    if not _trans(trans):
        x = jnp.take_along_axis(b2, idx, axis=-2, mode="clip")
        x = lax_linalg.triangular_solve(factors, x, left_side=True, lower=True,
                                        unit_diagonal=True)
        x = lax_linalg.triangular_solve(factors, x, left_side=True, lower=False)
    else:
        # a^T = U^T L^T P: solve U^T z = b, L^T y = z, then x[perm] = y.
        y = lax_linalg.triangular_solve(factors, b2, left_side=True, lower=False,
                                        transpose_a=True)
        y = lax_linalg.triangular_solve(factors, y, left_side=True, lower=True,
                                        transpose_a=True, unit_diagonal=True)
        inverse = jnp.broadcast_to(jnp.argsort(perm, axis=-1)[..., :, None], util.shape(b2))
        x = jnp.take_along_axis(y, inverse, axis=-2, mode="clip")
    return _unrhs(x, vector)


def eigh(a, b=None, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         turbo=True, eigvals=None, type=1, check_finite=True):
    """(w, v) of the symmetric matrix a (ascending w), or w alone."""
    if b is not None:
        raise NotImplementedError("eigh: only the standard problem (b=None) is supported")
    w, v = jnp_linalg.eigh(a, UPLO="L" if lower else "U")
    return w if eigvals_only else (w, v)


def det(a, overwrite_a=False, check_finite=True):
    return jnp_linalg.det(a)


def inv(a, overwrite_a=False, check_finite=True):
    return jnp_linalg.inv(a)


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a="gen"):
    """x with a x = b; ``assume_a='pos'`` solves by Cholesky, anything else by LU."""
    if assume_a not in ("gen", "sym", "her", "pos"):
        raise ValueError(f"solve: unknown assume_a={assume_a!r} (expected 'gen', 'sym', "
                         f"'her' or 'pos')")
    if assume_a != "pos":
        a, b = _inexact(a, b)
        _square("solve", a)
        a, b2, vector = _rhs("solve", a, b)
        return _unrhs(jnp_linalg.solve(a, b2), vector)
    return cho_solve(cho_factor(a, lower=lower), b)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    """(U, s, Vh) with a = U diag(s) Vh (s descending), or s alone."""
    if compute_uv:
        return tuple(jnp_linalg.svd(a, full_matrices=full_matrices))
    return jnp_linalg.svd(a, compute_uv=False)


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """scipy's modes: 'full' (square Q), 'economic' (reduced), 'r' (the tuple
    ``(R,)`` with the full R, as scipy returns it). Column pivoting is not
    implemented."""
    if pivoting:
        raise NotImplementedError("qr: pivoting=True (column-pivoted QR) is not implemented")
    if mode not in ("full", "economic", "r"):
        raise ValueError(f"Unsupported QR decomposition mode '{mode}'")
    q, r = jnp_linalg.qr(a, mode="reduced" if mode == "economic" else "complete")
    return (r,) if mode == "r" else (q, r)


def _from_diagonals(vals, index):
    """The matrices ``vals[..., index]`` for a static integer matrix ``index``."""
    return jnp.take(vals, np.asarray(index), axis=-1, mode="clip")


def toeplitz(c, r=None):
    """Constant diagonals: first column ``c``, first row ``r`` (default conj(c);
    r[0] is ignored). Leading axes of c and r are batch axes."""
    c, r = (c, jnp.conj(c)) if r is None else util.promote(c, r)
    m, n = util.shape(c)[-1], util.shape(r)[-1]
    batch = util.broadcast_shapes(util.shape(c)[:-1], util.shape(r)[:-1], what="toeplitz")
    c, r = jnp.broadcast_to(c, batch + (m,)), jnp.broadcast_to(r, batch + (n,))
    # vals = c reversed then r[1:]: entry (i, j) is vals[m - 1 - i + j].
    vals = jnp.concatenate([jnp.flip(c, -1), r[..., 1:]], axis=-1)
    return _from_diagonals(vals, m - 1 - np.arange(m)[:, None] + np.arange(n))


def hankel(c, r=None):
    """Constant anti-diagonals: first column ``c``, last row ``r`` (default
    zeros; r[0] is ignored)."""
    c, r = (c, jnp.zeros_like(c)) if r is None else util.promote(c, r)
    m, n = util.shape(c)[-1], util.shape(r)[-1]
    batch = util.broadcast_shapes(util.shape(c)[:-1], util.shape(r)[:-1], what="hankel")
    c, r = jnp.broadcast_to(c, batch + (m,)), jnp.broadcast_to(r, batch + (n,))
    vals = jnp.concatenate([c, r[..., 1:]], axis=-1)
    return _from_diagonals(vals, np.arange(m)[:, None] + np.arange(n))


def circulant(c):
    """Each column the previous one rotated down by one; the first is ``c``."""
    c = jnp.asarray(c)
    n = util.shape(c)[-1]
    return _from_diagonals(c, (np.arange(n)[:, None] - np.arange(n)) % n)


def block_diag(*arrs):
    """The arrays (scalars, vectors as rows, matrices) on the diagonal of one matrix."""
    if not arrs:
        return jnp.zeros((1, 0))
    arrs = [util.strong(x) for x in util.promote(*arrs)]
    mats = []
    for x in arrs:
        nd = util.ndim(x)
        if nd > 2:
            raise ValueError(f"block_diag: arguments must have dimension 2 or less, got "
                             f"shape {util.shape(x)}")
        mats.append(lax.reshape(x, (1,) * (2 - nd) + util.shape(x)))
    total = sum(util.shape(m)[1] for m in mats)
    rows, col = [], 0
    zero = np.zeros((), util.aval(mats[0]).dtype)
    for m in mats:
        c = util.shape(m)[1]
        rows.append(lax.pad(m, zero, ((0, 0, 0), (col, total - col - c, 0))))
        col += c
    return lax.concatenate(rows, 0)


# Pade approximant of degree 13 (Higham, "The scaling and squaring method for
# the matrix exponential revisited", 2005): coefficients and the 1-norm bound.
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
           129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
           40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def expm(A, *, upper_triangular=False, max_squarings=16):
    """The matrix exponential, by scaling and squaring with a degree-13 Pade
    approximant: A / 2^s has 1-norm at most theta_13; at most ``max_squarings``
    squarings (a fixed loop of guarded steps, so it differentiates and jits)."""
    (A,) = _inexact(A)
    n = _square("expm", A)
    dt = util.aval(A).dtype
    norm1 = lax.stop_gradient(jnp.max(jnp.sum(jnp.abs(A), axis=-2), axis=-1))
    s = jnp.clip(jnp.ceil(jnp.log2(jnp.maximum(norm1, np.finfo(dt).tiny) / _THETA13)),
                 0, max_squarings)
    X = A / jnp.exp2(s)[..., None, None]
    b = [np.asarray(c, dt) for c in _PADE13]
    eye = jnp.broadcast_to(jnp.eye(n, dtype=dt), util.shape(A))
    X2 = X @ X
    X4 = X2 @ X2
    X6 = X4 @ X2
    U = X @ (X6 @ (b[13] * X6 + b[11] * X4 + b[9] * X2) + b[7] * X6 + b[5] * X4
             + b[3] * X2 + b[1] * eye)
    V = X6 @ (b[12] * X6 + b[10] * X4 + b[8] * X2) + b[6] * X6 + b[4] * X4 + b[2] * X2 \
        + b[0] * eye
    R = jnp_linalg.solve(V - U, V + U)

    def square(i, R):
        return jnp.where((i < s)[..., None, None], R @ R, R)
    return lax.fori_loop(0, max_squarings, square, R)
