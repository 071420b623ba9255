"""The first step of a table model: a raw table's input columns, typed as they were at fit.

CSV type inference makes the same column numbers in one file and strings in another, and
a batch of a large file may hold a value no other batch has; so the typing happens inside
the fitted model, where every caller -- ``model.predict_proba(frame)``, batch scoring,
evaluation -- gets it.
"""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from distilkit.exceptions import DataError
from distilkit.features.roles import ColumnRole, model_columns
from distilkit.features.transformers import as_datetimes, columns_input_tags
from distilkit.sklearn_compat import _fit_context

__all__ = ["MAX_MAGNITUDE", "TableColumns", "typed_columns"]

#: Largest magnitude a numeric value may have: scaling squares it, and 1e154 squared overflows float64.
MAX_MAGNITUDE = 1e150


def _row_number(frame, position):
    """1-based data row of a batch row: batches carry their rows' positions in the whole table as index."""
    label = frame.index[position]
    return int(label) + 1 if isinstance(label, (int, np.integer)) else position + 1


def typed_columns(frame, roles):
    """The input columns of ``frame`` (its columns with an input role), with the types the featurizer expects.

    Numeric columns must hold numbers (missing values are fine, infinities are not),
    datetime columns datetimes or ISO 8601 strings (read as naive UTC datetimes);
    categorical and text columns are kept as they are (the featurizer turns them into
    strings). Columns the model does not use are dropped.

    Raises
    ------
    DataError
        If ``frame`` is not a DataFrame, a column the model uses is absent, or a numeric
        column holds text, infinity or a value whose square overflows.

    Examples
    --------
    >>> roles = [ColumnRole("x", "numeric", "object", "scaled"), ColumnRole("id", "identifier", "int64", "")]
    >>> typed_columns(pd.DataFrame({"id": [7, 8], "x": ["1.5", None]}), roles).dtypes.to_dict()
    {'x': dtype('float64')}
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"a table model reads a pandas DataFrame with named columns, not {type(frame).__name__}")
    columns = model_columns(roles)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"column {missing[0]!r} used by the model not found ({len(missing)} missing)")
    block = frame[columns].copy()
    for name in model_columns(roles, "numeric"):
        values = block[name]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_complex_dtype(values):
            numbers = pd.to_numeric(values, errors="coerce")
            bad = values.notna() & numbers.isna()
            if bad.any():
                position = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataError(f"numeric column {name!r} holds {values.iloc[position]!r} "
                                f"(row {_row_number(block, position)})")
            values = numbers
        values = values.astype(np.float64)
        numbers = values.to_numpy()
        if np.isinf(numbers).any():
            raise DataError(f"column {name!r} holds infinite values")
        too_large = np.abs(numbers) > MAX_MAGNITUDE
        if too_large.any():
            position = int(np.flatnonzero(too_large)[0])
            row = _row_number(block, position)
            raise DataError(f"column {name!r} holds {numbers[position]:g} (row {row}), beyond "
                            f"±{MAX_MAGNITUDE:g}: its square overflows, so it cannot be scaled")
        block[name] = values
    for name in model_columns(roles, "datetime"):
        values = block[name]
        parsed = as_datetimes(values)
        bad = values.notna().to_numpy() & parsed.isna().to_numpy()
        if bad.any():
            position = int(np.flatnonzero(bad)[0])
            raise DataError(f"datetime column {name!r} holds {values.iloc[position]!r} (row "
                            f"{_row_number(block, position)}), not an ISO 8601 date")
        block[name] = parsed.to_numpy()
    return block


class TableColumns(TransformerMixin, BaseEstimator):
    """A raw table's input columns, typed as at fit: the first step of a table model.

    Nothing is learned from the rows: the roles say which columns are read and how
    they are typed (see :func:`typed_columns`); ``fit`` checks the table has them.

    Parameters
    ----------
    roles : tuple of ColumnRole, default=()
        The roles of the training table's columns
        (:func:`~distilkit.features.roles.infer_roles`); only columns with an input role
        (numeric, categorical, text, datetime) are read.

    Attributes
    ----------
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        The input columns, in table order.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": ["1", "2"], "y": [0, 1]})
    >>> step = TableColumns((ColumnRole("x", "numeric", "object", "scaled"),)).fit(frame)
    >>> step.feature_names_in_.tolist(), step.transform(frame)["x"].tolist()
    (['x'], [1.0, 2.0])
    """

    _parameter_constraints: dict = {"roles": [tuple, list]}

    def __init__(self, roles=()):
        self.roles = roles

    def _check_roles(self):
        if not all(isinstance(role, ColumnRole) for role in self.roles):
            raise DataError("TableColumns: roles must be ColumnRole objects (distilkit.features.infer_roles)")
        columns = model_columns(self.roles)
        if not columns:
            raise DataError("TableColumns: no column has an input role (numeric, categorical, text or datetime)")
        return columns

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check ``X`` has every input column and record their names."""
        self.fit_transform(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit and type ``X`` in one pass (see :func:`typed_columns`)."""
        columns = self._check_roles()
        typed = typed_columns(X, self.roles)
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.n_features_in_ = len(columns)
        return typed

    def transform(self, X):
        """The typed input columns of ``X`` (see :func:`typed_columns`)."""
        check_is_fitted(self)
        return typed_columns(X, self.roles)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return self.feature_names_in_.copy()

    # Model files hold roles as plain dicts, never as objects of a class to trust.
    def __getstate__(self):
        state = dict(super().__getstate__())
        state["roles"] = [role.as_dict() for role in state.get("roles", ())]
        return state

    def __setstate__(self, state):
        state = dict(state)
        roles = state.get("roles", ())
        if not isinstance(roles, (list, tuple)):
            raise ValueError("TableColumns: the stored roles are not a list")
        state["roles"] = tuple(ColumnRole.from_dict(role) for role in roles)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        return columns_input_tags(super().__sklearn_tags__())
