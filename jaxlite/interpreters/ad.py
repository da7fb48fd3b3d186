"""Automatic differentiation: jvp, linearize and transposition.

One jvp rule per primitive serves both modes. Forward mode runs the rules
with the parent interpreter current. ``linearize`` runs the same rules with a
partial-evaluation staging interpreter current: operations on known primals
fall through and are computed now, operations on tangents are staged into a
linear jaxpr. Reverse mode transposes that jaxpr (only linear primitives need
transpose rules).

Tangents and cotangents may be the symbolic ``Zero``, which rules skip, so
``make_jaxpr(grad(f))`` has no multiply-by-zero junk.
"""
from jaxlite import core, dtypes
# Rules reach these as ad.Zero, ad.instantiate, ...
from jaxlite.interpreters.ad_util import (Zero, add_tangents, instantiate,  # noqa: F401
                                          zeros_like_aval)
from jaxlite.interpreters.partial_eval import StagingInterpreter
from jaxlite.ir import Literal, eval_jaxpr

jvp_rules = {}        # prim -> f(primals, tangents, **params) -> (primal_out, tangent_out)
transpose_rules = {}  # prim -> f(ct, *args, **params) -> cts per arg (None: not linear)


class UndefPrimal:
    """A linear input of a transpose rule: only its aval is known."""
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"UndefPrimal({self.aval})"


def is_undef(x):
    return type(x) is UndefPrimal


_SUPPORTED = frozenset(dtypes.SUPPORTED)


def differentiable(aval):
    return dtypes.is_inexact(aval.dtype)


# ---------------------------------------------------------------- jvp values

class JVPTracer(core.Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, interp, primal, tangent):
        self._interp, self.primal, self.tangent = interp, primal, tangent

    @property
    def aval(self):
        return core.get_aval(self.primal)

    # Read by every operation's dtype promotion: the primal's own, when it is
    # an Array of a supported dtype (which get_aval returns unchanged), without
    # building an aval.
    @property
    def dtype(self):
        p = self.primal
        if type(p) is core.Array and p.dtype in _SUPPORTED:
            return p.dtype
        return core.get_aval(p).dtype

    @property
    def shape(self):
        p = self.primal
        return p.shape if type(p) is core.Array else core.get_aval(p).shape

    @property
    def weak_type(self):
        p = self.primal
        return False if type(p) is core.Array else core.get_aval(p).weak_type   # Arrays are strong

    def concrete_value(self):
        if self._interp.finished:
            raise core.leaked_tracer_error(self, "jvp/grad", self._interp.origin)
        p = self.primal
        return p.concrete_value() if isinstance(p, core.Tracer) else p


class JVPInterpreter(core.Interpreter):
    """Values carry (primal, tangent). Rules run under ``rule_interp``: the
    parent for forward mode, a partial-evaluation stager for linearize."""

    def __init__(self, parent, rule_interp=None):
        self.parent = parent
        self.rule_interp = parent if rule_interp is None else rule_interp
        self.origin = core.user_frame()     # named if one of its tracers leaks

    def interpret(self, prim, args, params):
        if not self.any_owned(args):
            return core.bind_with(self.parent, prim, *args, **params)
        primals, tangents = [], []
        for a in args:
            if isinstance(a, JVPTracer) and a._interp is self:
                primals.append(a.primal)
                tangents.append(a.tangent)
            else:
                primals.append(a)
                tangents.append(Zero(core.get_aval(a)))
        rule = jvp_rules.get(prim)
        if rule is None:
            raise NotImplementedError(f"Differentiation rule for '{prim}' not implemented")
        # core.set_interpreter inlined: this runs once per differentiated op.
        cur = core.current
        prev, cur.interp = cur.interp, self.rule_interp
        try:
            p_out, t_out = rule(primals, tangents, **params)
        finally:
            cur.interp = prev
        if prim.multiple_results:
            return [self.lift(p, t) for p, t in zip(p_out, t_out)]
        return self.lift(p_out, t_out)

    def lift(self, primal, tangent):
        # A value with a zero tangent does not depend on the perturbation:
        # hand back the bare primal, so later ops fall through to the parent.
        if type(tangent) is Zero:
            return primal
        return JVPTracer(self, primal, tangent)

    def new(self, primal, tangent):
        if not differentiable(core.get_aval(primal)):
            return primal
        return self.lift(primal, tangent)

    def split(self, out):
        if isinstance(out, JVPTracer) and out._interp is self:
            return out.primal, out.tangent
        return out, Zero(core.get_aval(out))


def jvp_flat(f, primals, tangents):
    """Forward mode over flat lists: ``(primals_out, tangents_out)``, Zero allowed."""
    interp = JVPInterpreter(core.current_interpreter())
    ins = [interp.new(p, t) for p, t in zip(primals, tangents)]
    with core.set_interpreter(interp):
        outs = f(*ins)
    pairs = [interp.split(o) for o in outs]
    interp.finished = True
    return [p for p, _ in pairs], [t for _, t in pairs]


class LinearFunction:
    """The staged tangent map of ``linearize``: a linear jaxpr plus which
    outputs are symbolically zero."""

    def __init__(self, closed_jaxpr, in_avals, out_avals, out_zero):
        self.closed, self.in_avals = closed_jaxpr, in_avals
        self.out_avals, self.out_zero = out_avals, out_zero

    def __call__(self, *tangents):
        outs = iter(eval_jaxpr(self.closed.jaxpr, self.closed.consts, *tangents))
        return [Zero(a) if z else next(outs) for a, z in zip(self.out_avals, self.out_zero)]

    def transpose(self, cts):
        """Cotangents of the inputs (Zero allowed) from cotangents of the outputs."""
        cts = [ct for ct, z in zip(cts, self.out_zero) if not z]
        undef = [UndefPrimal(a) for a in self.in_avals]
        return backward_pass(self.closed.jaxpr, self.closed.consts, undef, cts)


def linearize_flat(f, primals):
    """``(primals_out, LinearFunction)``: the primal computed now, the
    tangent map staged."""
    parent = core.current_interpreter()
    builder = StagingInterpreter(parent, stage_all=False)
    interp = JVPInterpreter(parent, rule_interp=builder)
    in_avals = [core.get_aval(p) for p in primals]
    ins = [interp.new(p, builder.new_arg(a)) for p, a in zip(primals, in_avals)]
    with core.set_interpreter(interp):
        outs = f(*ins)
    pairs = [interp.split(o) for o in outs]
    interp.finished = True
    p_outs = [p for p, _ in pairs]
    nonzero = [t for _, t in pairs if type(t) is not Zero]
    closed = builder.build(nonzero, what="linearize")
    lin = LinearFunction(closed, in_avals, [core.get_aval(p) for p in p_outs],
                         [type(t) is Zero for _, t in pairs])
    return p_outs, lin


# ---------------------------------------------------------------- transpose

def backward_pass(jaxpr, consts, primals, cts_out):
    """Transpose a jaxpr linear in the invars given as UndefPrimal in ``primals``:
    their cotangents (Zero where none) from the cotangents of the outvars."""
    known = dict(zip(jaxpr.constvars, consts))
    known.update((v, x) for v, x in zip(jaxpr.invars, primals) if type(x) is not UndefPrimal)
    ct_env = {}

    def accum(v, ct):
        if type(v) is Literal or type(ct) is Zero or ct is None:
            return
        ct_env[v] = add_tangents(ct_env[v], ct) if v in ct_env else ct

    def read(a):
        if type(a) is Literal:
            return a.val
        return known[a] if a in known else UndefPrimal(a.aval)

    for v, ct in zip(jaxpr.outvars, cts_out):
        accum(v, ct)
    ctx = core.source_context
    for eqn in reversed(jaxpr.eqns):
        cts = [ct_env.pop(v, None) for v in eqn.outvars]
        if all(c is None for c in cts):
            continue
        cts = [Zero(v.aval) if c is None else c for v, c in zip(eqn.outvars, cts)]
        rule = transpose_rules.get(eqn.prim)
        if rule is None:
            raise NotImplementedError(f"Transpose rule for '{eqn.prim}' not implemented")
        args = [read(a) for a in eqn.inputs]
        # core.transposing(eqn.source), inlined: it is entered once per equation.
        prev = ctx.source, ctx.backward
        ctx.source, ctx.backward = eqn.source, True
        try:
            cts_in = rule(cts if eqn.prim.multiple_results else cts[0], *args, **eqn.params)
        finally:
            ctx.source, ctx.backward = prev
        for a, x, ct in zip(eqn.inputs, args, cts_in):
            if type(x) is UndefPrimal:
                accum(a, ct)
    return [ct_env.get(v, Zero(v.aval)) if type(x) is UndefPrimal else None
            for v, x in zip(jaxpr.invars, primals)]


# ------------------------------------------------------ rule constructors

def defjvp(prim, *fns):
    """One function per input: ``fn(g, ans, *primals, **params)`` -> tangent
    contribution (None for an input that is not differentiable)."""
    def rule(primals, tangents, **params):
        ans = core.bind(prim, *primals, **params)
        out = None          # the Zero (and its aval) only when no tangent flows
        for fn, t in zip(fns, tangents):
            if fn is not None and type(t) is not Zero:
                c = fn(t, ans, *primals, **params)
                out = c if out is None else add_tangents(out, c)
        return ans, (Zero(core.get_aval(ans)) if out is None else out)
    jvp_rules[prim] = rule


def defjvp_zero(prim):
    """Outputs that are piecewise constant (comparisons, floor, argmax...)."""
    def rule(primals, tangents, **params):
        ans = core.bind(prim, *primals, **params)
        if prim.multiple_results:
            return ans, [Zero(core.get_aval(a)) for a in ans]
        return ans, Zero(core.get_aval(ans))
    jvp_rules[prim] = rule


def deflinear(prim, transpose_rule):
    """A primitive linear in all its inputs: the jvp applies it to the tangents."""
    def rule(primals, tangents, **params):
        ans = core.bind(prim, *primals, **params)
        if all(type(t) is Zero for t in tangents):
            return ans, Zero(core.get_aval(ans))
        return ans, core.bind(prim, *map(instantiate, tangents), **params)
    jvp_rules[prim] = rule
    transpose_rules[prim] = transpose_rule


def defbilinear(prim, lhs_transpose, rhs_transpose):
    """``prim(x, y)`` linear in each argument: mul, dot_general.
    ``lhs_transpose(ct, x_undef, y, **params)`` -> cotangent of x."""
    def rule(primals, tangents, **params):
        x, y = primals
        tx, ty = tangents
        ans = core.bind(prim, x, y, **params)
        out = None
        if type(tx) is not Zero:
            out = core.bind(prim, tx, y, **params)
        if type(ty) is not Zero:
            c = core.bind(prim, x, ty, **params)
            out = c if out is None else add_tangents(out, c)
        return ans, (Zero(core.get_aval(ans)) if out is None else out)

    def transpose(ct, x, y, **params):
        if type(ct) is Zero:
            return [None, None]
        cx = lhs_transpose(ct, x, y, **params) if is_undef(x) else None
        cy = rhs_transpose(ct, x, y, **params) if is_undef(y) else None
        return [cx, cy]
    jvp_rules[prim] = rule
    transpose_rules[prim] = transpose
