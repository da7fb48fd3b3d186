"""The dtypes jaxlite supports and JAX's type-promotion lattice over them.

Python scalars are *weak*: they take the dtype of the array they meet
(``f32_array * 2.0`` stays float32, ``f32_array * 1j`` is complex64). Alone,
they default to int32/float32/complex64, or to int64/float64/complex128 in x64
mode (``jax_enable_x64``). Unlike JAX, arrays are never narrowed: a float64
or complex128 array stays 64-bit with x64 off.

The lattice is JAX's: bool < i* < the integers < f* < the floats, with the
weak complex node c* above f*; float32 and c* meet at complex64, float64 at
complex128 (so float64 x complex64 -> complex128), and 64-bit integers x
complex64 -> complex64.
"""
import numpy as np

from jaxlite import _config

bool_ = np.dtype(np.bool_)
uint8, uint16 = np.dtype(np.uint8), np.dtype(np.uint16)
uint32, uint64 = np.dtype(np.uint32), np.dtype(np.uint64)
int8, int16 = np.dtype(np.int8), np.dtype(np.int16)
int32, int64 = np.dtype(np.int32), np.dtype(np.int64)
float16, float32, float64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
complex64, complex128 = np.dtype(np.complex64), np.dtype(np.complex128)

# JAX's dtype of the cotangent of an integer input (grad with allow_int=True):
# a structured dtype with no storage. No operation computes in it.
float0 = np.dtype([("float0", np.void, 0)])

SUPPORTED = (bool_, uint8, uint16, uint32, uint64, int8, int16, int32, int64,
             float16, float32, float64, complex64, complex128)
_SUPPORTED_SET = frozenset(SUPPORTED)
_SHORT = {bool_: "bool", uint8: "u8", uint16: "u16", uint32: "u32", uint64: "u64",
          int8: "i8", int16: "i16", int32: "i32", int64: "i64",
          float16: "f16", float32: "f32", float64: "f64",
          complex64: "c64", complex128: "c128"}
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}

# The weak (Python scalar) nodes of the lattice.
WEAK_INT, WEAK_FLOAT, WEAK_COMPLEX = "i*", "f*", "c*"


def _lattice(x64):
    """JAX's promotion lattice: each node -> the nodes immediately above it.
    Without x64, uint32 x int32 promotes to int32 (no 64-bit type is formed
    from 32-bit inputs), as in JAX."""
    up = {bool_: [WEAK_INT], WEAK_INT: [uint8, int8],
          uint8: [uint16, int16], uint16: [uint32, int32],
          uint32: [uint64, int64 if x64 else int32], uint64: [WEAK_FLOAT],
          int8: [int16], int16: [int32], int32: [int64], int64: [WEAK_FLOAT],
          WEAK_FLOAT: [float16, WEAK_COMPLEX], float16: [float32],
          float32: [float64, complex64], float64: [complex128],
          WEAK_COMPLEX: [complex64], complex64: [complex128], complex128: []}
    return up


def _upper_bounds(lattice):
    """node -> every node at or above it."""
    out = {}
    for node in lattice:
        seen, todo = {node}, [node]
        while todo:
            for above in lattice[todo.pop()]:
                if above not in seen:
                    seen.add(above)
                    todo.append(above)
        out[node] = frozenset(seen)
    return out


_BOUNDS = {x64: _upper_bounds(_lattice(x64)) for x64 in (False, True)}


def _join(nodes, x64):
    """The least upper bound of lattice ``nodes``."""
    bounds = _BOUNDS[x64]
    common = frozenset.intersection(*(bounds[n] for n in nodes))
    # The least element is the one whose own upper bounds cover all the others.
    for n in common:
        if common <= bounds[n]:
            return n
    raise TypeError(f"no common type for {nodes}")   # cannot happen: the lattice has a top


def canonicalize(dtype, what="value"):
    """The supported dtype for ``dtype``, or TypeError naming what carried it."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{what} has unsupported dtype {dtype!r}") from None
    if dt in _SUPPORTED_SET:
        return dt
    if dt.kind in "biufc" and dt.newbyteorder("=") in _SUPPORTED_SET:
        return dt.newbyteorder("=")     # non-native byte order: same values, native order
    raise TypeError(
        f"{what} has dtype {dt.name}, which jaxlite does not support "
        f"(supported: {', '.join(d.name for d in SUPPORTED)})")


def short_name(dtype):
    return _SHORT[np.dtype(dtype)]


def kind_rank(dtype):
    return _KIND_RANK[np.dtype(dtype).kind]


def is_float(dtype):
    return np.dtype(dtype).kind == "f"


def is_complex(dtype):
    return np.dtype(dtype).kind == "c"


def is_inexact(dtype):
    return np.dtype(dtype).kind in "fc"


def default_int():
    return int64 if _config.x64.value else int32


def default_uint():
    return uint64 if _config.x64.value else uint32


def default_float():
    return float64 if _config.x64.value else float32


def default_complex():
    return complex128 if _config.x64.value else complex64


def default_for_kind(rank):
    """The dtype of a Python scalar of kind rank 0 (bool), 1 (int), 2 (float)
    or 3 (complex)."""
    if rank == 0:
        return bool_
    if rank == 3:
        return default_complex()
    if _config.x64.value:
        return int64 if rank == 1 else float64
    return int32 if rank == 1 else float32


def _node(dt, weak):
    if weak and dt.kind in "iu":
        return WEAK_INT
    if weak and dt.kind == "f":
        return WEAK_FLOAT
    if weak and dt.kind == "c":
        return WEAK_COMPLEX
    return dt


def _weak_dtype(node):
    return {WEAK_INT: default_int, WEAK_FLOAT: default_float,
            WEAK_COMPLEX: default_complex}[node]()


def result_type(*typed):
    """JAX's promotion over ``(dtype, weak_type)`` pairs -> ``(dtype, weak_type)``."""
    first = typed[0]
    if all(t == first for t in typed[1:]):      # the common case: nothing to join
        return first
    x64 = _config.x64.value
    if all(w for _, w in typed):
        # All weak: join the dtypes as if strong, the result stays weak.
        return _join({dt for dt, _ in typed}, x64), True
    out = _join({_node(dt, w) for dt, w in typed}, x64)
    if isinstance(out, str):      # a weak node: a strong int64 x uint64 meets f*, say
        return _weak_dtype(out), True
    return out, False


def promote_types(a, b):
    """``jnp.promote_types``: JAX's table for two strong dtypes (a Python type
    ``int``/``float`` is a weak scalar of that kind)."""
    typed = [_typed(t) for t in (a, b)]
    x64 = _config.x64.value
    out = _join({_node(dt, w) for dt, w in typed}, x64)
    if isinstance(out, str):
        # JAX keeps the full width of the weak type here (uint64 x int64 ->
        # float64) whatever the mode.
        return {WEAK_INT: int64, WEAK_FLOAT: float64, WEAK_COMPLEX: complex128}[out]
    return out


def _typed(t):
    if t is int:
        return default_int(), True
    if t is float:
        return default_float(), True
    if t is complex:
        return default_complex(), True
    if t is bool:
        return bool_, False
    return canonicalize(t), False


_WIDTH_PAIRS = ({float32, float64}, {complex64, complex128})


def same_without_x64(a, b):
    """True when JAX with x64 off sees ``a`` and ``b`` as one dtype: they are
    equal, or a 32/64-bit pair of one kind (JAX narrows the 64-bit one, where
    jaxlite keeps numpy's 64-bit arrays 64-bit)."""
    return a == b or (not _config.x64.value and {a, b} in _WIDTH_PAIRS)


def to_inexact(dt):
    """The float dtype an integer or bool dtype computes in (as JAX:
    64-bit integers -> float64, narrower ones and bool -> float32); float and
    complex dtypes are their own."""
    dt = np.dtype(dt)
    if dt.kind in "fc":
        return dt
    return float64 if dt.itemsize == 8 else float32


def to_complex(dt):
    """The complex dtype with ``dt``'s precision (float32 -> complex64)."""
    dt = to_inexact(dt)
    if dt.kind == "c":
        return dt
    return complex128 if dt == float64 else complex64


def real_dtype(dt):
    """The real dtype of a complex dtype's parts (complex64 -> float32); other
    dtypes are their own."""
    dt = np.dtype(dt)
    if dt.kind == "c":
        return float64 if dt == complex128 else float32
    return dt


def finfo(dtype):
    return np.finfo(np.dtype(dtype))


def iinfo(dtype):
    return np.iinfo(np.dtype(dtype))


# --------------------------------------------------------- jax.dtypes' helpers

class TypePromotionError(ValueError):
    """JAX's error class for a promotion its rules refuse (``jax.dtypes.TypePromotionError``)."""


def issubdtype(a, b):
    """numpy's ``issubdtype`` (jaxlite has no extended dtypes to special-case)."""
    return np.issubdtype(a, b)


_NARROW = {np.dtype(np.int64): int32, np.dtype(np.uint64): uint32,
           np.dtype(np.float64): float32, np.dtype(np.complex128): complex64}


def canonicalize_dtype(dtype, allow_extended_dtype=False):
    """The dtype arrays of ``dtype`` get: 64-bit types narrow to 32-bit ones unless
    x64 is on, as JAX's ``jax.dtypes.canonicalize_dtype``."""
    dt = np.dtype(dtype)
    return dt if _config.x64.value else _NARROW.get(dt, dt)


def scalar_type_of(x):
    """The Python scalar type holding values like ``x``'s: bool, int, float or complex."""
    kind = np.dtype(x.dtype if hasattr(x, "dtype") else type(x)).kind
    return {"b": bool, "i": int, "u": int, "f": float, "c": complex}[kind]


def itemsize_bits(dtype):
    """The bits one element of ``dtype`` takes."""
    return np.dtype(dtype).itemsize * 8
