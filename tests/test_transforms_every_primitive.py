"""Every primitive in the registry through every transform, from one
sampling entry each (tests/primitive_table.py).

Issues #3 and #4 ask for each primitive: jvp and vjp against central finite
differences in float64 (orders 1 and 2, order 3 for the smooth unary ones)
over several shapes and broadcasting; jacfwd == jacrev; a symmetric Hessian;
vmap against a Python loop for in_axes 0, 1, -1 and None and nested; a
staged vmap with batched shapes and no per-example loop. The per-family
files test values and many special cases; this file makes sure no primitive
is missed by any of those checks: the cases are built from
``core.all_primitives``, and a primitive without an entry fails by name.
"""
import numpy as np
import pytest

import jaxlite
from jaxlite import core, lax, tree_util
from helpers import check_grads, check_vmap
from primitive_table import NO_ENTRY, OWN_FILE_KINDS, TABLE, entry, entry_names, prims_in, \
    table_primitives

F32, F64, I32 = np.float32, np.float64, np.int32
NAMES = entry_names()


def _sum(x):
    return lax.reduce_sum(x, tuple(range(np.ndim(x))))


def _f64(x):
    return lax.convert_element_type(x, F64)


# --------------------------------------------------------- the table is the registry

@pytest.mark.parametrize("prim", table_primitives())
def test_primitive_has_a_sampling_entry(prim):
    assert any(e.prim == prim for e in TABLE.values()), (
        f"primitive {prim!r} has no entry in tests/primitive_table.py")


def test_every_registered_primitive_is_in_the_table_or_excused():
    excused = set(NO_ENTRY) | {n for n, p in core.all_primitives.items()
                               if p.kind in OWN_FILE_KINDS}
    assert sorted(set(core.all_primitives) - set(table_primitives()) - excused) == []
    assert {e.prim for e in TABLE.values()} <= set(core.all_primitives)
    assert set(NO_ENTRY) <= set(core.all_primitives)


@pytest.mark.parametrize("name", NAMES)
def test_entry_binds_its_primitive(name):
    e = entry(name)
    args = e.args(np.random.default_rng(0))
    assert e.prim in prims_in(jaxlite.make_jaxpr(e.fn)(*args).jaxpr)


# ------------------------------------------- derivatives against finite differences

def _fd_directional(f, args, v, eps=1e-6):
    hi = f(*[a + eps * d for a, d in zip(args, v)])
    lo = f(*[a - eps * d for a, d in zip(args, v)])
    return tree_util.tree_map(lambda h, l: (np.asarray(h, F64) - np.asarray(l, F64)) / (2 * eps),
                              hi, lo)


def _vdot(a, b):
    return sum(float(np.sum(np.asarray(x, F64) * np.asarray(y, F64)))
               for x, y in zip(tree_util.tree_leaves(a), tree_util.tree_leaves(b)))


def check_rev_fd(f, args, order, rng, rtol=1e-5, atol=1e-6):
    """Reverse mode only (custom_vjp has no forward mode): <u, FD(v)> equals
    <vjp(u), v>, and the same for the vjp itself as a function, to ``order``."""
    v = [rng.standard_normal(np.shape(a)) for a in args]
    out = f(*args)
    u = tree_util.tree_map(lambda o: rng.standard_normal(np.shape(o)), out)
    ct = jaxlite.vjp(f, *args)[1](u)
    np.testing.assert_allclose(_vdot(ct, v), _vdot(u, _fd_directional(f, args, v)),
                               rtol=rtol, atol=atol)
    if order > 1:
        check_rev_fd(lambda *a: jaxlite.vjp(f, *a)[1](u), args, order - 1, rng, rtol, atol)


def _fd_cases():
    for name in NAMES:
        if name == "stop_gradient":   # not a mathematical function: see its own test
            continue
        if name not in TABLE:
            yield pytest.param(name, 0, id=name)     # fails: no entry
            continue
        for k, shapes in enumerate(TABLE[name].shapes):
            yield pytest.param(name, k, id=f"{name}-{'-'.join(map(str, shapes))}")


@pytest.mark.parametrize("name,case", list(_fd_cases()))
def test_derivatives_match_finite_differences(name, case):
    e = entry(name)
    rng = np.random.default_rng(100 + case)
    args = e.args(rng, case)
    if e.fwd:
        check_grads(e.fn, args, order=e.order, rng=rng)
    else:
        check_rev_fd(e.fn, args, e.order, rng)


def test_stop_gradient_derivative_treats_its_value_as_constant():
    # f(x) = stop(x) * x: the derivative is the frozen x (finite differences of
    # f would see 2x); every order above the first is zero.
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    v = np.random.default_rng(0).standard_normal(x.shape)
    f = TABLE["stop_gradient"].fn
    frozen = lambda y: lax.mul(x, y)
    np.testing.assert_allclose(jaxlite.jvp(f, (x,), (v,))[1], _fd_directional(frozen, (x,), (v,)),
                               rtol=1e-8)
    np.testing.assert_allclose(jaxlite.grad(lambda y: _sum(f(y)))(x), x)
    np.testing.assert_array_equal(jaxlite.hessian(lambda y: _sum(f(y)))(x[0]), np.zeros((3, 3)))


def test_convert_element_type_float32_round_trip_fd():
    # Central differences of a quadratic are exact, so a coarse step (which
    # float32 can resolve) still gives the derivative to float32 rounding.
    f = lambda x: lax.mul(_f64(lax.convert_element_type(x, F32)), x)
    x = np.array([0.75, -1.25, 2.5])
    v = np.array([1.0, -0.5, 0.25])
    want = _fd_directional(f, (x,), (v,), eps=2.0 ** -6)
    np.testing.assert_allclose(jaxlite.jvp(f, (x,), (v,))[1], want, rtol=1e-6)
    np.testing.assert_allclose(jaxlite.grad(lambda y: _sum(f(y)))(x), 2 * x, rtol=1e-6)
    # int -> float and float -> int carry no derivative.
    g = lambda x: lax.mul(x, _f64(lax.convert_element_type(lax.mul(x, 3.0), I32)))
    np.testing.assert_allclose(jaxlite.grad(lambda y: _sum(g(y)))(x), np.trunc(3 * x))


# ---------------------------------------------------------- Jacobians and Hessians

def _fd_jacobian(f, args, eps=1e-6):
    """Per argument, d out / d arg with shape out.shape + arg.shape."""
    out_shape = np.shape(f(*args))
    jac = []
    for i, a in enumerate(args):
        cols = []
        for k in range(np.size(a)):
            d = np.zeros(np.size(a))
            d[k] = 1.0
            v = [d.reshape(np.shape(a)) if j == i else np.zeros(np.shape(b))
                 for j, b in enumerate(args)]
            cols.append(np.asarray(_fd_directional(f, args, v, eps)).reshape(out_shape))
        jac.append(np.moveaxis(np.array(cols).reshape(np.shape(a) + out_shape),
                               tuple(range(np.ndim(a))),
                               tuple(range(len(out_shape), len(out_shape) + np.ndim(a)))))
    return jac


@pytest.mark.parametrize("name", NAMES)
def test_jacfwd_equals_jacrev_equals_fd(name):
    e = entry(name)
    args = e.args(np.random.default_rng(200))
    argnums = tuple(range(len(args)))
    jr = jaxlite.jacrev(e.fn, argnums=argnums)(*args)
    if name != "stop_gradient":
        for got, want in zip(jr, _fd_jacobian(e.fn, args)):
            assert np.shape(got) == np.shape(want)
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    if e.fwd:
        jf = jaxlite.jacfwd(e.fn, argnums=argnums)(*args)
        for a, b in zip(jf, jr):
            assert np.shape(a) == np.shape(b)
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_hessian_is_symmetric_and_matches_fd_of_the_gradient(name):
    e = entry(name)
    rng = np.random.default_rng(300)
    args = e.args(rng)
    w = rng.standard_normal(np.shape(e.fn(*args)))
    s = lambda *a: _sum(lax.mul(lax.sin(e.fn(*a)), w))
    argnums = tuple(range(len(args)))
    hess = jaxlite.hessian if e.fwd else (
        lambda f, argnums: jaxlite.jacrev(jaxlite.jacrev(f, argnums), argnums))
    h = hess(s, argnums=argnums)(*args)
    n = len(args)
    for i in range(n):
        for j in range(n):
            hij, hji = np.asarray(h[i][j]), np.asarray(h[j][i])
            ri, rj = np.ndim(args[i]), np.ndim(args[j])
            perm = tuple(range(rj, rj + ri)) + tuple(range(rj))
            np.testing.assert_allclose(hij, np.transpose(hji, perm), rtol=1e-10, atol=1e-12)
    if name == "stop_gradient":
        return
    grad = jaxlite.grad(s, argnums=argnums)
    for i in range(n):
        fd = _fd_jacobian(lambda *a: grad(*a)[i], args)
        for j in range(n):
            np.testing.assert_allclose(h[i][j], fd[j], rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------ vmap

B = 3


def _batched_args(e, in_axes, rng, size=B):
    """Per argument: ``size`` samples stacked along its in_axes entry (None: one sample)."""
    out = []
    for sampler, shape, ax in zip(e.samplers, e.shapes[0], in_axes):
        if ax is None:
            out.append(sampler(rng, shape))
        else:
            stacked = np.stack([sampler(rng, shape) for _ in range(size)])
            out.append(np.moveaxis(stacked, 0, ax if ax >= 0 else len(shape) + 1 + ax))
    return tuple(out)


def _axis_patterns(e):
    """in_axes 0, 1, -1 and None on each argument, where the rank allows it."""
    ranks = [len(s) for s in e.shapes[0]]
    n = len(ranks)
    pats = {(0,) * n, (-1,) * n, tuple(1 if r >= 1 else 0 for r in ranks)}
    if n > 1:
        for i in range(n):
            pats.add(tuple(None if j == i else (-1 if j % 2 else 0) for j in range(n)))
            pats.add(tuple(1 if j == i and ranks[j] >= 1 else None for j in range(n)))
    return sorted(pats, key=str)


def _vmap_cases():
    for name in NAMES:
        if name not in TABLE:
            yield pytest.param(name, (0,), id=name)  # fails: no entry
            continue
        for pat in _axis_patterns(TABLE[name]):
            if all(a is None for a in pat):
                continue
            yield pytest.param(name, pat, id=f"{name}-{pat}")


@pytest.mark.parametrize("name,in_axes", list(_vmap_cases()))
def test_vmap_matches_loop(name, in_axes):
    e = entry(name)
    args = _batched_args(e, in_axes, np.random.default_rng(400))
    check_vmap(e.fn, args, in_axes=in_axes, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_nested_vmap_matches_double_loop(name):
    e = entry(name)
    n = len(e.shapes[0])
    rng = np.random.default_rng(500)
    inner_axes = tuple(-1 if j % 2 else 0 for j in range(n))
    # Inner batch of 2 along inner_axes, then outer batch of 3 along axis 1 of the
    # first argument (0 for the others; rank 0 ones fall back to 0).
    inner = [_batched_args(e, inner_axes, rng, size=2) for _ in range(B)]
    outer_axes = tuple(1 if j == 0 else 0 for j in range(n))
    args = tuple(np.stack([inner[b][j] for b in range(B)], axis=outer_axes[j]) for j in range(n))
    got = jaxlite.vmap(jaxlite.vmap(e.fn, in_axes=inner_axes), in_axes=outer_axes)(*args)
    for b in range(B):
        for k in range(2):
            sl = [np.take(np.take(a, b, axis=oa), k, axis=ia)
                  for a, oa, ia in zip(args, outer_axes, inner_axes)]
            np.testing.assert_allclose(got[b, k], e.fn(*sl), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_staged_vmap_is_batched_not_a_loop(name):
    e = entry(name)
    n = len(e.shapes[0])
    sizes = {}
    for size in (2, 5):
        args = _batched_args(e, (0,) * n, np.random.default_rng(600), size=size)
        closed = jaxlite.make_jaxpr(jaxlite.vmap(e.fn))(*args)
        jaxpr = closed.jaxpr
        assert all(v.aval.shape[:1] == (size,) for v in jaxpr.invars)
        assert all(v.aval.shape[:1] == (size,) for v in jaxpr.outvars), str(closed)
        assert e.prim in prims_in(jaxpr), str(closed)
        sizes[size] = len(jaxpr.eqns)
    if name in PER_EXAMPLE_BY_DESIGN:
        assert sizes[5] > sizes[2]         # one call per example
        return
    # An unrolled per-example loop would grow with the batch.
    assert sizes[2] == sizes[5]


# Batched by one bind per example, as JAX does (the callback runs once per element).
PER_EXAMPLE_BY_DESIGN = {"debug_callback"}


@pytest.mark.parametrize("name", NAMES)
def test_vmap_of_grad_and_grad_of_vmap_match_loops(name):
    e = entry(name)
    n = len(e.shapes[0])
    argnums = tuple(range(n))
    loss = lambda *a: _sum(lax.sin(e.fn(*a)))
    args = _batched_args(e, (0,) * n, np.random.default_rng(700))
    per_example = jaxlite.vmap(jaxlite.grad(loss, argnums=argnums))(*args)
    total = jaxlite.grad(lambda *a: _sum(jaxlite.vmap(loss)(*a)), argnums=argnums)(*args)
    for b in range(B):
        want = jaxlite.grad(loss, argnums=argnums)(*[a[b] for a in args])
        for j in range(n):
            np.testing.assert_allclose(per_example[j][b], want[j], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(total[j][b], want[j], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_vmap_of_jacobians_matches_loop(name):
    e = entry(name)
    n = len(e.shapes[0])
    args = _batched_args(e, (0,) * n, np.random.default_rng(800))
    jacs = [jaxlite.jacrev] + ([jaxlite.jacfwd] if e.fwd else [])
    for jac in jacs:
        got = jaxlite.vmap(jac(e.fn, argnums=tuple(range(n))))(*args)
        for b in range(B):
            want = jac(e.fn, argnums=tuple(range(n)))(*[a[b] for a in args])
            for j in range(n):
                np.testing.assert_allclose(got[j][b], want[j], rtol=1e-12, atol=1e-12)
