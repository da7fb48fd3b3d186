"""Fast Fourier transforms over the trailing ``len(fft_lengths)`` axes.

``fft_p`` is JAX's primitive: complex in and out for FFT/IFFT, real to
half-spectrum complex for RFFT, half spectrum to real for IRFFT. It is linear,
and its transposes follow JAX's pairing of a cotangent ``c`` with a tangent
``t``, ``Re(c * t)`` without conjugation: the DFT matrix is symmetric, so FFT
and IFFT are their own transposes, while RFFT and IRFFT have to account for
the half spectrum standing for both of each conjugate pair (the weight ``w``:
1 for the zero frequency and, for even lengths, the Nyquist frequency; 2 for
the others).

``fft_planar_p`` is the same transform over real and imaginary planes held in
separate real arrays, the form the compiler computes it in (compiler/fft.py):
FFT/IFFT take and give ``(re, im)``, RFFT takes ``(x,)`` and gives
``(re, im)``, IRFFT takes ``(re, im)`` and gives ``(y,)``. Being a map
between real arrays, its transposes are plain real transposes.
"""
import enum
import math

import numpy as np

from jaxlite import core, dtypes
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.interpreters.ad import Zero, instantiate
from jaxlite.lax._rules import standard_primitive
# Modules, not names (their functions are used at call time).
from jaxlite.lax import complex_ops, elementwise, structural

__all__ = ["FftType", "fft_p", "fft_planar_p", "fft", "fft_planar"]


class FftType(enum.IntEnum):
    """Which transform ``fft`` computes (the values are JAX's)."""
    FFT = 0
    IFFT = 1
    RFFT = 2
    IRFFT = 3


_FFT_TYPES = {"fft": FftType.FFT, "ifft": FftType.IFFT, "rfft": FftType.RFFT,
              "irfft": FftType.IRFFT}


def _fft_type(fft_type):
    if isinstance(fft_type, FftType):
        return fft_type
    if isinstance(fft_type, str):
        if fft_type.lower() in _FFT_TYPES and fft_type in (fft_type.lower(), fft_type.upper()):
            return _FFT_TYPES[fft_type.lower()]
        raise ValueError(f"Unknown FFT type '{fft_type}'")
    raise TypeError(f"Unknown FFT type value '{fft_type}'")


# ------------------------------------------------------------ shape rules

def _result_shape(shape, fft_type, lengths, name):
    """The output shape, with JAX's checks of the trailing dimensions."""
    k = len(lengths)
    if k > len(shape):
        raise ValueError(f"FFT input shape {shape} must have at least as many input "
                         f"dimensions as fft_lengths {lengths}.{core.where_message()}")
    minor = shape[len(shape) - k:]
    if fft_type == FftType.IRFFT:
        if minor[:-1] != lengths[:-1] or minor[-1] != lengths[-1] // 2 + 1:
            raise ValueError(f"IRFFT input shape {shape} minor dimensions must be equal to "
                             f"all except the last fft_length {lengths}, and the last "
                             f"{lengths[-1] // 2 + 1} (fft_lengths[-1] // 2 + 1)"
                             f"{core.where_message()}")
        return shape[:len(shape) - k] + lengths
    if minor != lengths:
        raise ValueError(f"{name} input shape {shape} minor dimensions must be equal to "
                         f"fft_lengths {lengths}{core.where_message()}")
    if fft_type == FftType.RFFT:
        if lengths[-1] == 0:       # as JAX, which has no half spectrum of nothing
            raise ValueError(f"RFFT of length 0 (input shape {shape}){core.where_message()}")
        return shape[:len(shape) - 1] + (lengths[-1] // 2 + 1,)
    return shape


_REAL = (np.dtype(np.float32), np.dtype(np.float64))


def _fft_shape(x, fft_type, fft_lengths):
    name = FftType(fft_type).name
    if fft_type == FftType.RFFT:
        if x.dtype not in _REAL:
            raise ValueError(f"RFFT input must be float32 or float64, got {x.dtype.name}"
                             f"{core.where_message()}")
        dtype = dtypes.to_complex(x.dtype)
    else:
        if x.dtype.kind != "c":
            raise ValueError(f"{name} input must be complex64 or complex128, got "
                             f"{x.dtype.name}{core.where_message()}")
        dtype = dtypes.real_dtype(x.dtype) if fft_type == FftType.IRFFT else x.dtype
    return ShapedArray(_result_shape(x.shape, fft_type, fft_lengths, name), dtype)


def _planar_shape(*planes, fft_type, fft_lengths):
    name = FftType(fft_type).name
    want = 1 if fft_type == FftType.RFFT else 2
    if len(planes) != want:
        raise TypeError(f"fft_planar {name} takes {want} real operand(s), got {len(planes)}")
    x = planes[0]
    for p in planes:
        if p.dtype not in _REAL or p.dtype != x.dtype or p.shape != x.shape:
            raise TypeError(f"fft_planar {name} planes must be float32 or float64 arrays of "
                            f"one shape and dtype, got "
                            f"{', '.join(f'{q.dtype.name}{list(q.shape)}' for q in planes)}")
    out = ShapedArray(_result_shape(x.shape, fft_type, fft_lengths, name), x.dtype)
    return [out] if fft_type == FftType.IRFFT else [out, out]


# ------------------------------------------------------------ numpy impls

def _numpy_fft(x, fft_type, lengths):
    """The transform by numpy.fft, in the precision of ``x``'s dtype."""
    axes = tuple(range(x.ndim - len(lengths), x.ndim))
    if fft_type == FftType.FFT:
        return np.fft.fftn(x, lengths, axes)
    if fft_type == FftType.IFFT:
        return np.fft.ifftn(x, lengths, axes)
    if fft_type == FftType.RFFT:
        return np.fft.rfftn(x, lengths, axes)
    return np.fft.irfftn(x, lengths, axes)


def _fft_impl(x, fft_type, fft_lengths):
    aval = _fft_shape(core.get_aval(x), fft_type, fft_lengths)
    if 0 in fft_lengths:           # an empty result (numpy.fft refuses length 0)
        return np.zeros(aval.shape, aval.dtype)
    return np.asarray(_numpy_fft(x, fft_type, fft_lengths), aval.dtype)


def _planar_impl(*planes, fft_type, fft_lengths):
    dt = planes[0].dtype
    if 0 in fft_lengths:
        avals = _planar_shape(*map(core.get_aval, planes), fft_type=fft_type,
                              fft_lengths=fft_lengths)
        return [np.zeros(a.shape, a.dtype) for a in avals]
    x = planes[0] if fft_type == FftType.RFFT else planes[0] + 1j * planes[1].astype(dt)
    out = _numpy_fft(x.astype(dtypes.to_complex(dt)) if x.dtype.kind == "c" else x,
                     fft_type, fft_lengths)
    if fft_type == FftType.IRFFT:
        return [np.asarray(out, dt)]
    return [np.ascontiguousarray(out.real, dt), np.ascontiguousarray(out.imag, dt)]


fft_p = standard_primitive("fft", _fft_impl, _fft_shape, kind=core.KERNEL, cost=core.COSTLY)
fft_planar_p = standard_primitive("fft_planar", _planar_impl, _planar_shape,
                                  multiple_results=True, kind=core.KERNEL, cost=core.COSTLY)


# -------------------------------------------------------------- helpers

def _half_weights(lengths, dtype):
    """w: 1 at frequency 0 (and n/2 for even n), 2 elsewhere, over the half spectrum."""
    n = lengths[-1]
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w.astype(dtype)


def _along_last(x, vec):
    """``x`` times ``vec`` broadcast along its last axis."""
    aval = core.get_aval(x)
    return elementwise.mul(x, structural.broadcast_in_dim(vec, aval.shape, (aval.ndim - 1,)))


def _scale(x, s):
    return elementwise.mul(x, np.asarray(s, core.get_aval(x).dtype))


# ------------------------------------------------------ fft_p: ad, batch

def _fft_transpose(ct, x, fft_type, fft_lengths):
    if type(ct) is Zero:
        return [None]
    n = math.prod(fft_lengths)
    dt = core.get_aval(ct).dtype
    if fft_type == FftType.RFFT:
        # x-bar = Re(F^T pad(ct)) = n * irfft(conj(ct) / w): irfft counts each
        # interior bin twice, which the division by w undoes.
        c = _along_last(complex_ops.conj(ct), 1 / _half_weights(fft_lengths, dt))
        return [_scale(fft(c, FftType.IRFFT, fft_lengths), n)]
    if fft_type == FftType.IRFFT:
        y = fft(ct, FftType.RFFT, fft_lengths)
        w = _half_weights(fft_lengths, core.get_aval(y).dtype) / n
        return [complex_ops.conj(_along_last(y, w))]
    return [fft(ct, fft_type, fft_lengths)]


ad.deflinear(fft_p, _fft_transpose)


def _fft_batch(axis_size, vals, dims, fft_type, fft_lengths):
    (x,), (d,) = vals, dims
    return core.bind(fft_p, batching.moveaxis(x, d, 0), fft_type=fft_type,
                     fft_lengths=fft_lengths), 0


batching.batch_rules[fft_p] = _fft_batch


# ------------------------------------------------ fft_planar_p: ad, batch

def _planar_jvp(primals, tangents, fft_type, fft_lengths):
    outs = fft_planar(primals, fft_type, fft_lengths)
    if all(type(t) is Zero for t in tangents):
        return outs, [Zero(core.get_aval(o)) for o in outs]
    return outs, fft_planar([instantiate(t) for t in tangents], fft_type, fft_lengths)


def _planar_transpose(cts, *planes, fft_type, fft_lengths):
    """Real transposes: a complex-linear map's is its conjugate transpose."""
    if all(type(c) is Zero for c in cts):
        return [None] * len(planes)
    cts = [instantiate(c) for c in cts]
    n = math.prod(fft_lengths)
    if fft_type == FftType.FFT:       # F^H = n * IFFT
        return [_scale(c, n) for c in fft_planar(cts, FftType.IFFT, fft_lengths)]
    if fft_type == FftType.IFFT:      # (conj(F) / n)^H = F / n
        return [_scale(c, 1 / n) for c in fft_planar(cts, FftType.FFT, fft_lengths)]
    dt = core.get_aval(cts[0]).dtype
    w = _half_weights(fft_lengths, dt)
    if fft_type == FftType.RFFT:      # Re(F^H pad(c)) = n * irfft(c / w)
        (y,) = fft_planar([_along_last(c, 1 / w) for c in cts], FftType.IRFFT, fft_lengths)
        return [_scale(y, n)]
    return [_along_last(c, w / n) for c in fft_planar(cts, FftType.RFFT, fft_lengths)]


ad.jvp_rules[fft_planar_p] = _planar_jvp
ad.transpose_rules[fft_planar_p] = _planar_transpose


def _planar_batch(axis_size, vals, dims, fft_type, fft_lengths):
    planes = [batching.move_to(v, d, 0, axis_size) for v, d in zip(vals, dims)]
    outs = fft_planar(planes, fft_type, fft_lengths)
    return outs, [0] * len(outs)


batching.batch_rules[fft_planar_p] = _planar_batch


# ------------------------------------------------------- public wrappers

def fft(x, fft_type, fft_lengths):
    """The FFT of ``x`` over its last ``len(fft_lengths)`` axes (jax.lax.fft):
    integer and float16 operands become the complex (RFFT: the real) dtype of
    their precision first."""
    typ = _fft_type(fft_type)
    dt = core.get_aval(x).dtype
    if typ == FftType.RFFT:
        if dt.kind == "c":
            raise ValueError("only real valued inputs supported for rfft")
        x = elementwise.convert_element_type(x, dtypes.to_inexact(dt))
    else:
        x = elementwise.convert_element_type(x, dtypes.to_complex(dt))
    lengths = tuple(int(n) for n in fft_lengths)
    if not lengths:
        return x
    return core.bind(fft_p, x, fft_type=typ, fft_lengths=lengths)


def fft_planar(planes, fft_type, fft_lengths):
    """``fft`` over real and imaginary planes (see the module docstring):
    a list of one or two real arrays in, a list of one or two out."""
    return core.bind(fft_planar_p, *planes, fft_type=_fft_type(fft_type),
                     fft_lengths=tuple(int(n) for n in fft_lengths))
