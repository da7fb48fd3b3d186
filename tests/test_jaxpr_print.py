"""The printed jaxpr is a contract: golden strings, plus typecheck / eval /
DCE of the IR the transforms produce."""
import collections
import textwrap

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import ir, lax, nn, tree_util

F32 = np.ones(3, np.float32)


def golden(text):
    return textwrap.dedent(text).strip("\n")


def show(f, *args, **kw):
    closed = jaxlite.make_jaxpr(f, **kw)(*args)
    ir.typecheck(closed.jaxpr)
    return str(closed)


def test_one_line():
    assert show(lax.sin, F32) == "{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }"


def test_multi_line_with_literal():
    assert show(lambda x, y: lax.add(lax.mul(x, 2.0), y), F32, F32) == golden("""
        { lambda ; a:f32[3] b:f32[3]. let
            c:f32[3] = mul a 2.0:f32[]
            d:f32[3] = add c b
          in (d,) }""")


def test_params_in_brackets():
    assert show(lambda x: lax.reduce_sum(lax.exp(x), (0,)), F32) == golden("""
        { lambda ; a:f32[3]. let
            b:f32[3] = exp a
            c:f32[] = reduce_sum[axes=(0,)] b
          in (c,) }""")
    assert show(lambda x: lax.convert_element_type(x, np.int32), F32) == golden("""
        { lambda ; a:f32[3]. let
            b:i32[3] = convert_element_type[new_dtype=int32 weak_type=False] a
          in (b,) }""")


def test_literals_of_each_dtype():
    assert show(lambda x: lax.eq(x, True), np.ones(2, bool)) == \
        "{ lambda ; a:bool[2]. let b:bool[2] = eq a True:bool[] in (b,) }"
    assert show(lambda x: lax.add(x, 3), np.ones(2, np.int32)) == \
        "{ lambda ; a:i32[2]. let b:i32[2] = add a 3:i32[] in (b,) }"
    assert show(lambda x: lax.mul(x, 0.5), np.ones(2)) == \
        "{ lambda ; a:f64[2]. let b:f64[2] = mul a 0.5:f64[] in (b,) }"


def test_float_literals_print_at_their_precision():
    assert show(jaxlite.grad(lax.exp2), np.float32(1.0)) == golden("""
        { lambda ; a:f32[]. let
            b:f32[] = exp2 a
            c:f32[] = mul b 0.6931472:f32[]
            d:f32[] = mul 1.0:f32[] c
          in (d,) }""")
    assert "mul a 1e-30:f32[]" in show(lambda x: lax.mul(x, np.float32(1e-30)), F32)
    assert "mul a inf:f32[]" in show(lambda x: lax.mul(x, float("inf")), F32)


def test_select_n_and_comparison():
    assert show(lambda x: lax.select_n(lax.gt(x, 0.0), x, lax.neg(x)), F32) == golden("""
        { lambda ; a:f32[3]. let
            b:bool[3] = gt a 0.0:f32[]
            c:f32[3] = neg a
            d:f32[3] = select_n b a c
          in (d,) }""")


def test_no_equations_and_literal_outputs():
    assert show(lambda x: x, F32) == "{ lambda ; a:f32[3]. let  in (a,) }"
    assert show(lambda x: (x, 1.0), F32) == "{ lambda ; a:f32[3]. let  in (a, 1.0:f32[]) }"


def test_array_constants_become_constvars():
    c = np.arange(3.0, dtype=np.float32)
    closed = jaxlite.make_jaxpr(lambda x: lax.add(x, c))(F32)
    assert str(closed) == "{ lambda a:f32[3]; b:f32[3]. let c:f32[3] = add b a in (c,) }"
    np.testing.assert_array_equal(closed.consts[0], c)


def test_static_argnums():
    assert show(lambda x, n: lax.integer_pow(x, n), F32, 3, static_argnums=1) == \
        "{ lambda ; a:f32[3]. let b:f32[3] = integer_pow[y=3] a in (b,) }"
    assert show(lambda n, x: lax.integer_pow(x, n), 2, F32, static_argnums=(0,)) == \
        "{ lambda ; a:f32[3]. let b:f32[3] = integer_pow[y=2] a in (b,) }"


def test_pytree_arguments_flatten_in_key_order():
    assert show(lambda d: lax.sub(d["b"], d["a"]), {"b": F32, "a": F32}) == \
        "{ lambda ; a:f32[3] b:f32[3]. let c:f32[3] = sub b a in (c,) }"


def test_grad_jaxpr_has_no_symbolic_zero_junk():
    text = show(jaxlite.grad(lambda x: lax.sin(x)), 1.0)
    assert text == golden("""
        { lambda ; a:f32[]. let
            b:f32[] = cos a
            c:f32[] = mul 1.0:f32[] b
          in (c,) }""")
    # f(x, y) = sin(x) + y: no tangent work for y leaks into d/dx.
    text = show(jaxlite.grad(lambda x, y: lax.add(lax.sin(x), y)), 1.0, 2.0)
    assert text == golden("""
        { lambda ; a:f32[] b:f32[]. let
            c:f32[] = cos a
            d:f32[] = mul 1.0:f32[] c
          in (d,) }""")
    for f in (lambda x: lax.mul(lax.exp(x), lax.stop_gradient(x)),
              lambda x: lax.add(lax.mul(x, x), lax.floor(x)),
              lambda x: lax.mul(lax.sin(x), lax.convert_element_type(lax.gt(x, 0.0), F32.dtype))):
        closed = jaxlite.make_jaxpr(jaxlite.grad(f))(1.0)
        assert not _multiplies_by_zero(closed.jaxpr), str(closed)
        assert "broadcast_in_dim" not in str(closed)


def _multiplies_by_zero(jaxpr):
    zero_vars = set()
    for e in jaxpr.eqns:
        lits = [a for a in e.inputs if type(a) is ir.Literal]
        if e.prim.name == "mul" and (any(np.all(np.asarray(a.val) == 0) for a in lits)
                                     or any(a in zero_vars for a in e.inputs)):
            return True
        if e.prim.name == "broadcast_in_dim" and lits and np.all(np.asarray(lits[0].val) == 0):
            zero_vars.add(e.outvars[0])
    return False


@pytest.mark.parametrize("f", [
    lambda x: lax.reduce_sum(lax.select_n(lax.gt(x, 0.0), x, lax.sin(x)), (0,)),
    lambda x: lax.reduce_sum(lax.mul(lax.sin(x), lax.stop_gradient(lax.cos(x))), (0,)),
    lambda x: lax.reduce_sum(lax.max(x, lax.mul(x, 0.5)), (0,)),
    lambda x: lax.reduce_sum(lax.pow(lax.exp(x), 2.0), (0,)),
])
def test_grad_jaxpr_never_multiplies_by_zero(f):
    closed = jaxlite.make_jaxpr(jaxlite.grad(f))(F32)
    ir.typecheck(closed.jaxpr)
    assert not _multiplies_by_zero(closed.jaxpr), str(closed)


def test_grad_of_sum_of_squares():
    assert show(jaxlite.grad(lambda x: lax.reduce_sum(lax.mul(x, x), (0,))), F32) == golden("""
        { lambda ; a:f32[3]. let
            b:f32[3] = broadcast_in_dim[broadcast_dimensions=() shape=(3,)] 1.0:f32[]
            c:f32[3] = mul a b
            d:f32[3] = mul b a
            e:f32[3] = add c d
          in (e,) }""")


def test_nested_jaxpr_param_is_indented():
    g = jaxlite.jit(lambda x: lax.cos(lax.sin(x)))
    assert show(lambda x: lax.neg(g(x)), F32) == golden("""
        { lambda ; a:f32[3]. let
            b:f32[3] = jit[
              jaxpr={ lambda ; c:f32[3]. let
                  d:f32[3] = sin c
                  e:f32[3] = cos d
                in (e,) }
              name=<lambda>
            ] a
            f:f32[3] = neg b
          in (f,) }""")


def test_vmap_jaxpr():
    assert show(jaxlite.vmap(lambda x, y: lax.mul(x, y), in_axes=(0, None)),
                np.ones((2, 3), np.float32), F32) == golden("""
        { lambda ; a:f32[2,3] b:f32[3]. let
            c:f32[2,3] = broadcast_in_dim[broadcast_dimensions=(1,) shape=(2, 3)] b
            d:f32[2,3] = mul a c
          in (d,) }""")


def test_many_variables_get_multi_letter_names():
    def f(x):
        for _ in range(30):
            x = lax.sin(x)
        return x
    text = show(f, 1.0)
    assert "ba:f32[] = sin z" in text and "be:f32[] = sin bd" in text and "aa" not in text


def test_source_lines_recorded():
    closed = jaxlite.make_jaxpr(lambda x: lax.sin(x))(1.0)
    src = closed.jaxpr.eqns[0].source
    assert "test_jaxpr_print.py" in str(src)
    assert "# test_jaxpr_print.py" in ir.pp_jaxpr(closed.jaxpr, source=True)


# ------------------------------------------------------- IR operations

@pytest.mark.parametrize("f,args", [
    (jaxlite.grad(lambda x: lax.reduce_sum(lax.mul(lax.sin(x), x), (0,))), (np.ones(3),)),
    (jaxlite.vmap(jaxlite.grad(lambda x: lax.mul(lax.exp(x), x))), (np.ones(3),)),
    (jaxlite.jacfwd(lambda x: lax.tanh(x)), (np.ones(3),)),
    (jaxlite.hessian(lambda x: lax.reduce_sum(lax.mul(x, lax.sin(x)), (0,))), (np.ones(2),)),
])
def test_transformed_jaxprs_typecheck_and_evaluate(f, args):
    closed = jaxlite.make_jaxpr(f)(*args)
    ir.typecheck(closed.jaxpr)
    got = closed(*args)
    np.testing.assert_allclose(got[0], f(*args))


def test_typecheck_catches_a_wrong_declared_type():
    closed = jaxlite.make_jaxpr(lax.sin)(F32)
    eqn = closed.jaxpr.eqns[0]
    bad = ir.Var(jaxlite.core.ShapedArray((4,), np.float32))
    jaxpr = ir.Jaxpr([], closed.jaxpr.invars, [eqn.replace(outvars=[bad])], [bad])
    with pytest.raises(TypeError, match="sin"):
        ir.typecheck(jaxpr)


def test_dce_drops_unused_equations():
    closed = jaxlite.make_jaxpr(lambda x: (lax.sin(x), lax.cos(x)))(F32)
    j = ir.dce(closed.jaxpr, [True, False])
    assert [e.prim.name for e in j.eqns] == ["sin"]
    assert len(j.outvars) == 1


def test_eval_jaxpr_argument_count_error():
    closed = jaxlite.make_jaxpr(lax.add)(F32, F32)
    with pytest.raises(TypeError, match="expected 2 arguments, got 1"):
        closed(F32)


# ------------------------------------------------------- jaxprs of jnp code

def test_golden_jaxprs_of_jnp_code():
    x = np.ones((2, 3), np.float32)
    assert show(lambda a: jnp.mean(a, axis=1), x) == golden("""
        { lambda ; a:f32[2,3]. let
            b:f32[2] = reduce_sum[axes=(1,)] a
            c:f32[2] = div b 3.0:f32[]
          in (c,) }""")
    assert show(lambda a: jnp.where(a > 0, a, 0.0), x) == golden("""
        { lambda ; a:f32[2,3]. let
            b:bool[2,3] = gt a 0.0:f32[]
            c:f32[2,3] = broadcast_in_dim[broadcast_dimensions=() shape=(2, 3)] 0.0:f32[]
            d:f32[2,3] = select_n b c a
          in (d,) }""")
    assert show(lambda a, b: jnp.einsum("ij,kj->ik", a, b), x, x) == golden("""
        { lambda ; a:f32[2,3] b:f32[2,3]. let
            c:f32[2,2] = dot_general[dimension_numbers=(((1,), (1,)), ((), ())) \
preferred_element_type=None] a b
          in (c,) }""")
    assert show(lambda a: jnp.sum(a), np.arange(3, dtype=np.int32)) == \
        "{ lambda ; a:i32[3]. let b:i32[] = reduce_sum[axes=(0,)] a in (b,) }"
    assert show(lambda a: nn.relu(a) * 2, x) == golden("""
        { lambda ; a:f32[2,3]. let
            b:bool[2,3] = gt a 0.0:f32[]
            c:bool[2,3] = ne a a
            d:f32[2,3] = stop_gradient a
            e:f32[2,3] = broadcast_in_dim[broadcast_dimensions=() shape=(2, 3)] 0.0:f32[]
            f:f32[2,3] = select_n c e d
            g:f32[2,3] = select_n b f a
            h:f32[2,3] = mul g 2.0:f32[]
          in (h,) }""")
    # A repeated static index: one gather-combine-scatter round per repetition.
    assert show(lambda a, v: a.at[np.array([0, 0])].mul(v), np.ones(3, np.float32),
                 np.ones(2, np.float32)) == golden("""
        { lambda a:i32[2,1] b:i32[2,1]; c:f32[3] d:f32[2]. let
            e:f32[2] = gather[axes=(0,)] c a
            f:f32[2] = mul e d
            g:f32[3] = scatter[axes=(0,)] c a f
            h:f32[2] = gather[axes=(0,)] g b
            i:f32[2] = mul h d
            j:f32[3] = scatter[axes=(0,)] g b i
          in (j,) }""")


def test_golden_jaxprs_of_operators_indexing_and_pytree_outputs():
    i, f = np.arange(3, dtype=np.int32), np.ones(3, np.float32)
    # int32 < float32 compares in float32; a weak int literal stays int32
    assert show(lambda x, y: (x < y) & (x != 0), i, f) == golden("""
        { lambda ; a:i32[3] b:f32[3]. let
            c:f32[3] = convert_element_type[new_dtype=float32 weak_type=False] a
            d:bool[3] = lt c b
            e:bool[3] = ne a 0:i32[]
            f:bool[3] = and d e
          in (f,) }""")
    # int32 + a Python float is a weakly typed float32
    assert show(lambda x: (x + 1.5) * 2, i) == golden("""
        { lambda ; a:i32[3]. let
            b:f32[3] = convert_element_type[new_dtype=float32 weak_type=True] a
            c:f32[3] = add b 1.5:f32[]
            d:f32[3] = mul c 2.0:f32[]
          in (d,) }""")
    assert show(lambda x: x[1:, ::-1], np.ones((3, 4), np.float32)) == golden("""
        { lambda ; a:f32[3,4]. let
            b:f32[3,4] = rev[dimensions=(1,)] a
            c:f32[2,4] = slice[limit_indices=(3, 4) start_indices=(1, 0) strides=None] b
          in (c,) }""")
    # outputs flatten in sorted key order; a static Python int is a literal output
    d = {"b": np.ones((3, 2), np.float32), "a": np.ones((2, 3), np.float32)}
    assert show(lambda t: {"s": t["a"] @ t["b"], "n": t["a"].shape[0]}, d) == golden("""
        { lambda ; a:f32[2,3] b:f32[3,2]. let
            c:f32[2,2] = dot_general[dimension_numbers=(((1,), (0,)), ((), ())) \
preferred_element_type=None] a b
          in (2:i32[], c) }""")


Params = collections.namedtuple("Params", ["w", "b"])


def test_make_jaxpr_static_argnums_over_pytrees():
    def f(p, n, d):
        return {"y": jnp.tile(p.w, n) + d["s"], "z": p.b * n}

    p = Params(np.ones(2, np.float32), np.zeros(2, np.float32))
    d = {"s": np.float32(1)}
    text = golden("""
        { lambda ; a:f32[2] b:f32[2] c:f32[]. let
            d:f32[2,2] = broadcast_in_dim[broadcast_dimensions=(1,) shape=(2, 2)] a
            e:f32[4] = reshape[dimensions=None new_sizes=(4,)] d
            f:f32[4] = add e c
            g:f32[2] = mul b 2.0:f32[]
          in (f, g) }""")
    assert show(f, p, 2, d, static_argnums=(1,)) == text
    assert show(f, p, 2, d, static_argnums=-2) == text
    closed = jaxlite.make_jaxpr(f, static_argnums=1)(p, 3, d)
    assert [a.shape for a in closed.out_avals] == [(6,), (2,)]
    out = ir.eval_jaxpr(closed.jaxpr, closed.consts, *tree_util.tree_leaves((p, d)))
    ref = f(p, 3, d)
    np.testing.assert_allclose(out[0], ref["y"])
    np.testing.assert_allclose(out[1], ref["z"])
    # A static tuple that changes the structure of the computation.
    g = lambda x, axes: jnp.sum(x, axis=axes)
    x = np.ones((2, 3, 4), np.float32)
    assert "reduce_sum[axes=(0, 2)]" in show(g, x, (0, 2), static_argnums=1)
    assert "reduce_sum[axes=(1,)]" in show(g, x, (1,), static_argnums=1)
