"""The program tests/test_mpi.py launches with mpiexec: ``mpi_worker.py MODE``.

Every rank builds every rank's input from the rank number, so each can check
the collective's result against numpy over all ranks' inputs. A rank that
finishes a mode prints ``OK <mode> <rank>``.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import jaxlite  # noqa: E402
import jaxlite.numpy as jnp  # noqa: E402
from jaxlite import distributed, lax  # noqa: E402


def say(*words):
    # One write per line: the ranks share the pipe, and print's separate
    # writes of text and newline interleave between processes.
    sys.stdout.flush()
    os.write(1, (" ".join(map(str, words)) + "\n").encode())


def inputs(rank, shape=(3, 4), dtype=np.float64):
    return (np.random.default_rng(rank).standard_normal(shape) * 10).astype(dtype)


def check_collectives(rank, n):
    xs = [inputs(r) for r in range(n)]
    x = xs[rank]
    blocks = [np.random.default_rng(100 + r).standard_normal((n, 2, 3)) for r in range(n)]
    ring = [(r, (r + 1) % n) for r in range(n)]

    def f(x, b):
        return {"psum": lax.psum(x, "p"), "pmean": lax.pmean(x, "p"),
                "pmax": lax.pmax(x, "p"), "pmin": lax.pmin(x, "p"),
                "tree": lax.psum((x, x[0].astype(np.int32), 2 * x[:, :2]), "p"),
                "gather": lax.all_gather(x, "p"), "gather1": lax.all_gather(x, "p", axis=1),
                "tiled": lax.all_gather(x, "p", tiled=True),
                "scatter": lax.psum_scatter(b, "p"), "a2a": lax.all_to_all(b, "p", 0, 1),
                "ring": lax.ppermute(x, "p", ring), "index": lax.axis_index("p"),
                "f32": lax.psum(x.astype(np.float32), "p")}
    want = {"psum": sum(xs), "pmean": sum(xs) / n, "pmax": np.max(xs, 0),
            "pmin": np.min(xs, 0),
            "tree": (sum(xs), sum(v[0].astype(np.int32) for v in xs), 2 * sum(xs)[:, :2]),
            "gather": np.stack(xs), "gather1": np.stack(xs, 1),
            "tiled": np.concatenate(xs), "scatter": sum(blocks)[rank],
            "a2a": np.stack([blocks[j][rank] for j in range(n)], 1),
            "ring": xs[(rank - 1) % n], "index": rank,
            "f32": sum(v.astype(np.float32) for v in xs)}
    for how, g in [("eager", distributed.spmd(f, "p")),
                   ("jit", distributed.spmd(jaxlite.jit(f), "p"))]:
        got = g(x, blocks[rank])
        for key in want:
            for gv, wv in zip(jaxlite.tree_util.tree_leaves(got[key]),
                              jaxlite.tree_util.tree_leaves(want[key])):
                tol = 1e-5 if np.asarray(gv).dtype == np.float32 else 1e-12
                np.testing.assert_allclose(gv, wv, rtol=tol, atol=tol,
                                           err_msg=f"{how} {key} rank {rank}")

    # grad through collectives, eager and jitted: d/dx sum(psum(x**2) * x)
    # = 2x * psum(x) + psum(x**2) (psum's transpose is psum, as JAX).
    loss = lambda v: jnp.sum(lax.psum(v ** 2, "p") * v)  # noqa: E731
    want_g = 2 * x * sum(xs) + sum(v ** 2 for v in xs)
    for g in (distributed.spmd(jaxlite.grad(loss), "p"),
              distributed.spmd(jaxlite.jit(jaxlite.grad(loss)), "p")):
        np.testing.assert_allclose(g(x), want_g, rtol=1e-12)
    # all_gather's transpose is psum_scatter: d/dx_r sum(all_gather(x) * w) = sum_s w[r]
    w = np.arange(n * 12.0).reshape(n, 3, 4)
    gg = distributed.spmd(jaxlite.jit(jaxlite.grad(
        lambda v: jnp.sum(lax.all_gather(v, "p") * w))), "p")(x)
    np.testing.assert_allclose(gg, n * w[rank], rtol=1e-12)
    # Inside scan (eager and compiled as a nested program), under an unnamed
    # vmap, and together with a named vmap axis.
    def scanned(v):
        return lax.scan(lambda c, _: (c + lax.psum(v, "p"), lax.axis_index("p")), v, None,
                        length=2)
    for g in (distributed.spmd(scanned, "p"), distributed.spmd(jaxlite.jit(scanned), "p")):
        c, idx = g(x)
        np.testing.assert_allclose(c, x + 2 * sum(xs), rtol=1e-12)
        assert np.asarray(idx).tolist() == [rank, rank]
    both = distributed.spmd(jaxlite.jit(jaxlite.vmap(lambda v: lax.psum(v, ("i", "p")),
                                                     axis_name="i")), "p")(x)
    np.testing.assert_allclose(both, np.broadcast_to(sum(xs).sum(0), x.shape), rtol=1e-12)
    per_row = distributed.spmd(jaxlite.vmap(lambda v: lax.pmax(v, "p")), "p")(x)
    np.testing.assert_allclose(per_row, np.max(xs, 0))

    # Leaves of several MB (each in its own MPI call, from input to output).
    big = (np.full(2 ** 21 + 3, rank, np.float64), np.full(2 ** 20, 2.0 * rank, np.float32))
    got = distributed.spmd(jaxlite.jit(lambda t: lax.psum(t, "p")), "p")(big)
    np.testing.assert_array_equal(got[0], np.full(2 ** 21 + 3, n * (n - 1) / 2))
    np.testing.assert_array_equal(got[1], np.full(2 ** 20, n * (n - 1), np.float32))


def check_allreduce_paths(rank, n):
    """Jitted psum/pmax/pmin of pytrees taking every path of
    compiler/collectives.emit_allreduce: a dtype's leaves reduced in their
    outputs when the runtime laid those out contiguously (f32 here: two
    outputs over runtime.POOL_MIN_BYTES, multiples of 16 bytes), through the
    kernel's kept buffer when not (f64: a padded gap; int32: a small output
    among large ones; outputs that are intermediates), a dtype's only leaf on
    its own (int64), an empty leaf; called repeatedly with new values while
    earlier results stay alive (reused output blocks and the kept buffer
    must not leak one call's values into another's)."""
    from jaxlite.compiler import collectives, runtime
    edge = runtime.POOL_MIN_BYTES

    def leaves(r, call):
        rng = np.random.default_rng(1000 * call + r)
        sizes = [(np.float32, edge // 4), (np.float32, edge // 4 + 4),
                 (np.float64, edge // 8 + 1), (np.float64, edge // 8), (np.int32, 5),
                 (np.int32, edge // 4 + 3), (np.float64, 0)]
        tree = [(rng.standard_normal(k) * 100).astype(d) for d, k in sizes]
        return tree + [np.int64(r + call)]

    f = distributed.spmd(jaxlite.jit(lambda t: (lax.psum(t, "p"), lax.pmax(t, "p"),
                                                lax.pmin(t, "p"))), "p")
    doubled = distributed.spmd(jaxlite.jit(
        lambda t: [2 * v for v in lax.psum(t, "p")]), "p")
    kept = []
    for call in range(3):
        trees = [leaves(r, call) for r in range(n)]
        got = f(trees[rank])
        want = ([sum(ls) for ls in zip(*trees)], [np.max(ls, 0) for ls in zip(*trees)],
                [np.min(ls, 0) for ls in zip(*trees)])
        kept.append((got, want))
        for g_tree, w_tree in kept:             # every result so far, still intact
            for what, gs, ws in zip(("psum", "pmax", "pmin"), g_tree, w_tree):
                for k, (g, w) in enumerate(zip(gs, ws)):
                    assert np.asarray(g).dtype == w.dtype, (what, k, g.dtype, w.dtype)
                    tol = 1e-4 if w.dtype == np.float32 else 1e-10
                    np.testing.assert_allclose(g, w, rtol=tol, atol=tol,
                                               err_msg=f"{what} leaf {k} call {call}")
        for k, (g, w) in enumerate(zip(doubled(trees[rank]), want[0])):
            tol = 1e-4 if w.dtype == np.float32 else 1e-10
            np.testing.assert_allclose(g, 2 * w, rtol=tol, atol=2 * tol, err_msg=f"leaf {k}")
    # Past STAGE_LIMIT bytes of a dtype, the next leaves go on their own.
    limit, collectives.STAGE_LIMIT = collectives.STAGE_LIMIT, 3 * 1000 * 8
    try:
        g = distributed.spmd(jaxlite.jit(lambda t: lax.psum(t, "q")), "q")
        tree = [np.full(1000, rank + k, np.float64) for k in range(5)]
        for k, v in enumerate(g(tree)):
            np.testing.assert_array_equal(v, np.full(1000, n * (n - 1) / 2 + n * k))
    finally:
        collectives.STAGE_LIMIT = limit


def check_cached_psum(rank, n):
    """A jitted psum of a pytree sums over the n processes, also when a
    one-process run compiled the same program into the disk cache before."""
    g = distributed.spmd(jaxlite.jit(lambda t: lax.psum(t, "c")), "c")
    tree = [np.full(40000, rank + k, np.float32) for k in range(3)]
    for k, v in enumerate(g(tree)):
        np.testing.assert_array_equal(v, np.full(40000, n * (n - 1) / 2 + n * k))


def main(mode):
    if mode == "no_init":
        try:
            distributed.spmd(lambda v: lax.psum(v, "p"), "p")(np.ones(3))
        except RuntimeError as e:
            say("ERROR", e)
        return
    distributed.initialize()
    rank, n = distributed.process_index(), distributed.process_count()
    assert distributed.is_initialized() and distributed.mpi_comm().Get_size() == n
    if mode == "collectives":
        check_collectives(rank, n)
    elif mode == "allreduce_paths":
        check_allreduce_paths(rank, n)
    elif mode == "cached_psum":
        check_cached_psum(rank, n)
    elif mode == "raise":
        if rank == 1:
            raise RuntimeError("rank 1 fails on purpose")
        distributed.spmd(lambda v: lax.psum(v, "p"), "p")(np.ones(3))   # would wait forever
    elif mode == "mismatch_eager":
        try:
            distributed.spmd(lambda v: lax.psum(v, "p"), "p")(np.ones(3 + rank))
        except ValueError as e:
            say("ERROR", e)
    elif mode == "mismatch_jit":
        distributed.spmd(jaxlite.jit(lambda v: lax.psum(v, "p")), "p")(np.ones(3 + rank))
    say("OK", mode, rank)
    distributed.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])
