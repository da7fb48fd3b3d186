"""Per-kernel lowering state (``Emitter``) and the small IR helpers rules share.

A rule asks ``em.value(atom, idx)`` for one element of an input: a literal
becomes a constant, a value fused into the kernel is computed by its value
rule (memoized per index), anything else is loaded from its buffer.
"""
import numpy as np

from jaxlite.core import ELEMENTWISE
from jaxlite.ir import Var
from jaxlite.compiler import loops, registry
from jaxlite.compiler.lltypes import I64, lltype, const, declare, i64


class Emitter:
    """Per-kernel state: the builder, buffer pointers and fused producers."""

    def __init__(self, module, builder, kernel, prog, ptrs):
        self.module, self.b = module, builder
        self.kernel, self.prog = kernel, prog
        self.ptrs = ptrs                # base Var -> pointer argument
        self.fused = kernel.fused()
        self.memo = {}
        self.override = {}              # Var -> value (a reduction's result in a register)
        self.flat = False               # indices are single linear offsets (see emit_loop)
        self.split = None               # "rows", "flat" or "total" when run in bands
        self.band = None                # (lo, hi) of the outermost loop (see parallel.py)
        self.total = None               # (part_out, parts_in, n_in) of a total reduction
        self.row_buffers = {}           # Var -> (pointer, row dims): one row of it (row groups)

    def reset(self):
        """Forget memoized values (entering code they may not dominate)."""
        self.memo = {}

    def value(self, atom, idx):
        if type(atom) is not Var:
            return const(atom.aval.dtype, np.asarray(atom.val, atom.aval.dtype)[()])
        if atom in self.override:
            return self.override[atom]
        node = self.fused.get(atom)
        if node is None:
            return self.load(atom, idx)
        key = (atom, tuple(map(id, idx)))
        val = self.memo.get(key)
        if val is None:
            if node.kind == ELEMENTWISE:
                self._elementwise_inputs_first(node, idx)
            val = registry.VALUE_RULES[node.prim](self, node, idx)
            self.memo[key] = val
        return val

    def _elementwise_inputs_first(self, node, idx):
        """Compute the fused elementwise producers feeding ``node`` (at the same
        index) deepest first, with an explicit stack, so that the rules' own
        ``value`` calls hit the memo: a fused chain of thousands of operations
        must not recurse once per operation."""
        stack, done = [(node, idx, False)], set()
        while stack:
            n, ix, ready = stack.pop()
            if ready:
                key = (n.out, tuple(map(id, ix)))
                if key not in self.memo:
                    self.memo[key] = registry.VALUE_RULES[n.prim](self, n, ix)
                continue
            if n is not node:
                stack.append((n, ix, True))
            for a in n.inputs:
                p = self.fused.get(a) if type(a) is Var and a not in self.override else None
                if p is None or p.kind != ELEMENTWISE or len(p.outvars) != 1:
                    continue
                a_ix = ix if a.aval.shape else []
                key = (a, tuple(map(id, a_ix)))
                if key not in self.memo and key not in done:
                    done.add(key)
                    stack.append((p, a_ix, False))

    def address(self, var, offset):
        row = self.row_buffers.get(var)
        ptr = row[0] if row is not None else self.ptrs[self.prog.base(var)]
        return self.b.gep(ptr, [offset], source_etype=lltype(var.aval.dtype))

    def offset(self, var, idx):
        row = self.row_buffers.get(var)
        if row is not None:         # only the current row is kept: drop the row indices
            return loops.linear_index(self.b, idx[row[1]:], var.aval.shape[row[1]:])
        if self.flat and var.aval.shape:
            return idx[0]
        return loops.linear_index(self.b, idx, var.aval.shape)

    def load(self, var, idx):
        return self.load_linear(var, self.offset(var, idx))

    def load_linear(self, var, offset):
        return self.b.load(self.address(var, offset), typ=lltype(var.aval.dtype))

    def store(self, var, idx, val):
        self.store_linear(var, self.offset(var, idx), val)

    def store_linear(self, var, offset, val):
        self.b.store(val, self.address(var, offset))

    # -- helpers for rules
    def call(self, name, ret, args):
        """Call ``name`` (an LLVM intrinsic), declared once per module."""
        return self.b.call(declare(self.module, name, ret, [a.type for a in args]), args)

    def alloca(self, ty):
        """A stack slot in the entry block (SROA turns it into a register)."""
        with self.b.goto_entry_block():
            return self.b.alloca(ty)


_SFX = {np.dtype(np.float16): "f16", np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}


def sfx(dtype):
    """The type suffix of LLVM's float intrinsics (llvm.sqrt.f32, ...)."""
    return _SFX[np.dtype(dtype)]


def imin(b, x, y):
    return b.select(b.icmp_signed("<", x, y), x, y)


def imax(b, x, y):
    return b.select(b.icmp_signed(">", x, y), x, y)


def clamp(b, x, lo, hi):
    return imin(b, imax(b, x, i64(lo) if isinstance(lo, int) else lo),
                 i64(hi) if isinstance(hi, int) else hi)


def to_i64(b, val, dtype):
    dtype = np.dtype(dtype)
    if dtype == np.int64:
        return val
    if dtype.kind in "bu":
        return b.zext(val, I64) if dtype.itemsize < 8 else val
    if dtype.kind == "i":
        return b.sext(val, I64)
    return b.call(declare(b.module, f"llvm.fptosi.sat.i64.{sfx(dtype)}", I64, [val.type]), [val])

