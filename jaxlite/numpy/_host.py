"""Host-side helpers: printing (array_repr, array_str, print options), files and
buffers (load, save, savez, frombuffer, fromfile, fromiter, fromstring,
from_dlpack), dtype and type predicates (can_cast, isscalar, iterable),
einsum_path, and the index-building objects r_, c_, s_, index_exp, mgrid, ogrid.

They run numpy on concrete values; the results are jaxlite arrays with JAX's
dtype defaults.
"""
import numpy as np

from jaxlite import core
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util

__all__ = ["array_repr", "array_str", "printoptions", "get_printoptions", "set_printoptions",
           "load", "save", "savez", "frombuffer", "fromfile", "fromiter", "fromstring",
           "from_dlpack", "can_cast", "isscalar", "iterable", "einsum_path", "r_", "c_", "s_",
           "index_exp", "mgrid", "ogrid"]

printoptions = np.printoptions
get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions
iterable = np.iterable
s_ = np.s_
index_exp = np.index_exp


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    return np.array_repr(np.asarray(arr), max_line_width, precision, suppress_small)


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
    return np.array_str(np.asarray(a), max_line_width, precision, suppress_small)


def load(file, *args, **kwargs):
    """``numpy.load``; arrays come back as jaxlite arrays (dtypes kept)."""
    out = np.load(file, *args, **kwargs)
    return jnp.asarray(out) if isinstance(out, np.ndarray) else out


def save(file, arr, allow_pickle=True):
    np.save(file, np.asarray(arr), allow_pickle=allow_pickle)


def savez(file, *args, **kwds):
    np.savez(file, *map(np.asarray, args), **{k: np.asarray(v) for k, v in kwds.items()})


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    return jnp.asarray(np.frombuffer(buffer, util.canonical_dtype(dtype), count, offset))


def fromfile(file, dtype=float, count=-1, sep="", offset=0):
    return jnp.asarray(np.fromfile(file, util.canonical_dtype(dtype), count, sep, offset))


def fromiter(iterable, dtype, count=-1):
    return jnp.asarray(np.fromiter(iterable, util.canonical_dtype(dtype), count))


def fromstring(string, dtype=float, count=-1, *, sep):
    return jnp.asarray(np.fromstring(string, util.canonical_dtype(dtype), count, sep=sep))


def from_dlpack(x, /, *, device=None, copy=None):
    """An array from any object with ``__dlpack__`` (copied into a jaxlite array)."""
    return jnp.asarray(np.from_dlpack(x))


def can_cast(from_, to, casting="safe"):
    """numpy's casting rule between the two dtypes (or a value's dtype)."""
    if isinstance(from_, (np.ndarray, core.Tracer)) or type(from_) in (bool, int, float):
        from_ = util.aval(util.as_operand(from_)).dtype
    return bool(np.can_cast(_dtype_of(from_), _dtype_of(to), casting))


def _dtype_of(x):
    # jnp.float32 carries its dtype as an attribute; np.float32 (a class) is one.
    dt = getattr(x, "dtype", None)
    return dt if isinstance(dt, np.dtype) else np.dtype(x)


def isscalar(element):
    """True for Python and numpy scalars and rank-0 arrays (as JAX)."""
    if isinstance(element, (np.ndarray, core.Tracer)):
        return util.ndim(element) == 0
    return np.isscalar(element)


def einsum_path(subscripts, /, *operands, optimize="auto"):
    """``(path, description)``: the pairwise contraction order numpy's
    einsum_path finds for operands of these shapes."""
    shaped = [np.empty(util.shape(util.as_operand(o)), np.float32) for o in operands]
    path, text = np.einsum_path(subscripts, *shaped,
                                optimize="greedy" if optimize == "auto" else optimize)
    return [tuple(p) for p in path[1:]], text


# ---------------------------------------------------------------- grids

def _slice_values(s):
    step = 1 if s.step is None else s.step
    start = 0 if s.start is None else s.start
    if isinstance(step, complex):
        return jnp.linspace(start, s.stop, int(abs(step)))
    return jnp.arange(start, s.stop, step)


class _Concatenator:
    """``r_[...]`` / ``c_[...]``: slices become ranges (a complex step is a
    point count, as linspace), scalars 1-d arrays, then all are concatenated.
    A leading string 'axis[,ndmin[,trans1d]]' sets the axis, minimum rank and
    where 1-d inputs go when upgraded (-1: last dims, 0: first dims)."""

    def __init__(self, axis, ndmin, trans1d):
        self.defaults = (axis, ndmin, trans1d)

    def __getitem__(self, key):
        items = list(key) if isinstance(key, tuple) else [key]
        axis, ndmin, trans1d = self.defaults
        if items and isinstance(items[0], str):
            spec = [int(v) for v in items.pop(0).split(",")]
            axis = spec[0]
            ndmin = spec[1] if len(spec) > 1 else ndmin
            trans1d = spec[2] if len(spec) > 2 else trans1d
        parts = []
        for it in items:
            a = _slice_values(it) if isinstance(it, slice) else \
                jnp.atleast_1d(jnp.asarray(it))       # lists allowed, as in JAX
            k = util.ndim(a)
            if k < ndmin:
                extra = (1,) * (ndmin - k)
                a = jnp.reshape(a, extra + util.shape(a) if trans1d == -1
                                else util.shape(a) + extra)
            parts.append(a)
        return jnp.concatenate(parts, axis=axis)

    def __len__(self):
        return 0


r_ = _Concatenator(0, 1, -1)
c_ = _Concatenator(-1, 2, 0)


class _Grid:
    """``mgrid[...]`` (dense) / ``ogrid[...]`` (open) over static slices."""

    def __init__(self, sparse):
        self.sparse = sparse

    def __getitem__(self, key):
        single = isinstance(key, slice)
        axes = [_slice_values(s) for s in ((key,) if single else key)]
        if single:
            return axes[0]
        grids = jnp.meshgrid(*axes, indexing="ij", sparse=self.sparse)
        dt = util.result_type(*axes)[0]
        grids = [g.astype(dt) for g in grids]
        return grids if self.sparse else jnp.stack(grids)


mgrid = _Grid(False)
ogrid = _Grid(True)
