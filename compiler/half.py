"""float16 computes in float32, as XLA does on CPUs without half arithmetic.

Called by simplify for every equation: one that reads or writes float16
(other than data movement: index maps, conversions, selects) is rewritten to
convert its float16 inputs to float32, compute in float32 and round each
float16 output once. Every primitive thus has one float32 lowering, and a
single rounding per operation gives the eager (numpy) result for the
correctly rounded operations (+ - * / sqrt: float32 has more than twice
float16's precision, so double rounding is innocuous) and within an ulp of it
for library math. The conversions fuse into the kernel, so nothing is
materialized in float32 unless the computation needs it.
"""
import numpy as np

from jaxlite import core
from jaxlite.ir import Eqn, Literal, Var

F16, F32 = np.dtype(np.float16), np.dtype(np.float32)
_MOVES_DATA = frozenset(["convert_element_type", "bitcast_convert_type", "select_n", "stop_gradient",
                         "copy"])


def needs_widening(eqn):
    if eqn.prim.kind in (core.INDEX_MAP, core.CALL, core.HIGHER_ORDER):
        return False
    if eqn.prim.name in _MOVES_DATA:
        return False
    return (any(a.aval.dtype == F16 for a in eqn.inputs)
            or any(v.aval.dtype == F16 for v in eqn.outvars))


def widen(eqn, ins, emit):
    """``eqn`` (with inputs ``ins``) computed in float32; ``emit(eqn, ins)``
    adds an equation and returns its output atoms. Returns float16 outputs."""
    convert = core.all_primitives["convert_element_type"]   # by name: no lax import here

    def to(a, dt):
        if type(a) is Literal:
            return Literal(np.asarray(a.val, dt)[()], a.aval.update(dtype=dt, weak_type=False))
        e = Eqn(convert, [a], {"new_dtype": dt, "weak_type": False},
                [Var(a.aval.update(dtype=dt, weak_type=False))], eqn.source)
        return emit(e, [a])[0]

    wide_ins = [to(a, F32) if a.aval.dtype == F16 else a for a in ins]
    params = {k: (F32 if isinstance(v, np.dtype) and v == F16 else v)
              for k, v in eqn.params.items()}
    outvars = [Var(v.aval.update(dtype=F32)) if v.aval.dtype == F16 else Var(v.aval)
               for v in eqn.outvars]
    outs = emit(Eqn(eqn.prim, wide_ins, params, outvars, eqn.source), wide_ins)
    return [to(o, F16) if v.aval.dtype == F16 else o for o, v in zip(outs, eqn.outvars)]
