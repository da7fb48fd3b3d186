"""jaxlite.scipy.cluster: vector quantization (``vq``), as jax.scipy.cluster."""
from jaxlite.scipy.cluster import vq  # noqa: F401
