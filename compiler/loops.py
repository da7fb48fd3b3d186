"""Loop-nest helpers over i64 induction variables, as context managers.

Trip counts are usually compile-time constants (shapes are static), which
lets LLVM's loop vectorizer pick the innermost loop without runtime checks.
A zero trip count skips the body entirely, so 0-size arrays never touch memory.
"""
import contextlib

from jaxlite.compiler.lltypes import I64, i64


@contextlib.contextmanager
def for_range(builder, count, start=0, name="i"):
    """``for (i = start; i < count; ++i)``; yields ``i``, leaves the builder after the loop."""
    count = i64(count) if isinstance(count, int) else count
    start = i64(start) if isinstance(start, int) else start
    pre = builder.block
    func = pre.function
    header = func.append_basic_block(f"{name}.head")
    body = func.append_basic_block(f"{name}.body")
    end = func.append_basic_block(f"{name}.end")
    builder.branch(header)
    builder.position_at_end(header)
    idx = builder.phi(I64, name=name)
    idx.add_incoming(start, pre)
    builder.cbranch(builder.icmp_signed("<", idx, count), body, end)
    builder.position_at_end(body)
    yield idx
    nxt = builder.add(idx, i64(1), name=f"{name}.next", flags=("nsw", "nuw"))
    idx.add_incoming(nxt, builder.block)
    builder.branch(header)
    builder.position_at_end(end)


@contextlib.contextmanager
def loop_nest(builder, shape, name="i", outer=None):
    """Row-major nest over ``shape`` (last dimension innermost); yields the index list.
    ``outer=(lo, hi)`` runs only that band of the outermost dimension."""
    with contextlib.ExitStack() as stack:
        idx = []
        for d, n in enumerate(shape):
            lo, hi = outer if d == 0 and outer is not None else (0, int(n))
            idx.append(stack.enter_context(for_range(builder, hi, start=lo, name=f"{name}{d}")))
        yield idx


@contextlib.contextmanager
def if_then(builder, cond):
    """``if (cond) { ... }``"""
    with builder.if_then(cond):
        yield


def linear_index(builder, idx, shape):
    """Row-major offset of ``idx`` in an array of ``shape`` (i64 arithmetic)."""
    off = None
    stride = 1
    for d in range(len(shape) - 1, -1, -1):
        if shape[d] != 1:
            term = idx[d] if stride == 1 else builder.mul(idx[d], i64(stride), flags=("nsw",))
            off = term if off is None else builder.add(off, term, flags=("nsw",))
        stride *= int(shape[d])
    return i64(0) if off is None else off


def strided_offset(builder, idx, strides, base=0):
    """``base + sum(idx[d] * strides[d])`` skipping zero strides."""
    off = i64(base) if base else None
    for i, s in zip(idx, strides):
        if s == 0:
            continue
        term = i if s == 1 else builder.mul(i, i64(s), flags=("nsw",))
        off = term if off is None else builder.add(off, term, flags=("nsw",))
    return i64(0) if off is None else off
