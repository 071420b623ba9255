"""Errors that describe a problem with the user's input, worded for a one-line message."""


class DataError(ValueError):
    """A data file or column cannot be used (missing, non-numeric, NaN, wrong shape...)."""


class ModelFileError(ValueError):
    """A model file is missing, corrupt, foreign, or would need to execute code to load."""
