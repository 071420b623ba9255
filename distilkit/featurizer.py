"""Column roles and the featurizer: from a raw table to the matrix an estimator sees.

Roles are decided once, from the training table, by rules close to skrub's
``TableVectorizer``:

* numeric columns: median imputation (plus a missing-value indicator for columns that
  had gaps at fit) and standard scaling;
* string, boolean and categorical columns: one-hot encoding of at most
  ``max_categories`` categories (rarer ones grouped), missing values as a category of
  their own, and categories unseen at fit encoded as all zeros;
* text columns (named, or string columns of unique values containing spaces): TF-IDF of
  word 1-2-grams and character 2-5-grams, optionally reduced by truncated SVD;
* columns that identify rows -- unique per row and named like an id, integer row
  numbers, or single-token strings such as uuids -- are excluded, as are columns the
  user excludes and columns with no values.

The featurizer is a scikit-learn :class:`~sklearn.compose.ColumnTransformer`, so a
fitted model is one :class:`~sklearn.pipeline.Pipeline` that takes raw rows.
"""

import re
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from distilkit.exceptions import DataError
from distilkit.io.columns import match_columns, preview

__all__ = ["ColumnRole", "CategoryStrings", "TextColumn", "infer_roles", "make_featurizer", "make_model",
           "model_columns", "prepare_table", "summarize_roles", "INPUT_ROLES"]

#: Largest magnitude a numeric value may have: scaling squares it, and 1e154 squared overflows float64.
MAX_MAGNITUDE = 1e150
#: How text columns are encoded (see :func:`make_featurizer`).
TEXT_ENCODING = "TF-IDF words 1-2 + chars 2-5 (SVD 100 unless the estimator takes sparse input)"
#: Roles whose columns the featurizer reads.
INPUT_ROLES = ("numeric", "categorical", "text")
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
        return asdict(self)


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
        elif name in text:
            roles.append(ColumnRole(name, "text", dtype, TEXT_ENCODING))
        elif features is None and _identifies_rows(name, values):
            roles.append(ColumnRole(name, "identifier", dtype, "unique per row: left out"))
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
    return [r["column"] if isinstance(r, dict) else r.column
            for r in roles if (r["role"] if isinstance(r, dict) else r.role) in wanted]


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

    for role in (r if isinstance(r, ColumnRole) else ColumnRole(**r) for r in roles):
        if run and (role.role, role.encoding) != (run[0].role, run[0].encoding):
            flush()
        run.append(role)
    flush()
    return rows


class CategoryStrings(TransformerMixin, BaseEstimator):
    """Categorical values as strings, missing values as NaN.

    A column read as numbers in one batch and as strings in another (CSV type
    inference) gives the same categories.

    Examples
    --------
    >>> CategoryStrings().fit_transform(pd.DataFrame({"c": [1, None, "x"]})).tolist()
    [['1'], [nan], ['x']]
    """

    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X):
        check_is_fitted(self)
        frame = pd.DataFrame(X)
        return frame.astype(str).where(frame.notna(), np.nan).to_numpy(dtype=object)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(input_features if input_features is not None else
                          [f"x{j}" for j in range(self.n_features_in_)], dtype=object)


class TextColumn(TransformerMixin, BaseEstimator):
    """TF-IDF of one text column: word 1-2-grams and character 2-5-grams, optionally reduced by SVD.

    Parameters
    ----------
    max_features : int, default=20000
        Vocabulary size of each of the two TF-IDF vectorisers.
    svd_components : int or None, default=None
        Reduce to this many dimensions with truncated SVD (dense output); None keeps
        the sparse TF-IDF matrix.
    random_state : int, RandomState instance or None, default=None
        Seeds the SVD.

    Attributes
    ----------
    words_ : TfidfVectorizer
    chars_ : TfidfVectorizer
    svd_ : TruncatedSVD or None
    n_features_out_ : int

    Examples
    --------
    >>> texts = pd.Series(["good film", "bad film", None, "good plot"])
    >>> TextColumn(svd_components=2, random_state=0).fit_transform(texts).shape
    (4, 2)
    """

    def __init__(self, *, max_features=20000, svd_components=None, random_state=None):
        self.max_features = max_features
        self.svd_components = svd_components
        self.random_state = random_state

    @staticmethod
    def _texts(X):
        values = pd.Series(np.asarray(X, dtype=object).ravel())
        return values.where(values.notna(), "").astype(str)

    def _vectorizer(self, kind):
        analyzer = {"words": dict(ngram_range=(1, 2)), "chars": dict(analyzer="char_wb", ngram_range=(2, 5))}[kind]
        return TfidfVectorizer(sublinear_tf=True, max_features=self.max_features, dtype=np.float32, **analyzer)

    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        texts = self._texts(X)
        self.words_, self.chars_ = self._vectorizer("words"), self._vectorizer("chars")
        try:
            tfidf = sparse.hstack([self.words_.fit_transform(texts), self.chars_.fit_transform(texts)]).tocsr()
        except ValueError as exc:  # an empty vocabulary: every text is blank
            raise DataError(f"text column has no words to encode ({exc})") from None
        self.svd_ = None
        if self.svd_components is not None:
            components = max(1, min(self.svd_components, tfidf.shape[1] - 1, tfidf.shape[0] - 1))
            self.svd_ = TruncatedSVD(components, random_state=self.random_state)
            tfidf = self.svd_.fit_transform(tfidf)
        self.n_features_out_ = tfidf.shape[1]
        return tfidf

    # A vocabulary is stored as two arrays (terms by column, idf), not as the
    # vectorizer's dict: a dict of 40,000 terms takes skops seconds to write and read.
    def __getstate__(self):
        state = dict(super().__getstate__())
        for kind in ("words", "chars"):
            vectorizer = state.pop(f"{kind}_", None)
            if vectorizer is not None:
                vocabulary = vectorizer.vocabulary_
                state[f"{kind}_terms_"] = np.array(sorted(vocabulary, key=vocabulary.get), dtype=str)
                state[f"{kind}_idf_"] = vectorizer.idf_
        return state

    def __setstate__(self, state):
        state = dict(state)
        stored = {kind: (state.pop(f"{kind}_terms_", None), state.pop(f"{kind}_idf_", None))
                  for kind in ("words", "chars")}
        super().__setstate__(state)
        for kind, (terms, idf) in stored.items():
            if terms is None:
                continue
            terms, idf = np.asarray(terms, dtype=str), np.asarray(idf, dtype=np.float64)
            if terms.ndim != 1 or idf.shape != terms.shape or len(np.unique(terms)) != len(terms):
                raise ValueError(f"TextColumn: the {kind} vocabulary and its idf do not match")
            vectorizer = self._vectorizer(kind)
            vectorizer.vocabulary_ = dict(zip(terms.tolist(), range(len(terms))))
            vectorizer.fixed_vocabulary_ = False
            vectorizer.idf_ = idf
            setattr(self, f"{kind}_", vectorizer)

    def transform(self, X):
        check_is_fitted(self)
        texts = self._texts(X)
        tfidf = sparse.hstack([self.words_.transform(texts), self.chars_.transform(texts)]).tocsr()
        return tfidf if self.svd_ is None else self.svd_.transform(tfidf)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        prefix = "svd" if self.svd_ is not None else "tfidf"
        return np.asarray([f"{prefix}{j}" for j in range(self.n_features_out_)], dtype=object)


def make_featurizer(roles, *, sparse_output=False, text_svd=100, max_categories=30, random_state=None):
    """The ColumnTransformer that turns a raw table into features, following ``roles``.

    Parameters
    ----------
    roles : list of ColumnRole or dict
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
    for column in model_columns(roles, "text"):
        svd = None if sparse_output else text_svd
        transformers.append((f"text_{column}", TextColumn(svd_components=svd, random_state=random_state), column))
    return ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.3 if sparse_output else 0.0)


def make_model(estimator, roles, *, text_svd=100, max_categories=30, random_state=None):
    """``Pipeline([("features", featurizer), ("estimator", estimator)])`` for a table with these roles.

    The featurizer's output is sparse only when the estimator accepts sparse input.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> frame = pd.DataFrame({"x": [0.0, 1.0, None, 3.0], "c": ["a", "b", "a", None], "y": [0, 1, 0, 1]})
    >>> model = make_model(LogisticRegression(), infer_roles(frame, target="y")).fit(frame, frame["y"])
    >>> model.predict(pd.DataFrame({"x": [2.5], "c": ["unseen"]})).tolist()
    [1]
    """
    from sklearn.utils import get_tags

    featurizer = make_featurizer(roles, sparse_output=get_tags(estimator).input_tags.sparse, text_svd=text_svd,
                                 max_categories=max_categories, random_state=random_state)
    return Pipeline([("features", featurizer), ("estimator", estimator)])


def _row_number(frame, position):
    """1-based data row of a batch row: batches carry their rows' positions in the whole table as index."""
    label = frame.index[position]
    return int(label) + 1 if isinstance(label, (int, np.integer)) else position + 1


def prepare_table(frame, roles, *, where="table"):
    """The model's input columns of ``frame``, with the types the featurizer was fitted on.

    Numeric columns must hold numbers (missing values are fine, infinities are not);
    categorical and text columns are kept as they are (the featurizer turns them into
    strings). Columns the model does not use are dropped.

    Raises
    ------
    DataError
        If a column the model uses is absent, or a numeric column holds text or infinity.
    """
    columns = model_columns(roles)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{where}: column {missing[0]!r} used by the model not found ({len(missing)} missing)")
    block = frame[columns].copy()
    for name in model_columns(roles, "numeric"):
        values = block[name]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_complex_dtype(values):
            numbers = pd.to_numeric(values, errors="coerce")
            bad = values.notna() & numbers.isna()
            if bad.any():
                position = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataError(f"{where}: numeric column {name!r} holds {values.iloc[position]!r} "
                                f"(row {_row_number(block, position)})")
            values = numbers
        values = values.astype(np.float64)
        numbers = values.to_numpy()
        if np.isinf(numbers).any():
            raise DataError(f"{where}: column {name!r} holds infinite values")
        too_large = np.abs(numbers) > MAX_MAGNITUDE
        if too_large.any():
            position = int(np.flatnonzero(too_large)[0])
            row = _row_number(block, position)
            raise DataError(f"{where}: column {name!r} holds {numbers[position]:g} (row {row}), beyond "
                            f"±{MAX_MAGNITUDE:g}: its square overflows, so it cannot be scaled")
        block[name] = values
    return block
