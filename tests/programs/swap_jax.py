"""Run a JAX program on jaxlite: ``python tests/programs/swap_jax.py prog.py [args]``.

The programs in this folder are plain JAX programs (``import jax``,
``import jax.numpy as jnp``, ``from jax import lax`` ...). This runner makes
every ``jax`` module name resolve to the jaxlite module of the same path
(``jax.scipy.special`` is ``jaxlite.scipy.special``), which is what swapping
the imports by hand does, then runs the program as ``__main__``. Run the same
file with plain ``python`` where JAX is installed to check it is valid JAX.
"""
import importlib
import importlib.abc
import importlib.util
import runpy
import sys


class _SwapFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``jax`` and ``jax.*`` -> the already importable ``jaxlite`` and ``jaxlite.*``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "jax" and not fullname.startswith("jax."):
            return None
        target = "jaxlite" + fullname[len("jax"):]
        if importlib.util.find_spec(target) is None:
            return None          # the program then fails with ModuleNotFoundError
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module("jaxlite" + spec.name[len("jax"):])

    def exec_module(self, module):
        pass                     # already executed under its jaxlite name


def install():
    sys.meta_path.insert(0, _SwapFinder())


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    install()
    program = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(program, run_name="__main__")
