"""``distilkit fit`` and ``distilkit cv``: an estimator on a raw labelled table."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from distilkit.cli.errors import command_errors
from distilkit.cli.options import (
    Dask,
    Exclude,
    Features,
    JsonFile,
    Params,
    Quiet,
    TableEstimator,
    Target,
    Text,
    TrainingData,
    check_outputs,
    show_roles,
    shown_progress,
    write_json,
)
from distilkit.cli.render import console, cv_table, key_value_table

PosLabel = Annotated[Optional[str], typer.Option(
    help="Binary models: the positive class of -p tune_threshold=<metric> (default: the second of the sorted "
    "labels).")]


@command_errors
def fit(
    estimator: TableEstimator,
    data: TrainingData,
    target: Target,
    output: Annotated[Path, typer.Option("--output", "-o", help="Model file to write (.dkm).")],
    features: Features = None,
    text: Text = None,
    exclude: Exclude = None,
    param: Params = None,
    pos_label: PosLabel = None,
    dask: Dask = None,
    quiet: Quiet = False,
):
    """Fit a model on a raw table (numbers, categories, text, missing values) and save it as one file.

    Column roles are decided from the table and printed: numeric columns are imputed
    and scaled, string/boolean columns one-hot encoded, --text columns TF-IDF encoded,
    and columns that identify rows left out. The model file holds the whole pipeline, so
    'distilkit predict' takes raw rows. -p tune_threshold=f1 (or any scorer name) also
    tunes a binary model's decision threshold by 5-fold CV and keeps it.
    """
    from distilkit.cli.params import parse_params
    from distilkit.workflows import fit_table
    from distilkit.workflows.tables import check_table_estimator

    check_outputs(output, inputs=(data,))
    check_table_estimator(estimator)
    params = parse_params(param or ())
    tune = params.pop("tune_threshold", None)
    with shown_progress(quiet):
        result = fit_table(data, estimator, target=target, features=features, text=text or (),
                           exclude=exclude or (), params=params, tune_threshold=tune, pos_label=pos_label, dask=dask)
    result.save(output)
    if not quiet:
        show_roles(result.roles, f"columns of {data}")
        console.print(key_value_table(f"fitted {estimator}", [*result.summary, ("model file", str(output))]))


@command_errors
def cv(
    estimator: TableEstimator,
    data: TrainingData,
    target: Target,
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", "-p", help="key=value, or key=v1,v2,... to search the values (repeatable: every "
        "combination is tried). tune_threshold=<metric> tunes a binary model's threshold inside each fold.")] = None,
    folds: Annotated[int, typer.Option(min=2, help="Stratified folds (shuffled with the model's seed).")] = 5,
    scoring: Annotated[Optional[str], typer.Option(
        help="A scikit-learn scorer: accuracy (default), balanced_accuracy, f1, f1_macro, roc_auc, neg_log_loss, "
        "average_precision, recall, precision...")] = None,
    pos_label: Annotated[Optional[str], typer.Option(
        help="Binary models: the positive class of f1/precision/recall and threshold tuning (default: the second "
        "of the sorted labels).")] = None,
    features: Features = None,
    text: Text = None,
    exclude: Exclude = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Refit the best setting on every row and save it (.dkm).")] = None,
    json_out: JsonFile = None,
    dask: Dask = None,
    quiet: Quiet = False,
):
    """Cross-validate a model on a raw table: stratified k-fold, a grid over -p values, mean ± sd per setting.

    The same preprocessing as 'distilkit fit' is refitted inside every fold. The
    chosen setting is the one with the best mean score (the first on ties); -o refits it
    on every row, with its tuned threshold when -p tune_threshold=<metric> is given.
    """
    from distilkit.cli.params import parse_grid
    from distilkit.workflows import cross_validate_table
    from distilkit.workflows.tables import check_table_estimator

    check_outputs(output, json_out, inputs=(data,))
    check_table_estimator(estimator)
    with shown_progress(quiet):
        result = cross_validate_table(data, estimator, target=target, param_grid=parse_grid(param or ()), folds=folds,
                                      scoring=scoring, pos_label=pos_label, features=features, text=text or (),
                                      exclude=exclude or (), refit=output is not None, dask=dask)
    if output is not None:
        result.save(output)
    if json_out is not None:
        write_json(result.as_dict(), json_out)
    if not quiet:
        from distilkit.workflows.fitting import tuning_rows

        show_roles(result.roles, f"columns of {data}")
        positive = f", positive class {result.pos_label}" if result.pos_label is not None else ""
        console.print(cv_table(f"{estimator}: {result.scoring} in {folds}-fold stratified CV{positive}",
                               result.searched, result.rows, result.best))
        best = result.rows[result.best]
        details = [("chosen", ", ".join(f"{k}={v!r}" for k, v in best["params"].items()) or "(one setting)"),
                   *tuning_rows(result.tuning)]
        if output is not None:
            details.append(("model file", f"{output} (refitted on all {result.n_samples:,} rows)"))
        console.print(key_value_table("result", details))


def register(app):
    app.command(epilog="Examples: distilkit fit logreg loans.csv --target deny --exclude 'note*' -o loans.dkm  |  "
                "distilkit fit nbhead reviews.csv --target label --text review -o head.dkm  |  "
                "distilkit fit presto stays.csv --target admission -p order=elective,urgent,emergency -o presto.dkm"
                )(fit)
    app.command(epilog="Examples: distilkit cv logreg loans.csv -t deny -p C=0.01,0.1,1 --scoring roc_auc  |  "
                "distilkit cv logreg loans.csv -t deny --pos-label yes -p tune_threshold=f1 --scoring f1 -o best.dkm"
                )(cv)
