"""custom_jvp and custom_vjp: user-supplied derivative rules.

Each is a primitive whose params hold the user's (flattened) Python
functions. Eagerly the function just runs; under jvp/linearize the user's rule
runs instead; under vmap all functions are vmapped; when staged, the primal
function is also traced into ``call_jaxpr`` so the compiler can inline it.
"""
import functools
import inspect

from jaxlite import core, dtypes, lax, tree_util
from jaxlite.core import Primitive
from jaxlite.interpreters import ad, batching, partial_eval as pe
from jaxlite.interpreters.ad import Zero
from jaxlite.ir import ClosedJaxpr
from jaxlite.tree_util import tree_flatten, tree_unflatten


def _split_nondiff(args, nondiff_argnums):
    nondiff = tuple(args[i] for i in nondiff_argnums)
    dyn = tuple(a for i, a in enumerate(args) if i not in nondiff_argnums)
    return nondiff, dyn


def _merge(nondiff_argnums, nondiff, dyn):
    out, nd, dy = [], iter(nondiff), iter(dyn)
    for i in range(len(nondiff) + len(dyn)):
        out.append(next(nd) if i in nondiff_argnums else next(dy))
    return out


def _signature(fun):
    # functools.partial's signature is opaque to JAX: its keywords never resolve.
    if isinstance(fun, functools.partial):
        return None
    try:
        return inspect.signature(fun)
    except (TypeError, ValueError):
        return None


def _n_positional(sig):
    """How many positional arguments make a call complete without binding
    (None when ``*args`` or a keyword-only parameter needs the general path)."""
    if sig is None:
        return None
    kinds = [p.kind for p in sig.parameters.values()]
    if any(k not in (inspect.Parameter.POSITIONAL_ONLY,
                     inspect.Parameter.POSITIONAL_OR_KEYWORD) for k in kinds):
        return None
    return len(kinds)


def _resolve_kwargs(sig, args, kwargs, what, name, n_positional=None):
    """The call's arguments as positional ones, bound to the function's
    signature with its defaults filled in (so rules see every argument), as JAX."""
    if not kwargs and len(args) == n_positional:
        return args          # the common call: nothing to bind
    try:
        if sig is None:
            if kwargs:
                raise TypeError("The following keyword arguments could not be resolved to "
                                f"positions: {', '.join(kwargs)}")
            return args
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        passed = [k for k in bound.kwargs if k in kwargs]    # keyword-only ones
        if passed:
            raise TypeError("The following keyword arguments could not be resolved to "
                            f"positions: {', '.join(passed)}")
    except TypeError as e:
        raise TypeError(f"The input arguments to the {what}-decorated function {name} could "
                        f"not be resolved to positional-only arguments. Binding failed with "
                        f"the error:\n{e}") from e
    return bound.args


def _type_str(aval):
    return f"{aval.dtype.name}[{','.join(map(str, aval.shape))}]"


def _check_jvp_outputs(p_out, t_out):
    """JAX's check of a custom_jvp rule: each float primal output's tangent has
    its shape and dtype (a Python scalar tangent may differ in width only).
    Returns the tangents; with x64 off, a 32/64-bit width mismatch is cast to
    the primal's dtype: JAX canonicalizes both to 32 bits there, so it never
    sees one (jaxlite keeps numpy's 64-bit arrays 64-bit)."""
    out = []
    for p, t in zip(p_out, t_out):
        pa, ta = core.get_aval(p), core.get_aval(t)
        if dtypes.is_inexact(pa.dtype) and pa.dtype != ta.dtype and pa.shape == ta.shape:
            if ta.weak_type and ta.dtype.kind == pa.dtype.kind:
                pass
            elif dtypes.same_without_x64(pa.dtype, ta.dtype):
                t = lax.convert_element_type(t, pa.dtype)
            else:
                _tangent_type_error(pa, ta)
        elif dtypes.is_inexact(pa.dtype) and pa.shape != ta.shape:
            _tangent_type_error(pa, ta)
        out.append(t)
    return out


def _tangent_type_error(pa, ta):
    raise TypeError(f"Custom JVP rule must produce primal and tangent outputs with "
                    f"corresponding shapes and dtypes. Expected {_type_str(pa)} "
                    f"(tangent type of {_type_str(pa)}) but got {_type_str(ta)}.")


def _trace_call_jaxpr(avals, params):
    """Stage the primal function too, so compiled code can inline it."""
    if "call_jaxpr" in params:
        return params
    closed = pe.trace_flat(params["fun"], avals)
    return dict(params, call_jaxpr=closed)


def _out_avals(*avals, call_jaxpr, **_):
    return call_jaxpr.out_avals


def _batched(fun, axis_size, dims):
    """``fun`` vmapped over inputs with batch dims ``dims``, outputs at dim 0."""
    def f(*args):
        outs, out_dims = batching.vmap_flat(lambda *xs: list(fun(*xs)), axis_size,
                                            list(args), dims)
        return [batching.move_to(o, d, 0, axis_size) for o, d in zip(outs, out_dims)]
    f.__name__ = f"vmap_{getattr(fun, '__name__', 'fun')}"
    return f


# ------------------------------------------------------------- custom_jvp

custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True, kind=core.CALL)
custom_jvp_call_p.impl_runs_python = True
core.impl_rules[custom_jvp_call_p] = lambda *args, fun, jvp, **_: fun(*args)
core.abstract_eval_rules[custom_jvp_call_p] = _out_avals
pe.staging_param_rules[custom_jvp_call_p] = _trace_call_jaxpr


def _custom_jvp_call_jvp(primals, tangents, fun, jvp, **_):
    outs = jvp(list(primals), [ad.instantiate(t) for t in tangents])
    n = len(outs) // 2
    return outs[:n], outs[n:]


def _custom_jvp_call_batch(axis_size, vals, dims, fun, jvp, **_):
    n = len(vals)
    bjvp_flat = _batched(lambda *pt: jvp(list(pt[:n]), list(pt[n:])), axis_size,
                         list(dims) * 2)
    outs = core.bind(custom_jvp_call_p, *vals, fun=_batched(fun, axis_size, dims),
                     jvp=lambda p, t: bjvp_flat(*p, *t))
    return outs, [0] * len(outs)


ad.jvp_rules[custom_jvp_call_p] = _custom_jvp_call_jvp
batching.batch_rules[custom_jvp_call_p] = _custom_jvp_call_batch


class custom_jvp:
    """A function with a custom forward-mode rule (reverse mode follows by transposition).

    >>> @custom_jvp
    ... def f(x): return jnp.sin(x)
    >>> @f.defjvp
    ... def f_jvp(primals, tangents): (x,), (t,) = primals, tangents; return f(x), jnp.cos(x) * t
    """

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun, self.nondiff_argnums, self.jvp = fun, tuple(nondiff_argnums), None
        self._sig = _signature(fun)
        self._npos = _n_positional(self._sig)

    def defjvp(self, jvp):
        self.jvp = jvp
        return jvp

    def defjvps(self, *jvps):
        """One ``jvp(g, ans, *args)`` per argument, as in JAX."""
        def rule(primals, tangents):
            ans = self(*primals)
            out = None
            for fn, t in zip(jvps, tangents):
                if fn is None:
                    continue
                contrib = fn(t, ans, *primals)
                out = contrib if out is None else tree_util.tree_map(
                    lambda a, b: a + b, out, contrib)
            return ans, out
        self.jvp = rule

    def __call__(self, *args, **kwargs):
        if self.jvp is None:
            raise AttributeError(f"No JVP defined for custom_jvp function "
                                 f"{self.fun.__name__} using defjvp.")
        args = _resolve_kwargs(self._sig, args, kwargs, "custom_jvp",
                               getattr(self.fun, "__name__", "fun"), self._npos)
        nd_nums = self.nondiff_argnums
        nondiff, dyn = _split_nondiff(args, nd_nums)
        flat, in_tree = tree_flatten(dyn)
        store = {}

        def flat_fun(*xs):
            out = self.fun(*_merge(nd_nums, nondiff, tree_unflatten(in_tree, xs)))
            flat_out, store["tree"] = tree_flatten(out)
            return flat_out

        def flat_jvp(primals, tangents):
            p = tree_unflatten(in_tree, primals)
            t = tree_unflatten(in_tree, tangents)
            res = self.jvp(*nondiff, tuple(p), tuple(t))
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise TypeError(f"custom_jvp rule of {self.fun.__name__} must return a pair "
                                f"(primal_out, tangent_out)")
            p_out, p_tree = tree_flatten(res[0])
            t_out, t_tree = tree_flatten(res[1])
            if p_tree != t_tree:
                raise TypeError(f"custom_jvp rule of {self.fun.__name__} returned primal and "
                                f"tangent outputs with different structures: {p_tree} and "
                                f"{t_tree}")
            t_out = _check_jvp_outputs(p_out, t_out)
            store["tree"] = p_tree
            return p_out + t_out
        flat_fun.__name__ = getattr(self.fun, "__name__", "fun")
        flat_jvp.__name__ = getattr(self.jvp, "__name__", "jvp")
        outs = core.bind(custom_jvp_call_p, *flat, fun=flat_fun, jvp=flat_jvp)
        return tree_unflatten(store["tree"], outs)


# ------------------------------------------------------------- custom_vjp

custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True, kind=core.CALL)
custom_vjp_call_p.impl_runs_python = True
core.impl_rules[custom_vjp_call_p] = lambda *args, fun, fwd, bwd, **_: fun(*args)
core.abstract_eval_rules[custom_vjp_call_p] = _out_avals
pe.staging_param_rules[custom_vjp_call_p] = _trace_call_jaxpr

# custom_lin: the tangent map of a custom_vjp function, known only by its transpose.
custom_lin_p = Primitive("custom_lin", multiple_results=True, kind=core.CALL)


def _custom_lin_impl(*args, num_res, bwd, out_avals):
    raise TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function.")


def _custom_lin_transpose(cts, *args, num_res, bwd, out_avals):
    res = args[:num_res]
    cts = [ad.instantiate(c) for c in cts]
    cts_in = bwd(list(res), cts)
    return [None] * num_res + list(cts_in)


core.impl_rules[custom_lin_p] = _custom_lin_impl
core.abstract_eval_rules[custom_lin_p] = lambda *avals, num_res, bwd, out_avals: list(out_avals)
ad.transpose_rules[custom_lin_p] = _custom_lin_transpose


def _custom_vjp_call_jvp(primals, tangents, fun, fwd, bwd, **_):
    outs, res = fwd(*primals)
    out_avals = tuple(core.get_aval(o) for o in outs)
    if all(type(t) is Zero for t in tangents):
        return outs, [Zero(a) for a in out_avals]
    t_out = core.bind(custom_lin_p, *res, *[ad.instantiate(t) for t in tangents],
                      num_res=len(res), bwd=bwd, out_avals=out_avals)
    return outs, t_out


def _custom_vjp_call_batch(axis_size, vals, dims, fun, fwd, bwd, **_):
    n_out = []

    def fwd_flat(*xs):
        outs, res = fwd(*xs)
        n_out.append(len(outs))
        return list(outs) + list(res)
    bfwd_flat = _batched(fwd_flat, axis_size, list(dims))

    def bfwd(*xs):
        o = bfwd_flat(*xs)
        return o[:n_out[-1]], o[n_out[-1]:]

    def bbwd(res, cts):
        f = _batched(lambda *rc: bwd(list(rc[:len(res)]), list(rc[len(res):])), axis_size,
                     [0] * (len(res) + len(cts)))
        return f(*res, *cts)
    outs = core.bind(custom_vjp_call_p, *vals, fun=_batched(fun, axis_size, dims),
                     fwd=bfwd, bwd=bbwd)
    return outs, [0] * len(outs)


ad.jvp_rules[custom_vjp_call_p] = _custom_vjp_call_jvp
batching.batch_rules[custom_vjp_call_p] = _custom_vjp_call_batch


def _check_bwd_leaf(name, i, ct_aval, primal_aval, path=""):
    # A wrong-shaped cotangent would otherwise come back as the "gradient" of
    # an input of another shape, or be broadcast silently into later sums.
    if ct_aval.shape != primal_aval.shape:
        raise ValueError(f"Custom VJP bwd rule must produce an output with the same type as "
                         f"the args tuple of the primal function, but at output{path} the "
                         f"bwd rule produced an output of type {_type_str(ct_aval)} "
                         f"corresponding to an input of type {_type_str(primal_aval)}")
    if dtypes.is_float(primal_aval.dtype) and not dtypes.is_float(ct_aval.dtype):
        raise TypeError(f"Custom VJP bwd rule of {name} produced a cotangent of dtype "
                        f"{ct_aval.dtype.name} for primal input leaf {i} of dtype "
                        f"{primal_aval.dtype.name}: a floating input needs a floating "
                        f"cotangent")


class custom_vjp:
    """A function with a custom reverse-mode rule: ``f.defvjp(fwd, bwd)`` where
    ``fwd(*args) -> (out, residuals)`` and ``bwd(*nondiff, residuals, g) -> cotangents``
    (a tuple with one entry per differentiable argument)."""

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun, self.nondiff_argnums = fun, tuple(nondiff_argnums)
        self.fwd = self.bwd = None
        self._sig = _signature(fun)
        self._npos = _n_positional(self._sig)

    def defvjp(self, fwd, bwd):
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args, **kwargs):
        if self.fwd is None:
            raise AttributeError(f"No VJP defined for custom_vjp function "
                                 f"{self.fun.__name__} using defvjp.")
        args = _resolve_kwargs(self._sig, args, kwargs, "custom_vjp",
                               getattr(self.fun, "__name__", "fun"), self._npos)
        nd_nums = self.nondiff_argnums
        nondiff, dyn = _split_nondiff(args, nd_nums)
        flat, in_tree = tree_flatten(dyn)
        store = {}
        name = getattr(self.fun, "__name__", "fun")

        def flat_fun(*xs):
            out = self.fun(*_merge(nd_nums, nondiff, tree_unflatten(in_tree, xs)))
            flat_out, store["tree"] = tree_flatten(out)
            return flat_out

        def flat_fwd(*xs):
            res = self.fwd(*_merge(nd_nums, nondiff, tree_unflatten(in_tree, xs)))
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise TypeError(f"custom_vjp fwd rule of {name} must return a pair "
                                f"(output, residuals)")
            out, r = res
            flat_out, store["tree"] = tree_flatten(out)
            flat_res, store["res_tree"] = tree_flatten(r)
            return flat_out, flat_res

        def flat_bwd(res, cts):
            r = tree_unflatten(store["res_tree"], res)
            g = tree_unflatten(store["tree"], cts)
            cts_in = self.bwd(*nondiff, r, g)
            if not isinstance(cts_in, (tuple, list)):
                raise TypeError(f"custom_vjp bwd rule of {name} must return a tuple with "
                                f"one cotangent per differentiable argument, got "
                                f"{type(cts_in).__name__}")
            # None stands for a zero cotangent of a whole argument or leaf.
            flat_ct, ct_tree = tree_flatten(tuple(cts_in), is_leaf=lambda c: c is None)
            if ct_tree != in_tree:
                raise TypeError(f"Custom VJP bwd rule of {name} must produce an output with "
                                f"the same container (pytree) structure as the args tuple "
                                f"of the primal function: expected {in_tree}, got {ct_tree}")
            paths = [tree_util.keystr(k) for k, _ in tree_util.tree_flatten_with_path(dyn)[0]]
            for i, (c, x) in enumerate(zip(flat_ct, flat)):
                if c is not None and type(c) is not Zero:
                    _check_bwd_leaf(name, i, core.get_aval(c), core.get_aval(x), paths[i])
            return [ad.instantiate(c) if type(c) is Zero else
                    (c if c is not None else ad.zeros_like_aval(core.get_aval(x)))
                    for c, x in zip(flat_ct, flat)]
        flat_fun.__name__ = name
        outs = core.bind(custom_vjp_call_p, *flat, fun=flat_fun, fwd=flat_fwd, bwd=flat_bwd)
        return tree_unflatten(store["tree"], outs)


# ---------------------------------------------------------- custom_gradient

class _GradRule:
    """custom_gradient's residuals: the traced gradient rule, whose constants
    are the pytree children (they flow through transforms like any residual)
    and whose jaxpr and trees are static aux data."""

    def __init__(self, closed, in_tree, out_tree):
        self.closed, self.in_tree, self.out_tree = closed, in_tree, out_tree


tree_util.register_pytree_node(
    _GradRule,
    lambda r: (r.closed.consts, (r.closed.jaxpr, r.in_tree, r.out_tree)),
    lambda aux, consts: _GradRule(ClosedJaxpr(aux[0], list(consts)), aux[1], aux[2]))


def custom_gradient(fun):
    """JAX's custom_gradient: ``fun(*args)`` returns ``(out, rule)`` where
    ``rule(g)`` gives the cotangents of the arguments (a tuple, or one value
    for one argument). Built on custom_vjp: the rule is traced in the forward
    pass and its closed-over values become the residuals."""
    @custom_vjp
    def wrapped(*args, **kwargs):
        return fun(*args, **kwargs)[0]

    def fwd(*args, **kwargs):
        ans, rule = fun(*args, **kwargs)
        ans_flat, out_tree = tree_flatten((ans,))
        store = {}

        def flat_rule(*cts):
            flat, store["tree"] = tree_flatten(rule(*tree_unflatten(out_tree, cts)))
            return flat
        closed = pe.trace_flat(flat_rule, [core.get_aval(x) for x in ans_flat],
                               what="custom_gradient rule")
        return ans, _GradRule(closed, store["tree"], out_tree)

    def bwd(res, cts):
        cts_flat, tree = tree_flatten((cts,))
        if tree != res.out_tree:
            raise TypeError(f"{res.out_tree}\n!=\n{tree}")
        out = tree_unflatten(res.in_tree, res.closed(*cts_flat))
        return (out,) if tree_util.treedef_is_leaf(res.in_tree) else out

    wrapped.defvjp(fwd, bwd)
    functools.update_wrapper(wrapped, fun)
    return wrapped
