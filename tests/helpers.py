"""Shared checks and inputs for every test file.

Checks: derivatives against central finite differences (float64), vmap
against a Python loop, jit against eager, same / same_exact values.
Inputs: samplers ``f(rng, shape)`` for the domains of the primitives, and
arrays in every dtype (``data``, ``normal_array``, ``with_nans``, ``layouts``)
drawn from DATA_RNG, which restarts before every test."""
import numpy as np

import jaxlite
import jaxlite.numpy as jnp
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


def small_ints(rng, shape):
    return rng.integers(-5, 6, shape)


def sample(sampler, rng, shape, dtype):
    """``sampler``'s values in ``dtype``; bools and small integers for those dtypes."""
    if np.dtype(dtype) == np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    if np.dtype(dtype).kind == "i":
        return small_ints(rng, shape).astype(dtype)
    return np.asarray(sampler(rng, shape), dtype)


def off_integers(rng, shape):
    """Far from the jumps of floor and ceil."""
    return rng.integers(-3, 3, shape) + rng.uniform(0.2, 0.8, shape)


def near_integers(rng, shape):
    """Far from the jumps of round (the half-integers)."""
    return rng.integers(-3, 3, shape) + rng.uniform(-0.3, 0.3, shape)


def distinct(rng, shape):
    """No ties, gaps far wider than the finite-difference step."""
    n = int(np.prod(shape, dtype=np.int64))
    return rng.permutation(np.linspace(-2.0, 2.0, n) if n > 1 else np.full(n, 0.7)).reshape(shape)


# ------------------------------- arrays in every dtype, from one per-test generator
# DATA_RNG restarts before every test (conftest.py), so a test draws the same
# values whichever tests ran before it or were deselected.

B, I32, I64, F32, F64 = np.bool_, np.int32, np.int64, np.float32, np.float64
DTYPES = [B, I32, I64, F32, F64]
FLOATS = [F32, F64]
DATA_RNG = np.random.default_rng(2)
_DATA_RNG_START = DATA_RNG.bit_generator.state


def restart_data_rng():
    DATA_RNG.bit_generator.state = _DATA_RNG_START


def data(shape, dt=F64, positive=False, unit=False):
    """Random values of dtype ``dt``: True/False, small integers, or normal
    floats (``unit``: uniform in (-0.9, 0.9)). ``positive``: all True, ints
    from 1, floats |x| + 0.5."""
    if dt == B:
        return np.ones(shape, bool) if positive else np.asarray(DATA_RNG.random(shape) > 0.5)
    if np.dtype(dt).kind == "i":
        return np.asarray(DATA_RNG.integers(1 if positive else -4, 5, shape), dt)
    x = DATA_RNG.uniform(-0.9, 0.9, shape) if unit else DATA_RNG.normal(size=shape)
    return np.asarray(np.abs(x) + 0.5 if positive else x, dt)


def normal_array(shape, dtype=F64):
    return DATA_RNG.normal(size=shape).astype(dtype)


def positive_array(shape):
    return np.abs(normal_array(shape)) + 0.5


def with_nans(shape, dtype=F64, frac=0.3):
    """Normal samples with about ``frac`` NaNs, but no slice along any axis all NaN."""
    x = normal_array(shape, dtype)
    mask = DATA_RNG.random(shape) < frac
    mask.flat[0] = False
    x[mask] = np.nan
    x[(0,) * (len(shape) - 1)] = normal_array(shape[-1:], dtype)    # one clean row
    for ax in range(len(shape)):
        idx = [slice(None)] * len(shape)
        idx[ax] = 0
        clean = normal_array(shape[:ax] + shape[ax + 1:], dtype)
        x[tuple(idx)] = np.where(np.isnan(x[tuple(idx)]), clean, x[tuple(idx)])
    return x


def layouts(x):
    """``x`` and non-contiguous arrays holding the same values."""
    x = np.asarray(x)
    if x.ndim == 0 or x.size == 0:
        return [x]
    views = [np.flip(np.flip(x).copy()), np.repeat(x, 2, axis=-1)[..., ::2],
             np.asfortranarray(x)]
    return [x] + [v for v in views if not v.flags.c_contiguous]


def inexact(dt):
    """The float dtype a computation on ``dt`` happens in: int64 -> float64,
    int32/bool -> float32."""
    return F64 if dt in (I64, F64) else F32


def dtype_tol(dt):
    return {F32: 2e-6, F64: 1e-13}.get(np.dtype(dt).type, 0)


def tols(dtype):
    """assert_allclose tolerances for one float32 or float64 computation."""
    return dict(rtol=2e-6, atol=1e-6) if dtype == F32 else dict(rtol=1e-12, atol=1e-13)


def same(out, ref, dtype=None):
    """``out`` is a jnp array with ``ref``'s shape, the expected dtype
    (``ref``'s unless given) and its values."""
    ref = np.asarray(ref)
    dtype = np.dtype(ref.dtype if dtype is None else dtype)
    assert isinstance(out, jnp.ndarray), type(out)
    assert out.shape == ref.shape, (out.shape, ref.shape)
    assert out.dtype == dtype, (out.dtype, dtype)
    if dtype.kind == "f":
        tol = dtype_tol(dtype.type)
        np.testing.assert_allclose(np.asarray(out), ref.astype(dtype), rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(np.asarray(out), ref.astype(dtype))


def same_exact(out, ref):
    """``out`` has ``ref``'s shape, dtype and exactly its values."""
    ref = np.asarray(ref)
    assert out.dtype == ref.dtype, (out.dtype, ref.dtype)
    assert out.shape == ref.shape, (out.shape, ref.shape)
    np.testing.assert_array_equal(out, ref)
