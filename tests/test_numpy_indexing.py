"""x[idx] and x.at[idx] against numpy (repeated indices applying every
update, boolean scalar indices, non-contiguous operands), their derivatives
and vmap."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax

from helpers import (B, DATA_RNG, DTYPES, F32, F64, I32, I64, check_grads, check_jit, check_vmap,
                     data, layouts, same)

X = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
X234 = np.arange(24, dtype=np.float32).reshape(2, 3, 4)

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
    # A static index out of bounds clamps, as JAX's gathers do.
    np.testing.assert_array_equal(x[9], X[-1])
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0, 0]
    with pytest.raises(IndexError, match="integer"):
        x[np.array([0.5])]
    with pytest.raises(IndexError, match="boolean index"):
        x[np.array([True, False])]
    with pytest.raises(IndexError, match="boolean indices must be concrete"):     # as JAX
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
    with pytest.raises(ValueError, match=r"values of shape \(3,\).*\(2,\)"):     # as JAX
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
    # Out of range, as JAX: the default mode fills (NaN, or the lowest int),
    # "clip" clamps, and negative indices in range count from the end.
    m = np.arange(12.0).reshape(3, 4)
    i = np.array([[-1], [0], [5]])
    np.testing.assert_array_equal(jnp.take_along_axis(m, i, 1)[:, 0], [3, 4, np.nan])
    np.testing.assert_array_equal(jaxlite.jit(lambda a, b: jnp.take_along_axis(a, b, 1))(m, i)[:, 0],
                                  [3, 4, np.nan])
    np.testing.assert_array_equal(jnp.take_along_axis(m, i, 1, mode="fill", fill_value=-3)[:, 0],
                                  [3, 4, -3])
    np.testing.assert_array_equal(jnp.take_along_axis(m, i, 1, mode="clip")[:, 0], [3, 4, 11])
    np.testing.assert_array_equal(jnp.take_along_axis(m.astype(np.int32), i, 1)[:, 0],
                                  [3, 4, np.iinfo(np.int32).min])
    with pytest.raises(ValueError, match="Unknown gather mode"):
        jnp.take_along_axis(m, i, 1, mode="wrap")
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
    # A static int out of bounds drops its update too (as JAX).
    np.testing.assert_array_equal(x.at[5].set(1.0), x)


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


# ------------------------------------------------------- x.at with repeats

AT_X = np.arange(1.0, 7.0)
AT_IDX = np.array([0, 2, 0, 0, 5, 2])
AT_V = np.array([2.0, 3.0, 0.5, 4.0, 7.0, -1.0])


def _at_reference(how, x, idx, v):
    """Every update applied: numpy's ufunc.at; divide/power use the product of
    the updates to an element (as JAX does)."""
    out = x.astype(F64)
    if how in ("divide", "power"):
        prod = np.ones_like(out)
        np.multiply.at(prod, idx, v)
        return out / prod if how == "divide" else out ** prod
    ufunc = {"add": np.add, "multiply": np.multiply, "mul": np.multiply,
             "min": np.minimum, "max": np.maximum}[how]
    ufunc.at(out, idx, v)
    return out


@pytest.mark.parametrize("how", ["add", "mul", "multiply", "min", "max", "divide", "power"])
def test_at_applies_every_update_to_a_repeated_index(how):
    ref = _at_reference(how, AT_X, AT_IDX, AT_V)
    eager = getattr(jnp.asarray(AT_X).at[AT_IDX], how)(AT_V)
    traced = jaxlite.jit(lambda x, i, v: getattr(x.at[i], how)(v))(AT_X, AT_IDX, AT_V)
    static = jaxlite.jit(lambda x, v: getattr(x.at[AT_IDX], how)(v))(AT_X, AT_V)
    for out in (eager, traced, static):
        np.testing.assert_allclose(out, ref, rtol=1e-12)
    x2 = AT_X.reshape(2, 3)
    rows = np.array([1, 0, 1])
    v2 = DATA_RNG.uniform(0.5, 2.0, (3, 3))
    ref2 = _at_reference(how, x2, rows, v2)
    np.testing.assert_allclose(getattr(jnp.asarray(x2).at[rows], how)(v2), ref2, rtol=1e-12)
    np.testing.assert_allclose(
        jaxlite.jit(lambda x, i, v: getattr(x.at[i], how)(v))(x2, rows, v2), ref2, rtol=1e-12)


@pytest.mark.parametrize("dt", [I32, I64, F32])
def test_at_repeats_integer_and_float32(dt):
    x = np.arange(1, 5).astype(dt)
    idx = np.array([1, 1, 3, 1])
    v = np.array([2, 3, -1, 2]).astype(dt)
    for how in ("add", "mul", "min", "max"):
        ref = _at_reference(how, x, idx, v).astype(dt)
        same(getattr(jnp.asarray(x).at[idx], how)(v), ref)
        same(jaxlite.jit(lambda a, i, w: getattr(a.at[i], how)(w))(x, idx, v), ref)


def test_at_repeats_out_of_bounds_dropped_and_grads():
    out = jaxlite.jit(lambda x, i, v: x.at[i].mul(v))(AT_X, np.array([0, 9, 0, -1, -9]),
                                                      np.array([2., 5., 3., 10., 4.]))
    np.testing.assert_allclose(out, [6, 2, 3, 4, 5, 60])
    idx = np.array([0, 2, 0])
    w = np.array([1.5, -2.0, 0.7])
    check_grads(lambda a, v: jnp.asarray(a).at[idx].mul(v), (AT_X, w), order=1)
    check_grads(lambda a, v: jnp.asarray(a).at[idx].max(v), (AT_X * 0.1, w), order=1)
    check_grads(lambda a, v: jaxlite.jit(lambda a, v, i: a.at[i].mul(v))(a, v, idx), (AT_X, w),
                order=1)


def test_at_on_layouts_dtypes_and_empty():
    for dt in DTYPES:
        base = data((4, 5), dt)
        for x in layouts(base):
            for idx in [1, (slice(None), 0), np.array([3, 0]), (Ellipsis, -1), (slice(0, 0),)]:
                v = data(x[idx].shape, dt, positive=True)
                ref = x.copy()
                ref[idx] = v
                same(jnp.asarray(x).at[idx].set(v), ref)
                if dt != B:
                    ref = x.copy()
                    np.add.at(ref, idx, v)
                    same(jnp.asarray(x).at[idx].add(v), ref)
    z = jnp.zeros((0, 3))
    same(z.at[:, 1].set(5.0), np.zeros((0, 3), F32))
    same(z.at[np.array([], I32)].add(1.0), np.zeros((0, 3), F32))
    same(z[:, np.array([0, 2])], np.zeros((0, 2), F32))


# ---------------------------------------------------- indexing on layouts

def test_getitem_on_layouts_and_dtypes():
    for dt in DTYPES:
        base = data((4, 5, 3), dt)
        for x in layouts(base):
            for idx in [(1, slice(None, None, -2)), np.array([[0, 3], [2, 2]]),
                        (slice(None), np.array([4, 0]), 1), (Ellipsis, None, 0),
                        base[..., 0] > 0 if dt == B else (np.array([-1]), slice(1, 3))]:
                same(jnp.asarray(x)[idx], x[idx])
                same(jaxlite.jit(lambda a: a[idx])(x), x[idx])


def test_at_with_repeats_under_vmap():
    from helpers import check_vmap
    x = DATA_RNG.normal(size=(3, 5))
    idx = np.array([[0, 0, 2], [1, 4, 1], [3, 3, 3]])
    v = DATA_RNG.normal(size=(3, 3))
    check_vmap(lambda a, i, w: jnp.asarray(a).at[i].mul(w), (x, idx, v), (0, 0, 0))
    check_vmap(lambda a, w: jnp.asarray(a).at[np.array([0, 0, 2])].max(w), (x, v), (0, 0))
    check_vmap(lambda a, i: jnp.asarray(a).at[i].min(-1.0), (x, idx), (None, 0))


BOOL_SCALAR_INDICES = [True, False, np.bool_(True), np.array(True), np.array(False), (0, True),
                       (True, 0), (Ellipsis, True), (True, Ellipsis, False), (None, True, None),
                       (True, [0, 1]), ([0, 1], True, [1, 2]), (0, True, [1, 2], 1),
                       (slice(None), True, slice(1, 3)), (True, True), (False, 1)]


@pytest.mark.parametrize("idx", BOOL_SCALAR_INDICES, ids=range(len(BOOL_SCALAR_INDICES)))
def test_boolean_scalar_indices_add_an_axis_like_numpy(idx):
    """x[True] has a new axis of size 1 and x[False] one of size 0; mixed with
    index arrays they broadcast as numpy's advanced indices do."""
    ref = X234[idx]
    same(jnp.asarray(X234)[idx], ref)
    same(jaxlite.jit(lambda a: a[idx])(X234), ref)
    for how, update in (("set", lambda r: np.full_like(r, -1.0)), ("add", lambda r: r + 5.0)):
        want = X234.copy()
        want[idx] = update(want[idx])
        same(getattr(jnp.asarray(X234).at[idx], how)(-1.0 if how == "set" else 5.0), want)


def test_at_combine_compares_positions_only_when_they_can_repeat():
    """A traced scalar index with slices never repeats an element: no n x n
    comparison of positions is staged (it is for a traced index array)."""
    x = np.ones((4, 5), F32)
    scalar = str(jaxlite.make_jaxpr(lambda a, i: a.at[i, :].mul(2.0))(x, np.int32(1)))
    assert "bool[5,5]" not in scalar and "reduce_prod" not in scalar
    array = str(jaxlite.make_jaxpr(lambda a, i: a.at[i].mul(2.0))(x, np.array([1, 1])))
    assert "bool[10,10]" in array
    same(jaxlite.jit(lambda a, i: a.at[i, :].mul(2.0))(x, np.int32(-1)),
          np.concatenate([np.ones((3, 5)), np.full((1, 5), 2.0)]).astype(F32))


def test_flatnonzero_vs_numpy():
    for x in (np.array([[0, 1], [2, 0]]), np.array([0.0, -1.5, 0.0, 3.0]), np.zeros((2, 3)),
              np.array([True, False, True])):
        np.testing.assert_array_equal(jnp.flatnonzero(x), np.flatnonzero(x))


def test_boolean_mask_of_a_traced_value_is_non_concrete_error():
    f = jaxlite.jit(lambda x: x[x > 0])
    with pytest.raises(jaxlite.errors.NonConcreteBooleanIndexError) as info:
        f(np.arange(-2.0, 3.0))
    assert isinstance(info.value, IndexError)        # as JAX's (a JAXIndexError)
    np.testing.assert_array_equal(jnp.asarray(np.arange(-2.0, 3.0))[np.arange(5) > 2], [1.0, 2.0])


def test_traced_slice_bounds_are_index_errors_as_jax():
    # Under jit a slice's size must be static: JAX raises IndexError (reads and
    # .at updates); with concrete values (eager grad) the slice works.
    x = jnp.arange(4.0)
    with pytest.raises(IndexError, match="Slice entries must be static integers"):
        jaxlite.jit(lambda v, i: v[i:i + 2])(x, 1)
    with pytest.raises(IndexError, match="Slice entries must be static integers"):
        jaxlite.jit(lambda v, i: v.at[1:i].set(0.0))(x, 3)
    np.testing.assert_array_equal(jaxlite.grad(lambda v, i: v[i:i + 2].sum())(x, 1), [0, 1, 1, 0])
    np.testing.assert_array_equal(jaxlite.jit(lambda v, i: lax.dynamic_slice(v, (i,), (2,)))(x, 1),
                                  [1, 2])
