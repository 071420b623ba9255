"""The cumulative-logit likelihood and the PRESTO solver (pure functions)."""

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning

from distilkit.estimators.ordinal.likelihood import (
    class_log_proba,
    cumulative_to_class_proba,
    negative_log_likelihood,
    repair_crossing,
)
from distilkit.estimators.ordinal.solver import (
    fit_path,
    fit_penalized,
    intercept_only_start,
    kkt_violation,
    lambda_max,
    lambda_path,
    null_fit,
    penalised_objective,
    penalty_factors,
    slopes_from_differences,
)


def separate_slope_data(n=800, p=4, K=4, seed=0, intercepts=(0.0, 2.0, 3.5)):
    """Data from the separate-slope model with sparse slope differences (the paper's design)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, p))
    beta = np.cumsum(np.vstack([np.full(p, 0.8), 0.6 * rng.choice([-1, 0, 0, 1], size=(K - 2, p))]), axis=0)
    F = expit(X @ beta.T + np.asarray(intercepts[: K - 1]))
    y = (rng.random(n)[:, None] > np.sort(F, axis=1)).sum(axis=1)
    X = (X - X.mean(0)) / X.std(0)
    return X, y, np.full(n, 1.0 / n)


sorted_logits = arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(1, 5)),
                       elements=st.floats(-40, 40)).map(lambda a: np.sort(a, axis=1))


@given(sorted_logits)
def test_class_probabilities_sum_to_one_far_into_the_tails(eta):
    n, m = eta.shape
    proba = np.exp(np.column_stack([class_log_proba(eta, np.full(n, k), p_min=1e-300) for k in range(m + 1)]))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    np.testing.assert_allclose(proba, cumulative_to_class_proba(expit(eta)), atol=1e-12)


def test_rare_class_log_probability_keeps_its_precision():
    # sigma(40) rounds to 1, so 1 - F would give log(0); the log-sigmoid form does not.
    log_p = class_log_proba(np.array([[0.0, 40.0]]), np.array([2]), p_min=1e-300)
    np.testing.assert_allclose(log_p, -40.0 - np.log1p(np.exp(-40.0)), rtol=1e-12)


def test_crossing_boundaries_sit_on_the_probability_floor_with_zero_gradient():
    eta = np.array([[1.0, 0.5]])
    loss, grad = negative_log_likelihood(eta, np.array([1]), np.ones(1))
    assert loss == pytest.approx(-np.log(1e-8))
    np.testing.assert_array_equal(grad, 0.0)


def test_gradient_and_hessian_match_finite_differences():
    rng = np.random.default_rng(1)
    eta = np.sort(rng.normal(scale=2, size=(50, 3)), axis=1)
    y, w = rng.integers(0, 4, 50), rng.random(50)
    _, grad, diagonal, off_diagonal = negative_log_likelihood(eta, y, w, hessian=True)
    step = 1e-6

    def central(k, fn):
        up, down = eta.copy(), eta.copy()
        up[:, k] += step
        down[:, k] -= step
        return (fn(up) - fn(down)) / (2 * step)

    for k in range(3):
        numeric_grad = central(k, lambda e: -w * class_log_proba(e, y))
        np.testing.assert_allclose(grad[:, k], numeric_grad, rtol=1e-5, atol=1e-8)
        numeric_hessian = central(k, lambda e: negative_log_likelihood(e, y, w)[1])
        np.testing.assert_allclose(diagonal[:, k], numeric_hessian[:, k], rtol=1e-4, atol=1e-6)
        if k < 2:
            np.testing.assert_allclose(off_diagonal[:, k], numeric_hessian[:, k + 1], rtol=1e-4, atol=1e-6)


@given(sorted_logits, st.integers(0, 2**31 - 1))
def test_hessian_is_positive_semidefinite(eta, seed):
    n, m = eta.shape
    y = np.random.default_rng(seed).integers(0, m + 1, n)
    _, _, diagonal, off_diagonal = negative_log_likelihood(eta, y, np.ones(n), hessian=True)
    for i in range(n):
        H = np.diag(diagonal[i]) + np.diag(off_diagonal[i], 1) + np.diag(off_diagonal[i], -1)
        assert np.linalg.eigvalsh(H).min() >= -1e-9 * max(1.0, np.abs(H).max())


@given(arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(1, 5)), elements=st.floats(0, 1)),
       st.sampled_from(["clip", "sort"]))
def test_repaired_probabilities_are_valid_and_leave_monotone_rows_alone(F, crossing):
    proba = repair_crossing(F, crossing)
    assert (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    monotone = (np.diff(F, axis=1) >= 0).all(axis=1)
    np.testing.assert_allclose(proba[monotone], cumulative_to_class_proba(F[monotone]), atol=1e-12)


def test_raise_policy_refuses_crossing_rows_only():
    ok = np.array([[0.2, 0.5, 0.9]])
    np.testing.assert_allclose(repair_crossing(ok, "raise"), [[0.2, 0.3, 0.4, 0.1]])
    with pytest.raises(ValueError, match="cross for 1 of 2 rows"):
        repair_crossing(np.vstack([ok, [[0.6, 0.5, 0.9]]]), "raise")


def test_objective_decreases_at_every_iteration():
    X, y, w = separate_slope_data()
    factors = penalty_factors(3, X.shape[1])
    start = intercept_only_start(y, w, 4, X.shape[1])
    for lam in (0.05, 0.005, 0.0):
        fit = fit_penalized(X, y, w, lam, factors, start, record_objective=True)
        assert fit.converged and fit.n_iter >= 2
        assert np.all(np.diff(fit.objective_history) <= 1e-15)
        assert fit.objective_history[-1] == pytest.approx(penalised_objective(fit.theta, X, y, w, lam, factors))


def test_lambda_max_is_exactly_where_the_first_coefficient_enters():
    X, y, w = separate_slope_data(seed=2)
    for penalize_first in (True, False):
        factors = penalty_factors(3, X.shape[1], penalize_first)
        null = null_fit(X, y, w, factors)
        lam_max = lambda_max(X, y, w, factors, null.theta)
        at_max = fit_penalized(X, y, w, lam_max * (1 + 1e-9), factors, null.theta)
        below = fit_penalized(X, y, w, lam_max * 0.95, factors, null.theta)
        penalised = factors > 0
        assert np.count_nonzero(at_max.theta[penalised]) == 0
        assert np.count_nonzero(below.theta[penalised]) >= 1


def test_solution_satisfies_the_kkt_conditions_for_lasso_and_elastic_net():
    X, y, w = separate_slope_data(seed=3)
    factors = penalty_factors(3, X.shape[1])
    start = intercept_only_start(y, w, 4, X.shape[1])
    for l1_ratio in (1.0, 0.5, 0.0):
        fit = fit_penalized(X, y, w, 0.01, factors, start, l1_ratio=l1_ratio, tol=1e-10)
        from distilkit.estimators.ordinal.solver import _smooth_part

        grad = _smooth_part(fit.theta, X, y, w)[1]
        assert kkt_violation(fit.theta, grad, 0.01, factors, l1_ratio) <= 1e-10
        if l1_ratio == 0.0:
            assert np.count_nonzero(fit.theta[:, 1:]) == fit.theta[:, 1:].size


def test_unpenalised_fit_equals_the_separate_slope_maximum_likelihood():
    X, y, w = separate_slope_data(n=600, p=3, seed=4)
    factors = penalty_factors(3, X.shape[1])
    fit = fit_penalized(X, y, w, 0.0, factors, intercept_only_start(y, w, 4, 3), tol=1e-10)

    def nll(flat):
        beta = flat[3:].reshape(3, 3)
        eta = X @ beta.T + flat[:3]
        return -w @ class_log_proba(eta, y)

    start = np.concatenate([intercept_only_start(y, w, 4, 3)[:, 0], np.zeros(9)])
    reference = minimize(nll, start, method="BFGS", options={"gtol": 1e-10, "maxiter": 10000})
    ours = np.concatenate([fit.theta[:, 0], slopes_from_differences(fit.theta[:, 1:]).ravel()])
    assert fit.converged
    np.testing.assert_allclose(ours, reference.x, atol=1e-4)
    assert nll(ours) <= reference.fun + 1e-12


def test_large_penalty_on_differences_only_gives_proportional_odds():
    X, y, w = separate_slope_data(seed=5)
    factors = penalty_factors(3, X.shape[1], penalize_first=False)
    po = null_fit(X, y, w, factors, tol=1e-10)
    fit = fit_penalized(X, y, w, 10.0, factors, intercept_only_start(y, w, 4, X.shape[1]), tol=1e-10)
    beta = slopes_from_differences(fit.theta[:, 1:])
    np.testing.assert_allclose(beta, np.broadcast_to(beta[0], beta.shape))
    np.testing.assert_allclose(fit.theta, po.theta, atol=1e-8)


def test_warm_started_path_matches_cold_fits():
    X, y, w = separate_slope_data(seed=6)
    factors = penalty_factors(3, X.shape[1])
    null = null_fit(X, y, w, factors)
    lambdas = lambda_path(lambda_max(X, y, w, factors, null.theta), 6, 0.01)
    path = fit_path(X, y, w, lambdas, factors, tol=1e-10)
    start = intercept_only_start(y, w, 4, X.shape[1])
    for lam, fit in zip(lambdas, path):
        np.testing.assert_allclose(fit.theta, fit_penalized(X, y, w, lam, factors, start, tol=1e-10).theta, atol=1e-6)
    nonzero = [np.count_nonzero(f.theta[:, 1:]) for f in path]
    assert nonzero[0] == 0 and nonzero[-1] > nonzero[1]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(1e-4, 0.1))
@example(seed=443, lam=1e-4)  # nearly separable: slopes near 15, the optimum flat along them
def test_weights_are_repetitions(seed, lam):
    X, y, _ = separate_slope_data(n=120, p=2, seed=seed)
    if np.unique(y).size < 4:
        return
    counts = np.random.default_rng(seed).integers(1, 4, len(y))
    factors = penalty_factors(3, 2)
    weighted = fit_penalized(X, y, counts / counts.sum(), lam, factors,
                             intercept_only_start(y, counts / counts.sum(), 4, 2), tol=1e-10)
    Xr, yr = np.repeat(X, counts, axis=0), np.repeat(y, counts)
    wr = np.full(len(yr), 1.0 / len(yr))
    repeated = fit_penalized(Xr, yr, wr, lam, factors, intercept_only_start(yr, wr, 4, 2), tol=1e-10)
    # Relative too: where the penalty is small and the classes nearly separate, the KKT tolerance
    # pins large coefficients only to a few parts in 10^7 (CI once drew 14.649585 against 14.649591).
    np.testing.assert_allclose(weighted.theta, repeated.theta, rtol=1e-5, atol=1e-6)


def soup_design():
    """The paper's soup set-up: 22 treatment-coded predictors, SURENESS reversed (sure_1 last)."""
    import pandas as pd

    soup = pd.read_csv(Path(__file__).parent / "data" / "soup.csv", dtype=str)
    columns = ["PROD", "DAY", "SOUPTYPE", "SOUPFREQ", "COLD", "EASY", "GENDER", "AGEGROUP", "LOCATION"]
    X = pd.get_dummies(soup[columns], drop_first=True).to_numpy(float)
    y = 6 - soup["SURENESS"].astype(int).to_numpy()
    return (X - X.mean(0)) / X.std(0), y, np.full(len(y), 1.0 / len(y))


def conic_optimum(X, y, w, lam, factors):
    """The penalised objective's minimum found by an interior-point conic solver (cvxpy + Clarabel).

    ``log(sigma(a) - sigma(b)) = log sigma(a) + log sigma(-b) + log(1 - e^(b - a))`` and
    ``t <= log(1 - e^u)`` is ``e^t + e^u <= 1``: the exact likelihood as exponential cones,
    an algorithm that shares nothing with the proximal Newton solver.
    """
    cp = pytest.importorskip("cvxpy")
    n, K = len(y), factors.shape[0] + 1
    theta = cp.Variable(factors.shape)
    eta = X @ cp.cumsum(theta[:, 1:], axis=0).T + np.ones((n, 1)) @ theta[:, 0][None, :]
    has_upper, has_lower = y < K - 1, y > 0
    upper = cp.sum(cp.multiply(eta[has_upper], np.eye(K - 1)[y[has_upper]]), axis=1)
    lower = cp.sum(cp.multiply(eta[has_lower], np.eye(K - 1)[y[has_lower] - 1]), axis=1)
    middle = has_upper & has_lower
    upper_mid = cp.sum(cp.multiply(eta[middle], np.eye(K - 1)[y[middle]]), axis=1)
    lower_mid = cp.sum(cp.multiply(eta[middle], np.eye(K - 1)[y[middle] - 1]), axis=1)
    gap = cp.Variable(int(middle.sum()))
    log_likelihood = (-w[has_upper] @ cp.logistic(-upper) - w[has_lower] @ cp.logistic(lower) + w[middle] @ gap)
    problem = cp.Problem(cp.Minimize(-log_likelihood + lam * cp.sum(cp.multiply(factors, cp.abs(theta)))),
                         [cp.exp(gap) + cp.exp(lower_mid - upper_mid) <= 1])
    problem.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return problem.value, theta.value


@pytest.mark.parametrize("ratio", [0.05, 1e-3, 1e-4])
def test_soup_fit_reaches_the_optimum_of_an_independent_solver_at_small_penalties(ratio):
    # At small penalties boundaries cross and ordinalNet's floored likelihood lets a cold
    # start end at a worse point (soup: +0.018 at 1e-4 lambda_max); the exact likelihood
    # is convex on its domain, so cold and warm starts must both reach the conic optimum.
    X, y, w = soup_design()
    factors = penalty_factors(5, X.shape[1])
    null = null_fit(X, y, w, factors)
    lam = ratio * lambda_max(X, y, w, factors, null.theta)
    cold = fit_penalized(X, y, w, lam, factors, intercept_only_start(y, w, 6, X.shape[1]))
    warm = fit_path(X, y, w, lambda_path(lam / ratio, 30, ratio), factors)[-1]
    reference, _ = conic_optimum(X, y, w, lam, factors)
    for fit in (cold, warm):
        assert fit.converged
        assert penalised_objective(fit.theta, X, y, w, lam, factors) == pytest.approx(reference, abs=1e-7)


def test_boundaries_may_cross_on_training_rows_but_never_inside_an_observed_class():
    X, y, w = soup_design()
    factors = penalty_factors(5, X.shape[1])
    fit = fit_penalized(X, y, w, 0.0, factors, intercept_only_start(y, w, 6, X.shape[1]))
    eta = X @ slopes_from_differences(fit.theta[:, 1:]).T + fit.theta[:, 0]
    assert (np.diff(eta, axis=1) < 0).any(axis=1).sum() > 0  # crossing somewhere on training rows
    assert np.all(class_log_proba(eta, y, p_min=0.0) > np.log(1e-8))  # no observation on ordinalNet's floor


def test_soup_cross_validation_over_the_papers_path_converges_everywhere():
    from distilkit.estimators.ordinal import PrestoOrdinalCV

    X, y, _ = soup_design()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = PrestoOrdinalCV(n_lambdas=100, lambda_min_ratio=1e-4).fit(X[:1662], y[:1662])
    assert model.brier_path_.shape == (100, 5)
