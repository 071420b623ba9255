"""``distilkit report``: evaluation runs side by side, as a table and an HTML page."""

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from distilkit.cli.errors import command_errors
from distilkit.cli.options import Quiet, check_outputs, write_json
from distilkit.cli.render import comparison_table, console


@command_errors
def report(
    metrics: Annotated[list[Path], typer.Argument(help="Metrics files written by 'distilkit evaluate --json'.")],
    html: Annotated[
        Optional[Path], typer.Option("--html", help="Also write an HTML page with the table and plots.")
    ] = None,
    json_out: Annotated[
        Optional[str], typer.Option("--json", help="Write the comparison as JSON to this file ('-' for stdout).")
    ] = None,
    quiet: Quiet = False,
):
    """Compare evaluation results side by side (best value per metric highlighted)."""
    from distilkit.evaluation import LOWER_IS_BETTER
    from distilkit.io import write_text
    from distilkit.workflows import compare_runs

    check_outputs(json_out, html, inputs=metrics)
    comparison = compare_runs(metrics)
    if not quiet:
        console.print(comparison_table(comparison.labels, comparison.rows, LOWER_IS_BETTER))
    if len(comparison.groups) > 1:
        console.print("[yellow]warning:[/] these runs were evaluated on different data: " + escape("; ".join(
            f"{', '.join(comparison.labels[i] for i in members)} on {description}"
            for description, members in comparison.groups)), highlight=False, soft_wrap=True)
    if json_out is not None:
        write_json(comparison.as_dict(), json_out)
    if html is not None:
        write_text(comparison.html(), html)
        if not quiet:
            console.print(f"wrote {escape(str(html))}", highlight=False)


def register(app):
    app.command(epilog="Example: distilkit report head.json logreg.json --html report.html")(report)
