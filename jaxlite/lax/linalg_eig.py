"""eig: the eigendecomposition of a general square matrix (as jax.lax.linalg.eig).

Outputs are complex whatever the input (complex64 for float32, complex128 for
float64): the eigenvalues ``w`` (..., n) and, on request, the left and right
eigenvectors as columns (..., n, n), normalized as LAPACK's geev does (unit
2-norm, largest-magnitude component real, and here positive). Eagerly numpy's LAPACK computes
``w`` and the right vectors; the left ones are the rows of the inverse of the
right ones, conjugated and normalized the same way. Under jit the compiler
calls geev from native code (compiler/lapack_eig.py) on real matrices: its
complex expansion binds eig with ``planar=True``, whose outputs are the real
and imaginary planes of each result (only the compiler binds that form).

Derivatives as JAX: the eigenvalues always; the eigenvectors only with
``enable_eigvec_derivs=True`` (valid for distinct eigenvalues), differentiated
through geev's normalization. The jvp uses the left vectors as the dual basis
(``VL^H VR`` is diagonal), so no complex solve is needed.
"""
import numpy as np

from jaxlite import core, dtypes
from jaxlite.core import ShapedArray
from jaxlite.interpreters import ad, batching
from jaxlite.lax._rules import standard_primitive
from jaxlite.lax import complex_ops as cx, elementwise as el, reductions, structural
from jaxlite.lax.dot import dot_general

__all__ = ["eig_p", "eig"]


# ------------------------------------------------------------------ the impl

def _normalize(v):
    """Columns of ``v`` scaled to unit norm with their largest component real
    (geev's convention) and positive (LAPACK leaves that sign; fixing it makes
    eager and compiled results agree)."""
    v = v / np.linalg.norm(v, axis=-2, keepdims=True)
    idx = np.expand_dims(np.argmax(np.abs(v), axis=-2), -2)
    big = np.take_along_axis(v, idx, -2)
    phase = np.where(np.abs(big) > 0, np.conj(big) / np.where(big == 0, 1, np.abs(big)), 1)
    return v * phase


def _eig_one(a, left, right, cdt):
    w, vr = np.linalg.eig(a)
    outs = [w.astype(cdt)]
    if left:
        vl = np.conj(np.linalg.inv(vr)).swapaxes(-1, -2)
        outs.append(_normalize(vl).astype(cdt))
    if right:
        outs.append(_normalize(vr).astype(cdt))
    return outs


def _eig_impl(a, *, compute_left_eigenvectors, compute_right_eigenvectors,
              enable_eigvec_derivs, planar=False):
    outs = _eig_complex(a, compute_left_eigenvectors, compute_right_eigenvectors)
    if not planar:
        return outs
    return [part for o in outs for part in (np.ascontiguousarray(o.real),
                                             np.ascontiguousarray(o.imag))]


def _eig_complex(a, compute_left_eigenvectors, compute_right_eigenvectors):
    cdt = dtypes.to_complex(a.dtype)
    shapes = _out_shapes(a.shape, compute_left_eigenvectors, compute_right_eigenvectors)
    outs = [np.full(s, complex(np.nan, np.nan), cdt) for s in shapes]
    if a.size == 0:
        return [np.zeros(s, cdt) for s in shapes]
    for idx in np.ndindex(*a.shape[:-2]):
        m = a[idx]
        if not np.isfinite(m).all():
            continue            # NaN outputs, as a failed geev
        try:
            vals = _eig_one(m, compute_left_eigenvectors, compute_right_eigenvectors, cdt)
        except np.linalg.LinAlgError:
            continue
        for o, v in zip(outs, vals):
            o[idx] = v
    return outs


def _out_shapes(shape, left, right):
    return [shape[:-1]] + [shape] * (int(left) + int(right))


def _eig_shape(a, *, compute_left_eigenvectors, compute_right_eigenvectors,
               enable_eigvec_derivs, planar=False):
    if a.dtype.kind not in "fc" or a.dtype.itemsize not in (4, 8, 16) \
            or a.dtype == np.float16:
        raise TypeError(f"eig: unsupported dtype {a.dtype.name} (float32, float64, complex64, "
                        f"complex128){core.where_message()}")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"The input to eig must be a square matrix. Got shape {a.shape}."
                         f"{core.where_message()}")
    shapes = _out_shapes(a.shape, compute_left_eigenvectors, compute_right_eigenvectors)
    if planar:      # the compiler's form: each complex output as (real, imaginary) planes
        if a.dtype.kind == "c":
            raise TypeError(f"jit: eig of a complex matrix ({a.dtype.name}) is computed "
                            f"eagerly only; jaxlite compiles eig of float32/float64 matrices"
                            f"{core.where_message()}")
        return [ShapedArray(s, a.dtype) for s in shapes for _ in range(2)]
    cdt = dtypes.to_complex(a.dtype)
    return [ShapedArray(s, cdt) for s in shapes]


eig_p = standard_primitive("eig", _eig_impl, _eig_shape, multiple_results=True,
                           kind=core.KERNEL, cost=core.COSTLY)


def _eig_batch(axis_size, vals, dims, **params):
    out = eig_p.bind(batching.move_to(vals[0], dims[0], 0, axis_size), **params)
    return out, [0] * len(out)


batching.batch_rules[eig_p] = _eig_batch


# ------------------------------------------------------------------ the jvp

def _cdot(a, b):
    """Batched complex matrix product over the last two axes, from real
    products (real operands stay real on their side)."""
    nd = core.get_aval(a).ndim
    batch = tuple(range(nd - 2))
    dims = (((nd - 1,), (nd - 2,)), (batch, batch))

    def parts(x):
        if core.get_aval(x).dtype.kind == "c":
            return cx.real(x), cx.imag(x)
        return x, None

    (ar, ai), (br, bi) = parts(a), parts(b)
    re = dot_general(ar, br, dims)
    im = None
    if ai is not None and bi is not None:
        re = el.sub(re, dot_general(ai, bi, dims))
    if ai is not None:
        im = dot_general(ai, br, dims)
    if bi is not None:
        t = dot_general(ar, bi, dims)
        im = t if im is None else el.add(im, t)
    return re if im is None else cx.complex(re, im)


def _ct(x):
    """The conjugate transpose over the last two axes."""
    nd = core.get_aval(x).ndim
    x = structural.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))
    return cx.conj(x) if core.get_aval(x).dtype.kind == "c" else x


def _as_complex(x, cdt):
    # complex(x, 0) rather than a conversion: its transpose is real(ct).
    aval = core.get_aval(x)
    if aval.dtype == cdt:
        return x
    re = el.convert_element_type(x, dtypes.real_dtype(cdt))
    return cx.complex(re, structural.full(aval.shape, 0, dtypes.real_dtype(cdt)))


def _col_sum(x):
    return reductions.reduce_sum(x, (core.get_aval(x).ndim - 2,))


def _spread(x, shape, axis):
    """``x`` of shape (..., n) broadcast to the matrix ``shape``, varying
    along matrix axis ``axis`` (-1: along each row, -2: down each column)."""
    nd = len(shape)
    return structural.broadcast_in_dim(x, shape, tuple(range(nd - 2)) + (nd + axis,))


def _vec_jvp(w, v, u, da):
    """(dw, dv) for eigenpairs (w, v) with dual basis u (u^H v diagonal) and
    tangent da: first-order perturbation theory under geev's normalization."""
    aval = core.get_aval(v)
    cdt, shape, nd, n = aval.dtype, aval.shape, aval.ndim, aval.shape[-1]
    d = _col_sum(el.mul(cx.conj(u), v))                          # diag(u^H v)
    p = el.div(_cdot(_ct(u), _cdot(da, v)), _spread(d, shape, -2))   # v^-1 da v
    dw = _diag(p)
    eye = _eye(shape, cdt)
    gap = el.sub(_spread(w, shape, -1), _spread(w, shape, -2))    # w_j - w_i
    f = el.sub(el.div(structural.full(shape, 1, cdt), el.add(gap, eye)), eye)
    du = _cdot(v, el.mul(f, p))
    # dv_j = du_j + c_j v_j; unit norm and a real largest component fix c_j.
    k = reductions.argmax(el.abs(v), nd - 2, np.int32)
    rows = structural.broadcast_in_dim(np.arange(n, dtype=np.int32), shape, (nd - 2,))
    mask = el.convert_element_type(el.eq(rows, _spread(k, shape, -1)), cdt)
    c = cx.complex(el.neg(cx.real(_col_sum(el.mul(cx.conj(v), du)))),
                   el.neg(el.div(cx.imag(_col_sum(el.mul(mask, du))),
                                 cx.real(_col_sum(el.mul(mask, v))))))
    return dw, el.add(du, el.mul(v, _spread(c, shape, -1)))


def _eye(shape, dtype):
    """Identity matrices of ``shape`` (..., n, n)."""
    nd = len(shape)
    return structural.broadcast_in_dim(np.eye(shape[-1], dtype=dtype), shape, (nd - 2, nd - 1))


def _diag(x):
    aval = core.get_aval(x)
    return _col_sum(el.mul(x, _eye(aval.shape, aval.dtype)))


def _eig_jvp(primals, tangents, *, compute_left_eigenvectors, compute_right_eigenvectors,
             enable_eigvec_derivs, planar=False):
    (a,), (da,) = primals, tangents
    if (compute_left_eigenvectors or compute_right_eigenvectors) and not enable_eigvec_derivs:
        raise NotImplementedError(
            "Derivatives of non-symmetric eigenvectors are only valid when the eigenvalues "
            "are distinct, which jaxlite cannot check: pass enable_eigvec_derivs=True to "
            "lax.linalg.eig to opt in (as in JAX), or differentiate the eigenvalues only "
            "(jnp.linalg.eigvals)")
    # The vectors bound here may be differentiated again (a Hessian of the
    # eigenvalues needs them), which is valid under the same distinctness the
    # eigenvalue derivative assumes; JAX refuses that second order.
    w, vl, vr = eig_p.bind(a, compute_left_eigenvectors=True, compute_right_eigenvectors=True,
                           enable_eigvec_derivs=True)
    outs = [w] + ([vl] if compute_left_eigenvectors else []) \
        + ([vr] if compute_right_eigenvectors else [])
    if type(da) is ad.Zero:
        return outs, [ad.Zero(core.get_aval(o)) for o in outs]
    cdt = core.get_aval(w).dtype
    da = _as_complex(da, cdt)
    dw, dvr = _vec_jvp(w, vr, vl, da)
    touts = [dw]
    if compute_left_eigenvectors:
        touts.append(_vec_jvp(cx.conj(w), vl, vr, _ct(da))[1])
    if compute_right_eigenvectors:
        touts.append(dvr)
    return outs, touts


ad.jvp_rules[eig_p] = _eig_jvp


def eig(x, *, compute_left_eigenvectors=True, compute_right_eigenvectors=True,
        enable_eigvec_derivs=False):
    """``[w, vl, vr]`` (the vectors as requested) of the square matrices ``x``."""
    return eig_p.bind(x, compute_left_eigenvectors=bool(compute_left_eigenvectors),
                      compute_right_eigenvectors=bool(compute_right_eigenvectors),
                      enable_eigvec_derivs=bool(enable_eigvec_derivs))
