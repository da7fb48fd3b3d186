"""jaxlite.random: JAX's splittable, counter-based random numbers.

A key is an int64 array of shape (2,) holding two 32-bit words (JAX uses
uint32[2]; jaxlite has no unsigned dtypes). Random bits are the Threefry-2x32
block cipher (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3")
keyed by the key and applied to the counters 0, 1, 2, ...: the values depend
only on the key and the requested shape, never on call order or global state.
The numbers are not bit-identical to JAX's.

A concrete key runs the cipher in numpy (uint32 arithmetic). A traced key (a
jit argument, a vmapped batch of keys, a key split inside jit) runs the same
cipher as lax integer ops on int64 words in [0, 2**32), so the bits are
identical either way. permutation, choice and truncated_normal need a
concrete key (they sort, or use numpy-only special functions); so do the
gamma family (gamma, loggamma, chisquare, beta, dirichlet), whose rejection
loop runs in numpy and which also need concrete parameters (no gradient with
respect to them). multivariate_normal is missing: it needs a Cholesky
factorization, which jaxlite does not have.
"""
import math

import numpy as np

from jaxlite import core, dtypes, lax
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util

_MASK32 = 0xFFFFFFFF
_TWO32 = 2 ** 32
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA


# ------------------------------------------------------------------ threefry

def _threefry2x32(k0, k1, x0, x1, add, rotl, xor, const):
    """The Threefry-2x32 cipher (20 rounds), over the arithmetic given."""
    ks = (k0, k1, xor(xor(k0, k1), const(_PARITY)))
    x0 = add(x0, k0)
    x1 = add(x1, k1)
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x0 = add(x0, x1)
            x1 = xor(rotl(x1, r), x0)
        x0 = add(x0, ks[(i + 1) % 3])
        x1 = add(add(x1, ks[(i + 2) % 3]), const(i + 1))
    return x0, x1


def _threefry_numpy(k0, k1, x0, x1):
    """On uint32 numpy arrays (wrapping arithmetic)."""
    return _threefry2x32(
        k0, k1, x0, x1, add=lambda a, b: a + b,
        rotl=lambda x, r: (x << np.uint32(r)) | (x >> np.uint32(32 - r)),
        xor=lambda a, b: a ^ b, const=np.uint32)


def _i64(v):
    return np.asarray(v, np.int64)


def _add32(a, b):
    return lax.rem(lax.add(a, b), _i64(_TWO32))


def _rotl32(x, r):
    # (x << r) mod 2**32 plus the bits shifted out at the top; x < 2**32, so x * 2**r fits.
    return lax.add(lax.rem(lax.mul(x, _i64(2 ** r)), _i64(_TWO32)), lax.div(x, _i64(2 ** (32 - r))))


def _xor(a, b):
    return lax.bitwise_and(lax.bitwise_or(a, b), lax.bitwise_not(lax.bitwise_and(a, b)))


def _threefry_lax(k0, k1, x0, x1):
    """On int64 values in [0, 2**32), with lax ops: traceable, batchable."""
    return _threefry2x32(k0, k1, x0, x1, add=_add32, rotl=_rotl32, xor=_xor, const=_i64)


# ---------------------------------------------------------------------- keys

def _concrete_or_none(x):
    if not isinstance(x, core.Tracer):
        return np.asarray(x)
    try:
        return np.asarray(x.concrete_value())
    except core.ConcretizationTypeError:
        return None


def _check_key(key):
    """The key as a numpy array when concrete, else None (validated either way)."""
    aval = core.get_aval(util.as_operand(key))
    if aval.shape != (2,) or aval.dtype.kind not in "iu":
        raise TypeError(f"a PRNG key must be an integer array of shape (2,) as made by "
                        f"jaxlite.random.PRNGKey, got {aval.dtype.name} array of shape "
                        f"{aval.shape}")
    k = _concrete_or_none(key)
    if k is not None and ((k < 0).any() or (k > _MASK32).any()):
        raise ValueError(f"PRNG key words must be 32-bit unsigned values, got {k.tolist()}")
    return k


def _need_concrete(key, name, why=""):
    """The key as a numpy array; TypeError for a traced key (``why``: the reason)."""
    k = _check_key(key)
    if k is None:
        raise TypeError(f"random.{name} needs a concrete PRNG key{why}, got a traced key "
                        f"{core.get_aval(key)}: split the key outside jit/vmap and pass the "
                        f"result in{core.where_message()}")
    return k


def _words(key, n):
    """n pseudo-random 32-bit words from ``key``, as int64 values in [0, 2**32):
    a numpy array for a concrete key, a tracer for a traced one."""
    k = _check_key(key)
    m = (n + 1) // 2
    if k is not None:
        k = k.astype(np.uint32)
        counter = np.arange(m, dtype=np.uint64)
        y0, y1 = _threefry_numpy(k[:1], k[1:], (counter & _MASK32).astype(np.uint32),
                                 (counter >> np.uint64(32)).astype(np.uint32))
        return core.wrap(np.concatenate([y0, y1])[:n].astype(np.int64))
    key = lax.convert_element_type(util.as_operand(key), dtypes.int64)
    k0, k1 = key[0], key[1]
    counter = lax.iota(dtypes.int64, m)
    y0, y1 = _threefry_lax(k0, k1, counter, _i64(np.zeros(m, np.int64)))
    words = lax.concatenate([y0, y1], 0) if m else y0
    return jnp.asarray(words)[:n]


def PRNGKey(seed):
    """A key from an integer seed: the words (seed >> 32, seed & 0xFFFFFFFF)."""
    s = _concrete_or_none(seed)
    if s is None:
        # JAX allows a traced seed: the same two words, with lax integer ops.
        seed = lax.convert_element_type(seed, dtypes.int64)
        return jnp.stack([jnp.remainder(jnp.floor_divide(seed, _i64(_TWO32)), _i64(_TWO32)),
                          jnp.remainder(seed, _i64(_TWO32))])
    seed = int(s)
    return core.wrap(np.array([(seed >> 32) & _MASK32, seed & _MASK32], np.int64))


key = PRNGKey


def key_data(keys):
    return keys


def split(key, num=2):
    """``num`` new independent keys, as an array of shape (num, 2)."""
    num = util.operator_index(num, "num")
    if num < 0:
        raise ValueError(f"split: num must be non-negative, got {num}")
    return jnp.transpose(jnp.reshape(_words(key, 2 * num), (2, num)))


def fold_in(key, data):
    """A new key derived from ``key`` and the integer ``data``."""
    k = _check_key(key)
    d = _concrete_or_none(data)
    if k is not None and d is not None:
        k = k.astype(np.uint32)
        d = int(d)
        y0, y1 = _threefry_numpy(k[:1], k[1:], np.array([d & _MASK32], np.uint32),
                                 np.array([(d >> 32) & _MASK32], np.uint32))
        return core.wrap(np.array([y0[0], y1[0]], np.int64))
    key = lax.convert_element_type(util.as_operand(key), dtypes.int64)
    d = lax.convert_element_type(util.as_operand(data), dtypes.int64)
    # Python's d & mask and (d >> 32) & mask, for negative d too.
    lo = jnp.remainder(d, _i64(_TWO32))
    hi = jnp.remainder(jnp.floor_divide(d, _i64(_TWO32)), _i64(_TWO32))
    y0, y1 = _threefry_lax(key[0], key[1], lo, hi)
    return jnp.stack([y0, y1])


# ----------------------------------------------------------------- samplers

def _shape(shape):
    return util.concrete_shape(shape, "shape")


def _float_dtype(dtype, name):
    dt = util.canonical_dtype(dtype) if dtype is not None else dtypes.default_float()
    if dt.kind != "f":
        raise TypeError(f"random.{name} requires a floating dtype, got {dt.name}")
    return dt


def _unit_uniform(key, shape, dt):
    """Uniform samples in [0, 1) of dtype dt: the top 23 (float32) or 52 (float64)
    random bits times 2**-23 or 2**-52 (exact)."""
    n = int(np.prod(shape, dtype=np.int64))
    if dt == dtypes.float16:        # 10 bits: exact in float16, never rounds up to 1
        m = lax.div(_words(key, n), _i64(2 ** 22))
        u = lax.mul(lax.convert_element_type(m, dt), np.float16(2.0 ** -10))
    elif dt == dtypes.float32:
        m = lax.div(_words(key, n), _i64(2 ** 9))
        u = lax.mul(lax.convert_element_type(m, dt), np.float32(2.0 ** -23))
    else:
        w = _words(key, 2 * n)
        m = lax.add(lax.mul(w[:n], _i64(2 ** 20)), lax.div(w[n:], _i64(2 ** 12)))
        u = lax.mul(lax.convert_element_type(m, dt), np.float64(2.0 ** -52))
    return lax.reshape(u, shape)


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0):
    """Uniform samples in [minval, maxval)."""
    dt = _float_dtype(dtype, "uniform")
    shape = _shape(shape)
    u = _unit_uniform(key, shape, dt)
    if isinstance(minval, (int, float)) and isinstance(maxval, (int, float)) \
            and (minval, maxval) == (0.0, 1.0):
        return u
    lo, hi = util.promote(minval, maxval, dtype=dt)
    out = jnp.add(jnp.multiply(u, jnp.subtract(hi, lo)), lo)
    # Rounding may land on maxval; keep the interval half-open.
    return jnp.clip(out, lo, jnp.where(jnp.greater(hi, lo), _next_below(hi, dt), hi))


def _next_below(x, dt):
    return jnp.subtract(x, jnp.multiply(jnp.abs(x), np.finfo(dt).epsneg))


def normal(key, shape=(), dtype=None):
    """Standard normal samples (Box-Muller transform of two uniforms, in float64)."""
    dt = _float_dtype(dtype, "normal")
    shape = _shape(shape)
    n = int(np.prod(shape, dtype=np.int64))
    u = _unit_uniform(key, (2, n), dtypes.float64)
    radius = jnp.sqrt(jnp.multiply(-2.0, jnp.log1p(jnp.negative(u[0]))))   # 1 - u > 0
    z = jnp.multiply(radius, jnp.cos(jnp.multiply(2.0 * math.pi, u[1])))
    return jnp.reshape(z, shape).astype(dt)


def truncated_normal(key, lower, upper, shape=None, dtype=None):
    """Normal samples conditioned on [lower, upper] (inverse-CDF method)."""
    dt = _float_dtype(dtype, "truncated_normal")
    lo, hi = np.asarray(lower, np.float64), np.asarray(upper, np.float64)
    shape = np.broadcast_shapes(lo.shape, hi.shape) if shape is None else _shape(shape)
    cdf = np.vectorize(lambda v: 0.5 * math.erfc(-v / math.sqrt(2.0)))
    a, b = cdf(lo), cdf(hi)
    _need_concrete(key, "truncated_normal")
    u = np.asarray(_unit_uniform(key, shape, dtypes.float64))
    z = _ndtri(np.clip(a + u * (b - a), 1e-300, 1 - 1e-16))
    return core.wrap(np.clip(z, lo, hi).astype(dt))


def _ndtri(p):
    """The standard normal quantile: a rational first guess refined by Newton."""
    x = np.sqrt(2.0) * np.sign(p - 0.5) * np.sqrt(-np.log(4 * p * (1 - p) + 1e-300))
    erfc = np.vectorize(math.erfc)
    for _ in range(6):
        err = 0.5 * erfc(-x / math.sqrt(2.0)) - p
        x = x - err / np.maximum(np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi), 1e-300)
    return x


def randint(key, shape, minval, maxval, dtype=None):
    """Uniform integers in [minval, maxval) (minval and maxval broadcast to ``shape``)."""
    dt = util.canonical_dtype(dtype or dtypes.default_int())
    if dt.kind not in "iu":
        raise TypeError(f"random.randint requires an integer dtype, got {dt.name}")
    shape = _shape(shape)
    info = np.iinfo(dt)
    lo, hi = (jnp.clip(util.broadcast_to_shape(util.strong(util.convert(
        util.as_operand(v), dtypes.int64)), shape), _i64(info.min), _i64(info.max))
        for v in (minval, maxval))
    span = jnp.maximum(jnp.subtract(hi, lo), 1)
    concrete_span = _concrete_or_none(span)
    if concrete_span is not None and concrete_span.size and concrete_span.max() > 2 ** 47:
        raise ValueError(f"random.randint: maxval - minval must be at most 2**47, got "
                         f"{int(concrete_span.max())}")
    n = int(np.prod(shape, dtype=np.int64))
    w = _words(key, 2 * n)
    w_hi, w_lo = (lax.reshape(v, shape) for v in (w[:n], w[n:]))
    # (w_hi * 2**32 + w_lo) mod span, in steps that stay inside int64.
    t = lax.rem(w_hi, span)
    t = lax.rem(lax.mul(t, _i64(2 ** 16)), span)
    t = lax.rem(lax.mul(t, _i64(2 ** 16)), span)
    r = lax.rem(lax.add(t, w_lo), span)
    return jnp.where(jnp.greater(hi, lo), jnp.add(lo, r), lo).astype(dt)


def _concrete(x, name):
    if isinstance(x, core.Tracer):
        try:
            return x.concrete_value()
        except core.ConcretizationTypeError:
            raise TypeError(f"random: {name} must be concrete here, got a traced value "
                            f"{x.aval}{core.where_message()}") from None
    return x


def bernoulli(key, p=0.5, shape=None):
    """True with probability ``p``."""
    p = util.as_operand(p)
    shape = util.shape(p) if shape is None else _shape(shape)
    dt = util.to_inexact_dtype(util.aval(p).dtype)
    return jnp.less(uniform(key, shape, dt), p)


def gumbel(key, shape=(), dtype=None):
    """Standard Gumbel samples: -log(-log(u))."""
    dt = _float_dtype(dtype, "gumbel")
    u = _unit_uniform(key, _shape(shape), dtypes.float64)
    e = jnp.add(jnp.negative(jnp.log1p(jnp.negative(u))), 1e-300)   # -log(1 - u) > 0
    return jnp.negative(jnp.log(e)).astype(dt)


def exponential(key, shape=(), dtype=None):
    """Standard exponential samples: -log(1 - u)."""
    dt = _float_dtype(dtype, "exponential")
    u = _unit_uniform(key, _shape(shape), dtypes.float64)
    return jnp.negative(jnp.log1p(jnp.negative(u))).astype(dt)


def categorical(key, logits, axis=-1, shape=None):
    """Samples of class indices with probabilities softmax(logits) (Gumbel-max)."""
    logits = util.as_operand(logits)
    lshape = util.shape(logits)
    axis = util.canonical_axis(axis, len(lshape))
    batch = lshape[:axis] + lshape[axis + 1:]
    shape = batch if shape is None else _shape(shape)
    g = gumbel(key, shape[:len(shape) - len(batch)] + lshape, util.aval(logits).dtype
               if util.aval(logits).dtype.kind == "f" else np.float32)
    return jnp.argmax(jnp.add(g, logits), axis=axis - len(lshape))


def permutation(key, x, axis=0, independent=False):
    """A random permutation of ``range(x)`` (int ``x``) or of ``x`` along ``axis``."""
    if isinstance(x, (int, np.integer)):
        return core.wrap(_random_order(key, int(x)).astype(np.int32))
    x = util.as_operand(x)
    axis = util.canonical_axis(axis, util.ndim(x))
    return jnp.take(x, _random_order(key, util.shape(x)[axis]).astype(np.int32), axis=axis)


def _random_order(key, n):
    _need_concrete(key, "permutation/choice")
    w = np.asarray(_words(key, 2 * n)).astype(np.uint64)
    return np.argsort((w[:n] << np.uint64(32)) | w[n:], kind="stable")


def shuffle(key, x, axis=0):
    return permutation(key, x, axis)


def choice(key, a, shape=(), replace=True, p=None, axis=0):
    """Samples from ``a`` (an int n means arange(n)), with replacement by default,
    optionally with probabilities ``p``."""
    shape = _shape(shape)
    k = int(np.prod(shape, dtype=np.int64))
    if isinstance(a, (int, np.integer)):
        n, pool = int(a), None
    else:
        pool = util.as_operand(a)
        axis = util.canonical_axis(axis, util.ndim(pool))
        n = util.shape(pool)[axis]
    if n == 0 and k:
        raise ValueError("random.choice: cannot take a non-empty sample from an empty array")
    if not replace and k > n:
        raise ValueError(f"random.choice: cannot take a larger sample ({k}) than the "
                         f"population ({n}) when replace=False")
    if p is not None:
        probs = np.asarray(_concrete(p, "p"), np.float64)
        if probs.shape != (n,):
            raise ValueError(f"random.choice: p must have shape ({n},), got {probs.shape}")
    _need_concrete(key, "choice")
    if replace and p is None:
        idx = np.asarray(randint(key, (k,), 0, n))
    elif replace:
        cdf = np.cumsum(probs / probs.sum())
        u = np.asarray(_unit_uniform(key, (k,), dtypes.float64))
        idx = np.minimum(np.searchsorted(cdf, u, side="right"), n - 1)
    elif p is None:
        idx = _random_order(key, n)[:k]
    else:
        # Gumbel top-k: sampling without replacement in proportion to p.
        g = np.asarray(gumbel(key, (n,), dtypes.float64))
        with np.errstate(divide="ignore"):
            idx = np.argsort(-(np.log(probs) + g), kind="stable")[:k]
    idx = idx.astype(np.int32).reshape(shape)
    if pool is None:
        return core.wrap(idx)
    return jnp.take(pool, idx, axis=axis)


# ------------------------------------------------- more samplers (inverse CDF)

def _open_unit(key, shape):
    """float64 uniforms in the open interval (0, 1), symmetric about 1/2: the
    52-bit grid of _unit_uniform shifted by half a step (exact), so log(u),
    log(1 - u) and tan(pi (u - 1/2)) are finite."""
    return lax.add(_unit_uniform(key, shape, dtypes.float64), np.float64(2.0 ** -53))


def _params(name, shape, *params):
    """``(output shape, params as float64 operands)``: the output shape is the
    parameters' broadcast shape when ``shape`` is None, else ``shape``, which
    the parameters must broadcast to (ValueError otherwise, as in JAX)."""
    ops = [util.convert(util.as_operand(p), dtypes.float64) for p in params]
    pshape = util.broadcast_shapes(*(util.shape(p) for p in ops), what=f"random.{name}")
    if shape is None:
        return pshape, ops
    shape = _shape(shape)
    if len(pshape) > len(shape) or any(
            p not in (1, s) for p, s in zip(pshape[::-1], shape[::-1])):
        raise ValueError(f"random.{name}: parameter shapes {[util.shape(p) for p in ops]} "
                         f"must broadcast to the shape argument {shape}")
    return shape, ops


def laplace(key, shape=(), dtype=None):
    """Standard Laplace samples (density exp(-|x|) / 2)."""
    dt = _float_dtype(dtype, "laplace")
    v = jnp.subtract(jnp.multiply(2.0, _open_unit(key, _shape(shape))), 1.0)   # (-1, 1), never 0
    return jnp.multiply(jnp.negative(jnp.sign(v)), jnp.log1p(jnp.negative(jnp.abs(v)))).astype(dt)


def logistic(key, shape=(), dtype=None):
    """Standard logistic samples: log(u / (1 - u))."""
    dt = _float_dtype(dtype, "logistic")
    u = _open_unit(key, _shape(shape))
    return jnp.subtract(jnp.log(u), jnp.log1p(jnp.negative(u))).astype(dt)


def cauchy(key, shape=(), dtype=None):
    """Standard Cauchy samples: tan(pi (u - 1/2))."""
    dt = _float_dtype(dtype, "cauchy")
    u = _open_unit(key, _shape(shape))
    return jnp.tan(jnp.multiply(math.pi, jnp.subtract(u, 0.5))).astype(dt)


def rademacher(key, shape=(), dtype=None):
    """-1 or +1 with probability 1/2 each (the low bit of each random word)."""
    dt = util.canonical_dtype(dtype or dtypes.default_int())
    shape = _shape(shape)
    w = _words(key, int(np.prod(shape, dtype=np.int64)))
    signs = lax.sub(lax.mul(lax.rem(w, _i64(2)), _i64(2)), _i64(1))
    return lax.convert_element_type(lax.reshape(signs, shape), dt)


_BITS_WIDTH = {np.dtype(np.uint8): 8, np.dtype(np.uint16): 16, np.dtype(np.uint32): 32,
               np.dtype(np.uint64): 64}


def bits(key, shape=(), dtype=None):
    """Uniform random bits as unsigned integers of ``dtype`` (default uint32;
    uint8/uint16 take the top bits of a word, uint64 joins two words)."""
    dt = np.dtype(np.uint32 if dtype is None else dtype)
    if dt.kind != "u":
        raise ValueError(f"random.bits: dtype must be an unsigned integer dtype, got {dt.name}")
    shape = _shape(shape)
    n = int(np.prod(shape, dtype=np.int64))
    width = _BITS_WIDTH[dt]
    if width == 64:
        w = lax.convert_element_type(_words(key, 2 * n), dt)
        hi = lax.slice(w, (0,), (n,))
        lo = lax.slice(w, (n,), (2 * n,))
        w = lax.add(lax.mul(hi, np.asarray(2 ** 32, dt)), lo)
        return lax.reshape(w, shape)
    w = _words(key, n)
    if width < 32:
        w = lax.div(w, _i64(2 ** (32 - width)))     # the top bits of each word
    return lax.convert_element_type(lax.reshape(w, shape), dt)


def lognormal(key, sigma=1.0, shape=None, dtype=None):
    """exp(sigma * z) for standard normal z."""
    dt = _float_dtype(dtype, "lognormal")
    shape, (sigma,) = _params("lognormal", shape, sigma)
    z = normal(key, shape, dtypes.float64)
    return jnp.exp(jnp.multiply(sigma, z)).astype(dt)


def rayleigh(key, scale=1.0, shape=None, dtype=None):
    """Rayleigh samples: scale * sqrt(-2 log u)."""
    dt = _float_dtype(dtype, "rayleigh")
    shape, (scale,) = _params("rayleigh", shape, scale)
    r = jnp.sqrt(jnp.multiply(-2.0, jnp.log(_open_unit(key, shape))))
    return jnp.multiply(scale, r).astype(dt)


def weibull_min(key, scale, concentration, shape=(), dtype=None):
    """Weibull samples (density proportional to x**(c-1) exp(-(x/scale)**c)):
    scale * (-log u) ** (1 / c). The output shape is ``shape`` broadcast with
    the parameters' shapes."""
    dt = _float_dtype(dtype, "weibull_min")
    scale, conc = (util.convert(util.as_operand(p), dtypes.float64)
                   for p in (scale, concentration))
    e = jnp.negative(jnp.log(_open_unit(key, _shape(shape))))
    return jnp.multiply(scale, jnp.power(e, jnp.divide(1.0, conc))).astype(dt)


def pareto(key, b, shape=None, dtype=None):
    """Pareto samples on [1, inf) (density b / x**(b+1)): exp(E / b), E exponential."""
    dt = _float_dtype(dtype, "pareto")
    shape, (b,) = _params("pareto", shape, b)
    e = jnp.negative(jnp.log(_open_unit(key, shape)))
    return jnp.exp(jnp.divide(e, b)).astype(dt)


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


# ------------------------------------------- gamma family (concrete keys only)

def _concrete_params(name, shape, *params):
    """Like _params, as float64 numpy arrays broadcast to the output shape. The
    rejection sampler below loops in Python, so it needs values; and since it
    provides no derivative, a parameter being differentiated is refused rather
    than silently given a zero gradient."""
    for p in params:
        if isinstance(p, core.Tracer):
            raise TypeError(f"random.{name} needs concrete parameters (jaxlite samples it "
                            f"with a rejection loop in numpy, and does not differentiate "
                            f"through it), got a traced value {p.aval}{core.where_message()}")
    arrays = [np.asarray(p, np.float64) for p in params]
    shape, _ = _params(name, shape, *arrays)
    return shape, [np.broadcast_to(p, shape) for p in arrays]


def _log_gamma(key, a):
    """log of Gamma(a, 1) samples for a float64 array ``a`` (NaN where a <= 0).

    Marsaglia & Tsang's method ("A simple method for generating gamma variables",
    2000) for shape alpha >= 1; for a < 1, Gamma(a) = Gamma(a + 1) * U**(1/a),
    kept in log space so tiny shapes do not underflow to 0. Each round of the
    rejection loop draws proposals for the elements still pending, from a key
    folded with the round number, so the result depends only on key and a."""
    a = np.asarray(a, np.float64)
    valid = np.isfinite(a) & (a > 0)
    alpha = np.where(a < 1, a + 1, a)
    d = np.where(valid, alpha - 1.0 / 3.0, 1.0)
    c = 1.0 / np.sqrt(9.0 * d)
    out = np.full(a.shape, np.nan)
    pending = np.flatnonzero(valid)
    loop_key, boost_key = split(key)
    rnd = 0
    while pending.size:
        k_z, k_u = split(fold_in(loop_key, rnd))
        z = np.asarray(normal(k_z, (pending.size,), dtypes.float64))
        u = np.asarray(_open_unit(k_u, (pending.size,)))
        dp, cp = d.flat[pending], c.flat[pending]
        v = (1.0 + cp * z) ** 3
        with np.errstate(invalid="ignore", divide="ignore"):
            log_v = np.log(v)
            accept = (v > 0) & (np.log(u) < 0.5 * z * z + dp - dp * v + dp * log_v)
        out.flat[pending[accept]] = np.log(dp[accept]) + log_v[accept]
        pending = pending[~accept]
        rnd += 1
    boost = valid & (a < 1)
    log_u = np.log(np.asarray(_open_unit(boost_key, a.shape)))
    return np.where(boost, out + log_u / np.where(boost, a, 1.0), out)


def _check_gamma_key(key, name):
    _need_concrete(key, name, " (its rejection loop runs in numpy)")


def loggamma(key, a, shape=None, dtype=None):
    """log of Gamma(a, 1) samples, accurate where gamma itself underflows (small a).
    Needs a concrete key and concrete ``a``."""
    dt = _float_dtype(dtype, "loggamma")
    _check_gamma_key(key, "loggamma")
    shape, (a,) = _concrete_params("loggamma", shape, a)
    return core.wrap(_log_gamma(key, a).astype(dt))


def gamma(key, a, shape=None, dtype=None):
    """Gamma(a, 1) samples (density x**(a-1) exp(-x) / Gamma(a)); NaN where a <= 0.
    Needs a concrete key and concrete ``a`` and gives no gradient with respect
    to ``a`` (it is a rejection sampler run in numpy)."""
    dt = _float_dtype(dtype, "gamma")
    _check_gamma_key(key, "gamma")
    shape, (a,) = _concrete_params("gamma", shape, a)
    return core.wrap(np.exp(_log_gamma(key, a)).astype(dt))


def chisquare(key, df, shape=None, dtype=None):
    """Chi-squared samples with ``df`` degrees of freedom: 2 Gamma(df / 2).
    Same restrictions as gamma."""
    dt = _float_dtype(dtype, "chisquare")
    _check_gamma_key(key, "chisquare")
    shape, (df,) = _concrete_params("chisquare", shape, df)
    return core.wrap((2.0 * np.exp(_log_gamma(key, df / 2.0))).astype(dt))


def beta(key, a, b, shape=None, dtype=None):
    """Beta(a, b) samples: X / (X + Y) for X ~ Gamma(a), Y ~ Gamma(b), in log space
    (so small a and b, where both gammas underflow, still work). Same
    restrictions as gamma."""
    dt = _float_dtype(dtype, "beta")
    _check_gamma_key(key, "beta")
    shape, (a, b) = _concrete_params("beta", shape, a, b)
    ka, kb = split(key)
    log_x, log_y = _log_gamma(ka, a), _log_gamma(kb, b)
    return core.wrap(np.exp(log_x - np.logaddexp(log_x, log_y)).astype(dt))


def dirichlet(key, alpha, shape=None, dtype=None):
    """Dirichlet(alpha) samples over alpha's last axis: normalized Gamma(alpha_i)
    samples (in log space). The output shape is ``shape + alpha.shape[-1:]``;
    ``shape`` defaults to alpha's batch shape. Same restrictions as gamma."""
    dt = _float_dtype(dtype, "dirichlet")
    _check_gamma_key(key, "dirichlet")
    if isinstance(alpha, core.Tracer):
        _concrete_params("dirichlet", None, alpha)      # raises the tracer error
    alpha = np.asarray(alpha, np.float64)
    if alpha.ndim < 1:
        raise ValueError(f"random.dirichlet: alpha must have at least one dimension, "
                         f"got shape {alpha.shape}")
    batch, _ = _params("dirichlet", shape, np.zeros(alpha.shape[:-1]))
    log_g = _log_gamma(key, np.broadcast_to(alpha, batch + alpha.shape[-1:]))
    log_total = np.logaddexp.reduce(log_g, axis=-1, keepdims=True)
    return core.wrap(np.exp(log_g - log_total).astype(dt))
