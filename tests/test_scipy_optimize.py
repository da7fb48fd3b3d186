"""jaxlite.scipy.optimize.minimize (BFGS) against scipy.optimize.minimize and
closed forms: Rosenbrock, quadratics, jit, vmap, statuses and bad input."""
import numpy as np
import pytest
import scipy.optimize as so

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.scipy.optimize import minimize, OptimizeResults


def rosen(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


X0 = np.array([-1.2, 1.0, -1.2, 1.0, 0.5])


def test_rosenbrock_against_scipy():
    got = minimize(rosen, X0, method="BFGS")
    want = so.minimize(so.rosen, X0, jac=so.rosen_der, method="BFGS")
    assert isinstance(got, OptimizeResults)
    assert bool(got.success) and int(got.status) == 0
    np.testing.assert_allclose(got.x, np.ones(5), atol=2e-6)
    np.testing.assert_allclose(got.x, want.x, atol=2e-6)
    assert float(got.fun) < 1e-10
    assert np.max(np.abs(got.jac)) < 1e-5
    np.testing.assert_allclose(got.jac, so.rosen_der(np.asarray(got.x)), rtol=1e-6, atol=1e-9)
    assert abs(int(got.nit) - want.nit) <= 15, (int(got.nit), want.nit)
    assert int(got.nfev) >= int(got.nit) and int(got.njev) == int(got.nfev)


def test_jit_matches_eager():
    eager = minimize(rosen, X0, method="BFGS")
    jitted = jaxlite.jit(lambda x0: minimize(rosen, x0, method="BFGS"))(X0)
    for field in OptimizeResults._fields:
        np.testing.assert_allclose(np.asarray(getattr(jitted, field), np.float64),
                                   np.asarray(getattr(eager, field), np.float64), rtol=1e-9,
                                   atol=1e-12, err_msg=field)


def test_quadratic_with_args_and_hessian_inverse():
    rng = np.random.default_rng(3)
    m = rng.normal(size=(4, 4))
    a = m @ m.T + 4 * np.eye(4)
    b = rng.normal(size=4)
    res = minimize(lambda x, a, b: 0.5 * x @ a @ x - b @ x, np.zeros(4), (a, b), method="BFGS",
                   options={"gtol": 1e-10})
    np.testing.assert_allclose(res.x, np.linalg.solve(a, b), rtol=1e-8, atol=1e-10)
    # On a quadratic, BFGS's inverse-Hessian estimate approaches the true inverse.
    np.testing.assert_allclose(res.hess_inv, np.linalg.inv(a), atol=0.05)


def test_vmap_over_starting_points():
    starts = np.stack([X0, X0[::-1], np.zeros(5)])
    batched = jaxlite.vmap(lambda x0: minimize(rosen, x0, method="BFGS"))(starts)
    for i, x0 in enumerate(starts):
        single = minimize(rosen, x0, method="BFGS")
        np.testing.assert_allclose(batched.x[i], single.x, rtol=1e-9, atol=1e-12)
        assert int(batched.nit[i]) == int(single.nit)


def test_float32_stays_float32_and_converges():
    res = minimize(rosen, X0.astype(np.float32), method="bfgs")
    assert res.x.dtype == np.float32
    np.testing.assert_allclose(res.x, np.ones(5), atol=1e-3)


def test_statuses():
    capped = minimize(rosen, X0, method="BFGS", options={"maxiter": 3})
    assert int(capped.status) == 1 and not bool(capped.success) and int(capped.nit) == 3
    at_min = minimize(rosen, np.ones(3), method="BFGS")
    assert int(at_min.nit) == 0 and bool(at_min.success)
    loose = minimize(rosen, X0, method="BFGS", tol=1e-2)     # tol is the gradient tolerance
    assert np.max(np.abs(loose.jac)) < 1e-2 and int(loose.nit) < int(minimize(
        rosen, X0, method="BFGS").nit)
    two_norm = minimize(rosen, X0, method="BFGS", options={"norm": 2})
    assert float(jnp.linalg.norm(two_norm.jac)) < 1e-5


def test_bad_input():
    with pytest.raises(ValueError, match="Method CG not recognized"):
        minimize(rosen, X0, method="CG")
    with pytest.raises(TypeError, match="must be a tuple"):
        minimize(lambda x, a: rosen(x) * a, X0, 1.0, method="BFGS")
    with pytest.raises(TypeError, match="one-dimensional"):
        minimize(rosen, np.ones((2, 2)), method="BFGS")
    with pytest.raises(TypeError, match="unknown BFGS options"):
        minimize(rosen, X0, method="BFGS", options={"maxfun": 3})
