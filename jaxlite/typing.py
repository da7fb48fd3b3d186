"""jaxlite.typing: JAX's annotation types (``from jax.typing import ArrayLike``)."""
from typing import Any, Protocol, Union

import numpy as np

from jaxlite.core import Array

__all__ = ["ArrayLike", "DTypeLike"]


class _SupportsDType(Protocol):
    @property
    def dtype(self) -> np.dtype: ...


# What jnp functions accept as an array: arrays (traced ones are instances of Array
# too), numpy arrays and scalars, and Python numbers.
ArrayLike = Union[Array, np.ndarray, np.bool_, np.number, bool, int, float, complex]
# What names a dtype: a string, a scalar type, a numpy dtype, anything with .dtype.
DTypeLike = Union[str, type[Any], np.dtype, _SupportsDType]
