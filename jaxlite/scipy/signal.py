"""jaxlite.scipy.signal: N-d convolution and correlation, fftconvolve and
detrend, as jax.scipy.signal.

The direct method is one ``lax.conv_general_dilated`` over all axes (one
batch, one feature), the fft method products of ``rfftn``/``fftn`` spectra.
As in JAX, ``method="auto"`` is always the direct method, integer inputs
compute in floating point, and the 2-d forms take only ``boundary="fill"``
with ``fillvalue=0``.
"""
import numpy as np

from jaxlite import lax
import jaxlite.numpy as jnp
from jaxlite.numpy import fft as jnp_fft
from jaxlite import numpy_util as util

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d", "detrend", "fftconvolve"]

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
