"""The public API: every name the issues promise exists, and every public
name of jaxlite's modules is exercised by some test file."""
import jaxlite.numpy as jnp
from jaxlite import nn, tree_util

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
