"""jaxlite.distributed: several processes, one program, collectives over MPI.

Launch the same program in N processes (``mpiexec -n N python train.py``),
call ``initialize()`` first, and bind a named axis to the processes with
``spmd(f, axis_name="batch")``: inside ``f``, ``lax.psum(g, "batch")`` sums
over the processes, eagerly (mpi4py's buffer interface) and under ``jit``
(compiled code calls the MPI library directly, see compiler/collectives.py).

mpi4py is imported by ``initialize()`` only, so ``import jaxlite`` never loads
it. Without ``initialize()`` a program not launched by an MPI launcher is one
process (collectives are the identity, ``process_count() == 1``); a program
launched as one of several ranks must call it (an error says so).

Failure behaviour: ``initialize()`` installs an excepthook that prints the
traceback and calls ``MPI_Abort``, so a rank that raises ends the whole job
instead of leaving the others blocked in a collective. Eager collectives
first compare a hash of the operation and operand types across ranks and
raise ValueError on every rank when they differ; compiled ones do the same
check on the first call of each collective and abort with the message.
"""
import atexit
import functools
import hashlib
import sys
import traceback

import numpy as np

from jaxlite.lax import parallel

__all__ = ["initialize", "shutdown", "is_initialized", "process_index", "process_count",
           "spmd", "mpi_comm"]


class _MPIBackend:
    """Collectives over an mpi4py communicator, on numpy buffers."""

    def __init__(self, MPI, comm):
        self.MPI, self.comm = MPI, comm
        self.size, self.rank = comm.Get_size(), comm.Get_rank()
        self.ops = {"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}
        self.staging = {}

    def check(self, what, arrays):
        """Every rank must call the same collective on the same types."""
        text = what + ";" + ";".join(f"{a.dtype.str}{a.shape}" for a in arrays)
        mine = int.from_bytes(hashlib.sha256(text.encode()).digest()[:7], "little")
        both = np.array([mine, -mine], np.int64)
        out = np.empty_like(both)
        self.comm.Allreduce(both, out, op=self.MPI.MAX)
        if out[0] != mine or out[1] != -mine:
            texts = self.comm.allgather(text)
            raise ValueError("mismatched collective across processes: " +
                             "; ".join(f"rank {r}: {t}" for r, t in enumerate(texts)))

    def allreduce(self, arrays, op):
        arrays = [np.ascontiguousarray(a) for a in arrays]
        self.check("allreduce_" + op, arrays)
        # One call per dtype: the leaves of a pytree go in one flat buffer.
        by_dtype = {}
        for k, a in enumerate(arrays):
            by_dtype.setdefault(a.dtype, []).append(k)
        outs = [None] * len(arrays)
        for dtype, ks in by_dtype.items():
            send, recv = self.buffers(dtype, sum(arrays[k].size for k in ks))
            start = 0
            for k in ks:
                send[start:start + arrays[k].size] = arrays[k].ravel()
                start += arrays[k].size
            self.comm.Allreduce(send, recv, op=self.ops[op])
            start = 0
            for k in ks:
                n = arrays[k].size
                outs[k] = recv[start:start + n].reshape(arrays[k].shape).copy()
                start += n
        return outs

    def buffers(self, dtype, n):
        """Send and receive buffers kept per (dtype, size): MPICH spends
        milliseconds on each large buffer at an address it has not seen."""
        key = (dtype, n)
        if key not in self.staging:
            if len(self.staging) > 16:
                self.staging.clear()
            self.staging[key] = (np.empty(n, dtype), np.empty(n, dtype))
        return self.staging[key]

    def all_gather(self, x):
        self.check("all_gather", [x])
        out = np.empty((self.size,) + x.shape, x.dtype)
        self.comm.Allgather(x, out)
        return out

    def psum_scatter(self, x):
        self.check("psum_scatter", [x])
        out = np.empty(x.shape[1:], x.dtype)
        self.comm.Reduce_scatter_block(x, out, op=self.MPI.SUM)
        return out

    def all_to_all(self, x):
        self.check("all_to_all", [x])
        out = np.empty_like(x)
        self.comm.Alltoall(x, out)
        return out

    def ppermute(self, x, perm):
        self.check("ppermute" + repr(perm), [x])
        out = np.zeros_like(x)
        requests = [self.comm.Isend(x, dest=dst, tag=17) for src, dst in perm
                    if src == self.rank]
        for src, dst in perm:
            if dst == self.rank:
                self.comm.Recv(out, source=src, tag=17)
        self.MPI.Request.Waitall(requests)
        return out


class _State:
    backend = None
    hook = None


_state = _State()


def initialize(coordinator_address=None, num_processes=None, process_id=None, *,
               comm=None, abort_on_error=True):
    """Join the MPI job this process was launched in (mpirun / mpiexec / srun
    with MPI). ``num_processes`` / ``process_id``, when given, are checked
    against the launch; ``comm`` is an mpi4py communicator to use instead of
    COMM_WORLD. ``coordinator_address`` is accepted for JAX compatibility
    (MPI's launcher does the coordination). Idempotent."""
    if _state.backend is not None:
        return
    try:
        from mpi4py import MPI       # optional dependency: the [mpi] extra
    except ImportError as e:
        raise RuntimeError("jaxlite.distributed needs mpi4py and an MPI library: "
                           "pip install 'jaxlite[mpi]'") from e
    comm = MPI.COMM_WORLD if comm is None else comm
    backend = _MPIBackend(MPI, comm)
    if num_processes is not None and num_processes != backend.size:
        raise ValueError(f"initialize: num_processes={num_processes} but the MPI job has "
                         f"{backend.size} processes")
    if process_id is not None and process_id != backend.rank:
        raise ValueError(f"initialize: process_id={process_id} but this is rank "
                         f"{backend.rank}")
    _state.backend = backend
    parallel.set_process_backend(backend)
    if abort_on_error and backend.size > 1:
        _install_abort_hook(MPI, comm)
    atexit.register(shutdown)


def _install_abort_hook(MPI, comm):
    previous = sys.excepthook

    def hook(kind, value, tb):
        traceback.print_exception(kind, value, tb, file=sys.stderr)
        sys.stderr.write(f"jaxlite.distributed: rank {comm.Get_rank()} raised "
                         f"{kind.__name__}; aborting the MPI job\n")
        sys.stderr.flush()
        comm.Abort(1)
        previous(kind, value, tb)
    sys.excepthook = hook
    _state.hook = (hook, previous)


def shutdown():
    """Leave the job: collectives over the processes error again afterwards
    (MPI itself is finalized by mpi4py at exit)."""
    if _state.hook is not None and sys.excepthook is _state.hook[0]:
        sys.excepthook = _state.hook[1]
    _state.hook = None
    _state.backend = None
    parallel.set_process_backend(None)


def is_initialized():
    return _state.backend is not None


def process_index():
    """This process's rank (0 without initialize())."""
    return parallel.process_backend().rank


def process_count():
    """The number of processes (1 without initialize())."""
    return parallel.process_backend().size


def mpi_comm():
    """The mpi4py communicator collectives run on (None before initialize())."""
    return None if _state.backend is None else _state.backend.comm


def spmd(f, axis_name):
    """``f`` with ``axis_name`` bound to the processes: collectives over that
    name inside ``f`` (eager, under jit, grad, vmap) combine the processes'
    values. Every process must call it with the same shapes."""
    binding = parallel.process_axis(axis_name)     # reentrant: one per function

    @functools.wraps(f)
    def run(*args, **kwargs):
        with binding:
            return f(*args, **kwargs)
    return run
