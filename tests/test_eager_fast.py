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


def general(f, *args):
    """``f(*args)`` with the fast paths turned off (the primitives' impls)."""
    saved = _eager._plain
    _eager._plain = lambda: False
    try:
        return f(*args)
    finally:
        _eager._plain = saved


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
