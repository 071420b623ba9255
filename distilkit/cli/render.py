"""Rich rendering for the CLI: everything goes to stderr; stdout is kept for data."""

import contextlib

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

console = Console(stderr=True)
if not console.is_terminal:
    # Logs and CI captures have no width; 80 columns would squeeze comparison tables.
    console.width = 160

# Every string below may hold user text (paths, column names, labels): rich would read
# "[/]" in it as markup, so it is escaped.

def key_value_table(title, rows):
    table = Table(title=escape(title), show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        table.add_row(escape(key), escape(value))
    return table


def text_table(title, columns, rows):
    """A table of text cells, the first column bold."""
    table = Table(title=escape(title), title_justify="left")
    for i, name in enumerate(columns):
        table.add_column(name, style="bold" if i == 0 else None, overflow="fold")
    for row in rows:
        table.add_row(*map(escape, row))
    return table


def roles_table(title, rows):
    """Column -> role -> encoding, as decided by the featurizer."""
    table = Table(title=escape(title), title_justify="left")
    for name in ("column", "role", "encoding"):
        table.add_column(name, style="bold" if name == "column" else None)
    for row in rows:
        table.add_row(*map(escape, row))
    return table


def candidates_table(title, rows, chosen):
    """Cross-validated candidates: name, mean and sd of the score, the chosen one marked."""
    table = Table(title=escape(title), title_justify="left")
    table.add_column("candidate", style="bold")
    for name in ("mean", "sd", ""):
        table.add_column(name, justify="right")
    for name, mean, sd in rows:
        table.add_row(escape(name), f"{mean:.4f}", f"{sd:.4f}", "chosen" if name == chosen else "")
    return table


def cv_table(title, searched, rows, best):
    """One row per cross-validated setting: its searched values, mean ± sd, rank; the chosen one marked."""
    table = Table(title=escape(title), title_justify="left")
    for name in searched:
        table.add_column(escape(name), style="bold")
    for name in ("mean", "sd", "rank", ""):
        table.add_column(name, justify="right")
    for i, row in enumerate(rows):
        cells = [escape(repr(row["params"][name])) for name in searched]
        table.add_row(*cells, f"{row['mean']:.4f}", f"{row['std']:.4f}", str(row["rank"]),
                      "chosen" if i == best else "", style="bold green" if i == best else None)
    return table


def metrics_table(title, metrics):
    table = Table(title=escape(title), title_justify="left")
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    for name, value in metrics.items():
        table.add_row(escape(name), f"{value:.4f}")
    return table


def per_class_table(details):
    """Precision, recall, F1 and support per class, the positive class of a binary model marked."""
    positive = details["pos_label"]
    table = Table(title="per class", title_justify="left")
    table.add_column("class", style="bold")
    for name in ("precision", "recall", "f1", "support"):
        table.add_column(name, justify="right")
    for label, row in details["per_class"].items():
        mark = " (positive)" if positive is not None and label == str(positive) else ""
        table.add_row(escape(label + mark), *(f"{row[k]:.4f}" for k in ("precision", "recall", "f1")),
                      f"{row['support']:,}")
    rule = details["decision"]
    if rule["threshold"] is not None:
        table.caption = escape(f"predicted {rule['pos_label']} where its probability ≥ {rule['threshold']:.4g}")
        table.caption_justify = "left"
    return table


def confusion_table(confusion):
    """The confusion matrix: a row per true class, a column per predicted class."""
    labels = [escape(str(label)) for label in confusion["labels"]]
    table = Table(title="confusion matrix", title_justify="left")
    table.add_column("true ↓  predicted →", style="bold")
    for label in labels:
        table.add_column(label, justify="right")
    for label, counts in zip(labels, confusion["counts"]):
        table.add_row(label, *(f"{n:,}" for n in counts))
    return table


def comparison_table(labels, rows, lower_is_better):
    from distilkit.report.records import format_value

    table = Table(caption="best value per metric in green (ties alike); ↓ lower is better", caption_justify="left")
    table.add_column("metric", style="bold")
    for label in labels:
        table.add_column(escape(label), justify="right")
    for metric, values, best in rows:
        cells = []
        for i, value in enumerate(values):
            text = format_value(value)
            cells.append(f"[bold green]{text}[/]" if i in best else text)
        name = metric + (" ↓" if metric in lower_is_better else "")
        table.add_row(escape(name), *cells)
    return table


@contextlib.contextmanager
def progress(description, total=None, quiet=False):
    """A rich progress bar on stderr (hidden when stderr is not a terminal or quiet).

    Yields ``update``: ``update(n)`` advances by ``n``; ``update(done, total, what)``
    (the library's progress reports) sets the position and total.
    """
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True, disable=quiet or not console.is_terminal) as bar:
        description = escape(description)
        task = bar.add_task(description, total=total)

        def update(n, total=None, what=None):
            if total is None:
                bar.advance(task, n)
            else:
                bar.update(task, completed=n, total=total, description=f"{description}: {what}")

        yield update
