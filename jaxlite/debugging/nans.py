"""jax_debug_nans / jax_debug_infs: the first operation producing a NaN (an
inf) raises FloatingPointError naming the primitive, the user's source line
and whether it ran in the forward pass or in the backward pass of grad.

While a flag is on, the eager interpreter's class is swapped for a checking
subclass and jitted calls are wrapped; turning both flags off swaps the plain
code back, so the ordinary path has no test for them at all. Under jit the
compiled code checks every operation's output (the checkify transform with
NaN / inf checks, so a NaN that a ``where`` masks is found, as eagerly); on a
hit the function is rerun op by op (with jit disabled) to find the first
culprit and its pass, as JAX does. Operations inside a
backward pass report the source line of the primal equation they were
transposed from (``core.transposing``).
"""
import weakref

import numpy as np

from jaxlite import core, tree_util
from jaxlite.debugging import checks
from jaxlite._config import debug_infs, debug_nans, disable_jit, jit_disabled
from jaxlite.jit import Jitted, wrap_calls
from jaxlite.ir import eval_jaxpr

__all__ = ["CheckingEvalInterpreter"]

_PLAIN = core.EvalInterpreter


def _bad_kind(x):
    """'nan', 'inf' or None for a value, by the flags that are on."""
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "fc":
        return None
    if debug_nans.value and np.isnan(x).any():
        return "nan"
    if debug_infs.value and np.isinf(x).any():
        return "inf"
    return None


def _where():
    """'in the backward pass ... at file:line (fn):\\n    code' for the current operation."""
    src = core.user_frame()
    phase = ("the backward pass (transposed from the line below)"
             if core.source_context.backward else "the forward pass")
    if src is None:
        return f"in {phase}"
    text = src.line_text()
    return f"in {phase}, at {src}" + (f":\n    {text}" if text else "")


def _error(kind, name):
    what = "invalid value (nan)" if kind == "nan" else "invalid value (inf)"
    return FloatingPointError(f"{what} encountered in {name} {_where()}")


class CheckingEvalInterpreter(_PLAIN):
    """The eager interpreter, checking every output for NaN (inf). A call
    primitive (a jitted function under a transform) whose outputs are bad is
    rerun equation by equation (each under its source line) to name the one
    that made them."""

    def interpret(self, prim, args, params):
        out = _PLAIN.interpret(self, prim, args, params)
        for o in (out if prim.multiple_results else (out,)):
            kind = _bad_kind(o)
            if kind is not None:
                if prim.kind == core.CALL and "jaxpr" in params:
                    closed = params["jaxpr"]
                    with disable_jit():
                        eval_jaxpr(closed.jaxpr, closed.consts, *args)
                raise _error(kind, prim.name)
        return out


def _as_arrays(tree):
    """Python scalars as arrays, as the compiled code saw them (so ``1. / x``
    divides arrays, not Python floats, when rerun)."""
    return tree_util.tree_map(
        lambda x: core.wrap(np.asarray(x, core.get_aval(x).dtype))
        if core.is_python_scalar(x) else x, tree)


_checked_versions = weakref.WeakKeyDictionary()   # Jitted -> {kinds: jit(checkify(fun))}


def _checked_version(jitted):
    kinds = (checks.nan_checks if debug_nans.value else frozenset()) | (
        checks.inf_checks if debug_infs.value else frozenset())
    per_kinds = _checked_versions.setdefault(jitted, {})
    inner = per_kinds.get(kinds)
    if inner is None:
        inner = Jitted(checks.checkify(jitted.fun, kinds), jitted.static_argnums,
                       jitted.static_argnames)
        inner.name = jitted.name
        per_kinds[kinds] = inner
    return inner


def _checked_call(call):
    """A top-level jitted call runs as jit(checkify(f, nan (inf) checks)): every
    operation's output is checked inside the compiled code. On a hit the
    function is rerun op by op to name the culprit, its line and its pass."""
    def __call__(self, *args, **kwargs):
        if core.current.interp is not core.eval_interpreter or jit_disabled.value:
            # traced: the eager interpreter checks the call's result
            return call(self, *args, **kwargs)
        err, out = call(_checked_version(self), *args, **kwargs)
        message = err.get()
        if message is not None:
            with disable_jit():               # raises at the first bad operation
                self.fun(*_as_arrays(args), **_as_arrays(kwargs))
            raise FloatingPointError(
                f"{message}\n(in the compiled code of jit({self.name}); running it op by "
                f"op with jit disabled produced no such value: the compiled code's "
                f"floating-point results differ from the eager ones)")
        return out
    __call__.__wrapped__ = call
    return __call__


def _update(_value):
    on = debug_nans.value or debug_infs.value
    core.eval_interpreter.__class__ = CheckingEvalInterpreter if on else _PLAIN
    wrap_calls("debug_nans", _checked_call if on else None)


debug_nans.listen(_update)
debug_infs.listen(_update)
