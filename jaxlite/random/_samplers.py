"""The samplers of jaxlite.random, built on ``_prng.random_bits`` with JAX's
formulas, so a seed gives JAX's numbers (up to the last bits of the library
math, e.g. erf_inv in ``normal``).

All samplers work with traced keys and traced parameters (under jit and
vmap). The gamma family (gamma, loggamma, chisquare, beta, dirichlet, t) is
JAX's rejection sampler run as while_loops, one key per element, with JAX's
implicit-reparameterization gradient with respect to the shape parameter.
"""
import numpy as np

from jaxlite import api, core, dtypes, lax
from jaxlite.custom_derivatives import custom_jvp
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util
from jaxlite.jit import jit
from jaxlite.random._prng import check_key, random_bits, split

_SQRT2 = np.sqrt(2.0)


def _shape(shape):
    return util.concrete_shape(shape, "shape")


# The samplers whose JAX versions also take complex dtypes, for JAX's message.
_COMPLEX_OK = ("normal", "lognormal")


def _float_dtype(dtype, name):
    dt = util.canonical_dtype(dtype) if dtype is not None else dtypes.default_float()
    if dt.kind != "f":
        kinds = "float or complex" if name in _COMPLEX_OK else "float"
        raise ValueError(f"dtype argument to `{name}` must be a {kinds} dtype, got {dt.name}")
    return dt


def _const(v, dt):
    return np.asarray(v, dt)


# ------------------------------------------------------------ uniform family

def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0):
    """Uniform samples in [minval, maxval): random mantissa bits under the
    exponent of 1.0, minus 1, scaled (JAX's construction)."""
    dt = _float_dtype(dtype, "uniform")
    return _uniform(key, _shape(shape), dt, minval, maxval)


def _uniform(key, shape, dt, minval=0.0, maxval=1.0):
    info = np.finfo(dt)
    nbits, nmant = info.bits, info.nmant
    width = max(nbits, 8)
    u = np.dtype(f"u{nbits // 8}")
    bits = random_bits(key, width, shape)
    mant = lax.shift_right_logical(bits, _const(width - nmant, u))
    one = _const(np.array(1.0, dt).view(u), u)
    floats = lax.sub(lax.bitcast_convert_type(lax.bitwise_or(mant, one), dt), _const(1.0, dt))
    if _is_default(minval, 0.0) and _is_default(maxval, 1.0):
        return floats
    lo = lax.convert_element_type(util.as_operand(minval), dt)
    hi = lax.convert_element_type(util.as_operand(maxval), dt)
    lo, hi = (_to_rank(v, len(shape)) for v in (lo, hi))
    return jnp.maximum(lo, jnp.add(jnp.multiply(floats, jnp.subtract(hi, lo)), lo))


def _to_rank(x, rank):
    shape = util.shape(x)
    return x if len(shape) >= rank else lax.reshape(x, (1,) * (rank - len(shape)) + shape)


def _is_default(v, default):
    return isinstance(v, (int, float)) and v == default


def normal(key, shape=(), dtype=None):
    """Standard normal samples: sqrt(2) erf_inv(u), u uniform in (-1, 1). A
    complex dtype gives (re + i im) / sqrt(2), re and im from the two halves of
    split(key), as JAX."""
    if dtype is not None and np.dtype(dtype).kind == "c":
        dt = dtypes.canonicalize(dtype, "random.normal dtype")
        k_re, k_im = split(key)
        rdt = dtypes.real_dtype(dt)
        re, im = (lax.div(_normal(k, _shape(shape), rdt), _const(_SQRT2, rdt))
                  for k in (k_re, k_im))
        return lax.complex(re, im)
    dt = _float_dtype(dtype, "normal")
    return _normal(key, _shape(shape), dt)


def _normal(key, shape, dt):
    lo = np.nextafter(np.array(-1.0, dt), np.array(0.0, dt))
    u = _uniform(key, shape, dt, lo, 1.0)
    return lax.mul(_const(_SQRT2, dt), lax.erf_inv(u))


def truncated_normal(key, lower, upper, shape=None, dtype=None):
    """Normal samples conditioned on (lower, upper): erf_inv of a uniform
    between erf(lower / sqrt 2) and erf(upper / sqrt 2), clipped strictly inside."""
    dt = _float_dtype(dtype, "truncated_normal")
    shape, (lo, hi) = _params("truncated_normal", shape, lower, upper, dtype=dt)
    sqrt2 = _const(_SQRT2, dt)
    a, b = lax.erf(lax.div(lo, sqrt2)), lax.erf(lax.div(hi, sqrt2))
    out = lax.mul(sqrt2, lax.erf_inv(_uniform(key, shape, dt, a, b)))
    return jnp.clip(out, jnp.nextafter(lax.stop_gradient(lo), _const(np.inf, dt)),
                    jnp.nextafter(lax.stop_gradient(hi), _const(-np.inf, dt)))


def bernoulli(key, p=0.5, shape=None):
    """True with probability ``p``: uniform(p's dtype) < p."""
    p = util.as_operand(p)
    shape = util.shape(p) if shape is None else _shape(shape)
    dt = util.to_inexact_dtype(util.aval(p).dtype)
    return jnp.less(_uniform(key, shape, dt), p)


def exponential(key, shape=(), dtype=None):
    """Standard exponential samples: -log(1 - u)."""
    dt = _float_dtype(dtype, "exponential")
    return _exponential(key, _shape(shape), dt)


def _exponential(key, shape, dt):
    return lax.neg(lax.log1p(lax.neg(_uniform(key, shape, dt))))


def gumbel(key, shape=(), dtype=None, mode="low"):
    """Standard Gumbel samples: -log(-log(u)), u uniform in [tiny, 1)."""
    dt = _float_dtype(dtype, "gumbel")
    if mode not in ("low", "high"):
        raise ValueError(f"random.gumbel: mode must be 'low' or 'high', got {mode!r}")
    return _gumbel(key, _shape(shape), dt)


def _gumbel(key, shape, dt):
    u = _uniform(key, shape, dt, float(np.finfo(dt).tiny), 1.0)
    return lax.neg(lax.log(lax.neg(lax.log(u))))


def laplace(key, shape=(), dtype=None):
    """Standard Laplace samples (density exp(-|x|) / 2)."""
    dt = _float_dtype(dtype, "laplace")
    u = _uniform(key, _shape(shape), dt, -1.0 + float(np.finfo(dt).epsneg), 1.0)
    return lax.mul(lax.sign(u), lax.log1p(lax.neg(lax.abs(u))))


def logistic(key, shape=(), dtype=None):
    """Standard logistic samples: log(u) - log(1 - u)."""
    dt = _float_dtype(dtype, "logistic")
    u = _uniform(key, _shape(shape), dt, float(np.finfo(dt).tiny), 1.0)
    return lax.sub(lax.log(u), lax.log1p(lax.neg(u)))


def cauchy(key, shape=(), dtype=None):
    """Standard Cauchy samples: tan(pi (u - 1/2)), u uniform in [eps, 1)."""
    dt = _float_dtype(dtype, "cauchy")
    u = _uniform(key, _shape(shape), dt, float(np.finfo(dt).eps), 1.0)
    return lax.tan(lax.mul(_const(np.pi, dt), lax.sub(u, _const(0.5, dt))))


def _open_unit(key, shape):
    """float64 uniforms in the open interval (0, 1): log(u) and log(1 - u) are finite."""
    return _uniform(key, shape, dtypes.float64, float(np.finfo(np.float64).tiny), 1.0)


# ----------------------------------------------------------------- integers

def bits(key, shape=(), dtype=None):
    """Uniform random bits as unsigned integers of ``dtype`` (default uint32,
    uint64 in x64 mode)."""
    dt = dtypes.default_uint() if dtype is None else np.dtype(dtype)
    if dt.kind != "u":
        raise ValueError(f"dtype argument to `bits` must be an unsigned int dtype, "
                         f"got {dt.name}")
    return random_bits(key, dt.itemsize * 8, _shape(shape))


def randint(key, shape, minval, maxval, dtype=None):
    """Uniform integers in [minval, maxval): two words of random bits per value
    reduced modulo the span (JAX's construction; the bias is about
    span**2 / 2**(2 bits))."""
    dt = util.canonical_dtype(dtype or dtypes.default_int())
    if dt.kind not in "iu":
        raise TypeError(f"randint only accepts integer dtypes, got {dt.name}")
    shape = _shape(shape)
    lo, hi = (_int_operand(v) for v in (minval, maxval))
    util.broadcast_shapes(shape, util.shape(lo), util.shape(hi), what="random.randint")
    hi_over = jnp.greater(hi, _saturate(np.iinfo(dt).max, util.aval(hi).dtype))
    lo, hi = (_to_rank(_clip_to(v, dt), len(shape)) for v in (lo, hi))
    nbits = np.iinfo(dt).bits
    u = np.dtype(f"u{nbits // 8}")
    k1, k2 = split(key)
    higher, lower = random_bits(k1, nbits, shape), random_bits(k2, nbits, shape)
    span = lax.convert_element_type(jnp.subtract(hi, lo), u)
    span = jnp.where(jnp.less_equal(hi, lo), _const(1, u), span)
    span = jnp.where(jnp.logical_and(hi_over, jnp.greater(hi, lo)),
                     jnp.add(span, _const(1, u)), span)
    # (higher * 2**nbits + lower) mod span, with 2**nbits mod span as a square.
    mult = _rem(_const(2 ** (nbits // 2), u), span)
    mult = _rem(jnp.multiply(mult, mult), span)
    offset = _rem(jnp.add(jnp.multiply(_rem(higher, span), mult), _rem(lower, span)), span)
    return jnp.add(lo, lax.convert_element_type(offset, dt))


def _rem(a, b):
    # lax.rem, broadcast: x rem 0 is x, which the span arithmetic relies on
    # (a span of 2**bits wraps to 0 and must leave the bits unchanged).
    return lax.rem(*jnp.broadcast_arrays(a, b))


def _int_operand(v):
    v = util.as_operand(v)
    if util.aval(v).dtype.kind not in "biu":
        v = lax.convert_element_type(v, dtypes.default_int())
    return v


def _saturate(value, dt):
    """The integer ``value`` as a ``dt`` constant, clipped to dt's range."""
    info = np.iinfo(dt)
    return np.asarray(min(max(int(value), info.min), info.max), dt)


def _clip_to(v, dt):
    """The integer operand ``v`` clipped to ``dt``'s range (in int64, or
    uint64 for a uint64 ``dt``), then converted to ``dt``."""
    wide = dtypes.uint64 if dt == dtypes.uint64 else dtypes.int64
    v = v if util.aval(v).dtype == wide else lax.convert_element_type(v, wide)
    info, winfo = np.iinfo(dt), np.iinfo(wide)
    clipped = jnp.clip(v, _const(max(info.min, winfo.min), wide),
                       _const(min(info.max, winfo.max), wide))
    return lax.convert_element_type(clipped, dt)


def rademacher(key, shape=(), dtype=None):
    """-1 or +1 with probability 1/2 each."""
    dt = util.canonical_dtype(dtype or dtypes.default_int())
    b = bernoulli(key, 0.5, _shape(shape)).astype(dt)
    return (2 * b - 1).astype(dt)


# ------------------------------------------------- choices and permutations

def categorical(key, logits, axis=-1, shape=None, replace=True):
    """Class indices with probabilities softmax(logits): argmax of logits plus
    Gumbel noise (top-k of it without replacement)."""
    logits = util.as_operand(logits)
    lshape = util.shape(logits)
    axis = util.canonical_axis(axis, len(lshape))
    batch = lshape[:axis] + lshape[axis + 1:]
    shape = batch if shape is None else _shape(shape)
    if shape[len(shape) - len(batch):] != batch:
        raise ValueError(f"random.categorical: shape {shape} must end with the logits' batch "
                         f"shape {batch}")
    dt = util.aval(logits).dtype if util.aval(logits).dtype.kind == "f" else dtypes.float32
    prefix = shape[:len(shape) - len(batch)]
    if replace:
        g = _gumbel(key, prefix + lshape, dt)
        return jnp.argmax(jnp.add(g, logits), axis=axis - len(lshape))
    k = int(np.prod(prefix, dtype=np.int64))
    if k > lshape[axis]:
        raise ValueError(f"Number of samples without replacement ({k}) cannot exceed number "
                         f"of categories ({lshape[axis]}).")
    noisy = jnp.moveaxis(jnp.add(logits, _gumbel(key, lshape, dt)), axis, -1)
    _, idx = lax.top_k(noisy, k)
    return jnp.moveaxis(idx, -1, 0).reshape(shape)


def _shuffle(key, x, axis):
    """Sort by fresh random 32-bit keys, enough rounds that all keys differ
    with high probability (JAX's construction)."""
    n = int(np.prod(util.shape(x), dtype=np.int64))
    rounds = int(np.ceil(3 * np.log(max(1, n)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        key, sub = split(key)
        sort_keys = random_bits(sub, 32, util.shape(x))
        x = jnp.take_along_axis(x, jnp.argsort(sort_keys, axis=axis, stable=True), axis=axis)
    return x


def permutation(key, x, axis=0, independent=False):
    """A random permutation of ``range(x)`` (int ``x``) or of ``x`` along ``axis``."""
    check_key(key, "random.permutation")
    if isinstance(x, (int, np.integer)) or (not isinstance(x, core.Tracer)
                                            and np.ndim(x) == 0):
        return _shuffle(key, jnp.arange(int(x)), 0)
    x = util.as_operand(x)
    axis = util.canonical_axis(axis, util.ndim(x))
    if independent or util.ndim(x) == 1:
        return _shuffle(key, x, axis)
    ind = _shuffle(key, jnp.arange(util.shape(x)[axis]), 0)
    return jnp.take(x, ind, axis=axis)


def shuffle(key, x, axis=0):
    return permutation(key, x, axis, independent=True)


def choice(key, a, shape=(), replace=True, p=None, axis=0):
    """Samples from ``a`` (an int n means arange(n)), with replacement by default,
    optionally with probabilities ``p``."""
    shape = _shape(shape)
    k = int(np.prod(shape, dtype=np.int64))
    scalar = isinstance(a, (int, np.integer)) or (not isinstance(a, core.Tracer)
                                                  and np.ndim(a) == 0)
    if scalar:
        n, arr = int(a), None
    else:
        arr = util.as_operand(a)
        axis = util.canonical_axis(axis, util.ndim(arr))
        n = util.shape(arr)[axis]
    if k == 0:
        return jnp.zeros(shape, dtypes.default_int() if arr is None else util.aval(arr).dtype)
    if n <= 0:
        raise ValueError("a must be greater than 0 unless no samples are taken")
    if not replace and k > n:
        raise ValueError(f"Cannot take a larger sample (size {k}) than population (size {n}) "
                         f"when 'replace=False'")
    if p is None:
        if replace:
            ind = randint(key, shape, 0, n)
            out = ind if arr is None else jnp.take(arr, ind, axis=axis)
        else:
            perm = permutation(key, n if arr is None else arr, axis)
            out = lax.slice_in_dim(perm, 0, k, axis=0 if arr is None else axis)
    else:
        p = util.as_operand(p)
        p = lax.convert_element_type(p, util.to_inexact_dtype(util.aval(p).dtype))
        if util.shape(p) != (n,):
            raise ValueError(f"p must be None or a 1D vector with the same size as "
                             f"a.shape[axis]. p has shape {util.shape(p)} and a.shape[axis] "
                             f"is {n}.")
        if replace:
            cdf = jnp.cumsum(p)
            r = jnp.multiply(cdf[-1], jnp.subtract(1, _uniform(key, shape, util.aval(cdf).dtype)))
            ind = jnp.searchsorted(cdf, r).astype(dtypes.default_int())
        else:
            g = jnp.add(_gumbel(key, (n,), util.aval(p).dtype), jnp.log(p))
            ind = lax.top_k(g, k)[1].astype(dtypes.default_int())
        out = ind if arr is None else jnp.take(arr, ind, axis=axis)
    if arr is None:
        return jnp.reshape(out, shape)
    ashape = util.shape(arr)
    return jnp.reshape(out, ashape[:axis] + shape + ashape[axis + 1:])


# ------------------------------------------------- more samplers (inverse CDF)

def _params(name, shape, *params, dtype=dtypes.float64):
    """``(output shape, params as operands of dtype)``: the output shape is the
    parameters' broadcast shape when ``shape`` is None, else ``shape``, which
    the parameters must broadcast to (ValueError otherwise, as in JAX)."""
    ops = [util.convert(util.as_operand(p), dtype) for p in params]
    pshape = util.broadcast_shapes(*(util.shape(p) for p in ops), what=f"random.{name}")
    if shape is None:
        return pshape, ops
    shape = _shape(shape)
    if len(pshape) > len(shape) or any(
            p not in (1, s) for p, s in zip(pshape[::-1], shape[::-1])):
        raise ValueError(f"random.{name}: parameter shapes {[util.shape(p) for p in ops]} "
                         f"must broadcast to the shape argument {shape}")
    return shape, ops


def lognormal(key, sigma=1.0, shape=None, dtype=None):
    """exp(sigma * z) for standard normal z."""
    dt = _float_dtype(dtype, "lognormal")
    shape, (sigma,) = _params("lognormal", shape, sigma, dtype=dt)
    return jnp.exp(jnp.multiply(_normal(key, shape, dt), sigma))


def rayleigh(key, scale=1.0, shape=None, dtype=None):
    """Rayleigh samples: scale * sqrt(-2 log u)."""
    dt = _float_dtype(dtype, "rayleigh")
    shape, (scale,) = _params("rayleigh", shape, scale, dtype=dt)
    u = _uniform(key, shape, dt)
    return jnp.multiply(scale, jnp.sqrt(jnp.multiply(jnp.log(u), _const(-2, dt))))


def weibull_min(key, scale, concentration, shape=(), dtype=None):
    """Weibull samples (density proportional to x**(c-1) exp(-(x/scale)**c)):
    scale * (-log(1 - u)) ** (1 / c)."""
    dt = _float_dtype(dtype, "weibull_min")
    scale, conc = (util.convert(util.as_operand(p), dt) for p in (scale, concentration))
    u = _uniform(key, _shape(shape), dt)
    return jnp.multiply(jnp.power(jnp.negative(jnp.log1p(jnp.negative(u))),
                                  jnp.divide(1.0, conc)), scale)


def pareto(key, b, shape=None, dtype=None):
    """Pareto samples on [1, inf) (density b / x**(b+1)): exp(E / b), E exponential."""
    dt = _float_dtype(dtype, "pareto")
    shape, (b,) = _params("pareto", shape, b, dtype=dt)
    return jnp.exp(jnp.divide(_exponential(key, shape, dt), b))


def triangular(key, left, mode, right, shape=None, dtype=None):
    """Triangular samples on [left, right] peaking at ``mode`` (inverse CDF)."""
    dt = _float_dtype(dtype, "triangular")
    shape, (a, m, c) = _params("triangular", shape, left, mode, right)
    u = _open_unit(key, shape)
    width = jnp.subtract(c, a)
    below = jnp.add(a, jnp.sqrt(jnp.multiply(u, jnp.multiply(width, jnp.subtract(m, a)))))
    above = jnp.subtract(c, jnp.sqrt(jnp.multiply(jnp.subtract(1.0, u),
                                                  jnp.multiply(width, jnp.subtract(c, m)))))
    # u < F(mode) = (m - a) / (c - a), written without the division.
    return jnp.where(jnp.less(jnp.multiply(u, width), jnp.subtract(m, a)),
                     below, above).astype(dt)


# ------------------------------------------------- matrix-valued samplers

def multivariate_normal(key, mean, cov, shape=None, dtype=None, method="cholesky"):
    """mean + F z for standard normal z, with F F^T = cov: F is cov's Cholesky
    factor (JAX's numbers), or U sqrt(S) from its svd / eigh (JAX's formula; the
    numbers depend on the decomposition's eigenvector signs, the distribution
    does not). The result has shape ``shape + mean.shape[-1:]``."""
    if method not in {"svd", "eigh", "cholesky"}:
        raise ValueError("method must be one of {'svd', 'eigh', 'cholesky'}")
    mean, cov = util.promote_inexact(mean, cov)
    dt = util.aval(mean).dtype if dtype is None else util.canonical_dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"dtype argument to `multivariate_normal` must be a float "
                         f"dtype, got {dt.name}")
    mshape, cshape = util.shape(mean), util.shape(cov)
    if len(mshape) < 1:
        raise ValueError(f"multivariate_normal requires mean.ndim >= 1, got mean.ndim == "
                         f"{len(mshape)}")
    if len(cshape) < 2:
        raise ValueError(f"multivariate_normal requires cov.ndim >= 2, got cov.ndim == "
                         f"{len(cshape)}")
    n = mshape[-1]
    if cshape[-2:] != (n, n):
        raise ValueError(f"multivariate_normal requires cov.shape == (..., n, n) for n={n}, "
                         f"but got cov.shape == {cshape}.")
    batch = util.broadcast_shapes(mshape[:-1], cshape[:-2], what="random.multivariate_normal")
    if shape is None:
        shape = batch
    else:
        shape = _shape(shape)
        if util.broadcast_shapes(shape, batch, what="random.multivariate_normal") != shape:
            raise ValueError(f"random.multivariate_normal: parameter shapes "
                             f"{[mshape[:-1], cshape[:-2]]} must broadcast to the shape "
                             f"argument {shape}")
    if method == "svd":
        u, s, _ = jnp.linalg.svd(cov)
        factor = jnp.multiply(u, jnp.expand_dims(jnp.sqrt(s), -2))
    elif method == "eigh":
        w, v = jnp.linalg.eigh(cov)
        factor = jnp.multiply(v, jnp.expand_dims(jnp.sqrt(w), -2))
    else:
        factor = jnp.linalg.cholesky(cov)
    z = _normal(key, shape + (n,), dt)
    return jnp.add(mean, jnp.einsum("...ij,...j->...i", factor, z))


def orthogonal(key, n, shape=(), dtype=None, m=None):
    """A Haar-random orthogonal (n, m) matrix, semi-orthogonal when n != m: Q of
    a Gaussian matrix's QR, its columns' signs fixed by R's diagonal (JAX's)."""
    dt = _float_dtype(dtype, "orthogonal")
    n = util.operator_index(n, "n")
    m = n if m is None else util.operator_index(m, "m")
    z = _normal(key, _shape(shape) + (max(n, m), min(n, m)), dt)
    q, r = jnp.linalg.qr(z)
    x = jnp.multiply(q, jnp.expand_dims(jnp.sign(jnp.linalg.diagonal(r)), -2))
    return jnp.swapaxes(x, -1, -2) if n < m else x


def maxwell(key, shape=(), dtype=None):
    """One-sided Maxwell samples (density ~ x^2 exp(-x^2 / 2)): the length of a
    standard normal 3-vector (JAX's formula)."""
    dt = _float_dtype(dtype, "maxwell")
    z = _normal(key, _shape(shape) + (3,), dt)
    return jnp.sqrt(jnp.sum(jnp.square(z), axis=-1))


def double_sided_maxwell(key, loc, scale, shape=(), dtype=None):
    """Maxwell samples with a random sign, times ``scale`` plus ``loc``; the
    result has shape ``shape + broadcast(loc, scale).shape`` (as JAX)."""
    dt = _float_dtype(dtype, "double_sided_maxwell")
    pshape = util.broadcast_shapes(util.shape(loc), util.shape(scale),
                                   what="random.double_sided_maxwell")
    shape = (_shape(shape) or pshape) + pshape
    k_maxwell, k_sign = split(key)
    x = jnp.multiply(rademacher(k_sign, shape, dt), maxwell(k_maxwell, shape, dt))
    return jnp.add(jnp.multiply(x, scale), loc).astype(dt)


def geometric(key, p, shape=None, dtype=None):
    """The number of Bernoulli(p) trials up to the first success:
    floor(log u / log(1 - p)) + 1 (JAX's formula, u = 0 read as 1)."""
    dt = util.canonical_dtype(dtype) if dtype is not None else dtypes.default_int()
    if dt.kind not in "iu":
        raise ValueError(f"dtype argument to `geometric` must be an int dtype, got {dt.name}")
    (p,) = util.promote_inexact(p)
    shape, (p,) = _params("geometric", shape, p, dtype=util.aval(p).dtype)
    u = _uniform(key, shape, util.aval(p).dtype)
    u = jnp.where(jnp.equal(u, 0), _const(1, u.dtype), u)
    g = jnp.floor(jnp.divide(jnp.log(u), jnp.broadcast_to(jnp.log1p(jnp.negative(p)), shape)))
    return jnp.add(g, 1).astype(dt)


# ---------------------------------------------------------------- poisson

def poisson(key, lam, shape=None, dtype=None):
    """Poisson(lam) counts with JAX's algorithms, hence its numbers: Knuth's
    product of uniforms for lam < 10, Hormann's transformed rejection above,
    both as while_loops over the whole array (compiled: see _poisson_jit)."""
    dt = util.canonical_dtype(dtype) if dtype is not None else dtypes.default_int()
    lam = util.as_operand(lam)
    shape = util.shape(lam) if shape is None else _shape(shape)
    lam = lax.convert_element_type(jnp.broadcast_to(lam, shape), np.float32)
    return _poisson_jit()(key, lam, shape, dt)


_POISSON = []


def _poisson_jit():
    # Compiled once per shape and dtype: eagerly the while_loops would run
    # equation by equation. Made on first use: making a jit starts loading the
    # back end's library, which importing jaxlite must not do.
    if not _POISSON:
        _POISSON.append(jit(_poisson, static_argnums=(2, 3)))
    return _POISSON[0]


def _poisson(key, lam, shape, dt):
    use_knuth = jnp.isnan(lam) | (lam < 10)
    lam_knuth = jnp.where(use_knuth, lam, 0.0)
    lam_rejection = jnp.where(use_knuth, 1e5, lam)     # accepts at once: unused there
    max_iters = np.iinfo(dt).max
    out = jnp.where(use_knuth, _poisson_knuth(key, lam_knuth, shape, dt, max_iters),
                    _poisson_rejection(key, lam_rejection, shape, dt, max_iters))
    return jnp.where(lam == 0, jnp.zeros_like(out), out)


def _poisson_knuth(key, lam, shape, dt, max_iters):
    def body(carry):
        i, k, rng, log_prod = carry
        rng, sub = split(rng)
        k = jnp.where(log_prod > -lam, k + 1, k)
        return i + 1, k, rng, log_prod + jnp.log(_uniform(sub, shape, dtypes.float32))

    def cond(carry):
        i, log_prod = carry[0], carry[3]
        return jnp.any(log_prod > -lam) & (i < max_iters)
    init = (0, jnp.zeros(shape, dt), key, jnp.zeros(shape, np.float32))
    return (lax.while_loop(cond, body, init)[1] - 1).astype(dt)


def _poisson_rejection(key, lam, shape, dt, max_iters):
    log_lam = jnp.log(lam)
    b = 0.931 + 2.53 * jnp.sqrt(lam)
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)

    def body(carry):
        i, k_out, accepted, rng = carry
        keys = split(rng, 3)
        u = _uniform(keys[1], shape, lam.dtype) - 0.5
        v = _uniform(keys[2], shape, lam.dtype)
        u_shifted = 0.5 - jnp.abs(u)
        k = jnp.floor((2 * a / u_shifted + b) * u + lam + 0.43)
        s = jnp.log(v * inv_alpha / (a / (u_shifted * u_shifted) + b))
        t = -lam + k * log_lam - lax.lgamma(k + 1)
        accept1 = (u_shifted >= 0.07) & (v <= v_r)
        reject = (k < 0) | ((u_shifted < 0.013) & (v > u_shifted))
        accept = accept1 | (~reject & (s <= t))
        return i + 1, jnp.where(accept, k, k_out), accepted | accept, keys[0]

    def cond(carry):
        i, _, accepted, _ = carry
        return jnp.any(~accepted) & (i < max_iters)
    init = (0, jnp.full(shape, -1.0, lam.dtype), jnp.zeros(shape, bool), key)
    return lax.while_loop(cond, body, init)[1].astype(dt)


# ------------------------------------------------------------- gamma family

def _gamma_one(key, alpha, log_space):
    """One Gamma(alpha, 1) sample (its log if ``log_space``) from its own key,
    JAX's algorithm step by step so that a key gives JAX's number: Marsaglia
    and Tsang's rejection method ("A simple method for generating gamma
    variables", 2000) for shape >= 1; a shape a < 1 is boosted to a + 1 and the
    sample multiplied by U**(1/a) (added log(U) / a in log space, where tiny
    shapes would underflow)."""
    dt = util.aval(alpha).dtype
    zero, one, third = _const(0, dt), _const(1, dt), _const(1 / 3, dt)
    boost_mask = lax.ge(alpha, one)
    alpha_orig = alpha
    alpha = lax.select(boost_mask, alpha, lax.add(alpha, one))
    d = lax.sub(alpha, third)
    c = lax.div(third, lax.sqrt(d))

    def rejected(state):
        _, x2, v, u = state
        squeeze = lax.ge(u, lax.sub(one, lax.mul(_const(0.0331, dt), lax.mul(x2, x2))))
        full = lax.ge(lax.log(u), lax.add(lax.mul(x2, _const(0.5, dt)),
                                          lax.mul(d, lax.add(lax.sub(one, v), lax.log(v)))))
        return lax.bitwise_and(squeeze, full)

    def next_normal(state):
        # A normal x with 1 + c x > 0 (redrawn from a fresh split otherwise).
        k, sub = split(state[0])
        x = _normal(sub, (), dt)
        return k, x, lax.add(one, lax.mul(x, c))

    def propose(state):
        keys = split(state[0], 3)
        _, x, v = lax.while_loop(lambda s: lax.le(s[2], zero), next_normal,
                                 (keys[1], zero, _const(-1, dt)))
        return keys[0], lax.mul(x, x), lax.mul(lax.mul(v, v), v), _uniform(keys[2], (), dt)

    loop_key, boost_key = split(key)
    # The first state is rejected by construction (u = 2 >= 1), so the loop proposes.
    _, _, v, _ = lax.while_loop(rejected, propose, (loop_key, zero, one, _const(2, dt)))
    if log_space:
        log_u = lax.neg(_exponential(boost_key, (), dt))
        skip = lax.bitwise_or(boost_mask, lax.eq(log_u, zero))
        log_boost = lax.select(skip, zero, lax.mul(log_u, lax.div(one, alpha_orig)))
        return lax.add(lax.add(lax.log(d), lax.log(v)), log_boost)
    u = lax.sub(one, _uniform(boost_key, (), dt))
    boost = lax.select(boost_mask, one, lax.pow(u, lax.div(one, alpha_orig)))
    return lax.mul(lax.mul(d, v), boost)


def _gamma_sample(key, a, log_space):
    """Gamma(a) samples (their logs if ``log_space``) for an array ``a`` of the
    output shape: element i from key i of split(key, a.size), as JAX."""
    shape = util.shape(a)
    n = int(np.prod(shape, dtype=np.int64))
    if n == 0:
        return jnp.zeros(shape, util.aval(a).dtype)
    keys = split(key, n)
    one = api.vmap(lambda k, alpha: _gamma_one(k, alpha, log_space))
    return lax.reshape(one(keys, lax.reshape(a, (n,))), shape)


_GAMMA_JIT = []


def _gamma_jit():
    # Compiled once per shape and dtype, as poisson: eagerly the loops would
    # run equation by equation. Made on first use (see _poisson_jit).
    if not _GAMMA_JIT:
        _GAMMA_JIT.append(jit(_gamma_sample, static_argnums=(2,)))
    return _GAMMA_JIT[0]


def _gamma_grad(a, x):
    """dx/da for a Gamma(a) sample x, by implicit reparameterization (as JAX's
    random_gamma_grad): x = F^-1(u; a) with u fixed, so dx/da = -(dP/da) /
    (dP/dx), P(a, x) the regularized lower incomplete gamma function."""
    log_density = lax.sub(lax.sub(lax.mul(lax.sub(a, _const(1, util.aval(a).dtype)),
                                          lax.log(x)), x), lax.lgamma(a))
    return lax.neg(lax.div(lax.igamma_grad_a(a, x), lax.exp(log_density)))


def _make_gamma(log_space):
    """The sampler ``(key, a) -> Gamma(a) samples`` (logs if ``log_space``) as a
    custom_jvp: no derivative through the rejection loop, the implicit one
    with respect to ``a`` instead."""
    @custom_jvp
    def sample(key, a):
        return _gamma_jit()(key, a, log_space)

    @sample.defjvp
    def sample_jvp(primals, tangents):
        key, a = primals
        out = sample(key, a)
        if log_space:
            # d log x = dx / x; x = exp(out) underflows for tiny shapes: read
            # as the smallest normal float (as JAX, whose exp flushes subnormals).
            x = lax.exp(out)
            tiny = jnp.full_like(x, np.finfo(util.aval(x).dtype).tiny)
            x = jnp.where(lax.lt(x, tiny), tiny, x)
            grad = lax.div(_gamma_grad(a, x), x)
        else:
            grad = _gamma_grad(a, out)
        return out, lax.mul(tangents[1], grad)
    return sample


_GAMMA_SAMPLE = _make_gamma(False)
_LOGGAMMA_SAMPLE = _make_gamma(True)


def _gamma(key, a, shape, dt, log_space, name="gamma"):
    key, _ = check_key(key, f"random.{name}")
    shape, (a,) = _params(name, shape, a, dtype=dt)
    if util.shape(a) != shape:
        a = jnp.broadcast_to(a, shape)
    return (_LOGGAMMA_SAMPLE if log_space else _GAMMA_SAMPLE)(key, a)


def gamma(key, a, shape=None, dtype=None):
    """Gamma(a, 1) samples (density x**(a-1) exp(-x) / Gamma(a)), JAX's numbers
    for a key; NaN where a < 0. Differentiable in ``a`` (implicit
    reparameterization)."""
    dt = _float_dtype(dtype, "gamma")
    return _gamma(key, a, shape, dt, False)


def loggamma(key, a, shape=None, dtype=None):
    """log of Gamma(a, 1) samples, accurate where gamma itself underflows (small a)."""
    dt = _float_dtype(dtype, "loggamma")
    return _gamma(key, a, shape, dt, True, "loggamma")


def chisquare(key, df, shape=None, dtype=None):
    """Chi-squared samples with ``df`` degrees of freedom: 2 exp(loggamma(df / 2))."""
    dt = _float_dtype(dtype, "chisquare")
    shape, (df,) = _params("chisquare", shape, df, dtype=dt)
    half = lax.div(df, _const(2, dt))
    return lax.mul(jnp.exp(_gamma(key, half, shape, dt, True, "chisquare")), _const(2, dt))


def beta(key, a, b, shape=None, dtype=None):
    """Beta(a, b) samples: X / (X + Y) for X ~ Gamma(a), Y ~ Gamma(b) from the
    two halves of split(key), computed from their logs (small a and b, where
    both gammas underflow, still work)."""
    dt = _float_dtype(dtype, "beta")
    key, _ = check_key(key, "random.beta")
    shape, (a, b) = _params("beta", shape, a, b, dtype=dt)
    key_a, key_b = split(key)
    log_a = _gamma(key_a, a, shape, dt, True, "beta")
    log_b = _gamma(key_b, b, shape, dt, True, "beta")
    log_max = lax.max(log_a, log_b)
    ga, gb = jnp.exp(lax.sub(log_a, log_max)), jnp.exp(lax.sub(log_b, log_max))
    return lax.div(ga, lax.add(ga, gb))


def dirichlet(key, alpha, shape=None, dtype=None):
    """Dirichlet(alpha) samples over alpha's last axis: the softmax of
    loggamma(alpha_i) samples. The output shape is ``shape + alpha.shape[-1:]``;
    ``shape`` defaults to alpha's batch shape."""
    dt = _float_dtype(dtype, "dirichlet")
    alpha = util.as_operand(alpha)
    ashape = util.shape(alpha)
    if len(ashape) < 1:
        raise ValueError(f"dirichlet requires alpha.ndim >= 1, got alpha.ndim == {len(ashape)}")
    batch, _ = _params("dirichlet", shape, jnp.zeros(ashape[:-1], dt), dtype=dt)
    log_g = _gamma(key, alpha, batch + ashape[-1:], dt, True, "dirichlet")
    # softmax; the maximum only guards exp, the derivative needs no term for it.
    shifted = jnp.exp(jnp.subtract(log_g, lax.stop_gradient(jnp.max(log_g, -1, keepdims=True))))
    return jnp.divide(shifted, jnp.sum(shifted, -1, keepdims=True))


def t(key, df, shape=None, dtype=None):
    """Student's t samples with ``df`` degrees of freedom: z sqrt((df/2) / G),
    z standard normal and G ~ Gamma(df / 2) from the two halves of split(key)."""
    dt = _float_dtype(dtype, "t")
    key, _ = check_key(key, "random.t")
    shape, (df,) = _params("t", shape, df, dtype=dt)
    key_n, key_g = split(key)
    z = _normal(key_n, shape, dt)
    half = lax.div(df, _const(2, dt))
    g = _gamma(key_g, half, shape, dt, False, "t")
    return jnp.multiply(z, jnp.sqrt(jnp.divide(half, g)))


# ---------------------------------------------------------------- binomial

def binomial(key, n, p, shape=None, dtype=None):
    """Binomial(n, p) counts as floats, with JAX's algorithms, hence its
    numbers: for n q <= 10 (q = min(p, 1 - p)) the count of geometric gaps
    that fit in n, else Hormann's BTRS transformed rejection; both as
    while_loops over the whole array (compiled once per shape). NaN for n < 0
    or NaN n or p, inf for n = inf; a non-integer n is floored."""
    dt = _float_dtype(dtype, "binomial")
    key, _ = check_key(key, "random.binomial")
    (p,) = util.promote_inexact(p)
    pdt = util.aval(p).dtype
    shape, (n, p) = _params("binomial", shape, n, p, dtype=pdt)
    n, p = jnp.broadcast_to(n, shape), jnp.broadcast_to(p, shape)
    return _binomial_jit()(key, n, p, shape, dt)


_BINOMIAL = []


def _binomial_jit():
    # Made on first use, as _poisson_jit.
    if not _BINOMIAL:
        _BINOMIAL.append(jit(_binomial, static_argnums=(3, 4)))
    return _BINOMIAL[0]


def _binomial(key, count, prob, shape, dt):
    p_lt_half = prob < 0.5
    q = jnp.where(p_lt_half, prob, 1.0 - prob)
    count_bad = jnp.isnan(count) | (count < 0.0)
    count_inf = jnp.isinf(count)
    q_nan, q_neg = jnp.isnan(q), q < 0.0
    q = jnp.where(q_nan | q_neg, jnp.full_like(q, 0.01), q)
    use_inversion = count_bad | (count * q <= 10.0)
    count = jnp.floor(count)
    # Each algorithm gets harmless parameters where the other one is used.
    count_inv = jnp.where(use_inversion, count, jnp.zeros_like(count))
    count_btrs = jnp.where(use_inversion, jnp.full_like(count, 1e4), count)
    q_btrs = jnp.where(use_inversion, jnp.full_like(q, 0.5), q)
    out = jnp.where(use_inversion, _binomial_inversion(key, count_inv, q, shape),
                    _btrs(key, count_btrs, q_btrs, shape))
    invalid = q_neg | q_nan | count_bad
    out = jnp.where(invalid, jnp.full_like(out, np.nan), out)
    out = jnp.where(count_inf & ~invalid, jnp.full_like(out, np.inf), out)
    # The algorithms sample with q <= 1/2: mirror back for p >= 1/2.
    out = jnp.where(p_lt_half | count_bad | q_nan | count_inf, out, count - out)
    return out.astype(dt)


def _binomial_inversion(key, count, prob, shape):
    """How many Geometric(prob) gaps fit in ``count`` trials."""
    log_q = jnp.log1p(jnp.negative(prob))

    def body(carry):
        num, total, rng = carry
        sub, rng = split(rng)        # JAX's order: the first key draws
        num = jnp.where(total <= count, num + 1, num)
        u = _uniform(sub, shape, util.aval(prob).dtype)
        return num, total + jnp.ceil(jnp.log(u) / log_q), rng

    init = (jnp.zeros_like(prob), jnp.zeros_like(prob), key)
    num = lax.while_loop(lambda c: jnp.any(c[1] <= count), body, init)[0]
    return num - 1


def _stirling_tail(k):
    """log k! - (Stirling's formula for it), tabulated for k <= 9. Above, JAX
    evaluates the series at k clamped to 9 (so at 9, not k); done the same way
    here because it decides BTRS's acceptances, hence JAX's numbers."""
    dt = util.aval(k).dtype
    table = jnp.asarray(np.array(_STIRLING_TAIL, dt))
    small = k <= 9
    k = jnp.clip(k, 0.0, 9.0)
    kp1sq = (k + 1) * (k + 1)
    approx = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)
    return jnp.where(small, table[jnp.floor(k).astype(np.int32)], approx)


_STIRLING_TAIL = [0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                  0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                  0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                  0.00833056343336287]


def _btrs(key, count, prob, shape):
    """Hormann's BTRS ("The generation of binomial random variates", 1993)."""
    dt = util.aval(prob).dtype
    stddev = jnp.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = jnp.floor((count + 1) * prob)
    tails_m = _stirling_tail(m) + _stirling_tail(count - m)

    def body(carry):
        k_out, accepted, rng = carry
        keys = split(rng, 3)
        u = _uniform(keys[1], shape, dt) - 0.5
        v = _uniform(keys[2], shape, dt)
        us = 0.5 - jnp.abs(u)
        accept1 = (us >= 0.07) & (v <= v_r)
        k = jnp.floor((2 * a / us + b) * u + c)
        reject = (k < 0) | (k > count)
        v = jnp.log(v * alpha / (a / (us * us) + b))
        ub = ((m + 0.5) * jnp.log((m + 1) / (r * (count - m + 1)))
              + (count + 1) * jnp.log((count - m + 1) / (count - k + 1))
              + (k + 0.5) * jnp.log(r * (count - k + 1) / (k + 1))
              + tails_m - _stirling_tail(k) - _stirling_tail(count - k))
        accept = accept1 | (~reject & (v <= ub))
        return jnp.where(accept, k, k_out), accepted | accept, keys[0]

    init = (jnp.full(shape, -1.0, dt), jnp.zeros(shape, bool), key)
    return lax.while_loop(lambda c: jnp.any(~c[1]), body, init)[0]
