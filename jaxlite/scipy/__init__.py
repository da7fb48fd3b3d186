"""jaxlite.scipy: SciPy-style functions over jaxlite.numpy, as jax.scipy.

``special``, ``stats`` and ``optimize`` are imported with the package (a few
milliseconds, nothing compiled), so ``jaxlite.scipy.special.logsumexp``
works after ``import jaxlite`` as in JAX. The other submodules (``linalg``,
``signal``, ``fft``, ``integrate``, ``ndimage``, ``interpolate``, ``sparse``,
``cluster``) are imported on first attribute access, as JAX's lazy loader
does: ``jaxlite.scipy.signal.convolve`` works without importing it by name,
and ``import jaxlite`` does not pay for them.
"""
from importlib import import_module as _import_module, util as _importlib_util

from jaxlite.scipy import special, stats, optimize  # noqa: F401

# Submodules loaded by the module __getattr__ below; a name whose module is not
# (yet) part of jaxlite raises AttributeError as any missing attribute does.
_LAZY = ("cluster", "fft", "integrate", "interpolate", "linalg", "ndimage", "signal",
         "sparse", "spatial")


def __getattr__(name):
    if name in _LAZY:
        try:
            # import_module also binds the submodule as an attribute of this package,
            # so __getattr__ runs once per name.
            return _import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise           # the submodule exists but something it imports does not
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {n for n in _LAZY
                                    if _importlib_util.find_spec(f"{__name__}.{n}")})
