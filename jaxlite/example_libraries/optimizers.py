"""optimizers: first-order optimizers as (init_fun, update_fun, get_params)
triples, with JAX's API.

``opt_init(params) -> opt_state``; ``opt_update(step, grads, opt_state) ->
opt_state``; ``get_params(opt_state) -> params``. Params may be any pytree;
each optimizer is written for one array and the ``optimizer`` decorator maps
it over the tree's leaves. The state is an ``OptimizerState`` pytree, so it
can be passed through ``jit``.
"""
import functools
from collections import namedtuple

import numpy as np

from jaxlite import numpy as jnp
from jaxlite.tree_util import (register_pytree_node, tree_flatten, tree_leaves, tree_map,
                               tree_unflatten)

__all__ = ["OptimizerState", "Optimizer", "optimizer", "make_schedule", "constant",
           "exponential_decay", "inverse_time_decay", "polynomial_decay",
           "piecewise_constant", "sgd", "momentum", "nesterov", "adagrad", "rmsprop",
           "rmsprop_momentum", "adam", "adamax", "sm3", "l2_norm", "clip_grads", "JoinPoint",
           "unpack_optimizer_state", "pack_optimizer_state"]

OptimizerState = namedtuple("OptimizerState", ["packed_state", "tree_def", "subtree_defs"])
register_pytree_node(
    OptimizerState,
    lambda s: ((s.packed_state,), (s.tree_def, s.subtree_defs)),
    lambda aux, children: OptimizerState(children[0], aux[0], aux[1]))

Optimizer = namedtuple("Optimizer", ["init_fn", "update_fn", "params_fn"])


def _flatten_states(states):
    pairs = [tree_flatten(s) for s in states]
    return [leaves for leaves, _ in pairs], [d for _, d in pairs]


def optimizer(opt_maker):
    """Decorator: ``opt_maker(*args)`` returns (init, update, get_params) for one
    array; the decorated function returns them for pytrees of arrays."""
    @functools.wraps(opt_maker)
    def tree_opt_maker(*args, **kwargs):
        init, update, get_params = opt_maker(*args, **kwargs)

        @functools.wraps(init)
        def tree_init(x0_tree):
            x0_flat, tree = tree_flatten(x0_tree)
            states_flat, subtrees = _flatten_states([init(x0) for x0 in x0_flat])
            return OptimizerState(states_flat, tree, subtrees)

        @functools.wraps(update)
        def tree_update(i, grad_tree, opt_state):
            states_flat, tree, subtrees = opt_state
            grad_flat, tree2 = tree_flatten(grad_tree)
            if tree2 != tree:
                raise TypeError(f"optimizer update function was passed a gradient tree that "
                                f"did not match the parameter tree structure with which it "
                                f"was initialized: parameter tree {tree} and grad tree "
                                f"{tree2}.")
            states = [tree_unflatten(d, s) for d, s in zip(subtrees, states_flat)]
            new = [update(i, g, s) for g, s in zip(grad_flat, states)]
            new_flat, subtrees2 = _flatten_states(new)
            for s1, s2 in zip(subtrees, subtrees2):
                if s1 != s2:
                    raise TypeError(f"optimizer update function produced an output structure "
                                    f"that did not match its input structure: input {s1} and "
                                    f"output {s2}.")
            return OptimizerState(new_flat, tree, subtrees)

        @functools.wraps(get_params)
        def tree_get_params(opt_state):
            states_flat, tree, subtrees = opt_state
            states = [tree_unflatten(d, s) for d, s in zip(subtrees, states_flat)]
            return tree_unflatten(tree, [get_params(s) for s in states])

        return Optimizer(tree_init, tree_update, tree_get_params)
    return tree_opt_maker


# -------------------------------------------------------------- schedules

def constant(step_size):
    return lambda i: step_size


def exponential_decay(step_size, decay_steps, decay_rate):
    return lambda i: step_size * decay_rate ** (i / decay_steps)


def inverse_time_decay(step_size, decay_steps, decay_rate, staircase=False):
    if staircase:
        return lambda i: step_size / (1 + decay_rate * jnp.floor(i / decay_steps))
    return lambda i: step_size / (1 + decay_rate * i / decay_steps)


def polynomial_decay(step_size, decay_steps, final_step_size, power=1.0):
    def schedule(i):
        frac = 1 - jnp.minimum(i, decay_steps) / decay_steps
        return frac ** power * (step_size - final_step_size) + final_step_size
    return schedule


def piecewise_constant(boundaries, values):
    boundaries, values = jnp.array(boundaries), jnp.array(values)
    if not boundaries.ndim == values.ndim == 1:
        raise ValueError("boundaries and values must be sequences")
    if not boundaries.shape[0] == values.shape[0] - 1:
        raise ValueError("Length of values must be one more than length of boundaries")
    return lambda i: values[jnp.sum(i > boundaries)]


def make_schedule(scalar_or_schedule):
    """A schedule (a function of the step number) from a schedule or a constant."""
    if callable(scalar_or_schedule):
        return scalar_or_schedule
    if np.ndim(scalar_or_schedule) == 0:
        return constant(scalar_or_schedule)
    raise TypeError(type(scalar_or_schedule))


# ------------------------------------------------------------- optimizers

@optimizer
def sgd(step_size):
    """Stochastic gradient descent."""
    step_size = make_schedule(step_size)
    return (lambda x0: x0, lambda i, g, x: x - step_size(i) * g, lambda x: x)


@optimizer
def momentum(step_size, mass):
    """Gradient descent with (heavy-ball) momentum."""
    step_size = make_schedule(step_size)

    def update(i, g, state):
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * velocity, velocity
    return lambda x0: (x0, jnp.zeros_like(x0)), update, lambda state: state[0]


@optimizer
def nesterov(step_size, mass):
    """Gradient descent with Nesterov momentum."""
    step_size = make_schedule(step_size)

    def update(i, g, state):
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * (mass * velocity + g), velocity
    return lambda x0: (x0, jnp.zeros_like(x0)), update, lambda state: state[0]


def _inv_sqrt(a):
    return jnp.where(a > 0, 1.0 / jnp.sqrt(jnp.where(a > 0, a, 1.0)), 0.0)


@optimizer
def adagrad(step_size, momentum=0.9):
    """Adagrad (with momentum on the scaled gradient)."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

    def update(i, g, state):
        x, g_sq, m = state
        g_sq = g_sq + jnp.square(g)
        m = (1.0 - momentum) * (g * _inv_sqrt(g_sq)) + momentum * m
        return x - step_size(i) * m, g_sq, m
    return init, update, lambda state: state[0]


@optimizer
def rmsprop(step_size, gamma=0.9, eps=1e-8):
    """RMSProp."""
    step_size = make_schedule(step_size)

    def update(i, g, state):
        x, avg_sq_grad = state
        avg_sq_grad = avg_sq_grad * gamma + jnp.square(g) * (1.0 - gamma)
        return x - step_size(i) * g / jnp.sqrt(avg_sq_grad + eps), avg_sq_grad
    return lambda x0: (x0, jnp.zeros_like(x0)), update, lambda state: state[0]


@optimizer
def rmsprop_momentum(step_size, gamma=0.9, eps=1e-8, momentum=0.9):
    """RMSProp with momentum."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

    def update(i, g, state):
        x, avg_sq_grad, mom = state
        avg_sq_grad = avg_sq_grad * gamma + jnp.square(g) * (1.0 - gamma)
        mom = momentum * mom + step_size(i) * g / jnp.sqrt(avg_sq_grad + eps)
        return x - mom, avg_sq_grad, mom
    return init, update, lambda state: state[0]


@optimizer
def adam(step_size, b1=0.9, b2=0.999, eps=1e-8):
    """Adam (Kingma & Ba), with bias-corrected moments."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

    def update(i, g, state):
        x, m, v = state
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * jnp.square(g) + b2 * v
        mhat = m / (1 - jnp.asarray(b1, m.dtype) ** (i + 1))
        vhat = v / (1 - jnp.asarray(b2, m.dtype) ** (i + 1))
        return x - step_size(i) * mhat / (jnp.sqrt(vhat) + eps), m, v
    return init, update, lambda state: state[0]


@optimizer
def adamax(step_size, b1=0.9, b2=0.999, eps=1e-8):
    """Adamax: Adam with the infinity norm."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

    def update(i, g, state):
        x, m, u = state
        m = (1 - b1) * g + b1 * m
        u = jnp.maximum(b2 * u, jnp.abs(g))
        step = step_size(i) / (1 - jnp.asarray(b1, m.dtype) ** (i + 1))
        return x - step * m / (u + eps), m, u
    return init, update, lambda state: state[0]


@optimizer
def sm3(step_size, momentum=0.9):
    """SM3 (Anil et al. 2019): one accumulator per axis, their minimum bounds
    each element's accumulated squared gradient."""
    step_size = make_schedule(step_size)

    def init(x0):
        shape = jnp.shape(x0)
        x0 = jnp.atleast_1d(x0)
        return x0, jnp.zeros_like(x0), tuple(jnp.zeros(n, x0.dtype) for n in x0.shape), shape

    def update(i, g, state):
        x, m, vs, shape = state
        g = jnp.reshape(g, x.shape)
        nd = x.ndim
        bounds = [jnp.reshape(v, tuple(-1 if d == k else 1 for d in range(nd)))
                  for k, v in enumerate(vs)]
        accum = functools.reduce(jnp.minimum, bounds) + jnp.square(g)
        m = (1.0 - momentum) * (g * _inv_sqrt(accum)) + momentum * m
        x = x - step_size(i) * m
        vs = tuple(jnp.max(accum, axis=tuple(d for d in range(nd) if d != k))
                   for k in range(nd))
        return x, m, vs, shape
    return init, update, lambda state: jnp.reshape(state[0], state[3])


# --------------------------------------------------------------- utilities

def l2_norm(tree):
    """The l2 norm of all the leaves of a pytree together."""
    leaves = tree_leaves(tree)
    return jnp.sqrt(sum(jnp.vdot(x, x) for x in leaves))


def clip_grads(grad_tree, max_norm):
    """Scale the gradient pytree down to l2 norm ``max_norm`` if it is larger."""
    norm = l2_norm(grad_tree)
    return tree_map(lambda g: jnp.where(norm < max_norm, g, g * (max_norm / norm)), grad_tree)


class JoinPoint:
    """Marks where a parameter leaf's optimizer state (a subtree) is joined in."""

    def __init__(self, subtree):
        self.subtree = subtree

    def __iter__(self):
        return iter(self.subtree)


def unpack_optimizer_state(opt_state):
    """The optimizer state as a pytree shaped like the params, each leaf a
    JoinPoint holding that parameter's state (for saving with pickle etc.)."""
    states_flat, tree, subtrees = opt_state
    joins = [JoinPoint(tree_unflatten(d, s)) for d, s in zip(subtrees, states_flat)]
    return tree_unflatten(tree, joins)


def pack_optimizer_state(marked_pytree):
    """Inverse of unpack_optimizer_state."""
    marked, tree = tree_flatten(marked_pytree, is_leaf=lambda x: isinstance(x, JoinPoint))
    if not all(isinstance(m, JoinPoint) for m in marked):
        raise TypeError("pack_optimizer_state expects a pytree of JoinPoint leaves, as "
                        "unpack_optimizer_state returns")
    states_flat, subtrees = _flatten_states([m.subtree for m in marked])
    return OptimizerState(states_flat, tree, subtrees)
