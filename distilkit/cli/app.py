"""Typer commands. Heavy libraries are imported inside commands so --help answers at once."""

import contextlib
import json
import time
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from distilkit.cli.render import (
    candidates_table,
    comparison_table,
    confusion_table,
    console,
    cv_table,
    fail,
    key_value_table,
    metrics_table,
    OneLineErrorsGroup,
    on_terminate,
    per_class_table,
    progress,
    roles_table,
    text_table,
    show_warning,
    user_errors,
)
from distilkit.registry import TABLE_ESTIMATORS

app = typer.Typer(
    name="distilkit",
    cls=OneLineErrorsGroup,
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
TrainingData = Annotated[str, typer.Argument(help="Training table: .csv, .parquet, or '-' for CSV on stdin.")]
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
    import signal

    warnings.showwarning = show_warning
    signal.signal(signal.SIGTERM, on_terminate)


Text = Annotated[
    Optional[list[str]],
    typer.Option("--text", help="Text column, encoded with TF-IDF of words and characters (repeatable)."),
]
Exclude = Annotated[
    Optional[list[str]],
    typer.Option("--exclude", "-x", help="Columns to leave out: names or globs (repeatable, or comma-separated)."),
]
Params = Annotated[
    Optional[list[str]],
    typer.Option("--param", "-p", help="Hyperparameter as key=value (repeatable); for ordinal models "
                 "order=low,mid,high gives the class order."),
]


Threshold = Annotated[Optional[float], typer.Option(
    min=0.0, max=1.0, help="Binary models: predict the positive class where its probability is at least this.")]
PosLabel = Annotated[Optional[str], typer.Option(
    help="Binary models: the positive class (default: the model's own, else the second of the sorted labels).")]

Dask = Annotated[
    Optional[str],
    typer.Option("--dask", help="Run on Dask: 'local' starts a cluster of worker processes on this machine, "
                 "or give a scheduler address such as tcp://scheduler:8786 (needs the dask extra)."),
]


@contextlib.contextmanager
def _on_dask(address):
    """A Dask client (and joblib's Dask backend) when --dask is given; nothing otherwise."""
    if address is None:
        yield None
        return
    from distilkit.scale import dask_client, dask_parallel

    with dask_client(address) as client, dask_parallel(client):
        yield client


def _patterns(values):
    """Repeatable options that also take comma-separated lists."""
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    return [p.strip() for value in values for p in value.split(",") if p.strip()]


def _with_default_seed(model, params):
    """Reproducible by default: random_state=0 unless the user chose one."""
    if "random_state" in model.get_params(deep=False) and "random_state" not in params:
        model.set_params(random_state=0)
    return model.get_params(deep=False).get("random_state")


def _ordered_classes(model, name, y):
    from distilkit.io import labels_like_target
    from distilkit.registry import ORDINAL

    if getattr(model, "classes", None) is not None:
        model.set_params(classes=labels_like_target(model.classes, y))
    elif name in ORDINAL and y.dtype.kind not in "biuf":
        import numpy as np

        labels = ", ".join(map(str, np.unique(y.astype(str))))
        fail(f"{name} is ordinal and string labels need an order: give it as -p order=<lowest>,...,<highest> "
             f"(labels: {labels}; the rare class last)")


TableEstimator = Annotated[str, typer.Argument(
    help=f"One of: {', '.join(TABLE_ESTIMATORS)} ('distilkit list' describes them, 'distilkit params NAME' "
    "lists a model's parameters).")]


def _check_table_estimator(name):
    from distilkit.registry import DISTILLERS

    if name in DISTILLERS:
        fail(f"{name} learns from a teacher: train it with 'distilkit distill --method {name}'")
    if name not in TABLE_ESTIMATORS:
        fail(f"unknown estimator {name!r} (choose from: {', '.join(TABLE_ESTIMATORS)})")


def _training_table(model, estimator, data, target, features, text, exclude, quiet):
    """Read a labelled table, decide its column roles (shown unless quiet): ``(roles, X, y)``."""
    from distilkit.featurizer import infer_roles, prepare_table
    from distilkit.io import read_table, target_vector

    frame = read_table(data)
    roles = infer_roles(frame, target=target, features=_patterns(features), text=_patterns(text) or (),
                        exclude=_patterns(exclude) or ())
    y = target_vector(frame, target, min_classes=2)
    _ordered_classes(model, estimator, y)
    X = prepare_table(frame, roles, where=data)
    if not quiet:
        _show_roles(roles, f"columns of {data}")
    return roles, X, y


def _threshold_metric(value):
    """``-p tune_threshold=<metric>``: one scorer name, or None."""
    if value is None:
        return None
    if isinstance(value, list):
        if len(value) != 1:
            fail("tune_threshold takes one metric (e.g. -p tune_threshold=f1), not a list to search")
        value = value[0]
    if not isinstance(value, str):
        fail(f"tune_threshold must name a metric such as f1 or balanced_accuracy, not {value!r}")
    from distilkit.model_selection import check_scorer_name

    return check_scorer_name(value, "tune_threshold")


def _tuning_rows(tuning):
    if not tuning:
        return []
    return [("threshold", f"{tuning['pos_label']} at probability ≥ {tuning['threshold']:.4f} "
                          f"(tuned for {tuning['scoring']}: {tuning['score']:.4f} in CV)")]


def _show_roles(roles, title):
    from distilkit.featurizer import summarize_roles

    console.print(roles_table(title, summarize_roles(roles)))
    for role in roles:
        if role.role == "identifier":
            console.print(f"notice: column {escape(repr(role.column))} identifies rows (unique per row) "
                          "and is left out; --exclude more, or --features to choose", highlight=False)


@app.command(
    epilog="Examples: distilkit fit logreg loans.csv --target deny --exclude 'note*' -o loans.dkm  |  "
    "distilkit fit nbhead reviews.csv --target label --text review -o head.dkm  |  "
    "distilkit fit presto stays.csv --target admission -p order=elective,urgent,emergency -o presto.dkm"
)
@user_errors
def fit(
    estimator: TableEstimator,
    data: TrainingData,
    target: Target,
    output: Annotated[Path, typer.Option("--output", "-o", help="Model file to write (.dkm).")],
    features: Features = None,
    text: Text = None,
    exclude: Exclude = None,
    param: Params = None,
    pos_label: Annotated[Optional[str], typer.Option(
        help="Binary models: the positive class of -p tune_threshold=<metric> (default: the second of the "
        "sorted labels).")] = None,
    dask: Dask = None,
    quiet: Quiet = False,
):
    """Fit a model on a raw table (numbers, categories, text, missing values) and save it as one file.

    Column roles are decided from the table and printed before fitting: numeric columns
    are imputed and scaled, string/boolean columns one-hot encoded, --text columns
    TF-IDF encoded, and columns that identify rows left out. The model file holds the
    whole pipeline, so 'distilkit predict' takes raw rows. -p tune_threshold=f1 (or any
    scorer name) also tunes a binary model's decision threshold by 5-fold CV and keeps it.
    """
    from distilkit.cli.params import parse_params
    from distilkit.featurizer import make_model
    from distilkit.io import check_writable
    from distilkit.model_files import save_model
    from distilkit.model_selection import fit_model
    from distilkit.progress import listen_to_progress
    from distilkit.registry import make_estimator

    check_writable(output)
    _check_table_estimator(estimator)
    params = parse_params(param or ())
    tune = _threshold_metric(params.pop("tune_threshold", None))
    if pos_label is not None and tune is None:
        fail("--pos-label is the class -p tune_threshold=<metric> tunes for; without it fit has no use for it")
    model = make_estimator(estimator, params)
    seed = _with_default_seed(model, params)
    roles, X, y = _training_table(model, estimator, data, target, features, text, exclude, quiet)
    pipeline = make_model(model, roles, random_state=seed)
    start = time.perf_counter()
    with _on_dask(dask), progress(f"fitting {estimator} on {len(y):,} rows", quiet=quiet) as update:
        with listen_to_progress(update):
            pipeline, tuning = fit_model(pipeline, X, y, tune_threshold=tune, pos_label=pos_label,
                                         random_state=seed or 0)
    seconds = time.perf_counter() - start
    save_model(pipeline, output, roles=[r.as_dict() for r in roles],
               metadata={"target": target, "data": str(data), "n_samples": len(y), "fit_seconds": seconds,
                         "random_state": seed, **({"threshold_tuning": tuning} if tuning else {})})
    if not quiet:
        classes = pipeline.classes_
        console.print(key_value_table(f"fitted {estimator}", [
            ("rows", f"{len(y):,}"),
            ("columns used", f"{X.shape[1]:,} → {pipeline[:-1].transform(X.iloc[:1]).shape[1]:,} features"),
            ("classes", ", ".join(map(str, classes[:10])) + (" ..." if len(classes) > 10 else "")),
            ("random_state", str(seed)),
            *_tuning_rows(tuning),
            ("fit time", f"{seconds:.3f} s"),
            ("model file", str(output)),
        ]))


@app.command(
    epilog="Examples: distilkit cv logreg loans.csv -t deny -p C=0.01,0.1,1 --scoring roc_auc  |  "
    "distilkit cv logreg loans.csv -t deny --pos-label yes -p tune_threshold=f1 --scoring f1 -o best.dkm"
)
@user_errors
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
    json_out: Annotated[
        Optional[str], typer.Option("--json", help="Write the table as JSON to this file ('-' for stdout).")
    ] = None,
    dask: Dask = None,
    quiet: Quiet = False,
):
    """Cross-validate a model on a raw table: stratified k-fold, a grid over -p values, mean ± sd per setting.

    The same preprocessing as 'distilkit fit' is refitted inside every fold. The
    chosen setting is the one with the best mean score (the first on ties); -o refits it
    on every row, with its tuned threshold when -p tune_threshold=<metric> is given.
    """
    from distilkit.cli.params import parse_grid
    from distilkit.featurizer import make_model
    from distilkit.io import check_writable
    from distilkit.model_files import save_model
    from distilkit.model_selection import check_scorer_name, grid_search
    from distilkit.registry import make_estimator

    for destination in (output, json_out):
        if destination is not None:
            check_writable(destination)
    _check_table_estimator(estimator)
    check_scorer_name(scoring)
    grid = parse_grid(param or ())
    tune = _threshold_metric(grid.pop("tune_threshold", None))
    fixed = {key: values[0] for key, values in grid.items() if len(values) == 1}
    searched = {key: values for key, values in grid.items() if len(values) > 1}
    # Every parameter name is checked before the data is read; values are checked by the estimator at fit.
    make_estimator(estimator, {**fixed, **{key: values[0] for key, values in searched.items()}})
    model = make_estimator(estimator, fixed)
    seed = _with_default_seed(model, fixed)
    roles, X, y = _training_table(model, estimator, data, target, features, text, exclude, quiet)
    settings = 1
    for values in searched.values():
        settings *= len(values)
    with _on_dask(dask), progress(f"{folds}-fold CV of {settings} setting(s) on {len(y):,} rows", quiet=quiet):
        result = grid_search(make_model(model, roles, random_state=seed), X, y, searched, folds=folds,
                             scoring=scoring, pos_label=pos_label, tune_threshold=tune, random_state=seed or 0,
                             refit=output is not None)
    best = result.rows[result.best]
    if output is not None:
        save_model(result.model, output, roles=[r.as_dict() for r in roles],
                   metadata={"target": target, "data": str(data), "n_samples": len(y), "random_state": seed,
                             "params": {**fixed, **best["params"]},
                             "cv": {"folds": folds, "scoring": result.scoring, "mean": best["mean"],
                                    "std": best["std"]},
                             **({"threshold_tuning": result.tuning} if result.tuning else {})})
    if json_out is not None:
        _write_json({"estimator": estimator, "data": str(data), "target": target, "folds": folds,
                     "scoring": result.scoring, "pos_label": result.pos_label, "tune_threshold": tune,
                     "fixed_params": fixed, "rows": result.rows, "best": result.best}, json_out)
    if not quiet:
        positive = f", positive class {result.pos_label}" if result.pos_label is not None else ""
        console.print(cv_table(f"{estimator}: {result.scoring} in {folds}-fold stratified CV{positive}",
                               list(searched), result.rows, result.best))
        details = [("chosen", ", ".join(f"{k}={v!r}" for k, v in best["params"].items()) or "(one setting)"),
                   *_tuning_rows(result.tuning)]
        if output is not None:
            details.append(("model file", f"{output} (refitted on all {len(y):,} rows)"))
        console.print(key_value_table("result", details))


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
    exclude: Exclude = None,
    method: Annotated[str, typer.Option(
        help="lelp, kd, labels (the student on labels only), kmeans or random (the LELP paper's "
        "pseudo-subclass baselines), or auto (the best of labels/KD/LELP by CV on the labelled rows).")] = "lelp",
    student: Annotated[str, typer.Option(
        help="mlp (one hidden layer of 128) or linear; tfidf-mlp / tfidf-linear name the same students "
        "reading the raw --text column.")] = "mlp",
    text: Annotated[Optional[str], typer.Option(help="Text column the encoder teacher embeds.")] = None,
    unlabeled: Annotated[Optional[str], typer.Option(
        help="Extra unlabelled transfer rows (same feature/teacher columns, no target).")] = None,
    cache_dir: Annotated[Path, typer.Option(help="Where encoder embeddings are cached (Parquet).")] = Path(
        ".distilkit-cache"),
    param: Annotated[
        Optional[list[str]], typer.Option("--param", "-p", help="Student hyperparameter as key=value (repeatable).")
    ] = None,
    teacher_backend: Annotated[str, typer.Option(
        help="How a packaged encoder teacher runs: torch, onnx, or onnx-int8 (ONNX Runtime; exported once "
        "from the packaged weights and cached). int8 about doubles the teacher pass; it is offered for "
        "minilm only (MPNet lost 3.6 points of accuracy quantised).")] = "torch",
    save_teacher: Annotated[Optional[Path], typer.Option(
        help="Also save the teacher (packaged encoder by name + its fitted head) as a model file.")] = None,
    dask: Dask = None,
    quiet: Quiet = False,
):
    """Distil a teacher into a small student network and save the student as a model file.

    The student sees --features (default: every column that is neither the target, the
    text nor the teacher's embeddings); the teacher's logits and embeddings give the
    targets: Hinton KD (--method kd), LELP pseudo-subclasses (--method lelp), or none
    (--method labels trains the same student on the labels).
    """
    from distilkit.cli.params import parse_params
    from distilkit.distill.workflow import make_distiller, resolve_teacher, teacher_model, training_rows
    from distilkit.featurizer import make_model, prepare_table
    from distilkit.io import check_writable, read_table
    from distilkit.model_files import save_model
    from distilkit.onnx_encoders import BACKENDS
    from distilkit.progress import listen_to_progress

    check_writable(output)
    if teacher_backend not in BACKENDS:
        fail(f"unknown --teacher-backend {teacher_backend!r} (choose from: {', '.join(BACKENDS)})")
    if save_teacher is not None:
        check_writable(save_teacher)
        if method == "labels":
            fail("--save-teacher needs a teacher: --method labels trains without one")
    params = parse_params(param or ())
    model = make_distiller("lelp" if method == "auto" else method, student, params)
    seed = _with_default_seed(model, params)
    frame, roles, y, labelled = training_rows(
        read_table(data), target, teacher=teacher, text=text, features=_patterns(features),
        exclude=_patterns(exclude) or (), unlabeled=None if unlabeled is None else read_table(unlabeled),
        student=student)
    X = prepare_table(frame, roles, where=data)
    n_labelled = int(labelled.sum())
    if not quiet:
        _show_roles(roles, f"student columns of {data}")
    pipeline = make_model(model, roles, random_state=seed)
    start = time.perf_counter()
    teacher_arrays = {}
    if method != "labels":
        with _on_dask(dask) as client, progress(f"teacher {teacher}", quiet=quiet):
            signal = resolve_teacher(teacher, frame, y, labelled, text=text, cache_dir=cache_dir, client=client,
                                     backend=teacher_backend)
        if save_teacher is not None:
            teacher_pipeline, teacher_roles = teacher_model(teacher, signal, frame, text=text,
                                                            backend=teacher_backend)
        teacher_arrays = {"estimator__teacher_logits": signal.logits,
                          "estimator__teacher_embeddings": signal.embeddings,
                          "estimator__teacher_head": (signal.head_weights, signal.head_bias)}
    if method == "auto":
        pipeline, method = _choose_method(student, params, roles, seed, X, y, labelled, teacher_arrays, quiet)
    with progress(f"distilling ({method}) into a {student} student on {len(y):,} rows", quiet=quiet) as update:
        with listen_to_progress(update):
            pipeline.fit(X, y, **teacher_arrays)
    seconds = time.perf_counter() - start
    save_model(pipeline, output, roles=[r.as_dict() for r in roles],
               metadata={"target": target, "data": str(data), "n_samples": len(y), "n_labelled": n_labelled,
                         "teacher": teacher, "method": method, "fit_seconds": seconds, "random_state": seed})
    if save_teacher is not None:
        save_model(teacher_pipeline, save_teacher, roles=teacher_roles,
                   metadata={"target": target, "data": str(data), "n_labelled": n_labelled, "teacher": teacher})
    if not quiet:
        console.print(key_value_table(f"distilled {teacher} -> {student} ({method})", [
            ("rows", f"{len(y):,} ({n_labelled:,} labelled)"),
            ("student columns", f"{X.shape[1]:,}"),
            ("classes", ", ".join(map(str, pipeline.classes_))),
            ("random_state", str(seed)),
            ("time", f"{seconds:.1f} s"),
            ("model file", str(output)),
        ]))


def _choose_method(student, params, roles, seed, X, y, labelled, teacher_arrays, quiet):
    """``--method auto``: cross-validate the candidates, show their table, return the best student."""
    from distilkit.distill.selection import DEFAULT_CANDIDATES, cross_validate_candidates
    from distilkit.distill.workflow import make_distiller
    from distilkit.featurizer import make_model

    def make_student(candidate):
        # The seed fit() reports, for every candidate and the refit alike.
        return make_model(make_distiller(candidate.method, student,
                                         {"random_state": seed, **params, **candidate.params}),
                          roles, random_state=seed)

    with progress(f"choosing among {len(DEFAULT_CANDIDATES)} methods by 3-fold CV on the labelled rows",
                  quiet=quiet):
        rows, best = cross_validate_candidates(make_student, DEFAULT_CANDIDATES, X, y, labelled, teacher_arrays,
                                               random_state=seed)
    chosen = best["candidate"]
    if not quiet:
        console.print(candidates_table("methods: accuracy on held-out labelled rows (3-fold CV)",
                                       [(row["candidate"].name, row["mean"], row["std"]) for row in rows],
                                       chosen.name))
    return make_student(chosen), f"auto: {chosen.name}"


def _model_input(path):
    """A model file's model, metadata, column roles and the columns to read as strings."""
    from distilkit.featurizer import model_columns
    from distilkit.model_files import model_roles, read_model

    model, meta = read_model(path)
    roles = model_roles(meta)
    return model, meta, roles, model_columns(roles, ("categorical", "text"))


@app.command(
    epilog="Examples: distilkit evaluate head.dkm test.parquet --json head.json  |  "
    "distilkit evaluate logreg.dkm stays.csv --order elective,urgent,emergency"
)
@user_errors
def evaluate(
    model: ModelFile,
    data: Annotated[str, typer.Argument(help="Labelled table: .csv, .parquet, or '-' for CSV on stdin.")],
    target: Annotated[
        Optional[str], typer.Option("--target", "-t", help="Label column (default: the one used at fit).")
    ] = None,
    order: Annotated[Optional[str], typer.Option(
        help="Class order, lowest first (e.g. low,mid,high): adds the ordinal metrics for any model.")] = None,
    json_out: Annotated[
        Optional[str], typer.Option("--json", help="Write the metrics as JSON to this file ('-' for stdout).")
    ] = None,
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
    from distilkit.encoders import model_weight_bytes
    from distilkit.evaluation import evaluate_table
    from distilkit.io import check_writable, read_table
    from distilkit.registry import ORDINAL
    from distilkit.report import metrics_record

    if json_out is not None:
        check_writable(json_out)
    pipeline, meta, roles, strings = _model_input(model)
    target = target or meta["metadata"].get("target")
    if target is None:
        fail("the model file does not name its target column; pass --target")
    frame = read_table(data, strings=strings)
    if target not in frame.columns:
        fail(f"target column {target!r} not found in {data}")
    metrics, details = evaluate_table(
        pipeline, frame, roles, target, threshold=threshold, pos_label=pos_label,
        order=order, ordinal=meta["estimator"] in ORDINAL, where=data)
    # What a model costs next to what it scores: its file plus the packaged encoder weights it loads.
    metrics["model MB"] = (model.stat().st_size + model_weight_bytes(pipeline)) / 1e6
    record = metrics_record(name or model.stem, metrics, model=str(model), estimator=meta["estimator"],
                            data=str(data), target=target, n_samples=len(frame), **details)
    if json_out is not None:
        _write_json(record, json_out)
    if not quiet:
        title = f"{record['name']} ({meta['estimator']}) on {data}: {len(frame):,} rows"
        console.print(metrics_table(title, metrics))
        console.print(per_class_table(details))
        console.print(confusion_table(details["confusion_matrix"]))


@app.command(
    epilog="Example: distilkit predict model.dkm big.parquet --proba --id-column id -o scores.parquet"
)
@user_errors
def predict(
    model: ModelFile,
    data: Annotated[str, typer.Argument(help="Raw table to score: .csv, .parquet, or '-' for CSV on stdin.")],
    output: Annotated[
        str, typer.Option("--output", "-o", help="Output .csv/.parquet, or '-' for CSV on stdout.")
    ] = "-",
    proba: Annotated[bool, typer.Option("--proba", help="Add a proba_<class> column per class.")] = False,
    threshold: Threshold = None,
    pos_label: PosLabel = None,
    id_column: Annotated[
        Optional[list[str]], typer.Option("--id-column", help="Column copied to the output (repeatable).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows scored at a time (bounds memory).")] = 16_384,
    dask: Dask = None,
    quiet: Quiet = False,
):
    """Score raw rows with a model, streaming the table in batches so memory stays bounded.

    Missing values are imputed as at fit, categories unseen at fit are ignored, columns
    the model does not use are ignored (or copied with --id-column). Labels come from the
    same probabilities as --proba (one pass); --threshold replaces a binary model's
    decision rule. With --dask, DATA
    may be several Parquet files ('in/*.parquet' or a folder) and -o names the folder of
    Parquet files to create, one per input partition, complete or not at all.
    """
    from distilkit.exceptions import DataError
    from distilkit.featurizer import model_columns
    from distilkit.io import TableSink, check_writable, count_rows, iter_batches, table_columns
    from distilkit.scoring import output_columns, score_batches
    from distilkit.thresholds import check_decision

    pipeline, meta, roles, strings = _model_input(model)
    check_decision(pipeline.classes_, threshold, pos_label)
    decision = {"threshold": threshold, "pos_label": pos_label}
    passthrough = list(dict.fromkeys(id_column or []))
    clash = set(passthrough) & set(output_columns(pipeline.classes_, proba=proba))
    if clash:
        fail(f"--id-column {sorted(clash)[0]!r} has the name of an output column; rename it")
    if dask is not None:
        _predict_on_dask(model, data, output, dask, proba=proba, passthrough=passthrough, batch_size=batch_size,
                         quiet=quiet, **decision)
        return
    check_writable(output)
    inputs = model_columns(roles)
    wanted = list(dict.fromkeys(inputs + passthrough))
    if data == "-":
        batches = iter_batches(data, batch_size=batch_size, strings=strings)
        first = next(batches, None)
        if first is None:
            fail("stdin: the table has no rows")
        available, batches = list(first.columns), _chain(first, batches)
    else:
        available, batches = table_columns(data), None
    absent = [c for c in wanted if c not in available]
    if absent:
        role = "id" if absent[0] in passthrough and absent[0] not in inputs else "model input"
        fail(f"{role} column {absent[0]!r} not found in {data} ({len(absent)} missing)")
    if batches is None:
        batches = iter_batches(data, columns=wanted, batch_size=batch_size, strings=strings)
    rows = 0
    with TableSink(output) as sink, progress("scoring", total=count_rows(data), quiet=quiet) as advance:
        for scored in score_batches(pipeline, batches, roles, passthrough=passthrough, proba=proba, where=data,
                                    **decision):
            sink.write(scored)
            rows += len(scored)
            advance(len(scored))
        if rows == 0:
            raise DataError(f"{data}: the table has no rows")
    if not quiet and output != "-":
        console.print(f"wrote {rows:,} predictions to {escape(output)}", highlight=False)


def _predict_on_dask(model, data, output, address, *, quiet, **options):
    from distilkit.scale import score_files

    if output == "-" or Path(output).suffix:
        fail(f"with --dask the output is a folder of Parquet files: give -o FOLDER (not {output!r})")
    with _on_dask(address) as client, progress(f"scoring on Dask ({address})", quiet=quiet) as advance:
        rows = score_files(model, data, output, client=client, progress=advance, **options)
    if not quiet:
        console.print(f"wrote {rows:,} predictions to {escape(output)}/", highlight=False)


@app.command(name="list", epilog="Example: distilkit list  |  distilkit list --json | jq")
@user_errors
def list_estimators(
    json_out: Annotated[bool, typer.Option("--json", help="Print the list as JSON on stdout.")] = False,
):
    """List the estimators: name, the command that trains them, and what they are."""
    from distilkit.catalog import estimator_catalog
    from distilkit.registry import DISTILLERS, ORDINAL

    rows = [{"name": name, "command": "distill" if name in DISTILLERS else "fit",
             "ordinal": name in ORDINAL, "description": summary} for name, summary in estimator_catalog()]
    if json_out:
        typer.echo(json.dumps(rows, indent=2))
        return
    console.print(text_table("estimators ('distilkit params NAME' for parameters)",
                             ["name", "trained by", "description"],
                             [(r["name"], f"distilkit {r['command']}", r["description"]
                               + (" (ordinal: the last class is the rare one)" if r["ordinal"] else ""))
                              for r in rows]))


@app.command(epilog="Example: distilkit params presto  |  distilkit fit presto data.csv -t y -p n_lambdas=50 ...")
@user_errors
def params(
    estimator: Annotated[str, typer.Argument(help="An estimator name from 'distilkit list'.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the parameters as JSON on stdout.")] = False,
):
    """Every parameter of an estimator (set with -p key=value): default, accepted values, meaning."""
    from distilkit.catalog import estimator_parameters, estimator_summary
    from distilkit.cli.params import PARAM_ALIASES
    from distilkit.registry import estimator_class

    rows = estimator_parameters(estimator)
    if json_out:
        typer.echo(json.dumps(rows, indent=2))
        return
    aliases = {value: key for key, value in PARAM_ALIASES.items()}
    console.print(text_table(f"{estimator}: {estimator_summary(estimator)}", ["parameter", "default", "accepts",
                                                                             "description"],
                             [(r["name"] + (f" (-p {aliases[r['name']]}=...)" if r["name"] in aliases else ""),
                               r["default"], r["accepts"], r["description"]) for r in rows]))
    routed = getattr(estimator_class(estimator), "persisted_prefixes", ())
    if routed:
        console.print(f"also: skorch parameters routed by prefix ({', '.join(p + '…' for p in routed)}), "
                      "e.g. -p optimizer__weight_decay=1e-4", highlight=False, markup=False)


@app.command(epilog="Example: distilkit inspect model.dkm")
@user_errors
def inspect(
    model: ModelFile,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the model file's metadata as JSON on stdout.")
    ] = False,
):
    """Show what a model file holds: column roles, estimator and parameters, classes, versions, fit metadata."""
    import json

    from distilkit.featurizer import summarize_roles
    from distilkit.model_files import model_roles, read_model_meta

    meta = read_model_meta(model)
    if json_out:
        typer.echo(json.dumps(meta, indent=2))
        return
    if meta.get("roles") or meta.get("columns"):
        console.print(roles_table(f"columns of {model}", summarize_roles(model_roles(meta))))
    else:
        console.print(f"{escape(str(model))}: fitted on an array without column names (usable from Python only)")
    classes = meta["classes"]
    rule = meta.get("decision_threshold")
    console.print(key_value_table(f"{meta['estimator']} ({str(meta.get('class')).rsplit('.', 1)[-1]})", [
        ("classes", ", ".join(map(str, classes[:10])) + (" ..." if len(classes) > 10 else "")),
        *([("decision", f"{_short(rule.get('pos_label'))} at probability ≥ {_short(rule.get('threshold'))}")]
          if isinstance(rule, dict) else []),
        *[(key, _short(value)) for key, value in meta["params"].items()],
    ]))
    console.print(key_value_table("fit", [
        *[(key, _short(value)) for key, value in meta["metadata"].items()],
        ("created", _short(meta.get("created"))),
        *[(f"{package} version", _short(version)) for package, version in (meta.get("versions") or {}).items()],
    ]))


def _short(value, limit=80):
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    from distilkit.io import check_writable, write_text
    from distilkit.metrics import LOWER_IS_BETTER
    from distilkit.report import comparison_table as rows_of, data_groups, load_records, run_labels

    for destination in (json_out, html):
        if destination is not None:
            check_writable(destination)
    records = load_records(metrics)
    labels, rows = run_labels(records), rows_of(records)
    console.print(comparison_table(labels, rows, LOWER_IS_BETTER))
    groups = data_groups(records)
    if len(groups) > 1:
        console.print("[yellow]warning:[/] these runs were evaluated on different data: " + escape("; ".join(
            f"{', '.join(labels[i] for i in members)} on {description}" for description, members in groups)),
            highlight=False, soft_wrap=True)
    if json_out is not None:
        _write_json({"runs": labels, "metrics": {m: dict(zip(labels, v)) for m, v, _ in rows}}, json_out)
    if html is not None:
        from distilkit.report_html import render_html

        write_text(render_html(records), html)
        console.print(f"wrote {html}")


def _write_json(document, destination):
    from distilkit.io import write_text

    text = json.dumps(document, indent=2)
    if destination == "-":
        typer.echo(text)
        return
    write_text(text + "\n", destination)


def _chain(first, rest):
    yield first
    yield from rest
