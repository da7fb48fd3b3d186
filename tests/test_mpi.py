"""Collectives over MPI processes: tests/mpi_worker.py launched with mpiexec on
2 and 4 processes checks every collective (eager and jitted) against numpy
over all ranks' inputs and gradients through them; the data-parallel example
trains to the same parameters on 2 processes as on 1; a failing rank, a
mismatched collective and a missing initialize() end the job with a clear
message within a bounded time. The one-process path is tests/test_collectives.py."""
import os
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="the MPI tests need mpi4py (pip install '.[mpi]')")

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORKER = ROOT / "tests" / "mpi_worker.py"
TIMEOUT = 90      # seconds: a hang is a failure, not a stuck CI


def _mpiexec():
    here = pathlib.Path(sys.executable).parent / "mpiexec"
    found = str(here) if here.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.fail("mpi4py is installed but no mpiexec was found next to python or on PATH")
    version = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
    # Open MPI refuses more ranks than cores unless told; MPICH's hydra allows it.
    return [found] + (["--oversubscribe"] if "Open MPI" in version else [])


def launch(n, *args, timeout=TIMEOUT, **env_vars):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **env_vars)
    return subprocess.run(_mpiexec() + ["-n", str(n), sys.executable, *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def ok_lines(out, mode):
    # Ranks share the pipe: their lines may interleave, so match, don't split.
    return sorted(re.findall(rf"OK {mode} \d+", out.stdout))




@pytest.mark.parametrize("n", [2, 4])
def test_every_collective_over_processes_matches_numpy_eager_and_jitted(n):
    out = launch(n, WORKER, "collectives")
    assert out.returncode == 0, out.stdout + out.stderr
    assert ok_lines(out, "collectives") == [f"OK collectives {r}" for r in range(n)]


@pytest.mark.parametrize("n", [2, 4])
def test_jitted_reductions_of_pytrees_around_the_packing_thresholds(n):
    out = launch(n, WORKER, "allreduce_paths")
    assert out.returncode == 0, out.stdout + out.stderr
    assert ok_lines(out, "allreduce_paths") == [f"OK allreduce_paths {r}" for r in range(n)]


def test_data_parallel_training_on_two_processes_equals_one_process(tmp_path):
    example = ROOT / "examples" / "data_parallel.py"
    one = subprocess.run([sys.executable, str(example), "--steps", "20", "--save",
                          str(tmp_path / "one.npz")], capture_output=True, text=True,
                         timeout=TIMEOUT, cwd=ROOT)
    assert one.returncode == 0, one.stderr
    two = launch(2, example, "--steps", "20", "--save", tmp_path / "two.npz")
    assert two.returncode == 0, two.stderr
    assert "trained on 2 process(es)" in two.stdout
    assert two.stdout.count("step   0  loss") == 1           # rank 0 prints, alone
    a, b = np.load(tmp_path / "one.npz"), np.load(tmp_path / "two.npz")
    assert len(a.files) == len(b.files) == 6
    for k in a.files:
        np.testing.assert_allclose(b[k], a[k], rtol=1e-5, atol=1e-6)


def test_a_rank_that_raises_ends_the_job_instead_of_hanging():
    out = launch(2, WORKER, "raise", timeout=60)       # rank 0 waits in a psum
    assert out.returncode != 0
    assert "rank 1 fails on purpose" in out.stderr
    assert "aborting the MPI job" in out.stderr


def test_mismatched_shapes_are_a_value_error_on_every_rank_eagerly():
    out = launch(2, WORKER, "mismatch_eager")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("ERROR mismatched collective across processes") == 2
    assert out.stdout.count("rank 0: allreduce_sum;<f8(3,)") == 2
    assert out.stdout.count("rank 1: allreduce_sum;<f8(4,)") == 2


def test_mismatched_shapes_abort_the_job_under_jit_with_the_shapes():
    out = launch(2, WORKER, "mismatch_jit")
    assert out.returncode != 0
    assert "OK mismatch_jit" not in out.stdout
    assert "mismatched collective across processes (compiled code)" in out.stderr
    assert "float64[3]" in out.stderr or "float64[4]" in out.stderr


def test_collective_without_initialize_under_mpiexec_is_a_clear_error():
    out = launch(2, WORKER, "no_init")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("initialize() was not called") == 2


def test_a_program_cached_by_a_one_process_run_still_reduces_over_processes(tmp_path):
    # One process compiles the psum to a copy; the disk cache (warm path keyed by
    # the traced program) must not hand that copy to a 2-process run.
    cache = dict(JAXLITE_CACHE_DIR=str(tmp_path), JAXLITE_DISABLE_DISK_CACHE="0")
    one = subprocess.run([sys.executable, str(WORKER), "cached_psum"], capture_output=True,
                         text=True, timeout=TIMEOUT, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=str(ROOT), **cache))
    assert one.returncode == 0, one.stderr
    assert list(tmp_path.rglob("*.jlc")), "the one-process run cached nothing"
    out = launch(2, WORKER, "cached_psum", **cache)
    assert out.returncode == 0, out.stdout + out.stderr
    assert ok_lines(out, "cached_psum") == ["OK cached_psum 0", "OK cached_psum 1"]
