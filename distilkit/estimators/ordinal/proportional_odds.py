"""The proportional-odds model: one slope vector shared by every class boundary."""

from distilkit.estimators.ordinal.cumulative_logit import CumulativeLogitClassifier
from distilkit.estimators.ordinal.solver import null_fit, penalty_factors
from distilkit.sklearn_compat import _fit_context

__all__ = ["ProportionalOdds"]


class ProportionalOdds(CumulativeLogitClassifier):
    """Proportional-odds (cumulative logit) regression, fitted by maximum likelihood.

    ``P(Y <= k | x) = sigma(intercept_[k] + x . coef_)`` with one slope vector for every
    boundary -- McCullagh's model, and the limit of :class:`PrestoOrdinal` as the
    penalty grows when the first slope vector is left unpenalised. statsmodels'
    ``OrderedModel(distr="logit")`` fits the same model with the opposite sign
    (``cut_k - x . beta``): ``coef_ == -beta`` and ``intercept_ == cut``.

    Parameters
    ----------
    classes : array-like, default=None
        The labels from lowest to highest. Default: the sorted unique labels.
    standardize : bool, default=True
        Fit on standardised features (the maximum-likelihood fit is the same; the
        Newton steps are better conditioned). Coefficients are on the original scale.
    tol : float, default=1e-8
        Stop when the largest gradient entry of the mean negative log-likelihood is below.
    max_iter : int, default=100
        Maximum number of Newton steps.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Labels in the ordinal order.
    intercept_ : ndarray of shape (n_classes - 1,)
        Boundary intercepts (increasing).
    coef_ : ndarray of shape (n_features,)
        The shared slopes; a positive slope makes low classes more likely.
    n_iter_ : int
        Newton steps taken.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    PrestoOrdinal : separate slopes per boundary, shrunk towards this model.

    Examples
    --------
    >>> import numpy as np
    >>> from distilkit.estimators.ordinal import ProportionalOdds
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2))
    >>> y = np.digitize(X @ [1.5, -1.0] + rng.logistic(size=300), [-1.0, 1.5])
    >>> model = ProportionalOdds().fit(X, y)
    >>> model.coef_.round(1)
    array([-1.5,  1.1])
    >>> model.predict_proba(X[:1]).round(2)
    array([[0.18, 0.62, 0.2 ]])
    """

    def __init__(self, *, classes=None, standardize=True, tol=1e-8, max_iter=100):
        self.classes = classes
        self.standardize = standardize
        self.tol = tol
        self.max_iter = max_iter

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit by maximum likelihood.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Ordinal labels; every class of ``classes`` must occur.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : ProportionalOdds
        """
        Xs, codes, weights, scaling = self._validated_training_data(X, y, sample_weight)
        factors = penalty_factors(len(self.classes_) - 1, Xs.shape[1], penalize_first=False)
        fit = null_fit(Xs, codes, weights, factors, tol=self.tol, max_iter=self.max_iter)
        self._store_fit(fit, scaling, shared_slopes=True)
        return self
