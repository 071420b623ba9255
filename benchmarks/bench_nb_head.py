"""k-shot accuracy and fit time of NaiveBayesHead against sklearn's linear/generative heads.

Datasets: sklearn ``digits`` (64 pixel features) and frozen MiniLM embeddings (384-d)
of the VADER movie-review snippets (binary sentiment). For each k in {1, 2, 4, 8, 16, 32}
labelled rows per class are drawn from a training pool (20 repeats, seeded) and every
head is scored on a fixed held-out test half. Also times fitting on 50,000 x 768 float32.

    python benchmarks/bench_nb_head.py --sdist data/vendor/vaderSentiment-3.3.2.tar.gz

Prints a table and writes benchmarks/results/nb_head.json.
"""

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.datasets import load_digits
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.naive_bayes import GaussianNB

from distilkit import NaiveBayesHead, encode_texts, load_vader

HERE = Path(__file__).resolve().parent
SHOTS = (1, 2, 4, 8, 16, 32)


def logistic_regression(k, seed):
    """C tuned by stratified CV on the shots when there are at least 2 per class."""
    if k < 2:
        return LogisticRegression(max_iter=2000)
    folds = StratifiedKFold(n_splits=min(k, 5), shuffle=True, random_state=seed)
    return LogisticRegressionCV(Cs=np.logspace(-3, 3, 7), cv=folds, max_iter=2000, use_legacy_attributes=False,
                                l1_ratios=(0.0,), scoring="accuracy")


def naive_bayes_cv(k, seed):
    """var_smoothing tuned by the same CV as LogisticRegression's C (relative smoothing)."""
    if k < 2:
        return NaiveBayesHead()
    folds = StratifiedKFold(n_splits=min(k, 5), shuffle=True, random_state=seed)
    grid = {"var_smoothing": np.logspace(-9, 0, 10)}
    return GridSearchCV(NaiveBayesHead(smoothing="relative"), grid, cv=folds)


METHODS = {
    "NaiveBayesHead": lambda k, seed: NaiveBayesHead(),
    "NaiveBayesHead(CV smoothing)": naive_bayes_cv,
    "NaiveBayesHead(minmax)": lambda k, seed: NaiveBayesHead(scaler="minmax"),
    "LogisticRegression(CV C)": logistic_regression,
    "GaussianNB": lambda k, seed: GaussianNB(),
    "LDA(lsqr, auto shrinkage)": lambda k, seed: LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto"),
}


def movie_embeddings(sdist, cache_dir):
    cache = cache_dir / "movies_minilm.npz"
    if cache.exists():
        stored = np.load(cache)
        return stored["X"], stored["y"]
    frame = load_vader("movieReviewSnippets", sdist)
    X = encode_texts(frame["text"], "minilm", progress=True)
    y = frame["label"].to_numpy()
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez(cache, X=X, y=y)
    return X, y


def k_shot_indices(y_pool, k, rng):
    return np.concatenate([rng.choice(np.flatnonzero(y_pool == c), k, replace=False) for c in np.unique(y_pool)])


def k_shot_accuracy(X, y, repeats, seed):
    X_pool, X_test, y_pool, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=seed)
    results = {}
    for k in SHOTS:
        scores = {name: [] for name in METHODS}
        for repeat in range(repeats):
            rng = np.random.default_rng([seed, k, repeat])
            shots = k_shot_indices(y_pool, k, rng)
            for name, make in METHODS.items():
                try:
                    model = make(k, repeat).fit(X_pool[shots], y_pool[shots])
                    scores[name].append(float(np.mean(model.predict(X_test) == y_test)))
                except (ValueError, np.linalg.LinAlgError) as exc:
                    scores[name].append(None)
                    print(f"  {name} failed at k={k}: {str(exc).splitlines()[0]}")
        results[k] = {
            name: summary(values) for name, values in scores.items()
        }
        print(f"  k={k}: " + ", ".join(f"{n} {r['mean']:.3f}" for n, r in results[k].items() if r["mean"] is not None))
    return {"n_pool": len(y_pool), "n_test": len(y_test), "n_features": X.shape[1], "shots": results}


def summary(values):
    ok = [v for v in values if v is not None]
    if not ok:
        return {"mean": None, "std": None, "n": 0, "failed": len(values)}
    return {"mean": float(np.mean(ok)), "std": float(np.std(ok)), "n": len(ok), "failed": len(values) - len(ok)}


def time_fits(X, y, repeats):
    """Median fit time of each head on (X, y), and of one pass over the data (``X.sum(axis=0)``).

    The runs are interleaved (one of each per round) so that drift on a shared machine
    affects every estimator alike.
    """
    makers = {
        "one pass over X (X.sum(axis=0))": lambda: None,
        "NaiveBayesHead": lambda: NaiveBayesHead(),
        "GaussianNB": lambda: GaussianNB(),
        "LogisticRegression": lambda: LogisticRegression(),
        "LDA(lsqr, auto shrinkage)": lambda: LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto"),
    }
    samples = {name: [] for name in makers}
    models = {}
    for _ in range(repeats):
        for name, make in makers.items():
            start = time.perf_counter()
            models[name] = X.sum(axis=0) if make() is None else make().fit(X, y)
            samples[name].append(time.perf_counter() - start)
    times = {}
    for name, values in samples.items():
        times[name] = {"median_s": float(np.median(values)), "runs": repeats}
        if hasattr(models[name], "n_iter_"):
            times[name]["lbfgs_iterations"] = int(np.max(models[name].n_iter_))
        print(f"  {name}: {times[name]['median_s']:.4f} s")
    return times


def synthetic_embeddings(n_samples=50_000, n_features=768, n_classes=10, seed=0):
    """Isotropic Gaussian classes, float32: the shape of a large frozen-embedding table."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n_samples)
    means = (0.3 * rng.normal(size=(n_classes, n_features))).astype(np.float32)
    X = (means[y] + rng.normal(scale=3.0, size=(n_samples, n_features))).astype(np.float32)
    return X, y


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdist", required=True, help="vaderSentiment-3.3.2.tar.gz")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "nb_head.json")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", category=UserWarning)

    print("digits")
    digits = k_shot_accuracy(*load_digits(return_X_y=True), args.repeats, args.seed)
    print("VADER movie snippets, MiniLM embeddings")
    movies = k_shot_accuracy(*movie_embeddings(args.sdist, HERE / "cache"), args.repeats, args.seed)
    print("fit time, 50,000 x 768 float32, 10 classes")
    timing = {"synthetic_50000x768_float32_10_classes": time_fits(*synthetic_embeddings(), repeats=7)}
    print("fit time, VADER movies MiniLM embeddings (all rows)")
    X_movies, y_movies = movie_embeddings(args.sdist, HERE / "cache")
    timing[f"vader_movies_minilm_{len(y_movies)}x{X_movies.shape[1]}"] = time_fits(X_movies, y_movies, repeats=7)

    seconds = timing["synthetic_50000x768_float32_10_classes"]
    nb, lr = seconds["NaiveBayesHead"]["median_s"], seconds["LogisticRegression"]["median_s"]
    one_pass = seconds["one pass over X (X.sum(axis=0))"]["median_s"]
    result = {
        "benchmark": "nb_head",
        "repeats": args.repeats,
        "seed": args.seed,
        "datasets": {"digits": digits, "vader_movies_minilm": movies},
        "fit_time": timing,
        "targets": {"nb_speedup_vs_logreg": lr / nb, "speedup_at_least_20x": lr / nb >= 20,
                    "nb_over_one_pass": nb / one_pass, "within_10x_of_one_pass": nb / one_pass <= 10},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "omp_num_threads": os.environ.get("OMP_NUM_THREADS")},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    console = Console(width=160)
    for label, data in [("digits (10 classes, 64 features)", digits),
                        ("VADER movies, MiniLM embeddings (2 classes, 384 features)", movies)]:
        table = Table(title=f"k-shot test accuracy, {label}, mean ± std over {args.repeats} draws",
                      title_justify="left")
        table.add_column("k / class", justify="right")
        for name in METHODS:
            table.add_column(name, justify="right")
        for k, row in data["shots"].items():
            best = max(r["mean"] for r in row.values() if r["mean"] is not None)
            cells = []
            for r in row.values():
                text = "failed" if r["mean"] is None else f"{r['mean']:.3f} ± {r['std']:.3f}"
                cells.append(f"[bold]{text}[/]" if r["mean"] == best else text)
            table.add_row(str(k), *cells)
        console.print(table)
    table = Table(title="fit time in seconds (median of 7, interleaved)", title_justify="left")
    table.add_column("estimator")
    for data_name in timing:
        table.add_column(data_name, justify="right")
    for name in seconds:
        table.add_row(name, *(f"{timing[d][name]['median_s']:.4f}" for d in timing))
    console.print(table)
    console.print(f"50,000 x 768: NaiveBayesHead is {lr / nb:.0f}x faster than LogisticRegression and takes "
                  f"{nb / one_pass:.1f}x the time of one pass over the data; wrote {args.out}")


if __name__ == "__main__":
    main()
