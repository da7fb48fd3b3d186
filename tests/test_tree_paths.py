"""Key paths: tree_flatten_with_path / tree_map_with_path / keystr and the key
classes, checked against the paths JAX 0.10.2 gives for the same trees."""
import collections

import pytest

import jaxlite
from jaxlite import tree_util
from jaxlite.tree_util import DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey

NT = collections.namedtuple("NT", "a b")


def _tree():
    return {"x": [1, (2, 3)], "y": NT(4, 5), "z": None,
            "o": collections.OrderedDict(b=6, a=7)}


def test_paths_match_jax():
    pairs, treedef = tree_util.tree_flatten_with_path(_tree())
    # Copied from jax.tree_util.tree_flatten_with_path + keystr on the same tree.
    expected = [("['o']['b']", 6), ("['o']['a']", 7), ("['x'][0]", 1), ("['x'][1][0]", 2),
                ("['x'][1][1]", 3), ("['y'].a", 4), ("['y'].b", 5)]
    assert [(tree_util.keystr(p), v) for p, v in pairs] == expected
    assert treedef == tree_util.tree_structure(_tree())
    assert [v for _, v in pairs] == tree_util.tree_leaves(_tree())
    assert pairs[3][0] == (DictKey("x"), SequenceKey(1), SequenceKey(0))
    assert pairs[5][0] == (DictKey("y"), GetAttrKey("a"))


def test_keystr_simple_and_separator():
    path = (DictKey("x"), SequenceKey(1), GetAttrKey("b"))
    assert tree_util.keystr(path) == "['x'][1].b"
    assert tree_util.keystr(path, simple=True, separator="/") == "x/1/b"
    assert tree_util.keystr(()) == ""


def test_key_classes_repr_eq_hash():
    assert repr(DictKey("a")) == "DictKey(key='a')"
    assert repr(SequenceKey(1)) == "SequenceKey(idx=1)"
    assert repr(GetAttrKey("a")) == "GetAttrKey(name='a')"
    assert str(FlattenedIndexKey(2)) == "[<flat index 2>]"
    assert DictKey("a") == DictKey("a") and DictKey("a") != SequenceKey("a")
    assert len({DictKey("a"), DictKey("a"), SequenceKey(0)}) == 2
    assert (DictKey("a").key, SequenceKey(3).idx, GetAttrKey("n").name) == ("a", 3, "n")
    with pytest.raises(AttributeError):
        DictKey("a").key = "b"


def test_custom_node_without_keys_gets_flat_index():
    p = tree_util.Partial(lambda a, b: a + b, 1.0, b=2.0)
    pairs, _ = tree_util.tree_flatten_with_path(p)
    assert [path for path, _ in pairs] == [(FlattenedIndexKey(0), SequenceKey(0)),
                                          (FlattenedIndexKey(1), DictKey("b"))]


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


tree_util.register_pytree_with_keys(
    Point,
    lambda p: (((GetAttrKey("x"), p.x), (GetAttrKey("y"), p.y)), None),
    lambda _, c: Point(*c))


@tree_util.register_pytree_with_keys_class
class Box:
    def __init__(self, v):
        self.v = v

    def tree_flatten_with_keys(self):
        return ((DictKey("v"), self.v),), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


def test_register_pytree_with_keys():
    pairs, treedef = tree_util.tree_flatten_with_path([Point(1, 2), Box(3)])
    assert [tree_util.keystr(p) for p, _ in pairs] == ["[0].x", "[0].y", "[1]['v']"]
    rebuilt = tree_util.tree_unflatten(treedef, [10, 20, 30])
    assert (rebuilt[0].x, rebuilt[0].y, rebuilt[1].v) == (10, 20, 30)
    assert tree_util.tree_leaves(Point(5, 6)) == [5, 6]
    keyed, aux = tree_util.flatten_one_level_with_keys(Point(7, 8))
    assert keyed == [(GetAttrKey("x"), 7), (GetAttrKey("y"), 8)]
    with pytest.raises(ValueError):
        tree_util.flatten_one_level_with_keys(3.0)


def test_map_with_path_and_leaves_with_path():
    t = {"a": 1, "b": [2, 3]}
    out = tree_util.tree_map_with_path(lambda p, x, y: tree_util.keystr(p) + str(x + y),
                                       t, {"a": 10, "b": [20, 30]})
    assert out == {"a": "['a']11", "b": ["['b'][0]22", "['b'][1]33"]}
    assert [v for _, v in tree_util.tree_leaves_with_path(t)] == [1, 2, 3]
    assert jaxlite.tree.map_with_path(lambda p, x: len(p), t) == {"a": 1, "b": [2, 2]}
    assert jaxlite.tree.leaves_with_path(t) == tree_util.tree_leaves_with_path(t)
    assert jaxlite.tree.flatten_with_path(t)[1] == tree_util.tree_structure(t)


def test_is_leaf_with_and_without_path():
    t = {"a": [1, 2], "b": [3]}
    pairs, treedef = tree_util.tree_flatten_with_path(t, is_leaf=lambda x: isinstance(x, list))
    assert [(tree_util.keystr(p), v) for p, v in pairs] == [("['a']", [1, 2]), ("['b']", [3])]
    assert treedef.num_leaves == 2
    pairs, treedef = tree_util.tree_flatten_with_path(
        t, is_leaf=lambda p, x: p == (DictKey("b"),), is_leaf_takes_path=True)
    assert [v for _, v in pairs] == [1, 2, [3]]
    assert treedef.num_leaves == 3
