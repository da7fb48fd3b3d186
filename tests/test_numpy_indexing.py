"""x[idx] and x.at[idx] against numpy, their derivatives and vmap."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from helpers import check_grads, check_vmap, check_jit

X = np.arange(60, dtype=np.float32).reshape(3, 4, 5)

INDICES = [
    0, -1, (1, 2), (1, -2, 3), slice(None), slice(1, 3), slice(None, None, 2),
    slice(None, None, -1), slice(3, 0, -2), slice(-2, None), slice(5, 10),
    (slice(None), 1), (Ellipsis, 2), (1, Ellipsis), (None, 1), (slice(None), None, 2),
    (Ellipsis, None), (0, slice(None, None, -2), None, 1),
    np.array([0, 2]), np.array([[0, -1], [1, 2]]), [2, 0, 0],
    (np.array([0, 2]), np.array([1, 3])), (slice(None), np.array([0, 3])),
    (slice(None), np.array([0, 3]), np.array([1, 4])),
    (np.array([0, 2]), slice(None), np.array([1, 4])),
    (0, slice(None), np.array([1, 4])), (np.array([[1], [2]]), np.array([0, 3])),
    (Ellipsis, np.array([-1, 0])), (None, np.array([1]), slice(1, 3)),
    X[:, 0, 0] > 10, (slice(None), X[0, :, 0] > 8), X > 30, (X[:, :, 0] > 12, slice(None)),
    (np.int64(1), np.int32(2)), (), (slice(0, 0),),
]


@pytest.mark.parametrize("idx", INDICES, ids=range(len(INDICES)))
def test_getitem_vs_numpy(idx):
    out = jnp.asarray(X)[idx]
    ref = X[idx]
    assert out.shape == ref.shape and out.dtype == ref.dtype
    np.testing.assert_array_equal(out, ref)
    # the same through jit (boolean masks are concrete constants there)
    if not isinstance(idx, list):
        np.testing.assert_array_equal(jaxlite.jit(lambda x: x[idx])(X), ref)


def test_getitem_noncontiguous_and_dtypes():
    for dt in (np.int32, np.int64, np.bool_, np.float64):
        x = (np.arange(24).reshape(4, 6) % 5).astype(dt).T[::2]
        for idx in [(1, slice(None, None, -1)), np.array([0, 2]), (slice(1, None), 2)]:
            np.testing.assert_array_equal(jnp.asarray(x)[idx], x[idx])
            assert jnp.asarray(x)[idx].dtype == dt


def test_traced_integer_indices():
    x = np.arange(10.0)
    f = jaxlite.jit(lambda x, i: x[i] + x[i - 1])
    assert float(f(x, 3)) == 5.0
    assert float(f(x, -2)) == 8.0 + 7.0
    g = jaxlite.jit(lambda x, i: x[i, ::-1])
    np.testing.assert_array_equal(g(X, np.array([2, 0])), X[[2, 0], ::-1])


def test_index_errors():
    x = jnp.asarray(X)
    with pytest.raises(IndexError, match="out of bounds"):
        x[3]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0, 0]
    with pytest.raises(IndexError, match="integer"):
        x[np.array([0.5])]
    with pytest.raises(IndexError, match="boolean index"):
        x[np.array([True, False])]
    with pytest.raises(TypeError, match="boolean indices must be concrete"):
        jaxlite.jit(lambda x: x[x > 3])(X)
    with pytest.raises(TypeError, match=r"x.at\[0\].set\(1\)|at\[idx\]"):
        x[0] = 1
    with pytest.raises(ValueError, match="step cannot be zero"):
        x[::0]


AT_INDICES = [0, (1, 2), slice(1, None, 2), (slice(None), slice(None, None, -1)),
              np.array([0, 2]), (np.array([0, 2]), slice(None), np.array([1, -1])),
              X > 40, (Ellipsis, 3), (None, 1)]


@pytest.mark.parametrize("idx", AT_INDICES, ids=range(len(AT_INDICES)))
def test_at_updates_vs_numpy(idx):
    x = jnp.asarray(X)
    shape = X[idx].shape
    v = np.arange(np.prod(shape), dtype=np.float32).reshape(shape) + 100
    for method, apply in [("set", lambda r: v), ("add", lambda r: r + v),
                          ("multiply", lambda r: r * v), ("min", lambda r: np.minimum(r, v)),
                          ("max", lambda r: np.maximum(r, v))]:
        ref = X.copy()
        ref[idx] = apply(ref[idx])
        out = getattr(x.at[idx], method)(v)
        np.testing.assert_array_equal(out, ref, err_msg=method)
    np.testing.assert_array_equal(x.at[idx].get(), X[idx])
    np.testing.assert_array_equal(x, X)      # x itself is unchanged


def test_at_broadcast_duplicates_dtypes_and_traced():
    x = jnp.zeros(5)
    np.testing.assert_array_equal(x.at[np.array([1, 1, 3])].add(1.0), [0, 2, 0, 1, 0])
    np.testing.assert_array_equal(x.at[1:3].set(7), [0, 7, 7, 0, 0])
    assert jnp.zeros(3, jnp.int32).at[0].add(2.7).dtype == np.int32
    np.testing.assert_array_equal(jnp.arange(4).at[-1].mul(5), [0, 1, 2, 15])
    f = jaxlite.jit(lambda x, i, v: x.at[i].add(v))
    np.testing.assert_array_equal(f(np.zeros(4, np.float32), np.array([3, -4]), 2.0),
                                  [2, 0, 0, 2])
    with pytest.raises(TypeError, match=r"values of shape \(3,\).*\(2,\)"):
        x.at[:2].set(np.ones(3))


def test_take_and_friends():
    np.testing.assert_array_equal(jnp.take(X, np.array([[0, 2]]), axis=1),
                                  np.take(X, [[0, 2]], axis=1))
    np.testing.assert_array_equal(jnp.take(X, np.array([5, 7])), np.take(X, [5, 7]))
    idx = np.argsort(X[..., ::-1], axis=-1)
    np.testing.assert_array_equal(jnp.take_along_axis(X, idx, -1),
                                  np.take_along_axis(X, idx, -1))
    idx = np.array([[[1]], [[0]], [[3]]])
    np.testing.assert_array_equal(jnp.take_along_axis(X, idx, 1), np.take_along_axis(X, idx, 1))
    m = np.arange(12.0).reshape(3, 4)
    for k in (-1, 0, 2):
        np.testing.assert_array_equal(jnp.diagonal(m, k), np.diagonal(m, k))
    np.testing.assert_array_equal(jnp.trace(m), np.trace(m))
    np.testing.assert_array_equal(jnp.diagonal(X, 0, 1, 2), np.diagonal(X, 0, 1, 2))
    np.testing.assert_array_equal(jnp.nonzero(m > 5)[1], np.nonzero(m > 5)[1])
    np.testing.assert_array_equal(jnp.argwhere(m > 9), np.argwhere(m > 9))


def test_indexing_grads():
    x = np.random.default_rng(0).normal(size=(4, 5))
    check_grads(lambda x: x[1:, ::-2] * x[0, :3], (x,))
    check_grads(lambda x: x[np.array([0, 0, 3]), np.array([1, -1, 2])], (x,))
    check_grads(lambda x: x[x[:, 0] > 0], (x,), order=1)
    check_grads(lambda x: jnp.asarray(x).at[1:3, 2].add(x[0, :2] ** 2), (x,))
    check_grads(lambda x: jnp.asarray(x).at[np.array([0, 2])].set(x[1:3] * 2), (x,))
    check_grads(lambda x: jnp.take_along_axis(x, np.array([[0], [2], [1], [4]]), 1), (x,))


def test_indexing_vmap():
    x = np.random.default_rng(1).normal(size=(3, 4, 5))
    idx = np.array([[0, 3], [1, 1], [2, 0]])
    check_vmap(lambda a: a[1, ::-1], (x,))
    check_vmap(lambda a, i: a[i], (x, idx), (0, 0))
    check_vmap(lambda a, i: a[:, i], (x, idx), (0, None))
    check_vmap(lambda a, i: jnp.asarray(a)[i, 2:], (x, idx[:, 0] - 1), (None, 0))
    check_vmap(lambda a, i: jnp.asarray(a).at[i].add(1.0), (x, idx), (0, 0))
    check_vmap(lambda a, i: jnp.asarray(a).at[i, 0].set(a[0, 0]), (x, np.array([1, 2, 3])), (0, 0))
    check_jit(lambda a: jnp.asarray(a)[..., None, 1:3].at[0].set(0.0), (x,))


def test_at_out_of_bounds_index_arrays_are_dropped():
    x = jnp.zeros(4)
    np.testing.assert_array_equal(x.at[np.array([1, 7, -9, -1])].add(1.0), [0, 1, 0, 1])
    f = jaxlite.jit(lambda x, i: x.at[i].set(5.0))
    np.testing.assert_array_equal(f(np.zeros(4, np.float32), np.array([0, 4, -5, -2])),
                                  [5, 0, 5, 0])
    np.testing.assert_array_equal(jnp.zeros((2, 3)).at[np.array([0, 3]), 1:].set(2.0),
                                  [[0, 2, 2], [0, 0, 0]])
    g = jaxlite.grad(lambda v: jnp.sum(jnp.zeros(3).at[np.array([0, 5])].add(v) ** 2))
    np.testing.assert_array_equal(g(np.array([1.0, 1.0])), [2.0, 0.0])
    np.testing.assert_array_equal(jnp.arange(4.0)[np.array([9, -9])], [3.0, 0.0])  # get clamps
    with pytest.raises(IndexError, match="out of bounds"):
        x.at[5].set(1.0)


# ------------------------------------------------------------- properties

from hypothesis import given, settings, strategies as st  # noqa: E402


@st.composite
def _index_case(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    parts, dim = [], 0
    n_arrays = 0
    while dim < len(shape) and draw(st.booleans()):
        has_ellipsis = any(p is Ellipsis for p in parts)
        kind = draw(st.sampled_from(["int", "slice", "none", "array"]
                                    + ["ellipsis"] * (not has_ellipsis)))
        if kind == "int":
            parts.append(draw(st.integers(-shape[dim], shape[dim] - 1)))
            dim += 1
        elif kind == "slice":
            parts.append(slice(draw(st.none() | st.integers(-5, 5)),
                               draw(st.none() | st.integers(-5, 5)),
                               draw(st.none() | st.sampled_from([1, 2, -1, -2, 3]))))
            dim += 1
        elif kind == "none":
            parts.append(None)
        elif kind == "array" and n_arrays < 2:
            ishape = draw(st.sampled_from([(2,), (1, 3), (3,)])) if not n_arrays else (3,)
            parts.append(np.asarray(draw(st.lists(st.integers(-shape[dim], shape[dim] - 1),
                                                  min_size=int(np.prod(ishape)),
                                                  max_size=int(np.prod(ishape))))).reshape(ishape))
            n_arrays += 1
            dim += 1
        elif kind == "ellipsis":
            parts.append(Ellipsis)
            dim = len(shape) - sum(1 for p in parts if p is not None and p is not Ellipsis)
            dim = max(dim, len(shape) - 1)
    return shape, tuple(parts)


@settings(max_examples=120, deadline=None, derandomize=True)
@given(_index_case())
def test_getitem_and_at_match_numpy(case):
    shape, idx = case
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    try:
        ref = x[idx]
    except IndexError:
        return
    np.testing.assert_array_equal(jnp.asarray(x)[idx], ref)
    upd = x.copy()
    upd[idx] = -1.0
    np.testing.assert_array_equal(jnp.asarray(x).at[idx].set(-1.0), upd)
