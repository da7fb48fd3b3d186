"""Pass 6: the Executable: argument checks in Python, then one native call.

Calling convention: ``i32 entry(obj_0, ..., obj_n)`` gets one pointer per
input then per output (or one array of them past 200 arguments) and returns
0, or 1 when its workspace could not be allocated (raised as MemoryError). On CPython with numpy's standard object layout the
pointers are the ndarray objects themselves (ctypes ``py_object``, which
costs nothing to convert) and native code reads each array's data pointer
from the object; otherwise they are data addresses from ``ndarray.ctypes``.
Every argument is validated (count, type, shape, dtype) before native code
runs, so bad input raises TypeError and never reaches machine code.
"""
import ctypes
import functools
import sys
import threading
import weakref

import numpy as np

from jaxlite import callbacks, core, dtypes


def _probe_data_offset():
    """Byte offset of the data pointer in an ndarray object, if the layout is the
    one we expect (PyObject_HEAD then ``char *data``)."""
    try:
        a = np.empty(3)
        off = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)
        if ctypes.c_void_p.from_address(id(a) + off).value == a.ctypes.data:
            b = np.asarray(1.0)
            if ctypes.c_void_p.from_address(id(b) + off).value == b.ctypes.data:
                return off
    except Exception:
        pass
    return None


DATA_OFFSET = _probe_data_offset()
_ndarray, _Array, _empty, _getrefcount = np.ndarray, core.Array, np.empty, sys.getrefcount
_view_at = np.ndarray.__new__        # (type, shape, dtype, buffer, offset): one call
_getweakrefcount = weakref.getweakrefcount
# Outputs of at least this many bytes are reused across calls once dead: fresh
# ones of this size are mmap'ed by malloc (glibc's threshold is 128 KB) and
# every page faults on first touch: four fresh 250 KB outputs cost ~0.25 ms,
# as much as an MPI_Allreduce of them. An executable keeps its last such
# outputs (up to POOL_MAX_BYTES each) after the caller drops them.
POOL_MIN_BYTES = 1 << 17
POOL_MAX_BYTES = 1 << 28
_PY_SCALARS = (bool, int, float, complex)


class Executable:
    """A compiled jaxpr. ``exe(*args)`` returns the list of outputs (jaxlite Arrays)."""

    def __init__(self, name, in_avals, consts, out_avals, address, engine, texts,
                 from_disk_cache=False, workspace=0, packed=False, inplace=None,
                 calls_python=False):
        self.name = name
        # Calls pure/io callbacks, whose exceptions are raised after the native call.
        self._calls_python = calls_python
        # input position -> outputs that may be written into its buffer (inplace.py)
        self.inplace = dict(inplace or {})
        self._workspace = workspace
        self.in_avals = list(in_avals)
        self.out_avals = list(out_avals)
        self._consts = [np.ascontiguousarray(np.asarray(c, a.dtype))
                        for c, a in zip(consts, [core.get_aval(c) for c in consts])]
        self._engine = engine          # keeps the machine code alive
        self._texts = texts
        self.from_disk_cache = from_disk_cache
        self._nargs = len(self.in_avals)
        self._specs = [(a.shape, a.dtype) for a in self.in_avals]
        self._out_specs = [(a.shape, a.dtype) for a in self.out_avals]
        # Large outputs are views of one block the executable keeps (see _outputs).
        self._pooled, self._block_bytes = _block_layout(self.out_avals)
        self._block, self._views, self._pool = None, [], {}
        self._pool_lock = threading.Lock()
        n = len(self._consts) + self._nargs + len(self.out_avals)
        self._by_object = DATA_OFFSET is not None
        if packed:
            # One array of n pointers (object or data addresses), filled per call.
            self._array_type = ctypes.c_void_p * n
            raw = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p)(address)
            self._fn = self._packed_call(raw)
        else:
            argtype = ctypes.py_object if self._by_object else ctypes.c_void_p
            self._fn = ctypes.CFUNCTYPE(ctypes.c_int32, *([argtype] * n))(address)

    def _packed_call(self, raw):
        array_type, by_object = self._array_type, self._by_object

        def call(*objs):
            ptrs = array_type(*[id(o) if by_object else o for o in objs])
            return raw(ptrs)    # objs stay referenced by this frame during the call
        return call

    # ------------------------------------------------------------- calling

    def __call__(self, *args):
        return self.call_into(args)

    def call_into(self, args, into=None):
        """Run on ``args``; ``into`` maps output positions to C-contiguous
        ndarrays of their shape and dtype to write those outputs into (donated
        buffers, only where ``self.inplace`` allows it), the others are fresh."""
        specs = self._specs
        if len(args) != len(specs):
            raise TypeError(f"{self.name} takes {len(specs)} argument(s), got {len(args)}")
        vals = args
        for x, spec in zip(args, specs):
            # Fast path: exact ndarray/Array of the right type and C layout.
            t = type(x)
            if (t is not _ndarray and t is not _Array) or (x.shape, x.dtype) != spec \
                    or not x.flags.c_contiguous:
                vals = self._slow_args(args)
                break
        if into or self._pooled:
            outs = self._outputs(into or {}, _ndarray)
        else:
            outs = [_empty(shape, dtype) for shape, dtype in self._out_specs]
        if self._by_object:
            status = self._fn(*self._consts, *vals, *outs)
        else:
            status = self._fn(*[v.ctypes.data for v in (*self._consts, *vals, *outs)])
        if status:
            raise MemoryError(f"{self.name}: could not allocate {self._workspace} bytes of "
                              f"workspace")
        if self._calls_python:
            callbacks.raise_kept()
        # Arrays viewing ndarrays: donation (donation.py) takes an output's base back.
        return [o.view(_Array) for o in outs]

    @property
    def pools_outputs(self):
        """Whether some outputs come from the block this executable keeps."""
        return bool(self._pooled)

    def new_outputs(self):
        """Fresh output Arrays for a call (the large ones from the kept block), for
        a caller of ``unchecked`` (jit's fast path)."""
        if not self._pooled:
            return [_Array(shape, dtype) for shape, dtype in self._out_specs]
        kept = self._views
        if len(kept) == len(self._out_specs):     # every output in the block: one check
            with self._pool_lock:
                # References to the block: the attribute, getrefcount's argument, a view's
                # base each.
                if _getrefcount(self._block) == 2 + len(kept) and _all_unheld(kept):
                    return kept.copy()
        return self._outputs({}, _Array)

    def _outputs(self, into, kind):
        """Output buffers: ``into``'s; for the large outputs views of the block
        this executable keeps if every array viewing it is gone (its pages are
        mapped, and MPI has seen its address); the others new. The large
        outputs lie in the block in order, 16-byte aligned, so a kernel
        writing several (a pytree's psum) may find them contiguous and hand
        MPI one buffer. While a caller holds any view of the block, each
        large output reuses its own last buffer if that one is dead, so a kept
        output pins its own memory only, not its siblings' over many calls.
        The large outputs are Arrays (never donated: the block or pool holds
        them); the other new buffers are of type ``kind``."""
        outs = [into.get(j) for j in range(len(self._out_specs))]
        if self._pooled:
            # Two threads calling this executable must not both find the block free.
            with self._pool_lock:
                self._claim_pooled(outs)
        return [kind(*spec) if o is None else o for o, spec in zip(outs, self._out_specs)]

    def _claim_pooled(self, outs):
        block = self._block
        if block is None:
            block = self._block = _empty(self._block_bytes, np.uint8)
        kept = self._views
        # References to the block: the executable, `block`, getrefcount's argument
        # and the views of the last call, which this executable keeps: when no one
        # holds these views, they are handed out again (no array is created: right
        # after an MPI call, making four views took ~30 us instead of 2.5 us).
        if _getrefcount(block) == 3 + len(kept) and _all_unheld(kept):
            if not kept:
                kept = self._views = [_view_at(_Array, shape, dtype, block, start)
                                      for _, start, dtype, shape in self._pooled]
            for (j, *_), view in zip(self._pooled, kept):
                if outs[j] is None:
                    outs[j] = view
        else:
            pool = self._pool
            for j, _, dtype, shape in self._pooled:
                if outs[j] is None:
                    o = pool.get(j)
                    # References: the pool, `o`, getrefcount's argument.
                    if o is None or type(o) is not _Array or _getrefcount(o) != 3 \
                            or _getweakrefcount(o):
                        o = pool[j] = _Array(shape, dtype)
                    outs[j] = o

    def _slow_args(self, args):
        vals = []
        for i, (x, (shape, dtype)) in enumerate(zip(args, self._specs)):
            t = type(x)
            if (t is _ndarray or t is _Array) and x.dtype == dtype and x.shape == shape:
                if not x.flags.c_contiguous:
                    x = np.ascontiguousarray(x)
            else:
                x = self._convert(i, x, shape, dtype)
            vals.append(x)
        return vals

    def _convert(self, i, x, shape, dtype):
        """The slow path: subclasses, scalars, convertible dtypes; TypeError otherwise."""
        expected = f"{dtypes.short_name(dtype)}[{','.join(map(str, shape))}]"
        if isinstance(x, core.DeletedArray):
            x.raise_deleted()
        if isinstance(x, core.Tracer):
            raise TypeError(f"{self.name}: argument {i} is a tracer ({x.aval}); compiled "
                            f"code needs concrete arrays")
        if type(x) in _PY_SCALARS or isinstance(x, np.generic):
            if shape != ():
                raise TypeError(f"{self.name}: argument {i} expected an array of type "
                                f"{expected}, got scalar {type(x).__name__} {x!r}")
            kind = np.asarray(x).dtype.kind
            kind = "i" if kind == "u" else kind
            want = "i" if dtype.kind == "u" else dtype.kind
            if kind not in "bifc" or "bifc".index(kind) > "bifc".index(want):
                raise TypeError(f"{self.name}: argument {i} expected {expected}, got "
                                f"{type(x).__name__} {x!r}")
            return np.asarray(x, dtype)
        if isinstance(x, np.ndarray):
            if x.shape != shape:
                raise TypeError(f"{self.name}: argument {i} expected shape {shape} "
                                f"({expected}), got shape {x.shape} ({x.dtype})")
            if x.dtype != dtype:
                try:
                    canon = dtypes.canonicalize(x.dtype)
                except TypeError:
                    canon = None
                if canon != dtype:
                    raise TypeError(f"{self.name}: argument {i} expected dtype {dtype.name} "
                                    f"({expected}), got {x.dtype}")
            return np.ascontiguousarray(x, dtype)
        raise TypeError(f"{self.name}: argument {i} expected an array of type {expected}, "
                        f"got {type(x).__name__}")

    def unchecked(self, *leading):
        """The native function with ``leading`` inputs bound: call it with the
        remaining inputs then the outputs (``np.empty`` arrays of ``out_avals``).
        No argument checks and no out-of-memory status check: for a caller that
        already guarantees exact ndarray/Array types, shapes, dtypes and C layout
        (jit's fast path). None where native code takes data addresses rather
        than array objects, or where a callback's exception must be raised after the call."""
        if not self._by_object or self._calls_python:
            return None
        bound = (*self._consts, *leading)
        return functools.partial(self._fn, *bound) if bound else self._fn

    def nbytes(self):
        """Memory this executable holds: machine code, constants, kept texts."""
        texts = sum(len(t) for t in self._texts.values() if isinstance(t, str))
        return (getattr(self._engine, "code_bytes", 0) + texts
                + sum(c.nbytes for c in self._consts))

    # ---------------------------------------------------------------- text

    def as_text(self):
        """The optimized LLVM IR (the compiled program)."""
        return self.llvm_ir(optimized=True)

    def llvm_ir(self, optimized=True):
        return self._texts.get("opt_ir" if optimized else "ir")

    def asm(self):
        return self._texts.get("asm")

    def fusion_plan(self):
        return self._texts.get("plan")

    def jaxpr_text(self):
        return self._texts.get("jaxpr")

    def __repr__(self):
        return f"<compiled {self.name}: {self._nargs} input(s), {len(self.out_avals)} output(s)>"


def _all_unheld(arrays):
    """Whether only the executable references the outputs it kept: neither a
    variable, a view, a weak reference nor donation (which turns an Array into
    a DeletedArray) holds any of them."""
    for a in arrays:
        # References: the list, `a`, getrefcount's argument.
        if type(a) is not _Array or _getrefcount(a) != 3 or _getweakrefcount(a):
            return False
    return True


def _block_layout(avals):
    """``([(output position, start, dtype, shape)], block bytes)`` of the
    outputs between POOL_MIN_BYTES and POOL_MAX_BYTES, packed in order at
    16-byte boundaries (malloc's, so numpy's, alignment)."""
    layout, end = [], 0
    for j, a in enumerate(avals):
        nbytes = a.size * a.dtype.itemsize
        if POOL_MIN_BYTES <= nbytes <= POOL_MAX_BYTES:
            layout.append((j, end, a.dtype, a.shape))
            end += -(-nbytes // 16) * 16
    return layout, end


class LazyTexts(dict):
    """Texts computed on first use (assembly needs another code generation)."""

    def __init__(self, makers, **known):
        super().__init__(known)
        self._makers = makers

    def get(self, key, default=None):
        if key not in self and key in self._makers:
            self[key] = self._makers[key]()
        return super().get(key, default)
