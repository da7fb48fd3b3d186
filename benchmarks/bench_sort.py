"""Sorting under jit: jaxlite vs numpy and JAX (when installed), one run.

    python benchmarks/bench_sort.py     # prints a markdown table

``jit(jnp.sort)`` and ``jit(jnp.argsort)`` (both stable in jaxlite and JAX)
against numpy's ``np.sort`` / ``np.argsort`` with their default kind (numpy 2
uses its SIMD quicksorts on x86): single lines of 10^6 float32, float64 and
int32 (random, already sorted, reversed, 10 distinct values), 1000 x 1000
float32 along either axis, and 10^5 rows of 16. Results are checked against
numpy's stable sort before timing; JAX's inputs are device-resident and its
results blocked on.
"""

import numpy as np

from common import jax_x64, optional, time_lib, timeit, versus_section

import jaxlite
import jaxlite.numpy as jlnp

jax = optional("jax")
if jax is not None:
    import jax.numpy as jjnp

LIBS = {"jaxlite": (jaxlite, jlnp)}
if jax is not None:
    LIBS["JAX"] = (jax, jjnp)

N = 10 ** 6


def _cases(rng):
    f32 = rng.standard_normal(N).astype(np.float32)
    return [  # (label, array, axis)
        ("f32 1e6 random", f32, -1),
        ("f64 1e6 random", rng.standard_normal(N), -1),
        ("i32 1e6 random", rng.integers(-2 ** 31, 2 ** 31, N).astype(np.int32), -1),
        ("f32 1e6 sorted", np.sort(f32), -1),
        ("f32 1e6 reversed", np.sort(f32)[::-1].copy(), -1),
        ("f32 1e6 10 distinct", rng.integers(0, 10, N).astype(np.float32), -1),
        ("f32 1000x1000 axis -1", rng.standard_normal((1000, 1000)).astype(np.float32), -1),
        ("f32 1000x1000 axis 0", rng.standard_normal((1000, 1000)).astype(np.float32), 0),
        ("f32 1e5 rows of 16", rng.standard_normal((N // 10, 16)).astype(np.float32), -1),
    ]


def rows():
    rng = np.random.default_rng(0)
    out = []
    for label, x, axis in _cases(rng):
        for op in ("sort", "argsort"):
            want = (np.argsort(x, axis=axis, kind="stable") if op == "argsort"
                    else np.sort(x, axis=axis, kind="stable"))
            times = {}
            for lib, (jx, jnp) in LIBS.items():
                with jax_x64(jax, lib == "JAX" and x.dtype == np.float64):
                    f = jx.jit(lambda v, jnp=jnp, op=op: getattr(jnp, op)(v, axis=axis))
                    np.testing.assert_array_equal(np.asarray(f(x)), want,
                                                  err_msg=f"{lib} {label}")
                    times[lib] = time_lib(jax, lib, f, x)
            np_fn = getattr(np, op)
            t_np = timeit(lambda: np_fn(x, axis=axis), repeat=5, min_time=0.3)
            out.append([f"{op} {label}", times["jaxlite"], t_np, times.get("JAX")])
    return out


def run():
    return versus_section("Sorting under jit", jax, rows(), f"numpy {np.__version__}, ")


if __name__ == "__main__":
    print(run())
