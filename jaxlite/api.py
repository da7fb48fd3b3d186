"""The public transforms: validation and pytree flattening around the flat
interpreters in jaxlite.interpreters."""
import functools

import numpy as np

from jaxlite import core, dtypes, lax, tree_util
from jaxlite.interpreters import ad, batching, partial_eval as pe
from jaxlite.interpreters.ad import Zero
from jaxlite.ir import ClosedJaxpr
from jaxlite.stages import ShapeDtypeStruct, abstract_aval
from jaxlite.tree_util import tree_flatten, tree_unflatten, tree_map


def _check_leaf(x, what):
    try:
        core.get_aval(x)
    except TypeError:
        raise TypeError(f"{what} must be an array, a Python scalar or a tracer, "
                        f"got {type(x).__name__}: {x!r}") from None


def _instantiate(t):
    return ad.instantiate(t) if type(t) is Zero else t


def _flat_fun(f, in_tree, out_store, has_aux=False, what="function"):
    """``f`` over a pytree as a function of flat leaves returning flat leaves.
    ``out_store`` receives the output tree (and aux, when has_aux)."""
    def flat_f(*flat_args):
        out = f(*tree_unflatten(in_tree, flat_args))
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                got = (f"a {type(out).__name__} of length {len(out)}"
                       if isinstance(out, (tuple, list)) else
                       f"{type(out).__name__}" if not isinstance(out, core.Tracer) else
                       f"a single array of shape {out.aval.shape}")
                raise TypeError(f"{what} with has_aux=True must return a pair (output, aux), "
                                f"got {got}")
            out, aux = out
            out_store["aux"] = aux
        flat_out, out_tree = tree_flatten(out)
        for o in flat_out:
            _check_leaf(o, f"{what} output")
        out_store["tree"] = out_tree
        return flat_out
    return flat_f


def _strip_aux(aux, interp):
    """Aux outputs leave a transform as their primal values."""
    def strip(x):
        while isinstance(x, ad.JVPTracer) and x._interp is interp:
            x = x.primal
        return x
    return tree_map(strip, aux)


# ------------------------------------------------------------------ make_jaxpr

def make_jaxpr(fun, static_argnums=(), return_shape=False):
    """``make_jaxpr(f)(*args)`` returns the ClosedJaxpr of ``f`` at ``args``' shapes
    (arguments may be ShapeDtypeStructs); with ``return_shape``, also the output
    pytree of ShapeDtypeStructs."""
    static_argnums = _normalize_static(static_argnums)

    @functools.wraps(fun)
    def make(*args, **kwargs):
        dyn_args, rebuild = _split_static(args, static_argnums)
        flat, in_tree = tree_flatten((dyn_args, kwargs))
        avals = []
        for i, x in enumerate(flat):
            if isinstance(x, ShapeDtypeStruct):
                avals.append(x.aval)
                continue
            _check_leaf(x, f"make_jaxpr argument leaf {i}")
            avals.append(core.get_aval(x))
        store = {}

        def g(*dyn_and_kw):
            d, kw = dyn_and_kw
            return fun(*rebuild(d), **kw)
        closed = pe.trace_flat(_flat_fun(g, in_tree, store), avals, what="make_jaxpr")
        if return_shape:
            shapes = [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                      for a in closed.out_avals]
            return closed, tree_unflatten(store["tree"], shapes)
        return closed
    return make


def _normalize_static(static_argnums):
    if isinstance(static_argnums, int):
        return (static_argnums,)
    return tuple(static_argnums)


def _split_static(args, static_argnums):
    nargs = len(args)
    static = {}
    for i in static_argnums:
        j = i if i >= 0 else i + nargs
        if not 0 <= j < nargs:
            raise ValueError(f"static_argnums {i} is out of range for {nargs} positional "
                             f"arguments")
        static[j] = args[j]
    dyn = tuple(a for j, a in enumerate(args) if j not in static)

    def rebuild(dyn_args):
        it = iter(dyn_args)
        return tuple(static[j] if j in static else next(it) for j in range(nargs))
    return dyn, rebuild


def block_until_ready(x):
    return x


# ------------------------------------------------------------------------- jvp

def jvp(fun, primals, tangents, has_aux=False):
    """Forward mode: ``(fun(*primals), J @ tangents)``."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp primal and tangent arguments must be tuples or lists; found "
                        f"{type(primals).__name__} and {type(tangents).__name__}")
    flat_p, in_tree = tree_flatten(tuple(primals))
    flat_t, t_tree = tree_flatten(tuple(tangents))
    if in_tree != t_tree:
        raise TypeError(f"jvp: primal and tangent arguments must have the same tree "
                        f"structure; got {in_tree} and {t_tree}")
    for p, t in zip(flat_p, flat_t):
        _check_leaf(p, "jvp primal")
        pa, ta = core.get_aval(p), core.get_aval(t)
        if pa.shape != ta.shape:
            raise TypeError(f"jvp: primal and tangent shapes must match, got primal "
                            f"{pa.shape} and tangent {ta.shape}")
        # A weak-typed tangent (a Python scalar) may differ in width, not in kind:
        # an int tangent for a float primal would flow into the float rules. A
        # float32/float64 pair is one dtype to JAX with x64 off (see _x64_tangent).
        if dtypes.is_inexact(pa.dtype) and not dtypes.same_without_x64(pa.dtype, ta.dtype) \
                and not (ta.weak_type and ta.dtype.kind == pa.dtype.kind):
            raise TypeError(f"primal and tangent arguments to jaxlite.jvp do not match; "
                            f"dtypes must be equal, or in case of int/bool primal dtype the "
                            f"tangent dtype must be float0.Got primal dtype {pa.dtype.name} "
                            f"and so expected tangent dtype {pa.dtype.name}, but got tangent "
                            f"dtype {ta.dtype.name} instead.")
    flat_t = [_x64_tangent(p, t) if dtypes.is_inexact(core.get_aval(p).dtype)
              else Zero(core.get_aval(p)) for p, t in zip(flat_p, flat_t)]
    store = {}
    interp_box = []

    def f(*xs):
        interp_box.append(core.current_interpreter())
        return _flat_fun(fun, in_tree, store, has_aux, "jvp function")(*xs)
    p_out, t_out = ad.jvp_flat(f, flat_p, flat_t)
    tree = store["tree"]
    out = (tree_unflatten(tree, p_out), tree_unflatten(tree, [_instantiate(t) for t in t_out]))
    if has_aux:
        return out + (_strip_aux(store["aux"], interp_box[0]),)
    return out


def _x64_tangent(p, t):
    """``t`` in ``p``'s dtype when they differ only as float32/float64 with x64
    off (JAX would have narrowed both; jaxlite keeps numpy's 64-bit arrays)."""
    pa, ta = core.get_aval(p), core.get_aval(t)
    if pa.dtype != ta.dtype and not ta.weak_type and dtypes.same_without_x64(pa.dtype, ta.dtype):
        return lax.convert_element_type(t, pa.dtype)
    return t


def linearize(fun, *primals):
    """``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` evaluates the staged
    linear map."""
    flat_p, in_tree = tree_flatten(primals)
    store = {}
    p_out, lin = ad.linearize_flat(_flat_fun(fun, in_tree, store), flat_p)
    out_tree = store["tree"]

    def f_jvp(*tangents):
        flat_t, t_tree = tree_flatten(tangents)
        if t_tree != in_tree:
            raise TypeError(f"linearized function expects tangents with structure {in_tree}, "
                            f"got {t_tree}")
        return tree_unflatten(out_tree, [_instantiate(t) for t in lin(*flat_t)])
    return tree_unflatten(out_tree, p_out), f_jvp


def linear_transpose(fun, *primals):
    """The transpose of the linear function ``fun`` at arguments shaped like
    ``primals`` (arrays or ShapeDtypeStructs): ``f_t(out_ct)`` returns the tuple
    of input cotangents (a ``tree_util.Partial``, as JAX's). ``fun`` is
    linearized at zeros, so its linear part is what is transposed: an affine
    ``fun`` drops its constant, and a nonlinear one is not detected (JAX
    raises for it)."""
    flat, in_tree = tree_flatten(primals)
    in_avals = [abstract_aval(x) for x in flat]
    zeros = [np.zeros(a.shape, a.dtype).view(core.Array) for a in in_avals]
    store = {}
    p_out, lin = ad.linearize_flat(_flat_fun(fun, in_tree, store), zeros)
    out_tree, out_avals = store["tree"], [core.get_aval(o) for o in p_out]
    kinds = {a.dtype.kind for a in in_avals + out_avals}
    if not kinds <= {"f", "c"}:
        names = [a.dtype.name for a in in_avals], [a.dtype.name for a in out_avals]
        raise TypeError(f"linear_transpose: jaxlite supports [float or complex] -> [float or "
                        f"complex] functions, got {names[0]} -> {names[1]}")

    def transposed(out_cotangent):
        cts, tree = tree_flatten(out_cotangent)
        if tree != out_tree:
            raise TypeError(f"cotangent tree does not match function output, expected "
                            f"{out_tree} but got {tree}")
        got = [core.get_aval(c) for c in cts]
        if any(g.shape != a.shape or g.dtype != a.dtype for g, a in zip(got, out_avals)):
            raise TypeError(f"cotangent type does not match function output, expected "
                            f"{out_avals} but got {got}")
        return tree_unflatten(in_tree, [_instantiate(c) for c in lin.transpose(cts)])
    return tree_util.Partial(transposed)


def closure_convert(fun, *example_args):
    """``(converted, consts)``: ``converted(*args, *consts)`` computes
    ``fun(*args)`` with the closed-over values that a transform may perturb
    (floating tracers) hoisted into ``consts``, explicit arguments, as JAX's
    (for custom_vjp functions that must not close over such values)."""
    flat, in_tree = tree_flatten(example_args)
    store = {}
    closed = pe.trace_flat(_flat_fun(fun, in_tree, store),
                           [abstract_aval(x) for x in flat], what="closure_convert")
    out_tree, consts = store["tree"], list(closed.consts)
    hoist = [isinstance(c, core.Tracer) and dtypes.is_inexact(core.get_aval(c).dtype)
             for c in consts]
    hoisted = [c for c, h in zip(consts, hoist) if h]

    def converted(*args_and_consts):
        n = len(args_and_consts) - len(hoisted)
        args, new = args_and_consts[:n], iter(args_and_consts[n:])
        flat_args, tree = tree_flatten(tuple(args))
        if tree != in_tree:
            raise TypeError(f"closure_convert: the converted function takes arguments with "
                            f"structure {in_tree}, got {tree}")
        cs = [next(new) if h else c for c, h in zip(consts, hoist)]
        return tree_unflatten(out_tree, ClosedJaxpr(closed.jaxpr, cs)(*flat_args))
    return converted, hoisted


# ------------------------------------------------------------------------- vjp

def vjp(fun, *primals, has_aux=False):
    """``(fun(*primals), vjp_fn)``; ``vjp_fn(ct)`` returns one cotangent per primal."""
    return _vjp(fun, primals, has_aux, "vjp")


def _vjp(fun, primals, has_aux, what):
    # ``what`` names the user's entry point (vjp, grad...) in error messages.
    flat_p, in_tree = tree_flatten(primals)
    for i, p in enumerate(flat_p):
        _check_leaf(p, f"{what} primal leaf {i}")
    store = {}
    flat_f = _flat_fun(fun, in_tree, store, has_aux, f"{what} function")
    interp_box = []

    def f(*xs):
        interp_box.append(core.current_interpreter())
        return flat_f(*xs)
    p_out, lin = ad.linearize_flat(f, flat_p)
    out_tree = store["tree"]
    out_avals = lin.out_avals

    def vjp_fn(ct):
        flat_ct, ct_tree = tree_flatten(ct)
        if ct_tree != out_tree:
            raise TypeError(f"vjp cotangent must have the structure of the primal output "
                            f"{out_tree}, got {ct_tree}")
        for i, (c, a) in enumerate(zip(flat_ct, out_avals)):
            ca = core.get_aval(c)
            if ca.shape != a.shape or (ca.dtype != a.dtype and ca.dtype.kind != a.dtype.kind):
                raise ValueError(f"unexpected type for the vjp cotangent (output {i}): got "
                                 f"{ca.str_short()} of shape {ca.shape}, but the function's "
                                 f"output has type {a.str_short()} of shape {a.shape}")
            if ca.dtype != a.dtype:
                # Another float width (a Python scalar, a float64 numpy array for a
                # float32 output, which JAX would have narrowed) takes the output's dtype.
                flat_ct[i] = lax.convert_element_type(c, a.dtype)
        cts = lin.transpose(flat_ct)
        cts = [_instantiate(c) for c in cts]
        return tree_unflatten(in_tree, cts)

    out = tree_unflatten(out_tree, p_out)
    if has_aux:
        return out, vjp_fn, _strip_aux(store["aux"], interp_box[0])
    return out, vjp_fn


# ------------------------------------------------------------------------ grad

def _check_argnums(argnums, nargs, what):
    if isinstance(argnums, (int, np.integer)):
        nums = (argnums,)
    elif isinstance(argnums, (tuple, list)):
        nums = tuple(argnums)
    else:
        raise TypeError(f"{what} argnums must be an int or a tuple of ints, got {argnums!r}")
    for a in nums:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{what} argnums must be ints, got {a!r}")
        if not -nargs <= a < nargs:
            raise ValueError(f"{what}: argnums {a} is out of range for a function called "
                             f"with {nargs} positional arguments")
    norm = tuple(int(a) % nargs for a in nums)
    if len(set(norm)) != len(norm):
        # The same argument twice would get its derivative in one slot only.
        raise ValueError(f"{what}: argnums {argnums!r} names the same argument more than once")
    return norm


def _partial_argnums(fun, args, argnums):
    """``fun`` as a function of the args at ``argnums`` only."""
    def g(*dyn):
        full = list(args)
        for i, x in zip(argnums, dyn):
            full[i] = x
        return fun(*full)
    return g, tuple(args[i] for i in argnums)


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """``(fun(*args), grad)`` of a scalar-output function, w.r.t. ``argnums``.
    For a complex input and a real output the gradient is JAX's: the
    cotangent of ``1.0`` (for ``|z|**2``, ``2 * conj(z)``). ``holomorphic=True``
    takes complex inputs to a complex output: the gradient is ``f'(z)``.
    ``allow_int=True`` accepts integer and bool inputs: their gradient is
    zeros of dtype float0, as in JAX."""
    return _value_and_grad(fun, argnums, has_aux, "value_and_grad", holomorphic, allow_int)


def _check_grad_input(dt, i, what, holomorphic):
    if holomorphic and not dtypes.is_complex(dt):
        raise TypeError(f"{what} with holomorphic=True requires inputs with complex dtype, "
                        f"but got {dt.name} for argument {i}.")
    if not dtypes.is_inexact(dt):
        raise TypeError(
            f"{what} requires real- or complex-valued inputs (input dtype that is a "
            f"sub-dtype of np.inexact), but got {dt.name} for argument {i}. If you want "
            f"to use Boolean- or integer-valued inputs, use vjp or set allow_int to True.")


def _check_real_output(dt, what, holomorphic):
    """JAX's rule for a reverse-mode output: real unless ``holomorphic``,
    complex if it is."""
    if holomorphic:
        if not dtypes.is_complex(dt):
            raise TypeError(f"{what} with holomorphic=True requires outputs with complex "
                            f"dtype, but got {dt.name}.")
    elif not dtypes.is_float(dt):
        hint = (" For holomorphic differentiation, pass holomorphic=True. For "
                "differentiation of non-holomorphic functions involving complex outputs, "
                "use jaxlite.vjp directly." if dtypes.is_complex(dt) else "")
        raise TypeError(f"{what} requires real-valued outputs (output dtype that is a "
                        f"sub-dtype of np.floating), but got {dt.name}.{hint}")


def _value_and_grad(fun, argnums, has_aux, what, holomorphic=False, allow_int=False):
    @functools.wraps(fun)
    def value_and_grad_f(*args, **kwargs):
        nums = _check_argnums(argnums, len(args), what)
        g, dyn = _partial_argnums(lambda *a: fun(*a, **kwargs), args, nums)
        for i, leaf in zip(nums, dyn):
            for x in tree_util.tree_leaves(leaf):
                _check_leaf(x, f"grad argument {i}")
                dt = core.get_aval(x).dtype
                if not (allow_int and dt.kind in "biu"):
                    _check_grad_input(dt, i, "grad", holomorphic)
        res = _vjp(g, dyn, has_aux, what)
        out, vjp_fn = res[0], res[1]
        leaves = tree_util.tree_leaves(out)
        if len(leaves) != 1 or core.get_aval(leaves[0]).shape != ():
            shape = core.get_aval(leaves[0]).shape if len(leaves) == 1 else "a pytree"
            raise TypeError(f"Gradient only defined for scalar-output functions. "
                            f"Output had shape: {shape}.")
        out_aval = core.get_aval(leaves[0])
        _check_real_output(out_aval.dtype, "grad", holomorphic)
        seed = tree_unflatten(tree_util.tree_structure(out),
                              [np.ones((), out_aval.dtype).view(core.Array)])
        cts = vjp_fn(seed)
        if allow_int:    # JAX's gradient of an integer input: float0 zeros
            cts = [tree_map(lambda x, c: np.zeros(core.get_aval(x).shape, dtypes.float0)
                            if core.get_aval(x).dtype.kind in "biu" else c, d, c)
                   for d, c in zip(dyn, cts)]
        grads = cts[0] if isinstance(argnums, (int, np.integer)) else tuple(cts)
        if has_aux:
            return (out, res[2]), grads
        return out, grads
    return value_and_grad_f


def grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """The gradient of a scalar-output function w.r.t. ``argnums`` (see
    value_and_grad for complex inputs, ``holomorphic`` and ``allow_int``)."""
    vg = _value_and_grad(fun, argnums, has_aux, "grad", holomorphic, allow_int)

    @functools.wraps(fun)
    def grad_f(*args, **kwargs):
        (value, g) = vg(*args, **kwargs)
        if has_aux:
            return g, value[1]
        return g
    return grad_f


# ------------------------------------------------------------------------ vmap

def vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None, spmd_axis_name=None):
    """Map ``fun`` over an axis of its arguments, with a batching interpreter.
    ``axis_name`` names the mapped axis for collectives (``lax.psum(x, name)``).
    ``spmd_axis_name`` (how JAX shards the mapped axis over a device mesh) is
    accepted and ignored: jaxlite runs on one device, and it changes no value."""
    del spmd_axis_name
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if not (in_axes is None or _is_axis(in_axes) or isinstance(in_axes, tuple)):
        raise TypeError(f"vmap in_axes must be an int, None, or a tuple of entries "
                        f"corresponding to the positional arguments passed to the function, "
                        f"but got {in_axes!r}")
    _check_axis_leaves(in_axes, "in_axes")
    _check_axis_leaves(out_axes, "out_axes")

    @functools.wraps(fun)
    def vmapped(*args, **kwargs):
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(f"vmap in_axes must be an int, None, or a tuple of entries "
                             f"corresponding to the positional arguments passed to the "
                             f"function, but got len(in_axes)={len(in_axes)}, "
                             f"len(args)={len(args)}")
        flat, in_tree = tree_flatten((args, kwargs))
        axes = tree_util.flatten_prefix(in_axes if isinstance(in_axes, tuple) else
                                        (in_axes,) * len(args), args, "vmap in_axes")
        # As in JAX, in_axes covers the positional arguments only: every
        # keyword argument is mapped over its leading axis.
        axes += [0] * (len(flat) - len(axes))
        dims = []
        for i, (x, ax) in enumerate(zip(flat, axes)):
            _check_leaf(x, f"vmap argument leaf {i}")
            if ax is None:
                dims.append(None)
                continue
            ndim, ax = core.get_aval(x).ndim, int(ax)
            if not -ndim <= ax < ndim:
                raise ValueError(f"vmap was requested to map its argument along axis {ax}, "
                                 f"which implies that its rank should be at least "
                                 f"{ax + 1 if ax >= 0 else -ax}, but is only {ndim} (its "
                                 f"shape is {core.get_aval(x).shape})")
            dims.append(ax % ndim)
        size = _axis_size(flat, dims, axis_size, args, kwargs)
        store = {}
        call = lambda a, kw: fun(*a, **kw)
        outs, out_dims = batching.vmap_flat(_flat_fun(call, in_tree, store, what="vmap function"),
                                            size, flat, dims, axis_name=axis_name)
        out_tree = store["tree"]
        oaxes = tree_util.flatten_prefix(out_axes, tree_unflatten(out_tree, outs),
                                         "vmap out_axes")
        moved = []
        for o, d, oa in zip(outs, out_dims, oaxes):
            if oa is None:
                if d is not None:
                    raise ValueError("vmap has mapped output but out_axes is None")
                moved.append(o)
                continue
            nd = core.get_aval(o).ndim + (d is None)
            if not -nd <= oa < nd:
                raise ValueError(f"vmap out_axes {oa} is out of range for an output of "
                                 f"rank {nd}")
            moved.append(batching.move_to(o, d, oa % nd, size))
        return tree_unflatten(out_tree, moved)
    return vmapped


def _is_axis(ax):
    return isinstance(ax, (int, np.integer)) and not isinstance(ax, (bool, np.bool_))


def _check_axis_leaves(spec, what):
    # Caught before tracing: a float or string axis would otherwise surface
    # as a confusing rank error deep inside.
    for ax in tree_util.tree_leaves(spec, is_leaf=lambda x: x is None):
        if ax is not None and not _is_axis(ax):
            raise TypeError(f"vmap {what} must be an int, None, or a (nested) container with "
                            f"those as leaves, but got {spec!r} (with leaf {ax!r})")


def _leaf_names(args, kwargs):
    """``argument i`` (``argument i leaf j`` inside a pytree argument, ``kwargs['k']``
    for a keyword argument), per flat leaf."""
    names = []
    named = [(f"argument {i}", a) for i, a in enumerate(args)]
    named += [(f"kwargs[{k!r}]", kwargs[k]) for k in sorted(kwargs)]   # tree_flatten's order
    for name, a in named:
        n = len(tree_util.tree_leaves(a))
        single = n == 1 and tree_util.treedef_is_leaf(tree_util.tree_structure(a))
        names.extend(name if single else f"{name} leaf {j}" for j in range(n))
    return names


def _axis_size(flat, dims, axis_size, args, kwargs):
    sizes = {core.get_aval(x).shape[d] for x, d in zip(flat, dims) if d is not None}
    if not sizes:
        if axis_size is None:
            raise ValueError("vmap must have at least one non-None value in in_axes "
                             "(or be given axis_size)")
        return int(axis_size)
    if len(sizes) > 1 or (axis_size is not None and axis_size not in sizes):
        desc = "; ".join(f"{name} of shape {core.get_aval(x).shape} has size "
                         f"{core.get_aval(x).shape[d]} along axis {d}"
                         for name, x, d in zip(_leaf_names(args, kwargs), flat, dims)
                         if d is not None)
        given = "" if axis_size is None else f" (axis_size={axis_size} was given)"
        raise ValueError(f"vmap got inconsistent sizes for array axes to be mapped{given}: "
                         f"{desc}")
    return sizes.pop()


# ------------------------------------------------------------------ jacobians

def _leaf_basis(x):
    """The standard basis of one leaf's space, stacked: shape ``(size,) + shape``."""
    a = core.get_aval(x)
    return np.eye(a.size, dtype=a.dtype).reshape((a.size,) + a.shape)


def _jac_check_inputs(dyn, nums, what, holomorphic):
    """JAX's rules: jacfwd takes real inputs (complex ones only if
    ``holomorphic``), jacrev real or complex ones."""
    for i, leaf in zip(nums, dyn):
        for x in tree_util.tree_leaves(leaf):
            _check_leaf(x, f"{what} input")
            dt = core.get_aval(x).dtype
            if what == "jacrev" or holomorphic:
                _check_grad_input(dt, i, what, holomorphic)
            elif not dtypes.is_float(dt):
                hint = (" For holomorphic differentiation, pass holomorphic=True. For "
                        "differentiation of non-holomorphic functions involving complex "
                        "inputs or integer inputs, use jaxlite.jvp directly.")
                raise TypeError(f"{what} requires real-valued inputs (input dtype that is a "
                                f"sub-dtype of np.floating), but got {dt.name} for argument "
                                f"{i}.{hint}")


def _jac_check_outputs(avals, what, holomorphic):
    """jacrev needs real outputs (complex if ``holomorphic``); jacfwd any
    inexact ones (complex if ``holomorphic``)."""
    for a in avals:
        if what == "jacrev" or holomorphic or not dtypes.is_inexact(a.dtype):
            _check_real_output(a.dtype, what, holomorphic)


def _assemble(blocks, in_tree, out_tree, single):
    """``blocks[k][i]``: d output leaf k / d input leaf i, shaped out + in.
    Returns the output tree whose leaves are input trees (or arrays if ``single``)."""
    jac = []
    for row in blocks:
        tree = tree_unflatten(in_tree, row)
        jac.append(tree[0] if single else tree)
    return tree_unflatten(out_tree, jac)


# Both Jacobians work one leaf at a time (one vmap per input leaf, or per
# output leaf) so that no slicing of a concatenated basis is needed.

def jacfwd(fun, argnums=0, has_aux=False, holomorphic=False):
    """Jacobian by forward mode: a batched jvp over each input leaf's basis
    (real inputs, or complex ones with ``holomorphic=True``)."""
    def jacfun(*args, **kwargs):
        nums = _check_argnums(argnums, len(args), "jacfwd")
        g, dyn = _partial_argnums(functools.partial(fun, **kwargs), args, nums)
        flat_in, in_tree = tree_flatten(dyn)
        _jac_check_inputs(dyn, nums, "jacfwd", holomorphic)
        store = {}
        flat_g = _flat_fun(g, in_tree, store, has_aux, "jacfwd function")
        if not flat_in:
            flat_g()
        cols = []    # cols[i][k]: output leaf k by input leaf i
        for i, x in enumerate(flat_in):
            def pushfwd(t, i=i):
                ts = [t if j == i else Zero(core.get_aval(y)) for j, y in enumerate(flat_in)]
                p_out, t_out = ad.jvp_flat(flat_g, flat_in, ts)
                _jac_check_outputs([core.get_aval(o) for o in p_out], "jacfwd", holomorphic)
                return [_instantiate(o) for o in t_out]
            in_shape = core.get_aval(x).shape
            cols.append([lax.reshape(c, core.get_aval(c).shape[:-1] + in_shape)
                         for c in vmap(pushfwd, out_axes=-1)(_leaf_basis(x))])
        n_out = store["tree"].num_leaves
        blocks = [[col[k] for col in cols] for k in range(n_out)]
        single = isinstance(argnums, (int, np.integer))
        out = _assemble(blocks, in_tree, store["tree"], single)
        if has_aux:
            return out, g(*dyn)[1]   # aux from a plain call: inside vmap it is batched
        return out
    return jacfun


def jacrev(fun, argnums=0, has_aux=False, holomorphic=False):
    """Jacobian by reverse mode: a batched vjp over each output leaf's basis
    (real outputs, or complex ones with ``holomorphic=True``)."""
    def jacfun(*args, **kwargs):
        nums = _check_argnums(argnums, len(args), "jacrev")
        g, dyn = _partial_argnums(functools.partial(fun, **kwargs), args, nums)
        flat_in, in_tree = tree_flatten(dyn)
        _jac_check_inputs(dyn, nums, "jacrev", holomorphic)
        store = {}
        flat_g = _flat_fun(g, in_tree, store, has_aux, "jacrev function")
        interp_box = []

        def f(*xs):
            interp_box.append(core.current_interpreter())
            return flat_g(*xs)
        p_out, lin = ad.linearize_flat(f, flat_in)
        _jac_check_outputs(lin.out_avals, "jacrev", holomorphic)
        blocks = []
        for k, o in enumerate(p_out):
            def pullback(ct, k=k):
                cts = [ct if j == k else Zero(a) for j, a in enumerate(lin.out_avals)]
                return [_instantiate(c) for c in lin.transpose(cts)]
            out_shape = core.get_aval(o).shape
            blocks.append([lax.reshape(r, out_shape + core.get_aval(x).shape)
                           for r, x in zip(vmap(pullback)(_leaf_basis(o)), flat_in)])
        single = isinstance(argnums, (int, np.integer))
        result = _assemble(blocks, in_tree, store["tree"], single)
        if has_aux:
            return result, _strip_aux(store["aux"], interp_box[0])
        return result
    return jacfun


def hessian(fun, argnums=0, has_aux=False, holomorphic=False):
    """``jacfwd(jacrev(fun))``."""
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)
