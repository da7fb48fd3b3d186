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
concrete key (they sort, or use numpy-only special functions).
"""
import math

import numpy as np

from jaxlite import core, dtypes, lax
from jaxlite import numpy as jnp
from jaxlite.numpy import _util

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
    aval = core.get_aval(_util.as_operand(key))
    if aval.shape != (2,) or aval.dtype.kind not in "iu":
        raise TypeError(f"a PRNG key must be an integer array of shape (2,) as made by "
                        f"jaxlite.random.PRNGKey, got {aval.dtype.name} array of shape "
                        f"{aval.shape}")
    k = _concrete_or_none(key)
    if k is not None and ((k < 0).any() or (k > _MASK32).any()):
        raise ValueError(f"PRNG key words must be 32-bit unsigned values, got {k.tolist()}")
    return k


def _need_concrete(key, name):
    k = _check_key(key)
    if k is None:
        raise TypeError(f"random.{name} needs a concrete PRNG key, got a traced key "
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
    key = lax.convert_element_type(_util.as_operand(key), dtypes.int64)
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
    num = _util.operator_index(num, "num")
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
    key = lax.convert_element_type(_util.as_operand(key), dtypes.int64)
    d = lax.convert_element_type(_util.as_operand(data), dtypes.int64)
    # Python's d & mask and (d >> 32) & mask, for negative d too.
    lo = jnp.remainder(d, _i64(_TWO32))
    hi = jnp.remainder(jnp.floor_divide(d, _i64(_TWO32)), _i64(_TWO32))
    y0, y1 = _threefry_lax(key[0], key[1], lo, hi)
    return jnp.stack([y0, y1])


# ----------------------------------------------------------------- samplers

def _shape(shape):
    return _util.concrete_shape(shape, "shape")


def _float_dtype(dtype, name):
    dt = _util.canonical_dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"random.{name} requires a floating dtype, got {dt.name}")
    return dt


def _unit_uniform(key, shape, dt):
    """Uniform samples in [0, 1) of dtype dt: the top 23 (float32) or 52 (float64)
    random bits times 2**-23 or 2**-52 (exact)."""
    n = int(np.prod(shape, dtype=np.int64))
    if dt == dtypes.float32:
        m = lax.div(_words(key, n), _i64(2 ** 9))
        u = lax.mul(lax.convert_element_type(m, dt), np.float32(2.0 ** -23))
    else:
        w = _words(key, 2 * n)
        m = lax.add(lax.mul(w[:n], _i64(2 ** 20)), lax.div(w[n:], _i64(2 ** 12)))
        u = lax.mul(lax.convert_element_type(m, dt), np.float64(2.0 ** -52))
    return lax.reshape(u, shape)


def uniform(key, shape=(), dtype=np.float32, minval=0.0, maxval=1.0):
    """Uniform samples in [minval, maxval)."""
    dt = _float_dtype(dtype, "uniform")
    shape = _shape(shape)
    u = _unit_uniform(key, shape, dt)
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
    """Standard normal samples (Box-Muller transform of two uniforms, in float64)."""
    dt = _float_dtype(dtype, "normal")
    shape = _shape(shape)
    n = int(np.prod(shape, dtype=np.int64))
    u = _unit_uniform(key, (2, n), dtypes.float64)
    radius = jnp.sqrt(jnp.multiply(-2.0, jnp.log1p(jnp.negative(u[0]))))   # 1 - u > 0
    z = jnp.multiply(radius, jnp.cos(jnp.multiply(2.0 * math.pi, u[1])))
    return jnp.reshape(z, shape).astype(dt)


def truncated_normal(key, lower, upper, shape=None, dtype=np.float32):
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


def randint(key, shape, minval, maxval, dtype=np.int32):
    """Uniform integers in [minval, maxval) (minval and maxval broadcast to ``shape``)."""
    dt = _util.canonical_dtype(dtype)
    if dt.kind != "i":
        raise TypeError(f"random.randint requires an integer dtype, got {dt.name}")
    shape = _shape(shape)
    info = np.iinfo(dt)
    lo, hi = (jnp.clip(_util.broadcast_to_shape(_util.strong(_util.convert(
        _util.as_operand(v), dtypes.int64)), shape), _i64(info.min), _i64(info.max))
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
    p = _util.as_operand(p)
    shape = _util.shape(p) if shape is None else _shape(shape)
    dt = _util.to_inexact_dtype(_util.aval(p).dtype)
    return jnp.less(uniform(key, shape, dt), p)


def gumbel(key, shape=(), dtype=np.float32):
    """Standard Gumbel samples: -log(-log(u))."""
    dt = _float_dtype(dtype, "gumbel")
    u = _unit_uniform(key, _shape(shape), dtypes.float64)
    e = jnp.add(jnp.negative(jnp.log1p(jnp.negative(u))), 1e-300)   # -log(1 - u) > 0
    return jnp.negative(jnp.log(e)).astype(dt)


def exponential(key, shape=(), dtype=np.float32):
    """Standard exponential samples: -log(1 - u)."""
    dt = _float_dtype(dtype, "exponential")
    u = _unit_uniform(key, _shape(shape), dtypes.float64)
    return jnp.negative(jnp.log1p(jnp.negative(u))).astype(dt)


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
