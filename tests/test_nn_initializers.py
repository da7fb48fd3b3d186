"""jaxlite.nn.initializers: shapes, dtypes, the variance each family promises
(fans as JAX computes them), bounds, orthogonality, determinism per key, and
JAX's errors."""
import math

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import random
from jaxlite.nn import initializers

KEY = random.PRNGKey(0)


def test_constant_initializers():
    np.testing.assert_array_equal(initializers.zeros(KEY, (2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.ones(KEY, 4), np.ones(4))
    out = initializers.constant(3.0, jnp.int32)(KEY, (2,))
    assert out.dtype == np.int32 and out.tolist() == [3, 3]
    assert initializers.zeros(KEY, (2,), jnp.float64).dtype == np.float64


def test_uniform_normal_truncated_normal():
    u = np.asarray(initializers.uniform(0.5)(KEY, (20000,)))
    assert u.dtype == np.float32 and u.min() >= 0 and u.max() < 0.5
    assert abs(u.mean() - 0.25) < 0.01
    n = np.asarray(initializers.normal(2.0)(KEY, (20000,)))
    assert abs(n.std() - 2.0) < 0.05
    t = np.asarray(initializers.truncated_normal(1.0, lower=-1.0, upper=1.0)(KEY, (20000,)))
    assert t.min() >= -1.0 and t.max() <= 1.0
    # Variance of a unit normal truncated to [-1, 1].
    phi = math.exp(-0.5) / math.sqrt(2 * math.pi)
    expected_var = 1 - 2 * phi / math.erf(1 / math.sqrt(2))
    assert abs(t.var() - expected_var) < 0.01


@pytest.mark.parametrize("name,scale,fan", [
    ("glorot_uniform", 1.0, "avg"), ("glorot_normal", 1.0, "avg"),
    ("xavier_uniform", 1.0, "avg"), ("xavier_normal", 1.0, "avg"),
    ("lecun_uniform", 1.0, "in"), ("lecun_normal", 1.0, "in"),
    ("he_uniform", 2.0, "in"), ("he_normal", 2.0, "in"),
    ("kaiming_uniform", 2.0, "in"), ("kaiming_normal", 2.0, "in")])
def test_named_variance_scaling_families(name, scale, fan):
    shape = (3, 3, 64, 48)            # conv kernel: receptive field 9
    fan_in, fan_out = 9 * 64, 9 * 48
    n = fan_in if fan == "in" else (fan_in + fan_out) / 2
    w = np.asarray(getattr(initializers, name)()(KEY, shape))
    assert w.shape == shape and w.dtype == np.float32
    np.testing.assert_allclose(w.var(), scale / n, rtol=0.05)
    if "uniform" in name:
        assert np.abs(w).max() <= math.sqrt(3 * scale / n)
    else:                              # truncated at two standard deviations
        assert np.abs(w).max() <= 2 * math.sqrt(scale / n) / 0.87962566103423978 + 1e-6


def test_variance_scaling_axes_modes_and_errors():
    w = np.asarray(initializers.variance_scaling(3.0, "fan_out", "normal", in_axis=0,
                                                 out_axis=1)(KEY, (50, 400)))
    np.testing.assert_allclose(w.var(), 3.0 / 400, rtol=0.05)
    w = np.asarray(initializers.variance_scaling(1.0, "fan_in", "uniform", batch_axis=0)(
        KEY, (10, 300, 20)))
    np.testing.assert_allclose(w.var(), 1.0 / 300, rtol=0.05)
    with pytest.raises(ValueError, match="invalid mode"):
        initializers.variance_scaling(1.0, "bad", "normal")
    with pytest.raises(ValueError, match="invalid distribution"):
        initializers.variance_scaling(1.0, "fan_in", "bad")
    with pytest.raises(ValueError, match="1-dimensional"):
        initializers.glorot_normal()(KEY, (5,))


def test_same_key_same_values_different_key_different_values():
    init = initializers.he_normal()
    np.testing.assert_array_equal(init(KEY, (4, 4)), init(KEY, (4, 4)))
    assert not np.array_equal(init(KEY, (4, 4)), init(random.PRNGKey(1), (4, 4)))
    assert init(KEY, (4, 4), jnp.float64).dtype == np.float64


@pytest.mark.parametrize("shape,column_axis", [((3, 5), -1), ((5, 3), -1), ((4, 2, 3), 0),
                                               ((6, 6), -1)])
def test_orthogonal(shape, column_axis):
    w = np.asarray(initializers.orthogonal(scale=2.0, column_axis=column_axis)(KEY, shape),
                   np.float64)
    assert w.shape == shape
    cols = np.moveaxis(w, column_axis, -1).reshape(-1, shape[column_axis]) / 2.0
    small = min(cols.shape)
    gram = cols.T @ cols if cols.shape[0] >= cols.shape[1] else cols @ cols.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-5)
    with pytest.raises(ValueError):
        initializers.orthogonal()(KEY, (4,))


def test_delta_orthogonal():
    w = np.asarray(initializers.delta_orthogonal()(KEY, (3, 3, 4, 6)), np.float64)
    centre = w[1, 1]
    np.testing.assert_allclose(centre @ centre.T, np.eye(4), atol=1e-5)
    w[1, 1] = 0
    assert np.abs(w).sum() == 0
    with pytest.raises(ValueError):
        initializers.delta_orthogonal()(KEY, (4, 4))
    with pytest.raises(ValueError, match="fan_in"):
        initializers.delta_orthogonal()(KEY, (3, 6, 4))


def test_initializers_in_a_training_setup():
    # As in JAX programs: init params with nn.initializers, differentiate the loss.
    w = jaxlite.nn.initializers.lecun_normal()(KEY, (3, 2))
    b = jaxlite.nn.initializers.zeros(KEY, (2,))
    x = np.ones((5, 3), np.float32)
    g = jaxlite.grad(lambda w, b: jnp.sum(jnp.tanh(x @ w + b) ** 2), argnums=(0, 1))(w, b)
    assert g[0].shape == (3, 2) and g[1].shape == (2,)
    assert isinstance(initializers.lecun_normal(), object) and initializers.Initializer
