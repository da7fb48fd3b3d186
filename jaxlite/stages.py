"""The stages of a jit call, and the abstract argument that can stand for an array.

``jit(f).lower(*args)`` gives a ``Lowered`` (the traced jaxpr) and its
``compile()`` a ``Compiled`` (the executable and every stage of it in text).
``ShapeDtypeStruct`` is a shape and dtype passed where an array would be.
"""
import operator

import numpy as np

from jaxlite import core, dtypes, tree_util
from jaxlite.jit_primitive import executable, fusion_plan_dot

__all__ = ["ShapeDtypeStruct", "abstract_aval", "Lowered", "Compiled"]


class ShapeDtypeStruct:
    """A shape and dtype standing in for an array (an abstract argument)."""
    __slots__ = ("shape", "dtype", "sharding", "weak_type")

    def __init__(self, shape, dtype, sharding=None, weak_type=False):
        try:
            self.shape = tuple(operator.index(d) for d in shape)
        except TypeError:
            raise TypeError(f"ShapeDtypeStruct: shape must be a sequence of integers, "
                            f"got {shape!r}") from None
        if any(d < 0 for d in self.shape):
            raise ValueError(f"ShapeDtypeStruct: shape must be non-negative, got {self.shape}")
        if dtype is None:
            raise ValueError("ShapeDtypeStruct: dtype must be specified")
        self.dtype = np.dtype(dtype)
        self.sharding = sharding
        self.weak_type = bool(weak_type)

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))

    @property
    def aval(self):
        return core.ShapedArray(self.shape, dtypes.canonicalize(self.dtype, "ShapeDtypeStruct"),
                                self.weak_type)

    def __eq__(self, other):
        return (isinstance(other, ShapeDtypeStruct) and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{weak})"

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]


def abstract_aval(x):
    """The aval of a value, a ShapeDtypeStruct or a ShapedArray (TypeError otherwise)."""
    if isinstance(x, ShapeDtypeStruct):
        return x.aval
    if isinstance(x, core.ShapedArray):
        return x
    return core.get_aval(x)


class Lowered:
    """A traced jit call: ``as_text()`` is the jaxpr; ``compile()`` runs the back end."""

    def __init__(self, trace, name):
        self._trace, self.name = trace, name

    @property
    def jaxpr(self):
        return self._trace.jaxpr

    in_tree = property(lambda self: self._trace.in_tree)
    out_tree = property(lambda self: self._trace.out_tree)

    @property
    def out_info(self):
        """The outputs' shapes and dtypes: a pytree of ShapeDtypeStruct."""
        leaves = [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                  for a in self._trace.jaxpr.out_avals]
        return tree_util.tree_unflatten(self._trace.out_tree, leaves)

    def as_text(self):
        return str(self._trace.jaxpr)

    def compile(self):
        return Compiled(executable(self._trace.jaxpr, self.name), self._trace)


class Compiled:
    """A compiled executable and every stage of it in text. Call it with the
    dynamic arguments of the call it was lowered for (static ones left out)."""

    def __init__(self, exe, trace):
        self.executable, self._trace = exe, trace

    def as_text(self):
        return self.executable.as_text()

    def llvm_ir(self, optimized=True):
        return self.executable.llvm_ir(optimized=optimized)

    def asm(self):
        return self.executable.asm()

    def fusion_plan(self):
        return self.executable.fusion_plan()

    def fusion_plan_dot(self):
        """The fusion plan as a Graphviz DOT graph of kernels (text)."""
        return fusion_plan_dot(self._trace.jaxpr, self.executable.name)

    def __call__(self, *args, **kwargs):
        flat, in_tree = tree_util.tree_flatten((args, kwargs))
        if in_tree != self._trace.in_tree:
            raise TypeError(f"{self.executable.name}: compiled for arguments with structure "
                            f"{self._trace.in_tree}, called with {in_tree}")
        outs = self.executable(*self._trace.consts, *flat)
        return tree_util.tree_unflatten(self._trace.out_tree, outs)
