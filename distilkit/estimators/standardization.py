"""Column means and scales for internal standardisation, with one rule for constant columns."""

import numpy as np

__all__ = ["standardization"]


def standardization(X, weights=None, standardize=True):
    """Weighted column means and population standard deviations; 1 for constant columns.

    A column counts as constant when its computed variance is within the rounding error
    of summing ``n`` values of its magnitude (scikit-learn's ``StandardScaler`` rule,
    ``var <= n eps var + (n mean eps)^2``): ``1e5 + 0.3`` in every row has a spread of
    about 1e-10 in float64, which an absolute threshold would take for signal and
    divide by.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    weights : ndarray of shape (n_samples,), default=None
        Non-negative weights summing to 1; default: equal weights.
    standardize : bool, default=True
        False gives means 0 and scales 1 (no standardisation).

    Returns
    -------
    mean, scale : ndarrays of shape (n_features,), float64

    Examples
    --------
    >>> mean, scale = standardization(np.array([[1e5 + 0.3, 0.0], [1e5 + 0.3, 2.0]]))
    >>> scale.tolist()
    [1.0, 1.0]
    """
    n_samples, n_features = X.shape
    if not standardize:
        return np.zeros(n_features), np.ones(n_features)
    weights = np.full(n_samples, 1.0 / n_samples) if weights is None else np.asarray(weights, dtype=np.float64)
    mean = weights @ X
    var = weights @ (X - mean) ** 2
    eps, n = np.finfo(np.float64).eps, np.count_nonzero(weights)
    constant = var <= n * eps * var + (n * mean * eps) ** 2
    return mean, np.where(constant, 1.0, np.sqrt(var))
