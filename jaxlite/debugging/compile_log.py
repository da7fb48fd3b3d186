"""Recompilation you can see: jax_explain_cache_misses says why each retrace
of a jitted function happened, jax_log_compiles how long each compile took,
and ``compile_counts()`` how many traces and compiles there were.

Both flags are read only on a trace-cache miss (the slow path); a call that
hits the cache never looks at them. Messages go to the ``jaxlite`` logger at
WARNING level (as JAX's), which prints to stderr unless configured otherwise.
"""
import collections
import logging
import time
import weakref

from jaxlite import jit_primitive, tree_util
from jaxlite.jit import trace_observers
from jaxlite._config import explain_cache_misses, log_compiles

__all__ = ["compile_counts", "explain", "logger"]

logger = logging.getLogger("jaxlite")
_counts = collections.Counter()
# code object -> number of distinct function objects traced with it (to
# recognise jit of a fresh lambda or closure, which misses the cache every time)
_functions_of_code = weakref.WeakKeyDictionary()
_seen_functions = weakref.WeakSet()


def compile_counts():
    """``{"traces": n, "compiles": n, "compile_cache_hits": n}`` since import:
    traces of jitted functions, executables built by the back end, and
    compiles answered by the compiler's in-memory cache."""
    return dict(_counts)


def _observe_trace(jitted, key, trace):
    def traced():
        start = time.perf_counter()
        out = trace()
        _counts["traces"] += 1
        if log_compiles.value:
            logger.warning("Finished tracing jit(%s) in %.2f ms", jitted.name,
                           1e3 * (time.perf_counter() - start))
        return out
    if explain_cache_misses.value:
        message = explain(jitted, key)
        if message:
            logger.warning("%s", message)
    return traced


def _observe_compile(name, exe, seconds, memory_hit):
    _counts["compile_cache_hits" if memory_hit else "compiles"] += 1
    if not log_compiles.value:
        return
    if memory_hit:
        logger.warning("Compiling %s: in-memory compile cache hit (%.2f ms)", name,
                       1e3 * seconds)
        return
    t = getattr(exe, "timings", {})
    disk = " (object code from the disk cache)" if exe.from_disk_cache else ""
    logger.warning("Finished compiling %s in %.2f ms: lowering %.2f ms, LLVM %.2f ms%s",
                   name, 1e3 * seconds, 1e3 * t.get("lowering", 0.0),
                   1e3 * t.get("llvm", 0.0), disk)


# ------------------------------------------------------------ explanations

def explain(jitted, key):
    """Why ``key`` (in_tree, avals, static key, x64) missed ``jitted``'s trace
    cache, as text: the closest cached key's differences, or that the function
    object is new."""
    fun = jitted.fun
    where = _where_defined(fun)
    head = f"TRACING CACHE MISS at {where}: jit({jitted.name}) retraced because"
    keys = jitted.cache_keys()
    if not keys:
        return _first_trace(fun, head)
    best = min(keys, key=lambda k: len(_differences(jitted, k, key)))
    diffs = _differences(jitted, best, key)
    if not diffs:
        return f"{head} of an unexplained difference in its cache key"
    return head + ":\n" + "\n".join("  " + d for d in diffs)


def _where_defined(fun):
    code = getattr(fun, "__code__", None)
    if code is None:
        return repr(fun)
    return f"{code.co_filename}:{code.co_firstlineno}"


def _first_trace(fun, head):
    code = getattr(fun, "__code__", None)
    if code is None:
        return None
    if fun in _seen_functions:
        return None
    _seen_functions.add(fun)
    n = _functions_of_code.get(code, 0)
    _functions_of_code[code] = n + 1
    if n == 0:
        return None          # a genuinely first trace is not a miss to explain
    return (f"{head} it is a new function object (the {_ordinal(n + 1)} with this code): "
            f"jit of a lambda or closure created anew on each call never hits the cache; "
            f"create the jitted function once and reuse it")


def _ordinal(n):
    return f"{n}{'tsnrhtdd'[(n // 10 % 10 != 1) * (n % 10 < 4) * n % 10::4]}"


def _differences(jitted, old, new):
    (t0, a0, s0, x0), (t1, a1, s1, x1) = old, new
    out = []
    if x0 != x1:
        out.append(f"x64 mode: {x0} -> {x1}")
    if t0 != t1:
        out.append(f"argument structure: {t0} -> {t1}")
    else:
        paths = _leaf_paths(t1)
        for p, u, v in zip(paths, a0, a1):
            if u != v:
                out.append(f"{p}: {_describe(u)} -> {_describe(v)}")
    if s0 != s1:
        out.extend(_static_differences(s0, s1))
    return out


def _describe(aval):
    weak = ", weakly typed" if aval.weak_type else ""
    return f"shape {aval.shape} dtype {aval.dtype.name}{weak}"


def _leaf_paths(in_tree):
    """``args[0]['w']``-style names for the leaves of the (args, kwargs) tree."""
    dummy = tree_util.tree_unflatten(in_tree, list(range(in_tree.num_leaves)))
    named = tree_util.tree_flatten_with_path(dummy)[0]
    return [_path_name(path) for path, _ in named]


def _path_name(path):
    if not path:
        return "argument"
    first, rest = path[0], path[1:]
    root = "args" if getattr(first, "idx", None) == 0 else "kwargs"
    return root + tree_util.keystr(tuple(rest))


def _static_differences(s0, s1):
    old = dict(_static_items(s0))
    new = dict(_static_items(s1))
    out = []
    for k in sorted(set(old) | set(new), key=str):
        if old.get(k) != new.get(k):
            out.append(f"static argument {k}: {_static_value(old.get(k))} -> "
                       f"{_static_value(new.get(k))}")
    return out


def _static_items(key):
    if not key:
        return []
    pos, kw = key
    return [(j, (t, v)) for j, t, v in pos] + [(k, (t, v)) for k, t, v in kw]


def _static_value(tv):
    if tv is None:
        return "(not given)"
    t, v = tv
    return f"{v!r} ({t.__name__})"


trace_observers.append(_observe_trace)
jit_primitive.compile_observers.append(_observe_compile)
