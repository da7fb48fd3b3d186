"""Kernels split over threads (compiler/parallel.py) against eager results.

The split threshold is lowered so small arrays take the threaded path, and an
odd thread count makes the bands uneven (some empty when rows < threads).
"""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax, nn
from jaxlite.compiler import cache, parallel

RNG = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def threaded(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ELEMENTS", 1)
    monkeypatch.setattr(parallel, "threads", lambda: 3)
    monkeypatch.setattr(cache, "memory", cache.MemoryCache())  # no executable compiled serially
    monkeypatch.setenv("JAXLITE_DISABLE_DISK_CACHE", "1")


def f32(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape).astype(np.float32)


def check(f, *args, rtol=2e-5):
    got, want = jaxlite.jit(f)(*args), f(*args)
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    else:
        np.testing.assert_array_equal(got, want)


CASES = {
    "flat loop": (lambda x: jnp.exp(-x) * 2 + 1, (f32(5, 7),)),
    "row loop (broadcast)": (lambda x: x * jnp.arange(7.0, dtype=jnp.float32), (f32(5, 7),)),
    "row loop (transpose)": (lambda x: x.T + 1, (f32(4, 6),)),
    "fewer rows than threads": (lambda x: jnp.sin(x) + x[:1], (f32(2, 9),)),
    "total sum, blocked": (lambda x: jnp.sum(x * x + 1), (f32(3 * 2048 + 5),)),
    "total sum, short": (lambda x: jnp.sum(jnp.tanh(x)), (f32(100),)),
    "total sum, 2-d flat": (lambda x: jnp.sum(jnp.exp(x)), (f32(64, 100),)),
    "total max + epilogue": (lambda x: jnp.max(jnp.sin(x)) * 2, (f32(1000),)),
    "total min": (lambda x: jnp.min(x - 1), (f32(999),)),
    "total prod": (lambda x: jnp.prod(1 + x * 0.001), (f32(500),)),
    "mean epilogue": (lambda x: jnp.mean(jnp.exp(-x)), (f32(4097),)),
    "int sum": (lambda x: jnp.sum(x * 3), (RNG.integers(-50, 50, 777).astype(np.int32),)),
    "bool any": (lambda x: jnp.any(x > 1.9), (f32(300),)),
    "row logsumexp": (lambda x: nn.logsumexp(x, axis=1), (f32(13, 50),)),
    "row sum, long rows": (lambda x: jnp.sum(x * 2, axis=1), (f32(5, 3000),)),
    "column sum (not split)": (lambda x: jnp.sum(x, axis=0), (f32(30, 8),)),
    "softmax": (lambda x: nn.softmax(x, axis=-1), (f32(11, 17),)),
    "sort rows": (lambda x: lax.sort(x, 1), (f32(7, 33),)),
    "argsort middle dim": (lambda x: lax.argsort(x, 1), (f32(5, 9, 4),)),
    "sort first dim (not split)": (lambda x: lax.sort(x, 0), (f32(9, 4),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_threaded_kernels_match_eager(name):
    f, args = CASES[name]
    check(f, *args)


def test_split_plans_are_made(monkeypatch):
    plans = []
    orig = parallel.split_plan

    def spy(k, n):
        plan = orig(k, n)
        plans.append(plan and plan[0])
        return plan
    monkeypatch.setattr(parallel, "split_plan", spy)
    jaxlite.jit(lambda x: jnp.sum(jnp.exp(x)) + jnp.max(x, axis=1) + x[:, 0] * 2)(f32(6, 8))
    assert {"total", "rows", "flat"} & set(plans) >= {"total", "rows"}, plans


def test_gradient_of_mlp_loss_threaded():
    w, x = f32(20, 10), f32(30, 20)

    def loss(w, x):
        return jnp.mean(nn.log_softmax(jnp.tanh(x @ w)) ** 2)
    g = jaxlite.jit(jaxlite.grad(loss))(w, x)
    np.testing.assert_allclose(g, jaxlite.grad(loss)(w, x), rtol=1e-4, atol=1e-6)
