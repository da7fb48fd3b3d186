"""eig under jit: LAPACK's geev from native code, results as real planes.

The complex expansion (complex_expand.py) rewrites ``eig`` into its planar
form (``planar=True``: each complex output as a real and an imaginary plane),
which this kernel computes. Per matrix it copies the input column-major, calls
geev and unpacks LAPACK's real storage of complex eigenvectors: for a pair of
conjugate eigenvalues ``w_j, w_{j+1} = a +- bi`` (``wi[j] > 0``) the vectors
are ``V[:, j] +- i V[:, j+1]``; a real eigenvalue has a real vector. geev
normalizes each vector to unit norm with its largest component real; both
here and eagerly that component is then made positive (LAPACK leaves its
sign), so eager and compiled vectors agree. A failed geev
(or a non-finite input, which geev would reject) fills that matrix's outputs
with NaN.
"""
import numpy as np
from llvmlite import ir

from jaxlite import core
from jaxlite.compiler import loops
from jaxlite.compiler.complex_expand import Pair, register
from jaxlite.compiler.lapack import (_Call, _batch, _elem, _failed, _fill, _free, _malloc,
                                     _ptr, _transpose, routine)
from jaxlite.compiler.lltypes import const, i64, lltype
from jaxlite.compiler.registry import kernel_rule

__all__ = []


def _expand_eig(a, **params):
    """eig of a real matrix as its planar form; the outputs paired again."""
    if isinstance(a, Pair):
        raise TypeError("jit: eig of a complex matrix is computed eagerly only; jaxlite "
                        "compiles eig of float32/float64 matrices")
    planes = core.all_primitives["eig"].bind(a, **dict(params, planar=True))
    return [Pair(planes[i], planes[i + 1]) for i in range(0, len(planes), 2)]


register("eig", _expand_eig)


@kernel_rule("eig", label="lapack", fuses_inputs=False)
def emit_eig(em, kernel):
    node = kernel.root
    (a,) = node.inputs
    left = node.params["compute_left_eigenvectors"]
    right = node.params["compute_right_eigenvectors"]
    outs = list(node.outvars)
    wr_out, wi_out = outs[:2]
    vl_out = outs[2:4] if left else None
    vr_out = outs[-2:] if right else None
    dt, n, nb = a.aval.dtype, a.aval.shape[-1], _batch(a)
    if nb == 0 or n == 0:
        return
    b = em.b
    rt = routine("geev", dt)
    lwork = max(1, 68 * n)            # >= 4n; the rest lets geev block its Hessenberg steps
    ws = _malloc(em, (3 * n * n + lwork) * dt.itemsize)
    mat, vl, vr = ws, _elem(b, ws, dt, n * n), _elem(b, ws, dt, 2 * n * n)
    work = _elem(b, ws, dt, 3 * n * n)
    info = em.alloca(rt.itype)
    with loops.for_range(b, nb, name="mat") as bi:
        wr, wi = _ptr(em, wr_out, bi, n), _ptr(em, wi_out, bi, n)
        _transpose(b, mat, _ptr(em, a, bi, n * n), dt, n, n, "a")
        b.store(ir.Constant(rt.itype, -1), info)
        with b.if_then(_all_finite(em, mat, dt, n * n)):     # geev would reject the rest
            _call_geev(em, rt, left, right, n, mat, wr, wi, vl, vr, work, lwork, info)
        planes = [p for p in (vl_out, vr_out) if p]
        with b.if_else(_failed(em, info, rt.itype)) as (bad, good):
            with bad:
                for p in [wr, wi] + [_ptr(em, v, bi, n * n) for pl in planes for v in pl]:
                    _fill(b, p, dt, n if p in (wr, wi) else n * n, np.nan)
            with good:
                for src, pl in ((vl, vl_out), (vr, vr_out)):
                    if pl:
                        _unpack(em, src, wi, [_ptr(em, v, bi, n * n) for v in pl], dt, n)
    _free(em, ws)


def _call_geev(em, rt, left, right, n, mat, wr, wi, vl, vr, work, lwork, info):
    call = _Call(em, rt)
    call.char("V" if left else "N"), call.char("V" if right else "N"), call.int(n)
    call.ptr(mat), call.int(n), call.ptr(wr), call.ptr(wi)
    call.ptr(vl), call.int(n), call.ptr(vr), call.int(n)
    call.ptr(work), call.int(lwork), call.ptr(info)
    call.emit()


def _all_finite(em, ptr, dt, count):
    b, ty = em.b, lltype(dt)
    ok = em.alloca(ir.IntType(1))
    b.store(ir.Constant(ir.IntType(1), 1), ok)
    inf = const(dt, np.inf)
    with loops.for_range(b, count, name="fin") as k:
        x = b.load(_elem(b, ptr, dt, k), typ=ty)
        mag = b.call(em.module.declare_intrinsic("llvm.fabs", [ty]), [x])
        b.store(b.and_(b.load(ok), b.fcmp_ordered("<", mag, inf)), ok)
    return b.load(ok)


def _unpack(em, src, wi, dst, dt, n):
    """Columns of geev's column-major ``src`` as the row-major planes ``dst``:
    column j's real part is column j - (wi[j] < 0) and its imaginary part
    +-column j + (wi[j] > 0), or 0 for a real eigenvalue."""
    b, ty = em.b, lltype(dt)
    re_out, im_out = dst
    zero = const(dt, 0)
    with loops.for_range(b, n, name="col") as j:
        w = b.load(_elem(b, wi, dt, j), typ=ty)
        pos, neg = b.fcmp_ordered(">", w, zero), b.fcmp_ordered("<", w, zero)
        rcol = b.select(neg, b.sub(j, i64(1)), j)
        icol = b.select(pos, b.add(j, i64(1)), j)
        with loops.for_range(b, n, name="row") as i:
            re = b.load(_elem(b, src, dt, b.add(b.mul(rcol, i64(n)), i)), typ=ty)
            im = b.load(_elem(b, src, dt, b.add(b.mul(icol, i64(n)), i)), typ=ty)
            im = b.select(neg, b.fneg(im), b.select(pos, im, zero))
            at = b.add(b.mul(i, i64(n)), j)
            b.store(re, _elem(b, re_out, dt, at))
            b.store(im, _elem(b, im_out, dt, at))
        _make_largest_positive(em, re_out, im_out, j, dt, n)


def _make_largest_positive(em, re_out, im_out, j, dt, n):
    """Negate column j if its largest-magnitude entry (real, by geev's
    normalization) is negative: the sign convention of the eager
    implementation, so that eager and compiled vectors agree."""
    b, ty = em.b, lltype(dt)
    best, neg = em.alloca(ty), em.alloca(ir.IntType(1))
    b.store(const(dt, -1.0), best)
    b.store(ir.Constant(ir.IntType(1), 0), neg)
    with loops.for_range(b, n, name="big") as i:
        at = b.add(b.mul(i, i64(n)), j)
        re = b.load(_elem(b, re_out, dt, at), typ=ty)
        im = b.load(_elem(b, im_out, dt, at), typ=ty)
        mag = b.fadd(b.fmul(re, re), b.fmul(im, im))
        larger = b.fcmp_ordered(">", mag, b.load(best))
        b.store(b.select(larger, mag, b.load(best)), best)
        b.store(b.select(larger, b.fcmp_ordered("<", re, const(dt, 0)), b.load(neg)), neg)
    with b.if_then(b.load(neg)):
        with loops.for_range(b, n, name="flip") as i:
            at = b.add(b.mul(i, i64(n)), j)
            for p in (re_out, im_out):
                ptr = _elem(b, p, dt, at)
                b.store(b.fneg(b.load(ptr, typ=ty)), ptr)
