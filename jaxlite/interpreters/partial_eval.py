"""Staging: turning Python functions into jaxprs.

A ``StagingInterpreter`` records one equation per ``bind``. With
``stage_all=True`` (make_jaxpr, jit) every operation is recorded, as JAX's
omnistaging does. With ``stage_all=False`` an operation none of whose inputs
are this interpreter's tracers is handed to the parent instead: that is
partial evaluation, and it is how linearize splits the primal computation
(done now) from the tangent computation (staged into a linear jaxpr).
"""
import numpy as np

from jaxlite import core
from jaxlite._config import checks
from jaxlite.ir import ClosedJaxpr, Eqn, Jaxpr, Literal, Var, check, dce


class StagingTracer(core.Tracer):
    __slots__ = ("var",)

    def __init__(self, interp, var):
        self._interp, self.var = interp, var

    @property
    def aval(self):
        return self.var.aval

    def concrete_value(self):
        _check_live(self)
        return super().concrete_value()


def _check_live(tracer):
    if tracer._interp.finished:
        raise core.leaked_tracer_error(tracer, "trace (jit / make_jaxpr / grad)", None,
                                       _created_at(tracer))


def _created_at(tracer):
    """The source line of the equation that made ``tracer`` (an error path only)."""
    for eqn in tracer._interp.eqns:
        if tracer.var in eqn.outvars:
            return f"created at {eqn.source}"
    return "an argument of the traced function" if tracer.var in tracer._interp.invars else None


# prim -> f(interp, args, params) -> outputs, for primitives whose partial
# evaluation splits them (a call whose inputs are only partly known).
partial_eval_rules = {}
# prim -> f(avals, params) -> params, run before staging (e.g. trace a callable).
staging_param_rules = {}


class StagingInterpreter(core.Interpreter):
    def __init__(self, parent=None, stage_all=True):
        self.parent = core.current_interpreter() if parent is None else parent
        self.stage_all = stage_all
        self.eqns = []
        self.invars = []
        self.const_vars = {}     # id(value) -> (Var, value)
        self.finished = False    # set by build: its tracers are dead after that

    def new_arg(self, aval):
        var = Var(aval)
        self.invars.append(var)
        return StagingTracer(self, var)

    def interpret(self, prim, args, params):
        if not self.stage_all and not self.any_owned(args):
            return core.bind_with(self.parent, prim, *args, **params)
        if not self.stage_all and prim in partial_eval_rules:
            return partial_eval_rules[prim](self, args, params)
        return self.stage(prim, args, params)

    def stage(self, prim, args, params):
        inputs = [self.to_atom(a) for a in args]
        in_avals = [a.aval for a in inputs]
        if prim in staging_param_rules:
            params = staging_param_rules[prim](in_avals, params)
        out_avals = core.abstract_eval(prim, in_avals, params)
        outvars = [Var(a) for a in out_avals]
        self.eqns.append(Eqn(prim, inputs, params, outvars, core.user_frame()))
        outs = [StagingTracer(self, v) for v in outvars]
        return outs if prim.multiple_results else outs[0]

    def to_atom(self, x):
        if isinstance(x, StagingTracer) and x._interp is self:
            return x.var
        if isinstance(x, StagingTracer):
            _check_live(x)
        aval = core.get_aval(x)
        if not isinstance(x, core.Tracer) and not aval.shape:
            return Literal(np.asarray(x, aval.dtype)[()] if not core.is_python_scalar(x)
                           else x, aval)
        key = id(x)
        if key not in self.const_vars:
            self.const_vars[key] = (Var(aval), x)
        return self.const_vars[key][0]

    def build(self, outs, invars=None, what=None):
        """A ClosedJaxpr from the recorded equations to ``outs``; ``what`` built it
        (named when checks are on and it is ill-typed)."""
        outvars = [self.to_atom(o) for o in outs]
        self.finished = True
        constvars = [v for v, _ in self.const_vars.values()]
        consts = [x for _, x in self.const_vars.values()]
        jaxpr = Jaxpr(constvars, self.invars if invars is None else invars,
                      self.eqns, outvars)
        closed = ClosedJaxpr(dce(jaxpr), consts)
        if checks.value:
            check(closed, what or ("staging" if self.stage_all else "partial evaluation"))
        return closed


def trace_flat(f, in_avals, stage_all=True, what=None):
    """Stage ``f(*tracers) -> list`` into a ClosedJaxpr whose consts may be
    values of outer interpreters (closed-over tracers)."""
    interp = StagingInterpreter(stage_all=stage_all)
    args = [interp.new_arg(a) for a in in_avals]
    with core.set_interpreter(interp):
        outs = f(*args)
    return interp.build(outs, what=what)


def convert_constvars(closed):
    """Move a ClosedJaxpr's consts to leading invars: ``(jaxpr, consts)``."""
    j = closed.jaxpr
    jaxpr = Jaxpr([], j.constvars + j.invars, j.eqns, j.outvars)
    if checks.value:
        check(ClosedJaxpr(jaxpr, []), "convert_constvars")
    return jaxpr, closed.consts
