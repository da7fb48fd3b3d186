"""checkpoint / remat: a call primitive whose partial evaluation saves only
its inputs, so reverse mode recomputes the rest in the backward pass.

``checkpoint_p`` holds ``jaxpr`` (closed-over values are leading operands),
``prevent_cse`` and ``policy``. Its values and derivatives are those of the
jaxpr; what changes is what ``linearize`` (hence ``grad``/``vjp``) keeps
between the forward and the backward pass:

- partial evaluation runs the known part now and keeps as residuals only the
  known *inputs*, plus the intermediate values the ``policy`` allows (for
  example ``checkpoint_policies.dots_saveable``: dot_general outputs); the
  staged part is again a ``checkpoint_p`` that recomputes from those inputs;
- its transpose recomputes the residuals it needs from its known operands,
  then runs the backward pass of the linear part.

So ``scan(checkpoint(body))`` stacks per iteration only the body's inputs.
The compiler inlines it like any call (``kind=CALL``).
"""
import functools

from jaxlite import core, tree_util
from jaxlite.core import Primitive
from jaxlite.interpreters import ad, batching, partial_eval as pe
from jaxlite.interpreters.ad import Zero, UndefPrimal
from jaxlite.ir import ClosedJaxpr, Jaxpr, dce
from jaxlite.lax import jaxpr_transforms as sj

__all__ = ["checkpoint_p", "checkpoint", "remat", "checkpoint_policies"]

checkpoint_p = Primitive("checkpoint", multiple_results=True, kind=core.CALL)


def _checkpoint_impl(*args, jaxpr, prevent_cse, policy):
    return sj.run(jaxpr, *args)


def _checkpoint_abstract_eval(*avals, jaxpr, prevent_cse, policy):
    want = jaxpr.in_avals
    if len(avals) != len(want) or any(a.shape != b.shape or a.dtype != b.dtype
                                      for a, b in zip(avals, want)):
        raise TypeError(f"checkpoint: the jaxpr takes ({', '.join(map(str, want))}), called "
                        f"with ({', '.join(map(str, avals))})")
    return jaxpr.out_avals


core.impl_rules[checkpoint_p] = _checkpoint_impl
core.abstract_eval_rules[checkpoint_p] = _checkpoint_abstract_eval


def _checkpoint_jvp(primals, tangents, jaxpr, prevent_cse, policy):
    nonzero = tuple(type(t) is not Zero and ad.differentiable(core.get_aval(p))
                    for p, t in zip(primals, tangents))
    new, out_nz = sj.jvp_jaxpr(jaxpr, nonzero, (False,) * len(jaxpr.out_avals))
    args = list(primals) + [t for t, nz in zip(tangents, nonzero) if nz]
    outs = checkpoint_p.bind(*sj.coerce(args, new.in_avals), jaxpr=new,
                             prevent_cse=prevent_cse, policy=policy)
    n = len(jaxpr.out_avals)
    t_out = iter(outs[n:])
    return outs[:n], [next(t_out) if nz else Zero(a) for nz, a in zip(out_nz, jaxpr.out_avals)]


ad.jvp_rules[checkpoint_p] = _checkpoint_jvp


@sj.cached
def _remat_split(jaxpr, unknown, policy):
    """``(forward, recompute, out_unknown, n_saved, needed)``: ``forward``
    maps the known inputs to the known outputs and ``n_saved`` values the
    policy saves; ``recompute`` maps (saved values, the known inputs marked
    ``needed``, unknown inputs) to the unknown outputs, recomputing the
    residuals from those."""
    known, unknown_j, out_uk, nres = sj.partial_eval_jaxpr(
        jaxpr, unknown, (False,) * len(jaxpr.out_avals))
    kj = known.jaxpr
    n_out = len(kj.outvars) - nres
    res_vars = kj.outvars[n_out:]
    # Saveable equations are cut out of the recomputation: their outputs
    # become its inputs, kept from the forward pass when they are needed.
    cut = {id(e) for e in kj.eqns if _saveable(e, policy)}
    candidates = [v for e in kj.eqns if id(e) in cut for v in e.outvars]
    rest = dce(Jaxpr(kj.constvars, candidates + kj.invars,
                     [e for e in kj.eqns if id(e) not in cut], res_vars))
    used = {a for e in rest.eqns for a in e.inputs} | set(res_vars)
    saved = [v for v in candidates if v in used]
    needed = tuple(v in used for v in kj.invars)      # the known inputs it reads
    ins = [v for v, n in zip(kj.invars, needed) if n]
    recompute_res = ClosedJaxpr(Jaxpr(kj.constvars, saved + ins, rest.eqns, res_vars),
                                known.consts)
    forward = ClosedJaxpr(dce(Jaxpr(kj.constvars, kj.invars, kj.eqns,
                                    kj.outvars[:n_out] + saved)), known.consts)
    n_in = len(saved) + len(ins)

    def recompute(*args):
        return sj.run(unknown_j, *sj.run(recompute_res, *args[:n_in]), *args[n_in:])
    avals = ([v.aval for v in saved + ins]
             + [a for a, u in zip(jaxpr.in_avals, unknown) if u])
    return forward, pe.trace_flat(recompute, avals), out_uk, len(saved), needed


def _saveable(eqn, policy):
    """May the policy keep this equation's outputs for the backward pass?"""
    if policy is None:
        return False
    return bool(policy(eqn.prim, *[a.aval for a in eqn.inputs], **eqn.params))


def _checkpoint_partial_eval(stager, args, params):
    jaxpr, policy = params["jaxpr"], params["policy"]
    unknown = tuple(stager.owns(a) for a in args)
    forward, recompute, out_uk, n_saved, needed = _remat_split(jaxpr, unknown, policy)
    known_args = [a for a, u in zip(args, unknown) if not u]
    known_outs = core.bind_with(stager.parent, checkpoint_p,
                                *sj.coerce(known_args, forward.in_avals), jaxpr=forward,
                                prevent_cse=params["prevent_cse"], policy=policy)
    n_known = len(known_outs) - n_saved
    uk_args = [a for a, u in zip(args, unknown) if u]
    uk_outs = stager.stage(checkpoint_p, known_outs[n_known:]
                           + [a for a, n in zip(known_args, needed) if n] + uk_args,
                           dict(params, jaxpr=recompute))
    k, u = iter(known_outs[:n_known]), iter(uk_outs)
    return [next(u) if is_u else next(k) for is_u in out_uk]


pe.partial_eval_rules[checkpoint_p] = _checkpoint_partial_eval


def _checkpoint_transpose(cts, *args, jaxpr, prevent_cse, policy):
    # The recomputation happens here, in the backward pass: the residuals of
    # the linear part are computed again from the known operands.
    linear = tuple(type(a) is UndefPrimal for a in args)
    known, lin_j, _, _ = sj.partial_eval_jaxpr(jaxpr, linear,
                                                  (True,) * len(jaxpr.out_avals))
    res = sj.run(known, *[a for a in args if type(a) is not UndefPrimal])
    undef = [a for a in args if type(a) is UndefPrimal]
    cts_in = ad.backward_pass(lin_j.jaxpr, lin_j.consts, list(res) + undef, list(cts))
    cts_in = iter(cts_in[len(res):])
    return [next(cts_in) if l else None for l in linear]


ad.transpose_rules[checkpoint_p] = _checkpoint_transpose


def _checkpoint_batch(axis_size, vals, dims, jaxpr, prevent_cse, policy):
    batched = tuple(d is not None for d in dims)
    vals = [batching.moveaxis(v, d, 0) if d is not None else v for v, d in zip(vals, dims)]
    new, out_b = sj.batch_jaxpr(jaxpr, axis_size, batched, (False,) * len(jaxpr.out_avals))
    outs = checkpoint_p.bind(*vals, jaxpr=new, prevent_cse=prevent_cse, policy=policy)
    return outs, [0 if b else None for b in out_b]


batching.batch_rules[checkpoint_p] = _checkpoint_batch


# ---------------------------------------------------------------- policies

def _dot_name(prim):
    return getattr(prim, "name", None) == "dot_general"


class checkpoint_policies:   # noqa: N801 (JAX's name)
    """Which intermediate values checkpoint may keep for the backward pass:
    ``policy(prim, *avals, **params) -> bool``. jaxlite's
    ``ad_checkpoint.checkpoint_name`` does not tag values, so the name-based
    policies save nothing by name."""
    @staticmethod
    def everything_saveable(prim, *_, **__):
        return True

    @staticmethod
    def nothing_saveable(prim, *_, **__):
        return False

    @staticmethod
    def dots_saveable(prim, *_, **__):
        return _dot_name(prim)

    checkpoint_dots = dots_saveable

    @staticmethod
    def dots_with_no_batch_dims_saveable(prim, *_, **params):
        dims = params.get("dimension_numbers")
        return _dot_name(prim) and dims is not None and not dims[1][0]

    checkpoint_dots_with_no_batch_dims = dots_with_no_batch_dims_saveable

    @staticmethod
    def save_only_these_names(*names):
        return checkpoint_policies.nothing_saveable

    @staticmethod
    def save_any_names_but_these(*names):
        return checkpoint_policies.nothing_saveable

    @staticmethod
    def save_from_both_policies(policy_1, policy_2):
        def either(prim, *avals, **params):
            return policy_1(prim, *avals, **params) or policy_2(prim, *avals, **params)
        return either


# ------------------------------------------------------------------- API

def checkpoint(fun=None, *, prevent_cse=True, policy=None, static_argnums=()):
    """``fun`` with the same values and derivatives, whose reverse mode keeps
    only its inputs (and what ``policy`` saves) and recomputes the rest."""
    if fun is None:
        return lambda f: checkpoint(f, prevent_cse=prevent_cse, policy=policy,
                                    static_argnums=static_argnums)
    if not callable(fun):
        raise TypeError(f"checkpoint: expected a callable, got {fun!r}")
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun)
    def wrapped(*args):
        nargs = len(args)
        fixed = {i % nargs: args[i % nargs] for i in static} if nargs else {}
        dyn = [a for i, a in enumerate(args) if i not in fixed]
        flat, in_tree = tree_util.tree_flatten(dyn)
        out_box = []

        def flat_fun(*leaves):
            it = iter(tree_util.tree_unflatten(in_tree, leaves))
            full = [fixed[i] if i in fixed else next(it) for i in range(nargs)]
            out, out_tree = tree_util.tree_flatten(fun(*full))
            out_box.append(out_tree)
            return out
        closed, consts = sj.trace_closing_consts(flat_fun, [core.get_aval(x) for x in flat])
        outs = checkpoint_p.bind(*consts, *flat, jaxpr=closed, prevent_cse=bool(prevent_cse),
                                 policy=policy)
        return tree_util.tree_unflatten(out_box[0], outs)
    return wrapped


remat = checkpoint
