"""Gamma, Beta and Dirichlet samples in a small Bayesian workflow.

Samples come from jit-compiled, vmapped samplers with traced keys; their
moments are checked against closed forms, and the samplers' reparameterized
gradients estimate d/da E[X] for X ~ Gamma(a) (exactly 1) and fit a Beta
prior's mean by gradient descent through the sampler.
"""
import jax
import jax.numpy as jnp
import numpy as np


def check(name, got, want, tol):
    got = float(got)
    print(f"{name:40s} {got: .4f} (expected {want: .4f})")
    assert abs(got - want) < tol, (name, got, want)


N = 50_000
key = jax.random.PRNGKey(2024)
k_gamma, k_beta, k_dir, k_grad, k_fit = jax.random.split(key, 5)

# Gamma(a) for four shapes at once: one key each, vmapped and compiled.
shapes = jnp.array([0.5, 1.0, 3.0, 10.0])
draw = jax.jit(jax.vmap(lambda k, a: jax.random.gamma(k, a, (N,))))
g = draw(jax.random.split(k_gamma, 4), shapes)
for a, row in zip(shapes, g):
    se = float(jnp.sqrt(a / N))
    check(f"mean of Gamma({float(a)})", row.mean(), float(a), 5 * se)

# Beta(2, 5): mean a / (a + b), variance ab / ((a+b)^2 (a+b+1)).
b = jax.jit(lambda k: jax.random.beta(k, 2.0, 5.0, (N,)))(k_beta)
check("mean of Beta(2, 5)", b.mean(), 2 / 7, 0.005)
check("variance of Beta(2, 5)", b.var(), 10 / (49 * 8), 0.002)

# A posterior Dirichlet(1 + counts) over three categories, sampled under jit.
counts = jnp.array([12.0, 3.0, 5.0])
alpha = 1.0 + counts
d = jax.jit(lambda k: jax.random.dirichlet(k, alpha, (N,)))(k_dir)
assert jnp.allclose(d.sum(-1), 1.0, atol=1e-5)
for i in range(3):
    check(f"posterior mean of p[{i}]", d[:, i].mean(), float(alpha[i] / alpha.sum()), 0.005)


# Reparameterized gradient: d/da E[X] = 1 for X ~ Gamma(a), at several a.
def mean_gamma(a):
    return jnp.mean(jax.random.gamma(k_grad, a, (N,)))


grads = jax.vmap(jax.grad(mean_gamma))(jnp.array([0.3, 2.0, 8.0]))
for a, gr in zip([0.3, 2.0, 8.0], grads):
    check(f"d/da E[Gamma(a)] at a={a}", gr, 1.0, 0.05)


# Fit a so that a Beta(a, 4) prior has mean 0.5 (the answer is a = 4) by
# gradient descent on a Monte Carlo loss through the sampler.
def loss(log_a, k):
    x = jax.random.beta(k, jnp.exp(log_a), 4.0, (4_000,))
    return (jnp.mean(x) - 0.5) ** 2


step = jax.jit(jax.value_and_grad(loss))
log_a = jnp.log(1.0)
for k in jax.random.split(k_fit, 200):
    _, gr = step(log_a, k)
    log_a = log_a - 5.0 * gr
check("fitted a of Beta(a, 4) with mean 1/2", jnp.exp(log_a), 4.0, 0.4)
assert np.isfinite(float(log_a))
print("OK")
