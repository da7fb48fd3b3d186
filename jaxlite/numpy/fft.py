"""jaxlite.numpy.fft: numpy.fft over ``lax.fft``.

Every transform moves its axes last, crops or zero-pads them to ``s`` (or
``n``), calls ``lax.fft`` (at most three axes per call, as JAX does: more
are done in groups) and applies ``norm``: "backward" (the default) scales the
inverse by 1/n, "ortho" both directions by 1/sqrt(n), "forward" the forward
one by 1/n. Integer inputs compute in float32 (int64: float64), float16 in
float32, as in JAX.
"""
import operator

import numpy as np

from jaxlite import dtypes, lax
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
           "fftn", "ifftn", "rfftn", "irfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_FFT, _IFFT, _RFFT, _IRFFT = (lax.FftType.FFT, lax.FftType.IFFT, lax.FftType.RFFT,
                              lax.FftType.IRFFT)


def _norm_factor(func_name, norm, lengths):
    """The factor ``norm`` multiplies the transform by (None: none)."""
    if norm is None or norm == "backward":
        return None
    n = float(np.prod(lengths, dtype=np.float64))
    inverse = func_name.startswith("i")
    if norm == "ortho":
        return np.sqrt(n) if inverse else 1 / np.sqrt(n)
    if norm == "forward":
        return n if inverse else 1 / n
    raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')


def _crop_or_pad(a, shape_):
    have = util.shape(a)
    if have == tuple(shape_):
        return a
    a = a[tuple(slice(0, n) for n in shape_)]
    return jnp.pad(a, [(0, n - m) for n, m in zip(shape_, util.shape(a))])


def _fft_core(func_name, fft_type, a, s, axes, norm):
    full_name = f"jax.numpy.fft.{func_name}"
    arr = util.as_operand(a)
    ndim = util.ndim(arr)
    if s is not None:
        s = tuple(map(operator.index, s))
        if any(n <= 0 for n in s):
            raise ValueError("Shape should be positive.")
    if s is not None and axes is not None and len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    orig_axes = axes
    if axes is None:
        axes = tuple(range(ndim)) if s is None else tuple(range(ndim - len(s), ndim))
    axes = tuple(axes)
    if len(axes) != len(set(axes)):
        raise ValueError(f"{full_name} does not support repeated axes. Got axes {axes}.")
    if orig_axes is not None:
        axes = tuple(range(ndim - len(axes), ndim))
        arr = jnp.moveaxis(arr, orig_axes, axes)
    if s is not None:
        in_s = list(util.shape(arr))
        for ax, n in zip(axes, s):
            in_s[ax] = n
        if fft_type == _IRFFT:
            in_s[-1] = in_s[-1] // 2 + 1
        arr = _crop_or_pad(arr, in_s)
    else:
        shape_ = util.shape(arr)
        if fft_type == _IRFFT:
            s = [shape_[ax] for ax in axes[:-1]]
            if axes:
                s.append(max(0, 2 * (shape_[axes[-1]] - 1)))
        else:
            s = [shape_[ax] for ax in axes]
    out = _fft_nd(arr, fft_type, tuple(s))
    factor = _norm_factor(func_name, norm, s)
    if factor is not None:
        out = out * np.asarray(factor, util.aval(out).dtype)
    if orig_axes is not None:
        out = jnp.moveaxis(out, axes, orig_axes)
    return out


def _fft_nd(arr, fft_type, s):
    """``lax.fft`` over the last len(s) axes, in groups of at most three."""
    if len(s) <= 3:
        return lax.fft(arr, fft_type, s)
    k = 2 if len(s) == 4 else 3
    nd = util.ndim(arr)
    src = tuple(range(nd - len(s), nd - k))
    dst = tuple(range(nd - len(s) + k, nd))
    if fft_type in (_FFT, _RFFT):
        arr = lax.fft(arr, fft_type, s[-k:])
        arr = jnp.moveaxis(_fft_nd(jnp.moveaxis(arr, src, dst), _FFT, s[:-k]), dst, src)
        return arr
    arr = jnp.moveaxis(_fft_nd(jnp.moveaxis(arr, src, dst), _IFFT, s[:-k]), dst, src)
    return lax.fft(arr, fft_type, s[-k:])


def _check_1d(func_name, axis):
    if isinstance(axis, (list, tuple)):
        full = f"jax.numpy.fft.{func_name}"
        raise ValueError(f"{full} does not support multiple axes. Please use {full}n. "
                         f"Got axis = {axis!r}.")


def _fft_1d(func_name, fft_type, a, n, axis, norm):
    _check_1d(func_name, axis)
    return _fft_core(func_name, fft_type, a, None if n is None else [n],
                     None if axis is None else [axis], norm)


def _fft_2d(func_name, fft_type, a, s, axes, norm):
    if len(axes) != 2:
        raise ValueError(f"jax.numpy.fft.{func_name} only supports 2 axes. Got axes = {axes!r}.")
    return _fft_core(func_name, fft_type, a, s, axes, norm)


def fft(a, n=None, axis=-1, norm=None):
    """One-dimensional discrete Fourier transform (numpy.fft.fft)."""
    return _fft_1d("fft", _FFT, a, n, axis, norm)


def ifft(a, n=None, axis=-1, norm=None):
    """One-dimensional inverse discrete Fourier transform."""
    return _fft_1d("ifft", _IFFT, a, n, axis, norm)


def rfft(a, n=None, axis=-1, norm=None):
    """Transform of a real input: the n//2 + 1 non-negative frequencies."""
    return _fft_1d("rfft", _RFFT, a, n, axis, norm)


def irfft(a, n=None, axis=-1, norm=None):
    """Inverse of rfft: a real result of length n (default 2 (m - 1))."""
    return _fft_1d("irfft", _IRFFT, a, n, axis, norm)


def hfft(a, n=None, axis=-1, norm=None):
    """Transform of a Hermitian-symmetric signal given by its first half."""
    _check_1d("hfft", axis)
    conj_a = jnp.conj(util.as_operand(a))
    nn = (util.shape(conj_a)[axis] - 1) * 2 if n is None else n
    return _fft_1d("hfft", _IRFFT, conj_a, n, axis, norm) * nn


def ihfft(a, n=None, axis=-1, norm=None):
    """Inverse of hfft: the conjugated half spectrum of a real signal, over n."""
    _check_1d("ihfft", axis)
    arr = jnp.asarray(a)
    nn = util.shape(arr)[axis] if n is None else n
    out = _fft_1d("ihfft", _RFFT, arr, n, axis, norm)
    return jnp.conj(out) * (1 / nn)


def fftn(a, s=None, axes=None, norm=None):
    """N-dimensional discrete Fourier transform (all axes by default)."""
    return _fft_core("fftn", _FFT, a, s, axes, norm)


def ifftn(a, s=None, axes=None, norm=None):
    return _fft_core("ifftn", _IFFT, a, s, axes, norm)


def rfftn(a, s=None, axes=None, norm=None):
    return _fft_core("rfftn", _RFFT, a, s, axes, norm)


def irfftn(a, s=None, axes=None, norm=None):
    return _fft_core("irfftn", _IRFFT, a, s, axes, norm)


def fft2(a, s=None, axes=(-2, -1), norm=None):
    return _fft_2d("fft2", _FFT, a, s, axes, norm)


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    return _fft_2d("ifft2", _IFFT, a, s, axes, norm)


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    return _fft_2d("rfft2", _RFFT, a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    return _fft_2d("irfft2", _IRFFT, a, s, axes, norm)


def _check_freq_args(name, n, d):
    if isinstance(n, (list, tuple)):
        raise ValueError(f"The n argument of jax.numpy.fft.{name} only takes an int. "
                         f"Got n = {list(n)}.")
    if isinstance(d, (list, tuple)):
        raise ValueError(f"The d argument of jax.numpy.fft.{name} only takes a single value. "
                         f"Got d = {list(d)}.")


def fftfreq(n, d=1.0, *, dtype=None, device=None):
    """Sample frequencies [0, 1, ..., n//2 - 1 (or n//2), -n//2, ..., -1] / (d n)."""
    _check_freq_args("fftfreq", n, d)
    out_dtype = util.canonical_dtype(dtype) if dtype is not None else dtypes.default_float()
    dt = dtypes.to_inexact(out_dtype)
    dt = dtypes.real_dtype(dt)
    i = jnp.arange(n, dtype=dt)
    k = (i + n // 2) % n - n // 2
    return (k / jnp.asarray(d * n, dtype=dt)).astype(out_dtype)


def rfftfreq(n, d=1.0, *, dtype=None, device=None):
    """The non-negative sample frequencies [0, 1, ..., n//2] / (d n)."""
    _check_freq_args("rfftfreq", n, d)
    dt = util.canonical_dtype(dtype) if dtype is not None else dtypes.default_float()
    k = jnp.arange(0, n // 2 + 1, dtype=dt)
    return k / jnp.asarray(d * n, dtype=dt)


def _shifts(name, x, axes, sign):
    x = util.as_operand(x)
    shape_ = util.shape(x)
    if axes is None:
        axes = tuple(range(len(shape_)))
        return x, [sign * (n // 2) for n in shape_], axes
    if isinstance(axes, int):
        return x, sign * (shape_[axes] // 2), axes
    return x, [sign * (shape_[ax] // 2) for ax in axes], axes


def fftshift(x, axes=None):
    """Move the zero frequency to the centre (numpy.fft.fftshift)."""
    x, shift, axes = _shifts("fftshift", x, axes, 1)
    return jnp.roll(x, shift, axes)


def ifftshift(x, axes=None):
    """The inverse of fftshift."""
    x, shift, axes = _shifts("ifftshift", x, axes, -1)
    return jnp.roll(x, shift, axes)
