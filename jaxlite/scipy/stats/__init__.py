"""jaxlite.scipy.stats: log-densities, densities and distribution functions
of the distributions jax.scipy.stats has, one submodule per distribution
(``stats.norm.logpdf(x, loc, scale)``). Outside a distribution's support
a log-density is -inf, as in JAX and SciPy."""
from jaxlite.scipy.stats import (bernoulli, beta, binom, cauchy, chi2, dirichlet, expon,  # noqa: F401
                                 gamma, geom, laplace, logistic, multivariate_normal, nbinom,
                                 norm, pareto, poisson, t, truncnorm, uniform)

__all__ = ["bernoulli", "beta", "binom", "cauchy", "chi2", "dirichlet", "expon", "gamma", "geom",
           "laplace", "logistic", "multivariate_normal", "nbinom", "norm", "pareto", "poisson",
           "t", "truncnorm", "uniform"]
