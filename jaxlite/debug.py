"""jaxlite.debug.print: print values from inside (possibly transformed) functions.

Differences from JAX, which stages the print into the compiled program:

* The print happens when the Python code runs. Eagerly and under grad/jvp of
  concrete values that is every call, and the concrete value is printed (under
  grad: the primal).
* Under jit, and for vmapped values, the value is abstract: each one prints as
  a placeholder such as ``<traced f32[3]>`` (the per-example shape under vmap).
  Under jit the print happens once, while the function is traced; later calls
  of the compiled function print nothing.
"""
import builtins

import numpy as np

from jaxlite import core, tree_util


class _Traced:
    """Stands in for an abstract value in the formatted message."""
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    def __str__(self):
        return f"<traced {self.aval.str_short()}>"

    __repr__ = __str__

    def __format__(self, spec):
        # A numeric spec such as .3f cannot apply to a placeholder; ignore it.
        return str(self)


def _printable(x):
    if isinstance(x, core.Tracer):
        try:
            return np.asarray(x.concrete_value())
        except core.ConcretizationTypeError:
            return _Traced(x.aval)
    if isinstance(x, np.ndarray):
        return np.asarray(x)      # numpy's formatting, not the Array subclass's repr
    return x


def format_message(fmt, *args, **kwargs):
    """``fmt.format(*args, **kwargs)`` with arrays as numpy arrays and abstract
    values as placeholders."""
    args, kwargs = tree_util.tree_map(_printable, (args, kwargs))
    return fmt.format(*args, **kwargs)


def print(fmt, *args, ordered=False, **kwargs):   # noqa: A001 (JAX's name)
    """Print ``fmt.format(*args, **kwargs)`` (see the module docstring for when)."""
    if not isinstance(fmt, str):
        raise TypeError(f"debug.print: the format must be a string, got {type(fmt).__name__}")
    builtins.print(format_message(fmt, *args, **kwargs))
