"""jit: a call primitive holding a jaxpr, compiled by the compiler package.

Inside another transform, ``jit_p`` is an ordinary primitive whose rules
transform its inner jaxpr: jvp and vmap build a new jaxpr, partial evaluation
splits it into a known and an unknown call, transpose transposes it. So
jit(grad(f)), grad(jit(f)) and vmap(jit(f)) all compose.
"""
import functools
import weakref

import numpy as np

from jaxlite import core, tree_util
from jaxlite.core import Primitive
from jaxlite.interpreters import ad, batching, partial_eval as pe
from jaxlite.interpreters.ad import Zero, UndefPrimal
from jaxlite.ir import ClosedJaxpr, Jaxpr, eval_jaxpr

jit_p = Primitive("jit", multiple_results=True)


# ---------------------------------------------------------------- impl

def _jit_impl(*args, jaxpr, name):
    exe = _executable(jaxpr, name)
    if exe is None:
        return eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, *args)
    return exe(*args)


_exe_cache = weakref.WeakKeyDictionary()


def _executable(closed, name):
    """The compiled executable for a ClosedJaxpr (None when no backend is available)."""
    exe = _exe_cache.get(closed)
    if exe is None:
        try:
            from compiler import compile as backend_compile
        except ImportError:   # TODO(compiler lands): remove this fallback
            return None
        exe = backend_compile(closed, name=name)
        _exe_cache[closed] = exe
    return exe


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
    outs = core.bind(jit_p, *primals, *[t for t in tangents if type(t) is not Zero],
                     jaxpr=new, name=f"jvp_{name}")
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
    outs = iter(core.bind(jit_p, *known, *[c for c in cts if type(c) is not Zero],
                          jaxpr=t_jaxpr, name=f"transpose_{name}"))
    return [next(outs) if l else None for l in linear]


ad.transpose_rules[jit_p] = _jit_transpose


# --------------------------------------------------------------- batching

@functools.lru_cache(maxsize=512)
def _batch_jaxpr(closed, axis_size, dims):
    """A jaxpr over batched inputs (batch dims ``dims``) with outputs batched at 0."""
    def f(*args):
        outs, out_dims = batching.vmap_flat(
            lambda *xs: eval_jaxpr(closed.jaxpr, closed.consts, *xs), axis_size, args, dims)
        return [batching.move_to(o, d, 0, axis_size) for o, d in zip(outs, out_dims)]
    avals = [a if d is None else a.update(shape=a.shape[:d] + (axis_size,) + a.shape[d:])
             for a, d in zip(closed.in_avals, dims)]
    return pe.trace_flat(f, avals)


def _jit_batch(axis_size, vals, dims, jaxpr, name):
    new = _batch_jaxpr(jaxpr, axis_size, tuple(dims))
    outs = core.bind(jit_p, *vals, jaxpr=new, name=f"vmap_{name}")
    return outs, [0] * len(outs)


batching.batch_rules[jit_p] = _jit_batch


# --------------------------------------------------------------- the API

def _arg_aval(x, position):
    try:
        return core.get_aval(x)
    except TypeError:
        raise TypeError(f"Argument {position} of type {type(x).__name__} is not a valid "
                        f"jaxlite type: jit arguments must be arrays, Python scalars or "
                        f"pytrees of them (mark other arguments static with "
                        f"static_argnums)") from None


class Jitted:
    """The callable ``jit`` returns: traces once per signature, then runs compiled code."""

    def __init__(self, fun, static_argnums=(), static_argnames=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.static_argnums = ((static_argnums,) if isinstance(static_argnums, int)
                               else tuple(static_argnums))
        self.static_argnames = ((static_argnames,) if isinstance(static_argnames, str)
                                else tuple(static_argnames))
        self._cache = {}
        self._fast_cache = {}
        self.name = getattr(fun, "__name__", "fun")

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)

    def _trace(self, args, kwargs):
        """``(closed jaxpr with consts as leading invars, consts, out_tree)``."""
        static, dyn, key_static = self._split(args, kwargs)
        flat, in_tree = tree_util.tree_flatten(dyn)
        avals = tuple(_arg_aval(x, i) for i, x in enumerate(flat))
        key = (in_tree, avals, key_static)
        hit = self._cache.get(key)
        if hit is not None:
            return hit, flat
        store = {}

        def flat_fun(*xs):
            d_args, d_kwargs = tree_util.tree_unflatten(in_tree, xs)
            full_args = list(d_args)
            for i, v in sorted(static[0].items()):
                full_args.insert(i, v)
            out = self.fun(*full_args, **d_kwargs, **static[1])
            out_flat, out_tree = tree_util.tree_flatten(out)
            store["tree"] = out_tree
            return out_flat
        closed = pe.trace_flat(flat_fun, list(avals))
        jaxpr, consts = pe.convert_constvars(closed)
        entry = (ClosedJaxpr(jaxpr, []), consts, store["tree"])
        if not any(isinstance(c, core.Tracer) for c in consts):
            self._cache[key] = entry    # closed-over tracers are valid only now
        return entry, flat

    def _split(self, args, kwargs):
        nargs = len(args)
        static_pos = {}
        for i in self.static_argnums:
            j = i if i >= 0 else i + nargs
            if 0 <= j < nargs:
                static_pos[j] = args[j]
        static_kw = {k: v for k, v in kwargs.items() if k in self.static_argnames}
        dyn_args = tuple(a for j, a in enumerate(args) if j not in static_pos)
        dyn_kwargs = {k: v for k, v in kwargs.items() if k not in static_kw}
        key_static = (tuple(sorted(static_pos.items())), tuple(sorted(static_kw.items())))
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

    def __call__(self, *args, **kwargs):
        if core.current_interpreter() is core.eval_interpreter:
            return self._call_concrete(args, kwargs)
        (closed, consts, out_tree), flat = self._trace(args, kwargs)
        outs = core.bind(jit_p, *consts, *flat, jaxpr=closed, name=self.name)
        return tree_util.tree_unflatten(out_tree, outs)

    def _call_concrete(self, args, kwargs):
        """The hot path with no transform active: one dict lookup keyed by the
        arguments' types, shapes and dtypes, then straight into native code."""
        static, dyn, key_static = self._split(args, kwargs)
        flat, in_tree = tree_util.tree_flatten(dyn)
        sig = _fast_signature(flat)
        key = (in_tree, sig, key_static)
        hit = self._fast_cache.get(key) if sig is not None else None
        if hit is None:
            (closed, consts, out_tree), flat = self._trace(args, kwargs)
            exe = _executable(closed, self.name)
            if exe is None or any(isinstance(c, core.Tracer) for c in consts):
                outs = core.bind(jit_p, *consts, *flat, jaxpr=closed, name=self.name)
                return tree_util.tree_unflatten(out_tree, outs)
            hit = (exe, consts, out_tree)
            if sig is not None:
                self._fast_cache[key] = hit
        exe, consts, out_tree = hit
        return tree_util.tree_unflatten(out_tree, exe(*consts, *flat))

    def lower(self, *args, **kwargs):
        (closed, consts, out_tree), flat = self._trace(args, kwargs)
        return Lowered(closed, consts, self.name)

    def trace(self, *args, **kwargs):
        return self.lower(*args, **kwargs)


_CANONICAL = frozenset(map(np.dtype, ["bool", "int32", "int64", "float32", "float64"]))


def _fast_signature(flat):
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

    def __init__(self, closed, consts, name):
        self.closed, self.consts, self.name = closed, consts, name

    @property
    def jaxpr(self):
        return self.closed

    def as_text(self):
        return str(self.closed)

    def compile(self):
        return Compiled(_executable(self.closed, self.name), self.consts)


class Compiled:
    """A compiled executable and every stage of it in text."""

    def __init__(self, exe, consts):
        self.executable, self.consts = exe, consts

    def as_text(self):
        return self.executable.as_text()

    def llvm_ir(self, optimized=True):
        return self.executable.llvm_ir(optimized=optimized)

    def asm(self):
        return self.executable.asm()

    def fusion_plan(self):
        return self.executable.fusion_plan()

    def __call__(self, *args):
        flat, _ = tree_util.tree_flatten(args)
        return self.executable(*self.consts, *flat)


def jit(fun=None, *, static_argnums=(), static_argnames=()):
    """Compile ``fun`` with the llvmlite back end; usable as a decorator."""
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames)
    if not callable(fun):
        raise TypeError(f"Expected a callable value, got {fun!r}")
    return Jitted(fun, static_argnums, static_argnames)

