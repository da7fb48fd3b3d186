"""The checkify transform over jaxprs, and jit's checked mode.

``checkify_jaxpr`` re-traces a jaxpr with a check before each equation that
can fail silently in compiled code: an out-of-bounds gather / scatter /
dynamic slice (compiled code clamps or drops), an integer division by zero,
a NaN produced by a floating-point operation, and user ``check``s (a
debug_callback registered here). The new jaxpr also returns an int32 error
code (0: no error; k: check k failed first) and, per check, the values its
message shows. ``Error`` turns these back into a message with the user's
source line. Calls (jit) are checked inside; the bodies of scan / while
carry their error code and payloads as extra loop carries, and cond's
branches return them as extra outputs, so checks nest to any depth.

Checked mode (``jaxlite_checked_mode`` / JAXLITE_CHECKED_MODE=1) runs every
top-level jitted call as ``jit(checkify(f, all_checks))`` and raises the
error; it swaps the call path only while on.
"""
import weakref

import numpy as np

from jaxlite import core, debug, dtypes, lax, tree_util
from jaxlite.jit import Jitted, wrap_calls
from jaxlite._config import checked_mode, jit_disabled
from jaxlite.interpreters import partial_eval as pe
from jaxlite.ir import ClosedJaxpr, Literal, eval_jaxpr

__all__ = ["JaxRuntimeError", "Error", "checkify", "check", "checkify_jaxpr",
           "user_checks", "index_checks", "nan_checks", "div_checks", "float_checks",
           "automatic_checks", "all_checks", "inf_checks"]

user_checks = frozenset({"user"})
index_checks = frozenset({"index"})
nan_checks = frozenset({"nan"})
div_checks = frozenset({"div"})
float_checks = nan_checks | div_checks
automatic_checks = float_checks | index_checks
all_checks = automatic_checks | user_checks
inf_checks = frozenset({"inf"})      # jaxlite's, for jax_debug_infs under jit


class JaxRuntimeError(RuntimeError):
    """A failed check (as JAX's ``checkify.JaxRuntimeError``)."""


# ------------------------------------------------------------- user checks

_user_checks = {}     # debug_callback id -> the check's message


def check(pred, msg, *fmt_args, **fmt_kwargs):
    """Check that ``pred`` is true everywhere, else fail with
    ``msg.format(*fmt_args, **fmt_kwargs)``. Eagerly it raises JaxRuntimeError
    at once; under ``checkify`` (or checked mode) it becomes part of the
    returned Error."""
    if not isinstance(msg, str):
        raise TypeError(f"check: the message must be a string, got {type(msg).__name__}")

    def fail_if_false(pred, *args, **kwargs):
        if not np.all(np.asarray(pred)):
            raise JaxRuntimeError(msg.format(*args, **kwargs) + core.where_message())
    callback_id = debug.bind_callback(fail_if_false, pred, *fmt_args, **fmt_kwargs)
    _user_checks[callback_id] = (msg, tuple(fmt_kwargs))


# ------------------------------------------------------------------ Error

class Error:
    """The outcome of a checkified function: ``get()`` is the message of the
    first failed check (None if none failed), ``throw()`` raises it. A pytree
    (the code and payloads are its leaves), so it can leave jit and vmap."""

    def __init__(self, code, payloads, table):
        self.code, self.payloads, self.table = code, list(payloads), table

    def _first(self):
        """``(check number k >= 1, batch index or ())`` of the first failure, or None."""
        code = np.asarray(self.code)
        if not code.any():
            return None
        where = tuple(int(i) for i in np.argwhere(code)[0])
        return int(code[where]), where

    def get(self):
        first = self._first()
        if first is None:
            return None
        k, where = first
        kind, message, source, nargs, kwnames = self.table[k - 1]
        start = sum(t[3] + len(t[4]) for t in self.table[:k - 1])
        vals = [np.asarray(p)[where] for p in self.payloads[start:start + nargs + len(kwnames)]]
        args, kwargs = vals[:nargs], dict(zip(kwnames, vals[nargs:]))
        text = message.format(*args, **kwargs)
        at = f" (batch element {where})" if where else ""
        line = ""
        if source is not None:
            code_line = source.line_text()
            line = f" at {source}" + (f":\n    {code_line}" if code_line else "")
        return f"{text}{at}{line}"

    def get_exception(self):
        msg = self.get()
        return None if msg is None else JaxRuntimeError(msg)

    def throw(self):
        exc = self.get_exception()
        if exc is not None:
            raise exc

    def __repr__(self):
        msg = self.get() if not isinstance(self.code, core.Tracer) else None
        return f"Error({msg!r})" if msg else "Error(no error)"


tree_util.register_pytree_node(
    Error, lambda e: ((e.code, *e.payloads), e.table),
    lambda table, leaves: Error(leaves[0], leaves[1:], table))


# -------------------------------------------------------- the transform

def _any(b):
    """A scalar bool: some element of ``b`` is true."""
    if not core.get_aval(b).shape:
        return b
    b = lax.convert_element_type(b, np.int32)
    return lax.gt(lax.reduce_max(b, tuple(range(core.get_aval(b).ndim))), 0)


class _State:
    """The running error code and the checks' table while re-tracing."""

    def __init__(self, errors, offset=0):
        self.errors, self.offset = errors, offset     # checks are numbered from offset + 1
        self.code = np.zeros((), np.int32)
        self.table, self.payloads = [], []

    def next_offset(self):
        return self.offset + len(self.table)

    def merge(self, code, payloads, table):
        """Checks numbered from ``next_offset() + 1`` that a nested program ran,
        with its error code and payloads."""
        self.table.extend(table)
        self.payloads.extend(payloads)
        first = lax.bitwise_and(lax.eq(self.code, 0), lax.ne(code, 0))
        self.code = lax.select_n(first, self.code, code)

    def add(self, kind, bad, message, source, payload=(), kwnames=()):
        k = self.next_offset() + 1
        self.table.append((kind, message, source, len(payload) - len(kwnames), tuple(kwnames)))
        self.payloads.extend(payload)
        first = lax.bitwise_and(lax.eq(self.code, 0), _any(bad))
        self.code = lax.select_n(first, self.code, np.asarray(k, np.int32))


def _index_columns(indices, axes):
    n = core.get_aval(indices).ndim
    return [lax.index_in_dim(indices, j, n - 1, keepdims=False) for j in range(len(axes))]


def _check_indices(state, name, operand, indices, axes, source):
    shape = core.get_aval(operand).shape
    for j, (c, a) in enumerate(zip(_index_columns(indices, axes), axes)):
        bad = lax.bitwise_or(lax.lt(c, 0), lax.ge(c, shape[a]))
        axes_all = tuple(range(core.get_aval(c).ndim))
        lo = lax.reduce_min(c, axes_all) if axes_all else c
        hi = lax.reduce_max(c, axes_all) if axes_all else c
        state.add("index", bad, f"out-of-bounds indexing in {name}: indices into axis {a} "
                  f"(size {shape[a]}) range over [{{}}, {{}}]", source, (lo, hi))


def _check_starts(state, name, operand, starts, sizes, source):
    shape = core.get_aval(operand).shape
    for a, (s, k) in enumerate(zip(starts, sizes)):
        bad = lax.bitwise_or(lax.lt(s, 0), lax.gt(s, shape[a] - k))
        state.add("index", bad, f"out-of-bounds indexing in {name}: start index {{}} of axis "
                  f"{a} (size {shape[a]}, window {k}) is outside [0, {shape[a] - k}]",
                  source, (s,))


def _pre_checks(state, eqn, ins):
    name, errors, src = eqn.prim.name, state.errors, eqn.source
    if "index" in errors:
        if name == "gather":
            _check_indices(state, name, ins[0], ins[1], eqn.params["axes"], src)
        elif name in ("scatter", "scatter_add"):
            _check_indices(state, name, ins[0], ins[1], eqn.params["axes"], src)
        elif name == "dynamic_slice":
            _check_starts(state, name, ins[0], ins[1:], eqn.params["slice_sizes"], src)
        elif name == "dynamic_update_slice":
            _check_starts(state, name, ins[0], ins[2:], core.get_aval(ins[1]).shape, src)
    if "div" in errors and name in ("div", "rem"):
        y = ins[1]
        if core.get_aval(y).dtype.kind in "iu":
            state.add("div", lax.eq(y, lax.convert_element_type(0, core.get_aval(y).dtype)),
                      f"division by zero in {name}", src)


def _post_checks(state, eqn, outs):
    for o in outs:
        aval = core.get_aval(o)
        if aval.dtype.kind not in "fc":
            continue
        if "nan" in state.errors:
            state.add("nan", lax.ne(o, o), f"nan generated by primitive: {eqn.prim.name}",
                      eqn.source)
        if "inf" in state.errors:       # jax_debug_infs only (JAX's checkify has none)
            big = lax.convert_element_type(np.inf, aval.dtype)
            state.add("inf", lax.eq(lax.abs(o), big),
                      f"inf generated by primitive: {eqn.prim.name}", eqn.source)


def _eval_checked(jaxpr, consts, args, state):
    env = dict(zip(jaxpr.constvars, consts))
    env.update(zip(jaxpr.invars, args))

    def read(a):
        return a.val if type(a) is Literal else env[a]
    for eqn in jaxpr.eqns:
        ins = [read(a) for a in eqn.inputs]
        if eqn.prim is debug.debug_callback_p and eqn.params["callback"] in _user_checks:
            if "user" in state.errors:
                message, kwnames = _user_checks[eqn.params["callback"]]
                pred = ins[1]
                state.add("user", lax.bitwise_not(pred) if not core.get_aval(pred).shape
                          else lax.eq(lax.convert_element_type(pred, np.int32), 0),
                          message, eqn.source, ins[2:], kwnames)
            else:
                core.bind(eqn.prim, *ins, **eqn.params)
            continue
        if eqn.prim.kind == core.CALL and "jaxpr" in eqn.params:     # jit: check inside
            inner = eqn.params["jaxpr"]
            outs = _eval_checked(inner.jaxpr, inner.consts, ins, state)
        elif eqn.prim.name in _NESTED_RULES:
            outs = _NESTED_RULES[eqn.prim.name](state, eqn, ins)
        else:
            _pre_checks(state, eqn, ins)
            out = core.bind(eqn.prim, *ins, **eqn.params)
            outs = out if eqn.prim.multiple_results else [out]
            _post_checks(state, eqn, outs)
        env.update(zip(eqn.outvars, outs))
    return [read(v) for v in jaxpr.outvars]


def checkify_jaxpr(closed, errors=all_checks, offset=0):
    """``(checked ClosedJaxpr, table, payload count)``: the jaxpr returning
    ``(code, *payloads, *outputs)``; its checks are numbered from offset + 1."""
    errors = frozenset(errors)
    box = {}

    def fun(*args):
        state = _State(errors, offset)
        outs = _eval_checked(closed.jaxpr, closed.consts, args, state)
        box["table"], box["n"] = state.table, len(state.payloads)
        return [state.code, *state.payloads, *outs]
    checked = pe.trace_flat(fun, closed.in_avals, what="checkify")
    return checked, tuple(box["table"]), box["n"]


# ------------------------------------------------- loop bodies and branches
#
# A loop body's checks become loop carries: the error code and the payloads,
# updated only while no earlier iteration failed (the first failure wins).
# A cond's branches return their code and payloads as extra outputs.

def _zeros(aval):
    return np.zeros(aval.shape, aval.dtype)


def _keep_first(code_in, pay_in, code_new, pay_new):
    keep = lax.ne(code_in, 0)
    pays = []
    for old, new in zip(pay_in, pay_new):
        shape = core.get_aval(old).shape
        pred = lax.broadcast_in_dim(keep, shape, ()) if shape else keep
        pays.append(lax.select_n(pred, new, old))
    return lax.select_n(keep, code_new, code_in), pays


def _checked_body(closed, errors, offset, n_lead, n_skip_out=0):
    """A loop body ``(*lead, *rest) -> outs`` with its checks as carries:
    ``(extra consts, body (*extra, *lead, code, *pay, *rest) -> (code, *pay, *outs),
    table, payload avals)``, or None when the body has nothing to check."""
    inner, table, n = checkify_jaxpr(closed, errors, offset)
    if not table:
        return None
    pay_avals = inner.out_avals[1:1 + n]

    def body(*args):
        lead, code_in = args[:n_lead], args[n_lead]
        pay_in, rest = args[n_lead + 1:n_lead + 1 + n], args[n_lead + 1 + n:]
        outs = eval_jaxpr(inner.jaxpr, inner.consts, *lead, *rest)
        code, pays = _keep_first(code_in, pay_in, outs[0], outs[1:1 + n])
        return [code, *pays, *outs[1 + n:]]
    in_avals = closed.in_avals
    avals = (in_avals[:n_lead] + [core.ShapedArray((), np.int32)] + list(pay_avals)
             + in_avals[n_lead:])
    jaxpr, extra = pe.convert_constvars(pe.trace_flat(body, avals, what="checkify"))
    return extra, ClosedJaxpr(jaxpr, []), table, pay_avals


def _with_ignored_carries(closed, n_lead, avals):
    """``closed`` (*lead, *rest) taking, and ignoring, ``avals`` after lead:
    ``(extra consts, ClosedJaxpr)``."""
    k = len(avals)

    def fun(*args):
        return eval_jaxpr(closed.jaxpr, closed.consts, *args[:n_lead], *args[n_lead + k:])
    in_avals = closed.in_avals
    jaxpr, extra = pe.convert_constvars(pe.trace_flat(
        fun, in_avals[:n_lead] + list(avals) + in_avals[n_lead:], what="checkify"))
    return extra, ClosedJaxpr(jaxpr, [])


def _scan_rule(state, eqn, ins):
    p = dict(eqn.params)
    nc = p["num_consts"]
    made = _checked_body(p["jaxpr"], state.errors, state.next_offset(), nc)
    if made is None:
        return core.bind(eqn.prim, *ins, **p)
    extra, body, table, pay_avals = made
    n = len(pay_avals)
    init = [np.zeros((), np.int32)] + [_zeros(a) for a in pay_avals]
    lin = tuple(p["linear"])
    p.update(jaxpr=body, num_consts=len(extra) + nc, num_carry=1 + n + p["num_carry"],
             linear=(False,) * len(extra) + lin[:nc] + (False,) * (1 + n) + lin[nc:])
    outs = core.bind(eqn.prim, *extra, *ins[:nc], *init, *ins[nc:], **p)
    state.merge(outs[0], outs[1:1 + n], table)
    return outs[1 + n:]


def _while_rule(state, eqn, ins):
    p = dict(eqn.params)
    cn, bn = p["cond_nconsts"], p["body_nconsts"]
    made = _checked_body(p["body_jaxpr"], state.errors, state.next_offset(), bn)
    if made is None:
        return core.bind(eqn.prim, *ins, **p)
    bextra, body, table, pay_avals = made
    n = len(pay_avals)
    cextra, cond = _with_ignored_carries(p["cond_jaxpr"], cn,
                                         [core.ShapedArray((), np.int32), *pay_avals])
    init = [np.zeros((), np.int32)] + [_zeros(a) for a in pay_avals]
    p.update(cond_jaxpr=cond, body_jaxpr=body, cond_nconsts=len(cextra) + cn,
             body_nconsts=len(bextra) + bn)
    outs = core.bind(eqn.prim, *cextra, *ins[:cn], *bextra, *ins[cn:cn + bn], *init,
                     *ins[cn + bn:], **p)
    state.merge(outs[0], outs[1:1 + n], table)
    return outs[1 + n:]


def _cond_rule(state, eqn, ins):
    """Each branch gets its own check numbers and payload slots (zeros in the
    other branches); branches' constants become operands shared by all."""
    branches = eqn.params["branches"]
    offset, checked = state.next_offset(), []
    for b in branches:
        inner, table, n = checkify_jaxpr(b, state.errors, offset)
        checked.append((inner, table, n))
        offset += len(table)
    if not any(table for _, table, _ in checked):
        return core.bind(eqn.prim, *ins, **eqn.params)
    slots = [a for inner, _, n in checked for a in inner.out_avals[1:1 + n]]
    op_avals = branches[0].in_avals
    padded = []
    for i, (inner, _, n) in enumerate(checked):
        before = sum(c[2] for c in checked[:i])

        def branch(*ops, inner=inner, n=n, before=before):
            outs = eval_jaxpr(inner.jaxpr, inner.consts, *ops)
            pays = [_zeros(a) for a in slots]
            pays[before:before + n] = outs[1:1 + n]
            return [outs[0], *pays, *outs[1 + n:]]
        padded.append(pe.convert_constvars(pe.trace_flat(branch, op_avals, what="checkify")))
    extra = [c for _, consts in padded for c in consts]
    finals = []
    for i, (jaxpr, consts) in enumerate(padded):
        start = sum(len(c) for _, c in padded[:i])

        def final(*args, jaxpr=jaxpr, start=start, k=len(consts)):
            return eval_jaxpr(jaxpr, [], *args[start:start + k], *args[len(extra):])
        avals = [core.get_aval(c) for c in extra] + list(op_avals)
        j, c = pe.convert_constvars(pe.trace_flat(final, avals, what="checkify"))
        assert not c
        finals.append(ClosedJaxpr(j, []))
    outs = core.bind(eqn.prim, ins[0], *extra, *ins[1:], branches=tuple(finals))
    n_all = len(slots)
    state.merge(outs[0], outs[1:1 + n_all], [t for _, table, _ in checked for t in table])
    return outs[1 + n_all:]


_NESTED_RULES = {"scan": _scan_rule, "while": _while_rule, "cond": _cond_rule}


# ---------------------------------------------------------------- checkify

def _is_value(x):
    return (isinstance(x, (core.Tracer, np.ndarray, np.generic))
            or type(x) in (bool, int, float))


def checkify(f, errors=user_checks):
    """``checkify(f, errors)(*args) -> (Error, out)``: ``f`` with the checks in
    ``errors`` (sets such as ``user_checks``, ``index_checks | nan_checks``,
    ``all_checks``) made functional, as JAX's ``checkify.checkify``."""
    errors = frozenset(errors)
    unknown = errors - all_checks - inf_checks
    if unknown:
        raise ValueError(f"checkify: unknown error kinds {sorted(unknown)}; use user_checks, "
                         f"index_checks, nan_checks, div_checks, float_checks or all_checks")

    def checked(*args, **kwargs):
        leaves, treedef = tree_util.tree_flatten((args, kwargs))
        is_value = [_is_value(x) for x in leaves]
        dyn = [x for x, v in zip(leaves, is_value) if v]
        store = {}

        def flat_fun(*xs):
            it = iter(xs)
            full = [next(it) if v else x for x, v in zip(leaves, is_value)]
            a, k = tree_util.tree_unflatten(treedef, full)
            out_flat, store["tree"] = tree_util.tree_flatten(f(*a, **k))
            return out_flat
        closed = pe.trace_flat(flat_fun, [core.get_aval(x) for x in dyn], what="checkify")
        checked_jaxpr, table, n = checkify_jaxpr(closed, errors)
        outs = eval_jaxpr(checked_jaxpr.jaxpr, checked_jaxpr.consts, *dyn)
        err = Error(outs[0], outs[1:1 + n], table)
        return err, tree_util.tree_unflatten(store["tree"], outs[1 + n:])
    return checked


# ------------------------------------------------------------- checked mode

_checked_versions = weakref.WeakKeyDictionary()    # Jitted -> jit(checkify(fun))


def _checked_call(call):
    def __call__(self, *args, **kwargs):
        if core.current.interp is not core.eval_interpreter or jit_disabled.value:
            return call(self, *args, **kwargs)
        inner = _checked_versions.get(self)
        if inner is None:
            inner = Jitted(checkify(self.fun, all_checks), self.static_argnums,
                                      self.static_argnames)
            inner.name = self.name
            _checked_versions[self] = inner
        err, out = call(inner, *args, **kwargs)
        err.throw()
        return out
    return __call__


checked_mode.listen(lambda on: wrap_calls(
    "checked_mode", _checked_call if on else None))
