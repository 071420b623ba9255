"""Decision rules: labels from probabilities, the positive label of a binary model, thresholds.

scikit-learn decides binary labels as ``classes_[1]`` when its probability reaches the
threshold (``>=``, as :class:`~sklearn.model_selection.FixedThresholdClassifier` does);
here the positive label is chosen by value, and a model's own rule -- a
``FixedThresholdClassifier`` (what a tuned threshold is saved as, see
:mod:`distilkit.evaluation.model_selection`) or an estimator's ``decision_rule`` -- is read
so that labels come from the probabilities already computed.
"""

from numbers import Real

import numpy as np

from distilkit.exceptions import DataError


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


__all__ = ["check_decision", "decision_threshold", "labels_from_proba", "positive_label", "threshold_labels"]
