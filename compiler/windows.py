"""Window kernels: reduce_window_sum/max/min, select_and_gather_add (max
pooling's jvp) and select_and_scatter_add (its gradient).

Each is a loop nest over output elements with an inner loop nest over the
window. The operand is read through ``em.value``, so its elementwise
producers (a ReLU before a max pool, say) are computed inside the pooling
loop instead of being written to memory first. Positions in padding or in a
base-dilation hole take no part (the select of a clamped, always-in-bounds
load), so loop bodies stay branch-free.
"""
import numpy as np
from llvmlite import ir

from jaxlite.compiler import loops
from jaxlite.compiler.emitter import clamp
from jaxlite.compiler.lltypes import I1, I64, const, i64, identity, lltype
from jaxlite.compiler.registry import kernel_rule


def _geometry(node):
    p = node.params
    return (p["window_dimensions"], p["window_strides"], p["padding"], p["base_dilation"],
            p["window_dilation"])


def _position(b, x_shape, geo, oidx, widx):
    """(index into the operand, valid i1) of window element ``widx`` of output ``oidx``."""
    dims, strides, padding, bdil, wdil = geo
    idx, valid = [], ir.Constant(I1, 1)
    for d, n in enumerate(x_shape):
        pos = b.add(b.mul(oidx[d], i64(strides[d])), b.mul(widx[d], i64(wdil[d])))
        pos = b.sub(pos, i64(padding[d][0]))
        a = bdil[d]
        ok = b.and_(b.icmp_signed(">=", pos, i64(0)),
                    b.icmp_signed("<=", pos, i64((n - 1) * a)))
        if a > 1:
            ok = b.and_(ok, b.icmp_signed("==", b.srem(pos, i64(a)), i64(0)))
            pos = b.sdiv(pos, i64(a))
        valid = b.and_(valid, ok)
        idx.append(clamp(b, pos, 0, max(n - 1, 0)))
    return idx, valid


def _combine(em, kind, dtype, acc, x):
    b = em.b
    if dtype.kind == "b":
        return (b.or_ if kind in ("sum", "max") else b.and_)(acc, x)
    if kind == "sum":
        return b.fadd(acc, x) if dtype.kind == "f" else b.add(acc, x)
    if dtype.kind == "f":
        name = "llvm.maximum" if kind == "max" else "llvm.minimum"
        return em.call(f"{name}.{'f32' if dtype == np.float32 else 'f64'}", acc.type, [acc, x])
    return b.select(b.icmp_signed(">" if kind == "max" else "<", acc, x), acc, x)


def _empty_operand(em, out, fill):
    """An operand with no elements: every window is padding."""
    with loops.for_range(em.b, out.aval.size, name="z") as i:
        em.store_linear(out, i, fill)


@kernel_rule("reduce_window_sum", label="window", fuses_inputs=True)
@kernel_rule("reduce_window_max", label="window", fuses_inputs=True)
@kernel_rule("reduce_window_min", label="window", fuses_inputs=True)
def emit_reduce_window(em, kernel):
    node = kernel.root
    kind = node.prim.rsplit("_", 1)[1]
    x, out = node.inputs[0], node.out
    dt = out.aval.dtype
    geo = _geometry(node)
    b = em.b
    if x.aval.size == 0:
        _empty_operand(em, out, identity(kind, dt))
        return
    acc = em.alloca(lltype(dt))
    with loops.loop_nest(b, out.aval.shape, "o") as oidx:
        b.store(identity(kind, dt), acc)
        with loops.loop_nest(b, geo[0], "w") as widx:
            em.reset()
            idx, valid = _position(b, x.aval.shape, geo, oidx, widx)
            cur = b.load(acc)
            b.store(b.select(valid, _combine(em, kind, dt, cur, em.value(x, idx)), cur), acc)
        em.store(out, oidx, b.load(acc))


def _better(b, select_prim, dt, x, best):
    """Does ``x`` replace the current choice ``best`` (strictly better, so the first
    of equal values stays; a NaN beats a number, as the eager rule)?"""
    if dt.kind == "f":
        op = ">" if select_prim == "ge" else "<"
        nan_x = b.fcmp_unordered("uno", x, x)
        num_best = b.fcmp_ordered("ord", best, best)
        return b.or_(b.fcmp_ordered(op, x, best), b.and_(nan_x, num_best))
    if dt.kind == "b":
        return b.icmp_unsigned(">" if select_prim == "ge" else "<", x, best)
    return b.icmp_signed(">" if select_prim == "ge" else "<", x, best)


def _choose(em, node, oidx, on_found):
    """Scan window ``oidx`` of the operand keeping the first best element; then
    call ``on_found(found i1, index list of the choice)``."""
    b = em.b
    t_or_s, x = node.inputs
    geo = _geometry(node)
    sel = node.params["select_prim"]
    dt = x.aval.dtype
    nd = x.aval.ndim
    best = em.alloca(lltype(dt))
    found = em.alloca(I1)
    where = [em.alloca(I64) for _ in range(nd)]
    b.store(const(dt, 0), best)
    b.store(ir.Constant(I1, 0), found)
    for w in where:
        b.store(i64(0), w)
    with loops.loop_nest(b, geo[0], "w") as widx:
        em.reset()
        idx, valid = _position(b, x.aval.shape, geo, oidx, widx)
        v = em.value(x, idx)
        take = b.and_(valid, b.or_(b.not_(b.load(found)), _better(b, sel, dt, v, b.load(best))))
        b.store(b.select(take, v, b.load(best)), best)
        b.store(b.or_(b.load(found), take), found)
        for w, i in zip(where, idx):
            b.store(b.select(take, i, b.load(w)), w)
    em.reset()
    on_found(b.load(found), [b.load(w) for w in where])


@kernel_rule("select_and_gather_add", label="window", fuses_inputs=True)
def emit_select_and_gather(em, kernel):
    node = kernel.root
    t, x = node.inputs
    out = node.out
    dt = out.aval.dtype
    if x.aval.size == 0:
        _empty_operand(em, out, const(dt, 0))
        return

    def store(found, idx):
        em.store(out, oidx, em.b.select(found, em.value(t, idx), const(dt, 0)))

    with loops.loop_nest(em.b, out.aval.shape, "o") as oidx:
        _choose(em, node, oidx, store)


@kernel_rule("select_and_scatter_add", label="window-scatter", fuses_inputs=True)
def emit_select_and_scatter(em, kernel):
    node = kernel.root
    s, x = node.inputs
    out = node.out
    dt = out.aval.dtype
    b = em.b
    with loops.for_range(b, out.aval.size, name="z") as i:
        em.store_linear(out, i, const(dt, 0))
    if x.aval.size == 0:
        return

    def add(found, idx):
        with b.if_then(found):
            off = loops.linear_index(b, idx, out.aval.shape)
            cur = em.load_linear(out, off)
            v = em.value(s, oidx)
            em.store_linear(out, off, b.fadd(cur, v) if dt.kind == "f" else b.add(cur, v))

    with loops.loop_nest(b, s.aval.shape, "o") as oidx:
        _choose(em, node, oidx, add)
