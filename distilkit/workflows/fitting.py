"""Fitting and cross-validating an estimator on a raw labelled table (``distilkit fit`` and ``distilkit cv``)."""

import time
from dataclasses import dataclass, field

from distilkit.evaluation.model_selection import (
    check_scorer_name,
    fit_model,
    grid_search,
)
from distilkit.exceptions import DataError
from distilkit.features import make_model, model_columns
from distilkit.persistence import save_model
from distilkit.progress import progress_phase
from distilkit.workflows.tables import (
    default_seed,
    on_dask,
    table_estimator,
    training_table,
)


@dataclass
class FitResult:
    """What a fit on a table made.

    Attributes
    ----------
    model : sklearn.pipeline.Pipeline
        The fitted table model: ``model.predict_proba(frame)`` scores raw rows.
    roles : list of ColumnRole
        The role of every column of the training table.
    metadata : dict
        What the model file records about the fit (:meth:`save` writes it).
    summary : list of (str, str)
        The facts ``distilkit fit`` prints: rows, columns, classes, seed, time.
    tuning : dict or None
        The tuned decision threshold (``threshold``, ``pos_label``, ``scoring``, ``score``).
    """

    model: object
    roles: list
    metadata: dict
    summary: list = field(default_factory=list)
    tuning: dict = None

    def save(self, path):
        """Write the model file ``distilkit fit -o`` writes (see :func:`distilkit.persistence.save_model`)."""
        save_model(self.model, path, metadata=self.metadata)


def threshold_metric(value):
    """A ``tune_threshold`` value: one scorer name (a one-element list is unwrapped), or None."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise DataError("tune_threshold takes one metric (e.g. tune_threshold=f1), not a list to search")
        value = value[0]
    if not isinstance(value, str):
        raise DataError(f"tune_threshold must name a metric such as f1 or balanced_accuracy, not {value!r}")
    return check_scorer_name(value, "tune_threshold")


def tuning_rows(tuning):
    """The tuned threshold as summary rows."""
    if not tuning:
        return []
    return [("threshold", f"{tuning['pos_label']} at probability ≥ {tuning['threshold']:.4f} "
                          f"(tuned for {tuning['scoring']}: {tuning['score']:.4f} in CV)")]


def _classes_text(classes):
    return ", ".join(map(str, classes[:10])) + (" ..." if len(classes) > 10 else "")


def fit_table(data, estimator, *, target, features=None, text=(), exclude=(), params=None, tune_threshold=None,
              pos_label=None, dask=None):
    """Fit an estimator on a raw table, as ``distilkit fit`` does.

    Column roles are decided from the table (:func:`distilkit.features.infer_roles`):
    numeric columns are imputed and scaled, string and boolean columns one-hot encoded,
    ``text`` columns TF-IDF encoded, and columns that identify rows left out. The fitted
    model is one Pipeline that takes raw rows.

    Parameters
    ----------
    data : str, path-like or pandas.DataFrame
        The labelled table: a CSV or Parquet file (``"-"``: CSV on stdin) or a DataFrame.
    estimator : str or estimator
        A name from :data:`distilkit.estimators.registry.ESTIMATORS` (``"logreg"``,
        ``"nbhead"``, ``"presto"``...) or an unfitted scikit-learn classifier.
    target : str
        The label column.
    features : str or list of str, default=None
        Feature columns (names or globs such as ``"emb_*"``); default: every column.
    text : str or list of str, default=()
        Columns to encode as text.
    exclude : str or list of str, default=()
        Columns (names or globs) to leave out.
    params : dict, default=None
        Estimator parameters. ``random_state`` defaults to 0 where the estimator has one;
        an ordinal estimator's ``classes`` (the order) may be a comma-separated string.
    tune_threshold : str, default=None
        A scorer name (``"f1"``, ``"balanced_accuracy"``...): also tune a binary model's
        decision threshold for it by 5-fold CV and keep it in the model.
    pos_label : label, default=None
        The positive class ``tune_threshold`` tunes for (default: the second of the sorted labels).
    dask : str, default=None
        Fit on Dask: ``"local"`` or a scheduler address (joblib-parallel fits spread over it).

    Returns
    -------
    FitResult

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.read_csv("tests/data/hmda_sample.csv")
    >>> result = fit_table(frame, "logreg", target="deny")
    >>> result.model.predict_proba(frame.head(2)).shape
    (2, 2)
    >>> result.metadata["random_state"], result.metadata["target"]
    (0, 'deny')
    """
    params = dict(params or {})
    tune = threshold_metric(tune_threshold)
    if pos_label is not None and tune is None:
        raise DataError("pos_label is the class tune_threshold tunes for; without it fit has no use for it")
    model, name = table_estimator(estimator, params)
    seed = default_seed(model, params)
    table = training_table(data, target, model, name, features=features, text=text, exclude=exclude)
    pipeline = make_model(model, table.roles, random_state=seed)
    start = time.perf_counter()
    with on_dask(dask), progress_phase(f"fitting {name} on {len(table.y):,} rows"):
        pipeline, tuning = fit_model(pipeline, table.frame, table.y, tune_threshold=tune, pos_label=pos_label,
                                     random_state=seed or 0)
    seconds = time.perf_counter() - start
    metadata = table.metadata(seed, fit_seconds=seconds, **({"threshold_tuning": tuning} if tuning else {}))
    n_features = pipeline[:-1].transform(table.frame.iloc[:1]).shape[1]
    summary = [
        ("rows", f"{len(table.y):,}"),
        ("columns used", f"{len(model_columns(table.roles)):,} → {n_features:,} features"),
        ("classes", _classes_text(pipeline.classes_)),
        ("random_state", str(seed)),
        *tuning_rows(tuning),
        ("fit time", f"{seconds:.3f} s"),
    ]
    return FitResult(pipeline, table.roles, metadata, summary, tuning)


@dataclass
class CrossValidationResult:
    """A cross-validated grid on a table.

    Attributes
    ----------
    estimator : str
        The estimator's name.
    roles : list of ColumnRole
    rows : list of dict
        One per setting, in grid order: ``params``, ``mean``, ``std``, ``scores`` (one per
        fold) and ``rank`` (see :class:`distilkit.evaluation.GridResult`).
    best : int
        Index in ``rows`` of the chosen setting (best mean, first on ties).
    searched : list of str
        The parameters with more than one value.
    fixed : dict
        The parameters with one value.
    folds, scoring, pos_label, tune_threshold
        How it was cross-validated.
    model : Pipeline or None
        The chosen setting refitted on every row (with ``refit=True``).
    metadata : dict or None
        What the refitted model's file records.
    tuning : dict or None
        The refitted model's tuned threshold.
    """

    estimator: str
    roles: list
    rows: list
    best: int
    searched: list
    fixed: dict
    folds: int
    scoring: str
    pos_label: object
    tune_threshold: str
    data: str
    target: str
    n_samples: int
    model: object = None
    metadata: dict = None
    tuning: dict = None

    def as_dict(self):
        """The JSON document ``distilkit cv --json`` writes."""
        return {"estimator": self.estimator, "data": self.data, "target": self.target, "folds": self.folds,
                "scoring": self.scoring, "pos_label": self.pos_label, "tune_threshold": self.tune_threshold,
                "fixed_params": self.fixed, "rows": self.rows, "best": self.best}

    def save(self, path):
        """Write the refitted model's file (needs ``refit=True``)."""
        if self.model is None:
            raise DataError("nothing to save: cross-validate with refit=True to refit the chosen setting")
        save_model(self.model, path, metadata=self.metadata)


def cross_validate_table(data, estimator, *, target, param_grid=None, folds=5, scoring=None, pos_label=None,
                         tune_threshold=None, features=None, text=(), exclude=(), refit=False, dask=None):
    """Cross-validate an estimator on a raw table over a parameter grid, as ``distilkit cv`` does.

    Stratified k-fold, shuffled with the estimator's seed; the preprocessing of
    :func:`fit_table` is refitted inside every fold; every combination of the grid's
    values is tried; an error in a fold is raised, never scored as NaN.

    Parameters
    ----------
    data : str, path-like or pandas.DataFrame
        The labelled table.
    estimator : str or estimator
        As in :func:`fit_table`.
    target : str
    param_grid : dict of str to list, default=None
        Parameter -> values to try; a parameter with one value is fixed. Every name is
        checked before the data is read.
    folds : int, default=5
    scoring : str, default=None
        A scikit-learn scorer name (default: accuracy).
    pos_label : label, default=None
        The positive class of ``f1``/``precision``/``recall`` and of threshold tuning.
    tune_threshold : str, default=None
        Tune a binary model's threshold for this scorer inside each fold (nested).
    features, text, exclude : default=None, (), ()
        As in :func:`fit_table`.
    refit : bool, default=False
        Refit the chosen setting on every row (``result.model``).
    dask : str, default=None
        Run the folds on Dask (``"local"`` or a scheduler address).

    Returns
    -------
    CrossValidationResult

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.read_csv("tests/data/hmda_sample.csv")
    >>> result = cross_validate_table(frame, "logreg", target="deny", param_grid={"C": [0.1, 1.0]}, folds=3)
    >>> [row["params"] for row in result.rows]
    [{'C': 0.1}, {'C': 1.0}]
    """
    check_scorer_name(scoring)
    grid = {key: list(values) for key, values in (param_grid or {}).items()}
    tune = threshold_metric(grid.pop("tune_threshold", None) if tune_threshold is None else tune_threshold)
    fixed = {key: values[0] for key, values in grid.items() if len(values) == 1}
    searched = {key: values for key, values in grid.items() if len(values) > 1}
    # Every parameter name is checked before the data is read; values are checked by the estimator at fit.
    table_estimator(estimator, {**fixed, **{key: values[0] for key, values in searched.items()}})
    model, name = table_estimator(estimator, fixed)
    seed = default_seed(model, fixed)
    table = training_table(data, target, model, name, features=features, text=text, exclude=exclude)
    settings = 1
    for values in searched.values():
        settings *= len(values)
    with on_dask(dask), progress_phase(f"{folds}-fold CV of {settings} setting(s) on {len(table.y):,} rows"):
        grid_result = grid_search(make_model(model, table.roles, random_state=seed), table.frame, table.y, searched,
                                  folds=folds, scoring=scoring, pos_label=pos_label, tune_threshold=tune,
                                  random_state=seed or 0, refit=refit)
    best = grid_result.rows[grid_result.best]
    metadata = None
    if refit:
        metadata = table.metadata(seed, params={**fixed, **best["params"]},
                                  cv={"folds": folds, "scoring": grid_result.scoring, "mean": best["mean"],
                                      "std": best["std"]},
                                  **({"threshold_tuning": grid_result.tuning} if grid_result.tuning else {}))
    return CrossValidationResult(
        estimator=name, roles=table.roles, rows=grid_result.rows, best=grid_result.best, searched=list(searched),
        fixed=fixed, folds=folds, scoring=grid_result.scoring, pos_label=grid_result.pos_label, tune_threshold=tune,
        data=table.where, target=target, n_samples=len(table.y), model=grid_result.model, metadata=metadata,
        tuning=grid_result.tuning)


__all__ = ["CrossValidationResult", "FitResult", "cross_validate_table", "fit_table", "threshold_metric",
           "tuning_rows"]
