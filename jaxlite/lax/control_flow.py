"""Structured control flow, written over select_n rather than as primitives.

``cond``/``switch`` with a concrete predicate run only the chosen branch (so
eager code and code under grad pay for one branch). With a traced predicate
both branches are traced and the results selected elementwise: the semantics
of a pure function are the same, every transform already knows select_n, and
the compiler fuses the selection. As with ``jnp.where``, a NaN produced by
the branch not taken can still leak into gradients.

``fori_loop`` with concrete bounds is unrolled when traced; ``while_loop``
needs a concrete predicate (it runs as a Python loop). A traced trip count or
predicate raises a ConcretizationTypeError naming the line.
"""
from jaxlite import core, tree_util


def _concrete_or_none(x):
    if isinstance(x, core.Tracer):
        try:
            return x.concrete_value()
        except core.ConcretizationTypeError:
            return None
    return x


def _check_same_structure(outs, what):
    trees = [tree_util.tree_structure(o) for o in outs]
    if any(t != trees[0] for t in trees):
        raise TypeError(f"{what} branches must return the same pytree structure, got "
                        + ", ".join(str(t) for t in trees))
    avals = [[core.get_aval(x).strong() for x in tree_util.tree_leaves(o)] for o in outs]
    for a in avals[1:]:
        for x, y in zip(avals[0], a):
            if x.shape != y.shape or x.dtype != y.dtype:
                raise TypeError(f"{what} branches must return matching types, got {x} and {y}")


def switch(index, branches, *operands):
    """``branches[index](*operands)``, with ``index`` clamped into range."""
    from jaxlite import numpy as jnp
    from jaxlite.lax.elementwise import select_n, convert_element_type
    branches = list(branches)
    if not branches:
        raise ValueError("switch requires at least one branch")
    concrete = _concrete_or_none(index)
    if concrete is not None:
        i = min(max(int(concrete), 0), len(branches) - 1)
        return branches[i](*operands)
    outs = [b(*operands) for b in branches]
    _check_same_structure(outs, "switch")
    which = jnp.clip(convert_element_type(index, "int32"), 0, len(branches) - 1)
    if len(branches) == 2:
        which = convert_element_type(which, "bool")
    return _select_outputs(which, outs)


def _select_outputs(which, outs):
    """Pick leafwise among the branches' outputs with select_n."""
    from jaxlite import numpy as jnp
    from jaxlite.lax.elementwise import select_n

    def pick(*leaves):
        shape = core.get_aval(leaves[0]).shape
        return select_n(jnp.broadcast_to(which, shape) if shape else which, *leaves)
    return tree_util.tree_map(pick, *outs)


def cond(pred, true_fun, false_fun, *operands):
    """``true_fun(*operands) if pred else false_fun(*operands)``."""
    from jaxlite.lax.elementwise import convert_element_type
    concrete = _concrete_or_none(pred)
    if concrete is not None:
        return (true_fun if bool(concrete) else false_fun)(*operands)
    if core.get_aval(pred).shape != ():
        raise TypeError(f"cond predicate must be a scalar, got shape "
                        f"{core.get_aval(pred).shape}" + core.where_message())
    # A traced predicate: both branches run and select_n picks (case 1 = true).
    outs = [false_fun(*operands), true_fun(*operands)]
    _check_same_structure(outs, "cond")
    return _select_outputs(convert_element_type(pred, "bool"), outs)


def fori_loop(lower, upper, body_fun, init_val):
    """``for i in range(lower, upper): val = body_fun(i, val)``; bounds must be concrete."""
    lo, hi = _concrete_bound(lower, "lower"), _concrete_bound(upper, "upper")
    val = init_val
    for i in range(lo, hi):
        val = body_fun(i, val)
    return val


def _concrete_bound(x, name):
    v = _concrete_or_none(x)
    if v is None:
        raise core.ConcretizationTypeError(
            f"fori_loop's {name} bound must be concrete in jaxlite (loops are unrolled); "
            f"pass it as a Python int or mark it static with static_argnums."
            + core.where_message())
    return int(v)


def while_loop(cond_fun, body_fun, init_val):
    """``while cond_fun(val): val = body_fun(val)``; the predicate must be concrete."""
    val = init_val
    while True:
        p = _concrete_or_none(cond_fun(val))
        if p is None:
            raise core.ConcretizationTypeError(
                "while_loop's predicate depends on a traced value; jaxlite runs while_loop "
                "as a Python loop, so it works eagerly and under grad but not under jit or "
                "on vmapped values. Use fori_loop with static bounds." + core.where_message())
        if not bool(p):
            return val
        val = body_fun(val)


def scan(f, init, xs, length=None):
    """``carry, y = f(carry, x)`` over the leading axis of ``xs`` (unrolled)."""
    from jaxlite import numpy as jnp
    leaves = tree_util.tree_leaves(xs)
    n = length if length is not None else (core.get_aval(leaves[0]).shape[0] if leaves else None)
    if n is None:
        raise ValueError("scan needs xs with a leading axis or an explicit length")
    carry, ys = init, []
    for i in range(int(n)):
        x = tree_util.tree_map(lambda a: a[i], xs) if xs is not None else None
        carry, y = f(carry, x)
        ys.append(y)
    if not ys or tree_util.tree_leaves(ys[0]) == []:
        return carry, ys[0] if ys else None
    return carry, tree_util.tree_map(lambda *a: jnp.stack(a), *ys)
