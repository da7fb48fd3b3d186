"""Searching, counting and set operations: searchsorted, digitize, bincount,
lexsort, partition, nonzero with ``size=``, unique and the 1-d set functions.

A result whose length depends on the values (unique, setdiff1d, ...) needs
either concrete inputs (eagerly) or a static ``size=``: the first ``size``
entries are kept and the rest padded with ``fill_value``, so the function
traces under jit as in JAX. The traced path sorts: the selected positions are
moved to the front by a stable argsort of a 0/1 key.
"""
import collections

import numpy as np

from jaxlite import core, dtypes, lax
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util

__all__ = ["searchsorted", "digitize", "bincount", "lexsort", "partition", "argpartition",
           "compact", "unique", "unique_all", "unique_counts",
           "unique_inverse", "unique_values", "setdiff1d", "intersect1d", "union1d",
           "setxor1d", "isin", "nonzero_sized"]


def _int():
    return dtypes.default_for_kind(1)


def _need_size(name, size):
    if size is None:
        raise core.ConcretizationTypeError(
            f"jnp.{name}: the size of the result depends on the values of a traced "
            f"array; pass a static size= (and fill_value=) to use it under jit"
            f"{core.where_message()}")


# ------------------------------------------------------------------- search

def _less(x, y):
    """``x < y`` with NaN sorting last (numpy's order)."""
    if util.aval(x).dtype.kind != "f" and util.aval(y).dtype.kind != "f":
        return jnp.less(x, y)
    return jnp.logical_or(jnp.less(x, y), jnp.logical_and(jnp.isnan(y), ~jnp.isnan(x)))


def searchsorted(a, v, side="left", sorter=None, *, method="scan"):
    """Insertion indices of ``v`` into the sorted 1-d ``a``: the number of
    elements before each value (``a < v`` for 'left', ``a <= v`` for 'right'),
    found by a vectorized binary search (O(len(v) log len(a)))."""
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    a, v = util.as_operand(a), util.as_operand(v)
    if util.ndim(a) != 1:
        raise ValueError(f"searchsorted: a must be 1-d, got shape {util.shape(a)}")
    if sorter is not None:
        a = jnp.take(a, sorter)
    a, v = util.promote(a, v)
    n = util.shape(a)[0]
    # Binary search, all queries at once: ceil(log2(n + 1)) halvings of [lo, hi).
    lo = jnp.zeros(util.shape(v), np.int32)
    hi = jnp.full(util.shape(v), n, np.int32)
    for _ in range(int(n).bit_length()):
        mid = (lo + hi) // 2
        pivot = jnp.take(a, jnp.clip(mid, 0, max(n - 1, 0))) if n else v
        right = _less(pivot, v) if side == "left" else ~_less(v, pivot)
        right = right & (mid < hi)
        lo = jnp.where(right, mid + 1, lo)
        hi = jnp.where(right, hi, mid)
    return lo                                   # int32 in both modes, as JAX


def digitize(x, bins, right=False):
    """The bin of each ``x``: index ``i`` with ``bins[i-1] <= x < bins[i]``
    (``<`` and ``<=`` swapped when ``right``); decreasing ``bins`` allowed."""
    bins = util.as_operand(bins)
    if util.ndim(bins) != 1:
        raise ValueError(f"digitize: bins must be 1-d, got shape {util.shape(bins)}")
    side = "left" if right else "right"
    n = util.shape(bins)[0]
    if n == 0:
        return jnp.zeros(util.shape(x), np.int32)
    up = searchsorted(bins, x, side)
    down = n - searchsorted(bins[::-1], x, "right" if right else "left")
    return jnp.where(bins[-1] >= bins[0], up, down)


def bincount(x, weights=None, minlength=0, *, length=None):
    """Counts (or summed ``weights``) of each value of the non-negative int
    array ``x``; negative values count as 0 and values >= ``length`` are dropped
    (as JAX). ``length`` is needed under jit."""
    x = util.as_operand(x)
    if util.aval(x).dtype.kind not in "iub":
        raise TypeError(f"bincount: x must be an integer array, got {util.aval(x).dtype}")
    if util.ndim(x) != 1:
        raise ValueError(f"bincount: x must be 1-d, got shape {util.shape(x)}")
    if length is None:
        if not util.is_concrete(x):
            raise core.ConcretizationTypeError(
                "jnp.bincount: pass a static length= to use it under jit: the result's "
                f"length depends on the values of x{core.where_message()}")
        xs = np.asarray(x.concrete_value() if isinstance(x, core.Tracer) else x)
        length = max(int(xs.max()) + 1 if xs.size else 0, int(minlength))
    w = jnp.ones(util.shape(x), _int()) if weights is None else util.as_operand(weights)
    if util.ndim(w) == 0 and weights is not None:
        w = jnp.broadcast_to(w, util.shape(x))
    idx = jnp.clip(x.astype(_int()), 0, None)
    return jnp.zeros(length, util.strong(w).dtype).at[idx].add(w, mode="drop")


def lexsort(keys, axis=-1):
    """The stable permutation sorting by the last key, ties broken by the one
    before it, and so on (numpy's lexsort)."""
    keys = [util.as_operand(k) for k in keys] if not util.is_array(keys) else \
        [keys[i] for i in range(util.shape(keys)[0])]
    if not keys:
        raise TypeError("lexsort: need at least one key")
    shape = util.shape(keys[0])
    if any(util.shape(k) != shape for k in keys):
        raise ValueError(f"lexsort: all keys need the same shape, got "
                         f"{[util.shape(k) for k in keys]}")
    if len(shape) == 0:
        return jnp.zeros((), _int())
    perm = jnp.argsort(keys[0], axis=axis)
    for k in keys[1:]:
        order = jnp.argsort(jnp.take_along_axis(k, perm, axis, mode="clip"), axis=axis)
        perm = jnp.take_along_axis(perm, order, axis, mode="clip")
    return perm.astype(_int())


def _check_kth(kth, n, name):
    if not isinstance(kth, (int, np.integer)):
        raise TypeError(f"jnp.{name}: kth must be a static int, got {kth!r}")
    if not -n <= kth < n:
        raise ValueError(f"jnp.{name}: kth {kth} out of bounds for an axis of size {n}")


def _refuse_complex(a, name):
    if util.aval(a).dtype.kind == "c":     # as JAX
        raise NotImplementedError(f"jnp.{name} for complex dtype is not implemented.")


def partition(a, kth, axis=-1):
    """``a`` with the ``kth`` element in its sorted place, smaller ones before it
    and larger ones after (here: fully sorted, a valid partition)."""
    a = util.as_operand(a)
    _refuse_complex(a, "partition")
    _check_kth(kth, util.shape(a)[util.canonical_axis(axis, util.ndim(a))], "partition")
    return jnp.sort(a, axis=axis)


def argpartition(a, kth, axis=-1):
    """The indices that partition ``a`` around its ``kth`` element (see partition)."""
    a = util.as_operand(a)
    _refuse_complex(a, "argpartition")
    _check_kth(kth, util.shape(a)[util.canonical_axis(axis, util.ndim(a))], "argpartition")
    return jnp.argsort(a, axis=axis)


# ------------------------------------------------------------ static sizes

def compact(mask, size, fill_value=None):
    """Indices (into the flattened ``mask``) of its first ``size`` true elements,
    padded with ``fill_value`` (default 0) - traceable: sizes are static."""
    mask = jnp.ravel(util.as_operand(mask)).astype(bool)
    n = util.shape(mask)[0]
    order = jnp.argsort(~mask)                 # stable: true positions first, in order
    count = jnp.sum(mask, dtype=_int())
    if size > n:
        order = jnp.concatenate([order, jnp.zeros(size - n, util.aval(order).dtype)])
    order = order[:size].astype(_int())
    fill = 0 if fill_value is None else fill_value
    return jnp.where(jnp.arange(size) < count, order, fill)


def _select(name, values, mask, size, fill_value):
    """``values[mask]`` (1-d), or its first ``size`` entries padded with ``fill_value``."""
    if size is None:
        if not util.is_concrete(mask):
            _need_size(name, size)
        m = np.asarray(mask.concrete_value() if isinstance(mask, core.Tracer) else mask)
        return values[np.nonzero(m)[0]]
    pos = compact(mask, size)
    count = jnp.sum(mask, dtype=_int())
    out = jnp.take(values, pos)
    if fill_value is None:
        fill_value = jnp.min(jnp.where(mask, values, _largest(values))) \
            if util.shape(values)[0] else 0
    return jnp.where(jnp.arange(size) < count, out, fill_value)


def _largest(x):
    dt = util.aval(x).dtype
    return np.inf if dt.kind == "f" else (True if dt.kind == "b" else np.iinfo(dt).max)


# ------------------------------------------------------------------ unique

def _sorted_flat(ar):
    flat = jnp.ravel(util.as_operand(ar))
    perm = jnp.argsort(flat)
    return flat, perm, jnp.take(flat, perm)


def _first_of_runs(s, equal_nan):
    """True where a sorted vector starts a run of equal values."""
    if util.shape(s)[0] == 0:
        return jnp.zeros(0, bool)
    same = s[1:] == s[:-1]
    if equal_nan and util.aval(s).dtype.kind == "f":
        same = same | (jnp.isnan(s[1:]) & jnp.isnan(s[:-1]))
    return jnp.concatenate([jnp.ones(1, bool), ~same])


_Unique = collections.namedtuple("_Unique", "values indices inverse counts")


def _unique_flat(ar, equal_nan, size, fill_value, name):
    flat, perm, s = _sorted_flat(ar)
    n = util.shape(flat)[0]
    first = _first_of_runs(s, equal_nan)
    if size is None:
        if not util.is_concrete(first):
            _need_size(name, size)
        starts = np.nonzero(np.asarray(first))[0]
        values = jnp.take(s, starts)
        indices = jnp.take(perm, starts).astype(_int())
        counts = jnp.asarray(np.diff(np.append(starts, n)).astype(_int()))
    else:
        starts = compact(first, size, fill_value=n)
        valid = jnp.arange(size) < jnp.sum(first, dtype=_int())
        values = jnp.take(s, jnp.clip(starts, 0, max(n - 1, 0)))
        fill = jnp.min(flat) if fill_value is None and n else \
            (0 if fill_value is None else fill_value)
        values = jnp.where(valid, values, fill)
        indices = jnp.where(valid, jnp.take(perm, jnp.clip(starts, 0, max(n - 1, 0))), 0)
        ends = jnp.concatenate([starts[1:], jnp.full(1, n, _int())])
        counts = jnp.where(valid, jnp.minimum(ends, n) - starts, 0).astype(_int())
    run = jnp.cumsum(first, dtype=_int()) - 1
    inverse = jnp.zeros(n, _int()).at[perm].set(run)
    return _Unique(values, indices.astype(_int()),
                   jnp.reshape(inverse, util.shape(util.as_operand(ar))), counts)


def _unique_axis(ar, axis, equal_nan):
    if not util.is_concrete(ar):
        raise core.ConcretizationTypeError(
            f"jnp.unique with axis= needs a concrete array{core.where_message()}")
    x = np.asarray(ar.concrete_value() if isinstance(ar, core.Tracer) else ar)
    vals, idx, inv, cnt = np.unique(x, return_index=True, return_inverse=True,
                                    return_counts=True, axis=axis, equal_nan=equal_nan)
    cast = lambda v: jnp.asarray(np.asarray(v).astype(_int()))   # noqa: E731
    return _Unique(jnp.asarray(vals), cast(idx), cast(np.ravel(inv)), cast(cnt))


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           *, equal_nan=True, size=None, fill_value=None, sorted=True):
    """The sorted unique elements of ``ar`` (flattened unless ``axis``), plus the
    first index of each, the inverse (input shape) and counts as requested.
    Under jit ``size=`` is needed; missing entries are ``fill_value`` (default:
    the smallest element), indices 0 and counts 0."""
    if axis is None:
        u = _unique_flat(ar, equal_nan, size, fill_value, "unique")
    else:
        if size is not None:
            raise NotImplementedError("jnp.unique: size= with axis= is not supported")
        u = _unique_axis(ar, util.canonical_axis(axis, util.ndim(util.as_operand(ar))),
                         equal_nan)
    extra = [v for want, v in ((return_index, u.indices), (return_inverse, u.inverse),
                               (return_counts, u.counts)) if want]
    return (u.values, *extra) if extra else u.values


UniqueAllResult = collections.namedtuple("UniqueAllResult",
                                         "values indices inverse_indices counts")
UniqueCountsResult = collections.namedtuple("UniqueCountsResult", "values counts")
UniqueInverseResult = collections.namedtuple("UniqueInverseResult",
                                             "values inverse_indices")


def unique_all(x, /, *, size=None, fill_value=None):
    u = _unique_flat(x, False, size, fill_value, "unique_all")
    return UniqueAllResult(u.values, u.indices, u.inverse, u.counts)


def unique_counts(x, /, *, size=None, fill_value=None):
    u = _unique_flat(x, False, size, fill_value, "unique_counts")
    return UniqueCountsResult(u.values, u.counts)


def unique_inverse(x, /, *, size=None, fill_value=None):
    u = _unique_flat(x, False, size, fill_value, "unique_inverse")
    return UniqueInverseResult(u.values, u.inverse)


def unique_values(x, /, *, size=None, fill_value=None):
    return _unique_flat(x, False, size, fill_value, "unique_values").values


# ------------------------------------------------------------------- sets

def isin(element, test_elements, assume_unique=False, invert=False, *, method="auto"):
    """Whether each element of ``element`` occurs in ``test_elements``."""
    element, test = util.promote(util.as_operand(element), util.as_operand(test_elements))
    test = jnp.sort(jnp.ravel(test))
    n = util.shape(test)[0]
    if n == 0:
        hit = jnp.zeros(util.shape(element), bool)
    else:   # binary search into the sorted test values: O((m + n) log n)
        pos = jnp.clip(searchsorted(test, element), 0, n - 1)
        hit = jnp.take(test, pos) == element
    return ~hit if invert else hit


def _runs(ar, assume_unique=False):
    """``(sorted values, perm, first)``: ``ar`` flattened and sorted, the sorting
    permutation, and which sorted entries start a run of equal values."""
    flat, perm, s = _sorted_flat(ar)
    first = jnp.ones(util.shape(s), bool) if assume_unique else _first_of_runs(s, True)
    return s, perm, first


def _min_fill(values, mask, fill_value):
    # JAX's default fill for set results: their smallest element.
    if fill_value is not None or util.shape(values)[0] == 0:
        return 0 if fill_value is None else fill_value
    return jnp.min(jnp.where(mask, values, _largest(values)))


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The sorted unique values of ``ar1`` not in ``ar2`` (fill: 0)."""
    s, _, first = _runs(ar1, assume_unique)
    return _select("setdiff1d", s, first & isin(s, ar2, invert=True), size,
                   0 if fill_value is None else fill_value)


def union1d(ar1, ar2, *, size=None, fill_value=None):
    """The sorted unique values in either array (fill: the smallest)."""
    both = jnp.concatenate([jnp.ravel(ar1), jnp.ravel(ar2)])
    s, _, first = _runs(both)
    return _select("union1d", s, first, size, _min_fill(s, first, fill_value))


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The sorted unique values in exactly one of the arrays (fill: the smallest)."""
    s1, _, f1 = _runs(ar1, assume_unique)
    s2, _, f2 = _runs(ar2, assume_unique)
    cand = jnp.concatenate([s1, s2])
    mask = jnp.concatenate([f1 & isin(s1, s2, invert=True), f2 & isin(s2, s1, invert=True)])
    perm = jnp.argsort(cand)
    cand, mask = jnp.take(cand, perm), jnp.take(mask, perm)
    return _select("setxor1d", cand, mask, size, _min_fill(cand, mask, fill_value))


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None,
                fill_value=None):
    """The sorted unique values in both arrays (fill: the smallest) and, with
    ``return_indices``, the first index of each in ``ar1`` and in ``ar2``
    (fill: the arrays' lengths)."""
    s1, p1, f1 = _runs(ar1, assume_unique)
    s2, p2, _ = _runs(ar2, assume_unique)
    mask = f1 & isin(s1, s2)
    out = _select("intersect1d", s1, mask, size, _min_fill(s1, mask, fill_value))
    if not return_indices:
        return out
    n1, n2 = util.shape(s1)[0], util.shape(s2)[0]
    i1 = _select("intersect1d", p1.astype(_int()), mask, size, n1)
    # The first run position of each value in sorted ar2 holds its smallest index
    # (the argsort is stable).
    pos2 = jnp.clip(searchsorted(s2, out), 0, max(n2 - 1, 0))
    i2 = jnp.take(p2, pos2).astype(_int())
    if size is not None:
        i2 = jnp.where(jnp.arange(size) < jnp.sum(mask), i2, n2)
    return out, i1, i2


def nonzero_sized(a, size, fill_value=None):
    """nonzero with a static ``size`` (traceable): per dimension, the indices of
    the first ``size`` non-zero elements, padded with ``fill_value`` (a scalar
    or one per dimension; default 0)."""
    a = jnp.atleast_1d(util.as_operand(a))
    shape = util.shape(a)
    count = jnp.sum(a != 0, dtype=_int())
    flat = compact(a != 0, size)
    valid = jnp.arange(size) < count
    fills = fill_value if isinstance(fill_value, (tuple, list)) else \
        [0 if fill_value is None else fill_value] * len(shape)
    if len(fills) != len(shape):
        raise ValueError(f"nonzero: fill_value must be a scalar or a tuple of length "
                         f"{len(shape)}, got {fill_value!r}")
    out, rest = [], flat
    for i, n in reversed(list(enumerate(shape))):
        out.append(rest % n if n else rest)
        rest = rest // n if n else rest
    return tuple(jnp.where(valid, c, f).astype(_int()) for c, f in zip(reversed(out), fills))
