"""jaxlite.experimental: APIs JAX keeps under jax.experimental (import the
submodules by name, e.g. ``from jaxlite.experimental.ode import odeint``)."""
