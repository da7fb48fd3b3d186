"""jaxlite: JAX's programming model on numpy and llvmlite."""
from jaxlite import lax, numpy, tree_util, tree, nn, random, debug  # noqa: F401
from jaxlite.api import (grad, value_and_grad, jvp, vjp, linearize, jacfwd, jacrev,  # noqa: F401
                         hessian, vmap, make_jaxpr, block_until_ready, linear_transpose,
                         closure_convert)
from jaxlite.jit import jit, disable_jit  # noqa: F401
from jaxlite.callbacks import pure_callback  # noqa: F401
from jaxlite.custom_derivatives import custom_jvp, custom_vjp, custom_gradient  # noqa: F401
from jaxlite.core import Array, ConcretizationTypeError  # noqa: F401
from jaxlite.lax import stop_gradient  # noqa: F401
from jaxlite._config import config, enable_checks, enable_x64  # noqa: F401
from jaxlite._api_extras import (  # noqa: F401
    devices, local_devices, device_count, local_device_count, process_index, process_count,
    default_backend, device_put, device_get, checkpoint, remat, checkpoint_policies,
    named_call, named_scope, ShapeDtypeStruct, eval_shape, clear_caches, float0, typeof,
    effects_barrier, host_id, host_count, process_indices, default_device,
    print_environment_info)
from jaxlite.api import jacrev as jacobian  # noqa: F401  (JAX's alias)
from jaxlite import test_util, flatten_util, typing  # noqa: F401
from jaxlite import experimental, errors, ops  # noqa: F401
from jaxlite import debugging  # noqa: F401  (installs the debugging switches)
from jaxlite._config import (  # noqa: F401  (JAX's context-manager names)
    debug_nans_mode as debug_nans, debug_infs_mode as debug_infs,
    checked_mode_on as checked_mode, log_compiles_mode as log_compiles,
    explain_cache_misses_mode as explain_cache_misses)
from jaxlite import scipy  # noqa: F401
from jaxlite import distributed  # noqa: F401  (mpi4py is imported by initialize() only)

__version__ = "0.1.0"
