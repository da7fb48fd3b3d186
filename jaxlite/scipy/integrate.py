"""jaxlite.scipy.integrate: ``trapezoid``, as jax.scipy.integrate."""
from jaxlite.numpy import _calculus

__all__ = ["trapezoid"]


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` along ``axis`` by the composite trapezoidal rule,
    over the sample points ``x`` or, without them, a uniform spacing ``dx``
    (scipy.integrate.trapezoid; the same function as jnp.trapezoid)."""
    return _calculus.trapezoid(y, x, dx, axis)
