"""What each ``distilkit`` command does, as one Python call on a path or a pandas DataFrame.

The CLI parses its options, makes one of these calls and renders the result; a Python
user makes the same call and gets the same model, metadata and tables::

    from distilkit.persistence import save_model
    from distilkit.workflows import fit_table

    result = fit_table(frame, "logreg", target="deny")      # distilkit fit logreg loans.csv -t deny
    result.model.predict_proba(new_rows)                   # raw rows in, as the CLI's predict
    save_model(result.model, "loans.dkm", metadata=result.metadata)   # = result.save("loans.dkm")

The data path: read (:mod:`distilkit.io`) -> column roles and featurizer
(:mod:`distilkit.features`) -> encoders -> estimator -> model file
(:mod:`distilkit.persistence`) -> batch prediction (:mod:`distilkit.inference`) ->
evaluation -> report.
"""

from distilkit.workflows.distillation import (
           DISTILL_METHODS,
           DistillResult,
           distill_table,
)
from distilkit.workflows.fitting import (
           CrossValidationResult,
           FitResult,
           cross_validate_table,
           fit_table,
)
from distilkit.workflows.reports import Comparison, compare_runs
from distilkit.workflows.scoring import (
           EvaluationResult,
           PredictionResult,
           evaluate_model,
           predict_table,
)

__all__ = ["Comparison", "CrossValidationResult", "DISTILL_METHODS", "DistillResult", "EvaluationResult",
           "FitResult", "PredictionResult", "compare_runs", "cross_validate_table", "distill_table",
           "evaluate_model", "fit_table", "predict_table"]
