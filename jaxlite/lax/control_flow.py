"""Structured control flow as primitives holding jaxprs: cond / switch
(jaxlite/lax/_cond.py) and while_loop / fori_loop / scan / map
(jaxlite/lax/_loops.py). Each body or branch is traced once; every transform
(jvp, linearize/grad, vmap, jit) transforms the jaxprs, never the Python."""
from jaxlite.lax._cond import cond, cond_p, switch
from jaxlite.lax._loops import fori_loop, map, scan, scan_p, while_loop, while_p

__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "map",
           "cond_p", "while_p", "scan_p"]
