"""jnp shape manipulation vs numpy, bad inputs, derivatives and vmap."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from helpers import check_grads, check_vmap, check_jit

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
XT = np.transpose(X, (2, 0, 1))           # non-contiguous


def _same(out, ref):
    assert out.shape == ref.shape and out.dtype == ref.dtype, (out.shape, ref.shape)
    np.testing.assert_array_equal(out, ref)


CASES = [
    ("reshape", lambda m, x: m.reshape(x, (4, -1))), ("reshape", lambda m, x: m.reshape(x, -1)),
    ("reshape", lambda m, x: m.reshape(x, (2, 2, 0, 3)) if x.size == 0 else m.reshape(x, (6, 4))),
    ("ravel", lambda m, x: m.ravel(x)),
    ("transpose", lambda m, x: m.transpose(x)), ("transpose", lambda m, x: m.transpose(x, (1, 2, 0))),
    ("swapaxes", lambda m, x: m.swapaxes(x, 0, -1)),
    ("moveaxis", lambda m, x: m.moveaxis(x, 0, -1)),
    ("moveaxis", lambda m, x: m.moveaxis(x, (0, 1), (2, 0))),
    ("expand_dims", lambda m, x: m.expand_dims(x, 1)),
    ("expand_dims", lambda m, x: m.expand_dims(x, (0, -1))),
    ("squeeze", lambda m, x: m.squeeze(m.expand_dims(x, (0, 2)))),
    ("squeeze", lambda m, x: m.squeeze(m.expand_dims(x, 0), 0)),
    ("broadcast_to", lambda m, x: m.broadcast_to(x, (5,) + x.shape)),
    ("concatenate", lambda m, x: m.concatenate([x, x[:1]], axis=0)),
    ("concatenate", lambda m, x: m.concatenate([x, x], axis=-1)),
    ("concatenate", lambda m, x: m.concatenate([x, x], axis=None)),
    ("stack", lambda m, x: m.stack([x, x, x], axis=1)),
    ("stack", lambda m, x: m.stack([x, x], axis=-1)),
    ("vstack", lambda m, x: m.vstack([x, x])), ("hstack", lambda m, x: m.hstack([x, x])),
    ("split", lambda m, x: m.split(x, 2, axis=0)),
    ("split", lambda m, x: m.split(x, [1, 3], axis=-1)),
    ("split", lambda m, x: m.split(x, [-1, 5], axis=2)),
    ("array_split", lambda m, x: m.array_split(x, 3, axis=2)),
    ("tile", lambda m, x: m.tile(x, 2)), ("tile", lambda m, x: m.tile(x, (2, 1, 1, 3))),
    ("repeat", lambda m, x: m.repeat(x, 2)), ("repeat", lambda m, x: m.repeat(x, 3, axis=1)),
    ("repeat", lambda m, x: m.repeat(x, np.array([1, 0, 2, 1]), axis=-1)),
    ("flip", lambda m, x: m.flip(x)), ("flip", lambda m, x: m.flip(x, 1)),
    ("flip", lambda m, x: m.flip(x, (0, 2))),
    ("pad", lambda m, x: m.pad(x, 1)), ("pad", lambda m, x: m.pad(x, ((0, 1), (2, 0), (1, 1)))),
    ("pad", lambda m, x: m.pad(x, (1, 2), constant_values=-1)),
    ("pad", lambda m, x: m.pad(x, ((1, 0), (0, 2), (1, 1)), constant_values=((1, 2), (3, 4), (5, 6)))),
    ("pad", lambda m, x: m.pad(x, 2, mode="edge")), ("pad", lambda m, x: m.pad(x, 1, mode="wrap")),
    ("pad", lambda m, x: m.pad(x, ((0, 0), (2, 1), (0, 0)), mode="reflect")),
    ("roll", lambda m, x: m.roll(x, 2)), ("roll", lambda m, x: m.roll(x, -1, axis=1)),
    ("roll", lambda m, x: m.roll(x, (1, 2), axis=(0, 2))),
    ("atleast_2d", lambda m, x: m.atleast_2d(x[0, 0])),
    ("tril", lambda m, x: m.tril(x)), ("triu", lambda m, x: m.triu(x, 1)),
]


@pytest.mark.parametrize("name,f", CASES, ids=[f"{n}{i}" for i, (n, _) in enumerate(CASES)])
def test_vs_numpy(name, f):
    for x in (X, XT, X.astype(np.int32), (X > 5), np.zeros((2, 0, 4), np.float64)):
        if name in ("pad",) and x.size == 0 and "mode" in str(f.__code__.co_consts):
            continue
        if name in ("roll", "tile", "repeat", "atleast_2d") and x.size == 0:
            continue
        try:
            ref = f(np, x)
        except (ValueError, IndexError):
            continue
        out = f(jnp, x)
        if isinstance(ref, list):
            assert len(out) == len(ref)
            for o, r in zip(out, ref):
                _same(o, r)
        else:
            _same(out, ref)


def test_scalars_and_lists():
    _same(jnp.reshape(3.0, (1, 1)), np.ones((1, 1), np.float32) * 3)
    _same(jnp.stack([1, 2, 3]), np.array([1, 2, 3], np.int32))
    _same(jnp.concatenate([np.ones(2, np.int32), np.ones(1, np.float32)]),
          np.ones(3, np.float32))
    _same(jnp.expand_dims(np.float32(2), 0), np.array([2.0], np.float32))
    assert jnp.broadcast_shapes((2, 1), (3,)) == (2, 3)
    a, b = jnp.broadcast_arrays(np.ones((2, 1)), np.ones(3))
    assert a.shape == b.shape == (2, 3)
    assert jnp.asarray(X).reshape(4, 6).shape == (4, 6)
    assert jnp.asarray(X).T.shape == (4, 3, 2)
    assert jnp.asarray(X).transpose(1, 0, 2).shape == (3, 2, 4)
    assert jnp.asarray(X).flatten().shape == (24,)


def test_bad_inputs():
    with pytest.raises(TypeError, match=r"shape \(2, 3, 4\).*into shape \(5, -1\)"):
        jnp.reshape(X, (5, -1))
    with pytest.raises(TypeError, match=r"cannot reshape"):
        jnp.reshape(X, (5, 5))
    with pytest.raises(ValueError, match="one unknown dimension"):
        jnp.reshape(X, (-1, -1))
    with pytest.raises(ValueError, match="axis 3 .*rank 3"):
        jnp.swapaxes(X, 0, 3)
    with pytest.raises(ValueError, match="axes .* don't match array of rank 3"):
        jnp.transpose(X, (0, 1))
    with pytest.raises(ValueError, match="size not equal to one"):
        jnp.squeeze(X, 1)
    with pytest.raises(TypeError, match=r"\(2, 3, 4\) to shape \(3, 4, 4\)"):
        jnp.broadcast_to(X, (3, 4, 4))
    with pytest.raises(TypeError, match=r"\(2, 3, 4\).*\(2, 2, 4\)"):
        jnp.concatenate([X, X[:, :2]], axis=0)
    with pytest.raises(TypeError, match="same shape"):
        jnp.stack([X, X[:1]])
    with pytest.raises(ValueError, match="equal division"):
        jnp.split(X, 5, axis=2)
    with pytest.raises(ValueError, match="unsupported mode"):
        jnp.pad(X, 1, mode="median")
    with pytest.raises(ValueError, match="zero-dimensional"):
        jnp.concatenate([np.float32(1), np.float32(2)])
    with pytest.raises(core_error()):
        jaxlite.jit(lambda r: jnp.repeat(X, r))(np.array([1, 1], np.int32))


def core_error():
    return jaxlite.ConcretizationTypeError


SHAPE_GRADS = [
    lambda x: jnp.reshape(x, (4, -1)) * 2, lambda x: jnp.moveaxis(x, 0, -1),
    lambda x: jnp.concatenate([x, x[:1] ** 2], 0), lambda x: jnp.stack([x, -x], 1),
    lambda x: jnp.split(x, [1], axis=1)[1], lambda x: jnp.tile(x, (2, 1, 2)),
    lambda x: jnp.repeat(x, 2, axis=2), lambda x: jnp.flip(x, (0, 2)),
    lambda x: jnp.pad(x, ((1, 0), (0, 2), (1, 1))), lambda x: jnp.pad(x, 1, mode="reflect"),
    lambda x: jnp.roll(x, 1, axis=2), lambda x: jnp.squeeze(jnp.expand_dims(x, 0)),
]


@pytest.mark.parametrize("f", SHAPE_GRADS, ids=range(len(SHAPE_GRADS)))
def test_grads(f):
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    check_grads(f, (x,), order=1)


def test_vmap_and_jit():
    x = np.random.default_rng(1).normal(size=(3, 2, 4))
    check_vmap(lambda a: jnp.concatenate([a, jnp.flip(a, 0)], axis=1), (x,), 1)
    check_vmap(lambda a: jnp.pad(jnp.tile(a, 2), 1), (x,), 2)
    check_vmap(lambda a, b: jnp.stack([a, b]), (x, x[0]), (0, None))
    check_jit(lambda a: (jnp.split(a, 2, 1), jnp.repeat(a, 2, 0), jnp.roll(a, 1)), (x,))


def test_meshgrid_diag_diff():
    a, b = np.arange(3.0), np.arange(4, dtype=np.int32)
    for indexing in ("xy", "ij"):
        for sparse in (False, True):
            for o, r in zip(jnp.meshgrid(a, b, a, indexing=indexing, sparse=sparse),
                            np.meshgrid(a, b, a, indexing=indexing, sparse=sparse)):
                _same(o, r)
    for k in (-1, 0, 2):
        _same(jnp.diag(a, k), np.diag(a, k))
        _same(jnp.diag(X[0], k), np.diag(X[0], k))
    x = np.random.default_rng(0).normal(size=(3, 5))
    for n, axis in ((1, -1), (2, 0), (3, 1)):
        np.testing.assert_allclose(jnp.diff(x, n, axis), np.diff(x, n, axis), rtol=1e-12)
    _same(jnp.diff(x > 0), np.diff(x > 0))
    check_grads(lambda v: jnp.diag(v, 1) * jnp.sum(jnp.diff(v) ** 2), (a,), order=1)
