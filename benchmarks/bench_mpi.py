"""Collectives over MPI processes: jitted psum of a gradient pytree against
mpi4py's own Allreduce (the floor), and a data-parallel training step on 1
and 2 processes.

    python benchmarks/bench_mpi.py              # launches mpiexec itself (needs '.[mpi]')
    python benchmarks/bench_mpi.py --breakdown  # the 1e6 psum's time, layer by layer

The parent launches ``mpiexec -n N python bench_mpi.py --worker KIND``; rank 0
of each job prints one JSON line, which the parent turns into tables.
Every process runs single-threaded (JAXLITE_THREADS=1, one BLAS thread), so
two processes use two cores and the scaling row compares like with like.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
SIZES = [10 ** 6, 10 ** 8]       # bytes of the gradient pytree
LEAVES = 4                       # float32 leaves of equal size


def _timed(fns, comm, rounds, block):
    """Seconds of every call, per function and round. In each round every
    function runs ``block`` calls in a row, the functions in an order drawn
    anew per round (the same on every rank); each call starts after a
    Barrier, so the ranks start it together. Blocks keep one function's
    after-effects (allocator, MPI's caches) mostly off the next one's calls
    and the shuffled order spreads the machine's load over all of them."""
    rng = np.random.default_rng(0)
    times = [[[] for _ in range(rounds)] for _ in fns]
    for r in range(rounds):
        for i in rng.permutation(len(fns)):
            for _ in range(block):
                comm.Barrier()
                t = time.perf_counter()
                fns[i]()
                times[i][r].append(time.perf_counter() - t)
    return times


def _median(rounds):
    return float(np.median(np.concatenate(rounds)))


def worker_psum():
    import jaxlite
    from jaxlite import distributed, lax
    distributed.initialize()
    comm = distributed.mpi_comm()
    rows = []
    for nbytes in SIZES:
        n = nbytes // 4 // LEAVES
        tree = [np.full(n, comm.Get_rank() + k, np.float32) for k in range(LEAVES)]
        flat = np.concatenate(tree)
        out = np.empty_like(flat)
        outs = [np.empty_like(t) for t in tree]
        psum = distributed.spmd(jaxlite.jit(lambda t: lax.psum(t, "batch")), "batch")
        got = psum(tree)                                     # compile, check
        assert np.allclose(got[1], sum(r + 1 for r in range(comm.Get_size())))
        del got
        rounds, block = (30, 10) if nbytes <= 10 ** 6 else (5, 2)
        jitted, floor, per_leaf = _timed(
            [lambda: psum(tree), lambda: comm.Allreduce(flat, out),
             lambda: [comm.Allreduce(t, o) for t, o in zip(tree, outs)]], comm, rounds, block)
        # New arrays every call: timed apart, its allocations would slow the others.
        (fresh,) = _timed([lambda: [comm.Allreduce(t, np.empty_like(t)) for t in tree]],
                          comm, rounds, block)
        ratios = [np.median(j) / np.median(f) for j, f in zip(jitted, floor)]
        rows.append({"bytes": nbytes, "jit": _median(jitted), "floor": _median(floor),
                     "per_leaf": _median(per_leaf), "fresh": _median(fresh),
                     "ratio_lo": float(min(ratios)), "ratio_hi": float(max(ratios)),
                     "calls": rounds * block})
    if comm.Get_rank() == 0:
        print(json.dumps({"psum": rows}), flush=True)


def worker_breakdown():
    """Where a jitted psum of the 1e6-byte pytree spends its time, each layer
    timed like the floor: the compiled kernel alone on outputs laid out as the
    runtime lays them out, the executable's Python call, the whole jitted
    call under spmd; and mpi4py's in-place Allreduce of one buffer."""
    from mpi4py import MPI
    import jaxlite
    from jaxlite import distributed, lax
    distributed.initialize()
    comm = distributed.mpi_comm()
    n = SIZES[0] // 4 // LEAVES
    tree = [np.full(n, comm.Get_rank() + k, np.float32) for k in range(LEAVES)]
    flat = np.concatenate(tree)
    out, in_place = np.empty_like(flat), np.zeros_like(flat)
    f = jaxlite.jit(lambda t: lax.psum(t, "batch"))
    psum = distributed.spmd(f, "batch")
    exe = distributed.spmd(lambda t: f.lower(t).compile().executable, "batch")(tree)
    kernel = exe.unchecked()
    block = np.empty(n * LEAVES, np.float32)        # contiguous outputs, as the runtime's
    held = [block[k * n:(k + 1) * n] for k in range(LEAVES)]
    fns = {"floor": lambda: comm.Allreduce(flat, out),
           "mpi4py in-place, 1 buffer": lambda: comm.Allreduce(MPI.IN_PLACE, in_place),
           "compiled kernel alone": lambda: kernel(*tree, *held),
           "+ executable call": lambda: exe(*tree), "+ jit and spmd (the jit psum)": lambda: psum(tree)}
    times = _timed(list(fns.values()), comm, 30, 10)
    floor = np.concatenate(times[0])
    if comm.Get_rank() == 0:
        rows = [(name, np.concatenate(t)) for name, t in zip(fns, times)]
        print(json.dumps({"breakdown": [
            {"what": name, "median": float(np.median(t)), "q10": float(np.percentile(t, 10)),
             "ratio": float(np.median(t) / np.median(floor)),
             "ratio_q10": float(np.percentile(t, 10) / np.percentile(floor, 10))}
            for name, t in rows]}), flush=True)


def worker_step():
    import jaxlite
    import jaxlite.numpy as jnp
    from jaxlite import distributed, lax, random, tree_util
    distributed.initialize()
    rank, count = distributed.process_index(), distributed.process_count()
    batch, sizes = 4096, (256, 512, 512, 10)
    keys = random.split(random.PRNGKey(0), len(sizes) - 1)
    params = [(random.normal(k, (m, n)) / np.sqrt(m), jnp.zeros(n))
              for k, m, n in zip(keys, sizes[:-1], sizes[1:])]

    def loss(params, x, y):
        for w, b in params[:-1]:
            x = jnp.tanh(x @ w + b)
        w, b = params[-1]
        return jnp.mean((x @ w + b - y) ** 2)

    @jaxlite.jit
    def step(params, x, y):
        grads = lax.pmean(jaxlite.grad(loss)(params, x, y), "batch")
        return tree_util.tree_map(lambda p, g: p - 0.01 * g, params, grads)

    step = distributed.spmd(step, "batch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.standard_normal((batch, sizes[-1])).astype(np.float32)
    shard = slice(rank * batch // count, (rank + 1) * batch // count)
    xs, ys = x[shard], y[shard]
    step(params, xs, ys)                                     # compile
    comm = distributed.mpi_comm()
    (seconds,) = _timed([lambda: step(params, xs, ys)], comm, 4, 5)
    seconds = _median(seconds)
    if rank == 0:
        print(json.dumps({"step": {"processes": count, "seconds": seconds,
                                   "batch": batch}}), flush=True)


def _mpiexec():
    here = pathlib.Path(sys.executable).parent / "mpiexec"
    found = str(here) if here.exists() else shutil.which("mpiexec")
    version = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
    return [found] + (["--oversubscribe"] if "Open MPI" in version else [])


def _launch(n, kind):
    env = dict(os.environ, JAXLITE_THREADS="1", JAXLITE_BLAS_THREADS="1",
               OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    out = subprocess.run(_mpiexec() + ["-n", str(n), sys.executable, __file__, "--worker", kind],
                         capture_output=True, text=True, env=env, timeout=900)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def run():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return ("## Collectives over MPI processes\n\nSkipped: mpi4py is not installed "
                "(`pip install -e '.[mpi]'`).")
    psum = _launch(2, "psum")["psum"]
    steps = [_launch(n, "step")["step"] for n in (1, 2)]
    lines = ["## Collectives over MPI processes",
             "",
             "`python benchmarks/bench_mpi.py` (launches `mpiexec -n 2` itself; MPICH from the "
             "`mpich` wheel, one machine, shared memory). Jitted `lax.psum` of a pytree of "
             f"{LEAVES} float32 leaves over 2 processes (one in-place `MPI_Allreduce` from "
             "native code on the outputs, which the runtime lays out contiguously, after "
             "copying the leaves in; above 16 MB one call per leaf from input to output) "
             "against mpi4py's `Allreduce` of one numpy buffer of the same total size into a "
             "preallocated output (the floor), one `Allreduce` per leaf, and one per leaf into "
             "new arrays (what a function returning new arrays pays; timed after the others, "
             "since its allocations slow them). Every call starts after a `Barrier`; the first "
             "three run in blocks of consecutive calls, in an order shuffled per round. "
             "Median per call over all rounds; the last column is the range of the per-round "
             "ratio.",
             "",
             "| pytree bytes | jaxlite jit psum | mpi4py Allreduce, 1 buffer | mpi4py, per leaf "
             "| mpi4py, per leaf into new arrays | jit / floor | per-round range |",
             "|---|---|---|---|---|---|---|"]
    for r in psum:
        lines.append(f"| {r['bytes']:.0e} | {r['jit'] * 1e3:.3f} ms | {r['floor'] * 1e3:.3f} ms "
                     f"| {r['per_leaf'] * 1e3:.3f} ms | {r['fresh'] * 1e3:.3f} ms "
                     f"| {r['jit'] / r['floor']:.2f} | {r['ratio_lo']:.2f}-{r['ratio_hi']:.2f} |")
    one = steps[0]["seconds"]
    lines += ["",
              f"Data-parallel step (MLP 256-512-512-10, global batch {steps[0]['batch']}, "
              "jitted grad + `pmean` of the gradients + SGD update), each process "
              "single-threaded, the batch split over the processes:",
              "",
              "| processes | time per step | speed-up |",
              "|---|---|---|"]
    for s in steps:
        lines.append(f"| {s['processes']} | {s['seconds'] * 1e3:.2f} ms | "
                     f"{one / s['seconds']:.2f}x |")
    return "\n".join(lines)


def breakdown():
    rows = _launch(2, "breakdown")["breakdown"]
    lines = [f"Jitted psum of the {SIZES[0]:.0e}-byte pytree, layer by layer "
             "(median, 10th percentile; ratios to the floor's):", "",
             "| what | median | / floor | 10th pct | / floor |", "|---|---|---|---|---|"]
    lines += [f"| {r['what']} | {r['median'] * 1e3:.3f} ms | {r['ratio']:.2f} | "
              f"{r['q10'] * 1e3:.3f} ms | {r['ratio_q10']:.2f} |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        {"psum": worker_psum, "step": worker_step, "breakdown": worker_breakdown}[sys.argv[2]]()
    elif sys.argv[1:] == ["--breakdown"]:
        print(breakdown())
    else:
        print(run())
