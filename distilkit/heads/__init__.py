"""Closed-form classification heads for frozen embeddings."""

from distilkit.heads.naive_bayes import NaiveBayesHead

__all__ = ["NaiveBayesHead"]
