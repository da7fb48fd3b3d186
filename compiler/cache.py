"""Pass 7: caches.

* In memory: canonical jaxpr text + avals (+ constants' bytes) -> Executable.
* On disk: object code keyed by sha256 of (LLVM IR text, target triple, CPU
  name and features, llvmlite version, cache format version). A hit skips the
  O3 pipeline and code generation. Entries also keep the optimized IR text.
  Location: $JAXLITE_CACHE_DIR or ~/.cache/jaxlite; JAXLITE_DISABLE_DISK_CACHE=1
  turns it off. Writes are atomic (temp file + rename); an entry whose
  checksum does not match is ignored.
"""
import hashlib
import os
import struct
import tempfile
import threading
import zlib

FORMAT_VERSION = "jaxlite-cache-1"
_MAGIC = b"JLC1"

memory = {}
_lock = threading.Lock()
stats = {"memory_hits": 0, "disk_hits": 0, "disk_misses": 0, "disk_writes": 0}


MEMORY_LIMIT = 1024    # executables kept in memory (oldest dropped first)


def remember(key, exe):
    with _lock:
        memory[key] = exe
        while len(memory) > MEMORY_LIMIT:
            memory.pop(next(iter(memory)))


def clear_memory():
    """Drop the in-memory executables (jaxlite.clear_caches); the disk cache stays."""
    with _lock:
        memory.clear()


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
        if hashlib.sha256(body).digest() != digest or len(body) != n_obj + n_ir:
            raise ValueError("checksum mismatch")
        obj = body[:n_obj]
        opt_ir = zlib.decompress(body[n_obj:]).decode()
    except (OSError, ValueError, struct.error, zlib.error, UnicodeDecodeError):
        stats["disk_misses"] += 1
        return None
    stats["disk_hits"] += 1
    return obj, opt_ir


def store(key, obj, opt_ir):
    """Write an entry atomically; failures (read-only dir, full disk) are ignored."""
    if not disk_enabled():
        return
    path = _path(key)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        ir_z = zlib.compress(opt_ir.encode(), 1)
        body = bytes(obj) + ir_z
        header = _MAGIC + struct.pack("<QQ", len(obj), len(ir_z)) + hashlib.sha256(body).digest()
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
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
    its avals, and a digest of its constants."""
    from jaxlite.ir import pp_jaxpr
    import numpy as np
    from compiler.control_flow import nested_consts
    h = hashlib.sha256()
    for c in list(closed.consts) + nested_consts(closed.jaxpr):   # printing omits nested ones
        a = np.asarray(c)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    avals = tuple((a.shape, a.dtype.str, a.weak_type) for a in closed.in_avals)
    return (pp_jaxpr(closed.jaxpr), avals, h.hexdigest())
