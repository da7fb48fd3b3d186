"""jaxlite.lax: the primitives and their public wrappers, mirroring jax.lax.

Each submodule lists its public names in ``__all__``; the submodules themselves
are implementation, so they are removed from this namespace (as ``jax.lax``
shows no ``numpy`` or ``core``). Import them by their full names.
"""
from jaxlite.lax.elementwise import *  # noqa: F401,F403
from jaxlite.lax.complex_ops import *  # noqa: F401,F403
from jaxlite.lax.bits import *  # noqa: F401,F403
from jaxlite.lax.structural import *  # noqa: F401,F403
from jaxlite.lax.reductions import *  # noqa: F401,F403
from jaxlite.lax.dot import *  # noqa: F401,F403
from jaxlite.lax.convolution import *  # noqa: F401,F403
from jaxlite.lax.windowed import *  # noqa: F401,F403
from jaxlite.lax.indexing import *  # noqa: F401,F403
from jaxlite.lax.sorting import *  # noqa: F401,F403
from jaxlite.lax.fft_ops import *  # noqa: F401,F403
from jaxlite.lax.control_flow import *  # noqa: F401,F403
from jaxlite.lax.solvers import *  # noqa: F401,F403
from jaxlite.lax.special import *  # noqa: F401,F403
from jaxlite.lax.parallel import *  # noqa: F401,F403
from jaxlite.lax.extras import *  # noqa: F401,F403
from types import ModuleType as _ModuleType


def _drop_submodules(namespace):
    for name in [n for n, v in namespace.items() if isinstance(v, _ModuleType)]:
        del namespace[name]


_drop_submodules(globals())
del _drop_submodules, _ModuleType
# The one public submodule, as jax.lax.linalg (its names stay out of this namespace).
from jaxlite.lax import linalg  # noqa: E402
del linalg_eig  # noqa: F821  (bound by linalg's import of it; implementation, as the others)
