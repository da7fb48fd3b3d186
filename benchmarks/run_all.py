"""Run every benchmark and write benchmarks/RESULTS.md.

    python benchmarks/run_all.py

Run it with a Python that also has JAX installed (e.g. a venv made with
`pip install -e '.[bench]'`) to get the JAX columns; otherwise they show '-'.
"""
import datetime
import os

import bench_autodiff
import bench_complex
import bench_compile
import bench_contention
import bench_control_flow
import bench_conv
import bench_debug
import bench_eager
import bench_fft
import bench_jit
import bench_linalg
import bench_memory
import bench_mpi
import bench_scipy
import bench_sort

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    sections = [bench_jit.run(), bench_autodiff.run(), bench_control_flow.run(),
                bench_linalg.run(), bench_scipy.run(), bench_conv.run(), bench_fft.run(),
                bench_sort.run(), bench_complex.run(),
                bench_debug.run(), bench_eager.run(), bench_mpi.run(),
                bench_contention.run(), bench_memory.run(), bench_compile.run()]
    text = (f"# Benchmark results\n\nProduced by `python benchmarks/run_all.py` on "
            f"{datetime.date.today()}. One run, one process per table (first-call rows use "
            f"fresh subprocesses); machines here are noisy, so read the ratios.\n\n"
            + "\n\n".join(sections) + "\n")
    with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
