"""Operators and array methods, installed on ``core.Tracer`` and ``core.Array``.

``core.Array`` subclasses ``np.ndarray``, so without this numpy's own dunders
would run on eager values (numpy promotion: int32 + 1.5 -> float64, int32 sums
-> int64). Installing the jnp functions as its operators makes eager values
follow JAX's rules exactly as traced ones do.
"""
import numpy as np

from jaxlite import core, lax
from jaxlite.numpy import _elementwise as el, _reductions as red, _shape as sh
from jaxlite.numpy import _eager, _linalg, _indexing
from jaxlite import numpy_util as util
from jaxlite import numpy as jnp     # the package: its names are read at call time


def _is_operand(x):
    return isinstance(x, (core.Tracer, np.ndarray, np.generic, bool, int, float, complex))


def _binary(f):
    def method(self, other):
        if not _is_operand(other):
            return NotImplemented
        return f(self, other)
    method.__name__ = f.__name__
    return method


def _reflected(f):
    def method(self, other):
        if not _is_operand(other):
            return NotImplemented
        return f(other, self)
    method.__name__ = "r" + f.__name__
    return method


def _pow(x, y):
    return el.power(x, y)


def _rpow(self, other):
    if not _is_operand(other):
        return NotImplemented
    return el.power(other, self)


_BINARY = {
    "add": el.add, "sub": el.subtract, "mul": el.multiply, "truediv": el.true_divide,
    "floordiv": el.floor_divide, "mod": el.remainder, "divmod": el.divmod,
    "matmul": _linalg.matmul, "and": el.bitwise_and, "or": el.bitwise_or,
    "xor": el.bitwise_xor,
}
_COMPARE = {"eq": el.equal, "ne": el.not_equal, "lt": el.less, "le": el.less_equal,
            "gt": el.greater, "ge": el.greater_equal}


# ---------------------------------------------------------------- methods

def _reshape(self, *shape, order="C"):
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = shape[0]
    return sh.reshape(self, shape, order)


def _transpose(self, *axes):
    if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], (int, np.integer))):
        axes = axes[0]
    return sh.transpose(self, axes or None)


def _astype(self, dtype, copy=False, device=None, **_):
    return lax.convert_element_type(self, util.canonical_dtype(dtype))


def _round(self, decimals=0, out=None):
    return el.round(self, decimals)


def _clip(self, min=None, max=None, out=None, **kwargs):
    return el.clip(self, kwargs.get("a_min", min), kwargs.get("a_max", max))


def _squeeze(self, axis=None):
    return sh.squeeze(self, axis)


def _repeat(self, repeats, axis=None):
    return sh.repeat(self, repeats, axis)


def _take(self, indices, axis=None, out=None, mode=None):
    return _indexing.take(self, indices, axis)


def _flatten(self, order="C"):
    return sh.ravel(self, order)


def _copy(self, order="C"):
    return self


_METHODS = {
    "reshape": _reshape, "transpose": _transpose, "astype": _astype, "round": _round,
    "clip": _clip, "squeeze": _squeeze, "repeat": _repeat, "take": _take,
    "ravel": _flatten, "flatten": _flatten, "copy": _copy, "conj": el.conjugate,
    "conjugate": el.conjugate,
    "swapaxes": sh.swapaxes, "dot": _linalg.dot, "diagonal": _indexing.diagonal,
    "trace": _indexing.trace,
    "sum": red.sum, "prod": red.prod, "mean": red.mean, "var": red.var, "std": red.std,
    "max": red.max, "min": red.min, "argmax": red.argmax, "argmin": red.argmin,
    "all": red.all, "any": red.any, "cumsum": red.cumsum, "ptp": red.ptp,
    "__getitem__": _indexing.getitem,
    "__neg__": el.negative, "__pos__": el.positive, "__abs__": el.absolute,
    "__invert__": el.invert, "__pow__": _binary(_pow), "__rpow__": _rpow,
    "__round__": lambda self, ndigits=None: el.round(self, ndigits or 0),
}

_PROPERTIES = {
    "T": property(lambda self: sh.transpose(self)),
    "mT": property(lambda self: sh.swapaxes(self, -1, -2)),
    "at": property(_indexing.IndexUpdateHelper),
    "real": property(el.real),
    "imag": property(el.imag),
}


def install(cls):
    """Attach jnp's operators and methods to ``cls`` (by assignment)."""
    for name, f in _BINARY.items():
        setattr(cls, f"__{name}__", _binary(f))
        setattr(cls, f"__r{name}__", _reflected(f))
    for name, f in _COMPARE.items():
        setattr(cls, f"__{name}__", _binary(f))
    for name, f in _METHODS.items():
        setattr(cls, name, f)
    for name, p in _PROPERTIES.items():
        setattr(cls, name, p)


def install_inplace(cls):
    """``x += y`` rebinds ``x`` to a new array, as in JAX: without these, numpy's
    in-place dunders (inherited by ``core.Array``) would write into the array
    that other names still refer to. Tracers need none: Python falls back to
    ``__add__`` and rebinds."""
    for name, f in _BINARY.items():
        if name != "divmod":
            setattr(cls, f"__i{name}__", _binary(f))
    setattr(cls, "__ipow__", _binary(_pow))


def _tracer_array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """A numpy ufunc applied to a tracer (``np.sin(x)``, ``np_array + x``)
    runs the jaxlite.numpy function of the same name; what has no such
    function raises TracerArrayConversionError naming the user's line."""
    fn = getattr(jnp, ufunc.__name__, None)
    if method != "__call__" or kwargs or fn is None:
        call = ufunc.__name__ + ("" if method == "__call__" else "." + method)
        raise core.TracerArrayConversionError(
            f"numpy.{call} was applied to a traced array {self.aval}; jaxlite has no "
            f"equivalent of this call (use jaxlite.numpy functions inside transformed "
            f"code){core.where_message()}")
    return fn(*inputs)


install(core.Tracer)
install(core.Array)
install_inplace(core.Array)
# Eager fast paths on concrete arrays (see _eager.py); the general methods stay
# the fallback.
for _name, _ufunc in (("add", np.add), ("sub", np.subtract), ("mul", np.multiply)):
    setattr(core.Array, f"__{_name}__",
            _eager.binary_method(_ufunc, getattr(core.Array, f"__{_name}__")))
    setattr(core.Array, f"__r{_name}__",
            _eager.reflected_method(_ufunc, getattr(core.Array, f"__r{_name}__")))
core.Array.__getitem__ = _eager.getitem(core.Array.__getitem__)
core.Tracer.__array_ufunc__ = _tracer_array_ufunc
