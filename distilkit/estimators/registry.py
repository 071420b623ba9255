"""The one table of distilkit's estimators and transformers; everything else is derived from it.

From :data:`ESTIMATORS` and :data:`TRANSFORMERS` come the CLI's estimator names, ``list``
and ``params``, the types a model file may hold (:func:`trusted_types`), and the
scikit-learn compatibility tests (``tests/test_common.py`` walks both tables). What kind
of estimator a class is, is said by the class itself: ``learns_from_teacher = True``
(the distillers) and ``ordinal = True`` (ordered classes, evaluated with ordinal metrics).

Classes are named by ``module:Class`` -- the module that defines them, which is the name
a model file records -- and imported only when used, so listing the names never imports
torch or pandas.
"""

import importlib

from distilkit.exceptions import DataError

#: Estimator name (as the CLI takes it) -> ``module:Class``.
ESTIMATORS = {
    "nbhead": "distilkit.estimators.naive_bayes.head:NaiveBayesHead",
    "anyloss": "distilkit.estimators.anyloss.classifier:AnyLossClassifier",
    "logreg": "sklearn.linear_model:LogisticRegression",
    "gaussiannb": "sklearn.naive_bayes:GaussianNB",
    "kd": "distilkit.estimators.distill.distillers:KDDistiller",
    "lelp": "distilkit.estimators.distill.distillers:LELPDistiller",
    "presto": "distilkit.estimators.ordinal.presto:PrestoOrdinalCV",
    "presto-fixed": "distilkit.estimators.ordinal.presto:PrestoOrdinal",
    "propodds": "distilkit.estimators.ordinal.proportional_odds:ProportionalOdds",
}

#: distilkit's transformers, which model files hold inside pipelines -> ``module:Class``.
TRANSFORMERS = {
    "table": "distilkit.features.table:TableColumns",
    "categories": "distilkit.features.transformers:CategoryStrings",
    "text": "distilkit.features.transformers:TextColumn",
    "datetimes": "distilkit.features.transformers:DatetimeFeatures",
    "tokens": "distilkit.features.tokens:TokenBag",
    "sentence-encoder": "distilkit.encoders.sentence:SentenceEncoder",
}


def _import(path):
    module, qualname = path.split(":")
    return getattr(importlib.import_module(module), qualname)


def estimator_class(name):
    """The class registered under ``name`` (raises DataError for unknown names)."""
    if name not in ESTIMATORS:
        raise DataError(f"unknown estimator {name!r} (choose from: {', '.join(ESTIMATORS)})")
    return _import(ESTIMATORS[name])


def transformer_class(name):
    """The transformer class registered under ``name``."""
    return _import(TRANSFORMERS[name])


def learns_from_teacher(name):
    """Whether the estimator ``name`` is a student that needs a teacher (``distilkit distill``)."""
    return bool(getattr(estimator_class(name), "learns_from_teacher", False))


def is_ordinal(name):
    """Whether the estimator ``name`` models ordered classes (the last one rare)."""
    return bool(getattr(estimator_class(name), "ordinal", False))


def table_estimators():
    """Names of the estimators trained from a labelled table alone (``distilkit fit``), in table order."""
    return tuple(name for name in ESTIMATORS if not learns_from_teacher(name))


def trusted_types():
    """The ``module.Class`` names of distilkit's own types, which a model file may hold beyond skops' defaults.

    Examples
    --------
    >>> "distilkit.features.table.TableColumns" in trusted_types()
    True
    """
    own = [path.replace(":", ".") for path in (*ESTIMATORS.values(), *TRANSFORMERS.values())
           if path.startswith("distilkit.")]
    # TfidfVectorizer's dtype parameter; a dtype builds no code.
    return ("numpy.dtype", *own)


def registered_name(estimator):
    """The registry name of an estimator instance, or None if it is not in the table."""
    cls = type(estimator)
    for name, path in ESTIMATORS.items():
        # Compare the class objects: sklearn classes live in private submodules.
        if path.endswith(f":{cls.__qualname__}") and cls is estimator_class(name):
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
    check_parameters(cls(), params, name)
    return cls(**params)


def check_parameters(estimator, params, name):
    """Refuse a parameter ``estimator`` does not have (skorch's routed ``optimizer__...`` ones are accepted)."""
    valid = estimator.get_params(deep=False)
    routed = getattr(estimator, "persisted_prefixes", ())
    unknown = sorted(key for key in set(params) - set(valid) if not key.startswith(routed))
    if unknown:
        raise DataError(f"unknown parameter {unknown[0]!r} for {name} (valid: {', '.join(sorted(valid))})")


__all__ = ["ESTIMATORS", "TRANSFORMERS", "check_parameters", "estimator_class", "is_ordinal", "learns_from_teacher", "make_estimator",
           "registered_name", "table_estimators", "transformer_class", "trusted_types"]
