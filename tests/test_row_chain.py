"""row_chain.py: a row reduction's producer reductions run inside its row loop
when it reads them only at its own row; values against numpy either way."""
import os

import numpy as np
import pytest

os.environ.setdefault("JAXLITE_DISABLE_DISK_CACHE", "1")

import jaxlite  # noqa: E402
import jaxlite.numpy as jnp  # noqa: E402
from jaxlite import compiler  # noqa: E402


def plan_of(f, *args):
    exe = compiler.compile(jaxlite.make_jaxpr(f)(*args), "f")
    text = exe.fusion_plan()
    return exe, text, [ln for ln in text.splitlines() if ln.startswith("kernel")]


def rng_array(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def softmax(x):
    m = jnp.max(x, axis=-1, keepdims=True)
    e = jnp.exp(x - m)
    return e / jnp.sum(e, axis=-1, keepdims=True)


def np_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def layer_norm_stats(x):
    mu = jnp.mean(x, axis=-1)
    var = jnp.mean((x - mu[..., None]) ** 2, axis=-1)
    return mu, var


def logsumexp_and_max(x):
    m = jnp.max(x, axis=1)
    return jnp.log(jnp.sum(jnp.exp(x - m[:, None]), axis=1)) + m, m


@pytest.mark.parametrize("shape", [(5, 7), (300, 1000), (3, 4, 33), (1, 9), (6, 1)])
def test_variance_after_mean_is_chained_and_exact(shape):
    x = rng_array(shape, np.float64)
    exe, text, ks = plan_of(layer_norm_stats, x)
    mu, var = exe(x)
    np.testing.assert_allclose(mu, x.mean(-1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(var, x.var(-1), rtol=1e-12, atol=1e-12)
    if shape[-1] > 1 and np.prod(shape[:-1]) > 1:
        assert "row by row" in text, text


def test_first_result_is_also_an_output():
    x = rng_array((257, 129))
    exe, text, ks = plan_of(logsumexp_and_max, x)
    assert len(ks) == 1 and "row by row" in text, text
    lse, m = exe(x)
    np.testing.assert_array_equal(m, x.max(1))
    ref = np.log(np.exp(x - x.max(1, keepdims=True)).sum(1)) + x.max(1)
    np.testing.assert_allclose(lse, ref, rtol=1e-5)


def test_softmax_is_one_row_group():
    x = rng_array((64, 48))
    exe, text, ks = plan_of(softmax, x)
    assert len(ks) == 1 and text.count("row by row") == 3, text
    np.testing.assert_allclose(exe(x)[0], np_softmax(x), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("threads", ["1", "2", "3"])
def test_softmax_split_over_threads_matches(threads, monkeypatch):
    monkeypatch.setenv("JAXLITE_THREADS", threads)
    x = rng_array((2048, 300))
    np.testing.assert_allclose(jaxlite.jit(softmax)(x), np_softmax(x), rtol=1e-5, atol=1e-7)


def test_three_chained_reductions():
    def f(x):
        a = jnp.max(x, axis=1, keepdims=True)
        s = jnp.sum(jnp.exp(x - a), axis=1, keepdims=True)
        return jnp.sum(jnp.exp(x - a) / s * x, axis=1)
    x = rng_array((400, 70), np.float64)
    exe, text, ks = plan_of(f, x)
    assert len(ks) == 1 and text.count("row by row") == 3, text
    np.testing.assert_allclose(exe(x)[0], (np_softmax(x) * x).sum(1), rtol=1e-12)


@pytest.mark.parametrize("shift", [
    lambda m: jnp.roll(m, 1, axis=0),        # another row's max
    lambda m: m[::-1],                        # reversed rows
    lambda m: jnp.broadcast_to(m[:1], m.shape),   # always row 0
])
def test_result_read_at_another_row_is_not_chained(shift):
    def f(x):
        m = jnp.max(x, axis=1, keepdims=True)
        return jnp.sum(jnp.exp(x - shift(m)), axis=1)
    x = rng_array((64, 40), np.float64)
    exe, text, ks = plan_of(f, x)
    m = x.max(1, keepdims=True)
    want = np.exp(x - np.asarray(shift(jnp.asarray(m)))).sum(1)
    np.testing.assert_allclose(exe(x)[0], want, rtol=1e-12)
    # the shifted read must not run the max row by row inside the sum
    if "row by row" in text:
        assert len(ks) > 1, text


def test_transposed_reads_are_not_chained():
    def f(x):                      # square: the max of column i used on row i
        m = jnp.max(x, axis=0)
        return jnp.sum(x * m[:, None], axis=1)
    x = rng_array((50, 50), np.float64)
    exe, text, ks = plan_of(f, x)
    assert "row by row" not in text, text
    np.testing.assert_allclose(exe(x)[0], (x * x.max(0)[:, None]).sum(1), rtol=1e-12)


def test_row_then_column_broadcast_is_not_chained():
    def f(x):                      # square: the max of row j used on every row's column j
        m = jnp.max(x, axis=1)
        return jnp.sum(x * m[None, :], axis=1)
    x = rng_array((50, 50), np.float64)
    exe, text, ks = plan_of(f, x)
    assert "row by row" not in text, text
    np.testing.assert_allclose(exe(x)[0], (x * x.max(1)[None, :]).sum(1), rtol=1e-12)


def test_middle_axis_kept_dims():
    def f(x):                      # reduce the last axis of a 3-d array, rows are (i, j)
        m = jnp.max(x, axis=2, keepdims=True)
        return jnp.sum(jnp.exp(x - m), axis=2)
    x = rng_array((6, 7, 9), np.float64)
    exe, text, ks = plan_of(f, x)
    assert "row by row" in text, text
    np.testing.assert_allclose(exe(x)[0], np.exp(x - x.max(2, keepdims=True)).sum(2),
                               rtol=1e-12)


def test_grad_of_logsumexp_rows_matches_softmax():
    def loss(x):
        m = jnp.max(x, axis=1, keepdims=True)
        return jnp.sum(jnp.log(jnp.sum(jnp.exp(x - m), axis=1)) + m[:, 0])
    x = rng_array((128, 257), np.float64)
    np.testing.assert_allclose(jaxlite.jit(jaxlite.grad(loss))(x), np_softmax(x), rtol=1e-10)


def test_softmax_keeps_its_intermediate_rows_in_row_buffers():
    x = rng_array((300, 257))
    exe, text, ks = plan_of(softmax, x)
    assert text.count("(a row buffer)") == 3 and "workspace: 0 bytes" in text, text
    np.testing.assert_allclose(exe(x)[0], np_softmax(x), rtol=1e-5, atol=1e-7)


def test_a_member_read_after_the_group_keeps_its_array():
    def f(x):                       # e is read again after the group, by a column sum
        m = jnp.max(x, axis=1, keepdims=True)
        e = jnp.exp(x - m)
        s = jnp.sum(e, axis=1)
        return s, jnp.sum(e, axis=0)
    x = rng_array((40, 30), np.float64)
    exe, text, ks = plan_of(f, x)
    assert "row by row" in text and "(a row buffer)" in text, text
    e_line = next(ln for ln in text.splitlines() if "row by row, first" in ln and "40,30" in ln)
    assert "workspace" in e_line, text
    e = np.exp(x - x.max(1, keepdims=True))
    s, cols = exe(x)
    np.testing.assert_allclose(s, e.sum(1), rtol=1e-12)
    np.testing.assert_allclose(cols, e.sum(0), rtol=1e-12)


def test_long_rows_use_arrays_not_stack_buffers():
    x = rng_array((4, 20000))      # 80 KB rows: over the stack buffer limit
    exe, text, ks = plan_of(softmax, x)
    assert "row by row" in text, text
    np.testing.assert_allclose(exe(x)[0], np_softmax(x), rtol=1e-5, atol=1e-9)
