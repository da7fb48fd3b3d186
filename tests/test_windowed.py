"""lax.reduce_window (sum / max / min, generic form), max-pool derivatives,
cumlogsumexp and top_k against numpy loop references, finite differences,
loops (vmap) and eager (jit)."""
import itertools

import numpy as np
import pytest

import jaxlite
from jaxlite import lax
from helpers import check_grads

RNG = np.random.default_rng(3)


def ref_window(x, op, init, window, strides, padding, base_dil, win_dil):
    """Per output element, fold ``op`` over the real (not padding / hole)
    elements of its window, starting from ``init``."""
    nd = x.ndim
    sizes = []
    for d in range(nd):
        n = (x.shape[d] - 1) * base_dil[d] + 1 if x.shape[d] else 0
        size = n + padding[d][0] + padding[d][1]
        eff = (window[d] - 1) * win_dil[d] + 1
        sizes.append((size - eff) // strides[d] + 1 if size >= eff else 0)
    out = np.empty(sizes, x.dtype)
    for o in itertools.product(*[range(s) for s in sizes]):
        acc = init
        for j in itertools.product(*[range(k) for k in window]):
            src = []
            for d in range(nd):
                p = o[d] * strides[d] + j[d] * win_dil[d] - padding[d][0]
                if p < 0 or p % base_dil[d] or p // base_dil[d] >= x.shape[d]:
                    break
                src.append(p // base_dil[d])
            else:
                acc = op(acc, x[tuple(src)])
        out[o] = acc
    return out


CASES = [
    ((7,), (3,), (1,), ((0, 0),), (1,), (1,)),
    ((8,), (2,), (2,), ((1, 2),), (2,), (1,)),
    ((5, 6), (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1), (1, 1)),      # 2x2 max pool
    ((6, 5), (3, 2), (1, 2), ((1, 1), (2, 0)), (1, 2), (2, 1)),
    ((2, 4, 5, 3), (1, 3, 3, 1), (1, 2, 2, 1), ((0, 0), (1, 1), (1, 1), (0, 0)), (1, 1, 1, 1),
     (1, 1, 1, 1)),
]
MONOIDS = [(lax.add, np.add, 0.0), (lax.max, np.maximum, -np.inf), (lax.min, np.minimum, np.inf)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{len(c[0])}d-{c[1]}")
@pytest.mark.parametrize("monoid", MONOIDS, ids=["sum", "max", "min"])
def test_reduce_window_matches_loop(case, monoid):
    shape, window, strides, padding, bdil, wdil = case
    op, np_op, init = monoid
    x = RNG.standard_normal(shape)
    got = lax.reduce_window(x, init, op, window, strides, padding, bdil, wdil)
    ref = ref_window(x, np_op, init, window, strides, padding, bdil, wdil)
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    f = lambda x: lax.reduce_window(x, init, op, window, strides, padding, bdil, wdil)  # noqa
    np.testing.assert_allclose(jaxlite.jit(f)(x), ref, rtol=1e-12)
    np.testing.assert_allclose(jaxlite.jit(f)(x.astype(np.float32)), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{len(c[0])}d-{c[1]}")
@pytest.mark.parametrize("monoid", MONOIDS, ids=["sum", "max", "min"])
def test_grads_order_2(case, monoid):
    shape, window, strides, padding, bdil, wdil = case
    op, _, init = monoid
    # distinct values: no ties, so the max is differentiable where sampled
    x = RNG.permutation(np.prod(shape)).reshape(shape) * 0.1 + RNG.uniform(0, 0.01, shape)
    # Windows of padding only give +-inf: clip them so finite differences stay finite.
    check_grads(lambda x: lax.max(lax.min(lax.reduce_window(
        x, init, op, window, strides, padding, bdil, wdil), 1e6), -1e6), (x,), order=2)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{len(c[0])}d-{c[1]}")
def test_vmap_matches_loop(case):
    shape, window, strides, padding, bdil, wdil = case
    xs = RNG.standard_normal((3,) + shape)
    for op, _, init in MONOIDS:
        f = lambda x: lax.reduce_window(x, init, op, window, strides, padding, bdil, wdil)  # noqa
        np.testing.assert_allclose(jaxlite.vmap(f)(xs), np.stack([f(x) for x in xs]))
        g = jaxlite.grad(lambda x: (f(x) ** 2).sum())
        np.testing.assert_allclose(jaxlite.vmap(g)(xs), np.stack([g(x) for x in xs]))
        np.testing.assert_allclose(jaxlite.jit(jaxlite.vmap(g))(xs), np.stack([g(x) for x in xs]),
                                   rtol=1e-12)


def test_max_pool_gradient_picks_the_first_maximum():
    x = np.array([1.0, 3.0, 3.0, 2.0])
    g = jaxlite.grad(lambda x: lax.reduce_window(x, -np.inf, lax.max, (2,), (1,), "VALID").sum())
    np.testing.assert_array_equal(g(x), [0, 2, 1, 0])          # JAX's answer
    np.testing.assert_array_equal(jaxlite.jit(g)(x), [0, 2, 1, 0])
    g = jaxlite.grad(lambda x: lax.reduce_window(x, -np.inf, lax.max, (3,), (1,),
                                                 ((1, 1),)).sum())
    np.testing.assert_array_equal(g(x), [0, 3, 1, 0])
    np.testing.assert_array_equal(jaxlite.jit(g)(x), [0, 3, 1, 0])
    g = jaxlite.grad(lambda x: lax.reduce_window(x, np.inf, lax.min, (2,), (2,), "VALID").sum())
    np.testing.assert_array_equal(g(np.array([2.0, 2.0, 5.0, 1.0])), [1, 0, 0, 1])


def test_init_value_is_combined_once_and_padding_ignored():
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(lax.reduce_window(x, 1.5, lax.add, (2,), (1,), ((2, 0),)),
                               [1.5, 2.5, 4.5])                  # JAX's values
    np.testing.assert_allclose(lax.reduce_window(x, 0.5, lax.max, (2,), (1,), ((2, 0),)),
                               [0.5, 1.0, 2.0])
    f = jaxlite.jit(lambda x: lax.reduce_window(x, 1.5, lambda a, b: lax.add(b, a), (2,), (1,),
                                                ((2, 0),)))
    np.testing.assert_allclose(f(x), [1.5, 2.5, 4.5])


def test_named_forms_and_shape_tuple():
    x = RNG.standard_normal((4, 6))
    np.testing.assert_allclose(lax.reduce_window_sum(x, (2, 3), (2, 3)),
                               x.reshape(2, 2, 2, 3).sum((1, 3)))
    np.testing.assert_allclose(lax.reduce_window_max(x, (2, 3), (2, 3)),
                               x.reshape(2, 2, 2, 3).max((1, 3)))
    np.testing.assert_allclose(lax.reduce_window_min(x, (2, 3), (2, 3), "SAME"),
                               x.reshape(2, 2, 2, 3).min((1, 3)))
    assert lax.reduce_window_shape_tuple((7, 6), (3, 2), (2, 2), ((1, 1), (0, 0))) == (4, 3)


def test_integer_and_bool_operands():
    x = RNG.integers(-9, 9, (5, 6)).astype(np.int32)
    for op, np_op, init in ((lax.add, np.add, 0), (lax.max, np.maximum, -2 ** 31),
                            (lax.min, np.minimum, 2 ** 31 - 1)):
        f = lambda x: lax.reduce_window(x, init, op, (2, 2), (1, 2), ((1, 0), (0, 1)))  # noqa
        ref = ref_window(x, np_op, np.int32(init), (2, 2), (1, 2), ((1, 0), (0, 1)), (1, 1),
                         (1, 1))
        np.testing.assert_array_equal(f(x), ref)
        np.testing.assert_array_equal(jaxlite.jit(f)(x), ref)
    b = x > 0
    f = lambda b: lax.reduce_window(b, False, lax.max, (2, 2), (1, 1), "VALID")  # noqa
    ref = ref_window(b, np.logical_or, False, (2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1), (1, 1))
    np.testing.assert_array_equal(f(b), ref)
    np.testing.assert_array_equal(jaxlite.jit(f)(b), ref)


def test_pooling_fuses_its_producer():
    x = RNG.standard_normal((2, 8, 8, 4)).astype(np.float32)
    f = lambda x: lax.reduce_window(lax.max(x, 0.0), -np.inf, lax.max,  # noqa: E731
                                    (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
    plan = jaxlite.jit(f).lower(x).compile().fusion_plan()
    assert plan.count("kernel ") == 1 and "[window]" in plan
    np.testing.assert_allclose(jaxlite.jit(f)(x), f(x))


ERRORS = [
    (TypeError, "wrong number of window_dimensions", lambda: lax.reduce_window(
        np.ones((2, 3, 8, 8)), 0.0, lax.add, (1, 1, 3), (1, 1, 1), "VALID")),
    (TypeError, "strictly positive", lambda: lax.reduce_window(
        np.ones((2, 3, 8, 8)), 0.0, lax.add, (1, 1, 3, 3), (1, 1, 0, 1), "VALID")),
    (TypeError, "strictly positive", lambda: lax.reduce_window_max(
        np.ones((4, 4)), (2, 2), (1, 1), "VALID", window_dilation=(0, 1))),
    (NotImplementedError, "lax.add, lax.max and lax.min", lambda: lax.reduce_window(
        np.ones(4), 1.0, lax.mul, (2,), (1,), "VALID")),
    (RuntimeError, "Unrecognized padding", lambda: lax.reduce_window(
        np.ones(4), 0.0, lax.add, (2,), (1,), "FULL")),
]


@pytest.mark.parametrize("error,match,fn", ERRORS, ids=[e[1] for e in ERRORS])
def test_errors(error, match, fn):
    with pytest.raises(error, match=match):
        fn()


# ----------------------------------------------------------- cumlogsumexp

@pytest.mark.parametrize("axis,reverse", [(0, False), (1, False), (1, True), (-1, True)])
def test_cumlogsumexp(axis, reverse):
    x = RNG.standard_normal((4, 6)) * 30
    x[1, :2] = -np.inf
    got = lax.cumlogsumexp(x, axis, reverse)
    with np.errstate(divide="ignore"):
        y = np.flip(x, axis) if reverse else x
        ref = np.log(np.cumsum(np.exp(y - x.max()), axis)) + x.max()
        ref = np.flip(ref, axis) if reverse else ref
    np.testing.assert_allclose(got, ref, rtol=1e-10)
    np.testing.assert_allclose(jaxlite.jit(lambda x: lax.cumlogsumexp(x, axis, reverse))(x), ref,
                               rtol=1e-10)
    z = RNG.standard_normal((3, 5))
    check_grads(lambda z: lax.cumlogsumexp(z, axis, reverse), (z,), order=2)


# ------------------------------------------------------------------ top_k

def test_top_k():
    x = RNG.standard_normal((3, 7))
    x[0, 2] = np.nan
    x[1, 4] = x[1, 1]
    for k in (0, 1, 3, 7):
        vals, idx = lax.top_k(x, k)
        assert idx.dtype == np.int32 and vals.shape == (3, k)
        for r in range(3):
            order = sorted(range(7), key=lambda i: (not np.isnan(x[r, i]),
                                                    -np.nan_to_num(x[r, i]), i))
            np.testing.assert_array_equal(idx[r], order[:k])
            np.testing.assert_array_equal(vals[r], x[r, order[:k]])
        jv, ji = jaxlite.jit(lambda x: lax.top_k(x, k))(x)
        np.testing.assert_array_equal(ji, idx)
        np.testing.assert_array_equal(jv, vals)
    xi = RNG.integers(-5, 5, (4, 6)).astype(np.int32)
    vals, idx = lax.top_k(xi, 4)
    np.testing.assert_array_equal(vals, -np.sort(-xi, axis=1, kind="stable")[:, :4])
    np.testing.assert_array_equal(idx, np.argsort(-xi, axis=1, kind="stable")[:, :4])
    y = RNG.standard_normal((2, 5))
    check_grads(lambda y: lax.top_k(y, 3)[0], (y,), order=2)
    vals, idx = lax.top_k(np.arange(6.0).reshape(2, 3), 2, axis=0)
    np.testing.assert_array_equal(idx, [[1, 1, 1], [0, 0, 0]])
    with pytest.raises(ValueError, match="k must be between"):
        lax.top_k(x, 8)
