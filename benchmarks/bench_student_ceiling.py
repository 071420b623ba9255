"""How far each student can get at all: trained on the true label of every pool row (issue 20's ceiling).

``bench_distill.py`` asks a student to close 80% of the gap between the best label-only model
and the teacher, learning from the teacher's targets on the unlabelled pool. What a student
reaches when every one of those pool rows carries its *true* label instead is a practical
ceiling (not a proof: a teacher's soft targets can carry more than a hard label). This script
measures it, on the same tasks, test split and featurizers as ``bench_distill.py``, and sets
it beside the accuracy each row of the grid needed for 80% (read from ``distill.json``).
Where the needed accuracy is above a student's ceiling, distillation is unlikely to meet the
target with that student and transfer set.

Students: TF-IDF + logistic regression (C by 5-fold CV), ``tfidf-mlp``, ``tfidf-sparse`` and
``static`` (MiniLM's and MPNet's token vectors; with the label-only schedule, lr 0.001 and
30 epochs, and with the one it takes from a teacher, lr 0.01 and 15 epochs), each on the
labels only, 3 seeds (the networks' initialisation; the labels are all of the pool's).

    python benchmarks/bench_student_ceiling.py --sdist data/vendor/vaderSentiment-3.3.2.tar.gz

Prints a table and writes benchmarks/results/student_ceiling.json.
"""

import json
import os
import warnings
from pathlib import Path

import numpy as np
from bench_distill import TASKS, TEACHERS, features, fit_student, load_task
from common import machine, vader_arguments, write_results
from rich.console import Console
from rich.table import Table
from sklearn.linear_model import LogisticRegressionCV
from sklearn.pipeline import make_pipeline

from distilkit.features import TextColumn
from distilkit.workflows.teachers import STATIC_TRAINING

HERE = Path(__file__).resolve().parent
console = Console(width=160)
TARGET = 0.8


def ceilings(name, sdist, cache_dir, seeds):
    """Test accuracy of every student trained on the true labels of the whole pool."""
    frame, texts, y, pool, test = load_task(name, sdist)
    baseline = make_pipeline(TextColumn(), LogisticRegressionCV(Cs=10, cv=5, max_iter=5000))
    baseline.fit([texts[i] for i in pool], y[pool])
    result = {"tfidf-logistic": [float(np.mean(baseline.predict([texts[i] for i in test]) == y[test]))]}
    students = {student: features(student, frame, pool) for student in ("tfidf-mlp", "tfidf-sparse")}
    students.update({f"{teacher}/static": features("static", frame, pool, teacher, cache_dir) for teacher in TEACHERS})
    runs = [(key, key.split("/")[-1], data, None) for key, data in students.items()]
    # Thousands of labels may want the larger step the static student takes from a teacher.
    runs += [(f"{key} (lr 0.01, 15 epochs)", "static", data, STATIC_TRAINING) for key, data in students.items()
             if data["embedding"] is not None]
    for key, student, data, extra in runs:
        result[key] = []
        for seed in range(seeds):
            model, _ = fit_student(student, "labels", seed, data, pool, y[pool], None, extra)
            result[key].append(float(np.mean(model.predict(data["X"][test]) == y[test])))
        console.print(f"{name}: {key} on all {len(pool):,} pool labels: {np.mean(result[key]):.4f}")
    return {"n_pool": len(pool), "n_test": len(test),
            "ceilings": {key: {"mean": float(np.mean(v)), "runs": v} for key, v in result.items()}}


def needed(grid, name):
    """Per budget and teacher of the grid: the accuracy that closes ``TARGET`` of the gap."""
    rows = {}
    for budget, block in grid["tasks"][name]["budgets"].items():
        for teacher, summary in block.items():
            best, top = summary["best_label_only"]["mean"], summary["teacher"]["mean"]
            rows[f"{budget}/{teacher}"] = {"teacher": top, "best_label_only": best,
                                           "needed": best + TARGET * (top - best)}
    return rows


def main():
    parser = vader_arguments(__doc__, "student_ceiling.json", seeds=3)
    parser.add_argument("--grid", type=Path, default=HERE / "results" / "distill.json")
    args = parser.parse_args()
    warnings.simplefilter("ignore", FutureWarning)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    grid = json.loads(args.grid.read_text())
    document = {"benchmark": "student_ceiling", "machine": machine(), "seeds": args.seeds, "target": TARGET,
                "tasks": {}}
    for name in TASKS:
        document["tasks"][name] = {**ceilings(name, args.sdist, args.cache_dir, args.seeds),
                                   "needed": needed(grid, name)}
        write_results(document, args.out, console)
    for name, task in document["tasks"].items():
        table = Table(title=f"{name}: each student on all {task['n_pool']:,} pool labels (mean of {args.seeds} "
                            f"seeds) against the accuracy each grid row needs for {TARGET:.0%} of the gap",
                      title_justify="left")
        table.add_column("n_L / teacher")
        for column in ("teacher", "best label-only", "needed", *task["ceilings"]):
            table.add_column(column, justify="right")
        ceiling = {key: value["mean"] for key, value in task["ceilings"].items()}
        table.add_row("ceiling", "", "", "", *(f"{value:.4f}" for value in ceiling.values()))
        for row, values in task["needed"].items():
            table.add_row(row, f"{values['teacher']:.4f}", f"{values['best_label_only']:.4f}",
                          f"{values['needed']:.4f}",
                          *("reachable" if value >= values["needed"] else "above" for value in ceiling.values()))
        console.print(table)


if __name__ == "__main__":
    main()
