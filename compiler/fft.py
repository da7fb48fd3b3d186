"""Kernel rule for ``fft`` and ``fft_planar``: FFTs in generated code.

A transform over k trailing axes is k passes of one-dimensional transforms,
each over every line along its axis (all other indices are the batch). A line
is copied into a planar work buffer (real and imaginary parts in separate
arrays, which vectorizes), transformed, and copied out scaled:

* length 2^k: Stockham autosort passes (no bit reversal), radix 4 with one
  radix-2 pass first when k is odd; each pass is a loop nest with constant
  trip counts and contiguous per-pass twiddle tables;
* any other length n: Bluestein's chirp-z algorithm, a circular convolution of
  power-of-two length m >= 2n - 1 done by two of the FFTs above, with the
  chirp and the transformed convolution kernel precomputed.

Tables (twiddles, chirps, the kernel's spectrum) are computed once per process
by numpy in float64 when a module needs them, rounded to the working dtype,
and reached through a symbol registered with MCJIT (``jaxlite_fft_*``), so the
IR names no process-specific address. Inverse transforms reuse the forward
code: swapping the real and imaginary parts of input and output turns a DFT
into the unnormalized inverse one. RFFT feeds zeros as imaginary parts and
keeps half the spectrum; IRFFT rebuilds the Hermitian spectrum in the copy-in.

The complex expansion pass (complex_expand.py) rewrites ``fft`` on complex
values into ``fft_planar`` on their planes; the same kernel rule also lowers
``fft`` on complex buffers directly (interleaved planes: stride 2 from one base).
"""
import threading

import numpy as np
import llvmlite.binding as llvm
from llvmlite import ir

from jaxlite.compiler import complex_expand, loops
from jaxlite.compiler.lltypes import F32, F64, I64, PTR, VOID, declare, i64
from jaxlite.compiler.registry import kernel_rule
from jaxlite.lax import fft_ops
from jaxlite.lax.fft_ops import FftType

_lock = threading.Lock()
_TABLES = {}            # symbol -> (numpy array kept alive, layout)
_REAL = {np.dtype(np.float32): F32, np.dtype(np.float64): F64,
         np.dtype(np.complex64): F32, np.dtype(np.complex128): F64}


def _part_dtype(dtype):
    return np.dtype(np.float32) if _REAL[np.dtype(dtype)] is F32 else np.dtype(np.float64)


def _is_pow2(n):
    return n & (n - 1) == 0


# ---------------------------------------------------------------- tables

def _stages(n):
    """The Stockham passes of a length-2^k transform: (radix, s, m) with s the
    number of interleaved sub-transforms and m the butterflies per one."""
    out, s = [], 1
    if (n.bit_length() - 1) % 2:
        out.append((2, 1, n // 2))
        s = 2
    while s < n:
        out.append((4, s, n // (4 * s)))
        s *= 4
    return out


def _pow2_table(n):
    """Per pass, the twiddles w^(r p s) (w = exp(-2 pi i / n)) for r = 1..radix-1
    and p < m, contiguous in p: [re..., im...] blocks and their offsets."""
    parts, layout, off = [], [], 0
    for radix, s, m in _stages(n):
        offs = []
        for r in range(1, radix):
            j = (r * s * np.arange(m)) % n
            ang = -2.0 * np.pi * j / n
            parts += [np.cos(ang), np.sin(ang)]
            offs.append((off, off + m))
            off += 2 * m
        layout.append(offs)
    data = np.concatenate(parts) if parts else np.zeros(1)
    return data, layout


def _bluestein_table(n, m):
    """chirp c_k = exp(-i pi k^2 / n) (k < n) and FFT_m(b) / m, b the chirp's
    conjugate wrapped around (b_k = b_{m-k}): [c re, c im, B re, B im]."""
    k = np.arange(n, dtype=np.int64)
    ang = -np.pi * ((k * k) % (2 * n)) / n        # k^2 mod 2n keeps the angle exact
    c = np.cos(ang) + 1j * np.sin(ang)
    bvec = np.zeros(m, np.complex128)
    bvec[:n] = np.conj(c)
    bvec[m - n + 1:] = np.conj(c[1:])[::-1]
    big = np.fft.fft(bvec) / m
    return np.concatenate([c.real, c.imag, big.real, big.imag])


def _table_global(module, dtype, kind, n):
    """The table ``kind`` (pow2 / bluestein) for length n as a global of the
    module; the data itself is computed (once per process) and registered."""
    tag = "f32" if dtype == np.float32 else "f64"
    name = f"jaxlite_fft_{kind}_{tag}_{n}"
    with _lock:
        if name not in _TABLES:
            if kind == "pow2":
                data, layout = _pow2_table(n)
            else:
                data, layout = _bluestein_table(n, _bluestein_size(n)), None
            arr = np.ascontiguousarray(data, dtype)
            llvm.add_symbol(name, arr.ctypes.data)
            _TABLES[name] = (arr, layout)
        arr, layout = _TABLES[name]
    g = module.globals.get(name)
    if g is None:
        g = ir.GlobalVariable(module, ir.ArrayType(_REAL[np.dtype(dtype)], arr.size), name)
    return g, layout


def _bluestein_size(n):
    return 1 << (2 * n - 2).bit_length()


# ------------------------------------------------------------ line code

class _Line:
    """IR helpers inside one generated function (element type T)."""

    def __init__(self, b, T):
        self.b, self.T = b, T

    def ld(self, p, i):
        return self.b.load(self.b.gep(p, [i], source_etype=self.T), typ=self.T)

    def st(self, v, p, i):
        self.b.store(v, self.b.gep(p, [i], source_etype=self.T))

    def at(self, p, i):
        return self.b.gep(p, [i], source_etype=self.T)

    def cmul(self, ar, ai, br, bi):
        b = self.b
        return (b.fsub(b.fmul(ar, br), b.fmul(ai, bi)), b.fadd(b.fmul(ar, bi), b.fmul(ai, br)))

    def zero(self):
        return ir.Constant(self.T, 0.0)


def _emit_pass(L, src, dst, tw, offs, radix, s, m):
    """One Stockham pass from planes src=(re, im) to dst (see _stages)."""
    b = L.b
    xr, xi = src
    yr, yi = dst

    def body(p, q):
        def x(k):
            i = b.add(q, b.mul(i64(s), b.add(p, i64(k * m))))
            return L.ld(xr, i), L.ld(xi, i)

        def y(k, v):
            i = b.add(q, b.mul(i64(s), b.add(b.mul(p, i64(radix)), i64(k))))
            L.st(v[0], yr, i)
            L.st(v[1], yi, i)

        def w(r):
            o_re, o_im = offs[r - 1]
            return L.ld(tw, b.add(p, i64(o_re))), L.ld(tw, b.add(p, i64(o_im)))

        if radix == 2:
            (ar, ai), (cr, ci) = x(0), x(1)
            y(0, (b.fadd(ar, cr), b.fadd(ai, ci)))
            y(1, L.cmul(b.fsub(ar, cr), b.fsub(ai, ci), *w(1)))
            return
        (ar, ai), (br, bi), (cr, ci), (dr, di) = x(0), x(1), x(2), x(3)
        pr, pi = b.fadd(ar, cr), b.fadd(ai, ci)          # a + c
        mr, mi = b.fsub(ar, cr), b.fsub(ai, ci)          # a - c
        sr, si = b.fadd(br, dr), b.fadd(bi, di)          # b + d
        jr, ji = b.fsub(bi, di), b.fsub(dr, br)          # -i (b - d)
        y(0, (b.fadd(pr, sr), b.fadd(pi, si)))
        y(1, L.cmul(b.fadd(mr, jr), b.fadd(mi, ji), *w(1)))
        y(2, L.cmul(b.fsub(pr, sr), b.fsub(pi, si), *w(2)))
        y(3, L.cmul(b.fsub(mr, jr), b.fsub(mi, ji), *w(3)))

    # The longer loop innermost: contiguous in q once s is large.
    if s >= 4:
        with loops.for_range(b, m, name="p") as p:
            with loops.for_range(b, s, name="q") as q:
                body(p, q)
    else:
        with loops.for_range(b, s, name="q") as q:
            with loops.for_range(b, m, name="p") as p:
                body(p, q)


def _stockham_function(module, dtype, n):
    """``void f(ar, ai, br, bi)``: forward DFT of the planes (ar, ai) of length
    n = 2^k, using (br, bi) as scratch; the result is in a or b as
    ``_result_in_b(n)`` says."""
    tag = "f32" if dtype == np.float32 else "f64"
    name = f"jaxlite_fft_stockham_{tag}_{n}"
    fn = module.globals.get(name)
    if fn is not None:
        return fn
    T = _REAL[np.dtype(dtype)]
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR] * 4), name=name)
    fn.linkage = "internal"
    for a in fn.args:
        a.add_attribute("noalias")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    L = _Line(b, T)
    tw, layout = _table_global(module, dtype, "pow2", n)
    bufs = [(fn.args[0], fn.args[1]), (fn.args[2], fn.args[3])]
    for k, (radix, s, m) in enumerate(_stages(n)):
        _emit_pass(L, bufs[k % 2], bufs[(k + 1) % 2], tw, layout[k], radix, s, m)
    b.ret_void()
    return fn


def _result_in_b(n):
    return len(_stages(n)) % 2 == 1


class _Mode:
    """How a line is read and written.

    ``read``: ``complex`` (re, im), ``real`` (im = 0), ``herm`` (the first
    n//2 + 1 entries of a Hermitian spectrum, given with real and imaginary
    parts swapped, entries above n/2 rebuilt as swapped conjugates);
    ``write``: ``complex``, ``half`` (the first n//2 + 1 entries), ``imag``
    (only the imaginary plane, into the real output); ``scale`` multiplies
    what is written."""

    def __init__(self, read, write, scale):
        self.read, self.write, self.scale = read, write, float(scale)

    def key(self):
        return f"{self.read}_{self.write}_{self.scale!r}".replace(".", "p").replace("-", "m")


def _line_function(module, dtype, n, mode):
    """``void f(in_re, in_im, in_stride, out_re, out_im, out_stride, work)``:
    one forward DFT of length n from a strided line to a strided line; work
    holds 4 * L elements (L = n, or Bluestein's m)."""
    tag = "f32" if dtype == np.float32 else "f64"
    name = f"jaxlite_fft_line_{tag}_{n}_{mode.key()}"
    fn = module.globals.get(name)
    if fn is not None:
        return fn
    T = _REAL[np.dtype(dtype)]
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR, PTR, I64, PTR, PTR, I64, PTR]),
                     name=name)
    fn.linkage = "internal"
    in_re, in_im, in_s, out_re, out_im, out_s, work = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    L = _Line(b, T)
    size = n if _is_pow2(n) else _bluestein_size(n)
    ar, ai, br, bi = (L.at(work, i64(k * size)) for k in range(4))
    chirp = None
    if not _is_pow2(n):
        chirp, _ = _table_global(module, dtype, "bluestein", n)

    def read(k):
        if mode.read == "real":
            return L.ld(in_re, b.mul(k, in_s)), L.zero()
        return L.ld(in_re, b.mul(k, in_s)), L.ld(in_im, b.mul(k, in_s))

    def put(k, v):
        if chirp is not None:
            v = L.cmul(*v, L.ld(chirp, k), L.ld(chirp, b.add(k, i64(n))))
        L.st(v[0], ar, k)
        L.st(v[1], ai, k)

    # copy in (times the chirp for Bluestein)
    if mode.read == "herm":
        with loops.for_range(b, n // 2 + 1, name="lo") as k:
            put(k, read(k))
        with loops.for_range(b, n, start=n // 2 + 1, name="hi") as k:
            vr, vi = read(b.sub(i64(n), k))
            put(k, (b.fneg(vr), vi))
    else:
        with loops.for_range(b, n, name="in") as k:
            put(k, read(k))
    fwd = _stockham_function(module, dtype, size)
    if chirp is None:
        b.call(fwd, [ar, ai, br, bi])
        res = (br, bi) if _result_in_b(size) else (ar, ai)
    else:
        with loops.for_range(b, size, start=n, name="pad") as k:
            L.st(L.zero(), ar, k)
            L.st(L.zero(), ai, k)
        b.call(fwd, [ar, ai, br, bi])
        sr, si = (br, bi) if _result_in_b(size) else (ar, ai)
        with loops.for_range(b, size, name="kernel") as k:     # times FFT(b) / m
            v = L.cmul(L.ld(sr, k), L.ld(si, k), L.ld(chirp, b.add(k, i64(2 * n))),
                       L.ld(chirp, b.add(k, i64(2 * n + size))))
            L.st(v[0], sr, k)
            L.st(v[1], si, k)
        # The inverse FFT as a forward one on swapped planes, whose result
        # (read swapped back) is in the other pair or in place.
        other = (ar, ai) if sr is br else (br, bi)
        b.call(fwd, [si, sr, other[1], other[0]])
        res = other if _result_in_b(size) else (sr, si)

    def result(k):
        v = L.ld(res[0], k), L.ld(res[1], k)
        if chirp is not None:
            v = L.cmul(*v, L.ld(chirp, k), L.ld(chirp, b.add(k, i64(n))))
        if mode.scale != 1.0:
            s = ir.Constant(T, mode.scale)
            v = b.fmul(v[0], s), b.fmul(v[1], s)
        return v

    count = n // 2 + 1 if mode.write == "half" else n
    with loops.for_range(b, count, name="out") as k:
        vr, vi = result(k)
        o = b.mul(k, out_s)
        if mode.write == "imag":
            L.st(vi, out_re, o)
        else:
            L.st(vr, out_re, o)
            L.st(vi, out_im, o)
    b.ret_void()
    return fn


# ------------------------------------------------------------ the kernel

class _Planes:
    """A buffer as real and imaginary planes: pointers and element stride."""

    def __init__(self, re, im, step, shape):
        self.re, self.im, self.step, self.shape = re, im, step, tuple(shape)


def _malloc(em, nbytes):
    return em.b.call(declare(em.module, "malloc", PTR, [I64]), [i64(max(nbytes, 8))])


def _free(em, ptr):
    em.b.call(declare(em.module, "free", VOID, [PTR]), [ptr])


def _pass(em, dtype, axis, src, dst, mode, work):
    """Transform every line along ``axis`` from src to dst (shapes may differ
    along ``axis`` only)."""
    b = em.b
    n = dst.shape[axis] if mode.read == "herm" else src.shape[axis]
    outer = int(np.prod(src.shape[:axis], dtype=np.int64))
    inner = int(np.prod(src.shape[axis + 1:], dtype=np.int64))
    fn = _line_function(em.module, dtype, n, mode)
    T = _REAL[np.dtype(dtype)]
    ns, nd = src.shape[axis], dst.shape[axis]
    with loops.for_range(b, outer, name="o") as o:
        with loops.for_range(b, inner, name="q") as q:
            si = b.mul(b.add(b.mul(o, i64(ns * inner)), q), i64(src.step))
            di = b.mul(b.add(b.mul(o, i64(nd * inner)), q), i64(dst.step))
            im_src = src.im if src.im is not None else src.re
            im_dst = dst.im if dst.im is not None else dst.re
            b.call(fn, [b.gep(src.re, [si], source_etype=T), b.gep(im_src, [si], source_etype=T),
                        i64(inner * src.step),
                        b.gep(dst.re, [di], source_etype=T), b.gep(im_dst, [di], source_etype=T),
                        i64(inner * dst.step), work])


def _work_elements(lengths):
    return 4 * max(n if _is_pow2(n) else _bluestein_size(n) for n in lengths)


def _planes_of(em, vars_, complex_buffer):
    """Planes of one complex buffer (interleaved), of two real buffers, or of one real one."""
    if complex_buffer:
        (v,) = vars_
        base = em.ptrs[em.prog.base(v)]
        T = _REAL[np.dtype(v.aval.dtype)]
        return _Planes(base, em.b.gep(base, [i64(1)], source_etype=T), 2, v.aval.shape)
    ptrs = [em.ptrs[em.prog.base(v)] for v in vars_]
    return _Planes(ptrs[0], ptrs[1] if len(ptrs) > 1 else None, 1, vars_[0].aval.shape)


@kernel_rule("fft", "fft_planar", label="fft", fuses_inputs=False)
def emit_fft(em, kernel):
    node = kernel.root
    typ, lengths = FftType(node.params["fft_type"]), node.params["fft_lengths"]
    ins, outs = list(node.inputs), list(node.outvars)
    if any(v.aval.size == 0 for v in ins + outs):
        return
    interleaved = node.prim == "fft"
    dtype = _part_dtype(ins[0].aval.dtype)
    src = _planes_of(em, ins, interleaved and typ != FftType.RFFT)
    dst = _planes_of(em, outs, interleaved and typ != FftType.IRFFT)
    rank = len(src.shape)
    axes = list(range(rank - len(lengths), rank))
    work = _malloc(em, _work_elements(lengths) * dtype.itemsize)
    inverse = typ in (FftType.IFFT, FftType.IRFFT)

    def swapped(p):          # the inverse transform as a forward one on swapped planes
        return _Planes(p.im, p.re, p.step, p.shape) if inverse else p

    if typ == FftType.IRFFT:
        temp = None
        if len(axes) > 1:
            temp = _malloc(em, 2 * int(np.prod(src.shape)) * dtype.itemsize)
            tre = temp
            tim = em.b.gep(temp, [i64(int(np.prod(src.shape)))],
                           source_etype=_REAL[dtype])
            cur = src
            for ax in axes[:-1]:
                t = _Planes(tre, tim, 1, src.shape)
                _pass(em, dtype, ax, swapped(cur), swapped(t),
                      _Mode("complex", "complex", 1.0 / src.shape[ax]), work)
                cur = t
            src = cur
        # swapped planes in; the real result is the imaginary plane out
        _pass(em, dtype, axes[-1], _Planes(src.im, src.re, src.step, src.shape), dst,
              _Mode("herm", "imag", 1.0 / lengths[-1]), work)
        if temp is not None:
            _free(em, temp)
    else:
        first = axes[-1]
        if typ == FftType.RFFT:
            _pass(em, dtype, first, src, dst, _Mode("real", "half", 1.0), work)
        else:
            _pass(em, dtype, first, swapped(src), swapped(dst),
                  _Mode("complex", "complex", 1.0 / src.shape[first] if inverse else 1.0),
                  work)
        for ax in axes[:-1]:
            _pass(em, dtype, ax, swapped(dst), swapped(dst),
                  _Mode("complex", "complex", 1.0 / dst.shape[ax] if inverse else 1.0), work)
    _free(em, work)


def _expand(x, fft_type, fft_lengths):
    """``fft`` on complex values (Pairs) as ``fft_planar`` on their planes."""
    planes = [x] if fft_type == FftType.RFFT else [x.re, x.im]
    outs = fft_ops.fft_planar(planes, fft_type, fft_lengths)
    return outs[0] if fft_type == FftType.IRFFT else complex_expand.Pair(*outs)


complex_expand.register("fft", _expand)
