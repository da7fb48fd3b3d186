"""The full compile of a program the warm cache does not hold (see __init__.py).

Importing this module loads every pass and fills the registry with every
kernel, value and complex-expansion rule; the warm path never imports it.
"""
import os
import time

from jaxlite.compiler import cache, engine, entry, fusion, inplace, lowering, runtime, simplify, warm
from jaxlite.compiler import control_flow  # noqa: F401  (registers the cond/while/scan kernel rules)
from jaxlite.compiler import special_rules  # noqa: F401  (registers the special functions' value rules)
from jaxlite.compiler import lapack  # noqa: F401  (registers the linalg kernel rules)
from jaxlite.compiler import lapack_eig  # noqa: F401  (eig's kernel and complex expansion)
from jaxlite.compiler import conv, windows  # noqa: F401  (register the convolution and window kernel rules)
from jaxlite.compiler import sort_kernel  # noqa: F401  (registers the sort/argsort kernel rule)
from jaxlite.compiler import fft  # noqa: F401  (registers the fft kernel rule)
from jaxlite.compiler import callback  # registers the callbacks' kernel rules
from jaxlite.compiler import collectives  # noqa: F401  (registers the MPI collectives' kernel rules)
from jaxlite.compiler import complex_expand
from jaxlite.compiler import complex_rules  # noqa: F401  (registers the complex expansion rules)
from jaxlite.compiler.runtime import Executable

__all__ = ["compile", "warm_texts"]


def symbol(name):
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "fn"


def _simplified(closed):
    real = closed
    if complex_expand.involves_complex(closed):
        real = complex_expand.expand(closed)     # complex arguments keep their bytes
    return real, simplify.simplify(real)


def compile(closed, name, wkey):
    """Simplify, fuse, lower and optimize ``closed`` (or load its object code from the
    disk cache by its IR); remember the result under the warm key ``wkey``."""
    start = time.perf_counter()
    in_avals, out_avals = closed.in_avals, closed.out_avals
    real, simple = _simplified(closed)
    prog = fusion.fuse(simple)
    fusion.plan_buffers(prog)
    if real is closed:   # complex arguments are real (..., 2) views inside the program
        prog.inplace = inplace.analyze(prog)
    plan = fusion.plan_text(prog)
    module = lowering.lower(prog, symbol(name), runtime.DATA_OFFSET)
    engine.configure_module(module)
    ir_text = str(module)
    dkey = cache.disk_key(ir_text, engine.target_id())
    lowered = time.perf_counter()
    hit = cache.load(dkey)
    if hit is not None:
        obj, opt_ir = hit
    else:
        mod = engine.optimize(ir_text)
        opt_ir = str(mod)
        obj = engine.object_code(mod)
        cache.store(dkey, obj, opt_ir)
        del mod                # frees the optimized module
    eng = engine.Engine(cached_object=obj)
    texts = runtime.LazyTexts(
        {"asm": lambda: engine.assembly(engine.optimize(ir_text))},
        jaxpr=str(simple), plan=plan, ir=ir_text, opt_ir=opt_ir)
    facts = dict(workspace=prog.buffers.workspace,
                 packed=entry.packed_args(prog),
                 calls_python=callback.PYTHON_SYMBOL in ir_text,
                 inplace=prog.inplace)
    exe = Executable(name, in_avals, simple.consts, out_avals, eng.address("entry"), eng,
                     texts, from_disk_cache=hit is not None, **facts)
    warm.store(wkey, obj, ir_text, facts, simple.consts, cache.key_consts(closed))
    # seconds spent simplifying/fusing/lowering and in LLVM (jax_log_compiles)
    exe.timings = {"lowering": lowered - start, "llvm": time.perf_counter() - lowered}
    _dump(name, dkey, closed, exe)
    return exe


def warm_texts(closed, name):
    """Makers of a warm-cache hit's texts (jaxpr, plan, IR, optimized IR, assembly):
    the passes run again, once, on the first request."""
    late = {}

    def later(key):
        def make():
            if not late:
                _, simple = _simplified(closed)
                prog = fusion.fuse(simple)
                fusion.plan_buffers(prog)
                module = lowering.lower(prog, symbol(name), runtime.DATA_OFFSET)
                engine.configure_module(module)
                ir_text = str(module)
                hit = cache.load(cache.disk_key(ir_text, engine.target_id()))
                late.update(jaxpr=str(simple), plan=fusion.plan_text(prog), ir=ir_text,
                            opt_ir=hit[1] if hit else str(engine.optimize(ir_text)))
            return late[key]
        return make
    makers = {k: later(k) for k in ("jaxpr", "plan", "ir", "opt_ir")}
    makers["asm"] = lambda: engine.assembly(engine.optimize(makers["ir"]()))
    return makers


def _dump(name, key, closed, exe):
    d = os.environ.get("JAXLITE_DUMP_DIR")
    if not d:
        return
    os.makedirs(d, exist_ok=True)
    stem = os.path.join(d, f"{symbol(name)}-{key[:12]}")
    parts = {".jaxpr.txt": str(closed) + "\n\n# simplified\n" + exe.jaxpr_text(),
             ".plan.txt": exe.fusion_plan(), ".ll": exe.llvm_ir(optimized=False),
             ".opt.ll": exe.llvm_ir(optimized=True), ".s": exe.asm()}
    for ext, text in parts.items():
        with open(stem + ext, "w") as f:
            f.write(text or "")
