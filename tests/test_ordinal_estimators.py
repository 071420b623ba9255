"""PrestoOrdinal, PrestoOrdinalCV and ProportionalOdds as scikit-learn estimators."""

import joblib
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from distilkit.estimators.ordinal import (
    PrestoOrdinal,
    PrestoOrdinalCV,
    ProportionalOdds,
)


def rare_event_data(n=1500, seed=0):
    """Four ordered classes, the last one rare (~3%), with differing slopes."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 3))
    beta = np.array([[1.0, 0.5, 0.0], [1.0, 0.5, 0.0], [1.0, -0.5, 0.5]])
    F = 1 / (1 + np.exp(-(X @ beta.T + [0.0, 2.0, 3.5])))
    y = (rng.random(n)[:, None] > np.sort(F, axis=1)).sum(axis=1)
    return X, y


def test_proportional_odds_matches_statsmodels_on_fair():
    sm = pytest.importorskip("statsmodels.api")
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    data = sm.datasets.fair.load_pandas().data
    features = ["age", "yrs_married", "children", "religious", "educ", "occupation", "occupation_husb", "affairs"]
    X, y = data[features].to_numpy(), data["rate_marriage"].astype(int).to_numpy()
    ours = ProportionalOdds(tol=1e-10).fit(X, y)
    reference = OrderedModel(y, X, distr="logit").fit(method="bfgs", disp=False, maxiter=5000, gtol=1e-10)
    cuts = reference.model.transform_threshold_params(reference.params)[1:-1]
    # statsmodels: P(Y <= k) = F(cut_k - x.beta); here sigma(intercept_k + x.coef).
    np.testing.assert_allclose(ours.coef_, -reference.params[: len(features)], atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, cuts, atol=1e-4)
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict(), atol=1e-6)


def test_ordered_string_labels_follow_the_classes_parameter():
    X, y = rare_event_data()
    names = np.array(["never", "rarely", "often", "always"])[y]
    order = ["never", "rarely", "often", "always"]
    model = PrestoOrdinal(classes=order).fit(X, names)
    assert model.classes_.tolist() == order
    np.testing.assert_allclose(model.predict_proba(X), PrestoOrdinal().fit(X, y).predict_proba(X))
    assert set(model.predict(X)) <= set(order)


@pytest.mark.parametrize(("classes", "message"), [
    ([0, 1, 2], "label 3 is not one of classes"),
    ([0, 1, 2, 3, 4], "class 4 has no training observation"),
    ([0, 1, 1, 3], "each label once"),
])
def test_bad_class_orders_are_refused(classes, message):
    X, y = rare_event_data(n=300)
    with pytest.raises(ValueError, match=message):
        PrestoOrdinal(classes=classes).fit(X, y)


@pytest.mark.parametrize("estimator", [ProportionalOdds(), PrestoOrdinal(), PrestoOrdinalCV(n_lambdas=3)])
def test_string_labels_need_an_order(estimator):
    X, y = rare_event_data(n=300)
    labels = np.array(["elective", "urgent", "emergency", "death"])[np.minimum(y, 3)]
    with pytest.raises(ValueError, match="no natural order: give it as classes="):
        estimator.fit(X, labels)
    order = ["elective", "urgent", "emergency", "death"]
    fitted = estimator.set_params(classes=order).fit(X, labels)
    assert fitted.classes_.tolist() == order[: len(fitted.classes_)]
    numeric = ProportionalOdds().fit(X, y + 10)
    assert numeric.classes_.tolist() == sorted(set((y + 10).tolist()))


def test_coefficients_are_on_the_original_feature_scale():
    X, y = rare_event_data()
    scaled = X * [10.0, 0.1, 3.0] + [5.0, -2.0, 0.0]
    a, b = PrestoOrdinal(lam=0.005).fit(X, y), PrestoOrdinal(lam=0.005).fit(scaled, y)
    np.testing.assert_allclose(b.coef_ * [10.0, 0.1, 3.0], a.coef_, atol=1e-6)
    np.testing.assert_allclose(b.predict_proba(scaled), a.predict_proba(X), atol=1e-7)
    np.testing.assert_allclose(a.predict_cumulative_proba(X),
                               1 / (1 + np.exp(-(X @ a.coef_.T + a.intercept_))))


def test_penalty_shrinks_towards_proportional_odds():
    X, y = rare_event_data()
    spread = [np.abs(np.diff(PrestoOrdinal(lam=lam, penalize_first=False).fit(X, y).coef_, axis=0)).sum()
              for lam in (0.0, 0.002, 0.02, 1.0)]
    assert spread[0] > spread[1] > spread[2] > spread[3] == 0.0
    po = ProportionalOdds().fit(X, y)
    strong = PrestoOrdinal(lam=1.0, penalize_first=False).fit(X, y)
    np.testing.assert_allclose(strong.coef_, np.tile(po.coef_, (3, 1)), atol=1e-6)


def test_cv_picks_the_largest_penalty_at_the_minimum_and_refits():
    X, y = rare_event_data()
    model = PrestoOrdinalCV(random_state=0).fit(X, y)
    mean = model.brier_path_.mean(axis=1)
    assert model.lambda_ == model.lambdas_[np.flatnonzero(mean == mean.min())[0]]
    assert np.all(np.diff(model.lambdas_) < 0) and model.lambdas_[0] == model.lambda_max_
    refit = PrestoOrdinal(lam=model.lambda_).fit(X, y)
    np.testing.assert_allclose(model.coef_, refit.coef_, atol=1e-5)


def test_cv_folds_are_stratified_so_every_fold_sees_the_rare_class():
    X, y = rare_event_data(n=400, seed=3)
    X, y = X[: 200], np.where(np.arange(200) < 5, 3, np.minimum(y[:200], 2))  # exactly five rare rows
    model = PrestoOrdinalCV(n_lambdas=4, cv=5, random_state=0).fit(X, y)
    assert np.isfinite(model.brier_path_).all() and model.brier_path_.shape == (4, 5)


def test_cv_runs_folds_in_parallel_with_the_same_result():
    X, y = rare_event_data(n=600)
    one = PrestoOrdinalCV(n_lambdas=5, random_state=0).fit(X, y)
    two = PrestoOrdinalCV(n_lambdas=5, random_state=0, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(one.brier_path_, two.brier_path_)


def test_crossing_policies_on_extrapolated_rows():
    X, y = rare_event_data()
    model = PrestoOrdinal(lam=0.0, crossing="raise").fit(X, y)
    # Far out along beta_2 - beta_3, boundary 3 falls below boundary 2.
    direction = model.coef_[1] - model.coef_[2]
    far = 100 * direction[None, :] / np.linalg.norm(direction)
    cumulative = model.predict_cumulative_proba(far)
    assert (np.diff(cumulative, axis=1) < 0).any()
    with pytest.raises(ValueError, match="boundaries cross"):
        model.predict_proba(far)
    for crossing in ("clip", "sort"):
        proba = model.set_params(crossing=crossing).predict_proba(far)
        assert (proba >= 0).all() and np.isclose(proba.sum(), 1.0)


def test_pipeline_grid_search_and_joblib_round_trip(tmp_path):
    X, y = rare_event_data(n=800)
    search = GridSearchCV(make_pipeline(StandardScaler(), PrestoOrdinal()),
                          {"prestoordinal__lam": [0.001, 0.01]}, cv=3, scoring="neg_log_loss").fit(X, y)
    assert search.best_params_["prestoordinal__lam"] in (0.001, 0.01)
    for model in (search.best_estimator_, PrestoOrdinalCV(n_lambdas=5, random_state=0).fit(X, y),
                  ProportionalOdds().fit(X, y)):
        joblib.dump(model, tmp_path / "model.joblib")
        np.testing.assert_array_equal(joblib.load(tmp_path / "model.joblib").predict_proba(X), model.predict_proba(X))


def test_model_file_round_trip(tmp_path):
    from distilkit import load_model, save_model

    X, y = rare_event_data(n=600)
    labels = np.array(["none", "some", "many", "all"])[y]
    for model in (PrestoOrdinalCV(n_lambdas=5, classes=["none", "some", "many", "all"], random_state=0),
                  PrestoOrdinal(lam=0.001, crossing="clip"), ProportionalOdds()):
        model.fit(X, labels if model.classes is not None else y)
        save_model(model, tmp_path / "m.dkm")
        loaded = load_model(tmp_path / "m.dkm")
        assert loaded.get_params() == model.get_params()
        np.testing.assert_array_equal(loaded.classes_, model.classes_)
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_cv_is_reproducible_without_a_random_state():
    X, y = rare_event_data(n=600)
    one, two = PrestoOrdinalCV(n_lambdas=4).fit(X, y), PrestoOrdinalCV(n_lambdas=4).fit(X, y)
    np.testing.assert_array_equal(one.brier_path_, two.brier_path_)


def test_cv_warns_when_fold_fits_do_not_converge():
    from sklearn.exceptions import ConvergenceWarning

    X, y = rare_event_data(n=600)
    with pytest.warns(ConvergenceWarning, match="a fold's fit did not converge"):
        PrestoOrdinalCV(n_lambdas=4, max_iter=1, random_state=0).fit(X, y)


@pytest.mark.parametrize("estimator", [ProportionalOdds(), PrestoOrdinal(lam=0.0)])
def test_separable_classes_warn(estimator):
    X = np.linspace(-1, 1, 60)[:, None]
    y = np.digitize(X[:, 0], [-0.3, 0.4])
    with pytest.warns(ConvergenceWarning, match="classes look separable"):
        estimator.fit(X, y)
