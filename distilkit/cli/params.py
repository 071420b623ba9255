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


def _top_level_split(text):
    """Split at commas outside brackets and quotes: ``1,[2,3]`` -> ``["1", "[2,3]"]``."""
    parts, depth, quote, start = [], 0, None, 0
    for i, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def parse_grid(assignments):
    """``key=v1,v2`` strings as a parameter grid: each key with the list of values to try.

    Values split at top-level commas (a JSON list stays one value); the class order
    (``order=low,mid,high``) is one value, never a grid.

    Examples
    --------
    >>> parse_grid(["C=0.1,1,10", "solver=lbfgs", "priors=[0.3, 0.7]", "order=a,b"])
    {'C': [0.1, 1, 10], 'solver': ['lbfgs'], 'priors': [[0.3, 0.7]], 'classes': ['a,b']}
    """
    grid = {}
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        if not sep or not key.strip():
            raise DataError(f"parameter {assignment!r} is not of the form key=value")
        key = key.strip()
        pieces = [text] if key in PARAM_ALIASES else _top_level_split(text)
        if any(not piece.strip() for piece in pieces):
            raise DataError(f"parameter {assignment!r} has an empty value")
        if PARAM_ALIASES.get(key, key) in grid:
            raise DataError(f"parameter {key!r} is given twice; list its values once, comma-separated")
        grid[PARAM_ALIASES.get(key, key)] = [parse_param(f"{key}={piece}")[1] for piece in pieces]
    return grid
