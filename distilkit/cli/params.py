"""Hyperparameters typed on the command line as ``-p key=value``."""

import json

from distilkit.exceptions import DataError

#: Command-line names of parameters: ``-p order=low,mid,high`` sets ``classes``.
PARAM_ALIASES = {"order": "classes"}


def parse_param(assignment):
    """Parse ``key=value`` from the command line; values are JSON literals, else strings.

    Examples
    --------
    >>> parse_param("var_smoothing=1e-3")
    ('var_smoothing', 0.001)
    >>> parse_param("scaler=minmax")
    ('scaler', 'minmax')
    >>> parse_param("priors=[0.3, 0.7]")
    ('priors', [0.3, 0.7])
    """
    key, sep, text = assignment.partition("=")
    if not sep or not key.strip():
        raise DataError(f"parameter {assignment!r} is not of the form key=value")
    text = text.strip()
    python_literals = {"None": None, "True": True, "False": False}
    if text in python_literals:
        return key.strip(), python_literals[text]
    try:
        return key.strip(), json.loads(text)
    except json.JSONDecodeError:
        return key.strip(), text


def parse_params(assignments):
    """``key=value`` strings as a parameter dict, with command-line aliases resolved.

    Examples
    --------
    >>> parse_params(["order=a,b", "lr=0.1"])
    {'classes': 'a,b', 'lr': 0.1}
    """
    params = {}
    for assignment in assignments:
        key, value = parse_param(assignment)
        params[PARAM_ALIASES.get(key, key)] = value
    return params
