"""lax.cond / switch / while_loop / fori_loop / scan / map as primitives:
eager values against Python loops and numpy, their printed jaxprs, tracing
once, and the errors JAX raises for bad input. (Derivatives:
test_control_flow_ad.py; vmap: test_control_flow_vmap.py; jit:
test_control_flow_jit*.py.)"""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import core, lax


def _cond_f(p, x):
    return lax.cond(lax.gt(p, 0.0), lambda v: lax.sin(v), lambda v: lax.cos(v), x)


# ------------------------------------------------------------------- cond

def test_cond_values():
    np.testing.assert_allclose(_cond_f(1.0, 2.0), np.sin(2.0), rtol=1e-6)
    np.testing.assert_allclose(_cond_f(-1.0, 2.0), np.cos(2.0), rtol=1e-6)


def test_cond_forms():
    # JAX's signature: operands positional, operand=, or none at all.
    assert float(lax.cond(True, lambda: 1.0, lambda: 2.0)) == 1.0
    assert float(lax.cond(False, lambda x: x, lambda x: -x, operand=3.0)) == -3.0
    assert float(lax.cond(True, lambda x, y: x * y, lambda x, y: x + y, 3.0, 4.0)) == 12.0
    # An integer predicate: nonzero is true.
    assert float(lax.cond(np.int32(7), lambda: 1.0, lambda: 2.0)) == 1.0
    assert float(lax.cond(0, lambda: 1.0, lambda: 2.0)) == 2.0


def test_cond_pytree_operands_and_outputs():
    def f(p, d):
        return lax.cond(p, lambda d: {"a": lax.mul(d["x"], 2.0), "b": d["y"]},
                        lambda d: {"a": d["x"], "b": lax.neg(d["y"])}, d)
    d = {"x": np.array([1.0, 2.0]), "y": np.float64(3.0)}
    out = f(True, d)
    np.testing.assert_allclose(out["a"], [2.0, 4.0])
    assert float(out["b"]) == 3.0
    assert float(f(False, d)["b"]) == -3.0


def test_cond_traces_each_branch_once_and_runs_only_the_taken_one(monkeypatch):
    traced = []
    ran = []
    for prim in (lax.sin_p, lax.exp_p):
        impl = core.impl_rules[prim]
        monkeypatch.setitem(core.impl_rules, prim,
                            lambda x, impl=impl, name=prim.name: ran.append(name) or impl(x))

    def t(v):
        traced.append("t")
        return lax.sin(v)

    def f(v):
        traced.append("f")
        return lax.exp(v)
    lax.cond(True, t, f, 1.0)
    assert sorted(traced) == ["f", "t"] and ran == ["sin"]
    ran.clear()
    # Under grad the taken branch is still the only one run.
    jaxlite.grad(lambda x: lax.cond(lax.gt(x, 0.0), t, f, x))(1.0)
    assert "exp" not in ran and "sin" in ran


def test_cond_closes_over_values_of_each_branch():
    a, b = np.array([1.0, 2.0]), np.array([10.0, 20.0])
    f = lambda p, x: lax.cond(p, lambda v: v * a, lambda v: v + b, x)
    np.testing.assert_allclose(f(True, 2.0), [2.0, 4.0])
    np.testing.assert_allclose(f(False, 2.0), [12.0, 22.0])
    np.testing.assert_allclose(jaxlite.jit(f)(False, 2.0), [12.0, 22.0])


def test_cond_jaxpr():
    text = str(jaxlite.make_jaxpr(_cond_f)(1.0, 2.0))
    assert text == """\
{ lambda ; a:f32[] b:f32[]. let
    c:bool[] = gt a 0.0:f32[]
    d:i32[] = convert_element_type[new_dtype=int32 weak_type=False] c
    e:f32[] = cond[
      branches=(
        { lambda ; f:f32[]. let g:f32[] = cos f in (g,) }
        { lambda ; h:f32[]. let i:f32[] = sin h in (i,) }
      )
    ] d b
  in (e,) }"""


def test_cond_errors():
    with pytest.raises(TypeError, match="structure"):
        lax.cond(True, lambda v: (v, v), lambda v: v, 1.0)     # also with a concrete pred
    with pytest.raises(TypeError, match=r"identical types.*f32\[3\] in false_fun and f32\[\] in true_fun"):
        lax.cond(True, lambda v: v, lambda v: jnp.ones(3, jnp.float32), np.float32(1.0))
    with pytest.raises(TypeError, match="identical types"):
        jaxlite.jit(lambda p, x: lax.cond(p, lambda v: v, lambda v: np.ones(3), x))(True, 1.0)
    with pytest.raises(TypeError, match=r"scalar.*\(2,\)"):
        lax.cond(np.array([True, False]), lambda: 1.0, lambda: 2.0)



def test_cond_float_predicate_is_nonzero_test():
    # JAX 0.10 accepts a float predicate and branches on pred != 0 (NaN is true).
    assert float(lax.cond(np.float32(0.5), lambda: 1.0, lambda: 2.0)) == 1.0
    assert float(lax.cond(0.0, lambda: 1.0, lambda: 2.0)) == 2.0
    assert float(lax.cond(np.nan, lambda: 1.0, lambda: 2.0)) == 1.0
    f = jaxlite.jit(lambda p: lax.cond(p, lambda: 1.0, lambda: 2.0))
    assert float(f(np.float32(0.0))) == 2.0 and float(f(np.float32(-3.0))) == 1.0
    with pytest.raises(TypeError, match="integer"):
        lax.switch(1.0, [lambda: 1.0, lambda: 2.0])


def test_switch():
    branches = [lambda v: v, lambda v: lax.mul(v, 2.0), lambda v: lax.neg(v)]
    g = lambda i, x: lax.switch(i, branches, x)
    want = {-1: 3.0, 0: 3.0, 1: 6.0, 2: -3.0, 3: -3.0}   # index clamped
    for i, w in want.items():
        assert float(g(i, 3.0)) == w
        assert float(jaxlite.jit(g)(i, 3.0)) == w
    assert float(lax.switch(5, [lambda: 4.0])) == 4.0
    with pytest.raises(ValueError, match="at least one branch"):
        lax.switch(0, [], 1.0)
    with pytest.raises(TypeError, match="integer"):
        lax.switch(1.0, branches, 1.0)
    with pytest.raises(TypeError, match="same pytree structure"):
        lax.switch(0, [lambda: 1.0, lambda: (1.0, 2.0)])


def test_switch_jaxpr_clamps_a_traced_index():
    text = str(jaxlite.make_jaxpr(lambda i, x: lax.switch(i, [jnp.sin, jnp.cos, jnp.exp], x))(
        1, 2.0))
    assert "min c 2:i32[]" in text and "max" in text and text.count("{ lambda") == 4


# ------------------------------------------------------------- while_loop

def test_while_loop():
    out = lax.while_loop(lambda v: lax.lt(v, 10), lambda v: lax.mul(v, 2), 1)
    assert int(out) == 16
    # A Python-scalar carry comes back as an array, weakly typed as in JAX.
    assert isinstance(out, core.Array) and out.dtype == np.int32
    assert jaxlite.make_jaxpr(lambda: lax.while_loop(lambda v: v < 10, lambda v: v * 2, 1))(
        ).jaxpr.outvars[0].aval.weak_type
    # Zero iterations.
    assert float(lax.while_loop(lambda v: v > 10.0, lambda v: v + 1.0, 3.0)) == 3.0


def test_while_loop_pytree_carry():
    def body(c):
        return {"n": c["n"] + 1, "x": c["x"] * 2.0}
    out = lax.while_loop(lambda c: c["n"] < 3, body, {"n": 0, "x": np.array([1.0, 2.0])})
    assert int(out["n"]) == 3
    np.testing.assert_allclose(out["x"], [8.0, 16.0])


def test_while_loop_jaxpr():
    f = lambda x: lax.while_loop(lambda v: lax.lt(v, 10.0), lambda v: lax.mul(v, x), 1.0)
    assert str(jaxlite.make_jaxpr(f)(2.0)) == """\
{ lambda ; a:f32[]. let
    b:f32[] = while[
      body_jaxpr={ lambda ; c:f32[] d:f32[]. let e:f32[] = mul d c in (e,) }
      body_nconsts=1
      cond_jaxpr={ lambda ; f:f32[]. let g:bool[] = lt f 10.0:f32[] in (g,) }
      cond_nconsts=0
    ] a 1.0:f32[]
  in (b,) }"""


def test_while_loop_max_steps():
    f = lambda n: lax.while_loop(lambda v: v < 100, lambda v: v + 1, 0, max_steps=n)
    assert int(f(7)) == 7 and int(f(1000)) == 100 and int(f(0)) == 0
    assert "max_steps=7" in str(jaxlite.make_jaxpr(lambda: f(7))())
    with pytest.raises(TypeError, match="max_steps"):
        f(-1)


def test_while_loop_errors():
    with pytest.raises(TypeError, match=r"carry leaf 0.*f32\[\].*f32\[2\]"):
        lax.while_loop(lambda v: v < 1.0, lambda v: jnp.ones(2, jnp.float32), np.float32(0.0))
    with pytest.raises(TypeError, match=r"int32.*float32|i32\[\].*f32\[\]"):
        lax.while_loop(lambda v: v < 1, lambda v: np.float32(1.5), np.int32(0))
    with pytest.raises(TypeError, match="pytree structure"):
        lax.while_loop(lambda c: c[0] < 1, lambda c: (c[0] + 1,), (0, 1.0))
    with pytest.raises(TypeError, match="boolean scalar"):
        lax.while_loop(lambda v: v, lambda v: v + 1.0, 0.0)
    with pytest.raises(TypeError, match="boolean scalar"):
        lax.while_loop(lambda v: v < np.ones(2), lambda v: v + 1.0, 0.0)


# --------------------------------------------------------------- fori_loop

def test_fori_loop():
    assert float(lax.fori_loop(0, 5, lambda i, v: lax.add(v, i.astype(jnp.float32)), 0.0)) \
        == 10.0
    power = lambda x: lax.fori_loop(0, 5, lambda i, v: lax.mul(v, x), 1.0)
    assert float(power(2.0)) == 32.0
    assert float(jaxlite.jit(power)(2.0)) == 32.0
    # Empty and negative ranges run zero times.
    assert float(lax.fori_loop(3, 3, lambda i, v: v + 1.0, 0.0)) == 0.0
    assert float(lax.fori_loop(5, 2, lambda i, v: v + 1.0, 0.0)) == 0.0
    # A weak integer carry takes the body's float type, as in JAX.
    out = lax.fori_loop(0, 3, lambda i, v: v + 0.5, 0)
    assert float(out) == 1.5 and out.dtype == np.float32


def test_fori_loop_static_bounds_is_a_scan_traced_is_a_while():
    body = lambda i, v: v * 2.0
    static = str(jaxlite.make_jaxpr(lambda x: lax.fori_loop(0, 3, body, x))(1.0))
    assert "scan[" in static and "length=3" in static and "while" not in static
    traced = str(jaxlite.make_jaxpr(lambda n, x: lax.fori_loop(0, n, body, x))(3, 1.0))
    assert "while[" in traced and "scan" not in traced
    f = jaxlite.jit(lambda n, x: lax.fori_loop(0, n, body, x))
    assert float(f(3, 1.0)) == 8.0 and float(f(0, 1.0)) == 1.0 and float(f(-2, 1.0)) == 1.0


def test_fori_loop_long_loop_is_one_equation_traced_once():
    calls = []

    def body(i, v):
        calls.append(1)
        return v * 0.5 + 1.0
    closed = jaxlite.make_jaxpr(lambda x: lax.fori_loop(0, 100_000, body, x))(1.0)
    assert len(closed.jaxpr.eqns) == 1 and closed.jaxpr.eqns[0].prim.name == "scan"
    assert closed.jaxpr.eqns[0].params["length"] == 100_000
    assert len(calls) == 1


def test_fori_loop_errors():
    with pytest.raises(TypeError, match="integer"):
        lax.fori_loop(0.0, 3, lambda i, v: v, 0.0)


# -------------------------------------------------------------------- scan

def _numpy_scan(f, init, xs):
    c, ys = init, []
    for x in xs:
        c, y = f(c, x)
        ys.append(y)
    return c, np.stack(ys)


def test_scan_matches_a_python_loop():
    xs = np.arange(1.0, 6.0)
    step = lambda c, x: (c * 0.5 + x, c * x)
    c, ys = lax.scan(step, 1.0, xs)
    wc, wys = _numpy_scan(step, 1.0, xs)
    np.testing.assert_allclose(c, wc)
    np.testing.assert_allclose(ys, wys)
    c, ys = lax.scan(step, 1.0, xs, reverse=True)
    wc, wys = _numpy_scan(step, 1.0, xs[::-1])
    np.testing.assert_allclose(c, wc)
    np.testing.assert_allclose(ys, wys[::-1])


def test_scan_pytree_carry_xs_and_length():
    def step(carry, x):
        a, b = carry
        return (lax.add(a, x["u"]), lax.mul(b, 2.0)), {"a": a, "v": x["v"] * a}
    xs = {"u": np.array([1.0, 2.0, 3.0]), "v": np.ones((3, 2))}
    (a, b), ys = lax.scan(step, (0.0, 1.0), xs)
    assert float(a) == 6.0 and float(b) == 8.0
    np.testing.assert_allclose(ys["a"], [0.0, 1.0, 3.0])
    np.testing.assert_allclose(ys["v"], [[0.0, 0.0], [1.0, 1.0], [3.0, 3.0]])
    c, none = lax.scan(lambda c, _: (lax.add(c, 1.0), None), 0.0, None, length=4)
    assert float(c) == 4.0 and none is None


def test_scan_length_zero_and_unroll():
    c, ys = lax.scan(lambda c, x: (c + x, c * 2.0), np.full(3, 5.0), np.zeros((0, 3)))
    np.testing.assert_allclose(c, [5.0, 5.0, 5.0])
    assert ys.shape == (0, 3)
    xs = np.arange(7.0)
    c, ys = lax.scan(lambda c, x: (c + x, c), 0.0, xs, unroll=3)
    assert float(c) == 21.0
    np.testing.assert_allclose(ys, np.cumsum(xs) - xs)
    assert "unroll=3" in str(jaxlite.make_jaxpr(
        lambda xs: lax.scan(lambda c, x: (c + x, c), 0.0, xs, unroll=3))(xs))


def test_scan_traces_body_once():
    calls = []

    def step(c, x):
        calls.append(1)
        return c + x, c
    lax.scan(step, np.float32(0.0), np.arange(50.0, dtype=np.float32))
    assert len(calls) == 1


def test_scan_jaxpr():
    f = lambda xs: lax.scan(lambda c, x: (lax.add(c, x), lax.mul(c, x)), np.float32(0.0), xs)
    assert str(jaxlite.make_jaxpr(f)(np.arange(4.0, dtype=np.float32))) == """\
{ lambda ; a:f32[4]. let
    b:f32[] c:f32[4] = scan[
      jaxpr={ lambda ; d:f32[] e:f32[]. let
          f:f32[] = add d e
          g:f32[] = mul d e
        in (f, g) }
      length=4
      linear=(False, False)
      num_carry=1
      num_consts=0
      reverse=False
      unroll=1
    ] 0.0:f32[] a
  in (b, c) }"""


def test_scan_errors():
    with pytest.raises(ValueError, match="different leading axis sizes: 3, 4"):
        lax.scan(lambda c, x: (c, None), 0.0, (np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match=r"length.*5.*disagrees.*\[3\]"):
        lax.scan(lambda c, x: (c, None), 0.0, np.zeros(3), length=5)
    with pytest.raises(ValueError, match="length"):
        lax.scan(lambda c, _: (c, None), 0.0, None)
    with pytest.raises(ValueError, match="leading axis"):
        lax.scan(lambda c, x: (c, None), 0.0, np.float32(1.0))
    with pytest.raises(TypeError, match=r"carry leaf 1.*f32\[\].*f32\[2\]"):
        lax.scan(lambda c, x: ((c[0], jnp.ones(2, jnp.float32)), None),
                 (0.0, np.float32(0.0)), np.zeros(3))
    with pytest.raises(TypeError, match="pytree structure"):
        lax.scan(lambda c, x: ((c, c), None), 0.0, np.zeros(3))
    with pytest.raises(TypeError, match="pair"):
        lax.scan(lambda c, x: c, 0.0, np.zeros(3))


def test_map():
    xs = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(lax.map(lambda r: jnp.sum(r * r), xs), (xs * xs).sum(1))
    out = lax.map(lambda d: {"s": d["a"] + d["b"]}, {"a": xs, "b": xs})
    np.testing.assert_allclose(out["s"], 2 * xs)
    xs = np.arange(14.0).reshape(7, 2)
    for batch_size in (1, 2, 3, 7, 9):
        out = lax.map(lambda r: (jnp.sum(r * r), r[0]), xs, batch_size=batch_size)
        np.testing.assert_allclose(out[0], (xs * xs).sum(1))
        np.testing.assert_allclose(out[1], xs[:, 0])
    with pytest.raises(TypeError, match="batch_size"):
        lax.map(jnp.sin, xs, batch_size=0)


def test_jaxprs_typecheck():
    from jaxlite.ir import typecheck_closed
    f = lambda x: lax.scan(lambda c, y: (lax.cond(c > 0, jnp.sin, jnp.cos, c * y),
                                         lax.while_loop(lambda v: v < 3.0, lambda v: v + 1.0,
                                                        y)), x, jnp.arange(3.0))
    typecheck_closed(jaxlite.make_jaxpr(f)(1.0))
    typecheck_closed(jaxlite.make_jaxpr(jaxlite.grad(lambda x: f(x)[0]))(1.0))
    typecheck_closed(jaxlite.make_jaxpr(jaxlite.vmap(f))(np.arange(3.0)))


def test_dead_code_inside_control_flow_is_dropped():
    # An unused carry (with the work only it needed) leaves the while...
    f = lambda x: lax.while_loop(lambda c: c[0] < 3,
                                 lambda c: (c[0] + 1, c[1] * x, jnp.cos(c[2])), (0, x, x))[1]
    eqn, = jaxlite.make_jaxpr(f)(2.0).jaxpr.eqns
    assert len(eqn.outvars) == 2 and "cos" not in str(eqn.params["body_jaxpr"])
    assert float(f(2.0)) == 16.0
    # ... an unused y leaves the scan, a carry the kept ones read stays ...
    g = lambda xs: lax.scan(lambda c, x: ((c[0] + x, c[1] * c[0]), jnp.sin(x)), (1.0, 1.0),
                            xs)[0][1]
    eqn, = jaxlite.make_jaxpr(g)(np.arange(3.0, dtype=np.float32)).jaxpr.eqns
    assert len(eqn.outvars) == 2 and "sin" not in str(eqn.params["jaxpr"])
    assert float(g(np.arange(3.0, dtype=np.float32))) == 2.0     # 1 * 1 * 1 * 2
    # ... and an unused output and its operand leave every branch of a cond.
    h = lambda p, x: lax.cond(p, lambda a, b: (a, b * 2.0), lambda a, b: (a + 1.0, b),
                              x, jnp.exp(x))[0]
    text = str(jaxlite.make_jaxpr(h)(True, 2.0))
    assert "exp" not in text and "mul" not in text


@pytest.mark.parametrize("n", [0, 1, 2, 5, 8, 9])
def test_associative_scan_matches_numpy_accumulate(n):
    x = np.random.default_rng(n).normal(size=(3, n)).astype(np.float32)
    np.testing.assert_allclose(lax.associative_scan(jnp.add, x, axis=1), np.cumsum(x, 1),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(lax.associative_scan(jnp.maximum, x, reverse=True, axis=-1),
                               np.maximum.accumulate(x[:, ::-1], 1)[:, ::-1])
    got = jaxlite.jit(lambda v: lax.associative_scan(jnp.multiply, v.T))(x)
    np.testing.assert_allclose(got, np.cumprod(x.T, 0), rtol=1e-5, atol=1e-6)


def test_associative_scan_linear_recurrence_pytree_grad_vmap():
    # Composing affine maps (not commutative) gives h_t = a_t h_{t-1} + b_t.
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.5, 1, 7).astype(np.float32), rng.normal(size=7).astype(np.float32)
    _, h = lax.associative_scan(lambda p, q: (q[0] * p[0], q[0] * p[1] + q[1]), (a, b))
    want, acc = [], 0.0
    for t in range(7):
        acc = a[t] * acc + b[t]
        want.append(acc)
    np.testing.assert_allclose(h, want, rtol=1e-5)
    # d/dx sum(cumsum(x)**2) = reversed cumsum of 2 cumsum(x)
    x = np.arange(5.0, dtype=np.float32)
    g = jaxlite.grad(lambda v: jnp.sum(lax.associative_scan(jnp.add, v) ** 2))(x)
    np.testing.assert_allclose(g, np.cumsum((2 * np.cumsum(x))[::-1])[::-1])
    vm = jaxlite.vmap(lambda v: lax.associative_scan(jnp.add, v))(np.ones((2, 4), np.float32))
    np.testing.assert_allclose(vm, [[1, 2, 3, 4]] * 2)
    with pytest.raises(ValueError, match="same first dimension"):
        lax.associative_scan(jnp.add, (jnp.ones(3), jnp.ones(4)))


def test_optimization_barrier_is_the_identity_on_pytrees():
    x = np.arange(3.0, dtype=np.float32)
    out = lax.optimization_barrier((x, 1.0, {"n": np.int32(2)}))
    np.testing.assert_array_equal(out[0], x)
    assert out[1].dtype == np.float32 and float(out[1]) == 1.0 and int(out[2]["n"]) == 2
    g = jaxlite.grad(lambda v: jnp.sum(lax.optimization_barrier(v * v)))(x)
    np.testing.assert_array_equal(g, 2 * x)
    np.testing.assert_array_equal(jaxlite.jit(lambda v: lax.optimization_barrier(v) + 1)(x), x + 1)
