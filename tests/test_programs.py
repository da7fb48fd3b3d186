"""Plain JAX programs (tests/programs/*.py, written in the style of JAX's
tutorials) must run unchanged on jaxlite with only the imports swapped.

Each program checks its own numbers against numpy or closed forms and exits
non-zero on a mismatch; each runs in its own process through
tests/programs/swap_jax.py, as a user's script would.
"""
import os
import subprocess
import sys

import pytest

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs")
RUNNER = os.path.join(HERE, "swap_jax.py")
PROGRAMS = sorted(f for f in os.listdir(HERE) if f.endswith(".py") and f != "swap_jax.py")


def test_there_are_programs():
    assert len(PROGRAMS) >= 10


@pytest.mark.parametrize("program", PROGRAMS)
def test_program_runs_unchanged(program):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    done = subprocess.run([sys.executable, RUNNER, os.path.join(HERE, program)],
                          capture_output=True, text=True, timeout=600, env=env, cwd=HERE)
    assert done.returncode == 0, f"{program} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    assert "OK" in done.stdout.splitlines()[-1], done.stdout[-2000:]
