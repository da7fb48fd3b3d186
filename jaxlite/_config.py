"""``jaxlite.config``: the part of ``jax.config`` that has a meaning here, and
the state of the two switches the rest of jaxlite reads (disable_jit, checks).

Scripts often start with ``jax.config.update(...)``. Options that describe
what jaxlite already does are accepted; options that would change numerics in
a way jaxlite does not implement raise a ValueError that says what to do
instead, rather than being silently ignored.

This module imports nothing from jaxlite, so every layer may read it.
"""
import contextlib
import os
import threading

class _Switch(threading.local):
    """A boolean option: a global value with a per-thread override, as JAX's
    config states. The global value is a class attribute and a thread's
    override an instance attribute of this thread-local object, so reading
    ``switch.value`` is one attribute lookup giving the calling thread's
    effective value."""
    value = False

    def set_global(self, value):
        type(self).value = bool(value)

    @contextlib.contextmanager
    def override(self, value):
        """Within the context, in this thread only, the option is ``value``."""
        saved = self.__dict__.get("value", _UNSET)
        self.value = bool(value)
        try:
            yield
        finally:
            if saved is _UNSET:
                del self.value
            else:
                self.value = saved


_UNSET = object()


class _DisableJit(_Switch):
    value = False


class _Checks(_Switch):
    # Set from the environment once, at import: JAXLITE_CHECKS=1.
    value = os.environ.get("JAXLITE_CHECKS", "") not in ("", "0")


class _X64(_Switch):
    # Set from the environment once, at import, as JAX reads JAX_ENABLE_X64.
    value = any(os.environ.get(v, "").lower() not in ("", "0", "false")
                for v in ("JAX_ENABLE_X64", "JAXLITE_ENABLE_X64"))


class _Global:
    """A process-wide boolean option whose users swap code when it flips
    (debug_nans, debug_infs, checked mode), so the ordinary path pays nothing
    while it is off. Listeners are called with the new value, and once when
    they register."""

    def __init__(self, *env):
        self.value = any(os.environ.get(v, "").lower() not in ("", "0", "false") for v in env)
        self._listeners = []

    def set_global(self, value):
        self.value = bool(value)
        for fn in self._listeners:
            fn(self.value)

    def listen(self, fn):
        self._listeners.append(fn)
        fn(self.value)

    @contextlib.contextmanager
    def override(self, value):
        """Within the context the option is ``value`` (process-wide: it swaps code)."""
        saved = self.value
        self.set_global(value)
        try:
            yield
        finally:
            self.set_global(saved)


class _ExplainMisses(_Switch):
    value = os.environ.get("JAX_EXPLAIN_CACHE_MISSES", "").lower() not in ("", "0", "false")


class _LogCompiles(_Switch):
    value = os.environ.get("JAX_LOG_COMPILES", "").lower() not in ("", "0", "false")


# the first operation producing a NaN (an inf) raises FloatingPointError.
debug_nans = _Global("JAX_DEBUG_NANS", "JAXLITE_DEBUG_NANS")
debug_infs = _Global("JAX_DEBUG_INFS", "JAXLITE_DEBUG_INFS")
# jitted code checks indices, integer division and NaNs (jaxlite_checked_mode).
checked_mode = _Global("JAXLITE_CHECKED_MODE")
# each retrace of a jitted function says why (jax_explain_cache_misses).
explain_cache_misses = _ExplainMisses()
# each compile reports its trace, lowering and LLVM times (jax_log_compiles).
log_compiles = _LogCompiles()

# jitted functions run their Python code op by op (jax_disable_jit).
jit_disabled = _DisableJit()
# every jaxpr a transform or a jit rule builds is typechecked (jax_enable_checks).
checks = _Checks()
# Python scalars and dtype-less creation functions are 64-bit (jax_enable_x64).
# 64-bit arrays stay 64-bit either way; only the defaults change.
x64 = _X64()


def disable_jit(disable=True):
    """Within this context (in this thread), jitted functions run their Python
    code directly, op by op, as in JAX: for debugging with prints and pdb.
    ``disable_jit(False)`` re-enables jit inside a globally disabled region."""
    return jit_disabled.override(disable)


def enable_checks(enable=True):
    """Within this context (in this thread), every jaxpr a transform or a jit
    rule builds is typechecked (as ``JAXLITE_CHECKS=1``)."""
    return checks.override(enable)


def enable_x64(enable=True):
    """Within this context (in this thread), x64 mode is on (as
    ``jax.experimental.enable_x64``); jitted functions retrace for the mode."""
    return x64.override(enable)


def disable_x64():
    """Within this context (in this thread), x64 mode is off."""
    return x64.override(False)


def debug_nans_mode(enable=True):
    """``with jaxlite.debug_nans():`` (JAX's ``jax.debug_nans``): jax_debug_nans
    within the context (process-wide, like the option)."""
    return debug_nans.override(enable)


def debug_infs_mode(enable=True):
    """``with jaxlite.debug_infs():``: jax_debug_infs within the context."""
    return debug_infs.override(enable)


def checked_mode_on(enable=True):
    """``with jaxlite.checked_mode():``: jaxlite_checked_mode within the context."""
    return checked_mode.override(enable)


def log_compiles_mode(enable=True):
    """``with jaxlite.log_compiles():``: jax_log_compiles in this thread."""
    return log_compiles.override(enable)


def explain_cache_misses_mode(enable=True):
    """``with jaxlite.explain_cache_misses():``: jax_explain_cache_misses in this thread."""
    return explain_cache_misses.override(enable)


_SWITCHES = {"jax_disable_jit": jit_disabled, "jax_enable_checks": checks,
             "jax_enable_x64": x64, "jax_debug_nans": debug_nans,
             "jax_debug_infs": debug_infs, "jaxlite_checked_mode": checked_mode,
             "jax_explain_cache_misses": explain_cache_misses,
             "jax_log_compiles": log_compiles}


class Config:
    """``config.update(name, value)`` and attribute reads of the supported options."""

    def __init__(self):
        self._values = {"jax_platform_name": "cpu",
                        "jax_platforms": "cpu", "jax_default_matmul_precision": None}

    def update(self, name, value):
        if name in _SWITCHES:
            _SWITCHES[name].set_global(value)
            return
        if name not in self._values:
            supported = sorted(list(self._values) + list(_SWITCHES))
            raise ValueError(f"jaxlite.config: unknown or unsupported option {name!r} "
                             f"(supported: {', '.join(supported)})")
        getattr(self, "_set_" + name, self._set_plain)(name, value)

    def _set_plain(self, name, value):
        self._values[name] = value

    def _set_jax_platform_name(self, name, value):
        if value not in (None, "", "cpu"):
            raise ValueError(f"jaxlite runs on the CPU only, got platform {value!r}")
        self._values[name] = "cpu"

    _set_jax_platforms = _set_jax_platform_name

    def read(self, name):
        """The option's value (JAX's ``config.read``)."""
        return getattr(self, name)

    def __getattr__(self, name):
        if name in _SWITCHES:
            return _SWITCHES[name].value     # this thread's effective value
        values = self.__dict__.get("_values", {})
        if name in values:
            return values[name]
        raise AttributeError(f"jaxlite.config has no option {name!r}")


config = Config()
