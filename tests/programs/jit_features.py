"""jit: static arguments by position and by name, pytree outputs, donation,
retracing only on new shapes/dtypes/static values, make_jaxpr and
block_until_ready."""
from functools import partial

import numpy as np

import jax
import jax.numpy as jnp
from jax import jit

traces = []


def power_sum(x, n):
    traces.append(("power_sum", n))       # a Python side effect: runs only while tracing
    out = jnp.zeros_like(x)
    for k in range(n):                     # n must be static: it drives a Python loop
        out = out + x ** k
    return out


fast = jit(power_sum, static_argnums=1)
x = jnp.array([0.5, 2.0, -1.0])
want = sum(np.asarray(x) ** k for k in range(4))
np.testing.assert_allclose(fast(x, 4), want, rtol=1e-6)
x1 = np.asarray(x) + 1
np.testing.assert_allclose(fast(x + 1, 4), sum(x1 ** k for k in range(4)), rtol=1e-6)
assert len(traces) == 1                    # same shape, dtype and n: no retrace
fast(x, 3)
assert len(traces) == 2                    # a new static value retraces
fast(jnp.ones(5), 3)
assert len(traces) == 3                    # a new shape retraces
fast(jnp.ones(5, jnp.int32), 3)
assert len(traces) == 4                    # so does a new dtype
fast(2.0 * jnp.ones(5), 3)
assert len(traces) == 4
by_name = jit(power_sum, static_argnames="n")
np.testing.assert_allclose(by_name(x, n=2), 1 + np.asarray(x), rtol=1e-6)


@partial(jax.jit, static_argnames=("mode",))
def normalize(v, mode="l2"):
    if mode == "l2":
        return v / jnp.linalg.norm(v)
    return v / jnp.sum(jnp.abs(v))


v = jnp.array([3.0, -4.0])
np.testing.assert_allclose(normalize(v), [0.6, -0.8], rtol=1e-6)
np.testing.assert_allclose(normalize(v, mode="l1"), [3 / 7, -4 / 7], rtol=1e-6)


@jit
def stats(a):
    return {"mean": jnp.mean(a), "range": (jnp.min(a), jnp.max(a)), "centered": a - jnp.mean(a)}


a = jnp.arange(10.0) ** 2
s = stats(a)
an = np.arange(10.0) ** 2
assert set(s) == {"mean", "range", "centered"} and isinstance(s["range"], tuple)
np.testing.assert_allclose(s["mean"], an.mean(), rtol=1e-6)
np.testing.assert_allclose(s["range"], (0.0, 81.0))
np.testing.assert_allclose(s["centered"], an - an.mean(), rtol=1e-5, atol=1e-5)


@partial(jit, donate_argnums=0)
def sgd_step(params, grads):
    return jax.tree_util.tree_map(lambda p, g: p - 0.1 * g, params, grads)


p = {"w": jnp.ones((4, 4)), "b": jnp.zeros(4)}
g = {"w": jnp.full((4, 4), 2.0), "b": jnp.ones(4)}
first_w = p["w"]
p = sgd_step(p, g)                     # rebinding: the donated buffers are never read again
assert first_w.is_deleted() and not g["w"].is_deleted()
try:
    first_w + 1
    raise AssertionError("a donated array was readable")
except RuntimeError:
    pass
p = sgd_step(p, g)
np.testing.assert_allclose(p["w"], np.full((4, 4), 0.6), rtol=1e-6)
np.testing.assert_allclose(p["b"], np.full(4, -0.2), rtol=1e-6)


def f(x, y):
    return jnp.sin(x) * y + jnp.exp(y)


jaxpr = jax.make_jaxpr(f)(1.0, 2.0)
text = str(jaxpr)
for prim in ("sin", "mul", "exp", "add"):
    assert prim in text, text
assert len(jaxpr.jaxpr.invars) == 2 and len(jaxpr.jaxpr.outvars) == 1
prims = [eqn.primitive.name for eqn in jaxpr.eqns]
assert {"sin", "mul", "exp", "add"} <= set(prims), prims
shapes = jax.eval_shape(lambda m: {"gram": m @ m.T, "total": jnp.sum(m)},
                        jax.ShapeDtypeStruct((5, 3), jnp.float32))
assert shapes["gram"].shape == (5, 5) and shapes["total"].shape == ()
assert shapes["gram"].dtype == jnp.float32
try:                                   # a static name the function does not take
    jax.jit(power_sum, static_argnames="m")
    raise AssertionError("jit accepted a static argname power_sum does not take")
except ValueError:
    pass
big = jit(lambda m: m @ m.T)(jnp.ones((200, 100)))
out = big.block_until_ready()
np.testing.assert_allclose(out, np.full((200, 200), 100.0))
print("OK")
