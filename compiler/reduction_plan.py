"""How a reduction kernel loops, decided once, after fusion.

A reduction whose kernel rule folds with a monoid (sum, prod, max, min)
gets a ``ReductionPlan`` (``kernel.reduction``). The lowering
(``kernels.emit_reduce``) emits the loops it describes and the thread
planner (``parallel.split_plan``) splits them; neither re-derives it.

Strategies:

* **flat**: a full reduction of elementwise code on values of one shape
  walks the input as one run of linear offsets, whatever its rank;
* **kept last dimension**: the output rows are initialized, then the input
  is walked in memory order and accumulated in place (never split);
* **blocked**: a float sum over more than ``SUM_BLOCK`` elements in its
  innermost reduced dimension adds blocks of ``SUM_BLOCK`` into the total,
  so rounding error grows with the number of blocks, not of elements;
* otherwise one accumulator per output element, in a register.

Over threads, a reduction to one scalar (``split == "total"``) is split
over elements (or blocks) with per-thread partial results; one that
reduces the last dimension is split by output rows (``split == "rows"``).
"""
SUM_BLOCK = 2048


class ReductionPlan:
    """The loop structure of one reduction kernel.

    ``monoid``: sum, prod, max or min. ``axes``, ``shape``: the reduced axes and
    the input shape as the loops see them (one axis of the input's size when
    ``flat``). ``keeps_last``, ``blocked``: see the module docstring.
    ``split``: None, "rows" or "total"; ``extent``: the range a split divides
    (output rows, input elements, or sum blocks).
    """
    __slots__ = ("monoid", "flat", "axes", "shape", "keeps_last", "blocked", "split", "extent")

    def __init__(self, monoid, flat, axes, shape, keeps_last, blocked, split, extent):
        self.monoid, self.flat, self.axes, self.shape = monoid, flat, axes, shape
        self.keeps_last, self.blocked = keeps_last, blocked
        self.split, self.extent = split, extent

    @property
    def reduced_shape(self):
        return [self.shape[d] for d in self.axes]


def keeps_last_dim(root):
    """Does the reduction ``root`` keep its input's last dimension (and so
    accumulate rows in memory rather than in a register)?"""
    nd = root.inputs[0].aval.ndim
    axes = tuple(root.params["axes"])
    return bool(nd and axes and (nd - 1) not in axes)


def plan(kernel, monoid):
    """The ReductionPlan of a (fully fused) reduction kernel."""
    root = kernel.root
    x = root.inputs[0]
    axes, shape = tuple(root.params["axes"]), tuple(x.aval.shape)
    nd = len(shape)
    total = len(axes) == nd and kernel.out.aval.shape == ()
    flat = total and kernel.runs_flat(shape)
    if flat:
        axes, shape = (0,), (x.aval.size,)
    keeps_last = keeps_last_dim(root) and not flat
    n_last = shape[axes[-1]] if axes else 0
    blocked = (not keeps_last and monoid == "sum" and x.aval.dtype.kind == "f"
               and n_last > SUM_BLOCK)
    if total and (nd == 1 or flat):
        split, extent = "total", -(-x.aval.size // SUM_BLOCK) if blocked else x.aval.size
    elif nd and (nd - 1) in axes:
        out_shape = root.out.aval.shape
        split, extent = "rows", (out_shape[0] if out_shape else 0)
    else:
        split, extent = None, 0
    return ReductionPlan(monoid, flat, axes, shape, keeps_last, blocked, split, extent)
