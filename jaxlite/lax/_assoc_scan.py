"""``lax.associative_scan``: an inclusive prefix scan by an associative ``fn``.

Not a primitive: the odd/even recursion (combine neighbouring pairs, scan the
half-length result, fill in the even positions) is built from slices and
concatenations, so every transform and ``jit`` handle it as they handle any
lax code, and ``fn`` is called O(log n) times on whole arrays (it must be
vectorised along ``axis``), not n times on elements as ``scan`` would.
"""
from jaxlite import core, tree_util
from jaxlite.lax.indexing import slice_in_dim
from jaxlite.lax.structural import concatenate, expand_dims, reshape, rev
from jaxlite.util import normalize_axis

__all__ = ["associative_scan"]


def associative_scan(fn, elems, reverse=False, axis=0):
    """Prefix results ``fn(...fn(fn(e0, e1), e2)..., ek)`` for every ``k``
    along ``axis`` of each leaf of the pytree ``elems`` (suffixes if
    ``reverse``). ``fn`` takes and returns pytrees like ``elems``."""
    leaves, tree = tree_util.tree_flatten(elems)
    if not leaves:
        return elems
    shapes = [core.get_aval(x).shape for x in leaves]
    axis = normalize_axis(axis, len(shapes[0]))
    sizes = {s[axis] if axis < len(s) else None for s in shapes}
    if len(sizes) != 1:
        raise ValueError(f"Array inputs to associative_scan must have the same first "
                         f"dimension. (saw: {[s for s in shapes]})")

    def combine(a, b):
        out = fn(tree_util.tree_unflatten(tree, a), tree_util.tree_unflatten(tree, b))
        out_leaves, out_tree = tree_util.tree_flatten(out)
        if out_tree != tree:
            raise ValueError(f"associative_scan: fn must return a pytree like its "
                             f"inputs ({tree}), got {out_tree}")
        return out_leaves

    def every_other(xs, start, stop=None):
        return [slice_in_dim(x, start, stop, 2, axis) for x in xs]

    def prefix(xs):
        n = core.get_aval(xs[0]).shape[axis]
        if n < 2:
            return xs
        # odd[k] is the prefix ending at position 2k + 1.
        odd = prefix(combine(every_other(xs, 0, n - 1), every_other(xs, 1)))
        # even positions 2, 4, ... extend the odd prefix just before them.
        later = every_other(xs, 2)
        even = combine([slice_in_dim(o, 0, _size(later[0], axis), 1, axis) for o in odd], later)
        even = [concatenate([slice_in_dim(x, 0, 1, 1, axis), e], axis) for x, e in zip(xs, even)]
        return [_interleave(e, o, axis) for e, o in zip(even, odd)]

    if reverse:
        leaves = [rev(x, (axis,)) for x in leaves]
    out = prefix(leaves)
    if reverse:
        out = [rev(x, (axis,)) for x in out]
    return tree_util.tree_unflatten(tree, out)


def _size(x, axis):
    return core.get_aval(x).shape[axis]


def _interleave(even, odd, axis):
    """even[0], odd[0], even[1], odd[1], ... along ``axis``; ``even`` may be one longer."""
    m = _size(odd, axis)
    shape = list(core.get_aval(even).shape)
    pairs = concatenate([expand_dims(slice_in_dim(even, 0, m, 1, axis), (axis + 1,)),
                         expand_dims(odd, (axis + 1,))], axis + 1)
    shape[axis] = 2 * m
    out = reshape(pairs, tuple(shape))
    if _size(even, axis) > m:
        out = concatenate([out, slice_in_dim(even, m, m + 1, 1, axis)], axis)
    return out
