"""jaxlite.debug.print: print values from inside (possibly transformed) functions.

Differences from JAX, which stages the print into the compiled program:

* The print happens when the Python code runs. Eagerly and under grad/jvp of
  concrete values that is every call, and the concrete value is printed (under
  grad: the primal).
* Under jit, and for vmapped values, the value is abstract: each one prints as
  a placeholder such as ``<traced f32[3]>`` (the per-example shape under vmap).
  Under jit the print happens once, while the function is traced; later calls
  of the compiled function print nothing.

jaxlite.debug.callback and debug.breakpoint run when the program runs, as in
JAX: ``debug_callback`` is a primitive whose impl calls the Python function on
numpy arrays, whose jvp calls it on the primals, whose batch rule calls it once
per batch element, and which the compiler lowers to a call back into Python
(compiler/callback.py). It is effectful: dead-code elimination keeps it, and
compiled calls happen in program order.
"""
import builtins
import itertools
import sys

import numpy as np

from jaxlite import core, dtypes, ir, lax, tree_util
from jaxlite.interpreters import ad, batching


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


# ------------------------------------------------------------------ callback

_callbacks = {}                 # id -> (function, args treedef, kwargs)
_ids = itertools.count()
_TOKEN = core.ShapedArray((), dtypes.bool_)


def run_callback(callback_id, arrays):
    """Call the registered callback ``callback_id`` with its arguments rebuilt
    from ``arrays`` (the compiled program's entry back into Python)."""
    fn, treedef, kwargs = _callbacks[callback_id]
    args = tree_util.tree_unflatten(treedef, [core.wrap(np.asarray(a)) for a in arrays])
    fn(*args, **kwargs)


def _impl(token, *arrays, callback):
    run_callback(callback, arrays)
    return np.zeros((), np.bool_)


debug_callback_p = core.Primitive("debug_callback", kind=core.KERNEL, cost=core.COSTLY)
core.impl_rules[debug_callback_p] = _impl
core.abstract_eval_rules[debug_callback_p] = lambda *avals, callback: _TOKEN
ir.effectful.add(debug_callback_p)


def _jvp(primals, tangents, callback):
    # The callback sees the primal values; its token has no derivative.
    token = core.bind(debug_callback_p, *primals, callback=callback)
    return token, ad.Zero(_TOKEN)


def _batch(axis_size, vals, dims, callback):
    """One call per batch element, in order (JAX's sequential batching)."""
    token = None
    for i in range(axis_size):
        args = [v if d is None else lax.index_in_dim(v, i, d, keepdims=False)
                for v, d in zip(vals, dims)]
        token = core.bind(debug_callback_p, *args, callback=callback)
    if token is None:
        token = np.zeros((), np.bool_)
    return token, None


ad.jvp_rules[debug_callback_p] = _jvp
batching.batch_rules[debug_callback_p] = _batch


def callback(callback, *args, ordered=False, partitioned=False, **kwargs):
    """Call ``callback(*args, **kwargs)`` with the arrays' values when the
    program runs: eagerly now, under jit each time the compiled program runs,
    under vmap once per batch element, under grad with the primal values.
    Returns None."""
    if not callable(callback):
        raise TypeError(f"debug.callback: expected a callable, got {callback!r}")
    flat, treedef = tree_util.tree_flatten(args)
    flat = [x if isinstance(x, (core.Tracer, np.ndarray)) or type(x) in (bool, int, float)
            else np.asarray(x) for x in flat]
    callback_id = next(_ids)
    _callbacks[callback_id] = (callback, treedef, kwargs)
    # The leading token operand gives the primitive an input even when the
    # callback takes no arguments (the compiler's kernels all have one).
    core.bind(debug_callback_p, np.zeros((), np.bool_), *flat, callback=callback_id)


def breakpoint(*, backend=None, filter_frames=True, num_frames=None,   # noqa: A001
               ordered=False, token=None, **kwargs):
    """Enter the Python debugger (``sys.breakpointhook``, so PYTHONBREAKPOINT is
    honoured) when the program reaches this point: eagerly now, under jit each
    time the compiled program runs."""
    callback(lambda: sys.breakpointhook())
