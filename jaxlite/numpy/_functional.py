"""Functions of functions: vectorize (with gufunc signatures), apply_along_axis,
apply_over_axes, piecewise, fromfunction, and frompyfunc's ufunc objects.

vectorize and apply_along_axis are vmap over the loop dimensions, so the
user's function is traced once, not called per element.
"""
import re

import numpy as np

from jaxlite import api, lax
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util

__all__ = ["vectorize", "apply_along_axis", "apply_over_axes", "piecewise", "fromfunction",
           "frompyfunc", "ufunc"]

_DIMS = r"\((\w+(?:,\s*\w+)*)?\)"
_SIGNATURE = re.compile(rf"^{_DIMS}(?:,\s*{_DIMS})*->{_DIMS}(?:,\s*{_DIMS})*$")


def _parse_signature(signature):
    """'(m,n),(n)->(m)' -> ([('m','n'), ('n',)], [('m',)])."""
    sig = signature.replace(" ", "")
    if not _SIGNATURE.match(sig):
        raise ValueError(f"vectorize: not a valid gufunc signature: {signature!r}")
    ins, outs = sig.split("->")
    parse = lambda part: [tuple(d for d in g.split(",") if d)  # noqa: E731
                          for g in re.findall(r"\(([^)]*)\)", part)]
    return parse(ins), parse(outs)


def _core_sizes(args, in_dims):
    sizes = {}
    for a, dims in zip(args, in_dims):
        shape = util.shape(a)
        if len(dims) > len(shape):
            raise ValueError(f"vectorize: an input of shape {shape} has fewer dimensions "
                             f"than its core dimensions {dims}")
        for d, n in zip(dims, shape[len(shape) - len(dims):]):
            if sizes.setdefault(d, n) != n:
                raise ValueError(f"vectorize: inconsistent size for core dimension {d!r}: "
                                 f"{sizes[d]} vs {n}")
    return sizes


class vectorize:
    """``pyfunc`` applied over the broadcast loop dimensions of its arguments
    (numpy's vectorize; ``signature`` names core dimensions as gufuncs do)."""

    def __init__(self, pyfunc, *, excluded=frozenset(), signature=None):
        self.pyfunc = pyfunc
        self.excluded = frozenset(excluded)
        self.signature = signature
        self.__name__ = getattr(pyfunc, "__name__", "vectorized")
        self.__doc__ = getattr(pyfunc, "__doc__", None)

    def __call__(self, *args, **kwargs):
        fixed_kw = {k: v for k, v in kwargs.items() if k in self.excluded}
        kw_names = [k for k in kwargs if k not in self.excluded]
        pos = [i for i in range(len(args)) if i not in self.excluded]
        dyn = [util.as_operand(args[i]) for i in pos] + \
            [util.as_operand(kwargs[k]) for k in kw_names]

        def call(*vals):
            full = list(args)
            for i, v in zip(pos, vals):
                full[i] = v
            kw = dict(fixed_kw, **dict(zip(kw_names, vals[len(pos):])))
            return self.pyfunc(*full, **kw)

        if self.signature is None:
            in_dims, out_dims = [()] * len(dyn), None
        else:
            in_dims, out_dims = _parse_signature(self.signature)
            if len(in_dims) != len(dyn):
                raise TypeError(f"vectorize: signature {self.signature!r} has {len(in_dims)} "
                                f"inputs, got {len(dyn)} arguments")
        _core_sizes(dyn, in_dims)
        loops = [util.shape(a)[:util.ndim(a) - len(d)] for a, d in zip(dyn, in_dims)]
        loop = util.broadcast_shapes(*loops, what="vectorize") if loops else ()
        flat = [jnp.reshape(jnp.broadcast_to(a, loop + util.shape(a)[len(s):]),
                            (-1,) + util.shape(a)[len(s):])
                for a, s in zip(dyn, loops)]
        n = int(np.prod(loop, dtype=np.int64))
        if n == 0:
            raise ValueError("vectorize: zero-size loop dimensions are not supported")
        out = api.vmap(call)(*flat)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        if out_dims is not None and len(out_dims) != len(outs):
            raise ValueError(f"vectorize: signature {self.signature!r} has {len(out_dims)} "
                             f"outputs, the function returned {len(outs)}")
        outs = tuple(jnp.reshape(o, loop + util.shape(o)[1:]) for o in outs)
        return outs[0] if single else outs


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """``func1d`` applied to each 1-d slice of ``arr`` along ``axis``; the slice's
    axis is replaced by the dimensions of ``func1d``'s result."""
    arr = util.as_operand(arr)
    nd = util.ndim(arr)
    axis = util.canonical_axis(axis, nd)
    f = lambda v: func1d(v, *args, **kwargs)   # noqa: E731
    for _ in range(nd - 1):
        f = api.vmap(f, in_axes=-1, out_axes=-1)
    out = f(jnp.moveaxis(arr, axis, 0))
    # Result dims: func1d's dims first, then the other axes in order; numpy puts
    # func1d's dims where ``axis`` was.
    k = util.ndim(out) - (nd - 1)
    perm = list(range(k, k + axis)) + list(range(k)) + list(range(k + axis, util.ndim(out)))
    return jnp.transpose(out, perm)


def apply_over_axes(func, a, axes):
    """``func(a, axis)`` applied for each axis in turn, keeping the rank
    (a result one rank lower gets the axis back with size 1)."""
    a = util.as_operand(a)
    for axis in axes:
        res = func(a, axis)
        if util.ndim(res) == util.ndim(a) - 1:
            res = jnp.expand_dims(res, axis)
        elif util.ndim(res) != util.ndim(a):
            raise ValueError("apply_over_axes: function is not returning an array of the "
                             "correct shape")
        a = res
    return a


def piecewise(x, condlist, funclist, *args, **kw):
    """``funclist[i]`` (a function of ``x`` or a constant) where ``condlist[i]``
    holds, later conditions winning; one extra function is the default where
    none holds (else 0). The result has ``x``'s dtype."""
    x = util.as_operand(x)
    if util.is_array(condlist) and util.ndim(condlist) == util.ndim(x) + 1:
        conds = [condlist[i] for i in range(util.shape(condlist)[0])]
    elif isinstance(condlist, (list, tuple)):
        conds = list(condlist)
    else:
        conds = [condlist]
    conds = [jnp.broadcast_to(jnp.asarray(util.as_operand(c)).astype(bool), util.shape(x))
             for c in conds]
    n = len(conds)
    if len(funclist) not in (n, n + 1):
        raise ValueError(f"piecewise: with {n} condition(s), funclist must have {n} or "
                         f"{n + 1} entries, got {len(funclist)}")
    dt = util.aval(x).dtype
    if len(funclist) == n + 1:
        none = ~jnp.any(jnp.stack(conds), axis=0) if conds else jnp.ones(util.shape(x), bool)
        conds = [none] + conds
        funclist = [funclist[-1]] + list(funclist[:-1])
    out = jnp.zeros(util.shape(x), dt)
    for c, f in zip(conds, funclist):
        val = f(x, *args, **kw) if callable(f) else f
        out = jnp.where(c, jnp.asarray(val).astype(dt), out)
    return out


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """``function(*index_grids, **kwargs)``: each grid holds its coordinate."""
    shape = tuple(int(s) for s in shape)
    grids = [lax.convert_element_type(lax.broadcasted_iota(np.int32, shape, d),
                                      util.canonical_dtype(dtype))
             for d in range(len(shape))]
    return function(*grids, **kwargs)


class ufunc:
    """A universal function built from a scalar function (``frompyfunc``):
    called elementwise with broadcasting, plus ``outer``, ``reduce`` and
    ``accumulate``."""

    def __init__(self, func, /, nin, nout, *, name=None, nargs=None, identity=None):
        self._func = func
        self.nin, self.nout = int(nin), int(nout)
        self.nargs = nargs or self.nin
        self.identity = identity
        self.__name__ = name or getattr(func, "__name__", "ufunc")
        self._vectorized = vectorize(func)

    def __repr__(self):
        return f"<jnp.ufunc '{self.__name__}'>"

    def __call__(self, *args):
        if len(args) != self.nin:
            raise TypeError(f"{self.__name__}() takes {self.nin} positional arguments, "
                            f"got {len(args)}")
        return self._vectorized(*args)

    def _binary(self, what):
        if self.nin != 2 or self.nout != 1:
            raise ValueError(f"{what} only supported for binary ufuncs with one output "
                             f"(nin=2, nout=1); {self.__name__} has nin={self.nin}, "
                             f"nout={self.nout}")

    def outer(self, A, B, /):
        self._binary("outer")
        A, B = util.as_operand(A), util.as_operand(B)
        a = jnp.reshape(A, util.shape(A) + (1,) * util.ndim(B))
        return self(a, B)

    def _scan(self, a, axis, initial):
        a = jnp.moveaxis(util.as_operand(a), axis, 0)
        if initial is None:
            init, xs = a[0], a[1:]
        else:
            init, xs = jnp.broadcast_to(jnp.asarray(initial, util.aval(a).dtype),
                                        util.shape(a)[1:]), a

        def body(carry, x):
            new = jnp.asarray(self(carry, x)).astype(util.aval(a).dtype)
            return new, new
        return lax.scan(body, init, xs), init

    def reduce(self, a, axis=0, dtype=None, out=None, keepdims=False, initial=None,
               where=None):
        self._binary("reduce")
        a = util.as_operand(a)
        if axis is None:
            a, axis = jnp.ravel(a), 0
        axis = util.canonical_axis(axis, util.ndim(a))
        if initial is None:
            initial = self.identity
        if initial is None and util.shape(a)[axis] == 0:
            raise ValueError(f"zero-size array to reduction operation {self.__name__} "
                             f"which has no identity")
        (res, _), _ = self._scan(a, axis, initial)
        if dtype is not None:
            res = res.astype(dtype)
        return jnp.expand_dims(res, axis) if keepdims else res

    def accumulate(self, a, axis=0, dtype=None, out=None):
        self._binary("accumulate")
        a = util.as_operand(a)
        axis = util.canonical_axis(axis, util.ndim(a))
        (_, ys), init = self._scan(a, axis, None)
        out = jnp.concatenate([init[None], ys], axis=0)
        out = jnp.moveaxis(out, 0, axis)
        return out if dtype is None else out.astype(dtype)


def frompyfunc(func, /, nin, nout, *, identity=None):
    """A ufunc from the scalar function ``func`` of ``nin`` arguments."""
    return ufunc(func, nin, nout, identity=identity)
