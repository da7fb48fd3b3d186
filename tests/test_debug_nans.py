"""jax_debug_nans / jax_debug_infs: the first NaN (inf) raises FloatingPointError
naming the primitive, the user's line and the pass (forward / backward), eagerly
and under jit; off, nothing is checked and nothing is swapped in."""
import inspect

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import core, lax


@pytest.fixture
def nans():
    jaxlite.config.update("jax_debug_nans", True)
    try:
        yield
    finally:
        jaxlite.config.update("jax_debug_nans", False)


@pytest.fixture
def infs():
    jaxlite.config.update("jax_debug_infs", True)
    try:
        yield
    finally:
        jaxlite.config.update("jax_debug_infs", False)


def _line_of(fn, text):
    """The file line number of the line of ``fn``'s source containing ``text``."""
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, l in enumerate(lines) if text in l)


def sqrt_where(x):
    y = jnp.sqrt(x)
    return jnp.where(x > 0, y, 0.)


def log_of_negative(x):
    a = x * 2
    b = jnp.log(a - 10.)
    return b


@pytest.mark.parametrize("wrap", ["eager", "jit(grad)", "grad(jit)"])
def test_backward_pass_nan_names_the_sqrt_line(nans, wrap):
    g = {"eager": jaxlite.grad(sqrt_where), "jit(grad)": jaxlite.jit(jaxlite.grad(sqrt_where)),
         "grad(jit)": jaxlite.grad(jaxlite.jit(sqrt_where))}[wrap]
    line = _line_of(sqrt_where, "jnp.sqrt")
    with pytest.raises(FloatingPointError) as e:
        g(0.)
    msg = str(e.value)
    assert "invalid value (nan)" in msg and "backward pass" in msg
    assert f"test_debug_nans.py:{line} (sqrt_where)" in msg
    assert "y = jnp.sqrt(x)" in msg


def test_the_issue_example_one_line_lambda(nans):
    f = lambda x: jnp.where(x > 0, jnp.sqrt(x), 0.)    # noqa: E731
    with pytest.raises(FloatingPointError, match="(?s)backward pass.*jnp.sqrt"):
        jaxlite.grad(f)(0.)
    with pytest.raises(FloatingPointError, match="(?s)backward pass.*jnp.sqrt"):
        jaxlite.jit(jaxlite.grad(f))(0.)


@pytest.mark.parametrize("jit", [False, True])
def test_forward_pass_nan_names_primitive_and_line(nans, jit):
    f = jaxlite.jit(log_of_negative) if jit else log_of_negative
    line = _line_of(log_of_negative, "jnp.log")
    with pytest.raises(FloatingPointError) as e:
        f(1.)
    msg = str(e.value)
    assert "encountered in log" in msg and "forward pass" in msg
    assert f"test_debug_nans.py:{line} (log_of_negative)" in msg


def test_forward_pass_of_grad_is_the_forward_pass(nans):
    with pytest.raises(FloatingPointError, match="in log in the forward pass"):
        jaxlite.grad(log_of_negative)(1.)


def test_clean_values_pass_and_match_the_unchecked_results(nans):
    x = np.linspace(6., 9., 5, dtype=np.float32)
    np.testing.assert_allclose(jaxlite.jit(log_of_negative)(x), np.log(2 * x - 10.), rtol=1e-6)
    np.testing.assert_allclose(jaxlite.grad(sqrt_where)(4.), 0.25)


def test_nan_inside_a_compiled_loop_is_found_by_rerunning(nans):
    def body(c, x):
        return c + jnp.log(x), c
    xs = np.array([1., 2., -1., 3.], np.float32)
    line = _line_of(body, "jnp.log")
    with pytest.raises(FloatingPointError, match=f"in log .*:{line}"):
        jaxlite.jit(lambda xs: lax.scan(body, 0., xs)[0])(xs)


@pytest.mark.parametrize("jit", [False, True])
def test_a_nan_masked_by_where_is_found_under_jit_as_eagerly(nans, jit):
    def masked(x):
        r = jnp.sqrt(x)
        return jnp.where(x > 0, r, 0.0)
    f = jaxlite.jit(masked) if jit else masked
    with pytest.raises(FloatingPointError,
                       match=f"in sqrt in the forward pass, at test_debug_nans.py:"
                             f"{_line_of(masked, 'jnp.sqrt')}"):
        f(np.array([-1.0, 4.0], np.float32))
    np.testing.assert_allclose(f(np.array([1.0, 4.0], np.float32)), [1.0, 2.0])


def test_infs_are_separate(infs):
    assert jaxlite.jit(log_of_negative)(1.) != jaxlite.jit(log_of_negative)(1.)  # nan passes
    with pytest.raises(FloatingPointError, match=r"invalid value \(inf\) encountered in div"):
        jaxlite.jit(lambda x: 1. / x)(0.)
    with pytest.raises(FloatingPointError, match=r"\(inf\).*in the forward pass"):
        jnp.exp(1000.)


def test_off_means_no_checks_and_the_plain_interpreter():
    assert type(core.eval_interpreter) is core.EvalInterpreter
    assert np.isnan(jaxlite.grad(sqrt_where)(0.))
    assert np.isnan(jaxlite.jit(log_of_negative)(1.))
    jaxlite.config.update("jax_debug_nans", True)
    assert type(core.eval_interpreter) is not core.EvalInterpreter
    jaxlite.config.update("jax_debug_nans", False)
    assert type(core.eval_interpreter) is core.EvalInterpreter
    assert jaxlite.config.jax_debug_nans is False


def test_environment_variable_turns_it_on():
    import subprocess
    import sys
    code = ("import jaxlite, jaxlite.numpy as jnp\n"
            "try:\n    jnp.log(-1.)\nexcept FloatingPointError as e:\n    print('raised', e)\n")
    for var in ("JAX_DEBUG_NANS", "JAXLITE_DEBUG_NANS"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**__import__("os").environ, var: "1"}, check=True).stdout
        assert out.startswith("raised invalid value (nan) encountered in log")


def test_context_managers_as_jax():
    with jaxlite.debug_nans():
        assert jaxlite.config.jax_debug_nans is True
        with pytest.raises(FloatingPointError):
            jnp.log(-1.0)
    assert jaxlite.config.jax_debug_nans is False
    assert np.isnan(jnp.log(-1.0))
    with jaxlite.debug_infs(True):
        with pytest.raises(FloatingPointError, match=r"\(inf\)"):
            jnp.log(0.0)
    with jaxlite.checked_mode():
        assert jaxlite.config.jaxlite_checked_mode is True
    with jaxlite.log_compiles(), jaxlite.explain_cache_misses():
        assert jaxlite.config.jax_log_compiles and jaxlite.config.jax_explain_cache_misses
    assert not jaxlite.config.jax_log_compiles and not jaxlite.config.jaxlite_checked_mode
