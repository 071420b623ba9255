"""Distillation where it is meant to pay: few labels, a strong teacher, many unlabelled texts.

Tasks: VADER movie-review snippets (main, 10,072 rows with |sentiment| >= 0.5) and VADER
Amazon review snippets (second, 2,985 rows). A fixed stratified 20% test split; every
other snippet is the in-domain pool. For each labelled budget n_L in {100, 300, 1000} and
seed, n_L pool rows are labelled (stratified) and the rest of the pool is the unlabelled
transfer set.

Teacher: frozen MPNet (all-mpnet-base-v2) + logistic regression fitted on the n_L labels.
Students: the same TF-IDF-MLP reading the raw text (the featurizer of ``distilkit distill
--student tfidf-mlp``: TF-IDF words 1-2 + chars 2-5 -> SVD(100) -> MLP(128)), fitted once
per task on the pool's texts (unsupervised) and shared by every method:

- labels: the student on the n_L labels only;
- KD (tau = 2) and LELP (S = 4, beta = 1) on the teacher's targets for every pool row;
- the LELP paper's baselines on the same student: K-means subclasses and random
  projections (S = 4), and the random-split control (input-independent subclass splits);
- auto: ``--method auto``'s choice among labels / KD tau in {1, 2, 4} / LELP S in {2, 4} x
  beta in {0.5, 1, 2}, by 3-fold CV on the n_L labelled rows.

5 seeds; mean +- std of test accuracy, and each method's paired difference to KD (same
seed, same labels, same teacher) with a 95% t interval. Then rows/s and model size of the
teacher and of a saved student pipeline scoring raw text.

    python benchmarks/bench_distill.py --sdist data/vendor/vaderSentiment-3.3.2.tar.gz

Prints tables and writes benchmarks/results/distill.json.
"""

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from common import machine, timed, write_results
from joblib import Parallel, delayed
from rich.console import Console
from rich.table import Table
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from distilkit import KDDistiller, LELPDistiller, load_vader, save_model
from distilkit.encoders.cache import embed_texts
from distilkit.estimators.distill.selection import (
    DEFAULT_CANDIDATES,
    cross_validate_candidates,
)
from distilkit.estimators.distill.teachers import teacher_signal
from distilkit.features import infer_roles, make_model

HERE = Path(__file__).resolve().parent
console = Console(width=170)
SEEDS = range(5)
BUDGETS = (100, 300, 1000)
STUDENT = {"hidden_layer_sizes": (128,), "max_epochs": 30, "lr": 1e-3, "batch_size": 128}
TASKS = {"amazon": "amazonReviewSnippets", "movies": "movieReviewSnippets"}


def student(method, seed, **params):
    """The student of a method: one network, one set of training settings."""
    if method == "labels":
        return KDDistiller(random_state=seed, alpha=1.0, **{**STUDENT, **params})
    if method == "kd":
        return KDDistiller(random_state=seed, **{**STUDENT, **params})
    return LELPDistiller(random_state=seed, **{**STUDENT, **params})


METHODS = {
    "labels": lambda seed: student("labels", seed),
    "KD tau=2": lambda seed: student("kd", seed, temperature=2.0),
    "LELP S=4 beta=1": lambda seed: student("lelp", seed, n_subclasses=4),
    "K-means S=4": lambda seed: student("lelp", seed, n_subclasses=4, subclasses="kmeans"),
    "random projections S=4": lambda seed: student("lelp", seed, n_subclasses=4, subclasses="random"),
    "random-split control S=4": lambda seed: student("lelp", seed, n_subclasses=4),
}


def text_features(texts, pool):
    """The tfidf-mlp student's featurizer, fitted on the pool's texts (no labels)."""
    frame = pd.DataFrame({"text": texts})
    roles = infer_roles(frame, text=["text"])
    featurizer = make_model(KDDistiller(), roles, random_state=0)[:-1].fit(frame.iloc[pool])
    return featurizer.transform(frame).astype(np.float32), roles


def run_cell(X, y, mpnet, pool, test, n_labelled, seed):
    """Every method at one budget and seed: test accuracies, the teacher's and auto's choice."""
    labelled_rows = train_test_split(pool, train_size=n_labelled, stratify=y[pool], random_state=seed)[0]
    is_labelled = np.isin(pool, labelled_rows)
    labels = np.where(is_labelled, y[pool], -1)
    signal = teacher_signal(LogisticRegression(max_iter=5000), mpnet[pool], labels, is_labelled)
    arrays = {"teacher_logits": signal.logits, "teacher_embeddings": signal.embeddings,
              "teacher_head": (signal.head_weights, signal.head_bias)}
    teacher_logits = mpnet[test] @ signal.head_weights.T + signal.head_bias
    scores = {"teacher": float(np.mean(signal.classes[teacher_logits.argmax(axis=1)] == y[test]))}
    for name, make in METHODS.items():
        model = make(seed)
        fit_params = {} if name == "labels" else dict(arrays)
        if name.startswith("random-split"):
            fit_params["subclass_coordinates"] = np.random.default_rng(1000 + seed).normal(size=(len(pool), 2, 4))
        model.fit(X[pool], None if name != "labels" else labels, **fit_params)
        scores[name] = float(np.mean(model.predict(X[test]) == y[test]))

    def make_candidate(candidate):
        return student(candidate.method, seed, **candidate.params)

    rows, best = cross_validate_candidates(make_candidate, DEFAULT_CANDIDATES, X[pool], labels, is_labelled,
                                           arrays, random_state=seed)
    chosen = best["candidate"]
    model = make_candidate(chosen)
    model.fit(X[pool], labels, **({} if chosen.method == "labels" else arrays))
    scores["auto"] = float(np.mean(model.predict(X[test]) == y[test]))
    return scores, chosen.name


def interval(differences):
    """Mean and 95% t interval of paired differences."""
    d = np.asarray(differences)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return {"mean": float(d.mean()), "low": float(d.mean() - half), "high": float(d.mean() + half)}


def run_task(name, sdist, cache_dir, n_jobs):
    frame = load_vader(TASKS[name], sdist)
    texts, y = frame["text"].tolist(), frame["label"].to_numpy()
    start = time.perf_counter()
    mpnet = embed_texts(texts, "mpnet", cache_dir)
    console.print(f"{name}: {len(y):,} snippets, MPNet embeddings in {time.perf_counter() - start:.1f} s")
    pool, test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=0)
    X, roles = text_features(texts, pool)
    # One process per core; every student network uses one torch thread.
    cells = Parallel(n_jobs=n_jobs)(delayed(run_cell)(X, y, mpnet, pool, test, n_labelled, seed)
                                    for n_labelled in BUDGETS for seed in SEEDS)
    budgets = {}
    for index, n_labelled in enumerate(BUDGETS):
        per_seed = [scores for scores, _ in cells[index * len(SEEDS): (index + 1) * len(SEEDS)]]
        choices = [choice for _, choice in cells[index * len(SEEDS): (index + 1) * len(SEEDS)]]
        for seed, scores, choice in zip(SEEDS, per_seed, choices):
            console.print(f"  {name} n_L={n_labelled} seed={seed}: " + ", ".join(
                f"{k} {v:.3f}" for k, v in scores.items()) + f" (auto: {choice})")
        methods = {}
        for method in per_seed[0]:
            values = [s[method] for s in per_seed]
            methods[method] = {"mean": float(np.mean(values)), "std": float(np.std(values)), "runs": values,
                               "minus_kd": interval([s[method] - s["KD tau=2"] for s in per_seed]),
                               "minus_labels": interval([s[method] - s["labels"] for s in per_seed])}
        budgets[n_labelled] = {"methods": methods, "auto_choices": choices}
    return {"n": len(y), "n_pool": len(pool), "n_test": len(test), "budgets": budgets,
            "context": (texts, y, mpnet, pool, test, X, roles)}


def speed_and_size(context):
    """Rows/s and file size: MPNet + head teacher vs the saved TF-IDF-MLP student pipeline on raw text."""
    from distilkit.encoders import encode_texts, packaged_model_path

    texts, y, mpnet, pool, test, _, roles = context
    sample = [texts[i] for i in test[:200]]
    head = LogisticRegression(max_iter=5000).fit(mpnet[pool], y[pool])
    teacher_s = timed(lambda: head.predict_proba(encode_texts(sample, "mpnet")))
    frame = pd.DataFrame({"text": texts})
    pipeline = make_model(student("kd", 0), roles, random_state=0)
    signal = teacher_signal(LogisticRegression(max_iter=5000), mpnet[pool], y[pool])
    pipeline.fit(frame.iloc[pool], None, estimator__teacher_logits=signal.logits)
    many = frame.iloc[np.resize(test, 20_000)]
    student_s = timed(lambda: pipeline.predict_proba(many), repeats=3)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "student.dkm"
        save_model(pipeline, path)
        student_bytes = path.stat().st_size
    weights = Path(packaged_model_path("mpnet"))
    teacher_bytes = sum(f.stat().st_size for f in weights.rglob("*") if f.is_file())
    result = {"teacher_rows_per_s": len(sample) / teacher_s, "student_rows_per_s": len(many) / student_s,
              "teacher_bytes": teacher_bytes, "student_file_bytes": student_bytes}
    result["student_over_teacher_speed"] = result["student_rows_per_s"] / result["teacher_rows_per_s"]
    return result


def print_tables(document):
    for name, task in document["tasks"].items():
        for n_labelled, block in task["budgets"].items():
            table = Table(title=f"{name}: {n_labelled} labels + {task['n_pool'] - int(n_labelled):,} unlabelled "
                                f"snippets, test accuracy on {task['n_test']:,} (mean ± std over {len(SEEDS)} seeds; "
                                "paired differences with 95% intervals)", title_justify="left")
            for column in ("method", "accuracy", "− labels", "− KD"):
                table.add_column(column, justify="left" if column == "method" else "right")
            for method, row in block["methods"].items():
                table.add_row(method, f"{row['mean']:.4f} ± {row['std']:.4f}", _interval(row["minus_labels"]),
                              _interval(row["minus_kd"]))
            console.print(table)
            console.print(f"  auto chose: {', '.join(block['auto_choices'])}")
    speed = document["speed"]
    table = Table(title="teacher vs student on raw text (movies)", title_justify="left")
    for column in ("model", "rows/s", "size"):
        table.add_column(column, justify="left" if column == "model" else "right")
    table.add_row("MPNet + logistic head", f"{speed['teacher_rows_per_s']:,.1f}",
                  f"{speed['teacher_bytes'] / 1e6:,.0f} MB (weights)")
    table.add_row("TF-IDF-MLP student (.dkm pipeline)", f"{speed['student_rows_per_s']:,.0f}",
                  f"{speed['student_file_bytes'] / 1e6:,.1f} MB (file)")
    console.print(table)
    console.print(f"student / teacher rows/s: {speed['student_over_teacher_speed']:,.0f}x")


def _interval(block):
    return f"{block['mean']:+.4f} [{block['low']:+.4f}, {block['high']:+.4f}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdist", required=True, help="vaderSentiment-3.3.2.tar.gz")
    parser.add_argument("--cache-dir", type=Path, default=HERE / "cache")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "distill.json")
    parser.add_argument("--n-jobs", type=int, default=2, help="seeds and budgets run in parallel processes")
    args = parser.parse_args()
    warnings.simplefilter("ignore", FutureWarning)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    tasks = {name: run_task(name, args.sdist, args.cache_dir, args.n_jobs) for name in TASKS}
    speed = speed_and_size(tasks["movies"].pop("context"))
    tasks["amazon"].pop("context")
    document = {"benchmark": "distill", "machine": machine(),
                "student": {k: list(v) if isinstance(v, tuple) else v for k, v in STUDENT.items()},
                "tasks": {name: {**task, "budgets": {str(k): v for k, v in task["budgets"].items()}}
                          for name, task in tasks.items()},
                "speed": speed}
    print_tables(document)
    write_results(document, args.out, console)


if __name__ == "__main__":
    main()
