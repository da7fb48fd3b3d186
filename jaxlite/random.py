"""jaxlite.random: JAX's splittable, counter-based random numbers.

A key is an int64 array of shape (2,) holding two 32-bit words (JAX uses
uint32[2]; jaxlite has no unsigned dtypes). Random bits are the Threefry-2x32
block cipher (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3")
keyed by the key and applied to the counters 0, 1, 2, ...: the values depend
only on the key and the requested shape, never on call order or global state.
The numbers are not bit-identical to JAX's.

Bits are generated eagerly with numpy, so keys must be concrete: a key that is
a tracer (a jit argument, or vmapped) raises TypeError; split keys outside the
jitted function and pass the samples (or close over the keys). Parameters
other than the key (minval, p, logits, the array to permute) may be traced.
"""
import math

import numpy as np

from jaxlite import core, dtypes
from jaxlite import numpy as jnp
from jaxlite.numpy import _util

_MASK32 = 0xFFFFFFFF
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


# ------------------------------------------------------------------ threefry

def _rotl(x, r):
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def _threefry2x32(k0, k1, x0, x1):
    """The Threefry-2x32 cipher (20 rounds) on uint32 arrays x0, x1."""
    k2 = k0 ^ k1 ^ np.uint32(0x1BD11BDA)
    ks = (k0, k1, k2)
    x0 = x0 + k0
    x1 = x1 + k1
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x0 = x0 + x1
            x1 = _rotl(x1, r) ^ x0
        x0 = x0 + ks[(i + 1) % 3]
        x1 = x1 + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x0, x1


def _key_words(key):
    """The key's two 32-bit words as uint32 arrays of shape (1,)."""
    if isinstance(key, core.Tracer):
        try:
            key = key.concrete_value()
        except core.ConcretizationTypeError:
            raise TypeError(
                f"jaxlite.random needs a concrete PRNG key, got a traced key {key.aval} "
                f"(keys cannot be jit arguments or vmapped in jaxlite): split the key "
                f"outside the transformed function and pass the samples or closed-over "
                f"keys instead{core.where_message()}") from None
    k = np.asarray(key)
    if k.shape != (2,) or k.dtype.kind not in "iu":
        raise TypeError(f"a PRNG key must be an integer array of shape (2,) as made by "
                        f"jaxlite.random.PRNGKey, got {k.dtype.name} array of shape {k.shape}")
    if (k < 0).any() or (k > _MASK32).any():
        raise ValueError(f"PRNG key words must be 32-bit unsigned values, got {k.tolist()}")
    k = k.astype(np.uint32)
    return k[:1], k[1:]


def _make_key(w0, w1):
    return core.wrap(np.array([int(w0), int(w1)], np.int64))


def _bits32(key, n):
    """n pseudo-random uint32 words from ``key``."""
    k0, k1 = _key_words(key)
    m = (n + 1) // 2
    counter = np.arange(m, dtype=np.uint64)
    y0, y1 = _threefry2x32(k0, k1, (counter & _MASK32).astype(np.uint32),
                           (counter >> np.uint64(32)).astype(np.uint32))
    return np.concatenate([y0, y1])[:n]


def _bits64(key, n):
    w = _bits32(key, 2 * n).astype(np.uint64)
    return (w[:n] << np.uint64(32)) | w[n:]


# ---------------------------------------------------------------------- keys

def PRNGKey(seed):
    """A key from an integer seed: the words (seed >> 32, seed & 0xFFFFFFFF)."""
    if isinstance(seed, core.Tracer):
        seed = _key_words_seed(seed)
    seed = int(seed)
    return _make_key((seed >> 32) & _MASK32, seed & _MASK32)


def _key_words_seed(seed):
    try:
        return seed.concrete_value()
    except core.ConcretizationTypeError:
        raise TypeError(f"PRNGKey needs a concrete seed, got a traced value {seed.aval}"
                        f"{core.where_message()}") from None


key = PRNGKey


def key_data(keys):
    return keys


def split(key, num=2):
    """``num`` new independent keys, as an array of shape (num, 2)."""
    num = _util.operator_index(num, "num")
    if num < 0:
        raise ValueError(f"split: num must be non-negative, got {num}")
    bits = _bits32(key, 2 * num).astype(np.int64)
    return core.wrap(bits.reshape(2, num).T.copy())


def fold_in(key, data):
    """A new key derived from ``key`` and the integer ``data``."""
    k0, k1 = _key_words(key)
    data = int(_key_words_seed(data) if isinstance(data, core.Tracer) else data)
    y0, y1 = _threefry2x32(k0, k1, np.array([data & _MASK32], np.uint32),
                           np.array([(data >> 32) & _MASK32], np.uint32))
    return _make_key(y0[0], y1[0])


# ----------------------------------------------------------------- samplers

def _shape(shape):
    return _util.concrete_shape(shape, "shape")


def _float_dtype(dtype, name):
    dt = _util.canonical_dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"random.{name} requires a floating dtype, got {dt.name}")
    return dt


def _unit_uniform(key, shape, dt):
    """Uniform samples in [0, 1) of dtype dt, from the top mantissa bits."""
    n = int(np.prod(shape, dtype=np.int64))
    if dt == dtypes.float32:
        bits = (_bits32(key, n) >> np.uint32(9)) | np.uint32(0x3F800000)
        u = bits.view(np.float32) - np.float32(1.0)
    else:
        bits = (_bits64(key, n) >> np.uint64(12)) | np.uint64(0x3FF0000000000000)
        u = bits.view(np.float64) - 1.0
    return u.reshape(shape)


def uniform(key, shape=(), dtype=np.float32, minval=0.0, maxval=1.0):
    """Uniform samples in [minval, maxval)."""
    dt = _float_dtype(dtype, "uniform")
    shape = _shape(shape)
    u = core.wrap(_unit_uniform(key, shape, dt))
    if isinstance(minval, (int, float)) and isinstance(maxval, (int, float)) \
            and (minval, maxval) == (0.0, 1.0):
        return u
    lo, hi = _util.promote(minval, maxval, dtype=dt)
    out = jnp.add(jnp.multiply(u, jnp.subtract(hi, lo)), lo)
    # Rounding may land on maxval; keep the interval half-open.
    return jnp.clip(out, lo, jnp.where(jnp.greater(hi, lo), _next_below(hi, dt), hi))


def _next_below(x, dt):
    return jnp.subtract(x, jnp.multiply(jnp.abs(x), np.finfo(dt).epsneg))


def normal(key, shape=(), dtype=np.float32):
    """Standard normal samples (Box-Muller transform of two uniforms)."""
    dt = _float_dtype(dtype, "normal")
    shape = _shape(shape)
    n = int(np.prod(shape, dtype=np.int64))
    u = _unit_uniform(key, (2, n), np.dtype(np.float64))
    radius = np.sqrt(-2.0 * np.log1p(-u[0]))         # 1 - u is in (0, 1]: finite log
    z = radius * np.cos(2.0 * math.pi * u[1])
    return core.wrap(z.reshape(shape).astype(dt))


def truncated_normal(key, lower, upper, shape=None, dtype=np.float32):
    """Normal samples conditioned on [lower, upper] (inverse-CDF method)."""
    dt = _float_dtype(dtype, "truncated_normal")
    lo, hi = np.asarray(lower, np.float64), np.asarray(upper, np.float64)
    shape = np.broadcast_shapes(lo.shape, hi.shape) if shape is None else _shape(shape)
    cdf = np.vectorize(lambda v: 0.5 * math.erfc(-v / math.sqrt(2.0)))
    a, b = cdf(lo), cdf(hi)
    u = _unit_uniform(key, shape, np.dtype(np.float64))
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


def randint(key, shape, minval, maxval, dtype=np.int32):
    """Uniform integers in [minval, maxval)."""
    dt = _util.canonical_dtype(dtype)
    if dt.kind != "i":
        raise TypeError(f"random.randint requires an integer dtype, got {dt.name}")
    shape = _shape(shape)
    lo = np.broadcast_to(np.asarray(_concrete(minval, "minval"), np.int64), shape)
    hi = np.broadcast_to(np.asarray(_concrete(maxval, "maxval"), np.int64), shape)
    info = np.iinfo(dt)
    lo, hi = np.clip(lo, info.min, info.max), np.clip(hi, info.min, info.max)
    span = np.maximum(hi - lo, 1).astype(np.uint64)
    n = int(np.prod(shape, dtype=np.int64))
    r = (_bits64(key, n).reshape(shape) % span).astype(np.int64)
    return core.wrap(np.where(hi > lo, lo + r, lo).astype(dt))


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
    p = _util.as_operand(p)
    shape = _util.shape(p) if shape is None else _shape(shape)
    dt = _util.to_inexact_dtype(_util.aval(p).dtype)
    return jnp.less(uniform(key, shape, dt), p)


def gumbel(key, shape=(), dtype=np.float32):
    dt = _float_dtype(dtype, "gumbel")
    u = _unit_uniform(key, _shape(shape), np.dtype(np.float64))
    return core.wrap((-np.log(-np.log1p(-u) + 1e-300)).astype(dt))


def exponential(key, shape=(), dtype=np.float32):
    dt = _float_dtype(dtype, "exponential")
    u = _unit_uniform(key, _shape(shape), np.dtype(np.float64))
    return core.wrap((-np.log1p(-u)).astype(dt))


def categorical(key, logits, axis=-1, shape=None):
    """Samples of class indices with probabilities softmax(logits) (Gumbel-max)."""
    logits = _util.as_operand(logits)
    lshape = _util.shape(logits)
    axis = _util.canonical_axis(axis, len(lshape))
    batch = lshape[:axis] + lshape[axis + 1:]
    shape = batch if shape is None else _shape(shape)
    g = gumbel(key, shape[:len(shape) - len(batch)] + lshape, _util.aval(logits).dtype
               if _util.aval(logits).dtype.kind == "f" else np.float32)
    return jnp.argmax(jnp.add(g, logits), axis=axis - len(lshape))


def permutation(key, x, axis=0, independent=False):
    """A random permutation of ``range(x)`` (int ``x``) or of ``x`` along ``axis``."""
    if isinstance(x, (int, np.integer)):
        return core.wrap(_random_order(key, int(x)).astype(np.int32))
    x = _util.as_operand(x)
    axis = _util.canonical_axis(axis, _util.ndim(x))
    return jnp.take(x, _random_order(key, _util.shape(x)[axis]).astype(np.int32), axis=axis)


def _random_order(key, n):
    return np.argsort(_bits64(key, n), kind="stable")


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
        pool = _util.as_operand(a)
        axis = _util.canonical_axis(axis, _util.ndim(pool))
        n = _util.shape(pool)[axis]
    if n == 0 and k:
        raise ValueError("random.choice: cannot take a non-empty sample from an empty array")
    if not replace and k > n:
        raise ValueError(f"random.choice: cannot take a larger sample ({k}) than the "
                         f"population ({n}) when replace=False")
    if p is not None:
        probs = np.asarray(_concrete(p, "p"), np.float64)
        if probs.shape != (n,):
            raise ValueError(f"random.choice: p must have shape ({n},), got {probs.shape}")
    if replace and p is None:
        idx = np.asarray(randint(key, (k,), 0, n))
    elif replace:
        cdf = np.cumsum(probs / probs.sum())
        u = _unit_uniform(key, (k,), np.dtype(np.float64))
        idx = np.minimum(np.searchsorted(cdf, u, side="right"), n - 1)
    elif p is None:
        idx = _random_order(key, n)[:k]
    else:
        # Gumbel top-k: sampling without replacement in proportion to p.
        g = -np.log(-np.log1p(-_unit_uniform(key, (n,), np.dtype(np.float64))) + 1e-300)
        with np.errstate(divide="ignore"):
            idx = np.argsort(-(np.log(probs) + g), kind="stable")[:k]
    idx = idx.astype(np.int32).reshape(shape)
    if pool is None:
        return core.wrap(idx)
    return jnp.take(pool, idx, axis=axis)
