"""PRESTO: separate slopes per class boundary, shrunk towards proportional odds.

Faletto & Bien, "Predicting Rare Events by Shrinking Towards Proportional Odds"
(ICML 2023). The last class is the rare one; its probability borrows strength from
the better-populated boundaries below it through an L1 penalty on the differences
between adjacent slope vectors.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, check_cv

from distilkit.estimators.ordinal.cumulative_logit import (
    PENALTY_CONSTRAINTS,
    CumulativeLogitClassifier,
)
from distilkit.estimators.ordinal.likelihood import cumulative_to_class_proba
from distilkit.estimators.ordinal.solver import (
    fit_path,
    fit_penalized,
    intercept_only_start,
    lambda_max,
    lambda_path,
    logits_from_theta,
    null_fit,
    penalty_factors,
)
from distilkit.estimators.standardization import standardization
from distilkit.exceptions import DataError
from distilkit.sklearn_compat import Interval, _fit_context

__all__ = ["PrestoOrdinal", "PrestoOrdinalCV", "ordinal_brier"]

_PARAMETERS_DOC = """
    penalize_first : bool, default=True
        Penalise ``||beta_1||_1`` too, as the authors' released code does. With False
        only the differences are penalised and a large penalty gives the
        proportional-odds model.
    l1_ratio : float in [0, 1], default=1.0
        Elastic-net mix of the penalty on the differences: 1 is PRESTO's lasso, 0 the
        squared-L2 "PRESTO_L2" variant.
    classes : array-like, default=None
        The labels from lowest to highest (the last is the rare event). Default: the
        sorted unique labels.
    standardize : bool, default=True
        Penalise coefficients of standardised features (ordinalNet's default); the
        fitted coefficients are reported on the original scale.
    crossing : {"sort", "clip", "raise"}, default="sort"
        What :meth:`predict_proba` does where the boundaries cross (a middle class
        would get a negative probability): sort the cumulative probabilities (monotone
        rearrangement), clip and renormalise, or raise ``ValueError`` like the paper's
        code. The last column is valid under every policy;
        :meth:`predict_cumulative_proba` gives the unrepaired model.
    tol : float, default=1e-8
        Stop when the largest violation of the KKT conditions is below.
    max_iter : int, default=100
        Maximum number of proximal Newton steps per penalty value."""

_ATTRIBUTES_DOC = """
    classes_ : ndarray of shape (n_classes,)
        Labels in the ordinal order.
    intercept_ : ndarray of shape (n_classes - 1,)
        Boundary intercepts ``alpha_k`` on the original feature scale.
    coef_ : ndarray of shape (n_classes - 1, n_features)
        Row ``k`` is the slope vector ``beta_k`` of boundary ``k`` (original scale);
        a positive slope makes classes at or below ``k`` more likely.
    n_iter_ : int
        Newton steps taken for the final fit.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names."""


class PrestoOrdinal(CumulativeLogitClassifier):
    __doc__ = f"""Separate-slope ordinal regression with PRESTO's fused-lasso penalty, at a fixed penalty.

    Minimises ``-(1/N) loglik + lam * (||beta_1||_1 + sum_k ||beta_k - beta_(k-1)||_1)``
    over intercepts and slopes of ``P(Y <= k | x) = sigma(alpha_k + x . beta_k)``.
    Use :class:`PrestoOrdinalCV` to choose ``lam`` by cross-validation as the paper does.

    Parameters
    ----------
    lam : float, default=0.01
        Penalty strength (on the mean negative log-likelihood scale; 0 gives the
        unpenalised separate-slope maximum-likelihood fit).
    {_PARAMETERS_DOC}

    Attributes
    ----------
    {_ATTRIBUTES_DOC}

    See Also
    --------
    PrestoOrdinalCV : the penalty chosen by stratified K-fold CV on the Brier score.
    ProportionalOdds : the shared-slope model PRESTO shrinks towards.

    Examples
    --------
    >>> import numpy as np
    >>> from distilkit.estimators.ordinal import PrestoOrdinal
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(500, 3))
    >>> y = np.digitize(X @ [1.0, 0.5, 0.0] + rng.logistic(size=500), [0.0, 2.0])
    >>> model = PrestoOrdinal(lam=0.01).fit(X, y)
    >>> model.coef_.shape
    (2, 3)
    >>> model.predict_proba(X[:2]).round(2)
    array([[0.52, 0.35, 0.13],
           [0.72, 0.22, 0.06]])
    """

    _parameter_constraints: dict = {
        **CumulativeLogitClassifier._parameter_constraints,
        **PENALTY_CONSTRAINTS,
        "lam": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, lam=0.01, *, penalize_first=True, l1_ratio=1.0, classes=None, standardize=True,
                 crossing="sort", tol=1e-8, max_iter=100):
        self.lam = lam
        self.penalize_first = penalize_first
        self.l1_ratio = l1_ratio
        self.classes = classes
        self.standardize = standardize
        self.crossing = crossing
        self.tol = tol
        self.max_iter = max_iter

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit at the penalty ``lam``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Ordinal labels; every class of ``classes`` must occur.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : PrestoOrdinal
        """
        Xs, codes, weights, scaling = self._validated_training_data(X, y, sample_weight)
        n_classes = len(self.classes_)
        factors = penalty_factors(n_classes - 1, Xs.shape[1], self.penalize_first)
        start = intercept_only_start(codes, weights, n_classes, Xs.shape[1])
        fit = fit_penalized(Xs, codes, weights, self.lam, factors, start,
                            l1_ratio=self.l1_ratio, tol=self.tol, max_iter=self.max_iter)
        self._store_fit(fit, scaling)
        return self


def ordinal_brier(codes, proba, weights=None):
    """Brier score over all classes, ``sum_k (1{y=k} - p_k)^2``, averaged over rows.

    Examples
    --------
    >>> ordinal_brier(np.array([0, 2]), np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]))
    0.25
    """
    onehot = np.zeros_like(proba)
    onehot[np.arange(len(codes)), codes] = 1.0
    return float(np.average(((onehot - proba) ** 2).sum(axis=1), weights=weights))


def _fold_brier_path(X, codes, weights, train, test, lambdas, settings):
    """Out-of-fold Brier score at each penalty (raw model probabilities, as ordinalNet).

    Each training fold is standardised on its own; passing globally standardised ``X``
    changes nothing, as standardisation undoes any affine map of the columns.
    """
    n_classes = settings["n_classes"]
    present = np.unique(codes[train])
    # A training fold may lack a sparse class: fit the classes it has, and give the
    # missing ones probability zero on the held-out rows.
    local = np.searchsorted(present, codes[train])
    w = weights[train] / weights[train].sum()
    mean, scale = standardization(X[train], w, settings["standardize"])
    factors = penalty_factors(len(present) - 1, X.shape[1], settings["penalize_first"])
    fits = fit_path((X[train] - mean) / scale, local, w, lambdas, factors, l1_ratio=settings["l1_ratio"],
                    tol=settings["tol"], max_iter=settings["max_iter"])
    X_test = (X[test] - mean) / scale
    scores = np.empty(len(lambdas))
    unconverged = [lam for lam, fit in zip(lambdas, fits) if not fit.converged]
    if unconverged:
        # The fold's Brier path then compares optima with non-optima: say so rather than choose silently.
        warnings.warn(f"PrestoOrdinalCV: a fold's fit did not converge at {len(unconverged)} of {len(lambdas)} "
                      f"penalties (first at lambda={unconverged[0]:.4g}); raise max_iter or tol",
                      ConvergenceWarning, stacklevel=2)
    for i, fit in enumerate(fits):
        proba = np.zeros((len(test), n_classes))
        proba[:, present] = cumulative_to_class_proba(expit(logits_from_theta(fit.theta, X_test)))
        scores[i] = ordinal_brier(codes[test], proba, weights[test])
    return scores


class PrestoOrdinalCV(CumulativeLogitClassifier):
    __doc__ = f"""PRESTO with the penalty chosen by stratified K-fold cross-validation.

    The paper's procedure: a log-spaced path of ``n_lambdas`` penalties from the exact
    ``lambda_max`` (the smallest penalty at which every penalised coefficient is zero)
    down to ``lambda_min_ratio * lambda_max``, each fit warm-started from the previous
    one; the out-of-fold Brier score over all classes, averaged over folds; the
    **largest** penalty attaining the minimum; a refit on all the data. Unlike the
    authors' code, folds are stratified so the rare class appears in each, and the
    held-out rows are scored with the slopes ``beta_k``, not the differences.

    Parameters
    ----------
    n_lambdas : int, default=20
        Length of the penalty path.
    lambda_min_ratio : float, default=0.01
        Smallest penalty as a fraction of ``lambda_max``.
    lambdas : array-like, default=None
        Explicit penalties (overrides ``n_lambdas`` and ``lambda_min_ratio``).
    cv : int, cross-validation generator or iterable, default=5
        An int gives ``StratifiedKFold(cv)``: shuffled with ``random_state`` when one is
        given, else in data order, so the default is reproducible (as ``LogisticRegressionCV``).
    {_PARAMETERS_DOC}
    n_jobs : int, default=None
        Folds fitted in parallel (joblib).
    random_state : int, RandomState instance or None, default=None
        Shuffles the stratified folds; None keeps the rows in data order.

    Attributes
    ----------
    lambdas_ : ndarray of shape (n_lambdas,)
        The penalty path, decreasing.
    brier_path_ : ndarray of shape (n_lambdas, n_folds)
        Out-of-fold Brier score of every penalty on every fold.
    lambda_ : float
        The chosen penalty.
    lambda_max_ : float
        The smallest penalty that zeroes every penalised coefficient on all the data.
    {_ATTRIBUTES_DOC}

    See Also
    --------
    PrestoOrdinal : the same model at a fixed penalty.

    Examples
    --------
    >>> import numpy as np
    >>> from distilkit.estimators.ordinal import PrestoOrdinalCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(1000, 3))
    >>> y = np.digitize(X @ [1.0, 0.5, 0.0] + rng.logistic(size=1000), [0.0, 2.0, 3.5])
    >>> model = PrestoOrdinalCV(random_state=0).fit(X, y)
    >>> model.brier_path_.shape
    (20, 5)
    >>> bool(model.lambda_ in model.lambdas_)
    True
    """

    _parameter_constraints: dict = {
        **CumulativeLogitClassifier._parameter_constraints,
        **PENALTY_CONSTRAINTS,
        "n_lambdas": [Interval(Integral, 1, None, closed="left")],
        "lambda_min_ratio": [Interval(Real, 0, 1, closed="neither")],
        "lambdas": ["array-like", None],
        "cv": ["cv_object"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(self, n_lambdas=20, lambda_min_ratio=0.01, *, lambdas=None, cv=5, penalize_first=True,
                 l1_ratio=1.0, classes=None, standardize=True, crossing="sort", tol=1e-8, max_iter=100,
                 n_jobs=None, random_state=None):
        self.n_lambdas = n_lambdas
        self.lambda_min_ratio = lambda_min_ratio
        self.lambdas = lambdas
        self.cv = cv
        self.penalize_first = penalize_first
        self.l1_ratio = l1_ratio
        self.classes = classes
        self.standardize = standardize
        self.crossing = crossing
        self.tol = tol
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Choose the penalty by cross-validation, then refit on all the data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Ordinal labels; every class of ``classes`` must occur.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the likelihood and of the out-of-fold Brier scores.

        Returns
        -------
        self : PrestoOrdinalCV
        """
        Xs, codes, weights, scaling = self._validated_training_data(X, y, sample_weight)
        n_classes = len(self.classes_)
        factors = penalty_factors(n_classes - 1, Xs.shape[1], self.penalize_first)
        null = null_fit(Xs, codes, weights, factors, tol=self.tol, max_iter=self.max_iter)
        self.lambda_max_ = lambda_max(Xs, codes, weights, factors, null.theta, self.l1_ratio)
        if self.lambdas is None:
            self.lambdas_ = lambda_path(self.lambda_max_, self.n_lambdas, self.lambda_min_ratio)
        else:
            lambdas = np.asarray(self.lambdas, dtype=np.float64).ravel()
            if lambdas.size == 0 or np.any(lambdas < 0) or not np.all(np.isfinite(lambdas)):
                raise DataError("lambdas must be a non-empty list of finite non-negative penalties")
            self.lambdas_ = np.sort(lambdas)[::-1]

        shuffle = self.random_state is not None
        cv = StratifiedKFold(self.cv, shuffle=shuffle, random_state=self.random_state if shuffle else None) if (
            isinstance(self.cv, Integral)) else check_cv(self.cv, codes, classifier=True)
        settings = {"n_classes": n_classes, "standardize": self.standardize, "penalize_first": self.penalize_first,
                    "l1_ratio": self.l1_ratio, "tol": self.tol, "max_iter": self.max_iter}
        folds = [(train, test) for train, test in cv.split(Xs, codes) if np.unique(codes[train]).size >= 2]
        if not folds:
            raise DataError("every cross-validation training fold holds a single class; use fewer folds")
        scores = Parallel(n_jobs=self.n_jobs)(
            delayed(_fold_brier_path)(Xs, codes, weights, train, test, self.lambdas_, settings)
            for train, test in folds
        )
        self.brier_path_ = np.column_stack(scores)
        # np.argmin takes the first minimum: the largest penalty, as lambdas_ decreases.
        best = int(np.argmin(self.brier_path_.mean(axis=1)))
        self.lambda_ = float(self.lambdas_[best])
        refit = fit_path(Xs, codes, weights, self.lambdas_[: best + 1], factors, l1_ratio=self.l1_ratio,
                         tol=self.tol, max_iter=self.max_iter, start=null.theta)[-1]
        self._store_fit(refit, scaling)
        return self
