"""Evaluating a fitted model on a labelled raw table: the numbers, the per-class view and the plot data."""

import hashlib
import time

import numpy as np
import pandas as pd

from distilkit.estimators.decision import (
    decision_threshold,
    labels_from_proba,
    positive_label,
)
from distilkit.evaluation.metrics import (
    binary_curves,
    classification_metrics,
    confusion_counts,
    optimised_metric,
    ordinal_metrics,
    per_class_metrics,
    positive_class_calibration,
    reliability_bins,
)
from distilkit.exceptions import located
from distilkit.inference.scoring import checked_proba, final_step_input
from distilkit.io import labels_like_target, target_vector


def labels_fingerprint(y):
    """A short hash of the labels in row order: runs with the same one were scored on the same rows.

    Examples
    --------
    >>> labels_fingerprint(["a", "b"]) == labels_fingerprint(np.array(["a", "b"]))
    True
    >>> labels_fingerprint(["a", "b"]) == labels_fingerprint(["b", "a"])
    False
    """
    hashes = pd.util.hash_pandas_object(pd.Series(np.asarray(y).astype(str)), index=False).to_numpy()
    return hashlib.sha256(hashes.tobytes()).hexdigest()[:16]


def evaluate_table(model, frame, target, *, threshold=None, pos_label=None, order=None, ordinal=False,
                   where="table"):
    """Score ``model`` on a labelled raw table: metrics, per-class results, confusion matrix, curves.

    Parameters
    ----------
    model : fitted table model (see :func:`distilkit.inference.table_model`)
    frame : pandas.DataFrame
        Raw rows with the model's input columns and ``target``.
    target : str
        The label column.
    threshold : float, default=None
        Binary models: predict the positive class where its probability is at least this
        (default: the model's own decision rule).
    pos_label : label, default=None
        Binary models: the positive class of ``precision``/``recall``/``f1``, the curves
        and ``threshold`` (default: the model's own, else ``classes_[1]``).
    order : str or sequence of labels, default=None
        The classes from lowest to highest (``"low,mid,high"`` names them as text): adds :func:`~distilkit.evaluation.metrics.ordinal_metrics`.
    ordinal : bool, default=False
        Add the ordinal metrics in the model's own class order.
    where : str, default="table"
        Names the table in error messages.

    Returns
    -------
    metrics : dict of str to float
        :func:`~distilkit.evaluation.metrics.classification_metrics`, ``rows/s`` (raw rows to
        probabilities), the optimised metric of AnyLoss models and the ordinal metrics.
    details : dict
        ``classes``; ``per_class`` (label -> precision, recall, f1, support);
        ``confusion_matrix`` (``labels`` and ``counts``, rows true, columns predicted);
        ``curves`` (``reliability``, and for binary models ``roc``, ``pr`` and the positive
        class's ``calibration``);
        ``pos_label`` (the positive class of the binary metrics and curves, else None);
        ``decision`` (the rule that gave the labels: ``pos_label`` where its probability
        is at least ``threshold``; None where not binary);
        ``labels_fingerprint`` (see :func:`labels_fingerprint`).
    """
    y = target_vector(frame, target)
    start = time.perf_counter()
    with located(where):
        estimator, features = final_step_input(model, frame)
        proba = checked_proba(estimator, features)
    seconds = time.perf_counter() - start
    classes = estimator.classes_
    own = decision_threshold(estimator)
    positive = None
    if len(classes) == 2:
        positive = positive_label(classes, pos_label if pos_label is not None else own[1] if own else None)
    elif pos_label is not None:
        positive_label(classes, pos_label)  # refuses a positive label for a model with more classes
    y_pred = labels_from_proba(estimator, proba, threshold=threshold,
                               pos_label=positive if threshold is not None else None)
    metrics = classification_metrics(y, proba, classes, y_pred=y_pred, pos_label=positive)
    metrics["rows/s"] = len(y) / max(seconds, 1e-9)
    metrics.update(optimised_metric(estimator, y, y_pred))
    if order is not None:
        metrics.update(ordinal_metrics(y, proba, classes, order=labels_like_target(order, y)))
    elif ordinal:
        metrics.update(ordinal_metrics(y, proba, classes))
    labels = np.asarray(classes).tolist()
    if positive is None:
        rule = {"threshold": None, "pos_label": None}
    elif threshold is not None:
        rule = {"threshold": float(threshold), "pos_label": positive}
    elif own is not None:
        rule = {"threshold": own[0], "pos_label": own[1]}
    else:  # the most probable class
        rule = {"threshold": 0.5, "pos_label": positive}
    details = {
        "classes": labels,
        "per_class": per_class_metrics(y, y_pred, classes),
        "confusion_matrix": {"labels": labels, "counts": confusion_counts(y, y_pred, classes)},
        "curves": {"reliability": reliability_bins(y, proba, classes),
                   **({**binary_curves(y, proba, classes, positive),
                       "calibration": positive_class_calibration(y, proba, classes, positive)}
                      if positive is not None else {})},
        "pos_label": positive,
        "decision": rule,
        "labels_fingerprint": labels_fingerprint(y),
    }
    return metrics, details


__all__ = ["evaluate_table", "labels_fingerprint"]
