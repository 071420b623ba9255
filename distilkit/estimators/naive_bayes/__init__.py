"""Closed-form classification heads for frozen embeddings."""

from distilkit.estimators.naive_bayes.head import NaiveBayesHead

__all__ = ["NaiveBayesHead"]
