"""Batch scoring: a fitted model and raw table batches in, prediction tables out."""

import numpy as np

from distilkit.exceptions import DataError
from distilkit.featurizer import prepare_table
from distilkit.thresholds import labels_from_proba

PREDICTION_COLUMN = "prediction"


def output_columns(classes, *, proba=False):
    """The columns :func:`prediction_frame` adds: the prediction, then ``proba_<class>`` per class."""
    return [PREDICTION_COLUMN, *([f"proba_{label}" for label in classes] if proba else [])]


def checked_proba(model, X, where="table"):
    """``model.predict_proba(X)``, refusing non-finite probabilities instead of writing them."""
    probabilities = np.asarray(model.predict_proba(X), dtype=np.float64)
    if not np.isfinite(probabilities).all():
        row = int(np.flatnonzero(~np.isfinite(probabilities).all(axis=1))[0])
        raise DataError(f"{where}: the model gives non-finite probabilities (first at row {row + 1}); "
                        "its inputs or weights are out of range")
    return probabilities


def final_step_input(model, X):
    """The model's final estimator and its input: ``X`` featurized once, for several calls on it."""
    from distilkit.model_files import final_estimator

    estimator = final_estimator(model)
    return estimator, (X if estimator is model else model[:-1].transform(X))


def prediction_frame(model, frame, roles, *, passthrough=(), proba=False, threshold=None, pos_label=None,
                     where="table"):
    """Predictions for one table batch.

    Parameters
    ----------
    model : fitted classifier or Pipeline with ``predict_proba``
    frame : pandas.DataFrame
        Raw rows: the model's input columns (see :func:`distilkit.featurizer.prepare_table`)
        and any passthrough columns.
    roles : list of dict
        The model's column roles.
    passthrough : sequence of str
        Columns copied to the output first (ids).
    proba : bool
        Add one ``proba_<class>`` column per class.
    threshold : float, default=None
        For a binary model: predict ``pos_label`` where its probability is at least this
        (default: the model's own decision rule).
    pos_label : label, default=None
        The class ``threshold`` applies to (see :func:`distilkit.thresholds.labels_from_proba`).
    where : str
        Names the table in error messages.

    Returns
    -------
    pandas.DataFrame
    """
    X = prepare_table(frame, roles, where=where)
    out = frame[list(passthrough)].reset_index(drop=True)
    estimator, features = final_step_input(model, X)
    probabilities = checked_proba(estimator, features, where)
    # Labels from the same probabilities: one forward pass, and the estimator's own threshold kept.
    out[PREDICTION_COLUMN] = labels_from_proba(estimator, probabilities, threshold=threshold, pos_label=pos_label)
    if proba:
        for name, column in zip(output_columns(model.classes_, proba=True)[1:], probabilities.T):
            out[name] = column
    return out


def score_batches(model, batches, roles, **options):
    """Yield :func:`prediction_frame` for each batch of an iterable of DataFrames."""
    for frame in batches:
        yield prediction_frame(model, frame, roles, **options)


__all__ = ["PREDICTION_COLUMN", "checked_proba", "final_step_input", "output_columns", "prediction_frame",
           "score_batches"]
