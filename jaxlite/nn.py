"""jaxlite.nn (being written)."""
