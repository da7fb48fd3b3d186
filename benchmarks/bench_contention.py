"""The main workloads on a busy machine: idle, then beside 1 and 2 busy competitors.

    python benchmarks/bench_contention.py            # markdown table
    python benchmarks/bench_contention.py --states 0,2
    python benchmarks/bench_contention.py --busy 2     # that state only
    python benchmarks/bench_contention.py --rows matmul,dispatch   # rows naming these

Each row is one workload in one state (N busy-looping processes running during
the timed calls, see ``common.busy``); jaxlite and JAX are timed back to back in
that state, in the same process, so a machine that is loaded by something else
affects both alike. Bars (issue 13): no workload slower than 2.5x its own idle
time, none slower than JAX in the same state.
"""
import sys
import time

import numpy as np

from common import BUSY, busy, fmt_ratio, fmt_time, jax_x64, machine, optional, table

import jaxlite
import jaxlite.numpy as jlnp
from jaxlite import lax as jllax
from jaxlite.scipy import linalg as jlsl
import workloads as W
from bench_control_flow import rnn_loss, _rnn_data
from bench_linalg import gp_loss

jax = optional("jax")
if jax is not None:
    import jax.numpy as jjnp
    from jax import lax as jxlax
    from jax.scipy import linalg as jxsl

LIBS = {"jaxlite": (jaxlite, jlnp, jllax, jlsl)}
if jax is not None:
    LIBS["JAX"] = (jax, jjnp, jxlax, jxsl)


def _gp_data():
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0.0, 10.0, 500))
    y = np.sin(x) + 0.1 * rng.standard_normal(500)
    return np.log(np.array([1.0, 1.0, 0.3])), x, y


def workload_list():
    """(name, make(jx, jnp, lax, jsl) -> jitted f, args, needs x64)."""
    sizes = (784, 512, 512, 10)
    mlp = (W.mlp_params(sizes),) + W.mlp_data(sizes, 128)
    ex_sizes = (64, 128, 10)
    ex = (W.mlp_params(ex_sizes),) + W.mlp_data(ex_sizes, 128)
    chain = np.random.default_rng(2).normal(size=1_000_000).astype(np.float32)
    lse = np.random.default_rng(3).normal(size=(1000, 1000)).astype(np.float32)
    chain_name = "sum(tanh(x)*exp(-x*x)+0.5*sin(3x))"
    mm = np.random.default_rng(4).normal(size=(2, 512, 512)).astype(np.float32)
    small = np.ones(3, np.float32)
    return [
        ("MLP 784-512-512-10 step, batch 128",
         lambda jx, jnp, lax, jsl: jx.jit(jx.value_and_grad(W.mlp_loss(jx, jnp))), mlp, False),
        ("per-example grads, MLP 64-128-10, batch 128",
         lambda jx, jnp, lax, jsl: jx.jit(jx.vmap(jx.grad(W.example_loss(jx, jnp)),
                                                 in_axes=(None, 0, 0))), ex, False),
        (f"fused {chain_name}, 1e6 f32",
         lambda jx, jnp, lax, jsl: jx.jit(W.chain_workloads(jnp)[chain_name]), (chain,), False),
        ("logsumexp rows, 1000x1000 f32",
         lambda jx, jnp, lax, jsl: jx.jit(W.logsumexp_rows(jnp)), (lse,), False),
        ("matmul 512x512 f32",
         lambda jx, jnp, lax, jsl: jx.jit(lambda a, b: a @ b), (mm[0], mm[1]), False),
        ("dispatch: jit(lambda x: x + 1), 3 f32",
         lambda jx, jnp, lax, jsl: jx.jit(lambda x: x + 1), (small,), False),
        ("tanh RNN via scan, value_and_grad, H=128 T=100 B=32",
         lambda jx, jnp, lax, jsl: jx.jit(jx.value_and_grad(rnn_loss(lax, jnp))),
         _rnn_data(), False),
        ("GP -log marginal likelihood grad, n=500 f64",
         lambda jx, jnp, lax, jsl: jx.jit(jx.value_and_grad(gp_loss(jnp, jsl))),
         _gp_data(), True),
    ]


def _timer(lib, f, args):
    if lib == "JAX":
        args = jax.device_put(args)
        return lambda: jax.block_until_ready(f(*args))
    return lambda: f(*args)


def measure(states, rounds=7, round_time=0.06, rows=None):
    """{(workload, state): {lib: seconds}}. In each state the libraries alternate
    round by round (median of ``rounds``), so a load change outside the benchmark
    hits both alike. ``rows``: words one of which a workload's name must contain."""
    results = {}
    for name, make, args, x64 in workload_list():
        if rows and not any(word in name for word in rows):
            continue
        with jax_x64(jax, x64 and jax is not None):
            calls = {lib: _timer(lib, make(*mods), args) for lib, mods in LIBS.items()}
            inner = {}
            for lib, call in calls.items():
                call()                                   # compile outside the timing
                t0 = time.perf_counter()
                call()
                inner[lib] = max(1, int(round_time / max(time.perf_counter() - t0, 1e-7)))
            for n in states:
                with busy(n):
                    results[(name, n)] = _interleaved(calls, inner, rounds)
    return results


SETTLE = 0.1


def _interleaved(calls, inner, rounds):
    times = {lib: [] for lib in calls}
    for call in calls.values():
        call()                                           # warm after the state change
    for _ in range(rounds):
        for lib, call in calls.items():
            # The other library's threads spin for a while after its last call (JAX's
            # for tens of milliseconds): let them go to sleep, then warm up this one.
            time.sleep(SETTLE)
            call()
            t0 = time.perf_counter()
            for _ in range(inner[lib]):
                call()
            times[lib].append((time.perf_counter() - t0) / inner[lib])
    return {lib: sorted(t)[len(t) // 2] for lib, t in times.items()}


def _states_from_argv(argv):
    """``--states 0,2``, or ``--busy N`` for that one state; default 0, 1 and 2."""
    for i, arg in enumerate(argv):
        if arg == "--states" and i + 1 < len(argv):
            return [int(s) for s in argv[i + 1].split(",")]
    if BUSY:
        return [BUSY]
    return [0, 1, 2]


def _rows_from_argv(argv):
    """``--rows matmul,dispatch``: only the workloads whose names contain one of these."""
    for i, arg in enumerate(argv):
        if arg == "--rows" and i + 1 < len(argv):
            return argv[i + 1].split(",")
    return None


def run(states=(0, 1, 2), rows=None):
    results = measure(list(states), rows=rows)
    rows = []
    for (name, n), t in results.items():
        idle = results.get((name, 0), {})
        rows.append([name, n, fmt_time(t["jaxlite"]), fmt_time(t.get("JAX")),
                     fmt_ratio(t.get("JAX"), t["jaxlite"]),
                     fmt_ratio(t["jaxlite"], idle.get("jaxlite")),
                     fmt_ratio(t.get("JAX"), idle.get("JAX"))])
    header = ["workload", "busy competitors", "jaxlite", "JAX", "JAX / jaxlite",
              "jaxlite / own idle", "JAX / own idle"]
    return ("## Contention: the main workloads beside busy processes\n\n"
            f"Machine: {machine()}. `--busy N` (benchmarks/common.py) runs N busy-looping "
            "processes during the timed calls; jaxlite and JAX are timed in turn in each "
            "state, in one process, alternating round by round. Bars: jaxlite / own idle "
            "<= 2.5x, JAX / jaxlite >= 1.\n\n"
            + table(header, rows))


if __name__ == "__main__":
    print(run(_states_from_argv(sys.argv), _rows_from_argv(sys.argv)))
