"""The cost of each debugging switch, off and on (docs/DEBUGGING.md).

    python benchmarks/bench_debug.py     # prints a markdown table

Each row times one workload with every switch off, then with one switch on:

* eager ops: ``sum(tanh(x) * 2 + 1)`` op by op on 100 float32 values;
* eager grad: ``grad`` of it;
* jit call, small: the jitted function on 100 values (the fast call path);
* jit call, 1e6: the jitted function on 10^6 values (output checks scale with size);
* retrace: ``jit(f).lower(x)`` of a fresh function (trace-cache miss path; no compile).

Off, the switches swap no code in, so the "off" column is the ordinary path;
``bench_debug.py --compare-with <dir>`` also times the eager and jit rows
under another checkout (PYTHONPATH) for a before/after comparison.
"""
import logging
import os
import subprocess
import sys

import numpy as np

from common import fmt_ratio, fmt_time, machine, table, timeit

import jaxlite
import jaxlite.numpy as jnp

SWITCHES = ["jax_debug_nans", "jax_debug_infs", "jaxlite_checked_mode",
            "jax_explain_cache_misses", "jax_log_compiles"]


def f(x):
    return jnp.sum(jnp.tanh(x) * 2 + 1)


def workloads():
    small = np.linspace(-1, 1, 100, dtype=np.float32)
    big = np.linspace(-1, 1, 1_000_000, dtype=np.float32)
    grad_f = jaxlite.grad(f)
    jf = jaxlite.jit(f)

    def retrace():
        def g(x):
            return jnp.sum(jnp.tanh(x) * 2 + 1)
        jaxlite.jit(g).lower(small)
    return {"eager ops (100)": lambda: f(small),
            "eager grad (100)": lambda: grad_f(small),
            "jit call (100)": lambda: jf(small),
            "jit call (1e6)": lambda: jf(big),
            "retrace (no compile)": retrace}


def measure(names=None):
    """{workload: {switch or 'off': seconds}}."""
    quiet = logging.getLogger("jaxlite")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    loads = workloads()
    out = {}
    for name, fn in loads.items():
        if names is not None and name not in names:
            continue
        row = {"off": timeit(fn, min_time=0.2)}
        for s in SWITCHES:
            jaxlite.config.update(s, True)
            try:
                row[s] = timeit(fn, min_time=0.2)
            finally:
                jaxlite.config.update(s, False)
        row["off again"] = timeit(fn, min_time=0.2)
        out[name] = row
    return out


def run():
    results = measure()
    header = ["workload", "all off"] + [s.replace("jaxlite_", "").replace("jax_", "")
                                        for s in SWITCHES] + ["off again"]
    rows = []
    for name, row in results.items():
        off = row["off"]
        rows.append([name, fmt_time(off)]
                    + [f"{fmt_time(row[s])} ({fmt_ratio(row[s], off)})" for s in SWITCHES]
                    + [fmt_time(row["off again"])])
    return ("## Debugging switches: cost off and on\n\n"
            f"`python benchmarks/bench_debug.py` ({machine()}). Median time per call; "
            "in parentheses the ratio to all switches off. explain_cache_misses and "
            "log_compiles act only on a trace-cache miss (the retrace row); debug_nans/infs "
            "check every operation's output, eagerly and (as jit(checkify(f, nan_checks))) "
            "in compiled code; checked mode runs "
            "jit(checkify(f, all_checks)).\n\n" + table(header, rows))


def compare(other):
    """Eager and jit rows with all switches off here and under checkout ``other``."""
    # Each run imports this file and jaxlite from its own checkout (common.py puts
    # the checkout first on sys.path): copy bench_debug.py into the other one.
    code = ("import sys; sys.path.insert(0, 'benchmarks'); import bench_debug as b; "
            "from common import timeit; import jaxlite; w = b.workloads(); "
            "print({k: timeit(v, min_time=0.2) for k, v in w.items() "
            "if k != 'retrace (no compile)'})")
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rows = []
    for label, path in (("this checkout", here), (other, other)):
        env = dict(os.environ, PYTHONPATH=path)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True, cwd=path).stdout
        rows.append((label, eval(out)))     # noqa: S307 (our own dict of floats)
    names = list(rows[0][1])
    return table(["checkout"] + names,
                 [[label] + [fmt_time(r[n]) for n in names] for label, r in rows])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--compare-with":
        print(compare(sys.argv[2]))
    else:
        print(run())
