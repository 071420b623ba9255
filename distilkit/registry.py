"""The estimators distilkit builds by name (the CLI's ``fit ESTIMATOR``).

Classes are named by import path and imported only when used, so listing them
never imports torch.
"""

import importlib

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
#: Students that learn from a teacher's logits or embeddings, which a labelled table alone does not give.
DISTILLERS = frozenset({"kd", "lelp"})
#: Estimators trained from a labelled table alone.
TABLE_ESTIMATORS = tuple(name for name in ESTIMATORS if name not in DISTILLERS)


def estimator_class(name):
    """The class registered under ``name`` (raises DataError for unknown names)."""
    try:
        module, qualname = ESTIMATORS[name].split(":")
    except KeyError:
        raise DataError(f"unknown estimator {name!r} (choose from: {', '.join(ESTIMATORS)})") from None
    return getattr(importlib.import_module(module), qualname)


def registered_name(estimator):
    """The registry name of an estimator instance, or None if the CLI does not build it."""
    cls = type(estimator)
    for name, registered in ESTIMATORS.items():
        # Compare the class objects: sklearn classes live in private submodules.
        if registered.endswith(f":{cls.__qualname__}") and cls is estimator_class(name):
            return name
    return None


def make_estimator(name, params=None):
    """Build a registered estimator, rejecting parameters it does not have.

    Examples
    --------
    >>> make_estimator("nbhead", {"var_smoothing": 1e-3})
    NaiveBayesHead(var_smoothing=0.001)
    """
    cls = estimator_class(name)
    params = dict(params or {})
    valid = cls().get_params(deep=False)
    # Neural estimators take skorch's routed parameters (optimizer__weight_decay=...) as well.
    routed = getattr(cls, "persisted_prefixes", ())
    unknown = sorted(key for key in set(params) - set(valid) if not key.startswith(routed))
    if unknown:
        raise DataError(f"unknown parameter {unknown[0]!r} for {name} (valid: {', '.join(sorted(valid))})")
    return cls(**params)
