"""Shared by the distribution modules: operand promotion and log/exp pairs."""
import numpy as np

from jaxlite import numpy as jnp
from jaxlite import numpy_util as util


def floats(*args):
    """Operands promoted together to a float dtype (they broadcast in jnp ops)."""
    return util.promote_inexact(*args)


def standardize(x, loc, scale):
    """(x - loc) / scale, all promoted together; also returns scale."""
    x, loc, scale = floats(x, loc, scale)
    return (x - loc) / scale, scale


def neg_inf_outside(inside, value):
    return jnp.where(inside, value, -np.inf)


def exp_of(logf):
    """The density (or pmf, cdf) from its log."""
    def f(*args, **kwargs):
        return jnp.exp(logf(*args, **kwargs))
    f.__name__ = logf.__name__.replace("log", "", 1)
    f.__doc__ = f"exp({logf.__name__}(...))."
    return f
