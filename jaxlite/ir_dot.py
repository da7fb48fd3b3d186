"""Jaxprs as Graphviz DOT graphs (``make_jaxpr(f)(x).to_dot()``).

One box per equation (the primitive, its short params, its source line),
one ellipse per input, one double octagon per output; an edge per value,
labelled with its type. Jaxprs held in params (cond branches, loop bodies,
calls) are drawn as clusters inside the graph, their inputs fed by the
equation's operands. Render with ``dot -Tsvg graph.dot -o graph.svg``.

It reads jaxprs by their fields (``eqns``, ``invars``, a literal's ``val``)
and imports nothing from jaxlite, so ir.py can offer ``to_dot`` methods.
"""
import itertools

import numpy as np

__all__ = ["jaxpr_to_dot", "quote"]


def quote(text):
    """``text`` as a DOT string literal."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\l") + '"'


def _open(x):
    """The Jaxpr in ``x`` (a Jaxpr or ClosedJaxpr), or None."""
    x = getattr(x, "jaxpr", x)
    return x if hasattr(x, "eqns") and hasattr(x, "invars") else None


def _is_literal(a):
    return hasattr(a, "val") and not hasattr(a, "count")


def _literal(a):
    return f"{np.asarray(a.val).item()!r}:{a.aval.str_short()}"


def _short_param(v):
    if _open(v) is not None:
        return "{...}"
    if isinstance(v, tuple) and any(_open(x) is not None for x in v):
        return f"({len(v)} jaxprs)"
    if isinstance(v, np.dtype):
        return v.name
    text = getattr(v, "__name__", None) if callable(v) else None
    text = text or str(v)
    return text if len(text) <= 40 else text[:37] + "..."


class _Graph:
    def __init__(self, name):
        self.lines = [f"digraph {quote(name)} {{", "  rankdir=TB;",
                      '  node [fontname="monospace", fontsize=10];',
                      '  edge [fontname="monospace", fontsize=9];']
        self.ids = itertools.count()
        self.names = {}
        self.letters = _letters()

    def var_name(self, v):
        if v not in self.names:
            self.names[v] = next(self.letters)
        return self.names[v]

    def node(self, label, **attrs):
        nid = f"n{next(self.ids)}"
        extra = "".join(f", {k}={quote(val) if k != 'shape' else val}" for k, val in attrs.items())
        self.lines.append(f"  {nid} [label={quote(label)}{extra}];")
        return nid

    def edge(self, a, b, label):
        self.lines.append(f"  {a} -> {b} [label={quote(label)}];")


def _letters():
    for n in itertools.count():
        name = ""
        while not name or n:
            n, digit = divmod(n, 26)
            name = chr(ord("a") + digit) + name
        yield name


def _draw(g, jaxpr, sources, depth):
    """Draw ``jaxpr``'s equations; ``sources`` maps its input Vars to the node
    ids producing them. Returns the node ids producing its outputs."""
    producer = dict(sources)
    for eqn in jaxpr.eqns:
        params = " ".join(f"{k}={_short_param(v)}" for k, v in sorted(eqn.params.items()))
        outs = " ".join(f"{g.var_name(v)}:{v.aval.str_short()}" for v in eqn.outvars)
        label = f"{outs} = {eqn.prim.name}" + (f"\n[{params}]" if params else "")
        if eqn.source is not None:
            label += f"\n{eqn.source}"
        nid = g.node(label + "\n", shape="box")
        for a in eqn.inputs:
            if _is_literal(a):
                g.edge(g.node(_literal(a), shape="plaintext"), nid, "")
            elif a in producer:
                g.edge(producer[a], nid, f"{g.var_name(a)}:{a.aval.str_short()}")
        for inner in _held_jaxprs(eqn.params):
            _cluster(g, inner, nid, depth)
        for v in eqn.outvars:
            producer[v] = nid
    return [producer.get(v) for v in jaxpr.outvars]


def _held_jaxprs(params):
    for k, v in sorted(params.items()):
        for x in v if isinstance(v, tuple) else (v,):
            if _open(x) is not None:
                yield k, _open(x)


def _cluster(g, held, owner, depth):
    key, jaxpr = held
    cid = next(g.ids)
    g.lines.append(f"  subgraph cluster_{cid} {{")
    g.lines.append(f"  label={quote(key)}; style=dashed;")
    sources = {}
    for v in list(jaxpr.constvars) + list(jaxpr.invars):
        sources[v] = g.node(f"{g.var_name(v)}:{v.aval.str_short()}", shape="ellipse")
    _draw(g, jaxpr, sources, depth + 1)
    g.lines.append("  }")
    if sources:     # the owning equation runs the cluster
        first = next(iter(sources.values()))
        g.lines.append(f"  {owner} -> {first} [style=dashed, label={quote(key)}];")


def jaxpr_to_dot(jaxpr, name="jaxpr"):
    """A Jaxpr or ClosedJaxpr as the text of a Graphviz DOT digraph."""
    jaxpr = _open(jaxpr)
    g = _Graph(name)
    sources = {}
    for v in jaxpr.constvars:
        sources[v] = g.node(f"{g.var_name(v)}:{v.aval.str_short()} (const)", shape="ellipse",
                            style="dashed")
    for i, v in enumerate(jaxpr.invars):
        sources[v] = g.node(f"{g.var_name(v)}:{v.aval.str_short()}\ninput {i}",
                            shape="ellipse")
    outs = _draw(g, jaxpr, sources, 0)
    for i, (v, src) in enumerate(zip(jaxpr.outvars, outs)):
        label = (_literal(v) if _is_literal(v)
                 else f"{g.var_name(v)}:{v.aval.str_short()}") + f"\noutput {i}"
        out = g.node(label, shape="doubleoctagon")
        if src is not None:
            g.edge(src, out, "")
    g.lines.append("}")
    return "\n".join(g.lines) + "\n"
