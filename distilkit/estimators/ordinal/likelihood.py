"""The cumulative-logit model with one weight vector per class boundary.

``P(Y <= k | x) = sigma(alpha_k + x . beta_k)`` for the ``K - 1`` boundaries
``k = 1..K-1`` (the sign convention of ordinalNet; statsmodels and MASS::polr write
``cut_k - x . beta``). Class ``k`` has probability ``F_k - F_{k-1}`` with ``F_0 = 0``
and ``F_K = 1``. Nothing forces ``F_{k-1} <= F_k`` when the slopes differ, so a middle
class can get a negative "probability"; the likelihood floors it at ``p_min`` like
ordinalNet does, or with ``p_min=0`` (what the solver uses) is infinite there. The first and last class probabilities, ``sigma(eta_1)`` and
``1 - sigma(eta_{K-1})``, are always valid.

Log-probabilities are computed from log-sigmoid differences,
``log(sigma(a) - sigma(b)) = log sigma(a) + log sigma(-b) + log(1 - exp(b - a))``,
so rare classes keep their precision far into the tails.
"""

import numpy as np
from scipy.special import expit

from distilkit.exceptions import DataError

__all__ = [
    "cumulative_logits",
    "class_log_proba",
    "negative_log_likelihood",
    "cumulative_to_class_proba",
    "repair_crossing",
    "CROSSING_POLICIES",
]

#: ordinalNet's probability floor: fitted class probabilities below it are clipped.
P_MIN = 1e-8


def cumulative_logits(X, intercepts, coefs):
    """``eta[i, k] = intercepts[k] + X[i] . coefs[k]``, shape (n_samples, K - 1)."""
    return X @ np.asarray(coefs).T + intercepts


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def _observed_bounds(eta, y):
    """The logits above and below each observation's class (+inf / -inf at the ends)."""
    n, n_bounds = eta.shape
    padded = np.hstack([np.full((n, 1), -np.inf), eta, np.full((n, 1), np.inf)]).ravel()
    lower_index = np.arange(0, n * (n_bounds + 2), n_bounds + 2) + y
    return padded[lower_index + 1], padded[lower_index]


def _log_floor(p_min):
    return np.log(p_min) if p_min > 0 else -np.inf


def _log_proba_between(upper, lower, p_min):
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        gap = -np.expm1(lower - upper)
        log_p = _log_sigmoid(upper) + _log_sigmoid(-lower) + np.log(np.where(gap > 0, gap, 0.0))
    return np.maximum(log_p, _log_floor(p_min))


def class_log_proba(eta, y, p_min=P_MIN):
    """Log-probability of each observed class, floored at ``log(p_min)``.

    Parameters
    ----------
    eta : ndarray of shape (n_samples, K - 1)
        Cumulative logits.
    y : ndarray of int of shape (n_samples,)
        Class indices ``0..K-1`` in the ordinal order.
    p_min : float
        Probability floor (crossing boundaries give a non-positive raw probability).

    Returns
    -------
    log_proba : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> eta = np.array([[0.0, 2.0]])
    >>> p = np.exp([class_log_proba(eta, np.array([k]))[0] for k in range(3)])
    >>> np.round(p, 4), float(p.sum())
    (array([0.5   , 0.3808, 0.1192]), 1.0)
    """
    return _log_proba_between(*_observed_bounds(eta, y), p_min)


def negative_log_likelihood(eta, y, weights, p_min=P_MIN, hessian=False):
    """Weighted negative log-likelihood, its gradient and (optionally) Hessian in ``eta``.

    An observation of class ``c`` depends only on the logits ``a`` above and ``b``
    below its class: ``log p = log sigma(a) + log sigma(-b) + log(1 - e^(b - a))``.
    With ``f(t) = sigma(t) sigma(-t)`` and ``g = e^u / (e^u - 1)^2``, ``u = a - b``, its
    Hessian is ``diag(f(a), f(b)) + g [[1, -1], [-1, 1]]`` -- a sum of positive
    semi-definite terms, so the likelihood is convex in ``eta`` wherever the boundaries
    do not cross (Pratt, 1981), and exact Newton steps need no Fisher-scoring substitute.

    Parameters
    ----------
    eta : ndarray of shape (n_samples, K - 1)
    y : ndarray of int of shape (n_samples,)
    weights : ndarray of shape (n_samples,)
        Observation weights; the loss is ``-sum_i weights[i] * log p_i`` (pass weights
        summing to one for the mean).
    p_min : float
        Probability floor; 0 gives the exact likelihood, infinite where an observation's
        class has no positive probability (its boundaries cross on that row).
    hessian : bool, default=False
        Also return the Hessian, which is tridiagonal in the boundaries.

    Returns
    -------
    loss : float
    grad : ndarray of shape (n_samples, K - 1)
        Zero for observations whose probability sits on the floor (the loss is flat there).
    diagonal : ndarray of shape (n_samples, K - 1)
        ``H[k, k]`` per observation (only with ``hessian=True``).
    off_diagonal : ndarray of shape (n_samples, K - 2)
        ``H[k, k+1]`` per observation (only with ``hessian=True``).
    """
    upper, lower = _observed_bounds(eta, y)
    log_p = _log_proba_between(upper, lower, p_min)
    # A zero-weight row outside the domain must not turn the loss into 0 * inf = nan.
    loss = -float(weights @ np.where(weights != 0, log_p, 0.0))
    on_floor = log_p <= _log_floor(p_min)
    live = np.where(on_floor, 0.0, weights)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        # Each 1/expm1 term vanishes at an infinite end (u = inf); it is infinite
        # where the boundaries meet, which only happens on the floor.
        inv_gap = np.where(on_floor, 0.0, 1.0 / np.expm1(upper - lower))
    sig_upper, sig_lower = expit(upper), expit(lower)
    n, n_bounds = eta.shape
    rows = np.arange(n)
    grad = np.zeros((n, n_bounds + 2))
    grad[rows, y + 1] = -live * (1.0 - sig_upper + inv_gap)
    grad[rows, y] += live * (sig_lower + inv_gap)
    if not hessian:
        return loss, grad[:, 1:-1]
    # g = 1 / (expm1(u) * (1 - e^-u)) = inv_gap * (1 + inv_gap)
    gap = live * inv_gap * (1.0 + inv_gap)
    diagonal = np.zeros((n, n_bounds + 2))
    diagonal[rows, y + 1] = live * sig_upper * (1.0 - sig_upper) + gap
    diagonal[rows, y] += live * sig_lower * (1.0 - sig_lower) + gap
    off_diagonal = np.zeros((n, n_bounds + 1))
    off_diagonal[rows, y] = -gap
    return loss, grad[:, 1:-1], diagonal[:, 1:-1], off_diagonal[:, 1:-1]


def cumulative_to_class_proba(F):
    """Class probabilities ``F_k - F_{k-1}`` (may be negative where boundaries cross)."""
    n = F.shape[0]
    return np.diff(np.hstack([np.zeros((n, 1)), F, np.ones((n, 1))]), axis=1)


#: How :func:`repair_crossing` treats rows whose cumulative probabilities decrease.
CROSSING_POLICIES = ("raise", "clip", "sort")


def repair_crossing(F, crossing="sort"):
    """Class probabilities from cumulative ones, with a policy for crossing boundaries.

    Parameters
    ----------
    F : ndarray of shape (n_samples, K - 1)
        ``P(Y <= k)`` for each boundary, possibly decreasing in ``k`` somewhere.
    crossing : {"raise", "clip", "sort"}
        ``"raise"`` refuses rows with a negative class probability (the paper's
        behaviour); ``"clip"`` sets negative probabilities to zero and renormalises the
        row; ``"sort"`` sorts each row of ``F`` first -- the monotone rearrangement of
        Chernozhukov, Fernandez-Val & Galichon (2010), which never moves an estimated
        distribution function further from the truth.

    Returns
    -------
    proba : ndarray of shape (n_samples, K)
        Rows are non-negative and sum to one; rows without crossing are the same under
        every policy. The model's own rare-class probability ``1 - F[:, -1]`` is always
        valid and needs no repair: "raise" returns it untouched, while in crossing rows
        "clip" rescales it with the row and "sort" uses ``1 - max(F)`` instead.

    Examples
    --------
    >>> import numpy as np
    >>> F = np.array([[0.3, 0.2, 0.9]])
    >>> repair_crossing(F, "sort")
    array([[0.2, 0.1, 0.6, 0.1]])
    >>> repair_crossing(F, "clip").round(4)
    array([[0.2727, 0.    , 0.6364, 0.0909]])
    """
    if crossing not in CROSSING_POLICIES:
        raise DataError(f"crossing must be one of {CROSSING_POLICIES}, got {crossing!r}")
    if crossing == "sort":
        return cumulative_to_class_proba(np.sort(F, axis=1))
    proba = cumulative_to_class_proba(F)
    # Rounding makes coinciding boundaries look crossed by ~1e-16.
    negative = proba < -1e-12
    if crossing == "raise" and negative.any():
        rows = int(negative.any(axis=1).sum())
        raise DataError(
            f"the class boundaries cross for {rows} of {len(F)} rows (a middle class gets a negative "
            "probability); use crossing='clip' or 'sort', or a larger penalty"
        )
    proba = np.maximum(proba, 0.0)
    return proba / proba.sum(axis=1, keepdims=True)
