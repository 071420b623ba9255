"""Binary decisions from probabilities: the positive label, decision thresholds, threshold tuning.

scikit-learn decides binary labels as ``classes_[1]`` when its probability reaches the
threshold (``>=``, as :class:`~sklearn.model_selection.FixedThresholdClassifier` does);
here the positive label is chosen by value, and a threshold tuned by
:class:`~sklearn.model_selection.TunedThresholdClassifierCV` is kept in a fitted
:class:`~sklearn.model_selection.FixedThresholdClassifier` around the frozen model, which
a model file stores with scikit-learn's own trusted types (no scorer objects).
"""

from numbers import Real

import numpy as np

from distilkit.exceptions import DataError

#: Scorers whose metric needs to know the positive class of a binary problem.
_POSITIVE_CLASS_METRICS = {
    "f1": ("f1_score", "predict"),
    "precision": ("precision_score", "predict"),
    "recall": ("recall_score", "predict"),
    "jaccard": ("jaccard_score", "predict"),
    "average_precision": ("average_precision_score", "predict_proba"),
}


def positive_label(classes, pos_label=None):
    """The positive class of a binary model: ``pos_label`` matched by value, else ``classes[1]``.

    Labels typed on a command line arrive as strings, so ``"1"`` names the class ``1``.

    Raises
    ------
    DataError
        If the model is not binary or ``pos_label`` is not one of its classes.

    Examples
    --------
    >>> positive_label(["no", "yes"])
    'yes'
    >>> positive_label([0, 1], "0")
    0
    """
    classes = np.asarray(classes)
    if len(classes) != 2:
        raise DataError(f"a positive label needs a binary model; this one has {len(classes)} classes "
                        f"({', '.join(map(str, classes.tolist()))})")
    if pos_label is None:
        return classes[1].item() if isinstance(classes[1], np.generic) else classes[1]
    for label in classes.tolist():
        if label == pos_label or str(label) == str(pos_label):
            return label
    raise DataError(f"positive label {pos_label!r} is not one of the model's classes "
                    f"({', '.join(map(str, classes.tolist()))})")


def threshold_labels(proba, classes, threshold, pos_label):
    """Labels of a binary model: ``pos_label`` where its probability is at least ``threshold``.

    Examples
    --------
    >>> threshold_labels(np.array([[0.7, 0.3], [0.2, 0.8]]), ["no", "yes"], 0.25, "yes").tolist()
    ['yes', 'yes']
    >>> threshold_labels(np.array([[0.7, 0.3], [0.2, 0.8]]), ["no", "yes"], 0.65, "no").tolist()
    ['no', 'yes']
    """
    classes = np.asarray(classes)
    positive = int(np.flatnonzero(classes == positive_label(classes, pos_label))[0])
    return np.where(np.asarray(proba)[:, positive] >= threshold, classes[positive], classes[1 - positive])


def check_decision(classes, threshold=None, pos_label=None):
    """Refuse a decision override that cannot apply to a model of these classes, before any scoring.

    Raises
    ------
    DataError
        If ``pos_label`` comes without ``threshold``, ``threshold`` is not a probability,
        the model is not binary, or ``pos_label`` is not one of its classes.
    """
    if threshold is None:
        if pos_label is not None:
            raise DataError("a positive label for predictions needs a threshold to apply to it")
        return
    if isinstance(threshold, bool) or not (isinstance(threshold, Real) and 0 <= threshold <= 1):
        raise DataError(f"the threshold must be a probability in [0, 1], not {threshold!r}")
    positive_label(classes, pos_label)


def decision_threshold(estimator):
    """``(threshold, positive label)`` that ``estimator.predict`` applies to its probabilities, or None.

    None means ``predict`` is the most probable class. Thresholds come from
    :class:`~sklearn.model_selection.FixedThresholdClassifier` (on probabilities) and from
    estimators that state their rule in a ``decision_rule`` attribute (a binary
    :class:`~distilkit.AnyLossClassifier`).
    """
    from sklearn.model_selection import FixedThresholdClassifier

    if isinstance(estimator, FixedThresholdClassifier) and estimator.response_method == "predict_proba":
        threshold = 0.5 if estimator.threshold == "auto" else estimator.threshold
        return float(threshold), positive_label(estimator.classes_, estimator.pos_label)
    return getattr(estimator, "decision_rule", None)


def labels_from_proba(estimator, proba, *, threshold=None, pos_label=None):
    """What ``estimator.predict`` gives, from probabilities it already computed (one pass, not two).

    Parameters
    ----------
    estimator : fitted classifier
        The model whose ``predict_proba`` gave ``proba``.
    proba : ndarray of shape (n_samples, n_classes)
    threshold : float, default=None
        Override the decision rule of a binary model: ``pos_label`` where its
        probability is at least ``threshold``.
    pos_label : label, default=None
        The class ``threshold`` applies to (default: the model's own positive class,
        else ``classes_[1]``).

    Returns
    -------
    y_pred : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], ["a", "a", "b", "b"])
    >>> proba = model.predict_proba([[1.4]])
    >>> labels_from_proba(model, proba).tolist(), labels_from_proba(model, proba, threshold=0.2).tolist()
    (['a'], ['b'])
    """
    check_decision(estimator.classes_, threshold, pos_label)
    own = decision_threshold(estimator)
    if threshold is not None:
        if pos_label is None and own is not None:
            pos_label = own[1]
        return threshold_labels(proba, estimator.classes_, threshold, pos_label)
    if own is not None:
        return threshold_labels(proba, estimator.classes_, *own)
    return np.asarray(estimator.classes_)[np.asarray(proba).argmax(axis=1)]


def binary_scorer(scoring, pos_label):
    """A scikit-learn scorer for ``scoring`` (a scorer name) that knows the positive class.

    scikit-learn's ``"f1"``, ``"precision"``... scorers assume the positive label is 1,
    which fails for string labels; these are rebuilt with ``pos_label``. Other names
    are returned as they are.

    Examples
    --------
    >>> binary_scorer("f1", "yes")
    make_scorer(f1_score, response_method='predict', pos_label=yes)
    >>> binary_scorer("roc_auc", "yes")
    'roc_auc'
    """
    from sklearn import metrics

    if scoring not in _POSITIVE_CLASS_METRICS:
        return scoring
    function, response = _POSITIVE_CLASS_METRICS[scoring]
    return metrics.make_scorer(getattr(metrics, function), response_method=response, pos_label=pos_label)


def threshold_tuner(estimator, scoring, pos_label, *, cv=5, random_state=None):
    """An unfitted :class:`~sklearn.model_selection.TunedThresholdClassifierCV` maximising ``scoring``.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
    scoring : str
        A scorer name (``"f1"``, ``"balanced_accuracy"``, ``"recall"``...).
    pos_label : label
        The positive class (see :func:`positive_label`).
    cv : int or cross-validation generator, default=5
    random_state : int, default=None
    """
    from sklearn.model_selection import TunedThresholdClassifierCV

    return TunedThresholdClassifierCV(estimator, scoring=binary_scorer(scoring, pos_label),
                                      response_method="predict_proba", cv=cv, random_state=random_state)


def frozen_threshold(tuner, X, y, *, scoring, pos_label):
    """A fitted tuner as a :class:`~sklearn.model_selection.FixedThresholdClassifier` of its frozen model.

    It predicts the same labels and a model file stores it with scikit-learn's trusted
    types (a tuner holds scorer objects). ``X, y`` are the tuner's training rows: a
    frozen model's ``fit`` only checks the labels. ``scoring`` and ``pos_label`` are those
    the tuner was built with (:func:`threshold_tuner`).

    Returns
    -------
    model : fitted FixedThresholdClassifier
    tuning : dict
        ``threshold``, ``pos_label``, ``scoring`` (the tuner's metric) and ``score`` (its
        cross-validated value at the chosen threshold).
    """
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import FixedThresholdClassifier

    positive = positive_label(tuner.classes_, pos_label)
    model = FixedThresholdClassifier(FrozenEstimator(tuner.estimator_), threshold=float(tuner.best_threshold_),
                                     pos_label=positive, response_method="predict_proba").fit(X, y)
    return model, {"threshold": float(tuner.best_threshold_), "pos_label": positive, "scoring": scoring,
                   "score": float(tuner.best_score_)}


__all__ = ["binary_scorer", "check_decision", "decision_threshold", "frozen_threshold", "labels_from_proba",
           "positive_label", "threshold_labels", "threshold_tuner"]
