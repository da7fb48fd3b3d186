"""Collectives over named axes: psum, pmean, pmax, pmin, all_gather,
psum_scatter, ppermute, all_to_all, axis_index (as jax.lax).

A name is bound either by ``vmap(f, axis_name=name)`` (the collective runs
over the mapped axis, by the rules in ``batching.collective_rules``) or by
``jaxlite.distributed.spmd(f, axis_name=name)`` (over the processes of an
MPI job: the impls call the process backend that distributed.initialize
installs, and the compiler calls MPI from native code). An unbound name is
a NameError, as in JAX.

The primitives work on axis 0 only (all_gather stacks on a new leading axis,
psum_scatter and all_to_all split the leading axis); the public wrappers move
and reshape around them, so the rules, the MPI calls and the compiler's
kernels stay simple and contiguous.
"""
import os

import numpy as np

from jaxlite import core, dtypes, tree_util
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.interpreters.ad import Zero
from jaxlite.lax import elementwise, reductions, structural, indexing

__all__ = ["psum_p", "pmax_p", "pmin_p", "all_gather_p", "psum_scatter_p", "ppermute_p",
           "all_to_all_p", "axis_index_p", "psum", "pmean", "pmax", "pmin", "all_gather",
           "psum_scatter", "ppermute", "all_to_all", "axis_index", "axis_size"]


# ------------------------------------------------------------ process axes

class _SingleProcess:
    """The process backend of a program not launched as an MPI job: one
    process, so every collective over the processes is the identity."""
    size, rank = 1, 0

    def allreduce(self, arrays, op):
        return [np.array(a) for a in arrays]

    def all_gather(self, x):
        return np.array(x)[None]

    def psum_scatter(self, x):
        return np.array(x[0])

    def all_to_all(self, x):
        return np.array(x)

    def ppermute(self, x, perm):
        return np.array(x) if (0, 0) in perm else np.zeros_like(x)


class _Processes:
    backend = None      # set by jaxlite.distributed.initialize
    axes = []           # names bound to the processes (spmd), innermost last


_processes = _Processes()
_LAUNCHER_SIZE = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MV2_COMM_WORLD_SIZE")


def set_process_backend(backend):
    """Install the object that runs collectives over processes (distributed.py)."""
    _processes.backend = backend


def process_backend():
    """The process backend: the MPI one after initialize(); a single process
    when the program was not launched by mpiexec; an error when it was but
    initialize() was not called (each rank would silently compute alone)."""
    if _processes.backend is not None:
        return _processes.backend
    for var in _LAUNCHER_SIZE:
        if int(os.environ.get(var, "1") or 1) > 1:
            raise RuntimeError(
                f"this process is one of {os.environ[var]} launched by an MPI launcher "
                f"({var}), but jaxlite.distributed.initialize() was not called: call it "
                f"before any collective over the processes")
    return _SingleProcess()


def installed_process_count():
    """How many processes a collective over a process axis spans if compiled
    now: the installed backend's size, else 1 (never raises). Compiled
    collectives depend on it (one process: copies), so caches key on it."""
    backend = _processes.backend
    return 1 if backend is None else backend.size


class process_axis:
    """Bind the axis ``name`` to the processes for the duration of the context
    (a class rather than a generator: spmd enters it on every call, and this
    costs a third as much)."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        _processes.axes.append(self.name)

    def __exit__(self, *exc):
        _processes.axes.pop()


def _bound_size(name):
    """The size of the axis ``name``: a named vmap axis around the caller, else
    the processes if spmd bound it; NameError (as JAX) otherwise."""
    named = batching.named_axes()
    if name in named:
        return named[name]
    if name in _processes.axes:
        _processes.staged.add(name)
        return process_backend().size
    raise NameError(f"unbound axis name: {name}. The following axis names (e.g. defined "
                    f"by vmap or jaxlite.distributed.spmd) are available to collective "
                    f"operations: {sorted(map(str, set(named) | set(_processes.axes)))}")


_processes.staged = set()   # process axes of staged equations (their jaxprs may run later)


def check_process_axes(axes):
    """NameError unless every name in ``axes`` is (or was, when the equation
    was staged) bound to the processes."""
    for name in axes:
        if name not in _processes.axes and name not in _processes.staged:
            raise NameError(f"unbound axis name: {name}")


def axis_size(axis_name):
    """The size of the named axis (a Python int)."""
    return _bound_size(axis_name)


def _names(axis_name):
    return tuple(axis_name) if isinstance(axis_name, (tuple, list)) else (axis_name,)


def _single_name(axis_name, what):
    names = _names(axis_name)
    if len(names) != 1 or isinstance(names[0], (int, np.integer)):
        raise TypeError(f"{what}: expected one axis name, got {axis_name!r}")
    _bound_size(names[0])
    return names[0]


# ------------------------------------------------------- psum, pmax, pmin

def _reducer_primitive(name, op):
    prim = core.Primitive(name, multiple_results=True, kind=core.KERNEL, cost=core.COSTLY)

    def impl(*arrays, axes):
        check_process_axes(axes)
        return process_backend().allreduce(list(arrays), op)
    core.impl_rules[prim] = impl
    core.abstract_eval_rules[prim] = lambda *avals, axes: [a.update(weak_type=False)
                                                          for a in avals]
    batching.batch_rules[prim] = lambda size, vals, dims, axes: (
        core.bind(prim, *vals, axes=axes), list(dims))
    return prim


psum_p = _reducer_primitive("psum", "sum")
pmax_p = _reducer_primitive("pmax", "max")
pmin_p = _reducer_primitive("pmin", "min")


def _psum_transpose(cts, *args, axes):
    # The transpose of a sum over the members is that sum again (JAX).
    live = [(k, ct) for k, ct in enumerate(cts) if type(ct) is not Zero]
    out = [Zero(a.aval) if ad.is_undef(a) else None for a in args]
    if live:
        summed = core.bind(psum_p, *[ct for _, ct in live], axes=axes)
        for (k, _), s in zip(live, summed):
            out[k] = s
    return out


def _psum_jvp(primals, tangents, axes):
    outs = core.bind(psum_p, *primals, axes=axes)
    live = [k for k, t in enumerate(tangents) if type(t) is not Zero]
    touts = [Zero(core.get_aval(o)) for o in outs]
    if live:
        for k, t in zip(live, core.bind(psum_p, *[tangents[k] for k in live], axes=axes)):
            touts[k] = t
    return outs, touts


ad.jvp_rules[psum_p] = _psum_jvp
ad.transpose_rules[psum_p] = _psum_transpose


def _chosen_jvp(prim):
    """max/min over the members: the tangent averaged over the members that
    hold the extreme (reduce_max's tie convention)."""
    def rule(primals, tangents, axes):
        outs = core.bind(prim, *primals, axes=axes)
        touts = []
        for x, t, o in zip(primals, tangents, outs):
            if type(t) is Zero:
                touts.append(Zero(core.get_aval(o)))
                continue
            hit = elementwise.convert_element_type(elementwise.eq(x, o), core.get_aval(o).dtype)
            # Two binds: the count is a primal value, the sum of tangents is linear.
            (den,) = core.bind(psum_p, hit, axes=axes)
            (num,) = core.bind(psum_p, elementwise.mul(t, hit), axes=axes)
            touts.append(elementwise.div(num, den))
        return outs, touts
    ad.jvp_rules[prim] = rule


_chosen_jvp(pmax_p)
_chosen_jvp(pmin_p)


def _named_reduce(reduce, scale):
    def rule(size, vals, dims, axes):
        outs = []
        for v, d in zip(vals, dims):
            if d is not None:
                outs.append(reduce(v, (d,)))
            else:
                outs.append(elementwise.mul(v, np.asarray(size, core.get_aval(v).dtype))
                            if scale else v)
        return outs, [None] * len(outs)
    return rule


batching.collective_rules[psum_p] = _named_reduce(reductions.reduce_sum, scale=True)
batching.collective_rules[pmax_p] = _named_reduce(reductions.reduce_max, scale=False)
batching.collective_rules[pmin_p] = _named_reduce(reductions.reduce_min, scale=False)


def _is_position(name):
    return isinstance(name, (int, np.integer)) and not isinstance(name, bool)


_POSITIONAL = {"psum": reductions.reduce_sum, "pmax": reductions.reduce_max,
               "pmin": reductions.reduce_min}


def _reduce_over(prim, x, axis_name):
    leaves, treedef = tree_util.tree_flatten(x)
    names = _names(axis_name)
    positional = tuple(int(n) for n in names if _is_position(n))
    named = tuple(n for n in names if not _is_position(n))
    for n in named:
        _bound_size(n)
    if positional:           # integer axes reduce positionally, as JAX's psum
        leaves = [_POSITIONAL[prim.name](leaf, positional) for leaf in leaves]
    bools = [core.get_aval(x).dtype == np.bool_ for x in leaves]
    # Booleans are counted by psum (int32, as JAX) and compared as 0/1 by pmax/pmin.
    ops = [elementwise.convert_element_type(x, np.int32) if b else x
           for x, b in zip(leaves, bools)]
    # One bind per name: each interpreter (or the processes) handles its own
    # axis; all the leaves go in one bind (one MPI call under jit).
    for name in named:
        if ops:
            ops = core.bind(prim, *ops, axes=(name,))
    if prim is not psum_p:
        ops = [elementwise.convert_element_type(x, np.bool_) if b else x
               for x, b in zip(ops, bools)]
    return tree_util.tree_unflatten(treedef, list(ops))


def psum(x, axis_name, *, axis_index_groups=None):
    """Sum ``x`` (an array or a pytree) over the named axis (or tuple of axes):
    every member gets the total. Integer names reduce positional axes (as JAX)."""
    _no_groups(axis_index_groups)
    return _reduce_over(psum_p, x, axis_name)


def pmax(x, axis_name, *, axis_index_groups=None):
    """Elementwise maximum of ``x`` (an array or a pytree) over the named axis."""
    _no_groups(axis_index_groups)
    return _reduce_over(pmax_p, x, axis_name)


def pmin(x, axis_name, *, axis_index_groups=None):
    """Elementwise minimum of ``x`` (an array or a pytree) over the named axis."""
    _no_groups(axis_index_groups)
    return _reduce_over(pmin_p, x, axis_name)


def pmean(x, axis_name, *, axis_index_groups=None):
    """Mean of ``x`` over the named axis (axes): ``psum(x) / count``."""
    _no_groups(axis_index_groups)
    names = _names(axis_name)
    n = 1
    for name in names:
        if not _is_position(name):
            n *= _bound_size(name)
    leaves, treedef = tree_util.tree_flatten(x)
    out = []
    for leaf, total in zip(leaves, tree_util.tree_leaves(psum(x, axis_name))):
        count = n
        shape = core.get_aval(leaf).shape
        for name in names:
            if _is_position(name):
                count *= shape[int(name)]
        dtype = core.get_aval(total).dtype
        if not dtypes.is_float(dtype):
            dtype = dtypes.default_float()
            total = elementwise.convert_element_type(total, dtype)
        out.append(elementwise.div(total, np.asarray(count, dtype)))
    return tree_util.tree_unflatten(treedef, out)


def _no_groups(groups):
    if groups is not None:
        raise NotImplementedError("axis_index_groups is not supported by jaxlite")


def _movement_primitive(name, shape_rule, backend_call, batch_rule, named_rule):
    """A data-movement collective over axis 0 of one operand (kind KERNEL: the
    compiler calls MPI on the whole buffer)."""
    prim = core.Primitive(name, kind=core.KERNEL, cost=core.COSTLY)

    def impl(x, axes, **params):
        check_process_axes(axes)
        return backend_call(process_backend(), np.ascontiguousarray(x), **params)
    core.impl_rules[prim] = impl
    core.abstract_eval_rules[prim] = shape_rule
    batching.batch_rules[prim] = batch_rule
    batching.collective_rules[prim] = named_rule
    return prim


def _lead(aval, size, what):
    if aval.ndim == 0 or aval.shape[0] != size:
        raise TypeError(f"{what}: the leading axis must have the axis size {size}, got an "
                        f"operand of shape {aval.shape}")


# ---------------------------------------------------------------- all_gather

def _all_gather_batch(size, vals, dims, axes, axis_size):
    (x,), (d,) = vals, dims
    return core.bind(all_gather_p, x, axes=axes, axis_size=axis_size), d + 1


def _all_gather_named(size, vals, dims, axes, axis_size):
    (x,), (d,) = vals, dims
    return batching.move_to(x, d, 0, size), None


all_gather_p = _movement_primitive(
    "all_gather",
    lambda a, axes, axis_size: ShapedArray((axis_size,) + a.shape, a.dtype),
    lambda backend, x, axis_size: backend.all_gather(x),
    _all_gather_batch, _all_gather_named)


def _all_gather_transpose(ct, x, axes, axis_size):
    if type(ct) is Zero:
        return [None]
    return [core.bind(psum_scatter_p, ct, axes=axes, axis_size=axis_size)]


ad.deflinear(all_gather_p, _all_gather_transpose)


def all_gather(x, axis_name, *, axis_index_groups=None, axis=0, tiled=False):
    """Every member's ``x`` stacked along a new axis ``axis`` (concatenated
    along ``axis`` when ``tiled``), on every member."""
    _no_groups(axis_index_groups)
    name = _single_name(axis_name, "all_gather")
    n = _bound_size(name)

    def one(leaf):
        aval = core.get_aval(leaf)
        ax = _axis(axis, aval.ndim + (not tiled), "all_gather")
        out = core.bind(all_gather_p, leaf, axes=(name,), axis_size=n)
        if tiled:
            if aval.ndim == 0:
                raise ValueError("all_gather: tiled=True needs an operand of rank >= 1")
            out = _moveaxis(out, 0, ax)       # (..., n, d_ax, ...) -> merge
            shape = aval.shape[:ax] + (n * aval.shape[ax],) + aval.shape[ax + 1:]
            return structural.reshape(out, shape)
        return _moveaxis(out, 0, ax)
    return tree_util.tree_map(one, x)


def _axis(axis, ndim, what):
    if not -ndim <= axis < ndim:
        raise ValueError(f"{what}: axis {axis} is out of range for rank {ndim}")
    return axis % ndim


def _moveaxis(x, src, dst):
    return batching.moveaxis(x, src, dst)


# -------------------------------------------------------------- psum_scatter

def _psum_scatter_shape(a, axes, axis_size):
    _lead(a, axis_size, "psum_scatter")
    return ShapedArray(a.shape[1:], a.dtype)


def _psum_scatter_batch(size, vals, dims, axes, axis_size):
    (x,), (d,) = vals, dims
    x = batching.moveaxis(x, d, 1)       # the scattered axis stays leading
    return core.bind(psum_scatter_p, x, axes=axes, axis_size=axis_size), 0


def _psum_scatter_named(size, vals, dims, axes, axis_size):
    (x,), (d,) = vals, dims
    if d is None:       # every member holds x: member i gets n * x[i]
        return elementwise.mul(x, np.asarray(size, core.get_aval(x).dtype)), 0
    return reductions.reduce_sum(x, (d,)), 0


psum_scatter_p = _movement_primitive(
    "psum_scatter", _psum_scatter_shape,
    lambda backend, x, axis_size: backend.psum_scatter(x),
    _psum_scatter_batch, _psum_scatter_named)


def _psum_scatter_transpose(ct, x, axes, axis_size):
    if type(ct) is Zero:
        return [None]
    return [core.bind(all_gather_p, ct, axes=axes, axis_size=axis_size)]


ad.deflinear(psum_scatter_p, _psum_scatter_transpose)


def psum_scatter(x, axis_name, *, scatter_dimension=0, axis_index_groups=None, tiled=False):
    """``psum(x)`` split along ``scatter_dimension``: member i gets block i (the
    dimension must equal the axis size, or be a multiple of it when ``tiled``)."""
    _no_groups(axis_index_groups)
    name = _single_name(axis_name, "psum_scatter")
    n = _bound_size(name)

    def one(leaf):
        aval = core.get_aval(leaf)
        ax = _axis(scatter_dimension, aval.ndim, "psum_scatter")
        y = _moveaxis(leaf, ax, 0)
        if tiled:
            if aval.shape[ax] % n:
                raise ValueError(f"psum_scatter: dimension {ax} of shape {aval.shape} is not "
                                 f"a multiple of the axis size {n}")
            k = aval.shape[ax] // n
            rest = core.get_aval(y).shape[1:]
            y = structural.reshape(y, (n, k) + rest)
            return _moveaxis(core.bind(psum_scatter_p, y, axes=(name,), axis_size=n), 0, ax)
        if aval.shape[ax] != n:
            raise ValueError(f"psum_scatter: dimension {ax} of shape {aval.shape} must "
                             f"equal the axis size {n}")
        # The scattered axis is gone; the others keep their order.
        return core.bind(psum_scatter_p, y, axes=(name,), axis_size=n)
    return tree_util.tree_map(one, x)


# ---------------------------------------------------------------- all_to_all

def _all_to_all_shape(a, axes, axis_size):
    _lead(a, axis_size, "all_to_all")
    return a


def _all_to_all_batch(size, vals, dims, axes, axis_size):
    (x,), (d,) = vals, dims
    x = batching.moveaxis(x, d, 1)
    return core.bind(all_to_all_p, x, axes=axes, axis_size=axis_size), 1


def _all_to_all_named(size, vals, dims, axes, axis_size):
    (x,), (d,) = vals, dims
    if d is None:       # out_i[j] = x[i] on every member j
        shape = (size,) + core.get_aval(x).shape
        dims_ = (0,) + tuple(range(2, len(shape)))
        return structural.broadcast_in_dim(x, shape, dims_), 0
    x = batching.moveaxis(x, d, 0)       # x[j, i, ...]: member j's chunk i
    return batching.moveaxis(x, 1, 0), 0  # out_i[j] = x_j[i]


all_to_all_p = _movement_primitive(
    "all_to_all", _all_to_all_shape,
    lambda backend, x, axis_size: backend.all_to_all(x),
    _all_to_all_batch, _all_to_all_named)


def _all_to_all_transpose(ct, x, axes, axis_size):
    if type(ct) is Zero:
        return [None]
    # Exchanging chunk i of member j with chunk j of member i is its own inverse.
    return [core.bind(all_to_all_p, ct, axes=axes, axis_size=axis_size)]


ad.deflinear(all_to_all_p, _all_to_all_transpose)


def all_to_all(x, axis_name, split_axis, concat_axis, *, axis_index_groups=None,
               tiled=False):
    """Member i sends chunk j of ``split_axis`` to member j, which places it at
    position i along ``concat_axis`` (a new axis, or merged when ``tiled``)."""
    _no_groups(axis_index_groups)
    name = _single_name(axis_name, "all_to_all")
    n = _bound_size(name)
    aval = core.get_aval(x)
    split = _axis(split_axis, aval.ndim, "all_to_all")
    if tiled:
        if aval.shape[split] % n:
            raise ValueError(f"all_to_all: split_axis {split} of shape {aval.shape} is not "
                             f"a multiple of the axis size {n}")
        concat = _axis(concat_axis, aval.ndim, "all_to_all")
        shape = aval.shape[:split] + (n, aval.shape[split] // n) + aval.shape[split + 1:]
        y = _moveaxis(structural.reshape(x, shape), split, 0)
        y = core.bind(all_to_all_p, y, axes=(name,), axis_size=n)    # y[i]: from member i
        rest = core.get_aval(y).shape[1:]       # the operand's shape, split axis now k
        y = _moveaxis(y, 0, concat)             # member index just before concat's dim
        out = rest[:concat] + (n * rest[concat],) + rest[concat + 1:]
        return structural.reshape(y, out)
    if aval.shape[split] != n:
        raise ValueError(f"all_to_all: split_axis {split} of shape {aval.shape} must equal "
                         f"the axis size {n}")
    concat = _axis(concat_axis, aval.ndim, "all_to_all")
    y = core.bind(all_to_all_p, _moveaxis(x, split, 0), axes=(name,), axis_size=n)
    return _moveaxis(y, 0, concat)


# ------------------------------------------------------------------ ppermute

def _ppermute_named(size, vals, dims, axes, perm):
    (x,), (d,) = vals, dims
    x = batching.move_to(x, d, 0, size)
    source = dict((dst, src) for src, dst in perm)
    zero = None
    pieces = []
    for dst in range(size):
        if dst in source:
            pieces.append(indexing.slice_in_dim(x, source[dst], source[dst] + 1, axis=0))
        else:
            if zero is None:
                aval = core.get_aval(x)
                zero = structural.full((1,) + aval.shape[1:], 0, aval.dtype)
            pieces.append(zero)
    return structural.concatenate(pieces, 0), 0


def _ppermute_batch(size, vals, dims, axes, perm):
    (x,), (d,) = vals, dims
    return core.bind(ppermute_p, x, axes=axes, perm=perm), d


ppermute_p = _movement_primitive(
    "ppermute", lambda a, axes, perm: a,
    lambda backend, x, perm: backend.ppermute(x, perm),
    _ppermute_batch, _ppermute_named)


def _ppermute_transpose(ct, x, axes, perm):
    if type(ct) is Zero:
        return [None]
    inverse = tuple((dst, src) for src, dst in perm)
    return [core.bind(ppermute_p, ct, axes=axes, perm=inverse)]


ad.deflinear(ppermute_p, _ppermute_transpose)


def ppermute(x, axis_name, perm):
    """Member ``src`` sends ``x`` to member ``dst`` for each ``(src, dst)`` in
    ``perm``; members no one sends to get zeros."""
    name = _single_name(axis_name, "ppermute")
    n = _bound_size(name)
    perm = tuple((int(s), int(d)) for s, d in perm)
    srcs, dsts = [s for s, _ in perm], [d for _, d in perm]
    if len(set(srcs)) != len(srcs) or len(set(dsts)) != len(dsts) or \
            any(not 0 <= i < n for i in srcs + dsts):
        raise ValueError(f"ppermute: perm {perm} must be pairs of distinct sources and "
                         f"distinct destinations in range({n})")
    return tree_util.tree_map(lambda leaf: core.bind(ppermute_p, leaf, axes=(name,),
                                                     perm=perm), x)


# ---------------------------------------------------------------- axis_index

axis_index_p = core.Primitive("axis_index", kind=core.KERNEL, cost=core.FREE)


def _axis_index_impl(axes):
    check_process_axes(axes)
    return np.asarray(process_backend().rank, np.int32)


core.impl_rules[axis_index_p] = _axis_index_impl
core.abstract_eval_rules[axis_index_p] = lambda axes: ShapedArray((), np.dtype(np.int32))
ad.jvp_rules[axis_index_p] = lambda primals, tangents, axes: (
    core.bind(axis_index_p, axes=axes), Zero(ShapedArray((), np.dtype(np.int32))))
# No operand, so only the interpreter of its axis ever meets it (collective_rules);
# the rule here keeps the registry's every-primitive-batches contract.
batching.batch_rules[axis_index_p] = lambda size, vals, dims, axes: (
    core.bind(axis_index_p, axes=axes), None)
batching.collective_rules[axis_index_p] = lambda size, vals, dims, axes: (
    structural.iota(np.int32, size), 0)


def axis_index(axis_name):
    """This member's index along the named axis (int32)."""
    name = _single_name(axis_name, "axis_index")
    return core.bind(axis_index_p, axes=(name,))
