"""The static-embedding student against the TF-IDF student, on the demo's split (issue 20, first measurement).

Data: ``make demo``'s split of the VADER movie-review snippets (300 labelled, 7,757
unlabelled, 2,015 test; ``examples/vader_few_labels.py``). Teacher: frozen MiniLM + a
logistic head on the 300 labels (``--teacher minilm``). Students, each through
``distill_table`` exactly as ``distilkit distill`` trains them:

- ``tfidf-mlp``: TF-IDF words + chars -> SVD(100) -> MLP(128);
- ``tfidf-sparse``: the same MLP on every TF-IDF column (no SVD), to see what the SVD loses;
- ``static``: MiniLM's token vectors (Model2Vec's distillation, PCA to 384) mean-pooled ->
  MLP(128), the vectors fine-tuned with the head;

each by labels only, KD and LELP (S = 4). Also the label-only baseline a user would pick
first: TF-IDF (words + chars, sparse) + logistic regression with C chosen by 5-fold CV.

Gap closure = (student - best label-only) / (teacher - best label-only), where the best
label-only accuracy is the best of the TF-IDF logistic regression and each student on the
labels. Seeds vary the students' training (one labelled split: the demo's). rows/s: raw
test texts to probabilities, the teacher and one student of each kind side by side.

    python benchmarks/bench_static_student.py --data data/demo --seeds 2

Prints a table and writes benchmarks/results/static_student.json.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import machine, write_results
from rich.console import Console
from rich.table import Table
from scipy import stats

from distilkit.workflows import distill_table

console = Console(width=160)
STUDENTS = ("tfidf-mlp", "tfidf-sparse", "static")
METHODS = {"labels": {}, "kd": {}, "lelp": {"n_subclasses": 4}}


def rows_per_second(model, frame, repeats=2):
    """Raw rows to probabilities, best of ``repeats`` passes over ``frame``."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict_proba(frame)
        best = min(best, time.perf_counter() - start)
    return len(frame) / best


def tfidf_logistic(labelled, test):
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline

    from distilkit.features import TextColumn

    model = make_pipeline(TextColumn(), LogisticRegressionCV(Cs=10, cv=5, max_iter=5000))
    model.fit(labelled.text, labelled.label)
    return float((model.predict(test.text) == test.label).mean())


def interval(values):
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float("nan")
    return float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/demo"))
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    labelled = pd.read_csv(args.data / "labelled.csv")
    unlabeled = pd.read_csv(args.data / "unlabeled.csv")
    test = pd.read_csv(args.data / "test.csv")
    cache = args.data / "cache"
    accuracy, seconds, speed, size = {}, {}, {}, {}
    teacher = None
    for seed in range(args.seeds):
        for student in STUDENTS:
            for method, params in METHODS.items():
                start = time.perf_counter()
                result = distill_table(labelled, target="label", text="text", teacher="minilm", method=method,
                                       student=student, unlabeled=unlabeled, cache_dir=cache,
                                       params={"random_state": seed, **params},
                                       keep_teacher=teacher is None and method == "kd")
                seconds.setdefault((student, method), []).append(time.perf_counter() - start)
                accuracy.setdefault((student, method), []).append(
                    float((result.model.predict(test) == test.label).mean()))
                if result.teacher is not None:
                    teacher = result.teacher
                    # Timed before it scores the test rows: its encoder keeps the embeddings of texts it has seen.
                    speed["teacher"] = rows_per_second(teacher, test.head(500), repeats=1)
                if seed == 0 and method == "kd":
                    speed[student] = rows_per_second(result.model, test)
                    path = Path("/tmp") / f"bench-static-{student}.dkm"
                    result.save(path)
                    size[student] = path.stat().st_size / 1e6
                console.print(f"seed {seed} {student:9} {method:6} accuracy {accuracy[(student, method)][-1]:.4f} "
                              f"({seconds[(student, method)][-1]:.0f} s)")
    teacher_accuracy = float((teacher.predict(test) == test.label).mean())
    baseline = tfidf_logistic(labelled, test)
    best_label_only = max(baseline, *(np.mean(accuracy[(s, "labels")]) for s in STUDENTS))
    table = Table(title=f"{len(labelled)} labels, {len(unlabeled):,} unlabelled, {len(test):,} test snippets; "
                        f"teacher MiniLM + head {teacher_accuracy:.4f} ({speed['teacher']:.0f} rows/s); "
                        f"TF-IDF + logistic regression (C by CV) {baseline:.4f}")
    for column in ("student", "method", "accuracy (mean ± 95% CI)", "gap closed", "fit s", "rows/s", "× teacher",
                   "MB"):
        table.add_column(column, justify="left" if column in ("student", "method") else "right")
    rows = []
    for (student, method), values in accuracy.items():
        mean = float(np.mean(values))
        closed = (mean - best_label_only) / (teacher_accuracy - best_label_only)
        rows.append({"student": student, "method": method, "accuracy": values, "mean": mean,
                     "ci95": interval(values), "gap_closed": closed, "fit_seconds": seconds[(student, method)],
                     "rows_per_s": speed[student], "mb": size[student]})
        table.add_row(student, method, f"{mean:.4f} ± {interval(values):.4f}", f"{closed:.0%}",
                      f"{np.mean(seconds[(student, method)]):.0f}", f"{speed[student]:,.0f}",
                      f"{speed[student] / speed['teacher']:.0f}×", f"{size[student]:.1f}")
    console.print(table)
    console.print(f"best label-only accuracy (the gap's floor): {best_label_only:.4f}")
    write_results({"machine": machine(), "seeds": args.seeds, "teacher_accuracy": teacher_accuracy,
                   "teacher_rows_per_s": speed["teacher"], "tfidf_logistic": baseline,
                   "best_label_only": best_label_only, "rows": rows},
                  Path(__file__).resolve().parent / "results" / "static_student.json", console)


if __name__ == "__main__":
    main()
