"""The ``distilkit`` Typer app: the root options and one module per command (or group of commands).

Commands import the library inside their body, so ``--help`` answers at once.
"""

import inspect
import warnings
from typing import Annotated

import typer

from distilkit.cli import catalog, distill, evaluate, fit, predict, report
from distilkit.cli.errors import (
    OneLineErrorsGroup,
    on_terminate,
    set_debug,
    show_warning,
)

app = typer.Typer(
    name="distilkit",
    cls=OneLineErrorsGroup,
    help="Classifiers for few classes, few labels, rare outcomes and imbalanced metrics.",
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


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
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show the traceback of an internal error (also DISTILKIT_DEBUG=1).")] = False,
):
    """Classifiers for few classes, few labels, rare outcomes and imbalanced metrics."""
    import signal

    set_debug(debug)
    warnings.showwarning = show_warning
    signal.signal(signal.SIGTERM, on_terminate)


def reflowed(text):
    """``text`` with each paragraph's hard line breaks joined: rich wraps lines to the terminal itself, and a
    docstring's breaks would cut sentences in the middle of a line."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in paragraph.splitlines()) for paragraph in paragraphs)


for module in (fit, distill, evaluate, predict, catalog, report):
    module.register(app)
for command in app.registered_commands:
    command.help = reflowed(command.help or inspect.getdoc(command.callback) or "")
