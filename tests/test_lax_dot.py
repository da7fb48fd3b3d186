"""dot_general, dot, batch_matmul: eager vs np.einsum over many dimension
numbers, derivatives (FD to order 2), vmap vs a loop (every in_axes mix),
jit vs eager, preferred_element_type, and bad input."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax
from helpers import check_grads, check_jit, check_vmap, data


# (name, lhs shape, rhs shape, dimension_numbers, einsum spec)
CASES = [
    ("matvec", (3, 4), (4,), (((1,), (0,)), ((), ())), "ij,j->i"),
    ("vecmat", (4,), (4, 5), (((0,), (0,)), ((), ())), "j,jk->k"),
    ("vecvec", (4,), (4,), (((0,), (0,)), ((), ())), "j,j->"),
    ("matmul", (3, 4), (4, 5), (((1,), (0,)), ((), ())), "ij,jk->ik"),
    ("matmul_tt", (4, 3), (5, 4), (((0,), (1,)), ((), ())), "ji,kj->ik"),
    ("bmm", (2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,))), "bij,bjk->bik"),
    ("bmm_batch_inner", (3, 2, 4), (4, 5, 2), (((2,), (0,)), ((1,), (2,))), "ibj,jkb->bik"),
    ("contract2", (3, 4, 5), (5, 4, 6), (((1, 2), (1, 0)), ((), ())), "ijk,kjl->il"),
    ("contract2_unsorted", (3, 4, 5), (4, 5, 6), (((2, 1), (1, 0)), ((), ())), "ijk,jkl->il"),
    ("outer", (3,), (4,), (((), ()), ((), ())), "i,j->ij"),
    ("outer_mat", (2, 3), (4,), (((), ()), ((), ())), "ij,k->ijk"),
    ("two_batch", (2, 3, 4, 5), (5, 3, 2, 6), (((3,), (0,)), ((0, 1), (2, 1))),
     "abik,kbal->abil"),
    ("batch_contract2", (2, 3, 4, 5), (5, 4, 6, 2), (((2, 3), (1, 0)), ((0,), (3,))),
     "bijk,kjlb->bil"),
    ("batch_only", (3, 4), (4, 3), (((), ()), ((0, 1), (1, 0))), "ij,ji->ij"),
    ("scalars", (), (), (((), ()), ((), ())), ",->"),
    ("scalar_times_mat", (), (3, 4), (((), ()), ((), ())), ",ij->ij"),
]
IDS = [c[0] for c in CASES]


def _fn(dn, **kw):
    return lambda a, b: lax.dot_general(a, b, dn, **kw)


# --------------------------------------------------------------- eager values

@pytest.mark.parametrize("name,ls,rs,dn,spec", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_dot_general_matches_einsum(name, ls, rs, dn, spec, dtype):
    a, b = data(ls, dtype), data(rs, dtype)
    got = lax.dot_general(a, b, dn)
    expected = np.einsum(spec, a, b)
    assert got.dtype == np.dtype(dtype)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ls,rs,dn,spec", [
    ((0, 4), (4, 5), (((1,), (0,)), ((), ())), "ij,jk->ik"),
    ((3, 0), (0, 5), (((1,), (0,)), ((), ())), "ij,jk->ik"),
    ((2, 0, 3), (2, 3, 4), (((2,), (1,)), ((0,), (0,))), "bij,bjk->bik"),
    ((0, 3, 4), (0, 4, 5), (((2,), (1,)), ((0,), (0,))), "bij,bjk->bik"),
])
def test_zero_size(ls, rs, dn, spec):
    a, b = data(ls), data(rs)
    got = lax.dot_general(a, b, dn)
    np.testing.assert_array_equal(got, np.einsum(spec, a, b))
    assert got.shape == np.einsum(spec, a, b).shape


def test_bool_operands():
    a, b = data((3, 4), np.bool_), data((4, 5), np.bool_)
    got = lax.dot_general(a, b, (((1,), (0,)), ((), ())))
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, (a.astype(int) @ b.astype(int)) > 0)
    counts = lax.dot_general(a, b, (((1,), (0,)), ((), ())), preferred_element_type=np.int32)
    np.testing.assert_array_equal(counts, a.astype(np.int32) @ b.astype(np.int32))


@pytest.mark.parametrize("in_dtype,pref", [(np.int32, np.float32), (np.int32, np.int64),
                                           (np.float32, np.float64), (np.float32, np.float32)])
def test_preferred_element_type(in_dtype, pref):
    a, b = data((3, 4), in_dtype), data((4, 2), in_dtype)
    got = lax.dot_general(a, b, (((1,), (0,)), ((), ())), preferred_element_type=pref)
    assert got.dtype == np.dtype(pref)
    np.testing.assert_allclose(got, a.astype(pref) @ b.astype(pref), rtol=1e-6)


def test_jax_positional_signature():
    a, b = data((3, 4), np.int32), data((4, 2), np.int32)
    got = lax.dot_general(a, b, (((1,), (0,)), ((), ())), None, np.float32)   # precision, pref
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, a @ b)


def test_negative_dims_and_python_scalar():
    a, b = data((2, 3, 4)), data((2, 4, 5))
    got = lax.dot_general(a, b, (((-1,), (-2,)), ((-3,), (0,))))
    np.testing.assert_allclose(got, np.einsum("bij,bjk->bik", a, b))
    np.testing.assert_allclose(lax.dot_general(2.0, a, (((), ()), ((), ()))), 2 * a)


@pytest.mark.parametrize("ls,rs", [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)),
                                   ((3, 4), (4, 5))])
def test_dot(ls, rs):
    a, b = data(ls, np.float32), data(rs, np.float32)
    got = lax.dot(a, b)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.dot(a, b), rtol=1e-5)
    assert lax.dot(a, b, preferred_element_type=np.float64).dtype == np.float64


def test_batch_matmul():
    a, b = data((2, 3, 4, 5)), data((2, 3, 5, 6))
    np.testing.assert_allclose(lax.batch_matmul(a, b), a @ b)
    check_grads(lax.batch_matmul, (a, b), order=1)


# ------------------------------------------------------------- derivatives

@pytest.mark.parametrize("name,ls,rs,dn,spec", CASES, ids=IDS)
def test_grads(name, ls, rs, dn, spec):
    check_grads(_fn(dn), (data(ls), data(rs)), order=2)


def test_grad_matches_closed_form():
    a, b = data((3, 4)), data((4, 5))
    u = data((3, 5))
    f = lambda x, y: lax.reduce_sum(lax.mul(lax.dot(x, y), u), (0, 1))
    ga, gb = jaxlite.grad(f, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, u @ b.T)
    np.testing.assert_allclose(gb, a.T @ u)


def test_grad_with_wider_preferred_type_keeps_operand_dtype():
    a, b = data((3, 4), np.float32), data((4, 2), np.float32)
    f = lambda x, y: lax.reduce_sum(
        lax.dot_general(x, y, (((1,), (0,)), ((), ())), preferred_element_type=np.float64),
        (0, 1))
    ga, gb = jaxlite.grad(f, argnums=(0, 1))(a, b)
    assert ga.dtype == gb.dtype == np.float32
    np.testing.assert_allclose(ga, np.ones((3, 2)) @ b.T, rtol=1e-6)
    np.testing.assert_allclose(gb, a.T @ np.ones((3, 2)), rtol=1e-6)


def test_grad_jaxpr_transposes_back_to_operand_layout():
    dn = (((2,), (0,)), ((1,), (2,)))
    jaxpr = jaxlite.make_jaxpr(jaxlite.grad(lambda a, b: lax.reduce_sum(
        lax.dot_general(a, b, dn), (0, 1, 2)), argnums=(0, 1)))(data((3, 2, 4)),
                                                                  data((4, 5, 2)))
    text = str(jaxpr)
    assert text.count("dot_general") == 2
    assert "transpose[permutation=(1, 0, 2)]" in text      # (batch, free, contract) -> lhs
    assert "transpose[permutation=(2, 1, 0)]" in text      # (batch, free, contract) -> rhs


def _random_config(rng):
    """Random operand layouts: each dim is batch, contracting or free, in any order.
    Returns shapes, dimension_numbers and the matching einsum spec."""
    letters = iter("abcdefghijklmnop")
    nb, nc, nlf, nrf = (int(v) for v in rng.integers(0, 3, 4))
    batch = [(next(letters), int(rng.integers(1, 4))) for _ in range(nb)]
    contract = [(next(letters), int(rng.integers(1, 4))) for _ in range(nc)]
    lfree = [(next(letters), int(rng.integers(1, 4))) for _ in range(nlf)]
    rfree = [(next(letters), int(rng.integers(1, 4))) for _ in range(nrf)]
    lhs = [batch[i] for i in range(nb)] + contract + lfree
    rhs = [batch[i] for i in range(nb)] + contract + rfree
    lhs = [lhs[i] for i in rng.permutation(len(lhs))]
    rhs = [rhs[i] for i in rng.permutation(len(rhs))]
    lpos = {c: i for i, (c, _) in enumerate(lhs)}
    rpos = {c: i for i, (c, _) in enumerate(rhs)}
    # The contracting pairs may be listed in any order (not sorted by either side).
    contract = [contract[i] for i in rng.permutation(nc)]
    dn = ((tuple(lpos[c] for c, _ in contract), tuple(rpos[c] for c, _ in contract)),
          (tuple(lpos[c] for c, _ in batch), tuple(rpos[c] for c, _ in batch)))
    out = ([c for c, _ in batch] + [c for c, _ in lhs if c in dict(lfree)]
           + [c for c, _ in rhs if c in dict(rfree)])
    spec = "".join(c for c, _ in lhs) + "," + "".join(c for c, _ in rhs) + "->" + "".join(out)
    return tuple(d for _, d in lhs), tuple(d for _, d in rhs), dn, spec


@pytest.mark.parametrize("seed", range(30))
def test_random_dimension_numbers(seed):
    rng = np.random.default_rng(seed)
    ls, rs, dn, spec = _random_config(rng)
    a, b = rng.standard_normal(ls), rng.standard_normal(rs)
    np.testing.assert_allclose(lax.dot_general(a, b, dn), np.einsum(spec, a, b), atol=1e-12)
    check_grads(_fn(dn), (a, b), order=1)
    in_axes = tuple(None if ax is None else int(rng.integers(0, x.ndim + 1))
                    for ax, x in zip([0, [None, 0][seed % 2]], (a, b)))
    check_vmap(_fn(dn), (_batched(a, in_axes[0]), _batched(b, in_axes[1])), in_axes=in_axes)


# ---------------------------------------------------------------- vmap, jit

def _batched(x, axis, size=3):
    """``x`` with a new axis of ``size`` inserted at ``axis`` (None: unchanged)."""
    if axis is None:
        return x
    x = np.asarray(x)
    stacked = np.stack([x * (i + 1) - i for i in range(size)])
    return np.moveaxis(stacked, 0, axis if axis >= 0 else x.ndim + 1 + axis)


IN_AXES = [(0, 0), (1, None), (None, -1), (-1, 1), (None, 0), (1, 1)]


@pytest.mark.parametrize("name,ls,rs,dn,spec", CASES, ids=IDS)
@pytest.mark.parametrize("in_axes", IN_AXES, ids=str)
def test_vmap(name, ls, rs, dn, spec, in_axes):
    a, b = data(ls), data(rs)
    axes = tuple(None if ax is None else (min(ax, x.ndim) if ax >= 0 else ax)
                 for ax, x in zip(in_axes, (a, b)))
    args = (_batched(a, axes[0]), _batched(b, axes[1]))
    check_vmap(_fn(dn), args, in_axes=axes)


def test_nested_vmap_outer_batches():
    dn = (((1,), (0,)), ((), ()))
    a, b = data((2, 3, 4)), data((5, 4, 6))
    f = jaxlite.vmap(jaxlite.vmap(_fn(dn), in_axes=(0, None)), in_axes=(None, 0))
    got = f(a, b)
    np.testing.assert_allclose(got, np.einsum("pij,qjk->qpik", a, b))


def test_vmap_of_grad_per_example():
    w, xs = data((4, 3)), data((5, 4))
    loss = lambda w, x: lax.reduce_sum(lax.tanh(lax.dot(x, w)), (0,))
    got = jaxlite.vmap(jaxlite.grad(loss), in_axes=(None, 0))(w, xs)
    expected = np.stack([np.outer(x, 1 - np.tanh(x @ w) ** 2) for x in xs])
    np.testing.assert_allclose(got, expected)


@pytest.mark.parametrize("name,ls,rs,dn,spec", CASES[::3], ids=IDS[::3])
def test_jit(name, ls, rs, dn, spec):
    args = (data(ls, np.float32), data(rs, np.float32))
    check_jit(_fn(dn), args, rtol=1e-5)
    check_jit(jaxlite.grad(lambda a, b: lax.reduce_sum(
        _fn(dn)(a, b), tuple(range(len(np.einsum(spec, *args).shape)))), argnums=(0, 1)),
        args, rtol=1e-5)


def test_jaxpr_params():
    text = str(jaxlite.make_jaxpr(_fn((((1,), (0,)), ((), ())), preferred_element_type=np.float64))(
        data((2, 3), np.float32), data((3, 4), np.float32)))
    assert "dot_general[dimension_numbers=(((1,), (0,)), ((), ()))" in text
    assert "f64[2,4]" in text


# ---------------------------------------------------------------- bad input

def test_dims_out_of_range():
    a, b = data((3, 4)), data((4, 5))
    with pytest.raises(ValueError, match="lhs dimension 2 is out of range .* rank 2"):
        lax.dot_general(a, b, (((2,), (0,)), ((), ())))
    with pytest.raises(ValueError, match="rhs dimension -3 is out of range .* rank 2"):
        lax.dot_general(a, b, (((1,), (-3,)), ((), ())))
    with pytest.raises(ValueError, match=r"lhs dimensions \[5\] are out of range .* rank 2"):
        lax.dot_general_p.bind(a, b, dimension_numbers=(((5,), (0,)), ((), ())),
                               preferred_element_type=None)
    with pytest.raises(ValueError, match="must be distinct"):
        lax.dot_general(a, b, (((1, 1), (0, 0)), ((), ())))


def test_size_mismatches_name_both_shapes():
    with pytest.raises(TypeError, match=r"contracting dimension sizes.*\(3, 4\).*\(5, 6\)"):
        lax.dot_general(data((3, 4)), data((5, 6)), (((1,), (0,)), ((), ())))
    with pytest.raises(TypeError, match=r"batch dimension sizes.*\(2, 3, 4\).*\(5, 4, 6\)"):
        lax.dot_general(data((2, 3, 4)), data((5, 4, 6)), (((2,), (1,)), ((0,), (0,))))
    with pytest.raises(TypeError, match=r"must come in pairs.*\(3, 4\).*\(4, 5\)"):
        lax.dot_general(data((3, 4)), data((4, 5)), (((1,), ()), ((), ())))
    with pytest.raises(TypeError, match=r"lax.dot: incompatible shapes .*\(3, 4\) and \(5,\)"):
        lax.dot(data((3, 4)), data((5,)))
    with pytest.raises(TypeError, match="batch_matmul: incompatible shapes"):
        lax.batch_matmul(data((2, 3, 4)), data((3, 4, 5)))
    with pytest.raises(TypeError, match="dimension_numbers must be"):
        lax.dot_general(data((3, 4)), data((4, 5)), ((1,), (0,)))


def test_dtype_errors():
    with pytest.raises(TypeError, match="same dtype.*float32 and float64"):
        lax.dot_general(data((3, 4), np.float32), data((4, 5)), (((1,), (0,)), ((), ())))
    with pytest.raises(TypeError, match="preferred_element_type float32 is not compatible"):
        lax.dot(data((3, 4)), data((4,)), preferred_element_type=np.float32)
    with pytest.raises(TypeError, match="preferred_element_type int32 is not compatible"):
        lax.dot(data((3, 4)), data((4,)), preferred_element_type=np.int32)


def test_shape_errors_when_traced_name_the_line():
    f = jaxlite.jit(lambda a, b: lax.dot_general(a, b, (((1,), (0,)), ((), ()))))
    with pytest.raises(TypeError, match=r"(?s)contracting dimension sizes.*test_lax_dot.py"):
        f(data((3, 4)), data((5, 1)))


def test_precision_enum_as_jax():
    P = lax.Precision
    assert [P.DEFAULT, P.HIGH, P.HIGHEST] == list(P) and str(P.HIGHEST) == "HIGHEST"
    assert P("highest") is P.HIGHEST and P("bfloat16") is P.DEFAULT and P(1) is P.HIGH
    with pytest.raises(ValueError):
        P("exact")
    a, b = np.ones((2, 3), np.float32), np.ones((3, 4), np.float32)
    for p in (P.HIGHEST, (P.HIGH, P.DEFAULT), "highest"):
        np.testing.assert_array_equal(jaxlite.jit(lambda x, y: jnp.dot(x, y, precision=p))(a, b),
                                      a @ b)
        np.testing.assert_array_equal(lax.dot(a, b, precision=p), a @ b)
