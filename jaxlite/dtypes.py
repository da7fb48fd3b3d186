"""The five dtypes jaxlite supports and JAX's promotion lattice over them.

Python scalars are *weak*: they take the dtype of the array they meet
(``f32_array * 2.0`` stays float32). There is no global x64 switch: a float64
array stays float64, and weak Python scalars alone default to int32/float32.
"""
import numpy as np

bool_ = np.dtype(np.bool_)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)

SUPPORTED = (bool_, int32, int64, float32, float64)
_SHORT = {bool_: "bool", int32: "i32", int64: "i64", float32: "f32", float64: "f64"}
# Narrow numpy types are widened to the nearest supported type, never narrowed.
_WIDEN = {
    np.dtype(np.int8): int32, np.dtype(np.int16): int32, np.dtype(np.uint8): int32,
    np.dtype(np.uint16): int32, np.dtype(np.uint32): int64, np.dtype(np.uint64): int64,
    np.dtype(np.float16): float32,
}
_KIND_RANK = {"b": 0, "i": 1, "f": 2}
_WEAK_DEFAULT = {0: bool_, 1: int32, 2: float32}


def canonicalize(dtype, what="value"):
    """The supported dtype for ``dtype``, or TypeError naming what carried it."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{what} has unsupported dtype {dtype!r}") from None
    if dt in _SUPPORTED_SET:
        return dt
    if dt in _WIDEN:
        return _WIDEN[dt]
    raise TypeError(
        f"{what} has dtype {dt.name}, which jaxlite does not support "
        f"(supported: bool, int32, int64, float32, float64)")


_SUPPORTED_SET = frozenset(SUPPORTED)


def short_name(dtype):
    return _SHORT[np.dtype(dtype)]


def kind_rank(dtype):
    return _KIND_RANK[np.dtype(dtype).kind]


def is_float(dtype):
    return np.dtype(dtype).kind == "f"


def default_for_kind(rank):
    return _WEAK_DEFAULT[rank]


def _join_strong(a, b):
    ra, rb = kind_rank(a), kind_rank(b)
    if ra != rb:
        return a if ra > rb else b   # int64 + float32 -> float32, as in JAX
    return a if a.itemsize >= b.itemsize else b


def result_type(*typed):
    """JAX's promotion over ``(dtype, weak_type)`` pairs -> ``(dtype, weak_type)``."""
    strong = None
    weak_rank = -1
    for dt, weak in typed:
        if weak:
            weak_rank = max(weak_rank, kind_rank(dt))
        else:
            strong = dt if strong is None else _join_strong(strong, dt)
    if strong is None:
        return default_for_kind(weak_rank), True
    if weak_rank > kind_rank(strong):
        return default_for_kind(weak_rank), True
    return strong, False


def promote_types(a, b):
    return result_type((canonicalize(a), False), (canonicalize(b), False))[0]


def finfo(dtype):
    return np.finfo(np.dtype(dtype))


def iinfo(dtype):
    return np.iinfo(np.dtype(dtype))
