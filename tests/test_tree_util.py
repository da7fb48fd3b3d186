"""Pytrees: flatten/unflatten, containers, registration, tree_map, errors,
and the jaxlite.tree namespace."""
import collections
import dataclasses
import functools
import operator

import numpy as np
import pytest

import jaxlite
from jaxlite import lax, tree, tree_util
from jaxlite.tree_util import (tree_flatten, tree_unflatten, tree_leaves, tree_map,
                               tree_structure, register_pytree_node)

Point = collections.namedtuple("Point", ["x", "y"])
Params = collections.namedtuple("Params", ["w", "b"])

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


# ---------------------------------------------------------------- pytrees

def test_ordered_and_default_dicts_are_pytree_nodes():
    od = collections.OrderedDict([("b", 1.0), ("a", 2.0)])
    leaves, treedef = tree_util.tree_flatten(od)
    assert leaves == [1.0, 2.0]                       # insertion order, not sorted
    back = tree_util.tree_unflatten(treedef, [5.0, 6.0])
    assert type(back) is collections.OrderedDict and list(back.items()) == [("b", 5.0),
                                                                            ("a", 6.0)]
    assert treedef != tree_util.tree_structure(collections.OrderedDict([("a", 0), ("b", 0)]))
    dd = collections.defaultdict(list, {"b": 1.0, "a": 2.0})
    leaves, treedef = tree_util.tree_flatten(dd)
    assert leaves == [2.0, 1.0]                       # sorted, like dict
    back = tree_util.tree_unflatten(treedef, [3.0, 4.0])
    assert type(back) is collections.defaultdict and back.default_factory is list
    assert dict(back) == {"a": 3.0, "b": 4.0}
    g = jaxlite.grad(lambda d: d["a"] * d["b"] ** 2)(
        collections.OrderedDict([("b", 3.0), ("a", 2.0)]))
    assert type(g) is collections.OrderedDict and list(g) == ["b", "a"]
    np.testing.assert_allclose([g["b"], g["a"]], [12.0, 9.0])


def test_tree_map_over_several_mixed_trees():
    p1 = {"w": [np.ones(2), None], "n": Params(1.0, (2.0,))}
    p2 = {"w": [np.full(2, 3.0), None], "n": Params(10.0, (20.0,))}
    p3 = tree_util.tree_map(lambda a: a * 0 + 1, p1)
    out = tree_util.tree_map(lambda a, b, c: a + b * c, p1, p2, p3)
    assert type(out["n"]) is Params and out["w"][1] is None
    np.testing.assert_allclose(out["w"][0], [4.0, 4.0])
    assert out["n"].w == 11.0 and out["n"].b == (22.0,)
    assert tree_util.tree_structure(out) == tree_util.tree_structure(p1)
    with pytest.raises(ValueError, match="different structures"):
        tree_util.tree_map(lambda a, b: a, p1, {"w": [1.0, 2.0], "n": Params(1.0, (2.0,))})


# ---------------------------------------------------------------- jaxlite.tree

TREE = {"w": np.arange(3.0), "b": (1.0, [np.ones(2), None]),
        "od": collections.OrderedDict([("z", 2), ("a", 3)])}


def test_tree_leaves_structure_flatten_match_tree_util():
    ours, ref = tree.leaves(TREE), tree_util.tree_leaves(TREE)
    assert len(ours) == len(ref) == 5 and all(a is b for a, b in zip(ours, ref))
    assert tree.structure(TREE) == tree_util.tree_structure(TREE)
    leaves, treedef = tree.flatten(TREE)
    assert treedef == tree_util.tree_structure(TREE)
    back = tree.unflatten(treedef, leaves)
    assert tree.structure(back) == treedef
    assert back["od"] == TREE["od"] and back["b"][1][1] is None


def test_tree_map_multiple_trees_and_is_leaf():
    a = {"x": 1.0, "y": (2.0, 3.0)}
    b = {"x": 10.0, "y": (20.0, 30.0)}
    assert tree.map(operator.add, a, b) == {"x": 11.0, "y": (22.0, 33.0)}
    # is_leaf stops at the tuple: f sees it whole.
    out = tree.map(lambda v: len(v) if isinstance(v, tuple) else v, a,
                   is_leaf=lambda v: isinstance(v, tuple))
    assert out == {"x": 1.0, "y": 2}
    assert tree.leaves(a, is_leaf=lambda v: isinstance(v, tuple)) == [1.0, (2.0, 3.0)]
    with pytest.raises(ValueError):
        tree.map(operator.add, a, {"x": 1.0, "y": [2.0, 3.0]})


def test_tree_reduce_and_all():
    t = [1, (2, 3), {"a": 4}]
    assert tree.reduce(operator.add, t) == 10
    assert tree.reduce(operator.add, t, 100) == 110
    assert tree.reduce(operator.mul, [], 7) == 7
    assert tree_util.tree_reduce(max, t) == 4
    with pytest.raises(TypeError):
        tree.reduce(operator.add, [None, ()])
    assert tree.all([True, (1, 2.0)]) and not tree.all([True, (1, 0)])
    assert tree.all([]) and tree.all(None)
    # With is_leaf the tuple is one leaf, and a non-empty tuple is truthy.
    assert tree.all([(0, 0)], is_leaf=lambda v: isinstance(v, tuple))


def test_tree_transpose():
    outer = tree.structure([0, 0, 0])
    inner = tree.structure({"a": 0, "b": 0})
    rows = [{"a": i, "b": 10 * i} for i in range(3)]
    assert tree.transpose(outer, inner, rows) == {"a": [0, 1, 2], "b": [0, 10, 20]}
    assert tree_util.tree_transpose(inner, outer, {"a": [0, 1, 2], "b": [0, 10, 20]}) == rows
    with pytest.raises(TypeError, match="structure"):
        tree.transpose(outer, inner, [{"a": 0, "c": 1}] * 3)


def test_partial_is_a_pytree_and_passes_through_jit():
    def affine(w, x, b=0.0):
        calls.append(1)
        return w * x + b
    calls = []
    p = tree_util.Partial(affine, np.float32(2.0), b=np.float32(1.0))
    leaves, treedef = tree.flatten(p)
    assert len(leaves) == 2
    doubled = tree.map(lambda v: v * 2, p)
    assert isinstance(doubled, tree_util.Partial) and doubled.func is affine
    np.testing.assert_allclose(doubled(3.0), 4 * 3 + 2)
    apply = jaxlite.jit(lambda f, x: f(x))
    calls.clear()
    np.testing.assert_allclose(apply(p, np.float32(3.0)), 7.0)
    np.testing.assert_allclose(apply(tree_util.Partial(affine, np.float32(5.0), b=np.float32(0.0)),
                                     np.float32(3.0)), 15.0)
    assert len(calls) == 1        # the bound arrays are arguments: one trace for both
    nested = tree_util.Partial(tree_util.Partial(affine, 2.0), 3.0)
    assert nested.func is affine and nested.args == (2.0, 3.0) and nested() == 6.0


def test_register_pytree_node_class_and_grad():
    @tree_util.register_pytree_node_class
    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b

        def tree_flatten(self):
            return (self.a, self.b), "aux"

        @classmethod
        def tree_unflatten(cls, aux, children):
            assert aux == "aux"
            return cls(*children)

    p = Pair(np.float64(2.0), np.float64(3.0))
    assert tree.leaves(p) == [2.0, 3.0]
    g = jaxlite.grad(lambda q: q.a * q.b ** 2)(p)
    assert isinstance(g, Pair)
    np.testing.assert_allclose([g.a, g.b], [9.0, 12.0])


def test_pytreedef_flatten_up_to_and_compose():
    td = tree_util.tree_structure({"a": 1, "b": (2, 3)})
    assert isinstance(td, tree_util.PyTreeDef) and td.num_leaves == 3
    # flatten_up_to stops at td's leaves: deeper structure stays whole
    parts = tree_util.flatten_up_to(td, {"a": [1, 2], "b": (3, np.ones(2))})
    assert parts[0] == [1, 2] and parts[1] == 3
    np.testing.assert_array_equal(parts[2], np.ones(2))
    with pytest.raises(ValueError):
        tree_util.flatten_up_to(td, {"a": 1, "b": (2, 3, 4)})
    outer, inner = tree_util.tree_structure((0, 0)), tree_util.tree_structure([0, 0, 0])
    composed = tree_util.treedef_compose(outer, inner)
    assert composed == tree_util.tree_structure(([0, 0, 0], [0, 0, 0]))
    assert composed.num_leaves == 6


@tree_util.register_dataclass
@dataclasses.dataclass
class _Scaled:
    x: object
    y: object
    op: str = dataclasses.field(default="add", metadata={"static": True})


def test_register_dataclass_data_and_static_fields():
    m = _Scaled(np.ones(3), np.arange(3.0))
    leaves, td = tree_flatten(m)
    assert len(leaves) == 2 and td.num_leaves == 2
    assert [tree_util.keystr(k) for k, _ in tree_util.tree_flatten_with_path(m)[0]] == [".x", ".y"]
    traces = []

    def f(m):
        traces.append(m.op)           # op is static: a Python string while tracing
        return lax.add(m.x, m.y) if m.op == "add" else lax.sub(m.x, m.y)
    jf = jaxlite.jit(f)
    np.testing.assert_allclose(jf(m), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(jf(_Scaled(m.x, m.y, "sub")), [1.0, 0.0, -1.0])
    jf(_Scaled(2 * m.x, m.y, "sub"))
    assert traces == ["add", "sub"]
    g = jaxlite.grad(lambda m: lax.reduce_sum(lax.mul(m.x, m.y), (0,)))(m)
    assert isinstance(g, _Scaled) and g.op == "add"
    np.testing.assert_allclose(g.x, m.y)
    np.testing.assert_allclose(g.y, m.x)


def test_register_dataclass_explicit_fields_and_errors():
    @functools.partial(tree_util.register_dataclass, data_fields=["a"], meta_fields=["n"])
    class P:
        def __init__(self, a, n):
            self.a, self.n = a, n
    q = tree_map(lambda v: v + 1, P(1.0, 3))
    assert (q.a, q.n) == (2.0, 3) and tree_leaves(P(1.0, 3)) == [1.0]
    with pytest.raises(TypeError, match="required when nodetype is not a dataclass"):
        tree_util.register_dataclass(P)
    with pytest.raises(TypeError, match="must both be specified"):
        tree_util.register_dataclass(P, data_fields=["a"])
    with pytest.raises(ValueError, match="Missing fields: {'y'}"):
        tree_util.register_dataclass(_Scaled, data_fields=["x"], meta_fields=["op"])
    with pytest.raises(ValueError, match="Overlapping fields: {'y'}"):
        tree_util.register_dataclass(_Scaled, data_fields=["x", "y"], meta_fields=["op", "y"])


def test_treedef_methods_and_constructors():
    td = tree_structure({"a": [1, 2], "b": 3})
    assert td.children() == [tree_structure([1, 2]), tree_structure(3)]
    assert tree_util.treedef_children(td) == td.children()
    assert tree_structure((0, 0)).flatten_up_to(([1, 2], 3)) == [[1, 2], 3]
    both = tree_util.treedef_tuple([tree_structure([1]), tree_structure(2)])
    assert both == tree_structure(([1], 2))
    assert [tree_util.is_tree_node(t) for t in (list, dict, type(None), Point, int)] == [
        True, True, True, True, False]
    assert tree_util.all_leaves([1, 2.0]) and not tree_util.all_leaves([[1]])
    assert not tree_util.all_leaves([None])                     # None is a node
    assert tree_util.all_leaves([(1,)], is_leaf=lambda x: isinstance(x, tuple))
    children, aux = tree_util.flatten_one_level({"b": 1, "a": [2]})
    assert list(children) == [[2], 1] and aux == ("a", "b")
    with pytest.raises(ValueError, match="can't tree-flatten"):
        tree_util.flatten_one_level(1.0)


def test_tree_broadcast_and_reduce_associative():
    assert tree.broadcast(1, {"a": 0, "b": [0, 0]}) == {"a": 1, "b": [1, 1]}
    assert tree_util.tree_broadcast({"a": 1, "b": 2}, {"a": [0, 0], "b": (0, {"c": 0})}) == {
        "a": [1, 1], "b": (2, {"c": 2})}
    with pytest.raises(ValueError):
        tree_util.tree_broadcast([1, 2], [0, 0, 0])
    assert tree.reduce_associative(operator.add, [1, (2, 3), [4, 5, 6]]) == 21
    # pairwise order keeps a non-commutative associative operation right
    assert tree_util.tree_reduce_associative(operator.add, list("abcde")) == "abcde"
    assert tree.reduce_associative(operator.add, [], identity=0) == 0
    with pytest.raises(TypeError, match="Must specify identity"):
        tree.reduce_associative(operator.add, [])


def test_register_static_is_a_leafless_static_node():
    @tree_util.register_static
    class Cfg:
        def __init__(self, n):
            self.n = n

        def __hash__(self):
            return hash(self.n)

        def __eq__(self, other):
            return isinstance(other, Cfg) and other.n == self.n
    assert tree_leaves([Cfg(1), 2.0]) == [2.0]
    traces = []

    def f(x, c):
        traces.append(c.n)
        return lax.mul(x, float(c.n))
    jf = jaxlite.jit(f)
    np.testing.assert_allclose(jf(np.ones(2), Cfg(3)), [3.0, 3.0])
    np.testing.assert_allclose(jf(2 * np.ones(2), Cfg(3)), [6.0, 6.0])
    np.testing.assert_allclose(jf(np.ones(2), Cfg(4)), [4.0, 4.0])
    assert traces == [3, 4]


def test_dict_with_unorderable_keys_is_jaxs_value_error():
    with pytest.raises(ValueError, match="Comparator raised exception while sorting pytree "
                                         "dictionary keys") as info:
        tree_leaves({1: "a", "x": "b"})
    assert isinstance(info.value.__cause__, TypeError)
    assert tree_leaves({2: "b", 1: "a"}) == ["a", "b"]
