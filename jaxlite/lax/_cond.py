"""cond: a primitive choosing one of several branch jaxprs by an index.

``cond_p`` takes ``(index, *ops)``: an int32 scalar and the branches' shared
operands (closed-over values of every branch come first among them), with
``branches`` a tuple of ClosedJaxprs of one signature. Only the chosen branch
runs (eagerly, and in compiled code). Under vmap with a batched index every
branch runs and ``select_n`` picks per element, as in JAX.
"""
import numpy as np

from jaxlite import core, ir, tree_util
from jaxlite.core import Primitive
from jaxlite.interpreters import ad, batching, partial_eval as pe
from jaxlite.interpreters.ad import Zero, UndefPrimal
from jaxlite.ir import ClosedJaxpr, Jaxpr, Var
from jaxlite.lax import jaxpr_transforms as sj
from jaxlite.lax.elementwise import convert_element_type, max as lax_max, min as lax_min, ne
from jaxlite.lax.elementwise import select_n
from jaxlite.lax.structural import broadcast_in_dim, full

__all__ = ["cond_p", "cond", "switch"]

cond_p = Primitive("cond", multiple_results=True, kind=core.HIGHER_ORDER)


def _clamp_index(i, n):
    return min(max(int(i), 0), n - 1)


def _cond_impl(index, *ops, branches):
    return sj.run(branches[_clamp_index(index, len(branches))], *ops)


def _same_type(a, b):
    return a.shape == b.shape and a.dtype == b.dtype


def _cond_abstract_eval(index, *ops, branches):
    if index.shape != () or index.dtype.kind not in "iu":
        raise TypeError(f"cond index must be an integer scalar, got {index}")
    for k, br in enumerate(branches):
        if len(br.in_avals) != len(ops) or not all(map(_same_type, br.in_avals, ops)):
            raise TypeError(f"cond branch {k} takes ({', '.join(map(str, br.in_avals))}), "
                            f"called with ({', '.join(map(str, ops))})")
    outs = branches[0].out_avals
    for k, br in enumerate(branches[1:], 1):
        if len(br.out_avals) != len(outs) or not all(map(_same_type, br.out_avals, outs)):
            raise TypeError(f"cond branches must return identical types: branch 0 returns "
                            f"({', '.join(map(str, outs))}), branch {k} returns "
                            f"({', '.join(map(str, br.out_avals))})")
    return [a.update(weak_type=all(br.out_avals[i].weak_type for br in branches))
            for i, a in enumerate(outs)]


core.impl_rules[cond_p] = _cond_impl
core.abstract_eval_rules[cond_p] = _cond_abstract_eval


# ------------------------------------------------------------------- jvp

def _cond_jvp(primals, tangents, branches):
    index, *ops = primals
    nonzero = tuple(type(t) is not Zero and ad.differentiable(core.get_aval(p))
                    for p, t in zip(ops, tangents[1:]))
    out_nz = tuple(any(col) for col in zip(*(sj.jvp_jaxpr(br, nonzero, (False,) * len(
        br.out_avals))[1] for br in branches)))
    new = tuple(sj.jvp_jaxpr(br, nonzero, out_nz)[0] for br in branches)
    t_ops = [t for t, nz in zip(tangents[1:], nonzero) if nz]
    outs = cond_p.bind(index, *sj.coerce(ops + t_ops, new[0].in_avals), branches=new)
    n = len(branches[0].out_avals)
    t_out = iter(outs[n:])
    return outs[:n], [next(t_out) if nz else Zero(a)
                      for nz, a in zip(out_nz, branches[0].out_avals)]


ad.jvp_rules[cond_p] = _cond_jvp


# ------------------------------------------------------ partial evaluation

@sj.cached
def _split_branches(branches, unknown):
    """Known branches (known ops -> known outs + every branch's residuals,
    zeros for the other branches') and unknown branches (all residuals +
    unknown ops -> unknown outs), so each side has one signature."""
    n_out = len(branches[0].out_avals)
    out_uk = tuple(any(col) for col in zip(*(sj.partial_eval_jaxpr(br, unknown, (False,) * n_out)[2]
                                             for br in branches)))
    splits = [sj.partial_eval_jaxpr(br, unknown, out_uk) for br in branches]
    res_avals = [k.out_avals[len(k.out_avals) - nres:] for k, _, _, nres in splits]
    all_res = [a for avals in res_avals for a in avals]
    known_avals = [a for a, u in zip(branches[0].in_avals, unknown) if not u]
    uk_avals = [a for a, u in zip(branches[0].in_avals, unknown) if u]
    known, unknown_branches = [], []
    for i, (k, u, _, nres) in enumerate(splits):
        def known_f(*ops, k=k, i=i, nres=nres):
            outs = sj.run(k, *ops)
            n_known = len(outs) - nres
            pad = [[full(a.shape, 0, a.dtype) for a in avals] for avals in res_avals]
            pad[i] = outs[n_known:]
            return outs[:n_known] + [r for rs in pad for r in rs]

        def unknown_f(*args, u=u, i=i):
            start = sum(len(r) for r in res_avals[:i])
            return sj.run(u, *args[start:start + len(res_avals[i])], *args[len(all_res):])
        known.append(pe.trace_flat(known_f, known_avals))
        unknown_branches.append(pe.trace_flat(unknown_f, all_res + uk_avals))
    return tuple(known), tuple(unknown_branches), out_uk, len(all_res)


def _cond_partial_eval(stager, args, params):
    branches = params["branches"]
    index, *ops = args
    if stager.owns(index):
        return stager.stage(cond_p, args, params)
    if not isinstance(index, core.Tracer):
        # A concrete index (eager grad): only the taken branch is linearized.
        with core.set_interpreter(stager):
            return sj.run(branches[_clamp_index(np.asarray(index), len(branches))], *ops)
    unknown = tuple(stager.owns(o) for o in ops)
    known, unknown_branches, out_uk, n_res = _split_branches(branches, unknown)
    known_ops = [o for o, u in zip(ops, unknown) if not u]
    known_outs = core.bind_with(stager.parent, cond_p, index,
                                *sj.coerce(known_ops, known[0].in_avals), branches=known)
    n_known = len(known_outs) - n_res
    uk_ops = [o for o, u in zip(ops, unknown) if u]
    uk_outs = stager.stage(cond_p, [index] + known_outs[n_known:] + uk_ops,
                           dict(branches=unknown_branches))
    k, u = iter(known_outs[:n_known]), iter(uk_outs)
    return [next(u) if is_u else next(k) for is_u in out_uk]


pe.partial_eval_rules[cond_p] = _cond_partial_eval


# ------------------------------------------------------------- transpose

@sj.cached
def _transpose_branch(closed, linear, ct_nonzero):
    """(residual ops, nonzero cts) -> cotangents of the linear ops."""
    res_avals = [a for a, l in zip(closed.in_avals, linear) if not l]
    ct_avals = [a for a, nz in zip(closed.out_avals, ct_nonzero) if nz]

    def f(*args):
        res, cts = iter(args[:len(res_avals)]), iter(args[len(res_avals):])
        primals = [UndefPrimal(a) if l else next(res) for a, l in zip(closed.in_avals, linear)]
        cts_out = [next(cts) if nz else Zero(a) for a, nz in zip(closed.out_avals, ct_nonzero)]
        cts_in = ad.backward_pass(closed.jaxpr, closed.consts, primals, cts_out)
        return [ad.instantiate(c) for c, l in zip(cts_in, linear) if l]
    return pe.trace_flat(f, res_avals + ct_avals)


def _cond_transpose(cts, index, *ops, branches):
    linear = tuple(type(o) is UndefPrimal for o in ops)
    ct_nonzero = tuple(type(c) is not Zero for c in cts)
    if not any(ct_nonzero):
        return [None] * (1 + len(ops))
    new = tuple(_transpose_branch(br, linear, ct_nonzero) for br in branches)
    args = [o for o in ops if type(o) is not UndefPrimal] + [c for c in cts if type(c) is not Zero]
    outs = iter(cond_p.bind(index, *sj.coerce(args, new[0].in_avals), branches=new))
    return [None] + [next(outs) if l else None for l in linear]


ad.transpose_rules[cond_p] = _cond_transpose


# -------------------------------------------------------------- batching

def _cond_batch(axis_size, vals, dims, branches):
    index, *ops = vals
    idim, *odims = dims
    ops = [batching.moveaxis(o, d, 0) if d is not None else o for o, d in zip(ops, odims)]
    batched = tuple(d is not None for d in odims)
    n_out = len(branches[0].out_avals)
    if idim is None:
        out_b = tuple(any(col) for col in zip(*(sj.batch_jaxpr(br, axis_size, batched,
                                                               (False,) * n_out)[1]
                                                for br in branches)))
        new = tuple(sj.batch_jaxpr(br, axis_size, batched, out_b)[0] for br in branches)
        outs = cond_p.bind(index, *ops, branches=new)
        return outs, [0 if b else None for b in out_b]
    # A batched index: every branch runs and select_n picks per element.
    index = batching.moveaxis(index, idim, 0)
    index = lax_max(lax_min(index, np.int32(len(branches) - 1)), np.int32(0))
    per_branch = [sj.run(sj.batch_jaxpr(br, axis_size, batched, (True,) * n_out)[0], *ops)
                  for br in branches]
    outs = []
    for cases in zip(*per_branch):
        shape = core.get_aval(cases[0]).shape
        which = broadcast_in_dim(index, shape, (0,)) if len(shape) > 1 else index
        outs.append(select_n(which, *cases))
    return outs, [0] * n_out


batching.batch_rules[cond_p] = _cond_batch


# ------------------------------------------------------------------- DCE

def _cond_dce(eqn, used):
    branches, used = eqn.params["branches"], tuple(used)
    n_ops = len(eqn.inputs) - 1
    needed = tuple(any(col) for col in zip(*(sj.dce_jaxpr(br, used, (False,) * n_ops)[1]
                                              for br in branches)))
    new = tuple(sj.dce_jaxpr(br, used, needed)[0] for br in branches)
    return eqn.replace(inputs=eqn.inputs[:1] + [a for a, u in zip(eqn.inputs[1:], needed) if u],
                       outvars=[v for v, u in zip(eqn.outvars, used) if u],
                       params=dict(eqn.params, branches=new))


ir.dce_rules[cond_p] = _cond_dce


# ------------------------------------------------------------ public API

_NO_OPERAND = object()


def _trace_branches(funs, operands, what):
    """Trace each branch once over the operands' avals. Returns
    ``(branches, consts, out_tree)``; every branch takes all branches'
    closed-over values (each ignoring the others') before the operands."""
    flat_ops, in_tree = tree_util.tree_flatten(operands)
    avals = [core.get_aval(x) for x in flat_ops]
    traced, trees = [], []
    for fun in funs:
        tree_box = []

        def flat_fun(*xs, fun=fun, tree_box=tree_box):
            out = fun(*tree_util.tree_unflatten(in_tree, xs))
            leaves, tree = tree_util.tree_flatten(out)
            tree_box.append(tree)
            return leaves
        traced.append(sj.trace_closing_consts(flat_fun, avals))
        trees.append(tree_box[0])
    _check_branch_outputs(traced, trees, what)
    consts, offsets = [], []
    for closed, cs in traced:
        offsets.append(len(consts))
        consts.extend(cs)
    branches = []
    for (closed, cs), off in zip(traced, offsets):
        j = closed.jaxpr
        own = j.invars[:len(cs)]
        invars = [Var(core.get_aval(c)) for c in consts]
        invars[off:off + len(cs)] = own
        branches.append(ClosedJaxpr(Jaxpr([], invars + j.invars[len(cs):], j.eqns, j.outvars),
                                    []))
    return tuple(branches), consts, flat_ops, trees[0]


def _check_branch_outputs(traced, trees, what):
    names = (["false_fun", "true_fun"] if what == "cond"
             else [f"branch {i}" for i in range(len(trees))])
    for name, tree in zip(names[1:], trees[1:]):
        if tree != trees[0]:
            raise TypeError(f"{what}: {names[0]} and {name} must return the same pytree "
                            f"structure, got {trees[0]} and {tree}")
    first = traced[0][0].out_avals
    for name, (closed, _) in zip(names[1:], traced[1:]):
        for i, (a, b) in enumerate(zip(first, closed.out_avals)):
            if not _same_type(a, b):
                raise TypeError(f"{what}: branches must return identical types, but output "
                                f"leaf {i} of {trees[0]} is {a} in {names[0]} and {b} in "
                                f"{name}")


def _as_index(x, what):
    aval = core.get_aval(x)
    if aval.shape != ():
        raise TypeError(f"{what} must be a scalar, got an array of shape {aval.shape}"
                        + core.where_message())
    return aval


def cond(pred, true_fun, false_fun, *operands, operand=_NO_OPERAND):
    """``true_fun(*operands) if pred else false_fun(*operands)``.

    Both functions are traced once (their outputs must match in structure
    and types); only the chosen one runs. ``pred`` is a boolean, integer or
    float scalar (nonzero is true, as in JAX; NaN is nonzero)."""
    if operand is not _NO_OPERAND:
        if operands:
            raise TypeError("cond: pass either positional operands or operand=, not both")
        operands = (operand,)
    if not (callable(true_fun) and callable(false_fun)):
        raise TypeError("cond: true_fun and false_fun must be callable")
    aval = _as_index(pred, "cond predicate")
    if aval.dtype.kind not in "biuf":
        raise TypeError(f"cond predicate must be a boolean or numeric scalar, got "
                        f"{aval.dtype.name}" + core.where_message())
    if aval.dtype.kind != "b":
        pred = ne(pred, np.zeros((), aval.dtype))
    branches, consts, flat_ops, out_tree = _trace_branches([false_fun, true_fun], operands,
                                                           "cond")
    index = convert_element_type(pred, np.int32)
    outs = cond_p.bind(index, *consts, *flat_ops, branches=branches)
    return tree_util.tree_unflatten(out_tree, outs)


def switch(index, branches, *operands, operand=_NO_OPERAND):
    """``branches[index](*operands)``, with ``index`` clamped into range."""
    if operand is not _NO_OPERAND:
        operands = operands + (operand,)
    branches = list(branches)
    if not branches:
        raise ValueError("switch requires at least one branch")
    if not all(callable(b) for b in branches):
        raise TypeError("switch: every branch must be callable")
    aval = _as_index(index, "switch index")
    if aval.dtype.kind not in "iu":
        raise TypeError(f"switch index must be an integer scalar, got {aval.dtype.name}"
                        + core.where_message())
    if len(branches) == 1:
        return branches[0](*operands)
    index = convert_element_type(index, np.int32)
    if isinstance(index, core.Tracer):
        index = lax_max(lax_min(index, np.int32(len(branches) - 1)), np.int32(0))
    else:
        index = np.int32(_clamp_index(np.asarray(index), len(branches)))
    jaxprs, consts, flat_ops, out_tree = _trace_branches(branches, operands, "switch")
    outs = cond_p.bind(index, *consts, *flat_ops, branches=jaxprs)
    return tree_util.tree_unflatten(out_tree, outs)
