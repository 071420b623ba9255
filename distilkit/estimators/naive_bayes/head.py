"""Gaussian naive-Bayes linear-evaluation head with a class-shared diagonal variance.

The head of Zheng et al., "Revisiting Discriminative vs. Generative Classifiers"
(ICML 2023): per-class means, one pooled within-class variance per feature, so the
posterior is a softmax of a linear function of the input -- a generative twin of
multinomial logistic regression that needs far fewer samples to converge.
"""

from numbers import Real

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from distilkit.exceptions import DataError
from distilkit.sklearn_compat import (
    Interval,
    LinearClassifierMixin,
    StrOptions,
    _check_partial_fit_first_call,
    _check_sample_weight,
    _fit_context,
)

__all__ = [
    "NaiveBayesHead",
    "class_statistics",
    "merge_class_statistics",
    "pooled_diagonal_linear_form",
]


def merge_class_statistics(count_a, mean_a, var_a, count_b, mean_b, var_b):
    """Merge two sets of per-class (weighted) counts, means and population variances.

    Chan, Golub and LeVeque's pairwise update: the result equals the statistics of the
    concatenated data exactly (up to rounding), which makes ``partial_fit`` over chunks
    equal ``fit`` on all rows.

    Parameters
    ----------
    count_a, count_b : ndarray of shape (n_classes,)
        Sum of sample weights per class in each part.
    mean_a, mean_b : ndarray of shape (n_classes, n_features)
        Per-class means of each part (any value where the count is 0).
    var_a, var_b : ndarray of shape (n_classes, n_features)
        Per-class population variances (ddof=0) of each part.

    Returns
    -------
    count, mean, var : ndarrays
        Statistics of the union.
    """
    count = count_a + count_b
    safe = np.where(count > 0, count, 1.0)[:, None]
    frac_b = count_b[:, None] / safe
    delta = mean_b - mean_a
    mean = mean_a + delta * frac_b
    m2 = (
        var_a * count_a[:, None]
        + var_b * count_b[:, None]
        + delta**2 * (count_a[:, None] * frac_b)
    )
    var = m2 / safe
    return count, mean, var


def class_statistics(X, codes, weights, n_classes):
    """Per-class weighted counts, means and population variances of ``X``, and its column extremes.

    One compiled pass (:mod:`distilkit.estimators.naive_bayes.class_moments`) reads each value once and
    works in float64. Each row is measured from a reference row of its own class (the
    class's first row): ``var = E[d^2] - E[d]^2`` with ``d = x - x_ref`` is then free of
    cancellation, since ``x_ref`` lies within a few standard deviations of the class mean
    (the shifted-data algorithm). One shift shared by all classes would leave a class far
    from it with ``E[x^2] - E[x]^2`` cancelling catastrophically (classes at 0 and 1e5 with
    sd 1e-3 lost their variance). Squares of float32 values never leave float64's range;
    float64 features whose squared deviations could (magnitudes beyond about 1e±150) are
    summed again scaled by a power of two (exact).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        float32 or float64, finite.
    codes : ndarray of shape (n_samples,)
        Class index of each row, in ``0 .. n_classes - 1``.
    weights : ndarray of shape (n_samples,)
    n_classes : int

    Returns
    -------
    count : ndarray of shape (n_classes,)
    mean, var : ndarrays of shape (n_classes, n_features)
        Zero for classes without weight.
    low, high : ndarrays of shape (n_features,)
        Column minima and maxima over all rows.
    """
    from distilkit.estimators.naive_bayes.class_moments import accumulate_moments

    n_samples, n_features = X.shape
    X = np.ascontiguousarray(X)
    codes = np.ascontiguousarray(codes, dtype=np.intp)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    count = np.bincount(codes, weights=weights, minlength=n_classes).astype(np.float64)
    safe = np.where(count > 0, count, 1.0)[:, None]
    present, first_rows = np.unique(codes, return_index=True)
    reference = np.zeros((n_classes, n_features))
    reference[present] = X[first_rows]

    def moments(scale):
        first, second = np.zeros((2, n_classes, n_features))
        low, high = np.full(n_features, np.inf, dtype=X.dtype), np.full(n_features, -np.inf, dtype=X.dtype)
        accumulate_moments(X, codes, weights, reference * scale, scale, first, second, low, high)
        return first / safe, second / safe, low, high

    scale = np.ones(n_features)
    first, second, low, high = moments(scale)
    magnitude = np.maximum(np.abs(low), np.abs(high)).astype(np.float64)
    # A deviation is at least eps * magnitude unless zero: its square underflows below
    # sqrt(tiny) / eps and overflows above sqrt(max) / 4.
    info = np.finfo(np.float64)
    in_range = (magnitude == 0) | ((magnitude > np.sqrt(info.tiny) / info.eps) & (magnitude < np.sqrt(info.max) / 4))
    if not in_range.all():
        exponent = np.clip(-np.frexp(np.where(magnitude > 0, magnitude, 1.0))[1], 8 - info.maxexp, info.maxexp - 8)
        scale = np.ldexp(1.0, exponent)
        first, second, _, _ = moments(scale)
    mean = reference + first / scale
    var = np.maximum((second - first**2) / scale**2, 0.0)
    mean[count == 0] = 0.0
    var[count == 0] = 0.0
    return count, mean, var, low, high


def pooled_diagonal_linear_form(means, pooled_var, log_prior):
    """Linear scores of a Gaussian classifier with a shared diagonal covariance.

    ``log p(x, k) = w_k . x + b_k + const(x)`` with ``w_k = mu_k / sigma^2`` and
    ``b_k = log pi_k - 1/2 sum_j mu_kj^2 / sigma_j^2``; the term ``-1/2 sum x^2/sigma^2``
    and the normaliser are shared by all classes and cancel in the posterior.

    Parameters
    ----------
    means : ndarray of shape (n_classes, n_features)
    pooled_var : ndarray of shape (n_features,)
        Strictly positive shared variances.
    log_prior : ndarray of shape (n_classes,)

    Returns
    -------
    weights : ndarray of shape (n_classes, n_features)
    bias : ndarray of shape (n_classes,)
    """
    weights = means / pooled_var
    bias = log_prior - 0.5 * np.einsum("kj,kj->k", means, weights)
    return weights, bias


class NaiveBayesHead(LinearClassifierMixin, BaseEstimator):
    """Gaussian naive Bayes with a class-shared diagonal variance (a linear head).

    Fits per-class feature means and a single per-feature variance pooled over
    classes (``sigma2_j = sum_k n_k/n * var_kj + epsilon``). Because the variance
    is shared, the decision function is linear: it is exposed through ``coef_`` and
    ``intercept_`` like :class:`~sklearn.linear_model.LogisticRegression`, and the
    posterior is the softmax of the linear scores. This is the naive-Bayes
    linear-evaluation head of Zheng et al. (2023), which reaches its asymptotic
    error with O(log p) samples where logistic regression needs O(p), so it wins in
    the few-shot regime on frozen pre-trained embeddings.

    Unlike :class:`~sklearn.naive_bayes.GaussianNB`, per-class variances are
    estimated but not used for prediction (GaussianNB's boundary is quadratic).

    Parameters
    ----------
    priors : array-like of shape (n_classes,), default=None
        Prior probabilities of the classes. If None, the (weighted) empirical class
        frequencies are used. The pooled variance always weights classes by their
        empirical frequency (it is the maximum-likelihood within-class variance).
    var_smoothing : float, default=1e-9
        Added to the pooled variances for numerical stability.
    smoothing : {"absolute", "relative"}, default="absolute"
        ``"absolute"`` adds ``var_smoothing`` as is (the paper's code);
        ``"relative"`` multiplies it by the largest per-feature variance of the
        training data, as :class:`~sklearn.naive_bayes.GaussianNB` does.
    scaler : {"minmax"} or None, default=None
        ``"minmax"`` reproduces the paper's protocol (``MinMaxScaler`` fitted on the
        training shots, applied to the test data) inside the head: the statistics
        are computed on min-max scaled features and the scaling is folded into
        ``coef_``/``intercept_``, so prediction takes raw inputs. Smoothing applies
        on the scaled features. Constant features get a range of 1, like sklearn.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    class_count_ : ndarray of shape (n_classes,)
        Sum of sample weights seen per class.
    class_prior_ : ndarray of shape (n_classes,)
        Prior probability of each class.
    theta_ : ndarray of shape (n_classes, n_features)
        Per-class means of the raw (unscaled) features.
    var_ : ndarray of shape (n_classes, n_features)
        Per-class population variances of the raw features.
    data_min_, data_max_ : ndarray of shape (n_features,)
        Per-feature minimum and maximum seen (used by ``scaler="minmax"``).
    sigma2_ : ndarray of shape (n_features,)
        Pooled variance used for prediction, on the working scale (min-max scaled
        when ``scaler="minmax"``), smoothing included.
    epsilon_ : float
        The smoothing term added to the pooled variance.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights of the linear decision function on raw inputs (one row for binary
        problems, as in sklearn's linear classifiers).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Bias of the linear decision function.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.naive_bayes.GaussianNB : Per-class variances (quadratic boundary).
    sklearn.discriminant_analysis.LinearDiscriminantAnalysis : Shared full covariance.

    References
    ----------
    C. Zheng, G. Wu, F. Bao, Y. Cao, C. Li, J. Zhu. "Revisiting Discriminative vs.
    Generative Classifiers: Theory and Implications." ICML 2023, arXiv:2302.02334.

    Examples
    --------
    >>> import numpy as np
    >>> from distilkit import NaiveBayesHead
    >>> X = np.array([[-1.0, -1.0], [-2.0, -1.0], [1.0, 1.0], [2.0, 1.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> head = NaiveBayesHead().fit(X, y)
    >>> head.predict([[-0.8, -1.0]])
    array([0])
    >>> head.coef_.shape
    (1, 2)
    """

    _parameter_constraints: dict = {
        "priors": ["array-like", None],
        "var_smoothing": [Interval(Real, 0, None, closed="left")],
        "smoothing": [StrOptions({"absolute", "relative"})],
        "scaler": [StrOptions({"minmax"}), None],
    }

    def __init__(
        self, *, priors=None, var_smoothing=1e-9, smoothing="absolute", scaler=None
    ):
        self.priors = priors
        self.var_smoothing = var_smoothing
        self.smoothing = smoothing
        self.scaler = scaler

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the head on all of ``X, y`` (discarding earlier statistics).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training vectors, e.g. frozen embeddings.
        y : array-like of shape (n_samples,)
            Target labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The fitted head.
        """
        y = validate_data(self, y=y)
        check_classification_targets(y)
        return self._partial_fit(
            X, y, np.unique(y), reset=True, sample_weight=sample_weight
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the statistics with one chunk of data.

        The running counts, means and variances are merged exactly, so calling
        ``partial_fit`` over chunks gives the same model as ``fit`` on all rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            All classes that can appear; required on the first call only.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._partial_fit(
            X, y, classes, reset=False, sample_weight=sample_weight
        )

    def _partial_fit(self, X, y, classes, *, reset, sample_weight):
        first_call = reset or _check_partial_fit_first_call(self, classes)
        if reset:
            self.classes_ = np.unique(classes)
        X, y = validate_data(self, X, y, reset=first_call, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        sample_weight = _check_sample_weight(sample_weight, X)
        n_classes, n_features = len(self.classes_), X.shape[1]
        if first_call:
            if n_classes < 2 and reset:
                raise DataError(
                    "NaiveBayesHead needs samples of at least 2 classes in the data, "
                    f"but the data contains only one class: {self.classes_[0]!r}"
                )
            self.class_count_ = np.zeros(n_classes)
            self.theta_ = np.zeros((n_classes, n_features))
            self.var_ = np.zeros((n_classes, n_features))
            self.data_min_ = np.full(n_features, np.inf)
            self.data_max_ = np.full(n_features, -np.inf)

        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            raise DataError(
                f"The target label(s) {unseen.tolist()} in y do not exist in the "
                f"initial classes {self.classes_.tolist()}"
            )
        # Invalid priors must fail before the running statistics change (partial_fit keeps them).
        self._checked_priors(n_classes)
        codes = np.searchsorted(self.classes_, y)
        *chunk, low, high = class_statistics(X, codes, sample_weight, n_classes)
        self.class_count_, self.theta_, self.var_ = merge_class_statistics(
            self.class_count_, self.theta_, self.var_, *chunk
        )
        # Zero-weight rows are absent from the data as far as the model is concerned.
        positive = sample_weight > 0
        if not positive.all():
            low, high = (X[positive].min(axis=0), X[positive].max(axis=0)) if positive.any() else (np.inf, -np.inf)
        self.data_min_ = np.minimum(self.data_min_, np.asarray(low, dtype=np.float64))
        self.data_max_ = np.maximum(self.data_max_, np.asarray(high, dtype=np.float64))
        self._update_linear_form()
        return self

    def _checked_priors(self, n_classes):
        """``priors`` as an array, or None; checked before any statistic is updated."""
        if self.priors is None:
            return None
        priors = np.asarray(self.priors, dtype=np.float64)
        if priors.shape != (n_classes,):
            raise DataError("Number of priors must match number of classes.")
        if not np.isclose(priors.sum(), 1.0):
            raise DataError("The sum of the priors should be 1.")
        if (priors < 0).any():
            raise DataError("Priors must be non-negative.")
        return priors

    def _update_linear_form(self):
        """Turn the running statistics into priors, pooled variance and coef_/intercept_."""
        n_total = self.class_count_.sum()
        frequency = self.class_count_ / n_total
        priors = self._checked_priors(len(self.class_count_))
        self.class_prior_ = frequency if priors is None else priors

        shift, scale = self._working_scale()
        means = (self.theta_ - shift) * scale
        within = frequency @ (self.var_ * scale**2)
        if self.smoothing == "relative":
            grand_mean = frequency @ means
            total_var = within + frequency @ (means - grand_mean) ** 2
            self.epsilon_ = float(self.var_smoothing * total_var.max())
        else:
            self.epsilon_ = float(self.var_smoothing)
        # With zero smoothing a constant feature would divide 0 by 0; it carries no
        # class information, so a unit variance gives it a zero weight instead.
        self.sigma2_ = np.where(within + self.epsilon_ > 0, within + self.epsilon_, 1.0)

        with np.errstate(divide="ignore"):
            log_prior = np.log(self.class_prior_)
        weights, bias = pooled_diagonal_linear_form(means, self.sigma2_, log_prior)
        # Fold the affine scaling into the weights so prediction works on raw inputs.
        weights = weights * scale
        bias = bias - weights @ shift
        if len(self.classes_) == 2:
            self.coef_ = (weights[1] - weights[0])[None, :]
            self.intercept_ = np.array([bias[1] - bias[0]])
        else:
            self.coef_, self.intercept_ = weights, bias

    def _working_scale(self):
        n_features = self.theta_.shape[1]
        if self.scaler != "minmax":
            return np.zeros(n_features), np.ones(n_features)
        data_range = self.data_max_ - self.data_min_
        data_range = np.where(data_range > 0, data_range, 1.0)
        return self.data_min_, 1.0 / data_range

    def predict_joint_log_proba(self, X):
        """Unnormalised log posterior ``log P(x, k)`` up to a term shared by all classes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        # Scoring is linear, so sparse rows are scored as they are (as decision_function does);
        # fitting needs dense centred deviations and refuses them.
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32], accept_sparse=["csr", "csc"])
        # float64 weights make the product float64 even for float32 embeddings.
        scores = np.asarray(safe_sparse_dot(X, self.coef_.T)) + self.intercept_
        if len(self.classes_) == 2:
            return np.hstack([np.zeros_like(scores), scores])
        return scores

    def predict_log_proba(self, X):
        """Log of class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        jll = self.predict_joint_log_proba(X)
        return jll - logsumexp(jll, axis=1, keepdims=True)

    def predict_proba(self, X):
        """Class probabilities (softmax of the linear scores).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; rows sum to 1.
        """
        return np.exp(self.predict_log_proba(X))
