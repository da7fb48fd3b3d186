"""jaxlite.nn.initializers: JAX's parameter initializers.

Each is a function ``init(key, shape, dtype=float32) -> array`` (zeros and ones
directly; the others built by a factory taking their hyperparameters), drawing
from jaxlite.random. variance_scaling chooses the spread from the fans of the
weight shape (in_axis, out_axis, batch_axis as in JAX); the Glorot/Xavier,
He/Kaiming and LeCun families are its named settings.
"""
import math
import typing

import numpy as np

from jaxlite import numpy as jnp
from jaxlite import random

__all__ = ["Initializer", "zeros", "ones", "constant", "uniform", "normal", "truncated_normal",
           "variance_scaling", "glorot_uniform", "glorot_normal", "xavier_uniform",
           "xavier_normal", "lecun_uniform", "lecun_normal", "he_uniform", "he_normal",
           "kaiming_uniform", "kaiming_normal", "orthogonal", "delta_orthogonal"]


class Initializer(typing.Protocol):
    """What every initializer is: ``init(key, shape, dtype) -> array``."""

    def __call__(self, key, shape, dtype=np.float32):
        ...


_F32 = np.float32
# The standard deviation of a unit normal truncated to [-2, 2].
_TRUNCATED_STD = 0.87962566103423978


def _shape(shape):
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def zeros(key, shape, dtype=_F32):
    return jnp.zeros(_shape(shape), dtype)


def ones(key, shape, dtype=_F32):
    return jnp.ones(_shape(shape), dtype)


def constant(value, dtype=_F32):
    """An initializer filling every element with ``value``."""
    def init(key, shape, dtype=dtype):
        return jnp.full(_shape(shape), value, dtype)
    return init


def uniform(scale=1e-2, dtype=_F32):
    """Uniform on [0, scale)."""
    def init(key, shape, dtype=dtype):
        return random.uniform(key, _shape(shape), dtype) * jnp.asarray(scale, dtype)
    return init


def normal(stddev=1e-2, dtype=_F32):
    def init(key, shape, dtype=dtype):
        return random.normal(key, _shape(shape), dtype) * jnp.asarray(stddev, dtype)
    return init


def truncated_normal(stddev=1e-2, dtype=_F32, lower=-2.0, upper=2.0):
    """``stddev`` times a unit normal truncated to [lower, upper]."""
    def init(key, shape, dtype=dtype):
        return random.truncated_normal(key, lower, upper, _shape(shape), dtype) * \
            jnp.asarray(stddev, dtype)
    return init


def _fans(shape, in_axis, out_axis, batch_axis):
    if len(shape) <= 1 and (in_axis == -2 or out_axis == -2):
        raise ValueError(f"Can't compute input and output sizes of a {len(shape)}-dimensional "
                         f"weights tensor with default in_axis. Must be at least 2D or specify "
                         f"in_axis explicitly.")
    axes = lambda a: [a] if isinstance(a, int) else list(a)   # noqa: E731
    size = lambda a: int(np.prod([shape[i] for i in axes(a)], dtype=np.int64))  # noqa: E731
    in_size, out_size, batch = size(in_axis), size(out_axis), size(batch_axis)
    receptive = int(np.prod(shape, dtype=np.int64)) / in_size / out_size / batch
    return in_size * receptive, out_size * receptive


def variance_scaling(scale, mode, distribution, in_axis=-2, out_axis=-1, batch_axis=(),
                     dtype=_F32):
    """Samples with variance ``scale / n``, ``n`` the fan in, fan out or their
    mean (``mode``), from a truncated normal, a normal or a uniform
    (``distribution``)."""
    if mode not in ("fan_in", "fan_out", "fan_avg"):
        raise ValueError(f"invalid mode for variance scaling initializer: {mode}")
    if distribution not in ("truncated_normal", "normal", "uniform"):
        raise ValueError(f"invalid distribution for variance scaling initializer: "
                         f"{distribution}")

    def init(key, shape, dtype=dtype):
        shape = _shape(shape)
        fan_in, fan_out = _fans(shape, in_axis, out_axis, batch_axis)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        variance = scale / max(n, 1.0)
        if distribution == "truncated_normal":
            std = math.sqrt(variance) / _TRUNCATED_STD
            return random.truncated_normal(key, -2.0, 2.0, shape, dtype) * jnp.asarray(std, dtype)
        if distribution == "normal":
            return random.normal(key, shape, dtype) * jnp.asarray(math.sqrt(variance), dtype)
        return random.uniform(key, shape, dtype, -1.0, 1.0) * \
            jnp.asarray(math.sqrt(3 * variance), dtype)
    return init


def glorot_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=_F32):
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype)


def glorot_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=_F32):
    return variance_scaling(1.0, "fan_avg", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


def lecun_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=_F32):
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def lecun_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=_F32):
    return variance_scaling(1.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


def he_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=_F32):
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def he_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=_F32):
    return variance_scaling(2.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal


def orthogonal(scale=1.0, column_axis=-1, dtype=_F32):
    """A (scaled) matrix with orthonormal rows or columns, whichever are fewer,
    reshaped to ``shape`` (``column_axis`` holds the columns): the Q of the QR
    decomposition of a normal sample, its signs fixed by R's diagonal."""
    def init(key, shape, dtype=dtype):
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError("orthogonal initializer requires at least a 2D shape")
        n_cols = shape[column_axis]
        n_rows = int(np.prod(shape, dtype=np.int64)) // n_cols
        big, small = max(n_rows, n_cols), min(n_rows, n_cols)
        a = random.normal(key, (big, small), dtype)
        q, r = jnp.linalg.qr(a)
        q = q * jnp.sign(jnp.diagonal(r))
        if n_rows < n_cols:
            q = q.T
        # Rows: the other axes in order; columns: column_axis.
        rest = tuple(d for i, d in enumerate(shape) if i != column_axis % len(shape))
        q = jnp.moveaxis(jnp.reshape(q, rest + (n_cols,)), -1, column_axis)
        return q * jnp.asarray(scale, dtype)
    return init


def delta_orthogonal(scale=1.0, column_axis=-1, dtype=_F32):
    """For convolution kernels (spatial..., in, out) of rank 3 to 5: an
    orthogonal (in, out) matrix at the spatial centre and zeros elsewhere."""
    def init(key, shape, dtype=dtype):
        shape = _shape(shape)
        if len(shape) not in (3, 4, 5):
            raise ValueError("Delta orthogonal initializer requires a 3D, 4D or 5D shape.")
        if shape[-2] > shape[-1]:
            raise ValueError("`fan_in` must be less or equal than `fan_out`. ")
        ortho = orthogonal(scale, column_axis, dtype)(key, shape[-2:], dtype)
        centre = tuple(s // 2 for s in shape[:-2])
        return jnp.zeros(shape, dtype).at[centre].set(ortho)
    return init
