"""Operators and methods on eager Arrays and on tracers follow JAX's rules."""
import operator

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from helpers import check_grads

A = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)
I = np.array([[3, -2, 7], [1, 4, -5]], np.int32)

BINOPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
          operator.mod, operator.pow, operator.lt, operator.le, operator.gt, operator.ge,
          operator.eq, operator.ne]


@pytest.mark.parametrize("op", BINOPS, ids=lambda o: o.__name__)
def test_binary_operators_eager_and_traced(op):
    x = jnp.asarray(A)
    y = np.abs(A[::-1]) + 0.5
    for lhs, rhs in [(x, y), (y, x), (x, 2), (2, x), (x, 1.5), (1.5, x), (x, y[0])]:
        ref = op(np.asarray(lhs), np.asarray(rhs, np.float32) if not isinstance(rhs, int)
                 else rhs)
        if op is operator.pow:
            ref = op(np.abs(np.asarray(lhs)), rhs)
            lhs = jnp.abs(lhs) if isinstance(lhs, jnp.ndarray) else abs(lhs)
        out = op(lhs, rhs)
        assert isinstance(out, jnp.ndarray)
        assert out.dtype == (np.bool_ if ref.dtype == np.bool_ else np.float32)
        np.testing.assert_allclose(out, ref, rtol=1e-6)
        traced = jaxlite.jit(lambda a, b: op(a, b))(lhs, rhs)
        np.testing.assert_allclose(traced, ref, rtol=1e-6)


def test_int_operators_and_bitwise():
    x = jnp.asarray(I)
    np.testing.assert_array_equal(x // 2, I // 2)
    np.testing.assert_array_equal(x % -3, I % -3)
    np.testing.assert_array_equal(-x, -I)
    np.testing.assert_array_equal(abs(x), np.abs(I))
    np.testing.assert_array_equal(~x, ~I)
    np.testing.assert_array_equal(x & 6, I & 6)
    np.testing.assert_array_equal(3 | x, 3 | I)
    np.testing.assert_array_equal(x ^ x.T.T, I ^ I)
    np.testing.assert_array_equal(x ** 2, I ** 2)
    assert (x ** 2).dtype == np.int32 and (x + 1).dtype == np.int32 and (x / 2).dtype == np.float32
    np.testing.assert_allclose(2.0 ** jnp.asarray(A), 2.0 ** A, rtol=1e-6)
    b = jnp.asarray(A > 0)
    np.testing.assert_array_equal(b & ~b, np.zeros_like(A, bool))
    q, r = divmod(x, 3)
    np.testing.assert_array_equal(q, I // 3)
    np.testing.assert_array_equal(r, I % 3)


def test_promotion_through_operators_not_numpy():
    x = jnp.arange(3)                        # int32
    assert (x + 1.5).dtype == np.float32     # numpy would say float64
    assert x.sum().dtype == np.int32         # numpy would say int64
    assert (x * np.float64(2)).dtype == np.float64
    assert (jnp.ones(2) * np.ones(2, np.float64)).dtype == np.float64
    assert (np.ones(2, np.int32) + jnp.ones(2)).dtype == np.float32
    assert (True + x).dtype == np.int32


def test_matmul_operator_and_methods():
    x = jnp.asarray(A)
    np.testing.assert_allclose(x @ x.T, A @ A.T, rtol=1e-6)
    np.testing.assert_allclose(A.T @ x, A.T @ A, rtol=1e-6)
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float32
    for name, args in [("sum", ()), ("sum", (0,)), ("mean", (1,)), ("max", ()), ("min", (0,)),
                       ("prod", ()), ("var", ()), ("std", (1,)), ("argmax", ()),
                       ("argmin", (1,)), ("cumsum", (1,)), ("all", ()), ("any", (0,))]:
        np.testing.assert_allclose(getattr(x, name)(*args), getattr(A, name)(*args), rtol=1e-6)
    np.testing.assert_allclose(x.reshape(3, 2), A.reshape(3, 2))
    np.testing.assert_allclose(x.reshape((-1,)), A.reshape(-1))
    np.testing.assert_allclose(x.transpose(), A.T)
    np.testing.assert_allclose(x.ravel(), A.ravel())
    np.testing.assert_allclose(x.astype(jnp.int32), A.astype(np.int32))
    np.testing.assert_allclose(x.clip(0, 2), A.clip(0, 2))
    np.testing.assert_allclose(x.round(), np.round(A))
    np.testing.assert_allclose(x[None].squeeze(0), A)
    np.testing.assert_allclose(x.swapaxes(0, 1), A.T)
    np.testing.assert_allclose(x.dot(A.T), A @ A.T, rtol=1e-6)
    np.testing.assert_allclose(x.take(np.array([0, 4])), A.take([0, 4]))
    np.testing.assert_allclose(x.repeat(2, axis=0), A.repeat(2, axis=0))


def test_numpy_interop_still_works():
    x = jnp.asarray(A)
    np.testing.assert_allclose(np.sin(x), np.sin(A))
    np.testing.assert_allclose(np.sum(x, axis=0), A.sum(0))
    np.testing.assert_allclose(np.mean(x), A.mean())
    assert "Array" in repr(x) and "1.5" in str(x)
    assert float(x[0, 0]) == 1.5 and int(jnp.asarray(3)) == 3 and bool(jnp.asarray(True))
    assert [float(v) for v in jnp.arange(3.0)] == [0.0, 1.0, 2.0]
    assert x.tolist() == A.tolist()


def test_tracer_methods_under_transforms():
    def f(p):
        p = jnp.asarray(p)
        h = p.reshape(3, 2).T @ p[:3]
        return (h ** 2).sum() + p.mean() * p.max() - abs(p).min() + (p.at[0].add(1.0) ** 3).sum()
    check_grads(f, (np.array([0.3, -1.2, 0.8, 1.5, -0.4, 2.0]),))
    out = jaxlite.vmap(lambda r: (r @ r) / r.sum())(A)
    np.testing.assert_allclose(out, (A * A).sum(1) / A.sum(1), rtol=1e-6)


def test_bad_operands():
    x = jnp.asarray(A)
    with pytest.raises(TypeError):
        x + "a"
    with pytest.raises(TypeError, match=r"\(2, 3\).*\(2,\)"):
        x + np.ones(2)
    with pytest.raises(TypeError, match="at\\[idx\\]"):
        x[0, 0] = 2.0
    with pytest.raises(ValueError, match="negative powers"):
        jnp.asarray(I) ** -1


def test_eager_results_are_arrays_even_for_identities():
    x = np.ones((2, 3), np.float32)
    for f in [jnp.positive, lambda a: jnp.reshape(a, (2, 3)), lambda a: jnp.sum(a, axis=()),
              jnp.floor, lambda a: jnp.transpose(a, (0, 1)), jnp.squeeze, jnp.asarray,
              lambda a: jnp.asarray(a)[...], lambda a: jnp.where(True, a, a)]:
        assert type(f(x)) is jnp.ndarray
