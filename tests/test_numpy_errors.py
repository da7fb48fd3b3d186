"""Bad input to the numpy API raises the class JAX raises, with a message
naming the axis and rank, both shapes, the bad argument, or the user's line."""
import os

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax, nn

from helpers import F32

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
S = np.float32(2.5)
THIS_FILE = os.path.basename(__file__)

BAD_AXES = [
    (lambda: jnp.sum(X, axis=3), 3, 3), (lambda: jnp.prod(X, axis=-4), -4, 3),
    (lambda: jnp.max(X, axis=(0, 3)), 3, 3), (lambda: jnp.min(X, axis=5), 5, 3),
    (lambda: jnp.mean(X, axis=3), 3, 3), (lambda: jnp.var(X, axis=3), 3, 3),
    (lambda: jnp.std(X, axis=-5), -5, 3), (lambda: jnp.argmax(X, axis=3), 3, 3),
    (lambda: jnp.argmin(X, axis=-4), -4, 3), (lambda: jnp.all(X, axis=3), 3, 3),
    (lambda: jnp.any(X, axis=3), 3, 3), (lambda: jnp.cumsum(X, axis=3), 3, 3),
    (lambda: jnp.expand_dims(X, 4), 4, 4), (lambda: jnp.expand_dims(X, -5), -5, 4),
    (lambda: jnp.squeeze(X, 3), 3, 3), (lambda: jnp.moveaxis(X, 3, 0), 3, 3),
    (lambda: jnp.moveaxis(X, 0, -4), -4, 3), (lambda: jnp.swapaxes(X, -4, 0), -4, 3),
    (lambda: jnp.transpose(X, (0, 1, 3)), 3, 3), (lambda: jnp.concatenate([X, X], 3), 3, 3),
    (lambda: jnp.stack([X, X], 4), 4, 4), (lambda: jnp.split(X, 2, 3), 3, 3),
    (lambda: jnp.flip(X, 3), 3, 3), (lambda: jnp.repeat(X, 2, axis=3), 3, 3),
    (lambda: jnp.take(X, np.array([0]), axis=3), 3, 3), (lambda: jnp.roll(X, 1, 3), 3, 3),
    (lambda: jnp.tensordot(X, X, ([3], [0])), 3, 3),
    (lambda: nn.softmax(X, axis=3), 3, 3), (lambda: nn.log_softmax(X, axis=-4), -4, 3),
    (lambda: nn.logsumexp(X, axis=3), 3, 3), (lambda: nn.one_hot(X[0, 0], 4, axis=2), 2, 2),
    (lambda: jnp.asarray(X).sum(axis=3), 3, 3),
    (lambda: jaxlite.jit(lambda x: jnp.mean(x, axis=3))(X), 3, 3),
    # an axis of a rank-0 array: numpy accepts some of these, JAX none
    (lambda: jnp.sum(S, axis=0), 0, 0), (lambda: jnp.max(S, axis=0), 0, 0),
    (lambda: jnp.argmax(S, axis=0), 0, 0), (lambda: jnp.squeeze(S, 0), 0, 0),
    (lambda: jnp.repeat(S, 2, axis=0), 0, 0), (lambda: jnp.take(S, np.array([0]), axis=0), 0, 0),
    (lambda: jnp.swapaxes(S, 0, 0), 0, 0), (lambda: jnp.roll(S, 1, axis=0), 0, 0),
    (lambda: jnp.cumsum(S, axis=0), 0, 0), (lambda: nn.logsumexp(S, axis=0), 0, 0),
    (lambda: jnp.flip(S, 0), 0, 0), (lambda: jnp.mean(S, axis=-1), -1, 0),
    (lambda: jnp.linspace(np.zeros(2), np.ones(2), 3, axis=3), 3, 2),
    (lambda: jnp.linspace(0.0, 1.0, 3, axis=-2), -2, 1),
]


@pytest.mark.parametrize("f,axis,rank", BAD_AXES, ids=range(len(BAD_AXES)))
def test_bad_axis_is_value_error_naming_axis_and_rank(f, axis, rank):
    with pytest.raises(ValueError, match=rf"axis {axis} .*rank {rank}\b"):
        f()


O = np.array([1, None, 2], object)
U = np.array(["a", "b", "c"])
# Complex data is supported (tests/test_complex.py); object and string data are not.
UNSUPPORTED = [
    lambda: jnp.array(O), lambda: jnp.asarray(U),
    lambda: jnp.asarray(np.array([b"x"])), lambda: jnp.zeros(3, dtype=object),
    lambda: jnp.ones(3, dtype=str), lambda: jnp.ones_like(O),
    lambda: jnp.reshape(U, (3, 1)), lambda: jnp.ones(3).astype(object), lambda: nn.softmax(O),
    lambda: jnp.where(True, U, U), lambda: jaxlite.make_jaxpr(lambda x: x)(U),
    lambda: jnp.stack([U, U]), lambda: jaxlite.grad(lambda x: x)("a"),
    lambda: jnp.matmul(O, O),
]


@pytest.mark.parametrize("f", UNSUPPORTED, ids=range(len(UNSUPPORTED)))
def test_object_and_string_data_are_type_errors(f):
    with pytest.raises(TypeError, match=r"complex|object|str|bytes|<U|\|S|not a valid|"
                                        r"cannot convert|must be an array|unsupported"):
        f()


A23 = np.ones((2, 3), F32)
B4 = np.ones(4, F32)
SHAPE_MISMATCHES = [
    (lambda: jnp.add(A23, B4), "(2, 3)", "(4,)"),
    (lambda: jnp.add(np.ones((3, 1)), np.ones((2, 4))), "(3, 1)", "(2, 4)"),
    (lambda: jnp.where(np.ones((2, 1), bool), A23, B4), "(2, 3)", "(4,)"),
    (lambda: jnp.clip(A23, B4, 3.0), "(2, 3)", "(4,)"),
    (lambda: jnp.logaddexp(A23, B4), "(2, 3)", "(4,)"),
    (lambda: jnp.arctan2(A23.T, A23), "(3, 2)", "(2, 3)"),
    (lambda: jaxlite.jit(jnp.maximum)(A23, B4), "(2, 3)", "(4,)"),
    (lambda: jaxlite.jit(lambda a, b: a * b)(A23, B4), "(2, 3)", "(4,)"),
    (lambda: jaxlite.make_jaxpr(lambda a, b: a - b)(A23, B4), "(2, 3)", "(4,)"),
    (lambda: jaxlite.jit(lambda a, b: a < b)(A23, B4), "(2, 3)", "(4,)"),
    (lambda: jnp.matmul(A23, B4), "(2, 3)", "(4,)"),
    (lambda: jaxlite.jit(jnp.matmul)(A23, A23), "(2, 3)", "(2, 3)"),
    (lambda: jnp.asarray(A23) @ A23, "(2, 3)", "(2, 3)"),
    (lambda: jnp.dot(np.ones((2, 3, 4)), np.ones((5, 6))), "(2, 3, 4)", "(5, 6)"),
    (lambda: jnp.tensordot(A23, np.ones((4, 5)), 1), "(2, 3)", "(4, 5)"),
    (lambda: jnp.inner(A23, B4), "(2, 3)", "(4,)"),
    (lambda: jnp.einsum("ij,jk->ik", A23, np.ones((4, 1))), "(2, 3)", "(4, 1)"),
    (lambda: jnp.concatenate([A23, B4]), "(2, 3)", "(4,)"),
    (lambda: jaxlite.jit(lambda a, b: jnp.concatenate([a, b], 1))(A23, np.ones((3, 3))),
     "(2, 3)", "(3, 3)"),
    (lambda: jnp.stack([A23, A23.T]), "(2, 3)", "(3, 2)"),
    (lambda: jnp.reshape(A23, (4, 2)), "(2, 3)", "(4, 2)"),
    (lambda: jaxlite.jit(lambda a: a.reshape(5))(A23), "(2, 3)", "(5,)"),
    (lambda: jnp.broadcast_to(A23, (3,)), "(2, 3)", "(3,)"),
    (lambda: jnp.linspace(np.zeros(2), np.ones(3), 4), "(2,)", "(3,)"),
    (lambda: jnp.asarray(A23).at[0].add(B4), "(4,)", "(3,)"),
    (lambda: jaxlite.jit(lambda a, v: a.at[0].set(v))(A23, B4), "(4,)", "(3,)"),
    (lambda: lax.add(A23, np.ones(3, F32)), "(2, 3)", "(3,)"),
]


@pytest.mark.parametrize("f,s1,s2", SHAPE_MISMATCHES, ids=range(len(SHAPE_MISMATCHES)))
def test_incompatible_shapes_are_type_errors_naming_both(f, s1, s2):
    """Including broadcasts numpy would refuse: nothing is broadcast silently.
    The class is JAX's (TypeError from lax ops, ValueError from broadcasting
    helpers; test_edges.py checks which is which)."""
    with pytest.raises((TypeError, ValueError)) as info:
        f()
    msg = str(info.value)
    assert s1 in msg and s2 in msg, msg
    assert THIS_FILE in msg, msg          # and where in the user's code it happened


CONCRETIZE = {
    "bool": lambda a: bool(a[0]),
    "int": lambda a: int(a[0]),
    "float": lambda a: float(a[0]),
    "if": lambda a: 1.0 if a[0] > 0 else 2.0,
    "and": lambda a: a[0] > 0 and a[1] > 0,
    "index": lambda a: [1.0, 2.0, 3.0][a[0].astype(jnp.int32)],
    "range": lambda a: list(range(a[0].astype(jnp.int32))),
    "item": lambda a: a[0].item(),
    "tolist": lambda a: a.tolist(),
    "np.asarray": lambda a: np.asarray(a),
    "shape": lambda a: jnp.zeros(a[0].astype(jnp.int32)),
}


@pytest.mark.parametrize("kind", list(CONCRETIZE))
@pytest.mark.parametrize("transform", ["jit", "make_jaxpr"])
def test_concretization_errors_name_the_line_and_the_cure(kind, transform):
    f = CONCRETIZE[kind]
    wrapped = getattr(jaxlite, transform)(f)
    with pytest.raises(jaxlite.ConcretizationTypeError) as info:
        wrapped(np.ones(3, F32))
    assert isinstance(info.value, TypeError)
    msg = str(info.value)
    assert THIS_FILE in msg, msg
    src = [line for line in open(__file__) if f'"{kind}": lambda a:' in line][0].strip()
    assert src.rstrip(",") in msg or src in msg, msg
    assert "lax.cond" in msg and "static_argnums" in msg
    # The same function works on concrete values (no transformation).
    f(np.ones(3, F32))


# ------------------------------------------------- other bad arguments

_X = jnp.asarray(X)
BAD_ARGUMENTS = [
    (lambda: _X[0, 0] + [1, 2, 3, 4], TypeError, "unsupported operand"),
    (lambda: hash(_X), TypeError, "unhashable"),
    (lambda: jaxlite.jit(lambda a: hash(a))(X), TypeError, "unhashable"),
    (lambda: jnp.reshape(X, (-2, 12)), ValueError, r"invalid dimension .*\(-2, 12\)"),
    (lambda: jnp.reshape(X, (2.0, 12)), TypeError, "integer, got 2.0"),
    (lambda: jnp.transpose(X, (0, 0, 1)), ValueError, r"\(0, 0, 1\)"),
    (lambda: _X.at[1.5].set(0.0), IndexError, "only integers"),
    (lambda: _X.at[np.array([0.5])].set(0.0), IndexError, "integer"),
    (lambda: _X[1.0], IndexError, "only integers"),
    (lambda: jnp.arange(0, 5, 0), ValueError, "zero"),
    (lambda: jnp.linspace(0, 1, 2.5), TypeError, "num must be an integer"),
    (lambda: jnp.repeat(X, -1), ValueError, "negative"),
    (lambda: jnp.repeat(X, np.array([1, -1, 1]), axis=1), ValueError, "negative"),
    (lambda: jnp.tile(X, -1), ValueError, "negative"),
    (lambda: jnp.expand_dims(X, (0, 0)), ValueError, "repeated axis"),
    (lambda: jnp.moveaxis(X, (0, 0), (1, 2)), ValueError, "repeated axis"),
    (lambda: jnp.split(X, [1.5]), TypeError, "integer, got 1.5"),
    (lambda: jnp.zeros((2.0, 3)), TypeError, "integer, got 2.0"),
    (lambda: jnp.eye(-1), ValueError, "negative"),
    (lambda: jnp.full((-1,), 1.0), ValueError, "negative"),
    (lambda: jnp.swapaxes(X, 0.0, 1), TypeError, "integer, got 0.0"),
    (lambda: jnp.sum(X, axis=1.0), TypeError, "integer, got 1.0"),
    (lambda: jnp.concatenate([]), ValueError, "at least one array"),
    (lambda: jnp.stack([]), ValueError, "at least one array"),
    (lambda: jnp.einsum("i1,i->", X[0, 0], X[0, 0]), ValueError, "invalid subscript"),
    (lambda: jnp.matmul(2.0, X), ValueError, "scalar"),
    (lambda: jnp.dot(None, X), TypeError, "None"),
    (lambda: jaxlite.jit(lambda a: jnp.where(a > 1))(X), jaxlite.ConcretizationTypeError,
     "concrete"),
    (lambda: nn.one_hot(np.array([1]), 3.0), TypeError, "num_classes must be an integer"),
    (lambda: jnp.pad(X, "a"), TypeError, "pad_width"),
    (lambda: jnp.pad(X, 1.5), TypeError, "pad_width"),
    (lambda: jnp.pad(X, ((1, 1), (1, 1))), ValueError, "rank 3"),
    (lambda: jnp.array(None), TypeError, "None"),
    (lambda: jnp.reshape(X, (5, 5)), TypeError, r"\(2, 3, 4\).*\(5, 5\)"),
    (lambda: jnp.squeeze(X, 0), ValueError, "size not equal to one"),
    (lambda: jnp.broadcast_to(X, (2, 3)), ValueError, r"\(2, 3, 4\).*\(2, 3\)"),
]


@pytest.mark.parametrize("f,exc,match", BAD_ARGUMENTS, ids=range(len(BAD_ARGUMENTS)))
def test_bad_arguments_raise_the_documented_class(f, exc, match):
    with pytest.raises(exc, match=match):
        f()


# ------------------------------------------------------------------ bad axes

BAD_AXIS_CASES = [
    ("nansum", lambda x: jnp.nansum(x, axis=5)),
    ("nanprod", lambda x: jnp.nanprod(x, axis=-3)),
    ("nanmean", lambda x: jnp.nanmean(x, axis=5)),
    ("nanmax", lambda x: jnp.nanmax(x, axis=5)),
    ("nanmin", lambda x: jnp.nanmin(x, axis=(0, 5))),
    ("nanvar", lambda x: jnp.nanvar(x, axis=5)),
    ("nanstd", lambda x: jnp.nanstd(x, axis=5)),
    ("nanargmax", lambda x: jnp.nanargmax(x, axis=5)),
    ("nanargmin", lambda x: jnp.nanargmin(x, axis=-3)),
    ("cumulative_sum", lambda x: jnp.cumulative_sum(x, axis=5)),
    ("cumulative_prod", lambda x: jnp.cumulative_prod(x, axis=-3)),
    ("unstack", lambda x: jnp.unstack(x, axis=5)),
    ("concat", lambda x: jnp.concat([x, x], axis=5)),
    ("append", lambda x: jnp.append(x, x, axis=5)),
    ("rot90", lambda x: jnp.rot90(x, axes=(0, 5))),
    ("cross", lambda x: jnp.cross(x, x, axisa=5)),
    ("vecdot", lambda x: jnp.vecdot(x, x, axis=5)),
    ("nn.glu", lambda x: nn.glu(x, axis=5)),
    ("nn.logmeanexp", lambda x: nn.logmeanexp(x, axis=5)),
]


@pytest.mark.parametrize("name,f", BAD_AXIS_CASES, ids=[c[0] for c in BAD_AXIS_CASES])
def test_bad_axis_is_a_value_error_naming_axis_and_rank(name, f):
    x = np.ones((2, 2))
    with pytest.raises(ValueError, match=r"axis -?\d+ is out of bounds for array of rank 2"):
        f(x)
