"""Eager (no jit) per-operation overhead on small arrays: numpy, jaxlite, JAX.

    python benchmarks/bench_eager.py

Each row times one operation on a float32 array of 16 elements, where the
arithmetic is negligible and the call overhead is everything. numpy's
``.at[0].set`` equivalent is a copy plus an item assignment; the 50-operation
function's numpy column is its forward pass. JAX runs eagerly (op by op
dispatch, results blocked on), as a user's un-jitted code does.
"""
import numpy as np

from common import fmt_ratio, fmt_time, machine, optional, table, timeit

import jaxlite
import jaxlite.numpy as jlnp

jax = optional("jax")
if jax is not None:
    import jax.numpy as jjnp


def chain50(np_like):
    """50 elementwise operations (sin, multiply, add, tanh, ... in turn)."""
    def f(x):
        for i in range(10):
            x = np_like.sin(x) * 0.9 + 0.1
            x = np_like.tanh(x) - x * 0.5
        return np_like.sum(x)
    return f


def _numpy_set(x):
    y = x.copy()
    y[0] = 1.0
    return y


def ops(np_like, x):
    """name -> zero-argument callable, for the numpy-like module ``np_like``."""
    if np_like is np:
        at_set = lambda: _numpy_set(x)  # noqa: E731
    else:
        at_set = lambda: x.at[0].set(1.0)  # noqa: E731
    return {"x * 2.0": lambda: x * 2.0,
            "sin(x)": lambda: np_like.sin(x),
            "x[1:3]": lambda: x[1:3],
            "x.at[0].set(1.0)": at_set}


def run():
    x_np = np.linspace(0.0, 1.0, 16, dtype=np.float32)
    x_jl = jlnp.asarray(x_np)
    rows = []
    jx = ops(jjnp, jax.device_put(x_np)) if jax is not None else {}
    for name, f_np in ops(np, x_np).items():
        f_jl = ops(jlnp, x_jl)[name]
        t_np, t_jl = timeit(f_np), timeit(f_jl)
        t_jx = timeit(lambda: jax.block_until_ready(jx[name]())) if jax is not None else None
        rows.append([name, t_np, t_jl, t_jx])
    g_jl = jaxlite.grad(chain50(jlnp))
    t_fwd = timeit(lambda: chain50(np)(x_np))
    t_jl = timeit(lambda: g_jl(x_jl))
    t_jx = None
    if jax is not None:
        g_jx = jax.grad(chain50(jjnp))
        xd = jax.device_put(x_np)
        t_jx = timeit(lambda: jax.block_until_ready(g_jx(xd)))
    rows.append(["grad of a 50-op function (numpy: its forward)", t_fwd, t_jl, t_jx])
    out = [[n, fmt_time(a), fmt_time(b), fmt_time(c), fmt_ratio(b, a), fmt_ratio(c, b)]
           for n, a, b, c in rows]
    header = ["operation, f32[16]", "numpy", "jaxlite", "JAX", "jaxlite/numpy", "JAX/jaxlite"]
    jax_note = f"JAX {jax.__version__}" if jax is not None else "JAX not installed"
    return (f"### Eager per-operation overhead ({machine()}, {jax_note}; bar: jaxlite/numpy "
            f"<= 3x and JAX/jaxlite > 1x)\n\n" + table(header, out))


if __name__ == "__main__":
    print(run())
