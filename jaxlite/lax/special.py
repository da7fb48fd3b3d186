"""Special-function primitives: lgamma, digamma, erfc, erf_inv, ndtri, the
regularized incomplete gamma and beta functions, Hurwitz zeta and the
exponentially scaled Bessel functions I0 and I1.

Each is elementwise over floats. The value comes from special_math.py (one
algorithm, evaluated here on numpy arrays and by the compiler as LLVM IR);
the jvp rules are the closed-form derivatives, except igamma's with respect
to a: igamma_grad_a, igamma's algorithm differentiated in forward mode
(special_math.DualOps). igamma_grad_a's own derivative in a, betainc's in a
and b and zeta's in s raise.
"""
import math

import numpy as np

from jaxlite import core
from jaxlite.interpreters import ad, batching
from jaxlite.lax._rules import standard_primitive, unop_shape_rule, naryop_shape_rule, promote_weak
from jaxlite.lax import special_math
# A module, not names: elementwise imports the lax package's other modules too.
from jaxlite.lax import elementwise as ew
from jaxlite.lax import structural

__all__ = ["lgamma_p", "digamma_p", "erfc_p", "erf_inv_p", "ndtri_p", "igamma_p", "igammac_p",
           "betainc_p", "zeta_p", "bessel_i0e_p", "bessel_i1e_p", "igamma_grad_a_p", "lgamma",
           "digamma", "erfc", "erf_inv", "ndtri", "igamma", "igammac", "igamma_grad_a",
           "betainc", "zeta", "polygamma",
           "bessel_i0e", "bessel_i1e"]


def _impl(name):
    return lambda *args: special_math.evaluate(name, *args)


def _special(name, nargs):
    shape_rule = (unop_shape_rule(name, "f") if nargs == 1
                  else naryop_shape_rule(name, "f"))
    prim = standard_primitive(name, _impl(name), shape_rule, kind=core.ELEMENTWISE,
                              cost=core.COSTLY)
    if nargs == 1:
        batching.defvectorized(prim)
    else:
        batching.defbroadcasting(prim)
    return prim


def _c(like, value):
    return np.asarray(value, core.get_aval(like).dtype)


def _full(like, value):
    aval = core.get_aval(like)
    return structural.full(aval.shape, value, aval.dtype)


def _not_differentiable(error, message):
    def rule(g, ans, *args):
        raise error(message)
    return rule


lgamma_p = _special("lgamma", 1)
digamma_p = _special("digamma", 1)
erfc_p = _special("erfc", 1)
erf_inv_p = _special("erf_inv", 1)
ndtri_p = _special("ndtri", 1)
bessel_i0e_p = _special("bessel_i0e", 1)
bessel_i1e_p = _special("bessel_i1e", 1)
igamma_p = _special("igamma", 2)
igammac_p = _special("igammac", 2)
igamma_grad_a_p = _special("igamma_grad_a", 2)
zeta_p = _special("zeta", 2)
betainc_p = _special("betainc", 3)


def _unary(prim):
    def f(x):
        return core.bind(prim, x)
    f.__name__ = prim.name
    f.__doc__ = f"Elementwise ``{prim.name}`` (lax primitive)."
    return f


def _nary(prim):
    def f(*args):
        return core.bind(prim, *promote_weak(prim.name, *args))
    f.__name__ = prim.name
    f.__doc__ = f"Elementwise ``{prim.name}`` of same-dtype operands (lax primitive)."
    return f


lgamma, digamma, erfc, erf_inv, ndtri = map(_unary, (lgamma_p, digamma_p, erfc_p, erf_inv_p,
                                                     ndtri_p))
bessel_i0e, bessel_i1e = map(_unary, (bessel_i0e_p, bessel_i1e_p))
igamma, igammac, zeta, betainc = map(_nary, (igamma_p, igammac_p, zeta_p, betainc_p))
igamma_grad_a = _nary(igamma_grad_a_p)


def polygamma(m, x):
    """psi^(m)(x) for integer-valued float ``m``: digamma for m = 0, else
    (-1)^(m+1) m! zeta(m+1, x)."""
    m, x = promote_weak("polygamma", m, x)
    one = _c(x, 1.0)
    m_shape, x_shape = core.get_aval(m).shape, core.get_aval(x).shape
    if m_shape != x_shape:        # a rank-0 operand broadcasts, as in the other lax ops
        shape = m_shape or x_shape
        m, x = (structural.broadcast_in_dim(v, shape, ()) if not core.get_aval(v).shape else v
                for v in (m, x))
    sign = ew.select_n(ew.eq(ew.rem(m, _c(m, 2.0)), one), _full(x, -1.0), _full(x, 1.0))
    m1 = ew.add(m, one)
    higher = ew.mul(ew.mul(sign, ew.exp(lgamma(m1))), zeta(m1, x))
    return ew.select_n(ew.eq(m, _c(m, 0.0)), higher, digamma(x))


# ------------------------------------------------------------------ derivatives

def _density_gamma(a, x):
    """d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)."""
    return ew.exp(ew.sub(ew.sub(ew.mul(ew.sub(a, _c(a, 1.0)), ew.log(x)), x), lgamma(a)))


ad.defjvp(lgamma_p, lambda g, ans, x: ew.mul(g, digamma(x)))
ad.defjvp(digamma_p, lambda g, ans, x: ew.mul(g, zeta(_c(x, 2.0), x)))
ad.defjvp(erfc_p, lambda g, ans, x: ew.mul(g, ew.mul(_c(x, -2.0 / math.sqrt(math.pi)),
                                                     ew.exp(ew.neg(ew.mul(x, x))))))
ad.defjvp(erf_inv_p, lambda g, ans, x: ew.mul(g, ew.mul(_c(x, math.sqrt(math.pi) / 2),
                                                        ew.exp(ew.mul(ans, ans)))))
ad.defjvp(ndtri_p, lambda g, ans, x: ew.mul(g, ew.mul(
    _c(x, math.sqrt(2 * math.pi)), ew.exp(ew.mul(_c(x, 0.5), ew.mul(ans, ans))))))
ad.defjvp(bessel_i0e_p, lambda g, ans, x: ew.mul(g, ew.sub(bessel_i1e(x),
                                                           ew.mul(ew.sign(x), ans))))


def _i1e_derivative(g, ans, x):
    # i1e'(x) = i0e(x) - i1e(x) (sign(x) + 1/x), which tends to 1/2 at 0.
    zero = ew.eq(x, _c(x, 0.0))
    safe = ew.select_n(zero, x, _full(x, 1.0))
    d = ew.sub(bessel_i0e(x), ew.mul(ans, ew.add(ew.sign(x), ew.div(_c(x, 1.0), safe))))
    return ew.mul(g, ew.select_n(zero, d, _full(x, 0.5)))


ad.defjvp(bessel_i1e_p, _i1e_derivative)
ad.defjvp(igamma_p,
          lambda g, ans, a, x: ew.mul(g, igamma_grad_a(a, x)),
          lambda g, ans, a, x: ew.mul(g, _density_gamma(a, x)))
ad.defjvp(igammac_p,
          lambda g, ans, a, x: ew.neg(ew.mul(g, igamma_grad_a(a, x))),
          lambda g, ans, a, x: ew.neg(ew.mul(g, _density_gamma(a, x))))
# d/dx of dP/da is d/da of the density: density * (log x - digamma(a)).
ad.defjvp(igamma_grad_a_p,
          _not_differentiable(NotImplementedError,
                              "igamma_grad_a: the derivative with respect to a is not "
                              "implemented (second derivatives of igamma in a)"),
          lambda g, ans, a, x: ew.mul(g, ew.mul(_density_gamma(a, x),
                                                ew.sub(ew.log(x), digamma(a)))))
ad.defjvp(zeta_p,
          _not_differentiable(NotImplementedError,
                              "zeta: the derivative with respect to s is not implemented"),
          lambda g, ans, s, q: ew.mul(g, ew.neg(ew.mul(s, zeta(ew.add(s, _c(s, 1.0)), q)))))


def _betainc_dx(g, ans, a, b, x):
    one = _c(x, 1.0)
    log_beta = ew.sub(ew.add(lgamma(a), lgamma(b)), lgamma(ew.add(a, b)))
    log_density = ew.sub(ew.add(ew.mul(ew.sub(a, one), ew.log(x)),
                                ew.mul(ew.sub(b, one), ew.log1p(ew.neg(x)))), log_beta)
    return ew.mul(g, ew.exp(log_density))


_BETAINC_AB = _not_differentiable(
    ValueError, "betainc: the derivative with respect to a and b is not supported")
ad.defjvp(betainc_p, _BETAINC_AB, _BETAINC_AB, _betainc_dx)
