"""Errors that describe a problem with the user's input, worded for a one-line message."""


def first_line(message):
    """The first line of an exception or warning message (its type name if empty)."""
    lines = str(message).strip().splitlines()
    return lines[0] if lines else type(message).__name__


class DataError(ValueError):
    """A data file or column cannot be used (missing, non-numeric, NaN, wrong shape...)."""


class ModelFileError(ValueError):
    """A model file is missing, corrupt, foreign, or would need to execute code to load."""
