"""Pass 1c: a parameter update fused into the GEMM that makes its gradient.

An SGD step ends in ``p - lr * g`` with ``g = x.T @ d`` a weight gradient.
Fused as two kernels, BLAS first clears g (beta = 0 makes OpenBLAS zero C),
writes it, and a loop reads it back with p to write the result: three passes
over a parameter-sized buffer. Here the loop kernel is folded into the GEMM
kernel, which becomes ``gemm_update``: ``out = p + alpha * op(A) @ op(B)``
computed by one BLAS call with beta = 1 into ``out``, which starts as a copy
of p, or already is p when jit donated p's buffer to it (``inplace.py``
allows that when the GEMM is p's last reader; the copy is then skipped at
run time). g is never stored.

Matched: a loop kernel whose only nodes are ``add``/``sub`` of p and g, g
optionally multiplied by a scalar (a literal, or a materialized scalar such
as a learning rate argument, read at run time), where g is a
float GEMM result (one matrix, K > 0) that nothing else reads and p has g's
shape and dtype. The fused kernel runs where the loop ran (A and B live
that long), so the GEMM comes after every other reader of p (here the
backward product ``d @ w.T``) and may write into p's buffer.
"""
import copy

import numpy as np
from llvmlite import ir

from jaxlite.ir import Literal, Var
from jaxlite.compiler import gemm
from jaxlite.compiler.lltypes import i64, lltype
from jaxlite.compiler.registry import kernel_rule

__all__ = ["UPDATE", "fuse", "accumulator"]

UPDATE = "gemm_update"
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def fuse(kernels, out_set, aliases):
    """The kernels with each matched update loop folded into its GEMM (the
    kernels must be indexed: ``reads`` and ``index`` filled)."""
    producer = {v: k for k in kernels for v in k.outs}
    readers = {}
    for k in kernels:
        for v in k.reads:
            readers.setdefault(v, []).append(k)
    viewed = set(aliases.values())
    moved = {}          # id(loop kernel) -> the GEMM kernel that takes its place
    for loop in kernels:
        for p, g, alpha in _updates_of(loop):
            k = producer.get(g)
            if (k is None or not _plain_gemm(k) or g in out_set or g in viewed
                    or readers.get(g) != [loop] or p.aval.shape != g.aval.shape
                    or p.aval.dtype != g.aval.dtype or p is g):
                continue
            k.root = k.nodes[0] = _update_node(k.root, p, alpha, loop.root.outvars)
            moved[id(loop)] = k
            break
    gone = {id(k) for k in moved.values()}
    return [moved.get(id(k), k) for k in kernels if id(k) not in gone]


def accumulator(k):
    """The Var a ``gemm_update`` kernel starts its output from, else None."""
    return k.root.inputs[2] if k.root.prim == UPDATE else None


def _updates_of(loop):
    """Each ``(p, g, alpha)`` such that ``loop`` computes p + alpha * g."""
    if (loop.kind != "loop" or loop.epilogue is not None or loop.nested is not None
            or getattr(loop, "prelude", None) or len(loop.nodes) > 2):
        return []
    root = loop.root
    if root.prim not in ("add", "sub"):
        return []
    found = []
    inner = {n.out: n for n in loop.nodes if n is not root}
    x, y = root.inputs
    for p, t, sign in ((x, y, -1.0 if root.prim == "sub" else 1.0), (y, x, 1.0)):
        if root.prim == "sub" and p is y:
            continue                # g - p: not an update of p
        if type(p) is not Var or p in inner:
            continue
        scaled = _scaled(t, inner)
        if scaled is not None and len(inner) == (scaled[0] is not t):
            g, scale, rate = scaled
            found.append((p, g, (sign * scale, rate)))
    return found


def _scaled(t, inner):
    """``(g, c, None)`` when t is the Var g (c = 1) or ``c * g`` (``g * c``)
    with c a scalar literal, ``(g, 1, c)`` when c is a scalar Var (a
    learning rate passed as an argument); else None."""
    if type(t) is not Var:
        return None
    n = inner.get(t)
    if n is None:
        return t, 1.0, None
    if n.prim != "mul":
        return None
    a, b = n.inputs
    for c, g in ((a, b), (b, a)):
        if type(g) is not Var or g in inner or c.aval.shape != ():
            continue
        if type(c) is Literal:
            return g, float(c.val), None
        if c not in inner and c.aval.dtype == g.aval.dtype:
            return g, 1.0, c
    return None


def _plain_gemm(k):
    r = k.root
    if k.kind != "gemm" or r.prim != "dot_general" or len(k.nodes) != 1 or k.outs != [r.out]:
        return False
    g = dict(r.params["gemm"])
    return (g["B"] == 1 and g["M"] * g["N"] * g["K"] > 0
            and np.dtype(g["dtype"]) in _FLOATS)


def _update_node(node, p, alpha, outvars):
    """The GEMM node turned into ``gemm_update``: inputs A, B, p[, rate];
    alpha = params["alpha"] (times rate)."""
    scale, rate = alpha
    new = copy.copy(node)           # keeps the dot's kind, cost and source line
    new.prim = UPDATE
    new.inputs = list(node.inputs) + [p] + ([rate] if rate is not None else [])
    new.params = dict(node.params, alpha=scale)
    new.outvars = list(outvars)
    return new


@kernel_rule(UPDATE, label="gemm", fuses_inputs=False)
def emit_update(em, kernel):
    """out = p (no copy when out is p's buffer), then out += alpha * op(A) @ op(B);
    the copy is made block by block by the threads computing the blocks."""
    node = kernel.root
    g = dict(node.params["gemm"])
    a, bvar, p = node.inputs[:3]
    out = node.out
    M, N, K = g["M"], g["N"], g["K"]
    ta, tb, dt = g["trans_a"], g["trans_b"], np.dtype(g["dtype"])
    b = em.b
    alpha = node.params["alpha"]
    if len(node.inputs) == 4:       # times a learning rate read at run time
        alpha = b.fmul(em.load_linear(node.inputs[3], i64(0)), ir.Constant(lltype(dt), alpha))
    lda, ldb = (M if ta else K), (K if tb else N)
    gemm.emit_gemm(b, em.module, dt, ta, tb, i64(M), i64(N), i64(K), em.address(a, i64(0)),
                   i64(lda), em.address(bvar, i64(0)), i64(ldb), em.address(out, i64(0)),
                   i64(N), beta=1.0, alpha=alpha, start=em.address(p, i64(0)))

