"""PRNG keys and random bits: Threefry-2x32 in JAX's partitionable layout.

A key is a uint32 array of shape (2,), as JAX's legacy (raw) keys. The bits
are JAX's with ``jax_threefry_partitionable`` (its default): element ``i`` of
a request of shape ``s`` (``i`` its row-major flat index) is the cipher of
the counter pair ``(i >> 32, i & 0xFFFFFFFF)`` under the key, giving words
``(y0, y1)``; 32-bit draws are ``y0 ^ y1``, 64-bit draws ``y0 << 32 | y1``,
8- and 16-bit draws the low bits of ``y0 ^ y1``. ``split`` returns the pairs
``(y0, y1)`` themselves as new keys, and ``fold_in(key, d)`` is the pair for
counter ``(0, d)``. So the same seed gives the same numbers as JAX.

A concrete key runs the cipher in numpy (wrapping uint32 arithmetic); a
traced key (a jit argument, a vmapped batch of keys) runs the same cipher as
lax uint32 operations, so the bits are identical either way.
"""
import numpy as np

from jaxlite import core, dtypes, lax
from jaxlite import numpy as jnp
from jaxlite import numpy_util as util

_MASK32 = 0xFFFFFFFF
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA
U32, U64 = np.dtype(np.uint32), np.dtype(np.uint64)


def _threefry2x32(k0, k1, x0, x1, ops):
    """The Threefry-2x32 cipher (20 rounds) over ``ops`` = (add, rotl, xor)."""
    add, rotl, xor = ops
    ks = (k0, k1, xor(xor(k0, k1), np.uint32(_PARITY)))
    x0, x1 = add(x0, k0), add(x1, k1)
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x0 = add(x0, x1)
            x1 = xor(rotl(x1, r), x0)
        x0 = add(x0, ks[(i + 1) % 3])
        x1 = add(add(x1, ks[(i + 2) % 3]), np.uint32(i + 1))
    return x0, x1


_NUMPY_OPS = (lambda a, b: a + b,
              lambda x, r: (x << np.uint32(r)) | (x >> np.uint32(32 - r)),
              lambda a, b: a ^ b)
_LAX_OPS = (lax.add,
            lambda x, r: lax.bitwise_or(lax.shift_left(x, np.uint32(r)),
                                        lax.shift_right_logical(x, np.uint32(32 - r))),
            lax.bitwise_xor)


# ---------------------------------------------------------------------- keys

def _concrete_or_none(x):
    if not isinstance(x, core.Tracer):
        return np.asarray(x)
    try:
        return np.asarray(x.concrete_value())
    except core.ConcretizationTypeError:
        return None


def check_key(key, name="random"):
    """``(key as a uint32 operand, its numpy value or None when traced)``."""
    key = util.as_operand(key)
    aval = core.get_aval(key)
    if aval.shape != (2,) or aval.dtype.kind not in "iu":
        raise TypeError(f"{name}: a PRNG key must be a uint32 array of shape (2,) as made by "
                        f"jaxlite.random.key/PRNGKey, got {aval.dtype.name} array of shape "
                        f"{aval.shape}{core.where_message()}")
    k = _concrete_or_none(key)
    if k is not None:
        if aval.dtype != U32 and ((k < 0).any() or (k > _MASK32).any()):
            raise ValueError(f"{name}: PRNG key words must be 32-bit unsigned values, "
                             f"got {k.tolist()}")
        return core.wrap(k.astype(U32)), k.astype(U32)
    if aval.dtype != U32:
        key = lax.convert_element_type(key, U32)
    return key, None


def PRNGKey(seed):
    """A key from an integer seed: the words ``(seed >> 32, seed & 0xFFFFFFFF)``
    of the seed as a 64-bit integer (x64 mode) or a 32-bit one (otherwise, so
    the high word is 0, as JAX)."""
    seed_arg, s = seed, _concrete_or_none(seed)
    if s is not None:
        if s.shape:
            raise TypeError(f"PRNGKey accepts a scalar seed, but was given an array of shape "
                            f"{s.shape} != (). Use jax.vmap for batching")
        if s.dtype.kind not in "biu" and not isinstance(seed, (int, np.integer)):
            raise TypeError(f"PRNG key seed must be an integer; got {seed!r}")
        # A Python int is int32 (int64 in x64 mode); without x64 a 64-bit
        # array is narrowed to 32 bits first, as JAX canonicalizes it.
        wide = dtypes.default_int() == dtypes.int64 and (
            isinstance(seed, int) or s.dtype.itemsize == 8)
        seed = int(s)
        if isinstance(seed_arg, int) and not -2 ** 63 <= seed < 2 ** 63:
            raise OverflowError(f"PRNG seed {seed} does not fit a 64-bit integer")
        if not wide:
            seed &= _MASK32         # JAX keeps the low 32 bits without x64
        seed &= (1 << 64) - 1
        return core.wrap(np.array([seed >> 32, seed & _MASK32], U32))
    seed = util.as_operand(seed)
    dt = core.get_aval(seed).dtype
    if dt.kind not in "biu":
        raise TypeError(f"PRNG key seed must be an integer; got {core.get_aval(seed)}")
    if dt.itemsize == 8:
        u = lax.convert_element_type(seed, U64)
        hi = lax.convert_element_type(lax.shift_right_logical(u, np.uint64(32)), U32)
    else:
        u = seed
        hi = lax.full((), 0, U32)
    lo = lax.convert_element_type(lax.bitwise_and(lax.convert_element_type(u, U64),
                                                  np.uint64(_MASK32)), U32)
    return jnp.stack([hi, lo])


def key(seed, *, impl=None):
    """JAX's new-style key constructor. jaxlite has no typed key arrays: this
    returns the same uint32[2] key as PRNGKey, which every random function,
    ``key_data`` and ``wrap_key_data`` accept."""
    _check_impl(impl)
    return PRNGKey(seed)


def _check_impl(impl):
    if impl not in (None, "threefry2x32", "threefry"):
        raise ValueError(f"jaxlite.random supports only the threefry2x32 implementation, "
                         f"got impl={impl!r}")


def key_data(keys):
    """The uint32 words of ``keys`` (shape (..., 2))."""
    keys = util.as_operand(keys)
    aval = core.get_aval(keys)
    if not aval.shape or aval.shape[-1] != 2 or aval.dtype.kind not in "iu":
        raise TypeError(f"key_data: expected PRNG keys of shape (..., 2), got "
                        f"{aval.dtype.name}{list(aval.shape)}")
    return keys if aval.dtype == U32 else lax.convert_element_type(keys, U32)


def wrap_key_data(key_bits_array, *, impl=None):
    """Keys from their uint32 words (shape (..., 2)), as JAX's."""
    _check_impl(impl)
    data = util.as_operand(key_bits_array)
    aval = core.get_aval(data)
    if aval.dtype != U32:
        raise TypeError(f"wrap_key_data: key data must be uint32, got {aval.dtype.name}")
    if not aval.shape or aval.shape[-1] != 2:
        raise ValueError(f"wrap_key_data: threefry2x32 key data must have a trailing "
                         f"dimension of 2, got shape {aval.shape}")
    return data


def key_impl(keys):
    check_key(keys, "key_impl")
    return "threefry2x32"


def clone(key):
    return key


# ---------------------------------------------------------------- the cipher

def _cipher_numpy(k, hi, lo):
    with np.errstate(over="ignore"):
        return _threefry2x32(k[0], k[1], hi, lo, _NUMPY_OPS)


def _counters_numpy(n):
    i = np.arange(n, dtype=U64)
    return (i >> np.uint64(32)).astype(U32), (i & np.uint64(_MASK32)).astype(U32)


def _cipher_lax(key, hi, lo):
    return _threefry2x32(key[0], key[1], hi, lo, _LAX_OPS)


def _pairs(key, shape):
    """The cipher words ``(y0, y1)`` for the flat counters of ``shape``."""
    key, k = check_key(key)
    n = int(np.prod(shape, dtype=np.int64))
    if k is not None:
        y0, y1 = _cipher_numpy(k, *_counters_numpy(n))
        return core.wrap(y0.reshape(shape)), core.wrap(y1.reshape(shape))
    if n >= 2 ** 32:
        raise ValueError(f"random: {n} draws from a traced key exceed 2**32")
    lo = lax.iota(U32, n)
    y0, y1 = _cipher_lax(key, lax.full((n,), 0, U32), lo)
    return lax.reshape(y0, shape), lax.reshape(y1, shape)


def random_bits(key, width, shape):
    """Uniform random unsigned integers of ``width`` bits and ``shape``."""
    y0, y1 = _pairs(key, shape)
    if width == 64:
        hi = lax.convert_element_type(y0, U64)
        return lax.bitwise_or(lax.shift_left(hi, np.uint64(32)),
                              lax.convert_element_type(y1, U64))
    bits = lax.bitwise_xor(y0, y1)
    if width == 32:
        return bits
    return lax.convert_element_type(bits, np.dtype(f"u{width // 8}"))


def split(key, num=2):
    """``num`` new independent keys (an int, or a shape), shape ``(*num, 2)``."""
    shape = (util.operator_index(num, "num"),) if not isinstance(num, (tuple, list)) \
        else tuple(util.operator_index(n, "num") for n in num)
    if any(n < 0 for n in shape):
        raise ValueError(f"split: num must be non-negative, got {num}")
    y0, y1 = _pairs(key, shape)
    return jnp.stack([y0, y1], axis=len(shape))


def fold_in(key, data):
    """A new key derived from ``key`` and the 32-bit integer ``data``."""
    key, k = check_key(key, "fold_in")
    d = _concrete_or_none(data)
    if d is not None and d.shape:
        raise TypeError(f"fold_in: data must be a scalar, got shape {d.shape}")
    if k is not None and d is not None:
        if d.dtype.kind not in "biu" and not np.issubdtype(type(data), np.integer):
            raise TypeError(f"fold_in: data must be an integer, got {d.dtype.name}")
        if isinstance(data, int) and not 0 <= data <= _MASK32:
            raise OverflowError(f"Python integer {data} out of bounds for uint32")
        word = np.array([int(d) & _MASK32], U32)
        y0, y1 = _cipher_numpy(k, np.zeros(1, U32), word)
        return core.wrap(np.concatenate([y0, y1]))
    data = util.as_operand(data)
    if core.get_aval(data).dtype.kind not in "biu":
        raise TypeError(f"fold_in: data must be an integer, got {core.get_aval(data)}")
    word = lax.convert_element_type(data, U32)
    y0, y1 = _cipher_lax(key, lax.full((), 0, U32), word)
    return jnp.stack([y0, y1])
