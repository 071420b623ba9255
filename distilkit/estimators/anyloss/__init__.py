"""AnyLoss: a network trained on a differentiable confusion matrix (F1, G-mean, MCC, ...)."""

from distilkit.estimators.anyloss.classifier import AnyLossClassifier

__all__ = ["AnyLossClassifier"]
