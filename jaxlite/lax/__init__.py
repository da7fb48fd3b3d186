"""jaxlite.lax: the primitives' public wrappers, mirroring jax.lax."""
from jaxlite.lax.elementwise import *  # noqa: F401,F403
from jaxlite.lax.structural import *  # noqa: F401,F403
from jaxlite.lax.reductions import *  # noqa: F401,F403
from jaxlite.lax.dot import *  # noqa: F401,F403
from jaxlite.lax.indexing import *  # noqa: F401,F403
from jaxlite.lax.sorting import *  # noqa: F401,F403
from jaxlite.lax.control_flow import cond, switch, fori_loop, while_loop, scan  # noqa: F401
from jaxlite.lax.elementwise import abs, max, min, pow, round  # noqa: F401  (shadow builtins)
