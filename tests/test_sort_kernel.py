"""The compiled sort/argsort kernel (compiler/sort_kernel.py), method by
method, against numpy's stable sort: JAX's order (NaN last whatever its sign
or payload, -0.0 tied with 0.0, ties in input order, the values' own bits
kept), every dtype, short/medium/long lines, any axis, batches of short
lines, non-contiguous inputs, lines already sorted or reversed, under jit,
grad and vmap."""
import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import lax
from jaxlite.compiler import cache, parallel, sort_kernel

RNG = np.random.default_rng(2026)
DTYPES = [np.float32, np.float64, np.float16, np.int8, np.int16, np.int32, np.int64,
          np.uint8, np.uint16, np.uint32, np.uint64, np.bool_]
# one length per method: network, insertion, long (8-bit digits), long (11-bit digits)
LENGTHS = [1, 9, 16, 17, 48, 49, 65, 1000, 70000]


@pytest.fixture(autouse=True)
def fresh_compiles(monkeypatch):
    """Executables of these tests compiled here (a forced method must not hit
    a cached executable of the same program)."""
    monkeypatch.setattr(cache, "memory", cache.MemoryCache())
    monkeypatch.setenv("JAXLITE_DISABLE_DISK_CACHE", "1")


def data(shape, dtype, kind="random"):
    """Values with many ties; floats also with NaNs of both signs and other
    payloads, -0.0 beside 0.0, and infinities."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape))
    if dtype.kind == "b":
        x = RNG.integers(0, 2, size).astype(dtype)
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        x = RNG.integers(info.min, info.max, size, dtype=dtype, endpoint=True)
        x[RNG.integers(0, size, size // 4)] = x[0] if size else 0
    else:
        x = (RNG.standard_normal(size) * 10).astype(dtype)
        if size >= 8:
            bits = np.dtype(f"u{dtype.itemsize}")
            nan = np.array([np.nan], dtype)
            odd = (nan.view(bits) | 1).view(dtype)[0]                    # another payload
            x[RNG.integers(0, size, size // 5)] = 0.0
            x[RNG.integers(0, size, size // 5)] = -0.0
            x[RNG.integers(0, size, 3)] = np.nan
            x[RNG.integers(0, size, 2)] = -np.nan
            x[RNG.integers(0, size, 2)] = odd
            x[RNG.integers(0, size, 2)] = np.inf
            x[RNG.integers(0, size, 2)] = -np.inf
    if kind == "sorted":
        x = np.sort(x, kind="stable")
    elif kind == "reversed":
        x = np.sort(x, kind="stable")[::-1].copy()
    elif kind == "constant":
        x = np.full(size, x[0] if size else 0, dtype)
    return x.reshape(shape)


def want_argsort(x, axis):
    """JAX's order: stable, -0.0 equal to 0.0, every NaN equal and last."""
    keys = x
    if x.dtype.kind == "f":
        keys = np.where(x == 0, np.zeros((), x.dtype), x)
        keys = np.where(np.isnan(keys), np.array(np.nan, x.dtype), keys)
    return np.argsort(keys, axis=axis, kind="stable")


def want_sort(x, axis):
    return np.take_along_axis(x, want_argsort(x, axis), axis)


def check(x, axis=-1, index_dtype=np.int32):
    """jit(sort) and jit(argsort) of ``x`` along ``axis``, bit for bit."""
    got = np.asarray(jaxlite.jit(lambda v: lax.sort(v, axis))(x))
    want = want_sort(x, axis)
    assert got.dtype == x.dtype and got.shape == x.shape
    assert got.tobytes() == want.tobytes(), (got, want)          # -0.0 and NaN bits too
    idx = np.asarray(jaxlite.jit(lambda v: lax.argsort(v, axis, index_dtype))(x))
    assert idx.dtype == np.dtype(index_dtype)
    np.testing.assert_array_equal(idx, want_argsort(x, axis).astype(index_dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n", LENGTHS)
def test_every_dtype_and_length(n, dtype):
    check(data((2, n), dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint16],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("kind", ["sorted", "reversed", "constant"])
@pytest.mark.parametrize("n", [16, 40, 1000])
def test_ordered_and_constant_lines(n, kind, dtype):
    check(data((n,), dtype, kind), 0)


def test_reversed_line_of_zeros_and_nans_keeps_input_order():
    x = np.array([np.nan, -np.nan, 0.0, -0.0, 0.0, -0.0] * 20, np.float32)
    x[::7] = -1.0
    check(x, 0)
    check(np.sort(x)[::-1].copy(), 0)


@pytest.mark.parametrize("how", ["network", "insertion", "radix", "quicksort", "heap"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16, np.uint32, np.int64],
                         ids=lambda d: np.dtype(d).name)
def test_each_method_forced(monkeypatch, how, dtype):
    """Every line method gives the same answer on every length it may get
    (quicksort where the CPU has AVX-512; heap is the out-of-memory path)."""
    if how == "quicksort" and not sort_kernel.has_avx512():
        pytest.skip("quicksort needs AVX-512's compress instructions on this CPU")
    chosen = sort_kernel.method

    def forced(line):       # quicksort only takes 32/64-bit items without a carried index
        return "radix" if how == "quicksort" and chosen(line) != "quicksort" else how
    monkeypatch.setattr(sort_kernel, "method", forced)
    for n in ([5, 16] if how == "network" else [5, 30, 48] if how == "insertion"
              else [49, 65, 129, 1000, 4099]):
        check(data((3, n), dtype))


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
@pytest.mark.parametrize("n", [10, 40, 200])
def test_any_axis(axis, n):
    shape = [3, 4, 5]
    shape[axis] = n
    check(data(tuple(shape), np.float32), axis)
    check(data(tuple(shape), np.int64), axis)


def test_non_contiguous_and_fused_inputs():
    x = data((60, 90), np.float64)[::2, ::-3]
    check(x, 0)
    check(x, 1)
    f = jaxlite.jit(lambda v: lax.argsort(v * 2.0 - 1.0, 1, np.int64))
    np.testing.assert_array_equal(f(x), want_argsort(x * 2.0 - 1.0, 1))


@pytest.mark.parametrize("n", [10, 16, 30])
def test_batches_of_short_rows(n):
    x = data((20000, n), np.float32)
    check(x, 1)
    check(np.ascontiguousarray(x.T), 0)


def test_zero_size_and_length_one():
    for shape, axis in [((0,), 0), ((0, 5), 1), ((5, 0), 1), ((4, 1), 1), ((1, 7), 0), ((1,), 0)]:
        check(data(shape, np.float32), axis)
        check(data(shape, np.int64), axis)


def test_long_lines_over_threads(monkeypatch):
    """A line split in halves on the worker pool (and lines split in chunks
    of rows), with few distinct values so that pivots repeat."""
    monkeypatch.setattr(sort_kernel, "PARALLEL_SORT_MIN", 1000)
    monkeypatch.setattr(parallel, "threads", lambda: 2)
    for dtype in (np.float32, np.float64, np.int32, np.uint64):
        check(data((5000,), dtype), 0)
        check(RNG.integers(0, 3, (2, 3000)).astype(dtype))
        check(data((3001, 2), dtype), 0)                   # strided lines
    check(data((1 << 17,), np.float32), 0)


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.uint64, np.float32],
                         ids=lambda d: np.dtype(d).name)
def test_split_line_whose_pivot_is_its_minimum(monkeypatch, dtype):
    """Most of the line equal to its least value (the key 0 for integers):
    the split pivot is the minimum (no half below it) and the first quicksort
    step sets the items equal to it aside."""
    monkeypatch.setattr(sort_kernel, "PARALLEL_SORT_MIN", 1000)
    monkeypatch.setattr(parallel, "threads", lambda: 2)
    rng = np.random.default_rng(3)
    low = np.array(np.iinfo(dtype).min if np.dtype(dtype).kind in "iu" else -np.inf, dtype)
    for n in (3000, 700):             # split over threads / one thread
        x = rng.permutation(np.concatenate([np.full(n * 3 // 5, low),
                                            data((n - n * 3 // 5,), dtype)]))
        check(x.astype(dtype), 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.uint32],
                         ids=lambda d: np.dtype(d).name)
def test_quicksort_lengths_around_leaves(dtype):
    """Lengths around each leaf network's size (16 to 128 items), the first
    partition made from the input (lines longer than QUICKSORT_LEAF), and
    partition tails of every length; floats with -0.0, NaNs and +inf in one
    leaf (the float networks sort NaNs as +inf, the fix-up restores them)."""
    if not sort_kernel.has_avx512():
        pytest.skip("quicksort needs AVX-512's compress instructions on this CPU")
    rng = np.random.default_rng(5)
    for n in (49, 63, 64, 65, 127, 128, 129, 130, 143, 257, 1031):
        check(data((2, n), dtype))
        if np.dtype(dtype).kind == "f":
            x = rng.standard_normal(n).astype(dtype)
            x[rng.integers(0, n, n // 4)] = np.inf
            x[rng.integers(0, n, n // 4)] = np.nan
            x[rng.integers(0, n, n // 8)] = -0.0
            x[rng.integers(0, n, 3)] = -np.nan
            check(x, 0)


def test_index_dtypes():
    x = data((3, 200), np.float32)
    for idt in (np.int16, np.int64, np.uint32):
        check(x, 1, idt)


def test_jnp_descending_and_stable():
    x = data((4, 300), np.float32)
    got = jaxlite.jit(lambda v: jnp.argsort(v, axis=1, descending=True))(x)
    # stable descending: ties keep index order
    want = np.stack([np.lexsort((np.arange(300), -np.where(np.isnan(r), 0, r), ~np.isnan(r)))
                     for r in np.where(x == 0, 0, x)])             # NaN first, then largest
    np.testing.assert_array_equal(got, want)
    s = np.asarray(jaxlite.jit(lambda v: jnp.sort(v, axis=1, descending=True))(x))
    assert s.tobytes() == want_sort(x, 1)[:, ::-1].tobytes()


def test_grad_and_vmap_through_the_kernel():
    x = RNG.standard_normal((6, 70))

    def f(v):
        return jnp.sum(jnp.sort(v, axis=1)[:, -3:] * jnp.arange(3.0))

    g = jaxlite.jit(jaxlite.grad(f))(x)
    want = np.zeros_like(x)
    order = np.argsort(x, axis=1, kind="stable")[:, -3:]
    np.put_along_axis(want, order, np.broadcast_to(np.arange(3.0), order.shape), 1)
    np.testing.assert_array_equal(g, want)
    vm = jaxlite.jit(jaxlite.vmap(lambda r: lax.argsort(r, 0), in_axes=1))(x)
    np.testing.assert_array_equal(vm, want_argsort(x.T, 1).astype(np.int32))


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.uint64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n", [49, 64, 65, 4099, 5000])
def test_argsort_64bit_ties_below_the_index_bits(dtype, n):
    """64-bit argsort keeps a key's high bits beside the index: keys that
    differ only in the low bits (and exact ties, NaNs, -0.0) still come out
    in (key, index) order."""
    rng = np.random.default_rng(n)
    if dtype == np.float64:
        near = 1.0 + rng.integers(0, 50, n) * np.finfo(np.float64).eps    # one kept value
        x = np.where(rng.random(n) < 0.5, near, data((n,), dtype))
    else:
        info = np.iinfo(dtype)
        low = rng.integers(0, 300, n).astype(dtype)
        x = np.where(rng.random(n) < 0.3, low + dtype(info.max // 2), low)
        x[rng.integers(0, n, 3)] = info.max
        x[rng.integers(0, n, 3)] = info.min
    check(x.astype(dtype), 0)
    check(np.sort(x).astype(dtype)[::-1].copy(), 0)


def test_argsort_64bit_ties_over_threads(monkeypatch):
    """The split of a line over two threads never separates a run of tied
    kept bits (its pivot drops the index bits)."""
    monkeypatch.setattr(sort_kernel, "PARALLEL_SORT_MIN", 1000)
    monkeypatch.setattr(parallel, "threads", lambda: 2)
    rng = np.random.default_rng(7)
    for x in (1.0 + rng.integers(0, 40, 6000) * np.finfo(np.float64).eps,
              rng.integers(0, 5, 6000).astype(np.int64) + (1 << 40),
              data((6000,), np.float64)):
        check(x, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint32],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("distinct", [1, 2, 10, 16, 17, 40])
def test_few_distinct_values_counted(dtype, distinct):
    """Lines of at most FEW_VALUES_MAX distinct keys are sorted by counting
    (more: quicksort after the count pass proves it); lengths around
    FEW_VALUES_MIN, contiguous or strided, with -0.0/+0.0 and NaNs among the
    values, the extreme integers, and one rare value the sample misses."""
    rng = np.random.default_rng(distinct)
    if np.dtype(dtype).kind == "f":
        pool = np.array([0.0, -0.0, np.nan, -np.inf, np.inf, 1.5, -2.0, 3.0, 7.25, -1e30,
                         1e-30, 4.0, 5.0, 6.0, 8.0, 9.0] + list(range(100, 124)), dtype)
    else:
        info = np.iinfo(dtype)
        pool = np.array([info.min, info.max, 0, 1] + list(range(7, 43)), dtype)
    values = pool[:distinct]
    for n in (sort_kernel.FEW_VALUES_MIN - 1, sort_kernel.FEW_VALUES_MIN, 5003):
        x = values[rng.integers(0, distinct, n)]
        check(x, 0)
        if distinct < len(pool):
            x[rng.integers(0, n)] = pool[distinct]       # rarely seen by the sample
            check(x, 0)
    x = values[rng.integers(0, distinct, (4500, 3))]
    check(x, 0)                                           # strided lines


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.uint64],
                         ids=lambda d: np.dtype(d).name)
def test_few_distinct_values_over_threads(monkeypatch, dtype):
    """A long line of few values is counted and written by two threads (a
    half each; runs cross the halves' border), -0.0 and NaNs among them, and
    falls back to quicksort when a value the sample missed shows up."""
    monkeypatch.setattr(sort_kernel, "PARALLEL_SORT_MIN", 1000)
    monkeypatch.setattr(parallel, "threads", lambda: 2)
    rng = np.random.default_rng(11)
    pool = (np.array([3.0, -0.0, 0.0, np.nan, -1.5, np.inf, 7.0], dtype)
            if np.dtype(dtype).kind == "f" else np.array([0, 9, 3, 1, 5], dtype))
    for n in (sort_kernel.FEW_VALUES_MIN, 6001):
        x = pool[rng.integers(0, len(pool), n)]
        check(x, 0)
        x[rng.integers(0, n)] = 2                        # rarely seen by the sample
        check(x, 0)
    check(pool[rng.integers(0, len(pool), (2, 5003))])


def test_few_distinct_values_nan_key_is_not_padding():
    """The all-ones key (every NaN) pads the table of values: a line whose
    other values fit but whose NaNs the sample missed must not be counted."""
    x = np.ones(6000, np.float32)
    x[::2] = 2.0
    x[4321] = np.nan
    check(x, 0)
    check(x.astype(np.float64), 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("where", [1, 15, 16, 17, 500, -17, -2, -1])
def test_nearly_ordered_lines(dtype, where):
    """The order check (a vector at a time, then element by element) finds one
    element out of place anywhere: in the first block, across a block's edge,
    in the scalar tail; reversed lines with ties are not 'reversed' for argsort."""
    n = 1003
    up = np.sort(data((n,), dtype), kind="stable")
    for x in (up.copy(), up[::-1].copy()):
        x[where], x[where - 1] = x[where - 1], x[where]
        check(x, 0)
    ties = np.repeat(np.arange(n // 3, dtype=dtype), 3)[::-1].copy()
    check(ties, 0)
