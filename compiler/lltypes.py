"""dtype <-> LLVM type mapping and constants, and the one check of the host's
AVX-512 that kernels choosing explicit vector widths or instructions share.

Storage types are also the register types: bool lives as i8 holding 0 or 1
(numpy's layout), so loads and stores never convert.
"""
import functools

import numpy as np
from llvmlite import binding, ir

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I16 = ir.IntType(16)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
F16 = ir.HalfType()
F32 = ir.FloatType()
F64 = ir.DoubleType()
PTR = ir.PointerType()
VOID = ir.VoidType()

# LLVM integers carry no sign: unsigned dtypes share the signed types, and the
# rules pick the unsigned instructions (udiv, icmp ult, zext, uitofp, ...).
_TYPES = {
    np.dtype(np.bool_): I8,
    np.dtype(np.int8): I8, np.dtype(np.uint8): I8,
    np.dtype(np.int16): I16, np.dtype(np.uint16): I16,
    np.dtype(np.int32): I32, np.dtype(np.uint32): I32,
    np.dtype(np.int64): I64, np.dtype(np.uint64): I64,
    np.dtype(np.float16): F16,
    np.dtype(np.float32): F32,
    np.dtype(np.float64): F64,
}


def lltype(dtype):
    """The LLVM type holding one element of ``dtype``."""
    try:
        return _TYPES[np.dtype(dtype)]
    except KeyError:
        raise TypeError(f"the compiler has no LLVM type for dtype {dtype}") from None


def is_float(dtype):
    return np.dtype(dtype).kind == "f"


def is_bool(dtype):
    return np.dtype(dtype).kind == "b"


def is_unsigned(dtype):
    """Unsigned integers and bool (0/1): compared, divided and extended unsigned."""
    return np.dtype(dtype).kind in "ub"


def const(dtype, value):
    """An LLVM constant of ``dtype`` from a Python/numpy scalar."""
    dtype = np.dtype(dtype)
    ty = lltype(dtype)
    if dtype.kind == "f":
        return ir.Constant(ty, float(value))
    if dtype.kind == "b":
        return ir.Constant(ty, 1 if bool(value) else 0)
    v = int(value)
    bits = dtype.itemsize * 8
    if v >= 2 ** (bits - 1):        # an unsigned value above the signed range: same bits
        v -= 2 ** bits
    return ir.Constant(ty, v)


def i64(value):
    return ir.Constant(I64, int(value))


def identity(kind, dtype):
    """The starting value of a reduction of ``kind`` (sum/prod/max/min) in ``dtype``."""
    dtype = np.dtype(dtype)
    if kind == "sum":
        return const(dtype, 0)
    if kind == "prod":
        return const(dtype, 1)
    if dtype.kind == "f":
        return const(dtype, -np.inf if kind == "max" else np.inf)
    if dtype.kind == "b":
        return const(dtype, kind == "min")
    info = np.iinfo(dtype)
    return const(dtype, info.min if kind == "max" else info.max)


def declare(module, name, ret, args):
    """The function ``name`` of ``module``, declared on first use (an LLVM
    intrinsic, a libc function, or a symbol registered by ``native.py``)."""
    fn = module.globals.get(name)
    if fn is None:
        fn = ir.Function(module, ir.FunctionType(ret, args), name=name)
    return fn


def elem(builder, ptr, etype, index):
    """Pointer to element ``index`` of an array of ``etype`` at ``ptr``."""
    gep = builder.gep(ptr, [index], source_etype=etype)
    # llvmlite still types allocas (and maybe a caller's pointers) as `float*`, which
    # would make it refuse vector stores through them; the printed IR is `ptr` anyway.
    gep.type = PTR
    return gep


def field(builder, struct_ptr, struct_type, index):
    """Pointer to field ``index`` of the ``struct_type`` at ``struct_ptr``."""
    gep = builder.gep(struct_ptr, [ir.Constant(I32, 0), ir.Constant(I32, index)],
                      source_etype=struct_type)
    gep.type = PTR
    return gep


@functools.lru_cache(maxsize=None)
def has_avx512():
    """Does the host (the engine's target) have AVX-512F? Explicit 512-bit
    vectors, compress stores and vscalef (llvm.ldexp) depend on it."""
    try:
        return "+avx512f" in binding.get_host_cpu_features().flatten().split(",")
    except RuntimeError:
        return False
