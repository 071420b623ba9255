"""``distilkit evaluate``: a model scored on a labelled raw table."""

from typing import Annotated, Optional

import typer

from distilkit.cli.errors import command_errors
from distilkit.cli.options import (
    JsonFile,
    ModelFile,
    Quiet,
    Threshold,
    check_outputs,
    write_json,
)
from distilkit.cli.render import (
    confusion_table,
    console,
    metrics_table,
    per_class_table,
)


@command_errors
def evaluate(
    model: ModelFile,
    data: Annotated[str, typer.Argument(help="Labelled table: .csv, .parquet, or '-' for CSV on stdin.")],
    target: Annotated[
        Optional[str], typer.Option("--target", "-t", help="Label column (default: the one used at fit).")
    ] = None,
    order: Annotated[Optional[str], typer.Option(
        help="Class order, lowest first (e.g. low,mid,high): adds the ordinal metrics for any model.")] = None,
    json_out: JsonFile = None,
    name: Annotated[Optional[str], typer.Option(help="Name of this run in reports (default: model file stem).")] = None,
    threshold: Threshold = None,
    pos_label: Annotated[Optional[str], typer.Option(
        help="Binary models: the positive class of precision, recall, F1, the curves and --threshold "
        "(default: the model's own, else the second of the sorted labels).")] = None,
    quiet: Quiet = False,
):
    """Score a model on a labelled raw table: overall and per-class metrics, confusion matrix, calibration.

    Accuracy, balanced accuracy, macro F1, log loss, Brier, expected calibration error
    (ECE) and speed; binary models add the positive class's precision, recall, F1, ROC
    AUC and average precision. Ordinal models (presto, presto-fixed, propodds), and any
    model given --order, add the rare (last) class's Brier score and binned MSE, the
    ranked probability score and the mean rank error. --json also stores the per-class
    table, the confusion matrix and the curves 'distilkit report' draws.
    """
    from distilkit.workflows import evaluate_model

    check_outputs(json_out, inputs=(model, data))
    result = evaluate_model(model, data, target=target, order=order, threshold=threshold, pos_label=pos_label,
                            name=name)
    if json_out is not None:
        write_json(result.record, json_out)
    if not quiet:
        console.print(metrics_table(result.title, result.metrics))
        console.print(per_class_table(result.details))
        console.print(confusion_table(result.details["confusion_matrix"]))


def register(app):
    app.command(epilog="Examples: distilkit evaluate head.dkm test.parquet --json head.json  |  "
                "distilkit evaluate logreg.dkm stays.csv --order elective,urgent,emergency")(evaluate)
