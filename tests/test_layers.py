"""The import rule (docs/ARCHITECTURE.md): layers import only downward, no module
reads another's private names, and the public namespaces show only their API."""
import types

import jaxlite


def test_lax_namespace_is_the_api_only():
    lax = jaxlite.lax
    modules = [k for k in dir(lax) if isinstance(getattr(lax, k), types.ModuleType)]
    assert modules == []
    stray = {"np", "math", "core", "ad", "batching", "dtypes", "tree_util", "builtins",
             "ShapedArray", "Zero", "is_undef", "standard_primitive", "promote_weak",
             "normalize_axis", "check_dtype"}
    assert stray.isdisjoint(dir(lax))
    public = [k for k in dir(lax) if not k.startswith("_")]
    assert all(callable(getattr(lax, k)) or isinstance(getattr(lax, k), jaxlite.core.Primitive)
               for k in public)
    for name in ("add", "reduce_sum", "dot_general", "gather", "sort", "cond", "scan",
                 "add_p", "broadcast_in_dim_p"):
        assert name in public
    # The submodules stay importable by their full names.
    from jaxlite.lax import elementwise
    assert elementwise.add is lax.add
