"""Train a small MLP classifier with jit(value_and_grad(loss)) and plain SGD.

The code is written for JAX's API: replacing the two jaxlite imports with
`import jax` / `import jax.numpy as jnp` runs it unchanged.
"""
import time

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp


def init_params(key, sizes):
    params = []
    for din, dout in zip(sizes[:-1], sizes[1:]):
        key, sub = jax.random.split(key)
        w = jax.random.normal(sub, (din, dout)) * np.float32(np.sqrt(2.0 / din))
        params.append({"w": w, "b": jnp.zeros(dout)})
    return params


def predict(params, x):
    for layer in params[:-1]:
        x = jax.nn.relu(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]


def loss(params, x, y):
    logits = predict(params, x)
    return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits) * y, axis=-1))


@jax.jit
def sgd_step(params, x, y, lr):
    value, grads = jax.value_and_grad(loss)(params, x, y)
    params = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
    return params, value


def make_data(n=512, d=16, classes=4, seed=0):
    """Points around random class centres: learnable, not trivially separable."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, d)).astype(np.float32) * 1.5
    labels = rng.integers(0, classes, size=n)
    x = centres[labels] + rng.normal(size=(n, d)).astype(np.float32)
    return x, jax.nn.one_hot(labels, classes), labels


def main():
    x, y, labels = make_data()
    params = init_params(jax.random.PRNGKey(0), [16, 64, 64, 4])
    start = time.perf_counter()
    for step in range(201):
        params, value = sgd_step(params, x, y, 0.1)
        if step % 50 == 0:
            print(f"step {step:3d}  loss {float(value):.4f}")
    elapsed = time.perf_counter() - start
    accuracy = float(jnp.mean(jnp.argmax(predict(params, x), axis=-1) == labels))
    print(f"train accuracy {accuracy:.3f}  ({elapsed:.2f} s for 201 steps, including compile)")
    assert accuracy > 0.8, "the MLP failed to learn"


if __name__ == "__main__":
    main()
