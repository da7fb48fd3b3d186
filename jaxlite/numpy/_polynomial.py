"""Polynomials as coefficient vectors, highest power first (numpy's legacy
poly* functions): polyval, polyadd, polysub, polymul, polydiv, polyder, polyint,
poly, polyfit, vander.

Lengths are static (as in JAX, results are not trimmed of leading zeros unless
``trim_leading_zeros=True``, which needs concrete coefficients), so all of them
trace and differentiate.
"""
import numpy as np

from jaxlite import core
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util

__all__ = ["polyval", "polyadd", "polysub", "polymul", "polydiv", "polyder", "polyint",
           "poly", "polyfit", "vander", "roots"]


def _vec(name, p):
    p = util.as_operand(p)
    if util.ndim(p) != 1:
        raise ValueError(f"jnp.{name}: expected a 1-d coefficient array, got shape "
                         f"{util.shape(p)}")
    return p


def _inexact_vec(name, p):
    p = _vec(name, p)
    return p.astype(util.to_inexact_dtype(util.aval(p).dtype))


def _trim(p):
    """``p`` without leading zeros (needs concrete coefficients)."""
    v = np.asarray(p.concrete_value() if isinstance(p, core.Tracer) else p)
    nz = np.flatnonzero(v)
    return p[nz[0]:] if nz.size else p[-1:]


def polyval(p, x, *, unroll=16):
    """``p[0] * x**(n-1) + ... + p[n-1]`` by Horner's rule."""
    p = _vec("polyval", p)
    p, x = util.promote(p, util.as_operand(x))
    out = jnp.zeros_like(x)
    for i in range(util.shape(p)[0]):
        out = out * x + p[i]
    return out


def _aligned(a1, a2):
    a1, a2 = util.promote(_vec("polyadd", a1), _vec("polyadd", a2))
    n = max(util.shape(a1)[0], util.shape(a2)[0])
    return (jnp.pad(a1, (n - util.shape(a1)[0], 0)), jnp.pad(a2, (n - util.shape(a2)[0], 0)))


def polyadd(a1, a2):
    a1, a2 = _aligned(a1, a2)
    return a1 + a2


def polysub(a1, a2):
    a1, a2 = _aligned(a1, a2)
    return a1 - a2


def polymul(a1, a2, *, trim_leading_zeros=False):
    """The product's coefficients (the full convolution of the two vectors)."""
    a1, a2 = util.promote(_inexact_vec("polymul", a1), _inexact_vec("polymul", a2))
    if trim_leading_zeros:
        a1, a2 = _trim(a1), _trim(a2)
    n1, n2 = util.shape(a1)[0], util.shape(a2)[0]
    # out[k] = sum_i a1[i] * a2[k - i]: a (n1 + n2 - 1, n1) matrix of a2's entries.
    k, i = np.arange(n1 + n2 - 1)[:, None], np.arange(n1)[None, :]
    j = k - i
    band = jnp.where((j >= 0) & (j < n2), jnp.take(a2, np.clip(j, 0, n2 - 1)), 0)
    return jnp.sum(band * a1, axis=1)


def polydiv(u, v, *, trim_leading_zeros=False):
    """``(quotient, remainder)`` of polynomial long division (the remainder keeps
    ``u``'s length, as in JAX)."""
    u, v = util.promote(_inexact_vec("polydiv", u), _inexact_vec("polydiv", v))
    if trim_leading_zeros:
        u, v = _trim(u), _trim(v)
    m, n = util.shape(u)[0] - 1, util.shape(v)[0] - 1
    scale = 1.0 / v[0]
    q = jnp.zeros(max(m - n + 1, 1), util.aval(u).dtype)
    r = u
    for k in range(0, m - n + 1):
        d = scale * r[k]
        q = q.at[k].set(d)
        r = r.at[k:k + n + 1].add(-d * v)
    return q, r


def polyder(p, m=1):
    """The ``m``-th derivative's coefficients."""
    if m < 0:
        raise ValueError(f"polyder: order of derivative must be positive, got {m}")
    p = _inexact_vec("polyder", p)
    for _ in range(m):
        n = util.shape(p)[0]
        p = p[:-1] * np.arange(n - 1, 0, -1) if n > 1 else jnp.zeros(0, util.aval(p).dtype)
    return p


def polyint(p, m=1, k=None):
    """The ``m``-th antiderivative; ``k`` are the integration constants (one
    scalar for all, or ``m`` of them, first integration first)."""
    if m < 0:
        raise ValueError(f"polyint: order of integral must be positive, got {m}")
    p = _inexact_vec("polyint", p)
    if m == 0:
        return p
    ks = jnp.zeros(m, util.aval(p).dtype) if k is None else \
        jnp.broadcast_to(jnp.asarray(util.as_operand(k), util.aval(p).dtype), (m,))
    for i in range(m):
        n = util.shape(p)[0]
        p = jnp.concatenate([p / np.arange(n, 0, -1), ks[i:i + 1]])
    return p


def poly(seq_of_zeros):
    """The monic polynomial with the given roots (the characteristic polynomial
    of a square matrix is not supported: it needs general eigenvalues)."""
    z = util.as_operand(seq_of_zeros)
    if util.ndim(z) == 2:
        raise NotImplementedError("jnp.poly of a matrix needs its eigenvalues "
                                  "(jnp.linalg.eig), which jaxlite does not have")
    z = jnp.atleast_1d(z)
    z = z.astype(util.to_inexact_dtype(util.aval(z).dtype))
    out = jnp.ones(1, util.aval(z).dtype)
    for i in range(util.shape(z)[0]):
        out = polymul(out, jnp.stack([jnp.ones((), util.aval(z).dtype), -z[i]]))
    return out


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix: columns ``x**(N-1), ..., x, 1`` (reversed when
    ``increasing``)."""
    x = util.as_operand(x)
    if util.ndim(x) != 1:
        raise ValueError(f"vander: x must be 1-d, got shape {util.shape(x)}")
    n = util.shape(x)[0] if N is None else N
    powers = np.arange(n) if increasing else np.arange(n - 1, -1, -1)
    cols = [jnp.ones_like(x) if k == 0 else x ** int(k) for k in powers]
    return jnp.stack(cols, axis=1) if n else jnp.zeros((util.shape(x)[0], 0),
                                                       util.aval(x).dtype)


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares polynomial fit of degree ``deg`` (columns of the Vandermonde
    matrix scaled to unit norm, as numpy does); ``y`` may hold several columns."""
    x, y = util.promote_inexact(util.as_operand(x), util.as_operand(y))
    order = int(deg) + 1
    n = util.shape(x)[0]
    if rcond is None:
        rcond = n * float(np.finfo(util.aval(x).dtype).eps)
    lhs = vander(x, order)
    rhs = y
    if w is not None:
        w = jnp.asarray(util.as_operand(w), util.aval(x).dtype)
        lhs = lhs * w[:, None]
        rhs = rhs * (w if util.ndim(rhs) == 1 else w[:, None])
    scale = jnp.sqrt(jnp.sum(lhs * lhs, axis=0))
    lhs = lhs / scale
    c, resids, rank, s = jnp.linalg.lstsq(lhs, rhs, rcond=rcond)
    c = (c.T / scale).T
    if full:
        return c, resids, rank, s, jnp.asarray(rcond)
    if cov:
        vbase = jnp.linalg.inv(jnp.dot(lhs.T, lhs)) / jnp.outer(scale, scale)
        if cov == "unscaled":
            fac = 1.0
        else:
            if n <= order:
                raise ValueError("polyfit: the number of data points must exceed the order "
                                 "to scale the covariance matrix")
            fac = resids / (n - order)
        if util.ndim(y) == 1:
            return c, vbase * fac
        return c, vbase[:, :, None] * fac
    return c


def roots(p, *, strip_zeros=True):
    """The roots of the polynomial ``p`` (highest power first): the eigenvalues
    of its companion matrix, complex, zero roots last. Leading zeros are
    stripped (which needs concrete coefficients); with ``strip_zeros=False``
    each leading zero instead adds a NaN root, so ``p`` may be traced."""
    p = jnp.atleast_1d(util.as_operand(p))
    p = p.astype(util.to_inexact_dtype(util.aval(p).dtype))
    if util.ndim(p) != 1:
        raise ValueError("Input must be a rank-1 array.")
    cdt = np.result_type(util.aval(p).dtype, np.complex64)
    if util.shape(p)[0] < 2:
        return jnp.zeros((0,), cdt)
    if strip_zeros:
        v = np.asarray(_concrete(p))
        nz = np.flatnonzero(v)
        p = p[nz[0]:] if nz.size else p[-1:]
        lead = 0
    else:
        is_zero = jnp.equal(p, 0)
        lead = jnp.where(jnp.all(is_zero), p.shape[0], jnp.argmin(is_zero))
    return _roots_with_zeros(p, lead, cdt)


def _concrete(p):
    if isinstance(p, core.Tracer):
        try:
            return p.concrete_value()
        except core.ConcretizationTypeError:
            raise core.ConcretizationTypeError(
                f"jnp.roots with strip_zeros=True needs concrete coefficients, got {p.aval}; "
                f"pass strip_zeros=False to trace it{core.where_message()}") from None
    return p


def _roots_with_zeros(p, lead, cdt):
    n = util.shape(p)[0]
    if n < 2:
        return jnp.zeros((0,), cdt)
    p = jnp.where(n == lead, jnp.ones_like(p), p)     # an all-zero p: no LAPACK failure
    p = jnp.roll(p, -lead)
    companion = jnp.diag(jnp.ones((n - 2,), p.dtype), -1)
    companion = companion.at[0, :].set(-p[1:] / p[0])
    r = jnp.linalg.eigvals(companion)
    r = r[jnp.argsort(jnp.equal(r, 0), stable=True)]     # zero roots last
    return jnp.where(jnp.arange(n - 1) < n - 1 - lead, r, jnp.asarray(complex(np.nan, np.nan), cdt))
