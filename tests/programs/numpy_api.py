"""Everyday jax.numpy, checked against numpy: contractions, scans, sorting, set ops, shapes, grids."""
import numpy as np

import jax
import jax.numpy as jnp

rng = np.random.default_rng(42)
A = rng.normal(size=(3, 4)).astype(np.float32)
B = rng.normal(size=(4, 5)).astype(np.float32)
T = rng.normal(size=(2, 3, 4)).astype(np.float32)
close = dict(rtol=1e-5, atol=1e-5)

# Contractions: einsum, tensordot, batched matmul with broadcasting.
np.testing.assert_allclose(jnp.einsum("ij,jk->ik", A, B), A @ B, **close)
np.testing.assert_allclose(jnp.einsum("bij,j->bi", T, B[:, 0]), np.einsum("bij,j->bi", T, B[:, 0]), **close)
np.testing.assert_allclose(jnp.einsum("ii->", A[:, :3]), np.trace(A[:, :3]), **close)
np.testing.assert_allclose(jnp.tensordot(T, B, axes=1), np.tensordot(T, B, axes=1), **close)
np.testing.assert_allclose(jnp.tensordot(T, T, axes=([1, 2], [1, 2])), np.tensordot(T, T, axes=([1, 2], [1, 2])), **close)
np.testing.assert_allclose(jnp.matmul(T, B), T @ B, **close)                  # (2,3,4) @ (4,5)
batch = rng.normal(size=(5, 1, 4, 2)).astype(np.float32)
np.testing.assert_allclose(jnp.matmul(T, batch), np.matmul(T, batch), **close)  # -> (5,2,3,2)
np.testing.assert_allclose(jnp.asarray(A) @ B[:, 1], A @ B[:, 1], **close)         # matrix @ vector

# Running totals, sorting and selection.
v = rng.integers(-5, 6, size=12).astype(np.float32)
np.testing.assert_allclose(jnp.cumsum(v), np.cumsum(v))
np.testing.assert_allclose(jnp.cumprod(jnp.arange(1, 7)), np.cumprod(np.arange(1, 7)))
np.testing.assert_allclose(jnp.cumsum(T, axis=1), np.cumsum(T, axis=1), **close)
np.testing.assert_array_equal(jnp.sort(v), np.sort(v))
np.testing.assert_array_equal(jnp.argsort(A, axis=1), np.argsort(A, axis=1, kind="stable"))
assert int(jnp.argmax(A)) == int(np.argmax(A))
np.testing.assert_array_equal(jnp.argmax(A, axis=0), np.argmax(A, axis=0))
order = jnp.argsort(A, axis=1)
np.testing.assert_array_equal(jnp.take_along_axis(jnp.asarray(A), order, axis=1), np.sort(A, axis=1))

# Out-of-range indices in take_along_axis fill with NaN by default (or clamp with mode="clip").
idx = jnp.array([[0], [3], [9]])
np.testing.assert_array_equal(jnp.take_along_axis(A, idx, axis=1)[:, 0], [A[0, 0], A[1, 3], np.nan])
np.testing.assert_array_equal(jnp.take_along_axis(A, idx, axis=1, mode="clip")[:, 0], [A[0, 0], A[1, 3], A[2, 3]])

# unique needs a static size under jit; the padding value fills the rest.
vals = np.array([3, 1, 3, 7, 1, 1])
np.testing.assert_array_equal(jnp.unique(vals), np.unique(vals))
u = jax.jit(lambda x: jnp.unique(x, size=5, fill_value=-1))(vals)
np.testing.assert_array_equal(u, [1, 3, 7, -1, -1])
u, counts = jnp.unique(vals, return_counts=True, size=3)
np.testing.assert_array_equal(counts, [3, 2, 1])

# where, joining and splitting, shapes.
np.testing.assert_allclose(jnp.where(A > 0, A, -1.0), np.where(A > 0, A, -1.0))
np.testing.assert_array_equal(jnp.concatenate([A, A[:1]], axis=0), np.concatenate([A, A[:1]]))
np.testing.assert_array_equal(jnp.stack([A, 2 * A], axis=-1), np.stack([A, 2 * A], axis=-1))
for got, want in zip(jnp.split(jnp.arange(10), [3, 7]), np.split(np.arange(10), [3, 7])):
    np.testing.assert_array_equal(got, want)
assert [p.shape for p in jnp.split(jnp.asarray(T), 2, axis=2)] == [(2, 3, 2), (2, 3, 2)]
np.testing.assert_array_equal(jnp.reshape(T, (6, -1)), T.reshape(6, -1))
np.testing.assert_array_equal(jnp.transpose(T, (2, 0, 1)), T.transpose(2, 0, 1))
np.testing.assert_array_equal(jnp.moveaxis(T, 0, -1), np.moveaxis(T, 0, -1))
np.testing.assert_array_equal(jnp.reshape(T, (4, 6), order="F"), T.reshape(4, 6, order="F"))
np.testing.assert_array_equal(jnp.ravel(A, order="F"), A.ravel(order="F"))
np.testing.assert_array_equal(jnp.pad(A, ((1, 0), (2, 1))), np.pad(A, ((1, 0), (2, 1))))
np.testing.assert_array_equal(jnp.pad(A, 1, mode="edge"), np.pad(A, 1, mode="edge"))
np.testing.assert_array_equal(jnp.pad(jnp.arange(4), 2, constant_values=9), np.pad(np.arange(4), 2, constant_values=9))
np.testing.assert_array_equal(jnp.clip(A, -0.5, 0.5), np.clip(A, -0.5, 0.5))

# Grids and binning.
np.testing.assert_allclose(jnp.linspace(0, 1, 7), np.linspace(0, 1, 7), rtol=1e-6)
np.testing.assert_allclose(jnp.linspace(0, 1, 4, endpoint=False), [0, 0.25, 0.5, 0.75])
np.testing.assert_array_equal(jnp.arange(2, 11, 3), np.arange(2, 11, 3))
X, Y = jnp.meshgrid(jnp.arange(3), jnp.arange(4))
Xn, Yn = np.meshgrid(np.arange(3), np.arange(4))
np.testing.assert_array_equal(X, Xn)
np.testing.assert_array_equal(Y, Yn)
Xi, _ = jnp.meshgrid(jnp.arange(3), jnp.arange(4), indexing="ij")
assert Xi.shape == (3, 4)
labels = np.array([0, 2, 2, 5, 1, 2])
np.testing.assert_array_equal(jnp.bincount(labels, length=8), np.bincount(labels, minlength=8))
np.testing.assert_allclose(jax.jit(lambda l: jnp.bincount(l, weights=jnp.ones(6) / 2, length=6))(labels),
                           np.bincount(labels, weights=np.ones(6) / 2, minlength=6))
data = rng.normal(size=200).astype(np.float32)
hist, edges = jnp.histogram(data, bins=5, range=(-2, 2))
hist_np, edges_np = np.histogram(data, bins=5, range=(-2, 2))
np.testing.assert_array_equal(hist, hist_np)
np.testing.assert_allclose(edges, edges_np, rtol=1e-6)

# Comparisons with tolerance.
a = jnp.array([1.0, 2.0, jnp.nan])
np.testing.assert_array_equal(jnp.isclose(a, a + 1e-7), [True, True, False])
np.testing.assert_array_equal(jnp.isclose(a, a, equal_nan=True), [True, True, True])
inf = jnp.array([jnp.inf, -jnp.inf, 1.0])
np.testing.assert_array_equal(jnp.isclose(inf, jnp.array([jnp.inf, jnp.inf, jnp.inf])),
                              np.isclose([np.inf, -np.inf, 1.0], [np.inf, np.inf, np.inf]))
assert bool(jnp.allclose(jnp.asarray(A), A + 1e-9))
assert not bool(jnp.allclose(jnp.asarray(A), A + 1e-2))
print("OK")
