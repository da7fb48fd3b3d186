"""compiler/reduction_plan.py: each reduction's loop strategy is decided once,
after fusion, and the thread planner splits exactly what it says."""
import os

import numpy as np
import pytest

os.environ.setdefault("JAXLITE_DISABLE_DISK_CACHE", "1")

import jaxlite  # noqa: E402
import jaxlite.numpy as jnp  # noqa: E402
from jaxlite.compiler import fusion, parallel, simplify  # noqa: E402
from jaxlite.compiler.reduction_plan import SUM_BLOCK  # noqa: E402


def _reductions(f, *args):
    prog = fusion.fuse(simplify.simplify(jaxlite.make_jaxpr(f)(*args)))
    return [k for k in prog.kernels if k.kind == "reduce"]


def _plan(f, *args):
    (k,) = _reductions(f, *args)
    return k, k.reduction


def test_full_reduction_of_elementwise_code_is_flat_and_split_by_elements():
    x = np.ones((300, 500), np.float32)
    k, plan = _plan(lambda x: jnp.max(jnp.exp(x) * 2.0), x)
    assert plan.monoid == "max" and plan.flat and plan.shape == (x.size,) and plan.axes == (0,)
    assert not plan.keeps_last and not plan.blocked
    assert (plan.split, plan.extent) == ("total", x.size)
    assert parallel.split_plan(k, 4)[:2] == ("total", x.size)


def test_long_float_sum_is_blocked_and_split_by_blocks():
    x = np.ones(5 * SUM_BLOCK + 1, np.float32)
    k, plan = _plan(jnp.sum, x)
    assert plan.blocked and not plan.flat and (plan.split, plan.extent) == ("total", 6)
    assert parallel.split_plan(k, 2) is None          # below the thread threshold
    big = np.ones(parallel.MIN_ELEMENTS + 1, np.float32)
    k, plan = _plan(jnp.sum, big)
    blocks = -(-big.size // SUM_BLOCK)
    assert parallel.split_plan(k, 2)[:2] == ("total", blocks) == (plan.split, plan.extent)


def test_integer_sum_is_never_blocked():
    _, plan = _plan(jnp.sum, np.ones(3 * SUM_BLOCK, np.int32))
    assert plan.monoid == "sum" and not plan.blocked


def test_kept_last_dimension_accumulates_in_place_and_is_not_split():
    x = np.ones((600, 400), np.float32)
    k, plan = _plan(lambda x: jnp.sum(x, axis=0), x)
    assert plan.keeps_last and plan.split is None and not plan.flat
    assert parallel.split_plan(k, 4) is None
    assert k.epilogue is None       # it accumulates in memory: no epilogue fused


def test_row_reduction_is_split_by_rows_and_takes_an_epilogue():
    x = np.ones((600, 400), np.float32)
    k, plan = _plan(lambda x: jnp.log(jnp.sum(x, axis=1)) + 1.0, x)
    assert not plan.keeps_last and (plan.split, plan.extent) == ("rows", 600)
    assert k.epilogue is not None
    assert parallel.split_plan(k, 4)[:2] == ("rows", 600)


def test_arg_reductions_have_no_plan():
    ks = _reductions(lambda x: jnp.argmax(x, axis=1), np.ones((4, 5), np.float32))
    assert [k.reduction for k in ks] == [None]


@pytest.mark.parametrize("shape,axis", [((3, 4, SUM_BLOCK + 5), 2), ((2, SUM_BLOCK + 3), None),
                                        ((SUM_BLOCK + 7, 3), 0), ((5, 6, 7), (0, 2))])
def test_each_strategy_computes_the_sum(shape, axis):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    got = jaxlite.jit(lambda x: jnp.sum(jnp.exp(x * 0.1), axis=axis))(x)
    np.testing.assert_allclose(got, np.sum(np.exp(x.astype(np.float64) * 0.1), axis=axis),
                               rtol=2e-6)
