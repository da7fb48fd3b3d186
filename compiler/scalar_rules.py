"""Value rules: one element of a fused node's output, ``rule(em, node, idx)``.

Elementwise rules compute scalars from the input elements at ``idx`` (rank-0
inputs broadcast); index-map rules (broadcast, transpose, slice, gather, ...)
rewrite the index and ask ``em.value`` for the input element there. No
branches: selects and clamped indices keep loops vectorizable and never read
out of bounds. Each rule is registered in ``registry.VALUE_RULES`` under its
primitive's name, next to its definition.
"""
import numpy as np
from llvmlite import ir

from jaxlite.compiler import loops, registry, vecmath
from jaxlite.compiler.emitter import clamp, sfx, to_i64
from jaxlite.compiler.lltypes import I8, const, i64, is_unsigned, lltype
from jaxlite.compiler.registry import value_rule


def _elementwise(fn):
    """A value rule from ``fn(em, node, *scalars)``: rank-0 inputs broadcast."""
    def rule(em, node, idx):
        args = [em.value(a, idx if a.aval.shape else []) for a in node.inputs]
        return fn(em, node, *args)
    return rule


def _unary(name):
    """Register ``fn(em, node, *scalars)`` as the value rule of ``name``."""
    def deco(fn):
        registry.VALUE_RULES[name] = _elementwise(fn)
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
    registry.VALUE_RULES[name] = _elementwise(
        lambda em, node, *args: vecmath.emit(em.b, name, *args))


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
    return em.call(f"llvm.sqrt.{sfx(_in_dtype(node))}", x.type, [x])


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
    if dt.kind == "u":
        return b.zext(b.icmp_unsigned("!=", x, zero), x.type)
    pos = b.zext(b.icmp_signed(">", x, zero), x.type)
    neg = b.zext(b.icmp_signed("<", x, zero), x.type)
    return b.sub(pos, neg)


@_unary("floor")
def _floor(em, node, x):
    return em.call(f"llvm.floor.{sfx(_in_dtype(node))}", x.type, [x])


@_unary("ceil")
def _ceil(em, node, x):
    return em.call(f"llvm.ceil.{sfx(_in_dtype(node))}", x.type, [x])


@_unary("round")
def _round(em, node, x):
    # 0: half away from zero (llvm.round); 1: half to even (llvm.roundeven).
    which = "llvm.round" if node.params.get("rounding_method", 0) == 0 else "llvm.roundeven"
    return em.call(f"{which}.{sfx(_in_dtype(node))}", x.type, [x])


@_unary("abs")
def _abs(em, node, x):
    if _is_f(node):
        return em.call(f"llvm.fabs.{sfx(_in_dtype(node))}", x.type, [x])
    if _in_dtype(node).kind == "u":
        return x
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


registry.VALUE_RULES["copy"] = registry.VALUE_RULES["stop_gradient"]   # fusion.COPY


def _arith(fop, iop, bop=None):
    def fn(em, node, x, y):
        dt = _in_dtype(node)
        if dt.kind == "f":
            return getattr(em.b, fop)(x, y)
        if dt.kind == "b" and bop is not None:
            return getattr(em.b, bop)(x, y)
        return getattr(em.b, iop)(x, y)
    return fn


registry.VALUE_RULES["add"] = _elementwise(_arith("fadd", "add"))
registry.VALUE_RULES["sub"] = _elementwise(_arith("fsub", "sub"))
registry.VALUE_RULES["mul"] = _elementwise(_arith("fmul", "mul", "and_"))
registry.VALUE_RULES["and"] = _elementwise(_arith("and_", "and_"))
registry.VALUE_RULES["or"] = _elementwise(_arith("or_", "or_"))
registry.VALUE_RULES["xor"] = _elementwise(_arith("xor", "xor"))


def _shift(op, out_of_range):
    """LLVM's shifts are poison for amounts >= the width; lax reads the amount
    as unsigned and shifts everything out (``out_of_range(x)`` gives the result)."""
    def fn(em, node, x, y):
        b = em.b
        width = ir.Constant(y.type, x.type.width)
        ok = b.icmp_unsigned("<", y, width)
        safe = b.select(ok, y, ir.Constant(y.type, 0))
        return b.select(ok, getattr(b, op)(x, safe), out_of_range(b, x))
    return fn


registry.VALUE_RULES["shift_left"] = _elementwise(
    _shift("shl", lambda b, x: ir.Constant(x.type, 0)))
registry.VALUE_RULES["shift_right_logical"] = _elementwise(
    _shift("lshr", lambda b, x: ir.Constant(x.type, 0)))
registry.VALUE_RULES["shift_right_arithmetic"] = _elementwise(
    _shift("ashr", lambda b, x: b.ashr(x, ir.Constant(x.type, x.type.width - 1))))


@_unary("population_count")
def _population_count(em, node, x):
    return em.call(f"llvm.ctpop.i{x.type.width}", x.type, [x])


@_unary("clz")
def _clz(em, node, x):
    # The i1 flag false: clz(0) is the bit width, not poison.
    return em.call(f"llvm.ctlz.i{x.type.width}", x.type, [x, ir.Constant(ir.IntType(1), 0)])


@_unary("bitcast_convert_type")
def _bitcast(em, node, x):
    # Same width by the primitive's shape rule: a no-op on the bits.
    return em.b.bitcast(x, lltype(node.params["new_dtype"]))


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
    all_ones = ir.Constant(x.type, -1)
    if _in_dtype(node).kind == "u":     # x / 0 -> all bits set, as XLA
        is0 = b.icmp_unsigned("==", y, ir.Constant(y.type, 0))
        q = b.udiv(x, b.select(is0, ir.Constant(y.type, 1), y))
        return b.select(is0, all_ones, q)
    # C truncation; x / 0 -> -1 (as XLA); x / -1 -> -x (wraps, no trap).
    safe, is0, ism1 = _safe_divisor(b, y)
    q = b.select(ism1, b.neg(x), b.sdiv(x, safe))
    return b.select(is0, all_ones, q)


@_unary("rem")
def _rem(em, node, x, y):
    b = em.b
    if _is_f(node):
        return b.frem(x, y)
    if _in_dtype(node).kind == "u":
        is0 = b.icmp_unsigned("==", y, ir.Constant(y.type, 0))
        r = b.urem(x, b.select(is0, ir.Constant(y.type, 1), y))
        return b.select(is0, x, r)        # x rem 0 -> x, as XLA
    safe, is0, ism1 = _safe_divisor(b, y)
    r = b.select(ism1, ir.Constant(x.type, 0), b.srem(x, safe))
    return b.select(is0, x, r)


def _minmax(kind):
    def fn(em, node, x, y):
        b, dt = em.b, _in_dtype(node)
        if dt.kind == "f":   # NaN-propagating, like numpy.maximum
            name = "llvm.maximum" if kind == "max" else "llvm.minimum"
            return em.call(f"{name}.{sfx(dt)}", x.type, [x, y])
        op = ">" if kind == "max" else "<"
        cmp = b.icmp_unsigned(op, x, y) if is_unsigned(dt) else b.icmp_signed(op, x, y)
        return b.select(cmp, x, y)
    return fn


registry.VALUE_RULES["max"] = _elementwise(_minmax("max"))
registry.VALUE_RULES["min"] = _elementwise(_minmax("min"))

def _compare(op):
    def fn(em, node, x, y):
        b, dt = em.b, _in_dtype(node)
        if dt.kind == "f":
            c = b.fcmp_unordered(op, x, y) if op == "!=" else b.fcmp_ordered(op, x, y)
        elif is_unsigned(dt):
            c = b.icmp_unsigned(op, x, y)
        else:
            c = b.icmp_signed(op, x, y)
        return b.zext(c, I8)
    return fn


registry.VALUE_RULES["eq"] = _elementwise(_compare("=="))
registry.VALUE_RULES["ne"] = _elementwise(_compare("!="))
registry.VALUE_RULES["lt"] = _elementwise(_compare("<"))
registry.VALUE_RULES["le"] = _elementwise(_compare("<="))
registry.VALUE_RULES["gt"] = _elementwise(_compare(">"))
registry.VALUE_RULES["ge"] = _elementwise(_compare(">="))


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
    if src.kind == "f" and dst.kind == "f":
        return b.fpext(x, dty) if dst.itemsize > src.itemsize else b.fptrunc(x, dty)
    if src.kind == "f":   # truncation toward zero, saturating, NaN -> 0 (as XLA)
        op = "fptoui" if dst.kind == "u" else "fptosi"
        return em.call(f"llvm.{op}.sat.i{dst.itemsize * 8}.{sfx(src)}", dty, [x])
    if dst.kind == "f":
        return b.uitofp(x, dty) if is_unsigned(src) else b.sitofp(x, dty)
    if dst.itemsize > src.itemsize:    # the source's sign decides the extension
        return b.zext(x, dty) if is_unsigned(src) else b.sext(x, dty)
    return b.trunc(x, dty) if dst.itemsize < src.itemsize else x


# ------------------------------------------------------------- index maps

def _broadcast_expands(node, v):
    in_shape, shape = v.aval.shape, node.params["shape"]
    if int(np.prod(shape)) <= int(np.prod(in_shape)) or not shape:
        return False
    bd = node.params["broadcast_dimensions"]
    last = len(shape) - 1
    # Broadcast only along outer dims is hoisted out of the inner loop by LICM.
    return last in bd and in_shape[bd.index(last)] != 1


def _always(node, v):
    return True


@value_rule("broadcast_in_dim", expands=_broadcast_expands, keeps_order=True)
def _broadcast_in_dim(em, node, idx):
    x = node.inputs[0]
    bd = node.params["broadcast_dimensions"]
    in_idx = [idx[d] if x.aval.shape[i] != 1 else i64(0) for i, d in enumerate(bd)]
    return em.value(x, in_idx)


@value_rule("reshape", keeps_order=True)
def _reshape(em, node, idx):
    x = node.inputs[0]
    in_shape, out_shape = x.aval.shape, node.out.aval.shape
    if [d for d in in_shape if d != 1] == [d for d in out_shape if d != 1]:
        it = iter([i for i, d in zip(idx, out_shape) if d != 1])
        return em.value(x, [next(it) if d != 1 else i64(0) for d in in_shape])
    # Fusion keeps a merging/splitting reshape's operand in memory: reinterpret it.
    return em.load_linear(x, loops.linear_index(em.b, idx, out_shape))


@value_rule("transpose")
def _transpose(em, node, idx):
    perm = node.params["permutation"]
    in_idx = [None] * len(perm)
    for i, p in enumerate(perm):
        in_idx[p] = idx[i]
    return em.value(node.inputs[0], in_idx)


@value_rule("squeeze", keeps_order=True)
def _squeeze(em, node, idx):
    x = node.inputs[0]
    dims = {d % max(x.aval.ndim, 1) for d in node.params["dimensions"]}
    it = iter(idx)
    return em.value(x, [i64(0) if d in dims else next(it) for d in range(x.aval.ndim)])


@value_rule("rev")
def _rev(em, node, idx):
    x = node.inputs[0]
    dims = set(node.params["dimensions"])
    in_idx = [em.b.sub(i64(x.aval.shape[d] - 1), i) if d in dims else i
              for d, i in enumerate(idx)]
    return em.value(x, in_idx)


@value_rule("slice")
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


@value_rule("pad")
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
        in_idx.append(clamp(b, t, 0, n - 1))
    val = em.value(x, in_idx)
    return val if ok is None else b.select(ok, val, fill)


@value_rule("iota")
def _iota(em, node, idx):
    i = idx[node.params["dimension"]]
    dt = np.dtype(node.params["dtype"])
    return convert(em, i, np.dtype(np.int64), dt)


@value_rule("concatenate", expands=_always)   # every part, then a select
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
        local = clamp(b, b.sub(idx[d], i64(start)) if start else idx[d], 0, n - 1)
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
        v = to_i64(b, em.value(s, []), s.aval.dtype)
        out.append(clamp(b, v, 0, dim - size))
    return out


@value_rule("dynamic_slice")
def _dynamic_slice(em, node, idx):
    x, *starts = node.inputs
    s = _dyn_starts(em, starts, x.aval.shape, node.params["slice_sizes"])
    return em.value(x, [em.b.add(i, si) for i, si in zip(idx, s)])


@value_rule("dynamic_update_slice", expands=_always)   # old and new, then a select
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
        local.append(clamp(b, t, 0, u - 1))
    new = em.value(upd, local)
    old = em.value(x, idx)
    return old if inside is None else b.select(inside, new, old)


def gather_index(em, operand, indices, axes, idx, clip):
    """Operand index for gather/scatter element ``idx`` (batch dims then the rest).
    Returns (index list, in-bounds condition or None)."""
    b = em.b
    nb = indices.aval.ndim - 1
    bidx, rest = list(idx[:nb]), iter(idx[nb:])
    out, ok = [], None
    for d, n in enumerate(operand.aval.shape):
        if d in axes:
            j = axes.index(d)
            t = to_i64(b, em.value(indices, bidx + [i64(j)]), indices.aval.dtype)
            if clip:
                t = clamp(b, t, 0, n - 1)
            else:
                c = b.and_(b.icmp_signed(">=", t, i64(0)), b.icmp_signed("<", t, i64(n)))
                ok = c if ok is None else b.and_(ok, c)
            out.append(t)
        else:
            out.append(next(rest))
    return out, ok


@value_rule("gather", expands=lambda node, v: node.inputs[0] is v)
def _gather(em, node, idx):
    operand, indices = node.inputs
    if operand.aval.size == 0:
        return const(operand.aval.dtype, 0)
    in_idx, _ = gather_index(em, operand, indices, tuple(node.params["axes"]), idx, clip=True)
    return em.value(operand, in_idx)

