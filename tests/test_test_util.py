"""jaxlite.test_util.check_grads: passes on correct derivatives (all orders and
modes), raises AssertionError on a wrong jvp or vjp rule, honours tolerances."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.test_util import check_grads, check_jvp, check_vjp


def test_correct_derivatives_pass_to_third_order():
    x = np.linspace(0.1, 1.0, 5)
    check_grads(lambda x: jnp.sin(x) * x ** 2, (x,), order=3)
    check_grads(lambda x, y: jnp.sum(jnp.tanh(x) * y), (x, np.cos(x)), order=2,
                modes=("rev",))


def test_float32_and_python_scalars_and_pytrees():
    x = np.linspace(0.1, 1.0, 4).astype(np.float32)
    check_grads(lambda x: jnp.exp(x) / (1 + x), (x,), order=2)
    check_grads(lambda a: {"e": jnp.exp(a), "l": [a * a]}, (1.5,), order=2)
    check_grads(lambda p: p["w"] @ p["b"], ({"w": np.ones((2, 3)), "b": np.arange(3.)},), 1)


def _wrong_sin():
    f = jaxlite.custom_jvp(jnp.sin)
    f.defjvp(lambda p, t: (jnp.sin(p[0]), 2.0 * t[0]))      # not cos(x) * t
    return f


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_wrong_rule_raises_assertion_error(mode):
    with pytest.raises(AssertionError, match="JVP tangent" if mode == "fwd"
                       else "VJP cotangent projection"):
        check_grads(_wrong_sin(), (np.array([0.3, 0.5]),), order=1, modes=[mode])


def test_wrong_second_derivative_is_caught_only_at_order_two():
    f = jaxlite.custom_jvp(lambda x: x ** 3)
    # First derivative right at the point, its derivative wrong (3x^2 -> 3 * x0^2 const).
    f.defjvp(lambda p, t: (p[0] ** 3, 3.0 * jax_stop(p[0]) ** 2 * t[0]))
    x = (np.array([0.7, 1.3]),)
    check_grads(f, x, order=1)
    with pytest.raises(AssertionError):
        check_grads(f, x, order=2, modes=["fwd"])


def jax_stop(x):
    return jaxlite.lax.stop_gradient(x)


def test_tolerances_and_eps():
    # A coarse step makes the central difference of exp visibly off (error ~ eps^2/6).
    x = (np.array([1.0, 2.0]),)
    with pytest.raises(AssertionError):
        check_grads(jnp.exp, x, order=1, eps=0.3)
    check_grads(jnp.exp, x, order=1, eps=0.3, atol=0.5, rtol=0.5)
    check_grads(jnp.exp, x, order=1, atol={np.float64: 0.5}, rtol={np.float64: 0.5}, eps=0.3)


def test_check_jvp_and_check_vjp_directly():
    f = lambda x: jnp.cumsum(x ** 2)     # noqa: E731
    x = (np.arange(1.0, 4.0),)
    check_jvp(f, lambda p, t: jaxlite.jvp(f, p, t), x)
    check_vjp(f, lambda *a: jaxlite.vjp(f, *a), x)


def test_lin_mode_checks_linearize():
    check_grads(lambda x: jnp.sin(x) * x, (np.linspace(0.1, 1.0, 4),), order=2, modes=["lin"])
    with pytest.raises(AssertionError, match="LIN"):
        check_grads(_wrong_sin(), (np.array([0.3, 0.5]),), order=1, modes=["lin"])


def test_unknown_mode_is_an_error():
    with pytest.raises(ValueError, match="mode"):
        check_grads(jnp.sin, (1.0,), 1, modes=("sideways",))
