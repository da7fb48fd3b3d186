"""Custom differentiation rules: custom_jvp (stable log1pexp, nondiff_argnums),
custom_vjp (gradient clipping) and jax.checkpoint, checked against closed forms."""
from functools import partial

import numpy as np

import jax
import jax.numpy as jnp
from jax import grad, jit, vmap
from jax.ad_checkpoint import checkpoint_name


@jax.custom_jvp
def log1pexp(x):
    # max(x, 0) + log1p(exp(-|x|)) never overflows, unlike log1p(exp(x))
    return jnp.maximum(x, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(x)))


@log1pexp.defjvp
def log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    # d/dx log(1 + e^x) = sigmoid(x) = 1 / (1 + e^-x): never inf / inf
    return log1pexp(x), t / (1.0 + jnp.exp(-x))


xs = jnp.array([-20.0, -1.0, 0.0, 3.0, 50.0, 100.0])
sig = 1 / (1 + np.exp(-np.asarray(xs, np.float64)))
g = vmap(grad(log1pexp))(xs)
assert np.all(np.isfinite(g))
np.testing.assert_allclose(g, sig, rtol=1e-6)
np.testing.assert_allclose(jit(grad(log1pexp))(100.0), 1.0)
# without the rule the naive derivative is exp(x) / (1 + exp(x)) = inf / inf at 100
naive = grad(lambda x: jnp.log1p(jnp.exp(x)))(100.0)
assert np.isnan(naive)
np.testing.assert_allclose(log1pexp(xs), np.logaddexp(0.0, np.asarray(xs, np.float64)), rtol=1e-6)
# forward mode uses the rule too, and the rule itself is differentiable
_, tan = jax.jvp(log1pexp, (50.0,), (2.0,))
np.testing.assert_allclose(tan, 2.0)
np.testing.assert_allclose(grad(grad(log1pexp))(0.0), 0.25, rtol=1e-6)


@jax.custom_vjp
def clip_gradient(x):
    return x


def clip_fwd(x):
    return x, None


def clip_bwd(_, ct):
    return (jnp.clip(ct, -1.0, 1.0),)


clip_gradient.defvjp(clip_fwd, clip_bwd)

z = jnp.array([0.1, 1.0, 3.0])
loss = lambda z: jnp.sum(clip_gradient(z) ** 3)
np.testing.assert_allclose(loss(z), np.sum(np.asarray(z) ** 3), rtol=1e-6)
np.testing.assert_allclose(grad(loss)(z), np.clip(3 * np.asarray(z) ** 2, -1, 1), rtol=1e-6)
np.testing.assert_allclose(jit(grad(loss))(z), [0.03, 1.0, 1.0], rtol=1e-6)


@jax.custom_vjp
def scale_grad(x, factor=0.1):
    return x


scale_grad.defvjp(lambda x, factor=0.1: (x, factor),
                  lambda factor, g: (g * factor, None))   # None: no gradient for factor
np.testing.assert_allclose(grad(lambda x: 3.0 * scale_grad(x))(2.0), 0.3, rtol=1e-6)
np.testing.assert_allclose(grad(lambda x: 3.0 * scale_grad(x, factor=-1.0))(2.0), -3.0)
np.testing.assert_allclose(jit(grad(lambda x: jnp.sum(scale_grad(x, factor=0.5) ** 2)))(z),
                           np.asarray(z), rtol=1e-6)


@partial(jax.custom_jvp, nondiff_argnums=(0,))
def apply_scaled(fn, x):
    return fn(x) * 2.0


@apply_scaled.defjvp
def apply_scaled_jvp(fn, primals, tangents):
    (x,), (t,) = primals, tangents
    out, fn_t = jax.jvp(fn, (x,), (t,))
    return out * 2.0, fn_t * 2.0


np.testing.assert_allclose(apply_scaled(jnp.sin, 0.5), 2 * np.sin(0.5), rtol=1e-6)
np.testing.assert_allclose(grad(apply_scaled, argnums=1)(jnp.sin, 0.5), 2 * np.cos(0.5), rtol=1e-6)
np.testing.assert_allclose(grad(lambda x: apply_scaled(jnp.exp, x))(1.0), 2 * np.e, rtol=1e-6)


def block(w, x):
    return jnp.sin(jnp.tanh(w * x) * jnp.cos(x))


def net(w, x):
    for _ in range(3):
        x = block(w, x)
    return jnp.sum(x)


def net_remat(w, x):
    for _ in range(3):
        x = jax.checkpoint(block)(w, x)
    return jnp.sum(x)


w0 = jnp.array([0.5, -1.5, 2.0])
x0 = jnp.array([1.0, 0.3, -0.7])
np.testing.assert_allclose(net_remat(w0, x0), net(w0, x0), rtol=1e-6)
for argnum in (0, 1):
    want = grad(net, argnums=argnum)(w0, x0)
    np.testing.assert_allclose(grad(net_remat, argnums=argnum)(w0, x0), want, rtol=1e-6)
    np.testing.assert_allclose(jit(grad(jax.remat(net), argnums=argnum))(w0, x0), want, rtol=1e-5)
# a policy that keeps only the values named "pre" for the backward pass
named = jax.checkpoint(lambda w, x: jnp.sin(checkpoint_name(jnp.tanh(w * x), "pre") * jnp.cos(x)),
                       policy=jax.checkpoint_policies.save_only_these_names("pre"))
np.testing.assert_allclose(grad(lambda w: jnp.sum(named(w, x0)))(w0),
                           grad(lambda w: jnp.sum(block(w, x0)))(w0), rtol=1e-6)


# and against central finite differences in float64 of a numpy copy
def net_np(w, x):
    for _ in range(3):
        x = np.sin(np.tanh(w * x) * np.cos(x))
    return x.sum()


wn, xn, eps = np.asarray(w0, np.float64), np.asarray(x0, np.float64), 1e-6
fd = [(net_np(wn + eps * e, xn) - net_np(wn - eps * e, xn)) / (2 * eps) for e in np.eye(3)]
np.testing.assert_allclose(grad(net_remat)(w0, x0), fd, rtol=1e-4, atol=1e-5)
print("OK")
