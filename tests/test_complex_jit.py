"""jit of programs holding complex values (compiler/complex_expand.py): every
expansion rule against numpy and eager evaluation, for complex64 and
complex128, with scalars, 0-size and non-contiguous inputs, broadcasting,
control flow carrying complex values, transforms inside jit and the disk cache."""
import os

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import core, lax
from jaxlite import compiler
from jaxlite.compiler import complex_expand
from jaxlite.ir import ClosedJaxpr, Eqn, Jaxpr, Var

RNG = np.random.default_rng(7)
C64, C128 = np.dtype(jnp.complex64), np.dtype(jnp.complex128)
DTYPES = [C64, C128]
SHAPES = [(), (0,), (7,), (3, 5), (2, 0, 3)]


def crand(shape, dtype, scale=2.0):
    real = np.float32 if np.dtype(dtype) == C64 else np.float64
    re = RNG.uniform(-scale, scale, size=shape).astype(real)
    im = RNG.uniform(-scale, scale, size=shape).astype(real)
    return (re + 1j * im).astype(dtype)


def tol(dtype):
    return 2e-5 if np.dtype(dtype) in (C64, np.float32) else 1e-12


def close(got, want, dtype=None, rtol=None, atol=None):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    t = tol(dtype or want.dtype)
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(got, want, rtol=rtol or t, atol=atol or t, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def check(f, ref, *args, rtol=None, atol=None):
    """jit(f) equals eager f and the numpy reference ``ref``, dtype included
    (outputs may be tuples)."""
    got, eager, want = jax.jit(f)(*args), f(*args), ref(*args)
    if not isinstance(got, tuple):
        got, eager, want = (got,), (eager,), (want,)
    for g, e, w in zip(got, eager, want):
        assert np.asarray(g).dtype == np.asarray(e).dtype, (np.asarray(g).dtype,
                                                            np.asarray(e).dtype)
        close(g, e, rtol=rtol, atol=atol)
        close(g, w, np.asarray(e).dtype, rtol=rtol, atol=atol)


def noncontiguous(dtype):
    return crand((6, 8), dtype)[::2, 1::3]


# ------------------------------------------------------------ elementwise

UNARY = {
    "neg": (lax.neg, np.negative), "conj": (lax.conj, np.conj),
    "real": (lax.real, np.real), "imag": (lax.imag, np.imag),
    "abs": (lax.abs, np.abs), "sign": (lax.sign, lambda z: np.where(z == 0, 0, z / np.abs(z))),
    "exp": (lax.exp, np.exp), "log": (lax.log, np.log), "log1p": (lax.log1p, np.log1p),
    "expm1": (lax.expm1, np.expm1), "sin": (lax.sin, np.sin), "cos": (lax.cos, np.cos),
    "tan": (lax.tan, np.tan), "sinh": (lax.sinh, np.sinh), "cosh": (lax.cosh, np.cosh),
    "tanh": (lax.tanh, np.tanh), "sqrt": (lax.sqrt, np.sqrt),
    "rsqrt": (lax.rsqrt, lambda z: 1 / np.sqrt(z)),
    "square": (lambda z: z * z, np.square),
    "integer_pow3": (lambda z: lax.integer_pow(z, 3), lambda z: z ** 3),
    "integer_pow-2": (lambda z: lax.integer_pow(z, -2), lambda z: z ** -2),
    "integer_pow0": (lambda z: lax.integer_pow(z, 0), lambda z: np.ones_like(z)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", DTYPES)
def test_unary(name, dtype):
    f, ref = UNARY[name]

    def want(z):        # numpy in double precision, rounded to the result dtype
        out = ref(z.astype(C128))
        return out.astype(np.real(z).dtype if out.dtype.kind == "f" else dtype)
    for shape in SHAPES:
        check(f, want, crand(shape, dtype))
    check(f, want, noncontiguous(dtype))


BINARY = {
    "add": (lax.add, np.add), "sub": (lax.sub, np.subtract), "mul": (lax.mul, np.multiply),
    "div": (lax.div, np.divide), "pow": (lax.pow, np.power),
    "eq": (lax.eq, np.equal), "ne": (lax.ne, np.not_equal),
    "atan2": (lax.atan2, lambda x, y: -1j * np.log((y + 1j * x) / np.sqrt(x * x + y * y))),
    "max": (lax.max, None), "min": (lax.min, None),     # see test_lexicographic_order
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("dtype", DTYPES)
def test_binary(name, dtype):
    f, ref = BINARY[name]
    if ref is None:
        ref = _lex_extreme(np.greater if name == "max" else np.less)
    for shape in SHAPES:
        x, y = crand(shape, dtype), crand(shape, dtype)
        if name in ("eq", "ne") and x.size:
            y.flat[0] = x.flat[0]            # one equal pair
        check(f, lambda a, b: ref(a.astype(C128), b.astype(C128)).astype(
            bool if name in ("eq", "ne") else dtype), x, y)
    a, b = noncontiguous(dtype), noncontiguous(dtype).T.copy().T
    check(f, lambda a, b: ref(a.astype(C128), b.astype(C128)).astype(
        bool if name in ("eq", "ne") else dtype), a, b)


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcasting_and_python_scalars(dtype):
    z = crand((4, 3), dtype)
    check(lambda z: z * (2 - 1j) + 1.5, lambda z: z * (2 - 1j) + 1.5, z)
    check(lambda z, w: z / w, lambda z, w: (z / w).astype(dtype), z, crand((3,), dtype))
    check(lambda z, w: z - w, lambda z, w: (z - w).astype(dtype), z, crand((), dtype))
    # a Python complex and a numpy complex scalar as arguments
    out = jax.jit(lambda z, w: z * w)(np.complex64(1 + 2j) if dtype == C64 else 1 + 2j, z)
    close(out, (1 + 2j) * z)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_with_a_rank0_operand(name):
    """lax broadcasts a rank-0 operand; every rule must too (0 ** w included)."""
    f, _ = BINARY[name]
    z = np.array([1 + 1j, 2 - 1j, -1j, 0j], C64)
    s = np.complex64(1.5 - 0.5j)
    for a, b in [(z, s), (s, z)]:
        with np.errstate(all="ignore"):
            close(jax.jit(f)(a, b), f(a, b))


@pytest.mark.parametrize("dtype", DTYPES)
def test_complex_from_parts_and_conversions(dtype):
    real = np.float32 if dtype == C64 else np.float64
    x, y = RNG.standard_normal((5,)).astype(real), RNG.standard_normal((5,)).astype(real)
    check(lax.complex, lambda x, y: (x + 1j * y).astype(dtype), x, y)
    check(lambda x: lax.complex(x, real(2)), lambda x: (x + 2j).astype(dtype), x)
    check(lambda x: x.astype(dtype), lambda x: x.astype(dtype), x)
    check(lambda x: x.astype(dtype), lambda x: x.astype(dtype), np.arange(4, dtype=np.int32))
    check(lambda x: lax.conj(x), lambda x: x.astype(dtype), x)
    z = crand((5,), dtype)
    other = C128 if dtype == C64 else C64
    check(lambda z: z.astype(other), lambda z: z.astype(other), z)
    check(lambda z: lax.convert_element_type(z, real), lambda z: z.real, z)


@pytest.mark.parametrize("dtype", DTYPES)
def test_overflow_safe_division_and_modulus(dtype):
    big = 1e30 if dtype == C64 else 1e300
    z = np.array([big + big * 1j, big - 3j, 1e-30 + 1e-30j, 3 + 4j], dtype)
    w = np.array([big * 2 + big * 1j, big * 1j, 2e-30 - 1e-30j, 0.5 - 2j], dtype)
    close(jax.jit(jnp.abs)(z), np.abs(z.astype(C128)).astype(np.real(z).dtype))
    close(jax.jit(lambda a, b: a / b)(z, w), (z.astype(C128) / w.astype(C128)).astype(dtype))
    # division by zero and infinities give what a real division would
    got = np.asarray(jax.jit(lambda a, b: a / b)(np.array([1 + 1j], dtype),
                                                 np.array([0j], dtype)))
    assert np.isinf(got.real[0]) and np.isinf(got.imag[0])
    s = np.array([complex(np.inf, 1.0), complex(1.0, np.inf), complex(np.nan, np.inf)], dtype)
    np.testing.assert_array_equal(np.asarray(jax.jit(jnp.abs)(s)), [np.inf] * 3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_values(dtype):
    z = np.array([0j, complex(0, -0.0), 1 + 0j, complex(-4, 0), complex(-4, -0.0),
                  complex(800, 0), 1e-20 + 1e-20j], dtype)
    for f, ref in [(lax.sqrt, np.sqrt), (lax.exp, np.exp), (lax.log1p, np.log1p),
                   (lax.expm1, np.expm1), (lax.tanh, np.tanh), (lax.sign, np.sign)]:
        with np.errstate(all="ignore"):
            want = ref(z.astype(C128)).astype(dtype)
        if f is lax.sign:
            with np.errstate(all="ignore"):
                want = np.where(z == 0, 0, z / np.abs(z.astype(C128))).astype(dtype)
        if f is lax.log1p:      # numpy's log(1 + z) loses 1e-20 + 1e-20j's real part
            want[-1] = z[-1]
        got = np.asarray(jax.jit(f)(z))
        fin = np.isfinite(want)
        np.testing.assert_allclose(got[fin], want[fin], rtol=tol(dtype), atol=1e-30)
        np.testing.assert_array_equal(np.isinf(got), np.isinf(want), err_msg=str(f))


# ------------------------------------------------ structure and reductions

STRUCTURAL = {
    "reshape": lambda z: z.reshape(3, 8),
    "transpose": lambda z: z.T,
    "broadcast_in_dim": lambda z: jnp.broadcast_to(z[:, None, :], (4, 2, 6)),
    "slice": lambda z: z[1:3, ::2],
    "rev": lambda z: z[::-1],
    "squeeze": lambda z: jnp.squeeze(z[:1], 0),
    "expand_dims": lambda z: jnp.expand_dims(z, 1),
    "concatenate": lambda z: jnp.concatenate([z, z * 2], axis=1),
    "pad": lambda z: lax.pad(z, (1 + 1j) * jnp.ones((), z.dtype), [(1, 2, 0), (0, 1, 1)]),
    "dynamic_slice": lambda z: lax.dynamic_slice(z, (jnp.int32(1), jnp.int32(2)), (2, 3)),
    "dynamic_update_slice": lambda z: lax.dynamic_update_slice(z, z[:2, :2] * 3,
                                                               (jnp.int32(1), jnp.int32(3))),
    "gather": lambda z: z[np.array([3, 0, 2]), 1:4],
    "scatter": lambda z: jnp.asarray(z).at[np.array([0, 2]), 1].set(z[1, 1] * 1j),
    "scatter_add": lambda z: jnp.asarray(z).at[np.array([0, 0, 3]), 2].add(z[1, :3]),
    "select_n": lambda z: jnp.where(jnp.real(z) > 0, z, jnp.conj(z)),
    "reduce_sum": lambda z: jnp.sum(z, axis=0),
    "reduce_sum_all": lambda z: jnp.sum(z),
    "reduce_prod": lambda z: jnp.prod(z * 0.5, axis=1),
    "reduce_prod_all": lambda z: jnp.prod(z[:2] * 0.5),
    "cumsum": lambda z: jnp.cumsum(z, axis=1),
    "matmul": lambda z: z @ z.T,
    "matvec": lambda z: z.T @ z[:, 0],
    "batched_dot": lambda z: jnp.einsum("ij,ik->ijk", z, z),
    "dot_real": lambda z: jnp.real(z) @ z.T,
    "stop_gradient": lambda z: lax.stop_gradient(z) * z,
}


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
@pytest.mark.parametrize("dtype", DTYPES)
def test_structural(name, dtype):
    f = STRUCTURAL[name]
    z = crand((4, 6), dtype)
    # numpy reference: the same jnp code run on numpy arrays in double precision
    # is not independent, so the reference is eager evaluation plus, for the
    # reductions and products, numpy itself.
    refs = {"matmul": lambda z: z @ z.T, "matvec": lambda z: z.T @ z[:, 0],
            "reduce_sum": lambda z: z.sum(0), "reduce_prod": lambda z: (z * 0.5).prod(1),
            "cumsum": lambda z: z.cumsum(1), "batched_dot": lambda z: np.einsum(
                "ij,ik->ijk", z, z), "dot_real": lambda z: z.real @ z.T}
    ref = refs.get(name, lambda z: np.asarray(f(z)))
    check(f, ref, z)
    check(f, ref, crand((8, 13), dtype)[::2, 1::2][:, :6])      # non-contiguous


@pytest.mark.parametrize("dtype", DTYPES)
def test_lexicographic_order(dtype):
    """sort, argsort, max and min order complex numbers by real part, then
    imaginary part (ties on purpose: small integer parts); a NaN wins max/min."""
    z = (RNG.integers(-2, 3, (5, 7)) + 1j * RNG.integers(-2, 3, (5, 7))).astype(dtype)
    check(lambda z: jnp.sort(z, axis=1), lambda z: np.sort(z, axis=1), z)
    check(lambda z: jnp.sort(z, axis=0), lambda z: np.sort(z, axis=0), z)
    check(lambda z: jnp.argsort(z, axis=1), lambda z: np.argsort(z, axis=1, kind="stable"), z)
    check(lambda z: jnp.max(z, axis=1), lambda z: np.max(z, axis=1), z)
    check(lambda z: jnp.min(z, axis=0), lambda z: np.min(z, axis=0), z)
    # With NaNs, JAX's left fold of lexicographic max/min: the extreme of the
    # elements after the last NaN, or the NaN when it comes last.
    z[1, 2] = complex(np.nan, 1)
    z[3, 6] = complex(2, np.nan)
    check(jnp.max, lambda z: _fold(z.ravel(), np.greater), z)
    check(lambda z: jnp.min(z, axis=1), lambda z: np.array(
        [_fold(r, np.less) for r in z], z.dtype), z)
    check(lambda z: jnp.max(z, axis=0), lambda z: np.array(
        [_fold(c, np.greater) for c in z.T], z.dtype), z)
    w = z[::-1].copy()
    check(jnp.maximum, lambda a, b: np.array([_fold(np.array([x, y]), np.greater)
                                              for x, y in zip(a.ravel(), b.ravel())],
                                             z.dtype).reshape(z.shape), z, w)
    check(jnp.minimum, lambda a, b: np.array([_fold(np.array([x, y]), np.less)
                                              for x, y in zip(a.ravel(), b.ravel())],
                                             z.dtype).reshape(z.shape), z, w)


def _lex_extreme(cmp):
    def ref(a, b):
        pairs = zip(np.ravel(a), np.ravel(b))
        return np.array([_fold(np.array(p), cmp) for p in pairs], a.dtype).reshape(np.shape(a))
    return ref


def _fold(line, cmp):
    """JAX's complex max/min over a line: keep the accumulator only where it wins."""
    acc = line[0]
    for y in line[1:]:
        keep = cmp(acc.imag, y.imag) if acc.real == y.real else cmp(acc.real, y.real)
        acc = acc if keep else y
    return acc


def _correlate_valid(a, k):
    kh, kw = k.shape
    return np.array([[np.sum(a[i:i + kh, j:j + kw] * k) for j in range(a.shape[1] - kw + 1)]
                     for i in range(a.shape[0] - kh + 1)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_convolution_and_window_sum(dtype):
    a, k = crand((5, 6), dtype), crand((2, 3), dtype)
    check(lambda a, k: lax.conv(a[None, None], k[None, None], (1, 1), "VALID")[0, 0],
          lambda a, k: _correlate_valid(a, k).astype(dtype), a, k)
    check(lambda a, k: lax.conv(a[None, None], jnp.real(k)[None, None].astype(a.dtype), (1, 1),
                                "VALID")[0, 0],
          lambda a, k: _correlate_valid(a, k.real).astype(dtype), a, k)
    check(lambda a: lax.reduce_window(a, jnp.zeros((), a.dtype), lax.add, (2, 2), (1, 1),
                                      "VALID"),
          lambda a: _correlate_valid(a, np.ones((2, 2))).astype(dtype), a)


@pytest.mark.parametrize("dtype", DTYPES)
def test_window_max_min(dtype):
    """Lexicographic window max/min (small integer parts: ties) against eager and a
    numpy fold over each window."""
    z = (RNG.integers(-2, 3, (5, 6)) + 1j * RNG.integers(-2, 3, (5, 6))).astype(dtype)
    for m, cmp, init in [(lax.max, np.greater, -np.inf + 0j), (lax.min, np.less, np.inf + 0j)]:
        check(lambda z: lax.reduce_window(z, init, m, (2, 3), (1, 2), "VALID"),
              lambda z: np.array([[_fold(z[i:i + 2, j:j + 3].ravel(), cmp)
                                   for j in range(0, 4, 2)] for i in range(4)], dtype), z)
        f = (lambda z: lax.reduce_window(z, init, m, (2, 2), (2, 1), ((1, 0), (0, 1)),
                                         base_dilation=(2, 1), window_dilation=(1, 2)))
        close(jax.jit(f)(z), f(z))


def test_long_reductions():
    """Product trees and max/min folds over long lines (each tree level is
    stored: fused levels would evaluate the whole tree per element)."""
    phase = RNG.uniform(-np.pi, np.pi, 3001)
    z = (np.exp(1j * phase) * RNG.uniform(0.999, 1.001, 3001)).astype(C64)
    close(jax.jit(jnp.prod)(z), np.prod(z.astype(C128)).astype(C64), rtol=1e-4, atol=1e-4)
    w = crand((40, 513), C128)
    close(jax.jit(lambda w: jnp.prod(w * 0.6, axis=1))(w), np.prod(w * 0.6, axis=1))
    check(jnp.max, np.max, w)
    check(lambda w: jnp.min(w, axis=0), lambda w: np.min(w, axis=0), w)


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_size_structural(dtype):
    z = np.zeros((0, 3), dtype)
    check(lambda z: jnp.sum(z, axis=0), lambda z: z.sum(0), z)
    check(lambda z: jnp.prod(z, axis=0), lambda z: z.prod(0), z)
    check(lambda z: z.T @ z, lambda z: z.T @ z, z)
    check(lambda z: jnp.concatenate([z, z]), lambda z: np.concatenate([z, z]), z)


def test_iota_and_full_complex():
    check(lambda: jnp.arange(5).astype(np.complex64) * 1j,
          lambda: (np.arange(5) * 1j).astype(np.complex64))
    check(lambda: jnp.full((2, 3), 1 - 2j, np.complex64),
          lambda: np.full((2, 3), 1 - 2j, np.complex64))


# ---------------------------------------------------- programs and transforms

@pytest.mark.parametrize("dtype", DTYPES)
def test_control_flow_carrying_complex(dtype):
    z = crand((5,), dtype)
    check(lambda z, p: lax.cond(p, lambda z: z * z, lambda z: jnp.conj(z), z),
          lambda z, p: z * z if p else np.conj(z), z, True)
    check(lambda z, p: lax.cond(p, lambda z: z * z, lambda z: jnp.conj(z), z),
          lambda z, p: z * z if p else np.conj(z), z, False)

    def powers(z, n):
        return lax.fori_loop(0, n, lambda i, c: c * z, jnp.ones_like(z))
    check(powers, lambda z, n: z ** n, z, 4)               # while (traced bound)
    check(lambda z: powers(z, 3), lambda z: z ** 3, z)     # scan (static bound)

    def step(c, x):
        return c * 0.5 + x, c * x
    check(lambda z: lax.scan(step, z[0], z), lambda z: _scan_ref(z), z)
    check(lambda z: lax.while_loop(lambda c: jnp.abs(c[0]) < 100, lambda c: (c[0] * (1 + 1j),
                                                                            c[1] + 1), (z[0], 0)),
          lambda z: _while_ref(z[0]), z)


def _scan_ref(z):
    c, ys = z[0], []
    for x in z:
        c, y = c * 0.5 + x, c * x
        ys.append(y)
    return c, np.array(ys, z.dtype)


def _while_ref(c):
    n = 0
    while abs(c) < 100:
        c, n = c * (1 + 1j), n + 1
    return c, n


def test_outputs_that_are_inputs_or_repeated():
    z = crand((3,), C64)
    a, b, c = jax.jit(lambda z: (z, z * 2, z))(z)
    close(a, z)
    close(b, 2 * z)
    close(c, z)


def test_repeated_calls_take_the_fast_path():
    f = jax.jit(lambda z, w: (jnp.exp(z) * w, jnp.abs(z)))
    z = crand((5,), C64)
    for k in range(3):      # the second call on goes through jit's fast path
        a, b = f(z + k, z)
        close(a, (np.exp((z + k).astype(C128)) * z).astype(C64))
        close(b, np.abs((z + k).astype(C128)).astype(np.float32))
        assert type(a) is core.Array and a.dtype == C64


def test_real_in_real_out_with_complex_inside():
    x = RNG.standard_normal((6,)).astype(np.float32)
    check(lambda x: jnp.abs(jnp.exp(1j * x) * (x + 1j)),
          lambda x: np.abs(np.exp(1j * x) * (x + 1j)).astype(np.float32), x)
    # a jitted helper and a custom_jvp function, inlined by the pass
    inner = jax.jit(lambda z: z * jnp.conj(z))

    @jax.custom_jvp
    def g(z):
        return z * 2

    g.defjvp(lambda p, t: (g(p[0]), t[0] * 2))
    check(lambda x: jnp.real(inner(g(x + 1j))), lambda x: (4 * x * x + 4).astype(np.float32), x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_grad_jvp_vmap_inside_jit(dtype):
    z = crand((4,), dtype)

    def loss(z):
        return jnp.sum(jnp.abs(jnp.sin(z) * z) ** 2)
    close(jax.jit(jax.grad(loss))(z), jax.grad(loss)(z), rtol=1e-4 if dtype == C64 else None)

    def holo(z):
        return jnp.sum(jnp.exp(z) * z)
    close(jax.jit(jax.grad(holo, holomorphic=True))(z),
          ((1 + z) * np.exp(z.astype(C128))).astype(dtype), rtol=1e-4 if dtype == C64 else None)
    t = crand((4,), dtype)
    p, dp = jax.jit(lambda z, t: jax.jvp(jnp.exp, (z,), (t,)))(z, t)
    close(dp, (np.exp(z.astype(C128)) * t).astype(dtype))
    m = crand((3, 4), dtype)
    close(jax.jit(jax.vmap(lambda r: r @ jnp.conj(r)))(m),
          np.einsum("ij,ij->i", m, np.conj(m)), rtol=1e-4 if dtype == C64 else None)


def test_disk_cache_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("JAXLITE_DISABLE_DISK_CACHE", raising=False)
    z = crand((9,), C64)

    def f(z):
        return jnp.exp(z) * jnp.conj(z) - 1j

    closed = jax.make_jaxpr(f)(z)
    first = compiler.compile(closed, "cplx")
    compiler.cache.memory.clear()
    second = compiler.compile(jax.make_jaxpr(f)(z), "cplx")
    assert second is not first and second.from_disk_cache
    want = (np.exp(z.astype(C128)) * np.conj(z) - 1j).astype(C64)
    close(first(z)[0], want)
    close(second(z)[0], want)
    assert second.in_avals[0].dtype == C64 and second.out_avals[0].dtype == C64


def test_interleave_kernel_and_zero_copy_boundary():
    z = crand((3, 4), C64)
    compiled = jax.jit(lambda z: jnp.exp(z) * z).lower(z).compile()
    plan = compiled.fusion_plan()
    assert plan.count("kernel ") == 1 and "[interleave]" in plan, plan   # one loop, no copies
    assert "workspace: 0 bytes" in plan


def test_missing_rule_is_a_type_error_naming_the_primitive():
    # (lax refuses erf on complex operands; the compiler must too, by name, if one
    # ever reaches it)
    x = Var(core.ShapedArray((3,), C64))
    out = Var(core.ShapedArray((3,), C64))
    eqn = Eqn(core.all_primitives["erf"], [x], {}, [out])
    closed = ClosedJaxpr(Jaxpr([], [x], [eqn], [out]), [])
    with pytest.raises(TypeError, match="'erf' on complex values"):
        compiler.compile(closed, "bad")


def test_scalar_types_under_jit():
    """jnp's complex scalar types build traced values of their dtype."""
    out = jax.jit(lambda x: (jnp.complex64(x) * 1j, jnp.complex_(x), jnp.complex128(x)))(2.0)
    assert [o.dtype for o in out] == [C64, np.dtype(jnp.complex_), C128]
    close(out[0], np.complex64(2j))
    assert jnp.issubdtype(out[2].dtype, jnp.complexfloating)


def test_registration_api():
    assert complex_expand.rule_for("mul") is not None
    assert complex_expand.rule_for(core.all_primitives["real"]) is not None
    assert complex_expand.rule_for("erf") is None
