"""Abstract values, primitives, ``bind`` and the interpreter context.

Every operation in jaxlite is a ``Primitive`` applied with ``bind``. ``bind``
hands the application to the *current interpreter*: eval (numpy), staging
(builds a jaxpr), jvp, or batching. An interpreter runs a primitive's rule with
its *parent* as the current interpreter, so transforms nest without a global
level stack: each interpreter instance owns (tags) its tracers, which is what
makes perturbation confusion impossible.
"""
import contextlib
import os
import sys
import threading

import numpy as np

from jaxlite import dtypes


# --------------------------------------------------------------------- errors

class ConcretizationTypeError(TypeError):
    """A concrete Python value was needed from an abstract (traced) value."""


class UnexpectedTracerError(TypeError):
    """A tracer was used after the transformation that made it had finished."""


class JaxRuntimeError(RuntimeError):
    """An error while a program ran (JAX's ``jax.errors.JaxRuntimeError``): here, an
    exception inside a ``pure_callback`` / ``io_callback``, which is its cause."""


class JAXTypeError(TypeError):
    """JAX's base of its own TypeErrors (``jax.errors.JAXTypeError``)."""


class JAXIndexError(IndexError):
    """JAX's base of its own IndexErrors (``jax.errors.JAXIndexError``)."""


class NonConcreteBooleanIndexError(JAXIndexError):
    """A boolean mask index was traced: the result's shape would depend on its values."""


# The conversions JAX names. They subclass ConcretizationTypeError (JAX's
# TracerArrayConversionError and TracerIntegerConversionError do not), so code
# catching the general error keeps working.
class TracerBoolConversionError(ConcretizationTypeError):
    """``bool()`` (an ``if``, ``and``/``or``) of a traced value."""


class TracerIntegerConversionError(ConcretizationTypeError):
    """``__index__`` (indexing a list, ``range``) of a traced value."""


class TracerArrayConversionError(ConcretizationTypeError):
    """``np.asarray`` or a numpy function applied to a traced value."""


def leaked_tracer_error(tracer, transform, origin, created=None):
    """The UnexpectedTracerError for ``tracer`` of a finished ``transform``
    (started at ``origin``; ``created`` says where the tracer was made, if known)."""
    made = f" ({created})" if created is not None else ""
    started = f" started at {origin}" if origin is not None else ""
    return UnexpectedTracerError(
        f"Encountered an unexpected tracer: {tracer._describe()}{made}, from a {transform}"
        f"{started} that has already finished. It escaped through a side effect such as "
        f"a global, a list or an attribute; return it from the transformed function "
        f"instead." + where_message())


_PKG_DIR = os.path.dirname(os.path.abspath(__file__))
_COMPILER_DIR = os.path.join(os.path.dirname(_PKG_DIR), "compiler")


class _SourceContext(threading.local):
    """Set while a backward pass transposes an equation: the primal equation's
    source line, which ``user_frame`` returns (so transposed equations carry
    the line they came from), and that it is the backward pass (debug_nans)."""
    source = None
    backward = False


source_context = _SourceContext()


class transposing:
    """Within the context, staged and checked operations belong to ``source``'s
    equation, in the backward pass. (A class, not a generator context: the
    backward pass enters one per equation.)"""
    __slots__ = ("source", "saved")

    def __init__(self, source):
        self.source = source

    def __enter__(self):
        ctx = source_context
        self.saved = ctx.source, ctx.backward
        ctx.source, ctx.backward = self.source, True

    def __exit__(self, *exc):
        source_context.source, source_context.backward = self.saved


def user_frame():
    """The innermost stack frame outside jaxlite, as ``(filename, lineno, funcname)``
    (the transposed equation's line inside a backward pass)."""
    src = source_context.source
    if src is not None:
        return src
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        fname = code.co_filename
        inside = _INSIDE.get(fname)
        if inside is None:
            inside = _INSIDE[fname] = (fname.startswith(_PKG_DIR)
                                       or fname.startswith(_COMPILER_DIR)
                                       or fname.startswith("<frozen"))
        if not inside:
            return SourceInfo(fname, frame.f_lineno, code.co_name)
        frame = frame.f_back
    return None


# File name -> is it jaxlite's own (or frozen bootstrap) code? user_frame runs
# on every staged equation and walks a dozen frames; file names are few.
_INSIDE = {}


class SourceInfo:
    __slots__ = ("filename", "lineno", "function")

    def __init__(self, filename, lineno, function):
        self.filename, self.lineno, self.function = filename, lineno, function

    def __str__(self):
        return f"{os.path.basename(self.filename)}:{self.lineno} ({self.function})"

    def line_text(self):
        import linecache
        return linecache.getline(self.filename, self.lineno).strip()


def where_message():
    info = user_frame()
    if info is None:
        return ""
    text = info.line_text()
    return f"\nThe problem arose at {info}" + (f":\n    {text}" if text else "")


# ------------------------------------------------------------ abstract values

class ShapedArray:
    """Shape, dtype and weak type: all a transform may know about a value."""
    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape, dtype, weak_type=False):
        # Written for speed: every eager op builds a few of these.
        self.shape = tuple(map(int, shape))
        self.dtype = dtype if isinstance(dtype, np.dtype) else np.dtype(dtype)
        self.weak_type = bool(weak_type)

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))

    def __eq__(self, other):
        return (isinstance(other, ShapedArray) and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))

    def str_short(self):
        return f"{dtypes.short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    __str__ = str_short

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self.shape}, {self.dtype.name}{weak})"

    def strong(self):
        return ShapedArray(self.shape, self.dtype) if self.weak_type else self

    def update(self, shape=None, dtype=None, weak_type=None):
        return ShapedArray(self.shape if shape is None else shape,
                           self.dtype if dtype is None else dtype,
                           self.weak_type if weak_type is None else weak_type)


_PY_SCALAR_KIND = {bool: 0, int: 1, float: 2, complex: 3}
_SUPPORTED_DTYPES = frozenset(dtypes.SUPPORTED)


def _fast_aval(shape, dtype):
    """A ShapedArray from an ndarray's own (int) shape and supported dtype."""
    a = _new_aval(ShapedArray)
    a.shape, a.dtype, a.weak_type = shape, dtype, False
    return a


_new_aval = object.__new__


def get_aval(x):
    """The abstract value of any value jaxlite accepts (TypeError otherwise)."""
    t = type(x)
    if t is Array or t is np.ndarray:     # the hot case: skip the general checks
        dt = x.dtype
        if dt in _SUPPORTED_DTYPES:
            return _fast_aval(x.shape, dt)
    if isinstance(x, Tracer):
        return x.aval
    if isinstance(x, np.ndarray):
        if t is DeletedArray:
            x.raise_deleted()
        return ShapedArray(x.shape, dtypes.canonicalize(x.dtype, "array"))
    t = type(x)
    if t in _PY_SCALAR_KIND:
        kind = _PY_SCALAR_KIND[t]
        return ShapedArray((), dtypes.default_for_kind(kind), weak_type=kind > 0)
    if isinstance(x, np.generic):
        return ShapedArray((), dtypes.canonicalize(x.dtype, "scalar"))
    if isinstance(x, (bool, int, float, complex)):   # subclasses such as np.float64
        return get_aval(t.__mro__[-2](x))
    raise TypeError(f"Value {x!r} of type {t.__name__} is not a valid jaxlite type")


def is_python_scalar(x):
    return type(x) in _PY_SCALAR_KIND


# ----------------------------------------------------------------- primitives

# What the compiler needs to know about a primitive, declared where the
# primitive is defined (``Primitive(name, kind=..., cost=...)``) and read by
# fusion, lowering and the thread planner; the compiler keeps no lists of names.
ELEMENTWISE = "elementwise"     # output element i from element i of each input
INDEX_MAP = "index_map"         # output element from input elements at computed positions
REDUCTION = "reduction"         # a kernel root folding axes; evaluates fused producers
KERNEL = "kernel"               # its own whole-kernel lowering (GEMM, sort, cumsum, scatter)
CALL = "call"                   # carries a jaxpr that the compiler inlines
HIGHER_ORDER = "higher_order"   # carries jaxprs run as control flow (cond, while, scan)
KINDS = (ELEMENTWISE, INDEX_MAP, REDUCTION, KERNEL, CALL, HIGHER_ORDER)

# Cost of computing one output element, which decides what fusion may recompute.
FREE = "free"                   # index arithmetic or a copy: recomputed anywhere
CHEAP = "cheap"                 # one arithmetic instruction: recomputed a few times
COSTLY = "costly"               # library math (exp, erf, ...): computed once
COSTS = (FREE, CHEAP, COSTLY)


class Primitive:
    """A named operation. Its rules live in per-transform tables keyed by it."""

    # Eager application runs the abstract-eval rule first, so bad shapes and
    # dtypes raise the same clear TypeError eagerly as when traced. Call-like
    # primitives (whose rule needs a staged jaxpr) leave this off.
    check_eagerly = False
    # Impls get plain numpy arrays (Python scalars converted, jaxlite Arrays
    # viewed as np.ndarray, so jaxlite's operators on Array never recurse into
    # an impl). Primitives whose impl runs user Python code over jaxlite ops
    # (custom_jvp/vjp) set this to get the values as they are: Python scalars
    # stay weakly typed and Arrays keep JAX's operator semantics.
    impl_runs_python = False

    def __init__(self, name, multiple_results=False, *, kind=None, cost=COSTLY):
        if kind is not None and kind not in KINDS:
            raise ValueError(f"primitive {name}: kind {kind!r} is not one of {KINDS}")
        if cost not in COSTS:
            raise ValueError(f"primitive {name}: cost {cost!r} is not one of {COSTS}")
        self.name = name
        self.multiple_results = multiple_results
        self.kind, self.cost = kind, cost
        all_primitives[name] = self

    def bind(self, *args, **params):
        return bind(self, *args, **params)

    def __repr__(self):
        return self.name


all_primitives = {}
impl_rules = {}           # prim -> f(*numpy arrays, **params) -> array(s)
abstract_eval_rules = {}  # prim -> f(*avals, **params) -> aval(s)


def abstract_eval(prim, avals, params):
    rule = abstract_eval_rules.get(prim)
    if rule is None:
        raise NotImplementedError(f"Abstract evaluation for '{prim}' not implemented")
    out = rule(*avals, **params)
    return list(out) if prim.multiple_results else [out]


def bind(prim, *args, **params):
    """Apply ``prim`` under the current interpreter."""
    return current.interp.interpret(prim, args, params)


# ------------------------------------------------------------- interpreters

class Interpreter:
    """Base class. ``parent`` is the interpreter that was current at creation.
    A transform sets ``finished`` when it returns: its tracers are dead then."""
    parent = None
    finished = False

    def interpret(self, prim, args, params):
        raise NotImplementedError

    def owns(self, x):
        return isinstance(x, Tracer) and x._interp is self

    def any_owned(self, args):
        for a in args:
            if isinstance(a, Tracer) and a._interp is self:
                return True
        return False


class CurrentInterpreter(threading.local):
    """The current interpreter, per thread: tracing in one thread must not
    capture another thread's operations."""

    def __init__(self):         # runs once per thread: every thread starts eager
        self.interp = eval_interpreter


def current_interpreter():
    return current.interp


@contextlib.contextmanager
def set_interpreter(interp):
    prev = current.interp
    current.interp = interp
    try:
        yield interp
    finally:
        current.interp = prev


def bind_with(interp, prim, *args, **params):
    """``bind`` with ``interp`` as the current interpreter."""
    prev = current.interp
    current.interp = interp
    try:
        return interp.interpret(prim, args, params)
    finally:
        current.interp = prev


class _ArrayType(type):
    """``isinstance(x, jax.Array)`` holds for traced values too, as in JAX, so
    code that tests for arrays (filtering a pytree, say) behaves the same
    under jit, grad and vmap. ``type(x) is Array`` still means concrete."""

    def __instancecheck__(cls, obj):
        return type.__instancecheck__(cls, obj) or (cls is Array and isinstance(obj, Tracer))


class Array(np.ndarray, metaclass=_ArrayType):
    """The concrete array jaxlite returns eagerly: a read-only numpy array.

    It *is* a numpy array (free interop), plus JAX's ``.at[...]`` updates and
    JAX's promotion rules for operators.
    """

    def __setitem__(self, idx, value):
        raise TypeError(
            "jaxlite arrays are immutable: use x = x.at[idx].set(value) "
            "instead of x[idx] = value")

    def block_until_ready(self):
        return self

    # Printed through the base ndarray: numpy formats a subclass element by
    # element through __getitem__, whose 0-d Arrays it prints at float64
    # precision (a float32 -2.4425 came out as -2.44250011).
    def __repr__(self):
        return "Array" + np.array_repr(self.view(np.ndarray))[len("array"):]

    def __str__(self):
        return np.array_str(self.view(np.ndarray))

    def is_deleted(self):
        return False

    def delete(self):
        """Mark the array deleted (JAX frees its buffer): later uses raise."""
        self.__class__ = DeletedArray

    def __iter__(self):
        # Not the sequence protocol: indexing clamps out of bounds (as JAX), so
        # an IndexError would never end the iteration.
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))


class DeletedArray(Array):
    """What an ``Array`` becomes once ``jit(..., donate_argnums=...)`` gave its
    buffer to an output (the object's class is switched). Its memory now holds
    that output, so every use raises RuntimeError, as JAX's deleted arrays do;
    ``shape``, ``dtype``, ``ndim``, ``size`` and ``is_deleted()`` stay readable.
    (numpy's own ``np.asarray`` reads the bytes without asking the class.)"""

    def is_deleted(self):
        return True

    def delete(self):
        pass

    def raise_deleted(self, *args, **kwargs):
        shape = ",".join(map(str, self.shape))
        raise RuntimeError(f"Array has been deleted with shape="
                           f"{self.dtype.name}[{shape}].")

    def __getattribute__(self, name):
        if name in _DELETED_READABLE:
            return object.__getattribute__(self, name)
        DeletedArray.raise_deleted(self)


# Python looks special methods up on the class, past __getattribute__: each
# ndarray dunder that reads the values raises.
_DELETED_READABLE = frozenset(["shape", "dtype", "ndim", "size", "is_deleted", "delete",
                               "raise_deleted", "__class__", "__dict__"])
_DELETED_KEEP = _DELETED_READABLE | {
    "__new__", "__init__", "__getattribute__", "__setattr__", "__delattr__", "__doc__",
    "__hash__", "__init_subclass__", "__subclasshook__", "__sizeof__", "__class_getitem__",
    "__array_finalize__", "__array_priority__", "__array_interface__", "__array_struct__",
    "__dlpack_device__"}
for _name in dir(np.ndarray):
    if (_name.startswith("__") and _name not in _DELETED_KEEP
            and callable(getattr(np.ndarray, _name))):
        setattr(DeletedArray, _name, DeletedArray.raise_deleted)
DeletedArray.__iter__ = DeletedArray.raise_deleted
del _name


def wrap(x):
    """A concrete impl output as a jaxlite ``Array`` (a read-only view, so numpy's
    in-place operations cannot change a value jaxlite may share)."""
    if type(x) is Array:
        return x
    if type(x) is DeletedArray:
        x.raise_deleted()
    if type(x) in _PY_SCALAR_KIND:      # a Python result of user code (custom_vjp's fun)
        x = np.asarray(x, dtypes.default_for_kind(_PY_SCALAR_KIND[type(x)]))
    out = np.asarray(x).view(Array)
    out.setflags(write=False)       # cheaper than through the flags object
    return out


def eager_check(prim, args, params):
    """Run ``prim``'s abstract evaluation on concrete ``args``, for its errors.

    An elementwise primitive without params, given arrays of one dtype whose
    shapes are one shape or (), passes or fails by that dtype and by which
    operands are 0-d: each such key that passed once is remembered, which
    spares the commonest eager ops (and every op of an eager grad) building
    avals."""
    key = _elementwise_key(prim, args) if not params and prim.kind is ELEMENTWISE else None
    if key is None:
        abstract_eval_rules[prim](*map(get_aval, args), **params)
    elif key not in _passed_eagerly:
        abstract_eval_rules[prim](*map(get_aval, args))
        _passed_eagerly.add(key)


def _elementwise_key(prim, args):
    dt = shape = None
    scalars = []
    for a in args:
        t = type(a)
        if t is not Array and t is not np.ndarray:
            return None
        if dt is None:
            dt = a.dtype
            if dt not in _SUPPORTED_DTYPES:
                return None
        elif a.dtype is not dt:
            return None
        s = a.shape
        if s:
            if shape is None:
                shape = s
            elif s != shape:
                return None
        scalars.append(not s)
    return None if dt is None else (prim, dt, tuple(scalars))


_passed_eagerly = set()


class EvalInterpreter(Interpreter):
    """Runs each primitive's numpy implementation."""

    def interpret(self, prim, args, params):
        if prim.check_eagerly:
            eager_check(prim, args, params)
        vals = []
        runs_python = prim.impl_runs_python
        for a in args:
            if type(a) is Array and not runs_python:    # the commonest case first
                a = _ndarray_view(a, np.ndarray)
            else:
                if isinstance(a, Tracer):
                    a = a.concrete_value()
                if runs_python:
                    pass
                elif type(a) in _PY_SCALAR_KIND:
                    a = np.asarray(a, dtypes.default_for_kind(_PY_SCALAR_KIND[type(a)]))
                elif isinstance(a, Array):
                    a = a.view(np.ndarray)
            vals.append(a)
        out = impl_rules[prim](*vals, **params)
        if prim.multiple_results:
            return [wrap(o) for o in out]
        return wrap(out)


_ndarray_view = np.ndarray.view
eval_interpreter = EvalInterpreter()
# Hot paths (bind, jit calls) read ``current.interp`` directly.
current = CurrentInterpreter()


# -------------------------------------------------------------------- tracers

class Tracer:
    """A value owned by one interpreter. Operators are attached by jaxlite.numpy."""
    __array_priority__ = 1000
    __array_ufunc__ = None
    __slots__ = ("_interp",)

    @property
    def aval(self):
        raise NotImplementedError

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)
    size = property(lambda self: self.aval.size)
    weak_type = property(lambda self: self.aval.weak_type)

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object (a scalar)")
        return self.shape[0]

    def concrete_value(self):
        """The underlying numpy value, or ConcretizationTypeError if abstract."""
        raise ConcretizationTypeError(
            f"Abstract tracer value encountered where a concrete value is expected: "
            f"{self._describe()}.\nThe value depends on a traced argument, so Python "
            f"cannot branch on it or convert it. Use lax.cond / jnp.where for "
            f"value-dependent control flow, or mark the argument static with "
            f"static_argnums." + where_message())

    def _describe(self):
        return f"a traced array of type {self.aval}"

    def _concrete_for(self, error, what):
        """The concrete value, or ``error`` saying what needed it."""
        try:
            return self.concrete_value()
        except ConcretizationTypeError as e:
            raise error(f"Attempted {what} of traced array {self.aval}. {e}") from None

    def __bool__(self):
        return bool(self._concrete_for(TracerBoolConversionError, "boolean conversion"))

    def __int__(self):
        return int(self.concrete_value())

    def __float__(self):
        return float(self.concrete_value())

    def __index__(self):
        return int(self._concrete_for(TracerIntegerConversionError, "integer conversion"))

    def __array__(self, dtype=None, copy=None):
        val = np.asarray(self._concrete_for(TracerArrayConversionError,
                                            "numpy.ndarray conversion (__array__)"))
        return val.astype(dtype) if dtype is not None else val

    def tolist(self):
        return np.asarray(self.concrete_value()).tolist()

    def item(self):
        return np.asarray(self.concrete_value()).item()

    def __repr__(self):
        return f"Traced<{self.aval}>with<{type(self._interp).__name__}>"

    def __hash__(self):
        raise TypeError(f"unhashable type: traced array {self.aval}")

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))
