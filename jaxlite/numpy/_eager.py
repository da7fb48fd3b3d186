"""Eager fast paths: the commonest operations on concrete arrays skip ``bind``.

On small arrays an eager operation is all overhead: promotion, abstract
evaluation, the interpreter's argument loop. When no transform and no checking
mode (debug_nans, checked mode swap the eager interpreter's class) is active
and the operands are cases whose answer numpy computes exactly as the
primitive's impl would (the same ufunc on the same dtypes, numpy's basic
indexing where JAX's agrees with it), these functions compute it directly and
return None otherwise, and the caller takes the general path.
"""
import numpy as np

from jaxlite import core

__all__ = ["binary_method", "reflected_method", "unary", "getitem", "index_set"]

_Array, _ndarray, _view = core.Array, np.ndarray, np.ndarray.view
# numpy's ufuncs are about twice as slow on a subclass: they run on ndarray views
# (of arrays with at least one dimension: on 0-d arrays they return scalars).
_EvalInterpreter, _current = core.EvalInterpreter, core.current
_FLOATS = frozenset([np.dtype(np.float32), np.dtype(np.float64)])
_SUPPORTED = frozenset(np.dtype(d) for d in ("bool", "int32", "int64", "float32", "float64"))
# A Python int operand of a float array converts exactly below this size.
_EXACT_INT = 1 << 24
_INT_OR_NONE = frozenset([int, type(None)])
_getitem, _setitem, _copy = _ndarray.__getitem__, _ndarray.__setitem__, _ndarray.copy
# Results are read-only, as the general path's (core.wrap): numpy's in-place
# operations must not change a value jaxlite may share. A view of a read-only
# array is read-only, so slices need nothing.
_setflags = _ndarray.setflags


def _plain():
    """Is the eager interpreter current, with no checking mode's class swapped
    in? (One read of the thread-local: there is one EvalInterpreter instance.)"""
    return type(_current.interp) is _EvalInterpreter


def _scalar_for(x, s):
    """Does the Python scalar ``s`` take ``x``'s float dtype unchanged (JAX's
    weak typing, numpy's NEP 50 casting)?"""
    t = type(s)
    return t is float or (t is int and -_EXACT_INT <= s <= _EXACT_INT)


def binary_method(ufunc, slow):
    """``Array.__op__``: ``ufunc`` for a float Array with a Python scalar or an
    Array of its dtype and shape, else ``slow``."""
    def method(self, other):
        if self.dtype in _FLOATS and self.ndim and _plain():
            t = type(other)
            if t is _Array and other.dtype is self.dtype and other.shape == self.shape:
                out = ufunc(_view(self, _ndarray), _view(other, _ndarray))
                _setflags(out, False)
                return _view(out, _Array)
            if _scalar_for(self, other):
                out = ufunc(_view(self, _ndarray), other)
                _setflags(out, False)
                return _view(out, _Array)
        return slow(self, other)
    method.__name__ = slow.__name__
    return method


def reflected_method(ufunc, slow):
    """``Array.__rop__``: ``other op self`` for a Python scalar ``other``."""
    def method(self, other):
        if self.dtype in _FLOATS and self.ndim and _scalar_for(self, other) and _plain():
            out = ufunc(other, _view(self, _ndarray))
            _setflags(out, False)
            return _view(out, _Array)
        return slow(self, other)
    method.__name__ = slow.__name__
    return method


def unary(np_fn, slow):
    """A jnp function computing ``np_fn`` (the impl of its primitive) directly
    on a float Array."""
    def f(x):
        if type(x) is _Array and x.dtype in _FLOATS and x.ndim and _plain():
            out = np_fn(_view(x, _ndarray))
            _setflags(out, False)
            return _view(out, _Array)
        return slow(x)
    f.__name__, f.__doc__ = slow.__name__, slow.__doc__
    return f


def _basic_index(x, idx):
    """``idx`` as a tuple of in-bounds ints and int slices ending in Ellipsis
    (so numpy returns a 0-d array, not a scalar), or None."""
    entries = idx if type(idx) is tuple else (idx,)
    if len(entries) > x.ndim:
        return None
    shape = x.shape
    for d, e in enumerate(entries):
        t = type(e)
        if t is int:
            if not -shape[d] <= e < shape[d]:
                return None     # JAX clamps, numpy raises
        elif t is slice:
            if (type(e.start) not in _INT_OR_NONE or type(e.stop) not in _INT_OR_NONE
                    or type(e.step) not in _INT_OR_NONE):
                return None
        else:
            return None
    return entries + (Ellipsis,)


def getitem(slow):
    """``Array.__getitem__``: numpy's basic indexing (a view, read-only as its
    base) for ints in bounds and slices, else ``slow``."""
    def method(self, idx):
        # _plain() in one read of the thread-local: the current interpreter is
        # the eager one, with no checking mode's class swapped in. This is the
        # hottest method of an eager program.
        if type(_current.interp) is _EvalInterpreter:
            if type(idx) is slice:
                # numpy's slices are JAX's (bounds clamp, a zero step raises
                # ValueError); a bound without __index__ (TypeError) or a 0-d
                # array (IndexError) goes to the general path for its message.
                try:
                    return _getitem(self, idx)
                except (TypeError, IndexError):
                    pass
            else:
                entries = _basic_index(self, idx)
                if entries is not None:
                    return _getitem(self, entries)
        return slow(self, idx)
    method.__name__ = "__getitem__"
    return method


def index_set(x, idx, values):
    """``x.at[idx].set(values)`` by a copy and numpy's item assignment, for an
    Array, basic in-bounds indices and a value of ``x``'s kind (a Python
    scalar, or an Array of ``x``'s dtype and the indexed shape); else None."""
    if type(x) is not _Array or type(_current.interp) is not _EvalInterpreter:
        return None
    t = type(values)
    # The commonest case first, checked quickly: a float array, an int index
    # in bounds (JAX drops an update out of bounds, numpy raises), a Python
    # float or an int that converts exactly.
    if type(idx) is int and x.ndim == 1 and x.dtype in _FLOATS and (
            t is float or (t is int and -_EXACT_INT <= values <= _EXACT_INT)):
        n = x.shape[0]
        if -n <= idx < n:
            # An Array copy, writeable; numpy stores one element of a 1-d
            # array directly (other indices may go through the subclass's
            # __getitem__, so the general case below works on an ndarray).
            out = _copy(x)
            _setitem(out, idx, values)
            _setflags(out, False)
            return out
        return None
    if x.dtype not in _SUPPORTED:
        return None
    kind = x.dtype.kind
    if t is float:
        ok = kind == "f"
    elif t is int:
        ok = kind in "if" and -_EXACT_INT <= values <= _EXACT_INT
    elif t is bool:
        ok = kind == "b"
    else:
        ok = t is _Array and values.dtype is x.dtype
    if not ok:
        return None
    entries = _basic_index(x, idx)
    if entries is None or (t is _Array and values.shape != _getitem(x, entries).shape):
        return None
    out = _copy(_view(x, _ndarray))
    out[entries] = values
    _setflags(out, False)
    return _view(out, _Array)
