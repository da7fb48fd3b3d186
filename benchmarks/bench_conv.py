"""Convolutions under jit: jaxlite vs numpy (im2col + matmul) and JAX, one run.

    python benchmarks/bench_conv.py     # prints a markdown table

* forward 3x3 convolution, 32 -> 64 channels, 28x28, batch 64, NHWC / HWIO,
  SAME padding, float32 (1.85 GFLOP);
* ``jit(value_and_grad)`` of a training step of a two-convolution CNN:
  conv 3x3 1->32, ReLU, 2x2 max pool, conv 3x3 32->64, ReLU, 2x2 max pool,
  dense 3136->10, log-softmax cross-entropy, batch 64 of 28x28 images.
  numpy's column is the same step with hand-written gradients (im2col
  convolutions, col2im by window offset, max-pool masks).

GFLOP/s count 2 flops per multiply-add of the convolutions (the step: the
forward convolutions plus both gradients of each, except the first layer's
input gradient, which the step does not need). The GEMM peak is the best of
a few float32 4096x4096 matmuls through numpy's OpenBLAS. Results are
checked against numpy before timing. Rows are repeated with
JAXLITE_BLAS_THREADS=1 (one OpenBLAS thread per GEMM call), which on a
machine shared with other processes is often faster.
"""
import os
import subprocess
import sys
import time

import numpy as np

from common import fmt_ratio, fmt_time, machine, optional, table, timeit

import jaxlite
from jaxlite import lax as jl_lax
import jaxlite.numpy as jlnp

jax = optional("jax")
if jax is not None:
    import jax.numpy as jjnp
    from jax import lax as jx_lax

DN = ("NHWC", "HWIO", "NHWC")
BATCH = 64


def gemm_peak():
    a = np.random.default_rng(0).standard_normal((4096, 4096)).astype(np.float32)
    best = min(_time_once(lambda: a @ a) for _ in range(3))
    return 2 * 4096 ** 3 / best


def _time_once(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


# ------------------------------------------------------------------ numpy

def np_conv(x, w):
    """SAME 3x3 (any odd k) convolution: im2col then one matmul."""
    k = w.shape[0]
    p = k // 2
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    cols = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(1, 2))  # n,h,w,c,k,k
    cols = cols.transpose(0, 1, 2, 4, 5, 3).reshape(-1, k * k * x.shape[-1])
    return (cols @ w.reshape(-1, w.shape[-1])).reshape(x.shape[:3] + (w.shape[-1],)), cols


def np_conv_grads(x, w, cols, g):
    """(dx, dw) of the SAME convolution for output cotangent g."""
    k, c, o = w.shape[0], w.shape[2], w.shape[3]
    g2 = g.reshape(-1, o)
    dw = (cols.T @ g2).reshape(w.shape)
    dcols = (g2 @ w.reshape(-1, o).T).reshape(x.shape[:3] + (k, k, c))
    p = k // 2
    dxp = np.zeros((x.shape[0], x.shape[1] + 2 * p, x.shape[2] + 2 * p, c), x.dtype)
    for i in range(k):
        for j in range(k):
            dxp[:, i:i + x.shape[1], j:j + x.shape[2]] += dcols[:, :, :, i, j]
    return dxp[:, p:p + x.shape[1], p:p + x.shape[2]], dw


def np_pool(x):
    n, h, w, c = x.shape
    win = x.reshape(n, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4).reshape(
        n, h // 2, w // 2, c, 4)
    arg = win.argmax(-1)
    return np.take_along_axis(win, arg[..., None], -1)[..., 0], arg


def np_pool_grad(g, arg, shape):
    n, h, w, c = shape
    d = np.zeros(g.shape + (4,), g.dtype)
    np.put_along_axis(d, arg[..., None], g[..., None], -1)
    return d.reshape(n, h // 2, w // 2, c, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(shape)


def np_step(params, x, y):
    w1, b1, w2, b2, wd, bd = params
    c1, cols1 = np_conv(x, w1)
    a1 = np.maximum(c1 + b1, 0)
    p1, arg1 = np_pool(a1)
    c2, cols2 = np_conv(p1, w2)
    a2 = np.maximum(c2 + b2, 0)
    p2, arg2 = np_pool(a2)
    flat = p2.reshape(len(x), -1)
    logits = flat @ wd + bd
    m = logits.max(-1, keepdims=True)
    lse = m + np.log(np.exp(logits - m).sum(-1, keepdims=True))
    loss = -np.mean(np.sum((logits - lse) * y, -1))
    dlogits = (np.exp(logits - lse) - y) / len(x)
    dwd, dbd = flat.T @ dlogits, dlogits.sum(0)
    dp2 = (dlogits @ wd.T).reshape(p2.shape)
    da2 = np_pool_grad(dp2, arg2, a2.shape) * (a2 > 0)
    dp1, dw2 = np_conv_grads(p1, w2, cols2, da2)
    db2 = da2.sum((0, 1, 2))
    da1 = np_pool_grad(dp1, arg1, a1.shape) * (a1 > 0)
    _, dw1 = np_conv_grads(x, w1, cols1, da1)
    return loss, (dw1, da1.sum((0, 1, 2)), dw2, db2, dwd, dbd)


# ----------------------------------------------------- jaxlite / JAX (same code)

def make_step(jx, jnp, lax):
    def pool(a):
        return lax.reduce_window(a, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    def loss(params, x, y):
        w1, b1, w2, b2, wd, bd = params
        a = jnp.maximum(lax.conv_general_dilated(x, w1, (1, 1), "SAME",
                                                 dimension_numbers=DN) + b1, 0)
        a = pool(a)
        a = jnp.maximum(lax.conv_general_dilated(a, w2, (1, 1), "SAME",
                                                 dimension_numbers=DN) + b2, 0)
        a = pool(a)
        logits = a.reshape(x.shape[0], -1) @ wd + bd
        logp = logits - jax_logsumexp(jnp, logits)
        return -jnp.mean(jnp.sum(logp * y, -1))
    return jx.jit(jx.value_and_grad(loss))


def jax_logsumexp(jnp, z):
    m = jnp.max(z, -1, keepdims=True)
    return m + jnp.log(jnp.sum(jnp.exp(z - m), -1, keepdims=True))


def make_forward(jx, lax):
    return jx.jit(lambda x, w: lax.conv_general_dilated(x, w, (1, 1), "SAME",
                                                        dimension_numbers=DN))


def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 28, 28, 32)).astype(np.float32)
    w = (rng.standard_normal((3, 3, 32, 64)) * 0.05).astype(np.float32)
    imgs = rng.standard_normal((BATCH, 28, 28, 1)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, BATCH)]
    params = tuple(p.astype(np.float32) for p in (
        rng.standard_normal((3, 3, 1, 32)) * 0.3, np.zeros(32), rng.standard_normal(
            (3, 3, 32, 64)) * 0.06, np.zeros(64), rng.standard_normal((3136, 10)) * 0.02,
        np.zeros(10)))
    return x, w, imgs, y, params


def flops():
    fwd = 2 * BATCH * 28 * 28 * 64 * 9 * 32
    conv1 = 2 * BATCH * 28 * 28 * 32 * 9 * 1
    conv2 = 2 * BATCH * 14 * 14 * 64 * 9 * 32
    step = 2 * conv1 + 3 * conv2      # conv1: forward + kernel grad; conv2: + input grad
    return fwd, step


def _block(out):
    for leaf in (jax.tree_util.tree_leaves(out) if jax is not None else []):
        if hasattr(leaf, "block_until_ready"):
            leaf.block_until_ready()
    return out


def measure():
    """{row: {library: seconds}}, after checking every result against numpy."""
    x, w, imgs, y, params = data()
    ref_fwd = np_conv(x, w)[0]
    ref_loss, ref_grads = np_step(params, imgs, y)
    times = {"forward": {}, "step": {}}
    times["forward"]["numpy"] = timeit(lambda: np_conv(x, w)[0], repeat=3)
    times["step"]["numpy"] = timeit(lambda: np_step(params, imgs, y), repeat=3)
    libs = {"jaxlite": (jaxlite, jlnp, jl_lax)}
    if jax is not None:
        libs["JAX"] = (jax, jjnp, jx_lax)
    for name, (jx, jnp, lax) in libs.items():
        fwd = make_forward(jx, lax)
        step = make_step(jx, jnp, lax)
        if name == "JAX":
            xd, wd_, pd, imd, yd = (jax.device_put(v) for v in (x, w, params, imgs, y))
        else:
            xd, wd_, pd, imd, yd = x, w, params, imgs, y
        np.testing.assert_allclose(np.asarray(fwd(xd, wd_)), ref_fwd, rtol=2e-3, atol=2e-3)
        loss, grads = step(pd, imd, yd)
        np.testing.assert_allclose(float(loss), ref_loss, rtol=1e-4)
        for g, r in zip(grads, ref_grads):
            np.testing.assert_allclose(np.asarray(g), r, rtol=2e-3, atol=2e-4)
        times["forward"][name] = timeit(lambda: _block(fwd(xd, wd_)), repeat=3)
        times["step"][name] = timeit(lambda: _block(step(pd, imd, yd)), repeat=3)
    return times


def _single_thread_blas():
    """The jaxlite timings again in a subprocess with JAXLITE_BLAS_THREADS=1."""
    code = ("import bench_conv as b; t = b.measure_jaxlite(); "
            "print(t['forward'], t['step'])")
    env = dict(os.environ, JAXLITE_BLAS_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=os.path.dirname(os.path.abspath(__file__)))
    if out.returncode:
        return None
    fwd, step = out.stdout.split()[-2:]
    return float(fwd), float(step)


def measure_jaxlite():
    x, w, imgs, y, params = data()
    fwd = make_forward(jaxlite, jl_lax)
    step = make_step(jaxlite, jlnp, jl_lax)
    return {"forward": timeit(lambda: fwd(x, w), repeat=3),
            "step": timeit(lambda: step(params, imgs, y), repeat=3)}


def run():
    peak = gemm_peak()
    times = measure()
    single = _single_thread_blas()
    fwd_flops, step_flops = flops()
    rows = []
    for key, label, fl in (("forward", "conv 3x3 32->64, 28x28, batch 64, forward", fwd_flops),
                           ("step", "2-conv CNN step, jit(value_and_grad), batch 64",
                            step_flops)):
        t = times[key]
        jl, jx, npt = t["jaxlite"], t.get("JAX"), t["numpy"]
        rows.append([label, fmt_time(jl), fmt_time(jx), fmt_time(npt), fmt_ratio(jx, jl),
                     fmt_ratio(npt, jl), f"{fl / jl / 1e9:.1f} ({100 * fl / jl / peak:.0f}%)",
                     f"{fl / jx / 1e9:.1f}" if jx else "-"])
        if single is not None:
            s = single[0 if key == "forward" else 1]
            rows.append([label + ", JAXLITE_BLAS_THREADS=1", fmt_time(s), fmt_time(jx),
                         fmt_time(npt), fmt_ratio(jx, s), fmt_ratio(npt, s),
                         f"{fl / s / 1e9:.1f} ({100 * fl / s / peak:.0f}%)",
                         f"{fl / jx / 1e9:.1f}" if jx else "-"])
    version = f", JAX {jax.__version__}" if jax is not None else ""
    head = (f"### Convolutions under jit ({machine()}{version}; float32 GEMM peak "
            f"{peak / 1e9:.0f} GFLOP/s; ratios > 1 mean jaxlite is faster)")
    return head + "\n\n" + table(
        ["workload", "jaxlite", "JAX", "numpy", "JAX / jaxlite", "numpy / jaxlite",
         "jaxlite GFLOP/s (of peak)", "JAX GFLOP/s"], rows)


if __name__ == "__main__":
    print(run())
