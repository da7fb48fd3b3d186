"""jaxlite.checkpoint / remat: same values and derivatives, and linearize
keeps only the checkpointed function's inputs (or what the policy saves),
measured in residual bytes for a 1000-step scan."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax
from jaxlite.interpreters import ad
from helpers import check_grads

RNG = np.random.default_rng(0)
N, STEPS = 16, 1000


def _layers(h, w):
    for _ in range(4):
        h = jnp.tanh(w @ h) + 0.5 * jnp.sin(h)
    return h


def _loss(w, xs, wrap):
    body = wrap(lambda h, x: (_layers(h + x, w), jnp.sum(h)))
    h, ys = lax.scan(body, np.zeros(N), xs)
    return jnp.sum(h) + jnp.sum(ys)


def _residual_bytes(f, *args):
    _, lin = ad.linearize_flat(lambda *a: [f(*a)], list(args))
    return sum(np.asarray(c).nbytes for c in lin.closed.consts)


def test_checkpoint_values_and_derivatives():
    w = RNG.normal(size=(3, 3)) * 0.5
    f = lambda h: _layers(h, w)
    x = RNG.normal(size=3)
    np.testing.assert_allclose(jaxlite.checkpoint(f)(x), f(x))
    check_grads(jaxlite.checkpoint(f), (x,), order=2)
    check_grads(jaxlite.checkpoint(f, policy=jaxlite.checkpoint_policies.dots_saveable),
                (x,), order=2)
    np.testing.assert_allclose(jaxlite.jit(jaxlite.grad(lambda h: jnp.sum(
        jaxlite.checkpoint(f)(h))))(x), jaxlite.grad(lambda h: jnp.sum(f(h)))(x), rtol=1e-10)
    assert "checkpoint[" in str(jaxlite.make_jaxpr(jaxlite.checkpoint(f))(x))


def test_checkpoint_static_argnums_and_vmap():
    f = jaxlite.checkpoint(lambda x, n: x ** n, static_argnums=(1,))
    assert float(f(2.0, 3)) == 8.0 and float(jaxlite.grad(f)(2.0, 3)) == 12.0
    xs = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(jaxlite.vmap(jaxlite.grad(lambda x: f(x, 3)))(xs), 3 * xs ** 2)


def test_scan_of_checkpoint_keeps_only_inputs():
    w = RNG.normal(size=(N, N)) / np.sqrt(N)
    xs = RNG.normal(size=(STEPS, N))
    plain = _residual_bytes(lambda w: _loss(w, xs, lambda f: f), w)
    remat = _residual_bytes(lambda w: _loss(w, xs, jaxlite.checkpoint), w)
    per_step_vector = STEPS * N * 8
    # Without: every layer's intermediates per step. With: the body's input
    # (h + x, one vector per step) plus the loop-invariant w.
    assert plain >= 8 * per_step_vector
    assert remat <= 2 * per_step_vector + 2 * w.nbytes
    print(f"linearize residuals of a {STEPS}-step scan: {plain} bytes, {remat} with checkpoint")
    g_plain = jaxlite.grad(lambda w: _loss(w, xs, lambda f: f))(w)
    g_remat = jaxlite.grad(lambda w: _loss(w, xs, jaxlite.checkpoint))(w)
    np.testing.assert_allclose(g_remat, g_plain, rtol=1e-10)


def test_dots_saveable_policy_keeps_dots_only():
    w = RNG.normal(size=(N, N)) / np.sqrt(N)
    xs = RNG.normal(size=(100, N))
    none = _residual_bytes(lambda w: _loss(w, xs, jaxlite.checkpoint), w)
    dots = _residual_bytes(lambda w: _loss(w, xs, lambda f: jaxlite.checkpoint(
        f, policy=jaxlite.checkpoint_policies.dots_saveable)), w)
    everything = _residual_bytes(lambda w: _loss(w, xs, lambda f: jaxlite.checkpoint(
        f, policy=jaxlite.checkpoint_policies.everything_saveable)), w)
    plain = _residual_bytes(lambda w: _loss(w, xs, lambda f: f), w)
    # Four dot outputs per step are saved with dots_saveable; saving
    # everything keeps exactly what linearize keeps without checkpoint.
    assert dots >= none + 4 * 100 * N * 8 and everything > dots
    assert everything == plain


@pytest.mark.parametrize("policy", ["dots_saveable", "nothing_saveable", "everything_saveable"])
def test_checkpoint_in_scan_grads(policy):
    w = RNG.normal(size=(3, 3)) * 0.5
    xs = RNG.normal(size=(4, 3))
    pol = getattr(jaxlite.checkpoint_policies, policy)
    check_grads(lambda w: _loss3(w, xs, lambda f: jaxlite.checkpoint(f, policy=pol)), (w,),
                order=2)


def _loss3(w, xs, wrap):
    body = wrap(lambda h, x: (_layers(h + x, w), jnp.sum(h)))
    h, ys = lax.scan(body, np.zeros(3), xs)
    return jnp.sum(h) + jnp.sum(ys)


def test_checkpoint_name_with_a_name_policy_keeps_values_and_derivatives():
    # jax.ad_checkpoint.checkpoint_name: jaxlite does not tag the value, so the
    # name-based policy recomputes it; derivatives are still the closed form's.
    from jaxlite.ad_checkpoint import checkpoint_name, checkpoint_policies
    policy = checkpoint_policies.save_only_these_names("c")
    f = jaxlite.checkpoint(lambda x: jnp.sin(checkpoint_name(jnp.cos(x), "c")), policy=policy)
    x = np.array([0.3, 1.0, 2.5])
    np.testing.assert_allclose(f(x), np.sin(np.cos(x)), rtol=1e-14)
    g = jaxlite.grad(lambda x: jnp.sum(f(x)))(x)
    np.testing.assert_allclose(g, -np.cos(np.cos(x)) * np.sin(x), rtol=1e-14)
    tree = {"a": np.ones(2), "b": (np.zeros(1),)}
    assert checkpoint_name(tree, "t") is tree
