"""jaxlite.scipy.signal: N-d convolution and correlation, fftconvolve,
detrend, and the windowed-FFT spectra stft, istft, csd and welch, as
jax.scipy.signal.

The direct method is one ``lax.conv_general_dilated`` over all axes (one
batch, one feature), the fft method products of ``rfftn``/``fftn`` spectra.
As in JAX, ``method="auto"`` is always the direct method, integer inputs
compute in floating point, and the 2-d forms take only ``boundary="fill"``
with ``fillvalue=0``. The spectra follow JAX where it departs from scipy:
``nperseg=None`` means the whole signal (scipy: 256).
"""
import warnings

import numpy as np

from jaxlite import lax
import jaxlite.numpy as jnp
from jaxlite.numpy import fft as jnp_fft
from jaxlite import numpy_util as util

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d", "csd", "detrend",
           "fftconvolve", "istft", "stft", "welch"]

_MODES = ("full", "same", "valid")


def _inexact(*xs):
    return [util.strong(x) for x in util.promote_inexact(*xs)]


def _one_fits_in_other(s1, s2):
    """0 if in2 fits in in1 along every axis, 1 if in1 fits in in2, else None."""
    if all(a >= b for a, b in zip(s1, s2)):
        return 0
    if all(a <= b for a, b in zip(s1, s2)):
        return 1
    return None


def _convolve_direct(in1, in2, mode, precision):
    """The N-d convolution of in1 and in2 as one lax convolution."""
    if mode not in _MODES:
        raise ValueError("mode must be one of ['full', 'same', 'valid']")
    if util.ndim(in1) != util.ndim(in2):
        raise ValueError("in1 and in2 must have the same number of dimensions")
    s1, s2 = util.shape(in1), util.shape(in2)
    if 0 in s1 or 0 in s2:
        raise ValueError(f"zero-size arrays not supported in convolutions, got shapes {s1} "
                         f"and {s2}.")
    in1, in2 = _inexact(in1, in2)
    order = _one_fits_in_other(s1, s2)
    if order is None:
        raise ValueError("One input must be smaller than the other in every dimension.")
    # The convolution is symmetric, so the smaller operand always acts as the kernel;
    # "same" still centres on in1's shape.
    big, small = (in1, in2) if order == 0 else (in2, in1)
    ks = util.shape(small)
    if mode == "valid":
        padding = [(0, 0) for _ in ks]
    elif mode == "full":
        padding = [(k - 1, k - 1) for k in ks]
    else:
        # Output length (big - k + 1) + pads must equal in1's length n1; the full
        # result's centred window starts at (n2 - 1) // 2 with n2 = in2's length.
        padding = [(k - 1 - (n2 - 1) // 2, k - n2 + (n2 - 1) // 2)
                   for k, n2 in zip(ks, s2)]
    kernel = jnp.flip(small)
    nd = len(ks)
    out = lax.conv_general_dilated(big[None, None], kernel[None, None], (1,) * nd, padding,
                                   precision=precision)
    return out[0, 0]


def convolve(in1, in2, mode="full", method="auto", precision=None):
    """N-d convolution of two arrays of equal rank (scipy.signal.convolve)."""
    if method == "fft":
        return fftconvolve(in1, in2, mode=mode)
    if method in ("direct", "auto"):
        return _convolve_direct(util.as_operand(in1), util.as_operand(in2), mode, precision)
    raise ValueError(f"Got method={method!r}; expected 'auto', 'fft', or 'direct'.")


def correlate(in1, in2, mode="full", method="auto", precision=None):
    """N-d cross-correlation, ``convolve(in1, flip(conj(in2)))`` (scipy.signal.correlate)."""
    in2 = util.as_operand(in2)
    return convolve(in1, jnp.flip(jnp.conj(in2)), mode, method=method, precision=precision)


def _check_2d(name, in1, in2, boundary, fillvalue):
    if boundary != "fill" or fillvalue != 0:
        # JAX's own limit: other boundaries raise the same error there.
        raise NotImplementedError(f"{name}() only supports boundary='fill', fillvalue=0")
    if np.ndim(in1) != 2 or np.ndim(in2) != 2:
        raise ValueError(f"{name}() only supports 2-dimensional inputs.")


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0, precision=None):
    """2-d convolution with zero fill outside the arrays (scipy.signal.convolve2d)."""
    in1, in2 = util.as_operand(in1), util.as_operand(in2)
    _check_2d("convolve2d", in1, in2, boundary, fillvalue)
    return _convolve_direct(in1, in2, mode, precision)


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0, precision=None):
    """2-d cross-correlation with zero fill outside the arrays (scipy.signal.correlate2d).

    scipy.signal.correlate2d is not ``correlate`` in 2-d: its "same" window is
    centred from the other end for even kernels, and when in1 is the smaller
    operand its "valid" and "full" results are those of the swapped operands,
    flipped (and conjugated). Each case below is one convolution that matches it.
    """
    in1, in2 = util.as_operand(in1), util.as_operand(in2)
    _check_2d("correlate2d", in1, in2, boundary, fillvalue)
    s1, s2 = util.shape(in1), util.shape(in2)
    in1_smaller = _one_fits_in_other(s1, s2) == 1

    def conv(a, b):
        return _convolve_direct(a, b, mode, precision)

    if mode == "valid" and in1_smaller and s1 != s2:
        return conv(jnp.flip(in2), jnp.conj(in1))
    if mode == "full" and in1_smaller:
        return jnp.conj(conv(jnp.flip(in2), jnp.conj(in1)))
    return jnp.flip(conv(jnp.flip(in1), jnp.conj(in2)))


def fftconvolve(in1, in2, mode="full", axes=None):
    """N-d convolution by FFT along ``axes`` (all by default); the other axes
    must agree in length and are mapped over (scipy.signal.fftconvolve)."""
    in1, in2 = _inexact(util.as_operand(in1), util.as_operand(in2))
    nd = util.ndim(in1)
    if nd != util.ndim(in2):
        raise ValueError("in1 and in2 should have the same dimensionality")
    if mode not in _MODES:
        raise ValueError("mode must be one of ['same', 'full', 'valid']")
    s1, s2 = util.shape(in1), util.shape(in2)
    if axes is None:
        axes = tuple(range(nd))
    else:
        axes = (axes,) if np.ndim(axes) == 0 else tuple(axes)
        axes = tuple(sorted(set(util.canonical_axis(a, nd) for a in axes)))
    mapped = [a for a in range(nd) if a not in axes]
    if any(s1[a] != s2[a] for a in mapped):
        raise ValueError(f"mapped axes must have same shape; got in1.shape={s1} "
                         f"in2.shape={s2} axes={axes}")
    # Spectra along the convolved axes only; the mapped axes just ride along.
    t1, t2 = [s1[a] for a in axes], [s2[a] for a in axes]
    full = [a + b - 1 for a, b in zip(t1, t2)]
    if mode == "valid":
        order = _one_fits_in_other(t1, t2)
        if order is None:
            raise ValueError("For 'valid' mode, One input must be at least as large as the "
                             "other in every dimension.")
        if order == 1:
            in1, in2, t1, t2 = in2, in1, t2, t1
    if all(a == 1 or b == 1 for a, b in zip(t1, t2)):
        conv = in1 * in2        # every convolved axis is a scaling: no transform needed
    elif jnp.iscomplexobj(in1):
        conv = jnp_fft.ifftn(jnp_fft.fftn(in1, full, axes) * jnp_fft.fftn(in2, full, axes),
                             full, axes)
    else:
        conv = jnp_fft.irfftn(jnp_fft.rfftn(in1, full, axes) * jnp_fft.rfftn(in2, full, axes),
                              full, axes)
    if mode == "full":
        out = full
    elif mode == "same":
        out = [s1[a] for a in axes]
    else:
        out = [a - b + 1 for a, b in zip(t1, t2)]
    index = [slice(None)] * nd
    for a, f, o in zip(axes, full, out):
        start = (f - o) // 2
        index[a] = slice(start, start + o)
    return conv[tuple(index)]


def detrend(data, axis=-1, type="linear", bp=0, overwrite_data=None):
    """``data`` minus its least-squares line (``type="linear"``, piecewise
    between the breakpoints ``bp``) or its mean (``"constant"``) along ``axis``."""
    if overwrite_data is not None:
        raise NotImplementedError("overwrite_data argument not implemented.")
    if type not in ("constant", "linear"):
        raise ValueError("Trend type must be 'linear' or 'constant'.")
    x, = _inexact(util.as_operand(data))
    if type == "constant":
        return x - jnp.mean(x, axis, keepdims=True)
    n = util.shape(x)[axis]
    bps = np.unique(np.r_[0, bp, n])      # breakpoints are static, as in JAX
    if np.any(bps > n) or np.any(bps < 0):
        raise ValueError("Breakpoints must be non-negative and less than length of data "
                         "along given axis.")
    x = jnp.moveaxis(x, axis, 0)
    shape = util.shape(x)
    x = jnp.reshape(x, (n, -1))
    pieces = []
    for lo, hi in zip(bps[:-1], bps[1:]):
        m = int(hi - lo)
        seg = x[int(lo):int(hi)]
        # Fit a + b t on t = 1..m scaled to (0, 1], closed form of the 2x2 normal
        # equations; the scaling keeps them well conditioned.
        t = jnp.arange(1, m + 1, dtype=x.dtype) / m
        tc = t - jnp.mean(t)
        ym = jnp.mean(seg, axis=0)
        denom = jnp.sum(tc * tc)
        slope = jnp.where(denom > 0, jnp.sum(tc[:, None] * seg, axis=0)
                          / jnp.where(denom > 0, denom, 1), 0)
        pieces.append(seg - ym - tc[:, None] * slope)
    x = jnp.concatenate(pieces, axis=0) if len(pieces) > 1 else pieces[0]
    return jnp.moveaxis(jnp.reshape(x, shape), 0, axis)


# ----------------------------------------------------------- windowed-FFT spectra

def _window(window, nperseg, length, dtype):
    """The window array and segment length: a named window (or scipy's
    ``(name, param)`` tuple) of length ``nperseg`` (default and cap: the signal
    length), or an explicit 1-d array whose length is the segment length."""
    if isinstance(window, (str, tuple)):
        n = length if nperseg is None else int(nperseg)
        if n > length:
            warnings.warn(f"nperseg={n} is greater than input_length={length}, using "
                          f"nperseg={length}")
            n = length
        if window == "hann":
            # The periodic Hann window, without needing scipy.
            win = np.sin(np.linspace(0, np.pi, n, endpoint=False)) ** 2 if n > 1 else [1.0]
        else:
            try:
                from scipy.signal import get_window
            except ImportError as err:
                raise ImportError(f"scipy must be available to use window={window!r}") from err
            win = get_window(window, n)
        return jnp.asarray(np.asarray(win), dtype=dtype), n
    win = jnp.asarray(window, dtype=dtype)
    if util.ndim(win) != 1:
        raise ValueError("window must be 1-D")
    size = util.shape(win)[0]
    if length < size:
        raise ValueError("window is longer than input signal")
    n = size if nperseg is None else int(nperseg)
    if n != size:
        raise ValueError("value specified for nperseg is different from length of window")
    return win, n


def _odd_extension(x, n):
    """x extended by n points at each end of its last axis, point-reflected
    through the end samples (2 x[0] - x[k] on the left)."""
    if n < 1:
        return x
    if n > util.shape(x)[-1] - 1:
        raise ValueError(f"The extension length n ({n}) is too big. It must not exceed "
                         f"x.shape[axis]-1, which is {util.shape(x)[-1] - 1}.")
    left = 2 * x[..., :1] - jnp.flip(x[..., 1:n + 1], axis=-1)
    right = 2 * x[..., -1:] - jnp.flip(x[..., -n - 1:-1], axis=-1)
    return jnp.concatenate([left, x, right], axis=-1)


def _extend(x, boundary, n):
    if boundary is None:
        return x
    if boundary == "odd":
        return _odd_extension(x, n)
    pads = [(0, 0)] * (util.ndim(x) - 1) + [(n, n)]
    mode = {"even": "reflect", "constant": "edge", "zeros": "constant"}[boundary]
    return jnp.pad(x, pads, mode)


def _segment_spectra(x, win, detrend_fn, nperseg, noverlap, nfft, twosided):
    """FFTs of the detrended, windowed segments of x's last axis: shape
    ``x.shape[:-1] + (segments, frequencies)``."""
    step = nperseg - noverlap
    starts = np.arange(0, util.shape(x)[-1] - nperseg + 1, step)
    segments = x[..., starts[:, None] + np.arange(nperseg)[None, :]]
    segments = detrend_fn(segments) * win
    if twosided:
        return jnp_fft.fft(segments, n=nfft)
    return jnp_fft.rfft(jnp.real(segments), n=nfft)


def _spectral(x, y, fs, window, nperseg, noverlap, nfft, detrend_type, return_onesided,
              scaling, axis, mode, boundary=None, padded=False):
    """Frequencies, segment times and the per-segment spectrum: the STFT
    (``mode="stft"``) or the (cross) periodograms (``"psd"``), frequency axis
    at ``axis`` and segments last."""
    if boundary not in ("even", "odd", "constant", "zeros", None):
        raise ValueError(f"Unknown boundary option '{boundary}', must be one of: "
                         f"['even', 'odd', 'constant', 'zeros', None]")
    if y is None:
        x, = _inexact(util.as_operand(x))
    else:
        x, y = _inexact(util.as_operand(x), util.as_operand(y))
        if util.ndim(x) != util.ndim(y):
            raise ValueError(f"two-arguments must have the same rank ({util.ndim(x)} vs "
                             f"{util.ndim(y)}).")
    axis = util.canonical_axis(util.operator_index(axis, "axis"), util.ndim(x))
    result_dtype = np.result_type(x.dtype, np.complex64)
    freq_dtype = np.finfo(result_dtype).dtype
    if nperseg is not None and int(nperseg) < 1:
        raise ValueError("nperseg must be a positive integer")
    win, nperseg = _window(window, nperseg, util.shape(x)[axis], x.dtype)
    noverlap = nperseg // 2 if noverlap is None else int(noverlap)
    nfft = nperseg if nfft is None else int(nfft)
    if 0 in util.shape(x) or (y is not None and 0 in util.shape(y)):
        shape = util.shape(x) if y is None else util.shape(x * y)
        return (jnp.zeros(shape, freq_dtype), jnp.zeros(shape, freq_dtype),
                jnp.zeros(shape, result_dtype))
    x = jnp.moveaxis(x, axis, -1)
    if y is not None:
        y = jnp.moveaxis(y, axis, -1)
        # Zero-pad the shorter signal to the longer one's length.
        nx, ny = util.shape(x)[-1], util.shape(y)[-1]
        x = _pad_end(x, max(nx, ny) - nx)
        y = _pad_end(y, max(nx, ny) - ny)
    if nfft < nperseg:
        raise ValueError("nfft must be greater than or equal to nperseg.")
    if noverlap >= nperseg:
        raise ValueError("noverlap must be less than nperseg.")
    step = nperseg - noverlap
    x = _extend(x, boundary, nperseg // 2)
    y = None if y is None else _extend(y, boundary, nperseg // 2)
    if padded:
        # Zeros up to a whole number of segments.
        extra = (-(util.shape(x)[-1] - nperseg) % step) % nperseg
        x = _pad_end(x, extra)
        y = None if y is None else _pad_end(y, extra)
    if isinstance(detrend_type, str):
        detrend_fn = lambda d: detrend(d, axis=-1, type=detrend_type)  # noqa: E731
    elif callable(detrend_type):
        detrend_fn = detrend_type
    elif not detrend_type:
        detrend_fn = lambda d: d  # noqa: E731
    else:
        raise ValueError(f"Unsupported detrend type: {detrend_type}")
    if scaling == "density":
        scale = 1.0 / (fs * jnp.sum(win * win))
    elif scaling == "spectrum":
        scale = 1.0 / jnp.sum(win) ** 2
    else:
        raise ValueError(f"Unknown scaling: {scaling}")
    if mode == "stft":
        scale = jnp.sqrt(scale)
    twosided = not return_onesided
    if return_onesided and (jnp.iscomplexobj(x) or (y is not None and jnp.iscomplexobj(y))):
        warnings.warn("Input data is complex, switching to return_onesided=False")
        twosided = True
    freqs = (jnp_fft.fftfreq(nfft, 1 / fs, dtype=freq_dtype) if twosided
             else jnp_fft.rfftfreq(nfft, 1 / fs, dtype=freq_dtype))
    spec = _segment_spectra(x, win, detrend_fn, nperseg, noverlap, nfft, twosided)
    if y is not None:
        spec = jnp.conj(spec) * _segment_spectra(y, win, detrend_fn, nperseg, noverlap,
                                                 nfft, twosided)
    elif mode == "psd":
        spec = jnp.conj(spec) * spec
    spec = spec * scale
    if not twosided and mode == "psd":
        # One-sided power: fold the negative frequencies onto the positive ones
        # (neither DC nor, for even nfft, the Nyquist bin has a partner).
        end = None if nfft % 2 else -1
        spec = spec.at[..., 1:end].multiply(2)
    times = jnp.arange(nperseg / 2, util.shape(x)[-1] - nperseg / 2 + 1, step,
                       dtype=freq_dtype) / fs
    if boundary is not None:
        times = times - (nperseg / 2) / fs
    spec = spec.astype(result_dtype)
    if y is None and mode != "stft":
        spec = jnp.real(spec)       # |X|^2: the imaginary parts are zero
    return freqs, times, jnp.moveaxis(spec, -1, axis)


def _pad_end(x, n):
    if n == 0:
        return x
    return jnp.pad(x, [(0, 0)] * (util.ndim(x) - 1) + [(0, n)])


def stft(x, fs=1.0, window="hann", nperseg=256, noverlap=None, nfft=None, detrend=False,
         return_onesided=True, boundary="zeros", padded=True, axis=-1):
    """The short-time Fourier transform of x along ``axis``: ``(f, t, Zxx)``
    with frequencies, segment centre times and the spectrum of each segment
    (scipy.signal.stft)."""
    return _spectral(x, None, fs, window, nperseg, noverlap, nfft, detrend, return_onesided,
                     "spectrum", axis, "stft", boundary, padded)


def _median_bias(n):
    """How much the median of n periodograms underestimates their mean."""
    i = np.arange(2.0, n, 2)
    return 1 + np.sum(1.0 / (i + 1) - 1.0 / i)


def csd(x, y, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None,
        detrend="constant", return_onesided=True, scaling="density", axis=-1,
        average="mean"):
    """The cross power spectral density of x and y by Welch's method: ``(f, Pxy)``
    (scipy.signal.csd; ``y=None`` means ``y = x``, real-valued)."""
    freqs, _, pxy = _spectral(x, y, fs, window, nperseg, noverlap, nfft, detrend,
                              return_onesided, scaling, axis, "psd")
    if y is not None:
        pxy = pxy + 0j        # a cross spectrum is complex even for real inputs
    shape = util.shape(pxy)
    if len(shape) >= 2 and 0 not in shape:
        if shape[-1] > 1:
            if average == "median":
                bias = _median_bias(shape[-1])
                if jnp.iscomplexobj(pxy):
                    pxy = (jnp.median(jnp.real(pxy), axis=-1)
                           + 1j * jnp.median(jnp.imag(pxy), axis=-1))
                else:
                    pxy = jnp.median(pxy, axis=-1)
                pxy = pxy / jnp.asarray(bias, pxy.dtype)
            elif average == "mean":
                pxy = jnp.mean(pxy, axis=-1)
            else:
                raise ValueError(f'average must be "median" or "mean", got {average}')
        else:
            pxy = jnp.reshape(pxy, shape[:-1])
    return freqs, pxy


def welch(x, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None,
          detrend="constant", return_onesided=True, scaling="density", axis=-1,
          average="mean"):
    """The power spectral density of x by Welch's method, the mean (or median)
    of the windowed segments' periodograms: ``(f, Pxx)`` (scipy.signal.welch)."""
    freqs, pxx = csd(x, None, fs, window, nperseg, noverlap, nfft, detrend,
                     return_onesided, scaling, axis, average)
    return freqs, jnp.real(pxx)


def _overlap_add(frames, step):
    """Frames ``(..., n, length)`` summed into one signal, frame j starting at
    ``j * step`` (one scatter-add: overlapping positions accumulate)."""
    n, length = util.shape(frames)[-2:]
    out = jnp.zeros(util.shape(frames)[:-2] + (step * (n - 1) + length,), frames.dtype)
    positions = np.arange(n)[:, None] * step + np.arange(length)[None, :]
    return out.at[..., positions].add(frames)


def istft(Zxx, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None,
          input_onesided=True, boundary=True, time_axis=-1, freq_axis=-2):
    """The inverse short-time Fourier transform: ``(t, x)``, the signal whose
    ``stft`` (same window and segments) is ``Zxx``, by windowed overlap-add
    (scipy.signal.istft)."""
    z = util.as_operand(Zxx)
    nd = util.ndim(z)
    if nd < 2:
        raise ValueError("Input stft must be at least 2d!")
    freq_axis, time_axis = util.canonical_axis(freq_axis, nd), util.canonical_axis(time_axis, nd)
    if freq_axis == time_axis:
        raise ValueError("Must specify differing time and frequency axes!")
    z = z.astype(np.result_type(z.dtype, np.complex64))
    nfreq = util.shape(z)[freq_axis]
    n_default = 2 * (nfreq - 1) if input_onesided else nfreq
    nperseg = n_default if nperseg is None else int(nperseg)
    if nperseg < 1:
        raise ValueError("nperseg must be a positive integer")
    if nfft is None:
        # An odd segment length has no padding: its one-sided spectrum has
        # (nperseg + 1) / 2 bins, which the default reads as nperseg - 1.
        nfft = n_default + 1 if input_onesided and nperseg == n_default + 1 else n_default
    nfft = int(nfft)
    if nfft < nperseg:
        raise ValueError(f"FFT length ({nfft}) must be longer than nperseg ({nperseg}).")
    noverlap = nperseg // 2 if noverlap is None else int(noverlap)
    if noverlap >= nperseg:
        raise ValueError("noverlap must be less than nperseg.")
    others = tuple(a for a in range(nd) if a not in (freq_axis, time_axis))
    z = jnp.transpose(z, others + (freq_axis, time_axis))
    inverse = jnp_fft.irfft if input_onesided else jnp_fft.ifft
    frames = inverse(z, n=nfft, axis=-2)[..., :nperseg, :]          # (..., nperseg, n)
    frames = jnp.swapaxes(frames, -1, -2)                               # (..., n, nperseg)
    if isinstance(window, (str, tuple)):
        win, _ = _window(window, nperseg, nperseg, frames.dtype)
    else:
        win = util.as_operand(window)
        if util.ndim(win) != 1:
            raise ValueError("window must be 1-D")
        if util.shape(win)[0] != nperseg:
            raise ValueError(f"window must have length of {nperseg}")
    # stft scaled each segment by 1/sum(win); weighting by the window again and
    # dividing by the overlapped sum of win**2 is the least-squares inverse.
    x = _overlap_add(frames * jnp.sum(win) * win, nperseg - noverlap)
    count = util.shape(frames)[-2]
    norm = _overlap_add(jnp.broadcast_to(win * win, (count, nperseg)), nperseg - noverlap)
    if boundary:
        half = nperseg // 2
        x, norm = x[..., half:util.shape(x)[-1] - half], norm[half:util.shape(norm)[-1] - half]
    x = x / jnp.where(norm > 1e-10, norm, 1.0)
    if util.ndim(x) > 1 and time_axis != nd - 1:
        x = jnp.moveaxis(x, -1, time_axis - 1 if freq_axis < time_axis else time_axis)
    # As scipy and JAX: the times count the first axis of x.
    times = jnp.arange(util.shape(x)[0], dtype=np.finfo(x.dtype).dtype) / fs
    return times, x
