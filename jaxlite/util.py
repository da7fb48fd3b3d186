"""Small helpers every layer may use (imports nothing from jaxlite)."""

__all__ = ["normalize_axis"]


def normalize_axis(axis, ndim, what="axis"):
    """``axis`` in ``[0, ndim)``; negative axes count from the end. A rank-0 array
    takes axis 0 or -1 (lax's reductions and cumulative ops allow it)."""
    axis = int(axis)
    if not -ndim <= axis < max(ndim, 1) or (ndim == 0 and axis not in (0, -1)):
        raise ValueError(f"{what} {axis} is out of bounds for array of rank {ndim}")
    return axis % ndim if ndim else 0
