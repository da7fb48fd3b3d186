"""jit's API: the trace cache and its keys, static arguments, decorators,
methods, pytrees, kwargs, the concrete fast path, stages (lower / compile and
their texts), dumps, dtypes, and errors for bad input."""
import functools
import os
from collections import namedtuple

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import jit, lax, tree_util


def counted(f):
    """``(g, count)``: ``g`` calls ``f`` and counts how many times it ran,
    which under jit is the number of traces."""
    count = [0]

    @functools.wraps(f)
    def g(*args, **kwargs):
        count[0] += 1
        return f(*args, **kwargs)
    return g, count


def f32(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ------------------------------------------------------------------ cache

def test_same_signature_traces_once_and_values_follow_inputs():
    g, count = counted(lambda x, y: jnp.sin(x) * y + 1.0)
    jg = jit(g)
    for seed in range(3):
        x, y = f32(5, seed=seed), f32(5, seed=seed + 10)
        out = jg(x, y)
        np.testing.assert_allclose(out, np.sin(x) * y + 1.0, rtol=1e-6, atol=1e-6)
        assert out.dtype == np.float32 and isinstance(out, jaxlite.Array)
    assert count[0] == 1


def test_new_shape_or_dtype_retraces_never_errors():
    g, count = counted(lambda x: x * 2 + 1)
    jg = jit(g)
    inputs = [np.ones(3, np.float32), np.ones(4, np.float32), np.ones((2, 2), np.float32),
              np.ones(3, np.float64), np.ones(3, np.int32), np.ones(3, np.float32)]
    for x in inputs:
        out = jg(x)
        np.testing.assert_array_equal(out, x * 2 + 1)
        assert out.dtype == x.dtype and out.shape == x.shape
    assert count[0] == 5     # the last input repeats the first signature


def test_weak_python_scalar_and_array_are_different_keys():
    g, count = counted(lambda x, s: x * s)
    jg = jit(g)
    x = np.arange(3, dtype=np.float32)
    assert jg(x, 2.0).dtype == np.float32            # weak float keeps float32
    assert jg(x, 3.0).dtype == np.float32            # a new value, same key
    assert count[0] == 1
    np.testing.assert_array_equal(jg(x, 3.0), x * 3)
    out = jg(x, np.asarray(2.0, np.float64))         # strong float64 promotes
    assert out.dtype == np.float64 and count[0] == 2
    jg(x, 2)                                         # weak int: another key
    assert count[0] == 3
    out = jg(x, np.float32(4.0))                     # numpy scalar: strong f32
    np.testing.assert_array_equal(out, x * 4)
    assert count[0] == 4


def test_python_scalar_kinds_keep_eager_dtypes():
    jg = jit(lambda a, b, c: (a, b, c, a + b))
    a, b, c, s = jg(2, 2.5, True)
    assert (a.dtype, b.dtype, c.dtype, s.dtype) == (np.int32, np.float32, np.bool_, np.float32)
    assert (int(a), float(b), bool(c), float(s)) == (2, 2.5, True, 4.5)


def test_static_argnums_values_are_part_of_the_key():
    def f(x, n):
        for _ in range(n):          # Python control flow on the static value
            x = x * 2.0
        return x
    g, count = counted(f)
    jg = jit(g, static_argnums=1)
    x = np.ones(3, np.float32)
    np.testing.assert_array_equal(jg(x, 2), x * 4)
    np.testing.assert_array_equal(jg(x, 3), x * 8)
    np.testing.assert_array_equal(jg(x, 2), x * 4)
    assert count[0] == 2
    # 2 and 2.0 hash equal but are different static values.
    with pytest.raises(TypeError):
        jg(x, 2.0)                  # range(2.0) fails inside the trace
    # A static argument passed by keyword is still static (names from the signature).
    np.testing.assert_array_equal(jg(x, n=3), x * 8)


def test_static_argnames_by_keyword_and_by_position():
    def f(x, mode="double"):
        return x * 2 if mode == "double" else x * 3
    g, count = counted(f)
    jg = jit(g, static_argnames="mode")
    x = np.ones(2, np.float32)
    np.testing.assert_array_equal(jg(x, mode="double"), x * 2)
    np.testing.assert_array_equal(jg(x, mode="triple"), x * 3)
    np.testing.assert_array_equal(jg(x, "triple"), x * 3)      # positional: also static
    np.testing.assert_array_equal(jg(x), x * 2)                # default value
    assert count[0] == 4


def test_negative_static_argnums():
    jg = jit(lambda x, k: x[:k], static_argnums=-1)
    np.testing.assert_array_equal(jg(np.arange(5.0), 2), [0.0, 1.0])


def test_decorator_forms():
    @jit
    def a(x):
        return x + 1

    @functools.partial(jit, static_argnums=1)
    def b(x, k):
        return x * k

    @jit(static_argnames=("k",))
    def c(x, k):
        return x - k

    x = np.arange(3, dtype=np.int32)
    np.testing.assert_array_equal(a(x), x + 1)
    np.testing.assert_array_equal(b(x, 3), x * 3)
    np.testing.assert_array_equal(c(x, k=2), x - 2)
    assert a.__name__ == "a" and a.__wrapped__ is not None
    assert "a" in repr(a)


def test_methods_with_static_self_and_pytree_self():
    class Scaler:
        def __init__(self, k):
            self.k = k

        @functools.partial(jit, static_argnums=0)
        def apply(self, x):
            return x * self.k

    x = np.arange(3.0)
    np.testing.assert_array_equal(Scaler(2.0).apply(x), x * 2)
    np.testing.assert_array_equal(Scaler(5.0).apply(x), x * 5)   # another self: another key

    class Affine:
        def __init__(self, w, b):
            self.w, self.b = w, b

        @jit
        def __call__(self, x):
            return self.w * x + self.b

    tree_util.register_pytree_node(Affine, lambda a: ((a.w, a.b), None),
                                   lambda _, c: Affine(*c))
    m = Affine(np.float64(3.0), np.arange(3.0))
    np.testing.assert_array_equal(m(x), 3.0 * x + np.arange(3.0))
    assert Affine.__call__ is Affine.__dict__["__call__"]        # unbound access: itself


def test_pytrees_in_and_out():
    Pair = namedtuple("Pair", "a b")
    g, count = counted(lambda d, l, t, n: {
        "sum": d["x"] + l[0], "pair": Pair(t[0] * 2, t[1]), "none": n, "list": [l[1], d["y"]]})
    jg = jit(g)
    d = {"y": np.float32(1.5), "x": np.arange(3, dtype=np.float32)}
    l = [np.ones(3, np.float32), np.int32(7)]
    t = (np.arange(2.0), np.array([True, False]))
    out = jg(d, l, t, None)
    assert set(out) == {"sum", "pair", "none", "list"} and out["none"] is None
    assert isinstance(out["pair"], Pair) and isinstance(out["list"], list)
    np.testing.assert_array_equal(out["sum"], d["x"] + 1)
    np.testing.assert_array_equal(out["pair"].a, t[0] * 2)
    np.testing.assert_array_equal(out["pair"].b, t[1])
    assert out["list"][0] == 7 and out["list"][0].dtype == np.int32
    assert out["list"][1] == np.float32(1.5)
    jg({"x": d["x"], "y": d["y"]}, l, t, None)       # dict key order does not matter
    assert count[0] == 1
    jg(d, l, t, np.zeros(()))                        # None -> leaf: new tree, retrace
    assert count[0] == 2


def test_kwargs_are_dynamic_and_keyed_by_name():
    g, count = counted(lambda x, *, scale, shift=0.0: x * scale + shift)
    jg = jit(g)
    x = np.arange(4, dtype=np.float32)
    np.testing.assert_array_equal(jg(x, scale=2.0), x * 2)
    np.testing.assert_array_equal(jg(x, scale=3.0), x * 3)
    assert count[0] == 1
    np.testing.assert_array_equal(jg(x, shift=1.0, scale=2.0), x * 2 + 1)
    np.testing.assert_array_equal(jg(x, scale=2.0, shift=5.0), x * 2 + 5)
    assert count[0] == 2
    np.testing.assert_array_equal(jg(x=x, scale=np.float32(2)), x * 2)


def test_closed_over_constants_are_snapshotted_at_trace_time():
    c = np.arange(3.0)
    jg = jit(lambda x: x + c)
    np.testing.assert_array_equal(jg(np.ones(3)), 1 + np.arange(3.0))
    c[:] = 100.0                                      # as in JAX: the trace captured c
    np.testing.assert_array_equal(jg(np.ones(3)), 1 + np.arange(3.0))


def test_outputs_that_are_inputs_literals_or_constants():
    c = np.arange(3, dtype=np.float32)
    jg = jit(lambda x: (x, 1.0, c, 2, x.shape[0]))
    x = np.ones(3, np.float32)
    a, one, cc, two, n = jg(x)
    np.testing.assert_array_equal(a, x)
    assert one == 1.0 and one.dtype == np.float32
    np.testing.assert_array_equal(cc, c)
    assert two == 2 and two.dtype == np.int32 and n == 3
    assert a is not x                                  # a fresh output buffer


def test_no_arguments_and_no_outputs():
    np.testing.assert_array_equal(jit(lambda: jnp.arange(4) * 2)(), np.arange(4) * 2)
    assert jit(lambda x: None)(np.ones(2)) is None
    assert jit(lambda x: ())(np.ones(2)) == ()


def test_fast_path_is_keyed_on_layout_and_exact_type():
    g, count = counted(lambda x: x * 2.0 - 1.0)
    jg = jit(g)
    base = f32(4, 4)
    np.testing.assert_allclose(jg(base), base * 2 - 1, rtol=1e-6)
    np.testing.assert_allclose(jg(base.T), base.T * 2 - 1, rtol=1e-6)   # same key, other strides
    np.testing.assert_allclose(jg(jg(base)), (base * 2 - 1) * 2 - 1, rtol=1e-6)  # an Array

    class Sub(np.ndarray):
        pass
    np.testing.assert_allclose(jg(base.view(Sub)), base * 2 - 1, rtol=1e-6)
    assert count[0] == 1
    # A dtype that canonicalizes (big-endian float32 -> float32) has the
    # float32 trace but takes the checked path, which converts it.
    h = np.ones((4, 4), ">f4")
    out = jg(h)
    assert out.dtype == np.float32 and count[0] == 1
    np.testing.assert_array_equal(out, np.ones((4, 4)))


def test_fast_path_takes_lists_and_tuples_and_keys_on_their_structure():
    g, count = counted(lambda t, s: [t[0] * s + t[1][0], (t[1][1] - 1.0,)])
    jg = jit(g)
    a, b, c = f32(3), f32(3, seed=1), f32(2, 2, seed=2)
    for _ in range(3):                          # the second and third calls: fast path
        out = jg([a, (b, c)], 2.0)
        assert type(out) is list and type(out[1]) is tuple
        np.testing.assert_allclose(out[0], a * 2 + b, rtol=1e-6)
        np.testing.assert_allclose(out[1][0], c - 1, rtol=1e-6)
        assert type(out[0]) is jaxlite.Array
    assert count[0] == 1
    out = jg((a, [b, c]), 3.0)                  # tuple/list swapped: another trace
    np.testing.assert_allclose(out[0], a * 3 + b, rtol=1e-6)
    assert count[0] == 2
    out = jg([a, (b, c)], 3)                    # a Python int: a weak int32, a third trace
    np.testing.assert_allclose(out[0], a * 3 + b, rtol=1e-6)
    jg([a, (b, c)], 3)
    assert count[0] == 3
    h = jit(lambda t: t[0] + t[1])
    for _ in range(2):
        np.testing.assert_allclose(h([a, b]), a + b, rtol=1e-6)
        np.testing.assert_allclose(h([a, c[0, 0]]), a + c[0, 0], rtol=1e-6)


def test_dead_large_outputs_are_handed_out_again_only_when_nothing_holds_them():
    import weakref
    from jaxlite.compiler import runtime
    n = runtime.POOL_MIN_BYTES // 4
    f = jit(lambda t: [t[0] * 2.0, t[1] + 1.0])
    tree = [np.full(n, 1.0, np.float32), np.full(n, 3.0, np.float32)]
    f(tree)
    ids = [id(o) for o in f(tree)]
    again = f(tree)                              # nothing held them: the same objects
    assert [id(o) for o in again] == ids
    kept = again[0]
    view = np.asarray(again[1])[:4]
    del again
    other = f([t + 1.0 for t in tree])           # held (directly or by a view): new ones
    assert id(other[0]) != id(kept) and other[0].ctypes.data != kept.ctypes.data
    np.testing.assert_array_equal(kept[:2], [2.0, 2.0])
    np.testing.assert_array_equal(view, [4.0] * 4)
    np.testing.assert_array_equal(other[1][:2], [5.0, 5.0])
    del kept, view, other
    weak = weakref.ref(f(tree)[0])               # a weak reference also keeps it out
    later = f([t * 3.0 for t in tree])
    assert weak() is not None and weak() is not later[0]
    np.testing.assert_array_equal(weak()[:2], [2.0, 2.0])
    np.testing.assert_array_equal(later[0][:2], [6.0, 6.0])


def test_large_outputs_of_concurrent_calls_never_share_memory():
    import threading
    from jaxlite.compiler import runtime
    n = runtime.POOL_MIN_BYTES // 4
    f = jit(lambda t: [t[0] * 2.0, t[1] + 1.0])
    results, errors = {}, []

    def work(k):
        try:
            for r in range(40):
                out = f([np.full(n, float(k), np.float32), np.full(n, float(r), np.float32)])
                if not (out[0][0] == 2.0 * k and out[0][-1] == 2.0 * k
                        and out[1][0] == r + 1.0 and out[1][-1] == r + 1.0):
                    errors.append((k, r))
                results[k, r] = out
        except Exception as e:          # reported below, not swallowed
            errors.append(e)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for (k, r), out in results.items():          # every result kept its own values
        np.testing.assert_array_equal(out[0][[0, -1]], [2.0 * k] * 2)
        np.testing.assert_array_equal(out[1][[0, -1]], [r + 1.0] * 2)


def test_jit_of_jitted_and_of_callable_objects():
    class Poly:
        def __call__(self, x):
            return x * x + 1
    jp = jit(Poly())
    np.testing.assert_array_equal(jp(np.arange(3.0)), np.arange(3.0) ** 2 + 1)
    jpp = jit(functools.partial(lambda a, x: a * x, 3.0))
    np.testing.assert_array_equal(jpp(np.arange(3.0)), 3 * np.arange(3.0))


# ----------------------------------------------------------------- dtypes

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_dtypes_are_preserved(dtype):
    x = np.arange(6).reshape(2, 3).astype(dtype)
    outs = jit(lambda x: (x + 1, x * x, x > 2, x.sum(axis=1), -x))(x)
    refs = (x + 1, x * x, x > 2, x.sum(axis=1, dtype=dtype), -x)
    for o, r in zip(outs, refs):
        assert o.dtype == r.dtype, (o.dtype, r.dtype)
        np.testing.assert_array_equal(o, r)


def test_float64_math_stays_float64():
    x = np.linspace(0.1, 2.0, 7)
    out = jit(lambda x: jnp.log(x) + jnp.exp(-x) * 0.5)(x)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, np.log(x) + np.exp(-x) * 0.5, rtol=1e-14)


def test_bool_and_int32_outputs_keep_dtype():
    x = np.arange(-3, 4, dtype=np.int32)
    pos, cnt, parity = jit(lambda x: (x > 0, jnp.sum(x > 0), x % 2 == 0))(x)
    assert pos.dtype == np.bool_ and parity.dtype == np.bool_
    np.testing.assert_array_equal(pos, x > 0)
    np.testing.assert_array_equal(parity, x % 2 == 0)
    assert cnt == 3 and cnt.dtype == jnp.sum(x > 0).dtype


# ----------------------------------------------------------------- stages

def _model(x, w):
    h = jnp.tanh(x @ w)
    return jnp.sum(h * h)


def test_lower_as_text_is_the_jaxpr():
    x, w = f32(3, 4), f32(4, 2)
    lowered = jit(_model).lower(x, w)
    text = lowered.as_text()
    assert text == str(jaxlite.make_jaxpr(_model)(x, w))
    assert "dot_general" in text and "tanh" in text and "f32[3,4]" in text
    assert lowered.jaxpr is not None
    assert jit(_model).trace(x, w).as_text() == text


def test_compile_texts_and_call():
    x, w = f32(3, 4), f32(4, 2)
    compiled = jit(_model).lower(x, w).compile()
    opt = compiled.as_text()
    assert "define" in opt and opt == compiled.llvm_ir()
    raw = compiled.llvm_ir(optimized=False)
    assert "define" in raw and raw != opt
    assert compiled.asm().strip()
    plan = compiled.fusion_plan()
    # Equations record the user's source line: the tanh line of _model.
    line = _model.__code__.co_firstlineno + 1
    assert f"test_jit.py:{line}" in plan, plan
    np.testing.assert_allclose(compiled(x, w), _model(x, w), rtol=1e-5)


def test_compiled_takes_dynamic_args_and_returns_the_pytree():
    f = jit(lambda d, k: {"y": d["x"] * k, "n": d["x"].shape[0]}, static_argnums=1)
    d = {"x": np.arange(3.0)}
    compiled = f.lower(d, 4).compile()
    out = compiled(d)
    np.testing.assert_array_equal(out["y"], np.arange(3.0) * 4)
    assert out["n"] == 3
    with pytest.raises(TypeError, match="structure"):
        compiled(d, 4)
    with pytest.raises(TypeError, match="structure"):
        compiled(np.arange(3.0))


def test_compiled_closure_constants_are_passed():
    c = np.arange(4.0)
    compiled = jit(lambda x: x * c).lower(np.ones(4)).compile()
    np.testing.assert_array_equal(compiled(np.full(4, 2.0)), 2 * c)


def test_compiled_executable_rejects_bad_arguments():
    compiled = jit(lambda x, y: x * y).lower(np.ones((2, 3), np.float32),
                                           np.ones((2, 3), np.float32)).compile()
    good = np.ones((2, 3), np.float32)
    for bad in [np.ones((3, 2), np.float32), np.ones((2, 3, 1), np.float32),
                np.ones((2, 3), np.float64), np.ones((2, 3), np.int64), "str", object(),
                [1.0, 2.0], 1.0]:
        with pytest.raises(TypeError):
            compiled(good, bad)
        with pytest.raises(TypeError):
            compiled.executable(good, bad)
    with pytest.raises(TypeError):
        compiled(good)
    with pytest.raises(TypeError):
        compiled.executable(good)
    with pytest.raises(TypeError):
        compiled.executable(good, good, good)
    np.testing.assert_array_equal(compiled(good, good + 1), 2 * good)


def test_dump_dir_writes_every_stage(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_DUMP_DIR", str(tmp_path))
    k = float(np.random.default_rng().integers(1 << 20)) + 0.5    # a jaxpr never compiled before

    def dumped_fn(x):
        return jnp.cos(x) + k
    jit(dumped_fn)(np.ones(5, np.float32))
    files = sorted(os.listdir(tmp_path))
    for ext in (".jaxpr.txt", ".plan.txt", ".ll", ".opt.ll", ".s"):
        match = [f for f in files if f.startswith("dumped_fn") and f.endswith(ext)]
        assert match, (ext, files)
    jaxpr_file = [f for f in files if f.endswith(".jaxpr.txt")][0]
    assert "cos" in (tmp_path / jaxpr_file).read_text()


# ------------------------------------------------------------- bad input

def test_wrong_number_of_arguments_is_type_error():
    jg = jit(lambda x, y: x + y)
    with pytest.raises(TypeError):
        jg(np.ones(2))
    with pytest.raises(TypeError):
        jg(np.ones(2), np.ones(2), np.ones(2))
    with pytest.raises(TypeError):
        jg(np.ones(2), z=np.ones(2))
    np.testing.assert_array_equal(jg(np.ones(2), np.ones(2)), [2.0, 2.0])   # still usable


@pytest.mark.parametrize("bad, tname", [("abc", "str"), (object(), "object"),
                                        (np.array(["a"]), "ndarray"),
                                        (np.ones(2, np.clongdouble), "ndarray")])
def test_invalid_argument_type_names_position_and_type(bad, tname):
    def f(x, y):
        return x
    with pytest.raises(TypeError, match=rf"argument 1 \(y\) of type {tname}") as e:
        jit(f)(np.ones(2), bad)
    assert "static_argnums" in str(e.value)


def test_invalid_leaf_in_pytree_and_kwarg_named():
    jg = jit(lambda p, **kw: p["a"])
    with pytest.raises(TypeError, match=r"argument 0 \(p\), pytree leaf 1 of type str"):
        jg({"a": np.ones(2), "b": "oops"})
    with pytest.raises(TypeError, match=r"keyword argument 'extra' of type object"):
        jg({"a": np.ones(2)}, extra=object())


def test_invalid_output_type_is_type_error():
    with pytest.raises(TypeError, match="returned a value of type str"):
        jit(lambda x: (x, "label"))(np.ones(2))


def test_unhashable_static_argument_is_value_error():
    jg = jit(lambda x, opts: x, static_argnums=1)
    with pytest.raises(ValueError, match="Non-hashable static arguments"):
        jg(np.ones(2), {"a": 1})
    with pytest.raises(ValueError, match="Non-hashable static arguments"):
        jit(lambda x, opts: x, static_argnames="opts")(np.ones(2), opts=[1, 2])


def test_static_arguments_fun_does_not_take_are_value_errors_at_jit_time():
    # JAX's checks and messages, raised by jit itself, before any call
    with pytest.raises(ValueError, match=r"static_argnums=\(3,\), but only accepts 1 "
                                         r"positional arguments"):
        jit(lambda x: x, static_argnums=3)
    with pytest.raises(ValueError, match=r"static_argnums=\(-2,\)"):
        jit(lambda x: x, static_argnums=-2)
    with pytest.raises(ValueError, match=r"invalid argnames \{'y'\} in static_argnames\. "
                                         r"Function does not take these args"):
        jit(lambda x: x, static_argnames="y")
    with pytest.raises(ValueError, match="These are positional-only"):
        jit(eval("lambda x, /, n: x"), static_argnames="x")
    # *args takes any position and **kwargs any name
    np.testing.assert_array_equal(jit(lambda *a: a[0] * a[2], static_argnums=2)(
        np.ones(2), 0, 3), [3.0, 3.0])
    np.testing.assert_array_equal(jit(lambda x, **kw: x * kw["y"], static_argnames="y")(
        np.ones(2), y=4), [4.0, 4.0])


def test_keep_unused_and_inline_are_accepted():
    f = jit(lambda x, unused: x * 2, keep_unused=True)
    np.testing.assert_array_equal(f(np.ones(2), np.zeros(3)), [2.0, 2.0])
    inner = jit(lambda x: x + 1, inline=True)
    np.testing.assert_array_equal(jit(lambda x: inner(x) * 3)(np.ones(2)), [6.0, 6.0])
    np.testing.assert_array_equal(jit(inline=True)(lambda x: -x)(np.ones(1)), [-1.0])


def test_python_if_on_traced_value_is_concretization_error():
    def f(x):
        if x.sum() > 0:   # value-dependent Python branch
            return x
        return -x
    with pytest.raises(jaxlite.ConcretizationTypeError) as e:
        jit(f)(np.ones(3))
    assert isinstance(e.value, TypeError)
    msg = str(e.value)
    assert "if x.sum() > 0:" in msg and "test_jit.py" in msg
    assert "lax.cond" in msg and "static_argnums" in msg
    # the same function is fine eagerly, and with lax.cond under jit
    np.testing.assert_array_equal(f(np.ones(3)), np.ones(3))
    g = jit(lambda x: lax.cond(x.sum() > 0, lambda v: v, lambda v: -v, x))
    np.testing.assert_array_equal(g(-np.ones(3)), np.ones(3))


def test_float_and_int_conversion_of_tracer_are_concretization_errors():
    with pytest.raises(jaxlite.ConcretizationTypeError):
        jit(lambda x: float(x))(np.float32(1.0))
    with pytest.raises(jaxlite.ConcretizationTypeError):
        jit(lambda x: x[: int(x[0])])(np.arange(3))


def test_jit_of_non_callable_and_bad_static_specs():
    with pytest.raises(TypeError, match="callable"):
        jit(5)
    with pytest.raises(TypeError, match="static_argnums"):
        jit(lambda x: x, static_argnums="x")
    with pytest.raises(TypeError, match="static_argnames"):
        jit(lambda x: x, static_argnames=(1,))


def test_error_inside_trace_leaves_jit_usable():
    def f(x, fail):
        if fail:
            raise RuntimeError("user error")
        return x + 1
    jg = jit(f, static_argnums=1)
    with pytest.raises(RuntimeError, match="user error"):
        jg(np.ones(2), True)
    np.testing.assert_array_equal(jg(np.ones(2), False), [2.0, 2.0])
    # the interpreter stack is restored: eager code runs eagerly afterwards
    assert isinstance(jnp.sin(np.ones(2)), jaxlite.Array)


def test_shape_error_inside_trace_is_type_error_naming_shapes():
    with pytest.raises(TypeError, match=r"3.*4|4.*3"):
        jit(lambda x, y: lax.add(x, y))(np.ones(3, np.float32), np.ones(4, np.float32))


def test_python_int_out_of_int32_range_is_clean_error():
    jg = jit(lambda x, n: x + n)
    with pytest.raises((OverflowError, TypeError)):
        jg(np.ones(2, np.int32), 2 ** 40)


def test_fast_path_survives_compiler_cache_eviction(monkeypatch):
    import gc
    from jaxlite.compiler import cache
    monkeypatch.setattr(cache, "MEMORY_LIMIT", 2)
    f = jaxlite.jit(lambda x: jnp.sin(x) * 3.0 + 1.0)
    x = np.linspace(0.0, 1.0, 9)
    want = np.sin(x) * 3.0 + 1.0
    np.testing.assert_allclose(f(x), want)
    np.testing.assert_allclose(f(x), want)          # the fast path now
    for k in range(6):                                # evict f's executable
        jaxlite.jit(lambda x, k=k: x * float(k + 2))(x)
    gc.collect()
    for _ in range(3):
        np.testing.assert_allclose(f(x), want)


def test_disable_jit_runs_python_op_by_op():
    seen = []

    @jit
    def f(x):
        seen.append(type(x).__name__)
        return jnp.sin(x) * 2.0
    x = np.linspace(0.0, 1.0, 5)
    f(x)
    f(x)
    assert len(seen) == 1                      # traced once, then compiled code
    with jaxlite.disable_jit():
        np.testing.assert_allclose(f(x), np.sin(x) * 2.0)
        np.testing.assert_allclose(jaxlite.grad(lambda v: f(v).sum())(x), 2 * np.cos(x))
    assert "Tracer" not in seen[1] and len(seen) == 3   # concrete values inside
    f(x)
    assert len(seen) == 3                      # jit is back
    with jaxlite.disable_jit(False):
        f(x)
    assert len(seen) == 3


def test_lower_takes_shape_dtype_structs():
    s = jaxlite.ShapeDtypeStruct((3, 4), np.float32)
    low = jit(lambda x, y: jnp.sin(x) @ y).lower(s, jaxlite.ShapeDtypeStruct((4,), np.float32))
    assert "a:f32[3,4] b:f32[4]" in low.as_text()
    x, y = np.ones((3, 4), np.float32), np.arange(4, dtype=np.float32)
    np.testing.assert_allclose(low.compile()(x, y), np.sin(x) @ y, rtol=1e-6)
    with pytest.raises(TypeError, match="ShapeDtypeStruct"):
        jit(lambda x: x + 1)(s)                 # abstract values cannot be run


def test_eval_shape_method_and_out_info():
    S = jaxlite.ShapeDtypeStruct
    f = jit(lambda x, n: {"y": jnp.matmul(x, x.T) * n, "s": jnp.sum(x)}, static_argnums=1)
    x = np.ones((2, 3), np.float32)
    want = {"y": S((2, 2), np.float32), "s": S((), np.float32)}
    assert f.eval_shape(x, 3) == want
    assert f.lower(x, 3).out_info == want
    assert f.eval_shape(S((4, 5), np.float32), 2)["y"] == S((4, 4), np.float32)
    assert jit(lambda a: a * 2).eval_shape(1.0) == S((), np.float32, weak_type=True)
