"""Compile throughput while other threads run jitted code: jaxlite vs JAX.

    python benchmarks/bench_compile.py [--threads 0,2,8] [--seconds 4]

One fresh process per cell (library, N busy threads), disk cache off. N threads
call an already compiled function (tanh-sum of 2^16 floats, tens of microseconds
of native code per call) in a loop while the main thread compiles one function
for new shapes, one compile per shape, for a fixed time. The figure is compiles
per second. Bar (issue 13): compiling must not stall behind running code (the
LLVM lock is held only around LLVM's own work), so the rate with busy threads
falls about as the CPU share does, not 50x.
"""
import os
import subprocess
import sys

from common import machine, optional, table

_CHILD = r'''
import sys, threading, time
import numpy as np
lib, nbusy, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
if lib == "jaxlite":
    import jaxlite as jx, jaxlite.numpy as jnp
    done = np.asarray
else:
    import jax as jx, jax.numpy as jnp
    done = lambda y: y.block_until_ready()
work = jx.jit(lambda x: jnp.sum(jnp.tanh(x) * 2.0 + 1.0))
xw = np.linspace(-1.0, 1.0, 1 << 16).astype(np.float32)
done(work(xw))
stop = threading.Event()
calls = [0] * nbusy

def busy(i):
    while not stop.is_set():
        done(work(xw))
        calls[i] += 1

threads = [threading.Thread(target=busy, args=(i,), daemon=True) for i in range(nbusy)]
for t in threads:
    t.start()
f = jx.jit(lambda x: jnp.sin(x) * 2.0 + jnp.cos(x) * x)
done(f(np.ones(2, np.float32)))
time.sleep(0.2)
n, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < seconds:
    done(f(np.ones(n + 3, np.float32)))        # a new shape: trace + compile
    n += 1
rate = n / (time.perf_counter() - t0)
stop.set()
for t in threads:
    t.join()
print(rate, sum(calls))
'''


def measure(lib, nbusy, seconds, python=sys.executable):
    """(compiles per second, busy calls made) in a fresh process; None if it failed."""
    env = dict(os.environ, JAXLITE_DISABLE_DISK_CACHE="1", JAX_PLATFORMS="cpu")
    out = subprocess.run([python, "-c", _CHILD, lib, str(nbusy), str(seconds)],
                         capture_output=True, text=True, env=env, timeout=600)
    if out.returncode:
        sys.stderr.write(out.stderr[-2000:])
        return None
    rate, calls = out.stdout.split()
    return float(rate), int(calls)


def _arg(name, default):
    for i, a in enumerate(sys.argv):
        if a == name and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
    return default


def run(threads=(0, 2, 8), seconds=4.0):
    libs = ["jaxlite"] + (["JAX"] if optional("jax") is not None else [])
    rates = {}
    for n in threads:
        for lib in libs:
            rates[lib, n] = measure(lib, n, seconds)
    rows = []
    for n in threads:
        row = [f"{n} busy threads"]
        for lib in libs:
            m, idle = rates[lib, n], rates[lib, threads[0]]
            row.append("failed" if m is None else f"{m[0]:.1f}/s")
            row.append("-" if m is None or idle is None else f"{m[0] / idle[0]:.2f}")
        jl, jx = rates["jaxlite", n], rates.get(("JAX", n))
        row.append(f"{jl[0] / jx[0]:.2f}x" if jl and jx else "-")
        rows.append(row)
    header = ["state"]
    for lib in libs:
        header += [f"{lib} compiles", f"{lib} vs {threads[0]} threads"]
    header.append("jaxlite/JAX")
    return ("### Compile throughput while other threads run jitted code\n\n"
            f"Machine: {machine()}. `python benchmarks/bench_compile.py`: one fresh "
            "process per cell, disk cache off; N threads loop over an already compiled "
            "tanh-sum of 2^16 floats while the main thread compiles one function for a "
            f"new shape per call, for {seconds:g} s.\n\n" + table(header, rows))


if __name__ == "__main__":
    states = tuple(int(v) for v in _arg("--threads", "0,2,8").split(","))
    print(run(states, float(_arg("--seconds", "4"))))
