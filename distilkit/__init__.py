"""distilkit: scikit-learn estimators for few classes, few labels, rare outcomes and imbalanced metrics."""

import importlib

__version__ = "0.1.0"

# Public names resolve lazily (PEP 562) so that importing distilkit, or running the CLI's
# --help, never pays for torch or skorch.
_LAZY = {
    "NaiveBayesHead": "distilkit.heads.naive_bayes",
    "AnyLossClassifier": "distilkit.classifiers.anyloss",
    "KDDistiller": "distilkit.distill.distillers",
    "LELPDistiller": "distilkit.distill.distillers",
    "PrestoOrdinal": "distilkit.ordinal",
    "PrestoOrdinalCV": "distilkit.ordinal",
    "ProportionalOdds": "distilkit.ordinal",
    "encode_texts": "distilkit.encoders",
    "load_vader": "distilkit.datasets",
    "save_model": "distilkit.model_files",
    "load_model": "distilkit.model_files",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'distilkit' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
