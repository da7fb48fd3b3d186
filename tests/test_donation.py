"""jit's buffer donation (donate_argnums / donate_argnames): values against
numpy and against the same function without donation, deleted arrays, buffer
reuse only where it is safe, and the warnings and errors JAX gives."""
import warnings

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import jit, tree_util


def ptr(a):
    return a.__array_interface__["data"][0]


def fresh(x):
    """A jaxlite Array that owns its memory, as a jitted function returns it."""
    return jit(lambda a: a + 0)(np.asarray(x, np.float32))


def rng_f32(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def sgd(params, grads):
    return tree_util.tree_map(lambda p, g: p - 0.1 * g, params, grads)


# ------------------------------------------------------------------ values

def test_sgd_steps_match_numpy_and_reuse_the_parameter_buffers():
    w0, b0 = rng_f32(4, 3), rng_f32(3, seed=1)
    grads = {"w": rng_f32(4, 3, seed=2), "b": rng_f32(3, seed=3)}
    step = jit(sgd, donate_argnums=0)
    params = {"w": fresh(w0), "b": fresh(b0)}
    ref_w, ref_b = w0.copy(), b0.copy()
    for _ in range(4):
        before = ptr(params["w"]), ptr(params["b"])
        params = step(params, grads)
        ref_w, ref_b = ref_w - np.float32(0.1) * grads["w"], ref_b - np.float32(0.1) * grads["b"]
        np.testing.assert_allclose(params["w"], ref_w, rtol=1e-6)
        np.testing.assert_allclose(params["b"], ref_b, rtol=1e-6)
        assert (ptr(params["w"]), ptr(params["b"])) == before


def test_donated_positional_array_reuses_its_buffer():
    f = jit(lambda x, y: x * 2.0 + y, donate_argnums=0)
    x = fresh([1.0, 2.0, 3.0])
    for k in range(3):
        before = ptr(x)
        x = f(x, 1.0)
        assert ptr(x) == before
    np.testing.assert_array_equal(x, [15.0, 23.0, 31.0])


def test_donation_gives_the_same_results_as_no_donation():
    def fun(p, x):
        h = jnp.tanh(x @ p["w"] + p["b"])
        return {"w": p["w"] - 0.5 * jnp.outer(x[0], h[0]), "b": p["b"] * 0.9}, jnp.sum(h)
    x = rng_f32(2, 5, seed=4)
    p0 = {"w": rng_f32(5, 5, seed=5), "b": rng_f32(5, seed=6)}
    plain, donating = jit(fun), jit(fun, donate_argnums=0)
    pa = p0
    pb = tree_util.tree_map(fresh, p0)
    for _ in range(3):
        pa, sa = plain(pa, x)
        pb, sb = donating(pb, x)
        np.testing.assert_allclose(pb["w"], pa["w"], rtol=1e-6)
        np.testing.assert_allclose(pb["b"], pa["b"], rtol=1e-6)
        np.testing.assert_allclose(sb, sa, rtol=1e-6)


def test_input_read_after_the_output_is_written_stays_correct():
    # x + 1 could take x's buffer only after sum(x) and x.T have read x.
    f = jit(lambda x: (x + 1.0, jnp.sum(x), x.T * 2.0, x[::-1] * 3.0), donate_argnums=0)
    x0 = rng_f32(4, 4)
    a, s, t, r = f(fresh(x0))
    np.testing.assert_allclose(a, x0 + 1, rtol=1e-6)
    np.testing.assert_allclose(s, x0.sum(), rtol=1e-5)
    np.testing.assert_allclose(t, x0.T * 2, rtol=1e-6)
    np.testing.assert_allclose(r, x0[::-1] * 3, rtol=1e-6)


@pytest.mark.parametrize("fun, ref", [
    (lambda x: x.T, lambda x: x.T),
    (lambda x: x[::-1] + x, lambda x: x[::-1] + x),
    (lambda x: jnp.cumsum(x, axis=0), lambda x: np.cumsum(x, axis=0)),
    (lambda x: x @ x, lambda x: x @ x),
])
def test_outputs_that_cannot_be_computed_in_place_get_fresh_buffers(fun, ref):
    x0 = rng_f32(5, 5, seed=7)
    x = fresh(x0)
    before = ptr(x)
    out = jit(fun, donate_argnums=0)(x)
    np.testing.assert_allclose(out, ref(x0), rtol=1e-5, atol=1e-6)
    assert ptr(out) != before
    assert x.is_deleted()       # donated all the same, as in JAX


def test_returning_the_donated_argument():
    x = fresh([1.0, 2.0])
    out = jit(lambda a: a, donate_argnums=0)(x)
    np.testing.assert_array_equal(out, [1.0, 2.0])
    assert x.is_deleted()
    y = fresh([3.0, 4.0])
    a, b = jit(lambda a: (a, a * 2.0), donate_argnums=0)(y)
    np.testing.assert_array_equal(a, [3.0, 4.0])
    np.testing.assert_array_equal(b, [6.0, 8.0])


# ----------------------------------------------------------- deleted arrays

def test_a_donated_array_is_deleted_and_every_use_raises():
    x = fresh([1.0, 2.0, 3.0])
    jit(lambda a: a * 2.0, donate_argnums=0)(x)
    assert x.is_deleted()
    assert x.shape == (3,) and x.dtype == np.float32
    uses = [lambda: x + 1, lambda: jnp.sin(x), lambda: x[0], lambda: repr(x),
            lambda: np.sum(x), lambda: np.sin(x), lambda: float(x.sum()), lambda: list(x),
            lambda: jnp.asarray(x), lambda: jit(lambda a: a + 1)(x),
            lambda: jaxlite.grad(lambda a: jnp.sum(a))(x), lambda: x.at[0].set(1.0)]
    for use in uses:
        with pytest.raises(RuntimeError, match=r"Array has been deleted with shape=float32\[3\]"):
            use()


def test_donating_again_a_deleted_array_raises():
    f = jit(lambda a: a * 2.0, donate_argnums=0)
    x = fresh([1.0])
    f(x)
    with pytest.raises(RuntimeError, match="deleted"):
        f(x)


def test_array_delete_and_is_deleted():
    x = jnp.arange(3.0)
    assert not x.is_deleted()
    x.delete()
    assert x.is_deleted()
    with pytest.raises(RuntimeError, match="deleted"):
        x * 2


# ------------------------------------------------------------ aliasing safety

def test_the_same_array_passed_twice_raises_and_is_not_deleted():
    f = jit(lambda a, b: a + b, donate_argnums=0)
    x = fresh([1.0, 2.0])
    with pytest.raises(ValueError, match="also passed"):
        f(x, x)
    assert not x.is_deleted()
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_memory_seen_by_a_view_is_never_overwritten():
    f = jit(lambda a: a * 10.0, donate_argnums=0)
    x = fresh([1.0, 2.0])
    seen = np.asarray(x)             # a numpy view of the same memory
    out = f(x)
    np.testing.assert_array_equal(seen, [1.0, 2.0])
    np.testing.assert_array_equal(out, [10.0, 20.0])
    y = fresh([3.0, 4.0])
    sub = y.view()                   # an Array view whose base is y itself
    out = f(y)
    np.testing.assert_array_equal(np.asarray(sub.view(np.ndarray)), [3.0, 4.0])
    np.testing.assert_array_equal(out, [30.0, 40.0])


def test_a_view_passed_as_another_argument_is_read_before_any_write():
    f = jit(lambda p, q: (p["w"] + 1.0, q * 1.0), donate_argnums=0)
    x = fresh([1.0, 2.0])
    a, b = f({"w": x}, x.view())
    np.testing.assert_array_equal(a, [2.0, 3.0])
    np.testing.assert_array_equal(b, [1.0, 2.0])


def test_numpy_arguments_are_never_written_nor_deleted():
    x = np.array([1.0, 2.0], np.float32)
    out = jit(lambda a: a * 3.0, donate_argnums=0)(x)
    np.testing.assert_array_equal(out, [3.0, 6.0])
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_user_numpy_memory_behind_an_array_is_not_overwritten():
    base = np.array([1.0, 2.0], np.float32)
    x = jnp.asarray(base)
    out = jit(lambda a: a + 1.0, donate_argnums=0)(x)
    np.testing.assert_array_equal(base, [1.0, 2.0])
    np.testing.assert_array_equal(out, [2.0, 3.0])


# --------------------------------------------------------- warnings, errors

def test_unusable_donation_warns_once_and_keeps_the_array():
    f = jit(lambda a: jnp.sum(a), donate_argnums=0)
    x = fresh([1.0, 2.0, 3.0])
    with pytest.warns(UserWarning, match=r"donated buffers were not usable: f32\[3\]"):
        assert float(f(x)) == 6.0
    assert not x.is_deleted()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(f(x)) == 6.0          # same signature: no second warning


def test_donation_is_ignored_under_transforms():
    f = jit(lambda a: jnp.sum(a * a), donate_argnums=0)
    x = fresh([1.0, 2.0])
    np.testing.assert_allclose(jaxlite.grad(f)(x), [2.0, 4.0])
    assert not x.is_deleted()


def test_donate_argnames_and_completion_through_the_signature():
    def f(p, scale):
        return p * scale
    by_name = jit(f, donate_argnames="p")
    x = fresh([1.0, 2.0])
    np.testing.assert_array_equal(by_name(x, 2.0), [2.0, 4.0])
    assert x.is_deleted()
    y = fresh([1.0, 2.0])
    np.testing.assert_array_equal(by_name(p=y, scale=3.0), [3.0, 6.0])
    assert y.is_deleted()
    z = fresh([1.0, 2.0])
    np.testing.assert_array_equal(jit(f, donate_argnums=0)(p=z, scale=1.0), [1.0, 2.0])
    assert z.is_deleted()
    assert jit(f, donate_argnums=0).donate_argnames == ("p",)


def test_donation_spec_errors():
    f = lambda x, y: x + y  # noqa: E731
    with pytest.raises(ValueError, match="both static and donated"):
        jit(f, static_argnums=0, donate_argnums=0)
    with pytest.raises(ValueError, match="both static and donated"):
        jit(f, static_argnames="y", donate_argnames="y")
    with pytest.raises(ValueError, match="only accepts 2 positional"):
        jit(f, donate_argnums=3)
    with pytest.raises(ValueError, match="not among its parameters"):
        jit(f, donate_argnames="z")
    with pytest.raises(TypeError, match="donate_argnums must be ints"):
        jit(f, donate_argnums="x")


def test_decorator_form_with_donation():
    @jaxlite.jit(donate_argnums=(0,))
    def step(p):
        return p - 1.0
    x = fresh([5.0])
    before = ptr(x)
    y = step(x)
    assert float(y[0]) == 4.0 and ptr(y) == before and x.is_deleted()


# ------------------------------------------- reuse of large output buffers

def test_a_dead_large_output_buffer_is_reused_and_a_live_one_never():
    from jaxlite.compiler import runtime
    n = runtime.POOL_MIN_BYTES // 4
    f = jit(lambda t: [t[0] * 2.0, t[1] + 1.0])
    tree = [np.full(n, 1.0, np.float32), np.full(n, 3.0, np.float32)]
    first = f(tree)
    p = ptr(first[0])
    del first
    second = f(tree)                       # the first result is gone: same memory
    assert ptr(second[0]) == p
    third = f(tree)                        # the second is alive: new memory
    assert ptr(third[0]) != ptr(second[0])
    np.testing.assert_array_equal(second[0][:3], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(third[1][:3], [4.0, 4.0, 4.0])
    seen = np.asarray(third[0])            # a numpy view keeps its memory out of reuse
    p3 = ptr(third[0])
    del third
    fourth = f([tree[0] * 0, tree[1]])
    assert ptr(fourth[0]) != p3
    np.testing.assert_array_equal(seen[:3], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(fourth[0][:3], [0.0, 0.0, 0.0])
