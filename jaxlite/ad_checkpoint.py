"""jaxlite.ad_checkpoint: JAX's names for naming values inside ``checkpoint``.

jaxlite's checkpoint policies do not see names (see
``rematerialize.checkpoint_policies``), so ``checkpoint_name`` only returns its
argument: the values and derivatives are JAX's, and a name-based policy
recomputes what it would have saved by name.
"""
from jaxlite.rematerialize import checkpoint, checkpoint_policies, remat  # noqa: F401

__all__ = ["checkpoint_name", "checkpoint_policies"]


def checkpoint_name(x, name):
    """``x`` (any pytree), tagged ``name`` for a checkpoint policy: here untagged."""
    del name
    return x
