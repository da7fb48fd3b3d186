"""What the compiler can lower, keyed by primitive name.

A primitive's ``kind`` (declared where it is defined, see ``jaxlite.core``)
says which table must hold its rule:

* ELEMENTWISE and INDEX_MAP: a *value rule* ``rule(em, node, idx) -> value``
  computing one element of the node's output (``scalar_rules.py``);
* REDUCTION, KERNEL and HIGHER_ORDER: a *kernel rule* (``KernelRule``) that
  emits a whole loop nest for a kernel rooted at the primitive (``kernels.py``);
* CALL: nothing here; ``simplify`` inlines the call's jaxpr.

The rule modules fill the tables when ``pipeline.py`` is imported (the first
compile that is not a warm-cache hit, see ``__init__.py``);
fusion, lowering and the thread planner read them through this module, and
``lowering_for`` answers "what lowers this primitive?" for any primitive.
"""
from jaxlite import core

VALUE_RULES = {}      # primitive name -> rule(em, node, idx)
KERNEL_RULES = {}     # primitive name -> KernelRule
# What fusion needs to know about how an index map reads its inputs (see value_rule).
_EXPANDS = {}         # primitive name -> expands(node, v)
_KEEPS_ORDER = {}     # primitive name -> True
# Primitives no kernel ever sees: a pass before simplify rewrites every one of them
# into other primitives (complex numbers: complex_expand.py).
_EXPANDED = set()

_VALUE_KINDS = (core.ELEMENTWISE, core.INDEX_MAP)
_KERNEL_KINDS = (core.REDUCTION, core.KERNEL, core.HIGHER_ORDER)


class KernelRule:
    """How a kernel rooted at a primitive is emitted and what fusion may do with it.

    ``label`` names the kernel kind in plans and LLVM function names;
    ``fuses_inputs``: the rule evaluates its inputs through ``em.value``, so
    producers can be fused into it (reductions, cumsum, scatter), rather than
    reading buffers (GEMM, sort); ``monoid`` (``sum prod max min``) for a
    reduction that folds into one accumulator, which makes it eligible for a
    ``ReductionPlan`` (flat, blocked, split over threads) and an epilogue.
    """
    __slots__ = ("emit", "label", "fuses_inputs", "monoid")

    def __init__(self, emit, label, fuses_inputs, monoid=None):
        self.emit, self.label = emit, label
        self.fuses_inputs, self.monoid = fuses_inputs, monoid


def value_rule(*names, expands=None, keeps_order=False):
    """Register ``rule(em, node, idx)`` as the value rule of each name.

    ``expands(node, v)``: does the rule read input ``v`` at many output
    elements per element of ``v`` (a broadcast along the inner dimension, a
    gather's operand, every part of a select chain)? Fusion then recomputes
    only FREE producers of ``v`` rather than an expensive value per element.
    ``keeps_order``: when input and output have the same elements up to unit
    dimensions, output element i is input element i (a reduction's result
    can then be handed to it in a register, see fusion's epilogues).
    """
    def register(rule):
        for name in names:
            VALUE_RULES[name] = rule
            if expands is not None:
                _EXPANDS[name] = expands
            if keeps_order:
                _KEEPS_ORDER[name] = True
        return rule
    return register


def expands(node, v):
    """Does ``node``'s value rule read ``v`` at many output elements per element?"""
    rule = _EXPANDS.get(node.prim)
    return rule is not None and rule(node, v)


def keeps_order(node):
    """Is ``node`` an index map declared ``keeps_order`` (see value_rule)?"""
    return _KEEPS_ORDER.get(node.prim, False)


def kernel_rule(*names, label, fuses_inputs, monoid=None):
    """Register ``emit(em, kernel)`` as the kernel rule of each name."""
    def register(emit):
        for name in names:
            KERNEL_RULES[name] = KernelRule(emit, label, fuses_inputs, monoid)
        return emit
    return register


def expanded_away(*names):
    """Declare that a pass before simplify replaces every equation of these
    primitives (they then need no value or kernel rule)."""
    _EXPANDED.update(names)


def lowering_for(prim):
    """The rule that lowers ``prim`` as its kind requires: a value rule, a
    KernelRule, ``INLINED`` for a call primitive, ``EXPANDED`` for one a pass
    rewrites away, or None when there is none."""
    if prim.name in _EXPANDED:
        return EXPANDED
    if prim.kind in _VALUE_KINDS:
        return VALUE_RULES.get(prim.name)
    if prim.kind in _KERNEL_KINDS:
        return KERNEL_RULES.get(prim.name)
    if prim.kind == core.CALL:
        return INLINED
    return None


INLINED = "inlined by simplify"
EXPANDED = "rewritten into other primitives before simplify"
