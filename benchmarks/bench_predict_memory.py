"""Peak memory and throughput of `distilkit predict` streaming a large Parquet file.

Writes a 2,000,000 x 64 float32 Parquet file (in chunks, so writing it is bounded too;
row groups of 1,048,576 rows like pandas' default), fits a NaiveBayesHead on 20,000 of its rows twice --
as the CLI does (a pipeline: featurizer with median imputation and scaling, then the head) and as a bare
estimator saved from Python -- then runs, for each, ``/usr/bin/time -v distilkit predict MODEL DATA --proba
-o scores.parquet`` and reads the peak RSS. The two runs are side by side, so their ratio is what to
compare (timings on this shared machine move by 20%). Prints a table and writes
benchmarks/results/predict_memory.json.

    python benchmarks/bench_predict_memory.py [--rows 2000000] [--workdir /tmp/dk-predict]
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from distilkit import NaiveBayesHead, save_model
from distilkit.features import infer_roles, make_model

HERE = Path(__file__).resolve().parent
N_FEATURES = 64


def write_big_parquet(path, rows, row_group_size, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, N_FEATURES)).astype(np.float32)
    writer = None
    for start in range(0, rows, row_group_size):
        n = min(row_group_size, rows - start)
        label = rng.integers(0, 3, n)
        X = centres[label] + rng.normal(size=(n, N_FEATURES)).astype(np.float32)
        frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(N_FEATURES)])
        frame.insert(0, "id", np.arange(start, start + n))
        frame["label"] = label
        table = pa.Table.from_pandas(frame, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=row_group_size)
    writer.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/dk-predict"))
    parser.add_argument("--out", type=Path, default=HERE / "results" / "predict_memory.json")
    parser.add_argument("--row-group-size", type=int, default=1024 * 1024,
                        help="rows per Parquet row group (pyarrow and pandas write 1,048,576 by default)")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    data, model, scores = args.workdir / "big.parquet", args.workdir / "head.dkm", args.workdir / "scores.parquet"
    write_big_parquet(data, args.rows, args.row_group_size)
    sample = pq.ParquetFile(data).read_row_group(0).to_pandas().iloc[:20_000]
    roles = infer_roles(sample, target="label")
    pipeline = make_model(NaiveBayesHead(), roles).fit(sample, sample["label"])
    models = {"pipeline": args.workdir / "pipeline.dkm", "bare estimator": args.workdir / "head.dkm"}
    save_model(pipeline, models["pipeline"])
    save_model(NaiveBayesHead().fit(sample.filter(like="x"), sample["label"]), models["bare estimator"])

    cli = shutil.which("distilkit") or str(Path(sys.executable).with_name("distilkit"))
    runs = {}
    for name, model in models.items():
        command = ["/usr/bin/time", "-v", cli, "predict", str(model), str(data), "--proba",
                   "--id-column", "id", "-o", str(scores), "--quiet"]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"predict failed: {done.stderr}")
        peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
        runs[name] = {"peak_rss_mb": peak_kb / 1024, "wall_seconds": seconds, "rows_per_second": args.rows / seconds,
                      "rows_written": pq.ParquetFile(scores).metadata.num_rows}
    result = {
        "benchmark": "predict_memory",
        "rows": args.rows,
        "features": N_FEATURES,
        "input_mb": data.stat().st_size / 2**20,
        "row_groups": pq.ParquetFile(data).metadata.num_row_groups,
        "runs": runs,
        "pipeline_over_bare_rows_per_second": runs["pipeline"]["rows_per_second"]
        / runs["bare estimator"]["rows_per_second"],
        "target_peak_rss_under_600mb": all(r["peak_rss_mb"] < 600 for r in runs.values()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'model':>15} {'rows':>12} {'input MB':>9} {'peak RSS MB':>12} {'seconds':>8} {'rows/s':>10}")
    for name, run in runs.items():
        print(f"{name:>15} {args.rows:>12,} {result['input_mb']:>9.0f} {run['peak_rss_mb']:>12.0f} "
              f"{run['wall_seconds']:>8.1f} {run['rows_per_second']:>10,.0f}")
    print(f"pipeline / bare rows/s: {result['pipeline_over_bare_rows_per_second']:.2f} "
          f"(wall time includes interpreter start and imports); wrote {args.out}")


if __name__ == "__main__":
    main()
