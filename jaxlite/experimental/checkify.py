"""``jaxlite.experimental.checkify``: JAX's checkify API (see
jaxlite/debugging/checks.py and docs/DEBUGGING.md)."""
from jaxlite.debugging.checks import (  # noqa: F401
    Error, JaxRuntimeError, all_checks, automatic_checks, check, checkify, div_checks,
    float_checks, index_checks, nan_checks, user_checks)

__all__ = ["Error", "JaxRuntimeError", "all_checks", "automatic_checks", "check", "checkify",
           "div_checks", "float_checks", "index_checks", "nan_checks", "user_checks"]
