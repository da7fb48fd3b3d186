"""GEMM throughput: compiler/gemm.py (BLAS path and LLVM kernel) against np.matmul.

    /work/venv/bin/python benchmarks/bench_gemm.py

Shapes are the MLP-784-512-512-10 training step's GEMMs at batch 128, float32.
Each native call runs the GEMM ``reps`` times inside compiled code, so ctypes overhead
does not count.
"""
import ctypes
import os
import sys

import numpy as np
import llvmlite.binding as llvm
from llvmlite import ir

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.common import machine, timeit  # noqa: E402
from jaxlite.compiler import gemm, native  # noqa: E402

SHAPES = [(128, 784, 512), (128, 512, 512), (512, 128, 512)]   # (m, k, n)
I64 = ir.IntType(64)


def build(dtype, trans_a, trans_b, backend, threads=None):
    """Native f(reps, m, n, k, a, lda, b, ldb, c, ldc) calling emit_gemm reps times.

    ``threads`` sets the thread count while emitting: JAXLITE_GEMM_THREADS for the LLVM
    kernel, JAXLITE_BLAS_THREADS for BLAS (None: the default).
    """
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    gemm.prepare()
    module = ir.Module(name="bench_gemm")
    module.triple = llvm.get_process_triple()
    ptr = ir.PointerType()
    types = [I64, I64, I64, I64, ptr, I64, ptr, I64, ptr, I64]
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), types), name="entry")
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    reps, *args = fn.args
    env = "JAXLITE_GEMM_THREADS" if backend == "llvm" else "JAXLITE_BLAS_THREADS"
    saved = os.environ.get(env)
    if threads is not None:
        os.environ[env] = str(threads)
    try:
        with gemm._loop(builder, 0, reps, name="rep"):
            gemm.emit_gemm(builder, module, dtype, trans_a, trans_b, *args, backend=backend)
    finally:
        if saved is None:
            os.environ.pop(env, None)
        else:
            os.environ[env] = saved
    builder.ret_void()
    mod = llvm.parse_assembly(str(module))
    mod.verify()
    tm = llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=3)
    pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(speed_level=3))
    pb.getModulePassManager().run(mod, pb)
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    proto = ctypes.CFUNCTYPE(None, *[ctypes.c_int64 if t == I64 else ctypes.c_void_p
                                     for t in types])
    cfn = proto(engine.get_function_address("entry"))
    cfn._keep = (engine, mod)
    return cfn


def bench(reps=20):
    dtype = np.float32
    rng = np.random.default_rng(0)
    gemm.prepare()
    threads = gemm.fallback_threads()
    # column name -> (backend, LLVM kernel threads)
    variants = {"blas": ("blas", None), "blas-1t": ("blas", 1),
                f"llvm-{threads}t": ("llvm", threads), "llvm-1t": ("llvm", 1)}
    print(f"# GEMM float32 ({machine()}); OpenBLAS threads: {native.blas_threads()}; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"# backend in use: {gemm.prepare()}")
    print(f"{'m x k @ k x n':>22} {'numpy':>10} " + " ".join(f"{b:>10}" for b in variants)
          + "   (GFLOP/s)")
    kernels = {name: build(dtype, False, False, *v) for name, v in variants.items()}
    for m, k, n in SHAPES:
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        c = np.empty((m, n), dtype)
        flops = 2.0 * m * n * k
        t_np = timeit(lambda: [np.matmul(a, b, out=c) for _ in range(reps)]) / reps
        row = [flops / t_np / 1e9]
        for name in variants:
            f = kernels[name]
            t = timeit(lambda: f(reps, m, n, k, a.ctypes.data, k, b.ctypes.data, n,
                                 c.ctypes.data, n)) / reps
            np.testing.assert_allclose(c, a @ b, rtol=1e-3, atol=1e-3)
            row.append(flops / t / 1e9)
        label = f"{m}x{k} @ {k}x{n}"
        print(f"{label:>22} " + " ".join(f"{g:>10.1f}" for g in row))


if __name__ == "__main__":
    bench()
