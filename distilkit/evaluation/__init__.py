"""Evaluation: metrics, scoring a model on a labelled table, cross-validation and threshold tuning."""

from distilkit.evaluation.evaluate import evaluate_table, labels_fingerprint
from distilkit.evaluation.metrics import LOWER_IS_BETTER
from distilkit.evaluation.model_selection import (
           GridResult,
           check_scorer_name,
           fit_model,
           grid_search,
)

__all__ = ["GridResult", "LOWER_IS_BETTER", "check_scorer_name", "evaluate_table", "fit_model", "grid_search",
           "labels_fingerprint"]
