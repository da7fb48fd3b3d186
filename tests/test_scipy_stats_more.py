"""The later jax.scipy.stats members (gennorm, vonmises, wrapcauchy, gumbel_l,
gumbel_r, betabinom, multinomial, mode, rankdata, sem) against scipy.stats in
float32 and float64; JAX's out-of-range answers; derivatives of the
continuous log-densities against float64 finite differences; jit and vmap."""
import math

import numpy as np
import pytest
import scipy.stats as st

import jaxlite
from jaxlite import numpy as jnp
from jaxlite.scipy import stats
from helpers import check_grads, check_vmap, check_jit

RNG = np.random.default_rng(5)
X = np.linspace(-5.0, 6.0, 37)
ANGLES = np.linspace(0.0, 2 * math.pi, 29)
Q = np.linspace(0.02, 0.98, 25)

# name -> (scipy distribution, points, parameters, functions)
CONTINUOUS = {
    "gumbel_r": (st.gumbel_r, X, (0.3, 1.7), ["logpdf", "pdf", "logcdf", "cdf", "sf", "logsf"]),
    "gumbel_l": (st.gumbel_l, X, (-0.4, 1.2), ["logpdf", "pdf", "logcdf", "cdf", "sf", "logsf"]),
    "gennorm": (st.gennorm, X, (1.6,), ["logpdf", "pdf", "cdf"]),
    "vonmises": (st.vonmises, np.linspace(-math.pi, math.pi, 29), (2.5,), ["logpdf", "pdf"]),
    "wrapcauchy": (st.wrapcauchy, ANGLES, (0.45,), ["logpdf", "pdf"]),
}
CASES = [(d, f) for d, (_, _, _, fs) in CONTINUOUS.items() for f in fs]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dist,fn", CASES)
def test_continuous_against_scipy(dist, fn, dtype):
    ref, x, params, _ = CONTINUOUS[dist]
    got = getattr(getattr(stats, dist), fn)(x.astype(dtype), *[dtype(p) for p in params])
    assert np.asarray(got).dtype == dtype
    want = getattr(ref, fn)(x, *params)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dist", ["gumbel_r", "gumbel_l"])
def test_gumbel_ppf(dist, dtype):
    ref, _, params, _ = CONTINUOUS[dist]
    got = getattr(stats, dist).ppf(Q.astype(dtype), *[dtype(p) for p in params])
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(np.asarray(got, np.float64), ref.ppf(Q, *params), rtol=tol, atol=tol)
    # JAX: nan at and outside 0 and 1
    edge = getattr(stats, dist).ppf(np.array([0.0, 1.0, -0.1, 1.1]), *params)
    assert np.all(np.isnan(np.asarray(edge)))


def test_out_of_range_parameters_like_jax():
    assert np.all(np.isnan(np.asarray(stats.gumbel_r.logpdf(X, 0.0, -1.0))))
    assert np.all(np.isnan(np.asarray(stats.gumbel_l.logsf(X, 0.0, 0.0))))
    assert np.all(np.isnan(np.asarray(stats.vonmises.logpdf(X, 0.0))))
    assert np.all(np.isnan(np.asarray(stats.wrapcauchy.logpdf(ANGLES, 1.0))))
    outside = np.asarray(stats.wrapcauchy.logpdf(np.array([-0.1, 7.0]), 0.3))
    assert np.all(outside == -np.inf)
    assert np.all(np.isnan(np.asarray(stats.betabinom.logpmf(np.arange(3.0), 4.0, -1.0, 2.0))))


def test_tails_stay_finite():
    # far tails where naive 1 - exp(.) or log(1 - .) would round to 0 / -inf
    np.testing.assert_allclose(np.asarray(stats.gumbel_r.logsf(np.float64(40.0))), st.gumbel_r.logsf(40.0),
                               rtol=1e-12)
    np.testing.assert_allclose(np.asarray(stats.gumbel_l.logcdf(np.float64(-40.0))),
                               st.gumbel_l.logcdf(-40.0), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(stats.vonmises.logpdf(np.float64(0.3), np.float64(900.0))),
                               st.vonmises.logpdf(0.3, 900.0), rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_betabinom_against_scipy(dtype):
    k = np.arange(-2.0, 14.0)
    got = stats.betabinom.logpmf(k.astype(dtype), dtype(11), dtype(2.3), dtype(1.4))
    want = st.betabinom.logpmf(k, 11, 2.3, 1.4)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=tol, atol=tol)
    np.testing.assert_allclose(np.asarray(stats.betabinom.pmf(k, 11, 2.3, 1.4, loc=1)),
                               st.betabinom.pmf(k, 11, 2.3, 1.4, loc=1), rtol=1e-12, atol=1e-15)
    assert float(np.sum(np.asarray(stats.betabinom.pmf(np.arange(12.0), 11.0, 2.3, 1.4)))) == \
        pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multinomial_against_scipy(dtype):
    p = np.array([0.2, 0.5, 0.3])
    for x in ([2, 3, 1], [0, 6, 0], [6, 0, 0]):
        got = stats.multinomial.logpmf(np.array(x), 6, p.astype(dtype))
        assert np.asarray(got).dtype == dtype
        tol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(float(got), st.multinomial.logpmf(x, 6, p), rtol=tol)
    assert float(stats.multinomial.pmf(np.array([2, 3, 2]), 6, p)) == 0.0


GRADS = {
    "gumbel_r": (lambda x, loc, s: stats.gumbel_r.logpdf(x, loc, s),
                 (np.array([-1.0, 0.4, 2.5]), np.float64(0.3), np.float64(1.7))),
    "gumbel_r.logsf": (lambda x: stats.gumbel_r.logsf(x, 0.3, 1.7), (np.array([-1.0, 0.4, 2.5]),)),
    "gumbel_l": (lambda x, loc, s: stats.gumbel_l.logpdf(x, loc, s),
                 (np.array([-2.0, 0.4, 1.5]), np.float64(-0.4), np.float64(1.2))),
    "gumbel_l.logcdf": (lambda x: stats.gumbel_l.logcdf(x, -0.4, 1.2),
                        (np.array([-2.0, 0.4, 1.5]),)),
    "gumbel_r.ppf": (lambda q, s: stats.gumbel_r.ppf(q, 0.1, s),
                     (np.array([0.2, 0.5, 0.9]), np.float64(2.0))),
    "gumbel_l.ppf": (lambda q, s: stats.gumbel_l.ppf(q, 0.1, s),
                     (np.array([0.2, 0.5, 0.9]), np.float64(2.0))),
    "gennorm": (lambda x, b: stats.gennorm.logpdf(x, b), (np.array([-1.3, 0.6, 2.0]),
                                                         np.float64(2.5))),
    "gennorm.cdf": (lambda x: stats.gennorm.cdf(x, 1.6), (np.array([-1.3, 0.6, 2.0]),)),
    "vonmises": (lambda x, k: stats.vonmises.logpdf(x, k), (np.array([-2.0, 0.3, 1.1]),
                                                           np.float64(2.5))),
    "wrapcauchy": (lambda x, c: stats.wrapcauchy.logpdf(x, c), (np.array([0.5, 2.0, 5.0]),
                                                               np.float64(0.45))),
    "betabinom-ab": (lambda a, b: stats.betabinom.logpmf(np.array([0.0, 3.0, 7.0]), 9.0, a, b),
                     (np.float64(2.3), np.float64(1.4))),
    "multinomial-p": (lambda p: stats.multinomial.logpmf(np.array([2.0, 3.0, 1.0]), 6.0, p),
                      (np.array([0.2, 0.5, 0.3]),)),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_derivatives(name):
    fn, args = GRADS[name]
    check_grads(fn, tuple(np.asarray(a, np.float64) for a in args), order=2, rtol=1e-5,
                atol=1e-7)


@pytest.mark.parametrize("name", sorted(GRADS))
def test_jit_against_eager(name):
    fn, args = GRADS[name]
    check_jit(fn, tuple(np.asarray(a, np.float64) for a in args), rtol=1e-12, atol=1e-14)


def test_vmap_over_parameters():
    x = RNG.uniform(-2, 2, (5, 3))
    s = RNG.uniform(0.5, 2, 5)
    check_vmap(lambda x, s: stats.gumbel_r.logpdf(x, 0.1, s), (x, s), rtol=1e-12)
    check_vmap(lambda x, b: stats.gennorm.cdf(x, b), (x, s + 0.5), rtol=1e-12)
    check_vmap(lambda x, k: stats.vonmises.logpdf(x, k), (x, s), rtol=1e-12)


# ------------------------------------------------------------ mode / rankdata / sem

def _ties(shape):
    return RNG.integers(0, 4, shape).astype(np.float64)


@pytest.mark.parametrize("axis", [0, 1, -1, None])
@pytest.mark.parametrize("keepdims", [False, True])
def test_mode_against_scipy(axis, keepdims):
    a = _ties((7, 5))
    got = stats.mode(a, axis=axis, keepdims=keepdims)
    want = st.mode(a, axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(np.asarray(got.mode), want.mode)
    np.testing.assert_array_equal(np.asarray(got.count), want.count)
    assert np.asarray(got.count).dtype == np.int32
    jitted = jaxlite.jit(lambda a: stats.mode(a, axis=axis, keepdims=keepdims))(a)
    np.testing.assert_array_equal(np.asarray(jitted.mode), want.mode)


def test_mode_vmap_and_errors():
    a = _ties((4, 9))
    got = jaxlite.vmap(lambda r: stats.mode(r).mode)(a)
    np.testing.assert_array_equal(np.asarray(got), st.mode(a, axis=1).mode)
    with pytest.raises(ValueError):
        stats.mode(a, nan_policy="bogus")
    with pytest.raises(NotImplementedError):
        stats.mode(a, nan_policy="omit")
    empty = stats.mode(np.zeros((0, 3)))
    assert np.all(np.isnan(np.asarray(empty.mode))) and np.all(np.asarray(empty.count) == 0)


@pytest.mark.parametrize("method", ["average", "min", "max", "dense", "ordinal"])
def test_rankdata_against_scipy(method):
    a = _ties((6, 5))
    np.testing.assert_array_equal(np.asarray(stats.rankdata(a, method)),
                                  st.rankdata(a, method))
    np.testing.assert_array_equal(np.asarray(stats.rankdata(a, method, axis=1)),
                                  st.rankdata(a, method, axis=1))
    np.testing.assert_array_equal(
        np.asarray(jaxlite.jit(lambda a: stats.rankdata(a, method))(a)), st.rankdata(a, method))
    np.testing.assert_array_equal(
        np.asarray(jaxlite.vmap(lambda r: stats.rankdata(r, method))(a)),
        st.rankdata(a, method, axis=1))


def test_rankdata_nan_and_errors():
    assert np.all(np.isnan(np.asarray(stats.rankdata(np.array([1.0, np.nan, 0.0])))))
    with pytest.raises(ValueError):
        stats.rankdata(np.arange(3.0), "bogus")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sem_against_scipy(dtype):
    a = RNG.normal(size=(6, 4)).astype(dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for axis in (0, 1, None):
        for ddof in (0, 1):
            got = stats.sem(a, axis=axis, ddof=ddof)
            assert np.asarray(got).dtype == dtype
            np.testing.assert_allclose(np.asarray(got, np.float64),
                                       st.sem(a.astype(np.float64), axis=axis, ddof=ddof),
                                       rtol=tol)
    b = a.astype(np.float64)
    b[1, 2] = np.nan
    np.testing.assert_allclose(np.asarray(stats.sem(b, nan_policy="omit")),
                               st.sem(b, nan_policy="omit"), rtol=1e-13)
    check_grads(lambda a: stats.sem(a), (a.astype(np.float64),), order=1)


def test_mode_counts_nans_as_one_value_like_jax():
    # JAX groups nans (jnp.unique), so two nans outvote single values
    a = np.array([[np.nan, 1.0, np.nan, 2.0], [np.nan, 1.0, np.nan, 1.0]])
    for f in (stats.mode, jaxlite.jit(stats.mode, static_argnames="axis")):
        got = f(a, axis=1)
        np.testing.assert_array_equal(np.asarray(got.mode), [np.nan, 1.0])
        np.testing.assert_array_equal(np.asarray(got.count), [2, 2])


# ------------------------------------------------------------ gaussian_kde

KDE_DATA = np.random.default_rng(3).normal(size=(2, 25))
KDE_W = np.random.default_rng(4).uniform(0.5, 1.5, 25)
KDE_PTS = np.random.default_rng(6).normal(size=(2, 8)) * 1.5


@pytest.mark.parametrize("bw", [None, "silverman", 0.4, lambda k: 0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_kde_against_scipy(bw, weighted):
    w = KDE_W if weighted else None
    k, s = stats.gaussian_kde(KDE_DATA, bw, w), st.gaussian_kde(KDE_DATA, bw, w)
    np.testing.assert_allclose(np.asarray(k.covariance), s.covariance, rtol=1e-12)
    np.testing.assert_allclose(float(k.neff), s.neff, rtol=1e-12)
    for f in ("evaluate", "pdf", "logpdf", "__call__"):
        np.testing.assert_allclose(np.asarray(getattr(k, f)(KDE_PTS)),
                                   getattr(s, f)(KDE_PTS), rtol=1e-11)
    mean, cov = np.array([0.3, -0.2]), np.array([[1.0, 0.2], [0.2, 0.7]])
    np.testing.assert_allclose(float(k.integrate_gaussian(mean, cov)),
                               s.integrate_gaussian(mean, cov), rtol=1e-11)
    k2, s2 = stats.gaussian_kde(KDE_DATA[:, :9]), st.gaussian_kde(KDE_DATA[:, :9])
    np.testing.assert_allclose(float(k.integrate_kde(k2)), s.integrate_kde(s2), rtol=1e-11)
    np.testing.assert_allclose(float(k2.integrate_kde(k)), s2.integrate_kde(s), rtol=1e-11)


def test_kde_1d_float32_and_box():
    data = KDE_DATA[0].astype(np.float32)
    k, s = stats.gaussian_kde(data), st.gaussian_kde(data.astype(np.float64))
    got = k.logpdf(np.linspace(-3, 3, 11).astype(np.float32))
    assert np.asarray(got).dtype == np.float32
    np.testing.assert_allclose(np.asarray(got, np.float64), s.logpdf(np.linspace(-3, 3, 11)),
                               rtol=2e-5)
    k64 = stats.gaussian_kde(KDE_DATA[0])
    np.testing.assert_allclose(float(k64.integrate_box_1d(-0.5, 1.2)),
                               st.gaussian_kde(KDE_DATA[0]).integrate_box_1d(-0.5, 1.2),
                               rtol=1e-12)
    with pytest.raises(ValueError):
        stats.gaussian_kde(KDE_DATA).integrate_box_1d(0.0, 1.0)
    with pytest.raises(ValueError):
        stats.gaussian_kde(KDE_DATA, bw_method="bogus")


def test_kde_logpdf_far_out_stays_finite():
    k = stats.gaussian_kde(KDE_DATA[0])
    far = np.array([60.0])
    np.testing.assert_allclose(np.asarray(k.logpdf(far)),
                               st.gaussian_kde(KDE_DATA[0]).logpdf(far), rtol=1e-10)


def test_kde_is_a_pytree_under_jit_vmap_grad():
    k = stats.gaussian_kde(KDE_DATA, weights=KDE_W)
    f = jaxlite.jit(lambda k, p: k.logpdf(p))
    np.testing.assert_allclose(np.asarray(f(k, KDE_PTS)), np.asarray(k.logpdf(KDE_PTS)),
                               rtol=1e-12)
    # density at each point separately, mapped over points
    one = jaxlite.vmap(lambda p: k.evaluate(p)[0], in_axes=1)(KDE_PTS)
    np.testing.assert_allclose(np.asarray(one), np.asarray(k.evaluate(KDE_PTS)), rtol=1e-12)
    # derivative of the log-density in the point and in the data
    check_grads(lambda p: stats.gaussian_kde(KDE_DATA).logpdf(p), (KDE_PTS,), order=1)
    check_grads(lambda d: stats.gaussian_kde(d).logpdf(KDE_PTS), (KDE_DATA,), order=1)


def test_kde_resample_moments():
    k = stats.gaussian_kde(KDE_DATA, weights=KDE_W)
    draws = np.asarray(k.resample(jaxlite.random.PRNGKey(0), (20000,)))
    assert draws.shape == (2, 20000)
    w = KDE_W / KDE_W.sum()
    mean = KDE_DATA @ w
    np.testing.assert_allclose(draws.mean(axis=1), mean, atol=0.05)
    # kde covariance = weighted data covariance plus the kernel's
    want = np.cov(KDE_DATA, aweights=w, bias=True) + np.asarray(k.covariance)
    np.testing.assert_allclose(np.cov(draws), want, atol=0.08)
    assert np.asarray(k.resample(jaxlite.random.PRNGKey(1), (4, 3))).shape == (2, 4, 3)
