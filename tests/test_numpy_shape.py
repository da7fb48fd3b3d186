"""jnp shape manipulation vs numpy (scalars, 0-size and strided operands,
split, every pad mode, random shape programs), bad inputs, derivatives and
vmap."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import jaxlite
import jaxlite.numpy as jnp

from helpers import (B, DATA_RNG, DTYPES, F32, F64, I32, I64, check_grads, check_jit, check_vmap,
                     data, layouts, normal_array, same, same_exact)

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
XT = np.transpose(X, (2, 0, 1))           # non-contiguous


CASES = [
    ("reshape", lambda m, x: m.reshape(x, (4, -1))), ("reshape", lambda m, x: m.reshape(x, -1)),
    ("reshape", lambda m, x: m.reshape(x, (2, 2, 0, 3)) if x.size == 0 else m.reshape(x, (6, 4))),
    ("ravel", lambda m, x: m.ravel(x)),
    ("transpose", lambda m, x: m.transpose(x)), ("transpose", lambda m, x: m.transpose(x, (1, 2, 0))),
    ("swapaxes", lambda m, x: m.swapaxes(x, 0, -1)),
    ("moveaxis", lambda m, x: m.moveaxis(x, 0, -1)),
    ("moveaxis", lambda m, x: m.moveaxis(x, (0, 1), (2, 0))),
    ("expand_dims", lambda m, x: m.expand_dims(x, 1)),
    ("expand_dims", lambda m, x: m.expand_dims(x, (0, -1))),
    ("squeeze", lambda m, x: m.squeeze(m.expand_dims(x, (0, 2)))),
    ("squeeze", lambda m, x: m.squeeze(m.expand_dims(x, 0), 0)),
    ("broadcast_to", lambda m, x: m.broadcast_to(x, (5,) + x.shape)),
    ("concatenate", lambda m, x: m.concatenate([x, x[:1]], axis=0)),
    ("concatenate", lambda m, x: m.concatenate([x, x], axis=-1)),
    ("concatenate", lambda m, x: m.concatenate([x, x], axis=None)),
    ("stack", lambda m, x: m.stack([x, x, x], axis=1)),
    ("stack", lambda m, x: m.stack([x, x], axis=-1)),
    ("vstack", lambda m, x: m.vstack([x, x])), ("hstack", lambda m, x: m.hstack([x, x])),
    ("split", lambda m, x: m.split(x, 2, axis=0)),
    ("split", lambda m, x: m.split(x, [1, 3], axis=-1)),
    ("split", lambda m, x: m.split(x, [-1, 5], axis=2)),
    ("array_split", lambda m, x: m.array_split(x, 3, axis=2)),
    ("tile", lambda m, x: m.tile(x, 2)), ("tile", lambda m, x: m.tile(x, (2, 1, 1, 3))),
    ("repeat", lambda m, x: m.repeat(x, 2)), ("repeat", lambda m, x: m.repeat(x, 3, axis=1)),
    ("repeat", lambda m, x: m.repeat(x, np.array([1, 0, 2, 1]), axis=-1)),
    ("flip", lambda m, x: m.flip(x)), ("flip", lambda m, x: m.flip(x, 1)),
    ("flip", lambda m, x: m.flip(x, (0, 2))),
    ("pad", lambda m, x: m.pad(x, 1)), ("pad", lambda m, x: m.pad(x, ((0, 1), (2, 0), (1, 1)))),
    ("pad", lambda m, x: m.pad(x, (1, 2), constant_values=-1)),
    ("pad", lambda m, x: m.pad(x, ((1, 0), (0, 2), (1, 1)), constant_values=((1, 2), (3, 4), (5, 6)))),
    ("pad", lambda m, x: m.pad(x, 2, mode="edge")), ("pad", lambda m, x: m.pad(x, 1, mode="wrap")),
    ("pad", lambda m, x: m.pad(x, ((0, 0), (2, 1), (0, 0)), mode="reflect")),
    ("roll", lambda m, x: m.roll(x, 2)), ("roll", lambda m, x: m.roll(x, -1, axis=1)),
    ("roll", lambda m, x: m.roll(x, (1, 2), axis=(0, 2))),
    ("atleast_2d", lambda m, x: m.atleast_2d(x[0, 0])),
    ("tril", lambda m, x: m.tril(x)), ("triu", lambda m, x: m.triu(x, 1)),
]


@pytest.mark.parametrize("name,f", CASES, ids=[f"{n}{i}" for i, (n, _) in enumerate(CASES)])
def test_vs_numpy(name, f):
    for x in (X, XT, X.astype(np.int32), (X > 5), np.zeros((2, 0, 4), np.float64)):
        if name in ("pad",) and x.size == 0 and "mode" in str(f.__code__.co_consts):
            continue
        if name in ("roll", "tile", "repeat", "atleast_2d") and x.size == 0:
            continue
        try:
            ref = f(np, x)
        except (ValueError, IndexError):
            continue
        out = f(jnp, x)
        if isinstance(ref, list):
            assert len(out) == len(ref)
            for o, r in zip(out, ref):
                same_exact(o, r)
        else:
            same_exact(out, ref)


def test_scalars_and_lists():
    same_exact(jnp.reshape(3.0, (1, 1)), np.ones((1, 1), np.float32) * 3)
    same_exact(jnp.stack([1, 2, 3]), np.array([1, 2, 3], np.int32))
    same_exact(jnp.concatenate([np.ones(2, np.int32), np.ones(1, np.float32)]),
          np.ones(3, np.float32))
    same_exact(jnp.expand_dims(np.float32(2), 0), np.array([2.0], np.float32))
    assert jnp.broadcast_shapes((2, 1), (3,)) == (2, 3)
    a, b = jnp.broadcast_arrays(np.ones((2, 1)), np.ones(3))
    assert a.shape == b.shape == (2, 3)
    assert jnp.asarray(X).reshape(4, 6).shape == (4, 6)
    assert jnp.asarray(X).T.shape == (4, 3, 2)
    assert jnp.asarray(X).transpose(1, 0, 2).shape == (3, 2, 4)
    assert jnp.asarray(X).flatten().shape == (24,)


def test_reshape_and_ravel_in_fortran_order_vs_numpy():
    for shape in [(4, 6), (3, 2, 4), (24,), (2, -1, 3)]:
        same(jnp.reshape(X, shape, order="F"), np.reshape(X, shape, order="F"))
        same(jnp.asarray(X).reshape(shape, order="F"), X.reshape(shape, order="F"))
    same(jnp.ravel(X, order="F"), np.ravel(X, order="F"))
    f = jaxlite.jit(lambda a: jnp.reshape(a, (6, 4), order="F"))
    same(f(X), np.reshape(X, (6, 4), order="F"))
    with pytest.raises(NotImplementedError):
        jnp.reshape(X, (24,), order="A")
    with pytest.raises(ValueError):
        jnp.reshape(X, (24,), order="Q")


def test_bad_inputs():
    with pytest.raises(TypeError, match=r"shape \(2, 3, 4\).*into shape \(5, -1\)"):
        jnp.reshape(X, (5, -1))
    with pytest.raises(TypeError, match=r"cannot reshape"):
        jnp.reshape(X, (5, 5))
    with pytest.raises(ValueError, match="one unknown dimension"):
        jnp.reshape(X, (-1, -1))
    with pytest.raises(ValueError, match="axis 3 .*rank 3"):
        jnp.swapaxes(X, 0, 3)
    with pytest.raises(ValueError, match="axes .* don't match array of rank 3"):
        jnp.transpose(X, (0, 1))
    with pytest.raises(ValueError, match="size not equal to one"):
        jnp.squeeze(X, 1)
    with pytest.raises(ValueError, match=r"\(2, 3, 4\) to shape \(3, 4, 4\)"):    # as JAX
        jnp.broadcast_to(X, (3, 4, 4))
    with pytest.raises(TypeError, match=r"\(2, 3, 4\).*\(2, 2, 4\)"):
        jnp.concatenate([X, X[:, :2]], axis=0)
    with pytest.raises(TypeError, match="same shape"):
        jnp.stack([X, X[:1]])
    with pytest.raises(ValueError, match="equal division"):
        jnp.split(X, 5, axis=2)
    with pytest.raises(ValueError, match="unsupported mode"):
        jnp.pad(X, 1, mode="medium")
    with pytest.raises(ValueError, match="zero-dimensional"):
        jnp.concatenate([np.float32(1), np.float32(2)])
    with pytest.raises(core_error()):
        jaxlite.jit(lambda r: jnp.repeat(X, r))(np.array([1, 1], np.int32))


def core_error():
    return jaxlite.ConcretizationTypeError


SHAPE_GRADS = [
    lambda x: jnp.reshape(x, (4, -1)) * 2, lambda x: jnp.moveaxis(x, 0, -1),
    lambda x: jnp.concatenate([x, x[:1] ** 2], 0), lambda x: jnp.stack([x, -x], 1),
    lambda x: jnp.split(x, [1], axis=1)[1], lambda x: jnp.tile(x, (2, 1, 2)),
    lambda x: jnp.repeat(x, 2, axis=2), lambda x: jnp.flip(x, (0, 2)),
    lambda x: jnp.pad(x, ((1, 0), (0, 2), (1, 1))), lambda x: jnp.pad(x, 1, mode="reflect"),
    lambda x: jnp.roll(x, 1, axis=2), lambda x: jnp.squeeze(jnp.expand_dims(x, 0)),
]


@pytest.mark.parametrize("f", SHAPE_GRADS, ids=range(len(SHAPE_GRADS)))
def test_grads(f):
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    check_grads(f, (x,), order=1)


def test_vmap_and_jit():
    x = np.random.default_rng(1).normal(size=(3, 2, 4))
    check_vmap(lambda a: jnp.concatenate([a, jnp.flip(a, 0)], axis=1), (x,), 1)
    check_vmap(lambda a: jnp.pad(jnp.tile(a, 2), 1), (x,), 2)
    check_vmap(lambda a, b: jnp.stack([a, b]), (x, x[0]), (0, None))
    check_jit(lambda a: (jnp.split(a, 2, 1), jnp.repeat(a, 2, 0), jnp.roll(a, 1)), (x,))


def test_meshgrid_diag_diff():
    a, b = np.arange(3.0), np.arange(4, dtype=np.int32)
    for indexing in ("xy", "ij"):
        for sparse in (False, True):
            for o, r in zip(jnp.meshgrid(a, b, a, indexing=indexing, sparse=sparse),
                            np.meshgrid(a, b, a, indexing=indexing, sparse=sparse)):
                same_exact(o, r)
    for k in (-1, 0, 2):
        same_exact(jnp.diag(a, k), np.diag(a, k))
        same_exact(jnp.diag(X[0], k), np.diag(X[0], k))
    x = np.random.default_rng(0).normal(size=(3, 5))
    for n, axis in ((1, -1), (2, 0), (3, 1)):
        np.testing.assert_allclose(jnp.diff(x, n, axis), np.diff(x, n, axis), rtol=1e-12)
    same_exact(jnp.diff(x > 0), np.diff(x > 0))
    check_grads(lambda v: jnp.diag(v, 1) * jnp.sum(jnp.diff(v) ** 2), (a,), order=1)


# -------------------------------------------- shape functions: scalars and 0-size

S = np.float32(2.5)
Z = np.zeros((2, 0, 4), np.float32)


SHAPE_CASES = [
    lambda m: m.reshape(S, (1, 1, 1)), lambda m: m.reshape(S, -1),
    lambda m: m.reshape(np.zeros(0, I32), (0, 2)), lambda m: m.ravel(S),
    lambda m: m.transpose(S), lambda m: m.expand_dims(S, 0), lambda m: m.expand_dims(S, -1),
    lambda m: m.squeeze(S), lambda m: m.broadcast_to(S, (2, 3)),
    lambda m: m.broadcast_to(np.zeros(0, I32), (3, 0)),
    lambda m: m.concatenate([Z, Z], 1),
    lambda m: m.concatenate([Z, X[:, :1]], 1),
    lambda m: m.stack([S, S]), lambda m: m.stack([np.zeros(0), np.zeros(0)], 1),
    lambda m: m.tile(S, 3), lambda m: m.tile(S, (2, 2)), lambda m: m.tile(Z, 2),
    lambda m: m.tile(X, 0), lambda m: m.tile(X, (1, 0, 1)),
    lambda m: m.repeat(S, 3), lambda m: m.repeat(Z, 2, axis=2), lambda m: m.repeat(Z, 2),
    lambda m: m.repeat(X, 0, axis=1), lambda m: m.flip(S), lambda m: m.flip(Z, 1),
    lambda m: m.pad(S, 1), lambda m: m.pad(Z, 1), lambda m: m.moveaxis(Z, -1, 0),
    lambda m: m.swapaxes(Z, 1, 2), lambda m: m.expand_dims(Z, (0, 4)),
    lambda m: m.squeeze(np.zeros((1, 0, 1))), lambda m: m.transpose(Z, (2, 0, 1)),
    lambda m: m.tile(X.T, (1, 2)), lambda m: m.repeat(X.T[::2], 2, axis=0),
    lambda m: m.repeat(X.T, np.array([1, 0, 3]), axis=1), lambda m: m.ravel(X.T),
    lambda m: m.reshape(np.asfortranarray(X[0]), (4, 3)),
    lambda m: m.concatenate([X.astype(I32), X > 2, X.astype(F64)], 0),
    lambda m: m.stack([X.astype(I64), X > 2]), lambda m: m.broadcast_to(X.T[:, :1], (4, 3, 2)),
]


@pytest.mark.parametrize("f", SHAPE_CASES, ids=range(len(SHAPE_CASES)))
def test_shape_functions_on_scalars_empty_and_strided(f):
    ref = f(np)
    out = f(jnp)
    same(out, ref)
    same(jaxlite.jit(lambda: f(jnp))(), ref)


def test_concatenate_of_operands_empty_along_the_axis_eager():
    # (the jit form is a SHAPE_CASES entry above)
    same(jnp.concatenate([Z, Z], 1), np.concatenate([Z, Z], 1))
    same(jnp.concatenate([np.zeros(0, I32), np.zeros(0, I32)]), np.zeros(0, I32))


SPLITS = [
    (X, 2, 0), (X, 3, 1), (X, 1, 2), (X, 4, -1), (X, [1, 3], 2), (X, [3, 1], 2),
    (X, [1, 10], 2), (X, [], 0), (X, np.array([1, 2]), 1), (X, [-1], 1), (X, [0, 0, 4], 2),
    (Z, 2, 0), (Z, [0, 0], 1), (Z, 5, 1), (X.T, 2, 0), (X.T, [1], 2),
    (np.arange(7), [2, 5], 0), (np.arange(6) > 2, 3, 0),
]


@pytest.mark.parametrize("x,sections,axis", SPLITS, ids=range(len(SPLITS)))
def test_split_by_sections_and_indices(x, sections, axis):
    ref = np.split(x, sections, axis=axis)
    for fn in (jnp.split, jaxlite.jit(jnp.split, static_argnums=(1, 2))
               if not isinstance(sections, (list, np.ndarray)) else jnp.split):
        out = fn(x, sections, axis)
        assert len(out) == len(ref)
        for o, r in zip(out, ref):
            same(o, r, jnp.asarray(x).dtype)
    ref = np.array_split(x, 3 if not isinstance(sections, int) else sections + 1, axis=axis)
    out = jnp.array_split(x, 3 if not isinstance(sections, int) else sections + 1, axis=axis)
    for o, r in zip(out, ref):
        same(o, r, jnp.asarray(x).dtype)


def test_split_errors():
    with pytest.raises(ValueError, match="equal division"):
        jnp.split(X, 3, axis=2)
    with pytest.raises(ValueError, match="axis 3 .*rank 3"):
        jnp.split(X, 2, axis=3)
    with pytest.raises(ValueError):
        jnp.split(X, 0)


PAD_WIDTHS = [1, (2, 0), ((1, 2), (3, 0), (0, 2)), ((0, 0), (5, 4), (0, 0)),
              ((9, 7), (0, 0), (1, 1)), ((0, 0), (0, 0), (0, 0))]


@pytest.mark.parametrize("mode", ["constant", "edge", "wrap", "reflect", "symmetric"])
@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_pad_every_claimed_mode(mode, dt):
    """Widths wider than the axis (reflect/symmetric/wrap bounce more than once)."""
    x = data((2, 3, 4), dt)
    for width in PAD_WIDTHS:
        ref = np.pad(x, width, mode=mode)
        for arg in layouts(x):
            same(jnp.pad(arg, width, mode=mode), ref)
    v = data((5,), dt)
    same(jnp.pad(v[::-2], (4, 6), mode=mode), np.pad(v[::-2], (4, 6), mode=mode))
    same(jnp.pad(x[:1, :1, :1], 3, mode=mode), np.pad(x[:1, :1, :1], 3, mode=mode))
    if mode == "constant":
        cv = np.asarray(True if dt == B else 3, dt)
        same(jnp.pad(x, 2, constant_values=cv), np.pad(x, 2, constant_values=cv))
        same(jnp.pad(np.zeros((0, 2), dt), 1), np.pad(np.zeros((0, 2), dt), 1))


def test_pad_modes_not_claimed_are_value_errors():
    for mode in ("bogus", "Mean"):
        with pytest.raises(ValueError, match=repr(mode)):
            jnp.pad(X, 1, mode=mode)
    with pytest.raises(ValueError, match="unsupported keyword"):
        jnp.pad(X, 1, mode="edge", stat_lenght=2)
    with pytest.raises(ValueError, match="yields no value"):
        jnp.pad(X, 1, mode="maximum", stat_length=0)
    with pytest.raises(ValueError, match="size 0"):
        jnp.pad(Z, 1, mode="reflect")
    with pytest.raises(ValueError, match="negative"):
        jnp.pad(X, -1)


@pytest.mark.parametrize("mode", ["maximum", "minimum", "mean", "median"])
@pytest.mark.parametrize("dt", [I32, F32, F64], ids=lambda d: np.dtype(d).name)
def test_pad_statistic_modes_vs_numpy(mode, dt):
    """Each axis in turn sees the previous axes' padding; integer means and
    medians round half to even, as numpy's."""
    x = (np.arange(12).reshape(3, 4) ** 1.5).astype(dt)
    for kw in ({}, {"stat_length": 2}, {"stat_length": (2, 1)},
               {"stat_length": ((1, 2), (3, 9))}):
        for width in (((1, 2), (2, 1)), 3, ((0, 0), (1, 0))):
            same(jnp.pad(x, width, mode=mode, **kw), np.pad(x, width, mode=mode, **kw))
    same(jaxlite.jit(lambda a: jnp.pad(a, 2, mode=mode))(x), np.pad(x, 2, mode=mode))


@pytest.mark.parametrize("dt", [I32, F32, F64], ids=lambda d: np.dtype(d).name)
def test_pad_linear_ramp_odd_reflection_empty_and_callable_vs_numpy(dt):
    x = (np.arange(12).reshape(3, 4) ** 1.5).astype(dt)
    for ends in (0, 5, (1, -1), ((1, 2), (-3, 4))):
        got = jnp.pad(x, ((1, 2), (3, 1)), mode="linear_ramp", end_values=ends)
        np.testing.assert_allclose(got, np.pad(x, ((1, 2), (3, 1)), mode="linear_ramp",
                                               end_values=ends), rtol=1e-6)
    for mode in ("reflect", "symmetric"):
        same(jnp.pad(x, ((1, 2), (2, 1)), mode=mode, reflect_type="odd"),
             np.pad(x, ((1, 2), (2, 1)), mode=mode, reflect_type="odd"))
    assert jnp.pad(x, 2, mode="empty").shape == (7, 8)

    def ends_of(v, width, axis, kwargs):       # JAX's functional callable mode
        return v.at[:width[0]].set(kwargs["fill"]).at[v.shape[0] - width[1]:].set(-1)

    def ends_np(v, width, axis, kwargs):       # numpy's in-place one
        v[:width[0]] = kwargs["fill"]
        v[v.shape[0] - width[1]:] = -1
    same(jnp.pad(x, ((1, 0), (1, 2)), mode=ends_of, fill=7),
         np.pad(x, ((1, 0), (1, 2)), mode=ends_np, fill=7))


def test_pad_grads_of_each_mode():
    x = DATA_RNG.normal(size=(3, 4))
    for mode in ("constant", "edge", "wrap", "reflect", "symmetric"):
        check_grads(lambda a: jnp.pad(a, ((2, 5), (1, 0)), mode=mode) ** 2, (x,), order=1)


# --------------------------------------------- random shape programs vs numpy

def _shape_step(kind, arg, x):
    """One shape operation ``kind`` with parameter ``arg`` (an int drawn by
    hypothesis) applied to the numpy or jnp array ``x``; the same function runs
    on both, through the module ``m``."""
    nd, shape = np.ndim(x), np.shape(x)
    ax = arg % nd if nd else 0

    def run(m):
        if kind == "transpose":
            return m.transpose(x, tuple(np.random.default_rng(arg).permutation(nd)))
        if kind == "flip":
            return m.flip(x, ax)
        if kind == "swapaxes":
            return m.swapaxes(x, ax, (arg // 3) % nd)
        if kind == "moveaxis":
            return m.moveaxis(x, ax, (arg // 5) % nd)
        if kind == "expand_dims":
            return m.expand_dims(x, arg % (nd + 1))
        if kind == "squeeze":
            return m.squeeze(x)
        if kind == "reshape":
            return m.reshape(x, (-1,) + shape[nd - 1:] if nd > 1 else (-1,))
        if kind == "concatenate":
            return m.concatenate([x, m.flip(x, ax)], axis=ax)
        if kind == "stack":
            return m.stack([x, x], axis=arg % (nd + 1))
        if kind == "tile":
            return m.tile(x, (1,) * nd + (1 + arg % 2,))
        if kind == "repeat":
            return m.repeat(x, 1 + arg % 2, axis=ax)
        if kind == "pad":
            mode = ["constant", "edge", "wrap", "reflect", "symmetric"][arg % 5]
            return m.pad(x, [(arg % 2, (arg // 2) % 3)] + [(0, 0)] * (nd - 1), mode=mode)
        if kind == "slice":
            return m.asarray(x)[(slice(None),) * ax + (slice(arg % 2, None, 1 + arg % 3),)]
        if kind == "split":
            return m.split(x, [arg % (shape[ax] + 1)], axis=ax)[arg % 2]
        if kind == "broadcast_to":
            return m.broadcast_to(x, (2,) + shape)
        raise AssertionError(kind)

    if kind in ("pad",) and nd and shape[0] == 0 and arg % 5:
        return None                       # numpy refuses to pad an empty axis by mode
    if nd == 0 and kind not in ("expand_dims", "squeeze", "reshape", "stack", "tile",
                                "broadcast_to"):
        return None
    return run


_SHAPE_KINDS = ["transpose", "flip", "swapaxes", "moveaxis", "expand_dims", "squeeze",
                "reshape", "concatenate", "stack", "tile", "repeat", "pad", "slice", "split",
                "broadcast_to"]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple),
       st.sampled_from(DTYPES), st.integers(0, 3),
       st.lists(st.tuples(st.sampled_from(_SHAPE_KINDS), st.integers(0, 1000)),
                min_size=1, max_size=5))
def test_random_shape_programs_match_numpy(shape, dt, layout, steps):
    x0 = layouts(np.asarray(data(shape, dt)))[min(layout, len(layouts(data(shape, dt))) - 1)]
    ref, program = x0, []
    for kind, arg in steps:
        if np.size(ref) > 4000:
            break
        run = _shape_step(kind, arg, ref)
        if run is None:
            continue
        try:
            new_ref = run(np)
        except ValueError:
            # numpy refuses (e.g. reshape(-1, 0) of an empty array): so must we
            with pytest.raises((ValueError, TypeError)):
                run(jnp)
            continue
        program.append((kind, arg))
        ref = new_ref
    if not program:
        return

    def apply(m, x):
        for kind, arg in program:
            x = _shape_step(kind, arg, x)(m)
        return x

    same(apply(jnp, x0), ref)
    same(jaxlite.jit(lambda x: apply(jnp, x))(x0), ref)


# ---------------------------------------------------------- shape functions

def test_concat_permute_dims_matrix_transpose_vs_numpy():
    a, b = normal_array((2, 3)), normal_array((2, 1))
    np.testing.assert_array_equal(jnp.concat([a, b], axis=1), np.concat([a, b], axis=1))
    np.testing.assert_array_equal(jnp.concat([a, a]), np.concat([a, a]))
    x = normal_array((2, 3, 4))
    np.testing.assert_array_equal(jnp.permute_dims(x, (2, 0, 1)), np.permute_dims(x, (2, 0, 1)))
    np.testing.assert_array_equal(jnp.matrix_transpose(x), np.matrix_transpose(x))
    with pytest.raises(ValueError, match=r"rank >= 2.*\(3,\)"):
        jnp.matrix_transpose(np.ones(3))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unstack_vs_numpy(axis):
    x = normal_array((2, 3, 4))
    got, expected = jnp.unstack(x, axis=axis), np.unstack(x, axis=axis)
    assert isinstance(got, tuple) and len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_append_vs_numpy(axis):
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    v = np.full((2, 3), 7, np.int32) if axis is not None else np.array([8.5, 9.5], np.float32)
    out = jnp.append(a, v, axis=axis)
    np.testing.assert_array_equal(out, np.append(a, v, axis=axis))
    assert out.dtype == (np.float32 if axis is None else np.int32)


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (2, 0), (-1, 1)])
def test_rot90_vs_numpy(k, axes):
    x = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(jnp.rot90(x, k, axes), np.rot90(x, k, axes))


def test_rot90_default_and_errors():
    m = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(jnp.rot90(m), np.rot90(m))
    with pytest.raises(ValueError, match="different"):
        jnp.rot90(m, axes=(1, 1))
    with pytest.raises(ValueError, match="two axes"):
        jnp.rot90(m, axes=(0,))
    with pytest.raises(ValueError, match="rank >= 2"):
        jnp.rot90(np.ones(3))


def test_atleast_nd_vs_numpy():
    for x in (np.float32(1.5), np.arange(3.0), np.ones((2, 3)), np.ones((2, 3, 4, 1))):
        for name in ("atleast_1d", "atleast_2d", "atleast_3d"):
            same(getattr(jnp, name)(x), getattr(np, name)(x))
    many = jnp.atleast_3d(np.float32(2.0), np.ones((2, 2)))
    assert [a.shape for a in many] == [(1, 1, 1), (2, 2, 1)]
    assert [a.shape for a in jnp.atleast_1d(1.0, np.ones((2, 2)))] == [(1,), (2, 2)]


def test_column_stack_fliplr_flipud_vs_numpy():
    a, b = np.arange(3.0), np.arange(6.0).reshape(3, 2)
    same(jnp.column_stack([a, b, a]), np.column_stack([a, b, a]))
    m = np.arange(24, dtype=I32).reshape(2, 3, 4)
    same(jnp.fliplr(m), np.fliplr(m))
    same(jnp.flipud(m), np.flipud(m))
    same(jaxlite.jit(jnp.fliplr)(m), np.fliplr(m))
    with pytest.raises(ValueError):
        jnp.fliplr(np.arange(3))


@pytest.mark.parametrize("sections", [2, [1, 3], [0]])
def test_hsplit_vsplit_vs_numpy(sections):
    x = np.arange(32.0).reshape(4, 4, 2)
    for ours, ref in ((jnp.hsplit, np.hsplit), (jnp.vsplit, np.vsplit)):
        got, want = ours(x, sections), ref(x, sections)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            same(g, w)
    assert [p.shape for p in jnp.hsplit(np.arange(6.0), 3)] == [(2,), (2,), (2,)]
