"""compiler/gemm.py against np.matmul: both backends, every dtype and transpose combo,
odd and zero sizes, leading dims wider than the rows, batches, beta."""
import ctypes
import ctypes.util
import functools
import glob
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import llvmlite.binding as llvm
from llvmlite import ir

# The editable install maps only `jaxlite`; make the repo's `compiler/` importable too.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from jaxlite.compiler import gemm, native, threadpool  # noqa: E402

llvm.initialize_native_target()
llvm.initialize_native_asmprinter()

DTYPES = [np.float32, np.float64, np.int32, np.int64, np.bool_]
TRANS = [(False, False), (False, True), (True, False), (True, True)]
BACKENDS = ["blas", "llvm"]
# Integers and bools have a single backend (the loop nest), tested once.
DTYPE_BACKENDS = [(d, b) for d in DTYPES for b in BACKENDS
                  if b == "blas" or np.issubdtype(d, np.floating)]
I64 = ir.IntType(64)


def _optimize_and_jit(module):
    """Verify, run O3 for the host CPU, JIT with MCJIT. Returns (engine, llvm module)."""
    gemm.prepare()                      # register the BLAS symbols before the engine exists
    mod = llvm.parse_assembly(str(module))
    mod.verify()
    target = llvm.Target.from_default_triple()
    tm = target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                      features=llvm.get_host_cpu_features().flatten(), opt=3)
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    return engine, mod


BETAS = (0.0, 1.0, 2.0)


def compiled(dtype, trans_a, trans_b, backend, beta=0.0, batched=False):
    """A native f(m, n, k, a, lda, b, ldb, c, ldc[, batch, sa, sb, sc]) built with emit_gemm."""
    return _compiled_module(np.dtype(dtype), backend)[trans_a, trans_b, beta, batched]


def _entry_types(batched):
    types = [I64, I64, I64, ir.PointerType(), I64, ir.PointerType(), I64, ir.PointerType(), I64]
    return types + [I64] * (4 if batched else 0)


@functools.lru_cache(maxsize=None)
def _compiled_module(dtype, backend):
    # One module per (dtype, backend) holding every transpose / beta / batched variant:
    # they share the kernel functions, so each dtype's kernel is compiled once.
    module = ir.Module(name="gemm_test")
    module.triple = llvm.get_process_triple()
    variants = [(ta, tb, beta, batched) for ta, tb in TRANS for beta in BETAS
                for batched in (False, True) if not (dtype == np.bool_ and beta == 2.0)]
    for ta, tb, beta, batched in variants:
        fn = ir.Function(module, ir.FunctionType(ir.VoidType(), _entry_types(batched)),
                         name=f"entry_{ta}_{tb}_{beta}_{batched}")
        builder = ir.IRBuilder(fn.append_basic_block("entry"))
        emit = gemm.emit_batched_gemm if batched else gemm.emit_gemm
        emit(builder, module, dtype, ta, tb, *fn.args, beta=beta, backend=backend)
        builder.ret_void()
    engine, mod = _optimize_and_jit(module)
    functions = {}
    for ta, tb, beta, batched in variants:
        proto = ctypes.CFUNCTYPE(None, *[ctypes.c_int64 if t == I64 else ctypes.c_void_p
                                         for t in _entry_types(batched)])
        cfn = proto(engine.get_function_address(f"entry_{ta}_{tb}_{beta}_{batched}"))
        cfn._keep = (engine, mod)       # the engine owns the code: keep it alive
        functions[ta, tb, beta, batched] = cfn
    return functions


def reference_matmul(a, b):
    """np.matmul, with floats computed in float64 by einsum instead of (threaded) BLAS:
    a loaded machine can make OpenBLAS take seconds on tiny products."""
    if not np.issubdtype(a.dtype, np.floating):
        return np.matmul(a, b)
    out = np.einsum("...ik,...kj->...ij", a.astype(np.float64), b.astype(np.float64),
                    optimize=False)
    return out.astype(a.dtype)


def _random(shape, dtype, rng):
    if dtype == np.bool_:
        return rng.random(shape) < 0.3
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-50, 50, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _operand(rows, cols, dtype, rng, pad):
    """A (rows, cols) row-major view whose leading dim is cols + pad (a submatrix view)."""
    base = _random((max(rows, 1), cols + pad), dtype, rng)
    return base[:rows, :cols], cols + pad


def run_gemm(dtype, ta, tb, m, n, k, backend, beta=0.0, pad=0, seed=0):
    rng = np.random.default_rng(seed)
    a, lda = _operand(*((k, m) if ta else (m, k)), dtype, rng, pad)
    b, ldb = _operand(*((n, k) if tb else (k, n)), dtype, rng, pad)
    c_full = _random((max(m, 1), n + pad), dtype, rng)
    c = c_full[:m, :n]
    c0 = c.copy()
    op_a = a.T if ta else a
    op_b = b.T if tb else b
    expected = reference_matmul(op_a, op_b) + (dtype(beta) * c0 if beta else 0)
    f = compiled(dtype, ta, tb, backend, beta)
    f(m, n, k, a.ctypes.data, lda, b.ctypes.data, ldb, c_full.ctypes.data, n + pad)
    return c, expected.astype(dtype), c_full


def assert_close(actual, expected, dtype, k):
    if not np.issubdtype(dtype, np.floating):
        np.testing.assert_array_equal(actual, expected)
    else:
        eps = np.finfo(dtype).eps
        # Entries are sums of k products of N(0, 1) values: error ~ eps * sqrt(k) * size.
        np.testing.assert_allclose(actual, expected, rtol=0, atol=100 * eps * max(k, 1) ** 0.5)


def test_prepare_reports_backend():
    desc = gemm.prepare()
    assert desc == "llvm-kernel" or desc.startswith(("openblas:", "blas:"))
    assert gemm.prepare() == desc       # idempotent
    assert gemm.prepare(backend="llvm") == "llvm-kernel"
    if desc.startswith("openblas:"):
        assert native.blas_threads() >= 1


def test_numpy_bundled_openblas_is_found():
    # The reference machine has numpy's wheel (which bundles OpenBLAS): the fast path must
    # not silently fall back there.
    if not any(glob.glob(d + "/*openblas*") for d in native.numpy_library_dirs()):
        pytest.skip("this numpy does not bundle OpenBLAS")
    assert gemm.prepare(backend="auto").startswith("openblas:")


def test_library_probe(monkeypatch, tmp_path):
    # An explicit JAXLITE_BLAS comes first; a library without CBLAS gemm is rejected.
    fake = tmp_path / "libnotblas.so"
    fake.write_bytes(b"not a library")
    monkeypatch.setenv("JAXLITE_BLAS", str(fake))
    assert native.candidate_paths()[0] == str(fake)
    assert native.probe(str(fake)) is None
    libm = ctypes.util.find_library("m")
    if libm:
        assert native.probe(libm) is None
    blas = native.find_blas()
    if blas is not None:
        found, _ = native.probe(blas.path)
        assert found.int_bits in (32, 64) and set(found.symbols) == {np.dtype(np.float32),
                                                                     np.dtype(np.float64)}


@pytest.mark.parametrize("ta,tb", TRANS)
@pytest.mark.parametrize("dtype,backend", DTYPE_BACKENDS)
def test_odd_sizes(dtype, ta, tb, backend):
    for m, n, k in [(1, 1, 1), (3, 17, 129), (17, 3, 1), (129, 17, 3), (1, 129, 17), (7, 33, 300)]:
        c, expected, _ = run_gemm(dtype, ta, tb, m, n, k, backend)
        assert_close(c, expected, dtype, k)


@pytest.mark.parametrize("dtype,backend", DTYPE_BACKENDS)
def test_zero_sizes(dtype, backend):
    for ta, tb in TRANS:
        for m, n, k in [(0, 3, 4), (3, 0, 4), (0, 0, 0), (3, 4, 0), (1, 1, 0)]:
            c, expected, c_full = run_gemm(dtype, ta, tb, m, n, k, backend)
            assert_close(c, expected, dtype, k)


@pytest.mark.parametrize("ta,tb", TRANS)
@pytest.mark.parametrize("dtype,backend", DTYPE_BACKENDS)
def test_leading_dims_and_padding_untouched(dtype, ta, tb, backend):
    for m, n, k in [(5, 19, 23), (130, 40, 260)]:
        c, expected, c_full = run_gemm(dtype, ta, tb, m, n, k, backend, pad=3, seed=1)
        assert_close(c, expected, dtype, k)
        rng = np.random.default_rng(1)
        # Regenerate the inputs to recover the untouched padding columns of C.
        _operand(*((k, m) if ta else (m, k)), dtype, rng, 3)
        _operand(*((n, k) if tb else (k, n)), dtype, rng, 3)
        c_orig = _random((max(m, 1), n + 3), dtype, rng)
        np.testing.assert_array_equal(c_full[:, n:], c_orig[:, n:])


@pytest.mark.parametrize("dtype,backend", DTYPE_BACKENDS)
def test_beta(dtype, backend):
    for beta in ((1.0,) if dtype == np.bool_ else (1.0, 2.0)):
        for ta, tb in TRANS:
            for m, n, k in [(3, 17, 129), (13, 35, 0), (1, 1, 1)]:
                c, expected, _ = run_gemm(dtype, ta, tb, m, n, k, backend, beta=beta, pad=2)
                assert_close(c, expected, dtype, k)


@functools.lru_cache(maxsize=None)
def _alpha_module(dtype, backend, alpha):
    """f(m, n, k, a, lda, b, ldb, c, ldc, s) = C = S + alpha * op(A) @ op(B), per transpose
    pair (S: a matrix of C's leading dim, or C itself)."""
    module = ir.Module(name="gemm_alpha")
    module.triple = llvm.get_process_triple()
    for ta, tb in TRANS:
        types = _entry_types(False) + [ir.PointerType()]
        fn = ir.Function(module, ir.FunctionType(ir.VoidType(), types), name=f"entry_{ta}_{tb}")
        builder = ir.IRBuilder(fn.append_basic_block("entry"))
        gemm.emit_gemm(builder, module, dtype, ta, tb, *fn.args[:-1], beta=1.0, alpha=alpha,
                       backend=backend, start=fn.args[-1])
        builder.ret_void()
    engine, mod = _optimize_and_jit(module)
    proto = ctypes.CFUNCTYPE(None, *[ctypes.c_int64 if t == I64 else ctypes.c_void_p
                                     for t in _entry_types(False)], ctypes.c_void_p)
    fns = {}
    for ta, tb in TRANS:
        fns[ta, tb] = proto(engine.get_function_address(f"entry_{ta}_{tb}"))
        fns[ta, tb]._keep = (engine, mod)
    return fns


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_alpha_accumulates_scaled_product(dtype, backend):
    # The fused SGD update: C = S + alpha * op(A) @ op(B), S = C (in place) or another
    # matrix copied first (C padded: only its m x n part is written); the large size runs
    # in blocks over the worker pool (both backends), the odd ones take the partial tiles.
    rng = np.random.default_rng(7)
    fns = _alpha_module(np.dtype(dtype), backend, -0.25)
    for ta, tb in TRANS:
        for m, n, k in [(5, 7, 9), (13, 35, 129), (1, 17, 3), (200, 300, 150), (4, 6, 0)]:
            for in_place in (True, False):
                a, lda = _operand(*((k, m) if ta else (m, k)), dtype, rng, 2)
                b, ldb = _operand(*((n, k) if tb else (k, n)), dtype, rng, 2)
                c_full = _random((m, n + 3), dtype, rng)
                start = c_full.copy() if in_place else _random((m, n + 3), dtype, rng)
                expected = (start[:, :n].astype(np.float64)
                            - 0.25 * reference_matmul(a.T if ta else a, b.T if tb else b))
                pad = c_full[:, n:].copy()
                s_ptr = c_full.ctypes.data if in_place else start.ctypes.data
                fns[ta, tb](m, n, k, a.ctypes.data, lda, b.ctypes.data, ldb, c_full.ctypes.data,
                            n + 3, s_ptr)
                assert_close(c_full[:, :n], expected.astype(dtype), dtype, k)
                np.testing.assert_array_equal(c_full[:, n:], pad)


def test_alpha_other_than_one_refused_for_integers():
    module = ir.Module(name="gemm_int_alpha")
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), _entry_types(False)), name="e")
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    with pytest.raises(ValueError, match="alpha 1 only"):
        gemm.emit_gemm(builder, module, np.int32, False, False, *fn.args, alpha=2.0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_beta_zero_ignores_nan_in_c(dtype, backend):
    for m, n, k in [(13, 35, 7), (6, 16, 4), (4, 5, 0)]:
        rng = np.random.default_rng(2)
        a, b = _random((m, k), dtype, rng), _random((k, n), dtype, rng)
        c = np.full((m, n), np.nan, dtype)
        compiled(dtype, False, False, backend)(m, n, k, a.ctypes.data, k, b.ctypes.data, n,
                                               c.ctypes.data, n)
        assert_close(c, reference_matmul(a, b), dtype, k)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_crosses_every_block(dtype, backend):
    # Bigger than KC (256) and MC (120) so the packed loops take several slices.
    for ta, tb in TRANS:
        c, expected, _ = run_gemm(dtype, ta, tb, 250, 70, 600, backend, seed=3)
        assert_close(c, expected, dtype, 600)


def test_one_row_operands_with_small_leading_dim():
    # A one-row matrix may come with any leading dim (stride of a size-1 axis): BLAS
    # would reject ld < row length, the wrapper must not pass it through.
    for backend in BACKENDS:
        f = compiled(np.float32, False, False, backend)
        rng = np.random.default_rng(4)
        a = _random((1, 9), np.float32, rng)
        b = _random((9, 5), np.float32, rng)
        c = np.empty((1, 5), np.float32)
        f(1, 5, 9, a.ctypes.data, 1, b.ctypes.data, 5, c.ctypes.data, 0)
        assert_close(c, reference_matmul(a, b), np.float32, 9)


@pytest.mark.parametrize("dtype,backend", DTYPE_BACKENDS)
def test_batched(dtype, backend):
    rng = np.random.default_rng(6)
    for ta, tb in TRANS:
        f = compiled(dtype, ta, tb, backend, 0.0, True)
        for batch, m, n, k in [(3, 5, 7, 9), (0, 2, 2, 2), (2, 0, 3, 3), (4, 17, 1, 33)]:
            a = _random((batch,) + ((k, m) if ta else (m, k)), dtype, rng)
            b = _random((batch,) + ((n, k) if tb else (k, n)), dtype, rng)
            c = _random((batch, m, n), dtype, rng)
            f(m, n, k, a.ctypes.data, m if ta else k, b.ctypes.data, k if tb else n,
              c.ctypes.data, n, batch, m * k, k * n, m * n)
            op_a = np.swapaxes(a, 1, 2) if ta else a
            op_b = np.swapaxes(b, 1, 2) if tb else b
            assert_close(c, reference_matmul(op_a, op_b), dtype, k)


@pytest.mark.parametrize("backend", BACKENDS)
def test_batched_broadcast_operand(backend):
    # Stride 0: one B shared by every batch member.
    rng = np.random.default_rng(7)
    f = compiled(np.float64, False, False, backend, 0.0, True)
    a = _random((3, 4, 5), np.float64, rng)
    b = _random((5, 6), np.float64, rng)
    c = np.empty((3, 4, 6))
    f(4, 6, 5, a.ctypes.data, 5, b.ctypes.data, 6, c.ctypes.data, 6, 3, 20, 0, 24)
    assert_close(c, reference_matmul(a, b), np.float64, 5)


def test_int_overflow_wraps_like_numpy():
    rng = np.random.default_rng(8)
    a = rng.integers(2 ** 20, 2 ** 24, size=(4, 8)).astype(np.int32)
    b = rng.integers(2 ** 20, 2 ** 24, size=(8, 3)).astype(np.int32)
    c = np.empty((4, 3), np.int32)
    compiled(np.int32, False, False, "blas")(4, 3, 8, a.ctypes.data, 8, b.ctypes.data, 3,
                                              c.ctypes.data, 3)
    np.testing.assert_array_equal(c, np.matmul(a, b))


def test_bad_arguments():
    module = ir.Module()
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), []), name="f")
    builder = ir.IRBuilder(fn.append_basic_block())
    null = ir.Constant(ir.PointerType(), None)
    with pytest.raises(TypeError, match="float16"):
        gemm.emit_gemm(builder, module, np.float16, False, False, 1, 1, 1, null, 1, null, 1,
                       null, 1)
    with pytest.raises(ValueError, match="integral"):
        gemm.emit_gemm(builder, module, np.int32, False, False, 1, 1, 1, null, 1, null, 1,
                       null, 1, beta=0.5)
    with pytest.raises(ValueError, match="backend"):
        gemm.emit_gemm(builder, module, np.float32, False, False, 1, 1, 1, null, 1, null, 1,
                       null, 1, backend="cuda")


def test_one_definition_per_module():
    # Several call sites share one internal function per (dtype, transposes).
    module = ir.Module()
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [ir.PointerType()]), name="f")
    builder = ir.IRBuilder(fn.append_basic_block())
    p = fn.args[0]
    for ta, tb in TRANS + TRANS:
        gemm.emit_gemm(builder, module, np.float32, ta, tb, 2, 2, 2, p, 2, p, 2, p, 2,
                       backend="llvm")
    builder.ret_void()
    names = [g.name for g in module.global_values]
    assert names.count("jaxlite_gemm_llvm_f32") == 1
    assert names.count("jaxlite_gemm_ukernel_f32") == 1
    # The C runtime goes by private aliases: the caller may still declare malloc itself.
    ir.Function(module, ir.FunctionType(ir.PointerType(), [I64]), name="malloc")
    ir.Function(module, ir.FunctionType(ir.VoidType(), [ir.PointerType()]), name="free")
    llvm.parse_assembly(str(module)).verify()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_llvm_kernel_thread_bands(dtype, monkeypatch):
    # Three threads over the worker pool: column blocks (m <= n), row blocks (m > n),
    # and fewer tiles than threads (n = 20 is two 16-wide tiles). All above the
    # parallel threshold.
    monkeypatch.setenv("JAXLITE_GEMM_THREADS", "3")
    assert gemm.fallback_threads() == 3
    module = ir.Module(name="gemm_threads")
    module.triple = llvm.get_process_triple()
    types = [I64, I64, I64, ir.PointerType(), I64, ir.PointerType(), I64, ir.PointerType(), I64]
    for ta, tb in TRANS:
        fn = ir.Function(module, ir.FunctionType(ir.VoidType(), types), name=f"entry_{ta}_{tb}")
        builder = ir.IRBuilder(fn.append_basic_block("entry"))
        gemm.emit_gemm(builder, module, dtype, ta, tb, *fn.args, beta=1.0, backend="llvm")
        builder.ret_void()
    assert threadpool.PARALLEL_FOR in str(module)
    engine, mod = _optimize_and_jit(module)
    proto = ctypes.CFUNCTYPE(None, *[ctypes.c_int64 if t == I64 else ctypes.c_void_p
                                     for t in types])
    rng = np.random.default_rng(9)
    for ta, tb in TRANS:
        f = proto(engine.get_function_address(f"entry_{ta}_{tb}"))
        for m, n, k in [(64, 300, 300), (301, 40, 400), (20, 20, 12000)]:
            a, lda = _operand(*((k, m) if ta else (m, k)), dtype, rng, 1)
            b, ldb = _operand(*((n, k) if tb else (k, n)), dtype, rng, 2)
            c = _random((m, n), dtype, rng)
            expected = reference_matmul(a.T if ta else a, b.T if tb else b) + c
            f(m, n, k, a.ctypes.data, lda, b.ctypes.data, ldb, c.ctypes.data, n)
            assert_close(c, expected, dtype, k)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cold_kernel_used_when_panels_cannot_be_allocated(dtype):
    # The packed kernel falls back to this unblocked one if malloc fails; call it directly.
    module = ir.Module(name="gemm_cold")
    module.triple = llvm.get_process_triple()
    etype = gemm._FLOAT_TYPES[np.dtype(dtype)]
    cold = gemm._define_cold_gemm(module, etype, gemm._SHORT[np.dtype(dtype)])
    types = [ir.IntType(1)] * 2 + _entry_types(False) + [etype, etype, ir.PointerType()]
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), types), name="entry")
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    builder.call(cold, list(fn.args))
    builder.ret_void()
    engine, mod = _optimize_and_jit(module)
    ctype = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    proto = ctypes.CFUNCTYPE(None, ctypes.c_bool, ctypes.c_bool,
                             *[ctypes.c_int64 if t == I64 else ctypes.c_void_p
                               for t in _entry_types(False)], ctype, ctype, ctypes.c_void_p)
    f = proto(engine.get_function_address("entry"))
    rng = np.random.default_rng(10)
    for ta, tb in TRANS:
        for beta, alpha in ((0.0, 1.0), (2.0, 1.0), (1.0, -0.5)):
            m, n, k = 5, 7, 9
            a, lda = _operand(*((k, m) if ta else (m, k)), dtype, rng, 1)
            b, ldb = _operand(*((n, k) if tb else (k, n)), dtype, rng, 2)
            c = np.full((m, n), np.nan, dtype) if beta == 0 else _random((m, n), dtype, rng)
            expected = alpha * reference_matmul(a.T if ta else a, b.T if tb else b)
            if beta:
                expected = expected + beta * c
            f(ta, tb, m, n, k, a.ctypes.data, lda, b.ctypes.data, ldb, c.ctypes.data, n, beta,
              alpha, c.ctypes.data)
            assert_close(c, expected, dtype, k)


def test_blas_threads_knob(monkeypatch):
    # JAXLITE_BLAS_THREADS=1: each call runs OpenBLAS on one thread and restores the
    # caller's setting afterwards (numpy's own calls are unaffected).
    blas = native.find_blas()
    if blas is None or blas.set_threads_symbol is None:
        pytest.skip("no OpenBLAS with openblas_set_num_threads_local")
    before = native.blas_threads()
    monkeypatch.setenv("JAXLITE_BLAS_THREADS", "1")
    assert native.blas_threads() == 1
    module = ir.Module(name="gemm_blas_threads")
    module.triple = llvm.get_process_triple()
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), _entry_types(False)), name="entry")
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    gemm.emit_gemm(builder, module, np.float32, False, True, *fn.args, backend="blas")
    builder.ret_void()
    assert native.Blas.set_threads_alias in str(module)
    engine, mod = _optimize_and_jit(module)
    proto = ctypes.CFUNCTYPE(None, *[ctypes.c_int64 if t == I64 else ctypes.c_void_p
                                     for t in _entry_types(False)])
    f = proto(engine.get_function_address("entry"))
    rng = np.random.default_rng(11)
    a, b = _random((70, 90), np.float32, rng), _random((60, 90), np.float32, rng)
    c = np.empty((70, 60), np.float32)
    f(70, 60, 90, a.ctypes.data, 90, b.ctypes.data, 90, c.ctypes.data, 60)
    assert_close(c, reference_matmul(a, b.T), np.float32, 90)
    monkeypatch.delenv("JAXLITE_BLAS_THREADS")
    assert native.blas_threads() == before


def _lp64_openblas():
    """An OpenBLAS with 32-bit ints (scipy's wheel bundles one), or None."""
    for prefix in dict.fromkeys([sys.prefix, sys.base_prefix]):
        pattern = os.path.join(prefix, "lib", "python3*", "site-packages", "scipy.libs",
                               "libscipy_openblas-*")
        found = [p for p in glob.glob(pattern) if "openblas64" not in p]
        if found:
            return found[0]
    return None


def test_lp64_blas_through_jaxlite_blas_env():
    # The 32-bit-integer CBLAS path (system / scipy OpenBLAS), selected with JAXLITE_BLAS.
    # A subprocess: the BLAS is chosen once per process.
    path = _lp64_openblas()
    if path is None:
        pytest.skip("no LP64 OpenBLAS on this machine")
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{os.path.dirname(__file__)!r}, {os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))!r}]
        import numpy as np
        import test_gemm as t
        t.BETAS = (0.0, 2.0)              # fewer variants: a faster compile
        assert t.gemm.prepare() == "openblas:" + {path!r}, t.gemm.prepare()
        assert t.native.find_blas().int_bits == 32
        for dtype in (np.float32, np.float64):
            for ta, tb in t.TRANS:
                for beta in (0.0, 2.0):
                    c, expected, _ = t.run_gemm(dtype, ta, tb, 37, 19, 53, "blas", beta=beta,
                                                pad=3)
                    t.assert_close(c, expected, dtype, 53)
        print("ok")
    """)
    env = dict(os.environ, JAXLITE_BLAS=path)
    env.pop("JAXLITE_GEMM", None)
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
