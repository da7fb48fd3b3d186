"""Timing and reporting helpers shared by the benchmark scripts."""
import contextlib
import importlib
import os
import platform
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _busy_from_argv(argv):
    """``--busy N`` on a benchmark's command line: N busy competitors (contention mode)."""
    for i, arg in enumerate(argv):
        if arg == "--busy" and i + 1 < len(argv):
            return int(argv[i + 1])
        if arg.startswith("--busy="):
            return int(arg.split("=", 1)[1])
    return 0


# Contention mode: every timeit runs with this many busy-looping processes beside it.
BUSY = _busy_from_argv(sys.argv)


# Spins until its parent goes away, so a killed benchmark leaves no competitor behind.
_BUSY_LOOP = """
import os
parent = os.getppid()
while os.getppid() == parent:
    for _ in range(200000):
        pass
"""


@contextlib.contextmanager
def busy(n):
    """Run ``n`` busy-looping processes (a loaded laptop, a CI neighbour) meanwhile."""
    procs = [subprocess.Popen([sys.executable, "-c", _BUSY_LOOP]) for _ in range(n)]
    try:
        if procs:
            time.sleep(0.3)          # let them start and take their share of the cores
        yield
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def timeit(fn, *, min_time=0.3, repeat=5, warmup=1, competitors=None):
    """Median seconds per call over ``repeat`` rounds of at least ``min_time`` each,
    with ``competitors`` busy processes running (default: ``--busy N``, else none)."""
    with busy(BUSY if competitors is None else competitors):
        return _timeit(fn, min_time, repeat, warmup)


def _timeit(fn, min_time, repeat, warmup):
    for _ in range(warmup):
        fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time / repeat or n >= 1 << 20:
            break
        n *= 2
    rounds = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter() - t0) / n)
    rounds.sort()
    return rounds[len(rounds) // 2]


def optional(name):
    """Import ``name`` if installed, else None."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def fmt_time(seconds):
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


def fmt_ratio(a, b):
    if a is None or b is None:
        return "-"
    return f"{a / b:.2f}x"


def machine():
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def time_lib(jax, lib, f, *args):
    """Seconds per call of ``f(*args)`` for ``lib`` ("jaxlite" or "JAX"): JAX's
    arguments are put on its device first and its results waited for."""
    if lib == "JAX":
        args = [jax.device_put(a) for a in args]
        return timeit(lambda: jax.block_until_ready(f(*args)))
    return timeit(lambda: f(*args))


def checked_row(label, jax, libs, make, args, want, scale, tol, numpy_fn):
    """``[label, jaxlite s, numpy s, JAX s]``: ``jit(make(jnp))`` of each library
    in ``libs`` (name -> (jax-like, numpy-like)) on ``args``, its result checked
    first (largest error against ``want``, over ``scale``, below ``tol``); and
    ``numpy_fn`` on the same arguments."""
    times = {}
    for lib, (jx, jnp) in libs.items():
        f = jx.jit(make(jnp))
        err = np.abs(np.asarray(f(*args)) - want).max() / scale
        assert err < tol, (lib, label, err)
        times[lib] = time_lib(jax, lib, f, *args)
    t_np = timeit(lambda: numpy_fn(*args), repeat=5, min_time=0.3)
    return [label, times["jaxlite"], t_np, times.get("JAX")]


@contextlib.contextmanager
def jax_x64(jax, on):
    """JAX with 64-bit types inside the block when ``on`` (back to its default
    after); nothing changes when ``on`` is false."""
    if not on:
        yield
        return
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", False)


def versus_section(title, jax, rows, extra=""):
    """A section of rows ``(workload, jaxlite s, numpy s, JAX s)`` with both
    ratios; ``extra`` goes into the heading's parentheses after the machine."""
    header = ["workload", "jaxlite", "numpy", "JAX", "numpy/jaxlite", "JAX/jaxlite"]
    body = [[name, fmt_time(t_jl), fmt_time(t_np), fmt_time(t_jx), fmt_ratio(t_np, t_jl),
             fmt_ratio(t_jx, t_jl)] for name, t_jl, t_np, t_jx in rows]
    note = f"JAX {jax.__version__}" if jax is not None else "JAX not installed"
    return (f"### {title} ({machine()}, {extra}{note}; ratios > 1 mean jaxlite is faster)\n\n"
            + table(header, body))
