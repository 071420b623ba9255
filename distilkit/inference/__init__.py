"""Batch prediction: scoring raw tables with a fitted model, in this process or on Dask."""

from distilkit.inference.dask_scoring import score_files
from distilkit.inference.scoring import (
    PREDICTION_COLUMN,
    ScoringRequest,
    check_classifier,
    output_columns,
    prediction_frame,
    score_batches,
    scoring_request,
    table_model,
)

__all__ = ["PREDICTION_COLUMN", "ScoringRequest", "check_classifier", "output_columns", "prediction_frame",
           "score_batches", "score_files", "scoring_request", "table_model"]
