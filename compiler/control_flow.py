"""Control flow (cond, while, scan) compiled to native branches and loops.

A higher-order equation is a kernel of its own: it reads materialized
buffers and writes materialized buffers, nothing is fused into or out of it.
Every jaxpr it carries is compiled once, through the ordinary pipeline
(simplify, fuse, plan buffers, lower), into a *program function* emitted in
the same LLVM module::

    void kN_<kind>_<label>(ptr in_0, ..., ptr out_0, ..., ptr workspace)

(the jaxpr's inputs, then its outputs, then its own workspace, a block of
the parent kernel's scratch). The kernel of the equation calls these
functions behind a branch or in one loop, so compile time does not depend on
the trip count:

* ``cond``: the index is clamped into range and a ``switch`` calls only the
  taken branch, which writes the equation's outputs directly.
* ``while``: call the predicate into a flag; stop when it is false (or after
  ``max_steps`` trips), else run the body from the current carries into the
  next ones.
* ``scan``: ``length`` trips (backwards when ``reverse``); each x slice is a
  pointer into the stacked xs and each y slice a pointer into the stacked
  output, so slices are never copied.

Carries: one larger than ``SMALL_CARRY`` bytes alternates between the
output buffer and a scratch buffer (the pointers are swapped each trip, and
it is copied at most once, when the loop ends on the scratch side). A small
one stays in the output buffer: the body writes a scratch copy that is copied
back each trip. Those fixed addresses let LLVM keep scalar carries in
registers once the body is inlined into the loop.

Before fusion, ``simplify_loop`` (called by simplify) makes a carry the body
returns unchanged a constant of the loop, and moves the body's invariant
work (GEMMs, reductions, costly math on constants) before the loop.

The plan (``fusion.plan_text``) prints each nested program, indented, under
its kernel. Nested kernels are numbered after the parent's, so every kernel
of a module has its own number (and LLVM function name). Large nested kernels
are split over threads as at the top level (see parallel.py).
"""
import numpy as np
from llvmlite import ir

from jaxlite.ir import ClosedJaxpr, Jaxpr, Literal, Var, Namer, dce, effectful
from jaxlite import core
# fusion, simplify and lowering import this module too: the cycle is fine because
# every use below is at call time, after all of them finished importing.
from jaxlite.compiler import fusion, loops, lowering, parallel, registry, simplify
from jaxlite.compiler.lltypes import I1, I8, I64, PTR, VOID, lltype, const, i64

SMALL_CARRY = 64
ALIGN = 64


def _aligned(n):
    return -(-max(int(n), 1) // ALIGN) * ALIGN


def _nbytes(aval):
    return int(aval.size) * np.dtype(aval.dtype).itemsize


class _Bytes:
    """The aval of a kernel's scratch block (only its size matters to planning)."""
    ndim, weak_type = 1, False
    dtype = np.dtype(np.uint8)

    def __init__(self, n):
        self.size, self.shape = n, (n,)

    def str_short(self):
        return f"u8[{self.size}]"


# ----------------------------------------------------- loop-invariant code motion

# Worth computing once before the loop rather than on every trip: kernel roots
# and costly math. Cheap fusable work stays in the body, where it is fused.
# Nested control flow stays too: a while that never ends must not start
# before a loop that would not have run it.
_HOIST_KINDS = (core.REDUCTION, core.KERNEL)


def simplify_loop(eqn, ins, emit):
    """Rewrite a while/scan before it is fused (called by simplify): invariant
    carries and invariant work leave the loop (see the two functions below).

    Returns ``(eqn, ins, finish)``: the rewritten equation and its inputs, and
    None or ``finish(outs)``, which maps the new equation's outputs to the
    original equation's."""
    n = len(eqn.outvars)
    eqn, ins, known = drop_passthrough_carries(eqn, ins)
    eqn, ins = hoist_invariants(eqn, ins, emit)
    if not known:
        return eqn, ins, None

    def finish(outs):
        rest = iter(outs)
        return [known[i] if i in known else next(rest) for i in range(n)]
    return eqn, ins, finish


def drop_passthrough_carries(eqn, ins):
    """A carry the body returns unchanged is a constant of the loop: it becomes
    one (of the predicate and of the body), so no trip copies it, and the loop's
    output is the initial value. Work that depends on it can then be hoisted."""
    p = eqn.params
    name = eqn.prim.name
    if name == "while":
        key, nconst, ncarry = "body_jaxpr", p["body_nconsts"], len(eqn.outvars)
    elif name == "scan":
        key, nconst, ncarry = "jaxpr", p["num_consts"], p["num_carry"]
    else:
        return eqn, ins, {}
    body = _closed(p[key])
    j = body.jaxpr
    carries_in = j.invars[nconst:nconst + ncarry]
    fixed = [i for i in range(ncarry) if j.outvars[i] is carries_in[i]]
    if not fixed:
        return eqn, ins, {}
    moving = [i for i in range(ncarry) if i not in fixed]

    def split(seq):
        return [seq[i] for i in fixed], [seq[i] for i in moving]

    params = dict(p)
    fixed_in, moving_in = split(carries_in)
    new_body = Jaxpr(j.constvars, j.invars[:nconst] + fixed_in + moving_in
                     + j.invars[nconst + ncarry:],
                     j.eqns, [j.outvars[i] for i in moving] + j.outvars[ncarry:])
    params[key] = ClosedJaxpr(new_body, body.consts)
    if name == "while":
        cn = p["cond_nconsts"]
        cond = _closed(p["cond_jaxpr"])
        c = cond.jaxpr
        c_fixed, c_moving = split(c.invars[cn:])
        params["cond_jaxpr"] = ClosedJaxpr(
            Jaxpr(c.constvars, c.invars[:cn] + c_fixed + c_moving, c.eqns, c.outvars),
            cond.consts)
        params["cond_nconsts"] = cn + len(fixed)
        params["body_nconsts"] = nconst + len(fixed)
        init = ins[cn + nconst:]
        i_fixed, i_moving = split(init)
        new_ins = (list(ins[:cn]) + i_fixed + list(ins[cn:cn + nconst]) + i_fixed
                   + i_moving)
        outvars = [eqn.outvars[i] for i in moving]
    else:
        params["num_consts"] = nconst + len(fixed)
        params["num_carry"] = ncarry - len(fixed)
        lin = tuple(p["linear"])
        l_fixed, l_moving = split(lin[nconst:nconst + ncarry])
        params["linear"] = (lin[:nconst] + tuple(l_fixed) + tuple(l_moving)
                            + lin[nconst + ncarry:])
        init = ins[nconst:nconst + ncarry]
        i_fixed, i_moving = split(init)
        new_ins = list(ins[:nconst]) + i_fixed + i_moving + list(ins[nconst + ncarry:])
        outvars = [eqn.outvars[i] for i in moving] + eqn.outvars[ncarry:]
    known = {i: init[i] for i in fixed}
    return eqn.replace(params=params, outvars=outvars), new_ins, known


def hoist_invariants(eqn, ins, emit):
    """Move the loop-invariant work of a while/scan body out of the loop.

    Body equations that read only the body's constants (and literals) and are
    worth hoisting run once, before the loop: ``emit(closed_jaxpr, args)``
    (the simplifier) adds them to the parent program, and their results enter
    the body as extra constants. Returns the (possibly new) equation and its
    inputs. Branches of a cond are left alone: hoisting would run work of
    branches not taken. A loop of zero trips still computes the hoisted work
    (wasted, never wrong: nothing hoisted has effects, traps or loops)."""
    p = eqn.params
    if eqn.prim.name == "while":
        key, first, nconst = "body_jaxpr", p["cond_nconsts"], p["body_nconsts"]
    elif eqn.prim.name == "scan":
        key, first, nconst = "jaxpr", 0, p["num_consts"]
    else:
        return eqn, ins
    closed = _closed(p[key])
    j = closed.jaxpr
    consts_in = j.invars[:nconst]
    invariant = set(j.constvars) | set(consts_in)
    movable = []
    for e in j.eqns:
        if e.prim not in effectful and all(type(a) is Literal or a in invariant
                                           for a in e.inputs):
            invariant.update(e.outvars)
            movable.append(e)
    worth = {id(e) for e in movable
             if e.prim.kind in _HOIST_KINDS or e.prim.cost == core.COSTLY}
    rest = [e for e in j.eqns if id(e) not in worth]
    used = {a for e in rest for a in e.inputs if type(a) is Var}
    used.update(v for v in j.outvars if type(v) is Var)
    new_in = [v for e in movable if id(e) in worth for v in e.outvars if v in used]
    if not new_in:
        return eqn, ins
    hoisted = dce(Jaxpr(j.constvars, consts_in, movable, new_in))
    vals = emit(ClosedJaxpr(hoisted, closed.consts), ins[first:first + nconst])
    body = dce(Jaxpr(j.constvars, consts_in + new_in + j.invars[nconst:], rest, j.outvars))
    params = dict(p, **{key: ClosedJaxpr(body, closed.consts)})
    m = len(new_in)
    if eqn.prim.name == "while":
        params["body_nconsts"] = nconst + m
    else:
        params["num_consts"] = nconst + m
        lin = tuple(p["linear"])
        params["linear"] = lin[:nconst] + (False,) * m + lin[nconst:]
    at = first + nconst
    return eqn.replace(params=params), list(ins[:at]) + list(vals) + list(ins[at:])


# ------------------------------------------------------------ the nested programs

def _name(node):
    return getattr(node.prim, "name", node.prim)


def nested_jaxprs(node):
    """(label, ClosedJaxpr) for every jaxpr a control-flow node runs."""
    p = node.params
    if _name(node) == "cond":
        return [(f"branch{i}", _closed(b)) for i, b in enumerate(p["branches"])]
    if _name(node) == "while":
        return [("cond", _closed(p["cond_jaxpr"])), ("body", _closed(p["body_jaxpr"]))]
    return [("body", _closed(p["jaxpr"]))]


def _closed(j):
    return j if isinstance(j, ClosedJaxpr) else ClosedJaxpr(j, [])


def _program(closed):
    prog = fusion.fuse(simplify.simplify(closed))
    fusion.plan_buffers(prog)
    return prog


def _count(prog):
    """Kernels in a program and everything nested in it."""
    return len(prog.kernels) + sum(_count(s) for k in prog.kernels
                                   for s in (getattr(k, "nested", None) or {}).values())


def _shift(prog, d):
    for k in prog.kernels:
        k.index += d
        for s in (getattr(k, "nested", None) or {}).values():
            _shift(s, d)


def prepare(prog):
    """Compile the nested programs of every control-flow kernel of ``prog``
    (called by fusion.fuse) and size each kernel's scratch block."""
    nxt = len(prog.kernels)
    for k in prog.kernels:
        if k.root.kind != core.HIGHER_ORDER:
            continue
        k.nested = {}
        for label, closed in nested_jaxprs(k.root):
            sub = _program(closed)
            # Renumbering keeps relative order, which is all the planner used.
            _shift(sub, nxt)
            nxt += _count(sub)
            k.nested[label] = sub
        k.layout, size = _layout(k)
        k.scratch = Var(_Bytes(size)) if size else None


def _layout(k):
    """Offsets in the scratch block: the carries' second buffers, then the
    nested programs' workspace (they run one at a time, so they share it)."""
    tmp, off = [], 0
    for v in _carry_outs(k):
        tmp.append(off)
        off += _aligned(_nbytes(v.aval))
    ws = max([s.buffers.workspace for s in k.nested.values()] or [0])
    return {"tmp": tmp, "ws": off}, off + ws


def _carry_outs(k):
    p = k.root.params
    if k.kind == "while":
        return list(k.root.outvars)
    if k.kind == "scan":
        return list(k.root.outvars[:p["num_carry"]])
    return []


# ------------------------------------------------------------------ plan text

def plan_lines(prog, k, name):
    """A control-flow kernel in the fusion plan: its equation (without the
    jaxprs), each nested program's plan indented, and what it reads."""
    outs = ", ".join(f"{name(v)}:{v.aval.str_short()}" for v in k.outs)
    where = ", ".join(fusion.where_text(prog, v) for v in k.outs)
    lines = [f"kernel {k.index} [{k.kind}] -> {outs}  ({where})"]
    n = k.root
    params = " ".join(f"{p}={v}" for p, v in sorted(n.params.items())
                      if not _holds_jaxpr(v))
    ins = " ".join(name(a) for a in n.inputs)
    lines.append(f"    {_name(n)}[{params}] {ins}  # {fusion.source_text(n)}")
    for label, sub in k.nested.items():
        # Named as plan_text(sub) names them: its inputs first, in order.
        ins = Namer()
        lines.append(f"    {label}: " + (" ".join(ins.binder(v) for v in sub.invars) or "-"))
        lines.extend("        " + line for line in fusion.plan_text(sub).splitlines())
    reads = ", ".join(f"{name(v)}:{v.aval.str_short()}" for v in k.reads)
    lines.append(f"    reads: {reads or '-'}")
    if k.scratch is not None:
        lines.append(f"    scratch: {k.scratch.aval.size} bytes "
                     f"({fusion.where_text(prog, k.scratch)})")
    return lines


def _holds_jaxpr(v):
    if isinstance(v, (tuple, list)):
        return any(_holds_jaxpr(x) for x in v)
    return isinstance(v, (ClosedJaxpr, Jaxpr))


# ------------------------------------------------------------------- lowering

def lower_kernel(module, prog, k, nthreads):
    """The LLVM function of a control-flow kernel: (function, base Vars it
    takes, None) as lowering.lower_kernel returns (never split: its nested
    kernels split themselves)."""
    bases = []
    for v in list(k.outs) + list(k.reads):
        b = prog.base(v)
        if b not in bases:
            bases.append(b)
    if k.scratch is not None:
        bases.append(k.scratch)
    fname = f"k{k.index}_{k.kind}"
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR] * len(bases)), name=fname)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    for a in fn.args:
        a.add_attribute("noalias")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    cx = _Context(module, b, prog, dict(zip(bases, fn.args)), k, nthreads, fname)
    registry.KERNEL_RULES[k.root.prim].emit(cx)
    b.ret_void()
    return fn, bases, None


class _Context:
    def __init__(self, module, builder, prog, ptrs, k, nthreads, fname):
        self.module, self.b, self.prog, self.ptrs = module, builder, prog, ptrs
        self.k, self.nthreads, self.fname = k, nthreads, fname

    def ptr(self, atom):
        """Data pointer of an operand; a literal gets a stack slot."""
        if type(atom) is Literal:
            ty = lltype(atom.aval.dtype)
            with self.b.goto_entry_block():
                slot = self.b.alloca(ty)
            self.b.store(const(atom.aval.dtype, np.asarray(atom.val, atom.aval.dtype)[()]),
                         slot)
            return slot
        return self.ptrs[self.prog.base(atom)]

    def scratch(self, offset):
        return self.b.gep(self.ptrs[self.k.scratch], [i64(offset)], source_etype=I8)

    def workspace(self):
        if self.k.scratch is None:
            return ir.Constant(PTR, None)
        return self.scratch(self.k.layout["ws"])

    def function(self, label):
        return program_function(self.module, self.k.nested[label], f"{self.fname}_{label}",
                                self.nthreads)

    def memcpy(self, dst, src, nbytes):
        if nbytes:
            fn = _declare(self.module, "llvm.memcpy.p0.p0.i64", VOID, [PTR, PTR, I64, I1])
            self.b.call(fn, [dst, src, i64(nbytes), ir.Constant(I1, 0)])


def _declare(module, name, ret, args):
    fn = module.globals.get(name)
    if fn is None:
        fn = ir.Function(module, ir.FunctionType(ret, args), name=name)
    return fn


def program_function(module, prog, name, nthreads):
    """``void name(in..., out..., workspace)`` running a nested program's kernels."""
    constvars = prog.closed.jaxpr.constvars
    nconst = len(constvars)
    nin = len(prog.invars) - nconst
    nout = len(prog.outvars)
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR] * (nin + nout + 1)), name=name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    for a in fn.args[:-1]:
        a.add_attribute("noalias")
    kfuncs = [lowering.lower_kernel(module, prog, k, nthreads) for k in prog.kernels]
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    ws = fn.args[-1]
    ptrs = {}

    def ptr_of(base):
        if base not in ptrs:
            kind, pos = prog.buffers.where[base]
            if kind == "ws":
                ptrs[base] = b.gep(ws, [i64(pos)], source_etype=I8)
            elif kind == "out":
                ptrs[base] = fn.args[nin + pos]
            elif pos < nconst:
                ptrs[base] = _const_global(module, f"{name}_c{pos}", prog.closed.consts[pos],
                                           constvars[pos].aval)
            else:
                ptrs[base] = fn.args[pos - nconst]
        return ptrs[base]

    for kfn, bases, split in kfuncs:
        args = [ptr_of(v) for v in bases]
        if split is None:
            b.call(kfn, args)
        else:
            parallel.emit_call(module, b, kfn, args, split, nthreads)
    b.ret_void()
    return fn


def _const_global(module, name, value, aval):
    """A nested jaxpr's constant, as read-only bytes in the module."""
    data = np.ascontiguousarray(np.asarray(value, aval.dtype)).tobytes()
    ty = ir.ArrayType(I8, max(len(data), 1))
    g = ir.GlobalVariable(module, ty, name=name)
    g.global_constant = True
    g.linkage = "internal"
    g.align = ALIGN
    g.initializer = ir.Constant(ty, bytearray(data or b"\0"))
    return g


# ---------------------------------------------------------------------- cond

@registry.kernel_rule("cond", label="cond", fuses_inputs=False)
def _emit_cond(cx):
    b, k = cx.b, cx.k
    index, *ops = k.root.inputs
    fns = [cx.function(label) for label in k.nested]
    n = len(fns)
    args = [cx.ptr(a) for a in ops] + [cx.ptr(v) for v in k.outs] + [cx.workspace()]
    i = _index_value(cx, index, n)
    done = b.append_basic_block("cond.done")
    blocks = [b.append_basic_block(f"branch{j}") for j in range(n)]
    sw = b.switch(i, blocks[-1])
    for j in range(n - 1):
        sw.add_case(i64(j), blocks[j])
    for fn, blk in zip(fns, blocks):
        b.position_at_end(blk)
        b.call(fn, args)
        b.branch(done)
    b.position_at_end(done)


def _index_value(cx, index, n):
    """The branch index as i64, clamped into [0, n) as lax.switch does."""
    b = cx.b
    dt = np.dtype(index.aval.dtype)
    v = b.load(cx.ptr(index), typ=lltype(dt))
    if dt.kind == "b":
        v = b.zext(v, I64)
    elif dt.kind in "iu":
        v = b.sext(v, I64) if dt.itemsize < 8 else v
    else:
        raise TypeError(f"cond index must be an integer or bool, got {dt}")
    v = b.select(b.icmp_signed("<", v, i64(0)), i64(0), v)
    return b.select(b.icmp_signed(">", v, i64(n - 1)), i64(n - 1), v)


# ------------------------------------------------------------------ carries

class _Carries:
    """Current/next buffers of the loop carries (see the module docstring)."""

    def __init__(self, cx, init, outs):
        b = cx.b
        self.cx, self.outs = cx, [cx.ptr(v) for v in outs]
        self.nbytes = [_nbytes(v.aval) for v in outs]
        self.tmp = [cx.scratch(off) for off in cx.k.layout["tmp"]]
        self.small = [n <= SMALL_CARRY for n in self.nbytes]
        self.slots = []
        for j, a in enumerate(init):
            src = cx.ptr(a)
            if self.small[j]:
                cx.memcpy(self.outs[j], src, self.nbytes[j])
                self.slots.append(None)
            else:
                with b.goto_entry_block():
                    slot = b.alloca(PTR)
                b.store(src, slot)
                self.slots.append(slot)

    def current(self):
        return [o if s is None else self.cx.b.load(s, typ=PTR)
                for o, s in zip(self.outs, self.slots)]

    def following(self, cur):
        """Where the body writes this trip's result: never where it reads."""
        b = self.cx.b
        return [t if s is None else b.select(b.icmp_unsigned("==", c, o), t, o)
                for c, o, t, s in zip(cur, self.outs, self.tmp, self.slots)]

    def advance(self, nxt):
        for j, (n, s) in enumerate(zip(nxt, self.slots)):
            if s is None:
                self.cx.memcpy(self.outs[j], n, self.nbytes[j])
            else:
                self.cx.b.store(n, s)

    def finish(self):
        """A swapped carry that ended outside its output buffer is copied there."""
        b = self.cx.b
        for o, s, nb in zip(self.outs, self.slots, self.nbytes):
            if s is None:
                continue
            cur = b.load(s, typ=PTR)
            with b.if_then(b.icmp_unsigned("!=", cur, o)):
                self.cx.memcpy(o, cur, nb)


# --------------------------------------------------------------------- while

@registry.kernel_rule("while", label="while", fuses_inputs=False)
def _emit_while(cx):
    b, k = cx.b, cx.k
    p = k.root.params
    cn, bn = p["cond_nconsts"], p["body_nconsts"]
    ins = k.root.inputs
    cconsts, bconsts, init = ins[:cn], ins[cn:cn + bn], ins[cn + bn:]
    cond_fn, body_fn = cx.function("cond"), cx.function("body")
    carries = _Carries(cx, init, k.outs)
    cptrs, bptrs = [cx.ptr(a) for a in cconsts], [cx.ptr(a) for a in bconsts]
    ws = cx.workspace()
    with b.goto_entry_block():
        flag = b.alloca(I8)
        steps = b.alloca(I64)
    b.store(i64(0), steps)
    max_steps = p.get("max_steps")
    fn = b.function
    head, body, done = (fn.append_basic_block(f"while.{s}") for s in ("head", "body", "done"))
    b.branch(head)
    b.position_at_end(head)
    cur = carries.current()
    go = ir.Constant(I1, 1)
    if max_steps is not None:
        go = b.icmp_signed("<", b.load(steps, typ=I64), i64(int(max_steps)))
    test = b.append_basic_block("while.test")
    b.cbranch(go, test, done)
    b.position_at_end(test)
    b.call(cond_fn, cptrs + cur + [flag, ws])
    b.cbranch(b.icmp_unsigned("!=", b.load(flag, typ=I8), ir.Constant(I8, 0)), body, done)
    b.position_at_end(body)
    nxt = carries.following(cur)
    b.call(body_fn, bptrs + cur + nxt + [ws])
    carries.advance(nxt)
    b.store(b.add(b.load(steps, typ=I64), i64(1)), steps)
    b.branch(head)
    b.position_at_end(done)
    carries.finish()


# ---------------------------------------------------------------------- scan

@registry.kernel_rule("scan", label="scan", fuses_inputs=False)
def _emit_scan(cx):
    b, k = cx.b, cx.k
    p = k.root.params
    nc, ncarry, length = p["num_consts"], p["num_carry"], int(p["length"])
    ins = k.root.inputs
    consts, init, xs = ins[:nc], ins[nc:nc + ncarry], ins[nc + ncarry:]
    ys = k.outs[ncarry:]
    body_fn = cx.function("body")
    carries = _Carries(cx, init, k.outs[:ncarry])
    cptrs = [cx.ptr(a) for a in consts]
    xptrs, yptrs = [cx.ptr(a) for a in xs], [cx.ptr(v) for v in ys]
    xsz = [_nbytes(a.aval) // max(a.aval.shape[0], 1) for a in xs]
    ysz = [_nbytes(v.aval) // max(v.aval.shape[0], 1) for v in ys]
    ws = cx.workspace()
    with loops.for_range(b, length, name="trip") as i:
        t = b.sub(i64(length - 1), i) if p.get("reverse") else i
        xsl = [b.gep(x, [b.mul(t, i64(n))], source_etype=I8) for x, n in zip(xptrs, xsz)]
        ysl = [b.gep(y, [b.mul(t, i64(n))], source_etype=I8) for y, n in zip(yptrs, ysz)]
        cur = carries.current()
        nxt = carries.following(cur)
        b.call(body_fn, cptrs + cur + xsl + nxt + ysl + [ws])
        carries.advance(nxt)
    carries.finish()
