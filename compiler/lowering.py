"""Pass 4: kernels -> one LLVM module.

Each kernel becomes an LLVM function taking one noalias pointer per buffer it
touches; the ``entry`` function receives ``ptr args[]`` (inputs, then
outputs), carves intermediates out of one malloc'ed workspace and calls the
kernels in order.

``LOWERINGS`` maps every primitive name to its rule:
* value rules ``rule(em, node, idx) -> llvm value`` compute one element of a
  fused node's output at index ``idx`` (a list of i64 values), asking
  ``em.value(atom, idx)`` for input elements. Elementwise primitives compute
  scalars; index maps (broadcast, transpose, slice, gather, ...) rewrite the
  index. No branches: selects and clamped indices keep loops vectorizable
  and never read out of bounds.
* kernel rules ``rule(em, kernel)`` emit a whole loop nest (reductions,
  cumsum, scatter, GEMM).
"""
import math

import numpy as np
from llvmlite import ir

from compiler import gemm, loops, parallel, registry, vecmath
from compiler.lltypes import (I1, I8, I32, I64, F32, F64, PTR, VOID, lltype, const, i64,
                              identity)

LOWERINGS = registry.VALUE_RULES


# ---------------------------------------------------------------- emitter

class Emitter:
    """Per-kernel state: the builder, buffer pointers and fused producers."""

    def __init__(self, module, builder, kernel, prog, ptrs):
        self.module, self.b = module, builder
        self.kernel, self.prog = kernel, prog
        self.ptrs = ptrs                # base Var -> pointer argument
        self.fused = kernel.fused()
        self.memo = {}
        self.override = {}              # Var -> value (a reduction's result in a register)
        self.flat = False               # indices are single linear offsets (see emit_loop)
        self.split = None               # "rows", "flat" or "total" when run in bands
        self.band = None                # (lo, hi) of the outermost loop (see parallel.py)
        self.total = None               # (part_out, parts_in, n_in) of a total reduction

    def reset(self):
        """Forget memoized values (entering code they may not dominate)."""
        self.memo = {}

    def value(self, atom, idx):
        if type(atom) is not Var_:
            return const(atom.aval.dtype, np.asarray(atom.val, atom.aval.dtype)[()])
        if atom in self.override:
            return self.override[atom]
        node = self.fused.get(atom)
        if node is None:
            return self.load(atom, idx)
        key = (atom, tuple(map(id, idx)))
        val = self.memo.get(key)
        if val is None:
            val = LOWERINGS[node.prim](self, node, idx)
            self.memo[key] = val
        return val

    def address(self, var, offset):
        base = self.prog.base(var)
        return self.b.gep(self.ptrs[base], [offset], source_etype=lltype(var.aval.dtype))

    def offset(self, var, idx):
        if self.flat and var.aval.shape:
            return idx[0]
        return loops.linear_index(self.b, idx, var.aval.shape)

    def load(self, var, idx):
        return self.load_linear(var, self.offset(var, idx))

    def load_linear(self, var, offset):
        return self.b.load(self.address(var, offset), typ=lltype(var.aval.dtype))

    def store(self, var, idx, val):
        self.store_linear(var, self.offset(var, idx), val)

    def store_linear(self, var, offset, val):
        self.b.store(val, self.address(var, offset))

    # -- helpers for rules
    def intrinsic(self, name, ret, args):
        fn = self.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(ret, args), name=name)
        return fn

    def call(self, name, ret, args):
        return self.b.call(self.intrinsic(name, ret, [a.type for a in args]), args)

    def alloca(self, ty):
        """A stack slot in the entry block (SROA turns it into a register)."""
        with self.b.goto_entry_block():
            return self.b.alloca(ty)


from jaxlite.ir import Var as Var_  # noqa: E402


def _sfx(dtype):
    return "f32" if np.dtype(dtype) == np.float32 else "f64"


def _imin(b, x, y):
    return b.select(b.icmp_signed("<", x, y), x, y)


def _imax(b, x, y):
    return b.select(b.icmp_signed(">", x, y), x, y)


def _clamp(b, x, lo, hi):
    return _imin(b, _imax(b, x, i64(lo) if isinstance(lo, int) else lo),
                 i64(hi) if isinstance(hi, int) else hi)


def _to_i64(b, val, dtype):
    dtype = np.dtype(dtype)
    if dtype == np.int64:
        return val
    if dtype.kind == "b":
        return b.zext(val, I64)
    if dtype.kind == "i":
        return b.sext(val, I64)
    return b.call(Emitter.intrinsic_static(b.module, f"llvm.fptosi.sat.i64.{_sfx(dtype)}", I64,
                                           [val.type]), [val])


def _static_intrinsic(module, name, ret, args):
    fn = module.globals.get(name)
    if fn is None:
        fn = ir.Function(module, ir.FunctionType(ret, args), name=name)
    return fn


Emitter.intrinsic_static = staticmethod(_static_intrinsic)


# ------------------------------------------------------------ elementwise

def _elementwise(fn):
    """A value rule from ``fn(em, node, *scalars)``: rank-0 inputs broadcast."""
    def rule(em, node, idx):
        args = [em.value(a, idx if a.aval.shape else []) for a in node.inputs]
        return fn(em, node, *args)
    return rule


def _unary(name):
    def deco(fn):
        LOWERINGS[name] = _elementwise(fn)
        return fn
    return deco


def _in_dtype(node, i=0):
    return node.inputs[i].aval.dtype


def _is_f(node, i=0):
    return node.inputs[i].aval.dtype.kind == "f"


def _vector_math(name):
    """The value rule of a primitive computed by vecmath's function ``name``
    (straight-line IR that the loop vectorizer widens)."""
    assert vecmath.has(name), name
    LOWERINGS[name] = _elementwise(lambda em, node, *args: vecmath.emit(em.b, name, *args))


_vector_math("exp")
_vector_math("exp2")
_vector_math("log")
_vector_math("log1p")
_vector_math("expm1")
_vector_math("sin")
_vector_math("cos")
_vector_math("tan")
_vector_math("asin")
_vector_math("acos")
_vector_math("atan")
_vector_math("sinh")
_vector_math("cosh")
_vector_math("tanh")
_vector_math("logistic")
_vector_math("erf")
_vector_math("pow")
_vector_math("atan2")


@_unary("sqrt")
def _sqrt(em, node, x):
    return em.call(f"llvm.sqrt.{_sfx(_in_dtype(node))}", x.type, [x])


@_unary("rsqrt")
def _rsqrt(em, node, x):
    dt = _in_dtype(node)
    return em.b.fdiv(const(dt, 1.0), _sqrt(em, node, x))


@_unary("neg")
def _neg(em, node, x):
    return em.b.fneg(x) if _is_f(node) else em.b.neg(x)


@_unary("sign")
def _sign(em, node, x):
    b, dt = em.b, _in_dtype(node)
    if dt.kind == "f":
        zero = const(dt, 0)
        r = b.select(b.fcmp_ordered("<", x, zero), const(dt, -1), x)
        return b.select(b.fcmp_ordered(">", x, zero), const(dt, 1), r)
    zero = const(dt, 0)
    pos = b.zext(b.icmp_signed(">", x, zero), x.type)
    neg = b.zext(b.icmp_signed("<", x, zero), x.type)
    return b.sub(pos, neg)


@_unary("floor")
def _floor(em, node, x):
    return em.call(f"llvm.floor.{_sfx(_in_dtype(node))}", x.type, [x])


@_unary("ceil")
def _ceil(em, node, x):
    return em.call(f"llvm.ceil.{_sfx(_in_dtype(node))}", x.type, [x])


@_unary("round")
def _round(em, node, x):
    # 0: half away from zero (llvm.round); 1: half to even (llvm.roundeven).
    which = "llvm.round" if node.params.get("rounding_method", 0) == 0 else "llvm.roundeven"
    return em.call(f"{which}.{_sfx(_in_dtype(node))}", x.type, [x])


@_unary("abs")
def _abs(em, node, x):
    if _is_f(node):
        return em.call(f"llvm.fabs.{_sfx(_in_dtype(node))}", x.type, [x])
    return em.b.select(em.b.icmp_signed("<", x, ir.Constant(x.type, 0)), em.b.neg(x), x)


@_unary("not")
def _not(em, node, x):
    if _in_dtype(node).kind == "b":
        return em.b.xor(x, ir.Constant(I8, 1))
    return em.b.xor(x, ir.Constant(x.type, -1))


@_unary("integer_pow")
def _integer_pow(em, node, x):
    b, dt, y = em.b, _in_dtype(node), int(node.params["y"])
    mul = b.fmul if dt.kind == "f" else b.mul
    n = abs(y)
    acc, base = None, x
    while n:                      # square-and-multiply
        if n & 1:
            acc = base if acc is None else mul(acc, base)
        n >>= 1
        if n:
            base = mul(base, base)
    if acc is None:
        acc = const(dt, 1)
    if y < 0:
        acc = b.fdiv(const(dt, 1.0), acc)
    return acc


@_unary("stop_gradient")
def _identity(em, node, x):
    return x


LOWERINGS["copy"] = LOWERINGS["stop_gradient"]


def _arith(fop, iop, bop=None):
    def fn(em, node, x, y):
        dt = _in_dtype(node)
        if dt.kind == "f":
            return getattr(em.b, fop)(x, y)
        if dt.kind == "b" and bop is not None:
            return getattr(em.b, bop)(x, y)
        return getattr(em.b, iop)(x, y)
    return fn


LOWERINGS["add"] = _elementwise(_arith("fadd", "add"))
LOWERINGS["sub"] = _elementwise(_arith("fsub", "sub"))
LOWERINGS["mul"] = _elementwise(_arith("fmul", "mul", "and_"))
LOWERINGS["and"] = _elementwise(_arith("and_", "and_"))
LOWERINGS["or"] = _elementwise(_arith("or_", "or_"))


def _safe_divisor(b, y):
    """(divisor with 0 and -1 replaced by 1, y == 0, y == -1): sdiv/srem would trap."""
    zero, minus1 = ir.Constant(y.type, 0), ir.Constant(y.type, -1)
    is0, ism1 = b.icmp_signed("==", y, zero), b.icmp_signed("==", y, minus1)
    return b.select(b.or_(is0, ism1), ir.Constant(y.type, 1), y), is0, ism1


@_unary("div")
def _div(em, node, x, y):
    b = em.b
    if _is_f(node):
        return b.fdiv(x, y)
    # C truncation; x / 0 -> 0 (as the eager impl); x / -1 -> -x (wraps, no trap).
    safe, is0, ism1 = _safe_divisor(b, y)
    q = b.select(ism1, b.neg(x), b.sdiv(x, safe))
    return b.select(is0, ir.Constant(x.type, 0), q)


@_unary("rem")
def _rem(em, node, x, y):
    b = em.b
    if _is_f(node):
        return b.frem(x, y)
    safe, is0, ism1 = _safe_divisor(b, y)
    r = b.srem(x, safe)
    return b.select(b.or_(is0, ism1), ir.Constant(x.type, 0), r)


def _minmax(kind):
    def fn(em, node, x, y):
        b, dt = em.b, _in_dtype(node)
        if dt.kind == "f":   # NaN-propagating, like numpy.maximum
            name = "llvm.maximum" if kind == "max" else "llvm.minimum"
            return em.call(f"{name}.{_sfx(dt)}", x.type, [x, y])
        op = ">" if kind == "max" else "<"
        cmp = b.icmp_unsigned(op, x, y) if dt.kind == "b" else b.icmp_signed(op, x, y)
        return b.select(cmp, x, y)
    return fn


LOWERINGS["max"] = _elementwise(_minmax("max"))
LOWERINGS["min"] = _elementwise(_minmax("min"))

_CMP = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _compare(op):
    def fn(em, node, x, y):
        b, dt = em.b, _in_dtype(node)
        if dt.kind == "f":
            c = b.fcmp_unordered(op, x, y) if op == "!=" else b.fcmp_ordered(op, x, y)
        elif dt.kind == "b":
            c = b.icmp_unsigned(op, x, y)
        else:
            c = b.icmp_signed(op, x, y)
        return b.zext(c, I8)
    return fn


for _name, _op in _CMP.items():
    LOWERINGS[_name] = _elementwise(_compare(_op))


@_unary("select_n")
def _select_n(em, node, which, *cases):
    b = em.b
    if _in_dtype(node).kind == "b":
        if len(cases) == 1:
            return cases[0]
        return b.select(b.icmp_unsigned("!=", which, ir.Constant(I8, 0)), cases[1], cases[0])
    out = cases[0]
    for k in range(1, len(cases)):
        out = b.select(b.icmp_signed("==", which, ir.Constant(which.type, k)), cases[k], out)
    return out


@_unary("convert_element_type")
def _convert(em, node, x):
    return convert(em, x, _in_dtype(node), node.params["new_dtype"])


def convert(em, x, src, dst):
    b = em.b
    src, dst = np.dtype(src), np.dtype(dst)
    if src == dst:
        return x
    sty, dty = lltype(src), lltype(dst)
    if dst.kind == "b":
        if src.kind == "f":
            return b.zext(b.fcmp_unordered("!=", x, ir.Constant(sty, 0.0)), I8)
        return b.zext(b.icmp_signed("!=", x, ir.Constant(sty, 0)), I8)
    if src.kind == "b":
        return b.uitofp(x, dty) if dst.kind == "f" else b.zext(x, dty)
    if src.kind == "f" and dst.kind == "f":
        return b.fpext(x, dty) if dst.itemsize > src.itemsize else b.fptrunc(x, dty)
    if src.kind == "f":   # truncation toward zero, saturating, NaN -> 0 (as XLA)
        name = f"llvm.fptosi.sat.i{dst.itemsize * 8}.{_sfx(src)}"
        return em.call(name, dty, [x])
    if dst.kind == "f":
        return b.sitofp(x, dty)
    return b.sext(x, dty) if dst.itemsize > src.itemsize else b.trunc(x, dty)


# ------------------------------------------------------------- index maps

def _index_map(fn):
    def deco(name):
        LOWERINGS[name] = fn
    return deco


def _broadcast_in_dim(em, node, idx):
    x = node.inputs[0]
    bd = node.params["broadcast_dimensions"]
    in_idx = [idx[d] if x.aval.shape[i] != 1 else i64(0) for i, d in enumerate(bd)]
    return em.value(x, in_idx)


def _reshape(em, node, idx):
    x = node.inputs[0]
    in_shape, out_shape = x.aval.shape, node.out.aval.shape
    if [d for d in in_shape if d != 1] == [d for d in out_shape if d != 1]:
        it = iter([i for i, d in zip(idx, out_shape) if d != 1])
        return em.value(x, [next(it) if d != 1 else i64(0) for d in in_shape])
    # Fusion keeps a merging/splitting reshape's operand in memory: reinterpret it.
    return em.load_linear(x, loops.linear_index(em.b, idx, out_shape))


def _transpose(em, node, idx):
    perm = node.params["permutation"]
    in_idx = [None] * len(perm)
    for i, p in enumerate(perm):
        in_idx[p] = idx[i]
    return em.value(node.inputs[0], in_idx)


def _squeeze(em, node, idx):
    x = node.inputs[0]
    dims = {d % max(x.aval.ndim, 1) for d in node.params["dimensions"]}
    it = iter(idx)
    return em.value(x, [i64(0) if d in dims else next(it) for d in range(x.aval.ndim)])


def _rev(em, node, idx):
    x = node.inputs[0]
    dims = set(node.params["dimensions"])
    in_idx = [em.b.sub(i64(x.aval.shape[d] - 1), i) if d in dims else i
              for d, i in enumerate(idx)]
    return em.value(x, in_idx)


def _slice(em, node, idx):
    x = node.inputs[0]
    start = node.params["start_indices"]
    strides = node.params.get("strides") or (1,) * len(start)
    b = em.b
    in_idx = []
    for i, s, st in zip(idx, start, strides):
        j = i if st == 1 else b.mul(i, i64(st))
        in_idx.append(j if s == 0 else b.add(j, i64(s)))
    return em.value(x, in_idx)


def _pad(em, node, idx):
    x, pv = node.inputs
    b = em.b
    fill = em.value(pv, [])
    if x.aval.size == 0:
        return fill
    ok, in_idx = None, []
    for i, (lo, hi, interior), n in zip(idx, node.params["padding_config"], x.aval.shape):
        t = b.sub(i, i64(lo)) if lo else i
        conds = [b.icmp_signed(">=", t, i64(0))]
        if interior:
            step = i64(interior + 1)
            conds.append(b.icmp_signed("==", b.srem(t, step), i64(0)))
            t = b.sdiv(t, step)
        conds.append(b.icmp_signed("<", t, i64(n)))
        for c in conds:
            ok = c if ok is None else b.and_(ok, c)
        in_idx.append(_clamp(b, t, 0, n - 1))
    val = em.value(x, in_idx)
    return val if ok is None else b.select(ok, val, fill)


def _iota(em, node, idx):
    i = idx[node.params["dimension"]]
    dt = np.dtype(node.params["dtype"])
    return convert(em, i, np.dtype(np.int64), dt)


def _concatenate(em, node, idx):
    d = node.params["dimension"]
    b = em.b
    parts, off = [], 0
    for x in node.inputs:
        n = x.aval.shape[d]
        if n:
            parts.append((x, off, n))
        off += n
    res = None
    for x, start, n in reversed(parts):
        local = _clamp(b, b.sub(idx[d], i64(start)) if start else idx[d], 0, n - 1)
        val = em.value(x, idx[:d] + [local] + idx[d + 1:])
        res = val if res is None else b.select(b.icmp_signed("<", idx[d], i64(start + n)),
                                               val, res)
    if res is None:     # every part empty: so is the output, this code never runs
        return const(node.out.aval.dtype, 0)
    return res


def _dyn_starts(em, starts, dims, sizes):
    """Start indices clamped so the window [start, start+size) fits (as lax)."""
    b = em.b
    out = []
    for s, dim, size in zip(starts, dims, sizes):
        v = _to_i64(b, em.value(s, []), s.aval.dtype)
        out.append(_clamp(b, v, 0, dim - size))
    return out


def _dynamic_slice(em, node, idx):
    x, *starts = node.inputs
    s = _dyn_starts(em, starts, x.aval.shape, node.params["slice_sizes"])
    return em.value(x, [em.b.add(i, si) for i, si in zip(idx, s)])


def _dynamic_update_slice(em, node, idx):
    x, upd, *starts = node.inputs
    if upd.aval.size == 0:
        return em.value(x, idx)
    b = em.b
    s = _dyn_starts(em, starts, x.aval.shape, upd.aval.shape)
    inside, local = None, []
    for i, si, u in zip(idx, s, upd.aval.shape):
        t = b.sub(i, si)
        c = b.and_(b.icmp_signed(">=", t, i64(0)), b.icmp_signed("<", t, i64(u)))
        inside = c if inside is None else b.and_(inside, c)
        local.append(_clamp(b, t, 0, u - 1))
    new = em.value(upd, local)
    old = em.value(x, idx)
    return old if inside is None else b.select(inside, new, old)


def _gather_index(em, operand, indices, axes, idx, clip):
    """Operand index for gather/scatter element ``idx`` (batch dims then the rest).
    Returns (index list, in-bounds condition or None)."""
    b = em.b
    nb = indices.aval.ndim - 1
    bidx, rest = list(idx[:nb]), iter(idx[nb:])
    out, ok = [], None
    for d, n in enumerate(operand.aval.shape):
        if d in axes:
            j = axes.index(d)
            t = _to_i64(b, em.value(indices, bidx + [i64(j)]), indices.aval.dtype)
            if clip:
                t = _clamp(b, t, 0, n - 1)
            else:
                c = b.and_(b.icmp_signed(">=", t, i64(0)), b.icmp_signed("<", t, i64(n)))
                ok = c if ok is None else b.and_(ok, c)
            out.append(t)
        else:
            out.append(next(rest))
    return out, ok


def _gather(em, node, idx):
    operand, indices = node.inputs
    if operand.aval.size == 0:
        return const(operand.aval.dtype, 0)
    in_idx, _ = _gather_index(em, operand, indices, tuple(node.params["axes"]), idx, clip=True)
    return em.value(operand, in_idx)


for _name, _fn in [("broadcast_in_dim", _broadcast_in_dim), ("reshape", _reshape),
                   ("transpose", _transpose), ("squeeze", _squeeze), ("rev", _rev),
                   ("slice", _slice), ("pad", _pad), ("iota", _iota),
                   ("concatenate", _concatenate), ("dynamic_slice", _dynamic_slice),
                   ("dynamic_update_slice", _dynamic_update_slice), ("gather", _gather)]:
    LOWERINGS[_name] = _fn


# ---------------------------------------------------------------- kernels

_kernel_rule = registry.kernel_rule


def _flat_ok(kernel, shape):
    return kernel.runs_flat(shape)


def emit_loop(em, kernel):
    v = kernel.out
    if _flat_ok(kernel, v.aval.shape):
        em.flat = True
        lo, hi = em.band or (0, v.aval.size)
        with loops.for_range(em.b, hi, start=lo, name="i") as i:
            em.reset()
            em.store(v, [i], em.value(v, [i]))
        return
    with loops.loop_nest(em.b, v.aval.shape, outer=em.band) as idx:
        em.reset()
        em.store(v, idx, em.value(v, idx))


_REASSOC = ("reassoc", "contract")


def _combine(em, kind, dtype, acc, x):
    """acc (op) x for a reduction; float sums/products may be reassociated
    (that is what lets LLVM vectorize them)."""
    b, dtype = em.b, np.dtype(dtype)
    if dtype.kind == "b":
        return (b.or_ if kind in ("sum", "max") else b.and_)(acc, x)
    if kind == "sum":
        return b.fadd(acc, x, flags=_REASSOC) if dtype.kind == "f" else b.add(acc, x)
    if kind == "prod":
        return b.fmul(acc, x, flags=_REASSOC) if dtype.kind == "f" else b.mul(acc, x)
    if dtype.kind == "f":
        name = "llvm.maximum" if kind == "max" else "llvm.minimum"
        return em.call(f"{name}.{_sfx(dtype)}", acc.type, [acc, x])
    return b.select(b.icmp_signed(">" if kind == "max" else "<", acc, x), acc, x)


def _merge(out_idx, red_idx, axes, ndim):
    o, r = iter(out_idx), iter(red_idx)
    return [next(r) if d in axes else next(o) for d in range(ndim)]


@_kernel_rule("reduce_sum", label="reduce", fuses_inputs=True, monoid="sum")
@_kernel_rule("reduce_prod", label="reduce", fuses_inputs=True, monoid="prod")
@_kernel_rule("reduce_max", label="reduce", fuses_inputs=True, monoid="max")
@_kernel_rule("reduce_min", label="reduce", fuses_inputs=True, monoid="min")
def emit_reduce(em, kernel):
    node = kernel.root
    x, out = node.inputs[0], node.out
    axes = tuple(node.params["axes"])
    kind = registry.KERNEL_RULES[node.prim].monoid
    shape, dt = x.aval.shape, x.aval.dtype
    b = em.b
    nd = len(shape)
    out_shape = out.aval.shape
    if len(axes) == nd and _flat_ok(kernel, shape) and kernel.out.aval.shape == ():
        # A full reduction of an elementwise chain: one loop over linear offsets.
        em.flat = True
        axes, nd, shape = (0,), 1, (x.aval.size,)
    red_shape = [shape[d] for d in axes]
    if nd and (nd - 1) not in axes and axes:
        # Last dim kept: accumulate rows into the output, contiguous inner loop.
        with loops.loop_nest(b, out_shape, "o") as oidx:
            em.store(out, oidx, identity(kind, dt))
        with loops.loop_nest(b, shape, "r") as idx:
            em.reset()
            oi = [i for d, i in enumerate(idx) if d not in axes]
            off = loops.linear_index(b, oi, out_shape)
            acc = em.load_linear(out, off)
            em.store_linear(out, off, _combine(em, kind, dt, acc, em.value(x, idx)))
        return
    acc_slot = em.alloca(lltype(dt))
    n_last = red_shape[-1] if red_shape else 0
    if kind == "sum" and dt.kind == "f" and n_last > _SUM_BLOCK:
        _blocked_sum(em, kernel, x, out, axes, red_shape, acc_slot)
        return
    with loops.loop_nest(b, out_shape, "o", outer=_band(em, "rows")) as oidx:
        b.store(identity(kind, dt), acc_slot)
        _absorb_parts(em, kind, dt, acc_slot)
        with loops.loop_nest(b, red_shape, "r", outer=_band(em, "total")) as ridx:
            em.reset()
            v = em.value(x, _merge(oidx, ridx, axes, nd))
            b.store(_combine(em, kind, dt, b.load(acc_slot), v), acc_slot)
        _finish(em, kernel, oidx, b.load(acc_slot))


def _band(em, split):
    return em.band if em.split == split else None


def _absorb_parts(em, kind, dt, acc_slot):
    """Start a total reduction from the partial results of its bands."""
    if em.total is None:
        return
    b, ty = em.b, lltype(dt)
    _, parts_in, n_in = em.total
    with loops.for_range(b, n_in, name="part") as p:
        v = b.load(b.gep(parts_in, [p], source_etype=ty), typ=ty)
        b.store(_combine(em, kind, dt, b.load(acc_slot), v), acc_slot)


def _finish(em, kernel, oidx, acc):
    """Store a reduction's result, through its fused epilogue if it has one; a
    band of a total reduction leaves its partial result at ``part_out`` instead."""
    if em.total is not None:
        part_out = em.total[0]
        with em.b.if_else(em.b.icmp_unsigned("!=", part_out, ir.Constant(PTR, None))) \
                as (partial, final):
            with partial:
                em.b.store(acc, part_out)
            with final:
                _store_result(em, kernel, oidx, acc)
        return
    _store_result(em, kernel, oidx, acc)


def _store_result(em, kernel, oidx, acc):
    if kernel.epilogue is None:
        em.store(kernel.out, oidx, acc)
        return
    em.reset()
    em.override = {kernel.root.out: acc}
    em.store(kernel.out, oidx, em.value(kernel.out, oidx))
    em.override = {}


_SUM_BLOCK = 2048


def _blocked_sum(em, kernel, x, out, axes, red_shape, acc_slot):
    """Float sums over long rows add blocks of _SUM_BLOCK elements (vectorized,
    reassociated) into the running total: the rounding error then grows with
    the number of blocks, not of elements, close to numpy's pairwise sum."""
    b, dt = em.b, x.aval.dtype
    nd = 1 if em.flat else x.aval.ndim
    n = red_shape[-1]
    part_slot = em.alloca(lltype(dt))
    blocks = _band(em, "total") or (0, -(-n // _SUM_BLOCK))
    with loops.loop_nest(b, out.aval.shape, "o", outer=_band(em, "rows")) as oidx:
        b.store(identity("sum", dt), acc_slot)
        _absorb_parts(em, "sum", dt, acc_slot)
        with loops.loop_nest(b, red_shape[:-1], "r") as ridx:
            with loops.for_range(b, blocks[1], start=blocks[0], name="blk") as blk:
                start = b.mul(blk, i64(_SUM_BLOCK))
                stop = _imin(b, b.add(start, i64(_SUM_BLOCK)), i64(n))
                b.store(identity("sum", dt), part_slot)
                with loops.for_range(b, stop, start=start, name="j") as j:
                    em.reset()
                    v = em.value(x, _merge(oidx, list(ridx) + [j], axes, nd))
                    b.store(_combine(em, "sum", dt, b.load(part_slot), v), part_slot)
                b.store(b.fadd(b.load(acc_slot), b.load(part_slot)), acc_slot)
        _finish(em, kernel, oidx, b.load(acc_slot))


@_kernel_rule("argmax", "argmin", label="reduce", fuses_inputs=True)
def emit_argminmax(em, kernel):
    node = kernel.root
    x, out = node.inputs[0], node.out
    axes = tuple(node.params["axes"])
    shape, dt = x.aval.shape, x.aval.dtype
    idt = out.aval.dtype
    b = em.b
    nd = len(shape)
    n = shape[axes[0]]
    best_slot, bi_slot = em.alloca(lltype(dt)), em.alloca(I64)
    op = ">" if node.prim == "argmax" else "<"
    with loops.loop_nest(b, out.aval.shape, "o") as oidx:
        if n == 0:
            em.store(out, oidx, const(idt, 0))
            return
        em.reset()
        b.store(em.value(x, _merge(oidx, [i64(0)], axes, nd)), best_slot)
        b.store(i64(0), bi_slot)
        with loops.for_range(b, n, start=1, name="r") as k:
            em.reset()
            v = em.value(x, _merge(oidx, [k], axes, nd))
            best = b.load(best_slot)
            if dt.kind == "f":
                # First extreme wins; a NaN beats everything and is never replaced.
                better = b.fcmp_ordered(op, v, best)
                v_nan = b.fcmp_unordered("uno", v, v)
                best_nan = b.fcmp_unordered("uno", best, best)
                take = b.or_(better, b.and_(v_nan, b.not_(best_nan)))
            elif dt.kind == "b":
                take = b.icmp_unsigned(op, v, best)
            else:
                take = b.icmp_signed(op, v, best)
            b.store(b.select(take, v, best), best_slot)
            b.store(b.select(take, k, b.load(bi_slot)), bi_slot)
        em.store(out, oidx, convert(em, b.load(bi_slot), np.dtype(np.int64), idt))


@_kernel_rule("cumsum", label="cumsum", fuses_inputs=True)
def emit_cumsum(em, kernel):
    node = kernel.root
    x, out = node.inputs[0], node.out
    axis, reverse = node.params["axis"], node.params.get("reverse", False)
    shape, dt = out.aval.shape, out.aval.dtype
    b = em.b
    n = shape[axis]
    kind = "sum"
    # Outer dims, then the scan axis (sequential), then inner dims (contiguous).
    with loops.loop_nest(b, shape[:axis], "p") as pre:
        with loops.for_range(b, n, name="k") as k:
            pos = b.sub(i64(n - 1), k) if reverse else k
            prev = _clamp(b, b.add(pos, i64(1)) if reverse else b.sub(pos, i64(1)), 0, n - 1)
            first = b.icmp_signed("==", k, i64(0))
            with loops.loop_nest(b, shape[axis + 1:], "q") as post:
                em.reset()
                idx = list(pre) + [pos] + list(post)
                before = em.load(out, list(pre) + [prev] + list(post))
                before = b.select(first, identity(kind, dt), before)
                em.store(out, idx, _combine_exact(em, dt, before, em.value(x, idx)))


def _combine_exact(em, dt, a, x):
    b = em.b
    if dt.kind == "f":
        return b.fadd(a, x)
    if dt.kind == "b":
        return b.or_(a, x)
    return b.add(a, x)


@_kernel_rule("sort", "argsort", label="sort", fuses_inputs=False)
def emit_sort(em, kernel):
    """Heapsort of each line along ``dimension``, in place in the output (values,
    or indices ordered by the values they point at): O(n log n), no workspace."""
    node = kernel.root
    x, out = node.inputs[0], node.out
    d = node.params["dimension"]
    shape = x.aval.shape
    n = shape[d]
    stride = int(np.prod(shape[d + 1:], dtype=np.int64))
    b = em.b
    xp, op = em.address(x, i64(0)), em.address(out, i64(0))
    sift = _sift_function(em, kernel, x.aval.dtype, out.aval.dtype, node.prim == "argsort")
    with loops.loop_nest(b, shape[:d], "p", outer=em.band) as pre:
        with loops.loop_nest(b, shape[d + 1:], "q") as post:
            base = loops.linear_index(b, list(pre) + [i64(0)] + list(post), shape)
            with loops.for_range(b, n, name="i") as i:
                off = b.add(base, b.mul(i, i64(stride)))
                if node.prim == "argsort":
                    val = convert(em, i, np.dtype(np.int64), out.aval.dtype)
                else:
                    val = em.load_linear(x, off)
                em.store_linear(out, off, val)
            with loops.for_range(b, n // 2, name="h") as h:       # heapify
                b.call(sift, [xp, op, base, i64(stride), b.sub(i64(n // 2 - 1), h), i64(n)])
            with loops.for_range(b, max(n - 1, 0), name="e") as e:   # pop the maxima
                end = b.sub(i64(n - 1), e)
                first, last = base, b.add(base, b.mul(end, i64(stride)))
                top, bottom = em.load_linear(out, first), em.load_linear(out, last)
                em.store_linear(out, first, bottom)
                em.store_linear(out, last, top)
                b.call(sift, [xp, op, base, i64(stride), i64(0), end])


def _sift_function(em, kernel, key_dtype, out_dtype, by_index):
    """``sift(x, out, base, stride, root, end)``: restore the max-heap below
    ``root`` in the line's first ``end`` entries (positions base + i*stride)."""
    kty, oty = lltype(key_dtype), lltype(out_dtype)
    fn = ir.Function(em.module, ir.FunctionType(VOID, [PTR, PTR, I64, I64, I64, I64]),
                     name=f"k{kernel.index}_sift")
    fn.linkage = "internal"
    xp, op, base, stride, root0, end = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    root_slot = b.alloca(I64)
    b.store(root0, root_slot)
    loop, body, done = (fn.append_basic_block(n) for n in ("loop", "body", "done"))
    b.branch(loop)

    def at(i):
        return b.gep(op, [b.add(base, b.mul(i, stride))], source_etype=oty)

    def key(i):
        v = b.load(at(i), typ=oty)
        if not by_index:
            return v, None
        idx = v if oty == I64 else b.sext(v, I64)
        return b.load(b.gep(xp, [b.add(base, b.mul(idx, stride))], source_etype=kty),
                      typ=kty), idx

    def less(i, j):
        (a, ia), (c, ic) = key(i), key(j)
        lt, eq = _order(b, key_dtype, a, c)
        return b.or_(lt, b.and_(eq, b.icmp_signed("<", ia, ic))) if by_index else lt

    b.position_at_end(loop)
    r = b.load(root_slot, typ=I64)
    child = b.add(b.mul(r, i64(2)), i64(1))
    b.cbranch(b.icmp_signed("<", child, end), body, done)
    b.position_at_end(body)
    right = b.add(child, i64(1))
    has_right = b.icmp_signed("<", right, end)
    right_ok = b.select(has_right, right, child)        # never read past the heap
    big = b.select(b.and_(has_right, less(child, right_ok)), right, child)
    swap = fn.append_basic_block("swap")
    b.cbranch(less(r, big), swap, done)
    b.position_at_end(swap)
    pr, pb = at(r), at(big)
    vr, vb = b.load(pr, typ=oty), b.load(pb, typ=oty)
    b.store(vb, pr)
    b.store(vr, pb)
    b.store(big, root_slot)
    b.branch(loop)
    b.position_at_end(done)
    b.ret_void()
    return fn


def _order(b, dtype, a, c):
    """(a < c, a ties c) in sort order: NaN after every number, NaNs tie."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        a_nan, c_nan = b.fcmp_unordered("uno", a, a), b.fcmp_unordered("uno", c, c)
        lt = b.or_(b.fcmp_ordered("<", a, c), b.and_(c_nan, b.not_(a_nan)))
        return lt, b.or_(b.fcmp_ordered("==", a, c), b.and_(a_nan, c_nan))
    lt = (b.icmp_signed if dtype.kind == "i" else b.icmp_unsigned)("<", a, c)   # bool: 0 < 1
    return lt, b.icmp_signed("==", a, c)


@_kernel_rule("scatter_add", "scatter", label="scatter", fuses_inputs=True)
def emit_scatter(em, kernel):
    node = kernel.root
    operand, indices, updates = node.inputs
    out = node.out
    axes = tuple(node.params["axes"])
    b = em.b
    with loops.loop_nest(b, out.aval.shape, "c") as idx:
        em.reset()
        em.store(out, idx, em.value(operand, idx))
    # Sequential updates: duplicates accumulate (or the last one wins), OOB dropped.
    with loops.loop_nest(b, updates.aval.shape, "u") as idx:
        em.reset()
        tidx, ok = _gather_index(em, out, indices, axes, idx, clip=False)
        upd = em.value(updates, idx)
        off = loops.linear_index(b, tidx, out.aval.shape)
        with b.if_then(ok if ok is not None else ir.Constant(I1, 1)):
            if node.prim == "scatter_add":
                upd = _combine_exact(em, out.aval.dtype, em.load_linear(out, off), upd)
            em.store_linear(out, off, upd)


@_kernel_rule("dot_general", label="gemm", fuses_inputs=False)
def emit_gemm(em, kernel):
    node = kernel.root
    g = dict(node.params["gemm"])
    a, bvar = node.inputs
    out = node.out
    B, M, N, K = g["B"], g["M"], g["N"], g["K"]
    ta, tb, dt = g["trans_a"], g["trans_b"], np.dtype(g["dtype"])
    b = em.b
    if M * N * B == 0:
        return
    if K == 0:
        with loops.for_range(b, B * M * N, name="z") as i:
            em.store_linear(out, i, const(dt, 0))
        return
    lda, ldb, ldc = (M if ta else K), (K if tb else N), N
    with loops.for_range(b, B, name="batch") as bi:
        pa = em.address(a, b.mul(bi, i64(M * K)))
        pb = em.address(bvar, b.mul(bi, i64(K * N)))
        pc = em.address(out, b.mul(bi, i64(M * N)))
        gemm.emit_gemm(b, em.module, dt, ta, tb, i64(M), i64(N), i64(K), pa, i64(lda),
                       pb, i64(ldb), pc, i64(ldc))


# ------------------------------------------------------------------ module

def lower(prog, name="jit_fn", data_offset=None):
    """The LLVM module (llvmlite.ir.Module) for a fused, buffer-planned Program."""
    module = ir.Module(name=name)
    kfuncs = []
    nthreads = parallel.threads()
    for k in prog.kernels:
        kfuncs.append(_lower_kernel(module, prog, k, nthreads))
    _lower_entry(module, prog, kfuncs, data_offset, nthreads)
    return module


def _kernel_bases(prog, k):
    bases = [prog.base(k.out)]
    for v in k.reads:
        bv = prog.base(v)
        if bv not in bases:
            bases.append(bv)
    return bases


def _lower_kernel(module, prog, k, nthreads):
    if k.nested is not None:        # cond/while/scan: native control flow
        from compiler import control_flow
        return control_flow.lower_kernel(module, prog, k, nthreads)
    bases = _kernel_bases(prog, k)
    split = split_plan(k, nthreads)
    extra = parallel.band_types(split[0] == "total") if split else []
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR] * len(bases) + extra),
                     name=f"k{k.index}_{k.kind}_{k.root.prim}")
    fn.linkage = "internal"
    for arg in fn.args[:len(bases)]:
        arg.add_attribute("noalias")
    fn.attributes.add("nounwind")
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    em = Emitter(module, builder, k, prog, dict(zip(bases, fn.args)))
    if split:
        em.split = split[0]
        em.band = tuple(fn.args[len(bases):len(bases) + 2])
        if split[0] == "total":
            em.total = tuple(fn.args[len(bases) + 2:])
    if k.kind == "loop":
        emit_loop(em, k)
    else:
        registry.KERNEL_RULES[k.root.prim].emit(em, k)
    builder.ret_void()
    return fn, bases, split


def split_plan(k, nthreads):
    """How a kernel runs in bands over threads, or None (run whole, on the caller):
    ("flat" | "rows", extent) or ("total", extent, partial's LLVM type). Mirrors
    the loop structure emit_loop and emit_reduce choose."""
    if nthreads < 2:
        return None
    if k.kind == "loop":
        shape, size = k.out.aval.shape, k.out.aval.size
        if size < parallel.MIN_ELEMENTS:
            return None
        if _flat_ok(k, shape):
            return ("flat", size)
        return ("rows", shape[0]) if shape and shape[0] >= 2 else None
    if k.kind == "sort":     # lines before the sorted dim, by rows
        shape, d = k.root.inputs[0].aval.shape, k.root.params["dimension"]
        big = k.root.inputs[0].aval.size >= parallel.MIN_ELEMENTS
        return ("rows", shape[0]) if big and d > 0 and shape[0] >= 2 else None
    monoid = registry.KERNEL_RULES[k.root.prim].monoid
    if monoid is None:
        return None
    x, out = k.root.inputs[0], k.root.out
    shape, dt = x.aval.shape, x.aval.dtype
    axes = tuple(k.root.params["axes"])
    if x.aval.size < parallel.MIN_ELEMENTS:
        return None
    if len(axes) == len(shape) and k.out.aval.shape == () and (
            len(shape) == 1 or _flat_ok(k, shape)):
        n = x.aval.size
        blocked = monoid == "sum" and dt.kind == "f" and n > _SUM_BLOCK
        return ("total", -(-n // _SUM_BLOCK) if blocked else n, lltype(dt))
    if len(shape) - 1 not in axes:
        return None       # the last-dim-kept path accumulates rows in place: not split
    out_shape = out.aval.shape
    return ("rows", out_shape[0]) if out_shape and out_shape[0] >= 2 else None


MAX_DIRECT_ARGS = 200   # beyond this, pointers come packed in one array (ctypes limits)


def packed_args(prog):
    return len(prog.invars) + len(prog.outvars) > MAX_DIRECT_ARGS


def _lower_entry(module, prog, kfuncs, data_offset, nthreads):
    """``i32 entry(p_0, ..., p_n)``: inputs then outputs (or ``entry(p[])`` with
    many arguments). With ``data_offset`` each p_i is an ndarray object whose
    data pointer sits at that offset. Returns 0, or 1 when out of memory."""
    nin, nout = len(prog.invars), len(prog.outvars)
    packed = packed_args(prog)
    fn = ir.Function(module, ir.FunctionType(I32, [PTR] if packed else [PTR] * (nin + nout)),
                     name="entry")
    b = ir.IRBuilder(fn.append_basic_block("entry"))

    def arg_ptr(i):
        if not packed:
            return fn.args[i]
        return b.load(b.gep(fn.args[0], [i64(i)], source_etype=PTR), typ=PTR)
    plan = prog.buffers
    ws = None
    if plan.workspace:
        malloc = _static_intrinsic(module, "malloc", PTR, [I64])
        ws = b.call(malloc, [i64(plan.workspace)])
        with b.if_then(b.icmp_unsigned("==", ws, ir.Constant(PTR, None)), likely=False):
            b.ret(ir.Constant(I32, 1))      # out of memory: the runtime raises MemoryError
    ptrs = {}

    def ptr_of(base):
        if base not in ptrs:
            kind, pos = plan.where[base]
            if kind == "ws":
                ptrs[base] = b.gep(ws, [i64(pos)], source_etype=I8)
            else:
                arg = arg_ptr(pos if kind == "in" else nin + pos)
                if data_offset is None:
                    ptrs[base] = arg
                else:
                    slot = b.gep(arg, [i64(data_offset)], source_etype=I8)
                    ptrs[base] = b.load(slot, typ=PTR)
        return ptrs[base]

    for kfn, bases, split in kfuncs:
        ptr_args = [ptr_of(v) for v in bases]
        if split is None:
            b.call(kfn, ptr_args)
        else:
            parallel.emit_call(module, b, kfn, ptr_args, split[1], nthreads,
                               split[2] if split[0] == "total" else None)
    if ws is not None:
        free = _static_intrinsic(module, "free", VOID, [PTR])
        b.call(free, [ws])
    b.ret(ir.Constant(I32, 0))

