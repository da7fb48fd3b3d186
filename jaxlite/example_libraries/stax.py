"""stax: neural networks as (init_fun, apply_fun) pairs, with JAX's API.

A layer is a pair of functions:

* ``init_fun(rng, input_shape) -> (output_shape, params)``;
* ``apply_fun(params, inputs, **kwargs) -> outputs`` (``rng=`` reaches the
  layers that need randomness, such as Dropout).

Shapes may use -1 for a batch size unknown at init time. Combinators
(serial, parallel, FanOut, ...) build networks out of layers.
"""
import functools
import math

import numpy as np

from jaxlite import lax, random
from jaxlite import numpy as jnp
from jaxlite.nn import initializers
from jaxlite import nn

__all__ = ["Dense", "GeneralConv", "Conv", "Conv1D", "GeneralConvTranspose", "ConvTranspose",
           "Conv1DTranspose", "BatchNorm", "elementwise", "Tanh", "Relu", "Exp", "LogSoftmax",
           "Softmax", "Softplus", "Sigmoid", "Elu", "LeakyRelu", "Selu", "Gelu", "MaxPool",
           "SumPool", "AvgPool", "Flatten", "Identity", "FanOut", "FanInSum", "FanInConcat",
           "Dropout", "serial", "parallel", "shape_dependent", "glorot", "randn", "logsoftmax",
           "glorot_normal", "normal", "ones", "zeros", "relu", "elu", "gelu", "leaky_relu",
           "selu", "sigmoid", "softplus", "softmax", "log_softmax", "standardize"]

# Initializers stax's layers use by default (JAX's defaults).
glorot = initializers.glorot_normal
randn = initializers.normal
# Names JAX's stax module re-exports, which stax programs import from it.
glorot_normal, normal = initializers.glorot_normal, initializers.normal
ones, zeros = initializers.ones, initializers.zeros
relu, elu, gelu, leaky_relu, selu = nn.relu, nn.elu, nn.gelu, nn.leaky_relu, nn.selu
sigmoid, softplus, softmax, log_softmax, standardize = (
    nn.sigmoid, nn.softplus, nn.softmax, nn.log_softmax, nn.standardize)
logsoftmax = nn.log_softmax


# ------------------------------------------------------------------ dense

def Dense(out_dim, W_init=glorot(), b_init=randn()):
    """Fully connected layer: ``inputs @ W + b``."""
    def init_fun(rng, input_shape):
        k1, k2 = _split(rng, 2)
        W, b = W_init(k1, (input_shape[-1], out_dim)), b_init(k2, (out_dim,))
        return tuple(input_shape[:-1]) + (out_dim,), (W, b)

    def apply_fun(params, inputs, **kwargs):
        W, b = params
        return jnp.dot(inputs, W) + b
    return init_fun, apply_fun


# ----------------------------------------------------------- convolutions

def _concrete(shape):
    """-1 (unknown batch) -> 1 for shape computations; which dims were -1."""
    return tuple(1 if d == -1 else d for d in shape), [i for i, d in enumerate(shape) if d == -1]


def _restore(shape, unknown):
    return tuple(-1 if i in unknown else d for i, d in enumerate(shape))


def _out_shape(fn, input_shape, kernel_shape):
    """Output shape of ``fn`` (one convolution): run it once on zeros with a batch
    of 1 standing for an unknown (-1) batch."""
    shape, unknown = _concrete(input_shape)
    out = fn(np.zeros(shape, np.float32), np.zeros(kernel_shape, np.float32))
    return _restore(out.shape, unknown)


def _conv_layer(conv_fn, dimension_numbers, out_chan, filter_shape, strides, padding, W_init,
                b_init, extra):
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    one = (1,) * len(filter_shape)
    strides = strides or one
    W_init = W_init or glorot(rhs_spec.index("I"), rhs_spec.index("O"))     # JAX's default

    def conv(x, W):
        return conv_fn(x, W, strides, padding, dimension_numbers=dimension_numbers, **extra)

    def init_fun(rng, input_shape):
        spatial = iter(filter_shape)
        in_chan = input_shape[lhs_spec.index("C")]
        kernel_shape = tuple(out_chan if c == "O" else in_chan if c == "I" else next(spatial)
                             for c in rhs_spec)
        bias_shape = tuple(out_chan if c == "C" else 1 for c in out_spec)
        k1, k2 = _split(rng, 2)
        W, b = W_init(k1, kernel_shape), b_init(k2, bias_shape)
        return _out_shape(conv, input_shape, kernel_shape), (W, b)

    def apply_fun(params, inputs, **kwargs):
        W, b = params
        return conv(inputs, W) + b
    return init_fun, apply_fun


def GeneralConv(dimension_numbers, out_chan, filter_shape, strides=None, padding="VALID",
                W_init=None, b_init=randn(1e-6)):
    """Convolution layer with explicit layouts, e.g. ``("NHWC", "HWIO", "NHWC")``."""
    return _conv_layer(lax.conv_general_dilated, dimension_numbers, out_chan, filter_shape,
                       strides, padding, W_init, b_init, {})


Conv = functools.partial(GeneralConv, ("NHWC", "HWIO", "NHWC"))
Conv1D = functools.partial(GeneralConv, ("NHC", "HIO", "NHC"))


def GeneralConvTranspose(dimension_numbers, out_chan, filter_shape, strides=None,
                         padding="VALID", W_init=None, b_init=randn(1e-6)):
    """Transposed convolution layer (lax.conv_transpose) with explicit layouts."""
    return _conv_layer(lax.conv_transpose, dimension_numbers, out_chan, filter_shape, strides,
                       padding, W_init, b_init, {})


ConvTranspose = functools.partial(GeneralConvTranspose, ("NHWC", "HWIO", "NHWC"))
Conv1DTranspose = functools.partial(GeneralConvTranspose, ("NHC", "HIO", "NHC"))


# -------------------------------------------------------------- BatchNorm

def BatchNorm(axis=(0, 1, 2), epsilon=1e-5, center=True, scale=True,
              beta_init=initializers.zeros, gamma_init=initializers.ones):
    """Normalize over ``axis`` with the batch's own statistics (no running
    averages, as stax), then scale by gamma and shift by beta."""
    axis = (axis,) if np.isscalar(axis) else tuple(axis)

    def init_fun(rng, input_shape):
        ax = [a % len(input_shape) for a in axis]
        shape = tuple(d for i, d in enumerate(input_shape) if i not in ax)
        k1, k2 = _split(rng, 2)
        beta = beta_init(k1, shape) if center else ()
        gamma = gamma_init(k2, shape) if scale else ()
        return input_shape, (beta, gamma)

    def apply_fun(params, x, **kwargs):
        beta, gamma = params
        ax = tuple(a % x.ndim for a in axis)
        z = nn.standardize(x, ax, epsilon=epsilon)
        expand = tuple(None if i in ax else slice(None) for i in range(x.ndim))
        if scale:
            z = gamma[expand] * z
        if center:
            z = z + beta[expand]
        return z
    return init_fun, apply_fun


# ------------------------------------------------------ elementwise layers

def elementwise(fun, **fun_kwargs):
    """A parameterless layer applying ``fun`` to its input."""
    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        return fun(inputs, **fun_kwargs)
    return init_fun, apply_fun


Tanh = elementwise(jnp.tanh)
Relu = elementwise(nn.relu)
Exp = elementwise(jnp.exp)
LogSoftmax = elementwise(nn.log_softmax, axis=-1)
Softmax = elementwise(nn.softmax, axis=-1)
Softplus = elementwise(nn.softplus)
Sigmoid = elementwise(nn.sigmoid)
Elu = elementwise(nn.elu)
LeakyRelu = elementwise(nn.leaky_relu)
Selu = elementwise(nn.selu)
Gelu = elementwise(nn.gelu)


# ---------------------------------------------------------------- pooling

def _pool_geometry(window_shape, strides, spec, ndim):
    """Window dims / strides over all ``ndim`` dims: 1 on the batch and channel
    dims (leading and trailing by default, else where ``spec`` puts N and C)."""
    strides = strides or (1,) * len(window_shape)
    if spec is None:
        non_spatial = (0, ndim - 1)
    else:
        non_spatial = (spec.index("N"), spec.index("C"))
    dims, strd, it = [], [], iter(zip(window_shape, strides))
    for i in range(ndim):
        if i in non_spatial:
            dims.append(1)
            strd.append(1)
        else:
            w, s = next(it)
            dims.append(w)
            strd.append(s)
    return tuple(dims), tuple(strd), non_spatial


def _pooling_layer(kind):
    def layer(window_shape, strides=None, padding="VALID", spec=None):
        def geometry(ndim):
            return _pool_geometry(window_shape, strides, spec, ndim)

        def init_fun(rng, input_shape):
            shape, unknown = _concrete(input_shape)
            dims, strd, _ = geometry(len(shape))
            pads = lax.padtype_to_pads(shape, dims, strd, padding) \
                if isinstance(padding, str) else padding
            out = lax.reduce_window_shape_tuple(shape, dims, strd, pads)
            return _restore(out, unknown), ()

        def apply_fun(params, inputs, **kwargs):
            dims, strd, non_spatial = geometry(inputs.ndim)
            if kind == "max":
                return lax.reduce_window(inputs, -np.inf, lax.max, dims, strd, padding)
            out = lax.reduce_window(inputs, 0.0, lax.add, dims, strd, padding)
            if kind == "sum":
                return out
            return out / _window_counts(inputs.shape, dims, strd, padding, non_spatial)
        return init_fun, apply_fun
    return layer


def _window_counts(shape, dims, strides, padding, non_spatial):
    """How many real (not padding) elements each average-pool window holds."""
    if padding == "VALID":
        return float(math.prod(dims))
    spatial = tuple(1 if i in non_spatial else d for i, d in enumerate(shape))
    ones = np.ones(spatial, np.float32)
    return lax.reduce_window(ones, 0.0, lax.add, dims, strides, padding)


MaxPool = _pooling_layer("max")
SumPool = _pooling_layer("sum")
AvgPool = _pooling_layer("avg")


# ------------------------------------------------------------- structural

def _flatten_init(rng, input_shape):
    rest = math.prod(input_shape[1:])
    return (input_shape[0], rest), ()


def _flatten_apply(params, inputs, **kwargs):
    return jnp.reshape(inputs, (inputs.shape[0], -1))


Flatten = (_flatten_init, _flatten_apply)
Identity = (lambda rng, input_shape: (input_shape, ()), lambda params, inputs, **kw: inputs)


def FanOut(num):
    """Copies its input ``num`` times (for parallel branches)."""
    return (lambda rng, input_shape: ([input_shape] * num, ()),
            lambda params, inputs, **kwargs: [inputs] * num)


def _fan_in_sum_init(rng, input_shape):
    return input_shape[0], ()


FanInSum = (_fan_in_sum_init, lambda params, inputs, **kwargs: sum(inputs[1:], inputs[0]))


def FanInConcat(axis=-1):
    """Concatenates its inputs along ``axis``."""
    def init_fun(rng, input_shape):
        ax = axis % len(input_shape[0])
        size = sum(s[ax] for s in input_shape)
        out = list(input_shape[0])
        out[ax] = size
        return tuple(out), ()

    def apply_fun(params, inputs, **kwargs):
        return jnp.concatenate(inputs, axis)
    return init_fun, apply_fun


def Dropout(rate, mode="train"):
    """Keeps each input with probability ``rate`` (scaled by 1/rate) in "train"
    mode; the identity otherwise. Needs ``rng=`` when applied in train mode."""
    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        if mode != "train":
            return inputs
        rng = kwargs.get("rng", None)
        if rng is None:
            raise ValueError("Dropout layer requires apply_fun to be called with a PRNG key "
                             "argument. That is, instead of `apply_fun(params, inputs)`, call "
                             "it like `apply_fun(params, inputs, rng)` where `rng` is a PRNG "
                             "key (e.g. from `jax.random.key`).")
        keep = random.bernoulli(rng, rate, inputs.shape)
        return jnp.where(keep, inputs / rate, 0)
    return init_fun, apply_fun


# ------------------------------------------------------------ combinators

def _split(rng, n):
    if rng is None:
        return [None] * n
    keys = random.split(rng, n)
    return [keys[i] for i in range(n)]


def serial(*layers):
    """Layers applied one after the other."""
    init_funs, apply_funs = zip(*layers) if layers else ((), ())

    def init_fun(rng, input_shape):
        # JAX's key schedule (split off one key per layer in turn), so a seed
        # gives the same parameters as in JAX.
        params = []
        for init in init_funs:
            rng, layer_rng = _split(rng, 2)
            input_shape, p = init(layer_rng, input_shape)
            params.append(p)
        return input_shape, params

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.pop("rng", None)
        for fun, p, key in zip(apply_funs, params, _split(rng, len(apply_funs))):
            inputs = fun(p, inputs, rng=key, **kwargs)
        return inputs
    return init_fun, apply_fun


def parallel(*layers):
    """Layers applied to the matching elements of a sequence of inputs."""
    init_funs, apply_funs = zip(*layers) if layers else ((), ())

    def init_fun(rng, input_shape):
        outs = [init(key, shape) for init, key, shape
                in zip(init_funs, _split(rng, len(init_funs)), input_shape)]
        return tuple(s for s, _ in outs), tuple(p for _, p in outs)     # tuples, as JAX

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.pop("rng", None)
        return [f(p, x, rng=key, **kwargs) for f, p, x, key
                in zip(apply_funs, params, inputs, _split(rng, len(apply_funs)))]
    return init_fun, apply_fun


def shape_dependent(make_layer):
    """A layer built by ``make_layer(input_shape)`` when the input shape is known."""
    def init_fun(rng, input_shape):
        return make_layer(input_shape)[0](rng, input_shape)

    def apply_fun(params, inputs, **kwargs):
        return make_layer(inputs.shape)[1](params, inputs, **kwargs)
    return init_fun, apply_fun
