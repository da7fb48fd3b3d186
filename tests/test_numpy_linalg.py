"""dot, matmul (@), tensordot (every axes form), inner, outer, vdot, einsum
(diagonals, broadcasting, random two-operand specs), kron, cross, vecdot,
matvec, vecmat vs numpy in every dtype; errors, derivatives, vmap."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import jaxlite
import jaxlite.numpy as jnp

from helpers import (DATA_RNG, DTYPES, F32, FLOATS, I64, check_grads, check_jit, check_vmap, data,
                     layouts, normal_array, same, tols)

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def _close(out, ref):
    assert out.shape == ref.shape, (out.shape, ref.shape)
    assert out.dtype == ref.dtype, (out.dtype, ref.dtype)
    tol = 1e-5 if ref.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 4)),
                 ((3,), (5, 3, 4)), ((5, 2, 3), (3,)), ((2, 1, 2, 3), (4, 3, 2)),
                 ((0, 3), (3, 4)), ((2, 0), (0, 4))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_matmul_and_dot(dtype):
    for sa, sb in MATMUL_SHAPES:
        a, b = data(sa, dtype), data(sb, dtype)
        _close(jnp.matmul(a, b), np.matmul(a, b))
        _close(jnp.asarray(a) @ b, a @ b)
        _close(a @ jnp.asarray(b), a @ b)
        if len(sb) <= 2 or len(sa) == 1:
            _close(jnp.dot(a, b), np.dot(a, b))
    a, b = data((4, 3), dtype), data((5, 4), dtype)
    _close(jnp.dot(a.T, b.T), np.dot(a.T, b.T))          # non-contiguous operands
    x, y = data((2, 3, 4), dtype), data((5, 4, 6), dtype)
    _close(jnp.dot(x, y), np.dot(x, y))
    _close(jnp.dot(3, x), 3 * x)


def test_mixed_dtype_products_promote():
    a, b = data((2, 3), np.float32), data((3, 2), np.float64)
    _close(jnp.matmul(a, b), a.astype(np.float64) @ b)
    i = data((3, 2), np.int32)
    _close(jnp.dot(a, i), a @ i.astype(np.float32))


def test_tensordot_inner_outer_vdot():
    a, b = data((2, 3, 4), np.float32), data((3, 4, 5), np.float32)
    _close(jnp.tensordot(a, b), np.tensordot(a, b))
    _close(jnp.tensordot(a, b, axes=([1, 2], [0, 1])), np.tensordot(a, b, axes=([1, 2], [0, 1])))
    m = data((4, 2), np.float32)
    _close(jnp.tensordot(a, m, axes=(2, 0)), np.tensordot(a, m, axes=(2, 0)))
    _close(jnp.tensordot(a, b, 0), np.tensordot(a, b, 0))
    c = data((5, 4), np.float32)
    _close(jnp.inner(a, c), np.inner(a, c))
    _close(jnp.outer(a[0], c), np.outer(a[0], c))
    _close(jnp.vdot(a, a), np.vdot(a, a))


EINSUM = [
    ("bij,bjk->bik", (4, 2, 3), (4, 3, 5)), ("ij,j->i", (2, 3), (3,)), ("i,i->", (3,), (3,)),
    ("ij,kj->ik", (2, 3), (4, 3)), ("ij,jk", (2, 3), (3, 4)), ("i,j->ij", (2,), (3,)),
    ("ij,ij->ij", (2, 3), (2, 3)), ("ijk,k->ji", (2, 3, 4), (4,)), ("ij,jk->", (2, 3), (3, 4)),
    ("bij,bkj->bki", (2, 3, 4), (2, 5, 4)), ("ij,k->ijk", (2, 3), (4,)),
    ("ijk,ikl->kjl", (2, 3, 4), (2, 4, 5)), ("...ij,...jk->...ik", (6, 2, 3), (6, 3, 4)),
    ("ij->ji", (2, 3)), ("ijk->k", (2, 3, 4)), ("ij,jk,kl->il", (2, 3), (3, 4), (4, 5)),
    ("ab,cd->", (2, 3), (4, 5)), ("abc,bd->dc", (2, 3, 4), (3, 5)),
]


@pytest.mark.parametrize("case", EINSUM, ids=[e[0] for e in EINSUM])
def test_einsum_vs_numpy(case):
    spec, *shapes = case
    for dtype in (np.float32, np.float64):
        ops = [data(s, dtype) for s in shapes]
        _close(jnp.einsum(spec, *ops), np.einsum(spec, *ops))
    ops = [data(s, np.int32) for s in shapes]
    _close(jnp.einsum(spec, *ops), np.einsum(spec, *ops))


def test_bad_inputs():
    with pytest.raises(TypeError, match=r"\(2, 3\) and \(4, 5\)"):
        jnp.matmul(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(TypeError, match=r"\(2, 3\) and \(2,\)"):
        jnp.dot(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="matmul.*Incompatible shapes"):     # as JAX
        jnp.matmul(np.ones((2, 2, 3)), np.ones((3, 3, 4)))
    with pytest.raises(ValueError, match="must not be scalars"):
        jnp.matmul(np.ones(3), 2.0)
    with pytest.raises(TypeError, match="index 'j' has size 3 .* 4"):
        jnp.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(TypeError, match="index 'i' has size 2 .* 3"):
        jnp.einsum("ii->i", np.ones((2, 3)))      # a diagonal of a non-square plane
    with pytest.raises(ValueError, match="2 operands, got 1"):
        jnp.einsum("ij,jk->ik", np.ones((2, 3)))
    with pytest.raises(ValueError, match="rank"):
        jnp.einsum("ijk,jk->i", np.ones((2, 3)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="output subscript"):
        jnp.einsum("ij,jk->iz", np.ones((2, 3)), np.ones((3, 4)))


def test_grads():
    a, b = DATA_RNG.normal(size=(3, 2, 4)), DATA_RNG.normal(size=(3, 4, 5))
    check_grads(lambda x, y: jnp.einsum("bij,bjk->bik", x, y), (a, b))
    check_grads(lambda x, y: jnp.einsum("bij,bjk->", x, y), (a, b))
    check_grads(lambda x, y: x @ y, (a, b))
    check_grads(lambda x, y: jnp.dot(x[0], y[0]), (a, b))
    check_grads(lambda x, y: jnp.tensordot(x, y, axes=([0, 2], [0, 1])), (a, b))
    check_grads(lambda x: jnp.outer(x[0, 0], x[1, 1]), (a,))


def test_vmap_and_jit():
    a, b = DATA_RNG.normal(size=(3, 2, 4)), DATA_RNG.normal(size=(3, 4, 5))
    check_vmap(lambda x, y: jnp.einsum("ij,jk->ki", x, y), (a, b))
    check_vmap(lambda x, y: jnp.einsum("ij,jk->ik", x, y), (a, b[0]), (0, None))
    check_vmap(lambda x, y: jnp.einsum("i,i->", x, y), (a[:, 0], a[:, 1]), (0, 0))
    check_vmap(lambda x, y: x @ y, (a, b), (0, 0))
    check_vmap(lambda x, y: jnp.dot(x, y), (np.asfortranarray(a[0]), b), (None, 0))
    check_jit(lambda x, y: jnp.matmul(x, y) + jnp.einsum("bij,bjk->bik", x, y), (a, b))


def test_norm():
    x = DATA_RNG.normal(size=(3, 5))
    for o in (None, 2, 1, np.inf, -np.inf, 0, 3):
        np.testing.assert_allclose(jnp.linalg.norm(x[0], o), np.linalg.norm(x[0], o), rtol=1e-12)
        np.testing.assert_allclose(jnp.linalg.norm(x, o, axis=1, keepdims=True),
                                   np.linalg.norm(x, o, axis=1, keepdims=True), rtol=1e-12)
    for o in (None, "fro", 1, -1, np.inf, -np.inf):
        np.testing.assert_allclose(jnp.linalg.norm(x, o), np.linalg.norm(x, o), rtol=1e-12)
        np.testing.assert_allclose(jnp.linalg.norm(x[None], o, axis=(1, 2)),
                                   np.linalg.norm(x[None], o, axis=(1, 2)), rtol=1e-12)
    assert jnp.linalg.norm(np.ones(3, np.int32)).dtype == np.float32
    np.testing.assert_allclose(jnp.linalg.norm(x, 2), np.linalg.norm(x, 2), rtol=1e-12)
    with pytest.raises(ValueError, match="Invalid order '3' for matrix norm"):
        jnp.linalg.norm(x, 3)
    check_grads(lambda a: jnp.linalg.norm(a, axis=0), (x,))


# ----------------------------------------------------------------- products

TENSORDOT = [
    ((2, 3, 4), (3, 4, 5), 0), ((2, 3, 4), (4, 5), 1), ((2, 3, 4), (3, 4, 5), 2),
    ((2, 3, 4), (2, 3, 4), 3), ((2, 3, 4), (3, 4, 5), ([1, 2], [0, 1])),
    ((2, 3, 4), (4, 5), ((2,), (0,))), ((2, 3, 4), (4, 5), (2, 0)),
    ((2, 3, 4), (5, 4), (-1, -1)), ((2, 3, 4), (3, 4, 5), ([-2, -1], [0, 1])),
    ((2, 3, 4), (4, 3, 5), (np.array([1, 2]), np.array([1, 0]))),
    ((2, 3, 4), (4, 5), [[2], [0]]), ((2, 3), (4,), ([], [])),
    ((2, 3, 4), (4, 3, 5), ([2, 1], [0, 1])), ((0, 3), (3, 0), 1), ((2, 0), (0, 3), 1),
]


@pytest.mark.parametrize("sa,sb,axes", TENSORDOT, ids=range(len(TENSORDOT)))
def test_tensordot_every_axes_form(sa, sb, axes):
    for dt in DTYPES:
        a, b = data(sa, dt), data(sb, dt)
        ref = np.tensordot(a, b, axes)
        for x, y in itertools.product(layouts(a), layouts(b)):
            same(jnp.tensordot(x, y, axes), ref)


def test_tensordot_empty_mixed_and_errors():
    same(jnp.tensordot(np.zeros((2, 0)), np.zeros((0, 3)), 1), np.zeros((2, 3)))
    same(jnp.tensordot(np.ones((2, 3), I64), np.ones(3, F32), 1), np.full(2, 3.0, F32))
    with pytest.raises(TypeError, match=r"\(2, 3\) and \(4, 5\)"):
        jnp.tensordot(np.ones((2, 3)), np.ones((4, 5)), 1)
    with pytest.raises(ValueError, match="same length"):
        jnp.tensordot(X, X, ([0, 1], [0]))
    with pytest.raises(ValueError, match="axis 3 .*rank 3"):
        jnp.tensordot(X, X, ([3], [0]))
    with pytest.raises(ValueError, match="invalid"):
        jnp.tensordot(X, X, 4)


def test_products_on_layouts_and_dtypes():
    for dt in DTYPES:
        a, b = data((3, 4), dt), data((4, 5), dt)
        for x, y in itertools.product(layouts(a), layouts(b)):
            same(jnp.dot(x, y), np.dot(a, b))
            same(jnp.matmul(x, y), np.matmul(a, b))
            same(jnp.asarray(x) @ y, a @ b)
            same(jnp.outer(x[0], y[:, 1]), np.outer(a[0], b[:, 1]))
        same(jnp.dot(np.zeros((0, 4), dt), b), np.zeros((0, 5), dt))
        same(jnp.outer(np.zeros(0, dt), a[0]), np.zeros((0, 4), dt))


EINSUM_DIAGONALS = [("ii->i", (3, 3)), ("ii->", (3, 3)), ("ii,i->i", (3, 3), (3,)),
                    ("iji,j->ij", (3, 4, 3), (4,)), ("iii->i", (2, 2, 2)),
                    ("iij,jk->ik", (3, 3, 4), (4, 2)), ("ii,jj->ij", (3, 3), (2, 2)),
                    ("ij,ii->j", (3, 4), (3, 3)), ("bii,bi->b", (2, 3, 3), (2, 3))]


@pytest.mark.parametrize("case", EINSUM_DIAGONALS, ids=[c[0] for c in EINSUM_DIAGONALS])
def test_einsum_repeated_index_takes_the_diagonal(case):
    spec, *shapes = case
    for dt in DTYPES:
        ops = [data(s, dt) for s in shapes]
        same(jnp.einsum(spec, *ops), np.einsum(spec, *ops))
    ops = [DATA_RNG.normal(size=s) for s in shapes]
    check_grads(lambda *a: jnp.einsum(spec, *a), ops, order=1)


@st.composite
def _einsum_case(draw):
    letters = "abcdef"[:draw(st.integers(1, 5))]
    sizes = {c: draw(st.integers(0, 3)) for c in letters}
    lhs = draw(st.lists(st.sampled_from(letters), max_size=4))
    rhs = draw(st.lists(st.sampled_from(letters), max_size=4))
    used = sorted(set(lhs) | set(rhs))
    out = draw(st.permutations(used))[:draw(st.integers(0, len(used)))]
    dt = draw(st.sampled_from(DTYPES))
    layout = draw(st.integers(0, 3))
    # letters an operand holds with size 1, broadcasting against the other (numpy's rule)
    ones = [draw(st.sets(st.sampled_from(letters))) for _ in range(2)]
    return "".join(lhs), "".join(rhs), "".join(out), sizes, dt, layout, ones


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_einsum_case())
def test_einsum_any_explicit_two_operand_spec(case):
    """Random specs: repeated letters (diagonals), letters on one side only
    (summed or kept), empty dims, size-1 dims broadcasting, every dtype."""
    lhs, rhs, out, sizes, dt, layout, ones = case
    spec = f"{lhs},{rhs}->{out}"
    a, b = [np.asarray(data(tuple(1 if c in one else sizes[c] for c in s), dt))
            for s, one in ((lhs, ones[0]), (rhs, ones[1]))]
    a = layouts(a)[min(layout, len(layouts(a)) - 1)]
    ref = np.einsum(spec, a, b)
    same(jnp.einsum(spec, a, b), ref)


EINSUM_BROADCASTS = [("...ij,...jk->...ik", (2, 1, 2, 3), (4, 3, 5)),
                     ("...ij,...jk->...ik", (1, 2, 3), (4, 3, 5)),
                     ("i...,i...->...", (3, 2), (3, 1)),
                     ("ij...,jk...->ik...", (2, 3, 4), (3, 5, 1)), ("ij,ij->", (2, 1), (2, 3)),
                     ("ij,ij->ij", (2, 1), (1, 3)), ("ij,jk->ik", (2, 1), (3, 4)),
                     ("bij,bjk->bik", (1, 2, 3), (5, 3, 4)), ("ij,ik->ijk", (1, 2), (3, 4))]


@pytest.mark.parametrize("case", EINSUM_BROADCASTS, ids=range(len(EINSUM_BROADCASTS)))
def test_einsum_broadcasts_size_one_dims_like_numpy(case):
    spec, sa, sb = case
    a, b = DATA_RNG.normal(size=sa), DATA_RNG.normal(size=sb)
    same(jnp.einsum(spec, a, b), np.einsum(spec, a, b))
    same(jaxlite.jit(lambda x, y: jnp.einsum(spec, x, y))(a, b), np.einsum(spec, a, b))
    check_grads(lambda x, y: jnp.einsum(spec, x, y), (a, b), order=1)
    with pytest.raises(TypeError, match="index 'i' has size 2 .* 3"):
        jnp.einsum("ii->i", np.ones((2, 3)))       # within one operand: no broadcasting


# ------------------------------------------------------------------ products

@pytest.mark.parametrize("sa,sb", [((2, 2), (2, 3)), ((3,), (2, 2)), ((2, 1, 3), (3, 2)),
                                   ((), (2,))])
def test_kron_vs_numpy(sa, sb):
    a, b = normal_array(sa), normal_array(sb)
    np.testing.assert_allclose(jnp.kron(a, b), np.kron(a, b), rtol=1e-14)
    ai = DATA_RNG.integers(-3, 3, size=sa).astype(np.int32)
    out = jnp.kron(ai, b.astype(np.float32))
    assert out.dtype == np.float32


@pytest.mark.parametrize("sa,sb,kw", [
    ((3,), (3,), {}),
    ((4, 3), (3,), {}),
    ((3, 4), (4, 3), dict(axisa=0)),
    ((3, 4), (3, 4), dict(axis=0)),
    ((2, 3), (5, 1, 3), dict(axisc=0)),
])
@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_vs_numpy(sa, sb, kw, dtype):
    a, b = normal_array(sa, dtype), normal_array(sb, dtype)
    out = jnp.cross(a, b, **kw)
    expected = np.cross(a, b, **kw)
    assert out.dtype == dtype and out.shape == expected.shape
    np.testing.assert_allclose(out, expected, **tols(dtype))


def test_cross_of_2_vectors_and_mixed():
    a, b = normal_array((4, 2)), normal_array((4, 2))
    np.testing.assert_allclose(jnp.cross(a, b), a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])
    c = normal_array((4, 3))
    pad = np.concatenate([a, np.zeros((4, 1))], axis=1)       # a 2-vector has z = 0
    np.testing.assert_allclose(jnp.cross(a, c), np.cross(pad, c), rtol=1e-14)
    np.testing.assert_allclose(jnp.cross(c, a), np.cross(c, pad), rtol=1e-14)
    with pytest.raises(ValueError, match="dimension must be 2 or 3"):
        jnp.cross(np.ones(4), np.ones(4))


@pytest.mark.parametrize("s1,s2,axis", [((3,), (3,), -1), ((2, 1, 3), (4, 3), -1),
                                        ((3, 4), (3, 4), 0), ((4, 3, 2), (3, 2), -2),
                                        ((1, 3, 2), (4, 3, 2), 1)])
def test_vecdot_vs_numpy(s1, s2, axis):
    a, b = normal_array(s1), normal_array(s2)
    np.testing.assert_allclose(jnp.vecdot(a, b, axis=axis), np.vecdot(a, b, axis=axis),
                               rtol=1e-13)


def test_vecdot_size_mismatch_is_a_value_error():
    # JAX raises ValueError here (numpy too: a gufunc core-dimension mismatch)
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\)"):
        jnp.vecdot(np.ones((2, 3)), np.ones(4))


@pytest.mark.parametrize("s1,s2", [((2, 3), (3,)), ((4, 2, 3), (4, 3)), ((2, 3), (5, 3)),
                                   ((1, 2, 3), (6, 3))])
def test_matvec_vs_numpy(s1, s2):
    a, b = normal_array(s1), normal_array(s2)
    np.testing.assert_allclose(jnp.matvec(a, b), np.matvec(a, b), rtol=1e-13)


@pytest.mark.parametrize("s1,s2", [((3,), (3, 2)), ((4, 3), (4, 3, 2)), ((5, 3), (3, 2))])
def test_vecmat_vs_numpy(s1, s2):
    a, b = normal_array(s1), normal_array(s2)
    np.testing.assert_allclose(jnp.vecmat(a, b), np.vecmat(a, b), rtol=1e-13)


def test_matvec_vecmat_rank_errors():
    with pytest.raises(ValueError, match="x1 must have rank >= 2"):
        jnp.matvec(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="x2 must have rank >= 2"):
        jnp.vecmat(np.ones(3), np.ones(3))
    with pytest.raises(TypeError):
        jnp.matvec(np.ones((2, 3)), np.ones(4))


def test_einsum_sublist_form_vs_numpy():
    # numpy's einsum(op, sublist, op, sublist, ..., [output]) calling form.
    x = np.arange(12.0).reshape(3, 4)
    y = np.arange(8.0).reshape(4, 2)
    z = np.ones((2, 3, 4))
    for args in [(x, [0, 1], x, [2, 1], [0, 2]), (x, [0, 1], y, [1, 2]), (x, [0, 1], []),
                 (z, [Ellipsis, 1], y, [1, 2], [Ellipsis, 2]), (x[:, :3], [0, 0])]:
        np.testing.assert_allclose(jnp.einsum(*args), np.einsum(*args), rtol=1e-12)
    f = jaxlite.jit(lambda a, b: jnp.einsum(a, [0, 1], b, [1, 2], [2, 0]))
    np.testing.assert_allclose(f(x, y), np.einsum(x, [0, 1], y, [1, 2], [2, 0]), rtol=1e-12)
