import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.pipeline import Pipeline

from distilkit import load_model, save_model
from distilkit.estimators.decision import (
    check_decision,
    decision_threshold,
    labels_from_proba,
    positive_label,
    threshold_labels,
)
from distilkit.evaluation.model_selection import fit_model
from distilkit.exceptions import DataError


@pytest.fixture(scope="module")
def rare_yes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = np.where(X[:, 0] + 0.7 * rng.normal(size=400) > 1.0, "yes", "no")
    return X, y


def test_positive_label_is_matched_by_value_and_text():
    assert positive_label([0, 1], "0") == 0 and positive_label(["no", "yes"]) == "yes"
    assert positive_label(np.array([False, True])) is True
    with pytest.raises(DataError, match="not one of the model's classes"):
        positive_label(["no", "yes"], "maybe")
    with pytest.raises(DataError, match="needs a binary model"):
        positive_label(["a", "b", "c"], "a")


@settings(max_examples=60, deadline=None)
@given(p=arrays(np.float64, st.integers(1, 30), elements=st.floats(0, 1)), low=st.floats(0, 1), high=st.floats(0, 1))
def test_a_higher_threshold_never_adds_a_positive(p, low, high):
    low, high = min(low, high), max(low, high)
    proba = np.column_stack([1 - p, p])
    at_low = threshold_labels(proba, ["no", "yes"], low, "yes") == "yes"
    at_high = threshold_labels(proba, ["no", "yes"], high, "yes") == "yes"
    assert not (at_high & ~at_low).any()
    # The same rule seen from the other class: "no" at threshold t is "yes" below 1 - t.
    as_no = threshold_labels(proba, ["no", "yes"], 1 - low, "no")
    assert ((as_no == "no") == (1 - p >= 1 - low)).all()


def test_threshold_flips_predictions_as_expected(rare_yes):
    X, y = rare_yes
    model = LogisticRegression().fit(X, y)
    proba = model.predict_proba(X)
    np.testing.assert_array_equal(labels_from_proba(model, proba), model.predict(X))
    low = labels_from_proba(model, proba, threshold=0.1)
    assert (low == "yes").sum() > (model.predict(X) == "yes").sum()
    np.testing.assert_array_equal(low == "yes", proba[:, 1] >= 0.1)
    np.testing.assert_array_equal(labels_from_proba(model, proba, threshold=0.0), np.full(len(y), "yes"))
    np.testing.assert_array_equal(labels_from_proba(model, proba, threshold=0.0, pos_label="no"), np.full(len(y), "no"))


def test_checks_refuse_what_cannot_apply():
    with pytest.raises(DataError, match="needs a threshold"):
        check_decision(["a", "b"], None, "a")
    with pytest.raises(DataError, match=r"probability in \[0, 1\]"):
        check_decision(["a", "b"], 1.5)
    with pytest.raises(DataError, match="needs a binary model"):
        check_decision(["a", "b", "c"], 0.3)
    check_decision(["a", "b", "c"])


def test_tuned_threshold_is_a_fixed_threshold_that_survives_a_model_file(tmp_path, rare_yes):
    X, y = rare_yes
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    pipeline, tuning = fit_model(Pipeline([("estimator", LogisticRegression())]), frame, y, tune_threshold="f1",
                                 pos_label="yes")
    model = pipeline[-1]
    assert isinstance(model, FixedThresholdClassifier) and tuning["pos_label"] == "yes"
    assert 0 < tuning["threshold"] < 0.5 and 0 < tuning["score"] <= 1
    assert decision_threshold(model) == (tuning["threshold"], "yes")
    save_model(model, tmp_path / "m.dkm")
    loaded = load_model(tmp_path / "m.dkm")
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
    np.testing.assert_array_equal(labels_from_proba(loaded, loaded.predict_proba(frame)), model.predict(frame))
    untuned = LogisticRegression().fit(frame, y).predict(frame)
    assert (model.predict(frame) == "yes").sum() > (untuned == "yes").sum()


@pytest.mark.filterwarnings("ignore:AnyLossClassifier predicts")
def test_anyloss_threshold_is_read_from_the_estimator():
    from distilkit import AnyLossClassifier

    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    model = AnyLossClassifier(threshold=0.3, max_epochs=2, random_state=0).fit(X, y)
    assert decision_threshold(model) == (0.3, 1)
    np.testing.assert_array_equal(labels_from_proba(model, model.predict_proba(X)), model.predict(X))


@pytest.mark.filterwarnings("ignore:AnyLossClassifier predicts")
def test_prediction_frames_take_one_forward_pass(monkeypatch):
    from distilkit import AnyLossClassifier
    from distilkit.estimators.neural.base import NeuralClassifierBase
    from distilkit.features import ColumnRole
    from distilkit.inference.scoring import (
        prediction_frame,
        scoring_request,
        table_model,
    )

    rng = np.random.default_rng(2)
    frame = pd.DataFrame(rng.normal(size=(64, 2)).astype(np.float32), columns=["a", "b"])
    model = AnyLossClassifier(threshold=0.4, max_epochs=2, random_state=0).fit(frame, (frame.a > 0).astype(int))
    expected = model.predict(frame)
    calls = []
    forward = NeuralClassifierBase.predict_proba
    monkeypatch.setattr(NeuralClassifierBase, "predict_proba", lambda self, X: calls.append(len(X)) or forward(self, X))
    roles = [ColumnRole(c, "numeric", "float32", "as given") for c in ("a", "b")]
    scored = table_model(model, roles)
    # table_model scores one probe row, once.
    assert calls == [1]
    out = prediction_frame(scored, frame, scoring_request(model.classes_, roles, proba=True))
    assert calls == [1, 64]
    np.testing.assert_array_equal(out["prediction"], expected)
