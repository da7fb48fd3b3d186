"""Every lax primitive beyond its per-family file: on non-contiguous views,
in every dtype it takes and on empty arrays, eagerly and compiled."""
import numpy as np
import pytest

import jaxlite
from jaxlite import lax, tree_util

from helpers import DTYPES, F32, F64, I32, I64, layouts
from primitive_table import entry, entry_names

# --------------------------------------------- primitives on non-contiguous inputs


@pytest.mark.parametrize("name", entry_names())
def test_every_primitive_on_non_contiguous_inputs(name):
    """Every primitive (one table entry each, shared with the transform tests)
    gives the same values on views as on contiguous copies, eagerly and
    compiled; the contiguous values are checked against numpy per family."""
    e = entry(name)
    jitted = jaxlite.jit(e.fn)
    for case in range(len(e.shapes)):
        args = e.args(np.random.default_rng(case), case)
        ref = tree_util.tree_leaves(e.fn(*args))
        views_of = [layouts(a) for a in args]
        for k in range(1, 4):
            views = [ls[min(k, len(ls) - 1)] for ls in views_of]
            for f in (e.fn, jitted):
                for o, r in zip(tree_util.tree_leaves(f(*views)), ref):
                    np.testing.assert_allclose(np.asarray(o), np.asarray(r), rtol=1e-12,
                                               atol=1e-12)


# ----------------------------------------- primitives: every dtype, eager and jit

_PX = np.random.default_rng(5).integers(0, 3, (3, 4, 2)).astype(F64)   # exact in every dtype
_PIDX = np.array([[1, 0], [2, 3], [1, 0]], I32)
_ONE = lambda a: np.ones((), a.dtype)   # noqa: E731
PRIM_DTYPE_CASES = {
    # structural and indexing primitives move values: every dtype, exactly
    "broadcast_in_dim": (DTYPES, lambda a: lax.broadcast_in_dim(a, (3, 2, 4, 2), (0, 2, 3))),
    "reshape": (DTYPES, lambda a: lax.reshape(a, (4, 6))),
    "transpose": (DTYPES, lambda a: lax.transpose(a, (2, 0, 1))),
    "squeeze": (DTYPES, lambda a: lax.squeeze(a[:, :1], (1,))),
    "expand_dims": (DTYPES, lambda a: lax.expand_dims(a, (0, 3))),
    "rev": (DTYPES, lambda a: lax.rev(a, (0, 2))),
    "concatenate": (DTYPES, lambda a: lax.concatenate([a, a[:, :1]], 1)),
    "pad": (DTYPES, lambda a: lax.pad(a, _ONE(a), [(1, 0, 1), (0, -1, 0), (2, 1, 0)])),
    "slice": (DTYPES, lambda a: lax.slice(a, (0, 1, 0), (3, 4, 2), (2, 2, 1))),
    "dynamic_slice": (DTYPES, lambda a: lax.dynamic_slice(a, (np.int32(1), np.int32(2),
                                                              np.int32(0)), (2, 2, 2))),
    "dynamic_update_slice": (DTYPES, lambda a: lax.dynamic_update_slice(
        a, a[:2, :2], (np.int32(1), np.int32(1), np.int32(0)))),
    "gather": (DTYPES, lambda a: lax.gather(a, _PIDX, (0, 1))),
    "scatter": (DTYPES, lambda a: lax.scatter(a, _PIDX[:2], a[:2, 0], (0, 1))),
    "select_n": (DTYPES, lambda a: lax.select_n(lax.gt(lax.convert_element_type(a, F32),
                                                       1.0), a, lax.rev(a, (0,)))),
    "reduce_max": (DTYPES, lambda a: lax.reduce_max(a, (1,))),
    "reduce_min": (DTYPES, lambda a: lax.reduce_min(a, (0, 1, 2))),
    "argmax": (DTYPES, lambda a: lax.argmax(a, 1, np.int32)),
    "argmin": (DTYPES, lambda a: lax.argmin(a, 0, np.int64)),
    "convert_element_type": (DTYPES, lambda a: (lax.convert_element_type(a, F32),
                                                lax.convert_element_type(a, I64))),
    "eq": (DTYPES, lambda a: lax.eq(a, lax.rev(a, (0,)))),
    "max": (DTYPES, lambda a: lax.max(a, lax.rev(a, (0,)))),
    # arithmetic: the numeric dtypes (JAX refuses bool)
    "scatter_add": (DTYPES[1:], lambda a: lax.scatter_add(a, _PIDX, a[:3, 0], (0, 1))),
    "reduce_sum": (DTYPES[1:], lambda a: lax.reduce_sum(a, (0, 2))),
    "reduce_prod": (DTYPES[1:], lambda a: lax.reduce_prod(a, (2,))),
    "cumsum": (DTYPES[1:], lambda a: (lax.cumsum(a, 1), lax.cumsum(a, 2, True))),
    "dot_general": (DTYPES[1:], lambda a: lax.dot_general(a, a, (((1,), (1,)), ((2,), (2,))))),
    "add_sub_mul": (DTYPES[1:], lambda a: lax.sub(lax.mul(lax.add(a, a), a), lax.rev(a, (1,)))),
    "neg_abs_sign": (DTYPES[1:], lambda a: lax.add(lax.neg(a), lax.mul(lax.abs(a),
                                                                          lax.sign(a)))),
    "integer_pow": (DTYPES[1:], lambda a: lax.integer_pow(a, 3)),
    "iota": (DTYPES[1:], lambda a: lax.add(a, lax.broadcasted_iota(a.dtype, a.shape, 1))),
}


@pytest.mark.parametrize("name", list(PRIM_DTYPE_CASES))
def test_primitives_in_every_dtype_they_take(name):
    """The value in dtype D equals the value computed in float64 from the same
    inputs, cast to D (the inputs are small integers, exact everywhere),
    eagerly and compiled."""
    dtypes, f = PRIM_DTYPE_CASES[name]
    for dt in dtypes:
        a = _PX.astype(dt)
        ref64 = [np.asarray(r) for r in tree_util.tree_leaves(f(a.astype(F64)))]
        for out in (f(a), jaxlite.jit(f)(a)):
            for o, r in zip(tree_util.tree_leaves(out), ref64):
                want = r.astype(o.dtype) if r.dtype.kind == "f" else r
                if r.dtype.kind == "f" and np.dtype(o.dtype).kind == "f":
                    assert o.dtype == dt or name == "convert_element_type", (o.dtype, dt)
                np.testing.assert_array_equal(np.asarray(o), want)


# -------------------------------------------------- primitives on empty arrays

_PZ = np.zeros((2, 0, 3), F32)
_PE = np.zeros((0, 3), I32)
_ONES43 = np.ones((4, 3), F32)
_NO_ROWS = np.zeros((0, 1), I32)
_I0, _I1 = I32(0), I32(1)


def _dot(dims):
    return lambda a, b: lax.dot_general(a, b, dims)


PRIM_EMPTY = {   # name: (f, args, expected)
    "dot_contract_0": (_dot((((1,), (0,)), ((), ()))), (np.ones((2, 0), F32),
                                                          np.ones((0, 3), F32)), np.zeros((2, 3))),
    "dot_batch_0": (_dot((((2,), (1,)), ((0,), (0,)))), (np.ones((0, 2, 3), F32),
                                                           np.ones((0, 3, 4), F32)),
                    np.zeros((0, 2, 4))),
    "gather_no_indices": (lambda a: lax.gather(a, _NO_ROWS, (0,)), (_ONES43,), np.zeros((0, 3))),
    "scatter_add_no_updates": (lambda a: lax.scatter_add(a, _NO_ROWS, np.zeros((0, 3), F32),
                                                         (0,)), (_ONES43,), _ONES43),
    "scatter_no_updates": (lambda a: lax.scatter(a, _NO_ROWS, np.zeros((0, 3), F32), (0,)),
                           (_ONES43,), _ONES43),
    "dynamic_slice": (lambda a: lax.dynamic_slice(a, (_I1, _I0, _I0), (1, 0, 2)), (_PZ,),
                      np.zeros((1, 0, 2))),
    "dynamic_update_slice": (lambda a: lax.dynamic_update_slice(
        a, np.zeros((1, 0, 3), F32), (_I1, _I0, _I0)), (_PZ,), np.zeros((2, 0, 3))),
    "pad_negative": (lambda a: lax.pad(a, F32(7), [(0, 0, 0), (2, 1, 0), (-1, 0, 0)]), (_PZ,),
                     np.full((2, 3, 2), 7.0)),
    "pad_interior": (lambda a: lax.pad(a, F32(7), [(0, 0, 1), (1, 1, 2), (0, 0, 0)]), (_PZ,),
                     np.full((3, 2, 3), 7.0)),
    "reduce_sum": (lambda a: lax.reduce_sum(a, (1,)), (_PZ,), np.zeros((2, 3))),
    "reduce_max": (lambda a: lax.reduce_max(a, (1,)), (_PZ,), np.full((2, 3), -np.inf)),
    "reduce_min_int": (lambda a: lax.reduce_min(a, (0,)), (_PE,),
                       np.full(3, np.iinfo(I32).max)),
    "reduce_prod": (lambda a: lax.reduce_prod(a, (1,)), (_PZ,), np.ones((2, 3))),
    "argmax": (lambda a: lax.argmax(a, 2, I32), (_PZ,), np.zeros((2, 0))),
    "cumsum": (lambda a: lax.cumsum(a, 1), (_PZ,), np.zeros((2, 0, 3))),
    "cumsum_reverse": (lambda a: lax.cumsum(a, 0, True), (_PE,), np.zeros((0, 3))),
    "iota": (lambda a: lax.add(a, lax.broadcasted_iota(F32, (2, 0, 3), 2)), (_PZ,),
             np.zeros((2, 0, 3))),
    "rev": (lambda a: lax.rev(a, (1, 2)), (_PZ,), np.zeros((2, 0, 3))),
    "transpose": (lambda a: lax.transpose(a, (2, 1, 0)), (_PZ,), np.zeros((3, 0, 2))),
    "broadcast_empty": (lambda a: lax.broadcast_in_dim(a, (4, 0, 3), (1, 2)), (_PE,),
                        np.zeros((4, 0, 3))),
    "broadcast_to_empty": (lambda a: lax.broadcast_in_dim(a, (0, 3), (1,)),
                           (np.ones(3, F32),), np.zeros((0, 3))),
    "reshape": (lambda a: lax.reshape(a, (0, 5)), (_PZ,), np.zeros((0, 5))),
    "slice": (lambda a: lax.slice(a, (0, 0, 1), (2, 0, 3)), (_PZ,), np.zeros((2, 0, 2))),
    "slice_to_empty": (lambda a: lax.slice(a, (1, 1), (1, 3)), (np.ones((3, 3), F32),),
                       np.zeros((0, 2))),
    "select_n": (lambda a: lax.select_n(lax.gt(a, 0.0), a, lax.neg(a)), (_PZ,),
                 np.zeros((2, 0, 3))),
    "convert_element_type": (lambda a: lax.convert_element_type(a, I64), (_PZ,),
                             np.zeros((2, 0, 3))),
    "squeeze": (lambda a: lax.squeeze(a, (0,)), (np.zeros((1, 0)),), np.zeros((0,))),
    "concatenate_empty_and_not": (lambda a, b: lax.concatenate([a, b], 0),
                                  (np.zeros((0, 3), F32), np.ones((1, 3), F32)), np.ones((1, 3))),
    "exp": (lambda a: lax.exp(a), (_PZ,), np.zeros((2, 0, 3))),
}


@pytest.mark.parametrize("name", list(PRIM_EMPTY))
def test_primitives_on_empty_arrays(name):
    """Reductions over an empty axis give the identity, pads of nothing are all
    padding, contractions over nothing are zero; eagerly and compiled."""
    f, args, ref = PRIM_EMPTY[name]
    for g in (f, jaxlite.jit(f)):
        out = g(*args)
        assert out.shape == np.shape(ref)
        np.testing.assert_array_equal(np.asarray(out, F64), ref)
