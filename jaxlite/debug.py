"""jaxlite.debug: print, callback and breakpoint from inside (possibly
transformed, possibly compiled) functions, as in JAX.

All three run when the program runs, with the values: eagerly at the call,
under jit at every call of the compiled function (in program order), under
vmap once per batch element, under grad/jvp with the primal values.
``debug_callback`` is the primitive behind them: its impl calls the Python
function on the arrays, its jvp calls it on the primals, its batch rule once
per batch element (JAX's sequential batching), and the compiler lowers it to a
call back into Python (compiler/callback.py). It is effectful: dead-code
elimination keeps it although nothing reads its token output.
"""
import builtins
import itertools
import os
import pdb
import sys

import numpy as np

from jaxlite import core, dtypes, ir, lax, tree_util
from jaxlite.ir_dot import jaxpr_to_dot  # noqa: F401  (public: jaxlite.debug.jaxpr_to_dot)
from jaxlite.interpreters import ad, batching


def format_message(fmt, *args, **kwargs):
    """``fmt.format(*args, **kwargs)`` with every array a jaxlite Array, as JAX
    formats its own arrays: str gives numpy's text, and an array inside a
    container shows as ``Array(1., dtype=float32)``."""
    args, kwargs = tree_util.tree_map(
        lambda x: core.wrap(x) if isinstance(x, np.ndarray) else x, (args, kwargs))
    return fmt.format(*args, **kwargs)


def print(fmt, *args, ordered=False, **kwargs):   # noqa: A001 (JAX's name)
    """Print ``fmt.format(*args, **kwargs)`` with the values, when the program
    runs (see the module docstring)."""
    if not isinstance(fmt, str):
        raise TypeError(f"debug.print: the format must be a string, got {type(fmt).__name__}")
    callback(lambda *a, **k: builtins.print(format_message(fmt, *a, **k)), *args, **kwargs)


# ------------------------------------------------------------------ callback

_callbacks = {}     # id -> (function, treedef of (args, kwargs), static leaves or _DYNAMIC)
_DYNAMIC = object()
_ids = itertools.count()
_TOKEN = core.ShapedArray((), dtypes.bool_)


def run_callback(callback_id, arrays):
    """Call the registered callback ``callback_id`` with its arguments rebuilt
    from ``arrays`` (the compiled program's entry back into Python)."""
    fn, treedef, static = _callbacks[callback_id]
    values = iter(core.wrap(np.asarray(a)) for a in arrays)
    leaves = [next(values) if s is _DYNAMIC else s for s in static]
    args, kwargs = tree_util.tree_unflatten(treedef, leaves)
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
    bind_callback(callback, *args, **kwargs)


def bind_callback(callback, *args, **kwargs):
    """``callback``'s body: bind the primitive and return the callback's id
    (checkify recognises its checks by it)."""
    leaves, treedef = tree_util.tree_flatten((args, kwargs))
    # Arrays and numbers are operands; anything else (strings, ...) is passed as is.
    is_value = [isinstance(x, (core.Tracer, np.ndarray, np.generic))
                or type(x) in (bool, int, float) for x in leaves]
    flat = [x for x, v in zip(leaves, is_value) if v]
    static = [_DYNAMIC if v else x for x, v in zip(leaves, is_value)]
    callback_id = next(_ids)
    _callbacks[callback_id] = (callback, treedef, static)
    # The leading token operand gives the primitive an input even when the
    # callback takes no arguments (the compiler's kernels all have one).
    core.bind(debug_callback_p, np.zeros((), np.bool_), *flat, callback=callback_id)
    return callback_id


def breakpoint(*, backend=None, filter_frames=True, num_frames=None,   # noqa: A001
               ordered=False, token=None, **kwargs):
    """Enter pdb when the program reaches this point, with the caller's local
    arrays as the debugger's locals (their runtime values): eagerly now, under
    jit each time the compiled program runs (through a callback), under vmap
    once per batch element (see ``enter_debugger`` for PYTHONBREAKPOINT)."""
    frame = sys._getframe(1)
    values = {k: v for k, v in frame.f_locals.items()
              if isinstance(v, (core.Tracer, np.ndarray)) and k.isidentifier()}
    source = core.user_frame()
    callback(lambda **vals: enter_debugger(vals, source), **values)


def enter_debugger(values, source=None):
    """Run pdb on a frame whose locals are ``values`` (name -> array). An
    installed ``sys.breakpointhook`` or a PYTHONBREAKPOINT naming another
    debugger is called instead (without the values); PYTHONBREAKPOINT=0 skips."""
    hook = os.environ.get("PYTHONBREAKPOINT", "")
    if hook == "0":
        return
    if sys.breakpointhook is not sys.__breakpointhook__ or hook not in ("", "pdb.set_trace"):
        sys.breakpointhook()
        return
    where = f" at {source}" if source is not None else ""
    builtins.print(f"jaxlite.debug.breakpoint{where}; locals: {', '.join(sorted(values))} "
                   f"(type c to continue)")
    pdb.Pdb().run("pass", {"__name__": "__jaxlite_breakpoint__"}, dict(values))
