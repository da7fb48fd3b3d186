"""jit's early load of the compiler's native library (jaxlite/jit.py): started by
the first ``jit(f)``, never by ``import jaxlite`` or eager work; it imports no
Python module, llvmlite then uses the library it mapped, and a fork made while it
runs waits for it."""
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc/self/maps")

PRELUDE = textwrap.dedent("""
    import sys, threading
    import numpy as np
    import jaxlite, jaxlite.numpy as jnp

    def mapped():
        with open("/proc/self/maps") as maps:
            return any("libllvmlite" in line for line in maps)

    def loader():
        return [t for t in threading.enumerate() if t.name == "jaxlite-load-llvmlite"]
""")


def _run(body):
    out = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_import_and_eager_work_load_nothing():
    assert _run("""
        y = jnp.sin(jnp.arange(4.0)) * 2.0
        jaxlite.grad(lambda v: jnp.sum(v ** 2))(jnp.ones(3))
        print(mapped(), bool(loader()), "llvmlite" in sys.modules)
    """) == ["False", "False", "False"]


def test_first_jit_maps_the_library_without_importing_llvmlite():
    assert _run("""
        f = jaxlite.jit(lambda v: v * 2.0 + 1.0)
        g = jaxlite.jit(lambda v: v - 1.0)              # one loader only
        threads = loader()
        assert len(threads) <= 1
        for t in threads:
            t.join()
        print(mapped(), "llvmlite" in sys.modules)
        x = np.arange(5.0)
        assert np.array_equal(np.asarray(f(x)), x * 2.0 + 1.0)
        assert np.array_equal(np.asarray(g(x)), x - 1.0)
        print(mapped())
    """) == ["True", "False", "True"]


def test_a_fork_right_after_jit_waits_for_the_load_and_the_child_compiles():
    assert _run("""
        import os
        f = jaxlite.jit(lambda v: v * 3.0)
        pid = os.fork()                                  # while the loader may run
        if pid == 0:
            ok = np.array_equal(np.asarray(f(np.arange(4.0))), np.arange(4.0) * 3.0)
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        print(not loader() or not loader()[0].is_alive(), os.waitstatus_to_exitcode(status))
        assert np.array_equal(np.asarray(f(np.ones(2))), np.full(2, 3.0))
    """) == ["True", "0"]
