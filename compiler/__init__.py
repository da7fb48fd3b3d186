"""jaxlite's llvmlite back end: ``compile(closed_jaxpr, name) -> Executable``.

Pipeline (each stage is a module here):
  simplify  inline calls, DCE, CSE, fold literals        (simplify.py)
  fuse      equations -> kernels, buffer planning         (fusion.py)
  lower     kernels -> LLVM IR                            (lowering.py)
  optimize  O3 + vectorizers for the host CPU, MCJIT      (engine.py)
  run       argument checks + one native call             (runtime.py)
  cache     in memory and on disk                         (cache.py)

JAXLITE_DUMP_DIR=<dir> writes every stage of every compile to <dir>.
"""
import copy
import os
import time

from jaxlite.compiler import cache, engine, entry, fusion, inplace, lowering, runtime, simplify as _simplify
from jaxlite.compiler import warm
from jaxlite.compiler import control_flow  # noqa: F401  (registers the cond/while/scan kernel rules)
from jaxlite.compiler import special_rules  # noqa: F401  (registers the special functions' value rules)
from jaxlite.compiler import lapack  # noqa: F401  (registers the linalg kernel rules)
from jaxlite.compiler import lapack_eig  # noqa: F401  (eig's kernel and complex expansion)
from jaxlite.compiler import conv, windows  # noqa: F401  (register the convolution and window kernel rules)
from jaxlite.compiler import sort_kernel  # noqa: F401  (registers the sort/argsort kernel rule)
from jaxlite.compiler import fft  # noqa: F401  (registers the fft kernel rule)
from jaxlite.compiler import callback  # noqa: F401  (registers debug_callback's kernel rule)
from jaxlite.compiler import collectives  # noqa: F401  (registers the MPI collectives' kernel rules)
from jaxlite.compiler import complex_expand
from jaxlite.compiler import complex_rules  # noqa: F401  (registers the complex expansion rules)
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
        hit = cache.remember(key, _compile(closed, name))
    return _rename(hit, name)


def _rename(exe, name):
    if exe.name == name:
        return exe
    new = copy.copy(exe)
    new.name = name
    new.original = exe       # the memory cache holds executables weakly (cache.py)
    return new


def _symbol(name):
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "fn"


def _compile(closed, name):
    start = time.perf_counter()
    in_avals, out_avals = closed.in_avals, closed.out_avals
    real = closed
    if complex_expand.involves_complex(closed):
        real = complex_expand.expand(closed)     # complex arguments keep their bytes
    simple = _simplify.simplify(real)
    wkey = warm.key(simple, runtime.DATA_OFFSET)
    known = warm.load(wkey)
    if known is not None:       # no fusion, lowering or IR text: a third of a warm call
        return _from_warm(name, in_avals, out_avals, simple, *known)
    prog = fusion.fuse(simple)
    fusion.plan_buffers(prog)
    if real is closed:   # complex arguments are real (..., 2) views inside the program
        prog.inplace = inplace.analyze(prog)
    plan = fusion.plan_text(prog)
    module = lowering.lower(prog, _symbol(name), runtime.DATA_OFFSET)
    engine.configure_module(module)
    ir_text = str(module)
    dkey = cache.disk_key(ir_text, engine.target_id())
    lowered = time.perf_counter()
    hit = cache.load(dkey)
    optimized = {}

    def opt_module():
        if "mod" not in optimized:
            optimized["mod"] = engine.optimize(ir_text)
        return optimized["mod"]

    if hit is not None:
        obj, opt_ir = hit
        eng = engine.Engine(cached_object=obj)
    else:
        mod = opt_module()
        opt_ir = str(mod)
        obj = engine.object_code(mod)
        cache.store(dkey, obj, opt_ir)
        eng = engine.Engine(cached_object=obj)
        del mod
        optimized.clear()      # frees the optimized module
    texts = runtime.LazyTexts(
        {"asm": lambda: engine.assembly(engine.optimize(ir_text))},
        jaxpr=str(simple), plan=plan, ir=ir_text, opt_ir=opt_ir)
    facts = dict(workspace=prog.buffers.workspace,
                 packed=entry.packed_args(prog),
                 inplace=prog.inplace)
    exe = Executable(name, in_avals, simple.consts, out_avals, eng.address("entry"), eng,
                     texts, from_disk_cache=hit is not None, **facts)
    warm.store(wkey, obj, ir_text, facts)
    # seconds spent simplifying/fusing/lowering and in LLVM (jax_log_compiles)
    exe.timings = {"lowering": lowered - start, "llvm": time.perf_counter() - lowered}
    _dump(name, dkey, closed, exe)
    return exe


def _from_warm(name, in_avals, out_avals, simple, obj, facts):
    """An Executable from a warm-cache hit (warm.py); its plan and IR texts are made
    again on request."""
    start = time.perf_counter()
    eng = engine.Engine(cached_object=obj)
    late = {}

    def later(key):
        def make():
            if not late:
                prog = fusion.fuse(simple)
                fusion.plan_buffers(prog)
                module = lowering.lower(prog, _symbol(name), runtime.DATA_OFFSET)
                engine.configure_module(module)
                ir_text = str(module)
                hit = cache.load(cache.disk_key(ir_text, engine.target_id()))
                late.update(plan=fusion.plan_text(prog), ir=ir_text,
                            opt_ir=hit[1] if hit else str(engine.optimize(ir_text)))
            return late[key]
        return make
    makers = {k: later(k) for k in ("plan", "ir", "opt_ir")}
    makers["asm"] = lambda: engine.assembly(engine.optimize(makers["ir"]()))
    makers["jaxpr"] = lambda: str(simple)
    exe = Executable(name, in_avals, simple.consts, out_avals, eng.address("entry"), eng,
                     runtime.LazyTexts(makers), from_disk_cache=True, **facts)
    exe.timings = {"lowering": 0.0, "llvm": time.perf_counter() - start}
    return exe


def _dump(name, key, closed, exe):
    d = os.environ.get("JAXLITE_DUMP_DIR")
    if not d:
        return
    os.makedirs(d, exist_ok=True)
    stem = os.path.join(d, f"{_symbol(name)}-{key[:12]}")
    parts = {".jaxpr.txt": str(closed) + "\n\n# simplified\n" + exe.jaxpr_text(),
             ".plan.txt": exe.fusion_plan(), ".ll": exe.llvm_ir(optimized=False),
             ".opt.ll": exe.llvm_ir(optimized=True), ".s": exe.asm()}
    for ext, text in parts.items():
        with open(stem + ext, "w") as f:
            f.write(text or "")
