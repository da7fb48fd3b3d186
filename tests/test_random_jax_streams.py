"""jaxlite.random gives JAX's numbers for the same seed.

The expected values below were printed by JAX 0.10.2 (``jax.random``, default
``jax_threefry_partitionable``) and are stored here as data, so the test needs
no JAX. Keys, bits, integers and permutations must match exactly; floats to
within 16 ulps (the library math, e.g. erf_inv in ``normal``, may differ in
the last bits). Each case is also checked under jit.
"""
import numpy as np
import pytest

import jaxlite
from jaxlite.experimental import enable_x64
from jaxlite.random import (PRNGKey, split, fold_in, bits, uniform, normal, randint,  # noqa: F401
                            bernoulli, gumbel, exponential, laplace, logistic, cauchy,
                            categorical, permutation, choice, truncated_normal, rademacher,
                            rayleigh, pareto, weibull_min, lognormal, multivariate_normal,
                            maxwell, double_sided_maxwell, geometric, poisson)

k = PRNGKey(42)

JAX_STREAMS = {
    'PRNGKey(42)': ([0, 42], 'uint32'),
    'PRNGKey(2**31 + 5)': ([0, 2147483653], 'uint32'),
    'split(k, 3)': ([[1832780943, 270669613], [64467757, 2916123636], [2465931498, 255383827]], 'uint32'),
    'split(k, (2, 2))': ([[[1832780943, 270669613], [64467757, 2916123636]], [[2465931498, 255383827], [3134548294, 894150801]]], 'uint32'),
    'fold_in(k, 7)': ([2547012911, 1371500959], 'uint32'),
    'bits(k, (5,))': ([2098992034, 2919706841, 2646866425, 2409546199, 1935504149], 'uint32'),
    'bits(k, (2, 3), np.uint8)': ([[162, 217, 249], [215, 21, 216]], 'uint8'),
    'bits(k, (3,), np.uint16)': ([5026, 12505, 63993], 'uint16'),
    'uniform(k, (5,))': ([0.48870956897735596, 0.6797971725463867, 0.6162714958190918, 0.5610160827636719, 0.4506446123123169], 'float32'),
    'uniform(k, (3,), np.float16)': ([0.076171875, 0.1904296875, 0.9755859375], 'float16'),
    'normal(k, (6,))': ([-0.02830461598932743, 0.4671318531036377, 0.2957029640674591, 0.15354591608047485, -0.12403281778097153, 0.21692314743995667], 'float32'),
    'randint(k, (8,), 0, 10)': ([4, 4, 1, 9, 9, 9, 7, 7], 'int32'),
    'randint(k, (4,), -5, 2**31 - 1)': ([977810619, 1236381705, 780371122, 1127988412], 'int32'),
    'randint(k, (6,), 0, 256, np.uint8)': ([196, 18, 183, 193, 141, 107], 'uint8'),
    'bernoulli(k, 0.3, (8,))': ([False, False, False, False, False, False, True, False], 'bool'),
    'gumbel(k, (4,))': ([0.3340933918952942, 0.952019453048706, 0.7255305647850037, 0.5481715202331543], 'float32'),
    'exponential(k, (4,))': ([0.670817494392395, 1.1388006210327148, 0.9578199982643127, 0.8232924938201904], 'float32'),
    'laplace(k, (4,))': ([0.022839652374386787, -0.4456535577774048, -0.2646729052066803, -0.1301453858613968], 'float32'),
    'logistic(k, (4,))': ([-0.0451694130897522, 0.7528398036956787, 0.47375231981277466, 0.245286762714386], 'float32'),
    'cauchy(k, (4,))': ([-0.03548463061451912, 0.6337261199951172, 0.38244056701660156, 0.1940706968307495], 'float32'),
    'categorical(k, np.array([0.1, 2.0, -1.0, 0.5], np.float32), shape=(6,))': ([1, 1, 1, 1, 1, 3], 'int32'),
    'permutation(k, 10)': ([7, 4, 2, 5, 3, 6, 8, 9, 0, 1], 'int32'),
    'permutation(k, np.arange(12, dtype=np.int32).reshape(4, 3))': ([[6, 7, 8], [9, 10, 11], [0, 1, 2], [3, 4, 5]], 'int32'),
    'choice(k, 10, (4,))': ([4, 4, 1, 9], 'int32'),
    'choice(k, 10, (4,), replace=False)': ([7, 4, 2, 5], 'int32'),
    'choice(k, 5, (4,), p=np.array([.1, .2, .3, .2, .2], np.float32))': ([2, 2, 2, 2], 'int32'),
    'choice(k, 5, (3,), replace=False, p=np.array([.1, .2, .3, .2, .2], np.float32))': ([2, 1, 3], 'int32'),
    'truncated_normal(k, -1., 2., (5,))': ([0.14770005643367767, 0.5684449076652527, 0.42102551460266113, 0.29997000098228455, 0.0691138207912445], 'float32'),
    'rademacher(k, (6,))': ([1, -1, -1, -1, 1, -1], 'int32'),
    'rayleigh(k, 2.0, (3,))': ([2.3933022022247314, 1.7571814060211182, 1.9678773880004883], 'float32'),
    'pareto(k, 3.0, (3,))': ([1.2505779266357422, 1.461700201034546, 1.3761274814605713], 'float32'),
    'weibull_min(k, 2.0, 1.5, (3,))': ([1.5326144695281982, 2.181030750274658, 1.943356990814209], 'float32'),
    'lognormal(k, 0.5, (3,))': ([0.9859473705291748, 1.2630960941314697, 1.159340739250183], 'float32'),
    'multivariate_normal(k, np.array([1., -2.], np.float32), np.array([[2., .3], [.3, 1.]], np.float32), (3,))': ([[0.9599712491035461, -1.5495039224624634], [1.418187141418457, -1.7872205972671509], [0.8245911002159119, -1.8143250942230225]], 'float32'),
    'maxwell(k, (4,))': ([0.553582489490509, 0.293285071849823, 1.708603024482727, 1.5084577798843384], 'float32'),
    'double_sided_maxwell(k, 1.0, 2.0, (4,))': ([-1.7620434761047363, -0.3513779640197754, 5.444042682647705, 2.351099967956543], 'float32'),
    'geometric(k, 0.3, (6,))': ([3, 2, 2, 2, 3, 2], 'int32'),
    'geometric(k, np.array([0.1, 0.9], np.float32))': ([7, 1], 'int32'),
    'poisson(k, 3.0, (8,))': ([6, 2, 2, 1, 5, 2, 3, 3], 'int32'),
    'poisson(k, 50.0, (8,))': ([55, 56, 43, 45, 40, 43, 46, 39], 'int32'),
    'poisson(k, np.array([0.0, 0.5, 5.0, 12.0, 1000.0], np.float32))': ([0, 1, 3, 9, 955], 'int32'),
}

JAX_STREAMS_X64 = {
    # jaxlite keeps 64-bit dtypes with x64 off (see the README), so uint64 bits
    # are compared with JAX's x64 mode.
    'bits(k, (3,), np.uint64)': ([7871734211187709741, 276886910877598708, 10591095138341673235], 'uint64'),
    'PRNGKey(-1)': ([4294967295, 4294967295], 'uint32'),
    'PRNGKey(2**40 + 5)': ([256, 5], 'uint32'),
    'uniform(k, (3,))': ([0.4267275666499091, 0.015010069515314584, 0.5741444178995352], 'float64'),
    'normal(k, (3,))': ([-0.18471174528191162, -2.169824560397754, 0.18693555179382582], 'float64'),
    'randint(k, (3,), 0, 100)': ([85, 18, 3], 'int64'),
    'bits(k, (2,))': ([7871734211187709741, 276886910877598708], 'uint64'),
}


def _check(expr, want, dtype):
    got = eval(expr)
    assert got.dtype == np.dtype(dtype), (expr, got.dtype, dtype)
    want = np.asarray(want, dtype)
    if got.dtype.kind == "f":
        np.testing.assert_allclose(np.asarray(got, np.float64), want.astype(np.float64),
                                   rtol=16 * np.finfo(got.dtype).eps, atol=1e-30, err_msg=expr)
    else:
        np.testing.assert_array_equal(got, want, err_msg=expr)
    return got


@pytest.mark.parametrize("expr", sorted(JAX_STREAMS))
def test_same_numbers_as_jax(expr):
    want, dtype = JAX_STREAMS[expr]
    got = _check(expr, want, dtype)
    # The traced-key path (lax uint32 ops) gives the same numbers.
    body = expr.replace("(k,", "(key,", 1)
    if body != expr:
        f = jaxlite.jit(eval("lambda key: " + body))
        jitted = f(k)
        if got.dtype.kind == "f":
            np.testing.assert_allclose(np.asarray(jitted, np.float64), np.asarray(got, np.float64),
                                       rtol=16 * np.finfo(got.dtype).eps, err_msg=expr)
        else:
            np.testing.assert_array_equal(jitted, got, err_msg=expr)


@pytest.mark.parametrize("expr", sorted(JAX_STREAMS_X64))
def test_same_numbers_as_jax_x64(expr):
    want, dtype = JAX_STREAMS_X64[expr]
    with enable_x64():
        _check(expr, want, dtype)


def test_vmap_over_keys_matches_a_loop():
    keys = split(k, 4)
    got = jaxlite.vmap(lambda kk: normal(kk, (3,)))(keys)
    want = np.stack([np.asarray(normal(kk, (3,))) for kk in keys])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_array_equal(jaxlite.vmap(lambda kk: split(kk, 2))(keys),
                                  np.stack([np.asarray(split(kk, 2)) for kk in keys]))
