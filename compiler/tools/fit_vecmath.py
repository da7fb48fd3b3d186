"""Derive vecmath's fitted polynomial coefficients (a development tool).

``python -m jaxlite.compiler.tools.fit_vecmath`` prints the tables that
``compiler/vecmath.py`` holds as constants, reproduced from their
definitions: least squares on Chebyshev nodes (near-minimax) for most, and
minimax fits in relative error (Loeb's linearization with Lawson's
reweighting) for float32 tanh, logistic and pow. Nothing at run time imports
this module; ``tests/test_vecmath.py`` checks the tables still match.
"""
import math

import numpy as np

from jaxlite.compiler import vecmath



def cheb_nodes_fit(f, a, b, deg, n=500, monomial=True):
    """Least squares on n Chebyshev nodes of [a, b] (near-minimax for smooth f).

    Returns monomial coefficients in the original variable, lowest first, or (with
    monomial=False) the Chebyshev coefficients in t = (2z - a - b) / (b - a).
    """
    cheb = np.polynomial.chebyshev
    t = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    c = cheb.chebfit(t, f((a + b) / 2 + (b - a) / 2 * t), deg)
    if not monomial:
        return c
    p = np.polynomial.Polynomial(cheb.cheb2poly(c))
    return p(np.polynomial.Polynomial([-(a + b) / (b - a), 2 / (b - a)])).coef


def rational_fit(f, a, b, m, n, scale, nodes=2000, iters=100):
    """P/Q of degrees (m, n) minimizing max |P/Q - f| / scale on [a, b].

    Loeb's linearization (minimize |P - f Q| / (scale Q_prev) by least squares) with
    Lawson's reweighting (weights multiplied by the current error, which drives the
    least-squares optimum towards the minimax one), in a Chebyshev basis on
    Chebyshev nodes for conditioning.  Returns (max scaled error on the nodes,
    monomial coefficients of P, of Q) with Q[0] = 1, lowest order first.
    """
    cheb = np.polynomial.chebyshev
    t = np.cos(np.pi * (np.arange(nodes) + 0.5) / nodes)
    v = (a + b) / 2 + (b - a) / 2 * t
    fv, sv = f(v), scale(v)
    tp, tq = cheb.chebvander(t, m), cheb.chebvander(t, n)
    weight, q_prev, best = np.full(nodes, 1 / nodes), np.ones(nodes), None
    for _ in range(iters):
        rows = np.hstack([tp, -fv[:, None] * tq[:, 1:]]) / (sv * q_prev)[:, None]
        rhs = fv / (sv * q_prev)                    # Q's T0 coefficient is fixed at 1
        sw = np.sqrt(weight)
        sol = np.linalg.lstsq(rows * sw[:, None], rhs * sw, rcond=None)[0]
        pc, qc = sol[:m + 1], np.concatenate([[1.0], sol[m + 1:]])
        q_prev = cheb.chebval(t, qc)
        err = (cheb.chebval(t, pc) / q_prev - fv) / sv
        if best is None or np.abs(err).max() < best[0]:
            best = (np.abs(err).max(), pc, qc)
        weight = weight * np.abs(err)
        weight /= weight.sum()
    emax, pc, qc = best
    to_v = np.polynomial.Polynomial([-(a + b) / (b - a), 2 / (b - a)])   # t as a function of v
    pm = np.polynomial.Polynomial(cheb.cheb2poly(pc))(to_v).coef
    qm = np.polynomial.Polynomial(cheb.cheb2poly(qc))(to_v).coef
    return emax, pm / qm[0], qm / qm[0]


def series(z, terms):
    """sum(terms[k] z^k), evaluated from the top (accurate for the small z used)."""
    s = np.zeros_like(z)
    for c in terms[::-1]:
        s = s * z + c
    return s


def derived_tables():
    """The fitted tables, reproduced from their definitions: {name: coefficients}."""
    fact = math.factorial
    ln2h = math.log(2) / 2
    zlog = ((2 ** .5 - 1) / (2 ** .5 + 1)) ** 2
    zat = math.tan(math.pi / 8) ** 2
    exp_t = [1 / fact(k + 2) for k in range(16)]
    log_t = [2 / (2 * k + 3) for k in range(20)]
    sin_t = [(-1) ** (k + 1) / fact(2 * k + 3) for k in range(12)]
    cos_t = [(-1) ** k / fact(2 * k + 4) for k in range(12)]
    atan_t = [(-1) ** (k + 1) / (2 * k + 3) for k in range(60)]
    asin_t = [fact(2 * k) / (4 ** k * fact(k) ** 2 * (2 * k + 1)) for k in range(1, 80)]
    erf_t = [2 / math.sqrt(math.pi) * (-1) ** k / (fact(k) * (2 * k + 1)) for k in range(30)]

    def tan_t(z):     # (tan r - r) / r^3, series near 0 where the difference cancels
        r = np.sqrt(z)
        with np.errstate(all='ignore'):
            direct = (np.tan(r) - r) / r ** 3
        return np.where(z < 1e-4, 1 / 3 + 2 * z / 15 + 17 * z ** 2 / 315, direct)

    def tanh_h(z):    # (x - tanh x) / x^3, series near 0 where the difference cancels
        r = np.sqrt(z)
        with np.errstate(all='ignore'):
            direct = (r - np.tanh(r)) / r ** 3
        return np.where(z < 1e-3, 1 / 3 - 2 * z / 15 + 17 * z ** 2 / 315 - 62 * z ** 3 / 2835,
                        direct)

    # tanh: minimax in relative error (h in its own; e^(2r) = 1 + r g(r) in that of e^(2r))
    split2 = vecmath.TANH32_SPLIT ** 2
    _, sp, sq = rational_fit(tanh_h, 0, split2, 1, 1, tanh_h)
    _, tg, _ = rational_fit(lambda r: np.expm1(2 * r) / r, -ln2h / 2, ln2h / 2, 4, 0,
                             lambda r: np.exp(2 * r) / np.abs(r))
    _, qg, _ = rational_fit(lambda r: np.expm1(r) / r, -ln2h, ln2h, 5, 0,
                             lambda r: np.exp(r) / np.abs(r))
    # float32 pow: log2(1 + f) / s and (2^r - 1) / r, in the relative error of log2 / 2^r
    atanh_t = [1 / (2 * k + 1) for k in range(20)]       # atanh(s) / s in z = s^2
    log2_g = lambda z: 2 / math.log(2) * series(z, atanh_t)  # noqa: E731
    _, pl, _ = rational_fit(log2_g, 0, zlog, 4, 0, log2_g)
    _, pe, _ = rational_fit(lambda r: np.expm1(r * math.log(2)) / r, -0.5, 0.5, 5, 0,
                             lambda r: np.exp2(r) / np.abs(r))

    erfc = np.vectorize(math.erfc)
    erfc_g = lambda u: erfc(1 / u) * np.exp(1 / (u * u))  # noqa: E731
    erf_e = cheb_nodes_fit(lambda z: series(z, erf_t), 0, 1, 6)
    erf_e[0] -= 1
    tables = {
        'EXP_P32': cheb_nodes_fit(lambda r: series(r, exp_t), -ln2h, ln2h, 5),
        'LOG_L32': cheb_nodes_fit(lambda z: series(z, log_t), 0, zlog, 3),
        'SIN_S32': cheb_nodes_fit(lambda z: series(z, sin_t), 0, 0.64, 3),
        'COS_C32': cheb_nodes_fit(lambda z: series(z, cos_t), 0, 0.64, 3),
        'TAN_T32': cheb_nodes_fit(tan_t, 0, 0.64, 6),
        'TANH_S32': (sp[0] / sq[1], sp[1] / sq[1], sq[0] / sq[1]),
        'TANH_E32': (1.0, *tg),
        'EXP_Q32': (1.0, *qg),
        'POW_L32': pl,
        'POW_E32': (1.0, *pe),
        'ASIN_P32': cheb_nodes_fit(lambda z: series(z, asin_t), 0, 0.25, 5),
        'ASIN_P64': cheb_nodes_fit(lambda z: series(z, asin_t), 0, 0.25, 11),
        'ATAN_A32': cheb_nodes_fit(lambda z: series(z, atan_t), 0, zat, 5),
        'ATAN_A64': cheb_nodes_fit(lambda z: series(z, atan_t), 0, zat, 10),
        'ERF_E32': erf_e,
        'ERFC_G32': cheb_nodes_fit(erfc_g, 1 / 4, 1, 9),
        'ERFC_G64': np.polynomial.chebyshev.cheb2poly(
            cheb_nodes_fit(erfc_g, 1 / 6, 1, 22, n=800, monomial=False)),
    }
    return tables


def main():
    """Print the fitted tables as Python, ready to paste into vecmath.py."""
    for name, cs in derived_tables().items():
        print(f"{name} = ({', '.join(repr(float(c)) for c in cs)})")


if __name__ == '__main__':
    main()
