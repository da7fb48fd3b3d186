"""JAX's device, caching and annotation API on a single-CPU system.

jaxlite runs on one CPU "device", so device placement is a copy into a jaxlite
``Array`` and naming annotations are no-ops (checkpoint / remat, re-exported
here, is a real primitive: jaxlite/rematerialize.py). They exist so that code
written for JAX runs unchanged.
"""
import contextlib
import os
import platform
import sys

import numpy as np

from jaxlite import core, dtypes, jit_primitive, tree_util
from jaxlite.jit import clear_shared_caches
from jaxlite.interpreters import partial_eval as pe
from jaxlite.lax import jaxpr_transforms
from jaxlite.stages import ShapeDtypeStruct, abstract_aval
from jaxlite.rematerialize import checkpoint, checkpoint_policies, remat  # noqa: F401

float0 = dtypes.float0    # the cotangent dtype of integer inputs (grad's allow_int)


# -------------------------------------------------------------------- devices

class CpuDevice:
    """The one device jaxlite computes on."""
    id = 0
    platform = "cpu"
    device_kind = "cpu"
    process_index = 0
    host_id = 0
    client = None

    def __repr__(self):
        return f"CpuDevice(id={self.id})"

    def __str__(self):
        return "TFRT_CPU_0"


_CPU = CpuDevice()


def _check_backend(backend):
    if backend is None:
        return
    name = getattr(backend, "platform", backend)
    if name != "cpu":
        raise RuntimeError(f"Unknown backend {name!r}: jaxlite has only the 'cpu' backend")


def devices(backend=None):
    """The devices of ``backend`` (jaxlite: one CPU device)."""
    _check_backend(backend)
    return [_CPU]


def local_devices(process_index=None, backend=None, host_id=None):
    _check_backend(backend)
    index = process_index if process_index is not None else host_id
    if index not in (None, 0):
        raise ValueError(f"process_index {index} is out of range: jaxlite runs one process")
    return [_CPU]


def device_count(backend=None):
    _check_backend(backend)
    return 1


def local_device_count(backend=None):
    _check_backend(backend)
    return 1


def process_index(backend=None):
    _check_backend(backend)
    return 0


def process_count(backend=None):
    _check_backend(backend)
    return 1


def default_backend():
    return "cpu"


def host_id(backend=None):
    return process_index(backend)


def host_count(backend=None):
    return process_count(backend)


def process_indices(backend=None):
    return list(range(process_count(backend)))


@contextlib.contextmanager
def default_device(device):
    """``with jax.default_device(d):``: jaxlite's one CPU device is always the default,
    so ``d`` must be that device (or None, or "cpu")."""
    if device is not None and getattr(device, "platform", device) != "cpu":
        raise ValueError(f"default_device: jaxlite has only its CPU device, got {device!r}")
    yield


def print_environment_info(return_string=False):
    """The versions of jaxlite and its dependencies, and the machine (JAX's helper)."""
    # why local: importlib.metadata takes milliseconds to import, for a rare call
    import importlib.metadata
    lines = []
    for dist in ("jaxlite", "numpy", "llvmlite", "scipy", "mpi4py"):
        try:
            lines.append(f"{dist + ':':9} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    lines += [f"python:   {sys.version.split()[0]}", f"machine:  {platform.machine()}, "
              f"{os.cpu_count()} cores", f"device:   {devices()}"]
    text = "\n".join(lines)
    if return_string:
        return text
    print(text)


class SingleDeviceSharding:
    """Where an array lives: wholly on one device (the only sharding jaxlite has)."""

    def __init__(self, device, *, memory_kind=None):
        self._device = device
        self.memory_kind = memory_kind or "device"

    @property
    def device_set(self):
        return {self._device}

    @property
    def addressable_devices(self):
        return {self._device}

    is_fully_replicated = True
    is_fully_addressable = True
    num_devices = 1

    def __eq__(self, other):
        return isinstance(other, SingleDeviceSharding) and other._device == self._device

    def __hash__(self):
        return hash(("SingleDeviceSharding", self._device))

    def __repr__(self):
        return f"SingleDeviceSharding(device={self._device!r}, memory_kind={self.memory_kind})"


_SHARDING = SingleDeviceSharding(_CPU)
# JAX's placement attributes of an array, installed here (core, below this layer,
# does not know devices): every jaxlite array is on the one CPU device.
core.Array.devices = lambda self: {_CPU}
core.Array.device = property(lambda self: _CPU)
core.Array.sharding = property(lambda self: _SHARDING)


def typeof(x):
    """The abstract value (ShapedArray: shape, dtype, weak type) of an array or scalar."""
    if isinstance(x, (list, tuple, dict)):
        raise TypeError(f"typeof: expected an array or scalar, got {type(x).__name__}")
    return core.get_aval(x)


def _check_device(device):
    if device is not None and not isinstance(device, CpuDevice):
        raise TypeError(f"device_put: device must be None or a device from "
                        f"jaxlite.devices(), got {type(device).__name__}: {device!r}")


def _put_leaf(x):
    if isinstance(x, core.Tracer) or type(x) is core.Array:
        return x            # already on the device (jaxlite arrays are immutable)
    aval = core.get_aval(x)
    # A private copy, so later mutation of a user's numpy array cannot reach it.
    return core.wrap(np.array(x, dtype=aval.dtype, copy=True))


def device_put(x, device=None, *, src=None, donate=False, may_alias=None):
    """Every leaf of the pytree ``x`` as a jaxlite array on the CPU device."""
    _check_device(device)
    return tree_util.tree_map(_put_leaf, x)


def _get_leaf(x):
    # As in JAX: tracers and leaves without __array__ (Python scalars, strings)
    # pass through; arrays become plain, writable numpy arrays.
    if isinstance(x, core.Tracer) or not hasattr(x, "__array__"):
        return x
    return np.array(x, copy=True)


def device_get(x):
    """The pytree ``x`` with its arrays as numpy arrays on the host."""
    return tree_util.tree_map(_get_leaf, x)


# ------------------------------------------------------------------- naming

def named_call(fun, *, name=None):
    """``fun`` itself: JAX uses the name only to label the compiled program."""
    if not callable(fun):
        raise TypeError(f"named_call: expected a callable, got {fun!r}")
    return fun


@contextlib.contextmanager
def named_scope(name):
    """A no-op context manager (JAX uses the name only in profiles)."""
    if not isinstance(name, str):
        raise TypeError(f"named_scope name argument must be a string, got {name!r}")
    yield


# ----------------------------------------------------------- abstract values

def eval_shape(fun, *args, **kwargs):
    """The shapes and dtypes of ``fun``'s outputs as a pytree of ShapeDtypeStruct,
    computed by tracing, never by running ``fun``. Arguments may be arrays,
    scalars, ShapeDtypeStruct or ShapedArray leaves."""
    flat, in_tree = tree_util.tree_flatten((args, kwargs))
    store = {}

    def flat_fun(*xs):
        a, k = tree_util.tree_unflatten(in_tree, xs)
        out_flat, store["tree"] = tree_util.tree_flatten(fun(*a, **k))
        return out_flat
    closed = pe.trace_flat(flat_fun, [abstract_aval(x) for x in flat])
    outs = [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
            for a in closed.out_avals]
    return tree_util.tree_unflatten(store["tree"], outs)


def effects_barrier():
    """Wait until every pending side effect (debug.print, debug.callback) has
    run. jaxlite runs callbacks synchronously, inside the call that triggers
    them, so there is never anything to wait for; JAX programs call this
    before reading what their callbacks recorded."""


# --------------------------------------------------------------------- caches

def clear_caches():
    """Drop the module-level jit and compiler caches: the executables kept per
    jaxpr, the transformed (jvp / partial-eval / transpose / vmap) jaxprs, and
    the compiler's in-memory executable cache, and the transformed bodies of
    control-flow primitives. The on-disk cache stays (it is
    keyed by LLVM IR, so it cannot go stale). Each jitted function's own
    trace and call caches (shared by every jit of one Python function) are
    emptied too."""
    clear_shared_caches()
    jit_primitive.clear_caches()
    jaxpr_transforms.clear_caches()
    cache = sys.modules.get("jaxlite.compiler.cache")   # not imported yet: nothing compiled
    if cache is not None:
        cache.clear_memory()
