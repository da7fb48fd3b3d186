"""Collectives over a named vmap axis (one process), against numpy over the
mapped axis; their derivatives against finite differences; jit against eager;
the errors of unbound names and bad shapes. tests/test_mpi.py runs the same
collectives over MPI processes."""
import numpy as np
import pytest

import jaxlite
from jaxlite import lax, distributed
from jaxlite.test_util import check_grads

vmap, jit = jaxlite.vmap, jaxlite.jit
RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))          # 3 members, each holding a (4,) array


def per_member(f, x=X, name="i"):
    return np.asarray(vmap(f, axis_name=name)(x))


# ------------------------------------------------------------- values

def test_psum_pmean_pmax_pmin_give_every_member_the_reduction():
    for f, want in [(lax.psum, X.sum(0)), (lax.pmean, X.mean(0)), (lax.pmax, X.max(0)),
                    (lax.pmin, X.min(0))]:
        got = per_member(lambda x: f(x, "i"))
        np.testing.assert_allclose(got, np.broadcast_to(want, X.shape), rtol=1e-12)


def test_psum_of_unbatched_values_multiplies_by_the_axis_size():
    got = per_member(lambda x: lax.psum(2.0, "i") + 0 * x[0])
    np.testing.assert_array_equal(got, [6.0, 6.0, 6.0])


def test_psum_of_a_pytree_and_of_booleans_and_ints():
    tree = {"a": X, "b": np.arange(6).reshape(3, 2)}
    got = vmap(lambda t: lax.psum(t, "i"), axis_name="i")(tree)
    np.testing.assert_allclose(got["a"][1], X.sum(0))
    np.testing.assert_array_equal(got["b"][2], [6, 9])
    counted = vmap(lambda b: lax.psum(b, "i"), axis_name="i")(np.array([True, False, True]))
    assert counted.dtype == np.int32 and counted.tolist() == [2, 2, 2]


def test_positional_axis_names_reduce_positionally_as_jax():
    np.testing.assert_allclose(lax.psum(X, 0), X.sum(0))
    np.testing.assert_allclose(lax.pmean(X, 1), X.mean(1))
    got = per_member(lambda x: lax.psum(x, ("i", 0)) + 0 * x[0])
    np.testing.assert_allclose(got, np.full(3, X.sum()))


def test_axis_index_and_axis_size():
    assert per_member(lambda x: lax.axis_index("i")).tolist() == [0, 1, 2]
    assert per_member(lambda x: lax.axis_size("i") + 0 * x[0]).tolist() == [3, 3, 3]


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_all_gather_stacks_along_axis(axis):
    x = RNG.standard_normal((3, 2, 5))
    got = per_member(lambda v: lax.all_gather(v, "i", axis=axis), x)
    for m in range(3):                      # every member holds the same stack
        np.testing.assert_array_equal(got[m], np.stack(list(x), axis=axis))


def test_all_gather_values_and_tiled():
    x = RNG.standard_normal((3, 2, 5))
    got = per_member(lambda v: lax.all_gather(v, "i", axis=1), x)
    np.testing.assert_array_equal(got[1], np.moveaxis(x, 0, 1))
    tiled = per_member(lambda v: lax.all_gather(v, "i", axis=1, tiled=True), x)
    np.testing.assert_array_equal(tiled[2], np.concatenate(list(x), axis=1))


def test_psum_scatter_gives_member_i_block_i_of_the_sum():
    x = RNG.standard_normal((3, 3, 2))
    got = per_member(lambda v: lax.psum_scatter(v, "i"), x)
    np.testing.assert_allclose(got, x.sum(0), rtol=1e-12)
    y = RNG.standard_normal((3, 2, 6))
    got = per_member(lambda v: lax.psum_scatter(v, "i", scatter_dimension=1, tiled=True), y)
    total = y.sum(0)
    for m in range(3):
        np.testing.assert_allclose(got[m], total[:, 2 * m:2 * m + 2], rtol=1e-12)


def test_ppermute_sends_along_the_pairs_and_zeros_the_rest():
    got = per_member(lambda v: lax.ppermute(v, "i", [(0, 1), (1, 2)]))
    np.testing.assert_array_equal(got, np.stack([np.zeros(4), X[0], X[1]]))
    ring = per_member(lambda v: lax.ppermute(v, "i", [(k, (k + 1) % 3) for k in range(3)]))
    np.testing.assert_array_equal(ring, np.roll(X, 1, axis=0))


@pytest.mark.parametrize("split,concat", [(0, 0), (0, 1), (1, 0)])
def test_all_to_all_exchanges_chunks(split, concat):
    x = RNG.standard_normal((3, 3, 3))           # member j, then the member's (3, 3)
    got = per_member(lambda v: lax.all_to_all(v, "i", split, concat), x)
    for i in range(3):
        chunks = [np.take(x[j], i, axis=split) for j in range(3)]
        np.testing.assert_array_equal(got[i], np.stack(chunks, axis=concat))


def test_all_to_all_tiled():
    x = RNG.standard_normal((3, 2, 6))
    got = per_member(lambda v: lax.all_to_all(v, "i", 1, 0, tiled=True), x)
    for i in range(3):
        np.testing.assert_array_equal(
            got[i], np.concatenate([x[j][:, 2 * i:2 * i + 2] for j in range(3)], axis=0))


def test_nested_named_axes():
    x = RNG.standard_normal((2, 3, 4))
    both = vmap(vmap(lambda v: lax.psum(v, ("i", "j")), axis_name="j"), axis_name="i")(x)
    np.testing.assert_allclose(both[1, 2], x.sum((0, 1)), rtol=1e-12)
    inner = vmap(vmap(lambda v: lax.psum(v, "j"), axis_name="j"), axis_name="i")(x)
    np.testing.assert_allclose(inner[1, 0], x[1].sum(0), rtol=1e-12)
    outer = vmap(vmap(lambda v: lax.pmax(v, "i"), axis_name="j"), axis_name="i")(x)
    np.testing.assert_allclose(outer[0, 2], x[:, 2].max(0))
    idx = vmap(vmap(lambda v: 10 * lax.axis_index("i") + lax.axis_index("j"),
                    axis_name="j"), axis_name="i")(x)
    np.testing.assert_array_equal(idx, [[0, 1, 2], [10, 11, 12]])


def test_unnamed_vmap_inside_a_named_one_maps_the_collective_elementwise():
    x = RNG.standard_normal((3, 5, 2))
    got = vmap(vmap(lambda v: lax.psum(v, "i")), axis_name="i")(x)
    np.testing.assert_allclose(got[0], x.sum(0), rtol=1e-12)


# ------------------------------------------------------------- derivatives

CASES = {
    "psum": lambda v: lax.psum(v ** 2, "i") * v,
    "pmean": lambda v: lax.pmean(jaxlite.numpy.sin(v), "i") * v,
    "pmax": lambda v: lax.pmax(v, "i") * v,
    "all_gather": lambda v: lax.all_gather(v, "i", axis=1) * v[0],
    "all_gather_tiled": lambda v: lax.all_gather(v, "i", tiled=True) ** 2,
    "psum_scatter": lambda v: lax.psum_scatter(v.reshape(3, 4) ** 2, "i", scatter_dimension=0),
    "ppermute": lambda v: lax.ppermute(v ** 3, "i", [(0, 2), (2, 1), (1, 0)]),
    "all_to_all": lambda v: lax.all_to_all(v.reshape(3, 4) ** 2, "i", 0, 1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_derivatives_through_named_collectives_match_finite_differences(name):
    f = vmap(CASES[name], axis_name="i")
    x = RNG.standard_normal((3, 12)) if name in ("psum_scatter", "all_to_all") else X
    check_grads(f, (x,), order=2, modes=("fwd", "rev"))


def test_grad_of_psum_is_psum_of_the_cotangent_as_jax():
    # JAX: the transpose of psum is psum, so per-member grad of psum(x**2) is 2x * n.
    got = vmap(jaxlite.grad(lambda v: lax.psum(v ** 2, "i")), axis_name="i")(np.arange(3.0))
    np.testing.assert_allclose(got, [0.0, 6.0, 12.0])
    got = vmap(jaxlite.grad(lambda v: lax.pmean(v ** 2, "i")), axis_name="i")(np.arange(3.0))
    np.testing.assert_allclose(got, [0.0, 2.0, 4.0])


# ------------------------------------------------------------- jit

@pytest.mark.parametrize("name", sorted(CASES))
def test_jit_inside_and_outside_vmap_equal_eager(name):
    f = CASES[name]
    x = RNG.standard_normal((3, 12)) if name in ("psum_scatter", "all_to_all") else X
    want = vmap(f, axis_name="i")(x)
    np.testing.assert_allclose(jit(vmap(f, axis_name="i"))(x), want, rtol=1e-12)
    np.testing.assert_allclose(vmap(jit(f), axis_name="i")(x), want, rtol=1e-12)


def test_collectives_inside_scan_under_a_named_vmap():
    def f(v):
        def body(c, _):
            return c + lax.psum(v, "i"), lax.axis_index("i")
        return lax.scan(body, v, None, length=2)
    c, idx = vmap(f, axis_name="i")(X)
    np.testing.assert_allclose(c, X + 2 * X.sum(0), rtol=1e-12)
    np.testing.assert_array_equal(idx, [[0, 0], [1, 1], [2, 2]])


# ------------------------------------------------------------- errors

def test_unbound_axis_name_is_a_name_error_as_jax():
    with pytest.raises(NameError, match="unbound axis name: i"):
        lax.psum(X, "i")
    with pytest.raises(NameError, match="unbound axis name: j"):
        vmap(lambda v: lax.psum(v, "j"), axis_name="i")(X)
    with pytest.raises(NameError, match="unbound axis name: i"):
        vmap(lambda v: lax.axis_index("i"))(X)         # an unnamed vmap binds nothing


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match="must equal the axis size 3"):
        per_member(lambda v: lax.psum_scatter(v, "i"))            # (4,) on 3 members
    with pytest.raises(ValueError, match="not a multiple of the axis size 3"):
        per_member(lambda v: lax.all_to_all(v, "i", 0, 0, tiled=True))
    with pytest.raises(ValueError, match="perm"):
        per_member(lambda v: lax.ppermute(v, "i", [(0, 1), (1, 1)]))


# ------------------------------------------------- processes, in one process

def test_spmd_in_one_process_is_the_identity_and_compiles():
    f = distributed.spmd(lambda v: (lax.psum(v, "p"), lax.all_gather(v, "p"),
                                    lax.axis_index("p"), lax.pmean(v, "p")), "p")
    for g in (f, distributed.spmd(jit(f), "p")):
        s, g_, idx, m = g(X)
        np.testing.assert_array_equal(s, X)
        np.testing.assert_array_equal(g_, X[None])
        np.testing.assert_array_equal(m, X)
        assert int(idx) == 0
    assert distributed.process_count() == 1 and distributed.process_index() == 0


def test_collective_over_processes_without_initialize_under_a_launcher_errors(monkeypatch):
    monkeypatch.setenv("PMI_SIZE", "2")
    with pytest.raises(RuntimeError, match=r"initialize\(\) was not called"):
        distributed.spmd(lambda v: lax.psum(v, "p"), "p")(X)


def test_large_outputs_are_one_reused_block_in_order_so_a_psum_can_hand_mpi_one_buffer():
    # compiler/collectives reduces a pytree's leaves in place in their outputs
    # when these are contiguous; the runtime lays large outputs out so.
    from jaxlite.compiler import runtime
    n = runtime.POOL_MIN_BYTES // 4
    f = distributed.spmd(jit(lambda t: lax.psum(t, "p")), "p")
    tree = [np.full(n, 1.0, np.float32), np.full(n + 4, 2.0, np.float32),
            np.full(3, 3.0, np.float32), np.full(n, 4.0, np.float64)]
    got = f(tree)
    a, b, small, c = (g.ctypes.data for g in got)
    assert b == a + 4 * n and c == b + 4 * (n + 4)           # in order, no gap
    assert small not in (a, b, c) and c % 16 == 0
    for g, t in zip(got, tree):
        np.testing.assert_array_equal(g, t)
    keep = got[1]
    del got
    again = f([t * 2 for t in tree])          # got[1] alive: a new block, none overwritten
    assert again[0].ctypes.data != a
    np.testing.assert_array_equal(keep, tree[1])
    del keep, again
    third = f([t * 3 for t in tree])
    p3 = third[0].ctypes.data
    del third
    fourth = f([t * 4 for t in tree])         # nothing alive: the block is reused
    assert fourth[0].ctypes.data == p3
    for g, t in zip(fourth, tree):
        np.testing.assert_array_equal(g, 4 * t)


def test_a_kept_large_output_pins_its_own_memory_not_its_siblings_block():
    from jaxlite.compiler import runtime
    n = runtime.POOL_MIN_BYTES // 4
    f = jit(lambda t: [t[0] + 1.0, t[1] * 2.0])
    kept, firsts = [], []
    for k in range(5):
        first, second = f([np.full(n, float(k), np.float32), np.full(n, float(k), np.float32)])
        kept.append(second)                     # the block stays in use from the first call
        firsts.append(first.ctypes.data)
        np.testing.assert_array_equal(first[:2], [k + 1.0, k + 1.0])
        del first
    assert len(set(firsts[1:])) == 1            # the dropped output reuses its own buffer
    assert len({s.ctypes.data for s in kept}) == 5
    for k, s in enumerate(kept):
        np.testing.assert_array_equal(s[[0, -1]], [2.0 * k, 2.0 * k])
