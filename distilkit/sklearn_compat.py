"""Every private scikit-learn API distilkit uses, imported in this one module.

scikit-learn may move or change what is not public; when a release does, this file
is the one to mend. Each name is what scikit-learn's own estimators use for the same job.
"""

from sklearn.base import _fit_context
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    make_constraint,
)
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "LinearClassifierMixin",
    "StrOptions",
    "_check_partial_fit_first_call",
    "_check_sample_weight",
    "_fit_context",
    "make_constraint",
    "validate_params",
]


def validate_params(estimator):
    """Check ``estimator``'s parameters against its ``_parameter_constraints``, as its ``fit`` does."""
    if hasattr(estimator, "_parameter_constraints"):
        estimator._validate_params()
