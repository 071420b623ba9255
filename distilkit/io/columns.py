"""Naming columns by patterns, and reading label and numeric columns with the checks they need."""

import fnmatch

import numpy as np
import pandas as pd

from distilkit.exceptions import DataError


def match_columns(available, patterns, what="feature"):
    """The columns named by ``patterns`` (exact names or globs), in pattern order, each once.

    An exact name wins over its reading as a glob: ``"x[1]"`` is that column, not the
    pattern that matches ``"x1"``.

    Examples
    --------
    >>> match_columns(["id", "emb_0", "emb_1", "x[1]"], ["emb_*", "x[1]"])
    ['emb_0', 'emb_1', 'x[1]']
    """
    chosen = []
    for pattern in patterns:
        matches = [pattern] if pattern in available else [c for c in available if fnmatch.fnmatchcase(c, pattern)]
        if not matches:
            raise DataError(f"{what} column {pattern!r} not found (columns: {preview(available)})")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def feature_matrix(frame, features):
    """The feature columns as a float DataFrame, refusing non-numeric values, NaN and infinity."""
    block = frame[features]
    for name, dtype in block.dtypes.items():
        if not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)):
            raise DataError(f"feature column {name!r} is not numeric (dtype {dtype})")
    # Floats keep their width (float32 embeddings stay float32): batch scoring memory
    # is dominated by copies of the feature block.
    values = block if all(pd.api.types.is_float_dtype(d) for d in block.dtypes) else block.astype(np.float64)
    finite = np.isfinite(values.to_numpy())
    if not finite.all():
        position = int(np.argmax(~finite.all(axis=0)))
        count = int((~finite[:, position]).sum())
        raise DataError(f"feature column {features[position]!r} contains NaN or infinite values ({count} rows)")
    return values


def target_vector(frame, target, min_classes=1):
    """The label column as a numpy array, refusing missing labels and too few classes."""
    y = frame[target]
    missing = int(y.isna().sum())
    if missing:
        raise DataError(f"target column {target!r} has {missing} missing values")
    labels = y.unique()
    if len(labels) < min_classes:
        raise DataError(f"target column {target!r} has only one class ({labels[0]!r}); need at least {min_classes}")
    return y.to_numpy()


def labels_like_target(labels, y):
    """A class order typed on the command line, as the values it names in the target column.

    ``labels`` is a comma-separated string (``low,mid,high``) or a list.

    Examples
    --------
    >>> labels_like_target("1, 2,3", np.array([3, 1, 2, 2]))
    [1, 2, 3]
    >>> labels_like_target(["b", "a"], np.array(["a", "b"]))
    ['b', 'a']
    """
    if isinstance(labels, str):
        labels = [label.strip() for label in labels.split(",")]
    by_text = {str(value): value for value in np.unique(y).tolist()}
    unknown = [str(label) for label in labels if str(label) not in by_text]
    if unknown:
        raise DataError(f"class order names {unknown[0]!r}, which is not a label of the target column "
                        f"(labels: {preview(list(by_text))})")
    return [by_text[str(label)] for label in labels]


def preview(names, limit=8):
    """The first column names, and how many there are in all."""
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")
