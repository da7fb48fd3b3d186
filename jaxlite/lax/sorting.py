"""sort and argsort along one dimension; sort of several operands by
``num_keys`` of them (and sort_key_val), built from argsorts and gathers.

Both order NaN after every number, as numpy and JAX do; argsort is stable
(ties keep their index order, -0.0 ties with 0.0). sort's derivative moves
the tangent with the values (a gather by the argsort permutation); argsort's
output is integer, so it has none.
"""
import numpy as np

from jaxlite import core, dtypes
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.lax._rules import check_dtype, normalize_axis, standard_primitive
from jaxlite.lax import indexing, structural

__all__ = ["sort", "argsort", "sort_key_val"]


def _check(name, x, dimension):
    check_dtype(name, x, "bifc")    # complex: lexicographic, as numpy and JAX
    if not 0 <= dimension < x.ndim:
        raise ValueError(f"{name}: dimension {dimension} is out of bounds for an array of "
                         f"rank {x.ndim}{core.where_message()}")


def _sort_shape(x, dimension):
    _check("sort", x, dimension)
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _argsort_shape(x, dimension, index_dtype):
    _check("argsort", x, dimension)
    if np.dtype(index_dtype).kind not in "iu":
        raise TypeError(f"argsort: index_dtype must be an integer dtype, got "
                        f"{np.dtype(index_dtype).name}{core.where_message()}")
    return ShapedArray(x.shape, np.dtype(index_dtype))


sort_p = standard_primitive("sort", lambda x, dimension: np.sort(x, axis=dimension,
                                                                  kind="stable"),
                            _sort_shape, kind=core.KERNEL, cost=core.COSTLY)
argsort_p = standard_primitive(
    "argsort", lambda x, dimension, index_dtype:
    np.argsort(x, axis=dimension, kind="stable").astype(index_dtype), _argsort_shape,
    kind=core.KERNEL, cost=core.COSTLY)


def _take_along(t, perm, dimension):
    """``t`` reordered along ``dimension`` by ``perm`` (same shapes): a gather
    whose index vectors are ``perm`` on that dimension and iotas elsewhere."""
    shape = core.get_aval(perm).shape
    dt = core.get_aval(perm).dtype
    cols = []
    for d, n in enumerate(shape):
        if d == dimension:
            col = perm
        else:
            grid = np.arange(n, dtype=dt).reshape([-1 if k == d else 1 for k in range(len(shape))])
            col = np.broadcast_to(grid, shape)
        cols.append(structural.reshape(col, shape + (1,)))
    index = cols[0] if len(cols) == 1 else structural.concatenate(cols, len(shape))
    return indexing.gather(t, index, tuple(range(len(shape))))


def _sort_jvp(primals, tangents, dimension):
    (x,), (t,) = primals, tangents
    out = sort(x, dimension)
    if type(t) is ad.Zero:
        return out, t
    return out, _take_along(t, argsort(x, dimension), dimension)


ad.jvp_rules[sort_p] = _sort_jvp
ad.defjvp_zero(argsort_p)


def _batch(prim):
    def rule(axis_size, vals, dims, **params):
        (x,), (d,) = vals, dims
        dim = params["dimension"]
        params = dict(params, dimension=dim + (d <= dim))
        return core.bind(prim, x, **params), d
    return rule


batching.batch_rules[sort_p] = _batch(sort_p)
batching.batch_rules[argsort_p] = _batch(argsort_p)


def sort(operand, dimension=-1, is_stable=True, num_keys=1):
    """``operand`` sorted along ``dimension`` (NaN last). As JAX, ``operand``
    may be a sequence of same-shape arrays: all are reordered by the
    lexicographic order of the first ``num_keys`` of them, and a tuple is
    returned. jaxlite's sort is always stable, so ``is_stable`` changes nothing."""
    if not isinstance(operand, (tuple, list)):
        if num_keys != 1:
            raise ValueError(f"sort: num_keys={num_keys} needs a sequence of at least "
                             f"{num_keys} operands{core.where_message()}")
        ndim = core.get_aval(operand).ndim
        return core.bind(sort_p, operand,
                         dimension=normalize_axis(dimension, ndim, "dimension"))
    ops = list(operand)
    if not 1 <= num_keys <= len(ops):
        raise ValueError(f"sort: num_keys must be between 1 and the number of operands "
                         f"({len(ops)}), got {num_keys}{core.where_message()}")
    shapes = [core.get_aval(o).shape for o in ops]
    if any(s != shapes[0] for s in shapes):
        raise TypeError(f"sort: all operands must have the same shape, got {shapes}"
                        f"{core.where_message()}")
    dim = normalize_axis(dimension, len(shapes[0]), "dimension")
    if len(ops) == 1:
        return (sort(ops[0], dim),)
    perm = _lexicographic_argsort(ops[:num_keys], dim)
    return tuple(_take_along(o, perm, dim) for o in ops)


def _lexicographic_argsort(keys, dimension):
    """The stable permutation ordering ``keys`` lexicographically: stable
    argsorts from the last key to the first (least significant first)."""
    perm = argsort(keys[-1], dimension)
    for k in reversed(keys[:-1]):
        perm = _take_along(perm, argsort(_take_along(k, perm, dimension), dimension),
                           dimension)
    return perm


def sort_key_val(keys, values, dimension=-1, is_stable=True):
    """``(keys sorted, values in the keys' order)`` along ``dimension``."""
    return sort((keys, values), dimension, is_stable, num_keys=1)


def argsort(operand, dimension=-1, index_dtype=np.int32):
    """The stable permutation sorting ``operand`` along ``dimension`` (NaN last)."""
    ndim = core.get_aval(operand).ndim
    return core.bind(argsort_p, operand, dimension=normalize_axis(dimension, ndim, "dimension"),
                     index_dtype=dtypes.canonicalize(index_dtype, "argsort index_dtype"))
