"""pure_callback and io_callback: Python functions called from (possibly
compiled) programs, returning arrays of declared shapes and dtypes, as JAX's.

Each call site registers its function under an integer id, the primitive's
``callback`` param. The primitives' impl calls the function eagerly; under
jit the compiler emits a call back into Python (compiler/callback.py) which
runs ``run`` with the inputs' values and copies the results into the
program's buffers. Any error is JAX's JaxRuntimeError caused by the original
exception. Compiled, it cannot unwind through native code: it is kept
(``keep_error``) and raised when the compiled program returns (``raise_kept``).
Like debug_callback, both primitives take a leading token operand and give a
trailing token result, so that a call with no operands or no results is
still a kernel with an input and an output; the functions here hide them.

``pure_callback`` may be dropped when its results are unused, and is
batched as ``vmap_method`` says; ``io_callback`` is effectful (never
dropped). Neither has derivatives (JAX's ValueError): wrap them in
``custom_jvp``/``custom_vjp``.
"""
import itertools
import threading

import numpy as np

from jaxlite import _config, core, ir, lax, tree_util
from jaxlite.interpreters import ad, batching

__all__ = ["pure_callback", "io_callback"]

_registry = {}      # id -> (function, treedef of its (args, kwargs))
_TOKEN = core.ShapedArray((), np.dtype(np.bool_))
_ids = itertools.count()
_kept = threading.local()
VMAP_METHODS = ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all",
                "legacy_vectorized", None)
# A returned 64-bit value narrows to its declared 32-bit dtype when x64 is off
# (JAX canonicalizes a callback's results before checking them).
_NARROWS = {np.dtype(np.float64): np.dtype(np.float32), np.dtype(np.int64): np.dtype(np.int32),
            np.dtype(np.uint64): np.dtype(np.uint32),
            np.dtype(np.complex128): np.dtype(np.complex64)}


def run(callback_id, arrays, result_avals):
    """Call callback ``callback_id`` on ``arrays`` (its flat operands); its results
    as numpy arrays of ``result_avals``. Whatever goes wrong, the callback raising or
    results not matching (a RuntimeError with JAX's text), is raised as JAX raises it:
    a JaxRuntimeError, the original exception its cause."""
    try:
        return _run(callback_id, arrays, result_avals)
    except Exception as exc:
        raise core.JaxRuntimeError(f"{type(exc).__name__}: {exc}") from exc


def _run(callback_id, arrays, result_avals):
    fn, treedef = _registry[callback_id]
    args, kwargs = tree_util.tree_unflatten(treedef, [core.wrap(np.asarray(a)) for a in arrays])
    outs = tree_util.tree_leaves(fn(*args, **kwargs))
    if len(outs) != len(result_avals):
        raise RuntimeError("Mismatched number of outputs from callback. "
                           f"Expected: {len(result_avals)}, Actual: {len(outs)}")
    return [_checked(i, np.asarray(o), aval) for i, (o, aval) in enumerate(zip(outs, result_avals))]


def _checked(i, out, aval):
    if out.shape != aval.shape:
        raise RuntimeError(f"Incorrect output shape for return value #{i}: "
                           f"Expected: {aval.shape}, Actual: {out.shape}")
    if out.dtype != aval.dtype:
        if _config.x64.value or _NARROWS.get(out.dtype) != aval.dtype:
            raise RuntimeError(f"Incorrect output dtype for return value #{i}: "
                               f"Expected: {aval.dtype}, Actual: {out.dtype}")
        out = out.astype(aval.dtype)
    return out


def keep_error(exc):
    """Remember an exception raised by a callback inside compiled code (this thread)."""
    if getattr(_kept, "error", None) is None:
        _kept.error = exc


def raise_kept():
    """Raise the first callback exception kept during the compiled call that just
    returned on this thread, if any."""
    exc = getattr(_kept, "error", None)
    if exc is not None:
        _kept.error = None
        raise exc


def _register(callback, args, kwargs):
    flat, treedef = tree_util.tree_flatten((args, kwargs))
    callback_id = next(_ids)
    _registry[callback_id] = (callback, treedef)
    return callback_id, flat


def _result_avals(result_shape_dtypes):
    leaves, out_tree = tree_util.tree_flatten(result_shape_dtypes)
    avals = []
    for leaf in leaves:
        if not (hasattr(leaf, "shape") and hasattr(leaf, "dtype")):
            raise TypeError("result_shape_dtypes must be a pytree of values with shape and "
                            f"dtype attributes (such as jax.ShapeDtypeStruct), got {leaf!r}")
        avals.append(core.ShapedArray(leaf.shape, np.dtype(leaf.dtype)))
    return tuple(avals), out_tree


def pure_callback(callback, result_shape_dtypes, *args, sharding=None, vmap_method=None,
                  **kwargs):
    """``callback(*args, **kwargs)`` on the arrays' values, as a pure function whose
    results match ``result_shape_dtypes`` (a pytree of ``ShapeDtypeStruct``-like
    leaves). Works eagerly and under jit, vmap (see ``vmap_method``) and the
    other transforms except differentiation."""
    if vmap_method not in VMAP_METHODS:
        raise ValueError(f"vmap_method must be one of the allowed methods {list(VMAP_METHODS)}, "
                         f"but got: {vmap_method}")
    avals, out_tree = _result_avals(result_shape_dtypes)
    callback_id, flat = _register(callback, args, kwargs)
    outs = core.bind(pure_callback_p, _token(), *flat, callback=callback_id,
                     result_avals=avals, vmap_method=vmap_method)[:-1]
    _forget_if_eager(callback_id, outs)
    return tree_util.tree_unflatten(out_tree, outs)


def io_callback(callback, result_shape_dtypes, *args, sharding=None, ordered=False, **kwargs):
    """``callback(*args, **kwargs)``, a function with side effects, whose results
    match ``result_shape_dtypes``: run at every call, never dropped (in program
    order, as every effect in jaxlite's sequential programs)."""
    avals, out_tree = _result_avals(result_shape_dtypes)
    callback_id, flat = _register(callback, args, kwargs)
    outs = core.bind(io_callback_p, _token(), *flat, callback=callback_id,
                     result_avals=avals, ordered=bool(ordered))[:-1]
    _forget_if_eager(callback_id, outs)
    return tree_util.tree_unflatten(out_tree, outs)


def _forget_if_eager(callback_id, outs):
    """Drop the registration of a call that already ran (concrete results): no
    staged program refers to it, and eager calls in a loop must not pile up."""
    if isinstance(core.current.interp, core.EvalInterpreter) and \
            not any(isinstance(o, core.Tracer) for o in outs):
        del _registry[callback_id]


def _token():
    return np.zeros((), np.bool_)


def _impl(token, *arrays, callback, result_avals, **_):
    return run(callback, arrays, result_avals) + [_token()]


def _abstract_eval(token, *avals, result_avals, **_):
    return list(result_avals) + [_TOKEN]


def _no_jvp(message):
    def rule(primals, tangents, **params):
        raise ValueError(message)
    return rule


def _batched(axis_size, avals):
    return tuple(core.ShapedArray((axis_size,) + a.shape, a.dtype) for a in avals)


def _sequential(prim, axis_size, vals, dims, unroll, params):
    """One call per batch element: a ``lax.map`` (a loop), or unrolled. ``vals``
    without the token; the results without it."""
    vals = [v if d is None else batching.moveaxis(v, d, 0) for v, d in zip(vals, dims)]

    def one(i_or_xs):
        it = iter(i_or_xs)
        args = [v if d is None else next(it) for v, d in zip(vals, dims)]
        return core.bind(prim, _token(), *args, **params)[:-1]
    batched = [v for v, d in zip(vals, dims) if d is not None]
    if not unroll:
        return lax.map(one, batched)
    rows = [one([lax.index_in_dim(v, i, 0, keepdims=False) for v in batched])
            for i in range(axis_size)]
    return [lax.concatenate([lax.expand_dims(r[k], (0,)) for r in rows], 0)
            for k in range(len(params["result_avals"]))]


def _with_token(batch):
    """A batch rule over the operands and results without the tokens."""
    def rule(axis_size, vals, dims, **params):
        outs, out_dims = batch(axis_size, vals[1:], dims[1:], **params)
        return outs + [_token()], out_dims + [None]
    return rule


def _pure_batch(axis_size, vals, dims, *, callback, result_avals, vmap_method):
    params = dict(callback=callback, result_avals=result_avals, vmap_method=vmap_method)
    if vmap_method is None:
        raise NotImplementedError(
            "vmap is only supported for the pure_callback primitive when vmap_method is one "
            "of 'sequential', 'sequential_unrolled', 'expand_dims', 'broadcast_all', or "
            "'legacy_vectorized': pass vmap_method= to jax.pure_callback")
    if vmap_method.startswith("sequential"):
        outs = _sequential(pure_callback_p, axis_size, vals, dims,
                           vmap_method == "sequential_unrolled", params)
    else:
        vals = [v if d is None else batching.moveaxis(v, d, 0) for v, d in zip(vals, dims)]
        if vmap_method != "legacy_vectorized":
            size = axis_size if vmap_method == "broadcast_all" else 1
            vals = [v if d is not None else batching.move_to(v, None, 0, size)
                    for v, d in zip(vals, dims)]
        params["result_avals"] = _batched(axis_size, result_avals)
        outs = core.bind(pure_callback_p, _token(), *vals, **params)[:-1]
    return list(outs), [0] * len(outs)


def _io_batch(axis_size, vals, dims, *, callback, result_avals, ordered):
    if ordered:
        raise ValueError("Cannot `vmap` ordered IO callback.")
    params = dict(callback=callback, result_avals=result_avals, ordered=False)
    outs = _sequential(io_callback_p, axis_size, vals, dims, False, params)
    return list(outs), [0] * len(outs)


pure_callback_p = core.Primitive("pure_callback", multiple_results=True, kind=core.KERNEL,
                                 cost=core.COSTLY)
io_callback_p = core.Primitive("io_callback", multiple_results=True, kind=core.KERNEL,
                               cost=core.COSTLY)
for _p in (pure_callback_p, io_callback_p):
    core.impl_rules[_p] = _impl
    core.abstract_eval_rules[_p] = _abstract_eval
ir.effectful.add(io_callback_p)
ad.jvp_rules[pure_callback_p] = _no_jvp(
    "Pure callbacks do not support JVP. Please use `jax.custom_jvp` to use callbacks "
    "while taking gradients.")
ad.jvp_rules[io_callback_p] = _no_jvp("IO callbacks do not support JVP.")
batching.batch_rules[pure_callback_p] = _with_token(_pure_batch)
batching.batch_rules[io_callback_p] = _with_token(_io_batch)
