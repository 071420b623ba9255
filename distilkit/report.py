"""Side-by-side comparison of evaluation results, as data and as an HTML page."""

import base64
import html
import io
import json
from pathlib import Path

from distilkit.exceptions import DataError
from distilkit.metrics import LOWER_IS_BETTER

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
        if not isinstance(record.get("name", ""), str):
            raise DataError(f"{path}: 'name' is not a string")
        records.append(record)
    if not records:
        raise DataError("no metrics files given")
    return records


def comparison_table(records):
    """Rows of ``(metric, [value per record], index of the best record or None)``.

    Metrics are listed in order of first appearance; a record lacking a metric has
    ``None`` there.
    """
    names = []
    for record in records:
        names.extend(m for m in record["metrics"] if m not in names)
    rows = []
    for metric in names:
        values = [record["metrics"].get(metric) for record in records]
        present = [(v, i) for i, v in enumerate(values) if isinstance(v, (int, float))]
        best = None
        if len(present) > 1:
            pick = min if metric in LOWER_IS_BETTER else max
            best = pick(present)[1]
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


def render_html(records, title="distilkit report"):
    """A self-contained HTML page: the comparison table and one bar chart per metric."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = run_labels(records)
    rows = comparison_table(records)
    head = "".join(f"<th>{html.escape(label)}</th>" for label in labels)
    body = []
    for metric, values, best in rows:
        cells = "".join(
            f"<td{' class=best' if i == best else ''}>{'' if v is None else f'{v:.4f}'}</td>"
            for i, v in enumerate(values)
        )
        body.append(f"<tr><th>{html.escape(metric)}</th>{cells}</tr>")

    fig, axes = plt.subplots(1, len(rows), figsize=(3.2 * len(rows), 3.2), squeeze=False)
    for ax, (metric, values, _) in zip(axes[0], rows):
        ax.bar(range(len(values)), [0 if v is None else v for v in values], color="#4c72b0")
        ax.set_xticks(range(len(values)), labels, rotation=30, ha="right", fontsize=8)
        ax.set_title(metric + (" (lower is better)" if metric in LOWER_IS_BETTER else ""), fontsize=9)
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=110)
    plt.close(fig)
    image = base64.b64encode(png.getvalue()).decode()
    sources = "".join(
        f"<li>{html.escape(label)}: {html.escape(str(r.get('model', '')))} on {html.escape(str(r.get('data', '')))}</li>"
        for label, r in zip(labels, records)
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}td.best{{font-weight:bold;background:#e8f4e8}}</style>
</head><body><h1>{html.escape(title)}</h1>
<table><thead><tr><th>metric</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>
<p>Best value per metric in bold.</p>
<img alt="metrics" src="data:image/png;base64,{image}">
<ul>{sources}</ul></body></html>
"""
