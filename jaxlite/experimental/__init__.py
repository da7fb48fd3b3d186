"""jaxlite.experimental: APIs JAX keeps under jax.experimental (import the
submodules by name, e.g. ``from jaxlite.experimental.ode import odeint``)."""
from jaxlite._config import enable_x64, disable_x64  # noqa: F401  (jax.experimental's x64 contexts)
from jaxlite.callbacks import io_callback  # noqa: F401,E402  (jax.experimental.io_callback)
