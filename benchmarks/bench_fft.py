"""FFTs under jit: jaxlite vs numpy.fft and JAX (when installed), one run.

    python benchmarks/bench_fft.py     # prints a markdown table

``jit(jnp.fft.fft)`` (and ``rfft``) of complex64 / float32 inputs: a batch of
1000 lines of 2^10, single lines of 2^16 and 2^20, and lengths that are not
powers of two (1000 x 100 lines; 4097, prime-ish, by Bluestein in jaxlite).
Results are checked against numpy.fft before timing; JAX's inputs are
device-resident and its results blocked on.
"""
import numpy as np

from common import fmt_ratio, fmt_time, machine, optional, table, timeit

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


def _timed(lib, f, x):
    if lib == "JAX":
        x = jax.device_put(x)
        return timeit(lambda: jax.block_until_ready(f(x)), repeat=5, min_time=0.3)
    return timeit(lambda: f(x), repeat=5, min_time=0.3)


def rows():
    rng = np.random.default_rng(0)
    out = []
    for label, shape, real in CASES:
        x = _input(shape, real, rng)
        np_fn = np.fft.rfft if real else np.fft.fft
        want = np_fn(x.astype(np.float64 if real else np.complex128))
        scale = np.abs(want).max()
        times = {}
        for lib, (jx, jnp) in LIBS.items():
            f = jx.jit(jnp.fft.rfft if real else jnp.fft.fft)
            got = np.asarray(f(x))
            err = np.abs(got - want).max() / scale
            assert err < 1e-5, (lib, label, err)
            times[lib] = _timed(lib, f, x)
        t_np = timeit(lambda: np_fn(x), repeat=5, min_time=0.3)
        out.append([label, times["jaxlite"], t_np, times.get("JAX")])
    return out


def run():
    table_rows = [[name, fmt_time(t_jl), fmt_time(t_np), fmt_time(t_jx), fmt_ratio(t_np, t_jl),
                   fmt_ratio(t_jx, t_jl)] for name, t_jl, t_np, t_jx in rows()]
    header = ["workload", "jaxlite", "numpy", "JAX", "numpy/jaxlite", "JAX/jaxlite"]
    note = f"JAX {jax.__version__}" if jax is not None else "JAX not installed"
    return (f"### FFT under jit ({machine()}, {note}; ratios > 1 mean jaxlite is faster)\n\n"
            + table(header, table_rows))


if __name__ == "__main__":
    print(run())
