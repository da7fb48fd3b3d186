"""Process memory (RSS) after many compilations: jaxlite vs JAX, one fresh process each.

    python benchmarks/bench_memory.py [N]      # default N = 2000

* distinct shapes: one jitted function called on N shapes; every executable stays
  live (the function's cache holds it): the growth per live executable.
* closures: N closures ``jit(lambda x, c=i: x * c + 1.0)`` of one shape, each called
  once and dropped. Their executables die with them beyond the compiler's bounded
  cache (256 executables), so RSS should stop growing once it is full: the growth
  from N/4 to N closures is the growth after eviction.
Bars (issue 13): at most 0.2 MB per live executable, no growth after eviction.

Beside RSS, the native heap in use (glibc's mallinfo2, exact: no page rounding or
freed-but-kept memory) after eviction, per closure. jaxlite's is llvmlite's floor:
1488 bytes of PassInstrumentationCallbacks per compile that llvmlite never frees
(compiler/engine.py, optimize).
"""
import os
import subprocess
import sys

from common import machine, optional, table

_CHILD = r'''
import ctypes, gc, os, sys
import numpy as np
lib, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
class Mallinfo2(ctypes.Structure):
    _fields_ = [(f, ctypes.c_size_t) for f in (
        "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost").split()]
libc = ctypes.CDLL(None)
if hasattr(libc, "mallinfo2"):
    libc.mallinfo2.restype = Mallinfo2
def heap():             # MB of native heap in use (nan without glibc's mallinfo2)
    if not hasattr(libc, "mallinfo2"):
        return float("nan")
    info = libc.mallinfo2()
    return (info.uordblks + info.hblkhd) / 2 ** 20
if lib == "jaxlite":
    import jaxlite as jx, jaxlite.numpy as jnp
else:
    import jax as jx, jax.numpy as jnp
def run(x):
    return np.asarray(x)
f = jx.jit(lambda x: jnp.sum(jnp.tanh(x) * 2.0 + 1.0))
run(f(np.ones(3, np.float32)))
x7 = np.ones(7, np.float32)
for i in range(2):                          # warm the closure path too
    run(jx.jit(lambda x, c=i: x * c + 1.0)(x7))
gc.collect()
r0, h0 = rss(), heap()
marks = []
for i in range(n):
    if mode == "shapes":
        run(f(np.ones(i + 5, np.float32)))
    else:
        run(jx.jit(lambda x, c=i + 2: x * c + 1.0)(x7))
    if i + 1 in (n // 4, n):
        gc.collect()
        marks.append(rss() - r0)
        marks.append(heap() - h0)
print(*marks)
'''


def _measure(python, lib, mode, n):
    env = dict(os.environ, JAXLITE_DISABLE_DISK_CACHE="1", JAX_PLATFORMS="cpu")
    out = subprocess.run([python, "-c", _CHILD, lib, mode, str(n)], capture_output=True,
                         text=True, env=env, timeout=3600)
    if out.returncode:
        return None
    return [float(v) for v in out.stdout.split()]


def measure(n=2000, python=sys.executable):
    """{(library, mode): [RSS, heap growth in MB after n/4, RSS, heap after n]}
    (None: failed)."""
    libs = ["jaxlite"] + (["JAX"] if optional("jax") is not None else [])
    return {(lib, mode): _measure(python, lib, mode, n)
            for mode in ("shapes", "closures") for lib in libs}


def rows(results, n=2000):
    """The issue's rows, one per library: growth after n distinct-shape compiles
    (all live), per live executable, after n dropped closures, and after eviction
    (closures n/4 -> n: the compiler's cache is full from 256 on)."""
    out = []
    for lib in dict.fromkeys(lib for lib, _ in results):
        shapes, closures = results[lib, "shapes"], results[lib, "closures"]
        row = [lib]
        row += ["failed"] * 2 if shapes is None else [f"{shapes[2]:+.1f} MB",
                                                      f"{shapes[2] / n * 1024:.0f} KB"]
        row += ["failed"] * 4 if closures is None else [
            f"{closures[2]:+.1f} MB", f"{closures[2] - closures[0]:+.1f} MB",
            f"{(closures[2] - closures[0]) / (n - n // 4) * 1024:.1f} KB",
            f"{(closures[3] - closures[1]) / (n - n // 4) * 2 ** 20:.0f} B"]
        out.append(row)
    return out


def run(n=2000):
    header = ["library", f"RSS after {n} distinct-shape compiles (all live)",
              "per live executable", f"RSS after {n} closures (dropped)",
              f"after eviction (closures {n // 4} -> {n})", "per evicted closure",
              "native heap per evicted closure"]
    return ("### Memory: RSS growth after many compilations\n\n"
            f"Machine: {machine()}. `python benchmarks/bench_memory.py {n}`: one fresh "
            "process per cell, disk cache off; closures are `jit(lambda x, c=i: x * c + "
            "1.0)` on one shape, each called once then dropped. Bars (issue 13): at most "
            "0.2 MB per live executable, no growth after eviction (jaxlite holds the "
            "newest 256 executables or 64 MB, the rest only while a jitted function "
            "holds them). Native heap: glibc's in-use bytes (mallinfo2); jaxlite's is "
            "llvmlite's floor, 1488 B of pass instrumentation per compile that llvmlite "
            "never frees.\n\n" + table(header, rows(measure(n), n)))


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
