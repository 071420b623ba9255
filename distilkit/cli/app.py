"""Typer commands. Heavy libraries are imported inside commands so --help answers at once."""

import time
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

from distilkit.cli.render import (
    comparison_table,
    console,
    fail,
    key_value_table,
    metrics_table,
    progress,
    show_warning,
    user_errors,
)
from distilkit.registry import ESTIMATORS

app = typer.Typer(
    name="distilkit",
    help="Classifiers for few classes, few labels, rare outcomes and imbalanced metrics.",
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

Target = Annotated[str, typer.Option("--target", "-t", help="Name of the label column.")]
Features = Annotated[
    Optional[str],
    typer.Option("--features", "-f", help="Feature columns: comma-separated names or globs such as 'emb_*'."),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No tables or progress bars on stderr.")]
ModelFile = Annotated[Path, typer.Argument(help="Model file written by 'distilkit fit'.")]


def _version(value: bool):
    if value:
        import distilkit

        typer.echo(f"distilkit {distilkit.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
):
    """Classifiers for few classes, few labels, rare outcomes and imbalanced metrics."""
    warnings.showwarning = show_warning


@app.command(
    epilog="Examples: distilkit fit nbhead train.parquet --target label --features 'emb_*' "
    "-p scaler=minmax -o head.dkm  |  distilkit fit presto survey.csv --target answer "
    "-p order=never,sometimes,always -o presto.dkm"
)
@user_errors
def fit(
    estimator: Annotated[str, typer.Argument(help=f"One of: {', '.join(ESTIMATORS)}.")],
    data: Annotated[str, typer.Argument(help="Training table: .csv, .parquet, or '-' for CSV on stdin.")],
    target: Target,
    output: Annotated[Path, typer.Option("--output", "-o", help="Model file to write (.dkm).")],
    features: Features = None,
    param: Annotated[
        Optional[list[str]],
        typer.Option("--param", "-p", help="Hyperparameter as key=value (repeatable); for ordinal models "
                     "order=low,mid,high gives the class order."),
    ] = None,
    quiet: Quiet = False,
):
    """Fit an estimator on a table and save it as a model file."""
    from distilkit.io import feature_matrix, labels_like_target, read_table, resolve_columns, target_vector
    from distilkit.model_files import save_model
    from distilkit.progress import listen_to_progress
    from distilkit.registry import make_estimator

    model = make_estimator(estimator, param or ())
    frame = read_table(data)
    columns = resolve_columns(list(frame.columns), target=target, features=features)
    X = feature_matrix(frame, columns.features)
    y = target_vector(frame, target, min_classes=2)
    if getattr(model, "classes", None) is not None:
        model.set_params(classes=labels_like_target(model.classes, y))
    start = time.perf_counter()
    with progress(f"fitting {estimator} on {len(y):,} rows", quiet=quiet) as update:
        with listen_to_progress(update):
            model.fit(X, y)
    seconds = time.perf_counter() - start
    save_model(model, output, metadata={"target": target, "data": str(data), "n_samples": len(y),
                                        "fit_seconds": seconds})
    if not quiet:
        console.print(key_value_table(f"fitted {estimator}", [
            ("rows", f"{len(y):,}"),
            ("features", f"{X.shape[1]:,}"),
            ("classes", ", ".join(map(str, model.classes_[:10])) + (" ..." if len(model.classes_) > 10 else "")),
            ("fit time", f"{seconds:.3f} s"),
            ("model file", str(output)),
        ]))


@app.command(
    epilog="Example: distilkit distill train.parquet --target label --features 'lsa_*' "
    "--teacher 'embeddings:emb_*' --method lelp -p n_subclasses=4 -o lelp.dkm"
)
@user_errors
def distill(
    data: Annotated[str, typer.Argument(help="Labelled training table: .csv, .parquet, or '-' for CSV on stdin.")],
    target: Target,
    teacher: Annotated[str, typer.Option(
        help="minilm or mpnet (embeds --text), embeddings:<columns> (e.g. 'embeddings:emb_*'), "
        "or a linear .dkm model.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Student model file to write (.dkm).")],
    features: Features = None,
    method: Annotated[str, typer.Option(help="lelp, kd, or labels (the student on labels only).")] = "lelp",
    student: Annotated[str, typer.Option(help="mlp (one hidden layer of 128) or linear.")] = "mlp",
    text: Annotated[Optional[str], typer.Option(help="Text column the encoder teacher embeds.")] = None,
    unlabeled: Annotated[Optional[str], typer.Option(
        help="Extra unlabelled transfer rows (same feature/teacher columns, no target).")] = None,
    cache_dir: Annotated[Path, typer.Option(help="Where encoder embeddings are cached (Parquet).")] = Path(
        ".distilkit-cache"),
    param: Annotated[
        Optional[list[str]], typer.Option("--param", "-p", help="Student hyperparameter as key=value (repeatable).")
    ] = None,
    quiet: Quiet = False,
):
    """Distil a teacher into a small student network and save the student as a model file.

    The student sees --features (default: every column that is neither the target, the
    text nor the teacher's embeddings); the teacher's logits and embeddings give the
    targets: Hinton KD (--method kd), LELP pseudo-subclasses (--method lelp), or none
    (--method labels trains the same student on the labels).
    """
    from distilkit.distill.workflow import make_distiller, resolve_teacher, training_rows
    from distilkit.io import read_table
    from distilkit.model_files import save_model
    from distilkit.progress import listen_to_progress

    model = make_distiller(method, student, param or ())
    frame, X, y, labelled = training_rows(read_table(data), target, teacher=teacher, text=text, features=features,
                                          unlabeled=None if unlabeled is None else read_table(unlabeled))
    n_labelled = int(labelled.sum())
    start = time.perf_counter()
    signal = None
    if method != "labels":
        with progress(f"teacher {teacher}", quiet=quiet):
            signal = resolve_teacher(teacher, frame, y, labelled, text=text, cache_dir=cache_dir)
    with progress(f"distilling ({method}) into a {student} student on {len(y):,} rows", quiet=quiet) as update:
        with listen_to_progress(update):
            if signal is None:
                model.fit(X, y)
            else:
                model.fit(X, y, teacher_logits=signal.logits, teacher_embeddings=signal.embeddings,
                          teacher_head=(signal.head_weights, signal.head_bias))
    seconds = time.perf_counter() - start
    save_model(model, output, metadata={"target": target, "data": str(data), "n_samples": len(y),
                                        "n_labelled": n_labelled, "teacher": teacher, "method": method,
                                        "fit_seconds": seconds})
    if not quiet:
        console.print(key_value_table(f"distilled {teacher} -> {student} ({method})", [
            ("rows", f"{len(y):,} ({n_labelled:,} labelled)"),
            ("student features", f"{X.shape[1]:,}"),
            ("classes", ", ".join(map(str, model.classes_))),
            ("time", f"{seconds:.1f} s"),
            ("model file", str(output)),
        ]))


@app.command(
    epilog="Example: distilkit evaluate head.dkm test.parquet --target label --json head.json"
)
@user_errors
def evaluate(
    model: ModelFile,
    data: Annotated[str, typer.Argument(help="Labelled table: .csv, .parquet, or '-' for CSV on stdin.")],
    target: Annotated[
        Optional[str], typer.Option("--target", "-t", help="Label column (default: the one used at fit).")
    ] = None,
    features: Features = None,
    json_out: Annotated[
        Optional[str], typer.Option("--json", help="Write the metrics as JSON to this file ('-' for stdout).")
    ] = None,
    name: Annotated[Optional[str], typer.Option(help="Name of this run in reports (default: model file stem).")] = None,
    quiet: Quiet = False,
):
    """Score a model on a labelled table: accuracy, balanced accuracy, macro F1, log loss, Brier, ROC AUC.

    Ordinal models (presto, presto-fixed, propodds) add the rare (last) class's Brier
    score and binned MSE, the ranked probability score and the mean rank error.
    """
    from distilkit.io import columns_for_model, feature_matrix, read_table, target_vector
    from distilkit.metrics import classification_metrics, optimised_metric, ordinal_metrics
    from distilkit.model_files import read_model
    from distilkit.registry import ORDINAL
    from distilkit.report import metrics_record

    estimator, meta = read_model(model)
    target = target or meta.get("metadata", {}).get("target")
    if target is None:
        fail("the model file does not name its target column; pass --target")
    frame = read_table(data)
    columns = columns_for_model(list(frame.columns), meta.get("feature_names"), features=features, target=target)
    y = target_vector(frame, target)
    X = feature_matrix(frame, columns.features)
    # predict() rather than argmax(proba): estimators may apply a decision threshold.
    y_pred = estimator.predict(X)
    proba = estimator.predict_proba(X)
    metrics = classification_metrics(y, proba, estimator.classes_, y_pred=y_pred)
    metrics.update(optimised_metric(estimator, y, y_pred))
    if meta["estimator"] in ORDINAL:
        metrics.update(ordinal_metrics(y, proba, estimator.classes_))
    record = metrics_record(name or model.stem, metrics, model=str(model), estimator=meta["estimator"],
                            data=str(data), target=target, n_samples=len(y))
    if json_out is not None:
        _write_json(record, json_out)
    if not quiet:
        console.print(metrics_table(f"{record['name']} ({meta['estimator']}) on {data}: {len(y):,} rows", metrics))


@app.command(
    epilog="Example: distilkit predict head.dkm big.parquet --proba --id-column id -o scores.parquet"
)
@user_errors
def predict(
    model: ModelFile,
    data: Annotated[str, typer.Argument(help="Table to score: .csv, .parquet, or '-' for CSV on stdin.")],
    output: Annotated[
        str, typer.Option("--output", "-o", help="Output .csv/.parquet, or '-' for CSV on stdout.")
    ] = "-",
    proba: Annotated[bool, typer.Option("--proba", help="Add a proba_<class> column per class.")] = False,
    id_column: Annotated[
        Optional[list[str]], typer.Option("--id-column", help="Column copied to the output (repeatable).")
    ] = None,
    features: Features = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows scored at a time (bounds memory).")] = 16_384,
    quiet: Quiet = False,
):
    """Score a table with a model, streaming it in batches so memory stays bounded."""
    from distilkit.exceptions import DataError
    from distilkit.io import TableSink, columns_for_model, count_rows, iter_batches, table_columns
    from distilkit.model_files import read_model
    from distilkit.scoring import score_batches

    estimator, meta = read_model(model)
    passthrough = id_column or []
    if data == "-":
        batches = iter_batches(data, batch_size=batch_size)
        first = next(batches, None)
        if first is None:
            fail("stdin: the table has no rows")
        available, batches = list(first.columns), _chain(first, batches)
    else:
        available = table_columns(data)
        batches = None
    columns = columns_for_model(available, meta.get("feature_names"), features=features, passthrough=passthrough)
    if batches is None:
        batches = iter_batches(data, columns=columns.features + [c for c in passthrough if c not in columns.features],
                               batch_size=batch_size)
    rows = 0
    with TableSink(output) as sink, progress("scoring", total=count_rows(data), quiet=quiet) as advance:
        for scored in score_batches(estimator, batches, columns.features, passthrough=passthrough, proba=proba):
            sink.write(scored)
            rows += len(scored)
            advance(len(scored))
        if rows == 0:
            raise DataError(f"{data}: the table has no rows")
    if not quiet and output != "-":
        console.print(f"wrote {rows:,} predictions to {output}")


@app.command(
    epilog="Example: distilkit report head.json logreg.json --html report.html"
)
@user_errors
def report(
    metrics: Annotated[list[Path], typer.Argument(help="Metrics files written by 'distilkit evaluate --json'.")],
    html: Annotated[
        Optional[Path], typer.Option("--html", help="Also write an HTML page with the table and plots.")
    ] = None,
    json_out: Annotated[
        Optional[str], typer.Option("--json", help="Write the comparison as JSON to this file ('-' for stdout).")
    ] = None,
):
    """Compare evaluation results side by side (best value per metric highlighted)."""
    from distilkit.io import write_text
    from distilkit.metrics import LOWER_IS_BETTER
    from distilkit.report import comparison_table as rows_of, load_records, render_html, run_labels

    records = load_records(metrics)
    labels, rows = run_labels(records), rows_of(records)
    console.print(comparison_table(labels, rows, LOWER_IS_BETTER))
    if json_out is not None:
        _write_json({"runs": labels, "metrics": {m: dict(zip(labels, v)) for m, v, _ in rows}}, json_out)
    if html is not None:
        write_text(render_html(records), html)
        console.print(f"wrote {html}")


def _write_json(document, destination):
    import json

    from distilkit.io import write_text

    text = json.dumps(document, indent=2)
    if destination == "-":
        typer.echo(text)
        return
    write_text(text + "\n", destination)


def _chain(first, rest):
    yield first
    yield from rest
