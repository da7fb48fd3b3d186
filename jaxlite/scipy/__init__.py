"""jaxlite.scipy: SciPy-style functions over jaxlite.numpy, as jax.scipy.

Import the submodules by name (``from jaxlite.scipy import special, stats``,
``import jaxlite.scipy.optimize``); this package imports none of them itself.
"""
