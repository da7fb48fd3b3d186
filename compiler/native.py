"""Native symbols the generated code calls, found and registered with MCJIT once.

* The CBLAS that numpy already ships (OpenBLAS), or another one: searched in
  numpy's bundled-library directories, the directory numpy was built against,
  the BLAS libraries already loaded in the process and Accelerate on macOS
  (``JAXLITE_BLAS=<path>`` first). Its sgemm/dgemm (and OpenBLAS's per-call
  thread knob) are registered under jaxlite's own names, so another BLAS
  loaded in the process cannot capture the calls (``find_blas``).
* The C runtime functions generated code calls (``malloc``, ``free``,
  ``pthread_create``, ``pthread_join``), also under our own names
  (``runtime_functions``), used by the GEMM kernel and by the thread planner.

Real absence is not an error: ``find_blas()`` is None on a machine without a
BLAS (GEMMs then use the LLVM kernel) and a missing pthread means one thread.
"""
import ctypes
import glob
import os
import sys
import threading

import numpy as np
import llvmlite.binding as llvm

# Env switches: JAXLITE_BLAS=<path> picks a library; JAXLITE_BLAS_THREADS=<n> the threads
# of all of jaxlite's BLAS calls; JAXLITE_THREADS=<n> the threads of large kernels.
_ENV_LIBRARY = "JAXLITE_BLAS"
_ENV_BLAS_THREADS = "JAXLITE_BLAS_THREADS"
_ENV_THREADS = "JAXLITE_THREADS"
_SHORT = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}


class Blas:
    """A located CBLAS: library path, symbol per dtype, integer width, thread query."""

    # Alias of OpenBLAS's `int openblas_set_num_threads_local(int)` (see JAXLITE_BLAS_THREADS).
    set_threads_alias = "jaxlite_openblas_set_threads_local"

    def __init__(self, path, symbols, int_bits, threads_fn, set_threads_symbol):
        self.path = path
        self.symbols = symbols          # {np.dtype: exported symbol name}
        self.int_bits = int_bits        # 64 for ILP64 builds (numpy's), else 32
        self.threads_fn = threads_fn    # ctypes function returning the thread count, or None
        self.set_threads_symbol = set_threads_symbol   # per-thread thread count, or None

    def alias(self, dtype):
        # Our own name for the symbol, registered with add_symbol: a module never names a
        # library symbol, so another BLAS loaded in the process (MKL via torch, ...) cannot
        # capture the call.
        return f"jaxlite_cblas_{_SHORT[np.dtype(dtype)]}gemm"


# (sgemm, dgemm, int bits or None = ask the library's config string)
_SYMBOL_SETS = (
    ("scipy_cblas_sgemm64_", "scipy_cblas_dgemm64_", 64),
    ("cblas_sgemm64_", "cblas_dgemm64_", 64),
    ("scipy_cblas_sgemm", "scipy_cblas_dgemm", None),
    ("cblas_sgemm", "cblas_dgemm", None),
)
_THREAD_FNS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
               "scipy_openblas_get_num_threads", "openblas_get_num_threads")
_SET_LOCAL_THREADS_FNS = ("scipy_openblas_set_num_threads_local64_",
                          "openblas_set_num_threads_local64_", "openblas_set_num_threads_local")
_CONFIG_FNS = ("scipy_openblas_get_config64_", "openblas_get_config64_",
               "scipy_openblas_get_config", "openblas_get_config")

_state = {"searched": False, "blas": None}
_search_lock = threading.Lock()
# macOS system BLAS (LP64 CBLAS); lives in the dyld shared cache, so it is no regular file.
_ACCELERATE = "/System/Library/Frameworks/Accelerate.framework/Accelerate"


def numpy_library_dirs():
    """Directories where numpy's wheels keep their bundled BLAS, newest layout first."""
    pkg = os.path.dirname(np.__file__)
    return [os.path.join(os.path.dirname(pkg), "numpy.libs"),   # manylinux (auditwheel)
            os.path.join(pkg, ".libs"),                          # older wheels
            os.path.join(pkg, ".dylibs"),                        # macOS (delocate)
            os.path.join(os.path.dirname(pkg), "numpy.libs", ".libs")]


def _numpy_config_dirs():
    """The BLAS library directory numpy was built against (system / conda builds)."""
    try:
        deps = np.__config__.CONFIG["Build Dependencies"]
        lib_dir = deps["blas"].get("lib directory")
    except (AttributeError, KeyError, TypeError):
        return []
    return [lib_dir] if lib_dir and os.path.isdir(lib_dir) else []


def _loaded_blas_paths():
    """BLAS shared objects already mapped into this process (Linux): numpy's own."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower()}
    except OSError:
        return []
    return sorted(p for p in paths if os.path.isfile(p))


def candidate_paths():
    paths = []
    explicit = os.environ.get(_ENV_LIBRARY)
    for directory in numpy_library_dirs() + _numpy_config_dirs():
        for pattern in ("*openblas*", "libcblas*", "libblas*", "*mkl_rt*"):
            paths.extend(sorted(glob.glob(os.path.join(directory, pattern))))
    paths.extend(_loaded_blas_paths())
    paths = [p for p in paths if os.path.isfile(p)]
    if sys.platform == "darwin":
        paths.append(_ACCELERATE)        # numpy >= 2 on Apple silicon uses it, unbundled
    if explicit:
        paths.insert(0, explicit)        # the user's choice, even if not a plain file
    return list(dict.fromkeys(paths))


def probe(path):
    """A Blas for the library at ``path`` if it exports a CBLAS gemm pair, else None."""
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    for sname, dname, bits in _SYMBOL_SETS:
        if not (hasattr(lib, sname) and hasattr(lib, dname)):
            continue
        if bits is None:
            bits = 64 if "USE64BITINT" in _config_string(lib) else 32
        threads = next((getattr(lib, f) for f in _THREAD_FNS if hasattr(lib, f)), None)
        if threads is not None:
            threads.restype, threads.argtypes = ctypes.c_int, []
        symbols = {np.dtype(np.float32): sname, np.dtype(np.float64): dname}
        set_threads = next((f for f in _SET_LOCAL_THREADS_FNS if hasattr(lib, f)), None)
        return Blas(path, symbols, bits, threads, set_threads), lib
    return None


def _config_string(lib):
    for name in _CONFIG_FNS:
        if hasattr(lib, name):
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = ctypes.c_char_p, []
            return (fn() or b"").decode("ascii", "replace")
    return ""


def _register(blas, lib):
    """Make the gemm symbols resolvable by MCJIT under our aliases. False if impossible."""
    try:
        llvm.load_library_permanently(blas.path)
    except RuntimeError:
        pass                                  # ctypes already holds it; addresses below
    aliases = {blas.alias(dtype): name for dtype, name in blas.symbols.items()}
    if blas.set_threads_symbol:
        aliases[blas.set_threads_alias] = blas.set_threads_symbol
    for alias, name in aliases.items():
        # The address in *this* library: names like openblas_set_num_threads_local are
        # exported unprefixed by every OpenBLAS copy (numpy's, scipy's), so a process-wide
        # lookup could return another copy's.
        address = ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
        if not address:
            address = llvm.address_of_symbol(name)
        if not address:
            if alias == blas.set_threads_alias:
                blas.set_threads_symbol = None     # optional: only the knob is lost
                continue
            return False
        llvm.add_symbol(alias, address)
    return True


def find_blas():
    """The registered Blas, searched for once per process; None when there is none."""
    with _search_lock:                   # emitters may run on several threads
        if not _state["searched"]:
            for path in candidate_paths():
                found = probe(path)
                if found is not None and _register(*found):
                    _state["blas"] = found[0]
                    break
            _state["searched"] = True
    return _state["blas"]


# C runtime functions the LLVM kernel calls, declared under our own names (registered with
# add_symbol) so that a module which also declares `malloc` itself cannot clash with us.
RUNTIME_ALIASES = {"malloc": "jaxlite_gemm_malloc", "free": "jaxlite_gemm_free",
                    "pthread_create": "jaxlite_gemm_pthread_create",
                    "pthread_join": "jaxlite_gemm_pthread_join"}


def c_function_address(name):
    address = llvm.address_of_symbol(name)
    if address:
        return address
    for lib_name in (("ucrtbase", "msvcrt") if os.name == "nt" else (None,)):
        try:
            lib = ctypes.CDLL(lib_name)           # None: the process itself (POSIX)
            return ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
        except (OSError, AttributeError):
            continue
    return None


def runtime_functions():
    """Register the C runtime aliases once; the set of names that resolved."""
    with _search_lock:
        if "runtime" not in _state:
            found = set()
            for name, alias in RUNTIME_ALIASES.items():
                address = c_function_address(name)
                if address:
                    llvm.add_symbol(alias, address)
                    found.add(name)
            _state["runtime"] = found
    return _state["runtime"]


def has_threads():
    """Can generated code start threads (pthreads registered, not Windows)?"""
    return os.name != "nt" and {"pthread_create", "pthread_join"} <= runtime_functions()


def usable_cores(limit=8):
    """Cores this process may run on, at most ``limit``: the default thread count
    of large kernels (parallel.py) and of the LLVM GEMM kernel."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, limit))


# A GEMM from compiled code of at least this many flops (about a millisecond on one
# core) is cut into blocks that jaxlite's worker pool runs as single-threaded BLAS
# calls (gemm.py, threadpool.py); smaller ones are one single-threaded call. OpenBLAS's
# own threads are not used: each call wakes them, and on a busy machine every wake
# costs up to a scheduler tick while idle workers spin against ours (the
# 784-512-512-10 MLP step took 177-436 ms with two OpenBLAS threads per call on the
# loaded 2-core machine, 29-44 ms on one thread, the same as the pool).
BLAS_PARALLEL_MIN_FLOPS = 1 << 24
# A LAPACK call cannot be split by jaxlite, and OpenBLAS threads it internally in many
# parallel steps, each waking its workers: it runs on one thread below this size
# (n ~ 1300 for a factorization). The GP value_and_grad of bench_contention (n = 500)
# took 720 ms with two threads per call, 76 ms with one, on the loaded machine.
LAPACK_PARALLEL_MIN_FLOPS = 1 << 31


def blas_threads():
    """Threads a large LAPACK call into OpenBLAS uses, or None without BLAS.

    Compiled code sets the count per call through openblas_set_num_threads_local (a
    per-thread setting, restored after the call, so numpy's own BLAS threading stays as
    the user set it): one thread below LAPACK_PARALLEL_MIN_FLOPS, else
    ``large_blas_threads`` (JAXLITE_BLAS_THREADS=n forces n for every call, GEMMs
    included). Without that knob, OpenBLAS's own setting (OPENBLAS_NUM_THREADS, else
    one per core).
    """
    blas = find_blas()
    if blas is None or blas.threads_fn is None:
        return None
    return large_blas_threads(blas) or int(blas.threads_fn())


def requested_blas_threads(blas):
    """JAXLITE_BLAS_THREADS when set and the library can apply it per call, else None."""
    requested = os.environ.get(_ENV_BLAS_THREADS)
    if not requested or blas.set_threads_symbol is None:
        return None
    return max(1, int(requested))


def kernel_threads():
    """Threads jaxlite splits a large kernel over: JAXLITE_THREADS, else one per usable
    core (os.sched_getaffinity), at most 8; 1 without pthreads."""
    if not has_threads():
        return 1
    forced = os.environ.get(_ENV_THREADS)
    return max(1, int(forced)) if forced else usable_cores()


def large_blas_threads(blas):
    """Threads of a LAPACK call at or above LAPACK_PARALLEL_MIN_FLOPS, or None when the
    library has no per-call knob (then OpenBLAS decides)."""
    if blas is None or blas.set_threads_symbol is None:
        return None
    return requested_blas_threads(blas) or kernel_threads()


def blas_call_threads(blas, flops):
    """Threads for one LAPACK call of ``flops`` (static size), or None (no knob)."""
    large = large_blas_threads(blas)
    if large is None or requested_blas_threads(blas):
        return large
    return large if flops >= LAPACK_PARALLEL_MIN_FLOPS else 1
