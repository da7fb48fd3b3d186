"""Indexing primitives: slice, dynamic_slice, dynamic_update_slice, gather,
scatter_add, scatter: eager vs loop references (clamping, out-of-range drops,
duplicates), derivatives against finite differences to order 2, vmap vs a loop
with operand/indices/updates batched independently, jit vs eager, bad input."""
import numpy as np
import pytest

import jaxlite
from jaxlite import lax
from helpers import DATA_RNG, check_grads, check_jit, check_vmap, data, same_exact

DTYPES = [np.float32, np.float64, np.int32, np.bool_]


def _with_batch(shape, axis, size=3):
    if axis is None:
        return tuple(shape)
    shape = list(shape)
    shape.insert(axis if axis >= 0 else len(shape) + 1 + axis, size)
    return tuple(shape)


def _sum(x):
    return lax.reduce_sum(x, tuple(range(np.ndim(x))))


# --------------------------------------------------------------------- slice

SLICE_CASES = [((5,), (1,), (4,), None), ((5,), (0,), (5,), (2,)),
               ((3, 4), (1, 0), (3, 4), (1, 3)), ((0, 3), (0, 1), (0, 3), None),
               ((), (), (), None), ((6,), (2,), (2,), None), ((7,), (1,), (6,), (3,)),
               ((4,), (3,), (4,), (5,)), ((2, 5), (0, 4), (2, 5), (2, 2))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,start,limit,strides", SLICE_CASES)
def test_slice_matches_numpy(shape, start, limit, strides, dtype):
    x = data(shape, dtype)
    st = strides or (1,) * len(shape)
    expected = x[tuple(slice(a, b, c) for a, b, c in zip(start, limit, st))]
    same_exact(lax.slice(x, start, limit, strides), expected)


@pytest.mark.parametrize("shape,start,limit,strides",
                         [SLICE_CASES[i] for i in (0, 1, 2, 6, 7, 8)])
def test_slice_grads_jit(shape, start, limit, strides):
    x = data(shape)
    f = lambda x: lax.slice(x, start, limit, strides)
    check_grads(f, (x,))
    check_jit(f, (x,))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_slice_vmap(axis):
    f = lambda x: lax.slice(x, (1, 0), (3, 4), (1, 3))
    check_vmap(f, [data(_with_batch((3, 4), axis))], (axis,))
    check_vmap(jaxlite.vmap(f, in_axes=1), [data((2, 3, 5, 4))], (0,))


def test_slice_in_dim_and_index_in_dim():
    x = data((4, 5))
    same_exact(lax.slice_in_dim(x, 1, -1, 2, axis=1), x[:, 1:-1:2])
    same_exact(lax.slice_in_dim(x, None, None, axis=0), x)
    same_exact(lax.index_in_dim(x, -1, axis=0), x[-1:])
    same_exact(lax.index_in_dim(x, 2, axis=1, keepdims=False), x[:, 2])
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 1"):
        lax.index_in_dim(x, 5, axis=1)


def test_slice_errors():
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match="stride -1 of axis 0.*positive"):
        lax.slice(x, (2, 0), (0, 4), (-1, 1))
    with pytest.raises(ValueError, match="axis 1 \\(rank 2\\).*limit <= 4"):
        lax.slice(x, (0, 0), (3, 5))
    with pytest.raises(ValueError, match="start 2 and limit 1 of axis 0"):
        lax.slice(x, (2, 0), (1, 4))
    with pytest.raises(ValueError, match="rank-2 operand"):
        lax.slice(x, (0,), (3,))


# ------------------------------------------------------------- dynamic_slice

def _clamp_starts(starts, shape, sizes, negative=True):
    out = []
    for s, n, k in zip(starts, shape, sizes):
        s = int(s) + (n if negative and int(s) < 0 else 0)
        out.append(min(max(s, 0), n - k))
    return out


def _dynamic_slice_reference(x, starts, sizes):
    starts = _clamp_starts(starts, x.shape, sizes)
    return x[tuple(slice(s, s + k) for s, k in zip(starts, sizes))]


DS_CASES = [((5,), (1,), (3,)), ((5,), (4,), (3,)), ((5,), (-2,), (2,)),
            ((3, 4), (1, 7), (2, 2)), ((3, 4), (-10, 0), (1, 4)), ((0, 3), (0, 1), (0, 2)),
            ((), (), ()), ((4,), (2,), (0,)), ((4,), (9,), (4,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,starts,sizes", DS_CASES)
def test_dynamic_slice_matches_reference(shape, starts, sizes, dtype):
    x = data(shape, dtype)
    same_exact(lax.dynamic_slice(x, starts, sizes), _dynamic_slice_reference(x, starts, sizes))
    starts32 = [np.int32(s) for s in starts]
    same_exact(lax.dynamic_slice(x, starts32, sizes), _dynamic_slice_reference(x, starts, sizes))


def test_dynamic_slice_start_forms():
    x = data((4, 5))
    same_exact(lax.dynamic_slice(x, np.array([1, 2]), (2, 2)), x[1:3, 2:4])
    same_exact(lax.dynamic_slice(x, (-1, 0), (1, 5), allow_negative_indices=False), x[0:1])
    same_exact(lax.dynamic_slice_in_dim(x, 3, 2, axis=1), x[:, 3:5])
    same_exact(lax.dynamic_index_in_dim(x, 2, axis=0, keepdims=False), x[2])
    # Traced 1-D start array under jit.
    f = jaxlite.jit(lambda x, s: lax.dynamic_slice(x, s, (2, 3)))
    same_exact(np.asarray(f(x, np.array([3, -1], np.int32))), x[2:4, 2:5])


@pytest.mark.parametrize("shape,starts,sizes", [DS_CASES[i] for i in (0, 1, 3, 4)])
def test_dynamic_slice_grads_jit(shape, starts, sizes):
    x = data(shape)
    starts = [np.int32(s) for s in starts]
    f = lambda x: lax.dynamic_slice(x, starts, sizes)
    check_grads(f, (x,))
    check_jit(lambda x, *s: lax.dynamic_slice(x, s, sizes), (x, *starts))
    # Starts traced by jit, differentiated outside it.
    g = jaxlite.jit(lambda x, *s: lax.dynamic_slice(x, s, sizes))
    check_grads(lambda x: g(x, *starts), (x,))


def _ds(x, i, j):
    return lax.dynamic_slice(x, (i, j), (2, 2))


DS_AXES = [(0, None, None), (1, None, None), (-1, None, None), (None, 0, None),
           (None, 0, 0), (0, 0, 0), (1, None, 0), (-1, 0, 0)]


@pytest.mark.parametrize("in_axes", DS_AXES)
def test_dynamic_slice_vmap(in_axes):
    shapes = [(3, 4), (), ()]
    args = [data(_with_batch(s, a), d) for s, a, d in zip(shapes, in_axes,
                                                          (np.float64, np.int32, np.int32))]
    check_vmap(_ds, args, in_axes)


def test_dynamic_slice_nested_vmap_and_grad():
    f = jaxlite.vmap(_ds, in_axes=(None, 0, None))
    args = [data((2, 3, 4)), data((2, 5), np.int32), data((2,), np.int32)]
    check_vmap(f, args, (0, 0, 0))
    # Per-example gradient with per-example starts.
    g = jaxlite.vmap(jaxlite.grad(lambda x, i: _sum(_ds(x, i, i))), in_axes=(None, 0))
    x, idx = data((3, 4)), np.array([0, 2, -1, 7], np.int32)
    got = g(x, idx)
    for k, i in enumerate(idx):
        np.testing.assert_allclose(got[k], jaxlite.grad(lambda x: _sum(_ds(x, i, i)))(x))


def test_dynamic_slice_errors():
    x = np.zeros((3, 4))
    with pytest.raises(TypeError, match="got 1 start indices.*rank 2"):
        lax.dynamic_slice(x, (0,), (1, 1))
    with pytest.raises(TypeError, match="start index 1 must be an integer scalar"):
        lax.dynamic_slice(x, (0, 1.0), (1, 1))
    with pytest.raises(ValueError, match="slice size 5 of axis 1 \\(rank 2\\)"):
        lax.dynamic_slice(x, (0, 0), (1, 5))
    with pytest.raises(ValueError, match="rank-2 operand"):
        lax.dynamic_slice(x, (0, 0), (1,))


# ------------------------------------------------------ dynamic_update_slice

def _dus_reference(x, u, starts):
    starts = _clamp_starts(starts, x.shape, u.shape)
    out = x.copy()
    out[tuple(slice(s, s + k) for s, k in zip(starts, u.shape))] = u
    return out


DUS_CASES = [((5,), (2,), (1,)), ((5,), (3,), (4,)), ((5,), (2,), (-1,)),
             ((3, 4), (2, 2), (2, -7)), ((3, 4), (3, 0), (1, 1)), ((0, 3), (0, 2), (0, 5)),
             ((), (), ()), ((4,), (4,), (3,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,ushape,starts", DUS_CASES)
def test_dynamic_update_slice_matches_reference(shape, ushape, starts, dtype):
    x, u = data(shape, dtype), data(ushape, dtype)
    same_exact(lax.dynamic_update_slice(x, u, starts), _dus_reference(x, u, starts))


def test_dynamic_update_slice_in_dim():
    x, u = data((4, 5)), data((4,))
    expected = x.copy()
    expected[:, 2] = u
    same_exact(lax.dynamic_update_index_in_dim(x, u, 2, 1), expected)
    same_exact(lax.dynamic_update_slice_in_dim(x, u[:, None], -3, 1), expected)


@pytest.mark.parametrize("shape,ushape,starts", [DUS_CASES[i] for i in (0, 1, 3, 4)])
def test_dynamic_update_slice_grads_jit(shape, ushape, starts):
    x, u = data(shape), data(ushape)
    starts = [np.int32(s) for s in starts]
    f = lambda x, u: lax.dynamic_update_slice(x, u, starts)
    check_grads(f, (x, u))
    check_grads(lambda x: f(x, u), (x,))
    check_grads(lambda u: f(x, u), (u,))
    g = jaxlite.jit(lambda x, u, *s: lax.dynamic_update_slice(x, u, s))
    check_jit(g, (x, u, *starts))
    check_grads(lambda x, u: g(x, u, *starts), (x, u))


def _dus(x, u, i, j):
    return lax.dynamic_update_slice(x, u, (i, j))


DUS_AXES = [(0, None, None, None), (None, 0, None, None), (1, 0, None, None),
            (0, None, 0, None), (None, None, 0, 0), (None, 0, 0, None), (-1, 1, 0, 0),
            (1, -1, None, 0)]


@pytest.mark.parametrize("in_axes", DUS_AXES)
def test_dynamic_update_slice_vmap(in_axes):
    shapes = [(3, 4), (2, 2), (), ()]
    dts = (np.float64, np.float64, np.int32, np.int32)
    args = [data(_with_batch(s, a), d) for s, a, d in zip(shapes, in_axes, dts)]
    check_vmap(_dus, args, in_axes)


def test_dynamic_update_slice_nested_vmap():
    f = jaxlite.vmap(_dus, in_axes=(0, None, 0, None))
    args = [data((2, 3, 3, 4)), data((2, 2, 2)), data((2, 3), np.int32),
            data((2,), np.int32)]
    check_vmap(f, args, (0, 0, 0, 0))


def test_dynamic_update_slice_errors():
    x = np.zeros((3, 4))
    with pytest.raises(TypeError, match=r"update shape \(4, 1\).*operand shape \(3, 4\)"):
        lax.dynamic_update_slice(x, np.zeros((4, 1)), (0, 0))
    with pytest.raises(TypeError, match=r"update shape \(1,\).*operand shape \(3, 4\)"):
        lax.dynamic_update_slice(x, np.zeros((1,)), (0, 0))
    with pytest.raises(TypeError, match="update dtype int32 must match the operand dtype "
                                        "float64"):
        lax.dynamic_update_slice(x, np.zeros((1, 1), np.int32), (0, 0))
    with pytest.raises(TypeError, match="got 3 start indices"):
        lax.dynamic_update_slice(x, np.zeros((1, 1)), (0, 0, 0))


# ----------------------------------------------------------- gather/scatter

def _rows(x, idx, axes, b):
    """The selection tuple index row ``b`` addresses, or None if out of range."""
    sel = [slice(None)] * x.ndim
    for j, a in enumerate(axes):
        i = int(idx[b + (j,)])
        if not 0 <= i < x.shape[a]:
            return None
        sel[a] = i
    return tuple(sel)


def _gather_reference(x, idx, axes):
    clipped = idx.copy()
    for j, a in enumerate(axes):
        clipped[..., j] = np.clip(idx[..., j], 0, x.shape[a] - 1)
    batch = idx.shape[:-1]
    rest = tuple(x.shape[d] for d in range(x.ndim) if d not in axes)
    out = np.empty(batch + rest, x.dtype)
    for b in np.ndindex(*batch):
        out[b] = x[_rows(x, clipped, axes, b)]
    return out


def _scatter_reference(x, idx, upd, axes, add):
    out = x.copy()
    for b in np.ndindex(*idx.shape[:-1]):   # in order: the last duplicate wins
        sel = _rows(x, idx, axes, b)
        if sel is not None:
            out[sel] = out[sel] + upd[b] if add else upd[b]
    return out


def _indices(shape, batch, axes, spill=2):
    """Random indices (duplicates likely), ``spill`` out of range at both ends."""
    cols = [DATA_RNG.integers(-spill, shape[a] + spill, batch + (1,)) for a in axes]
    return np.concatenate(cols, -1).astype(np.int32) if cols else \
        np.zeros(batch + (0,), np.int32)


GATHER_CASES = [((5,), (3,), (0,)), ((3, 4), (2,), (1,)), ((3, 4), (2, 2), (0, 1)),
                ((2, 3, 4), (5,), (2, 0)), ((3, 4), (0,), (0,)), ((3, 4), (), (0,)),
                ((3,), (2,), ()), ((0, 3), (0,), (0,)), ((2, 3), (6,), (-1,))]


def _norm_axes(axes, ndim):
    return tuple(a % ndim for a in axes)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,batch,axes", GATHER_CASES)
def test_gather_matches_reference(shape, batch, axes, dtype):
    x = data(shape, dtype)
    idx = _indices(shape, batch, _norm_axes(axes, len(shape)))
    same_exact(lax.gather(x, idx, axes), _gather_reference(x, idx, _norm_axes(axes, len(shape))))


@pytest.mark.parametrize("op,add", [(lax.scatter_add, True), (lax.scatter, False)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,batch,axes", GATHER_CASES)
def test_scatter_matches_reference(op, add, shape, batch, axes, dtype):
    axes_n = _norm_axes(axes, len(shape))
    x = data(shape, dtype)
    idx = _indices(shape, batch, axes_n)
    upd = data(batch + tuple(shape[d] for d in range(len(shape)) if d not in axes_n), dtype)
    if add and dtype is np.bool_:     # scatter_add is numeric, as in JAX
        with pytest.raises(TypeError, match="bool"):
            op(x, idx, upd, axes)
        return
    got, expected = op(x, idx, upd, axes), _scatter_reference(x, idx, upd, axes_n, add)
    if add and np.dtype(dtype).kind == "f":   # summation order may differ
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    else:
        same_exact(got, expected)


def test_scatter_duplicates_and_python_lists():
    x = np.zeros(4)
    same_exact(lax.scatter_add(x, [[1], [1], [3], [9]], np.array([1., 2., 4., 8.]), (0,)),
          np.array([0., 3., 0., 4.]))
    same_exact(lax.scatter(x, [[1], [1], [-1]], np.array([1., 2., 4.]), (0,)),
          np.array([0., 2., 0., 0.]))
    same_exact(lax.gather(np.arange(4.), [[-5], [2], [10]], (0,)), np.array([0., 2., 3.]))


@pytest.mark.parametrize("shape,batch,axes", [GATHER_CASES[i] for i in (0, 2, 3, 5, 6)])
def test_gather_scatter_grads_jit(shape, batch, axes):
    axes_n = _norm_axes(axes, len(shape))
    x = data(shape)
    idx = _indices(shape, batch, axes_n)
    upd = data(batch + tuple(shape[d] for d in range(len(shape)) if d not in axes_n))
    g = lambda x: lax.gather(x, idx, axes)
    check_grads(g, (x,))
    jg = jaxlite.jit(lambda x, i: lax.gather(x, i, axes))
    check_jit(jg, (x, idx))
    check_grads(lambda x: jg(x, idx), (x,))   # indices traced inside jit
    for op in (lax.scatter_add, lax.scatter):
        f = lambda x, u: op(x, idx, u, axes)
        check_grads(f, (x, upd))
        check_grads(lambda u: f(x, u), (upd,))
        jf = jaxlite.jit(lambda x, i, u: op(x, i, u, axes))
        check_jit(jf, (x, idx, upd))
        check_grads(lambda x, u: jf(x, idx, u), (x, upd))


def test_scatter_grad_of_duplicates():
    # With duplicates only the kept (last) update gets the cotangent.
    idx = np.array([[1], [1], [3], [7]], np.int32)
    u = np.array([1., 2., 3., 4.])
    grad = jaxlite.grad(lambda u: _sum(lax.mul(lax.scatter(np.zeros(4), idx, u, (0,)),
                                                 np.arange(4.))))(u)
    same_exact(np.asarray(grad), np.array([0., 1., 3., 0.]))
    # The same with the indices traced (the winners are found by a staged scatter).
    h = jaxlite.jit(lambda u, i: _sum(lax.mul(lax.scatter(np.zeros(4), i, u, (0,)),
                                              np.arange(4.))))
    same_exact(np.asarray(jaxlite.grad(h)(u, idx)), np.array([0., 1., 3., 0.]))
    grad = jaxlite.grad(lambda u: _sum(lax.scatter_add(np.zeros(4), idx, u, (0,))))(u)
    same_exact(np.asarray(grad), np.array([1., 1., 1., 0.]))
    grad = jaxlite.grad(lambda x: _sum(lax.gather(x, idx, (0,))))(np.zeros(4))
    same_exact(np.asarray(grad), np.array([0., 2., 0., 2.]))   # index 7 clamps to 3


GATHER_AXES = [(0, None), (1, None), (-1, None), (None, 0), (None, 1), (None, -1), (0, 0),
               (1, -1), (-1, 1)]


@pytest.mark.parametrize("in_axes", GATHER_AXES)
def test_gather_vmap(in_axes):
    shape, batch, axes = (3, 4, 2), (2, 3), (2, 0)
    x = data(_with_batch(shape, in_axes[0]))
    idx_shape = _with_batch(batch + (2,), in_axes[1])
    idx = DATA_RNG.integers(-1, 5, idx_shape).astype(np.int32)
    check_vmap(lambda x, i: lax.gather(x, i, axes), [x, idx], in_axes)


SCATTER_AXES = [(0, None, None), (None, None, 0), (1, None, 1), (None, 0, None),
                (None, 0, 0), (0, 0, 0), (-1, -1, -1), (0, None, -1), (2, 1, None)]


@pytest.mark.parametrize("op", [lax.scatter_add, lax.scatter], ids=["add", "set"])
@pytest.mark.parametrize("in_axes", SCATTER_AXES)
def test_scatter_vmap(op, in_axes):
    shape, batch, axes = (3, 4, 2), (5,), (2, 0)
    x = data(_with_batch(shape, in_axes[0]))
    idx = DATA_RNG.integers(-1, 4, _with_batch(batch + (2,), in_axes[1])).astype(np.int32)
    upd = data(_with_batch(batch + (4,), in_axes[2]))
    check_vmap(lambda x, i, u: op(x, i, u, axes), [x, idx, upd], in_axes)


def test_gather_scatter_nested_vmap():
    g = jaxlite.vmap(lambda x, i: lax.gather(x, i, (0,)), in_axes=(None, 0))
    check_vmap(g, [data((2, 5, 3)), DATA_RNG.integers(0, 5, (2, 4, 1)).astype(np.int32)], (0, 0))
    s = jaxlite.vmap(lambda x, i, u: lax.scatter_add(x, i, u, (1,)), in_axes=(0, None, 1))
    args = [data((2, 3, 2, 5)), DATA_RNG.integers(0, 5, (2, 4, 1)).astype(np.int32),
            data((2, 4, 3, 2))]
    check_vmap(s, args, (0, 0, 0))


def test_per_example_gather_gradient():
    f = lambda x, i: _sum(lax.mul(lax.gather(x, i, (0,)), lax.gather(x, i, (0,))))
    g = jaxlite.vmap(jaxlite.grad(f), in_axes=(None, 0))
    x = data((5, 2))
    idx = DATA_RNG.integers(-1, 6, (4, 3, 1)).astype(np.int32)
    got = g(x, idx)
    for k in range(4):
        np.testing.assert_allclose(got[k], jaxlite.grad(f)(x, idx[k]))


def test_gather_scatter_errors():
    x = np.zeros((3, 4))
    with pytest.raises(TypeError, match="indices must be integers, got float64"):
        lax.gather(x, np.zeros((2, 1)), (0,))
    with pytest.raises(TypeError, match=r"indices shape \(2, 2\) must end in 1"):
        lax.gather(x, np.zeros((2, 2), np.int32), (0,))
    with pytest.raises(ValueError, match="out of bounds for array of rank 2"):
        lax.gather(x, np.zeros((2, 1), np.int32), (2,))
    with pytest.raises(ValueError, match="duplicates"):
        lax.gather(x, np.zeros((2, 2), np.int32), (0, -2))
    with pytest.raises(ValueError, match="axis 0 of size 0"):
        lax.gather(np.zeros((0, 2)), np.zeros((2, 1), np.int32), (0,))
    with pytest.raises(TypeError, match=r"updates shape \(2, 3\) must be \(2, 4\)"):
        lax.scatter_add(x, np.zeros((2, 1), np.int32), np.zeros((2, 3)), (0,))
    with pytest.raises(TypeError, match="same dtypes"):
        lax.scatter(x, np.zeros((2, 1), np.int32), np.zeros((2, 4), np.float32), (0,))
    with pytest.raises(TypeError, match="scatter_add does not support bool"):
        lax.scatter_add(x > 0, np.zeros((2, 1), np.int32), np.zeros((2, 4), bool), (0,))


# ------------------------------------------------ random gather/scatter programs

from hypothesis import given, settings, strategies as st  # noqa: E402


@st.composite
def _index_problems(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    axes = tuple(draw(st.permutations(range(len(shape))))[:draw(st.integers(0, len(shape)))])
    batch = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    return shape, batch, axes


@settings(max_examples=40, deadline=None)
@given(_index_problems())
def test_gather_scatter_random(problem):
    from helpers import check_vjp
    shape, batch, axes = problem
    x = data(shape)
    idx = _indices(shape, batch, axes)
    upd = data(batch + tuple(shape[d] for d in range(len(shape)) if d not in axes))
    same_exact(lax.gather(x, idx, axes), _gather_reference(x, idx, axes))
    got = lax.scatter_add(x, idx, upd, axes)
    np.testing.assert_allclose(got, _scatter_reference(x, idx, upd, axes, True), rtol=1e-12)
    same_exact(lax.scatter(x, idx, upd, axes), _scatter_reference(x, idx, upd, axes, False))
    check_vjp(lambda x: lax.gather(x, idx, axes), (x,))
    check_vjp(lambda x, u: lax.scatter(x, idx, u, axes), (x, upd))
    check_vjp(lambda x, u: lax.scatter_add(x, idx, u, axes), (x, upd))
