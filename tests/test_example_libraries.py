"""jaxlite.example_libraries: stax layers against numpy, optimizers against
numpy re-statements of their update rules, schedules, state (un)packing, and
a small CNN that trains."""
import pickle

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import random
from jaxlite.example_libraries import optimizers, stax
from jaxlite.tree_util import tree_leaves, tree_map

RNG = np.random.default_rng(5)
KEY = random.PRNGKey(0)


# ------------------------------------------------------------------- stax

def test_dense_and_flatten():
    init, apply = stax.serial(stax.Flatten, stax.Dense(4))
    shape, params = init(KEY, (-1, 2, 3))
    assert shape == (-1, 4)
    (), (W, b) = params
    assert W.shape == (6, 4) and b.shape == (4,)
    x = RNG.standard_normal((5, 2, 3)).astype(np.float32)
    np.testing.assert_allclose(apply(params, x), x.reshape(5, 6) @ W + b, rtol=1e-5)


def test_conv_layer_shapes_and_values():
    init, apply = stax.Conv(5, (3, 2), strides=(2, 1), padding="SAME")
    shape, (W, b) = init(KEY, (-1, 7, 6, 3))
    assert shape == (-1, 4, 6, 5) and W.shape == (3, 2, 3, 5) and b.shape == (1, 1, 1, 5)
    x = RNG.standard_normal((2, 7, 6, 3)).astype(np.float32)
    out = apply((W, b), x)
    assert out.shape == (2, 4, 6, 5)
    # one output element by hand: SAME pads (1, 1) rows and (0, 1) columns
    xp = np.pad(x, ((0, 0), (1, 1), (0, 1), (0, 0)))
    want = np.einsum("hwc,hwco->o", xp[1, 2:5, 3:5], W) + b[0, 0, 0]
    np.testing.assert_allclose(out[1, 1, 3], want, rtol=1e-4, atol=1e-5)
    init_t, apply_t = stax.ConvTranspose(2, (3, 3), strides=(2, 2), padding="SAME")
    shape_t, params_t = init_t(KEY, (-1, 4, 4, 5))
    assert shape_t == (-1, 8, 8, 2)
    assert apply_t(params_t, np.ones((1, 4, 4, 5), np.float32)).shape == (1, 8, 8, 2)
    init1, _ = stax.Conv1D(3, (2,))
    assert init1(KEY, (4, 9, 2))[0] == (4, 8, 3)


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_pools(padding):
    x = RNG.standard_normal((2, 5, 5, 3))
    for layer, reduce in ((stax.MaxPool, np.max), (stax.SumPool, np.sum), (stax.AvgPool, np.mean)):
        init, apply = layer((2, 2), strides=(2, 2), padding=padding)
        shape, _ = init(None, (-1, 5, 5, 3))
        out = apply((), x)
        assert shape == (-1,) + out.shape[1:]
        n = 2 if padding == "VALID" else 3
        assert out.shape == (2, n, n, 3)
        # SAME pads one row/column at the end: edge windows hold the real elements only
        for i in range(n):
            for j in range(n):
                window = x[:, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                np.testing.assert_allclose(out[:, i, j], reduce(window, axis=(1, 2)), rtol=1e-12)


def test_batchnorm():
    init, apply = stax.BatchNorm(axis=(0, 1))
    shape, (beta, gamma) = init(KEY, (4, 6, 3))
    assert shape == (4, 6, 3) and beta.shape == (3,) and gamma.shape == (3,)
    x = RNG.standard_normal((4, 6, 3)) * 3 + 1
    beta, gamma = np.arange(3.0), np.arange(1.0, 4.0)
    out = apply((beta, gamma), x)
    z = (x - x.mean((0, 1))) / np.sqrt(x.var((0, 1)) + 1e-5)
    np.testing.assert_allclose(out, gamma * z + beta, rtol=1e-6)


def test_elementwise_layers():
    x = RNG.standard_normal((3, 4))
    for layer, ref in ((stax.Relu, lambda v: np.maximum(v, 0)), (stax.Tanh, np.tanh),
                       (stax.Sigmoid, lambda v: 1 / (1 + np.exp(-v))),
                       (stax.Softplus, lambda v: np.log1p(np.exp(v))), (stax.Exp, np.exp),
                       (stax.LogSoftmax, lambda v: v - np.log(np.exp(v).sum(-1, keepdims=True))),
                       (stax.Softmax, lambda v: np.exp(v) / np.exp(v).sum(-1, keepdims=True))):
        assert layer[0](KEY, (3, 4)) == ((3, 4), ())
        np.testing.assert_allclose(layer[1]((), x), ref(x), rtol=1e-6)
    assert stax.Gelu[1]((), x).shape == (3, 4)
    assert stax.Elu[1]((), x).shape == stax.LeakyRelu[1]((), x).shape == stax.Selu[1]((), x).shape


def test_combinators():
    x = RNG.standard_normal((2, 3))
    init, apply = stax.serial(stax.FanOut(2), stax.parallel(stax.Dense(4), stax.Identity),
                              stax.FanInConcat())
    shape, params = init(KEY, (-1, 3))
    assert shape == (-1, 7)
    (W, b), _ = params[1]
    np.testing.assert_allclose(apply(params, x), np.concatenate([x @ W + b, x], -1), rtol=1e-5)
    init, apply = stax.serial(stax.FanOut(3), stax.parallel(stax.Identity, stax.Identity,
                                                            stax.Identity), stax.FanInSum)
    assert init(KEY, (2, 3))[0] == (2, 3)
    np.testing.assert_allclose(apply(init(KEY, (2, 3))[1], x), 3 * x)
    init, apply = stax.shape_dependent(lambda s: stax.Dense(s[-1] * 2))
    shape, params = init(KEY, (2, 3))
    assert shape == (2, 6) and apply(params, x).shape == (2, 6)


def test_init_follows_jax_key_schedule_and_conv_default_is_glorot():
    # serial splits one key off per layer in turn (rng, layer_rng = split(rng)),
    # so a seed gives JAX's parameters; each layer sees its layer_rng.
    layers = [stax.Dense(3), stax.Relu, stax.Dense(2)]
    _, params = stax.serial(*layers)[0](KEY, (-1, 4))
    rng, shape = KEY, (-1, 4)
    for (init, _), got in zip(layers, params):
        rng, layer_rng = random.split(rng)
        shape, want = init(layer_rng, shape)
        for g, w in zip(tree_leaves(got), tree_leaves(want)):
            np.testing.assert_array_equal(g, w)
    # Conv and ConvTranspose kernels default to glorot_normal over (I, O) with
    # the receptive field: variance 2 / (fan_in + fan_out), as JAX (not He's 2 / fan_in).
    for layer in (stax.Conv(40, (3, 3)), stax.ConvTranspose(40, (3, 3))):
        _, (W, _) = layer[0](KEY, (1, 8, 8, 20))
        fan_in, fan_out = 20 * 9, 40 * 9
        np.testing.assert_allclose(np.std(W), np.sqrt(2 / (fan_in + fan_out)), rtol=0.05)
    shapes, params = stax.parallel(stax.Dense(2), stax.Identity)[0](KEY, ((1, 3), (1, 3)))
    assert type(shapes) is tuple and type(params) is tuple      # as JAX's zip(*...)


def test_dropout():
    x = np.ones((100, 100), np.float32)
    init, apply = stax.Dropout(0.8)
    assert init(KEY, x.shape) == (x.shape, ())
    out = apply((), x, rng=KEY)
    kept = np.asarray(out) != 0
    np.testing.assert_allclose(np.asarray(out)[kept], 1 / 0.8, rtol=1e-6)
    assert 0.75 < kept.mean() < 0.85
    with pytest.raises(ValueError, match="PRNG key"):
        apply((), x)
    np.testing.assert_array_equal(stax.Dropout(0.5, mode="test")[1]((), x), x)
    # serial hands each layer its own key
    init, apply = stax.serial(stax.Dropout(0.5), stax.Dropout(0.5))
    assert apply(init(KEY, x.shape)[1], x, rng=KEY).shape == x.shape


# ------------------------------------------------------------- optimizers

def _numpy_rule(name, x, g, state, i, lr=0.1):
    """Each optimizer's update, restated in numpy for one array."""
    if name == "sgd":
        return x - lr * g, state
    if name == "momentum":
        v = 0.9 * state + g
        return x - lr * v, v
    if name == "nesterov":
        v = 0.9 * state + g
        return x - lr * (0.9 * v + g), v
    if name == "adagrad":
        g_sq, m = state
        g_sq = g_sq + g * g
        m = 0.1 * g / np.sqrt(g_sq) + 0.9 * m
        return x - lr * m, (g_sq, m)
    if name == "rmsprop":
        avg = 0.9 * state + 0.1 * g * g
        return x - lr * g / np.sqrt(avg + 1e-8), avg
    if name == "rmsprop_momentum":
        avg, mom = state
        avg = 0.9 * avg + 0.1 * g * g
        mom = 0.9 * mom + lr * g / np.sqrt(avg + 1e-8)
        return x - mom, (avg, mom)
    if name == "adam":
        m, v = state
        m = 0.1 * g + 0.9 * m
        v = 0.001 * g * g + 0.999 * v
        mh, vh = m / (1 - 0.9 ** (i + 1)), v / (1 - 0.999 ** (i + 1))
        return x - lr * mh / (np.sqrt(vh) + 1e-8), (m, v)
    if name == "adamax":
        m, u = state
        m = 0.1 * g + 0.9 * m
        u = np.maximum(0.999 * u, np.abs(g))
        return x - lr / (1 - 0.9 ** (i + 1)) * m / (u + 1e-8), (m, u)
    raise AssertionError(name)


def _zeros_state(name, x):
    z = np.zeros_like(x)
    return {"sgd": None, "momentum": z, "nesterov": z, "rmsprop": z}.get(name, (z, z))


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop",
                                  "rmsprop_momentum", "adam", "adamax"])
def test_optimizers_match_their_rules(name):
    args = (0.1, 0.9) if name in ("momentum", "nesterov") else (0.1,)
    init, update, get_params = getattr(optimizers, name)(*args)
    params = {"w": RNG.standard_normal((3, 2)), "b": (RNG.standard_normal(4),)}
    state = init(params)
    ref = {k: (v, _zeros_state(name, v)) for k, v in
           (("w", params["w"]), ("b", params["b"][0]))}
    step = jaxlite.jit(update)
    for i in range(4):
        grads = {"w": RNG.standard_normal((3, 2)), "b": (RNG.standard_normal(4),)}
        state = (step if i % 2 else update)(i, grads, state)
        for k, g in (("w", grads["w"]), ("b", grads["b"][0])):
            ref[k] = _numpy_rule(name, ref[k][0], g, ref[k][1], i)
    got = get_params(state)
    np.testing.assert_allclose(got["w"], ref["w"][0], rtol=1e-10)
    np.testing.assert_allclose(got["b"][0], ref["b"][0], rtol=1e-10)


def test_sm3_reduces_a_quadratic_and_keeps_shapes():
    init, update, get_params = optimizers.sm3(0.5)
    params = (np.array(3.0), RNG.standard_normal((3, 4)))
    state = init(params)
    for i in range(50):
        state = update(i, tree_map(lambda p: 2 * p, get_params(state)), state)
    p = get_params(state)
    assert np.shape(p[0]) == () and p[1].shape == (3, 4)
    assert abs(float(p[0])) < 1.0 and np.abs(p[1]).max() < np.abs(params[1]).max()


def test_schedules():
    np.testing.assert_allclose(optimizers.constant(0.3)(7), 0.3)
    np.testing.assert_allclose(optimizers.exponential_decay(1.0, 2, 0.5)(4), 0.25)
    np.testing.assert_allclose(optimizers.inverse_time_decay(1.0, 2, 1.0)(3), 1 / 2.5)
    np.testing.assert_allclose(optimizers.inverse_time_decay(1.0, 2, 1.0, True)(3), 0.5)
    poly = optimizers.polynomial_decay(1.0, 4, 0.2, power=2.0)
    np.testing.assert_allclose([poly(i) for i in (0, 2, 4, 9)],
                               [1.0, 0.25 * 0.8 + 0.2, 0.2, 0.2])
    pc = optimizers.piecewise_constant([2, 5], [1.0, 0.5, 0.1])
    np.testing.assert_allclose([pc(i) for i in (0, 2, 3, 5, 6)], [1.0, 1.0, 0.5, 0.5, 0.1])
    with pytest.raises(ValueError, match="one more than"):
        optimizers.piecewise_constant([2, 5], [1.0, 0.5])
    sched = optimizers.make_schedule(optimizers.exponential_decay(0.1, 1, 0.5))
    init, update, get_params = optimizers.sgd(sched)
    s = update(1, np.ones(2), init(np.zeros(2)))
    np.testing.assert_allclose(get_params(s), [-0.05, -0.05])


def test_norms_and_clipping():
    tree = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    np.testing.assert_allclose(optimizers.l2_norm(tree), 5.0)
    clipped = optimizers.clip_grads(tree, 1.0)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0])
    np.testing.assert_allclose(optimizers.clip_grads(tree, 10.0)["b"], [[4.0]])


def test_state_pack_unpack_pickle_and_errors():
    init, update, get_params = optimizers.adam(0.1)
    params = {"w": np.ones((2, 2)), "b": np.zeros(3)}
    state = update(0, params, init(params))
    marked = optimizers.unpack_optimizer_state(state)
    assert isinstance(marked["w"], optimizers.JoinPoint)
    back = optimizers.pack_optimizer_state(pickle.loads(pickle.dumps(marked)))
    for a, b in zip(tree_leaves(back), tree_leaves(state)):
        np.testing.assert_array_equal(a, b)
    assert back.tree_def == state.tree_def
    with pytest.raises(TypeError, match="did not match the parameter tree"):
        update(1, {"w": np.ones((2, 2))}, state)
    # the state is a pytree: it passes through jit
    out = jaxlite.jit(lambda s: update(1, params, s))(state)
    assert isinstance(out, optimizers.OptimizerState)


def test_small_cnn_trains():
    init, apply = stax.serial(stax.Conv(4, (3, 3), padding="SAME"), stax.Relu,
                              stax.MaxPool((2, 2), (2, 2)), stax.Flatten, stax.Dense(2),
                              stax.LogSoftmax)
    _, params = init(KEY, (-1, 6, 6, 1))
    x = RNG.standard_normal((16, 6, 6, 1)).astype(np.float32)
    labels = (x[:, :3].sum((1, 2, 3)) > x[:, 3:].sum((1, 2, 3))).astype(np.int32)
    y = np.eye(2, dtype=np.float32)[labels]

    def loss(p):
        return -jnp.mean(jnp.sum(apply(p, x) * y, -1))
    opt_init, opt_update, get_params = optimizers.adam(0.05)

    @jaxlite.jit
    def step(i, s):
        return opt_update(i, jaxlite.grad(loss)(get_params(s)), s)
    s = opt_init(params)
    first = float(loss(params))
    for i in range(40):
        s = step(i, s)
    assert float(loss(get_params(s))) < 0.5 * first
