"""The IR: Var, Literal, Eqn, Jaxpr, ClosedJaxpr; evaluation, printing, DCE.

Names are made only when printing, so jaxprs can be built and rewritten
without a name supply.
"""
import itertools

import numpy as np

from jaxlite import core
from jaxlite.ir_dot import jaxpr_to_dot


class Var:
    __slots__ = ("aval", "count")
    _counter = itertools.count()

    def __init__(self, aval):
        self.aval = aval
        self.count = next(Var._counter)

    def __repr__(self):
        return f"Var({self.aval})"


class Literal:
    """A scalar constant written inline in the jaxpr."""
    __slots__ = ("val", "aval")

    def __init__(self, val, aval):
        self.val, self.aval = val, aval

    def __repr__(self):
        return f"Literal({self.val})"


class Eqn:
    __slots__ = ("prim", "inputs", "params", "outvars", "source")

    def __init__(self, prim, inputs, params, outvars, source=None):
        self.prim, self.inputs, self.params = prim, list(inputs), dict(params)
        self.outvars, self.source = list(outvars), source

    # JAX's JaxprEqn names, for code that walks a make_jaxpr result
    primitive = property(lambda self: self.prim)
    invars = property(lambda self: self.inputs)

    def replace(self, **kw):
        fields = dict(prim=self.prim, inputs=self.inputs, params=self.params,
                      outvars=self.outvars, source=self.source)
        fields.update(kw)
        return Eqn(**fields)


class Jaxpr:
    """``constvars; invars. let eqns in outvars``. Outputs may be Literals."""
    __slots__ = ("constvars", "invars", "eqns", "outvars")

    def __init__(self, constvars, invars, eqns, outvars):
        self.constvars, self.invars = list(constvars), list(invars)
        self.eqns, self.outvars = list(eqns), list(outvars)

    in_avals = property(lambda self: [v.aval for v in self.invars])
    out_avals = property(lambda self: [v.aval for v in self.outvars])

    def __str__(self):
        return pp_jaxpr(self)

    __repr__ = __str__

    def to_dot(self, name="jaxpr"):
        """The jaxpr as a Graphviz DOT graph (text)."""
        return jaxpr_to_dot(self, name)


class ClosedJaxpr:
    """A jaxpr with values for its constvars."""
    __slots__ = ("jaxpr", "consts", "__weakref__")

    def __init__(self, jaxpr, consts):
        assert len(jaxpr.constvars) == len(consts)
        self.jaxpr, self.consts = jaxpr, list(consts)

    in_avals = property(lambda self: self.jaxpr.in_avals)
    out_avals = property(lambda self: self.jaxpr.out_avals)
    eqns = property(lambda self: self.jaxpr.eqns)

    def __call__(self, *args):
        return eval_jaxpr(self.jaxpr, self.consts, *args)

    def to_dot(self, name="jaxpr"):
        """The jaxpr as a Graphviz DOT graph (text)."""
        return jaxpr_to_dot(self, name)

    def __str__(self):
        return pp_jaxpr(self.jaxpr)

    __repr__ = __str__

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other


# ------------------------------------------------------------------ evaluation

def eval_jaxpr(jaxpr, consts, *args):
    """Evaluate through ``bind``, so the current interpreter transforms it."""
    env = {}

    def read(a):
        return a.val if type(a) is Literal else env[a]

    for v, x in zip_strict(jaxpr.constvars, consts, "constvars"):
        env[v] = x
    for v, x in zip_strict(jaxpr.invars, args, "arguments"):
        env[v] = x
    # Each equation runs under its own source line, so equations a transform
    # re-stages from this one (and errors, debug_nans) keep the user's line.
    ctx = core.source_context
    outer = ctx.source
    try:
        for eqn in jaxpr.eqns:
            ctx.source = eqn.source or outer
            out = core.bind(eqn.prim, *map(read, eqn.inputs), **eqn.params)
            if eqn.prim.multiple_results:
                for v, o in zip(eqn.outvars, out):
                    env[v] = o
            else:
                env[eqn.outvars[0]] = out
    finally:
        ctx.source = outer
    return [read(v) for v in jaxpr.outvars]


def zip_strict(a, b, what):
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise TypeError(f"expected {len(a)} {what}, got {len(b)}")
    return zip(a, b)


# ------------------------------------------------------------------ typecheck

def typecheck(jaxpr):
    """Recompute every equation's output avals; raise TypeError on mismatch, on a
    variable used before (or bound twice by) a definition, and in any jaxpr
    held by an equation's params (a jit call's, say)."""
    defined = set()

    def bind_var(v, where):
        if v in defined:
            raise TypeError(f"variable {v} of type {v.aval} is bound twice ({where})")
        defined.add(v)

    def aval_of(a):
        if type(a) is Literal:
            return a.aval
        if a not in defined:
            raise TypeError(f"variable of type {a.aval} used before definition")
        return a.aval

    for v in jaxpr.constvars:
        bind_var(v, "constvars")
    for v in jaxpr.invars:
        bind_var(v, "invars")
    for eqn in jaxpr.eqns:
        in_avals = [aval_of(a) for a in eqn.inputs]
        for p in eqn.params.values():
            for q in p if isinstance(p, tuple) else (p,):     # cond's branches
                if isinstance(q, ClosedJaxpr):
                    typecheck_closed(q)
                elif isinstance(q, Jaxpr):
                    typecheck(q)
        out = core.abstract_eval(eqn.prim, in_avals, eqn.params)
        for v, o in zip_strict(eqn.outvars, out, f"outputs of {eqn.prim}"):
            if v.aval.strong() != o.strong():
                raise TypeError(f"{eqn.prim}: declared output {v.aval} but rule gives {o}")
            bind_var(v, f"an output of {eqn.prim}")
    for v in jaxpr.outvars:
        aval_of(v)


def typecheck_closed(closed):
    """``typecheck`` plus: one constant per constvar, each of its var's type."""
    j = closed.jaxpr
    for v, c in zip_strict(j.constvars, closed.consts, "constvars and consts"):
        a = core.get_aval(c)
        if a.shape != v.aval.shape or a.dtype != v.aval.dtype:
            raise TypeError(f"constant of type {a} bound to a constvar of type {v.aval}")
    typecheck(j)


def check(closed, what):
    """Typecheck a ClosedJaxpr that ``what`` built, saying who built it when it
    fails. Callers guard it with ``if checks.value`` (JAXLITE_CHECKS=1 or
    jax_enable_checks), so it costs nothing when off."""
    try:
        typecheck_closed(closed)
    except TypeError as e:
        raise TypeError(f"jaxlite checks: {what} built an ill-typed jaxpr: {e}\n"
                        f"{pp_jaxpr(closed.jaxpr)}") from None
    return closed


# ------------------------------------------------------------------------ DCE

def dce(jaxpr, used_outputs=None, keep_effects=True):
    """Drop equations whose outputs are unused. Returns a new Jaxpr. Effectful
    equations stay unless ``keep_effects`` is False (extracting a part of a
    computation, such as a loop's invariant prefix, that must not run them)."""
    outvars = jaxpr.outvars if used_outputs is None else [
        v for v, u in zip(jaxpr.outvars, used_outputs) if u]
    live = {v for v in outvars if type(v) is Var}
    kept = []
    for eqn in reversed(jaxpr.eqns):
        used = [v in live for v in eqn.outvars]
        if any(used) or (keep_effects and has_effects(eqn)):
            if not all(used) and eqn.prim in dce_rules:
                eqn = dce_rules[eqn.prim](eqn, used)
            kept.append(eqn)
            live.update(a for a in eqn.inputs if type(a) is Var)
    kept.reverse()
    return Jaxpr(jaxpr.constvars, jaxpr.invars, kept, outvars)


effectful = set()


def has_effects(eqn):
    """Is ``eqn`` effectful, or does a jaxpr it holds (a loop body, a branch, a
    called function) contain an effectful equation?"""
    if eqn.prim in effectful:
        return True
    for value in eqn.params.values():
        for inner in value if isinstance(value, (tuple, list)) else (value,):
            inner = getattr(inner, "jaxpr", inner)
            if isinstance(inner, Jaxpr) and any(has_effects(e) for e in inner.eqns):
                return True
    return False
# prim -> rule(eqn, used_outputs) -> an equation computing at least the used
# outputs: primitives holding jaxprs drop what no used output needs (a loop's
# dead carries and outputs, with the body's work for them).
dce_rules = {}


# ------------------------------------------------------------------- printing

def _names():
    """a, b, ..., z, ba, bb, ...: the counter in base 26 with digits a-z, as JAX prints."""
    for n in itertools.count():
        name = ""
        while not name or n:
            n, digit = divmod(n, 26)
            name = chr(ord("a") + digit) + name
        yield name


class Namer:
    def __init__(self):
        self.names, self.gen = {}, _names()

    def __call__(self, v):
        if type(v) is Literal:
            return pp_literal(v)
        if v not in self.names:
            self.names[v] = next(self.gen)
        return self.names[v]

    def binder(self, v):
        return f"{self(v)}:{v.aval.str_short()}"


def pp_literal(lit):
    val = np.asarray(lit.val)
    if val.dtype == np.bool_:
        text = "True" if val else "False"
    elif val.dtype.kind in "fc":
        # numpy's shortest round-trip text for the literal's own precision:
        # 0.1 in float32 prints as 0.1, not 0.10000000149011612.
        text = str(val.astype(lit.aval.dtype)[()])
    else:
        text = str(int(val))
    return f"{text}:{lit.aval.str_short()}"


def _holds_jaxpr(v):
    return isinstance(v, (ClosedJaxpr, Jaxpr)) or (
        isinstance(v, tuple) and any(_holds_jaxpr(x) for x in v))


def pp_param(v, indent, name=None):
    """A param's text; nested jaxprs continue the enclosing names (as JAX)."""
    if isinstance(v, ClosedJaxpr):
        v = v.jaxpr
    if isinstance(v, Jaxpr):
        return pp_jaxpr(v, indent, name=name)
    if isinstance(v, np.dtype):
        return v.name
    if isinstance(v, tuple) and _holds_jaxpr(v):     # cond's branches: one per line
        pad = " " * (indent + 2)
        inner = "".join(f"\n{pad}{pp_param(x, indent + 2, name)}" for x in v)
        return f"({inner}\n{' ' * indent})"
    if isinstance(v, tuple):
        inner = ", ".join(pp_param(x, indent) for x in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    if callable(v) and hasattr(v, "__name__"):
        return v.__name__
    return str(v)


def pp_eqn(eqn, name, indent):
    outs = " ".join(name.binder(v) for v in eqn.outvars)
    params = ""
    items = sorted(eqn.params.items())
    if any(_holds_jaxpr(v) for _, v in items):
        # As JAX: one param per line, nested jaxprs indented under the equation.
        pad = " " * (indent + 6)
        lines = "".join(f"\n{pad}{k}={pp_param(v, indent + 6, name)}" for k, v in items)
        params = f"[{lines}\n{' ' * (indent + 4)}]"
    elif items:
        params = "[" + " ".join(f"{k}={pp_param(v, indent)}" for k, v in items) + "]"
    ins = " ".join(name(a) for a in eqn.inputs)
    return f"{outs} = {eqn.prim.name}{params} {ins}".rstrip()


def pp_jaxpr(jaxpr, indent=0, source=False, name=None):
    """Print like JAX: one line if short, else one equation per line. ``name``
    (a nested jaxpr's) continues the enclosing jaxpr's variable names."""
    name = Namer() if name is None else name
    consts = " ".join(name.binder(v) for v in jaxpr.constvars)
    args = " ".join(name.binder(v) for v in jaxpr.invars)
    eqns = []
    for e in jaxpr.eqns:
        line = pp_eqn(e, name, indent)
        if source and e.source is not None:
            line += f"  # {e.source}"
        eqns.append(line)
    outs = ", ".join(name(v) for v in jaxpr.outvars)
    outs = f"({outs},)" if len(jaxpr.outvars) == 1 else f"({outs})"
    head = f"{{ lambda {consts}; {args}. let"
    one_line = f"{head} {eqns[0]} in {outs} }}" if len(eqns) == 1 else None
    if len(eqns) == 0:
        one_line = f"{head}  in {outs} }}"
    if one_line is not None and "\n" not in one_line and len(one_line) + indent <= 80:
        return one_line
    pad = " " * indent
    body = "".join(f"\n{pad}    {line}" for line in eqns)
    return f"{head}{body}\n{pad}  in {outs} }}"
