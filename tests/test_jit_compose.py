"""jit composed with the other transforms agrees with eager evaluation, traces
once per signature under transforms, and never crashes on odd inputs
(random shapes, dtypes, strides, zero sizes)."""
import functools

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import grad, jacfwd, jacrev, hessian, jit, jvp, vjp, vmap, lax, linearize, \
    value_and_grad, tree_util

RNG = np.random.default_rng(0)


def f64(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def close(a, b, rtol=1e-10, atol=1e-12):
    la, lb = tree_util.tree_leaves(a), tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        assert np.asarray(x).dtype == np.asarray(y).dtype, (np.asarray(x).dtype,
                                                            np.asarray(y).dtype)
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


def f(x, y):
    return jnp.sum(jnp.sin(x) * y + jnp.tanh(x * y) ** 2)


def counted(fun):
    count = [0]

    def g(*args, **kwargs):
        count[0] += 1
        return fun(*args, **kwargs)
    return g, count


X, Y = f64(5, seed=1), f64(5, seed=2)


def test_jit_of_grad():
    close(jit(grad(f))(X, Y), grad(f)(X, Y))
    close(jit(grad(f, argnums=(0, 1)))(X, Y), grad(f, argnums=(0, 1))(X, Y))


def test_grad_of_jit_traces_once():
    g, count = counted(f)
    jg = jit(g)
    for seed in range(3):
        x = f64(5, seed=seed)
        close(grad(jg)(x, Y), grad(f)(x, Y))
    close(grad(jg, argnums=1)(X, Y), grad(f, argnums=1)(X, Y))
    assert count[0] == 1


def test_vmap_of_jit():
    xs = f64(4, 5, seed=3)
    close(vmap(jit(f), in_axes=(0, None))(xs, Y), np.stack([f(x, Y) for x in xs]))
    close(vmap(jit(f), in_axes=(1, 0))(xs.T, xs), np.stack([f(a, a) for a in xs]))


def test_jit_of_vmap_of_grad():
    xs = f64(4, 5, seed=4)
    close(jit(vmap(grad(f), in_axes=(0, None)))(xs, Y),
          np.stack([grad(f)(x, Y) for x in xs]))


def test_jit_of_jit():
    inner_g, inner_count = counted(lambda x: jnp.exp(x) * 2)
    inner = jit(inner_g)
    outer = jit(lambda x, y: inner(x) + inner(y) * 3)
    close(outer(X, Y), np.exp(X) * 2 + np.exp(Y) * 6)
    assert inner_count[0] == 1      # same signature inside the outer trace: one trace
    close(grad(lambda x: jnp.sum(outer(x, Y)))(X), np.exp(X) * 2)


def test_same_jitted_helper_called_twice_under_transforms():
    layer = jit(lambda x: jnp.tanh(x) * 1.5)

    def model(x):
        return jnp.sum(layer(x) * layer(x + 1.0))

    def model_eager(x):
        return jnp.sum(jnp.tanh(x) * 1.5 * (jnp.tanh(x + 1.0) * 1.5))
    close(jit(model)(X), model_eager(X))
    close(jit(grad(model))(X), grad(model_eager)(X))
    close(grad(jit(model))(X), grad(model_eager)(X))
    close(jit(hessian(model))(X[:3]), hessian(model_eager)(X[:3]))


def test_compiler_inlines_one_inner_jaxpr_twice():
    from jaxlite.compiler import compile as backend_compile
    inner = jit(lambda x: jnp.exp(x) * 2.125)
    closed = jaxlite.make_jaxpr(lambda x, y: inner(x) - inner(y))(X, Y)
    out = backend_compile(closed, name="twice")(X, Y)[0]
    np.testing.assert_allclose(out, np.exp(X) * 2.125 - np.exp(Y) * 2.125, rtol=1e-12)


def test_jvp_and_linearize_of_jit():
    t = f64(5, seed=5)
    close(jvp(jit(f), (X, Y), (t, np.zeros(5))), jvp(f, (X, Y), (t, np.zeros(5))))
    out, lin = linearize(jit(f), X, Y)
    close(out, f(X, Y))
    close(lin(t, t), jvp(f, (X, Y), (t, t))[1])


def test_vjp_of_jit_with_pytree_output():
    def g(x):
        return {"a": jnp.sin(x), "b": (x * x).sum()}
    out, pull = vjp(jit(g), X)
    ref_out, ref_pull = vjp(g, X)
    close(out, ref_out)
    ct = {"a": f64(5, seed=6), "b": np.float64(1.5)}
    close(pull(ct), ref_pull(ct))
    # A Python float cotangent is weak: it takes the output's float64 dtype.
    close(pull({"a": ct["a"], "b": 1.5}), ref_pull(ct))


def test_eager_vjp_with_python_float_cotangent():
    out, pull = vjp(lambda x: jnp.sum(x * x), np.arange(3.0))
    close(pull(1.5), (np.arange(3.0) * 3.0,))


def test_jacobians_and_hessian_of_jit():
    def g(x):
        return jnp.sin(x) * jnp.sum(x ** 3)
    x = f64(4, seed=7)
    close(jacfwd(jit(g))(x), jacfwd(g)(x))
    close(jacrev(jit(g))(x), jacrev(g)(x))
    h = lambda x: jnp.sum(jnp.sin(x) * x ** 2)
    close(hessian(jit(h))(x), hessian(h)(x))
    close(jit(hessian(h))(x), hessian(h)(x))
    # the reference itself is right: d2/dx2 (x^2 sin x) on the diagonal
    ref = 2 * np.sin(x) + 4 * x * np.cos(x) - x ** 2 * np.sin(x)
    np.testing.assert_allclose(np.diag(hessian(jit(h))(x)), ref, rtol=1e-10)


def test_jit_closing_over_an_outer_grad_tracer():
    def outer(y):
        scaled = jit(lambda x: jnp.sin(x * y) + y)     # y is a JVP tracer here
        return jnp.sum(scaled(X))

    def outer_eager(y):
        return jnp.sum(jnp.sin(X * y) + y)
    y = 0.7
    close(grad(outer)(y), grad(outer_eager)(y))
    close(grad(outer)(np.float64(y)), grad(outer_eager)(np.float64(y)))
    ref = np.sum(X * np.cos(X * y)) + X.size
    np.testing.assert_allclose(grad(outer)(np.float64(y)), ref, rtol=1e-12)
    # second order through the closure
    close(grad(grad(outer))(np.float64(y)), grad(grad(outer_eager))(np.float64(y)))


def test_jit_closing_over_vmap_and_jit_tracers():
    def per_row(row):
        return jit(lambda s: jnp.sum(row * s))(2.0)
    xs = f64(3, 5, seed=8)
    close(vmap(per_row)(xs), np.sum(xs * 2.0, axis=1))

    @jit
    def outer(x):
        return jit(lambda z: z * x)(x + 1)         # inner closes over an outer jit tracer
    close(outer(X), (X + 1) * X)


def _mlp_params(seed=0):
    r = np.random.default_rng(seed)
    return {"w1": r.standard_normal((3, 8)) * 0.5, "b1": r.standard_normal(8) * 0.1,
            "w2": r.standard_normal((8, 2)) * 0.5, "b2": np.zeros(2)}


def _mlp_loss(params, x, y):
    h = jnp.tanh(x @ params["w1"] + params["b1"])
    out = h @ params["w2"] + params["b2"]
    return jnp.mean((out - y) ** 2)


def test_value_and_grad_of_mlp_under_jit_matches_eager():
    params = _mlp_params()
    x, y = f64(16, 3, seed=9), f64(16, 2, seed=10)
    ref_loss, ref_grads = value_and_grad(_mlp_loss)(params, x, y)
    loss, grads = jit(value_and_grad(_mlp_loss))(params, x, y)
    close(loss, ref_loss)
    close(grads, ref_grads)
    close(value_and_grad(jit(_mlp_loss))(params, x, y), (ref_loss, ref_grads))
    # a few steps of SGD: the jitted step and the eager step stay together
    step = jit(lambda p, x, y: tree_util.tree_map(
        lambda a, g: a - 0.1 * g, p, grad(_mlp_loss)(p, x, y)))
    p_jit, p_eager = params, params
    for _ in range(3):
        p_jit = step(p_jit, x, y)
        p_eager = tree_util.tree_map(lambda a, g: a - 0.1 * g, p_eager,
                                     grad(_mlp_loss)(p_eager, x, y))
    close(p_jit, p_eager, rtol=1e-9)
    assert _mlp_loss(p_jit, x, y) < ref_loss


def test_mlp_float32_under_jit():
    params = tree_util.tree_map(lambda a: np.asarray(a, np.float32), _mlp_params(1))
    x, y = f64(8, 3, seed=11).astype(np.float32), f64(8, 2, seed=12).astype(np.float32)
    loss, grads = jit(value_and_grad(_mlp_loss))(params, x, y)
    ref_loss, ref_grads = value_and_grad(_mlp_loss)(params, x, y)
    close(loss, ref_loss, rtol=1e-5, atol=1e-6)
    close(grads, ref_grads, rtol=1e-4, atol=1e-5)


def test_control_flow_inside_jit_under_grad():
    def g(x):
        return lax.fori_loop(0, 3, lambda i, c: jnp.sin(c) * x, x).sum()
    close(grad(jit(g))(X), grad(g)(X))
    close(jit(grad(g))(X), grad(g)(X))


def test_static_args_under_transforms():
    @functools.partial(jit, static_argnums=1)
    def power(x, n):
        out = x
        for _ in range(n - 1):
            out = out * x
        return jnp.sum(out)
    close(grad(power)(X, 3), 3 * X ** 2)
    close(vmap(power, in_axes=(0, None))(f64(2, 5), 2), np.sum(f64(2, 5) ** 2, axis=1))


# ------------------------------------------------------------------- fuzz

def _layout(rng, shape, dtype):
    """An array of ``shape``/``dtype`` with a random memory layout: contiguous,
    Fortran, transposed, strided or reversed views."""
    kind = rng.integers(5)
    if dtype == np.bool_:
        make = lambda s: rng.random(s) > 0.5
    elif np.dtype(dtype).kind == "i":
        make = lambda s: rng.integers(-5, 6, s).astype(dtype)
    else:
        make = lambda s: rng.standard_normal(s).astype(dtype)
    if kind == 0 or len(shape) == 0:
        return make(shape)
    if kind == 1:
        return np.asfortranarray(make(shape))
    if kind == 2:
        return make(shape[::-1]).T
    if kind == 3:
        big = make((shape[0] * 2,) + shape[1:])
        return big[::2]
    return make(shape)[::-1]


def _shape(rng, ndim, allow_zero=True):
    lo = 0 if allow_zero else 1
    return tuple(int(s) for s in rng.integers(lo, 5, ndim))


def _run_both(fun, args):
    """``fun`` eagerly and jitted: equal results, or the same exception class."""
    try:   # eager jaxlite (Arrays), not numpy's operators on the raw views
        ref = fun(*[jnp.asarray(a) for a in args])
    except (TypeError, ValueError, IndexError) as e:
        with pytest.raises(type(e)):
            jit(fun)(*args)
        return None
    got = jit(fun)(*args)
    for g, r in zip(tree_util.tree_leaves(got), tree_util.tree_leaves(ref)):
        g, r = np.asarray(g), np.asarray(r)
        assert g.dtype == r.dtype and g.shape == r.shape, (g.dtype, r.dtype, g.shape, r.shape)
        if r.dtype.kind == "f":
            tol = 1e-5 if r.dtype == np.float32 else 1e-12
            np.testing.assert_allclose(g, r, rtol=tol, atol=tol)
        else:
            np.testing.assert_array_equal(g, r)
    return got


def _elementwise(x, y):
    return x * 2 + y, jnp.maximum(x, y), x > y


def _reduction(x):
    return jnp.sum(x, axis=0), jnp.sum(x * x), jnp.max(x, axis=-1)


def _matmul(a, b):
    return a @ b


def _indexing(x, idx):
    return x[1:, ::2], x[::-1], x[idx], x[-1]


@pytest.mark.parametrize("case", range(6))
def test_fuzz_elementwise(case):
    rng = np.random.default_rng(100 + case)
    dtype = [np.float32, np.float64, np.int32, np.int64][case % 4]
    shape = _shape(rng, rng.integers(0, 4))
    _run_both(_elementwise, (_layout(rng, shape, dtype), _layout(rng, shape, dtype)))


@pytest.mark.parametrize("case", range(5))
def test_fuzz_reduction(case):
    rng = np.random.default_rng(200 + case)
    dtype = [np.float32, np.float64, np.int32][case % 3]
    shape = _shape(rng, 2, allow_zero=case < 2)
    _run_both(_reduction, (_layout(rng, shape, dtype),))


@pytest.mark.parametrize("case", range(5))
def test_fuzz_matmul(case):
    rng = np.random.default_rng(300 + case)
    dtype = [np.float32, np.float64][case % 2]
    m, k, n = (int(v) for v in rng.integers(0 if case == 4 else 1, 7, 3))
    _run_both(_matmul, (_layout(rng, (m, k), dtype), _layout(rng, (k, n), dtype)))


@pytest.mark.parametrize("case", range(4))
def test_fuzz_indexing(case):
    rng = np.random.default_rng(400 + case)
    dtype = [np.float32, np.int32, np.float64, np.bool_][case]
    shape = (int(rng.integers(2, 6)), int(rng.integers(1, 5)))
    idx = rng.integers(-shape[0], shape[0], int(rng.integers(0, 4))).astype(np.int32)
    _run_both(_indexing, (_layout(rng, shape, dtype), idx))


def test_fuzz_mismatched_shapes_raise_like_eager():
    _run_both(_elementwise, (np.ones((2, 3), np.float32), np.ones((3, 2), np.float32)))
    _run_both(_matmul, (np.ones((2, 3)), np.ones((2, 3))))


def test_same_shape_other_layouts_reuse_the_trace():
    fun, count = counted(lambda x: jnp.sum(x * x, axis=1))
    jf = jit(fun)
    rng = np.random.default_rng(5)
    base = rng.standard_normal((4, 6))
    for view in [base, np.asfortranarray(base), base[::-1], base[:, ::-1],
                 rng.standard_normal((8, 6))[::2], rng.standard_normal((6, 4)).T, base]:
        np.testing.assert_allclose(jf(view), np.sum(view * view, axis=1), rtol=1e-12)
    assert count[0] == 1
