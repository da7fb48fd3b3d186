"""while and scan: loop primitives whose bodies are jaxprs traced once.

``while_p`` takes ``(*cond_consts, *body_consts, *init_carry)`` with params
``cond_jaxpr`` (consts, carry) -> bool[] and ``body_jaxpr`` (consts, carry) ->
carry, ``cond_nconsts``, ``body_nconsts``, and ``max_steps`` (None, or a
bound on the number of iterations: jaxlite's extension, which makes a loop
with a traced predicate reverse-differentiable).

``scan_p`` takes ``(*consts, *init_carry, *xs)`` with params ``jaxpr``
(consts, carry, x slices) -> (carry, y slices), ``length``, ``reverse``,
``num_consts``, ``num_carry``, ``linear`` and ``unroll``; the ys come out
stacked along a new leading axis.
"""
import numpy as np

from jaxlite import core, dtypes, ir, tree_util
from jaxlite.core import Primitive
from jaxlite.interpreters import ad, batching, partial_eval as pe
from jaxlite.interpreters.ad import Zero, UndefPrimal
from jaxlite.ir import ClosedJaxpr, Jaxpr
from jaxlite.lax import jaxpr_transforms as sj
from jaxlite.lax._cond import cond_p
from jaxlite.lax.elementwise import add, convert_element_type, lt, ne, select_n
from jaxlite.lax.reductions import reduce_max
from jaxlite.lax.structural import broadcast_in_dim, concatenate, full, reshape

__all__ = ["while_p", "scan_p", "while_loop", "fori_loop", "scan", "map"]

while_p = Primitive("while", multiple_results=True, kind=core.HIGHER_ORDER)
scan_p = Primitive("scan", multiple_results=True, kind=core.HIGHER_ORDER)


def _same_type(a, b):
    return a.shape == b.shape and a.dtype == b.dtype


def _join_weak(a, b):
    return a.update(weak_type=a.weak_type and b.weak_type)


def _types(avals):
    return "(" + ", ".join((str(a) for a in avals)) + ")"


# ================================================================== while

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
    _check_ins("while cond_jaxpr", cond_jaxpr, list(cconsts) + list(carry))
    _check_ins("while body_jaxpr", body_jaxpr, list(bconsts) + list(carry))
    out = cond_jaxpr.out_avals
    if len(out) != 1 or out[0].shape != () or out[0].dtype != np.bool_:
        raise TypeError(f"while cond_jaxpr must return a boolean scalar, got {_types(out)}")
    _check_carry("while body", carry, body_jaxpr.out_avals)
    return [_join_weak(a, b) for a, b in zip(carry, body_jaxpr.out_avals)]


def _check_ins(what, closed, avals):
    if len(closed.in_avals) != len(avals) or not all(
            _same_type(a, b) for a, b in zip(closed.in_avals, avals)):
        raise TypeError(f"{what} takes {_types(closed.in_avals)}, called with {_types(avals)}")


def _check_carry(what, carry_in, carry_out, tree=None):
    if len(carry_in) != len(carry_out):
        raise TypeError(f"{what} must return {len(carry_in)} carries, got {len(carry_out)}")
    for i, (a, b) in enumerate(zip(carry_in, carry_out)):
        if not _same_type(a, b):
            where = f"carry leaf {i}" + ("" if tree is None else f" of {tree}")
            raise TypeError(f"{what} function carry input and carry output must have equal "
                            f"types, but {where} has type {a} as input and {b} as output")


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


# =================================================================== scan

def _scan_parts(args, num_consts, num_carry):
    return (list(args[:num_consts]), list(args[num_consts:num_consts + num_carry]),
            list(args[num_consts + num_carry:]))


def _scan_impl(*args, jaxpr, length, reverse, num_consts, num_carry, linear, unroll):
    consts, carry, xs = _scan_parts(args, num_consts, num_carry)
    y_avals = jaxpr.out_avals[num_carry:]
    ys = [np.empty((length,) + a.shape, a.dtype) for a in y_avals]
    for i in (range(length - 1, -1, -1) if reverse else range(length)):
        out = sj.run(jaxpr, *consts, *carry, *(x[i] for x in xs))
        carry = out[:num_carry]
        for y, v in zip(ys, out[num_carry:]):
            y[i] = v
    return [np.asarray(c, a.dtype) for c, a in zip(carry, jaxpr.out_avals)] + ys


def _scan_abstract_eval(*avals, jaxpr, length, reverse, num_consts, num_carry, linear,
                        unroll):
    consts, carry, xs = _scan_parts(avals, num_consts, num_carry)
    for x in xs:
        if x.ndim == 0 or x.shape[0] != length:
            raise ValueError(f"scan of length {length} got an xs operand of type {x}")
    _check_ins("scan jaxpr", jaxpr, consts + carry + [x.update(shape=x.shape[1:]) for x in xs])
    if len(linear) != len(avals):
        raise TypeError(f"scan: linear has {len(linear)} entries for {len(avals)} operands")
    out = jaxpr.out_avals
    _check_carry("scan body", carry, out[:num_carry])
    return ([_join_weak(a, b) for a, b in zip(carry, out[:num_carry])]
            + [y.update(shape=(length,) + y.shape) for y in out[num_carry:]])


core.impl_rules[scan_p] = _scan_impl
core.abstract_eval_rules[scan_p] = _scan_abstract_eval


def _scan_jvp(primals, tangents, jaxpr, length, reverse, num_consts, num_carry, linear,
              unroll):
    nz = tuple(type(t) is not Zero and ad.differentiable(core.get_aval(p))
               for p, t in zip(primals, tangents))
    c_nz, carry_nz, x_nz = (tuple(g) for g in _scan_parts(nz, num_consts, num_carry))
    n_ys = len(jaxpr.out_avals) - num_carry
    carry_nz = sj.fixpoint(lambda m: sj.jvp_jaxpr(jaxpr, c_nz + m + x_nz,
                                                  m + (False,) * n_ys)[1][:num_carry], carry_nz)
    new, out_nz = _scan_jvp_jaxpr(jaxpr, num_consts, num_carry, c_nz + carry_nz + x_nz)
    consts, init, xs = _scan_parts(primals, num_consts, num_carry)
    ct, it, xt = _scan_parts(tangents, num_consts, num_carry)
    ct = [t for t, n in zip(ct, c_nz) if n]
    it = [ad.instantiate(t) for t, n in zip(it, carry_nz) if n]
    xt = [t for t, n in zip(xt, x_nz) if n]
    args = consts + ct + init + it + xs + xt
    lin = _scan_parts(linear, num_consts, num_carry)
    new_linear = (lin[0] + [True] * len(ct) + lin[1] + [True] * len(it) + lin[2]
                  + [True] * len(xt))
    outs = scan_p.bind(*sj.coerce(args, _stacked_in_avals(new, len(consts) + len(ct),
                                                           len(init) + len(it), length)),
                       jaxpr=new, length=length, reverse=reverse,
                       num_consts=len(consts) + len(ct), num_carry=len(init) + len(it),
                       linear=tuple(new_linear), unroll=unroll)
    carry, carry_t = outs[:num_carry], iter(outs[num_carry:num_carry + len(it)])
    rest = outs[num_carry + len(it):]
    ys, ys_t = rest[:n_ys], iter(rest[n_ys:])
    p_out = carry + ys
    t_out = [next(carry_t) if n else Zero(core.get_aval(p)) for n, p in zip(carry_nz, carry)]
    t_out += [next(ys_t) if n else Zero(core.get_aval(p)) for n, p in zip(out_nz, ys)]
    return p_out, t_out


def _stacked_in_avals(jaxpr, num_consts, num_carry, length):
    """The operand avals of a scan of ``jaxpr`` (xs with the scanned axis)."""
    avals = jaxpr.in_avals
    return avals[:num_consts + num_carry] + [
        a.update(shape=(length,) + a.shape) for a in avals[num_consts + num_carry:]]


@sj.cached
def _scan_jvp_jaxpr(jaxpr, num_consts, num_carry, nonzero):
    """The jvp body with operands (consts, const tangents, carry, carry
    tangents, xs, x tangents) and outputs (carry, carry tangents, ys, y tangents)."""
    n_ys = len(jaxpr.out_avals) - num_carry
    carry_nz = nonzero[num_consts:num_consts + num_carry]
    jvp, out_nz = sj.jvp_jaxpr(jaxpr, nonzero, carry_nz + (False,) * n_ys)
    groups_in = _scan_parts(range(len(nonzero)), num_consts, num_carry)
    t_pos = iter(range(len(nonzero), len(nonzero) + sum(nonzero)))
    t_in = [[next(t_pos) for n in g if nonzero[n]] for g in groups_in]
    ins = [i for g, t in zip(groups_in, t_in) for i in list(g) + t]
    n_out = num_carry + n_ys
    t_pos = iter(range(n_out, n_out + sum(out_nz)))
    t_carry = [next(t_pos) for n in out_nz[:num_carry] if n]
    t_ys = [next(t_pos) for n in out_nz[num_carry:] if n]
    outs = (list(range(num_carry)) + t_carry + list(range(num_carry, n_out)) + t_ys)
    return sj.reorder(jvp, tuple(ins), tuple(outs)), out_nz[num_carry:]


ad.jvp_rules[scan_p] = _scan_jvp


def _scan_partial_eval(stager, args, params):
    jaxpr, length = params["jaxpr"], params["length"]
    nc, nk = params["num_consts"], params["num_carry"]
    n_ys = len(jaxpr.out_avals) - nk
    c_uk, carry_uk, x_uk = (tuple(stager.owns(a) for a in g) for g in _scan_parts(args, nc, nk))
    carry_uk = sj.fixpoint(lambda m: sj.partial_eval_jaxpr(
        jaxpr, c_uk + m + x_uk, m + (False,) * n_ys)[2][:nk], carry_uk)
    unknown = c_uk + carry_uk + x_uk
    plan = _scan_split(jaxpr, nc, nk, unknown)
    consts, init, xs = _scan_parts(args, nc, nk)
    kc = [x for x, u in zip(consts, c_uk) if not u]
    ki = [x for x, u in zip(init, carry_uk) if not u]
    kx = [x for x, u in zip(xs, x_uk) if not u]
    # Residuals that depend only on the known consts are computed once, here.
    with core.set_interpreter(stager.parent):
        invariant = sj.run(plan.hoisted, *kc)
    lin = params["linear"]
    known_outs = core.bind_with(
        stager.parent, scan_p, *sj.coerce(kc + ki + kx, _stacked_in_avals(
            plan.known, len(kc), len(ki), length)),
        jaxpr=plan.known, length=length, reverse=params["reverse"], num_consts=len(kc),
        num_carry=len(ki), linear=tuple(l for l, u in zip(lin, unknown) if not u),
        unroll=params["unroll"])
    n_kc = len(ki)
    n_ky = len(known_outs) - n_kc - plan.num_stacked
    stacked = known_outs[n_kc + n_ky:]
    forwarded = [kx[i] for i in plan.forwarded]
    uc = [x for x, u in zip(consts, c_uk) if u]
    ui = [x for x, u in zip(init, carry_uk) if u]
    ux = [x for x, u in zip(xs, x_uk) if u]
    n_uconsts = len(invariant) + len(uc)
    u_args = sj.coerce(invariant + uc + ui + stacked + forwarded + ux,
                       _stacked_in_avals(plan.unknown, n_uconsts, len(ui), length))
    u_lin = ((False,) * len(invariant) + tuple(l for l, u in zip(lin[:nc], c_uk) if u)
             + tuple(l for l, u in zip(lin[nc:nc + nk], carry_uk) if u)
             + (False,) * (len(stacked) + len(forwarded))
             + tuple(l for l, u in zip(lin[nc + nk:], x_uk) if u))
    uk_outs = stager.stage(scan_p, u_args, dict(
        params, jaxpr=plan.unknown, num_consts=n_uconsts, num_carry=len(ui),
        linear=u_lin))
    k_carry, k_ys = iter(known_outs[:n_kc]), iter(known_outs[n_kc:n_kc + n_ky])
    u_carry, u_ys = iter(uk_outs[:len(ui)]), iter(uk_outs[len(ui):])
    out_uk = plan.out_unknown
    return ([next(u_carry) if u else next(k_carry) for u in out_uk[:nk]]
            + [next(u_ys) if u else next(k_ys) for u in out_uk[nk:]])


class _ScanSplit:
    """How a scan splits: ``known`` body (known consts, carry, xs -> known
    carry, known ys, stacked residuals), ``hoisted`` (known consts -> loop-
    invariant residuals), ``forwarded`` (indices of known xs that are
    residuals as they are), ``unknown`` body (invariant residuals, unknown
    consts, unknown carry, stacked then forwarded residual slices, unknown xs)."""

    def __init__(self, known, hoisted, unknown, forwarded, num_stacked, out_unknown):
        self.known, self.hoisted, self.unknown = known, hoisted, unknown
        self.forwarded, self.num_stacked, self.out_unknown = forwarded, num_stacked, out_unknown


@sj.cached
def _scan_split(jaxpr, nc, nk, unknown):
    n_ys = len(jaxpr.out_avals) - nk
    carry_uk = unknown[nc:nc + nk]
    known, uk_jaxpr, out_uk, nres = sj.partial_eval_jaxpr(jaxpr, unknown,
                                                          carry_uk + (False,) * n_ys)
    kj = known.jaxpr
    n_kc = sum(not u for u in unknown[:nc])
    n_kk = sum(not u for u in carry_uk)
    n_out = len(kj.outvars) - nres
    res_vars = kj.outvars[n_out:]
    invariant = sj.loop_invariant_outputs(kj, n_kc)[n_out:]
    kx_vars = kj.invars[n_kc + n_kk:]
    kind = []                      # per residual: "inv", ("fwd", i) or "stack"
    for v, inv in zip(res_vars, invariant):
        if inv:
            kind.append("inv")
        elif v in kx_vars:
            kind.append(("fwd", kx_vars.index(v)))
        else:
            kind.append("stack")
    hoisted = sj.dce_outputs(ClosedJaxpr(Jaxpr(kj.constvars, kj.invars[:n_kc], kj.eqns,
                                               res_vars), known.consts),
                             [k == "inv" for k in kind])
    known_loop = sj.dce_outputs(known, [True] * n_out + [k == "stack" for k in kind])
    # The unknown body's invars: residuals first (in ``kind`` order), then its own.
    uj = uk_jaxpr.jaxpr
    res_in, own_in = uj.invars[:nres], uj.invars[nres:]
    n_uc = sum(unknown[:nc])
    n_uk = sum(carry_uk)
    pick = lambda pred: [v for v, k in zip(res_in, kind) if pred(k)]
    invars = (pick(lambda k: k == "inv") + own_in[:n_uc + n_uk] + pick(lambda k: k == "stack")
              + pick(lambda k: isinstance(k, tuple)) + own_in[n_uc + n_uk:])
    unknown_body = ClosedJaxpr(Jaxpr(uj.constvars, invars, uj.eqns, uj.outvars),
                               uk_jaxpr.consts)
    forwarded = tuple(k[1] for k in kind if isinstance(k, tuple))
    return _ScanSplit(known_loop, hoisted, unknown_body, forwarded,
                      sum(k == "stack" for k in kind), out_uk)


pe.partial_eval_rules[scan_p] = _scan_partial_eval


def _scan_transpose(cts, *args, jaxpr, length, reverse, num_consts, num_carry, linear,
                    unroll):
    consts, init, xs = _scan_parts(args, num_consts, num_carry)
    c_lin = tuple(type(c) is UndefPrimal for c in consts)
    x_lin = tuple(type(x) is UndefPrimal for x in xs)
    ct_carry, ct_ys = cts[:num_carry], cts[num_carry:]
    ys_nz = tuple(type(c) is not Zero for c in ct_ys)
    body = _transpose_body(jaxpr, num_consts, num_carry, c_lin, x_lin, ys_nz)
    res_c = [c for c, l in zip(consts, c_lin) if not l]
    acc = [full(c.aval.shape, 0, c.aval.dtype) for c, l in zip(consts, c_lin) if l]
    carry = [ad.instantiate(c) for c in ct_carry]
    res_x = [x for x, l in zip(xs, x_lin) if not l]
    t_args = res_c + acc + carry + res_x + [c for c in ct_ys if type(c) is not Zero]
    n_carry = len(acc) + num_carry
    outs = scan_p.bind(*sj.coerce(t_args, _stacked_in_avals(body, len(res_c), n_carry,
                                                             length)),
                       jaxpr=body, length=length, reverse=not reverse,
                       num_consts=len(res_c), num_carry=n_carry,
                       linear=(False,) * len(res_c) + (True,) * n_carry
                       + (False,) * len(res_x) + (True,) * sum(ys_nz), unroll=unroll)
    ct_consts, ct_init, ct_xs = iter(outs[:len(acc)]), outs[len(acc):n_carry], iter(
        outs[n_carry:])
    return ([next(ct_consts) if l else None for l in c_lin]
            + [c if type(x) is UndefPrimal else None for c, x in zip(ct_init, init)]
            + [next(ct_xs) if l else None for l in x_lin])


@sj.cached
def _transpose_body(jaxpr, nc, nk, c_lin, x_lin, ys_nz):
    """(residual consts, const cotangent sums, carry cotangents, residual x
    slices, y cotangents) -> (const cotangent sums, carry cotangents, x
    cotangents): one step of the transposed loop. Carries are linear."""
    c_avals, k_avals, x_avals = _scan_parts(jaxpr.in_avals, nc, nk)
    y_avals = jaxpr.out_avals[nk:]
    res_c = [a for a, l in zip(c_avals, c_lin) if not l]
    lin_c = [a for a, l in zip(c_avals, c_lin) if l]
    res_x = [a for a, l in zip(x_avals, x_lin) if not l]
    ys = [a for a, n in zip(y_avals, ys_nz) if n]

    def step(*args):
        it = iter(args)
        take = lambda avals: [next(it) for _ in avals]
        rc, acc, ck, rx, cy = take(res_c), take(lin_c), take(k_avals), take(res_x), take(ys)
        rc, rx, cy = iter(rc), iter(rx), iter(cy)
        primals = ([UndefPrimal(a) if l else next(rc) for a, l in zip(c_avals, c_lin)]
                   + [UndefPrimal(a) for a in k_avals]
                   + [UndefPrimal(a) if l else next(rx) for a, l in zip(x_avals, x_lin)])
        cts_out = ck + [next(cy) if n else Zero(a) for a, n in zip(y_avals, ys_nz)]
        cts = ad.backward_pass(jaxpr.jaxpr, jaxpr.consts, primals, cts_out)
        ct_c, ct_k, ct_x = _scan_parts(cts, nc, nk)
        ct_c = [c for c, l in zip(ct_c, c_lin) if l]
        return ([ad.instantiate(ad.add_tangents(a, c)) for a, c in zip(acc, ct_c)]
                + [ad.instantiate(c) for c in ct_k]
                + [ad.instantiate(c) for c, l in zip(ct_x, x_lin) if l])
    return pe.trace_flat(step, res_c + lin_c + k_avals + res_x + ys)


ad.transpose_rules[scan_p] = _scan_transpose


def _scan_batch(axis_size, vals, dims, jaxpr, length, reverse, num_consts, num_carry,
                linear, unroll):
    c_b, carry_b, x_b = (tuple(d is not None for d in g)
                         for g in _scan_parts(dims, num_consts, num_carry))
    n_ys = len(jaxpr.out_avals) - num_carry
    carry_b = sj.fixpoint(lambda m: sj.batch_jaxpr(
        jaxpr, axis_size, c_b + m + x_b, m + (False,) * n_ys)[1][:num_carry], carry_b)
    body, out_b = sj.batch_jaxpr(jaxpr, axis_size, c_b + carry_b + x_b,
                                 carry_b + (False,) * n_ys)
    consts, init, xs = _scan_parts(vals, num_consts, num_carry)
    cd, kd, xd = _scan_parts(dims, num_consts, num_carry)
    consts = [batching.moveaxis(c, d, 0) if d is not None else c for c, d in zip(consts, cd)]
    init = [batching.move_to(c, d, 0, axis_size) if b else c
            for c, d, b in zip(init, kd, carry_b)]
    # The body sees a slice of xs, so a batched x has its batch axis second.
    xs = [batching.moveaxis(x, d, 1) if d is not None else x for x, d in zip(xs, xd)]
    outs = scan_p.bind(*consts, *init, *xs, jaxpr=body, length=length, reverse=reverse,
                       num_consts=num_consts, num_carry=num_carry, linear=linear,
                       unroll=unroll)
    return outs, ([0 if b else None for b in out_b[:num_carry]]
                  + [1 if b else None for b in out_b[num_carry:]])


batching.batch_rules[scan_p] = _scan_batch


def _scan_dce(eqn, used):
    p = eqn.params
    jaxpr, nc, nk = p["jaxpr"], p["num_consts"], p["num_carry"]
    nx = len(eqn.inputs) - nc - nk
    used_ys = tuple(used[nk:])
    keep = sj.fixpoint(lambda m: sj.dce_jaxpr(jaxpr, m + used_ys,
                                              (False,) * (nc + nk + nx))[1][nc:nc + nk],
                       tuple(used[:nk]))
    body, used_in = sj.dce_jaxpr(jaxpr, keep + used_ys, (False,) * nc + keep + (False,) * nx)
    return eqn.replace(
        inputs=[a for a, u in zip(eqn.inputs, used_in) if u],
        outvars=[v for v, u in zip(eqn.outvars, keep + used_ys) if u],
        params=dict(p, jaxpr=body, num_consts=sum(used_in[:nc]), num_carry=sum(keep),
                    linear=tuple(l for l, u in zip(p["linear"], used_in) if u)))


ir.dce_rules[scan_p] = _scan_dce


# ============================================================= public API

def _trace_body(fun, carry_avals, extra_avals, what, carry_tree, split_out):
    """Trace ``fun`` once over (carry, extra) leaves; ``split_out(out)`` gives
    (carry pytree, rest). Returns ``(closed, consts, rest_tree)``."""
    box = {}
    n_carry = len(carry_avals)

    def flat_fun(*leaves):
        carry = tree_util.tree_unflatten(carry_tree, leaves[:n_carry])
        out_carry, rest = split_out(fun, carry, leaves[n_carry:])
        c_leaves, c_tree = tree_util.tree_flatten(out_carry)
        if c_tree != carry_tree:
            raise TypeError(f"{what} function carry input and carry output must have the "
                            f"same pytree structure, but they differ: the input carry is "
                            f"{carry_tree} and the output carry is {c_tree}")
        r_leaves, box["rest"] = tree_util.tree_flatten(rest)
        return c_leaves + r_leaves
    closed, consts = sj.trace_closing_consts(flat_fun, list(carry_avals) + list(extra_avals))
    return closed, consts, box["rest"]


def _promote_weak_carry(init, carry_avals, out_avals):
    """A weakly typed initial carry (a Python scalar) whose body output has
    another dtype takes the output's dtype, as in JAX; None if none does."""
    changed = False
    new = list(init)
    for i, (a, b) in enumerate(zip(carry_avals, out_avals)):
        if a.weak_type and a.shape == b.shape and a.dtype != b.dtype:
            new[i] = convert_element_type(init[i], b.dtype, weak_type=b.weak_type)
            changed = True
    return new if changed else None


def _trace_loop(fun, init, extra_avals, what, split_out):
    """Trace a loop body (retracing once if a weak initial carry must be
    promoted) and check its carry types. Returns ``(closed, consts, init
    leaves, carry tree, rest tree)``."""
    init_leaves, carry_tree = tree_util.tree_flatten(init)
    avals = [core.get_aval(x) for x in init_leaves]
    closed, consts, rest = _trace_body(fun, avals, extra_avals, what, carry_tree,
                                       split_out)
    promoted = _promote_weak_carry(init_leaves, avals, closed.out_avals[:len(avals)])
    if promoted is not None:
        init_leaves = promoted
        avals = [core.get_aval(x) for x in init_leaves]
        closed, consts, rest = _trace_body(fun, avals, extra_avals, what, carry_tree,
                                           split_out)
    _check_carry(what, avals, closed.out_avals[:len(avals)], carry_tree)
    return closed, consts, init_leaves, carry_tree, rest


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
    body, bconsts, init, carry_tree, _ = _trace_loop(
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
                        f"{_types(out)}" + core.where_message())
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


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns
    ``(carry, stacked ys)``. ``f`` is traced once."""
    if not callable(f):
        raise TypeError(f"scan: f must be callable, got {f!r}")
    xs_leaves, xs_tree = tree_util.tree_flatten(xs)
    length = _scan_length(xs_leaves, length)
    if isinstance(unroll, bool):
        unroll = max(length, 1) if unroll else 1
    if not isinstance(unroll, (int, np.integer)) or unroll < 1:
        raise TypeError(f"scan: unroll must be a positive int or a bool, got {unroll!r}")
    x_avals = [core.get_aval(x) for x in xs_leaves]
    x_avals = [a.update(shape=a.shape[1:]) for a in x_avals]

    def split_out(fun, carry, x_leaves):
        out = fun(carry, tree_util.tree_unflatten(xs_tree, x_leaves))
        if not isinstance(out, tuple) or len(out) != 2:
            raise TypeError(f"scan body output must be a pair (carry, y), got "
                            f"{type(out).__name__}")
        return out
    body, consts, init_leaves, carry_tree, ys_tree = _trace_loop(
        f, init, x_avals, "scan body", split_out)
    nc, nk = len(consts), len(init_leaves)
    outs = scan_p.bind(*consts, *init_leaves, *xs_leaves, jaxpr=body, length=length,
                       reverse=bool(reverse), num_consts=nc, num_carry=nk,
                       linear=(False,) * (nc + nk + len(xs_leaves)), unroll=int(unroll))
    return (tree_util.tree_unflatten(carry_tree, outs[:nk]),
            tree_util.tree_unflatten(ys_tree, outs[nk:]))


def _scan_length(xs_leaves, length):
    lengths = []
    for x in xs_leaves:
        shape = core.get_aval(x).shape
        if not shape:
            raise ValueError(f"scan got a value with no leading axis to scan over: an "
                             f"array of shape {shape}")
        lengths.append(shape[0])
    if length is not None:
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
            raise TypeError(f"scan: length must be an int, got {length!r}")
        length = int(length)
        if length < 0:
            raise ValueError(f"scan: length must be non-negative, got {length}")
        if any(n != length for n in lengths):
            raise ValueError(f"scan got `length` argument of {length} which disagrees with "
                             f"leading axis sizes {lengths}")
        return length
    if not lengths:
        raise ValueError("scan got no values to scan over and `length` not provided")
    if len(set(lengths)) > 1:
        raise ValueError(f"scan got values with different leading axis sizes: "
                         f"{', '.join((str(n) for n in lengths))}")
    return lengths[0]


def map(f, xs, *, batch_size=None):
    """``stack([f(x) for x in xs])`` over the leading axis, as one ``scan``.
    With ``batch_size``, each trip applies ``f`` vmapped to that many
    elements (a remainder is mapped after the loop), as in JAX."""
    if batch_size is None:
        return scan(lambda _, x: ((), f(x)), (), xs)[1]
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise TypeError(f"map: batch_size must be a positive int, got {batch_size!r}")
    leaves, tree = tree_util.tree_flatten(xs)
    n = _scan_length(leaves, None)
    full = n - n % batch_size
    chunks = [reshape(x[:full], (full // batch_size, batch_size) + x.shape[1:])
              for x in leaves]
    ys = scan(lambda _, c: ((), _vmapped(f, tree, c, batch_size)), (), chunks)[1]
    ys_leaves, ys_tree = tree_util.tree_flatten(ys)
    out = [reshape(y, (full,) + y.shape[2:]) for y in ys_leaves]
    if full < n:
        rest = tree_util.tree_leaves(_vmapped(f, tree, [x[full:] for x in leaves], n - full))
        out = [concatenate([y, r], 0) for y, r in zip(out, rest)]
    return tree_util.tree_unflatten(ys_tree, out)


def _vmapped(f, tree, leaves, size):
    """``f`` applied to each of ``size`` elements of a pytree's leaves."""
    box = {}

    def flat_f(*xs):
        out, box["tree"] = tree_util.tree_flatten(f(tree_util.tree_unflatten(tree, xs)))
        return out
    outs, dims = batching.vmap_flat(flat_f, size, list(leaves), [0] * len(leaves))
    return tree_util.tree_unflatten(box["tree"], [batching.move_to(o, d, 0, size)
                                                  for o, d in zip(outs, dims)])
