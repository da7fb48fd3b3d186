"""Data-parallel MLP training over MPI processes.

    mpiexec -n 2 python examples/data_parallel.py      # 2 processes
    python examples/data_parallel.py                   # the same training, 1 process

Every process holds the same parameters and takes its shard of every batch;
the gradients are averaged over the processes with ``lax.pmean`` (one MPI
call per step for the whole gradient pytree, from compiled code), so every
process applies the same update and the parameters stay equal to those of
the same training in one process. Rank 0 prints the loss.
``--save FILE`` writes the final parameters (rank 0) as .npz.
"""
import argparse

import numpy as np

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import distributed, lax, random, tree_util

BATCH, STEPS, LR = 64, 60, 0.1


def init(key, sizes=(8, 32, 32, 1)):
    params = []
    for k, (m, n) in zip(random.split(key, len(sizes) - 1), zip(sizes[:-1], sizes[1:])):
        params.append((random.normal(k, (m, n)) / np.sqrt(m), jnp.zeros(n)))
    return params


def predict(params, x):
    for w, b in params[:-1]:
        x = jnp.tanh(x @ w + b)
    w, b = params[-1]
    return (x @ w + b)[:, 0]


def loss(params, x, y):
    return jnp.mean((predict(params, x) - y) ** 2)


@jaxlite.jit
def step(params, x, y):
    value, grads = jaxlite.value_and_grad(loss)(params, x, y)
    # Each process's loss and gradient are means over its shard; with equal
    # shards their mean over the processes is the full batch's.
    grads, value = lax.pmean((grads, value), "batch")
    params = tree_util.tree_map(lambda p, g: p - LR * g, params, grads)
    return params, value


def data(step_index):
    rng = np.random.default_rng(step_index)
    x = rng.standard_normal((BATCH, 8)).astype(np.float32)
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1] * x[:, 2]
    return x, y.astype(np.float32)


def train(steps=STEPS, log=print):
    rank, count = distributed.process_index(), distributed.process_count()
    if BATCH % count:
        raise ValueError(f"the batch of {BATCH} does not split over {count} processes")
    shard = BATCH // count
    parallel_step = distributed.spmd(step, axis_name="batch")
    params = init(random.PRNGKey(0))
    for i in range(steps):
        x, y = data(i)
        mine = slice(rank * shard, (rank + 1) * shard)
        params, value = parallel_step(params, x[mine], y[mine])
        if rank == 0 and (i % 10 == 0 or i == steps - 1):
            log(f"step {i:3d}  loss {float(value):.5f}")
    return params


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", help="write the final parameters (rank 0) to this .npz")
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    try:
        distributed.initialize()
    except RuntimeError as e:           # no mpi4py: train in this one process
        print(f"({e}; training in one process)")
    params = train(args.steps)
    if args.save and distributed.process_index() == 0:
        leaves = tree_util.tree_leaves(params)
        np.savez(args.save, *[np.asarray(p) for p in leaves])
    if distributed.process_index() == 0:
        print(f"trained on {distributed.process_count()} process(es)")


if __name__ == "__main__":
    main()
