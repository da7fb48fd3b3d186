"""Pseudo-random numbers: keys, split and fold_in, the common samplers, their
shapes, dtypes, ranges and sample statistics over 1e5 draws."""
import numpy as np

import jax
import jax.numpy as jnp
from jax import random

key = random.key(0)
old = random.PRNGKey(0)
assert old.shape == (2,) and old.dtype == jnp.uint32
data = random.key_data(key)        # a new-style key's raw uint32 words
assert data.shape == (2,) and data.dtype == jnp.uint32
np.testing.assert_array_equal(data, old)
np.testing.assert_array_equal(random.key_data(random.wrap_key_data(data)), data)
# the same key gives the same numbers, with either key style
np.testing.assert_array_equal(random.normal(key, (5,)), random.normal(key, (5,)))
np.testing.assert_array_equal(random.uniform(key, (5,)), random.uniform(old, (5,)))

k1, k2 = random.split(key)
keys = random.split(key, 4)
assert random.split(old, 4).shape == (4, 2) and len(keys) == 4
kd = np.asarray(random.key_data(keys))
assert kd.shape == (4, 2)
assert len({tuple(r) for r in kd}) == 4
assert not np.array_equal(random.key_data(k1), random.key_data(k2))
assert not np.array_equal(random.normal(k1, (8,)), random.normal(k2, (8,)))
f1, f2 = random.fold_in(key, 1), random.fold_in(key, 2)
assert not np.array_equal(random.key_data(f1), random.key_data(f2))
np.testing.assert_array_equal(random.key_data(random.fold_in(key, 1)), random.key_data(f1))

N = 100_000
sk = random.split(random.key(2024), 8)


def check_moments(x, mean, var, n_se=5):
    x = np.asarray(x, np.float64)
    assert abs(x.mean() - mean) < n_se * np.sqrt(var / x.size), (x.mean(), mean)
    # standard error of the sample variance: sqrt((m4 - var^2) / n), m4 the
    # sample's fourth central moment
    m4 = np.mean((x - x.mean()) ** 4)
    assert abs(x.var() - var) < n_se * np.sqrt((m4 - x.var() ** 2) / x.size), (x.var(), var)


z = random.normal(sk[0], (N,))
assert z.shape == (N,) and z.dtype == jnp.float32
check_moments(z, 0.0, 1.0)
assert np.mean(np.abs(np.asarray(z)) < 1.959964) > 0.945
u = random.uniform(sk[1], (N,), minval=-1.0, maxval=3.0)
assert u.dtype == jnp.float32 and float(u.min()) >= -1.0 and float(u.max()) < 3.0
check_moments(u, 1.0, 16.0 / 12.0)
b = random.bernoulli(sk[2], 0.3, (N,))
assert b.dtype == jnp.bool_
check_moments(b, 0.3, 0.21)

logits = jnp.log(jnp.array([0.1, 0.2, 0.3, 0.4]))
c = random.categorical(sk[3], logits, shape=(N,))
assert c.shape == (N,) and jnp.issubdtype(c.dtype, jnp.integer)
freq = np.bincount(np.asarray(c), minlength=4) / N
np.testing.assert_allclose(freq, [0.1, 0.2, 0.3, 0.4], atol=5 * np.sqrt(0.25 / N))

perm = random.permutation(sk[4], 10)
assert sorted(np.asarray(perm).tolist()) == list(range(10))
arr = jnp.arange(20.0).reshape(10, 2)
shuffled = random.permutation(sk[4], arr)
assert shuffled.shape == (10, 2)
np.testing.assert_array_equal(np.sort(np.asarray(shuffled[:, 0])), np.arange(0.0, 20.0, 2))
np.testing.assert_array_equal(shuffled[:, 1] - shuffled[:, 0], np.ones(10))

picks = random.choice(sk[5], 5, shape=(3,), replace=False)
assert len(set(np.asarray(picks).tolist())) == 3 and 0 <= int(picks.min()) and int(picks.max()) < 5
weighted = random.choice(sk[6], jnp.array([10, 20, 30]), shape=(N,), p=jnp.array([0.5, 0.25, 0.25]))
vals, counts = np.unique(np.asarray(weighted), return_counts=True)
assert vals.tolist() == [10, 20, 30]
np.testing.assert_allclose(counts / N, [0.5, 0.25, 0.25], atol=5 * np.sqrt(0.25 / N))
ri = random.randint(sk[7], (N,), 0, 6)
assert ri.dtype == jnp.int32 and int(ri.min()) == 0 and int(ri.max()) == 5
check_moments(ri, 2.5, 35.0 / 12.0)
cov = jnp.array([[1.0, 0.6], [0.6, 2.0]])
mvn = random.multivariate_normal(random.fold_in(key, 99), jnp.array([1.0, -1.0]), cov, (N,))
assert mvn.shape == (N, 2)
np.testing.assert_allclose(np.mean(np.asarray(mvn), 0), [1.0, -1.0], atol=5 * np.sqrt(2.0 / N))
# var of a sample covariance entry: cov_ii cov_jj + cov_ij^2 <= 8 here
np.testing.assert_allclose(np.cov(np.asarray(mvn, np.float64).T), cov, atol=5 * np.sqrt(8.0 / N))
counts = random.poisson(random.fold_in(key, 5), 3.5, (N,))
assert jnp.issubdtype(counts.dtype, jnp.integer) and int(counts.min()) >= 0
check_moments(counts, 3.5, 3.5)
geo = random.geometric(random.fold_in(key, 7), 0.25, (N,))
assert jnp.issubdtype(geo.dtype, jnp.integer) and int(geo.min()) >= 1
check_moments(geo, 4.0, 0.75 / 0.25 ** 2)              # 1/p and (1-p)/p^2
try:
    random.normal(key, (2,), jnp.int32)
    raise AssertionError("normal accepted an integer dtype")
except ValueError:
    pass
# jit and vmap over keys give the same numbers as eager calls
batch = jax.vmap(lambda k: random.normal(k, (3,)))(keys)
np.testing.assert_array_equal(batch[2], random.normal(keys[2], (3,)))
np.testing.assert_array_equal(jax.jit(random.uniform, static_argnums=1)(k1, (4,)),
                              random.uniform(k1, (4,)))
print("OK")
