"""jaxlite.scipy.stats against scipy.stats: every function of every
distribution on points inside and outside the support, jit against eager,
derivatives against float64 finite differences, vmap against a loop."""
import numpy as np
import pytest
import scipy.stats as st

import jaxlite
from jaxlite.scipy import stats
from helpers import check_grads, check_vmap, check_jit

RNG = np.random.default_rng(11)
_RNG_START = RNG.bit_generator.state


@pytest.fixture(autouse=True)
def _same_samples_whatever_runs_first():
    RNG.bit_generator.state = _RNG_START


def _close(got, want, rtol=1e-11, atol=1e-13):
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=rtol, atol=atol,
                               equal_nan=True)


# distribution -> (scipy distribution, points x, parameter tuple, function names)
def _real(n=40):
    return np.concatenate([RNG.uniform(-6, 6, n), [-np.inf, np.inf, 0.0]])


def _positive_and_outside(n=40):
    return np.concatenate([RNG.uniform(0, 12, n), [-1.0, 0.0, np.inf]])


def _unit_and_outside(n=40):
    return np.concatenate([RNG.uniform(0.01, 0.99, n), [-0.5, 1.5]])


CONTINUOUS = {
    "norm": (st.norm, _real, (0.7, 1.9), ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]),
    "cauchy": (st.cauchy, _real, (-0.3, 2.2), ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]),
    "laplace": (st.laplace, _real, (0.4, 1.3), ["logpdf", "pdf", "cdf"]),
    "logistic": (st.logistic, _real, (0.4, 0.8), ["logpdf", "pdf", "cdf", "sf"]),
    "expon": (st.expon, _positive_and_outside, (0.5, 2.0),
              ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]),
    "uniform": (st.uniform, _real, (-1.0, 3.0), ["logpdf", "pdf", "cdf"]),
    "t": (st.t, _real, (3.5, 0.2, 1.4), ["logpdf", "pdf"]),
    "gamma": (st.gamma, _positive_and_outside, (2.7, 0.0, 1.6),
              ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]),
    "chi2": (st.chi2, _positive_and_outside, (4.5,),
             ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]),
    "beta": (st.beta, _unit_and_outside, (2.5, 1.7), ["logpdf", "pdf", "cdf", "logcdf", "sf",
                                                      "logsf"]),
    "pareto": (st.pareto, _positive_and_outside, (2.5, 0.3, 1.2),
               ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]),
    "truncnorm": (st.truncnorm, _real, (-1.0, 2.0, 0.3, 1.5),
                  ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]),
}
QUANTILES = {"norm": ["ppf", "isf"], "cauchy": ["ppf", "isf"], "logistic": ["ppf", "isf"],
             "expon": ["ppf"], "uniform": ["ppf"], "pareto": ["ppf"]}


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_against_scipy(name):
    ref, points, params, fns = CONTINUOUS[name]
    x = points()
    dist = getattr(stats, name)
    for fn in fns:
        with np.errstate(all="ignore"):
            want = getattr(ref, fn)(x, *params)
        _close(getattr(dist, fn)(x, *params), want, rtol=1e-10, atol=1e-300)
    for fn in QUANTILES.get(name, []):
        ends = [] if name == "cauchy" else [0.0, 1.0]    # tan(pi/2) is finite, as in JAX
        q = np.concatenate([RNG.uniform(0, 1, 30), ends, [-0.1, 1.1]])
        _close(getattr(dist, fn)(q, *params), getattr(ref, fn)(q, *params), rtol=1e-12)


def test_tails_and_edges():
    x = np.array([-40.0, -10.0, 10.0, 40.0])
    _close(stats.norm.logcdf(x), st.norm.logcdf(x), rtol=1e-13)
    _close(stats.norm.logsf(x), st.norm.logsf(x), rtol=1e-13)
    _close(stats.norm.cdf(x), st.norm.cdf(x), rtol=1e-12, atol=0)
    # gamma at x = 0: a density of exp(0) for a = 1, 0 for a > 1, inf for a < 1.
    _close(stats.gamma.logpdf(0.0, np.array([1.0, 2.0, 0.5])),
           st.gamma.logpdf(0.0, [1.0, 2.0, 0.5]))
    _close(stats.beta.logpdf(np.array([0.0, 1.0]), 1.0, 1.0), [0.0, 0.0])
    # truncnorm far in a tail, where Phi(b) - Phi(a) is 1 - 1 in floating point.
    for a, b in ((10.0, 11.0), (-11.0, -10.0), (1.0, np.inf)):
        z = np.linspace(a, min(b, a + 3), 7)
        for fn in ("logpdf", "logcdf", "logsf"):
            with np.errstate(all="ignore"):
                want = getattr(st.truncnorm, fn)(z, a, b)
            _close(getattr(stats.truncnorm, fn)(z, a, b), want, rtol=1e-9)


DISCRETE = {
    "poisson": (st.poisson, lambda: np.concatenate([np.arange(0, 25.0), [-1.0, 2.5]]), (6.3,),
                ["logpmf", "pmf", "cdf"]),
    "binom": (st.binom, lambda: np.concatenate([np.arange(0, 13.0), [-1.0, 13.0, 2.5]]),
              (12.0, 0.35), ["logpmf", "pmf"]),
    "bernoulli": (st.bernoulli, lambda: np.array([0.0, 1.0, 2.0, -1.0, 0.5]), (0.3,),
                  ["logpmf", "pmf", "cdf"]),
    "geom": (st.geom, lambda: np.concatenate([np.arange(0, 25.0), [-1.0, 2.5]]), (0.3,),
             ["logpmf", "pmf"]),
    "nbinom": (st.nbinom, lambda: np.concatenate([np.arange(0, 25.0), [-1.0, 2.5]]), (3.5, 0.4),
               ["logpmf", "pmf"]),
}


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_against_scipy(name):
    ref, points, params, fns = DISCRETE[name]
    k = points()
    dist = getattr(stats, name)
    for fn in fns:
        with np.errstate(all="ignore"):
            want = getattr(ref, fn)(k, *params)
        _close(getattr(dist, fn)(k, *params), want, rtol=1e-11, atol=1e-300)


def test_bernoulli_ppf_and_locs():
    q = np.array([0.0, 0.5, 0.7, 0.71, 1.0, 1.5])
    _close(stats.bernoulli.ppf(q, 0.3), [0.0, 0.0, 0.0, 1.0, 1.0, np.nan])   # JAX's (scipy: -1 at 0)
    k = np.arange(0, 10.0)
    _close(stats.poisson.logpmf(k, 2.0, loc=3.0), st.poisson.logpmf(k, 2.0, loc=3.0))
    _close(stats.binom.logpmf(k, 5.0, 0.4, loc=2.0), st.binom.logpmf(k, 5.0, 0.4, loc=2.0))


def test_dirichlet():
    alpha = np.array([1.5, 2.0, 3.5])
    x = RNG.dirichlet(alpha, 5).T                   # components first, as scipy
    _close(stats.dirichlet.logpdf(x, alpha), st.dirichlet.logpdf(x, alpha))
    _close(stats.dirichlet.pdf(x[:, 0], alpha), st.dirichlet.pdf(x[:, 0], alpha))
    # The last component may be left out (it is 1 - the others).
    _close(stats.dirichlet.logpdf(x[:2, 0], alpha), st.dirichlet.logpdf(x[:, 0], alpha))
    assert stats.dirichlet.logpdf(np.array([0.5, 0.6, -0.1]), alpha) == -np.inf
    with pytest.raises(TypeError, match="first dimension"):
        stats.dirichlet.logpdf(np.ones(5) / 5, alpha)


def _spd(n):
    a = RNG.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def test_multivariate_normal():
    n = 4
    mean, cov = RNG.normal(size=n), _spd(n)
    x = RNG.normal(size=(2, 5, n))
    _close(stats.multivariate_normal.logpdf(x, mean, cov),
           st.multivariate_normal.logpdf(x, mean, cov), rtol=1e-12)
    _close(stats.multivariate_normal.pdf(x[0, 0], mean, cov),
           st.multivariate_normal.pdf(x[0, 0], mean, cov), rtol=1e-12)
    diag = RNG.uniform(0.5, 2, n)                    # a vector is the diagonal, a scalar too
    _close(stats.multivariate_normal.logpdf(x, mean, diag),
           st.multivariate_normal.logpdf(x, mean, np.diag(diag)), rtol=1e-12)
    _close(stats.multivariate_normal.logpdf(x, mean, 2.0),
           st.multivariate_normal.logpdf(x, mean, 2.0 * np.eye(n)), rtol=1e-12)
    check_jit(lambda x, m, c: stats.multivariate_normal.logpdf(x, m, c), (x, mean, cov),
              rtol=1e-12)
    check_grads(lambda x, m, c: stats.multivariate_normal.logpdf(x, m, c @ c.T),
                (x[0], mean, np.linalg.cholesky(cov)), order=2, rtol=1e-5, atol=1e-6)


def test_multivariate_normal_scalar_arguments_as_jax():
    # A Python float cov with float32 points (it stays a Python scalar after
    # promotion); a scalar mean is the univariate case; a scalar x a 1-d point.
    x = np.array([0.1, 0.2], np.float32)
    _close(stats.multivariate_normal.logpdf(x, np.zeros(2, np.float32), 2.0),
           st.multivariate_normal.logpdf(x, np.zeros(2), 2.0 * np.eye(2)), rtol=1e-6)
    _close(stats.multivariate_normal.logpdf(np.float32(0.1), 0.0, 2.0),
           st.norm.logpdf(0.1, 0.0, np.sqrt(2.0)), rtol=1e-6)
    _close(stats.multivariate_normal.logpdf(0.3, np.zeros(1), np.array([[2.0]])),
           st.multivariate_normal.logpdf([0.3], [0.0], [[2.0]]), rtol=1e-12)


def test_multivariate_normal_batched_covariances():
    n = 3
    covs = np.stack([_spd(n) for _ in range(4)])
    means = RNG.normal(size=(4, n))
    x = RNG.normal(size=(2, 4, n))
    got = stats.multivariate_normal.logpdf(x, means, covs)
    want = np.array([[st.multivariate_normal.logpdf(x[i, j], means[j], covs[j])
                      for j in range(4)] for i in range(2)])
    _close(got, want, rtol=1e-12)
    check_jit(lambda x, m, c: stats.multivariate_normal.logpdf(x, m, c), (x, means, covs),
              rtol=1e-12)


def test_multivariate_normal_bad_shapes():
    with pytest.raises(ValueError, match="incompatible shapes"):
        stats.multivariate_normal.logpdf(np.ones(3), np.zeros(3), np.eye(2))
    with pytest.raises(ValueError, match="incompatible shapes"):
        stats.multivariate_normal.logpdf(np.ones(2), np.zeros(3), np.eye(3))


# ------------------------------------------------------------------ transforms

GRADS = {
    "norm.logpdf": (stats.norm.logpdf, (RNG.normal(size=3), 0.3, 1.7)),
    "norm.logcdf": (stats.norm.logcdf, (np.array([-30.0, -2.0, 3.0]), 0.1, 1.2)),
    "cauchy.logpdf": (stats.cauchy.logpdf, (RNG.normal(size=3), 0.3, 1.7)),
    "laplace.logpdf": (stats.laplace.logpdf, (np.array([-1.0, 0.5, 2.0]), 0.1, 1.7)),
    "logistic.logpdf": (stats.logistic.logpdf, (RNG.normal(size=3), 0.3, 1.7)),
    "expon.logpdf": (stats.expon.logpdf, (np.array([0.5, 1.0, 2.0]), 0.1, 1.7)),
    "t.logpdf": (stats.t.logpdf, (RNG.normal(size=3), 4.0, 0.3, 1.7)),
    "gamma.logpdf": (stats.gamma.logpdf, (np.array([0.5, 1.0, 2.0]), 2.5, 0.1, 1.3)),
    "gamma.cdf-x": (lambda x: stats.gamma.cdf(x, 2.5, 0.1, 1.3), (np.array([0.5, 1.0, 2.0]),)),
    "chi2.logpdf": (stats.chi2.logpdf, (np.array([0.5, 1.0, 2.0]), 3.0)),
    "beta.logpdf": (stats.beta.logpdf, (np.array([0.2, 0.5, 0.7]), 2.5, 1.5)),
    "beta.cdf-x": (lambda x: stats.beta.cdf(x, 2.5, 1.5), (np.array([0.2, 0.5, 0.7]),)),
    "poisson.logpmf-mu": (lambda mu: stats.poisson.logpmf(np.array([0.0, 3.0, 7.0]), mu),
                          (np.array([1.5, 2.5, 6.0]),)),
    "binom.logpmf-p": (lambda p: stats.binom.logpmf(np.array([0.0, 3.0, 7.0]), 9.0, p),
                       (np.array([0.2, 0.5, 0.7]),)),
    "bernoulli.logpmf-p": (lambda p: stats.bernoulli.logpmf(np.array([0.0, 1.0, 1.0]), p),
                           (np.array([0.2, 0.5, 0.7]),)),
    "dirichlet.logpdf-alpha": (lambda a: stats.dirichlet.logpdf(np.array([0.2, 0.3, 0.5]), a),
                               (np.array([1.5, 2.0, 3.0]),)),   # x stays on the simplex
    "uniform.logpdf": (lambda loc, scale: stats.uniform.logpdf(np.array([0.5, 1.0]), loc, scale),
                       (np.float64(0.1), np.float64(1.3))),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_derivatives_orders_1_2(name):
    fn, args = GRADS[name]
    args = tuple(np.asarray(a, np.float64) for a in args)
    check_grads(fn, args, order=2, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", sorted(GRADS))
def test_jit_against_eager(name):
    fn, args = GRADS[name]
    check_jit(fn, tuple(np.asarray(a, np.float64) for a in args), rtol=1e-12, atol=1e-14)


def test_vmap_over_parameters():
    x = RNG.uniform(0.1, 3, (5, 3))
    a = RNG.uniform(0.5, 4, 5)
    check_vmap(lambda x, a: stats.gamma.logpdf(x, a), (x, a), rtol=1e-12)
    check_vmap(lambda x, a: stats.gamma.cdf(x, a), (x, a), rtol=1e-12)
    check_vmap(lambda x, a: stats.t.logpdf(x, a), (x, a), rtol=1e-12)
    cov = np.stack([_spd(3) for _ in range(5)])
    pts = RNG.normal(size=(5, 4, 3))
    check_vmap(lambda x, c: stats.multivariate_normal.logpdf(x, np.zeros(3), c), (pts, cov),
               rtol=1e-12)


def test_float32_inputs_stay_float32():
    x = np.linspace(0.1, 3, 5).astype(np.float32)
    for fn in [stats.norm.logpdf, stats.norm.cdf, lambda x: stats.gamma.cdf(x, 2.0),
               lambda x: stats.beta.logpdf(x / 4, 2.0, 3.0), lambda x: stats.t.logpdf(x, 3.0)]:
        assert fn(x).dtype == np.float32
        assert jaxlite.jit(fn)(x).dtype == np.float32
