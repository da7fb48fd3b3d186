"""Complex arithmetic under jit: jaxlite vs numpy and JAX (when installed), one run.

    python benchmarks/bench_complex.py     # prints a markdown table

Elementwise chains on 1e6 complex64 values (jaxlite compiles them on real
planes, compiler/complex_expand.py), a complex reduction and a complex matrix
product. Results are checked against numpy in complex128 before timing; JAX's
inputs are device-resident and its results blocked on.
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

N = 1_000_000


def chain(np_):
    return lambda z, w: np_.exp(1j * z) * w + np_.conj(z) * 0.5


CASES = [  # (label, function of a numpy-like module, inputs' shapes, tolerance)
    ("exp(1j z) w + conj(z)/2, c64 1e6", chain, [(N,), (N,)], 2e-5),
    ("z * w / (z + 2), c64 1e6", lambda np_: lambda z, w: z * w / (z + 2), [(N,), (N,)], 2e-5),
    ("sqrt(z) + log(w), c64 1e6", lambda np_: lambda z, w: np_.sqrt(z) + np_.log(w),
     [(N,), (N,)], 2e-5),
    ("sum(z * conj(w)), c64 1e6", lambda np_: lambda z, w: np_.sum(z * np_.conj(w)),
     [(N,), (N,)], 1e-4),
    ("z @ w, c64 256 x 256", lambda np_: lambda z, w: z @ w, [(256, 256), (256, 256)], 1e-4),
]


def _input(shape, rng):
    re = rng.uniform(-2, 2, shape).astype(np.float32)
    im = rng.uniform(-2, 2, shape).astype(np.float32)
    return (re + 1j * im).astype(np.complex64)


def rows():
    rng = np.random.default_rng(0)
    out = []
    for label, make, shapes, tol in CASES:
        args = [_input(s, rng) for s in shapes]
        want = make(np)(*[a.astype(np.complex128) for a in args])
        scale = max(np.abs(want).max(), 1.0)
        out.append(checked_row(label, jax, LIBS, make, args, want, scale, tol, make(np)))
    return out


def run():
    return versus_section("Complex arithmetic under jit", jax, rows())


if __name__ == "__main__":
    print(run())
