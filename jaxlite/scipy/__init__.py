"""jaxlite.scipy: SciPy-style functions over jaxlite.numpy, as jax.scipy.

``special``, ``stats`` and ``optimize`` are imported with the package (a few
milliseconds, nothing compiled), so ``jaxlite.scipy.special.logsumexp``
works after ``import jaxlite`` as in JAX; ``linalg`` is imported by name.
"""
from jaxlite.scipy import special, stats, optimize  # noqa: F401
