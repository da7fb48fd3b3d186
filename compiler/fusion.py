"""Pass 2-3: jaxpr -> kernels, and buffer planning.

A *kernel* is one LLVM function: a loop nest computing a materialized
output. Elementwise and index-map equations (broadcast, transpose, slice,
pad, gather, ...) are *fused*: they are evaluated per output element by
index arithmetic inside the kernel of their consumer, so their results never
reach memory. Only kernel outputs live in memory.

Grouping walks equations from last to first. A fusable equation joins its
consumers' kernel when all its consumers are in one kernel that can read
fused values; otherwise it becomes the root of a new loop kernel. Producers
read through an expanding broadcast (or gather / concatenate) join only when
cheap, so expensive values are not recomputed per output element.
Reductions, cumsum, scatter and dot_general (GEMM) are kernel roots;
reductions, cumsum and scatter fuse their producers, GEMM reads buffers.

What a primitive is (``kind``) and what recomputing it costs (``cost``) are
declared on the primitive (``jaxlite.core.Primitive``); what its kernel rule
does with fused inputs is declared where the rule is registered
(``registry.KernelRule``). Fusion keeps no lists of primitive names.
"""
import numpy as np

from jaxlite import core
from jaxlite.ir import Jaxpr, Literal, Var, Namer, dce, pp_eqn
from jaxlite.compiler import control_flow, gemm_update, reduction_plan, registry, row_chain

FUSABLE_KINDS = (core.ELEMENTWISE, core.INDEX_MAP)
ROOT_KINDS = (core.REDUCTION, core.KERNEL, core.HIGHER_ORDER)
# Recomputed in at most this many consumer kernels (cost FREE or CHEAP only).
MAX_DUPLICATES = 4
# A kernel stops absorbing producers at this weight (an equation weighs 1, a
# COSTLY one 40: a transcendental inlines as about 50 instructions). LLVM's loop
# vectorizer takes time quadratic in a loop body, so a long chain becomes
# several vectorized kernels (compile time linear in its length) rather than
# one too big to vectorize (engine.VECTORIZE_LIMIT).
MAX_KERNEL_WEIGHT = 1000


def _weight(node):
    return 40 if node.cost == core.COSTLY else 1


class CompilerOp:
    """An operation fusion introduces itself, with a primitive's name, kind and cost."""
    __slots__ = ("name", "kind", "cost")
    multiple_results = False

    def __init__(self, name, kind, cost):
        self.name, self.kind, self.cost = name, kind, cost


# Routes a program output that is not a fresh kernel result into its own buffer.
COPY = CompilerOp("copy", core.ELEMENTWISE, core.FREE)
_COMPILER_OPS = {COPY.name: COPY}


def register_op(op):
    """Let equations of a compiler pass's own CompilerOp reach fusion (by name)."""
    _COMPILER_OPS[op.name] = op


def _op(name):
    op = core.all_primitives.get(name)
    return op if op is not None else _COMPILER_OPS[name]


class Node:
    """One operation of the program being compiled (a canonicalized equation).
    ``prim`` is the primitive's name; ``kind`` and ``cost`` are its declarations."""
    __slots__ = ("prim", "kind", "cost", "inputs", "params", "outvars", "source", "pos")

    def __init__(self, prim, inputs, params, outvars, source=None):
        op = _op(prim)
        self.prim, self.kind, self.cost = prim, op.kind, op.cost
        self.inputs, self.params = list(inputs), dict(params)
        self.outvars, self.source, self.pos = list(outvars), source, -1

    @property
    def out(self):
        return self.outvars[0]


class Kernel:
    """A root node plus the nodes fused into it (topological order)."""

    def __init__(self, kind, root):
        self.kind, self.root, self.nodes = kind, root, [root]
        self.weight = _weight(root)   # of its nodes: see MAX_KERNEL_WEIGHT
        self.reads = []       # materialized Vars read (aliases resolved later)
        self.index = -1
        self.epilogue = None  # elementwise consumer of a reduction's result, fused
        self.reduction = None  # ReductionPlan of a monoid reduction (reduction_plan.py)
        self.scratch = None   # control flow (control_flow.py): a scratch block, nested programs
        self.nested = None
        self.prelude = []     # row reductions run inside this one's row loop (row_chain.py)
        self.row_buffer = False   # a prelude member keeping only its current row

    @property
    def out(self):
        return (self.epilogue or self.root).out

    @property
    def outs(self):
        """Every materialized output (a control-flow kernel has several)."""
        own = [self.epilogue.out] if self.epilogue is not None else list(self.root.outvars)
        return [p.out for p in self.prelude if not p.row_buffer] + own

    def all_nodes(self):
        """Its nodes and its prelude kernels' nodes, in execution order."""
        return [n for p in self.prelude for n in p.nodes] + self.nodes

    def fused(self):
        """outvar -> node for the values computed inside the kernel."""
        return {n.out: n for n in self.nodes if n is not self.root or self.kind == "loop"}

    def runs_flat(self, shape):
        """Only elementwise nodes on values of ``shape`` (or scalars): the kernel
        can run one loop over linear offsets, whatever the rank (no short inner
        loops, no index arithmetic)."""
        if len(shape) < 2:
            return False
        ok = (tuple(shape), ())
        for n in self.nodes:
            if n is self.root and self.kind != "loop":
                continue
            if n.kind != core.ELEMENTWISE or n.out.aval.shape not in ok:
                return False
            if any(a.aval.shape not in ok for a in n.inputs):
                return False
        return True


class Program:
    """The fused program: kernels in execution order plus buffer facts."""

    def __init__(self, closed, nodes, kernels, aliases, outvars):
        self.closed, self.nodes, self.kernels = closed, nodes, kernels
        self.aliases = aliases          # view Var -> Var it reshapes
        self.invars = list(closed.jaxpr.constvars) + list(closed.jaxpr.invars)
        self.outvars = outvars          # one distinct kernel-root Var per output
        self.buffers = None             # filled by plan_buffers
        self.inplace = {}               # input position -> outputs its buffer may hold (inplace.py)

    def base(self, v):
        while v in self.aliases:
            v = self.aliases[v]
        return v


# ----------------------------------------------------------- canonicalize

def _nodes_from_jaxpr(closed):
    """Equations -> Nodes, with dot_general made a row-major batched GEMM and
    outputs that are not fresh kernel results routed through a copy."""
    nodes = []
    eqns = _absorb_dot_transposes(closed.jaxpr)
    for eqn in eqns:
        if eqn.prim.name == "dot_general":
            nodes.extend(_canonical_dot(eqn))
        else:
            nodes.append(Node(eqn.prim.name, eqn.inputs, eqn.params, eqn.outvars, eqn.source))
    produced = {v for n in nodes for v in n.outvars}
    seen, outvars = set(), []
    for v in closed.jaxpr.outvars:
        if type(v) is Literal or v not in produced or v in seen:
            new = Var(v.aval)
            nodes.append(Node("copy", [v], {}, [new]))
            v = new
        seen.add(v)
        outvars.append(v)
    for i, n in enumerate(nodes):
        n.pos = i
    return nodes, outvars


def _absorb_dot_transposes(jaxpr):
    """dot_general whose only use is a transpose to (batch, rhs free, lhs free)
    becomes the swapped dot_general(rhs, lhs): C^T = B^T A^T costs no copy.
    (Reverse mode makes these for every weight gradient.)"""
    uses = {}
    for e in jaxpr.eqns:
        for a in e.inputs:
            if type(a) is Var:
                uses.setdefault(a, []).append(e)
    outs = {v for v in jaxpr.outvars if type(v) is Var}
    replace, drop = {}, set()
    for e in jaxpr.eqns:
        if e.prim.name != "dot_general" or e.outvars[0] in outs:
            continue
        us = uses.get(e.outvars[0], [])
        if len(us) != 1 or us[0].prim.name != "transpose":
            continue
        (lc, rc), (lb, rb) = e.params["dimension_numbers"]
        lhs, rhs = e.inputs
        nb = len(lb)
        nl = lhs.aval.ndim - len(lc) - nb
        nr = rhs.aval.ndim - len(rc) - nb
        want = (tuple(range(nb)) + tuple(range(nb + nl, nb + nl + nr))
                + tuple(range(nb, nb + nl)))
        t = us[0]
        if tuple(t.params["permutation"]) != want:
            continue
        params = dict(e.params, dimension_numbers=((tuple(rc), tuple(lc)), (tuple(rb), tuple(lb))))
        replace[id(e)] = e.replace(inputs=[rhs, lhs], params=params, outvars=t.outvars)
        drop.add(id(t))
    eqns = [replace.get(id(e), e) for e in jaxpr.eqns if id(e) not in drop]
    return _fold_operand_transposes(jaxpr, eqns)


def _fold_operand_transposes(jaxpr, eqns):
    """dot_general(transpose(x, p), y) reads x directly with permuted dimension
    numbers when that keeps the order of the free dimensions (x @ w.T)."""
    producer = {e.outvars[0]: e for e in eqns if e.prim.name == "transpose"}
    changed = False
    out = []
    for e in eqns:
        if e.prim.name == "dot_general":
            (lc, rc), (lb, rb) = e.params["dimension_numbers"]
            ins, dims = list(e.inputs), [[lc, lb], [rc, rb]]
            for i in range(2):
                t = producer.get(ins[i]) if type(ins[i]) is Var else None
                if t is None:
                    continue
                perm = t.params["permutation"]
                contract, batch = dims[i]
                free = [d for d in range(len(perm)) if d not in contract and d not in batch]
                mapped_free = [perm[d] for d in free]
                if mapped_free != sorted(mapped_free):
                    continue
                dims[i] = [tuple(perm[d] for d in contract), tuple(perm[d] for d in batch)]
                ins[i] = t.inputs[0]
            if ins != list(e.inputs):
                (lc, lb), (rc, rb) = dims
                e = e.replace(inputs=ins, params=dict(
                    e.params, dimension_numbers=((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))))
                changed = True
        out.append(e)
    if not changed:
        return out
    return dce(Jaxpr(jaxpr.constvars, jaxpr.invars, out, jaxpr.outvars)).eqns


def _outer_product(eqn, lhs, rhs, lb, rb, out, src):
    """A dot_general without contraction is a broadcast multiply: fusable index
    maps instead of a GEMM with K=1 (per-example gradients are full of them)."""
    nodes = []
    dtype = out.aval.dtype
    nb = len(lb)
    nl = lhs.aval.ndim - nb
    nr = rhs.aval.ndim - nb

    def arrange(x, batch, offset):
        if x.aval.dtype != dtype:
            y = Var(x.aval.update(dtype=dtype, weak_type=False))
            nodes.append(Node("convert_element_type", [x], dict(new_dtype=dtype,
                                                              weak_type=False), [y], src))
            x = y
        free = [d for d in range(x.aval.ndim) if d not in batch]
        perm = list(batch) + free
        if perm != list(range(x.aval.ndim)):
            y = Var(x.aval.update(shape=tuple(x.aval.shape[p] for p in perm), weak_type=False))
            nodes.append(Node("transpose", [x], dict(permutation=tuple(perm)), [y], src))
            x = y
        bd = tuple(range(nb)) + tuple(offset + i for i in range(len(free)))
        y = Var(out.aval.update(weak_type=False))
        nodes.append(Node("broadcast_in_dim", [x], dict(shape=out.aval.shape,
                                                        broadcast_dimensions=bd), [y], src))
        return y

    a = arrange(lhs, lb, nb)
    b = arrange(rhs, rb, nb + nl)
    assert nb + nl + nr == out.aval.ndim
    nodes.append(Node("mul", [a, b], {}, [out], src))
    return nodes


# The GEMM kernel's integer types are int32 and int64: bool and narrower or
# unsigned integers compute there and convert back (wrapping modulo 2**bits
# gives the same result as computing in the narrow type).
_GEMM_WORK_DTYPE = {np.dtype(t): np.dtype(w) for t, w in [
    (np.bool_, np.int32), (np.int8, np.int32), (np.int16, np.int32), (np.uint8, np.int32),
    (np.uint16, np.int32), (np.uint32, np.int64), (np.uint64, np.int64)]}


def _canonical_dot(eqn):
    """dot_general -> [converts, transposes], gemm node on [B,M,K] x [K,N] views."""
    lhs, rhs = eqn.inputs
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    out = eqn.outvars[0]
    src = eqn.source
    pre = []
    dtype = out.aval.dtype
    work_dtype = _GEMM_WORK_DTYPE.get(dtype, dtype)

    def prepare(x, batch, contract, first_free):
        """x with dims ordered (batch, free, contract) or (batch, contract, free)."""
        if x.aval.dtype != work_dtype:
            y = Var(x.aval.update(dtype=work_dtype, weak_type=False))
            pre.append(Node("convert_element_type", [x], dict(new_dtype=work_dtype,
                                                              weak_type=False), [y], src))
            x = y
        nd = x.aval.ndim
        free = [d for d in range(nd) if d not in batch and d not in contract]
        order_ff = list(batch) + free + list(contract)      # free then contract
        order_cf = list(batch) + list(contract) + free      # contract then free
        want_free_first = first_free
        if order_ff == list(range(nd)):
            trans = not want_free_first
        elif order_cf == list(range(nd)):
            trans = want_free_first
        else:
            perm = order_ff if want_free_first else order_cf
            y = Var(x.aval.update(shape=tuple(x.aval.shape[p] for p in perm), weak_type=False))
            pre.append(Node("transpose", [x], dict(permutation=tuple(perm)), [y], src))
            x, trans = y, False
        if type(x) is Literal:
            y = Var(x.aval)
            pre.append(Node("copy", [x], {}, [y], src))
            x = y
        return x, trans, free

    if not lc:
        return _outer_product(eqn, lhs, rhs, lb, rb, out, src)
    # A is [B, M, K] (trans_a: [B, K, M]); B is [B, K, N] (trans_b: [B, N, K]).
    a, trans_a, lfree = prepare(lhs, lb, lc, True)
    b, trans_b, rfree = prepare(rhs, rb, rc, False)
    ls, rs = lhs.aval.shape, rhs.aval.shape
    B = int(np.prod([ls[d] for d in lb], dtype=np.int64))
    M = int(np.prod([ls[d] for d in lfree], dtype=np.int64))
    N = int(np.prod([rs[d] for d in rfree], dtype=np.int64))
    K = int(np.prod([ls[d] for d in lc], dtype=np.int64))
    gemm = dict(B=B, M=M, N=N, K=K, trans_a=trans_a, trans_b=trans_b, dtype=work_dtype)
    params = dict(eqn.params, gemm=tuple(sorted(gemm.items())))
    if work_dtype == dtype:
        return pre + [Node("dot_general", [a, b], params, [out], src)]
    tmp = Var(out.aval.update(dtype=work_dtype))
    return pre + [Node("dot_general", [a, b], params, [tmp], src),
                  Node("convert_element_type", [tmp], dict(new_dtype=dtype, weak_type=False),
                       [out], src)]


# ----------------------------------------------------------------- grouping

def _unsupported(node):
    return TypeError(f"the compiler cannot compile primitive '{node.prim}' (at {node.source})")


def _kernel_rule(node):
    """The KernelRule of a kernel-root node; None when ``node`` fuses."""
    if node.kind in FUSABLE_KINDS:
        return None
    rule = registry.KERNEL_RULES.get(node.prim) if node.kind in ROOT_KINDS else None
    if rule is None:
        raise _unsupported(node)
    return rule


def _trivial_reshape(in_shape, out_shape):
    """Only unit dimensions inserted or removed: an index map without division."""
    return [d for d in in_shape if d != 1] == [d for d in out_shape if d != 1]


def _expanding(user, v):
    """Does ``user`` read ``v`` at many output elements per element of ``v``?
    (Declared with the user's value rule, see registry.value_rule.)"""
    return registry.expands(user, v)


def _can_read_fused(user, v):
    if user.kind in FUSABLE_KINDS:
        if user.prim == "reshape" and not _trivial_reshape(v.aval.shape, user.out.aval.shape):
            return False
        return True
    return _kernel_rule(user).fuses_inputs


def _computed_from_literals(nodes):
    """Outputs of cheap fusable equations that read no buffer at all (iotas,
    broadcast literals, comparisons of them: triangle masks): recomputed in any
    number of kernels, since storing one costs a pass over memory for nothing."""
    computed = set()
    for n in nodes:
        if (_kernel_rule(n) is None and n.cost != core.COSTLY
                and all(type(a) is not Var or a in computed for a in n.inputs)):
            computed.add(n.out)
    return computed


def fuse(closed):
    """Group the (simplified) ClosedJaxpr's equations into kernels: a Program."""
    nodes, outvars = _nodes_from_jaxpr(closed)
    out_set = set(outvars)
    users = {}
    for n in nodes:
        for a in n.inputs:
            if type(a) is Var:
                users.setdefault(a, [])
                if not users[a] or users[a][-1] is not n:
                    users[a].append(n)
    groups, expanded = {}, {}
    kernels = []
    computed = _computed_from_literals(nodes)
    for n in reversed(nodes):
        rule = _kernel_rule(n)
        if rule is not None:
            k = Kernel(rule.label, n)
            groups[n], expanded[n] = [k], False
            kernels.append(k)
            continue
        us = users.get(n.out, [])
        gs = []
        for u in us:
            for k in groups[u]:
                if k not in gs:
                    gs.append(k)
        exp = any(expanded[u] or _expanding(u, n.out) for u in us)
        joinable = (us and n.out not in out_set
                    and all(_can_read_fused(u, n.out) for u in us)
                    and (not exp or n.cost == core.FREE)
                    and all(k.weight + _weight(n) <= MAX_KERNEL_WEIGHT for k in gs))
        # One consumer kernel: fuse. Several: recompute cheap values in each
        # rather than write them to memory and read them back.
        if joinable and (len(gs) == 1 or n.cost != core.COSTLY
                         and (len(gs) <= MAX_DUPLICATES or n.out in computed)):
            for k in gs:
                k.nodes.append(n)
                k.weight += _weight(n)
            groups[n], expanded[n] = gs, exp
        else:
            k = Kernel("loop", n)
            groups[n], expanded[n] = [k], False
            kernels.append(k)
    kernels.reverse()
    for k in kernels:
        k.nodes.reverse()
    aliases = {}
    kept = []
    for k in kernels:
        r = k.root
        if (r.prim == "reshape" and len(k.nodes) == 1 and type(r.inputs[0]) is Var
                and r.out not in out_set):
            aliases[r.out] = r.inputs[0]       # a view: same bytes, new shape
        else:
            kept.append(k)
    _index(kept)
    kept = _fuse_epilogues(kept, out_set)
    _index(kept)
    kept = gemm_update.fuse(kept, out_set, aliases)    # p - lr * x.T @ d: one GEMM
    _index(kept)
    for k in kept:
        if k.kind != "loop" and k.root.kind == core.REDUCTION:
            monoid = registry.KERNEL_RULES[k.root.prim].monoid
            if monoid is not None:
                k.reduction = reduction_plan.plan(k, monoid)
    kept = row_chain.chain(kept, out_set, aliases)
    _index(kept)
    prog = Program(closed, nodes, kept, aliases, outvars)
    control_flow.prepare(prog)      # compile the jaxprs of cond/while/scan kernels
    return prog


def _index(kernels):
    for i, k in enumerate(kernels):
        k.index = i
        nodes = k.all_nodes()
        inside = {n.out for n in nodes}
        reads = []
        for n in nodes:
            for a in n.inputs:
                if type(a) is Var and a not in inside and a not in reads:
                    reads.append(a)
        k.reads = reads


def _fuse_epilogues(kernels, out_set):
    """Move an elementwise loop kernel that consumes a reduction's result (at the
    same index) into the reduction: the value is finished in a register as soon
    as its accumulator is, e.g. ``log(sum(exp(x - m))) + m`` or ``sum(x) / n``."""
    producer = {v: k for k in kernels for v in k.outs}
    readers = {}
    for k in kernels:
        for v in k.reads:
            readers.setdefault(v, []).append(k)
    removed = set()
    for loop in kernels:
        if loop.kind != "loop":
            continue
        shape = loop.out.aval.shape
        if not all(_same_elements(n, loop.out.aval.size) for n in loop.nodes):
            continue
        for v in loop.reads:
            red = producer.get(v)
            if (red is None or red.kind != "reduce" or red.epilogue is not None
                    or _kernel_rule(red.root).monoid is None or v in out_set
                    or v.aval.shape != shape or readers.get(v) != [loop]
                    or reduction_plan.keeps_last_dim(red.root) or id(red) in removed):
                continue
            # Everything else the epilogue reads must exist before the reduction runs.
            others = [producer[w].index for w in loop.reads if w is not v and w in producer]
            if any(i > red.index for i in others):
                continue
            red.nodes.extend(n for n in loop.nodes if n not in red.nodes)
            red.epilogue = loop.root
            removed.add(id(loop))
            break
    return [k for k in kernels if id(k) not in removed]


def _same_elements(node, size):
    """Does ``node`` compute element i of its output from element i of its
    inputs (or from scalars)? Then a reduction's result can be handed to it."""
    if node.out.aval.shape == ():
        return node.kind == core.ELEMENTWISE
    if node.out.aval.size != size:
        return False
    if node.kind == core.ELEMENTWISE:
        return True
    if registry.keeps_order(node):
        x = node.inputs[0]
        return x.aval.size == size and _trivial_reshape(x.aval.shape, node.out.aval.shape)
    return False


# ----------------------------------------------------------- buffer planning

ALIGN = 64


class BufferPlan:
    """Where each materialized base Var lives: ('in', i), ('out', j) or ('ws', offset)."""

    def __init__(self, where, workspace, reused):
        self.where, self.workspace, self.reused = where, workspace, reused


def plan_buffers(prog):
    """Inputs and outputs live in caller memory; intermediates share one workspace,
    reusing the block of a dead buffer of the same byte size."""
    where = {}
    for i, v in enumerate(prog.invars):
        where[v] = ("in", i)
    for j, v in enumerate(prog.outvars):
        where[v] = ("out", j)
    last_use = {}
    for k in prog.kernels:
        for v in k.reads:
            last_use[prog.base(v)] = k.index
        if k.scratch is not None:
            last_use[k.scratch] = k.index       # a control-flow kernel's scratch dies with it
    free, offset, reused = {}, 0, 0
    for k in prog.kernels:
        for v in k.outs + ([k.scratch] if k.scratch is not None else []):
            if v in where:
                continue
            nbytes = v.aval.size * v.aval.dtype.itemsize
            blocks = free.get(nbytes)
            if blocks:
                where[v] = ("ws", blocks.pop())
                reused += 1
            else:
                where[v] = ("ws", offset)
                offset += -(-max(nbytes, 1) // ALIGN) * ALIGN
        # Buffers whose last reader is this kernel become free after it.
        for b, last in list(last_use.items()):
            if last == k.index and where.get(b, ("", 0))[0] == "ws":
                nbytes = b.aval.size * b.aval.dtype.itemsize
                free.setdefault(nbytes, []).append(where[b][1])
                del last_use[b]
    prog.buffers = BufferPlan(where, offset, reused)
    return prog.buffers


# ------------------------------------------------------------------ printing

def source_text(node):
    s = node.source
    return f"{s}" if s is not None else "<compiler>"


def plan_text(prog):
    """Each kernel: kind, output, the equations it fuses with their source lines."""
    name = Namer()
    for v in prog.invars:
        name(v)
    lines = []
    for k in prog.kernels:
        if k.nested is not None:        # cond/while/scan: nested plans (control_flow.py)
            lines.extend(control_flow.plan_lines(prog, k, name))
            continue
        out = k.out
        lines.append(f"kernel {k.index} [{k.kind}] -> {name(out)}:{out.aval.str_short()}"
                     f"  ({where_text(prog, out)})")
        for p in k.prelude:
            where = "a row buffer" if p.row_buffer else where_text(prog, p.out)
            lines.append(f"    row by row, first {name(p.out)}:{p.out.aval.str_short()}"
                         f"  ({where}):")
            lines.extend(f"      {_node_text(n, name)}  # {source_text(n)}" for n in p.nodes)
        for n in k.nodes:
            text = _node_text(n, name)
            lines.append(f"    {text}  # {source_text(n)}")
        reads = ", ".join(f"{name(v)}:{v.aval.str_short()}" for v in k.reads)
        lines.append(f"    reads: {reads or '-'}")
    if prog.aliases:
        for v, src in prog.aliases.items():
            lines.append(f"view {name(v)}:{v.aval.str_short()} = reshape of {name(src)}")
    b = prog.buffers
    if b is not None:
        lines.append(f"workspace: {b.workspace} bytes, {b.reused} buffer(s) reused")
    return "\n".join(lines)


def where_text(prog, v):
    if prog.buffers is None:
        return "?"
    kind, pos = prog.buffers.where.get(v, ("?", 0))
    return {"in": f"input {pos}", "out": f"output {pos}", "ws": f"workspace+{pos}"}.get(kind, "?")


class _EqnLike:
    __slots__ = ("prim", "inputs", "params", "outvars")

    def __init__(self, n):
        self.prim = type("P", (), {"name": n.prim})()
        self.inputs, self.outvars = n.inputs, n.outvars
        self.params = {k: v for k, v in n.params.items() if k != "gemm"}
        if "gemm" in n.params:
            g = dict(n.params["gemm"])
            self.params["gemm"] = (f"B={g['B']} M={g['M']} N={g['N']} K={g['K']} "
                                   f"ta={int(g['trans_a'])} tb={int(g['trans_b'])}")


def _node_text(n, name):
    return pp_eqn(_EqnLike(n), name, 4)
