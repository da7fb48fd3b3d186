"""``jaxlite.config``: the part of ``jax.config`` that has a meaning here.

Scripts often start with ``jax.config.update(...)``. Options that describe
what jaxlite already does are accepted; options that would change numerics in
a way jaxlite does not implement raise a ValueError that says what to do
instead, rather than being silently ignored.
"""
from jaxlite.jit import _disabled as _jit_disabled

_X64_MESSAGE = (
    "jaxlite has no x64 mode: float64 and int64 inputs already stay 64-bit, "
    "but Python scalars and creation functions without a dtype give float32/int32. "
    "Pass dtype=jnp.float64 (or float64 numpy arrays) where you need double precision.")


class Config:
    """``config.update(name, value)`` and attribute reads of the supported options."""

    def __init__(self):
        self._values = {"jax_enable_x64": False, "jax_platform_name": "cpu",
                        "jax_platforms": "cpu", "jax_disable_jit": False,
                        "jax_default_matmul_precision": None, "jax_debug_nans": False,
                        "jax_debug_infs": False}

    def update(self, name, value):
        if name not in self._values:
            raise ValueError(f"jaxlite.config: unknown or unsupported option {name!r} "
                             f"(supported: {', '.join(sorted(self._values))})")
        getattr(self, "_set_" + name, self._set_plain)(name, value)

    def _set_plain(self, name, value):
        self._values[name] = value

    def _set_jax_enable_x64(self, name, value):
        if value:
            raise ValueError(_X64_MESSAGE)

    def _set_jax_platform_name(self, name, value):
        if value not in (None, "", "cpu"):
            raise ValueError(f"jaxlite runs on the CPU only, got platform {value!r}")
        self._values[name] = "cpu"

    _set_jax_platforms = _set_jax_platform_name

    def _set_jax_disable_jit(self, name, value):
        # Like the disable_jit() context, it applies to the calling thread.
        value = bool(value)
        if value != self._values[name]:
            _jit_disabled.depth += 1 if value else -1
        self._values[name] = value

    def _set_jax_debug_nans(self, name, value):
        if value:
            raise ValueError(f"jaxlite.config: {name} is not implemented (no NaN checks "
                             f"are inserted); check results with jnp.isnan instead")
        self._values[name] = False

    _set_jax_debug_infs = _set_jax_debug_nans

    def __getattr__(self, name):
        values = self.__dict__.get("_values", {})
        if name in values:
            return values[name]
        raise AttributeError(f"jaxlite.config has no option {name!r}")


config = Config()
