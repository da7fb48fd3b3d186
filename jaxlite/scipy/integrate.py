"""jaxlite.scipy.integrate: ``trapezoid``, as jax.scipy.integrate."""
import jaxlite.numpy as jnp

__all__ = ["trapezoid"]


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` along ``axis`` by the composite trapezoidal rule,
    over the sample points ``x`` or, without them, a uniform spacing ``dx``
    (scipy.integrate.trapezoid; the same function as jnp.trapezoid)."""
    return jnp.trapezoid(y, x, dx, axis)
