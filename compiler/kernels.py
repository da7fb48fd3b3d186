"""Kernel rules: whole loop nests for kernel roots, ``emit(em, kernel)``.

``emit_loop`` stores a fused value at every output index; the others are
registered in ``registry.KERNEL_RULES`` with what fusion needs to know
(``label``, ``fuses_inputs``, the reduction ``monoid``): reductions (the
loops of their ``ReductionPlan``), argmax/argmin, cumsum, scatter and GEMM
(calls emitted by ``gemm.py``); sort has its own module, ``sort_kernel.py``.
"""
import numpy as np
from llvmlite import ir

from jaxlite.compiler import gemm, loops
from jaxlite.compiler.emitter import Emitter, clamp, imin, sfx
from jaxlite.compiler.lltypes import I1, I64, PTR, const, i64, identity, lltype
from jaxlite.compiler.reduction_plan import SUM_BLOCK
from jaxlite.compiler.row_chain import row_length
from jaxlite.compiler.registry import kernel_rule
from jaxlite.compiler.scalar_rules import convert, gather_index


def emit_loop(em, kernel):
    """A ``loop`` kernel: its root's value at every output index, stored."""
    v = kernel.out
    if kernel.runs_flat(v.aval.shape):
        em.flat = True
        lo, hi = em.band or (0, v.aval.size)
        with loops.for_range(em.b, hi, start=lo, name="i") as i:
            em.reset()
            em.store(v, [i], em.value(v, [i]))
        return
    with loops.loop_nest(em.b, v.aval.shape, outer=em.band) as idx:
        em.reset()
        em.store(v, idx, em.value(v, idx))


_REASSOC = ("reassoc", "contract")


def _combine(em, kind, dtype, acc, x):
    """acc (op) x for a reduction; float sums/products may be reassociated
    (that is what lets LLVM vectorize them)."""
    b, dtype = em.b, np.dtype(dtype)
    if dtype.kind == "b":
        return (b.or_ if kind in ("sum", "max") else b.and_)(acc, x)
    if kind == "sum":
        return b.fadd(acc, x, flags=_REASSOC) if dtype.kind == "f" else b.add(acc, x)
    if kind == "prod":
        return b.fmul(acc, x, flags=_REASSOC) if dtype.kind == "f" else b.mul(acc, x)
    if dtype.kind == "f":
        name = "llvm.maximum" if kind == "max" else "llvm.minimum"
        return em.call(f"{name}.{sfx(dtype)}", acc.type, [acc, x])
    return b.select(b.icmp_signed(">" if kind == "max" else "<", acc, x), acc, x)


def _merge(out_idx, red_idx, axes, ndim):
    o, r = iter(out_idx), iter(red_idx)
    return [next(r) if d in axes else next(o) for d in range(ndim)]


@kernel_rule("reduce_sum", label="reduce", fuses_inputs=True, monoid="sum")
@kernel_rule("reduce_prod", label="reduce", fuses_inputs=True, monoid="prod")
@kernel_rule("reduce_max", label="reduce", fuses_inputs=True, monoid="max")
@kernel_rule("reduce_min", label="reduce", fuses_inputs=True, monoid="min")
def emit_reduce(em, kernel):
    """The loops ``kernel.reduction`` (a ReductionPlan) describes."""
    node, plan = kernel.root, kernel.reduction
    x, out = node.inputs[0], node.out
    kind, axes, shape = plan.monoid, plan.axes, plan.shape
    dt = x.aval.dtype
    b = em.b
    out_shape = out.aval.shape
    em.flat = plan.flat
    red_shape = plan.reduced_shape
    if plan.keeps_last:
        # Accumulate rows into the output, contiguous inner loop.
        with loops.loop_nest(b, out_shape, "o") as oidx:
            em.store(out, oidx, identity(kind, dt))
        with loops.loop_nest(b, shape, "r") as idx:
            em.reset()
            oi = [i for d, i in enumerate(idx) if d not in axes]
            off = loops.linear_index(b, oi, out_shape)
            acc = em.load_linear(out, off)
            em.store_linear(out, off, _combine(em, kind, dt, acc, em.value(x, idx)))
        return
    acc_slot = em.alloca(lltype(dt))
    if plan.blocked:
        _blocked_sum(em, kernel, x, out, axes, red_shape, acc_slot)
        return
    with loops.loop_nest(b, out_shape, "o", outer=_band(em, "rows")) as oidx:
        _reduce_row(em, kernel, oidx, acc_slot)


def emit_row_group(em, kernel, rows):
    """A row group (row_chain.py): for each index of ``rows``, each member's
    row in order (a reduction's element, or a loop's trailing dimensions), so
    a member reads what the earlier ones stored at that row while it is in
    cache. Only the host's Emitter carries the band."""
    b = em.b
    members = [(Emitter(em.module, b, p, em.prog, em.ptrs), p) for p in kernel.prelude]
    members.append((em, kernel))
    for p in kernel.prelude:
        if p.row_buffer:
            with b.goto_entry_block():
                ptr = b.alloca(lltype(p.out.aval.dtype), row_length(p.out, rows))
            em.row_buffers[p.out] = (ptr, len(rows))
    for e, _ in members:
        e.row_buffers = em.row_buffers
    slots = [e.alloca(lltype(k.root.inputs[0].aval.dtype)) if k.kind == "reduce" else None
             for e, k in members]
    with loops.loop_nest(b, rows, "o", outer=em.band) as oidx:
        for (e, k), slot in zip(members, slots):
            if slot is not None:
                _reduce_row(e, k, oidx, slot)
                continue
            with loops.loop_nest(b, k.out.aval.shape[len(rows):], "t") as tidx:
                e.reset()
                e.store(k.out, oidx + tidx, e.value(k.out, oidx + tidx))


def _reduce_row(em, kernel, oidx, acc_slot):
    """One output element of a register-accumulated reduction (a row of its
    input, or a chunk of it when a total reduction runs in bands)."""
    plan, b = kernel.reduction, em.b
    x, kind = kernel.root.inputs[0], plan.monoid
    dt = x.aval.dtype
    b.store(identity(kind, dt), acc_slot)
    _absorb_parts(em, kind, dt, acc_slot)
    with loops.loop_nest(b, plan.reduced_shape, "r", outer=_band(em, "total")) as ridx:
        em.reset()
        v = em.value(x, _merge(oidx, ridx, plan.axes, len(plan.shape)))
        b.store(_combine(em, kind, dt, b.load(acc_slot), v), acc_slot)
    _finish(em, kernel, oidx, b.load(acc_slot))


def _band(em, split):
    return em.band if em.split == split else None


def _absorb_parts(em, kind, dt, acc_slot):
    """Start a total reduction from the partial results of its bands."""
    if em.total is None:
        return
    b, ty = em.b, lltype(dt)
    _, parts_in, n_in = em.total
    with loops.for_range(b, n_in, name="part") as p:
        v = b.load(b.gep(parts_in, [p], source_etype=ty), typ=ty)
        b.store(_combine(em, kind, dt, b.load(acc_slot), v), acc_slot)


def _finish(em, kernel, oidx, acc):
    """Store a reduction's result, through its fused epilogue if it has one; a
    band of a total reduction leaves its partial result at ``part_out`` instead."""
    if em.total is not None:
        part_out = em.total[0]
        with em.b.if_else(em.b.icmp_unsigned("!=", part_out, ir.Constant(PTR, None))) \
                as (partial, final):
            with partial:
                em.b.store(acc, part_out)
            with final:
                _store_result(em, kernel, oidx, acc)
        return
    _store_result(em, kernel, oidx, acc)


def _store_result(em, kernel, oidx, acc):
    if kernel.epilogue is None:
        em.store(kernel.out, oidx, acc)
        return
    em.reset()
    em.override = {kernel.root.out: acc}
    em.store(kernel.out, oidx, em.value(kernel.out, oidx))
    em.override = {}


def _blocked_sum(em, kernel, x, out, axes, red_shape, acc_slot):
    """Float sums over long rows add blocks of SUM_BLOCK elements (vectorized,
    reassociated) into the running total: the rounding error then grows with
    the number of blocks, not of elements, close to numpy's pairwise sum."""
    b, dt = em.b, x.aval.dtype
    nd = 1 if em.flat else x.aval.ndim
    n = red_shape[-1]
    part_slot = em.alloca(lltype(dt))
    blocks = _band(em, "total") or (0, -(-n // SUM_BLOCK))
    with loops.loop_nest(b, out.aval.shape, "o", outer=_band(em, "rows")) as oidx:
        b.store(identity("sum", dt), acc_slot)
        _absorb_parts(em, "sum", dt, acc_slot)
        with loops.loop_nest(b, red_shape[:-1], "r") as ridx:
            with loops.for_range(b, blocks[1], start=blocks[0], name="blk") as blk:
                start = b.mul(blk, i64(SUM_BLOCK))
                stop = imin(b, b.add(start, i64(SUM_BLOCK)), i64(n))
                b.store(identity("sum", dt), part_slot)
                with loops.for_range(b, stop, start=start, name="j") as j:
                    em.reset()
                    v = em.value(x, _merge(oidx, list(ridx) + [j], axes, nd))
                    b.store(_combine(em, "sum", dt, b.load(part_slot), v), part_slot)
                b.store(b.fadd(b.load(acc_slot), b.load(part_slot)), acc_slot)
        _finish(em, kernel, oidx, b.load(acc_slot))


@kernel_rule("argmax", "argmin", label="reduce", fuses_inputs=True)
def emit_argminmax(em, kernel):
    node = kernel.root
    x, out = node.inputs[0], node.out
    axes = tuple(node.params["axes"])
    shape, dt = x.aval.shape, x.aval.dtype
    idt = out.aval.dtype
    b = em.b
    nd = len(shape)
    n = shape[axes[0]]
    best_slot, bi_slot = em.alloca(lltype(dt)), em.alloca(I64)
    op = ">" if node.prim == "argmax" else "<"
    with loops.loop_nest(b, out.aval.shape, "o") as oidx:
        if n == 0:
            em.store(out, oidx, const(idt, 0))
            return
        em.reset()
        b.store(em.value(x, _merge(oidx, [i64(0)], axes, nd)), best_slot)
        b.store(i64(0), bi_slot)
        with loops.for_range(b, n, start=1, name="r") as k:
            em.reset()
            v = em.value(x, _merge(oidx, [k], axes, nd))
            best = b.load(best_slot)
            if dt.kind == "f":
                # First extreme wins; a NaN beats everything and is never replaced.
                better = b.fcmp_ordered(op, v, best)
                v_nan = b.fcmp_unordered("uno", v, v)
                best_nan = b.fcmp_unordered("uno", best, best)
                take = b.or_(better, b.and_(v_nan, b.not_(best_nan)))
            elif dt.kind == "b":
                take = b.icmp_unsigned(op, v, best)
            else:
                take = b.icmp_signed(op, v, best)
            b.store(b.select(take, v, best), best_slot)
            b.store(b.select(take, k, b.load(bi_slot)), bi_slot)
        em.store(out, oidx, convert(em, b.load(bi_slot), np.dtype(np.int64), idt))


@kernel_rule("cumsum", label="cumsum", fuses_inputs=True)
def emit_cumsum(em, kernel):
    node = kernel.root
    x, out = node.inputs[0], node.out
    axis, reverse = node.params["axis"], node.params.get("reverse", False)
    shape, dt = out.aval.shape, out.aval.dtype
    b = em.b
    n = shape[axis]
    kind = "sum"
    # Outer dims, then the scan axis (sequential), then inner dims (contiguous).
    with loops.loop_nest(b, shape[:axis], "p") as pre:
        with loops.for_range(b, n, name="k") as k:
            pos = b.sub(i64(n - 1), k) if reverse else k
            prev = clamp(b, b.add(pos, i64(1)) if reverse else b.sub(pos, i64(1)), 0, n - 1)
            first = b.icmp_signed("==", k, i64(0))
            with loops.loop_nest(b, shape[axis + 1:], "q") as post:
                em.reset()
                idx = list(pre) + [pos] + list(post)
                before = em.load(out, list(pre) + [prev] + list(post))
                before = b.select(first, identity(kind, dt), before)
                em.store(out, idx, _combine_exact(em, dt, before, em.value(x, idx)))


def _combine_exact(em, dt, a, x):
    b = em.b
    if dt.kind == "f":
        return b.fadd(a, x)
    if dt.kind == "b":
        return b.or_(a, x)
    return b.add(a, x)


@kernel_rule("scatter_add", "scatter", label="scatter", fuses_inputs=True)
def emit_scatter(em, kernel):
    node = kernel.root
    operand, indices, updates = node.inputs
    out = node.out
    axes = tuple(node.params["axes"])
    b = em.b
    with loops.loop_nest(b, out.aval.shape, "c") as idx:
        em.reset()
        em.store(out, idx, em.value(operand, idx))
    # Sequential updates: duplicates accumulate (or the last one wins), OOB dropped.
    with loops.loop_nest(b, updates.aval.shape, "u") as idx:
        em.reset()
        tidx, ok = gather_index(em, out, indices, axes, idx, clip=False)
        upd = em.value(updates, idx)
        off = loops.linear_index(b, tidx, out.aval.shape)
        with b.if_then(ok if ok is not None else ir.Constant(I1, 1)):
            if node.prim == "scatter_add":
                upd = _combine_exact(em, out.aval.dtype, em.load_linear(out, off), upd)
            em.store_linear(out, off, upd)


@kernel_rule("dot_general", label="gemm", fuses_inputs=False)
def emit_gemm(em, kernel):
    node = kernel.root
    g = dict(node.params["gemm"])
    a, bvar = node.inputs
    out = node.out
    B, M, N, K = g["B"], g["M"], g["N"], g["K"]
    ta, tb, dt = g["trans_a"], g["trans_b"], np.dtype(g["dtype"])
    b = em.b
    if M * N * B == 0:
        return
    if K == 0:
        with loops.for_range(b, B * M * N, name="z") as i:
            em.store_linear(out, i, const(dt, 0))
        return
    lda, ldb, ldc = (M if ta else K), (K if tb else N), N
    with loops.for_range(b, B, name="batch") as bi:
        pa = em.address(a, b.mul(bi, i64(M * K)))
        pb = em.address(bvar, b.mul(bi, i64(K * N)))
        pc = em.address(out, b.mul(bi, i64(M * N)))
        gemm.emit_gemm(b, em.module, dt, ta, tb, i64(M), i64(N), i64(K), pa, i64(lda),
                       pb, i64(ldb), pc, i64(ldc))
