"""Model files: whole pipelines round-trip; hostile files are refused before they cost anything."""

import io
import json
import pickle
import subprocess
import sys
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
from adversarial import hostile_files as hostile
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import FunctionTransformer

from distilkit import (
    AnyLossClassifier,
    KDDistiller,
    LELPDistiller,
    NaiveBayesHead,
    load_model,
    save_model,
)
from distilkit.estimators.ordinal import (
    PrestoOrdinal,
    PrestoOrdinalCV,
    ProportionalOdds,
)
from distilkit.exceptions import ModelFileError
from distilkit.features import infer_roles, make_model, model_columns
from distilkit.persistence.model_files import read_model, read_model_meta


class PlantsMarker:
    """Unpickling this object would create a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def hmda(data_dir):
    frame = pd.read_csv(data_dir / "hmda_sample.csv")
    return frame, infer_roles(frame, target="deny")


ESTIMATORS = [
    NaiveBayesHead(),
    LogisticRegression(max_iter=2000),
    GaussianNB(),
    AnyLossClassifier(hidden_layer_sizes=(8,), max_epochs=5, random_state=0),
    KDDistiller(alpha=1.0, max_epochs=5, random_state=0),
    LELPDistiller(teacher=LogisticRegression(), n_subclasses=2, max_epochs=5, random_state=0),
    PrestoOrdinal(lam=0.01),
    ProportionalOdds(),
    PrestoOrdinalCV(n_lambdas=3, cv=3, random_state=0),
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_pipeline_round_trip_gives_identical_predictions(tmp_path, hmda, estimator):
    frame, roles = hmda
    y = frame["deny"].map({"no": 0, "yes": 1}).to_numpy()
    X = frame
    model = make_model(estimator, roles, random_state=0).fit(X, y)
    save_model(model, tmp_path / "m.dkm", metadata={"target": "deny"})
    loaded, meta = read_model(tmp_path / "m.dkm")
    assert type(loaded[-1]) is type(estimator)
    assert loaded.get_params(deep=False).keys() == model.get_params(deep=False).keys()
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert meta["metadata"] == {"target": "deny"} and meta["roles"][0]["role"] == "identifier"
    assert meta["columns"] == model_columns(roles) and meta["classes"] == [0, 1]


def test_plain_estimators_and_string_labels_round_trip(tmp_path, digits_frame):
    X = digits_frame.filter(like="pixel_")
    y = digits_frame["digit"].map(lambda d: f"digit-{d}")
    fitted = NaiveBayesHead(scaler="minmax", priors=[0.1] * 10).fit(X, y)
    save_model(fitted, tmp_path / "m.dkm")
    loaded = load_model(tmp_path / "m.dkm")
    assert loaded.get_params() == fitted.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    assert read_model_meta(tmp_path / "m.dkm")["classes"][0] == "digit-0"


def test_unfitted_and_untrusted_models_are_not_saved(tmp_path):
    with pytest.raises(ModelFileError, match="not fitted"):
        save_model(NaiveBayesHead(), tmp_path / "m.dkm")
    from sklearn.pipeline import make_pipeline

    custom = make_pipeline(FunctionTransformer(validate=False), LogisticRegression()).fit([[0.0], [1.0]], [0, 1])
    custom[0].func = json.loads
    with pytest.raises(ModelFileError, match="cannot hold json.loads"):
        save_model(custom, tmp_path / "m.dkm")
    assert not (tmp_path / "m.dkm").exists()


def test_routed_parameters_that_change_prediction_are_not_saved(tmp_path):
    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    model = AnyLossClassifier(max_epochs=1, iterator_valid__num_workers=0).fit(X, y)
    with pytest.raises(ModelFileError, match="iterator_valid__num_workers= cannot be saved"):
        save_model(model, tmp_path / "m.dkm")


# ----------------------------------------------------------------- hostile files

@pytest.fixture(scope="module")
def neural_file(tmp_path_factory):
    X, y = np.random.default_rng(0).normal(size=(60, 4)), np.arange(60) % 2
    path = tmp_path_factory.mktemp("neural") / "good.dkm"
    save_model(AnyLossClassifier(hidden_layer_sizes=(8,), max_epochs=2, random_state=0).fit(X, y), path)
    return path


def test_raw_pickle_and_joblib_files_are_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "evil.dkm").write_bytes(pickle.dumps(PlantsMarker(str(marker))))
    joblib.dump(PlantsMarker(str(marker)), tmp_path / "evil.joblib")
    for name in ("evil.dkm", "evil.joblib"):
        with pytest.raises(ModelFileError, match="not a zip archive"):
            load_model(tmp_path / name)
    assert not marker.exists()


def test_pickled_object_array_is_refused_without_running(tmp_path, neural_file):
    marker = tmp_path / "pwned"
    payload = np.empty(1, dtype=object)
    payload[0] = PlantsMarker(str(marker))
    blob = io.BytesIO()
    np.save(blob, payload, allow_pickle=True)
    members = hostile.members(neural_file)
    schema = json.loads(members["schema.json"])
    members[hostile.array_member(schema, "classes_")] = blob.getvalue()
    with pytest.raises(ModelFileError, match="refused: the model file contains pickled objects"):
        load_model(hostile.write(tmp_path / "evil.dkm", members))
    assert not marker.exists()


@pytest.mark.parametrize("module, name", [("os", "system"), ("builtins", "eval"), ("subprocess", "Popen"),
                                          ("collections", "OrderedDict")])
def test_foreign_classes_are_refused(tmp_path, neural_file, module, name):
    def edit(schema):
        schema.update({"__module__": module, "__class__": name})

    with pytest.raises(ModelFileError, match=f"refused: Untrusted types found in the file: .*{module}.{name}"):
        load_model(hostile.edit_json(neural_file, tmp_path / "bad.dkm", edit))


@pytest.mark.parametrize("name", ["../escape.npy", "/abs.npy", "dir/x.npy", "a\\b.npy"])
def test_member_names_that_traverse_are_refused(tmp_path, neural_file, name):
    members = {**hostile.members(neural_file), name: b"x"}
    with pytest.raises(ModelFileError, match="refused: unexpected member name"):
        load_model(hostile.write(tmp_path / "bad.dkm", members))


@pytest.mark.parametrize(("key", "value", "message"), [
    ("compile", True, "has no parameter 'compile'"),
    ("iterator_valid__num_workers", 24, "has no parameter 'iterator_valid__num_workers'"),
    ("callbacks__print_log", None, "has no parameter 'callbacks__print_log'"),
    ("_private", 1, "has no parameter '_private'"),
])
def test_parameters_that_are_not_constructor_parameters_are_refused(tmp_path, neural_file, key, value, message):
    def edit(schema):
        schema["content"]["content"][key] = hostile.json_node(value)
        # skops pairs each key with a type entry: without one the key would be dropped.
        schema["content"]["key_types"]["content"].append(
            {"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode", "__id__": 2})

    with pytest.raises(ModelFileError, match=message):
        load_model(hostile.edit_json(neural_file, tmp_path / "bad.dkm", edit))


@pytest.mark.parametrize(("edit", "message"), [
    (lambda m: m.update(format="something-else"), "not a distilkit model file"),
    (lambda m: m.update(format_version=99), "format version 99 is not supported"),
    (lambda m: m.update(params=[1, 2]), "'params' is not a dict"),
    (lambda m: m.update(classes="abc"), "'classes' is not a list"),
    (lambda m: m.update(roles=[{"column": 1}]), "a role is not"),
    (lambda m: m.update(metadata=None), "'metadata' is not a dict"),
])
def test_malformed_metadata_is_refused(tmp_path, neural_file, edit, message):
    members = hostile.members(neural_file)
    meta = json.loads(members["distilkit.json"])
    edit(meta)
    members["distilkit.json"] = json.dumps(meta)
    with pytest.raises(ModelFileError, match=message):
        load_model(hostile.write(tmp_path / "bad.dkm", members))


def test_damaged_files(tmp_path, neural_file):
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "absent.dkm")
    data = neural_file.read_bytes()
    (tmp_path / "cut.dkm").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "cut.dkm")
    flipped = bytearray(data)
    with zipfile.ZipFile(neural_file) as archive:
        info = archive.getinfo("schema.json")
    body = info.header_offset + 30 + len(info.filename) + 40
    flipped[body: body + 64] = bytes(64)
    (tmp_path / "flipped.dkm").write_bytes(bytes(flipped))
    with pytest.raises(ModelFileError, match="corrupt model file"):
        load_model(tmp_path / "flipped.dkm")
    hostile.write(tmp_path / "nometa.dkm", {"other.txt": "hello"})
    with pytest.raises(ModelFileError, match="not a distilkit model file"):
        load_model(tmp_path / "nometa.dkm")


def test_format_1_files_ask_for_a_refit(tmp_path):
    hostile.write(tmp_path / "old.dkm", {"meta.json": json.dumps({"format": "distilkit-model", "format_version": 1}),
                                  "arrays.npz": b""})
    with pytest.raises(ModelFileError, match="format 1 .* re-fit the model"):
        load_model(tmp_path / "old.dkm")


def test_loading_a_model_without_torch_does_not_import_torch(tmp_path, digits_frame):
    X = digits_frame.filter(like="pixel_")
    save_model(NaiveBayesHead().fit(X, digits_frame["digit"]), tmp_path / "m.dkm")
    probe = (f"import sys; from distilkit.persistence.model_files import load_model; load_model({str(tmp_path / 'm.dkm')!r}); "
             "print('torch' in sys.modules); import sklearn.externals.array_api_compat.torch; "
             "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    # torch stays out of the process until something asks for it; the shim still imports afterwards.
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_other_library_versions_are_warned_about(tmp_path, neural_file):
    from distilkit.persistence.model_files import ModelVersionWarning

    members = hostile.members(neural_file)
    meta = json.loads(members["distilkit.json"])
    assert {"distilkit", "scikit-learn", "torch"} <= set(meta["versions"])
    meta["versions"]["scikit-learn"] = "1.2.0"
    members["distilkit.json"] = json.dumps(meta)
    with pytest.warns(ModelVersionWarning, match="saved with scikit-learn 1.2.0, running 1.9"):
        load_model(hostile.write(tmp_path / "old.dkm", members))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelVersionWarning)
        load_model(neural_file)


def test_a_stored_thread_count_starts_no_more_threads_than_cores():
    import os

    import torch

    from distilkit.estimators.neural.threads import torch_threads

    before = torch.get_num_threads()
    with torch_threads(4096):
        assert torch.get_num_threads() <= (os.cpu_count() or 1)
    assert torch.get_num_threads() == before
