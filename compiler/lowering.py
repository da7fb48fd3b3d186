"""Pass 4: kernels -> one LLVM module.

Each kernel becomes an internal LLVM function taking one noalias pointer per
buffer it touches (plus its band when it runs over threads, see
``parallel.split_plan``); the ``entry`` function (``entry.py``) carves
intermediates out of one malloc'ed workspace and calls the kernels in order.

The rules live in their own modules and are found through ``registry``:
``scalar_rules.py`` computes one element of a fused value, ``kernels.py``
emits a kernel root's loop nest, ``control_flow.py`` lowers cond/while/scan.
"""
from llvmlite import ir

from jaxlite.compiler import control_flow, entry, inplace, kernels, parallel, registry, row_chain
from jaxlite.compiler.emitter import Emitter
from jaxlite.compiler.lltypes import PTR, VOID


def lower(prog, name="jit_fn", data_offset=None):
    """The LLVM module (llvmlite.ir.Module) for a fused, buffer-planned Program."""
    module = ir.Module(name=name)
    kfuncs = []
    nthreads = parallel.threads()
    for k in prog.kernels:
        kfuncs.append(lower_kernel(module, prog, k, nthreads))
    entry.lower_entry(module, prog, kfuncs, data_offset, nthreads)
    return module


def _kernel_bases(prog, k):
    bases = []
    for v in k.outs + k.reads:        # several outputs: a LAPACK kernel (lu, qr, eigh, svd)
        bv = prog.base(v)
        if bv not in bases:
            bases.append(bv)
    return bases


def lower_kernel(module, prog, k, nthreads):
    """(LLVM function, base Vars it takes, split plan or None) of kernel ``k``."""
    if k.nested is not None:        # cond/while/scan: native control flow
        return control_flow.lower_kernel(module, prog, k, nthreads)
    bases = _kernel_bases(prog, k)
    split = parallel.split_plan(k, nthreads)
    extra = parallel.band_types(split[0] == "total") if split else []
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR] * len(bases) + extra),
                     name=f"k{k.index}_{k.kind}_{k.root.prim}")
    fn.linkage = "internal"
    shared = inplace.unaliased_bases(prog, prog.inplace).get(k.index, ())
    for base, arg in zip(bases, fn.args):
        if base not in shared:      # in-place pairs may be one buffer at run time
            arg.add_attribute("noalias")
    fn.attributes.add("nounwind")
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    em = Emitter(module, builder, k, prog, dict(zip(bases, fn.args)))
    if split:
        em.split = split[0]
        em.band = tuple(fn.args[len(bases):len(bases) + 2])
        if split[0] == "total":
            em.total = tuple(fn.args[len(bases) + 2:])
    if k.prelude:
        kernels.emit_row_group(em, k, row_chain.group_rows(k))
    elif k.kind == "loop":
        kernels.emit_loop(em, k)
    else:
        registry.KERNEL_RULES[k.root.prim].emit(em, k)
    builder.ret_void()
    return fn, bases, split
