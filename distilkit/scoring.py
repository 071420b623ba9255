"""Batch scoring: turn a fitted classifier and table batches into prediction tables."""

from distilkit.io import feature_matrix


def prediction_frame(estimator, frame, features, *, passthrough=(), proba=False, prediction_column="prediction"):
    """Predictions for one table batch.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba``
    frame : pandas.DataFrame
    features : list of str
        Feature columns, in the order the model expects.
    passthrough : sequence of str
        Columns copied to the output first (ids).
    proba : bool
        Add one ``proba_<class>`` column per class.

    Returns
    -------
    pandas.DataFrame
    """
    X = feature_matrix(frame, features)
    out = frame[list(passthrough)].reset_index(drop=True)
    # predict() rather than argmax(proba): estimators may apply a decision threshold.
    out[prediction_column] = estimator.predict(X)
    if proba:
        probabilities = estimator.predict_proba(X)
        for j, label in enumerate(estimator.classes_):
            out[f"proba_{label}"] = probabilities[:, j]
    return out


def score_batches(estimator, batches, features, **options):
    """Yield :func:`prediction_frame` for each batch of an iterable of DataFrames."""
    for frame in batches:
        yield prediction_frame(estimator, frame, features, **options)


__all__ = ["prediction_frame", "score_batches"]
