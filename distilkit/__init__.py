"""distilkit: scikit-learn estimators for few classes, few labels, rare outcomes and imbalanced metrics."""

import importlib

__version__ = "0.1.0"

# Public names resolve lazily (PEP 562) so that importing distilkit, or running the CLI's
# --help, never pays for torch or skorch.
_LAZY = {
    "NaiveBayesHead": "distilkit.estimators.naive_bayes.head",
    "AnyLossClassifier": "distilkit.estimators.anyloss.classifier",
    "KDDistiller": "distilkit.estimators.distill.distillers",
    "LELPDistiller": "distilkit.estimators.distill.distillers",
    "PrestoOrdinal": "distilkit.estimators.ordinal",
    "PrestoOrdinalCV": "distilkit.estimators.ordinal",
    "ProportionalOdds": "distilkit.estimators.ordinal",
    "encode_texts": "distilkit.encoders",
    "load_vader": "distilkit.datasets",
    "save_model": "distilkit.persistence.model_files",
    "load_model": "distilkit.persistence.model_files",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'distilkit' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
