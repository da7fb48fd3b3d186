"""Matrix multiply for the llvmlite back end: dot_general becomes calls emitted here.

Two backends compute C = alpha * op(A) @ op(B) + beta * C on row-major matrices
(alpha != 1 for float dtypes only: a fused ``p - lr * x.T @ d`` update, see
``gemm_update.py``):

* ``openblas``: the OpenBLAS that numpy already ships (numpy is a runtime
  dependency), called through its CBLAS entry point, as JAX calls Eigen.
  Every call runs on one OpenBLAS thread (openblas_set_num_threads_local for the
  calling thread only, restored after, so numpy's setting is untouched); from
  ``native.BLAS_PARALLEL_MIN_FLOPS`` on, C is cut into blocks of columns or
  rows that jaxlite's worker pool (threadpool.py) runs as such calls, shared
  dynamically between the threads. ``JAXLITE_BLAS_THREADS=n`` instead makes
  every product one call on n of OpenBLAS's own threads.
* ``llvm-kernel``: our own GEMM written in LLVM IR, used when no BLAS is found
  or when forced (``JAXLITE_GEMM=llvm`` or ``backend="llvm"``). It is the
  classic packed design: op(A) and op(B) are copied into zero-padded panels
  (which also absorbs transposes and leading dimensions), and a register-blocked
  6 x (2 vectors) micro-kernel accumulates with vector fmuladd. GEMMs above
  ~8 MFLOP are cut into blocks run by the worker pool over ``fallback_threads()``
  threads (one per usable core, at most 8; ``JAXLITE_GEMM_THREADS`` overrides;
  1 on Windows).

Integer and bool dtypes never go to BLAS: a plain loop nest whose innermost loop is
contiguous, so LLVM's vectorizer takes it.

Every entry point is an internal function defined once per module; the call
site ``emit_gemm`` leaves behind is a single ``call``. C must not overlap A or B.
"""
import contextlib
import os

import numpy as np
from llvmlite import ir

from jaxlite.compiler import native, threadpool
from jaxlite.compiler.lltypes import declare as _declare, elem as _elem, field as _field

I1 = ir.IntType(1)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
PTR = ir.PointerType()
VOID = ir.VoidType()

_FLOAT_TYPES = {np.dtype(np.float32): ir.FloatType(), np.dtype(np.float64): ir.DoubleType()}
# Dtypes computed by the plain loop nest. bool is numpy's byte 0/1 and multiplies as
# logical and/or (np.matmul's semantics); i8 is used for nothing else.
_BOOL = ir.IntType(8)
_INT_TYPES = {np.dtype(np.int32): ir.IntType(32), np.dtype(np.int64): ir.IntType(64),
              np.dtype(np.bool_): _BOOL}
_SHORT = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
          np.dtype(np.int32): "i32", np.dtype(np.int64): "i64", np.dtype(np.bool_): "b8"}

# CBLAS enum values (C enums: passed as 32-bit ints whatever the BLAS int width).
_CBLAS_ROW_MAJOR, _CBLAS_NO_TRANS, _CBLAS_TRANS = 101, 111, 112

# JAXLITE_GEMM=llvm forces our kernel (the BLAS itself is found by native.py).
_ENV_BACKEND = "JAXLITE_GEMM"


def _forced_llvm(backend):
    choice = backend if backend is not None else os.environ.get(_ENV_BACKEND, "auto")
    if choice not in ("auto", "blas", "llvm"):
        raise ValueError(f"GEMM backend must be 'auto', 'blas' or 'llvm', got {choice!r}")
    return choice == "llvm"


def prepare(backend=None):
    """Locate and register the BLAS (idempotent; call before creating an execution engine).

    Returns ``"openblas:<path>"`` when float GEMMs will call BLAS (``"blas:<path>"`` for
    another CBLAS), else ``"llvm-kernel"``. ``backend`` ('auto', 'blas', 'llvm') overrides
    the ``JAXLITE_GEMM`` environment variable.
    """
    native.runtime_functions()
    threadpool.install()          # split kernels and large GEMMs call its entry point
    blas = native.find_blas()
    if blas is None or _forced_llvm(backend):
        return "llvm-kernel"
    kind = "openblas" if "openblas" in os.path.basename(blas.path).lower() else "blas"
    return f"{kind}:{blas.path}"


# ----------------------------------------------------------------------------------------
# Small IR helpers

def _i64(value):
    return value if isinstance(value, ir.Value) else ir.Constant(I64, int(value))


@contextlib.contextmanager
def _loop(builder, start, stop, step=1, name="i"):
    """``for (i = start; i < stop; i += step)`` on i64; yields i, leaves builder after it."""
    start, stop, step = _i64(start), _i64(stop), _i64(step)
    pre = builder.block
    head = builder.append_basic_block(f"{name}.head")
    body = builder.append_basic_block(f"{name}.body")
    done = builder.append_basic_block(f"{name}.done")
    builder.branch(head)
    builder.position_at_end(head)
    index = builder.phi(I64, name=name)
    index.add_incoming(start, pre)
    builder.cbranch(builder.icmp_signed("<", index, stop), body, done)
    builder.position_at_end(body)
    yield index
    index.add_incoming(builder.add(index, step), builder.block)
    builder.branch(head)
    builder.position_at_end(done)


def _min(builder, a, b):
    return builder.select(builder.icmp_signed("<", a, b), a, b)


def _round_up(builder, value, multiple):
    return builder.mul(builder.sdiv(builder.add(value, _i64(multiple - 1)), _i64(multiple)),
                       _i64(multiple))


def _alloca(builder, etype, size):
    """Stack array of ``size`` elements, as an opaque pointer (see _elem)."""
    slot = builder.alloca(etype, size=size)
    slot.type = PTR
    return slot


def _mac(builder, acc, x, y, etype):
    """acc + x*y for any scalar element type (acc | x & y for bool)."""
    if etype == _BOOL:
        return builder.or_(acc, builder.and_(x, y))
    if isinstance(etype, ir.IntType):
        return builder.add(acc, builder.mul(x, y))
    return builder.fadd(acc, builder.fmul(x, y))


def _add(builder, x, y, etype):
    if etype == _BOOL:
        return builder.or_(x, y)
    return builder.add(x, y) if isinstance(etype, ir.IntType) else builder.fadd(x, y)


def _scale(builder, x, beta, etype):
    if etype == _BOOL:
        return builder.and_(x, beta)
    if isinstance(etype, ir.IntType):
        return builder.mul(x, beta)
    return builder.fmul(x, beta)


def _is_zero(builder, value, etype):
    if isinstance(etype, ir.IntType):
        return builder.icmp_signed("==", value, ir.Constant(etype, 0))
    return builder.fcmp_ordered("==", value, ir.Constant(etype, 0.0))


def _new_function(module, name, ret, args, arg_names, noalias=(), noinline=False):
    fn = ir.Function(module, ir.FunctionType(ret, args), name=name)
    fn.linkage = "internal"
    if noinline:
        # Shared by every call site in the module: compiled once, not once per caller.
        fn.attributes.add("noinline")
    for arg, arg_name in zip(fn.args, arg_names):
        arg.name = arg_name
        if arg_name in noalias:
            arg.add_attribute("noalias")
    return fn


# Signature shared by every gemm entry (the BLAS wrapper, our kernel, the int loop nest;
# the int loop nest ignores alpha and s, which emit_gemm only lets be 1 and C for ints).
# s: the matrix (leading dim ldc) C starts from, copied into C first when it is not C.
_GEMM_ARG_NAMES = ("m", "n", "k", "a", "lda", "b", "ldb", "c", "ldc", "beta", "alpha", "s")


def _gemm_signature(etype):
    return [I64, I64, I64, PTR, I64, PTR, I64, PTR, I64, etype, etype, PTR]


def _op_index(builder, trans, row, col, ld):
    """Flat index of op(X)[row, col] for row-major X with leading dim ld."""
    if trans:
        row, col = col, row
    return builder.add(builder.mul(row, ld), col)


# ----------------------------------------------------------------------------------------
# Pieces shared by the backends: k == 0 scaling and the simple loop nest

def _define_scale(module, etype, short):
    """C[i, j] = beta * C[i, j] (exactly 0 when beta == 0, so NaNs in C do not leak)."""
    name = f"jaxlite_gemm_scale_{short}"
    if name in module.globals:
        return module.globals[name]
    fn = _new_function(module, name, VOID, [I64, I64, PTR, I64, etype],
                       ("m", "n", "c", "ldc", "beta"), noinline=True)
    m, n, c, ldc, beta = fn.args
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    zero = ir.Constant(etype, 0)
    beta_zero = _is_zero(builder, beta, etype)
    with _loop(builder, 0, m, name="i") as i:
        row = builder.mul(i, ldc)
        with _loop(builder, 0, n, name="j") as j:
            ptr = _elem(builder, c, etype, builder.add(row, j))
            scaled = _scale(builder, builder.load(ptr, typ=etype), beta, etype)
            builder.store(builder.select(beta_zero, zero, scaled), ptr)
    builder.ret_void()
    return fn


def _define_copy(module, etype, short):
    """C[i, :n] = S[i, :n] for the m rows (leading dim ldc): the matrix a fused update
    starts from, copied block by block by whichever thread computes the block."""
    name = f"jaxlite_gemm_copy_{short}"
    if name in module.globals:
        return module.globals[name]
    fn = _new_function(module, name, VOID, [I64, I64, PTR, PTR, I64],
                       ("m", "n", "s", "c", "ldc"), noalias=("s", "c"), noinline=True)
    m, n, src, dst, ldc = fn.args
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    size = etype.width // 8 if isinstance(etype, ir.IntType) else _Blocking(etype).size
    memcpy = _declare(module, "llvm.memcpy.p0.p0.i64", VOID, [PTR, PTR, I64, I1])
    with _loop(builder, 0, m, name="i") as i:
        row = builder.mul(i, ldc)
        builder.call(memcpy, [_elem(builder, dst, etype, row), _elem(builder, src, etype, row),
                              builder.mul(n, _i64(size)), ir.Constant(I1, 0)])
    builder.ret_void()
    return fn


def _define_loop_gemm(module, etype, short, trans_a, trans_b):
    """Plain loop nest: the integer and bool GEMM.

    Without trans_b the order is i-p-j (C's row and B's row contiguous in j); with trans_b
    it is i-j-p, a dot product over B's contiguous row. Integer overflow wraps, as numpy.
    """
    name = f"jaxlite_gemm_loops_{short}_{'tn'[not trans_a]}{'tn'[not trans_b]}"
    if name in module.globals:
        return module.globals[name]
    fn = _new_function(module, name, VOID, _gemm_signature(etype), _GEMM_ARG_NAMES,
                       noalias=("c",), noinline=True)
    m, n, k, a, lda, b, ldb, c, ldc, beta, _alpha, _s = fn.args
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    acc_slot = _alloca(builder, etype, 1)   # in the entry block, so mem2reg makes it a phi
    zero = ir.Constant(etype, 0)
    beta_zero = _is_zero(builder, beta, etype)

    def load(ptr, index):
        return builder.load(_elem(builder, ptr, etype, index), typ=etype)

    def c_new(acc, c_ptr):
        # beta == 0 must not read C (it may hold garbage or NaN).
        old = _scale(builder, builder.load(c_ptr, typ=etype), beta, etype)
        return builder.select(beta_zero, acc, _add(builder, acc, old, etype))

    with _loop(builder, 0, m, name="i") as i:
        c_row = builder.mul(i, ldc)
        if not trans_b:
            with _loop(builder, 0, n, name="j0") as j:
                ptr = _elem(builder, c, etype, builder.add(c_row, j))
                old = _scale(builder, builder.load(ptr, typ=etype), beta, etype)
                builder.store(builder.select(beta_zero, zero, old), ptr)
            with _loop(builder, 0, k, name="p") as p:
                a_ip = load(a, _op_index(builder, trans_a, i, p, lda))
                b_row = builder.mul(p, ldb)
                with _loop(builder, 0, n, name="j") as j:
                    c_ptr = _elem(builder, c, etype, builder.add(c_row, j))
                    b_pj = load(b, builder.add(b_row, j))
                    new = _mac(builder, builder.load(c_ptr, typ=etype), a_ip, b_pj, etype)
                    builder.store(new, c_ptr)
        else:
            with _loop(builder, 0, n, name="j") as j:
                b_row = builder.mul(j, ldb)
                builder.store(zero, acc_slot)
                with _loop(builder, 0, k, name="p") as p:
                    a_ip = load(a, _op_index(builder, trans_a, i, p, lda))
                    b_jp = load(b, builder.add(b_row, p))
                    new = _mac(builder, builder.load(acc_slot, typ=etype), a_ip, b_jp, etype)
                    builder.store(new, acc_slot)
                c_ptr = _elem(builder, c, etype, builder.add(c_row, j))
                builder.store(c_new(builder.load(acc_slot, typ=etype), c_ptr), c_ptr)
    builder.ret_void()
    return fn


# ----------------------------------------------------------------------------------------
# Backend 1: CBLAS

def _return_if_degenerate(builder, module, etype, short, m, n, k, c, ldc, beta, s):
    """Emit the early exits (m or n == 0 does nothing; k == 0 only scales C by beta),
    after C = S when S is another matrix."""
    empty = builder.or_(builder.icmp_signed("<=", m, _i64(0)),
                        builder.icmp_signed("<=", n, _i64(0)))
    with builder.if_then(empty):
        builder.ret_void()
    with builder.if_then(builder.icmp_unsigned("!=", s, c)):
        builder.call(_define_copy(module, etype, short), [m, n, s, c, ldc])
    with builder.if_then(builder.icmp_signed("<=", k, _i64(0))):
        builder.call(_define_scale(module, etype, short), [m, n, c, ldc, beta])
        builder.ret_void()


def _define_blas_gemm(module, blas, dtype, etype, short):
    """Wrapper around cblas_?gemm taking (ta, tb) flags.

    From ``native.BLAS_PARALLEL_MIN_FLOPS`` on, C is cut into blocks of columns
    (or of rows, when C is taller than wide) that the worker pool runs as
    single-threaded BLAS calls (``_define_blas_blocks``); smaller products are one
    single-threaded call. JAXLITE_BLAS_THREADS=n instead makes every product one
    call on n of OpenBLAS's own threads.
    """
    forced = native.requested_blas_threads(blas)
    threads = native.kernel_threads()
    split = blas.set_threads_symbol is not None and not forced and threads > 1
    name = f"jaxlite_gemm_blas_{short}" + (f"_f{forced}" if forced else "") \
        + (f"_p{threads}" if split else "")
    if name in module.globals:
        return module.globals[name]
    single = _define_blas_call(module, blas, dtype, etype, short, forced)
    if not split:
        return single
    fn = _new_function(module, name, VOID, [I1, I1] + _gemm_signature(etype),
                       ("ta", "tb") + _GEMM_ARG_NAMES, noinline=True)
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    m, n, k = fn.args[2:5]
    flops = builder.mul(builder.mul(m, n), builder.mul(k, _i64(2)))
    small = builder.icmp_signed("<", flops, _i64(native.BLAS_PARALLEL_MIN_FLOPS))
    with builder.if_then(small):
        builder.call(single, list(fn.args))
        builder.ret_void()
    _run_blocks(module, builder, single, list(fn.args), flops, threads, etype)
    builder.ret_void()
    return fn


def _define_blas_call(module, blas, dtype, etype, short, forced):
    """One cblas_?gemm call, on one thread (``forced``: on that many of OpenBLAS's
    threads), set for the calling thread only and restored after, so numpy's own
    setting is untouched. Guards the cases BLAS rejects: m or n == 0 does
    nothing; k == 0 only scales C (BLAS would reject lda = 0); a one-row operand
    gets ld >= its row length (callers may pass stride 0 or 1)."""
    knob = blas.set_threads_symbol is not None
    name = f"jaxlite_gemm_blas_{short}" + ("_t1" if knob else "") \
        + (f"_f{forced}" if forced else "")
    if name in module.globals:
        return module.globals[name]
    blas_int = ir.IntType(blas.int_bits)
    cblas = module.globals.get(blas.alias(dtype))
    if cblas is None:
        cblas = ir.Function(module, ir.FunctionType(VOID, [
            I32, I32, I32, blas_int, blas_int, blas_int, etype, PTR, blas_int, PTR, blas_int,
            etype, PTR, blas_int]), name=blas.alias(dtype))
    fn = _new_function(module, name, VOID, [I1, I1] + _gemm_signature(etype),
                       ("ta", "tb") + _GEMM_ARG_NAMES, noinline=True)
    ta, tb, m, n, k, a, lda, b, ldb, c, ldc, beta, alpha, s = fn.args
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    _return_if_degenerate(builder, module, etype, short, m, n, k, c, ldc, beta, s)

    def fixed_ld(ld, trans, rows, cols):
        # Stored shape is (cols, rows) when transposed.
        stored_rows = builder.select(trans, cols, rows)
        stored_cols = builder.select(trans, rows, cols)
        one_row = builder.icmp_signed("==", stored_rows, _i64(1))
        return builder.select(one_row, _max(builder, ld, stored_cols), ld)

    def to_blas_int(x):
        return x if blas.int_bits == 64 else builder.trunc(x, blas_int)

    lda = fixed_ld(lda, ta, m, k)
    ldb = fixed_ld(ldb, tb, k, n)
    ldc = builder.select(builder.icmp_signed("==", m, _i64(1)), _max(builder, ldc, n), ldc)
    trans_code = [builder.select(t, ir.Constant(I32, _CBLAS_TRANS),
                                 ir.Constant(I32, _CBLAS_NO_TRANS)) for t in (ta, tb)]
    if knob:
        set_threads = _declare(module, blas.set_threads_alias, I32, [I32])
        previous = builder.call(set_threads, [ir.Constant(I32, forced or 1)])
    builder.call(cblas, [ir.Constant(I32, _CBLAS_ROW_MAJOR), *trans_code,
                         *map(to_blas_int, (m, n, k)), alpha,
                         a, to_blas_int(lda), b, to_blas_int(ldb), beta, c, to_blas_int(ldc)])
    if knob:
        builder.call(set_threads, [previous])
    builder.ret_void()
    return fn


# A large product is cut into blocks of about this many flops, at least `threads`
# and at most GEMM_CHUNKS_PER_THREAD per thread, whole multiples of GEMM_BLOCK_UNIT
# columns (or rows) wide. One block per thread: each block is a BLAS call that packs
# its whole share of the other operand again, and on the 2-core machine the MLP step
# took 3.1 / 3.2 / 3.7 / 4.1 ms idle with 1 / 2 / 4 / 8 blocks per thread (5.1 / 6.5 /
# 6.7 / 6.8 ms beside two busy processes; one thread: 3.5 and 6.8 ms). The caller
# still runs any block no worker has started. Beside busy processes, finer blocks and
# 2 x 2 tiles were no better either (512^3 f32 beside one: 2.0 ms with one block per
# thread, 2.2 ms with 2, 2.5-2.6 ms with 4, 2.1 ms with 2 x 2 tiles): the worker mostly
# shares the caller's core and runs no block at all, so the blocking cannot help.
# The placement and spinning of the pool's workers decide that case (threadpool.py).
GEMM_CHUNK_FLOPS = 1 << 22
GEMM_CHUNKS_PER_THREAD = 1
GEMM_BLOCK_UNIT = 16


def _run_blocks(module, builder, single, args, flops, threads, etype,
                units=(GEMM_BLOCK_UNIT, GEMM_BLOCK_UNIT)):
    """Emit: C cut into blocks run by the worker pool, each one ``single`` call.
    Blocks of columns when n >= m (each block then reads all of op(A), the smaller
    operand, and its own columns of op(B)), else blocks of rows; ``units``: the
    (columns, rows) a block's width is a multiple of."""
    ta, tb, m, n, k, a, lda, b, ldb, c, ldc, beta, alpha, s = args
    by_cols = builder.icmp_signed(">=", n, m)
    extent = builder.select(by_cols, n, m)
    unit = builder.select(by_cols, _i64(units[0]), _i64(units[1]))
    wanted = builder.sdiv(flops, _i64(GEMM_CHUNK_FLOPS))
    wanted = _max(builder, _min(builder, wanted, _i64(threads * GEMM_CHUNKS_PER_THREAD)),
                  _i64(threads))
    per = builder.sdiv(builder.add(extent, builder.sub(wanted, _i64(1))), wanted)
    block = builder.mul(builder.sdiv(builder.add(per, builder.sub(unit, _i64(1))), unit), unit)
    chunks = builder.sdiv(builder.add(extent, builder.sub(block, _i64(1))), block)
    ctx_type = ir.LiteralStructType([a.type for a in args] + [I1, I64])
    with builder.goto_entry_block():
        ctx = _alloca(builder, ctx_type, 1)
    for index, value in enumerate(args + [by_cols, block]):
        builder.store(value, _field(builder, ctx, ctx_type, index))
    run = _declare(module, threadpool.PARALLEL_FOR, VOID, [PTR, PTR, I64, I64])
    builder.call(run, [_define_block_body(module, single, ctx_type, etype), ctx, chunks,
                       _i64(threads)])


def _define_block_body(module, single, ctx_type, etype):
    """``void body(ctx, c)``: block c of C (columns or rows), one ``single`` call."""
    name = f"{single.name}_block"
    if name in module.globals:
        return module.globals[name]
    fn = _new_function(module, name, VOID, [PTR, I64], ("ctx", "chunk"))
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    ctx, chunk = fn.args
    vals = [builder.load(_field(builder, ctx, ctx_type, i), typ=ty)
            for i, ty in enumerate(ctx_type.elements)]
    ta, tb, m, n, k, a, lda, b, ldb, c, ldc, beta, alpha, s, by_cols, block = vals
    extent = builder.select(by_cols, n, m)
    lo = builder.mul(chunk, block)
    size = builder.sub(_min(builder, builder.add(lo, block), extent), lo)
    row0 = builder.select(by_cols, _i64(0), lo)      # first row of op(A) and C
    col0 = builder.select(by_cols, lo, _i64(0))      # first column of op(B) and C
    a_off = builder.select(ta, row0, builder.mul(row0, lda))
    b_off = builder.select(tb, builder.mul(col0, ldb), col0)
    c_off = builder.add(builder.mul(row0, ldc), col0)
    builder.call(single, [ta, tb, builder.select(by_cols, m, size),
                          builder.select(by_cols, size, n), k,
                          _elem(builder, a, etype, a_off), lda,
                          _elem(builder, b, etype, b_off), ldb,
                          _elem(builder, c, etype, c_off), ldc, beta, alpha,
                          _elem(builder, s, etype, c_off)])
    builder.ret_void()
    return fn


def _balanced(builder, total, limit, multiple):
    """Block size <= limit (rounded up to ``multiple``) splitting total into equal blocks."""
    blocks = builder.sdiv(builder.add(total, _i64(limit - 1)), _i64(limit))
    size = builder.sdiv(builder.add(total, builder.sub(blocks, _i64(1))), blocks)
    return _round_up(builder, size, multiple)


def _max(builder, a, b):
    return builder.select(builder.icmp_signed(">", a, b), a, b)


# ----------------------------------------------------------------------------------------
# Backend 2: our packed GEMM in LLVM IR

class _Blocking:
    """Register and cache blocking for one float type (AVX2: 16 ymm registers).

    The micro-kernel holds MR x NR of C in MR * NR / VW vector registers (12 of 16),
    plus two B vectors and one broadcast A value. KC * NR of packed B stays in L1,
    MC * KC of packed A in L2; NC bounds the packed B buffer (KC * NC elements).
    """

    def __init__(self, etype):
        self.etype = etype
        self.vw = 8 if isinstance(etype, ir.FloatType) else 4    # elements per 32-byte vector
        self.vtype = ir.VectorType(etype, self.vw)
        self.mr, self.nr = 6, 2 * self.vw
        self.kc, self.mc, self.nc = 256, 120, 4096
        self.size = 4 if isinstance(etype, ir.FloatType) else 8


def _fmuladd(module, vtype, short):
    name = f"llvm.fmuladd.v{vtype.count}{short}"
    if name in module.globals:
        return module.globals[name]
    return ir.Function(module, ir.FunctionType(vtype, [vtype] * 3), name=name)


def _splat(builder, scalar, vtype):
    vec = builder.insert_element(ir.Constant(vtype, ir.Undefined), scalar, ir.Constant(I32, 0))
    mask = ir.Constant(ir.VectorType(I32, vtype.count), [0] * vtype.count)
    return builder.shuffle_vector(vec, ir.Constant(vtype, ir.Undefined), mask)


def _define_pack(module, blk, short, panel, line_major):
    """Copy a lines x depth block of a matrix into panels of ``panel`` lines, zero-padded.

    Packed layout: dst[(l // panel) * panel * depth + p * panel + l % panel]. A "line" is a
    row of op(A) or a column of op(B); the source is line-major when a line is contiguous
    (src[(l0 + l) * ld + p0 + p]), otherwise depth-major (src[(p0 + p) * ld + l0 + l]).
    The loop order follows the source so reads stay contiguous.
    """
    name = f"jaxlite_gemm_pack_{short}_{panel}_{'lm' if line_major else 'dm'}"
    if name in module.globals:
        return module.globals[name]
    etype = blk.etype
    fn = _new_function(module, name, VOID, [PTR, PTR, I64, I64, I64, I64, I64],
                       ("dst", "src", "ld", "l0", "p0", "lines", "depth"), noalias=("dst",),
                       noinline=True)
    dst, src, ld, l0, p0, lines, depth = fn.args
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    panel_c = _i64(panel)
    panel_stride = builder.mul(panel_c, depth)

    def dst_index(l, p):
        base = builder.mul(builder.sdiv(l, panel_c), panel_stride)
        return builder.add(base, builder.add(builder.mul(p, panel_c), builder.srem(l, panel_c)))

    def copy(l, p):
        if line_major:
            src_index = builder.add(builder.mul(builder.add(l0, l), ld), builder.add(p0, p))
        else:
            src_index = builder.add(builder.mul(builder.add(p0, p), ld), builder.add(l0, l))
        value = builder.load(_elem(builder, src, etype, src_index), typ=etype)
        builder.store(value, _elem(builder, dst, etype, dst_index(l, p)))

    if line_major:
        with _loop(builder, 0, lines, name="l") as l:
            with _loop(builder, 0, depth, name="p") as p:
                copy(l, p)
    else:
        with _loop(builder, 0, depth, name="p") as p:
            with _loop(builder, 0, lines, name="l") as l:
                copy(l, p)
    # Padding lines of the last panel: zeros, so the micro-kernel needs no edge cases.
    with _loop(builder, lines, _round_up(builder, lines, panel), name="lpad") as l:
        with _loop(builder, 0, depth, name="ppad") as p:
            builder.store(ir.Constant(etype, 0.0), _elem(builder, dst, etype, dst_index(l, p)))
    builder.ret_void()
    return fn


def _define_micro_kernel(module, blk, short):
    """C[0:mr, 0:nr] = alpha * Ap @ Bp + beta * C for one MR x NR tile over depth kc >= 1.

    Ap is an MR-row panel ([p][MR]), Bp an NR-column panel ([p][NR]). The accumulators
    are SSA values carried by phis, which LLVM keeps in vector registers. Partial tiles
    (mr < MR or nr < NR) go through a stack tile and scalar stores.
    """
    name = f"jaxlite_gemm_ukernel_{short}"
    if name in module.globals:
        return module.globals[name]
    etype, vtype, mr_c, nr_c, vw = blk.etype, blk.vtype, blk.mr, blk.nr, blk.vw
    nv = nr_c // vw
    fn = _new_function(module, name, VOID, [I64, PTR, PTR, PTR, I64, etype, etype, I64, I64],
                       ("kc", "ap", "bp", "c", "ldc", "beta", "alpha", "mr", "nr"),
                       noalias=("c",), noinline=True)
    kc, ap, bp, c, ldc, beta, alpha, mr, nr = fn.args
    fmuladd = _fmuladd(module, vtype, short)
    entry = fn.append_basic_block("entry")
    body = fn.append_basic_block("kloop")
    after = fn.append_basic_block("store")
    builder = ir.IRBuilder(entry)
    tile = _alloca(builder, etype, mr_c * nr_c)
    builder.branch(body)

    builder.position_at_end(body)
    p = builder.phi(I64, name="p")
    p.add_incoming(_i64(0), entry)
    accs = [[builder.phi(vtype, name=f"acc{r}_{v}") for v in range(nv)] for r in range(mr_c)]
    for row in accs:
        for acc in row:
            acc.add_incoming(ir.Constant(vtype, None), entry)
    b_base = builder.mul(p, _i64(nr_c))
    b_vecs = [builder.load(_elem(builder, bp, etype, builder.add(b_base, _i64(v * vw))),
                           typ=vtype, align=blk.size) for v in range(nv)]
    a_base = builder.mul(p, _i64(mr_c))
    new_accs = []
    for r in range(mr_c):
        a_val = builder.load(_elem(builder, ap, etype, builder.add(a_base, _i64(r))), typ=etype)
        a_vec = _splat(builder, a_val, vtype)
        new_accs.append([builder.call(fmuladd, [a_vec, b_vecs[v], accs[r][v]]) for v in range(nv)])
    p_next = builder.add(p, _i64(1))
    p.add_incoming(p_next, body)
    for r in range(mr_c):
        for v in range(nv):
            accs[r][v].add_incoming(new_accs[r][v], body)
    builder.cbranch(builder.icmp_signed("<", p_next, kc), body, after)

    builder.position_at_end(after)
    alpha_vec = _splat(builder, alpha, vtype)
    new_accs = [[builder.fmul(alpha_vec, acc) for acc in row] for row in new_accs]
    beta_zero = _is_zero(builder, beta, etype)
    full = builder.and_(builder.icmp_signed("==", mr, _i64(mr_c)),
                        builder.icmp_signed("==", nr, _i64(nr_c)))
    beta_vec = _splat(builder, beta, vtype)
    with builder.if_else(full) as (full_tile, partial_tile):
        with full_tile:
            for r in range(mr_c):
                row = builder.mul(_i64(r), ldc)
                for v in range(nv):
                    ptr = _elem(builder, c, etype, builder.add(row, _i64(v * vw)))
                    old = builder.load(ptr, typ=vtype, align=blk.size)
                    with_c = builder.call(fmuladd, [beta_vec, old, new_accs[r][v]])
                    # select, not a branch: a loaded NaN never reaches C when beta == 0.
                    builder.store(builder.select(beta_zero, new_accs[r][v], with_c), ptr,
                                  align=blk.size)
        with partial_tile:
            for r in range(mr_c):
                for v in range(nv):
                    builder.store(new_accs[r][v],
                                  _elem(builder, tile, etype, _i64(r * nr_c + v * vw)),
                                  align=blk.size)
            with _loop(builder, 0, mr, name="r") as r:
                with _loop(builder, 0, nr, name="j") as j:
                    acc = builder.load(_elem(builder, tile, etype,
                                             builder.add(builder.mul(r, _i64(nr_c)), j)), typ=etype)
                    ptr = _elem(builder, c, etype, builder.add(builder.mul(r, ldc), j))
                    old = _scale(builder, builder.load(ptr, typ=etype), beta, etype)
                    builder.store(builder.select(beta_zero, acc, builder.fadd(acc, old)), ptr)
    builder.ret_void()
    return fn


def _define_llvm_gemm_serial(module, etype, short):
    """Packed GEMM (the BLIS loop order): jc over NC, pc over KC (pack B), ic over MC
    (pack A), then NR x MR tiles through the micro-kernel. beta applies on the first
    KC slice only; later slices accumulate. The transposes are runtime flags (ta, tb)
    that only pick the packing routine, so one copy serves every call site."""
    name = f"jaxlite_gemm_serial_{short}"
    if name in module.globals:
        return module.globals[name]
    blk = _Blocking(etype)
    fn = _new_function(module, name, VOID, [I1, I1] + _gemm_signature(etype),
                       ("ta", "tb") + _GEMM_ARG_NAMES, noalias=("c",), noinline=True)
    ta, tb, m, n, k, a, lda, b, ldb, c, ldc, beta, alpha, s = fn.args
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    _return_if_degenerate(builder, module, etype, short, m, n, k, c, ldc, beta, s)

    malloc = _declare(module, native.RUNTIME_ALIASES["malloc"], PTR, [I64])
    free = _declare(module, native.RUNTIME_ALIASES["free"], VOID, [PTR])
    # Equal slices rather than full ones plus a sliver (k = 784: 4 x 196, not 3 x 256 + 16).
    kc_step = _balanced(builder, k, blk.kc, 1)
    mc_step = _balanced(builder, m, blk.mc, blk.mr)
    kc_max = kc_step
    a_elems = builder.mul(mc_step, kc_max)
    b_elems = builder.mul(_round_up(builder, _min(builder, n, _i64(blk.nc)), blk.nr), kc_max)
    a_pack = builder.call(malloc, [builder.mul(a_elems, _i64(blk.size))])
    b_pack = builder.call(malloc, [builder.mul(b_elems, _i64(blk.size))])
    failed = builder.or_(builder.icmp_unsigned("==", a_pack, ir.Constant(PTR, None)),
                         builder.icmp_unsigned("==", b_pack, ir.Constant(PTR, None)))
    with builder.if_then(failed, likely=False):
        # Out of memory for the panels: the unblocked loop nest still gets it right.
        builder.call(free, [a_pack])
        builder.call(free, [b_pack])
        builder.call(_define_cold_gemm(module, etype, short), list(fn.args))
        builder.ret_void()

    def pack(flag, panel, line_major_if_flag, args):
        with builder.if_else(flag) as (then, otherwise):
            with then:
                builder.call(_define_pack(module, blk, short, panel, line_major_if_flag), args)
            with otherwise:
                builder.call(_define_pack(module, blk, short, panel, not line_major_if_flag),
                             args)

    micro = _define_micro_kernel(module, blk, short)
    one = ir.Constant(etype, 1.0)
    with _loop(builder, 0, n, blk.nc, name="jc") as jc:
        nc = _min(builder, builder.sub(n, jc), _i64(blk.nc))
        with _loop(builder, 0, k, kc_step, name="pc") as pc:
            kc = _min(builder, builder.sub(k, pc), kc_step)
            beta_eff = builder.select(builder.icmp_signed("==", pc, _i64(0)), beta, one)
            pack(tb, blk.nr, True, [b_pack, b, ldb, jc, pc, nc, kc])
            with _loop(builder, 0, m, mc_step, name="ic") as ic:
                mc = _min(builder, builder.sub(m, ic), mc_step)
                pack(ta, blk.mr, False, [a_pack, a, lda, ic, pc, mc, kc])
                with _loop(builder, 0, nc, blk.nr, name="jr") as jr:
                    nr = _min(builder, builder.sub(nc, jr), _i64(blk.nr))
                    b_panel = _elem(builder, b_pack, etype, builder.mul(jr, kc))
                    with _loop(builder, 0, mc, blk.mr, name="ir") as ir_:
                        mr = _min(builder, builder.sub(mc, ir_), _i64(blk.mr))
                        a_panel = _elem(builder, a_pack, etype, builder.mul(ir_, kc))
                        c_row = builder.mul(builder.add(ic, ir_), ldc)
                        c_tile = _elem(builder, c, etype, builder.add(c_row, builder.add(jc, jr)))
                        builder.call(micro, [kc, a_panel, b_panel, c_tile, ldc, beta_eff, alpha,
                                             mr, nr])
    builder.call(free, [a_pack])
    builder.call(free, [b_pack])
    builder.ret_void()
    return fn


def _define_cold_gemm(module, etype, short):
    """Unblocked i-j-p GEMM with runtime transposes, for when the panels cannot be
    allocated: correct, small to compile (minsize: no vectorizing), never hot."""
    name = f"jaxlite_gemm_cold_{short}"
    if name in module.globals:
        return module.globals[name]
    fn = _new_function(module, name, VOID, [I1, I1] + _gemm_signature(etype),
                       ("ta", "tb") + _GEMM_ARG_NAMES, noalias=("c",), noinline=True)
    for attr in ("cold", "minsize", "optsize"):
        fn.attributes.add(attr)
    ta, tb, m, n, k, a, lda, b, ldb, c, ldc, beta, alpha, s = fn.args
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    with builder.if_then(builder.icmp_unsigned("!=", s, c)):
        builder.call(_define_copy(module, etype, short), [m, n, s, c, ldc])
    acc_slot = _alloca(builder, etype, 1)
    beta_zero = _is_zero(builder, beta, etype)
    with _loop(builder, 0, m, name="i") as i:
        with _loop(builder, 0, n, name="j") as j:
            builder.store(ir.Constant(etype, 0), acc_slot)
            with _loop(builder, 0, k, name="p") as p:
                a_index = builder.select(ta, builder.add(builder.mul(p, lda), i),
                                         builder.add(builder.mul(i, lda), p))
                b_index = builder.select(tb, builder.add(builder.mul(j, ldb), p),
                                         builder.add(builder.mul(p, ldb), j))
                a_ip = builder.load(_elem(builder, a, etype, a_index), typ=etype)
                b_pj = builder.load(_elem(builder, b, etype, b_index), typ=etype)
                builder.store(_mac(builder, builder.load(acc_slot, typ=etype), a_ip, b_pj, etype),
                              acc_slot)
            c_ptr = _elem(builder, c, etype, builder.add(builder.mul(i, ldc), j))
            acc = builder.fmul(alpha, builder.load(acc_slot, typ=etype))
            with builder.if_else(beta_zero) as (overwrite, accumulate):
                with overwrite:
                    builder.store(acc, c_ptr)
                with accumulate:
                    old = _scale(builder, builder.load(c_ptr, typ=etype), beta, etype)
                    builder.store(_add(builder, acc, old, etype), c_ptr)
    builder.ret_void()
    return fn


# Below this many flops a GEMM runs on the calling thread: starting a thread costs
# ~20-50 us, about what one core needs for 2-4 MFLOP.
_PARALLEL_MIN_FLOPS = 8_000_000
_ENV_THREADS = "JAXLITE_GEMM_THREADS"
# Name prefix of the LLVM kernel's entry: engine.optimize unrolls loops in modules holding it.
LLVM_KERNEL = "jaxlite_gemm_llvm"


def fallback_threads():
    """Threads the LLVM kernel splits a large GEMM over (1 where pthreads are unavailable)."""
    forced = os.environ.get(_ENV_THREADS)
    if forced:
        return max(1, int(forced))
    return native.usable_cores() if native.has_threads() else 1


def _define_llvm_gemm(module, etype, short):
    """The LLVM kernel; above _PARALLEL_MIN_FLOPS, blocks of C (whole micro-tiles)
    run by the worker pool over up to fallback_threads() threads (``_run_blocks``)."""
    name = f"{LLVM_KERNEL}_{short}"
    if name in module.globals:
        return module.globals[name]
    if {"malloc", "free"} <= native.runtime_functions():
        serial = _define_llvm_gemm_serial(module, etype, short)
    else:
        serial = _define_cold_gemm(module, etype, short)    # no heap for the panels
    threads = fallback_threads()
    fn = _new_function(module, name, VOID, [I1, I1] + _gemm_signature(etype),
                       ("ta", "tb") + _GEMM_ARG_NAMES, noalias=("c",))
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    if threads == 1:
        builder.call(serial, list(fn.args))
        builder.ret_void()
        return fn
    m, n, k = fn.args[2:5]
    blk = _Blocking(etype)
    flops = builder.mul(builder.mul(m, n), builder.mul(k, _i64(2)))
    small = builder.icmp_signed("<", flops, _i64(_PARALLEL_MIN_FLOPS))
    with builder.if_then(small):
        builder.call(serial, list(fn.args))
        builder.ret_void()

    # Blocks of whole micro-tiles, shared dynamically over the worker pool.
    _run_blocks(module, builder, serial, list(fn.args), flops, threads, etype,
                units=(blk.nr, blk.mr))
    builder.ret_void()
    return fn


# ----------------------------------------------------------------------------------------
# Public emitters

def _check_dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype not in _FLOAT_TYPES and dtype not in _INT_TYPES:
        raise TypeError(f"GEMM supports float32, float64, int32, int64 and bool, got {dtype}")
    return dtype


def _beta_constant(dtype, etype, beta):
    if isinstance(beta, ir.Value):      # computed at run time (a float learning rate)
        return beta
    if dtype in _INT_TYPES:
        if float(beta) != int(beta) or (dtype == np.bool_ and beta not in (0, 1)):
            raise ValueError(f"{dtype} GEMM needs an integral (bool: 0/1) beta, got {beta}")
        return ir.Constant(etype, int(beta))
    return ir.Constant(etype, float(beta))


def emit_gemm(builder, module, dtype, trans_a, trans_b, m, n, k, a_ptr, lda, b_ptr, ldb,
              c_ptr, ldc, beta=0.0, backend=None, alpha=1.0, start=None):
    """Emit C = alpha * op(A) @ op(B) + beta * C at the builder's position; with
    ``start`` (a pointer to a matrix of C's shape and leading dim, float dtypes),
    C is first set to it unless the pointers are equal (each thread copies its
    block just before computing it).

    A, B, C are row-major with element pointers a_ptr, b_ptr, c_ptr and leading dims
    lda, ldb, ldc; op(X) is X.T when trans_x. m, n, k and the leading dims are i64
    values (Python ints are accepted too); alpha is a number or a float ir.Value. With
    beta == 0, C is write-only. float32 and float64 call BLAS (or our kernel:
    ``backend="llvm"`` or JAXLITE_GEMM=llvm); int32, int64 and bool (and/or, as
    np.matmul) use a loop nest, with alpha 1 only. Returns the emitted call instruction.
    """
    dtype = _check_dtype(dtype)
    if dtype in _INT_TYPES and (isinstance(alpha, ir.Value) or alpha != 1 or start is not None):
        raise ValueError(f"{dtype} GEMM takes alpha 1 only and no start matrix, got {alpha}")
    short = _SHORT[dtype]
    m, n, k, lda, ldb, ldc = map(_i64, (m, n, k, lda, ldb, ldc))
    trans_a, trans_b = bool(trans_a), bool(trans_b)
    forced_llvm = _forced_llvm(backend)      # validates `backend` for every dtype
    if dtype in _INT_TYPES:
        # Loop nests specialize on the transposes: the contiguous loop depends on them.
        etype = _INT_TYPES[dtype]
        target = _define_loop_gemm(module, etype, short, trans_a, trans_b)
        prefix = []
    else:
        # BLAS wrapper and LLVM kernel take the transposes as flags: one copy per module.
        etype = _FLOAT_TYPES[dtype]
        blas = native.find_blas()
        if blas is not None and not forced_llvm:
            target = _define_blas_gemm(module, blas, dtype, etype, short)
        else:
            target = _define_llvm_gemm(module, etype, short)
        prefix = [ir.Constant(I1, trans_a), ir.Constant(I1, trans_b)]
    args = prefix + [m, n, k, a_ptr, lda, b_ptr, ldb, c_ptr, ldc,
                     _beta_constant(dtype, etype, beta), _beta_constant(dtype, etype, alpha),
                     c_ptr if start is None else start]
    return builder.call(target, args)


def emit_batched_gemm(builder, module, dtype, trans_a, trans_b, m, n, k, a_ptr, lda, b_ptr,
                      ldb, c_ptr, ldc, batch, stride_a, stride_b, stride_c, beta=0.0,
                      backend=None):
    """emit_gemm for each of ``batch`` matrices, A/B/C advancing by stride_* elements.

    A stride of 0 reuses the same matrix (a broadcast operand).
    """
    dtype = _check_dtype(dtype)
    etype = (_FLOAT_TYPES.get(dtype) or _INT_TYPES[dtype])
    with _loop(builder, 0, batch, name="batch") as index:
        def at(ptr, stride):
            return _elem(builder, ptr, etype, builder.mul(index, _i64(stride)))
        emit_gemm(builder, module, dtype, trans_a, trans_b, m, n, k,
                  at(a_ptr, stride_a), lda, at(b_ptr, stride_b), ldb, at(c_ptr, stride_c), ldc,
                  beta=beta, backend=backend)
