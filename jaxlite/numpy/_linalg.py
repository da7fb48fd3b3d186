"""Products: dot, matmul (the ``@`` operator), tensordot, inner, outer, vdot,
einsum. Every one is a single lax.dot_general (plus reshapes/transposes): its
dimension numbers say which axes are contracted and which are batch axes.
"""
import builtins
import string

import numpy as np

from jaxlite import core, lax
# Modules, not names: the numpy modules import each other (used at call time).
from jaxlite.numpy import _elementwise, _indexing, _reductions, _shape
from jaxlite import numpy_util as util
from jaxlite.numpy_util import canonical_axis


def _pair(a, b):
    a, b = util.promote(a, b)
    return util.strong(a), util.strong(b)


def _check_contract(name, a, b, a_axes, b_axes):
    sa, sb = util.shape(a), util.shape(b)
    for i, j in zip(a_axes, b_axes):
        if sa[i] != sb[j]:
            raise TypeError(f"{name}: shapes {sa} and {sb} are not aligned: axis {i} of the "
                            f"first has size {sa[i]}, axis {j} of the second has size {sb[j]}"
                            f"{core.where_message()}")


def _dot_general(name, a, b, a_contract, b_contract, a_batch=(), b_batch=(),
                 preferred_element_type=None):
    _check_contract(name, a, b, a_contract, b_contract)
    _check_contract(name, a, b, a_batch, b_batch)
    return lax.dot_general(a, b, ((tuple(a_contract), tuple(b_contract)),
                                  (tuple(a_batch), tuple(b_batch))),
                           preferred_element_type=preferred_element_type)


def dot(a, b, precision=None, preferred_element_type=None):
    """numpy.dot: multiply for scalars, else contract a's last axis with b's
    last (1-d b) or second-to-last axis."""
    a, b = _pair(a, b)
    na, nb = util.ndim(a), util.ndim(b)
    if na == 0 or nb == 0:
        return _elementwise.multiply(a, b)
    b_axis = 0 if nb == 1 else nb - 2
    return _dot_general("dot", a, b, (na - 1,), (b_axis,),
                        preferred_element_type=preferred_element_type)


def matmul(a, b, precision=None, preferred_element_type=None):
    """The ``@`` product: matrix product over the last two axes, broadcasting the
    leading (batch) axes; 1-d operands are treated as row / column vectors."""
    a, b = _pair(a, b)
    na, nb = util.ndim(a), util.ndim(b)
    if na == 0 or nb == 0:
        raise ValueError(f"matmul: inputs must not be scalars, got shapes {util.shape(a)} and "
                         f"{util.shape(b)}")
    if nb <= 2:
        # x @ W (the common layer case): no batch axes, no broadcasting of W.
        return _dot_general("matmul", a, b, (na - 1,), (0,),
                            preferred_element_type=preferred_element_type)
    a2 = lax.reshape(a, (1,) + util.shape(a)) if na == 1 else a
    sa, sb = util.shape(a2), util.shape(b)
    batch = util.broadcast_shapes(sa[:-2], sb[:-2], what="matmul")
    a2 = util.broadcast_to_shape(a2, batch + sa[-2:])
    b2 = util.broadcast_to_shape(b, batch + sb[-2:])
    nbatch = len(batch)
    out = _dot_general("matmul", a2, b2, (nbatch + 1,), (nbatch,), tuple(range(nbatch)),
                       tuple(range(nbatch)), preferred_element_type)
    if na == 1:
        out = lax.reshape(out, batch + (sb[-1],))
    return out


def tensordot(a, b, axes=2, precision=None, preferred_element_type=None):
    """Contract ``axes`` (an int N: a's last N with b's first N; or a pair of
    axis sequences)."""
    a, b = _pair(a, b)
    na, nb = util.ndim(a), util.ndim(b)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if not 0 <= n <= builtins.min(na, nb):
            raise ValueError(f"tensordot: axes={n} is invalid for arrays of rank {na} and {nb}")
        a_axes, b_axes = tuple(range(na - n, na)), tuple(range(n))
    else:
        a_axes, b_axes = axes
        a_axes = (a_axes,) if isinstance(a_axes, (int, np.integer)) else tuple(a_axes)
        b_axes = (b_axes,) if isinstance(b_axes, (int, np.integer)) else tuple(b_axes)
        if len(a_axes) != len(b_axes):
            raise ValueError(f"tensordot: axes {axes} must have the same length for both arrays")
        a_axes = tuple(canonical_axis(i, na) for i in a_axes)
        b_axes = tuple(canonical_axis(i, nb) for i in b_axes)
    return _dot_general("tensordot", a, b, a_axes, b_axes,
                        preferred_element_type=preferred_element_type)


def inner(a, b):
    a, b = _pair(a, b)
    na, nb = util.ndim(a), util.ndim(b)
    if na == 0 or nb == 0:
        return _elementwise.multiply(a, b)
    return _dot_general("inner", a, b, (na - 1,), (nb - 1,))


def outer(a, b):
    """``a.ravel()[:, None] * b.ravel()[None, :]``."""
    a, b = _pair(a, b)
    a = lax.reshape(a, (util.aval(a).size, 1))
    b = lax.reshape(b, (1, util.aval(b).size))
    return _elementwise.multiply(a, b)


def vdot(a, b):
    """The dot product of the flattened arrays, conjugating ``a`` (as numpy)."""
    a, b = _pair(a, b)
    a = _elementwise.conjugate(a)
    return dot(lax.reshape(a, (util.aval(a).size,)), lax.reshape(b, (util.aval(b).size,)))


# ------------------------------------------------------------------- einsum

def _parse_einsum(subscripts, shapes):
    """Input letter strings and the output string, with '...' expanded."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, out = subscripts.split("->")
    else:
        lhs, out = subscripts, None
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(ins)} operands, got "
                         f"{len(shapes)}")
    used = set(subscripts) - set(".,->")
    spare = [c for c in string.ascii_letters if c not in used]
    n_ell = 0
    for spec, shape in zip(ins, shapes):
        if "..." in spec:
            n_ell = builtins.max(n_ell, len(shape) - (len(spec) - 3))
    ell = "".join(spare[:n_ell])
    expanded = []
    for spec, shape in zip(ins, shapes):
        if "..." in spec:
            k = len(shape) - (len(spec) - 3)
            spec = spec.replace("...", ell[n_ell - k:] if k else "")
        expanded.append(spec)
    for spec in expanded + ([out] if out else []):
        bad = set(spec) - set(string.ascii_letters) - set(".")
        if bad:
            raise ValueError(f"einsum: invalid subscript characters {sorted(bad)} in "
                             f"{subscripts!r}")
    if out is None:
        counts = {}
        for spec in expanded:
            for c in spec:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return expanded, out


def _take_diagonals(x, spec):
    """An operand whose subscript repeats a letter ('ii', 'iji') reduced to its
    diagonal along that letter, so each letter names one axis."""
    for c in dict.fromkeys(spec):
        while spec.count(c) > 1:
            i = spec.index(c)
            j = spec.index(c, i + 1)
            x = _indexing.diagonal(x, 0, i, j)          # the diagonal becomes the last axis
            spec = "".join(l for k, l in enumerate(spec) if k not in (i, j)) + c
    return x, spec


def _drop_broadcast_dims(x, spec, sizes):
    """Squeeze the size-1 dims whose letter is longer in another operand: that
    operand alone then carries the letter, which is numpy's broadcasting."""
    shape = util.shape(x)
    axes = tuple(i for i, c in enumerate(spec) if shape[i] == 1 and sizes[c] != 1)
    if not axes:
        return x, spec
    return lax.squeeze(x, axes), "".join(c for i, c in enumerate(spec) if i not in axes)


def _einsum_size_error(c, d1, d2, ops):
    raise TypeError(f"einsum: index {c!r} has size {d1} in one place and {d2} in another "
                    f"(operand shapes {', '.join(str(util.shape(o)) for o in ops)})"
                    f"{core.where_message()}")


def _sum_out(x, spec, keep):
    """Sum over letters of ``spec`` not in ``keep``."""
    axes = tuple(i for i, c in enumerate(spec) if c not in keep)
    if not axes:
        return x, spec
    return lax.reduce_sum(x, axes), "".join(c for c in spec if c in keep)


def _contract_pair(a, sa, b, sb, keep):
    a, sa = _sum_out(a, sa, set(sb) | keep)
    b, sb = _sum_out(b, sb, set(sa) | keep)
    shared = [c for c in sa if c in sb]
    batch = [c for c in shared if c in keep]
    contract = [c for c in shared if c not in keep]
    out = lax.dot_general(a, b, ((tuple(sa.index(c) for c in contract),
                                  tuple(sb.index(c) for c in contract)),
                                 (tuple(sa.index(c) for c in batch),
                                  tuple(sb.index(c) for c in batch))))
    spec = "".join(batch) + "".join(c for c in sa if c not in shared) \
        + "".join(c for c in sb if c not in shared)
    return out, spec


def _sublist_subscripts(first, rest):
    """numpy's other calling form ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as a
    subscript string and the operands (integers name axes; ... is Ellipsis)."""
    args = (first,) + tuple(rest)
    output = args[-1] if len(args) % 2 else None
    args = args[:-1] if len(args) % 2 else args
    operands, lists = list(args[0::2]), list(args[1::2])

    def letters(sub):
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, (int, np.integer)) and 0 <= s < 52:
                out.append("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[s])
            else:
                raise TypeError(f"einsum: subscript list entries must be ints in [0, 52) or "
                                f"Ellipsis, got {s!r}")
        return "".join(out)
    spec = ",".join(letters(sub) for sub in lists)
    if output is not None:
        spec += "->" + letters(output)
    return spec, operands


def einsum(subscripts, *operands, optimize=None, precision=None, preferred_element_type=None):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)`` or ``'ij,j->i'``.
    Operands are contracted left to right, each pair with one dot_general."""
    if not isinstance(subscripts, str):
        subscripts, operands = _sublist_subscripts(subscripts, operands)
    if not operands:
        raise ValueError("einsum needs at least one operand")
    ops = [util.strong(o) for o in util.promote(*operands)]
    specs, out = _parse_einsum(subscripts, [util.shape(o) for o in ops])
    sizes = {}
    for spec, op in zip(specs, ops):
        shape = util.shape(op)
        if len(spec) != len(shape):
            raise ValueError(f"einsum: subscript {spec!r} has {len(spec)} indices for an "
                             f"operand of rank {len(shape)} (shape {shape})")
        for c in set(spec):
            dims = {d for l, d in zip(spec, shape) if l == c}
            if len(dims) > 1:     # a diagonal needs a square plane, no broadcasting
                _einsum_size_error(c, *sorted(dims), ops)
        for c, d in zip(spec, shape):
            # Across operands a size-1 dim broadcasts against any size (as numpy).
            prev = sizes.setdefault(c, d)
            if prev == 1:
                sizes[c] = d
            elif d not in (1, prev):
                _einsum_size_error(c, prev, d, ops)
    missing = set(out) - set(sizes)
    if missing or len(set(out)) != len(out):
        raise ValueError(f"einsum: output subscript {out!r} must use distinct indices that "
                         f"appear in the inputs")
    for i, (op, spec) in enumerate(zip(ops, specs)):
        ops[i], specs[i] = _drop_broadcast_dims(*_take_diagonals(op, spec), sizes)
    x, spec = ops[0], specs[0]
    for i in range(1, len(ops)):
        keep = set(out).union(*specs[i + 1:])
        x, spec = _contract_pair(x, spec, ops[i], specs[i], keep)
    x, spec = _sum_out(x, spec, set(out))
    x = lax.transpose(x, tuple(spec.index(c) for c in out))
    if preferred_element_type is not None:
        x = lax.convert_element_type(x, util.canonical_dtype(preferred_element_type))
    return x


# ------------------------------------------- kron, cross, array-API products

def kron(a, b):
    """Kronecker product: block (i, j, ...) of the result is a[i, j, ...] * b."""
    a, b = _pair(a, b)
    nd = builtins.max(util.ndim(a), util.ndim(b))
    sa = (1,) * (nd - util.ndim(a)) + util.shape(a)
    sb = (1,) * (nd - util.ndim(b)) + util.shape(b)
    # Interleave the axes: a on the even ones, b on the odd ones, then merge pairs.
    a = lax.reshape(a, tuple(d for s in sa for d in (s, 1)))
    b = lax.reshape(b, tuple(d for s in sb for d in (1, s)))
    return lax.reshape(_elementwise.multiply(a, b), tuple(x * y for x, y in zip(sa, sb)))


def _components(v):
    return _shape.unstack(v, axis=-1)


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (or 2-vectors, whose product is the scalar z
    component) along ``axisa``/``axisb``, the result's vector axis at ``axisc``."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _pair(a, b)
    a = _shape.moveaxis(a, canonical_axis(axisa, util.ndim(a)), -1)
    b = _shape.moveaxis(b, canonical_axis(axisb, util.ndim(b)), -1)
    na, nb = util.shape(a)[-1], util.shape(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"incompatible dimensions for cross product (dimension must be 2 or "
                         f"3), got vector sizes {na} and {nb}")
    ca, cb = _components(a), _components(b)
    mul, sub = _elementwise.multiply, _elementwise.subtract
    z = sub(mul(ca[0], cb[1]), mul(ca[1], cb[0]))
    if na == nb == 2:
        return z
    zero = np.zeros((), util.aval(a).dtype)
    a2 = ca[2] if na == 3 else zero
    b2 = cb[2] if nb == 3 else zero
    x = sub(mul(ca[1], b2), mul(a2, cb[1]))
    y = sub(mul(a2, cb[0]), mul(ca[0], b2))
    x, y, z = util.broadcast(x, y, z, what="cross", keep_scalars=False)
    return _shape.stack([x, y, z], axis=canonical_axis(axisc, util.ndim(x) + 1))


def vecdot(x1, x2, /, *, axis=-1):
    """Dot products of the vectors along ``axis`` (of each operand, as numpy's
    and JAX's), broadcasting the other axes."""
    x1, x2 = _pair(x1, x2)
    s1, s2 = util.shape(x1), util.shape(x2)
    x1 = _shape.moveaxis(x1, canonical_axis(axis, len(s1)), -1)
    x2 = _shape.moveaxis(x2, canonical_axis(axis, len(s2)), -1)
    if util.shape(x1)[-1] != util.shape(x2)[-1]:
        raise ValueError(f"vecdot: the vector axis {axis} must have the same size in both "
                         f"operands, got shapes {s1} and {s2}{core.where_message()}")
    return _reductions.sum(_elementwise.multiply(x1, x2), axis=-1)


def _need_rank(name, x, rank, what):
    if util.ndim(x) < rank:
        raise ValueError(f"{name}: {what} must have rank >= {rank}, got shape "
                         f"{util.shape(x)}")


def matvec(x1, x2, /):
    """Matrix (last two axes of x1) times vector (last axis of x2), batched."""
    x1, x2 = _pair(x1, x2)
    _need_rank("matvec", x1, 2, "x1")
    _need_rank("matvec", x2, 1, "x2")
    col = lax.reshape(x2, util.shape(x2) + (1,))
    out = matmul(x1, col)
    return lax.squeeze(out, (util.ndim(out) - 1,))


def vecmat(x1, x2, /):
    """Vector (last axis of x1) times matrix (last two axes of x2), batched."""
    x1, x2 = _pair(x1, x2)
    _need_rank("vecmat", x1, 1, "x1")
    _need_rank("vecmat", x2, 2, "x2")
    s = util.shape(x1)
    row = lax.reshape(x1, s[:-1] + (1, s[-1]))
    out = matmul(row, x2)
    return lax.squeeze(out, (util.ndim(out) - 2,))
