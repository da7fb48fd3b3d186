"""jnp.fft and lax.fft against numpy.fft; derivatives against finite
differences and JAX's numbers; vmap; the compiled kernel (compiler/fft.py)
against numpy.fft over power-of-two, Bluestein and multi-axis cases."""
import os

import numpy as np
import pytest

os.environ.setdefault("JAXLITE_DISABLE_DISK_CACHE", "1")

import jaxlite  # noqa: E402
import jaxlite.numpy as jnp  # noqa: E402
from jaxlite import lax  # noqa: E402
from jaxlite.compiler import fft as fft_kernel  # noqa: E402
from jaxlite.test_util import check_grads  # noqa: E402

RNG = np.random.default_rng(0)


def _real(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def _complex(shape, dtype=np.complex128):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def _close(got, want, dtype):
    got = np.asarray(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    tol = 1e-5 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-12
    scale = max(np.abs(want).max(), 1.0) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=0, atol=tol * scale)


# --------------------------------------------------------- against numpy

ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
REAL_IN = {"rfft", "ihfft", "rfft2", "rfftn"}


def _input_for(name, shape, dtype):
    if name in REAL_IN:
        return _real(shape, dtype)
    return _complex(shape, np.complex64 if dtype == np.float32 else np.complex128)


@pytest.mark.parametrize("name", ONE_D)
@pytest.mark.parametrize("n", [None, 5, 8, 13])
@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
def test_one_dimensional_matches_numpy(name, n, axis, norm):
    x = _input_for(name, (6, 7), np.float64)
    want = getattr(np.fft, name)(x, n=n, axis=axis, norm=norm)
    got = getattr(jnp.fft, name)(x, n=n, axis=axis, norm=norm)
    assert np.asarray(got).dtype == want.dtype
    _close(got, want, np.float64)


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2"])
@pytest.mark.parametrize("s,axes", [(None, (-2, -1)), ((4, 6), (-2, -1)), ((3, 5), (0, 2)),
                                    (None, (2, 0))])
@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
def test_two_dimensional_matches_numpy(name, s, axes, norm):
    x = _input_for(name, (3, 4, 6), np.float64)
    want = getattr(np.fft, name)(x, s=s, axes=axes, norm=norm)
    _close(getattr(jnp.fft, name)(x, s=s, axes=axes, norm=norm), want, np.float64)


@pytest.mark.parametrize("name", ["fftn", "ifftn", "rfftn", "irfftn"])
@pytest.mark.parametrize("s,axes", [(None, None), ((2, 3, 4), None), (None, (0, 2)),
                                    ((5, 4), (1, 3)), (None, (3, 1, 0, 2)), ((2, 2, 3, 4), None)])
def test_n_dimensional_matches_numpy(name, s, axes):
    x = _input_for(name, (2, 3, 4, 5), np.float64)
    np_axes = tuple(range(-len(s), 0)) if axes is None and s is not None else axes
    want = getattr(np.fft, name)(x, s=s, axes=np_axes)
    _close(getattr(jnp.fft, name)(x, s=s, axes=axes), want, np.float64)


@pytest.mark.parametrize("dtype,kind,want", [
    (np.float32, "fft", np.complex64), (np.float64, "fft", np.complex128),
    (np.int32, "fft", np.complex64), (np.float16, "fft", np.complex64),
    (np.complex64, "ifft", np.complex64), (np.float32, "rfft", np.complex64),
    (np.int32, "rfft", np.complex64), (np.complex64, "irfft", np.float32),
    (np.complex128, "irfft", np.float64), (np.float32, "irfft", np.float32)])
def test_result_dtypes_are_jaxs(dtype, kind, want):
    x = np.arange(1, 9).astype(dtype)
    out = getattr(jnp.fft, kind)(x)
    assert np.asarray(out).dtype == want
    ref = getattr(np.fft, kind)(x.astype(np.complex128 if kind not in ("rfft",) else np.float64))
    _close(np.asarray(out).astype(ref.dtype), ref, want)


def test_float32_transforms_against_numpy_float64():
    for name in ["fft", "ifft", "rfft", "irfft"]:
        x = _input_for(name, (4, 32), np.float32)
        want = getattr(np.fft, name)(x.astype(np.complex128 if x.dtype.kind == "c"
                                              else np.float64))
        _close(getattr(jnp.fft, name)(x), want, np.float32)


# ------------------------------------------------------------- lax.fft

def test_lax_fft_types_and_strings():
    z = _complex((3, 8))
    for typ, fn in [(lax.FftType.FFT, np.fft.fftn), ("ifft", np.fft.ifftn),
                    ("IFFT", np.fft.ifftn)]:
        _close(lax.fft(z, typ, (3, 8)), fn(z), np.float64)
    x = _real((2, 6))
    _close(lax.fft(x, "rfft", (6,)), np.fft.rfft(x), np.float64)
    _close(lax.fft(np.fft.rfft(x), lax.FftType.IRFFT, (6,)), x, np.float64)
    assert int(lax.FftType.IRFFT) == 3
    # no lengths: only the dtype conversion
    out = lax.fft(np.ones(3, np.float32), "fft", ())
    assert np.asarray(out).dtype == np.complex64


@pytest.mark.parametrize("args,error,match", [
    ((np.ones(4, np.complex64), "fft", (5,)), ValueError, "minor dimensions"),
    ((np.ones(4, np.complex64), "fft", (1, 4)), ValueError, "at least as many"),
    ((np.ones(4, np.complex64), "rfft", (4,)), ValueError, "only real valued"),
    ((np.ones(4, np.complex64), "irfft", (4,)), ValueError, "IRFFT input shape"),
    ((np.ones(4, np.complex64), "bad", (4,)), ValueError, "Unknown FFT type 'bad'"),
    ((np.ones(4, np.complex64), 5, (4,)), TypeError, "Unknown FFT type value"),
    ((np.ones(4, np.float16), "rfft", (4,)), ValueError, "float32 or float64"),
])
def test_lax_fft_errors(args, error, match):
    with pytest.raises(error, match=match):
        lax.fft(*args)


def test_fft_planar_errors():
    with pytest.raises(TypeError, match="takes 2 real operand"):
        lax.fft_planar([np.ones(4)], lax.FftType.FFT, (4,))
    with pytest.raises(TypeError, match="one shape and dtype"):
        lax.fft_planar([np.ones(4), np.ones(4, np.float32)], lax.FftType.FFT, (4,))


@pytest.mark.parametrize("call,error,match", [
    (lambda: jnp.fft.fft(np.ones(4), axis=(0,)), ValueError, "does not support multiple axes"),
    (lambda: jnp.fft.fftn(np.ones((2, 2)), axes=(0, 0)), ValueError, "repeated axes"),
    (lambda: jnp.fft.fftn(np.ones((2, 2)), s=(2,), axes=(0, 1)), ValueError,
     "Shape and axes have different lengths"),
    (lambda: jnp.fft.fft(np.ones(4), n=0), ValueError, "Shape should be positive"),
    (lambda: jnp.fft.fft2(np.ones((2, 2, 2)), axes=(0, 1, 2)), ValueError, "only supports 2"),
    (lambda: jnp.fft.fft(np.ones(4), norm="bogus"), ValueError, "Invalid norm value"),
    (lambda: jnp.fft.fft([1.0, 2.0]), TypeError, "jnp.asarray"),
    (lambda: jnp.fft.fftfreq([4]), ValueError, "only takes an int"),
    (lambda: jnp.fft.rfftfreq(4, d=[1.0]), ValueError, "only takes a single value"),
])
def test_numpy_fft_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# -------------------------------------------------- frequencies, shifts

@pytest.mark.parametrize("n", [1, 4, 5, 8])
@pytest.mark.parametrize("d", [1.0, 0.25])
def test_frequencies(n, d):
    got = jnp.fft.fftfreq(n, d)
    assert np.asarray(got).dtype == np.float32          # JAX's default float
    np.testing.assert_allclose(got, np.fft.fftfreq(n, d), rtol=1e-6)
    np.testing.assert_allclose(jnp.fft.rfftfreq(n, d), np.fft.rfftfreq(n, d), rtol=1e-6)
    np.testing.assert_allclose(jnp.fft.fftfreq(n, d, dtype=np.float64), np.fft.fftfreq(n, d),
                               rtol=1e-15)
    assert np.asarray(jnp.fft.rfftfreq(n, d, dtype=np.float64)).dtype == np.float64


@pytest.mark.parametrize("axes", [None, 0, 1, (0,), (1, 0)])
def test_shifts(axes):
    x = np.arange(30.0).reshape(5, 6)
    np.testing.assert_array_equal(jnp.fft.fftshift(x, axes), np.fft.fftshift(x, axes))
    np.testing.assert_array_equal(jnp.fft.ifftshift(x, axes), np.fft.ifftshift(x, axes))
    np.testing.assert_array_equal(jnp.fft.ifftshift(jnp.fft.fftshift(x, axes), axes), x)


# ----------------------------------------------------------- derivatives

# grad of real losses at x = linspace(-1, 2, 6) etc., from JAX 0.10.2 with x64.
X6 = np.linspace(-1, 2, 6)
X7 = np.cos(np.arange(7.0))
M34 = np.sin(np.arange(12.0)).reshape(3, 4)
Z5 = np.linspace(-1, 1, 5) + 1j * np.cos(np.arange(5.0))
JAX_GRADS = {
    "rfft": (lambda x: jnp.sum(jnp.real(jnp.fft.rfft(x * x)) ** 3
                               + jnp.imag(jnp.fft.rfft(x)) ** 2), X6,
             [-409.3631999999999, -145.44, 70.80767999999998, 276.4799999999999, 524.45376,
              698.3999999999999]),
    "irfft_rfft": (lambda x: jnp.sum(jnp.fft.irfft(jnp.fft.rfft(x) * np.arange(4)) ** 2 * x),
                   X6, [7.9499999999999975, -3.2099999999999977, -2.369999999999999,
                        -0.5699999999999983, -6.210000000000001, 19.349999999999994]),
    "odd": (lambda x: jnp.sum(jnp.fft.irfft(jnp.fft.rfft(x, n=9)[:4] * (1 + x[:4]), n=7) ** 3),
            X7, [7.219747774498565, 4.304675198358384, 1.44962488218078, 8.003008034348742,
                 5.636083824307925, 4.065335529382503, 3.769531789028795]),
    "irfft_direct": (lambda x: jnp.sum(jnp.sin(jnp.fft.irfft(x[:4] + 1j * x[2:6], n=6))), X6,
                     [0.9071717201138038, -0.08118797665892652, 0.08783244516422191,
                      0.21456798124165727, 0.13338000458273083, 0.0]),
    "rfft2": (lambda m: jnp.sum(jnp.imag(jnp.fft.rfft2(m * m)) ** 2
                                + jnp.real(jnp.fft.rfft2(m))), M34,
              [[9.0, 6.948785550389871, 3.0, -1.165355301111394],
               [6.521178438312894, -0.11769337354738547, 1.7766426042033372, 2.778756038214492],
               [8.52505337343311, -1.7430747165293594, -3.4591176560434542,
                0.12273359224808791]]),
    "irfft2": (lambda m: jnp.sum(jnp.cos(jnp.fft.irfft2(m + 1j * m[::-1], s=(3, 6)))), M34,
               [[-0.01817613280667247, -0.17991018966153166, -0.19464146680295952,
                 0.009140222492716203],
                [0.012472373167615292, 0.20671172912149594, 0.0575468995036664,
                 -0.006706973006033954],
                [-0.007204838299349793, -0.09224454434724198, 0.1180255565698781,
                 0.00877263605297797]]),
    "fft_complex": (lambda z: jnp.sum(jnp.real(jnp.fft.fft(z * z)) ** 2
                                      + jnp.imag(jnp.fft.ifft(z)) ** 3), Z5,
                    [-0.38940444467457874j, 1.1445836376906693 + 6.61019764185753j,
                     -4.2995745177403855 + 4.030190697028088j,
                     5.464286829868501 + 14.163490614691778j,
                     10.666918938534392 + 4.10737753870912j]),
}


@pytest.mark.parametrize("name", sorted(JAX_GRADS))
@pytest.mark.parametrize("jit", [False, True])
def test_grad_matches_jax(name, jit):
    f, x, want = JAX_GRADS[name]
    g = jaxlite.grad(f)
    got = (jaxlite.jit(g) if jit else g)(x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-10, atol=1e-12)


def _parts(z):
    return jnp.real(z) * 0.7 + jnp.imag(z) ** 2


CHECKED = {
    "fft": lambda x: _parts(jnp.fft.fft(x * (1 + 0.5j))),
    "ifft_n": lambda x: _parts(jnp.fft.ifft(x + 1j * x[::-1], n=7)),
    "rfft": lambda x: _parts(jnp.fft.rfft(x * x)),
    "irfft": lambda x: jnp.fft.irfft(x[:4] + 2j * x[1:5], n=7) ** 2,
    "irfft_even": lambda x: jnp.fft.irfft(x[:4] * (1 - 1j) + x[2:6], n=6),
    "fft2": lambda x: _parts(jnp.fft.fft2(x.reshape(2, 3) * (1 + 1j))),
    "rfftn": lambda x: _parts(jnp.fft.rfftn(x.reshape(3, 2) ** 2, s=(3, 4))),
    "irfftn": lambda x: jnp.fft.irfftn(x.reshape(2, 3) + 1j, s=(2, 4)),
    "hfft": lambda x: jnp.fft.hfft(x[:4] - 1j * x[2:], n=6),
    "ihfft": lambda x: _parts(jnp.fft.ihfft(x * x)),
    "ortho": lambda x: _parts(jnp.fft.rfft(x, norm="ortho")),
}


@pytest.mark.parametrize("name", sorted(CHECKED))
def test_check_grads_second_order(name):
    check_grads(CHECKED[name], (np.linspace(-1.0, 1.5, 6),), order=2, modes=("fwd", "rev"))


def test_complex_input_gradient_convention():
    """grad of a real function of complex z is df/dx - i df/dy (JAX's), through fft."""
    z = Z5
    f = JAX_GRADS["fft_complex"][0]
    g = np.asarray(jaxlite.grad(f)(z))
    eps = 1e-6
    fd = []
    for k in range(z.size):
        e = np.zeros(z.size)
        e[k] = eps
        dx = (float(f(z + e)) - float(f(z - e))) / (2 * eps)
        dy = (float(f(z + 1j * e)) - float(f(z - 1j * e))) / (2 * eps)
        fd.append(dx - 1j * dy)
    np.testing.assert_allclose(g, np.array(fd), rtol=1e-6, atol=1e-6)


# -------------------------------------------------------------- vmap, jit

@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft"])
@pytest.mark.parametrize("in_axes", [0, 1])
def test_vmap(name, in_axes):
    x = _input_for(name, (5, 8), np.float64)
    f = getattr(jnp.fft, name)
    got = jaxlite.vmap(f, in_axes=in_axes)(x)
    want = getattr(np.fft, name)(np.moveaxis(x, in_axes, 0), axis=-1)
    _close(got, want, np.float64)


def test_vmap_of_grad():
    f = JAX_GRADS["rfft"][0]
    xs = np.stack([X6, X6 * 0.5, -X6])
    got = jaxlite.vmap(jaxlite.grad(f))(xs)
    for x, g in zip(xs, np.asarray(got)):
        np.testing.assert_allclose(g, np.asarray(jaxlite.grad(f)(x)), rtol=1e-12)


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "fft2", "irfftn", "hfft"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jit_matches_numpy(name, dtype):
    x = _input_for(name, (3, 10), dtype)
    ref_in = x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)
    f = jaxlite.jit(getattr(jnp.fft, name))
    _close(f(x), getattr(np.fft, name)(ref_in), dtype)
    assert "[fft]" in f.lower(x).compile().fusion_plan()


# ----------------------------------------------------- the compiled kernel

def _compiled_error(fft_type, shape, lengths, dtype):
    """max |compiled - numpy(float64)| / max |numpy|, in units of eps."""
    if fft_type == lax.FftType.IRFFT:
        half = shape[:-1] + (shape[-1] // 2 + 1,)
        planes = [_real(half, dtype), _real(half, dtype)]
        want = np.fft.irfftn(planes[0].astype(np.float64) + 1j * planes[1], lengths,
                             axes=tuple(range(-len(lengths), 0)))
    elif fft_type == lax.FftType.RFFT:
        planes = [_real(shape, dtype)]
        want = np.fft.rfftn(planes[0].astype(np.float64), axes=tuple(range(-len(lengths), 0)))
    else:
        planes = [_real(shape, dtype), _real(shape, dtype)]
        fn = np.fft.fftn if fft_type == lax.FftType.FFT else np.fft.ifftn
        want = fn(planes[0].astype(np.float64) + 1j * planes[1],
                  axes=tuple(range(-len(lengths), 0)))
    f = jaxlite.jit(lambda *p: lax.fft_planar(list(p), fft_type, lengths))
    outs = f(*planes)
    got = outs[0] if len(outs) == 1 else np.asarray(outs[0]) + 1j * np.asarray(outs[1])
    assert np.asarray(outs[0]).dtype == dtype
    return np.abs(got - want).max() / np.abs(want).max() / np.finfo(dtype).eps


@pytest.mark.parametrize("n", [1, 2, 4, 8, 32, 128, 1024, 4096,          # radix 4 (and 2)
                               3, 5, 6, 12, 15, 45, 100, 243, 625, 1000,     # radix 2-5
                               7, 105, 127, 4097,                            # Bluestein
                               # vector passes: p groups with a scalar tail, short q
                               48, 80, 250, 384, 512, 2048, 6000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fft_type", list(lax.FftType))
def test_kernel_accuracy_one_axis(n, dtype, fft_type):
    err = _compiled_error(fft_type, (3, n), (n,), dtype)
    assert err < 4 * max(np.log2(n), 1), err       # a few ulps * log2(n)


@pytest.mark.parametrize("n", [16, 64, 250, 1000, 1024])
def test_kernel_on_256_bit_vectors(n, monkeypatch):
    """The explicit vector passes at the width of hosts without AVX-512."""
    monkeypatch.setattr(fft_kernel, "has_avx512", lambda: False)
    jaxlite.clear_caches()
    try:
        for dtype in (np.float32, np.float64):
            for fft_type in (lax.FftType.FFT, lax.FftType.RFFT):
                err = _compiled_error(fft_type, (3, n), (n,), dtype)
                assert err < 4 * np.log2(n), (dtype, fft_type, err)
    finally:
        jaxlite.clear_caches()


@pytest.mark.parametrize("shape,lengths", [((4, 8), (4, 8)), ((2, 3, 10), (3, 10)),
                                           ((2, 4, 6, 5), (4, 6, 5)), ((6, 1, 2), (6, 1, 2))])
@pytest.mark.parametrize("fft_type", list(lax.FftType))
def test_kernel_accuracy_several_axes(shape, lengths, fft_type):
    err = _compiled_error(fft_type, shape, lengths, np.float64)
    assert err < 4 * np.log2(np.prod(lengths) + 1), err


def test_kernel_complex_path_and_empty_batch():
    z = _complex((0, 8), np.complex64)
    assert np.asarray(jaxlite.jit(jnp.fft.fft)(z)).shape == (0, 8)
    z = _complex((2, 16), np.complex64)
    _close(jaxlite.jit(lambda z: jnp.fft.ifft(jnp.fft.fft(z)))(z), z.astype(np.complex128),
           np.float32)


def test_planar_primitive_eager_matches_numpy():
    re, im = _real((2, 6)), _real((2, 6))
    out = lax.fft_planar([re, im], lax.FftType.FFT, (6,))
    want = np.fft.fft(re + 1j * im)
    np.testing.assert_allclose(np.asarray(out[0]) + 1j * np.asarray(out[1]), want, atol=1e-12)


def test_zero_lengths_as_jax():
    """fft of nothing is empty, irfft to length 0 too, rfft of nothing an error."""
    for f in (jnp.fft.fft, jaxlite.jit(jnp.fft.fft)):
        assert np.asarray(f(np.zeros(0, np.float32))).shape == (0,)
    assert np.asarray(jnp.fft.irfft(np.zeros((2, 1), np.complex64))).shape == (2, 0)
    assert np.asarray(jaxlite.jit(jnp.fft.irfft)(np.zeros((2, 1), np.complex64))).shape == (2, 0)
    with pytest.raises(ValueError, match="RFFT of length 0"):
        jnp.fft.rfft(np.zeros(0, np.float32))
