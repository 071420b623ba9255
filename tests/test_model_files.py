import io
import json
import pickle
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import StandardScaler

from distilkit import NaiveBayesHead, load_model, save_model
from distilkit.exceptions import DataError, ModelFileError
from distilkit.model_files import read_model_meta


class PlantsMarker:
    """Unpickling this object would create a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize(
    "estimator",
    [NaiveBayesHead(scaler="minmax", priors=[0.1] * 10), LogisticRegression(max_iter=3000), GaussianNB()],
)
def test_round_trip_keeps_predictions_params_and_names(tmp_path, digits_frame, estimator):
    X = digits_frame.filter(like="pixel_")
    y = digits_frame["digit"].map(lambda d: f"digit-{d}")
    fitted = estimator.fit(X, y)
    save_model(fitted, tmp_path / "m.dkm", metadata={"target": "digit"})
    loaded = load_model(tmp_path / "m.dkm")
    assert type(loaded) is type(fitted)
    assert loaded.get_params() == fitted.get_params()
    np.testing.assert_array_equal(loaded.classes_, fitted.classes_)
    np.testing.assert_array_equal(loaded.feature_names_in_, fitted.feature_names_in_)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    meta = read_model_meta(tmp_path / "m.dkm")
    assert meta["metadata"] == {"target": "digit"} and meta["classes"][0] == "digit-0"


def test_unfitted_and_foreign_estimators_are_not_saved(tmp_path):
    with pytest.raises(ModelFileError, match="not fitted"):
        save_model(NaiveBayesHead(), tmp_path / "m.dkm")
    with pytest.raises(DataError, match="not a distilkit model-file estimator"):
        save_model(StandardScaler().fit([[0.0], [1.0]]), tmp_path / "m.dkm")
    assert not (tmp_path / "m.dkm").exists()


def _valid_archive(tmp_path):
    X = np.random.default_rng(0).normal(size=(20, 2))
    save_model(NaiveBayesHead().fit(X, np.arange(20) % 2), tmp_path / "good.dkm")
    with zipfile.ZipFile(tmp_path / "good.dkm") as archive:
        return json.loads(archive.read("meta.json")), archive.read("arrays.npz")


def _write_archive(path, meta, arrays_blob):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("meta.json", json.dumps(meta))
        archive.writestr("arrays.npz", arrays_blob)


def test_pickled_object_array_is_refused_without_running_it(tmp_path):
    meta, _ = _valid_archive(tmp_path)
    marker = tmp_path / "pwned"
    payload = np.empty(1, dtype=object)
    payload[0] = PlantsMarker(str(marker))
    blob = io.BytesIO()
    np.savez(blob, coef_=payload)
    _write_archive(tmp_path / "evil.dkm", meta, blob.getvalue())
    with pytest.raises(ModelFileError, match="refused: the model file contains pickled objects"):
        load_model(tmp_path / "evil.dkm")
    assert not marker.exists()


def test_raw_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "evil.dkm").write_bytes(pickle.dumps(PlantsMarker(str(marker))))
    with pytest.raises(ModelFileError, match="not a zip archive"):
        load_model(tmp_path / "evil.dkm")
    joblib.dump(PlantsMarker(str(marker)), tmp_path / "evil.joblib")
    with pytest.raises(ModelFileError, match="not a zip archive"):
        load_model(tmp_path / "evil.joblib")
    assert not marker.exists()


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m.update(estimator="os_system"), "refused: unknown estimator 'os_system'"),
        (lambda m: m.update({"class": "builtins.eval"}), "refused: class 'builtins.eval'"),
        (lambda m: m.update(format="something-else"), "not a distilkit model file"),
        (lambda m: m.update(format_version=99), "format version 99 is not supported"),
        (lambda m: m["params"].update(bogus=1), "corrupt model parameters"),
    ],
)
def test_tampered_meta_is_refused(tmp_path, edit, message):
    meta, blob = _valid_archive(tmp_path)
    edit(meta)
    _write_archive(tmp_path / "bad.dkm", meta, blob)
    with pytest.raises(ModelFileError, match=message):
        load_model(tmp_path / "bad.dkm")


def test_missing_and_truncated_files(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "absent.dkm")
    _valid_archive(tmp_path)
    data = (tmp_path / "good.dkm").read_bytes()
    (tmp_path / "cut.dkm").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "cut.dkm")
    with zipfile.ZipFile(tmp_path / "nometa.dkm", "w") as archive:
        archive.writestr("other.txt", "hello")
    with pytest.raises(ModelFileError, match="no meta.json"):
        load_model(tmp_path / "nometa.dkm")
