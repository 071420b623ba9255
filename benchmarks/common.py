"""Helpers shared by the benchmark scripts (run as ``python benchmarks/<script>.py``)."""

import argparse
import json
import os
import platform
import time
from pathlib import Path

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


def vader_arguments(doc, out_name, seeds):
    """The options every benchmark on the VADER snippets shares: the sdist, the cache, the results file, seeds."""
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdist", required=True, help="vaderSentiment-3.3.2.tar.gz")
    parser.add_argument("--cache-dir", type=Path, default=here / "cache")
    parser.add_argument("--out", type=Path, default=here / "results" / out_name)
    parser.add_argument("--seeds", type=int, default=seeds)
    return parser
