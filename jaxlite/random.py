"""jaxlite.random (being written)."""
