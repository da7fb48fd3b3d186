"""The warm path: a disk-cache entry keyed by the traced program, read before any pass.

The object-code cache (cache.py) is keyed by the LLVM IR, so a hit still pays for
simplification, fusion, lowering and printing the IR, and for importing those
passes: most of a warm first call. This cache maps what decides the IR (the
program's memory-cache key: its canonical text, avals and constants' bytes; the
target; the compiler's and jaxlite's sources; the JAXLITE_* settings; the BLAS
found; the usable cores) straight to the object code, the constants the
simplified program passes (by position among the traced program's constants, or
by value when simplification made them) and the few facts the Executable needs,
so a hit runs no pass at all.

Only programs whose machine code depends on nothing but these are stored: no
host callbacks or MPI collectives (their lowering fills per-process tables), and
every external symbol the object needs must resolve when it is loaded (symbols
that lowering registers lazily, such as LAPACK aliases or FFT tables, make a
fresh process take the full path once).
"""
import ast
import hashlib
import os
import re

import numpy as np
import llvmlite.binding as llvm

from jaxlite import core, ir
from jaxlite.compiler import cache, engine, gemm, native

_STATEFUL = ("jaxlite_debug_callback", "jaxlite_python_callback", "jaxlite_mpi_")
_EXTERNAL = re.compile(r'^(?:declare [^@\n]*@"?([\w.$]+)"?\(|@"?([\w.$]+)"? = external )', re.M)
_IGNORED_ENV = ("JAXLITE_CACHE_DIR", "JAXLITE_DUMP_DIR", "JAXLITE_DISABLE_DISK_CACHE")
_fingerprint = {}


def _sources():
    """(path, size, mtime) of every source file of jaxlite and its compiler: an
    edited lowering rule changes the key (stat, not read: ~1 ms)."""
    entries = []
    dirs = [os.path.dirname(os.path.abspath(__file__)),       # compiler/
            os.path.dirname(os.path.abspath(ir.__file__))]    # jaxlite/
    while dirs:
        with os.scandir(dirs.pop()) as it:      # half the time of os.walk + os.stat
            for e in it:
                if e.name.endswith(".py"):
                    st = e.stat()
                    entries.append(f"{e.path}:{st.st_size}:{st.st_mtime_ns}")
                elif e.name != "__pycache__" and e.is_dir():
                    dirs.append(e.path)
    return sorted(entries)


def fingerprint(data_offset):
    """Everything besides the program that decides the generated code (memoized)."""
    if data_offset not in _fingerprint:
        env = sorted((k, v) for k, v in os.environ.items()
                     if k.startswith("JAXLITE_") and k not in _IGNORED_ENV)
        h = hashlib.sha256()
        for part in (engine.target_id(), repr(data_offset), repr(env), gemm.prepare(),
                     str(native.usable_cores(limit=1 << 16)), *_sources()):
            h.update(part.encode())
            h.update(b"\0")
        _fingerprint[data_offset] = h.hexdigest()
    return _fingerprint[data_offset]


def key(memory_key, data_offset):
    """The warm key of a program, from its memory-cache key; None when the disk cache
    is off."""
    if not cache.disk_enabled() or os.environ.get("JAXLITE_DUMP_DIR"):
        return None
    text, avals, consts = memory_key
    h = hashlib.sha256()
    for part in ("warm-2", fingerprint(data_offset), text, repr(avals), consts):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def load(wkey, closed):
    """``(object code, constants, facts dict)`` for the warm key of ``closed``, or None
    (miss, or a symbol the object needs is not registered in this process yet)."""
    if wkey is None:
        return None
    hit = cache.load(wkey)
    if hit is None:
        return None
    obj, meta = hit
    try:
        meta = ast.literal_eval(meta)
    except (ValueError, SyntaxError):
        return None
    if not all(llvm.address_of_symbol(s) for s in meta.pop("symbols")):
        return None
    return obj, _constants(meta.pop("consts"), closed), meta


def store(wkey, obj, ir_text, facts, consts, traced_consts):
    """Remember ``obj``, the simplified program's ``consts`` and the Executable's
    ``facts`` (Python literals) under the warm key, unless the program's code depends
    on per-process state or its constants are too big to keep here."""
    if wkey is None or any(s in ir_text for s in _STATEFUL):
        return
    refs = _const_refs(consts, traced_consts)
    if refs is None:
        return
    symbols = sorted({a or b for a, b in _EXTERNAL.findall(ir_text)} - {""})
    meta = dict(facts, consts=refs, symbols=[s for s in symbols if not s.startswith("llvm.")])
    text = repr(meta)
    try:
        if ast.literal_eval(text) != meta:
            return
    except (ValueError, SyntaxError):
        return                  # a fact that is not a plain literal: not stored
    cache.store(wkey, obj, text)


# Bytes of constants made by simplification (not among the traced program's) that an
# entry may hold; beyond it the program takes the object-code cache's path.
CONST_BYTES_LIMIT = 1 << 16


def _const_refs(consts, traced_consts):
    """Each constant as ``("traced", i)``: the i-th of ``cache.key_consts`` (its bytes are
    in the key), or ``("value", dtype, shape, bytes)``; None beyond CONST_BYTES_LIMIT."""
    position = {id(c): i for i, c in reversed(list(enumerate(traced_consts)))}
    refs, size = [], 0
    for c in consts:
        if id(c) in position:
            refs.append(("traced", position[id(c)]))
            continue
        a = np.asarray(c, core.get_aval(c).dtype)      # as the Executable converts it
        size += a.nbytes
        if size > CONST_BYTES_LIMIT or a.dtype.hasobject:
            return None
        refs.append(("value", a.dtype.str, a.shape, np.ascontiguousarray(a).tobytes()))
    return refs


def _constants(refs, closed):
    traced = cache.key_consts(closed) if any(r[0] == "traced" for r in refs) else []
    return [traced[r[1]] if r[0] == "traced"
            else np.frombuffer(r[3], np.dtype(r[1])).reshape(r[2]) for r in refs]
