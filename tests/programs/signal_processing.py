"""Signal processing with jax.scipy: smooth a noisy signal with a convolution,
find a tone with welch and round-trip it through stft/istft, detrend,
integrate with the trapezoidal rule, compress with the DCT, resample an image
with map_coordinates and a RegularGridInterpolator, and fit a blur kernel by
gradient descent through convolve2d; checked against scipy and closed forms."""
import numpy as np
import scipy.fft
import scipy.integrate
import scipy.ndimage
import scipy.signal

import jax
import jax.numpy as jnp

# The submodules load on first use: no `import jax.scipy.signal` needed.
signal, fft, integrate = jax.scipy.signal, jax.scipy.fft, jax.scipy.integrate
ndimage, interpolate = jax.scipy.ndimage, jax.scipy.interpolate

rng = np.random.default_rng(0)
tol = dict(rtol=2e-4, atol=2e-4)

# 1. A sine riding on a linear drift, plus noise.
t = np.linspace(0.0, 4.0 * np.pi, 400).astype(np.float32)
clean = np.sin(t) + 0.3 * t
noisy = (clean + 0.2 * rng.normal(size=t.size)).astype(np.float32)

# Moving-average smoothing: a box kernel, 'same' keeps the length.
box = jnp.ones(15) / 15
smooth = signal.convolve(jnp.asarray(noisy), box, mode="same")
np.testing.assert_allclose(smooth, scipy.signal.convolve(noisy, np.ones(15) / 15, "same"), **tol)
np.testing.assert_allclose(signal.convolve(noisy, box, mode="same", method="fft"), smooth, **tol)
np.testing.assert_allclose(signal.fftconvolve(noisy, box, mode="same"), smooth, **tol)
inner = slice(20, -20)      # away from the zero-padded ends, smoothing removes most noise
assert np.std(np.asarray(smooth)[inner] - clean[inner]) < 0.5 * np.std(noisy[inner] - clean[inner])

# Cross-correlation finds a delay: the peak of correlate(x shifted, x) is at the shift.
pulse = np.exp(-0.5 * ((np.arange(64) - 20) / 3.0) ** 2).astype(np.float32)
delayed = np.roll(pulse, 7)
xc = signal.correlate(delayed, pulse, mode="full")
assert int(jnp.argmax(xc)) - (pulse.size - 1) == 7

# The spectrum of a 50 Hz tone in noise peaks at 50 Hz; stft/istft round-trips the signal.
fs = 400.0
ts = np.arange(2048) / fs
tone = (np.sin(2 * np.pi * 50.0 * ts) + 0.5 * rng.normal(size=ts.size)).astype(np.float32)
freqs, psd = signal.welch(tone, fs=fs, nperseg=256)
assert abs(float(freqs[jnp.argmax(psd)]) - 50.0) < 1e-3
np.testing.assert_allclose(psd, scipy.signal.welch(tone, fs=fs, nperseg=256)[1],
                           rtol=1e-3, atol=1e-7)
_, _, zxx = signal.stft(tone, fs=fs, nperseg=128)
_, back = signal.istft(zxx, fs=fs, nperseg=128)
np.testing.assert_allclose(back[:tone.size], tone, atol=1e-4)

# 2. Detrending removes the drift: what is left of a pure line is zero.
flat = signal.detrend(jnp.asarray(noisy))
np.testing.assert_allclose(flat, scipy.signal.detrend(noisy), **tol)
np.testing.assert_allclose(signal.detrend(0.3 * t + 1.0), 0.0, atol=1e-4)
np.testing.assert_allclose(jnp.mean(signal.detrend(noisy, type="constant")), 0.0, atol=1e-5)

# 3. Trapezoid integration: the integral of sin over [0, pi] is 2.
x = jnp.linspace(0.0, jnp.pi, 201)
area = integrate.trapezoid(jnp.sin(x), x)
np.testing.assert_allclose(area, 2.0, rtol=1e-4)
np.testing.assert_allclose(area, scipy.integrate.trapezoid(np.sin(np.asarray(x)), np.asarray(x)),
                           rtol=1e-5)
# The trapezoid rule is exact for a line, and differentiable in the samples.
np.testing.assert_allclose(integrate.trapezoid(3.0 * x + 1.0, x), 1.5 * np.pi ** 2 + np.pi,
                           rtol=1e-5)
dx_weights = jax.grad(lambda y: integrate.trapezoid(y, dx=0.5))(jnp.ones(5))
np.testing.assert_allclose(dx_weights, [0.25, 0.5, 0.5, 0.5, 0.25])

# 4. DCT compression: keep the 20 largest-magnitude coefficients of the smooth signal.
coeffs = fft.dct(jnp.asarray(clean, jnp.float32), norm="ortho")
np.testing.assert_allclose(coeffs, scipy.fft.dct(clean, norm="ortho"), rtol=1e-3, atol=1e-3)
keep = jnp.argsort(-jnp.abs(coeffs))[:20]
compressed = jnp.zeros_like(coeffs).at[keep].set(coeffs[keep])
restored = fft.idct(compressed, norm="ortho")
rel_err = jnp.linalg.norm(restored - clean) / jnp.linalg.norm(clean)
assert float(rel_err) < 0.05, float(rel_err)
# Orthonormal: energy is preserved, and idct inverts dct exactly.
np.testing.assert_allclose(jnp.sum(coeffs ** 2), np.sum(clean ** 2), rtol=1e-4)
np.testing.assert_allclose(fft.idct(coeffs, norm="ortho"), clean, atol=1e-4)
image = rng.normal(size=(8, 8)).astype(np.float32)
np.testing.assert_allclose(fft.dctn(image), scipy.fft.dctn(image), rtol=1e-4, atol=1e-4)
np.testing.assert_allclose(fft.idctn(fft.dctn(image)), image, atol=1e-5)

# 5. Resample an image: bilinear zoom by 2 with map_coordinates, vs scipy.
img = np.add.outer(np.arange(6.0), 2.0 * np.arange(5.0)).astype(np.float32)   # a plane
rows, cols = jnp.meshgrid(jnp.linspace(0, 5, 11), jnp.linspace(0, 4, 9), indexing="ij")
zoomed = ndimage.map_coordinates(jnp.asarray(img), [rows, cols], order=1)
np.testing.assert_allclose(zoomed, rows + 2.0 * cols, atol=1e-5)    # bilinear is exact on a plane
np.testing.assert_allclose(zoomed, scipy.ndimage.map_coordinates(img, [np.asarray(rows),
                                                                       np.asarray(cols)], order=1),
                           atol=1e-5)
wrapped = ndimage.map_coordinates(jnp.asarray(img), [rows - 3.2, cols + 1.7], order=1, mode="wrap")
np.testing.assert_allclose(
    wrapped, scipy.ndimage.map_coordinates(img, [np.asarray(rows) - 3.2, np.asarray(cols) + 1.7],
                                           order=1, mode="grid-wrap"), atol=1e-4)
# Under jit and vmap (a batch of images), with gradients in the coordinates.
batch = jnp.stack([jnp.asarray(img), 2 * jnp.asarray(img)])
resample = jax.jit(jax.vmap(lambda im: ndimage.map_coordinates(im, [rows, cols], order=1)))
np.testing.assert_allclose(resample(batch)[1], 2 * zoomed, atol=1e-4)
slope = jax.grad(lambda r: ndimage.map_coordinates(jnp.asarray(img), [r, jnp.array([1.5])],
                                                   order=1)[0])(jnp.array([2.25]))
np.testing.assert_allclose(slope, [1.0], rtol=1e-5)     # d/drow of row + 2 col

# The same plane through a RegularGridInterpolator on physical coordinates.
interp = interpolate.RegularGridInterpolator((jnp.arange(6.0) * 0.5, jnp.arange(5.0) * 0.5), img)
pts = jnp.array([[0.25, 0.75], [2.4, 1.9], [2.5, 0.5], [9.0, 0.0]])
vals = interp(pts)
np.testing.assert_allclose(vals[:3], [0.5 + 3.0, 4.8 + 7.6, 5.0 + 2.0], atol=1e-5)
assert bool(jnp.isnan(vals[3]))     # outside the grid: fill_value=nan
np.testing.assert_allclose(jax.jit(lambda p: interp(p))(pts[:3]), vals[:3], atol=1e-6)

# 6. Deconvolution by gradient descent: recover a 3x3 blur kernel through convolve2d.
sharp = jnp.asarray(rng.normal(size=(12, 12)).astype(np.float32))
true_kernel = jnp.array([[0.0, 0.1, 0.0], [0.1, 0.6, 0.1], [0.0, 0.1, 0.0]])
blurred = signal.convolve2d(sharp, true_kernel, mode="same")
np.testing.assert_allclose(blurred, scipy.signal.convolve2d(np.asarray(sharp),
                                                            np.asarray(true_kernel), "same"),
                           **tol)


@jax.jit
def step(k):
    loss_fn = lambda k: jnp.mean((signal.convolve2d(sharp, k, mode="same") - blurred) ** 2)
    return k - 0.5 * jax.grad(loss_fn)(k)


kernel = jnp.zeros((3, 3))
for _ in range(300):
    kernel = step(kernel)
np.testing.assert_allclose(kernel, true_kernel, atol=2e-3)
np.testing.assert_allclose(signal.correlate2d(sharp, true_kernel[::-1, ::-1], mode="same"),
                           blurred, **tol)

print("OK")
