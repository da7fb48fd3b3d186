"""cond / while / scan compiled to native branches and loops (compiler/control_flow.py):
values under jit against numpy loops and eager evaluation, trip counts of 0
and below, nesting, compositions with grad and vmap, the plan, and a module
whose size does not depend on the trip count."""
import os
import re

import numpy as np
import pytest

os.environ.setdefault("JAXLITE_DISABLE_DISK_CACHE", "1")

import jaxlite  # noqa: E402
import jaxlite.numpy as jnp  # noqa: E402
from jaxlite import lax  # noqa: E402

RNG = np.random.default_rng(0)


def _compiled(f, *args):
    return jaxlite.jit(f).lower(*args).compile()


def _loop_eqns(f, *args):
    text = str(jaxlite.make_jaxpr(f)(*args))
    return [w for w in ("cond[", "while[", "scan[") if w in text]


def _close(got, want, rtol=1e-5, atol=1e-6):
    for g, w in zip(jaxlite.tree_util.tree_leaves(got), jaxlite.tree_util.tree_leaves(want)):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ fori_loop

@pytest.mark.parametrize("shape", [(), (3,), (4, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_fori_loop_matches_python_loop(shape, dtype):
    x = (RNG.normal(size=shape) * 3).astype(dtype)

    def f(x):
        return lax.fori_loop(1, 7, lambda i, x: x * 2 - i, x)
    want = x.copy()
    for i in range(1, 7):
        want = (want * 2 - i).astype(dtype)
    assert _loop_eqns(f, x)
    _close(jaxlite.jit(f)(x), want)
    _close(jaxlite.jit(f)(x), f(x))


@pytest.mark.parametrize("lo,hi", [(3, 3), (5, 2), (0, -4), (-3, 2)])
def test_fori_loop_trip_counts_static_and_traced(lo, hi):
    x = np.float32(1.5)

    def body(i, x):
        return x * 1.5 + i

    want = x
    for i in range(lo, hi):
        want = np.float32(want * 1.5 + i)
    static = jaxlite.jit(lambda x: lax.fori_loop(lo, hi, body, x))
    traced = jaxlite.jit(lambda lo, hi, x: lax.fori_loop(lo, hi, body, x))
    _close(static(x), want)
    _close(traced(np.int32(lo), np.int32(hi), x), want)


def test_fori_loop_module_size_does_not_grow_with_trip_count():
    x = np.float32(0.5)

    def make(n):
        return lambda x: lax.fori_loop(0, n, lambda i, x: 4.0 * x * (1.0 - x), x)
    jaxpr = jaxlite.make_jaxpr(make(100_000))(x)
    assert len(jaxpr.eqns) == 1 and jaxpr.eqns[0].prim.name in ("scan", "while"), jaxpr
    small, large = _compiled(make(10), x), _compiled(make(100_000), x)
    ir_small, ir_large = small.llvm_ir(optimized=False), large.llvm_ir(optimized=False)
    # The trip count is one constant in the module: only its digits differ.
    assert len(ir_large) - len(ir_small) == len("100000") - len("10")
    assert re.sub(r"\b100000\b", "10", ir_large) == ir_small
    want = np.float32(0.5)
    for _ in range(10):
        want = np.float32(4.0) * want * (np.float32(1.0) - want)
    _close(small(x), want, rtol=1e-4)


# ----------------------------------------------------------------- while_loop

def _collatz_steps(n):
    steps = 0
    while n != 1 and steps < 1000:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def test_while_loop_value_dependent_trip_counts():
    def steps(n):
        def cond(c):
            n, k = c
            return (n != 1) & (k < 1000)

        def body(c):
            n, k = c
            return jnp.where(n % 2 == 0, n // 2, 3 * n + 1), k + 1
        return lax.while_loop(cond, body, (n, 0))[1]
    f = jaxlite.jit(steps)
    for n in [1, 2, 3, 7, 27, 97]:
        assert int(f(np.int32(n))) == _collatz_steps(n)
        assert int(steps(np.int32(n))) == _collatz_steps(n)


@pytest.mark.parametrize("shape", [(), (3,), (2, 40)])     # (2, 40): a swapped carry
@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_while_loop_carries_any_trip_count(shape, n):
    x = RNG.normal(size=shape).astype(np.float32)

    def f(x, n):
        return lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, jnp.sin(c[1]) * 2.0),
                              (0, x))
    want = x
    for _ in range(n):
        want = (np.sin(want) * 2.0).astype(np.float32)
    i, got = jaxlite.jit(f)(x, np.int32(n))
    assert int(i) == n
    _close(got, want, rtol=1e-5)
    _close(jaxlite.jit(f)(x, np.int32(-3))[1], x)      # a false predicate: no trip


# ----------------------------------------------------------------------- scan

@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("length", [0, 1, 6])
def test_scan_carries_and_stacked_outputs(reverse, length):
    w = RNG.normal(size=(5, 5)).astype(np.float32) * 0.5
    h0 = RNG.normal(size=5).astype(np.float32)
    xs = RNG.normal(size=(length, 5)).astype(np.float32)
    big0 = np.zeros((30,), np.float32)                  # > 64 bytes: a swapped carry

    def f(w, h0, big0, xs):
        def step(c, x):
            h, big, k = c
            h = jnp.tanh(w @ h + x)
            return (h, big + jnp.sum(h), k + 1), (h * 2.0, jnp.sum(h))
        return lax.scan(step, (h0, big0, 0), xs, reverse=reverse)

    h, big, k = h0, big0, 0
    ys, ss = np.zeros((length, 5), np.float32), np.zeros(length, np.float32)
    for t in (range(length - 1, -1, -1) if reverse else range(length)):
        h = np.tanh(w @ h + xs[t])
        big, k = big + h.sum(), k + 1
        ys[t], ss[t] = h * 2.0, h.sum()
    got = jaxlite.jit(f)(w, h0, big0, xs)
    _close(got, ((h, big.astype(np.float32), np.int32(k)), (ys, ss)), rtol=1e-4, atol=1e-5)
    _close(got, f(w, h0, big0, xs), rtol=1e-5, atol=1e-6)


def test_scan_without_xs_and_bool_carry():
    def f(x):
        def step(c, _):
            x, flip = c
            return (x + jnp.where(flip, 1, -1), ~flip), x
        return lax.scan(step, (x, True), None, length=5)
    (x, flip), ys = jaxlite.jit(f)(np.int32(10))
    assert int(x) == 11 and bool(flip) is False
    np.testing.assert_array_equal(ys, [10, 11, 10, 11, 10])


def test_scan_over_large_carry_uses_threads_correctly():
    x = RNG.normal(size=(1 << 18,)).astype(np.float32)

    def f(x):
        return lax.scan(lambda c, _: (jnp.sin(c) * 0.9, None), x, None, length=3)[0]
    want = x
    for _ in range(3):
        want = np.sin(want) * np.float32(0.9)
    _close(jaxlite.jit(f)(x), want, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------- cond

@pytest.mark.parametrize("index", [-2, 0, 1, 2, 9])
def test_switch_clamps_index(index):
    x = RNG.normal(size=(3, 4)).astype(np.float32)
    branches = [lambda x: x * 2.0, lambda x: jnp.exp(x), lambda x: x - 1.0]
    want = branches[min(max(index, 0), 2)](x)
    got = jaxlite.jit(lambda i, x: lax.switch(i, branches, x))(np.int32(index), x)
    _close(got, np.asarray(want), rtol=1e-6)


def test_cond_untaken_branch_does_not_run():
    def f(p, x):
        # The untaken branch would produce NaN/inf everywhere.
        return lax.cond(p, lambda x: x + 1.0, lambda x: jnp.log(-jnp.abs(x) - 1.0) / 0.0, x)
    x = RNG.normal(size=100).astype(np.float32)
    exe = _compiled(f, True, x)
    assert "[cond]" in exe.fusion_plan() and "switch" in exe.llvm_ir(optimized=False)
    got = jaxlite.jit(f)(True, x)
    assert np.all(np.isfinite(got))
    _close(got, x + 1.0)
    assert np.all(np.isnan(jaxlite.jit(f)(False, x)))


def test_cond_with_pytree_operands_and_outputs():
    def f(p, a, b):
        return lax.cond(p, lambda a, b: {"s": a + b, "n": b.sum()},
                        lambda a, b: {"s": a - b, "n": -b.sum()}, a, b)
    a, b = np.arange(4, dtype=np.float32), np.ones(4, np.float32)
    for p in (True, False):
        _close(jaxlite.jit(f)(p, a, b), f(p, a, b))


# --------------------------------------------------------------------- nested

def test_scan_inside_while():
    def f(v):
        def body(c):
            i, v = c
            v = lax.scan(lambda c, _: (c * 0.5 + 1.0, None), v, None, length=3)[0]
            return i + 1, v
        return lax.while_loop(lambda c: c[0] < 4, body, (0, v))
    v = RNG.normal(size=8).astype(np.float32)
    want = v
    for _ in range(12):
        want = want * np.float32(0.5) + np.float32(1.0)
    i, got = jaxlite.jit(f)(v)
    assert int(i) == 4
    _close(got, want)
    plan = _compiled(f, v).fusion_plan()
    assert "[while]" in plan and "[scan]" in plan and "    body:" in plan


def test_cond_inside_scan_and_while_inside_cond():
    def f(xs):
        def step(c, x):
            c = lax.cond(x > 0, lambda c: c + x, lambda c: c * 0.5, c)
            d = lax.cond(c > 10.0, lambda c: lax.while_loop(lambda v: v > 1.0,
                                                            lambda v: v / 3.0, c),
                         lambda c: c, c)
            return c, d
        return lax.scan(step, np.float32(1.0), xs)
    xs = (RNG.normal(size=20) * 8).astype(np.float32)
    c, ds = np.float32(1.0), []
    for x in xs:
        c = np.float32(c + x) if x > 0 else np.float32(c * 0.5)
        d = c
        if c > 10.0:
            while d > 1.0:
                d = np.float32(d / np.float32(3.0))
        ds.append(d)
    _close(jaxlite.jit(f)(xs), (c, np.array(ds, np.float32)), rtol=1e-5)


def test_plan_shows_nested_programs_with_source_lines():
    def f(x):
        return lax.fori_loop(0, 3, lambda i, x: jnp.exp(x) * 0.5, x)
    plan = _compiled(f, np.ones(4, np.float32)).fusion_plan()
    line = f.__code__.co_firstlineno + 1
    assert "body:" in plan and "exp" in plan
    assert f"test_control_flow_jit.py:{line}" in plan, plan


def test_loop_body_constants_key_the_compile_cache():
    c1, c2 = np.arange(5, dtype=np.float32), np.full(5, 10.0, np.float32)
    f1 = jaxlite.jit(lambda x: lax.fori_loop(0, 2, lambda i, x: x + c1, x))
    f2 = jaxlite.jit(lambda x: lax.fori_loop(0, 2, lambda i, x: x + c2, x))
    x = np.zeros(5, np.float32)
    _close(f1(x), 2 * c1)
    _close(f2(x), 2 * c2)


# --------------------------------------------------------------- compositions

def _rnn_loss(params, xs):
    wx, wh = params

    def step(h, x):
        h = jnp.tanh(x @ wx + h @ wh)
        return h, jnp.sum(h * h)
    h, ys = lax.scan(step, jnp.zeros(wh.shape[0], wh.dtype), xs)
    return jnp.sum(ys) + jnp.sum(h)


def _fd_grad(f, params, eps=1e-6):
    grads = []
    for k, p in enumerate(params):
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            up = [q.copy() for q in params]
            dn = [q.copy() for q in params]
            up[k][idx] += eps
            dn[k][idx] -= eps
            g[idx] = (f(up) - f(dn)) / (2 * eps)
        grads.append(g)
    return grads


def _np_rnn_loss(params, xs):
    wx, wh = params
    h, total = np.zeros(wh.shape[0]), 0.0
    for x in xs:
        h = np.tanh(x @ wx + h @ wh)
        total += np.sum(h * h)
    return total + np.sum(h)


def test_jit_grad_through_scan_matches_finite_differences():
    rng = np.random.default_rng(1)
    params = [rng.normal(size=(3, 4)) * 0.5, rng.normal(size=(4, 4)) * 0.5]
    xs = rng.normal(size=(6, 3))
    got = jaxlite.jit(jaxlite.grad(_rnn_loss))(params, xs)
    want = _fd_grad(lambda p: _np_rnn_loss(p, xs), params)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8)
    eager = jaxlite.grad(_rnn_loss)(params, xs)
    _close(got, eager, rtol=1e-12, atol=1e-12)


def test_jit_vmap_while_with_different_trip_counts():
    def halvings(x):
        return lax.while_loop(lambda c: c[1] > 1.0, lambda c: (c[0] + 1, c[1] / 2.0),
                              (0, x))
    xs = np.array([0.5, 1.5, 3.0, 100.0, 1e6], np.float32)
    n, v = jaxlite.jit(jaxlite.vmap(halvings))(xs)
    want_n, want_v = [], []
    for x in xs:
        k = 0
        while x > 1.0:
            x, k = np.float32(x / 2.0), k + 1
        want_n.append(k)
        want_v.append(x)
    np.testing.assert_array_equal(n, want_n)
    _close(v, np.array(want_v, np.float32))


def test_jit_vmap_grad_through_scan():
    rng = np.random.default_rng(2)
    params = [rng.normal(size=(3, 4)) * 0.5, rng.normal(size=(4, 4)) * 0.5]
    batch = rng.normal(size=(3, 5, 3))
    got = jaxlite.jit(jaxlite.vmap(jaxlite.grad(_rnn_loss), in_axes=(None, 0)))(params, batch)
    for b in range(3):
        want = _fd_grad(lambda p: _np_rnn_loss(p, batch[b]), params)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g[b], w, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------- dtypes, bounds, dumps

@pytest.mark.parametrize("dtype", [np.int32, np.float64, np.bool_])
def test_scan_and_cond_over_dtypes(dtype):
    xs = (RNG.normal(size=(7, 3)) * 3).astype(dtype)

    def f(p, xs):
        def step(c, x):
            c = lax.cond(p, lambda a, b: a | b if dtype == np.bool_ else a + b,
                         lambda a, b: a & b if dtype == np.bool_ else a - b, c, x)
            return c, c
        return lax.scan(step, jnp.zeros(3, dtype), xs)
    for p in (True, False):
        c, want = np.zeros(3, dtype), []
        for x in xs:
            if dtype == np.bool_:
                c = c | x if p else c & x
            else:
                c = c + x if p else c - x
            want.append(c)
        _close(jaxlite.jit(f)(p, xs), (c, np.array(want, dtype)))
        _close(jaxlite.jit(f)(p, xs), f(p, xs))


@pytest.mark.parametrize("max_steps", [0, 3, 50])
def test_while_loop_max_steps_under_jit(max_steps):
    def f(x):
        return lax.while_loop(lambda c: c[1] < 100.0, lambda c: (c[0] + 1, c[1] * 2.0),
                              (0, x), max_steps=max_steps)
    x = np.float32(1.0)
    want_n = min(max_steps, 7)           # 1 * 2**7 = 128 >= 100
    n, v = jaxlite.jit(f)(x)
    assert int(n) == want_n
    _close(v, np.float32(2.0 ** want_n))


def test_dump_shows_nested_plan(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_DUMP_DIR", str(tmp_path))

    def looped(x):
        return lax.scan(lambda c, x: (c + jnp.cos(x), c), 0.0, x)
    _compiled(looped, np.ones(5, np.float32))
    plans = [p for p in os.listdir(tmp_path) if p.endswith(".plan.txt")]
    assert len(plans) == 1
    text = (tmp_path / plans[0]).read_text()
    line = looped.__code__.co_firstlineno + 1
    assert "[scan]" in text and "body:" in text and "cos" in text
    assert f"test_control_flow_jit.py:{line} (<lambda>)" in text, text
    ir_text = [p for p in os.listdir(tmp_path) if p.endswith(".ll")
               and not p.endswith(".opt.ll")]
    assert "_scan_body" in (tmp_path / ir_text[0]).read_text()


# ------------------------------------------------------ loop-invariant hoisting

@pytest.mark.parametrize("n", [0, 1, 4])
def test_loop_invariant_work_runs_once_before_the_loop(n):
    c = np.linspace(0, 1, 6).astype(np.float32)

    def f(c, x, n):
        def body(i, x):
            w = jnp.exp(c) / jnp.sum(jnp.exp(c))       # reads only constants
            return x * 0.5 + w * jnp.sin(x)
        return lax.fori_loop(0, n, body, x)
    x = np.ones(6, np.float32)
    plan = _compiled(f, c, x, n).fusion_plan()
    body = plan[plan.index("    body:"):]
    before = plan[:plan.index("[while]")]
    assert "exp" in before and "reduce_sum" in before, plan
    assert "exp" not in body and "reduce_sum" not in body, plan
    w = np.exp(c) / np.exp(c).sum()
    want = x
    for _ in range(n):
        want = want * np.float32(0.5) + w * np.sin(want)
    _close(jaxlite.jit(f)(c, x, np.int32(n)), want, rtol=1e-5)


def test_scan_hoisting_keeps_linear_and_xs_in_place():
    c = np.float32(0.3)

    def f(c, xs):
        return lax.scan(lambda h, x: (h * jnp.cos(c) + x, jnp.exp(c) * h), 0.0, xs,
                        reverse=True)
    xs = np.arange(5, dtype=np.float32)
    jaxpr = jaxlite.make_jaxpr(f)(c, xs)
    plan = _compiled(f, c, xs).fusion_plan()
    assert "cos" not in plan[plan.index("    body:"):], plan
    h, ys = np.float32(0.0), np.zeros(5, np.float32)
    for t in range(4, -1, -1):
        ys[t] = np.exp(c) * h
        h = h * np.cos(c) + xs[t]
    _close(jaxlite.jit(f)(c, xs), (h, ys), rtol=1e-5)
    assert "scan" in str(jaxpr)


@pytest.mark.parametrize("n", [0, 3])
def test_carry_returned_unchanged_is_not_copied_each_trip(n):
    data = RNG.normal(size=(50, 40)).astype(np.float32)

    def f(data, x, n):
        def body(c):
            i, data, x = c
            return i + 1, data, x + jnp.sum(jnp.exp(data)) * 0.001
        return lax.while_loop(lambda c: c[0] < n, body, (0, data, x))

    def g(data, x):
        return lax.scan(lambda c, t: ((c[0], c[1] * 0.5 + t), c[1]), (data, x),
                        np.arange(n, dtype=np.float32))
    x = np.float32(1.0)
    plan = _compiled(f, data, x, n).fusion_plan()
    body = plan[plan.index("    body:"):plan.index("\n    reads:")]
    assert "copy" not in body and "exp" not in body, plan   # exp(data) is hoisted too
    i, d, got = jaxlite.jit(f)(data, x, np.int32(n))
    assert int(i) == n
    _close(d, data)
    _close(got, np.float32(x + n * np.exp(data).sum() * 0.001), rtol=1e-5)
    (d, h), ys = jaxlite.jit(g)(data, x)
    _close(d, data)
    want_h, want_ys = x, []
    for t in range(n):
        want_ys.append(want_h)
        want_h = np.float32(want_h * 0.5 + t)
    _close(h, np.float32(want_h))
    _close(ys, np.array(want_ys, np.float32).reshape(n))


# ------------------------------------------------------------ random programs

def _random_program(rng):
    """A scan over random-length xs whose body mixes a switch, an inner while and
    carries of several sizes (scalar, small, larger than a swapped carry's
    threshold), some returned unchanged and some accumulated."""
    length = int(rng.integers(0, 5))
    width = int(rng.choice([1, 3, 40]))
    nbranch = int(rng.integers(1, 4))
    reverse = bool(rng.integers(0, 2))
    trips = int(rng.integers(-1, 4))
    scale = np.float32(rng.uniform(0.2, 0.9))
    w = rng.normal(size=(width, width)).astype(np.float32) * 0.3
    args = (w, rng.normal(size=width).astype(np.float32),
            rng.normal(size=(length, width)).astype(np.float32),
            rng.integers(-1, nbranch + 1, size=length).astype(np.int32))

    def f(w, h0, xs, idx):
        branches = [lambda h, x: jnp.tanh(w @ h + x),
                    lambda h, x: h * scale - x,
                    lambda h, x: jnp.sin(h) + jnp.sum(x) * 0.1][:nbranch]

        def step(c, inp):
            h, k, keep, acc = c
            x, i = inp
            h = lax.switch(i, branches, h, x)
            h = lax.while_loop(lambda v: v[0] < trips, lambda v: (v[0] + 1, v[1] * scale),
                               (0, h))[1]
            return (h, k + i, keep, acc + jnp.exp(w) * 0.01), (h.sum(), k)
        init = (h0, np.int32(0), w, jnp.zeros_like(w))
        return lax.scan(step, init, (xs, idx), reverse=reverse)
    return f, args


@pytest.mark.parametrize("seed", range(12))
def test_random_control_flow_programs_jit_matches_eager(seed):
    f, args = _random_program(np.random.default_rng(seed))
    _close(jaxlite.jit(f)(*args), f(*args), rtol=2e-5, atol=2e-6)


def test_vmap_with_unbatched_index_keeps_a_real_branch():
    def f(p, x):
        return lax.cond(p, lambda x: jnp.exp(x), lambda x: jnp.log(-jnp.abs(x) - 1.0), x)
    g = jaxlite.vmap(f, in_axes=(None, 0))
    xs = RNG.normal(size=(4, 3)).astype(np.float32)
    assert "cond[" in str(jaxlite.make_jaxpr(g)(True, xs))
    assert "[cond]" in _compiled(g, True, xs).fusion_plan()
    _close(jaxlite.jit(g)(True, xs), np.exp(xs), rtol=1e-6)
    assert np.all(np.isnan(jaxlite.jit(g)(False, xs)))


def test_literal_branch_outputs_zero_size_carries_and_map():
    f = jaxlite.jit(lambda p: lax.cond(p, lambda: 1.0, lambda: 2.0))
    assert float(f(True)) == 1.0 and float(f(False)) == 2.0
    h = jaxlite.jit(lambda c, xs: lax.scan(lambda c, x: (c + x.sum(), x * 2), c, xs))
    c, ys = h(np.zeros((0,), np.float32), np.ones((3, 0), np.float32))
    assert c.shape == (0,) and ys.shape == (3, 0)
    w = jaxlite.jit(lambda n: lax.while_loop(lambda c: c[0] < n,
                                             lambda c: (c[0] + 1, c[1] + 1.0),
                                             (0, jnp.zeros((2, 0)))))
    i, z = w(3)
    assert int(i) == 3 and z.shape == (2, 0)
    m = jaxlite.jit(lambda xs: lax.map(lambda x: jnp.sum(x ** 2), xs))
    xs = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    _close(m(xs), (xs ** 2).sum(1))
