"""Linear algebra under jit: jaxlite vs numpy and JAX (when installed), one run.

    python benchmarks/bench_linalg.py     # prints a markdown table

* ``jit(value_and_grad)`` of a Gaussian-process negative log marginal
  likelihood (RBF kernel, 3 hyperparameters, n = 500 points, float64):
  cho_factor / cho_solve / slogdet, as examples/gaussian_process.py. numpy's
  column is the hand-derived gradient  0.5 tr((K^-1 - a a^T) dK/dtheta)
  with numpy's Cholesky and triangular solves (scipy's when installed).
* ``jit(vmap(f))`` over 1000 float64 8x8 matrices for f = solve (one
  right-hand side), cholesky and eigh; numpy's column is its natively
  batched call on the (1000, 8, 8) stack.

Both libraries run the same code (written against a ``(jax, jnp, jsl)``
triple). JAX runs with 64-bit types enabled, inputs device-resident, results
blocked on. Results are checked against numpy before timing. The GP row is
repeated with JAXLITE_BLAS_THREADS=1 (one OpenBLAS thread per LAPACK call).
"""
import contextlib
import os

import numpy as np

from common import optional, timeit, versus_section

import jaxlite
import jaxlite.numpy as jlnp
from jaxlite.scipy import linalg as jlsl
from jaxlite.compiler import cache

jax = optional("jax")
scipy_linalg = optional("scipy.linalg")
if jax is not None:
    import jax.numpy as jjnp
    from jax.scipy import linalg as jxsl

LIBS = {"jaxlite": (jaxlite, jlnp, jlsl)}
if jax is not None:
    LIBS["JAX"] = (jax, jjnp, jxsl)

N_GP, BATCH, SIZE = 500, 1000, 8


@contextlib.contextmanager
def _env(name, value):
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


def _x64(lib):
    """JAX needs 64-bit types switched on for float64 (jaxlite has them)."""
    return jax.enable_x64(True) if lib == "JAX" else contextlib.nullcontext()


def _timed(lib, f, *args, **kw):
    with _x64(lib):
        if lib == "JAX":
            args = jax.device_put(args)
            return timeit(lambda: jax.block_until_ready(f(*args)), **kw)
        return timeit(lambda: f(*args), **kw)


def _call(lib, f, *args):
    with _x64(lib):
        out = f(*args)
        return jax.block_until_ready(out) if lib == "JAX" else out


# ------------------------------------------------------------------ workloads

def gp_loss(jnp, jsl):
    def loss(params, x, y):
        n = x.shape[0]
        d2 = (x[:, None] - x[None, :]) ** 2
        K = jnp.exp(2.0 * params[1]) * jnp.exp(-0.5 * d2 / jnp.exp(2.0 * params[0]))
        K = K + (jnp.exp(2.0 * params[2]) + 1e-8) * jnp.eye(n)
        alpha = jsl.cho_solve(jsl.cho_factor(K, lower=True), y)
        return 0.5 * jnp.dot(y, alpha) + 0.5 * jnp.linalg.slogdet(K)[1] \
            + 0.5 * n * np.log(2.0 * np.pi)
    return loss


def numpy_gp_value_and_grad(params, x, y):
    n = x.shape[0]
    d2 = (x[:, None] - x[None, :]) ** 2
    ell2, s2, noise = np.exp(2.0 * params)
    R = np.exp(-0.5 * d2 / ell2)
    K = s2 * R + (noise + 1e-8) * np.eye(n)
    L = np.linalg.cholesky(K)
    if scipy_linalg is not None:
        Kinv = scipy_linalg.cho_solve((L, True), np.eye(n))
    else:
        Linv = np.linalg.inv(L)
        Kinv = Linv.T @ Linv
    alpha = Kinv @ y
    value = 0.5 * y @ alpha + np.sum(np.log(np.diag(L))) + 0.5 * n * np.log(2.0 * np.pi)
    W = Kinv - np.outer(alpha, alpha)
    dK = [s2 * R * d2 / ell2, 2.0 * s2 * R, 2.0 * noise * np.eye(n)]   # d/d log params
    return value, np.array([0.5 * np.sum(W * d) for d in dK])


def gp_rows():
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0.0, 10.0, N_GP))
    y = np.sin(x) + 0.1 * rng.standard_normal(N_GP)
    params = np.log(np.array([1.0, 1.0, 0.3]))
    want_v, want_g = numpy_gp_value_and_grad(params, x, y)
    times = {}
    for lib, (jx, jnp, jsl) in LIBS.items():
        f = jx.jit(jx.value_and_grad(gp_loss(jnp, jsl)))
        v, g = _call(lib, f, params, x, y)
        np.testing.assert_allclose(float(v), want_v, rtol=1e-8)
        np.testing.assert_allclose(np.asarray(g), want_g, rtol=1e-6, atol=1e-8)
        times[lib] = _timed(lib, f, params, x, y, repeat=5, min_time=0.5)
    # OpenBLAS's threads spin between calls; on a busy 2-core machine one thread per
    # LAPACK/BLAS call can be faster (the knob is read at compile time).
    with _env("JAXLITE_BLAS_THREADS", "1"):
        cache.clear_memory()
        f = jaxlite.jit(jaxlite.value_and_grad(gp_loss(jlnp, jlsl)))
        t_one = _timed("jaxlite", f, params, x, y, repeat=5, min_time=0.5)
    cache.clear_memory()
    t_np = timeit(lambda: numpy_gp_value_and_grad(params, x, y), repeat=5, min_time=0.5)
    name = f"jit(value_and_grad) GP -log marginal likelihood, n={N_GP}, f64"
    return [[name, times["jaxlite"], t_np, times.get("JAX")],
            [name + ", JAXLITE_BLAS_THREADS=1", t_one, None, times.get("JAX")]]


def batched_rows():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((BATCH, SIZE, SIZE))
    spd = a @ np.swapaxes(a, -1, -2) + SIZE * np.eye(SIZE)
    b = rng.standard_normal((BATCH, SIZE))
    cases = [
        ("solve", lambda jnp: jnp.linalg.solve, (a, b), lambda a, b: np.linalg.solve(
            a, b[..., None])[..., 0]),
        ("cholesky", lambda jnp: jnp.linalg.cholesky, (spd,), np.linalg.cholesky),
        ("eigh", lambda jnp: (lambda m: jnp.linalg.eigh(m)[0]), (spd,), np.linalg.eigvalsh),
    ]
    rows = []
    for name, make, args, np_fn in cases:
        want = np_fn(*args)
        times = {}
        for lib, (jx, jnp, _) in LIBS.items():
            f = jx.jit(jx.vmap(make(jnp)))
            np.testing.assert_allclose(np.asarray(_call(lib, f, *args)), want, rtol=1e-9,
                                       atol=1e-9)
            times[lib] = _timed(lib, f, *args, repeat=5, min_time=0.3)
        t_np = timeit(lambda: np_fn(*args), repeat=5, min_time=0.3)
        rows.append([f"jit(vmap({name})) of {BATCH} {SIZE}x{SIZE} f64 matrices",
                     times["jaxlite"], t_np, times.get("JAX")])
    return rows


def run():
    return versus_section("Linear algebra under jit", jax, gp_rows() + batched_rows())


if __name__ == "__main__":
    print(run())
