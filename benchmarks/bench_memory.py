"""Process memory (RSS) after many compilations: jaxlite vs JAX, one fresh process each.

    python benchmarks/bench_memory.py [N]      # default N = 2000

* distinct shapes: one jitted function called on N shapes; every executable stays
  live (the function's cache holds it), so this is the memory per live executable.
* closures: N jitted closures (a different captured constant each) called once and
  dropped; their executables die with them (the compiler keeps a bounded cache), so
  growth should stop once that cache is full: the RSS after N/4 and after N.
Bar (issue 13): at most 0.2 MB per live executable, no growth after eviction.
"""
import os
import subprocess
import sys

from common import machine, optional, table

_CHILD = r'''
import gc, os, sys
import numpy as np
lib, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
if lib == "jaxlite":
    import jaxlite as jx, jaxlite.numpy as jnp
else:
    import jax as jx, jax.numpy as jnp
def run(x):
    return np.asarray(x)
f = jx.jit(lambda x: jnp.sum(jnp.tanh(x) * 2.0 + 1.0))
run(f(np.ones(3, np.float32)))
for c in (0.5, 1.5):                        # warm the closure path too
    run(jx.jit(lambda x: jnp.sum(jnp.tanh(x) * c + 1.0))(np.ones(7, np.float32)))
gc.collect()
r0 = rss()
marks = []
for i in range(n):
    if mode == "shapes":
        run(f(np.ones(i + 5, np.float32)))
    else:
        c = float(i) + 2.0
        run(jx.jit(lambda x: jnp.sum(jnp.tanh(x) * c + 1.0))(np.ones(7, np.float32)))
    if i + 1 in (n // 4, n):
        gc.collect()
        marks.append(rss() - r0)
print(*marks)
'''


def _measure(python, lib, mode, n):
    env = dict(os.environ, JAXLITE_DISABLE_DISK_CACHE="1", JAX_PLATFORMS="cpu")
    out = subprocess.run([python, "-c", _CHILD, lib, mode, str(n)], capture_output=True,
                         text=True, env=env, timeout=3600)
    if out.returncode:
        return None
    return [float(v) for v in out.stdout.split()]


def run(n=2000):
    python = sys.executable
    libs = ["jaxlite"] + (["JAX"] if optional("jax") is not None else [])
    rows = []
    for mode, what in (("shapes", f"{n} distinct-shape compiles of one function (all live)"),
                       ("closures", f"{n} jitted closures, each called once then dropped")):
        for lib in libs:
            m = _measure(python, lib, mode, n)
            if m is None:
                rows.append([what, lib, "failed", "-", "-"])
                continue
            quarter, full = m
            rows.append([what, lib, f"{quarter:+.1f} MB", f"{full:+.1f} MB",
                         f"{full / n * 1e3:.0f} KB"])
    header = ["workload", "library", f"RSS after {n // 4}", f"RSS after {n}",
              "per compile"]
    return ("## Memory: RSS growth after many compilations\n\n"
            f"Machine: {machine()}. One fresh process per cell, disk cache off. "
            "Bars: at most 0.2 MB per live executable; closures' growth stops once the "
            "compiler's bounded cache is full (jaxlite keeps the last 256 executables or "
            "64 MB strongly, the rest only while a jitted function holds them).\n\n"
            + table(header, rows))


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
