"""Tangent values for the interpreters: symbolic zeros made concrete, and sums.

The interpreters sit below lax, so they do not import it: the few primitives
they need (lax defines them, and has been imported before anything is
traced) are looked up by name when first used.
"""
import numpy as np

from jaxlite import core

__all__ = ["Zero", "primitive", "zeros_like_aval", "instantiate", "add_tangents"]


class Zero:
    """A symbolic zero tangent or cotangent of the given aval."""
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"Zero({self.aval})"


def primitive(name):
    """The primitive registered under ``name`` (a lax primitive, say)."""
    try:
        return core.all_primitives[name]
    except KeyError:
        raise LookupError(f"primitive {name!r} is not registered: import jaxlite.lax "
                          f"before tracing") from None


def zeros_like_aval(aval):
    """A zero array of ``aval``'s shape and dtype (a Literal fill when staged)."""
    fill = np.zeros((), aval.dtype)
    if not aval.shape:
        return core.wrap(fill)
    return core.bind(primitive("broadcast_in_dim"), fill, shape=tuple(aval.shape),
                     broadcast_dimensions=())


def instantiate(t):
    """A tangent as a value: a symbolic Zero becomes a zero array."""
    return zeros_like_aval(t.aval) if type(t) is Zero else t


def add_tangents(a, b):
    """``a + b`` for two tangents (or cotangents) of one aval, either maybe Zero."""
    if type(a) is Zero:
        return b
    if type(b) is Zero:
        return a
    return core.bind(primitive("add"), a, b)
