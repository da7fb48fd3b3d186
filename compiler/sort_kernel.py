"""The ``sort``/``argsort`` kernel: every line along ``dimension`` sorted into
the output.

Each element becomes an unsigned integer *key* whose order is the sort order:
the sign bit flipped for signed integers; for floats every NaN made one NaN
above +inf and -0.0 made +0.0 (JAX's comparator canonicalizes the same way, so
they tie), then the bits flipped as the IEEE order needs. Integer keys make
every comparison one unsigned compare and let a line be sorted by digits:

* lines of at most ``NETWORK_MAX`` elements: a sorting network (Batcher's
  odd-even merge sort) on registers, branch-free;
* lines of at most ``INSERTION_MAX``: insertion sort in a stack buffer;
* longer lines: LSD radix sort, 8-bit digits (11-bit from 2^16 elements),
  one pass over the line for all digit histograms, then one scatter pass per
  digit that not every key shares. Scratch is ``malloc``'ed once per call
  (per band when the kernel runs over threads); if that fails the line is
  heapsorted in place.

argsort sorts (key, index) pairs, so it is stable whatever the method: keys
of up to 32 bits are packed with the index into one i64 (key high); 64-bit
keys carry the index beside them. sort writes the keys back as values; where
a line held -0.0 or a NaN (values the key merges), the runs of zeros and of
NaNs are rewritten from the input in input order, as a stable sort leaves them.
"""
import numpy as np
from llvmlite import ir

from jaxlite.compiler import loops
from jaxlite.compiler.lltypes import I1, I32, I64, PTR, VOID, declare, i64, lltype
from jaxlite.compiler.registry import kernel_rule

NETWORK_MAX = 16
INSERTION_MAX = 48
WIDE_DIGITS_FROM = 1 << 16      # 11-bit digits from here: fewer passes over a long line


class _Line:
    """What every function of one sort kernel knows about its lines."""

    def __init__(self, node, kernel_index):
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
        self.carried = self.argsort and not self.packed
        self.ity = I64 if self.packed else self.kty
        self.shift = 32 if self.packed else 0
        self.pty = I32 if self.n < 1 << 31 else I64          # carried index, counts
        self.bits = 11 if self.n >= WIDE_DIGITS_FROM else 8
        self.passes = -(-self.kbits // self.bits)
        self.fixup = not self.argsort and self.dtype.kind == "f"

    def scratch_bytes(self):
        n = self.n
        items = 2 * n * (self.ity.width // 8)
        carried = 2 * n * (self.pty.width // 8) if self.carried else 0
        return items + carried + self.passes * (1 << self.bits) * (self.pty.width // 8)


@kernel_rule("sort", "argsort", label="sort", fuses_inputs=False)
def emit_sort(em, kernel):
    node = kernel.root
    line = _Line(node, kernel.index)
    if line.n == 0 or node.out.aval.size == 0:
        return
    b = em.b
    xp, op = em.address(node.inputs[0], i64(0)), em.address(node.out, i64(0))
    scratch = None
    if line.n > INSERTION_MAX:
        malloc = declare(em.module, "malloc", PTR, [I64])
        scratch = b.call(malloc, [i64(line.scratch_bytes())])
        sort_line = _radix_function(em.module, line)
        heap_line = _heap_function(em.module, line)
    else:
        sort_line = _small_function(em.module, line)
    shape, d = line.shape, line.dim
    with loops.loop_nest(b, shape[:d], "p", outer=em.band) as pre:
        with loops.loop_nest(b, shape[d + 1:], "q") as post:
            base = loops.linear_index(b, list(pre) + [i64(0)] + list(post), shape)
            if scratch is None:
                b.call(sort_line, [xp, op, base])
            else:
                failed = b.icmp_unsigned("==", scratch, ir.Constant(PTR, None))
                with b.if_else(failed, likely=False) as (oom, ok):
                    with oom:
                        b.call(heap_line, [xp, op, base])
                    with ok:
                        b.call(sort_line, [xp, op, base, scratch])
    if scratch is not None:
        b.call(declare(em.module, "free", VOID, [PTR]), [scratch])


# -- keys ---------------------------------------------------------------------

def _key(b, line, v):
    """The unsigned key of value ``v``, and (floats) whether ``v`` is -0.0 or NaN."""
    kind, kty = line.dtype.kind, line.kty
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
        if line.packed:
            item = b.or_(b.shl(b.zext(key, I64), i64(32)), i)
        else:
            item = key
        store_item(i, key, item)
        if flag is not None:
            b.store(b.or_(b.load(flag, typ=I1), special), flag)
    return None if flag is None else b.load(flag, typ=I1)


def _store_out(b, line, op, base, i, item, carried_index):
    """Output element i of the line from its sorted item."""
    if line.argsort:
        idx = carried_index if line.carried else b.and_(item, i64(0xFFFFFFFF))
        val = _index_out(b, line, idx)
    else:
        val = _value(b, line, item)
    b.store(val, _at(b, op, lltype(line.out_dtype), _strided(b, line, base, i)))


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
    """``line(x, out, base)``: a sorting network or insertion sort on the stack."""
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
    if n <= NETWORK_MAX:
        _network(b, line, keys, idxs)
    else:
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


def _network(b, line, keys, idxs):
    """Compare-exchange on registers; items are unique or equal keys are equal
    values (sort), except with a carried index, which breaks ties."""
    n = line.n
    items = [b.load(_at(b, keys, line.ity, i64(i)), typ=line.ity) for i in range(n)]
    ids = ([b.load(_at(b, idxs, line.pty, i64(i)), typ=line.pty) for i in range(n)]
           if idxs is not None else None)
    for a, c in _merge_network(n):
        x, y = items[a], items[c]
        if ids is None:
            swap = b.icmp_unsigned(">", x, y)
        else:
            swap = b.or_(b.icmp_unsigned(">", x, y),
                         b.and_(b.icmp_unsigned("==", x, y),
                                b.icmp_unsigned(">", ids[a], ids[c])))
            ids[a], ids[c] = b.select(swap, ids[c], ids[a]), b.select(swap, ids[a], ids[c])
        items[a], items[c] = b.select(swap, y, x), b.select(swap, x, y)
    for i in range(n):
        b.store(items[i], _at(b, keys, line.ity, i64(i)))
        if ids is not None:
            b.store(ids[i], _at(b, idxs, line.pty, i64(i)))


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

def _radix_function(module, line):
    """``line(x, out, base, scratch)``: LSD radix sort through the scratch block."""
    fn, b = _function(module, f"{line.name}_radix", [PTR, PTR, I64, PTR])
    if b is None:
        return fn
    for a in fn.args[:2] + fn.args[3:]:
        a.add_attribute("noalias")
    xp, op, base, scratch = fn.args
    n, ity, cty = line.n, line.ity, line.pty
    isz, csz = ity.width // 8, cty.width // 8
    radix = 1 << line.bits
    off = 0

    def block(nbytes):
        nonlocal off
        p = b.gep(scratch, [i64(off)], source_etype=ir.IntType(8))
        off += nbytes
        return p

    bufs = [block(n * isz), block(n * isz)]
    cbufs = [block(n * csz), block(n * csz)] if line.carried else [None, None]
    hist = block(line.passes * radix * csz)
    memset = declare(module, "llvm.memset.p0.i64", VOID, [PTR, ir.IntType(8), I64, I1])
    b.call(memset, [hist, ir.Constant(ir.IntType(8), 0), i64(line.passes * radix * csz),
                    ir.Constant(I1, 0)])

    def digit(item, p):
        wide = item if ity == I64 else b.zext(item, I64)
        return b.and_(b.lshr(wide, i64(line.shift + p * line.bits)), i64(radix - 1))

    def count_at(p, d):
        return _at(b, hist, cty, b.add(d, i64(p * radix)))

    def put(i, key, item):
        b.store(item, _at(b, bufs[0], ity, i))
        if line.carried:
            b.store(b.trunc(i, cty) if cty != I64 else i, _at(b, cbufs[0], cty, i))
        for p in range(line.passes):
            c = count_at(p, digit(item, p))
            b.store(b.add(b.load(c, typ=cty), ir.Constant(cty, 1)), c)

    special = _load_line(b, line, xp, base, put, line.fixup)

    with b.goto_entry_block():
        src, dst = b.alloca(PTR), b.alloca(PTR)
        csrc, cdst = b.alloca(PTR), b.alloca(PTR)
    b.store(bufs[0], src)
    b.store(bufs[1], dst)
    if line.carried:
        b.store(cbufs[0], csrc)
        b.store(cbufs[1], cdst)
    for p in range(line.passes):
        _radix_pass(b, line, p, src, dst, csrc, cdst, digit, count_at)

    s = b.load(src, typ=PTR)
    cs = b.load(csrc, typ=PTR) if line.carried else None
    with loops.for_range(b, n, name="st") as i:
        item = b.load(_at(b, s, ity, i), typ=ity)
        ci = b.load(_at(b, cs, cty, i), typ=cty) if cs is not None else None
        _store_out(b, line, op, base, i, item, ci)
    if special is not None:
        with b.if_then(special, likely=False):
            _fixup(b, line, xp, op, base)
    b.ret_void()
    return fn


def _radix_pass(b, line, p, src, dst, csrc, cdst, digit, count_at):
    """Scatter src -> dst by digit ``p`` (stable), unless every key shares it."""
    n, ity, cty = line.n, line.ity, line.pty
    s = b.load(src, typ=PTR)
    first = digit(b.load(s, typ=ity), p)
    shared = b.icmp_unsigned("==", b.load(count_at(p, first), typ=cty), ir.Constant(cty, n))
    with b.if_then(b.not_(shared)):
        with b.goto_entry_block():
            total = b.alloca(cty)
        b.store(ir.Constant(cty, 0), total)
        with loops.for_range(b, 1 << line.bits, name=f"pre{p}") as d:   # exclusive prefix
            c = count_at(p, d)
            t = b.load(total, typ=cty)
            b.store(b.add(t, b.load(c, typ=cty)), total)
            b.store(t, c)
        d_ = b.load(dst, typ=PTR)
        cs = b.load(csrc, typ=PTR) if line.carried else None
        cd = b.load(cdst, typ=PTR) if line.carried else None
        with loops.for_range(b, n, name=f"sc{p}") as i:
            item = b.load(_at(b, s, ity, i), typ=ity)
            c = count_at(p, digit(item, p))
            pos = b.load(c, typ=cty)
            b.store(b.add(pos, ir.Constant(cty, 1)), c)
            b.store(item, _at(b, d_, ity, pos))
            if line.carried:
                b.store(b.load(_at(b, cs, cty, i), typ=cty), _at(b, cd, cty, pos))
        b.store(d_, src)
        b.store(s, dst)
        if line.carried:
            b.store(cd, csrc)
            b.store(cs, cdst)


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
        b.call(sift, [xp, op, base, b.sub(i64(n // 2 - 1), h), i64(n)])
    with loops.for_range(b, max(n - 1, 0), name="e") as e:   # pop the maxima
        end = b.sub(i64(n - 1), e)
        first = _at(b, op, oty, base)
        last = _at(b, op, oty, _strided(b, line, base, end))
        top, bottom = b.load(first, typ=oty), b.load(last, typ=oty)
        b.store(bottom, first)
        b.store(top, last)
        b.call(sift, [xp, op, base, i64(0), end])
    if line.fixup:
        _fixup(b, line, xp, op, base)
    b.ret_void()
    return fn


def _sift_function(module, line):
    """``sift(x, out, base, root, end)``: restore the max-heap below ``root``
    in the line's first ``end`` entries, compared by key (then index)."""
    fn, b = _function(module, f"{line.name}_sift", [PTR, PTR, I64, I64, I64])
    if b is None:
        return fn
    xp, op, base, root0, end = fn.args
    vty, oty = lltype(line.dtype), lltype(line.out_dtype)
    root_slot = b.alloca(I64)
    b.store(root0, root_slot)
    loop, body, swap, done = (fn.append_basic_block(s) for s in ("loop", "body", "swap", "done"))
    b.branch(loop)

    def at(i):
        return _at(b, op, oty, _strided(b, line, base, i))

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
