"""jaxlite.numpy.linalg: numpy.linalg over the decompositions of lax.linalg.

Every function works on stacks of matrices (the last two axes; leading axes
broadcast where numpy broadcasts them) and promotes integer inputs to float
as JAX does. Derivatives come from the primitives' rules: solve, inv, det and
slogdet go through ``lu``; pinv, lstsq, matrix_rank, cond and the 2 / nuclear
norms through ``svd``.
"""
import builtins
from collections import namedtuple

import numpy as np

from jaxlite import core, lax
from jaxlite.custom_derivatives import custom_jvp
from jaxlite.lax import linalg as lax_linalg
from jaxlite.numpy import _elementwise as el, _indexing, _linalg, _reductions as red, _shape
from jaxlite import numpy_util as util

__all__ = ["cholesky", "cond", "cross", "det", "diagonal", "eig", "eigvals", "eigh", "eigvalsh",
           "inv", "lstsq",
           "matmul", "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose",
           "multi_dot", "norm", "outer", "pinv", "qr", "slogdet", "solve", "svd", "svdvals",
           "tensordot", "tensorinv", "tensorsolve", "trace", "vecdot", "vector_norm", "EighResult", "QRResult",
           "SlogdetResult", "SVDResult", "EigResult"]

EigResult = namedtuple("EigResult", ["eigenvalues", "eigenvectors"])
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
QRResult = namedtuple("QRResult", ["Q", "R"])
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])


# ------------------------------------------------------------------ helpers

def _inexact(*xs):
    return [util.strong(x) for x in util.promote_inexact(*xs)]


def _square(name, a, error=ValueError):
    s = util.shape(a)
    if len(s) < 2 or s[-1] != s[-2]:
        raise error(f"Argument to {name} must have shape [..., n, n], got {s}"
                    f"{core.where_message()}")
    return s[-1]


def _matrix(name, a):
    s = util.shape(a)
    if len(s) < 2:
        raise ValueError(f"{name}: argument must have rank >= 2 (a matrix or a stack of "
                         f"matrices), got shape {s}{core.where_message()}")


def _mT(x):
    return _shape.swapaxes(x, -1, -2)


def _eye(n, like):
    return lax.broadcast_in_dim(np.eye(n, dtype=util.aval(like).dtype),
                                util.shape(like)[:-2] + (n, n),
                                (util.ndim(like) - 2, util.ndim(like) - 1))


def _diag(x):
    return _indexing.diagonal(x, 0, -2, -1)


def _parity(pivots):
    """(-1) ** (number of row swaps) of LU pivots, per matrix."""
    k = util.shape(pivots)[-1]
    swaps = red.sum(el.not_equal(pivots, np.arange(k, dtype=np.int32)), axis=-1)
    return el.subtract(1, el.multiply(2, el.remainder(swaps, 2)))


def _permute_rows(b, perm):
    """b[..., perm, :] per matrix."""
    idx = lax.broadcast_in_dim(perm, util.shape(b), tuple(range(util.ndim(perm))))
    return _indexing.take_along_axis(b, idx, axis=-2, mode="clip")


# ------------------------------------------------------------ solve family

def solve(a, b):
    """x with a @ x = b. ``b`` of rank 1 is one vector; otherwise its last two
    axes are a matrix of right-hand sides and leading axes broadcast with a's."""
    a, b = _inexact(a, b)
    sa, sb = util.shape(a), util.shape(b)
    if len(sa) < 2:
        raise ValueError(f"left hand array must be at least two dimensional; got a.shape={sa}")
    n = _square("solve", a)
    vector = len(sb) == 1
    if vector:
        b = lax.reshape(b, (sb[0], 1))
    sb2 = util.shape(b)
    if sb2[-2] != n:
        raise ValueError(f"solve: a of shape {sa} and b of shape {sb} are incompatible: "
                         f"b's {'length' if vector else 'rows'} must be {n}"
                         f"{core.where_message()}")
    batch = util.broadcast_shapes(sa[:-2], sb2[:-2], what="solve")
    a = util.broadcast_to_shape(a, batch + sa[-2:])
    b = util.broadcast_to_shape(b, batch + sb2[-2:])
    x = _solve(a, b)
    return lax.reshape(x, batch + (n,)) if vector else x


# dx = A^-1 (db - dA x), with A's LU factors from the forward pass: the tangent
# map is two triangular solves and a product (transposed in reverse mode to
# solves against A^T and an outer product), where the lu primitive's own rule
# would differentiate the whole factorization.
@custom_jvp
def _solve(a, b):
    return _lu_solve(lax_linalg.lu(a), b)


@_solve.defjvp
def _solve_jvp(primals, tangents):
    (a, b), (ta, tb) = primals, tangents
    factors = lax_linalg.lu(a)
    x = _lu_solve(factors, b)
    return x, _lu_solve(factors, el.subtract(tb, _linalg.matmul(ta, x)))


def _lu_solve(factors, b):
    lu, _, perm = factors
    x = _permute_rows(b, perm)
    x = lax_linalg.triangular_solve(lu, x, left_side=True, lower=True, unit_diagonal=True)
    return lax_linalg.triangular_solve(lu, x, left_side=True, lower=False)


def inv(a):
    """The inverse of each square matrix (inf/NaN for a singular one)."""
    (a,) = _inexact(a)
    n = _square("inv", a)
    return _solve(a, _eye(n, a))


def det(a):
    """Determinant of each square matrix, from its LU factorization."""
    (a,) = _inexact(a)
    _square("det", a)
    return _det(a)


def slogdet(a, *, method=None):
    """(sign, log|det|) of each square matrix; a singular one gives (0, -inf)."""
    (a,) = _inexact(a)
    _square("slogdet", a)
    return SlogdetResult(*_slogdet(a))


def _det_from_lu(lu, piv):
    d = red.prod(_diag(lu), axis=-1)
    return el.multiply(lax.convert_element_type(_parity(piv), util.aval(d).dtype), d)


def _slogdet_from_lu(lu, piv):
    diag = _diag(lu)
    dt = util.aval(diag).dtype
    sign = el.multiply(lax.convert_element_type(_parity(piv), dt),
                       red.prod(el.sign(diag), axis=-1))
    mag = el.abs(diag)
    zero = el.equal(mag, 0)          # log(0) = -inf without numpy's divide warning
    logs = el.where(zero, -np.inf, el.log(el.where(zero, 1, mag)))
    return sign, red.sum(logs, axis=-1)


def _inverse_transpose(factors, a):
    """A^-T from A's LU factors (A[perm] = L U): A^T X = I is U^T L^T (P X) = I,
    two transposed triangular solves and a row permutation, where transposing
    A^-1 would leave a strided read to every consumer of the gradient."""
    lu, _, perm = factors
    w = lax_linalg.triangular_solve(lu, _eye(util.shape(a)[-1], a), left_side=True,
                                    lower=False, transpose_a=True)
    w = lax_linalg.triangular_solve(lu, w, left_side=True, lower=True, transpose_a=True,
                                    unit_diagonal=True)
    return _permute_rows(w, lax.argsort(perm))         # X = P^T W: X[perm] = W


# d det = sum(adj(A)^T * dA), adj(A)^T = det * A^-T for an invertible A, and
# d log|det| = tr(A^-1 dA) = sum(A^-T * dA): one inverse in the forward pass and
# an elementwise product per tangent, where the lu primitive's own rule would
# differentiate the whole factorization.
@custom_jvp
def _det(a):
    lu, piv, _ = lax_linalg.lu(a)
    return _det_from_lu(lu, piv)


@_det.defjvp
def _det_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    factors = lax_linalg.lu(a)
    d = _det_from_lu(*factors[:2])
    return d, red.sum(el.multiply(_cofactors(factors, a), t), axis=(-2, -1))


def _cofactors(factors, a):
    """adj(A)^T, finite also when A is singular with one zero pivot (as JAX:
    grad(det) of [[1, 2], [2, 4]] is [[4, -2], [-2, 1]], where det * A^-T is NaN).
    With A = P L U and its zero pivot u_kk replaced by t (A_t), adj(A_t) is
    affine in t, so adj(A) = 2 adj(A_1) - adj(A_2); by Sherman-Morrison that is
    the rank-one sign * prod(u_ii, i != k) * (U_1^-1 e_k)(e_k^T A_1^-1). With
    more than one zero pivot this gives 0 (right when the rank is <= n - 2)."""
    lu, piv, perm = factors
    diag = _diag(lu)
    zero = lax.stop_gradient(el.equal(diag, 0))
    n = util.shape(a)[-1]
    ones_on_zeros = el.where(zero, el.subtract(1, diag), 0)           # u_kk -> 1
    lu1 = el.add(lu, el.multiply(_eye(n, lu), _shape.expand_dims(ones_on_zeros, -2)))
    dt = util.aval(diag).dtype
    scale = el.multiply(lax.convert_element_type(_parity(piv), dt),
                        red.prod(el.where(zero, 1, diag), axis=-1))   # sign * prod(u_ii != 0)
    inv_t = _inverse_transpose((lu1, piv, perm), a)                     # A1^-T (= A^-T if invertible)
    # One zero pivot at k: the rank-one adjugate, transposed: outer(A1^-T e_k, U1^-1 e_k).
    e_k = lax.convert_element_type(
        el.equal(lax.iota(np.int32, n), _shape.expand_dims(red.argmax(zero, axis=-1), -1)), dt)
    u1_inv_ek = lax_linalg.triangular_solve(lu1, _shape.expand_dims(e_k, -1), left_side=True,
                                            lower=False)[..., 0]
    a1_inv_t_ek = _linalg.matmul(inv_t, _shape.expand_dims(e_k, -1))[..., 0]
    rank_one = el.multiply(_shape.expand_dims(a1_inv_t_ek, -1), _shape.expand_dims(u1_inv_ek, -2))
    count = red.sum(zero, axis=-1)
    cof = el.where(_shape.expand_dims(el.equal(count, 1), (-2, -1)), rank_one,
                   el.where(_shape.expand_dims(el.equal(count, 0), (-2, -1)), inv_t, 0))
    return el.multiply(_shape.expand_dims(scale, (-2, -1)), cof)


@custom_jvp
def _slogdet(a):
    lu, piv, _ = lax_linalg.lu(a)
    return _slogdet_from_lu(lu, piv)


@_slogdet.defjvp
def _slogdet_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    factors = lax_linalg.lu(a)
    sign, logabs = _slogdet_from_lu(*factors[:2])
    trace = red.sum(el.multiply(_inverse_transpose(factors, a), t), axis=(-2, -1))
    return (sign, logabs), (el.multiply(sign, 0), trace)


def cholesky(a, *, upper=False, symmetrize_input=True):
    """Lower Cholesky factor (upper: its transpose) of each matrix; a matrix
    that is not positive definite gives NaN (as JAX)."""
    (a,) = _inexact(a)
    L = lax_linalg.cholesky(a, symmetrize_input=symmetrize_input)
    return _mT(L) if upper else L


# ---------------------------------------------------------- decompositions

def qr(a, mode="reduced"):
    """QRResult(Q, R) (``mode`` 'reduced' or 'complete'), or R alone ('r')."""
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"Unsupported QR decomposition mode '{mode}'")
    (a,) = _inexact(a)
    _matrix("qr", a)
    q, r = lax_linalg.qr(a, full_matrices=(mode == "complete"))
    return r if mode == "r" else QRResult(q, r)


def _uplo(UPLO):
    if UPLO not in (None, "L", "U"):
        raise ValueError(f"UPLO must be one of None, 'L', or 'U', got {UPLO}")
    return UPLO != "U"


def eigh(a, UPLO=None, symmetrize_input=True):
    """EighResult(eigenvalues ascending, eigenvectors as columns)."""
    lower = _uplo(UPLO)
    (a,) = _inexact(a)
    v, w = lax_linalg.eigh(a, lower=lower, symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eig(a):
    """EigResult(eigenvalues, right eigenvectors as columns) of a general square
    matrix; complex whatever the input, as JAX."""
    _square("eig", a)
    (a,) = _inexact(a)
    w, v = lax_linalg.eig(a, compute_left_eigenvectors=False)
    return EigResult(w, v)


def eigvals(a):
    """The (complex) eigenvalues of a general square matrix."""
    _square("eigvals", a)
    (a,) = _inexact(a)
    return lax_linalg.eig(a, compute_left_eigenvectors=False,
                          compute_right_eigenvectors=False)[0]


def eigvalsh(a, UPLO=None):
    return eigh(a, UPLO).eigenvalues


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """SVDResult(U, S, Vh) with a = U diag(S) Vh (S descending), or S alone."""
    (a,) = _inexact(a)
    _matrix("svd", a)
    if not compute_uv:
        return lax_linalg.svd(a, compute_uv=False)
    return SVDResult(*lax_linalg.svd(a, full_matrices=full_matrices))


def svdvals(x):
    return svd(x, compute_uv=False)


# ------------------------------------------------------------- SVD-based

def _default_rtol(a):
    m, n = util.shape(a)[-2:]
    return 10 * builtins.max(m, n) * np.finfo(util.aval(a).dtype).eps


def pinv(a, rtol=None, hermitian=False, *, rcond=None):
    """Moore-Penrose pseudo-inverse: singular values at most ``rtol`` times
    the largest are treated as zero."""
    (a,) = _inexact(a)
    _matrix("pinv", a)
    rtol = rcond if rtol is None else rtol
    rtol = _default_rtol(a) if rtol is None else rtol
    u, s, vh = lax_linalg.svd(a, full_matrices=False)
    cutoff = el.multiply(rtol, red.max(s, axis=-1, keepdims=True, initial=0.0))
    keep = el.greater(s, cutoff)
    s_inv = el.where(keep, el.divide(1, el.where(keep, s, 1)), 0)
    return _linalg.matmul(_mT(vh) * _shape.expand_dims(s_inv, -2), _mT(u))


def lstsq(a, b, rcond=None, *, numpy_resid=False):
    """(x, residuals, rank, s): least-squares solution of a @ x = b through the
    SVD of a (2-d), singular values at most ``rcond`` times the largest
    dropped. residuals are the squared norms of b - a @ x per column (shape
    (1,) for a 1-d b, as JAX); with ``numpy_resid`` they are empty, as numpy's,
    unless a has full column rank n < m (this needs a concrete rank)."""
    a, b = _inexact(a, b)
    sa, sb = util.shape(a), util.shape(b)
    if len(sa) != 2 or len(sb) not in (1, 2):
        raise TypeError(f"lstsq only supports 2-d a and 1-d or 2-d b, got shapes {sa} and {sb}")
    if sa[0] != sb[0]:
        raise ValueError(f"Leading dimensions of input arrays must match, got shapes {sa} "
                         f"and {sb}")
    m, n = sa
    eps = np.finfo(util.aval(a).dtype).eps
    rcond = eps * builtins.max(m, n) if rcond is None or rcond < 0 else rcond
    u, s, vh = lax_linalg.svd(a, full_matrices=False)
    if 0 in sa:
        cutoff = 0.0
    else:
        cutoff = el.multiply(rcond, red.max(s))
    keep = el.greater(s, cutoff)
    s_inv = el.where(keep, el.divide(1, el.where(keep, s, 1)), 0)
    b2 = lax.reshape(b, (sb[0], 1)) if len(sb) == 1 else b
    uTb = _linalg.matmul(_mT(u), b2)
    x = _linalg.matmul(_mT(vh), uTb * _shape.expand_dims(s_inv, -1))
    resid = red.sum(el.square(el.subtract(b2, _linalg.matmul(a, x))), axis=0)
    rank = red.sum(keep, dtype=np.int32)
    if len(sb) == 1:
        x = lax.reshape(x, (n,))
    if numpy_resid and (int(rank) < n or m <= n):
        resid = lax.full((0,), 0, util.aval(resid).dtype)
    return x, resid, rank, s


def matrix_rank(M, rtol=None, *, tol=None):
    """Number of singular values above ``tol`` (default: the largest times
    max(m, n) * eps, as numpy)."""
    (M,) = _inexact(M)
    if util.ndim(M) < 2:
        return red.sum(el.not_equal(M, 0), dtype=np.int32) if util.ndim(M) == 1 \
            else lax.convert_element_type(el.not_equal(M, 0), np.int32)
    s = svd(M, compute_uv=False)
    m, n = util.shape(M)[-2:]
    if tol is None:
        r = builtins.max(m, n) * np.finfo(util.aval(M).dtype).eps if rtol is None else rtol
        tol = el.multiply(red.max(s, axis=-1, keepdims=True, initial=0.0), r)
    return red.sum(el.greater(s, tol), axis=-1, dtype=np.int32)


def cond(x, p=None):
    """Condition number in the norm ``p`` (None/2: ratio of extreme singular values)."""
    (x,) = _inexact(x)
    if p in (None, 2, -2):
        _matrix("cond", x)
        s = svd(x, compute_uv=False)
        hi, lo = red.max(s, axis=-1), red.min(s, axis=-1)
        return el.divide(lo, hi) if p == -2 else el.divide(hi, lo)
    _square("cond", x)
    if p not in ("fro", "nuc", 1, -1, np.inf, -np.inf):
        raise ValueError(f"Invalid order '{p}' for matrix norm.")
    return el.multiply(norm(x, p, axis=(-2, -1)), norm(inv(x), p, axis=(-2, -1)))


# --------------------------------------------------------- products, powers

def matrix_power(a, n):
    """a @ a @ ... (n times) by repeated squaring; n < 0 inverts first."""
    n = util.operator_index(n, "matrix_power exponent")
    (a,) = util.promote(a)
    a = util.strong(a)
    s = util.shape(a)
    if len(s) < 2 or s[-1] != s[-2]:
        raise TypeError(f"Last 2 dimensions of the array must be square, got shape {s}")
    if n == 0:
        return lax.convert_element_type(_eye(s[-1], a), util.aval(a).dtype)
    if n < 0:
        a, n = inv(a), -n
    result = None
    while n:
        if n & 1:
            result = a if result is None else _linalg.matmul(result, a)
        n >>= 1
        if n:
            a = _linalg.matmul(a, a)
    return result


def multi_dot(arrays, *, precision=None):
    """Product of a chain of matrices (the first may be a vector, as may the last),
    multiplied in the order that needs the fewest operations."""
    arrays = [util.strong(x) for x in util.promote(*arrays)]
    if len(arrays) < 2:
        raise ValueError(f"multi_dot: expecting at least two arrays, got {len(arrays)}")
    shapes = [util.shape(x) for x in arrays]
    ok = all(len(s) == 2 for s in shapes[1:-1]) and len(shapes[0]) in (1, 2) \
        and len(shapes[-1]) in (1, 2)
    if not ok:
        raise ValueError("multi_dot: input arrays must all be two-dimensional, except for the "
                         "first and last array which may be 1 or 2 dimensional. Got array "
                         f"shapes {shapes}")
    first_vec, last_vec = len(shapes[0]) == 1, len(shapes[-1]) == 1
    if first_vec:
        arrays[0] = lax.reshape(arrays[0], (1, shapes[0][0]))
    if last_vec:
        arrays[-1] = lax.reshape(arrays[-1], (shapes[-1][0], 1))
    out = _chain(arrays, _chain_order([util.shape(x) for x in arrays]), 0, len(arrays) - 1)
    if first_vec and last_vec:
        return lax.reshape(out, ())
    if first_vec or last_vec:
        return lax.reshape(out, (util.shape(out)[1],) if first_vec else (util.shape(out)[0],))
    return out


def _chain_order(shapes):
    """split[i][j]: where the cheapest product of matrices i..j splits."""
    dims = [shapes[0][0]] + [s[1] for s in shapes]
    n = len(shapes)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(arrays, split, i, j):
    if i == j:
        return arrays[i]
    k = split[i][j]
    return _linalg.matmul(_chain(arrays, split, i, k), _chain(arrays, split, k + 1, j))


def matmul(x1, x2, /):
    return _linalg.matmul(x1, x2)


def tensordot(x1, x2, /, *, axes=2):
    return _linalg.tensordot(x1, x2, axes)


def outer(x1, x2, /):
    if util.ndim(x1) != 1 or util.ndim(x2) != 1:
        raise ValueError(f"Input arrays must be one-dimensional, but they are "
                         f"x1.ndim={util.ndim(x1)} and x2.ndim={util.ndim(x2)}")
    return _linalg.outer(x1, x2)


def vecdot(x1, x2, /, *, axis=-1):
    return _linalg.vecdot(x1, x2, axis=axis)


def cross(x1, x2, /, *, axis=-1):
    """Cross product of 3-vectors along ``axis`` (numpy.linalg.cross)."""
    for x in (x1, x2):
        if util.shape(x)[axis] != 3:
            raise ValueError(f"Both input arrays must be (arrays of) 3-dimensional vectors, "
                             f"but they have shapes {util.shape(x1)} and {util.shape(x2)}")
    return _linalg.cross(x1, x2, axis=axis)


def tensorinv(a, ind=2):
    """The inverse of ``a`` seen as a matrix from its first ``ind`` axes to the rest."""
    (a,) = _inexact(a)
    s = util.shape(a)
    rows, cols = int(np.prod(s[:ind])), int(np.prod(s[ind:]))
    if ind <= 0 or rows != cols:
        raise ValueError(f"tensorinv: ind={ind} must split shape {s} into two parts of "
                         f"equal size")
    return lax.reshape(inv(lax.reshape(a, (rows, cols))), s[ind:] + s[:ind])


def tensorsolve(a, b, axes=None):
    """x with tensordot(a, x, x.ndim) == b (numpy.linalg.tensorsolve)."""
    a, b = _inexact(a, b)
    if axes is not None:
        nd = util.ndim(a)
        axes = [util.canonical_axis(ax, nd) for ax in axes]
        a = _shape.moveaxis(a, axes, [nd - len(axes) + i for i in range(len(axes))])
    sa, sb = util.shape(a), util.shape(b)
    x_shape = sa[len(sb):]
    rows, cols = int(np.prod(sb)), int(np.prod(x_shape))
    if int(np.prod(sa)) != cols * cols or rows != cols:
        raise ValueError(f"tensorsolve: a of shape {sa} does not match b of shape {sb}")
    x = solve(lax.reshape(a, (rows, cols)), lax.reshape(b, (rows,)))
    return lax.reshape(x, x_shape)


def matrix_transpose(x, /):
    if util.ndim(x) < 2:
        raise ValueError(f"x must be at least two-dimensional for matrix_transpose; got "
                         f"ndim={util.ndim(x)}")
    return _mT(x)


def trace(x, /, *, offset=0, dtype=None):
    """Sum of each matrix's diagonal ``offset`` (the last two axes)."""
    return _indexing.trace(x, offset, -2, -1, dtype)


def diagonal(x, /, *, offset=0):
    """Each matrix's diagonal ``offset`` (the last two axes)."""
    return _indexing.diagonal(x, offset, -2, -1)


# --------------------------------------------------------------------- norms

def norm(x, ord=None, axis=None, keepdims=False):
    """Vector norms (any ``ord``) and matrix norms 'fro', 'nuc', 1, -1, 2, -2,
    inf, -inf, as numpy. With ``axis=None`` a 1-d input gets the vector 2-norm and
    a 2-d input the Frobenius norm; other ranks need ``axis`` (or ord=None)."""
    (x,) = util.promote_inexact(x)
    x = util.strong(x)
    nd = util.ndim(x)
    if axis is None:
        if ord is None:
            return _keepdims(lax.sqrt(red.sum(_abs2(x))), nd, keepdims)
        if nd not in (1, 2):
            raise ValueError(f"Improper number of dimensions to norm: ord={ord!r} with "
                             f"axis=None needs a 1-d or 2-d input, got rank {nd}")
        axis = tuple(range(nd))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(util.canonical_axis(a, nd) for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"Duplicate axes given to norm: {axis}")
    if len(axes) == 1:
        return _vector_norm(x, axes, ord, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, axes, ord, keepdims)
    raise ValueError(f"Improper number of axes for norm: axis={axis} (rank {nd})")


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """The ``ord`` norm of x's entries along ``axis`` (None: all of them)."""
    (x,) = util.promote_inexact(x)
    x = util.strong(x)
    if axis is None:
        out = _vector_norm(lax.reshape(x, (util.aval(x).size,)), (0,), ord, False)
        return _keepdims(out, util.ndim(x), keepdims)
    axes = util.canonical_axes(axis, util.ndim(x))
    return _vector_norm(x, axes, ord, keepdims)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """The ``ord`` norm of each matrix (the last two axes)."""
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def _keepdims(out, nd, keepdims):
    return lax.reshape(out, (1,) * nd) if keepdims else out


def _abs2(x):
    """|x|^2, real for a complex x."""
    if util.aval(x).dtype.kind == "c":
        return lax.real(lax.mul(x, lax.conj(x)))
    return lax.mul(x, x)


def _vector_norm(x, axes, ord, keepdims):
    if isinstance(ord, str):
        raise ValueError(f"Invalid order '{ord}' for vector norm.")
    ax = el.absolute(x)
    if ord is None or ord == 2:
        return lax.sqrt(red.sum(_abs2(x), axes, keepdims=keepdims))
    if ord == np.inf:
        return red.max(ax, axes, keepdims=keepdims)
    if ord == -np.inf:
        return red.min(ax, axes, keepdims=keepdims)
    if ord == 0:
        return red.sum(el.not_equal(x, 0), axes, dtype=util.aval(ax).dtype, keepdims=keepdims)
    if ord == 1:
        return red.sum(ax, axes, keepdims=keepdims)
    p = float(ord)
    return el.power(red.sum(el.power(ax, p), axes, keepdims=keepdims), 1.0 / p)


def _matrix_norm(x, axes, ord, keepdims):
    r, c = axes
    if ord is None or ord == "fro":
        return lax.sqrt(red.sum(_abs2(x), axes, keepdims=keepdims))
    if ord in (2, -2, "nuc"):
        s = svd(_shape.moveaxis(x, (r, c), (-2, -1)), compute_uv=False)
        out = red.max(s, -1) if ord == 2 else red.min(s, -1) if ord == -2 else red.sum(s, -1)
        if keepdims:
            out = _shape.expand_dims(out, tuple(sorted(axes)))
        return out
    ax = el.absolute(x)
    if ord in (1, -1):
        sums = red.sum(ax, r, keepdims=True)
        fn = red.max if ord == 1 else red.min
        return _drop(fn(sums, c, keepdims=True), axes, keepdims)
    if ord in (np.inf, -np.inf):
        sums = red.sum(ax, c, keepdims=True)
        fn = red.max if ord == np.inf else red.min
        return _drop(fn(sums, r, keepdims=True), axes, keepdims)
    raise ValueError(f"Invalid order '{ord}' for matrix norm.")


def _drop(out, axes, keepdims):
    if keepdims:
        return out
    return _shape.squeeze(out, axes)
