"""Cross-validating a model on a table: stratified k-fold, a parameter grid, optional threshold tuning.

A thin layer over :class:`~sklearn.model_selection.GridSearchCV`: the scorer knows the
positive class of binary problems, errors in a fold are raised (never scored as NaN),
and a tuned decision threshold is evaluated inside each fold (nested) and, when the
best setting is refitted, stored as a :class:`~sklearn.model_selection.FixedThresholdClassifier`.
"""

from dataclasses import dataclass, field

import numpy as np

from distilkit.estimators.decision import positive_label
from distilkit.exceptions import DataError
from distilkit.features.featurizer import ESTIMATOR_STEP, estimator_params

#: Scorers whose metric needs to know the positive class of a binary problem.
_POSITIVE_CLASS_METRICS = {
    "f1": ("f1_score", "predict"),
    "precision": ("precision_score", "predict"),
    "recall": ("recall_score", "predict"),
    "jaccard": ("jaccard_score", "predict"),
    "average_precision": ("average_precision_score", "predict_proba"),
}


def binary_scorer(scoring, pos_label):
    """A scikit-learn scorer for ``scoring`` (a scorer name) that knows the positive class.

    scikit-learn's ``"f1"``, ``"precision"``... scorers assume the positive label is 1,
    which fails for string labels; these are rebuilt with ``pos_label``. Other names
    are returned as they are.

    Examples
    --------
    >>> binary_scorer("f1", "yes")
    make_scorer(f1_score, response_method='predict', pos_label=yes)
    >>> binary_scorer("roc_auc", "yes")
    'roc_auc'
    """
    from sklearn import metrics

    if scoring not in _POSITIVE_CLASS_METRICS:
        return scoring
    function, response = _POSITIVE_CLASS_METRICS[scoring]
    return metrics.make_scorer(getattr(metrics, function), response_method=response, pos_label=pos_label)


def threshold_tuner(estimator, scoring, pos_label, *, cv=5, random_state=None):
    """An unfitted :class:`~sklearn.model_selection.TunedThresholdClassifierCV` maximising ``scoring``.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
    scoring : str
        A scorer name (``"f1"``, ``"balanced_accuracy"``, ``"recall"``...).
    pos_label : label
        The positive class (see :func:`positive_label`).
    cv : int or cross-validation generator, default=5
    random_state : int, default=None
    """
    from sklearn.model_selection import TunedThresholdClassifierCV

    return TunedThresholdClassifierCV(estimator, scoring=binary_scorer(scoring, pos_label),
                                      response_method="predict_proba", cv=cv, random_state=random_state)


def frozen_threshold(tuner, X, y, *, scoring, pos_label):
    """A fitted tuner as a :class:`~sklearn.model_selection.FixedThresholdClassifier` of its frozen model.

    It predicts the same labels and a model file stores it with scikit-learn's trusted
    types (a tuner holds scorer objects). ``X, y`` are the tuner's training rows: a
    frozen model's ``fit`` only checks the labels. ``scoring`` and ``pos_label`` are those
    the tuner was built with (:func:`threshold_tuner`).

    Returns
    -------
    model : fitted FixedThresholdClassifier
    tuning : dict
        ``threshold``, ``pos_label``, ``scoring`` (the tuner's metric) and ``score`` (its
        cross-validated value at the chosen threshold).
    """
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import FixedThresholdClassifier

    positive = positive_label(tuner.classes_, pos_label)
    model = FixedThresholdClassifier(FrozenEstimator(tuner.estimator_), threshold=float(tuner.best_threshold_),
                                     pos_label=positive, response_method="predict_proba").fit(X, y)
    return model, {"threshold": float(tuner.best_threshold_), "pos_label": positive, "scoring": scoring,
                   "score": float(tuner.best_score_)}




def check_scorer_name(name, what="scoring"):
    """Refuse a name that is not one of scikit-learn's scorers, with a short list of the usual ones."""
    from sklearn.metrics import get_scorer_names

    if name is not None and name not in get_scorer_names():
        raise DataError(f"{what}: unknown metric {name!r} (e.g. accuracy, balanced_accuracy, f1, f1_macro, recall, "
                        "precision, roc_auc, average_precision, neg_log_loss; all: "
                        "sklearn.metrics.get_scorer_names())")
    return name


@dataclass
class GridResult:
    """The cross-validated settings of a grid, best first in ``best``.

    Attributes
    ----------
    rows : list of dict
        One per setting, in grid order: ``params`` (estimator parameters), ``mean``,
        ``std`` and ``scores`` (one per fold) of the test score, and ``rank``.
    best : int
        Index in ``rows`` of the setting with the highest mean score (first on ties).
    scoring : str
        The scorer's name.
    pos_label : label or None
        The positive class of a binary problem.
    model : fitted Pipeline or None
        The best setting refitted on every row (with ``refit=True``).
    tuning : dict or None
        The refitted model's decision threshold (see
        :func:`distilkit.estimators.decision.frozen_threshold`).
    """

    rows: list
    best: int
    scoring: str
    pos_label: object = None
    model: object = None
    tuning: dict = field(default=None)


def grid_search(pipeline, X, y, grid=None, *, folds=5, scoring=None, pos_label=None, tune_threshold=None,
                random_state=0, refit=False):
    """Stratified k-fold cross-validation of ``pipeline`` over a grid of its estimator's parameters.

    Parameters
    ----------
    pipeline : Pipeline
        Unfitted; its final step is named ``"estimator"``.
    X : DataFrame or array-like
    y : array-like of shape (n_samples,)
    grid : dict of str to list, default=None
        Estimator parameter -> the values to try (all combinations). None or single
        values cross-validate one setting.
    folds : int, default=5
        Stratified folds, shuffled with ``random_state``.
    scoring : str, default=None
        A scikit-learn scorer name (default: accuracy). ``"f1"``, ``"precision"``,
        ``"recall"``, ``"jaccard"`` and ``"average_precision"`` use ``pos_label``.
    pos_label : label, default=None
        The positive class of a binary problem (default: the second of the sorted labels).
    tune_threshold : str, default=None
        A scorer name: wrap the estimator in
        :class:`~sklearn.model_selection.TunedThresholdClassifierCV` maximising it, so each
        fold tunes its threshold on its own training rows (binary problems only).
    random_state : int, default=0
        Seeds the folds (and the tuner's).
    refit : bool, default=False
        Refit the best setting on every row (``GridResult.model``).

    Returns
    -------
    GridResult

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import Pipeline
    >>> X, y = load_iris(return_X_y=True)
    >>> result = grid_search(Pipeline([("estimator", LogisticRegression(max_iter=500))]), X, y,
    ...                      {"C": [0.01, 1.0]}, folds=3)
    >>> [row["params"] for row in result.rows], result.rows[result.best]["params"]
    ([{'C': 0.01}, {'C': 1.0}], {'C': 1.0})
    """
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    check_scorer_name(scoring)
    check_scorer_name(tune_threshold, "tune_threshold")
    y = np.asarray(y)
    labels = np.unique(y)
    if labels.size < 2:
        raise DataError("cross-validation needs at least two classes in the target")
    smallest = int(np.unique(y, return_counts=True)[1].min())
    if smallest < folds:
        raise DataError(f"the rarest class has {smallest} row(s), fewer than the {folds} folds: "
                        "use fewer folds or more rows")
    binary = labels.size == 2
    if scoring in _POSITIVE_CLASS_METRICS and not binary:
        raise DataError(f"scoring {scoring!r} scores one positive class (average='binary'), and the target has "
                        f"{labels.size} classes: use {scoring}_macro or another average")
    positive = positive_label(labels, pos_label) if binary or pos_label is not None else None
    searched = clone(pipeline)
    prefix = f"{ESTIMATOR_STEP}__"
    if tune_threshold is not None:
        searched.set_params(**{ESTIMATOR_STEP: _tuner(searched, y, tune_threshold, positive, folds, random_state)})
        prefix += "estimator__"  # the tuner's own parameter naming the model it wraps
    grid = {prefix + key: list(values) for key, values in (grid or {}).items()}
    search = GridSearchCV(searched, grid or {}, scoring=binary_scorer(scoring, positive) if binary else scoring,
                          cv=StratifiedKFold(folds, shuffle=True, random_state=random_state), refit=False,
                          error_score="raise")
    search.fit(X, y)
    results = search.cv_results_
    rows = [{"params": {key[len(prefix):]: _plain(value) for key, value in params.items()},
             "mean": float(results["mean_test_score"][i]), "std": float(results["std_test_score"][i]),
             "scores": [float(results[f"split{k}_test_score"][i]) for k in range(folds)],
             "rank": int(results["rank_test_score"][i])}
            for i, params in enumerate(results["params"])]
    if not all(np.isfinite(row["mean"]) for row in rows):
        raise DataError("a cross-validated score is not finite; choose another scoring")
    result = GridResult(rows=rows, best=int(search.best_index_), scoring=scoring or "accuracy", pos_label=positive)
    if refit:
        best = clone(pipeline).set_params(**estimator_params(rows[result.best]["params"]))
        result.model, result.tuning = fit_model(best, X, y, tune_threshold=tune_threshold, pos_label=positive,
                                                folds=folds, random_state=random_state)
    return result


def _tuner(pipeline, y, scoring, pos_label, folds, random_state):
    labels = np.unique(np.asarray(y))
    if labels.size != 2:
        raise DataError(f"threshold tuning needs two classes; the target has {labels.size}")
    return threshold_tuner(pipeline.named_steps[ESTIMATOR_STEP], scoring, positive_label(labels, pos_label),
                           cv=folds, random_state=random_state)


def fit_model(pipeline, X, y, *, tune_threshold=None, pos_label=None, folds=5, random_state=0):
    """Fit ``pipeline``; with ``tune_threshold``, its binary decision threshold too.

    Parameters
    ----------
    pipeline : Pipeline
        Unfitted; its final step is named ``"estimator"``.
    X, y : training data
    tune_threshold : str, default=None
        A scorer name: the threshold maximising it in ``folds``-fold cross-validation
        (:class:`~sklearn.model_selection.TunedThresholdClassifierCV`) is kept in a
        :class:`~sklearn.model_selection.FixedThresholdClassifier` final step.
    pos_label : label, default=None
        The positive class (default: the second of the sorted labels).
    folds : int, default=5
    random_state : int, default=0

    Returns
    -------
    model : fitted Pipeline
    tuning : dict or None
        See :func:`distilkit.estimators.decision.frozen_threshold`.
    """
    if tune_threshold is None:
        return pipeline.fit(X, y), None
    pipeline.set_params(**{ESTIMATOR_STEP: _tuner(pipeline, y, tune_threshold, pos_label, folds, random_state)})
    positive = positive_label(np.unique(np.asarray(y)), pos_label)
    pipeline.fit(X, y)
    features = pipeline[:-1].transform(X) if len(pipeline) > 1 else X
    fixed, tuning = frozen_threshold(pipeline.named_steps[ESTIMATOR_STEP], features, y, scoring=tune_threshold,
                                     pos_label=positive)
    pipeline.steps[-1] = (ESTIMATOR_STEP, fixed)
    return pipeline, tuning


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


__all__ = ["GridResult", "binary_scorer", "check_scorer_name", "fit_model", "frozen_threshold", "grid_search",
           "threshold_tuner"]
