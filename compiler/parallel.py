"""Large kernels split over threads.

A kernel that is worth splitting is lowered with two extra arguments, the
band ``[lo, hi)`` of its outermost loop it should run (rows of its output, or
linear offsets or sum blocks of a flat reduction). ``emit_call`` runs the
bands on pthreads from the entry function: bands 1.. on new threads, band 0 on
the caller, then joins. A thread that fails to start has its band run by the
caller, so results never depend on thread creation.

Total reductions (a scalar result) take three more arguments: ``part_out``
(where a band leaves its partial result instead of finishing), ``parts_in``
and ``n_in`` (partials to start from). After the join, one more call with an
empty band combines the partials and runs the kernel's epilogue.

The thread count is fixed when the kernel is compiled: ``JAXLITE_THREADS``,
else one per usable core (at most 8).
"""
from llvmlite import ir

from jaxlite.compiler import native
from jaxlite.compiler.lltypes import I32, I64, PTR, declare, elem, field, i64, lltype

# Below this many elements a kernel runs on the calling thread: starting and
# joining a thread costs ~20-50 us, the time one core needs for ~1e5 cheap
# elements.
MIN_ELEMENTS = 1 << 17


def threads():
    """Threads a large kernel is split over (1: never split): JAXLITE_THREADS,
    else one per usable core, at most 8; always 1 without pthreads."""
    return native.kernel_threads()


def split_plan(k, nthreads):
    """How kernel ``k`` runs in bands over threads, or None (run whole, on the
    caller): ("flat" | "rows", extent) or ("total", extent, partial's LLVM type).
    Loop kernels follow ``Kernel.runs_flat``, reductions their ReductionPlan."""
    if nthreads < 2:
        return None
    if k.kind == "loop":
        shape, size = k.out.aval.shape, k.out.aval.size
        if size < MIN_ELEMENTS:
            return None
        if k.runs_flat(shape):
            return ("flat", size)
        return ("rows", shape[0]) if shape and shape[0] >= 2 else None
    if k.kind == "sort":     # lines before the sorted dim, by rows
        shape, d = k.root.inputs[0].aval.shape, k.root.params["dimension"]
        big = k.root.inputs[0].aval.size >= MIN_ELEMENTS
        return ("rows", shape[0]) if big and d > 0 and shape[0] >= 2 else None
    if k.reduction is None:        # other kernels (GEMM, LAPACK, MPI, ...) run whole
        return None
    plan, x = k.reduction, k.root.inputs[0]
    if plan is None or plan.split is None or x.aval.size < MIN_ELEMENTS:
        return None
    if plan.split == "total":
        return ("total", plan.extent, lltype(x.aval.dtype))
    return ("rows", plan.extent) if plan.extent >= 2 else None


def band_types(total):
    return [I64, I64] + ([PTR, PTR, I64] if total else [])


def emit_call(module, b, kfn, ptr_args, extent, nthreads, total_type=None):
    """Run ``kfn(*ptr_args, lo, hi[, part_out, parts_in, n_in])`` over
    ``[0, extent)`` split into ``nthreads`` bands. ``total_type``: the LLVM type
    of a total reduction's partial result (None for row-split kernels)."""
    total = total_type is not None
    band = -(-extent // nthreads)
    arg_types = [a.type for a in ptr_args] + band_types(total)
    args_type = ir.LiteralStructType(arg_types)
    entry = _thread_entry(module, kfn, args_type)
    create = declare(module, native.RUNTIME_ALIASES["pthread_create"], I32,
                     [PTR, PTR, PTR, PTR])
    join = declare(module, native.RUNTIME_ALIASES["pthread_join"], I32, [I64, PTR])
    with b.goto_entry_block():
        slots = b.alloca(args_type, nthreads)
        tids = b.alloca(I64, nthreads)
        parts = b.alloca(total_type, nthreads) if total else None
    null = ir.Constant(PTR, None)

    def args_of(t):
        lo, hi = min(t * band, extent), min((t + 1) * band, extent)
        extra = [elem(b, parts, total_type, i64(t)), null, i64(0)] if total else []
        return list(ptr_args) + [i64(lo), i64(hi)] + extra

    started = []
    for t in range(1, nthreads):
        slot = elem(b, slots, args_type, i64(t))
        for i, v in enumerate(args_of(t)):
            b.store(v, field(b, slot, args_type, i))
        tid = elem(b, tids, I64, i64(t))
        ok = b.icmp_signed("==", b.call(create, [tid, null, entry, slot]), ir.Constant(I32, 0))
        with b.if_then(b.not_(ok), likely=False):
            b.call(kfn, args_of(t))
        started.append((ok, tid))
    b.call(kfn, args_of(0))
    for ok, tid in started:
        with b.if_then(ok, likely=True):
            b.call(join, [b.load(tid, typ=I64), null])
    if total:
        b.call(kfn, list(ptr_args) + [i64(0), i64(0), null, parts, i64(nthreads)])


def _thread_entry(module, kfn, args_type):
    """``void *kfn_thread(void *args)``: unpack the argument struct, run the band."""
    fn = ir.Function(module, ir.FunctionType(PTR, [PTR]), name=f"{kfn.name}_thread")
    fn.linkage = "internal"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    vals = [b.load(field(b, fn.args[0], args_type, i), typ=ty)
            for i, ty in enumerate(args_type.elements)]
    b.call(kfn, vals)
    b.ret(ir.Constant(PTR, None))
    return fn

