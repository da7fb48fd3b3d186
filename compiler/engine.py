"""Pass 5: LLVM IR text -> optimized module -> machine code in an MCJIT engine.

The target machine is the host CPU (name and features), so the vectorizer
uses AVX2/AVX-512 where the machine has them. Optimization is the new pass
manager's O3 pipeline with loop and SLP vectorization.
"""
import hashlib
import re
import threading
import weakref

import llvmlite
import llvmlite.binding as llvm

from jaxlite.compiler import cache, gemm

_lock = threading.Lock()
_state = {}
# Held around LLVM's own work only (parsing, the pass pipeline, code generation,
# creating and closing engines): a compile's Python passes, cache look-ups and
# disk I/O run outside it, and running compiled code never takes it.
llvm_lock = threading.RLock()
# Every Engine not yet closed or collected (live_engines(): a debug count for tests).
_live = weakref.WeakSet()


def _init():
    """Initialize LLVM's native target once; register BLAS symbols for gemm."""
    if "tm" in _state:
        return
    with _lock:
        if "tm" in _state:
            return
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        # Before any engine exists: MCJIT resolves the BLAS and C runtime aliases
        # registered here. Without a BLAS, GEMMs use the LLVM kernel.
        gemm.prepare()
        target = llvm.Target.from_triple(llvm.get_process_triple())
        cpu, features = llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()
        _state["cpu"], _state["features"] = cpu, features
        _state["triple"] = llvm.get_process_triple()
        _state["target"] = target
        _state["tm"] = _new_target_machine()


def _new_target_machine():
    return _state["target"].create_target_machine(
        cpu=_state["cpu"], features=_state["features"], opt=3, jit=True,
        codemodel="jitdefault")


def target_machine():
    _init()
    return _state["tm"]


def target_id():
    """Everything about the target that changes generated code (for cache keys)."""
    _init()
    return (f"{_state['triple']}|{_state['cpu']}|{_state['features']}"
            f"|llvmlite-{llvmlite.__version__}|{PIPELINE}")


def configure_module(module):
    """Give an llvmlite.ir.Module the host triple and data layout."""
    tm = target_machine()
    module.triple = _state["triple"]
    module.data_layout = str(tm.target_data)


# The loop vectorizer's time grows quadratically with a loop body's size: a
# kernel fusing 10 000 operations (an unrolled Python loop under jit) spent 37 s
# in it, 0.4 s in the rest of O3. Loops of functions larger than this many
# characters of IR (about 2000 fused operations) carry metadata that turns the
# vectorizer off for them alone, so the module's other kernels (a cheap cond
# branch beside an expensive one, say) are still vectorized.
VECTORIZE_LIMIT = 100_000
# Part of the disk-cache key (target_id): change it whenever optimize() changes the
# code it makes from the same IR, or old cached objects would be reused.
PIPELINE = "o3-novec-per-huge-function"
_BRANCH = re.compile(r"^(\s+br [^\n!]*)$", re.M)


def _without_loop_vectorizer_in_huge_functions(ir_text):
    parts = ir_text.split("\ndefine ")
    huge = [i for i, f in enumerate(parts) if i and len(f) >= VECTORIZE_LIMIT]
    if not huge:
        return ir_text
    node = max(map(int, re.findall(r"!(\d+)\b", ir_text)), default=-1) + 1
    for i in huge:
        parts[i] = _BRANCH.sub(rf"\1, !llvm.loop !{node}", parts[i])
    return ("\ndefine ".join(parts) + f"\n!{node} = distinct !{{!{node}, !{node + 1}}}\n"
            f'!{node + 1} = !{{!"llvm.loop.vectorize.enable", i1 false}}\n')


def optimize(ir_text):
    """Parse, verify and run the O3 pipeline; returns the optimized ModuleRef.

    Loop unrolling is off unless the module holds the LLVM GEMM kernel (whose
    micro-kernel loses ~30% without it): shapes are static, so O3 fully
    unrolled and peeled every short loop (optimized IR 7x the input, half of a
    first call's compile time) with no measurable gain at run time. The
    vectorizer still interleaves (except in huge functions, see VECTORIZE_LIMIT)."""
    with llvm_lock:
        # A context per module: types and constants uniqued in LLVM's global context
        # are never freed, so every compile would grow the process for good.
        mod = llvm.parse_assembly(_without_loop_vectorizer_in_huge_functions(ir_text),
                                  context=llvm.create_context())
        mod.verify()
        pto = llvm.create_pipeline_tuning_options(speed_level=3)
        pto.loop_vectorization = True
        pto.slp_vectorization = True
        pto.loop_unrolling = gemm.LLVM_KERNEL in ir_text
        # A new pass builder per module, though llvmlite (0.50) never frees the
        # PassInstrumentationCallbacks it allocates for each one (1488 bytes per
        # compile, the only memory a compile keeps after eviction; llvmlite exports
        # no way to free them). Reusing one builder is worse: every run adds
        # callbacks bound to its own stack objects to the builder's list, so the
        # list still grows and each pass then calls all the dead ones (a compile's
        # CPU time grew 2 ms -> 14 ms over 1200 runs).
        pb = llvm.create_pass_builder(target_machine(), pto)
        mpm = pb.getModulePassManager()
        try:
            mpm.run(mod, pb)
        finally:
            _dispose_pass_manager(mpm)
            pb.close()
            pto.close()
        return mod


def _dispose_pass_manager(mpm):
    """Free a pass pipeline. llvmlite's ModulePassManager inherits ObjectRef's no-op
    _dispose ahead of its own (method order), so close() never deletes the pipeline:
    about 30 KB leaked per compile, forever (+67 MB over 600 jitted closures)."""
    if type(mpm)._dispose is llvm.ffi.ObjectRef._dispose:
        llvm.ffi.lib.LLVMPY_DisposeNewModulePassManger(mpm)
        mpm.detach()
    else:
        mpm.close()


def assembly(module_ref):
    with llvm_lock:
        return target_machine().emit_assembly(module_ref)


def object_code(module_ref):
    """Machine code (an object file) for an optimized module; the module stays alive
    only as long as its caller holds it."""
    with llvm_lock:
        return bytes(target_machine().emit_object(module_ref))


def runtime_engine(make_ir, sources, variant=""):
    """An MCJIT engine for jaxlite's own runtime IR (the thread pool: generic CPU,
    code generation at opt level 2, no O3 pipeline). Its object code comes from the
    disk cache, keyed by the ``sources`` files that generate the IR and ``variant``,
    so a warm process neither builds the IR (``make_ir()``) nor generates code:
    both took 110-160 ms of every process's first jit call. Called while the target
    initializes, so it does not call _init."""
    triple = llvm.get_process_triple()
    target = llvm.Target.from_triple(triple)

    def new_tm():
        return target.create_target_machine(opt=2, jit=True, codemodel="jitdefault")
    h = hashlib.sha256(f"{variant}|{triple}|llvmlite-{llvmlite.__version__}".encode())
    for path in sources:
        with open(path, "rb") as f:
            h.update(f.read())
    key = cache.disk_key(h.hexdigest(), "runtime-o2")
    with llvm_lock:
        hit = cache.load(key)
        if hit is not None:
            obj = hit[0]
        else:
            mod = llvm.parse_assembly(make_ir(), context=llvm.create_context())
            mod.verify()
            obj = bytes(new_tm().emit_object(mod))
            cache.store(key, obj, "")
        return _load_object(obj, new_tm(), triple)


def _load_object(obj, tm, triple):
    """A new MCJIT engine holding the machine code of one object file (it owns ``tm``)."""
    module_ref = llvm.parse_assembly("", context=llvm.create_context())
    module_ref.triple = triple
    ee = llvm.create_mcjit_compiler(module_ref, tm)
    ee.set_object_cache(None, lambda mod: obj)
    ee.finalize_object()
    ee.run_static_constructors()
    return ee


def live_engines():
    """How many engines hold machine code now (neither closed nor collected)."""
    return len(_live)


class Engine:
    """An MCJIT engine loading one object file; ``address(name)`` of a symbol.

    The engine holds only machine code: no LLVM module (an empty one in its own
    context stands in), so nothing of the optimized IR outlives the compile.
    """

    def __init__(self, cached_object):
        _init()
        with llvm_lock:
            # An MCJIT engine owns (and deletes) its target machine: never share one.
            self.ee = _load_object(cached_object, _new_target_machine(), _state["triple"])
        self.code_bytes = len(cached_object)
        _live.add(self)

    @classmethod
    def from_module(cls, module_ref, on_object=None):
        """Generate code for an optimized ``module_ref`` and load it; ``on_object(bytes)``
        receives the object code (for the disk cache)."""
        obj = object_code(module_ref)
        if on_object is not None:
            on_object(obj)
        return cls(obj)

    def close(self):
        """Free the engine's code and memory now (only when nothing will call it)."""
        with llvm_lock:
            self.ee.close()
        _live.discard(self)

    def address(self, name):
        addr = self.ee.get_function_address(name)
        if not addr:
            raise RuntimeError(f"symbol {name} not found in compiled code")
        return addr
