"""Kernel rules of the collectives over processes (jaxlite/lax/parallel.py).

Under jit, a collective whose axis is bound to the processes is a kernel that
calls the MPI library directly: ``MPI_Allreduce``, ``MPI_Allgather``,
``MPI_Reduce_scatter_block``, ``MPI_Alltoall``, ``MPI_Isend``/``MPI_Irecv``
for ppermute. No Python runs per call. The leaves of a reduced pytree go in
one in-place call per dtype (fewer calls: each is a rendezvous of every
rank, costly on a busy machine): copied into their outputs when the runtime
laid those out contiguously, else through a buffer the kernel keeps; a
dtype's only leaf, and leaves past STAGE_LIMIT bytes, go from input to output
in their own call, with no copy.

The MPI library is the one mpi4py loaded; its functions are registered with
MCJIT under ``jaxlite_mpi_<name>``. The handles (communicator, datatypes,
ops) and this process's rank live in ``jaxlite_mpi_state``, an int64 array
registered under that fixed name and filled from mpi4py (``MPI._handleof``)
when a kernel is emitted, so the IR holds no process-specific value. A
handle is an ``int`` in MPICH's ABI and a pointer in Open MPI's: the kernel
loads the i64 and truncates it or converts it to a pointer, by the size
mpi4py reports.

Each kernel checks, on its first run only, that every rank runs the same
collective on the same types: one ``MPI_Allreduce(MAX)`` of (hash, -hash).
On a mismatch it calls ``jaxlite_mpi_mismatch`` (a ctypes trampoline) which
prints the rank's description of the collective and aborts the job (native
code cannot raise).

When the program runs as one process (no MPI launch, or before
``initialize()``), the kernels are copies: no MPI symbol is needed.
"""
import ctypes
import hashlib
import os
import sys

import numpy as np
import llvmlite.binding as llvm
from llvmlite import ir

from jaxlite.ir import Var
from jaxlite.lax import parallel
from jaxlite.compiler.lltypes import I1, I32, I64, I8, PTR, VOID, declare, elem, i64, lltype
from jaxlite.compiler.registry import kernel_rule

# Slots of jaxlite_mpi_state.
COMM, BYTE, FLOAT, DOUBLE, INT32, INT64, SUM, MAX, MIN, RANK, SIZE, IN_PLACE = range(12)
_STATE = (ctypes.c_int64 * 16)()
llvm.add_symbol("jaxlite_mpi_state", ctypes.addressof(_STATE))
_DTYPE_SLOT = {np.dtype(np.float32): FLOAT, np.dtype(np.float64): DOUBLE,
               np.dtype(np.int32): INT32, np.dtype(np.int64): INT64}
_OP_SLOT = {"psum": SUM, "pmax": MAX, "pmin": MIN}
STAGE_LIMIT = 16 << 20   # bytes of leaves per dtype reduced together in one call
_FUNCTIONS = ["MPI_Allreduce", "MPI_Waitall", "MPI_Allgather",
              "MPI_Reduce_scatter_block", "MPI_Alltoall", "MPI_Isend", "MPI_Irecv"]


class _Library:
    handle_size = None        # bytes of an MPI handle (4: MPICH, 8: Open MPI)
    request_size = status_size = None
    describe = {}             # signature hash -> this rank's description


_lib = _Library()


def _global_name(module, prefix):
    """A fresh name numbered within the module, so the IR (the disk cache's
    key) does not depend on what this process compiled before."""
    taken = sum(1 for name in module.globals if name.startswith(prefix))
    return f"{prefix}{taken}"


def _mismatch(signature):
    # No further MPI call but the abort: the ranks already disagree on what
    # they are doing. Each rank prints its own side.
    backend = parallel.process_backend()
    sys.stderr.write(f"jaxlite: mismatched collective across processes (compiled code): "
                     f"rank {backend.rank} runs {_lib.describe.get(signature, '?')} but "
                     f"another rank runs a different collective or shape; aborting the "
                     f"MPI job\n")
    sys.stderr.flush()
    try:
        backend.comm.Abort(2)
    finally:
        os._exit(2)


_MISMATCH = ctypes.CFUNCTYPE(None, ctypes.c_int64)(_mismatch)
llvm.add_symbol("jaxlite_mpi_mismatch", ctypes.cast(_MISMATCH, ctypes.c_void_p).value)


def _find_library():
    """Register the MPI functions of the library mpi4py loaded (once)."""
    if _lib.handle_size is not None:
        return
    from mpi4py import MPI      # only when compiling a collective over processes
    candidates = [None]         # the global namespace first, then mapped libmpi*
    with open("/proc/self/maps") as maps:
        candidates += sorted({line.split()[-1] for line in maps
                              if "/libmpi" in line and ".so" in line})
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
            addresses = {f: ctypes.cast(getattr(lib, f), ctypes.c_void_p).value
                         for f in _FUNCTIONS}
        except (OSError, AttributeError):
            continue
        for f, address in addresses.items():
            llvm.add_symbol("jaxlite_mpi_" + f[4:].lower(), address)
        _lib.handle_size = MPI._sizeof(MPI.Comm)
        _lib.request_size = MPI._sizeof(MPI.Request)
        _lib.status_size = MPI._sizeof(MPI.Status)
        return
    raise RuntimeError("jaxlite: could not find the MPI library mpi4py loaded "
                       "(no libmpi with MPI_Allreduce in this process)")


def _fill_state(backend):
    MPI = backend.MPI
    values = {COMM: backend.comm, BYTE: MPI.BYTE, FLOAT: MPI.FLOAT, DOUBLE: MPI.DOUBLE,
              INT32: MPI.INT32_T, INT64: MPI.INT64_T, SUM: MPI.SUM, MAX: MPI.MAX,
              MIN: MPI.MIN}
    for slot, obj in values.items():
        _STATE[slot] = ctypes.c_int64(MPI._handleof(obj) & (2 ** 64 - 1)).value
    _STATE[RANK], _STATE[SIZE] = backend.rank, backend.size
    # MPI_IN_PLACE is a constant address: (void *)-1 in MPICH, 1 in Open MPI.
    _STATE[IN_PLACE] = int(MPI.IN_PLACE)


def _processes():
    """The process backend when it spans several processes (MPI), else None."""
    backend = parallel.process_backend()
    if backend.size == 1:
        return None
    _find_library()
    _fill_state(backend)
    return backend


class _Calls:
    """Emits MPI calls inside one kernel."""

    def __init__(self, em):
        self.em, self.b = em, em.b
        self.htype = I32 if _lib.handle_size == 4 else PTR
        state = em.module.globals.get("jaxlite_mpi_state")
        if state is None:
            state = ir.GlobalVariable(em.module, ir.ArrayType(I64, 16), "jaxlite_mpi_state")
        self.state = state

    def slot(self, k):
        word = self.b.load(elem(self.b, self.state, I64, i64(k)), typ=I64)
        return word

    def handle(self, k):
        word = self.slot(k)
        if self.htype is I32:
            return self.b.trunc(word, I32)
        return self.b.inttoptr(word, PTR)

    def pointer(self, k):
        return self.b.inttoptr(self.slot(k), PTR)

    def call(self, name, args):
        # Allocas are typed pointers in llvmlite: view every pointer as `ptr`.
        args = [elem(self.b, a, I8, i64(0)) if isinstance(a.type, ir.PointerType)
                and a.type is not PTR else a for a in args]
        fn = declare(self.em.module, "jaxlite_mpi_" + name, I32, [a.type for a in args])
        return self.b.call(fn, args)

    def check_once(self, node):
        """The first run compares a hash of this collective across ranks."""
        text = (f"{node.prim}[{_params_text(node.params)}] " +
                ", ".join(f"{a.aval.dtype.name}{list(a.aval.shape)}" for a in node.inputs))
        signature = int.from_bytes(hashlib.sha256(text.encode()).digest()[:7], "little")
        _lib.describe[signature] = text
        b = self.b
        module = self.em.module
        flag = ir.GlobalVariable(module, I8, _global_name(module, "jaxlite_mpi_checked_"))
        flag.linkage, flag.initializer = "internal", ir.Constant(I8, 0)
        first = b.icmp_unsigned("==", b.load(flag, typ=I8), ir.Constant(I8, 0))
        with b.if_then(first):
            b.store(ir.Constant(I8, 1), flag)
            pair = self.em.alloca(ir.ArrayType(I64, 2))
            got = self.em.alloca(ir.ArrayType(I64, 2))
            b.store(i64(signature), elem(b, pair, I64, i64(0)))
            b.store(i64(-signature), elem(b, pair, I64, i64(1)))
            self.call("allreduce", [pair, got, ir.Constant(I32, 2), self.handle(INT64),
                                    self.handle(MAX), self.handle(COMM)])
            hi = b.load(elem(b, got, I64, i64(0)), typ=I64)
            lo = b.load(elem(b, got, I64, i64(1)), typ=I64)
            bad = b.or_(b.icmp_signed("!=", hi, i64(signature)),
                        b.icmp_signed("!=", lo, i64(-signature)))
            with b.if_then(bad):
                fn = declare(self.em.module, "jaxlite_mpi_mismatch", VOID, [I64])
                b.call(fn, [i64(signature)])


def _params_text(params):
    return " ".join(f"{k}={v}" for k, v in sorted(params.items()))


def _count(n):
    if n >= 2 ** 31:
        raise ValueError(f"jaxlite: an MPI collective of {n} elements exceeds MPI's int count")
    return ir.Constant(I32, n)


def _in_ptr(em, atom):
    if type(atom) is Var:
        return em.address(atom, i64(0))
    slot = em.alloca(lltype(atom.aval.dtype))        # a literal: a stack copy
    em.b.store(em.value(atom, []), slot)
    return slot


def _out_ptr(em, var):
    return em.address(var, i64(0))


def _nbytes(aval):
    return int(np.prod(aval.shape, dtype=np.int64)) * aval.dtype.itemsize


def _copy(em, dst, src, nbytes):
    if nbytes:
        fn = declare(em.module, "llvm.memcpy.p0.p0.i64", VOID, [PTR, PTR, I64, I1])
        em.b.call(fn, [dst, src, i64(nbytes), ir.Constant(I1, 0)])


def _move(em, dst, src, nbytes):
    fn = declare(em.module, "llvm.memmove.p0.p0.i64", VOID, [PTR, PTR, I64, I1])
    em.b.call(fn, [dst, elem(em.b, src, I8, i64(0)), i64(nbytes), ir.Constant(I1, 0)])


def _zero(em, dst, nbytes):
    if nbytes:
        fn = declare(em.module, "llvm.memset.p0.i64", VOID, [PTR, I8, I64, I1])
        em.b.call(fn, [dst, ir.Constant(I8, 0), i64(nbytes), ir.Constant(I1, 0)])


def _dtype_slot(aval, what):
    slot = _DTYPE_SLOT.get(aval.dtype)
    if slot is None:
        raise TypeError(f"{what} over processes under jit supports float32, float64, int32 "
                        f"and int64 operands, got {aval.dtype.name}")
    return slot


@kernel_rule("psum", "pmax", "pmin", label="mpi", fuses_inputs=False)
def emit_allreduce(em, kernel):
    node = kernel.root
    if _processes() is None:
        for atom, out in zip(node.inputs, node.outvars):
            _copy(em, _out_ptr(em, out), _in_ptr(em, atom), _nbytes(out.aval))
        return
    mpi = _Calls(em)
    mpi.check_once(node)
    op, comm = mpi.handle(_OP_SLOT[node.prim]), mpi.handle(COMM)
    packed, direct = _plan(node)
    for dtype, pairs in packed.items():
        _reduce_together(em, mpi, pairs, mpi.handle(_DTYPE_SLOT[dtype]), op, comm)
    for atom, out in direct:
        mpi.call("allreduce", [_send_ptr(em, mpi, _in_ptr(em, atom), _out_ptr(em, out)),
                               _out_ptr(em, out), _count(out.aval.size),
                               mpi.handle(_DTYPE_SLOT[out.aval.dtype]), op, comm])


def _plan(node):
    """``(packed, direct)``: per dtype the leaves reduced together in one
    call (up to STAGE_LIMIT bytes), and the others (a dtype's only leaf, the
    leaves past the limit) each in its own call from input to output."""
    packed, direct, sizes = {}, [], {}
    for atom, out in zip(node.inputs, node.outvars):
        nbytes, dtype = _nbytes(out.aval), out.aval.dtype
        _dtype_slot(out.aval, node.prim)        # TypeError for a dtype MPI is not given
        if nbytes == 0:
            continue
        if sizes.get(dtype, 0) + nbytes > STAGE_LIMIT:
            direct.append((atom, out))
        else:
            packed.setdefault(dtype, []).append((atom, out))
            sizes[dtype] = sizes.get(dtype, 0) + nbytes
    for dtype in [d for d, pairs in packed.items() if len(pairs) == 1]:
        direct += packed.pop(dtype)
    return packed, direct


def _reduce_together(em, mpi, pairs, datatype, op, comm):
    """One MPI_Allreduce, in place, for the leaves ``pairs`` of one dtype
    (MPI's ``datatype``). If their outputs are contiguous at run time (the
    runtime lays large outputs out in order), the inputs are copied into them
    and reduced there: one copy, as MPI's own from send to receive buffer.
    Otherwise they go through a buffer the kernel keeps: copied in, reduced,
    copied out."""
    b = em.b
    sizes = [_nbytes(out.aval) for _, out in pairs]
    outs = [elem(b, _out_ptr(em, out), I8, i64(0)) for _, out in pairs]
    count = _count(sum(sizes) // pairs[0][1].aval.dtype.itemsize)
    contiguous = ir.Constant(I1, 1)
    for here, there, nbytes in zip(outs, outs[1:], sizes):
        end = b.add(b.ptrtoint(here, I64), i64(nbytes))
        contiguous = b.and_(contiguous, b.icmp_unsigned("==", end, b.ptrtoint(there, I64)))
    with b.if_else(contiguous) as (in_outputs, kept):
        with in_outputs:
            for (atom, _), dst, nbytes in zip(pairs, outs, sizes):
                _move(em, dst, _in_ptr(em, atom), nbytes)      # the input may be the output
            mpi.call("allreduce", [mpi.pointer(IN_PLACE), outs[0], count, datatype, op, comm])
        with kept:
            buf = _persistent(em, sum(sizes))
            offsets = np.cumsum([0] + sizes[:-1]).tolist()
            for (atom, _), offset, nbytes in zip(pairs, offsets, sizes):
                _copy(em, b.gep(buf, [i64(offset)], source_etype=I8), _in_ptr(em, atom), nbytes)
            mpi.call("allreduce", [mpi.pointer(IN_PLACE), buf, count, datatype, op, comm])
            for dst, offset, nbytes in zip(outs, offsets, sizes):
                _copy(em, dst, b.gep(buf, [i64(offset)], source_etype=I8), nbytes)


def _send_ptr(em, mpi, src, dst):
    """``src``, or MPI_IN_PLACE when it is ``dst`` (MPI forbids aliased
    send and receive buffers; the buffer planner should never produce that,
    but a wrong answer would be silent)."""
    b = em.b
    src, dst = elem(b, src, I8, i64(0)), elem(b, dst, I8, i64(0))
    same = b.icmp_unsigned("==", b.ptrtoint(src, I64), b.ptrtoint(dst, I64))
    return b.select(same, mpi.pointer(IN_PLACE), src)


def _persistent(em, nbytes):
    """A buffer of ``nbytes`` this kernel allocates on its first run and keeps."""
    b = em.b
    slot = ir.GlobalVariable(em.module, PTR, _global_name(em.module, "jaxlite_mpi_buffer_"))
    slot.linkage, slot.initializer = "internal", ir.Constant(PTR, None)
    with b.if_then(b.icmp_unsigned("==", b.load(slot, typ=PTR), ir.Constant(PTR, None))):
        malloc = declare(em.module, "malloc", PTR, [I64])
        b.store(b.call(malloc, [i64(max(nbytes, 1))]), slot)
    return b.load(slot, typ=PTR)


def _one_operand(em, node):
    """``(input, output, MPI calls)`` of a one-operand collective, its
    signature checked across ranks; None when this process is alone, after
    copying the input to the output (the collective over one member)."""
    (x,), (out,) = node.inputs, node.outvars
    if _processes() is None:
        _copy(em, _out_ptr(em, out), _in_ptr(em, x), _nbytes(out.aval))
        return None
    mpi = _Calls(em)
    mpi.check_once(node)
    return x, out, mpi


@kernel_rule("all_gather", label="mpi", fuses_inputs=False)
def emit_all_gather(em, kernel):
    started = _one_operand(em, kernel.root)
    if started:
        x, out, mpi = started
        nbytes, byte = _nbytes(x.aval), mpi.handle(BYTE)
        mpi.call("allgather", [_in_ptr(em, x), _count(nbytes), byte, _out_ptr(em, out),
                               _count(nbytes), byte, mpi.handle(COMM)])


@kernel_rule("psum_scatter", label="mpi", fuses_inputs=False)
def emit_psum_scatter(em, kernel):
    started = _one_operand(em, kernel.root)
    if started:
        x, out, mpi = started
        mpi.call("reduce_scatter_block", [
            _in_ptr(em, x), _out_ptr(em, out), _count(out.aval.size),
            mpi.handle(_dtype_slot(x.aval, "psum_scatter")), mpi.handle(SUM), mpi.handle(COMM)])


@kernel_rule("all_to_all", label="mpi", fuses_inputs=False)
def emit_all_to_all(em, kernel):
    started = _one_operand(em, kernel.root)
    if started:
        x, out, mpi = started
        chunk = _nbytes(x.aval) // kernel.root.params["axis_size"]
        byte = mpi.handle(BYTE)
        mpi.call("alltoall", [_in_ptr(em, x), _count(chunk), byte, _out_ptr(em, out),
                              _count(chunk), byte, mpi.handle(COMM)])


@kernel_rule("ppermute", label="mpi", fuses_inputs=False)
def emit_ppermute(em, kernel):
    node = kernel.root
    (x,), (out,) = node.inputs, node.outvars
    perm = node.params["perm"]
    nbytes = _nbytes(out.aval)
    dst_ptr = _out_ptr(em, out)
    if _processes() is None:
        if (0, 0) in perm:
            _copy(em, dst_ptr, _in_ptr(em, x), nbytes)
        else:
            _zero(em, dst_ptr, nbytes)
        return
    mpi = _Calls(em)
    mpi.check_once(node)
    b = em.b
    _zero(em, dst_ptr, nbytes)          # members no one sends to get zeros
    rank = b.trunc(mpi.slot(RANK), I32)
    n = 2 * len(perm)
    requests = em.alloca(ir.ArrayType(I8, max(n, 1) * _lib.request_size))
    statuses = em.alloca(ir.ArrayType(I8, max(n, 1) * _lib.status_size))
    count = em.alloca(I32)
    b.store(ir.Constant(I32, 0), count)
    src_ptr, byte, comm = _in_ptr(em, x), mpi.handle(BYTE), mpi.handle(COMM)
    tag = ir.Constant(I32, 17)
    for src, dst in perm:
        for peer, me, name, buf in ((dst, src, "isend", src_ptr), (src, dst, "irecv", dst_ptr)):
            with b.if_then(b.icmp_signed("==", rank, ir.Constant(I32, me))):
                k = b.load(count, typ=I32)
                offset = b.mul(b.sext(k, I64), i64(_lib.request_size))
                request = b.gep(requests, [offset], source_etype=I8)
                mpi.call(name, [buf, _count(nbytes), byte, ir.Constant(I32, peer), tag, comm,
                                request])
                b.store(b.add(k, ir.Constant(I32, 1)), count)
    mpi.call("waitall", [b.load(count, typ=I32), requests, statuses])


@kernel_rule("axis_index", label="mpi", fuses_inputs=False)
def emit_axis_index(em, kernel):
    node = kernel.root
    out = node.outvars[0]
    if _processes() is None:
        em.store_linear(out, i64(0), ir.Constant(I32, 0))
        return
    mpi = _Calls(em)
    em.store_linear(out, i64(0), em.b.trunc(mpi.slot(RANK), I32))
