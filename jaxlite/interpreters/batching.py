"""vmap: values carry (value, batch dim); one batch rule per primitive.

Rules prefer to leave the batch dimension where it is: an elementwise op keeps
the first operand's batch dim, a reduction renumbers its axes around it.

A vmap may name its axis (``vmap(f, axis_name="i")``): a collective whose
``axes`` param names it is then given its meaning over the mapped axis by
``collective_rules`` (psum sums over it, ...), whether or not its operands
are batched. Rules that batch nested jaxprs (jit, scan, cond, while) call
``vmap_flat`` without a name and inherit the name of the interpreter whose
rule is running, so collectives inside them see the same axis.
"""
import threading

from jaxlite import core
from jaxlite.interpreters.ad_util import primitive

batch_rules = {}   # prim -> f(axis_size, vals, dims, **params) -> (out, out_dim)
# prim -> f(axis_size, vals, dims, **params) -> (out, out_dim): the collective
# over this interpreter's named axis (params["axes"] names it).
collective_rules = {}
not_mapped = None
INHERIT = object()     # vmap_flat's default axis name: the running rule's


class _RuleAxis(threading.local):
    name = None        # axis name of the interpreter whose rule runs now


_rule_axis = _RuleAxis()


class BatchTracer(core.Tracer):
    __slots__ = ("val", "bdim")

    def __init__(self, interp, val, bdim):
        self._interp, self.val, self.bdim = interp, val, bdim

    @property
    def aval(self):
        a = core.get_aval(self.val)
        shape = a.shape[:self.bdim] + a.shape[self.bdim + 1:]
        return a.update(shape=shape)

    def concrete_value(self):
        if self._interp.finished:
            raise core.leaked_tracer_error(self, "vmap", self._interp.origin)
        raise core.ConcretizationTypeError(
            f"Cannot use the value of a batched (vmapped) array {self.aval} in Python "
            f"control flow or conversions: inside vmap each example has its own "
            f"value. Use jnp.where or lax.cond instead." + core.where_message())


class BatchInterpreter(core.Interpreter):
    def __init__(self, parent, axis_size, axis_name=None):
        self.parent, self.axis_size, self.axis_name = parent, axis_size, axis_name
        self.origin = core.user_frame()     # named if one of its tracers leaks

    def names_me(self, prim, params):
        return (self.axis_name is not None and prim in collective_rules
                and self.axis_name in params["axes"])

    def interpret(self, prim, args, params):
        named = self.names_me(prim, params)
        if not named and not self.any_owned(args):
            return core.bind_with(self.parent, prim, *args, **params)
        vals, dims = [], []
        for a in args:
            if isinstance(a, BatchTracer) and a._interp is self:
                vals.append(a.val)
                dims.append(a.bdim)
            else:
                vals.append(a)
                dims.append(None)
        rule = collective_rules[prim] if named else batch_rules.get(prim)
        if rule is None:
            raise NotImplementedError(f"Batching rule for '{prim}' not implemented")
        outer, _rule_axis.name = _rule_axis.name, self.axis_name
        try:
            with core.set_interpreter(self.parent):
                out, out_dim = rule(self.axis_size, vals, dims, **params)
        finally:
            _rule_axis.name = outer
        if prim.multiple_results:
            return [self.lift(o, d) for o, d in zip(out, out_dim)]
        return self.lift(out, out_dim)

    def lift(self, val, dim):
        return val if dim is None else BatchTracer(self, val, dim)

    def split(self, out):
        if isinstance(out, BatchTracer) and out._interp is self:
            return out.val, out.bdim
        return out, None


def vmap_flat(f, axis_size, vals, dims, axis_name=INHERIT):
    """Run ``f`` over flat inputs with batch dims ``dims``: ``(outs, out_dims)``.
    ``axis_name`` names the mapped axis (default: the name of the interpreter
    whose batch rule is calling, so nested jaxprs keep their axis)."""
    if axis_name is INHERIT:
        axis_name = _rule_axis.name
    interp = BatchInterpreter(core.current_interpreter(), axis_size, axis_name)
    ins = [interp.lift(v, d) for v, d in zip(vals, dims)]
    with core.set_interpreter(interp):
        outs = f(*ins)
    pairs = [interp.split(o) for o in outs]
    interp.finished = True
    return [v for v, _ in pairs], [d for _, d in pairs]


def named_axes():
    """``{name: size}`` of the named vmap axes around the current interpreter
    (innermost wins), for collectives to check their axis names against."""
    found = {}
    interp = core.current_interpreter()
    while interp is not None:
        name = getattr(interp, "axis_name", None)
        if name is not None and name not in found and not getattr(interp, "finished", False):
            found[name] = interp.axis_size
        interp = interp.parent
    return found


# ------------------------------------------------------------------ helpers

def moveaxis(x, src, dst):
    if src == dst:
        return x
    ndim = core.get_aval(x).ndim
    perm = [i for i in range(ndim) if i != src]
    perm.insert(dst, src)
    return core.bind(primitive("transpose"), x, permutation=tuple(perm))


def move_to(x, dim, dst, axis_size):
    """``x`` with its batch dim at ``dst``, broadcasting it in if unbatched."""
    if dim is None:
        aval = core.get_aval(x)
        shape = aval.shape[:dst] + (axis_size,) + aval.shape[dst:]
        keep = tuple(i for i in range(len(shape)) if i != dst)
        return core.bind(primitive("broadcast_in_dim"), x, shape=shape,
                         broadcast_dimensions=keep)
    return moveaxis(x, dim, dst)


# ------------------------------------------------------ rule constructors

def defvectorized(prim):
    """Unary ops that act on each element independently."""
    def rule(axis_size, vals, dims, **params):
        return core.bind(prim, *vals, **params), dims[0]
    batch_rules[prim] = rule


def defbroadcasting(prim):
    """n-ary elementwise ops whose operands share a shape (rank-0 operands
    broadcast). The output keeps the first batched full-rank operand's dim."""
    batch_rules[prim] = broadcasting_rule(prim)


def broadcasting_rule(prim):
    def rule(axis_size, vals, dims, **params):
        ranks = [core.get_aval(v).ndim - (d is not None) for v, d in zip(vals, dims)]
        rank = max(ranks)
        out_dim = next((d for d, r in zip(dims, ranks) if d is not None and r == rank), 0)
        args = []
        for v, d, r in zip(vals, dims, ranks):
            if d is None and r == 0:
                args.append(v)          # a scalar broadcasts by itself
            elif r == rank:
                args.append(move_to(v, d, out_dim, axis_size))
            else:                        # batched scalar among full-rank operands
                args.append(_broadcast_batched_scalar(v, out_dim, rank, vals, dims, ranks))
        return core.bind(prim, *args, **params), out_dim
    return rule


def _broadcast_batched_scalar(v, out_dim, rank, vals, dims, ranks):
    full = next(x for x, r, d in zip(vals, ranks, dims) if r == rank)
    full_dim = next(d for x, r, d in zip(vals, ranks, dims) if r == rank)
    shape = list(core.get_aval(full).shape)
    if full_dim is None:
        shape.insert(out_dim, core.get_aval(v).shape[0])
    elif full_dim != out_dim:
        shape.insert(out_dim, shape.pop(full_dim))
    return core.bind(primitive("broadcast_in_dim"), v, shape=tuple(shape),
                     broadcast_dimensions=(out_dim,))


def defreducer(prim, axes_param="axes"):
    """Reductions over ``axes``: renumber the axes around the batch dim."""
    def rule(axis_size, vals, dims, **params):
        (x,), (d,) = vals, dims
        axes = params[axes_param]
        new_axes = tuple(a + (a >= d) for a in axes)
        params = dict(params, **{axes_param: new_axes})
        out_dim = d - sum(a < d for a in axes)
        return core.bind(prim, x, **params), out_dim
    batch_rules[prim] = rule
