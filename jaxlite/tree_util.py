"""Pytrees: nested containers of leaves, flattened to lists and rebuilt.

Containers: tuple, list, dict (sorted keys), OrderedDict (insertion order),
defaultdict, namedtuple, None (no leaves), ``Partial``, and any type registered
with ``register_pytree_node``, ``register_pytree_node_class`` or
``register_dataclass``.
"""
import collections
import dataclasses
import functools

_registry = {}   # type -> (flatten(x) -> (children, aux), unflatten(aux, children) -> x)


def register_pytree_node(nodetype, flatten_func, unflatten_func):
    """Register ``nodetype`` as a container: ``flatten_func(x) -> (children, aux)``,
    ``unflatten_func(aux, children) -> x``."""
    _registry[nodetype] = (flatten_func, unflatten_func)


def _sorted_keys(d):
    try:
        return tuple(sorted(d))
    except TypeError as e:     # keys of mixed types: JAX's ValueError, the cause kept
        raise ValueError("Comparator raised exception while sorting pytree dictionary "
                         "keys.") from e


def _flatten_dict(d):
    keys = _sorted_keys(d)
    return [d[k] for k in keys], keys


register_pytree_node(tuple, lambda t: (t, None), lambda _, c: tuple(c))
register_pytree_node(list, lambda l: (l, None), lambda _, c: list(c))
register_pytree_node(dict, _flatten_dict, lambda keys, c: dict(zip(keys, c)))
register_pytree_node(type(None), lambda _: ((), None), lambda _, c: None)
# As in JAX: an OrderedDict keeps its insertion order (the order is the point of
# using one); a defaultdict sorts its keys like a dict and keeps its factory.
register_pytree_node(
    collections.OrderedDict,
    lambda d: (list(d.values()), tuple(d)),
    lambda keys, c: collections.OrderedDict(zip(keys, c)))
register_pytree_node(
    collections.defaultdict,
    lambda d: ([d[k] for k in sorted(d)], (d.default_factory, tuple(sorted(d)))),
    lambda aux, c: collections.defaultdict(aux[0], zip(aux[1], c)))


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _node_handler(x):
    t = type(x)
    if t in _registry:
        return t, _registry[t]
    if _is_namedtuple(x):
        return t, (lambda nt: (tuple(nt), None), lambda _, c, t=t: t(*c))
    return None, None


class PyTreeDef:
    """The structure of a pytree: a node type, its aux data and child defs."""
    __slots__ = ("node_type", "aux", "_children", "num_leaves", "_hash")

    def __init__(self, node_type, aux, children):
        self.node_type, self.aux, self._children = node_type, aux, tuple(children)
        self.num_leaves = 1 if node_type is None else sum(c.num_leaves for c in children)
        self._hash = hash((node_type, _hashable(aux), self._children))

    def __eq__(self, other):
        return (isinstance(other, PyTreeDef) and self.node_type is other.node_type
                and self.aux == other.aux and self._children == other._children)

    def __hash__(self):
        return self._hash

    @property
    def num_nodes(self):
        return 1 + sum(c.num_nodes for c in self._children)

    def __repr__(self):
        return f"PyTreeDef({self._pp()})"

    def _pp(self):
        if self.node_type is None:
            return "*"
        kids = [c._pp() for c in self._children]
        if self.node_type is tuple:
            return "(" + ", ".join(kids) + ("," if len(kids) == 1 else "") + ")"
        if self.node_type is list:
            return "[" + ", ".join(kids) + "]"
        if self.node_type is dict:
            return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.aux, kids)) + "}"
        if self.node_type is type(None):
            return "None"
        return f"{self.node_type.__name__}[{self.aux!r}](" + ", ".join(kids) + ")"

    def unflatten(self, leaves):
        return tree_unflatten(self, leaves)

    def children(self):
        """The treedefs of the root's children (a method, as JAX's)."""
        return list(self._children)

    def flatten_up_to(self, tree):
        return flatten_up_to(self, tree)


def _hashable(aux):
    try:
        hash(aux)
        return aux
    except TypeError:
        return repr(aux)


_LEAF = PyTreeDef(None, None, ())


def tree_flatten(tree, is_leaf=None):
    """``(leaves, treedef)`` of ``tree``."""
    leaves = []
    treedef = _flatten(tree, leaves, is_leaf)
    return leaves, treedef


def _flatten(x, leaves, is_leaf):
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    node_type, handler = _node_handler(x)
    if handler is None:
        leaves.append(x)
        return _LEAF
    children, aux = handler[0](x)
    return PyTreeDef(node_type, aux, [_flatten(c, leaves, is_leaf) for c in children])


def tree_unflatten(treedef, leaves):
    leaves = list(leaves)
    if len(leaves) != treedef.num_leaves:
        raise ValueError(f"tree {treedef} expects {treedef.num_leaves} leaves, "
                         f"got {len(leaves)}")
    it = iter(leaves)
    return _unflatten(treedef, it)


def _unflatten(treedef, it):
    if treedef.node_type is None:
        return next(it)
    children = [_unflatten(c, it) for c in treedef._children]
    t = treedef.node_type
    if t in _registry:
        return _registry[t][1](treedef.aux, children)
    return t(*children)   # namedtuple


def tree_leaves(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[1]


def tree_map(f, tree, *rest, is_leaf=None):
    """Apply ``f`` leafwise over one or more trees. Each tree of ``rest`` has the
    structure of ``tree`` or extends it: where ``tree`` has a leaf, ``f`` gets the
    whole corresponding subtree (as JAX's tree_map)."""
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [flatten_up_to(treedef, r) for r in rest]
    return tree_unflatten(treedef, [f(*xs) for xs in zip(leaves, *others)])


def flatten_up_to(treedef, tree):
    """The subtrees of ``tree`` at the leaves of ``treedef`` (a prefix of its structure)."""
    out = []
    _up_to(treedef, tree, out, treedef, tree)
    return out


def _up_to(treedef, x, out, whole_def, whole):
    if treedef.node_type is None:
        out.append(x)
        return
    node_type, handler = _node_handler(x)
    children, aux = handler[0](x) if handler is not None else ((), None)
    if (node_type is not treedef.node_type or aux != treedef.aux
            or len(children) != len(treedef._children)):
        raise ValueError(f"tree_map: trees have different structures: {whole_def} vs "
                         f"{tree_structure(whole)} (each further tree must have the first "
                         f"one's structure, or extend it at its leaves)")
    for c_def, c in zip(treedef._children, children):
        _up_to(c_def, c, out, whole_def, whole)


def treedef_is_leaf(treedef):
    return treedef.node_type is None


def treedef_children(treedef):
    return treedef.children()


def treedef_tuple(treedefs):
    """The treedef of a tuple whose children have the structures ``treedefs``."""
    return PyTreeDef(tuple, None, list(treedefs))


def is_tree_node(typ):
    """True for a container type (registered, or a namedtuple)."""
    return typ in _registry or (isinstance(typ, type) and issubclass(typ, tuple)
                                and hasattr(typ, "_fields"))


def all_leaves(iterable, is_leaf=None):
    """True when every item of ``iterable`` is a leaf (None is not: it is an
    empty container)."""
    items = list(iterable)
    leaves = tree_leaves(items, is_leaf)
    return len(leaves) == len(items) and all(a is b for a, b in zip(items, leaves))


def flatten_one_level(tree):
    """``(children, aux)`` of one container node (ValueError for a leaf)."""
    handler = _node_handler(tree)[1]
    if handler is None:
        raise ValueError(f"can't tree-flatten type: {type(tree)}")
    return handler[0](tree)


def tree_broadcast(prefix_tree, full_tree, is_leaf=None):
    """``full_tree``'s structure with each leaf of ``prefix_tree`` repeated over
    the corresponding subtree."""
    leaves = []
    tree_map(lambda x, sub: leaves.extend([x] * tree_structure(sub).num_leaves),
             prefix_tree, full_tree, is_leaf=is_leaf)
    return tree_unflatten(tree_structure(full_tree), leaves)


def tree_all(tree, *, is_leaf=None):
    """True when every leaf of ``tree`` is truthy (an empty tree is all-true)."""
    return all(tree_leaves(tree, is_leaf))


_NO_INITIAL = object()


def tree_reduce(function, tree, initializer=_NO_INITIAL, is_leaf=None):
    """``functools.reduce(function, leaves)``, starting from ``initializer`` if given."""
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _NO_INITIAL:
        if not leaves:
            raise TypeError("tree_reduce() of an empty tree with no initializer")
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_reduce_associative(operation, tree, *, identity=_NO_INITIAL, is_leaf=None):
    """Reduce the leaves with an associative ``operation``, pairwise (log depth);
    ``identity`` is the result for an empty tree."""
    seq = tree_leaves(tree, is_leaf)
    if not seq:
        if identity is _NO_INITIAL:
            raise TypeError("Must specify identity for parallel reduction of empty sequence.")
        return identity
    while len(seq) > 1:
        pairs = [operation(a, b) for a, b in zip(seq[0::2], seq[1::2])]
        seq = pairs + seq[len(pairs) * 2:]
    return seq[0]


def treedef_compose(outer, inner):
    """The structure of ``outer`` with a tree of structure ``inner`` at each leaf."""
    leaf = object()      # a placeholder that every handler treats as a leaf
    inner_tree = tree_unflatten(inner, [leaf] * inner.num_leaves)
    return tree_structure(tree_unflatten(outer, [inner_tree] * outer.num_leaves))


def tree_transpose(outer_treedef, inner_treedef, pytree_to_transpose):
    """Turn an ``outer`` tree of ``inner`` trees into an ``inner`` tree of ``outer``
    trees (a list of dicts into a dict of lists, say)."""
    flat, treedef = tree_flatten(pytree_to_transpose)
    expected = treedef_compose(outer_treedef, inner_treedef)
    if treedef != expected:
        raise TypeError(f"tree_transpose: the tree has structure {treedef}, expected "
                        f"{expected} (outer {outer_treedef} with inner {inner_treedef} "
                        f"at each leaf)")
    n_in = inner_treedef.num_leaves
    rows = [flat[i * n_in:(i + 1) * n_in] for i in range(outer_treedef.num_leaves)]
    columns = [tree_unflatten(outer_treedef, col) for col in zip(*rows)] if rows else \
        [tree_unflatten(outer_treedef, []) for _ in range(n_in)]
    return tree_unflatten(inner_treedef, columns)


def register_static(cls):
    """Register ``cls`` as a pytree with no leaves: its instances are aux data,
    static under jit (so they must be hashable). Returns ``cls``."""
    register_pytree_with_keys(cls, lambda x: ((), x), lambda x, _: x)
    return cls


def register_pytree_node_class(cls):
    """Class decorator: ``cls.tree_flatten(self) -> (children, aux)`` and the
    classmethod ``cls.tree_unflatten(aux, children)`` make ``cls`` a container."""
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


class Partial(functools.partial):
    """A ``functools.partial`` that is a pytree: the bound arguments are its
    children and the function its aux data, so it can be passed through jit
    and transformed like any other container of arrays."""

    def __new__(cls, func, *args, **kw):
        # Partial(Partial(f, a), b) flattens to Partial(f, a, b) as functools.partial
        # does, but a plain functools.partial's arguments stay hidden in the function.
        if isinstance(func, Partial):
            return super().__new__(cls, func.func, *func.args, *args,
                                   **{**func.keywords, **kw})
        return super().__new__(cls, func, *args, **kw)


register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, children: Partial(func, *children[0], **children[1]))


def flatten_prefix(prefix, tree, what="in_axes"):
    """Broadcast a pytree ``prefix`` of ``tree`` to one value per leaf of ``tree``.

    A leaf of ``prefix`` (including None) applies to a whole subtree of ``tree``.
    """
    out = []
    _prefix(prefix, tree, out, what)
    return out


def _prefix(prefix, tree, out, what):
    node_type, handler = _node_handler(prefix)
    if handler is None or prefix is None:
        out.extend([prefix] * len(tree_leaves(tree)))
        return
    t_type, t_handler = _node_handler(tree)
    p_children, p_aux = handler[0](prefix)
    if t_handler is None or t_type is not node_type:
        raise ValueError(f"{what} specification must be a tree prefix of the "
                         f"corresponding value, got specification {prefix!r} "
                         f"for value tree {tree_structure(tree)}")
    t_children, t_aux = t_handler[0](tree)
    if len(p_children) != len(t_children) or p_aux != t_aux:
        raise ValueError(f"{what} specification must be a tree prefix of the "
                         f"corresponding value, got specification {prefix!r} "
                         f"for value tree {tree_structure(tree)}")
    for p, t in zip(p_children, t_children):
        _prefix(p, t, out, what)



# ------------------------------------------------------------------ key paths
# A leaf's key path is the tuple of keys leading to it from the root: DictKey for
# dict entries, SequenceKey for tuple/list items, GetAttrKey for namedtuple fields,
# and FlattenedIndexKey (the child's position) for custom nodes registered
# without keys.

class _Key:
    __slots__ = ()
    _field = ""

    def __init__(self, value):
        object.__setattr__(self, self._field, value)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _value(self):
        return getattr(self, self._field)

    def __eq__(self, other):
        return type(other) is type(self) and other._value() == self._value()

    def __hash__(self):
        return hash((type(self).__name__, self._value()))

    def __repr__(self):
        return f"{type(self).__name__}({self._field}={self._value()!r})"


class DictKey(_Key):
    """The key of a dict entry; prints as ``['name']``."""
    __slots__ = ("key",)
    _field = "key"

    def __str__(self):
        return f"[{self.key!r}]"


class SequenceKey(_Key):
    """The index of a tuple or list item; prints as ``[0]``."""
    __slots__ = ("idx",)
    _field = "idx"

    def __str__(self):
        return f"[{self.idx}]"


class GetAttrKey(_Key):
    """An attribute (a namedtuple field, say); prints as ``.name``."""
    __slots__ = ("name",)
    _field = "name"

    def __str__(self):
        return f".{self.name}"


class FlattenedIndexKey(_Key):
    """The child's position among a custom node's children."""
    __slots__ = ("key",)
    _field = "key"

    def __str__(self):
        return f"[<flat index {self.key}>]"


_key_registry = {}   # type -> flatten_with_keys(x) -> ([(key, child), ...], aux)


def register_pytree_with_keys(nodetype, flatten_with_keys, unflatten_func, flatten_func=None):
    """Register ``nodetype`` as a container whose children carry keys:
    ``flatten_with_keys(x) -> ([(key, child), ...], aux)``."""
    if flatten_func is None:
        def flatten_func(x):
            pairs, aux = flatten_with_keys(x)
            return [c for _, c in pairs], aux
    register_pytree_node(nodetype, flatten_func, unflatten_func)
    _key_registry[nodetype] = flatten_with_keys


def register_pytree_with_keys_class(cls):
    """Class decorator: ``cls.tree_flatten_with_keys(self)`` and the classmethod
    ``cls.tree_unflatten(aux, children)``."""
    flatten = getattr(cls, "tree_flatten", None)
    register_pytree_with_keys(cls, lambda x: x.tree_flatten_with_keys(), cls.tree_unflatten,
                              (lambda x: x.tree_flatten()) if flatten else None)
    return cls


def register_dataclass(nodetype, data_fields=None, meta_fields=None, drop_fields=()):
    """Register a dataclass-like ``nodetype``: ``data_fields`` are its children,
    ``meta_fields`` its static aux data (compared and hashed by ``jit``); both
    default, for a dataclass, to its fields split by ``field(metadata={"static": True})``.
    Returns ``nodetype``, so it works as a decorator."""
    if data_fields is None or meta_fields is None:
        if (data_fields is None) != (meta_fields is None):
            raise TypeError(f"register_dataclass: data_fields and meta_fields must both be "
                            f"specified when either is specified. Got {data_fields=} "
                            f"{meta_fields=}.")
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError(f"register_dataclass: data_fields and meta_fields are required "
                            f"when nodetype is not a dataclass. Got {nodetype=}.")
        fields = dataclasses.fields(nodetype)
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
    data_fields, meta_fields = tuple(data_fields), tuple(meta_fields)
    _check_dataclass_fields(nodetype, data_fields, meta_fields, drop_fields)

    def flatten_with_keys(x):
        return ([(GetAttrKey(n), getattr(x, n)) for n in data_fields],
                tuple(getattr(x, n) for n in meta_fields))

    def unflatten(meta, data):
        return nodetype(**dict(zip(meta_fields, meta)), **dict(zip(data_fields, data)))

    register_pytree_with_keys(nodetype, flatten_with_keys, unflatten,
                              lambda x: ([getattr(x, n) for n in data_fields],
                                         tuple(getattr(x, n) for n in meta_fields)))
    return nodetype


def _check_dataclass_fields(nodetype, data_fields, meta_fields, drop_fields):
    # JAX's checks and messages: unflattening calls nodetype(**fields), so the
    # fields must be exactly the constructor's.
    if dataclasses.is_dataclass(nodetype):
        init_fields = {f.name for f in dataclasses.fields(nodetype) if f.init}
        init_fields.difference_update(drop_fields)
        if {*meta_fields, *data_fields} != init_fields:
            msg = ("data_fields and meta_fields must include all dataclass fields with"
                   " ``init=True`` and only them.")
            if missing := init_fields - {*meta_fields, *data_fields}:
                msg += (f" Missing fields: {missing}. Add them to drop_fields to suppress"
                        f" this error.")
            if unexpected := {*meta_fields, *data_fields} - init_fields:
                msg += f" Unexpected fields: {unexpected}."
            raise ValueError(msg)
    if overlap := set(data_fields) & set(meta_fields):
        raise ValueError(f"data_fields and meta_fields must not overlap. Overlapping fields:"
                         f" {overlap}.")


def _child_keys(x, node_type, children, aux):
    if node_type in _key_registry:
        return [k for k, _ in _key_registry[node_type](x)[0]]
    if node_type in (tuple, list):
        return [SequenceKey(i) for i in range(len(children))]
    if node_type is dict or node_type is collections.OrderedDict:
        return [DictKey(k) for k in aux]
    if node_type is collections.defaultdict:
        return [DictKey(k) for k in aux[1]]
    if _is_namedtuple(x):
        return [GetAttrKey(f) for f in type(x)._fields]
    return [FlattenedIndexKey(i) for i in range(len(children))]


def flatten_one_level_with_keys(tree):
    """``([(key, child), ...], aux)`` of one container node (ValueError for a leaf)."""
    node_type, handler = _node_handler(tree)
    if handler is None:
        raise ValueError(f"can't flatten one level of a leaf: {tree!r}")
    children, aux = handler[0](tree)
    return list(zip(_child_keys(tree, node_type, children, aux), children)), aux


def tree_flatten_with_path(tree, is_leaf=None, is_leaf_takes_path=False):
    """``([(key_path, leaf), ...], treedef)``."""
    pairs = []
    treedef = _flatten_with_path(tree, (), pairs, is_leaf, is_leaf_takes_path)
    return pairs, treedef


def _flatten_with_path(x, path, pairs, is_leaf, takes_path):
    if is_leaf is not None and (is_leaf(path, x) if takes_path else is_leaf(x)):
        pairs.append((path, x))
        return _LEAF
    node_type, handler = _node_handler(x)
    if handler is None:
        pairs.append((path, x))
        return _LEAF
    children, aux = handler[0](x)
    keys = _child_keys(x, node_type, children, aux)
    return PyTreeDef(node_type, aux, [_flatten_with_path(c, path + (k,), pairs, is_leaf,
                                                         takes_path)
                                      for k, c in zip(keys, children)])


def tree_leaves_with_path(tree, is_leaf=None, is_leaf_takes_path=False):
    return tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def tree_map_with_path(f, tree, *rest, is_leaf=None, is_leaf_takes_path=False):
    """``f(key_path, leaf, *others)`` leafwise, as tree_map."""
    pairs, treedef = tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    others = [flatten_up_to(treedef, r) for r in rest]
    return tree_unflatten(treedef, [f(p, x, *xs) for (p, x), *xs in zip(pairs, *others)])


def keystr(keys, *, simple=False, separator=""):
    """A key path as text: ``['a'][0].b``, or with ``simple=True`` just the keys
    joined by ``separator`` (``a/0/b`` with ``separator='/'``)."""
    if not simple:
        return separator.join(str(k) for k in keys)
    return separator.join(str(k._value()) if isinstance(k, _Key) else str(k) for k in keys)
