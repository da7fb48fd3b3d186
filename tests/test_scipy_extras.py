"""jaxlite.scipy.signal, fft, integrate, ndimage, interpolate and cluster against scipy
(float32 and float64), derivatives against float64 central differences, jit
against eager, vmap against a loop; JAX's errors; lazy submodule loading."""
import subprocess
import sys

import numpy as np
import pytest
import scipy.fft as sfft
import scipy.integrate as sint
import scipy.interpolate as sinterp
import scipy.ndimage as sndi
import scipy.signal as ssig

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.scipy import fft as jfft
from jaxlite.scipy import integrate as jint
from jaxlite.scipy import interpolate as jinterp
from jaxlite.scipy import ndimage as jndi
from jaxlite.scipy import signal as jsig

from helpers import check_grads, check_jit, check_vmap

MODES = ("full", "same", "valid")
TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}
SHAPE_PAIRS = [((9,), (4,)), ((4,), (9,)), ((5,), (5,)), ((6, 5), (3, 2)), ((3, 2), (6, 5)),
               ((5, 4, 3), (2, 3, 2))]


def _pair(rng, s1, s2, dtype):
    return rng.normal(size=s1).astype(dtype), rng.normal(size=s2).astype(dtype)


def _close(got, want, dtype):
    got = np.asarray(got)
    assert got.dtype == dtype, (got.dtype, dtype)
    assert got.shape == np.shape(want), (got.shape, np.shape(want))
    np.testing.assert_allclose(got, want, **TOL[dtype])


# ----------------------------------------------------------------- signal

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("s1,s2", SHAPE_PAIRS)
def test_convolve_correlate_vs_scipy(s1, s2, dtype):
    rng = np.random.default_rng(0)
    a, b = _pair(rng, s1, s2, dtype)
    for mode in MODES:
        for method in ("auto", "direct", "fft"):
            _close(jsig.convolve(a, b, mode, method), ssig.convolve(a, b, mode, "direct"), dtype)
            _close(jsig.correlate(a, b, mode, method), ssig.correlate(a, b, mode, "direct"),
                   dtype)
        _close(jsig.fftconvolve(a, b, mode), ssig.fftconvolve(a, b, mode), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("s1,s2", [((6, 5), (3, 2)), ((3, 2), (6, 5)), ((4, 4), (4, 4)),
                                   ((5, 3), (2, 3)), ((1, 7), (1, 2))])
def test_convolve2d_correlate2d_vs_scipy(s1, s2, dtype):
    rng = np.random.default_rng(1)
    a, b = _pair(rng, s1, s2, dtype)
    for mode in MODES:
        _close(jsig.convolve2d(a, b, mode), ssig.convolve2d(a, b, mode), dtype)
        # scipy's correlate2d windows differ from correlate's for even kernels and
        # swapped operands: both are matched.
        _close(jsig.correlate2d(a, b, mode), ssig.correlate2d(a, b, mode), dtype)


def test_complex_correlation_conjugates_second_operand():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(3, 7)) + 1j * rng.normal(size=(3, 7))
    b = rng.normal(size=(2, 3)) + 1j * rng.normal(size=(2, 3))
    for mode in MODES:
        np.testing.assert_allclose(jsig.correlate(a, b, mode), ssig.correlate(a, b, mode),
                                   rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(jsig.correlate(a, b, mode, method="fft"),
                                   ssig.correlate(a, b, mode), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(jsig.correlate2d(b, a, mode), ssig.correlate2d(b, a, mode),
                                   rtol=1e-10, atol=1e-12)


def test_integer_inputs_convolve_in_float32():
    got = jsig.convolve(jnp.array([1, 2, 3, 2, 1]), jnp.array([1, 1, 1]))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, [1, 3, 6, 7, 6, 3, 1])
    got = jsig.correlate(jnp.array([1, 2, 3, 2, 1]), jnp.array([1, 3, 2]), "same")
    np.testing.assert_array_equal(got, [7, 13, 15, 11, 5])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fftconvolve_axes_vs_scipy(dtype):
    rng = np.random.default_rng(3)
    a, b = _pair(rng, (4, 11, 3), (4, 5, 3), dtype)
    for mode in MODES:
        for axes in (1, [1], (-2,), (0, 1)):
            if axes == (0, 1):
                bb = b[:2]          # axis 0 convolved too: lengths may differ
                want = ssig.fftconvolve(a, bb, mode, axes=axes)
                got = jsig.fftconvolve(a, bb, mode, axes=axes)
            else:
                want = ssig.fftconvolve(a, b, mode, axes=axes)
                got = jsig.fftconvolve(a, b, mode, axes=axes)
            _close(got, want, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_detrend_vs_scipy(dtype):
    rng = np.random.default_rng(4)
    x = (rng.normal(size=(3, 40)) + 0.5 * np.arange(40)).astype(dtype)
    for axis in (-1, 0, 1):
        for kind in ("linear", "constant"):
            _close(jsig.detrend(x, axis, kind), ssig.detrend(x, axis, kind), dtype)
    for bp in (10, [7, 25], np.array([5, 20, 33])):
        _close(jsig.detrend(x, bp=bp), ssig.detrend(x, bp=bp), dtype)
    # A line is removed exactly; its mean is what "constant" removes.
    line = 3.0 - 0.25 * np.arange(12.0)
    np.testing.assert_allclose(jsig.detrend(line), 0, atol=1e-12)
    np.testing.assert_allclose(line - jsig.detrend(line, type="constant"), line.mean())


def test_signal_errors_as_jax():
    a, b = jnp.ones((4, 4)), jnp.ones((2, 5))
    with pytest.raises(ValueError, match="smaller than the other"):
        jsig.convolve(a, b)
    with pytest.raises(ValueError, match="mode must be one of"):
        jsig.convolve(jnp.ones(3), jnp.ones(2), mode="middle")
    with pytest.raises(ValueError, match="method"):
        jsig.convolve(jnp.ones(3), jnp.ones(2), method="winograd")
    with pytest.raises(ValueError, match="same number of dimensions"):
        jsig.convolve(jnp.ones(3), jnp.ones((2, 2)))
    with pytest.raises(NotImplementedError, match="boundary='fill'"):
        jsig.convolve2d(a, a, boundary="wrap")
    with pytest.raises(NotImplementedError, match="boundary='fill'"):
        jsig.correlate2d(a, a, fillvalue=1.0)
    with pytest.raises(ValueError, match="2-dimensional"):
        jsig.convolve2d(jnp.ones(3), jnp.ones(2))
    with pytest.raises(ValueError, match="Trend type"):
        jsig.detrend(jnp.ones(5), type="quadratic")
    with pytest.raises(ValueError, match="mapped axes"):
        jsig.fftconvolve(jnp.ones((3, 4)), jnp.ones((2, 4)), axes=1)


def test_signal_grad_jit_vmap():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=9), rng.normal(size=4)
    for mode in MODES:
        for method in ("direct", "fft"):
            check_grads(lambda x, y: jsig.convolve(x, y, mode, method), (a, b), order=1)
        check_jit(lambda x, y: jsig.correlate(x, y, mode), (a, b), rtol=1e-12, atol=1e-12)
    a2, b2 = rng.normal(size=(5, 6)), rng.normal(size=(2, 3))
    check_grads(lambda x, y: jsig.correlate2d(x, y, "same"), (a2, b2), order=1)
    check_grads(lambda x: jsig.detrend(x, bp=4), (a,), order=1)
    check_jit(lambda x, y: jsig.convolve2d(x, y, "valid"), (a2, b2), rtol=1e-12, atol=1e-12)
    check_jit(lambda x, y: jsig.fftconvolve(x, y, "same"), (a2, b2), rtol=1e-12, atol=1e-12)
    check_jit(lambda x: jsig.detrend(x, 0), (a2,), rtol=1e-12, atol=1e-12)
    batch = rng.normal(size=(3, 9))
    check_vmap(lambda x: jsig.convolve(x, jnp.asarray(b), "same"), (batch,))
    check_vmap(lambda x, y: jsig.fftconvolve(x, y), (batch, rng.normal(size=(3, 4))))
    check_vmap(lambda x: jsig.detrend(x), (batch,))
    # grad of a scalar loss: the derivative of sum(conv(x, k)) is sum(k) per entry.
    g = jaxlite.grad(lambda x: jnp.sum(jsig.convolve(x, jnp.asarray(b))))(a)
    np.testing.assert_allclose(g, np.full(9, b.sum()), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_welch_csd_stft_vs_scipy(dtype):
    rng = np.random.default_rng(15)
    x = rng.normal(size=(2, 300)).astype(dtype)
    y = rng.normal(size=(2, 300)).astype(dtype)
    tol = dict(rtol=2e-4, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-13)
    for kw in (dict(nperseg=64), dict(fs=10.0, nperseg=50, noverlap=10, nfft=70),
               dict(nperseg=40, detrend="linear", scaling="spectrum"),
               dict(nperseg=64, average="median"), dict(window="hamming", nperseg=33),
               dict(window=np.hanning(32), return_onesided=False)):
        for got, want in zip(jsig.welch(x, **kw), ssig.welch(x, **kw)):
            assert np.asarray(got).dtype == dtype       # as JAX (scipy's f is float64)
            np.testing.assert_allclose(got, want, **tol)
        for got, want in zip(jsig.csd(x, y, **kw), ssig.csd(x, y, **kw)):
            np.testing.assert_allclose(got, want, **tol)
    for boundary in ("zeros", "even", "odd", "constant", None):
        for padded in (True, False):
            kw = dict(nperseg=40, boundary=boundary, padded=padded)
            for got, want in zip(jsig.stft(x, **kw), ssig.stft(x, **kw)):
                np.testing.assert_allclose(got, want, **tol)
    kw = dict(fs=3.0, nperseg=16, noverlap=12, nfft=20, detrend="constant", axis=0)
    for got, want in zip(jsig.stft(x.T, **kw), ssig.stft(x.T, **kw)):
        np.testing.assert_allclose(got, want, **tol)
    # Parseval for a one-segment periodogram with a flat window: the density
    # integrates to the mean square.
    f, p = jsig.welch(x[0], window="boxcar", nperseg=300, detrend=False)
    np.testing.assert_allclose(jnp.sum(p) * (f[1] - f[0]), np.mean(x[0].astype(np.float64) ** 2),
                               rtol=2e-2)


def test_spectra_follow_jax_defaults_and_errors():
    x = np.random.default_rng(16).normal(size=100)
    # JAX's nperseg=None is the whole signal (scipy's would be 256, capped).
    f, p = jsig.welch(x)
    assert np.shape(f) == (51,) and np.shape(p) == (51,)
    with pytest.raises(ValueError, match="noverlap"):
        jsig.welch(x, nperseg=10, noverlap=10)
    with pytest.raises(ValueError, match="nfft"):
        jsig.welch(x, nperseg=10, nfft=5)
    with pytest.raises(ValueError, match="boundary"):
        jsig.stft(x, boundary="wrap")
    with pytest.raises(ValueError, match="average"):
        jsig.welch(x, nperseg=10, average="max")
    with pytest.warns(UserWarning, match="complex"):
        f, t, z = jsig.stft(x + 1j * x, nperseg=20)
    assert np.shape(z)[0] == 20


def test_spectra_grad_jit_vmap():
    rng = np.random.default_rng(17)
    x = rng.normal(size=64)
    check_jit(lambda v: jsig.welch(v, nperseg=16)[1], (x,), rtol=1e-10, atol=1e-12)
    check_jit(lambda v: (jnp.real(jsig.stft(v, nperseg=16)[2]),
                         jnp.imag(jsig.stft(v, nperseg=16)[2])), (x,), rtol=1e-10, atol=1e-12)
    check_vmap(lambda v: jsig.welch(v, nperseg=16)[1], (rng.normal(size=(3, 64)),))
    check_grads(lambda v: jsig.welch(v, nperseg=16, detrend="linear")[1], (x,), order=1)
    check_grads(lambda v, w: jnp.real(jsig.csd(v, w, nperseg=16)[1]), (x, x[::-1].copy()),
                order=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_istft_vs_scipy_and_roundtrip(dtype):
    rng = np.random.default_rng(18)
    x = rng.normal(size=(2, 200)).astype(dtype)
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-12)
    for kw in (dict(nperseg=40), dict(nperseg=32, noverlap=24, nfft=40),
               dict(nperseg=33), dict(window="hamming", nperseg=32)):
        z = ssig.stft(x, **kw)[2]
        for got, want in zip(jsig.istft(z, **kw), ssig.istft(z, **kw)):
            np.testing.assert_allclose(got, want, **tol)
        # stft then istft gives the signal back (padded to whole segments).
        back = jsig.istft(jsig.stft(x, **kw)[2], **kw)[1]
        np.testing.assert_allclose(np.asarray(back)[..., :200], x, **tol)
    z = ssig.stft(x, nperseg=32, return_onesided=False)[2]
    for got, want in zip(jsig.istft(z, input_onesided=False),
                         ssig.istft(z, input_onesided=False)):
        np.testing.assert_allclose(got, want, **tol)
    z = ssig.stft(x, nperseg=16)[2]
    zt = np.moveaxis(z, -2, 0)
    for got, want in zip(jsig.istft(zt, freq_axis=0, time_axis=-1),
                         ssig.istft(zt, freq_axis=0, time_axis=-1)):
        np.testing.assert_allclose(got, want, **tol)
    with pytest.raises(ValueError, match="differing"):
        jsig.istft(z, freq_axis=1, time_axis=1)
    with pytest.raises(ValueError, match="at least 2d"):
        jsig.istft(jnp.ones(4))


def test_istft_grad_jit():
    x = np.random.default_rng(19).normal(size=64)
    check_jit(lambda v: jsig.istft(jsig.stft(v, nperseg=16)[2])[1], (x,), rtol=1e-10,
              atol=1e-12)
    check_grads(lambda v: jsig.istft(jsig.stft(v, nperseg=16)[2] * 0.5)[1], (x,), order=1)


# ----------------------------------------------------------------- fft (DCT)

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(8,), (7,), (1,), (4, 6), (3, 5, 4)])
def test_dct_idct_vs_scipy(shape, dtype):
    x = np.random.default_rng(6).normal(size=shape).astype(dtype)
    for kind in (2, 3):
        for norm in (None, "backward", "ortho"):
            for axis in (-1, 0):
                for n in (None, 3, 10):
                    _close(jfft.dct(x, kind, n, axis, norm), sfft.dct(x, kind, n, axis, norm),
                           dtype)
                    _close(jfft.idct(x, kind, n, axis, norm),
                           sfft.idct(x, kind, n, axis, norm), dtype)
            _close(jfft.dctn(x, kind, norm=norm), sfft.dctn(x, kind, norm=norm), dtype)
            _close(jfft.idctn(x, kind, norm=norm), sfft.idctn(x, kind, norm=norm), dtype)
            if len(shape) > 1:
                kw = dict(s=(3, 7), axes=(0, -1), norm=norm)
                _close(jfft.dctn(x, kind, **kw), sfft.dctn(x, kind, **kw), dtype)
                _close(jfft.idctn(x, kind, **kw), sfft.idctn(x, kind, **kw), dtype)
                _close(jfft.dctn(x, kind, s=(4,)), sfft.dctn(x, kind, s=(4,)), dtype)


def test_dct_roundtrip_complex_int_and_errors():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(5, 6))
    np.testing.assert_allclose(jfft.idctn(jfft.dctn(x, norm="ortho"), norm="ortho"), x,
                               atol=1e-12)
    np.testing.assert_allclose(jfft.idct(jfft.dct(x, 3), 3), x, atol=1e-12)
    z = rng.normal(size=6) + 1j * rng.normal(size=6)
    np.testing.assert_allclose(jfft.dct(z), sfft.dct(z), atol=1e-12)
    np.testing.assert_allclose(jfft.idct(z, norm="ortho"), sfft.idct(z, norm="ortho"),
                               atol=1e-12)
    got = jfft.dct(jnp.arange(4))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, sfft.dct(np.arange(4.0)), rtol=1e-6, atol=1e-5)
    with pytest.raises(NotImplementedError):
        jfft.dct(x, type=1)
    with pytest.raises(ValueError, match="norm"):
        jfft.dct(x, norm="forward")


def test_dct_grad_jit_vmap():
    rng = np.random.default_rng(8)
    x = rng.normal(size=7)
    for kind in (2, 3):
        for norm in (None, "ortho"):
            check_grads(lambda v: jfft.dct(v, kind, norm=norm), (x,), order=1)
            check_grads(lambda v: jfft.idct(v, kind, norm=norm), (x,), order=1)
    x2 = rng.normal(size=(4, 5))
    check_jit(lambda v: jfft.dctn(v, norm="ortho"), (x2,), rtol=1e-12, atol=1e-12)
    check_jit(lambda v: jfft.idct(v, n=8), (x2,), rtol=1e-12, atol=1e-12)
    check_vmap(lambda v: jfft.dct(v), (x2,))
    check_vmap(lambda v: jfft.idctn(v, norm="ortho"), (rng.normal(size=(2, 3, 4)),))


# ----------------------------------------------------------------- integrate

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_trapezoid_vs_scipy(dtype):
    rng = np.random.default_rng(9)
    y = rng.normal(size=(3, 8)).astype(dtype)
    x = np.sort(rng.uniform(0, 5, size=8)).astype(dtype)
    _close(jint.trapezoid(y), sint.trapezoid(y), dtype)
    _close(jint.trapezoid(y, dx=0.3), sint.trapezoid(y, dx=0.3), dtype)
    _close(jint.trapezoid(y, x), sint.trapezoid(y, x), dtype)
    _close(jint.trapezoid(y, axis=0), sint.trapezoid(y, axis=0), dtype)
    # Exact for a line: the integral of 2t + 1 over [0, 3] is 12.
    t = np.linspace(0.0, 3.0, 7)
    np.testing.assert_allclose(jint.trapezoid(2 * t + 1, t), 12.0, rtol=1e-12)


def test_trapezoid_grad_jit_vmap():
    rng = np.random.default_rng(10)
    y, x = rng.normal(size=6), np.sort(rng.normal(size=6))
    check_grads(lambda a, b: jint.trapezoid(a, b), (y, x), order=2)
    check_jit(lambda a, b: jint.trapezoid(a, b), (y, x), rtol=1e-12, atol=1e-12)
    check_vmap(lambda a: jint.trapezoid(a, dx=0.5), (rng.normal(size=(3, 6)),))


# ----------------------------------------------------------------- ndimage

NDI_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
# JAX's "constant" and "wrap" are scipy's "grid-constant" and "grid-wrap".
SCIPY_MODE = {"constant": "grid-constant", "wrap": "grid-wrap"}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_vs_scipy(order, dtype):
    rng = np.random.default_rng(11)
    img = rng.normal(size=(5, 7)).astype(dtype)
    coords = [rng.uniform(-6, 10, size=(4, 6)).astype(dtype),
              rng.uniform(-8, 14, size=(4, 6)).astype(dtype)]
    for mode in NDI_MODES:
        got = jndi.map_coordinates(img, coords, order, mode, cval=1.5)
        want = sndi.map_coordinates(img, np.stack(coords), order=order,
                                    mode=SCIPY_MODE.get(mode, mode), cval=1.5)
        _close(got, want, dtype)
    vol = rng.normal(size=(3, 4, 2)).astype(dtype)
    pts = [rng.uniform(-1, 4, size=10).astype(dtype) for _ in range(3)]
    _close(jndi.map_coordinates(vol, pts, order, "nearest"),
           sndi.map_coordinates(vol, np.stack(pts), order=order, mode="nearest"), dtype)


def test_map_coordinates_integers_edges_and_errors():
    img = jnp.arange(12).reshape(3, 4)
    got = jndi.map_coordinates(img, [jnp.array([0.5, 1.2]), jnp.array([1.5, 2.7])], 1)
    assert got.dtype == img.dtype
    np.testing.assert_array_equal(got, [4, 8])       # 3.5 and 7.5 round away from zero
    # A size-1 axis in mirror mode folds everything onto its one sample.
    np.testing.assert_allclose(
        jndi.map_coordinates(jnp.array([[1.0, 2.0]]), [jnp.array([3.3]), jnp.array([0.5])],
                             1, "mirror"), [1.5])
    with pytest.raises(NotImplementedError, match="order"):
        jndi.map_coordinates(img, [jnp.zeros(1), jnp.zeros(1)], 3)
    with pytest.raises(NotImplementedError, match="mode"):
        jndi.map_coordinates(img, [jnp.zeros(1), jnp.zeros(1)], 1, "grid-wrap")
    with pytest.raises(ValueError, match="length input.ndim"):
        jndi.map_coordinates(img, [jnp.zeros(1)], 1)


def test_map_coordinates_grad_jit_vmap():
    rng = np.random.default_rng(12)
    img = rng.normal(size=(4, 5))
    # Away from integer coordinates, where the linear interpolant has kinks.
    cy = np.array([0.3, 1.6, 2.45, -0.7, 3.2])
    cx = np.array([0.2, 3.7, 1.1, 2.35, 4.6])
    for mode in NDI_MODES:
        check_grads(lambda im, a, b: jndi.map_coordinates(im, [a, b], 1, mode, cval=0.5),
                    (img, cy, cx), order=1)
        check_jit(lambda im, a, b: jndi.map_coordinates(im, [a, b], 1, mode),
                  (img, cy, cx), rtol=1e-12, atol=1e-12)
    check_jit(lambda im, a, b: jndi.map_coordinates(im, [a, b], 0, "wrap"), (img, cy, cx))
    check_vmap(lambda a: jndi.map_coordinates(jnp.asarray(img), [a, a], 1, "reflect"),
               (rng.uniform(-2, 6, size=(3, 5)),))


# ----------------------------------------------------------------- interpolate

GRID = (np.array([0.0, 1.0, 2.5, 4.0]), np.linspace(-1.0, 1.0, 5))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("method", ["linear", "nearest"])
def test_regular_grid_interpolator_vs_scipy(method, dtype):
    rng = np.random.default_rng(13)
    grid = tuple(g.astype(dtype) for g in GRID)
    values = rng.normal(size=(4, 5)).astype(dtype)
    xi = np.stack([rng.uniform(-0.5, 4.5, 30), rng.uniform(-1.2, 1.2, 30)], -1).astype(dtype)
    for fill in (np.nan, None, 2.0):
        got = jinterp.RegularGridInterpolator(grid, values, method, fill_value=fill)(xi)
        want = sinterp.RegularGridInterpolator(grid, values, method, bounds_error=False,
                                               fill_value=fill)(xi)
        assert np.asarray(got).dtype == dtype
        np.testing.assert_allclose(got, want, equal_nan=True, **TOL[dtype])
    # Trailing value axes, a tuple of coordinate arrays, and the method override.
    values3 = rng.normal(size=(4, 5, 2)).astype(dtype)
    interp = jinterp.RegularGridInterpolator(grid, values3, method)
    ref = sinterp.RegularGridInterpolator(grid, values3, method, bounds_error=False)
    np.testing.assert_allclose(interp((xi[:, 0], xi[:, 1])), ref((xi[:, 0], xi[:, 1])),
                               equal_nan=True, **TOL[dtype])
    other = "nearest" if method == "linear" else "linear"
    np.testing.assert_allclose(interp(xi, method=other), ref(xi, method=other),
                               equal_nan=True, **TOL[dtype])


def test_regular_grid_interpolator_errors_and_transforms():
    values = np.random.default_rng(14).normal(size=(4, 5))
    with pytest.raises(ValueError, match="method"):
        jinterp.RegularGridInterpolator(GRID, values, "cubic")
    with pytest.raises(NotImplementedError, match="bounds_error"):
        jinterp.RegularGridInterpolator(GRID, values, bounds_error=True)
    with pytest.raises(ValueError, match="3 point arrays"):
        jinterp.RegularGridInterpolator(GRID + (GRID[0],), values)
    interp = jinterp.RegularGridInterpolator(GRID, values)
    with pytest.raises(ValueError, match="dimension"):
        interp(jnp.zeros((2, 3)))
    xi = np.array([[0.3, 0.1], [2.0, -0.55], [3.1, 0.7]])
    # The interpolator is a pytree: it goes through jit as an argument.
    got = jaxlite.jit(lambda f, p: f(p))(interp, xi)
    np.testing.assert_allclose(got, interp(xi), rtol=1e-12)
    check_vmap(lambda p: interp(p), (xi,))
    # Derivatives in the values and the query points (inside cells).
    check_grads(lambda v, p: jinterp.RegularGridInterpolator(GRID, v)(p), (values, xi),
                order=1)
    # The gradient in the values is the interpolation weights.
    w = jaxlite.grad(lambda v: jinterp.RegularGridInterpolator(GRID, v)(xi[:1])[0])(values)
    want = sinterp.RegularGridInterpolator(GRID, np.eye(20).reshape(4, 5, 20))(xi[:1])[0]
    np.testing.assert_allclose(np.asarray(w).ravel(), want, atol=1e-12)


# ----------------------------------------------------------------- cluster

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vq_vs_scipy(dtype):
    import scipy.cluster.vq as svq
    from jaxlite.scipy.cluster import vq as jvq
    rng = np.random.default_rng(20)
    obs, book = rng.normal(size=(30, 3)).astype(dtype), rng.normal(size=(5, 3)).astype(dtype)
    code, dist = jvq.vq(obs, book)
    want_code, want_dist = svq.vq(obs, book)
    np.testing.assert_array_equal(code, want_code)
    _close(dist, want_dist.astype(dtype), dtype)
    code1, dist1 = jvq.vq(obs[:, 0], book[:, 0])        # 1-d: scalar observations
    np.testing.assert_array_equal(code1, svq.vq(obs[:, 0], book[:, 0])[0])
    check_jit(lambda o, b: jvq.vq(o, b), (obs, book), rtol=1e-5)
    check_vmap(lambda o: jvq.vq(o, book)[1], (obs.reshape(3, 10, 3),), rtol=1e-5)
    # d dist / d obs is the unit vector from the nearest code.
    g = jaxlite.grad(lambda o: jvq.vq(o, book)[1][0])(obs.astype(np.float64))
    unit = obs[0] - book[want_code[0]]
    np.testing.assert_allclose(g[0], unit / np.linalg.norm(unit), rtol=1e-4)
    with pytest.raises(ValueError, match="same rank"):
        jvq.vq(obs, book[0])


# ----------------------------------------------------------------- the package

def test_submodules_load_lazily_on_attribute_access():
    code = ("import sys, jaxlite\n"
            "lazy = ['signal', 'fft', 'integrate', 'ndimage', 'interpolate', 'linalg', 'cluster']\n"
            "assert not [m for m in lazy if 'jaxlite.scipy.' + m in sys.modules]\n"
            "import jaxlite.numpy as jnp\n"
            "out = jaxlite.scipy.signal.convolve(jnp.array([1., 2.]), jnp.array([1., 1.]))\n"
            "assert out.tolist() == [1.0, 3.0, 2.0], out\n"
            "assert jaxlite.scipy.fft.dct is not None and jaxlite.scipy.linalg.solve\n"
            "assert jaxlite.scipy.cluster.vq.vq is not None\n"
            "assert 'ndimage' in dir(jaxlite.scipy)\n"
            "assert not hasattr(jaxlite.scipy, 'no_such_module')\n"
            "print('fine')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "fine"
