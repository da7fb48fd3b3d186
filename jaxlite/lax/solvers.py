"""custom_linear_solve and custom_root: solvers differentiated implicitly.

Each is a call primitive over traced jaxprs. The user's ``solve`` computes the
value (eagerly its jaxpr runs; compiled, ``call_jaxpr`` is inlined), while
derivatives never differentiate through ``solve`` (which may be a while loop):

* ``linear_solve_p`` takes ``(matvec consts, vecmat consts, solve consts,
  transpose_solve consts, b)``. Its jvp is another linear solve,
  ``dx = A^-1 (db - dA x)``, and that tangent solve is linear in its right-hand
  side, so its transpose rule is a solve with the transposed operator
  (``transpose_solve`` applied to ``vecmat``): reverse mode follows.
* ``root_p`` takes ``(f consts, solve consts, tangent-solve consts (twice),
  guess)``. By the implicit function theorem its tangent is
  ``-(df/dx)^-1 (df/dparams . dparams)``: a ``linear_solve_p`` whose operator
  is ``f`` linearized at the root and whose solve is the user's
  ``tangent_solve``, and whose transpose solve is ``tangent_solve`` on the
  transposed linearization; so reverse mode never transposes ``tangent_solve``.

Under vmap both batch every jaxpr they hold, with the solution and right-hand
side always batched (simpler than tracking which leaves are, and equal in value).
"""
from typing import NamedTuple

import numpy as np

from jaxlite import core, tree_util
from jaxlite.core import Primitive
from jaxlite.interpreters import ad, batching, partial_eval as pe
from jaxlite.interpreters.ad import Zero
from jaxlite.lax import jaxpr_transforms as sj
from jaxlite.lax.elementwise import neg

# root_p stays module-level: jax.lax shows linear_solve_p but no root primitive.
__all__ = ["custom_linear_solve", "custom_root", "linear_solve_p"]


# ----------------------------------------------------------------- helpers

def _shaped_aval(x):
    """A leaf's aval as a jaxpr input: shape and dtype, not weakly typed."""
    return core.get_aval(x).update(weak_type=False)


def _check_tree(func_name, expected_name, actual_tree, expected_tree):
    if actual_tree != expected_tree:
        raise TypeError(f"{func_name}() output pytree structure must match {expected_name}, "
                        f"got {actual_tree} and {expected_tree}.")


def _check_shapes(func_name, expected_name, actual, expected):
    got = [tuple(np.shape(x)) for x in actual]
    want = [tuple(np.shape(x)) for x in expected]
    if got != want:
        raise ValueError(f"{func_name}() output shapes must match {expected_name}, "
                         f"got {got} and {want}")


def _trace(fun, in_tree, avals, name, expected_name, has_aux=False, check_shapes=True):
    """Trace ``fun(tree) -> tree`` (or ``(tree, aux)``) over flat avals,
    checking its output against the input's shapes (custom_linear_solve) and
    structure, with JAX's errors. Returns ``(jaxpr, consts, aux_tree)``: the
    closed-over values become the jaxpr's leading inputs, so transforms see
    them as operands; aux leaves follow the solution's among the outputs."""
    store = {}

    def flat(*xs):
        out = fun(tree_util.tree_unflatten(in_tree, xs))
        x, aux = out, ()
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise ValueError(f"{name}() produced a pytree with structure "
                                 f"{tree_util.tree_structure(out)}, but a pytree tuple with "
                                 f"auxiliary output was expected because has_aux was set to "
                                 f"True.")
            x, aux = out
        x_leaves, x_tree = tree_util.tree_flatten(x)
        if check_shapes:
            _check_shapes(name, expected_name, x_leaves, avals)
        _check_tree(name, expected_name, x_tree, in_tree)
        aux_leaves, store["aux_tree"] = tree_util.tree_flatten(aux)
        return x_leaves + aux_leaves
    flat.__name__ = name
    jaxpr, consts = sj.trace_closing_consts(flat, list(avals))
    return jaxpr, consts, store["aux_tree"]


def _split(args, lengths):
    out, i = [], 0
    for n in lengths:
        out.append(list(args[i:i + n]))
        i += n
    out.append(list(args[i:]))
    return out


def _call_jaxpr(prim_solve_index):
    """A staging rule giving the call the jaxpr the compiler inlines: the
    solve jaxpr over all the operands (the others' consts unused)."""
    def rule(in_avals, params):
        if "call_jaxpr" in params:
            return params
        lengths, jaxprs = params["const_lengths"], params["jaxprs"]
        start = sum(lengths[:prim_solve_index])
        stop = start + lengths[prim_solve_index]
        n_const = sum(lengths)
        solve = jaxprs[prim_solve_index]

        def f(*args):
            return sj.run(solve, *args[start:stop], *args[n_const:])
        return dict(params, call_jaxpr=pe.trace_flat(f, list(in_avals)))
    return rule


def _batch_all(jaxpr, axis_size, consts_batched, n_rest):
    """``jaxpr`` vmapped with its consts batched as given and its other
    inputs and every output batched at axis 0."""
    if jaxpr is None:
        return None
    mask = tuple(consts_batched) + (True,) * n_rest
    return sj.batch_jaxpr(jaxpr, axis_size, mask, (True,) * len(jaxpr.out_avals))[0]


def _to_front(vals, dims, axis_size, force=False):
    """Values with their batch dim at 0; unbatched ones broadcast if ``force``."""
    return [batching.move_to(v, d, 0, axis_size) if d is not None or force else v
            for v, d in zip(vals, dims)]


# ------------------------------------------------------- custom_linear_solve

class _LinearSolveTuple(NamedTuple):
    matvec: object
    vecmat: object
    solve: object
    transpose_solve: object

    def transpose(self):
        return type(self)(self.vecmat, self.matvec, self.transpose_solve, self.solve)


linear_solve_p = Primitive("custom_linear_solve", multiple_results=True, kind=core.CALL)
linear_solve_p.impl_runs_python = True


def _linear_solve_impl(*args, const_lengths, jaxprs, **_):
    groups = _split(args, const_lengths)
    return sj.run(jaxprs.solve, *groups[2], *groups[-1])


def _linear_solve_abstract_eval(*avals, const_lengths, jaxprs, **_):
    return list(jaxprs.solve.out_avals)


def _tangent_of_matvec(matvec, params, params_dot, x):
    """``dA x``: the tangent of ``matvec(params, x)`` along ``params_dot`` only."""
    _, out = ad.jvp_flat(lambda *a: sj.run(matvec, *a), list(params) + list(x),
                         list(params_dot) + [Zero(core.get_aval(v)) for v in x])
    return out


def _linear_solve_jvp(primals, tangents, const_lengths, jaxprs, **_):
    # A x = b, so dA x + A dx = db and dx = A^-1 (db - dA x).
    x = linear_solve_p.bind(*primals, const_lengths=const_lengths, jaxprs=jaxprs)
    params = _split(primals, const_lengths)
    params_dot = _split(tangents, const_lengths)
    b_dot = params_dot[-1]
    nb = len(b_dot)
    rhs = list(b_dot)
    if any(type(t) is not Zero for t in params_dot[0]):
        dAx = _tangent_of_matvec(jaxprs.matvec, params[0], params_dot[0], x[:nb])
        rhs = [ad.add_tangents(r, t if type(t) is Zero else neg(t)) for r, t in zip(rhs, dAx)]
    aux_zeros = [Zero(a) for a in jaxprs.solve.out_avals[nb:]]
    if all(type(r) is Zero for r in rhs):
        return x, [Zero(core.get_aval(v)) for v in x[:nb]] + aux_zeros
    rhs = sj.coerce([ad.instantiate(r) for r in rhs], jaxprs.solve.out_avals[:nb])
    consts = [c for group in params[:-1] for c in group]
    dx = linear_solve_p.bind(*consts, *rhs, const_lengths=const_lengths, jaxprs=jaxprs)
    return x, list(dx[:nb]) + aux_zeros


def _linear_solve_transpose(cts, *args, const_lengths, jaxprs, **_):
    if jaxprs.transpose_solve is None:
        raise TypeError("transpose_solve required for backwards mode automatic "
                        "differentiation of custom_linear_solve")
    groups = _split(args, const_lengths)
    if any(ad.is_undef(p) for group in groups[:-1] for p in group):
        raise TypeError("custom_linear_solve is linear in b only: its operator's "
                        "parameters cannot be transposed")
    nb = len(groups[-1])
    x_cts = cts[:nb]
    if all(type(c) is Zero for c in x_cts):
        return [None] * len(args)
    t_jaxprs = jaxprs.transpose()
    t_groups = [groups[1], groups[0], groups[3], groups[2]]
    t_lengths = tuple(len(g) for g in t_groups)
    x_cts = sj.coerce([ad.instantiate(c) for c in x_cts], t_jaxprs.solve.out_avals[:nb])
    b_cts = linear_solve_p.bind(*[c for g in t_groups for c in g], *x_cts,
                                const_lengths=t_lengths, jaxprs=t_jaxprs)
    return [None] * sum(const_lengths) + list(b_cts[:nb])


def _linear_solve_batch(axis_size, vals, dims, const_lengths, jaxprs, **_):
    groups = _split(vals, const_lengths)
    gdims = _split(dims, const_lengths)
    nb = len(groups[-1])
    new_jaxprs = _LinearSolveTuple(*[
        _batch_all(j, axis_size, [d is not None for d in gd], nb)
        for j, gd in zip(jaxprs, gdims[:-1])])
    consts = [v for g, gd in zip(groups[:-1], gdims[:-1]) for v in _to_front(g, gd, axis_size)]
    b = _to_front(groups[-1], gdims[-1], axis_size, force=True)
    outs = linear_solve_p.bind(*consts, *b, const_lengths=const_lengths, jaxprs=new_jaxprs)
    return outs, [0] * len(outs)


core.impl_rules[linear_solve_p] = _linear_solve_impl
core.abstract_eval_rules[linear_solve_p] = _linear_solve_abstract_eval
pe.staging_param_rules[linear_solve_p] = _call_jaxpr(2)
ad.jvp_rules[linear_solve_p] = _linear_solve_jvp
ad.transpose_rules[linear_solve_p] = _linear_solve_transpose
batching.batch_rules[linear_solve_p] = _linear_solve_batch


def _transpose_of(matvec, b_tree, b_avals):
    """``vecmat``: the transpose of the linear ``matvec`` on b's space,
    by linearizing it at zeros and transposing the linear jaxpr."""
    def vecmat(y):
        zeros = [np.zeros(a.shape, a.dtype).view(core.Array) for a in b_avals]
        _, lin = ad.linearize_flat(
            lambda *xs: tree_util.tree_leaves(matvec(tree_util.tree_unflatten(b_tree, xs))),
            zeros)
        cts = lin.transpose(tree_util.tree_leaves(y))
        return tree_util.tree_unflatten(b_tree, [ad.instantiate(c) for c in cts])
    return vecmat


def custom_linear_solve(matvec, b, solve, transpose_solve=None, symmetric=False,
                        has_aux=False):
    """``solve(matvec, b)``, with derivatives defined by implicit differentiation
    of ``matvec(x) == b`` (not by differentiating ``solve``), as JAX's.

    ``b`` may be any pytree of arrays; derivatives flow to ``b`` and to values
    ``matvec`` closes over. Reverse mode needs ``transpose_solve(vecmat, y)``
    (``vecmat`` being the transpose of ``matvec``), or ``symmetric=True`` to use
    ``solve`` for it. With ``has_aux`` the solvers return ``(x, aux)``."""
    if transpose_solve is None and symmetric:
        transpose_solve = solve
    b_flat, tree = tree_util.tree_flatten(b)
    avals = [_shaped_aval(x) for x in b_flat]

    matvec_j, matvec_c, _ = _trace(matvec, tree, avals, "matvec", "b")
    solve_j, solve_c, aux_tree = _trace(lambda x: solve(matvec, x), tree, avals, "solve",
                                        "b", has_aux)
    if transpose_solve is None:
        vecmat_j = tr_solve_j = None
        vecmat_c, tr_solve_c = [], []
    else:
        if symmetric:
            vecmat, vecmat_j, vecmat_c = matvec, matvec_j, matvec_c
        else:
            vecmat = _transpose_of(matvec, tree, avals)
            vecmat_j, vecmat_c, _ = _trace(vecmat, tree, avals, "vecmat", "b")
        tr_solve_j, tr_solve_c, _ = _trace(lambda x: transpose_solve(vecmat, x), tree, avals,
                                           "transpose_solve", "b", has_aux)
    consts = [matvec_c, vecmat_c, solve_c, tr_solve_c]
    jaxprs = _LinearSolveTuple(matvec_j, vecmat_j, solve_j, tr_solve_j)
    b_flat = sj.coerce(b_flat, avals)
    outs = linear_solve_p.bind(*[c for g in consts for c in g], *b_flat,
                               const_lengths=tuple(map(len, consts)), jaxprs=jaxprs)
    x = tree_util.tree_unflatten(tree, outs[:len(b_flat)])
    if has_aux:
        return x, tree_util.tree_unflatten(aux_tree, outs[len(b_flat):])
    return x


# ---------------------------------------------------------------- custom_root

class _RootTuple(NamedTuple):
    f: object
    solve: object
    tangent_solve: object      # (consts, x, y) -> tangent_solve(f linearized at x, y)
    tangent_solve_t: object    # the same on the transpose of that linearization


root_p = Primitive("custom_root", multiple_results=True, kind=core.CALL)
root_p.impl_runs_python = True


def _root_impl(*args, const_lengths, jaxprs, **_):
    groups = _split(args, const_lengths)
    return sj.run(jaxprs.solve, *groups[1], *groups[-1])


def _root_abstract_eval(*avals, const_lengths, jaxprs, **_):
    return list(jaxprs.solve.out_avals)


@sj.cached
def _f_linearized(f, n_consts):
    """``(consts, x, t) -> d_x f(consts, x) . t``: f's tangent in x only."""
    def lin(*args):
        primals = args[:len(f.in_avals)]
        ts = args[len(f.in_avals):]
        tangents = [Zero(a) for a in f.in_avals[:n_consts]] + list(ts)
        _, out = ad.jvp_flat(lambda *a: sj.run(f, *a), list(primals), tangents)
        return [ad.instantiate(o) for o in out]
    return pe.trace_flat(lin, list(f.in_avals) + list(f.in_avals[n_consts:]))


@sj.cached
def _f_linearized_t(f, n_consts):
    """``(consts, x, c) -> (d_x f(consts, x))^T c``: the transpose of that map."""
    def lin_t(*args):
        consts = args[:n_consts]
        x, cts = args[n_consts:len(f.in_avals)], args[len(f.in_avals):]
        _, lin = ad.linearize_flat(lambda *xs: sj.run(f, *consts, *xs), list(x))
        return [ad.instantiate(c) for c in lin.transpose(list(cts))]
    return pe.trace_flat(lin_t, list(f.in_avals) + list(f.out_avals))


def _root_jvp(primals, tangents, const_lengths, jaxprs, **_):
    # f(p, x*(p)) = 0, so d_p f . dp + d_x f . dx* = 0 and
    # dx* = -(d_x f)^-1 (d_p f . dp). That solve is a linear_solve_p whose solve
    # is the user's tangent_solve: it stays transposable (reverse mode) even
    # when tangent_solve itself is not, as its transpose is tangent_solve on
    # the transposed linearization.
    sol = root_p.bind(*primals, const_lengths=const_lengths, jaxprs=jaxprs)
    groups = _split(primals, const_lengths)
    f_dot = _split(tangents, const_lengths)[0]
    n = len(groups[-1])
    x = list(sol[:n])
    zeros = [Zero(a) for a in jaxprs.solve.out_avals]
    if all(type(t) is Zero for t in f_dot):
        return sol, zeros
    _, rhs = ad.jvp_flat(lambda *a: sj.run(jaxprs.f, *a), groups[0] + x,
                         list(f_dot) + [Zero(core.get_aval(v)) for v in x])
    if all(type(r) is Zero for r in rhs):
        return sol, zeros
    rhs = sj.coerce([ad.instantiate(r) for r in rhs], jaxprs.f.out_avals)
    nf = len(groups[0])
    solves = _LinearSolveTuple(_f_linearized(jaxprs.f, nf), _f_linearized_t(jaxprs.f, nf),
                               jaxprs.tangent_solve, jaxprs.tangent_solve_t)
    consts = [groups[0] + x, groups[0] + x, groups[2] + x, groups[3] + x]
    dx = linear_solve_p.bind(*[c for g in consts for c in g], *rhs,
                             const_lengths=tuple(map(len, consts)), jaxprs=solves)
    return sol, [neg(d) for d in dx] + zeros[n:]


def _root_batch(axis_size, vals, dims, const_lengths, jaxprs, **_):
    groups = _split(vals, const_lengths)
    gdims = _split(dims, const_lengths)
    n = len(groups[-1])
    n_rest = (n, n, 2 * n, 2 * n)       # f(x), solve(guess), the tangent solves (x, y)
    new_jaxprs = _RootTuple(*[
        _batch_all(j, axis_size, [d is not None for d in gd], k)
        for j, gd, k in zip(jaxprs, gdims[:-1], n_rest)])
    consts = [v for g, gd in zip(groups[:-1], gdims[:-1]) for v in _to_front(g, gd, axis_size)]
    guess = _to_front(groups[-1], gdims[-1], axis_size, force=True)
    outs = root_p.bind(*consts, *guess, const_lengths=const_lengths, jaxprs=new_jaxprs)
    return outs, [0] * len(outs)


core.impl_rules[root_p] = _root_impl
core.abstract_eval_rules[root_p] = _root_abstract_eval
pe.staging_param_rules[root_p] = _call_jaxpr(1)
ad.jvp_rules[root_p] = _root_jvp
batching.batch_rules[root_p] = _root_batch


def _trace_tangent_solve(f, tangent_solve, tree, avals, transposed):
    """``(jaxpr, consts)`` of ``(x, y) -> tangent_solve(g, y)`` with ``g`` f
    linearized at x (or its transpose)."""
    def f_flat(*xs):
        return tree_util.tree_leaves(f(tree_util.tree_unflatten(tree, xs)))

    def run(*xy):
        x, y = xy[:len(avals)], xy[len(avals):]
        _, lin = ad.linearize_flat(f_flat, list(x))
        apply = lin.transpose if transposed else (lambda ts: lin(*ts))

        def g(t):
            ts = sj.coerce(tree_util.tree_leaves(t), avals)
            return tree_util.tree_unflatten(tree, [ad.instantiate(o) for o in apply(ts)])
        out = tangent_solve(g, tree_util.tree_unflatten(tree, y))
        leaves, out_tree = tree_util.tree_flatten(out)
        _check_tree("tangent_solve", "x", out_tree, tree)
        return sj.coerce(leaves, avals)
    return sj.trace_closing_consts(run, avals + avals)


def custom_root(f, initial_guess, solve, tangent_solve, has_aux=False):
    """``solve(f, initial_guess)``, a root of ``f``, differentiable with respect
    to values ``f`` closes over by the implicit function theorem, as JAX's.

    ``tangent_solve(g, y)`` solves ``g(x) = y`` for the linear ``g`` (``f``
    linearized at the root), e.g. ``lambda g, y: y / g(1.0)`` for scalars.
    Reverse mode calls it on the transposed linear map too. With ``has_aux``
    ``solve`` returns ``(root, aux)``."""
    guess_flat, tree = tree_util.tree_flatten(initial_guess)
    avals = [_shaped_aval(x) for x in guess_flat]
    # JAX checks the structure of f's and solve's outputs here, not their shapes.
    f_j, f_c, _ = _trace(f, tree, avals, "f", "initial_guess", check_shapes=False)
    solve_j, solve_c, aux_tree = _trace(lambda x: solve(f, x), tree, avals, "solve",
                                        "initial_guess", has_aux, check_shapes=False)
    ts_j, ts_c = _trace_tangent_solve(f, tangent_solve, tree, avals, False)
    tst_j, tst_c = _trace_tangent_solve(f, tangent_solve, tree, avals, True)
    consts = [f_c, solve_c, ts_c, tst_c]
    guess_flat = sj.coerce(guess_flat, avals)
    outs = root_p.bind(*[c for g in consts for c in g], *guess_flat,
                       const_lengths=tuple(map(len, consts)),
                       jaxprs=_RootTuple(f_j, solve_j, ts_j, tst_j))
    x = tree_util.tree_unflatten(tree, outs[:len(guess_flat)])
    if has_aux:
        return x, tree_util.tree_unflatten(aux_tree, outs[len(guess_flat):])
    return x
