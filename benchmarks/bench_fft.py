"""FFTs under jit: jaxlite vs numpy.fft and JAX (when installed), one run.

    python benchmarks/bench_fft.py     # prints a markdown table

``jit(jnp.fft.fft)`` (and ``rfft``) of complex64 / float32 inputs: a batch of
1000 lines of 2^10, single lines of 2^16 and 2^20, and lengths that are not
powers of two (1000 x 100 lines; 4097, prime-ish, by Bluestein in jaxlite).
Results are checked against numpy.fft before timing; JAX's inputs are
device-resident and its results blocked on.
"""
import numpy as np

from common import checked_row, optional, versus_section

import jaxlite
import jaxlite.numpy as jlnp

jax = optional("jax")
if jax is not None:
    import jax.numpy as jjnp

LIBS = {"jaxlite": (jaxlite, jlnp)}
if jax is not None:
    LIBS["JAX"] = (jax, jjnp)

CASES = [  # (label, shape, real input)
    ("fft c64 1000 x 2^10", (1000, 1024), False),
    ("fft c64 2^16", (1 << 16,), False),
    ("fft c64 2^20", (1 << 20,), False),
    ("fft c64 100 x 1000", (100, 1000), False),
    ("fft c64 4097", (4097,), False),
    ("rfft f32 1000 x 2^10", (1000, 1024), True),
    ("rfft f32 2^20", (1 << 20,), True),
]


def _input(shape, real, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    if real:
        return x
    return (x + 1j * rng.standard_normal(shape).astype(np.float32)).astype(np.complex64)


def rows():
    rng = np.random.default_rng(0)
    out = []
    for label, shape, real in CASES:
        x = _input(shape, real, rng)
        np_fn = np.fft.rfft if real else np.fft.fft
        want = np_fn(x.astype(np.float64 if real else np.complex128))
        scale = np.abs(want).max()
        out.append(checked_row(label, jax, LIBS, lambda jnp: jnp.fft.rfft if real else jnp.fft.fft,
                               [x], want, scale, 1e-5, np_fn))
    return out


def run():
    return versus_section("FFT under jit", jax, rows())


if __name__ == "__main__":
    print(run())
