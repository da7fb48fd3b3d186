"""Pass 1: simplify a ClosedJaxpr before fusion.

* inline call primitives (jit, custom_jvp_call, custom_vjp_call): the compiled
  code is the primal computation, so their inner jaxprs are spliced in;
* drop identities (stop_gradient, same-dtype convert_element_type);
* float16 arithmetic computes in float32 (``half.py``);
* fold equations whose inputs are all literals into a literal (numpy, at
  compile time only);
* CSE: one equation per (primitive, inputs, params);
* DCE.

Rank-0 constants become literals; other constants stay constvars, which the
Executable passes as leading inputs.
"""
import warnings

import numpy as np

from jaxlite.compiler import control_flow, half
from jaxlite import core
from jaxlite.ir import ClosedJaxpr, Jaxpr, Literal, Var, dce, effectful

def call_jaxpr_of(eqn):
    """The ClosedJaxpr a call equation holds."""
    p = eqn.params
    inner = p.get("jaxpr", p.get("call_jaxpr"))
    if isinstance(inner, Jaxpr):
        inner = ClosedJaxpr(inner, [])
    return inner


class _Simplifier:
    def __init__(self):
        self.eqns = []
        self.constvars, self.consts = [], []
        self.cse = {}

    def const_atom(self, value):
        """A literal for a rank-0 constant, else a new constvar."""
        arr = np.asarray(value)
        aval = core.get_aval(arr)
        if arr.ndim == 0:
            return Literal(arr[()], aval)
        v = Var(aval)
        self.constvars.append(v)
        self.consts.append(value)
        return v

    def run(self, jaxpr, consts, args):
        env = {}

        def read(a):
            return a if type(a) is Literal else env[a]

        for v, c in zip(jaxpr.constvars, consts):
            env[v] = self.const_atom(c)
        for v, a in zip(jaxpr.invars, args):
            env[v] = a
        for eqn in jaxpr.eqns:
            ins = [read(a) for a in eqn.inputs]
            outs = self.equation(eqn, ins)
            for v, o in zip(eqn.outvars, outs):
                env[v] = o
        return [read(v) for v in jaxpr.outvars]

    def equation(self, eqn, ins):
        name = eqn.prim.name
        if eqn.prim.kind == core.CALL:
            return self.inline(eqn, ins)
        if eqn.prim.kind == core.HIGHER_ORDER:     # loop invariants: control_flow.simplify_loop
            eqn, ins, finish = control_flow.simplify_loop(
                eqn, ins, lambda closed, args: self.run(closed.jaxpr, closed.consts, args))
            if finish is not None:
                return finish(self.equation(eqn, ins))
        if name == "stop_gradient" or name == "integer_pow" and eqn.params["y"] == 1:
            return ins
        if name == "convert_element_type" and ins[0].aval.dtype == eqn.params["new_dtype"]:
            return ins
        effect = eqn.prim in effectful      # run when the program runs, every time
        if all(type(a) is Literal for a in ins) and ins and not effect:
            folded = _fold(eqn, ins)
            if folded is not None:
                return folded
        if half.needs_widening(eqn):
            return half.widen(eqn, ins, self.equation)
        key = None if effect else _cse_key(name, ins, eqn.params)
        if key is not None and key in self.cse:
            return self.cse[key]
        # Fresh outvars: one inner jaxpr may be inlined twice (a jitted helper
        # called twice), and its two copies must stay distinct values.
        new = eqn.replace(inputs=ins, outvars=[Var(v.aval) for v in eqn.outvars])
        self.eqns.append(new)
        if key is not None:
            self.cse[key] = new.outvars
        return new.outvars

    def inline(self, eqn, ins):
        inner = call_jaxpr_of(eqn)
        if inner is None:
            raise _not_inlinable(eqn)
        return self.run(inner.jaxpr, inner.consts, ins)


def _not_inlinable(eqn):
    if eqn.prim.name == "custom_lin":    # forward mode through custom_vjp (as JAX)
        return TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function.")
    return TypeError(f"the compiler cannot inline call primitive '{eqn.prim}' (no jaxpr, "
                     f"at {eqn.source})")


def _atom_key(a):
    if type(a) is Literal:
        val = np.asarray(a.val, a.aval.dtype)
        return ("lit", val.dtype.str, val.tobytes())
    return id(a)


def _cse_key(name, ins, params):
    try:
        key = (name, tuple(_atom_key(a) for a in ins), tuple(sorted(params.items())))
        hash(key)
        return key
    except TypeError:
        return None


def _fold(eqn, ins):
    """Literal outputs of an equation on literals, or None when not foldable."""
    if eqn.prim.multiple_results or any(v.aval.shape for v in eqn.outvars):
        return None
    impl = core.impl_rules.get(eqn.prim)
    if impl is None:
        return None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = impl(*[np.asarray(a.val, a.aval.dtype) for a in ins], **eqn.params)
    except Exception:   # leave it to the run-time code
        return None
    aval = eqn.outvars[0].aval
    return [Literal(np.asarray(out).astype(aval.dtype)[()], aval)]


def simplify(closed):
    """A simplified ClosedJaxpr computing the same outputs."""
    s = _Simplifier()
    invars = [Var(v.aval) for v in closed.jaxpr.invars]
    outs = s.run(closed.jaxpr, closed.consts, invars)
    jaxpr = dce(Jaxpr(s.constvars, invars, s.eqns, outs))
    used = set()
    for e in jaxpr.eqns:
        used.update(a for a in e.inputs if type(a) is Var)
    used.update(a for a in jaxpr.outvars if type(a) is Var)
    keep = [i for i, v in enumerate(jaxpr.constvars) if v in used]
    return ClosedJaxpr(Jaxpr([jaxpr.constvars[i] for i in keep], jaxpr.invars, jaxpr.eqns,
                             jaxpr.outvars), [s.consts[i] for i in keep])
