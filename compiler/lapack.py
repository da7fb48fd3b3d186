"""Kernel rules for the decompositions of ``jaxlite.lax.linalg``: LAPACK calls.

Each kernel loops over the batch (the leading axes) and, per matrix, copies
the input into a workspace laid out as LAPACK wants it (column-major), calls
the routine, and writes the row-major outputs; a failure (``info != 0`` where
the result is unusable) fills that matrix's outputs with NaN, as JAX does.

The routines come from the OpenBLAS that numpy ships (``native.find_blas``):
numpy 2 wheels export them as ``scipy_dpotrf_64_`` (ILP64 integers); plain
``dpotrf_`` (and ``dpotrf_64_``) are accepted too. Without them, scipy's
``cython_lapack``/``cython_blas`` function pointers (32-bit integers) are used
when scipy is importable; otherwise compiling raises a RuntimeError naming
the missing routine (never a Python fallback at run time). Each symbol is
registered with MCJIT under jaxlite's own name, like the GEMM symbols.

Every argument is passed by pointer (the Fortran convention), followed by
the hidden lengths of the character arguments (1 each; a routine that takes
none ignores them). Shapes are static, so sizes, leading dimensions and
workspace lengths are constants checked here, before any native code runs.
"""
import ctypes
import threading

import numpy as np
import llvmlite.binding as llvm
from llvmlite import ir

from jaxlite.compiler import jacobi, loops, native, threadpool
from jaxlite.compiler.lltypes import (F32, I8, I32, I64, PTR, VOID, const, declare, elem, field,
                                      i64, lltype)
from jaxlite.compiler.registry import kernel_rule

_lock = threading.Lock()
_found = {}          # "dpotrf" -> (alias, int bits)
_BLAS_ROUTINES = {"trsm"}   # in cython_blas rather than cython_lapack


class Routine:
    """A resolved LAPACK/BLAS routine: the alias to call and its integer type."""

    def __init__(self, alias, int_bits):
        self.alias, self.int_bits = alias, int_bits
        self.itype = I64 if int_bits == 64 else I32


def _prefix(dtype):
    return {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}[np.dtype(dtype)]


def _from_numpy_openblas(name):
    blas = native.find_blas()
    if blas is None:
        return None
    lib = ctypes.CDLL(blas.path)
    for symbol, bits in ((f"scipy_{name}_64_", 64), (f"{name}_64_", 64),
                         (f"scipy_{name}_", blas.int_bits), (f"{name}_", blas.int_bits)):
        if hasattr(lib, symbol):
            return ctypes.cast(getattr(lib, symbol), ctypes.c_void_p).value, bits
    return None


def _from_scipy(name):
    try:
        if name[1:] in _BLAS_ROUTINES:
            from scipy.linalg import cython_blas as module     # optional: only this fallback
        else:
            from scipy.linalg import cython_lapack as module   # optional: only this fallback
    except ImportError:
        return None
    capsule = module.__pyx_capi__.get(name)
    if capsule is None:
        return None
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object,
                                                                  ctypes.c_char_p]
    return get_pointer(capsule, get_name(capsule)), 32


def routine(name, dtype):
    """The Routine for ``name`` ("potrf", ...) in ``dtype``; RuntimeError if absent."""
    full = _prefix(dtype) + name
    with _lock:
        if full not in _found:
            hit, source = _from_numpy_openblas(full), "openblas"
            if hit is None or not hit[0]:
                hit, source = _from_scipy(full), "scipy"
            if hit is None or not hit[0]:
                raise RuntimeError(
                    f"jit: the LAPACK routine {full} was found neither in numpy's OpenBLAS "
                    f"nor in scipy.linalg.cython_lapack; linear algebra under jit needs one "
                    f"of them (eager evaluation still works)")
            # The source is in the name: both may be registered, with different ints.
            alias = f"jaxlite_lapack_{full}_{source}{hit[1]}"
            llvm.add_symbol(alias, hit[0])
            _found[full] = (alias, hit[1])
    return Routine(*_found[full])


# ------------------------------------------------------------- IR helpers

class _Call:
    """Builds one routine's argument list: every value through a stack slot."""

    def __init__(self, em, rt):
        self.em, self.rt, self.args, self.chars = em, rt, [], 0
        self.largest = 0       # the largest constant size: the call's flops ~ its cube

    def int(self, value):
        if isinstance(value, int):
            self.largest = max(self.largest, value)
        return self._slot(self.rt.itype, ir.Constant(self.rt.itype, value)
                          if isinstance(value, int) else value)

    def char(self, c):
        self.chars += 1
        return self._slot(I8, ir.Constant(I8, ord(c)))

    def scalar(self, dtype, value):
        return self._slot(lltype(dtype), const(dtype, value))

    def _slot(self, ty, value):
        slot = self.em.alloca(ty)
        self.em.b.store(value, slot)
        self.args.append(slot)
        return slot

    def ptr(self, p):
        self.args.append(p)
        return p

    def emit(self, threads=None):
        """The call; ``threads`` (OpenBLAS threads for it) defaults to the policy by size."""
        args = self.args + [i64(1)] * self.chars
        fn = declare(self.em.module, self.rt.alias, VOID, [PTR] * len(self.args)
                     + [I64] * self.chars)
        # Thread count by size, as for GEMMs (numpy's OpenBLAS only; see native).
        blas = _openblas(self.rt)
        if blas is None:
            threads = None
        elif threads is None:
            threads = native.blas_call_threads(blas, self.largest ** 3)
        if threads:
            knob = declare(self.em.module, blas.set_threads_alias, I32, [I32])
            previous = self.em.b.call(knob, [ir.Constant(I32, threads)])
        self.em.b.call(fn, args)
        if threads:
            self.em.b.call(knob, [previous])


def _openblas(rt):
    """numpy's OpenBLAS when ``rt`` comes from it (its thread count can be set per call)."""
    return native.find_blas() if rt.alias.endswith(("openblas64", "openblas32")) else None


class _Body:
    """The little an IR helper needs of an Emitter, for a function of our own."""

    def __init__(self, module, fn):
        self.module, self.b = module, ir.IRBuilder(fn.append_basic_block("entry"))

    def alloca(self, ty):
        with self.b.goto_entry_block():
            return self.b.alloca(ty)


def _elem(b, ptr, dtype, index):
    return elem(b, ptr, lltype(dtype), index if not isinstance(index, int) else i64(index))


def _copy(b, module, dst, src, nbytes):
    if nbytes:
        fn = declare(module, "llvm.memcpy.p0.p0.i64", VOID, [PTR, PTR, I64, ir.IntType(1)])
        b.call(fn, [dst, src, i64(nbytes), ir.Constant(ir.IntType(1), 0)])


def _transpose(b, dst, src, dtype, rows, cols, name):
    """dst (cols x rows, row-major) = src (rows x cols, row-major) transposed:
    a row-major matrix to column-major, or back. By 4x4 blocks transposed in
    registers (four vector loads, shuffles, four vector stores); an element-wise
    loop became vector scatters or gathers, several times slower on a 500x500."""
    ty = lltype(dtype)

    def scalar(i, j):
        v = b.load(_elem(b, src, dtype, b.add(b.mul(i, i64(cols)), j)), typ=ty)
        b.store(v, _elem(b, dst, dtype, b.add(b.mul(j, i64(rows)), i)))
    with loops.for_range(b, rows // 4, name=f"{name}R") as bi:
        i0 = b.mul(bi, i64(4))
        with loops.for_range(b, cols // 4, name=f"{name}C") as bj:
            j0 = b.mul(bj, i64(4))
            _store_block(b, dst, dtype, rows, j0, i0,
                         _transpose4(b, _load_block(b, src, dtype, cols, i0, j0)))
        with loops.for_range(b, cols, start=cols // 4 * 4, name=f"{name}c") as j:
            for k in range(4):
                scalar(b.add(i0, i64(k)), j)
    with loops.for_range(b, rows, start=rows // 4 * 4, name=f"{name}r") as i:
        with loops.for_range(b, cols, name=f"{name}rc") as j:
            scalar(i, j)


def _load_block(b, ptr, dtype, ld, i0, j0):
    """Rows i0..i0+3, columns j0..j0+3 of a row-major matrix: four vectors."""
    vt = ir.VectorType(lltype(dtype), 4)
    return [b.load(_elem(b, ptr, dtype, b.add(b.mul(b.add(i0, i64(k)), i64(ld)), j0)),
                   typ=vt, align=dtype.itemsize) for k in range(4)]


def _store_block(b, ptr, dtype, ld, i0, j0, block):
    for k, v in enumerate(block):
        at = b.add(b.mul(b.add(i0, i64(k)), i64(ld)), j0)
        b.store(v, _elem(b, ptr, dtype, at), align=dtype.itemsize)


def _transpose4(b, r):
    """The transpose of the 4x4 block whose rows are the vectors ``r``."""
    def shuffle(x, y, mask):
        return b.shuffle_vector(x, y, ir.Constant(ir.VectorType(I32, 4), mask))
    t0, t1 = shuffle(r[0], r[1], [0, 4, 2, 6]), shuffle(r[0], r[1], [1, 5, 3, 7])
    t2, t3 = shuffle(r[2], r[3], [0, 4, 2, 6]), shuffle(r[2], r[3], [1, 5, 3, 7])
    return [shuffle(t0, t2, [0, 1, 4, 5]), shuffle(t1, t3, [0, 1, 4, 5]),
            shuffle(t0, t2, [2, 3, 6, 7]), shuffle(t1, t3, [2, 3, 6, 7])]


def _transpose_in_place(b, ptr, dtype, n, name):
    """The square row-major matrix at ptr transposed in place: 4x4 blocks swapped
    with their mirror (each transposed in registers), then the remainder pairs."""
    ty = lltype(dtype)
    n4 = n // 4 * 4
    with loops.for_range(b, n // 4, name=f"{name}R") as bi:
        i0 = b.mul(bi, i64(4))
        _store_block(b, ptr, dtype, n, i0, i0, _transpose4(b, _load_block(b, ptr, dtype, n,
                                                                          i0, i0)))
        with loops.for_range(b, n // 4, start=b.add(bi, i64(1)), name=f"{name}C") as bj:
            j0 = b.mul(bj, i64(4))
            upper = _transpose4(b, _load_block(b, ptr, dtype, n, i0, j0))
            lower = _transpose4(b, _load_block(b, ptr, dtype, n, j0, i0))
            _store_block(b, ptr, dtype, n, j0, i0, upper)
            _store_block(b, ptr, dtype, n, i0, j0, lower)
    with loops.for_range(b, n, name=f"{name}r") as i:      # pairs (i, j > i) with j >= n4
        start = b.select(b.icmp_signed(">", b.add(i, i64(1)), i64(n4)), b.add(i, i64(1)),
                         i64(n4))
        with loops.for_range(b, n, start=start, name=f"{name}c") as j:
            pij = _elem(b, ptr, dtype, b.add(b.mul(i, i64(n)), j))
            pji = _elem(b, ptr, dtype, b.add(b.mul(j, i64(n)), i))
            x, y = b.load(pij, typ=ty), b.load(pji, typ=ty)
            b.store(y, pij)
            b.store(x, pji)


def _fill(b, ptr, dtype, count, value, name="fill"):
    with loops.for_range(b, count, name=name) as i:
        b.store(const(dtype, value), _elem(b, ptr, dtype, i))


def _eye(b, ptr, dtype, rows, cols, name="eye"):
    _fill(b, ptr, dtype, rows * cols, 0, name)
    with loops.for_range(b, min(rows, cols), name=f"{name}d") as i:
        b.store(const(dtype, 1), _elem(b, ptr, dtype, b.mul(i, i64(cols + 1))))


def _fix_signs(em, ptr, dt, count, length, vec_stride, elem_stride, partner=None, name="sg"):
    """Negate each of ``count`` vectors (element i of vector j at
    j*vec_stride + i*elem_stride) whose entry of largest magnitude (the first)
    is negative, and the same vector of ``partner`` (ptr, length, vec_stride,
    elem_stride): the sign convention of the eager implementation."""
    b, ty = em.b, lltype(dt)
    best, neg = em.alloca(ty), em.alloca(ir.IntType(1))
    fabs = declare(b.module, f"llvm.fabs.{'f32' if ty == F32 else 'f64'}", ty, [ty])
    with loops.for_range(b, count, name=f"{name}v") as j:
        b.store(const(dt, -1.0), best)
        b.store(ir.Constant(ir.IntType(1), 0), neg)
        base = b.mul(j, i64(vec_stride))
        with loops.for_range(b, length, name=f"{name}e") as i:
            x = b.load(_elem(b, ptr, dt, b.add(base, b.mul(i, i64(elem_stride)))), typ=ty)
            mag = b.call(fabs, [x])
            larger = b.fcmp_ordered(">", mag, b.load(best))
            b.store(b.select(larger, mag, b.load(best)), best)
            b.store(b.select(larger, b.fcmp_ordered("<", x, const(dt, 0)), b.load(neg)), neg)
        with b.if_then(b.load(neg)):
            targets = [(ptr, length, vec_stride, elem_stride)] + ([partner] if partner else [])
            for t, (p, n, vs, es) in enumerate(targets):
                pbase = b.mul(j, i64(vs))
                with loops.for_range(b, n, name=f"{name}n{t}") as i:
                    at = _elem(b, p, dt, b.add(pbase, b.mul(i, i64(es))))
                    b.store(b.fneg(b.load(at, typ=ty)), at)


def _malloc(em, nbytes):
    return em.b.call(declare(em.module, "malloc", PTR, [I64]), [i64(max(nbytes, 8))])


def _free(em, ptr):
    em.b.call(declare(em.module, "free", VOID, [PTR]), [ptr])


def _failed(em, info_slot, itype):
    return em.b.icmp_signed("!=", em.b.load(info_slot, typ=itype), ir.Constant(itype, 0))


def _batch(var, ndim_matrix=2):
    return int(np.prod(var.aval.shape[:-ndim_matrix], dtype=np.int64))


def _ptr(em, v, bi, per):
    return em.address(v, em.b.mul(bi, i64(per)))


def _ld(n):
    return max(1, n)


# ------------------------------------------------------------------- rules

# Matrices up to this size are factored / solved by loops emitted here (the
# same algorithms as the eager implementations): for a batch of small matrices
# a LAPACK call per matrix costs more than the arithmetic.
SMALL = 16


def _at(b, ptr, dt, ncols, i, j):
    return _elem(b, ptr, dt, b.add(b.mul(i, i64(ncols)), j))


def _small_cholesky(em, dst, dt, n):
    """Lower Cholesky factor in place (row-major, lower triangle read); NaN on failure."""
    b, ty = em.b, lltype(dt)
    ok, acc = em.alloca(ir.IntType(1)), em.alloca(ty)
    sqrt = declare(b.module, f"llvm.sqrt.{'f32' if ty == F32 else 'f64'}", ty, [ty])
    b.store(ir.Constant(ir.IntType(1), 1), ok)

    def dot_sub(i, j, k_end):        # acc = dst[i, j] - sum_k<k_end dst[i, k] dst[j, k]
        b.store(b.load(_at(b, dst, dt, n, i, j), typ=ty), acc)
        with loops.for_range(b, k_end, name="k") as k:
            prod = b.fmul(b.load(_at(b, dst, dt, n, i, k), typ=ty),
                          b.load(_at(b, dst, dt, n, j, k), typ=ty))
            b.store(b.fsub(b.load(acc), prod), acc)
        return b.load(acc)
    with loops.for_range(b, n, name="j") as j:
        s = dot_sub(j, j, j)
        b.store(b.and_(b.load(ok), b.fcmp_ordered(">", s, const(dt, 0))), ok)
        d = b.call(sqrt, [s])
        b.store(d, _at(b, dst, dt, n, j, j))
        with loops.for_range(b, n, start=b.add(j, i64(1)), name="i") as i:
            b.store(b.fdiv(dot_sub(i, j, j), d), _at(b, dst, dt, n, i, j))
    return b.load(ok)


@kernel_rule("cholesky", label="lapack", fuses_inputs=False)
def emit_cholesky(em, kernel):
    node = kernel.root
    (a,), out = node.inputs, node.out
    dt = a.aval.dtype
    n = a.aval.shape[-1]
    if n == 0 or a.aval.size == 0:
        return
    rt = None if n <= SMALL else routine("potrf", dt)
    b = em.b
    size = n * n
    info = em.alloca(rt.itype) if rt else None
    with loops.for_range(b, _batch(a), name="mat") as bi:
        src, dst = _ptr(em, a, bi, size), _ptr(em, out, bi, size)
        _copy(b, em.module, dst, src, size * dt.itemsize)
        if rt is None:
            failed = b.not_(_small_cholesky(em, dst, dt, n))
        else:
            # Row-major lower == column-major upper: potrf('U') factors it in place.
            call = _Call(em, rt)
            call.char("U"), call.int(n), call.ptr(dst), call.int(_ld(n)), call.ptr(info)
            call.emit()
            failed = _failed(em, info, rt.itype)
        with b.if_else(failed) as (bad, good):
            with bad:
                _fill(b, dst, dt, size, np.nan)
            with good:          # the strict upper triangle still holds the input
                with loops.for_range(b, n, name="r") as i:
                    with loops.for_range(b, n, start=b.add(i, i64(1)), name="c") as j:
                        b.store(const(dt, 0), _elem(b, dst, dt, b.add(b.mul(i, i64(n)), j)))


def _substitute(em, pa, px, dt, m, rows, cols, p):
    """Solve in place (px holds b) by substitution. A right-side solve
    x op(A) = b is op(A)^T x^T = b^T: the same loops on transposed views."""
    b, ty = em.b, lltype(dt)
    left = p["left_side"]
    trans = p["transpose_a"] != (not left)        # T = op(A) (left) or op(A)^T (right)
    forward = p["lower"] != trans                 # T lower: forward substitution
    n_rhs, si, sc = (cols, cols, 1) if left else (rows, 1, m)
    acc = em.alloca(ty)

    def t_at(i, k):     # T[i, k]
        r, c = (k, i) if trans else (i, k)
        return b.load(_elem(b, pa, dt, b.add(b.mul(r, i64(m)), c)), typ=ty)

    def x_at(i, c):
        return _elem(b, px, dt, b.add(b.mul(i, i64(si)), b.mul(c, i64(sc))))
    with loops.for_range(b, n_rhs, name="rhs") as c:
        with loops.for_range(b, m, name="row") as step:
            i = step if forward else b.sub(i64(m - 1), step)
            b.store(b.load(x_at(i, c), typ=ty), acc)
            lo, hi = (i64(0), i) if forward else (b.add(i, i64(1)), i64(m))
            with loops.for_range(b, hi, start=lo, name="k") as k:
                prod = b.fmul(t_at(i, k), b.load(x_at(k, c), typ=ty))
                b.store(b.fsub(b.load(acc), prod), acc)
            val = b.load(acc)
            if not p["unit_diagonal"]:
                val = b.fdiv(val, t_at(i, i))
            b.store(val, x_at(i, c))


@kernel_rule("triangular_solve", label="lapack", fuses_inputs=False)
def emit_triangular_solve(em, kernel):
    node = kernel.root
    a, rhs = node.inputs
    out = node.out
    p = node.params
    dt = out.aval.dtype
    m = a.aval.shape[-1]
    rows, cols = out.aval.shape[-2:]
    if out.aval.size == 0:
        return
    b = em.b
    if m <= SMALL:
        with loops.for_range(b, _batch(out), name="mat") as bi:
            pa, pb = _ptr(em, a, bi, m * m), _ptr(em, rhs, bi, rows * cols)
            dst = _ptr(em, out, bi, rows * cols)
            _copy(b, em.module, dst, pb, rows * cols * dt.itemsize)
            _substitute(em, pa, dst, dt, m, rows, cols, p)
        return
    rt = routine("trsm", dt)
    # Column-major, the buffers hold A^T and B^T: op(A) X = B becomes
    # X^T op(A)^T = B^T, a right-side solve with the other triangle.
    side = "R" if p["left_side"] else "L"
    uplo = "U" if p["lower"] else "L"
    trans = "T" if p["transpose_a"] else "N"
    diag = "U" if p["unit_diagonal"] else "N"
    flags = (side, uplo, trans, diag)
    split = _trsm_blocks(rt, m, cols if p["left_side"] else rows)
    with loops.for_range(b, _batch(out), name="mat") as bi:
        pa, pb = _ptr(em, a, bi, m * m), _ptr(em, rhs, bi, rows * cols)
        dst = _ptr(em, out, bi, rows * cols)
        _copy(b, em.module, dst, pb, rows * cols * dt.itemsize)
        if split:
            _pool_trsm(em, rt, flags, dt, m, rows, cols, p["left_side"], pa, dst, *split)
        else:
            call = _Call(em, rt)
            for c in flags:
                call.char(c)
            call.int(cols), call.int(rows), call.scalar(dt, 1.0)
            call.ptr(pa), call.int(_ld(m)), call.ptr(dst), call.int(_ld(cols))
            call.emit()


# A large triangular solve is cut into blocks of right-hand sides (independent
# solves) of about this many flops that jaxlite's worker pool runs as
# single-threaded calls, as gemm.py does for products: LAPACK-level calls on
# OpenBLAS's own threads stay single-threaded at these sizes (native).
TRSM_CHUNK_FLOPS = 1 << 22
TRSM_CHUNKS_PER_THREAD = 2
TRSM_BLOCK_UNIT = 16


def _trsm_blocks(rt, m, extent):
    """(block, chunks, threads) splitting ``extent`` right-hand sides of an m x m
    solve over the pool, or None to make one call."""
    blas = _openblas(rt)
    threads = native.kernel_threads()
    flops = m * m * extent
    if (blas is None or native.requested_blas_threads(blas) or threads < 2
            or flops < native.BLAS_PARALLEL_MIN_FLOPS or not threadpool.available()):
        return None
    wanted = min(max(flops // TRSM_CHUNK_FLOPS, threads), threads * TRSM_CHUNKS_PER_THREAD)
    per_chunk = -(-extent // wanted)
    block = -(-per_chunk // TRSM_BLOCK_UNIT) * TRSM_BLOCK_UNIT
    chunks = -(-extent // block)
    return (block, chunks, threads) if chunks > 1 else None


def _pool_trsm(em, rt, flags, dt, m, rows, cols, left, pa, dst, block, chunks, threads):
    """The solve of one matrix as ``chunks`` blocks run by the worker pool. In the
    column-major view the right-hand sides are the rows of X^T (left side: a
    right-side solve) or its columns (right side: a left-side solve)."""
    b, module = em.b, em.module
    ctx_type = ir.LiteralStructType([PTR, PTR])
    name = "jaxlite_trsm_blocks"
    while name in module.globals:
        name += "_"
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR, I64]), name=name)
    fn.linkage = "internal"
    body = _Body(module, fn)
    ctx, chunk = fn.args
    bb = body.b
    a_ptr, x_ptr = (bb.load(field(bb, ctx, ctx_type, i), typ=PTR) for i in (0, 1))
    extent = cols if left else rows
    lo = bb.mul(chunk, i64(block))
    hi = bb.add(lo, i64(block))
    size = bb.sub(bb.select(bb.icmp_signed("<", hi, i64(extent)), hi, i64(extent)), lo)
    size = size if rt.itype == I64 else bb.trunc(size, rt.itype)
    first = _elem(bb, x_ptr, dt, lo if left else bb.mul(lo, i64(cols)))
    call = _Call(body, rt)
    for c in flags:
        call.char(c)
    call.int(size if left else cols), call.int(rows if left else size), call.scalar(dt, 1.0)
    call.ptr(a_ptr), call.int(_ld(m)), call.ptr(first), call.int(_ld(cols))
    call.emit(threads=1)
    bb.ret_void()
    slot = em.alloca(ctx_type)
    for i, value in enumerate((pa, dst)):
        b.store(value, field(b, slot, ctx_type, i))
    run = declare(module, threadpool.PARALLEL_FOR, VOID, [PTR, PTR, I64, I64])
    b.call(run, [fn, slot, i64(chunks), i64(threads)])


def _small_lu(em, x, piv, perm, dt, idt, m, n):
    """Partial pivoting in place on row-major x (m, n), as the eager implementation:
    the first entry of largest magnitude pivots; a zero pivot leaves its column."""
    b, ty, ity = em.b, lltype(dt), lltype(idt)
    best, at = em.alloca(ty), em.alloca(I64)
    fabs = declare(b.module, f"llvm.fabs.{'f32' if ty == F32 else 'f64'}", ty, [ty])

    with loops.for_range(b, min(m, n), name="j") as j:
        b.store(const(dt, -1.0), best)
        b.store(j, at)
        with loops.for_range(b, m, start=j, name="i") as i:
            mag = b.call(fabs, [b.load(_at(b, x, dt, n, i, j), typ=ty)])
            larger = b.fcmp_ordered(">", mag, b.load(best))
            b.store(b.select(larger, mag, b.load(best)), best)
            b.store(b.select(larger, i, b.load(at)), at)
        p = b.load(at)
        b.store(b.trunc(p, ity) if ity != I64 else p, _elem(b, piv, idt, j))
        pj, pp = _elem(b, perm, idt, j), _elem(b, perm, idt, p)
        vj, vp = b.load(pj, typ=ity), b.load(pp, typ=ity)
        b.store(vp, pj)
        b.store(vj, pp)
        with loops.for_range(b, n, name="c") as c:
            rj, rp = _at(b, x, dt, n, j, c), _at(b, x, dt, n, p, c)
            vj, vp = b.load(rj, typ=ty), b.load(rp, typ=ty)
            b.store(vp, rj)
            b.store(vj, rp)
        pivot = b.load(_at(b, x, dt, n, j, j), typ=ty)
        nonzero = b.fcmp_unordered("une", pivot, const(dt, 0))
        with loops.for_range(b, m, start=b.add(j, i64(1)), name="r") as r:
            xr = _at(b, x, dt, n, r, j)
            v = b.load(xr, typ=ty)
            lv = b.select(nonzero, b.fdiv(v, pivot), v)
            b.store(lv, xr)
            with loops.for_range(b, n, start=b.add(j, i64(1)), name="u") as c:
                xc = _at(b, x, dt, n, r, c)
                upd = b.fmul(lv, b.load(_at(b, x, dt, n, j, c), typ=ty))
                b.store(b.fsub(b.load(xc, typ=ty), upd), xc)


@kernel_rule("lu", label="lapack", fuses_inputs=False)
def emit_lu(em, kernel):
    node = kernel.root
    (a,) = node.inputs
    lu_out, piv_out, perm_out = node.outvars
    dt = a.aval.dtype
    m, n = a.aval.shape[-2:]
    k = min(m, n)
    nb = _batch(a)
    if nb == 0 or m == 0:
        return
    b = em.b
    idt = piv_out.aval.dtype
    ity = lltype(idt)
    with loops.for_range(b, nb, name="mat") as bi:
        perm = _ptr(em, perm_out, bi, m)
        with loops.for_range(b, m, name="p") as i:
            b.store(b.trunc(i, ity) if ity != I64 else i, _elem(b, perm, idt, i))
    if k == 0:
        return
    if max(m, n) <= SMALL:
        with loops.for_range(b, nb, name="mat") as bi:
            src, dst = _ptr(em, a, bi, m * n), _ptr(em, lu_out, bi, m * n)
            _copy(b, em.module, dst, src, m * n * dt.itemsize)
            _small_lu(em, dst, _ptr(em, piv_out, bi, k), _ptr(em, perm_out, bi, m), dt, idt,
                      m, n)
        return
    rt = routine("getrf", dt)
    # A square matrix is factored in the output buffer, transposed in place after:
    # a fresh n x n workspace cost a page fault per 4 KB on every call.
    square = m == n
    ws_elems = 0 if square else m * n
    ws = _malloc(em, ws_elems * dt.itemsize + k * rt.int_bits // 8)
    ipiv = b.gep(ws, [i64(ws_elems * dt.itemsize)], source_etype=I8)
    info = em.alloca(rt.itype)
    with loops.for_range(b, nb, name="mat") as bi:
        src, dst = _ptr(em, a, bi, m * n), _ptr(em, lu_out, bi, m * n)
        piv, perm = _ptr(em, piv_out, bi, k), _ptr(em, perm_out, bi, m)
        work = dst if square else ws
        _transpose(b, work, src, dt, m, n, "in")
        call = _Call(em, rt)
        call.int(m), call.int(n), call.ptr(work), call.int(_ld(m)), call.ptr(ipiv)
        call.ptr(info)
        call.emit()
        if square:
            _transpose_in_place(b, dst, dt, n, "out")
        else:
            _transpose(b, dst, ws, dt, n, m, "out")
        with loops.for_range(b, k, name="pv") as i:
            p1 = b.load(b.gep(ipiv, [i], source_etype=rt.itype), typ=rt.itype)
            p0 = b.sub(p1, ir.Constant(rt.itype, 1))
            p0 = b.trunc(p0, ity) if rt.itype.width > ity.width else \
                (b.sext(p0, ity) if rt.itype.width < ity.width else p0)
            b.store(p0, _elem(b, piv, idt, i))
            # Apply the swap to the permutation: perm[i] <-> perm[p].
            j = b.sext(p0, I64) if ity != I64 else p0
            pi, pj = _elem(b, perm, idt, i), _elem(b, perm, idt, j)
            vi, vj = b.load(pi, typ=ity), b.load(pj, typ=ity)
            b.store(vj, pi)
            b.store(vi, pj)
    _free(em, ws)


@kernel_rule("qr", label="lapack", fuses_inputs=False)
def emit_qr(em, kernel):
    node = kernel.root
    (a,) = node.inputs
    q_out, r_out = node.outvars
    dt = a.aval.dtype
    m, n = a.aval.shape[-2:]
    k = min(m, n)
    qc = q_out.aval.shape[-1]                 # m (full) or k
    rr = r_out.aval.shape[-2]
    nb = _batch(a)
    if nb == 0 or m == 0:
        return
    b = em.b
    wcols = max(n, qc)
    lwork = max(1, 64 * wcols)
    ws = _malloc(em, (m * wcols + k + lwork) * dt.itemsize)
    tau = _elem(b, ws, dt, m * wcols)
    work = _elem(b, ws, dt, m * wcols + k)
    geqrf, orgqr = routine("geqrf", dt), routine("orgqr", dt)
    info = em.alloca(geqrf.itype)
    with loops.for_range(b, nb, name="mat") as bi:
        src = _ptr(em, a, bi, m * n)
        q, r = _ptr(em, q_out, bi, m * qc), _ptr(em, r_out, bi, rr * n)
        _transpose(b, ws, src, dt, m, n, "in")
        call = _Call(em, geqrf)
        call.int(m), call.int(n), call.ptr(ws), call.int(m), call.ptr(tau), call.ptr(work)
        call.int(lwork), call.ptr(info)
        call.emit()
        # R: the upper triangle of the factored matrix (column-major in ws).
        ty = lltype(dt)
        with loops.for_range(b, rr, name="ri") as i:
            with loops.for_range(b, n, name="rj") as j:
                v = b.load(_elem(b, ws, dt, b.add(i, b.mul(j, i64(m)))), typ=ty)
                keep = b.and_(b.icmp_signed("<=", i, j), b.icmp_signed("<", i, i64(k)))
                b.store(b.select(keep, v, const(dt, 0)),
                        _elem(b, r, dt, b.add(b.mul(i, i64(n)), j)))
        call = _Call(em, orgqr)
        call.int(m), call.int(qc), call.int(k), call.ptr(ws), call.int(m), call.ptr(tau)
        call.ptr(work), call.int(lwork), call.ptr(info)
        call.emit()
        _transpose(b, q, ws, dt, qc, m, "q")
    _free(em, ws)


@kernel_rule("eigh", label="lapack", fuses_inputs=False)
def emit_eigh(em, kernel):
    node = kernel.root
    (a,) = node.inputs
    v_out, w_out = node.outvars
    dt = a.aval.dtype
    n = a.aval.shape[-1]
    nb = _batch(a)
    if nb == 0 or n == 0:
        return
    if jacobi.worth_it(n, nb):      # small matrices, one per SIMD lane: no LAPACK call
        jacobi.emit_eigh(em, a, v_out, w_out, node.params["lower"])
        return
    b = em.b
    rt = routine("syevd", dt)
    lwork, liwork = 1 + 6 * n + 2 * n * n, 3 + 5 * n
    isize = rt.int_bits // 8
    ws = _malloc(em, (n * n + lwork) * dt.itemsize + liwork * isize)
    work = _elem(b, ws, dt, n * n)
    iwork = b.gep(ws, [i64((n * n + lwork) * dt.itemsize)], source_etype=I8)
    info = em.alloca(rt.itype)
    with loops.for_range(b, nb, name="mat") as bi:
        src = _ptr(em, a, bi, n * n)
        v, w = _ptr(em, v_out, bi, n * n), _ptr(em, w_out, bi, n)
        _copy(b, em.module, ws, src, n * n * dt.itemsize)
        call = _Call(em, rt)
        # Row-major lower == column-major upper.
        call.char("V"), call.char("U" if node.params["lower"] else "L"), call.int(n)
        call.ptr(ws), call.int(n), call.ptr(w), call.ptr(work), call.int(lwork)
        call.ptr(iwork), call.int(liwork), call.ptr(info)
        call.emit()
        with b.if_else(_failed(em, info, rt.itype)) as (bad, good):
            with bad:
                _fill(b, v, dt, n * n, np.nan)
                _fill(b, w, dt, n, np.nan, "fillw")
            with good:   # eigenvectors are ws's columns (column-major)
                _transpose(b, v, ws, dt, n, n, "v")
                _fix_signs(em, v, dt, n, n, 1, n)
    _free(em, ws)


@kernel_rule("svd", label="lapack", fuses_inputs=False)
def emit_svd(em, kernel):
    node = kernel.root
    (a,) = node.inputs
    outs = node.outvars
    full, uv = node.params["full_matrices"], node.params["compute_uv"]
    dt = a.aval.dtype
    m, n = a.aval.shape[-2:]
    k, mx = min(m, n), max(m, n)
    nb = _batch(a)
    if nb == 0:
        return
    b = em.b
    s_out = outs[0]
    u_out, vh_out = (outs[1], outs[2]) if uv else (None, None)
    ucols = u_out.aval.shape[-1] if uv else 0
    vrows = vh_out.aval.shape[-2] if uv else 0
    if k == 0:
        if uv:
            with loops.for_range(b, nb, name="mat") as bi:
                _eye(b, _ptr(em, u_out, bi, m * ucols), dt, m, ucols, "eu")
                _eye(b, _ptr(em, vh_out, bi, vrows * n), dt, vrows, n, "ev")
        return
    rt = routine("gesdd", dt)
    lwork = (4 * k * k + 7 * k + mx + 64 * mx) if uv else (3 * k + max(mx, 7 * k) + 64 * mx)
    liwork = 8 * k
    ws = _malloc(em, (m * n + lwork) * dt.itemsize + liwork * (rt.int_bits // 8))
    work = _elem(b, ws, dt, m * n)
    iwork = b.gep(ws, [i64((m * n + lwork) * dt.itemsize)], source_etype=I8)
    info = em.alloca(rt.itype)
    jobz = ("A" if full else "S") if uv else "N"
    dummy = em.alloca(lltype(dt))
    with loops.for_range(b, nb, name="mat") as bi:
        src, s = _ptr(em, a, bi, m * n), _ptr(em, s_out, bi, k)
        _copy(b, em.module, ws, src, m * n * dt.itemsize)
        # Column-major, the buffer is A^T (n x m) = U' S V'^T, so A = V' S U'^T:
        # LAPACK's U' written column-major is our vh row-major, its V'^T our u.
        if uv:
            u, vh = _ptr(em, u_out, bi, m * ucols), _ptr(em, vh_out, bi, vrows * n)
        else:
            u = vh = dummy
        call = _Call(em, rt)
        call.char(jobz), call.int(n), call.int(m), call.ptr(ws), call.int(_ld(n)), call.ptr(s)
        call.ptr(vh), call.int(_ld(n)), call.ptr(u), call.int(_ld(ucols if uv else 1))
        call.ptr(work), call.int(lwork), call.ptr(iwork), call.ptr(info)
        call.emit()
        with b.if_else(_failed(em, info, rt.itype)) as (bad, good):
            with bad:
                _fill(b, s, dt, k, np.nan, "fs")
                if uv:
                    _fill(b, u, dt, m * ucols, np.nan, "fu")
                    _fill(b, vh, dt, vrows * n, np.nan, "fv")
            with good:
                if uv:   # u's columns, with vh's rows; then vh's rows beyond k
                    _fix_signs(em, u, dt, k, m, 1, ucols, (vh, n, n, 1), "su")
                    _fix_signs(em, _elem(b, u, dt, k), dt, ucols - k, m, 1, ucols, None, "sx")
                    _fix_signs(em, _elem(b, vh, dt, k * n), dt, vrows - k, n, n, 1, None, "sy")

    _free(em, ws)

