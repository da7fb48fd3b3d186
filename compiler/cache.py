"""Pass 7: caches.

* In memory: canonical jaxpr text + avals (+ constants' bytes) -> Executable,
  bounded in count and bytes (see MemoryCache).
* On disk: object code keyed by sha256 of (LLVM IR text, target triple, CPU
  name and features, llvmlite version, cache format version). A hit skips the
  O3 pipeline and code generation. Entries also keep the optimized IR text.
  Location: $JAXLITE_CACHE_DIR or ~/.cache/jaxlite; JAXLITE_DISABLE_DISK_CACHE=1
  turns it off. Writes are atomic (temp file + rename); an entry whose
  checksum (over its key and body) does not match is ignored.
"""
import collections
import ctypes
import gc
import hashlib
import os
import struct
import threading
import weakref
import zlib

import numpy as np

from jaxlite.ir import ClosedJaxpr, Jaxpr, pp_jaxpr
from jaxlite.lax import parallel

FORMAT_VERSION = "jaxlite-cache-2"
_MAGIC = b"JLC2"

_lock = threading.Lock()
stats = {"memory_hits": 0, "disk_hits": 0, "disk_misses": 0, "disk_writes": 0}

# The in-memory cache holds an executable strongly only while it is among the most
# recent MEMORY_LIMIT ones and MEMORY_LIMIT_BYTES bytes; beyond that, weakly: it lives
# as long as a jitted function's own caches hold it, so a dead function's executables
# (and their LLVM engines) are freed with it.
MEMORY_LIMIT = 256
MEMORY_LIMIT_BYTES = 64 << 20
# After this many bytes of evictions, give freed heap back to the OS (glibc keeps it).
_TRIM_BYTES = 16 << 20


class MemoryCache:
    """key -> Executable: a bounded LRU of strong references over weak ones."""

    def __init__(self):
        self._strong = collections.OrderedDict()      # key -> (exe, nbytes)
        self._weak = weakref.WeakValueDictionary()
        self._bytes = 0
        self._evicted = 0

    def get(self, key):
        entry = self._strong.get(key)
        if entry is not None:
            self._strong.move_to_end(key)
            return entry[0]
        return self._weak.get(key)

    def put(self, key, exe):
        old = self._strong.pop(key, None)
        if old is not None:
            self._bytes -= old[1]
        size = exe.nbytes()
        self._strong[key] = (exe, size)
        self._weak[key] = exe
        self._bytes += size
        while len(self._strong) > max(1, MEMORY_LIMIT) or (
                self._bytes > MEMORY_LIMIT_BYTES and len(self._strong) > 1):
            _, (_, dropped) = self._strong.popitem(last=False)
            self._bytes -= dropped
            self._evicted += dropped
        if self._evicted > _TRIM_BYTES:
            self._evicted = 0
            release_free_memory()

    def clear(self):
        self._strong.clear()
        self._weak.clear()
        self._bytes = 0

    def nbytes(self):
        """Bytes held strongly (machine code, constants, texts)."""
        return self._bytes

    def __len__(self):
        return len(self._weak)

    def __contains__(self, key):
        return key in self._strong or key in self._weak


memory = MemoryCache()


def lookup(key):
    """The executable cached in memory for ``key``, or None."""
    with _lock:
        exe = memory.get(key)
    if exe is not None:
        stats["memory_hits"] += 1
    return exe


def remember(key, exe):
    """Cache ``exe`` under ``key``; returns the executable the cache holds for it (an
    earlier one if another thread compiled the same program meanwhile)."""
    with _lock:
        first = memory.get(key)
        if first is not None:
            return first
        memory.put(key, exe)
    return exe


def clear_memory():
    """Drop the in-memory executables (jaxlite.clear_caches); the disk cache stays."""
    with _lock:
        memory.clear()
    gc.collect()
    release_free_memory()


def release_free_memory():
    """Return the C heap's free pages to the OS (glibc only; elsewhere nothing)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass


def disk_enabled():
    return os.environ.get("JAXLITE_DISABLE_DISK_CACHE", "") not in ("1", "true", "True")


def cache_dir():
    return os.environ.get("JAXLITE_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "jaxlite")


def disk_key(ir_text, target_id):
    h = hashlib.sha256()
    for part in (ir_text, target_id, FORMAT_VERSION):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _path(key):
    return os.path.join(cache_dir(), key[:2], key + ".jlc")


def load(key):
    """(object bytes, optimized IR text) or None on a miss or a corrupted entry."""
    if not disk_enabled():
        return None
    try:
        with open(_path(key), "rb") as f:
            data = f.read()
        if data[:4] != _MAGIC:
            raise ValueError("bad magic")
        n_obj, n_ir = struct.unpack("<QQ", data[4:20])
        digest = data[20:52]
        body = data[52:]
        if _digest(key, body) != digest or len(body) != n_obj + n_ir:
            raise ValueError("checksum mismatch")
        obj = body[:n_obj]
        opt_ir = zlib.decompress(body[n_obj:]).decode()
    except (OSError, ValueError, struct.error, zlib.error, UnicodeDecodeError):
        stats["disk_misses"] += 1
        return None
    stats["disk_hits"] += 1
    return obj, opt_ir


def _digest(key, body):
    """Checksum over the entry's key and body: an entry copied or renamed to another
    key's file is refused, not run."""
    return hashlib.sha256(key.encode() + b"\0" + body).digest()


def store(key, obj, opt_ir):
    """Write an entry atomically; failures (read-only dir, full disk) are ignored."""
    if not disk_enabled():
        return
    path = _path(key)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        ir_z = zlib.compress(opt_ir.encode(), 1)
        body = bytes(obj) + ir_z
        header = _MAGIC + struct.pack("<QQ", len(obj), len(ir_z)) + _digest(key, body)
        # A name no other live writer uses (tempfile.mkstemp would cost its import,
        # ~1 ms of a warm first call, which only reads).
        tmp = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
        fd = os.open(tmp, flags, 0o644)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(header + body)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        stats["disk_writes"] += 1
    except OSError:
        pass


def memory_key(closed):
    """The canonical text of a ClosedJaxpr (names are assigned when printing),
    its avals, and a digest of its constants (``key_consts``) and of the number
    of processes (a collective over them compiles to a copy in one process, to
    MPI calls in several: a cached one-process program must not serve an MPI
    run, which would silently reduce nothing)."""
    h = hashlib.sha256()
    h.update(f"processes={parallel.installed_process_count()}".encode())
    for c in key_consts(closed):
        a = np.asarray(c)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    avals = tuple((a.shape, a.dtype.str, a.weak_type) for a in closed.in_avals)
    return (pp_jaxpr(closed.jaxpr), avals, h.hexdigest())


def key_consts(closed):
    """The constants ``memory_key`` digests: the program's own, then those of every
    jaxpr held in an equation's params, recursively (printing omits those)."""
    out = list(closed.consts)

    def visit(v):
        if isinstance(v, (tuple, list)):
            for x in v:
                visit(x)
        elif isinstance(v, ClosedJaxpr):
            out.extend(v.consts)
            walk(v.jaxpr)
        elif isinstance(v, Jaxpr):
            walk(v)

    def walk(j):
        for e in j.eqns:
            for v in e.params.values():
                visit(v)

    walk(closed.jaxpr)
    return out
