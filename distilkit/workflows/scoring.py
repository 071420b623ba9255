"""Scoring raw tables with a fitted model: evaluation on labelled rows and batch prediction."""

import contextlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from distilkit.encoders import model_weight_bytes
from distilkit.evaluation import evaluate_table
from distilkit.exceptions import DataError
from distilkit.features import STRING_ROLES, model_columns
from distilkit.inference import score_batches, score_files, scoring_request
from distilkit.io import (
    TableSink,
    check_distinct_outputs,
    check_writable,
    count_rows,
    iter_batches,
    table_columns,
)
from distilkit.persistence import model_roles, read_model
from distilkit.progress import progress_phase
from distilkit.report import metrics_record
from distilkit.workflows.tables import is_ordinal_estimator, loaded_model, read_data


@dataclass
class EvaluationResult:
    """A model scored on a labelled table.

    Attributes
    ----------
    record : dict
        The metrics record ``distilkit evaluate --json`` writes and ``report`` reads.
    metrics : dict of str to float
        Overall metrics (also in ``record``).
    details : dict
        Per-class results, confusion matrix, curves, positive class and decision rule
        (see :func:`distilkit.evaluation.evaluate_table`).
    """

    record: dict
    metrics: dict
    details: dict

    @property
    def title(self):
        """What was scored on what, in words."""
        return (f"{self.record['name']} ({self.record['estimator']}) on {self.record['data']}: "
                f"{self.record['n_samples']:,} rows")


def _model_name(model):
    return Path(model).stem if isinstance(model, (str, Path)) else "model"


def evaluate_model(model, data, *, target=None, order=None, threshold=None, pos_label=None, name=None):
    """Score a model on a labelled raw table, as ``distilkit evaluate`` does.

    Accuracy, balanced accuracy, macro F1, log loss, Brier, expected calibration error and
    speed (rows/s from raw rows to probabilities); binary models add the positive class's
    precision, recall, F1, ROC AUC and average precision; ordinal models, and any model
    given ``order``, the ordinal metrics; a model file adds its size with the encoder
    weights it loads (``model MB``).

    Parameters
    ----------
    model : str, path-like or Pipeline
        A model file, or a fitted table model (e.g. ``fit_table(...).model``).
    data : str, path-like or pandas.DataFrame
        The labelled table.
    target : str, default=None
        The label column (default: the one the model was fitted on).
    order : str or list, default=None
        Class order, lowest first (``"low,mid,high"``): adds the ordinal metrics.
    threshold : float, default=None
        Binary models: predict the positive class where its probability is at least this.
    pos_label : label, default=None
        Binary models: the positive class of the binary metrics, the curves and ``threshold``.
    name : str, default=None
        The run's name in reports (default: the model file's stem).

    Returns
    -------
    EvaluationResult

    Examples
    --------
    >>> import pandas as pd
    >>> from distilkit.workflows import fit_table
    >>> frame = pd.read_csv("tests/data/hmda_sample.csv")
    >>> model = fit_table(frame.iloc[:200], "logreg", target="deny").model
    >>> result = evaluate_model(model, frame.iloc[200:], target="deny")
    >>> 0.5 < result.metrics["accuracy"] <= 1
    True
    """
    pipeline, meta = loaded_model(model)
    target = target or meta["metadata"].get("target")
    if target is None:
        raise DataError("the model does not name its target column; give the target")
    frame, where = read_data(data, strings=model_columns(pipeline[0].roles, STRING_ROLES))
    if target not in frame.columns:
        raise DataError(f"target column {target!r} not found in {where}")
    metrics, details = evaluate_table(pipeline, frame, target, threshold=threshold, pos_label=pos_label, order=order,
                                      ordinal=is_ordinal_estimator(pipeline[-1]), where=where)
    if isinstance(model, (str, Path)):
        # What a model costs next to what it scores: its file plus the packaged encoder weights it loads.
        metrics["model MB"] = (Path(model).stat().st_size + model_weight_bytes(pipeline)) / 1e6
    record = metrics_record(name or _model_name(model), metrics, model=str(model) if isinstance(model, (str, Path))
                            else None, estimator=meta["estimator"], data=where, target=target,
                            n_samples=len(frame), **details)
    return EvaluationResult(record, metrics, details)


@dataclass
class PredictionResult:
    """A scored table.

    Attributes
    ----------
    n_rows : int
    output : str or None
        Where the predictions were written (None: they are in ``predictions``).
    predictions : pandas.DataFrame or None
        The predictions, when no output was given.
    """

    n_rows: int
    output: str = None
    predictions: pd.DataFrame = None


def _batches(data, request, batch_size):
    """The table's batches of the columns to read, checked against the request first."""
    if isinstance(data, pd.DataFrame):
        request.check_columns(list(data.columns), "DataFrame")
        if len(data) == 0:
            raise DataError("DataFrame: the table has no rows")
        return (data.iloc[start:start + batch_size] for start in range(0, len(data), batch_size))
    if str(data) == "-":
        batches = iter_batches(data, batch_size=batch_size, strings=request.strings)
        first = next(batches, None)
        if first is None:
            raise DataError("stdin: the table has no rows")
        request.check_columns(list(first.columns), "stdin")
        return _chain(first, batches)
    request.check_columns(table_columns(data), data)
    return iter_batches(data, columns=request.columns, batch_size=batch_size, strings=request.strings)


def _chain(first, rest):
    yield first
    yield from rest


def predict_table(model, data, *, output=None, proba=False, threshold=None, pos_label=None, id_columns=(),
                  batch_size=16_384, dask=None):
    """Score raw rows with a model in batches, as ``distilkit predict`` does; memory stays at one batch.

    Missing values are imputed as at fit, categories unseen at fit are ignored, columns
    the model does not use are ignored (or copied with ``id_columns``). Labels come from
    the same probabilities as ``proba`` (one pass); ``threshold`` replaces a binary
    model's decision rule. Every check is made before the first row is read.

    Parameters
    ----------
    model : str, path-like or Pipeline
        A model file, or a fitted table model.
    data : str, path-like or pandas.DataFrame
        The rows to score: CSV, Parquet, ``"-"`` (CSV on stdin) or a DataFrame; with
        ``dask``, Parquet file(s) -- a path, a folder or a glob -- or CSV.
    output : str or path-like, default=None
        A .csv/.parquet file to write (complete or not at all), ``"-"`` for CSV on
        stdout, or, with ``dask``, the folder of Parquet files to create. None returns
        the predictions as a DataFrame.
    proba : bool, default=False
        Add a ``proba_<class>`` column per class.
    threshold : float, default=None
        Binary models: predict the positive class where its probability is at least this.
    pos_label : label, default=None
        The class ``threshold`` applies to (default: the model's own positive class).
    id_columns : sequence of str, default=()
        Columns copied to the output first.
    batch_size : int, default=16384
        Rows scored at a time.
    dask : str, default=None
        Score the partitions on Dask (``"local"`` or a scheduler address); ``model`` must
        be a model file every worker can read.

    Returns
    -------
    PredictionResult

    Examples
    --------
    >>> import pandas as pd
    >>> from distilkit.workflows import fit_table
    >>> frame = pd.read_csv("tests/data/hmda_sample.csv")
    >>> model = fit_table(frame, "logreg", target="deny").model
    >>> predict_table(model, frame.head(3), proba=True).predictions.columns.tolist()
    ['prediction', 'proba_no', 'proba_yes']
    """
    if dask is not None:
        return _predict_on_dask(model, data, output, dask, proba=proba, threshold=threshold, pos_label=pos_label,
                                passthrough=id_columns, batch_size=batch_size)
    pipeline, meta = loaded_model(model)
    request = scoring_request(pipeline.classes_, list(pipeline[0].roles), passthrough=id_columns, proba=proba,
                              threshold=threshold, pos_label=pos_label)
    if output is not None:
        check_distinct_outputs([output], [path for path in (model, data) if isinstance(path, (str, Path))])
        check_writable(output)
    where = "DataFrame" if isinstance(data, pd.DataFrame) else str(data)
    batches = _batches(data, request, batch_size)
    total = len(data) if isinstance(data, pd.DataFrame) else count_rows(data)
    rows = 0
    with progress_phase("scoring", total=total) as advance, (
            _FrameSink() if output is None else TableSink(output)) as sink:
        for scored in score_batches(pipeline, batches, request, where=where):
            sink.write(scored)
            rows += len(scored)
            advance(len(scored))
        if rows == 0:
            raise DataError(f"{where}: the table has no rows")
    if output is None:
        return PredictionResult(rows, None, sink.frame())
    return PredictionResult(rows, str(output))


class _FrameSink(contextlib.AbstractContextManager):
    """:class:`~distilkit.io.TableSink`'s interface, collecting the batches into one DataFrame."""

    def __init__(self):
        self._parts = []

    def write(self, frame):
        self._parts.append(frame)

    def frame(self):
        return pd.concat(self._parts, ignore_index=True)

    def __exit__(self, *exc):
        return False


def _predict_on_dask(model, data, output, address, *, passthrough, **options):
    from distilkit.workflows.tables import on_dask

    if not isinstance(model, (str, Path)):
        raise DataError("scoring on Dask reads the model from a model file every worker can read; save it first")
    if output is None or str(output) == "-" or Path(output).suffix:
        raise DataError(f"on Dask the output is a folder of Parquet files, one per partition (not {output!r})")
    check_distinct_outputs([output], [model, data])
    # The model file and the request are checked before a cluster starts (the whole file: its description
    # must match what it holds).
    meta = read_model(model)[1]
    scoring_request(meta["classes"], model_roles(meta), passthrough=passthrough, proba=options["proba"],
                    threshold=options["threshold"], pos_label=options["pos_label"])
    with on_dask(address) as client, progress_phase(f"scoring on Dask ({address})") as advance:
        rows = score_files(model, data, output, client=client, progress=advance, passthrough=passthrough, **options)
    return PredictionResult(rows, str(output))


__all__ = ["EvaluationResult", "PredictionResult", "evaluate_model", "predict_table"]
