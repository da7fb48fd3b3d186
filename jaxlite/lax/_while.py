"""while: a loop primitive running its body jaxpr while its cond jaxpr holds.

``while_p`` takes ``(*cond_consts, *body_consts, *init_carry)`` with params
``cond_jaxpr`` (consts, carry) -> bool[] and ``body_jaxpr`` (consts, carry) ->
carry, ``cond_nconsts``, ``body_nconsts``, and ``max_steps`` (present only
when set: jaxlite's bound on the number of trips, which makes a loop with a
traced predicate reverse-differentiable). Also ``fori_loop``: a ``scan``
with static bounds, a ``while`` otherwise.
"""
import numpy as np

from jaxlite import core, dtypes, ir, tree_util
from jaxlite.core import Primitive
from jaxlite.interpreters import ad, batching, partial_eval as pe
from jaxlite.interpreters.ad import Zero
from jaxlite.lax import jaxpr_transforms as sj
from jaxlite.lax._cond import cond_p
from jaxlite.lax._loop_bodies import check_carry, check_ins, join_weak, trace_loop, types_text
from jaxlite.lax._scan import scan, scan_p
from jaxlite.lax.elementwise import add, convert_element_type, lt, ne, select_n
from jaxlite.lax.reductions import reduce_max
from jaxlite.lax.structural import broadcast_in_dim

__all__ = ["while_p", "while_loop", "fori_loop"]

while_p = Primitive("while", multiple_results=True, kind=core.HIGHER_ORDER)


def _while_impl(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts, max_steps=None):
    cconsts, bconsts = args[:cond_nconsts], args[cond_nconsts:cond_nconsts + body_nconsts]
    carry = list(args[cond_nconsts + body_nconsts:])
    steps = 0
    while (max_steps is None or steps < max_steps) and sj.run(cond_jaxpr, *cconsts, *carry)[0]:
        carry = sj.run(body_jaxpr, *bconsts, *carry)
        steps += 1
    return carry


def _while_abstract_eval(*avals, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts,
                         max_steps=None):
    cconsts, bconsts = avals[:cond_nconsts], avals[cond_nconsts:cond_nconsts + body_nconsts]
    carry = avals[cond_nconsts + body_nconsts:]
    check_ins("while cond_jaxpr", cond_jaxpr, list(cconsts) + list(carry))
    check_ins("while body_jaxpr", body_jaxpr, list(bconsts) + list(carry))
    out = cond_jaxpr.out_avals
    if len(out) != 1 or out[0].shape != () or out[0].dtype != np.bool_:
        raise TypeError(f"while cond_jaxpr must return a boolean scalar, got {types_text(out)}")
    check_carry("while body", carry, body_jaxpr.out_avals)
    return [join_weak(a, b) for a, b in zip(carry, body_jaxpr.out_avals)]


core.impl_rules[while_p] = _while_impl
core.abstract_eval_rules[while_p] = _while_abstract_eval


def _while_parts(args, cond_nconsts, body_nconsts):
    return (list(args[:cond_nconsts]), list(args[cond_nconsts:cond_nconsts + body_nconsts]),
            list(args[cond_nconsts + body_nconsts:]))


def _while_jvp(primals, tangents, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts,
               max_steps=None):
    cconsts, bconsts, init = _while_parts(primals, cond_nconsts, body_nconsts)
    _, bconst_t, init_t = _while_parts(tangents, cond_nconsts, body_nconsts)
    nz = lambda ps, ts: tuple(type(t) is not Zero and ad.differentiable(core.get_aval(p))
                              for p, t in zip(ps, ts))
    bc_nz, carry_nz = nz(bconsts, bconst_t), nz(init, init_t)
    carry_nz = sj.fixpoint(lambda m: sj.jvp_jaxpr(body_jaxpr, bc_nz + m, m)[1], carry_nz)
    body, cond = _while_jvp_jaxprs(cond_jaxpr, body_jaxpr, bc_nz, carry_nz)
    bt = [t for t, n in zip(bconst_t, bc_nz) if n]
    ct = [ad.instantiate(t) for t, n in zip(init_t, carry_nz) if n]
    args = cconsts + bconsts + bt + init + ct
    outs = while_p.bind(*sj.coerce(args, cond.in_avals[:cond_nconsts] + body.in_avals),
                        cond_jaxpr=cond, body_jaxpr=body, cond_nconsts=cond_nconsts,
                        body_nconsts=body_nconsts + len(bt), **_max(max_steps))
    n = len(init)
    t_out = iter(outs[n:])
    return outs[:n], [next(t_out) if z else Zero(core.get_aval(p))
                      for z, p in zip(carry_nz, outs[:n])]


def _max(max_steps):
    """The optional param, present only when set (so jaxprs print as JAX's)."""
    return {} if max_steps is None else {"max_steps": max_steps}


@sj.cached
def _while_jvp_jaxprs(cond_jaxpr, body_jaxpr, bc_nz, carry_nz):
    jvp, _ = sj.jvp_jaxpr(body_jaxpr, bc_nz + carry_nz, carry_nz)
    nb, nc = len(bc_nz), len(carry_nz)
    nbt, nct = sum(bc_nz), sum(carry_nz)
    # jvp takes (bconsts, carry, bconst tangents, carry tangents) and returns
    # (carry, carry tangents); while wants the consts first: (bconsts, bconst
    # tangents, carry, carry tangents).
    ins = (list(range(nb)) + list(range(nb + nc, nb + nc + nbt))
           + list(range(nb, nb + nc)) + list(range(nb + nc + nbt, nb + nc + nbt + nct)))
    body = sj.reorder(jvp, tuple(ins))
    t_avals = tuple(a for a, n in zip(body_jaxpr.out_avals, carry_nz) if n)
    return body, sj.add_unused_invars(cond_jaxpr, t_avals)


ad.jvp_rules[while_p] = _while_jvp


def _while_partial_eval(stager, args, params):
    cond_jaxpr, body_jaxpr = params["cond_jaxpr"], params["body_jaxpr"]
    cn, bn = params["cond_nconsts"], params["body_nconsts"]
    cconsts, bconsts, init = _while_parts(args, cn, bn)
    owns = lambda xs: tuple(stager.owns(x) for x in xs)
    cc_uk, bc_uk = owns(cconsts), owns(bconsts)
    carry_uk = sj.fixpoint(
        lambda m: sj.partial_eval_jaxpr(body_jaxpr, bc_uk + m, m)[2], owns(init))
    if sj.partial_eval_jaxpr(cond_jaxpr, cc_uk + carry_uk, (False,))[2][0]:
        return stager.stage(while_p, args, params)
    masks = (cc_uk, bc_uk, carry_uk)
    concrete = _concrete_values(args, cc_uk + bc_uk + carry_uk)
    if concrete is not None or params.get("max_steps") is not None:
        return _while_as_scan(stager, args, params, masks, concrete)
    return _while_known_and_staged(stager, args, params, masks)


def _while_as_scan(stager, args, params, masks, concrete):
    """Reverse-differentiable: the loop as a scan of a known length, its trip
    count when the known values are concrete (computed now), else max_steps
    trips of a body that stops changing the carry once the predicate fails."""
    cond_jaxpr, body_jaxpr = params["cond_jaxpr"], params["body_jaxpr"]
    cn, bn = params["cond_nconsts"], params["body_nconsts"]
    cconsts, bconsts, init = _while_parts(args, cn, bn)
    if concrete is not None:
        length = _trip_count(cond_jaxpr, body_jaxpr, *_while_parts(concrete, cn, bn), *masks,
                             params.get("max_steps"))
        body, consts = body_jaxpr, bconsts
    else:
        length = params["max_steps"]
        body, consts = _guarded_body(cond_jaxpr, body_jaxpr, cn, bn), cconsts + bconsts
    with core.set_interpreter(stager):
        return scan_p.bind(*consts, *init, jaxpr=body, length=length, reverse=False,
                           num_consts=len(consts), num_carry=len(init),
                           linear=(False,) * (len(consts) + len(init)), unroll=1)


def _while_known_and_staged(stager, args, params, masks):
    """As JAX: the known carries by a loop run now, the unknown ones by a
    staged loop that recomputes everything (and cannot be transposed)."""
    cn, bn = params["cond_nconsts"], params["body_nconsts"]
    kcond, kbody = _known_loop(params["cond_jaxpr"], params["body_jaxpr"], *masks)
    known = [[x for x, u in zip(group, mask) if not u]
             for group, mask in zip(_while_parts(args, cn, bn), masks)]
    known_outs = core.bind_with(stager.parent, while_p, *known[0], *known[1], *known[2],
                                cond_jaxpr=kcond, body_jaxpr=kbody, cond_nconsts=len(known[0]),
                                body_nconsts=len(known[1]), **_max(params.get("max_steps")))
    staged = stager.stage(while_p, args, params)
    k = iter(known_outs)
    return [s if u else next(k) for s, u in zip(staged, masks[2])]


def _concrete_values(args, unknown):
    """The concrete values of the known operands (the primals of outer jvp
    tracers included; None for unknown ones), or None if one is abstract."""
    out = []
    for x, u in zip(args, unknown):
        try:
            out.append(None if u else x.concrete_value() if isinstance(x, core.Tracer) else x)
        except core.ConcretizationTypeError:
            return None
    return out


@sj.cached
def _known_loop(cond_jaxpr, body_jaxpr, cc_uk, bc_uk, carry_uk):
    """The loop over the known carries only (no residuals)."""
    kcond = sj.partial_eval_jaxpr(cond_jaxpr, cc_uk + carry_uk, (False,))[0]
    kbody, _, _, nres = sj.partial_eval_jaxpr(body_jaxpr, bc_uk + carry_uk, carry_uk)
    n_out = len(kbody.out_avals) - nres
    kbody = sj.dce_outputs(kbody, [True] * n_out + [False] * nres)
    return kcond, kbody


def _trip_count(cond_jaxpr, body_jaxpr, cconsts, bconsts, init, cc_uk, bc_uk, carry_uk,
                max_steps):
    """Run the known part of the loop now (its values are concrete) and count."""
    kcond, kbody = _known_loop(cond_jaxpr, body_jaxpr, cc_uk, bc_uk, carry_uk)
    kc = [x for x, u in zip(cconsts, cc_uk) if not u]
    kb = [x for x, u in zip(bconsts, bc_uk) if not u]
    carry = [x for x, u in zip(init, carry_uk) if not u]
    steps = 0
    with core.set_interpreter(core.eval_interpreter):
        while (max_steps is None or steps < max_steps) and bool(sj.run(kcond, *kc, *carry)[0]):
            carry = sj.run(kbody, *kb, *carry)
            steps += 1
    return steps


@sj.cached
def _guarded_body(cond_jaxpr, body_jaxpr, cn, bn):
    """(cond consts, body consts, carry) -> carry: one step of the loop if the
    predicate holds, else the carry unchanged."""
    carry_avals = body_jaxpr.out_avals
    ident = pe.trace_flat(lambda *a: list(a[bn:]), body_jaxpr.in_avals)

    def step(*args):
        cconsts, rest = args[:cn], args[cn:]
        pred = sj.run(cond_jaxpr, *cconsts, *rest[bn:])[0]
        return cond_p.bind(convert_element_type(pred, np.int32), *rest,
                           branches=(ident, body_jaxpr))
    return pe.trace_flat(step, cond_jaxpr.in_avals[:cn] + body_jaxpr.in_avals[:bn]
                         + list(carry_avals))


pe.partial_eval_rules[while_p] = _while_partial_eval


def _while_transpose(cts, *args, **params):
    raise ValueError(
        "Reverse-mode differentiation does not work for lax.while_loop whose predicate "
        "depends on traced values (the trip count is unknown when the backward pass is "
        "built). Use lax.scan or lax.fori_loop with static bounds, or bound the loop with "
        "lax.while_loop(..., max_steps=N)." + core.where_message())


ad.transpose_rules[while_p] = _while_transpose


def _while_batch(axis_size, vals, dims, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts,
                 max_steps=None):
    vals = [batching.moveaxis(v, d, 0) if d is not None else v for v, d in zip(vals, dims)]
    cc_b, bc_b, carry_b = _while_parts([d is not None for d in dims], cond_nconsts,
                                       body_nconsts)
    cc_b, bc_b = tuple(cc_b), tuple(bc_b)
    carry_b = sj.fixpoint(
        lambda m: sj.batch_jaxpr(body_jaxpr, axis_size, bc_b + m, m)[1], carry_b)
    pred_b = sj.batch_jaxpr(cond_jaxpr, axis_size, cc_b + carry_b, (False,))[1][0]
    if pred_b:
        carry_b = (True,) * len(carry_b)
    cond, body, nconsts = _batched_while_jaxprs(cond_jaxpr, body_jaxpr, axis_size, cc_b, bc_b,
                                                carry_b, pred_b)
    cconsts, bconsts, init = _while_parts(vals, cond_nconsts, body_nconsts)
    init = [batching.move_to(x, None, 0, axis_size) if b and d is None else x
            for x, b, d in zip(init, carry_b, _while_parts(dims, cond_nconsts,
                                                           body_nconsts)[2])]
    body_consts = cconsts + bconsts if pred_b else bconsts
    outs = while_p.bind(*cconsts, *body_consts, *init, cond_jaxpr=cond, body_jaxpr=body,
                        cond_nconsts=cond_nconsts, body_nconsts=nconsts, **_max(max_steps))
    return outs, [0 if b else None for b in carry_b]


@sj.cached
def _batched_while_jaxprs(cond_jaxpr, body_jaxpr, axis_size, cc_b, bc_b, carry_b, pred_b):
    bcond = sj.batch_jaxpr(cond_jaxpr, axis_size, cc_b + carry_b, (False,))[0]
    bbody = sj.batch_jaxpr(body_jaxpr, axis_size, bc_b + carry_b, carry_b)[0]
    if not pred_b:
        return bcond, bbody, len(bc_b)
    # A batched predicate: loop while any element's holds; an element whose
    # predicate is false keeps its carry (frozen) while the others go on.
    cn = len(cc_b)

    def any_cond(*args):
        pred = sj.run(bcond, *args)[0]
        return [ne(reduce_max(convert_element_type(pred, np.int32), (0,)), np.int32(0))]

    def frozen_body(*args):
        cconsts, bconsts, carry = args[:cn], args[cn:cn + len(bc_b)], args[cn + len(bc_b):]
        pred = sj.run(bcond, *cconsts, *carry)[0]
        new = sj.run(bbody, *bconsts, *carry)
        out = []
        for old, x in zip(carry, new):
            shape = core.get_aval(x).shape
            which = broadcast_in_dim(pred, shape, (0,)) if len(shape) > 1 else pred
            out.append(select_n(which, old, x))
        return out
    cond = pe.trace_flat(any_cond, bcond.in_avals)
    body = pe.trace_flat(frozen_body, bcond.in_avals[:cn] + bbody.in_avals)
    return cond, body, cn + len(bc_b)


batching.batch_rules[while_p] = _while_batch


def _while_dce(eqn, used):
    p = eqn.params
    cond_jaxpr, body_jaxpr = p["cond_jaxpr"], p["body_jaxpr"]
    cn, bn = p["cond_nconsts"], p["body_nconsts"]
    nk = len(eqn.outvars)
    # A carry stays if it is used, read by the predicate, or needed by one that stays.
    read_by_cond = sj.dce_jaxpr(cond_jaxpr, (True,), (False,) * (cn + nk))[1][cn:]
    keep = sj.fixpoint(lambda m: sj.dce_jaxpr(body_jaxpr, m, (False,) * (bn + nk))[1][bn:],
                       tuple(u or r for u, r in zip(used, read_by_cond)))
    cond, c_used = sj.dce_jaxpr(cond_jaxpr, (True,), (False,) * cn + keep)
    body, b_used = sj.dce_jaxpr(body_jaxpr, keep, (False,) * bn + keep)
    cconsts, bconsts, carry = _while_parts(eqn.inputs, cn, bn)
    inputs = ([a for a, u in zip(cconsts, c_used) if u] + [a for a, u in zip(bconsts, b_used) if u]
              + [a for a, k in zip(carry, keep) if k])
    return eqn.replace(inputs=inputs, outvars=[v for v, k in zip(eqn.outvars, keep) if k],
                       params=dict(p, cond_jaxpr=cond, body_jaxpr=body,
                                   cond_nconsts=sum(c_used[:cn]), body_nconsts=sum(b_used[:bn])))


ir.dce_rules[while_p] = _while_dce


# ------------------------------------------------------------ public API

def while_loop(cond_fun, body_fun, init_val, *, max_steps=None):
    """``while cond_fun(val): val = body_fun(val)``; returns ``val``.

    Both functions are traced once. ``max_steps`` (jaxlite's extension) stops
    the loop after that many iterations even if ``cond_fun`` still holds; with
    it, the loop can be reverse-differentiated when its predicate depends on
    traced values (it is then run as ``max_steps`` guarded iterations)."""
    if not (callable(cond_fun) and callable(body_fun)):
        raise TypeError("while_loop: cond_fun and body_fun must be callable")
    if max_steps is not None:
        if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) \
                or max_steps < 0:
            raise TypeError(f"while_loop: max_steps must be None or a non-negative int, "
                            f"got {max_steps!r}")
        max_steps = int(max_steps)
    body, bconsts, init, carry_tree, _ = trace_loop(
        body_fun, init_val, [], "while_loop body",
        lambda f, carry, _: (f(carry), None))
    avals = [core.get_aval(x) for x in init]
    cond_box = {}

    def flat_cond(*leaves):
        out = cond_fun(tree_util.tree_unflatten(carry_tree, leaves))
        cond_box["out"] = out
        return tree_util.tree_leaves(out)
    cond, cconsts = sj.trace_closing_consts(flat_cond, avals)
    out = cond.out_avals
    if len(out) != 1 or out[0].shape != () or out[0].dtype != np.bool_:
        raise TypeError(f"cond_fun must return a boolean scalar, but got output type(s) "
                        f"{types_text(out)}" + core.where_message())
    outs = while_p.bind(*cconsts, *bconsts, *init, cond_jaxpr=cond, body_jaxpr=body,
                        cond_nconsts=len(cconsts), body_nconsts=len(bconsts),
                        **_max(max_steps))
    return tree_util.tree_unflatten(carry_tree, outs)


def _concrete_int(x):
    """``x`` as a Python int when it is a concrete integer, else None."""
    return None if isinstance(x, core.Tracer) else int(np.asarray(x))


def fori_loop(lower, upper, body_fun, init_val, *, unroll=None):
    """``for i in range(lower, upper): val = body_fun(i, val)``; returns ``val``.

    With concrete bounds this is a ``scan`` (reverse-differentiable); with
    traced ones a ``while``. ``body_fun`` is traced once."""
    for b in (lower, upper):
        aval = core.get_aval(b)
        if aval.shape != () or aval.dtype.kind not in "iu":
            raise TypeError(f"fori_loop bounds must be integer scalars, got {aval}"
                            + core.where_message())
    lo, hi = _concrete_int(lower), _concrete_int(upper)
    dtype, weak = dtypes.result_type(*((core.get_aval(b).dtype, core.get_aval(b).weak_type)
                                       for b in (lower, upper)))
    i0 = _as_counter(lower, dtype, weak)
    if lo is not None and hi is not None:
        def step(carry, _):
            i, x = carry
            return (add(i, np.ones((), dtype) if not weak else 1), body_fun(i, x)), None
        (_, out), _ = scan(step, (i0, init_val), None, length=max(hi - lo, 0),
                           unroll=1 if unroll is None else unroll)
        return out
    if unroll not in (None, 1):
        raise ValueError("fori_loop: unroll needs static (concrete) bounds")
    hi = _as_counter(upper, dtype, weak)
    _, _, out = while_loop(lambda c: lt(c[0], c[1]),
                           lambda c: (add(c[0], np.ones((), dtype) if not weak else 1), c[1],
                                      body_fun(c[0], c[2])),
                           (i0, hi, init_val))
    return out


def _as_counter(b, dtype, weak):
    """A loop bound as the counter's type (a Python int stays one: weakly typed)."""
    if weak and core.is_python_scalar(b):
        return b
    return convert_element_type(b, dtype, weak_type=weak)
