"""scan: a loop primitive over the leading axis of its xs, body traced once.

``scan_p`` takes ``(*consts, *init_carry, *xs)`` with params ``jaxpr``
(consts, carry, x slices) -> (carry, y slices), ``length``, ``reverse``,
``num_consts``, ``num_carry``, ``linear`` and ``unroll``; the ys come out
stacked along a new leading axis. Under linearize the known scan returns the
residuals the tangent scan needs, stacked per iteration (loop-invariant ones
are computed once, before the loop); its transpose runs in reverse.
"""
import numpy as np

from jaxlite import core, ir, tree_util
from jaxlite.core import Primitive
from jaxlite.interpreters import ad, batching, partial_eval as pe
from jaxlite.interpreters.ad import Zero, UndefPrimal
from jaxlite.ir import ClosedJaxpr, Jaxpr
from jaxlite.lax import jaxpr_transforms as sj
from jaxlite.lax._loop_bodies import check_carry, check_ins, join_weak, trace_loop
from jaxlite.lax.structural import concatenate, full, reshape

__all__ = ["scan_p", "scan", "map"]

scan_p = Primitive("scan", multiple_results=True, kind=core.HIGHER_ORDER)


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
    check_ins("scan jaxpr", jaxpr, consts + carry + [x.update(shape=x.shape[1:]) for x in xs])
    if len(linear) != len(avals):
        raise TypeError(f"scan: linear has {len(linear)} entries for {len(avals)} operands")
    out = jaxpr.out_avals
    check_carry("scan body", carry, out[:num_carry])
    return ([join_weak(a, b) for a, b in zip(carry, out[:num_carry])]
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
    # Only the invariant residuals' computation moves before the loop; effects
    # (debug callbacks) stay in the known loop, once per trip.
    hoisted = sj.dce_outputs(ClosedJaxpr(Jaxpr(kj.constvars, kj.invars[:n_kc], kj.eqns,
                                               res_vars), known.consts),
                             [k == "inv" for k in kind], keep_effects=False)
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


# ------------------------------------------------------------ public API

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
    body, consts, init_leaves, carry_tree, ys_tree = trace_loop(
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
