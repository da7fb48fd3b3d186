"""jaxlite.scipy.stats: log-densities, densities and distribution functions
of the distributions jax.scipy.stats has, one submodule per distribution
(``stats.norm.logpdf(x, loc, scale)``). Outside a distribution's support
a log-density is -inf, as in JAX and SciPy."""
from jaxlite.scipy.stats import (bernoulli, beta, betabinom, binom, cauchy, chi2,  # noqa: F401
                                 dirichlet, expon, gamma, gennorm, geom, gumbel_l, gumbel_r,
                                 laplace, logistic, multinomial, multivariate_normal, nbinom,
                                 norm, pareto, poisson, t, truncnorm, uniform, vonmises,
                                 wrapcauchy)
from jaxlite.scipy.stats._core import mode, rankdata, sem  # noqa: F401
from jaxlite.scipy.stats.kde import gaussian_kde  # noqa: F401

__all__ = ["bernoulli", "beta", "betabinom", "binom", "cauchy", "chi2", "dirichlet", "expon",
           "gamma", "gennorm", "geom", "gumbel_l", "gumbel_r", "laplace", "logistic",
           "multinomial", "multivariate_normal", "nbinom", "norm", "pareto", "poisson", "t",
           "truncnorm", "uniform", "vonmises", "wrapcauchy", "gaussian_kde", "mode", "rankdata", "sem"]
