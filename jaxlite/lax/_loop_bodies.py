"""Tracing a loop body once, and the carry checks while and scan share.

A body is traced over the initial carry's types; a weakly typed carry (a
Python scalar) whose body output has another dtype takes that dtype and the
body is traced again, as in JAX. Carry mismatches are TypeErrors naming both
types and which carry.
"""
from jaxlite import core, tree_util
from jaxlite.lax import jaxpr_transforms as sj
from jaxlite.lax.elementwise import convert_element_type

__all__ = ["same_type", "join_weak", "types_text", "check_ins", "check_carry", "trace_loop"]


def same_type(a, b):
    return a.shape == b.shape and a.dtype == b.dtype


def join_weak(a, b):
    return a.update(weak_type=a.weak_type and b.weak_type)


def types_text(avals):
    return "(" + ", ".join(str(a) for a in avals) + ")"


def check_ins(what, closed, avals):
    if len(closed.in_avals) != len(avals) or not all(
            same_type(a, b) for a, b in zip(closed.in_avals, avals)):
        raise TypeError(f"{what} takes {types_text(closed.in_avals)}, called with "
                        f"{types_text(avals)}")


def check_carry(what, carry_in, carry_out, tree=None):
    if len(carry_in) != len(carry_out):
        raise TypeError(f"{what} must return {len(carry_in)} carries, got {len(carry_out)}")
    for i, (a, b) in enumerate(zip(carry_in, carry_out)):
        if not same_type(a, b):
            where = f"carry leaf {i}" + ("" if tree is None else f" of {tree}")
            raise TypeError(f"{what} function carry input and carry output must have equal "
                            f"types, but {where} has type {a} as input and {b} as output")


def _trace_body(fun, carry_avals, extra_avals, what, carry_tree, split_out):
    """Trace ``fun`` once over (carry, extra) leaves; ``split_out(out)`` gives
    (carry pytree, rest). Returns ``(closed, consts, rest_tree)``."""
    box = {}
    n_carry = len(carry_avals)

    def flat_fun(*leaves):
        carry = tree_util.tree_unflatten(carry_tree, leaves[:n_carry])
        out_carry, rest = split_out(fun, carry, leaves[n_carry:])
        c_leaves, c_tree = tree_util.tree_flatten(out_carry)
        if c_tree != carry_tree:
            raise TypeError(f"{what} function carry input and carry output must have the "
                            f"same pytree structure, but they differ: the input carry is "
                            f"{carry_tree} and the output carry is {c_tree}")
        r_leaves, box["rest"] = tree_util.tree_flatten(rest)
        return c_leaves + r_leaves
    closed, consts = sj.trace_closing_consts(flat_fun, list(carry_avals) + list(extra_avals))
    return closed, consts, box["rest"]


def _promote_weak_carry(init, carry_avals, out_avals):
    """A weakly typed initial carry (a Python scalar) whose body output has
    another dtype takes the output's dtype, as in JAX; None if none does."""
    changed = False
    new = list(init)
    for i, (a, b) in enumerate(zip(carry_avals, out_avals)):
        if a.weak_type and a.shape == b.shape and a.dtype != b.dtype:
            new[i] = convert_element_type(init[i], b.dtype, weak_type=b.weak_type)
            changed = True
    return new if changed else None


def trace_loop(fun, init, extra_avals, what, split_out):
    """Trace a loop body (retracing once if a weak initial carry must be
    promoted) and check its carry types. Returns ``(closed, consts, init
    leaves, carry tree, rest tree)``."""
    init_leaves, carry_tree = tree_util.tree_flatten(init)
    avals = [core.get_aval(x) for x in init_leaves]
    closed, consts, rest = _trace_body(fun, avals, extra_avals, what, carry_tree,
                                       split_out)
    promoted = _promote_weak_carry(init_leaves, avals, closed.out_avals[:len(avals)])
    if promoted is not None:
        init_leaves = promoted
        avals = [core.get_aval(x) for x in init_leaves]
        closed, consts, rest = _trace_body(fun, avals, extra_avals, what, carry_tree,
                                           split_out)
    check_carry(what, avals, closed.out_avals[:len(avals)], carry_tree)
    return closed, consts, init_leaves, carry_tree, rest
