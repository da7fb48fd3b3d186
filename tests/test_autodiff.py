"""grad / jvp / vjp / linearize / jacobians: reference examples, rules one by
one, training loops that must converge, composition, and bad input."""
import numpy as np
import pytest

import jaxlite
from jaxlite import lax, tree_util
from helpers import check_grads

F32, F64 = np.float32, np.float64


def _sum(x):
    return lax.reduce_sum(x, tuple(range(np.ndim(x))))


def _matmul(a, b):
    """(n, k) @ (k, m) from broadcast, mul and reduce_sum: no dot_general needed."""
    n, k = np.shape(a)
    m = np.shape(b)[1]
    a3 = lax.broadcast_in_dim(a, (n, k, m), (0, 1))
    b3 = lax.broadcast_in_dim(b, (n, k, m), (1, 2))
    return lax.reduce_sum(lax.mul(a3, b3), (1,))


# ------------------------------------------------------- reference examples

def test_polynomial_examples():
    assert jaxlite.grad(lambda x: 3 * x ** 2 + 4 * x - 5)(2.0) == 16.0
    assert jaxlite.grad(lambda x: x ** 3 + 2 * x - 10)(3.0) == 29.0


def test_two_argument_example():
    f = lambda x, y: x ** 2 * y + y + 2
    dx, dy = jaxlite.grad(f, argnums=(0, 1))(3.0, 4.0)
    assert (float(dx), float(dy)) == (24.0, 10.0)
    assert float(jaxlite.grad(f)(3.0, 4.0)) == 24.0
    assert float(jaxlite.grad(f, argnums=1)(3.0, 4.0)) == 10.0


def test_x_squared_plus_one():
    for x in (-2.0, 0.0, 0.5, 3.0):
        assert float(jaxlite.grad(lambda v: v * v + 1)(x)) == 2 * x
    x = np.array([1.0, -2.0, 4.0])
    np.testing.assert_array_equal(jaxlite.grad(lambda v: _sum(lax.add(lax.mul(v, v), 1.0)))(x),
                                  2 * x)


def test_python_scalars_give_float32_gradients():
    g = jaxlite.grad(lambda x: x * x)(3.0)
    assert g.dtype == F32 and g.shape == ()
    g = jaxlite.grad(lambda x: x * x)(np.float64(3.0))
    assert g.dtype == F64


# ------------------------------------------------------------ rules one by one

X = np.array([1.5, -0.7, 2.2])
Y = np.array([0.4, 1.3, -2.5])


@pytest.mark.parametrize("op,dx,dy", [
    (lax.add, lambda x, y: np.ones_like(x), lambda x, y: np.ones_like(y)),
    (lax.sub, lambda x, y: np.ones_like(x), lambda x, y: -np.ones_like(y)),
    (lax.mul, lambda x, y: y, lambda x, y: x),
    (lax.div, lambda x, y: 1 / y, lambda x, y: -x / y ** 2),
])
def test_binary_rule_closed_form(op, dx, dy):
    gx, gy = jaxlite.grad(lambda x, y: _sum(op(x, y)), argnums=(0, 1))(X, Y)
    np.testing.assert_allclose(gx, dx(X, Y), rtol=1e-14)
    np.testing.assert_allclose(gy, dy(X, Y), rtol=1e-14)
    check_grads(op, (X, Y), order=2)


def test_pow_rule_closed_form():
    x, y = np.abs(X) + 0.1, Y
    gx, gy = jaxlite.grad(lambda a, b: _sum(lax.pow(a, b)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, y * x ** (y - 1), rtol=1e-13)
    np.testing.assert_allclose(gy, np.log(x) * x ** y, rtol=1e-13)
    # d/dy 0**y is taken as 0, not NaN.
    gy0 = jaxlite.grad(lambda b: lax.pow(0.0, b))(2.0)
    assert float(gy0) == 0.0
    # d/dx x**0 is 0 everywhere, including at x = 0 (not 0 * inf = nan).
    gx0 = jaxlite.grad(lambda a: lax.pow(a, 0.0))(0.0)
    assert float(gx0) == 0.0
    gx = jaxlite.grad(lambda a, b: _sum(lax.pow(a, b)))(0.0, np.array([0.0, 1.0, 2.0]))
    assert float(gx) == 1.0
    # ... while the mixed second derivative at y == 0, x != 0 stays exact:
    # d/dy (y x**(y-1)) = x**(y-1) (1 + y log x) = 1/x at y = 0.
    dxy = jaxlite.grad(jaxlite.grad(lambda a, b: lax.pow(a, b)), argnums=1)(1.5, 0.0)
    np.testing.assert_allclose(dxy, 1 / 1.5, rtol=1e-6)


def test_integer_pow_rule():
    g = jaxlite.grad(lambda x: x ** 3)(2.0)
    assert float(g) == 12.0
    g2 = jaxlite.grad(jaxlite.grad(lambda x: x ** 3))(2.0)
    assert float(g2) == 12.0


def test_matmul_rule():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    g = rng.standard_normal((3, 2))
    matmul = lambda p, q: lax.dot_general(p, q, (((1,), (0,)), ((), ())))
    out, vjp_fn = jaxlite.vjp(matmul, a, b)
    np.testing.assert_allclose(out, a @ b, rtol=1e-13)
    da, db = vjp_fn(g)
    np.testing.assert_allclose(da, g @ b.T, rtol=1e-13)
    np.testing.assert_allclose(db, a.T @ g, rtol=1e-13)
    check_grads(matmul, (a, b), order=2)


def test_matmul_rule_without_dot_general():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    g = rng.standard_normal((3, 2))
    _, vjp_fn = jaxlite.vjp(_matmul, a, b)
    da, db = vjp_fn(g)
    np.testing.assert_allclose(da, g @ b.T, rtol=1e-13)
    np.testing.assert_allclose(db, a.T @ g, rtol=1e-13)


# -------------------------------------------------------- training programs

def _clip_by_value(grads, lo, hi):
    return tree_util.tree_map(lambda g: lax.max(lax.min(g, hi), lo), grads)


def _clip_by_global_norm(grads, max_norm):
    leaves = tree_util.tree_leaves(grads)
    norm = lax.sqrt(sum(_sum(lax.mul(g, g)) for g in leaves))
    scale = lax.min(lax.div(max_norm, norm), 1.0)
    return tree_util.tree_map(lambda g: lax.mul(g, scale), grads)


def _loss(params, x):
    return _sum(lax.mul(lax.mul(params["w"], params["w"]), x)) + \
        lax.mul(params["b"], params["b"]) * 10.0


def test_gradient_clipping_by_value():
    params = {"w": np.array([3.0, -0.1, 0.2]), "b": np.float64(2.0)}
    x = np.array([1.0, 2.0, 3.0])
    grads = jaxlite.grad(_loss)(params, x)
    np.testing.assert_allclose(grads["w"], 2 * params["w"] * x)
    np.testing.assert_allclose(grads["b"], 40.0)
    clipped = _clip_by_value(grads, -1.0, 1.0)
    np.testing.assert_allclose(clipped["w"], np.clip(2 * params["w"] * x, -1, 1))
    assert float(clipped["b"]) == 1.0


def test_gradient_clipping_by_global_norm():
    params = {"w": np.array([3.0, -0.1, 0.2]), "b": np.float64(2.0)}
    x = np.array([1.0, 2.0, 3.0])
    grads = jaxlite.grad(_loss)(params, x)
    flat = np.concatenate([np.ravel(grads["w"]), np.ravel(grads["b"])])
    clipped = _clip_by_global_norm(grads, 5.0)
    got = np.concatenate([np.ravel(clipped["w"]), np.ravel(clipped["b"])])
    np.testing.assert_allclose(np.linalg.norm(got), 5.0, rtol=1e-12)
    np.testing.assert_allclose(got, flat * 5.0 / np.linalg.norm(flat), rtol=1e-12)
    # Under the threshold nothing changes; and the whole thing differentiates.
    same = _clip_by_global_norm(grads, 1e6)
    np.testing.assert_allclose(same["w"], grads["w"])
    check_grads(lambda w: _clip_by_global_norm({"w": w}, 1.0)["w"], (np.array([3.0, 4.0]),))


def test_linear_regression_converges_to_least_squares():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((50, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.1 * rng.standard_normal(50)

    def loss(params):
        w, b = params
        pred = lax.add(lax.reduce_sum(lax.mul(X, lax.broadcast_in_dim(w, (50, 3), (1,))), (1,)),
                       b)
        r = lax.sub(pred, y)
        return lax.div(_sum(lax.mul(r, r)), 50.0)

    params = (np.zeros(3), np.float64(0.0))
    step = jaxlite.value_and_grad(loss)
    losses = []
    for _ in range(300):
        value, grads = step(params)
        losses.append(float(value))
        params = tree_util.tree_map(lambda p, g: p - 0.1 * np.asarray(g), params, grads)
    A = np.concatenate([X, np.ones((50, 1))], axis=1)
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(params[0], sol[:3], atol=1e-6)
    np.testing.assert_allclose(params[1], sol[3], atol=1e-6)
    assert losses[-1] < losses[0]


def test_small_mlp_loss_decreases():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((32, 4)).astype(F32)
    y = np.sin(x.sum(axis=1, keepdims=True)).astype(F32)
    params = [
        {"w": (rng.standard_normal((4, 16)) * 0.5).astype(F32), "b": np.zeros(16, F32)},
        {"w": (rng.standard_normal((16, 1)) * 0.25).astype(F32), "b": np.zeros(1, F32)},
    ]

    def dense(p, h):
        out = _matmul(h, p["w"])
        return lax.add(out, lax.broadcast_in_dim(p["b"], np.shape(out), (1,)))

    def loss(params):
        h = lax.tanh(dense(params[0], x))
        r = lax.sub(dense(params[1], h), y)
        return lax.div(_sum(lax.mul(r, r)), 32.0)

    vg = jaxlite.value_and_grad(loss)
    first = None
    for _ in range(100):
        value, grads = vg(params)
        first = float(value) if first is None else first
        assert grads[0]["w"].dtype == F32
        params = tree_util.tree_map(lambda p, g: (p - 0.1 * np.asarray(g)).astype(F32),
                                    params, grads)
    assert float(loss(params)) < 0.5 * first


# ----------------------------------------------------- nesting and control flow

def test_perturbation_confusion():
    # d/dx (x * d/dy (x + y)) = d/dx (x * 1) = 1, not 2.
    f = lambda x: x * jaxlite.grad(lambda y: x + y)(1.0)
    assert float(jaxlite.grad(f)(2.0)) == 1.0
    # The same with forward mode inside reverse mode and vice versa.
    g = lambda x: x * jaxlite.jvp(lambda y: x + y, (1.0,), (1.0,))[1]
    assert float(jaxlite.grad(g)(2.0)) == 1.0
    h = lambda x: x * jaxlite.grad(lambda y: x * y)(1.0)     # = x**2
    assert float(jaxlite.jvp(h, (3.0,), (1.0,))[1]) == 6.0


def test_higher_order_derivatives():
    f = lambda x: lax.sin(x)
    d = f
    for want in (np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x), np.sin):
        d = jaxlite.grad(d)
        np.testing.assert_allclose(d(0.7), want(0.7), rtol=1e-6)


def test_python_if_works_under_grad():
    def f(x):
        if x > 0:
            return x * x
        return lax.neg(x)
    assert float(jaxlite.grad(f)(3.0)) == 6.0
    assert float(jaxlite.grad(f)(-3.0)) == -1.0


def test_python_if_under_jit_is_a_concretization_error():
    def f(x):
        if x > 0:   # the error must point here
            return x * x
        return lax.neg(x)
    with pytest.raises(jaxlite.ConcretizationTypeError) as info:
        jaxlite.jit(f)(3.0)
    msg = str(info.value)
    assert "if x > 0:   # the error must point here" in msg
    assert "test_autodiff.py" in msg
    assert "lax.cond" in msg
    assert isinstance(info.value, TypeError)


# -------------------------------------------------------------- jacobians

def _f_tree(d):
    return {"s": lax.sin(lax.mul(d["x"], d["y"])), "t": (lax.exp(d["x"]), _sum(d["x"]))}


JAC_FUNCS = [
    (lambda x: lax.sin(x), (np.array([0.1, 0.5, 2.0]),)),
    (lambda x: lax.mul(x, _sum(lax.mul(x, x))), (np.array([0.1, 0.5, 2.0]),)),
    (lambda x, y: lax.atan2(x, lax.mul(y, y)), (np.array([0.1, -0.5]), np.array([2.0, 0.3]))),
    (_f_tree, ({"x": np.array([0.3, 0.6]), "y": np.array([1.5, -0.5])},)),
    (lambda x: lax.tanh(lax.reshape(x, (6,))), (np.arange(6.0).reshape(2, 3) / 6,)),
]


@pytest.mark.parametrize("i", range(len(JAC_FUNCS)))
def test_jacfwd_equals_jacrev(i):
    f, args = JAC_FUNCS[i]
    argnums = tuple(range(len(args)))
    jf = jaxlite.jacfwd(f, argnums=argnums)(*args)
    jr = jaxlite.jacrev(f, argnums=argnums)(*args)
    assert tree_util.tree_structure(jf) == tree_util.tree_structure(jr)
    for a, b in zip(tree_util.tree_leaves(jf), tree_util.tree_leaves(jr)):
        assert np.shape(a) == np.shape(b)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_jacobian_values_and_shapes():
    x = np.array([0.1, 0.5, 2.0])
    np.testing.assert_allclose(jaxlite.jacfwd(lax.sin)(x), np.diag(np.cos(x)))
    np.testing.assert_allclose(jaxlite.jacrev(lax.sin)(x), np.diag(np.cos(x)))
    m = np.arange(6.0).reshape(2, 3)
    j = jaxlite.jacrev(lambda a: lax.mul(a, a))(m)
    assert j.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(j.reshape(6, 6), np.diag(2 * m.ravel()))
    j = jaxlite.jacfwd(_f_tree)({"x": np.array([0.3, 0.6]), "y": np.array([1.5, -0.5])})
    assert j["t"][1]["x"].shape == (2,) and j["s"]["y"].shape == (2, 2)
    np.testing.assert_allclose(j["t"][1]["x"], [1.0, 1.0])


def _mv(A, x):
    n = np.shape(A)[0]
    return lax.reshape(_matmul(A, lax.reshape(x, (np.shape(A)[1], 1))), (n,))


def test_hessian_symmetric_and_closed_form():
    # f(x) = x0^2 x1 + x1^2 x2 + sum(sin x): the x_i^2 x_{i+1} terms give
    # 2 x_{i+1} on the diagonal and 2 x_i beside it; sin adds -sin(x).
    shift = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])

    def f(x):
        return _sum(lax.mul(lax.mul(x, x), _mv(shift, x))) + _sum(lax.sin(x))
    x = np.array([0.3, -1.2, 0.8])
    h = jaxlite.hessian(f)(x)
    want = np.diag(-np.sin(x))
    for i in range(2):
        want[i, i] += 2 * x[i + 1]
        want[i, i + 1] += 2 * x[i]
        want[i + 1, i] += 2 * x[i]
    np.testing.assert_allclose(h, h.T, rtol=1e-14)
    np.testing.assert_allclose(h, want, rtol=1e-12, atol=1e-14)


def test_hessian_of_quadratic_form():
    A = np.array([[2.0, 1.0], [0.5, 3.0]])
    f = lambda x: _sum(lax.mul(x, _mv(A, x)))
    x = np.array([0.7, -0.2])
    np.testing.assert_allclose(jaxlite.hessian(f)(x), A + A.T, rtol=1e-14)


def test_linearize():
    f = lambda x: lax.mul(lax.sin(x), x)
    x = np.array([0.2, 1.0, -0.5])
    out, f_jvp = jaxlite.linearize(f, x)
    np.testing.assert_allclose(out, np.sin(x) * x)
    for t in (np.ones(3), np.array([1.0, -2.0, 0.5])):
        np.testing.assert_allclose(f_jvp(t), (np.cos(x) * x + np.sin(x)) * t, rtol=1e-14)
        np.testing.assert_allclose(f_jvp(t), jaxlite.jvp(f, (x,), (t,))[1], rtol=1e-14)


def test_vjp_is_reusable():
    f = lambda x, y: (lax.mul(x, y), lax.sin(x))
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    out, vjp_fn = jaxlite.vjp(f, x, y)
    for u in (np.ones(2), np.array([2.0, -1.0])):
        gx, gy = vjp_fn((u, u))
        np.testing.assert_allclose(gx, u * y + u * np.cos(x))
        np.testing.assert_allclose(gy, u * x)
    # A cotangent for only one output (the other zero).
    gx, gy = vjp_fn((np.zeros(2), np.ones(2)))
    np.testing.assert_allclose(gx, np.cos(x))
    np.testing.assert_array_equal(gy, np.zeros(2))


def test_has_aux():
    def f(x):
        y = lax.mul(x, x)
        return _sum(y), {"y": y, "n": 3}
    x = np.array([1.0, 2.0])
    g, aux = jaxlite.grad(f, has_aux=True)(x)
    np.testing.assert_allclose(g, 2 * x)
    np.testing.assert_allclose(aux["y"], x * x)
    assert aux["n"] == 3 and not isinstance(aux["y"], jaxlite.core.Tracer)
    (v, aux2), g2 = jaxlite.value_and_grad(f, has_aux=True)(x)
    assert float(v) == 5.0 and np.allclose(g2, g)
    out, vjp_fn, aux3 = jaxlite.vjp(f, x, has_aux=True)
    np.testing.assert_allclose(vjp_fn(np.float64(1.0))[0], 2 * x)
    out, t, aux4 = jaxlite.jvp(f, (x,), (np.ones(2),), has_aux=True)
    assert float(t) == 6.0
    np.testing.assert_allclose(aux4["y"], x * x)
    j, aux5 = jaxlite.jacrev(lambda v: (lax.sin(v), v), has_aux=True)(x)
    np.testing.assert_allclose(j, np.diag(np.cos(x)))
    np.testing.assert_allclose(aux5, x)
    j, aux6 = jaxlite.jacfwd(lambda v: (lax.sin(v), v), has_aux=True)(x)
    np.testing.assert_allclose(j, np.diag(np.cos(x)))


def test_argnums_tuple_and_negative():
    f = lambda a, b, c: _sum(lax.mul(lax.mul(a, b), c))
    a, b, c = np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0, 6.0])
    ga, gc = jaxlite.grad(f, argnums=(0, 2))(a, b, c)
    np.testing.assert_allclose(ga, b * c)
    np.testing.assert_allclose(gc, a * b)
    np.testing.assert_allclose(jaxlite.grad(f, argnums=-1)(a, b, c), a * b)
    (gb,) = jaxlite.grad(f, argnums=(1,))(a, b, c)
    np.testing.assert_allclose(gb, a * c)


def test_grad_over_pytrees():
    params = {"w": np.array([1.0, 2.0]), "layers": [np.float64(3.0), (np.array([4.0]),)]}

    def f(p):
        return _sum(lax.mul(p["w"], p["w"])) + lax.mul(p["layers"][0], _sum(p["layers"][1][0]))
    g = jaxlite.grad(f)(params)
    assert tree_util.tree_structure(g) == tree_util.tree_structure(params)
    np.testing.assert_allclose(g["w"], [2.0, 4.0])
    assert float(g["layers"][0]) == 4.0
    np.testing.assert_allclose(g["layers"][1][0], [3.0])


def test_unused_input_has_zero_gradient():
    g = jaxlite.grad(lambda x, y: _sum(lax.sin(x)), argnums=(0, 1))(np.ones(2), np.ones(3))
    np.testing.assert_array_equal(g[1], np.zeros(3))
    g = jaxlite.grad(lambda x: 2.0)(1.0)
    assert float(g) == 0.0


def test_jvp_and_vjp_on_float32_keep_dtype():
    x = np.array([0.5, 1.0], F32)
    out, t = jaxlite.jvp(lax.exp, (x,), (np.ones(2, F32),))
    assert out.dtype == F32 and t.dtype == F32
    (ct,) = jaxlite.vjp(lax.exp, x)[1](np.ones(2, F32))
    assert ct.dtype == F32


# -------------------------------------------------------------- bad input

def test_grad_of_non_scalar_output():
    with pytest.raises(TypeError, match=r"scalar.*\(3,\)"):
        jaxlite.grad(lax.sin)(np.ones(3))


def test_grad_wrt_int_input():
    with pytest.raises(TypeError, match="int.*argument 1"):
        jaxlite.grad(lambda x, n: lax.mul(x, 2.0), argnums=1)(1.0, 3)
    with pytest.raises(TypeError, match="int32.*argument 0"):
        jaxlite.grad(lambda n: 1.0)(np.int32(3))


def test_argnums_out_of_range():
    with pytest.raises(ValueError, match="argnums 2.*2 positional"):
        jaxlite.grad(lambda x, y: x, argnums=2)(1.0, 2.0)
    with pytest.raises(ValueError, match="argnums"):
        jaxlite.jacrev(lambda x: x, argnums=(0, 1))(np.ones(2))


def test_has_aux_requires_pair():
    with pytest.raises(TypeError, match="pair"):
        jaxlite.grad(lambda x: lax.mul(x, x), has_aux=True)(1.0)
    with pytest.raises(TypeError, match="pair"):
        jaxlite.grad(lambda x: (x, x, x), has_aux=True)(1.0)


def test_jvp_argument_errors():
    with pytest.raises(TypeError, match="tuples or lists"):
        jaxlite.jvp(lax.sin, np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match=r"\(2,\).*\(3,\)"):
        jaxlite.jvp(lax.sin, (np.ones(2),), (np.ones(3),))


def test_grad_allow_int_gives_float0_zeros_for_integer_inputs():
    def f(x, n):     # sum(x * n) for an int vector n: d/dx = sum(n)
        return lax.reduce_sum(lax.mul(x, lax.convert_element_type(n, np.float64)), (0,))
    gx, gn = jaxlite.grad(f, argnums=(0, 1), allow_int=True)(2.0, np.arange(4))
    np.testing.assert_allclose(gx, 6.0)
    assert gn.dtype == jaxlite.float0 and jaxlite.dtypes.float0 == jaxlite.float0
    assert gn.shape == (4,)
    val, grads = jaxlite.value_and_grad(
        lambda p: lax.mul(p["w"], lax.convert_element_type(p["k"], np.float64)),
        allow_int=True)({"w": np.float64(1.5), "k": np.int32(4)})
    assert val == 6.0 and grads["w"] == 4.0
    assert grads["k"].dtype == jaxlite.float0 and grads["k"].shape == ()
    with pytest.raises(TypeError, match="set allow_int to True"):
        jaxlite.grad(f, argnums=1)(2.0, np.arange(4))


def test_jvp_int_or_bool_tangent_for_a_float_primal_is_an_error():
    # JAX raises; a weak int tangent used to pass and come back as an int tangent.
    for t in (1, True, np.ones(2, np.int32)):
        with pytest.raises(TypeError, match="expected tangent dtype float32, but got "
                                            "tangent dtype (int32|bool) instead"):
            jaxlite.jvp(lambda x: x, (np.ones(np.shape(t), np.float32),), (t,))
    # float32 primal, numpy float64 tangent: one dtype to JAX with x64 off
    out, tan = jaxlite.jvp(lambda x: lax.mul(x, x), (np.float32(3.0),), (np.float64(0.5),))
    assert tan.dtype == np.float32 and float(tan) == 3.0
    # a Python float tangent (weak) still works for a float32 primal: d(x * x) = 2 x t
    out, tan = jaxlite.jvp(lambda x: lax.mul(x, x), (np.float32(3.0),), (0.5,))
    assert tan.dtype == np.float32
    np.testing.assert_allclose(tan, 3.0, rtol=1e-7)


def test_vjp_cotangent_errors():
    _, vjp_fn = jaxlite.vjp(lax.sin, np.ones(2))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):     # JAX's class
        vjp_fn(np.ones(3))
    with pytest.raises(TypeError, match="structure"):
        vjp_fn((np.ones(2), np.ones(2)))


def test_non_array_output_is_type_error():
    with pytest.raises(TypeError, match="output"):
        jaxlite.grad(lambda x: "hello")(1.0)


def test_leaked_tracer_is_an_unexpected_tracer_error():
    leak = []

    def f(x):
        leak.append(x)
        return lax.sin(x)
    jaxlite.jit(f)(1.0)
    with pytest.raises(jaxlite.core.UnexpectedTracerError, match="already finished"):
        lax.cos(leak[0])
    with pytest.raises(jaxlite.core.UnexpectedTracerError, match="test_autodiff.py"):
        jaxlite.make_jaxpr(lambda y: lax.add(y, leak[0]))(2.0)
    # Closing over a live outer tracer is fine.
    g = jaxlite.jit(lambda x: jaxlite.jit(lambda y: lax.mul(x, y))(3.0))
    assert float(g(2.0)) == 6.0


# ------------------------------------------------------------ composition

def _f_comp(x):
    return _sum(lax.mul(lax.sin(x), x))


def _g_comp(x):      # the gradient of _f_comp, in closed form
    return np.cos(x) * x + np.sin(x)


def _h_comp(x):      # the Hessian of _f_comp (diagonal), in closed form
    return np.diag(2 * np.cos(x) - np.sin(x) * x)


_COMPOSITIONS = {
    "grad": (lambda: jaxlite.grad(_f_comp), _g_comp),
    "jit(grad)": (lambda: jaxlite.jit(jaxlite.grad(_f_comp)), _g_comp),
    "grad(jit)": (lambda: jaxlite.grad(jaxlite.jit(_f_comp)), _g_comp),
    "jit(grad(jit))": (lambda: jaxlite.jit(jaxlite.grad(jaxlite.jit(_f_comp))), _g_comp),
    "jacfwd(grad)": (lambda: jaxlite.jacfwd(jaxlite.grad(_f_comp)), _h_comp),
    "jacrev(grad)": (lambda: jaxlite.jacrev(jaxlite.grad(_f_comp)), _h_comp),
    "jacrev(jit(grad))": (lambda: jaxlite.jacrev(jaxlite.jit(jaxlite.grad(_f_comp))), _h_comp),
    "jit(hessian)": (lambda: jaxlite.jit(jaxlite.hessian(_f_comp)), _h_comp),
    "hessian(jit)": (lambda: jaxlite.hessian(jaxlite.jit(_f_comp)), _h_comp),
}


@pytest.mark.parametrize("name", list(_COMPOSITIONS))
def test_transform_compositions(name):
    make, want = _COMPOSITIONS[name]
    x = np.array([0.3, -1.1, 2.0])
    np.testing.assert_allclose(make()(x), want(x), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("outer", ["vmap", "jit(vmap)", "vmap(jit)"])
@pytest.mark.parametrize("inner", ["grad", "hessian", "jit(grad)"])
def test_batched_compositions(outer, inner):
    make, want = _COMPOSITIONS[inner] if inner != "hessian" else (
        lambda: jaxlite.hessian(_f_comp), _h_comp)
    xs = np.array([[0.3, -1.1, 2.0], [1.0, 0.5, -0.2]])
    f = make()
    batched = {"vmap": lambda: jaxlite.vmap(f), "jit(vmap)": lambda: jaxlite.jit(jaxlite.vmap(f)),
               "vmap(jit)": lambda: jaxlite.vmap(jaxlite.jit(f))}[outer]()
    got = batched(xs)
    for row, g in zip(xs, got):
        np.testing.assert_allclose(g, want(row), rtol=1e-12, atol=1e-14)


def test_grad_of_vmap_and_vmap_of_jvp():
    xs = np.array([[0.3, -1.1, 2.0], [1.0, 0.5, -0.2]])
    total = lambda m: _sum(jaxlite.vmap(_f_comp)(m))
    np.testing.assert_allclose(jaxlite.grad(total)(xs), _g_comp(xs), rtol=1e-12)
    np.testing.assert_allclose(jaxlite.jit(jaxlite.grad(total))(xs), _g_comp(xs), rtol=1e-12)
    t = np.ones(3)
    tangents = jaxlite.vmap(lambda x: jaxlite.jvp(_f_comp, (x,), (t,))[1])(xs)
    np.testing.assert_allclose(tangents, _g_comp(xs).sum(axis=1), rtol=1e-12)


# ------------------------------------------------ more bad input, exact messages

def test_grad_of_non_scalar_names_the_shape():
    with pytest.raises(TypeError, match=r"scalar-output.*\(2, 3\)"):
        jaxlite.grad(lambda x: lax.mul(x, x))(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"scalar-output.*\(2,\)"):
        jaxlite.grad(lambda x: {"a": lax.mul(x, np.ones(2))})(1.0)
    with pytest.raises(TypeError, match="scalar-output.*pytree"):
        jaxlite.value_and_grad(lambda x: (x, x))(1.0)


def test_grad_wrt_int_leaf_inside_a_pytree_names_the_argument():
    with pytest.raises(TypeError, match="int32 for argument 1"):
        jaxlite.grad(lambda x, d: lax.mul(x, 2.0), argnums=(0, 1))(1.0, {"n": np.int32(3)})
    with pytest.raises(TypeError, match="bool"):
        jaxlite.grad(lambda x: lax.gt(x, 0.0))(1.0)


@pytest.mark.parametrize("transform", [jaxlite.grad, jaxlite.value_and_grad, jaxlite.jacfwd,
                                       jaxlite.jacrev, jaxlite.hessian],
                         ids=["grad", "value_and_grad", "jacfwd", "jacrev", "hessian"])
def test_argnums_errors_for_every_transform(transform):
    f = lambda x, y: lax.mul(x, y)
    with pytest.raises(ValueError, match="argnums 2 is out of range.*2 positional"):
        transform(f, argnums=2)(1.0, 2.0)
    with pytest.raises(ValueError, match="argnums -3 is out of range"):
        transform(f, argnums=(0, -3))(1.0, 2.0)
    # Naming one argument twice would silently give it a zero derivative in one slot.
    with pytest.raises(ValueError, match="same argument more than once"):
        transform(f, argnums=(1, -1))(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums must be an int or a tuple"):
        transform(f, argnums=1.0)(1.0, 2.0)


def test_numpy_integer_argnums_give_a_single_gradient():
    f = lambda x, y: lax.mul(x, lax.mul(y, y))
    g = jaxlite.grad(f, argnums=np.int64(1))(2.0, 3.0)
    assert not isinstance(g, tuple) and float(g) == 12.0
    j = jaxlite.jacrev(f, argnums=np.int32(0))(2.0, 3.0)
    assert not isinstance(j, tuple) and float(j) == 9.0


@pytest.mark.parametrize("out,got", [([1.0], "list of length 1"), ((1.0, 2.0, 3.0), "length 3"),
                                     (None, "array of shape")], ids=["list1", "triple", "array"])
def test_has_aux_non_pair_says_what_it_got(out, got):
    f = (lambda x: lax.mul(x, x)) if out is None else (lambda x: out)
    for name in ("grad", "value_and_grad", "jacrev", "jacfwd"):
        # The message names the transform the user called.
        with pytest.raises(TypeError, match=f"^{name} function with has_aux=True.*pair.*{got}"):
            getattr(jaxlite, name)(f, has_aux=True)(np.float64(1.0))
    with pytest.raises(TypeError, match=f"^vjp function.*{got}"):
        jaxlite.vjp(f, np.float64(1.0), has_aux=True)


def test_custom_vjp_bwd_wrong_structure_names_both():
    @jaxlite.custom_vjp
    def f(p, y):
        return lax.mul(p["a"], y)

    f.defvjp(lambda p, y: (f(p, y), (p, y)), lambda r, g: ({"a": g, "extra": g}, g))
    with pytest.raises(TypeError, match=r"expected PyTreeDef\(\(\{'a': \*\}, \*\)\), "
                                        r"got PyTreeDef\(\(\{'a': \*, 'extra': \*\}, \*\)\)"):
        jaxlite.grad(f)({"a": 1.0}, 2.0)


def test_custom_vjp_bwd_wrong_shape_is_a_value_error_wrong_dtype_a_type_error():
    @jaxlite.custom_vjp
    def f(x, y):
        return lax.mul(x, y)

    f.defvjp(lambda x, y: (f(x, y), (x, y)), lambda r, g: (lax.mul(g, r[1]), np.ones(3)))
    with pytest.raises(ValueError, match=r"at output\[1\] the bwd rule produced an output "
                                         r"of type float64\[3\] corresponding to an input of "
                                         r"type float32\[\]"):      # JAX's class and text
        jaxlite.grad(f, argnums=(0, 1))(1.0, 2.0)
    f.defvjp(lambda x, y: (f(x, y), (x, y)), lambda r, g: (lax.mul(g, r[1]), np.int32(1)))
    with pytest.raises(TypeError, match="dtype int32 for primal input leaf 1 of dtype float32"):
        jaxlite.grad(f, argnums=(0, 1))(1.0, 2.0)
    # Under vmap the check is per example: a correct rule passes.
    f.defvjp(lambda x, y: (f(x, y), (x, y)), lambda r, g: (lax.mul(g, r[1]), lax.mul(g, r[0])))
    gx, gy = jaxlite.vmap(jaxlite.grad(f, argnums=(0, 1)))(np.array([1.0, 2.0]),
                                                          np.array([3.0, 4.0]))
    np.testing.assert_array_equal(gx, [3.0, 4.0])
    np.testing.assert_array_equal(gy, [1.0, 2.0])


# -------------------------------------------------- numerically careful rules

from jaxlite import nn  # noqa: E402


@pytest.mark.parametrize("dtype", [F32, F64])
def test_softmax_and_log_softmax_gradients_at_large_inputs(dtype):
    x = np.array([1e4, 0.0, -1e4, 1e4 - 1.0], dtype)
    w = np.array([1.0, 2.0, 3.0, 4.0], dtype)
    s = 1 / (1 + np.exp(-1.0))
    p = np.array([s, 0.0, 0.0, 1 - s])          # softmax(x), computed by hand
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == F32 else dict(rtol=1e-12, atol=1e-14)
    g = jaxlite.grad(lambda v: _sum(lax.mul(nn.softmax(v), w)))(x)
    assert g.dtype == dtype and np.all(np.isfinite(g))
    np.testing.assert_allclose(g, p * (w - np.dot(p, w)), **tol)
    g = jaxlite.grad(lambda v: _sum(lax.mul(nn.log_softmax(v), w)))(x)
    np.testing.assert_allclose(g, w - p * w.sum(), **tol)
    np.testing.assert_allclose(jaxlite.grad(nn.logsumexp)(x), p, **tol)
    np.testing.assert_allclose(jaxlite.hessian(nn.logsumexp)(x), np.diag(p) - np.outer(p, p),
                               **tol)


def test_masked_softmax_with_minus_inf_has_finite_gradients():
    x = np.array([-np.inf, 0.0, 1.0])
    w = np.array([1.0, 2.0, 3.0])
    p = np.array([0.0, 1.0, np.e]) / (1.0 + np.e)
    for f in (nn.softmax, nn.log_softmax):
        g = jaxlite.grad(lambda v: _sum(lax.mul(f(v), w)))(x)
        assert np.all(np.isfinite(g)), (f.__name__, g)
    np.testing.assert_allclose(jaxlite.grad(nn.logsumexp)(x), p, rtol=1e-12)
    g = jaxlite.grad(lambda v: _sum(lax.mul(nn.softmax(v), w)))(x)
    np.testing.assert_allclose(g, p * (w - np.dot(p, w)), rtol=1e-12, atol=1e-15)


def test_ties_follow_jax_conventions():
    # lax.max / min split the tangent evenly; relu'(0) = 0; argmax has none.
    g = jaxlite.grad(lambda v: _sum(nn.relu(v)))(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])
    gx, gy = jaxlite.grad(lambda a, b: lax.min(a, b), argnums=(0, 1))(1.5, 1.5)
    assert (float(gx), float(gy)) == (0.5, 0.5)
    _, t = jaxlite.jvp(lambda a: lax.max(a, 2.0), (2.0,), (1.0,))
    assert float(t) == 0.5
    x = np.array([3.0, 1.0, 3.0])
    g = jaxlite.grad(lambda v: lax.mul(_sum(v), lax.convert_element_type(
        lax.argmax(v, 0, np.int32), F64)))(x)
    np.testing.assert_array_equal(g, np.zeros(3))   # argmax(x) = 0 multiplies everything
    np.testing.assert_array_equal(
        jaxlite.grad(lambda v: lax.reduce_max(v, (0,)))(x), [0.5, 0.0, 0.5])


def test_abs_and_logaddexp_at_their_kinks_follow_jax():
    # abs'(0) = 1 (JAX selects g where x >= 0); logaddexp has its own rule, so
    # softplus = logaddexp(x, 0) is smooth at 0 to every order.
    assert float(jaxlite.grad(lax.abs)(0.0)) == 1.0
    assert float(jaxlite.grad(lax.abs)(-0.5)) == -1.0
    d1 = jaxlite.grad(nn.softplus)
    d2 = jaxlite.grad(d1)
    d3 = jaxlite.grad(d2)
    assert (float(d1(0.0)), float(d2(0.0)), float(d3(0.0))) == (0.5, 0.25, 0.0)
    x, h = 0.3, 1e-4
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(jaxlite.grad(jaxlite.grad(nn.softplus))(np.float64(x)),
                               sig * (1 - sig), rtol=1e-12)
    np.testing.assert_allclose(d3(np.float64(x)),
                               (d2(np.float64(x + h)) - d2(np.float64(x - h))) / (2 * h),
                               rtol=1e-6)
    # Both -inf: the tangents pass through with weight 1 each (no NaN).
    assert float(jaxlite.grad(lambda a: jaxlite.numpy.logaddexp(a, -np.inf))(-np.inf)) == 1.0


def test_grad_jaxpr_of_the_reference_example_is_clean():
    # f(x, y) = x**2 y + y + 2: d/dy is x**2 + 1, no tangent work for x.
    from jaxlite import ir
    f = lambda x, y: x ** 2 * y + y + 2
    text = str(jaxlite.make_jaxpr(jaxlite.grad(f, argnums=1))(3.0, 4.0))
    assert text == ("{ lambda ; a:f32[] b:f32[]. let\n"
                    "    c:f32[] = integer_pow[y=2] a\n"
                    "    d:f32[] = mul c 1.0:f32[]\n"
                    "    e:f32[] = add 1.0:f32[] d\n"
                    "  in (e,) }")
    closed = jaxlite.make_jaxpr(jaxlite.grad(f, argnums=(0, 1)))(3.0, 4.0)
    ir.typecheck(closed.jaxpr)
    assert [float(v) for v in closed(3.0, 4.0)] == [24.0, 10.0]
    assert "0.0" not in str(closed)


def test_jacobian_wrt_int_input_names_the_argument():
    for jac in (jaxlite.jacfwd, jaxlite.jacrev, jaxlite.hessian):
        with pytest.raises(TypeError, match="int32 for argument 1"):
            jac(lambda x, d: lax.mul(x, 2.0), argnums=(0, 1))(np.ones(2), {"n": np.int32(3)})


def test_integer_inputs_get_zero_tangents_and_cotangents():
    # Forward and reverse mode over a mixed float/int pytree: the int leaves
    # carry a zero of their own dtype (JAX's float0), the float ones the derivative.
    def f(p):
        return lax.mul(p["x"], lax.convert_element_type(p["n"], F64))
    p = {"x": np.array([1.0, 2.0]), "n": np.array([3, 4], np.int32)}
    out, t = jaxlite.jvp(f, (p,), ({"x": np.ones(2), "n": np.ones(2, np.int32)},))
    np.testing.assert_array_equal(t, [3.0, 4.0])
    _, vjp_fn = jaxlite.vjp(f, p)
    (ct,) = vjp_fn(np.ones(2))
    np.testing.assert_array_equal(ct["x"], [3.0, 4.0])
    assert ct["n"].dtype == np.int32
    np.testing.assert_array_equal(ct["n"], [0, 0])
    # A function of integers only: its tangent is zero.
    _, t = jaxlite.jvp(lambda n: lax.mul(n, n), (np.int32(3),), (np.int32(1),))
    assert int(t) == 0


def _branchy(x):
    if x > 0:          # concrete under every eager transform
        return x ** 3
    return lax.neg(x)


@pytest.mark.parametrize("x,d1,d2", [(2.0, 12.0, 12.0), (-2.0, -1.0, 0.0)])
def test_python_if_under_nested_and_forward_transforms(x, d1, d2):
    assert float(jaxlite.jvp(_branchy, (x,), (1.0,))[1]) == d1
    assert float(jaxlite.linearize(_branchy, x)[1](1.0)) == d1
    assert float(jaxlite.jacrev(_branchy)(x)) == d1
    assert float(jaxlite.grad(jaxlite.grad(_branchy))(x)) == d2
    assert float(jaxlite.jvp(jaxlite.grad(_branchy), (x,), (1.0,))[1]) == d2


def test_perturbation_confusion_in_more_nestings():
    D = jaxlite.grad
    # Siskind & Pearlmutter: D(x -> x * D(y -> x + y)(1))(1) = 1 (not 2).
    assert float(D(lambda x: x * D(lambda y: x + y)(1.0))(1.0)) == 1.0
    # The inner derivative under jit, closing over the outer variable:
    # d/dx (x * d/dy (x y)) = d/dx x**2 = 2x.
    f = lambda x: x * jaxlite.jit(D(lambda y: lax.mul(x, y)))(1.0)
    assert float(D(f)(3.0)) == 6.0
    # Inside vmap: d/dx sum_k d/dz (x z y_k) = sum_k y_k.
    ys = np.array([0.5, -1.0, 2.0])
    g = lambda x: _sum(jaxlite.vmap(lambda y: D(lambda z: lax.mul(lax.mul(x, z), y))(1.0))(ys))
    np.testing.assert_allclose(D(g)(np.float64(2.0)), ys.sum(), rtol=1e-14)
    # Forward inside forward: d/dx (x * d/dy (x y)) = 2x.
    h = lambda x: lax.mul(x, jaxlite.jvp(lambda y: lax.mul(x, y), (1.0,), (1.0,))[1])
    assert float(jaxlite.jvp(h, (3.0,), (1.0,))[1]) == 6.0


def test_keyword_arguments_pass_through_undifferentiated():
    f = lambda x, scale=1.0: lax.mul(lax.sin(x), scale)
    x = np.array([0.1, 0.2, -0.4])
    np.testing.assert_allclose(jaxlite.jacfwd(f)(x, scale=2.0), np.diag(2 * np.cos(x)))
    np.testing.assert_allclose(jaxlite.jacrev(f)(x, scale=2.0), np.diag(2 * np.cos(x)))
    s = lambda x, k=1.0: lax.mul(_sum(lax.integer_pow(x, 3)), k)
    np.testing.assert_allclose(jaxlite.hessian(s)(x, k=2.0), np.diag(12 * x))
    np.testing.assert_allclose(jaxlite.grad(s)(x, k=2.0), 6 * x ** 2)
    j, aux = jaxlite.jacfwd(lambda x, k: (f(x, k), k), has_aux=True)(x, k=3.0)
    np.testing.assert_allclose(j, np.diag(3 * np.cos(x)))
    assert float(aux) == 3.0


@pytest.mark.parametrize("jac", [jaxlite.jacfwd, jaxlite.jacrev], ids=["jacfwd", "jacrev"])
def test_jacobian_of_integer_or_bool_output_is_a_type_error(jac):
    with pytest.raises(TypeError, match="real-valued outputs.*int32"):
        jac(lambda x: lax.convert_element_type(x, np.int32))(np.ones(2))
    with pytest.raises(TypeError, match="real-valued outputs.*bool"):
        jac(lambda x: (x, lax.gt(x, 0.0)))(np.ones(2))


def test_linear_transpose_matches_the_matrix_transpose():
    import jaxlite.numpy as jnp
    a = RNG_LT.normal(size=(2, 3))
    f_t = jaxlite.linear_transpose(lambda x: jnp.matmul(a, x), np.zeros(3))
    ct = np.array([1.0, -2.0])
    (got,) = f_t(ct)
    np.testing.assert_allclose(got, a.T @ ct, rtol=1e-12)
    np.testing.assert_allclose(jaxlite.jit(f_t)(ct)[0], a.T @ ct, rtol=1e-12)
    # pytrees in and out, a ShapeDtypeStruct argument, constants inside fun:
    # <ct, f(x, y)> = <f_t(ct), (x, y)> for all x, y
    def f(x, y):
        return {"s": x * 2.0 + jnp.sum(y), "c": jnp.cumsum(x * jnp.arange(3.0))}
    f_t = jaxlite.linear_transpose(f, jaxlite.ShapeDtypeStruct((3,), np.float64), np.zeros(2))
    x, y = RNG_LT.normal(size=3), RNG_LT.normal(size=2)
    ct = {"s": RNG_LT.normal(size=3), "c": RNG_LT.normal(size=3)}
    out = f(x, y)
    tx, ty = f_t(ct)
    lhs = np.dot(ct["s"], out["s"]) + np.dot(ct["c"], out["c"])
    np.testing.assert_allclose(lhs, np.dot(tx, x) + np.dot(ty, y), rtol=1e-12)
    with pytest.raises(TypeError, match="cotangent tree does not match"):
        f_t(ct["s"])
    with pytest.raises(TypeError, match="cotangent type does not match"):
        f_t({"s": np.ones(2), "c": np.ones(3)})


RNG_LT = np.random.default_rng(7)


def test_closure_convert_hoists_perturbed_closed_over_values():
    import jaxlite.numpy as jnp

    def outer(b):
        conv, consts = jaxlite.closure_convert(lambda x: jnp.sin(b * x), 1.0)
        return conv(2.0, *consts), len(consts)
    val, n = outer(0.5)                       # b concrete: nothing to hoist
    assert n == 0 and np.isclose(val, np.sin(1.0))
    g, n = jaxlite.grad(outer, has_aux=True)(0.5)
    assert n == 1                             # b is a tracer under grad: hoisted
    np.testing.assert_allclose(g, 2.0 * np.cos(1.0), rtol=1e-6)     # float32: a Python 0.5
    np.testing.assert_allclose(jaxlite.jit(lambda b: outer(b)[0])(0.5), np.sin(1.0), rtol=1e-6)
    conv, consts = jaxlite.closure_convert(lambda x, y: {"s": x * y}, 1.0, 2.0)
    assert consts == [] and float(conv(3.0, 4.0)["s"]) == 12.0
    with pytest.raises(TypeError, match="structure"):
        conv((3.0, 4.0))
