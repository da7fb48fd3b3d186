"""The chi-squared distribution with ``df`` degrees of freedom: gamma(df/2, scale 2)."""
from jaxlite.scipy.stats import _common, gamma

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def _as_gamma(fn):
    def f(x, df, loc=0, scale=1):
        x, df, loc, scale = _common.floats(x, df, loc, scale)
        return fn(x, df / 2.0, loc, 2.0 * scale)
    f.__name__ = fn.__name__
    f.__doc__ = f"chi2 {fn.__name__}: gamma's with shape df/2 and twice the scale."
    return f


logpdf, pdf, cdf = _as_gamma(gamma.logpdf), _as_gamma(gamma.pdf), _as_gamma(gamma.cdf)
logcdf, sf, logsf = _as_gamma(gamma.logcdf), _as_gamma(gamma.sf), _as_gamma(gamma.logsf)
