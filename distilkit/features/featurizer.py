"""The featurizer: from a raw table to the matrix an estimator sees, as one scikit-learn Pipeline.

A table model is ``Pipeline([("table", TableColumns(roles)), ("features", ColumnTransformer),
("estimator", estimator)])``: the first step types the raw columns as they were at fit,
the second encodes them following their roles (:mod:`distilkit.features.roles`):

* numeric columns: median imputation (plus a missing-value indicator for columns that
  had gaps at fit) and standard scaling;
* string, boolean and categorical columns: one-hot encoding of at most
  ``max_categories`` categories (rarer ones grouped), missing values as a category of
  their own, and categories unseen at fit encoded as all zeros;
* text columns: TF-IDF of word 1-2-grams and character 2-5-grams, optionally reduced
  by truncated SVD;
* datetime columns: year, month, day, day of week, hour (where they have times) and the
  time as a number, then imputed and scaled as numeric columns are.

So a fitted model takes raw rows: ``model.predict_proba(frame)``.
"""

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from distilkit.features.roles import model_columns
from distilkit.features.table import TableColumns
from distilkit.features.transformers import (
    CategoryStrings,
    DatetimeFeatures,
    TextColumn,
)

__all__ = ["ESTIMATOR_STEP", "FEATURES_STEP", "TABLE_STEP", "estimator_params", "final_estimator",
           "make_featurizer", "make_model"]

#: The names of the steps of a table model (:func:`make_model`).
TABLE_STEP, FEATURES_STEP, ESTIMATOR_STEP = "table", "features", "estimator"


def make_featurizer(roles, *, sparse_output=False, text_svd=100, max_categories=30, random_state=None):
    """The ColumnTransformer that turns a raw table into features, following ``roles``.

    Parameters
    ----------
    roles : list of ColumnRole
        From :func:`infer_roles`.
    sparse_output : bool, default=False
        Keep one-hot and TF-IDF features sparse (for estimators that accept sparse input).
    text_svd : int or None, default=100
        SVD dimensions of each text column when the output is dense; None keeps the
        TF-IDF columns (dense output then holds every n-gram).
    max_categories : int, default=30
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    ColumnTransformer
    """
    transformers = []
    numeric = model_columns(roles, "numeric")
    if numeric:
        transformers.append(("numeric", make_pipeline(SimpleImputer(strategy="median", add_indicator=True),
                                                      StandardScaler()), numeric))
    categorical = model_columns(roles, "categorical")
    if categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", max_categories=max_categories, sparse_output=sparse_output)
        transformers.append(("categorical", make_pipeline(CategoryStrings(), encoder), categorical))
    dates = model_columns(roles, "datetime")
    if dates:
        transformers.append(("datetime", make_pipeline(DatetimeFeatures(), SimpleImputer(
            strategy="median", add_indicator=True, keep_empty_features=True), StandardScaler()), dates))
    # Numbered, not named after the column: a step name may not contain "__" and a column may.
    for number, column in enumerate(model_columns(roles, "text")):
        svd = None if sparse_output else text_svd
        transformers.append((f"text{number}", TextColumn(svd_components=svd, random_state=random_state), column))
    return ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.3 if sparse_output else 0.0)


def make_model(estimator, roles, *, text_svd=100, max_categories=30, sparse_output=None, random_state=None):
    """The table model for ``roles``: ``Pipeline([("table", ...), ("features", ...), ("estimator", estimator)])``.

    The featurizer's output is sparse only when the estimator accepts sparse input (or when
    ``sparse_output`` says so).

    Parameters
    ----------
    estimator : classifier
    roles : list of ColumnRole
        From :func:`~distilkit.features.roles.infer_roles`.
    text_svd : int or None, default=100
        See :func:`make_featurizer`.
    max_categories : int, default=30
    sparse_output : bool or None, default=None
        Keep one-hot and TF-IDF features sparse (then text columns are not reduced by SVD);
        None: as the estimator's tags say.
    random_state : int, RandomState instance or None, default=None
        Seeds the text columns' SVD.

    Returns
    -------
    Pipeline

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from distilkit.features import infer_roles
    >>> frame = pd.DataFrame({"x": [0.0, 1.0, None, 3.0], "c": ["a", "b", "a", None], "y": [0, 1, 0, 1]})
    >>> model = make_model(LogisticRegression(), infer_roles(frame, target="y")).fit(frame, frame["y"])
    >>> model.predict(pd.DataFrame({"x": [2.5], "c": ["unseen"]})).tolist()
    [1]
    """
    from sklearn.utils import get_tags

    if sparse_output is None:
        sparse_output = get_tags(estimator).input_tags.sparse
    featurizer = make_featurizer(roles, sparse_output=sparse_output, text_svd=text_svd,
                                 max_categories=max_categories, random_state=random_state)
    return Pipeline([(TABLE_STEP, TableColumns(tuple(roles))), (FEATURES_STEP, featurizer),
                     (ESTIMATOR_STEP, estimator)])


def estimator_params(params):
    """Parameters of a table model's estimator, as ``Pipeline`` routes them (``estimator__<name>``).

    Examples
    --------
    >>> estimator_params({"C": 0.1})
    {'estimator__C': 0.1}
    """
    return {f"{ESTIMATOR_STEP}__{key}": value for key, value in params.items()}


def final_estimator(model):
    """The last step of a Pipeline (the model itself otherwise)."""
    return model[-1] if isinstance(model, Pipeline) else model
