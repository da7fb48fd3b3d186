"""The compiled FFT kernel's threaded path (compiler/fft.py): passes with enough
lines run in chunks of lines over the worker pool. Results against numpy.fft in
float64, and bitwise the same on one thread as on several."""
import os

import numpy as np
import pytest

os.environ.setdefault("JAXLITE_DISABLE_DISK_CACHE", "1")

import jaxlite  # noqa: E402
import jaxlite.numpy as jnp  # noqa: E402
from jaxlite import lax  # noqa: E402
from jaxlite.compiler import fft as fft_kernel  # noqa: E402
from jaxlite.compiler import threadpool  # noqa: E402

RNG = np.random.default_rng(1)


def _complex(shape, dtype=np.complex64):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def _threshold_lines(n):
    """The fewest lines of length n whose pass runs over the pool."""
    return -(-fft_kernel.PARALLEL_MIN_WORK // fft_kernel._line_work(n))


def _run(fn, x, threads, monkeypatch):
    """fn compiled afresh under JAXLITE_THREADS=threads (the count is fixed at
    compile time): (result, pool jobs it ran)."""
    monkeypatch.setenv("JAXLITE_THREADS", str(threads))
    jaxlite.clear_caches()                   # no executable compiled for another count
    f = jaxlite.jit(fn)
    jobs = threadpool.stats()["jobs"]
    out = np.asarray(f(x))
    return out, threadpool.stats()["jobs"] - jobs


def _close(got, want, dtype):
    tol = 2e-6 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-13
    np.testing.assert_allclose(got, want, rtol=0, atol=tol * np.abs(want).max())


def test_threshold_is_tens_of_microseconds():
    """Tens of microseconds of work on one core, not less: 1024-point lines
    go parallel from about two dozen lines on."""
    assert 10 <= _threshold_lines(1024) <= 100


@pytest.mark.parametrize("extra,parallel", [(-1, False), (0, True), (1, True), (37, True)])
def test_batch_around_threshold(extra, parallel, monkeypatch):
    lines = _threshold_lines(1024) + extra
    x = _complex((lines, 1024))
    got, jobs = _run(jnp.fft.fft, x, 2, monkeypatch)
    assert (jobs > 0) == (parallel and threadpool.available())
    _close(got, np.fft.fft(x.astype(np.complex128)), np.complex64)
    one, jobs1 = _run(jnp.fft.fft, x, 1, monkeypatch)
    assert jobs1 == 0
    np.testing.assert_array_equal(got, one)


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft"])
@pytest.mark.parametrize("n", [1024, 1000, 127, 30])          # radix 4, mixed, Bluestein
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_type_and_length_threaded(name, n, dtype, monkeypatch):
    # real transforms of even length work on n/2 points: over the threshold too
    lines = 4 * _threshold_lines(n) + 3          # odd: a shorter last chunk
    cdt = np.complex64 if dtype == np.float32 else np.complex128
    x = RNG.standard_normal((lines, n)).astype(dtype) if name == "rfft" else _complex(
        (lines, n), cdt)
    fn = getattr(jnp.fft, name)
    got, jobs = _run(fn, x, 3, monkeypatch)
    assert jobs > 0 or not threadpool.available()
    x64 = x.astype(np.float64 if name == "rfft" else np.complex128)
    _close(got, getattr(np.fft, name)(x64), dtype)
    one, _ = _run(fn, x, 1, monkeypatch)
    np.testing.assert_array_equal(got, one)


@pytest.mark.parametrize("axis", [0, 1])
def test_lines_across_the_other_axes(axis, monkeypatch):
    """Lines along a leading axis: every line strided, chunks cut across the
    axes before and after it."""
    x = _complex((256, 7, 96) if axis == 1 else (512, 97))
    fn = lambda z: jnp.fft.fft(z, axis=axis)                     # noqa: E731
    got, jobs = _run(fn, x, 2, monkeypatch)
    assert jobs > 0 or not threadpool.available()
    _close(got, np.fft.fft(x.astype(np.complex128), axis=axis), np.complex64)
    np.testing.assert_array_equal(got, _run(fn, x, 1, monkeypatch)[0])


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2"])
def test_two_axes_threaded(name, monkeypatch):
    """Each pass of a multi-axis transform splits its own lines (irfft2 through
    intermediate planes)."""
    shape = (256, 258)
    x = RNG.standard_normal(shape).astype(np.float64) if name == "rfft2" else _complex(
        shape, np.complex128)
    fn = getattr(jnp.fft, name)
    got, jobs = _run(fn, x, 2, monkeypatch)
    assert jobs >= 2 or not threadpool.available()
    _close(got, getattr(np.fft, name)(x), np.float64)
    np.testing.assert_array_equal(got, _run(fn, x, 1, monkeypatch)[0])


def test_non_contiguous_input_threaded(monkeypatch):
    """A transposed operand is read through its fused transpose."""
    x = _complex((1024, 60))
    fn = lambda z: jnp.fft.fft(z.T) * 2                          # noqa: E731
    got, jobs = _run(fn, x, 2, monkeypatch)
    assert jobs > 0 or not threadpool.available()
    _close(got, 2 * np.fft.fft(x.T.astype(np.complex128)), np.complex64)
    np.testing.assert_array_equal(got, _run(fn, x, 1, monkeypatch)[0])


def test_default_threads_match_one_thread(monkeypatch):
    x = _complex((300, 512))
    monkeypatch.delenv("JAXLITE_THREADS", raising=False)
    jaxlite.clear_caches()
    default = np.asarray(jaxlite.jit(lambda z: jnp.fft.ifft(jnp.fft.fft(z) * 3))(x))
    one, _ = _run(lambda z: jnp.fft.ifft(jnp.fft.fft(z) * 3), x, 1, monkeypatch)
    np.testing.assert_array_equal(default, one)
    _close(default, 3 * x.astype(np.complex128), np.complex64)


def test_planar_primitive_threaded(monkeypatch):
    re, im = (RNG.standard_normal((64, 1024)).astype(np.float32) for _ in range(2))
    monkeypatch.setenv("JAXLITE_THREADS", "2")
    jaxlite.clear_caches()
    outs = jaxlite.jit(lambda a, b: lax.fft_planar([a, b], lax.FftType.FFT, (1024,)))(re, im)
    want = np.fft.fft(re.astype(np.float64) + 1j * im)
    _close(np.asarray(outs[0]) + 1j * np.asarray(outs[1]), want, np.float32)
