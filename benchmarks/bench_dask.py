"""Scaling out on Dask: batch scoring and the teacher pass with 1 and 2 worker processes.

1. Batch scoring: 8,000,000 x 64 float32 rows (plus an id) in 16 Parquet files, scored with a
   NaiveBayesHead pipeline (median imputation, scaling, the head) fitted on 20,000 rows: the
   single-process path (the same partitions scored one after another in this process, no Dask),
   then the embedded cluster of ``--dask local`` (``distilkit.cluster.dask_client``) with 1 and 2 worker
   processes (1 thread each). Peak RSS: this process for
   the single-process run, each worker's for the Dask runs (fresh workers per run).
2. The teacher pass: MiniLM embeddings of the 2,985 VADER Amazon snippets in partitions of 128,
   1 vs 2 workers (encoders loaded and warmed up on every worker before the clock starts).

All runs are side by side in one process run, so compare their ratios (timings on this shared
machine move by 20%). Prints a table and writes benchmarks/results/dask.json.

    python benchmarks/bench_dask.py --sdist data/vendor/vaderSentiment-3.3.2.tar.gz [--rows 8000000]
"""

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from common import machine, write_results
from rich.console import Console
from rich.table import Table

from distilkit import NaiveBayesHead, save_model
from distilkit.cluster import dask_client
from distilkit.datasets import load_vader
from distilkit.encoders import embed_texts
from distilkit.features import infer_roles, make_model
from distilkit.inference import score_files

HERE = Path(__file__).resolve().parent
N_FEATURES = 64


def write_files(folder, rows, n_files, seed=0):
    import pandas as pd
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, N_FEATURES)).astype(np.float32)
    per_file = rows // n_files
    for i in range(n_files):
        label = rng.integers(0, 3, per_file)
        X = centres[label] + rng.normal(size=(per_file, N_FEATURES)).astype(np.float32)
        frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(N_FEATURES)])
        frame.insert(0, "id", np.arange(i * per_file, (i + 1) * per_file))
        frame["label"] = label
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / f"rows-{i:02d}.parquet")


def worker_peak_mb(client):
    return max(client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024).values())


def scoring_runs(workdir, rows, n_files):
    data = workdir / "in"
    data.mkdir()
    write_files(data, rows, n_files)
    sample = pq.read_table(next(data.iterdir())).to_pandas().iloc[:20_000]
    roles = infer_roles(sample, target="label")
    model = make_model(NaiveBayesHead(), roles).fit(sample, sample["label"])
    save_model(model, workdir / "model.dkm")
    # The single-process run gets a fresh interpreter, so its peak RSS is its own.
    probe = (f"import resource, time; from distilkit.inference import score_files; start = time.perf_counter(); "
             f"n = score_files({str(workdir / 'model.dkm')!r}, {str(data)!r}, {str(workdir / 'out-single')!r}, "
             "passthrough=['id'], proba=True); "
             "print(time.perf_counter() - start, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    seconds, n, peak = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                      check=True).stdout.split()
    runs = {"single process": {"seconds": float(seconds), "rows": int(n), "peak_rss_mb": float(peak)}}
    for n_workers in (1, 2):
        with dask_client("local", n_workers=n_workers) as client:
            start = time.perf_counter()
            n = score_files(workdir / "model.dkm", str(data), workdir / f"out-{n_workers}", client=client,
                            passthrough=["id"], proba=True)
            runs[f"dask, {n_workers} worker{'s' * (n_workers > 1)}"] = {
                "seconds": time.perf_counter() - start, "rows": n, "peak_rss_mb": worker_peak_mb(client)}
    for run in runs.values():
        run["rows_per_second"] = run["rows"] / run["seconds"]
    return runs


def teacher_runs(texts, workdir):
    from distilkit.encoders import encode_texts

    runs = {}
    for n_workers in (1, 2):
        with dask_client("local", n_workers=n_workers) as client:
            client.run(lambda: encode_texts(["warm up the encoder"], "minilm"))
            start = time.perf_counter()
            embeddings = embed_texts(texts, "minilm", workdir / f"cache-{n_workers}", client=client,
                                     partition_rows=128)
            seconds = time.perf_counter() - start
            runs[f"{n_workers} worker{'s' * (n_workers > 1)}"] = {
                "seconds": seconds, "rows": len(embeddings), "rows_per_second": len(embeddings) / seconds,
                "peak_rss_mb": worker_peak_mb(client)}
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdist", type=Path, required=True, help="vaderSentiment-3.3.2.tar.gz")
    parser.add_argument("--rows", type=int, default=8_000_000)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "dask.json")
    args = parser.parse_args()
    console = Console()
    workdir = Path(tempfile.mkdtemp(prefix="dk-dask-"))
    try:
        scoring = scoring_runs(workdir, args.rows, args.files)
        texts = load_vader("amazonReviewSnippets", args.sdist)["text"].tolist()
        teacher = teacher_runs(texts, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    single, one, two = (scoring[k]["rows_per_second"] for k in ("single process", "dask, 1 worker", "dask, 2 workers"))
    summary = {
        "scoring_dask_overhead_at_1_worker": single / one - 1,
        "scoring_speedup_1_to_2_workers": two / one,
        "teacher_speedup_1_to_2_workers": teacher["2 workers"]["rows_per_second"]
        / teacher["1 worker"]["rows_per_second"],
    }
    summary["target_overhead_at_most_15_percent"] = summary["scoring_dask_overhead_at_1_worker"] <= 0.15
    summary["target_teacher_speedup_at_least_1_7"] = summary["teacher_speedup_1_to_2_workers"] >= 1.7

    for title, first, runs in ((f"batch scoring: {args.rows:,} x {N_FEATURES} in {args.files} Parquet files", "run",
                                scoring), (f"teacher pass: MiniLM on {len(texts):,} review snippets", "workers",
                                           teacher)):
        table = Table(title=title)
        for name in (first, "seconds", "rows/s", "peak RSS MB (per worker)"):
            table.add_column(name, justify="left" if name == first else "right")
        for name, run in runs.items():
            table.add_row(name, f"{run['seconds']:.1f}", f"{run['rows_per_second']:,.1f}", f"{run['peak_rss_mb']:.0f}")
        console.print(table)
    console.print(f"Dask overhead at 1 worker: {summary['scoring_dask_overhead_at_1_worker']:+.1%}; scoring 1 -> 2 "
                  f"workers: {summary['scoring_speedup_1_to_2_workers']:.2f}x; teacher pass 1 -> 2 workers: "
                  f"{summary['teacher_speedup_1_to_2_workers']:.2f}x")
    write_results({"benchmark": "dask", "machine": machine(), "rows": args.rows, "files": args.files,
                   "scoring": scoring, "teacher_pass": teacher, "summary": summary}, args.out, console)


if __name__ == "__main__":
    main()
