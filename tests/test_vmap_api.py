"""vmap's API: in_axes / out_axes forms, nesting, composition with grad, and
its error messages."""
import numpy as np
import pytest

import jaxlite
from jaxlite import lax, tree_util
from helpers import check_vmap

RNG = np.random.default_rng(0)


def _sum(x):
    return lax.reduce_sum(x, tuple(range(np.ndim(x))))


def f2(x, y):
    return lax.add(lax.mul(lax.sin(x), y), 1.0)


@pytest.mark.parametrize("in_axes", [0, 1, -1, -2, (0, 1), (1, 0), (None, 0), (0, None),
                                     (-1, None), [0, 1]], ids=str)
def test_in_axes_forms(in_axes):
    axes = (in_axes,) * 2 if isinstance(in_axes, int) else tuple(in_axes)
    shapes = {None: (3,), 0: (4, 3), 1: (3, 4), -1: (3, 4), -2: (4, 3)}
    x = RNG.standard_normal(shapes[axes[0]])
    y = RNG.standard_normal(shapes[axes[1]])
    check_vmap(f2, (x, y), in_axes=axes)
    got = jaxlite.vmap(f2, in_axes=in_axes)(x, y)
    assert got.shape == (4, 3)


@pytest.mark.parametrize("out_axes", [0, 1, -1, 2])
def test_out_axes(out_axes):
    x = RNG.standard_normal((4, 2, 3))
    got = jaxlite.vmap(lax.sin, out_axes=out_axes)(x)
    np.testing.assert_allclose(got, np.moveaxis(np.sin(x), 0, out_axes))


def test_out_axes_pytree_and_none():
    x = RNG.standard_normal((4, 3))

    def f(v):
        return {"a": v, "b": lax.sin(v), "c": 2.0}
    out = jaxlite.vmap(f, out_axes={"a": 1, "b": 0, "c": None})(x)
    np.testing.assert_allclose(out["a"], x.T)
    np.testing.assert_allclose(out["b"], np.sin(x))
    assert float(out["c"]) == 2.0
    # An unmapped output with out_axes 0 is broadcast along the batch.
    out = jaxlite.vmap(lambda v: (v, 5.0))(x)
    np.testing.assert_array_equal(out[1], np.full(4, 5.0))


def test_in_axes_pytree_prefix():
    params = {"w": RNG.standard_normal(3), "b": RNG.standard_normal(())}
    xs = RNG.standard_normal((5, 3))

    def f(p, x):
        return lax.add(_sum(lax.mul(p["w"], x)), p["b"])
    got = jaxlite.vmap(f, in_axes=(None, 0))(params, xs)
    np.testing.assert_allclose(got, xs @ params["w"] + params["b"])
    # A dict prefix mapping only one leaf.
    ws = RNG.standard_normal((5, 3))
    got = jaxlite.vmap(f, in_axes=({"w": 0, "b": None}, None))({"w": ws, "b": params["b"]},
                                                               xs[0])
    np.testing.assert_allclose(got, ws @ xs[0] + params["b"])
    # Tuples/lists of arrays with one axis for all their leaves.
    pair = (RNG.standard_normal((3, 5)), RNG.standard_normal((3, 5)))
    got = jaxlite.vmap(lambda p: lax.mul(p[0], p[1]), in_axes=(1,))(pair)
    np.testing.assert_allclose(got, (pair[0] * pair[1]).T)


def test_nested_vmap():
    x = RNG.standard_normal((4, 5))
    y = RNG.standard_normal((4, 5))
    got = jaxlite.vmap(jaxlite.vmap(f2))(x, y)
    np.testing.assert_allclose(got, np.sin(x) * y + 1.0)
    # Outer product-like: map x over rows, y over columns.
    a, b = RNG.standard_normal(4), RNG.standard_normal(6)
    got = jaxlite.vmap(jaxlite.vmap(lax.mul, in_axes=(None, 0)), in_axes=(0, None))(a, b)
    np.testing.assert_allclose(got, np.outer(a, b))
    # The inner vmap over axis 1 of a (5, 4, 3) array inside an outer one over axis 2.
    z = RNG.standard_normal((5, 4, 3))
    got = jaxlite.vmap(jaxlite.vmap(lax.sin, in_axes=1), in_axes=2)(z)
    np.testing.assert_allclose(got, np.sin(np.transpose(z, (2, 1, 0))))


def test_vmap_of_grad_is_per_example_gradient():
    w = RNG.standard_normal(3)
    xs = RNG.standard_normal((6, 3))
    ys = RNG.standard_normal(6)

    def loss(w, x, y):
        r = lax.sub(_sum(lax.mul(w, x)), y)
        return lax.mul(r, r)
    per_ex = jaxlite.vmap(jaxlite.grad(loss), in_axes=(None, 0, 0))(w, xs, ys)
    want = 2 * (xs @ w - ys)[:, None] * xs
    np.testing.assert_allclose(per_ex, want, rtol=1e-12)
    # grad of the summed vmap is the sum of the per-example gradients.
    total = jaxlite.grad(lambda w: _sum(jaxlite.vmap(loss, in_axes=(None, 0, 0))(w, xs, ys)))(w)
    np.testing.assert_allclose(total, want.sum(0), rtol=1e-12)


def test_vmap_of_jvp_and_hessian_rows():
    x = RNG.standard_normal(3)
    tangents = np.eye(3)
    cols = jaxlite.vmap(lambda t: jaxlite.jvp(lax.sin, (x,), (t,))[1])(tangents)
    np.testing.assert_allclose(cols, np.diag(np.cos(x)))


def test_vmap_with_axis_size_and_no_mapped_input():
    out = jaxlite.vmap(lambda v: lax.mul(v, 2.0), in_axes=None, axis_size=3)(np.ones(2))
    np.testing.assert_array_equal(out, np.full((3, 2), 2.0))


def test_vmap_in_staged_jaxpr_shows_batched_shapes():
    x = np.ones((7, 3), np.float32)
    text = str(jaxlite.make_jaxpr(jaxlite.vmap(lambda v: lax.sin(v)))(x))
    assert text == "{ lambda ; a:f32[7,3]. let b:f32[7,3] = sin a in (b,) }"
    text = str(jaxlite.make_jaxpr(jaxlite.vmap(lambda v: lax.reduce_sum(v, (0,)), in_axes=1))(x))
    assert "f32[7,3]" in text and "reduce_sum[axes=(0,)]" in text and "f32[3]" in text


def test_vmap_output_pytree_structure():
    x = RNG.standard_normal((4, 2))
    out = jaxlite.vmap(lambda v: {"s": lax.sin(v), "l": [v, (lax.cos(v),)]})(x)
    assert tree_util.tree_structure(out) == tree_util.tree_structure(
        {"s": 0, "l": [0, (0,)]})
    np.testing.assert_allclose(out["l"][1][0], np.cos(x))


# ---------------------------------------------------------------- errors

def test_mismatched_sizes():
    with pytest.raises(ValueError, match=r"size 3.*size 4|size 4.*size 3"):
        jaxlite.vmap(lax.add)(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="size 2 along axis 1"):
        jaxlite.vmap(lax.add, in_axes=(0, 1))(np.ones((3, 2)), np.ones((3, 2)))


def test_in_axes_structure_mismatch():
    with pytest.raises(ValueError, match="in_axes"):
        jaxlite.vmap(lax.add, in_axes=(0, 0, 0))(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="in_axes"):
        jaxlite.vmap(lambda d: d["a"], in_axes=({"b": 0},))({"a": np.ones(3)})
    with pytest.raises(ValueError, match="in_axes"):
        jaxlite.vmap(lambda p: p[0], in_axes=((0, 0),))((np.ones(3),))


def test_axis_out_of_range():
    with pytest.raises(ValueError, match=r"axis 2.*only 2"):
        jaxlite.vmap(lax.sin, in_axes=2)(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"axis -3.*only 2"):
        jaxlite.vmap(lax.sin, in_axes=-3)(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"axis 0.*only 0"):
        jaxlite.vmap(lax.sin)(np.float64(1.0))
    with pytest.raises(ValueError, match=r"out_axes 3.*rank 2"):
        jaxlite.vmap(lax.sin, out_axes=3)(np.ones((3, 4)))


def test_nothing_mapped():
    with pytest.raises(ValueError, match="non-None"):
        jaxlite.vmap(lax.sin, in_axes=None)(np.ones(3))
    with pytest.raises(ValueError, match="non-None"):
        jaxlite.vmap(lambda: 1.0)()


def test_value_dependent_python_control_flow_is_an_error():
    def f(v):
        if v > 0:
            return v
        return lax.neg(v)
    with pytest.raises(jaxlite.ConcretizationTypeError, match="if v > 0"):
        jaxlite.vmap(f)(np.array([1.0, -1.0]))


def test_keyword_arguments_are_mapped_over_their_leading_axis():
    # As in JAX: in_axes covers positional arguments only, keywords use axis 0.
    x, y = RNG.normal(size=(3, 4)), RNG.normal(size=3)
    want = np.sin(x) * y[:, None] + 1.0
    np.testing.assert_allclose(jaxlite.vmap(f2)(x, y=y), want, rtol=1e-12)
    np.testing.assert_allclose(jaxlite.vmap(f2, in_axes=(1,))(x.T, y=y), want, rtol=1e-12)
    np.testing.assert_allclose(jaxlite.jit(jaxlite.vmap(f2, in_axes=None))(x[0], y=y),
                               np.sin(x[0]) * y[:, None] + 1.0, rtol=1e-12)
    tree = jaxlite.vmap(lambda a, p: a * p["s"] + p["t"])(x, p={"s": y, "t": 2 * y})
    np.testing.assert_allclose(tree, x * y[:, None] + 2 * y[:, None], rtol=1e-12)


def test_spmd_axis_name_is_accepted():
    x = RNG.normal(size=(3, 2))
    np.testing.assert_allclose(jaxlite.vmap(f2, spmd_axis_name="data")(x, x),
                               np.sin(x) * x + 1.0, rtol=1e-12)


def test_keyword_argument_errors_match_jax():
    with pytest.raises(ValueError, match="rank should be at least 1, but is only 0"):
        jaxlite.vmap(f2)(np.ones(3), y=2.0)
    with pytest.raises(ValueError, match=r"kwargs\['y'\] of shape \(4,\) has size 4"):
        jaxlite.vmap(f2)(np.ones(3), y=np.ones(4))


def test_out_axes_none_for_a_mapped_output():
    with pytest.raises(ValueError, match="out_axes is None"):
        jaxlite.vmap(lax.sin, out_axes=None)(np.ones(3))


# ------------------------------------------------- bad input: exact messages

def test_mismatched_sizes_name_each_argument_shape_and_size():
    with pytest.raises(ValueError) as info:
        jaxlite.vmap(lambda a, b: lax.add(a, b))(np.ones((3, 2)), np.ones((4, 2)))
    msg = str(info.value)
    assert "argument 0 of shape (3, 2) has size 3 along axis 0" in msg
    assert "argument 1 of shape (4, 2) has size 4 along axis 0" in msg
    # Inside a pytree argument, the leaf is named too.
    with pytest.raises(ValueError, match=r"argument 0 leaf 1 of shape \(5,\) has size 5"):
        jaxlite.vmap(lambda d: lax.add(d["a"], d["b"]))({"a": np.ones(3), "b": np.ones(5)})


def test_axis_size_disagreeing_with_the_mapped_size():
    with pytest.raises(ValueError, match=r"axis_size=4.*argument 0 of shape \(3,\) has size 3"):
        jaxlite.vmap(lax.sin, axis_size=4)(np.ones(3))
    # Agreeing is fine.
    np.testing.assert_allclose(jaxlite.vmap(lax.sin, axis_size=3)(np.ones(3)), np.sin(np.ones(3)))


def test_in_axes_structure_mismatch_shows_both():
    with pytest.raises(ValueError, match=r"len\(in_axes\)=3, len\(args\)=2"):
        jaxlite.vmap(lax.add, in_axes=(0, 0, 0))(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"\{'b': 0\}.*PyTreeDef\(\{'a': \*\}\)"):
        jaxlite.vmap(lambda d: d["a"], in_axes=({"b": 0},))({"a": np.ones(3)})
    with pytest.raises(ValueError, match=r"\(0, 0\).*PyTreeDef\(\(\*,\)\)"):
        jaxlite.vmap(lambda p: p[0], in_axes=((0, 0),))((np.ones(3),))
    with pytest.raises(ValueError, match=r"out_axes.*\(0, 1\).*PyTreeDef\(\*\)"):
        jaxlite.vmap(lax.sin, out_axes=(0, 1))(np.ones(3))


def test_axis_out_of_range_names_axis_rank_and_shape():
    with pytest.raises(ValueError, match=r"axis -3.*at least 3, but is only 2.*\(3, 4\)"):
        jaxlite.vmap(lax.sin, in_axes=-3)(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"axis 1.*at least 2, but is only 1"):
        jaxlite.vmap(lambda a, b: a, in_axes=(0, 1))(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"out_axes -3.*rank 2"):
        jaxlite.vmap(lax.sin, out_axes=-3)(np.ones((3, 4)))


@pytest.mark.parametrize("in_axes", [1.5, "a", True, {"a": 0}, (0.0,), ((0, "x"),)],
                         ids=str)
def test_in_axes_of_the_wrong_type(in_axes):
    with pytest.raises(TypeError, match="in_axes must be an int, None"):
        jaxlite.vmap(lambda p: p, in_axes=in_axes)((np.ones(3), np.ones(3)))


def test_out_axes_of_the_wrong_type():
    with pytest.raises(TypeError, match="out_axes must be an int, None"):
        jaxlite.vmap(lax.sin, out_axes=0.5)(np.ones(3))


def test_numpy_integer_axes_are_accepted():
    x = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(jaxlite.vmap(lax.sin, in_axes=np.int64(1))(x), np.sin(x.T))
    np.testing.assert_allclose(jaxlite.vmap(lax.sin, out_axes=np.int32(1))(x), np.sin(x).T)


def test_nothing_mapped_in_a_pytree():
    with pytest.raises(ValueError, match="non-None"):
        jaxlite.vmap(lambda d: d["a"], in_axes=({"a": None},))({"a": np.ones(3)})
    out = jaxlite.vmap(lambda d: d["a"], in_axes=({"a": None},), axis_size=2)({"a": np.ones(3)})
    np.testing.assert_array_equal(out, np.ones((2, 3)))


# ------------------------------------------- jacobians are one batched pass

def _mlp(params, x):
    h = lax.tanh(lax.add(lax.dot(x, params["w1"]), params["b1"]))
    return lax.dot(h, params["w2"])


@pytest.mark.parametrize("jac", [jaxlite.jacfwd, jaxlite.jacrev], ids=["jacfwd", "jacrev"])
def test_jacobian_is_one_batched_pass_not_a_loop(jac):
    # The staged Jacobian has as many equations for 2 inputs as for 9: the
    # basis vectors go through one vmapped jvp/vjp, not a Python loop.
    f = lambda x: lax.mul(lax.sin(x), _sum(lax.mul(x, x)))
    counts = {}
    for n in (2, 9):
        closed = jaxlite.make_jaxpr(jac(f))(np.ones(n))
        counts[n] = len(closed.jaxpr.eqns)
        assert closed.jaxpr.outvars[0].aval.shape == (n, n)
    assert counts[2] == counts[9]
    x = RNG.standard_normal(4)
    want = np.diag(np.cos(x) * np.sum(x * x)) + np.outer(np.sin(x), 2 * x)
    np.testing.assert_allclose(jac(f)(x), want, rtol=1e-12)


def test_vmap_of_jacobians_and_hessian_agree_with_loops():
    params = {"w1": RNG.standard_normal((3, 4)), "b1": RNG.standard_normal(4),
              "w2": RNG.standard_normal((4, 2))}
    xs = RNG.standard_normal((5, 3))
    f = lambda x: _mlp(params, x)
    for jac in (jaxlite.jacfwd, jaxlite.jacrev):
        got = jaxlite.vmap(jac(f))(xs)
        assert got.shape == (5, 2, 3)
        for b in range(5):
            np.testing.assert_allclose(got[b], jac(f)(xs[b]), rtol=1e-12)
    # Closed form of the Jacobian: w2^T diag(1 - h^2) w1^T.
    h = np.tanh(xs @ params["w1"] + params["b1"])
    want = np.einsum("kj,bj,ij->bki", params["w2"].T, 1 - h ** 2, params["w1"])
    np.testing.assert_allclose(jaxlite.vmap(jaxlite.jacrev(f))(xs), want, rtol=1e-12)
    # Per-example Hessians of a scalar loss, three ways.
    loss = lambda x: _sum(lax.sin(f(x)))
    hs = jaxlite.vmap(jaxlite.hessian(loss))(xs)
    rr = jaxlite.vmap(jaxlite.jacrev(jaxlite.jacrev(loss)))(xs)
    fr = jaxlite.vmap(jaxlite.jacfwd(jaxlite.jacrev(loss)))(xs)
    np.testing.assert_allclose(hs, rr, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hs, fr, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hs, np.swapaxes(hs, 1, 2), rtol=1e-10, atol=1e-12)


def test_per_example_gradients_of_a_pytree_loss():
    params = {"w1": RNG.standard_normal((3, 4)), "b1": RNG.standard_normal(4),
              "w2": RNG.standard_normal((4, 2))}
    xs, ys = RNG.standard_normal((6, 3)), RNG.standard_normal((6, 2))

    def loss(p, x, y):
        r = lax.sub(_mlp(p, x), y)
        return _sum(lax.mul(r, r))
    per_ex = jaxlite.vmap(jaxlite.grad(loss), in_axes=(None, 0, 0))(params, xs, ys)
    assert tree_util.tree_structure(per_ex) == tree_util.tree_structure(params)
    for b in range(6):
        g = jaxlite.grad(loss)(params, xs[b], ys[b])
        for k in params:
            np.testing.assert_allclose(per_ex[k][b], g[k], rtol=1e-12)
    # The same batch mapped along axis 1 and the per-example gradient put last.
    per_ex_t = jaxlite.vmap(jaxlite.grad(loss), in_axes=(None, 1, 1), out_axes=-1)(
        params, xs.T, ys.T)
    for k in params:
        np.testing.assert_allclose(np.moveaxis(per_ex_t[k], -1, 0), per_ex[k], rtol=1e-12)


def test_staged_vmap_of_an_mlp_has_batched_shapes_and_no_loop():
    params = {"w1": np.ones((3, 4), np.float32), "b1": np.ones(4, np.float32),
              "w2": np.ones((4, 2), np.float32)}
    counts = {}
    for n in (2, 7):
        xs = np.ones((n, 3), np.float32)
        closed = jaxlite.make_jaxpr(jaxlite.vmap(_mlp, in_axes=(None, 0)))(params, xs)
        text = str(closed)
        assert f"f32[{n},3]" in text and f"f32[{n},4]" in text
        assert closed.jaxpr.outvars[0].aval.shape == (n, 2)
        # No per-example slicing of the batch.
        assert not {"slice", "gather", "dynamic_slice", "concatenate"} & {
            e.prim.name for e in closed.jaxpr.eqns}
        counts[n] = len(closed.jaxpr.eqns)
    assert counts[2] == counts[7]


# ------------------------------- batch rules leave the batch dim where it is

_I32 = np.int32
_X = RNG.standard_normal((2, 5, 3))
# name -> (f, args, in_axes, out_axes): out_axes is where the batch dim lands
# naturally, so a rule that moved it to the front would show up as a transpose.
KEEP_DIM = {
    "sin": (lax.sin, (_X,), 1, 1),
    "add": (lax.add, (_X, _X), 1, 1),
    "mul_unbatched": (lax.mul, (_X, RNG.standard_normal((2, 3))), (1, None), 1),
    "select_n": (lambda a, b: lax.select_n(lax.gt(a, b), a, b), (_X, -_X), 1, 1),
    "select_n_batched_scalar_pred": (lax.select_n, (np.arange(5) % 2 == 0, _X, -_X), (0, 1, 1),
                                     1),
    "broadcast_in_dim": (lambda a: lax.broadcast_in_dim(a, (2, 4, 3), (0, 2)), (_X,), 1, 2),
    "reduce_sum": (lambda a: lax.reduce_sum(a, (0,)), (_X,), 1, 0),
    "reduce_max": (lambda a: lax.reduce_max(a, (1,)), (_X,), 1, 1),
    "argmax": (lambda a: lax.argmax(a, 1, _I32), (_X,), 1, 1),
    "cumsum": (lambda a: lax.cumsum(a, 1), (_X,), 1, 1),
    "rev": (lambda a: lax.rev(a, (0, 1)), (_X,), 1, 1),
    "slice": (lambda a: lax.slice(a, (0, 1), (2, 3)), (_X,), 1, 1),
    "pad": (lambda a: lax.pad(a, 0.0, [(1, 0, 0), (0, 2, 1)]), (_X,), 1, 1),
    "pad_batched_value": (lambda a, p: lax.pad(a, p, [(1, 0, 0), (0, 2, 1)]),
                          (_X, RNG.standard_normal(5)), (1, 0), 1),
    "concatenate": (lambda a, b: lax.concatenate([a, b], 1), (_X, _X), 1, 1),
    "squeeze": (lambda a: lax.squeeze(a, (1,)), (RNG.standard_normal((2, 5, 1)),), 1, 1),
    "dynamic_slice": (lambda a: lax.dynamic_slice(a, (_I32(0), _I32(1)), (2, 2)), (_X,), 1, 1),
    "dynamic_update_slice": (lambda a, u: lax.dynamic_update_slice(a, u, (_I32(0), _I32(1))),
                             (_X, RNG.standard_normal((1, 5, 2))), 1, 1),
    "gather": (lambda a: lax.gather(a, np.array([[1], [0]], _I32), (0,)), (_X,), 1, 1),
    "scatter_add": (lambda a, u: lax.scatter_add(a, np.array([[1], [0]], _I32), u, (0,)),
                    (_X, RNG.standard_normal((2, 5, 3))), 1, 1),
    "convert_element_type": (lambda a: lax.convert_element_type(a, np.float32), (_X,), 1, 1),
    "dot_general": (lax.dot, (_X, RNG.standard_normal((3, 5, 4))), (1, 1), 0),
}


@pytest.mark.parametrize("name", list(KEEP_DIM))
def test_batch_rules_keep_the_batch_dim_in_place(name):
    f, args, in_axes, out_axes = KEEP_DIM[name]
    batched = jaxlite.vmap(f, in_axes=in_axes, out_axes=out_axes)
    closed = jaxlite.make_jaxpr(batched)(*args)
    assert "transpose" not in {e.prim.name for e in closed.jaxpr.eqns}, str(closed)
    # The values, against a loop, with the batch dim where the rule put it.
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    want = np.stack([np.asarray(f(*[a if ax is None else np.take(a, i, axis=ax)
                                    for a, ax in zip(args, axes)])) for i in range(5)])
    np.testing.assert_allclose(np.moveaxis(np.asarray(batched(*args)), out_axes, 0), want,
                               rtol=1e-6, atol=1e-6)
