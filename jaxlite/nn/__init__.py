"""jaxlite.nn: activations and the softmax family, as in ``jax.nn``.

All are compositions of jaxlite.numpy / lax, so they differentiate, batch and
compile like any user code. The softmax family subtracts a stop_gradient'ed
maximum: the value cannot overflow and the gradient is exactly the softmax.
"""
import math

import numpy as np

from jaxlite import lax
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util
from jaxlite.nn import initializers  # noqa: F401  (jax.nn.initializers)


def _float(x):
    (x,) = util.promote_inexact(x)
    return util.strong(x)


def relu(x):
    """max(x, 0), with derivative 0 at x == 0 (as JAX); NaN stays NaN."""
    x = util.as_operand(x)
    # select_n rather than max: max's derivative splits ties (0.5 at x == 0).
    # A NaN passes through as max's does, with derivative 0 as in JAX.
    return jnp.where(jnp.greater(x, 0), x, jnp.where(jnp.isnan(x), lax.stop_gradient(x), 0))


def relu6(x):
    """min(max(x, 0), 6), with derivative 0 at 0 and at 6 (as JAX); a float."""
    x = util.as_operand(x)
    return jnp.where(jnp.greater_equal(x, 6), 6.0, relu(x))


def sigmoid(x):
    """1 / (1 + exp(-x)), computed stably (lax.logistic)."""
    return lax.logistic(_float(x))


def log_sigmoid(x):
    return jnp.negative(softplus(jnp.negative(x)))


def softplus(x):
    """log(1 + exp(x)) without overflow: logaddexp(x, 0)."""
    return jnp.logaddexp(_float(x), 0)


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    x = _float(x)
    return lax.mul(x, sigmoid(x))


swish = silu


def gelu(x, approximate=True):
    """Gaussian error linear unit; the tanh approximation by default, as JAX."""
    x = _float(x)
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        inner = jnp.multiply(c, jnp.add(x, jnp.multiply(0.044715, lax.integer_pow(x, 3))))
        return jnp.multiply(jnp.multiply(0.5, x), jnp.add(1, jnp.tanh(inner)))
    return jnp.multiply(jnp.multiply(0.5, x), jnp.add(1, lax.erf(jnp.divide(x, math.sqrt(2)))))


def elu(x, alpha=1.0):
    x = _float(x)
    safe = jnp.where(jnp.greater(x, 0), 0.0, x)   # no overflow in expm1
    return jnp.where(jnp.greater(x, 0), x, jnp.multiply(alpha, jnp.expm1(safe)))


def leaky_relu(x, negative_slope=0.01):
    x = _float(x)
    return jnp.where(jnp.greater_equal(x, 0), x, jnp.multiply(negative_slope, x))


def _shifted(x, axis, where):
    """x - stop_gradient(max(x)), with a max of 0 for rows that are all -inf."""
    x = _float(x)
    if where is not None:
        x = jnp.where(where, x, -np.inf)
    m = _max_or_neg_inf(x, axis)
    m = lax.stop_gradient(jnp.where(jnp.isfinite(m), m, 0.0))
    return jnp.subtract(x, m)


def _max_or_neg_inf(x, axis):
    """max(x) along ``axis`` with keepdims; -inf over an empty axis (as JAX, so the
    softmax of nothing is empty and the logsumexp of nothing is -inf, not an error).
    The initial value is only passed when needed, keeping the usual jaxpr lean."""
    axes = util.canonical_axes(axis, util.ndim(x))
    empty = any(util.shape(x)[a] == 0 for a in axes)
    return jnp.max(x, axis=axis, keepdims=True, initial=-np.inf if empty else None)


def softmax(x, axis=-1, where=None):
    """exp(x) / sum(exp(x)) along ``axis``."""
    unnormalized = jnp.exp(_shifted(x, axis, where))
    if where is not None:
        unnormalized = jnp.where(where, unnormalized, 0)
    return jnp.divide(unnormalized, jnp.sum(unnormalized, axis=axis, keepdims=True))


def log_softmax(x, axis=-1, where=None):
    """x - logsumexp(x) along ``axis``."""
    shifted = _shifted(x, axis, where)
    e = jnp.exp(shifted)
    if where is not None:
        e = jnp.where(where, e, 0)
    return jnp.subtract(shifted, jnp.log(jnp.sum(e, axis=axis, keepdims=True)))


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """log(sum(b * exp(a))) along ``axis``, stable for large inputs; rows that are
    all -inf give -inf. With ``return_sign`` returns (log|s|, sign(s))."""
    a = _float(a)
    if b is not None:
        a, b = util.promote_inexact(a, b)
        a, b = jnp.broadcast_arrays(a, b)
    if where is not None:
        a = jnp.where(where, a, -np.inf)
    # A complex input is shifted by the largest real part only (as JAX), so the
    # imaginary part of the result is the principal argument of the sum.
    m = _max_or_neg_inf(jnp.real(a), axis)
    m = lax.stop_gradient(jnp.where(jnp.isfinite(m), m, 0.0))
    e = jnp.exp(jnp.subtract(a, m))
    if b is not None:
        e = jnp.multiply(b, e)
    s = jnp.sum(e, axis=axis, keepdims=True)
    sign = jnp.sign(s)
    out = jnp.add(jnp.log(jnp.abs(s) if return_sign else s), m)
    if not keepdims:
        axes = util.canonical_axes(axis, util.ndim(a))
        out = jnp.squeeze(out, axes)
        sign = jnp.squeeze(sign, axes)
    return (out, sign) if return_sign else out


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None):
    """(x - mean) / sqrt(variance + epsilon), the statistics over ``axis`` (of
    the elements ``where`` selects; every element is standardized)."""
    x = _float(x)
    if mean is None:
        mean = jnp.mean(x, axis, keepdims=True, where=where)
    if variance is None:
        variance = jnp.var(x, axis, keepdims=True, where=where)
    return jnp.multiply(jnp.subtract(x, mean), lax.rsqrt(jnp.add(variance, epsilon)))


def one_hot(x, num_classes, dtype=np.float32, axis=-1):
    """x[..., None] == arange(num_classes), as ``dtype``; out-of-range labels give
    all-zero rows."""
    num_classes = util.operator_index(num_classes, "num_classes")
    if num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be non-negative, got {num_classes}")
    x = util.as_operand(x)
    nd = util.ndim(x)
    axis = util.canonical_axis(axis, nd + 1)
    x = jnp.expand_dims(x, axis)
    classes = np.arange(num_classes).reshape([-1 if i == axis else 1 for i in range(nd + 1)])
    dt = util.aval(x).dtype
    classes = classes.astype(dt if dt.kind in "iu" else np.int32)
    return jnp.equal(x, classes).astype(util.canonical_dtype(dtype))


# ------------------------------------------------------------ more activations

def tanh(x):
    return jnp.tanh(x)


def identity(x):
    """The identity activation (returns ``x`` as an array)."""
    return jnp.asarray(x)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    """Scaled ELU with the self-normalizing constants of Klambauer et al. (2017)."""
    return jnp.multiply(_SELU_SCALE, elu(x, _SELU_ALPHA))


def celu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x / alpha) - 1) otherwise."""
    x = _float(x)
    positive = jnp.greater(x, 0)
    safe = jnp.where(positive, 0.0, x)          # no overflow in the unused branch
    return jnp.where(positive, x, jnp.multiply(alpha, jnp.expm1(jnp.divide(safe, alpha))))


def glu(x, axis=-1):
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second."""
    x = _float(x)
    axis = util.canonical_axis(axis, util.ndim(x))
    n = util.shape(x)[axis]
    if n % 2:
        raise ValueError(f"glu: axis {axis} must have an even size, got shape "
                         f"{util.shape(x)}")
    a, b = jnp.split(x, 2, axis)
    return jnp.multiply(a, sigmoid(b))


def mish(x):
    """x * tanh(softplus(x))."""
    x = _float(x)
    return jnp.multiply(x, jnp.tanh(softplus(x)))


def soft_sign(x):
    """x / (|x| + 1)."""
    x = _float(x)
    return jnp.divide(x, jnp.add(jnp.abs(x), 1))


def hard_tanh(x):
    """x clipped to [-1, 1]."""
    x = _float(x)
    return jnp.where(jnp.greater(x, 1), 1.0, jnp.where(jnp.less(x, -1), -1.0, x))


def hard_sigmoid(x):
    """relu6(x + 3) / 6: a piecewise-linear sigmoid."""
    x = _float(x)
    return jnp.divide(relu6(jnp.add(x, 3.0)), 6.0)


def hard_silu(x):
    """x * hard_sigmoid(x)."""
    x = _float(x)
    return jnp.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2: a smooth relu with algebraic tails."""
    x = _float(x)
    return jnp.divide(jnp.add(x, jnp.sqrt(jnp.add(jnp.square(x), b))), 2.0)


def log1mexp(x):
    """log(1 - exp(-x)) for x >= 0, accurate at both ends: log1p(-exp(-x)) for
    large x, log(-expm1(-x)) for small x (Maechler's cut at log 2)."""
    x = _float(x)
    large = jnp.greater(x, math.log(2.0))
    # Each branch sees an input where it is finite, so neither leaks NaN gradients.
    x_large = jnp.where(large, x, 1.0)
    x_small = jnp.where(large, 0.5, x)
    return jnp.where(large, jnp.log1p(jnp.negative(jnp.exp(jnp.negative(x_large)))),
                     jnp.log(jnp.negative(jnp.expm1(jnp.negative(x_small)))))


def logmeanexp(x, axis=None, where=None, keepdims=False):
    """log(mean(exp(x))) = logsumexp(x) - log(n), n counting ``where``'s True entries."""
    x = _float(x)
    lse = logsumexp(x, axis=axis, keepdims=keepdims, where=where)
    if where is None:
        axes = util.canonical_axes(axis, util.ndim(x))
        n = np.prod([util.shape(x)[a] for a in axes], dtype=np.float64)
        return jnp.subtract(lse, math.log(n) if n else -np.inf)
    n = jnp.sum(jnp.broadcast_to(where, util.shape(x)), axis=axis, keepdims=keepdims,
                dtype=util.aval(x).dtype)
    return jnp.subtract(lse, jnp.log(n))


def sparse_plus(x):
    """0 for x <= -1, (x + 1)^2 / 4 for -1 < x < 1, x for x >= 1."""
    x = _float(x)
    quad = jnp.multiply(0.25, jnp.square(jnp.add(x, 1.0)))
    return jnp.where(jnp.less_equal(x, -1), 0.0, jnp.where(jnp.greater_equal(x, 1), x, quad))


def sparse_sigmoid(x):
    """The derivative of sparse_plus: 0, (x + 1) / 2, 1 on the three pieces."""
    x = _float(x)
    return jnp.multiply(0.5, jnp.clip(jnp.add(x, 1.0), 0.0, 2.0))


from jaxlite.nn._attention import dot_product_attention  # noqa: E402,F401  (uses softmax)
