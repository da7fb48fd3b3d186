"""The kernel rule of ``debug_callback``: compiled code calling back into Python.

The kernel builds an array of its inputs' data pointers and calls
``jaxlite_debug_callback(id, pointers)``, a ctypes CFUNCTYPE trampoline
registered with MCJIT under that fixed name (so the IR, and the on-disk cache
keyed by it, holds no process-specific address). The trampoline views each
pointer as a numpy array of the input's shape and dtype (recorded here when
the kernel is emitted, keyed by the callback's id), copies it and calls
``jaxlite.debug.run_callback``, re-acquiring the GIL as ctypes callbacks do.
An exception in the callback is printed and the program continues (it cannot
unwind through native code). The kernel then writes the token output.
"""
import ctypes
import sys
import traceback

import numpy as np
import llvmlite.binding as llvm
from llvmlite import ir

from jaxlite import debug
from jaxlite.ir import Var
from jaxlite.compiler.lltypes import I64, PTR, VOID, const, declare, elem, i64, lltype
from jaxlite.compiler.registry import kernel_rule

_SYMBOL = "jaxlite_debug_callback"
_avals = {}           # callback id -> the input avals the kernel passes


def _trampoline(callback_id, pointers):
    try:
        arrays = []
        for k, aval in enumerate(_avals[callback_id]):
            n = int(np.prod(aval.shape, dtype=np.int64))
            address = pointers[k]
            if n == 0 or not address:
                arrays.append(np.zeros(aval.shape, aval.dtype))
                continue
            buf = (ctypes.c_char * (n * aval.dtype.itemsize)).from_address(address)
            arrays.append(np.frombuffer(buf, aval.dtype).reshape(aval.shape).copy())
        debug.run_callback(callback_id, arrays[1:])     # without the token
    except BaseException:      # noqa: BLE001 (nothing may unwind into native code)
        traceback.print_exc(file=sys.stderr)


_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.POINTER(ctypes.c_void_p))(_trampoline)
llvm.add_symbol(_SYMBOL, ctypes.cast(_CALLBACK, ctypes.c_void_p).value)


@kernel_rule("debug_callback", label="callback", fuses_inputs=False)
def emit_debug_callback(em, kernel):
    node = kernel.root
    callback_id = node.params["callback"]
    _avals[callback_id] = [a.aval for a in node.inputs]
    b = em.b
    n = len(node.inputs)
    slots = em.alloca(ir.ArrayType(PTR, max(n, 1)))
    for k, atom in enumerate(node.inputs):
        if type(atom) is Var:
            p = em.address(atom, i64(0))
        else:                                  # a literal: pass a stack copy
            p = em.alloca(lltype(atom.aval.dtype))
            b.store(em.value(atom, []), p)
        b.store(p, elem(b, slots, PTR, i64(k)))
    fn = declare(em.module, _SYMBOL, VOID, [I64, PTR])
    b.call(fn, [i64(callback_id), slots])
    out = node.outvars[0]
    em.store_linear(out, i64(0), const(out.aval.dtype, False))
