"""Kernel rule for ``fft_planar``: FFTs in generated code.

A transform over k trailing axes is k passes of one-dimensional transforms,
each over every line along its axis (all other indices are the batch). A line
is copied into a planar work buffer (real and imaginary parts in separate
arrays, which vectorizes), transformed, and copied out scaled:

* lengths 2^a 3^b 5^c: Stockham autosort passes (no bit reversal) of radix
  4 (one radix-2 pass first when a is odd), 3 and 5; each pass is a loop
  nest with constant trip counts and contiguous per-pass twiddle tables;
* any other length n: Bluestein's chirp-z algorithm, a circular convolution of
  smooth length m >= 2n - 1 done by two of the FFTs above, with the
  chirp and the transformed convolution kernel precomputed.

Tables (twiddles, chirps, the kernel's spectrum) are computed once per process
by numpy in float64 when a module needs them, rounded to the working dtype,
and reached through a symbol registered with MCJIT (``jaxlite_fft_*``), so the
IR names no process-specific address. Inverse transforms reuse the forward
code: swapping the real and imaginary parts of input and output turns a DFT
into the unnormalized inverse one. RFFT feeds zeros as imaginary parts and
keeps half the spectrum; IRFFT rebuilds the Hermitian spectrum in the copy-in.

The complex expansion pass (complex_expand.py) rewrites ``fft`` on complex
values into ``fft_planar`` on their planes. The kernel reads its inputs
through fused producers (``fuses_inputs``): the planes of a complex argument
are strided reads of it in the copy-in, never separate arrays.
"""
import contextlib
import threading

import numpy as np
import llvmlite.binding as llvm
from llvmlite import ir

from jaxlite import core
from jaxlite.ir import Eqn
from jaxlite.compiler import complex_expand, fusion, loops, parallel, registry, threadpool
from jaxlite.compiler.lltypes import F32, F64, I32, I64, PTR, VOID, declare, field, has_avx512, i64
from jaxlite.compiler.registry import kernel_rule
from jaxlite.lax import fft_ops
from jaxlite.lax.fft_ops import FftType

_lock = threading.Lock()
VECTOR_Q = 8        # Stockham passes with fewer interleaved transforms: explicit vectors
# A pass over many lines runs in chunks of lines over the worker pool when its work
# (elements times log2 of the length, summed over lines; ~0.15-0.2 ns each on one
# core) is at least PARALLEL_MIN_WORK, ~40-50 us: below that, waking the pool and
# waiting for the last chunk costs more than it saves. Up to CHUNKS_PER_THREAD chunks
# per thread (a descheduled thread's lines are picked up by the others), each of at
# least CHUNK_MIN_WORK (a chunk mallocs its own work buffer).
PARALLEL_MIN_WORK = 1 << 18
CHUNK_MIN_WORK = 1 << 15
CHUNKS_PER_THREAD = 8
_TABLES = {}            # symbol -> (numpy array kept alive, layout)
_REAL = {np.dtype(np.float32): F32, np.dtype(np.float64): F64}
# Products and the sums they feed may fuse into FMAs (one rounding fewer).
_CONTRACT = ("contract",)
_TEMP = object()        # em.ptrs key of an IRFFT's intermediate planes (see emit_fft)


def _factors(n):
    """The radices of n = 2^a 3^b 5^c (one 2 first when a is odd, then 4s, 3s,
    5s), or None for any other n (done by Bluestein)."""
    out = []
    twos = 0
    while n % 2 == 0:
        n //= 2
        twos += 1
    if twos % 2:
        out.append(2)
    out += [4] * (twos // 2)
    for r in (3, 5):
        while n % r == 0:
            n //= r
            out.append(r)
    return out if n == 1 else None


def _smooth(n):
    return _factors(n) is not None


def _stages(n):
    """The Stockham passes of a transform of smooth length n: (radix, s, m)
    with s the number of interleaved sub-transforms and m the butterflies of
    each (n = s * radix * m)."""
    out, s = [], 1
    for r in _factors(n):
        out.append((r, s, n // (s * r)))
        s *= r
    return out


def _stage_table(n):
    """Per pass, the twiddles w^(k p s) (w = exp(-2 pi i / n)) for k = 1..radix-1
    and p < m, contiguous in p: [re..., im...] blocks and their offsets."""
    parts, layout, off = [], [], 0
    for radix, s, m in _stages(n):
        offs = []
        for k in range(1, radix):
            j = (k * s * np.arange(m)) % n
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
    """The table ``kind`` (stages / real / bluestein) for length n as a global of the
    module; the data itself is computed (once per process) and registered."""
    tag = "f32" if dtype == np.float32 else "f64"
    name = f"jaxlite_fft_{kind}_{tag}_{n}"
    with _lock:
        if name not in _TABLES:
            if kind == "stages":
                data, layout = _stage_table(n)
            elif kind == "real":         # w^k for k <= n/2, the real transforms' post-twiddles
                ang = -2.0 * np.pi * np.arange(n // 2 + 1) / n
                data, layout = np.concatenate([np.cos(ang), np.sin(ang)]), None
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


def _line_size(n):
    """The length of the transforms that compute one of length n."""
    return n if _smooth(n) else _bluestein_size(n)


def _plane_stride(n):
    """Elements from one work plane to the next: the line size rounded up to 64
    bytes of float32, so that every plane starts on a cache line (vectors that
    straddle two lines doubled the time of a 4096-point transform)."""
    return -(-_line_size(n) // 16) * 16


def _bluestein_size(n):
    """The smallest smooth length >= 2n - 1 (the circular convolution's)."""
    m = 2 * n - 1
    while not _smooth(m):
        m += 1
    return m


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
        c = _CONTRACT
        return (b.fsub(b.fmul(ar, br, flags=c), b.fmul(ai, bi, flags=c), flags=c),
                b.fadd(b.fmul(ar, bi, flags=c), b.fmul(ai, br, flags=c), flags=c))

    def zero(self):
        return ir.Constant(self.T, 0.0)

    def const(self, value):
        return ir.Constant(self.T, float(value))


class _VLine(_Line):
    """The same helpers on vectors of ``lanes`` consecutive elements."""

    def __init__(self, b, T, lanes):
        super().__init__(b, T)
        self.lanes, self.VT = lanes, ir.VectorType(T, lanes)
        self.align = 4 if T == F32 else 8           # the planes are aligned for elements only

    def ld(self, p, i):
        return self.b.load(self.b.gep(p, [i], source_etype=self.T), typ=self.VT,
                           align=self.align)

    def st(self, v, p, i):
        self.b.store(v, self.b.gep(p, [i], source_etype=self.T), align=self.align)

    def const(self, value):
        return ir.Constant(self.VT, [float(value)] * self.lanes)

    def splat(self, v):
        vec = self.b.insert_element(ir.Constant(self.VT, ir.Undefined), v, ir.Constant(I32, 0))
        return self.b.shuffle_vector(vec, vec, ir.Constant(ir.VectorType(I32, self.lanes),
                                                           [0] * self.lanes))


def _interleave(b, vecs, chunk=1):
    """Chunk p (``chunk`` lanes) of vector k to position p * len(vecs) + k, as
    len(vecs) vectors to store one after the other. Each is a chain of
    two-source shuffles of vector width (one permute instruction each): LLVM
    scalarized the single shuffle of all lanes on 512-bit vectors."""
    n, lanes = len(vecs), vecs[0].type.count
    mask_type = ir.VectorType(I32, lanes)

    def source(o):                              # output position -> (vector, lane)
        c, q = divmod(o, chunk)
        p, k = divmod(c, n)
        return k, p * chunk + q

    outs = []
    for t in range(n):
        srcs = [source(t * lanes + i) for i in range(lanes)]
        order = list(dict.fromkeys(k for k, _ in srcs))
        acc, have = vecs[order[0]], {order[0]}
        if len(order) == 1:
            mask = [lane for _, lane in srcs]
            outs.append(b.shuffle_vector(acc, acc, ir.Constant(mask_type, mask)))
            continue
        for k in order[1:]:       # lanes still to fill keep what they hold (i)
            mask = [(i if len(have) > 1 else lane) if src in have else
                    (lanes + lane if src == k else i) for i, (src, lane) in enumerate(srcs)]
            acc = b.shuffle_vector(acc, vecs[k], ir.Constant(mask_type, mask))
            have.add(k)
        outs.append(acc)
    return outs


def _butterfly(L, radix, xs):
    """The DFT of ``radix`` complex values (radix 2, 3, 4 or 5)."""
    b = L.b

    def add(u, v):
        return b.fadd(u[0], v[0]), b.fadd(u[1], v[1])

    def sub(u, v):
        return b.fsub(u[0], v[0]), b.fsub(u[1], v[1])

    if radix == 2:
        return [add(xs[0], xs[1]), sub(xs[0], xs[1])]
    if radix == 4:
        a, bb, c, d = xs
        apc, amc, bpd, bmd = add(a, c), sub(a, c), add(bb, d), sub(bb, d)
        jb = (bmd[1], b.fneg(bmd[0]))                   # -i (b - d)
        return [add(apc, bpd), add(amc, jb), sub(apc, bpd), sub(amc, jb)]
    # odd radix: pairs j, r - j share cos and differ in the sign of sin
    half = radix // 2
    t = [add(xs[j], xs[radix - j]) for j in range(1, half + 1)]
    u = [sub(xs[j], xs[radix - j]) for j in range(1, half + 1)]
    y0 = xs[0]
    for tj in t:
        y0 = add(y0, tj)
    out = [y0] + [None] * (radix - 1)
    for k in range(1, half + 1):
        ar, ai = xs[0]
        br = bi = None
        for j in range(1, half + 1):
            c = L.const(np.cos(2 * np.pi * j * k / radix))
            sn = L.const(np.sin(2 * np.pi * j * k / radix))
            f = _CONTRACT
            ar = b.fadd(ar, b.fmul(t[j - 1][0], c, flags=f), flags=f)
            ai = b.fadd(ai, b.fmul(t[j - 1][1], c, flags=f), flags=f)
            pr, pi = b.fmul(u[j - 1][0], sn, flags=f), b.fmul(u[j - 1][1], sn, flags=f)
            br, bi = (pr, pi) if br is None else (b.fadd(br, pr, flags=f),
                                                  b.fadd(bi, pi, flags=f))
        out[k] = (b.fadd(ar, bi), b.fsub(ai, br))          # a - i b
        out[radix - k] = (b.fsub(ar, bi), b.fadd(ai, br))  # a + i b
    return out


def _emit_stage(L, src, dst, tw, offs, radix, s, m):
    """One Stockham pass from planes src=(re, im) to dst (see _stages)."""
    # Vector code of the host's full width: over the s interleaved transforms
    # (q) when they fill whole vectors, else over groups of p with the outputs
    # interleaved by shuffles into contiguous stores. What neither covers is
    # scalar loops, which LLVM vectorizes where it can (along q once s is large;
    # below that it would go along p with scatters, so small s get explicit
    # vectors of s lanes).
    lanes = _lanes(L.T)
    if s % lanes == 0:
        _vector_stage_q(L, src, dst, tw, offs, radix, s, m, lanes)
    elif lanes % s == 0 and m >= lanes // s:
        groups = m // (lanes // s)
        _vector_stage_grouped(L, src, dst, tw, offs, radix, s, m, lanes, groups)
        _scalar_stage(L, src, dst, tw, offs, radix, s, m, groups * (lanes // s))
    elif s >= VECTOR_Q:
        _scalar_stage(L, src, dst, tw, offs, radix, s, m, 0)
    elif s > 1:
        _vector_stage_q(L, src, dst, tw, offs, radix, s, m, s)
    else:
        _scalar_stage(L, src, dst, tw, offs, radix, s, m, 0)


def _lanes(T):
    """Lanes of the explicit vectors: 512 bits on AVX-512 hosts, else 256."""
    bits = 512 if has_avx512() else 256
    return bits // (32 if T == F32 else 64)


def _twiddle(L, tw, offs, k, p):
    o_re, o_im = offs[k - 1]
    b = L.b
    return L.ld(tw, b.add(p, i64(o_re))), L.ld(tw, b.add(p, i64(o_im)))


def _scalar_stage(L, src, dst, tw, offs, radix, s, m, p_start):
    """Butterflies p_start <= p < m of a pass, one complex value at a time."""
    b = L.b
    (xr, xi), (yr, yi) = src, dst
    if p_start >= m:
        return
    with loops.for_range(b, m, start=p_start, name="p") as p:
        with loops.for_range(b, s, name="q") as q:
            xs = []
            for j in range(radix):
                i = b.add(q, b.mul(i64(s), b.add(p, i64(j * m))))
                xs.append((L.ld(xr, i), L.ld(xi, i)))
            ys = _butterfly(L, radix, xs)
            for k in range(radix):
                v = ys[k] if k == 0 else L.cmul(*ys[k], *_twiddle(L, tw, offs, k, p))
                i = b.add(q, b.mul(i64(s), b.add(b.mul(p, i64(radix)), i64(k))))
                L.st(v[0], yr, i)
                L.st(v[1], yi, i)


def _vector_stage_q(L, src, dst, tw, offs, radix, s, m, lanes):
    """A pass in vectors of ``lanes`` consecutive q (lanes divides s)."""
    b = L.b
    V = _VLine(b, L.T, lanes)
    with loops.for_range(b, m, name="p") as p:
        with loops.for_range(b, s // lanes, name="qb") as qb:
            q0 = b.mul(qb, i64(lanes))
            xs = []
            for j in range(radix):
                i = b.add(q0, b.mul(i64(s), b.add(p, i64(j * m))))
                xs.append((V.ld(src[0], i), V.ld(src[1], i)))
            ys = _butterfly(V, radix, xs)
            for k in range(radix):
                v = ys[k]
                if k:
                    v = V.cmul(*v, *(V.splat(w) for w in _twiddle(L, tw, offs, k, p)))
                i = b.add(q0, b.mul(i64(s), b.add(b.mul(p, i64(radix)), i64(k))))
                V.st(v[0], dst[0], i)
                V.st(v[1], dst[1], i)


def _vector_stage_grouped(L, src, dst, tw, offs, radix, s, m, lanes, groups):
    """The first ``groups`` groups of g = lanes / s consecutive p of a pass with
    s < lanes: a vector holds g butterflies' s values each (contiguous in the
    input), twiddles are loaded for the g p and repeated s times, and the
    outputs of a group, contiguous too, are interleaved by shuffles."""
    b = L.b
    V = _VLine(b, L.T, lanes)
    g = lanes // s
    spread = ir.Constant(ir.VectorType(I32, lanes), [i // s for i in range(lanes)])

    def twiddles(k, p0):
        out = []
        for o in offs[k - 1]:
            ptr = L.at(tw, b.add(p0, i64(o)))
            w = b.load(ptr, typ=ir.VectorType(L.T, g), align=V.align)
            out.append(w if g == lanes else b.shuffle_vector(w, w, spread))
        return out

    with loops.for_range(b, groups, name="pb") as pb:
        p0 = b.mul(pb, i64(g))
        xs = []
        for j in range(radix):
            i = b.mul(i64(s), b.add(p0, i64(j * m)))
            xs.append((V.ld(src[0], i), V.ld(src[1], i)))
        ys = _butterfly(V, radix, xs)
        outs = [ys[0]] + [V.cmul(*ys[k], *twiddles(k, p0)) for k in range(1, radix)]
        at = b.mul(p0, i64(s * radix))
        for plane in (0, 1):
            for t, v in enumerate(_interleave(b, [o[plane] for o in outs], s)):
                V.st(v, dst[plane], b.add(at, i64(t * lanes)))


def _stockham_function(module, dtype, n):
    """``void f(ar, ai, br, bi)``: forward DFT of the planes (ar, ai) of length
    n = 2^a 3^b 5^c, using (br, bi) as scratch; the result is in a or b as
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
    tw, layout = _table_global(module, dtype, "stages", n)
    bufs = [(fn.args[0], fn.args[1]), (fn.args[2], fn.args[3])]
    for k, (radix, s, m) in enumerate(_stages(n)):
        _emit_stage(L, bufs[k % 2], bufs[(k + 1) % 2], tw, layout[k], radix, s, m)
    b.ret_void()
    return fn


def _result_in_b(n):
    return len(_stages(n)) % 2 == 1


def _core_function(module, dtype, n):
    """``void core(work)``: the forward DFT of the length-n planes at the start
    of ``work`` = [ar | ai | br | bi] (each L = n, or Bluestein's m, long, at
    _plane_stride(n) from each other; ``work`` 64-byte aligned).
    Returns the function and the offsets of the result's planes in ``work``."""
    size, stride = _line_size(n), _plane_stride(n)
    in_b = _result_in_b(size)
    tag = "f32" if dtype == np.float32 else "f64"
    name = f"jaxlite_fft_core_{tag}_{n}"
    if _smooth(n):
        res = (2 * stride, 3 * stride) if in_b else (0, stride)
    else:   # two Stockham runs: the result is back in the first pair
        res = (0, stride)
    fn = module.globals.get(name)
    if fn is not None:
        return fn, res
    T = _REAL[np.dtype(dtype)]
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR]), name=name)
    fn.linkage = "internal"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    L = _Line(b, T)
    work = fn.args[0]
    ar, ai, br, bi = (L.at(work, i64(k * stride)) for k in range(4))
    fwd = _stockham_function(module, dtype, size)
    if _smooth(n):
        b.call(fwd, [ar, ai, br, bi])
        b.ret_void()
        return fn, res
    chirp, _ = _table_global(module, dtype, "bluestein", n)

    def times_chirp(pr, pi, count, offset):
        with loops.for_range(b, count, name="chirp") as k:
            v = L.cmul(L.ld(pr, k), L.ld(pi, k), L.ld(chirp, b.add(k, i64(offset))),
                       L.ld(chirp, b.add(k, i64(offset + (n if offset == 0 else size)))))
            L.st(v[0], pr, k)
            L.st(v[1], pi, k)

    times_chirp(ar, ai, n, 0)
    with loops.for_range(b, size, start=n, name="pad") as k:
        L.st(L.zero(), ar, k)
        L.st(L.zero(), ai, k)
    b.call(fwd, [ar, ai, br, bi])
    sr, si = (br, bi) if in_b else (ar, ai)
    times_chirp(sr, si, size, 2 * n)              # times FFT(b) / m
    # The inverse FFT as a forward one on swapped planes.
    other = (ar, ai) if in_b else (br, bi)
    b.call(fwd, [si, sr, other[1], other[0]])
    rr, ri = other if in_b else (sr, si)
    times_chirp(rr, ri, n, 0)
    b.ret_void()
    return fn, res


# ------------------------------------------------------------ the kernel

def _malloc(em, nbytes):
    return em.b.call(declare(em.module, "malloc", PTR, [I64]), [i64(max(nbytes, 8))])


def _free(em, ptr):
    em.b.call(declare(em.module, "free", VOID, [PTR]), [ptr])


class _Pass:
    """One-dimensional transforms of every line along ``axis``.

    ``read(idx) -> (re, im)`` and ``write(idx, re, im)`` reach the source and
    destination at a full index; ``shape`` is the destination's. ``herm``: the
    source holds the first n//2 + 1 entries of a Hermitian spectrum (IRFFT);
    ``half``: only n//2 + 1 entries are written (RFFT); ``inverse``: the
    unnormalized inverse, by swapping planes in and out; ``scale`` multiplies
    what is written."""

    def __init__(self, axis, n, read, write, shape, inverse=False, herm=False, half=False,
                 scale=1.0):
        self.axis, self.n, self.read, self.write, self.shape = axis, n, read, write, shape
        self.inverse, self.herm, self.half, self.scale = inverse, herm, half, scale


def _line_work(n):
    """The work of one line of length n (see PARALLEL_MIN_WORK)."""
    size = _line_size(n)
    ffts = 1 if _smooth(n) else 3
    return ffts * size * max(int(size).bit_length() - 1, 1) + n


def _chunking(lines, line_work, nthreads):
    """(threads, grain, chunks): the pass's lines cut into chunks of ``grain``."""
    total = lines * line_work
    if nthreads < 2 or lines < 2 or total < PARALLEL_MIN_WORK:
        return 1, lines, 1
    chunks = min(lines, nthreads * CHUNKS_PER_THREAD, max(nthreads, total // CHUNK_MIN_WORK))
    grain = -(-lines // chunks)
    return nthreads, grain, -(-lines // grain)


def _unravel(b, lin, shape):
    """The index of linear offset ``lin`` in ``shape`` (row-major)."""
    idx = []
    for d in reversed(shape):
        idx.append(b.urem(lin, i64(d)))
        lin = b.udiv(lin, i64(d))
    return idx[::-1]


@contextlib.contextmanager
def _outlined_lines(em, ps, n, dtype):
    """The lines of pass ``ps`` emitted into their own function
    ``lines(ptrs..., lo, hi)`` (the kernel's buffers, then lines [lo, hi) in
    row-major order of the other axes), which the kernel calls once, or in chunks
    over the worker pool when the pass is big (_chunking). Inside, ``em`` emits into
    that function. Yields (lines, work): ``lines()`` loops over the range, yielding
    ``at(k)``, the full index of entry k of the current line; ``work`` is this
    call's own work buffer for transforms of length n."""
    pre, post = ps.shape[:ps.axis], ps.shape[ps.axis + 1:]
    count = int(np.prod(pre, dtype=np.int64)) * int(np.prod(post, dtype=np.int64))
    keys = list(em.ptrs)
    kernel_b, kernel_ptrs = em.b, em.ptrs
    fn = ir.Function(em.module, ir.FunctionType(VOID, [PTR] * len(keys) + [I64, I64]),
                     name=f"{kernel_b.function.name}_lines{len(em.module.functions)}")
    fn.linkage = "internal"
    for key, arg in zip(keys, fn.args):
        if key is _TEMP or "noalias" in getattr(em.ptrs[key], "attributes", ()):
            arg.add_attribute("noalias")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    lo, hi = fn.args[-2:]
    em.b, em.ptrs = b, dict(zip(keys, fn.args))
    em.reset()

    inner_count = int(np.prod(post, dtype=np.int64))

    @contextlib.contextmanager
    def lines():
        with loops.for_range(b, hi, start=lo, name="line") as line:
            outer = _unravel(b, b.udiv(line, i64(inner_count)), pre)
            inner = _unravel(b, b.urem(line, i64(inner_count)), post)
            yield lambda k: outer + [k] + inner

    try:
        raw = _malloc(em, _work_bytes(n, dtype) + 63)
        aligned = b.and_(b.add(b.ptrtoint(raw, I64), i64(63)), i64(-64))
        yield lines, b.inttoptr(aligned, PTR)
        _free(em, raw)
        b.ret_void()
    finally:
        em.b, em.ptrs = kernel_b, kernel_ptrs
        em.reset()
    _call_lines(em, fn, [kernel_ptrs[k] for k in keys], count, _line_work(n))


def _call_lines(em, fn, ptrs, count, line_work):
    """Run ``fn`` over all ``count`` lines: one call, or chunks over the pool."""
    b = em.b
    threads, grain, chunks = _chunking(count, line_work, parallel.threads())
    if chunks == 1:
        b.call(fn, ptrs + [i64(0), i64(count)])
        return
    ctx_type = ir.LiteralStructType([PTR] * len(ptrs))
    with b.goto_entry_block():
        ctx = b.alloca(ctx_type)
    for i, p in enumerate(ptrs):
        b.store(p, field(b, ctx, ctx_type, i))
    body = ir.Function(em.module, ir.FunctionType(VOID, [PTR, I64]), name=f"{fn.name}_chunk")
    body.linkage = "internal"
    cb = ir.IRBuilder(body.append_basic_block("entry"))
    cctx, c = body.args
    vals = [cb.load(field(cb, cctx, ctx_type, i), typ=PTR) for i in range(len(ptrs))]
    lo = cb.mul(c, i64(grain))
    hi = cb.add(lo, i64(grain))
    cb.call(fn, vals + [lo, cb.select(cb.icmp_signed("<", hi, i64(count)), hi, i64(count))])
    cb.ret_void()
    run = declare(em.module, threadpool.PARALLEL_FOR, VOID, [PTR, PTR, I64, I64])
    b.call(run, [body, ctx, i64(chunks), i64(threads)])


def _work_planes(em, L, dtype, n, inverse, work):
    """The core function of length n and its planes in ``work``: where the
    input goes and where the result is (swapped for an inverse transform)."""
    core, (res_re, res_im) = _core_function(em.module, dtype, n)
    return core, _swap((L.at(work, i64(0)), L.at(work, i64(_plane_stride(n)))), inverse), \
        _swap((L.at(work, i64(res_re)), L.at(work, i64(res_im))), inverse)


def _swap(pair, inverse):
    return (pair[1], pair[0]) if inverse else pair


def _work_bytes(n, dtype):
    """A work buffer for transforms of length n: four planes (see _core_function)."""
    return 4 * _plane_stride(n) * dtype.itemsize


def _emit_pass(em, dtype, ps):
    if (ps.half or ps.herm) and ps.n % 2 == 0:
        return _emit_packed_pass(em, dtype, ps)
    n = ps.n
    with _outlined_lines(em, ps, n, dtype) as (lines, work):
        b, T = em.b, _REAL[np.dtype(dtype)]
        L = _Line(b, T)
        core, (ar, ai), (rr, ri) = _work_planes(em, L, dtype, n, ps.inverse, work)

        def put(k, v):
            L.st(v[0], ar, k)
            L.st(v[1], ai, k)

        with lines() as at:
            if ps.herm:
                with loops.for_range(b, n // 2 + 1, name="lo") as k:
                    em.reset()
                    put(k, ps.read(at(k)))
                with loops.for_range(b, n, start=n // 2 + 1, name="hi") as k:
                    em.reset()
                    vr, vi = ps.read(at(b.sub(i64(n), k)))
                    put(k, (vr, b.fneg(vi)))
            else:
                with loops.for_range(b, n, name="in") as k:
                    em.reset()
                    put(k, ps.read(at(k)))
            b.call(core, [work])
            with loops.for_range(b, n // 2 + 1 if ps.half else n, name="out") as k:
                vr, vi = L.ld(rr, k), L.ld(ri, k)
                if ps.scale != 1.0:
                    s = ir.Constant(T, ps.scale)
                    vr, vi = b.fmul(vr, s), b.fmul(vi, s)
                ps.write(at(k), vr, vi)


def _emit_packed_pass(em, dtype, ps):
    """RFFT / IRFFT of even length n by one complex FFT of length h = n/2 of
    z_j = x_2j + i x_2j+1: with E, O the spectra of the even and odd samples
    (Z's Hermitian and anti-Hermitian parts), X_k = E_k + w^k O_k, w = exp(-2 pi i / n).
    E and O are kept doubled; the scale absorbs the 1/2."""
    n, h = ps.n, ps.n // 2
    with _outlined_lines(em, ps, h, dtype) as (lines, work):
        b, T = em.b, _REAL[np.dtype(dtype)]
        L = _Line(b, T)
        core, planes, result = _work_planes(em, L, dtype, h, ps.inverse, work)
        tw, _ = _table_global(em.module, dtype, "real", n)
        with lines() as at:
            if ps.half:
                _rfft_line(em, L, ps, at, tw, core, work, planes, result)
            else:
                _irfft_line(em, L, ps, at, tw, core, work, planes, result)


def _complex_helpers(b, T):
    def add(u, v):
        return b.fadd(u[0], v[0]), b.fadd(u[1], v[1])

    def sub(u, v):
        return b.fsub(u[0], v[0]), b.fsub(u[1], v[1])

    def scaled(v, s):
        c = ir.Constant(T, s)
        return b.fmul(v[0], c), b.fmul(v[1], c)
    return add, sub, scaled


def _rfft_line(em, L, ps, at, tw, core, work, planes, result):
    b, h = L.b, ps.n // 2
    (ar, ai), (rr, ri) = planes, result
    add, sub, scaled = _complex_helpers(b, L.T)
    with loops.for_range(b, h, name="in") as j:
        em.reset()
        two = b.mul(j, i64(2))
        L.st(ps.read(at(two))[0], ar, j)
        L.st(ps.read(at(b.add(two, i64(1))))[0], ai, j)
    b.call(core, [work])

    def out(k, kk, kc):                                # X_k from Z_kk and Z_kc
        z = L.ld(rr, kk), L.ld(ri, kk)
        zc = L.ld(rr, kc), b.fneg(L.ld(ri, kc))
        e2, d = add(z, zc), sub(z, zc)
        o2 = d[1], b.fneg(d[0])                        # -i (Z - conj Z')
        w = L.ld(tw, k), L.ld(tw, b.add(k, i64(h + 1)))
        x2 = add(e2, L.cmul(*w, *o2))
        ps.write(at(k), *scaled(x2, 0.5 * ps.scale))

    # Z_h is Z_0: the two ends apart, so that the loop's loads stay contiguous
    # (forward and reversed) instead of gathers.
    out(i64(0), i64(0), i64(0))
    with loops.for_range(b, h, start=1, name="out") as k:
        out(k, k, b.sub(i64(h), k))
    out(i64(h), i64(0), i64(0))


def _irfft_line(em, L, ps, at, tw, core, work, planes, result):
    b, h = L.b, ps.n // 2
    (ar, ai), (rr, ri) = planes, result
    add, sub, scaled = _complex_helpers(b, L.T)
    zero = L.zero()
    with loops.for_range(b, h, name="in") as k:
        em.reset()
        first = b.icmp_signed("==", k, i64(0))            # imag of X_0, X_h ignored
        xr, xi = ps.read(at(k))
        hr, hi = ps.read(at(b.sub(i64(h), k)))
        x = xr, b.select(first, zero, xi)
        xc = hr, b.fneg(b.select(first, zero, hi))
        e2, d = add(x, xc), sub(x, xc)
        wr, wi = L.ld(tw, k), L.ld(tw, b.add(k, i64(h + 1)))
        o2 = L.cmul(*d, wr, b.fneg(wi))                    # times conj(w^k)
        L.st(b.fsub(e2[0], o2[1]), ar, k)                  # E + i O
        L.st(b.fadd(e2[1], o2[0]), ai, k)
    b.call(core, [work])
    with loops.for_range(b, h, name="out") as j:
        zr, zi = scaled((L.ld(rr, j), L.ld(ri, j)), ps.scale)
        two = b.mul(j, i64(2))
        ps.write(at(two), zr, None)
        ps.write(at(b.add(two, i64(1))), zi, None)


# fft_interleaved(planes) -> f[..., 2]: fft_planar whose complex result is written
# as the bytes of a complex array (re, im side by side), for a program output.
INTERLEAVED = fusion.CompilerOp("fft_interleaved", core.KERNEL, core.COSTLY)
fusion.register_op(INTERLEAVED)


@kernel_rule("fft_planar", label="fft", fuses_inputs=True)
def emit_fft(em, kernel):
    node = kernel.root
    _emit_transform(em, node, _plane_io(em, *node.outvars) if len(node.outvars) == 2 else None)


@kernel_rule(INTERLEAVED.name, label="fft", fuses_inputs=True)
def emit_fft_interleaved(em, kernel):
    _emit_transform(em, kernel.root, _interleaved_io(em, kernel.root.out))


def _plane_io(em, re_var, im_var):
    """(read, write) of a complex value held as two planes."""
    def read(idx):
        return em.load(re_var, idx), em.load(im_var, idx)

    def write(idx, vr, vi):
        em.store(re_var, idx, vr)
        em.store(im_var, idx, vi)
    return read, write


def _interleaved_io(em, var):
    """(read, write) of a complex value held interleaved in real ``var`` [..., 2]."""
    shape = var.aval.shape[:-1]

    def at(idx):
        return em.b.mul(loops.linear_index(em.b, idx, shape), i64(2))

    def read(idx):
        off = at(idx)
        return em.load_linear(var, off), em.load_linear(var, em.b.add(off, i64(1)))

    def write(idx, vr, vi):
        off = at(idx)
        em.store_linear(var, off, vr)
        em.store_linear(var, em.b.add(off, i64(1)), vi)
    return read, write


def _emit_transform(em, node, io):
    """The transform of ``node`` (fft_planar or fft_interleaved); ``io`` = (read,
    write) of its complex result (None for IRFFT, whose result is real)."""
    typ, lengths = FftType(node.params["fft_type"]), node.params["fft_lengths"]
    ins, out = list(node.inputs), node.out
    if out.aval.size == 0:
        return
    dtype = np.dtype(ins[0].aval.dtype)
    T = _REAL[dtype]
    rank = len(ins[0].aval.shape)
    axes = list(range(rank - len(lengths), rank))
    inverse = typ in (FftType.IFFT, FftType.IRFFT)

    def from_inputs(idx):
        if typ == FftType.RFFT:
            return em.value(ins[0], idx), ir.Constant(T, 0.0)
        return em.value(ins[0], idx), em.value(ins[1], idx)

    if typ == FftType.IRFFT:
        def write(idx, vr, vi):
            em.store(out, idx, vr)
        _emit_irfft(em, dtype, ins[0].aval.shape, axes, lengths, from_inputs, write,
                    out.aval.shape)
        return
    read_out, write_out = io
    shape = out.aval.shape[:rank]
    _emit_pass(em, dtype, _Pass(axes[-1], lengths[-1], from_inputs, write_out, shape,
                                inverse=inverse, half=typ == FftType.RFFT,
                                scale=1.0 / lengths[-1] if inverse else 1.0))
    for ax in axes[:-1]:
        _emit_pass(em, dtype, _Pass(ax, shape[ax], read_out, write_out, shape,
                                    inverse=inverse, scale=1.0 / shape[ax] if inverse else 1.0))


def _emit_irfft(em, dtype, src_shape, axes, lengths, read, write, out_shape):
    """IRFFT: the complex inverse transforms over the leading axes into
    intermediate planes (em.ptrs[_TEMP]), then the Hermitian one along the last."""
    T = _REAL[dtype]
    count = int(np.prod(src_shape))

    def t_at(idx, plane):
        b = em.b
        off = b.add(loops.linear_index(b, idx, src_shape), i64(plane * count))
        return b.gep(em.ptrs[_TEMP], [off], source_etype=T)

    def t_read(idx):
        return tuple(em.b.load(t_at(idx, k), typ=T) for k in (0, 1))

    def t_write(idx, vr, vi):
        em.b.store(vr, t_at(idx, 0))
        em.b.store(vi, t_at(idx, 1))

    if len(axes) > 1:
        em.ptrs[_TEMP] = _malloc(em, 2 * count * dtype.itemsize)
    for ax in axes[:-1]:
        _emit_pass(em, dtype, _Pass(ax, src_shape[ax], read, t_write, src_shape,
                                    inverse=True, scale=1.0 / src_shape[ax]))
        read = t_read
    _emit_pass(em, dtype, _Pass(axes[-1], lengths[-1], read, write, out_shape,
                                inverse=True, herm=True, scale=1.0 / lengths[-1]))
    if len(axes) > 1:
        _free(em, em.ptrs.pop(_TEMP))


def _expand(x, fft_type, fft_lengths):
    """``fft`` on complex values (Pairs) as ``fft_planar`` on their planes."""
    planes = [x] if fft_type == FftType.RFFT else [x.re, x.im]
    outs = fft_ops.fft_planar(planes, fft_type, fft_lengths)
    return outs[0] if fft_type == FftType.IRFFT else complex_expand.Pair(*outs)


def _interleaved(eqn, out):
    """fft_planar making both planes of a complex program output: fft_interleaved."""
    if len(eqn.outvars) != 2:
        return None
    return Eqn(INTERLEAVED, eqn.inputs, eqn.params, [out], eqn.source)


complex_expand.register("fft", _expand)
complex_expand.register_packer("fft_planar", _interleaved)
registry.expanded_away("fft")
