"""jit: ``Jitted`` traces a function once per signature and runs compiled code.

With no transform active a call looks its executable up by the arguments'
types, shapes and dtypes (and, for positional arrays and scalars, goes
through a fast-path closure straight to native code). Under a transform it
binds the call primitive ``jit_p`` (jit_primitive.py), whose rules transform
the traced jaxpr. ``lower``/``trace`` give the stages (stages.py).
"""
import ctypes
import functools
import importlib.util
import inspect
import os
import sys
import threading
import types
import weakref

import numpy as np

from jaxlite import core, donation, dtypes, tree_util
from jaxlite._config import disable_jit, jit_disabled, x64
from jaxlite.core import current, eval_interpreter
from jaxlite.interpreters import partial_eval as pe
from jaxlite.ir import ClosedJaxpr
from jaxlite.jit_primitive import executable, jit_p
from jaxlite.stages import Lowered, abstract_aval

__all__ = ["jit", "Jitted", "disable_jit"]


def _abstract_leaves(flat):
    """Avals when every leaf is a value or a ShapeDtypeStruct / ShapedArray, else None."""
    try:
        return tuple(map(abstract_aval, flat))
    except TypeError:
        return None


_ndarray, _Array = np.ndarray, core.Array
_CANONICAL = frozenset(dtypes.SUPPORTED)
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _static_spec(fun, static_argnums, static_argnames):
    """``(argnums, argnames, positional parameter names or None)``. As in JAX,
    argnums and argnames complete each other through ``fun``'s signature (when
    only one is given), so a static parameter is static whether it is passed
    by position or by keyword."""
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    for n in nums:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"static_argnums must be ints, got {n!r} of type {type(n).__name__}")
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"static_argnames must be strings, got {n!r} of type "
                            f"{type(n).__name__}")
    nums = tuple(int(n) for n in nums)
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):    # builtins and other callables without one
        return nums, names, None
    positional = [p.name for p in params if p.kind in _POSITIONAL]
    by_name = [p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    _validate_static(params, positional, nums, names)
    if nums and not names:
        names = tuple(positional[n] for n in nums
                      if 0 <= n < len(positional) and positional[n] in by_name)
    elif names and not nums:
        nums = tuple(positional.index(n) for n in names if n in by_name)
    return nums, names, positional


def _validate_static(params, positional, nums, names):
    """JAX's checks, when jit is applied: each static position and name must be
    one ``fun`` accepts (any position with ``*args``, any name with ``**kwargs``)."""
    kinds = {p.kind for p in params}
    if (nums and inspect.Parameter.VAR_POSITIONAL not in kinds
            and (-min(nums) > len(positional) or max(nums) >= len(positional))):
        raise ValueError(f"Jitted function has static_argnums={nums}, but only accepts "
                         f"{len(positional)} positional arguments.")
    pos_only = {p.name for p in params if p.kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                      inspect.Parameter.VAR_POSITIONAL)}
    if bad := pos_only & set(names):
        raise ValueError(f"Jitted function has invalid argnames {bad} in static_argnames. "
                         f"These are positional-only")
    if inspect.Parameter.VAR_KEYWORD in kinds:
        return
    if bad := set(names) - {p.name for p in params if p.kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)}:
        raise ValueError(f"Jitted function has invalid argnames {bad} in static_argnames. "
                         f"Function does not take these args.")


class _Trace:
    """One trace of the user function: the jaxpr (closed-over constants first
    among its inputs), those constants, and the output tree."""
    __slots__ = ("jaxpr", "consts", "out_tree", "in_tree")

    def __init__(self, jaxpr, consts, out_tree, in_tree):
        self.jaxpr, self.consts, self.out_tree, self.in_tree = jaxpr, consts, out_tree, in_tree


def _snapshot(c):
    """A closed-over constant as the compiled code will read it: a private
    C-contiguous copy in its canonical dtype, so mutating the user's numpy
    array later does not change the traced function (JAX's semantics)."""
    if isinstance(c, core.Tracer):
        return c
    return np.array(c, dtype=core.get_aval(c).dtype, order="C", copy=True)


class Jitted:
    """The callable ``jit`` returns: traces once per signature, then runs compiled code."""

    def __init__(self, fun, static_argnums=(), static_argnames=(), donate_argnums=(),
                 donate_argnames=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.static_argnums, self.static_argnames, self._params = _static_spec(
            fun, static_argnums, static_argnames)
        self.donate_argnums, self.donate_argnames = donation.donate_spec(
            donate_argnums, donate_argnames, self._params, self.static_argnums,
            self.static_argnames)
        donates = bool(self.donate_argnums or self.donate_argnames)
        self.name = getattr(fun, "__name__", type(fun).__name__)
        # _traces: (in_tree, avals, static key, x64) -> _Trace
        # _calls: (in_tree, leaf signature, static key, x64) ->
        #     (exe, consts, out_tree, donation.Donation or None)
        # _fast: positional arrays and scalars only -> a closure calling native
        # code. Functions with static or donated arguments skip it (their key
        # needs _split). Every key holds the x64 mode: switching it retraces.
        self._traces, self._calls, self._fast = _caches_of(
            fun, (self.static_argnums, self.static_argnames, self.donate_argnums,
                  self.donate_argnames),
            with_fast=not (self.static_argnums or self.static_argnames or donates))
        self._donates = donates

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return types.MethodType(self, obj)

    def __repr__(self):
        return f"<jitted {self.name}>"

    # ------------------------------------------------------------- calling

    def __call__(self, *args, **kwargs):
        if jit_disabled.value:
            return self.fun(*args, **kwargs)
        if current.interp is eval_interpreter:
            fast = self._fast
            if fast is not None and not kwargs:
                key, flat = _positional_key(args)
                if key is not None:
                    call = fast.get(key)
                    if call is not None:
                        return call(flat)
            return self._call_concrete(args, kwargs)
        trace, flat = self._trace(args, kwargs)
        outs = core.bind(jit_p, *trace.consts, *flat, jaxpr=trace.jaxpr, name=self.name)
        return tree_util.tree_unflatten(trace.out_tree, outs)

    def _call_concrete(self, args, kwargs):
        """No transform active: look the executable up by the leaves' types,
        shapes and dtypes (general pytrees, kwargs, static arguments), run it
        with its argument checks, and register a fast-path closure when the
        arguments allow one."""
        static, dyn, key_static = self._split(args, kwargs)
        flat, in_tree = tree_util.tree_flatten(dyn)
        sig = _leaf_signature(flat)
        key = (in_tree, sig, key_static, x64.value)
        hit = self._calls.get(key) if sig is not None else None
        if hit is None:
            trace = self._lookup(static, dyn, flat, in_tree, key_static)
            if any(isinstance(c, core.Tracer) for c in trace.consts):
                # A tracer that escaped its transform: let bind report it.
                outs = core.bind(jit_p, *trace.consts, *flat, jaxpr=trace.jaxpr,
                                 name=self.name)
                return tree_util.tree_unflatten(trace.out_tree, outs)
            exe = executable(trace.jaxpr, self.name)
            donated = (self._donation(exe, trace.consts, in_tree, flat, len(args), static[0])
                       if self._donates else None)
            hit = (exe, trace.consts, trace.out_tree, donated)
            if sig is not None:
                self._calls[key] = hit
        exe, consts, out_tree, donated = hit
        if donated is None:
            outs = exe(*consts, *flat)
        else:
            outs = donated.run(exe, consts, flat)
        if self._fast is not None and not kwargs:
            self._register_fast(args, exe, consts, out_tree)
        return tree_util.tree_unflatten(out_tree, outs)

    def _donation(self, exe, consts, in_tree, flat, nargs, static_pos):
        """The Donation of this call signature, or None when nothing is donated."""
        positions = [j for j in range(nargs) if j not in static_pos]
        nums = [n if n >= 0 else n + nargs for n in self.donate_argnums]
        leaves = donation.donated_leaves(in_tree, positions, nums, self.donate_argnames)
        pairs = donation.match(exe, len(consts), leaves, flat)
        if not pairs:
            return None
        direct = donation.direct_leaves(in_tree)
        return donation.Donation(pairs, direct)

    def _register_fast(self, args, exe, consts, out_tree):
        key, flat = _positional_key(args)
        if key is not None and key not in self._fast:
            # None (arguments the closure cannot take) is remembered too.
            self._fast[key] = _fast_call(exe, consts, flat, out_tree)

    # ------------------------------------------------------------- tracing

    def _trace(self, args, kwargs):
        """``(_Trace, flat dynamic leaves)`` for a call with these arguments."""
        static, dyn, key_static = self._split(args, kwargs)
        flat, in_tree = tree_util.tree_flatten(dyn)
        return self._lookup(static, dyn, flat, in_tree, key_static), flat

    def _lookup(self, static, dyn, flat, in_tree, key_static):
        avals = self._avals(flat, dyn, static)
        key = (in_tree, avals, key_static, x64.value)
        hit = self._traces.get(key)
        if hit is not None:
            return hit
        if trace_observers:     # explain_cache_misses / log_compiles (jaxlite/debugging)
            return _observed(trace_observers, self, key, lambda: self._trace_new(
                static, in_tree, avals, key))
        return self._trace_new(static, in_tree, avals, key)

    def _trace_new(self, static, in_tree, avals, key):
        store = {}
        static_pos, static_kw = static

        def flat_fun(*xs):
            d_args, d_kwargs = tree_util.tree_unflatten(in_tree, xs)
            full_args = list(d_args)
            for i, v in sorted(static_pos.items()):
                full_args.insert(i, v)
            out = self.fun(*full_args, **d_kwargs, **static_kw)
            out_flat, out_tree = tree_util.tree_flatten(out)
            for i, o in enumerate(out_flat):
                self._check_output(o, i, out_tree)
            store["tree"] = out_tree
            return out_flat
        closed = pe.trace_flat(flat_fun, list(avals), what=f"jit({self.name}) tracing")
        jaxpr, consts = pe.convert_constvars(closed)
        entry = _Trace(ClosedJaxpr(jaxpr, []), [_snapshot(c) for c in consts],
                       store["tree"], in_tree)
        if not any(isinstance(c, core.Tracer) for c in consts):
            self._traces[key] = entry    # closed-over tracers are valid only now
        return entry

    def _check_output(self, o, i, out_tree):
        try:
            core.get_aval(o)
        except TypeError as e:
            raise TypeError(f"jit({self.name}) returned a value of type {type(o).__name__} "
                            f"(output leaf {i} of {out_tree}): outputs must be arrays, "
                            f"Python scalars or pytrees of them ({e})") from None

    def _avals(self, flat, dyn, static):
        try:
            return tuple(map(core.get_aval, flat))
        except TypeError:
            pass
        abstract = _abstract_leaves(flat)      # .lower(ShapeDtypeStruct(...)), as in JAX
        if abstract is not None:
            return abstract
        for i, x in enumerate(flat):
            try:
                core.get_aval(x)
            except TypeError as e:
                detail = f" ({e})" if isinstance(x, np.ndarray) else ""
                raise TypeError(
                    f"jit({self.name}): {self._describe_leaf(i, dyn, static)} of type "
                    f"{type(x).__name__} is not a valid jaxlite type{detail}. Arguments must "
                    f"be arrays, Python scalars or pytrees of them; mark other arguments "
                    f"static with static_argnums or static_argnames.") from None
        raise AssertionError("unreachable")

    def _describe_leaf(self, i, dyn, static):
        """'argument 1 (y)' or 'argument 0 (params), pytree leaf 2' or 'keyword argument z'."""
        d_args, d_kwargs = dyn
        positions = [j for j in range(len(d_args) + len(static[0])) if j not in static[0]]
        for pos, a in zip(positions, d_args):
            n = len(tree_util.tree_leaves(a))
            if i < n:
                name = (f" ({self._params[pos]})" if self._params and pos < len(self._params)
                        else "")
                is_leaf = tree_util.treedef_is_leaf(tree_util.tree_structure(a))
                leaf = "" if is_leaf else f", pytree leaf {i}"
                return f"argument {pos}{name}{leaf}"
            i -= n
        for k in sorted(d_kwargs):
            n = len(tree_util.tree_leaves(d_kwargs[k]))
            if i < n:
                is_leaf = tree_util.treedef_is_leaf(tree_util.tree_structure(d_kwargs[k]))
                leaf = "" if is_leaf else f", pytree leaf {i}"
                return f"keyword argument {k!r}{leaf}"
            i -= n
        return f"argument leaf {i}"

    def _split(self, args, kwargs):
        """``((static positions -> value, static kwargs), (dynamic args, dynamic
        kwargs), hashable key of the static values)``."""
        nargs = len(args)
        static_pos = {}
        for i in self.static_argnums:
            j = i if i >= 0 else i + nargs
            if 0 <= j < nargs:
                static_pos[j] = args[j]
        if static_pos:
            dyn_args = tuple(a for j, a in enumerate(args) if j not in static_pos)
        else:
            dyn_args = args
        if kwargs and self.static_argnames:
            static_kw = {k: v for k, v in kwargs.items() if k in self.static_argnames}
            dyn_kwargs = {k: v for k, v in kwargs.items() if k not in static_kw}
        else:
            static_kw, dyn_kwargs = {}, kwargs
        if not static_pos and not static_kw:
            return ({}, {}), (dyn_args, dyn_kwargs), ()
        # The type is part of the key: f(x, 1) and f(x, 1.0) may trace differently.
        key_static = (tuple((j, type(v), v) for j, v in sorted(static_pos.items())),
                      tuple((k, type(v), v) for k, v in sorted(static_kw.items())))
        try:
            hash(key_static)
        except TypeError:
            bad = [v for v in list(static_pos.values()) + list(static_kw.values())
                   if not _hashable(v)]
            raise ValueError(f"Non-hashable static arguments are not supported. An error "
                             f"occurred while trying to hash an object of type "
                             f"{type(bad[0]).__name__}, {bad[0]!r}. Static arguments must "
                             f"be hashable.") from None
        return (static_pos, static_kw), (dyn_args, dyn_kwargs), key_static

    # -------------------------------------------------------------- stages

    def lower(self, *args, **kwargs):
        trace, _ = self._trace(args, kwargs)
        return Lowered(trace, self.name)

    def trace(self, *args, **kwargs):
        return self.lower(*args, **kwargs)

    def eval_shape(self, *args, **kwargs):
        """The outputs' ShapeDtypeStructs at these arguments (static ones as
        declared), from the trace: nothing runs."""
        return self.lower(*args, **kwargs).out_info

    # ------------------------------------------------------- introspection

    def _cache_size(self):
        """How many signatures this function has been traced (and compiled) for,
        as JAX's ``_cache_size()``; shared by every ``jit`` of the same function."""
        return len(self._traces)

    def cache_keys(self):
        """The trace-cache keys: ``(input tree, avals, static key, x64)`` each."""
        return list(self._traces)


# Debugging modes (jaxlite/debugging: debug_nans, checked mode) replace
# Jitted.__call__ while they are on, so the ordinary call pays nothing for them.
_PLAIN_CALL = Jitted.__call__
_call_wrappers = {}
# Called on every trace-cache miss as observer(jitted, key, trace) -> after(),
# with trace() doing the tracing (explain_cache_misses, log_compiles).
trace_observers = []


def wrap_calls(name, wrapper):
    """Install (or with None remove) ``wrapper(call) -> call`` around every
    jitted call; wrappers compose in installation order."""
    if wrapper is None:
        _call_wrappers.pop(name, None)
    else:
        _call_wrappers[name] = wrapper
    call = _PLAIN_CALL
    for w in _call_wrappers.values():
        call = w(call)
    Jitted.__call__ = call


def _observed(observers, jitted, key, trace):
    for observe in observers:
        trace = observe(jitted, key, trace)
    return trace()


# jit(f) for the same Python function f (and static arguments) shares one set
# of caches, as JAX's jit does: wrapping f again, even in a loop, does not retrace.
_SHARED = weakref.WeakKeyDictionary()    # function -> {static spec: caches}


def _caches_of(fun, spec, with_fast):
    fresh = ({}, {}, {} if with_fast else None)
    if type(fun) is not types.FunctionType:     # hashed by identity: safe to share
        return fresh
    return _SHARED.setdefault(fun, {}).setdefault(spec, fresh)


def clear_shared_caches():
    """Empty the trace and call caches of every jitted function."""
    for per_fun in list(_SHARED.values()):
        for caches in per_fun.values():
            for c in caches:
                if c is not None:
                    c.clear()
    _SHARED.clear()


def _positional_key(args):
    """``(key, flat leaves)`` for positional arguments that are plain arrays,
    Python or numpy scalars, or lists and tuples of them (``(None, None)``
    otherwise): per array its shape, dtype and strides, per scalar its type,
    per list or tuple its type and length, ahead of its items. An array's
    entry starts with a tuple, a scalar's is a type and a container's starts
    with a type, so the encoding is unambiguous; strides make contiguity part
    of it. The x64 mode comes first: it decides a Python scalar's type. The
    leaves come in tree_flatten's order."""
    key, flat = [x64.value], []
    if not _encode(args, key, flat):
        return None, None
    return tuple(key), flat


def _encode(items, key, flat):
    for x in items:
        t = type(x)
        if t is _ndarray or t is _Array:
            key.append((x.shape, x.dtype, x.strides))
        elif t in _SCALAR_TYPES:
            key.append(t)
        elif t is list or t is tuple:
            key.append((t, len(x)))
            if not _encode(x, key, flat):
                return False
            continue
        else:
            return False
        flat.append(x)
    return True


# Python scalars (weak) and numpy scalars of the supported dtypes (strong): the
# type alone fixes the abstract value.
_SCALAR_TYPES = frozenset([float, int, bool, np.float32, np.float64, np.int32, np.int64,
                           np.bool_])


def _fast_call(exe, consts, flat, out_tree):
    """A closure running ``exe`` on the flat leaves of arguments shaped like
    these (the fast key's) without the executable's per-call checks (the key
    already guarantees type, shape, dtype and contiguity), or None when that
    is not possible."""
    fn = exe.unchecked(*consts)
    if fn is None:
        return None
    expected, scalar_dtypes = [], []
    for x in flat:
        if isinstance(x, np.ndarray):
            if x.dtype not in _CANONICAL or not x.flags.c_contiguous:
                return None
            expected.append((x.shape, x.dtype))
            scalar_dtypes.append(None)
        else:
            dt = core.get_aval(x).dtype
            expected.append(((), dt))
            scalar_dtypes.append(dt)
    const_specs = [(c.shape, c.dtype) for c in consts]
    if [(a.shape, a.dtype) for a in exe.in_avals] != const_specs + expected:
        return None
    out_specs = [(a.shape, a.dtype) for a in exe.out_avals]
    need_convert = any(d is not None for d in scalar_dtypes)
    asarray, new_outputs, unflatten = np.asarray, exe.new_outputs, _unflattener(out_tree)

    if unflatten is None and not need_convert and not exe.pools_outputs:
        (shape, dtype), = out_specs

        def call(args):
            out = _Array(shape, dtype)
            fn(*args, out)
            return out
    else:
        def call(args):
            if need_convert:
                args = [a if d is None else asarray(a, d) for a, d in zip(args, scalar_dtypes)]
            outs = new_outputs()
            fn(*args, *outs)
            return outs[0] if unflatten is None else unflatten(outs)
    # ``fn`` points into the executable's machine code: keep the executable (and
    # so its engine) alive as long as this closure, whatever the caches drop.
    call.executable = exe
    return call


def _unflattener(out_tree):
    """outputs -> the result pytree, None for a single leaf; for a list or
    tuple of leaves (the usual case) just that type's constructor."""
    if tree_util.treedef_is_leaf(out_tree):
        return None
    n = out_tree.num_leaves
    sample = tree_util.tree_unflatten(out_tree, range(n))
    if type(sample) in (list, tuple) and list(sample) == list(range(n)):
        return type(sample)
    return functools.partial(tree_util.tree_unflatten, out_tree)


def _leaf_signature(flat):
    """Types, shapes and dtypes of concrete leaves; None when a leaf needs the
    general path (tracers, dtypes that canonicalize, other objects)."""
    sig = []
    for x in flat:
        if isinstance(x, np.ndarray):
            if x.dtype not in _CANONICAL:
                return None
            sig.append((x.shape, x.dtype))
        elif type(x) in (int, float, bool):
            sig.append(type(x))
        else:
            return None
    return tuple(sig)


def _hashable(v):
    try:
        hash(v)
        return True
    except TypeError:
        return False


def jit(fun=None, *, static_argnums=(), static_argnames=(), donate_argnums=(),
        donate_argnames=(), keep_unused=False, inline=False):
    """Compile ``fun`` with the llvmlite back end; usable as a decorator.
    Donated arguments (``donate_argnums``/``donate_argnames``, see donation.py)
    may have their buffers reused by outputs and are deleted by the call.
    ``keep_unused`` and ``inline`` are accepted as JAX's are: they tune what
    XLA compiles and never change a result, so jaxlite ignores them."""
    del keep_unused, inline
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames,
                                 donate_argnums=donate_argnums,
                                 donate_argnames=donate_argnames)
    if not callable(fun):
        raise TypeError(f"Expected a callable value, got {fun!r}")
    _load_backend_library_early()
    return Jitted(fun, static_argnums, static_argnames, donate_argnums, donate_argnames)


# The compiler's native library (libllvmlite, ~180 MB: ~7 ms to map and relocate on an
# idle machine, a sixth of a warm first call) starts loading on a thread of its own
# when the first jitted function is made, so that it overlaps tracing and the
# compiler's Python imports; llvmlite's own load then finds it mapped. The dlopen goes
# through ctypes' foreign-function call, which releases the GIL (ctypes.CDLL holds it
# while loading). That thread runs nothing else, and a fork waits for it: a child
# forked mid-dlopen would inherit the loader's lists half updated.
_early_load = []
_early_lock = threading.Lock()


def _load_backend_library_early():
    if _early_load or os.name != "posix" or "llvmlite.binding" in sys.modules:
        return
    with _early_lock:
        if _early_load:
            return
        thread = threading.Thread(target=_dlopen_llvmlite, name="jaxlite-load-llvmlite")
        _early_load.append(thread)
        os.register_at_fork(before=_wait_for_early_load)
        thread.start()


def _wait_for_early_load():
    if _early_load[0].is_alive():
        _early_load[0].join()


def _dlopen_llvmlite():
    try:
        spec = importlib.util.find_spec("llvmlite")     # finds it, imports nothing
        name = "libllvmlite.dylib" if sys.platform == "darwin" else "libllvmlite.so"
        path = os.path.join(spec.submodule_search_locations[0], "binding", name)
        if os.path.isfile(path):
            dlopen = ctypes.CDLL(None).dlopen
            dlopen.restype, dlopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_int]
            dlopen(os.fsencode(path), os.RTLD_NOW | os.RTLD_LOCAL)
    except Exception:       # nothing lost: llvmlite's own load reports real problems
        pass
