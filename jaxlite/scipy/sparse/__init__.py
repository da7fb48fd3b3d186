"""jaxlite.scipy.sparse: iterative solvers of scipy.sparse.linalg, as jax.scipy.sparse."""
from jaxlite.scipy.sparse import linalg  # noqa: F401
