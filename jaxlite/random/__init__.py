"""jaxlite.random: JAX's splittable, counter-based random numbers.

Keys are uint32[2] arrays and the bits are JAX's Threefry-2x32 bits in its
default (partitionable) layout, so a seed gives the numbers JAX gives (see
``_prng``); the samplers (``_samplers``) follow JAX's formulas. The values
depend only on the key and the requested shape, never on call order or
global state.
"""
from jaxlite.random._prng import (PRNGKey, key, key_data, wrap_key_data, key_impl, clone,
                                  split, fold_in)
from jaxlite.random._samplers import (
    uniform, normal, truncated_normal, bernoulli, exponential, gumbel, laplace, logistic,
    cauchy, bits, randint, rademacher, categorical, permutation, shuffle, choice,
    lognormal, rayleigh, weibull_min, pareto, triangular, loggamma, gamma, chisquare, beta,
    dirichlet, multivariate_normal, orthogonal, maxwell, double_sided_maxwell, geometric, poisson,
    t, binomial)

__all__ = ["PRNGKey", "key", "key_data", "wrap_key_data", "key_impl", "clone", "split",
           "fold_in", "uniform", "normal", "truncated_normal", "bernoulli", "exponential",
           "gumbel", "laplace", "logistic", "cauchy", "bits", "randint", "rademacher",
           "categorical", "permutation", "shuffle", "choice", "lognormal", "rayleigh",
           "weibull_min", "pareto", "triangular", "loggamma", "gamma", "chisquare", "beta",
           "dirichlet", "multivariate_normal", "orthogonal", "maxwell",
           "double_sided_maxwell", "geometric", "poisson", "t", "binomial"]
