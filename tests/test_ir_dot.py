"""make_jaxpr(...).to_dot() and the fusion plan as Graphviz DOT graphs."""
import re

import numpy as np

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax


def _parse(dot):
    """(node id -> label, [(src, dst, label)]) of the DOT text; checks it is well formed."""
    assert dot.startswith("digraph ") and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    nodes = dict(re.findall(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M))
    edges = re.findall(r'^\s*(\w+) -> (\w+) \[(?:style=dashed, )?label="((?:[^"\\]|\\.)*)"',
                       dot, re.M)
    for a, b, _ in edges:
        assert a in nodes and b in nodes, (a, b)
    return nodes, edges


def f(x):
    y = jnp.sin(x) * 2
    c, ys = lax.scan(lambda c, a: (c + a, c * a), 0.0, y)
    return c + jnp.sum(ys)


def test_jaxpr_to_dot_has_one_node_per_equation_and_the_source_lines():
    closed = jaxlite.make_jaxpr(f)(np.ones(3, np.float32))
    dot = closed.to_dot()
    nodes, edges = _parse(dot)
    eqn_nodes = [l for l in nodes.values() if " = " in l]
    inner = closed.jaxpr.eqns[2].params["jaxpr"].jaxpr.eqns
    assert len(eqn_nodes) == len(closed.jaxpr.eqns) + len(inner)
    assert any(l.startswith("b:f32[3] = sin") and "test_ir_dot.py:" in l for l in eqn_nodes)
    assert "subgraph cluster_" in dot                 # the scan body
    assert sum("input 0" in l for l in nodes.values()) == 1
    assert sum("output 0" in l for l in nodes.values()) == 1
    # the sin node feeds the mul node, the edge labelled with the value's type
    sin = next(k for k, l in nodes.items() if "= sin" in l)
    mul = next(k for k, l in nodes.items() if "= mul" in l and "(f)" in l)
    assert (sin, mul, "b:f32[3]") in edges
    assert jaxlite.debug.jaxpr_to_dot(closed.jaxpr) == dot


def test_fusion_plan_dot_shows_kernels_with_equations():
    def centered_row_sums(x):      # a column max: the sum cannot run in its loop
        m = jnp.max(x, axis=0)
        return jnp.sum(jnp.exp(x - m), axis=1)
    compiled = jaxlite.jit(centered_row_sums).lower(np.ones((4, 5), np.float32)).compile()
    dot = compiled.fusion_plan_dot()
    nodes, edges = _parse(dot)
    kernels = {k: l for k, l in nodes.items() if l.startswith("kernel ")}
    assert len(kernels) == compiled.fusion_plan().count("kernel ")
    assert "[reduce]" in kernels["k0"] and "reduce_max" in kernels["k0"]
    assert "exp" in kernels["k1"] and "test_ir_dot.py:" in kernels["k1"]
    assert ("k0", "k1", "b:f32[5]") in edges
    assert any(a == "k1" and nodes[b] == "output 0" for a, b, _ in edges)
    assert "workspace:" in dot


def test_fusion_plan_dot_shows_a_row_group_in_one_box():
    def logsumexp_rows(x):
        m = jnp.max(x, axis=1)
        return jnp.log(jnp.sum(jnp.exp(x - m[:, None]), axis=1)) + m
    compiled = jaxlite.jit(logsumexp_rows).lower(np.ones((4, 5), np.float32)).compile()
    dot = compiled.fusion_plan_dot()
    nodes, edges = _parse(dot)
    kernels = {k: l for k, l in nodes.items() if l.startswith("kernel ")}
    assert list(kernels) == ["k0"]
    label = kernels["k0"]
    assert "row by row, first" in label
    assert label.index("reduce_max") < label.index("exp") < label.index("reduce_sum")
    assert any(a == "in0" and b == "k0" for a, b, _ in edges)
    assert any(a == "k0" and nodes[b] == "output 0" for a, b, _ in edges)
    assert "workspace:" in dot
