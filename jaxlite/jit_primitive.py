"""The jit call primitive: ``jit_p`` holds a jaxpr; its impl compiles it.

Inside another transform, ``jit_p`` is an ordinary primitive whose rules
transform its inner jaxpr: jvp and vmap build a new jaxpr, partial evaluation
splits it into a known and an unknown call, transpose transposes it. So
jit(grad(f)), grad(jit(f)) and vmap(jit(f)) all compose. Each transformed
jaxpr is cached on (jaxpr, mask); ``clear_caches`` drops them.
"""
import functools
import time
import weakref

import numpy as np

from jaxlite import core
from jaxlite.core import Primitive
from jaxlite.interpreters import ad, batching, partial_eval as pe
from jaxlite.interpreters.ad import Zero, UndefPrimal
from jaxlite._config import checks
from jaxlite.ir import ClosedJaxpr, Jaxpr, check, eval_jaxpr
from jaxlite.lax.elementwise import convert_element_type

__all__ = ["jit_p", "executable", "clear_caches"]

jit_p = Primitive("jit", multiple_results=True, kind=core.CALL)


# ---------------------------------------------------------------- impl

def _jit_impl(*args, jaxpr, name):
    return executable(jaxpr, name)(*args)


_exe_cache = weakref.WeakKeyDictionary()


def executable(closed, name):
    """The compiled executable for a ClosedJaxpr (compiled once per jaxpr object)."""
    exe = _exe_cache.get(closed)
    if exe is None:
        # why local: the compiler imports llvmlite; `import jaxlite` must not.
        from jaxlite.compiler import compile as backend_compile, stats
        start, memory_hits = time.perf_counter(), stats["memory_hits"]
        exe = backend_compile(closed, name=name)
        _exe_cache[closed] = exe
        for observe in compile_observers:      # log_compiles (jaxlite/debugging)
            observe(name, exe, time.perf_counter() - start, stats["memory_hits"] > memory_hits)
    return exe


def fusion_plan_dot(closed, name):
    """The compiler's fusion plan for a ClosedJaxpr as a Graphviz DOT graph."""
    # why local: the compiler imports llvmlite; `import jaxlite` must not.
    from jaxlite.compiler import plan_dot
    return plan_dot.plan_dot(closed, name)


# observer(name, executable, seconds, memory cache hit) after each compile.
compile_observers = []


def _coerce_weak(args, avals):
    """Weakly typed arguments (Python scalars, weak-typed values) cast to the
    dtype the inner jaxpr expects. A rule may hand jit_p a Python float (a
    user's cotangent, say) where the jaxpr has float64; eager evaluation
    would make it float32 and the executable would reject it."""
    out = list(args)
    for i, (x, a) in enumerate(zip(args, avals)):
        if type(x) in (bool, int, float):
            if core.get_aval(x).dtype != a.dtype and a.shape == ():
                out[i] = np.asarray(x, a.dtype)
        elif isinstance(x, (core.Tracer, np.ndarray)):
            xa = core.get_aval(x)
            if xa.weak_type and xa.dtype != a.dtype and xa.shape == a.shape:
                out[i] = convert_element_type(x, a.dtype)
    return out


def _jit_abstract_eval(*avals, jaxpr, name):
    for i, (a, b) in enumerate(zip(avals, jaxpr.in_avals)):
        if a.shape != b.shape or a.dtype != b.dtype:
            raise TypeError(f"jit call of {name}: argument {i} has type {a}, expected {b}")
    return jaxpr.out_avals


core.impl_rules[jit_p] = _jit_impl
core.abstract_eval_rules[jit_p] = _jit_abstract_eval


# ----------------------------------------------------------------- jvp

@functools.lru_cache(maxsize=512)
def _jvp_jaxpr(closed, nonzero):
    """A jaxpr computing (primals_out, nonzero tangents_out) from (primals, nonzero tangents)."""
    n = len(closed.in_avals)
    out_nonzero = []

    def f(*args):
        primals, tans = list(args[:n]), iter(args[n:])
        tangents = [next(tans) if nz else Zero(a) for nz, a in zip(nonzero, closed.in_avals)]
        p_out, t_out = ad.jvp_flat(lambda *xs: eval_jaxpr(closed.jaxpr, closed.consts, *xs),
                                   primals, tangents)
        out_nonzero.extend(type(t) is not Zero for t in t_out)
        return p_out + [t for t in t_out if type(t) is not Zero]
    avals = list(closed.in_avals) + [a for a, nz in zip(closed.in_avals, nonzero) if nz]
    return pe.trace_flat(f, avals, what="jit's jvp rule"), tuple(out_nonzero)


def _jit_jvp(primals, tangents, jaxpr, name):
    nonzero = tuple(type(t) is not Zero for t in tangents)
    new, out_nz = _jvp_jaxpr(jaxpr, nonzero)
    args = _coerce_weak(list(primals) + [t for t in tangents if type(t) is not Zero],
                        new.in_avals)
    outs = core.bind(jit_p, *args, jaxpr=new, name=f"jvp_{name}")
    n = len(jaxpr.out_avals)
    it = iter(outs[n:])
    return outs[:n], [next(it) if nz else Zero(a) for nz, a in zip(out_nz, jaxpr.out_avals)]


ad.jvp_rules[jit_p] = _jit_jvp


# ------------------------------------------------------ partial evaluation

@functools.lru_cache(maxsize=512)
def _split_jaxpr(closed, unknown):
    """Split a call into known and unknown parts.

    Returns (known ClosedJaxpr: known ins -> known outs + residuals,
             unknown ClosedJaxpr: residuals + unknown ins -> unknown outs,
             out_unknown mask, number of residuals)."""
    known_stager = pe.StagingInterpreter(parent=core.eval_interpreter, stage_all=True)
    unknown_stager = pe.StagingInterpreter(parent=known_stager, stage_all=False)
    args = [unknown_stager.new_arg(a) if u else known_stager.new_arg(a)
            for a, u in zip(closed.in_avals, unknown)]
    with core.set_interpreter(unknown_stager):
        outs = eval_jaxpr(closed.jaxpr, closed.consts, *args)
    out_unknown = tuple(unknown_stager.owns(o) for o in outs)
    unknown_outs = [o for o, u in zip(outs, out_unknown) if u]
    unknown_closed = unknown_stager.build(unknown_outs)
    # Constants of the unknown side that are known-side tracers are residuals.
    res_mask = [isinstance(c, pe.StagingTracer) for c in unknown_closed.consts]
    residuals = [c for c, r in zip(unknown_closed.consts, res_mask) if r]
    uj = unknown_closed.jaxpr
    res_vars = [v for v, r in zip(uj.constvars, res_mask) if r]
    unknown_closed = ClosedJaxpr(
        Jaxpr([v for v, r in zip(uj.constvars, res_mask) if not r], res_vars + uj.invars,
              uj.eqns, uj.outvars),
        [c for c, r in zip(unknown_closed.consts, res_mask) if not r])
    known_outs = [o for o, u in zip(outs, out_unknown) if not u]
    known_closed = known_stager.build(known_outs + residuals,
                                      what="jit's partial-evaluation rule (known side)")
    if checks.value:
        check(unknown_closed, "jit's partial-evaluation rule (unknown side)")
    return known_closed, unknown_closed, out_unknown, len(residuals)


def _jit_partial_eval(stager, args, params):
    jaxpr, name = params["jaxpr"], params["name"]
    unknown = tuple(stager.owns(a) for a in args)
    known_j, unknown_j, out_unknown, n_res = _split_jaxpr(jaxpr, unknown)
    args = _coerce_weak(args, jaxpr.in_avals)
    known_args = [a for a, u in zip(args, unknown) if not u]
    known_outs = core.bind_with(stager.parent, jit_p, *known_args, jaxpr=known_j, name=name)
    n_known = len(known_outs) - n_res
    residuals = known_outs[n_known:]
    unknown_args = [a for a, u in zip(args, unknown) if u]
    unknown_outs = stager.stage(jit_p, list(residuals) + unknown_args,
                                dict(jaxpr=unknown_j, name=name))
    k, u = iter(known_outs[:n_known]), iter(unknown_outs)
    return [next(u) if is_u else next(k) for is_u in out_unknown]


pe.partial_eval_rules[jit_p] = _jit_partial_eval


# ------------------------------------------------------------ transpose

@functools.lru_cache(maxsize=512)
def _transpose_jaxpr(closed, linear, ct_nonzero):
    """(known args, nonzero cts) -> cotangents of the linear args (zeros instantiated)."""
    avals = closed.in_avals
    known_avals = [a for a, l in zip(avals, linear) if not l]
    ct_avals = [a for a, nz in zip(closed.out_avals, ct_nonzero) if nz]

    def f(*args):
        known, cts = iter(args[:len(known_avals)]), iter(args[len(known_avals):])
        primals = [UndefPrimal(a) if l else next(known) for a, l in zip(avals, linear)]
        cts_out = [next(cts) if nz else Zero(a) for a, nz in zip(closed.out_avals, ct_nonzero)]
        cts_in = ad.backward_pass(closed.jaxpr, closed.consts, primals, cts_out)
        return [ad.instantiate(c) for c, l in zip(cts_in, linear) if l]
    return pe.trace_flat(f, known_avals + ct_avals, what="jit's transpose rule")


def _jit_transpose(cts, *args, jaxpr, name):
    linear = tuple(type(a) is UndefPrimal for a in args)
    ct_nonzero = tuple(type(c) is not Zero for c in cts)
    t_jaxpr = _transpose_jaxpr(jaxpr, linear, ct_nonzero)
    known = [a for a in args if type(a) is not UndefPrimal]
    t_args = _coerce_weak(known + [c for c in cts if type(c) is not Zero], t_jaxpr.in_avals)
    outs = iter(core.bind(jit_p, *t_args, jaxpr=t_jaxpr, name=f"transpose_{name}"))
    return [next(outs) if l else None for l in linear]


ad.transpose_rules[jit_p] = _jit_transpose


# --------------------------------------------------------------- batching

@functools.lru_cache(maxsize=512)
def _batch_jaxpr(closed, axis_size, dims):
    """``(jaxpr, out_dims)``: a jaxpr over batched inputs (batch dims ``dims``).
    Outputs keep the batch dim the rules gave them (no transposes to move it);
    unbatched outputs are broadcast at 0."""
    found = []

    def f(*args):
        outs, out_dims = batching.vmap_flat(
            lambda *xs: eval_jaxpr(closed.jaxpr, closed.consts, *xs), axis_size, args, dims)
        found[:] = [0 if d is None else d for d in out_dims]
        return [batching.move_to(o, d, t, axis_size) for o, d, t in zip(outs, out_dims, found)]
    avals = [a if d is None else a.update(shape=a.shape[:d] + (axis_size,) + a.shape[d:])
             for a, d in zip(closed.in_avals, dims)]
    return pe.trace_flat(f, avals, what="jit's batching rule"), tuple(found)


def _jit_batch(axis_size, vals, dims, jaxpr, name):
    new, out_dims = _batch_jaxpr(jaxpr, axis_size, tuple(dims))
    outs = core.bind(jit_p, *_coerce_weak(vals, new.in_avals), jaxpr=new, name=f"vmap_{name}")
    return outs, list(out_dims)


batching.batch_rules[jit_p] = _jit_batch


def clear_caches():
    """Drop the executables kept per jaxpr and the transformed jaxprs."""
    _exe_cache.clear()
    for fn in (_jvp_jaxpr, _split_jaxpr, _transpose_jaxpr, _batch_jaxpr):
        fn.cache_clear()
