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


def test_keyword_arguments_rejected():
    with pytest.raises(TypeError, match="positional"):
        jaxlite.vmap(f2)(np.ones(3), y=np.ones(3))


def test_out_axes_none_for_a_mapped_output():
    with pytest.raises(ValueError, match="out_axes is None"):
        jaxlite.vmap(lax.sin, out_axes=None)(np.ones(3))
