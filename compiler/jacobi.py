"""Batched ``eigh`` of small symmetric matrices: Jacobi rotations, one matrix per SIMD lane.

For a batch of 8x8 matrices LAPACK's ``syevd`` spends most of its time in
per-call overhead (reduction to tridiagonal form, workspace bookkeeping) for
very little arithmetic. Here ``LANES`` matrices are processed together, each
in its own lane of ``<LANES x double>`` vectors: entry (i, j) of the group is
one vector, so every rotation is the same vector code for all of them, and
the whole sweep is branch-free except for skipping a rotation no lane needs.

The algorithm is the Jacobi method with Rutishauser's update formulas, in
round-robin order (each round rotates disjoint pairs, whose angles are
computed independently and applied together), on each matrix scaled by a
power of two (exact) so that its largest entry lies in [1, 2). A pair (p, q)
is rotated when
``a_pq^2 > max(eps^2 |a_pp a_qq|, eps^4)``: the first bound is the
Demmel-Veselic relative criterion (small eigenvalues come out to high
relative accuracy), the second an absolute floor that guarantees termination
(entries below it change no eigenvalue by more than eps^2 of the largest
entry). A group stops after the first sweep in which no lane rotated (at most
``MAX_SWEEPS``). Eigenvalues are then sorted ascending with their vectors
(odd-even transposition sort with selects), each eigenvector gets the sign
convention of the eager implementation (its entry of largest magnitude, the
first such, positive), and a matrix holding a NaN or an infinity gets NaN
outputs, as a failed ``syevd`` does.

Float32 input is computed in float64 and rounded once at the end.
"""
import numpy as np
from llvmlite import ir

from jaxlite.compiler import loops
from jaxlite.compiler.lltypes import F64, I1, I64, PTR, VOID, declare, elem, i64, lltype

LANES = 8
MAX_SWEEPS = 40
_EPS = float(np.finfo(np.float64).eps)
_VEC = ir.VectorType(F64, LANES)
_MASK = ir.VectorType(I1, LANES)
_IVEC = ir.VectorType(I64, LANES)


def _splat(x):
    return ir.Constant(_VEC, [float(x)] * LANES)


class _Group:
    """IR helpers over one group's workspace: ``a`` and ``v`` (n x n vectors, row-major)
    and ``w`` (n vectors)."""

    def __init__(self, em, ws, n):
        self.em, self.b, self.n = em, em.b, n
        self.a = ws
        self.v = elem(self.b, ws, _VEC, i64(n * n))
        self.w = elem(self.b, ws, _VEC, i64(2 * n * n))

    def at(self, base, i, j):
        b = self.b
        i = i64(i) if isinstance(i, int) else i
        j = i64(j) if isinstance(j, int) else j
        return elem(b, base, _VEC, b.add(b.mul(i, i64(self.n)), j))

    def load(self, ptr):
        return self.b.load(ptr, typ=_VEC, align=8)

    def store(self, value, ptr):
        self.b.store(value, ptr, align=8)

    def intrinsic(self, name, *args):
        return self.em.call(f"llvm.{name}.v{LANES}f64", _VEC, list(args))

    def any(self, mask):
        return self.em.call(f"llvm.vector.reduce.or.v{LANES}i1", I1, [mask])


def _lane_ptr(b, base, index, lane):
    """Scalar double ``lane`` of vector ``index`` of a vector array."""
    return elem(b, base, F64, b.add(b.mul(index, i64(LANES)), lane))


def _load_group(em, g, src_var, first, nb, n, lower):
    """Copy matrices first..first+LANES-1 (clamped to the batch) into the lanes of
    g.a, symmetrized from the triangle eigh reads."""
    b = em.b
    dt = src_var.aval.dtype
    with loops.for_range(b, LANES, name="ld") as lane:
        m = b.add(first, lane)
        m = b.select(b.icmp_signed("<", m, i64(nb)), m, i64(nb - 1))
        src = em.address(src_var, b.mul(m, i64(n * n)))
        with loops.for_range(b, n, name="li") as i:
            with loops.for_range(b, n, name="lj") as j:
                below = b.icmp_signed(">=", i, j)
                hi, lo = b.select(below, i, j), b.select(below, j, i)
                r, c = (hi, lo) if lower else (lo, hi)
                x = b.load(elem(b, src, lltype(dt), b.add(b.mul(r, i64(n)), c)), typ=lltype(dt))
                if lltype(dt) != F64:
                    x = b.fpext(x, F64)
                b.store(x, _lane_ptr(b, g.a, b.add(b.mul(i, i64(n)), j), lane))


def _scale(g):
    """Scale each lane by 2^-e (its largest magnitude in [1, 2)); return (2^e, bad):
    bad is NaN in the lanes holding a NaN or an infinity, 0 elsewhere."""
    b, n = g.b, g.n
    amax, bad = g.em.alloca(_VEC), g.em.alloca(_VEC)
    b.store(_splat(0), amax)
    b.store(_splat(0), bad)
    with loops.for_range(b, n * n, name="mx") as k:
        x = g.load(elem(b, g.a, _VEC, k))
        b.store(g.intrinsic("maxnum", b.load(amax), g.intrinsic("fabs", x)), amax)
        b.store(b.fadd(b.load(bad), b.fmul(x, _splat(0))), bad)
    bits = b.and_(b.bitcast(b.load(amax), _IVEC),
                  ir.Constant(_IVEC, [0x7FF0000000000000] * LANES))
    # 2^-e, kept normal: entries from 2^1023 up scale to [2, 4) (2^-1023 would be 0 here)
    top = ir.Constant(_IVEC, [0x7FD0000000000000] * LANES)
    bits = b.select(b.icmp_unsigned(">", bits, top), top, bits)
    inv = b.bitcast(b.sub(ir.Constant(_IVEC, [0x7FE0000000000000] * LANES), bits), _VEC)
    with loops.for_range(b, n * n, name="sc") as k:
        p = elem(b, g.a, _VEC, k)
        g.store(b.fmul(g.load(p), inv), p)
    return b.fdiv(_splat(1), inv), b.load(bad)


def _identity(g):
    b, n = g.b, g.n
    with loops.for_range(b, n, name="vi") as i:
        with loops.for_range(b, n, name="vj") as j:
            diagonal = b.icmp_signed("==", i, j)
            g.store(b.select(diagonal, _splat(1), _splat(0)), g.at(g.v, i, j))


def _rounds(n):
    """Round-robin ("chess tournament") ordering: n - 1 rounds (n even; an odd n
    plays a dummy) of n // 2 disjoint pairs. Rotations of disjoint pairs commute
    and none changes another's 2x2 block, so a round's angles are all computed
    from the same matrix, independently, then applied together."""
    m = n + n % 2
    rounds = []
    for r in range(m - 1):
        pairs = [(r, m - 1)] + [((r + i) % (m - 1), (r - i) % (m - 1)) for i in range(1, m // 2)]
        rounds.append([(min(p, q), max(p, q)) for p, q in pairs if max(p, q) < n])
    return rounds


def _pair_table(module, n):
    """The rounds' (p, q) as a constant i64 array [round][pair][2]."""
    name = f"jaxlite_jacobi_pairs_{n}"
    table = module.globals.get(name)
    if table is None:
        flat = [x for rnd in _rounds(n) for pair in rnd for x in pair]
        ty = ir.ArrayType(I64, len(flat))
        table = ir.GlobalVariable(module, ty, name=name)
        table.global_constant, table.linkage = True, "internal"
        table.initializer = ir.Constant(ty, flat)
    return table


class _Round:
    """Per-pair state of one round, in the workspace after w: s, tau, the new
    (p,p), (q,q) and (p,q) entries (vectors) and whether any lane rotates (bytes)."""
    FIELDS = 5

    def __init__(self, g, n):
        b = g.b
        self.npairs = n // 2
        self.vecs = elem(b, g.w, _VEC, i64(n))
        self.flags = elem(b, self.vecs, _VEC, i64(self.FIELDS * self.npairs))
        self.g = g

    def field(self, k, i):
        b = self.g.b
        return elem(b, self.vecs, _VEC, b.add(b.mul(i, i64(self.FIELDS)), i64(k)))

    def flag(self, i):
        return elem(self.g.b, self.flags, ir.IntType(8), i)


def _angles(g, rd, p, q, i, changed):
    """Pair i's rotation from the current matrix: s, tau and its new 2x2 block."""
    b = g.b
    app, aqq, apq = g.load(g.at(g.a, p, p)), g.load(g.at(g.a, q, q)), g.load(g.at(g.a, p, q))
    limit = g.intrinsic("maxnum", b.fmul(_splat(_EPS * _EPS),
                                         g.intrinsic("fabs", b.fmul(app, aqq))),
                        _splat(_EPS ** 4))
    rotate = b.fcmp_ordered(">", b.fmul(apq, apq), limit)
    some = g.any(rotate)
    b.store(b.zext(some, ir.IntType(8)), rd.flag(i))
    b.store(b.or_(b.load(changed), some), changed)
    with b.if_else(some) as (then, otherwise):
        with then:
            _rotation(g, rd, i, app, aqq, apq, rotate)
        with otherwise:         # a later block update reads s = tau = 0 (no rotation)
            g.store(_splat(0), rd.field(0, i))
            g.store(_splat(0), rd.field(1, i))


def _rotation(g, rd, i, app, aqq, apq, rotate):
    """Store pair i's s, tau and new 2x2 block (no change in the lanes not rotating)."""
    b = g.b
    # t = tan of the angle, the root of t^2 + 2 theta t - 1 = 0 of smaller magnitude,
    # theta = d / (2 apq): t = 2 apq sign(d) / (|d| + sqrt(d^2 + 4 apq^2)). The
    # scaling and the floor keep d^2 + 4 apq^2 within range.
    d = b.fsub(aqq, app)
    two_apq = b.fmul(_splat(2), apq)
    root = g.intrinsic("sqrt", b.fadd(b.fmul(d, d), b.fmul(two_apq, two_apq)))
    t = b.fdiv(b.fmul(two_apq, g.intrinsic("copysign", _splat(1), d)),
               b.fadd(g.intrinsic("fabs", d), root))
    t = b.select(rotate, t, _splat(0))
    # c = 1 / r and tau = s / (1 + c) = t / (r + 1), r = sqrt(1 + t^2): one division
    r = g.intrinsic("sqrt", b.fadd(b.fmul(t, t), _splat(1)))
    r1 = b.fadd(r, _splat(1))
    inv = b.fdiv(_splat(1), b.fmul(r, r1))
    c = b.fmul(r1, inv)
    tau = b.fmul(b.fmul(t, r), inv)
    h = b.fmul(t, apq)
    for k, value in enumerate((b.fmul(t, c), tau, b.fsub(app, h), b.fadd(aqq, h),
                               b.select(rotate, _splat(0), apq))):
        g.store(value, rd.field(k, i))


def _rotate(g, x, y, s, tau):
    b = g.b
    return (b.fsub(x, b.fmul(s, b.fadd(y, b.fmul(x, tau)))),
            b.fadd(y, b.fmul(s, b.fsub(x, b.fmul(y, tau)))))


def _apply(g, rd, pairs_of, free, name):
    """V <- V J and A <- J^T A J for the round's rotations J. A is symmetric and J
    acts on disjoint pairs, so A's update is made block by block: the 2x2 block
    between pairs i and j (rows of one, columns of the other) is J_i^T B J_j,
    computed once and stored with its mirror; for odd n, the pairs' entries in the
    row of the index left ``free`` this round; each pair's own block last."""
    b, n = g.b, g.n
    i8 = ir.IntType(8)

    def rotates(i):
        return b.icmp_unsigned("!=", b.load(rd.flag(i), typ=i8), ir.Constant(i8, 0))

    def rotation(i):
        return g.load(rd.field(0, i)), g.load(rd.field(1, i))

    def update(pairs, rot):
        """Load the entries at ``pairs`` of (row, col), rotate, store them and mirrors."""
        ptrs = [g.at(g.a, r, c) for r, c in pairs]
        values = rot([g.load(ptr) for ptr in ptrs])
        for (r, c), ptr, value in zip(pairs, ptrs, values):
            g.store(value, ptr)
            g.store(value, g.at(g.a, c, r))

    with loops.for_range(b, rd.npairs, name=f"{name}v") as i:
        p, q = pairs_of(i)
        with b.if_then(rotates(i)):
            s, tau = rotation(i)
            for k in range(n):          # unrolled: n is small and static
                xp, yp = g.at(g.v, k, p), g.at(g.v, k, q)
                nx, ny = _rotate(g, g.load(xp), g.load(yp), s, tau)
                g.store(nx, xp)
                g.store(ny, yp)
    with loops.for_range(b, rd.npairs, name=f"{name}bi") as i:
        with loops.for_range(b, rd.npairs, start=b.add(i, i64(1)), name=f"{name}bj") as j:
            with b.if_then(b.or_(rotates(i), rotates(j))):
                (p, q), (r, t) = pairs_of(i), pairs_of(j)
                (si, ti), (sj, tj) = rotation(i), rotation(j)

                def block(x):
                    pr, pt, qr, qt = x
                    pr, qr = _rotate(g, pr, qr, si, ti)        # rows p, q: J_i^T
                    pt, qt = _rotate(g, pt, qt, si, ti)
                    pr, pt = _rotate(g, pr, pt, sj, tj)        # columns r, t: J_j
                    qr, qt = _rotate(g, qr, qt, sj, tj)
                    return pr, pt, qr, qt
                update([(p, r), (p, t), (q, r), (q, t)], block)
    if free is not None:
        with loops.for_range(b, rd.npairs, name=f"{name}f") as i:
            p, q = pairs_of(i)
            with b.if_then(rotates(i)):
                s, tau = rotation(i)
                update([(free, p), (free, q)], lambda x: _rotate(g, x[0], x[1], s, tau))
    with loops.for_range(b, rd.npairs, name=f"{name}d") as i:
        p, q = pairs_of(i)
        with b.if_then(rotates(i)):
            g.store(g.load(rd.field(2, i)), g.at(g.a, p, p))
            g.store(g.load(rd.field(3, i)), g.at(g.a, q, q))
            off = g.load(rd.field(4, i))
            g.store(off, g.at(g.a, p, q))
            g.store(off, g.at(g.a, q, p))


def _free_table(module, n):
    """For odd n, the index each round leaves out (paired with the dummy)."""
    name = f"jaxlite_jacobi_free_{n}"
    table = module.globals.get(name)
    if table is None:
        free = [next(i for i in range(n) if all(i not in pair for pair in rnd))
                for rnd in _rounds(n)]
        ty = ir.ArrayType(I64, len(free))
        table = ir.GlobalVariable(module, ty, name=name)
        table.global_constant, table.linkage = True, "internal"
        table.initializer = ir.Constant(ty, free)
    return table


def _sweeps(g):
    """Jacobi sweeps (rounds of disjoint rotations) until one rotates nothing, or
    MAX_SWEEPS."""
    b, n, em = g.b, g.n, g.em
    if n < 2:
        return
    rd = _Round(g, n)
    table = _pair_table(em.module, n)
    changed = em.alloca(I1)
    done = b.function.append_basic_block("jac.done")
    with loops.for_range(b, MAX_SWEEPS, name="sweep"):
        b.store(ir.Constant(I1, 0), changed)
        with loops.for_range(b, len(_rounds(n)), name="round") as r:
            def pairs_of(i, r=r):
                at = b.mul(b.add(b.mul(r, i64(rd.npairs)), i), i64(2))
                return (b.load(elem(b, table, I64, at), typ=I64),
                        b.load(elem(b, table, I64, b.add(at, i64(1))), typ=I64))
            with loops.for_range(b, rd.npairs, name="ang") as i:
                p, q = pairs_of(i)
                _angles(g, rd, p, q, i, changed)
            free = None if n % 2 == 0 else \
                b.load(elem(b, _free_table(em.module, n), I64, r), typ=I64)
            _apply(g, rd, pairs_of, free, "ap")
        more = b.block.function.append_basic_block("jac.more")
        b.cbranch(b.load(changed), more, done)
        b.position_at_end(more)
    b.branch(done)
    b.position_at_end(done)


def _sort(g, scale, bad):
    """w = sorted diagonal (times scale, NaN where bad); v's columns follow."""
    b, n = g.b, g.n
    with loops.for_range(b, n, name="dw") as i:
        d = b.fadd(b.fmul(g.load(g.at(g.a, i, i)), scale), bad)
        g.store(d, elem(b, g.w, _VEC, i))
    with loops.for_range(b, n, name="srt"):      # n rounds of odd-even transposition
        for parity in (0, 1):
            with loops.for_range(b, (n - parity) // 2, name=f"cmp{parity}") as half:
                i = b.add(b.mul(half, i64(2)), i64(parity))
                j = b.add(i, i64(1))
                wi, wj = elem(b, g.w, _VEC, i), elem(b, g.w, _VEC, j)
                x, y = g.load(wi), g.load(wj)
                swap = b.fcmp_ordered(">", x, y)
                with b.if_then(g.any(swap)):
                    g.store(b.select(swap, y, x), wi)
                    g.store(b.select(swap, x, y), wj)
                    with loops.for_range(b, n, name=f"sw{parity}") as k:
                        ki, kj = g.at(g.v, k, i), g.at(g.v, k, j)
                        x, y = g.load(ki), g.load(kj)
                        g.store(b.select(swap, y, x), ki)
                        g.store(b.select(swap, x, y), kj)


def _fix_signs(g, bad):
    """Each column's entry of largest magnitude (the first such) made positive;
    NaN columns where bad."""
    b, n, em = g.b, g.n, g.em
    best, neg = em.alloca(_VEC), em.alloca(_MASK)
    with loops.for_range(b, n, name="sj") as j:
        b.store(_splat(-1), best)
        b.store(ir.Constant(_MASK, [0] * LANES), neg)
        with loops.for_range(b, n, name="si") as i:
            x = g.load(g.at(g.v, i, j))
            larger = b.fcmp_ordered(">", g.intrinsic("fabs", x), b.load(best))
            b.store(b.select(larger, g.intrinsic("fabs", x), b.load(best)), best)
            b.store(b.select(larger, b.fcmp_ordered("<", x, _splat(0)), b.load(neg)), neg)
        factor = b.fadd(b.select(b.load(neg), _splat(-1), _splat(1)), bad)
        with loops.for_range(b, n, name="sf") as i:
            p = g.at(g.v, i, j)
            g.store(b.fmul(g.load(p), factor), p)


def _store_group(em, g, v_var, w_var, first, nb, n):
    b = em.b
    dt = v_var.aval.dtype
    ty = lltype(dt)
    count = b.sub(i64(nb), first)
    count = b.select(b.icmp_signed("<", count, i64(LANES)), count, i64(LANES))
    with loops.for_range(b, count, name="st") as lane:
        m = b.add(first, lane)
        v = em.address(v_var, b.mul(m, i64(n * n)))
        w = em.address(w_var, b.mul(m, i64(n)))
        with loops.for_range(b, n, name="si") as i:
            x = b.load(_lane_ptr(b, g.w, i, lane), typ=F64)
            b.store(x if ty == F64 else b.fptrunc(x, ty), elem(b, w, ty, i))
            with loops.for_range(b, n, name="sj") as j:
                k = b.add(b.mul(i, i64(n)), j)
                x = b.load(_lane_ptr(b, g.v, k, lane), typ=F64)
                b.store(x if ty == F64 else b.fptrunc(x, ty), elem(b, v, ty, k))


# Sizes the kernel takes: up to lapack.SMALL. A group costs about as much for one
# matrix as for LANES, so one 16x16 matrix took 108 us against syevd's 35 us,
# while 4 of them cost the same as 4 calls and 8 half as much.
LARGEST = 16
MIN_BATCH = 4


def worth_it(n, batch):
    """Is a batch of ``batch`` n x n matrices faster here than one syevd call each?"""
    return n <= LARGEST and (n <= 4 or batch >= MIN_BATCH)


def emit_eigh(em, a_var, v_var, w_var, lower):
    """The whole batch of ``a_var`` (..., n, n), LANES matrices at a time."""
    b = em.b
    n = a_var.aval.shape[-1]
    nb = int(np.prod(a_var.aval.shape[:-2], dtype=np.int64))
    nbytes = (2 * n * n + n + _Round.FIELDS * (n // 2)) * LANES * 8 + n
    ws = b.call(declare(em.module, "malloc", PTR, [I64]), [i64(nbytes)])
    g = _Group(em, ws, n)
    with loops.for_range(b, (nb + LANES - 1) // LANES, name="grp") as gi:
        first = b.mul(gi, i64(LANES))
        _load_group(em, g, a_var, first, nb, n, lower)
        scale, bad = _scale(g)
        _identity(g)
        _sweeps(g)
        _sort(g, scale, bad)
        _fix_signs(g, bad)
        _store_group(em, g, v_var, w_var, first, nb, n)
    b.call(declare(em.module, "free", VOID, [PTR]), [ws])
