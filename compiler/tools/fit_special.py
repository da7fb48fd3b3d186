"""Derive the erf-inverse polynomial tables of jaxlite/lax/special_math.py
(a development tool; needs scipy).

``python -m jaxlite.compiler.tools.fit_special`` prints ``ERFINV_COEFFS``. For each
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


if __name__ == "__main__":
    print("ERFINV_COEFFS = (")
    for coeffs in tables():
        print("    (" + ",\n     ".join(repr(c) for c in coeffs) + "),")
    print(")")
