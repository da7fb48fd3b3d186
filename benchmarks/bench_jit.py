"""jit workloads through jaxlite, numpy and (when installed) JAX, in one process.

    python benchmarks/bench_jit.py            # prints a markdown table

Inputs are device-resident for JAX (device_put) and every JAX result is
blocked on, so all three measure the same thing. Ratios are what matter: the
machines are noisy, so compare numbers from one run only.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np

from common import optional, timeit, versus_section
import workloads as W

import jaxlite
import jaxlite.numpy as jlnp

jax = optional("jax")
if jax is not None:
    import jax.numpy as jjnp


def _jax_timer(f, *args):
    if jax is None:
        return None
    args = jax.device_put(args)
    jf = jax.jit(f)
    return timeit(lambda: jax.block_until_ready(jf(*args)))


def fused_rows():
    x = np.random.default_rng(0).normal(size=10_000_000).astype(np.float32)
    rows = []
    jl_fns = W.chain_workloads(jlnp)
    jx_fns = W.chain_workloads(jjnp) if jax is not None else {}
    for name, f in jl_fns.items():
        jf = jaxlite.jit(f)
        t_jl = timeit(lambda: jf(x))
        t_np = timeit(lambda: W.NUMPY_CHAINS[name](x))
        t_jx = _jax_timer(jx_fns[name], x) if jax is not None else None
        rows.append([f"{name}, 1e7 f32", t_jl, t_np, t_jx])
    xs = np.random.default_rng(1).normal(size=(4096, 1024)).astype(np.float32)
    jf = jaxlite.jit(W.logsumexp_rows(jlnp))
    rows.append(["row logsumexp 4096x1024 f32", timeit(lambda: jf(xs)),
                 timeit(lambda: W.numpy_logsumexp_rows(xs)),
                 _jax_timer(W.logsumexp_rows(jjnp), xs) if jax is not None else None])
    for name, make in W.ROW_WORKLOADS.items():      # numpy runs the same code as jaxlite
        jf = jaxlite.jit(make(jlnp))
        rows.append([f"{name} 4096x1024 f32", timeit(lambda: jf(xs)),
                     timeit(lambda: make(np)(xs)),
                     _jax_timer(make(jjnp), xs) if jax is not None else None])
    return rows


def mlp_rows():
    sizes, batch = [784, 512, 512, 10], 128
    params = W.mlp_params(sizes)
    x, y = W.mlp_data(sizes, batch)
    step = jaxlite.jit(jaxlite.value_and_grad(W.mlp_loss(jaxlite, jlnp)))
    t_jl = timeit(lambda: step(params, x, y))
    t_jx = None
    if jax is not None:
        jstep = jax.value_and_grad(W.mlp_loss(jax, jjnp))
        t_jx = _jax_timer(jstep, params, x, y)
    return [["jit(value_and_grad) MLP 784-512-512-10, batch 128", t_jl, None, t_jx]]


SGD_STEPS = 200


def _train(step, params, x, y):
    for _ in range(SGD_STEPS):
        params, value = step(params, x, y)
    return params, value


def sgd_rows():
    """200 training steps with the update inside the jitted step, with and
    without donating the parameters; the hand-written numpy loop updates in
    place. Each run starts from a fresh copy (donated parameters are deleted)."""
    import copy
    sizes, batch = [784, 512, 512, 10], 128
    params = W.mlp_params(sizes)
    x, y = W.mlp_data(sizes, batch)
    plain = jaxlite.jit(W.sgd_step(jaxlite, jlnp))
    donating = jaxlite.jit(W.sgd_step(jaxlite, jlnp), donate_argnums=0)
    fresh = lambda: jaxlite.tree_util.tree_map(jlnp.array, params)  # noqa: E731
    t_np = timeit(lambda: _train(W.numpy_sgd_step, copy.deepcopy(params), x, y), repeat=3)
    t_jl = timeit(lambda: _train(plain, fresh(), x, y), repeat=3)
    t_jl_d = timeit(lambda: _train(donating, fresh(), x, y), repeat=3)
    t_jx = t_jx_d = None
    if jax is not None:
        jplain = jax.jit(W.sgd_step(jax, jjnp))
        jdonating = jax.jit(W.sgd_step(jax, jjnp), donate_argnums=0)
        xd, yd = jax.device_put((x, y))

        def run_jax(step):
            p, v = _train(step, jax.device_put(params), xd, yd)
            jax.block_until_ready((p, v))
        t_jx = timeit(lambda: run_jax(jplain), repeat=3)
        t_jx_d = timeit(lambda: run_jax(jdonating), repeat=3)
    name = f"{SGD_STEPS} SGD steps, MLP 784-512-512-10, update inside jit"
    return [[name, t_jl, t_np, t_jx],
             [name + ", donate_argnums=0", t_jl_d, t_np, t_jx_d]]


def matmul_rows():
    a, b = (np.random.default_rng(s).normal(size=(512, 512)).astype(np.float32)
            for s in (2, 3))
    f = jaxlite.jit(lambda a, b: a @ b)
    return [["jit(a @ b), 512x512 f32", timeit(lambda: f(a, b)),
             timeit(lambda: np.matmul(a, b)),
             _jax_timer(lambda a, b: a @ b, a, b) if jax is not None else None]]


def per_example_rows():
    sizes, batch = [64, 128, 10], 256
    params = W.mlp_params(sizes)
    x, y = W.mlp_data(sizes, batch)
    loss = W.example_loss(jaxlite, jlnp)
    vg = jaxlite.vmap(jaxlite.grad(loss), in_axes=(None, 0, 0))
    jvg = jaxlite.jit(vg)
    g1 = jaxlite.jit(jaxlite.grad(loss))
    g_eager = jaxlite.grad(loss)
    t_loop_eager = timeit(lambda: [g_eager(params, x[i], y[i]) for i in range(batch)],
                          repeat=3, min_time=0.1)
    t_vmap_eager = timeit(lambda: vg(params, x, y), repeat=3)
    t_vmap_jit = timeit(lambda: jvg(params, x, y))
    t_loop_jit = timeit(lambda: [g1(params, x[i], y[i]) for i in range(batch)], repeat=3)
    rows = [["per-example grads 64-128-10 x256: eager vmap", t_vmap_eager, None, None],
            ["per-example grads: eager Python loop of grad", t_loop_eager, None, None],
            ["per-example grads: jit(vmap(grad))", t_vmap_jit, None,
             _jax_timer(jax.vmap(jax.grad(W.example_loss(jax, jjnp)), in_axes=(None, 0, 0)),
                        params, x, y) if jax is not None else None],
            ["per-example grads: Python loop of jit(grad)", t_loop_jit, None, None]]
    return rows


def overhead_rows():
    x = np.float32(1.0)
    f = jaxlite.jit(lambda x: x + 1)
    t_jl = timeit(lambda: f(x))
    t_jx = None
    if jax is not None:
        jf = jax.jit(lambda x: x + 1)
        xd = jax.device_put(x)
        t_jx = timeit(lambda: jf(xd).block_until_ready())
    return [["per-call overhead of jit(lambda x: x + 1)", t_jl, None, t_jx]]


# What is timed: wall time from building the jitted step to the end of its first
# call (trace, compile or disk-cache load, the compiler's own import, which jaxlite
# does at the first compile, and one execution), in a fresh process, after a
# prelude that imported the library and built the parameters. The CPU time over the
# same span, of the main thread and of the whole process (all threads: jaxlite's
# early load of libllvmlite, both libraries' worker threads), is printed too: a
# shared machine inflates wall time.
FIRST_CALL = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {bench_dir!r})
    import workloads as W
    if {use_jax}:
        import jax, jax.numpy as jnp
    else:
        import jaxlite as jax, jaxlite.numpy as jnp
    sizes = [784, 512, 512, 10]
    params = W.mlp_params(sizes); x, y = W.mlp_data(sizes, 128)
    if {use_jax}:
        params, x, y = jax.device_put((params, x, y))
    t1, c1, p1 = time.perf_counter(), time.thread_time(), time.process_time()
    step = jax.jit(jax.value_and_grad(W.mlp_loss(jax, jnp)))
    jax.block_until_ready(step(params, x, y))
    print(time.perf_counter() - t1, time.thread_time() - c1, time.process_time() - p1)
""")
# Fresh processes per figure (the median is reported): one sample is at the mercy of
# the machine's other work.
FIRST_CALL_REPEAT = 3


def _first_call(use_jax, env):
    """(wall, main-thread CPU, process CPU) seconds of one fresh process's first call."""
    code = FIRST_CALL.format(bench_dir=os.path.dirname(os.path.abspath(__file__)),
                             use_jax=use_jax)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    return tuple(float(t) for t in out.stdout.strip().splitlines()[-1].split())


def _median_first_call(use_jax, envs):
    runs = sorted(_first_call(use_jax, env) for env in envs)
    return runs[len(runs) // 2]


def first_call_rows():
    import tempfile
    # As users run it: Python's bytecode cache on, and one untimed run of each
    # library first (it writes the .pyc files and warms the OS file cache).
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    _first_call(False, dict(base, JAXLITE_DISABLE_DISK_CACHE="1"))
    if jax is not None:
        _first_call(True, base)
    # A new cache directory per cold run; the warm runs then find their entries there.
    envs = [dict(base, JAXLITE_CACHE_DIR=tempfile.mkdtemp(prefix="jaxlite-bench-cache-"))
            for _ in range(FIRST_CALL_REPEAT)]
    cold = _median_first_call(False, envs)
    warm = _median_first_call(False, envs)
    off = _median_first_call(False, [dict(e, JAXLITE_DISABLE_DISK_CACHE="1") for e in envs])
    jx = _median_first_call(True, [base] * FIRST_CALL_REPEAT) if jax is not None else None
    t_jx = jx[0] if jx else None
    return [["first call of MLP step, fresh process, cold disk cache", cold[0], None, t_jx],
            ["first call of MLP step, fresh process, warm disk cache", warm[0], None, t_jx],
            ["first call of MLP step, fresh process, disk cache disabled", off[0], None, t_jx],
            ["first call of MLP step, warm disk cache: main-thread CPU time", warm[1], None,
             jx[1] if jx else None],
            ["first call of MLP step, warm disk cache: process CPU time", warm[2], None,
             jx[2] if jx else None]]


def run(sections=("fused", "mlp", "sgd", "matmul", "per_example", "overhead", "first_call")):
    fns = {"fused": fused_rows, "mlp": mlp_rows, "sgd": sgd_rows, "matmul": matmul_rows,
           "per_example": per_example_rows, "overhead": overhead_rows,
           "first_call": first_call_rows}
    return versus_section("jit workloads", jax, [r for s in sections for r in fns[s]()])


if __name__ == "__main__":
    print(run(tuple(sys.argv[1:]) or None) if len(sys.argv) > 1 else run())
