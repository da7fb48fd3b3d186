"""The compiler's pipeline as a whole: fusion decisions, the printed plan,
dumps, the disk cache, and argument validation (including a fuzz test: bad
arguments give clean TypeErrors, never a crash)."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("JAXLITE_DISABLE_DISK_CACHE", "1")

import jaxlite  # noqa: E402
import jaxlite.numpy as jnp  # noqa: E402
from jaxlite import lax  # noqa: E402
from jaxlite import compiler  # noqa: E402
from jaxlite import core  # noqa: E402
from jaxlite.compiler import cache, registry  # noqa: E402


def compile_fn(f, *args, name="f"):
    return compiler.compile(jaxlite.make_jaxpr(f)(*args), name)


def kernels(exe):
    return [line for line in exe.fusion_plan().splitlines() if line.startswith("kernel")]


def chain(x):
    return jnp.sum(jnp.tanh(x) * jnp.exp(-x * x) + 0.5 * jnp.sin(3 * x))


def test_elementwise_chain_into_reduction_is_one_kernel():
    x = np.linspace(-2, 2, 1001).astype(np.float32)
    exe = compile_fn(chain, x)
    ks = kernels(exe)
    assert len(ks) == 1 and "[reduce]" in ks[0], exe.fusion_plan()
    np.testing.assert_allclose(exe(x)[0], chain(x), rtol=1e-4, atol=1e-5)


def test_plan_names_source_lines():
    x = np.ones(5, np.float32)
    exe = compile_fn(chain, x)
    plan = exe.fusion_plan()
    line = chain.__code__.co_firstlineno + 1
    assert f"test_compiler_pipeline.py:{line} (chain)" in plan
    for prim in ["tanh", "exp", "sin", "reduce_sum"]:
        assert prim in plan


def test_logsumexp_rows_plan_and_values():
    def lse(x):
        m = jnp.max(x, axis=1, keepdims=True)
        return jnp.log(jnp.sum(jnp.exp(x - m), axis=1)) + m[:, 0]
    x = np.random.default_rng(0).standard_normal((64, 33)).astype(np.float32)
    exe = compile_fn(lse, x)
    ks = kernels(exe)
    # the row max runs inside the sum's row loop (row_chain.py): one kernel
    assert len(ks) == 1 and "row by row" in exe.fusion_plan(), exe.fusion_plan()
    m = x.max(1, keepdims=True)
    np.testing.assert_allclose(exe(x)[0], np.log(np.exp(x - m).sum(1)) + m[:, 0], rtol=1e-5)


def mlp_loss(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = jnp.tanh(h @ w + b)
    w, b = params[-1]
    return jnp.mean((h @ w + b - y) ** 2)


def test_mlp_value_and_grad_gemm_kernels():
    rng = np.random.default_rng(0)
    sizes = [16, 32, 32, 4]
    params = [(rng.standard_normal((a, b)).astype(np.float32) * 0.3,
               rng.standard_normal(b).astype(np.float32) * 0.1)
              for a, b in zip(sizes[:-1], sizes[1:])]
    x = rng.standard_normal((8, 16)).astype(np.float32)
    y = rng.standard_normal((8, 4)).astype(np.float32)
    vg = jaxlite.value_and_grad(mlp_loss)
    closed = jaxlite.make_jaxpr(vg)(params, x, y)
    exe = compiler.compile(closed, "mlp_vg")
    flat = jaxlite.tree_util.tree_leaves((params, x, y))
    got = exe(*flat)
    want = jaxlite.tree_util.tree_leaves(vg(params, x, y))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6)
    ks = kernels(exe)
    gemms = [k for k in ks if "[gemm]" in k]
    assert len(gemms) == 3 + 5            # forward: 3, backward: 3 weight + 2 input grads
    assert len(ks) - len(gemms) <= 16, exe.fusion_plan()


def test_dump_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_DUMP_DIR", str(tmp_path))
    x = np.ones(3, np.float64)
    compile_fn(lambda v: jnp.sum(v * 3.0 + 1.0), x, name="dumped")
    files = sorted(os.listdir(tmp_path))
    for ext in [".jaxpr.txt", ".plan.txt", ".ll", ".opt.ll", ".s"]:
        match = [f for f in files if f.startswith("dumped-") and f.endswith(ext)]
        assert match, (ext, files)
        assert os.path.getsize(tmp_path / match[0]) > 0
    asm = [f for f in files if f.endswith(".s")][0]
    assert "entry" in (tmp_path / asm).read_text()


def test_texts():
    exe = compile_fn(lambda v: v * 2.0, np.ones(4, np.float32))
    assert "define" in exe.llvm_ir(optimized=False)
    assert "define" in exe.llvm_ir(optimized=True) and exe.as_text() == exe.llvm_ir()
    assert "entry" in exe.asm()
    assert "kernel 0 [loop]" in exe.fusion_plan()


_CHILD = textwrap.dedent("""
    import sys, numpy as np
    sys.path.insert(0, {root!r})
    import jaxlite, jaxlite.numpy as jnp, compiler
    x = np.arange(7, dtype=np.float32)
    exe = compiler.compile(jaxlite.make_jaxpr(lambda v: jnp.sum(jnp.exp(v) * {k!r}))(x), "disk")
    assert abs(float(exe(x)[0]) - float(np.exp(x).sum() * {k!r})) < 1e-2 * np.exp(6) * {k!r}
    assert "define" in exe.as_text()
    print("HIT" if exe.from_disk_cache else "MISS")
""")


def _child(tmp_path, k=1.5):
    env = dict(os.environ, JAXLITE_CACHE_DIR=str(tmp_path), JAXLITE_DISABLE_DISK_CACHE="0")
    out = subprocess.run([sys.executable, "-c", _CHILD.format(root=ROOT, k=k)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_disk_cache_hit_in_fresh_process(tmp_path):
    assert _child(tmp_path) == "MISS"
    assert _child(tmp_path) == "HIT"
    assert _child(tmp_path, k=2.5) == "MISS"     # another program, another entry


def test_disk_cache_corrupted_entry_ignored(tmp_path):
    assert _child(tmp_path) == "MISS"
    for root, _, files in os.walk(tmp_path):
        for f in files:
            path = os.path.join(root, f)
            data = bytearray(open(path, "rb").read())
            data[len(data) // 2] ^= 0xFF
            open(path, "wb").write(bytes(data))
    assert _child(tmp_path) == "MISS"
    assert _child(tmp_path) == "HIT"


def test_memory_cache():
    x = np.ones(3, np.float32)
    f = lambda v: v * 5.0 - 1.0  # noqa: E731
    e1 = compile_fn(f, x)
    hits = cache.stats["memory_hits"]
    e2 = compile_fn(f, x)
    assert cache.stats["memory_hits"] == hits + 1 and e2 is e1


# ------------------------------------------------------- argument checks

def test_bad_argument_count():
    exe = compile_fn(lambda a, b: a + b, np.ones(2, np.float32), np.ones(2, np.float32))
    with pytest.raises(TypeError, match="2 argument"):
        exe(np.ones(2, np.float32))
    with pytest.raises(TypeError):
        exe()


def test_string_argument():
    exe = compile_fn(lambda a, b: a + b, np.ones(2, np.float32), np.ones(2, np.float32))
    with pytest.raises(TypeError, match=r"argument 1 .*f32\[2\].*str"):
        exe(np.ones(2, np.float32), "hello")


def test_wrong_shape_and_dtype_messages():
    exe = compile_fn(lambda a: a * 2.0, np.ones((2, 3), np.float32))
    with pytest.raises(TypeError, match=r"\(2, 3\).*\(3, 2\)"):
        exe(np.ones((3, 2), np.float32))
    with pytest.raises(TypeError, match="float32.*float64"):
        exe(np.ones((2, 3), np.float64))
    with pytest.raises(TypeError, match="float32.*float16"):
        exe(np.ones((2, 3), np.float16))
    # Non-native byte order is the same dtype: converted, not refused.
    np.testing.assert_array_equal(exe(np.ones((2, 3), ">f4"))[0], np.full((2, 3), 2.0))


@pytest.mark.parametrize("seed", range(3))
def test_fuzz_arguments_never_crash(seed):
    rng = np.random.default_rng(seed)
    progs = [
        (lambda a, b: jnp.sum(a * b, axis=0), [((4, 3), np.float32), ((4, 3), np.float32)]),
        (lambda a, i: jnp.take(a, i, axis=0), [((5, 2), np.float64), ((3,), np.int32)]),
        (lambda a, b: a @ b, [((3, 4), np.float32), ((4, 2), np.float32)]),
        (lambda a: jnp.cumsum(a[::-1], axis=0), [((0, 3), np.int64)]),
    ]
    dtypes = [np.float32, np.float64, np.int32, np.int64, np.bool_, np.int8, np.complex64]
    for f, specs in progs:
        args = [np.zeros(s, d) for s, d in specs]
        exe = compile_fn(f, *args)
        for _ in range(40):
            trial = []
            for s, d in specs:
                choice = rng.integers(6)
                if choice == 0:
                    s = tuple(int(v) for v in rng.integers(0, 5, size=rng.integers(0, 4)))
                if choice == 1:
                    d = dtypes[rng.integers(len(dtypes))]
                a = (rng.standard_normal(s) * 3).astype(d) if s != () else np.asarray(1, d)
                if choice == 2 and a.ndim:
                    a = np.repeat(a, 2, axis=-1)[..., ::2]    # non-contiguous
                if choice == 3:
                    a = [1, 2] if rng.integers(2) else None
                if choice == 4:
                    a = float(rng.standard_normal())
                trial.append(a)
            if rng.integers(8) == 0:
                trial = trial[:-1]
            try:
                out = exe(*trial)
            except TypeError:
                continue
            assert all(isinstance(o, np.ndarray) for o in out)


def test_zero_size_everything():
    f = lambda a, b: (jnp.sum(jnp.exp(a), axis=1), a @ b, lax.reduce_max(a, (0,)))  # noqa: E731
    a, b = np.zeros((0, 3), np.float32), np.zeros((3, 0), np.float32)
    exe = compile_fn(f, a, b)
    s, p, m = exe(a, b)
    assert s.shape == (0,) and p.shape == (0, 0) and m.shape == (3,)
    assert np.all(m == -np.inf)


def test_transposed_dot_is_one_gemm():
    a = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    b = np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32)
    exe = compile_fn(lambda x, y: jnp.transpose(x @ y), a, b)
    ks = kernels(exe)
    assert len(ks) == 1 and "[gemm]" in ks[0], exe.fusion_plan()
    np.testing.assert_allclose(exe(a, b)[0], (a @ b).T, rtol=1e-5)
    c = np.random.default_rng(3).standard_normal((2, 3, 4)).astype(np.float64)
    d = np.random.default_rng(4).standard_normal((2, 4, 5)).astype(np.float64)
    exe = compile_fn(lambda x, y: jnp.transpose(jnp.matmul(x, y), (0, 2, 1)), c, d)
    assert len(kernels(exe)) == 1, exe.fusion_plan()
    np.testing.assert_allclose(exe(c, d)[0], np.transpose(c @ d, (0, 2, 1)), rtol=1e-12)


def test_dot_reads_transposed_operands_directly():
    rng = np.random.default_rng(5)
    q, k = rng.standard_normal((5, 8)).astype(np.float32), rng.standard_normal((7, 8)).astype(
        np.float32)
    exe = compile_fn(lambda a, b: a @ b.T, q, k)
    assert len(kernels(exe)) == 1, exe.fusion_plan()
    np.testing.assert_allclose(exe(q, k)[0], q @ k.T, rtol=1e-5)
    exe = compile_fn(lambda a, b: jnp.transpose(a) @ b, k, k)
    assert len(kernels(exe)) == 1, exe.fusion_plan()
    np.testing.assert_allclose(exe(k, k)[0], k.T @ k, rtol=1e-5)
    x = rng.standard_normal((2, 3, 4)).astype(np.float64)
    f = lambda a: jnp.matmul(a, jnp.transpose(a, (0, 2, 1)))  # noqa: E731
    exe = compile_fn(f, x)
    np.testing.assert_allclose(exe(x)[0], np.matmul(x, np.transpose(x, (0, 2, 1))), rtol=1e-12)


def test_reduction_epilogues():
    x = np.random.default_rng(2).standard_normal((6, 50)).astype(np.float64)
    exe = compile_fn(lambda v: jnp.sqrt(jnp.mean(v * v, axis=1)) + 1.0, x)
    assert len(kernels(exe)) == 1, exe.fusion_plan()
    np.testing.assert_allclose(exe(x)[0], np.sqrt(np.mean(x * x, axis=1)) + 1.0, rtol=1e-12)
    # The reduced value is also an output: no epilogue, both values still right.
    exe = compile_fn(lambda v: (jnp.sum(v, axis=1), jnp.sum(v, axis=1) * 2.0), x)
    a, b = exe(x)
    np.testing.assert_allclose(a, x.sum(1), rtol=1e-12)
    np.testing.assert_allclose(b, 2 * x.sum(1), rtol=1e-12)
    # Column reductions accumulate in memory: the epilogue stays a separate kernel.
    exe = compile_fn(lambda v: jnp.exp(jnp.sum(v, axis=0)), x)
    np.testing.assert_allclose(exe(x)[0], np.exp(x.sum(0)), rtol=1e-12)
    big = np.random.default_rng(3).uniform(size=(2, 5000)).astype(np.float32)
    exe = compile_fn(lambda v: jnp.log(jnp.sum(v, axis=1)), big)
    assert len(kernels(exe)) == 1
    np.testing.assert_allclose(exe(big)[0], np.log(big.astype(np.float64).sum(1)), rtol=1e-6)


def test_many_arguments_packed_convention():
    n = 300
    xs = [np.full(2, i, np.float32) for i in range(n)]

    def f(*vs):
        total = vs[0]
        for v in vs[1:]:
            total = total + v
        return total, vs[-1] * 2.0
    exe = compile_fn(f, *xs)
    total, last = exe(*xs)
    np.testing.assert_allclose(total, np.full(2, n * (n - 1) / 2))
    np.testing.assert_allclose(last, xs[-1] * 2)
    with pytest.raises(TypeError):
        exe(*xs[:-1], "x")



@pytest.fixture(params=[core.CHEAP, core.COSTLY])
def cube_primitive(request):
    """A new elementwise primitive as a lax block declares it (kind, cost, impl,
    shape rule) plus its one value rule: all the compiler needs."""
    name = f"test_cube_{request.param}"     # its own name: the memory cache keys on text
    prim = core.Primitive(name, kind=core.ELEMENTWISE, cost=request.param)
    core.impl_rules[prim] = lambda x: x * x * x
    core.abstract_eval_rules[prim] = lambda x: x

    @registry.value_rule(name)
    def _cube(em, node, idx):
        x = em.value(node.inputs[0], idx)
        return em.b.fmul(em.b.fmul(x, x), x)
    yield prim
    del core.all_primitives[name], registry.VALUE_RULES[name]
    del core.impl_rules[prim], core.abstract_eval_rules[prim]


def test_a_declared_elementwise_primitive_fuses_without_compiler_edits(cube_primitive):
    x = np.linspace(-2, 2, 64).astype(np.float32).reshape(8, 8)

    def f(x):
        return jnp.sum(cube_primitive.bind(jnp.exp(x)) + 1.0, axis=1)
    exe = compile_fn(f, x)
    ks = kernels(exe)
    assert len(ks) == 1 and "[reduce]" in ks[0] and cube_primitive.name in exe.fusion_plan()
    np.testing.assert_allclose(exe(x)[0], np.sum(np.exp(x) ** 3 + 1.0, axis=1), rtol=1e-5)

    def g(x):
        y = cube_primitive.bind(x)
        return jnp.sum(y, axis=1), jnp.max(y)
    # Its declared cost decides: CHEAP is recomputed in both consumers, COSTLY stored once.
    want = 2 if cube_primitive.cost == core.CHEAP else 3
    exe = compile_fn(g, x)
    assert len(kernels(exe)) == want, exe.fusion_plan()
    np.testing.assert_allclose(exe(x)[1], np.max(x ** 3), rtol=1e-6)


def test_huge_functions_alone_lose_the_loop_vectorizer(monkeypatch):
    # A cond whose untaken branch is one huge kernel (fusion would split it: the
    # bound is lifted here to test the engine's own guard): the huge function's
    # loops carry vectorize.enable=false metadata, the cheap branch is still vectorized.
    from jaxlite.compiler import engine, fusion
    monkeypatch.setattr(fusion, "MAX_KERNEL_WEIGHT", 10 ** 9)

    def heavy(x):
        for _ in range(150):
            x = jnp.sin(x)
        return x

    x = np.linspace(0, 1, 4096, dtype=np.float32)
    lowered = jaxlite.jit(lambda p, x: lax.cond(p, jnp.sin, heavy, x)).lower(True, x)
    compiled = lowered.compile()
    raw = compiled.llvm_ir(optimized=False)
    marked = engine._without_loop_vectorizer_in_huge_functions(raw)
    assert marked.count("!llvm.loop") > 0 and "llvm.loop.vectorize.enable" in marked
    small = [f for f in marked.split("\ndefine ")[1:] if len(f) < engine.VECTORIZE_LIMIT]
    assert small and not any("!llvm.loop" in f for f in small)
    assert "x float>" in compiled.as_text()       # vector code survives in the module
    np.testing.assert_allclose(np.asarray(compiled(True, x)), np.sin(x), rtol=1e-6)


def test_values_computed_from_literals_are_recomputed_in_any_number_of_kernels():
    """A triangle mask (iota comparisons) read by more kernels than MAX_DUPLICATES is
    still fused into each: storing it would cost a pass over memory for nothing."""
    from jaxlite.compiler import fusion

    def f(x):
        r = lax.broadcasted_iota(np.int32, x.shape, 0)
        c = lax.broadcasted_iota(np.int32, x.shape, 1)
        lower = jnp.where(r >= c, 1.0, 0.0)
        return [jnp.sum(lower * x ** k) for k in range(1, fusion.MAX_DUPLICATES + 3)]
    x = np.random.default_rng(1).standard_normal((6, 6))
    exe = compile_fn(f, x)
    ks = kernels(exe)
    assert len(ks) == fusion.MAX_DUPLICATES + 2, exe.fusion_plan()
    assert all("[reduce]" in k for k in ks), exe.fusion_plan()
    for got, k in zip(exe(x), range(1, fusion.MAX_DUPLICATES + 3)):
        np.testing.assert_allclose(got, np.sum(np.tril(x ** k)), rtol=1e-12)
