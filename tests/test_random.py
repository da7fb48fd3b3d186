"""jaxlite.random: shapes, dtypes, determinism, independence, moments.

The extra samplers' moments are checked against closed forms with
N_SAMPLES = 200k draws and a tolerance of Z_SCORE = 5 standard errors; the
standard error of the sample variance uses the sample's own fourth central
moment, sqrt((m4 - s^4) / N)."""
import math

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import random


KEY = random.PRNGKey(0)
# The extra samplers (see the docstring).
N_SAMPLES = 200_000
Z_SCORE = 5.0
KEY42 = random.PRNGKey(42)


def test_key_layout():
    assert KEY.shape == (2,) and KEY.dtype == np.uint32
    np.testing.assert_array_equal(random.PRNGKey(5), [0, 5])
    np.testing.assert_array_equal(random.PRNGKey(np.uint64(2 ** 32 + 7)), [0, 7])   # 32-bit mode
    keys = random.split(KEY, 3)
    assert keys.shape == (3, 2) and keys.dtype == np.uint32
    np.testing.assert_array_equal(random.key_data(random.key(5)), random.PRNGKey(5))
    np.testing.assert_array_equal(random.wrap_key_data(random.key_data(keys)), keys)
    assert random.key_impl(KEY) == "threefry2x32"
    np.testing.assert_array_equal(random.clone(KEY), KEY)
    with pytest.raises(TypeError, match="uint32"):
        random.wrap_key_data(np.zeros(2, np.int32))
    with pytest.raises(ValueError, match="trailing"):
        random.wrap_key_data(np.zeros(3, np.uint32))


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
    from jaxlite.random import _prng
    k = np.array([123, 4_000_000_000], np.uint32)
    hi, lo = np.full(6, 2 ** 32 - 3, np.uint32), np.arange(6, dtype=np.uint32)
    a = _prng._cipher_numpy(k, hi, lo)
    b = _prng._cipher_lax(jnp.asarray(k), jnp.asarray(hi), jnp.asarray(lo))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_traced_keys_under_jit_and_vmap_match_eager():
    key = random.PRNGKey(42)

    def draws(k):
        return (random.normal(k, (3,)), random.split(k), random.uniform(k, (2,), np.float64),
                random.randint(k, (4,), -3, 10), random.fold_in(k, 3),
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
                                  random.fold_in(key, np.int32(-7)))


def test_bad_inputs():
    with pytest.raises(OverflowError, match="out of bounds for uint32"):
        random.fold_in(KEY, -3)        # as JAX: a Python int must fit uint32
    with pytest.raises(TypeError, match="shape \\(2,\\)"):
        random.normal(np.zeros(3, np.int32), (2,))
    with pytest.raises(ValueError, match="dtype argument to `normal` must be a float or "
                                         "complex dtype, got int32"):   # JAX's class and text
        random.normal(KEY, (2,), np.int32)
    with pytest.raises(ValueError, match="larger sample"):
        random.choice(KEY, 3, (4,), replace=False)


# ---------------------------------------------------------------- samplers

def _check_moments(x, mean, var):
    """Sample mean and variance within Z_SCORE standard errors of the closed forms."""
    x = np.asarray(x, np.float64)
    n = x.size
    m, v = x.mean(), x.var()
    m4 = np.mean((x - m) ** 4)
    assert abs(m - mean) < Z_SCORE * math.sqrt(var / n), (m, mean)
    assert abs(v - var) < Z_SCORE * math.sqrt((m4 - v * v) / n), (v, var)


def _gamma_fn(t):
    return math.gamma(t)


SAMPLERS = {
    # name: (call(key, shape, dtype), mean, variance, support check)
    "laplace": (lambda k, s, d: random.laplace(k, s, d), 0.0, 2.0, np.isfinite),
    "logistic": (lambda k, s, d: random.logistic(k, s, d), 0.0, math.pi ** 2 / 3, np.isfinite),
    "lognormal": (lambda k, s, d: random.lognormal(k, 0.5, s, d), math.exp(0.125),
                  (math.exp(0.25) - 1) * math.exp(0.25), lambda x: x > 0),
    "rayleigh": (lambda k, s, d: random.rayleigh(k, 2.0, s, d), 2.0 * math.sqrt(math.pi / 2),
                 (4 - math.pi) / 2 * 4.0, lambda x: x > 0),
    "weibull_min": (lambda k, s, d: random.weibull_min(k, 2.0, 1.5, s, d),
                    2.0 * _gamma_fn(1 + 1 / 1.5),
                    4.0 * (_gamma_fn(1 + 2 / 1.5) - _gamma_fn(1 + 1 / 1.5) ** 2),
                    lambda x: x > 0),
    "pareto": (lambda k, s, d: random.pareto(k, 6.0, s, d), 6.0 / 5.0, 6.0 / (25.0 * 4.0),
               lambda x: x >= 1),
    "triangular": (lambda k, s, d: random.triangular(k, -1.0, 0.5, 3.0, s, d), 2.5 / 3,
                   (1 + 0.25 + 9 - (-0.5) - (-3) - 1.5) / 18,
                   lambda x: (x >= -1) & (x <= 3)),
    "gamma": (lambda k, s, d: random.gamma(k, 2.5, s, d), 2.5, 2.5, lambda x: x > 0),
    "gamma_small_a": (lambda k, s, d: random.gamma(k, 0.3, s, d), 0.3, 0.3, lambda x: x >= 0),
    "chisquare": (lambda k, s, d: random.chisquare(k, 3.0, s, d), 3.0, 6.0, lambda x: x > 0),
    "beta": (lambda k, s, d: random.beta(k, 2.0, 3.0, s, d), 0.4, 6.0 / (25.0 * 6.0),
             lambda x: (x >= 0) & (x <= 1)),
    "beta_small": (lambda k, s, d: random.beta(k, 0.2, 0.5, s, d), 0.2 / 0.7,
                   0.1 / (0.49 * 1.7), lambda x: (x >= 0) & (x <= 1)),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sampler_moments_support_dtype(name, dtype):
    call, mean, var, support = SAMPLERS[name]
    x = call(KEY42, (N_SAMPLES,), dtype)
    assert isinstance(x, jaxlite.Array) and x.shape == (N_SAMPLES,) and x.dtype == dtype
    assert support(np.asarray(x)).all()
    _check_moments(x, mean, var)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_sampler_determinism_and_shape(name):
    call = SAMPLERS[name][0]
    a = call(KEY42, (3, 4), np.float32)
    assert a.shape == (3, 4)
    np.testing.assert_array_equal(a, call(KEY42, (3, 4), np.float32))
    assert not np.array_equal(a, call(random.PRNGKey(7), (3, 4), np.float32))
    assert call(KEY42, (), np.float32).shape == ()


def test_cauchy_quantiles():
    x = np.asarray(random.cauchy(KEY42, (N_SAMPLES,), np.float64))
    assert x.dtype == np.float64 and np.isfinite(x).all()
    # The Cauchy CDF is 1/2 + atan(t)/pi: P(x <= -1) = 1/4, P(x <= 0) = 1/2, P(x <= 1) = 3/4.
    for t, p in [(-1.0, 0.25), (0.0, 0.5), (1.0, 0.75), (10.0, 0.5 + math.atan(10) / math.pi)]:
        assert abs(np.mean(x <= t) - p) < Z_SCORE * math.sqrt(p * (1 - p) / N_SAMPLES)
    np.testing.assert_array_equal(random.cauchy(KEY42, (5,)), random.cauchy(KEY42, (5,)))


def test_rademacher():
    x = np.asarray(random.rademacher(KEY42, (N_SAMPLES,)))
    assert x.dtype == np.int32 and set(np.unique(x)) == {-1, 1}
    assert abs(np.mean(x == 1) - 0.5) < Z_SCORE * 0.5 / math.sqrt(N_SAMPLES)
    assert random.rademacher(KEY42, (2, 3), np.float32).dtype == np.float32
    np.testing.assert_array_equal(random.rademacher(KEY42, (9,)), random.rademacher(KEY42, (9,)))


@pytest.mark.parametrize("dtype, width, out_dtype", [
    (None, 32, np.uint32), (np.uint32, 32, np.uint32), (np.uint16, 16, np.uint16),
    (np.uint8, 8, np.uint8)])
def test_bits(dtype, width, out_dtype):
    x = np.asarray(random.bits(KEY42, (N_SAMPLES,), dtype))
    assert x.dtype == out_dtype and x.shape == (N_SAMPLES,)
    assert x.min() >= 0 and x.max() < 2 ** width
    top = 2.0 ** width
    _check_moments(x, (top - 1) / 2, (top * top - 1) / 12)
    # Every bit is set half the time.
    for b in range(width):
        frac = np.mean((x >> b) & 1)
        assert abs(frac - 0.5) < Z_SCORE * 0.5 / math.sqrt(N_SAMPLES), b
    np.testing.assert_array_equal(random.bits(KEY42, (4,), dtype), random.bits(KEY42, (4,), dtype))


def test_bits_dtype_errors():
    with pytest.raises(ValueError, match="unsigned"):
        random.bits(KEY42, (2,), np.int32)


def test_bits_uint64_joins_two_words():
    # Element i is (y0 << 32) | y1 of the cipher pair for counter i, whose
    # 32-bit draw is y0 ^ y1 (JAX's partitionable layout).
    x = np.asarray(random.bits(KEY42, (3,), np.uint64))
    w = np.asarray(random.bits(KEY42, (3,), np.uint32))
    assert x.dtype == np.uint64
    np.testing.assert_array_equal((x >> np.uint64(32)) ^ (x & np.uint64(0xFFFFFFFF)), w)


def test_dirichlet():
    alpha = np.array([0.5, 2.0, 3.5])
    x = np.asarray(random.dirichlet(KEY42, alpha, (N_SAMPLES,), np.float64))
    assert x.shape == (N_SAMPLES, 3) and (x >= 0).all()
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)
    a0 = alpha.sum()
    for i in range(3):
        _check_moments(x[:, i], alpha[i] / a0, alpha[i] * (a0 - alpha[i]) / (a0 ** 2 * (a0 + 1)))
    batch = random.dirichlet(KEY42, np.ones((4, 2)))
    assert batch.shape == (4, 2) and batch.dtype == np.float32
    assert random.dirichlet(KEY42, np.ones((4, 2)), (5, 4)).shape == (5, 4, 2)
    with pytest.raises(ValueError):
        random.dirichlet(KEY42, np.float64(1.0))


def test_loggamma_matches_gamma_and_small_shapes():
    lg = np.asarray(random.loggamma(KEY42, 2.0, (1000,), np.float64))
    np.testing.assert_allclose(lg, np.log(np.asarray(random.gamma(KEY42, 2.0, (1000,),
                                                                  np.float64))), rtol=1e-12)
    # For a = 0.01 most gamma samples underflow; log-space samples stay finite with
    # E[log G] = digamma(a) and Var = trigamma(a) (derivatives of lgamma, by central
    # differences).
    a, h = 0.01, 1e-5
    digamma = (math.lgamma(a + h) - math.lgamma(a - h)) / (2 * h)
    trigamma = (math.lgamma(a + h) - 2 * math.lgamma(a) + math.lgamma(a - h)) / h ** 2
    x = np.asarray(random.loggamma(KEY42, a, (N_SAMPLES,), np.float64))
    assert np.isfinite(x).all()
    _check_moments(x, digamma, trigamma)


def test_gamma_parameter_shapes_and_nan():
    a = np.array([[0.5], [4.0]])
    x = random.gamma(KEY42, a, (2, 3), np.float64)
    assert x.shape == (2, 3)
    assert random.gamma(KEY42, a).shape == (2, 1)
    # As JAX: NaN for a < 0, 0 for a = 0 (the boost U**(1/a) is U**inf).
    edge = np.asarray(random.gamma(KEY42, np.array([-1.0, 0.0, 1.0])))
    assert np.isnan(edge[0]) and edge[1] == 0.0 and edge[2] > 0
    with pytest.raises(ValueError, match="broadcast"):
        random.gamma(KEY42, np.ones(3), (2,))
    with pytest.raises(ValueError, match="broadcast"):
        random.pareto(KEY42, np.ones(3), (4,))


def test_gamma_family_traces_keys_and_parameters():
    # Traced keys and shapes under jit and vmap give the eager numbers; a
    # gradient in the shape parameter exists (tests/test_random_gamma.py checks values).
    np.testing.assert_allclose(jaxlite.jit(lambda k: random.gamma(k, 2.0, (3,)))(KEY42),
                               random.gamma(KEY42, 2.0, (3,)), rtol=1e-6)
    g = jaxlite.grad(lambda a: jnp.sum(random.gamma(KEY42, a, (3,))))(2.0)
    assert np.isfinite(g) and g > 0
    b = jaxlite.vmap(lambda a: random.beta(KEY42, a, 1.0))(np.ones(3))
    np.testing.assert_allclose(b, random.beta(KEY42, 1.0, 1.0, (3,))[0] * np.ones(3), rtol=1e-6)


TRACEABLE = {
    "laplace": lambda k: random.laplace(k, (4,)),
    "logistic": lambda k: random.logistic(k, (4,)),
    "cauchy": lambda k: random.cauchy(k, (4,)),
    "rademacher": lambda k: random.rademacher(k, (4,)),
    "bits": lambda k: random.bits(k, (4,)),
    "lognormal": lambda k: random.lognormal(k, 0.3, (4,)),
    "rayleigh": lambda k: random.rayleigh(k, 1.5, (4,)),
    "weibull_min": lambda k: random.weibull_min(k, 1.0, 2.0, (4,)),
    "pareto": lambda k: random.pareto(k, 3.0, (4,)),
    "triangular": lambda k: random.triangular(k, 0.0, 0.2, 1.0, (4,)),
}


@pytest.mark.parametrize("name", sorted(TRACEABLE))
def test_traced_keys_give_the_eager_values(name):
    f = TRACEABLE[name]
    eager = np.asarray(f(KEY42))
    np.testing.assert_allclose(jaxlite.jit(f)(KEY42), eager, rtol=2e-6)
    keys = random.split(KEY42, 3)
    batched = np.asarray(jaxlite.vmap(f)(keys))
    for i in range(3):
        np.testing.assert_allclose(batched[i], f(keys[i]), rtol=2e-6)


def test_parameter_gradients_match_closed_forms():
    k = random.PRNGKey(3)
    # x = exp(sigma z): dx/dsigma = x log(x) / sigma.
    x = np.asarray(random.lognormal(k, 0.7, (5,), np.float64))
    g = jaxlite.grad(lambda s: jnp.sum(random.lognormal(k, s, (5,), np.float64)))(np.float64(0.7))
    np.testing.assert_allclose(g, np.sum(x * np.log(x) / 0.7), rtol=1e-10)
    # x = scale r: dx/dscale = x / scale.
    x = np.asarray(random.rayleigh(k, 1.3, (5,), np.float64))
    g = jaxlite.grad(lambda s: jnp.sum(random.rayleigh(k, s, (5,), np.float64)))(np.float64(1.3))
    np.testing.assert_allclose(g, np.sum(x) / 1.3, rtol=1e-10)
    # x = exp(E / b): dx/db = -x log(x) / b.
    x = np.asarray(random.pareto(k, 2.5, (5,), np.float64))
    g = jaxlite.grad(lambda b: jnp.sum(random.pareto(k, b, (5,), np.float64)))(np.float64(2.5))
    np.testing.assert_allclose(g, -np.sum(x * np.log(x)) / 2.5, rtol=1e-10)


def test_float_dtype_required():
    # ValueError, as JAX
    with pytest.raises(ValueError, match="dtype argument to `laplace` must be a float dtype"):
        random.laplace(KEY42, (2,), np.int32)
    with pytest.raises(ValueError, match="dtype argument to `gamma` must be a float dtype"):
        random.gamma(KEY42, 1.0, (2,), np.int32)
    with pytest.raises(ValueError, match="dtype argument to `uniform` must be a float dtype"):
        random.uniform(KEY42, (2,), np.int32)


def test_key_and_key_data_are_the_raw_key():
    np.testing.assert_array_equal(random.key(7), random.PRNGKey(7))
    np.testing.assert_array_equal(random.key_data(random.key(7)), random.PRNGKey(7))
    np.testing.assert_array_equal(random.normal(random.key(3), (4,)),
                                  random.normal(random.PRNGKey(3), (4,)))


def test_shuffle_is_a_permutation_along_the_axis():
    # As JAX's shuffle: each 1-d slice along the axis is permuted independently.
    x = np.arange(12).reshape(3, 4)
    rows = np.asarray(random.shuffle(KEY, x, axis=0))
    np.testing.assert_array_equal(np.sort(rows, axis=0), x)
    cols = np.asarray(random.shuffle(KEY, x, axis=1))
    np.testing.assert_array_equal(np.sort(cols, axis=1), x)
    np.testing.assert_array_equal(random.shuffle(KEY, x), rows)     # deterministic
    np.testing.assert_array_equal(jaxlite.jit(random.shuffle)(KEY, x), rows)
    many = [tuple(np.asarray(random.shuffle(random.PRNGKey(s), np.arange(5)))) for s in range(20)]
    assert len(set(many)) > 10


def test_multivariate_normal_moments_and_methods():
    mean = np.array([1.0, -2.0, 0.5])
    cov = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]])
    for method in ("cholesky", "svd", "eigh"):
        x = np.asarray(random.multivariate_normal(KEY42, mean, cov, (N_SAMPLES,), jnp.float64,
                                                  method=method))
        assert x.shape == (N_SAMPLES, 3) and x.dtype == np.float64
        se = np.sqrt(np.diag(cov) / N_SAMPLES)
        assert np.all(np.abs(x.mean(0) - mean) < Z_SCORE * se), method
        # var(x_i x_j) = cov_ii cov_jj + cov_ij^2 for a Gaussian
        se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov ** 2) / N_SAMPLES)
        assert np.all(np.abs(np.cov(x.T) - cov) < Z_SCORE * se_cov), method
    # the Cholesky form is mean + L z, z the normal draws of the same key
    z = np.asarray(random.normal(KEY, (4, 3), jnp.float64))
    got = random.multivariate_normal(KEY, mean, cov, (4,), jnp.float64)
    np.testing.assert_allclose(got, mean + z @ np.linalg.cholesky(cov).T, rtol=1e-12)
    assert random.multivariate_normal(KEY, np.zeros((2, 3)), cov).shape == (2, 3)
    with pytest.raises(ValueError, match="cov.shape == \\(..., n, n\\) for n=3"):
        random.multivariate_normal(KEY, mean, cov[:2, :2])
    with pytest.raises(ValueError, match="method must be one of"):
        random.multivariate_normal(KEY, mean, cov, method="qr")


def test_orthogonal_is_orthogonal_and_jaxs():
    q = np.asarray(random.orthogonal(KEY42, 3), np.float64)
    np.testing.assert_allclose(q @ q.T, np.eye(3), atol=1e-6)
    # JAX 0.10.2's jax.random.orthogonal(PRNGKey(42), 3); QR rounding differs
    # in the last bits, so absolutely
    np.testing.assert_allclose(q, [[-0.0195297, 0.99526781, 0.09518957],
                                   [0.1059439, -0.09261153, 0.99005008],
                                   [-0.99418044, -0.02941984, 0.10363387]], atol=2e-6)
    wide = np.asarray(random.orthogonal(KEY42, 2, shape=(4,), m=5), np.float64)
    assert wide.shape == (4, 2, 5)
    np.testing.assert_allclose(wide @ np.swapaxes(wide, -1, -2),
                               np.broadcast_to(np.eye(2), (4, 2, 2)), atol=1e-6)
    # Haar measure: the (0, 0) entry of a random 3x3 rotation has mean 0, variance 1/3
    many = np.asarray(random.orthogonal(KEY, 3, shape=(N_SAMPLES // 10,), dtype=jnp.float64))
    assert abs(many[:, 0, 0].mean()) < Z_SCORE * np.sqrt(1 / 3 / len(many))
    assert abs(many[:, 0, 0].var() - 1 / 3) < 0.02


def test_maxwell_and_geometric_moments():
    m = np.asarray(random.maxwell(KEY42, (N_SAMPLES,), jnp.float64))
    mean, var = 2 * np.sqrt(2 / np.pi), 3 - 8 / np.pi
    assert abs(m.mean() - mean) < Z_SCORE * np.sqrt(var / N_SAMPLES)
    assert abs(m.var() - var) < Z_SCORE * np.sqrt(np.mean((m - m.mean()) ** 4) / N_SAMPLES)
    d = np.asarray(random.double_sided_maxwell(KEY42, 1.0, 2.0, (N_SAMPLES,), jnp.float64))
    assert abs(d.mean() - 1.0) < Z_SCORE * np.sqrt(4 * 3 / N_SAMPLES)   # E[x^2] = 3 scale^2
    for p in (0.25, 0.9):
        g = np.asarray(random.geometric(KEY42, p, (N_SAMPLES,)))
        assert g.dtype == np.int32 and g.min() >= 1
        assert abs(g.mean() - 1 / p) < Z_SCORE * np.sqrt((1 - p) / p ** 2 / N_SAMPLES)
    with pytest.raises(ValueError, match="dtype argument to `geometric` must be an int dtype"):
        random.geometric(KEY42, 0.5, (2,), jnp.float32)


def test_poisson_moments_both_algorithms():
    # lam < 10: Knuth's products of uniforms; lam >= 10: transformed rejection
    for lam in (0.7, 4.0, 30.0):
        x = np.asarray(random.poisson(KEY42, lam, (N_SAMPLES,)))
        assert x.dtype == np.int32 and x.min() >= 0
        assert abs(x.mean() - lam) < Z_SCORE * np.sqrt(lam / N_SAMPLES)
        m4 = np.mean((x - x.mean()) ** 4)
        assert abs(x.var() - lam) < Z_SCORE * np.sqrt((m4 - x.var() ** 2) / N_SAMPLES)
    np.testing.assert_array_equal(random.poisson(KEY42, np.zeros(4)), np.zeros(4))
    keys = random.split(KEY42, 3)
    np.testing.assert_array_equal(jaxlite.vmap(lambda k: random.poisson(k, 5.0, (4,)))(keys),
                                  np.stack([np.asarray(random.poisson(k, 5.0, (4,)))
                                            for k in keys]))
