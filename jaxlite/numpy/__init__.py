"""jaxlite.numpy: numpy's API over jaxlite.lax (being written)."""
from jaxlite import core, lax
from jaxlite.lax.structural import reshape  # noqa: F401


def _binop(f):
    return lambda x, y: f(x, y)


core.Tracer.__add__ = lambda x, y: lax.add(x, y)
core.Tracer.__radd__ = lambda x, y: lax.add(y, x)
core.Tracer.__mul__ = lambda x, y: lax.mul(x, y)
core.Tracer.__rmul__ = lambda x, y: lax.mul(y, x)
core.Tracer.__sub__ = lambda x, y: lax.sub(x, y)
core.Tracer.__gt__ = lambda x, y: lax.gt(x, y)
core.Tracer.__pow__ = lambda x, y: lax.integer_pow(x, y)
sin, cos, exp, log, tanh = lax.sin, lax.cos, lax.exp, lax.log, lax.tanh


def sum(x, axis=None):
    return lax.reduce_sum(x, tuple(range(core.get_aval(x).ndim)) if axis is None else (axis,))
