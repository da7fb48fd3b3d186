"""Large kernels split into chunks over threads.

A kernel that is worth splitting is lowered with two extra arguments, the
range ``[lo, hi)`` of its outermost loop it should run (rows of its output, or
linear offsets or sum blocks of a flat reduction). ``emit_call`` cuts that
loop into chunks (``chunking``: several per thread) and hands them to the
worker pool (``threadpool.py``): the caller and the workers claim chunks one
by one, so a thread the OS deschedules delays only the chunk it holds.

Total reductions (a scalar result) take three more arguments: ``part_out``
(where a chunk leaves its partial result instead of finishing), ``parts_in``
and ``n_in`` (partials to start from). After the loop, one more call with an
empty range combines the partials in chunk order and runs the kernel's
epilogue; chunks are fixed at compile time, so results do not depend on how
many threads ran.

The thread count is fixed when the kernel is compiled: ``JAXLITE_THREADS``,
else one per usable core (at most 8).
"""
from collections import namedtuple

import numpy as np
from llvmlite import ir

from jaxlite.compiler import native, row_chain, threadpool
from jaxlite.compiler.lltypes import I64, PTR, VOID, declare, elem, field, i64, lltype

# Below this many elements a kernel runs on the calling thread: waking the pool
# and waiting for the last chunk costs a few microseconds idle (more on a busy
# machine), and one core needs ~30-100 us for 1e5 cheap elements.
MIN_ELEMENTS = 1 << 17
# Chunks: up to this many per thread, each of at least this many elements.
CHUNKS_PER_THREAD = 8
MIN_CHUNK_ELEMENTS = 1 << 13


def threads():
    """Threads a large kernel is split over (1: never split): JAXLITE_THREADS,
    else one per usable core, at most 8; always 1 without pthreads."""
    return native.kernel_threads()


class Split(namedtuple("Split", "kind extent total_type work")):
    """How a kernel runs over threads: ``kind`` "flat" | "rows" | "total", its
    outermost loop's ``extent`` (rows, elements, or sum blocks), a total
    reduction's partial type, and the elements it touches (for chunk sizes)."""


def split_plan(k, nthreads):
    """How kernel ``k`` runs in chunks over threads (a Split), or None (run
    whole, on the caller). Loop kernels follow ``Kernel.runs_flat``, reductions
    their ReductionPlan."""
    if nthreads < 2:
        return None
    if k.prelude:            # a row group (row_chain.py): by its outermost row dimension
        rows = row_chain.group_rows(k)
        work = sum(_work(m) for m in k.prelude + [k])
        big = work >= MIN_ELEMENTS and rows[0] >= 2
        return Split("rows", rows[0], None, work) if big else None
    if k.kind in ("loop", "interleave"):
        # interleave (complex outputs, complex_expand.py) loops over its planes' shape
        shape = k.out.aval.shape if k.kind == "loop" else k.out.aval.shape[:-1]
        size = int(np.prod(shape, dtype=np.int64))
        if size < MIN_ELEMENTS:
            return None
        if k.runs_flat(shape):
            return Split("flat", size, None, size)
        return Split("rows", shape[0], None, size) if shape and shape[0] >= 2 else None
    if k.kind == "sort":     # by the outermost dimension that is not the sorted one
        shape, d = k.root.inputs[0].aval.shape, k.root.params["dimension"]
        size = k.root.inputs[0].aval.size
        outer = 0 if d > 0 else 1
        big = size >= MIN_ELEMENTS and len(shape) > outer and shape[outer] >= 2
        return Split("rows", shape[outer], None, size) if big else None
    if k.reduction is None:        # other kernels (GEMM, LAPACK, MPI, ...) run whole
        return None
    plan, x = k.reduction, k.root.inputs[0]
    if plan is None or plan.split is None or x.aval.size < MIN_ELEMENTS:
        return None
    if plan.split == "total":
        return Split("total", plan.extent, lltype(x.aval.dtype), x.aval.size)
    return Split("rows", plan.extent, None, x.aval.size) if plan.extent >= 2 else None


def _work(k):
    """Elements a kernel touches: its reduction's input, or its output."""
    return (k.root.inputs[0] if k.kind == "reduce" else k.out).aval.size


def band_types(total):
    return [I64, I64] + ([PTR, PTR, I64] if total else [])


def chunking(extent, work, nthreads):
    """(grain, chunks): ``[0, extent)`` cut into ``chunks`` pieces of ``grain``
    (the last one shorter), for a kernel touching ``work`` elements. Several
    chunks per thread, so a descheduled thread's share is picked up by the
    others; each chunk at least MIN_CHUNK_ELEMENTS elements, so claiming one
    (an atomic compare-and-swap) stays negligible."""
    chunks = min(extent, nthreads * CHUNKS_PER_THREAD,
                 max(nthreads, work // MIN_CHUNK_ELEMENTS))
    grain = -(-extent // max(chunks, 1))
    return grain, -(-extent // grain)


def emit_call(module, b, kfn, ptr_args, split, nthreads):
    """Run ``kfn(*ptr_args, lo, hi[, part_out, parts_in, n_in])`` over
    ``[0, split.extent)`` in chunks shared dynamically by the caller and the
    pool's workers (threadpool.py). A total reduction keeps one partial per
    chunk and combines them in chunk order after the loop, so results do not
    depend on the threads."""
    extent, total_type = split.extent, split.total_type
    total = total_type is not None
    grain, chunks = chunking(extent, split.work, nthreads)
    ctx_type = ir.LiteralStructType([a.type for a in ptr_args] + ([PTR] if total else []))
    with b.goto_entry_block():
        ctx = b.alloca(ctx_type)
        parts = b.alloca(total_type, chunks) if total else None
    for i, v in enumerate(list(ptr_args) + ([parts] if total else [])):
        b.store(v, field(b, ctx, ctx_type, i))
    body = _chunk_body(module, kfn, ctx_type, extent, grain, total_type)
    run = declare(module, threadpool.PARALLEL_FOR, VOID, [PTR, PTR, I64, I64])
    b.call(run, [body, ctx, i64(chunks), i64(nthreads)])
    if total:
        b.call(kfn, list(ptr_args) + [i64(0), i64(0), ir.Constant(PTR, None), parts,
                                      i64(chunks)])


def _chunk_body(module, kfn, ctx_type, extent, grain, total_type):
    """``void kfn_chunk(ctx, c)``: unpack the pointers, run rows/elements
    ``[c * grain, min((c + 1) * grain, extent))`` (a total reduction leaves its
    partial in ``parts[c]``)."""
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR, I64]), name=f"{kfn.name}_chunk")
    fn.linkage = "internal"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    ctx, c = fn.args
    vals = [b.load(field(b, ctx, ctx_type, i), typ=ty)
            for i, ty in enumerate(ctx_type.elements)]
    lo = b.mul(c, i64(grain))
    hi = b.add(lo, i64(grain))
    hi = b.select(b.icmp_signed("<", hi, i64(extent)), hi, i64(extent))
    if total_type is None:
        b.call(kfn, vals + [lo, hi])
    else:
        part = elem(b, vals[-1], total_type, c)
        b.call(kfn, vals[:-1] + [lo, hi, part, ir.Constant(PTR, None), i64(0)])
    b.ret_void()
    return fn
