"""Convolution kernels: ``conv_general_dilated`` as im2col + GEMM, or a direct
loop nest.

im2col (float dtypes, enough work): the kernel mallocs a patch matrix, fills
it with the input windows (zeros for padding and lhs-dilation holes), packs
the kernel into a [groups, K, O/groups] matrix and calls the GEMM of
``gemm.py`` (its LLVM kernel; OpenBLAS with JAXLITE_GEMM=blas) per chunk and group. The patch matrix
is laid out so that its fill loop reads the input contiguously:

* its K dimensions (in feature, window) follow the input's memory order, so
  for NHWC input the innermost fill loop copies channels;
* when the input's innermost dimension is its *batch* (the kernel gradient,
  which XLA-style transposes express as a convolution with batch and feature
  swapped) the matrix is stored transposed, [K, M], and the GEMM reads it
  with ``trans_a``;
* its M dimensions (output batch, output spatial) follow the output's memory
  order, so when the output's feature dimension is innermost (NHWC, HWIO)
  the GEMM writes the output in place; otherwise it writes a temporary that
  a loop copies out.

The direct loop nest (integers, bool, tiny problems, or when malloc fails)
accumulates each output element over its window in a register.
"""

import numpy as np
from llvmlite import ir

from jaxlite.compiler import gemm, loops
from jaxlite.compiler.emitter import clamp
from jaxlite.compiler.lltypes import I1, I64, PTR, const, declare, i64, lltype
from jaxlite.compiler.registry import kernel_rule
from jaxlite.compiler.scalar_rules import convert

# Below this many multiply-adds the direct loop nest beats a GEMM call.
DIRECT_MAX_MACS = 1 << 14
# Patch rows filled (and multiplied) per chunk: about this many bytes, to stay in L2.
CHUNK_BYTES = 1 << 20
# The products go to gemm's default back end (OpenBLAS, JAXLITE_GEMM=llvm for the
# LLVM kernel), whose thread count is set per call by size (native.
# BLAS_PARALLEL_MIN_FLOPS). On a quiet 2-core machine the benchmark's forward
# convolution took 14.4 ms that way against 26.3 ms with the LLVM kernel (JAX 21-24
# ms); the CNN step 35.5 against 43.8 ms (JAX 58-62 ms).


class _Geometry:
    """Everything about one convolution node in canonical terms."""

    def __init__(self, node):
        p = node.params
        self.lhs, self.rhs = node.inputs
        self.out = node.out
        self.lspec, self.rspec, self.ospec = (tuple(s) for s in p["dimension_numbers"])
        self.strides, self.padding = p["window_strides"], p["padding"]
        self.lhs_dil, self.rhs_dil = p["lhs_dilation"], p["rhs_dilation"]
        self.fgc, self.bgc = p["feature_group_count"], p["batch_group_count"]
        ls, rs, os_ = self.lhs.aval.shape, self.rhs.aval.shape, self.out.aval.shape
        self.nsp = len(ls) - 2
        self.in_sp = [ls[d] for d in self.lspec[2:]]
        self.win = [rs[d] for d in self.rspec[2:]]
        self.out_sp = [os_[d] for d in self.ospec[2:]]
        self.groups = max(self.fgc, self.bgc)
        self.cg = rs[self.rspec[1]]                       # in features per group
        self.O = rs[self.rspec[0]]
        self.og = self.O // self.groups
        self.nb = os_[self.ospec[0]]                      # output batch
        self.dtype = self.out.aval.dtype
        # Patch dims: ("k", "f") in feature, ("k", d) window dim d, ("m", "n") output
        # batch, ("m", d) output spatial dim d; each ordered by memory order.
        kdims = [(self.lspec.index(ld), ("f",) if i == 0 else ("w", i - 1))
                 for i, ld in enumerate((self.lspec[1],) + self.lspec[2:])]
        self.kdims = [k for _, k in sorted(kdims, key=lambda t: self.lspec[t[0]])]
        mdims = [(d, ("n",) if pos == 0 else ("o", pos - 2))
                 for pos, d in enumerate(self.ospec) if pos != 1]
        self.mdims = [m for _, m in sorted(mdims)]
        self.K = self.cg * int(np.prod(self.win, dtype=np.int64))
        self.M = self.nb * int(np.prod(self.out_sp, dtype=np.int64))
        # The input's innermost dim is its batch: store patches as [K, M].
        self.trans = self.lspec[0] == len(ls) - 1 and self.M > 1
        # The output's feature dim is innermost: the GEMM writes it in place.
        self.in_place = self.ospec[1] == len(os_) - 1

    def size(self, dim):
        kind = dim[0]
        if kind == "f":
            return self.cg
        if kind == "w":
            return self.win[dim[1]]
        if kind == "n":
            return self.nb
        return self.out_sp[dim[1]]


def _lhs_index(em, g, geo, where):
    """(index list into lhs, valid i1) for the patch element at ``where``
    (dict dim -> i64 value) of group ``g``."""
    b = em.b
    idx = [None] * (geo.nsp + 2)
    n = where[("n",)]
    if geo.bgc > 1:
        n = b.add(n, b.mul(g, i64(geo.nb)))
    c = where[("f",)]
    if geo.fgc > 1:
        c = b.add(c, b.mul(g, i64(geo.cg)))
    idx[geo.lspec[0]], idx[geo.lspec[1]] = n, c
    valid = ir.Constant(I1, 1)
    for d in range(geo.nsp):
        pos = b.add(b.mul(where[("o", d)], i64(geo.strides[d])),
                    b.mul(where[("w", d)], i64(geo.rhs_dil[d])))
        pos = b.sub(pos, i64(geo.padding[d][0]))
        a, n_in = geo.lhs_dil[d], geo.in_sp[d]
        ok = b.and_(b.icmp_signed(">=", pos, i64(0)),
                    b.icmp_signed("<=", pos, i64((n_in - 1) * a)))
        if a > 1:
            ok = b.and_(ok, b.icmp_signed("==", b.srem(pos, i64(a)), i64(0)))
            pos = b.sdiv(pos, i64(a))
        valid = b.and_(valid, ok)
        idx[geo.lspec[2 + d]] = clamp(b, pos, 0, max(n_in - 1, 0))
    return idx, valid


def _lhs_value(em, g, geo, where):
    idx, valid = _lhs_index(em, g, geo, where)
    v = convert(em, em.value(geo.lhs, idx), geo.lhs.aval.dtype, geo.dtype)
    return em.b.select(valid, v, const(geo.dtype, 0))


def _rhs_value(em, g, geo, where, og):
    b = em.b
    idx = [None] * (geo.nsp + 2)
    idx[geo.rspec[0]] = b.add(og, b.mul(g, i64(geo.og))) if geo.groups > 1 else og
    idx[geo.rspec[1]] = where[("f",)]
    for d in range(geo.nsp):
        idx[geo.rspec[2 + d]] = where[("w", d)]
    return convert(em, em.value(geo.rhs, idx), geo.rhs.aval.dtype, geo.dtype)


def _out_index(geo, where, o):
    idx = [None] * (geo.nsp + 2)
    idx[geo.ospec[0]] = where[("n",)]
    idx[geo.ospec[1]] = o
    for d in range(geo.nsp):
        idx[geo.ospec[2 + d]] = where[("o", d)]
    return idx


def _macs(geo):
    return geo.M * geo.K * geo.O


@kernel_rule("conv_general_dilated", label="conv", fuses_inputs=False)
def emit_conv(em, kernel):
    geo = _Geometry(kernel.root)
    if geo.out.aval.size == 0:
        return
    if geo.lhs.aval.size == 0 or geo.rhs.aval.size == 0:     # all padding: zeros
        with loops.for_range(em.b, geo.out.aval.size, name="z") as i:
            em.store_linear(geo.out, i, const(geo.dtype, 0))
        return
    if geo.dtype.kind != "f" or geo.K == 0 or _macs(geo) <= DIRECT_MAX_MACS:
        _emit_direct(em, geo)
        return
    b = em.b
    item = geo.dtype.itemsize
    units, rows, per = _chunking(geo)
    patch = per * rows * (geo.M if geo.trans else geo.K)
    packed = geo.groups * geo.K * geo.og
    temp = 0 if geo.in_place else geo.M * geo.og
    malloc = declare(em.module, "malloc", PTR, [I64])
    free = declare(em.module, "free", ir.VoidType(), [PTR])
    buf = b.call(malloc, [i64((patch + packed + temp) * item)])
    with b.if_else(b.icmp_unsigned("==", buf, ir.Constant(PTR, None))) as (failed, ok):
        with failed:
            _emit_direct(em, geo)
        with ok:
            _emit_im2col(em, geo, buf, patch, packed)
            b.call(free, [buf])


def _emit_direct(em, geo):
    """out[...] = sum over (in feature, window) of lhs * rhs, one register accumulator."""
    b = em.b
    ety = lltype(geo.dtype)
    acc = em.alloca(ety)
    oshape = geo.out.aval.shape
    red = [("f",)] + [("w", d) for d in range(geo.nsp)]
    with loops.loop_nest(b, oshape, "o") as oidx:
        o = oidx[geo.ospec[1]]
        where = {("n",): oidx[geo.ospec[0]]}
        for d in range(geo.nsp):
            where[("o", d)] = oidx[geo.ospec[2 + d]]
        g = b.sdiv(o, i64(geo.og)) if geo.groups > 1 else i64(0)
        og = b.srem(o, i64(geo.og)) if geo.groups > 1 else o
        b.store(const(geo.dtype, 0), acc)
        with loops.loop_nest(b, [geo.size(r) for r in red], "r") as ridx:
            em.reset()
            w = {**where, **dict(zip(red, ridx))}
            x = _lhs_value(em, g, geo, w)
            k = _rhs_value(em, g, geo, w, og)
            b.store(_madd(b, geo.dtype, b.load(acc), x, k), acc)
        em.store(geo.out, oidx, b.load(acc))


def _madd(b, dtype, acc, x, y):
    if dtype.kind == "f":
        return b.fadd(acc, b.fmul(x, y, flags=("contract",)), flags=("reassoc", "contract"))
    if dtype.kind == "b":
        return b.or_(acc, b.and_(x, y))
    return b.add(acc, b.mul(x, y))


def _chunking(geo):
    """(units, unit size, units per chunk) of the dim the patch fill is chunked
    along: the outermost M dim (the outermost K dim when transposed, whose
    chunks then accumulate), sized so one chunk of patches stays in cache."""
    dims = geo.kdims if geo.trans else geo.mdims
    units = geo.size(dims[0])
    rows = (geo.K if geo.trans else geo.M) // max(units, 1)
    width = geo.M if geo.trans else geo.K
    per_chunk = max(1, CHUNK_BYTES // max(rows * width * geo.dtype.itemsize, 1))
    return units, rows, min(per_chunk, units)


def _emit_im2col(em, geo, buf, patch, packed):
    b = em.b
    ety = lltype(geo.dtype)
    P = buf
    W = b.gep(buf, [i64(patch)], source_etype=ety)
    T = b.gep(buf, [i64(patch + packed)], source_etype=ety)
    G, M, K, og = geo.groups, geo.M, geo.K, geo.og
    ksizes = [geo.size(d) for d in geo.kdims]
    # Pack the kernel: W[g, k, o] with k in the patch's K order.
    with loops.for_range(b, G, name="pg") as g:
        with loops.loop_nest(b, ksizes + [og], "pk") as idx:
            em.reset()
            where = dict(zip(geo.kdims, idx[:-1]))
            off = b.add(b.mul(g, i64(K * og)), loops.linear_index(b, idx, ksizes + [og]))
            b.store(_rhs_value(em, g, geo, where, idx[-1]), b.gep(W, [off], source_etype=ety))
    if geo.trans:     # chunks accumulate into C: start from zeros
        n = geo.out.aval.size if geo.in_place else M * og
        with loops.for_range(b, n, name="z") as i:
            if geo.in_place:
                em.store_linear(geo.out, i, const(geo.dtype, 0))
            else:
                b.store(const(geo.dtype, 0), b.gep(T, [i], source_etype=ety))
    order = (geo.kdims + geo.mdims) if geo.trans else (geo.mdims + geo.kdims)
    sizes = [geo.size(d) for d in order]
    units, rows, per = _chunking(geo)
    nchunks = -(-units // per)
    with loops.for_range(b, G, name="g") as g:
        with loops.for_range(b, nchunks, name="ch") as ch:
            lo = b.mul(ch, i64(per))
            hi = _imin(b, b.add(lo, i64(per)), i64(units))
            count = b.mul(b.sub(hi, lo), i64(rows))           # M (or K) of this chunk
            with loops.loop_nest(b, sizes, "p", outer=(lo, hi)) as idx:
                em.reset()
                where = dict(zip(order, idx))
                local = [b.sub(idx[0], lo)] + idx[1:]
                b.store(_lhs_value(em, g, geo, where),
                        b.gep(P, [loops.linear_index(b, local, sizes)], source_etype=ety))
            first = b.mul(lo, i64(rows))
            pw = b.gep(W, [b.mul(g, i64(K * og))], source_etype=ety)
            if geo.trans:
                pw = b.gep(pw, [b.mul(first, i64(og))], source_etype=ety)
                m, k, lda, row0 = i64(M), count, i64(M), i64(0)
            else:
                m, k, lda, row0 = count, i64(K), i64(K), first
            if geo.in_place:
                pc = em.address(geo.out, b.add(b.mul(row0, i64(geo.O)), b.mul(g, i64(og))))
                ldc = geo.O
            else:
                pc, ldc = b.gep(T, [b.mul(row0, i64(og))], source_etype=ety), og
            gemm.emit_gemm(b, em.module, geo.dtype, geo.trans, False, m, i64(og), k,
                           P, lda, pw, i64(og), pc, i64(ldc), beta=1.0 if geo.trans else 0.0,
                           backend=None)
        if not geo.in_place:
            _copy_out(em, geo, g, T)
            if geo.trans:
                with loops.for_range(b, M * og, name="z2") as i:
                    b.store(const(geo.dtype, 0), b.gep(T, [i], source_etype=ety))


def _imin(b, x, y):
    return b.select(b.icmp_signed("<", x, y), x, y)


def _copy_out(em, geo, g, T):
    """Scatter the GEMM's [M, O/groups] result of group ``g`` into the output."""
    b = em.b
    ety = lltype(geo.dtype)
    msizes = [geo.size(d) for d in geo.mdims]
    with loops.loop_nest(b, msizes + [geo.og], "c") as idx:
        where = dict(zip(geo.mdims, idx[:-1]))
        src = b.load(b.gep(T, [loops.linear_index(b, idx, msizes + [geo.og])],
                           source_etype=ety), typ=ety)
        o = b.add(idx[-1], b.mul(g, i64(geo.og)))
        em.store(geo.out, _out_index(geo, where, o), src)
