"""Batch scoring: a fitted table model and raw table batches in, prediction tables out.

Everything a scoring run must refuse is checked once, before any row is read, by
:func:`scoring_request`; one process (:func:`score_batches`) and Dask
(:func:`distilkit.inference.dask_scoring.score_files`) then score with the same request.
"""

from dataclasses import dataclass

import numpy as np

from distilkit.estimators.decision import check_decision, labels_from_proba
from distilkit.exceptions import DataError, first_line, located
from distilkit.features import (
    ESTIMATOR_STEP,
    STRING_ROLES,
    TABLE_STEP,
    TableColumns,
    final_estimator,
    model_columns,
)

PREDICTION_COLUMN = "prediction"


def output_columns(classes, *, proba=False):
    """The columns :func:`prediction_frame` adds: the prediction, then ``proba_<class>`` per class."""
    return [PREDICTION_COLUMN, *([f"proba_{label}" for label in classes] if proba else [])]


def checked_proba(model, X):
    """``model.predict_proba(X)``, refusing non-finite probabilities instead of writing them."""
    probabilities = np.asarray(model.predict_proba(X), dtype=np.float64)
    if not np.isfinite(probabilities).all():
        row = int(np.flatnonzero(~np.isfinite(probabilities).all(axis=1))[0])
        raise DataError(f"the model gives non-finite probabilities (first at row {row + 1}); "
                        "its inputs or weights are out of range")
    return probabilities


def final_step_input(model, X):
    """The model's final estimator and its input: ``X`` transformed once, for several calls on it."""
    estimator = final_estimator(model)
    return estimator, (X if estimator is model else model[:-1].transform(X))


def table_model(model, roles):
    """``model`` as a table model, whose first step types raw table columns.

    A table model (:func:`distilkit.features.make_model`) is returned as it is; a model
    fitted on a numeric DataFrame gets a :class:`~distilkit.features.TableColumns` first
    step reading its columns, so every model scores raw rows the same way.

    Parameters
    ----------
    model : fitted estimator or Pipeline
    roles : list of ColumnRole
        The model file's roles (:func:`distilkit.persistence.model_roles`).

    Returns
    -------
    Pipeline
    """
    import pandas as pd
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline) and isinstance(model[0], TableColumns):
        return check_classifier(model)
    table = TableColumns(tuple(roles)).fit(pd.DataFrame({column: [0.0] for column in model_columns(roles)}))
    steps = model.steps if isinstance(model, Pipeline) else [(ESTIMATOR_STEP, model)]
    return check_classifier(Pipeline([(TABLE_STEP, table), *steps]))


def check_classifier(model):
    """``model`` if it is a fitted classifier with probabilities, the kind distilkit scores.

    A model file may hold any estimator skops can rebuild (a regressor, a clusterer, an
    SVC without ``probability=True``): it is refused here, in one line, not at the first
    row it fails to score.

    Raises
    ------
    DataError
        If the model has no ``classes_`` or no ``predict_proba``.
    """
    final = model[-1] if hasattr(model, "steps") else model
    name = type(final).__name__
    if getattr(final, "classes_", None) is None:
        raise DataError(f"the model ({name}) is not a fitted classifier: it has no classes_")
    if not hasattr(model, "predict_proba"):
        raise DataError(f"the model ({name}) has no predict_proba: distilkit scores classifiers with probabilities")
    if isinstance(model[0], TableColumns):
        _probe(model, name)
    return model


def _probe(model, name):
    """Score one row of the model's own columns: a model whose stored state is incomplete fails here, in one line,
    not at the first batch of a run (nor halfway through one)."""
    import warnings

    import pandas as pd

    roles = model[0].roles
    value = {**{column: 0.0 for column in model_columns(roles, "numeric")},
             **{column: "2000-01-01" for column in model_columns(roles, "datetime")}}
    row = pd.DataFrame({column: [value.get(column, "a")] for column in model_columns(roles)})
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            probabilities = checked_proba(model, row)
    except DataError:
        raise
    except Exception as exc:  # whatever a damaged state makes the model's own code raise
        raise DataError(f"the model ({name}) does not run on a row of its own columns ({type(exc).__name__}: "
                        f"{first_line(exc)})") from None
    if probabilities.shape != (1, len(final_estimator(model).classes_)):
        raise DataError(f"the model ({name}) gives {probabilities.shape[1:]} probabilities per row for "
                        f"{len(final_estimator(model).classes_)} classes")


@dataclass(frozen=True)
class ScoringRequest:
    """What a scoring run reads and writes, checked against the model (see :func:`scoring_request`).

    Attributes
    ----------
    inputs : list of str
        The model's input columns.
    strings : list of str
        Input columns to read as text whatever they look like (``STRING_ROLES``).
    passthrough : list of str
        Columns copied to the output first (ids).
    proba : bool
        Add one ``proba_<class>`` column per class.
    threshold : float or None
        A binary model's decision threshold (None: the model's own rule).
    pos_label : label or None
        The class ``threshold`` applies to.
    """

    inputs: list
    strings: list
    passthrough: list
    proba: bool = False
    threshold: float = None
    pos_label: object = None

    @property
    def columns(self):
        """Every column to read: the inputs, then the passthrough columns not among them."""
        return list(dict.fromkeys(self.inputs + self.passthrough))

    def check_columns(self, available, where):
        """Refuse a table that lacks a column to read."""
        absent = [column for column in self.columns if column not in available]
        if absent:
            role = "id" if absent[0] in self.passthrough and absent[0] not in self.inputs else "model input"
            raise DataError(f"{role} column {absent[0]!r} not found in {where} ({len(absent)} missing)")


def scoring_request(classes, roles, *, passthrough=(), proba=False, threshold=None, pos_label=None):
    """Check a scoring run against a model before any row is read.

    Parameters
    ----------
    classes : sequence
        The model's classes.
    roles : list of ColumnRole
        The model's column roles.
    passthrough : sequence of str, default=()
        Columns copied to the output first (duplicates dropped).
    proba : bool, default=False
    threshold, pos_label : default=None
        A decision threshold for a binary model (see
        :func:`distilkit.estimators.decision.check_decision`).

    Returns
    -------
    ScoringRequest

    Raises
    ------
    DataError
        If the decision cannot apply to the model, or a passthrough column has the name
        of an output column.
    """
    check_decision(classes, threshold, pos_label)
    passthrough = list(dict.fromkeys(passthrough))
    clash = set(passthrough) & set(output_columns(classes, proba=proba))
    if clash:
        raise DataError(f"id column {sorted(clash)[0]!r} has the name of an output column; rename it")
    return ScoringRequest(inputs=model_columns(roles), strings=model_columns(roles, STRING_ROLES),
                          passthrough=passthrough, proba=proba, threshold=threshold, pos_label=pos_label)


def prediction_frame(model, frame, request, *, where="table"):
    """Predictions for one table batch.

    Parameters
    ----------
    model : fitted table model (see :func:`table_model`)
    frame : pandas.DataFrame
        Raw rows: the model's input columns and the request's passthrough columns.
    request : ScoringRequest
    where : str
        Names the table in error messages.

    Returns
    -------
    pandas.DataFrame
        The passthrough columns, ``prediction`` and, with ``request.proba``, one
        ``proba_<class>`` column per class.
    """
    out = frame[request.passthrough].reset_index(drop=True)
    with located(where):
        estimator, features = final_step_input(model, frame)
        probabilities = checked_proba(estimator, features)
    # Labels from the same probabilities: one forward pass, and the estimator's own threshold kept.
    out[PREDICTION_COLUMN] = labels_from_proba(estimator, probabilities, threshold=request.threshold,
                                               pos_label=request.pos_label)
    if request.proba:
        for name, column in zip(output_columns(model.classes_, proba=True)[1:], probabilities.T):
            out[name] = column
    return out


def score_batches(model, batches, request, *, where="table"):
    """Yield :func:`prediction_frame` for each batch of an iterable of DataFrames."""
    for frame in batches:
        yield prediction_frame(model, frame, request, where=where)


__all__ = ["PREDICTION_COLUMN", "ScoringRequest", "checked_proba", "final_step_input", "output_columns",
           "prediction_frame", "score_batches", "scoring_request", "table_model"]
