"""Column roles: what each column of a training table is, decided once from the table.

Rules close to skrub's ``TableVectorizer``:

* numeric columns are imputed and scaled (integers beyond float64's exact range, 2**53,
  are read as the nearest float64, and the roles say so);
* datetime columns (datetime64, or strings that are all ISO 8601 dates) become year,
  month, day, day of week, hour and the time as a number, imputed and scaled;
* string, boolean and categorical columns are one-hot encoded (at most
  ``max_categories`` categories, rarer ones grouped);
* text columns (named, or string columns of unique values containing spaces) are
  TF-IDF encoded;
* columns that identify rows -- unique per row and named like an id, integer row
  numbers, or single-token strings such as uuids -- are excluded, as are columns the
  user excludes, columns with no values and nested columns (Parquet lists and structs),
  which the roles name as left out.

A role is a :class:`ColumnRole` everywhere in distilkit; only model files hold them as
dicts (:meth:`ColumnRole.as_dict`, :meth:`ColumnRole.from_dict`).
"""

import re
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from distilkit.exceptions import DataError
from distilkit.features.transformers import as_datetimes
from distilkit.io.columns import match_columns, preview

__all__ = ["ColumnRole", "INPUT_ROLES", "ROLES", "STRING_ROLES", "infer_roles", "model_columns", "summarize_roles"]

#: How text columns are encoded (see :func:`make_featurizer`).
TEXT_ENCODING = "TF-IDF words 1-2 + chars 2-5 (SVD 100 unless the estimator takes sparse input)"
#: Roles whose columns the featurizer reads.
INPUT_ROLES = ("numeric", "categorical", "text", "datetime")
#: Input roles whose columns are read from a file as strings whatever they look like (CSV type inference
#: could make "007" a number in one batch and a string in another).
STRING_ROLES = ("categorical", "text", "datetime")
#: Every role a column can have.
ROLES = (*INPUT_ROLES, "identifier", "excluded", "empty", "target")
#: The fields of a role, as a model file stores them.
ROLE_FIELDS = ("column", "role", "dtype", "encoding")
#: An ISO 8601 date, optionally with a time and an offset (what a datetime column of strings holds).
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?")
#: Integers beyond this lose digits as float64.
_EXACT_INTEGERS = 2**53
_ID_NAME = re.compile(r"(^|[_\W])(id|uuid|guid)$|^(index|rownames|row_?(id|num|number)|unnamed: ?0)$|[a-z0-9]Id$",
                      re.IGNORECASE)


@dataclass(frozen=True)
class ColumnRole:
    """How the featurizer treats one column of the training table.

    Attributes
    ----------
    column : str
    role : {"numeric", "categorical", "text", "identifier", "excluded", "empty", "target"}
    dtype : str
        The column's dtype in the training table.
    encoding : str
        What the featurizer does with it, in words.
    """

    column: str
    role: str
    dtype: str
    encoding: str

    def as_dict(self):
        """The role as the plain dict a model file stores."""
        return asdict(self)

    @classmethod
    def from_dict(cls, fields):
        """The role a model file stored (see :meth:`as_dict`).

        Raises
        ------
        ValueError
            If ``fields`` is not the four strings of a role, or names an unknown role.
        """
        if not (isinstance(fields, dict) and set(fields) == set(ROLE_FIELDS)
                and all(isinstance(fields[name], str) for name in ROLE_FIELDS)):
            raise ValueError(f"a role is not {{{', '.join(ROLE_FIELDS)}}} strings: {fields!r:.80}")
        if fields["role"] not in ROLES:
            raise ValueError(f"unknown column role {fields['role']!r}")
        return cls(**fields)


def _identifies_rows(name, values):
    n = len(values)
    if n < 2 or values.isna().any() or values.nunique() < n:
        return False
    if _ID_NAME.search(name):
        return True
    if pd.api.types.is_integer_dtype(values):
        return int(values.max()) - int(values.min()) + 1 == n
    if _is_stringlike(values):
        return not values.astype(str).str.contains(r"\s").any()
    return False


def _is_stringlike(values):
    return pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values) or isinstance(
        values.dtype, pd.CategoricalDtype)


def _nested_kind(values):
    """``"list"`` or ``"struct"`` for a column of lists or mappings (nested Parquet), else None."""
    if not pd.api.types.is_object_dtype(values):
        return None
    for value in values.dropna().head(1000):
        if isinstance(value, dict):
            return "struct"
        if isinstance(value, (list, tuple, np.ndarray)):
            return "list"
    return None


def _datetimes(values):
    """The present values of a datetime column (datetime64, or strings that are all ISO 8601 dates) as
    datetimes, else None."""
    present = values.dropna()
    if pd.api.types.is_datetime64_any_dtype(values):
        return as_datetimes(present)
    if not _is_stringlike(values) or isinstance(values.dtype, pd.CategoricalDtype) or present.empty:
        return None
    if not all(isinstance(v, str) and _ISO_DATE.fullmatch(v) for v in present):
        return None
    parsed = as_datetimes(present)
    return parsed if parsed.notna().all() else None


def _large_integers(values):
    """Whether integers in ``values`` lose digits as float64 (Python ints beyond int64 arrive as objects)."""
    if pd.api.types.is_integer_dtype(values):
        present = values.dropna()
        return not present.empty and int(present.abs().max()) > _EXACT_INTEGERS
    if pd.api.types.is_object_dtype(values):
        present = values.dropna()
        return not present.empty and all(isinstance(v, int) and not isinstance(v, bool) for v in present)
    return False


def _datetime_encoding(values, dates):
    with_hour = ", hour" if (dates != dates.dt.normalize()).any() else ""
    gaps = "median imputation + missing indicator" if values.isna().any() else "median imputation"
    return f"year, month, day, day of week{with_hour}, time as a number; {gaps}, standardised"


def _is_free_text(values):
    present = values.dropna().astype(str)
    return len(present) > 1 and present.nunique() == len(present) and present.str.contains(r"\s").mean() > 0.5


def infer_roles(frame, *, target=None, features=None, text=(), exclude=(), max_categories=30):
    """Decide the role of every column of a training table.

    Parameters
    ----------
    frame : pandas.DataFrame
        The training table.
    target : str, default=None
        The label column (role ``"target"``, never a feature).
    features : list of str, default=None
        Names or globs of the columns to use; default: every column.
    text : list of str, default=()
        Columns to encode as text.
    exclude : list of str, default=()
        Names or globs of columns to leave out.
    max_categories : int, default=30
        One-hot columns per categorical column at most (rarer categories grouped).

    Returns
    -------
    roles : list of ColumnRole
        One per column of ``frame``, in table order.

    Examples
    --------
    >>> frame = pd.DataFrame({"id": [1, 2, 3], "age": [30.0, None, 41.0], "city": ["a", "b", "a"],
    ...                       "y": [0, 1, 0]})
    >>> [(r.column, r.role) for r in infer_roles(frame, target="y")]
    [('id', 'identifier'), ('age', 'numeric'), ('city', 'categorical'), ('y', 'target')]
    """
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns):
        duplicate = next(c for c in columns if columns.count(c) > 1)
        raise DataError(f"column {duplicate!r} appears more than once in the table")
    if target is not None and target not in columns:
        raise DataError(f"target column {target!r} not found (columns: {preview(columns)})")
    text = match_columns(columns, list(text), "text")
    excluded = set(match_columns(columns, list(exclude), "excluded"))
    selected = set(columns) if features is None else set(match_columns(columns, list(features), "feature"))
    for name in text:
        if name == target:
            raise DataError(f"column {name!r} cannot be both the target and a text column")
    roles = []
    for name, values in zip(columns, (frame.iloc[:, j] for j in range(frame.shape[1]))):
        dtype = str(values.dtype)
        if name == target:
            roles.append(ColumnRole(name, "target", dtype, "the label"))
        elif name in excluded or (name not in selected and name not in text):
            roles.append(ColumnRole(name, "excluded", dtype, "excluded" if name in excluded else "not selected"))
        elif values.isna().all():
            roles.append(ColumnRole(name, "empty", dtype, "no values: left out"))
        elif nested := _nested_kind(values):
            if name in text:
                raise DataError(f"text column {name!r} holds {nested}s (nested values), not texts")
            roles.append(ColumnRole(name, "excluded", dtype, f"nested values ({nested}): left out; expand them into "
                                    "one column per value to use them"))
        elif name in text:
            roles.append(ColumnRole(name, "text", dtype, TEXT_ENCODING))
        elif (dates := _datetimes(values)) is not None:
            roles.append(ColumnRole(name, "datetime", dtype, _datetime_encoding(values, dates)))
        elif features is None and _identifies_rows(name, values):
            roles.append(ColumnRole(name, "identifier", dtype, "unique per row: left out"))
        elif _large_integers(values):
            gaps = "median imputation + missing indicator" if values.isna().any() else "median imputation"
            roles.append(ColumnRole(name, "numeric", dtype, f"integers beyond 2**53, read as the nearest float64 "
                                    f"(digits lost); {gaps}, standardised"))
        elif pd.api.types.is_bool_dtype(values) or (_is_stringlike(values) and not _is_free_text(values)):
            n = values.nunique(dropna=False)
            encoding = f"one-hot ({n} categories)" if n <= max_categories else (
                f"one-hot ({max_categories - 1} most frequent of {n}, rest grouped)")
            roles.append(ColumnRole(name, "categorical", dtype, encoding))
        elif _is_stringlike(values):
            roles.append(ColumnRole(name, "text", dtype, f"{TEXT_ENCODING} (detected)"))
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_complex_dtype(values):
            gaps = "median imputation + missing indicator" if values.isna().any() else "median imputation"
            roles.append(ColumnRole(name, "numeric", dtype, f"{gaps}, standardised"))
        else:
            roles.append(ColumnRole(name, "excluded", dtype, f"unsupported dtype {dtype}: left out"))
    if not any(r.role in INPUT_ROLES for r in roles):
        raise DataError("no feature columns left (every column is the target, excluded, empty or an identifier)")
    return roles


def model_columns(roles, role=INPUT_ROLES):
    """The columns with the given role(s), in table order."""
    wanted = {role} if isinstance(role, str) else set(role)
    return [r.column for r in roles if r.role in wanted]


def summarize_roles(roles, group_above=8):
    """Roles as table rows, runs of more than ``group_above`` alike columns collapsed.

    Examples
    --------
    >>> roles = [ColumnRole(f"emb_{j}", "numeric", "float32", "standardised") for j in range(10)]
    >>> summarize_roles(roles)
    [('emb_0 … emb_9 (10 columns)', 'numeric', 'standardised')]
    """
    rows, run = [], []

    def flush():
        if len(run) > group_above:
            rows.append((f"{run[0].column} … {run[-1].column} ({len(run)} columns)", run[0].role, run[0].encoding))
        else:
            rows.extend((r.column, r.role, r.encoding) for r in run)
        run.clear()

    for role in roles:
        if run and (role.role, role.encoding) != (run[0].role, run[0].encoding):
            flush()
        run.append(role)
    flush()
    return rows
