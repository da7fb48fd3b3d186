"""Shared shape/dtype rules and rule constructors for the lax primitives."""
import warnings

import numpy as np

from jaxlite import core, dtypes
from jaxlite.core import ShapedArray, Primitive
from jaxlite.util import normalize_axis  # noqa: F401 (the lax modules import it from here)
# A module, not names: elementwise imports this one (used at call time).
from jaxlite.lax import elementwise


def standard_primitive(name, impl, shape_rule, multiple_results=False, *, kind=None,
                       cost=core.COSTLY):
    """A primitive with its numpy impl and abstract-eval rule registered; ``kind``
    and ``cost`` tell the compiler how to fuse and lower it (see core.Primitive)."""
    prim = Primitive(name, multiple_results, kind=kind, cost=cost)
    prim.check_eagerly = True
    core.impl_rules[prim] = impl
    core.abstract_eval_rules[prim] = shape_rule
    return prim


def accepts(kinds, dtype):
    """Whether a kinds string ("f", "fi", "bif", ...) accepts ``dtype``; "i"
    stands for signed and unsigned integers alike."""
    k = dtype.kind
    return k in kinds or (k == "u" and "i" in kinds)


def check_dtype(prim_name, aval, kinds, what="operand"):
    if not accepts(kinds, aval.dtype):
        names = {"f": "floating", "i": "integer", "b": "boolean", "u": "unsigned integer",
                 "c": "complex"}
        allowed = " or ".join(names[k] for k in kinds)
        raise TypeError(f"{prim_name} requires {allowed} {what}s, got {aval.dtype.name}"
                        f"{core.where_message()}")


def unop_shape_rule(name, kinds, result_dtype=None):
    def rule(x, **_):
        check_dtype(name, x, kinds)
        return ShapedArray(x.shape, result_dtype or x.dtype, x.weak_type)
    return rule


def broadcast_shapes_strict(name, *avals):
    """Operands share one shape, except rank-0 operands, which broadcast."""
    shape = None
    for a in avals:
        if a.shape == () :
            continue
        if shape is None:
            shape = a.shape
        elif a.shape != shape:
            shapes = ", ".join(str(b.shape) for b in avals)
            raise TypeError(f"{name} got incompatible shapes for broadcasting: {shapes}"
                            f"{core.where_message()}")
    return () if shape is None else shape


def naryop_shape_rule(name, kinds, result_dtype=None):
    def rule(*avals, **_):
        dt = avals[0].dtype
        shape = ()
        weak = True
        for a in avals:   # one pass: this runs on every eager op
            if a.dtype != dt or not accepts(kinds, dt):
                _naryop_dtype_error(name, kinds, avals)
            if a.shape != shape:
                if shape and a.shape:
                    broadcast_shapes_strict(name, *avals)   # raises, naming every shape
                shape = shape or a.shape
            weak = weak and a.weak_type
        return ShapedArray(shape, result_dtype or dt, weak and result_dtype is None)
    return rule


def _naryop_dtype_error(name, kinds, avals):
    for a in avals:
        check_dtype(name, a, kinds)
    names = ", ".join(a.dtype.name for a in avals)
    raise TypeError(f"{name} requires arguments to have the same dtypes, got {names}"
                    f"{core.where_message()}")


# The eager impls compute inf and nan as XLA does, silently: numpy's
# "overflow encountered in exp" and the like, raised by the ufunc calls of the
# eager paths (attributed to these modules), are noise to a JAX program, which
# never sees them. Filtering costs nothing per call, unlike np.errstate. A cast's
# overflow still warns: JAX's conversion of a too-large Python float does too.
warnings.filterwarnings("ignore", category=RuntimeWarning,
                        message=r"(overflow|invalid value|divide by zero|underflow) "
                                r"encountered in (?!cast)",
                        module=r"jaxlite\.(lax\._rules|lax\.elementwise|numpy\._eager)$")


def typed_impl(np_fn):
    """Wrap a numpy function so its result keeps the input dtype."""
    def impl(*args, **_):
        out = np_fn(*args)
        odt = out.dtype
        for a in args:      # the common case, without np.result_type's dispatch
            if getattr(a, "dtype", None) is not odt:
                break
        else:
            return out
        dt = np.result_type(*args) if args else None
        return np.asarray(out, dtype=dt) if odt != dt else out
    return impl


def _float_with_scalar(a, b):
    """``promote_weak``'s result for a float operand and a Python float, or
    None. The scalar takes the operand's dtype (an operand of the default float
    dtype keeps a Python float as is: the impl and staging read it as a weak
    float of that dtype)."""
    ta, tb = type(a), type(b)
    if tb is float:
        arr, scalar, flip = a, b, False
    elif ta is float:
        arr, scalar, flip = b, a, True
    else:
        return None
    dt = getattr(arr, "dtype", None)
    if dt is not _F32 and dt is not _F64:
        return None
    if dt is not dtypes.default_float():
        scalar = np.asarray(scalar, dt)
    return [scalar, arr] if flip else [arr, scalar]


_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def promote_weak(name, *args):
    """Give weak (Python scalar) operands the dtype of the strong ones, as lax does.
    Strong operands of different dtypes are an error."""
    # Fast path (most calls): arrays or tracers that already share a dtype.
    # Compared by identity: ``np.dtype("float64") == None`` is True.
    first = getattr(args[0], "dtype", None)
    if first is not None and all(getattr(a, "dtype", None) is first for a in args[1:]):
        return list(args)
    if len(args) == 2:      # a float array or tracer with a Python scalar (x * 2.0)
        quick = _float_with_scalar(*args)
        if quick is not None:
            return quick
    avals = [core.get_aval(a) for a in args]
    strong = {a.dtype for a in avals if not a.weak_type}
    # A weak (Python scalar) operand adopts a strong operand's width, but not
    # another kind: lax.add(f32, 1) and lax.add(1, 1.0) raise, as in JAX.
    kinds = {dtypes.kind_rank(a.dtype) for a in avals}
    if len(strong) > 1 or len(kinds) > 1:
        names = ", ".join(a.dtype.name for a in avals)
        raise TypeError(f"lax.{name} requires arguments to have the same dtypes, got "
                        f"{names} (jnp.{name} promotes its arguments){core.where_message()}")
    if strong:
        dt = strong.pop()
    else:
        dt = avals[0].dtype
    out = []
    for a, x in zip(avals, args):
        if a.dtype == dt:
            out.append(x)
        elif isinstance(x, core.Tracer):
            out.append(elementwise.convert_element_type(x, dt, weak_type=a.weak_type))
        else:
            out.append(np.asarray(x, dt))
    return out
