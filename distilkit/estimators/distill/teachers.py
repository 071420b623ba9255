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

__all__ = ["TeacherSignal", "is_fitted", "linear_head", "logits_from_outputs", "reorder_classes", "signal_from_head",
           "teacher_signal"]

#: How far a row of teacher probabilities may sum from 1 (rounded LLM outputs, float32 files).
PROBABILITY_SUM_TOLERANCE = 1e-3


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


def signal_from_head(embeddings, W, b, classes):
    """The signal of a teacher whose head ``(W, b)`` is given (a trained classifier's last layer).

    Its ``head`` is a fitted :class:`~sklearn.linear_model.LogisticRegression` with the
    same probabilities, ``softmax(h W^T + b)``, so the teacher can be saved as a pipeline
    like a teacher whose head was fitted here.

    Examples
    --------
    >>> signal = signal_from_head(np.eye(2), np.array([[1.0, 0.0], [0.0, 2.0]]), np.zeros(2), np.array(["a", "b"]))
    >>> signal.logits.tolist(), signal.head.predict(np.eye(2)).tolist()
    ([[1.0, 0.0], [0.0, 2.0]], ['a', 'b'])
    """
    from sklearn.linear_model import LogisticRegression

    embeddings = np.asarray(embeddings)
    W, b = np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)
    head = LogisticRegression()
    # softmax over two logits is the sigmoid of their difference: sklearn's binary form.
    head.coef_, head.intercept_ = (W[1:] - W[:1], b[1:] - b[:1]) if len(W) == 2 else (W, b)
    head.classes_, head.n_features_in_, head.n_iter_ = np.asarray(classes), W.shape[1], np.zeros(1, dtype=np.int32)
    logits = embeddings @ W.T.astype(embeddings.dtype) + b
    return TeacherSignal(np.asarray(logits, dtype=np.float64), embeddings, W, b, np.asarray(classes), head)


def logits_from_outputs(values, kind, *, tol=PROBABILITY_SUM_TOLERANCE):
    """Teacher logits from its per-class outputs, one column per class.

    Probabilities become their logarithms (``softmax(log p) = p``, so KD's targets are
    the probabilities themselves at temperature 1); logits are taken as given.

    Parameters
    ----------
    values : array-like of shape (n_samples, n_classes)
    kind : {"probs", "logits"}
    tol : float, default=1e-3
        How far a row of probabilities may sum from 1.

    Returns
    -------
    logits : ndarray of shape (n_samples, n_classes), float64

    Raises
    ------
    DataError
        If a value is NaN or infinite, a probability is outside [0, 1] or a row of
        probabilities does not sum to 1 within ``tol``.

    Examples
    --------
    >>> logits_from_outputs([[0.25, 0.75]], "probs").round(4).tolist()
    [[-1.3863, -0.2877]]
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] < 2:
        raise DataError(f"teacher {kind} need one column per class, at least 2; got shape {values.shape}")

    def refuse(bad, what):
        rows = np.flatnonzero(bad)
        if len(rows):
            raise DataError(f"teacher {kind} {what} in {len(rows)} row(s), first at row {rows[0]}")

    refuse(~np.isfinite(values).all(axis=1), "hold NaN or infinite values")
    if kind == "logits":
        return values
    refuse(((values < 0) | (values > 1)).any(axis=1), "fall outside [0, 1]")
    refuse(np.abs(values.sum(axis=1) - 1) > tol, f"do not sum to 1 (within {tol:g})")
    # A zero probability is a very small one: log(0) would make KD's targets undefined.
    return np.log(np.maximum(values, np.finfo(np.float64).tiny))


def reorder_classes(teacher_classes, labels):
    """Indices putting a teacher's classes in the order of ``labels`` (the student's classes), by value.

    Classes are compared by their text, so a teacher's ``"1"`` is the label ``1``.

    Raises
    ------
    DataError
        If a label has no teacher class or the teacher scores a class that is no label.

    Examples
    --------
    >>> reorder_classes(["pos", "neg"], np.array(["neg", "pos"])).tolist()
    [1, 0]
    """
    position = {str(label): index for index, label in enumerate(np.asarray(teacher_classes).tolist())}
    if len(position) != len(teacher_classes):
        raise DataError(f"the teacher names a class twice: {list(teacher_classes)!r}")
    missing = [label for label in np.asarray(labels).tolist() if str(label) not in position]
    if missing:
        raise DataError(f"label(s) {', '.join(map(repr, missing[:5]))} have no teacher class (teacher classes: "
                        f"{', '.join(map(str, position))}): a teacher can only be distilled into the classes it "
                        "scores")
    extra = sorted(set(position) - {str(label) for label in np.asarray(labels).tolist()})
    if extra:
        raise DataError(f"the teacher scores class(es) {', '.join(map(repr, extra[:5]))} that no labelled row has "
                        f"(labels: {', '.join(map(str, np.asarray(labels).tolist()))})")
    return np.array([position[str(label)] for label in np.asarray(labels).tolist()])
