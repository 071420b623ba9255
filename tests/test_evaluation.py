import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.linear_model import LogisticRegression

from distilkit.evaluation.evaluate import evaluate_table, labels_fingerprint
from distilkit.evaluation.metrics import (
    CURVE_POINTS,
    binary_curves,
    expected_calibration_error,
    reliability_bins,
)
from distilkit.exceptions import DataError
from distilkit.features import infer_roles, make_model
from distilkit.report.records import (
    comparison_table,
    data_groups,
    load_records,
    metrics_record,
)


@st.composite
def probabilities(draw):
    n, k = draw(st.integers(1, 40)), draw(st.integers(2, 4))
    raw = draw(arrays(np.float64, (n, k), elements=st.floats(0.01, 1)))
    y = draw(arrays(np.int64, n, elements=st.integers(0, k - 1)))
    return y, raw / raw.sum(axis=1, keepdims=True), np.arange(k)


@settings(max_examples=80, deadline=None)
@given(case=probabilities())
def test_ece_is_the_weighted_gap_of_the_reliability_bins(case):
    y, proba, classes = case
    bins = reliability_bins(y, proba, classes)
    assert sum(bins["count"]) == len(y) and bins["confidence"] == sorted(bins["confidence"])
    ece = expected_calibration_error(y, proba, classes)
    assert 0 <= ece <= 1
    # One bin: the gap between mean confidence and accuracy.
    confidence, correct = proba.max(axis=1), classes[proba.argmax(axis=1)] == y
    assert expected_calibration_error(y, proba, classes, n_bins=1) == pytest.approx(
        abs(confidence.mean() - correct.mean()))
    # As many bins as rows of distinct confidence: the mean per-row gap.
    assert ece <= np.mean(np.abs(confidence - correct)) + 1e-12


def test_a_calibrated_model_has_a_small_ece():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=200_000)
    y = (rng.uniform(size=p.size) < p).astype(int)
    assert expected_calibration_error(y, np.column_stack([1 - p, p]), [0, 1]) < 0.005
    # Always 99% sure of class 0, right about half the time.
    assert expected_calibration_error(y, np.tile([0.99, 0.01], (p.size, 1)), [0, 1]) == pytest.approx(0.49, abs=0.01)


def test_binary_curves_are_thinned_and_span_the_unit_square():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 5000)
    p = np.clip(y * 0.3 + rng.uniform(size=5000) * 0.7, 0, 1)
    curves = binary_curves(y, np.column_stack([1 - p, p]), [0, 1])
    assert len(curves["roc"]["fpr"]) <= CURVE_POINTS and len(curves["pr"]["recall"]) <= CURVE_POINTS
    assert (curves["roc"]["fpr"][0], curves["roc"]["tpr"][-1]) == (0.0, 1.0)
    assert curves["pr"]["recall"][0] == 0.0 and curves["pr"]["recall"][-1] == 1.0
    assert binary_curves(np.ones(4), np.full((4, 2), 0.5), [0, 1]) == {}


@pytest.fixture(scope="module")
def binary_model():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 2)), columns=["a", "b"])
    frame["y"] = np.where(frame["a"] + rng.normal(size=300) > 1, "yes", "no")
    roles = infer_roles(frame, target="y")
    model = make_model(LogisticRegression(), roles).fit(frame, frame["y"])
    return model, frame, roles


def test_evaluate_table_per_class_confusion_and_threshold(binary_model):
    model, frame, roles = binary_model
    metrics, details = evaluate_table(model, frame, "y")
    assert details["classes"] == ["no", "yes"] and details["decision"] == {"threshold": 0.5, "pos_label": "yes"}
    assert details["pos_label"] == "yes"
    counts = np.array(details["confusion_matrix"]["counts"])
    assert counts.sum() == 300 and details["per_class"]["yes"]["support"] == counts[1].sum()
    assert metrics["recall"] == pytest.approx(counts[1, 1] / counts[1].sum())
    low, low_details = evaluate_table(model, frame, "y", threshold=0.1)
    low_counts = np.array(low_details["confusion_matrix"]["counts"])
    assert low_counts[:, 1].sum() > counts[:, 1].sum() and low["recall"] > metrics["recall"]
    assert low["log_loss"] == metrics["log_loss"]  # a threshold changes labels, not probabilities
    as_no, no_details = evaluate_table(model, frame, "y", pos_label="no")
    assert no_details["pos_label"] == "no" and as_no["recall"] == details["per_class"]["no"]["recall"]
    assert no_details["decision"] == {"threshold": 0.5, "pos_label": "no"}  # argmax, described from "no"
    assert as_no["roc_auc"] == pytest.approx(metrics["roc_auc"])
    json.dumps(details)  # everything is JSON


def test_records_with_malformed_plot_data_are_refused(tmp_path, binary_model):
    model, frame, roles = binary_model
    metrics, details = evaluate_table(model, frame, "y")
    good = metrics_record("m", metrics, data="t.csv", target="y", n_samples=300, **details)
    for damage, fragment in [
        (lambda r: r["curves"]["roc"].update(fpr=r["curves"]["roc"]["fpr"][:-1]), "curve 'roc'"),
        (lambda r: r["curves"]["pr"].update(recall=["x"] * len(r["curves"]["pr"]["recall"])), "curve 'pr'"),
        (lambda r: r.update(curves=[1, 2]), "'curves' is not"),
        (lambda r: r["confusion_matrix"]["counts"].pop(), "'confusion_matrix'"),
        (lambda r: r["confusion_matrix"]["counts"][0].__setitem__(0, -1), "'confusion_matrix'"),
        (lambda r: r["per_class"]["no"].update(f1="high"), "'per_class'"),
    ]:
        record = json.loads(json.dumps(good))
        damage(record)
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(record))
        with pytest.raises(DataError, match=fragment):
            load_records([path])


def test_ties_are_marked_alike_and_different_data_is_told():
    record = lambda name, fingerprint, **m: {"name": name, "labels_fingerprint": fingerprint, "data": f"{name}.csv",
                                             "target": "y", "n_samples": 10, "metrics": m}
    records = [record("a", "f1", accuracy=0.75, ece=0.1), record("b", "f1", accuracy=0.75, ece=0.2),
               record("c", "f2", accuracy=0.7, ece=0.1)]
    rows = {metric: best for metric, _, best in comparison_table(records)}
    assert rows == {"accuracy": {0, 1}, "ece": {0, 2}}
    groups = data_groups(records)
    assert [members for _, members in groups] == [[0, 1], [2]]
    assert labels_fingerprint(["a", "b"]) != labels_fingerprint(["a", "c"])


def test_positive_class_calibration_matches_sklearns_calibration_curve():
    from sklearn.calibration import calibration_curve

    from distilkit.evaluation.metrics import positive_class_calibration

    rng = np.random.default_rng(4)
    p = rng.uniform(size=2000)
    y = np.where(rng.uniform(size=2000) < p ** 1.5, "yes", "no")
    bins = positive_class_calibration(y, np.column_stack([1 - p, p]), ["no", "yes"])
    observed, predicted = calibration_curve(y == "yes", p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(bins["observed"], observed)
    np.testing.assert_allclose(bins["predicted"], predicted)
    assert sum(bins["count"]) == 2000
