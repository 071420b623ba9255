"""``distilkit predict``: raw rows scored in batches, in this process or on Dask."""

from typing import Annotated, Optional

import typer
from rich.markup import escape

from distilkit.cli.errors import command_errors
from distilkit.cli.options import Dask, ModelFile, Quiet, Threshold, shown_progress
from distilkit.cli.render import console


@command_errors
def predict(
    model: ModelFile,
    data: Annotated[str, typer.Argument(help="Raw table to score: .csv, .parquet, or '-' for CSV on stdin.")],
    output: Annotated[
        str, typer.Option("--output", "-o", help="Output .csv/.parquet, or '-' for CSV on stdout.")
    ] = "-",
    proba: Annotated[bool, typer.Option("--proba", help="Add a proba_<class> column per class.")] = False,
    threshold: Threshold = None,
    pos_label: Annotated[Optional[str], typer.Option(
        help="Binary models: the positive class (default: the model's own, else the second of the sorted "
        "labels).")] = None,
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
    from distilkit.workflows import predict_table

    with shown_progress(quiet):
        result = predict_table(model, data, output=output, proba=proba, threshold=threshold, pos_label=pos_label,
                               id_columns=id_column or (), batch_size=batch_size, dask=dask)
    if not quiet and output != "-":
        folder = "/" if dask is not None else ""
        console.print(f"wrote {result.n_rows:,} predictions to {escape(output)}{folder}", highlight=False)


def register(app):
    app.command(epilog="Example: distilkit predict model.dkm big.parquet --proba --id-column id -o scores.parquet"
                )(predict)
