"""Train a LeNet-style convolutional network with stax and optimizers.

Data: scikit-learn's 8x8 handwritten digits (1797 images, shipped inside the
scikit-learn package, no download) when scikit-learn is installed
(`pip install scikit-learn`, or the `examples` extra). Otherwise a synthetic
stand-in: 10 classes of noisy 8x8 stroke patterns, generated below. The loss
curve is written to cnn_loss.png when matplotlib is installed.

The code is written for JAX's API: replacing the jaxlite imports with their
`jax` counterparts runs it unchanged.
"""
import time

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite.example_libraries import optimizers, stax


def load_digits():
    """(images [n, 8, 8, 1] in [0, 1], labels [n], name of the data set)."""
    try:
        from sklearn.datasets import load_digits as sk_digits
    except ImportError:
        return synthetic_digits() + ("synthetic digits (scikit-learn not installed)",)
    d = sk_digits()
    return (d.images[..., None] / 16.0).astype(np.float32), d.target, "scikit-learn digits"


def synthetic_digits(n=1800, seed=0):
    """Ten fixed random stroke patterns on an 8x8 grid, each sample shifted by up
    to one pixel and blurred with noise: a task a CNN learns in a few epochs."""
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((10, 8, 8)) < 0.3).astype(np.float32)
    labels = rng.integers(0, 10, n)
    images = np.empty((n, 8, 8), np.float32)
    for i, c in enumerate(labels):
        shifted = np.roll(prototypes[c], rng.integers(-1, 2, 2), axis=(0, 1))
        images[i] = np.clip(shifted + 0.3 * rng.standard_normal((8, 8)), 0, 1)
    return images[..., None], labels


init_net, apply_net = stax.serial(
    stax.Conv(16, (3, 3), padding="SAME"), stax.Relu,
    stax.MaxPool((2, 2), strides=(2, 2)),
    stax.Conv(32, (3, 3), padding="SAME"), stax.Relu,
    stax.MaxPool((2, 2), strides=(2, 2)),
    stax.Flatten,
    stax.Dense(64), stax.Relu,
    stax.Dense(10), stax.LogSoftmax)


def loss(params, images, onehot):
    return -jnp.mean(jnp.sum(apply_net(params, images) * onehot, axis=-1))


predict = jax.jit(apply_net)


def accuracy(params, images, labels):
    return float(np.mean(np.argmax(predict(params, images), axis=-1) == labels))


def main(epochs=12, batch_size=64, seed=0):
    images, labels, name = load_digits()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    split = int(0.8 * len(labels))
    train, test = order[:split], order[split:]
    onehot = np.eye(10, dtype=np.float32)[labels]
    print(f"data: {name}: {len(train)} training and {len(test)} test images of 8x8")

    _, params = init_net(jax.random.PRNGKey(seed), (-1, 8, 8, 1))
    opt_init, opt_update, get_params = optimizers.adam(2e-3)

    @jax.jit
    def step(i, opt_state, x, y):
        value, grads = jax.value_and_grad(loss)(get_params(opt_state), x, y)
        return opt_update(i, grads, opt_state), value

    opt_state = opt_init(params)
    losses, it = [], 0
    start = time.perf_counter()
    for epoch in range(epochs):
        perm = rng.permutation(train)
        epoch_losses = []
        for b in range(len(perm) // batch_size):       # full batches: one compiled shape
            idx = perm[b * batch_size:(b + 1) * batch_size]
            opt_state, value = step(it, opt_state, images[idx], onehot[idx])
            epoch_losses.append(float(value))
            it += 1
        losses.extend(epoch_losses)
        params = get_params(opt_state)
        print(f"epoch {epoch + 1:2d}  loss {np.mean(epoch_losses):.4f}  "
              f"train acc {accuracy(params, images[train], labels[train]):.3f}  "
              f"({time.perf_counter() - start:.1f} s)")
    test_acc = accuracy(get_params(opt_state), images[test], labels[test])
    print(f"test accuracy: {test_acc:.3f}")
    plot(losses)
    return test_acc


def plot(losses, path="cnn_loss.png"):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no loss plot")
        return
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(losses)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_yscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"loss curve written to {path}")


if __name__ == "__main__":
    main()
