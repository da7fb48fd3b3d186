"""Looking inside traced code: jax.debug.print and callback, NaN checking; plus FFTs and complex gradients."""
import contextlib
import io

import numpy as np

import jax
import jax.numpy as jnp

# jax.debug.print shows runtime values inside jit (a plain print would show a tracer).
@jax.jit
def scaled(x):
    y = 2.0 * x
    jax.debug.print("y = {}", y)
    jax.debug.print("sum={s:.1f} first={f}", s=jnp.sum(y), f=y[0])
    return y + 1.0


buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    out = scaled(jnp.array([1.0, 2.0]))
    jax.effects_barrier()
np.testing.assert_allclose(out, [3.0, 5.0])
lines = buf.getvalue().splitlines()
assert lines[0] == "y = [2. 4.]", lines
assert lines[1] == "sum=6.0 first=2.0", lines

# Under vmap each batch element prints its own line.
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    jax.vmap(lambda v: jax.debug.print("v={v}", v=v) or v * v)(jnp.arange(3))
    jax.effects_barrier()
assert sorted(buf.getvalue().splitlines()) == ["v=0", "v=1", "v=2"], buf.getvalue()

# jax.debug.callback hands concrete numpy values to Python code.
seen = []


@jax.jit
def f(x):
    jax.debug.callback(lambda v: seen.append(np.asarray(v)), jnp.sin(x))
    return jnp.cos(x)


np.testing.assert_allclose(f(jnp.array([0.0, 1.0])), np.cos([0.0, 1.0]), rtol=1e-6)
jax.effects_barrier()
assert len(seen) == 1
np.testing.assert_allclose(seen[0], np.sin([0.0, 1.0]), rtol=1e-6)
jax.grad(lambda v: jnp.sum(f(v)))(jnp.array([0.5, 2.0]))   # callbacks also run under grad
jax.effects_barrier()
assert len(seen) == 2

# FFTs against numpy.
sig = np.random.default_rng(0).normal(size=16).astype(np.float32)
np.testing.assert_allclose(jnp.fft.fft(sig), np.fft.fft(sig), rtol=1e-4, atol=1e-4)
np.testing.assert_allclose(jnp.fft.rfft(sig), np.fft.rfft(sig), rtol=1e-4, atol=1e-4)
np.testing.assert_allclose(jnp.fft.ifft(jnp.fft.fft(sig)).real, sig, rtol=1e-5, atol=1e-5)
np.testing.assert_allclose(jnp.fft.irfft(jnp.fft.rfft(sig), n=16), sig, rtol=1e-5, atol=1e-5)
assert jnp.fft.fft(sig).dtype == jnp.complex64
np.testing.assert_allclose(jnp.fft.fft2(sig.reshape(4, 4)), np.fft.fft2(sig.reshape(4, 4)), rtol=1e-4, atol=1e-4)
# Parseval: the energy of a signal equals the energy of its spectrum over n.
np.testing.assert_allclose(jnp.sum(jnp.abs(jnp.fft.fft(sig)) ** 2) / 16, np.sum(sig ** 2), rtol=1e-5)

# Complex arithmetic and gradients of real-valued functions with complex intermediates.
z = jnp.array([1 + 2j, -0.5j])
np.testing.assert_allclose(z * jnp.conj(z), np.abs(np.array([1 + 2j, -0.5j])) ** 2)
np.testing.assert_allclose(jnp.exp(1j * jnp.pi), -1.0, atol=1e-6)
np.testing.assert_allclose(jnp.angle(jnp.array(1j)), np.pi / 2, rtol=1e-6)
g = jax.grad(lambda t: jnp.abs(jnp.exp(1j * t)))(0.7)       # |e^{it}| = 1, so 0
np.testing.assert_allclose(g, 0.0, atol=1e-6)
g = jax.grad(lambda t: jnp.real((2 + 3j) * jnp.exp(1j * t)))(0.7)   # 2 cos t - 3 sin t
np.testing.assert_allclose(g, -2 * np.sin(0.7) - 3 * np.cos(0.7), rtol=1e-5)
g = jax.grad(lambda t: jnp.abs(t + 1j * t ** 2) ** 2)(1.5)    # t^2 + t^4
np.testing.assert_allclose(g, 2 * 1.5 + 4 * 1.5 ** 3, rtol=1e-5)
g = jax.jit(jax.grad(lambda t: jnp.sum(jnp.abs(jnp.fft.fft(t)) ** 2)))(sig)   # Parseval: 16 * 2 t
np.testing.assert_allclose(g, 32 * sig, rtol=1e-4, atol=1e-4)

# jax_debug_nans turns a NaN produced under jit into a FloatingPointError.
assert bool(jnp.isnan(jax.jit(lambda v: jnp.log(v) * 0.0)(-1.0)))    # silently NaN by default
jax.config.update("jax_debug_nans", True)
try:
    jax.jit(lambda v: jnp.log(v) * 0.0)(-1.0)
except FloatingPointError:
    pass
else:
    raise AssertionError("jax_debug_nans should raise FloatingPointError")
finally:
    jax.config.update("jax_debug_nans", False)
print("OK")
