"""Penalised fitting of the separate-slope cumulative-logit model (PRESTO).

The model is fitted on the difference parameterisation of Faletto & Bien (ICML 2023):
``psi_1 = beta_1`` and ``psi_k = beta_k - beta_{k-1}``, so the PRESTO penalty
``lambda * (||beta_1||_1 + sum_k ||beta_k - beta_{k-1}||_1)`` is a plain elastic net on
``psi``; intercepts are never penalised. The objective is

    (1 / sum w) * NLL(alpha, psi) + lam * sum_j c_j (l1_ratio |psi_j| + (1 - l1_ratio)/2 psi_j^2)

with penalty factors ``c_j`` (0 for the intercepts, and for ``psi_1`` when the first
slope vector is left unpenalised).

The solver follows ordinalNet (a quadratic model of the likelihood, its penalised
minimiser found by coordinate descent) as a proximal Newton method: the quadratic uses
the exact Hessian (ordinalNet's Fisher scoring converged only linearly on rare
classes); coordinate sweeps find the support of each step and a feature-sign solve on
the support finishes it; a backtracking line search on the true objective makes every
step a descent step; the stopping rule is the KKT conditions of the penalised problem.

The likelihood is the exact one, not ordinalNet's version floored at ``P_MIN``: it is
convex on its domain (every observation's class has a positive probability, a convex
set) and infinite outside, so the line search keeps every iterate inside and the fit is
the optimum from any start. The floored objective is flat, and not convex, where
boundaries cross on a training row: a fit may give that observation up and stop at a
worse point.

Parameters are one array ``theta`` of shape ``(K - 1, 1 + n_features)``: column 0
holds the intercepts ``alpha_k``, the other columns the rows ``psi_k``.
"""

from dataclasses import dataclass, field

import numpy as np

from distilkit.estimators.ordinal.likelihood import (
    P_MIN,
    cumulative_logits,
    negative_log_likelihood,
)

__all__ = [
    "PenalizedFit",
    "slopes_from_differences",
    "penalty_factors",
    "penalised_objective",
    "kkt_violation",
    "fit_penalized",
    "logits_from_theta",
    "lambda_max",
    "lambda_path",
    "intercept_only_start",
    "null_fit",
    "fit_path",
]

#: Elastic-net mixes below this use it to define lambda_max (glmnet's convention),
#: since a pure ridge penalty never sets a coefficient exactly to zero.
_MIN_L1_RATIO_FOR_LAMBDA_MAX = 1e-3


@dataclass
class PenalizedFit:
    """Solution of :func:`fit_penalized` and its convergence record."""

    theta: np.ndarray
    n_iter: int
    converged: bool
    kkt: float
    objective_history: list = field(default_factory=list)


def slopes_from_differences(psi):
    """``beta_k = psi_1 + ... + psi_k`` (rows), the inverse of the reparameterisation.

    Examples
    --------
    >>> slopes_from_differences(np.array([[1.0, 0.0], [0.5, 0.0], [0.0, -1.0]]))
    array([[ 1. ,  0. ],
           [ 1.5,  0. ],
           [ 1.5, -1. ]])
    """
    return np.cumsum(psi, axis=0)


def penalty_factors(n_boundaries, n_features, penalize_first=True):
    """Penalty factor per entry of ``theta``: 0 for intercepts (and ``psi_1`` if unpenalised)."""
    factors = np.ones((n_boundaries, 1 + n_features))
    factors[:, 0] = 0.0
    if not penalize_first:
        factors[0] = 0.0
    return factors


def _penalty(theta, lam, factors, l1_ratio):
    return lam * float(np.sum(factors * (l1_ratio * np.abs(theta) + 0.5 * (1.0 - l1_ratio) * theta * theta)))


def logits_from_theta(theta, X):
    """Cumulative logits ``eta`` (n_samples, K - 1) of parameters ``theta``."""
    return cumulative_logits(X, theta[:, 0], slopes_from_differences(theta[:, 1:]))


def _smooth_part(theta, X, y, weights, hessian=False, p_min=0.0):
    """Mean negative log-likelihood, its gradient in ``theta`` and its Hessian factors in ``eta``.

    The exact likelihood (``p_min=0``) by default: it is convex on its domain, the
    parameters under which every observation's class has a positive probability.
    """
    loss, grad_eta, *curvature = negative_log_likelihood(logits_from_theta(theta, X), y, weights, p_min=p_min,
                                                         hessian=hessian)
    grad_beta = grad_eta.T @ X
    # psi_j enters every beta_k with k >= j: reverse cumulative sum over boundaries.
    grad_psi = np.cumsum(grad_beta[::-1], axis=0)[::-1]
    return loss, np.column_stack([grad_eta.sum(axis=0), grad_psi]), curvature


def penalised_objective(theta, X, y, weights, lam, factors, l1_ratio=1.0):
    """The value of the penalised objective at ``theta``."""
    return _smooth_part(theta, X, y, weights)[0] + _penalty(theta, lam, factors, l1_ratio)


def kkt_violation(theta, grad, lam, factors, l1_ratio=1.0, free=None):
    """Largest violation of the KKT conditions (0 exactly at the optimum).

    Unpenalised and nonzero entries need ``grad + lam * c * (l1_ratio * sign + (1 - l1_ratio) theta) = 0``;
    an entry at zero needs ``|grad| <= lam * c * l1_ratio``.
    """
    l1 = lam * factors * l1_ratio
    at_zero = (theta == 0) & (factors > 0)
    violation = np.where(
        at_zero,
        np.maximum(np.abs(grad) - l1, 0.0),
        np.abs(grad + l1 * np.sign(theta) + lam * factors * (1.0 - l1_ratio) * theta),
    )
    if free is not None:
        violation = violation[free]
    return float(violation.max(initial=0.0))


def _difference_map(n_boundaries, n_features):
    """Matrix taking flattened ``theta`` to flattened (intercepts, slopes ``beta``)."""
    is_slope = np.ones(n_features + 1)
    is_slope[0] = 0.0
    return np.kron(np.tril(np.ones((n_boundaries, n_boundaries))), np.diag(is_slope)) + np.kron(
        np.eye(n_boundaries), np.diag(1.0 - is_slope)
    )


def _weighted_gram(X, w):
    """``[1, X]' diag(w) [1, X]`` without materialising the column of ones."""
    weighted = w[:, None] * X
    gram = np.empty((X.shape[1] + 1, X.shape[1] + 1))
    gram[0, 0] = w.sum()
    gram[0, 1:] = gram[1:, 0] = weighted.sum(axis=0)
    gram[1:, 1:] = X.T @ weighted
    return gram


def _hessian_matrix(X, diagonal, off_diagonal, difference_map):
    """Hessian of the smooth part in flattened ``theta`` from its factors in ``eta``."""
    n_boundaries, d = diagonal.shape[1], X.shape[1] + 1
    H = np.zeros((n_boundaries, d, n_boundaries, d))
    for k in range(n_boundaries):
        H[k, :, k, :] = _weighted_gram(X, diagonal[:, k])
        if k + 1 < n_boundaries:
            block = _weighted_gram(X, off_diagonal[:, k])
            H[k, :, k + 1, :] = block
            H[k + 1, :, k, :] = block.T
    H = H.reshape(n_boundaries * d, n_boundaries * d)
    return difference_map.T @ H @ difference_map


def _coordinate_sweeps(H, q, t, l1, l2, coords, sweeps):
    """Cyclic coordinate descent on the quadratic model, ``sweeps`` passes over ``coords``.

    ``q`` is the model's gradient at ``t`` and is updated in place with ``t``.
    """
    # Python floats and lists: the loop is scalar code, where numpy scalars are slow.
    values, h = t.tolist(), np.diag(H).tolist()
    for _ in range(sweeps):
        for i in coords:
            hi, ti, threshold = h[i], values[i], l1[i]
            z = hi * ti - q.item(i)
            if z > threshold:
                new = (z - threshold) / (hi + l2[i])
            elif z < -threshold:
                new = (z + threshold) / (hi + l2[i])
            else:
                new = 0.0
            if new != ti:
                values[i] = new
                q += H[i] * (new - ti)
    return np.array(values)


def _model_value(H, b, t, l1, l2):
    """``b.t + t'Ht/2 + sum l1|t| + l2 t^2/2``: the quadratic model up to a constant."""
    return float(b @ t + 0.5 * t @ (H @ t) + l1 @ np.abs(t) + 0.5 * l2 @ (t * t))


def _face_minimiser(A, rhs):
    """A minimiser of ``x'Ax/2 - rhs.x`` for positive semi-definite ``A``.

    The likelihood's gradient is orthogonal to the flat directions of its Hessian, so
    the system is consistent; a ridge of 1e-10 of the largest curvature picks the
    bounded solution when ``A`` is singular (more slopes than rows, repeated columns).
    """
    return np.linalg.solve(A + np.diag(np.full(len(A), 1e-10 * np.diag(A).max(initial=0.0))), rhs)


def _solve_on_support(H, b, t, l1, l2, free, penalised):
    """Lower the quadratic model over the support of ``t`` with its signs fixed.

    Feature-sign search (Lee, Battle, Raina & Ng 2007): solve the linear system of the
    support; where the solution flips a sign, stop at the first zero crossing on the
    segment towards it (the model decreases along it), drop that coordinate, repeat.
    """
    start, t = t, t.copy()
    while True:
        support = free & ((t != 0) | ~penalised)
        index = np.flatnonzero(support)
        signs = np.sign(t[index]) * penalised[index]
        try:
            exact = _face_minimiser(H[np.ix_(index, index)] + np.diag(l2[index]), -(b[index] + l1[index] * signs))
        except np.linalg.LinAlgError:
            break
        flipped = (signs != 0) & (np.sign(exact) != signs)
        if not flipped.any():
            t[index] = exact
            break
        current = t[index]
        crossing = np.where(flipped, current / np.where(flipped, current - exact, 1.0), np.inf)
        first = int(np.argmin(crossing))
        t[index] = current + crossing[first] * (exact - current)
        t[index[first]] = 0.0
    # Rounding in a nearly singular system must not undo the sweeps' progress.
    return t if _model_value(H, b, t, l1, l2) <= _model_value(H, b, start, l1, l2) else start


def _solve_quadratic_model(H, grad, theta, l1, l2, free, tol, max_rounds=200):
    """Minimise ``grad.(t - theta) + (t - theta)' H (t - theta) / 2 + sum l1|t| + l2 t^2/2`` over free ``t``.

    Coordinate descent alone crawls here: the difference parameterisation makes the
    columns of ``H`` strongly correlated. A few sweeps add the coordinates that want to
    leave zero; an exact feature-sign solve on the support does the rest; the loop ends
    when no coordinate violates its optimality condition by more than ``tol``.
    """
    b = grad - H @ theta
    t = theta.copy()
    q = H @ t + b
    l1_list, l2_list = l1.tolist(), l2.tolist()
    # A coordinate without curvature (a constant column) cannot move.
    free = free & (np.diag(H) > 0)
    coords = np.flatnonzero(free).tolist()
    penalised = l1 > 0
    for _ in range(max_rounds):
        t = _coordinate_sweeps(H, q, t, l1_list, l2_list, coords, sweeps=1)
        t = _solve_on_support(H, b, t, l1, l2, free, penalised)
        q = H @ t + b
        at_zero = (t == 0) & penalised
        violation = np.where(at_zero, np.maximum(np.abs(q) - l1, 0.0), np.abs(q + l1 * np.sign(t) + l2 * t))
        if violation[free].max(initial=0.0) <= tol:
            break
    return t


def fit_penalized(X, y, weights, lam, factors, theta0, *, l1_ratio=1.0, free=None, tol=1e-8, max_iter=100,
                  record_objective=False):
    """Minimise the penalised objective by proximal Newton steps.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Features (standardised by the caller when the penalty should be scale-free).
    y : ndarray of int of shape (n_samples,)
        Class indices ``0..K-1``.
    weights : ndarray of shape (n_samples,)
        Observation weights summing to one.
    lam : float
        Penalty strength (>= 0).
    factors : ndarray of shape (K - 1, 1 + n_features)
        Penalty factors, see :func:`penalty_factors`.
    theta0 : ndarray of shape (K - 1, 1 + n_features)
        Starting point (a warm start along a lambda path).
    l1_ratio : float in [0, 1]
        Elastic-net mix; 1 is the lasso penalty of PRESTO.
    free : ndarray of bool of shape (K - 1, 1 + n_features), default=None
        Entries allowed to move; the others stay at their value in ``theta0`` (the
        proportional-odds model frees only the intercepts and ``psi_1``).
    tol : float
        Stop when the largest KKT violation is below ``tol``.
    max_iter : int
        Maximum number of Newton steps.
    record_objective : bool
        Keep the objective value after every step in ``objective_history``.

    Returns
    -------
    PenalizedFit
    """
    free = np.ones(theta0.shape, dtype=bool) if free is None else free
    shape = theta0.shape
    difference_map = _difference_map(shape[0], shape[1] - 1)
    l1 = (lam * l1_ratio * factors).ravel()
    l2 = (lam * (1.0 - l1_ratio) * factors).ravel()
    theta = theta0.astype(np.float64, copy=True)
    p_min = 0.0
    loss, grad, curvature = _smooth_part(theta, X, y, weights, hessian=True, p_min=p_min)
    if not np.isfinite(loss):
        # A start outside the domain (an observation whose class has probability 0): only
        # ordinalNet's floored likelihood can move it, at the price of convexity.
        p_min = P_MIN
        loss, grad, curvature = _smooth_part(theta, X, y, weights, hessian=True, p_min=p_min)
    penalty = _penalty(theta, lam, factors, l1_ratio)
    history = [loss + penalty] if record_objective else []
    kkt = kkt_violation(theta, grad, lam, factors, l1_ratio, free)
    n_iter = 0
    while kkt > tol and n_iter < max_iter:
        n_iter += 1
        H = _hessian_matrix(X, *curvature, difference_map)
        # An inexact inner solve suffices far from the optimum (Lee, Sun & Saunders 2014).
        inner_tol = max(min(kkt, 1.0) * 0.1, tol * 0.1)
        proposal = _solve_quadratic_model(H, grad.ravel(), theta.ravel(), l1, l2, free.ravel(), tol=inner_tol)
        direction = proposal.reshape(shape) - theta
        # Armijo rule of proximal Newton methods.
        predicted = float(np.sum(grad * direction)) + _penalty(theta + direction, lam, factors, l1_ratio) - penalty
        step, objective = 1.0, loss + penalty
        while True:
            candidate = theta + step * direction
            c_penalty = _penalty(candidate, lam, factors, l1_ratio)
            # Derivatives come with the loss: the full step is almost always accepted.
            c_loss, c_grad, c_curvature = _smooth_part(candidate, X, y, weights, hessian=True, p_min=p_min)
            if c_loss + c_penalty <= objective + 1e-4 * step * min(predicted, 0.0) or step < 1e-10:
                break
            step *= 0.5
        if c_loss + c_penalty > objective:  # no descent possible at machine precision
            break
        theta, penalty, loss, grad, curvature = candidate, c_penalty, c_loss, c_grad, c_curvature
        if record_objective:
            history.append(loss + penalty)
        kkt = kkt_violation(theta, grad, lam, factors, l1_ratio, free)
    return PenalizedFit(theta, n_iter, kkt <= tol, kkt, history)


def intercept_only_start(y, weights, n_classes, n_features):
    """ordinalNet's start: intercepts at the logits of the cumulative class shares, slopes 0."""
    shares = np.bincount(y, weights=weights, minlength=n_classes)
    cumulative = np.clip(np.cumsum(shares)[:-1], 1e-10, 1 - 1e-10)
    theta = np.zeros((n_classes - 1, 1 + n_features))
    theta[:, 0] = np.log(cumulative) - np.log1p(-cumulative)
    return theta


def lambda_max(X, y, weights, factors, theta_null, l1_ratio=1.0):
    """The smallest ``lam`` at which every penalised entry is zero (exact).

    Parameters
    ----------
    theta_null : ndarray
        The solution with every penalised entry held at zero (the intercept-only model,
        or the proportional-odds model when ``psi_1`` is unpenalised).

    Returns
    -------
    lam_max : float
        ``max |grad_j| / (c_j * l1_ratio)`` over the penalised entries, with
        ``l1_ratio`` floored at 1e-3 for ridge-like mixes.
    """
    grad = _smooth_part(theta_null, X, y, weights)[1]
    penalised = factors > 0
    if not penalised.any():
        return 0.0
    ratio = max(l1_ratio, _MIN_L1_RATIO_FOR_LAMBDA_MAX)
    return float(np.max(np.abs(grad[penalised]) / (factors[penalised] * ratio)))


def lambda_path(lam_max, n_lambdas, lambda_min_ratio):
    """Log-spaced penalties from ``lam_max`` down to ``lambda_min_ratio * lam_max``.

    Examples
    --------
    >>> lambda_path(1.0, 3, 0.01)
    array([1.  , 0.1 , 0.01])
    """
    return lam_max * np.logspace(0.0, np.log10(lambda_min_ratio), n_lambdas)


def null_fit(X, y, weights, factors, *, tol=1e-8, max_iter=100):
    """The model with every penalised entry at zero (start and end point of a path)."""
    n_classes = factors.shape[0] + 1
    theta0 = intercept_only_start(y, weights, n_classes, X.shape[1])
    return fit_penalized(X, y, weights, 0.0, factors, theta0, free=factors == 0, tol=tol, max_iter=max_iter)


def fit_path(X, y, weights, lambdas, factors, *, l1_ratio=1.0, tol=1e-8, max_iter=100, start=None):
    """Solutions along decreasing penalties, each warm-started from the previous one.

    Returns
    -------
    fits : list of PenalizedFit
        One per entry of ``lambdas``.
    """
    theta = null_fit(X, y, weights, factors, tol=tol, max_iter=max_iter).theta if start is None else start
    fits = []
    for lam in lambdas:
        fit = fit_penalized(X, y, weights, lam, factors, theta, l1_ratio=l1_ratio, tol=tol, max_iter=max_iter)
        fits.append(fit)
        theta = fit.theta
    return fits
