"""The scikit-learn transformers the featurizer is made of, beyond scikit-learn's own."""

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from distilkit.exceptions import DataError

__all__ = ["CategoryStrings", "TextColumn"]


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
