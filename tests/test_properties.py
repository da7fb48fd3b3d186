"""Property tests: random programs built from unary and binary primitives,
and from the structural, indexing, reduction and contraction ones.

For each program: forward mode agrees with central finite differences,
reverse mode is the adjoint of forward mode (<u, J v> == <J^T u, v>), second
derivatives agree the same way, and vmap agrees with a loop."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import jaxlite
from jaxlite import lax
from helpers import check_grads, check_jit, check_vjp, check_vmap


def _sum(a):
    return lax.reduce_sum(a, tuple(range(np.ndim(a))))


# Smooth everywhere on the reals and bounded, so programs stay well scaled.
UNARY = {
    "sin": lax.sin,
    "cos": lax.cos,
    "tanh": lax.tanh,
    "logistic": lax.logistic,
    "atan": lax.atan,
    "erf": lax.erf,
    "neg": lax.neg,
    "square": lambda a: lax.integer_pow(a, 2),
    "exp_tanh": lambda a: lax.exp(lax.tanh(a)),
    "log_1p_sq": lambda a: lax.log1p(lax.mul(a, a)),
    "sqrt_1p_sq": lambda a: lax.sqrt(lax.add(lax.mul(a, a), 1.0)),
    "sum": _sum,                      # rank 0: exercises scalar broadcasting
}
BINARY = {
    "add": lax.add,
    "sub": lax.sub,
    "mul": lax.mul,
    "safe_div": lambda a, b: lax.div(a, lax.add(lax.mul(b, b), 1.0)),
    "pow_pos": lambda a, b: lax.pow(lax.add(lax.mul(a, a), 0.5), lax.tanh(b)),
    "atan2_pos": lambda a, b: lax.atan2(a, lax.add(lax.mul(b, b), 0.5)),
    "select": lambda a, b: lax.select_n(lax.gt(lax.sin(lax.mul(a, 7.0)), 0.3), a, b),
    # Kinks placed at irrational-looking offsets, away from the values
    # hypothesis likes (0, 1, 1.5), so finite differences never straddle one.
    "max_shift": lambda a, b: lax.max(a, lax.add(b, 0.3719)),
    "min_shift": lambda a, b: lax.min(lax.sub(a, 0.2291), b),
    "abs_shift": lambda a, b: lax.mul(lax.abs(lax.add(a, 0.4133)), b),
}

instruction = st.one_of(
    st.tuples(st.just("u"), st.sampled_from(sorted(UNARY)), st.integers(0, 50)),
    st.tuples(st.just("b"), st.sampled_from(sorted(BINARY)), st.integers(0, 50),
              st.integers(0, 50)),
)
programs = st.lists(instruction, min_size=1, max_size=7)


def _same_rank_for_select(a, b):
    # select_n needs equal shapes: broadcast a rank-0 operand first.
    sa, sb = np.shape(a), np.shape(b)
    if sa == sb:
        return a, b
    if sa == ():
        return lax.broadcast_in_dim(a, sb, ()), b
    return a, lax.broadcast_in_dim(b, sa, ())


def build(program):
    """The program as a function of two inputs: each instruction appends
    one value computed from earlier ones; the outputs are the last value and
    the sum of all values (so nothing is left unused)."""
    def f(x, y):
        vals = [x, y]
        for ins in program:
            if ins[0] == "u":
                vals.append(UNARY[ins[1]](vals[ins[2] % len(vals)]))
            else:
                a, b = vals[ins[2] % len(vals)], vals[ins[3] % len(vals)]
                if ins[1] == "select":
                    a, b = _same_rank_for_select(a, b)
                vals.append(BINARY[ins[1]](a, b))
        total = vals[0]
        for v in vals[1:]:
            total = lax.add(total, v) if np.ndim(v) <= np.ndim(total) else lax.add(v, total)
        return vals[-1], total
    return f


inputs = st.tuples(
    st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3),
    st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3),
)

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


@SETTINGS
@given(programs, inputs)
def test_reverse_is_adjoint_of_forward_and_matches_fd(program, xy):
    f = build(program)
    x, y = (np.array(v, np.float64) for v in xy)
    check_vjp(f, (x, y), rtol=1e-5, atol=1e-6, rng=np.random.default_rng(0))


@pytest.mark.slow
@settings(max_examples=20, deadline=None, derandomize=True)
@given(programs, inputs)
def test_second_order(program, xy):
    f = build(program)
    x, y = (np.array(v, np.float64) for v in xy)
    check_grads(f, (x, y), order=2, rtol=1e-4, atol=1e-5)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(programs, inputs, st.sampled_from([(0, 0), (1, 0), (0, None), (None, 1)]))
def test_vmap_matches_loop(program, xy, in_axes):
    f = build(program)
    x, y = (np.array(v, np.float64) for v in xy)
    # Batches of 2 along the requested axis; None keeps the (3,) input.
    xb = x if in_axes[0] is None else np.stack([x, x[::-1] * 0.5], axis=in_axes[0])
    yb = y if in_axes[1] is None else np.stack([y, -y], axis=in_axes[1])
    check_vmap(f, (xb, yb), in_axes=in_axes, rtol=1e-12, atol=1e-12)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(programs, inputs)
def test_grad_of_summed_outputs_matches_jacrev(program, xy):
    f = build(program)
    x, y = (np.array(v, np.float64) for v in xy)
    loss = lambda a, b: _sum(f(a, b)[1])
    gx, gy = jaxlite.grad(loss, argnums=(0, 1))(x, y)
    jx, jy = jaxlite.jacrev(lambda a, b: f(a, b)[1], argnums=(0, 1))(x, y)
    jx, jy = np.broadcast_to(jx, np.shape(jx)), np.broadcast_to(jy, np.shape(jy))
    sum_axes = tuple(range(np.ndim(jx) - 1))
    np.testing.assert_allclose(gx, np.sum(jx, axis=sum_axes), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gy, np.sum(jy, axis=sum_axes), rtol=1e-10, atol=1e-12)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, derandomize=True)
@given(programs, inputs)
def test_jit_matches_eager(program, xy):
    f = build(program)
    x, y = (np.array(v, np.float32) for v in xy)
    check_jit(f, (x, y), rtol=1e-5, atol=1e-5)
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    g = jaxlite.grad(lambda a, b: _sum(f(a, b)[1]), argnums=(0, 1))
    check_jit(g, (xd, yd), rtol=1e-10, atol=1e-12)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(programs, inputs)
def test_transformed_jaxprs_typecheck_and_evaluate(program, xy):
    from jaxlite import ir
    f = build(program)
    x, y = (np.array(v, np.float64) for v in xy)
    transforms = [
        f,
        jaxlite.grad(lambda a, b: _sum(f(a, b)[1]), argnums=(0, 1)),
        lambda a, b: jaxlite.jvp(f, (a, b), (b, a)),
        jaxlite.vmap(f, in_axes=(0, None)),
    ]
    for g in transforms:
        args = (np.stack([x, y]), y) if g is transforms[-1] else (x, y)
        closed = jaxlite.make_jaxpr(g)(*args)
        ir.typecheck(closed.jaxpr)
        got = closed(*args)
        want = jaxlite.tree_util.tree_leaves(g(*args))
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# -------------------------------------- random programs over structural primitives

_W = np.random.default_rng(7).standard_normal((4, 4)) * 0.5
_ROWS = np.array([[2], [0], [1]], np.int32)

# Each maps (3, 4) float64 values to a (3, 4) value, through the structural,
# indexing, reduction and contraction primitives (elementwise ones are
# covered by test_properties.py).
STRUCT_UNARY = {
    "rev": lambda a: lax.rev(a, (0,)),
    "cumsum": lambda a: lax.cumsum(a, 1),
    "cumsum_rev": lambda a: lax.cumsum(a, 0, True),
    "roll": lambda a: lax.concatenate([lax.slice(a, (0, 1), (3, 4)), lax.slice(a, (0, 0), (3, 1))],
                                      1),
    "shift_down": lambda a: lax.slice(lax.pad(a, 0.5, [(1, 1, 0), (0, 0, 0)]), (0, 0), (3, 4)),
    "interleave": lambda a: lax.slice(lax.pad(a, 0.0, [(0, 0, 0), (0, 0, 1)]), (0, 0), (3, 4)),
    "transpose_reshape": lambda a: lax.reshape(lax.transpose(a, (1, 0)), (3, 4)),
    "mix": lambda a: lax.dot(lax.tanh(a), _W),
    "rowmax": lambda a: lax.broadcast_in_dim(lax.reduce_max(a, (1,)), (3, 4), (0,)),
    "colmin": lambda a: lax.broadcast_in_dim(lax.reduce_min(a, (0,)), (3, 4), (1,)),
    "rowprod": lambda a: lax.broadcast_in_dim(
        lax.reduce_prod(lax.tanh(a), (1,)), (3, 4), (0,)),
    "gather_rows": lambda a: lax.gather(a, _ROWS, (0,)),
    "squeeze_expand": lambda a: lax.squeeze(lax.expand_dims(a, (1,)), (1,)),
    "dyn_slice": lambda a: lax.dynamic_update_slice(
        a, lax.dynamic_slice(a, (np.int32(2), np.int32(1)), (1, 3)), (np.int32(0), np.int32(0))),
}
STRUCT_BINARY = {
    "add": lax.add,
    "mul": lax.mul,
    "gram": lambda a, b: lax.dot(lax.mul(lax.dot(a, lax.transpose(b, (1, 0))), 0.25), a),
    "bmm": lambda a, b: lax.broadcast_in_dim(
        lax.dot_general(a, b, (((1,), (1,)), ((0,), (0,)))), (3, 4), (0,)),
    "scatter_rows": lambda a, b: lax.scatter_add(a, _ROWS[:2], lax.slice(b, (0, 0), (2, 4)),
                                                 (0,)),
    "scatter_set": lambda a, b: lax.scatter(a, _ROWS[1:], lax.tanh(lax.slice(b, (1, 0), (3, 4))),
                                            (0,)),
    "select": lambda a, b: lax.select_n(lax.gt(a, b), lax.sin(a), b),
    "max": lax.max,
}

_struct_instruction = st.one_of(
    st.tuples(st.just("u"), st.sampled_from(sorted(STRUCT_UNARY)), st.integers(0, 50)),
    st.tuples(st.just("b"), st.sampled_from(sorted(STRUCT_BINARY)), st.integers(0, 50),
              st.integers(0, 50)))


def _build_struct(program):
    def f(x, y):
        vals = [x, y]
        for ins in program:
            if ins[0] == "u":
                vals.append(STRUCT_UNARY[ins[1]](vals[ins[2] % len(vals)]))
            else:
                vals.append(STRUCT_BINARY[ins[1]](vals[ins[2] % len(vals)],
                                                  vals[ins[3] % len(vals)]))
        # tanh keeps products of many values well scaled.
        total = vals[0]
        for v in vals[1:]:
            total = lax.add(total, lax.tanh(v))
        return vals[-1], total
    return f


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(_struct_instruction, min_size=1, max_size=6), st.integers(0, 2 ** 16))
def test_random_structural_programs_vjp_adjoint_and_fd(program, seed):
    f = _build_struct(program)
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    check_vjp(f, (x, y), rtol=1e-5, atol=1e-6, rng=rng)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.lists(_struct_instruction, min_size=1, max_size=6), st.integers(0, 2 ** 16),
       st.sampled_from([(0, 0), (1, None), (None, -1), (2, 1), (-1, 0)]))
def test_random_structural_programs_vmap_matches_loop(program, seed, in_axes):
    f = _build_struct(program)
    rng = np.random.default_rng(seed)
    args = tuple(rng.standard_normal((3, 4)) if ax is None else
                 np.moveaxis(rng.standard_normal((2, 3, 4)), 0, ax) for ax in in_axes)
    check_vmap(f, args, in_axes=in_axes, rtol=1e-12, atol=1e-12)
