"""Pytrees: tree_map over nested containers, flatten/unflatten, custom nodes
(register_pytree_node_class, register_pytree_node, register_dataclass) through
jit/grad/vmap, None leaves, is_leaf, and ravel_pytree."""
import dataclasses

import numpy as np

import jax
import jax.numpy as jnp
from jax import tree_util
from jax.flatten_util import ravel_pytree

params = {"layers": [(jnp.ones((2, 3)), jnp.zeros(3)), (2.0 * jnp.ones((3, 1)), jnp.ones(1))],
          "scale": jnp.float32(0.5)}
leaves = jax.tree_util.tree_leaves(params)
assert len(leaves) == 5
assert [np.shape(l) for l in leaves] == [(2, 3), (3,), (3, 1), (1,), ()]   # dict keys sorted
doubled = jax.tree_util.tree_map(lambda p: 2 * p, params)
np.testing.assert_allclose(doubled["layers"][1][0], 4.0 * np.ones((3, 1)))
assert isinstance(doubled["layers"], list) and isinstance(doubled["layers"][0], tuple)
summed = tree_util.tree_map(lambda a, b: a + b, params, doubled)
np.testing.assert_allclose(summed["scale"], 1.5)

flat, treedef = tree_util.tree_flatten(params)
assert treedef.num_leaves == 5 and treedef == tree_util.tree_structure(params)
rebuilt = tree_util.tree_unflatten(treedef, [l + 1 for l in flat])
np.testing.assert_allclose(rebuilt["layers"][0][1], np.ones(3))
assert tree_util.tree_structure(rebuilt) == treedef
assert tree_util.tree_structure((1, [2, 3])) != tree_util.tree_structure((1, (2, 3)))

# None is an empty subtree, not a leaf
with_none = {"a": 1.0, "b": None, "c": [None, 2.0]}
assert tree_util.tree_leaves(with_none) == [1.0, 2.0]
mapped = tree_util.tree_map(lambda x: x * 10, with_none)
assert mapped == {"a": 10.0, "b": None, "c": [None, 20.0]}

# is_leaf stops the recursion: treat each (W, b) pair as one leaf
counts = tree_util.tree_map(lambda wb: wb[0].size + wb[1].size, params["layers"],
                            is_leaf=lambda n: isinstance(n, tuple))
assert counts == [9, 4]


@tree_util.register_pytree_node_class
class Affine:
    def __init__(self, w, b):
        self.w, self.b = w, b

    def __call__(self, x):
        return x @ self.w + self.b

    def tree_flatten(self):
        return (self.w, self.b), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


class Point:
    def __init__(self, x, y, label):
        self.x, self.y, self.label = x, y, label


tree_util.register_pytree_node(Point, lambda p: ((p.x, p.y), p.label),
                               lambda label, xy: Point(*xy, label))

layer = Affine(jnp.array([[1.0, 2.0], [3.0, 4.0]]), jnp.array([0.5, -0.5]))
xb = jnp.array([[1.0, 1.0], [2.0, 0.0], [0.0, 3.0]])
loss = lambda m, x: jnp.sum(m(x) ** 2)
g = jax.jit(jax.grad(loss))(layer, xb)
assert isinstance(g, Affine)
out = np.asarray(xb) @ np.asarray(layer.w) + np.asarray(layer.b)
np.testing.assert_allclose(g.w, 2 * np.asarray(xb).T @ out, rtol=1e-6)
np.testing.assert_allclose(g.b, 2 * out.sum(0), rtol=1e-6)
per_row = jax.vmap(lambda m, x: m(x), in_axes=(None, 0))(layer, xb)
np.testing.assert_allclose(per_row, out, rtol=1e-6)

pts = Point(jnp.array([1.0, 2.0, 3.0]), jnp.array([4.0, 5.0, 6.0]), "triangle")
norms = jax.vmap(lambda p: jnp.hypot(p.x, p.y))(pts)
np.testing.assert_allclose(norms, np.hypot([1, 2, 3], [4, 5, 6]), rtol=1e-6)
shifted = jax.jit(lambda p: Point(p.x + 1, p.y * 2, p.label))(pts)
assert isinstance(shifted, Point) and shifted.label == "triangle"
np.testing.assert_allclose(shifted.y, [8.0, 10.0, 12.0])
gp = jax.grad(lambda p: jnp.sum(p.x * p.y))(pts)
np.testing.assert_allclose(gp.x, pts.y)
np.testing.assert_allclose(gp.y, pts.x)
assert gp.label == "triangle"



@jax.tree_util.register_dataclass
@dataclasses.dataclass
class Gaussian:
    mu: jax.Array
    log_sigma: jax.Array
    name: str = dataclasses.field(default="g", metadata=dict(static=True))


def nll(dist, x):   # negative log-likelihood, without the constant
    return jnp.sum(dist.log_sigma + 0.5 * ((x - dist.mu) / jnp.exp(dist.log_sigma)) ** 2)


dist = Gaussian(jnp.array([0.0, 1.0]), jnp.array([0.0, np.log(2.0)]))
obs = jnp.array([1.0, 3.0])
assert len(jax.tree_util.tree_leaves(dist)) == 2       # the static name is not a leaf
gd = jax.jit(jax.grad(nll))(dist, obs)
assert isinstance(gd, Gaussian) and gd.name == "g"
np.testing.assert_allclose(gd.mu, [-1.0, -0.5], rtol=1e-6)        # -(x - mu) / sigma^2
np.testing.assert_allclose(gd.log_sigma, [0.0, 0.0], atol=1e-6)   # 1 - (x - mu)^2 / sigma^2

# ravel_pytree: one flat vector and a function back
vec, unravel = ravel_pytree(params)
assert vec.shape == (6 + 3 + 3 + 1 + 1,)
np.testing.assert_allclose(vec, np.concatenate([np.ravel(l) for l in leaves]))
back = unravel(vec * 3)
np.testing.assert_allclose(back["layers"][0][0], 3 * np.ones((2, 3)))
assert tree_util.tree_structure(back) == treedef
print("OK")
