"""The primitive table is complete or the build is red.

Walks ``core.all_primitives`` and checks every rule each primitive needs:
impl, abstract eval, jvp, batch; transpose for the linear ones; a declared
kind and cost; and what the compiler needs for that kind
(``compiler.registry.lowering_for``).
"""
import numpy as np
import pytest

import jaxlite as jax  # registers every primitive
import jaxlite.jit  # noqa: F401
import jaxlite.custom_derivatives  # noqa: F401
from jaxlite import core
from jaxlite.interpreters import ad, batching
from jaxlite.compiler import pipeline  # noqa: F401  (registers every lowering rule)
from jaxlite.compiler import complex_expand, fusion, registry, simplify

# Primitives allowed to lack a rule, and why.
NO_JVP = {
    # custom_vjp's tangent map: only ever staged by linearize and transposed;
    # forward mode through custom_vjp is an error by design (as in JAX).
    "custom_lin",
}
NO_BATCH = {
    # Bound only inside linearize's staged linear jaxpr, which is transposed
    # (never evaluated forward), so a vmap never meets it.
    "custom_lin",
}
# Primitives that appear in linear (tangent) jaxprs and so need a transpose
# rule: linear in all inputs, or in some (mul and dot_general are bilinear,
# div is linear in its numerator, select_n in its cases, dynamic_slice and
# gather in the operand, scatter_add in operand and updates).
LINEAR = """neg add sub convert_element_type reduce_sum broadcast_in_dim reshape transpose
squeeze rev concatenate pad slice dynamic_slice dynamic_update_slice gather scatter_add
cumsum select_n mul div dot_general jit custom_lin
psum all_gather psum_scatter all_to_all ppermute""".split()

# Every primitive name the common brief promises.
EXPECTED = """neg sign floor ceil round abs exp exp2 log log1p expm1 sqrt rsqrt sin cos tan asin
acos atan sinh cosh tanh logistic erf not integer_pow add sub mul div rem pow max min atan2
and or eq ne lt le gt ge select_n convert_element_type stop_gradient broadcast_in_dim reshape
transpose reduce_sum jit custom_jvp_call custom_vjp_call squeeze rev concatenate pad iota
slice dynamic_slice dynamic_update_slice gather scatter_add scatter reduce_max reduce_min
reduce_prod argmax argmin cumsum dot_general""".split()

ALL = sorted(core.all_primitives)


def _prim(name):
    return core.all_primitives[name]


def test_expected_primitives_exist():
    missing = [n for n in EXPECTED if n not in core.all_primitives]
    assert not missing, f"primitives promised by the brief but not registered: {missing}"


def test_registry_names_match_primitive_names():
    for name, prim in core.all_primitives.items():
        assert prim.name == name


@pytest.mark.parametrize("name", ALL)
def test_impl_and_abstract_eval(name):
    prim = _prim(name)
    assert prim in core.impl_rules, f"{name} has no impl rule"
    assert prim in core.abstract_eval_rules, f"{name} has no abstract eval (shape) rule"


@pytest.mark.parametrize("name", ALL)
def test_jvp_rule(name):
    if name in NO_JVP:
        pytest.skip(f"{name} is exempt: see NO_JVP")
    assert _prim(name) in ad.jvp_rules, f"{name} has no jvp rule"


@pytest.mark.parametrize("name", ALL)
def test_batch_rule(name):
    if name in NO_BATCH:
        pytest.skip(f"{name} is exempt: see NO_BATCH")
    assert _prim(name) in batching.batch_rules, f"{name} has no batch rule"


@pytest.mark.parametrize("name", LINEAR)
def test_transpose_rule_for_linear_primitives(name):
    if name not in core.all_primitives:
        pytest.fail(f"linear primitive {name} is not registered")
    assert _prim(name) in ad.transpose_rules, f"linear primitive {name} has no transpose rule"


def test_exemption_lists_name_real_primitives():
    for name in NO_JVP | NO_BATCH:
        assert name in core.all_primitives, f"exemption for unknown primitive {name}"


@pytest.mark.parametrize("name", ALL)
def test_kind_and_cost_declared(name):
    prim = _prim(name)
    assert prim.kind in core.KINDS, f"{name} declares no kind (got {prim.kind!r})"
    assert prim.cost in core.COSTS, f"{name} declares no cost (got {prim.cost!r})"


@pytest.mark.parametrize("name", ALL)
def test_kind_has_what_it_needs(name):
    """ELEMENTWISE/INDEX_MAP: a value rule; REDUCTION/KERNEL/HIGHER_ORDER: a
    kernel rule; CALL: inlined by simplify."""
    prim = _prim(name)
    rule = registry.lowering_for(prim)
    if rule is registry.EXPANDED:      # real/imag/conj/complex: rewritten into real operations
        assert complex_expand.rule_for(prim) is not None, f"{name} has no expansion rule"
    elif prim.kind in (core.ELEMENTWISE, core.INDEX_MAP):
        assert callable(rule), f"{prim.kind} primitive {name} has no value rule"
    elif prim.kind == core.CALL:
        assert rule is registry.INLINED
    elif rule is None and prim.kind == core.HIGHER_ORDER:
        pytest.skip(f"{name}: its control-flow kernel rule is not registered yet")
    else:
        assert isinstance(rule, registry.KernelRule), f"{prim.kind} primitive {name} has " \
                                                       f"no kernel rule"


@pytest.mark.parametrize("name", [n for n in ALL if _prim(n).kind == core.REDUCTION])
def test_reduction_rules_fold_or_pick(name):
    """A REDUCTION kernel evaluates its fused input; monoid reductions also get a
    loop plan (flat, blocked, split over threads)."""
    rule = registry.lowering_for(_prim(name))
    assert rule.fuses_inputs
    assert rule.monoid in (None, "sum", "prod", "max", "min")


def test_fusion_cost_follows_the_declaration():
    """Fusion nodes take kind and cost from the primitive, not from a name list."""
    for name, prim in core.all_primitives.items():
        if prim.kind in (core.ELEMENTWISE, core.INDEX_MAP):
            node = fusion.Node(name, [], {}, [])
            assert (node.kind, node.cost) == (prim.kind, prim.cost)
    assert (fusion.COPY.kind, fusion.COPY.cost) == (core.ELEMENTWISE, core.FREE)


def test_simplify_inlines_by_kind():
    closed = jax.make_jaxpr(lambda x: jax.jit(lambda y: y * 2.0)(x) + 1.0)(np.ones(3))
    assert [e.prim.name for e in closed.jaxpr.eqns] == ["jit", "add"]
    simple = simplify.simplify(closed)
    assert [e.prim.name for e in simple.jaxpr.eqns] == ["mul", "add"]
