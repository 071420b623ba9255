"""Teacher signals for distillation: final-layer embeddings, head weights and logits.

A teacher is anything whose class scores are a linear head on an embedding,
``logits = h(x) W^T + b``. distilkit reads that from

* precomputed arrays (embeddings and logits, or embeddings and the head ``(W, b)``),
  which is how teachers without an sklearn interface (a fine-tuned transformer, a
  remote service) are used; or
* a scikit-learn estimator: a linear classifier (``coef_``, ``intercept_``) whose
  embedding is its input, or a ``Pipeline`` whose last step is one, whose embedding is
  the output of the steps before it (e.g. a frozen sentence encoder). An unfitted
  teacher is fitted on the labelled rows first.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from distilkit.exceptions import DataError

__all__ = ["TeacherSignal", "is_fitted", "linear_head", "teacher_signal"]


@dataclass
class TeacherSignal:
    """What a distiller needs from its teacher, one row per training row."""

    logits: np.ndarray
    embeddings: np.ndarray | None = None
    head_weights: np.ndarray | None = None
    head_bias: np.ndarray | None = None
    classes: np.ndarray | None = None
    #: The fitted linear classifier on the embeddings, when the teacher is an estimator.
    head: object = None

    def fit_params(self):
        """The distillers' ``fit`` parameters that carry this signal.

        Examples
        --------
        >>> sorted(TeacherSignal(np.zeros((2, 2))).fit_params())
        ['teacher_embeddings', 'teacher_head', 'teacher_logits']
        """
        head = None if self.head_weights is None else (self.head_weights, self.head_bias)
        return {"teacher_logits": self.logits, "teacher_embeddings": self.embeddings, "teacher_head": head}


def linear_head(coef, intercept):
    """The head as ``C`` rows of logits; a binary ``(1, D)`` head becomes the symmetric
    ``[-w/2, w/2]``, whose softmax is the logistic ``sigmoid(w h + b)``.

    Examples
    --------
    >>> W, b = linear_head(np.array([[2.0, 0.0]]), np.array([1.0]))
    >>> W.tolist(), b.tolist()
    ([[-1.0, -0.0], [1.0, 0.0]], [-0.5, 0.5])
    """
    coef, intercept = np.atleast_2d(np.asarray(coef, dtype=np.float64)), np.ravel(intercept).astype(np.float64)
    if coef.shape[0] == 1:
        return np.vstack([-coef / 2, coef / 2]), np.concatenate([-intercept / 2, intercept / 2])
    return coef, intercept


def is_fitted(estimator):
    """Whether ``estimator`` has been fitted (sklearn's own test, as a boolean)."""
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def teacher_signal(teacher, X, y=None, labelled=None):
    """Embeddings, head and logits of a linear-head scikit-learn teacher on ``X``.

    Parameters
    ----------
    teacher : estimator
        A linear classifier or a ``Pipeline`` ending in one (see the module docstring).
    X : array-like of shape (n_samples, ...)
        The teacher's input for every training row (may differ from the student's).
    y : ndarray of shape (n_samples,), default=None
        Labels, needed only when ``teacher`` is not fitted yet.
    labelled : ndarray of bool of shape (n_samples,), default=None
        Rows whose label may be used to fit the teacher (default: all).

    Returns
    -------
    TeacherSignal
    """
    encoder, head = (teacher[:-1], teacher[-1]) if isinstance(teacher, Pipeline) else (None, teacher)
    fitted = is_fitted(teacher)
    if not fitted:
        if y is None:
            raise DataError("the teacher is not fitted and there are no labels to fit it on")
        rows = np.ones(len(y), dtype=bool) if labelled is None else labelled
        if encoder is not None:
            encoder = clone(encoder).fit(X[rows] if hasattr(X, "shape") else [X[i] for i in np.flatnonzero(rows)])
    # Every row goes through the encoder once; an unfitted head is fitted on these embeddings.
    embeddings = X if encoder is None else encoder.transform(X)
    embeddings = np.asarray(embeddings.toarray() if hasattr(embeddings, "toarray") else embeddings)
    if embeddings.dtype not in (np.float32, np.float64):
        embeddings = embeddings.astype(np.float64)
    if not fitted:
        head = clone(head).fit(embeddings[rows], y[rows])
    if not (hasattr(head, "coef_") and hasattr(head, "intercept_")):
        raise DataError(
            f"the teacher's final step {type(head).__name__} is not a linear classifier (needs coef_ and intercept_)"
        )
    W, b = linear_head(head.coef_, head.intercept_)
    logits = embeddings @ W.T.astype(embeddings.dtype) + b
    return TeacherSignal(np.asarray(logits, dtype=np.float64), embeddings, W, b, np.asarray(head.classes_), head)
