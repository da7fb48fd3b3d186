"""The JAX names jaxlite adds for drop-in use: jaxlite.tree, tree_util extras,
the device API, checkpoint / naming no-ops, ShapeDtypeStruct with eval_shape,
clear_caches, debug.print, and the extra random samplers.

Sampler moments are checked against closed forms with N = 200k samples and a
tolerance of 5 standard errors; the standard error of the sample variance uses
the sample's own fourth central moment, sqrt((m4 - s^4) / N)."""
import collections
import math
import operator

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import random, tree, tree_util

N = 200_000
Z = 5.0
KEY = random.PRNGKey(42)


# ---------------------------------------------------------------- jaxlite.tree

TREE = {"w": np.arange(3.0), "b": (1.0, [np.ones(2), None]),
        "od": collections.OrderedDict([("z", 2), ("a", 3)])}


def test_tree_leaves_structure_flatten_match_tree_util():
    ours, ref = tree.leaves(TREE), tree_util.tree_leaves(TREE)
    assert len(ours) == len(ref) == 5 and all(a is b for a, b in zip(ours, ref))
    assert tree.structure(TREE) == tree_util.tree_structure(TREE)
    leaves, treedef = tree.flatten(TREE)
    assert treedef == tree_util.tree_structure(TREE)
    back = tree.unflatten(treedef, leaves)
    assert tree.structure(back) == treedef
    assert back["od"] == TREE["od"] and back["b"][1][1] is None


def test_tree_map_multiple_trees_and_is_leaf():
    a = {"x": 1.0, "y": (2.0, 3.0)}
    b = {"x": 10.0, "y": (20.0, 30.0)}
    assert tree.map(operator.add, a, b) == {"x": 11.0, "y": (22.0, 33.0)}
    # is_leaf stops at the tuple: f sees it whole.
    out = tree.map(lambda v: len(v) if isinstance(v, tuple) else v, a,
                   is_leaf=lambda v: isinstance(v, tuple))
    assert out == {"x": 1.0, "y": 2}
    assert tree.leaves(a, is_leaf=lambda v: isinstance(v, tuple)) == [1.0, (2.0, 3.0)]
    with pytest.raises(ValueError):
        tree.map(operator.add, a, {"x": 1.0, "y": [2.0, 3.0]})


def test_tree_reduce_and_all():
    t = [1, (2, 3), {"a": 4}]
    assert tree.reduce(operator.add, t) == 10
    assert tree.reduce(operator.add, t, 100) == 110
    assert tree.reduce(operator.mul, [], 7) == 7
    assert tree_util.tree_reduce(max, t) == 4
    with pytest.raises(TypeError):
        tree.reduce(operator.add, [None, ()])
    assert tree.all([True, (1, 2.0)]) and not tree.all([True, (1, 0)])
    assert tree.all([]) and tree.all(None)
    # With is_leaf the tuple is one leaf, and a non-empty tuple is truthy.
    assert tree.all([(0, 0)], is_leaf=lambda v: isinstance(v, tuple))


def test_tree_transpose():
    outer = tree.structure([0, 0, 0])
    inner = tree.structure({"a": 0, "b": 0})
    rows = [{"a": i, "b": 10 * i} for i in range(3)]
    assert tree.transpose(outer, inner, rows) == {"a": [0, 1, 2], "b": [0, 10, 20]}
    assert tree_util.tree_transpose(inner, outer, {"a": [0, 1, 2], "b": [0, 10, 20]}) == rows
    with pytest.raises(TypeError, match="structure"):
        tree.transpose(outer, inner, [{"a": 0, "c": 1}] * 3)


def test_partial_is_a_pytree_and_passes_through_jit():
    def affine(w, x, b=0.0):
        calls.append(1)
        return w * x + b
    calls = []
    p = tree_util.Partial(affine, np.float32(2.0), b=np.float32(1.0))
    leaves, treedef = tree.flatten(p)
    assert len(leaves) == 2
    doubled = tree.map(lambda v: v * 2, p)
    assert isinstance(doubled, tree_util.Partial) and doubled.func is affine
    np.testing.assert_allclose(doubled(3.0), 4 * 3 + 2)
    apply = jaxlite.jit(lambda f, x: f(x))
    calls.clear()
    np.testing.assert_allclose(apply(p, np.float32(3.0)), 7.0)
    np.testing.assert_allclose(apply(tree_util.Partial(affine, np.float32(5.0), b=np.float32(0.0)),
                                     np.float32(3.0)), 15.0)
    assert len(calls) == 1        # the bound arrays are arguments: one trace for both
    nested = tree_util.Partial(tree_util.Partial(affine, 2.0), 3.0)
    assert nested.func is affine and nested.args == (2.0, 3.0) and nested() == 6.0


def test_register_pytree_node_class_and_grad():
    @tree_util.register_pytree_node_class
    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b

        def tree_flatten(self):
            return (self.a, self.b), "aux"

        @classmethod
        def tree_unflatten(cls, aux, children):
            assert aux == "aux"
            return cls(*children)

    p = Pair(np.float64(2.0), np.float64(3.0))
    assert tree.leaves(p) == [2.0, 3.0]
    g = jaxlite.grad(lambda q: q.a * q.b ** 2)(p)
    assert isinstance(g, Pair)
    np.testing.assert_allclose([g.a, g.b], [9.0, 12.0])


# ---------------------------------------------------------------- devices

def test_devices():
    devs = jaxlite.devices()
    assert len(devs) == 1 and repr(devs[0]) == "CpuDevice(id=0)"
    assert devs[0].platform == "cpu" and devs[0].id == 0
    assert jaxlite.local_devices() == devs and jaxlite.devices("cpu") == devs
    assert jaxlite.device_count() == jaxlite.local_device_count() == 1
    assert jaxlite.default_backend() == "cpu"
    assert jaxlite.process_index() == 0 and jaxlite.process_count() == 1
    with pytest.raises(RuntimeError, match="gpu"):
        jaxlite.devices("gpu")


def test_device_put_get_round_trip():
    src = {"w": np.arange(6.0).reshape(2, 3), "n": (np.int32(3), 2.5, True), "none": None}
    put = jaxlite.device_put(src, jaxlite.devices()[0])
    assert tree.structure(put) == tree.structure(src)
    for leaf, orig in zip(tree.leaves(put), tree.leaves(src)):
        assert isinstance(leaf, jaxlite.Array)
        np.testing.assert_array_equal(leaf, orig)
    assert put["w"].dtype == np.float64 and put["n"][0].dtype == np.int32
    assert put["n"][1].dtype == np.float32 and put["n"][2].dtype == np.bool_
    src["w"][0, 0] = 100.0          # device_put copied: the put value is unchanged
    assert put["w"][0, 0] == 0.0
    got = jaxlite.device_get(put)
    assert tree.structure(got) == tree.structure(src)
    for leaf, orig in zip(tree.leaves(got), tree.leaves(put)):
        assert type(leaf) is np.ndarray
        np.testing.assert_array_equal(leaf, orig)
    got["w"][0, 0] = -1.0          # a writable host copy
    assert put["w"][0, 0] == 0.0
    # Leaves without __array__ pass through device_get, as in JAX.
    assert jaxlite.device_get({"s": 1.5, "t": "tag"}) == {"s": 1.5, "t": "tag"}


def test_device_put_under_jit_and_bad_device():
    f = jaxlite.jit(lambda x: jaxlite.device_put(x) * 2)
    np.testing.assert_allclose(f(np.arange(3.0)), [0.0, 2.0, 4.0])
    with pytest.raises(TypeError, match="device"):
        jaxlite.device_put(np.ones(2), "gpu:0")
    with pytest.raises(TypeError):
        jaxlite.device_put(object())
    a = jnp.ones(3)
    assert jaxlite.device_put(a) is a       # already a device array
    assert jaxlite.block_until_ready({"a": a})["a"] is a


# ---------------------------------------------------- checkpoint and naming

def _fd(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("wrap", [
    lambda f: jaxlite.checkpoint(f),
    lambda f: jaxlite.checkpoint(f, prevent_cse=False,
                                 policy=jaxlite.checkpoint_policies.dots_saveable),
    lambda f: jaxlite.remat(f, static_argnums=()),
    lambda f: jaxlite.checkpoint(policy=jaxlite.checkpoint_policies.nothing_saveable)(f),
    lambda f: jaxlite.named_call(f, name="layer"),
])
def test_checkpoint_and_named_call_under_grad(wrap):
    def layer(x):
        return jnp.sin(x) * jnp.exp(x / 3)

    def loss(x):
        return jnp.sum(wrap(layer)(wrap(layer)(x)))
    x = np.linspace(-1.0, 1.0, 4)
    g = jaxlite.grad(loss)(x)
    ref = [_fd(lambda t: float(np.sum(_np_layer(_np_layer(
        np.where(np.arange(4) == i, t, x))))), x[i]) for i in range(4)]
    np.testing.assert_allclose(g, ref, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jaxlite.jit(jaxlite.grad(loss))(x), ref, rtol=1e-6, atol=1e-8)


def _np_layer(x):
    return np.sin(x) * np.exp(x / 3)


def test_checkpoint_rejects_non_callables_and_named_scope():
    with pytest.raises(TypeError):
        jaxlite.checkpoint(3)
    with pytest.raises(TypeError):
        jaxlite.named_call("f")
    with jaxlite.named_scope("block"):
        y = jnp.add(1.0, 2.0)
    assert float(y) == 3.0
    with pytest.raises(TypeError, match="string"):
        with jaxlite.named_scope(3):
            pass


# ------------------------------------------------- ShapeDtypeStruct / eval_shape

def test_shape_dtype_struct():
    s = jaxlite.ShapeDtypeStruct((2, 3), np.float32)
    assert s.shape == (2, 3) and s.dtype == np.float32 and s.ndim == 2 and s.size == 6
    assert s == jaxlite.ShapeDtypeStruct([2, 3], "float32") and hash(s) == hash(
        jaxlite.ShapeDtypeStruct((2, 3), np.float32))
    assert s != jaxlite.ShapeDtypeStruct((2, 3), np.float64)
    assert "(2, 3)" in repr(s) and "float32" in repr(s)
    with pytest.raises(ValueError):
        jaxlite.ShapeDtypeStruct((2, -1), np.float32)
    with pytest.raises(TypeError):
        jaxlite.ShapeDtypeStruct((2.5,), np.float32)


def test_eval_shape_with_shape_dtype_structs():
    S = jaxlite.ShapeDtypeStruct

    def f(params, x, scale=1.0):
        h = jnp.tanh(x @ params["w"] + params["b"])
        return {"out": h * scale, "norm": jnp.sum(h ** 2, axis=-1).astype(jnp.float64)}
    params = {"w": S((5, 4), np.float32), "b": S((4,), np.float32)}
    out = jaxlite.eval_shape(f, params, S((8, 5), np.float32), scale=2.0)
    assert out == {"out": S((8, 4), np.float32), "norm": S((8,), np.float64)}
    # The same result as for concrete arguments of those shapes.
    concrete = {"w": np.zeros((5, 4), np.float32), "b": np.zeros(4, np.float32)}
    ref = jaxlite.eval_shape(f, concrete, np.zeros((8, 5), np.float32))
    ref_real = f(concrete, np.zeros((8, 5), np.float32))
    assert ref == out
    assert all(o.shape == r.shape and o.dtype == r.dtype for o, r in zip(
        tree.leaves(out), tree.leaves(ref_real)))
    # ShapedArray leaves (what jaxlite.api.eval_shape used to return) are accepted too.
    aval = jaxlite.core.ShapedArray((3,), np.float64)
    assert jaxlite.eval_shape(jnp.cumsum, aval) == S((3,), np.float64)
    with pytest.raises(TypeError):
        jaxlite.eval_shape(lambda a, b: a + b, S((3,), np.float32), S((4,), np.float32))


# -------------------------------------------------------------- clear_caches

def test_clear_caches_then_jit_still_works():
    import compiler.cache as ccache
    f = jaxlite.jit(lambda x: jnp.sin(x) * 2.0)
    x = np.linspace(0.0, 1.0, 5)
    np.testing.assert_allclose(f(x), np.sin(x) * 2.0, rtol=1e-12)
    g = jaxlite.grad(lambda x: jnp.sum(f(x)))
    np.testing.assert_allclose(g(x), 2 * np.cos(x), rtol=1e-12)
    assert ccache.memory
    jaxlite.clear_caches()
    assert not ccache.memory
    np.testing.assert_allclose(f(x), np.sin(x) * 2.0, rtol=1e-12)
    np.testing.assert_allclose(g(x), 2 * np.cos(x), rtol=1e-12)
    h = jaxlite.jit(lambda x: x + 1.0)          # a fresh compile after clearing
    np.testing.assert_allclose(h(x), x + 1.0)
    np.testing.assert_allclose(jaxlite.vmap(f)(x[:, None]), 2 * np.sin(x)[:, None], rtol=1e-12)


# ---------------------------------------------------------------- debug.print

def test_debug_print_eager_jit_and_grad(capsys):
    def f(x):
        jaxlite.debug.print("x={} total={t:.2f}", x, t=jnp.sum(x))
        return jnp.sum(x * x)
    f(np.array([1.0, 2.0]))
    assert capsys.readouterr().out == "x=[1. 2.] total=3.00\n"
    jf = jaxlite.jit(f)
    jf(np.array([1.0, 2.0], np.float32))
    assert capsys.readouterr().out == "x=<traced f32[2]> total=<traced f32[]>\n"
    jf(np.array([1.0, 2.0], np.float32))      # compiled: traced once, prints once
    assert capsys.readouterr().out == ""
    jaxlite.grad(f)(np.array([3.0, 4.0]))
    assert capsys.readouterr().out == "x=[3. 4.] total=7.00\n"
    with pytest.raises(TypeError):
        jaxlite.debug.print(3)


# ---------------------------------------------------------------- samplers

def _check_moments(x, mean, var):
    """Sample mean and variance within Z standard errors of the closed forms."""
    x = np.asarray(x, np.float64)
    n = x.size
    m, v = x.mean(), x.var()
    m4 = np.mean((x - m) ** 4)
    assert abs(m - mean) < Z * math.sqrt(var / n), (m, mean)
    assert abs(v - var) < Z * math.sqrt((m4 - v * v) / n), (v, var)


def _gamma_fn(t):
    return math.gamma(t)


SAMPLERS = {
    # name: (call(key, shape, dtype), mean, variance, support check)
    "laplace": (lambda k, s, d: random.laplace(k, s, d), 0.0, 2.0, np.isfinite),
    "logistic": (lambda k, s, d: random.logistic(k, s, d), 0.0, math.pi ** 2 / 3, np.isfinite),
    "lognormal": (lambda k, s, d: random.lognormal(k, 0.5, s, d), math.exp(0.125),
                  (math.exp(0.25) - 1) * math.exp(0.25), lambda x: x > 0),
    "rayleigh": (lambda k, s, d: random.rayleigh(k, 2.0, s, d), 2.0 * math.sqrt(math.pi / 2),
                 (4 - math.pi) / 2 * 4.0, lambda x: x > 0),
    "weibull_min": (lambda k, s, d: random.weibull_min(k, 2.0, 1.5, s, d),
                    2.0 * _gamma_fn(1 + 1 / 1.5),
                    4.0 * (_gamma_fn(1 + 2 / 1.5) - _gamma_fn(1 + 1 / 1.5) ** 2),
                    lambda x: x > 0),
    "pareto": (lambda k, s, d: random.pareto(k, 6.0, s, d), 6.0 / 5.0, 6.0 / (25.0 * 4.0),
               lambda x: x >= 1),
    "triangular": (lambda k, s, d: random.triangular(k, -1.0, 0.5, 3.0, s, d), 2.5 / 3,
                   (1 + 0.25 + 9 - (-0.5) - (-3) - 1.5) / 18,
                   lambda x: (x >= -1) & (x <= 3)),
    "gamma": (lambda k, s, d: random.gamma(k, 2.5, s, d), 2.5, 2.5, lambda x: x > 0),
    "gamma_small_a": (lambda k, s, d: random.gamma(k, 0.3, s, d), 0.3, 0.3, lambda x: x >= 0),
    "chisquare": (lambda k, s, d: random.chisquare(k, 3.0, s, d), 3.0, 6.0, lambda x: x > 0),
    "beta": (lambda k, s, d: random.beta(k, 2.0, 3.0, s, d), 0.4, 6.0 / (25.0 * 6.0),
             lambda x: (x >= 0) & (x <= 1)),
    "beta_small": (lambda k, s, d: random.beta(k, 0.2, 0.5, s, d), 0.2 / 0.7,
                   0.1 / (0.49 * 1.7), lambda x: (x >= 0) & (x <= 1)),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sampler_moments_support_dtype(name, dtype):
    call, mean, var, support = SAMPLERS[name]
    x = call(KEY, (N,), dtype)
    assert isinstance(x, jaxlite.Array) and x.shape == (N,) and x.dtype == dtype
    assert support(np.asarray(x)).all()
    _check_moments(x, mean, var)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_sampler_determinism_and_shape(name):
    call = SAMPLERS[name][0]
    a = call(KEY, (3, 4), np.float32)
    assert a.shape == (3, 4)
    np.testing.assert_array_equal(a, call(KEY, (3, 4), np.float32))
    assert not np.array_equal(a, call(random.PRNGKey(7), (3, 4), np.float32))
    assert call(KEY, (), np.float32).shape == ()


def test_cauchy_quantiles():
    x = np.asarray(random.cauchy(KEY, (N,), np.float64))
    assert x.dtype == np.float64 and np.isfinite(x).all()
    # The Cauchy CDF is 1/2 + atan(t)/pi: P(x <= -1) = 1/4, P(x <= 0) = 1/2, P(x <= 1) = 3/4.
    for t, p in [(-1.0, 0.25), (0.0, 0.5), (1.0, 0.75), (10.0, 0.5 + math.atan(10) / math.pi)]:
        assert abs(np.mean(x <= t) - p) < Z * math.sqrt(p * (1 - p) / N)
    np.testing.assert_array_equal(random.cauchy(KEY, (5,)), random.cauchy(KEY, (5,)))


def test_rademacher():
    x = np.asarray(random.rademacher(KEY, (N,)))
    assert x.dtype == np.int32 and set(np.unique(x)) == {-1, 1}
    assert abs(np.mean(x == 1) - 0.5) < Z * 0.5 / math.sqrt(N)
    assert random.rademacher(KEY, (2, 3), np.float32).dtype == np.float32
    np.testing.assert_array_equal(random.rademacher(KEY, (9,)), random.rademacher(KEY, (9,)))


@pytest.mark.parametrize("dtype, width, out_dtype", [
    (None, 32, np.int64), (np.uint32, 32, np.int64), (np.uint16, 16, np.int32),
    (np.uint8, 8, np.int32)])
def test_bits(dtype, width, out_dtype):
    x = np.asarray(random.bits(KEY, (N,), dtype))
    assert x.dtype == out_dtype and x.shape == (N,)
    assert x.min() >= 0 and x.max() < 2 ** width
    top = 2.0 ** width
    _check_moments(x, (top - 1) / 2, (top * top - 1) / 12)
    # Every bit is set half the time.
    for b in range(width):
        frac = np.mean((x >> b) & 1)
        assert abs(frac - 0.5) < Z * 0.5 / math.sqrt(N), b
    np.testing.assert_array_equal(random.bits(KEY, (4,), dtype), random.bits(KEY, (4,), dtype))


def test_bits_dtype_errors():
    with pytest.raises(ValueError, match="unsigned"):
        random.bits(KEY, (2,), np.int32)
    with pytest.raises(TypeError, match="uint64"):
        random.bits(KEY, (2,), np.uint64)


def test_dirichlet():
    alpha = np.array([0.5, 2.0, 3.5])
    x = np.asarray(random.dirichlet(KEY, alpha, (N,), np.float64))
    assert x.shape == (N, 3) and (x >= 0).all()
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)
    a0 = alpha.sum()
    for i in range(3):
        _check_moments(x[:, i], alpha[i] / a0, alpha[i] * (a0 - alpha[i]) / (a0 ** 2 * (a0 + 1)))
    batch = random.dirichlet(KEY, np.ones((4, 2)))
    assert batch.shape == (4, 2) and batch.dtype == np.float32
    assert random.dirichlet(KEY, np.ones((4, 2)), (5, 4)).shape == (5, 4, 2)
    with pytest.raises(ValueError):
        random.dirichlet(KEY, np.float64(1.0))


def test_loggamma_matches_gamma_and_small_shapes():
    lg = np.asarray(random.loggamma(KEY, 2.0, (1000,), np.float64))
    np.testing.assert_allclose(lg, np.log(np.asarray(random.gamma(KEY, 2.0, (1000,),
                                                                  np.float64))), rtol=1e-12)
    # For a = 0.01 most gamma samples underflow; log-space samples stay finite with
    # E[log G] = digamma(a) and Var = trigamma(a) (derivatives of lgamma, by central
    # differences).
    a, h = 0.01, 1e-5
    digamma = (math.lgamma(a + h) - math.lgamma(a - h)) / (2 * h)
    trigamma = (math.lgamma(a + h) - 2 * math.lgamma(a) + math.lgamma(a - h)) / h ** 2
    x = np.asarray(random.loggamma(KEY, a, (N,), np.float64))
    assert np.isfinite(x).all()
    _check_moments(x, digamma, trigamma)


def test_gamma_parameter_shapes_and_nan():
    a = np.array([[0.5], [4.0]])
    x = random.gamma(KEY, a, (2, 3), np.float64)
    assert x.shape == (2, 3)
    assert random.gamma(KEY, a).shape == (2, 1)
    assert np.isnan(np.asarray(random.gamma(KEY, np.array([-1.0, 0.0, 1.0])))[:2]).all()
    with pytest.raises(ValueError, match="broadcast"):
        random.gamma(KEY, np.ones(3), (2,))
    with pytest.raises(ValueError, match="broadcast"):
        random.pareto(KEY, np.ones(3), (4,))


def test_gamma_family_needs_concrete_key_and_parameters():
    with pytest.raises(TypeError, match="concrete PRNG key"):
        jaxlite.jit(lambda k: random.gamma(k, 2.0, (3,)))(KEY)
    with pytest.raises(TypeError, match="concrete parameters"):
        jaxlite.grad(lambda a: jnp.sum(random.gamma(KEY, a, (3,))))(2.0)
    with pytest.raises(TypeError, match="concrete"):
        jaxlite.vmap(lambda a: random.beta(KEY, a, 1.0))(np.ones(3))


TRACEABLE = {
    "laplace": lambda k: random.laplace(k, (4,)),
    "logistic": lambda k: random.logistic(k, (4,)),
    "cauchy": lambda k: random.cauchy(k, (4,)),
    "rademacher": lambda k: random.rademacher(k, (4,)),
    "bits": lambda k: random.bits(k, (4,)),
    "lognormal": lambda k: random.lognormal(k, 0.3, (4,)),
    "rayleigh": lambda k: random.rayleigh(k, 1.5, (4,)),
    "weibull_min": lambda k: random.weibull_min(k, 1.0, 2.0, (4,)),
    "pareto": lambda k: random.pareto(k, 3.0, (4,)),
    "triangular": lambda k: random.triangular(k, 0.0, 0.2, 1.0, (4,)),
}


@pytest.mark.parametrize("name", sorted(TRACEABLE))
def test_traced_keys_give_the_eager_values(name):
    f = TRACEABLE[name]
    eager = np.asarray(f(KEY))
    np.testing.assert_allclose(jaxlite.jit(f)(KEY), eager, rtol=2e-6)
    keys = random.split(KEY, 3)
    batched = np.asarray(jaxlite.vmap(f)(keys))
    for i in range(3):
        np.testing.assert_allclose(batched[i], f(keys[i]), rtol=2e-6)


def test_parameter_gradients_match_closed_forms():
    k = random.PRNGKey(3)
    # x = exp(sigma z): dx/dsigma = x log(x) / sigma.
    x = np.asarray(random.lognormal(k, 0.7, (5,), np.float64))
    g = jaxlite.grad(lambda s: jnp.sum(random.lognormal(k, s, (5,), np.float64)))(np.float64(0.7))
    np.testing.assert_allclose(g, np.sum(x * np.log(x) / 0.7), rtol=1e-10)
    # x = scale r: dx/dscale = x / scale.
    x = np.asarray(random.rayleigh(k, 1.3, (5,), np.float64))
    g = jaxlite.grad(lambda s: jnp.sum(random.rayleigh(k, s, (5,), np.float64)))(np.float64(1.3))
    np.testing.assert_allclose(g, np.sum(x) / 1.3, rtol=1e-10)
    # x = exp(E / b): dx/db = -x log(x) / b.
    x = np.asarray(random.pareto(k, 2.5, (5,), np.float64))
    g = jaxlite.grad(lambda b: jnp.sum(random.pareto(k, b, (5,), np.float64)))(np.float64(2.5))
    np.testing.assert_allclose(g, -np.sum(x * np.log(x)) / 2.5, rtol=1e-10)


def test_float_dtype_required():
    with pytest.raises(TypeError, match="floating"):
        random.laplace(KEY, (2,), np.int32)
    with pytest.raises(TypeError, match="floating"):
        random.gamma(KEY, 1.0, (2,), np.int32)
