"""Side-by-side comparison of evaluation results, as data and as an HTML page."""

import json
import math
from pathlib import Path

from distilkit.evaluation.metrics import LOWER_IS_BETTER
from distilkit.exceptions import DataError

METRICS_FORMAT = "distilkit-metrics"


def metrics_record(name, metrics, **context):
    """The JSON document ``distilkit evaluate --json`` writes and ``report`` reads."""
    return {"format": METRICS_FORMAT, "name": name, **context, "metrics": metrics}


def load_records(paths):
    """Read metrics JSON files, refusing anything that is not a distilkit metrics record."""
    records = []
    for path in paths:
        try:
            record = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise DataError(f"{path}: no such file") from None
        except (ValueError, OSError, UnicodeDecodeError, RecursionError):
            raise DataError(f"{path}: not a JSON file") from None
        if not isinstance(record, dict) or record.get("format") != METRICS_FORMAT:
            raise DataError(f"{path}: not a distilkit metrics file (write one with 'distilkit evaluate --json')")
        metrics = record.get("metrics")
        if not isinstance(metrics, dict) or not metrics:
            raise DataError(f"{path}: 'metrics' is not a table of metric values")
        for metric, value in metrics.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise DataError(f"{path}: metric {metric!r} is {type(value).__name__}, not a number")
            if value is not None and not math.isfinite(value):
                raise DataError(f"{path}: metric {metric!r} is {value}, not a finite number")
        for key in _TEXT_FIELDS:
            value = record.get(key)
            # A DataFrame's target column may be named by an integer.
            if value is not None and not isinstance(value, str) and not (
                    key == "target" and isinstance(value, int) and not isinstance(value, bool)):
                raise DataError(f"{path}: {key!r} is {type(value).__name__}, not a string")
        n_samples = record.get("n_samples")
        if n_samples is not None and (isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 0):
            raise DataError(f"{path}: 'n_samples' is not a count of rows")
        _check_details(path, record)
        records.append(record)
    if not records:
        raise DataError("no metrics files given")
    return records


def format_value(value):
    """A metric as reports show it: four decimals, fewer for large values (speeds, sizes).

    Values shown alike are ties (:func:`comparison_table`).

    Examples
    --------
    >>> format_value(0.812345), format_value(14.43271), format_value(5232.06), format_value(None)
    ('0.8123', '14.43', '5,232', '–')
    """
    if value is None:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) >= 10 else f"{value:.4f}"


def _numbers(values):
    return isinstance(values, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values)


#: Record fields the report reads as text (and groups runs by).
_TEXT_FIELDS = ("name", "model", "estimator", "data", "target", "labels_fingerprint")
#: The columns the report draws each curve from.
CURVE_COLUMNS = {"roc": ("fpr", "tpr"), "pr": ("recall", "precision"),
                 "reliability": ("confidence", "accuracy", "count"),
                 "calibration": ("predicted", "observed", "count")}


def _check_details(path, record):
    """Refuse per-class, confusion and curve sections that the report could not draw."""
    curves = record.get("curves", {})
    if not isinstance(curves, dict):
        raise DataError(f"{path}: 'curves' is not a table of curves")
    for name, curve in curves.items():
        if not (isinstance(curve, dict) and curve and all(_numbers(v) for v in curve.values())
                and len({len(v) for v in curve.values()}) == 1):
            raise DataError(f"{path}: curve {name!r} is not columns of finite numbers of one length")
        missing = [column for column in CURVE_COLUMNS.get(name, ()) if column not in curve]
        if missing:
            raise DataError(f"{path}: curve {name!r} has no column {missing[0]!r}")
    confusion = record.get("confusion_matrix")
    if confusion is not None:
        labels = confusion.get("labels") if isinstance(confusion, dict) else None
        counts = confusion.get("counts") if isinstance(confusion, dict) else None
        if not (isinstance(labels, list) and isinstance(counts, list) and len(counts) == len(labels)
                and all(_numbers(row) and len(row) == len(labels) and all(isinstance(n, int) and n >= 0 for n in row)
                        for row in counts)):
            raise DataError(f"{path}: 'confusion_matrix' is not labels and a square table of counts")
    per_class = record.get("per_class", {})
    if not (isinstance(per_class, dict) and all(
            isinstance(row, dict) and _numbers(list(row.values())) for row in per_class.values())):
        raise DataError(f"{path}: 'per_class' is not a table of numbers per class")


def comparison_table(records):
    """Rows of ``(metric, [value per record], set of indices of the best records)``.

    Metrics are listed in order of first appearance; a record lacking a metric has
    ``None`` there. Values shown alike by :func:`format_value` tie with the best; with
    fewer than two values, or when every value ties, no record is best.

    Examples
    --------
    >>> record = lambda **m: {"metrics": m}
    >>> comparison_table([record(accuracy=0.81234, log_loss=0.5), record(accuracy=0.81231, log_loss=0.4)])
    [('accuracy', [0.81234, 0.81231], set()), ('log_loss', [0.5, 0.4], {1})]
    """
    names = []
    for record in records:
        names.extend(m for m in record["metrics"] if m not in names)
    rows = []
    for metric in names:
        values = [record["metrics"].get(metric) for record in records]
        present = {i: v for i, v in enumerate(values) if isinstance(v, (int, float))}
        best = set()
        if len({format_value(v) for v in present.values()}) > 1:
            target = format_value((min if metric in LOWER_IS_BETTER else max)(present.values()))
            best = {i for i, v in present.items() if format_value(v) == target}
        rows.append((metric, values, best))
    return rows


def run_labels(records):
    """Column labels: the record names, made unique."""
    labels, seen = [], {}
    for record in records:
        name = str(record.get("name", "run"))
        seen[name] = seen.get(name, 0) + 1
        labels.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return labels


def data_groups(records):
    """Runs grouped by the rows they were scored on: ``[(description, [run index, ...]), ...]``.

    Runs match when their labels fingerprint (target values in row order), target and
    row count agree; records without a fingerprint are matched by data path instead.
    More than one group means the runs are not comparable row for row.
    """
    groups = {}
    for i, record in enumerate(records):
        key = (record.get("labels_fingerprint") or f"path:{record.get('data')}", record.get("target"),
               record.get("n_samples"))
        groups.setdefault(key, []).append(i)
    described = []
    for (_, target, n_samples), members in groups.items():
        first = records[members[0]]
        rows = f"{n_samples:,} rows" if isinstance(n_samples, int) else "rows unknown"
        described.append((f"{first.get('data', '?')} ({rows}, target {target!r})", members))
    return described


__all__ = ["METRICS_FORMAT", "comparison_table", "data_groups", "format_value", "load_records", "metrics_record",
           "run_labels"]
