"""Debugging and observability tools (docs/DEBUGGING.md).

- ``nans``: jax_debug_nans / jax_debug_infs, eagerly and under jit;
- ``compile_log``: jax_explain_cache_misses, jax_log_compiles, compile counts;
- ``checks``: the checkify transform over jaxprs and jit's checked mode;
(Graphviz DOT export: jaxlite/ir_dot.py and compiler/plan_dot.py.)

Each switch installs its code when it is turned on and removes it when it is
turned off, so a program that leaves them off runs the ordinary code.
"""
from jaxlite.debugging import nans, compile_log, checks  # noqa: F401
