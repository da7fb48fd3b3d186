"""jaxlite: JAX's programming model on numpy and llvmlite."""
from jaxlite import lax, numpy, tree_util, nn, random  # noqa: F401
from jaxlite.api import (grad, value_and_grad, jvp, vjp, linearize, jacfwd, jacrev,  # noqa: F401
                         hessian, vmap, make_jaxpr, eval_shape, block_until_ready)
from jaxlite.jit import jit  # noqa: F401
from jaxlite.custom_derivatives import custom_jvp, custom_vjp  # noqa: F401
from jaxlite.core import Array, ConcretizationTypeError  # noqa: F401
from jaxlite.lax import stop_gradient  # noqa: F401

__version__ = "0.1.0"
