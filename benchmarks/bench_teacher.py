"""The teacher pass on CPU: packaged encoders run by torch, ONNX Runtime fp32 and ONNX Runtime int8.

For MiniLM and MPNet: rows/s encoding the same 500 VADER movie snippets with each backend
(side by side in one run, after one warm-up batch; the ONNX export happens before), and
each backend's accuracy as a teacher: a logistic head fitted on 1,000 labelled snippets
and scored on the fixed 20% test split of ``bench_distill.py`` (2,015 snippets). The
ONNX backends are worth keeping only if the teacher's accuracy moves by less than half a
point.

    python benchmarks/bench_teacher.py --sdist data/vendor/vaderSentiment-3.3.2.tar.gz

Prints a table and writes benchmarks/results/teacher.json.
"""

import argparse
import time
from pathlib import Path

import numpy as np
from common import machine, write_results
from rich.console import Console
from rich.table import Table
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from distilkit import load_vader
from distilkit.encoders import encode_texts
from distilkit.encoders.onnx import BACKENDS, encoder_id, onnx_file

HERE = Path(__file__).resolve().parent
console = Console(width=150)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdist", required=True, help="vaderSentiment-3.3.2.tar.gz")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "teacher.json")
    args = parser.parse_args()
    frame = load_vader("movieReviewSnippets", args.sdist)
    texts, y = frame["text"].tolist(), frame["label"].to_numpy()
    pool, test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=0)
    labelled = train_test_split(pool, train_size=1000, stratify=y[pool], random_state=0)[0]
    timing_texts = [texts[i] for i in test[:500]]
    rows = {}
    for name in ("minilm", "mpnet"):
        for backend in BACKENDS[1:]:
            onnx_file(name, backend)  # the one-off export is not part of the teacher pass
        for backend in BACKENDS:
            encoder = encoder_id(name, backend)
            encode_texts(timing_texts[:32], encoder)  # loads the model / session
            start = time.perf_counter()
            encode_texts(timing_texts, encoder)
            rows_per_s = len(timing_texts) / (time.perf_counter() - start)
            embeddings = encode_texts([texts[i] for i in np.concatenate([labelled, test])], encoder)
            head = LogisticRegression(max_iter=5000).fit(embeddings[:len(labelled)], y[labelled])
            accuracy = float(head.score(embeddings[len(labelled):], y[test]))
            rows[encoder] = {"encoder": name, "backend": backend, "rows_per_s": rows_per_s, "accuracy": accuracy}
            console.print(f"{encoder}: {rows_per_s:.1f} rows/s, teacher accuracy {accuracy:.4f}")
    for row in rows.values():
        torch_row = rows[row["encoder"]]
        row["speedup"] = row["rows_per_s"] / torch_row["rows_per_s"]
        row["accuracy_change"] = row["accuracy"] - torch_row["accuracy"]
    table = Table(title="teacher pass on 2 CPU cores: 500 movie snippets; accuracy of a logistic head "
                        "(1,000 labels) on 2,015 test snippets", title_justify="left")
    for column in ("encoder", "backend", "rows/s", "speed-up", "accuracy", "change"):
        table.add_column(column, justify="left" if column in ("encoder", "backend") else "right")
    for row in rows.values():
        table.add_row(row["encoder"], row["backend"], f"{row['rows_per_s']:.1f}", f"{row['speedup']:.2f}x",
                      f"{row['accuracy']:.4f}", f"{row['accuracy_change']:+.4f}")
    console.print(table)
    write_results({"benchmark": "teacher", "machine": machine(), "rows": rows}, args.out, console)


if __name__ == "__main__":
    main()
