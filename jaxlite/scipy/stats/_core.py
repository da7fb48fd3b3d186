"""Summary statistics of jax.scipy.stats: mode, rankdata, sem. All are
sort-based, so they trace under jit and vmap with static shapes."""
import math
from typing import NamedTuple

import numpy as np

from jaxlite import dtypes, lax
from jaxlite import numpy as jnp
from jaxlite.scipy.stats import _common

__all__ = ["ModeResult", "mode", "rankdata", "sem"]

_NAN_POLICIES = ("propagate", "omit", "raise")


def _check_nan_policy(nan_policy, name):
    if nan_policy not in _NAN_POLICIES:
        raise ValueError(f"Illegal nan_policy value {nan_policy!r}; expected one of "
                         "{'propagate', 'omit', 'raise'}")
    if nan_policy != "propagate":
        # as JAX: whether the data hold nans is not known while tracing
        raise NotImplementedError(f"{name}: nan_policy={nan_policy!r} is not supported "
                                  "(as in JAX); remove nans before calling")


class ModeResult(NamedTuple):
    mode: object
    count: object


def _differs(a, b):
    """a != b, except that nans count as equal (as jnp.unique groups them, so
    the nans sorted to the end form one run)."""
    return (a != b) & ~(jnp.isnan(a) & jnp.isnan(b))


def _run_lengths(s):
    """For data sorted along axis 0, the length of the run of equal values
    each element belongs to."""
    n = s.shape[0]
    idx = lax.broadcasted_iota(np.int32, s.shape, 0)
    differs = _differs(s[1:], s[:-1])
    starts = jnp.concatenate([jnp.ones((1,) + s.shape[1:], bool), differs], axis=0)
    ends = jnp.concatenate([differs, jnp.ones((1,) + s.shape[1:], bool)], axis=0)
    first = lax.cummax(jnp.where(starts, idx, 0), axis=0)
    # the last index of each run: a running minimum from the end
    last = -lax.cummax(jnp.where(ends, -idx, -(n - 1)), axis=0, reverse=True)
    return last - first + 1


def mode(a, axis=0, nan_policy="propagate", keepdims=False):
    """The most common value along ``axis`` (the smallest one on ties) and
    how often it occurs, as a ModeResult(mode, count)."""
    _check_nan_policy(nan_policy, "mode")
    x = jnp.atleast_1d(jnp.asarray(a))
    if axis is None:
        out_shape = (1,) * x.ndim if keepdims else ()
        x = x.ravel()
        axis = 0
    else:
        axis = axis + x.ndim if axis < 0 else axis
        if not 0 <= axis < x.ndim:
            raise ValueError(f"axis {axis} is out of bounds for array of dimension {x.ndim}")
        out_shape = tuple(1 if i == axis else d for i, d in enumerate(x.shape)
                          if keepdims or i != axis)
    x = jnp.moveaxis(x, axis, 0)
    if x.shape[0] == 0:
        # as JAX: no data has a nan mode seen zero times (default float dtype)
        fdt = dtypes.canonicalize_dtype(np.float64)
        return ModeResult(jnp.full(out_shape, np.nan, fdt), jnp.zeros(out_shape, fdt))
    s = jnp.sort(x.reshape(x.shape[0], math.prod(x.shape[1:])), axis=0)
    runs = _run_lengths(s)
    at = jnp.argmax(runs, axis=0)       # first maximal run: the smallest value
    cols = jnp.arange(s.shape[1])
    return ModeResult(s[at, cols].reshape(out_shape),
                      runs[at, cols].astype(np.int32).reshape(out_shape))


def _rank_1d(a, method):
    fdt = dtypes.canonicalize_dtype(np.float64)
    n = a.shape[0]
    order = jnp.argsort(a, stable=True)
    s = a[order]
    # inverse permutation: the sorted position of each element
    pos = jnp.zeros(n, np.int32).at[order].set(jnp.arange(n, dtype=np.int32))
    if method == "ordinal":
        ranks = (pos + 1).astype(fdt)
    else:
        new = jnp.concatenate([jnp.ones((1,), bool), s[1:] != s[:-1]])
        dense = jnp.cumsum(new.astype(np.int32))[pos]
        if method == "dense":
            ranks = dense.astype(fdt)
        else:
            runs = _run_lengths(s)[pos]
            ordinal = pos + 1
            # the run of equal values covers sorted positions first..last
            first = ordinal - _run_offset(s)[pos]
            last = first + runs - 1
            ranks = {"min": first, "max": last}.get(method)
            ranks = (0.5 * (first + last) if ranks is None else ranks).astype(fdt)
    # as JAX: any nan makes every rank nan
    return jnp.where(jnp.any(jnp.isnan(a)), np.nan, ranks)


def _run_offset(s):
    """How far each element of sorted ``s`` sits from the start of its run."""
    idx = jnp.arange(s.shape[0], dtype=np.int32)
    starts = jnp.concatenate([jnp.ones((1,), bool), s[1:] != s[:-1]])
    return idx - lax.cummax(jnp.where(starts, idx, 0), axis=0)


def rankdata(a, method="average", *, axis=None, nan_policy="propagate"):
    """Ranks 1..n of the data (ties by ``method``: average, min, max, dense
    or ordinal), in the default float dtype; flattened unless ``axis``."""
    _check_nan_policy(nan_policy, "rankdata")
    if method not in ("average", "min", "max", "dense", "ordinal"):
        raise ValueError(f"unknown method '{method}'")
    a = jnp.asarray(a)
    if axis is not None:
        return jnp.apply_along_axis(lambda v: _rank_1d(v, method), axis, a)
    return _rank_1d(a.ravel(), method)


def sem(a, axis=0, ddof=1, nan_policy="propagate", *, keepdims=False):
    """Standard error of the mean: std(ddof) / sqrt(number of values)."""
    b, = _common.floats(a)
    if nan_policy == "propagate":
        size = b.size if axis is None else b.shape[axis]
        # the count in b's dtype before the root, so float64 data keep float64 precision
        return b.std(axis, ddof=ddof, keepdims=keepdims) / jnp.sqrt(jnp.asarray(size, b.dtype))
    if nan_policy == "omit":
        count = (~jnp.isnan(b)).sum(axis, keepdims=keepdims)
        return jnp.nanstd(b, axis, ddof=ddof, keepdims=keepdims) / jnp.sqrt(count.astype(b.dtype))
    raise ValueError(f"{nan_policy} is not supported")
