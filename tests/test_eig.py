"""eig / eigvals / roots against numpy, the eigen-equations, finite differences,
vmap and jit (lax/linalg_eig.py, compiler/lapack_eig.py)."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.lax import linalg as lax_linalg

RNG = np.random.default_rng(7)


def _mats(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def _check_decomposition(a, w, vl, vr, tol):
    a, w, vl, vr = (np.asarray(x) for x in (a, w, vl, vr))
    np.testing.assert_allclose(a.astype(vr.dtype) @ vr, vr * w[..., None, :], atol=tol)
    vlh = np.conj(np.swapaxes(vl, -1, -2))
    np.testing.assert_allclose(vlh @ a.astype(vl.dtype), w[..., :, None] * vlh, atol=tol)
    for v in (vl, vr):      # geev's normalization: unit norm, largest component real > 0
        np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1, rtol=tol)
        big = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2)[..., None, :], -2)
        np.testing.assert_allclose(big.imag, 0, atol=tol)
        assert (big.real > 0).all()


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5, 5), (1, 1)])
def test_eig_matches_numpy_and_the_eigen_equations(dtype, tol, shape):
    a = _mats(shape, dtype)
    w, vl, vr = lax_linalg.eig(a)
    cdt = np.complex128 if dtype == np.float64 else np.complex64
    assert w.dtype == vl.dtype == vr.dtype == cdt
    np.testing.assert_allclose(np.sort_complex(np.asarray(w).ravel()),
                               np.sort_complex(np.linalg.eigvals(a).ravel()), atol=tol * 10)
    _check_decomposition(a, w, vl, vr, tol * 10)
    for got, want in zip(jaxlite.jit(lax_linalg.eig)(a), (w, vl, vr)):
        assert got.dtype == cdt
        np.testing.assert_allclose(got, want, atol=tol * 10)


def test_eig_options_and_jnp_wrappers():
    a = _mats((4, 4))
    w, = lax_linalg.eig(a, compute_left_eigenvectors=False, compute_right_eigenvectors=False)
    w2, vr = jnp.linalg.eig(a)
    np.testing.assert_allclose(w, w2)
    np.testing.assert_allclose(jnp.linalg.eigvals(a), w)
    np.testing.assert_allclose(jnp.linalg.eig(a).eigenvectors, vr)
    assert jnp.linalg.eigvals(np.eye(3, dtype=np.int32)).dtype == np.complex64  # ints promote
    np.testing.assert_allclose(jnp.linalg.eigvals(np.diag([3.0, -1.0, 2.0])), [3, -1, 2])


def test_complex_input_eagerly():
    z = (_mats((3, 3)) + 1j * _mats((3, 3))).astype(np.complex128)
    w, vl, vr = lax_linalg.eig(z)
    np.testing.assert_allclose(np.sort_complex(np.asarray(w)),
                               np.sort_complex(np.linalg.eigvals(z)), atol=1e-12)
    _check_decomposition(z, w, vl, vr, 1e-11)
    with pytest.raises(TypeError, match="complex matrix"):
        jaxlite.jit(jnp.linalg.eigvals)(z)


def test_failures_give_nan_and_empty_matrices_work():
    bad = np.array([[np.nan, 1.0], [0.0, 1.0]])
    for f in (jnp.linalg.eigvals, jaxlite.jit(jnp.linalg.eigvals)):
        out = np.asarray(f(bad))
        assert np.isnan(out.real).all() and np.isnan(out.imag).all()
    assert jnp.linalg.eigvals(np.zeros((0, 0))).shape == (0,)
    assert jaxlite.jit(jnp.linalg.eig)(np.zeros((2, 0, 0)))[1].shape == (2, 0, 0)


def test_bad_input():
    with pytest.raises(ValueError, match=r"shape \[\.\.\., n, n\], got \(2, 3\)"):
        jnp.linalg.eig(np.ones((2, 3)))
    with pytest.raises(ValueError, match="square"):
        lax_linalg.eig(np.ones((2, 3)))
    with pytest.raises(NotImplementedError, match="enable_eigvec_derivs"):
        jaxlite.jvp(lambda a: jnp.linalg.eig(a)[1], (np.eye(2),), (np.eye(2),))


def _fd(f, a, da, eps=1e-6):
    return (np.asarray(f(a + eps * da)) - np.asarray(f(a - eps * da))) / (2 * eps)


def test_jvp_of_values_and_vectors_against_finite_differences():
    a, da = _mats((4, 4)), _mats((4, 4))
    vals = lambda a: jnp.linalg.eigvals(a)
    np.testing.assert_allclose(jaxlite.jvp(vals, (a,), (da,))[1], _fd(vals, a, da), atol=1e-7)
    for k in (1, 2):     # left, right eigenvectors
        vecs = lambda a, k=k: lax_linalg.eig(a, enable_eigvec_derivs=True)[k]
        np.testing.assert_allclose(jaxlite.jvp(vecs, (a,), (da,))[1], _fd(vecs, a, da),
                                   atol=1e-7)


def test_grad_and_hessian_of_a_real_function_of_the_eigenvalues():
    a = _mats((3, 3))
    f = lambda a: jnp.sum(jnp.abs(jnp.linalg.eigvals(a)) ** 2)
    g = np.asarray(jaxlite.grad(f)(a))
    fd = np.array([[_fd(f, a, np.eye(3)[i][:, None] * np.eye(3)[j][None, :])
                    for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(g, fd, atol=1e-6)
    np.testing.assert_allclose(jaxlite.jit(jaxlite.grad(f))(a), g, atol=1e-10)
    h = np.asarray(jaxlite.hessian(f)(a)).reshape(9, 9)
    np.testing.assert_allclose(h, h.T, atol=1e-6)


def test_vmap_matches_a_loop():
    a = _mats((3, 4, 4))
    out = jaxlite.vmap(lambda m: lax_linalg.eig(m))(a)
    for i in range(3):
        for got, want in zip(out, lax_linalg.eig(a[i])):
            np.testing.assert_allclose(got[i], want, atol=1e-12)
    b = _mats((4, 4, 3))
    np.testing.assert_allclose(jaxlite.jit(jaxlite.vmap(jnp.linalg.eigvals, in_axes=2))(b),
                               np.stack([jnp.linalg.eigvals(b[:, :, j]) for j in range(3)]),
                               atol=1e-12)


@pytest.mark.parametrize("p", [[1, -6, 11, -6], [0, 0, 1, 0, -1], [1, 0, 1], [2., 3., 0., 0.],
                               [4.0], [0.0, 0.0], [1, 2]])
def test_roots_match_numpy(p):
    p = np.array(p, np.float64)
    got = jnp.roots(p)
    assert got.dtype == np.complex128
    np.testing.assert_allclose(np.sort_complex(np.asarray(got)), np.sort_complex(np.roots(p)),
                               atol=1e-10)


def test_roots_traced_with_strip_zeros_false():
    p = np.array([0.0, 1.0, -3.0, 2.0])       # a leading zero: a NaN root, as JAX
    for f in (lambda p: jnp.roots(p, strip_zeros=False),
              jaxlite.jit(lambda p: jnp.roots(p, strip_zeros=False))):
        r = np.asarray(f(p))
        np.testing.assert_allclose(np.sort_complex(r[:2]), [1, 2], atol=1e-12)
        assert np.isnan(r[2])
    with pytest.raises(jaxlite.errors.ConcretizationTypeError, match="strip_zeros=False"):
        jaxlite.jit(jnp.roots)(p)
    assert jnp.roots(np.array([1.0, 2.0], np.float32)).dtype == np.complex64


def test_roll_with_a_traced_shift():
    x = np.arange(10.0).reshape(2, 5)
    for s in (0, 2, -3, 7):
        np.testing.assert_array_equal(jaxlite.jit(lambda x, s: jnp.roll(x, s, 1))(x, s),
                                      np.roll(x, s, 1))
        np.testing.assert_array_equal(jaxlite.jit(lambda x, s: jnp.roll(x, s))(x, s),
                                      np.roll(x, s))
    np.testing.assert_array_equal(
        jaxlite.jit(lambda x, s: jnp.roll(x, s, (0, 1)))(x, np.array([1, 2])),
        np.roll(x, (1, 2), (0, 1)))
