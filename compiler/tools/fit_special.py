"""Derive the polynomial tables of jaxlite/lax/special_math.py (a development
tool; needs scipy).

``python -m jaxlite.compiler.tools.fit_special`` prints ``ERFINV_COEFFS`` and
``BESSEL_COEFFS`` (the Bessel series: see ``bessel_tables``). For each
segment of ``special_math.ERFINV_SEGMENTS`` (a range of w = -log((1-y)(1+y)),
or of sqrt(w), and a degree), x / y as a function of that variable, where
erf(x) = y, is fitted by least squares in the Chebyshev basis of the segment
(scaled to [-1, 1]) on x sampled densely: the samples are exact x values
with y and w from scipy's erf/erfc, so the fit averages their one-ulp noise.
Nothing at run time imports this module; tests/test_scipy_special.py checks
that the tables still match a refit.
"""
import numpy as np
import scipy.special as ss

from jaxlite.lax import special_math


def samples(n=400000):
    """(w, x / y) on x in (0, 27.3), where erf(x) = y."""
    x = np.linspace(0.0, 27.3, n)[1:]
    t, y = ss.erfc(x), ss.erf(x)
    with np.errstate(divide="ignore"):
        w = np.where(x < 0.5, -np.log1p(-y * y), -np.log(t * (2.0 - t)))
    y = np.where(x < 0.5, y, 1.0 - t)
    ok = np.isfinite(w) & (t > 0)
    return w[ok], (x / y)[ok]


def fit(w, ratio, lo, hi, use_sqrt, degree):
    s = np.sqrt(w) if use_sqrt else w
    inside = (s >= lo) & (s <= hi)
    u = (2.0 * s[inside] - (lo + hi)) / (hi - lo)
    return tuple(float(c) for c in np.polynomial.chebyshev.chebfit(u, ratio[inside], degree))


def tables():
    w, ratio = samples()
    return tuple(fit(w, ratio, *segment) for segment in special_math.ERFINV_SEGMENTS)




# ------------------------------------------------------------------ modified Bessel
# The reference: e^-z I_nu(z) in extended precision (np.longdouble), by its power
# series below z = 60 (positive terms) and Hankel's expansion above (its
# smallest term is below 1e-19 there).

def _bessel_series(z, nu):
    quarter = z * z / 4
    term = np.ones_like(z) if nu == 0 else z / 2
    total = term.copy()
    for k in range(400):
        term = term * quarter / ((k + 1) * (k + 1 + nu))
        total = total + term
    return total * np.exp(-z)


def _bessel_asymptotic(z, nu):
    term = np.ones_like(z)
    total = term.copy()
    for k in range(40):
        term = term * ((2 * k + 1) ** 2 - 4 * nu * nu) / (8 * (k + 1) * z)
        total = total + term
    return total / np.sqrt(2 * np.pi * z)


def bessel_ie(z, nu):
    """e^-z I_nu(z) for z > 0, in np.longdouble."""
    z = np.asarray(z, np.longdouble)
    return np.where(z < 60, _bessel_series(np.minimum(z, 60), nu),
                    _bessel_asymptotic(np.maximum(z, 60), nu))


def chebyshev_interpolant(f, degree, nodes=96):
    """The first coefficients of f's Chebyshev interpolant on [-1, 1], summed in
    extended precision (no least-squares noise)."""
    t = (np.arange(nodes, dtype=np.longdouble) + 0.5) * np.pi / nodes
    values = f(np.cos(t))
    return tuple(float(2 * np.sum(values * np.cos(k * t)) / nodes / (2 if k == 0 else 1))
                 for k in range(degree + 1))


def bessel_tables():
    """(small, large) series for nu = 0 and 1: in u = z/4 - 1 on [0, 8] of
    e^-z I_nu(z) / z^nu, in v = 16/z - 1 above 8 of sqrt(z) e^-z I_nu(z)."""
    small, large = special_math.BESSEL_DEGREES
    return tuple(
        (chebyshev_interpolant(lambda u, nu=nu: bessel_ie(4 * (u + 1), nu) / (4 * (u + 1)) ** nu,
                               small),
         chebyshev_interpolant(lambda v, nu=nu: bessel_ie(16 / (v + 1), nu) * np.sqrt(16 / (v + 1)),
                               large))
        for nu in (0, 1))


def erfc_table():
    """x e^(x^2) erfc(x) for x >= 1/2 (scipy's erfcx, accurate to an ulp or
    two), interpolated in t = 1 - 2K/(x + K) scaled to [-1, 1]."""
    k, lo = special_math.ERFC_K, special_math.ERFC_SWITCH
    t_lo = 1.0 - 2.0 * k / (lo + k)

    def scaled(u):
        t = np.asarray(t_lo + (u + 1.0) * (1.0 - t_lo) / 2.0, np.float64)
        x = 2.0 * k / (1.0 - t) - k
        return x * ss.erfcx(x)
    return chebyshev_interpolant(scaled, special_math.ERFC_DEGREE)


def _print(name, rows):
    print(f"{name} = (")
    for coeffs in rows:
        print("    (" + ",\n     ".join(repr(c) for c in coeffs) + "),")
    print(")")


if __name__ == "__main__":
    _print("ERFINV_COEFFS", tables())
    _print("BESSEL_COEFFS", [c for pair in bessel_tables() for c in pair])
    print(f"ERFC_COEFFS = {erfc_table()!r}")
