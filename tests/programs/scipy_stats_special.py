"""jax.scipy.special and jax.scipy.stats against scipy, including under jit, vmap and grad."""
import numpy as np
import scipy.special as ss
import scipy.stats as st

import jax
import jax.numpy as jnp
from jax.scipy import special, stats

rng = np.random.default_rng(3)
x = rng.normal(size=(4, 6)).astype(np.float32)
tol = dict(rtol=2e-5, atol=1e-6)

# logsumexp: plain, along an axis, with weights b and with return_sign for negative weights.
np.testing.assert_allclose(special.logsumexp(x), ss.logsumexp(x), **tol)
np.testing.assert_allclose(special.logsumexp(x, axis=1, keepdims=True), ss.logsumexp(x, axis=1, keepdims=True), **tol)
w = rng.uniform(0.1, 2.0, size=x.shape).astype(np.float32)
np.testing.assert_allclose(special.logsumexp(x, axis=0, b=w), ss.logsumexp(x, axis=0, b=w), **tol)
signed = np.array([1.0, -2.0, 0.5], np.float32)
val, sgn = special.logsumexp(jnp.zeros(3), b=signed, return_sign=True)
val_np, sgn_np = ss.logsumexp(np.zeros(3), b=signed, return_sign=True)
np.testing.assert_allclose(val, val_np, **tol)
assert float(sgn) == sgn_np == -1.0
big = jnp.array([1000.0, 1000.0])
np.testing.assert_allclose(special.logsumexp(big), 1000.0 + np.log(2.0), rtol=1e-6)  # no overflow
np.testing.assert_allclose(jax.grad(special.logsumexp)(jnp.asarray(x[0])), ss.softmax(x[0]), **tol)

# scipy's softmax normalises over every element unless given an axis.
np.testing.assert_allclose(special.softmax(x), ss.softmax(x), **tol)
np.testing.assert_allclose(special.log_softmax(x, axis=1), ss.log_softmax(x, axis=1), **tol)

# Elementwise special functions.
pos = rng.uniform(0.1, 8.0, size=20).astype(np.float32)
np.testing.assert_allclose(special.gammaln(pos), ss.gammaln(pos), rtol=1e-5, atol=1e-5)
np.testing.assert_allclose(special.digamma(pos), ss.digamma(pos), rtol=1e-4, atol=1e-5)
np.testing.assert_allclose(jax.grad(lambda t: jnp.sum(special.gammaln(t)))(pos), ss.digamma(pos), rtol=1e-4, atol=1e-5)
np.testing.assert_allclose(special.erf(x), ss.erf(x), **tol)
np.testing.assert_allclose(special.erfc(3 * x), ss.erfc(3 * x), rtol=1e-4, atol=1e-7)
np.testing.assert_allclose(special.expit(x), ss.expit(x), **tol)
p = rng.uniform(0.01, 0.99, size=10).astype(np.float32)
np.testing.assert_allclose(special.logit(p), ss.logit(p), rtol=1e-4, atol=1e-5)
np.testing.assert_allclose(special.expit(special.logit(p)), p, rtol=1e-5)
np.testing.assert_allclose(special.xlogy(jnp.array([0.0, 2.0, 3.0]), jnp.array([0.0, 3.0, 0.5])),
                           ss.xlogy([0.0, 2.0, 3.0], [0.0, 3.0, 0.5]), **tol)  # 0 * log(0) is 0
q = np.array([0.2, 0.5, 0.3], np.float32)
np.testing.assert_allclose(special.rel_entr(p[:3], q), ss.rel_entr(p[:3], q), rtol=1e-5)
np.testing.assert_allclose(special.kl_div(p[:3], q), ss.kl_div(p[:3], q), rtol=1e-5)

# Distributions.
pts = np.linspace(-3, 3, 13).astype(np.float32)
np.testing.assert_allclose(stats.norm.logpdf(pts, loc=0.5, scale=2.0), st.norm.logpdf(pts, 0.5, 2.0), **tol)
np.testing.assert_allclose(stats.norm.pdf(pts), st.norm.pdf(pts), **tol)
np.testing.assert_allclose(stats.norm.cdf(pts, 1.0, 0.5), st.norm.cdf(pts, 1.0, 0.5), rtol=1e-4, atol=1e-6)
np.testing.assert_allclose(jax.grad(stats.norm.cdf)(0.3), st.norm.pdf(0.3), rtol=1e-5)

mean = np.array([0.5, -1.0, 2.0], np.float32)
A = rng.normal(size=(3, 3)).astype(np.float32)
cov = (A @ A.T + np.eye(3)).astype(np.float32)
samples = rng.normal(size=(5, 3)).astype(np.float32)
np.testing.assert_allclose(stats.multivariate_normal.logpdf(samples, mean, cov),
                           st.multivariate_normal.logpdf(samples, mean, cov.astype(np.float64)), rtol=1e-4)
np.testing.assert_allclose(stats.multivariate_normal.logpdf(samples, mean, 2.0),      # cov = 2 I
                           st.multivariate_normal.logpdf(samples, mean, 2.0 * np.eye(3)), rtol=1e-5)
np.testing.assert_allclose(jax.jit(stats.multivariate_normal.pdf)(samples, mean, cov),
                           st.multivariate_normal.pdf(samples, mean, cov.astype(np.float64)), rtol=1e-4)

u = np.linspace(0.05, 0.95, 10).astype(np.float32)
np.testing.assert_allclose(stats.beta.logpdf(u, 2.5, 1.5), st.beta.logpdf(u, 2.5, 1.5), rtol=1e-4, atol=1e-5)
np.testing.assert_allclose(stats.beta.pdf(u, 0.7, 3.0), st.beta.pdf(u, 0.7, 3.0), rtol=1e-4)
np.testing.assert_allclose(stats.gamma.logpdf(pos, 3.0), st.gamma.logpdf(pos, 3.0), rtol=1e-4, atol=1e-5)
np.testing.assert_allclose(stats.gamma.pdf(pos, 2.0, scale=1.5), st.gamma.pdf(pos, 2.0, scale=1.5), rtol=1e-4, atol=1e-7)
np.testing.assert_allclose(stats.gamma.cdf(pos, 2.0), st.gamma.cdf(pos, 2.0), rtol=1e-4, atol=1e-6)
k = np.arange(0, 12)
np.testing.assert_allclose(stats.poisson.logpmf(k, 3.5), st.poisson.logpmf(k, 3.5), rtol=1e-5, atol=1e-5)
np.testing.assert_allclose(stats.poisson.pmf(k, 3.5), st.poisson.pmf(k, 3.5), rtol=1e-4, atol=1e-7)
np.testing.assert_allclose(stats.poisson.cdf(k, 3.5), st.poisson.cdf(k, 3.5), rtol=1e-4, atol=1e-6)
rates = jnp.array([0.5, 1.0, 4.0])
np.testing.assert_allclose(jax.vmap(lambda r: stats.poisson.logpmf(2, r))(rates), st.poisson.logpmf(2, np.asarray(rates)), rtol=1e-5)
print("OK")
