"""The numpy and nn API under the transforms: derivatives against float64
finite differences, vmap against a loop, jit against eager (including
large strided views and empty arrays)."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import nn, tree_util

from helpers import (DATA_RNG, F32, F64, I32, check_grads, check_jit, check_vmap, normal_array,
                     positive_array, same, with_nans)


def test_compiled_kernels_on_large_strided_views():
    """Big enough for the threaded kernels; views in every layout."""
    big = DATA_RNG.normal(size=(300, 500)).astype(F32)
    fns = [lambda x: jnp.exp(x) * 2 + x, lambda x: jnp.sum(x, 0), lambda x: jnp.max(x, 1),
           lambda x: x @ x.T, lambda x: nn.softmax(x, -1), lambda x: jnp.cumsum(x, 1)]
    for view in (big.T, big[::-1, ::-1], big[::2, 1::3], np.asfortranarray(big)):
        dense = np.ascontiguousarray(view)
        for f in fns:
            np.testing.assert_allclose(jaxlite.jit(f)(view), f(dense), rtol=1e-4, atol=1e-3)


EMPTY_FNS = {
    "exp": jnp.exp, "add": lambda x: x + x, "where": lambda x: jnp.where(x > 0, x, 1),
    "sum0": lambda x: jnp.sum(x, 0), "sum_last": lambda x: jnp.sum(x, -1), "sum": jnp.sum,
    "prod0": lambda x: jnp.prod(x, 0), "mean_last": lambda x: jnp.mean(x, -1),
    "cumsum0": lambda x: jnp.cumsum(x, 0), "any": lambda x: jnp.any(x > 0, 0),
    "all": lambda x: jnp.all(x), "var0": lambda x: jnp.var(x, 0), "T": lambda x: x.T,
    "flip": jnp.flip, "pad": lambda x: jnp.pad(x, 1), "stack": lambda x: jnp.stack([x, x]),
    "tile": lambda x: jnp.tile(x, 2), "repeat": lambda x: jnp.repeat(x, 2, 0),
    "broadcast": lambda x: jnp.broadcast_to(x, (4,) + x.shape),
    "expand": lambda x: jnp.expand_dims(x, 0), "squeeze": lambda x: jnp.squeeze(x[None]),
    "tensordot": lambda x: jnp.tensordot(x, x, x.ndim),
    "outer": lambda x: jnp.einsum("...i,...j->...ij", x, x), "rev": lambda x: x[..., ::-1],
    "softmax": lambda x: nn.softmax(x.astype(jnp.float32), -1),
    "logsumexp": lambda x: nn.logsumexp(x.astype(jnp.float32), -1),
    "one_hot": lambda x: nn.one_hot(x.astype(jnp.int32), 3),
    "astype": lambda x: x.astype(jnp.float64), "clip": lambda x: jnp.clip(x, 0, 1),
    "roll": lambda x: jnp.roll(x, 1, 0),
}


@pytest.mark.parametrize("name", list(EMPTY_FNS))
def test_jit_matches_eager_on_empty_arrays(name):
    f = EMPTY_FNS[name]
    for x in (np.zeros((2, 0, 3), F32), np.zeros((0, 3), I32), np.zeros((0,), F64),
              np.zeros((3, 0, 2), F32).transpose(2, 1, 0)):
        ref = f(x)
        out = jaxlite.jit(f)(x)
        for o, r in zip(tree_util.tree_leaves(out), tree_util.tree_leaves(ref)):
            same(o, r)


def test_new_paths_under_vmap_jit_and_grad():
    """The einsum diagonal, traced linspace and var without degrees of freedom
    compose with the transformations."""
    from helpers import check_vmap, check_jit
    a = DATA_RNG.normal(size=(4, 3, 3))
    v = DATA_RNG.normal(size=(4, 3))
    check_vmap(lambda m, b: jnp.einsum("ii,i->i", m, b), (a, v))
    check_vmap(lambda m: jnp.einsum("ii->", m), (a,))
    check_vmap(lambda m: jnp.einsum("ii->i", m), (a.transpose(1, 2, 0),), 2)
    check_jit(lambda m, b: jnp.einsum("bii,bi->b", m, b), (a, v))
    check_vmap(lambda s, t: jnp.linspace(s, t, 5), (v[:, 0], v[:, 1]))
    check_grads(lambda s, t: jnp.linspace(s, t, 5, axis=0), (v[0], v[1]))
    mid = np.array([0.45, -1.05, 2.25])       # x / 0.3 halfway between integers
    check_grads(lambda x, y: jnp.floor_divide(x, 0.3) * x + y, (mid, v[1]))
    assert np.isnan(jaxlite.vmap(lambda r: jnp.var(r, ddof=4))(v)).all()


GRAD_CASES = [
    # (name, function, args, order)
    ("acos", jnp.acos, lambda: (np.tanh(normal_array((4,))) * 0.8,), 2),
    ("asin", jnp.asin, lambda: (np.tanh(normal_array((4,))) * 0.8,), 2),
    ("atan", jnp.atan, lambda: (normal_array((4,)),), 2),
    ("acosh", jnp.acosh, lambda: (positive_array((4,)) + 1,), 2),
    ("asinh", jnp.asinh, lambda: (normal_array((4,)),), 2),
    ("atanh", jnp.atanh, lambda: (np.tanh(normal_array((4,))) * 0.8,), 2),
    ("atan2", jnp.atan2, lambda: (normal_array((2, 3)), positive_array((3,))), 2),
    ("pow", jnp.pow, lambda: (positive_array((2, 3)), normal_array((2, 3))), 2),
    ("fmax", jnp.fmax, lambda: (np.array([1.0, -2.0, 3.0]), np.array([2.0, -3.0, 0.5])), 1),
    ("fmin", jnp.fmin, lambda: (np.array([1.0, -2.0, 3.0]), np.array([2.0, -3.0, 0.5])), 1),
    ("copysign", jnp.copysign, lambda: (np.array([1.0, -2.0, 3.0]), np.array([-1.0, 1.0, 1.0])), 2),
    ("sinc", jnp.sinc, lambda: (np.array([-1.3, -0.2, 0.4, 2.7]),), 2),
    ("real", jnp.real, lambda: (normal_array((3,)),), 1),
    ("conj", jnp.conj, lambda: (normal_array((3,)),), 1),
    ("nansum", lambda x: jnp.nansum(x, axis=0), lambda: (with_nans((4, 3)),), 2),
    ("nanprod", lambda x: jnp.nanprod(x, axis=1), lambda: (with_nans((3, 4)),), 2),
    ("nanmean", lambda x: jnp.nanmean(x, axis=1), lambda: (with_nans((3, 4)),), 2),
    ("nanvar", lambda x: jnp.nanvar(x, axis=0), lambda: (with_nans((5, 3)),), 2),
    ("nanstd", lambda x: jnp.nanstd(x, axis=1, ddof=1), lambda: (with_nans((3, 5)),), 2),
    ("nanmax", lambda x: jnp.nanmax(x, axis=1), lambda: (with_nans((3, 4)),), 1),
    ("nanmin", lambda x: jnp.nanmin(x, axis=0), lambda: (with_nans((4, 3)),), 1),
    ("select", lambda a, b: jnp.select([a > 0, b > 0], [a * b, jnp.sin(b)], a),
     lambda: (normal_array((5,)), normal_array((5,))), 2),
    ("cumulative_sum", lambda x: jnp.cumulative_sum(x, axis=1, include_initial=True),
     lambda: (normal_array((2, 4)),), 2),
    ("cumulative_prod", lambda x: jnp.cumulative_prod(x, axis=0),
     lambda: (normal_array((3, 2)),), 2),
    ("append", lambda a, b: jnp.append(a, b, axis=0), lambda: (normal_array((2, 3)), normal_array((1, 3))), 1),
    ("rot90", lambda x: jnp.rot90(x, 3), lambda: (normal_array((2, 3)),), 1),
    ("unstack", lambda x: jnp.unstack(x, axis=1), lambda: (normal_array((2, 3)),), 1),
    ("concat", lambda a, b: jnp.concat([a, b], axis=1), lambda: (normal_array((2, 1)), normal_array((2, 3))), 1),
    ("matrix_transpose", jnp.matrix_transpose, lambda: (normal_array((2, 3, 4)),), 1),
    ("kron", jnp.kron, lambda: (normal_array((2, 2)), normal_array((3, 2))), 2),
    ("cross", jnp.cross, lambda: (normal_array((4, 3)), normal_array((3,))), 2),
    ("vecdot", jnp.vecdot, lambda: (normal_array((2, 3)), normal_array((3,))), 2),
    ("matvec", jnp.matvec, lambda: (normal_array((2, 3, 4)), normal_array((2, 4))), 2),
    ("vecmat", jnp.vecmat, lambda: (normal_array((4,)), normal_array((4, 3))), 2),
    ("logspace", lambda a, b: jnp.logspace(a, b, 5, dtype=np.float64),
     lambda: (np.float64(0.3), np.float64(1.2)), 2),
    ("geomspace", lambda a, b: jnp.geomspace(a, b, 5, dtype=np.float64),
     lambda: (np.float64(0.7), np.float64(4.0)), 2),
    ("astype", lambda x: jnp.astype(x, jnp.float64) * 2, lambda: (normal_array((3,)),), 1),
    ("nn.tanh", nn.tanh, lambda: (normal_array((4,)),), 2),
    ("nn.selu", nn.selu, lambda: (np.array([-1.5, -0.3, 0.4, 2.0]),), 2),
    ("nn.celu", lambda x: nn.celu(x, 0.7), lambda: (np.array([-1.5, -0.3, 0.4, 2.0]),), 2),
    ("nn.glu", nn.glu, lambda: (normal_array((3, 4)),), 2),
    ("nn.mish", nn.mish, lambda: (normal_array((4,)),), 2),
    ("nn.soft_sign", nn.soft_sign, lambda: (np.array([-1.5, -0.3, 0.4, 2.0]),), 2),
    ("nn.hard_tanh", nn.hard_tanh, lambda: (np.array([-1.5, -0.3, 0.4, 2.0]),), 1),
    ("nn.hard_sigmoid", nn.hard_sigmoid, lambda: (np.array([-4.0, -0.3, 0.4, 5.0]),), 1),
    ("nn.hard_silu", nn.hard_silu, lambda: (np.array([-4.0, -0.3, 0.4, 5.0]),), 2),
    ("nn.squareplus", nn.squareplus, lambda: (normal_array((4,)),), 2),
    ("nn.log1mexp", nn.log1mexp, lambda: (np.array([0.05, 0.5, 0.8, 3.0]),), 2),
    ("nn.logmeanexp", lambda x: nn.logmeanexp(x, axis=1), lambda: (normal_array((2, 4)),), 2),
    ("nn.sparse_plus", nn.sparse_plus, lambda: (np.array([-1.5, -0.3, 0.4, 2.0]),), 2),
    ("nn.sparse_sigmoid", nn.sparse_sigmoid, lambda: (np.array([-1.5, -0.3, 0.4, 2.0]),), 1),
]


@pytest.mark.parametrize("name,f,make_args,order", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_grads_vs_finite_differences(name, f, make_args, order):
    check_grads(f, make_args(), order=order)


def test_heaviside_and_sparse_sigmoid_gradients_are_piecewise_constant():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    # heaviside is flat away from 0 in x1; its x2 derivative is 1 exactly where x1 == 0
    g1, g2 = jaxlite.grad(lambda a, b: jnp.sum(jnp.heaviside(a, b)), argnums=(0, 1))(
        np.array([-1.0, 0.0, 2.0]), np.array([0.3, 0.3, 0.3]))
    np.testing.assert_array_equal(g1, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(g2, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(jaxlite.grad(lambda v: jnp.sum(nn.sparse_sigmoid(v)))(x),
                                  [0.0, 0.5, 0.5, 0.0])


# ---------------------------------------------------- vmap vs loop, jit vs eager

TRANSFORM_CASES = [
    # (name, function, args, in_axes); args are batched along axis 0
    ("acos", jnp.acos, (np.tanh(normal_array((3, 4))) * 0.9,), 0),
    ("asin", jnp.asin, (np.tanh(normal_array((3, 4))) * 0.9,), 0),
    ("atan", jnp.atan, (normal_array((3, 4)),), 0),
    ("atan2", jnp.atan2, (normal_array((3, 4)), normal_array((3, 4))), 0),
    ("acosh", jnp.acosh, (positive_array((3, 4)) + 1,), 0),
    ("asinh", jnp.asinh, (normal_array((3, 4)),), 0),
    ("atanh", jnp.atanh, (np.tanh(normal_array((3, 4))) * 0.9,), 0),
    ("pow", jnp.pow, (positive_array((3, 4)), normal_array((4,))), (0, None)),
    ("fmax", jnp.fmax, (with_nans((3, 4)), with_nans((3, 4))), 0),
    ("fmin", jnp.fmin, (with_nans((3, 4)), normal_array((4,))), (0, None)),
    ("copysign", jnp.copysign, (normal_array((3, 4)), normal_array((3, 4))), 0),
    ("heaviside", jnp.heaviside, (np.round(normal_array((3, 4))), normal_array((3, 4))), 0),
    ("sinc", jnp.sinc, (np.array([[0.0, 0.5], [1.5, 0.0], [-2.2, 0.1]]),), 0),
    ("real", jnp.real, (normal_array((3, 4)),), 0),
    ("imag", jnp.imag, (normal_array((3, 4)),), 0),
    ("conj", jnp.conj, (normal_array((3, 4)),), 0),
    ("conjugate", jnp.conjugate, (normal_array((3, 4)),), 0),
    ("nan_to_num", jnp.nan_to_num, (np.array([[np.nan, np.inf], [-np.inf, 1.0]]),), 0),
    ("isposinf", jnp.isposinf, (np.array([[np.inf, -np.inf], [np.nan, 1.0]]),), 0),
    ("isneginf", jnp.isneginf, (np.array([[np.inf, -np.inf], [np.nan, 1.0]]),), 0),
    ("nansum", lambda x: jnp.nansum(x, axis=0), (with_nans((3, 4, 2)),), 0),
    ("nanprod", lambda x: jnp.nanprod(x, axis=1), (with_nans((3, 4, 2)),), 0),
    ("nanmean", lambda x: jnp.nanmean(x, axis=-1, keepdims=True), (with_nans((3, 4, 2)),), 0),
    ("nanmax", lambda x: jnp.nanmax(x, axis=0), (with_nans((3, 4, 2)),), 0),
    ("nanmin", jnp.nanmin, (with_nans((3, 4, 2)),), 0),
    ("nanvar", lambda x: jnp.nanvar(x, axis=0), (with_nans((3, 4, 2)),), 0),
    ("nanstd", lambda x: jnp.nanstd(x, axis=1), (with_nans((3, 4, 2)),), 0),
    ("nanargmax", lambda x: jnp.nanargmax(x, axis=0), (with_nans((3, 4, 2)),), 0),
    ("nanargmin", jnp.nanargmin, (with_nans((3, 4, 2)),), 0),
    ("select", lambda x: jnp.select([x > 0.5, x < -0.5], [x, 2 * x], -1.0),
     (normal_array((3, 4)),), 0),
    ("append", lambda a, b: jnp.append(a, b), (normal_array((3, 2, 2)), normal_array((3, 3))), 0),
    ("kron", jnp.kron, (normal_array((3, 2, 2)), normal_array((3, 2))), 0),
    ("cross", lambda a, b: jnp.cross(a, b, axisa=0),
     (normal_array((3, 3, 2)), normal_array((3, 2, 3))), 0),
    ("rot90", lambda x: jnp.rot90(x, 1, (1, 0)), (normal_array((3, 2, 4)),), 0),
    ("logspace", lambda a: jnp.logspace(a, 2.0, 4), (normal_array((3,)),), 0),
    ("geomspace", lambda a: jnp.geomspace(a, 8.0, 4), (positive_array((3,)),), 0),
    ("tril_indices", lambda x: x[jnp.tril_indices(3, -1)], (normal_array((4, 3, 3)),), 0),
    ("triu_indices", lambda x: x[jnp.triu_indices(3, 1, 4)], (normal_array((4, 3, 4)),), 0),
    ("tril_indices_from", lambda x: x[jnp.tril_indices_from(x, 1)], (normal_array((4, 3, 2)),), 0),
    ("triu_indices_from", lambda x: x[jnp.triu_indices_from(x)], (normal_array((4, 2, 3)),), 0),
    ("indices", lambda x: x * jnp.indices((2, 3))[1], (normal_array((4, 2, 3)),), 0),
    ("cumulative_sum", lambda x: jnp.cumulative_sum(x, include_initial=True),
     (normal_array((3, 5)),), 0),
    ("cumulative_prod", lambda x: jnp.cumulative_prod(x, axis=0), (normal_array((3, 4, 2)),), 0),
    ("unstack", lambda x: jnp.unstack(x, axis=1), (normal_array((3, 2, 4)),), 0),
    ("concat", lambda a, b: jnp.concat([a, b], axis=0),
     (normal_array((3, 2)), normal_array((3, 4))), 0),
    ("permute_dims", lambda x: jnp.permute_dims(x, (1, 0)), (normal_array((3, 2, 4)),), 0),
    ("matrix_transpose", jnp.matrix_transpose, (normal_array((3, 2, 4)),), 0),
    ("vecdot", jnp.vecdot, (normal_array((3, 2, 4)), normal_array((3, 4))), 0),
    ("matvec", jnp.matvec, (normal_array((3, 2, 4)), normal_array((4,))), (0, None)),
    ("vecmat", jnp.vecmat, (normal_array((3, 4)), normal_array((3, 4, 2))), 0),
    ("astype", lambda x: jnp.astype(x, jnp.int32), (normal_array((3, 4)) * 5,), 0),
    ("bool", lambda x: jnp.astype(x, jnp.bool), (np.round(normal_array((3, 4))),), 0),
    ("nn.tanh", nn.tanh, (normal_array((3, 4)),), 0),
    ("nn.identity", nn.identity, (normal_array((3, 4)),), 0),
    ("nn.selu", nn.selu, (normal_array((3, 4)),), 0),
    ("nn.celu", nn.celu, (normal_array((3, 4)),), 0),
    ("nn.glu", nn.glu, (normal_array((3, 2, 4)),), 0),
    ("nn.mish", nn.mish, (normal_array((3, 4)),), 0),
    ("nn.soft_sign", nn.soft_sign, (normal_array((3, 4)),), 0),
    ("nn.hard_tanh", nn.hard_tanh, (normal_array((3, 4)) * 2,), 0),
    ("nn.hard_sigmoid", nn.hard_sigmoid, (normal_array((3, 4)) * 4,), 0),
    ("nn.hard_silu", nn.hard_silu, (normal_array((3, 4)) * 4,), 0),
    ("nn.hard_swish", nn.hard_swish, (normal_array((3, 4)) * 4,), 0),
    ("nn.squareplus", nn.squareplus, (normal_array((3, 4)),), 0),
    ("nn.log1mexp", nn.log1mexp, (positive_array((3, 4)) - 0.45,), 0),
    ("nn.logmeanexp", lambda x: nn.logmeanexp(x, axis=0), (normal_array((3, 4, 2)),), 0),
    ("nn.sparse_plus", nn.sparse_plus, (normal_array((3, 4)) * 2,), 0),
    ("nn.sparse_sigmoid", nn.sparse_sigmoid, (normal_array((3, 4)) * 2,), 0),
]


@pytest.mark.parametrize("name,f,args,in_axes", TRANSFORM_CASES,
                         ids=[c[0] for c in TRANSFORM_CASES])
def test_vmap_vs_loop(name, f, args, in_axes):
    check_vmap(f, args, in_axes=in_axes, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,f,args,in_axes", TRANSFORM_CASES,
                         ids=[c[0] for c in TRANSFORM_CASES])
def test_jit_vs_eager(name, f, args, in_axes):
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    one = tuple(a if ax is None else a[0] for a, ax in zip(args, axes))    # unbatched
    check_jit(f, one, rtol=1e-10, atol=1e-12)


def test_jit_handles_nan_edge_cases():
    x = np.array([[np.nan, np.nan], [2.0, np.nan]])
    f = jaxlite.jit(lambda v: (jnp.nanmax(v, axis=1), jnp.nanargmin(v, axis=1),
                               jnp.nanmean(v, axis=1), jnp.fmax(v, 0.0)))
    mx, am, mean, fm = f(x)
    np.testing.assert_array_equal(mx, [np.nan, 2.0])
    np.testing.assert_array_equal(am, [-1, 0])
    np.testing.assert_array_equal(mean, [np.nan, 2.0])
    np.testing.assert_array_equal(fm, [[0.0, 0.0], [2.0, 0.0]])
