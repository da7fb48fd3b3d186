"""jaxlite.nn against closed forms (every dtype, layout and axis, empty
arrays), and its derivatives."""
import math

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import nn

from helpers import (DATA_RNG, F32, F64, FLOATS, I32, I64, check_grads, check_vmap, data, inexact,
                     layouts, normal_array, same, tols)

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


def test_relu_family_nan_and_kinks_as_jax():
    # A NaN passes through (max's semantics) with derivative 0; relu6's
    # derivative is 0 at both kinks, and it returns floats for int inputs.
    x = np.array([np.nan, -1.0, 0.0, 3.0, 6.0, 7.0], np.float32)
    np.testing.assert_array_equal(nn.relu(x), [np.nan, 0, 0, 3, 6, 7])
    np.testing.assert_array_equal(nn.relu6(x), [np.nan, 0, 0, 3, 6, 6])
    for f in (nn.relu, jaxlite.jit(nn.relu)):
        np.testing.assert_array_equal(jaxlite.vmap(jaxlite.grad(f))(x), [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(jaxlite.vmap(jaxlite.grad(nn.relu6))(x), [0, 0, 0, 1, 0, 0])
    assert nn.relu6(np.array([-1, 9], np.int32)).dtype == np.float32


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


# --------------------------------------------------------------------- nn

@pytest.mark.parametrize("name", ["relu", "sigmoid", "softplus", "gelu"])
def test_nn_activations_on_dtypes_shapes_and_layouts(name):
    closed = {"relu": lambda x: np.maximum(x, 0), "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
              "softplus": lambda x: np.logaddexp(x, 0),
              "gelu": lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi)
                                                       * (x + 0.044715 * x ** 3)))}[name]
    for dt in (I32, I64, F32, F64):
        out_dt = dt if name == "relu" else inexact(dt)
        for shape in [(), (0,), (3,), (2, 0), (3, 4)]:
            x = data(shape, dt)
            ref = closed(x.astype(F64)).astype(out_dt)
            for arg in layouts(x):
                out = getattr(nn, name)(arg)
                assert out.dtype == out_dt and out.shape == x.shape
                np.testing.assert_allclose(out, ref, rtol=1e-5 if out_dt == F32 else 1e-12,
                                           atol=1e-6)


def _softmax_ref(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0, 1, (0, 2), None])
def test_softmax_family_axes_layouts_and_empty(axis):
    x = DATA_RNG.normal(size=(2, 3, 4))
    for arg in layouts(x):
        np.testing.assert_allclose(nn.softmax(arg, axis=axis), _softmax_ref(x, axis), rtol=1e-12)
        np.testing.assert_allclose(nn.log_softmax(arg, axis=axis),
                                   np.log(_softmax_ref(x, axis)), rtol=1e-12, atol=1e-12)
        m = np.max(x, axis=axis, keepdims=True)
        lse = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
        np.testing.assert_allclose(nn.logsumexp(arg, axis=axis, keepdims=True), lse,
                                   rtol=1e-12)
    e = np.zeros((0, 3), F32)   # the reduced axis is non-empty: an empty batch
    assert nn.softmax(e, axis=1).shape == (0, 3)
    assert nn.logsumexp(e, axis=1).shape == (0,)
    assert nn.softmax(np.arange(4, dtype=I32)).dtype == F32


def test_one_hot_shapes_dtypes_layouts():
    labels = np.array([[0, 3, 1], [2, -1, 4]], I64)
    for arg in layouts(labels):
        out = nn.one_hot(arg, 4)
        same(out, (labels[..., None] == np.arange(4)).astype(F32))
        same(nn.one_hot(arg, 4, axis=0, dtype=jnp.int32),
              np.moveaxis(labels[..., None] == np.arange(4), -1, 0).astype(I32))
    same(nn.one_hot(np.zeros(0, I32), 3), np.zeros((0, 3), F32))
    same(nn.one_hot(np.int32(2), 3), np.array([0, 0, 1], F32))
    same(nn.one_hot(labels, 0), np.zeros((2, 3, 0), F32))
    with pytest.raises(ValueError, match="num_classes"):
        nn.one_hot(labels, -1)


def test_softmax_family_over_an_empty_axis():
    """As JAX (whose max there starts from -inf): the log of an empty sum."""
    with np.errstate(divide="ignore"):
        same(nn.logsumexp(np.zeros(0, F32)), np.float32(-np.inf))
        same(nn.logsumexp(np.zeros((2, 0)), axis=1), np.full(2, -np.inf))
        same(jaxlite.jit(nn.logsumexp)(np.zeros((0,), F32)), np.float32(-np.inf))
    same(nn.softmax(np.zeros((3, 0)), axis=1), np.zeros((3, 0)))
    same(nn.log_softmax(np.zeros((0, 2), F32), axis=0), np.zeros((0, 2), F32))


# ------------------------------------------------------------------ jax.nn


def _softplus(x):
    return np.log1p(np.exp(x))


SELU_A, SELU_L = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

NN_CLOSED_FORMS = [
    ("tanh", nn.tanh, np.tanh),
    ("identity", nn.identity, lambda x: x),
    ("selu", nn.selu, lambda x: SELU_L * np.where(x > 0, x, SELU_A * np.expm1(x))),
    ("celu", nn.celu, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("celu_alpha", lambda x: nn.celu(x, alpha=0.5),
     lambda x: np.where(x > 0, x, 0.5 * np.expm1(x / 0.5))),
    ("mish", nn.mish, lambda x: x * np.tanh(_softplus(x))),
    ("soft_sign", nn.soft_sign, lambda x: x / (np.abs(x) + 1)),
    ("hard_tanh", nn.hard_tanh, lambda x: np.clip(x, -1, 1)),
    ("hard_sigmoid", nn.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    ("hard_silu", nn.hard_silu, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("hard_swish", nn.hard_swish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("squareplus", nn.squareplus, lambda x: (x + np.sqrt(x * x + 4)) / 2),
    ("squareplus_b", lambda x: nn.squareplus(x, b=1.0), lambda x: (x + np.sqrt(x * x + 1)) / 2),
    ("sparse_plus", nn.sparse_plus,
     lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4))),
    ("sparse_sigmoid", nn.sparse_sigmoid,
     lambda x: np.where(x <= -1, 0, np.where(x >= 1, 1, (x + 1) / 2))),
]
NN_X = np.array([-5.0, -3.0, -1.5, -1.0, -0.4, 0.0, 0.3, 1.0, 2.5, 4.0])


@pytest.mark.parametrize("name,f,ref", NN_CLOSED_FORMS, ids=[c[0] for c in NN_CLOSED_FORMS])
@pytest.mark.parametrize("dtype", FLOATS)
def test_nn_closed_forms(name, f, ref, dtype):
    x = NN_X.reshape(2, 5).astype(dtype)
    out = f(x)
    assert out.dtype == dtype and out.shape == (2, 5)
    np.testing.assert_allclose(out, ref(x.astype(np.float64)), **tols(dtype))


def test_nn_identity_returns_an_array():
    out = nn.identity(3)
    assert isinstance(out, jaxlite.core.Array) and out.dtype == np.int32 and int(out) == 3


def test_nn_int_inputs_compute_in_float():
    i = np.array([-2, 0, 3], np.int32)
    for f in (nn.selu, nn.mish, nn.hard_sigmoid, nn.squareplus, nn.sparse_plus, nn.celu):
        assert f(i).dtype == np.float32, f.__name__


@pytest.mark.parametrize("axis", [-1, 0])
def test_glu_vs_closed_form(axis):
    x = normal_array((4, 6))
    a, b = np.split(x, 2, axis=axis)
    np.testing.assert_allclose(nn.glu(x, axis=axis), a * _sig(b), rtol=1e-13)
    with pytest.raises(ValueError, match=r"even size.*\(3, 5\)"):
        nn.glu(np.ones((3, 5)), axis=0)


@pytest.mark.filterwarnings("ignore:divide by zero")     # log1mexp(0) = log(0) = -inf
def test_log1mexp_vs_closed_form_and_extremes():
    x = np.array([1e-3, 0.2, 0.69, 0.7, 1.0, 5.0])
    np.testing.assert_allclose(nn.log1mexp(x), np.log(-np.expm1(-x)), rtol=1e-13)
    # log(1 - e) = -e - e^2/2 - ... (the naive log(-expm1(-20)) is off by 2e-8 here)
    e = np.exp(-20.0)
    np.testing.assert_allclose(nn.log1mexp(np.float64(20.0)), -e - e * e / 2, rtol=1e-15)
    # tiny x: 1 - exp(-x) ~ x; large x: log(1 - e) ~ -e with e = exp(-x)
    np.testing.assert_allclose(nn.log1mexp(np.float64(1e-20)), np.log(1e-20), rtol=1e-14)
    np.testing.assert_allclose(nn.log1mexp(np.float64(50.0)), -np.exp(-50.0), rtol=1e-14)
    assert float(nn.log1mexp(np.float64(0.0))) == -np.inf


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logmeanexp_vs_closed_form(axis, keepdims):
    x = normal_array((3, 4)) * 3
    expected = np.log(np.mean(np.exp(x), axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(nn.logmeanexp(x, axis=axis, keepdims=keepdims), expected,
                               rtol=1e-12)


def test_logmeanexp_where_and_large_inputs():
    x = normal_array((3, 4))
    where = DATA_RNG.random((3, 4)) < 0.6
    where[:, 0] = True
    expected = [np.log(np.mean(np.exp(r[w]))) for r, w in zip(x, where)]
    np.testing.assert_allclose(nn.logmeanexp(x, axis=1, where=where), expected, rtol=1e-12)
    big = np.array([1000.0, 1000.0])
    np.testing.assert_allclose(nn.logmeanexp(big), 1000.0, rtol=1e-15)


def test_relu6_swish_vs_closed_forms():
    x = np.array([-3.0, -0.5, 0.0, 0.5, 3.0, 6.0, 9.0])
    np.testing.assert_array_equal(nn.relu6(x), np.clip(x, 0.0, 6.0))
    np.testing.assert_allclose(nn.swish(x), x / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(nn.swish(x), nn.silu(x), rtol=1e-12)
    check_grads(nn.swish, (x,), order=2)


@pytest.mark.parametrize("axis", [-1, 0, (0, 1)])
def test_standardize_vs_closed_form(axis):
    x = DATA_RNG.normal(size=(3, 4)) * 2 + 1
    m = np.mean(x, axis=axis, keepdims=True)
    v = np.var(x, axis=axis, keepdims=True)
    np.testing.assert_allclose(nn.standardize(x, axis=axis), (x - m) / np.sqrt(v + 1e-5),
                               rtol=1e-12)
    np.testing.assert_allclose(nn.standardize(x, axis=axis, mean=0.5, variance=4.0, epsilon=0.0),
                               (x - 0.5) / 2.0, rtol=1e-12)
    w = x > 1       # statistics of the selected elements; every element is standardized
    m = np.mean(x, axis=axis, keepdims=True, where=w)
    v = np.var(x, axis=axis, keepdims=True, where=w)
    np.testing.assert_allclose(nn.standardize(x, axis=axis, where=w), (x - m) / np.sqrt(v + 1e-5),
                               rtol=1e-12)


def _attention_ref(q, k, v, bias=None, keep=None, scale=None):
    """softmax(q k^T * scale + bias) v per batch and head in float64 (numpy)."""
    q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
    g = q.shape[2] // k.shape[2]
    k, v = np.repeat(k, g, axis=2), np.repeat(v, g, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", q, k) * (scale or 1 / np.sqrt(q.shape[-1]))
    if bias is not None:
        logits = logits + bias
    if keep is not None:
        logits = np.where(keep, logits, -1e30)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    return np.einsum("bnts,bsnh->btnh", p / p.sum(-1, keepdims=True), v)


def test_dot_product_attention_vs_numpy():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(2, 5, 4, 8)).astype(F32)
    k, v = rng.normal(size=(2, 2, 6, 2, 8)).astype(F32)        # 2 key/value heads: grouped
    bias = rng.normal(size=(1, 4, 5, 6)).astype(F32)
    mask = rng.uniform(size=(2, 1, 5, 6)) > 0.3
    close = dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(nn.dot_product_attention(q, k, v), _attention_ref(q, k, v), **close)
    np.testing.assert_allclose(nn.dot_product_attention(q, k, v, bias, mask, scale=0.3),
                               _attention_ref(q, k, v, bias, mask, 0.3), **close)
    np.testing.assert_allclose(jaxlite.jit(nn.dot_product_attention)(q, k, v, bias),
                               _attention_ref(q, k, v, bias), **close)
    np.testing.assert_allclose(nn.dot_product_attention(q[0], k[0], v[0]),
                               _attention_ref(q[:1], k[:1], v[:1])[0], **close)
    t, s = np.arange(5)[:, None], np.arange(5)[None, :]
    kk, vv = q[:, ::-1], q[:, :, ::-1]
    np.testing.assert_allclose(nn.dot_product_attention(q, kk, vv, is_causal=True),
                               _attention_ref(q, kk, vv, keep=s <= t), **close)
    np.testing.assert_allclose(nn.dot_product_attention(q, kk, vv, local_window_size=(1, 0)),
                               _attention_ref(q, kk, vv, keep=(s <= t) & (s >= t - 1)), **close)
    # Sequence lengths mask keys per batch; padding queries give zeros (as JAX).
    got = nn.dot_product_attention(q, k, v, query_seq_lengths=np.array([3, 5]),
                                   key_value_seq_lengths=np.array([2, 6]))
    keep = np.arange(6)[None, None, None, :] < np.array([2, 6])[:, None, None, None]
    want = _attention_ref(q, k, v, keep=keep)
    want[0, 3:] = 0
    np.testing.assert_allclose(got, want, **close)
    # The jvp (and, through a vjp, the gradient) against central differences of the
    # float64 reference: the softmax runs in float32, as JAX's, too coarse to
    # difference itself.
    dq, dk = rng.normal(size=q.shape).astype(F32), rng.normal(size=k.shape).astype(F32)
    f = lambda a, b: nn.dot_product_attention(a, b, b, bias)      # noqa: E731
    _, tangent = jaxlite.jvp(f, (q, k), (dq, dk))
    eps = 1e-4
    fd = (_attention_ref(q + eps * dq, k + eps * dk, k + eps * dk, bias)
          - _attention_ref(q - eps * dq, k - eps * dk, k - eps * dk, bias)) / (2 * eps)
    np.testing.assert_allclose(tangent, fd, rtol=1e-3, atol=1e-3)
    out, pullback = jaxlite.vjp(f, q, k)
    u = rng.normal(size=out.shape).astype(F32)
    gq, gk = pullback(u)
    np.testing.assert_allclose(np.sum(gq * dq) + np.sum(gk * dk), np.sum(u * fd), rtol=1e-3)
