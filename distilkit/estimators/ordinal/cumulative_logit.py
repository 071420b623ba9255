"""The scikit-learn shell shared by the cumulative-logit classifiers.

Validation, ordered label encoding, internal standardisation, coefficients mapped back
to the original feature scale, and prediction with a policy for crossing boundaries.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from distilkit.estimators.ordinal.likelihood import (
    CROSSING_POLICIES,
    cumulative_logits,
    repair_crossing,
)
from distilkit.estimators.ordinal.solver import slopes_from_differences
from distilkit.estimators.standardization import standardization
from distilkit.exceptions import DataError
from distilkit.sklearn_compat import Interval, StrOptions, _check_sample_weight

__all__ = ["CumulativeLogitClassifier", "encode_ordinal"]


def encode_ordinal(y, classes=None):
    """Class indices ``0..K-1`` in the ordinal order, and that order.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    classes : array-like, default=None
        The labels from lowest to highest; default: the numeric order of numeric
        labels. Labels that are not numbers have no order to infer (sorting
        ``"elective", "urgent", "emergency"`` alphabetically would put the wrong class
        last), so they need ``classes``.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
    codes : ndarray of int of shape (n_samples,)

    Examples
    --------
    >>> encode_ordinal(np.array(["mid", "low", "high", "low"]), classes=["low", "mid", "high"])
    (array(['low', 'mid', 'high'], dtype='<U4'), array([1, 0, 2, 0]))
    """
    if classes is None:
        if np.asarray(y).dtype.kind not in "biuf":
            shown = ", ".join(map(repr, np.unique(np.asarray(y, dtype=str))[:6].tolist()))
            raise DataError(f"labels that are not numbers ({shown}) have no natural order: give it as "
                             "classes=[lowest, ..., highest]")
        classes, codes = np.unique(y, return_inverse=True)
    else:
        classes = np.asarray(classes)
        if classes.ndim != 1 or len(np.unique(classes)) != len(classes):
            raise DataError(f"classes must list each label once, in order; got {classes.tolist()!r}")
        lookup = {label: code for code, label in enumerate(classes.tolist())}
        try:
            codes = np.fromiter((lookup[label] for label in y.tolist()), dtype=np.intp, count=len(y))
        except KeyError as exc:
            raise DataError(f"label {exc.args[0]!r} is not one of classes={classes.tolist()!r}") from None
        absent = np.setdiff1d(np.arange(len(classes)), codes)
        if absent.size:
            raise DataError(f"class {classes.tolist()[absent[0]]!r} has no training observation")
    if len(classes) < 2:
        raise DataError(
            f"an ordinal model needs at least 2 classes; the data contain only 1 class ({classes.tolist()[0]!r})"
        )
    return classes, codes


#: A slope this large on standardised features (the log-odds move by 100 per standard
#: deviation) only arises on a path that diverges because the classes are separable.
_DIVERGED = 100.0


class CumulativeLogitClassifier(ClassifierMixin, BaseEstimator):
    """Base class: ``P(Y <= k | x) = sigma(intercept_[k] + x . coef[k])``.

    Subclasses implement ``_fit_standardized(X, codes, weights, n_classes)`` returning
    the fitted parameters on the standardised scale as ``theta`` (see
    :mod:`distilkit.estimators.ordinal.solver`) and set their own attributes.
    """

    #: Ordered classes, the last one rare: evaluated with the ordinal metrics too.
    ordinal = True

    _parameter_constraints: dict = {
        "classes": ["array-like", None],
        "standardize": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Nested boundaries cannot separate classes whose label order disagrees with
        # their layout in feature space, like the unordered blobs of sklearn's checks.
        tags.classifier_tags.poor_score = True
        return tags

    def _validated_training_data(self, X, y, sample_weight):
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, codes = encode_ordinal(y, self.classes)
        weights = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        if weights.sum() <= 0:
            raise DataError("sample weights sum to zero")
        weights = weights / weights.sum()
        mean, scale = standardization(X, weights, self.standardize)
        return (X - mean) / scale, codes, weights, (mean, scale)

    def _store_fit(self, fit, scaling, shared_slopes=False):
        """Keep a solver result: coefficients on the original scale, ``n_iter_``, a warning if unconverged."""
        if not fit.converged:
            warnings.warn(
                f"{type(self).__name__} did not converge in max_iter={self.max_iter} Newton steps "
                f"(largest KKT violation {fit.kkt:.2e} > tol={self.tol:g})",
                ConvergenceWarning,
                stacklevel=3,
            )
        if np.abs(fit.theta[:, 1:]).max(initial=0.0) > _DIVERGED:
            warnings.warn(
                f"{type(self).__name__}: a coefficient exceeds {_DIVERGED:g} on the standardised scale: the "
                "classes look separable, so the unpenalised likelihood has no maximum and the coefficients "
                "diverge; use a penalty",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.n_iter_ = fit.n_iter
        mean, scale = scaling
        beta = slopes_from_differences(fit.theta[:, 1:]) / scale
        self.intercept_ = fit.theta[:, 0] - beta @ mean
        self.coef_ = beta[0].copy() if shared_slopes else beta

    def _boundary_coefs(self):
        coef = np.asarray(self.coef_)
        return np.broadcast_to(coef, (len(self.intercept_), coef.shape[-1])) if coef.ndim == 1 else coef

    def predict_cumulative_proba(self, X):
        """``P(Y <= k | x)`` for the first ``K - 1`` classes, without any repair.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        cumulative : ndarray of shape (n_samples, n_classes - 1)
            ``1 - cumulative[:, -1]`` is the model's probability of the last (rare)
            class -- always a valid probability, the quantity the PRESTO paper scores.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return expit(cumulative_logits(X, self.intercept_, self._boundary_coefs()))

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Boundaries that cross at ``x`` are treated by the ``crossing`` policy (see
        :func:`~distilkit.estimators.ordinal.likelihood.repair_crossing`); the last column, the
        rare class, is a valid probability under every policy.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return repair_crossing(self.predict_cumulative_proba(X), getattr(self, "crossing", "raise"))

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (``-inf`` for zero probabilities)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


#: Parameter constraints shared by the penalised estimators.
PENALTY_CONSTRAINTS = {
    "penalize_first": ["boolean"],
    "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    "crossing": [StrOptions(set(CROSSING_POLICIES))],
}
