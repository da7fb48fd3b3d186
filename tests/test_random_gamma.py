"""jaxlite.random's gamma family (gamma, loggamma, beta, dirichlet, chisquare, t)
and binomial:
JAX's numbers for a key, moments, traced keys and parameters under jit and
vmap, and the implicit-reparameterization gradient in the shape parameter.

The expected arrays below were captured from real JAX 0.10.2
(jax.random.* on the CPU, x64 off unless said) and are pasted as literals."""
import math

import numpy as np
import pytest
from scipy import special, stats

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import random

K0, K7 = random.PRNGKey(0), random.PRNGKey(7)
RTOL = 2e-5          # float32 rounding of the library math (erf_inv, pow, log)

# --- captured from JAX 0.10.2 (see the module docstring)
GAMMA_0 = [0.0736638680100441, 0.7557593584060669, 0.35100987553596497, 4.702054023742676,
           41.82238006591797, 10022.4931640625]      # gamma(K0, [0.05, 0.3, 1, 2.5, 37, 1e4])
GAMMA_7 = [[5.715880888601532e-07, 0.15852943062782288, 7.046175596769899e-05],
           [1.8172049522399902, 0.03303559124469757, 0.3504248559474945]]   # gamma(K7, .3, (2, 3))
LOGGAMMA_7 = [-438.7729797363281, -1.1969528198242188, -1.375244140625, 1.8437762260437012]
BETA_0 = [0.11598051339387894, 0.33743464946746826, 0.8690931797027588]
DIRICHLET_0 = [[0.05073239654302597, 0.15504837036132812, 0.7942192554473877],
               [2.3364059575925467e-09, 0.23351407051086426, 0.7664859890937805]]
CHISQUARE_7 = [5.861140195406733e-08, 0.60422682762146, 1.1556823253631592, 27.349191665649414]
T_7 = [1.2582149505615234, 0.6802854537963867, -0.5002365112304688, -0.5085242390632629]
VMAP_3 = [[0.00778880575671792, 0.7087044715881348], [1.909811019897461, 2.0345754623413086],
          [13.487936019897461, 13.580278396606445]]
GRAD_GAMMA_1 = [5.611867904663086, 4.314093589782715, 4.237251281738281, 4.058143615722656]
BINOMIAL_7 = [0.0, 2.0, 6.0, 328.0, 299926.0, math.inf, math.nan, math.nan, 3.0]
BINOMIAL_7P = [0.0, 50.0, math.nan, 44.0, 28.0]
BINOMIAL_VMAP = [[2.0, 1.0, 3.0, 1.0], [29.0, 32.0, 26.0, 29.0],
                 [1224.0, 1225.0, 1216.0, 1162.0]]
GAMMA64_0 = [0.01796465549854392, 0.34852732423339494, 4.442491722277749, 26.11618040607876]


def test_jax_numbers():
    np.testing.assert_allclose(random.gamma(K0, jnp.array([0.05, 0.3, 1.0, 2.5, 37.0, 1e4])),
                               GAMMA_0, rtol=RTOL)
    np.testing.assert_allclose(random.gamma(K7, 0.3, (2, 3)), GAMMA_7, rtol=RTOL)
    np.testing.assert_allclose(random.loggamma(K7, jnp.array([0.01, 0.5, 1.0, 4.0])),
                               LOGGAMMA_7, rtol=RTOL)
    np.testing.assert_allclose(random.beta(K0, jnp.array([0.2, 1.0, 3.0]), 2.0), BETA_0,
                               rtol=RTOL)
    np.testing.assert_allclose(random.dirichlet(K0, jnp.array([0.1, 1.0, 5.0]), (2,)),
                               DIRICHLET_0, rtol=RTOL)
    np.testing.assert_allclose(random.chisquare(K7, jnp.array([0.5, 1.0, 3.0, 20.0])),
                               CHISQUARE_7, rtol=RTOL)
    np.testing.assert_allclose(random.t(K7, jnp.array([0.5, 1.0, 3.0, 20.0])), T_7, rtol=RTOL)


def test_jax_numbers_vmap_jit_and_grad():
    keys = random.split(random.PRNGKey(3), 3)
    sample = jaxlite.vmap(lambda k, a: random.gamma(k, a, (2,)))
    np.testing.assert_allclose(sample(keys, jnp.array([0.5, 2.0, 9.0])), VMAP_3, rtol=RTOL)
    np.testing.assert_allclose(jaxlite.jit(sample)(keys, jnp.array([0.5, 2.0, 9.0])), VMAP_3,
                               rtol=RTOL)
    grad = jaxlite.vmap(jaxlite.grad(lambda a: jnp.sum(random.gamma(random.PRNGKey(1), a, (4,)))))
    np.testing.assert_allclose(grad(jnp.array([0.2, 1.0, 3.0, 50.0])), GRAD_GAMMA_1, rtol=1e-4)


def test_jax_numbers_float64():
    prev = jaxlite.config.jax_enable_x64
    jaxlite.config.update("jax_enable_x64", True)
    try:
        x = random.gamma(K0, jnp.array([0.3, 1.0, 2.5, 37.0]), dtype=jnp.float64)
        assert x.dtype == np.float64
        np.testing.assert_allclose(x, GAMMA64_0, rtol=1e-12)
    finally:
        jaxlite.config.update("jax_enable_x64", prev)


# ----------------------------------------------------------------- moments

N = 100_000
Z = 5.0


def _check_moments(x, mean, var):
    x = np.asarray(x, np.float64)
    m, v = x.mean(), x.var()
    m4 = np.mean((x - m) ** 4)
    assert abs(m - mean) < Z * math.sqrt(var / x.size), (m, mean)
    assert abs(v - var) < Z * math.sqrt((m4 - v * v) / x.size), (v, var)


@pytest.mark.parametrize("a", [0.2, 1.0, 4.5, 300.0])
def test_gamma_moments_and_ks(a):
    x = np.asarray(random.gamma(random.PRNGKey(11), a, (N,)))
    assert x.dtype == np.float32 and (x >= 0).all()
    _check_moments(x, a, a)
    assert stats.kstest(x, stats.gamma(a).cdf).pvalue > 1e-4


def test_family_moments():
    k = random.PRNGKey(5)
    _check_moments(random.chisquare(k, 3.0, (N,)), 3.0, 6.0)
    _check_moments(random.beta(k, 0.5, 2.0, (N,)), 0.2, 0.5 * 2.0 / (2.5 ** 2 * 3.5))
    _check_moments(random.t(k, 6.0, (N,)), 0.0, 6.0 / 4.0)
    alpha = np.array([0.3, 1.0, 2.7])
    d = np.asarray(random.dirichlet(k, alpha, (N,)))
    np.testing.assert_allclose(d.sum(-1), 1.0, rtol=1e-5)
    a0 = alpha.sum()
    for i in range(3):
        _check_moments(d[:, i], alpha[i] / a0, alpha[i] * (a0 - alpha[i]) / (a0 ** 2 * (a0 + 1)))
    # log-space samples for a tiny shape: E log G = digamma(a), Var = trigamma(a).
    lg = np.asarray(random.loggamma(k, 0.02, (N,)))
    assert np.isfinite(lg).all()
    _check_moments(lg, special.digamma(0.02), special.polygamma(1, 0.02))


# ------------------------------------------------------- traced keys and a

def test_traced_keys_and_parameters():
    keys = random.split(random.PRNGKey(9), 4)
    a = jnp.array([0.4, 1.0, 2.0, 7.5])
    eager = jnp.stack([random.gamma(k, ai, (3,)) for k, ai in zip(keys, a)])
    np.testing.assert_allclose(jaxlite.vmap(lambda k, ai: random.gamma(k, ai, (3,)))(keys, a),
                               eager, rtol=1e-6)
    jitted = jaxlite.jit(lambda k, ai: random.gamma(k, ai, (3,)))
    np.testing.assert_allclose(jitted(keys[2], a[2]), eager[2], rtol=1e-6)
    # beta, dirichlet, chisquare, t with a traced key and traced parameters
    for f in (lambda k, p: random.beta(k, p, 2.0 * p, (5,)),
              lambda k, p: random.dirichlet(k, jnp.stack([p, p + 1.0]), (5,)),
              lambda k, p: random.chisquare(k, p, (5,)),
              lambda k, p: random.t(k, p, (5,))):
        np.testing.assert_allclose(jaxlite.jit(f)(keys[0], 1.5), f(keys[0], 1.5), rtol=1e-6)
        batched = jaxlite.vmap(f)(keys, a)
        np.testing.assert_allclose(batched[1], f(keys[1], a[1]), rtol=1e-6)


# --------------------------------------------------------------- gradients

def _implicit_grad(a, x, h=1e-6):
    """dx/da = -(dP/da) / (dP/dx), dP/da by float64 central differences of scipy's P."""
    return -(special.gammainc(a + h, x) - special.gammainc(a - h, x)) / (2 * h) / \
        stats.gamma.pdf(x, a)


@pytest.mark.parametrize("a", [0.1, 0.7, 1.0, 3.0, 40.0])
def test_gamma_grad_matches_cdf_formula(a):
    key = random.PRNGKey(4)
    x = np.asarray(random.gamma(key, a, (8,)), np.float64)
    jac = np.asarray(jaxlite.jacfwd(lambda a: random.gamma(key, a, (8,)))(np.float32(a)))
    np.testing.assert_allclose(jac, _implicit_grad(a, x), rtol=2e-3, atol=1e-6)
    # reverse mode, and through jit
    g = jaxlite.jit(jaxlite.grad(lambda a: jnp.sum(random.gamma(key, a, (8,)))))(np.float32(a))
    np.testing.assert_allclose(g, jac.sum(), rtol=1e-4)


def test_loggamma_grad():
    key = random.PRNGKey(4)
    for a in (0.01, 0.5, 2.0):
        lx = np.asarray(random.loggamma(key, a, (6,)), np.float64)
        jac = np.asarray(jaxlite.jacfwd(lambda a: random.loggamma(key, a, (6,)))(np.float32(a)))
        x = np.exp(lx)
        ok = x > 1e-30       # where exp(log x) is a normal float32 number
        np.testing.assert_allclose(jac[ok], (_implicit_grad(a, x) / x)[ok], rtol=5e-3)


def test_reparameterized_mean_gradients():
    # d/da E[Gamma(a)] = 1, d/da E[Beta(a, b)] = b / (a + b)^2, as sample averages.
    key = random.PRNGKey(21)
    g = jaxlite.grad(lambda a: jnp.mean(random.gamma(key, a, (N,))))(np.float32(2.5))
    assert abs(float(g) - 1.0) < 0.02
    g = jaxlite.grad(lambda a: jnp.mean(random.beta(key, a, 3.0, (N,))))(np.float32(2.0))
    assert abs(float(g) - 3.0 / 25.0) < 0.005
    gd = jaxlite.grad(lambda al: jnp.mean(random.dirichlet(key, al, (N,))[:, 0]))(
        jnp.array([1.0, 2.0, 3.0]))
    a0 = 6.0        # d/dalpha_j of alpha_0 / a0
    np.testing.assert_allclose(gd, [(a0 - 1.0) / a0 ** 2, -1.0 / a0 ** 2, -1.0 / a0 ** 2],
                               atol=0.004)


# ----------------------------------------------------------------- errors

def test_shapes_and_errors():
    assert random.gamma(K0, jnp.ones((2, 1)), (4, 2, 3)).shape == (4, 2, 3)
    assert random.gamma(K0, 1.0, (0, 3)).shape == (0, 3)
    assert random.dirichlet(K0, jnp.ones((2, 3))).shape == (2, 3)
    for f in (random.gamma, random.loggamma, random.chisquare, random.t):
        with pytest.raises(ValueError, match="must be a float dtype"):
            f(K0, 1.0, (2,), np.int32)
    with pytest.raises(ValueError, match="must be a float dtype"):
        random.beta(K0, 1.0, 1.0, (2,), np.int32)
    with pytest.raises(ValueError, match="must be a float dtype"):
        random.dirichlet(K0, jnp.ones(3), (2,), np.int32)
    with pytest.raises(ValueError, match="broadcast"):
        random.gamma(K0, jnp.ones(3), (2,))
    with pytest.raises(ValueError, match="alpha.ndim >= 1"):
        random.dirichlet(K0, 1.0)


# ---------------------------------------------------------------- binomial

def test_binomial_jax_numbers():
    n = jnp.array([0., 3., 20., 1000., 1e6, jnp.inf, -1., jnp.nan, 7.5])
    x = random.binomial(K7, n, 0.3)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x, BINOMIAL_7)        # exact: counts
    np.testing.assert_array_equal(random.binomial(K7, 50.0, jnp.array([0.0, 1.0, -0.1, 0.9, 0.5])),
                                  BINOMIAL_7P)
    keys = random.split(random.PRNGKey(2), 3)
    f = jaxlite.vmap(lambda k, n: random.binomial(k, n, 0.4, (4,)))
    np.testing.assert_array_equal(f(keys, jnp.array([5., 60., 3000.])), BINOMIAL_VMAP)
    np.testing.assert_array_equal(jaxlite.jit(f)(keys, jnp.array([5., 60., 3000.])),
                                  BINOMIAL_VMAP)


@pytest.mark.parametrize("n, p", [(8, 0.3), (30, 0.9), (500, 0.2), (10_000, 0.55)])
def test_binomial_moments_and_pmf(n, p):
    # both algorithms (n q <= 10: inversion, above: BTRS), p > 1/2 by mirroring
    x = np.asarray(random.binomial(random.PRNGKey(13), n, p, (N,)))
    assert (x == np.floor(x)).all() and (x >= 0).all() and (x <= n).all()
    _check_moments(x, n * p, n * p * (1 - p))
    # the frequencies of the central values against the pmf
    for v in np.arange(round(n * p) - 2, round(n * p) + 3):
        freq, pmf = np.mean(x == v), stats.binom.pmf(v, n, p)
        assert abs(freq - pmf) < Z * math.sqrt(pmf * (1 - pmf) / N), (v, freq, pmf)


def test_binomial_errors():
    with pytest.raises(ValueError, match="must be a float dtype"):
        random.binomial(K0, 5, 0.5, (2,), np.int32)
    with pytest.raises(ValueError, match="broadcast"):
        random.binomial(K0, jnp.ones(3), 0.5, (2,))
    assert random.binomial(K0, jnp.ones((2, 1)), jnp.full(3, 0.5)).shape == (2, 3)
