"""The HTML report: one self-contained, responsive page comparing evaluation runs.

Everything drawn comes from the metrics files (``distilkit evaluate --json``), so a
report needs neither the models nor the data. Plots are matplotlib SVGs embedded as
images that scale with the page; each run keeps one colour in every plot and table.
"""

import base64
import html
import io
import math

from distilkit.evaluation.metrics import LOWER_IS_BETTER
from distilkit.report.records import (
    comparison_table,
    data_groups,
    format_value,
    run_labels,
)

#: One colour per run, in run order (matplotlib's tab10, repeated past ten runs).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")
#: Metrics drawn on a logarithmic axis when their values span more than a factor of ten.
_SCALE_METRICS = frozenset({"rows/s", "model MB"})

_STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;line-height:1.4}
main{max-width:1400px;margin:0 auto;padding:1rem 1.5rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}h3{font-size:1rem;margin:.3rem 0}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,330px),1fr));gap:1rem 1.5rem}
.wide{grid-template-columns:repeat(auto-fill,minmax(min(100%,460px),1fr))}
figure{margin:0}figure img{width:100%;height:auto;display:block}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}
thead th{white-space:normal;overflow-wrap:anywhere;vertical-align:bottom}
th:first-child{text-align:left}
table.metrics{width:100%}
table.compact{font-size:.72rem}table.compact td,table.compact th{padding:2px 4px}
td.best{font-weight:bold;background:#e3f2e1}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin-right:.35em;vertical-align:-.05em}
.warning{background:#fff4e0;border-left:4px solid #e69500;padding:.6rem 1rem}
.note{color:#555;font-size:.9rem}
ul.runs{overflow-wrap:anywhere}
"""


def _colour(index):
    return PALETTE[index % len(PALETTE)]


def _swatch(index):
    return f'<span class="swatch" style="background:{_colour(index)}"></span>'


def _figure(fig, alt):
    """A matplotlib figure as an ``<img>`` of its SVG (text kept as text), closed afterwards."""
    import matplotlib.pyplot as plt

    svg = io.StringIO()
    fig.savefig(svg, format="svg", bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(svg.getvalue().encode()).decode()
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/svg+xml;base64,{data}"></figure>'


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "distilkit", "font.size": 9,
                         "axes.spines.top": False, "axes.spines.right": False})
    return plt


def _value_axis(ax, values, log_allowed=True):
    """The x axis: logarithmic when positive values span more than a factor of ten, few ticks either way."""
    from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter

    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.margins(x=0.08, y=0.1)  # no point on the frame
    if log_allowed and min(values) > 0 and max(values) / min(values) > 10:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(numticks=6))
        ax.xaxis.set_minor_formatter(NullFormatter())
        return True
    ax.xaxis.set_major_locator(MaxNLocator(5))
    return False


def _metric_plot(plt, metric, values, labels, best):
    """A dot per run on an axis zoomed to the values (not from zero), the best ringed."""
    present = [(i, v) for i, v in enumerate(values) if isinstance(v, (int, float))]
    fig, ax = plt.subplots(figsize=(3.6, 0.32 * len(present) + 0.9))
    numbers = [v for _, v in present]
    log = _value_axis(ax, numbers, log_allowed=metric in _SCALE_METRICS)
    for row, (i, value) in enumerate(present):
        ax.plot([value], [row], "o", color=_colour(i), markersize=8 if i in best else 6,
                markeredgecolor="black" if i in best else _colour(i), markeredgewidth=1.5)
    low, high = min(numbers), max(numbers)
    if not log:
        pad = (high - low) * 0.12 or max(abs(high) * 0.05, 0.01)
        ax.set_xlim(low - pad, high + pad)
    ax.set_yticks(range(len(present)), [labels[i] for i, _ in present])
    ax.set_ylim(-0.6, len(present) - 0.4)
    ax.invert_yaxis()
    ax.grid(axis="x", color="#e5e5e5")
    direction = "lower is better" if metric in LOWER_IS_BETTER else "higher is better"
    ax.set_title(f"{metric} ({direction})", loc="left")
    return _figure(fig, f"{metric} per run")


def _curve_plot(plt, records, labels, curve, x, y, title, xlabel, ylabel, diagonal=False):
    fig, ax = plt.subplots(figsize=(4.6, 3.6))
    if diagonal:
        ax.plot([0, 1], [0, 1], "--", color="#999", linewidth=1)
    for i, record in enumerate(records):
        points = record.get("curves", {}).get(curve)
        if points:
            ax.plot(points[x], points[y], "o-" if "count" in points else "-", color=_colour(i),
                    label=labels[i], linewidth=1.6, markersize=4)
    ax.set(xlabel=xlabel, ylabel=ylabel, xlim=(0, 1), ylim=(0, 1.02))
    ax.set_title(title, loc="left")
    ax.grid(color="#eee")
    ax.legend(fontsize=8, frameon=False)
    return _figure(fig, title)


def _cost_plot(plt, records, labels, runs, cost, quality="accuracy"):
    fig, ax = plt.subplots(figsize=(4.6, 3.4))
    for i in runs:
        metrics = records[i]["metrics"]
        ax.plot([metrics[cost]], [metrics[quality]], "o", color=_colour(i), markersize=8, label=labels[i])
    log = _value_axis(ax, [records[i]["metrics"][cost] for i in runs])
    direction = "lower is better" if cost in LOWER_IS_BETTER else "higher is better"
    ax.set(xlabel=f"{cost} ({'log scale, ' if log else ''}{direction})", ylabel=quality)
    ax.set_title(f"{quality} against {cost}", loc="left")
    ax.grid(color="#eee")
    ax.legend(fontsize=8, frameon=False)
    return _figure(fig, f"{quality} against {cost}")


def _confusion_html(record, index, label):
    """A confusion matrix as a table, each cell shaded by its share of the true class's rows."""
    confusion = record["confusion_matrix"]
    names = [html.escape(str(n)) for n in confusion["labels"]]
    colour = _colour(index)
    head = "".join(f"<th>{n}</th>" for n in names)
    rows = []
    for name, counts in zip(names, confusion["counts"]):
        total = sum(counts) or 1
        cells = "".join(
            f'<td style="background:{colour}{round(255 * 0.75 * n / total):02x}">{n:,}</td>' for n in counts)
        rows.append(f"<tr><th>{name}</th>{cells}</tr>")
    return (f"<figure><h3>{_swatch(index)}{html.escape(label)}</h3><div class=scroll><table>"
            f"<thead><tr><th>true ↓ predicted →</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
            "</table></div></figure>")


def _metrics_table(records, labels):
    rows = comparison_table(records)
    head = "".join(f"<th>{_swatch(i)}{html.escape(label)}</th>" for i, label in enumerate(labels))
    body = []
    for metric, values, best in rows:
        cells = "".join(
            f"<td{' class=best' if i in best else ''}>{format_value(v)}</td>"
            for i, v in enumerate(values))
        mark = " ↓" if metric in LOWER_IS_BETTER else ""
        body.append(f"<tr><th>{html.escape(metric)}{mark}</th>{cells}</tr>")
    # Many runs: a smaller type, so a dozen columns still fit a 1,000-px window.
    compact = " compact" if len(labels) > 6 else ""
    return (f"<div class=scroll><table class='metrics{compact}'><thead><tr><th>metric</th>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>"
            "<p class=note>Best value per metric shaded (values shown alike tie and are all "
            "shaded; nothing is shaded when all runs tie). ↓ lower is better; every other metric is better "
            "higher.</p>"), rows


def _data_warning(records, labels):
    groups = data_groups(records)
    if len(groups) < 2:
        return ""
    items = "".join(
        f"<li>{html.escape(description)}: {', '.join(html.escape(labels[i]) for i in members)}</li>"
        for description, members in groups)
    return (f"<p class=warning><strong>Warning:</strong> these runs were evaluated on different data, so their "
            f"numbers are not comparable row for row.</p><ul>{items}</ul>")


def _section(title, figures, *, note=None, wide=True):
    """A titled section: an optional note, then its figures in a responsive grid."""
    paragraph = f"<p class=note>{html.escape(note)}</p>" if note else ""
    return f"<h2>{html.escape(title)}</h2>{paragraph}<div class='grid{' wide' if wide else ''}'>{figures}</div>"


#: The metrics drawn as dots, in this order (the table holds them all): quality, calibration, the ordinal
#: task's own scores, speed. Balanced accuracy only where it tells something accuracy does not.
HEADLINE_METRICS = ("accuracy", "balanced_accuracy", "log_loss", "ece", "rare_brier", "rps", "rows/s")
#: Balanced accuracy within this of accuracy for every run (a balanced task) is not drawn twice.
_NEAR_COPY = 0.01


def _headline(rows):
    by_metric = {metric: (metric, values, best) for metric, values, best in rows}
    if "accuracy" in by_metric and "balanced_accuracy" in by_metric:
        pairs = zip(by_metric["accuracy"][1], by_metric["balanced_accuracy"][1])
        numbers = [(a, b) for a, b in pairs if all(isinstance(v, (int, float)) for v in (a, b))]
        if all(abs(a - b) <= _NEAR_COPY for a, b in numbers):
            del by_metric["balanced_accuracy"]
    return [by_metric[metric] for metric in HEADLINE_METRICS if metric in by_metric]


def render_html(records, title="distilkit report"):
    """A self-contained HTML page comparing evaluation records (see :func:`distilkit.report.records.load_records`).

    The page holds: the metrics table (best marked, ties alike, lower-is-better marked),
    a warning when the runs were scored on different rows, a dot plot per headline metric
    (``HEADLINE_METRICS``) on a zoomed axis, accuracy against speed and size when the runs report them (teacher
    against students), ROC and precision-recall curves (binary runs), a reliability
    diagram, the positive class's calibration curve (binary runs) and a confusion matrix
    per run.
    """
    plt = _pyplot()
    labels = run_labels(records)
    table, rows = _metrics_table(records, labels)
    dots = "".join(_metric_plot(plt, metric, values, labels, best) for metric, values, best in _headline(rows)
                   if sum(isinstance(v, (int, float)) and math.isfinite(v) for v in values) >= 1)
    sections = [f"<h1>{html.escape(title)}</h1>", _data_warning(records, labels), "<h2>Metrics</h2>", table,
                "<p class=note>Dots for the metrics read first; every metric is in the table.</p>",
                f"<div class=grid>{dots}</div>"]
    costly = [i for i, r in enumerate(records) if all(
        isinstance(r["metrics"].get(m), (int, float)) and r["metrics"][m] > 0 for m in ("rows/s", "model MB"))
        and isinstance(r["metrics"].get("accuracy"), (int, float))]
    if len(costly) >= 2:
        sections.append(_section(
            "Quality against cost",
            "".join(_cost_plot(plt, records, labels, costly, cost) for cost in ("rows/s", "model MB")),
            note=("Accuracy against scoring speed (raw rows to probabilities) and model size (file plus packaged "
                  "encoder weights): a distilled student should sit left of its teacher on size and right of it "
                  "on speed.")))
    if any(r.get("curves", {}).get("roc") for r in records):
        roc = _curve_plot(plt, records, labels, "roc", "fpr", "tpr", "ROC curve", "false positive rate",
                          "true positive rate", diagonal=True)
        pr = _curve_plot(plt, records, labels, "pr", "recall", "precision", "precision-recall curve", "recall",
                         "precision")
        sections.append(_section("Ranking (binary runs)", roc + pr))
    if any(r.get("curves", {}).get("reliability") for r in records):
        figures = _curve_plot(plt, records, labels, "reliability", "confidence", "accuracy", "reliability diagram",
                              "confidence of the predicted class", "accuracy", diagonal=True)
        if any(r.get("curves", {}).get("calibration") for r in records):
            figures += _curve_plot(plt, records, labels, "calibration", "predicted", "observed",
                                   "calibration of the positive class", "predicted probability",
                                   "observed frequency", diagonal=True)
        sections.append(_section(
            "Calibration", figures,
            note=("Left: mean confidence of the predicted class against its accuracy (ECE is the row-weighted "
                  "mean gap); right, for binary runs: mean predicted probability of the positive class against "
                  "how often it occurs. Ten equal-width bins; the dashed diagonal is perfect calibration.")))
    matrices = "".join(_confusion_html(r, i, labels[i]) for i, r in enumerate(records) if r.get("confusion_matrix"))
    if matrices:
        sections.append(_section("Confusion matrices", matrices, wide=False,
                                 note="Rows: true class; columns: predicted class; shading: share of the true "
                                      "class's rows."))
    sources = "".join(
        f"<li>{_swatch(i)}{html.escape(label)}: {html.escape(str(r.get('model', '')))} "
        f"({html.escape(str(r.get('estimator', '')))}) on {html.escape(str(r.get('data', '')))}</li>"
        for i, (label, r) in enumerate(zip(labels, records)))
    sections.append(f"<h2>Runs</h2><ul class=runs>{sources}</ul>")
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body><main>{''.join(sections)}</main></body></html>\n")


__all__ = ["HEADLINE_METRICS", "PALETTE", "render_html"]
