"""The distillation loss of a student with ``C * S`` subclass outputs (torch)."""

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["DistillationLoss", "class_log_proba_from_subclasses", "class_proba_from_subclasses"]


def class_log_proba_from_subclasses(logits, n_subclasses):
    """``log sum_s softmax(u)[c, s]``: class log-probabilities of subclass logits ``(N, C * S)``."""
    n = logits.shape[0]
    return torch.logsumexp(logits.reshape(n, -1, n_subclasses), dim=2) - torch.logsumexp(logits, dim=1, keepdim=True)


def class_proba_from_subclasses(logits, n_subclasses):
    """skorch ``predict_nonlinearity``: a class's probability is the sum of its subclasses'."""
    return torch.exp(class_log_proba_from_subclasses(logits, n_subclasses))


class DistillationLoss(nn.Module):
    """``(1 - alpha) * tau^2 * CE(targets, softmax(u / tau)) + alpha * CE(y, class probabilities)``.

    The target tensor packs the soft targets over the ``C * S`` subclass outputs and, in
    its last column, the class index of labelled rows (``-1`` for unlabelled ones); the
    label term averages over labelled rows only. ``tau^2`` keeps the soft term's
    gradients on the scale of the label term (Hinton et al., 2015).

    Parameters
    ----------
    n_subclasses : int
    temperature : float
    alpha : float in [0, 1]
    """

    def __init__(self, n_subclasses=1, temperature=1.0, alpha=0.0):
        super().__init__()
        self.n_subclasses = n_subclasses
        self.temperature = temperature
        self.alpha = alpha

    def forward(self, logits, target):
        soft, labels = target[:, :-1], target[:, -1].long()
        # Zero, but on the graph: a batch without labelled rows must still back-propagate.
        loss = logits.sum() * 0.0
        if self.alpha < 1:
            log_q = F.log_softmax(logits / self.temperature, dim=1)
            loss = loss + (1 - self.alpha) * self.temperature**2 * -(soft * log_q).sum(dim=1).mean()
        labelled = labels >= 0
        if self.alpha > 0 and labelled.any():
            log_p = class_log_proba_from_subclasses(logits[labelled], self.n_subclasses)
            loss = loss + self.alpha * F.nll_loss(log_p, labels[labelled])
        return loss
