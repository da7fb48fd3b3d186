"""Which outputs may be written into an input's buffer (jit's buffer donation).

When the caller donates an argument (``jit(f, donate_argnums=...)``) and no
one else holds its memory, the runtime passes that memory as the buffer of an
output of the same shape and dtype. That is correct only when the output is
written after every read of the input: the kernel writing it is the input's
last reader, and if that kernel reads the input itself, it reads element i
only to compute element i (an elementwise loop), so each element is read
before it is overwritten. A fused update ``p + alpha * A @ B``
(``gemm_update.py``) may write into p's buffer when it reads p only as its
starting value (p is not A or B). Kernel functions take ``noalias`` pointers; the
pairs found here lose that attribute (``lowering.py``), since at run time
they may be the same memory.
"""
from jaxlite import core
from jaxlite.compiler import gemm_update

__all__ = ["analyze", "unaliased_bases"]


def analyze(prog):
    """``{input position: (output positions...)}``: the outputs each input's
    buffer may hold. Input positions count the program's arguments (its
    invars, after the constants the compiler keeps)."""
    writer = {v: k for k in prog.kernels for v in k.outs}
    last_read = {}
    for k in prog.kernels:
        for v in k.reads:
            last_read[prog.base(v)] = k.index
    result = {}
    for pos, v in enumerate(prog.closed.jaxpr.invars):
        outs = tuple(j for j, o in enumerate(prog.outvars)
                     if _in_place(prog, v, o, writer.get(o), last_read.get(v, -1)))
        if outs:
            result[pos] = outs
    return result


def _in_place(prog, v, o, k, last):
    if k is None or v.aval.shape != o.aval.shape or v.aval.dtype != o.aval.dtype:
        return False
    start = gemm_update.accumulator(k)
    if start is not None and v.aval.size and k.outs == [o] and prog.base(start) is v:
        operands = {prog.base(x) for x in k.root.inputs[:2]}
        return last < k.index or (last == k.index and v not in operands)
    if v.aval.size == 0 or k.kind != "loop" or k.nested is not None or k.outs != [o]:
        return False
    if last > k.index:
        return False
    if last < k.index:
        return True
    return _elementwise_over(k, v.aval.shape)


def _elementwise_over(k, shape):
    """Every node of ``k`` elementwise on values of ``shape`` or scalars."""
    ok = (tuple(shape), ())
    for n in k.nodes:
        if n.kind != core.ELEMENTWISE or n.out.aval.shape not in ok:
            return False
        if any(getattr(a, "aval", None) is not None and a.aval.shape not in ok
               for a in n.inputs):
            return False
    return True


def unaliased_bases(prog, pairs):
    """Per kernel index, the base Vars whose pointers must not be ``noalias``:
    both sides of every in-place pair the kernel writes."""
    out = {}
    invars = prog.closed.jaxpr.invars
    for pos, outs in pairs.items():
        for j in outs:
            o = prog.outvars[j]
            for k in prog.kernels:
                if o in k.outs:
                    out.setdefault(k.index, set()).update((o, invars[pos]))
    return out
