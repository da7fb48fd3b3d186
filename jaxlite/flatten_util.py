"""jaxlite.flatten_util.ravel_pytree: a pytree of arrays as one flat vector.

The vector's dtype is the promotion of every leaf's dtype (weak Python scalars
included); ``unravel`` splits a vector of that dtype and shape back into the
tree, casting each piece to its leaf's original dtype. Both directions are
built from jaxlite.numpy, so they differentiate, vmap and jit.
"""
import numpy as np

from jaxlite import core, numpy as jnp, tree_util

__all__ = ["ravel_pytree"]


def ravel_pytree(pytree):
    """``(flat, unravel)``: the leaves raveled and concatenated, and the inverse."""
    leaves, treedef = tree_util.tree_flatten(pytree)
    flat, unravel_list = _ravel_list(leaves)
    return flat, lambda v: tree_util.tree_unflatten(treedef, unravel_list(v))


def _ravel_list(leaves):
    if not leaves:
        return jnp.zeros(0, jnp.float32), lambda v: []
    arrays = [jnp.asarray(x) for x in leaves]
    to_dtype = jnp.result_type(*leaves)
    shapes = [a.shape for a in arrays]
    dtypes = [a.dtype for a in arrays]
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    flat = jnp.concatenate([jnp.ravel(a).astype(to_dtype) for a in arrays])
    total = sum(sizes)

    def unravel(v):
        aval = core.get_aval(v)
        if aval.shape != (total,):
            raise ValueError(f"The unravel function expected an array of shape {(total,)}, "
                             f"got shape {aval.shape}.")
        if aval.dtype != to_dtype:
            raise TypeError(f"unravel function given array of dtype {aval.dtype}, but "
                            f"expected dtype {to_dtype}")
        pieces, start = [], 0
        for shape, dt, n in zip(shapes, dtypes, sizes):
            pieces.append(jnp.reshape(v[start:start + n], shape).astype(dt))
            start += n
        return pieces
    return flat, unravel
