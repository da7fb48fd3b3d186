"""Structured control flow as primitives holding jaxprs: cond / switch
(lax/_cond.py), while_loop / fori_loop (lax/_while.py) and scan / map
(lax/_scan.py). Each body or branch is traced once; every transform (jvp,
linearize/grad, vmap, jit) transforms the jaxprs, never the Python.
associative_scan (lax/_assoc_scan.py) is plain lax code, not a primitive."""
from jaxlite import core, tree_util
from jaxlite.lax._assoc_scan import associative_scan
from jaxlite.lax._cond import cond, cond_p, switch
from jaxlite.lax._scan import map, scan, scan_p
from jaxlite.lax._while import fori_loop, while_loop, while_p

__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "map", "associative_scan",
           "optimization_barrier",
           "cond_p", "while_p", "scan_p"]


def optimization_barrier(operand):
    """The operand pytree unchanged (its leaves as arrays). In JAX it only
    constrains XLA's scheduling (no work moves across it); the values are
    the operand's, so here it is the identity under every transform."""
    return tree_util.tree_map(lambda x: x if isinstance(x, core.Tracer) else core.wrap(x),
                              operand)
