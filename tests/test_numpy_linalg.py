"""dot, matmul (@), tensordot, inner, outer, vdot, einsum vs numpy; errors,
derivatives, vmap."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from helpers import check_grads, check_vmap, check_jit

RNG = np.random.default_rng(0)


def _r(*shape, dtype=np.float32):
    if np.dtype(dtype).kind == "i":
        return RNG.integers(-3, 4, size=shape).astype(dtype)
    return RNG.normal(size=shape).astype(dtype)


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
        a, b = _r(*sa, dtype=dtype), _r(*sb, dtype=dtype)
        _close(jnp.matmul(a, b), np.matmul(a, b))
        _close(jnp.asarray(a) @ b, a @ b)
        _close(a @ jnp.asarray(b), a @ b)
        if len(sb) <= 2 or len(sa) == 1:
            _close(jnp.dot(a, b), np.dot(a, b))
    a, b = _r(4, 3, dtype=dtype), _r(5, 4, dtype=dtype)
    _close(jnp.dot(a.T, b.T), np.dot(a.T, b.T))          # non-contiguous operands
    x, y = _r(2, 3, 4, dtype=dtype), _r(5, 4, 6, dtype=dtype)
    _close(jnp.dot(x, y), np.dot(x, y))
    _close(jnp.dot(3, x), 3 * x)


def test_mixed_dtype_products_promote():
    a, b = _r(2, 3), _r(3, 2, dtype=np.float64)
    _close(jnp.matmul(a, b), a.astype(np.float64) @ b)
    i = _r(3, 2, dtype=np.int32)
    _close(jnp.dot(a, i), a @ i.astype(np.float32))


def test_tensordot_inner_outer_vdot():
    a, b = _r(2, 3, 4), _r(3, 4, 5)
    _close(jnp.tensordot(a, b), np.tensordot(a, b))
    _close(jnp.tensordot(a, b, axes=([1, 2], [0, 1])), np.tensordot(a, b, axes=([1, 2], [0, 1])))
    m = _r(4, 2)
    _close(jnp.tensordot(a, m, axes=(2, 0)), np.tensordot(a, m, axes=(2, 0)))
    _close(jnp.tensordot(a, b, 0), np.tensordot(a, b, 0))
    c = _r(5, 4)
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
        ops = [_r(*s, dtype=dtype) for s in shapes]
        _close(jnp.einsum(spec, *ops), np.einsum(spec, *ops))
    ops = [_r(*s, dtype=np.int32) for s in shapes]
    _close(jnp.einsum(spec, *ops), np.einsum(spec, *ops))


def test_bad_inputs():
    with pytest.raises(TypeError, match=r"\(2, 3\) and \(4, 5\)"):
        jnp.matmul(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(TypeError, match=r"\(2, 3\) and \(2,\)"):
        jnp.dot(np.ones((2, 3)), np.ones(2))
    with pytest.raises(TypeError, match="matmul.*incompatible shapes"):
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
    a, b = RNG.normal(size=(3, 2, 4)), RNG.normal(size=(3, 4, 5))
    check_grads(lambda x, y: jnp.einsum("bij,bjk->bik", x, y), (a, b))
    check_grads(lambda x, y: jnp.einsum("bij,bjk->", x, y), (a, b))
    check_grads(lambda x, y: x @ y, (a, b))
    check_grads(lambda x, y: jnp.dot(x[0], y[0]), (a, b))
    check_grads(lambda x, y: jnp.tensordot(x, y, axes=([0, 2], [0, 1])), (a, b))
    check_grads(lambda x: jnp.outer(x[0, 0], x[1, 1]), (a,))


def test_vmap_and_jit():
    a, b = RNG.normal(size=(3, 2, 4)), RNG.normal(size=(3, 4, 5))
    check_vmap(lambda x, y: jnp.einsum("ij,jk->ki", x, y), (a, b))
    check_vmap(lambda x, y: jnp.einsum("ij,jk->ik", x, y), (a, b[0]), (0, None))
    check_vmap(lambda x, y: jnp.einsum("i,i->", x, y), (a[:, 0], a[:, 1]), (0, 0))
    check_vmap(lambda x, y: x @ y, (a, b), (0, 0))
    check_vmap(lambda x, y: jnp.dot(x, y), (np.asfortranarray(a[0]), b), (None, 0))
    check_jit(lambda x, y: jnp.matmul(x, y) + jnp.einsum("bij,bjk->bik", x, y), (a, b))


def test_norm():
    x = RNG.normal(size=(3, 5))
    for o in (None, 2, 1, np.inf, -np.inf, 0, 3):
        np.testing.assert_allclose(jnp.linalg.norm(x[0], o), np.linalg.norm(x[0], o), rtol=1e-12)
        np.testing.assert_allclose(jnp.linalg.norm(x, o, axis=1, keepdims=True),
                                   np.linalg.norm(x, o, axis=1, keepdims=True), rtol=1e-12)
    for o in (None, "fro", 1, -1, np.inf, -np.inf):
        np.testing.assert_allclose(jnp.linalg.norm(x, o), np.linalg.norm(x, o), rtol=1e-12)
        np.testing.assert_allclose(jnp.linalg.norm(x[None], o, axis=(1, 2)),
                                   np.linalg.norm(x[None], o, axis=(1, 2)), rtol=1e-12)
    assert jnp.linalg.norm(np.ones(3, np.int32)).dtype == np.float32
    with pytest.raises(ValueError, match="singular value"):
        jnp.linalg.norm(x, 2)
    check_grads(lambda a: jnp.linalg.norm(a, axis=0), (x,))
