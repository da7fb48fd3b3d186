"""jaxlite.scipy.fft: discrete cosine transforms (dct, idct, dctn, idctn), as
jax.scipy.fft.

A length-N DCT-II is one complex FFT of the reordered input
``[x0, x2, x4, ..., x5, x3, x1]`` twisted by ``exp(-i pi k / 2N)``; its
inverse (a scaled DCT-III) is the same steps backwards. Types 2 and 3 are
supported (JAX has type 2 only), with ``norm`` None/"backward" or "ortho" as
in JAX; the n-d forms apply the 1-d transform along each axis in turn.
Complex inputs transform their real and imaginary parts separately.
"""
import operator

import numpy as np

from jaxlite import lax
import jaxlite.numpy as jnp
from jaxlite.numpy import fft as jnp_fft
from jaxlite import numpy_util as util

__all__ = ["dct", "dctn", "idct", "idctn"]


def _check(name, type, norm):
    if type not in (2, 3):
        raise NotImplementedError(f"jax.scipy.fft.{name}: only DCT types 2 and 3 are "
                                  f"implemented, got type={type}")
    if norm is not None and norm not in ("backward", "ortho"):
        raise ValueError(f"jax.scipy.fft.{name}: norm={norm!r} is not implemented")


def _resize(x, n, axis):
    """x zero-padded or cropped to length n along axis (None: unchanged)."""
    if n is None:
        return x
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"invalid number of data points ({n}) specified")
    have = util.shape(x)[axis]
    if n <= have:
        return lax.slice_in_dim(x, 0, n, axis=axis)
    pads = [(0, 0)] * util.ndim(x)
    pads[axis] = (0, n - have)
    return jnp.pad(x, pads)


def _along(v, axis, ndim):
    """A 1-d vector shaped to broadcast along ``axis`` of an ndim array."""
    shape = [1] * ndim
    shape[axis] = -1
    return jnp.reshape(v, shape)


def _ortho_scale(n, dtype, axis, ndim):
    """Per-coefficient factor turning the unnormalized DCT-II into the orthonormal one."""
    s = np.full(n, 1 / np.sqrt(2 * n))
    s[0] = 1 / np.sqrt(4 * n)
    return _along(jnp.asarray(s, dtype=dtype), axis, ndim)


def _dct2(x, axis, ortho):
    """Unnormalized (or orthonormal) DCT-II of real x along axis."""
    nd, n = util.ndim(x), util.shape(x)[axis]
    evens = lax.slice_in_dim(x, 0, None, 2, axis)
    odds = lax.rev(lax.slice_in_dim(x, 1, None, 2, axis), (axis,))
    spectrum = jnp_fft.fft(jnp.concatenate([evens, odds], axis=axis), axis=axis)
    k = np.arange(n)
    twist = _along(jnp.asarray(np.exp(-0.5j * np.pi * k / n), dtype=spectrum.dtype), axis, nd)
    out = 2 * jnp.real(spectrum * twist)
    return out * _ortho_scale(n, out.dtype, axis, nd) if ortho else out


def _idct2(y, axis, ortho):
    """Inverse of ``_dct2`` (the DCT-III divided by 2N) of real y along axis."""
    nd, n = util.ndim(y), util.shape(y)[axis]
    if ortho:
        y = y / _ortho_scale(n, y.dtype, axis, nd)
    # x_m = (y_0 / 2 + sum_k y_k cos(pi k (2m + 1) / 2N)) / N: the real part of an
    # inverse FFT of the twisted y, read back in the interleaved order.
    half = np.ones(n)
    half[0] = 0.5
    k = np.arange(n)
    twist = np.exp(0.5j * np.pi * k / n) * half
    cdtype = np.result_type(y.dtype, np.complex64)
    v = jnp.real(jnp_fft.ifft(y * _along(jnp.asarray(twist, dtype=cdtype), axis, nd),
                              axis=axis))
    # v holds x0, x2, x4, ... then x..., x3, x1: put them back in place.
    m = np.arange(n)
    where_in_v = np.where(m % 2 == 0, m // 2, n - 1 - m // 2)
    return jnp.take(v, jnp.asarray(where_in_v), axis=axis)


def _transform(name, x, type, n, axis, norm, inverse):
    _check(name, type, norm)
    x, = util.promote_inexact(util.as_operand(x))
    x = util.strong(x)
    if jnp.iscomplexobj(x):
        re = _transform(name, jnp.real(x), type, n, axis, norm, inverse)
        im = _transform(name, jnp.imag(x), type, n, axis, norm, inverse)
        return lax.complex(re, im)
    axis = util.canonical_axis(axis, util.ndim(x))
    x = _resize(x, n, axis)
    length = util.shape(x)[axis]
    ortho = norm == "ortho"
    # DCT-III is the inverse DCT-II times 2N (orthonormal: exactly the inverse).
    if (type == 2) != inverse:
        out = _dct2(x, axis, ortho)
        return out if type == 2 or ortho else out / (2 * length)
    out = _idct2(x, axis, ortho)
    return out if type == 2 or ortho else out * (2 * length)


def dct(x, type=2, n=None, axis=-1, norm=None):
    """The discrete cosine transform of x along ``axis`` (scipy.fft.dct)."""
    return _transform("dct", x, type, n, axis, norm, False)


def idct(x, type=2, n=None, axis=-1, norm=None):
    """The inverse discrete cosine transform of x along ``axis`` (scipy.fft.idct)."""
    return _transform("idct", x, type, n, axis, norm, True)


def _axes_and_sizes(name, x, s, axes):
    nd = util.ndim(x)
    if s is not None:
        s = [operator.index(s)] if np.ndim(s) == 0 else [operator.index(v) for v in s]
        if len(s) > nd:
            raise ValueError(f"s must have at most x.ndim ({nd}) elements, got {len(s)}")
    if axes is None:
        axes = tuple(range(nd - len(s), nd)) if s is not None else tuple(range(nd))
    else:
        axes = (axes,) if np.ndim(axes) == 0 else tuple(axes)
        axes = tuple(util.canonical_axis(a, nd) for a in axes)
    if s is not None and len(s) != len(axes):
        raise ValueError(f"{name}: when given, axes and shape arguments have to be of the "
                         f"same length")
    return axes, (s if s is not None else [None] * len(axes))


def dctn(x, type=2, s=None, axes=None, norm=None):
    """The n-d discrete cosine transform over ``axes`` (all by default) (scipy.fft.dctn)."""
    _check("dctn", type, norm)
    x = util.as_operand(x)
    axes, sizes = _axes_and_sizes("dctn", x, s, axes)
    for axis, n in zip(axes, sizes):
        x = dct(x, type, n, axis, norm)
    return x


def idctn(x, type=2, s=None, axes=None, norm=None):
    """The n-d inverse discrete cosine transform over ``axes`` (scipy.fft.idctn)."""
    _check("idctn", type, norm)
    x = util.as_operand(x)
    axes, sizes = _axes_and_sizes("idctn", x, s, axes)
    for axis, n in zip(axes, sizes):
        x = idct(x, type, n, axis, norm)
    return x
