"""The scikit-learn transformers the featurizer is made of, beyond scikit-learn's own."""

from numbers import Integral

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted, validate_data

from distilkit.exceptions import DataError
from distilkit.sklearn_compat import Interval, _fit_context

__all__ = ["CategoryStrings", "DatetimeFeatures", "TextColumn", "as_datetimes", "columns_input_tags"]


def columns_input_tags(tags):
    """``tags`` for a step that reads columns by name or one column of texts, with gaps.

    scikit-learn's checks feed numeric 2-D arrays, which such a step does not take: its
    tags leave them only the API checks that apply.
    """
    tags.input_tags.two_d_array = False
    tags.input_tags.string = True
    tags.input_tags.allow_nan = True
    return tags


class CategoryStrings(TransformerMixin, BaseEstimator):
    """Categorical values as strings, missing values as NaN.

    A column read as numbers in one batch and as strings in another (CSV type
    inference) gives the same categories.

    Examples
    --------
    >>> CategoryStrings().fit_transform(pd.DataFrame({"c": [1, None, "x"]})).tolist()
    [['1'], [nan], ['x']]

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen during ``fit``.
    feature_names_in_ : ndarray of str
        Names of the columns seen during ``fit``, when they were all strings.
    """

    def fit(self, X, y=None):
        """Record the number (and names) of the columns."""
        validate_data(self, X, dtype=None, ensure_all_finite=False)
        return self

    def transform(self, X):
        """Every value as its string, missing values as NaN (an object array)."""
        check_is_fitted(self)
        validate_data(self, X, dtype=None, ensure_all_finite=False, reset=False)
        # The values as given: validation casts an Int64 column with missing values to floats ('7.0').
        frame = pd.DataFrame(X)
        return frame.astype(str).where(frame.notna(), np.nan).to_numpy(dtype=object)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        if input_features is None:
            input_features = getattr(self, "feature_names_in_", [f"x{j}" for j in range(self.n_features_in_)])
        return np.asarray(input_features, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = True
        return tags


def as_datetimes(values):
    """A column as naive UTC datetimes: datetime64 as it is (time zones converted), ISO 8601 strings parsed.

    Values that are not datetimes become NaT; the caller decides whether that is an error.

    Examples
    --------
    >>> [str(v) for v in as_datetimes(pd.Series(["2024-03-01", "2024-03-01T12:30:00+01:00", None]))]
    ['2024-03-01 00:00:00', '2024-03-01 11:30:00', 'NaT']
    """
    values = pd.Series(values)
    if not pd.api.types.is_datetime64_any_dtype(values):
        text = values.astype(object).where(values.notna(), None)
        values = pd.to_datetime(text.map(lambda v: v if v is None else str(v)), format="ISO8601", errors="coerce",
                                utc=True)
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values.astype("datetime64[ns]")


class DatetimeFeatures(TransformerMixin, BaseEstimator):
    """Datetime columns as numbers: year, month, day, day of week, hour, and the time itself.

    What skrub's ``DatetimeEncoder`` gives, for the columns of a table model: per column the
    year, month, day of the month, day of the week (0 = Monday), the hour when the column
    has times of day (not only dates), and the time as seconds since 1970 (trends). Missing
    values stay NaN, for the imputer that follows.

    Attributes
    ----------
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Names of the columns seen during ``fit``, when they were all strings.
    with_hour_ : ndarray of bool of shape (n_features_in_,)
        Whether each column had a time of day at fit.

    Examples
    --------
    >>> frame = pd.DataFrame({"d": pd.to_datetime(["2024-03-01 08:00", "2024-12-25 17:30"])})
    >>> step = DatetimeFeatures().fit(frame)
    >>> step.get_feature_names_out().tolist()
    ['d_year', 'd_month', 'd_day', 'd_weekday', 'd_hour', 'd_seconds']
    >>> step.transform(frame)[1, :5].tolist()
    [2024.0, 12.0, 25.0, 2.0, 17.0]
    """

    def _columns(self, X, reset):
        validate_data(self, X, dtype=None, ensure_all_finite=False, reset=reset, skip_check_array=True)
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=object))
        if frame.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {frame.shape[1]} features, but DatetimeFeatures is expecting "
                             f"{self.n_features_in_} features as input")
        return [as_datetimes(frame.iloc[:, j]) for j in range(frame.shape[1])]

    def fit(self, X, y=None):
        """Record the columns and which have a time of day."""
        columns = self._columns(X, reset=True)
        self.with_hour_ = np.array([bool((c.dropna() != c.dropna().dt.normalize()).any()) for c in columns])
        return self

    def transform(self, X):
        """Year, month, day, day of week, hour (where fitted with one) and seconds since 1970 of each column."""
        check_is_fitted(self)
        blocks = []
        for column, with_hour in zip(self._columns(X, reset=False), self.with_hour_):
            parts = [column.dt.year, column.dt.month, column.dt.day, column.dt.day_of_week]
            if with_hour:
                parts.append(column.dt.hour)
            seconds = (column - pd.Timestamp(0)).dt.total_seconds()
            blocks.append(np.column_stack([*(p.to_numpy(dtype=np.float64, na_value=np.nan) for p in parts),
                                           seconds.to_numpy(dtype=np.float64, na_value=np.nan)]))
        return np.hstack(blocks) if blocks else np.zeros((len(X), 0))

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        if input_features is None:
            input_features = getattr(self, "feature_names_in_", [f"x{j}" for j in range(self.n_features_in_)])
        names = []
        for name, with_hour in zip(input_features, self.with_hour_):
            parts = ["year", "month", "day", "weekday", *(["hour"] if with_hour else []), "seconds"]
            names.extend(f"{name}_{part}" for part in parts)
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        return columns_input_tags(super().__sklearn_tags__())


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

    _parameter_constraints: dict = {
        "max_features": [Interval(Integral, 1, None, closed="left")],
        "svd_components": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

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
        """Learn both vocabularies (and the SVD) from the texts in ``X``."""
        self.fit_transform(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit and return the TF-IDF (or SVD) features of ``X``."""
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
        """The TF-IDF (or SVD) features of the texts in ``X``."""
        check_is_fitted(self)
        texts = self._texts(X)
        tfidf = sparse.hstack([self.words_.transform(texts), self.chars_.transform(texts)]).tocsr()
        return tfidf if self.svd_ is None else self.svd_.transform(tfidf)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        prefix = "svd" if self.svd_ is not None else "tfidf"
        return np.asarray([f"{prefix}{j}" for j in range(self.n_features_out_)], dtype=object)

    def __sklearn_tags__(self):
        return columns_input_tags(super().__sklearn_tags__())
