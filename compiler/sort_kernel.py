"""The ``sort``/``argsort`` kernel: every line along ``dimension`` sorted into
the output.

Each element becomes an unsigned integer *key* whose order is the sort order:
the sign bit flipped for signed integers; for floats every NaN made one NaN
above +inf and -0.0 made +0.0 (JAX's comparator canonicalizes the same way, so
they tie), then the bits flipped as the IEEE order needs. Integer keys make
every comparison one unsigned compare and let a line be sorted by digits:

* lines of at most ``NETWORK_MAX`` elements: a sorting network (Batcher's
  odd-even merge sort), inline in the loop over lines and branch-free, so
  the loop vectorizer sorts several lines at once;
* lines of at most ``INSERTION_MAX``: insertion sort in a stack buffer;
* longer lines already in order (or reversed) are copied (reversed); a
  contiguous line is checked a vector of pairs at a time;
* on AVX-512 hosts, a line of ``FEW_VALUES_MIN`` items or more whose sample
  of keys takes at most ``FEW_VALUES_MAX`` values is sorted by counting them
  (sort: a run per value; argsort: a stable counting scatter), once a pass
  of vector compares proves the line has no other value (a line of
  ``PARALLEL_SORT_MIN`` items or more: two threads count and write a half
  each);
* otherwise, on AVX-512 hosts, 32- and 64-bit items are quicksorted:
  partitions by compress instructions (their memory form on Intel), out of
  place between two buffers; a contiguous line's first partition reads the
  input and makes the keys on the way (no pass of its own). Ranges of at
  most ``QUICKSORT_LEAF`` items are finished by a bitonic network over
  registers (sort of floats: on the values, whose float min/max run on two
  ports where 64-bit integer min/max run on one), which writes sort's
  values straight into a contiguous output. A line of
  ``PARALLEL_SORT_MIN`` items or more is split by the median of
  ``SPLIT_SAMPLE`` items (halves of equal work): two threads count their
  half's items below it, partition their half into the places the counts
  give, then each sorts one side;
* everything else (8/16-bit keys, other hosts): LSD radix
  sort, 8-bit digits (11-bit from 2^16 elements), one sweep of the input for
  every digit's counts, then a scatter pass per digit that not every key
  shares (the first reads the input, the last writes the output).

Scratch is ``malloc``'ed once per call (per chunk when the kernel's lines are
split over threads), never per line; if that fails the lines are heapsorted
in place.

argsort sorts (key, index) pairs, so it is stable whatever the method: keys
of up to 32 bits are packed with the index into one i64 (key high); 64-bit
keys carry the index beside them, except in quicksort, whose i64 items keep
the key's high bits with the index in its low bits: the sorted runs whose
kept bits tie are then checked against the full keys (exact ties, the usual
case, are already in index order) and heapsorted by (key, index) if not.
sort writes the keys back as values; where a line held -0.0 or a NaN (values
the key merges), the runs of zeros and of NaNs are rewritten from the input
in input order, as a stable sort leaves them.
"""
import contextlib
import functools
import types

import numpy as np
from llvmlite import binding, ir

from jaxlite.compiler import loops, parallel, threadpool
from jaxlite.compiler.lltypes import (I1, I32, I64, PTR, VOID, declare, elem, has_avx512, i64,
                                      lltype)
from jaxlite.compiler.registry import kernel_rule

NETWORK_MAX = 16
INSERTION_MAX = 48
WIDE_DIGITS_FROM = 1 << 16      # 11-bit digits from here: fewer passes over a long line
PARALLEL_SORT_MIN = 1 << 17     # a line this long is sorted by two threads (halves)
FEW_VALUES_MIN = 1 << 12       # a line this long (quicksort hosts) first tries counting
FEW_VALUES_MAX = 16            # ... when a sample shows at most this many distinct keys
FEW_VALUES_SAMPLE = 128
SPLIT_SAMPLE = 128             # items whose median splits a line between two threads
QUICKSORT_LEAF = 128           # items of the network that ends a quicksort range (<= 16 registers)


class _Line:
    """What every function of one sort kernel knows about its lines."""

    def __init__(self, node, kernel_index, lossy=True):
        x, out = node.inputs[0], node.out
        self.name = f"k{kernel_index}_sort"
        self.dtype, self.out_dtype = np.dtype(x.aval.dtype), np.dtype(out.aval.dtype)
        self.argsort = node.prim == "argsort"
        d = node.params["dimension"]
        shape = x.aval.shape
        self.shape, self.dim, self.n = shape, d, shape[d]
        self.stride = int(np.prod(shape[d + 1:], dtype=np.int64))
        self.kbits = self.dtype.itemsize * 8
        self.kty = ir.IntType(self.kbits)
        # (key << 32 | index) in one i64: comparing items compares keys, then indices.
        self.packed = self.argsort and self.kbits <= 32 and self.n <= 1 << 32
        # 64-bit keys (quicksort): the index in place of the key's low bits; the
        # runs of items whose kept bits tie are put in (key, index) order after
        self.ibits = max(1, (self.n - 1).bit_length())
        self.lossy = (lossy and self.argsort and self.kbits == 64 and self.n > INSERTION_MAX
                      and has_avx512())
        self.carried = self.argsort and not (self.packed or self.lossy)
        self.ity = I64 if self.packed or self.lossy else self.kty
        self.shift = 32 if self.packed else 0
        self.pty = I32 if self.n < 1 << 31 else I64          # carried index, counts
        self.bits = 11 if self.n >= WIDE_DIGITS_FROM else 8
        self.passes = -(-self.kbits // self.bits)
        self.fixup = not self.argsort and self.dtype.kind == "f"
        # contiguous quicksort lines: the first partition makes the items from
        # the input; sort's leaves write values straight into the output
        self.direct = self.stride == 1
        self.values = self.direct and not self.argsort

    def scratch_blocks(self):
        """Byte offsets of the scratch block's parts (two item buffers, two
        carried-index buffers, the digit counts) and its size; 64-byte aligned."""
        n, isz, csz = self.n, self.ity.width // 8, self.pty.width // 8
        sizes = [n * isz, n * isz] + ([n * csz, n * csz] if self.carried else [])
        sizes.append(self.passes * (1 << self.bits) * csz)
        offsets = [0]
        for size in sizes:
            offsets.append(offsets[-1] + -(-size // 64) * 64)
        return offsets[:-1], offsets[-1]


@kernel_rule("sort", "argsort", label="sort", fuses_inputs=False)
def emit_sort(em, kernel):
    node = kernel.root
    line = _Line(node, kernel.index)
    if line.n == 0 or node.out.aval.size == 0:
        return
    b = em.b
    xp, op = em.address(node.inputs[0], i64(0)), em.address(node.out, i64(0))
    how = method(line)
    if line.lossy and how != "quicksort":      # only quicksort sorts the ties after
        line = _Line(node, kernel.index, lossy=False)
    if how == "network":
        _emit_networks(em, line, xp, op)
        return
    if how in ("insertion", "heap"):
        fn = (_small_function if how == "insertion" else _heap_function)(em.module, line)
        with _lines(em, line) as base:
            b.call(fn, [xp, op, base])
        return
    scratch = b.call(declare(em.module, "malloc", PTR, [I64]), [i64(line.scratch_blocks()[1])])
    sort_line = _long_line_function(em.module, line, how == "quicksort")
    heap_line = _heap_function(em.module, line)
    with _lines(em, line) as base:
        failed = b.icmp_unsigned("==", scratch, ir.Constant(PTR, None))
        with b.if_else(failed, likely=False) as (oom, ok):
            with oom:
                b.call(heap_line, [xp, op, base])
            with ok:
                b.call(sort_line, [xp, op, base, scratch])
    b.call(declare(em.module, "free", VOID, [PTR]), [scratch])


def method(line):
    """How the kernel sorts its lines: "network", "insertion", "quicksort" or
    "radix" ("heap", the fallback when scratch memory cannot be allocated, is
    never chosen here; tests force it)."""
    if line.n <= NETWORK_MAX:
        return "network"
    if line.n <= INSERTION_MAX:
        return "insertion"
    return "quicksort" if _quicksort_fits(line) else "radix"


@contextlib.contextmanager
def _lines(em, line):
    """Loop over the kernel's lines (this band's); yields each line's offset."""
    b, shape, d = em.b, line.shape, line.dim
    # a band (parallel.split_plan) is of dimension 0, or 1 when 0 is sorted
    with loops.loop_nest(b, shape[:d], "p", outer=em.band) as pre:
        with loops.loop_nest(b, shape[d + 1:], "q", outer=None if d else em.band) as post:
            yield loops.linear_index(b, list(pre) + [i64(0)] + list(post), shape)


def _emit_networks(em, line, xp, op):
    """Short lines: the network inline in the innermost loop, branch-free, so
    the loop vectorizer can sort several lines at once; the runs of -0.0 and
    NaN (floats) are fixed in a second sweep."""
    b = em.b
    with _lines(em, line) as base:
        items, ids = [], []
        for i in range(line.n):
            v = b.load(_at(b, xp, lltype(line.dtype), _strided(b, line, base, i64(i))),
                       typ=lltype(line.dtype))
            key, _ = _key(b, line, v)
            items.append(b.or_(b.shl(b.zext(key, I64), i64(32)), i64(i)) if line.packed else key)
            ids.append(i64(i))
        items, ids = _network(b, line, items, ids if line.carried else None)
        for i in range(line.n):
            _store_out(b, line, op, base, i64(i), items[i], ids[i] if line.carried else None)
    if line.fixup:
        with _lines(em, line) as base:
            special = ir.Constant(I1, 0)
            for i in range(line.n):
                v = b.load(_at(b, xp, lltype(line.dtype), _strided(b, line, base, i64(i))),
                           typ=lltype(line.dtype))
                special = b.or_(special, _key(b, line, v)[1])
            with b.if_then(special, likely=False):
                b.call(_fixup_function(em.module, line), [xp, op, base])


# -- keys ---------------------------------------------------------------------

def _key(b, line, v):
    """The unsigned key of value ``v``, and (floats) whether ``v`` is -0.0 or NaN
    (``v`` a scalar or a vector)."""
    kind, kty = line.dtype.kind, line.kty
    if isinstance(v.type, ir.VectorType):
        kty = _vec(kty, v.type.count)
    sign = ir.Constant(kty, 1 << (line.kbits - 1))
    if kind == "b" or kind == "u":
        return v, None
    if kind == "i":
        return b.xor(v, sign), None
    u = b.bitcast(v, kty)
    is_nan = b.fcmp_unordered("uno", v, v)
    is_zero = b.fcmp_ordered("==", v, ir.Constant(v.type, 0.0))
    u = b.select(is_zero, ir.Constant(kty, 0), u)
    u = b.select(is_nan, ir.Constant(kty, (1 << (line.kbits - 1)) - 1), u)
    mask = b.or_(b.ashr(u, ir.Constant(kty, line.kbits - 1)), sign)
    special = b.or_(is_nan, b.icmp_unsigned("==", b.bitcast(v, kty), sign))    # NaN, -0.0
    return b.xor(u, mask), special


def _value(b, line, key):
    """The value of a key (sort): the inverse of ``_key`` on canonical values."""
    kind, kty = line.dtype.kind, line.kty
    sign = ir.Constant(kty, 1 << (line.kbits - 1))
    if kind == "b" or kind == "u":
        return key
    if kind == "i":
        return b.xor(key, sign)
    positive = b.icmp_signed("<", key, ir.Constant(kty, 0))         # top bit set
    u = b.select(positive, b.xor(key, sign), b.not_(key))
    return b.bitcast(u, lltype(line.dtype))


def _value_bits(b, line, key):
    """``_value`` as integer bits, for a key or a vector of keys."""
    kind, kty = line.dtype.kind, key.type
    if kind == "b" or kind == "u":
        return key
    sign = ir.Constant(kty, 1 << (line.kbits - 1))
    if kind == "i":
        return b.xor(key, sign)
    positive = b.icmp_signed("<", key, ir.Constant(kty, 0))
    return b.select(positive, b.xor(key, sign), b.xor(key, ir.Constant(kty, -1)))


def _item(b, line, key, i):
    """The item sorted for element ``i`` (an i64) of key ``key``: the key, or
    for argsort the key and the index in one i64 (key bits high)."""
    wide = _vec(I64, key.type.count) if isinstance(key.type, ir.VectorType) else I64
    if line.packed:
        return b.or_(b.shl(b.zext(key, wide), ir.Constant(wide, 32)), i)
    if line.lossy:
        return b.or_(b.and_(key, ir.Constant(wide, -1 << line.ibits)), i)
    return key


def _index_of(b, line, item):
    """The element index an argsort item carries (packed or lossy)."""
    return b.and_(item, i64(0xFFFFFFFF if line.packed else (1 << line.ibits) - 1))


def _index_out(b, line, idx):
    """An index (i64 or the carried type) as the output's integer type."""
    oty = lltype(line.out_dtype)
    if idx.type.width > oty.width:
        return b.trunc(idx, oty)
    return b.zext(idx, oty) if idx.type.width < oty.width else idx


# -- function scaffolding -------------------------------------------------------

def _function(module, name, args):
    fn = module.globals.get(name)
    if fn is not None:
        return fn, None
    fn = ir.Function(module, ir.FunctionType(VOID, args), name=name)
    fn.linkage = "internal"
    return fn, ir.IRBuilder(fn.append_basic_block("entry"))


def _at(b, ptr, ty, i):
    return b.gep(ptr, [i], source_etype=ty)


def _strided(b, line, base, i):
    return b.add(base, b.mul(i, i64(line.stride))) if line.stride != 1 else b.add(base, i)


def _load_line(b, line, xp, base, store_item, track_special):
    """For every element i: ``store_item(i, key, item)``; returns the OR of
    the 'special' flags (-0.0 or NaN seen) when ``track_special``."""
    flag = None
    if track_special:
        with b.goto_entry_block():
            flag = b.alloca(I1)
        b.store(ir.Constant(I1, 0), flag)
    with loops.for_range(b, line.n, name="ld") as i:
        v = b.load(_at(b, xp, lltype(line.dtype), _strided(b, line, base, i)),
                   typ=lltype(line.dtype))
        key, special = _key(b, line, v)
        store_item(i, key, _item(b, line, key, i))
        if flag is not None:
            b.store(b.or_(b.load(flag, typ=I1), special), flag)
    return None if flag is None else b.load(flag, typ=I1)


def _store_out(b, line, op, base, i, item, carried_index):
    """Output element i of the line from its sorted item."""
    if line.argsort:
        idx = carried_index if line.carried else _index_of(b, line, item)
        val = _index_out(b, line, idx)
    else:
        val = _value(b, line, item)
    b.store(val, _at(b, op, lltype(line.out_dtype), _strided(b, line, base, i)))


def _store_items(b, line, items, op, base, lo, hi):
    """Output elements [lo, hi) of the line from its sorted items."""
    with loops.for_range(b, hi, start=lo, name="st") as i:
        _store_out(b, line, op, base, i, b.load(_at(b, items, line.ity, i), typ=line.ity), None)


def _fixup_function(module, line):
    """``fix(x, out, base)``: ``_fixup`` as a function (kept out of hot loops)."""
    fn, b = _function(module, f"{line.name}_fix", [PTR, PTR, I64])
    if b is not None:
        _fixup(b, line, *fn.args)
        b.ret_void()
    return fn


def _fixup(b, line, xp, op, base):
    """Rewrite the zeros' and NaNs' runs of a sorted line from the input, in
    input order (the keys made -0.0 and +0.0 one value, and every NaN one NaN)."""
    vty = lltype(line.dtype)
    with b.goto_entry_block():
        neg, nan = b.alloca(I64), b.alloca(I64)
    b.store(i64(0), neg)
    b.store(i64(0), nan)
    zero = ir.Constant(vty, 0.0)
    with loops.for_range(b, line.n, name="fc") as i:
        v = b.load(_at(b, xp, vty, _strided(b, line, base, i)), typ=vty)
        b.store(b.add(b.load(neg, typ=I64), b.zext(b.fcmp_ordered("<", v, zero), I64)), neg)
        b.store(b.add(b.load(nan, typ=I64), b.zext(b.fcmp_unordered("uno", v, v), I64)), nan)
    b.store(b.sub(i64(line.n), b.load(nan, typ=I64)), nan)     # now: where the NaNs start
    with loops.for_range(b, line.n, name="fw") as i:
        v = b.load(_at(b, xp, vty, _strided(b, line, base, i)), typ=vty)
        is_zero = b.fcmp_ordered("==", v, zero)
        is_nan = b.fcmp_unordered("uno", v, v)
        with b.if_then(b.or_(is_zero, is_nan)):
            slot = b.select(is_zero, neg, nan)
            j = b.load(slot, typ=I64)
            b.store(v, _at(b, op, vty, _strided(b, line, base, j)))
            b.store(b.add(j, i64(1)), slot)


# -- short lines ------------------------------------------------------------------

def _small_function(module, line):
    """``line(x, out, base)``: insertion sort in a stack buffer."""
    fn, b = _function(module, f"{line.name}_small", [PTR, PTR, I64])
    if b is None:
        return fn
    xp, op, base = fn.args
    n = line.n
    keys = b.alloca(line.ity, i64(n))
    idxs = b.alloca(line.pty, i64(n)) if line.carried else None

    def put(i, key, item):
        b.store(item, _at(b, keys, line.ity, i))
        if idxs is not None:
            b.store(b.trunc(i, line.pty) if line.pty != I64 else i, _at(b, idxs, line.pty, i))

    special = _load_line(b, line, xp, base, put, line.fixup)
    _insertion(b, line, keys, idxs)
    with loops.for_range(b, n, name="st") as i:
        item = b.load(_at(b, keys, line.ity, i), typ=line.ity)
        ci = b.load(_at(b, idxs, line.pty, i), typ=line.pty) if idxs is not None else None
        _store_out(b, line, op, base, i, item, ci)
    if special is not None:
        with b.if_then(special, likely=False):
            _fixup(b, line, xp, op, base)
    b.ret_void()
    return fn


def _merge_network(n):
    """Batcher's odd-even merge sort comparators for ``n`` elements (those
    touching padding past ``n`` dropped: padding acts as +inf at the end)."""
    size = 1
    while size < n:
        size *= 2
    pairs = []
    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    a, c = i + j, i + j + k
                    if a // (2 * p) == c // (2 * p) and c < n:
                        pairs.append((a, c))
            k //= 2
        p *= 2
    return pairs


def _network(b, line, items, ids):
    """Compare-exchange on registers: returns the sorted ``items`` (and the
    ``ids`` carried beside 64-bit keys, which break ties). Without ids, items
    are unique (argsort packs the index in) or equal items are equal values."""
    items, ids = list(items), None if ids is None else list(ids)
    for a, c in _merge_network(len(items)):
        x, y = items[a], items[c]
        if ids is None:
            swap = b.icmp_unsigned(">", x, y)
        else:
            swap = b.or_(b.icmp_unsigned(">", x, y),
                         b.and_(b.icmp_unsigned("==", x, y),
                                b.icmp_unsigned(">", ids[a], ids[c])))
            ids[a], ids[c] = b.select(swap, ids[c], ids[a]), b.select(swap, ids[a], ids[c])
        items[a], items[c] = b.select(swap, y, x), b.select(swap, x, y)
    return items, ids


def _insertion(b, line, keys, idxs):
    """Stable insertion sort (strictly greater items move right)."""
    fn = b.function
    with loops.for_range(b, line.n, start=1, name="ins") as i:
        v = b.load(_at(b, keys, line.ity, i), typ=line.ity)
        vi = b.load(_at(b, idxs, line.pty, i), typ=line.pty) if idxs is not None else None
        head, body, done = (fn.append_basic_block(f"ins.{s}") for s in ("head", "body", "done"))
        pre = b.block
        b.branch(head)
        b.position_at_end(head)
        j = b.phi(I64)
        j.add_incoming(i, pre)
        jm = b.sub(j, i64(1))
        prev = b.load(_at(b, keys, line.ity, b.select(b.icmp_signed(">", j, i64(0)), jm, j)),
                      typ=line.ity)
        more = b.and_(b.icmp_signed(">", j, i64(0)), b.icmp_unsigned(">", prev, v))
        b.cbranch(more, body, done)
        b.position_at_end(body)
        b.store(prev, _at(b, keys, line.ity, j))
        if idxs is not None:
            b.store(b.load(_at(b, idxs, line.pty, jm), typ=line.pty), _at(b, idxs, line.pty, j))
        j.add_incoming(jm, body)
        b.branch(head)
        b.position_at_end(done)
        b.store(v, _at(b, keys, line.ity, j))
        if idxs is not None:
            b.store(vi, _at(b, idxs, line.pty, j))


# -- long lines: LSD radix sort -------------------------------------------------------

def _long_line_function(module, line, quicksort):
    """``line(x, out, base, scratch)`` for a long line. A line already in order,
    or in reverse order, is copied. Otherwise either quicksort (the keys into
    scratch, sorted there, back as values or indices) or LSD radix sort: one
    sweep of the input counts every digit, a digit all keys share is skipped,
    the first pass reads the input and the last writes the output."""
    fn, b = _function(module, f"{line.name}_{'qs' if quicksort else 'radix'}line",
                      [PTR, PTR, I64, PTR])
    if b is None:
        return fn
    for a in fn.args[:2] + fn.args[3:]:
        a.add_attribute("noalias")
    r = _LongLine(b, line, *fn.args)
    order = r.order()

    def sort():
        if not quicksort:
            r.sort()
        elif not line.packed:       # (lossy lines too: radix cannot sort their ties)
            r.quicksort()
        else:       # argsort: few varying digits (many ties) make radix cheaper
            with b.if_else(r.few_digits_vary()) as (few, many):
                with few:
                    r.sort()
                with many:
                    r.quicksort()

    with b.if_else(b.icmp_unsigned("==", order, i64(0))) as (unordered, ordered):
        with unordered:
            if quicksort and line.n >= FEW_VALUES_MIN:
                done = b.call(_few_values_function(module, line), list(fn.args[:3]))
                b.store(b.icmp_unsigned("==", done, i64(3)), r.special)
                with b.if_then(b.icmp_unsigned("==", done, i64(0))):
                    sort()
            else:
                sort()
        with ordered:
            r.copy(b.icmp_unsigned("==", order, i64(2)))
    if line.fixup:
        with b.if_then(b.load(r.special, typ=I1), likely=False):
            _fixup(b, line, r.xp, r.op, r.base)
    b.ret_void()
    return fn


def _few_values_function(module, line):
    """``few(x, out, base) -> done``: a line of at most FEW_VALUES_MAX distinct
    keys sorted by counting them (sort: a run of each value; argsort: a stable
    counting scatter of the indices). A sorted sample of FEW_VALUES_SAMPLE keys
    names the values; a pass counts each element under the value it equals and
    proves there is no other. done: 0 (more values: nothing written), 1, or 3
    (sort saw -0.0 or a NaN: the zeros' and NaNs' runs need the fix-up)."""
    name = f"{line.name}_few"
    if name in module.globals:
        return module.globals[name]
    fn = ir.Function(module, ir.FunctionType(I64, [PTR, PTR, I64]), name=name)
    fn.linkage = "internal"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    xp, op, base = fn.args
    n, kty, pty, most = line.n, line.kty, line.pty, FEW_VALUES_MAX
    vty = lltype(line.dtype)
    ones = ir.Constant(kty, -1)

    def key_at(i):
        return _key(b, line, b.load(_at(b, xp, vty, _strided(b, line, base, i)), typ=vty))

    size = FEW_VALUES_SAMPLE
    sample = _sorted_sample(b, module, kty, lambda k: key_at(
        b.sdiv(b.mul(k, i64(n - 1)), i64(size - 1)))[0], size)
    # the distinct keys, ascending, then all ones (a key above every value but
    # the NaNs'): an element's slot is the number of values below it
    values, counts = b.alloca(kty, i64(most + 1)), b.alloca(pty, i64(most + 1))
    for k in range(most + 1):
        b.store(ones, _at(b, values, kty, i64(k)))
        b.store(ir.Constant(pty, 0), _at(b, counts, pty, i64(k)))
    with b.goto_entry_block():
        found = b.alloca(I64)
    b.store(i64(0), found)
    with loops.for_range(b, size, name="dst") as k:
        x = b.load(_at(b, sample, kty, k), typ=kty)
        before = b.load(_at(b, sample, kty, b.select(b.icmp_signed(">", k, i64(0)),
                                                      b.sub(k, i64(1)), k)), typ=kty)
        new = b.or_(b.icmp_signed("==", k, i64(0)), b.icmp_unsigned("!=", x, before))
        d = b.load(found, typ=I64)
        slot = b.select(b.icmp_unsigned("<", d, i64(most)), d, i64(most))
        b.store(b.select(new, x, ones), _at(b, values, kty, slot))
        b.store(b.add(d, b.zext(new, I64)), found)
    distinct = b.load(found, typ=I64)
    with b.if_then(b.icmp_unsigned(">", distinct, i64(most)), likely=False):
        b.ret(i64(0))
    two = parallel.threads() >= 2 and n >= PARALLEL_SORT_MIN
    if two:                 # each thread counts a half, then fills a half
        ctx = b.alloca(I64, i64(_FewCtx.SIZE))
        halves = [b.alloca(pty, i64(most + 1)) for _ in range(2)]
        for slot, v in ((_FewCtx.INPUT, xp), (_FewCtx.BASE, base), (_FewCtx.VALUES, values),
                        (_FewCtx.COUNTS, halves[0]), (_FewCtx.COUNTS + 1, halves[1]),
                        (_FewCtx.OUT, op), (_FewCtx.DISTINCT, distinct),
                        (_FewCtx.STARTS, counts)):
            b.store(v, elem(b, ctx, I64, i64(slot)))
        _run_halves(b, _few_count_function(module, line), ctx)
        for k in range(most):
            c0, c1 = (b.load(_at(b, h, pty, i64(k)), typ=pty) for h in halves)
            b.store(b.add(c0, c1), _at(b, counts, pty, i64(k)))
        special = None
        if line.fixup:
            seen = b.or_(_ctx_get(b, ctx, _FewCtx.SEEN), _ctx_get(b, ctx, _FewCtx.SEEN + 1))
            special = b.icmp_unsigned("!=", seen, i64(0))
    else:
        special = _count_values(b, line, xp, base, values, counts)
    total = i64(0)         # the elements counted under real values (not the padding)
    for k in range(most):
        c = b.load(_at(b, counts, pty, i64(k)), typ=pty)
        c = c if pty == I64 else b.zext(c, I64)
        total = b.add(total, b.select(b.icmp_unsigned("<", i64(k), distinct), c, i64(0)))
    with b.if_then(b.icmp_unsigned("!=", total, i64(n)), likely=False):
        b.ret(i64(0))       # some element equals none of the values
    start = ir.Constant(pty, 0)          # counts -> first output position of each value
    for k in range(most + 1):
        c = _at(b, counts, pty, i64(k))
        run = b.load(c, typ=pty)
        b.store(start, c)
        start = b.add(start, run)
    if two:
        _run_halves(b, _few_fill_function(module, line), ctx)
    elif line.argsort:
        _scatter_indices(b, line, xp, base, op, values, counts, i64(0), i64(n))
    else:
        _fill_runs(b, line, op, base, values, counts, distinct, i64(0), i64(n))
    return_code = i64(1) if special is None else b.select(special, i64(3), i64(1))
    b.ret(return_code)
    return fn


class _FewCtx:
    """Slots (i64 each) of the context of a few-values line's two threads."""
    INPUT, BASE, VALUES, COUNTS, SEEN, OUT, DISTINCT, STARTS = 0, 1, 2, 3, 5, 7, 8, 9
    SIZE = 10


def _few_count_function(module, line):
    """``count(ctx, c)``: COUNTS + c (an array) = ``_count_values`` of half
    ``c`` of the line; SEEN + c = 1 if it holds -0.0 or a NaN."""
    fn, b = _function(module, f"{line.name}_fewcount", [PTR, I64])
    if b is None:
        return fn
    ctx, c = fn.args
    xp, base, values = (_ctx_get(b, ctx, s, ty) for s, ty in
                        ((_FewCtx.INPUT, PTR), (_FewCtx.BASE, I64), (_FewCtx.VALUES, PTR)))
    counts = _ctx_get(b, ctx, b.add(c, i64(_FewCtx.COUNTS)), PTR)
    lo, hi = _half(b, line, c)
    special = _count_values(b, line, xp, base, values, counts, lo, hi)
    seen = i64(0) if special is None else b.zext(special, I64)
    b.store(seen, elem(b, ctx, I64, b.add(c, i64(_FewCtx.SEEN))))
    b.ret_void()
    return fn


def _few_fill_function(module, line):
    """``fill(ctx, c)``: sort: the output's half ``c`` written from the runs
    of the values (STARTS: each value's first position, then the end);
    argsort: the indices of the input's half ``c`` scattered to their runs
    (half 1's part of a run starts after half 0's)."""
    fn, b = _function(module, f"{line.name}_fewfill", [PTR, I64])
    if b is None:
        return fn
    ctx, c = fn.args
    op, base, values, starts, distinct = (_ctx_get(b, ctx, s, ty) for s, ty in (
        (_FewCtx.OUT, PTR), (_FewCtx.BASE, I64), (_FewCtx.VALUES, PTR), (_FewCtx.STARTS, PTR),
        (_FewCtx.DISTINCT, I64)))
    lo, hi = _half(b, line, c)
    if not line.argsort:
        _fill_runs(b, line, op, base, values, starts, distinct, lo, hi)
        b.ret_void()
        return fn
    pty, most = line.pty, FEW_VALUES_MAX
    counts0 = _ctx_get(b, ctx, _FewCtx.COUNTS, PTR)
    positions = b.alloca(pty, i64(most))
    second = b.icmp_signed("==", c, i64(1))
    for k in range(most):
        at = b.load(_at(b, starts, pty, i64(k)), typ=pty)
        before = b.load(_at(b, counts0, pty, i64(k)), typ=pty)
        b.store(b.select(second, b.add(at, before), at), _at(b, positions, pty, i64(k)))
    _scatter_indices(b, line, _ctx_get(b, ctx, _FewCtx.INPUT, PTR), base, op, values,
                     positions, lo, hi)
    b.ret_void()
    return fn


def _scatter_indices(b, line, xp, base, op, values, positions, lo, hi):
    """argsort of a few-values line: each index i in [lo, hi) to the next
    place of its value's run (``positions``: per value, bumped), so ties keep
    index order. An element's value is the number of values below it."""
    kty, pty, most = line.kty, line.pty, FEW_VALUES_MAX
    vty = lltype(line.dtype)
    table = b.load(values, typ=_vec(kty, most), align=kty.width // 8)
    ctpop = declare(b.function.module, f"llvm.ctpop.i{most}", ir.IntType(most),
                    [ir.IntType(most)])
    with loops.for_range(b, hi, start=lo, name="scat") as i:
        key = _key(b, line, b.load(_at(b, xp, vty, _strided(b, line, base, i)), typ=vty))[0]
        below = b.bitcast(b.icmp_unsigned("<", table, _splat(b, key, most)), ir.IntType(most))
        at = _at(b, positions, pty, b.zext(b.call(ctpop, [below]), I64))
        pos = b.load(at, typ=pty)
        b.store(b.add(pos, ir.Constant(pty, 1)), at)
        pos = pos if pty == I64 else b.zext(pos, I64)
        b.store(_index_out(b, line, i),
                _at(b, op, lltype(line.out_dtype), _strided(b, line, base, pos)))


def _fill_runs(b, line, op, base, values, starts, distinct, lo, hi):
    """Output elements [lo, hi) of the line: value k on [starts[k], starts[k+1])."""
    pty = line.pty
    with loops.for_range(b, distinct, name="fill") as k:
        val = _value(b, line, b.load(_at(b, values, line.kty, k), typ=line.kty))
        first = b.load(_at(b, starts, pty, k), typ=pty)
        end = b.load(_at(b, starts, pty, b.add(k, i64(1))), typ=pty)
        if pty != I64:
            first, end = b.zext(first, I64), b.zext(end, I64)
        first = b.select(b.icmp_signed("<", first, lo), lo, first)
        end = b.select(b.icmp_signed(">", end, hi), hi, end)
        end = b.select(b.icmp_signed("<", end, first), first, end)     # a run outside
        _fill(b, line, op, base, val, first, end)


def _run_halves(b, fn, ctx):
    """``fn(ctx, 0)`` and ``fn(ctx, 1)`` on the worker pool (two threads)."""
    run = declare(b.function.module, threadpool.PARALLEL_FOR, VOID, [PTR, PTR, I64, I64])
    b.call(run, [fn, ctx, i64(2), i64(min(parallel.threads(), 2))])


def _count_values(b, line, xp, base, values, counts, lo=0, hi=None):
    """counts[k] = the elements [lo, hi) of the line (all of it by default)
    equal to values[k], for the FEW_VALUES_MAX values (padding included);
    returns whether -0.0 or a NaN was seen (sort of floats) or None. A
    contiguous line is read a vector at a time: one compare and a mask's
    popcount per value."""
    lo = i64(lo) if isinstance(lo, int) else lo
    hi = i64(line.n) if hi is None else hi
    kty, pty, most = line.kty, line.pty, FEW_VALUES_MAX
    vty = lltype(line.dtype)
    with b.goto_entry_block():
        sums, seen = b.alloca(I64, i64(most)), b.alloca(I1)
    for k in range(most):
        b.store(i64(0), _at(b, sums, I64, i64(k)))
    b.store(ir.Constant(I1, 0), seen)
    value = [b.load(_at(b, values, kty, i64(k)), typ=kty) for k in range(most)]
    width = 512 // kty.width if line.stride == 1 else 1
    wty = ir.IntType(width)
    if width > 1:       # per-lane counters, one vector per value
        cty = _vec(pty, width)
        with b.goto_entry_block():
            lanes = [b.alloca(cty) for _ in range(most)]
        for acc in lanes:
            b.store(ir.Constant(cty, 0), acc)
        with loops.for_range(b, b.sdiv(b.sub(hi, lo), i64(width)), name="cntv") as blk:
            at = _at(b, xp, vty, b.add(base, b.add(lo, b.mul(blk, i64(width)))))
            keys, sp = _key(b, line, b.load(at, typ=_vec(vty, width), align=line.dtype.itemsize))
            for k in range(most):
                splat = ir.Constant(_vec(kty, width), None)
                splat = b.insert_element(splat, value[k], ir.Constant(I32, 0))
                splat = b.shuffle_vector(splat, splat, ir.Constant(_vec(I32, width), [0] * width))
                eq = b.zext(b.icmp_unsigned("==", keys, splat), cty)
                b.store(b.add(b.load(lanes[k], typ=cty), eq), lanes[k])
            if sp is not None:
                any_sp = b.icmp_unsigned("!=", b.bitcast(sp, wty), ir.Constant(wty, 0))
                b.store(b.or_(b.load(seen, typ=I1), any_sp), seen)
        reduce = declare(b.function.module, f"llvm.vector.reduce.add.v{width}i{pty.width}",
                         pty, [cty])
        for k in range(most):
            c = b.call(reduce, [b.load(lanes[k], typ=cty)])
            b.store(c if pty == I64 else b.zext(c, I64), _at(b, sums, I64, i64(k)))
    tail = b.add(lo, b.mul(b.sdiv(b.sub(hi, lo), i64(width)), i64(width)))
    with loops.for_range(b, hi, start=tail, name="cnts") as i:
        key, sp = _key(b, line, b.load(_at(b, xp, vty, _strided(b, line, base, i)), typ=vty))
        for k in range(most):
            c = _at(b, sums, I64, i64(k))
            b.store(b.add(b.load(c, typ=I64), b.zext(b.icmp_unsigned("==", key, value[k]), I64)), c)
        if sp is not None:
            b.store(b.or_(b.load(seen, typ=I1), sp), seen)
    for k in range(most):
        c = b.load(_at(b, sums, I64, i64(k)), typ=I64)
        b.store(c if pty == I64 else b.trunc(c, pty), _at(b, counts, pty, i64(k)))
    return b.load(seen, typ=I1) if line.fixup else None


def _fill(b, line, op, base, val, lo, hi):
    """Output elements [lo, hi) of the line set to ``val`` (a vector at a time
    when the line is contiguous)."""
    vty, size = val.type, line.dtype.itemsize
    width = 64 // size if line.stride == 1 and not line.argsort else 1
    if width > 1:
        splat = b.insert_element(ir.Constant(_vec(vty, width), None), val, ir.Constant(I32, 0))
        splat = b.shuffle_vector(splat, splat, ir.Constant(_vec(I32, width), [0] * width))
        blocks = b.sdiv(b.sub(hi, lo), i64(width))
        with loops.for_range(b, blocks, name="fillv") as k:
            at = _at(b, op, vty, b.add(base, b.add(lo, b.mul(k, i64(width)))))
            b.store(splat, at, align=size)
        lo = b.add(lo, b.mul(blocks, i64(width)))
    with loops.for_range(b, hi, start=lo, name="fills") as j:
        b.store(val, _at(b, op, vty, _strided(b, line, base, j)))


class _LongLine:
    """The code of one long-line function (see ``_long_line_function``)."""

    def __init__(self, b, line, xp, op, base, scratch):
        self.b, self.line, self.xp, self.op, self.base = b, line, xp, op, base
        self.radix = 1 << line.bits
        offsets, _ = line.scratch_blocks()
        blocks = [b.gep(scratch, [i64(o)], source_etype=ir.IntType(8)) for o in offsets]
        self.bufs = blocks[:2]
        self.cbufs = blocks[2:4] if line.carried else [None, None]
        self.hist = blocks[-1]
        self.special = b.alloca(I1)
        self.cur, self.nxt = b.alloca(PTR), b.alloca(PTR)
        self.ccur, self.cnxt = b.alloca(PTR), b.alloca(PTR)
        self.active = b.alloca(ir.IntType(8), i64(line.passes))
        self.total = b.alloca(line.pty)
        self.ctx = b.alloca(I64, i64(_Ctx.SIZE))
        self.seen = b.alloca(I64)      # -0.0 or NaN seen by a pass of native code
        b.store(ir.Constant(I1, 0), self.special)
        b.store(i64(0), self.seen)

    def key_at(self, i):
        b, line = self.b, self.line
        v = b.load(_at(b, self.xp, lltype(line.dtype), _strided(b, line, self.base, i)),
                   typ=lltype(line.dtype))
        return _key(b, line, v)

    def item(self, key, i):
        return _item(self.b, self.line, key, i)

    def digit(self, item, shift):
        """Digit of ``item`` at key bit ``shift`` (an i64, constant or not)."""
        b = self.b
        wide = item if item.type == I64 else b.zext(item, I64)
        return b.and_(b.lshr(wide, b.add(shift, i64(self.line.shift))), i64(self.radix - 1))

    def count_ptr(self, hist, d):
        return _at(self.b, hist, self.line.pty, d)

    def order(self):
        """1 if the keys never decrease, 2 if they always decrease (never
        increase for sort), else 0; stops at the first proof of neither."""
        b, line = self.b, self.line
        fn = b.function
        start, up0, down0 = self.vector_order()
        first, _ = self.key_at(start)
        after = b.add(start, i64(1))
        pre = b.block
        head, body, end = (fn.append_basic_block(f"ord.{s}") for s in ("head", "body", "end"))
        b.branch(head)
        b.position_at_end(head)
        i, prev = b.phi(I64), b.phi(first.type)
        up, down = b.phi(I1), b.phi(I1)
        for phi, v in ((i, after), (prev, first), (up, up0), (down, down0)):
            phi.add_incoming(v, pre)
        b.cbranch(b.and_(b.icmp_signed("<", i, i64(line.n)), b.or_(up, down)), body, end)
        b.position_at_end(body)
        k, _ = self.key_at(i)
        i.add_incoming(b.add(i, i64(1)), body)
        prev.add_incoming(k, body)
        up.add_incoming(b.and_(up, b.icmp_unsigned("<=", prev, k)), body)
        down.add_incoming(b.and_(down, b.icmp_unsigned(">" if line.argsort else ">=", prev, k)),
                          body)
        b.branch(head)
        b.position_at_end(end)
        return b.select(up, i64(1), b.select(down, i64(2), i64(0)))

    def vector_order(self):
        """The pairs (j, j + 1) of a contiguous line compared a vector at a
        time, stopping at the first block in neither order; returns the index
        where the scalar check goes on and the two orders' flags so far."""
        b, line = self.b, self.line
        width = 64 // line.dtype.itemsize
        blocks = (line.n - 1) // width if line.stride == 1 else 0
        if blocks == 0:
            return i64(0), ir.Constant(I1, 1), ir.Constant(I1, 1)
        vty, wty = _vec(lltype(line.dtype), width), ir.IntType(width)
        fn, pre = b.function, b.block
        head, body, end = (fn.append_basic_block(f"vord.{s}") for s in ("head", "body", "end"))
        b.branch(head)
        b.position_at_end(head)
        k, up, down = b.phi(I64), b.phi(I1), b.phi(I1)
        for phi, v in ((k, i64(0)), (up, ir.Constant(I1, 1)), (down, ir.Constant(I1, 1))):
            phi.add_incoming(v, pre)
        b.cbranch(b.and_(b.icmp_signed("<", k, i64(blocks)), b.or_(up, down)), body, end)
        b.position_at_end(body)
        at = b.add(self.base, b.mul(k, i64(width)))
        keys = [_key(b, line, b.load(_at(b, self.xp, lltype(line.dtype), b.add(at, i64(j))),
                                     typ=vty, align=line.dtype.itemsize))[0] for j in (0, 1)]

        def every(pred):
            mask = b.bitcast(b.icmp_unsigned(pred, keys[0], keys[1]), wty)
            return b.icmp_unsigned("==", mask, ir.Constant(wty, -1))

        k.add_incoming(b.add(k, i64(1)), body)
        up.add_incoming(b.and_(up, every("<=")), body)
        down.add_incoming(b.and_(down, every(">" if line.argsort else ">=")), body)
        b.branch(head)
        b.position_at_end(end)
        return b.mul(k, i64(width)), up, down

    def few_digits_vary(self):
        """Do fewer digits than radix passes vary over a sample of 256 keys?"""
        b, line = self.b, self.line
        key0, _ = self.key_at(i64(0))
        seen = ir.Constant(key0.type, 0)
        for k in range(1, 256):
            key, _ = self.key_at(i64(k * (line.n - 1) // 255))
            seen = b.or_(seen, b.xor(key, key0))
        wide = seen if seen.type == I64 else b.zext(seen, I64)
        varying = i64(0)
        for p in range(line.passes):
            digit = b.and_(b.lshr(wide, i64(p * line.bits)), i64((1 << line.bits) - 1))
            varying = b.add(varying, b.zext(b.icmp_unsigned("!=", digit, i64(0)), I64))
        return b.icmp_unsigned("<", varying, i64(line.passes))

    def copy(self, reverse):
        """The line in input order (or reversed) into the output."""
        b, line = self.b, self.line
        with loops.for_range(b, line.n, name="cp") as i:
            j = b.select(reverse, b.sub(i64(line.n - 1), i), i)
            if line.argsort:
                val = _index_out(b, line, j)
            else:
                vty = lltype(line.dtype)
                val = b.load(_at(b, self.xp, vty, _strided(b, line, self.base, j)), typ=vty)
                if line.fixup:         # reversed runs of zeros and NaNs need the fix-up
                    sp = self.key_at(j)[1]
                    b.store(b.or_(b.load(self.special, typ=I1), b.and_(sp, reverse)),
                            self.special)
            b.store(val, _at(b, self.op, lltype(line.out_dtype), _strided(b, line, self.base, i)))

    def histogram(self):
        b, line = self.b, self.line
        size = line.passes * self.radix * (line.pty.width // 8)
        memset = declare(b.function.module, "llvm.memset.p0.i64", VOID, [PTR, ir.IntType(8), I64, I1])
        b.call(memset, [self.hist, ir.Constant(ir.IntType(8), 0), i64(size), ir.Constant(I1, 0)])
        with loops.for_range(b, line.n, name="hist") as i:
            key, sp = self.key_at(i)
            wide = key if key.type == I64 else b.zext(key, I64)
            for p in range(line.passes):
                d = b.and_(b.lshr(wide, i64(p * line.bits)), i64(self.radix - 1))
                c = self.count_ptr(self.hist, b.add(d, i64(p * self.radix)))
                b.store(b.add(b.load(c, typ=line.pty), ir.Constant(line.pty, 1)), c)
            if sp is not None:
                b.store(b.or_(b.load(self.special, typ=I1), sp), self.special)

    def sort(self):
        b, line = self.b, self.line
        self.histogram()
        key0, _ = self.key_at(i64(0))
        wide0 = key0 if key0.type == I64 else b.zext(key0, I64)
        first, last = i64(-1), i64(-1)
        for p in range(line.passes):           # a digit every key shares is skipped
            d = b.and_(b.lshr(wide0, i64(p * line.bits)), i64(self.radix - 1))
            c = b.load(self.count_ptr(self.hist, b.add(d, i64(p * self.radix))), typ=line.pty)
            act = b.icmp_unsigned("!=", c, ir.Constant(line.pty, line.n))
            b.store(b.zext(act, ir.IntType(8)), _at(b, self.active, ir.IntType(8), i64(p)))
            first = b.select(b.and_(act, b.icmp_signed("<", first, i64(0))), i64(p), first)
            last = b.select(act, i64(p), last)
        for slot, buf in ((self.cur, self.bufs[0]), (self.nxt, self.bufs[1]),
                          (self.ccur, self.cbufs[0]), (self.cnxt, self.cbufs[1])):
            if buf is not None:
                b.store(buf, slot)
        with b.if_else(b.icmp_signed("<", last, i64(0))) as (equal, differ):
            with equal:                         # all keys equal: the input order
                self.copy(ir.Constant(I1, 0))
            with differ:
                with loops.for_range(b, b.add(last, i64(1)), start=first, name="pass") as p:
                    act = b.load(_at(b, self.active, ir.IntType(8), p), typ=ir.IntType(8))
                    with b.if_then(b.icmp_unsigned("!=", act, ir.Constant(ir.IntType(8), 0))):
                        self.one_pass(p, b.icmp_signed("==", p, first),
                                      b.icmp_signed("==", p, last))

    def quicksort(self):
        """Quicksort of the line. A contiguous line longer than a leaf has its
        items made by the first partition (no pass of its own); one of
        PARALLEL_SORT_MIN items or more (and two threads) is split in two by a
        pivot that halves it, counted and partitioned by both threads, then
        each half is sorted by one of them."""
        b, line = self.b, self.line
        a = self.bufs[0]
        two = parallel.threads() >= 2 and line.n >= PARALLEL_SORT_MIN
        direct = line.direct and line.n > QUICKSORT_LEAF
        if not direct:
            self.load_items(a, two)
        depth = 2 * int(line.n).bit_length() + 4
        if two:
            self.split(direct, depth)
        else:
            self.serial(direct, depth)
        seen = b.icmp_unsigned("!=", b.load(self.seen, typ=I64), i64(0))
        b.store(b.or_(b.load(self.special, typ=I1), seen), self.special)

    def fin(self):
        """Where quicksort leaves the sorted line: the output (values), or
        the first buffer (items, then written out by ``store``)."""
        if self.line.values:
            return _at(self.b, self.op, self.line.ity, self.base)
        return self.bufs[0]

    def load_items(self, a, two):
        """The line's items into buffer ``a``, by two threads (halves) if ``two``."""
        b, line = self.b, self.line
        if not two:
            with loops.for_range(b, line.n, name="ld") as i:
                key, sp = self.key_at(i)
                b.store(self.item(key, i), _at(b, a, line.ity, i))
                if sp is not None:
                    b.store(b.or_(b.load(self.special, typ=I1), sp), self.special)
            return
        ctx = self.ctx
        for slot, v in ((_Ctx.INPUT, self.xp), (_Ctx.A, a), (_Ctx.BASE, self.base),
                        (_Ctx.SEEN, i64(0)), (_Ctx.SEEN + 1, i64(0))):
            b.store(v, elem(b, ctx, I64, i64(slot)))
        self.run_halves(_load_half_function(b.function.module, line))
        self.collect_seen()

    def serial(self, direct, depth):
        b, line = self.b, self.line
        module = b.function.module
        a, t = self.bufs
        fin, zero = self.fin(), ir.Constant(line.ity, 0)
        if direct:
            b.call(_first_step_function(module, line),
                   [self.xp, t, a, fin, i64(0), i64(line.n), i64(depth), zero, self.base,
                    self.seen])
        else:
            b.call(_quicksort_function(module, line),
                   [a, t, fin, i64(0), i64(line.n), i64(depth), zero])
        if not line.values:
            self.store(i64(0), i64(line.n))

    def split(self, direct, depth):
        """The split pivot (median of SPLIT_SAMPLE items), then three jobs
        of two chunks: count each half's items below it; partition each half
        into its known places; sort each side (and write it out)."""
        b, line = self.b, self.line
        module = b.function.module
        a, t = self.bufs
        src = self.xp if direct else a
        source = _Source(b, line, src, self.base if direct else None)
        pivot = _pivot(b, module, line.ity, source.item, i64(0), i64(line.n), SPLIT_SAMPLE)
        if line.lossy:      # a run of tied kept bits stays in one half
            pivot = b.and_(pivot, i64(-1 << line.ibits))
        ctx = self.ctx
        for slot, v in ((_Ctx.SRC, src), (_Ctx.BASE, self.base), (_Ctx.PIVOT, pivot),
                        (_Ctx.COUNT, i64(0)), (_Ctx.COUNT + 1, i64(0)),
                        (_Ctx.SEEN, i64(0)), (_Ctx.SEEN + 1, i64(0)), (_Ctx.T, t),
                        (_Ctx.A, a), (_Ctx.FIN, self.fin()), (_Ctx.OUT, self.op),
                        (_Ctx.INPUT, self.xp)):
            b.store(v, elem(b, ctx, I64, i64(slot)))
        self.run_halves(_count_half_function(module, line, direct))
        if direct:
            self.collect_seen()
        nl = b.add(b.load(elem(b, ctx, I64, i64(_Ctx.COUNT)), typ=I64),
                   b.load(elem(b, ctx, I64, i64(_Ctx.COUNT + 1)), typ=I64))
        b.store(nl, elem(b, ctx, I64, i64(_Ctx.SPLIT)))
        with b.if_else(b.icmp_signed("==", nl, i64(0)), likely=False) as (pivot_is_min, halves):
            with pivot_is_min:
                self.serial(direct, depth)
            with halves:
                self.run_halves(_split_half_function(module, line, direct))
                self.run_halves(_halves_function(module, line, depth - 1))

    def run_halves(self, fn):
        _run_halves(self.b, fn, self.ctx)

    def collect_seen(self):
        b = self.b
        seen = b.or_(b.load(elem(b, self.ctx, I64, i64(_Ctx.SEEN)), typ=I64),
                     b.load(elem(b, self.ctx, I64, i64(_Ctx.SEEN + 1)), typ=I64))
        b.store(b.or_(b.load(self.seen, typ=I64), seen), self.seen)

    def store(self, lo, hi):
        _store_items(self.b, self.line, self.bufs[0], self.op, self.base, lo, hi)
        if self.line.lossy:
            self.b.call(_ties_function(self.b.function.module, self.line),
                        [self.xp, self.op, self.base, self.bufs[0], lo, hi])

    def one_pass(self, p, is_first, is_last):
        """Exclusive prefix sums of digit ``p``'s counts, then the scatter."""
        b, line = self.b, self.line
        hist = b.gep(self.hist, [b.mul(p, i64(self.radix))], source_etype=line.pty)
        total = self.total
        b.store(ir.Constant(line.pty, 0), total)
        with loops.for_range(b, self.radix, name="pre") as d:
            c = self.count_ptr(hist, d)
            t = b.load(total, typ=line.pty)
            b.store(b.add(t, b.load(c, typ=line.pty)), total)
            b.store(t, c)
        shift = b.mul(p, i64(line.bits))
        with b.if_else(is_first) as (from_input, from_buffer):
            with from_input:
                with b.if_else(is_last) as (to_out, to_buf):
                    with to_out:
                        self.scatter(hist, shift, True, True)
                    with to_buf:
                        self.scatter(hist, shift, True, False)
            with from_buffer:
                with b.if_else(is_last) as (to_out, to_buf):
                    with to_out:
                        self.scatter(hist, shift, False, True)
                    with to_buf:
                        self.scatter(hist, shift, False, False)
        for a, c in ((self.cur, self.nxt), (self.ccur, self.cnxt)):
            if a is self.ccur and not line.carried:
                break
            va, vc = b.load(a, typ=PTR), b.load(c, typ=PTR)
            b.store(vc, a)
            b.store(va, c)

    def scatter(self, hist, shift, from_input, to_out):
        """One stable scatter of items by the digit at ``shift``."""
        b, line = self.b, self.line
        ity, cty = line.ity, line.pty
        src, dst = b.load(self.cur, typ=PTR), b.load(self.nxt, typ=PTR)
        csrc = b.load(self.ccur, typ=PTR) if line.carried else None
        cdst = b.load(self.cnxt, typ=PTR) if line.carried else None
        oty = lltype(line.out_dtype)
        with loops.for_range(b, line.n, name="sc") as i:
            if from_input:
                item = self.item(self.key_at(i)[0], i)
                carried = b.trunc(i, cty) if cty != I64 else i
            else:
                item = b.load(_at(b, src, ity, i), typ=ity)
                carried = b.load(_at(b, csrc, cty, i), typ=cty) if line.carried else None
            c = self.count_ptr(hist, self.digit(item, shift))
            pos = b.load(c, typ=cty)
            b.store(b.add(pos, ir.Constant(cty, 1)), c)
            pos = b.zext(pos, I64) if cty != I64 else pos
            if to_out:
                at = _at(b, self.op, oty, _strided(b, line, self.base, pos))
                if line.argsort:
                    idx = carried if line.carried else _index_of(b, line, item)
                    b.store(_index_out(b, line, idx), at)
                else:
                    b.store(_value(b, line, item), at)
            else:
                b.store(item, _at(b, dst, ity, pos))
                if line.carried:
                    b.store(carried, _at(b, cdst, cty, pos))


# -- long lines on AVX-512 hosts: vectorized quicksort ----------------------------------

@functools.lru_cache(maxsize=None)
def _compress_store_is_fast():
    """Is the compress instruction's memory form fast on the host (Intel; AMD's
    Zen 4 microcodes it)?"""
    return not binding.get_host_cpu_name().startswith("znver")


def _quicksort_fits(line):
    """32- and 64-bit items (sort of 32/64-bit dtypes, argsort's packed items)
    on a host with AVX-512's compress; the rest goes through radix."""
    return not line.carried and line.ity.width >= 32 and has_avx512()


def _vec(ty, n):
    return ir.VectorType(ty, n)


def _merge_stages(n):
    """A bitonic sorting network for n (a power of two) elements, every
    comparator ascending: per stage, the pairs (e, f), e < f, whose minimum
    goes to e. Each merge of blocks of size k starts by comparing an element
    with its mirror in the block, then halves the distance."""
    stages, k = [], 2
    while k <= n:
        stages.append([(e, e ^ (k - 1)) for e in range(n) if not e & k // 2])
        j = k // 4
        while j:
            stages.append([(e, e ^ j) for e in range(n) if not e & j])
            j //= 2
        k *= 2
    return stages


def _sort_registers(b, module, regs):
    """Sort the elements of ``regs`` (R vectors of L lanes, R and L powers of
    two): element e starts in register e % R, lane e // R, so the many
    comparators of small distance pair whole registers (one min or max per
    register), and only the few of large distance pair lanes within one. The
    result is laid out in order: register q holds elements [qL, qL + L)."""
    rcount, lanes = len(regs), regs[0].type.count
    n = rcount * lanes
    vty = regs[0].type
    ety = vty.element
    if isinstance(ety, ir.IntType):
        umin = declare(module, f"llvm.umin.v{lanes}i{ety.width}", vty, [vty, vty])
        umax = declare(module, f"llvm.umax.v{lanes}i{ety.width}", vty, [vty, vty])

        def min_max(x, y):
            return b.call(umin, [x, y]), b.call(umax, [x, y])
    else:
        # AVX-512 has two ports for float min/max, one for 64-bit integer min/max;
        # the instructions themselves (a select on a compare would be merged
        # with the lane picks into compares and blends)
        suffix = f"{'pd' if ety == ir.DoubleType() else 'ps'}.512"
        fmin = declare(module, f"llvm.x86.avx512.min.{suffix}", vty, [vty, vty, I32])
        fmax = declare(module, f"llvm.x86.avx512.max.{suffix}", vty, [vty, vty, I32])
        rounding = ir.Constant(I32, 4)      # the current mode (no rounding: exact)

        def min_max(x, y):
            return b.call(fmin, [x, y, rounding]), b.call(fmax, [x, y, rounding])

    def shuffle(x, y, mask):
        if y is None and mask == list(range(lanes)):
            return x
        return b.shuffle_vector(x, x if y is None else y, ir.Constant(_vec(I32, lanes), mask))

    def pick(takes_min, mn, mx):
        if all(takes_min):
            return mn
        if not any(takes_min):
            return mx
        return b.select(ir.Constant(_vec(I1, lanes), takes_min), mn, mx)

    regs = list(regs)
    for stage in _merge_stages(n):
        partner = {}
        for e, f in stage:
            partner[e], partner[f] = (f, True), (e, False)
        done = set()
        for r in range(rcount):
            if r in done:
                continue
            where = [partner[lane * rcount + r] for lane in range(lanes)]
            other = where[0][0] % rcount
            assert all(f % rcount == other for f, _ in where)
            lane_of = [f // rcount for f, _ in where]
            takes_min = [low for _, low in where]
            w = shuffle(regs[other], None, lane_of)
            mn, mx = min_max(regs[r], w)
            regs[r] = pick(takes_min, mn, mx)
            if other != r:      # the partner register takes the other values
                back = [0] * lanes
                for lane, to in enumerate(lane_of):
                    back[to] = lane
                regs[other] = shuffle(pick([not t for t in takes_min], mn, mx), None, back)
                done.add(other)
            done.add(r)
    return _relayout(b, regs, shuffle)


def _relayout(b, regs, shuffle):
    """Registers holding element e at (register e % R, lane e // R) -> at
    (register e // L, lane e % L): the index bits exchanged between register
    and lane positions a pair of registers at a time, then one permute of
    each register's lanes."""
    rcount, lanes = len(regs), regs[0].type.count
    rbits, lbits = rcount.bit_length() - 1, lanes.bit_length() - 1
    # where each bit of the element index is: ("r", register bit) or ("l", lane bit)
    loc = {i: ("r", i) for i in range(rbits)}
    loc.update({rbits + i: ("l", i) for i in range(lbits)})
    for t in range(rbits):
        want = lbits + t              # the index bit register bit t must hold
        if loc[want] == ("r", t):
            continue
        held = next(i for i, at in loc.items() if at == ("r", t))
        kind, u = loc[want]
        s = 1 << t
        if kind == "r":           # two register bits: the registers renamed
            regs = [regs[_swap_bits(r, t, u)] for r in range(rcount)]
        else:                     # register bit t and lane bit u exchanged
            c = 1 << u
            low = [(lane ^ c) + lanes if lane & c else lane for lane in range(lanes)]
            high = [lane + lanes if lane & c else lane ^ c for lane in range(lanes)]
            new = list(regs)
            for r in range(rcount):
                if not r & s:
                    new[r] = shuffle(regs[r], regs[r | s], low)
                    new[r | s] = shuffle(regs[r], regs[r | s], high)
            regs = new
        loc[want], loc[held] = ("r", t), (kind, u)
    # lane bit i must hold index bit i; index bit i is now at lane bit loc[i][1]
    order = [sum(((m >> i) & 1) << loc[i][1] for i in range(lbits)) for m in range(lanes)]
    return [shuffle(r, None, order) for r in regs]


def _swap_bits(x, i, j):
    if (x >> i & 1) != (x >> j & 1):
        x ^= (1 << i) | (1 << j)
    return x


def _quicksort_function(module, line):
    """``qs(cur, oth, fin, lo, hi, depth, low)``: sort items [lo, hi) now in
    ``cur``, none below ``low``, into ``fin`` (as values: ``line.values``);
    ``oth`` is free space. Partition cur -> oth around a pivot (512 bits at a
    time; out of place, so no load waits on a store) and recurse with the
    buffers' roles swapped (``_split_and_recurse``); ranges of at most
    QUICKSORT_LEAF items are sorted by a bitonic network in registers and
    stored into ``fin``. Depth exhausted: heapsort."""
    ity = line.ity
    fn, b = _function(module, f"{line.name}_qs", [PTR, PTR, PTR, I64, I64, I64, ity])
    if b is None:
        return fn
    cur, oth, fin, lo, hi, depth, low = fn.args
    n = b.sub(hi, lo)
    lanes = 16
    while lanes <= QUICKSORT_LEAF:       # the smallest network that holds the range
        with b.if_then(b.icmp_signed("<=", n, i64(lanes))):
            _leaf(b, module, line, cur, fin, lo, n, lanes)
            b.ret_void()
        lanes *= 2
    with b.if_then(b.icmp_signed("<=", depth, i64(0)), likely=False):
        heap = _heapsort_items_function(module, line)
        if line.values:         # cur is scratch: sort there, then the values out
            b.call(heap, [_at(b, cur, ity, lo), n])
            _finish(b, line, cur, fin, lo, n)
        else:
            _copy_items(b, module, line, cur, fin, lo, n)
            b.call(heap, [_at(b, fin, ity, lo), n])
        b.ret_void()
    _split_and_recurse(b, module, line, _Source(b, line, cur), oth, cur, fin, lo, hi, depth,
                       low, [i64(0), ir.Constant(PTR, None)])
    b.ret_void()
    return fn


def _first_step_function(module, line):
    """``first(x, t, a, fin, lo, hi, depth, low, base, seen)``: a contiguous
    line's first quicksort step, its items made from the input ``x`` (at
    offset ``base``) by the partition into ``t`` (the i64 at ``seen`` set to 1
    on a -0.0 or a NaN); ``a`` is the other buffer."""
    fn, b = _function(module, f"{line.name}_first",
                      [PTR, PTR, PTR, PTR, I64, I64, I64, line.ity, I64, PTR])
    if b is not None:
        xp, t, a, fin, lo, hi, depth, low, base, seen = fn.args
        _split_and_recurse(b, module, line, _Source(b, line, xp, base), t, a, fin, lo, hi,
                           depth, low, [base, seen])
        b.ret_void()
    return fn


def _split_and_recurse(b, module, line, source, dst, free, fin, lo, hi, depth, low, extra):
    """One quicksort step: the items [lo, hi) of ``source`` partitioned into
    ``dst`` around a pivot, each side then sorted by ``qs`` (``free`` its
    other buffer). A pivot equal to ``low`` is the range's minimum: the
    items equal to it are set aside in one pass, so each value repeated many
    times costs one pass."""
    ity, n = line.ity, b.sub(hi, lo)
    qs = _quicksort_function(module, line)
    part = _partition_function(module, line, from_input=source.base is not None)
    pivot = _pivot(b, module, ity, source.item, lo, n)
    d1 = b.sub(depth, i64(1))
    with b.if_else(b.icmp_unsigned("==", pivot, low)) as (pivot_is_min, split):
        with pivot_is_min:      # set the items equal to it aside, in one pass (many ties)
            ne = b.call(part, [source.ptr, dst, lo, hi, pivot, ir.Constant(I1, 1), lo, hi]
                        + extra)
            _finish(b, line, dst, fin, lo, ne)
            above = b.add(pivot, ir.Constant(ity, 1))   # wraps only when no item is left
            b.call(qs, [dst, free, fin, b.add(lo, ne), hi, d1, above])
        with split:
            nl = b.call(part, [source.ptr, dst, lo, hi, pivot, ir.Constant(I1, 0), lo, hi]
                        + extra)
            b.call(qs, [dst, free, fin, lo, b.add(lo, nl), d1, low])
            b.call(qs, [dst, free, fin, b.add(lo, nl), hi, d1, pivot])


class _Source:
    """Where a pass reads a line's items: a buffer of items, or (``base``
    given) the contiguous input line at offset ``base``, whose keys are made
    as they are read."""

    def __init__(self, b, line, ptr, base=None):
        self.b, self.line, self.ptr, self.base = b, line, ptr, base

    def block(self, i, width):
        """Items [i, i + width) as a vector, and their -0.0/NaN flags (or None)."""
        b, line = self.b, self.line
        if self.base is None:
            return b.load(_at(b, self.ptr, line.ity, i), typ=_vec(line.ity, width),
                          align=line.ity.width // 8), None
        vty = lltype(line.dtype)
        v = b.load(_at(b, self.ptr, vty, b.add(self.base, i)), typ=_vec(vty, width),
                   align=line.dtype.itemsize)
        key, special = _key(b, line, v)
        idx = b.add(_splat(b, i, width), ir.Constant(_vec(I64, width), list(range(width))))
        return _item(b, line, key, idx), special

    def item(self, i):
        """Item i (an i64 index)."""
        b, line = self.b, self.line
        if self.base is None:
            return b.load(_at(b, self.ptr, line.ity, i), typ=line.ity)
        v = b.load(_at(b, self.ptr, lltype(line.dtype), b.add(self.base, i)),
                   typ=lltype(line.dtype))
        return _item(b, line, _key(b, line, v)[0], i)

    def special(self, i):
        """Is input element i -0.0 or a NaN (None: no such flag)?"""
        b, line = self.b, self.line
        if self.base is None or not line.fixup:
            return None
        v = b.load(_at(b, self.ptr, lltype(line.dtype), b.add(self.base, i)),
                   typ=lltype(line.dtype))
        return _key(b, line, v)[1]


class _Ctx:
    """Slots (i64 each) of the context the two threads of a split line share."""
    SRC, BASE, PIVOT, COUNT, SEEN, T, A, FIN, SPLIT, OUT, INPUT = 0, 1, 2, 3, 5, 7, 8, 9, 10, 11, 12
    SIZE = 13


def _half(b, line, c):
    """Half ``c`` (0 or 1) of the line: [lo, hi)."""
    first = b.icmp_signed("==", c, i64(0))
    return (b.select(first, i64(0), i64(line.n // 2)),
            b.select(first, i64(line.n // 2), i64(line.n)))


def _ctx_get(b, ctx, slot, ty=I64):
    return b.load(elem(b, ctx, I64, slot if isinstance(slot, ir.Value) else i64(slot)), typ=ty)


def _load_half_function(module, line):
    """``load(ctx, c)``: the items of half ``c`` of the line into buffer A
    (SEEN + c set to 1 when it holds -0.0 or a NaN)."""
    fn, b = _function(module, f"{line.name}_ldhalf", [PTR, I64])
    if b is None:
        return fn
    ctx, c = fn.args
    xp, a, base = (_ctx_get(b, ctx, s, ty) for s, ty in
                   ((_Ctx.INPUT, PTR), (_Ctx.A, PTR), (_Ctx.BASE, I64)))
    lo, hi = _half(b, line, c)
    flag = b.alloca(I1)
    b.store(ir.Constant(I1, 0), flag)
    vty = lltype(line.dtype)
    with loops.for_range(b, hi, start=lo, name="ld") as i:
        key, sp = _key(b, line, b.load(_at(b, xp, vty, _strided(b, line, base, i)), typ=vty))
        b.store(_item(b, line, key, i), _at(b, a, line.ity, i))
        if sp is not None:
            b.store(b.or_(b.load(flag, typ=I1), sp), flag)
    b.store(b.zext(b.load(flag, typ=I1), I64), elem(b, ctx, I64, b.add(c, i64(_Ctx.SEEN))))
    b.ret_void()
    return fn


def _count_half_function(module, line, from_input):
    """``count(ctx, c)``: COUNT + c = the items of half ``c`` (of SRC) below
    PIVOT; from the input, SEEN + c = 1 if the half holds -0.0 or a NaN."""
    fn, b = _function(module, f"{line.name}_count{'in' if from_input else ''}", [PTR, I64])
    if b is None:
        return fn
    ctx, c = fn.args
    ity = line.ity
    source = _Source(b, line, _ctx_get(b, ctx, _Ctx.SRC, PTR),
                     _ctx_get(b, ctx, _Ctx.BASE) if from_input else None)
    pivot = _ctx_get(b, ctx, _Ctx.PIVOT, ity)
    lo, hi = _half(b, line, c)
    width = 512 // ity.width
    wty = ir.IntType(width)
    ctpop = declare(module, f"llvm.ctpop.i{width}", wty, [wty])
    pv = _splat(b, pivot, width)
    with b.goto_entry_block():
        count, seen = b.alloca(I64), b.alloca(I1)
    b.store(i64(0), count)
    b.store(ir.Constant(I1, 0), seen)
    blocks = b.sdiv(b.sub(hi, lo), i64(width))
    with loops.for_range(b, blocks, name="cnt") as k:
        v, sp = source.block(b.add(lo, b.mul(k, i64(width))), width)
        below = b.bitcast(b.icmp_unsigned("<", v, pv), wty)
        b.store(b.add(b.load(count, typ=I64), b.zext(b.call(ctpop, [below]), I64)), count)
        if sp is not None and line.fixup:
            any_sp = b.icmp_unsigned("!=", b.bitcast(sp, wty), ir.Constant(wty, 0))
            b.store(b.or_(b.load(seen, typ=I1), any_sp), seen)
    with loops.for_range(b, hi, start=b.add(lo, b.mul(blocks, i64(width))), name="cnts") as i:
        below = b.icmp_unsigned("<", source.item(i), pivot)
        b.store(b.add(b.load(count, typ=I64), b.zext(below, I64)), count)
        sp = source.special(i)
        if sp is not None:
            b.store(b.or_(b.load(seen, typ=I1), sp), seen)
    b.store(b.load(count, typ=I64), elem(b, ctx, I64, b.add(c, i64(_Ctx.COUNT))))
    if from_input:
        b.store(b.zext(b.load(seen, typ=I1), I64), elem(b, ctx, I64, b.add(c, i64(_Ctx.SEEN))))
    b.ret_void()
    return fn


def _split_half_function(module, line, from_input):
    """``split(ctx, c)``: half ``c`` of SRC partitioned around PIVOT into T,
    where the sides end up: [half 0's items below it, half 1's, half 0's
    others, half 1's]."""
    fn, b = _function(module, f"{line.name}_split{'in' if from_input else ''}", [PTR, I64])
    if b is None:
        return fn
    ctx, c = fn.args
    src, t, base = (_ctx_get(b, ctx, s, ty) for s, ty in
                    ((_Ctx.SRC, PTR), (_Ctx.T, PTR), (_Ctx.BASE, I64)))
    pivot = _ctx_get(b, ctx, _Ctx.PIVOT, line.ity)
    c0, nl = _ctx_get(b, ctx, _Ctx.COUNT), _ctx_get(b, ctx, _Ctx.SPLIT)
    lo, hi = _half(b, line, c)
    first = b.icmp_signed("==", c, i64(0))
    front = b.select(first, i64(0), c0)
    back = b.select(first, b.add(nl, b.sub(i64(line.n // 2), c0)), i64(line.n))
    part = _partition_function(module, line, from_input=from_input)
    b.call(part, [src, t, lo, hi, pivot, ir.Constant(I1, 0), front, back, base,
                  elem(b, ctx, I64, b.add(c, i64(_Ctx.SEEN)))])
    b.ret_void()
    return fn


def _halves_function(module, line, depth):
    """``half(ctx, c)``: side ``c`` of a split line (T[0:SPLIT] or the rest)
    quicksorted into FIN with A as the other buffer, then (items) written to
    the output."""
    fn, b = _function(module, f"{line.name}_half", [PTR, I64])
    if b is None:
        return fn
    ctx, c = fn.args
    t, a, fin, split, op, base, xp = (_ctx_get(b, ctx, s, ty) for s, ty in (
        (_Ctx.T, PTR), (_Ctx.A, PTR), (_Ctx.FIN, PTR), (_Ctx.SPLIT, I64), (_Ctx.OUT, PTR),
        (_Ctx.BASE, I64), (_Ctx.INPUT, PTR)))
    first = b.icmp_signed("==", c, i64(0))
    lo = b.select(first, i64(0), split)
    hi = b.select(first, split, i64(line.n))
    low = b.select(first, ir.Constant(line.ity, 0), _ctx_get(b, ctx, _Ctx.PIVOT, line.ity))
    b.call(_quicksort_function(module, line), [t, a, fin, lo, hi, i64(depth), low])
    if not line.values:
        _store_items(b, line, fin, op, base, lo, hi)
        if line.lossy:
            b.call(_ties_function(module, line), [xp, op, base, fin, lo, hi])
    b.ret_void()
    return fn


def _pivot(b, module, ity, item_at, lo, n, size=16):
    """The median of ``size`` items ``item_at(i)`` spread over [lo, lo + n)
    (sorted by the network; a larger sample by heapsort, which compiles much
    faster)."""
    q = b.sdiv(n, i64(size + 1))
    if size > 16:
        sample = _sorted_sample(b, module, ity,
                                lambda k: item_at(b.add(lo, b.mul(q, b.add(k, i64(1))))), size)
        return b.load(_at(b, sample, ity, i64(size // 2)), typ=ity)
    width = min(size, 512 // ity.width)
    regs = [ir.Constant(_vec(ity, width), None)] * (size // width)
    for k in range(size):
        x = item_at(b.add(lo, b.mul(q, i64(k + 1))))
        regs[k // width] = b.insert_element(regs[k // width], x, ir.Constant(I32, k % width))
    regs = _sort_registers(b, module, regs)
    return b.extract_element(regs[size // 2 // width], ir.Constant(I32, size // 2 % width))


def _sorted_sample(b, module, ity, item_at, size):
    """A stack array of ``size`` items ``item_at(k)`` (k an i64), sorted."""
    with b.goto_entry_block():
        sample = b.alloca(ity, i64(size))
    with loops.for_range(b, size, name="smp") as k:
        b.store(item_at(k), _at(b, sample, ity, k))
    shim = types.SimpleNamespace(name=f"sample_i{ity.width}", ity=ity)
    b.call(_heapsort_items_function(module, shim), [sample, i64(size)])
    return sample


def _splat(b, x, lanes):
    v = b.insert_element(ir.Constant(_vec(x.type, lanes), None), x, ir.Constant(I32, 0))
    return b.shuffle_vector(v, v, ir.Constant(_vec(I32, lanes), [0] * lanes))


def _leaf(b, module, line, src, dst, lo, n, lanes):
    """dst[lo:lo+n] = src[lo:lo+n] sorted (as values: ``line.values``), for
    n <= lanes (padding: all ones), in 512-bit registers."""
    ity = line.ity
    width = 512 // ity.width
    rty = _vec(ity, width)
    load = declare(module, f"llvm.masked.load.v{width}i{ity.width}.p0", rty,
                   [PTR, I32, _vec(I1, width), rty])
    store = declare(module, f"llvm.masked.store.v{width}i{ity.width}.p0", VOID,
                    [rty, PTR, I32, _vec(I1, width)])
    align = ir.Constant(I32, ity.width // 8)
    iota = ir.Constant(_vec(I64, width), list(range(width)))
    masks = [b.icmp_signed("<", iota, _splat(b, b.sub(n, i64(r * width)), width))
             for r in range(lanes // width)]
    regs = [b.call(load, [_at(b, src, ity, b.add(lo, i64(r * width))), align, m,
                          ir.Constant(rty, [-1] * width)]) for r, m in enumerate(masks)]
    if line.fixup:
        # sort of floats: sorted as floats (faster min/max); the NaN key (and
        # the padding) becomes +inf's, so the NaNs leave as +inf and the
        # fix-up (a NaN was seen) rewrites them
        inf = _splat(b, _key(b, line, ir.Constant(lltype(line.dtype), float("inf")))[0], width)
        umin = declare(module, f"llvm.umin.v{width}i{ity.width}", rty, [rty, rty])
        fty = _vec(lltype(line.dtype), width)
        regs = [b.bitcast(_value_bits(b, line, b.call(umin, [v, inf])), fty) for v in regs]
        regs = _sort_registers(b, module, regs)
        regs = [b.bitcast(v, rty) if line.values else _key(b, line, v)[0] for v in regs]
    else:
        regs = _sort_registers(b, module, regs)
        if line.values:
            regs = [_value_bits(b, line, v) for v in regs]
    for r, (v, m) in enumerate(zip(regs, masks)):
        b.call(store, [v, _at(b, dst, ity, b.add(lo, i64(r * width))), align, m])


def _finish(b, line, src, fin, lo, n):
    """fin[lo:lo+n] = src[lo:lo+n], sorted items: as values (``line.values``)
    or the items themselves (unless fin is src)."""
    if not line.values:
        _copy_items(b, b.function.module, line, src, fin, lo, n)
        return
    ity = line.ity
    with loops.for_range(b, b.add(lo, n), start=lo, name="fin") as i:
        b.store(_value_bits(b, line, b.load(_at(b, src, ity, i), typ=ity)), _at(b, fin, ity, i))


def _copy_items(b, module, line, src, dst, lo, n):
    """dst[lo:lo+n] = src[lo:lo+n] unless they are the same buffer."""
    memmove = declare(module, "llvm.memmove.p0.p0.i64", VOID, [PTR, PTR, I64, I1])
    with b.if_then(b.icmp_unsigned("!=", src, dst)):
        b.call(memmove, [_at(b, dst, line.ity, lo), _at(b, src, line.ity, lo),
                         b.mul(n, i64(line.ity.width // 8)), ir.Constant(I1, 0)])


def _partition_function(module, line, from_input=False):
    """``part(src, dst, lo, hi, pivot, or_equal, front, back, base, seen) -> m``:
    the m items of src[lo:hi) below ``pivot`` (or equal, with or_equal) to
    dst[front:front+m), the others to the places below dst[back]. With
    ``from_input``, src is the contiguous input line at offset ``base``, its
    items made here, and the i64 at ``seen`` is set to 1 if a -0.0 or a NaN
    is read (else both are unused). Nothing is written outside the items'
    places, so two threads may fill neighbouring places of one buffer."""
    ity = line.ity
    name = f"{line.name}_part{'in' if from_input else ''}"
    fn = module.globals.get(name)
    if fn is not None:
        return fn
    fn = ir.Function(module, ir.FunctionType(I64, [PTR, PTR, I64, I64, ity, I1, I64, I64, I64,
                                                   PTR]), name=name)
    fn.linkage = "internal"
    for arg in fn.args[:2]:
        arg.add_attribute("noalias")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    src, oth, lo, hi, pivot, or_equal, front, back, base, seen_at = fn.args
    source = _Source(b, line, src, base if from_input else None)
    width = 512 // ity.width
    vty, mty, wty = _vec(ity, width), _vec(I1, width), ir.IntType(width)
    # Intel: the compress instruction's memory form (fewer port-5 uops than a
    # register compress and a masked store: 1e6 f32 ~5% faster, i32 ~8%); AMD
    # microcodes it: compress in a register, then store the first c lanes.
    compress = declare(module, f"llvm.x86.avx512.mask.compress.v{width}i{ity.width}", vty,
                       [vty, vty, mty])
    store = declare(module, f"llvm.masked.store.v{width}i{ity.width}.p0", VOID,
                    [vty, PTR, I32, mty])
    ctpop = declare(module, f"llvm.ctpop.i{width}", wty, [wty])
    align = ir.Constant(I32, ity.width // 8)
    pv = _splat(b, pivot, width)
    left, right = b.alloca(I64), b.alloca(I64)     # items sent front / back so far
    seen = b.alloca(I1)
    b.store(i64(0), left)
    b.store(i64(0), right)
    b.store(ir.Constant(I1, 0), seen)

    to_memory = _compress_store_is_fast()
    cstore = declare(module, f"llvm.masked.compressstore.v{width}i{ity.width}", VOID,
                     [vty, PTR, mty])

    def put(v, at, m, count):
        if to_memory:
            b.call(cstore, [v, _at(b, oth, ity, at), m])
            return
        first = b.bitcast(b.trunc(b.sub(b.shl(i64(1), count), i64(1)), wty), mty)
        b.call(store, [b.call(compress, [v, ir.Constant(vty, None), m]),
                       _at(b, oth, ity, at), align, first])

    def block(k):
        v, sp = source.block(b.add(lo, b.mul(k, i64(width))), width)
        if sp is not None and line.fixup:
            any_sp = b.icmp_unsigned("!=", b.bitcast(sp, wty), ir.Constant(wty, 0))
            b.store(b.or_(b.load(seen, typ=I1), any_sp), seen)
        m = b.select(or_equal, b.icmp_unsigned("<=", v, pv), b.icmp_unsigned("<", v, pv))
        return v, m, b.zext(b.call(ctpop, [b.bitcast(m, wty)]), I64)

    blocks = b.sdiv(b.sub(hi, lo), i64(width))
    with loops.for_range(b, blocks, name="part") as k:
        v, m, c = block(k)
        nl, nr = b.load(left, typ=I64), b.load(right, typ=I64)
        put(v, b.add(front, nl), m, c)
        nr = b.add(nr, b.sub(i64(width), c))
        put(v, b.sub(back, nr), b.not_(m), b.sub(i64(width), c))
        b.store(b.add(nl, c), left)
        b.store(nr, right)
    with loops.for_range(b, hi, start=b.add(lo, b.mul(blocks, i64(width))), name="ptail") as j:
        x = source.item(j)
        sp = source.special(j)
        if sp is not None:
            b.store(b.or_(b.load(seen, typ=I1), sp), seen)
        is_front = b.select(or_equal, b.icmp_unsigned("<=", x, pivot),
                            b.icmp_unsigned("<", x, pivot))
        nl, nr = b.load(left, typ=I64), b.load(right, typ=I64)
        nr1 = b.add(nr, i64(1))
        b.store(x, _at(b, oth, ity, b.select(is_front, b.add(front, nl), b.sub(back, nr1))))
        b.store(b.select(is_front, b.add(nl, i64(1)), nl), left)
        b.store(b.select(is_front, nr, nr1), right)
    if from_input and line.fixup:
        with b.if_then(b.load(seen, typ=I1), likely=False):
            b.store(i64(1), seen_at)
    b.ret(b.load(left, typ=I64))
    return fn


def _heapsort_items_function(module, line):
    """``heap(a, n)``: heapsort of n unsigned items at ``a`` (quicksort's
    guard against a run of bad pivots)."""
    ity = line.ity
    fn, b = _function(module, f"{line.name}_heapitems", [PTR, I64])
    if b is None:
        return fn
    a, n = fn.args
    sift = _sift_items_function(module, line)
    half = b.sdiv(n, i64(2))
    with loops.for_range(b, half, name="h") as h:
        b.call(sift, [a, b.sub(b.sub(half, i64(1)), h), n])
    with loops.for_range(b, b.sub(n, i64(1)), name="e") as e:
        end = b.sub(b.sub(n, i64(1)), e)
        p0, pe = _at(b, a, ity, i64(0)), _at(b, a, ity, end)
        x, y = b.load(p0, typ=ity), b.load(pe, typ=ity)
        b.store(y, p0)
        b.store(x, pe)
        b.call(sift, [a, i64(0), end])
    b.ret_void()
    return fn


def _sift_items_function(module, line):
    ity = line.ity
    fn, b = _function(module, f"{line.name}_siftitems", [PTR, I64, I64])
    if b is None:
        return fn
    a, root0, end = fn.args
    slot = b.alloca(I64)
    b.store(root0, slot)
    loop, body, swap, done = (fn.append_basic_block(s) for s in ("loop", "body", "swap", "done"))
    b.branch(loop)
    b.position_at_end(loop)
    r = b.load(slot, typ=I64)
    child = b.add(b.mul(r, i64(2)), i64(1))
    b.cbranch(b.icmp_signed("<", child, end), body, done)
    b.position_at_end(body)
    right = b.add(child, i64(1))
    has_right = b.icmp_signed("<", right, end)
    cv = b.load(_at(b, a, ity, child), typ=ity)
    rv = b.load(_at(b, a, ity, b.select(has_right, right, child)), typ=ity)
    take_right = b.and_(has_right, b.icmp_unsigned("<", cv, rv))
    big, bv = b.select(take_right, right, child), b.select(take_right, rv, cv)
    xv = b.load(_at(b, a, ity, r), typ=ity)
    b.cbranch(b.icmp_unsigned("<", xv, bv), swap, done)
    b.position_at_end(swap)
    b.store(bv, _at(b, a, ity, r))
    b.store(xv, _at(b, a, ity, big))
    b.store(big, slot)
    b.branch(loop)
    b.position_at_end(done)
    b.ret_void()
    return fn


# -- 64-bit argsort: ties of the kept key bits -------------------------------------------

def _ties_function(module, line):
    """``ties(x, out, base, items, lo, hi)`` after a lossy argsort (items
    sorted, output written): a run of items[lo:hi] whose kept key bits tie is
    in index order; unless the full keys of its elements are in order too
    (equal keys: the common tie), its output is heapsorted by (key, index)."""
    fn, b = _function(module, f"{line.name}_ties", [PTR, PTR, I64, PTR, I64, I64])
    if b is None:
        return fn
    xp, op, base, items, lo, hi = fn.args
    heap = _heap_run_function(module, line)
    vty = lltype(line.dtype)

    def kept(i):
        return b.lshr(b.load(_at(b, items, I64, i), typ=I64), i64(line.ibits))

    def full_key(i):
        idx = _index_of(b, line, b.load(_at(b, items, I64, i), typ=I64))
        return _key(b, line, b.load(_at(b, xp, vty, _strided(b, line, base, idx)), typ=vty))[0]

    with b.goto_entry_block():
        end, bad = b.alloca(I64), b.alloca(I1)
    with loops.for_range(b, hi, start=b.add(lo, i64(1)), name="tie") as j:
        prev = kept(b.sub(j, i64(1)))
        tied = b.icmp_unsigned("==", prev, kept(j))
        jm2 = b.sub(j, i64(2))
        fresh = b.icmp_signed("<", jm2, lo)
        fresh = b.or_(fresh, b.icmp_unsigned("!=", kept(b.select(fresh, j, jm2)), prev))
        with b.if_then(b.and_(tied, fresh), likely=False):      # a run starts at j - 1
            b.store(b.add(j, i64(1)), end)
            head, step, done = (b.function.append_basic_block(f"run.{s}")
                                for s in ("head", "step", "done"))
            b.branch(head)
            b.position_at_end(head)
            e = b.load(end, typ=I64)
            inside = b.icmp_signed("<", e, hi)
            b.cbranch(inside, step, done)
            b.position_at_end(step)
            more = b.icmp_unsigned("==", kept(b.select(inside, e, j)), prev)
            b.store(b.add(e, b.zext(more, I64)), end)
            b.cbranch(more, head, done)
            b.position_at_end(done)
            start, e = b.sub(j, i64(1)), b.load(end, typ=I64)
            b.store(ir.Constant(I1, 0), bad)
            with loops.for_range(b, e, start=j, name="chk") as k:
                out_of_order = b.icmp_unsigned(">", full_key(b.sub(k, i64(1))), full_key(k))
                b.store(b.or_(b.load(bad, typ=I1), out_of_order), bad)
            with b.if_then(b.load(bad, typ=I1), likely=False):
                b.call(heap, [xp, op, base, start, b.sub(e, start)])
    b.ret_void()
    return fn


def _heap_run_function(module, line):
    """``heap(x, out, base, start, n)``: heapsort of the output entries
    [start, start + n) of the line by (key, index)."""
    fn, b = _function(module, f"{line.name}_heaprun", [PTR, PTR, I64, I64, I64])
    if b is None:
        return fn
    xp, op, base, start, n = fn.args
    oty = lltype(line.out_dtype)
    sift = _sift_function(module, line)
    obase = _strided(b, line, base, start)
    half = b.sdiv(n, i64(2))
    with loops.for_range(b, half, name="h") as h:
        b.call(sift, [xp, op, base, obase, b.sub(b.sub(half, i64(1)), h), n])
    with loops.for_range(b, b.sub(n, i64(1)), name="e") as e:
        last = b.sub(b.sub(n, i64(1)), e)
        first, at = _at(b, op, oty, obase), _at(b, op, oty, _strided(b, line, obase, last))
        top, bottom = b.load(first, typ=oty), b.load(at, typ=oty)
        b.store(bottom, first)
        b.store(top, at)
        b.call(sift, [xp, op, base, obase, i64(0), last])
    b.ret_void()
    return fn


# -- fallback: heapsort in place ---------------------------------------------------------

def _heap_function(module, line):
    """``line(x, out, base)``: heapsort of the line's items in the output's
    place, for when the scratch block could not be allocated. Items are the
    values (sort) or indices ordered by (key, index) (argsort)."""
    fn, b = _function(module, f"{line.name}_heap", [PTR, PTR, I64])
    if b is None:
        return fn
    xp, op, base = fn.args
    vty, oty = lltype(line.dtype), lltype(line.out_dtype)
    sift = _sift_function(module, line)
    n = line.n
    with loops.for_range(b, n, name="i") as i:
        at = _at(b, op, oty, _strided(b, line, base, i))
        if line.argsort:
            b.store(_index_out(b, line, i), at)
        else:
            b.store(b.load(_at(b, xp, vty, _strided(b, line, base, i)), typ=vty), at)
    with loops.for_range(b, n // 2, name="h") as h:       # heapify
        b.call(sift, [xp, op, base, base, b.sub(i64(n // 2 - 1), h), i64(n)])
    with loops.for_range(b, max(n - 1, 0), name="e") as e:   # pop the maxima
        end = b.sub(i64(n - 1), e)
        first = _at(b, op, oty, base)
        last = _at(b, op, oty, _strided(b, line, base, end))
        top, bottom = b.load(first, typ=oty), b.load(last, typ=oty)
        b.store(bottom, first)
        b.store(top, last)
        b.call(sift, [xp, op, base, base, i64(0), end])
    if line.fixup:
        _fixup(b, line, xp, op, base)
    b.ret_void()
    return fn


def _sift_function(module, line):
    """``sift(x, out, base, obase, root, end)``: restore the max-heap below
    ``root`` in the ``end`` output entries from offset ``obase`` (of the line
    at ``base``), compared by key (then index)."""
    fn, b = _function(module, f"{line.name}_sift", [PTR, PTR, I64, I64, I64, I64])
    if b is None:
        return fn
    xp, op, base, obase, root0, end = fn.args
    vty, oty = lltype(line.dtype), lltype(line.out_dtype)
    root_slot = b.alloca(I64)
    b.store(root0, root_slot)
    loop, body, swap, done = (fn.append_basic_block(s) for s in ("loop", "body", "swap", "done"))
    b.branch(loop)

    def at(i):
        return _at(b, op, oty, _strided(b, line, obase, i))

    def item(i):
        v = b.load(at(i), typ=oty)
        if not line.argsort:
            return _key(b, line, v)[0]
        idx = v if oty == I64 else b.zext(v, I64)
        key = _key(b, line, b.load(_at(b, xp, vty, _strided(b, line, base, idx)), typ=vty))[0]
        return key, idx

    def less(i, j):
        a, c = item(i), item(j)
        if not line.argsort:
            return b.icmp_unsigned("<", a, c)
        return b.or_(b.icmp_unsigned("<", a[0], c[0]),
                     b.and_(b.icmp_unsigned("==", a[0], c[0]), b.icmp_unsigned("<", a[1], c[1])))

    b.position_at_end(loop)
    r = b.load(root_slot, typ=I64)
    child = b.add(b.mul(r, i64(2)), i64(1))
    b.cbranch(b.icmp_signed("<", child, end), body, done)
    b.position_at_end(body)
    right = b.add(child, i64(1))
    has_right = b.icmp_signed("<", right, end)
    right_ok = b.select(has_right, right, child)        # never read past the heap
    big = b.select(b.and_(has_right, less(child, right_ok)), right, child)
    b.cbranch(less(r, big), swap, done)
    b.position_at_end(swap)
    pr, pb = at(r), at(big)
    vr, vb = b.load(pr, typ=oty), b.load(pb, typ=oty)
    b.store(vb, pr)
    b.store(vr, pb)
    b.store(big, root_slot)
    b.branch(loop)
    b.position_at_end(done)
    b.ret_void()
    return fn
