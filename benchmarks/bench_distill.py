"""Distillation where it is meant to pay: few labels, a strong teacher, many unlabelled texts (issue 20's grid).

Tasks: VADER movie-review snippets (10,072 rows with |sentiment| >= 0.5) and VADER Amazon
review snippets (2,985 rows). A fixed stratified 20% test split; every other snippet is the
in-domain pool. For each labelled budget n_L in {100, 300, 1000} and seed, n_L pool rows
are labelled (stratified) and the rest of the pool is the unlabelled transfer set.

Teachers: frozen MiniLM and frozen MPNet (all-mpnet-base-v2), each + logistic regression
fitted on the n_L labels (``distilkit distill --teacher minilm|mpnet``). Students, built by
the same functions as ``distilkit distill --student ...`` (``make_distiller``,
``student_model``), their featurizers fitted once per task on the pool's texts (no labels):

- ``tfidf-mlp``: TF-IDF words 1-2 + chars 2-5 -> SVD(100) -> MLP(128);
- ``tfidf-sparse``: the same MLP reading every TF-IDF column (no SVD);
- ``static``: the teacher encoder's token vectors (Model2Vec's distillation, PCA to 384)
  mean-pooled -> MLP(128), the vectors fine-tuned with the head (from a teacher: lr 0.01, 15
  epochs, ``STATIC_TRAINING``).

Methods (CLI defaults): labels only; KD (tau = 1); LELP (S = 4); the random-split control
(LELP's loss on input-independent subclass splits). ``tfidf-sparse`` runs labels and KD
only: its (TF-IDF columns x 128) first layer takes ~85 s per fit on movies, 5x a static
student's, and KD is its best method on the demo split (``bench_static_student.py``).

Per row: the teacher; the best label-only model a user would otherwise pick -- the best
mean of TF-IDF + logistic regression (C by 5-fold CV on the labels) and every student on
the labels; each student's accuracy; **gap closure** = (student - best label-only) /
(teacher - best label-only); paired 95% t intervals (same seed, labels and teacher) of
LELP - KD and LELP - control. Then rows/s on raw text and file size of the teachers and
of one saved student of each kind (movies, seed 0, n_L = 300). ``--markdown`` prints the
README's tables from the JSON.

    python benchmarks/bench_distill.py --sdist data/vendor/vaderSentiment-3.3.2.tar.gz --seeds 5
    python benchmarks/bench_distill.py --sdist data/vendor/vaderSentiment-3.3.2.tar.gz --speed-only
    python benchmarks/bench_distill.py --sdist data/vendor/vaderSentiment-3.3.2.tar.gz --markdown

Prints tables and writes benchmarks/results/distill.json (after each task, so an
interrupted run keeps the tasks it finished).
"""

import json
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from common import machine, timed, vader_arguments, write_results
from joblib import Parallel, delayed
from rich.console import Console
from rich.table import Table
from scipy import stats
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline

from distilkit import load_vader, save_model
from distilkit.encoders import encode_texts, packaged_model_path
from distilkit.encoders.cache import embed_texts
from distilkit.encoders.static import static_vectors
from distilkit.estimators.distill.teachers import teacher_signal
from distilkit.features import ESTIMATOR_STEP, TextColumn, infer_roles
from distilkit.workflows.teachers import STATIC_DIMS, make_distiller, static_roles, student_model

console = Console(width=170)
BUDGETS = (100, 300, 1000)
TASKS = {"amazon": "amazonReviewSnippets", "movies": "movieReviewSnippets"}
TEACHERS = ("minilm", "mpnet")
STUDENTS = ("tfidf-mlp", "tfidf-sparse", "static")
#: Teacher-dependent methods per student (every student also trains on the labels alone).
DISTILLED = {"tfidf-mlp": ("kd", "lelp", "control"), "tfidf-sparse": ("kd",), "static": ("kd", "lelp", "control")}
N_SUBCLASSES = 4
SPEED_CELL = (300, 0)


def features(student, frame, pool, teacher=None, cache_dir=None):
    """A student's featurizer fitted on the pool's texts (no labels), its features of every row, its token vectors."""
    # Named as the target so no student reads the label as a feature (an earlier run of this grid did).
    roles = infer_roles(frame, target="label", text=["text"])
    vectors = None
    if student == "static":
        vectors = static_vectors(teacher, dims=STATIC_DIMS, cache_dir=cache_dir)
        roles = static_roles(roles, "text", teacher)
    featurizer = student_model(make_distiller("kd", student), roles, student=student,
                               tokenizer=vectors and vectors.tokenizer, random_state=0)[:-1]
    X = featurizer.fit(frame.iloc[pool]).transform(frame)
    return {"X": X.astype(np.float32), "featurizer": featurizer,
            "embedding": None if vectors is None else vectors.vectors}


def distiller(student, method, seed, embedding, extra=None):
    params = {"random_state": seed, **(extra or {})}
    if method in ("lelp", "control"):
        params["n_subclasses"] = N_SUBCLASSES
    width = {} if embedding is None else {"embedding_dim": embedding.shape[1]}
    return make_distiller("labels" if method == "labels" else ("lelp" if method == "control" else method),
                          student, params, **width)


def fit_student(student, method, seed, data, pool, labels, arrays, extra=None):
    """One student fitted on the pool: labels only (``arrays=None``) or from the teacher's arrays.

    ``extra`` holds hyperparameters set on top of the CLI's defaults.
    """
    model = distiller(student, method, seed, data["embedding"], extra)
    fit_params = {} if arrays is None else dict(arrays)
    if data["embedding"] is not None:
        fit_params["student_embedding"] = data["embedding"]
    if method == "control":
        fit_params["subclass_coordinates"] = np.random.default_rng(1000 + seed).normal(
            size=(len(pool), 2, N_SUBCLASSES))
    start = time.perf_counter()
    model.fit(data["X"][pool], labels if method == "labels" else None, **fit_params)
    return model, time.perf_counter() - start


def run_cell(texts, y, pool, test, shared, per_teacher, embeddings, n_labelled, seed):
    """Every teacher, student and method at one budget and seed: test accuracies and fit seconds."""
    labelled_rows = train_test_split(pool, train_size=n_labelled, stratify=y[pool], random_state=seed)[0]
    is_labelled = np.isin(pool, labelled_rows)
    labels = np.where(is_labelled, y[pool], -1)
    accuracy, seconds = {}, {}

    def score(key, model, X):
        accuracy[key] = float(np.mean(model.predict(X[test]) == y[test]))

    baseline = make_pipeline(TextColumn(), LogisticRegressionCV(Cs=10, cv=5, max_iter=5000))
    baseline.fit([texts[i] for i in labelled_rows], y[labelled_rows])
    accuracy["tfidf-logistic"] = float(np.mean(baseline.predict([texts[i] for i in test]) == y[test]))
    for student, data in shared.items():
        model, seconds[f"{student}/labels"] = fit_student(student, "labels", seed, data, pool, labels, None)
        score(f"{student}/labels", model, data["X"])
    for teacher, embedding in embeddings.items():
        signal = teacher_signal(LogisticRegression(max_iter=5000), embedding[pool], labels, is_labelled)
        arrays = {"teacher_logits": signal.logits, "teacher_embeddings": signal.embeddings,
                  "teacher_head": (signal.head_weights, signal.head_bias)}
        logits = embedding[test] @ signal.head_weights.T + signal.head_bias
        accuracy[f"{teacher}/teacher"] = float(np.mean(signal.classes[logits.argmax(axis=1)] == y[test]))
        data = per_teacher[teacher]
        model, seconds[f"{teacher}/static/labels"] = fit_student("static", "labels", seed, data, pool, labels, None)
        score(f"{teacher}/static/labels", model, data["X"])
        for student, methods in DISTILLED.items():
            data = per_teacher[teacher] if student == "static" else shared[student]
            for method in methods:
                key = f"{teacher}/{student}/{method}"
                model, seconds[key] = fit_student(student, method, seed, data, pool, labels, arrays)
                score(key, model, data["X"])
    return accuracy, seconds


def interval(differences):
    """Mean and 95% t interval of paired differences."""
    d = np.asarray(differences, dtype=float)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
    return {"mean": float(d.mean()), "low": float(d.mean() - half), "high": float(d.mean() + half)}


def summarise(cells):
    """Per teacher: the teacher, the best label-only mean, each student and method with its gap closure."""
    runs = {key: [cell[0][key] for cell in cells] for key in cells[0][0]}
    fit_seconds = {key: float(np.mean([cell[1][key] for cell in cells])) for key in cells[0][1]}
    document = {}
    for teacher in TEACHERS:
        label_only = {"tfidf-logistic": runs["tfidf-logistic"],
                      **{f"{s}/labels": runs[f"{s}/labels"] for s in STUDENTS if s != "static"},
                      "static/labels": runs[f"{teacher}/static/labels"]}
        best_name, best = max(((name, float(np.mean(v))) for name, v in label_only.items()), key=lambda item: item[1])
        teacher_mean = float(np.mean(runs[f"{teacher}/teacher"]))
        rows = {}
        for name, values in label_only.items():
            rows[name] = values
        for student, methods in DISTILLED.items():
            for method in methods:
                rows[f"{student}/{method}"] = runs[f"{teacher}/{student}/{method}"]
        table = {}
        for name, values in rows.items():
            mean = float(np.mean(values))
            seconds_key = f"{teacher}/{name}" if f"{teacher}/{name}" in fit_seconds else name
            table[name] = {"mean": mean, "std": float(np.std(values)), "runs": values,
                           "gap_closed": (mean - best) / (teacher_mean - best) if teacher_mean > best else None,
                           "fit_seconds": fit_seconds.get(seconds_key)}
        for student in ("tfidf-mlp", "static"):
            lelp, kd, control = (runs[f"{teacher}/{student}/{m}"] for m in ("lelp", "kd", "control"))
            table[f"{student}/lelp"]["minus_kd"] = interval(np.subtract(lelp, kd))
            table[f"{student}/lelp"]["minus_control"] = interval(np.subtract(lelp, control))
        document[teacher] = {"teacher": {"mean": teacher_mean, "std": float(np.std(runs[f"{teacher}/teacher"])),
                                         "runs": runs[f"{teacher}/teacher"]},
                             "best_label_only": {"name": best_name, "mean": best}, "rows": table}
    return document


def load_task(name, sdist):
    """A task's table (text, label), its texts and labels, and the fixed split: pool rows, test rows."""
    frame = load_vader(TASKS[name], sdist)[["text", "label"]]
    texts, y = frame["text"].tolist(), frame["label"].to_numpy()
    pool, test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=0)
    return frame, texts, y, pool, test


def task_context(name, sdist, cache_dir):
    """A task's table, labels, fixed split, teacher embeddings and fitted student featurizers."""
    frame, texts, y, pool, test = load_task(name, sdist)
    embeddings = {}
    for teacher in TEACHERS:
        start = time.perf_counter()
        embeddings[teacher] = embed_texts(texts, teacher, cache_dir)
        console.print(f"{name}: {len(y):,} snippets, {teacher} embeddings in {time.perf_counter() - start:.1f} s")
    shared = {student: features(student, frame, pool) for student in ("tfidf-mlp", "tfidf-sparse")}
    per_teacher = {teacher: features("static", frame, pool, teacher, cache_dir) for teacher in TEACHERS}
    return {"frame": frame, "y": y, "pool": pool, "test": test, "shared": shared, "per_teacher": per_teacher,
            "embeddings": embeddings}


def run_task(name, sdist, cache_dir, seeds, budgets, n_jobs):
    context = task_context(name, sdist, cache_dir)
    texts, y, pool = context["frame"]["text"].tolist(), context["y"], context["pool"]
    console.print(f"{name}: features fitted; {len(budgets) * seeds} cells on {n_jobs} processes")
    # One process per core; every student network uses one torch thread.
    cells = Parallel(n_jobs=n_jobs, verbose=5)(
        delayed(run_cell)(texts, y, pool, context["test"], context["shared"], context["per_teacher"],
                          context["embeddings"], n_labelled, seed)
        for n_labelled in budgets for seed in range(seeds))
    summaries = {str(n_labelled): summarise(cells[index * seeds:(index + 1) * seeds])
                 for index, n_labelled in enumerate(budgets)}
    return {"n": len(y), "n_pool": len(pool), "n_test": len(context["test"]), "budgets": summaries}, context


def speed_and_size(context):
    """Rows/s on raw text and size: each teacher (encoder + head) and one saved student of each kind, side by side.

    The tokenizers run on every core, as they do for a user (the grid's worker processes had them on one).
    """
    os.environ["TOKENIZERS_PARALLELISM"] = "true"
    frame, y, pool, test = context["frame"], context["y"], context["pool"], context["test"]
    n_labelled, seed = SPEED_CELL
    labelled_rows = train_test_split(pool, train_size=n_labelled, stratify=y[pool], random_state=seed)[0]
    is_labelled = np.isin(pool, labelled_rows)
    labels = np.where(is_labelled, y[pool], -1)
    sample = frame["text"].iloc[test[:300]].tolist()
    many = frame.iloc[np.resize(test, 20_000)]
    result = {}
    for teacher in TEACHERS:
        embedding = context["embeddings"][teacher]
        head = LogisticRegression(max_iter=5000).fit(embedding[labelled_rows], y[labelled_rows])
        # Uncached: the encoder runs on every text, as it would on new rows; a first untimed pass loads it.
        head.predict_proba(encode_texts(sample[:32], teacher))
        seconds = timed(lambda: head.predict_proba(encode_texts(sample, teacher)), repeats=3)
        weights = Path(packaged_model_path(teacher))
        result[f"{teacher}/teacher"] = {"rows_per_s": len(sample) / seconds,
                                        "mb": sum(f.stat().st_size for f in weights.rglob("*") if f.is_file()) / 1e6}
        signal = teacher_signal(LogisticRegression(max_iter=5000), embedding[pool], labels, is_labelled)
        arrays = {"teacher_logits": signal.logits}
        for student in STUDENTS:
            if student != "static" and teacher != TEACHERS[0]:
                continue
            data = context["per_teacher"][teacher] if student == "static" else context["shared"][student]
            model, _ = fit_student(student, "kd", seed, data, pool, labels, arrays)
            pipeline = Pipeline([*data["featurizer"].steps, (ESTIMATOR_STEP, model)])
            seconds = timed(lambda: pipeline.predict_proba(many), repeats=3)
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "student.dkm"
                save_model(pipeline, path)
                size = path.stat().st_size / 1e6
            key = f"{teacher}/static" if student == "static" else student
            result[key] = {"rows_per_s": len(many) / seconds, "mb": size}
    return result


def print_tables(document, seeds):
    speed = document.get("speed", {})
    for name, task in document["tasks"].items():
        for n_labelled, block in task["budgets"].items():
            for teacher, summary in block.items():
                best = summary["best_label_only"]
                title = (f"{name}, {teacher} teacher, {n_labelled} labels + {task['n_pool'] - int(n_labelled):,} "
                         f"unlabelled, {task['n_test']:,} test (mean ± std, {seeds} seeds): teacher "
                         f"{summary['teacher']['mean']:.4f}; best label-only {best['name']} {best['mean']:.4f}")
                table = Table(title=title, title_justify="left")
                for column in ("model", "accuracy", "gap closed", "fit s", "× teacher rows/s", "LELP − KD",
                               "LELP − control"):
                    table.add_column(column, justify="left" if column == "model" else "right")
                teacher_speed = speed.get(f"{teacher}/teacher", {}).get("rows_per_s")
                for model, row in summary["rows"].items():
                    student = model.split("/")[0]
                    student_speed = speed.get(f"{teacher}/static" if student == "static" else student, {})
                    ratio = (f"{student_speed['rows_per_s'] / teacher_speed:,.0f}×"
                             if teacher_speed and student_speed else "")
                    table.add_row(model, f"{row['mean']:.4f} ± {row['std']:.4f}",
                                  "" if row["gap_closed"] is None else f"{row['gap_closed']:.0%}",
                                  "" if row["fit_seconds"] is None else f"{row['fit_seconds']:.0f}", ratio,
                                  format_interval(row.get("minus_kd")), format_interval(row.get("minus_control")))
                console.print(table)
    if speed:
        table = Table(title="raw text to probabilities (movies; students by KD, n_L = 300, seed 0)",
                      title_justify="left")
        for column in ("model", "rows/s", "MB"):
            table.add_column(column, justify="left" if column == "model" else "right")
        for model, row in speed.items():
            table.add_row(model, f"{row['rows_per_s']:,.0f}", f"{row['mb']:,.1f}")
        console.print(table)


def format_interval(block, digits=4):
    """``mean [low, high]`` of an :func:`interval`, signed; empty where there is none."""
    if block is None:
        return ""
    return f"{block['mean']:+.{digits}f} [{block['low']:+.{digits}f}, {block['high']:+.{digits}f}]"


def speed_ratio(speed, teacher, student):
    """A student's raw-text rows/s as a multiple of the teacher's (from the one side-by-side speed run)."""
    key = f"{teacher}/static" if student == "static" else student
    return speed[key]["rows_per_s"] / speed[f"{teacher}/teacher"]["rows_per_s"]


METHOD_LABELS = {"kd": "KD", "lelp": "LELP"}


def markdown_tables(document, fast=100):
    """The README's tables (accuracy and gap closed, rows/s and MB, LELP intervals), from a results document."""
    speed, seeds = document["speed"], document["seeds"]
    columns = [("tfidf-mlp", "kd"), ("tfidf-mlp", "lelp"), ("tfidf-sparse", "kd"), ("static", "kd"),
               ("static", "lelp")]
    lines = ["| task, labels, teacher | teacher | best label-only | "
             + " | ".join(f"{s} {METHOD_LABELS[m]}" for s, m in columns)
             + f" | best student at ≥ {fast}× the teacher's rows/s |", "|---" * (len(columns) + 4) + "|"]
    intervals = ["| task, labels, teacher | tfidf-mlp LELP − KD | tfidf-mlp LELP − control | static LELP − KD | "
                 "static LELP − control |", "|---|---|---|---|---|"]
    for name, task in sorted(document["tasks"].items(), key=lambda item: item[0] != "movies"):
        label = "Amazon" if name == "amazon" else name
        for n_labelled, block in task["budgets"].items():
            for teacher, summary in block.items():
                rows, best = summary["rows"], summary["best_label_only"]
                cells = [f"{rows[f'{s}/{m}']['mean']:.3f} ({rows[f'{s}/{m}']['gap_closed']:.0%})" for s, m in columns]
                fast_enough = [(rows[f"{s}/{m}"]["gap_closed"], s, m) for s, m in columns
                               if speed_ratio(speed, teacher, s) >= fast]
                if fast_enough:
                    gap, s, m = max(fast_enough)
                    pick = f"{gap:.0%} ({s} {METHOD_LABELS[m]}, {speed_ratio(speed, teacher, s):.0f}×)"
                else:
                    pick = "none"
                lines.append(f"| {label}, {n_labelled}, {teacher} | {summary['teacher']['mean']:.3f} | "
                             f"{best['mean']:.3f} ({best['name']}) | " + " | ".join(cells) + f" | {pick} |")
                intervals.append(f"| {label}, {n_labelled}, {teacher} | " + " | ".join(
                    format_interval(rows[f"{s}/lelp"][key], 3) for s in ("tfidf-mlp", "static")
                    for key in ("minus_kd", "minus_control")) + " |")
    ratios = ["| model | rows/s | MB | × MiniLM teacher | × MPNet teacher |", "|---|---|---|---|---|"]
    for model, row in speed.items():
        ratios.append(f"| {model} | {row['rows_per_s']:,.0f} | {row['mb']:,.1f} | "
                      + " | ".join(_times(row["rows_per_s"] / speed[f"{t}/teacher"]["rows_per_s"]) for t in TEACHERS)
                      + " |")
    return (f"Test accuracy, mean of {seeds} seeds (gap closed):\n\n" + "\n".join(lines)
            + "\n\nRaw text to probabilities, side by side in one run:\n\n" + "\n".join(ratios)
            + f"\n\nLELP − KD and LELP − random-split control, paired over the {seeds} seeds "
            "(mean [95% interval]):\n\n" + "\n".join(intervals))


def _times(ratio):
    return f"{ratio:.2f}×" if ratio < 1 else f"{ratio:,.0f}×"




def main():
    parser = vader_arguments(__doc__, "distill.json", seeds=5)
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=list(TASKS))
    parser.add_argument("--budgets", nargs="+", type=int, default=list(BUDGETS))
    parser.add_argument("--n-jobs", type=int, default=2, help="cells (budget x seed) run in parallel processes")
    parser.add_argument("--speed-only", action="store_true",
                        help="measure only rows/s and MB again, into the accuracies already in --out")
    parser.add_argument("--markdown", action="store_true", help="print the README's tables from --out and stop")
    args = parser.parse_args()
    if args.markdown:
        print(markdown_tables(json.loads(args.out.read_text())))
        return
    warnings.simplefilter("ignore", FutureWarning)
    # The worker processes too (scikit-learn's notices about LogisticRegressionCV's future defaults).
    os.environ["PYTHONWARNINGS"] = "ignore::FutureWarning"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.speed_only:
        document = json.loads(args.out.read_text())
        document["speed"] = speed_and_size(task_context("movies", args.sdist, args.cache_dir))
        print_tables(document, document["seeds"])
        write_results(document, args.out, console)
        return
    document = {"benchmark": "distill", "machine": machine(), "seeds": args.seeds, "tasks": {}}
    contexts = {}
    for name in args.tasks:
        document["tasks"][name], contexts[name] = run_task(name, args.sdist, args.cache_dir, args.seeds, args.budgets,
                                                           args.n_jobs)
        write_results(document, args.out, console)
    document["speed"] = speed_and_size(contexts["movies" if "movies" in contexts else args.tasks[0]])
    print_tables(document, args.seeds)
    write_results(document, args.out, console)


if __name__ == "__main__":
    main()
