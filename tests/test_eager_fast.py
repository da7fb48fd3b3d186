"""The eager fast paths (jaxlite/numpy/_eager.py): the same values, dtypes and
types as the general path (the same operation traced under jit) and as
numpy, and the cases that must fall back to JAX's semantics."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import core
from jaxlite.numpy import _eager


def x32(n=6):
    return jnp.asarray(np.linspace(-1.0, 2.0, n, dtype=np.float32))


class _Slow(core.EvalInterpreter):
    """The eager interpreter under another class name: the fast paths step
    aside for it, as for the checking modes' subclasses."""


def general(f, *args):
    """``f(*args)`` with the fast paths turned off (the primitives' impls)."""
    interp = core.eval_interpreter
    saved = type(interp)
    interp.__class__ = _Slow
    try:
        return f(*args)
    finally:
        interp.__class__ = saved


def same_as_traced(f, *args):
    """``f(*args)`` eagerly equals it under jit (the general path), dtype too."""
    eager = f(*args)
    traced = jaxlite.jit(f)(*args)
    assert type(eager) is core.Array
    assert eager.dtype == traced.dtype and eager.shape == traced.shape
    np.testing.assert_array_equal(eager, traced)
    return eager


@pytest.mark.parametrize("f", [
    lambda x: x * 2.0, lambda x: 2.0 * x, lambda x: x + 3, lambda x: 3 - x,
    lambda x: x - 0.5, lambda x: x * x, lambda x: x + x[::-1],
])
def test_binary_fast_path_matches_the_traced_result(f):
    out = same_as_traced(f, x32())
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, general(f, x32()))


@pytest.mark.parametrize("name", ["exp", "log", "log1p", "expm1", "sqrt", "sin", "cos",
                                  "tan", "tanh"])
def test_unary_fast_path_matches_the_general_path_and_numpy(name):
    x = jnp.asarray(np.linspace(0.1, 0.9, 5, dtype=np.float32))
    out = getattr(jnp, name)(x)
    ref = general(getattr(jnp, name), x)
    assert type(out) is core.Array and out.dtype == ref.dtype == np.float32
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_allclose(out, getattr(np, name)(np.asarray(x)), rtol=1e-6)


def test_cases_outside_the_fast_path_keep_jax_semantics():
    i = jnp.arange(4)                                    # int32
    assert (i * 2.0).dtype == np.float32                 # numpy would give float64
    assert (i * 2).dtype == np.int32
    s = jnp.asarray(np.float32(2.0))                     # 0-d
    assert type(s * 2.0) is core.Array and (s * 2.0).shape == ()
    big = x32() * (2 ** 40)                              # a large Python int: general path
    assert big.dtype == np.float32
    b = jnp.asarray(np.array([True, False]))
    np.testing.assert_array_equal(b * 2.0, [2.0, 0.0])


def test_getitem_fast_path():
    x = jnp.asarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    xn = np.asarray(x)
    for idx in [slice(1, 3), (1, slice(None, None, -1)), (slice(0, 3, 2), 2), -1, (2, 3),
                slice(-10, 10), (Ellipsis, 1), (None, 1), 1]:
        out = x[idx]
        assert type(out) is core.Array
        np.testing.assert_array_equal(out, xn[idx])
    assert x[2, 3].shape == () and type(x[2, 3]) is core.Array   # 0-d Array, not a scalar
    np.testing.assert_array_equal(x[7], xn[2])            # out of bounds clamps, as JAX
    np.testing.assert_array_equal(x[np.array([0, 2])], xn[[0, 2]])
    with pytest.raises(TypeError):
        x[1:3][0] = 5.0                                   # immutable


def test_at_set_fast_path():
    x = jnp.asarray(np.arange(6, dtype=np.float32))
    y = x.at[0].set(10.0)
    np.testing.assert_array_equal(y, [10, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(x, np.arange(6))       # x unchanged
    assert type(y) is core.Array and y.dtype == np.float32
    np.testing.assert_array_equal(x.at[1:3].set(7), [0, 7, 7, 3, 4, 5])
    np.testing.assert_array_equal(x.at[-1].set(9.0), [0, 1, 2, 3, 4, 9])
    np.testing.assert_array_equal(x.at[10].set(9.0), np.arange(6))    # dropped, as JAX
    m = jnp.asarray(np.zeros((2, 3), np.int32))
    np.testing.assert_array_equal(m.at[1, 2].set(4), [[0, 0, 0], [0, 0, 4]])
    row = jnp.asarray(np.ones(3, np.int32))
    np.testing.assert_array_equal(m.at[0].set(row), [[1, 1, 1], [0, 0, 0]])
    assert m.at[0, 0].set(True).dtype == np.int32        # general path
    traced = jaxlite.jit(lambda a: a.at[2].set(5.0))(x)
    np.testing.assert_array_equal(x.at[2].set(5.0), traced)


def test_fast_paths_step_aside_for_debug_nans():
    x = jnp.asarray(np.array([-1.0, 1.0], np.float32))
    with jaxlite.debug_nans(True):
        with pytest.raises(FloatingPointError):
            jnp.log(x)
    with np.errstate(invalid="ignore"):
        assert np.isnan(float(jnp.log(x)[0]))


def test_fast_paths_under_transforms_use_the_general_path():
    g = jaxlite.grad(lambda x: jnp.sum(jnp.sin(x) * 2.0 + x[1:3].sum()))(x32(4))
    np.testing.assert_allclose(g, 2 * np.cos(np.asarray(x32(4))) + [0, 4, 4, 0], rtol=1e-6)


def _writes_fail(y):
    """``y`` is an immutable Array: neither jaxlite's nor numpy's item
    assignment, nor a ufunc's ``out=``, can change it."""
    assert type(y) is core.Array and not y.flags.writeable
    with pytest.raises(TypeError):
        y[0] = 1.0
    with pytest.raises(ValueError):
        np.add(y, 1, out=y)


@pytest.mark.parametrize("f", [
    lambda x: x * 2.0, lambda x: 2.0 - x, lambda x: x + x, lambda x: jnp.sin(x),
    lambda x: x[1:3], lambda x: x[::-1], lambda x: x[1], lambda x: x.at[0].set(1.0),
    lambda x: x.at[-1].set(3), lambda x: x.at[1:3].set(7.0),
])
def test_fast_path_results_are_read_only(f):
    x = x32()
    before = np.array(x)
    y = f(x)
    _writes_fail(y)
    np.testing.assert_array_equal(x, before)          # the operand is untouched too
    np.testing.assert_array_equal(y, general(f, x))


def test_slice_bounds_keep_jax_semantics():
    x = x32(6)
    xn = np.asarray(x)
    np.testing.assert_array_equal(x[np.int64(1):np.int8(5):np.int32(2)], xn[1:5:2])
    np.testing.assert_array_equal(x[jnp.asarray(np.int32(2)):], xn[2:])   # __index__
    np.testing.assert_array_equal(x[-100:100], xn)                          # clamps
    np.testing.assert_array_equal(x[5:1:-2], xn[5:1:-2])
    assert x[4:2].shape == (0,)
    with pytest.raises(TypeError, match="slice bound"):
        x[1.0:3]                                      # the general path's message
    with pytest.raises(ValueError):
        x[::0]
    with pytest.raises(IndexError):
        jnp.asarray(np.float32(1.0))[1:2]             # a 0-d array has no axis to slice


def test_at_set_int_index_semantics():
    x = x32(5)
    xn = np.asarray(x)
    for i in range(-5, 5):                            # negative indices wrap
        want = xn.copy()
        want[i] = 9.0
        np.testing.assert_array_equal(x.at[i].set(9.0), want)
    for i in (5, 6, -6, 100):                         # out of bounds: dropped, as JAX
        y = x.at[i].set(9.0)
        np.testing.assert_array_equal(y, xn)
        assert y is not x and type(y) is core.Array
    y = x.at[2].set(3)                                # a Python int: weak, keeps float32
    assert y.dtype == np.float32 and y[2] == 3.0
    with pytest.warns(RuntimeWarning, match="overflow"):   # as JAX's cast
        assert x.at[0].set(1e300)[0] == np.inf
    x64 = jnp.asarray(np.arange(3, dtype=np.float64))
    y = x64.at[1].set(0.1)
    assert y.dtype == np.float64 and y[1] == 0.1      # no round trip through float32
    y = x.at[1].set(0.1)
    assert y[1] == np.float32(0.1)                    # rounded as JAX's cast does
    big = x.at[0].set(2 ** 30 + 1)                    # inexact int: general path
    np.testing.assert_array_equal(big, general(lambda: x.at[0].set(2 ** 30 + 1)))
    assert not getattr(big, "weak_type", False)


def test_at_set_matches_jit_for_every_fast_case():
    x = x32(5)
    for f in [lambda a: a.at[0].set(1.0), lambda a: a.at[-2].set(4),
              lambda a: a.at[7].set(1.0), lambda a: a.at[1:4].set(-1.0),
              lambda a: a.at[::2].set(a[:3])]:
        same_as_traced(f, x)


def test_fast_paths_bind_nothing_and_tracers_take_the_general_path(monkeypatch):
    bound = []
    real = core.EvalInterpreter.interpret

    def spy(self, prim, args, params):
        bound.append(prim.name)
        return real(self, prim, args, params)
    monkeypatch.setattr(core.EvalInterpreter, "interpret", spy)
    x = x32()
    x[1:3], x[2], x.at[0].set(1.0), x * 2.0, jnp.sin(x)
    assert bound == []                                # the fast paths ran
    general(lambda: (x[1:3], x.at[0].set(1.0)))
    assert bound                                      # the general path binds
    # Under transforms the operands are tracers: the general path, right values.
    g = jaxlite.grad(lambda a: jnp.sum(a.at[0].set(2.0) * a[1:3].sum()))(x32(4))
    xn = np.asarray(x32(4), np.float64)
    s = xn[1:3].sum()
    # f = s * (2 + a1 + a2 + a3) with s = a1 + a2: a0 is overwritten.
    want = np.zeros(4)
    want[1:4] += s
    want[1:3] += 2.0 + xn[1:].sum()
    np.testing.assert_allclose(g, want, rtol=1e-5)
    ys = jaxlite.vmap(lambda r: r.at[1].set(0.5)[1:3])(jnp.asarray(np.ones((3, 4), np.float32)))
    np.testing.assert_array_equal(ys, np.tile([0.5, 1.0], (3, 1)))


def test_debug_nans_mode_steps_aside_for_slicing_and_set():
    x = jnp.asarray(np.array([1.0, 2.0], np.float32))
    with jaxlite.debug_nans(True):
        np.testing.assert_array_equal(x[0:1], [1.0])
        np.testing.assert_array_equal(x.at[0].set(3.0), [3.0, 2.0])
        with pytest.raises(FloatingPointError):
            x.at[0].set(float("nan"))


def test_eager_checks_still_raise_after_a_passing_call_is_remembered():
    from jaxlite import lax
    f32 = jnp.asarray(np.ones(3, np.float32))
    i32 = jnp.asarray(np.ones(3, np.int32))
    other = jnp.asarray(np.ones(4, np.float32))
    zero_d = jnp.asarray(np.float32(2.0))
    for _ in range(2):                                # the second call hits the memo
        np.testing.assert_array_equal(lax.sin(f32), np.sin(np.ones(3, np.float32)))
        np.testing.assert_array_equal(lax.add(f32, zero_d), [3.0, 3.0, 3.0])
        np.testing.assert_array_equal(lax.add(f32, f32), [2.0, 2.0, 2.0])
        with pytest.raises(TypeError, match="sin"):
            lax.sin(i32)                              # float-only primitive, int operand
        with pytest.raises(TypeError, match="shapes"):
            lax.add(f32, other)                       # (3,) with (4,): same dtype, no broadcast
        with pytest.raises(TypeError):
            lax.add(f32, i32)                         # mixed dtypes
        with pytest.raises(TypeError):
            lax.add(f32, np.ones(3, np.float64))      # a numpy float64 operand


def test_eager_inf_and_nan_raise_no_numpy_warnings():
    # JAX computes exp(100) = inf, log(0) = -inf, 0/0 = nan silently; so do the
    # eager paths (pytest resets warning filters per test, hence a subprocess).
    import subprocess
    import sys
    code = ("import jaxlite, jaxlite.numpy as jnp\n"
            "from jaxlite import lax\n"
            "z, big = jnp.zeros(3), jnp.full(3, 100.0)\n"
            "print(jnp.exp(big)[0], jnp.log(z)[0], (z / 0.0)[0], lax.div(z, z)[0],\n"
            "      jnp.sqrt(-big)[0], jaxlite.grad(lambda x: jnp.log1p(jnp.exp(x)))(100.0))\n"
            "import numpy as np\n"
            "try:\n"
            "    np.exp(np.float32(100.0))\n"
            "except RuntimeWarning:\n"
            "    print('numpy still warns')\n"
            "try:\n"
            "    jnp.ones(2).at[0].set(1e300)\n"
            "except RuntimeWarning:\n"
            "    print('a cast overflow still warns, as in JAX')\n")
    done = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", code],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["inf -inf nan nan nan nan", "numpy still warns",
                                            "a cast overflow still warns, as in JAX"]
