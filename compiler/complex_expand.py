"""Complex numbers as pairs of real planes: a jaxpr -> jaxpr pass run before simplify.

The LLVM lowering knows only real numbers. When a program holds complex
values, ``expand`` rewrites it so that every complex variable becomes two real
variables of the matching float dtype (its real and imaginary *planes*) and
every equation touching complex values becomes real equations. Those come from
per-primitive *expansion rules* (``register``; the rules themselves are in
``complex_rules.py``), written with lax operations on the planes and traced
into the new jaxpr. Nested programs (cond branches, loop bodies) are expanded
the same way, their complex inputs and outputs flattened to consecutive
``re, im`` pairs; calls (jit, custom_jvp/vjp) are inlined, as simplify would.

At the boundary the compiled function keeps complex arguments and results, and
nothing is copied: a C-contiguous complex array has the bytes of a real array
with a trailing dimension of 2, which is how the program sees it. Each complex
input is split into its planes by strided slices (fused into their readers);
each complex output is written by an ``interleave`` kernel (``complex_pack``)
that computes both planes of an element in one loop and stores them side by
side, so the shared work of the two planes is done once; an equation that makes
both planes of an output and has a packer (``register_packer``: the FFT) writes
the output's bytes itself instead.

A primitive with complex operands and no rule is a TypeError naming it.
"""
from collections import Counter

import numpy as np

from jaxlite import core, dtypes, lax
from jaxlite.core import ShapedArray
from jaxlite.interpreters import partial_eval as pe
from jaxlite.ir import ClosedJaxpr, Eqn, Jaxpr, Literal, Var
from jaxlite.compiler import fusion, loops, registry, simplify
from jaxlite.compiler.lltypes import i64

__all__ = ["Pair", "register", "rule_for", "involves_complex", "expand", "expand_nested",
           "flat_avals", "flatten", "unflatten", "PACK", "register_packer"]

# primitive name -> rule(*args, **params): args are a Pair per complex operand (the
# others as they are), the result a Pair per complex output (a list when the
# primitive has several results).
_RULES = {}


class Pair:
    """A complex value as its two real planes (same shape and float dtype)."""
    __slots__ = ("re", "im")

    def __init__(self, re, im):
        self.re, self.im = re, im


def register(name, rule):
    """Make ``rule`` the expansion of primitive ``name`` on complex values."""
    _RULES[name] = rule
    return rule


def rule_for(prim):
    """The expansion rule of ``prim`` (a Primitive or a name), or None."""
    return _RULES.get(getattr(prim, "name", prim))


def _is_complex(aval):
    return aval.dtype.kind == "c"


def _params_jaxprs(params):
    for value in params.values():
        for inner in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(inner, (ClosedJaxpr, Jaxpr)):
                yield inner


def involves_complex(closed):
    """Does the program (or one it holds) have a complex value anywhere?"""
    j = getattr(closed, "jaxpr", closed)
    if any(_is_complex(v.aval) for v in j.constvars + j.invars + j.outvars):
        return True
    return any(_eqn_touches_complex(e) for e in j.eqns)


def _eqn_touches_complex(eqn):
    if any(_is_complex(a.aval) for a in eqn.inputs + eqn.outvars):
        return True
    return any(involves_complex(inner) for inner in _params_jaxprs(eqn.params))


# ------------------------------------------------------------------ the walk

def _literal(a):
    if not _is_complex(a.aval):
        return a.val
    real = dtypes.real_dtype(a.aval.dtype)
    v = np.asarray(a.val, a.aval.dtype)
    return Pair(np.asarray(v.real, real), np.asarray(v.imag, real))


def _const(value, aval):
    if not _is_complex(aval):
        return value
    v = np.asarray(value)
    return Pair(np.ascontiguousarray(v.real), np.ascontiguousarray(v.imag))


def _run(jaxpr, consts, args):
    """Evaluate ``jaxpr`` under the current (staging) interpreter with complex
    values as Pairs; returns its outputs (Pairs for complex ones)."""
    env = {}

    def read(a):
        return _literal(a) if type(a) is Literal else env[a]

    for v, c in zip(jaxpr.constvars, consts):
        env[v] = _const(c, v.aval)
    for v, x in zip(jaxpr.invars, args):
        env[v] = x
    ctx = core.source_context
    outer = ctx.source
    try:
        for eqn in jaxpr.eqns:
            ctx.source = eqn.source or outer
            outs = _equation(eqn, [read(a) for a in eqn.inputs])
            for v, o in zip(eqn.outvars, outs):
                env[v] = o
    finally:
        ctx.source = outer
    return [read(v) for v in jaxpr.outvars]


def _equation(eqn, ins):
    if eqn.prim.kind == core.CALL:     # inlined, as simplify would (custom_lin has no jaxpr)
        inner = simplify.call_jaxpr_of(eqn)
        if inner is not None:
            return _run(inner.jaxpr, inner.consts, ins)
    if not _eqn_touches_complex(eqn):
        out = core.bind(eqn.prim, *ins, **eqn.params)
        return out if eqn.prim.multiple_results else [out]
    rule = _RULES.get(eqn.prim.name)
    if rule is None:
        types = ", ".join(str(a.aval.str_short()) for a in eqn.inputs)
        raise TypeError(f"jit cannot compile primitive '{eqn.prim.name}' on complex values "
                        f"(operands {types}; at {eqn.source}): it has no complex expansion "
                        f"rule")
    out = rule(*ins, **eqn.params)
    return list(out) if eqn.prim.multiple_results else [out]


# ------------------------------------------------- flattening of pairs

def flat_avals(avals):
    """Each complex aval as two real ones (re, im), the others as they are."""
    out = []
    for a in avals:
        if _is_complex(a):
            part = ShapedArray(a.shape, dtypes.real_dtype(a.dtype), a.weak_type)
            out += [part, part]
        else:
            out.append(a)
    return out


def flatten(values):
    out = []
    for x in values:
        out += [x.re, x.im] if isinstance(x, Pair) else [x]
    return out


def unflatten(flat, avals):
    """Regroup consecutive (re, im) of the complex avals into Pairs."""
    it = iter(flat)
    return [Pair(next(it), next(it)) if _is_complex(a) else next(it) for a in avals]


def expand_nested(closed):
    """``closed`` with real values only, each complex input and output replaced by
    two consecutive real ones (re, im): for the programs control flow holds."""
    if not involves_complex(closed):
        return closed
    avals = closed.in_avals

    def body(*xs):
        return flatten(_run(closed.jaxpr, closed.consts, unflatten(xs, avals)))
    return pe.trace_flat(body, flat_avals(avals), what="complex expansion")


# ------------------------------------------------------------- boundary

# complex_pack(re, im) -> f[..., 2]: a complex output's bytes.
PACK = fusion.CompilerOp("complex_pack", core.KERNEL, core.CHEAP)
fusion.register_op(PACK)


# primitive name -> packer(eqn, out): an equation computing the complex output ``out``
# (real ``shape + (2,)``) straight from ``eqn``'s inputs, where ``eqn`` makes both of
# its planes and nothing else reads them, or None. Saves the interleave kernel's
# pass over the result (the FFT kernel writes its lines interleaved).
_PACKERS = {}


def register_packer(name, packer):
    """Let equations of primitive ``name`` write a complex program output directly."""
    _PACKERS[name] = packer


def _view_aval(aval):
    return ShapedArray(aval.shape + (2,), dtypes.real_dtype(aval.dtype))


def _planes_of_view(x, shape):
    """The planes of a complex array viewed as real ``shape + (2,)``: strided slices."""
    n = len(shape)

    def plane(k):
        part = lax.slice(x, (0,) * n + (k,), tuple(shape) + (k + 1,))
        return lax.reshape(part, tuple(shape))
    return Pair(plane(0), plane(1))


def _full_plane(x, shape, dtype):
    """A plane of exactly ``shape`` (a literal or scalar plane is broadcast)."""
    aval = core.get_aval(x)
    if aval.dtype != dtype:
        x = lax.convert_element_type(x, dtype)
    if aval.shape == tuple(shape):
        return x
    return lax.broadcast_in_dim(x, tuple(shape), ())     # a scalar plane


def expand(closed):
    """The top-level program with real values only. Complex inputs arrive as real
    ``shape + (2,)`` arrays (the same bytes), complex outputs leave as such."""
    j = closed.jaxpr
    in_avals = [_view_aval(a) if _is_complex(a) else a for a in closed.in_avals]
    out_avals = closed.out_avals

    def body(*xs):
        args = [_planes_of_view(x, a.shape) if _is_complex(a) else x
                for x, a in zip(xs, closed.in_avals)]
        outs = _run(j, closed.consts, args)
        flat = []
        for o, a in zip(outs, out_avals):
            if _is_complex(a):
                part = dtypes.real_dtype(a.dtype)
                o = [_full_plane(o.re, a.shape, part), _full_plane(o.im, a.shape, part)]
                flat += o
            else:
                flat.append(o)
        return flat
    traced = pe.trace_flat(body, in_avals, what="complex expansion")
    tj = traced.jaxpr
    eqns, outvars, it = list(tj.eqns), [], iter(tj.outvars)
    producer = {v: e for e in eqns for v in e.outvars}
    uses = Counter(a for e in eqns for a in e.inputs if type(a) is Var)
    uses.update(v for v in tj.outvars if type(v) is Var)
    for a in out_avals:
        if not _is_complex(a):
            outvars.append(next(it))
            continue
        re, im = next(it), next(it)
        out = Var(_view_aval(a))
        e = producer.get(re) if type(re) is Var else None
        packed = None
        if (e is not None and e.prim.name in _PACKERS and e.outvars == [re, im]
                and uses[re] == uses[im] == 1):
            packed = _PACKERS[e.prim.name](e, out)
        if packed is None:
            eqns.append(Eqn(PACK, [re, im], {}, [out], None))
        else:
            eqns[eqns.index(e)] = packed
        outvars.append(out)
    return ClosedJaxpr(Jaxpr(tj.constvars, tj.invars, eqns, outvars), traced.consts)


@registry.kernel_rule(PACK.name, label="interleave", fuses_inputs=True)
def _emit_pack(em, kernel):
    """Both planes of each element computed in one loop body and stored side by side."""
    re, im = kernel.root.inputs
    out = kernel.root.out
    shape = out.aval.shape[:-1]
    b = em.b

    def store(idx, off):
        em.reset()
        two = b.mul(off, i64(2), flags=("nsw",))
        em.store_linear(out, two, em.value(re, idx))
        em.store_linear(out, b.add(two, i64(1), flags=("nsw",)), em.value(im, idx))

    if kernel.runs_flat(shape):
        em.flat = True
        lo, hi = em.band or (0, int(np.prod(shape, dtype=np.int64)))
        with loops.for_range(b, hi, start=lo, name="i") as i:
            store([i], i)
        return
    with loops.loop_nest(b, shape, outer=em.band) as idx:
        store(idx, loops.linear_index(b, idx, shape))
