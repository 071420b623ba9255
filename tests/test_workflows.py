"""distilkit.workflows from Python on a DataFrame gives what the CLI gives on the same table as CSV."""

import json

import numpy as np
import pandas as pd
import pytest
from synthetic import distillation_frame
from typer.testing import CliRunner

from distilkit.cli import app
from distilkit.persistence import read_model
from distilkit.persistence.model_files import model_roles
from distilkit.workflows import (
    cross_validate_table,
    distill_table,
    evaluate_model,
    fit_table,
    predict_table,
)

runner = CliRunner()


def cli(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture()
def loans(tmp_path):
    """A mixed table: numbers with gaps, a category, a row id, string labels."""
    rng = np.random.default_rng(3)
    n = 240
    frame = pd.DataFrame({"id": np.arange(n), "income": rng.normal(50, 10, n), "debt": rng.normal(size=n),
                          "region": rng.choice(["north", "south", "east"], n)})
    frame.loc[::17, "income"] = np.nan
    score = (frame.income.fillna(50) - 50) / 10 - frame.debt + (frame.region == "east")
    frame["decision"] = np.where(score + 0.5 * rng.normal(size=n) > 0, "approve", "deny")
    path = tmp_path / "loans.csv"
    frame.to_csv(path, index=False)
    return frame, path


def _cli_proba(tmp_path, model, path):
    out = tmp_path / "scores.csv"
    cli("predict", model, path, "--proba", "-o", out, "-q")
    return pd.read_csv(out)


@pytest.mark.parametrize("estimator, params", [("logreg", {}), ("nbhead", {}),
                                               ("anyloss", {"max_epochs": 30})])
def test_fit_table_on_a_frame_equals_distilkit_fit_on_its_csv(tmp_path, loans, estimator, params):
    frame, path = loans
    result = fit_table(frame, estimator, target="decision", params=params)
    cli("fit", estimator, path, "-t", "decision", *[f"-p{k}={v}" for k, v in params.items()],
        "-o", tmp_path / "cli.dkm", "-q")
    scores = _cli_proba(tmp_path, tmp_path / "cli.dkm", path)
    np.testing.assert_allclose(result.model.predict_proba(frame), scores[["proba_approve", "proba_deny"]],
                               atol=1e-6)
    np.testing.assert_array_equal(result.model.predict(frame), scores["prediction"])
    _, meta = read_model(tmp_path / "cli.dkm")
    assert result.roles == model_roles(meta)
    volatile = {"data", "fit_seconds"}
    assert {k: v for k, v in result.metadata.items() if k not in volatile} == {
        k: v for k, v in meta["metadata"].items() if k not in volatile}


def test_distill_table_on_frames_equals_distilkit_distill_on_their_csvs(tmp_path):
    frame = distillation_frame(300, n_latent=4, n_embedding=6, n_features=3)
    labelled, extra = frame.iloc[:150], frame.iloc[150:].drop(columns="label")
    labelled.to_csv(tmp_path / "labelled.csv", index=False)
    extra.to_csv(tmp_path / "extra.csv", index=False)
    params = {"n_subclasses": 2, "max_epochs": 20}
    result = distill_table(labelled, target="label", teacher="embeddings:emb_*", method="lelp", features="f_*",
                           unlabeled=extra, params=params)
    cli("distill", tmp_path / "labelled.csv", "-t", "label", "--teacher", "embeddings:emb_*", "--method", "lelp",
        "-f", "f_*", "--unlabeled", tmp_path / "extra.csv", *[f"-p{k}={v}" for k, v in params.items()],
        "-o", tmp_path / "student.dkm", "-q")
    scores = _cli_proba(tmp_path, tmp_path / "student.dkm", tmp_path / "labelled.csv")
    np.testing.assert_allclose(result.model.predict_proba(labelled), scores[["proba_neg", "proba_pos"]], atol=1e-5)
    assert result.metadata["n_labelled"] == 150 and result.metadata["n_samples"] == 300
    assert read_model(tmp_path / "student.dkm")[1]["metadata"]["method"] == result.metadata["method"] == "lelp"


def test_evaluate_and_predict_from_python_equal_the_cli(tmp_path, loans):
    frame, path = loans
    fitted = fit_table(frame.iloc[:160], "logreg", target="decision")
    fitted.save(tmp_path / "m.dkm")
    rest = frame.iloc[160:]
    rest.to_csv(tmp_path / "rest.csv", index=False)

    evaluation = evaluate_model(tmp_path / "m.dkm", rest, target="decision")
    cli("evaluate", tmp_path / "m.dkm", tmp_path / "rest.csv", "--json", tmp_path / "e.json", "-q")
    on_disk = json.loads((tmp_path / "e.json").read_text())
    timed = {"rows/s"}  # measured, so never equal twice
    assert {k: v for k, v in evaluation.record["metrics"].items() if k not in timed} == pytest.approx(
        {k: v for k, v in on_disk["metrics"].items() if k not in timed})

    predicted = predict_table(fitted.model, rest, proba=True, id_columns=["id"])
    scores = _cli_proba(tmp_path, tmp_path / "m.dkm", tmp_path / "rest.csv")
    np.testing.assert_array_equal(predicted.predictions["prediction"], scores["prediction"])
    np.testing.assert_allclose(predicted.predictions["proba_deny"], scores["proba_deny"], atol=1e-6)


def test_cross_validate_table_equals_distilkit_cv(tmp_path, loans):
    frame, path = loans
    result = cross_validate_table(frame, "logreg", target="decision", param_grid={"C": [0.1, 1.0]}, folds=3)
    cli("cv", "logreg", path, "-t", "decision", "-p", "C=0.1,1.0", "--folds", "3", "--json", tmp_path / "cv.json",
        "-q")
    on_disk = json.loads((tmp_path / "cv.json").read_text())
    ours = result.as_dict()
    assert ours["best"] == on_disk["best"]
    assert [row["params"] for row in ours["rows"]] == [row["params"] for row in on_disk["rows"]]
    assert [row["mean"] for row in ours["rows"]] == pytest.approx([row["mean"] for row in on_disk["rows"]])


def test_library_boundaries_refuse_what_they_cannot_use(loans):
    from sklearn.linear_model import LogisticRegression

    from distilkit.exceptions import DataError
    from distilkit.features import TableColumns

    frame, _ = loans
    fitted = fit_table(frame, "logreg", target="decision")
    with pytest.raises(DataError, match="DataFrame"):
        TableColumns(fitted.roles).fit(frame.to_numpy())
    bare = LogisticRegression().fit(frame[["debt"]], frame.decision)
    with pytest.raises(DataError, match="table model"):
        predict_table(bare, frame)
    with pytest.raises(DataError, match="model file every worker can read"):
        predict_table(fitted.model, frame, output="out", dask="local")
    with pytest.raises(DataError, match="learns from a teacher"):
        fit_table(frame, "kd", target="decision")
    with pytest.raises(DataError, match="estimator must be a name"):
        fit_table(frame, 42, target="decision")
