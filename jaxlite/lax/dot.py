"""dot_general: contraction with batch dimensions, and the dot / batch_matmul
wrappers. One block: impl, shape rule, bilinear jvp with its two transposes,
batch rule, public wrappers.

dimension_numbers = ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch)).
Output dims: the batch dims (in lhs_batch order), then the lhs free dims, then
the rhs free dims, each in operand order (as JAX).
"""
import enum
import math

import numpy as np

from jaxlite import core, dtypes
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.lax._rules import standard_primitive, promote_weak
from jaxlite.lax import elementwise, structural

__all__ = ["dot_general_p", "dot_general", "dot", "batch_matmul", "Precision"]


class Precision(enum.Enum):
    """JAX's ``lax.Precision`` (``DEFAULT``, ``HIGH``, ``HIGHEST``, or their
    string names), for code that passes ``precision=``. Every precision gives
    the same result here: the CPU computes in the operands' full precision,
    which is what ``HIGHEST`` asks for."""
    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value):
        level = _PRECISION_NAMES.get(value.lower()) if isinstance(value, str) else None
        return None if level is None else cls(level)

    def __str__(self):
        return self.name


_PRECISION_NAMES = {"default": 0, "fastest": 0, "bfloat16": 0, "high": 1, "bfloat16_3x": 1,
                    "tensorfloat32": 1, "highest": 2, "float32": 2}


def _free_dims(ndim, contract, batch):
    return [d for d in range(ndim) if d not in contract and d not in batch]


# ------------------------------------------------------------------ impl

def _dot_general_impl(lhs, rhs, dimension_numbers, preferred_element_type=None):
    (lc, rc), (lb, rb) = dimension_numbers
    if preferred_element_type is not None and lhs.dtype != preferred_element_type:
        # Accumulate in the (wider) preferred type.
        lhs, rhs = lhs.astype(preferred_element_type), rhs.astype(preferred_element_type)
    if not lb and rhs.ndim <= 2 and lc == (lhs.ndim - 1,) and rc == (0,):
        return np.matmul(lhs, rhs)   # x @ w: numpy's own layout, the MLP hot path
    lf = _free_dims(lhs.ndim, lc, lb)
    rf = _free_dims(rhs.ndim, rc, rb)
    batch_shape = tuple(lhs.shape[d] for d in lb)
    lf_shape = tuple(lhs.shape[d] for d in lf)
    rf_shape = tuple(rhs.shape[d] for d in rf)
    k = math.prod(lhs.shape[d] for d in lc)
    m, n = math.prod(lf_shape), math.prod(rf_shape)
    # Lay the operands out as (batch, free, contract) @ (batch, contract, free) and let
    # np.matmul (BLAS for floats) do the work. For the usual layouts the transposes
    # are skipped and the reshapes are views; a transposed 2-D operand stays a view
    # too (BLAS takes it as a transpose flag).
    a = _permuted(lhs, tuple(lb) + tuple(lf) + tuple(lc))
    b = _permuted(rhs, tuple(rb) + tuple(rc) + tuple(rf))
    if batch_shape:
        out = np.matmul(a.reshape(math.prod(batch_shape), m, k),
                        b.reshape(math.prod(batch_shape), k, n))
    else:
        out = np.matmul(a.reshape(m, k), b.reshape(k, n))
    return out.reshape(batch_shape + lf_shape + rf_shape)


def _permuted(x, perm):
    return x if perm == tuple(range(x.ndim)) else np.transpose(x, perm)


# ------------------------------------------------------------ shape rule

def _check_dims(side, dims, shape):
    """ValueError naming dims out of range or repeated for an operand of ``shape``."""
    rank = len(shape)
    bad = [d for d in dims if not 0 <= d < rank]
    if bad:
        raise ValueError(f"dot_general: {side} dimensions {bad} are out of range for the "
                         f"{side} operand of rank {rank} (shape {shape})"
                         f"{core.where_message()}")
    if len(set(dims)) != len(dims):
        raise ValueError(f"dot_general: {side} contracting and batch dimensions {list(dims)} "
                         f"must be distinct (rank {rank}, shape {shape}){core.where_message()}")


def _check_preferred(operand_dtype, preferred):
    """JAX's combinations: int -> wider int or any float, float -> wider float; bool
    operands accumulate in anything."""
    if preferred is None or operand_dtype.kind == "b":
        return
    wide_enough = preferred.itemsize >= operand_dtype.itemsize
    ok = (preferred.kind == "f" and (operand_dtype.kind in "iu" or wide_enough)
          and operand_dtype.kind != "c"
          or preferred.kind in "iu" and operand_dtype.kind in "iu" and wide_enough
          or preferred.kind == "c" and operand_dtype.kind == "c" and wide_enough)
    if not ok:
        raise TypeError(f"dot_general: preferred_element_type {preferred.name} is not "
                        f"compatible with operands of dtype {operand_dtype.name} (it must be "
                        f"the same kind or wider){core.where_message()}")


class _ShapesText:
    def __init__(self, lhs, rhs):
        self.lhs, self.rhs = lhs, rhs

    def __format__(self, spec):
        return f"lhs shape {self.lhs.shape} and rhs shape {self.rhs.shape}"


def _dot_general_shape(lhs, rhs, dimension_numbers, preferred_element_type=None):
    (lc, rc), (lb, rb) = dimension_numbers
    shapes = _ShapesText(lhs, rhs)   # formatted only when an error is raised
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise TypeError(f"dot_general: contracting dimensions {lc}, {rc} and batch dimensions "
                        f"{lb}, {rb} must come in pairs, for {shapes}{core.where_message()}")
    _check_dims("lhs", tuple(lc) + tuple(lb), lhs.shape)
    _check_dims("rhs", tuple(rc) + tuple(rb), rhs.shape)
    for what, ld, rd in (("batch", lb, rb), ("contracting", lc, rc)):
        lsz = tuple(lhs.shape[d] for d in ld)
        rsz = tuple(rhs.shape[d] for d in rd)
        if lsz != rsz:
            raise TypeError(f"dot_general requires equal {what} dimension sizes, got "
                            f"{lsz} (lhs dims {tuple(ld)}) and {rsz} (rhs dims {tuple(rd)}) "
                            f"for {shapes}{core.where_message()}")
    if lhs.dtype != rhs.dtype:
        raise TypeError(f"dot_general requires operands of the same dtype, got "
                        f"{lhs.dtype.name} and {rhs.dtype.name} for {shapes}"
                        f"{core.where_message()}")
    _check_preferred(lhs.dtype, preferred_element_type)
    shape = (tuple(lhs.shape[d] for d in lb)
             + tuple(lhs.shape[d] for d in _free_dims(lhs.ndim, lc, lb))
             + tuple(rhs.shape[d] for d in _free_dims(rhs.ndim, rc, rb)))
    dtype = lhs.dtype if preferred_element_type is None else preferred_element_type
    return ShapedArray(shape, dtype, lhs.weak_type and rhs.weak_type)


dot_general_p = standard_primitive("dot_general", _dot_general_impl, _dot_general_shape,
                                   kind=core.KERNEL, cost=core.COSTLY)


# ------------------------------------------------------------- transpose
#
# ct has the output layout (batch, lhs free, rhs free). The cotangent of lhs
# contracts ct's rhs-free dims with rhs's free dims, batching ct's batch dims
# with rhs's batch dims. That dot's result is laid out as (batch, lhs free, rhs
# contracting dims in increasing rhs order); each of those dims names one lhs
# dim, so a final transpose puts them back in lhs order. The rhs case is
# symmetric (ct first, then lhs).

def _transpose_operand(ct, other, undef_aval, dimension_numbers, undef_is_lhs):
    (lc, rc), (lb, rb) = dimension_numbers
    if undef_is_lhs:
        my_c, my_b, other_c, other_b = lc, lb, rc, rb
    else:
        my_c, my_b, other_c, other_b = rc, rb, lc, lb
    nb = len(lb)
    my_free = _free_dims(undef_aval.ndim, my_c, my_b)
    other_free = _free_dims(core.get_aval(other).ndim, other_c, other_b)
    # Positions of the *other* operand's free dims inside ct.
    if undef_is_lhs:
        ct_other_free = [nb + len(my_free) + i for i in range(len(other_free))]
    else:
        ct_other_free = [nb + i for i in range(len(other_free))]
    dims = ((tuple(ct_other_free), tuple(other_free)), (tuple(range(nb)), tuple(other_b)))
    # ct may be in a wider preferred type: contract in that type, return the operand's.
    ct_dtype = core.get_aval(ct).dtype
    if core.get_aval(other).dtype != ct_dtype:
        other = elementwise.convert_element_type(other, ct_dtype)
    out = dot_general(ct, other, dims)
    # The remaining dims of `other` are its contracting dims, in increasing order.
    order = sorted(range(len(other_c)), key=lambda i: other_c[i])
    src = list(my_b) + my_free + [my_c[i] for i in order]
    out = structural.transpose(out, tuple(int(p) for p in np.argsort(src)))
    return elementwise.convert_element_type(out, undef_aval.dtype)


def _dot_lhs_transpose(ct, lhs, rhs, dimension_numbers, preferred_element_type=None):
    return _transpose_operand(ct, rhs, lhs.aval, dimension_numbers, undef_is_lhs=True)


def _dot_rhs_transpose(ct, lhs, rhs, dimension_numbers, preferred_element_type=None):
    return _transpose_operand(ct, lhs, rhs.aval, dimension_numbers, undef_is_lhs=False)


ad.defbilinear(dot_general_p, _dot_lhs_transpose, _dot_rhs_transpose)


# ----------------------------------------------------------------- batch
#
# Both operands batched: the vmapped axis becomes a new leading dot_general
# batch dimension, so the result has it at 0. One operand batched: its vmapped
# axis is one more free dim; no operand is moved, the result dim is computed.

def _shift(dims, bdim):
    """Renumber an unbatched operand's dims to the batched operand's numbering."""
    return tuple(d + (d >= bdim) for d in dims)


def _dot_general_batch(axis_size, vals, dims, dimension_numbers, preferred_element_type=None):
    (lhs, rhs), (ld, rd) = vals, dims
    (lc, rc), (lb, rb) = dimension_numbers
    nb = len(lb)
    if ld is not None and rd is not None:
        new = ((_shift(lc, ld), _shift(rc, rd)), ((ld,) + _shift(lb, ld), (rd,) + _shift(rb, rd)))
        out_dim = 0
    elif ld is not None:
        new = ((_shift(lc, ld), rc), (_shift(lb, ld), rb))
        lhs_free = _free_dims(core.get_aval(lhs).ndim - 1, lc, lb)
        out_dim = nb + sum(d < ld for d in lhs_free)
    else:
        new = ((lc, _shift(rc, rd)), (lb, _shift(rb, rd)))
        lhs_free = _free_dims(core.get_aval(lhs).ndim, lc, lb)
        rhs_free = _free_dims(core.get_aval(rhs).ndim - 1, rc, rb)
        out_dim = nb + len(lhs_free) + sum(d < rd for d in rhs_free)
    out = core.bind(dot_general_p, lhs, rhs, dimension_numbers=new,
                    preferred_element_type=preferred_element_type)
    return out, out_dim


batching.batch_rules[dot_general_p] = _dot_general_batch


# ------------------------------------------------------- public wrappers

def _normalize_dims(dims, rank, side):
    out = []
    for d in dims:
        d = int(d)
        if not -rank <= d < rank:
            raise ValueError(f"dot_general: {side} dimension {d} is out of range for the "
                             f"{side} operand of rank {rank}{core.where_message()}")
        out.append(d % rank)
    return tuple(out)


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """General contraction: ``dimension_numbers = ((lhs_contract, rhs_contract),
    (lhs_batch, rhs_batch))``. The result has the batch dims, then the lhs free
    dims, then the rhs free dims. ``precision`` is accepted for JAX compatibility
    and ignored (numpy and the compiler compute in the operands' full precision)."""
    try:
        (lc, rc), (lb, rb) = dimension_numbers
    except (TypeError, ValueError):
        raise TypeError(f"dot_general: dimension_numbers must be ((lhs_contracting, "
                        f"rhs_contracting), (lhs_batch, rhs_batch)), got "
                        f"{dimension_numbers!r}") from None
    la, ra = core.get_aval(lhs), core.get_aval(rhs)
    if la.weak_type or ra.weak_type:
        lhs, rhs = promote_weak("dot_general", lhs, rhs)   # Python scalars adapt
    lr, rr = la.ndim, ra.ndim
    dn = ((_normalize_dims(lc, lr, "lhs"), _normalize_dims(rc, rr, "rhs")),
          (_normalize_dims(lb, lr, "lhs"), _normalize_dims(rb, rr, "rhs")))
    if preferred_element_type is not None:
        preferred_element_type = dtypes.canonicalize(preferred_element_type,
                                                     "preferred_element_type")
    return core.bind(dot_general_p, lhs, rhs, dimension_numbers=dn,
                     preferred_element_type=preferred_element_type)


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    """Vector/vector, matrix/vector, vector/matrix or matrix/matrix product:
    contracts the last dim of ``lhs`` with the first of ``rhs``. ``precision`` is
    accepted for JAX compatibility and ignored (numpy computes in full precision)."""
    ls, rs = core.get_aval(lhs).shape, core.get_aval(rhs).shape
    if not (1 <= len(ls) <= 2 and 1 <= len(rs) <= 2 and ls[-1] == rs[0]):
        raise TypeError(f"lax.dot: incompatible shapes for dot: got {ls} and {rs} (it takes "
                        f"vectors or matrices whose inner sizes agree){core.where_message()}")
    return dot_general(lhs, rhs, (((len(ls) - 1,), (0,)), ((), ())),
                       preferred_element_type=preferred_element_type)


def batch_matmul(lhs, rhs, precision=None):
    """Matrix products over the shared leading dims: ``(..., m, k) @ (..., k, n)``."""
    ls, rs = core.get_aval(lhs).shape, core.get_aval(rhs).shape
    if len(ls) < 2 or len(ls) != len(rs) or ls[:-2] != rs[:-2] or ls[-1] != rs[-2]:
        raise TypeError(f"lax.batch_matmul: incompatible shapes {ls} and {rs} (need equal "
                        f"ranks >= 2, equal leading dims and lhs.shape[-1] == "
                        f"rhs.shape[-2]){core.where_message()}")
    batch = tuple(range(len(ls) - 2))
    return dot_general(lhs, rhs, (((len(ls) - 1,), (len(rs) - 2,)), (batch, batch)))
