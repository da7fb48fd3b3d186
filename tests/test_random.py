"""jaxlite.random: shapes, dtypes, determinism, independence, moments."""
import numpy as np
import pytest

import jaxlite
from jaxlite import random


KEY = random.PRNGKey(0)


def test_key_layout():
    assert KEY.shape == (2,) and KEY.dtype == np.int64
    np.testing.assert_array_equal(random.PRNGKey(5), [0, 5])
    np.testing.assert_array_equal(random.PRNGKey(2 ** 32 + 7), [1, 7])
    keys = random.split(KEY, 3)
    assert keys.shape == (3, 2) and keys.dtype == np.int64
    assert ((np.asarray(keys) >= 0) & (np.asarray(keys) < 2 ** 32)).all()


def test_determinism_and_order_independence():
    a = random.normal(KEY, (5,))
    random.uniform(random.PRNGKey(3), (7,))        # unrelated draws change nothing
    b = random.normal(KEY, (5,))
    np.testing.assert_array_equal(a, b)
    k1, k2 = random.split(KEY)
    np.testing.assert_array_equal(random.split(KEY)[1], k2)
    assert not np.array_equal(random.normal(k1, (5,)), random.normal(k2, (5,)))


def test_split_keys_are_distinct_and_uncorrelated():
    keys = random.split(KEY, 100)
    assert len({tuple(k) for k in np.asarray(keys).tolist()}) == 100
    x = np.stack([np.asarray(random.normal(k, (1000,))) for k in keys[:2]])
    assert abs(np.corrcoef(x)[0, 1]) < 0.1


def test_fold_in():
    a, b = random.fold_in(KEY, 1), random.fold_in(KEY, 2)
    assert a.shape == (2,) and not np.array_equal(a, b)
    np.testing.assert_array_equal(a, random.fold_in(KEY, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_moments(dtype):
    x = np.asarray(random.normal(KEY, (100_000,), dtype))
    assert x.dtype == dtype
    assert abs(x.mean()) < 0.02 and abs(x.std() - 1) < 0.02


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform(dtype):
    x = np.asarray(random.uniform(KEY, (50_000,), dtype))
    assert x.dtype == dtype and x.min() >= 0 and x.max() < 1
    assert abs(x.mean() - 0.5) < 0.01 and abs(x.var() - 1 / 12) < 0.01
    y = np.asarray(random.uniform(KEY, (2, 3), minval=-2.0, maxval=-1.0))
    assert y.shape == (2, 3) and (y >= -2).all() and (y < -1).all()


def test_randint():
    x = np.asarray(random.randint(KEY, (10_000,), 3, 7))
    assert x.dtype == np.int32 and set(np.unique(x)) == {3, 4, 5, 6}
    y = np.asarray(random.randint(KEY, (4,), -5, 5, dtype=np.int64))
    assert y.dtype == np.int64 and ((y >= -5) & (y < 5)).all()


def test_bernoulli():
    x = np.asarray(random.bernoulli(KEY, 0.3, (20_000,)))
    assert x.dtype == np.bool_ and abs(x.mean() - 0.3) < 0.02
    p = np.array([0.0, 1.0])
    np.testing.assert_array_equal(random.bernoulli(KEY, p), [False, True])


def test_permutation_and_choice():
    p = np.asarray(random.permutation(KEY, 10))
    assert sorted(p.tolist()) == list(range(10))
    x = np.arange(12).reshape(6, 2)
    px = np.asarray(random.permutation(KEY, x))
    assert sorted(px[:, 0].tolist()) == [0, 2, 4, 6, 8, 10]
    np.testing.assert_array_equal(px[:, 1], px[:, 0] + 1)
    c = np.asarray(random.choice(KEY, 5, (1000,)))
    assert c.shape == (1000,) and set(np.unique(c)) == set(range(5))
    c = np.asarray(random.choice(KEY, np.array([10, 20, 30]), (3,), replace=False))
    assert sorted(c.tolist()) == [10, 20, 30]
    c = np.asarray(random.choice(KEY, 3, (5000,), p=np.array([0.0, 0.2, 0.8])))
    assert 0 not in c and abs((c == 2).mean() - 0.8) < 0.03


def test_truncated_normal_and_categorical():
    t = np.asarray(random.truncated_normal(KEY, -1.0, 2.0, (10_000,)))
    assert t.min() >= -1 and t.max() <= 2 and t.dtype == np.float32
    logits = np.log(np.array([0.1, 0.6, 0.3]))
    c = np.asarray(random.categorical(KEY, logits, shape=(20_000,)))
    np.testing.assert_allclose(np.bincount(c, minlength=3) / 20_000, [0.1, 0.6, 0.3], atol=0.02)


def test_samples_usable_in_transforms():
    w = random.normal(KEY, (3,))
    f = jaxlite.jit(lambda x: (x * random.normal(KEY, (3,))).sum())
    np.testing.assert_allclose(f(np.ones(3, np.float32)), np.sum(w), rtol=1e-6)
    g = jaxlite.grad(lambda p: random.bernoulli(KEY, p, (4,)).sum() * p)(0.5)
    assert np.isfinite(g)


def test_threefry_lax_matches_numpy():
    k = np.array([123, 4_000_000_000], np.uint32)
    x0, x1 = np.arange(6, dtype=np.uint32), np.full(6, 2 ** 32 - 3, np.uint32)
    a = random._threefry_numpy(k[:1], k[1:], x0, x1)
    b = random._threefry_lax(np.int64(k[0]), np.int64(k[1]), x0.astype(np.int64),
                             x1.astype(np.int64))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_traced_keys_under_jit_and_vmap_match_eager():
    key = random.PRNGKey(42)

    def draws(k):
        return (random.normal(k, (3,)), random.split(k), random.uniform(k, (2,), np.float64),
                random.randint(k, (4,), -3, 10), random.fold_in(k, -3),
                random.bernoulli(k, 0.5, (3,)), random.gumbel(k, (2,)),
                random.categorical(k, np.zeros(3)), random.exponential(k, (2,)),
                random.uniform(k, (2,), minval=-1.0, maxval=2.0))
    for got, want in zip(jaxlite.jit(draws)(key), draws(key)):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-6)
    keys = random.split(key, 3)
    out = jaxlite.vmap(lambda k: random.normal(random.split(k)[1], (2,)))(keys)
    np.testing.assert_allclose(out, np.stack([random.normal(random.split(k)[1], (2,))
                                              for k in keys]), rtol=1e-6)
    np.testing.assert_array_equal(jaxlite.jit(random.PRNGKey)(2 ** 31 - 1),
                                  random.PRNGKey(2 ** 31 - 1))
    np.testing.assert_array_equal(jaxlite.jit(random.fold_in)(key, np.int32(-7)),
                                  random.fold_in(key, -7))


def test_bad_inputs():
    with pytest.raises(TypeError, match="needs a concrete PRNG key"):
        jaxlite.jit(lambda k: random.permutation(k, 5))(KEY)
    with pytest.raises(TypeError, match="shape \\(2,\\)"):
        random.normal(np.zeros(3, np.int32), (2,))
    with pytest.raises(TypeError, match="floating dtype"):
        random.normal(KEY, (2,), np.int32)
    with pytest.raises(ValueError, match="larger sample"):
        random.choice(KEY, 3, (4,), replace=False)
