"""Row groups: kernels that run one row at a time inside one row loop.

Softmax, logsumexp and layer norm go over each row several times: a max
(or a mean), then values computed from the row and that result, then a sum
of those. As separate kernels, each row comes from memory once per kernel
and the threads meet once per kernel. When every later kernel reads the
earlier results only at its own row, they can all run row by row inside one
loop over the rows: the row stays in cache between the passes and there is
one parallel region instead of several.

A group starts with a row reduction (a reduction of each output element over
trailing input dimensions, accumulated in a register); later members are row
reductions over the same output rows, or elementwise loops whose output is
those rows followed by more dimensions. ``chain`` forms groups after fusion
and reduction planning; the last member hosts the others as its ``prelude``
and ``kernels.emit_row_group`` emits them. Each member stores its result,
later members load it at the same row, so what must be proved is that every
index a member reads an earlier result at is its own row (``_aligned``). A
result no other kernel reads needs only its current row: it lives in a small
buffer on the kernel's stack (``row_buffer``), not in an array.
"""
import math

from jaxlite import core

__all__ = ["chain", "group_rows", "row_length"]

# Index maps whose effect on a row-aligned value is followed exactly; any
# other primitive reading one (a slice, a transpose, a gather) stops the chain.
_UNIT_RESHAPES = ("reshape", "squeeze")


# A member whose result only later members read keeps one row of it in a
# stack buffer of the kernel, up to this many bytes, instead of a full array.
ROW_BUFFER_BYTES = 32 << 10


def chain(kernels, out_set=(), aliases=None):
    """Merge consecutive kernels into row groups: a row reduction starts one
    (its output shape is the group's ``rows``); a later row reduction over the
    same rows, or an elementwise loop whose output is those rows followed by
    more dimensions, joins when it reads every earlier member's result at its
    own row only. The last member hosts the others (``prelude``). Returns the
    kernel list without the hosted ones (their ``index`` is stale: reindex)."""
    out = []
    for k in kernels:
        prev = out[-1] if out else None
        rows = group_rows(prev) if prev is not None else None
        if rows is not None and _joins(k, rows) and _reads_aligned(k, prev, rows):
            k.prelude = prev.prelude + [prev]
            prev.prelude = []
            out[-1] = k
        else:
            out.append(k)
    _mark_row_buffers(out, kernels, set(out_set), aliases or {})
    return out


def _mark_row_buffers(grouped, kernels, out_set, aliases):
    """``row_buffer`` for each member whose result is read by later members of
    its group only (not an output, no view of it): one row of it is enough."""
    viewed = set(aliases.values())
    readers = {}
    for k in kernels:
        for v in k.reads:
            readers.setdefault(v, set()).add(id(k))
    for host in grouped:
        members = host.prelude + [host]
        ids = {id(m) for m in members}
        rows = group_rows(host) if host.prelude else ()
        for m in host.prelude:
            v = m.out
            m.row_buffer = (v not in out_set and v not in viewed
                            and readers.get(v, set()) <= ids
                            and row_length(v, rows) * v.aval.dtype.itemsize <= ROW_BUFFER_BYTES)


def row_length(v, rows):
    """Elements of one row of ``v``, a member's result (``rows`` then more dimensions)."""
    return max(1, v.aval.size // max(1, math.prod(rows)))


def group_rows(k):
    """The output rows a row group hosted by ``k`` loops over (None: ``k``
    neither starts nor hosts one)."""
    if k.prelude:
        return group_rows(k.prelude[0])
    return k.root.out.aval.shape if _row_reduction(k) else None


def _row_reduction(k):
    plan = k.reduction
    return (k.kind == "reduce" and plan is not None and not plan.flat
            and not plan.keeps_last and not plan.blocked and plan.split != "total"
            and k.root.out.aval.shape != () and k.root.out.aval.dtype.kind != "c")


def _joins(k, rows):
    if _row_reduction(k):
        return k.root.out.aval.shape == rows
    shape = k.out.aval.shape
    return (k.kind == "loop" and k.nested is None and len(k.outs) == 1
            and shape[:len(rows)] == rows and k.out.aval.dtype.kind != "c")


def _reads_aligned(k, prev, rows):
    members = prev.prelude + [prev]
    return all(_aligned(k, m.out, rows) for m in members)


def _unit_free(shape):
    return [d for d, n in enumerate(shape) if n != 1]


def _aligned(k, v, rows):
    """Is ``v`` (a group member's result: ``rows`` then maybe more dimensions)
    read by kernel ``k`` only at k's own row? Follows where each non-unit row
    dimension of ``v`` sits in the values derived from it (``where``), through
    unit reshapes, broadcasts and elementwise operations."""
    dims = tuple(_unit_free(rows))
    where = {v: dims}
    reduce_root = k.root if k.kind == "reduce" else None
    for n in k.nodes:
        derived = [where[a] for a in n.inputs if a in where]
        if not derived:
            continue
        if n is reduce_root:
            axes = tuple(n.params["axes"])
            kept = [d for d in range(n.inputs[0].aval.ndim) if d not in axes]
            if where.get(n.inputs[0]) != tuple(kept[d] for d in dims):
                return False
            continue
        pos = _follow(n, derived)
        if pos is None:
            return False
        where[n.out] = pos
    return k.out not in where or where[k.out] == dims


def _follow(n, derived):
    """Where ``v``'s dimensions sit in ``n``'s output, or None if ``n`` may read
    it at another row."""
    if any(d != derived[0] for d in derived) or len(n.outvars) != 1:
        return None
    pos = derived[0]
    if n.kind == core.ELEMENTWISE:
        return pos if all(getattr(a, "aval", None) is None or a.aval.shape in
                          ((), n.out.aval.shape) for a in n.inputs) else None
    x = n.inputs[0]
    if n.prim in _UNIT_RESHAPES:
        src, dst = _unit_free(x.aval.shape), _unit_free(n.out.aval.shape)
        if [x.aval.shape[d] for d in src] != [n.out.aval.shape[d] for d in dst]:
            return None
        return tuple(dst[src.index(p)] for p in pos)
    if n.prim == "broadcast_in_dim":
        bd = n.params["broadcast_dimensions"]
        return tuple(bd[p] for p in pos)
    return None
