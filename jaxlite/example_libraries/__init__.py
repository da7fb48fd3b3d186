"""jaxlite.example_libraries: the small neural-network (stax) and optimizer
(optimizers) libraries many JAX programs are written against, with JAX's API."""
