"""The jnp functions added to cover jax.numpy (set operations, statistics,
polynomials, functional helpers, manipulation, calculus, bits, host helpers):
values against numpy, jit against eager (static size= where the result's shape
depends on values), derivatives against finite differences where
differentiable, and JAX's own conventions where they differ from numpy's."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.core import ConcretizationTypeError

from helpers import check_grads, check_jit

R = np.random.RandomState(0)
V = R.randn(7)                                      # float64 vector
M = R.randn(4, 5)                                   # float64 matrix
MN = M.copy()
MN[1, 2] = np.nan
I = np.array([5, 3, 3, 1, 5, 5, 0, 2], np.int32)    # ints with repeats
I2 = np.array([3, 7, 0, 9], np.int32)

# (name, f(m, *args), args): m is numpy or jaxlite.numpy; results must agree.
CASES = [
    # searching, counting, sets
    ("searchsorted", lambda m, a, v: m.searchsorted(a, v), (np.sort(V), M)),
    ("searchsorted", lambda m, a, v: m.searchsorted(a, v, side="right"),
     (np.array([1., 2, 2, 3, np.nan]), np.array([2., 0, 5, np.nan]))),
    ("searchsorted", lambda m, a, v: m.searchsorted(a, v, sorter=np.argsort(a)), (V, M[0])),
    ("digitize", lambda m, x, b: m.digitize(x, b), (M, np.array([-1., 0, 0.5]))),
    ("digitize", lambda m, x, b: m.digitize(x, b, right=True), (M, np.array([1., 0, -0.5]))),
    ("bincount", lambda m, x: m.bincount(x), (I,)),
    ("bincount", lambda m, x: m.bincount(x, weights=np.arange(8.0), minlength=9), (I,)),
    ("lexsort", lambda m, a, b: m.lexsort((a, b)), (I, I[::-1].copy())),
    ("lexsort", lambda m, a: m.lexsort([a, a % 2], axis=0), (np.stack([I, I[::-1]], 1),)),
    ("unique", lambda m, x: m.unique(x), (I,)),
    ("unique", lambda m, x: m.unique(x, return_index=True, return_inverse=True,
                                     return_counts=True), (I.reshape(2, 4),)),
    ("unique", lambda m, x: m.unique(x, axis=0, return_counts=True),
     (np.array([[1, 2], [0, 1], [1, 2]]),)),
    ("unique", lambda m, x: m.unique(x), (np.array([1., np.nan, np.nan, 2.]),)),
    ("unique", lambda m, x: m.unique(x, equal_nan=False), (np.array([1., np.nan, np.nan]),)),
    # numpy's array-API unique_* do not sort (JAX's do): compared with np.unique.
    ("unique_values", lambda m, x: m.unique_values(x) if m is jnp else m.unique(x), (I,)),
    ("unique_counts", lambda m, x: tuple(m.unique_counts(x)) if m is jnp
     else m.unique(x, return_counts=True), (I,)),
    ("unique_inverse", lambda m, x: tuple(m.unique_inverse(x)) if m is jnp
     else m.unique(x, return_inverse=True), (I.reshape(4, 2),)),
    ("unique_all", lambda m, x: tuple(m.unique_all(x)) if m is jnp
     else m.unique(x, True, True, True), (I,)),
    ("isin", lambda m, x, t: m.isin(x, t), (I.reshape(2, 4), I2)),
    ("isin", lambda m, x, t: m.isin(x, t, invert=True), (I, I2)),
    ("setdiff1d", lambda m, a, b: m.setdiff1d(a, b), (I, I2)),
    ("intersect1d", lambda m, a, b: m.intersect1d(a, b), (I, I2)),
    ("intersect1d", lambda m, a, b: m.intersect1d(a, b, return_indices=True), (I, I2)),
    ("union1d", lambda m, a, b: m.union1d(a, b), (I, I2)),
    ("setxor1d", lambda m, a, b: m.setxor1d(a, b), (I, I2)),
    ("nonzero", lambda m, x: m.nonzero(x), (I.reshape(2, 4) % 2,)),
    ("argwhere", lambda m, x: m.argwhere(x), (I.reshape(2, 4) % 3,)),
    ("flatnonzero", lambda m, x: m.flatnonzero(x), (I % 3,)),
    # statistics
    ("quantile", lambda m, a: m.quantile(a, np.array([0.1, 0.5, 0.77]), axis=1), (M,)),
    ("quantile", lambda m, a: m.quantile(a, 0.3, axis=0, method="lower", keepdims=True), (M,)),
    ("quantile", lambda m, a: m.quantile(a, 0.3, method="higher"), (M,)),
    ("quantile", lambda m, a: m.quantile(a, 0.42, axis=(0, 1), method="nearest"), (M,)),
    ("quantile", lambda m, a: m.quantile(a, 0.42, axis=1, method="midpoint"), (MN,)),
    ("nanquantile", lambda m, a: m.nanquantile(a, np.array([0.2, 0.9]), axis=1), (MN,)),
    ("percentile", lambda m, a: m.percentile(a, 35, axis=-1), (M,)),
    ("nanpercentile", lambda m, a: m.nanpercentile(a, np.array([30, 60]), axis=0, keepdims=True), (MN,)),
    ("median", lambda m, a: m.median(a, axis=1), (MN,)),
    ("median", lambda m, a: m.median(a), (V,)),
    ("nanmedian", lambda m, a: m.nanmedian(a, axis=1), (MN,)),
    ("cov", lambda m, a: m.cov(a), (M,)),
    ("cov", lambda m, a: m.cov(a, rowvar=False, bias=True), (M,)),
    ("cov", lambda m, a, b: m.cov(a, b, fweights=np.array([1, 2, 1, 3, 1]),
                                       aweights=np.array([.5, 1, 2, 1, .3])),
     (M[0], M[1])),
    ("cov", lambda m, a: m.cov(a, ddof=0), (V,)),
    ("corrcoef", lambda m, a: m.corrcoef(a), (M,)),
    ("corrcoef", lambda m, a, b: m.corrcoef(a, b, rowvar=False), (M[:, :2], M[:, 2:4])),
    ("average", lambda m, a, w: m.average(a, axis=0, weights=w, returned=True), (M, V[:4])),
    ("average", lambda m, a: m.average(a, axis=1, returned=True, keepdims=True), (M,)),
    ("histogram", lambda m, a: m.histogram(a, bins=7), (V,)),
    ("histogram", lambda m, a, w: m.histogram(a, bins=np.array([-1., 0, 0.5, 2]), weights=w,
                                              density=True), (V, np.abs(V))),
    ("histogram", lambda m, a: m.histogram(a, bins=4, range=(-1, 1)), (M,)),
    ("histogram_bin_edges", lambda m, a: m.histogram_bin_edges(a, 5), (V,)),
    ("histogram_bin_edges", lambda m, a: m.histogram_bin_edges(a, 2), (np.ones(3),)),
    ("histogram2d", lambda m, x, y: m.histogram2d(x, y, bins=(3, 4),
                                                  range=[(-2, 2), (-1, 1)]), (M[0], M[1])),
    ("histogramdd", lambda m, s: m.histogramdd(s, bins=3, density=True), (M[:, :3],)),
    ("nancumsum", lambda m, a: m.nancumsum(a, axis=1), (MN,)),
    ("nancumprod", lambda m, a: m.nancumprod(a), (MN,)),
    # polynomials
    ("polyval", lambda m, p, x: m.polyval(p, x), (V[:4], M)),
    ("polyadd", lambda m, a, b: m.polyadd(a, b), (V[:2], V[2:5])),
    ("polysub", lambda m, a, b: m.polysub(a, b), (V[:4], V[2:5])),
    ("polymul", lambda m, a, b: m.polymul(a, b), (V[:3], V[3:5])),
    ("polydiv", lambda m, a, b: m.polydiv(a, b)[0], (V, V[:3])),
    ("polyder", lambda m, p: m.polyder(p, 2), (V[:5],)),
    ("polyint", lambda m, p: m.polyint(p, 2, k=np.array([1.0, 2.0])), (V[:3],)),
    ("polyint", lambda m, p: m.polyint(p), (V[:3],)),
    ("poly", lambda m, r: m.poly(r), (V[:4],)),
    ("polyfit", lambda m, x, y: m.polyfit(x, y, 3), (np.linspace(0, 1, 8), V[:8] if
                                                      len(V) >= 8 else np.sin(np.arange(8.)))),
    ("polyfit", lambda m, x, y: m.polyfit(x, y, 2, w=x + 1), (np.linspace(0, 1, 7), V)),
    ("polyfit", lambda m, x, y: m.polyfit(x, y, 2, cov=True), (np.linspace(0, 1, 7), V)),
    ("vander", lambda m, x: m.vander(x), (V[:4],)),
    ("vander", lambda m, x: m.vander(x, 3, increasing=True), (V[:4],)),
    # manipulation
    ("insert", lambda m, a: m.insert(a, 1, np.array([7., 8., 9.]), axis=1), (M[:, :3].T.copy(),)),
    ("insert", lambda m, a: m.insert(a, np.array([1, 3]), np.array([10., 20.])), (V,)),
    ("insert", lambda m, a: m.insert(a, slice(0, 4, 2), 9.), (V,)),
    ("delete", lambda m, a: m.delete(a, np.array([0, 2]), axis=1), (M,)),
    ("delete", lambda m, a: m.delete(a, slice(1, None, 2)), (V,)),
    ("delete", lambda m, a: m.delete(a, -1), (M,)),
    ("resize", lambda m, a: m.resize(a, (3, 5)), (V,)),
    ("trim_zeros", lambda m, a: m.trim_zeros(a), (np.array([0., 0, 1, 0, 2, 0]),)),
    ("trim_zeros", lambda m, a: m.trim_zeros(a, "b"), (np.array([0., 0, 1, 0, 2, 0]),)),
    ("compress", lambda m, a: m.compress(np.array([True, False, True]), a, axis=1), (M,)),
    ("extract", lambda m, a: m.extract(a > 0, a), (M,)),
    ("choose", lambda m, i, a, b: m.choose(i, [a, b]), (I.reshape(2, 4) % 2, M[:2, :4], 0.5)),
    ("choose", lambda m, i, a, b: m.choose(i, [a, b], mode="wrap"), (I[:4], V[:4], -V[:4])),
    ("choose", lambda m, i, a, b: m.choose(i, [a, b], mode="clip"), (I[:4], V[:4], -V[:4])),
    ("ix_", lambda m, a, b: m.ix_(a, b), (I[:3], np.array([True, False, True]))),
    ("diag_indices", lambda m: m.diag_indices(3, 3), ()),
    ("diag_indices_from", lambda m, a: m.diag_indices_from(a), (np.ones((4, 4)),)),
    ("mask_indices", lambda m: m.mask_indices(3, np.triu, 1), ()),
    ("ravel_multi_index", lambda m, i, j: m.ravel_multi_index((i, j), (4, 3)),
     (np.array([0, 3, 2]), np.array([2, 1, 0]))),
    ("ravel_multi_index", lambda m, i, j: m.ravel_multi_index((i, j), (4, 3), mode="clip",
                                                              order="F"),
     (np.array([0, 7, 2]), np.array([-2, 1, 0]))),
    ("ravel_multi_index", lambda m, i, j: m.ravel_multi_index((i, j), (4, 3), mode="wrap"),
     (np.array([0, 7, 2]), np.array([-2, 1, 0]))),
    ("unravel_index", lambda m, i: m.unravel_index(i, (2, 3, 4)), (np.array([0, 5, 23, 17]),)),
    ("block", lambda m, a, b: m.block([[a, b], [b, a]]), (M[:2, :2], M[2:, 2:4])),
    ("block", lambda m, a: m.block([1.0, a]), (V,)),
    ("dstack", lambda m, a, b: m.dstack([a, b]), (V, V)),
    ("dstack", lambda m, a: m.dstack([a, a]), (M,)),
    ("dsplit", lambda m, a: m.dsplit(a, 2), (np.arange(24.).reshape(2, 3, 4),)),
    ("dsplit", lambda m, a: m.dsplit(a, [1, 3]), (np.arange(24.).reshape(2, 3, 4),)),
    ("rollaxis", lambda m, a: m.rollaxis(a, 2), (np.arange(24.).reshape(2, 3, 4),)),
    ("rollaxis", lambda m, a: m.rollaxis(a, 0, 3), (np.arange(24.).reshape(2, 3, 4),)),
    ("rollaxis", lambda m, a: m.rollaxis(a, -1, 1), (np.arange(24.).reshape(2, 3, 4),)),
    ("diagflat", lambda m, a: m.diagflat(a, -1), (M[:2, :2],)),
    ("array_equiv", lambda m, a, b: m.array_equiv(a, b), (np.ones((2, 3)), np.ones(3))),
    ("array_equiv", lambda m, a, b: m.array_equiv(a, b), (np.ones((2, 3)), np.ones(2))),
    ("ediff1d", lambda m, a: m.ediff1d(a, to_end=np.array([9.0]), to_begin=0.0), (M,)),
    ("diff", lambda m, a: m.diff(a, axis=1, prepend=-1.0, append=np.ones((4, 2))), (M,)),
    ("diff", lambda m, a: m.diff(a, n=2, axis=0, prepend=a[:1]), (M,)),
    ("copy", lambda m, a: m.copy(a), (M,)),
    ("meshgrid", lambda m, a, b: m.meshgrid(a, b, indexing="ij", sparse=True), (V, V[:3])),
    # calculus and windows
    ("gradient", lambda m, f: m.gradient(f), (M,)),
    ("gradient", lambda m, f, x: m.gradient(f, x), (V, np.cumsum(np.abs(V)) + 0.1)),
    ("gradient", lambda m, f: m.gradient(f, 0.5, axis=1), (M,)),
    ("trapezoid", lambda m, y: m.trapezoid(y, dx=0.5), (M,)),
    ("trapezoid", lambda m, y, x: m.trapezoid(y, x, axis=0), (M, np.arange(4.) ** 2)),
    ("interp", lambda m, x, xp, fp: m.interp(x, xp, fp), (M, np.sort(V), V)),
    ("interp", lambda m, x, xp, fp: m.interp(x, xp, fp, left=-9.0, right=9.0),
     (M, np.sort(V), V)),
    ("interp", lambda m, x, xp, fp: m.interp(x, xp, fp, period=2.0), (M, np.sort(V), V)),
    ("unwrap", lambda m, p: m.unwrap(p), (np.cumsum(np.abs(V) * 2),)),
    ("unwrap", lambda m, p: m.unwrap(p, axis=0, period=4.0), (np.cumsum(np.abs(M), 0),)),
    ("bartlett", lambda m: m.bartlett(7), ()), ("blackman", lambda m: m.blackman(6), ()),
    ("hamming", lambda m: m.hamming(5), ()), ("hanning", lambda m: m.hanning(1), ()),
    ("kaiser", lambda m: m.kaiser(6, 4.0), ()),
    ("i0", lambda m, x: m.i0(x), (np.linspace(-30, 30, 61),)),
    ("angle", lambda m, x: m.angle(x), (np.array([-1., 0., -0., 3.]),)),
    ("angle", lambda m, x: m.angle(x, deg=True), (np.array([-1, 2]),)),
    ("iscomplex", lambda m, x: m.iscomplex(x), (V,)),
    ("isreal", lambda m, x: m.isreal(x), (V,)),
    # bits and float bit-level helpers
    ("left_shift", lambda m, a, s: m.left_shift(a, s),
     (R.randint(-1000, 1000, 50).astype(np.int32), R.randint(0, 31, 50).astype(np.int32))),
    ("right_shift", lambda m, a, s: m.right_shift(a, s),
     (R.randint(-1000, 1000, 50).astype(np.int32), R.randint(0, 31, 50).astype(np.int32))),
    ("bitwise_left_shift", lambda m, a: m.bitwise_left_shift(a, 3), (I,)),
    ("bitwise_right_shift", lambda m, a: m.bitwise_right_shift(a, 1), (I - 3,)),
    ("bitwise_invert", lambda m, a: m.bitwise_invert(a), (I,)),
    ("bitwise_count", lambda m, a: m.bitwise_count(a),
     (np.array([-1, 7, -2 ** 31, 2 ** 31 - 1, 0], np.int32),)),
    ("packbits", lambda m, a: m.packbits(a, axis=1), (np.array([[1, 0, 1], [0, 1, 1]]),)),
    ("packbits", lambda m, a: m.packbits(a, bitorder="little"), (I % 2 == 0,)),
    ("unpackbits", lambda m, a: m.unpackbits(a), (np.array([5, 255, 0], np.uint8),)),
    ("unpackbits", lambda m, a: m.unpackbits(a, axis=1, count=3, bitorder="little"),
     (np.array([[5], [3]], np.uint8),)),
    ("unpackbits", lambda m, a: m.unpackbits(a, axis=0, count=10), (np.array([7, 1], np.uint8),)),
    ("gcd", lambda m, a, b: m.gcd(a, b), (np.array([12, -18, 0, 7]), np.array([8, 12, 0, -21]))),
    ("lcm", lambda m, a, b: m.lcm(a, b), (np.array([4, -6, 0, 7]), np.array([6, 4, 5, 3]))),
    ("frexp", lambda m, x: m.frexp(x), (np.array([0., 1., -3.5, 1e-300, 7e200]),)),
    ("ldexp", lambda m, x, e: m.ldexp(x, e), (V[:4], np.array([2, -1, 100, -1030]))),
    ("modf", lambda m, x: m.modf(x), (V * 3,)),
    ("spacing", lambda m, x: m.spacing(x), (np.array([1., -1., 0., 1e-310, 3e100]),)),
    ("nextafter", lambda m, x, y: m.nextafter(x, y),
     (np.array([1., 1., 0., 0.5, -2.0]), np.array([2., 0., -1., 0., -3.]))),
    # host helpers
    ("can_cast", lambda m: (m.can_cast(np.int32, np.float32), m.can_cast(np.int32,
                                                                         np.float64)), ()),
    ("isscalar", lambda m: (m.isscalar(1.0), m.isscalar(np.float32(1)), m.isscalar("a"),
                            m.isscalar(np.ones(1))), ()),
    ("iterable", lambda m: (m.iterable([1]), m.iterable(1.0)), ()),
    ("array_str", lambda m, a: m.array_str(a, precision=3), (V,)),
    ("array_repr", lambda m, a: m.array_repr(a), (np.ones(2),)),
    ("r_", lambda m, a: m.r_[1:3, a, 0.5], (V[:2],)),
    ("r_", lambda m, a, b: m.r_["0,2", a, b], (V[:2], V[2:4])),
    ("r_", lambda m: m.r_[0:1:5j], ()),
    ("r_", lambda m: m.r_["0,2", [1, 2], [3, 4]], ()),
    ("c_", lambda m: m.c_[[1, 2], [3, 4]], ()),
    ("c_", lambda m, a, b: m.c_[a, b], (V[:2], V[2:4])),
    ("mgrid", lambda m: m.mgrid[0:2, 0:3], ()),
    ("ogrid", lambda m: m.ogrid[0:2, 1:4:2], ()),
]


def _np_result(out):
    if isinstance(out, (tuple, list)):
        return [_np_result(o) for o in out]
    return np.asarray(out)


def _compare(got, want):
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), (got, want)
        for g, w in zip(got, want):
            _compare(g, w)
        return
    if isinstance(want, str):
        assert got == want
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name,f,args", CASES, ids=[c[0] for c in CASES])
def test_matches_numpy(name, f, args):
    _compare(_np_result(f(jnp, *args)), _np_result(f(np, *args)))


# --------------------------------------------- jit (static size= where needed)

JIT_CASES = [
    ("unique", lambda x: jnp.unique(x, size=6, return_index=True, return_inverse=True,
                                    return_counts=True), (I,)),
    ("unique", lambda x: jnp.unique(x, size=3, fill_value=-1), (I,)),
    ("unique_counts", lambda x: tuple(jnp.unique_counts(x, size=7)), (I,)),
    ("setdiff1d", lambda a, b: jnp.setdiff1d(a, b, size=6), (I, I2)),
    ("intersect1d", lambda a, b: jnp.intersect1d(a, b, size=3, return_indices=True), (I, I2)),
    ("union1d", lambda a, b: jnp.union1d(a, b, size=9), (I, I2)),
    ("setxor1d", lambda a, b: jnp.setxor1d(a, b, size=8), (I, I2)),
    ("nonzero", lambda x: jnp.nonzero(x, size=6, fill_value=-1), (I.reshape(2, 4) % 2,)),
    ("where", lambda x: jnp.where(x, size=3), (I % 2,)),
    ("argwhere", lambda x: jnp.argwhere(x, size=5), (I.reshape(2, 4) % 3,)),
    ("flatnonzero", lambda x: jnp.flatnonzero(x, size=9, fill_value=7), (I % 3,)),
    ("compress", lambda c, a: jnp.compress(c, a, size=3, fill_value=-1.0), (V > 0, V)),
    ("extract", lambda c, a: jnp.extract(c, a, size=4), (M > 0, M)),
    ("bincount", lambda x, w: jnp.bincount(x, w, length=4), (I, V[:1].repeat(8))),
    ("searchsorted", lambda a, v: jnp.searchsorted(a, v), (np.sort(V), M)),
    ("digitize", lambda x, b: jnp.digitize(x, b), (M, np.array([-1., 0, 0.5]))),
    ("lexsort", lambda a, b: jnp.lexsort((a, b)), (I, I[::-1].copy())),
    ("quantile", lambda a: jnp.quantile(a, jnp.array([0.2, 0.6]), axis=0), (M,)),
    ("nanmedian", lambda a: jnp.nanmedian(a, axis=1), (MN,)),
    ("cov", lambda a: jnp.cov(a), (M,)),
    ("histogram", lambda a: jnp.histogram(a, bins=5), (V,)),
    ("histogram2d", lambda x, y: jnp.histogram2d(x, y, bins=3), (M[0], M[1])),
    ("polyval", lambda p, x: jnp.polyval(p, x), (V[:4], M)),
    ("polymul", lambda a, b: jnp.polymul(a, b), (V[:3], V[3:5])),
    ("polydiv", lambda a, b: jnp.polydiv(a, b), (V, V[:3])),
    ("polyfit", lambda x, y: jnp.polyfit(x, y, 2), (np.linspace(0, 1, 7), V)),
    ("insert", lambda a, v: jnp.insert(a, 2, v), (V, V[:2])),
    ("delete", lambda a: jnp.delete(a, np.array([0, 3])), (V,)),
    ("put", lambda a, i, v: jnp.put(a, i, v, inplace=False), (V, I[:3], V[:2])),
    ("place", lambda a, v: jnp.place(a, a > 0, v, inplace=False), (V, V[:2])),
    ("put_along_axis", lambda a, i: jnp.put_along_axis(a, i, 5.0, axis=1, inplace=False),
     (M, np.array([[0], [2], [1], [4]]))),
    ("fill_diagonal", lambda a: jnp.fill_diagonal(a, 5.0, inplace=False), (M,)),
    ("choose", lambda i, a, b: jnp.choose(i, [a, b], mode="clip"), (I[:4], V[:4], -V[:4])),
    ("unravel_index", lambda i: jnp.unravel_index(i, (2, 3, 4)), (np.array([0, 5, 23, 17]),)),
    ("ravel_multi_index", lambda i, j: jnp.ravel_multi_index((i, j), (4, 3), mode="wrap"),
     (np.array([0, 7, 2]), np.array([-2, 1, 0]))),
    ("gradient", lambda f: jnp.gradient(f), (M,)),
    ("interp", lambda x, xp, fp: jnp.interp(x, xp, fp), (M, np.sort(V), V)),
    ("unwrap", lambda p: jnp.unwrap(p), (np.cumsum(np.abs(V) * 2),)),
    ("i0", lambda x: jnp.i0(x), (np.linspace(-30, 30, 61),)),
    ("gcd", lambda a, b: jnp.gcd(a, b), (np.array([12, -18, 0, 7]), np.array([8, 12, 0, -21]))),
    ("lcm", lambda a, b: jnp.lcm(a, b), (np.array([4, -6, 0, 7]), np.array([6, 4, 5, 3]))),
    ("left_shift", lambda a, s: jnp.left_shift(a, s),
     (np.array([1, -3, 5], np.int32), np.array([31, 2, 40], np.int32))),
    ("right_shift", lambda a, s: jnp.right_shift(a, s),
     (np.array([-8, -8, 8, 8], np.int32), np.array([1, 40, 2, -1], np.int32))),
    ("frexp", lambda x: jnp.frexp(x), (V * 100,)),
    ("ldexp", lambda x, e: jnp.ldexp(x, e), (V[:4], np.array([2, -1, 100, -30]))),
    ("nextafter", lambda x, y: jnp.nextafter(x, y), (V, -V)),
    ("spacing", lambda x: jnp.spacing(x), (V * 1e5,)),
    ("vectorize", lambda a, b: jnp.vectorize(jnp.dot, signature="(n),(n)->()")(a, b),
     (M, V[:5])),
    ("apply_along_axis", lambda a: jnp.apply_along_axis(jnp.cumsum, 0, a), (M,)),
    ("piecewise", lambda x: jnp.piecewise(x, [x < 0, x > 1], [lambda v: -v, 1.0, 0.5]), (V,)),
    ("trim_zeros", lambda a: jnp.trim_zeros(a), (np.array([0., 1, 0, 2, 0]),)),
]


@pytest.mark.parametrize("name,f,args", JIT_CASES, ids=[c[0] for c in JIT_CASES])
def test_jit_matches_eager(name, f, args):
    if name == "trim_zeros":      # the result's length depends on the values
        with pytest.raises(ConcretizationTypeError):
            jaxlite.jit(f)(*args)
        return
    check_jit(f, args)


def test_size_results_match_jax():
    # Expected values printed by JAX 0.10.2 for the same calls.
    a, b = jnp.array([5, 2, 3, 3, 4]), jnp.array([2, 4, 7, 9])
    np.testing.assert_array_equal(jnp.setdiff1d(a, b, size=5), [3, 5, 0, 0, 0])
    np.testing.assert_array_equal(jnp.intersect1d(a, b, size=4), [2, 4, 2, 2])
    np.testing.assert_array_equal(jnp.setxor1d(a, b, size=7), [3, 5, 7, 9, 3, 3, 3])
    np.testing.assert_array_equal(jnp.union1d(a, b, size=8), [2, 3, 4, 5, 7, 9, 2, 2])
    _, i1, i2 = jnp.intersect1d(a, b, size=4, return_indices=True)
    np.testing.assert_array_equal(i1, [1, 4, 5, 5])
    np.testing.assert_array_equal(i2, [0, 1, 4, 4])
    x = jnp.array([[3, 1], [2, 3]])
    u, inv = jnp.unique(x, return_inverse=True, size=5)
    np.testing.assert_array_equal(u, [1, 2, 3, 1, 1])
    np.testing.assert_array_equal(inv, [[2, 0], [1, 2]])
    np.testing.assert_array_equal(jnp.bincount(jnp.array([0, 1, 1, -1, 5]), length=4),
                                  [2, 2, 0, 0])
    r, c = jnp.nonzero(jnp.array([[0, 1, 0], [2, 0, 3]]), size=4, fill_value=(-1, -2))
    np.testing.assert_array_equal(r, [0, 1, 1, -1])
    np.testing.assert_array_equal(c, [1, 0, 2, -2])
    np.testing.assert_array_equal(jnp.unravel_index(jnp.array([3, 7, -1, 100]), (2, 4))[1],
                                  [3, 3, 3, 3])


def test_value_dependent_shapes_need_size_under_jit():
    for f in (jnp.unique, lambda x: jnp.setdiff1d(x, x[:2]), lambda x: jnp.nonzero(x),
              lambda x: jnp.bincount(x), lambda x: jnp.compress(x > 2, x)):
        with pytest.raises(ConcretizationTypeError):
            jaxlite.jit(f)(jnp.array([1, 2, 3, 3]))


def test_jax_conventions():
    a = jnp.arange(6.0)
    # put: clamps by default, cycles short values (JAX's and numpy's rule).
    np.testing.assert_array_equal(jnp.put(a, jnp.array([0, 2, 4, 7]), jnp.array([9., 8]),
                                          inplace=False), [9, 1, 8, 3, 9, 8])
    np.testing.assert_array_equal(jnp.put(a, jnp.array([0, 9]), 5., mode="wrap",
                                          inplace=False), [5, 1, 2, 5, 4, 5])
    np.testing.assert_array_equal(jnp.place(a, a > 2, jnp.array([10., 20]), inplace=False),
                                  [0, 1, 2, 10, 20, 10])
    for f in (lambda: jnp.put(a, 1, 5.0), lambda: jnp.place(a, a > 1, 0.0),
              lambda: jnp.fill_diagonal(jnp.zeros((2, 2)), 1.0),
              lambda: jnp.put_along_axis(a, jnp.array([0]), 1.0, axis=0)):
        with pytest.raises(ValueError, match="in-place"):
            f()
    np.testing.assert_array_equal(jnp.fill_diagonal(jnp.zeros((3, 4)), 5.0, inplace=False),
                                  np.eye(3, 4) * 5)
    with pytest.raises(NotImplementedError):
        jnp.fill_diagonal(jnp.zeros((7, 3)), 1.0, wrap=True, inplace=False)
    np.testing.assert_array_equal(jnp.polymul(jnp.array([0., 1, 2]), jnp.array([1., 3])),
                                  [0, 1, 5, 6])          # not trimmed, as JAX
    np.testing.assert_array_equal(jnp.polymul(jnp.array([0., 1, 2]), jnp.array([1., 3]),
                                              trim_leading_zeros=True), [1, 5, 6])
    q, r = jnp.polydiv(jnp.array([1., 2, 3, 4]), jnp.array([2., 1]))
    np.testing.assert_allclose(r, [0, 0, 0, 2.875])      # remainder keeps u's length
    np.testing.assert_array_equal(jnp.piecewise(jnp.array([1, 2, 3]),
                                                [jnp.array([True, False, False])],
                                                [lambda x: x * 2.5, 7]), [2, 7, 7])
    with pytest.raises(ValueError, match="invalid entry"):
        jnp.choose(jnp.array([0, 5]), [jnp.arange(2), jnp.arange(2)])
    with pytest.raises(ValueError, match="invalid entry"):
        jnp.ravel_multi_index((jnp.array([0, 4]),), (4,))
    # JAX 0.10.2's result dtypes for these calls.
    assert jnp.polymul(jnp.array([1, 2]), jnp.array([3])).dtype == np.float32
    assert jnp.histogram(jnp.array([1, 2, 3]), bins=2)[0].dtype == np.float32
    assert jnp.histogram2d(jnp.ones(3), jnp.ones(3), bins=2)[0].dtype == np.int32
    assert jnp.histogramdd(jnp.ones((3, 2)), bins=2, density=True)[0].dtype == np.float32
    assert jnp.packbits(jnp.array([1, 0, 1])).dtype == np.uint8          # as JAX
    assert jnp.unpackbits(jnp.array([3], jnp.uint8)).dtype == np.uint8
    assert jnp.bitwise_count(jnp.array([7, -1])).dtype == np.uint8
    with pytest.raises(TypeError, match="uint8"):
        jnp.unpackbits(jnp.array([3]))
    assert jnp.isscalar(jnp.array(1.0)) and not jnp.isscalar(jnp.ones(1))
    assert not jnp.iscomplexobj(jnp.ones(2)) and jnp.isrealobj(jnp.ones(2))
    with pytest.raises(NotImplementedError):
        jnp.poly(jnp.eye(2))


def test_partition_and_argpartition():
    x = R.randn(3, 9)
    for kth in (0, 4, -1):
        p = np.asarray(jnp.partition(x, kth, axis=1))
        s = np.sort(x, axis=1)
        np.testing.assert_array_equal(p[:, kth], s[:, kth])
        assert (p[:, :kth % 9] <= p[:, [kth]]).all() and (p[:, kth % 9:] >= p[:, [kth]]).all()
        idx = np.asarray(jnp.argpartition(x, kth, axis=1))
        np.testing.assert_array_equal(np.take_along_axis(x, idx, 1)[:, kth], s[:, kth])
    with pytest.raises(ValueError):
        jnp.partition(x, 9)
    with pytest.raises(TypeError):
        jnp.partition(x, jnp.array(1))


# ------------------------------------------------ functional helpers

def test_vectorize_signatures_and_excluded():
    mm = jnp.vectorize(jnp.matmul, signature="(m,n),(n)->(m)")
    b, v = R.rand(5, 1, 3, 4), R.rand(2, 4)
    expected = np.vectorize(np.matmul, signature="(m,n),(n)->(m)")(b, v)
    np.testing.assert_allclose(mm(b, v), expected)
    f = jnp.vectorize(lambda a, b, p: a ** p + b, excluded={2})
    np.testing.assert_allclose(f(jnp.arange(3.), jnp.ones((2, 1)), 2), [[1, 2, 5]] * 2)
    two = jnp.vectorize(lambda x: (x, 2 * x))(jnp.arange(3.))
    np.testing.assert_allclose(two[1], [0, 2, 4])
    calls = []
    jnp.vectorize(lambda x: calls.append(1) or x * 2)(jnp.arange(100.))
    assert len(calls) == 1                 # traced once (vmap), not once per element
    with pytest.raises(ValueError, match="core dimension"):
        mm(R.rand(3, 4), R.rand(5))
    with pytest.raises(ValueError, match="signature"):
        jnp.vectorize(jnp.dot, signature="(n)->")(V)


def test_apply_along_and_over_axes():
    a = R.rand(2, 3, 4)
    np.testing.assert_allclose(jnp.apply_along_axis(lambda v: jnp.outer(v, v), 1, a),
                               np.apply_along_axis(lambda v: np.outer(v, v), 1, a))
    np.testing.assert_allclose(jnp.apply_along_axis(jnp.sum, 2, a), a.sum(2))
    np.testing.assert_allclose(jnp.apply_along_axis(lambda v, s: v * s, 0, a, 3.0), a * 3)
    np.testing.assert_allclose(jnp.apply_over_axes(jnp.sum, a, [0, 2]),
                               np.apply_over_axes(np.sum, a, [0, 2]))


def test_piecewise_and_fromfunction():
    x = np.linspace(-2, 2, 9)
    f = lambda m: m.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v ** 2])  # noqa
    np.testing.assert_allclose(f(jnp), f(np))
    g = lambda m: m.piecewise(x, [x < -1, x > 1], [0.0, 1.0, lambda v: v / 2])  # noqa
    np.testing.assert_allclose(g(jnp), g(np))
    np.testing.assert_allclose(jnp.fromfunction(lambda i, j: i * 10 + j, (2, 3)),
                               np.fromfunction(lambda i, j: i * 10 + j, (2, 3)))
    assert jnp.fromfunction(lambda i: i, (3,), dtype=int).dtype == np.int32


def test_frompyfunc_ufunc():
    u = jnp.frompyfunc(lambda a, b: a * b + 1, 2, 1, identity=1)
    assert isinstance(u, jnp.ufunc) and (u.nin, u.nout, u.identity) == (2, 1, 1)
    x = jnp.arange(1.0, 5.0)
    # Expected values printed by JAX 0.10.2 for the same ufunc.
    np.testing.assert_allclose(u(x, 2.0), [3, 5, 7, 9])
    np.testing.assert_allclose(u.outer(x[:2], x[:3]), [[2, 3, 4], [3, 5, 7]])
    np.testing.assert_allclose(u.reduce(x), 65.0)
    np.testing.assert_allclose(u.accumulate(x), [1, 3, 10, 41])
    np.testing.assert_allclose(u.reduce(jnp.ones((2, 3)), axis=1, keepdims=True), [[4], [4]])
    np.testing.assert_allclose(jaxlite.jit(u.reduce)(x), 65.0)
    with pytest.raises(TypeError):
        u(x)


# ---------------------------------------------------------- derivatives

GRAD_CASES = [
    ("quantile", lambda a: jnp.quantile(a, jnp.array([0.3, 0.8]), axis=1), (M,)),
    ("median", lambda a: jnp.median(a, axis=0), (M,)),
    ("nanpercentile", lambda a: jnp.nanpercentile(a, 40.0), (V,)),
    ("cov", lambda a: jnp.cov(a), (M,)),
    ("corrcoef", lambda a: jnp.corrcoef(a), (M,)),
    ("average", lambda a, w: jnp.average(a, axis=0, weights=w), (M, np.abs(V[:4]) + 0.5)),
    ("polyval", lambda p, x: jnp.polyval(p, x), (V[:4], V)),
    ("polymul", lambda a, b: jnp.polymul(a, b), (V[:3], V[3:5])),
    ("polydiv", lambda a, b: jnp.polydiv(a, b), (V, V[:3] + np.array([2.0, 0, 0]))),
    ("polyfit", lambda x, y: jnp.polyfit(x, y, 2), (np.linspace(0, 1, 7), V)),
    ("poly", lambda r: jnp.poly(r), (V[:3],)),
    ("polyint", lambda p: jnp.polyint(p, 2), (V[:3],)),
    ("insert", lambda a, v: jnp.insert(a, np.array([1, 3]), v), (V, V[:2])),
    ("delete", lambda a: jnp.delete(a, np.array([0, 2]), axis=1), (M,)),
    ("resize", lambda a: jnp.resize(a, (3, 4)), (V,)),
    ("place", lambda a, v: jnp.place(a, V > 0, v, inplace=False), (V, V[:2])),
    ("put", lambda a, v: jnp.put(a, np.array([0, 3]), v, inplace=False), (V, V[:2])),
    ("choose", lambda a, b: jnp.choose(np.array([0, 1, 1, 0]), [a, b]), (V[:4], V[3:])),
    ("gradient", lambda f: jnp.gradient(f, axis=1), (M,)),
    ("trapezoid", lambda y, x: jnp.trapezoid(y, x), (V, np.cumsum(np.abs(V)))),
    ("interp", lambda x, fp: jnp.interp(x, np.arange(7.0), fp), (np.array([0.5, 2.2, 5.9]), V)),
    ("unwrap", lambda p: jnp.unwrap(p), (np.cumsum(np.abs(V) * 2),)),
    ("i0", lambda x: jnp.i0(x), (np.array([0.3, -2.0, 14.0, 16.0, 25.0]),)),
    ("vectorize", lambda a: jnp.vectorize(lambda v: jnp.sin(v) * v)(a), (M,)),
    ("apply_along_axis", lambda a: jnp.apply_along_axis(jnp.cumprod, 1, a), (M,)),
    ("piecewise", lambda x: jnp.piecewise(x, [x < 0], [jnp.sin, jnp.cos]), (V,)),
    ("ldexp", lambda x: jnp.ldexp(x, np.array([1, -2, 3, 0, 5, -1, 2])), (V,)),
]


@pytest.mark.parametrize("name,f,args", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_derivatives(name, f, args):
    check_grads(f, args, order=1, rtol=1e-4, atol=1e-5)


def test_nextafter_and_spacing_are_exact_in_both_precisions():
    x32 = (R.randn(500) * 10.0 ** R.randint(-30, 30, 500)).astype(np.float32)
    y32 = R.randn(500).astype(np.float32)
    assert (np.asarray(jnp.nextafter(x32, y32)) == np.nextafter(x32, y32)).all()
    assert (np.asarray(jnp.spacing(x32)) == np.spacing(x32)).all()
    m, e = jnp.frexp(x32)
    nm, ne = np.frexp(x32)
    assert (np.asarray(m) == nm).all() and (np.asarray(e) == ne).all()
    x64 = R.randn(500) * 10.0 ** R.randint(-300, 300, 500)
    assert (np.asarray(jnp.nextafter(x64, -x64)) == np.nextafter(x64, -x64)).all()
    p2 = np.float32(2.0) ** np.arange(-125, 127).astype(np.float32)
    assert (np.asarray(jnp.nextafter(p2, np.float32(0))) == np.nextafter(p2, np.float32(0))).all()


def test_host_helpers(tmp_path):
    path = str(tmp_path / "x.npy")
    jnp.save(path, jnp.arange(3.0))
    loaded = jnp.load(path)
    assert isinstance(loaded, jaxlite.Array)
    np.testing.assert_array_equal(loaded, [0, 1, 2])
    jnp.savez(str(tmp_path / "z.npz"), a=jnp.ones(2))
    assert np.load(str(tmp_path / "z.npz"))["a"].tolist() == [1, 1]
    buf = np.array([1, 2], np.int32).tobytes()
    np.testing.assert_array_equal(jnp.frombuffer(buf, dtype=np.int32), [1, 2])
    raw = jnp.frombuffer(b"\x01\x02", dtype=np.uint8)
    assert raw.dtype == np.uint8 and raw.tolist() == [1, 2]
    np.testing.assert_array_equal(jnp.fromstring("1 2", sep=" "), [1.0, 2.0])
    np.testing.assert_array_equal(jnp.fromiter(iter([1, 2, 3]), np.int32), [1, 2, 3])
    np.arange(4.0).tofile(str(tmp_path / "raw"))
    np.testing.assert_array_equal(jnp.fromfile(str(tmp_path / "raw"), np.float64), np.arange(4.))
    np.testing.assert_array_equal(jnp.from_dlpack(np.arange(3)), [0, 1, 2])
    path, text = jnp.einsum_path("ij,jk,kl->il", np.ones((2, 3)), np.ones((3, 4)),
                                 np.ones((4, 5)))
    assert len(path) == 2 and "Complete contraction" in text
    with jnp.printoptions(precision=2):
        assert jnp.get_printoptions()["precision"] == 2
        assert jnp.array_str(jnp.array([1.23456])) == "[1.23]"
    old = jnp.get_printoptions()["precision"]
    jnp.set_printoptions(precision=old)
    assert jnp.s_[1:2] == slice(1, 2) and jnp.index_exp[1] == (1,)


def test_index_dtypes_follow_jax_in_both_modes():
    from jaxlite.experimental import enable_x64
    a, f = jnp.array([3, 1, 3]), np.arange(3.0)
    # JAX 0.10.2's dtypes: indices are the default int, searchsorted/digitize int32.
    for mode, default in ((False, np.int32), (True, np.int64)):
        ctx = enable_x64() if mode else _nothing()
        with ctx:
            assert jnp.unique(a, return_index=True, size=3)[1].dtype == default
            assert jnp.bincount(a).dtype == default
            assert jnp.nonzero(a, size=2)[0].dtype == default
            assert jnp.lexsort((a,)).dtype == default
            assert jnp.unravel_index(a, (4,))[0].dtype == default
            assert jnp.searchsorted(f, f).dtype == np.int32
            assert jnp.digitize(f, f).dtype == np.int32


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
