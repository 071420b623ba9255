"""The estimators the CLI can build and model files may contain (an allow-list).

Classes are named by import path and imported only when used, so listing them
never imports torch.
"""

import importlib
import json

from distilkit.exceptions import DataError

ESTIMATORS = {
    "nbhead": "distilkit.heads.naive_bayes:NaiveBayesHead",
    "anyloss": "distilkit.classifiers.anyloss:AnyLossClassifier",
    "logreg": "sklearn.linear_model:LogisticRegression",
    "gaussiannb": "sklearn.naive_bayes:GaussianNB",
    "kd": "distilkit.distill.distillers:KDDistiller",
    "lelp": "distilkit.distill.distillers:LELPDistiller",
    "presto": "distilkit.ordinal.presto:PrestoOrdinalCV",
    "presto-fixed": "distilkit.ordinal.presto:PrestoOrdinal",
    "propodds": "distilkit.ordinal.proportional_odds:ProportionalOdds",
}

#: Estimators of ordered classes (evaluated with ordinal metrics too).
ORDINAL = frozenset({"presto", "presto-fixed", "propodds"})

#: Command-line names of parameters: ``-p order=low,mid,high`` sets ``classes``.
PARAM_ALIASES = {"order": "classes"}


def estimator_class(name):
    """The class registered under ``name`` (raises DataError for unknown names)."""
    try:
        module, qualname = ESTIMATORS[name].split(":")
    except KeyError:
        raise DataError(f"unknown estimator {name!r} (choose from: {', '.join(ESTIMATORS)})") from None
    return getattr(importlib.import_module(module), qualname)


def registered_name(estimator):
    """The registry name of an estimator instance (raises DataError if not allowed)."""
    cls = type(estimator)
    for name, registered in ESTIMATORS.items():
        # Compare the class objects: sklearn classes live in private submodules.
        if registered.endswith(f":{cls.__qualname__}") and cls is estimator_class(name):
            return name
    raise DataError(f"{cls.__name__} is not a distilkit model-file estimator (allowed: {', '.join(ESTIMATORS)})")


def parse_param(assignment):
    """Parse ``key=value`` from the command line; values are JSON literals, else strings.

    Examples
    --------
    >>> parse_param("var_smoothing=1e-3")
    ('var_smoothing', 0.001)
    >>> parse_param("scaler=minmax")
    ('scaler', 'minmax')
    >>> parse_param("priors=[0.3, 0.7]")
    ('priors', [0.3, 0.7])
    """
    key, sep, text = assignment.partition("=")
    if not sep or not key.strip():
        raise DataError(f"parameter {assignment!r} is not of the form key=value")
    text = text.strip()
    python_literals = {"None": None, "True": True, "False": False}
    if text in python_literals:
        return key.strip(), python_literals[text]
    try:
        return key.strip(), json.loads(text)
    except json.JSONDecodeError:
        return key.strip(), text


def make_estimator(name, assignments=()):
    """Build a registered estimator from ``key=value`` strings, rejecting unknown keys."""
    cls = estimator_class(name)
    params = {}
    for assignment in assignments:
        key, value = parse_param(assignment)
        params[PARAM_ALIASES.get(key, key)] = value
    valid = cls().get_params(deep=False)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise DataError(f"unknown parameter {unknown[0]!r} for {name} (valid: {', '.join(sorted(valid))})")
    return cls(**params)
