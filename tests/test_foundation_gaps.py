"""Issue #2 (foundation) audit: the cases the per-module files did not reach.

Every jnp function of the issue over each dtype it takes (bool, int32, int64,
float32, float64) against numpy computed in JAX's dtype; 0-size, rank-0 and
non-contiguous operands (negative strides, Fortran order, strided views);
every einsum two-operand spec with an explicit output (diagonals included);
every tensordot axes form; split by sections and by indices; every pad mode we
claim; x.at[idx] with repeated indices; the bad-input rules (TypeError naming
both shapes, ValueError naming axis and rank, TypeError for complex/object/
string data, ConcretizationTypeError naming the line); golden jaxprs of jnp
code and make_jaxpr with static_argnums over pytrees.
"""
import collections
import itertools
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import ir, lax, nn, tree_util
from helpers import check_grads

B, I32, I64, F32, F64 = np.bool_, np.int32, np.int64, np.float32, np.float64
DTYPES = [B, I32, I64, F32, F64]
RNG = np.random.default_rng(2)
THIS_FILE = os.path.basename(__file__)


@pytest.fixture(autouse=True)
def _fresh_rng():
    """Each test draws the same data whatever ran before it (or was deselected)."""
    global RNG
    RNG = np.random.default_rng(2)


def _data(shape, dt, positive=False):
    if dt == B:
        return np.ones(shape, bool) if positive else RNG.random(shape) > 0.5
    if np.dtype(dt).kind == "i":
        return RNG.integers(1 if positive else -4, 5, shape).astype(dt)
    x = RNG.normal(size=shape)
    return (np.abs(x) + 0.5 if positive else x).astype(dt)


def _layouts(x):
    """``x`` and non-contiguous arrays holding the same values."""
    x = np.asarray(x)
    if x.ndim == 0 or x.size == 0:
        return [x]
    views = [np.flip(np.flip(x).copy()), np.repeat(x, 2, axis=-1)[..., ::2],
             np.asfortranarray(x)]
    return [x] + [v for v in views if not v.flags.c_contiguous]


def _tol(dt):
    return {F32: 2e-6, F64: 1e-13}.get(np.dtype(dt).type, 0)


def _same(out, ref, dtype=None):
    """Same shape, the expected dtype (``ref``'s unless given) and values."""
    ref = np.asarray(ref)
    dtype = np.dtype(ref.dtype if dtype is None else dtype)
    assert isinstance(out, jnp.ndarray), type(out)
    assert out.shape == ref.shape, (out.shape, ref.shape)
    assert out.dtype == dtype, (out.dtype, dtype)
    if dtype.kind == "f":
        tol = _tol(dtype.type)
        np.testing.assert_allclose(np.asarray(out), ref.astype(dtype), rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(np.asarray(out), ref.astype(dtype))


# ---------------------------------------------------------------- the issue's list

ISSUE_NUMPY = """array asarray zeros ones full zeros_like ones_like full_like arange linspace eye
    negative sign floor ceil round abs exp exp2 log log1p expm1 sqrt sin cos tan arcsin arccos
    arctan sinh cosh tanh add subtract multiply divide remainder power maximum minimum arctan2
    equal not_equal less less_equal greater greater_equal logical_and logical_or logical_not
    square reciprocal where clip logaddexp sum prod max min mean var std argmax argmin all any
    cumsum reshape ravel transpose swapaxes moveaxis expand_dims squeeze broadcast_to
    concatenate stack split tile repeat flip pad dot matmul tensordot outer einsum""".split()
ISSUE_NN = "relu sigmoid softplus gelu softmax log_softmax logsumexp one_hot".split()
ISSUE_TREE = ("tree_flatten tree_unflatten tree_map tree_leaves tree_structure "
              "register_pytree_node").split()
ISSUE_METHODS = "astype T shape ndim dtype at reshape sum".split()


def test_every_function_named_in_the_issue_exists():
    missing = ([f"jnp.{n}" for n in ISSUE_NUMPY if not callable(getattr(jnp, n, None))]
               + [f"nn.{n}" for n in ISSUE_NN if not callable(getattr(nn, n, None))]
               + [f"tree_util.{n}" for n in ISSUE_TREE
                  if not callable(getattr(tree_util, n, None))])
    assert missing == []
    x = jnp.ones((2, 3))
    assert [m for m in ISSUE_METHODS if not hasattr(x, m)] == []


# ------------------------------------------------------- unary: every dtype

def _inexact(dt):
    return F64 if dt in (I64, F64) else F32


# name -> (dtype rule, needs positive input); "float": computes in float
# (int64 -> float64, int32/bool -> float32); "same": keeps the dtype, bool/int
# pass through floor/ceil/round unchanged, as in JAX.
UNARY = {
    "exp": "float", "exp2": "float", "log": "float+", "log1p": "float+", "expm1": "float",
    "sqrt": "float+", "sin": "float", "cos": "float", "tan": "float", "arcsin": "unit",
    "arccos": "unit", "arctan": "float", "sinh": "float", "cosh": "float", "tanh": "float",
    "reciprocal": "float+", "floor": "same", "ceil": "same", "round": "same",
    "abs": "same", "negative": "same", "sign": "same", "square": "same", "logical_not": "bool",
}


def _unary_case(name, dt, shape):
    rule = UNARY[name]
    x = _data(shape, dt, positive=rule == "float+")
    if rule == "unit" and dt in (F32, F64):
        x = (x / 4).astype(dt)
    if rule == "unit" and dt in (I32, I64):
        x = np.clip(x, -1, 1).astype(dt)
    return x


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_unary_every_dtype_shape_and_layout(name, dt):
    rule = UNARY[name]
    if name in ("negative", "sign") and dt == B:
        return          # numpy and JAX both refuse: see test_unary_bool_refusals
    for shape in [(), (0,), (3,), (2, 3), (4, 0, 2), (3, 1, 4)]:
        x = _unary_case(name, dt, shape)
        if rule in ("float", "float+", "unit"):
            ct = _inexact(dt)
            ref = getattr(np, name)(x.astype(ct))
        elif rule == "bool":
            ct, ref = B, np.logical_not(x)
        elif name == "square" and dt == B:
            ct, ref = I32, np.square(x.astype(I32))    # JAX counts True as 1
        elif name in ("floor", "ceil", "round") and dt in (B, I32, I64):
            ct, ref = dt, x                              # the identity, as JAX
        else:
            ct, ref = dt, getattr(np, name)(x)
        for arg in _layouts(x):
            _same(getattr(jnp, name)(arg), ref, ct)
        _same(jaxlite.jit(getattr(jnp, name))(_layouts(x)[-1]), ref, ct)


def test_unary_bool_refusals():
    b = np.array([True, False])
    with pytest.raises(TypeError, match="bool"):
        jnp.negative(b)
    with pytest.raises(TypeError):
        np.negative(b)
    with pytest.raises(TypeError, match="bool"):
        jnp.sign(b)
    with pytest.raises(TypeError):
        np.sign(b)


# ------------------------------------------------------ binary: every dtype pair

def _promote(a, b):
    """JAX's lattice restricted to our five dtypes is a chain:
    bool < int32 < int64 < float32 < float64 (so int64 with float32 is float32)."""
    return max(a, b, key=DTYPES.index)


# name -> how the result dtype follows from the promoted one
BINARY = {
    "add": "same", "subtract": "same", "multiply": "same", "maximum": "same",
    "minimum": "same", "divide": "float", "arctan2": "float", "logaddexp": "float",
    "power": "numeric", "remainder": "numeric", "equal": "bool", "not_equal": "bool",
    "less": "bool", "less_equal": "bool", "greater": "bool", "greater_equal": "bool",
    "logical_and": "bool", "logical_or": "bool",
}
BCAST = [((), ()), ((0,), ()), ((2, 3), (3,)), ((3, 1), (1, 4)), ((2, 0), (2, 1)),
         ((4, 1, 3), (2, 1))]


def _binary_operands(name, da, db, sa, sb):
    positive_b = name in ("remainder", "power", "divide")
    a = _data(sa, da, positive=name == "power")
    b = _data(sb, db, positive=positive_b)
    if name == "power" and DTYPES.index(_promote(da, db)) <= 2:
        b = np.minimum(b, 3).astype(db) if db != B else b     # int powers stay small
    return a, b


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_every_dtype_pair_and_broadcast(name):
    rule = BINARY[name]
    for da, db in itertools.product(DTYPES, DTYPES):
        pt = _promote(da, db)
        ct = {"same": pt, "float": _inexact(pt), "bool": pt,
              "numeric": I32 if pt == B else pt}[rule]
        for sa, sb in BCAST:
            a, b = _binary_operands(name, da, db, sa, sb)
            np_fn = getattr(np, name)
            if name == "subtract" and pt == B:
                with pytest.raises(TypeError):
                    np_fn(a, b)
                with pytest.raises(TypeError, match="bool"):
                    jnp.subtract(a, b)
                continue
            with np.errstate(all="ignore"):
                ref = np_fn(a.astype(ct), b.astype(ct))
            out_dt = B if rule == "bool" else ct
            for x, y in [(a, b), (_layouts(a)[-1], _layouts(b)[-1])]:
                _same(getattr(jnp, name)(x, y), ref, out_dt)


def test_where_and_clip_every_dtype():
    for da, db in itertools.product(DTYPES, DTYPES):
        c = _data((2, 3), B)
        a, b = _data((2, 3), da), _data((3,), db)
        pt = _promote(da, db)
        for cc, aa in [(c, a), (c.T.copy().T, np.asfortranarray(a))]:
            _same(jnp.where(cc, aa, b), np.where(cc, aa, b).astype(pt), pt)
    for dt in (I32, I64, F32, F64):
        x = _data((3, 4), dt)
        for arg in _layouts(x):
            _same(jnp.clip(arg, -1, 2), np.clip(x, -1, 2), dt)
            _same(jnp.clip(arg, max=0), np.minimum(x, 0), dt)
    _same(jnp.where(np.zeros((0, 2), bool), 1.0, 2.0), np.zeros((0, 2)), F32)


# --------------------------------------------------------- reductions: 0-size

@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "var", "std",
                                  "argmax", "argmin", "all", "any", "cumsum"])
def test_reductions_of_empty_arrays_follow_numpy(name):
    """Empty axes give the identity (sum 0, prod 1, all True), nan for mean/var,
    and a ValueError where numpy has no answer (max/argmax of nothing)."""
    for shape in [(0,), (2, 0), (0, 3), (3, 0, 2)]:
        for dt in (I32, F32, F64, B):
            x = np.zeros(shape, dt)
            axes = [None] + list(range(-len(shape), len(shape)))
            for axis, keep in itertools.product(axes, [False, True]):
                kw = {} if name == "cumsum" else {"keepdims": keep}
                if name == "cumsum" and keep:
                    continue
                try:
                    with np.errstate(all="ignore"):
                        ref = getattr(np, name)(x, axis=axis, **kw)
                except ValueError:
                    with pytest.raises(ValueError):
                        getattr(jnp, name)(x, axis=axis, **kw)
                    continue
                out = getattr(jnp, name)(x, axis=axis, **kw)
                assert out.shape == np.shape(ref), (name, shape, axis, keep)
                np.testing.assert_array_equal(np.asarray(out, F64), np.asarray(ref, F64))


# ------------------------------------------------------------------ creation

def test_creation_edge_cases_vs_numpy():
    for num in (0, 1, 2, 7):
        for endpoint in (True, False):
            _same(jnp.linspace(-1.0, 3.0, num, endpoint=endpoint),
                  np.linspace(-1.0, 3.0, num, endpoint=endpoint), F32)
    _same(jnp.linspace(0, 10, 5, dtype=jnp.int32), np.linspace(0, 10, 5).astype(I32))
    _same(jnp.linspace(0.0, 1.0, 4, dtype=jnp.float64), np.linspace(0, 1, 4))
    _same(jnp.arange(2.0, -1.0, -0.5), np.arange(2.0, -1.0, -0.5, dtype=F32))
    _same(jnp.arange(5, 1), np.arange(5, 1, dtype=I32))
    _same(jnp.arange(np.int64(3)), np.arange(3, dtype=I64))
    for n, m, k in [(0, None, 0), (3, 0, 0), (2, 5, 4), (4, 3, -3), (3, 3, 9)]:
        _same(jnp.eye(n, m, k), np.eye(n, m, k, dtype=F32))
    for dt in DTYPES:
        _same(jnp.eye(3, dtype=dt), np.eye(3, dtype=dt))
        _same(jnp.arange(4, dtype=dt) if dt != B else jnp.arange(2, dtype=dt),
              np.arange(4, dtype=dt) if dt != B else np.arange(2, dtype=dt))
        x = _data((2, 3), dt)
        for arg in _layouts(x) + [np.zeros((0, 3), dt)]:
            _same(jnp.zeros_like(arg), np.zeros(arg.shape, dt))
            _same(jnp.ones_like(arg), np.ones(arg.shape, dt))
            _same(jnp.full_like(arg, 1), np.full(arg.shape, 1, dt))
            _same(jnp.array(arg), arg)
            _same(jnp.asarray(arg), arg)
    fill = np.arange(3.0)[::-1]
    _same(jnp.full((2, 3), fill), np.full((2, 3), fill))


def test_fill_values_are_checked_not_silently_cast():
    with pytest.raises(TypeError, match="complex"):
        jnp.full_like(np.ones(3), 1j)
    with pytest.raises(TypeError, match="complex"):
        jnp.full(3, 2 + 1j, jnp.float32)
    with pytest.raises(TypeError, match="str"):
        jnp.full(3, "7", jnp.float32)
    with pytest.raises(OverflowError, match="int32"):
        jnp.full(2, 2 ** 40, jnp.int32)
    _same(jnp.full(2, 2 ** 40, jnp.int64), np.full(2, 2 ** 40, I64))
    _same(jnp.full(2, 2 ** 40, jnp.float64), np.full(2, 2.0 ** 40))
    _same(jnp.full_like(np.ones(2, I32), 3.7), np.full(2, 3, I32))


# -------------------------------------------- shape functions: scalars and 0-size

S = np.float32(2.5)
Z = np.zeros((2, 0, 4), np.float32)
X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)

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
    _same(out, ref)
    _same(jaxlite.jit(lambda: f(jnp))(), ref)


def test_concatenate_of_operands_empty_along_the_axis_eager():
    # (the jit form is a SHAPE_CASES entry above)
    _same(jnp.concatenate([Z, Z], 1), np.concatenate([Z, Z], 1))
    _same(jnp.concatenate([np.zeros(0, I32), np.zeros(0, I32)]), np.zeros(0, I32))


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
            _same(o, r, jnp.asarray(x).dtype)
    ref = np.array_split(x, 3 if not isinstance(sections, int) else sections + 1, axis=axis)
    out = jnp.array_split(x, 3 if not isinstance(sections, int) else sections + 1, axis=axis)
    for o, r in zip(out, ref):
        _same(o, r, jnp.asarray(x).dtype)


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
    x = _data((2, 3, 4), dt)
    for width in PAD_WIDTHS:
        ref = np.pad(x, width, mode=mode)
        for arg in _layouts(x):
            _same(jnp.pad(arg, width, mode=mode), ref)
    v = _data((5,), dt)
    _same(jnp.pad(v[::-2], (4, 6), mode=mode), np.pad(v[::-2], (4, 6), mode=mode))
    _same(jnp.pad(x[:1, :1, :1], 3, mode=mode), np.pad(x[:1, :1, :1], 3, mode=mode))
    if mode == "constant":
        cv = np.asarray(True if dt == B else 3, dt)
        _same(jnp.pad(x, 2, constant_values=cv), np.pad(x, 2, constant_values=cv))
        _same(jnp.pad(np.zeros((0, 2), dt), 1), np.pad(np.zeros((0, 2), dt), 1))


def test_pad_modes_not_claimed_are_value_errors():
    for mode in ("linear_ramp", "maximum", "mean", "median", "minimum", "empty", "bogus"):
        with pytest.raises(ValueError, match=repr(mode)):
            jnp.pad(X, 1, mode=mode)
    with pytest.raises(ValueError, match="size 0"):
        jnp.pad(Z, 1, mode="reflect")
    with pytest.raises(ValueError, match="negative"):
        jnp.pad(X, -1)


def test_pad_grads_of_each_mode():
    x = RNG.normal(size=(3, 4))
    for mode in ("constant", "edge", "wrap", "reflect", "symmetric"):
        check_grads(lambda a: jnp.pad(a, ((2, 5), (1, 0)), mode=mode) ** 2, (x,), order=1)


# ----------------------------------------------------------------- products

TENSORDOT = [
    ((2, 3, 4), (3, 4, 5), 0), ((2, 3, 4), (4, 5), 1), ((2, 3, 4), (3, 4, 5), 2),
    ((2, 3, 4), (2, 3, 4), 3), ((2, 3, 4), (3, 4, 5), ([1, 2], [0, 1])),
    ((2, 3, 4), (4, 5), ((2,), (0,))), ((2, 3, 4), (4, 5), (2, 0)),
    ((2, 3, 4), (5, 4), (-1, -1)), ((2, 3, 4), (3, 4, 5), ([-2, -1], [0, 1])),
    ((2, 3, 4), (4, 3, 5), (np.array([1, 2]), np.array([1, 0]))),
    ((2, 3, 4), (4, 5), [[2], [0]]), ((2, 3), (4,), ([], [])),
    ((2, 3, 4), (4, 3, 5), ([2, 1], [0, 1])), ((0, 3), (3, 0), 1), ((2, 0), (0, 3), 1),
]


@pytest.mark.parametrize("sa,sb,axes", TENSORDOT, ids=range(len(TENSORDOT)))
def test_tensordot_every_axes_form(sa, sb, axes):
    for dt in DTYPES:
        a, b = _data(sa, dt), _data(sb, dt)
        ref = np.tensordot(a, b, axes)
        for x, y in itertools.product(_layouts(a), _layouts(b)):
            _same(jnp.tensordot(x, y, axes), ref)


def test_tensordot_empty_mixed_and_errors():
    _same(jnp.tensordot(np.zeros((2, 0)), np.zeros((0, 3)), 1), np.zeros((2, 3)))
    _same(jnp.tensordot(np.ones((2, 3), I64), np.ones(3, F32), 1), np.full(2, 3.0, F32))
    with pytest.raises(TypeError, match=r"\(2, 3\) and \(4, 5\)"):
        jnp.tensordot(np.ones((2, 3)), np.ones((4, 5)), 1)
    with pytest.raises(ValueError, match="same length"):
        jnp.tensordot(X, X, ([0, 1], [0]))
    with pytest.raises(ValueError, match="axis 3 .*rank 3"):
        jnp.tensordot(X, X, ([3], [0]))
    with pytest.raises(ValueError, match="invalid"):
        jnp.tensordot(X, X, 4)


def test_products_on_layouts_and_dtypes():
    for dt in DTYPES:
        a, b = _data((3, 4), dt), _data((4, 5), dt)
        for x, y in itertools.product(_layouts(a), _layouts(b)):
            _same(jnp.dot(x, y), np.dot(a, b))
            _same(jnp.matmul(x, y), np.matmul(a, b))
            _same(jnp.asarray(x) @ y, a @ b)
            _same(jnp.outer(x[0], y[:, 1]), np.outer(a[0], b[:, 1]))
        _same(jnp.dot(np.zeros((0, 4), dt), b), np.zeros((0, 5), dt))
        _same(jnp.outer(np.zeros(0, dt), a[0]), np.zeros((0, 4), dt))


EINSUM_DIAGONALS = [("ii->i", (3, 3)), ("ii->", (3, 3)), ("ii,i->i", (3, 3), (3,)),
                    ("iji,j->ij", (3, 4, 3), (4,)), ("iii->i", (2, 2, 2)),
                    ("iij,jk->ik", (3, 3, 4), (4, 2)), ("ii,jj->ij", (3, 3), (2, 2)),
                    ("ij,ii->j", (3, 4), (3, 3)), ("bii,bi->b", (2, 3, 3), (2, 3))]


@pytest.mark.parametrize("case", EINSUM_DIAGONALS, ids=[c[0] for c in EINSUM_DIAGONALS])
def test_einsum_repeated_index_takes_the_diagonal(case):
    spec, *shapes = case
    for dt in DTYPES:
        ops = [_data(s, dt) for s in shapes]
        _same(jnp.einsum(spec, *ops), np.einsum(spec, *ops))
    ops = [RNG.normal(size=s) for s in shapes]
    check_grads(lambda *a: jnp.einsum(spec, *a), ops, order=1)


@st.composite
def _einsum_case(draw):
    letters = "abcdef"[:draw(st.integers(1, 5))]
    sizes = {c: draw(st.integers(0, 3)) for c in letters}
    lhs = draw(st.lists(st.sampled_from(letters), max_size=4))
    rhs = draw(st.lists(st.sampled_from(letters), max_size=4))
    used = sorted(set(lhs) | set(rhs))
    out = draw(st.permutations(used))[:draw(st.integers(0, len(used)))]
    dt = draw(st.sampled_from(DTYPES))
    layout = draw(st.integers(0, 3))
    # letters an operand holds with size 1, broadcasting against the other (numpy's rule)
    ones = [draw(st.sets(st.sampled_from(letters))) for _ in range(2)]
    return "".join(lhs), "".join(rhs), "".join(out), sizes, dt, layout, ones


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_einsum_case())
def test_einsum_any_explicit_two_operand_spec(case):
    """Random specs: repeated letters (diagonals), letters on one side only
    (summed or kept), empty dims, size-1 dims broadcasting, every dtype."""
    lhs, rhs, out, sizes, dt, layout, ones = case
    spec = f"{lhs},{rhs}->{out}"
    a, b = [np.asarray(_data(tuple(1 if c in one else sizes[c] for c in s), dt))
            for s, one in ((lhs, ones[0]), (rhs, ones[1]))]
    a = _layouts(a)[min(layout, len(_layouts(a)) - 1)]
    ref = np.einsum(spec, a, b)
    _same(jnp.einsum(spec, a, b), ref)


# ------------------------------------------------------- x.at with repeats

AT_X = np.arange(1.0, 7.0)
AT_IDX = np.array([0, 2, 0, 0, 5, 2])
AT_V = np.array([2.0, 3.0, 0.5, 4.0, 7.0, -1.0])


def _at_reference(how, x, idx, v):
    """Every update applied: numpy's ufunc.at; divide/power use the product of
    the updates to an element (as JAX does)."""
    out = x.astype(F64)
    if how in ("divide", "power"):
        prod = np.ones_like(out)
        np.multiply.at(prod, idx, v)
        return out / prod if how == "divide" else out ** prod
    ufunc = {"add": np.add, "multiply": np.multiply, "mul": np.multiply,
             "min": np.minimum, "max": np.maximum}[how]
    ufunc.at(out, idx, v)
    return out


@pytest.mark.parametrize("how", ["add", "mul", "multiply", "min", "max", "divide", "power"])
def test_at_applies_every_update_to_a_repeated_index(how):
    ref = _at_reference(how, AT_X, AT_IDX, AT_V)
    eager = getattr(jnp.asarray(AT_X).at[AT_IDX], how)(AT_V)
    traced = jaxlite.jit(lambda x, i, v: getattr(x.at[i], how)(v))(AT_X, AT_IDX, AT_V)
    static = jaxlite.jit(lambda x, v: getattr(x.at[AT_IDX], how)(v))(AT_X, AT_V)
    for out in (eager, traced, static):
        np.testing.assert_allclose(out, ref, rtol=1e-12)
    x2 = AT_X.reshape(2, 3)
    rows = np.array([1, 0, 1])
    v2 = RNG.uniform(0.5, 2.0, (3, 3))
    ref2 = _at_reference(how, x2, rows, v2)
    np.testing.assert_allclose(getattr(jnp.asarray(x2).at[rows], how)(v2), ref2, rtol=1e-12)
    np.testing.assert_allclose(
        jaxlite.jit(lambda x, i, v: getattr(x.at[i], how)(v))(x2, rows, v2), ref2, rtol=1e-12)


@pytest.mark.parametrize("dt", [I32, I64, F32])
def test_at_repeats_integer_and_float32(dt):
    x = np.arange(1, 5).astype(dt)
    idx = np.array([1, 1, 3, 1])
    v = np.array([2, 3, -1, 2]).astype(dt)
    for how in ("add", "mul", "min", "max"):
        ref = _at_reference(how, x, idx, v).astype(dt)
        _same(getattr(jnp.asarray(x).at[idx], how)(v), ref)
        _same(jaxlite.jit(lambda a, i, w: getattr(a.at[i], how)(w))(x, idx, v), ref)


def test_at_repeats_out_of_bounds_dropped_and_grads():
    out = jaxlite.jit(lambda x, i, v: x.at[i].mul(v))(AT_X, np.array([0, 9, 0, -1, -9]),
                                                      np.array([2., 5., 3., 10., 4.]))
    np.testing.assert_allclose(out, [6, 2, 3, 4, 5, 60])
    idx = np.array([0, 2, 0])
    w = np.array([1.5, -2.0, 0.7])
    check_grads(lambda a, v: jnp.asarray(a).at[idx].mul(v), (AT_X, w), order=1)
    check_grads(lambda a, v: jnp.asarray(a).at[idx].max(v), (AT_X * 0.1, w), order=1)
    check_grads(lambda a, v: jaxlite.jit(lambda a, v, i: a.at[i].mul(v))(a, v, idx), (AT_X, w),
                order=1)


def test_at_on_layouts_dtypes_and_empty():
    for dt in DTYPES:
        base = _data((4, 5), dt)
        for x in _layouts(base):
            for idx in [1, (slice(None), 0), np.array([3, 0]), (Ellipsis, -1), (slice(0, 0),)]:
                v = _data(x[idx].shape, dt, positive=True)
                ref = x.copy()
                ref[idx] = v
                _same(jnp.asarray(x).at[idx].set(v), ref)
                if dt != B:
                    ref = x.copy()
                    np.add.at(ref, idx, v)
                    _same(jnp.asarray(x).at[idx].add(v), ref)
    z = jnp.zeros((0, 3))
    _same(z.at[:, 1].set(5.0), np.zeros((0, 3), F32))
    _same(z.at[np.array([], I32)].add(1.0), np.zeros((0, 3), F32))
    _same(z[:, np.array([0, 2])], np.zeros((0, 2), F32))


# ---------------------------------------------------- indexing on layouts

def test_getitem_on_layouts_and_dtypes():
    for dt in DTYPES:
        base = _data((4, 5, 3), dt)
        for x in _layouts(base):
            for idx in [(1, slice(None, None, -2)), np.array([[0, 3], [2, 2]]),
                        (slice(None), np.array([4, 0]), 1), (Ellipsis, None, 0),
                        base[..., 0] > 0 if dt == B else (np.array([-1]), slice(1, 3))]:
                _same(jnp.asarray(x)[idx], x[idx])
                _same(jaxlite.jit(lambda a: a[idx])(x), x[idx])


# ------------------------------------------------ methods and traced values

def test_astype_every_dtype_pair():
    for src, dst in itertools.product(DTYPES, DTYPES):
        x = _data((2, 3), src) * (3 if src in (F32, F64) else 1)
        x = x.astype(src)
        for arg in _layouts(x):
            _same(jnp.asarray(arg).astype(dst), x.astype(dst))
        _same(jaxlite.jit(lambda a: a.astype(dst))(x.T), x.T.astype(dst))


def test_attributes_and_T_on_tracers():
    seen = []

    def f(a):
        seen.append((a.shape, a.ndim, a.dtype, a.T.shape, a.size))
        return a.T * 2

    for x in (np.float32(1.5), np.arange(3, dtype=I64), np.ones((2, 3, 4), F32)):
        seen.clear()
        out = jaxlite.jit(f)(x)
        assert seen == [(x.shape, x.ndim, x.dtype, x.T.shape, x.size)]
        _same(out, x.T * 2)
        seen.clear()
        jaxlite.make_jaxpr(f)(x)
        assert seen == [(x.shape, x.ndim, x.dtype, x.T.shape, x.size)]


def test_operators_on_tracers_with_numpy_operands_on_either_side():
    a = RNG.normal(size=(2, 3)).astype(F32)
    n = RNG.uniform(0.5, 2, size=(3,)).astype(F32)
    ops = [lambda x, y: x + y, lambda x, y: y - x, lambda x, y: x * y, lambda x, y: y / x,
           lambda x, y: x ** 2 + y, lambda x, y: y < x, lambda x, y: x >= y,
           lambda x, y: -x % y, lambda x, y: y // (abs(x) + 1), lambda x, y: x @ y]
    for op in ops:
        ref = op(a, n)
        out = jaxlite.jit(lambda x: op(x, n))(a)
        _same(out, ref)
        out = jaxlite.jit(lambda y: op(a, y))(n)
        _same(out, ref)


# --------------------------------------------------------------------- nn

@pytest.mark.parametrize("name", ["relu", "sigmoid", "softplus", "gelu"])
def test_nn_activations_on_dtypes_shapes_and_layouts(name):
    closed = {"relu": lambda x: np.maximum(x, 0), "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
              "softplus": lambda x: np.logaddexp(x, 0),
              "gelu": lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi)
                                                       * (x + 0.044715 * x ** 3)))}[name]
    for dt in (I32, I64, F32, F64):
        out_dt = dt if name == "relu" else _inexact(dt)
        for shape in [(), (0,), (3,), (2, 0), (3, 4)]:
            x = _data(shape, dt)
            ref = closed(x.astype(F64)).astype(out_dt)
            for arg in _layouts(x):
                out = getattr(nn, name)(arg)
                assert out.dtype == out_dt and out.shape == x.shape
                np.testing.assert_allclose(out, ref, rtol=1e-5 if out_dt == F32 else 1e-12,
                                           atol=1e-6)


def _softmax_ref(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0, 1, (0, 2), None])
def test_softmax_family_axes_layouts_and_empty(axis):
    x = RNG.normal(size=(2, 3, 4))
    for arg in _layouts(x):
        np.testing.assert_allclose(nn.softmax(arg, axis=axis), _softmax_ref(x, axis), rtol=1e-12)
        np.testing.assert_allclose(nn.log_softmax(arg, axis=axis),
                                   np.log(_softmax_ref(x, axis)), rtol=1e-12, atol=1e-12)
        m = np.max(x, axis=axis, keepdims=True)
        lse = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
        np.testing.assert_allclose(nn.logsumexp(arg, axis=axis, keepdims=True), lse,
                                   rtol=1e-12)
    e = np.zeros((0, 3), F32)   # the reduced axis is non-empty: an empty batch
    assert nn.softmax(e, axis=1).shape == (0, 3)
    assert nn.logsumexp(e, axis=1).shape == (0,)
    assert nn.softmax(np.arange(4, dtype=I32)).dtype == F32


def test_one_hot_shapes_dtypes_layouts():
    labels = np.array([[0, 3, 1], [2, -1, 4]], I64)
    for arg in _layouts(labels):
        out = nn.one_hot(arg, 4)
        _same(out, (labels[..., None] == np.arange(4)).astype(F32))
        _same(nn.one_hot(arg, 4, axis=0, dtype=jnp.int32),
              np.moveaxis(labels[..., None] == np.arange(4), -1, 0).astype(I32))
    _same(nn.one_hot(np.zeros(0, I32), 3), np.zeros((0, 3), F32))
    _same(nn.one_hot(np.int32(2), 3), np.array([0, 0, 1], F32))
    _same(nn.one_hot(labels, 0), np.zeros((2, 3, 0), F32))
    with pytest.raises(ValueError, match="num_classes"):
        nn.one_hot(labels, -1)


# ---------------------------------------------------------------- bad input

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


C = np.ones(3, np.complex64)
O = np.array([1, None, 2], object)
U = np.array(["a", "b", "c"])
UNSUPPORTED = [
    lambda: jnp.asarray(C), lambda: jnp.array(O), lambda: jnp.asarray(U),
    lambda: jnp.asarray(np.array([b"x"])), lambda: jnp.array(1 + 2j),
    lambda: jnp.array([1, 2], dtype=np.complex128), lambda: jnp.zeros(3, dtype=object),
    lambda: jnp.ones(3, dtype=str), lambda: jnp.full(3, 1j), lambda: jnp.zeros_like(C),
    lambda: jnp.ones_like(O), lambda: jnp.arange(3, dtype=np.complex64),
    lambda: jnp.linspace(0, 1j, 3), lambda: jnp.eye(2, dtype=np.complex64),
    lambda: jnp.exp(C), lambda: jnp.add(np.ones(3), C), lambda: jnp.add(np.ones(3), 1j),
    lambda: jnp.ones(3) * 1j, lambda: jnp.sum(C), lambda: jnp.reshape(U, (3, 1)),
    lambda: jnp.concatenate([np.ones(3), C]), lambda: jnp.dot(C, C),
    lambda: jnp.einsum("i,i->", C, C), lambda: jnp.ones(3).astype(np.complex64),
    lambda: jnp.ones(3).astype(object), lambda: nn.relu(C), lambda: nn.softmax(O),
    lambda: nn.one_hot(np.array([0, 1]), 2, dtype=np.complex64),
    lambda: jnp.where(True, U, U), lambda: jnp.zeros(3).at[0].set(1j),
    lambda: jnp.zeros(3).at[0:3].set(C), lambda: jaxlite.jit(lambda x: x)(C),
    lambda: jaxlite.make_jaxpr(lambda x: x)(U), lambda: lax.add(C, C),
    lambda: jnp.ones(3)[np.array([1j])], lambda: jnp.clip(np.ones(3), 1j),
    lambda: jnp.pad(np.ones(3), 1, constant_values=1j),
    lambda: jnp.sum(np.ones(3), dtype=np.complex64), lambda: jnp.stack([U, U]),
    lambda: jaxlite.grad(lambda x: x)("a"), lambda: jnp.matmul(O, O),
    lambda: jnp.mean(np.array([1, 2], dtype=np.complex128)),
]


@pytest.mark.parametrize("f", UNSUPPORTED, ids=range(len(UNSUPPORTED)))
def test_complex_object_and_string_data_are_type_errors(f):
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
    """Including broadcasts numpy would refuse: nothing is broadcast silently."""
    with pytest.raises(TypeError) as info:
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


# ----------------------------------------------------------- bool arithmetic

def test_bool_operands_of_numeric_ops_count_as_int32():
    b = np.array([True, False, True, True])
    c = np.array([True, True, False, True])
    bi, ci = b.astype(I32), c.astype(I32)
    _same(jnp.square(b), bi * bi, I32)
    _same(jnp.power(b, c), bi ** ci, I32)
    _same(jnp.power(b, 3), bi ** 3, I32)
    with np.errstate(divide="ignore"):
        for name in ("remainder", "floor_divide", "fmod", "mod"):
            got = getattr(jnp, name)(b, c)
            safe = ci != 0      # x // 0 and x % 0 on ints: numpy and XLA differ
            assert got.dtype == I32
            np.testing.assert_array_equal(np.asarray(got)[safe], getattr(np, name)(bi, ci)[safe])
    _same(jnp.remainder(b, 2.5), np.remainder(bi, 2.5).astype(F32), F32)
    assert jaxlite.jit(jnp.square)(b).dtype == I32


# ------------------------------------------------------------------ jaxprs

def _show(f, *args, **kw):
    return str(jaxlite.make_jaxpr(f, **kw)(*args))


def _golden(text):
    import textwrap
    return textwrap.dedent(text).strip("\n")


def test_golden_jaxprs_of_jnp_code():
    x = np.ones((2, 3), F32)
    assert _show(lambda a: jnp.mean(a, axis=1), x) == _golden("""
        { lambda ; a:f32[2,3]. let
            b:f32[2] = reduce_sum[axes=(1,)] a
            c:f32[2] = div b 3.0:f32[]
          in (c,) }""")
    assert _show(lambda a: jnp.where(a > 0, a, 0.0), x) == _golden("""
        { lambda ; a:f32[2,3]. let
            b:bool[2,3] = gt a 0.0:f32[]
            c:f32[2,3] = broadcast_in_dim[broadcast_dimensions=() shape=(2, 3)] 0.0:f32[]
            d:f32[2,3] = select_n b c a
          in (d,) }""")
    assert _show(lambda a, b: jnp.einsum("ij,kj->ik", a, b), x, x) == _golden("""
        { lambda ; a:f32[2,3] b:f32[2,3]. let
            c:f32[2,2] = dot_general[dimension_numbers=(((1,), (1,)), ((), ())) \
preferred_element_type=None] a b
          in (c,) }""")
    assert _show(lambda a: jnp.sum(a), np.arange(3, dtype=I32)) == \
        "{ lambda ; a:i32[3]. let b:i32[] = reduce_sum[axes=(0,)] a in (b,) }"
    assert _show(lambda a: nn.relu(a) * 2, x) == _golden("""
        { lambda ; a:f32[2,3]. let
            b:bool[2,3] = gt a 0.0:f32[]
            c:f32[2,3] = broadcast_in_dim[broadcast_dimensions=() shape=(2, 3)] 0.0:f32[]
            d:f32[2,3] = select_n b c a
            e:f32[2,3] = mul d 2.0:f32[]
          in (e,) }""")
    # A repeated static index: one gather-combine-scatter round per repetition.
    assert _show(lambda a, v: a.at[np.array([0, 0])].mul(v), np.ones(3, F32),
                 np.ones(2, F32)) == _golden("""
        { lambda a:i32[2,1] b:i32[2,1]; c:f32[3] d:f32[2]. let
            e:f32[2] = gather[axes=(0,)] c a
            f:f32[2] = mul e d
            g:f32[3] = scatter[axes=(0,)] c a f
            h:f32[2] = gather[axes=(0,)] g b
            i:f32[2] = mul h d
            j:f32[3] = scatter[axes=(0,)] g b i
          in (j,) }""")


def test_golden_jaxprs_of_operators_indexing_and_pytree_outputs():
    i, f = np.arange(3, dtype=I32), np.ones(3, F32)
    # int32 < float32 compares in float32; a weak int literal stays int32
    assert _show(lambda x, y: (x < y) & (x != 0), i, f) == _golden("""
        { lambda ; a:i32[3] b:f32[3]. let
            c:f32[3] = convert_element_type[new_dtype=float32 weak_type=False] a
            d:bool[3] = lt c b
            e:bool[3] = ne a 0:i32[]
            f:bool[3] = and d e
          in (f,) }""")
    # int32 + a Python float is a weakly typed float32
    assert _show(lambda x: (x + 1.5) * 2, i) == _golden("""
        { lambda ; a:i32[3]. let
            b:f32[3] = convert_element_type[new_dtype=float32 weak_type=True] a
            c:f32[3] = add b 1.5:f32[]
            d:f32[3] = mul c 2.0:f32[]
          in (d,) }""")
    assert _show(lambda x: x[1:, ::-1], np.ones((3, 4), F32)) == _golden("""
        { lambda ; a:f32[3,4]. let
            b:f32[3,4] = rev[dimensions=(1,)] a
            c:f32[2,4] = slice[limit_indices=(3, 4) start_indices=(1, 0) strides=None] b
          in (c,) }""")
    # outputs flatten in sorted key order; a static Python int is a literal output
    d = {"b": np.ones((3, 2), F32), "a": np.ones((2, 3), F32)}
    assert _show(lambda t: {"s": t["a"] @ t["b"], "n": t["a"].shape[0]}, d) == _golden("""
        { lambda ; a:f32[2,3] b:f32[3,2]. let
            c:f32[2,2] = dot_general[dimension_numbers=(((1,), (0,)), ((), ())) \
preferred_element_type=None] a b
          in (2:i32[], c) }""")


Params = collections.namedtuple("Params", ["w", "b"])


def test_make_jaxpr_static_argnums_over_pytrees():
    def f(p, n, d):
        return {"y": jnp.tile(p.w, n) + d["s"], "z": p.b * n}

    p = Params(np.ones(2, F32), np.zeros(2, F32))
    d = {"s": np.float32(1)}
    text = _golden("""
        { lambda ; a:f32[2] b:f32[2] c:f32[]. let
            d:f32[2,2] = broadcast_in_dim[broadcast_dimensions=(1,) shape=(2, 2)] a
            e:f32[4] = reshape[dimensions=None new_sizes=(4,)] d
            f:f32[4] = add e c
            g:f32[2] = mul b 2.0:f32[]
          in (f, g) }""")
    assert _show(f, p, 2, d, static_argnums=(1,)) == text
    assert _show(f, p, 2, d, static_argnums=-2) == text
    closed = jaxlite.make_jaxpr(f, static_argnums=1)(p, 3, d)
    assert [a.shape for a in closed.out_avals] == [(6,), (2,)]
    out = ir.eval_jaxpr(closed.jaxpr, closed.consts, *tree_util.tree_leaves((p, d)))
    ref = f(p, 3, d)
    np.testing.assert_allclose(out[0], ref["y"])
    np.testing.assert_allclose(out[1], ref["z"])
    # A static tuple that changes the structure of the computation.
    g = lambda x, axes: jnp.sum(x, axis=axes)
    assert "reduce_sum[axes=(0, 2)]" in _show(g, X, (0, 2), static_argnums=1)
    assert "reduce_sum[axes=(1,)]" in _show(g, X, (1,), static_argnums=1)


# ------------------------------------------- primitives on non-contiguous inputs

def _primitive_table():
    from test_transform_gaps import TABLE
    return TABLE


@pytest.mark.parametrize("name", sorted(_primitive_table()))
def test_every_primitive_on_non_contiguous_inputs(name):
    """Every primitive (one table entry each, shared with the transform tests)
    gives the same values on views as on contiguous copies, eagerly and
    compiled; the contiguous values are checked against numpy per module."""
    entry = _primitive_table()[name]
    jitted = jaxlite.jit(entry.fn)
    for case in range(len(entry.shapes)):
        args = entry.args(np.random.default_rng(case), case)
        ref = tree_util.tree_leaves(entry.fn(*args))
        layouts = [_layouts(a) for a in args]
        for k in range(1, 4):
            views = [ls[min(k, len(ls) - 1)] for ls in layouts]
            for f in (entry.fn, jitted):
                for o, r in zip(tree_util.tree_leaves(f(*views)), ref):
                    np.testing.assert_allclose(np.asarray(o), np.asarray(r), rtol=1e-12,
                                               atol=1e-12)


def test_compiled_kernels_on_large_strided_views():
    """Big enough for the threaded kernels; views in every layout."""
    big = RNG.normal(size=(300, 500)).astype(F32)
    fns = [lambda x: jnp.exp(x) * 2 + x, lambda x: jnp.sum(x, 0), lambda x: jnp.max(x, 1),
           lambda x: x @ x.T, lambda x: nn.softmax(x, -1), lambda x: jnp.cumsum(x, 1)]
    for view in (big.T, big[::-1, ::-1], big[::2, 1::3], np.asfortranarray(big)):
        dense = np.ascontiguousarray(view)
        for f in fns:
            np.testing.assert_allclose(jaxlite.jit(f)(view), f(dense), rtol=1e-4, atol=1e-3)


EMPTY_FNS = {
    "exp": jnp.exp, "add": lambda x: x + x, "where": lambda x: jnp.where(x > 0, x, 1),
    "sum0": lambda x: jnp.sum(x, 0), "sum_last": lambda x: jnp.sum(x, -1), "sum": jnp.sum,
    "prod0": lambda x: jnp.prod(x, 0), "mean_last": lambda x: jnp.mean(x, -1),
    "cumsum0": lambda x: jnp.cumsum(x, 0), "any": lambda x: jnp.any(x > 0, 0),
    "all": lambda x: jnp.all(x), "var0": lambda x: jnp.var(x, 0), "T": lambda x: x.T,
    "flip": jnp.flip, "pad": lambda x: jnp.pad(x, 1), "stack": lambda x: jnp.stack([x, x]),
    "tile": lambda x: jnp.tile(x, 2), "repeat": lambda x: jnp.repeat(x, 2, 0),
    "broadcast": lambda x: jnp.broadcast_to(x, (4,) + x.shape),
    "expand": lambda x: jnp.expand_dims(x, 0), "squeeze": lambda x: jnp.squeeze(x[None]),
    "tensordot": lambda x: jnp.tensordot(x, x, x.ndim),
    "outer": lambda x: jnp.einsum("...i,...j->...ij", x, x), "rev": lambda x: x[..., ::-1],
    "softmax": lambda x: nn.softmax(x.astype(jnp.float32), -1),
    "logsumexp": lambda x: nn.logsumexp(x.astype(jnp.float32), -1),
    "one_hot": lambda x: nn.one_hot(x.astype(jnp.int32), 3),
    "astype": lambda x: x.astype(jnp.float64), "clip": lambda x: jnp.clip(x, 0, 1),
    "roll": lambda x: jnp.roll(x, 1, 0),
}


@pytest.mark.parametrize("name", list(EMPTY_FNS))
def test_jit_matches_eager_on_empty_arrays(name):
    f = EMPTY_FNS[name]
    for x in (np.zeros((2, 0, 3), F32), np.zeros((0, 3), I32), np.zeros((0,), F64),
              np.zeros((3, 0, 2), F32).transpose(2, 1, 0)):
        ref = f(x)
        out = jaxlite.jit(f)(x)
        for o, r in zip(tree_util.tree_leaves(out), tree_util.tree_leaves(ref)):
            _same(o, r)


# ---------------------------------------------------------------- pytrees

def test_ordered_and_default_dicts_are_pytree_nodes():
    od = collections.OrderedDict([("b", 1.0), ("a", 2.0)])
    leaves, treedef = tree_util.tree_flatten(od)
    assert leaves == [1.0, 2.0]                       # insertion order, not sorted
    back = tree_util.tree_unflatten(treedef, [5.0, 6.0])
    assert type(back) is collections.OrderedDict and list(back.items()) == [("b", 5.0),
                                                                            ("a", 6.0)]
    assert treedef != tree_util.tree_structure(collections.OrderedDict([("a", 0), ("b", 0)]))
    dd = collections.defaultdict(list, {"b": 1.0, "a": 2.0})
    leaves, treedef = tree_util.tree_flatten(dd)
    assert leaves == [2.0, 1.0]                       # sorted, like dict
    back = tree_util.tree_unflatten(treedef, [3.0, 4.0])
    assert type(back) is collections.defaultdict and back.default_factory is list
    assert dict(back) == {"a": 3.0, "b": 4.0}
    g = jaxlite.grad(lambda d: d["a"] * d["b"] ** 2)(
        collections.OrderedDict([("b", 3.0), ("a", 2.0)]))
    assert type(g) is collections.OrderedDict and list(g) == ["b", "a"]
    np.testing.assert_allclose([g["b"], g["a"]], [12.0, 9.0])


def test_tree_map_over_several_mixed_trees():
    p1 = {"w": [np.ones(2), None], "n": Params(1.0, (2.0,))}
    p2 = {"w": [np.full(2, 3.0), None], "n": Params(10.0, (20.0,))}
    p3 = tree_util.tree_map(lambda a: a * 0 + 1, p1)
    out = tree_util.tree_map(lambda a, b, c: a + b * c, p1, p2, p3)
    assert type(out["n"]) is Params and out["w"][1] is None
    np.testing.assert_allclose(out["w"][0], [4.0, 4.0])
    assert out["n"].w == 11.0 and out["n"].b == (22.0,)
    assert tree_util.tree_structure(out) == tree_util.tree_structure(p1)
    with pytest.raises(ValueError, match="different structures"):
        tree_util.tree_map(lambda a, b: a, p1, {"w": [1.0, 2.0], "n": Params(1.0, (2.0,))})


def test_softmax_family_over_an_empty_axis():
    """As JAX (whose max there starts from -inf): the log of an empty sum."""
    with np.errstate(divide="ignore"):
        _same(nn.logsumexp(np.zeros(0, F32)), np.float32(-np.inf))
        _same(nn.logsumexp(np.zeros((2, 0)), axis=1), np.full(2, -np.inf))
        _same(jaxlite.jit(nn.logsumexp)(np.zeros((0,), F32)), np.float32(-np.inf))
    _same(nn.softmax(np.zeros((3, 0)), axis=1), np.zeros((3, 0)))
    _same(nn.log_softmax(np.zeros((0, 2), F32), axis=0), np.zeros((0, 2), F32))


# ----------------------------------------- primitives: every dtype, eager and jit

_PX = np.random.default_rng(5).integers(0, 3, (3, 4, 2)).astype(F64)   # exact in every dtype
_PIDX = np.array([[1, 0], [2, 3], [1, 0]], I32)
_ONE = lambda a: np.ones((), a.dtype)   # noqa: E731
PRIM_DTYPE_CASES = {
    # structural and indexing primitives move values: every dtype, exactly
    "broadcast_in_dim": (DTYPES, lambda a: lax.broadcast_in_dim(a, (3, 2, 4, 2), (0, 2, 3))),
    "reshape": (DTYPES, lambda a: lax.reshape(a, (4, 6))),
    "transpose": (DTYPES, lambda a: lax.transpose(a, (2, 0, 1))),
    "squeeze": (DTYPES, lambda a: lax.squeeze(a[:, :1], (1,))),
    "expand_dims": (DTYPES, lambda a: lax.expand_dims(a, (0, 3))),
    "rev": (DTYPES, lambda a: lax.rev(a, (0, 2))),
    "concatenate": (DTYPES, lambda a: lax.concatenate([a, a[:, :1]], 1)),
    "pad": (DTYPES, lambda a: lax.pad(a, _ONE(a), [(1, 0, 1), (0, -1, 0), (2, 1, 0)])),
    "slice": (DTYPES, lambda a: lax.slice(a, (0, 1, 0), (3, 4, 2), (2, 2, 1))),
    "dynamic_slice": (DTYPES, lambda a: lax.dynamic_slice(a, (np.int32(1), np.int32(2),
                                                              np.int32(0)), (2, 2, 2))),
    "dynamic_update_slice": (DTYPES, lambda a: lax.dynamic_update_slice(
        a, a[:2, :2], (np.int32(1), np.int32(1), np.int32(0)))),
    "gather": (DTYPES, lambda a: lax.gather(a, _PIDX, (0, 1))),
    "scatter": (DTYPES, lambda a: lax.scatter(a, _PIDX[:2], a[:2, 0], (0, 1))),
    "select_n": (DTYPES, lambda a: lax.select_n(lax.gt(lax.convert_element_type(a, F32),
                                                       1.0), a, lax.rev(a, (0,)))),
    "reduce_max": (DTYPES, lambda a: lax.reduce_max(a, (1,))),
    "reduce_min": (DTYPES, lambda a: lax.reduce_min(a, (0, 1, 2))),
    "argmax": (DTYPES, lambda a: lax.argmax(a, 1, np.int32)),
    "argmin": (DTYPES, lambda a: lax.argmin(a, 0, np.int64)),
    "convert_element_type": (DTYPES, lambda a: (lax.convert_element_type(a, F32),
                                                lax.convert_element_type(a, I64))),
    "eq": (DTYPES, lambda a: lax.eq(a, lax.rev(a, (0,)))),
    "max": (DTYPES, lambda a: lax.max(a, lax.rev(a, (0,)))),
    # arithmetic: the numeric dtypes (JAX refuses bool)
    "scatter_add": (DTYPES[1:], lambda a: lax.scatter_add(a, _PIDX, a[:3, 0], (0, 1))),
    "reduce_sum": (DTYPES[1:], lambda a: lax.reduce_sum(a, (0, 2))),
    "reduce_prod": (DTYPES[1:], lambda a: lax.reduce_prod(a, (2,))),
    "cumsum": (DTYPES[1:], lambda a: (lax.cumsum(a, 1), lax.cumsum(a, 2, True))),
    "dot_general": (DTYPES[1:], lambda a: lax.dot_general(a, a, (((1,), (1,)), ((2,), (2,))))),
    "add_sub_mul": (DTYPES[1:], lambda a: lax.sub(lax.mul(lax.add(a, a), a), lax.rev(a, (1,)))),
    "neg_abs_sign": (DTYPES[1:], lambda a: lax.add(lax.neg(a), lax.mul(lax.abs(a),
                                                                          lax.sign(a)))),
    "integer_pow": (DTYPES[1:], lambda a: lax.integer_pow(a, 3)),
    "iota": (DTYPES[1:], lambda a: lax.add(a, lax.broadcasted_iota(a.dtype, a.shape, 1))),
}


@pytest.mark.parametrize("name", list(PRIM_DTYPE_CASES))
def test_primitives_in_every_dtype_they_take(name):
    """The value in dtype D equals the value computed in float64 from the same
    inputs, cast to D (the inputs are small integers, exact everywhere),
    eagerly and compiled."""
    dtypes, f = PRIM_DTYPE_CASES[name]
    for dt in dtypes:
        a = _PX.astype(dt)
        ref64 = [np.asarray(r) for r in tree_util.tree_leaves(f(a.astype(F64)))]
        for out in (f(a), jaxlite.jit(f)(a)):
            for o, r in zip(tree_util.tree_leaves(out), ref64):
                want = r.astype(o.dtype) if r.dtype.kind == "f" else r
                if r.dtype.kind == "f" and np.dtype(o.dtype).kind == "f":
                    assert o.dtype == dt or name == "convert_element_type", (o.dtype, dt)
                np.testing.assert_array_equal(np.asarray(o), want)


def test_bitwise_primitives_on_ints_and_bools():
    for dt in (B, I32, I64):
        a, b = _data((3, 4), dt), _data((3, 4), dt)
        for f, ref in [(lax.bitwise_and, np.bitwise_and), (lax.bitwise_or, np.bitwise_or),
                       (lambda x, y: lax.bitwise_not(x), lambda x, y: np.invert(x))]:
            _same(f(a, b), ref(a, b))
            _same(jaxlite.jit(f)(a, b), ref(a, b))


def test_at_with_repeats_under_vmap():
    from helpers import check_vmap
    x = RNG.normal(size=(3, 5))
    idx = np.array([[0, 0, 2], [1, 4, 1], [3, 3, 3]])
    v = RNG.normal(size=(3, 3))
    check_vmap(lambda a, i, w: jnp.asarray(a).at[i].mul(w), (x, idx, v), (0, 0, 0))
    check_vmap(lambda a, w: jnp.asarray(a).at[np.array([0, 0, 2])].max(w), (x, v), (0, 0))
    check_vmap(lambda a, i: jnp.asarray(a).at[i].min(-1.0), (x, idx), (None, 0))


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
    (lambda: jnp.zeros(2, "complex64"), TypeError, "complex64"),
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
    (lambda: jnp.broadcast_to(X, (2, 3)), TypeError, r"\(2, 3, 4\).*\(2, 3\)"),
]


@pytest.mark.parametrize("f,exc,match", BAD_ARGUMENTS, ids=range(len(BAD_ARGUMENTS)))
def test_bad_arguments_raise_the_documented_class(f, exc, match):
    with pytest.raises(exc, match=match):
        f()


# ------------------------------------------------------------ immutability

@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=", "&=", "|=",
                                "^="])
def test_inplace_operators_rebind_and_leave_the_original_alone(op):
    """As in JAX: ``x += y`` is ``x = x + y``; another name for the old x still
    sees the old values (numpy's in-place dunders would write into it)."""
    start = np.arange(1, 7).reshape(2, 3)
    if op not in ("&=", "|=", "^="):
        start = start.astype(F32)
    other = start.T.copy() if op == "@=" else np.full((3,), 2, start.dtype)
    x = jnp.asarray(start)
    alias = x
    ns = {"x": x, "y": other}
    exec(f"x {op} y", ns)
    py_op = op[:-1]
    expected = eval(f"a {py_op} b", {"a": start, "b": other})
    assert ns["x"] is not alias
    np.testing.assert_array_equal(alias, start)
    np.testing.assert_allclose(ns["x"], expected, rtol=1e-6)
    assert isinstance(ns["x"], jnp.ndarray)


def test_inplace_operator_promotes_like_jax():
    x = jnp.arange(3)
    x += 1.5                 # int32 + weak float -> float32 (numpy would refuse in place)
    _same(x, np.arange(3) + np.float32(1.5), F32)

    def f(a):
        a += 1
        a *= a
        return a
    _same(jaxlite.jit(f)(np.ones(2, F32)), np.full(2, 4.0, F32))
    np.testing.assert_allclose(jaxlite.grad(lambda a: jnp.sum(f(a)))(np.ones(2)), [4.0, 4.0])


def test_asarray_does_not_alias_a_writeable_numpy_array():
    src = np.zeros(3, F32)
    x = jnp.asarray(src)
    y = jnp.array(src)
    src[0] = 5.0
    _same(x, np.zeros(3, F32))
    _same(y, np.zeros(3, F32))


# ------------------------------------------------- broadcasting as a property

_dims = st.lists(st.sampled_from([0, 1, 2, 3]), max_size=4).map(tuple)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(_dims, _dims, _dims)
def test_broadcasting_is_numpys_exactly(sa, sb, sc):
    """numpy's rules decide: a shape numpy gives is ours, a pair numpy refuses
    is a TypeError naming both shapes (eager, traced, and in where)."""
    a, b, c = np.ones(sa, F32), np.full(sb, 2.0, F32), np.ones(sc, bool)
    try:
        ref = np.broadcast_shapes(sa, sb)
    except ValueError:
        ref = None
    for f in (jnp.add, jaxlite.jit(lambda x, y: x * y), lambda x, y: jnp.asarray(x) - y):
        if ref is None:
            with pytest.raises(TypeError) as info:
                f(a, b)
            assert str(sa) in str(info.value) and str(sb) in str(info.value)
        else:
            assert f(a, b).shape == ref
    try:
        np.broadcast_shapes(sc, sa, sb)
    except ValueError:
        with pytest.raises(TypeError):
            jnp.where(c, a, b)
        return
    _same(jnp.where(c, a, b), np.where(c, a, b))


# ------------------------------------------------------- numerical edge cases

@pytest.mark.parametrize("dt", [F32, F64])
def test_float_floor_divide_is_numpys_not_floor_of_the_quotient(dt):
    """1 // 0.1 is 9 (0.1 is slightly above a tenth): rounding x / y first gives 10."""
    a = np.array([1.0, 7.0, -7.0, 0.3, 5.0, -5.0, 0.0, 1e30], dt)
    b = np.array([0.1, 0.7, 0.7, 0.1, np.inf, np.inf, 3.0, 1e-5], dt)
    _same(jnp.floor_divide(a, b), np.floor_divide(a, b))
    _same(jnp.asarray(a) // b, a // b)
    x = (RNG.normal(size=4000) * 100).astype(dt)
    y = RNG.normal(size=4000).astype(dt)
    _same(jnp.floor_divide(x, y), np.floor_divide(x, y))
    _same(jaxlite.jit(jnp.floor_divide)(x, y), np.floor_divide(x, y))
    q, r = jnp.divmod(x, y)
    np.testing.assert_allclose(np.asarray(q) * y + np.asarray(r), x, rtol=1e-5, atol=1e-3)
    # inf // y has no integer answer: nan, as numpy (and JAX)
    assert np.isnan(jnp.floor_divide(np.array([np.inf, -np.inf], dt), dt(2.0))).all()


def test_var_without_degrees_of_freedom_is_nan():
    """N - ddof <= 0: nan, as JAX (N - ddof < 0 gave a negative variance)."""
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]])
    for ddof in (0, 1, 2):
        _same(jnp.var(x, axis=1, ddof=ddof), np.var(x, axis=1, ddof=ddof))
    for ddof in (3, 4, 7):
        assert np.isnan(jnp.var(x, axis=1, ddof=ddof)).all()
        assert np.isnan(jnp.std(x, axis=1, ddof=ddof)).all()
        assert np.isnan(jaxlite.jit(lambda a: jnp.var(a, 1, ddof=ddof))(x)).all()
    w = x > 1.5                      # one row keeps 2 elements, the other 3
    np.testing.assert_allclose(jnp.var(x, axis=1, ddof=2, where=w), [np.nan, 4.666666666666667],
                               rtol=1e-12)


LINSPACES = [(-5, 5, 4), (0, 1, 3), (2.5, -3.5, 7), (0.1, 0.7, 1), (0.1, 0.7, 0), (-1, 1, 9)]


@pytest.mark.parametrize("dt", [I32, I64, F32, F64], ids=lambda d: np.dtype(d).name)
def test_linspace_every_dtype_concrete_and_traced(dt):
    """Integer samples round down (numpy >= 2 and JAX floor, -5..5 in 4 is
    [-5, -2, 1, 5]); traced endpoints give the same samples, the exact stop,
    and numpy's step (nan when there is no interval)."""
    for start, stop, num in LINSPACES:
        for endpoint in (True, False):
            ref, ref_step = np.linspace(start, stop, num, endpoint=endpoint, retstep=True,
                                        dtype=dt)
            out, step = jnp.linspace(start, stop, num, endpoint=endpoint, retstep=True,
                                     dtype=dt)
            _same(out, ref)
            np.testing.assert_allclose(step, ref_step, equal_nan=True)
            f = jaxlite.jit(lambda a, b: jnp.linspace(a, b, num, endpoint=endpoint,
                                                      retstep=True, dtype=dt))
            out, step = f(np.float64(start), np.float64(stop))
            assert out.dtype == ref.dtype and out.shape == ref.shape
            np.testing.assert_allclose(out, ref, rtol=1e-6 if dt == F32 else 1e-12,
                                       atol=1e-6 if dt == F32 else 0)
            np.testing.assert_allclose(step, ref_step, rtol=1e-6, equal_nan=True)
    got = jaxlite.jit(lambda a, b: jnp.linspace(a, b, 7))(np.float32(0.1), np.float32(0.7))
    assert got[-1] == np.float32(0.7)
    a, b = np.array([0.0, 1.0]), np.array([[2.0], [3.0]])
    _same(jaxlite.jit(lambda a, b: jnp.linspace(a, b, 4, axis=-1))(a, b),
          np.linspace(a, b, 4, axis=-1))


def test_new_paths_under_vmap_jit_and_grad():
    """The einsum diagonal, traced linspace and var without degrees of freedom
    compose with the transformations."""
    from helpers import check_vmap, check_jit
    a = RNG.normal(size=(4, 3, 3))
    v = RNG.normal(size=(4, 3))
    check_vmap(lambda m, b: jnp.einsum("ii,i->i", m, b), (a, v))
    check_vmap(lambda m: jnp.einsum("ii->", m), (a,))
    check_vmap(lambda m: jnp.einsum("ii->i", m), (a.transpose(1, 2, 0),), 2)
    check_jit(lambda m, b: jnp.einsum("bii,bi->b", m, b), (a, v))
    check_vmap(lambda s, t: jnp.linspace(s, t, 5), (v[:, 0], v[:, 1]))
    check_grads(lambda s, t: jnp.linspace(s, t, 5, axis=0), (v[0], v[1]))
    mid = np.array([0.45, -1.05, 2.25])       # x / 0.3 halfway between integers
    check_grads(lambda x, y: jnp.floor_divide(x, 0.3) * x + y, (mid, v[1]))
    assert np.isnan(jaxlite.vmap(lambda r: jnp.var(r, ddof=4))(v)).all()


TRACED_OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b, "floordiv": lambda a, b: a // b,
    "mod": lambda a, b: a % b, "pow": lambda a, b: a ** b, "lt": lambda a, b: a < b,
    "eq": lambda a, b: a == b, "ge": lambda a, b: a >= b, "and": lambda a, b: a & b,
    "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b, "maximum": jnp.maximum,
    "arctan2": jnp.arctan2, "where": lambda a, b: jnp.where(a > b, a, b),
    "logaddexp": jnp.logaddexp,
}


@pytest.mark.parametrize("da", DTYPES, ids=lambda d: np.dtype(d).name)
def test_operators_on_traced_values_every_dtype_pair(da):
    """Compiled (jit) operators on tracers agree with the eager ones, which
    the tests above check against numpy, for every pair of dtypes; a pair the
    eager op refuses is refused under jit too. One compiled function per pair
    holds every operator."""
    for db in DTYPES:
        a, b = _data((3, 5), da), _data((5,), db, positive=True)
        a_pow = np.abs(a).astype(da)
        b_pow = b if db == B else np.minimum(b, 3).astype(db)
        accepted, eager = [], []
        for name, op in TRACED_OPS.items():
            x, y = (a_pow, b_pow) if name == "pow" else (a, b)
            try:
                eager.append(op(jnp.asarray(x), y))
                accepted.append(name)
            except TypeError:
                with pytest.raises(TypeError):
                    jaxlite.jit(op)(x, y)

        def all_ops(x, y, xp, yp):
            return [TRACED_OPS[n](xp, yp) if n == "pow" else TRACED_OPS[n](x, y)
                    for n in accepted]

        for name, e, t in zip(accepted, eager, jaxlite.jit(all_ops)(a, b, a_pow, b_pow)):
            assert t.dtype == e.dtype and t.shape == e.shape, name
            tol = _tol(e.dtype.type) * 5
            np.testing.assert_allclose(np.asarray(t, F64), np.asarray(e, F64), rtol=tol,
                                       atol=tol, equal_nan=True, err_msg=name)


BOOL_SCALAR_INDICES = [True, False, np.bool_(True), np.array(True), np.array(False), (0, True),
                       (True, 0), (Ellipsis, True), (True, Ellipsis, False), (None, True, None),
                       (True, [0, 1]), ([0, 1], True, [1, 2]), (0, True, [1, 2], 1),
                       (slice(None), True, slice(1, 3)), (True, True), (False, 1)]


@pytest.mark.parametrize("idx", BOOL_SCALAR_INDICES, ids=range(len(BOOL_SCALAR_INDICES)))
def test_boolean_scalar_indices_add_an_axis_like_numpy(idx):
    """x[True] has a new axis of size 1 and x[False] one of size 0; mixed with
    index arrays they broadcast as numpy's advanced indices do."""
    ref = X[idx]
    _same(jnp.asarray(X)[idx], ref)
    _same(jaxlite.jit(lambda a: a[idx])(X), ref)
    for how, update in (("set", lambda r: np.full_like(r, -1.0)), ("add", lambda r: r + 5.0)):
        want = X.copy()
        want[idx] = update(want[idx])
        _same(getattr(jnp.asarray(X).at[idx], how)(-1.0 if how == "set" else 5.0), want)



# -------------------------------------------------- primitives on empty arrays

_PZ = np.zeros((2, 0, 3), F32)
_PE = np.zeros((0, 3), I32)
_ONES43 = np.ones((4, 3), F32)
_NO_ROWS = np.zeros((0, 1), I32)
_I0, _I1 = I32(0), I32(1)


def _dot(dims):
    return lambda a, b: lax.dot_general(a, b, dims)


PRIM_EMPTY = {   # name: (f, args, expected)
    "dot_contract_0": (_dot((((1,), (0,)), ((), ()))), (np.ones((2, 0), F32),
                                                          np.ones((0, 3), F32)), np.zeros((2, 3))),
    "dot_batch_0": (_dot((((2,), (1,)), ((0,), (0,)))), (np.ones((0, 2, 3), F32),
                                                           np.ones((0, 3, 4), F32)),
                    np.zeros((0, 2, 4))),
    "gather_no_indices": (lambda a: lax.gather(a, _NO_ROWS, (0,)), (_ONES43,), np.zeros((0, 3))),
    "scatter_add_no_updates": (lambda a: lax.scatter_add(a, _NO_ROWS, np.zeros((0, 3), F32),
                                                         (0,)), (_ONES43,), _ONES43),
    "scatter_no_updates": (lambda a: lax.scatter(a, _NO_ROWS, np.zeros((0, 3), F32), (0,)),
                           (_ONES43,), _ONES43),
    "dynamic_slice": (lambda a: lax.dynamic_slice(a, (_I1, _I0, _I0), (1, 0, 2)), (_PZ,),
                      np.zeros((1, 0, 2))),
    "dynamic_update_slice": (lambda a: lax.dynamic_update_slice(
        a, np.zeros((1, 0, 3), F32), (_I1, _I0, _I0)), (_PZ,), np.zeros((2, 0, 3))),
    "pad_negative": (lambda a: lax.pad(a, F32(7), [(0, 0, 0), (2, 1, 0), (-1, 0, 0)]), (_PZ,),
                     np.full((2, 3, 2), 7.0)),
    "pad_interior": (lambda a: lax.pad(a, F32(7), [(0, 0, 1), (1, 1, 2), (0, 0, 0)]), (_PZ,),
                     np.full((3, 2, 3), 7.0)),
    "reduce_sum": (lambda a: lax.reduce_sum(a, (1,)), (_PZ,), np.zeros((2, 3))),
    "reduce_max": (lambda a: lax.reduce_max(a, (1,)), (_PZ,), np.full((2, 3), -np.inf)),
    "reduce_min_int": (lambda a: lax.reduce_min(a, (0,)), (_PE,),
                       np.full(3, np.iinfo(I32).max)),
    "reduce_prod": (lambda a: lax.reduce_prod(a, (1,)), (_PZ,), np.ones((2, 3))),
    "argmax": (lambda a: lax.argmax(a, 2, I32), (_PZ,), np.zeros((2, 0))),
    "cumsum": (lambda a: lax.cumsum(a, 1), (_PZ,), np.zeros((2, 0, 3))),
    "cumsum_reverse": (lambda a: lax.cumsum(a, 0, True), (_PE,), np.zeros((0, 3))),
    "iota": (lambda a: lax.add(a, lax.broadcasted_iota(F32, (2, 0, 3), 2)), (_PZ,),
             np.zeros((2, 0, 3))),
    "rev": (lambda a: lax.rev(a, (1, 2)), (_PZ,), np.zeros((2, 0, 3))),
    "transpose": (lambda a: lax.transpose(a, (2, 1, 0)), (_PZ,), np.zeros((3, 0, 2))),
    "broadcast_empty": (lambda a: lax.broadcast_in_dim(a, (4, 0, 3), (1, 2)), (_PE,),
                        np.zeros((4, 0, 3))),
    "broadcast_to_empty": (lambda a: lax.broadcast_in_dim(a, (0, 3), (1,)),
                           (np.ones(3, F32),), np.zeros((0, 3))),
    "reshape": (lambda a: lax.reshape(a, (0, 5)), (_PZ,), np.zeros((0, 5))),
    "slice": (lambda a: lax.slice(a, (0, 0, 1), (2, 0, 3)), (_PZ,), np.zeros((2, 0, 2))),
    "slice_to_empty": (lambda a: lax.slice(a, (1, 1), (1, 3)), (np.ones((3, 3), F32),),
                       np.zeros((0, 2))),
    "select_n": (lambda a: lax.select_n(lax.gt(a, 0.0), a, lax.neg(a)), (_PZ,),
                 np.zeros((2, 0, 3))),
    "convert_element_type": (lambda a: lax.convert_element_type(a, I64), (_PZ,),
                             np.zeros((2, 0, 3))),
    "squeeze": (lambda a: lax.squeeze(a, (0,)), (np.zeros((1, 0)),), np.zeros((0,))),
    "concatenate_empty_and_not": (lambda a, b: lax.concatenate([a, b], 0),
                                  (np.zeros((0, 3), F32), np.ones((1, 3), F32)), np.ones((1, 3))),
    "exp": (lambda a: lax.exp(a), (_PZ,), np.zeros((2, 0, 3))),
}


@pytest.mark.parametrize("name", list(PRIM_EMPTY))
def test_primitives_on_empty_arrays(name):
    """Reductions over an empty axis give the identity, pads of nothing are all
    padding, contractions over nothing are zero; eagerly and compiled."""
    f, args, ref = PRIM_EMPTY[name]
    for g in (f, jaxlite.jit(f)):
        out = g(*args)
        assert out.shape == np.shape(ref)
        np.testing.assert_array_equal(np.asarray(out, F64), ref)


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
    x0 = _layouts(np.asarray(_data(shape, dt)))[min(layout, len(_layouts(_data(shape, dt))) - 1)]
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

    _same(apply(jnp, x0), ref)
    _same(jaxlite.jit(lambda x: apply(jnp, x))(x0), ref)


EINSUM_BROADCASTS = [("...ij,...jk->...ik", (2, 1, 2, 3), (4, 3, 5)),
                     ("...ij,...jk->...ik", (1, 2, 3), (4, 3, 5)),
                     ("i...,i...->...", (3, 2), (3, 1)),
                     ("ij...,jk...->ik...", (2, 3, 4), (3, 5, 1)), ("ij,ij->", (2, 1), (2, 3)),
                     ("ij,ij->ij", (2, 1), (1, 3)), ("ij,jk->ik", (2, 1), (3, 4)),
                     ("bij,bjk->bik", (1, 2, 3), (5, 3, 4)), ("ij,ik->ijk", (1, 2), (3, 4))]


@pytest.mark.parametrize("case", EINSUM_BROADCASTS, ids=range(len(EINSUM_BROADCASTS)))
def test_einsum_broadcasts_size_one_dims_like_numpy(case):
    spec, sa, sb = case
    a, b = RNG.normal(size=sa), RNG.normal(size=sb)
    _same(jnp.einsum(spec, a, b), np.einsum(spec, a, b))
    _same(jaxlite.jit(lambda x, y: jnp.einsum(spec, x, y))(a, b), np.einsum(spec, a, b))
    check_grads(lambda x, y: jnp.einsum(spec, x, y), (a, b), order=1)
    with pytest.raises(TypeError, match="index 'i' has size 2 .* 3"):
        jnp.einsum("ii->i", np.ones((2, 3)))       # within one operand: no broadcasting


def test_at_combine_compares_positions_only_when_they_can_repeat():
    """A traced scalar index with slices never repeats an element: no n x n
    comparison of positions is staged (it is for a traced index array)."""
    x = np.ones((4, 5), F32)
    scalar = str(jaxlite.make_jaxpr(lambda a, i: a.at[i, :].mul(2.0))(x, np.int32(1)))
    assert "bool[5,5]" not in scalar and "reduce_prod" not in scalar
    array = str(jaxlite.make_jaxpr(lambda a, i: a.at[i].mul(2.0))(x, np.array([1, 1])))
    assert "bool[10,10]" in array
    _same(jaxlite.jit(lambda a, i: a.at[i, :].mul(2.0))(x, np.int32(-1)),
          np.concatenate([np.ones((3, 5)), np.full((1, 5), 2.0)]).astype(F32))
