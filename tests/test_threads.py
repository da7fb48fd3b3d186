"""The current interpreter is per thread: tracing in one thread never captures
another thread's eager operations, and jitted functions run from threads."""
import sys
import threading

import numpy as np

import jaxlite
import jaxlite.numpy as jnp


def test_tracing_in_one_thread_leaves_another_threads_eager_ops_alone():
    failures = []

    def eager():
        for _ in range(2000):
            try:
                y = jnp.sin(np.ones(3)) + 1
                if type(y) is not jaxlite.Array:
                    failures.append(type(y))
            except Exception as e:   # a tracer leaking in shows up as an error
                failures.append(e)

    def long(x):
        for _ in range(200):
            x = jnp.cos(x) * 2
        return x

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)          # switch threads as often as possible
    try:
        t = threading.Thread(target=eager)
        t.start()
        for _ in range(10):
            closed = jaxlite.make_jaxpr(long)(np.ones(3))
            assert len(closed.jaxpr.eqns) == 400
        t.join()
    finally:
        sys.setswitchinterval(old)
    assert not failures, failures[:3]


def test_jit_and_grad_from_several_threads():
    f = jaxlite.jit(jaxlite.grad(lambda x: jnp.sum(jnp.tanh(x) ** 2)))
    x = np.linspace(-1, 1, 7)
    want = 2 * np.tanh(x) * (1 - np.tanh(x) ** 2)
    out = [None] * 4

    def work(i):
        out[i] = [np.asarray(f(x * 1.0)) for _ in range(50)]
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for results in out:
        for r in results:
            np.testing.assert_allclose(r, want, rtol=1e-12)
