"""How the CLI ends: bad input is one ``error:`` line and exit 2; anything else is a bug, exit 1.

Bad input is what the user can fix: distilkit's :class:`~distilkit.exceptions.DataError`
and :class:`~distilkit.exceptions.ModelFileError`, scikit-learn's parameter validation,
a path that cannot be read or written, and Click's usage errors. Every other exception
is an internal error: one line naming it, and the traceback with ``distilkit --debug``
(or ``DISTILKIT_DEBUG=1``).
"""

import functools
import os
import signal
import sys
import traceback

import typer
from rich.markup import escape
from typer.core import TyperGroup

from distilkit.cli.render import console
from distilkit.exceptions import DataError, ModelFileError, first_line

#: Exit code for bad input of any kind (Click uses 2 for usage errors too).
EXIT_BAD_INPUT = 2
#: Exit code for a bug.
EXIT_INTERNAL_ERROR = 1
#: Path problems the user can fix (a missing file, a folder without write permission...).
PATH_ERRORS = (FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError, NotADirectoryError)
#: ``--debug`` / ``DISTILKIT_DEBUG=1``: internal errors show their traceback.
_debug = [False]
#: The signal that interrupted the command (SIGINT unless SIGTERM arrived): exit code 128 + it.
_received_signal = [signal.SIGINT]


def set_debug(enabled):
    _debug[0] = bool(enabled) or os.environ.get("DISTILKIT_DEBUG", "") not in ("", "0")


def bad_input_types():
    """The exception types that are the user's input, not a bug."""
    # Imported here: scikit-learn is not needed to print --help.
    from distilkit.sklearn_compat import InvalidParameterError

    return (DataError, ModelFileError, InvalidParameterError, *PATH_ERRORS)


def on_terminate(signum, frame):
    """SIGTERM handler: unwind like Ctrl-C, so temporary output files are removed on the way out."""
    _received_signal[0] = signum
    raise KeyboardInterrupt("terminated")


def _error_line(message):
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def fail(message):
    """Print a one-line error and exit with code 2."""
    _error_line(str(message))
    raise typer.Exit(EXIT_BAD_INPUT)


def command_errors(command):
    """End a command on an exception: bad input -> one line, exit 2; a bug -> one line, exit 1 (see the module)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except BrokenPipeError:
            # The reader of our stdout went away (e.g. `| head`): stop quietly like Unix tools.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except KeyboardInterrupt as exc:
            # Ctrl-C, or SIGTERM through on_terminate: outputs are written through temporary
            # files, which the unwinding has removed, so nothing half-done is left behind.
            detail = f": {first_line(exc)}" if str(exc) else ""
            _error_line(f"interrupted{detail}")
            raise typer.Exit(128 + _received_signal[0]) from None
        except Exception as exc:
            if _debug[0]:
                sys.stderr.write(traceback.format_exc())
            if isinstance(exc, bad_input_types()):
                fail(first_line(exc))
            _error_line(f"internal error ({type(exc).__name__}: {first_line(exc)}); "
                        + ("the traceback is above" if _debug[0] else "rerun with --debug for the traceback"))
            raise typer.Exit(EXIT_INTERNAL_ERROR) from None

    return wrapper


class OneLineErrorsGroup(TyperGroup):
    """The command group, with Click's usage errors as one ``error:`` line and exit code 2.

    Click (through Typer and rich) prints usage errors as a multi-line box; scripts and
    logs want the same single line as every other bad input.
    """

    def main(self, *args, standalone_mode=True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except typer.TyperException as exc:  # Typer's (vendored) Click usage errors
            context = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError":  # a bare command: its help, as Click shows it
                console.print(exc.format_message(), highlight=False, markup=False)
                sys.exit(EXIT_BAD_INPUT)
            where = f" ({context.command_path})" if context is not None else ""
            _error_line(f"{first_line(exc.format_message())}{where}")
            sys.exit(getattr(exc, "exit_code", EXIT_BAD_INPUT))
        except typer.Abort:
            code = 128 + signal.SIGINT
        code = code if isinstance(code, int) else 0
        if code in (128 + signal.SIGINT, 128 + signal.SIGTERM):
            _exit_interrupted(code)
        sys.exit(code)


def _exit_interrupted(code):
    """Exit with ``code`` after an interruption, which the unwinding has already cleaned up after.

    A KeyboardInterrupt that passed through code the interpreter ran with ``PyRun_String``
    (torch's import does, through pybind11) leaves a flag that makes ``python -m`` kill
    itself with SIGINT at exit even though the interruption was handled; ``os._exit``
    keeps the documented exit code.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def show_warning(message, category, filename, lineno, file=None, line=None):
    """``warnings.showwarning`` for the CLI: one line on stderr, no source echo."""
    console.print(f"[yellow]warning:[/] {category.__name__}: {escape(first_line(message))}", highlight=False,
                  soft_wrap=True)
