"""The module's one exported function, ``i32 entry(p_0, ..., p_n)``.

One pointer per input (constants first, then the arguments), then one per
output; with many of them, ``entry(ptr args[])`` (see ``packed_args``). It
mallocs the workspace, calls the kernels in order (large ones in bands over
threads, see ``parallel.py``), frees the workspace and returns 0, or 1 when
malloc fails (the runtime then raises MemoryError).
"""
from llvmlite import ir

from jaxlite.compiler import parallel
from jaxlite.compiler.lltypes import I8, I32, I64, PTR, VOID, declare, i64

MAX_DIRECT_ARGS = 200   # beyond this, pointers come packed in one array (ctypes limits)


def packed_args(prog):
    return len(prog.invars) + len(prog.outvars) > MAX_DIRECT_ARGS


def lower_entry(module, prog, kfuncs, data_offset, nthreads):
    """``i32 entry(p_0, ..., p_n)``: inputs then outputs (or ``entry(p[])`` with
    many arguments). With ``data_offset`` each p_i is an ndarray object whose
    data pointer sits at that offset. Returns 0, or 1 when out of memory."""
    nin, nout = len(prog.invars), len(prog.outvars)
    packed = packed_args(prog)
    fn = ir.Function(module, ir.FunctionType(I32, [PTR] if packed else [PTR] * (nin + nout)),
                     name="entry")
    b = ir.IRBuilder(fn.append_basic_block("entry"))

    def arg_ptr(i):
        if not packed:
            return fn.args[i]
        return b.load(b.gep(fn.args[0], [i64(i)], source_etype=PTR), typ=PTR)
    plan = prog.buffers
    ws = None
    if plan.workspace:
        malloc = declare(module, "malloc", PTR, [I64])
        ws = b.call(malloc, [i64(plan.workspace)])
        with b.if_then(b.icmp_unsigned("==", ws, ir.Constant(PTR, None)), likely=False):
            b.ret(ir.Constant(I32, 1))      # out of memory: the runtime raises MemoryError
    ptrs = {}

    def ptr_of(base):
        if base not in ptrs:
            kind, pos = plan.where[base]
            if kind == "ws":
                ptrs[base] = b.gep(ws, [i64(pos)], source_etype=I8)
            else:
                arg = arg_ptr(pos if kind == "in" else nin + pos)
                if data_offset is None:
                    ptrs[base] = arg
                else:
                    slot = b.gep(arg, [i64(data_offset)], source_etype=I8)
                    ptrs[base] = b.load(slot, typ=PTR)
        return ptrs[base]

    for kfn, bases, split in kfuncs:
        ptr_args = [ptr_of(v) for v in bases]
        if split is None:
            b.call(kfn, ptr_args)
        else:
            parallel.emit_call(module, b, kfn, ptr_args, split, nthreads)
    if ws is not None:
        free = declare(module, "free", VOID, [PTR])
        b.call(free, [ws])
    b.ret(ir.Constant(I32, 0))
