"""Helpers shared by the benchmark scripts (run as ``python benchmarks/<script>.py``)."""

import json
import os
import platform
import time

import numpy as np


def timed(fn, repeats=1):
    """Median wall time of ``repeats`` calls of ``fn``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def machine():
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}


def write_results(document, path, console):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
    console.print(f"wrote {path}")
