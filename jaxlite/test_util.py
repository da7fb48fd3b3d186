"""jaxlite.test_util: check_grads, check_jvp, check_vjp (JAX's signatures).

A derivative is checked in one random direction against float central
differences: forward mode compares ``jvp(f)`` with the difference quotient
along a random tangent; reverse mode compares ``<t, vjp(ct)>`` with
``<numerical jvp(t), ct>`` for random ``t`` and ``ct``. Higher orders check the
derivative functions themselves, recursively. A mismatch raises
AssertionError (numpy.testing's message, naming which check failed).
"""
import functools

import numpy as np

from jaxlite import api, tree_util

__all__ = ["check_grads", "check_jvp", "check_vjp"]

EPS = 1e-4
# Per-dtype default tolerances (JAX's values), used when atol/rtol are None.
_GRAD_TOL = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 2e-3,
             np.dtype(np.float64): 1e-5, np.dtype(np.complex64): 1e-3,
             np.dtype(np.complex128): 1e-5}
_PY_DTYPES = {bool: np.dtype(np.bool_), int: np.dtype(np.int64),
              float: np.dtype(np.float64), complex: np.dtype(np.complex128)}


def _is_py_scalar(x):
    return type(x) in _PY_DTYPES


def _dtype(x):
    if hasattr(x, "dtype"):
        return np.dtype(x.dtype)
    return _PY_DTYPES.get(type(x)) or np.asarray(x).dtype


def _tol(dtype, tol):
    if tol is None:
        return _GRAD_TOL.get(np.dtype(dtype), 0)
    if isinstance(tol, dict):
        tol = {np.dtype(k): v for k, v in tol.items()}
        return tol.get(np.dtype(dtype), _GRAD_TOL.get(np.dtype(dtype), 0))
    return tol


def _close(a, b, atol, rtol, err_msg):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"{err_msg}: shapes {a.shape} and {b.shape} differ"
    at = max(_tol(a.dtype, atol), _tol(b.dtype, atol))
    rt = max(_tol(a.dtype, rtol), _tol(b.dtype, rtol))
    # As JAX: tolerances scale with the number of elements compared.
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(a, b, atol=at * a.size, rtol=rt * b.size or 1e-7,
                                   err_msg=err_msg)


def _check_close(xs, ys, atol, rtol, err_msg):
    tree_util.tree_map(functools.partial(_close, atol=atol, rtol=rtol, err_msg=err_msg),
                       xs, ys)


def _typed(f):
    """``f`` on leaves, keeping each leaf's dtype (and Python scalars Python)."""
    def g(x, *rest):
        out = np.asarray(f(np.asarray(x), *map(np.asarray, rest)), _dtype(x))
        return out.item() if _is_py_scalar(x) else out
    return g


def _rand_like(rng, x):
    out = np.asarray(rng.randn(*np.shape(x)), _dtype(x))
    return out.item() if _is_py_scalar(x) else out


def _scale(tree, a):
    return tree_util.tree_map(_typed(lambda x: x * np.asarray(a, x.dtype)), tree)


def _numerical_jvp(f, primals, tangents, eps):
    delta = _scale(tangents, eps)
    f_pos = f(*tree_util.tree_map(_typed(np.add), primals, delta))
    f_neg = f(*tree_util.tree_map(_typed(np.subtract), primals, delta))

    def diff(p, n):
        p, n = np.asarray(p), np.asarray(n)
        with np.errstate(invalid="ignore"):
            d = np.where(p == n, np.zeros((), p.dtype), p - n)   # inf - inf is 0 here
        return np.asarray(d * np.asarray(0.5 / eps, p.dtype), p.dtype)
    return tree_util.tree_map(diff, f_pos, f_neg)


def _inner(xs, ys):
    prods = tree_util.tree_map(
        lambda x, y: np.real(np.vdot(np.ravel(np.asarray(x)), np.ravel(np.asarray(y)))), xs, ys)
    return sum(tree_util.tree_leaves(prods))


def check_jvp(f, f_jvp, args, atol=None, rtol=None, eps=EPS, err_msg=""):
    """``f_jvp(args, tangents) -> (out, tangent_out)`` (``partial(jvp, f)``) against
    central differences of ``f`` along one random tangent."""
    rng = np.random.RandomState(0)
    tangent = tree_util.tree_map(functools.partial(_rand_like, rng), args)
    v_out, t_out = f_jvp(args, tangent)
    _check_close(v_out, f(*args), atol, rtol, f"{err_msg} primal" if err_msg else "primal")
    _check_close(t_out, _numerical_jvp(f, args, tangent, eps), atol, rtol,
                 f"{err_msg} tangent" if err_msg else "tangent")


def check_vjp(f, f_vjp, args, atol=None, rtol=None, eps=EPS, err_msg=""):
    """``f_vjp(*args) -> (out, vjp_fn)`` (``partial(vjp, f)``): checks
    ``<t, vjp_fn(ct)> == <jvp_numerical(t), ct>`` for random ``t`` and ``ct``."""
    rng = np.random.RandomState(0)
    v_out, vjp_fn = f_vjp(*args)
    _check_close(v_out, f(*args), atol, rtol, f"{err_msg} primal" if err_msg else "primal")
    tangent = tree_util.tree_map(functools.partial(_rand_like, rng), args)
    tangent_out = _numerical_jvp(f, args, tangent, eps)
    cotangent = tree_util.tree_map(functools.partial(_rand_like, rng), v_out)
    ct_in = vjp_fn(cotangent)
    _check_close(_inner(tangent, ct_in), _inner(tangent_out, cotangent), atol, rtol,
                 f"{err_msg} cotangent projection" if err_msg else "cotangent projection")


def check_grads(f, args, order, modes=("fwd", "rev"), atol=None, rtol=None, eps=None):
    """Check ``f``'s derivatives at ``args`` up to ``order`` in the given ``modes``
    ('fwd', 'rev', and JAX's 'lin': jvp through linearize); AssertionError if
    one disagrees with finite differences."""
    args = tuple(args)
    eps = eps or EPS
    for m in modes:
        if m not in ("fwd", "rev", "lin"):
            raise ValueError(f"check_grads: unknown mode {m!r}; expected 'fwd', 'rev' "
                             f"or 'lin'")

    def check(f, args, order, msg):
        if "fwd" in modes:
            fwd = f"JVP of {msg}" if msg else "JVP"
            check_jvp(f, functools.partial(api.jvp, f), args, atol, rtol, eps, fwd)
            if order > 1:
                check(functools.partial(api.jvp, f), (args, args), order - 1, fwd)
        if "rev" in modes:
            rev = f"VJP of {msg}" if msg else "VJP"
            check_vjp(f, functools.partial(api.vjp, f), args, atol, rtol, eps, rev)
            if order > 1:
                def f_vjp(*a):
                    out, vjp_fn = api.vjp(f, *a)
                    return vjp_fn(out)
                check(f_vjp, args, order - 1, rev)
        if "lin" in modes:       # forward mode through linearize's staged linear map
            lin = f"LIN of {msg}" if msg else "LIN"
            check_jvp(f, functools.partial(_jvp_from_linearize, f), args, atol, rtol, eps, lin)
            if order > 1:
                check(functools.partial(_jvp_from_linearize, f), (args, args), order - 1, lin)

    check(f, args, order, "")


def _jvp_from_linearize(f, primals, tangents):
    out, f_jvp = api.linearize(f, *primals)
    return out, f_jvp(*tangents)
