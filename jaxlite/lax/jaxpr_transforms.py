"""Transforms of the closed jaxprs that control-flow primitives carry.

cond, while and scan hold their branches and bodies as ClosedJaxprs. Their
rules build new jaxprs from old ones: the jvp of a body, its split into known
and unknown parts, its batched version, with masks saying which inputs carry
tangents / are unknown / are batched. Each transform is cached on
(jaxpr, masks), so re-applying a transform returns the same jaxpr object (the
compiler caches executables by jaxpr identity).
"""
import functools

from jaxlite import core
from jaxlite.interpreters import ad, batching, partial_eval as pe
from jaxlite.interpreters.ad import Zero
from jaxlite.ir import ClosedJaxpr, Jaxpr, Var, dce, eval_jaxpr
from jaxlite.lax.elementwise import convert_element_type

__all__ = ["cached", "clear_caches", "trace_closing_consts", "jvp_jaxpr",
           "partial_eval_jaxpr", "batch_jaxpr", "fixpoint", "reorder", "add_unused_invars",
           "dce_outputs", "dce_jaxpr", "loop_invariant_outputs", "coerce", "run"]


_caches = []


def cached(transform):
    """Cache a jaxpr transform on its arguments (jaxprs hash by identity,
    masks by value); ``clear_caches`` drops every such cache."""
    transform = functools.lru_cache(maxsize=1024)(transform)
    _caches.append(transform)
    return transform


def clear_caches():
    for transform in _caches:
        transform.cache_clear()


def run(closed, *args):
    """Evaluate a closed jaxpr under the current interpreter."""
    return eval_jaxpr(closed.jaxpr, closed.consts, *args)


def trace_closing_consts(f, in_avals):
    """Trace ``f(*tracers) -> list`` once. Returns ``(closed, consts)``: the
    closed-over values (outer tracers or arrays) become the jaxpr's leading
    invars, to be passed as operands, so the jaxpr itself holds no tracers."""
    closed = pe.trace_flat(f, in_avals)
    jaxpr, consts = pe.convert_constvars(closed)
    return ClosedJaxpr(jaxpr, []), list(consts)


# ------------------------------------------------------------------- jvp

@cached
def jvp_jaxpr(closed, nonzero, instantiate):
    """``(jvp, out_nonzero)``: ``jvp`` maps (primals, tangents of the
    ``nonzero`` inputs) to (primals out, tangents of the ``out_nonzero``
    outputs). Outputs marked in ``instantiate`` always get a tangent."""
    n = len(closed.in_avals)
    out_nonzero = []

    def f(*args):
        tans = iter(args[n:])
        tangents = [next(tans) if nz else Zero(a) for nz, a in zip(nonzero, closed.in_avals)]
        p_out, t_out = ad.jvp_flat(lambda *xs: run(closed, *xs), list(args[:n]), tangents)
        t_out = [ad.instantiate(t) if inst else t for t, inst in zip(t_out, instantiate)]
        out_nonzero[:] = [type(t) is not Zero for t in t_out]
        return list(p_out) + [t for t in t_out if type(t) is not Zero]
    avals = list(closed.in_avals) + [a for a, nz in zip(closed.in_avals, nonzero) if nz]
    return pe.trace_flat(f, avals), tuple(out_nonzero)


# --------------------------------------------------------- partial evaluation

@cached
def partial_eval_jaxpr(closed, unknown, instantiate):
    """Split ``closed`` given which inputs are ``unknown``.

    Returns ``(known, unknown_jaxpr, out_unknown, num_res)``: ``known`` maps the
    known inputs to the known outputs followed by ``num_res`` residuals;
    ``unknown_jaxpr`` maps (residuals, unknown inputs) to the unknown outputs.
    Outputs marked in ``instantiate`` are unknown even when computable."""
    known_stager = pe.StagingInterpreter(parent=core.eval_interpreter, stage_all=True)
    unknown_stager = pe.StagingInterpreter(parent=known_stager, stage_all=False)
    args = [unknown_stager.new_arg(a) if u else known_stager.new_arg(a)
            for a, u in zip(closed.in_avals, unknown)]
    with core.set_interpreter(unknown_stager):
        outs = run(closed, *args)
    out_unknown = tuple(unknown_stager.owns(o) or bool(i) for o, i in zip(outs, instantiate))
    staged = unknown_stager.build([o for o, u in zip(outs, out_unknown) if u])
    # The unknown side's constants that are known-side values are the residuals.
    is_res = [isinstance(c, pe.StagingTracer) for c in staged.consts]
    residuals = [c for c, r in zip(staged.consts, is_res) if r]
    sj = staged.jaxpr
    unknown_closed = ClosedJaxpr(
        Jaxpr([v for v, r in zip(sj.constvars, is_res) if not r],
              [v for v, r in zip(sj.constvars, is_res) if r] + sj.invars, sj.eqns, sj.outvars),
        [c for c, r in zip(staged.consts, is_res) if not r])
    known_closed = known_stager.build([o for o, u in zip(outs, out_unknown) if not u]
                                      + residuals)
    return known_closed, unknown_closed, out_unknown, len(residuals)


@cached
def dce_jaxpr(closed, used_outputs, keep_inputs):
    """``(pruned, used_inputs)``: ``closed`` computing only the used outputs
    and taking only the inputs they need or ``keep_inputs`` marks."""
    j = dce(closed.jaxpr, used_outputs)
    live = {a for e in j.eqns for a in e.inputs} | set(j.outvars)
    used_in = tuple(v in live or bool(k) for v, k in zip(j.invars, keep_inputs))
    return (ClosedJaxpr(Jaxpr(j.constvars, [v for v, u in zip(j.invars, used_in) if u],
                              j.eqns, j.outvars), closed.consts), used_in)


def loop_invariant_outputs(jaxpr, num_invariant_ins):
    """Per outvar: does it depend only on the first ``num_invariant_ins``
    invars (and constants)? Such values can be computed once, before a loop."""
    variant = set(jaxpr.invars[num_invariant_ins:])
    for eqn in jaxpr.eqns:
        if any(type(a) is Var and a in variant for a in eqn.inputs):
            variant.update(eqn.outvars)
    return [not (type(v) is Var and v in variant) for v in jaxpr.outvars]


# ---------------------------------------------------------------- batching

@cached
def batch_jaxpr(closed, axis_size, batched, instantiate):
    """``(batched_jaxpr, out_batched)``: inputs marked ``batched`` have a
    leading batch axis, and so do the outputs marked in ``out_batched``
    (which includes ``instantiate``)."""
    out_batched = []

    def f(*args):
        outs, dims = batching.vmap_flat(lambda *xs: run(closed, *xs), axis_size, list(args),
                                        [0 if b else None for b in batched])
        out_batched[:] = [d is not None or bool(i) for d, i in zip(dims, instantiate)]
        return [batching.move_to(o, d, 0, axis_size) if b else o
                for o, d, b in zip(outs, dims, out_batched)]
    avals = [a.update(shape=(axis_size,) + a.shape) if b else a
             for a, b in zip(closed.in_avals, batched)]
    return pe.trace_flat(f, avals), tuple(out_batched)


# ----------------------------------------------------------------- helpers

def fixpoint(step, mask):
    """Grow a boolean ``mask`` (over loop carries) with ``step(mask) -> mask``
    until it stops changing: which carries have tangents / are unknown / are
    batched after any number of iterations."""
    mask = tuple(mask)
    while True:
        new = tuple(a or b for a, b in zip(mask, step(mask)))
        if new == mask:
            return mask
        mask = new


@cached
def reorder(closed, in_perm, out_perm=None):
    """The same jaxpr with invars (and outvars) taken in the given orders."""
    j = closed.jaxpr
    outvars = j.outvars if out_perm is None else [j.outvars[i] for i in out_perm]
    return ClosedJaxpr(Jaxpr(j.constvars, [j.invars[i] for i in in_perm], j.eqns, outvars),
                       closed.consts)


@cached
def add_unused_invars(closed, avals):
    """The same jaxpr taking extra trailing inputs that it ignores."""
    j = closed.jaxpr
    return ClosedJaxpr(Jaxpr(j.constvars, j.invars + [Var(a) for a in avals], j.eqns,
                             j.outvars), closed.consts)


def dce_outputs(closed, keep, invars=None, keep_effects=True):
    """``closed`` computing only the outputs marked in ``keep`` (and, if
    ``keep_effects``, its effectful equations)."""
    j = closed.jaxpr
    outvars = [v for v, k in zip(j.outvars, keep) if k]
    out = dce(Jaxpr(j.constvars, j.invars if invars is None else invars, j.eqns, outvars),
              keep_effects=keep_effects)
    return ClosedJaxpr(out, closed.consts)


def coerce(args, avals):
    """Weakly typed values (a Python float cotangent, say) cast to the dtypes
    a jaxpr expects, so the primitive's type rule accepts them."""
    out = list(args)
    for i, (x, a) in enumerate(zip(args, avals)):
        if type(x) is Zero:
            continue
        xa = core.get_aval(x)
        if xa.dtype != a.dtype and (xa.weak_type or core.is_python_scalar(x)):
            out[i] = convert_element_type(x, a.dtype)
    return out
