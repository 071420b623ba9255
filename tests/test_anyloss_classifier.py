import io
import pickle

import joblib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from distilkit import AnyLossClassifier, load_model, save_model
from distilkit.estimators.neural.batching import BatchIndexSampler, stratified_batches
from distilkit.evaluation.metrics import confusion_metric


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def quick(**params):
    return AnyLossClassifier(**{"amplifier": 30.0, "max_epochs": 15, "random_state": 0, **params})


def test_learns_and_is_reproducible(cancer):
    X, y = cancer
    a = quick(metric="f1").fit(X, y)
    b = quick(metric="f1").fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert confusion_metric("f1", y, a.predict(X), a.classes_) > 0.95


def test_pipeline_grid_search_over_metric_and_routed_params(cancer):
    X, y = cancer
    pipe = make_pipeline(StandardScaler(), quick())
    grid = {
        "anylossclassifier__metric": ["f1", "gmean", "balanced_accuracy"],
        "anylossclassifier__optimizer__weight_decay": [0.0, 1e-3],
    }
    search = GridSearchCV(pipe, grid, cv=StratifiedKFold(3), scoring="f1").fit(X, y)
    assert search.best_score_ > 0.9
    best = search.best_estimator_[-1]
    assert best.net_.optimizer_.param_groups[0]["weight_decay"] == best.optimizer__weight_decay


def test_unknown_routed_parameter_is_refused_at_fit(cancer):
    X, y = cancer
    clf = quick(modul__typo=3)
    assert clf.get_params()["modul__typo"] == 3
    with pytest.raises(ValueError, match="unexpected parameter 'modul__typo'"):
        clf.fit(X, y)


def test_threshold_and_string_labels(cancer):
    X, y = cancer
    labels = np.where(y == 1, "benign", "malignant")
    clf = quick(metric="gmean").fit(X, labels)
    proba = clf.predict_proba(X)
    assert set(clf.predict(X)) <= {"benign", "malignant"} and proba.dtype == np.float64
    clf.set_params(threshold=0.0)
    assert (clf.predict(X) == clf.classes_[1]).all()


def test_bce_baselines_and_multiclass(cancer):
    X, y = cancer
    for params in [{"loss": "bce"}, {"loss": "bce", "class_weight": "balanced"}]:
        assert (quick(**params).fit(X, y).predict(X) == y).mean() > 0.95
    y3 = np.digitize(X[:, 0], [-0.5, 0.5])
    # A middle class is a band: one-vs-rest sigmoids need the hidden layer and full training.
    clf = quick(metric="balanced_accuracy", hidden_layer_sizes=(8,), max_epochs=50).fit(X, y3)
    assert clf.predict_proba(X).shape == (len(y), 3)
    assert confusion_metric("balanced_accuracy", y3, clf.predict(X), clf.classes_) > 0.95


def test_batch_size_fraction_rows_and_floor():
    assert quick(batch_size=0.05).train_batch_rows(1000) == 50
    assert quick(batch_size=0.05).train_batch_rows(100) == 16
    assert quick(batch_size=64).train_batch_rows(1000) == 64
    assert quick(batch_size=1.0).train_batch_rows(1000) == 1000
    assert quick(batch_size=500).train_batch_rows(30) == 30
    # An int is a number of rows: 1 is the smallest batch (the floor of 16), never every row.
    assert quick(batch_size=1).train_batch_rows(1000) == 16


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(1, 40), min_size=2, max_size=4), n_batches=st.integers(1, 12),
       seed=st.integers(0, 1000))
def test_stratified_batches_partition_rows_with_the_class_mix(counts, n_batches, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    batches = stratified_batches(y, n_batches, np.random.default_rng(seed))
    joined = np.concatenate(batches)
    assert sorted(joined.tolist()) == list(range(len(y)))
    sizes = [len(b) for b in batches]
    assert max(sizes) - min(sizes) <= 1
    for c, count in enumerate(counts):
        per_batch = [np.sum(y[b] == c) for b in batches]
        assert min(per_batch) >= count // n_batches


def test_batch_sampler_covers_every_row_each_epoch():
    sampler = BatchIndexSampler(103, 10, y=np.arange(103) % 5, seed=1)
    for _ in range(2):
        batches = list(sampler)
        assert len(batches) == len(sampler) == 11
        assert sorted(np.concatenate(batches).tolist()) == list(range(103))


def test_pickle_and_model_file_round_trip(tmp_path, cancer):
    X, y = cancer
    clf = quick(hidden_layer_sizes=(4,), optimizer__weight_decay=1e-4).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    buffer = io.BytesIO()
    joblib.dump(clf, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(joblib.load(buffer).predict(X), clf.predict(X))
    save_model(clf, tmp_path / "a.dkm")
    loaded = load_model(tmp_path / "a.dkm")
    assert loaded.get_params() == clf.get_params()
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), atol=1e-7)


@pytest.mark.parametrize("metric", ["f1", "gmean", "mcc"])
def test_ten_classes_on_raw_pixels(metric):
    # Regression: softmax outputs start near 1/K, where the amplifier (centred on 0.5) is
    # flat, so multi-class training stalled; raw 0..16 pixels also need standardize=True.
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    clf = quick(metric=metric, max_epochs=20).fit(X[:1200], y[:1200])
    assert (clf.predict(X[1200:]) == y[1200:]).mean() > 0.8
    np.testing.assert_allclose(clf.predict_proba(X[:5]).sum(1), 1.0)


def test_fit_reports_epochs_to_a_progress_listener(cancer):
    from distilkit.progress import listen_to_progress

    X, y = cancer
    reports = []
    with listen_to_progress(lambda done, total, what: reports.append((done, total, what))):
        quick(max_epochs=4).fit(X, y)
    assert reports == [(1, 4, "epochs"), (2, 4, "epochs"), (3, 4, "epochs"), (4, 4, "epochs")]
    quick(max_epochs=2).fit(X, y)  # no listener: silent
    assert len(reports) == 4


@pytest.mark.parametrize(("params", "message"), [
    ({"hidden_layer_sizes": (-5,)}, "must hold positive integers, got \\[-5\\]"),
    ({"hidden_layer_sizes": (0,)}, "must hold positive integers"),
    ({"hidden_layer_sizes": ("x",)}, "must hold positive integers"),
    ({"hidden_layer_sizes": (True,)}, "must hold positive integers"),
    ({"max_epochs": True}, "'max_epochs' parameter of AnyLossClassifier must be a number"),
    ({"lr": 1e308}, "AnyLossClassifier training (failed|diverged)"),
    ({"lr": 1e38, "loss": "bce", "optimizer": "sgd"}, "training diverged"),
])
def test_hyperparameters_checked_element_by_element(cancer, params, message):
    X, y = cancer
    with pytest.raises(ValueError, match=message):
        quick(max_epochs=3).set_params(**params).fit(X, y)


def test_fit_leaves_the_global_torch_rng_alone(cancer):
    import torch

    X, y = cancer
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    quick(max_epochs=1, random_state=0).fit(X, y)
    assert torch.equal(torch.rand(3), expected)


def test_one_vs_rest_probabilities_survive_very_negative_logits():
    import torch

    from distilkit.estimators.neural.modules import normalized_sigmoids

    logits = torch.tensor([[-200.0, -300.0, -250.0], [2.0, -1.0, 0.5]])
    proba = normalized_sigmoids(logits)
    assert torch.isfinite(proba).all() and torch.allclose(proba.sum(dim=1), torch.ones(2))
    assert proba[0].argmax() == 0
    expected = torch.sigmoid(logits[1]) / torch.sigmoid(logits[1]).sum()
    assert torch.allclose(proba[1], expected)


def test_a_constant_column_far_from_zero_is_not_scaled(cancer):
    X, y = cancer
    X = np.column_stack([X, np.full(len(X), 1e5 + 0.3)])
    model = quick(max_epochs=2).fit(X, y)
    assert model.feature_scale_[-1] == 1.0


def test_a_fit_that_predicts_one_class_warns(cancer):
    X, y = cancer
    with pytest.warns(UserWarning, match="predicts 0 for every training row: the f1 surrogate collapsed"):
        quick(max_epochs=2, threshold=1.0).fit(X, y)
