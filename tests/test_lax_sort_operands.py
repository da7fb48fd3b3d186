"""lax.sort over several operands (num_keys) and lax.sort_key_val, as JAX:
against numpy's lexsort, under jit, grad and vmap."""
import numpy as np
import pytest

import jaxlite
from jaxlite import lax

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("dimension", [0, 1, -1])
def test_two_keys_match_numpy_lexsort(dimension):
    k1 = RNG.integers(0, 3, (6, 7))
    k2 = RNG.integers(0, 4, (6, 7)).astype(np.float32)
    v = RNG.standard_normal((6, 7))
    idx = np.lexsort((k2, k1), axis=dimension)        # k1 first, then k2; stable
    want = [np.take_along_axis(a, idx, dimension) for a in (k1, k2, v)]
    for f in (lax.sort, jaxlite.jit(lax.sort, static_argnames=("dimension", "num_keys"))):
        got = f((k1, k2, v), dimension=dimension, num_keys=2)
        assert isinstance(got, tuple) and len(got) == 3
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
            assert g.dtype == w.dtype


def test_sort_key_val_and_single_sequences():
    keys, vals = np.array([3.0, 1.0, 2.0, 1.0]), np.array([10, 20, 30, 40])
    k, v = lax.sort_key_val(keys, vals)
    np.testing.assert_array_equal(k, [1, 1, 2, 3])
    np.testing.assert_array_equal(v, [20, 40, 30, 10])          # stable among ties
    (only,) = lax.sort([np.array([3.0, 1.0, 2.0])])
    np.testing.assert_array_equal(only, [1, 2, 3])
    np.testing.assert_array_equal(lax.sort(np.array([2, 1])), [1, 2])


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_keys"):
        lax.sort(np.ones(3), num_keys=2)
    with pytest.raises(ValueError, match="num_keys"):
        lax.sort((np.ones(3), np.ones(3)), num_keys=3)
    with pytest.raises(TypeError, match="same shape"):
        lax.sort((np.ones(3), np.ones(4)))


def test_values_are_differentiated_and_batched():
    keys = np.array([3.0, 1.0, 2.0])
    w = np.array([1.0, 2.0, 3.0])
    g = jaxlite.grad(lambda v: (lax.sort_key_val(keys, v)[1] * w).sum())(np.ones(3))
    np.testing.assert_array_equal(g, [3.0, 1.0, 2.0])     # each value lands at its key's rank
    ks, vs = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    got = jaxlite.vmap(lambda k, v: lax.sort_key_val(k, v))(ks, vs)
    idx = np.argsort(ks, axis=1, kind="stable")
    np.testing.assert_array_equal(got[1], np.take_along_axis(vs, idx, 1))
