"""jaxlite.ops: JAX's segment reductions (``jax.ops.segment_sum`` and friends).

``out[s]`` reduces the rows ``data[i]`` with ``segment_ids[i] == s``; a segment
with no rows holds the reduction's identity (0, 1, -inf/+inf or the integer
extremes); ids outside ``[0, num_segments)`` are dropped. Each is a scatter
(``.at[ids].add/mul/max/min``), so grad, vmap and jit follow from it.
"""
import numpy as np

from jaxlite import core
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util

__all__ = ["segment_sum", "segment_prod", "segment_max", "segment_min"]


def _num_segments(segment_ids, num_segments):
    if num_segments is not None:
        return util.operator_index(num_segments, "num_segments")
    if isinstance(segment_ids, core.Tracer):
        raise core.ConcretizationTypeError(
            "segment reductions need a static num_segments when segment_ids is traced "
            f"(under jit, pass num_segments=...){core.where_message()}")
    ids = np.asarray(segment_ids)
    return int(ids.max()) + 1 if ids.size else 0


def _segment(name, what, method, identity):
    def reduce(data, segment_ids, num_segments=None, indices_are_sorted=False,
               unique_indices=False, bucket_size=None, mode=None):
        del indices_are_sorted, unique_indices, bucket_size     # hints to XLA only
        data = util.as_operand(data)
        n = _num_segments(segment_ids, num_segments)
        aval = util.aval(data)
        init = jnp.full((n,) + aval.shape[1:], identity(aval.dtype), aval.dtype)
        ids = util.as_operand(segment_ids)
        if mode in (None, "drop", "fill"):
            # A negative id is out of range, not an index from the end as in .at[]
            ids = jnp.where(jnp.less(ids, 0), n, ids)
        return getattr(init.at[ids], method)(data, mode=mode or "drop")
    reduce.__name__ = name
    reduce.__doc__ = f"The {what} of ``data``'s rows per segment id (see the module docstring)."
    return reduce


def _extreme(dt, lowest):
    if dt.kind == "f":
        return -np.inf if lowest else np.inf
    if dt.kind == "b":
        return not lowest
    info = np.iinfo(dt)
    return info.min if lowest else info.max


segment_sum = _segment("segment_sum", "sum", "add", lambda dt: 0)
segment_prod = _segment("segment_prod", "product", "multiply", lambda dt: 1)
segment_max = _segment("segment_max", "maximum", "max", lambda dt: _extreme(dt, lowest=True))
segment_min = _segment("segment_min", "minimum", "min", lambda dt: _extreme(dt, lowest=False))
