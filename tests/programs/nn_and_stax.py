"""jax.nn activations against closed forms, a stax convnet trained with optimizers.sgd, and lax.conv_general_dilated vs a loop."""
import math

import numpy as np

import jax
import jax.numpy as jnp
from jax import lax
from jax.example_libraries import optimizers, stax

x = np.linspace(-4, 4, 17).astype(np.float32)
xd = x.astype(np.float64)
tol = dict(rtol=1e-5, atol=1e-6)
sig = 1 / (1 + np.exp(-xd))

np.testing.assert_allclose(jax.nn.relu(x), np.maximum(xd, 0), **tol)
np.testing.assert_allclose(jax.nn.sigmoid(x), sig, **tol)
np.testing.assert_allclose(jax.nn.silu(x), xd * sig, **tol)
erf = np.vectorize(math.erf)
np.testing.assert_allclose(jax.nn.gelu(x, approximate=False), 0.5 * xd * (1 + erf(xd / np.sqrt(2))), **tol)
tanh_form = 0.5 * xd * (1 + np.tanh(np.sqrt(2 / np.pi) * (xd + 0.044715 * xd ** 3)))
np.testing.assert_allclose(jax.nn.gelu(x, approximate=True), tanh_form, **tol)
assert float(jnp.max(jnp.abs(jax.nn.gelu(x, approximate=True) - jax.nn.gelu(x, approximate=False)))) < 1e-2
np.testing.assert_allclose(jax.grad(lambda v: jnp.sum(jax.nn.relu(v)))(x), (xd > 0).astype(np.float32))

logits = np.random.default_rng(1).normal(size=(4, 6)).astype(np.float32)
ld = logits.astype(np.float64)
lse = np.log(np.sum(np.exp(ld), axis=-1, keepdims=True))
np.testing.assert_allclose(jax.nn.softmax(logits), np.exp(ld - lse), **tol)
np.testing.assert_allclose(jax.nn.softmax(logits, axis=0), np.exp(ld) / np.exp(ld).sum(0), **tol)
np.testing.assert_allclose(jax.nn.log_softmax(logits), ld - lse, **tol)
np.testing.assert_allclose(jax.nn.logsumexp(logits, axis=-1), lse[:, 0], **tol)
np.testing.assert_allclose(jnp.sum(jax.nn.softmax(logits), axis=-1), np.ones(4), **tol)
np.testing.assert_array_equal(jax.nn.one_hot(jnp.array([0, 2, 5]), 4), [[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
st = jax.nn.standardize(logits, axis=-1)
np.testing.assert_allclose(st, (ld - ld.mean(-1, keepdims=True)) / np.sqrt(ld.var(-1, keepdims=True) + 1e-5), rtol=1e-4, atol=1e-5)

# Scaled dot-product attention, (batch, length, heads, head_dim), with a causal mask.
qkv = np.random.default_rng(5).normal(size=(3, 1, 4, 2, 8)).astype(np.float32)
att = jax.nn.dot_product_attention(qkv[0], qkv[1], qkv[2], is_causal=True)
scores = np.einsum("btnh,bsnh->bnts", qkv[0], qkv[1]) / np.sqrt(8)
scores = np.where(np.tril(np.ones((4, 4), bool)), scores, -np.inf)
weights = np.exp(scores - scores.max(-1, keepdims=True))
weights /= weights.sum(-1, keepdims=True)
np.testing.assert_allclose(att, np.einsum("bnts,bsnh->btnh", weights, qkv[2]), rtol=1e-5, atol=1e-5)

# lax.conv_general_dilated on a tiny NCHW / OIHW case against a direct loop (cross-correlation).
rng = np.random.default_rng(2)
img = rng.normal(size=(2, 3, 6, 5)).astype(np.float32)
ker = rng.normal(size=(4, 3, 3, 2)).astype(np.float32)
strides, pad = (2, 1), ((1, 1), (0, 1))
out = lax.conv_general_dilated(img, ker, strides, pad, dimension_numbers=("NCHW", "OIHW", "NCHW"))
padded = np.pad(img.astype(np.float64), ((0, 0), (0, 0)) + pad)
H = (padded.shape[2] - 3) // 2 + 1
W = (padded.shape[3] - 2) // 1 + 1
want = np.zeros((2, 4, H, W))
for n in range(2):
    for o in range(4):
        for i in range(H):
            for j in range(W):
                want[n, o, i, j] = np.sum(padded[n, :, 2 * i:2 * i + 3, j:j + 2] * ker[o])
np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4)

# A small convnet: Conv -> Relu -> Flatten -> Dense -> LogSoftmax on random NHWC images.
init_fun, apply_fun = stax.serial(
    stax.Conv(8, (3, 3), padding="SAME"), stax.Relu, stax.Flatten,
    stax.Dense(16), stax.Relu, stax.Dense(3), stax.LogSoftmax)
k_init, k_x, k_y = jax.random.split(jax.random.key(0), 3)
out_shape, params = init_fun(k_init, (-1, 8, 8, 1))
assert out_shape == (-1, 3)
# stax's Conv kernels default to Glorot (normal): variance 2 / (fan_in + fan_out).
_, (W_big, _) = stax.Conv(64, (3, 3))[0](k_init, (1, 8, 8, 32))
np.testing.assert_allclose(np.std(W_big), np.sqrt(2 / (32 * 9 + 64 * 9)), rtol=0.05)
images = jax.random.normal(k_x, (32, 8, 8, 1))
labels = jax.nn.one_hot(jax.random.randint(k_y, (32,), 0, 3), 3)
logp = apply_fun(params, images)
assert logp.shape == (32, 3)
np.testing.assert_allclose(jnp.sum(jnp.exp(logp), axis=1), np.ones(32), rtol=1e-5)


def loss(params, xb, yb):
    return -jnp.mean(jnp.sum(apply_fun(params, xb) * yb, axis=1))


opt_init, opt_update, get_params = optimizers.sgd(0.1)


@jax.jit
def step(i, state):
    value, grads = jax.value_and_grad(loss)(get_params(state), images, labels)
    return opt_update(i, grads, state), value


state = opt_init(params)
losses = []
for i in range(30):
    state, value = step(i, state)
    losses.append(float(value))
assert losses[-1] < 0.7 * losses[0], losses
assert all(np.isfinite(losses))
assert float(loss(get_params(state), images, labels)) < losses[-1]   # the last step helped too
# One sgd step is params - lr * grad, leaf by leaf.
g = jax.grad(loss)(params, images, labels)
stepped = get_params(opt_update(0, g, opt_init(params)))
for got, p0, g0 in zip(jax.tree_util.tree_leaves(stepped), jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(g)):
    np.testing.assert_allclose(got, np.asarray(p0) - 0.1 * np.asarray(g0), rtol=1e-6, atol=1e-7)
print("OK")
