"""One forward pass per batch: `predict --proba` before and after labels came from the probabilities.

A neural model (AnyLossClassifier, one hidden layer of 256, a decision threshold of 0.3)
scores 200,000 rows x 64 float32 features in batches of 16,384, as `distilkit predict`
does: the old way called `predict_proba` and then `predict` (two forward passes), the new
way derives the labels from the probabilities (`distilkit.estimators.decision.labels_from_proba`).
Both ways are timed interleaved (median of 5) and must give the same labels. Prints a
table and writes benchmarks/results/predict_passes.json.

    python benchmarks/bench_predict_passes.py [--rows 200000]
"""

import argparse
import warnings
from pathlib import Path

import numpy as np
from common import machine, timed, write_results
from rich.console import Console
from rich.table import Table

from distilkit import AnyLossClassifier
from distilkit.estimators.decision import labels_from_proba

HERE = Path(__file__).resolve().parent
BATCH = 16_384


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    console = Console()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.rows, 64)).astype(np.float32)
    y = (X[:, :4].sum(axis=1) + rng.normal(size=args.rows) > 1.5).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AnyLossClassifier(hidden_layer_sizes=(256,), loss="bce", threshold=0.3, max_epochs=2,
                                  batch_size=512, random_state=0).fit(X[:20_000], y[:20_000])
    batches = [X[i:i + BATCH] for i in range(0, len(X), BATCH)]

    def two_passes():
        return [(model.predict_proba(b), model.predict(b)) for b in batches]

    def one_pass():
        out = []
        for b in batches:
            proba = model.predict_proba(b)
            out.append((proba, labels_from_proba(model, proba)))
        return out

    same = all((a[1] == b[1]).all() for a, b in zip(two_passes(), one_pass()))
    times = {"two passes (predict_proba + predict)": [], "one pass (labels from the probabilities)": []}
    for _ in range(5):
        times["two passes (predict_proba + predict)"].append(timed(two_passes))
        times["one pass (labels from the probabilities)"].append(timed(one_pass))
    medians = {name: float(np.median(values)) for name, values in times.items()}
    base = medians["two passes (predict_proba + predict)"]
    table = Table(title=f"scoring {args.rows:,} rows x 64 with probabilities and labels (median of 5, interleaved)")
    for column in ("way", "seconds", "rows/s", "time vs two passes"):
        table.add_column(column, justify="left" if column == "way" else "right")
    for name, seconds in medians.items():
        table.add_row(name, f"{seconds:.3f}", f"{args.rows / seconds:,.0f}", f"{seconds / base:.2f}×")
    console.print(table)
    console.print(f"same labels both ways: {same}")
    write_results({"rows": args.rows, "batch": BATCH, "same_labels": same, "seconds": medians,
                   "machine": machine()}, HERE / "results" / "predict_passes.json", console)


if __name__ == "__main__":
    main()
