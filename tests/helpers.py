"""Shared checks: derivatives against central finite differences (float64),
vmap against a Python loop, jit against eager."""
import numpy as np

import jaxlite
from jaxlite import tree_util

RNG = np.random.default_rng(0)


def _flat(x):
    return [np.asarray(v, np.float64) for v in tree_util.tree_leaves(x)]


def _add(args, direction, scale):
    return tree_util.tree_map(lambda a, d: np.asarray(a) + scale * np.asarray(d), args, direction)


def _vdot(a, b):
    return sum(float(np.sum(x * y)) for x, y in zip(_flat(a), _flat(b)))


def _random_like(tree, rng):
    return tree_util.tree_map(lambda a: rng.standard_normal(np.shape(a)).astype(np.asarray(a).dtype),
                              tree)


def _assert_close(a, b, rtol, atol, what):
    for x, y in zip(_flat(a), _flat(b)):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=what)


def check_jvp(f, args, eps=1e-6, rtol=1e-5, atol=1e-6, rng=RNG):
    """jvp(f) along a random direction against a central difference."""
    v = _random_like(args, rng)
    _, t = jaxlite.jvp(f, args, v)
    numeric = tree_util.tree_map(
        lambda hi, lo: (np.asarray(hi, np.float64) - np.asarray(lo, np.float64)) / (2 * eps),
        f(*_add(args, v, eps)), f(*_add(args, v, -eps)))
    _assert_close(t, numeric, rtol, atol, "jvp vs finite differences")


def check_vjp(f, args, rtol=1e-5, atol=1e-6, rng=RNG):
    """<u, J v> from jvp equals <J^T u, v> from vjp."""
    v = _random_like(args, rng)
    out, t = jaxlite.jvp(f, args, v)
    u = _random_like(out, rng)
    _, vjp_fn = jaxlite.vjp(f, *args)
    ct = vjp_fn(u)
    lhs, rhs = _vdot(u, t), _vdot(ct, v)
    np.testing.assert_allclose(lhs, rhs, rtol=rtol, atol=atol, err_msg="vjp vs jvp")
    check_jvp(f, args, rtol=rtol, atol=atol, rng=rng)


def check_grads(f, args, order=2, modes=("fwd", "rev"), rtol=1e-5, atol=1e-6, rng=None):
    """Check derivatives of ``f`` at ``args`` (a tuple of float64 arrays) up to ``order``:
    forward against finite differences, reverse against forward."""
    rng = np.random.default_rng(1) if rng is None else rng
    args = tuple(args)
    if "fwd" in modes:
        check_jvp(f, args, rtol=rtol, atol=atol, rng=rng)
    if "rev" in modes:
        check_vjp(f, args, rtol=rtol, atol=atol, rng=rng)
    if order > 1:
        v = _random_like(args, rng)
        if "fwd" in modes:
            check_grads(lambda *a: jaxlite.jvp(f, a, v)[1], args, order - 1, ("fwd",),
                        rtol, atol, rng)
        if "rev" in modes:
            out = f(*args)
            u = _random_like(out, rng)
            check_grads(lambda *a: jaxlite.vjp(f, *a)[1](u), args, order - 1, ("rev",),
                        rtol, atol, rng)


def check_vmap(f, args, in_axes=0, rtol=1e-6, atol=1e-6):
    """vmap(f) against stacking f over a Python loop."""
    axes = in_axes if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
    size = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    expected = []
    for i in range(size):
        sl = [a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, axes)]
        expected.append(f(*sl))
    expected = tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *expected)
    got = jaxlite.vmap(f, in_axes=tuple(axes))(*args)
    _assert_close(got, expected, rtol, atol, "vmap vs loop")


def check_jit(f, args, rtol=1e-6, atol=1e-6):
    """jit(f) against eager f, same dtypes."""
    expected = f(*args)
    got = jaxlite.jit(f)(*args)
    for g, e in zip(tree_util.tree_leaves(got), tree_util.tree_leaves(expected)):
        assert np.asarray(g).dtype == np.asarray(e).dtype, (np.asarray(g).dtype, np.asarray(e).dtype)
        np.testing.assert_allclose(np.asarray(g, np.float64) if np.asarray(g).dtype != bool
                                   else g, np.asarray(e, np.float64)
                                   if np.asarray(e).dtype != bool else e,
                                   rtol=rtol, atol=atol, err_msg="jit vs eager")


# --------------------------------------------- input samplers (rng, shape)
# Domains away from each primitive's singularities and kinks.

def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def unit(rng, shape):
    return rng.uniform(-0.8, 0.8, shape)


def above_minus_half(rng, shape):
    return rng.uniform(-0.4, 2.0, shape)


def away_from_zero(rng, shape):
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def small(rng, shape):
    return rng.uniform(-1.2, 1.2, shape)
