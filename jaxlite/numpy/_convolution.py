"""jnp.convolve and jnp.correlate: 1-D discrete convolution and correlation as
one lax.conv_general_dilated (numpy's three modes)."""
import numpy as np

from jaxlite import core, lax
from jaxlite import numpy_util as util

__all__ = ["convolve", "correlate"]


def _conv1d(name, a, v, mode, flip, preferred_element_type):
    a, v = util.promote_inexact(a, v)     # as JAX: integers convolve in floating point
    sa, sv = core.get_aval(a).shape, core.get_aval(v).shape
    if len(sa) != 1 or len(sv) != 1:
        raise ValueError(f"{name}() only supports 1-dimensional inputs, got shapes {sa} "
                         f"and {sv}")
    if sa[0] == 0 or sv[0] == 0:
        raise ValueError(f"{name}: inputs cannot be empty, got shapes {sa} and {sv}")
    if not flip and core.get_aval(v).dtype.kind == "c":
        v = lax.conj(v)         # numpy's correlation conjugates its second operand
    swapped = sv[0] > sa[0]
    if swapped:
        a, v = v, a
    n, m = max(sa[0], sv[0]), min(sa[0], sv[0])
    if mode == "valid":
        padding = ((0, 0),)
    elif mode == "same":
        padding = ((m // 2, m - m // 2 - 1),)
    elif mode == "full":
        padding = ((m - 1, m - 1),)
    else:
        raise ValueError(f"{name}: mode must be one of 'full', 'same' or 'valid', got {mode!r}")
    if flip:
        v = lax.rev(v, (0,))
    out = lax.conv_general_dilated(lax.reshape(a, (1, 1, n)), lax.reshape(v, (1, 1, m)), (1,),
                                   padding, preferred_element_type=preferred_element_type)
    out = lax.reshape(out, core.get_aval(out).shape[2:])
    # Correlation is not symmetric: swapping the operands reverses the result.
    return lax.rev(out, (0,)) if swapped and not flip else out


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    """Discrete linear convolution of two 1-D arrays (numpy's modes)."""
    return _conv1d("convolve", a, v, mode, True, preferred_element_type)


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    """Cross-correlation of two 1-D arrays, ``sum_n a[n + k] conj(v[n])`` (numpy's modes)."""
    return _conv1d("correlate", a, v, mode, False, preferred_element_type)
