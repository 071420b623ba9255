"""Option types shared by several commands, and running a library call with the CLI's progress bars."""

import contextlib
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from distilkit.cli.render import console, progress

Target = Annotated[str, typer.Option("--target", "-t", help="Name of the label column.")]
Features = Annotated[
    Optional[str],
    typer.Option("--features", "-f", help="Feature columns: comma-separated names or globs such as 'emb_*'."),
]
TrainingData = Annotated[str, typer.Argument(help="Training table: .csv, .parquet, or '-' for CSV on stdin.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No tables or progress bars on stderr.")]
ModelFile = Annotated[Path, typer.Argument(help="Model file written by 'distilkit fit'.")]
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
Dask = Annotated[
    Optional[str],
    typer.Option("--dask", help="Run on Dask: 'local' starts a cluster of worker processes on this machine, "
                 "or give a scheduler address such as tcp://scheduler:8786 (needs the dask extra)."),
]
TableEstimator = Annotated[str, typer.Argument(
    help="An estimator trained from a table: 'distilkit list' names them (nbhead, logreg, presto, anyloss...); "
    "'distilkit params NAME' lists a model's parameters.")]
JsonFile = Annotated[Optional[str], typer.Option("--json", help="Also write the result as JSON to this file "
                                                 "('-' for stdout).")]


@contextlib.contextmanager
def shown_progress(quiet):
    """Within the block, the library's phases appear as progress bars on stderr (unless quiet)."""
    from distilkit.progress import listen_to_phases

    if quiet:
        yield
        return
    with listen_to_phases(progress):
        yield


def check_outputs(*paths, inputs=()):
    """Refuse output paths that cannot be written, or collide, before any work is done."""
    from distilkit.io import check_distinct_outputs, check_writable

    check_distinct_outputs(paths, inputs)
    for path in paths:
        if path is not None:
            check_writable(path)


def write_json(document, destination):
    """A JSON document to a file (atomically) or, for ``"-"``, to stdout."""
    from distilkit.io import write_text

    text = json.dumps(document, indent=2)
    if destination == "-":
        typer.echo(text)
        return
    write_text(text + "\n", destination)


def show_roles(roles, title):
    """The column roles table, and a notice per column left out because it identifies rows."""
    from rich.markup import escape

    from distilkit.cli.render import roles_table
    from distilkit.features import summarize_roles

    console.print(roles_table(title, summarize_roles(roles)))
    for role in roles:
        if role.role == "identifier":
            console.print(f"notice: column {escape(repr(role.column))} identifies rows (unique per row) "
                          "and is left out; --exclude more, or --features to choose", highlight=False)


