"""Errors that describe a problem with the user's input, worded for a one-line message."""

import contextlib


def first_line(message):
    """The first line of an exception or warning message (its type name if empty)."""
    lines = str(message).strip().splitlines()
    return lines[0] if lines else type(message).__name__


class DataError(ValueError):
    """A data file or column cannot be used (missing, non-numeric, NaN, wrong shape...)."""


class ModelFileError(ValueError):
    """A model file is missing, corrupt, foreign, or would need to execute code to load."""


@contextlib.contextmanager
def located(where):
    """Within the block, a :class:`DataError` names ``where`` (a file, a partition) first.

    Models raise about their input without knowing where it came from; the caller
    that read it does.

    Examples
    --------
    >>> try:
    ...     with located("scores.csv"):
    ...         raise DataError("column 'x' holds 'abc'")
    ... except DataError as exc:
    ...     print(exc)
    scores.csv: column 'x' holds 'abc'
    """
    try:
        yield
    except DataError as exc:
        raise type(exc)(f"{where}: {exc}") from exc
