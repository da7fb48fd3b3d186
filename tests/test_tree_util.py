"""Pytrees: flatten/unflatten, containers, registration, tree_map, errors."""
import collections

import numpy as np
import pytest

import jaxlite
from jaxlite import lax, tree_util
from jaxlite.tree_util import (tree_flatten, tree_unflatten, tree_leaves, tree_map,
                               tree_structure, register_pytree_node)

Point = collections.namedtuple("Point", ["x", "y"])

TREES = [
    1.0,
    None,
    (),
    [],
    {},
    (1, 2.0),
    [1, (2, 3), [4]],
    {"b": 1, "a": 2, "c": (3, None)},
    Point(1, (2, 3)),
    {"layers": [{"w": np.ones(2), "b": 0.0}, {"w": np.zeros(3), "b": 1.0}]},
    (None, [None, {"k": None}]),
]


@pytest.mark.parametrize("tree", TREES, ids=repr)
def test_roundtrip(tree):
    leaves, treedef = tree_flatten(tree)
    rebuilt = tree_unflatten(treedef, leaves)
    assert tree_structure(rebuilt) == treedef
    assert all(a is b for a, b in zip(tree_leaves(rebuilt), leaves))
    assert type(rebuilt) is type(tree)
    if isinstance(tree, dict):   # rebuilt in sorted key order, as JAX does
        assert list(rebuilt) == sorted(tree)
    assert treedef.num_leaves == len(leaves)
    # Same structure from a second flatten: hashable and equal.
    assert hash(tree_structure(tree)) == hash(treedef)


def test_dict_keys_sorted():
    leaves, treedef = tree_flatten({"b": 1, "a": 2, "c": 3})
    assert leaves == [2, 1, 3]
    assert list(tree_unflatten(treedef, [10, 20, 30])) == ["a", "b", "c"]
    assert tree_structure({"a": 1, "b": 2}) == tree_structure({"b": 0, "a": 0})


def test_none_has_no_leaves():
    assert tree_leaves(None) == []
    assert tree_leaves([None, 1, None]) == [1]
    assert tree_unflatten(tree_structure((None, 1)), [5]) == (None, 5)


def test_namedtuple_keeps_its_type():
    leaves, treedef = tree_flatten(Point(1, 2))
    assert leaves == [1, 2]
    p = tree_unflatten(treedef, [3, 4])
    assert type(p) is Point and p.y == 4
    assert tree_structure(Point(1, 2)) != tree_structure((1, 2))


def test_leaves_are_arrays_and_scalars():
    x = np.arange(6).reshape(2, 3)
    assert tree_leaves(x)[0] is x
    assert tree_leaves({"a": x, "b": [x]}) == [x, x]


def test_is_leaf():
    tree = {"a": (1, 2), "b": [3]}
    leaves = tree_leaves(tree, is_leaf=lambda n: isinstance(n, tuple))
    assert leaves == [(1, 2), 3]


class Box:
    def __init__(self, value, label):
        self.value, self.label = value, label


register_pytree_node(Box, lambda b: ((b.value,), b.label), lambda label, c: Box(c[0], label))


def test_registered_node():
    leaves, treedef = tree_flatten(Box({"w": 1.0, "b": 2.0}, "layer"))
    assert leaves == [2.0, 1.0]
    b = tree_unflatten(treedef, [3.0, 4.0])
    assert isinstance(b, Box) and b.label == "layer" and b.value == {"w": 4.0, "b": 3.0}
    assert tree_structure(Box(1, "x")) != tree_structure(Box(1, "y"))
    assert "Box" in repr(treedef)


def test_registered_node_through_transforms():
    b = Box(np.array([1.0, 2.0]), "p")
    g = jaxlite.grad(lambda box: lax.reduce_sum(lax.mul(box.value, box.value), (0,)))(b)
    assert isinstance(g, Box) and g.label == "p"
    np.testing.assert_allclose(g.value, [2.0, 4.0])
    out = jaxlite.vmap(lambda box: Box(lax.sin(box.value), box.label))(Box(np.ones((3, 2)), "q"))
    assert out.label == "q" and out.value.shape == (3, 2)


def test_tree_map_several_trees():
    a = {"x": 1, "y": (2, 3)}
    b = {"x": 10, "y": (20, 30)}
    c = {"x": 100, "y": (200, 300)}
    assert tree_map(lambda p, q, r: p + q + r, a, b, c) == {"x": 111, "y": (222, 333)}
    assert tree_map(lambda v: v * 2, [1, None, (2,)]) == [2, None, (4,)]


def test_tree_map_structure_mismatch():
    with pytest.raises(ValueError, match="different structures"):
        tree_map(lambda p, q: p, {"x": 1}, {"y": 1})
    with pytest.raises(ValueError, match="different structures"):
        tree_map(lambda p, q: p, (1, 2), [1, 2])
    with pytest.raises(ValueError, match="different structures"):
        tree_map(lambda p, q: p, (1, (2, 3)), (1, 2))
    with pytest.raises(ValueError, match="different structures"):
        tree_map(lambda p, q: p, [1, None], [1, 2])


def test_tree_map_later_trees_may_extend_the_first():
    """As JAX: where the first tree has a leaf, f receives the other tree's
    whole subtree there."""
    assert tree_map(lambda p, q: (p, q), (1, 2), (1, (2, 3))) == ((1, 1), (2, (2, 3)))
    assert tree_map(lambda p, q: q, {"a": 0, "b": None}, {"a": [1, {"c": 2}], "b": None}) == \
        {"a": [1, {"c": 2}], "b": None}


def test_unflatten_wrong_leaf_count():
    treedef = tree_structure((1, 2, 3))
    with pytest.raises(ValueError, match="expects 3 leaves, got 2"):
        tree_unflatten(treedef, [1, 2])


def test_treedef_helpers():
    treedef = tree_structure((1, [2, 3]))
    assert not tree_util.treedef_is_leaf(treedef)
    assert tree_util.treedef_is_leaf(tree_structure(1))
    kids = tree_util.treedef_children(treedef)
    assert [k.num_leaves for k in kids] == [1, 2]
    assert treedef.num_nodes == 5
    assert repr(treedef) == "PyTreeDef((*, [*, *]))"
    assert repr(tree_structure({"a": 1, "b": None})) == "PyTreeDef({'a': *, 'b': None})"
    assert tree_util.tree_all([True, (1, 2.0)]) and not tree_util.tree_all([True, 0])


def test_flatten_prefix():
    tree = ({"a": 1, "b": 2}, [3, 4])
    assert tree_util.flatten_prefix((0, None), tree) == [0, 0, None, None]
    assert tree_util.flatten_prefix(({"a": 1, "b": 0}, 2), tree) == [1, 0, 2, 2]
    with pytest.raises(ValueError, match="prefix"):
        tree_util.flatten_prefix(({"a": 1},), tree)
