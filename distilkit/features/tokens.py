"""Texts as bags of tokens: the input of a static-embedding student (see :mod:`distilkit.encoders.static`)."""

import itertools
from numbers import Integral

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from distilkit.exceptions import DataError, first_line
from distilkit.features.transformers import columns_input_tags
from distilkit.sklearn_compat import Interval

__all__ = ["TokenBag"]


class TokenBag(TransformerMixin, BaseEstimator):
    """One text column as a sparse matrix of token weights, each row summing to 1 (a mean over its tokens).

    A student whose first layer holds one vector per token (a static embedding) reads
    the mean of its text's token vectors as ``X @ vectors``; fine-tuning that layer
    fine-tunes the vectors. The tokenizer is stored as its JSON text (what the
    ``tokenizers`` library reads and writes), so a model file holds no code.

    Parameters
    ----------
    tokenizer : str
        A tokenizer as JSON (``tokenizers.Tokenizer.to_str()``).
    max_tokens : int, default=512
        Tokens read per text (the rest is ignored).

    Attributes
    ----------
    n_tokens_ : int
        The tokenizer's vocabulary size: the number of output columns.

    Examples
    --------
    >>> from tokenizers import Tokenizer, models, pre_tokenizers
    >>> words = Tokenizer(models.WordLevel({"[UNK]": 0, "good": 1, "film": 2}, unk_token="[UNK]"))
    >>> words.pre_tokenizer = pre_tokenizers.Whitespace()
    >>> TokenBag(words.to_str()).fit_transform(pd.Series(["good good film"])).toarray().astype(float).round(2).tolist()
    [[0.0, 0.67, 0.33]]
    """

    _parameter_constraints: dict = {"tokenizer": [str], "max_tokens": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, tokenizer, *, max_tokens=512):
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens

    def _loaded(self):
        """The tokenizer, built from its JSON once per instance (never stored: see ``__getstate__``)."""
        loaded = self.__dict__.get("_tokenizer")
        if loaded is None or loaded[0] is not self.tokenizer:
            from tokenizers import Tokenizer

            try:
                built = Tokenizer.from_str(self.tokenizer)
            except Exception as exc:  # tokenizers raises its own Exception type for malformed JSON
                raise DataError(f"TokenBag: the tokenizer is not a tokenizer's JSON ({first_line(exc)})") from None
            ids = sorted(built.get_vocab(with_added_tokens=True).values())
            if ids != list(range(len(ids))):
                raise DataError(f"TokenBag: the tokenizer's token ids are not 0 .. {len(ids) - 1} (it declares "
                                f"ids up to {ids[-1] if ids else None})")
            built.no_truncation()
            built.no_padding()
            loaded = (self.tokenizer, built)
            self.__dict__["_tokenizer"] = loaded
        return loaded[1]

    def fit(self, X, y=None):
        """Read the tokenizer and record its vocabulary size."""
        self._validate_params()
        self.n_tokens_ = self._loaded().get_vocab_size(with_added_tokens=True)
        return self

    def transform(self, X):
        """Token weights of each text of ``X`` (a column of texts; missing values are empty texts), CSR float32."""
        check_is_fitted(self)
        values = pd.Series(np.asarray(X, dtype=object).ravel())
        texts = values.where(values.notna(), "").astype(str).tolist()
        encodings = self._loaded().encode_batch(texts, add_special_tokens=False)
        ids = [encoding.ids[:self.max_tokens] for encoding in encodings]
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        columns = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
        if len(columns) and (columns.min() < 0 or columns.max() >= self.n_tokens_):
            raise DataError(f"TokenBag: the tokenizer gives token ids beyond its {self.n_tokens_} tokens")
        # Each token weighs 1 / (its text's length); a repeated token's weights add up in sum_duplicates.
        weights = np.repeat(1 / np.maximum(lengths, 1), lengths).astype(np.float32)
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        bags = sparse.csr_matrix((weights, columns, indptr), shape=(len(texts), self.n_tokens_))
        bags.sum_duplicates()
        return bags

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return np.array([f"token_{i}" for i in range(self.n_tokens_)], dtype=object)

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_tokenizer", None)
        return state

    def __setstate__(self, state):
        """Restore, refusing a tokenizer that does not load or declares another vocabulary size than was fitted."""
        super().__setstate__(state)
        self._validate_params()
        if "n_tokens_" in self.__dict__:
            size = self._loaded().get_vocab_size(with_added_tokens=True)
            if not isinstance(self.n_tokens_, int) or size != self.n_tokens_:
                raise DataError(f"TokenBag: the tokenizer has {size} tokens, the fitted step {self.n_tokens_!r}")

    def __sklearn_tags__(self):
        tags = columns_input_tags(super().__sklearn_tags__())
        tags.input_tags.two_d_array = False
        return tags
