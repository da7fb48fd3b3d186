"""Structural primitives: squeeze, expand_dims, rev, concatenate, pad, iota (and
broadcast_in_dim/reshape/transpose): eager vs numpy, derivatives against finite
differences to order 2, vmap vs a loop, jit vs eager, and bad input."""
import numpy as np
import pytest

import jaxlite
from jaxlite import lax
from helpers import check_grads, check_jit, check_vmap, data, same_exact

DTYPES = [np.float32, np.float64, np.int32, np.bool_]


def _with_batch(shape, axis, size=3):
    """``shape`` with a batch dim of ``size`` inserted at in_axes entry ``axis``."""
    if axis is None:
        return tuple(shape)
    shape = list(shape)
    shape.insert(axis if axis >= 0 else len(shape) + 1 + axis, size)
    return tuple(shape)


def _vmap_check(f, shapes, in_axes, dtype=np.float64):
    args = [data(_with_batch(s, a), dtype) for s, a in zip(shapes, in_axes)]
    check_vmap(f, args, tuple(in_axes))


def _sum(x):
    return lax.reduce_sum(x, tuple(range(np.ndim(x))))


# ------------------------------------------------ broadcast_in_dim/reshape/transpose

def test_existing_structural_ops():
    x = data((2, 3))
    same_exact(lax.broadcast_in_dim(x, (4, 2, 3), (1, 2)), np.broadcast_to(x, (4, 2, 3)))
    same_exact(lax.reshape(x, (3, 2)), x.reshape(3, 2))
    same_exact(lax.transpose(x, (1, 0)), x.T)
    check_grads(lambda x: lax.broadcast_in_dim(x, (2, 3, 2), (0, 1)), (x,))
    check_grads(lambda x: lax.transpose(lax.reshape(x, (3, 2)), (1, 0)), (x,))
    check_vmap(lambda x: lax.reshape(x, (6,)), [data((2, 4, 3))], (1,))


# ------------------------------------------------------------------- squeeze

SQUEEZE_CASES = [((1,), (0,)), ((3, 1, 4), (1,)), ((1, 3, 1), (0, 2)), ((1, 0, 1), (-1,)),
                 ((2, 3), ()), ((1, 1), (1, 0))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dims", SQUEEZE_CASES)
def test_squeeze_matches_numpy(shape, dims, dtype):
    x = data(shape, dtype)
    same_exact(lax.squeeze(x, dims), np.squeeze(x, axis=dims) if dims else x)


@pytest.mark.parametrize("shape,dims", SQUEEZE_CASES[:3])
def test_squeeze_grads_jit(shape, dims):
    x = data(shape)
    f = lambda x: lax.squeeze(x, dims)
    check_grads(f, (x,))
    check_jit(f, (x,))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_squeeze_vmap(axis):
    _vmap_check(lambda x: lax.squeeze(x, (0, 2)), [(1, 4, 1)], [axis])
    _vmap_check(lambda x: lax.squeeze(x, (-1,)), [(2, 1)], [axis])


def test_squeeze_nested_vmap():
    f = jaxlite.vmap(lambda x: lax.squeeze(x, (1,)), in_axes=1)
    check_vmap(f, [data((2, 4, 1, 3))], (3,))


def test_squeeze_errors():
    with pytest.raises(ValueError, match="size 3, not 1"):
        lax.squeeze(np.zeros((2, 3)), (1,))
    with pytest.raises(ValueError, match="out of bounds.*rank 2"):
        lax.squeeze(np.zeros((1, 3)), (2,))
    with pytest.raises(ValueError, match="out of bounds.*rank 2"):
        jaxlite.jit(lambda x: lax.squeeze(x, (-3,)))(np.zeros((1, 3)))


# ---------------------------------------------------------------- expand_dims

EXPAND_CASES = [((), (0,)), ((3,), (0, -1)), ((2, 3), (1,)), ((0, 2), (2,)), ((2,), (0, 1))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dims", EXPAND_CASES)
def test_expand_dims_matches_numpy(shape, dims, dtype):
    x = data(shape, dtype)
    same_exact(lax.expand_dims(x, dims), np.expand_dims(x, dims))


def test_expand_dims_grads_vmap_jit():
    x = data((2, 3))
    f = lambda x: lax.expand_dims(x, (0, 2))
    check_grads(f, (x,))
    check_jit(f, (x,))
    for axis in (0, 1, -1):
        _vmap_check(f, [(2, 3)], [axis])


def test_expand_dims_errors():
    with pytest.raises(ValueError, match="out of bounds.*rank 3"):
        lax.expand_dims(np.zeros((2, 3)), (3,))
    with pytest.raises(ValueError, match="repeat"):
        lax.expand_dims(np.zeros((2, 3)), (0, -4))


# ----------------------------------------------------------------------- rev

REV_CASES = [((), ()), ((5,), (0,)), ((2, 3, 4), (0, 2)), ((0, 3), (1,)), ((2, 3), (-1,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dims", REV_CASES)
def test_rev_matches_numpy(shape, dims, dtype):
    x = data(shape, dtype)
    same_exact(lax.rev(x, dims), np.flip(x, dims) if dims else x)


def test_rev_grads_vmap_jit():
    x = data((2, 3, 4))
    f = lambda x: lax.rev(x, (0, 2))
    check_grads(f, (x,))
    check_jit(f, (x,))
    for axis in (0, 1, -1):
        _vmap_check(f, [(2, 3, 4)], [axis])
    check_vmap(jaxlite.vmap(lambda x: lax.rev(x, (0,)), in_axes=-1), [data((3, 4, 2))], (0,))


def test_rev_errors():
    with pytest.raises(ValueError, match="out of bounds.*rank 2"):
        lax.rev(np.zeros((2, 3)), (2,))
    with pytest.raises(ValueError, match="duplicates"):
        lax.rev(np.zeros((2, 3)), (1, -1))


# --------------------------------------------------------------- concatenate

CONCAT_CASES = [([(2, 3), (4, 3)], 0), ([(2, 3), (2, 0), (2, 1)], 1), ([(5,)], 0),
                ([(0, 2), (0, 2)], 0), ([(2, 1, 3), (2, 2, 3)], -2), ([(1,), (1,), (3,)], 0)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes,dim", CONCAT_CASES)
def test_concatenate_matches_numpy(shapes, dim, dtype):
    xs = [data(s, dtype) for s in shapes]
    same_exact(lax.concatenate(xs, dim), np.concatenate(xs, axis=dim))


@pytest.mark.parametrize("shapes,dim", [CONCAT_CASES[0], CONCAT_CASES[1], CONCAT_CASES[4]])
def test_concatenate_grads_jit(shapes, dim):
    xs = tuple(data(s) for s in shapes)
    f = lambda *xs: lax.concatenate(xs, dim)
    check_grads(f, xs)
    check_jit(f, xs)


def test_concatenate_grad_of_one_operand():
    # The other operand is a constant: its cotangent is not needed.
    c = data((2, 2))
    check_grads(lambda x: lax.concatenate([c, x, c], 1), (data((2, 3)),))


@pytest.mark.parametrize("in_axes", [(0, 0), (1, None), (None, -1), (-1, 1), (0, None)])
def test_concatenate_vmap(in_axes):
    _vmap_check(lambda x, y: lax.concatenate([x, y], 1), [(2, 3), (2, 1)], in_axes)
    _vmap_check(lambda x, y: lax.concatenate([y, x, y], 0), [(2, 3), (1, 3)], in_axes)


def test_concatenate_nested_vmap():
    f = jaxlite.vmap(lambda x, y: lax.concatenate([x, y], 0), in_axes=(0, None))
    check_vmap(f, [data((2, 3, 4)), data((3, 4))], (1, 0))


def test_concatenate_errors():
    with pytest.raises(TypeError, match=r"\(2, 3\), \(3, 2\)"):
        lax.concatenate([np.zeros((2, 3)), np.zeros((3, 2))], 0)
    with pytest.raises(TypeError, match="one dtype.*float64, int32"):
        lax.concatenate([np.zeros((2, 3)), np.zeros((2, 3), np.int32)], 0)
    with pytest.raises(TypeError, match=r"\(2, 3\), \(2, 3, 1\)"):
        lax.concatenate([np.zeros((2, 3)), np.zeros((2, 3, 1))], 0)
    with pytest.raises(ValueError, match="out of bounds.*rank 2"):
        lax.concatenate([np.zeros((2, 3)), np.zeros((2, 3))], 2)
    with pytest.raises(ValueError, match="rank 0"):
        lax.concatenate([np.zeros(()), np.zeros(())], 0)
    with pytest.raises(TypeError, match="at least one"):
        lax.concatenate([], 0)


# ----------------------------------------------------------------------- pad

def _pad_reference(x, value, config):
    """Scatter each element to lo + i * (interior + 1), one at a time."""
    shape = [lo + hi + n + max(n - 1, 0) * i for n, (lo, hi, i) in zip(x.shape, config)]
    out = np.full(shape, value, x.dtype)
    for idx in np.ndindex(*x.shape):
        o = tuple(lo + k * (i + 1) for k, (lo, _, i) in zip(idx, config))
        if all(0 <= a < s for a, s in zip(o, shape)):
            out[o] = x[idx]
    return out


PAD_CASES = [((5,), [(1, 2, 0)]), ((5,), [(-1, -2, 1)]), ((3, 4), [(0, 1, 2), (2, -1, 0)]),
             ((0, 3), [(1, 1, 3), (0, 0, 0)]), ((), []), ((2, 3), [(-2, 0, 0), (-1, -1, 1)]),
             ((1,), [(0, 0, 5)]), ((4,), [(-3, 2, 0)]), ((3,), [(-4, 0, 2)])]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,config", PAD_CASES)
def test_pad_matches_reference(shape, config, dtype):
    x = data(shape, dtype)
    value = np.asarray(True if dtype is np.bool_ else 7, dtype)
    same_exact(lax.pad(x, value, config), _pad_reference(x, value, config))


def test_pad_python_scalar_value():
    x = data((3,), np.float32)
    same_exact(lax.pad(x, 1.5, [(1, 1, 1)]), _pad_reference(x, np.float32(1.5), [(1, 1, 1)]))


@pytest.mark.parametrize("shape,config", [PAD_CASES[i] for i in (0, 1, 2, 5, 7)])
def test_pad_grads_jit(shape, config):
    args = (data(shape), np.asarray(0.3))
    f = lambda x, v: lax.pad(x, v, config)
    check_grads(f, args)
    check_jit(f, args)
    check_grads(lambda x: lax.pad(x, 2.0, config), args[:1])


@pytest.mark.parametrize("in_axes", [(0, None), (1, None), (-1, None), (None, 0), (1, 0),
                                     (-1, 0)])
def test_pad_vmap(in_axes):
    _vmap_check(lambda x, v: lax.pad(x, v, [(1, -1, 1), (-1, 2, 0)]), [(3, 4), ()], in_axes)


def test_pad_nested_vmap():
    inner = jaxlite.vmap(lambda x, v: lax.pad(x, v, [(2, -1, 1)]), in_axes=(1, None))
    check_vmap(inner, [data((3, 4, 2)), data((3,))], (0, 0))


def test_pad_errors():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="2 entries.*rank 1"):
        lax.pad(np.zeros(3), 0.0, [(0, 0, 0), (0, 0, 0)])
    with pytest.raises(ValueError, match="interior padding -1 of axis 1.*non-negative"):
        lax.pad(x, 0.0, [(0, 0, 0), (0, 0, -1)])
    with pytest.raises(ValueError, match="axis 0.*negative size -1"):
        lax.pad(x, 0.0, [(-2, -1, 0), (0, 0, 0)])
    with pytest.raises(TypeError, match=r"scalar, got shape \(2,\)"):
        lax.pad(x, np.zeros(2), [(0, 0, 0), (0, 0, 0)])
    with pytest.raises(TypeError, match="same dtypes"):
        lax.pad(x, np.float32(0), [(0, 0, 0), (0, 0, 0)])


# ---------------------------------------------------------------------- iota

@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((0,), 0), ((2, 3), 1), ((2, 3, 4), 0),
                                       ((3, 0), -1)])
def test_broadcasted_iota_matches_numpy(shape, dim, dtype):
    expected = np.indices(shape, dtype=dtype)[dim] if shape else None
    same_exact(lax.broadcasted_iota(dtype, shape, dim), expected)


def test_iota():
    same_exact(lax.iota(np.int32, 4), np.arange(4, dtype=np.int32))
    same_exact(lax.iota(np.float32, 0), np.arange(0, dtype=np.float32))


def test_iota_in_transforms():
    x = data((3, 4))
    f = lambda x: lax.mul(x, lax.broadcasted_iota(np.float64, (3, 4), 1))
    check_grads(f, (x,))
    check_jit(f, (x,))
    check_jit(lambda: lax.iota(np.int32, 5), ())
    for axis in (0, 1, -1):
        _vmap_check(f, [(3, 4)], [axis])


def test_iota_errors():
    with pytest.raises(ValueError, match="out of bounds.*rank 2"):
        lax.broadcasted_iota(np.int32, (2, 3), 2)
    with pytest.raises(TypeError, match="integer or floating dtype, got bool"):
        lax.iota(np.bool_, 3)


# ------------------------------------------------------ random pad programs

from hypothesis import given, settings, strategies as st  # noqa: E402


@st.composite
def _pad_problems(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    config = []
    for n in shape:
        interior = draw(st.integers(0, 2))
        lo, hi = draw(st.integers(-3, 3)), draw(st.integers(-3, 3))
        inner = n + max(n - 1, 0) * interior
        if lo + hi + inner < 0:   # keep the result size non-negative
            lo = max(lo, -inner - hi)
        config.append((lo, hi, interior))
    return shape, config


@settings(max_examples=40, deadline=None)
@given(_pad_problems())
def test_pad_random_configs(problem):
    shape, config = problem
    x = data(shape)
    same_exact(lax.pad(x, np.float64(-1.0), config), _pad_reference(x, np.float64(-1.0), config))
    from helpers import check_vjp
    check_vjp(lambda x, v: lax.pad(x, v, config), (x, np.asarray(0.5)))


def test_full_and_broadcast_vs_numpy():
    same_exact(lax.full((2, 3), 1.5), np.full((2, 3), 1.5, np.float32))
    same_exact(lax.full((2, 3), 1.5, np.int32), np.full((2, 3), 1, np.int32))
    same_exact(lax.full((), np.float64(2.0)), np.float64(2.0))
    x = np.arange(6.0).reshape(2, 3)
    # broadcast prepends the new dimensions
    same_exact(lax.broadcast(x, (4,)), np.broadcast_to(x, (4, 2, 3)))
    same_exact(lax.broadcast(x, ()), x)
    check_grads(lambda a: lax.broadcast(a, (2, 1)), (x,), order=1)
