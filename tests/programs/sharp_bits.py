"""JAX's documented sharp bits, each checked: the behaviours that surprise NumPy users."""
import numpy as np

import jax
import jax.numpy as jnp

x = jnp.arange(5.0)

# 1. Arrays are immutable: in-place assignment raises; .at[] returns an updated copy.
try:
    x[0] = 10.0
except TypeError as e:
    assert "immutable" in str(e)
else:
    raise AssertionError("item assignment should raise TypeError")
y = x.at[0].set(10.0)
np.testing.assert_array_equal(y, [10.0, 1, 2, 3, 4])
np.testing.assert_array_equal(x, np.arange(5.0))         # the original is untouched
np.testing.assert_array_equal(jax.jit(lambda a: a.at[1:3].set(-1.0))(x), [0, -1, -1, 3, 4])

# 2. Repeated indices: add/mul/min/max accumulate every update; set with equal values is well defined.
idx = jnp.array([0, 2, 2, 2, 4])
np.testing.assert_array_equal(jnp.zeros(5).at[idx].add(1.0), [1, 0, 3, 0, 1])
np.testing.assert_array_equal(jnp.ones(5).at[idx].mul(2.0), [2, 1, 8, 1, 2])
upd = jnp.array([5.0, -1.0, 7.0, 3.0, 9.0])
np.testing.assert_array_equal(jnp.zeros(5).at[idx].min(upd), [0, 0, -1, 0, 0])
np.testing.assert_array_equal(jnp.zeros(5).at[idx].max(upd), [5, 0, 7, 0, 9])
np.testing.assert_array_equal(jnp.zeros(5).at[idx].set(4.0), [4, 0, 4, 0, 4])
want = np.zeros(5)
np.add.at(want, np.asarray(idx), np.asarray(upd))        # numpy's unbuffered equivalent
np.testing.assert_array_equal(jnp.zeros(5).at[idx].add(upd), want)

# 3. Out-of-bounds reads clamp to the edge (no IndexError); mode="fill" returns a fill value.
assert float(x[10]) == 4.0
assert float(jax.jit(lambda a, i: a[i])(x, 10)) == 4.0
np.testing.assert_array_equal(x[jnp.array([1, 7])], [1.0, 4.0])
np.testing.assert_array_equal(x.at[jnp.array([1, 7])].get(mode="fill", fill_value=-1.0), [1.0, -1.0])
assert bool(jnp.isnan(x.at[9].get(mode="fill")))          # floats fill with NaN by default

# 4. Out-of-bounds writes are dropped.
np.testing.assert_array_equal(x.at[10].set(99.0), x)
np.testing.assert_array_equal(x.at[jnp.array([0, 8])].add(1.0), [1.0, 1, 2, 3, 4])

# 5. jax.numpy functions do not accept lists (an implicit per-element conversion would be slow).
try:
    jnp.sum([1, 2, 3])
except TypeError:
    pass
else:
    raise AssertionError("jnp.sum(list) should raise TypeError")
assert int(jnp.sum(jnp.array([1, 2, 3]))) == 6

# 6. Type promotion: Python scalars are weakly typed and keep the array's dtype.
i32, f32 = jnp.ones(3, jnp.int32), jnp.ones(3, jnp.float32)
assert (i32 + f32).dtype == jnp.float32
assert (f32 * 2.0).dtype == jnp.float32
assert (i32 * 2).dtype == jnp.int32
assert (i32 + 2.5).dtype == jnp.float32
assert (jnp.ones(2, jnp.int8) + 300).dtype == jnp.int8
np.testing.assert_array_equal(jnp.ones(2, jnp.int8) + 300, [45, 45])     # 300 wraps to 44 in int8
assert (jnp.ones(2, jnp.uint8) + jnp.ones(2, jnp.int8)).dtype == jnp.int16
assert (jnp.ones(2, jnp.float16) * 3.0).dtype == jnp.float16
assert jnp.promote_types(jnp.int32, jnp.float16) == jnp.float16

# 7. 64-bit types are off by default: Python floats and ints become float32 and int32.
assert jnp.arange(3.0).dtype == jnp.float32
assert jnp.array(1).dtype == jnp.int32
assert jnp.array([0.5, 1.5]).dtype == jnp.float32 and jnp.zeros(2).dtype == jnp.float32
assert jax.grad(lambda v: v * v)(3.0).dtype == jnp.float32
assert not jax.config.jax_enable_x64

# 8. NaN gradients through where: the unselected branch still gets a (NaN) cotangent.
def naive(v):
    return jnp.where(v > 0, jnp.sqrt(v), 0.0)


def double_where(v):
    safe = jnp.where(v > 0, v, 1.0)          # keep sqrt's input in its domain
    return jnp.where(v > 0, jnp.sqrt(safe), 0.0)


pts = jnp.array([-1.0, 0.0, 4.0])
assert np.isnan(np.asarray(jax.vmap(jax.grad(naive))(pts))[:2]).all()
np.testing.assert_allclose(jax.vmap(jax.grad(double_where))(pts), [0.0, 0.0, 0.25])
np.testing.assert_allclose(double_where(pts), naive(pts))

# 9. Python control flow on traced values fails under jit; lax.cond or static args fix it.
try:
    jax.jit(lambda v: v if v > 0 else -v)(1.0)
except jax.errors.TracerBoolConversionError:
    pass
else:
    raise AssertionError("bool() of a tracer should raise")
absval = jax.jit(lambda v, neg: -v if neg else v, static_argnums=1)
assert float(absval(-3.0, True)) == 3.0
print("OK")
