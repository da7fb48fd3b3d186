"""Order statistics, covariance and histograms: quantile / percentile / median
(and their nan- forms), cov, corrcoef, histogram / histogram2d / histogramdd /
histogram_bin_edges, nancumsum, nancumprod.

Quantiles sort along the reduced axes and interpolate between neighbouring
order statistics (numpy's methods 'linear', 'lower', 'higher', 'midpoint',
'nearest'), so they trace, differentiate (through the sort) and jit.
Histograms count with a scatter-add of each sample into its bin (numpy's bin
convention: half-open bins, the last one closed).
"""
import numpy as np

from jaxlite import core, dtypes, lax
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util

__all__ = ["quantile", "nanquantile", "percentile", "nanpercentile", "median", "nanmedian",
           "cov", "corrcoef", "histogram_bin_edges", "histogram", "histogram2d",
           "histogramdd", "nancumsum", "nancumprod"]

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _inexact(a):
    a = util.as_operand(a)
    return a.astype(util.to_inexact_dtype(util.aval(a).dtype)) \
        if util.aval(a).dtype.kind != "f" else a


def _to_last(a, axis, keepdims):
    """``a`` with the reduced axes merged into one last axis, and the shape the
    result's batch part must take (with kept 1-dims if ``keepdims``)."""
    nd = util.ndim(a)
    axes = tuple(range(nd)) if axis is None else util.canonical_axes(axis, nd)
    rest = [d for d in range(nd) if d not in axes]
    shape = util.shape(a)
    moved = jnp.transpose(a, rest + list(axes))
    n = int(np.prod([shape[d] for d in axes], dtype=np.int64))
    merged = jnp.reshape(moved, tuple(shape[d] for d in rest) + (n,))
    if keepdims:
        out_shape = tuple(1 if d in axes else shape[d] for d in range(nd))
    else:
        out_shape = tuple(shape[d] for d in rest)
    return merged, out_shape


def _quantile(name, a, q, axis, method, keepdims, ignore_nan):
    if method not in _METHODS:
        raise ValueError(f"jnp.{name}: method must be one of {_METHODS}, got {method!r}")
    a = _inexact(a)
    if util.aval(a).dtype.kind == "c":
        raise ValueError(f"jnp.{name} does not support complex input: complex numbers have "
                         f"no natural order for quantiles")
    q = jnp.asarray(util.as_operand(q), util.aval(a).dtype)
    x, out_shape = _to_last(a, axis, keepdims)
    s = jnp.sort(x, axis=-1)                       # NaN last
    size = util.shape(s)[-1]
    if ignore_nan:
        n = jnp.sum(~jnp.isnan(x), axis=-1, keepdims=True).astype(util.aval(a).dtype)
    else:
        n = jnp.full(util.shape(s)[:-1] + (1,), size, util.aval(a).dtype)
    qf = jnp.ravel(q)
    pos = qf * (n - 1)                             # (batch..., Q)
    lo = jnp.clip(jnp.floor(pos), 0, max(size - 1, 0))
    hi = jnp.clip(jnp.ceil(pos), 0, max(size - 1, 0))
    if method == "nearest":
        lo = hi = jnp.clip(jnp.rint(pos), 0, max(size - 1, 0))
    take = lambda i: jnp.take_along_axis(  # noqa: E731
        s, i.astype(dtypes.int32), axis=-1, mode="clip")
    v_lo, v_hi = take(lo), take(hi)
    if method == "linear":
        t = pos - lo
        out = v_lo + (v_hi - v_lo) * t
    elif method == "lower":
        out = v_lo
    elif method == "higher":
        out = v_hi
    elif method == "midpoint":
        out = (v_lo + v_hi) * 0.5
    else:
        out = v_lo
    bad = (n < 1) if ignore_nan else jnp.any(jnp.isnan(x), axis=-1, keepdims=True)
    out = jnp.where(bad, np.nan, out)
    out = jnp.moveaxis(out, -1, 0)                 # (Q, batch...)
    return jnp.reshape(out, util.shape(q) + out_shape)


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False):
    """The ``q``-th quantiles (0 <= q <= 1) of ``a`` over ``axis``; result shape
    ``q.shape + reduced shape``. NaN if a reduced slice holds a NaN."""
    return _quantile("quantile", a, q, axis, method, keepdims, False)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False):
    """quantile ignoring NaNs (NaN only for an all-NaN slice)."""
    return _quantile("nanquantile", a, q, axis, method, keepdims, True)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False):
    return _quantile("percentile", a, jnp.asarray(q) / 100, axis, method, keepdims, False)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False):
    return _quantile("nanpercentile", a, jnp.asarray(q) / 100, axis, method, keepdims, True)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return _quantile("median", a, 0.5, axis, "midpoint", keepdims, False)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return _quantile("nanmedian", a, 0.5, axis, "midpoint", keepdims, True)


# ---------------------------------------------------------- covariance

def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """The covariance matrix of the variables (rows of ``m`` when ``rowvar``),
    with numpy's frequency and analytic weights."""
    x = jnp.atleast_2d(_inexact(m))
    if util.ndim(m if util.is_array(m) else util.as_operand(m)) > 2:
        raise ValueError(f"cov: m has more than 2 dimensions: shape {util.shape(m)}")
    if not rowvar and util.shape(x)[0] != 1:
        x = x.T
    if y is not None:
        yy = jnp.atleast_2d(_inexact(y))
        if not rowvar and util.shape(yy)[0] != 1:
            yy = yy.T
        x = jnp.concatenate([x, yy.astype(x.dtype)], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    w = None
    if fweights is not None:
        w = jnp.asarray(fweights).astype(x.dtype)
    if aweights is not None:
        aw = jnp.asarray(aweights).astype(x.dtype)
        w = aw if w is None else w * aw
    if w is None:
        avg = jnp.mean(x, axis=1)
        fact = util.shape(x)[1] - ddof
        w_sum = None
    else:
        w_sum = jnp.sum(w)
        avg = jnp.sum(x * w, axis=1) / w_sum
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * jnp.sum(w * aw) / w_sum
    xc = x - avg[:, None]
    xw = xc if w is None else xc * w
    c = jnp.dot(xw, jnp.conj(xc).T) / fact      # conj: the Hermitian covariance, as numpy
    return jnp.squeeze(c)


def corrcoef(x, y=None, rowvar=True):
    """Pearson correlation coefficients (cov normalized by the standard
    deviations, clipped to [-1, 1])."""
    c = cov(x, y, rowvar)
    if util.ndim(c) == 0:
        return c / c
    d = jnp.sqrt(jnp.real(jnp.diagonal(c)))
    r = c / d[:, None] / d[None, :]
    if jnp.iscomplexobj(r):     # each part clipped, as numpy and JAX
        return lax.complex(jnp.clip(jnp.real(r), -1, 1), jnp.clip(jnp.imag(r), -1, 1))
    return jnp.clip(r, -1, 1)


# ------------------------------------------------------------ histograms

def histogram_bin_edges(a, bins=10, range=None, weights=None):
    """``bins + 1`` equal-width edges over ``range`` (default: the data's min and
    max, widened by 0.5 each way when they are equal), or ``bins`` itself."""
    a = _inexact(a)
    if not isinstance(bins, (int, np.integer)):
        return _inexact(bins)
    if bins < 1:
        raise ValueError(f"histogram: bins must be a positive integer, got {bins}")
    if range is None:
        lo, hi = (jnp.min(a), jnp.max(a)) if util.aval(a).size else (0.0, 1.0)
    else:
        lo, hi = range
        if not isinstance(lo, core.Tracer) and not isinstance(hi, core.Tracer) and lo > hi:
            raise ValueError(f"histogram: max must be larger than min in range {range}")
    lo, hi = jnp.asarray(lo, util.aval(a).dtype), jnp.asarray(hi, util.aval(a).dtype)
    same = lo == hi
    lo, hi = jnp.where(same, lo - 0.5, lo), jnp.where(same, hi + 0.5, hi)
    return jnp.linspace(lo, hi, bins + 1, dtype=util.aval(a).dtype)


def _bin_index(x, edges):
    """The bin of each value (numpy's convention), or -1 outside the edges."""
    nb = util.shape(edges)[0] - 1
    i = jnp.searchsorted(edges, x, side="right") - 1
    i = jnp.where(x == edges[-1], nb - 1, i)
    return jnp.where((i < 0) | (i >= nb) | jnp.isnan(x), -1, i)


def histogram(a, bins=10, range=None, weights=None, density=None):
    """``(counts, edges)`` of the values of ``a`` (flattened)."""
    a = jnp.ravel(_inexact(a))
    edges = histogram_bin_edges(a, bins, range)
    hist, _ = _histogram_flat([_bin_index(a, edges)], [util.shape(edges)[0] - 1], weights,
                              util.aval(a).dtype)
    if density:
        hist = hist / jnp.sum(hist) / jnp.diff(edges)
    return hist, edges


def _histogram_flat(idx, nbins, weights, dt):
    valid = idx[0] >= 0
    flat = idx[0]
    for i, n in zip(idx[1:], nbins[1:]):
        valid = valid & (i >= 0)
        flat = flat * n + i
    total = int(np.prod(nbins, dtype=np.int64))
    w = jnp.ones(util.shape(flat), dt) if weights is None else \
        jnp.ravel(jnp.asarray(weights)).astype(dt)
    w = jnp.where(valid, w, 0)
    hist = jnp.zeros(total, dt).at[jnp.where(valid, flat, 0)].add(w)
    return jnp.reshape(hist, tuple(nbins)), valid


def histogramdd(sample, bins=10, range=None, weights=None, density=None):
    """``(counts, [edges per dimension])`` of the points ``sample`` (shape (N, D),
    or a sequence of D coordinate arrays)."""
    if isinstance(sample, (list, tuple)):
        sample = jnp.stack([jnp.ravel(_inexact(s)) for s in sample], axis=-1)
    sample = _inexact(sample)
    if util.ndim(sample) == 1:
        sample = sample[:, None]
    d = util.shape(sample)[1]
    bins_list = list(bins) if isinstance(bins, (list, tuple)) else [bins] * d
    ranges = list(range) if range is not None else [None] * d
    if len(bins_list) != d or len(ranges) != d:
        raise ValueError(f"histogramdd: bins and range must have one entry per dimension "
                         f"({d})")
    edges = [histogram_bin_edges(sample[:, k], b, r)
             for k, (b, r) in enumerate(zip(bins_list, ranges))]
    idx = [_bin_index(sample[:, k], e) for k, e in enumerate(edges)]
    nbins = [util.shape(e)[0] - 1 for e in edges]
    # Counts are integers unless weighted or normalized (JAX's dtypes).
    dt = util.aval(sample).dtype if weights is not None or density else \
        dtypes.default_for_kind(1)
    hist, _ = _histogram_flat(idx, nbins, weights, dt)
    if density:
        vol = jnp.ones((), util.aval(sample).dtype)
        for e in edges:
            vol = vol[..., None] * jnp.diff(e)
        hist = hist / jnp.sum(hist) / vol
    return hist, edges


def histogram2d(x, y, bins=10, range=None, weights=None, density=None):
    """``(counts, xedges, yedges)`` of the points ``(x[i], y[i])``."""
    if not isinstance(bins, (int, np.integer)) and len(bins) == 2 and \
            not isinstance(bins[0], (int, np.integer)) and util.ndim(jnp.asarray(bins[0])) == 0:
        bins = list(bins)
    hist, edges = histogramdd([x, y], bins, range, weights, density)
    return hist, edges[0], edges[1]


# -------------------------------------------------------- nan-cumulatives

def nancumsum(a, axis=None, dtype=None, out=None):
    """cumsum with NaNs counted as 0."""
    a = util.as_operand(a)
    if util.aval(a).dtype.kind == "f":
        a = jnp.where(jnp.isnan(a), 0, a)
    return jnp.cumsum(a, axis=axis, dtype=dtype)


def nancumprod(a, axis=None, dtype=None, out=None):
    """cumprod with NaNs counted as 1."""
    a = util.as_operand(a)
    if util.aval(a).dtype.kind == "f":
        a = jnp.where(jnp.isnan(a), 1, a)
    return jnp.cumprod(a, axis=axis, dtype=dtype)
