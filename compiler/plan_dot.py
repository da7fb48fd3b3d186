"""The fusion plan as a Graphviz DOT graph: one box per kernel listing the
equations it fuses with their source lines, an edge per buffer one kernel
writes and another reads, inputs and outputs as ellipses
(``jit(f).lower(x).compile().fusion_plan_dot()``).

The plan is recomputed from the jaxpr (simplify, fuse, plan buffers: no LLVM),
the same passes and so the same kernels as the compile that made the
executable.
"""
import itertools

from jaxlite.compiler import fusion, simplify
from jaxlite.compiler import pipeline  # noqa: F401  (fills the rule tables fusion reads)
from jaxlite.ir_dot import quote

__all__ = ["plan_dot"]


def _names():
    for n in itertools.count():
        name = ""
        while not name or n:
            n, digit = divmod(n, 26)
            name = chr(ord("a") + digit) + name
        yield name


def _kernel_label(k, name):
    lines = [f"kernel {k.index} [{k.kind}]"]
    for p in k.prelude:          # a row group (row_chain.py): members run row by row first
        lines.append(f"row by row, first {name(p.out)}:{p.out.aval.str_short()}")
        lines.extend("  " + _node_line(n, name) for n in p.nodes)
    lines.extend(_node_line(n, name) for n in k.nodes)
    return "\n".join(lines) + "\n"


def _node_line(n, name):
    ins = " ".join(name(a) for a in n.inputs)
    outs = " ".join(f"{name(v)}:{v.aval.str_short()}" for v in n.outvars)
    src = f"  # {n.source}" if n.source is not None else ""
    return f"{outs} = {n.prim} {ins}{src}"


def plan_dot(closed, title="fusion_plan"):
    """DOT text of the fusion plan the compiler makes for a ClosedJaxpr."""
    prog = fusion.fuse(simplify.simplify(closed))
    fusion.plan_buffers(prog)
    gen, names = _names(), {}

    def name(a):
        if not hasattr(a, "count"):          # a literal
            return str(getattr(a, "val", a))
        if a not in names:
            names[a] = next(gen)
        return names[a]
    lines = [f"digraph {quote(title)} {{", '  node [fontname="monospace", fontsize=10];',
             '  edge [fontname="monospace", fontsize=9];']
    writer = {}
    for i, v in enumerate(prog.invars):
        label = quote(f"{name(v)}:{v.aval.str_short()}" + "\n" + f"input {i}")
        lines.append(f"  in{i} [label={label}, shape=ellipse];")
        writer[v] = f"in{i}"
    for k in prog.kernels:
        lines.append(f"  k{k.index} [label={quote(_kernel_label(k, name))}, shape=box];")
        for v in k.reads:
            src = writer.get(prog.base(v))
            if src is not None:
                lines.append(f"  {src} -> k{k.index} [label="
                             f"{quote(f'{name(v)}:{v.aval.str_short()}')}];")
        for v in k.outs:
            writer[v] = f"k{k.index}"
    for v, src in prog.aliases.items():
        writer[v] = writer.get(src)
    for i, v in enumerate(prog.outvars):
        lines.append(f"  out{i} [label={quote(f'output {i}')}, shape=doubleoctagon];")
        src = writer.get(prog.base(v)) or writer.get(v)
        if src is not None:
            lines.append(f"  {src} -> out{i} [label={quote(f'{name(v)}:{v.aval.str_short()}')}];")
    lines.append(f"  workspace [label={quote(f'workspace: {prog.buffers.workspace} bytes')}, "
                 f"shape=note];")
    lines.append("}")
    return "\n".join(lines) + "\n"
