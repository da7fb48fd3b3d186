"""Buffer donation: ``jit(f, donate_argnums=..., donate_argnames=...)``.

A donated argument's leaves are matched, at the first call of a signature, to
outputs of the same shape and dtype (each output at most once, in order). A
leaf with no match is not donated, and jit warns once per signature, as JAX
does. At each call, a matched leaf that is a jaxlite ``Array`` becomes a
``core.DeletedArray`` (every later use raises RuntimeError), and when no one
else can reach its memory (its owning ndarray and the Array itself are
referenced only by the caller's one pytree or variable) and the compiled
program allows it (``compiler/inplace.py``), its output is computed into that
memory: a training step updates its parameters in place. numpy arrays are
never written (JAX copies them to the device first) and never deleted.
"""
import sys
import warnings

import numpy as np

from jaxlite import core

__all__ = ["donate_spec", "donated_leaves", "direct_leaves", "match", "Donation"]

_Array, _ndarray, _getrefcount = core.Array, np.ndarray, sys.getrefcount


def donate_spec(nums, names, params, static_nums, static_names):
    """``(donated positions, donated names)``, validated and completed through
    the function's positional parameters ``params`` (None when unknown), as
    JAX completes static and donated arguments."""
    nums = (nums,) if isinstance(nums, int) else tuple(nums or ())
    names = (names,) if isinstance(names, str) else tuple(names or ())
    for n in nums:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"donate_argnums must be ints, got {n!r} of type "
                            f"{type(n).__name__}")
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"donate_argnames must be strings, got {n!r} of type "
                            f"{type(n).__name__}")
    nums = tuple(int(n) for n in nums)
    if params is not None:
        bad = [n for n in nums if n >= len(params)]
        if bad:
            raise ValueError(f"jitted function has donate_argnums={nums}, but only accepts "
                             f"{len(params)} positional argument(s)")
        unknown = sorted(set(names) - set(params))
        if unknown:
            raise ValueError(f"jitted function has donate_argnames {unknown} that are not "
                             f"among its parameters {params}")
        if nums and not names:
            names = tuple(params[n] for n in nums if n >= 0 or n + len(params) >= 0)
        elif names and not nums:
            nums = tuple(params.index(n) for n in names)
    both = sorted(set(names) & set(static_names))
    if both or set(nums) & set(static_nums):
        raise ValueError(f"an argument cannot be both static and donated: static_argnums="
                         f"{tuple(static_nums)}, static_argnames={tuple(static_names)}, "
                         f"donate_argnums={nums}, donate_argnames={names}")
    return nums, names


def donated_leaves(in_tree, positions, nums, names):
    """Flat indices of the donated leaves. ``in_tree`` is the treedef of
    ``(dynamic args, dynamic kwargs)``; ``positions`` the original position of
    each dynamic positional argument; ``nums`` non-negative positions."""
    args_def, kwargs_def = in_tree.children()
    donated_pos = set(nums)
    out, start = [], 0
    for pos, child in zip(positions, args_def.children()):
        if pos in donated_pos:
            out.extend(range(start, start + child.num_leaves))
        start += child.num_leaves
    for key, child in zip(kwargs_def.aux or (), kwargs_def.children()):
        if key in names:
            out.extend(range(start, start + child.num_leaves))
        start += child.num_leaves
    return tuple(out)


def match(exe, nconsts, leaves, flat):
    """``(leaf, output, in place?)`` for each donated leaf that an output of
    its shape and dtype can take, preferring outputs the compiled program can
    write in place; warns about the others (UserWarning, as JAX)."""
    taken, pairs, unusable = set(), [], []
    in_avals, out_avals = exe.in_avals, exe.out_avals
    for leaf in leaves:
        pos = nconsts + leaf
        a = in_avals[pos]
        same = [j for j, o in enumerate(out_avals)
                if j not in taken and o.shape == a.shape and o.dtype == a.dtype]
        if not same or isinstance(flat[leaf], (bool, int, float, complex, np.generic)):
            unusable.append(a)
            continue
        fast = [j for j in same if j in exe.inplace.get(pos, ())]
        j = (fast or same)[0]
        taken.add(j)
        pairs.append((leaf, j, bool(fast)))
    if unusable:
        warnings.warn(f"Some donated buffers were not usable: "
                      f"{', '.join(a.str_short() for a in unusable)} (a donated argument "
                      f"is reused by an output of its shape and dtype only)", stacklevel=4)
    return tuple(pairs)


def direct_leaves(in_tree):
    """Flat indices of the positional arguments that are leaves themselves
    (the call's argument tuple holds them: one reference more than a leaf
    inside a pytree)."""
    out, start = set(), 0
    for child in in_tree.children()[0].children():
        if child.node_type is None:
            out.add(start)
        start += child.num_leaves
    return frozenset(out)


class Donation:
    """The donated leaves of one call signature: runs the executable with the
    outputs it may write in place, then deletes the donated Arrays."""
    __slots__ = ("pairs", "direct")

    def __init__(self, pairs, direct):
        self.pairs, self.direct = pairs, direct

    def run(self, exe, consts, flat):
        direct = self.direct
        into, dead = {}, []
        leaf_ids, base_ids = _census(flat)
        for leaf, j, in_place in self.pairs:
            x = flat[leaf]
            if type(x) is not _Array:
                if isinstance(x, core.DeletedArray):
                    x.raise_deleted()
                continue        # numpy arrays are copied by value, never taken
            if leaf_ids[id(x)] > 1:
                _raise_repeated(x, leaf, flat)
            dead.append(x)
            if in_place:
                owner = _exclusive_owner(x, leaf in direct)
                # Another argument viewing the memory: its base is x, or owner
                # (counted once for x itself).
                if (owner is not None and id(x) not in base_ids
                        and base_ids.get(id(owner), 0) <= 1):
                    into[j] = owner
        outs = exe.call_into((*consts, *flat), into)
        for x in dead:
            x.__class__ = core.DeletedArray
        return outs


def _census(flat):
    """``({id(leaf): count}, {id(base): count})`` over the leaves, in one pass."""
    leaf_ids, base_ids = {}, {}
    for y in flat:
        i = id(y)
        leaf_ids[i] = leaf_ids.get(i, 0) + 1
        if isinstance(y, _ndarray):
            b = y.base
            if b is not None:
                i = id(b)
                base_ids[i] = base_ids.get(i, 0) + 1
    return leaf_ids, base_ids


def _raise_repeated(x, leaf, flat):
    i = next(i for i, y in enumerate(flat) if y is x and i != leaf)
    raise ValueError(f"a donated array (argument leaf {leaf}, {x.dtype.name}"
                     f"{list(x.shape)}) is also passed as argument leaf {i}: "
                     f"donate a separate copy")


# References to a donated Array when only the caller's pytree (or variable)
# holds it: that one, the flat leaf list, `run`'s local and its `dead` list,
# `_exclusive_owner`'s parameter; getrefcount's argument is the +1 below. A
# positional argument adds three (the argument tuples and the caller's
# evaluation stack, measured on CPython 3.11; tests/test_donation.py checks
# that both cases still reuse buffers).
_PYTREE_REFS = 5


def _exclusive_owner(x, direct):
    """The ndarray owning ``x``'s memory when writing into it cannot be seen by
    anyone but ``x``'s holder, else None."""
    owner = x.base
    if (type(owner) is not _ndarray or owner.base is not None
            or owner.shape != x.shape or owner.dtype != x.dtype
            or not owner.flags.c_contiguous):
        return None
    # owner: referenced by x only (+ this local and getrefcount's argument).
    if _getrefcount(owner) != 3:
        return None
    if _getrefcount(x) > _PYTREE_REFS + 1 + 3 * direct:
        return None
    return owner
