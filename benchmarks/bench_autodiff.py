"""Eager (no jit) value_and_grad of a 3-layer MLP: overhead over numpy's forward pass.

Also times HIPS autograd on the same loss when it is installed. Reverse mode
should cost a small constant multiple of the forward pass.

    python benchmarks/bench_autodiff.py
"""
import numpy as np

from common import fmt_ratio, fmt_time, machine, optional, table, timeit

import jaxlite
import jaxlite.numpy as jnp

SIZES = [784, 512, 512, 10]
BATCH = 128


def make(rng):
    params = [(rng.normal(size=(a, b)).astype(np.float32) * np.float32(np.sqrt(2 / a)),
               np.zeros(b, np.float32)) for a, b in zip(SIZES[:-1], SIZES[1:])]
    x = rng.normal(size=(BATCH, SIZES[0])).astype(np.float32)
    y = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], BATCH)]
    return params, x, y


def loss_with(np_like, params, x, y):
    h = x
    for w, b in params[:-1]:
        h = np_like.maximum(h @ w + b, 0.0)
    w, b = params[-1]
    logits = h @ w + b
    m = np_like.max(logits, axis=1, keepdims=True)
    lse = np_like.log(np_like.sum(np_like.exp(logits - m), axis=1, keepdims=True)) + m
    return -np_like.mean(np_like.sum((logits - lse) * y, axis=1))


def run():
    params, x, y = make(np.random.default_rng(0))
    t_np = timeit(lambda: loss_with(np, params, x, y))
    vg = jaxlite.value_and_grad(lambda p: loss_with(jnp, p, x, y))
    t_fwd = timeit(lambda: loss_with(jnp, params, x, y))
    t_vg = timeit(lambda: vg(params))
    rows = [["numpy forward", fmt_time(t_np), "1.00x"],
            ["jaxlite eager forward", fmt_time(t_fwd), fmt_ratio(t_fwd, t_np)],
            ["jaxlite eager value_and_grad", fmt_time(t_vg), fmt_ratio(t_vg, t_np)]]
    ag = optional("autograd")
    if ag is not None:
        anp = optional("autograd.numpy")
        agv = ag.value_and_grad(lambda p: loss_with(anp, p, x, y))
        t_ag = timeit(lambda: agv(params))
        rows.append(["autograd value_and_grad", fmt_time(t_ag), fmt_ratio(t_ag, t_np)])
    # Nesting depth of Python calls must not change the cost of reverse mode.
    def nested(p, depth=50):
        def f(v, d):
            return v if d == 0 else f(v, d - 1)
        return f(loss_with(jnp, p, x, y), depth)
    vg_nested = jaxlite.value_and_grad(nested)
    t_nested = timeit(lambda: vg_nested(params))
    rows.append(["jaxlite value_and_grad, 50 nested calls", fmt_time(t_nested),
                 fmt_ratio(t_nested, t_np)])
    return (f"### Eager value_and_grad, MLP {'-'.join(map(str, SIZES))}, batch {BATCH} "
            f"({machine()})\n\n" + table(["workload", "time", "vs numpy forward"], rows))


if __name__ == "__main__":
    print(run())
