"""compiler.vecmath against numpy: accuracy, special values, and loop vectorization.

Every function is compiled once per dtype into one module (a loop `out[i] = f(in[i])`),
optimized at O3 for the host CPU and called through ctypes.
"""
import ctypes
import importlib.util
import math
import os
import re
import time

import numpy as np
import pytest
import llvmlite.binding as llvm
from llvmlite import ir

from jaxlite.compiler.tools import fit_vecmath   # the offline fits vecmath's tables came from


def _load_vecmath():
    """compiler/vecmath.py alone: it depends on nothing else in the back end, so its
    tests should not depend on the rest of `compiler` (or jaxlite) importing."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        'compiler', 'vecmath.py')
    spec = importlib.util.spec_from_file_location('_vecmath_under_test', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


vecmath = _load_vecmath()

_TYPES = {np.float32: ir.FloatType(), np.float64: ir.DoubleType()}
_BINARY = ('pow', 'atan2')


def _define_loop(module, name, fn_name, ty):
    """void fn(T* x, T* y, T* out, i64 n): out[i] = name(x[i] [, y[i]])."""
    ptr = ir.PointerType()
    i64 = ir.IntType(64)
    func = ir.Function(module, ir.FunctionType(ir.VoidType(), [ptr, ptr, ptr, i64]), fn_name)
    for arg in func.args[:3]:
        arg.add_attribute('noalias')
    xp, yp, op, n = func.args
    entry, loop, done = (func.append_basic_block(s) for s in ('entry', 'loop', 'done'))
    b = ir.IRBuilder(entry)
    b.cbranch(b.icmp_signed('>', n, i64(0)), loop, done)
    b.position_at_end(loop)
    i = b.phi(i64)
    i.add_incoming(i64(0), entry)
    args = [b.load(b.gep(xp, [i], source_etype=ty), typ=ty)]
    if name in _BINARY:
        args.append(b.load(b.gep(yp, [i], source_etype=ty), typ=ty))
    b.store(vecmath.emit(b, name, *args), b.gep(op, [i], source_etype=ty))
    nxt = b.add(i, i64(1))
    i.add_incoming(nxt, loop)
    b.cbranch(b.icmp_signed('<', nxt, n), loop, done)
    b.position_at_end(done)
    b.ret_void()


class _Compiled:
    """One JIT module holding a loop for every (function, dtype)."""

    def __init__(self, names, dtypes):
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        module = ir.Module(name='vecmath_test')
        module.triple = llvm.get_process_triple()
        self.keys = [(name, dt) for name in names for dt in dtypes]
        for name, dt in self.keys:
            _define_loop(module, name, self._sym(name, dt), _TYPES[dt])
        self.ir_text = str(module)
        mod = llvm.parse_assembly(self.ir_text)
        mod.verify()
        target = llvm.Target.from_triple(llvm.get_process_triple())
        tm = target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                          features=llvm.get_host_cpu_features().flatten(),
                                          opt=3)
        pto = llvm.create_pipeline_tuning_options(speed_level=3)
        pb = llvm.create_pass_builder(tm, pto)
        pb.getModulePassManager().run(mod, pb)
        self.optimized = str(mod)
        self.engine = llvm.create_mcjit_compiler(mod, tm)
        self.engine.finalize_object()
        self.fns = {}
        for name, dt in self.keys:
            addr = self.engine.get_function_address(self._sym(name, dt))
            self.fns[name, dt] = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p,
                                                  ctypes.c_void_p, ctypes.c_int64)(addr)

    @staticmethod
    def _sym(name, dt):
        return f"vm_{name}_{np.dtype(dt).name}"

    def __call__(self, name, x, y=None):
        x = np.ascontiguousarray(x)
        y = np.ascontiguousarray(x if y is None else y, dtype=x.dtype)
        out = np.empty_like(x)
        self.fns[name, x.dtype.type](x.ctypes.data, y.ctypes.data, out.ctypes.data, x.size)
        return out

    def function_ir(self, name, dt):
        """The optimized IR text of one loop function."""
        text = self.optimized.split(f"@{self._sym(name, dt)}(", 1)[1]
        return text.split("\n}\n", 1)[0]


@pytest.fixture(scope='module')
def jit():
    return _Compiled(sorted(vecmath.SUPPORTED), (np.float32, np.float64))


# ---------------------------------------------------------------------------
# references (float64 numpy; erf from math.erf)

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _logistic_ref(x):
    with np.errstate(over='ignore'):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


REFS = {
    'exp': np.exp, 'exp2': np.exp2, 'expm1': np.expm1, 'log': np.log, 'log2': np.log2,
    'log1p': np.log1p, 'tanh': np.tanh, 'logistic': _logistic_ref, 'sinh': np.sinh,
    'cosh': np.cosh, 'sin': np.sin, 'cos': np.cos, 'tan': np.tan, 'atan': np.arctan,
    'asin': np.arcsin, 'acos': np.arccos, 'erf': _erf, 'atan2': np.arctan2, 'pow': np.power,
}


def _grid(lo, hi, n=20001):
    """Dense grid on [lo, hi] plus a log-spaced grid of both signs inside it."""
    lin = np.linspace(lo, hi, n)
    mags = np.logspace(-40, 300, 4001)
    logs = np.concatenate([mags, -mags])
    return np.concatenate([lin, logs[(logs >= lo) & (logs <= hi)]])


# (domain lo, hi) of the accuracy grids, by function and dtype
RANGES = {
    'exp': {np.float32: (-104, 89), np.float64: (-746, 710)},
    'exp2': {np.float32: (-150, 128), np.float64: (-1075, 1024)},
    'expm1': {np.float32: (-30, 89), np.float64: (-50, 710)},
    'log': {np.float32: (0, 3e38), np.float64: (0, 1e308)},
    'log2': {np.float32: (0, 3e38), np.float64: (0, 1e308)},
    'log1p': {np.float32: (-1, 1e30), np.float64: (-1, 1e300)},
    'tanh': {np.float32: (-30, 30), np.float64: (-30, 30)},
    'logistic': {np.float32: (-110, 110), np.float64: (-760, 760)},
    'sinh': {np.float32: (-95, 95), np.float64: (-715, 715)},
    'cosh': {np.float32: (-95, 95), np.float64: (-715, 715)},
    'sin': {np.float32: (-2e7, 2e7), np.float64: (-1e15, 1e15)},
    'cos': {np.float32: (-2e7, 2e7), np.float64: (-1e15, 1e15)},
    'tan': {np.float32: (-2e7, 2e7), np.float64: (-1e15, 1e15)},
    'atan': {np.float32: (-1e30, 1e30), np.float64: (-1e300, 1e300)},
    'asin': {np.float32: (-1, 1), np.float64: (-1, 1)},
    'acos': {np.float32: (-1, 1), np.float64: (-1, 1)},
    'erf': {np.float32: (-7, 7), np.float64: (-7, 7)},
}

# max error: ulp for float32, relative for float64
TOL = {np.float32: 3.0, np.float64: 1e-14}
SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -0.5, 2.0])


def _f32_ulp_error(got, ref):
    """|got - ref| in units of the float32 spacing at ref (ref in float64)."""
    with np.errstate(invalid='ignore', over='ignore'):
        spacing = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
        return np.abs(got.astype(np.float64) - ref) / spacing


def _rel_error(got, ref):
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.abs(got - ref) / np.maximum(np.abs(ref), np.finfo(np.float64).tiny)


def _max_error(got, ref, dt):
    """Max error over entries where ref is finite and representable in dt."""
    fin = np.isfinite(ref) & (np.abs(ref) <= np.finfo(dt).max)
    if dt is np.float32:
        err = _f32_ulp_error(got[fin], ref[fin])
    else:
        err = _rel_error(got[fin], ref[fin])
    i = int(np.argmax(err))
    return float(err[i]), i, fin


def _same_specials(got, ref, *inputs):
    """NaN where numpy has NaN; equal infinities; zeros with the same sign."""
    nan_ok = np.isnan(got) == np.isnan(ref)
    inf = np.isinf(ref)
    inf_ok = ~inf | (got == ref)
    zero = ref == 0
    zero_ok = ~zero | ((got == 0) & (np.signbit(got) == np.signbit(ref)))
    bad = ~(nan_ok & inf_ok & zero_ok)
    assert not bad.any(), [(*(a[i] for a in inputs), got[i], ref[i]) for i in np.flatnonzero(bad)]


def _reference(name, dt, *args):
    with np.errstate(all='ignore'):
        return REFS[name](*(a.astype(np.float64) for a in args))


@pytest.mark.parametrize('dt', [np.float32, np.float64])
@pytest.mark.parametrize('name', sorted(RANGES))
def test_unary_accuracy(jit, name, dt):
    lo, hi = RANGES[name][dt]
    x = _grid(lo, hi).astype(dt)
    got = jit(name, x)
    ref = _reference(name, dt, x)
    if dt is np.float32:
        # the exact result rounded to float32 is what numpy's float32 would give
        ref = np.where(np.abs(ref) > np.finfo(np.float32).max, np.copysign(np.inf, ref), ref)
    err, i, fin = _max_error(got, ref, dt)
    assert err <= TOL[dt], (name, dt, x[fin][i], got[fin][i], ref[fin][i], err)


@pytest.mark.parametrize('dt', [np.float32, np.float64])
@pytest.mark.parametrize('name', sorted(RANGES))
def test_unary_specials(jit, name, dt):
    lo, hi = RANGES[name][dt]
    big = float(np.finfo(dt).max)
    x = np.concatenate([SPECIALS, [big, -big, np.finfo(dt).tiny, np.finfo(dt).smallest_subnormal,
                                   -np.finfo(dt).smallest_subnormal, 1e-30, -1e-30,
                                   max(lo * 1.5 - 1, -big), min(hi * 1.5 + 1, big)]]).astype(dt)
    got = jit(name, x)
    with np.errstate(all='ignore'):
        ref = REFS[name](x).astype(dt) if name != 'erf' else _erf(x).astype(dt)
    if name in ('sin', 'cos', 'tan'):
        ref = np.where(np.abs(x) > hi, np.nan, ref)    # documented: NaN past the limit
    _same_specials(got, ref, x)
    err, i, fin = _max_error(got, ref.astype(np.float64), dt)
    assert err <= TOL[dt] * (1 if dt is np.float64 else 1.01), (name, x[fin][i], got[fin][i])


@pytest.mark.parametrize('dt', [np.float32, np.float64])
def test_trig_random_scales(jit, dt):
    """sin/cos/tan on random arguments at every scale up to the reduction limit."""
    rng = np.random.default_rng(3)
    top = RANGES['sin'][dt][1]
    x = np.concatenate([rng.uniform(-h, h, 20000) for h in np.geomspace(1, top, 8)])
    x = x.astype(dt)
    tol = {np.float32: 3.5, np.float64: 2e-15}[dt]    # tan near its poles
    for name in ('sin', 'cos', 'tan'):
        err, i, fin = _max_error(jit(name, x), _reference(name, dt, x), dt)
        assert err <= tol, (name, x[fin][i], err)


# ---------------------------------------------------------------------------
# float32 tanh: two formulas joined at |x| = 0.7, saturation at 9.02, clamp at 10

def _f32_run(center, half):
    """Every float32 within `half` representable steps of center (center > 0)."""
    c = int(np.array(center, np.float32).view(np.int32))
    return np.arange(c - half, c + half, dtype=np.int32).view(np.float32)


def test_tanh_float32_every_value_near_its_seams(jit):
    x = np.concatenate([_f32_run(c, 1 << 16) for c in (1e-30, 1e-3, 0.7, 9.0109, 10.0)])
    x = np.concatenate([x, -x])
    got = jit('tanh', x)
    err, i, fin = _max_error(got, np.tanh(x.astype(np.float64)), np.float32)
    assert err <= 1.5, (x[fin][i], got[fin][i], err)    # the docstring's 1.50 ulp
    big = np.abs(x) >= 9.5              # tanh(9.5) is 1 - 1.1e-8: rounds to 1
    np.testing.assert_array_equal(got[big], np.sign(x[big]))


def test_tanh_float32_odd_monotone_and_bounded(jit):
    x = np.arange(0, int(np.float32(12).view(np.int32)), 997, dtype=np.int32).view(np.float32)
    y = jit('tanh', x)
    assert np.all(np.diff(y) >= 0), x[np.flatnonzero(np.diff(y) < 0)[:5]]
    assert y.max() == 1.0
    # tanh(-x) is -tanh(x) to the bit, sign of zero included
    np.testing.assert_array_equal(jit('tanh', -x).view(np.uint32),
                                  y.view(np.uint32) ^ np.uint32(0x80000000))


def test_minimax_tables_are_derived():
    """The minimax tables are what the fits in tools/fit_vecmath.py give."""
    tables = fit_vecmath.derived_tables()
    for name in ('TANH_S32', 'TANH_E32', 'EXP_Q32', 'POW_L32', 'POW_E32'):
        np.testing.assert_allclose(tables[name], getattr(vecmath, name), rtol=1e-6,
                                   err_msg=name)


def test_logistic_float32_subnormal_results(jit):
    """Every float32 in [-104.5, -86]: the results are subnormal (or 0) from -87.3 on."""
    lo, hi = (int(np.float32(v).view(np.int32)) for v in (-86.0, -104.5))
    x = np.arange(lo, hi, dtype=np.int32).view(np.float32)   # magnitudes increase
    got = jit('logistic', x)
    ref = _logistic_ref(x.astype(np.float64))
    err, i, fin = _max_error(got, ref, np.float32)
    assert err <= 1.0, (x[fin][i], got[fin][i], ref[fin][i], err)
    assert np.all(np.diff(got) <= 0)
    np.testing.assert_array_equal(got[ref.astype(np.float32) == 0], 0)


def test_rational_fit_equioscillates():
    """exp on [0, 1] by a (2, 2) rational in relative error: by the alternation theorem
    the minimax error has 2 + 2 + 2 extrema of equal size and alternating sign."""
    err, p, q = fit_vecmath.rational_fit(np.exp, 0.0, 1.0, 2, 2, np.exp)
    v = np.linspace(0, 1, 200001)
    rel = (np.polynomial.polynomial.polyval(v, p)
           / np.polynomial.polynomial.polyval(v, q) / np.exp(v) - 1)
    pieces = np.split(rel, np.flatnonzero(np.diff(np.sign(rel)) != 0) + 1)
    peaks = np.array([np.abs(piece).max() for piece in pieces])
    assert q[0] == 1.0 and len(pieces) == 6, len(pieces)
    assert peaks.min() > 0.98 * peaks.max()
    assert abs(peaks.max() - err) < 1e-3 * err      # the reported error is the real one
    pade = (1 + v / 2 + v * v / 12) / (1 - v / 2 + v * v / 12) / np.exp(v) - 1
    assert peaks.max() < np.abs(pade).max() / 100


# ---------------------------------------------------------------------------
# binary functions

_BIN_SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -0.5,
                          2.0, -2.0, 3.0, -3.0, 2.5, -2.5, 1e-3, 1e3])


def _special_pairs(dt):
    y, x = np.meshgrid(_BIN_SPECIALS, _BIN_SPECIALS, indexing='ij')
    return y.ravel().astype(dt), x.ravel().astype(dt)


def _log_uniform(rng, n, lo_exp, hi_exp):
    mags = 10.0 ** rng.uniform(lo_exp, hi_exp, n)
    return mags * rng.choice([-1.0, 1.0], n)


def _pow_args(dt, rng):
    """(x, y) with |y log x| within the representable range, negative x with integer y."""
    n = 100000
    emax = 38 if dt is np.float32 else 307
    x = np.abs(_log_uniform(rng, n, -emax + 1, emax - 1))
    lim = 0.98 * np.log(np.finfo(dt).max) / np.maximum(np.abs(np.log(x)), 1e-3)
    y = rng.uniform(-1, 1, n) * np.minimum(lim, 1e4)
    xi = -np.abs(_log_uniform(rng, n // 4, -3, 3))
    yi = np.round(rng.uniform(-1, 1, n // 4) * np.minimum(
        0.98 * np.log(np.finfo(dt).max) / np.maximum(np.abs(np.log(-xi)), 1e-3), 1e4))
    near1 = 1 + rng.uniform(-1e-3, 1e-3, n // 4)
    yn = rng.uniform(-1e4, 1e4, n // 4)
    return (np.concatenate([x, xi, near1]).astype(dt),
            np.concatenate([y, yi, yn]).astype(dt))


def _atan2_args(dt, rng):
    n = 100000
    emax = 30 if dt is np.float32 else 300
    return (_log_uniform(rng, n, -emax, emax).astype(dt),
            _log_uniform(rng, n, -emax, emax).astype(dt))


@pytest.mark.parametrize('dt', [np.float32, np.float64])
@pytest.mark.parametrize('name', _BINARY)
def test_binary_accuracy(jit, name, dt):
    rng = np.random.default_rng(0)
    a, b = (_pow_args if name == 'pow' else _atan2_args)(dt, rng)
    got = jit(name, a, b)
    ref = _reference(name, dt, a, b)
    err, i, fin = _max_error(got, ref, dt)
    assert err <= TOL[dt], (name, a[fin][i], b[fin][i], got[fin][i], ref[fin][i], err)


@pytest.mark.parametrize('dt', [np.float32, np.float64])
@pytest.mark.parametrize('name', _BINARY)
def test_binary_specials(jit, name, dt):
    a, b = _special_pairs(dt)
    got = jit(name, a, b)
    with np.errstate(all='ignore'):
        ref = REFS[name](a, b)
    _same_specials(got, ref, a, b)
    err, i, fin = _max_error(got, ref.astype(np.float64), dt)
    assert err <= TOL[dt], (name, a[fin][i], b[fin][i], got[fin][i], ref[fin][i])


def _pow32_error(jit, x, y):
    """(max ulp error, x, y) of float32 pow against the float64 power."""
    x, y = x.astype(np.float32), y.astype(np.float32)
    got = jit('pow', x, y)
    with np.errstate(all='ignore'):
        ref = np.power(x.astype(np.float64), y.astype(np.float64))
    err, i, fin = _max_error(got, ref, np.float32)
    return err, x[fin][i], y[fin][i]


def test_pow_float32_nearly_correctly_rounded(jit):
    """float32 pow is within the docstring's 0.54 ulp: every float32 in [0.5, 2) (with
    |y| up to 2^13, where log2 x must be right to ~2^-38), x over the whole range, and
    x near 1 with |y| up to 1e6."""
    rng = np.random.default_rng(7)
    every = _f32_run(1.0, 1 << 23)                     # every float32 in [0.5, 2)
    x = 2.0 ** rng.uniform(-149, 128, 400000)
    lim = 150 / np.maximum(np.abs(np.log2(x)), 1e-3)
    cases = [
        (every, rng.uniform(-1, 1, every.size) * 2.0 ** rng.integers(0, 14, every.size)),
        (x, rng.uniform(-1, 1, x.size) * np.minimum(lim, 1e6)),
        (1 + rng.uniform(-1e-3, 1e-3, 400000), rng.uniform(-1e6, 1e6, 400000)),
    ]
    for x, y in cases:
        err, xi, yi = _pow32_error(jit, x, y)
        assert err <= 0.54, (xi, yi, err)


def test_pow_float32_polynomial_errors():
    """The error budget in _pow32's docstring: log2(1 + f) = s G(s^2) within 2^-37
    relative on the whole reduced range (f in [sqrt(1/2) - 1, sqrt(2) - 1]), 2^r within
    2^-28.5 for |r| <= 1/2 (float64 evaluation, against numpy's log1p / exp2)."""
    poly = np.polynomial.polynomial.polyval
    f = np.linspace(np.sqrt(0.5) - 1, np.sqrt(2) - 1, 200001)
    f = f[f != 0]
    s = f / (2 + f)
    rel = s * poly(s * s, vecmath.POW_L32) / (np.log1p(f) / np.log(2)) - 1
    assert np.abs(rel).max() < 2.0 ** -37, np.abs(rel).max()
    r = np.linspace(-0.5, 0.5, 200001)
    rel = poly(r, vecmath.POW_E32) / np.exp2(r) - 1
    assert np.abs(rel).max() < 2.0 ** -28.5, np.abs(rel).max()


def test_pow_float32_subnormal_and_overflowing_results(jit):
    """Results from 2^-151 (rounds to 0) up to past FLT_MAX: subnormals are rounded once
    (to within 0.54 of their fixed 2^-149 spacing), and overflow gives inf exactly where
    the true value rounds to inf."""
    rng = np.random.default_rng(8)
    x = (2.0 ** rng.uniform(-20, 20, 400000)).astype(np.float32)
    t = np.concatenate([rng.uniform(-151, -120, 200000), rng.uniform(120, 128.5, 200000)])
    y = (t / np.log2(x.astype(np.float64))).astype(np.float32)
    err, xi, yi = _pow32_error(jit, x, y)
    assert err <= 0.54, (xi, yi, err)
    got = jit('pow', x, y)
    ref = np.power(x.astype(np.float64), y.astype(np.float64))
    tiny = ref < 2.0 ** -126
    assert 50000 < tiny.sum() and np.all(got[tiny] <= 2.0 ** -126)
    with np.errstate(over='ignore'):
        np.testing.assert_array_equal(np.isinf(got), np.isinf(ref.astype(np.float32)))
    assert np.all(got[ref < 2.0 ** -150] == 0)


def test_pow_float32_negative_base_and_integer_exponents(jit):
    """x < 0 with integer y: the sign of x^|y| follows y's parity (also past 2^24, where
    every float32 is even), and exact small powers come out exact."""
    rng = np.random.default_rng(9)
    x = -(2.0 ** rng.uniform(-8, 8, 200000))
    y = np.round(rng.uniform(-1, 1, x.size) * np.minimum(120 / np.abs(np.log2(-x)), 1e4))
    err, xi, yi = _pow32_error(jit, x, y)
    assert err <= 0.54, (xi, yi, err)
    big = np.array([2.0 ** 24, 2.0 ** 24 + 2, 3.0 * 2 ** 30, -(2.0 ** 25)], np.float32)
    xs = np.full(big.size, -1.0, np.float32)
    np.testing.assert_array_equal(jit('pow', xs, big), np.ones(big.size, np.float32))
    base = np.arange(-12, 13, dtype=np.float32)
    for k in (2, 3, 5):
        np.testing.assert_array_equal(jit('pow', base, np.full(base.size, k, np.float32)),
                                      base.astype(np.float64) ** k)


# ---------------------------------------------------------------------------
# vectorization and interface

@pytest.mark.parametrize('name', ['exp', 'tanh', 'log', 'sin', 'erf'])
def test_loops_vectorize_full_width(jit, name):
    # At least AVX2 widths (AVX-512 hosts such as znver4 may pick 16 x float).
    if 'avx2' not in llvm.get_host_cpu_features().flatten():
        pytest.skip('host without AVX2')
    ir32, ir64 = jit.function_ir(name, np.float32), jit.function_ir(name, np.float64)
    assert '<8 x float>' in ir32 or '<16 x float>' in ir32
    assert '<4 x double>' in ir64 or '<8 x double>' in ir64


@pytest.mark.parametrize('dt', [np.float32, np.float64])
def test_every_function_vectorizes_without_calls(jit, dt):
    for name in sorted(vecmath.SUPPORTED):
        text = jit.function_ir(name, dt)
        assert re.search(r'<\d+ x (float|double)>', text), name
        calls = re.findall(r'call [^@]*@([\w.]+)', text)
        assert all(c.startswith('llvm.') for c in calls), (name, calls)


def test_emit_accepts_vectors_and_rejects_bad_input():
    module = ir.Module()
    vec = ir.VectorType(ir.FloatType(), 4)
    func = ir.Function(module, ir.FunctionType(vec, [vec, vec]), 'f')
    b = ir.IRBuilder(func.append_basic_block())
    b.ret(vecmath.emit(b, 'pow', vecmath.emit(b, 'sin', func.args[0]), func.args[1]))
    llvm.parse_assembly(str(module)).verify()
    with pytest.raises(ValueError, match='unsupported'):
        vecmath.emit(b, 'gamma', func.args[0])
    with pytest.raises(TypeError, match='argument'):
        vecmath.emit(b, 'exp', func.args[0], func.args[1])
    with pytest.raises(TypeError, match='float/double'):
        vecmath.emit(b, 'exp', ir.Constant(ir.IntType(32), 1))


@pytest.mark.parametrize('name', ['exp', 'log1p', 'sin', 'erf', 'tanh', 'logistic', 'pow', 'atan2'])
def test_vector_arguments_match_scalar_loop(jit, name):
    """emit on <4 x double> / <8 x float> values gives the scalar loop's results."""
    llvm.initialize_native_target()
    module = ir.Module(name='vecmath_vector_args')
    module.triple = llvm.get_process_triple()
    ptr = ir.PointerType()
    for dt, lanes in ((np.float32, 8), (np.float64, 4)):
        vty = ir.VectorType(_TYPES[dt], lanes)
        func = ir.Function(module, ir.FunctionType(ir.VoidType(), [ptr, ptr, ptr]),
                           f"vec_{np.dtype(dt).name}")
        b = ir.IRBuilder(func.append_basic_block())
        align = np.dtype(dt).itemsize      # numpy does not align to the vector size
        args = [b.load(func.args[0], typ=vty, align=align)]
        if name in _BINARY:
            args.append(b.load(func.args[1], typ=vty, align=align))
        b.store(vecmath.emit(b, name, *args), func.args[2], align=align)
        b.ret_void()
    mod = llvm.parse_assembly(str(module))
    mod.verify()
    tm = llvm.Target.from_triple(module.triple).create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten())
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    sig = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
    for dt, lanes in ((np.float32, 8), (np.float64, 4)):
        fn = sig(engine.get_function_address(f"vec_{np.dtype(dt).name}"))
        x = np.array([0.3, -1.7, 2.5, 80.0, -0.0, np.inf, np.nan, 1e-30][:lanes], dtype=dt)
        y = np.array([2.0, 3.0, -0.5, 0.1, 1.0, -2.0, 0.5, 4.0][:lanes], dtype=dt)
        out = np.empty_like(x)
        fn(x.ctypes.data, y.ctypes.data, out.ctypes.data)
        np.testing.assert_array_equal(out, jit(name, x, y))


def _best_ms(fn, repeat=3):
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return 1e3 * best


def test_speed_report(jit, capsys):
    """Prints compiled vs numpy time over 1e7 float32 (no timing assertion; see with -s)."""
    x = np.random.default_rng(1).uniform(-5, 5, 10 ** 7).astype(np.float32)
    out = np.empty_like(x)
    for name, ref in (('exp', np.exp), ('tanh', np.tanh)):
        fn = jit.fns[name, np.float32]
        ours = _best_ms(lambda: fn(x.ctypes.data, x.ctypes.data, out.ctypes.data, x.size))
        np.testing.assert_allclose(out[::97], ref(x[::97]), rtol=1e-6)
        theirs = _best_ms(lambda: ref(x))
        with capsys.disabled():
            print(f"\n{name} float32 x 1e7: vecmath loop {ours:.1f} ms, numpy {theirs:.1f} ms")
