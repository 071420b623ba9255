"""Evaluation metrics of a probabilistic classifier, as a flat dict of floats."""

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)

from distilkit.exceptions import DataError

#: Metrics where a smaller value is better; every other metric is better when larger.
LOWER_IS_BETTER = frozenset({"log_loss", "brier", "ece", "rare_brier", "rare_binned_mse", "rps", "mae_rank",
                             "model MB"})
#: Bins of the reliability diagram and of the expected calibration error.
CALIBRATION_BINS = 10
#: Points kept of a ROC or precision-recall curve (enough to draw it, small in a JSON file).
CURVE_POINTS = 200


def classification_metrics(y_true, proba, classes, y_pred=None, pos_label=None):
    """Accuracy, balanced accuracy, macro F1, log loss, Brier, ECE and, for binary models, the positive class's.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels; every label must be one of ``classes``.
    proba : ndarray of shape (n_samples, n_classes)
        Predicted probabilities, columns in the order of ``classes``.
    classes : array-like of shape (n_classes,)
        The classifier's ``classes_``.
    y_pred : array-like of shape (n_samples,), default=None
        The classifier's predictions (default: the most probable class).
    pos_label : label, default=None
        The positive class of a binary problem (default: ``classes[1]``).

    Returns
    -------
    metrics : dict of str to float
        ``brier`` is the mean squared error of the positive-class probability for
        binary problems, and sklearn's multi-class Brier score (squared error summed
        over classes) otherwise; ``ece`` is :func:`expected_calibration_error`. Binary
        problems add the positive class's ``precision``, ``recall`` and ``f1``, and,
        when both classes occur in ``y_true``, ``roc_auc`` and ``average_precision``.

    Examples
    --------
    >>> m = classification_metrics([0, 1, 1], [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]], [0, 1])
    >>> round(m["accuracy"], 3), round(m["roc_auc"], 3)
    (0.667, 1.0)
    """
    y_true = np.asarray(y_true)
    classes = np.asarray(classes)
    proba = np.asarray(proba, dtype=np.float64)
    # Models computing in float32 return rows that sum to 1 only to ~1e-7.
    proba = proba / proba.sum(axis=1, keepdims=True)
    unseen = np.setdiff1d(np.unique(y_true), classes)
    if unseen.size:
        raise DataError(f"labels {unseen.tolist()[:5]} were not seen when the model was fitted")
    y_pred = classes[proba.argmax(axis=1)] if y_pred is None else np.asarray(y_pred)
    # sklearn's log_loss and Brier score take probability columns in sorted label order;
    # ordinal models keep their classes in the user's order.
    by_label = np.argsort(classes, kind="stable")
    metrics = {
        "accuracy": accuracy_score(y_true, y_pred),
        "balanced_accuracy": balanced_accuracy_score(y_true, y_pred),
        "f1_macro": f1_score(y_true, y_pred, average="macro", labels=classes, zero_division=0),
        "log_loss": log_loss(y_true, proba[:, by_label], labels=classes[by_label]),
        "brier": brier_score_loss(y_true, proba[:, by_label], labels=classes[by_label])
        if len(classes) > 2
        else brier_score_loss(y_true == classes[1], proba[:, 1]),
        "ece": expected_calibration_error(y_true, proba, classes),
    }
    if len(classes) == 2:
        positive = _positive_column(classes, pos_label)
        is_positive, predicted_positive = y_true == classes[positive], y_pred == classes[positive]
        precision, recall, f1, _ = precision_recall_fscore_support(is_positive, predicted_positive, average="binary",
                                                                   zero_division=0)
        metrics.update(precision=precision, recall=recall, f1=f1)
        if np.unique(y_true).size == 2:
            metrics["roc_auc"] = roc_auc_score(is_positive, proba[:, positive])
            metrics["average_precision"] = average_precision_score(is_positive, proba[:, positive])
    return {k: float(v) for k, v in metrics.items()}


def _positive_column(classes, pos_label):
    from distilkit.estimators.decision import positive_label

    return int(np.flatnonzero(np.asarray(classes) == positive_label(classes, pos_label))[0])


def reliability_bins(y_true, proba, classes, n_bins=CALIBRATION_BINS):
    """The reliability diagram of the predicted class: confidence against accuracy in equal-width bins.

    Each row's confidence is its highest probability; bins split ``[0, 1]`` evenly (the
    top bin includes 1) and empty bins are left out.

    Returns
    -------
    bins : dict of str to list
        ``confidence`` (mean confidence), ``accuracy`` (share of rows whose most probable
        class is the true one) and ``count`` (rows) per non-empty bin, by increasing
        confidence.

    Examples
    --------
    >>> bins = reliability_bins(["a", "b", "b"], [[0.9, 0.1], [0.8, 0.2], [0.35, 0.65]], ["a", "b"], n_bins=4)
    >>> np.round(bins["confidence"], 3).tolist(), bins["accuracy"], bins["count"]
    ([0.65, 0.85], [1.0, 0.5], [1, 2])
    """
    proba = np.asarray(proba, dtype=np.float64)
    correct = np.asarray(classes)[proba.argmax(axis=1)] == np.asarray(y_true)
    mean, observed, count = _binned_means(proba.max(axis=1), correct, n_bins)
    return {"confidence": mean, "accuracy": observed, "count": count}


def positive_class_calibration(y_true, proba, classes, pos_label=None, n_bins=CALIBRATION_BINS):
    """The calibration curve of a binary model's positive class, in equal-width bins.

    What :func:`sklearn.calibration.calibration_curve` gives (``strategy="uniform"``),
    with the row count of each bin.

    Returns
    -------
    bins : dict of str to list
        ``predicted`` (mean probability of the positive class), ``observed`` (share of
        positive rows) and ``count`` per non-empty bin, by increasing probability.

    Examples
    --------
    >>> bins = positive_class_calibration([0, 1, 1, 0], [[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]], [0, 1],
    ...                                   n_bins=2)
    >>> np.round(bins["predicted"], 3).tolist(), np.round(bins["observed"], 3).tolist(), bins["count"]
    ([0.1, 0.7], [0.0, 0.667], [1, 3])
    """
    positive = _positive_column(classes, pos_label)
    is_positive = np.asarray(y_true) == np.asarray(classes)[positive]
    mean, observed, count = _binned_means(np.asarray(proba, dtype=np.float64)[:, positive], is_positive, n_bins)
    return {"predicted": mean, "observed": observed, "count": count}


def _binned_means(score, outcome, n_bins):
    """Mean score, mean 0/1 outcome and count per non-empty equal-width bin of [0, 1] (top bin closed)."""
    which = np.minimum((score * n_bins).astype(int), n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    filled = count > 0
    mean = np.bincount(which, weights=score, minlength=n_bins)[filled] / count[filled]
    observed = np.bincount(which, weights=outcome, minlength=n_bins)[filled] / count[filled]
    return [float(v) for v in mean], [float(v) for v in observed], [int(v) for v in count[filled]]


def expected_calibration_error(y_true, proba, classes, n_bins=CALIBRATION_BINS):
    """Expected calibration error: the row-weighted mean gap between confidence and accuracy per bin.

    The bins are :func:`reliability_bins`' (the predicted class, ``n_bins`` equal-width
    bins), as in Guo et al. (2017), "On calibration of modern neural networks".

    Examples
    --------
    >>> round(expected_calibration_error(["a", "b", "b"], [[0.9, 0.1], [0.8, 0.2], [0.35, 0.65]], ["a", "b"],
    ...                                  n_bins=4), 4)
    0.35
    """
    bins = reliability_bins(y_true, proba, classes, n_bins)
    count = np.asarray(bins["count"], dtype=np.float64)
    gaps = np.abs(np.asarray(bins["accuracy"]) - np.asarray(bins["confidence"]))
    return float(np.sum(count * gaps) / count.sum())


def per_class_metrics(y_true, y_pred, classes):
    """Precision, recall, F1 and support of each class, keyed by the label as text.

    Examples
    --------
    >>> per_class_metrics([0, 1, 1], [0, 1, 0], [0, 1])["1"]
    {'precision': 1.0, 'recall': 0.5, 'f1': 0.6666666666666666, 'support': 2}
    """
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    return {str(label): {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(n)}
            for label, p, r, f, n in zip(np.asarray(classes).tolist(), precision, recall, f1, support)}


def confusion_counts(y_true, y_pred, classes):
    """The confusion matrix as lists: row = true class, column = predicted class, in ``classes`` order."""
    return confusion_matrix(y_true, y_pred, labels=classes).tolist()


def _thinned(*columns, points=CURVE_POINTS):
    """Every column at ``points`` evenly spaced indices (first and last kept), as float lists."""
    n = len(columns[0])
    keep = np.unique(np.linspace(0, n - 1, min(n, points)).round().astype(int))
    return [[float(v) for v in np.asarray(column)[keep]] for column in columns]


def binary_curves(y_true, proba, classes, pos_label=None):
    """ROC and precision-recall curves of the positive class, thinned to at most ``CURVE_POINTS`` points.

    Returns
    -------
    curves : dict
        ``{"roc": {"fpr": [...], "tpr": [...]}, "pr": {"recall": [...], "precision": [...]}}``;
        empty unless both classes occur in ``y_true``.
    """
    positive = _positive_column(classes, pos_label)
    is_positive = np.asarray(y_true) == np.asarray(classes)[positive]
    if is_positive.all() or not is_positive.any():
        return {}
    fpr, tpr, _ = roc_curve(is_positive, proba[:, positive])
    precision, recall, _ = precision_recall_curve(is_positive, proba[:, positive])
    fpr, tpr = _thinned(fpr, tpr)
    recall, precision = _thinned(recall[::-1], precision[::-1])
    return {"roc": {"fpr": fpr, "tpr": tpr}, "pr": {"recall": recall, "precision": precision}}


def binned_rare_mse(is_rare, p_rare):
    """The PRESTO paper's estimated rare-probability MSE on a test set.

    Rows are sorted by predicted rare-class probability (predictions and outcomes
    together -- the authors' code sorted only one side) and cut into
    ``max(round(n / 100), 10)`` equal-count bins; each row's error is its prediction
    minus the observed rare frequency of its bin, squared, averaged over rows.

    Examples
    --------
    >>> round(binned_rare_mse(np.array([0] * 19 + [1]), np.full(20, 0.05)), 6)
    0.0225
    """
    is_rare, p_rare = np.asarray(is_rare, dtype=np.float64), np.asarray(p_rare, dtype=np.float64)
    order = np.argsort(p_rare, kind="stable")
    n_bins = max(round(len(p_rare) / 100), 10)
    errors = [
        (p_rare[rows] - is_rare[rows].mean()) ** 2 for rows in np.array_split(order, n_bins) if len(rows)
    ]
    return float(np.concatenate(errors).mean())


def ordinal_metrics(y_true, proba, classes, order=None):
    """Metrics of ordinal predictions whose last class is the rare event.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    proba : ndarray of shape (n_samples, n_classes)
        Columns in the order of ``classes``.
    classes : array-like of shape (n_classes,)
        The labels of ``proba``'s columns; from lowest to highest unless ``order`` is given.
    order : array-like of shape (n_classes,), default=None
        The labels from lowest to highest, for a model whose columns are in another
        order (e.g. a logistic regression's sorted labels).

    Returns
    -------
    metrics : dict of str to float
        ``rare_brier``: mean squared error of the last class's probability;
        ``rare_binned_mse``: :func:`binned_rare_mse`; ``rps``: ranked probability score
        (squared errors of the cumulative probabilities, averaged over the ``K - 1``
        boundaries and the rows); ``mae_rank``: mean absolute error, in classes, of the
        predicted median class.

    Examples
    --------
    >>> m = ordinal_metrics([0, 2], [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], [0, 1, 2])
    >>> round(m["rps"], 4), m["mae_rank"]
    (0.0675, 0.0)
    >>> ordinal_metrics(["b", "c"], [[0.2, 0.7, 0.1], [0.3, 0.1, 0.6]], ["a", "b", "c"], order=["b", "a", "c"]) == m
    True
    """
    classes = np.asarray(classes)
    proba = np.asarray(proba, dtype=np.float64)
    if order is not None:
        column = {label: j for j, label in enumerate(classes.tolist())}
        if sorted(map(str, order)) != sorted(map(str, column)) or len(order) != len(column):
            raise DataError(f"the class order {list(order)!r} must name each of the model's classes "
                            f"({classes.tolist()!r}) once")
        proba = proba[:, [column[label] for label in order]]
        classes = np.asarray(order)
    position = {label: code for code, label in enumerate(classes.tolist())}
    try:
        codes = np.array([position[label] for label in np.asarray(y_true).tolist()])
    except KeyError as exc:
        raise DataError(f"label {exc.args[0]!r} was not seen when the model was fitted") from None
    is_rare = codes == len(classes) - 1
    cumulative = np.cumsum(proba, axis=1)
    observed = codes[:, None] <= np.arange(len(classes) - 1)
    median = (cumulative >= 0.5).argmax(axis=1)
    return {
        "rare_brier": float(np.mean((is_rare - proba[:, -1]) ** 2)),
        "rare_binned_mse": binned_rare_mse(is_rare, proba[:, -1]),
        "rps": float(np.mean((cumulative[:, :-1] - observed) ** 2)),
        "mae_rank": float(np.mean(np.abs(median - codes))),
    }


def confusion_metric(metric, y_true, y_pred, classes, beta=1.0):
    """The hard counterpart of an AnyLoss metric on predicted labels.

    Binary problems use the confusion matrix of ``classes[1]``; more classes the macro
    average of one-vs-rest matrices -- exactly what AnyLoss optimises, evaluated by the
    same formulas (:mod:`distilkit.estimators.anyloss.confusion`) on 0/1 predictions.

    Examples
    --------
    >>> round(confusion_metric("gmean", [0, 0, 1, 1], [0, 1, 1, 1], [0, 1]), 4)
    0.7071
    """
    from distilkit.estimators.anyloss.confusion import (
        soft_confusion_matrix,
        soft_metric,
    )

    y_true, y_pred, classes = np.asarray(y_true), np.asarray(y_pred), np.asarray(classes)
    if len(classes) == 2:
        truth, predicted = y_true == classes[1], y_pred == classes[1]
    else:
        truth, predicted = y_true[None, :] == classes[:, None], y_pred[None, :] == classes[:, None]
    counts = soft_confusion_matrix(truth, predicted * 1.0)
    return float(np.mean(soft_metric(metric, *counts, beta=beta, eps=1e-12)))


def optimised_metric(estimator, y_true, y_pred):
    """``{"<metric> (optimised)": value}`` for estimators that name the metric they are trained on, else ``{}``.

    An estimator names it with an ``optimised_metric`` attribute: ``(metric, beta)`` or None
    (see :attr:`distilkit.AnyLossClassifier.optimised_metric`).
    """
    named = getattr(estimator, "optimised_metric", None)
    if named is None:
        return {}
    metric, beta = named
    return {f"{metric} (optimised)": confusion_metric(metric, y_true, y_pred, estimator.classes_, beta=beta)}
