"""AnyLoss: classification metrics turned into differentiable losses.

Han, Moniz and Chawla, "AnyLoss: Transforming Classification Metrics into Loss
Functions" (KDD 2024, arXiv:2405.14745). A predicted probability ``p`` is pushed
towards 0/1 by the amplifier ``A(p) = sigmoid(L * (p - 0.5))``; the soft confusion
matrix of the batch is built from ``A(p)``; the loss is ``1 - metric``.

Deviations from the authors' code, on purpose:

* ``N`` is the batch size. The original uses the training-set size while summing over
  the mini-batch, which mis-scales accuracy and makes G-mean and balanced accuracy
  inconsistent for mini-batch training.
* Every denominator is guarded by ``eps``, so a batch without positives (or without
  negatives) gives a finite loss and finite gradients.
* Multi-class (an extension, not in the paper): each class gets its own sigmoid
  output, read as the one-vs-rest probability of that class, and the metric is
  macro-averaged over the one-vs-rest soft confusion matrices. Softmax probabilities
  would not do: they start near ``1/K``, where ``A`` (centred on 0.5) is flat for
  ``K > 2`` and training stalls.

On the amplifier scale ``L``: the paper recommends 73; the authors' later experiments
use 30 and report training collapsing to all-negative or all-positive predictions for
some ``L >= 50`` with Adam at ``lr >= 1e-3``, because ``dA/dp = L A (1 - A)`` is large
near 0.5 and vanishing elsewhere. Lower ``L`` is smoother; higher ``L`` is closer to
the hard metric.
"""

import torch
from torch import nn

from distilkit.estimators.anyloss.confusion import (
    METRICS,
    soft_confusion_matrix,
    soft_metric,
)

__all__ = ["AnyLoss", "METRICS", "amplify", "soft_confusion_matrix", "soft_metric"]


def amplify(proba, amplifier):
    """``A(p) = sigmoid(L * (p - 0.5))``: a soft, never saturated, 0/1 prediction."""
    return torch.sigmoid(amplifier * (proba - 0.5))


class AnyLoss(nn.Module):
    """``1 - metric`` on the amplified soft confusion matrix of a batch.

    Parameters
    ----------
    metric : {"accuracy", "f1", "fbeta", "gmean", "balanced_accuracy", "mcc"} or callable
        A callable receives the soft ``tp, fn, fp, tn`` tensors and returns the metric.
    beta : float, default=1.0
        The F-beta weight of recall (``metric="fbeta"``).
    amplifier : float, default=73.0
        The amplifying scale ``L`` (see the module docstring on its instability).
    eps : float, default=1e-7
        Guard added to every denominator.

    Notes
    -----
    ``forward(logits, target)`` takes logits of shape ``(n, n_classes)`` and integer
    class indices. Binary problems use the paper's single confusion matrix on
    ``softmax(logits)[:, 1]`` (the positive class is column 1); more classes read
    ``sigmoid(logits[:, k])`` as one-vs-rest probabilities and average the metric
    over their confusion matrices.

    Examples
    --------
    >>> import torch
    >>> loss = AnyLoss(metric="f1", amplifier=30.0)
    >>> logits = torch.tensor([[0.0, 4.0], [0.0, -4.0], [0.0, 3.0]], requires_grad=True)
    >>> value = loss(logits, torch.tensor([1, 0, 0]))
    >>> value.backward()
    >>> bool(torch.isfinite(logits.grad).all())
    True
    """

    def __init__(self, metric="f1", beta=1.0, amplifier=73.0, eps=1e-7):
        super().__init__()
        self.metric = metric
        self.beta = beta
        self.amplifier = amplifier
        self.eps = eps

    def forward(self, logits, target):
        n_classes = logits.shape[-1]
        if n_classes == 2:
            # softmax(logits)[:, 1] = sigmoid(z1 - z0), without normalising two columns.
            y_true, y_proba = target.reshape(-1), torch.sigmoid(logits[:, 1] - logits[:, 0])
        else:
            y_true = nn.functional.one_hot(target.reshape(-1).long(), n_classes).T
            y_proba = torch.sigmoid(logits).T
        counts = soft_confusion_matrix(y_true, amplify(y_proba, self.amplifier))
        return 1 - soft_metric(self.metric, *counts, beta=self.beta, eps=self.eps).mean()
