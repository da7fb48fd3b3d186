"""jaxlite.scipy and odeint under jit vs scipy and JAX (when installed), one run.

    python benchmarks/bench_scipy.py     # prints a markdown table

* special functions: ``jit(f)`` over 10^6 float64 values (gammaln, digamma,
  gammainc, betainc, erfinv, ndtri, i0e, log_ndtr) against scipy.special's
  ufuncs and JAX;
* ``odeint``: ``jit(value_and_grad)`` of examples/ode_fit.py's loss (a
  Lotka-Volterra solve at 25 times plus its adjoint solve); scipy's column is
  one forward ``solve_ivp`` (RK45, same tolerances) with no gradient;
* ``minimize``: ``jit`` of BFGS on the 5-dimensional Rosenbrock function;
  scipy's column is scipy.optimize.minimize(BFGS) given the analytic gradient.

Results are checked against scipy before timing; JAX runs with 64-bit types.
"""
import contextlib

import numpy as np

from common import fmt_ratio, fmt_time, machine, optional, table, timeit

import jaxlite
import jaxlite.numpy as jlnp
from jaxlite.experimental import ode as jl_ode
from jaxlite.scipy import optimize as jl_opt
from jaxlite.scipy import special as jl_special

jax = optional("jax")
scipy_special = optional("scipy.special")
scipy_integrate = optional("scipy.integrate")
scipy_optimize = optional("scipy.optimize")
LIBS = {"jaxlite": (jaxlite, jlnp, jl_special, jl_ode.odeint, jl_opt.minimize)}
if jax is not None:
    import jax.numpy as jjnp
    from jax.experimental.ode import odeint as jx_odeint
    from jax.scipy import special as jx_special
    from jax.scipy.optimize import minimize as jx_minimize
    LIBS["JAX"] = (jax, jjnp, jx_special, jx_odeint, jx_minimize)

N = 1_000_000


def _x64(lib):
    return jax.enable_x64(True) if lib == "JAX" else contextlib.nullcontext()


def _run(lib, f, *args):
    with _x64(lib):
        out = f(*args)
        return jax.block_until_ready(out) if lib == "JAX" else out


def _timed(lib, f, *args, **kw):
    with _x64(lib):
        if lib == "JAX":
            args = jax.device_put(args)
            return timeit(lambda: jax.block_until_ready(f(*args)), **kw)
        return timeit(lambda: f(*args), **kw)


def special_rows():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 10, N)
    u = rng.uniform(-0.99, 0.99, N)
    a = rng.uniform(0.5, 5, N)
    cases = [("gammaln", (x,), 1e-12), ("digamma", (x,), 1e-12), ("gammainc", (a, x), 1e-10),
             ("betainc", (a, a[::-1], (u + 1) / 2), 1e-10), ("erfinv", (u,), 1e-13),
             ("ndtri", ((u + 1) / 2,), 1e-13), ("i0e", (x,), 1e-13),
             ("log_ndtr", (u * 10,), 1e-12)]
    rows = []
    for name, args, rtol in cases:
        ref = getattr(scipy_special, name) if scipy_special is not None else None
        times = {}
        for lib, (jx, _, sp, _, _) in LIBS.items():
            f = jx.jit(getattr(sp, name))
            if ref is not None:
                np.testing.assert_allclose(np.asarray(_run(lib, f, *args)), ref(*args),
                                           rtol=rtol, atol=1e-14)
            times[lib] = _timed(lib, f, *args, repeat=3, min_time=0.3)
        t_ref = timeit(lambda: ref(*args), repeat=3, min_time=0.3) if ref else None
        rows.append([f"jit({name}) of 10^6 f64", times["jaxlite"], t_ref, times.get("JAX")])
    return rows


RATES = np.array([1.0, 0.4, 0.1, 0.4])
Y0 = np.array([10.0, 5.0])
TIMES = np.linspace(0.0, 12.0, 25)


def ode_loss(jnp, odeint):
    def field(y, t, rates):
        prey, pred = y[0], y[1]
        return jnp.stack([rates[0] * prey - rates[1] * prey * pred,
                          rates[2] * prey * pred - rates[3] * pred])

    def loss(log_rates):
        ys = odeint(field, Y0, TIMES, jnp.exp(log_rates), rtol=1e-8, atol=1e-8)
        return jnp.mean(jnp.log(ys) ** 2)
    return loss


def ode_rows():
    x = np.log(RATES * np.array([1.4, 0.6, 1.3, 0.7]))
    times, results = {}, {}
    for lib, (jx, jnp, _, odeint, _) in LIBS.items():
        f = jx.jit(jx.value_and_grad(ode_loss(jnp, odeint)))
        results[lib] = [np.asarray(v) for v in _run(lib, f, x)]
        times[lib] = _timed(lib, f, x, repeat=5, min_time=0.3)
    if "JAX" in results:
        np.testing.assert_allclose(results["jaxlite"][1], results["JAX"][1], rtol=1e-5)
    t_ref = None
    if scipy_integrate is not None:
        r = np.exp(x)

        def rhs(t, y):
            return [r[0] * y[0] - r[1] * y[0] * y[1], r[2] * y[0] * y[1] - r[3] * y[1]]
        t_ref = timeit(lambda: scipy_integrate.solve_ivp(rhs, (0, 12), Y0, t_eval=TIMES,
                                                         rtol=1e-8, atol=1e-8),
                       repeat=5, min_time=0.3)
    return [["jit(value_and_grad) of an odeint loss (Lotka-Volterra, 25 times; "
             "scipy: forward solve_ivp only)", times["jaxlite"], t_ref, times.get("JAX")]]


def rosen(jnp):
    return lambda x: jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def minimize_rows():
    x0 = np.array([-1.2, 1.0, -1.2, 1.0, 0.5])
    times = {}
    for lib, (jx, jnp, _, _, minimize) in LIBS.items():
        f = jx.jit(lambda x0, jnp=jnp, minimize=minimize: minimize(rosen(jnp), x0,
                                                                   method="BFGS").x)
        times[lib] = _timed(lib, f, x0, repeat=5, min_time=0.3)
        if lib == "jaxlite":      # JAX's float64 BFGS also converges; checked on ours
            np.testing.assert_allclose(np.asarray(_run(lib, f, x0)), np.ones(5), atol=1e-5)
    t_ref = None
    if scipy_optimize is not None:
        t_ref = timeit(lambda: scipy_optimize.minimize(scipy_optimize.rosen, x0,
                                                       jac=scipy_optimize.rosen_der,
                                                       method="BFGS"), repeat=5, min_time=0.3)
    return [["jit(minimize BFGS) Rosenbrock, 5-d", times["jaxlite"], t_ref, times.get("JAX")]]


def run():
    rows = []
    for fn in (special_rows, ode_rows, minimize_rows):
        for name, t_jl, t_ref, t_jx in fn():
            rows.append([name, fmt_time(t_jl), fmt_time(t_ref), fmt_time(t_jx),
                         fmt_ratio(t_ref, t_jl), fmt_ratio(t_jx, t_jl)])
    header = ["workload", "jaxlite", "scipy", "JAX", "scipy/jaxlite", "JAX/jaxlite"]
    note = f"JAX {jax.__version__}" if jax is not None else "JAX not installed"
    return (f"### jaxlite.scipy and odeint under jit ({machine()}, {note}; ratios > 1 mean "
            f"jaxlite is faster)\n\n" + table(header, rows))


if __name__ == "__main__":
    print(run())
