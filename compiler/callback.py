"""The kernel rules of the callbacks: compiled code calling back into Python.

The kernel builds an array of its inputs' data pointers and calls
``jaxlite_debug_callback(id, pointers)``, a ctypes CFUNCTYPE trampoline
registered with MCJIT under that fixed name (so the IR, and the on-disk cache
keyed by it, holds no process-specific address). The trampoline views each
pointer as a numpy array of the input's shape and dtype (recorded here when
the kernel is emitted, keyed by the callback's id), copies it and calls
``jaxlite.debug.run_callback``, re-acquiring the GIL as ctypes callbacks do.
An exception in the callback is printed and the program continues (it cannot
unwind through native code). The kernel then writes the token output.

``pure_callback`` and ``io_callback`` (jaxlite/callbacks.py) call
``jaxlite_python_callback(id, inputs, outputs)`` the same way with their
results' pointers too (then write their token): the trampoline copies the checked results there. An
exception is kept for the executable to raise once the program returns
(outputs are zeros meanwhile), so the program still ends with that error.
"""
import ctypes
import sys
import traceback

import numpy as np
import llvmlite.binding as llvm
from llvmlite import ir

from jaxlite import callbacks, debug
from jaxlite.ir import Var
from jaxlite.compiler.lltypes import I64, PTR, VOID, const, declare, elem, i64, lltype
from jaxlite.compiler.registry import kernel_rule

_SYMBOL = "jaxlite_debug_callback"
PYTHON_SYMBOL = "jaxlite_python_callback"
_avals = {}           # debug callback id -> the input avals the kernel passes
_io_avals = {}        # pure/io callback id -> (input avals, result avals)


def _view(aval, address):
    """The buffer at ``address`` as an array of ``aval`` (a new zero array when empty)."""
    n = int(np.prod(aval.shape, dtype=np.int64))
    if n == 0 or not address:
        return np.zeros(aval.shape, aval.dtype)
    buf = (ctypes.c_char * (n * aval.dtype.itemsize)).from_address(address)
    return np.frombuffer(buf, aval.dtype).reshape(aval.shape)


def _trampoline(callback_id, pointers):
    try:
        arrays = [_view(aval, pointers[k]).copy() for k, aval in enumerate(_avals[callback_id])]
        debug.run_callback(callback_id, arrays[1:])     # without the token
    except BaseException:      # noqa: BLE001 (nothing may unwind into native code)
        traceback.print_exc(file=sys.stderr)


def _python_trampoline(callback_id, inputs, outputs):
    in_avals, out_avals = _io_avals[callback_id]
    try:
        # without the token operand (the first)
        arrays = [_view(aval, inputs[k]).copy() for k, aval in enumerate(in_avals) if k]
        results = callbacks.run(callback_id, arrays, out_avals)
    except BaseException as exc:      # noqa: BLE001 (nothing may unwind into native code)
        callbacks.keep_error(exc)
        results = [np.zeros(a.shape, a.dtype) for a in out_avals]
    for k, (aval, value) in enumerate(zip(out_avals, results)):
        if value.size:
            _view(aval, outputs[k])[...] = value


_PTRS = ctypes.POINTER(ctypes.c_void_p)
_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_int64, _PTRS)(_trampoline)
llvm.add_symbol(_SYMBOL, ctypes.cast(_CALLBACK, ctypes.c_void_p).value)
_PYTHON_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_int64, _PTRS, _PTRS)(_python_trampoline)
llvm.add_symbol(PYTHON_SYMBOL, ctypes.cast(_PYTHON_CALLBACK, ctypes.c_void_p).value)


def _pointers(em, atoms, address):
    """A stack array of the atoms' data pointers (a literal: a stack copy of it)."""
    b = em.b
    slots = em.alloca(ir.ArrayType(PTR, max(len(atoms), 1)))
    for k, atom in enumerate(atoms):
        if type(atom) is Var:
            p = address(atom)
        else:
            p = em.alloca(lltype(atom.aval.dtype))
            b.store(em.value(atom, []), p)
        b.store(p, elem(b, slots, PTR, i64(k)))
    return slots


@kernel_rule("debug_callback", label="callback", fuses_inputs=False)
def emit_debug_callback(em, kernel):
    node = kernel.root
    callback_id = node.params["callback"]
    _avals[callback_id] = [a.aval for a in node.inputs]
    slots = _pointers(em, node.inputs, lambda v: em.address(v, i64(0)))
    fn = declare(em.module, _SYMBOL, VOID, [I64, PTR])
    em.b.call(fn, [i64(callback_id), slots])
    out = node.outvars[0]
    em.store_linear(out, i64(0), const(out.aval.dtype, False))


@kernel_rule("pure_callback", "io_callback", label="callback", fuses_inputs=False)
def emit_python_callback(em, kernel):
    node = kernel.root
    callback_id = node.params["callback"]
    _io_avals[callback_id] = ([a.aval for a in node.inputs], list(node.params["result_avals"]))
    address = lambda v: em.address(v, i64(0))    # noqa: E731
    inputs = _pointers(em, node.inputs, address)
    results, token = node.outvars[:-1], node.outvars[-1]
    outputs = _pointers(em, results, address)
    fn = declare(em.module, PYTHON_SYMBOL, VOID, [I64, PTR, PTR])
    em.b.call(fn, [i64(callback_id), inputs, outputs])
    em.store_linear(token, i64(0), const(token.aval.dtype, False))
