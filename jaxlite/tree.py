"""jaxlite.tree: the short names of JAX's ``jax.tree`` namespace.

Each function is the ``jaxlite.tree_util`` function of the same meaning
(``tree.map`` is ``tree_util.tree_map``, ...), with JAX's argument names.
The path-carrying variants (``flatten_with_path``, ``leaves_with_path``,
``map_with_path``) give each leaf its key path (see tree_util.keystr).
"""
from jaxlite import tree_util as _tu

__all__ = ["all", "broadcast", "flatten", "leaves", "map", "reduce", "reduce_associative",
           "structure", "transpose", "unflatten", "flatten_with_path", "leaves_with_path",
           "map_with_path"]


def all(tree, *, is_leaf=None):   # noqa: A001 (JAX's name)
    """True when every leaf of ``tree`` is truthy."""
    return _tu.tree_all(tree, is_leaf=is_leaf)


def flatten(tree, is_leaf=None):
    """``(leaves, treedef)`` of ``tree``."""
    return _tu.tree_flatten(tree, is_leaf)


def leaves(tree, is_leaf=None):
    return _tu.tree_leaves(tree, is_leaf)


def map(f, tree, *rest, is_leaf=None):   # noqa: A001 (JAX's name)
    """``f`` applied leafwise over ``tree`` and the trees of ``rest``."""
    return _tu.tree_map(f, tree, *rest, is_leaf=is_leaf)


_NO_INITIAL = object()


def reduce(function, tree, initializer=_NO_INITIAL, is_leaf=None):
    """``functools.reduce`` over the leaves of ``tree``."""
    if initializer is _NO_INITIAL:
        return _tu.tree_reduce(function, tree, is_leaf=is_leaf)
    return _tu.tree_reduce(function, tree, initializer, is_leaf)


def reduce_associative(operation, tree, *, identity=_NO_INITIAL, is_leaf=None):
    """Pairwise reduction of the leaves by an associative ``operation``."""
    if identity is _NO_INITIAL:
        return _tu.tree_reduce_associative(operation, tree, is_leaf=is_leaf)
    return _tu.tree_reduce_associative(operation, tree, identity=identity, is_leaf=is_leaf)


def broadcast(prefix_tree, full_tree, is_leaf=None):
    """``full_tree``'s structure, each leaf of ``prefix_tree`` repeated over its subtree."""
    return _tu.tree_broadcast(prefix_tree, full_tree, is_leaf)


def structure(tree, is_leaf=None):
    return _tu.tree_structure(tree, is_leaf)


def transpose(outer_treedef, inner_treedef, pytree_to_transpose):
    """An outer tree of inner trees as an inner tree of outer trees."""
    return _tu.tree_transpose(outer_treedef, inner_treedef, pytree_to_transpose)


def unflatten(treedef, leaves):
    return _tu.tree_unflatten(treedef, leaves)


def flatten_with_path(tree, is_leaf=None, is_leaf_takes_path=False):
    """``([(key_path, leaf), ...], treedef)``."""
    return _tu.tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)


def leaves_with_path(tree, is_leaf=None, is_leaf_takes_path=False):
    return _tu.tree_leaves_with_path(tree, is_leaf, is_leaf_takes_path)


def map_with_path(f, tree, *rest, is_leaf=None, is_leaf_takes_path=False):
    """``f(key_path, leaf, *others)`` leafwise over ``tree`` and the trees of ``rest``."""
    return _tu.tree_map_with_path(f, tree, *rest, is_leaf=is_leaf,
                                  is_leaf_takes_path=is_leaf_takes_path)
