"""jaxlite.numpy: numpy's API with JAX's semantics, written over jaxlite.lax.

Arrays are immutable (``x.at[i].set(v)`` instead of ``x[i] = v``), Python
scalars are weakly typed (``int32_array + 1.5`` is float32), and without an x64
switch Python floats give float32; float64 inputs stay float64.
"""
import builtins as _builtins

import numpy as _np

from jaxlite import core as _core, dtypes as _dtypes, lax as _lax
from jaxlite.numpy._creation import (  # noqa: F401
    array, asarray, zeros, ones, empty, full, zeros_like, ones_like, empty_like, full_like,
    arange, linspace, eye, identity, tri, logspace, geomspace, tril_indices, triu_indices,
    tril_indices_from, triu_indices_from, indices)
from jaxlite.numpy._elementwise import (  # noqa: F401
    add, subtract, multiply, divide, true_divide, floor_divide, remainder, mod, fmod, divmod,
    power, float_power, square, reciprocal, negative, positive, absolute, abs, fabs, sign,
    floor, ceil, trunc, fix, rint, round, around, round_, exp, exp2, log, log2, log10, log1p,
    expm1, sqrt, cbrt, sin, cos, tan, arcsin, arccos, arctan, sinh, cosh, tanh, arcsinh,
    arccosh, arctanh, arctan2, hypot, deg2rad, rad2deg, degrees, radians, maximum, minimum,
    logaddexp, logaddexp2, equal, not_equal, less, less_equal, greater, greater_equal,
    logical_and, logical_or, logical_xor, logical_not, bitwise_and, bitwise_or, bitwise_xor,
    bitwise_not, invert, isnan, isinf, isfinite, signbit, isclose, where, clip, nan_to_num,
    acos, asin, atan, atan2, acosh, asinh, atanh, pow, fmax, fmin, copysign, heaviside, sinc,
    real, imag, conj, conjugate, isposinf, isneginf, select)
from jaxlite.numpy._convolution import convolve, correlate  # noqa: F401
from jaxlite.numpy._reductions import (  # noqa: F401
    sum, prod, max, min, amax, amin, mean, var, std, argmax, argmin, all, any, cumsum,
    count_nonzero, ptp, average, cumprod, nansum, nanprod, nanmean, nanvar, nanstd, nanmax,
    nanmin, nanargmax, nanargmin, cumulative_sum, cumulative_prod)
from jaxlite.numpy._shape import (  # noqa: F401
    reshape, ravel, transpose, permute_dims, swapaxes, moveaxis, expand_dims, squeeze,
    broadcast_to, broadcast_arrays, broadcast_shapes, atleast_1d, atleast_2d, atleast_3d,
    concatenate, stack, vstack, hstack, column_stack, split, array_split, hsplit, vsplit,
    tile, repeat, flip, fliplr, flipud, pad, roll, tril, triu, meshgrid, diag, diff,
    concat, matrix_transpose, unstack, append, rot90)
from jaxlite.numpy._linalg import (  # noqa: F401
    dot, matmul, tensordot, inner, outer, vdot, einsum, kron, cross, vecdot, matvec, vecmat)
from jaxlite.numpy._indexing import (  # noqa: F401
    take, take_along_axis, nonzero, flatnonzero, argwhere, diagonal, trace)
from jaxlite.numpy._sorting import sort, argsort, sort_complex  # noqa: F401
from jaxlite.numpy._setops import (  # noqa: F401
    searchsorted, digitize, bincount, lexsort, partition, argpartition, unique,
    unique_all, unique_counts, unique_inverse, unique_values, setdiff1d, intersect1d, union1d,
    setxor1d, isin)
from jaxlite.numpy._statistics import (  # noqa: F401
    quantile, nanquantile, percentile, nanpercentile, median, nanmedian, cov, corrcoef,
    histogram_bin_edges, histogram, histogram2d, histogramdd, nancumsum, nancumprod)
from jaxlite.numpy._polynomial import (  # noqa: F401
    polyval, polyadd, polysub, polymul, polydiv, polyder, polyint, poly, polyfit, vander, roots)
from jaxlite.numpy._functional import (  # noqa: F401
    vectorize, apply_along_axis, apply_over_axes, piecewise, fromfunction, frompyfunc, ufunc)
from jaxlite.numpy._manipulation import (  # noqa: F401
    insert, delete, resize, trim_zeros, compress, extract, choose, put, place, put_along_axis,
    fill_diagonal, ix_, diag_indices, diag_indices_from, mask_indices, ravel_multi_index,
    unravel_index, block, dstack, dsplit, rollaxis, diagflat, array_equiv, ediff1d, copy)
from jaxlite.numpy._calculus import (  # noqa: F401
    gradient, trapezoid, interp, unwrap, bartlett, blackman, hamming, hanning, kaiser, i0,
    angle, iscomplex, isreal, iscomplexobj, isrealobj)
from jaxlite.numpy._bits import (  # noqa: F401
    left_shift, right_shift, bitwise_left_shift, bitwise_right_shift, bitwise_count,
    bitwise_invert, packbits, unpackbits, gcd, lcm, frexp, ldexp, modf, nextafter, spacing)
from jaxlite.numpy._host import (  # noqa: F401
    array_repr, array_str, printoptions, get_printoptions, set_printoptions, load, save, savez,
    frombuffer, fromfile, fromiter, fromstring, from_dlpack, can_cast, isscalar, iterable,
    einsum_path, r_, c_, s_, index_exp, mgrid, ogrid)
from jaxlite.numpy import _operators  # noqa: F401  (installs operators on Tracer/Array)
from jaxlite.numpy import linalg  # noqa: F401
from jaxlite.numpy import fft  # noqa: F401
from jaxlite import numpy_util as _util

ndarray = _core.Array


class _ScalarType:
    """``jnp.float32`` and friends: usable as a dtype anywhere numpy takes one
    (numpy reads the ``dtype`` attribute), and callable like JAX's:
    ``jnp.float32(x)`` casts ``x`` (a scalar, array or tracer) to a jaxlite array."""

    def __init__(self, np_type):
        self.type = np_type
        self.dtype = _np.dtype(np_type)
        self.__name__ = self.dtype.name

    def __call__(self, x):
        return asarray(x, self.dtype)

    def __repr__(self):
        return f"jaxlite.numpy.{self.dtype.name}"


float32 = _ScalarType(_np.float32)
float64 = _ScalarType(_np.float64)
int32 = _ScalarType(_np.int32)
int64 = _ScalarType(_np.int64)
int8, int16 = _ScalarType(_np.int8), _ScalarType(_np.int16)
uint8, uint16 = _ScalarType(_np.uint8), _ScalarType(_np.uint16)
uint32, uint64 = _ScalarType(_np.uint32), _ScalarType(_np.uint64)
float16 = _ScalarType(_np.float16)
complex64, complex128 = _ScalarType(_np.complex64), _ScalarType(_np.complex128)
bool_ = _ScalarType(_np.bool_)
bool = bool_        # the array-API name; shadows the builtin in this module only
float_ = float32
complex_ = complex64
int_ = int32
# numpy's C-style names, as jax.numpy has them
single, double = float32, float64
csingle, cdouble = complex64, complex128
dtype = _np.dtype
pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan
euler_gamma = _np.euler_gamma
newaxis = None
finfo = _dtypes.finfo
iinfo = _dtypes.iinfo
promote_types = _dtypes.promote_types
floating = _np.floating
integer = _np.integer
inexact = _np.inexact
complexfloating = _np.complexfloating
number = _np.number
signedinteger = _np.signedinteger
unsignedinteger = _np.unsignedinteger
generic = _np.generic
flexible = _np.flexible
character = _np.character


def result_type(*args):
    """The dtype JAX's promotion gives ``args`` (arrays, scalars or dtypes)."""
    typed = []
    for a in args:
        if isinstance(a, (type, _np.dtype, str, _ScalarType)):
            typed.append((_util.canonical_dtype(a), a in (_builtins.bool, int, float)))
        else:
            av = _core.get_aval(_util.as_operand(a))
            typed.append((av.dtype, av.weak_type))
    return _dtypes.result_type(*typed)[0]


def issubdtype(arg1, arg2):
    return _np.issubdtype(arg1, arg2)


def shape(a):
    return _core.get_aval(a).shape if not isinstance(a, (list, tuple)) else _np.shape(a)


def ndim(a):
    return len(shape(a))


def size(a, axis=None):
    s = shape(a)
    return int(_np.prod(s, dtype=_np.int64)) if axis is None else s[axis]


def array_equal(a1, a2, equal_nan=False):
    """True when the shapes match and every element is equal (a jaxlite bool)."""
    if shape(a1) != shape(a2):
        return asarray(False)
    eq = equal(a1, a2)
    if equal_nan:
        eq = logical_or(eq, logical_and(isnan(a1), isnan(a2)))
    return all(eq)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return all(isclose(a, b, rtol, atol, equal_nan))


def astype(x, dtype, /, *, copy=False, device=None):
    """``x`` converted to ``dtype`` (the array-API function form of ``x.astype``)."""
    return _lax.convert_element_type(_util.strong(_util.as_operand(x)),
                                     _util.canonical_dtype(dtype))


_KIND_TESTS = {
    "bool": lambda dt: dt.kind == "b",
    "signed integer": lambda dt: dt.kind == "i",
    "unsigned integer": lambda dt: dt.kind == "u",
    "integral": lambda dt: dt.kind in "iu",
    "real floating": lambda dt: dt.kind == "f",
    "complex floating": lambda dt: dt.kind == "c",
    "numeric": lambda dt: dt.kind in "iufc",
}


def isdtype(dtype, kind):
    """Array-API dtype test: ``kind`` is a dtype, one of the kind names
    ('bool', 'signed integer', 'unsigned integer', 'integral', 'real floating',
    'complex floating', 'numeric'), or a tuple of these."""
    dt = _np.dtype(dtype.dtype if isinstance(dtype, _ScalarType) else dtype)
    if isinstance(kind, tuple):
        return _builtins.any(isdtype(dt, k) for k in kind)
    if isinstance(kind, str):
        if kind not in _KIND_TESTS:
            raise ValueError(f"isdtype: unknown kind {kind!r}; expected one of "
                             f"{', '.join(map(repr, _KIND_TESTS))}")
        return _KIND_TESTS[kind](dt)
    return dt == _np.dtype(kind.dtype if isinstance(kind, _ScalarType) else kind)
