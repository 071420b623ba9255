"""Confusion-matrix metrics of soft (or hard) predictions, for numpy arrays and torch tensors alike.

The formulas AnyLoss trains on (:mod:`distilkit.estimators.anyloss.loss`) and the evaluation of
the metric an estimator optimised (:func:`distilkit.evaluation.metrics.confusion_metric`) are one
code: arithmetic only, so a tensor keeps its gradient and an array needs no torch.
"""

__all__ = ["METRICS", "soft_confusion_matrix", "soft_metric"]


def soft_confusion_matrix(y_true, y_soft):
    """Soft TP, FN, FP, TN summed over the batch (last dimension is the batch).

    Parameters
    ----------
    y_true : array or tensor of 0/1 values, shape (..., n)
    y_soft : array or tensor in [0, 1], same shape

    Returns
    -------
    tp, fn, fp, tn : arrays or tensors of shape (...)

    Examples
    --------
    >>> import numpy as np
    >>> soft_confusion_matrix(np.array([1, 1, 0, 0]), np.array([1.0, 0.0, 1.0, 0.0]))
    (np.float64(1.0), np.float64(1.0), np.float64(1.0), np.float64(1.0))
    """
    y_true = y_true * 1.0  # 0/1 labels of any dtype as floating point
    # Three reductions instead of four products: the counts are linear in y_soft.
    tp = (y_true * y_soft).sum(-1)
    positives = y_true.sum(-1)
    predicted = y_soft.sum(-1)
    fn = positives - tp
    fp = predicted - tp
    tn = y_soft.shape[-1] - positives - fp
    return tp, fn, fp, tn


def _accuracy(tp, fn, fp, tn, eps, beta):
    return (tp + tn) / (tp + fn + fp + tn + eps)


def _fbeta(tp, fn, fp, tn, eps, beta):
    b2 = beta**2
    return (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp + eps)


def _gmean(tp, fn, fp, tn, eps, beta):
    # eps inside the sqrt keeps its gradient finite when a rate is exactly 0.
    return (tp / (tp + fn + eps) * tn / (tn + fp + eps) + eps) ** 0.5


def _balanced_accuracy(tp, fn, fp, tn, eps, beta):
    return 0.5 * (tp / (tp + fn + eps) + tn / (tn + fp + eps))


def _mcc(tp, fn, fp, tn, eps, beta):
    denominator = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)
    return (tp * tn - fp * fn) / (denominator + eps) ** 0.5


#: Metric name -> function of (TP, FN, FP, TN, eps, beta).
METRICS = {
    "accuracy": _accuracy,
    "f1": _fbeta,
    "fbeta": _fbeta,
    "gmean": _gmean,
    "balanced_accuracy": _balanced_accuracy,
    "mcc": _mcc,
}


def soft_metric(metric, tp, fn, fp, tn, *, beta=1.0, eps=1e-7):
    """Evaluate a named metric (or a callable on ``tp, fn, fp, tn``) on soft counts."""
    if callable(metric):
        return metric(tp, fn, fp, tn)
    return METRICS[metric](tp, fn, fp, tn, eps, 1.0 if metric == "f1" else beta)
