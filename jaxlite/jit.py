"""jit: a call primitive holding a jaxpr, compiled by the compiler package.

Inside another transform, ``jit_p`` is an ordinary primitive whose rules
transform its inner jaxpr: jvp and vmap build a new jaxpr, partial evaluation
splits it into a known and an unknown call, transpose transposes it. So
jit(grad(f)), grad(jit(f)) and vmap(jit(f)) all compose.
"""
import functools
import inspect
import types
import weakref

import numpy as np

from jaxlite import core, dtypes, tree_util
from jaxlite._config import disable_jit, jit_disabled  # noqa: F401 (disable_jit: public here)
from jaxlite.core import Primitive, _current, eval_interpreter as _eval
from jaxlite.interpreters import ad, batching, partial_eval as pe
from jaxlite.interpreters.ad import Zero, UndefPrimal
from jaxlite.ir import ClosedJaxpr, Jaxpr, Var, eval_jaxpr

jit_p = Primitive("jit", multiple_results=True)


# ---------------------------------------------------------------- impl

def _jit_impl(*args, jaxpr, name):
    return _executable(jaxpr, name)(*args)


_exe_cache = weakref.WeakKeyDictionary()


def _executable(closed, name):
    """The compiled executable for a ClosedJaxpr (compiled once per jaxpr object)."""
    exe = _exe_cache.get(closed)
    if exe is None:
        from compiler import compile as backend_compile
        exe = backend_compile(closed, name=name)
        _exe_cache[closed] = exe
    return exe


def _coerce_weak(args, avals):
    """Weakly typed arguments (Python scalars, weak-typed values) cast to the
    dtype the inner jaxpr expects. A rule may hand jit_p a Python float (a
    user's cotangent, say) where the jaxpr has float64; eager evaluation
    would make it float32 and the executable would reject it."""
    out = list(args)
    for i, (x, a) in enumerate(zip(args, avals)):
        if type(x) in (bool, int, float):
            if core.get_aval(x).dtype != a.dtype and a.shape == ():
                out[i] = np.asarray(x, a.dtype)
        elif isinstance(x, (core.Tracer, np.ndarray)):
            xa = core.get_aval(x)
            if xa.weak_type and xa.dtype != a.dtype and xa.shape == a.shape:
                from jaxlite import lax
                out[i] = lax.convert_element_type(x, a.dtype)
    return out


def _jit_abstract_eval(*avals, jaxpr, name):
    for i, (a, b) in enumerate(zip(avals, jaxpr.in_avals)):
        if a.shape != b.shape or a.dtype != b.dtype:
            raise TypeError(f"jit call of {name}: argument {i} has type {a}, expected {b}")
    return jaxpr.out_avals


core.impl_rules[jit_p] = _jit_impl
core.abstract_eval_rules[jit_p] = _jit_abstract_eval


# ----------------------------------------------------------------- jvp

@functools.lru_cache(maxsize=512)
def _jvp_jaxpr(closed, nonzero):
    """A jaxpr computing (primals_out, nonzero tangents_out) from (primals, nonzero tangents)."""
    n = len(closed.in_avals)
    out_nonzero = []

    def f(*args):
        primals, tans = list(args[:n]), iter(args[n:])
        tangents = [next(tans) if nz else Zero(a) for nz, a in zip(nonzero, closed.in_avals)]
        p_out, t_out = ad.jvp_flat(lambda *xs: eval_jaxpr(closed.jaxpr, closed.consts, *xs),
                                   primals, tangents)
        out_nonzero.extend(type(t) is not Zero for t in t_out)
        return p_out + [t for t in t_out if type(t) is not Zero]
    avals = list(closed.in_avals) + [a for a, nz in zip(closed.in_avals, nonzero) if nz]
    return pe.trace_flat(f, avals), tuple(out_nonzero)


def _jit_jvp(primals, tangents, jaxpr, name):
    nonzero = tuple(type(t) is not Zero for t in tangents)
    new, out_nz = _jvp_jaxpr(jaxpr, nonzero)
    args = _coerce_weak(list(primals) + [t for t in tangents if type(t) is not Zero],
                        new.in_avals)
    outs = core.bind(jit_p, *args, jaxpr=new, name=f"jvp_{name}")
    n = len(jaxpr.out_avals)
    it = iter(outs[n:])
    return outs[:n], [next(it) if nz else Zero(a) for nz, a in zip(out_nz, jaxpr.out_avals)]


ad.jvp_rules[jit_p] = _jit_jvp


# ------------------------------------------------------ partial evaluation

@functools.lru_cache(maxsize=512)
def _split_jaxpr(closed, unknown):
    """Split a call into known and unknown parts.

    Returns (known ClosedJaxpr: known ins -> known outs + residuals,
             unknown ClosedJaxpr: residuals + unknown ins -> unknown outs,
             out_unknown mask, number of residuals)."""
    known_stager = pe.StagingInterpreter(parent=core.eval_interpreter, stage_all=True)
    unknown_stager = pe.StagingInterpreter(parent=known_stager, stage_all=False)
    args = [unknown_stager.new_arg(a) if u else known_stager.new_arg(a)
            for a, u in zip(closed.in_avals, unknown)]
    with core.set_interpreter(unknown_stager):
        outs = eval_jaxpr(closed.jaxpr, closed.consts, *args)
    out_unknown = tuple(unknown_stager.owns(o) for o in outs)
    unknown_outs = [o for o, u in zip(outs, out_unknown) if u]
    unknown_closed = unknown_stager.build(unknown_outs)
    # Constants of the unknown side that are known-side tracers are residuals.
    res_mask = [isinstance(c, pe.StagingTracer) for c in unknown_closed.consts]
    residuals = [c for c, r in zip(unknown_closed.consts, res_mask) if r]
    uj = unknown_closed.jaxpr
    res_vars = [v for v, r in zip(uj.constvars, res_mask) if r]
    unknown_closed = ClosedJaxpr(
        Jaxpr([v for v, r in zip(uj.constvars, res_mask) if not r], res_vars + uj.invars,
              uj.eqns, uj.outvars),
        [c for c, r in zip(unknown_closed.consts, res_mask) if not r])
    known_outs = [o for o, u in zip(outs, out_unknown) if not u]
    known_closed = known_stager.build(known_outs + residuals)
    return known_closed, unknown_closed, out_unknown, len(residuals)


def _jit_partial_eval(stager, args, params):
    jaxpr, name = params["jaxpr"], params["name"]
    unknown = tuple(stager.owns(a) for a in args)
    known_j, unknown_j, out_unknown, n_res = _split_jaxpr(jaxpr, unknown)
    args = _coerce_weak(args, jaxpr.in_avals)
    known_args = [a for a, u in zip(args, unknown) if not u]
    known_outs = core.bind_with(stager.parent, jit_p, *known_args, jaxpr=known_j, name=name)
    n_known = len(known_outs) - n_res
    residuals = known_outs[n_known:]
    unknown_args = [a for a, u in zip(args, unknown) if u]
    unknown_outs = stager.stage(jit_p, list(residuals) + unknown_args,
                                dict(jaxpr=unknown_j, name=name))
    k, u = iter(known_outs[:n_known]), iter(unknown_outs)
    return [next(u) if is_u else next(k) for is_u in out_unknown]


pe.partial_eval_rules[jit_p] = _jit_partial_eval


# ------------------------------------------------------------ transpose

@functools.lru_cache(maxsize=512)
def _transpose_jaxpr(closed, linear, ct_nonzero):
    """(known args, nonzero cts) -> cotangents of the linear args (zeros instantiated)."""
    avals = closed.in_avals
    known_avals = [a for a, l in zip(avals, linear) if not l]
    ct_avals = [a for a, nz in zip(closed.out_avals, ct_nonzero) if nz]

    def f(*args):
        known, cts = iter(args[:len(known_avals)]), iter(args[len(known_avals):])
        primals = [UndefPrimal(a) if l else next(known) for a, l in zip(avals, linear)]
        cts_out = [next(cts) if nz else Zero(a) for a, nz in zip(closed.out_avals, ct_nonzero)]
        cts_in = ad.backward_pass(closed.jaxpr, closed.consts, primals, cts_out)
        return [ad.instantiate(c) for c, l in zip(cts_in, linear) if l]
    return pe.trace_flat(f, known_avals + ct_avals)


def _jit_transpose(cts, *args, jaxpr, name):
    linear = tuple(type(a) is UndefPrimal for a in args)
    ct_nonzero = tuple(type(c) is not Zero for c in cts)
    t_jaxpr = _transpose_jaxpr(jaxpr, linear, ct_nonzero)
    known = [a for a in args if type(a) is not UndefPrimal]
    t_args = _coerce_weak(known + [c for c in cts if type(c) is not Zero], t_jaxpr.in_avals)
    outs = iter(core.bind(jit_p, *t_args, jaxpr=t_jaxpr, name=f"transpose_{name}"))
    return [next(outs) if l else None for l in linear]


ad.transpose_rules[jit_p] = _jit_transpose


# --------------------------------------------------------------- batching

@functools.lru_cache(maxsize=512)
def _batch_jaxpr(closed, axis_size, dims):
    """``(jaxpr, out_dims)``: a jaxpr over batched inputs (batch dims ``dims``).
    Outputs keep the batch dim the rules gave them (no transposes to move it);
    unbatched outputs are broadcast at 0."""
    found = []

    def f(*args):
        outs, out_dims = batching.vmap_flat(
            lambda *xs: eval_jaxpr(closed.jaxpr, closed.consts, *xs), axis_size, args, dims)
        found[:] = [0 if d is None else d for d in out_dims]
        return [batching.move_to(o, d, t, axis_size) for o, d, t in zip(outs, out_dims, found)]
    avals = [a if d is None else a.update(shape=a.shape[:d] + (axis_size,) + a.shape[d:])
             for a, d in zip(closed.in_avals, dims)]
    return pe.trace_flat(f, avals), tuple(found)


def _jit_batch(axis_size, vals, dims, jaxpr, name):
    new, out_dims = _batch_jaxpr(jaxpr, axis_size, tuple(dims))
    outs = core.bind(jit_p, *_coerce_weak(vals, new.in_avals), jaxpr=new, name=f"vmap_{name}")
    return outs, list(out_dims)


batching.batch_rules[jit_p] = _jit_batch


# --------------------------------------------------------------- the API

def _abstract_leaves(flat):
    """Avals when every leaf is a value or a ShapeDtypeStruct / ShapedArray, else None."""
    from jaxlite._api_extras import ShapeDtypeStruct
    out = []
    for x in flat:
        if isinstance(x, (ShapeDtypeStruct, core.ShapedArray)):
            dt = dtypes.canonicalize(x.dtype, "ShapeDtypeStruct")
            out.append(core.ShapedArray(x.shape, dt, getattr(x, "weak_type", False)))
        else:
            try:
                out.append(core.get_aval(x))
            except TypeError:
                return None
    return tuple(out)


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
    if nums and not names:
        names = tuple(positional[n] for n in nums
                      if 0 <= n < len(positional) and positional[n] in by_name)
    elif names and not nums:
        nums = tuple(positional.index(n) for n in names if n in by_name)
    return nums, names, positional


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

    def __init__(self, fun, static_argnums=(), static_argnames=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.static_argnums, self.static_argnames, self._params = _static_spec(
            fun, static_argnums, static_argnames)
        self.name = getattr(fun, "__name__", type(fun).__name__)
        self._traces = {}    # (in_tree, avals, static key) -> _Trace
        self._calls = {}     # (in_tree, leaf signature, static key) -> (exe, consts, out_tree)
        # Positional arrays and scalars only -> a closure calling native code.
        # Functions with static arguments skip it (their key needs _split).
        self._fast = None if (self.static_argnums or self.static_argnames) else {}

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
        if _current.interp is _eval:
            fast = self._fast
            if fast is not None and not kwargs:
                key = _positional_key(args)
                if key is not None:
                    call = fast.get(key)
                    if call is not None:
                        return call(args)
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
        key = (in_tree, sig, key_static)
        hit = self._calls.get(key) if sig is not None else None
        if hit is None:
            trace = self._lookup(static, dyn, flat, in_tree, key_static)
            if any(isinstance(c, core.Tracer) for c in trace.consts):
                # A tracer that escaped its transform: let bind report it.
                outs = core.bind(jit_p, *trace.consts, *flat, jaxpr=trace.jaxpr,
                                 name=self.name)
                return tree_util.tree_unflatten(trace.out_tree, outs)
            hit = (_executable(trace.jaxpr, self.name), trace.consts, trace.out_tree)
            if sig is not None:
                self._calls[key] = hit
        exe, consts, out_tree = hit
        outs = exe(*consts, *flat)
        if self._fast is not None and not kwargs:
            self._register_fast(args, exe, consts, out_tree)
        return tree_util.tree_unflatten(out_tree, outs)

    def _register_fast(self, args, exe, consts, out_tree):
        key = _positional_key(args)
        if key is not None and key not in self._fast:
            # None (arguments the closure cannot take) is remembered too.
            self._fast[key] = _fast_call(exe, consts, args, out_tree)

    # ------------------------------------------------------------- tracing

    def _trace(self, args, kwargs):
        """``(_Trace, flat dynamic leaves)`` for a call with these arguments."""
        static, dyn, key_static = self._split(args, kwargs)
        flat, in_tree = tree_util.tree_flatten(dyn)
        return self._lookup(static, dyn, flat, in_tree, key_static), flat

    def _lookup(self, static, dyn, flat, in_tree, key_static):
        avals = self._avals(flat, dyn, static)
        key = (in_tree, avals, key_static)
        hit = self._traces.get(key)
        if hit is not None:
            return hit
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
        closed = pe.trace_flat(flat_fun, list(avals))
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


def _positional_key(args):
    """A flat key for positional arguments that are all plain arrays or Python or
    numpy scalars (None otherwise): per array its shape, dtype and strides, per
    scalar its type. An array's entry starts with a tuple and a scalar's is a
    type, so the encoding is unambiguous; strides make contiguity part of it."""
    key = ()
    for x in args:
        t = type(x)
        if t is _ndarray or t is _Array:
            key += (x.shape, x.dtype, x.strides)
        elif t in _SCALAR_TYPES:
            key += (t,)
        else:
            return None
    return key


# Python scalars (weak) and numpy scalars of the supported dtypes (strong): the
# type alone fixes the abstract value.
_SCALAR_TYPES = frozenset([float, int, bool, np.float32, np.float64, np.int32, np.int64,
                           np.bool_])


def _fast_call(exe, consts, args, out_tree):
    """A closure running ``exe`` on positional ``args``-like arguments without
    the executable's per-call checks (the fast key already guarantees type,
    shape, dtype and contiguity), or None when that is not possible."""
    fn = getattr(exe, "_fn", None)
    exe_consts = getattr(exe, "_consts", None)
    specs = getattr(exe, "_specs", None)
    out_specs = getattr(exe, "_out_specs", None)
    if (fn is None or getattr(exe, "_by_object", False) is not True or exe_consts is None
            or specs is None or out_specs is None):
        return None
    expected, scalar_dtypes = [], []
    for x in args:
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
    if [tuple(s) for s in specs] != const_specs + expected:
        return None
    pre = list(exe_consts) + list(consts)
    out_specs = [(tuple(s), np.dtype(d)) for s, d in out_specs]
    single = tree_util.treedef_is_leaf(out_tree)
    need_convert = any(d is not None for d in scalar_dtypes)
    asarray = np.asarray

    if len(out_specs) == 1 and single and not need_convert:
        (shape, dtype), = out_specs

        def call(args):
            out = _Array(shape, dtype)
            fn(*pre, *args, out)
            return out
    else:
        def call(args):
            if need_convert:
                args = [a if d is None else asarray(a, d) for a, d in zip(args, scalar_dtypes)]
            outs = [_Array(s, d) for s, d in out_specs]
            fn(*pre, *args, *outs)
            return tree_util.tree_unflatten(out_tree, outs)
    # ``fn`` points into the executable's machine code: keep the executable (and
    # so its engine) alive as long as this closure, whatever the caches drop.
    call.executable = exe
    return call


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


class Lowered:
    """A traced jit call: ``as_text()`` is the jaxpr; ``compile()`` runs the back end."""

    def __init__(self, trace, name):
        self._trace, self.name = trace, name

    @property
    def jaxpr(self):
        return self._trace.jaxpr

    in_tree = property(lambda self: self._trace.in_tree)
    out_tree = property(lambda self: self._trace.out_tree)

    def as_text(self):
        return str(self._trace.jaxpr)

    def compile(self):
        return Compiled(_executable(self._trace.jaxpr, self.name), self._trace)


class Compiled:
    """A compiled executable and every stage of it in text. Call it with the
    dynamic arguments of the call it was lowered for (static ones left out)."""

    def __init__(self, exe, trace):
        self.executable, self._trace = exe, trace

    def as_text(self):
        return self.executable.as_text()

    def llvm_ir(self, optimized=True):
        return self.executable.llvm_ir(optimized=optimized)

    def asm(self):
        return self.executable.asm()

    def fusion_plan(self):
        return self.executable.fusion_plan()

    def __call__(self, *args, **kwargs):
        flat, in_tree = tree_util.tree_flatten((args, kwargs))
        if in_tree != self._trace.in_tree:
            raise TypeError(f"{self.executable.name}: compiled for arguments with structure "
                            f"{self._trace.in_tree}, called with {in_tree}")
        outs = self.executable(*self._trace.consts, *flat)
        return tree_util.tree_unflatten(self._trace.out_tree, outs)


def jit(fun=None, *, static_argnums=(), static_argnames=()):
    """Compile ``fun`` with the llvmlite back end; usable as a decorator."""
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames)
    if not callable(fun):
        raise TypeError(f"Expected a callable value, got {fun!r}")
    return Jitted(fun, static_argnums, static_argnames)
