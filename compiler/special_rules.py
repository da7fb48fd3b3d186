"""Value rules of the special-function primitives (jaxlite/lax/special.py).

Each function's algorithm lives in ``jaxlite.lax.special_math``, written over
a backend; ``_LLOps`` here is the LLVM backend. A primitive's algorithm
becomes one internal double-precision function per module
(``jaxlite.special.<name>``), which the value rule calls (float32 operands are
widened and the result narrowed). The series and continued fractions are
real loops inside that function, so its callers keep no branches of their
own (``branch`` is an if/else there too). lgamma is the C library's
(``lgamma_r``), registered under jaxlite's name as native.py registers the C
runtime (and erfc, which ``_LLOps.erfc`` still offers; special_math's erfc no
longer calls it, so kernels holding erfc vectorize).
"""
import threading

from llvmlite import binding as llvm
from llvmlite import ir

from jaxlite.lax import special_math
from jaxlite.compiler import native, registry, vecmath
from jaxlite.compiler.lltypes import F64, I32, declare

_LIBM = {"lgamma_r": "jaxlite_special_lgamma_r", "erfc": "jaxlite_special_erfc"}
_registered = {}      # C name -> registered, once per process
_lock = threading.Lock()


def _register_libm():
    """Register erfc and lgamma_r (or, where the C library has no lgamma_r,
    lgamma: it also sets the global signgam, which nothing reads)."""
    with _lock:
        if _registered:
            return
        for name in ("erfc", "lgamma_r"):
            address = native.c_function_address(name)
            if not address and name == "lgamma_r":
                address = native.c_function_address("lgamma")
                _registered["lgamma_is_plain"] = True
            if not address:
                raise RuntimeError(f"the C library function {name} was not found: "
                                   f"jit cannot lower special functions")
            llvm.add_symbol(_LIBM[name], address)
            _registered[name] = True


class _Mask:
    __slots__ = ("b", "v")

    def __init__(self, b, v):
        self.b, self.v = b, v

    def __and__(self, other):
        return _Mask(self.b, self.b.and_(self.v, other.v))

    def __or__(self, other):
        return _Mask(self.b, self.b.or_(self.v, other.v))

    def __invert__(self):
        return _Mask(self.b, self.b.not_(self.v))


class _Val:
    """A double in the function being built; Python numbers are constants."""
    __slots__ = ("b", "v")
    __hash__ = None

    def __init__(self, b, v):
        self.b, self.v = b, v

    def _op(self, other):
        return other.v if isinstance(other, _Val) else ir.Constant(F64, float(other))

    def __add__(self, o):
        return _Val(self.b, self.b.fadd(self.v, self._op(o)))

    def __radd__(self, o):
        return _Val(self.b, self.b.fadd(self._op(o), self.v))

    def __sub__(self, o):
        return _Val(self.b, self.b.fsub(self.v, self._op(o)))

    def __rsub__(self, o):
        return _Val(self.b, self.b.fsub(self._op(o), self.v))

    def __mul__(self, o):
        return _Val(self.b, self.b.fmul(self.v, self._op(o)))

    def __rmul__(self, o):
        return _Val(self.b, self.b.fmul(self._op(o), self.v))

    def __truediv__(self, o):
        return _Val(self.b, self.b.fdiv(self.v, self._op(o)))

    def __rtruediv__(self, o):
        return _Val(self.b, self.b.fdiv(self._op(o), self.v))

    def __neg__(self):
        return _Val(self.b, self.b.fneg(self.v))

    def _cmp(self, op, o, ordered=True):
        cmp = self.b.fcmp_ordered if ordered else self.b.fcmp_unordered
        return _Mask(self.b, cmp(op, self.v, self._op(o)))

    def __lt__(self, o):
        return self._cmp("<", o)

    def __le__(self, o):
        return self._cmp("<=", o)

    def __gt__(self, o):
        return self._cmp(">", o)

    def __ge__(self, o):
        return self._cmp(">=", o)

    def __eq__(self, o):
        return self._cmp("==", o)

    def __ne__(self, o):          # NaN != NaN, as numpy
        return self._cmp("!=", o, ordered=False)


class _LLOps:
    """The backend special_math's algorithms run on, emitting into ``fn``."""

    def __init__(self, module, fn, builder):
        self.module, self.fn, self.b = module, fn, builder
        self.sign_slot = builder.alloca(I32)      # lgamma_r's sign output, unused

    def _v(self, x):
        return x if isinstance(x, _Val) else _Val(self.b, ir.Constant(F64, float(x)))

    def const(self, v, like):
        return self._v(v)

    def where(self, m, a, b):
        return _Val(self.b, self.b.select(m.v, self._v(a).v, self._v(b).v))

    def _intrinsic(self, name, x):
        fn = declare(self.module, f"llvm.{name}.f64", F64, [F64])
        return _Val(self.b, self.b.call(fn, [self._v(x).v]))

    def fabs(self, x):
        return self._intrinsic("fabs", x)

    def fma(self, a, b, c):
        fn = declare(self.module, "llvm.fmuladd.f64", F64, [F64, F64, F64])
        return _Val(self.b, self.b.call(fn, [self._v(a).v, self._v(b).v, self._v(c).v]))

    def floor(self, x):
        return self._intrinsic("floor", x)

    def sqrt(self, x):
        return self._intrinsic("sqrt", x)

    def _vecmath(self, name, *xs):
        return _Val(self.b, vecmath.emit(self.b, name, *[self._v(x).v for x in xs]))

    def exp(self, x):
        return self._vecmath("exp", x)

    def log(self, x):
        return self._vecmath("log", x)

    def log1p(self, x):
        return self._vecmath("log1p", x)

    def expm1(self, x):
        return self._vecmath("expm1", x)

    def sin(self, x):
        return self._vecmath("sin", x)

    def cos(self, x):
        return self._vecmath("cos", x)

    def tan(self, x):
        return self._vecmath("tan", x)

    def erf(self, x):
        return self._vecmath("erf", x)

    def pow(self, x, y):
        return self._vecmath("pow", x, y)

    def erfc(self, x):
        fn = declare(self.module, _LIBM["erfc"], F64, [F64])
        return _Val(self.b, self.b.call(fn, [self._v(x).v]))

    def lgamma(self, x):
        if _registered.get("lgamma_is_plain"):
            fn = declare(self.module, _LIBM["lgamma_r"], F64, [F64])
            return _Val(self.b, self.b.call(fn, [self._v(x).v]))
        fn = declare(self.module, _LIBM["lgamma_r"], F64, [F64, ir.PointerType()])
        return _Val(self.b, self.b.call(fn, [self._v(x).v, self.sign_slot]))

    def branch(self, mask, if_true, if_false, *args):
        """An if/else: only the taken side runs for this element."""
        b = self.b
        taken = self.fn.append_basic_block("taken")
        other = self.fn.append_basic_block("other")
        merge = self.fn.append_basic_block("merge")
        b.cbranch(mask.v, taken, other)
        results = []
        for block, fn in ((taken, if_true), (other, if_false)):
            b.position_at_end(block)
            value = self._v(fn(*[self._v(a) for a in args]))
            results.append((value.v, b.block))
            b.branch(merge)
        b.position_at_end(merge)
        phi = b.phi(F64)
        for value, block in results:
            phi.add_incoming(value, block)
        return _Val(b, phi)

    def loop(self, state, cond, body, max_iter=special_math.MAX_ITER):
        """A while loop: ``state`` lives in phi nodes; ``max_iter`` is enforced
        by the algorithms' own conditions (their counters are state)."""
        b = self.b
        state = [self._v(s) for s in state]
        before = b.block
        header = self.fn.append_basic_block("loop")
        step = self.fn.append_basic_block("step")
        done = self.fn.append_basic_block("done")
        b.branch(header)
        b.position_at_end(header)
        phis = [b.phi(F64) for _ in state]
        for phi, s in zip(phis, state):
            phi.add_incoming(s.v, before)
        current = [_Val(b, p) for p in phis]
        b.cbranch(cond(*current).v, step, done)
        b.position_at_end(step)
        new = [self._v(s) for s in body(*current)]
        latch = b.block
        for phi, s in zip(phis, new):
            phi.add_incoming(s.v, latch)
        b.branch(header)
        b.position_at_end(done)
        return tuple(current)


def _function(module, name, nargs):
    """``jaxlite.special.<name>(double, ...) -> double``, defined once per module."""
    symbol = f"jaxlite.special.{name}"
    fn = module.globals.get(symbol)
    if fn is not None:
        return fn
    _register_libm()
    fn = ir.Function(module, ir.FunctionType(F64, [F64] * nargs), name=symbol)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    ops = _LLOps(module, fn, builder)
    out = special_math.ALGORITHMS[name](ops, *[_Val(builder, a) for a in fn.args])
    builder.ret(ops._v(out).v)
    return fn


def _rule(name):
    def rule(em, node, idx):
        args = [em.value(a, idx if a.aval.shape else []) for a in node.inputs]
        wide = [a if a.type == F64 else em.b.fpext(a, F64) for a in args]
        out = em.b.call(_function(em.module, name, len(args)), wide)
        return out if args[0].type == F64 else em.b.fptrunc(out, args[0].type)
    return rule


for _name in special_math.ALGORITHMS:
    registry.value_rule(_name)(_rule(_name))
