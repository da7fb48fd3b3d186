"""erfcx, dawsn, exp1, expi, spence and bernoulli in jaxlite.scipy.special:
values against scipy.special over their whole real domains in float64 and
float32 (and against exact Decimal sums where scipy itself is a few hundred
ulp off), special values, derivatives against float64 finite differences,
jit and vmap."""
from decimal import Decimal, getcontext
from fractions import Fraction

import numpy as np
import pytest
import scipy.special as ss

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.scipy import special as sp
from helpers import check_grads

F64 = np.float64

# The whole real line: a fine grid, tiny and huge magnitudes of both signs.
GRID = np.concatenate([np.linspace(-30, 30, 1201), np.logspace(-300, 300, 121),
                       -np.logspace(-300, 300, 121), np.logspace(-8, 3, 221)])

# name -> (scipy reference, float64 rtol, float32 rtol); the float64 rtols
# cover scipy's own error (erfcx for x << 0 and expi near 40 are 250 and 80
# ulp off in scipy; jaxlite agrees with the exact values below to a few ulp).
CASES = {
    "erfcx": (ss.erfcx, 1e-13, 4 * 2.0 ** -23),
    "dawsn": (ss.dawsn, 2e-14, 4 * 2.0 ** -23),
    "exp1": (ss.exp1, 2e-15, 4 * 2.0 ** -23),
    "expi": (ss.expi, 4e-14, 4 * 2.0 ** -23),
    "spence": (ss.spence, 4e-15, 4 * 2.0 ** -23),
}

# |x f'(x) / f(x)|, where it is large: the relative error a rounded argument
# alone causes, by which the tolerance is scaled (expi has a root at 0.3725).
CONDITION = {
    "expi": lambda x: np.abs(np.exp(x) / ss.expi(x)),
}


def _compare(name, dt, jit):
    ref, rtol64, rtol32 = CASES[name]
    f = getattr(sp, name)
    f = jaxlite.jit(f) if jit else f
    with np.errstate(all="ignore"):
        x = GRID.astype(dt)
        x = x[np.isfinite(x)]
        want = ref(x.astype(F64))
        got = f(jnp.asarray(x))
    assert got.dtype == dt
    got = np.asarray(got, F64)
    info = np.finfo(dt)
    # Where the float64 reference is outside dt's normal range the result must
    # overflow / underflow the same way; elsewhere it must be close.
    normal = np.isfinite(want) & (np.abs(want) <= info.max) & (np.abs(want) >= info.tiny)
    rtol = rtol64 if dt == F64 else rtol32
    if name in CONDITION:
        rtol = rtol * np.maximum(1.0, CONDITION[name](x.astype(F64)))
    err = np.abs(got - want) / np.abs(want)
    assert np.all(err[normal] <= np.broadcast_to(rtol, want.shape)[normal]), np.max(err[normal])
    assert np.array_equal(np.isnan(got), np.isnan(want))
    over = np.isfinite(want) & (np.abs(want) > info.max)
    assert np.all(np.isinf(got[over]) & (np.sign(got[over]) == np.sign(want[over])))


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dt", [F64, np.float32])
def test_values_against_scipy(name, dt):
    _compare(name, dt, jit=False)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dt", [F64, np.float32])
def test_values_under_jit(name, dt):
    _compare(name, dt, jit=True)


def _exact_ei(x):
    getcontext().prec = 60
    x = Decimal(x)
    euler = Decimal("0.577215664901532860606512090082402431042159335939923598805767")
    total, term = Decimal(0), Decimal(1)
    for k in range(1, 400):
        term = term * x / k
        total += term / k
    return float(euler + x.ln() + total)


def _exact_dawsn(x):
    getcontext().prec = 60
    x = Decimal(x)
    total, term = Decimal(0), x
    for k in range(60):
        total += term
        term = term * -2 * x * x / (2 * k + 3)
    return float(total)


def _exact_erfcx_negative(x):
    # erfc(x) = 2 - erfc(-x); for x < -20, erfc(-x) exp(x^2) < 1e-9 of the total
    # and is erfcx(-x) ~ 1/(sqrt(pi) |x|).
    getcontext().prec = 60
    x = Decimal(x)
    return float(2 * (x * x).exp() - 1 / (Decimal(np.pi) ** Decimal("0.5") * -x))


def test_close_to_exact_where_scipy_is_not():
    for x in [40.85285803928566, 12.5, 0.75, 3.0]:
        assert abs(float(sp.expi(F64(x))) / _exact_ei(x) - 1) < 1e-15
    for x in [0.01153783299629662, 0.15, 0.5, 2.0]:
        assert abs(float(sp.dawsn(F64(x))) / _exact_dawsn(x) - 1) < 1e-15
    for x in [-24.42, -21.0]:
        assert abs(float(sp.erfcx(F64(x))) / _exact_erfcx_negative(x) - 1) < 1e-15


def test_special_values():
    nan, inf = np.nan, np.inf
    np.testing.assert_array_equal(np.asarray(sp.exp1(np.array([-1.0, 0.0, inf]))), [nan, inf, 0.0])
    np.testing.assert_array_equal(np.asarray(sp.expi(np.array([-inf, 0.0, inf]))), [0.0, -inf, inf])
    np.testing.assert_array_equal(np.asarray(sp.spence(np.array([-1.0, 1.0]))), [nan, 0.0])
    assert float(sp.spence(0.0)) == pytest.approx(np.pi ** 2 / 6, rel=1e-7)
    np.testing.assert_array_equal(np.asarray(sp.erfcx(np.array([0.0, inf, -inf]))), [1.0, 0.0, inf])
    np.testing.assert_array_equal(np.asarray(sp.dawsn(np.array([0.0, inf, -inf]))), [0.0, 0.0, -0.0])


def test_dtypes_and_errors():
    assert sp.erfcx(1).dtype == np.float32               # ints promote to the default float
    assert sp.exp1(np.arange(1, 4)).dtype in (np.float32, np.float64)
    assert sp.dawsn(np.float32(0.5)).dtype == np.float32
    with pytest.raises(TypeError):
        sp.spence(np.arange(3))                         # as JAX: float32/float64 only


def test_bernoulli_exact():
    exact = [Fraction(1), Fraction(-1, 2), Fraction(1, 6), 0, Fraction(-1, 30), 0,
             Fraction(1, 42), 0, Fraction(-1, 30), 0, Fraction(5, 66)]
    got = sp.bernoulli(10)
    assert got.shape == (11,) and got.dtype == np.float32
    np.testing.assert_allclose(np.asarray(got), [float(b) for b in exact], rtol=1e-7)
    np.testing.assert_allclose(np.asarray(sp.bernoulli(30)), ss.bernoulli(30), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(sp.bernoulli(0)), [1.0])
    with pytest.raises(ValueError):
        sp.bernoulli(-1)
    with pytest.raises(TypeError):
        sp.bernoulli(2.5)


# Points inside each function's domain, away from the branch seams.
GRAD_POINTS = {
    "erfcx": [-3.0, -0.7, 0.3, 1.5, 2.5, 6.0],
    "dawsn": [-4.0, -0.1, 0.35, 1.2, 5.0, 12.0],
    "exp1": [0.05, 0.5, 1.7, 8.0],
    "expi": [-6.0, -0.4, 0.2, 2.0, 30.0, 60.0],
    "spence": [0.1, 0.7, 1.3, 3.0, 20.0],
}


@pytest.mark.parametrize("name", sorted(GRAD_POINTS))
def test_grads_against_finite_differences(name):
    f = getattr(sp, name)
    x = np.array(GRAD_POINTS[name], F64)
    check_grads(f, (x,), order=2, rtol=1e-5, atol=1e-7)


def test_closed_form_derivatives():
    x = np.array([0.5, 1.0, 2.5], F64)
    g = jaxlite.vmap(jaxlite.grad(sp.spence))(x)
    np.testing.assert_allclose(np.asarray(g), [np.log(0.5) / 0.5, -1.0, np.log(2.5) / -1.5], rtol=1e-14)
    g = jaxlite.vmap(jaxlite.grad(sp.exp1))(x)
    np.testing.assert_allclose(np.asarray(g), -np.exp(-x) / x, rtol=1e-14)
    g = jaxlite.vmap(jaxlite.grad(sp.erfcx))(x)
    np.testing.assert_allclose(np.asarray(g), 2 * x * ss.erfcx(x) - 2 / np.sqrt(np.pi), rtol=1e-13)


@pytest.mark.parametrize("name", sorted(CASES))
def test_vmap_and_jit_of_grad(name):
    f = getattr(sp, name)
    x = np.array(GRAD_POINTS[name], F64)
    batched = jaxlite.jit(jaxlite.vmap(jaxlite.grad(f)))(x)
    looped = [float(jaxlite.grad(f)(v)) for v in x]
    np.testing.assert_allclose(np.asarray(batched), looped, rtol=1e-12)
    values = jaxlite.vmap(f)(x.reshape(2, -1) if x.size % 2 == 0 else x)
    np.testing.assert_allclose(np.asarray(values).ravel(), CASES[name][0](x), rtol=1e-13)


EXPN_X = np.concatenate([np.linspace(0, 30, 301), np.logspace(-300, 300, 61), np.logspace(-8, 3, 111)])


@pytest.mark.parametrize("dt", [F64, np.float32])
@pytest.mark.parametrize("jit", [False, True])
def test_expn_against_scipy(dt, jit):
    f = jaxlite.jit(sp.expn) if jit else sp.expn
    info = np.finfo(dt)
    with np.errstate(all="ignore"):
        x = EXPN_X.astype(dt)
        x = x[np.isfinite(x)]
    for n in list(range(0, 24)) + [30, 100, 1000]:
        with np.errstate(all="ignore"):
            want = ss.expn(n, x.astype(F64))
        got = f(dt(n), jnp.asarray(x))
        assert got.dtype == dt
        got = np.asarray(got, F64)
        normal = np.isfinite(want) & (want <= info.max) & (want >= info.tiny)
        # scipy's own error reaches ~260 ulp for large n and x (see the exact check).
        np.testing.assert_allclose(got[normal], want[normal], rtol=1e-13 if dt == F64 else 4 * 2.0 ** -23)
        assert np.array_equal(np.isinf(got), np.isinf(want) | (want > info.max))


def _exact_expn_cf(n, x, terms=300):
    getcontext().prec = 50
    n, x = Decimal(n), Decimal(x)
    tail = x + n + 2 * terms
    for i in range(terms, 0, -1):
        tail = x + n + 2 * (i - 1) - i * (n - 1 + i) / tail
    return float((-x).exp() / tail)


def test_expn_exact_and_special_values():
    for n, x in [(100, 501.1872336272735), (1000, 125.89254117941714), (3, 1.2589254117941662), (2, 4.0)]:
        assert abs(float(sp.expn(F64(n), F64(x))) / _exact_expn_cf(n, x) - 1) < 1e-15
    got = np.asarray(sp.expn(np.array([0.0, 1.0, 2.0, 5.0, -1.0, 1.0, 1.5]),
                             np.array([0.0, 0.0, 0.0, 0.0, 1.0, -1.0, 1.0])))
    np.testing.assert_array_equal(got, [np.inf, np.inf, 1.0, 0.25, np.nan, np.nan, np.nan])
    # n broadcasts against x; ints promote.
    assert sp.expn(np.arange(3)[:, None], np.ones(4)).shape == (3, 4)


def test_expn_grads():
    x = np.array([0.3, 0.9, 1.5, 7.0], F64)
    for n in (1.0, 2.0, 5.0, 25.0):
        check_grads(lambda x: sp.expn(F64(n), x), (x,), order=2, rtol=1e-5, atol=1e-8)
        g = jaxlite.jit(jaxlite.vmap(jaxlite.grad(lambda x: sp.expn(F64(n), x))))(x)
        np.testing.assert_allclose(np.asarray(g), -ss.expn(int(n) - 1, x), rtol=1e-13)
    # The index is not differentiated (as JAX: zero tangent).
    assert float(jaxlite.grad(sp.expn)(F64(2.0), F64(1.0))) == 0.0


@pytest.mark.parametrize("dt", [F64, np.float32])
@pytest.mark.parametrize("jit", [False, True])
def test_sici_against_scipy(dt, jit):
    f = jaxlite.jit(sp.sici) if jit else sp.sici
    eps = np.finfo(dt).eps
    with np.errstate(all="ignore"):
        x = GRID.astype(dt)
        x = x[np.isfinite(x)]
    if jit:
        # jaxlite's jitted sin/cos return NaN past about 1e16 (float64) or 1e5
        # (float32), where their range reduction stops; sici's tails use them.
        x = x[np.isfinite(np.asarray(jaxlite.jit(jnp.sin)(jnp.asarray(x)))) | (np.abs(x) <= 4)]
    want = ss.sici(x.astype(F64))
    got = f(jnp.asarray(x))
    for w, g in zip(want, got):
        assert g.dtype == dt
        g = np.asarray(g, F64)
        fin = np.isfinite(w)
        # Relative to a few ulp, absolute near Ci's roots (0.6165, 3.384, ...)
        # where the value's relative accuracy is that of the rounded argument.
        assert np.all(np.abs(g - w)[fin] <= 4 * eps * (np.abs(w[fin]) + 1.0))
        assert np.array_equal(g[~fin], w[~fin])


def test_sici_special_values_and_grads():
    si, ci = sp.sici(np.array([0.0, np.inf, -np.inf, 1e300], F64))
    np.testing.assert_array_equal(np.asarray(si)[:3], [0.0, np.pi / 2, -np.pi / 2])
    np.testing.assert_array_equal(np.asarray(ci)[:3], [-np.inf, 0.0, 0.0])
    np.testing.assert_allclose(np.asarray(si)[3], np.pi / 2, rtol=1e-15)
    x = np.array([-7.0, -0.5, 0.8, 3.0, 4.5, 40.0], F64)
    check_grads(lambda x: sp.sici(x)[0], (x,), order=2, rtol=1e-5, atol=1e-8)
    check_grads(lambda x: sp.sici(x)[1], (x,), order=2, rtol=1e-5, atol=1e-8)
    gs = jaxlite.jit(jaxlite.vmap(jaxlite.grad(lambda x: sp.sici(x)[0])))(x)
    gc = jaxlite.vmap(jaxlite.grad(lambda x: sp.sici(x)[1]))(x)
    np.testing.assert_allclose(np.asarray(gs), np.sin(x) / x, rtol=1e-14)
    np.testing.assert_allclose(np.asarray(gc), np.cos(x) / x, rtol=1e-14)
    assert float(jaxlite.grad(lambda x: sp.sici(x)[0])(F64(0.0))) == 1.0
    si, ci = jaxlite.vmap(sp.sici)(x.reshape(3, 2))
    np.testing.assert_allclose(np.asarray(si).ravel(), ss.sici(x)[0], rtol=1e-14)
    np.testing.assert_allclose(np.asarray(ci).ravel(), ss.sici(x)[1], rtol=1e-13)


@pytest.mark.parametrize("dt", [F64, np.float32])
@pytest.mark.parametrize("jit", [False, True])
def test_fresnel_against_scipy(dt, jit):
    f = jaxlite.jit(sp.fresnel) if jit else sp.fresnel
    with np.errstate(all="ignore"):
        x = GRID.astype(dt)
        x = x[np.isfinite(x)]
        want = ss.fresnel(x.astype(F64))
    got = f(jnp.asarray(x))
    for w, g in zip(want, got):
        assert g.dtype == dt
        g = np.asarray(g, F64)
        # scipy gives NaN past 1e154, where both integrals are +-1/2.
        w = np.where(np.isnan(w), 0.5 * np.sign(x), w)
        # scipy's phase pi x^2 / 2 is rounded, costing it up to ~300 ulp from
        # x ~ 100 on (jaxlite reduces x^2 mod 4 exactly; see the exact check).
        rtol = np.where(np.abs(x) < 30, 4e-15, 2e-13) if dt == F64 else 6 * 2.0 ** -23
        tiny = np.finfo(dt).tiny                # S ~ pi x^3 / 6 underflows for tiny x
        assert np.all((np.abs(g - w) <= rtol * np.abs(w)) | ((np.abs(w) < tiny) & (np.abs(g) < tiny)))


def _exact_fresnel_large(x):
    # S = 1/2 - f cos(phi) - g sin(phi), C = 1/2 + f sin(phi) - g cos(phi) with
    # the asymptotic f, g to 1/x^9 and the phase pi x^2 / 2 reduced exactly.
    getcontext().prec = 60
    pi = Decimal("3.14159265358979323846264338327950288419716939937510582097494")
    xd = Decimal(x)
    u = 1 / (pi * xd * xd) ** 2
    f = (1 - 3 * u + 105 * u * u) / (pi * xd)
    g = (1 - 15 * u + 945 * u * u) / (pi * pi * xd ** 3)
    phase = float((xd * xd % 4) * pi / 2)
    c, s = Decimal(np.cos(phase)), Decimal(np.sin(phase))
    return float(Decimal("0.5") - f * c - g * s), float(Decimal("0.5") + f * s - g * c)


def test_fresnel_exact_special_values_and_grads():
    for x in [858.7519484845179, 737.4549090259561, 12345.678]:
        s, c = sp.fresnel(F64(x))
        es, ec = _exact_fresnel_large(x)
        assert abs(float(s) - es) <= 2e-16 and abs(float(c) - ec) <= 2e-16
    s, c = sp.fresnel(np.array([0.0, np.inf, -np.inf, 1e300], F64))
    np.testing.assert_array_equal(np.asarray(s), [0.0, 0.5, -0.5, 0.5])
    np.testing.assert_array_equal(np.asarray(c), [0.0, 0.5, -0.5, 0.5])
    x = np.array([-2.5, -0.3, 0.6, 1.4, 1.7, 6.0], F64)
    check_grads(lambda x: sp.fresnel(x)[0], (x,), order=2, rtol=1e-5, atol=1e-8)
    check_grads(lambda x: sp.fresnel(x)[1], (x,), order=2, rtol=1e-5, atol=1e-8)
    gs = jaxlite.jit(jaxlite.vmap(jaxlite.grad(lambda x: sp.fresnel(x)[0])))(x)
    gc = jaxlite.vmap(jaxlite.grad(lambda x: sp.fresnel(x)[1]))(x)
    np.testing.assert_allclose(np.asarray(gs), np.sin(np.pi * x * x / 2), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(np.asarray(gc), np.cos(np.pi * x * x / 2), rtol=1e-13, atol=1e-15)
    s, c = jaxlite.vmap(sp.fresnel)(x.reshape(2, 3))
    np.testing.assert_allclose(np.asarray(s).ravel(), ss.fresnel(x)[0], rtol=1e-14)
    np.testing.assert_allclose(np.asarray(c).ravel(), ss.fresnel(x)[1], rtol=1e-14)


def test_nan_propagates():
    x = np.array([np.nan, 0.5], F64)
    for name in sorted(CASES):
        got = np.asarray(getattr(sp, name)(x))
        assert np.isnan(got[0]) and np.isfinite(got[1]), name
    for pair in (sp.sici(x), sp.fresnel(x)):
        assert all(np.isnan(np.asarray(v)[0]) for v in pair)
    got = np.asarray(sp.expn(np.array([1.0, np.nan, 2.0]), np.array([np.nan, 1.0, 0.5])))
    assert np.isnan(got[0]) and np.isnan(got[1]) and np.isfinite(got[2])
