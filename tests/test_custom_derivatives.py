"""custom_jvp and custom_vjp: the user's rule replaces the derivative under
every transform, and mistakes in rules give clear errors."""
import functools

import numpy as np
import pytest

import jaxlite
from jaxlite import lax
from helpers import check_grads

F32, F64 = np.float32, np.float64


def _sum(x):
    return lax.reduce_sum(x, tuple(range(np.ndim(x))))


# ------------------------------------------------------------- custom_vjp

@jaxlite.custom_vjp
def clip_gradient(x):
    """The identity, whose gradient is clipped to [-1, 1]."""
    return x


clip_gradient.defvjp(lambda x: (x, None),
                     lambda _, g: (lax.max(lax.min(g, 1.0), -1.0),))


def test_custom_vjp_replaces_the_derivative():
    f = lambda x: _sum(lax.mul(clip_gradient(x), 10.0))
    x = np.array([1.0, 2.0])
    assert float(f(x)) == 30.0
    np.testing.assert_array_equal(jaxlite.grad(f)(x), [1.0, 1.0])   # not 10
    g = lambda x: _sum(lax.mul(clip_gradient(x), 0.5))
    np.testing.assert_array_equal(jaxlite.grad(g)(x), [0.5, 0.5])


@jaxlite.custom_vjp
def sin_times(x, y):
    return lax.mul(lax.sin(x), y)


def _sin_times_fwd(x, y):
    return sin_times(x, y), (lax.cos(x), lax.sin(x), y)


def _sin_times_bwd(res, g):
    c, s, y = res
    return lax.mul(lax.mul(c, g), y), lax.mul(s, g)


sin_times.defvjp(_sin_times_fwd, _sin_times_bwd)


def test_custom_vjp_with_residuals_matches_true_gradient():
    x, y = np.array([0.3, 1.2]), np.array([2.0, -1.0])
    gx, gy = jaxlite.grad(lambda a, b: _sum(sin_times(a, b)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.cos(x) * y)
    np.testing.assert_allclose(gy, np.sin(x))
    # Against central differences too (forward mode is not available).
    eps = 1e-6
    fd = (np.sin(x + eps) - np.sin(x - eps)) / (2 * eps) * y
    np.testing.assert_allclose(gx, fd, rtol=1e-8)
    assert float(sin_times(0.5, 2.0)) == pytest.approx(2 * np.sin(0.5), rel=1e-6)


def test_custom_vjp_under_vmap_and_jit():
    x, y = np.array([0.3, 1.2, -0.4]), np.array([2.0, -1.0, 0.5])
    per_example = jaxlite.vmap(jaxlite.grad(sin_times))(x, y)
    np.testing.assert_allclose(per_example, np.cos(x) * y)
    np.testing.assert_allclose(jaxlite.vmap(sin_times, in_axes=(0, None))(x, 2.0),
                               np.sin(x) * 2.0, rtol=1e-6)
    np.testing.assert_allclose(jaxlite.jit(sin_times)(x, y), np.sin(x) * y)
    np.testing.assert_allclose(jaxlite.jit(jaxlite.grad(lambda a: _sum(sin_times(a, y))))(x),
                               np.cos(x) * y)
    np.testing.assert_allclose(jaxlite.grad(jaxlite.jit(lambda a: _sum(sin_times(a, y))))(x),
                               np.cos(x) * y)


def test_custom_vjp_pytree_arguments_and_none_cotangent():
    @jaxlite.custom_vjp
    def f(p):
        return lax.mul(p["a"], p["b"])

    f.defvjp(lambda p: (f(p), p["b"]),
             lambda b, g: ({"a": lax.mul(g, b), "b": None},))
    ga = jaxlite.grad(lambda p: _sum(f(p)))({"a": np.ones(2), "b": np.array([3.0, 4.0])})
    np.testing.assert_allclose(ga["a"], [3.0, 4.0])
    np.testing.assert_array_equal(ga["b"], [0.0, 0.0])


def test_custom_vjp_nondiff_argnums():
    @functools.partial(jaxlite.custom_vjp, nondiff_argnums=(0,))
    def scale(k, x):
        return lax.mul(x, float(k))

    scale.defvjp(lambda k, x: (scale(k, x), None), lambda k, _, g: (lax.mul(g, 2.0 * k),))
    g = jaxlite.grad(lambda x: _sum(scale(3, x)))(np.ones(2))
    np.testing.assert_allclose(g, [6.0, 6.0])
    np.testing.assert_allclose(jaxlite.vmap(jaxlite.grad(lambda x: scale(3, x)))(np.ones(2)),
                               [6.0, 6.0])


def test_custom_jvp_nondiff_argnums():
    @functools.partial(jaxlite.custom_jvp, nondiff_argnums=(1,))
    def power(x, n):
        return lax.integer_pow(x, n)

    @power.defjvp
    def power_jvp(n, primals, tangents):
        (x,), (t,) = primals, tangents
        return power(x, n), lax.mul(t, lax.mul(float(n), lax.integer_pow(x, n - 1)))
    assert float(jaxlite.grad(power)(2.0, 3)) == 12.0
    assert float(jaxlite.grad(jaxlite.grad(power))(2.0, 3)) == 12.0
    np.testing.assert_allclose(jaxlite.vmap(lambda x: power(x, 2))(np.arange(3.0)), [0, 1, 4])


def test_custom_vjp_in_jaxpr_holds_call_jaxpr():
    text = str(jaxlite.make_jaxpr(sin_times)(1.0, 2.0))
    assert "custom_vjp_call" in text and "sin d" in text    # names continue inside
    # Under grad only the user's rule remains.
    text = str(jaxlite.make_jaxpr(jaxlite.grad(sin_times))(1.0, 2.0))
    assert "custom" not in text and "cos" in text


def test_custom_vjp_bwd_wrong_structure():
    @jaxlite.custom_vjp
    def h(x):
        return x

    h.defvjp(lambda x: (x, None), lambda r, g: (g, g))
    with pytest.raises(TypeError, match=r"expected PyTreeDef\(\(\*,\)\), got PyTreeDef\(\(\*, \*\)\)"):
        jaxlite.grad(h)(1.0)


def test_custom_vjp_bwd_not_a_tuple():
    @jaxlite.custom_vjp
    def h(x):
        return x

    h.defvjp(lambda x: (x, None), lambda r, g: g)
    with pytest.raises(TypeError, match="tuple"):
        jaxlite.grad(h)(1.0)


def test_custom_vjp_fwd_not_a_pair():
    @jaxlite.custom_vjp
    def h(x):
        return x

    h.defvjp(lambda x: x, lambda r, g: (g,))
    with pytest.raises(TypeError, match="pair"):
        jaxlite.grad(h)(1.0)


def test_custom_vjp_without_rule():
    @jaxlite.custom_vjp
    def h(x):
        return x
    with pytest.raises(AttributeError, match="defvjp"):
        h(1.0)


def test_custom_vjp_forward_mode_is_an_error():
    with pytest.raises(TypeError, match="forward-mode"):
        jaxlite.jvp(lambda x: sin_times(x, 2.0), (1.0,), (1.0,))


# ------------------------------------------------------------- custom_jvp

@jaxlite.custom_jvp
def log1pexp(x):
    return lax.log1p(lax.exp(x))


@log1pexp.defjvp
def _log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    # The naive derivative exp(x) / (1 + exp(x)) is inf / inf = nan for large x.
    return log1pexp(x), lax.mul(t, lax.logistic(x))


def test_custom_jvp_gives_stable_derivative():
    x = np.array([-5.0, 0.0, 5.0, 800.0])
    with np.errstate(over="ignore"):   # the primal log1p(exp(800)) overflows
        g = jaxlite.vmap(jaxlite.grad(log1pexp))(x)
    np.testing.assert_allclose(g, 1 / (1 + np.exp(-x)))
    assert np.all(np.isfinite(g))
    with np.errstate(over="ignore", invalid="ignore"):
        naive = jaxlite.vmap(jaxlite.grad(lambda v: lax.log1p(lax.exp(v))))(x)
    assert np.isnan(naive[-1])


def test_custom_jvp_forward_reverse_and_higher_order():
    x = np.array([-1.0, 0.3, 2.0])
    _, t = jaxlite.jvp(log1pexp, (x,), (np.ones(3),))
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(t, sig)
    g2 = jaxlite.vmap(jaxlite.grad(jaxlite.grad(log1pexp)))(x)
    np.testing.assert_allclose(g2, sig * (1 - sig), rtol=1e-12)
    check_grads(log1pexp, (x,), order=2)


def test_custom_jvp_under_jit_and_vmap():
    x = np.array([-1.0, 0.3, 2.0])
    np.testing.assert_allclose(jaxlite.jit(log1pexp)(x), np.log1p(np.exp(x)))
    np.testing.assert_allclose(jaxlite.jit(jaxlite.grad(lambda v: _sum(log1pexp(v))))(x),
                               1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(jaxlite.vmap(log1pexp)(x), np.log1p(np.exp(x)))
    text = str(jaxlite.make_jaxpr(log1pexp)(1.0))
    assert "custom_jvp_call" in text and "log1p" in text


def test_custom_jvp_defjvps_and_rule_replaces_derivative():
    @jaxlite.custom_jvp
    def f(x, y):
        return lax.mul(x, y)

    # Deliberately "wrong" rule: the test sees that it is the one used.
    f.defjvps(lambda g, ans, x, y: lax.mul(g, 100.0), lambda g, ans, x, y: lax.mul(g, x))
    gx, gy = jaxlite.grad(f, argnums=(0, 1))(2.0, 3.0)
    assert float(gx) == 100.0 and float(gy) == 2.0


def test_custom_jvp_rule_errors():
    @jaxlite.custom_jvp
    def f(x):
        return x

    @f.defjvp
    def f_jvp(p, t):
        return p[0]
    with pytest.raises(TypeError, match="pair"):
        jaxlite.jvp(f, (1.0,), (1.0,))

    @jaxlite.custom_jvp
    def g(x):
        return x
    with pytest.raises(AttributeError, match="defjvp"):
        g(1.0)


def test_custom_rules_compose_with_jit_vmap_and_jacobians():
    @jaxlite.custom_vjp
    def f(x):
        return lax.sin(x)

    f.defvjp(lambda x: (lax.sin(x), lax.cos(x)),
             lambda c, g: (lax.mul(lax.mul(c, g), 10.0),))
    x = np.array([0.1, 0.2, 0.3])
    want = 10 * np.cos(x)
    np.testing.assert_allclose(jaxlite.vmap(jaxlite.grad(jaxlite.jit(f)))(x), want)
    np.testing.assert_allclose(jaxlite.jit(jaxlite.vmap(jaxlite.grad(f)))(x), want)
    np.testing.assert_allclose(
        jaxlite.grad(lambda v: _sum(jaxlite.vmap(jaxlite.jit(f))(v)))(x), want)
    np.testing.assert_allclose(jaxlite.jacrev(f)(x), np.diag(want))
    assert jaxlite.vmap(jaxlite.jacrev(f))(np.stack([x, x])).shape == (2, 3, 3)

    @jaxlite.custom_jvp
    def g(x):
        return lax.sin(x)

    g.defjvp(lambda p, t: (g(p[0]), lax.mul(t[0], 10.0)))
    np.testing.assert_allclose(jaxlite.jacfwd(g)(x), 10 * np.eye(3))
    np.testing.assert_allclose(jaxlite.jacrev(g)(x), 10 * np.eye(3))
    np.testing.assert_allclose(jaxlite.hessian(lambda v: _sum(g(v)))(x), np.zeros((3, 3)))


# ------------------------------------------- keyword arguments and rule checks

@jaxlite.custom_jvp
def _scaled(x, scale=2.0):
    return lax.mul(x, scale)


_scaled.defjvp(lambda p, t: (_scaled(*p), lax.add(lax.mul(t[0], p[1]), lax.mul(t[1], p[0]))))


@jaxlite.custom_vjp
def _scaled_vjp(x, scale=2.0):
    return lax.mul(x, scale)


_scaled_vjp.defvjp(lambda x, scale=2.0: (lax.mul(x, scale), (x, scale)),
                   lambda r, g: (lax.mul(g, r[1]), lax.mul(g, r[0])))


@pytest.mark.parametrize("f", [_scaled, _scaled_vjp], ids=["custom_jvp", "custom_vjp"])
def test_keyword_arguments_and_defaults_reach_the_rules(f):
    # JAX binds the call to the signature: keywords become positions and
    # defaults are filled in, so the rule sees (x, scale) either way.
    assert float(jaxlite.grad(lambda x: f(x, scale=3.0))(1.5)) == 3.0
    assert float(jaxlite.grad(f)(1.5)) == 2.0
    assert float(jaxlite.grad(f, argnums=1)(1.5, 4.0)) == 1.5
    assert float(f(x=1.5, scale=4.0)) == 6.0
    np.testing.assert_allclose(jaxlite.jit(jaxlite.vmap(jaxlite.grad(
        lambda x: f(x, scale=5.0))))(np.ones(3, F32)), [5.0, 5.0, 5.0])
    with pytest.raises(TypeError, match="could not be resolved to positional-only"):
        f(1.0, nope=2.0)


def test_keyword_only_argument_is_a_type_error():
    @jaxlite.custom_jvp
    def k(x, *, n=1):
        return x

    k.defjvp(lambda p, t: (p[0], t[0]))
    assert float(k(2.0)) == 2.0             # an unpassed keyword-only default is fine
    with pytest.raises(TypeError, match="could not be resolved to positions: n"):
        k(2.0, n=3)


def test_custom_jvp_rule_tangent_type_must_match_the_primal():
    @jaxlite.custom_jvp
    def f(x):
        return x

    f.defjvp(lambda p, t: (p[0], 1))           # an int tangent for a float primal
    with pytest.raises(TypeError, match=r"Expected float32\[\] \(tangent type of "
                                        r"float32\[\]\) but got int32\[\]"):
        jaxlite.jvp(f, (np.float32(1.0),), (np.float32(1.0),))
    f.defjvp(lambda p, t: (lax.broadcast(p[0], (2,)), t[0]))   # a tangent of the wrong shape
    with pytest.raises(TypeError, match=r"Expected float32\[2\] .* but got float32\[\]"):
        jaxlite.jvp(f, (np.float32(1.0),), (np.float32(1.0),))
    f.defjvp(lambda p, t: (p[0], lax.mul(t[0], 2.0)))   # a Python float factor is fine
    assert float(jaxlite.jvp(f, (np.float32(1.0),), (np.float32(1.0),))[1]) == 2.0
    # a numpy float64 factor: JAX (x64 off) computes it in float32, so does jaxlite
    f.defjvp(lambda p, t: (p[0], jaxlite.numpy.multiply(t[0], np.float64(3.0))))
    tan = jaxlite.jvp(f, (np.float32(1.0),), (np.float32(1.0),))[1]
    assert tan.dtype == F32 and float(tan) == 3.0
    # and a float32 tangent for a float64 primal (x64 off: JAX would have a float32 primal)
    f.defjvp(lambda p, t: (p[0], lax.convert_element_type(t[0], F32)))
    tan = jaxlite.jvp(f, (np.float64(1.0),), (np.float64(1.0),))[1]
    assert tan.dtype == F64 and float(tan) == 1.0
    f.defjvp(lambda p, t: (p[0], lax.convert_element_type(t[0], np.float16)))
    with pytest.raises(TypeError, match=r"but got float16\[\]"):
        jaxlite.jvp(f, (np.float32(1.0),), (np.float32(1.0),))


def test_custom_vjp_bwd_wrong_shape_is_value_error_naming_the_leaf():
    @jaxlite.custom_vjp
    def h(d):
        return _sum(d["w"])

    h.defvjp(lambda d: (h(d), None), lambda r, g: ({"w": lax.full((3,), g)},))
    with pytest.raises(ValueError, match=r"at output\[0\]\['w'\] the bwd rule produced an "
                                         r"output of type float64\[3\] corresponding to an "
                                         r"input of type float64\[2\]"):
        jaxlite.grad(h)({"w": np.ones(2)})


# ---------------------------------------------------------- custom_gradient

def test_custom_gradient_under_grad_jit_vmap_and_twice():
    @jaxlite.custom_gradient
    def f(x):            # value x^2, "gradient" 10 x g: the rule wins
        return lax.mul(x, x), lambda g: (lax.mul(lax.mul(g, 10.0), x),)
    assert float(f(3.0)) == 9.0
    assert float(jaxlite.grad(f)(3.0)) == 30.0
    assert float(jaxlite.jit(jaxlite.grad(f))(3.0)) == 30.0
    np.testing.assert_allclose(jaxlite.vmap(jaxlite.grad(f))(np.arange(3.0)), [0.0, 10.0, 20.0])
    assert float(jaxlite.grad(jaxlite.grad(f))(3.0)) == 10.0   # d/dx of 10 x

    @jaxlite.custom_gradient
    def g(x, y):         # two arguments: the rule returns a pair, here the true gradient
        return lax.mul(lax.sin(x), y), lambda ct: (lax.mul(lax.mul(ct, lax.cos(x)), y),
                                                   lax.mul(ct, lax.sin(x)))
    x, y = np.array([0.1, 0.2]), np.array([1.0, 2.0])
    gx, gy = jaxlite.grad(lambda a, b: _sum(g(a, b)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.cos(x) * y, rtol=1e-12)
    np.testing.assert_allclose(gy, np.sin(x), rtol=1e-12)

    @jaxlite.custom_gradient
    def single(v):       # one argument: the rule may return its cotangent bare
        return _sum(lax.mul(v, v)), lambda ct: lax.mul(lax.mul(ct, 2.0), v)
    np.testing.assert_allclose(jaxlite.grad(single)(np.array([1.0, 2.0])), [2.0, 4.0])
