"""vmap of cond / switch / while_loop / fori_loop / scan against a Python
loop over the batch (helpers.check_vmap), and the shape of the batched
jaxprs: an unbatched predicate stays a branch, a batched one becomes a
select; a while with a batched predicate runs until every element is done."""
import numpy as np

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax
from helpers import check_grads, check_vmap

RNG = np.random.default_rng(0)


def _cond_f(p, x):
    return lax.cond(p > 0, lambda v: jnp.sin(v) * 2.0, lambda v: jnp.cos(v), x)


def test_cond_batched_predicate_is_a_select():
    p, x = np.array([1.0, -1.0, 2.0]), np.array([0.5, 0.5, 1.5])
    check_vmap(_cond_f, (p, x))
    np.testing.assert_allclose(jaxlite.vmap(_cond_f)(p, x),
                               np.where(p > 0, 2 * np.sin(x), np.cos(x)), rtol=1e-6)
    text = str(jaxlite.make_jaxpr(jaxlite.vmap(_cond_f))(p, x))
    assert "select_n" in text and "cond[" not in text
    g = jaxlite.vmap(jaxlite.grad(_cond_f, argnums=1))(p, x)
    np.testing.assert_allclose(g, np.where(p > 0, 2 * np.cos(x), -np.sin(x)), rtol=1e-6)


def test_cond_unbatched_predicate_stays_a_branch():
    x = RNG.normal(size=(4, 3))
    f = jaxlite.vmap(_cond_f, in_axes=(None, 0))
    np.testing.assert_allclose(f(1.0, x), 2 * np.sin(x), rtol=1e-6)
    np.testing.assert_allclose(f(-1.0, x), np.cos(x), rtol=1e-6)
    text = str(jaxlite.make_jaxpr(f)(1.0, x))
    assert "cond[" in text and "select_n" not in text


def test_cond_batched_operand_in_one_branch_only():
    # Only one branch uses the batched value: both outputs come out batched.
    f = lambda p, x, y: lax.cond(p, lambda a, b: a, lambda a, b: b, x, y)
    out = jaxlite.vmap(f, in_axes=(None, 0, None))(False, np.arange(3.0), np.float64(7.0))
    np.testing.assert_allclose(out, [7.0, 7.0, 7.0])
    check_vmap(f, (np.array([True, False, True]), np.arange(3.0), np.full(3, 7.0)))


def test_switch_batched_index():
    branches = [lambda v: v, lambda v: v * 2.0, lambda v: -v]
    g = lambda i, x: lax.switch(i, branches, x)
    got = jaxlite.vmap(g)(np.array([0, 1, 2, 5, -3], np.int32), np.arange(5.0))
    np.testing.assert_allclose(got, [0.0, 2.0, -2.0, -3.0, 4.0])


def _newton_sqrt(a):
    return lax.while_loop(lambda c: jnp.abs(c[0] * c[0] - a) > 1e-9 * a,
                          lambda c: ((c[0] + a / c[0]) / 2.0, c[1] + 1), (a, 0))


def test_while_batched_predicate_different_trip_counts():
    a = np.array([1.0, 4.0, 100.0, 1e4, 2.0])
    check_vmap(_newton_sqrt, (a,))
    root, steps = jaxlite.vmap(_newton_sqrt)(a)
    np.testing.assert_allclose(root, np.sqrt(a), rtol=1e-9)
    # Every element stopped at its own count (finished ones were frozen).
    assert list(steps) == [int(_newton_sqrt(x)[1]) for x in a]
    assert len(set(steps.tolist())) > 2


def test_while_unbatched_predicate_batched_carry():
    f = lambda x: lax.while_loop(lambda c: c[0] < 4, lambda c: (c[0] + 1, c[1] * 1.5 + 1.0),
                                 (0, x))[1]
    check_vmap(f, (np.arange(3.0),))
    text = str(jaxlite.make_jaxpr(jaxlite.vmap(f))(np.arange(3.0)))
    assert "reduce_max" not in text     # the predicate is shared: no any-reduction


def test_while_batched_cond_const():
    f = lambda n, x: lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * 2.0),
                                    (0, x))
    n = np.array([0, 3, 1], np.int32)
    check_vmap(f, (n, np.ones(3)))
    check_vmap(f, (n, np.float64(1.0)), in_axes=(0, None))


def test_fori_loop_vmap():
    power = lambda x: lax.fori_loop(0, 5, lambda i, v: lax.mul(v, x), 1.0)
    np.testing.assert_allclose(jaxlite.vmap(power)(np.array([1.0, 2.0])), [1.0, 32.0])
    traced_bound = lambda n, x: lax.fori_loop(0, n, lambda i, v: v * x, 1.0)
    check_vmap(traced_bound, (np.array([0, 2, 5], np.int32), np.array([3.0, 3.0, 2.0])))


def _scan_f(w, xs, c0):
    def step(c, x):
        c = jnp.tanh(c * w + x)
        return c, c * x
    return lax.scan(step, c0, xs)


def test_scan_vmap_each_operand():
    w, xs, c0 = np.float64(0.5), RNG.normal(size=(6, 3)), np.zeros(3)
    ws, xss, c0s = np.array([0.1, 0.5, 0.9]), RNG.normal(size=(3, 6, 3)), RNG.normal(size=(3, 3))
    check_vmap(_scan_f, (ws, xs, c0), in_axes=(0, None, None))       # consts only
    check_vmap(_scan_f, (w, xss, c0), in_axes=(None, 0, None))       # xs: carry by fixpoint
    check_vmap(_scan_f, (w, xs, c0s), in_axes=(None, None, 0))       # carry only
    check_vmap(_scan_f, (ws, xss, c0s))
    # xs batched along a later axis.
    got = jaxlite.vmap(_scan_f, in_axes=(None, 2, None))(w, xss.transpose(1, 2, 0), c0)
    want = jaxlite.vmap(_scan_f, in_axes=(None, 0, None))(w, xss, c0)
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e)


def test_vmap_grad_scan_and_grad_vmap():
    def loss(w, xs):
        c, ys = _scan_f(w, xs, np.zeros(3))
        return jnp.sum(c) + jnp.sum(ys * ys)
    ws, xss = np.array([0.1, 0.5, 0.9]), RNG.normal(size=(3, 6, 3))
    check_vmap(jaxlite.grad(loss), (ws, xss))
    check_grads(lambda w: jnp.sum(jaxlite.vmap(loss, in_axes=(0, None))(w, xss[0])), (ws,),
                order=2)


def test_vmap_of_vmap_while():
    a = np.array([[1.0, 4.0], [9.0, 16.0], [2.0, 3.0]])
    root, _ = jaxlite.vmap(jaxlite.vmap(_newton_sqrt))(a)
    np.testing.assert_allclose(root, np.sqrt(a), rtol=1e-9)
