"""jaxlite.nn against closed forms, and its derivatives."""
import math

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import nn
from helpers import check_grads, check_vmap

X = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0], np.float64)
X32 = X.astype(np.float32)
_erf = np.vectorize(math.erf)


def _sig(x):
    return 1 / (1 + np.exp(-x))


CLOSED_FORMS = [
    (nn.relu, lambda x: np.maximum(x, 0)),
    (nn.sigmoid, _sig),
    (nn.softplus, lambda x: np.log1p(np.exp(x))),
    (nn.silu, lambda x: x * _sig(x)),
    (nn.gelu, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    (lambda x: nn.gelu(x, approximate=False), lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    (nn.log_sigmoid, lambda x: np.log(_sig(x))),
    (nn.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    (nn.leaky_relu, lambda x: np.where(x >= 0, x, 0.01 * x)),
]


@pytest.mark.parametrize("f,ref", CLOSED_FORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_match_closed_forms(f, ref, dtype):
    out = f(X.astype(dtype))
    assert out.dtype == dtype
    np.testing.assert_allclose(out, ref(X), rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-6)


@pytest.mark.parametrize("f,ref", CLOSED_FORMS)
def test_activation_grads(f, ref):
    pts = np.array([-2.0, -0.7, 0.3, 1.5])   # away from kinks
    check_grads(f, (pts,), order=2)


def test_int_input_computes_in_float():
    assert nn.sigmoid(np.array([0, 1], np.int32)).dtype == np.float32
    assert nn.relu(np.array([-1, 2], np.int32)).dtype == np.int32


def test_relu_grad_at_zero_is_zero():
    assert float(jaxlite.grad(nn.relu)(0.0)) == 0.0
    assert float(jaxlite.grad(nn.relu)(2.0)) == 1.0
    assert float(jaxlite.grad(nn.relu)(-2.0)) == 0.0


def test_softplus_is_stable():
    out = nn.softplus(np.array([-1000.0, 0.0, 1000.0], np.float32))
    np.testing.assert_allclose(out, [0.0, np.log(2.0), 1000.0], rtol=1e-6)
    g = jaxlite.grad(lambda x: jnp.sum(nn.softplus(x)))(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(g, [0.0, 0.5, 1.0])


def _logsumexp_ref(x, axis=None):
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m, axis=axis)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
def test_logsumexp_values(axis):
    x = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_allclose(nn.logsumexp(x, axis=axis), _logsumexp_ref(x, axis), rtol=1e-12)
    kd = nn.logsumexp(x, axis=axis, keepdims=True)
    assert kd.shape == np.sum(x, axis=axis, keepdims=True).shape


def test_logsumexp_large_inputs_finite_value_and_softmax_gradient():
    x = np.array([1000.0, 1001.0, 999.0], np.float32)
    val = nn.logsumexp(x)
    assert np.isfinite(val)
    np.testing.assert_allclose(val, 1000 + np.log(np.exp(0) + np.exp(1) + np.exp(-1)), rtol=1e-6)
    g = jaxlite.grad(nn.logsumexp)(x)
    e = np.exp(np.array([0.0, 1.0, -1.0]))
    np.testing.assert_allclose(g, e / e.sum(), rtol=1e-5)


def test_logsumexp_all_neg_inf_row():
    x = np.array([[-np.inf, -np.inf], [0.0, 0.0]])
    np.testing.assert_allclose(nn.logsumexp(x, axis=1), [-np.inf, np.log(2.0)])


def test_logsumexp_b_and_sign():
    x = np.array([0.0, 1.0, 2.0])
    b = np.array([1.0, -2.0, 0.5])
    s = np.sum(b * np.exp(x))
    val, sign = nn.logsumexp(x, b=b, return_sign=True)
    np.testing.assert_allclose(val, np.log(abs(s)))
    assert float(sign) == np.sign(s)


def test_logsumexp_grads():
    x = np.random.default_rng(1).normal(size=(3, 4))
    check_grads(lambda x: nn.logsumexp(x, axis=1), (x,))
    check_grads(nn.logsumexp, (x,))


def test_softmax_and_log_softmax():
    x = np.random.default_rng(2).normal(size=(2, 5)) * 10
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    ref = e / e.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(nn.softmax(x), ref, rtol=1e-12)
    np.testing.assert_allclose(nn.softmax(x, axis=0).sum(axis=0), np.ones(5), rtol=1e-12)
    np.testing.assert_allclose(nn.log_softmax(x), np.log(ref), rtol=1e-10, atol=1e-12)
    big = nn.log_softmax(np.array([1e4, 0.0], np.float32))
    assert np.all(np.isfinite(big))
    check_grads(nn.softmax, (x / 10,))
    check_grads(nn.log_softmax, (x / 10,))


def test_softmax_vmap():
    x = np.random.default_rng(3).normal(size=(4, 5))
    check_vmap(nn.softmax, (x,))
    check_vmap(lambda r: nn.logsumexp(r), (x,))


def test_one_hot():
    out = nn.one_hot(np.array([0, 2, 1, 5, -1]), 3)
    assert out.dtype == np.float32 and out.shape == (5, 3)
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0], [0, 0, 0]])
    out = nn.one_hot(np.array([[1], [0]]), 2, dtype=jnp.int32, axis=0)
    assert out.dtype == np.int32 and out.shape == (2, 2, 1)
    np.testing.assert_array_equal(out[:, :, 0], [[0, 1], [1, 0]])


def test_one_hot_under_jit():
    f = jaxlite.jit(lambda labels: nn.one_hot(labels, 4))
    np.testing.assert_array_equal(f(np.array([3, 0], np.int32)), np.eye(4, dtype=np.float32)[[3, 0]])
