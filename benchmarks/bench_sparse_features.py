"""What the sparse TF-IDF student's character n-grams buy: words + characters against words alone.

``tfidf-sparse`` (``bench_distill.py``) reads 20,000 word 1-2-gram and 20,000 character 2-5-gram
TF-IDF columns (``TextColumn``). Its character analyzer is pure Python and caps its rows/s.
Here the same student network (``make_distiller("kd", "tfidf-sparse")``) learns by KD from
the same teachers (MiniLM or MPNet + logistic head on n_L = 300 labels) on the same tasks,
split and pool as ``bench_distill.py``, from two feature sets fitted on the pool's texts:

- ``words+chars``: ``TextColumn``, as ``--student tfidf-sparse`` reads its text;
- ``words``: 40,000 word 1-2-gram columns only (the same width, no character analyzer).

Per task and teacher: test accuracy (mean ± std over seeds of the labels and the network),
the paired difference words - words+chars with its 95% t interval, and raw text to
probabilities in rows/s (features + network, the task's test rows, median of 3).

    python benchmarks/bench_sparse_features.py --sdist data/vendor/vaderSentiment-3.3.2.tar.gz

Prints a table and writes benchmarks/results/sparse_features.json.
"""

import os
import warnings

import numpy as np
from bench_distill import TEACHERS, distiller, format_interval, interval, load_task
from common import machine, timed, vader_arguments, write_results
from joblib import Parallel, delayed
from rich.console import Console
from rich.table import Table
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from distilkit.encoders.cache import embed_texts
from distilkit.estimators.distill.teachers import teacher_signal
from distilkit.features import TextColumn

console = Console(width=160)
N_LABELLED = 300


def featurizers():
    """Each feature set's featurizer, unfitted: ``words+chars`` is the student's own ``TextColumn``."""
    return {"words+chars": TextColumn(),
            "words": TfidfVectorizer(sublinear_tf=True, max_features=40_000, dtype=np.float32, ngram_range=(1, 2))}


def run_cell(X, y, pool, test, embedding, seed):
    """Both feature sets' students by KD at one seed: test accuracies and the fitted students."""
    labelled = train_test_split(pool, train_size=N_LABELLED, stratify=y[pool], random_state=seed)[0]
    is_labelled = np.isin(pool, labelled)
    signal = teacher_signal(LogisticRegression(max_iter=5000), embedding[pool],
                            np.where(is_labelled, y[pool], -1), is_labelled)
    accuracy, models = {}, {}
    for key, features in X.items():
        models[key] = distiller("tfidf-sparse", "kd", seed, None)
        models[key].fit(features[pool], None, teacher_logits=signal.logits)
        accuracy[key] = float(np.mean(models[key].predict(features[test]) == y[test]))
    return accuracy, models


def run_task(name, sdist, cache_dir, seeds, n_jobs):
    _, texts, y, pool, test = load_task(name, sdist)
    sets = featurizers()
    X = {key: featurizer.fit([texts[i] for i in pool]).transform(texts).tocsr() for key, featurizer in sets.items()}
    embeddings = {teacher: embed_texts(texts, teacher, cache_dir) for teacher in TEACHERS}
    # One process per core; accuracies only (the rows/s below are measured alone, afterwards).
    cells = Parallel(n_jobs=n_jobs)(delayed(run_cell)(X, y, pool, test, embeddings[teacher], seed)
                                    for teacher in TEACHERS for seed in range(seeds))
    result = {}
    for index, teacher in enumerate(TEACHERS):
        runs = {key: [cell[0][key] for cell in cells[index * seeds:(index + 1) * seeds]] for key in sets}
        console.print(f"{name}, {teacher}: " + ", ".join(f"{key} {values}" for key, values in runs.items()))
        result[teacher] = {**{key: {"mean": float(np.mean(v)), "std": float(np.std(v)), "runs": v}
                              for key, v in runs.items()},
                           "words_minus_both": interval(np.subtract(runs["words"], runs["words+chars"]))}
    models = cells[-1][1]
    sample = [texts[i] for i in np.resize(test, 20_000)]
    speed = {key: len(sample) / timed(lambda: models[key].predict_proba(sets[key].transform(sample)), repeats=3)
             for key in sets}
    return {"n_pool": len(pool), "n_test": len(test), "teachers": result, "rows_per_s": speed}


def main():
    parser = vader_arguments(__doc__, "sparse_features.json", seeds=3)
    parser.add_argument("--n-jobs", type=int, default=2, help="seeds run in parallel processes")
    args = parser.parse_args()
    warnings.simplefilter("ignore", FutureWarning)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    document = {"benchmark": "sparse_features", "machine": machine(), "seeds": args.seeds,
                "n_labelled": N_LABELLED, "tasks": {}}
    for name in ("movies", "amazon"):
        document["tasks"][name] = run_task(name, args.sdist, args.cache_dir, args.seeds, args.n_jobs)
        write_results(document, args.out, console)
    table = Table(title=f"tfidf-sparse by KD, n_L = {N_LABELLED}, {args.seeds} seeds: words + characters against "
                        "words alone", title_justify="left")
    for column in ("task, teacher", "words+chars", "words", "words − words+chars [95%]", "rows/s words+chars",
                   "rows/s words"):
        table.add_column(column, justify="left" if column == "task, teacher" else "right")
    for name, task in document["tasks"].items():
        for teacher, row in task["teachers"].items():
            table.add_row(f"{name}, {teacher}", *(f"{row[k]['mean']:.4f} ± {row[k]['std']:.4f}"
                                                  for k in ("words+chars", "words")),
                          format_interval(row["words_minus_both"]),
                          *(f"{task['rows_per_s'][k]:,.0f}" for k in ("words+chars", "words")))
    console.print(table)


if __name__ == "__main__":
    main()
