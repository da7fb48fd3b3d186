"""Random programs (DAGs of elementwise, broadcast, reduction, structural and
dot operations with shared subexpressions and several outputs) compiled and
checked against eager evaluation: exercises fusion, recomputation of shared
values and buffer reuse far beyond hand-written cases."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("JAXLITE_DISABLE_DISK_CACHE", "1")

import jaxlite  # noqa: E402
from jaxlite import lax  # noqa: E402
from jaxlite import compiler  # noqa: E402

M, N = 4, 6


def _ops():
    """(name, arity, fn(rng, *values) -> value or None when not applicable)."""
    def unary(fn):
        return lambda rng, x: fn(x)

    def binary(fn):
        return lambda rng, x, y: fn(x, y) if np.shape(x) == np.shape(y) else None

    def reduce(fn):
        def f(rng, x):
            nd = len(np.shape(x))
            if nd == 0:
                return None
            return fn(x, (int(rng.integers(nd)),))
        return f

    def bcast(rng, x):
        shape = np.shape(x)
        if shape == (M,):
            return lax.broadcast_in_dim(x, (M, N), (0,))
        if shape == (N,):
            return lax.broadcast_in_dim(x, (M, N), (1,))
        if shape == ():
            return lax.broadcast_in_dim(x, (M, N), ())
        return None

    def transpose_back(rng, x):
        if np.shape(x) != (M, N):
            return None
        return lax.transpose(lax.exp(lax.transpose(x, (1, 0)) * 0.1), (1, 0))

    def reshape_round_trip(rng, x):
        if np.shape(x) != (M, N):
            return None
        return lax.reshape(lax.reshape(x, (N, M)) + 1.0, (M, N))

    def rev_slice(rng, x):
        if np.shape(x) != (M, N):
            return None
        y = lax.rev(x, (1,))
        return lax.concatenate([lax.slice(y, (0, 0), (M, 2)), lax.slice(x, (0, 2), (M, N))], 1)

    def dot(rng, x, y):
        if np.shape(x) == (M, N) and np.shape(y) == (M, N):
            return lax.dot(lax.dot(x, lax.transpose(y, (1, 0))) * 0.1, x)
        return None

    def cumsum(rng, x):
        nd = len(np.shape(x))
        return lax.cumsum(x, int(rng.integers(nd))) if nd else None

    def argmax_as_float(rng, x):
        if len(np.shape(x)) != 2:
            return None
        return lax.convert_element_type(lax.argmax(x, 1, np.int32), np.float32)

    return [
        ("tanh", 1, unary(lax.tanh)), ("sin", 1, unary(lax.sin)),
        ("neg", 1, unary(lax.neg)), ("sq", 1, unary(lambda x: x * x)),
        ("exp", 1, unary(lambda x: lax.exp(lax.tanh(x)))),
        ("add", 2, binary(lax.add)), ("mul", 2, binary(lax.mul)),
        ("sub", 2, binary(lax.sub)), ("max", 2, binary(lax.max)),
        ("where", 2, binary(lambda x, y: lax.select_n(lax.gt(x, y), x, y * 2.0))),
        ("sum", 1, reduce(lax.reduce_sum)), ("rmax", 1, reduce(lax.reduce_max)),
        ("bcast", 1, bcast), ("tb", 1, transpose_back), ("rs", 1, reshape_round_trip),
        ("rev_slice", 1, rev_slice), ("dot", 2, dot), ("cumsum", 1, cumsum),
        ("argmax", 1, argmax_as_float),
    ]


OPS = _ops()


def random_program(seed, n_ops=14):
    rng = np.random.default_rng(seed)

    def f(a, b, c, s):
        vals = [a, b, c, s]
        for _ in range(n_ops):
            for _ in range(10):
                name, arity, fn = OPS[rng.integers(len(OPS))]
                args = [vals[rng.integers(len(vals))] for _ in range(arity)]
                out = fn(rng, *args)
                if out is not None:
                    vals.append(out)
                    break
        picks = rng.choice(np.arange(4, len(vals)), size=min(3, len(vals) - 4), replace=False)
        return tuple(vals[i] for i in sorted(picks)) + (vals[-1],)
    return f


@pytest.mark.parametrize("seed", range(40))
def test_random_program(seed):
    rng = np.random.default_rng(1000 + seed)
    args = (rng.standard_normal((M, N)).astype(np.float32),
            rng.standard_normal((M,)).astype(np.float32),
            rng.standard_normal((N,)).astype(np.float32),
            np.float32(rng.standard_normal()))
    closed = jaxlite.make_jaxpr(random_program(seed))(*args)
    want = random_program(seed)(*args)
    exe = compiler.compile(closed, f"random_{seed}")
    got = exe(*args)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        w = np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-4, err_msg=exe.fusion_plan())
