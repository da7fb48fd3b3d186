"""Long fused chains are split into kernels of bounded size (fusion.MAX_KERNEL_WEIGHT),
so each kernel's loop is still vectorized and compile time stays linear."""
import numpy as np

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.compiler import engine, fusion


def _sines(x, steps):
    for _ in range(steps):
        x = jnp.sin(x) * 1.01
    return x


def test_a_long_chain_of_transcendentals_is_split_and_vectorized():
    x = np.random.default_rng(0).normal(size=4096).astype(np.float32)
    compiled = jaxlite.jit(lambda v: _sines(v, 100)).lower(x).compile()
    optimized = compiled.llvm_ir(optimized=True)
    unoptimized = compiled.llvm_ir(optimized=False).split("\ndefine ")[1:]
    assert all(len(f) < engine.VECTORIZE_LIMIT for f in unoptimized)
    assert "x float>" in optimized           # the loops run on vectors
    assert len(unoptimized) > 3                 # several kernels
    want = x.astype(np.float64)
    for _ in range(100):
        want = np.sin(want) * 1.01
    np.testing.assert_allclose(compiled(x), want, rtol=2e-4, atol=1e-5)
    np.testing.assert_allclose(jaxlite.jit(lambda v: _sines(v, 100))(x), _sines(x, 100),
                               rtol=1e-5, atol=1e-6)


def test_kernel_weight_is_bounded():
    def chain(v):
        for _ in range(3000):
            v = v * np.float32(1.0001) + np.float32(0.0001)
        return v
    closed = jaxlite.make_jaxpr(chain)(np.ones(64, np.float32))
    prog = fusion.fuse(closed)
    assert len(prog.kernels) >= 6000 // fusion.MAX_KERNEL_WEIGHT
    assert all(k.weight <= fusion.MAX_KERNEL_WEIGHT for k in prog.kernels)
    want = np.ones(64, np.float32)
    for _ in range(3000):
        want = want * np.float32(1.0001) + np.float32(0.0001)
    np.testing.assert_allclose(jaxlite.jit(chain)(np.ones(64, np.float32)), want, rtol=1e-4)
