"""``jaxlite.errors``: the exception classes JAX users catch (as ``jax.errors``)."""
from jaxlite.core import (  # noqa: F401
    ConcretizationTypeError, TracerArrayConversionError, TracerBoolConversionError,
    TracerIntegerConversionError, UnexpectedTracerError, JaxRuntimeError, JAXTypeError,
    JAXIndexError, NonConcreteBooleanIndexError)

__all__ = ["ConcretizationTypeError", "TracerArrayConversionError", "TracerBoolConversionError",
           "TracerIntegerConversionError", "UnexpectedTracerError", "JaxRuntimeError",
           "JAXTypeError", "JAXIndexError", "NonConcreteBooleanIndexError"]
