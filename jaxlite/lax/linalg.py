"""jaxlite.lax.linalg: matrix decompositions as primitives (as jax.lax.linalg).

cholesky, triangular_solve, lu, qr, eigh and svd act on the last two axes;
leading axes are a batch (so their batch rule only moves the vmapped axis to
the front). Eagerly they run numpy's LAPACK (lu: a partial-pivoting
elimination in numpy, numpy has none); under jit the compiler calls LAPACK
from native code (compiler/lapack.py). Their jvp rules are the standard
matrix-calculus results, written with these same primitives, so derivatives
of any order work; triangular_solve is linear in its right-hand side and has
a transpose rule.

Conventions (as JAX): cholesky and eigh read one triangle only (the lower one
by default) and the derivative treats the input as the symmetric matrix that
triangle defines; a matrix that is not positive definite gives a cholesky
factor full of NaN; eigenvalues ascend; pivots and permutations are int32.
"""
import numpy as np

from jaxlite import core
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.lax._rules import check_dtype, standard_primitive
from jaxlite.lax import control_flow, elementwise as el, reductions, structural
from jaxlite.lax.dot import dot_general  # (the lax package exports a function named dot)

__all__ = ["cholesky_p", "triangular_solve_p", "lu_p", "qr_p", "eigh_p", "svd_p", "cholesky",
           "triangular_solve", "lu", "qr", "eigh", "svd", "lu_pivots_to_permutation",
           "symmetrize", "tril", "triu"]


# ------------------------------------------------------------------ helpers

def _aval(x):
    return x.aval if ad.is_undef(x) else core.get_aval(x)


def _swap(x):
    """The matrix transpose of the last two axes."""
    nd = _aval(x).ndim
    return structural.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _mm(a, b):
    """Batched matrix product over the last two axes (equal leading axes)."""
    nd = _aval(a).ndim
    batch = tuple(range(nd - 2))
    return dot_general(a, b, (((nd - 1,), (nd - 2,)), (batch, batch)))


def _mask(x, keep):
    """``x`` times a 0/1 numpy mask over its last two axes: linear in ``x``
    (tangents and cotangents go through it)."""
    aval = _aval(x)
    banded = _band_mask(x, np.asarray(keep), aval)
    if banded is not None:
        return banded
    m = structural.broadcast_in_dim(np.asarray(keep, aval.dtype), aval.shape,
                                    (aval.ndim - 2, aval.ndim - 1))
    return el.mul(x, m)


def _band_mask(x, keep, aval):
    """``x`` times ``keep`` when the mask only depends on the sign of column - row
    (triangles, diagonals): selects on iota comparisons of x times scalars, which
    fuse into the consumer, where an n x n constant mask would be read from memory
    (in transposed order by cotangents)."""
    rows, cols = np.indices(keep.shape)
    values = []
    for region in (rows > cols, rows == cols, rows < cols):
        distinct = np.unique(keep[region])
        if distinct.size > 1:
            return None
        values.append(distinct[0] if distinct.size else 0)
    nd = aval.ndim
    r = structural.broadcasted_iota(np.int32, aval.shape, nd - 2)
    c = structural.broadcasted_iota(np.int32, aval.shape, nd - 1)
    below, on, above = (x if v == 1 else el.mul(x, np.asarray(v, aval.dtype)) for v in values)
    return el.select_n(el.gt(r, c), el.select_n(el.eq(r, c), above, on), below)


def _select(x, keep):
    """``x`` where ``keep`` (a numpy bool matrix), 0 elsewhere: unlike a
    product with a mask, NaN or inf outside ``keep`` do not leak."""
    aval = _aval(x)
    pred = structural.broadcast_in_dim(np.asarray(keep), aval.shape,
                                       (aval.ndim - 2, aval.ndim - 1))
    return el.select_n(pred, structural.full(aval.shape, 0, aval.dtype), x)


def tril(x, k=0):
    """Entries on and below diagonal ``k`` of the last two axes, zeros above."""
    m, n = _aval(x).shape[-2:]
    return _select(x, np.tri(m, n, k, dtype=bool))


def triu(x, k=0):
    """Entries on and above diagonal ``k`` of the last two axes, zeros below."""
    m, n = _aval(x).shape[-2:]
    return _select(x, ~np.tri(m, n, k - 1, dtype=bool))


def _eye_like(x, m=None, n=None):
    aval = _aval(x)
    m = aval.shape[-1] if m is None else m
    n = m if n is None else n
    return structural.broadcast_in_dim(np.eye(m, n, dtype=aval.dtype),
                                       aval.shape[:-2] + (m, n), (aval.ndim - 2, aval.ndim - 1))


def _diag(x):
    """The main diagonal of the last two (square) axes, as a vector."""
    n = _aval(x).shape[-1]
    return reductions.reduce_sum(_mask(x, np.eye(n)), (_aval(x).ndim - 1,))


def _as_diag(v):
    """Vectors along the last axis -> diagonal matrices."""
    aval = _aval(v)
    n = aval.shape[-1]
    shape = aval.shape + (n,)
    full = structural.broadcast_in_dim(v, shape, tuple(range(aval.ndim - 1)) + (aval.ndim,))
    return _mask(full, np.eye(n))


def _col(v, rows=None):
    """Vectors along the last axis broadcast to matrices whose entry (i, j) is v[j]."""
    aval = _aval(v)
    n = aval.shape[-1]
    rows = n if rows is None else rows
    batch = aval.shape[:-1]
    return structural.broadcast_in_dim(v, batch + (rows, n),
                                       tuple(range(len(batch))) + (len(batch) + 1,))


def _row(v):
    """Vectors along the last axis broadcast to square matrices with (i, j) = v[i]."""
    aval = _aval(v)
    n = aval.shape[-1]
    batch = aval.shape[:-1]
    return structural.broadcast_in_dim(v, batch + (n, n), tuple(range(len(batch) + 1)))


def _bcast(x, shape):
    """Broadcast ``x`` (rank 2 fewer batch dims allowed) to ``shape``."""
    aval = _aval(x)
    if aval.shape == tuple(shape):
        return x
    dims = tuple(range(len(shape) - aval.ndim, len(shape)))
    return structural.broadcast_in_dim(x, tuple(shape), dims)


def symmetrize(x):
    """``(x + x^T) / 2`` over the last two axes."""
    return el.mul(el.add(x, _swap(x)), np.asarray(0.5, _aval(x).dtype))


def _sym_from(t, lower):
    """The symmetric matrix the ``lower`` (or upper) triangle of ``t`` defines:
    what a primitive reading only that triangle sees of a perturbation."""
    n = _aval(t).shape[-1]
    strict = np.tri(n, n, -1) if lower else np.tri(n, n, -1).T
    tri = _mask(t, strict + np.eye(n))
    return el.add(tri, _swap(_mask(t, strict)))


def _check_matrix(name, a, square=False):
    check_dtype(name, a, "f")
    if a.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"{name}: unsupported dtype {a.dtype.name} (LAPACK has "
                                  f"float32 and float64 routines only, as in JAX)"
                                  f"{core.where_message()}")
    if a.ndim < 2:
        raise TypeError(f"{name}: operand must have rank >= 2 (a matrix or a stack of "
                        f"matrices), got shape {a.shape}{core.where_message()}")
    if square and a.shape[-1] != a.shape[-2]:
        raise TypeError(f"{name}: operand must be a (stack of) square matrices, got shape "
                        f"{a.shape}{core.where_message()}")


def _front(axis_size, x, d):
    return batching.move_to(x, d, 0, axis_size)


def _batch_unary(prim):
    def rule(axis_size, vals, dims, **params):
        out = core.bind(prim, _front(axis_size, vals[0], dims[0]), **params)
        return out, ([0] * len(out) if prim.multiple_results else 0)
    batching.batch_rules[prim] = rule


def _nan_like(x):
    return np.full(x.shape, np.nan, x.dtype)


def _per_matrix(fn, a, outs):
    """Apply ``fn`` matrix by matrix over the batch (outputs ``outs``
    preallocated); a numpy LinAlgError fills that matrix's outputs with NaN."""
    batch = a.shape[:-2]
    for idx in np.ndindex(*batch):
        try:
            vals = fn(a[idx])
        except np.linalg.LinAlgError:
            vals = [_nan_like(o[idx]) for o in outs]
        for o, v in zip(outs, vals):
            o[idx] = v
    return outs


def _sign_of_largest(v, axis):
    """+1 or -1 per vector along ``axis``: the sign of its entry of largest
    magnitude (the first such). Eigen- and singular vectors are defined up to
    sign; fixing it this way makes eager (any layout) and compiled results equal."""
    idx = np.expand_dims(np.argmax(np.abs(v), axis=axis), axis)
    return np.where(np.take_along_axis(v, idx, axis) < 0, -1, 1).astype(v.dtype)


# ---------------------------------------------------------------- cholesky

def _cholesky_impl(a):
    a = np.ascontiguousarray(a)     # LAPACK's result (signs) depends on the layout
    if a.size == 0:
        return np.zeros(a.shape, a.dtype)
    try:
        return np.linalg.cholesky(a).astype(a.dtype, copy=False)
    except np.linalg.LinAlgError:
        (out,) = _per_matrix(lambda m: [np.linalg.cholesky(m)], a, [np.empty_like(a)])
        return out


def _cholesky_shape(a):
    _check_matrix("cholesky", a, square=True)
    return ShapedArray(a.shape, a.dtype)


cholesky_p = standard_primitive("cholesky", _cholesky_impl, _cholesky_shape,
                                kind=core.KERNEL, cost=core.COSTLY)


def _cholesky_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    L = cholesky_p.bind(a)
    if type(t) is ad.Zero:
        return L, t
    # dL = L Phi(L^-1 dA L^-T), Phi: lower triangle with the diagonal halved.
    n = _aval(a).shape[-1]
    x = triangular_solve(L, _sym_from(t, True), left_side=True, lower=True)
    x = triangular_solve(L, x, left_side=False, lower=True, transpose_a=True)
    return L, _mm(L, _mask(x, np.tri(n, n, -1) + 0.5 * np.eye(n)))


ad.jvp_rules[cholesky_p] = _cholesky_jvp
_batch_unary(cholesky_p)


def cholesky(x, symmetrize_input=True):
    """Lower Cholesky factor L (x = L L^T) of each matrix in ``x``; reads the
    lower triangle (of ``(x + x^T)/2`` when ``symmetrize_input``). A matrix that
    is not positive definite gives a factor full of NaN (as JAX)."""
    if symmetrize_input:
        _check_matrix("cholesky", core.get_aval(x), square=True)
        x = symmetrize(x)
    return cholesky_p.bind(x)


# --------------------------------------------------------- triangular_solve

def _triangle(a, lower, unit_diagonal):
    n = a.shape[-1]
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        t = t * (1 - np.eye(n, dtype=a.dtype)) + np.eye(n, dtype=a.dtype)
    return t


def _substitute(t, b, lower):
    """Solve t x = b by substitution (t triangular, (..., n, n)); used when
    numpy's solve refuses a singular matrix: zero pivots give inf/NaN as in LAPACK."""
    n = t.shape[-1]
    x = np.array(b, dtype=np.result_type(t, b))
    order = range(n) if lower else range(n - 1, -1, -1)
    with np.errstate(all="ignore"):
        for i in order:
            others = np.arange(i) if lower else np.arange(i + 1, n)
            acc = x[..., i, :] - np.einsum("...k,...kj->...j", t[..., i, others],
                                           x[..., others, :])
            x[..., i, :] = acc / t[..., i, i][..., None]
    return x


def _triangular_solve_impl(a, b, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    a, b = np.asarray(a), np.asarray(b)
    if b.size == 0 or a.size == 0:
        return np.zeros(b.shape, b.dtype)
    t = _triangle(a, lower, unit_diagonal)
    low = lower
    if transpose_a:
        t, low = np.swapaxes(t, -1, -2), not low
    rhs = b
    if not left_side:         # x op(a) = b  <=>  op(a)^T x^T = b^T
        t, low, rhs = np.swapaxes(t, -1, -2), not low, np.swapaxes(b, -1, -2)
    try:
        x = np.linalg.solve(t, rhs)
    except np.linalg.LinAlgError:
        x = _substitute(t, rhs, low)
    if not left_side:
        x = np.swapaxes(x, -1, -2)
    return np.ascontiguousarray(x, dtype=b.dtype)


def _triangular_solve_shape(a, b, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    _check_matrix("triangular_solve", a, square=True)
    _check_matrix("triangular_solve", b)
    if a.dtype != b.dtype:
        raise TypeError(f"triangular_solve: a and b must have the same dtype, got "
                        f"{a.dtype.name} and {b.dtype.name}{core.where_message()}")
    side = b.shape[-2] if left_side else b.shape[-1]
    if a.shape[:-2] != b.shape[:-2] or side != a.shape[-1]:
        raise ValueError(f"triangular_solve: incompatible shapes a {a.shape} and b {b.shape} "
                         f"(left_side={left_side}){core.where_message()}")
    return ShapedArray(b.shape, b.dtype)


triangular_solve_p = standard_primitive("triangular_solve", _triangular_solve_impl,
                                        _triangular_solve_shape, kind=core.KERNEL,
                                        cost=core.COSTLY)


def _tri_mask(n, lower, unit_diagonal):
    m = np.tri(n, n, 0) if lower else np.tri(n, n, 0).T
    return m - np.eye(n) if unit_diagonal else m


def _triangular_solve_jvp(primals, tangents, **params):
    (a, b), (ta, tb) = primals, tangents
    x = triangular_solve_p.bind(a, b, **params)
    out = ad.Zero(_aval(x))
    if type(tb) is not ad.Zero:
        out = triangular_solve_p.bind(a, tb, **params)
    if type(ta) is not ad.Zero:
        # op(A) x = b  =>  op(A) dx = -op(dA) x (and x op(A) = b likewise on the right).
        n = _aval(a).shape[-1]
        dA = _mask(ta, _tri_mask(n, params["lower"], params["unit_diagonal"]))
        op = _swap(dA) if params["transpose_a"] else dA
        rhs = _mm(op, x) if params["left_side"] else _mm(x, op)
        delta = el.neg(triangular_solve_p.bind(a, rhs, **params))
        out = ad.add_tangents(out, delta)
    return x, out


def _triangular_solve_transpose(ct, a, b, **params):
    if type(ct) is ad.Zero:
        return [None, None]
    if ad.is_undef(a):
        raise NotImplementedError("triangular_solve is linear in b only, not in a")
    # x = op(A)^-1 b (left) or b op(A)^-1 (right): the adjoint applies op(A)^-T.
    params = dict(params, transpose_a=not params["transpose_a"])
    return [None, triangular_solve_p.bind(a, ct, **params)]


def _triangular_solve_batch(axis_size, vals, dims, **params):
    a, b = (_front(axis_size, v, d) for v, d in zip(vals, dims))
    return triangular_solve_p.bind(a, b, **params), 0


ad.jvp_rules[triangular_solve_p] = _triangular_solve_jvp
ad.transpose_rules[triangular_solve_p] = _triangular_solve_transpose
batching.batch_rules[triangular_solve_p] = _triangular_solve_batch


def triangular_solve(a, b, left_side=False, lower=False, transpose_a=False, conjugate_a=False,
                     unit_diagonal=False):
    """Solve ``op(a) x = b`` (``left_side``) or ``x op(a) = b`` for x, reading
    only the ``lower`` (or upper) triangle of ``a``; ``op`` transposes when
    ``transpose_a``; ``unit_diagonal`` assumes ones on a's diagonal. Leading
    axes of ``b`` beyond a's are a batch (``a`` is broadcast to them)."""
    a_aval, b_aval = core.get_aval(a), core.get_aval(b)
    if a_aval.ndim >= 2 and b_aval.ndim > a_aval.ndim:
        a = _bcast(a, b_aval.shape[:-2] + a_aval.shape[-2:])
    return triangular_solve_p.bind(a, b, left_side=bool(left_side), lower=bool(lower),
                                   transpose_a=bool(transpose_a),
                                   conjugate_a=bool(conjugate_a),
                                   unit_diagonal=bool(unit_diagonal))


# ----------------------------------------------------------------------- lu

def _lu_numpy(a):
    """Partial pivoting as LAPACK's getrf: the first entry of largest magnitude
    in the column is the pivot; a zero pivot leaves its column unscaled."""
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    x = np.array(a, copy=True).reshape((int(np.prod(batch, dtype=np.int64)), m, n))
    nb = x.shape[0]
    pivots = np.zeros((nb, k), np.int32)
    perm = np.tile(np.arange(m, dtype=np.int32), (nb, 1))
    rows = np.arange(nb)
    with np.errstate(all="ignore"):
        for j in range(k):
            p = j + np.argmax(np.abs(x[:, j:, j]), axis=1)
            pivots[:, j] = p
            xj, xp = x[rows, j].copy(), x[rows, p].copy()
            x[rows, j], x[rows, p] = xp, xj
            pj, pp = perm[rows, j].copy(), perm[rows, p].copy()
            perm[rows, j], perm[rows, p] = pp, pj
            piv = x[:, j, j]
            scaled = x[:, j + 1:, j] / np.where(piv == 0, 1, piv)[:, None]
            x[:, j + 1:, j] = np.where((piv != 0)[:, None], scaled, x[:, j + 1:, j])
            x[:, j + 1:, j + 1:] -= x[:, j + 1:, j:j + 1] * x[:, j:j + 1, j + 1:]
    return (x.reshape(a.shape), pivots.reshape(batch + (k,)), perm.reshape(batch + (m,)))


def _lu_impl(a):
    return list(_lu_numpy(np.asarray(a)))


def _lu_shape(a):
    _check_matrix("lu", a)
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    i32 = np.dtype(np.int32)
    return [ShapedArray(a.shape, a.dtype), ShapedArray(batch + (min(m, n),), i32),
            ShapedArray(batch + (m,), i32)]


lu_p = standard_primitive("lu", _lu_impl, _lu_shape, multiple_results=True,
                          kind=core.KERNEL, cost=core.COSTLY)


def _permutation_matrix(perm, dtype):
    """P with P[i, perm[i]] = 1, so P @ a == a[perm]."""
    aval = core.get_aval(perm)
    m = aval.shape[-1]
    shape = aval.shape + (m,)
    rows = structural.broadcast_in_dim(perm, shape, tuple(range(aval.ndim)))
    cols = structural.broadcast_in_dim(np.arange(m, dtype=aval.dtype), shape, (aval.ndim,))
    return el.convert_element_type(el.eq(rows, cols), dtype)


def _lu_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    lu_, piv, perm = lu_p.bind(a)
    zeros = [ad.Zero(_aval(piv)), ad.Zero(_aval(perm))]
    if type(t) is ad.Zero:
        return [lu_, piv, perm], [t] + zeros
    aval = _aval(a)
    m, n = aval.shape[-2:]
    k = min(m, n)
    dt = aval.dtype
    # a[perm] = L U with L (m, m) unit lower and U (n, n) upper, both padded with
    # the identity beyond k: then L^-1 da[perm] U^-1 = L^-1 dL + dU U^-1 splits
    # into its strictly lower part (L^-1 dL) and its upper part (dU U^-1).
    L = el.add(_resize(tril(_cols(lu_, k), -1), m, m), _eye_like(a, m, m))
    U = el.add(_resize(triu(_rows(lu_, k)), n, n),
               _pad_to_corner(np.eye(n - k, dtype=dt), aval.shape[:-2], n, k))
    x = _mm(_permutation_matrix(perm, dt), t)
    x = triangular_solve(L, x, left_side=True, lower=True, unit_diagonal=True)
    x = triangular_solve(U, x, left_side=False, lower=False)
    dL = _mm(L, _mask(x, np.tri(m, n, -1)))
    dU = _mm(_mask(x, 1 - np.tri(m, n, -1)), U)
    return [lu_, piv, perm], [el.add(dL, dU)] + zeros


def _cols(x, k):
    return _resize(x, _aval(x).shape[-2], k)


def _rows(x, k):
    return _resize(x, k, _aval(x).shape[-1])


def _resize(x, r, c):
    """The leading (r, c) block of the last two axes, zero-padded where larger
    (pad with negative amounts removes elements)."""
    aval = _aval(x)
    if aval.shape[-2:] == (r, c):
        return x
    config = [(0, 0, 0)] * (aval.ndim - 2) + [(0, r - aval.shape[-2], 0),
                                              (0, c - aval.shape[-1], 0)]
    return structural.pad(x, np.zeros((), aval.dtype), config)


def _pad_to_corner(eye, batch, n, k):
    """An (n, n) matrix holding ``eye`` (n-k square) in its lower-right corner."""
    full = np.zeros((n, n), eye.dtype)
    full[k:, k:] = eye
    return structural.broadcast_in_dim(full, tuple(batch) + (n, n),
                                       (len(batch), len(batch) + 1))


ad.jvp_rules[lu_p] = _lu_jvp
_batch_unary(lu_p)


def lu(x):
    """(lu, pivots, permutation) of each matrix: ``x[perm] = L U`` with L
    unit lower (strictly below lu's diagonal) and U upper (on and above it);
    pivots are LAPACK's row swaps, 0-based; int32 as JAX."""
    return tuple(lu_p.bind(x))


def lu_pivots_to_permutation(pivots, permutation_size):
    """The permutation (int32) the row swaps ``pivots`` produce: row i swapped
    with row pivots[i], for i = 0, 1, ... in order. A loop over the swaps, so
    pivots may be traced and batched."""
    p_aval = core.get_aval(pivots)
    batch, k = p_aval.shape[:-1], p_aval.shape[-1]
    shape = batch + (permutation_size,)
    last = len(batch)
    rows = structural.broadcasted_iota(np.int32, shape, last)
    pivots = el.convert_element_type(pivots, np.int32)
    if k != permutation_size:
        pivots = _pad_cols(pivots, permutation_size)

    def pick(x, mask):          # x's entry where mask holds, per leading index
        zero = structural.full(shape, 0, np.int32)
        return reductions.reduce_sum(el.select_n(mask, zero, x), (last,))

    def spread(v):
        return structural.broadcast_in_dim(v, shape, tuple(range(last)))

    def swap(i, perm):
        at_i = el.eq(rows, structural.full(shape, i, np.int32))
        j = spread(pick(pivots, at_i))
        at_j = el.eq(rows, j)
        perm_i, perm_j = spread(pick(perm, at_i)), spread(pick(perm, at_j))
        return el.select_n(at_i, el.select_n(at_j, perm, perm_i), perm_j)
    return control_flow.fori_loop(0, k, swap, rows)


def _pad_cols(x, n):
    """Pad (or cut) the last axis of ``x`` to length n with zeros."""
    aval = core.get_aval(x)
    config = [(0, 0, 0)] * (aval.ndim - 1) + [(0, n - aval.shape[-1], 0)]
    return structural.pad(x, np.zeros((), aval.dtype), config)


# ----------------------------------------------------------------------- qr

def _qr_impl(a, full_matrices):
    a = np.ascontiguousarray(a)     # LAPACK's result (signs) depends on the layout
    m, n = a.shape[-2:]
    if a.size == 0:
        q_cols = m if full_matrices else min(m, n)
        q = np.broadcast_to(np.eye(m, q_cols, dtype=a.dtype), a.shape[:-2] + (m, q_cols))
        return [np.array(q), np.zeros(a.shape[:-2] + (q_cols, n), a.dtype)]
    q, r = np.linalg.qr(a, mode="complete" if full_matrices else "reduced")
    return [q.astype(a.dtype, copy=False), r.astype(a.dtype, copy=False)]


def _qr_shape(a, full_matrices):
    _check_matrix("qr", a)
    m, n = a.shape[-2:]
    c = m if full_matrices else min(m, n)
    return [ShapedArray(a.shape[:-2] + (m, c), a.dtype),
            ShapedArray(a.shape[:-2] + (c, n), a.dtype)]


qr_p = standard_primitive("qr", _qr_impl, _qr_shape, multiple_results=True, kind=core.KERNEL,
                          cost=core.COSTLY)


def _qr_jvp(primals, tangents, full_matrices):
    (a,), (t,) = primals, tangents
    q, r = qr_p.bind(a, full_matrices=full_matrices)
    if type(t) is ad.Zero:
        return [q, r], [ad.Zero(_aval(q)), ad.Zero(_aval(r))]
    m, n = _aval(a).shape[-2:]
    if m < n or (full_matrices and m != n):
        raise NotImplementedError("Unimplemented case of QR decomposition derivative: "
                                  f"shape {_aval(a).shape}, full_matrices={full_matrices}")
    # dA R^-1 = dQ + Q dR R^-1; Q^T dQ is skew, dR R^-1 upper.
    dx_rinv = triangular_solve(r, t, left_side=False, lower=False)
    qt_dx_rinv = _mm(_swap(q), dx_rinv)
    low = _mask(qt_dx_rinv, np.tri(n, n, -1))
    skew = el.sub(low, _swap(low))
    dq = el.add(_mm(q, el.sub(skew, qt_dx_rinv)), dx_rinv)
    dr = _mm(el.sub(qt_dx_rinv, skew), r)
    return [q, r], [dq, dr]


ad.jvp_rules[qr_p] = _qr_jvp
_batch_unary(qr_p)


def qr(x, full_matrices=True):
    """(q, r) with x = q r, q orthonormal columns, r upper triangular."""
    return tuple(qr_p.bind(x, full_matrices=bool(full_matrices)))


# --------------------------------------------------------------------- eigh

def _eigh_impl(a, lower):
    a = np.ascontiguousarray(a)     # LAPACK's result (signs) depends on the layout
    if a.size == 0:
        return [np.zeros(a.shape, a.dtype), np.zeros(a.shape[:-1], a.dtype)]
    try:
        w, v = np.linalg.eigh(a, UPLO="L" if lower else "U")
        v = v * _sign_of_largest(v, -2)
        return [v.astype(a.dtype, copy=False), w.astype(a.dtype, copy=False)]
    except np.linalg.LinAlgError:
        v, w = np.empty_like(a), np.empty(a.shape[:-1], a.dtype)
        _per_matrix(lambda m: np.linalg.eigh(m, UPLO="L" if lower else "U")[::-1], a, [v, w])
        return [v, w]


def _eigh_shape(a, lower):
    _check_matrix("eigh", a, square=True)
    return [ShapedArray(a.shape, a.dtype), ShapedArray(a.shape[:-1], a.dtype)]


eigh_p = standard_primitive("eigh", _eigh_impl, _eigh_shape, multiple_results=True,
                            kind=core.KERNEL, cost=core.COSTLY)


def _eigh_jvp(primals, tangents, lower):
    (a,), (t,) = primals, tangents
    v, w = eigh_p.bind(a, lower=lower)
    if type(t) is ad.Zero:
        return [v, w], [ad.Zero(_aval(v)), ad.Zero(_aval(w))]
    n = _aval(a).shape[-1]
    dt = _aval(a).dtype
    vt_da_v = _mm(_swap(v), _mm(_sym_from(t, lower), v))
    dw = _diag(vt_da_v)
    # dV = V (F o V^T dA V), F_ij = 1 / (w_j - w_i). Within a cluster of equal
    # eigenvalues the eigenvectors are arbitrary; F is 0 there, which is exact
    # for any function that does not depend on that choice (the gradient of
    # such a function has no component inside a cluster).
    gap = el.sub(_col(w), _row(w))
    w_aval = _aval(w)
    scale = reductions.reduce_max(el.abs(w), (w_aval.ndim - 1,)) if n else np.zeros(
        w_aval.shape[:-1], dt)
    tol = el.add(el.mul(scale, np.asarray(max(n, 1) * 10 * np.finfo(dt).eps, dt)),
                 np.asarray(np.finfo(dt).tiny, dt))
    tol = structural.broadcast_in_dim(tol, _aval(gap).shape, tuple(range(w_aval.ndim - 1)))
    split = el.gt(el.abs(gap), tol)
    safe = el.select_n(split, structural.full(_aval(gap).shape, 1, dt), gap)
    F = el.select_n(split, structural.full(_aval(gap).shape, 0, dt), el.div(np.asarray(1, dt), safe))
    dv = _mm(v, el.mul(F, vt_da_v))
    return [v, w], [dv, dw]


ad.jvp_rules[eigh_p] = _eigh_jvp
_batch_unary(eigh_p)


def eigh(x, lower=True, symmetrize_input=True):
    """(v, w): eigenvectors (columns of v) and ascending eigenvalues of each
    symmetric matrix, reading its ``lower`` (or upper) triangle (of
    ``(x + x^T)/2`` when ``symmetrize_input``)."""
    if symmetrize_input:
        _check_matrix("eigh", core.get_aval(x), square=True)
        x = symmetrize(x)
    return tuple(eigh_p.bind(x, lower=bool(lower)))


# ---------------------------------------------------------------------- svd

def _svd_impl(a, full_matrices, compute_uv):
    a = np.ascontiguousarray(a)     # LAPACK's result (signs) depends on the layout
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    ur, vc = (m, n) if full_matrices else (k, k)
    if a.size == 0:
        s = np.zeros(batch + (k,), a.dtype)
        if not compute_uv:
            return [s]
        u = np.broadcast_to(np.eye(m, ur, dtype=a.dtype), batch + (m, ur)).copy()
        vh = np.broadcast_to(np.eye(vc, n, dtype=a.dtype), batch + (vc, n)).copy()
        return [s, u, vh]
    try:
        if not compute_uv:
            return [np.linalg.svd(a, compute_uv=False).astype(a.dtype, copy=False)]
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        u, vh = _fix_svd_signs(u, vh, k)
        return [x.astype(a.dtype, copy=False) for x in (s, u, vh)]
    except np.linalg.LinAlgError:
        s = np.empty(batch + (k,), a.dtype)
        if not compute_uv:
            return _per_matrix(lambda x: [np.linalg.svd(x, compute_uv=False)], a, [s])
        u, vh = np.empty(batch + (m, ur), a.dtype), np.empty(batch + (vc, n), a.dtype)
        _per_matrix(lambda x: (lambda r: [r[1], r[0], r[2]])(
            np.linalg.svd(x, full_matrices=full_matrices)), a, [s, u, vh])
        u, vh = _fix_svd_signs(u, vh, k)
        return [s, u, vh]


def _fix_svd_signs(u, vh, k):
    """u's columns signed by their largest entry, vh's first k rows alike
    (u diag(s) vh unchanged); vh's extra rows (full_matrices) by their own."""
    su = _sign_of_largest(u, -2)
    u = u * su
    sv = np.swapaxes(su[..., :k], -1, -2)
    if vh.shape[-2] > k:
        sv = np.concatenate([sv, _sign_of_largest(vh[..., k:, :], -1)], axis=-2)
    return u, vh * sv


def _svd_shape(a, full_matrices, compute_uv):
    _check_matrix("svd", a)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    s = ShapedArray(batch + (k,), a.dtype)
    if not compute_uv:
        return [s]
    ur, vc = (m, n) if full_matrices else (k, k)
    return [s, ShapedArray(batch + (m, ur), a.dtype), ShapedArray(batch + (vc, n), a.dtype)]


svd_p = standard_primitive("svd", _svd_impl, _svd_shape, multiple_results=True,
                           kind=core.KERNEL, cost=core.COSTLY)


def _safe_inverse(x):
    """1/x, with 0 where x == 0."""
    dt = _aval(x).dtype
    zero = el.eq(x, np.asarray(0, dt))
    ones = structural.full(_aval(x).shape, 1, dt)
    return el.select_n(zero, el.div(ones, el.select_n(zero, x, ones)),
                       structural.full(_aval(x).shape, 0, dt))


def _svd_jvp(primals, tangents, full_matrices, compute_uv):
    (a,), (t,) = primals, tangents
    outs = svd_p.bind(a, full_matrices=full_matrices, compute_uv=compute_uv)
    if type(t) is ad.Zero:
        return outs, [ad.Zero(_aval(o)) for o in outs]
    if compute_uv and full_matrices:
        m, n = _aval(a).shape[-2:]
        if m != n:
            raise NotImplementedError("Singular value decomposition JVP not implemented for "
                                      f"full matrices (shape {_aval(a).shape})")
    s, u, vh = svd_p.bind(a, full_matrices=False, compute_uv=True)
    v = _swap(vh)
    ds_mat = _mm(_swap(u), _mm(t, v))
    ds = _diag(ds_mat)
    if not compute_uv:
        return outs, [ds]
    m, n = _aval(a).shape[-2:]
    s_row, s_col = _col(s), _row(s)               # s_j along columns, s_i along rows
    # F_ij = 1 / (s_j^2 - s_i^2), 0 where equal.
    F = _safe_inverse(el.mul(el.add(s_row, s_col), el.sub(s_row, s_col)))
    dss = el.mul(ds_mat, s_row)
    sds = el.mul(ds_mat, s_col)
    du = _mm(u, el.mul(F, el.add(dss, _swap(dss))))
    dv = _mm(v, el.mul(F, el.add(sds, _swap(sds))))
    if m > n:
        dav = _mm(t, v)
        s_inv = _col(_safe_inverse(s), m)
        du = el.add(du, el.mul(el.sub(dav, _mm(u, _mm(_swap(u), dav))), s_inv))
    if n > m:
        dau = _mm(_swap(t), u)
        s_inv = _col(_safe_inverse(s), n)
        dv = el.add(dv, el.mul(el.sub(dau, _mm(v, _mm(vh, dau))), s_inv))
    return outs, [ds, du, _swap(dv)]


ad.jvp_rules[svd_p] = _svd_jvp
_batch_unary(svd_p)


def svd(x, full_matrices=True, compute_uv=True):
    """(u, s, vh) with x = u diag(s) vh, s descending; ``s`` alone when not
    ``compute_uv``."""
    outs = svd_p.bind(x, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    if not compute_uv:
        return outs[0]
    s, u, vh = outs
    return u, s, vh


from jaxlite.lax.linalg_eig import eig_p, eig  # noqa: E402,F401  (eig has its own module)
__all__ += ["eig_p", "eig"]
