"""jaxlite's llvmlite back end: ``compile(closed_jaxpr, name) -> Executable``.

Pipeline (each stage is a module here):
  simplify  inline calls, DCE, CSE, fold literals        (simplify.py)
  fuse      equations -> kernels, buffer planning         (fusion.py)
  lower     kernels -> LLVM IR                            (lowering.py)
  optimize  O3 + vectorizers for the host CPU, MCJIT      (engine.py)
  run       argument checks + one native call             (runtime.py)
  cache     in memory and on disk                         (cache.py)

A program found in the warm cache (warm.py: object code keyed by the traced
program) runs none of the passes; only a miss imports them (pipeline.py).

JAXLITE_DUMP_DIR=<dir> writes every stage of every compile to <dir>.
"""
import copy
import time

from jaxlite.compiler import cache, engine, runtime, warm
from jaxlite.compiler.runtime import Executable

__all__ = ["compile", "Executable"]

stats = cache.stats


def compile(closed, name="jit_fn"):
    """Compile a ClosedJaxpr to an Executable taking its (non-const) inputs."""
    key = cache.memory_key(closed)
    hit = cache.lookup(key)
    if hit is None:
        # No lock held here: engine.py takes the LLVM lock around LLVM's own work
        # only. Two threads compiling one program keep the first result.
        hit = cache.remember(key, _compile(closed, name, key))
    return _rename(hit, name)


def _rename(exe, name):
    if exe.name == name:
        return exe
    new = copy.copy(exe)
    new.name = name
    new.original = exe       # the memory cache holds executables weakly (cache.py)
    return new


def _compile(closed, name, key):
    wkey = warm.key(key, runtime.DATA_OFFSET)
    known = warm.load(wkey, closed)
    if known is not None:       # no pass runs: the object code and facts are on disk
        return _from_warm(name, closed, *known)
    return _pipeline().compile(closed, name, wkey)


def _pipeline():
    # why local: the passes and every rule module take ~12 ms to import, a fifth of
    # a warm first call, which never needs them.
    from jaxlite.compiler import pipeline
    return pipeline


def _from_warm(name, closed, obj, consts, facts):
    """An Executable from a warm-cache hit (warm.py); its texts are made on request."""
    start = time.perf_counter()
    eng = engine.Engine(cached_object=obj)
    later = {}

    def maker(text):
        def make():
            if not later:
                later.update(_pipeline().warm_texts(closed, name))
            return later[text]()
        return make
    texts = runtime.LazyTexts({k: maker(k) for k in ("jaxpr", "plan", "ir", "opt_ir", "asm")})
    exe = Executable(name, closed.in_avals, consts, closed.out_avals, eng.address("entry"),
                     eng, texts, from_disk_cache=True, **facts)
    exe.timings = {"lowering": 0.0, "llvm": time.perf_counter() - start}
    return exe
