"""Recompilation you can see: _cache_size(), compile_counts(),
jax_explain_cache_misses (which argument / static value / function object
caused a retrace) and jax_log_compiles (trace, lowering, LLVM, cache hits)."""
import logging

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.debugging import compile_log


@pytest.fixture
def explain(caplog):
    jaxlite.config.update("jax_explain_cache_misses", True)
    caplog.set_level(logging.WARNING, logger="jaxlite")
    try:
        yield caplog
    finally:
        jaxlite.config.update("jax_explain_cache_misses", False)


@pytest.fixture
def log_compiles(caplog):
    jaxlite.config.update("jax_log_compiles", True)
    caplog.set_level(logging.WARNING, logger="jaxlite")
    try:
        yield caplog
    finally:
        jaxlite.config.update("jax_log_compiles", False)


def _messages(caplog):
    out = [r.getMessage() for r in caplog.records if r.name == "jaxlite"]
    caplog.clear()
    return out


def test_cache_size_counts_signatures():
    def f(x):
        return x * 2
    g = jaxlite.jit(f)
    assert g._cache_size() == 0
    g(np.ones(3, np.float32))
    g(np.ones(3, np.float32))
    assert g._cache_size() == 1
    g(np.ones(4, np.float32))
    g(np.ones(3, np.int32))
    assert g._cache_size() == 3
    assert jaxlite.jit(f)._cache_size() == 3     # jit of the same function shares caches


def test_compile_counts_count_traces_and_compiles():
    before = compile_log.compile_counts()

    def f(x):
        return jnp.sin(x) + 1.0
    g = jaxlite.jit(f)
    for n in (3, 4, 3, 4):
        g(np.ones(n, np.float32))
    after = compile_log.compile_counts()
    assert after["traces"] - before.get("traces", 0) == 2
    built = (after.get("compiles", 0) + after.get("compile_cache_hits", 0)
             - before.get("compiles", 0) - before.get("compile_cache_hits", 0))
    assert built == 2


def test_explains_shape_dtype_and_weak_type_changes_with_pytree_paths(explain):
    @jaxlite.jit
    def f(params, x):
        return jnp.sum(params["w"] * x)
    f({"w": np.ones(3, np.float32)}, np.ones(3, np.float32))
    assert _messages(explain) == []            # a first trace is not a miss
    f({"w": np.ones(3, np.float32)}, np.ones((2, 3), np.float32))
    (msg,) = _messages(explain)
    assert "TRACING CACHE MISS" in msg and "jit(f) retraced" in msg
    assert "args[1]: shape (3,) dtype float32 -> shape (2, 3) dtype float32" in msg
    f({"w": np.ones(3, np.float64)}, np.ones((2, 3), np.float32))
    (msg,) = _messages(explain)
    assert "args[0]['w']: shape (3,) dtype float32 -> shape (3,) dtype float64" in msg
    f({"w": np.ones(3, np.float64)}, 2.0)
    (msg,) = _messages(explain)
    assert "args[1]: shape (2, 3) dtype float32 -> shape () dtype float32, weakly typed" in msg
    f({"w": np.ones(3, np.float64)}, 2.0)       # a hit: nothing to explain
    assert _messages(explain) == []


def test_explains_static_arguments_and_structure(explain):
    g = jaxlite.jit(lambda x, n: x * n, static_argnums=1)
    g(1.0, 2)
    g(1.0, 3)
    (msg,) = _messages(explain)
    assert "static argument 1: 2 (int) -> 3 (int)" in msg
    h = jaxlite.jit(lambda t: t[0])
    h((1.0,))
    h((1.0, 2.0))
    (msg,) = _messages(explain)
    assert "argument structure" in msg


def test_explains_new_function_objects(explain):
    for _ in range(3):
        jaxlite.jit(lambda x: x + 1)(1.0)
    msgs = _messages(explain)
    assert len(msgs) == 2
    assert all("new function object" in m for m in msgs)
    assert "the 3rd with this code" in msgs[1]


def test_log_compiles_reports_times(log_compiles):
    def f(x):
        return jnp.cos(x) * 3.0
    jaxlite.jit(f)(np.ones(7, np.float32))
    msgs = _messages(log_compiles)
    assert any(m.startswith("Finished tracing jit(f) in") for m in msgs)
    compiled = [m for m in msgs if m.startswith("Finished compiling f in")
                or m.startswith("Compiling f: in-memory compile cache hit")]
    assert len(compiled) == 1
    if "cache hit" not in compiled[0]:
        assert "lowering" in compiled[0] and "LLVM" in compiled[0]


def test_off_logs_nothing(caplog):
    caplog.set_level(logging.WARNING, logger="jaxlite")
    g = jaxlite.jit(lambda x: x - 1)
    g(1.0)
    g(np.ones(2, np.float32))
    assert _messages(caplog) == []
