"""The Dirichlet distribution: ``x`` on the simplex, concentrations ``alpha``
(the first axis of ``x`` runs over the components)."""
from jaxlite import numpy as jnp
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["logpdf", "pdf"]


def _check(x, alpha):
    if jnp.ndim(alpha) != 1:
        raise ValueError(f"dirichlet: alpha must be one-dimensional, got shape "
                         f"{jnp.shape(alpha)}")
    if jnp.shape(x)[0] not in (jnp.shape(alpha)[0], jnp.shape(alpha)[0] - 1):
        raise TypeError(f"dirichlet: x's first dimension must be alpha's ({jnp.shape(alpha)[0]}) "
                        f"or one less, got x of shape {jnp.shape(x)}")


def logpdf(x, alpha):
    x, alpha = _common.floats(x, alpha)
    _check(x, alpha)
    if x.shape[0] == alpha.shape[0] - 1:     # the last component is 1 - the others
        x = jnp.concatenate([x, 1.0 - jnp.sum(x, axis=0, keepdims=True)], axis=0)
    a = jnp.reshape(alpha, alpha.shape + (1,) * (x.ndim - 1))
    log_norm = jnp.sum(special.gammaln(alpha)) - special.gammaln(jnp.sum(alpha))
    value = jnp.sum(special.xlogy(a - 1.0, x), axis=0) - log_norm
    inside = jnp.all(x >= 0, axis=0) & (jnp.abs(jnp.sum(x, axis=0) - 1.0) < 1e-6)
    return _common.neg_inf_outside(inside, value)


pdf = _common.exp_of(logpdf)
