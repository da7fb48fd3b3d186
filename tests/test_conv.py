"""lax.conv_general_dilated and its wrappers against a direct numpy loop nest,
derivatives against finite differences, vmap against loops, jit against eager,
and the errors JAX raises."""
import itertools

import numpy as np
import pytest

import jaxlite
from jaxlite import lax
from helpers import check_grads

RNG = np.random.default_rng(7)


def ref_conv(x, w, strides, padding, lhs_dil, rhs_dil, dn, fgc=1, bgc=1, dtype=None):
    """Direct definition, one output element at a time: canonical layouts, then
    for every output index sum over the window and the group's in features."""
    lspec, rspec, ospec = dn
    x = np.transpose(x, lspec)
    w = np.transpose(w, rspec)
    dtype = dtype or x.dtype
    n, c = x.shape[:2]
    o, cg = w.shape[:2]
    sp, win = x.shape[2:], w.shape[2:]
    nsp = len(sp)
    out_sp = []
    for d in range(nsp):
        size = (sp[d] - 1) * lhs_dil[d] + 1 + padding[d][0] + padding[d][1] if sp[d] else \
            padding[d][0] + padding[d][1]
        eff = (win[d] - 1) * rhs_dil[d] + 1
        out_sp.append(max(0, (size - eff) // strides[d] + 1) if size >= eff else 0)
    groups = max(fgc, bgc)
    nb = n // bgc
    out = np.zeros((nb, o) + tuple(out_sp), dtype)
    for b_, oc in itertools.product(range(nb), range(o)):
        g = oc // (o // groups)
        for pos in itertools.product(*[range(s) for s in out_sp]):
            acc = np.zeros((), dtype)
            for ci in range(cg):
                chan = g * cg + ci if fgc > 1 else ci
                batch = g * nb + b_ if bgc > 1 else b_
                for j in itertools.product(*[range(k) for k in win]):
                    src = []
                    for d in range(nsp):
                        p = pos[d] * strides[d] + j[d] * rhs_dil[d] - padding[d][0]
                        if p < 0 or p % lhs_dil[d] or p // lhs_dil[d] >= sp[d]:
                            break
                        src.append(p // lhs_dil[d])
                    else:
                        acc = acc + x[(batch, chan) + tuple(src)].astype(dtype) * \
                            w[(oc, ci) + j].astype(dtype)
            out[(b_, oc) + pos] = acc
    return np.transpose(out, np.argsort(ospec))


def _specs(nsp, layout):
    iota = tuple(range(nsp + 2))
    if layout == "NC":
        return lax.ConvDimensionNumbers(iota, iota, iota)
    last = (0, nsp + 1) + tuple(range(1, nsp + 1))               # N...C
    kern = (nsp + 1, nsp) + tuple(range(nsp))                      # ...IO
    return lax.ConvDimensionNumbers(last, kern, last)


def _shape(canon, spec):
    shape = [0] * len(spec)
    for pos, d in enumerate(spec):
        shape[d] = canon[pos]
    return tuple(shape)


CASES = [
    # nsp, layout, n, c, o, spatial, window, strides, padding, lhs_dil, rhs_dil, fgc, bgc
    (1, "NC", 2, 3, 4, (7,), (3,), (1,), ((0, 0),), (1,), (1,), 1, 1),
    (1, "NL", 2, 4, 6, (8,), (2,), (2,), ((1, 2),), (1,), (2,), 2, 1),
    (2, "NC", 2, 3, 4, (5, 6), (3, 2), (1, 2), ((1, 1), (0, 2)), (1, 1), (1, 1), 1, 1),
    (2, "NL", 1, 2, 3, (4, 5), (2, 3), (2, 1), ((2, 0), (1, 1)), (2, 1), (1, 2), 1, 1),
    (2, "NL", 4, 3, 4, (5, 5), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1), 1, 2),
    (2, "NC", 2, 6, 6, (6, 4), (2, 2), (1, 1), ((-1, 1), (0, -1)), (1, 1), (1, 1), 3, 1),
    (3, "NL", 1, 2, 2, (4, 3, 5), (2, 2, 3), (1, 2, 1), ((0, 1), (1, 0), (1, 1)), (1, 1, 2),
     (1, 1, 1), 1, 1),
    (3, "NC", 2, 4, 4, (3, 4, 3), (2, 3, 2), (2, 1, 1), ((1, 1), (1, 1), (0, 0)), (1, 1, 1),
     (2, 1, 1), 2, 1),
]


def _case_args(case, dtype=np.float64):
    nsp, layout, n, c, o, sp, win, strides, pad, ld, rd, fgc, bgc = case
    dn = _specs(nsp, layout)
    x = RNG.standard_normal(_shape((n, c) + sp, dn.lhs_spec)).astype(dtype)
    w = RNG.standard_normal(_shape((o, c // fgc) + win, dn.rhs_spec)).astype(dtype)
    kw = dict(window_strides=strides, padding=pad, lhs_dilation=ld, rhs_dilation=rd,
              dimension_numbers=dn, feature_group_count=fgc, batch_group_count=bgc)
    return x, w, kw


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}d-{c[1]}-g{c[11]}-b{c[12]}")
def test_forward_matches_loop_nest(case):
    x, w, kw = _case_args(case)
    got = lax.conv_general_dilated(x, w, **kw)
    ref = ref_conv(x, w, kw["window_strides"], kw["padding"], kw["lhs_dilation"],
                   kw["rhs_dilation"], kw["dimension_numbers"], kw["feature_group_count"],
                   kw["batch_group_count"])
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}d-{c[1]}-g{c[11]}-b{c[12]}")
def test_jit_matches_eager(case):
    for dtype, tol in ((np.float32, 1e-5), (np.float64, 1e-12)):
        x, w, kw = _case_args(case, dtype)
        f = lambda x, w: lax.conv_general_dilated(x, w, **kw)  # noqa: E731
        np.testing.assert_allclose(jaxlite.jit(f)(x, w), f(x, w), rtol=tol, atol=tol)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}d-{c[1]}-g{c[11]}-b{c[12]}")
def test_grads_both_operands_order_2(case):
    x, w, kw = _case_args(case)
    check_grads(lambda x, w: lax.conv_general_dilated(x, w, **kw), (x, w), order=2)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}d-{c[1]}-g{c[11]}-b{c[12]}")
def test_vmap_matches_loop(case):
    x, w, kw = _case_args(case)
    f = lambda x, w: lax.conv_general_dilated(x, w, **kw)  # noqa: E731
    xs = np.stack([x, 2 * x + 1, -x])
    ws = np.stack([w, -w, 0.5 * w], axis=1)
    for axes, args in (((0, None), (xs, w)), ((None, 1), (x, ws)), ((0, 1), (xs, ws))):
        got = jaxlite.vmap(f, in_axes=axes)(*args)
        want = np.stack([f(xs[i] if axes[0] is not None else x,
                           ws[:, i] if axes[1] is not None else w) for i in range(3)])
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_vmap_is_one_convolution():
    x, w, kw = _case_args(CASES[2])
    f = lambda x, w: lax.conv_general_dilated(x, w, **kw)  # noqa: E731
    jaxpr = jaxlite.make_jaxpr(jaxlite.vmap(f))(np.stack([x, x]), np.stack([w, w]))
    names = [e.prim.name for e in jaxpr.jaxpr.eqns]
    assert names.count("conv_general_dilated") == 1
    assert jaxpr.jaxpr.eqns[[i for i, n in enumerate(names)
                             if n == "conv_general_dilated"][0]].params[
        "feature_group_count"] == 2


def test_grad_under_jit_matches_eager_im2col_path():
    x = RNG.standard_normal((3, 10, 10, 8)).astype(np.float32)
    w = RNG.standard_normal((3, 3, 8, 16)).astype(np.float32)
    dn = ("NHWC", "HWIO", "NHWC")

    def loss(x, w):
        return (lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=dn) ** 2).sum()
    g = jaxlite.grad(loss, (0, 1))
    for a, b in zip(jaxlite.jit(g)(x, w), g(x, w)):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-3)


def test_integer_and_bool_convolutions():
    x = RNG.integers(-3, 4, (2, 3, 6)).astype(np.int32)
    w = RNG.integers(-3, 4, (4, 3, 2)).astype(np.int32)
    dn = _specs(1, "NC")
    ref = ref_conv(x, w, (1,), ((1, 0),), (1,), (1,), dn)
    f = lambda x, w: lax.conv_general_dilated(x, w, (1,), ((1, 0),))  # noqa: E731
    np.testing.assert_array_equal(f(x, w), ref)
    np.testing.assert_array_equal(jaxlite.jit(f)(x, w), ref)
    out = lax.conv_general_dilated(x, w, (1,), "VALID", preferred_element_type=np.float32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref_conv(x, w, (1,), ((0, 0),), (1,), (1,), dn))


def test_preferred_element_type_float64():
    x = RNG.standard_normal((1, 2, 5)).astype(np.float32)
    w = RNG.standard_normal((3, 2, 2)).astype(np.float32)
    f = lambda x, w: lax.conv_general_dilated(x, w, (1,), "VALID",  # noqa: E731
                                              preferred_element_type=np.float64)
    ref = ref_conv(x.astype(np.float64), w.astype(np.float64), (1,), ((0, 0),), (1,), (1,),
                   _specs(1, "NC"))
    assert f(x, w).dtype == np.float64
    np.testing.assert_allclose(f(x, w), ref, rtol=1e-12)
    np.testing.assert_allclose(jaxlite.jit(f)(x, w), ref, rtol=1e-12)
    gx = jaxlite.grad(lambda x, w: f(x, w).sum())(x, w)
    assert gx.dtype == np.float32


@pytest.mark.parametrize("padding", ["SAME", "VALID", "SAME_LOWER"])
def test_string_padding(padding):
    x = RNG.standard_normal((1, 1, 7, 6))
    w = RNG.standard_normal((1, 1, 4, 3))
    out = lax.conv_general_dilated(x, w, (2, 3), padding, rhs_dilation=(1, 2))
    pads = lax.padtype_to_pads((7, 6), (4, 5), (2, 3), padding)
    assert pads == {"SAME": [(1, 2), (1, 1)], "VALID": [(0, 0), (0, 0)],
                    "SAME_LOWER": [(2, 1), (1, 1)]}[padding]
    ref = ref_conv(x, w, (2, 3), pads, (1, 1), (1, 2), _specs(2, "NC"))
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    if padding != "VALID":
        assert out.shape[2:] == (4, 2)     # ceil(in / stride)


def test_wrappers():
    x = RNG.standard_normal((2, 3, 6, 5))
    w = RNG.standard_normal((4, 3, 3, 2))
    iota = _specs(2, "NC")
    np.testing.assert_allclose(lax.conv(x, w, (1, 2), "VALID"),
                               ref_conv(x, w, (1, 2), [(0, 0), (0, 0)], (1, 1), (1, 1), iota))
    np.testing.assert_allclose(
        lax.conv_with_general_padding(x, w, (1, 1), ((1, 0), (2, 1)), (2, 1), (1, 2)),
        ref_conv(x, w, (1, 1), ((1, 0), (2, 1)), (2, 1), (1, 2), iota))
    dn = lax.conv_dimension_numbers((2, 8, 8, 3), (3, 3, 3, 4), ("NHWC", "HWIO", "NHWC"))
    assert dn == lax.ConvDimensionNumbers((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    # Spatial dims follow the kernel spec's order.
    dn = lax.conv_dimension_numbers((2, 3, 8, 8), (3, 3, 3, 4), ("NCHW", "WHIO", "NCWH"))
    assert dn == lax.ConvDimensionNumbers((0, 1, 3, 2), (3, 2, 0, 1), (0, 1, 2, 3))


@pytest.mark.parametrize("padding", ["SAME", "VALID", ((2, 1), (0, 1))])
@pytest.mark.parametrize("strides", [(1, 1), (2, 2), (3, 1)])
def test_conv_transpose(padding, strides):
    """conv_transpose is an lhs-dilated convolution with JAX's padding rules;
    transpose_kernel flips the kernel and swaps its feature dims."""
    x = RNG.standard_normal((2, 8, 7, 3))
    w = RNG.standard_normal((3, 3, 3, 4))
    dn = ("NHWC", "HWIO", "NHWC")
    y = lax.conv_transpose(x, w, strides, padding, dimension_numbers=dn)
    # Reference: the conv_transpose definition as an lhs-dilated convolution.
    k = np.array([3, 3])
    s = np.array(strides)
    if padding == "SAME":
        total = k + s - 2
        lo = np.where(s > k - 1, k - 1, -(-total // 2))
        pads = list(zip(lo, total - lo))
    elif padding == "VALID":
        total = k + s - 2 + np.maximum(k - s, 0)
        pads = list(zip(k - 1, total - (k - 1)))
    else:
        pads = padding
    ref = ref_conv(x, w, (1, 1), [tuple(map(int, p)) for p in pads], strides, (1, 1),
                   lax.conv_dimension_numbers(x.shape, w.shape, dn))
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    w = RNG.standard_normal((3, 3, 5, 3))      # HWIO with O = x's channels
    yt = lax.conv_transpose(x, w, strides, padding, dimension_numbers=dn, transpose_kernel=True)
    wt = np.flip(w, (0, 1)).swapaxes(2, 3)
    reft = ref_conv(x, wt, (1, 1), [tuple(map(int, p)) for p in pads], strides, (1, 1),
                    lax.conv_dimension_numbers(x.shape, wt.shape, dn))
    np.testing.assert_allclose(yt, reft, rtol=1e-12, atol=1e-12)


def test_kernel_larger_than_input_gives_empty_output():
    # JAX returns an empty result here rather than raising.
    out = lax.conv_general_dilated(np.ones((2, 3, 4, 4)), np.ones((5, 3, 6, 6)), (1, 1), "VALID")
    assert out.shape == (2, 5, 0, 0)
    out = jaxlite.jit(lambda x, w: lax.conv_general_dilated(x, w, (1, 1), "VALID"))(
        np.ones((2, 3, 4, 4)), np.ones((5, 3, 6, 6)))
    assert out.shape == (2, 5, 0, 0)


def test_all_padding_input():
    x = np.ones((1, 1, 0))
    w = np.ones((1, 1, 1))
    f = lambda x, w: lax.conv_general_dilated(x, w, (1,), ((1, 1),))  # noqa: E731
    np.testing.assert_array_equal(f(x, w), np.zeros((1, 1, 2)))
    np.testing.assert_array_equal(jaxlite.jit(f)(x, w), np.zeros((1, 1, 2)))


X4 = np.ones((2, 3, 8, 8), np.float32)
W4 = np.ones((4, 3, 3, 3), np.float32)
ERRORS = [
    (ValueError, r"3 // 1 != 2", lambda: lax.conv_general_dilated(
        X4, np.ones((4, 2, 3, 3), np.float32), (1, 1), "VALID")),
    (TypeError, "same set of spatial characters", lambda: lax.conv_general_dilated(
        X4, W4, (1, 1), "VALID", dimension_numbers=("NCHX", "OIHW", "NCHW"))),
    (TypeError, "must have len equal to the ndim", lambda: lax.conv_general_dilated(
        X4, W4, (1, 1), "VALID", dimension_numbers=("NCH", "OIHW", "NCHW"))),
    (TypeError, "must be strings", lambda: lax.conv_general_dilated(
        X4, W4, (1, 1), "VALID", dimension_numbers=((0, 1, 2, 3),) * 3)),
    (ValueError, "2 does not divide 3", lambda: lax.conv_general_dilated(
        X4, W4, (1, 1), "VALID", feature_group_count=2)),
    (ValueError, "3 does not divide 2", lambda: lax.conv_general_dilated(
        X4, W4, (1, 1), "VALID", batch_group_count=3)),
    (ValueError, "5 is not a multiple of 2", lambda: lax.conv_general_dilated(
        np.ones((2, 6, 8, 8)), np.ones((5, 3, 3, 3)), (1, 1), "VALID", feature_group_count=2)),
    (ValueError, "must be a positive integer", lambda: lax.conv_general_dilated(
        X4, W4, (1, 1), "VALID", feature_group_count=0)),
    (ValueError, "window_strides must be positive", lambda: lax.conv_general_dilated(
        X4, W4, (-1, 1), "VALID")),
    (ValueError, "window_strides must be positive", lambda: lax.conv_general_dilated(
        X4, W4, (0, 1), "VALID")),
    (TypeError, "All dilations must be positive", lambda: lax.conv_general_dilated(
        X4, W4, (1, 1), "VALID", rhs_dilation=(-1, 1))),
    (ValueError, "String padding is not implemented", lambda: lax.conv_general_dilated(
        X4, W4, (1, 1), "SAME", lhs_dilation=(2, 1))),
    (RuntimeError, "Unrecognized padding type", lambda: lax.conv_general_dilated(
        X4, W4, (1, 1), "FOO")),
    (TypeError, "expected 2, got 1", lambda: lax.conv_general_dilated(
        X4, W4, (1, 1), [(0, 0)])),
    (ValueError, "same number of dimensions", lambda: lax.conv_general_dilated(
        X4, W4, (1,), "VALID")),
    (TypeError, "ndim to be equal, got 4 and 3", lambda: lax.conv_general_dilated(
        X4, np.ones((4, 3, 3), np.float32), (1, 1), "VALID")),
    (TypeError, "same dtypes, got float32, float64", lambda: lax.conv_general_dilated(
        X4, W4.astype(np.float64), (1, 1), "VALID")),
    (ValueError, "Negative padding is larger", lambda: lax.conv_general_dilated(
        np.ones((1, 1, 1, 11)), np.ones((1, 1, 1, 1)), (1, 1), ((-1, -1), (0, 0)))),
]


@pytest.mark.parametrize("error,match,fn", ERRORS, ids=[e[1][:30] for e in ERRORS])
def test_errors(error, match, fn):
    with pytest.raises(error, match=match):
        fn()


# ------------------------------------------------------ jnp.convolve / correlate

def _ref_correlate_full(a, v):
    """sum_k a[k] v[k - t] for every shift t, by definition (numpy's order)."""
    n, m = len(a), len(v)
    out = []
    for t in range(-(m - 1), n):
        out.append(sum(a[k] * v[k - t] for k in range(n) if 0 <= k - t < m))
    return np.array(out)


@pytest.mark.parametrize("n,m", [(5, 3), (3, 5), (6, 4), (4, 6), (1, 1), (7, 1), (2, 7)])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_jnp_convolve_and_correlate(n, m, mode):
    import jaxlite.numpy as jnp
    a, v = RNG.standard_normal(n), RNG.standard_normal(m)
    full_corr = _ref_correlate_full(a, v)
    full_conv = _ref_correlate_full(a, v[::-1])
    big, small = max(n, m), min(n, m)
    cut = {"full": slice(None), "same": slice((small - 1) // 2, (small - 1) // 2 + big),
           "valid": slice(small - 1, big)}[mode]
    np.testing.assert_allclose(jnp.convolve(a, v, mode), full_conv[cut], rtol=1e-12)
    np.testing.assert_allclose(jnp.correlate(a, v, mode), np.correlate(a, v, mode), rtol=1e-12)
    if mode != "same":
        np.testing.assert_allclose(jnp.correlate(a, v, mode), full_corr[cut], rtol=1e-12)
    np.testing.assert_allclose(jaxlite.jit(lambda a, v: jnp.convolve(a, v, mode))(a, v),
                               np.convolve(a, v, mode), rtol=1e-12)
    check_grads(lambda a, v: jnp.convolve(a, v, mode), (a, v), order=2)


def test_jnp_convolve_dtypes_and_errors():
    import jaxlite.numpy as jnp
    out = jnp.convolve(np.array([1, 2, 3]), np.array([0, 1]))
    np.testing.assert_array_equal(out, [0, 1, 2, 3])
    assert out.dtype.kind == "f"                 # as JAX: computed in floating point
    with pytest.raises(ValueError, match="mode"):
        jnp.convolve(np.ones(3), np.ones(2), "bad")
    with pytest.raises(ValueError, match="1-dimensional"):
        jnp.correlate(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="cannot be empty"):
        jnp.convolve(np.ones(0), np.ones(2))
