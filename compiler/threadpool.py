"""jaxlite's worker pool: parallel loops with dynamic work sharing.

Generated code calls one native function,

    void jaxlite_parallel_for(void (*body)(void *ctx, i64 chunk), void *ctx,
                              i64 n_chunks, i64 threads)

which runs ``body(ctx, c)`` once for every chunk ``c`` in ``[0, n_chunks)``, on
the calling thread and on up to ``threads - 1`` pool workers, then returns.
Chunks are claimed one at a time through an atomic counter and the caller
claims them too, so a worker that the OS deschedules (a busy machine) only
delays the chunk it holds: the others, caller included, finish its share.
Static equal bands made the whole call wait a scheduler tick for the slowest
band.

Workers are pthreads started on first use (at most ``MAX_WORKERS``). Between
jobs a worker spins for ``SPIN_NS`` (with ``pause``), so the kernels of one
jitted call reuse it without a wake-up, then sleeps on a condition variable:
an idle process burns no CPU. The caller spins at most ``SPIN_NS`` for chunks
still running elsewhere, then sleeps too, which frees its core for a worker
that was descheduled mid-chunk. Beside a busy process the scheduler often
puts the caller and a worker on one core; a spinning thread then keeps the
other off it, so both spins give the core up (``sched_yield``) whenever the
thread they wait for is on their own core (``sched_getcpu``): the MLP step
beside one busy process took 5.2 ms with pure spins, 4.2-4.7 ms so.

One job at a time: a call made while the pool is busy (from another Python
thread, or nested inside a chunk) runs all its chunks on its own thread, so
calls never wait for each other and never deadlock. A forked child starts
without workers and starts its own on first use.

The pool is compiled from LLVM IR once per process (``install``), in its own
MCJIT engine; its entry point is registered under ``PARALLEL_FOR`` so every
compiled module (fresh or from the disk cache) resolves the call to it.
"""
import ctypes
import os
import platform
import threading
import time

import llvmlite.binding as llvm
from llvmlite import ir

from jaxlite.compiler import native
from jaxlite.compiler.lltypes import I1, I32, I64, PTR, VOID
from jaxlite.compiler.lltypes import __file__ as _lltypes_file

PARALLEL_FOR = "jaxlite_parallel_for"
MAX_WORKERS = 63
# How long an idle worker (and a caller waiting for the last chunks) spins before
# sleeping: long enough to cover the gap between two parallel kernels of one call
# (a worker that went to sleep joins the next job a wake-up late: on the 2-core
# machine the MLP step took 3.0-3.3 ms with 50 us, 2.4-2.5 ms with 200 us or 1 ms),
# short enough that a finished process stops using CPU at once.
SPIN_NS = 200_000
# The C runtime functions the pool calls, registered under these names.
_C_FUNCTIONS = {
    "pthread_create": (I32, [PTR, PTR, PTR, PTR]),
    "pthread_detach": (I32, [I64]),
    "pthread_mutex_init": (I32, [PTR, PTR]),
    "pthread_mutex_lock": (I32, [PTR]),
    "pthread_mutex_unlock": (I32, [PTR]),
    "pthread_cond_init": (I32, [PTR, PTR]),
    "pthread_cond_wait": (I32, [PTR, PTR]),
    "pthread_cond_broadcast": (I32, [PTR]),
    "pthread_cond_signal": (I32, [PTR]),
    "clock_gettime": (I32, [I32, PTR]),
}
# Used when the C library has them (glibc, musl): which core a thread runs on, and
# giving that core up (see _PoolModule._spin).
_OPTIONAL_FUNCTIONS = {
    "sched_getcpu": (I32, []),
    "sched_yield": (I32, []),
}
_SYNC_BYTES = 256          # room for a pthread_mutex_t / pthread_cond_t on any platform
_CLOSED = 0xFFFFFFFF       # chunk counter of a finished job: every claim fails

_state = {}
_lock = threading.Lock()
# Counters kept by the pool (``stats()``): jobs run over the pool, chunks the caller
# ran itself, jobs whose caller had to wait for chunks still running elsewhere (and
# how long in all), jobs where that wait ended in a sleep.
STATS = ("stat_jobs", "stat_caller_chunks", "stat_waits", "stat_wait_ns", "stat_sleeps")


def _alias(name):
    return f"jaxlite_pool_{name}"


def available():
    """Can this process run a pool (POSIX threads and the functions above)?"""
    if os.name == "nt" or not hasattr(time, "CLOCK_MONOTONIC"):
        return False
    return all(native.c_function_address(name) for name in _C_FUNCTIONS)


def install():
    """Compile the pool and register ``PARALLEL_FOR`` (once; needs LLVM's native
    target initialized). Without pthreads the entry point runs every chunk on the
    caller. Returns the pool's engine (detached: it is never freed)."""
    with _lock:
        if "engine" not in _state:
            threaded = available()
            have = set()
            if threaded:
                have = {name for name in _OPTIONAL_FUNCTIONS
                        if native.c_function_address(name)}
                for name in [*_C_FUNCTIONS, *sorted(have)]:
                    llvm.add_symbol(_alias(name), native.c_function_address(name))
            engine = _compile(
                lambda: str(_PoolModule(threaded, have).module),
                f"threaded={threaded}|{SPIN_NS}|{MAX_WORKERS}|{sorted(have)}")
            _state["functions"] = {name: engine.get_function_address(name)
                                   for name in (PARALLEL_FOR, "jaxlite_pool_init")}
            _state["counters"] = {name: engine.get_global_value_address(_alias(name))
                                  for name in ("nworkers", *STATS)} if threaded else {}
            # Never freed, even at interpreter exit: a worker may still be spinning
            # in this code then.
            engine.detach()
            _state["engine"] = engine
            _state["threaded"] = threaded
            llvm.add_symbol(PARALLEL_FOR, address(PARALLEL_FOR))
            if threaded:
                _init_sync()
                if hasattr(os, "register_at_fork"):
                    # The child has no workers and maybe a mutex locked by one.
                    os.register_at_fork(after_in_child=_init_sync)
    return _state["engine"]


def _compile(make_ir, variant):
    # why local: engine imports gemm, which installs the pool while engine initializes.
    from jaxlite.compiler import engine
    # Object code from the disk cache, keyed by the sources that generate the IR.
    return engine.runtime_engine(make_ir, [__file__, native.__file__, _lltypes_file],
                                 variant)


def address(name):
    return _state["functions"][name]


def _init_sync():
    ctypes.CFUNCTYPE(None)(address("jaxlite_pool_init"))()


def workers():
    """Workers the pool has started so far (0 before the first parallel call)."""
    if not _state.get("threaded"):
        return 0
    return ctypes.c_int64.from_address(_state["counters"]["nworkers"]).value


def stats():
    """{counter: value} since the process started (see STATS)."""
    if not _state.get("threaded"):
        return {name[5:]: 0 for name in STATS}
    return {name[5:]: ctypes.c_int64.from_address(_state["counters"][name]).value
            for name in STATS}


BODY = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)


def parallel_for(body, n_chunks, threads, ctx=None):
    """Run the ctypes callback ``body(ctx, chunk)`` for each chunk over the pool
    (for tests and Python callers; compiled code calls the native entry point)."""
    install()
    fn = ctypes.CFUNCTYPE(None, BODY, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64)(
        address(PARALLEL_FOR))
    fn(body, ctx, n_chunks, threads)


def _serial_loop(b, fn, body, ctx, n):
    """for (c = 0; c < n; c++) body(ctx, c)"""
    pre = b.block
    head, loop, out = (fn.append_basic_block(s) for s in ("serial", "serial.body", "serial.out"))
    b.branch(head)
    b.position_at_end(head)
    c = b.phi(I64)
    c.add_incoming(I64(0), pre)
    b.cbranch(b.icmp_signed("<", c, n), loop, out)
    b.position_at_end(loop)
    b.call(body, [ctx, c])
    c.add_incoming(b.add(c, I64(1)), loop)
    b.branch(head)
    b.position_at_end(out)


def _width(ty):
    return ty.width // 8 if isinstance(ty, ir.IntType) else 8


class _PoolModule:
    """The pool's LLVM module: shared state as globals, the worker loop, the entry."""

    def __init__(self, threaded, optional=()):
        self.module = module = ir.Module(name="jaxlite_pool")
        self.module.triple = llvm.get_process_triple()
        # Prints as `ptr`, but tells llvmlite the type of an indirect call through it.
        self.body_ptr = ir.PointerType(ir.FunctionType(VOID, [PTR, I64]))
        self.c = {name: self._declare(name, *sig) for name, sig in
                  [*_C_FUNCTIONS.items(), *((n, _OPTIONAL_FUNCTIONS[n]) for n in optional)]} \
            if threaded else {}
        g = {}
        for name, ty in (("busy", I32), ("seq", I32), ("word", I64), ("done", I64),
                         ("sleepers", I32), ("waiting", I32), ("nworkers", I64),
                         ("caller_cpu", I32), ("worker_cpu", ir.ArrayType(I32, MAX_WORKERS)),
                         ("fn", self.body_ptr), ("ctx", PTR), ("n", I64), ("threads", I64),
                         *((stat, I64) for stat in STATS)):
            g[name] = self._global(name, ty, 64)
        g["caller_cpu"].initializer = I32(-1)             # -1: no core known
        g["worker_cpu"].initializer = ir.Constant(g["worker_cpu"].value_type,
                                                  [-1] * MAX_WORKERS)
        for name in ("mutex", "work_cond", "done_cond"):
            g[name] = self._global(name, ir.ArrayType(ir.IntType(8), _SYNC_BYTES), 64)
        self.g = g
        self.long = ir.IntType(8 * ctypes.sizeof(ctypes.c_long))
        if threaded:
            self._pause = self._define_pause()
            self._now = self._define_now()
            self._run = self._define_run_chunks()
            self._shares_core = self._define_shares_core()
            self._worker = self._define_worker()
            self._define_init()
            self._define_parallel_for()
        else:
            self._define_serial_parallel_for()

    # -- helpers -------------------------------------------------------------------

    def _declare(self, name, ret, args):
        fn = ir.Function(self.module, ir.FunctionType(ret, args), name=_alias(name))
        return fn

    def _declare_intrinsic(self, name, args):
        return ir.Function(self.module, ir.FunctionType(VOID, args), name=name)

    def _global(self, name, ty, align):
        var = ir.GlobalVariable(self.module, ty, name=_alias(name))
        var.initializer = ir.Constant(ty, None)
        var.align = align
        return var

    def _function(self, name, ret, args, linkage="internal"):
        fn = ir.Function(self.module, ir.FunctionType(ret, args), name=name)
        fn.linkage = linkage
        return fn, ir.IRBuilder(fn.append_basic_block("entry"))

    def load(self, b, name, order="acquire"):
        var = self.g[name]
        return b.load_atomic(var, order, _width(var.value_type), typ=var.value_type)

    def store(self, b, name, value, order="release"):
        var = self.g[name]
        # IRBuilder.store_atomic insists on a typed pointer; the instruction does not.
        b._insert(ir.instructions.StoreAtomicInstr(b.block, value, var, order,
                                                   _width(var.value_type)))

    def add(self, b, name, delta):
        """Atomic fetch-and-add (sequentially consistent); the old value."""
        var = self.g[name]
        return b.atomic_rmw("add", var, ir.Constant(var.value_type, delta), "seq_cst")

    def cpu(self, b):
        """The core this thread runs on, or -1 when unknown."""
        if "sched_getcpu" not in self.c:
            return I32(-1)
        return b.call(self.c["sched_getcpu"], [])

    def give_way_if(self, b, pred):
        """sched_yield() when ``pred`` (an i1) holds and the C library has it."""
        if "sched_yield" in self.c:
            with b.if_then(pred, likely=False):
                b.call(self.c["sched_yield"], [])

    def worker_cpu(self, b, index):
        return b.gep(self.g["worker_cpu"], [I32(0), b.trunc(index, I32)],
                     source_etype=self.g["worker_cpu"].value_type)

    def store_at(self, b, ptr, value):
        b._insert(ir.instructions.StoreAtomicInstr(b.block, value, ptr, "monotonic", 4))

    def count(self, b, name, delta):
        """name += delta, for the counters only the pool's holder updates."""
        self.store(b, name, b.add(self.load(b, name, "monotonic"), delta), "monotonic")

    def locked(self, b, then):
        b.call(self.c["pthread_mutex_lock"], [self.g["mutex"]])
        then()
        b.call(self.c["pthread_mutex_unlock"], [self.g["mutex"]])

    # -- small functions -----------------------------------------------------------

    def _define_pause(self):
        fn, b = self._function("jaxlite_pool_pause", VOID, [])
        machine = platform.machine().lower()
        if machine in ("x86_64", "amd64", "i686", "i386"):
            b.call(self._declare_intrinsic("llvm.x86.sse2.pause", []), [])
        elif machine in ("aarch64", "arm64"):
            b.call(self._declare_intrinsic("llvm.aarch64.hint", [I32]), [I32(1)])  # yield
        b.ret_void()
        return fn

    def _define_now(self):
        """Monotonic clock in nanoseconds."""
        fn, b = self._function("jaxlite_pool_now", I64, [])
        ts = b.alloca(ir.LiteralStructType([self.long, self.long]))
        b.call(self.c["clock_gettime"], [ir.Constant(I32, time.CLOCK_MONOTONIC), ts])
        sec = b.load(b.gep(ts, [I32(0), I32(0)]))
        nsec = b.load(b.gep(ts, [I32(0), I32(1)]))
        if self.long != I64:
            sec, nsec = b.sext(sec, I64), b.sext(nsec, I64)
        b.ret(b.add(b.mul(sec, I64(1_000_000_000)), nsec))
        return fn

    def _spin(self, b, fn, done_test, on_check):
        """Emit a spin of at most SPIN_NS until ``done_test(b)`` (an i1) holds;
        leaves the builder after it with an i1: whether it held. ``on_check(b)``
        runs every 64 pauses (a few microseconds) with the time spun so far."""
        start = b.call(self._now, [])
        count = b.alloca(I64)
        b.store(I64(0), count)
        head = fn.append_basic_block("spin")
        yes, no = fn.append_basic_block("spin.yes"), fn.append_basic_block("spin.no")
        more, after = fn.append_basic_block("spin.more"), fn.append_basic_block("spin.after")
        b.branch(head)
        b.position_at_end(head)
        b.cbranch(done_test(b), yes, more)
        b.position_at_end(more)
        b.call(self._pause, [])
        i = b.add(b.load(count), I64(1))
        b.store(i, count)
        check = fn.append_basic_block("spin.clock")
        b.cbranch(b.icmp_unsigned("==", b.and_(i, I64(63)), I64(0)), check, head)
        b.position_at_end(check)
        elapsed = b.sub(b.call(self._now, []), start)
        on_check(b, elapsed)
        late = b.icmp_unsigned(">", elapsed, I64(SPIN_NS))
        b.cbranch(late, no, head)
        b.position_at_end(yes)
        b.branch(after)
        b.position_at_end(no)
        b.branch(after)
        b.position_at_end(after)
        held = b.phi(I1)
        held.add_incoming(I1(1), yes)
        held.add_incoming(I1(0), no)
        return held

    def _define_run_chunks(self):
        """Claim and run chunks of job ``gen`` until none is left. A claim is a
        compare-and-swap of (gen << 32 | next chunk): it fails once the job is over,
        so a worker that woke late never runs a chunk of the wrong job."""
        fn, b = self._function("jaxlite_pool_run_chunks", I64, [I32, I64])
        gen, slot = b.zext(fn.args[0], I64), fn.args[1]     # slot: worker index, or -1
        is_worker = b.icmp_signed(">=", slot, I64(0))
        ran = b.alloca(I64)
        b.store(I64(0), ran)
        body = self.load(b, "fn", "monotonic")
        ctx = self.load(b, "ctx", "monotonic")
        n = self.load(b, "n", "monotonic")
        head, claim = fn.append_basic_block("claim"), fn.append_basic_block("cas")
        run, out = fn.append_basic_block("run"), fn.append_basic_block("out")
        b.branch(head)
        b.position_at_end(head)
        w = self.load(b, "word")
        chunk = b.and_(w, I64(_CLOSED))
        ours = b.and_(b.icmp_unsigned("==", b.lshr(w, I64(32)), gen),
                      b.icmp_unsigned("<", chunk, n))
        b.cbranch(ours, claim, out)
        b.position_at_end(claim)
        pair = b.cmpxchg(self.g["word"], w, b.add(w, I64(1)), "acq_rel", "acquire")
        b.cbranch(b.extract_value(pair, 1), run, head)
        b.position_at_end(run)
        with b.if_then(is_worker):          # where the chunk runs (see _wait_done)
            self.store_at(b, self.worker_cpu(b, slot), self.cpu(b))
        b.call(body, [ctx, chunk])
        b.store(b.add(b.load(ran), I64(1)), ran)
        finished = b.add(self.add(b, "done", 1), I64(1))
        last = b.icmp_unsigned("==", finished, n)
        with b.if_then(last, likely=False):
            waiting = self.load(b, "waiting", "seq_cst")
            with b.if_then(b.icmp_unsigned("!=", waiting, I32(0))):
                self.locked(b, lambda: b.call(self.c["pthread_cond_signal"],
                                              [self.g["done_cond"]]))
        b.branch(head)
        b.position_at_end(out)
        with b.if_then(is_worker):
            self.store_at(b, self.worker_cpu(b, slot), I32(-1))
        b.ret(b.load(ran))
        return fn

    def _define_shares_core(self):
        """i1 shares_core(cpu): does a worker run a chunk on core ``cpu``?"""
        fn, b = self._function("jaxlite_pool_shares_core", I1, [I32])
        pre = b.block
        head, body = fn.append_basic_block("scan"), fn.append_basic_block("scan.body")
        yes, no = fn.append_basic_block("yes"), fn.append_basic_block("no")
        n = self.load(b, "nworkers", "monotonic")
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64)
        i.add_incoming(I64(0), pre)
        b.cbranch(b.icmp_signed("<", i, n), body, no)
        b.position_at_end(body)
        cpu = b.load_atomic(self.worker_cpu(b, i), "monotonic", 4, typ=I32)
        i.add_incoming(b.add(i, I64(1)), body)
        b.cbranch(b.icmp_signed("==", cpu, fn.args[0]), yes, head)
        b.position_at_end(yes)
        b.ret(I1(1))
        b.position_at_end(no)
        b.ret(I1(0))
        return fn

    def _define_worker(self):
        """``void *worker(void *arg)``, arg = (seq seen at start << 32) | index:
        wait for a new job (spin, then sleep), join it if the job wants this many
        threads, repeat forever."""
        fn, b = self._function("jaxlite_pool_worker", PTR, [PTR])
        arg = b.ptrtoint(fn.args[0], I64)
        index = b.and_(arg, I64(0xFFFFFFFF))
        last = b.alloca(I32)
        b.store(b.trunc(b.lshr(arg, I64(32)), I32), last)
        top = fn.append_basic_block("wait")
        b.branch(top)
        b.position_at_end(top)
        old = b.load(last)
        def beside_caller(b, elapsed):
            # Spinning on the caller's core keeps the caller off it: give way.
            here = self.cpu(b)
            near = b.and_(b.icmp_signed(">=", here, I32(0)), b.icmp_signed(
                "==", here, self.load(b, "caller_cpu", "monotonic")))
            self.give_way_if(b, near)
        changed = self._spin(b, fn, lambda b: b.icmp_unsigned(
            "!=", self.load(b, "seq"), old), beside_caller)
        sleep, job = fn.append_basic_block("sleep"), fn.append_basic_block("job")
        b.cbranch(changed, job, sleep)

        b.position_at_end(sleep)
        b.call(self.c["pthread_mutex_lock"], [self.g["mutex"]])
        self.add(b, "sleepers", 1)
        check, nap, wake = (fn.append_basic_block(s) for s in ("recheck", "nap", "woken"))
        b.branch(check)
        b.position_at_end(check)
        b.cbranch(b.icmp_unsigned("==", self.load(b, "seq", "seq_cst"), old), nap, wake)
        b.position_at_end(nap)
        b.call(self.c["pthread_cond_wait"], [self.g["work_cond"], self.g["mutex"]])
        b.branch(check)
        b.position_at_end(wake)
        self.add(b, "sleepers", -1)
        b.call(self.c["pthread_mutex_unlock"], [self.g["mutex"]])
        b.branch(job)

        b.position_at_end(job)
        seq = self.load(b, "seq")
        b.store(seq, last)
        wanted = b.icmp_unsigned("<", b.add(index, I64(1)), self.load(b, "threads", "monotonic"))
        with b.if_then(wanted):
            b.call(self._run, [seq, index])
        b.branch(top)
        return fn

    def _define_init(self):
        """(Re)initialize the shared state: at install and in a forked child."""
        fn, b = self._function("jaxlite_pool_init", VOID, [], linkage="external")
        null = ir.Constant(PTR, None)
        b.call(self.c["pthread_mutex_init"], [self.g["mutex"], null])
        b.call(self.c["pthread_cond_init"], [self.g["work_cond"], null])
        b.call(self.c["pthread_cond_init"], [self.g["done_cond"], null])
        for name in ("busy", "sleepers", "waiting", "nworkers"):
            self.store(b, name, ir.Constant(self.g[name].value_type, 0), "seq_cst")
        b.ret_void()

    def _entry(self):
        """PARALLEL_FOR's function, its arguments (the body callable indirectly)."""
        fn, b = self._function(PARALLEL_FOR, VOID, [self.body_ptr, PTR, I64, I64],
                               linkage="external")
        return (fn, b, *fn.args)

    def _define_serial_parallel_for(self):
        fn, b, body, ctx, n, _ = self._entry()
        _serial_loop(b, fn, body, ctx, n)
        b.ret_void()

    def _define_parallel_for(self):
        fn, b, body, ctx, n, threads = self._entry()
        many = b.and_(b.icmp_signed(">", n, I64(1)), b.icmp_signed(">", threads, I64(1)))
        pooled, serial = fn.append_basic_block("pooled"), fn.append_basic_block("serial")
        take = fn.append_basic_block("take")
        b.cbranch(many, take, serial)
        b.position_at_end(take)
        pair = b.cmpxchg(self.g["busy"], I32(0), I32(1), "acquire", "monotonic")
        b.cbranch(b.extract_value(pair, 1), pooled, serial)

        b.position_at_end(serial)          # one chunk, one thread, or the pool is busy
        _serial_loop(b, fn, body, ctx, n)
        b.ret_void()

        b.position_at_end(pooled)
        seq = self.load(b, "seq", "monotonic")     # only the pool's holder writes it
        self._start_workers(b, fn, threads, seq)
        gen = b.add(seq, I32(1))
        for name, value in (("fn", body), ("ctx", ctx), ("n", n), ("threads", threads)):
            self.store(b, name, value, "monotonic")
        self.store(b, "done", I64(0), "monotonic")
        self.store(b, "waiting", I32(0), "monotonic")
        self.store(b, "word", b.shl(b.zext(gen, I64), I64(32)))
        self.store(b, "seq", gen, "seq_cst")
        with b.if_then(b.icmp_signed(">", self.load(b, "sleepers", "seq_cst"), I32(0))):
            self.locked(b, lambda: b.call(self.c["pthread_cond_broadcast"],
                                          [self.g["work_cond"]]))
        self.count(b, "stat_jobs", I64(1))
        self.store(b, "caller_cpu", self.cpu(b), "monotonic")
        self.count(b, "stat_caller_chunks", b.call(self._run, [gen, I64(-1)]))
        self._wait_done(b, fn, n)
        self.store(b, "word", b.or_(b.shl(b.zext(gen, I64), I64(32)), I64(_CLOSED)))
        self.store(b, "busy", I32(0))
        b.ret_void()

    def _start_workers(self, b, fn, threads, seq):
        """Start workers up to threads - 1 (at most MAX_WORKERS); a worker that
        fails to start is simply missing: the caller runs more chunks."""
        want = b.sub(threads, I64(1))
        want = b.select(b.icmp_signed(">", want, I64(MAX_WORKERS)), I64(MAX_WORKERS), want)
        tid = b.alloca(I64)
        head, start = fn.append_basic_block("start"), fn.append_basic_block("start.one")
        done = fn.append_basic_block("started")
        b.branch(head)
        b.position_at_end(head)
        have = self.load(b, "nworkers", "monotonic")
        b.cbranch(b.icmp_signed("<", have, want), start, done)
        b.position_at_end(start)
        arg = b.inttoptr(b.or_(b.shl(b.zext(seq, I64), I64(32)), have), PTR)
        rc = b.call(self.c["pthread_create"], [tid, ir.Constant(PTR, None), self._worker, arg])
        ok = fn.append_basic_block("start.ok")
        b.cbranch(b.icmp_signed("==", rc, I32(0)), ok, done)
        b.position_at_end(ok)
        b.call(self.c["pthread_detach"], [b.load(tid)])
        self.store(b, "nworkers", b.add(have, I64(1)), "monotonic")
        b.branch(head)
        b.position_at_end(done)

    def _wait_done(self, b, fn, n):
        """Until every chunk has finished: spin, then sleep on done_cond."""
        started = b.call(self._now, [])
        late = b.icmp_unsigned("!=", self.load(b, "done"), n)
        self.count(b, "stat_waits", b.zext(late, I64))
        def beside_worker(b, elapsed):
            # A chunk's owner waiting for this core cannot finish while we spin on it.
            here = self.cpu(b)
            self.store(b, "caller_cpu", here, "monotonic")
            self.give_way_if(b, b.and_(b.icmp_signed(">=", here, I32(0)),
                                       b.call(self._shares_core, [here])))
        finished = self._spin(b, fn, lambda b: b.icmp_unsigned(
            "==", self.load(b, "done"), n), beside_worker)
        sleep, out = fn.append_basic_block("wait.sleep"), fn.append_basic_block("wait.out")
        b.cbranch(finished, out, sleep)
        b.position_at_end(sleep)
        b.call(self.c["pthread_mutex_lock"], [self.g["mutex"]])
        self.store(b, "waiting", I32(1), "seq_cst")
        check, nap, woke = (fn.append_basic_block(s) for s in
                            ("wait.check", "wait.nap", "wait.woke"))
        b.branch(check)
        b.position_at_end(check)
        b.cbranch(b.icmp_unsigned("==", self.load(b, "done", "seq_cst"), n), woke, nap)
        b.position_at_end(nap)
        b.call(self.c["pthread_cond_wait"], [self.g["done_cond"], self.g["mutex"]])
        b.branch(check)
        b.position_at_end(woke)
        self.store(b, "waiting", I32(0), "monotonic")
        b.call(self.c["pthread_mutex_unlock"], [self.g["mutex"]])
        self.count(b, "stat_sleeps", I64(1))
        b.branch(out)
        b.position_at_end(out)
        self.count(b, "stat_wait_ns", b.select(late, b.sub(b.call(self._now, []), started),
                                               I64(0)))
