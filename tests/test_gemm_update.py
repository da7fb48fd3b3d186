"""The parameter update fused into its gradient GEMM (compiler/gemm_update.py):
``p - lr * op(x) @ op(d)`` as one BLAS call with beta = 1, against numpy in
float64, with and without donation, for every transpose pair, the forms that
match and the ones that must not, and aliasing (the same array as the
parameter and an operand, a parameter read after the update, a donated
parameter that is also returned)."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import jit


def ptr(a):
    return a.__array_interface__["data"][0]


def fresh(x):
    """A jaxlite Array owning its memory (donation writes only into such)."""
    return jit(lambda a: a + 0)(np.asarray(x))


def rand(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def updates(f, *args):
    """How many fused updates the fusion plan of ``f`` holds."""
    return jit(f).lower(*args).compile().fusion_plan().count("= gemm_update[")


def f64(x):
    return np.asarray(x, np.float64)


def close(actual, expected, dtype=np.float32):
    tol = 2e-5 if np.dtype(dtype) == np.float32 else 1e-12
    np.testing.assert_allclose(f64(actual), expected, rtol=tol, atol=tol)


# (name, function, numpy reference) over w [m, n], x, d for each transpose pair.
TRANSPOSES = {
    "x.T @ d": (lambda x, d: x.T @ d, lambda m, n, k: ((k, m), (k, n))),
    "x @ d": (lambda x, d: x @ d, lambda m, n, k: ((m, k), (k, n))),
    "x @ d.T": (lambda x, d: x @ d.T, lambda m, n, k: ((m, k), (n, k))),
    "x.T @ d.T": (lambda x, d: x.T @ d.T, lambda m, n, k: ((k, m), (n, k))),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("form", list(TRANSPOSES))
@pytest.mark.parametrize("donate", [False, True])
def test_update_matches_numpy_for_every_transpose(form, donate, dtype):
    prod, shapes = TRANSPOSES[form]
    m, n, k = 37, 21, 13
    xs, ds = shapes(m, n, k)
    x, d, w0 = rand(*xs, seed=1, dtype=dtype), rand(*ds, seed=2, dtype=dtype), \
        rand(m, n, seed=3, dtype=dtype)
    step = jit(lambda w, x, d: w - 0.05 * prod(x, d), donate_argnums=0 if donate else ())
    assert updates(lambda w, x, d: w - 0.05 * prod(x, d), w0, x, d) == 1
    w, ref = fresh(w0) if donate else w0, f64(w0)
    for _ in range(3):
        before = ptr(w)
        w = step(w, x, d)
        ref = ref - 0.05 * prod(f64(x), f64(d))
        close(w, ref, dtype)
        assert (ptr(w) == before) == donate      # donated: written in place
    if not donate:
        np.testing.assert_array_equal(w0, rand(m, n, seed=3, dtype=dtype))  # never written


FORMS = [
    ("w - g", lambda w, g: w - g, lambda w, g: w - g),
    ("w + g", lambda w, g: w + g, lambda w, g: w + g),
    ("g + w", lambda w, g: g + w, lambda w, g: g + w),
    ("w - g * c", lambda w, g: w - g * 0.25, lambda w, g: w - g * 0.25),
    ("w + c * g", lambda w, g: w + 3.0 * g, lambda w, g: w + 3.0 * g),
    ("c * g + w", lambda w, g: 0.5 * g + w, lambda w, g: 0.5 * g + w),
]


@pytest.mark.parametrize("name,form,ref", FORMS, ids=[f[0] for f in FORMS])
def test_update_forms_that_fuse(name, form, ref):
    x, d, w0 = rand(9, 6, seed=4), rand(9, 5, seed=5), rand(6, 5, seed=6)
    f = lambda w, x, d: form(w, x.T @ d)       # noqa: E731
    assert updates(f, w0, x, d) == 1
    close(jit(f)(w0, x, d), ref(f64(w0), f64(x).T @ f64(d)))
    close(jit(f, donate_argnums=0)(fresh(w0), x, d), ref(f64(w0), f64(x).T @ f64(d)))


NOT_FUSED = [
    # g - w is not an update of w; g is also returned; g is read again by
    # another kernel; g passes through a nonlinearity.
    ("g - w", lambda w, x, d, lr: (x.T @ d) - w),
    ("g returned", lambda w, x, d, lr: (w - 0.1 * (x.T @ d), x.T @ d)),
    ("g reused", lambda w, x, d, lr: (w - 0.1 * (x.T @ d)) * jnp.sum(jnp.exp(x.T @ d))),
    ("tanh update", lambda w, x, d, lr: w - 0.1 * jnp.tanh(x.T @ d)),
]


@pytest.mark.parametrize("donate", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_learning_rate_passed_as_an_argument(dtype, donate):
    # lr is a scalar input read at run time: one compile serves every rate.
    x, d, w0 = (rand(9, 6, seed=20, dtype=dtype), rand(9, 5, seed=21, dtype=dtype),
                rand(6, 5, seed=22, dtype=dtype))
    f = lambda w, x, d, lr: w - lr * (x.T @ d)       # noqa: E731
    assert updates(f, w0, x, d, dtype(0.1)) == 1
    step = jit(f, donate_argnums=0 if donate else ())
    w, ref = fresh(w0) if donate else w0, f64(w0)
    for lr in (0.1, 0.5, -2.0):
        w = step(w, x, d, dtype(lr))
        ref = ref - lr * (f64(x).T @ f64(d))
        close(w, ref, dtype)


@pytest.mark.parametrize("name,f", NOT_FUSED, ids=[f[0] for f in NOT_FUSED])
def test_other_forms_stay_unfused_and_correct(name, f):
    x, d, w0 = rand(9, 6, seed=7), rand(9, 5, seed=8), rand(6, 5, seed=9)
    lr = np.float32(0.1)
    assert updates(f, w0, x, d, lr) == 0
    expected = f(f64(w0), f64(x), f64(d), np.float64(lr)) if name != "g reused" else None
    got = jit(f)(w0, x, d, lr)
    if expected is None:
        g = f64(x).T @ f64(d)
        expected = (f64(w0) - 0.1 * g) * np.sum(np.exp(g))
        close(got, expected)
    elif isinstance(expected, tuple):
        for a, b in zip(got, expected):
            close(a, b)
    else:
        close(got, expected)


def test_parameter_that_is_also_an_operand():
    # w is the accumulator and the left operand: never written in place while read.
    w0, d = rand(8, 8, seed=10), rand(8, 8, seed=11)
    f = lambda w, d: w - 0.5 * (w.T @ d)       # noqa: E731
    assert updates(f, w0, d) == 1
    expected = f64(w0) - 0.5 * (f64(w0).T @ f64(d))
    close(jit(f)(w0, d), expected)
    close(jit(f, donate_argnums=0)(fresh(w0), d), expected)


def test_the_same_array_as_parameter_and_operand_argument():
    w0 = rand(8, 8, seed=12)
    f = lambda w, x: w - 0.5 * (x.T @ x)        # noqa: E731
    expected = f64(w0) - 0.5 * (f64(w0).T @ f64(w0))
    close(jit(f)(w0, w0), expected)
    w = fresh(w0)
    close(jit(f)(w, w), expected)
    with pytest.raises(ValueError, match="also passed"):
        jit(f, donate_argnums=0)(w, w)
    close(w, f64(w0))                   # not deleted, not written


def test_parameter_read_after_the_update_keeps_its_value():
    # w * 2 reads w after the update kernel: the update gets its own buffer.
    x, d, w0 = rand(9, 6, seed=13), rand(9, 5, seed=14), rand(6, 5, seed=15)
    f = jit(lambda w, x, d: (w - 0.1 * (x.T @ d), jnp.sum(w * 2.0)), donate_argnums=0)
    new, s = f(fresh(w0), x, d)
    close(new, f64(w0) - 0.1 * (f64(x).T @ f64(d)))
    close(s, np.sum(f64(w0) * 2.0))


def test_donated_parameter_also_returned_unchanged():
    x, d, w0 = rand(9, 6, seed=16), rand(9, 5, seed=17), rand(6, 5, seed=18)
    f = jit(lambda w, x, d: (w - 0.1 * (x.T @ d), w), donate_argnums=0)
    w = fresh(w0)
    new, old = f(w, x, d)
    close(new, f64(w0) - 0.1 * (f64(x).T @ f64(d)))
    np.testing.assert_array_equal(old, w0)
    assert w.is_deleted()


def test_mlp_sgd_steps_match_hand_written_numpy():
    # The benchmark's training step: every weight update fused, biases in loops.
    sizes, batch = [20, 16, 12, 4], 8
    rng = np.random.default_rng(19)
    params = [{"w": (rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32),
               "b": np.zeros(b, np.float32)} for a, b in zip(sizes[:-1], sizes[1:])]
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], batch)]

    def loss(params, x, y):
        h = x
        for layer in params[:-1]:
            h = jaxlite.nn.relu(h @ layer["w"] + layer["b"])
        logits = h @ params[-1]["w"] + params[-1]["b"]
        return -jnp.mean(jnp.sum(jaxlite.nn.log_softmax(logits) * y, axis=-1))

    def step(params, x, y):
        value, grads = jaxlite.value_and_grad(loss)(params, x, y)
        return jaxlite.tree_util.tree_map(lambda p, g: p - 0.1 * g, params, grads), value

    assert updates(step, params, x, y) == 3
    ref = [{k: f64(v) for k, v in layer.items()} for layer in params]
    plain, donating = jit(step), jit(step, donate_argnums=0)
    pa, pb = params, jaxlite.tree_util.tree_map(fresh, params)
    for _ in range(5):
        pa, va = plain(pa, x, y)
        pb, vb = donating(pb, x, y)
        ref, rv = _numpy_step(ref, f64(x), f64(y), 0.1)
        for got in (pa, pb):
            for layer, r in zip(got, ref):
                close(layer["w"], r["w"])
                close(layer["b"], r["b"])
        close(va, rv)
        close(vb, rv)


def _numpy_step(params, x, y, lr):
    hs, h = [x], x
    for layer in params[:-1]:
        h = np.maximum(h @ layer["w"] + layer["b"], 0)
        hs.append(h)
    logits = h @ params[-1]["w"] + params[-1]["b"]
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    value = -np.mean(np.sum(logp * y, axis=1))
    d = (np.exp(logp) * y.sum(axis=1, keepdims=True) - y) / x.shape[0]
    new = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        gw, gb = hs[i].T @ d, d.sum(axis=0)
        if i > 0:
            d = (d @ params[i]["w"].T) * (hs[i] > 0)
        new[i] = {"w": params[i]["w"] - lr * gw, "b": params[i]["b"] - lr * gb}
    return new, value


def test_update_inside_loop_bodies_with_the_parameter_read_too():
    # In fori_loop and scan bodies the carried w is also read for a second
    # result; the update must not clobber it first.
    x, d, w0 = rand(9, 6, seed=23), rand(9, 5, seed=24), rand(6, 5, seed=25)
    g = f64(x).T @ f64(d)

    def body(i, c):
        w, s = c
        return w - 0.1 * (x.T @ d), s + jnp.sum(w * 2.0)
    w, s = jit(lambda w: jaxlite.lax.fori_loop(0, 4, body, (w, jnp.float32(0))))(w0)
    rw, rs = f64(w0), 0.0
    for _ in range(4):
        rs, rw = rs + np.sum(rw * 2.0), rw - 0.1 * g
    close(w, rw)
    close(s, rs)

    w, sums = jit(lambda w: jaxlite.lax.scan(lambda w, _: (w - 0.1 * (x.T @ d), jnp.sum(w)),
                                             w, None, length=3))(w0)
    rw, rsums = f64(w0), []
    for _ in range(3):
        rsums.append(np.sum(rw))
        rw = rw - 0.1 * g
    close(w, rw)
    close(sums, np.array(rsums))


def test_donated_operand_is_not_overwritten_before_the_moved_update_reads_it():
    # The fused update runs where its loop ran, after x + 1 is computed: x's
    # buffer must not take x + 1 while the update still reads x.
    x0, d, w0 = rand(9, 6, seed=26), rand(9, 5, seed=27), rand(6, 5, seed=28)
    f = jit(lambda w, x, d: (w - 0.1 * (x.T @ d), x + 1.0), donate_argnums=(0, 1))
    new_w, new_x = f(fresh(w0), fresh(x0), d)
    close(new_w, f64(w0) - 0.1 * (f64(x0).T @ f64(d)))
    close(new_x, f64(x0) + 1.0)
