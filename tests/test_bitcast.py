"""lax.bitcast_convert_type against numpy's .view, eagerly and under jit,
including JAX's width-changing forms (a trailing dimension of the width ratio)."""
import numpy as np
import pytest

import jaxlite
from jaxlite import lax


@pytest.mark.parametrize("src, dst", [(np.float32, np.uint32), (np.uint32, np.float32),
                                      (np.float64, np.int64), (np.float16, np.uint16),
                                      (np.uint16, np.float16), (np.int32, np.uint32)])
def test_same_width_is_numpy_view(src, dst):
    x = (np.arange(-3, 5) * 1.75).astype(src) if np.dtype(src).kind == "f" \
        else np.arange(-3, 5).astype(src) * 1000
    want = x.view(dst)
    for f in (lambda v: lax.bitcast_convert_type(v, dst),
              jaxlite.jit(lambda v: lax.bitcast_convert_type(v, dst))):
        got = f(x)
        assert got.dtype == np.dtype(dst)
        np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))


def test_width_changing_forms_are_little_endian_as_xla():
    x = np.array([1.5, -3.25, np.inf], np.float64)
    words = np.ascontiguousarray(x).view(np.uint32).reshape(3, 2)
    for f in (lambda v: lax.bitcast_convert_type(v, np.uint32),
              jaxlite.jit(lambda v: lax.bitcast_convert_type(v, np.uint32))):
        np.testing.assert_array_equal(f(x), words)
    np.testing.assert_array_equal(lax.bitcast_convert_type(words, np.float64), x)
    np.testing.assert_array_equal(jaxlite.jit(lambda w: lax.bitcast_convert_type(w, np.float64))(words), x)
    np.testing.assert_array_equal(lax.bitcast_convert_type(x, np.uint8),
                                  x.view(np.uint8).reshape(3, 8))


def test_bad_input():
    with pytest.raises(ValueError, match="last dimension of size 2"):
        lax.bitcast_convert_type(np.zeros(3, np.uint32), np.float64)
    with pytest.raises(TypeError, match="bool"):
        lax.bitcast_convert_type(np.zeros(3, np.bool_), np.uint8)
