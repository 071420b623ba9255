import io
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from synthetic import distillation_frame
from typer.testing import CliRunner

from distilkit.cli import app

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def assert_bad_input(result, fragment):
    """Exit 2, one 'error:' line naming the problem (after the roles table, if any), no traceback."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    assert fragment in errors[0], errors[0]
    assert "Traceback" not in result.output


@pytest.fixture()
def fitted(tmp_path, digits_files):
    model = tmp_path / "nb.dkm"
    result = run("fit", "nbhead", digits_files["train"], "-t", "digit", "-f", "pixel_*", "-o", model)
    assert result.exit_code == 0, result.output
    return model


def test_fit_evaluate_predict_report(tmp_path, digits_files, fitted):
    lr = tmp_path / "lr.dkm"
    assert run("fit", "logreg", digits_files["train"], "-t", "digit", "-f", "pixel_*",
               "-p", "max_iter=3000", "-p", "C=0.1", "-o", lr).exit_code == 0
    for model in (fitted, lr):
        result = run("evaluate", model, digits_files["test"], "--json", tmp_path / f"{model.stem}.json")
        assert result.exit_code == 0, result.output
        assert "balanced_accuracy" in result.stderr
    record = json.loads((tmp_path / "nb.json").read_text())
    assert record["target"] == "digit" and record["n_samples"] == 597
    assert set(record["metrics"]) == {"accuracy", "balanced_accuracy", "f1_macro", "log_loss", "brier", "ece", "rows/s",
                                      "model MB"}
    assert record["metrics"]["accuracy"] > 0.8

    result = run("predict", fitted, digits_files["test"], "--proba", "--id-column", "id", "-o", "-")
    assert result.exit_code == 0, result.output
    out = pd.read_csv(__import__("io").StringIO(result.stdout))
    assert list(out.columns[:2]) == ["id", "prediction"] and out.shape == (597, 12)
    np.testing.assert_allclose(out.filter(like="proba_").sum(axis=1), 1.0)

    result = run("report", tmp_path / "nb.json", tmp_path / "lr.json", "--html", tmp_path / "r.html",
                 "--json", "-")
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.stdout)
    assert comparison["runs"] == ["nb", "lr"] and "accuracy" in comparison["metrics"]
    page = (tmp_path / "r.html").read_text()
    assert "<table class='metrics'>" in page and "data:image/svg+xml;base64," in page
    assert "reliability diagram" in page and "Confusion matrices" in page and "ROC curve" not in page
    # Dots for the metrics read first only (digits is balanced: balanced accuracy would copy accuracy).
    import re

    assert re.findall(r'alt="([^"]+) per run"', page) == ["accuracy", "log_loss", "ece", "rows/s"]
    quiet = run("report", tmp_path / "nb.json", tmp_path / "lr.json", "-q")
    assert quiet.exit_code == 0 and quiet.output == ""


def test_predict_streams_parquet_in_batches(tmp_path, digits_files, fitted, digits_frame):
    out = tmp_path / "scores.parquet"
    result = run("predict", fitted, digits_files["train"], "--batch-size", "100", "-o", out)
    assert result.exit_code == 0, result.output
    table = pq.ParquetFile(out)
    assert table.metadata.num_rows == 1200 and table.num_row_groups == 12


def test_csv_on_stdin(tmp_path, fitted, digits_frame):
    text = digits_frame.iloc[:50].to_csv(index=False)
    result = run("predict", fitted, "-", input=text)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 51
    result = run("evaluate", fitted, "-", input=text)
    assert result.exit_code == 0, result.output


def test_help_shows_examples_and_is_fast():
    for command in ["fit", "distill", "evaluate", "predict", "report"]:
        result = run(command, "--help")
        assert result.exit_code == 0 and "distilkit " + command in result.stdout
    # --help must not import torch, skorch or pandas.
    probe = "import sys; from distilkit.cli import app; print(sorted({'torch','skorch','pandas'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "[]"


# ---------------------------------------------------------------- bad input

@pytest.fixture()
def table(tmp_path, tiny_frame):
    """A small valid table (the bad ones are in tests/adversarial)."""
    path = tmp_path / "ok.csv"
    tiny_frame.to_csv(path, index=False)
    return path


@pytest.fixture()
def tiny_model(tmp_path, table):
    model = tmp_path / "tiny.dkm"
    assert run("fit", "nbhead", table, "-t", "label", "-o", model).exit_code == 0
    return model


def test_library_warnings_are_one_line(tmp_path, table):
    result = run("fit", "logreg", table, "-t", "label", "-p", "max_iter=1", "-o", tmp_path / "m.dkm", "-q")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("warning: ConvergenceWarning: lbfgs failed to converge")
    assert len(result.stderr.strip().splitlines()) == 1


def test_anyloss_fit_and_evaluate_reports_the_optimised_metric(tmp_path, table):
    model = tmp_path / "al.dkm"
    result = run("fit", "anyloss", table, "-t", "label", "-p", "metric=gmean", "-p", "amplifier=30",
                 "-p", "max_epochs=10", "-p", "random_state=0", "-o", model, "-q")
    assert result.exit_code == 0, result.output
    result = run("evaluate", model, table, "--json", "-", "-q")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)["metrics"]
    assert 0.5 < metrics["gmean (optimised)"] <= 1.0 and "balanced_accuracy" in metrics
    assert_bad_input(run("fit", "anyloss", table, "-t", "label", "-p", "metric=auc", "-o", model),
                     "'metric' parameter of AnyLossClassifier")


@pytest.fixture()
def rating_files(tmp_path):
    """An ordinal survey-like table whose label order is not alphabetical; 'high' is rare."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(900, 3))
    latent = X @ [1.5, -1.0, 0.5] + rng.logistic(size=900)
    frame = pd.DataFrame(X, columns=["x1", "x2", "x3"])
    frame["rating"] = np.array(["low", "mid", "high"])[np.digitize(latent, [0.0, 2.5])]
    paths = {"train": tmp_path / "ratings.csv", "test": tmp_path / "ratings_test.parquet"}
    frame.iloc[:700].to_csv(paths["train"], index=False)
    frame.iloc[700:].to_parquet(paths["test"])
    return paths


def test_ordinal_fit_with_order_then_evaluate_with_ordinal_metrics(tmp_path, rating_files):
    for name in ("presto", "propodds"):
        model = tmp_path / f"{name}.dkm"
        result = run("fit", name, rating_files["train"], "-t", "rating", "-p", "order=low,mid,high", "-o", model)
        assert result.exit_code == 0, result.output
        result = run("evaluate", model, rating_files["test"], "--json", tmp_path / f"{name}.json")
        assert result.exit_code == 0, result.output
        metrics = json.loads((tmp_path / f"{name}.json").read_text())["metrics"]
        assert {"rare_brier", "rare_binned_mse", "rps", "mae_rank", "log_loss"} <= set(metrics)
        assert metrics["log_loss"] < 1.0 and metrics["accuracy"] > 0.6
    result = run("predict", tmp_path / "presto.dkm", rating_files["test"], "--proba", "-o", "-")
    assert result.stdout.splitlines()[0] == "prediction,proba_low,proba_mid,proba_high"
    result = run("report", tmp_path / "presto.json", tmp_path / "propodds.json")
    assert result.exit_code == 0 and "rps ↓" in result.stderr


@pytest.fixture()
def distill_files(tmp_path):
    """Teacher embeddings emb_*, different student features f_*, string labels; plus unlabelled rows."""
    frame = distillation_frame(500, n_latent=6, n_embedding=12, n_features=4)
    paths = {"train": tmp_path / "d_train.parquet", "test": tmp_path / "d_test.csv", "extra": tmp_path / "extra.csv"}
    frame.iloc[:200].to_parquet(paths["train"])
    frame.iloc[400:].to_csv(paths["test"], index=False)
    frame.iloc[200:400].drop(columns="label").to_csv(paths["extra"], index=False)
    return paths


def test_distill_kd_lelp_labels_then_evaluate(tmp_path, distill_files):
    for method in ("labels", "kd", "lelp"):
        model = tmp_path / f"{method}.dkm"
        result = run("distill", distill_files["train"], "-t", "label", "-f", "f_*", "--teacher", "embeddings:emb_*",
                     "--method", method, "--unlabeled", distill_files["extra"], "-p", "n_subclasses=2"
                     if method == "lelp" else "max_epochs=30", "-p", "random_state=0", "-o", model)
        assert result.exit_code == 0, result.output
        assert "400 (200 labelled)" in result.stderr
        result = run("evaluate", model, distill_files["test"], "--json", tmp_path / f"{method}.json")
        assert result.exit_code == 0, result.output
        assert json.loads((tmp_path / f"{method}.json").read_text())["metrics"]["accuracy"] > 0.7


def test_distill_auto_chooses_the_best_row_of_its_table_and_baselines_run(tmp_path, distill_files):
    common = ["-t", "label", "-f", "f_*", "--teacher", "embeddings:emb_*", "--unlabeled", distill_files["extra"],
              "-p", "max_epochs=5"]
    result = run("distill", distill_files["train"], *common, "--method", "auto", "-o", tmp_path / "auto.dkm")
    assert result.exit_code == 0, result.output
    rows = [line.split("│") for line in result.stderr.splitlines() if line.count("│") == 5]
    scores = {cells[1].strip(): float(cells[2]) for cells in rows if cells[2].strip()[:1].isdigit()}
    chosen = [cells[1].strip() for cells in rows if "chosen" in cells[4]]
    assert len(scores) == 10 and len(chosen) == 1 and scores[chosen[0]] == max(scores.values())
    meta = json.loads(run("inspect", tmp_path / "auto.dkm", "--json").stdout)
    assert meta["metadata"]["method"] == f"auto: {chosen[0]}"
    again = run("distill", distill_files["train"], *common, "--method", "auto", "-o", tmp_path / "again.dkm")
    assert [line for line in again.stderr.splitlines() if line.count("│") == 5] == [
        line for line in result.stderr.splitlines() if line.count("│") == 5]  # seeded: the same table
    for method in ("kmeans", "random"):
        result = run("distill", distill_files["train"], *common, "--method", method, "-p", "n_subclasses=2",
                     "-o", tmp_path / f"{method}.dkm", "-q")
        assert result.exit_code == 0, result.output


def test_an_int8_onnx_teacher_distils_and_is_saved(tmp_path, data_dir, monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("DISTILKIT_CACHE", str(tmp_path / "onnx"))
    data, teacher = data_dir / "amazon_reviews_sample.csv", tmp_path / "teacher.dkm"
    result = run("distill", data, "-t", "sentiment", "--teacher", "minilm", "--text", "text", "--teacher-backend",
                 "onnx-int8", "--method", "kd", "--cache-dir", tmp_path / "cache", "--save-teacher", teacher,
                 "-o", tmp_path / "student.dkm", "-q")
    assert result.exit_code == 0, result.output
    meta = json.loads(run("inspect", teacher, "--json").stdout)
    assert meta["roles"][0]["encoding"].startswith("minilm+onnx-int8")
    result = run("evaluate", teacher, data, "--json", "-", "-q")
    metrics = json.loads(result.stdout)["metrics"]
    assert metrics["accuracy"] > 0.8 and 10 < metrics["model MB"] < 80  # the int8 graph, not the torch weights


def test_a_saved_embeddings_teacher_scores_its_columns(tmp_path, distill_files):
    teacher, student = tmp_path / "teacher.dkm", tmp_path / "student.dkm"
    result = run("distill", distill_files["train"], "-t", "label", "-f", "f_*", "--teacher", "embeddings:emb_*",
                 "--method", "kd", "--save-teacher", teacher, "-o", student, "-q")
    assert result.exit_code == 0, result.output
    meta = json.loads(run("inspect", teacher, "--json").stdout)
    assert [role["column"] for role in meta["roles"]] == [f"emb_{j}" for j in range(12)]
    for model in (teacher, student):
        result = run("evaluate", model, distill_files["test"], "--json", "-", "-q")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["metrics"]["accuracy"] > 0.7
    result = run("distill", distill_files["train"], "-t", "label", "-f", "f_*", "--teacher", "embeddings:emb_*",
                 "--method", "labels", "--save-teacher", tmp_path / "t2.dkm", "-o", tmp_path / "s2.dkm")
    assert_bad_input(result, "needs one: method 'labels' trains without a teacher")


def test_distill_from_a_teacher_model_file(tmp_path, distill_files):
    teacher = tmp_path / "teacher.dkm"
    assert run("fit", "logreg", distill_files["train"], "-t", "label", "-f", "emb_*", "-o", teacher).exit_code == 0
    result = run("distill", distill_files["train"], "-t", "label", "-f", "f_*", "--teacher", teacher,
                 "-p", "n_subclasses=2", "-o", tmp_path / "s.dkm")
    assert result.exit_code == 0, result.output
    assert run("fit", "gaussiannb", distill_files["train"], "-t", "label", "-f", "emb_*",
               "-o", tmp_path / "nb.dkm").exit_code == 0
    result = run("distill", distill_files["train"], "-t", "label", "-f", "f_*", "--teacher", tmp_path / "nb.dkm",
                 "-o", tmp_path / "s2.dkm")
    assert_bad_input(result, "method 'lelp' needs the teacher's embeddings")
    result = run("distill", distill_files["train"], "-t", "label", "-f", "f_*", "--teacher", tmp_path / "nb.dkm",
                 "--method", "kd", "-p", "max_epochs=5", "-o", tmp_path / "s2.dkm")
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- raw tables

def test_raw_table_fit_inspect_predict(tmp_path, data_dir):
    train = pd.read_csv(data_dir / "hmda_sample.csv")
    train.loc[[3, 40], "lvrat"] = np.nan
    train.loc[7, "insurance"] = np.nan
    train.to_csv(tmp_path / "train.csv", index=False)
    model = tmp_path / "hmda.dkm"
    result = run("fit", "logreg", tmp_path / "train.csv", "-t", "deny", "-o", model)
    assert result.exit_code == 0, result.output
    assert "median imputation + missing indicator" in result.stderr and "one-hot (3 categories)" in result.stderr
    assert "notice: column 'rownames' identifies rows" in result.stderr and "random_state │ 0" in result.stderr

    result = run("inspect", model)
    assert result.exit_code == 0, result.output
    for text in ("rownames", "identifier", "lbfgs", "scikit-learn version", "deny", "no, yes"):
        assert text in result.stderr, text
    meta = json.loads(run("inspect", model, "--json").stdout)
    assert meta["roles"][0] == {"column": "rownames", "role": "identifier", "dtype": "int64",
                                "encoding": "unique per row: left out"}

    raw = pd.read_csv(data_dir / "hmda_sample.csv").drop(columns="deny").head(6)
    raw.loc[0, "phist"] = "unheard-of"
    raw.loc[1, "unemp"] = np.nan
    raw["free_text"] = "ignored"
    raw.to_csv(tmp_path / "raw.csv", index=False)
    result = run("predict", model, tmp_path / "raw.csv", "--proba", "--id-column", "rownames", "--batch-size", "4")
    assert result.exit_code == 0, result.output
    out = pd.read_csv(io.StringIO(result.stdout))
    assert list(out.columns) == ["rownames", "prediction", "proba_no", "proba_yes"]
    assert out["rownames"].tolist() == raw["rownames"].tolist() and out.notna().all().all()


def test_text_column_model_scores_raw_text(tmp_path, data_dir):
    model = tmp_path / "reviews.dkm"
    result = run("fit", "nbhead", data_dir / "amazon_reviews_sample.csv", "-t", "sentiment", "--text", "text",
                 "-o", model, "-q")
    assert result.exit_code == 0, result.output
    from distilkit import load_model

    frame = pd.read_csv(data_dir / "amazon_reviews_sample.csv").head(8)
    frame.loc[2, "text"] = np.nan
    result = run("predict", model, "-", "--id-column", "snippet_id", "--proba",
                 input=frame.drop(columns="sentiment").to_csv(index=False))
    assert result.exit_code == 0, result.output
    out = pd.read_csv(io.StringIO(result.stdout))
    expected = load_model(model).predict_proba(frame[["text"]])
    np.testing.assert_allclose(out[["proba_negative", "proba_positive"]].to_numpy(), expected)
    result = run("evaluate", model, data_dir / "amazon_reviews_sample.csv", "--json", "-", "-q")
    assert json.loads(result.stdout)["metrics"]["accuracy"] > 0.8


def test_categorical_codes_that_look_numeric_stay_strings(tmp_path):
    rng = np.random.default_rng(0)
    codes = np.array(["007", "012", "A1"])[rng.integers(0, 3, 120)]
    frame = pd.DataFrame({"code": codes, "x": rng.normal(size=120)})
    frame["y"] = np.where(frame.code == "007", "a", "b")
    frame.to_csv(tmp_path / "train.csv", index=False)
    assert run("fit", "logreg", tmp_path / "train.csv", "-t", "y", "-o", tmp_path / "m.dkm", "-q").exit_code == 0
    # The first batch holds only "007"/"012", which pandas alone would read as the numbers 7 and 12.
    frame.sort_values("code").drop(columns="y").to_csv(tmp_path / "sorted.csv", index=False)
    result = run("predict", tmp_path / "m.dkm", tmp_path / "sorted.csv", "--batch-size", "10")
    assert result.exit_code == 0, result.output
    predicted = pd.read_csv(io.StringIO(result.stdout))["prediction"]
    assert (predicted.to_numpy() == np.where(frame.sort_values("code").code == "007", "a", "b")).all()


def test_ordinal_order_on_real_admissions(tmp_path, data_dir):
    data = data_dir / "medpar_sample.csv"
    assert_bad_input(run("fit", "propodds", data, "-t", "admission", "-o", tmp_path / "p.dkm"),
                     "give the classes parameter, lowest first and the rare class last (labels: elective, emergency, urgent")
    order = "elective,urgent,emergency"
    result = run("fit", "propodds", data, "-t", "admission", "-p", f"order={order}", "-o", tmp_path / "p.dkm", "-q")
    assert result.exit_code == 0, result.output
    assert run("fit", "logreg", data, "-t", "admission", "-o", tmp_path / "l.dkm", "-q").exit_code == 0
    records = {}
    for name, extra in (("p", []), ("l", ["--order", order])):
        result = run("evaluate", tmp_path / f"{name}.dkm", data, *extra, "--json", "-", "-q")
        assert result.exit_code == 0, result.output
        records[name] = json.loads(result.stdout)["metrics"]
    assert {"rare_brier", "rps", "mae_rank"} <= set(records["p"]) & set(records["l"])
    # The rare class is "emergency" (10%): its Brier score is far below that of "urgent" (23%).
    assert records["l"]["rare_brier"] < 0.12
    assert_bad_input(run("evaluate", tmp_path / "l.dkm", data, "--order", "elective,urgent"), "must name each")


def test_fits_are_reproducible_by_default(tmp_path, table):
    outputs = []
    for run_number in range(2):
        model = tmp_path / f"a{run_number}.dkm"
        result = run("fit", "anyloss", table, "-t", "label", "-p", "max_epochs=5", "-o", model)
        assert result.exit_code == 0 and "random_state │ 0" in result.stderr, result.output
        outputs.append(run("predict", model, table, "--proba").stdout)
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_output_files_follow_the_umask(tmp_path, table, umask, mode):
    import os

    previous = os.umask(umask)
    try:
        assert run("fit", "nbhead", table, "-t", "label", "-o", tmp_path / "m.dkm", "-q").exit_code == 0
        assert run("predict", tmp_path / "m.dkm", table, "-o", tmp_path / "p.csv", "-q").exit_code == 0
    finally:
        os.umask(previous)
    for name in ("m.dkm", "p.csv"):
        assert (tmp_path / name).stat().st_mode & 0o777 == mode


def test_routed_network_parameters_from_the_command_line(tmp_path, table):
    model = tmp_path / "a.dkm"
    result = run("fit", "anyloss", table, "-t", "label", "-p", "optimizer__weight_decay=0.1",
                 "-p", "max_epochs=2", "-o", model, "-q")
    assert result.exit_code == 0, result.output
    assert json.loads(run("inspect", model, "--json").stdout)["params"]["optimizer__weight_decay"] == 0.1
    assert_bad_input(run("fit", "anyloss", table, "-t", "label", "-p", "iterator_valid__num_workers=2",
                         "-o", model), "iterator_valid__num_workers")


def _start(*args):
    return subprocess.Popen([sys.executable, "-m", "distilkit", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_interrupted_fit_saves_nothing_and_exits_130(tmp_path, table):
    import signal
    import time

    process = _start("fit", "anyloss", table, "-t", "label", "-p", "max_epochs=1000000",
                     "-o", tmp_path / "m.dkm", "-q")
    time.sleep(8)  # usually inside the training loop; on a slow machine still importing
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert re.fullmatch(r"error: interrupted(: training interrupted after \d+ of 1000000 epochs)?\n", stderr)
    assert not (tmp_path / "m.dkm").exists() and not list(tmp_path.glob(".m.dkm*"))


def test_sigterm_during_predict_leaves_no_temporary_file(tmp_path, tiny_model):
    import signal
    import time

    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(1_500_000, 3)), columns=["a", "b", "c"]).to_parquet(tmp_path / "big.parquet")
    process = _start("predict", tiny_model, tmp_path / "big.parquet", "--batch-size", "1000", "-o",
                     tmp_path / "out.parquet", "-q")
    deadline = time.time() + 60
    while not list(tmp_path.glob(".out.parquet.*.tmp")) and time.time() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "predict finished before it could be interrupted"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.strip() == "error: interrupted: terminated"
    assert not (tmp_path / "out.parquet").exists() and not list(tmp_path.glob(".out.parquet*"))


def test_an_id_whose_first_gap_comes_in_a_later_batch(tmp_path, tiny_model, tiny_frame):
    frame = tiny_frame.assign(id=np.arange(60).astype(float))
    frame.loc[45, "id"] = np.nan
    frame.to_csv(tmp_path / "ids.csv", index=False)
    out = tmp_path / "p.parquet"
    result = run("predict", tiny_model, tmp_path / "ids.csv", "--id-column", "id", "--batch-size", "20", "-o", out)
    assert result.exit_code == 0, result.output
    ids = pd.read_parquet(out)["id"]
    assert ids.isna().sum() == 1 and ids.notna().sum() == 59


def test_a_long_output_name(tmp_path, tiny_model, table):
    out = tmp_path / ("x" * 240 + ".csv")
    result = run("predict", tiny_model, table, "-o", out)
    assert result.exit_code == 0, result.output
    assert out.is_file()


@pytest.mark.parametrize("name", ["x[/]", "[bold]b", "x[1]", " lead", "trail ", "a]b["])
def test_user_text_is_never_read_as_markup(tmp_path, tiny_frame, name):
    # "d[/].csv" is the file "].csv" in the folder "d[": a path that reads as a rich closing tag.
    (tmp_path / "d[").mkdir()
    data, model = tmp_path / "d[" / "].csv", tmp_path / "d[" / "]m.dkm"
    tiny_frame.rename(columns={"a": name, "label": f"{name}label"}).to_csv(data, index=False)
    result = run("fit", "nbhead", data, "-t", f"{name}label", "-o", model)
    assert result.exit_code == 0, result.output
    assert name.strip() in result.stderr and "d[/]m.dkm" in result.stderr.replace("\n", "")
    result = run("predict", model, data, "--proba", "-o", "-")
    assert result.exit_code == 0, result.output
    result = run("evaluate", model, data, "--name", f"run {name}")
    assert result.exit_code == 0 and f"run {name}".strip() in result.stderr, result.output
    assert_bad_input(run("predict", model, tmp_path / "d[" / "]absent.csv"), "d[/]absent.csv: no such file")
    assert_bad_input(run("fit", "nbhead", data, "-t", f"{name}nope", "-o", model), f"{name}nope")


def test_a_distilled_student_reads_the_raw_text(tmp_path, data_dir):
    data = data_dir / "amazon_reviews_sample.csv"
    student = tmp_path / "student.dkm"
    teacher = tmp_path / "teacher.dkm"
    result = run("distill", data, "-t", "sentiment", "--teacher", "minilm", "--text", "text", "--method", "kd",
                 "--student", "tfidf-mlp", "--cache-dir", tmp_path / "cache", "--save-teacher", teacher,
                 "-o", student)
    assert result.exit_code == 0, result.output
    assert "TF-IDF" in result.stderr
    # The saved teacher is the packaged encoder (by name) and its head: it scores raw text too.
    result = run("evaluate", teacher, data, "--json", "-", "-q")
    assert result.exit_code == 0, result.output
    teacher_metrics = json.loads(result.stdout)["metrics"]
    # The file holds the head only; its size counts the packaged MiniLM weights it loads.
    assert teacher_metrics["accuracy"] > 0.8 and teacher_metrics["model MB"] > 80
    assert teacher_metrics["rows/s"] > 0
    rows = pd.read_csv(data).head(5).drop(columns="sentiment").to_csv(index=False)
    result = run("predict", student, "-", "--proba", "--id-column", "snippet_id", input=rows)
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(io.StringIO(result.stdout))) == 5
    result = run("evaluate", student, data, "--json", "-", "-q")
    assert json.loads(result.stdout)["metrics"]["accuracy"] > 0.7


def test_a_threshold_flips_predictions_in_predict_and_evaluate(tmp_path, tiny_model, table):
    scores = run("predict", tiny_model, table, "--proba")
    assert scores.exit_code == 0, scores.output
    base = pd.read_csv(io.StringIO(scores.stdout))
    # Labels come from the same probabilities (one pass): the most probable class.
    np.testing.assert_array_equal(base["prediction"] == "pos", base["proba_pos"] > base["proba_neg"])
    for threshold, pos_label in [("0.05", "pos"), ("0.95", "pos"), ("0.05", "neg")]:
        result = run("predict", tiny_model, table, "--proba", "--threshold", threshold, "--pos-label", pos_label)
        assert result.exit_code == 0, result.output
        out = pd.read_csv(io.StringIO(result.stdout))
        np.testing.assert_array_equal(out["prediction"] == pos_label, out[f"proba_{pos_label}"] >= float(threshold))
        assert (out["prediction"] != base["prediction"]).any()
    result = run("evaluate", tiny_model, table, "--threshold", "0.05", "--pos-label", "pos", "--json", "-")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["decision"] == {"threshold": 0.05, "pos_label": "pos"}
    assert record["per_class"]["pos"]["recall"] == 1.0 == record["metrics"]["recall"]
    assert np.array(record["confusion_matrix"]["counts"])[:, 0].sum() < 30
    assert "per class" in result.stderr and "pos (positive)" in result.stderr and "confusion matrix" in result.stderr
    assert_bad_input(run("predict", tiny_model, table, "--pos-label", "pos"), "needs a threshold")
    assert_bad_input(run("predict", tiny_model, table, "--threshold", "0.5", "--pos-label", "maybe"),
                     "positive label 'maybe' is not one of the model's classes (neg, pos)")
    assert_bad_input(run("evaluate", tiny_model, table, "--pos-label", "maybe"), "positive label 'maybe'")
    assert_bad_input(run("predict", tiny_model, table, "--threshold", "1.5"), "--threshold")


def test_cv_grid_chooses_the_best_row_of_its_own_table_and_refits_it(tmp_path, table, tiny_frame):
    best = tmp_path / "best.dkm"
    result = run("cv", "logreg", table, "-t", "label", "-p", "C=0.001,0.1,10", "-p", "max_iter=500",
                 "--folds", "3", "--scoring", "balanced_accuracy", "--json", "-", "-o", best)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    rows = document["rows"]
    assert [row["params"] for row in rows] == [{"C": 0.001}, {"C": 0.1}, {"C": 10}]
    assert document["fixed_params"] == {"max_iter": 500} and document["scoring"] == "balanced_accuracy"
    means = [row["mean"] for row in rows]
    assert document["best"] == means.index(max(means)) and rows[document["best"]]["rank"] == 1
    assert all(len(row["scores"]) == 3 and row["std"] == pytest.approx(np.std(row["scores"])) for row in rows)
    assert "chosen" in result.stderr and "mean" in result.stderr
    meta = json.loads(run("inspect", best, "--json").stdout)
    assert meta["params"]["C"] == rows[document["best"]]["params"]["C"] and meta["params"]["max_iter"] == 500
    assert meta["metadata"]["cv"]["mean"] == max(means)
    # The same seed gives the same table.
    again = json.loads(run("cv", "logreg", table, "-t", "label", "-p", "C=0.001,0.1,10", "-p", "max_iter=500",
                           "--folds", "3", "--scoring", "balanced_accuracy", "--json", "-", "-q").stdout)
    assert again["rows"] == rows


def test_cv_tunes_a_threshold_inside_the_folds_and_saves_it(tmp_path, table):
    best = tmp_path / "tuned.dkm"
    result = run("cv", "logreg", table, "-t", "label", "--pos-label", "neg", "-p", "tune_threshold=recall",
                 "--scoring", "recall", "--folds", "3", "-o", best, "-q", "--json", "-")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["pos_label"] == "neg" and document["tune_threshold"] == "recall"
    meta = json.loads(run("inspect", best, "--json").stdout)
    assert meta["estimator"] == "logreg" and meta["decision_threshold"]["pos_label"] == "neg"
    assert meta["metadata"]["threshold_tuning"]["scoring"] == "recall"
    # Tuned for recall of "neg": predicting "neg" everywhere is the recall-maximising threshold.
    scored = run("evaluate", best, table, "--json", "-", "-q")
    record = json.loads(scored.stdout)
    assert record["decision"]["pos_label"] == "neg" == record["pos_label"]
    assert record["per_class"]["neg"]["recall"] == 1.0
    predictions = pd.read_csv(io.StringIO(run("predict", best, table).stdout))["prediction"]
    assert (predictions == "neg").sum() == record["confusion_matrix"]["counts"][0][0] + \
        record["confusion_matrix"]["counts"][1][0]


def test_fit_tunes_a_threshold_too(tmp_path, table):
    model = tmp_path / "m.dkm"
    result = run("fit", "logreg", table, "-t", "label", "-p", "tune_threshold=f1", "--pos-label", "pos", "-o", model)
    assert result.exit_code == 0, result.output
    assert "tuned for f1" in result.stderr
    meta = json.loads(run("inspect", model, "--json").stdout)
    assert meta["decision_threshold"]["pos_label"] == "pos"
    assert meta["metadata"]["threshold_tuning"]["threshold"] == meta["decision_threshold"]["threshold"]


def test_list_and_params_come_from_the_estimators_own_code():
    from distilkit.estimators.catalog import estimator_parameters
    from distilkit.estimators.naive_bayes.head import NaiveBayesHead

    listing = json.loads(run("list", "--json").stdout)
    by_name = {row["name"]: row for row in listing}
    assert by_name["lelp"]["command"] == "distill" and by_name["presto"]["ordinal"]
    assert by_name["nbhead"]["description"] == NaiveBayesHead.__doc__.strip().splitlines()[0]
    result = run("params", "nbhead", "--json")
    rows = json.loads(result.stdout)
    assert sorted(row["name"] for row in rows) == sorted(NaiveBayesHead().get_params())
    assert rows == estimator_parameters("nbhead")
    smoothing = next(row for row in rows if row["name"] == "var_smoothing")
    assert smoothing["default"] == "1e-09" and "[0.0, inf)" in smoothing["accepts"] and smoothing["description"]
    for name in by_name:
        assert all(row["description"] for row in estimator_parameters(name) if name != "logreg"), name
    shown = run("params", "presto")
    assert shown.exit_code == 0 and "classes (-p order=...)" in shown.stderr and "lambda_min_ratio" in shown.stderr
    assert "optimizer__" in run("params", "anyloss").stderr
    fit_help = run("fit", "--help").output
    assert "An estimator trained from a table" in fit_help and "lelp" not in fit_help


def _raise_type_error(*args, **kwargs):
    raise TypeError("a deliberate bug")


@pytest.mark.parametrize("debug", ["", "--debug", "DISTILKIT_DEBUG=1"])
def test_a_bug_is_an_internal_error_exit_1_with_the_traceback_on_request(tmp_path, table, monkeypatch, debug):
    import distilkit.workflows

    monkeypatch.setattr(distilkit.workflows, "fit_table", _raise_type_error)
    if debug.startswith("DISTILKIT_DEBUG"):
        monkeypatch.setenv("DISTILKIT_DEBUG", "1")
    result = run(*([debug] if debug == "--debug" else []), "fit", "nbhead", table, "-t", "label",
                 "-o", tmp_path / "m.dkm", "-q")
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    if debug:
        assert lines[0] == "Traceback (most recent call last):" and "_raise_type_error" in result.output
        assert lines[-1] == "error: internal error (TypeError: a deliberate bug); the traceback is above"
    else:
        assert lines == ["error: internal error (TypeError: a deliberate bug); rerun with --debug for the traceback"]
    assert not list(tmp_path.glob("*m.dkm*"))
    # Bad input stays bad input, with or without --debug.
    monkeypatch.undo()
    if debug.startswith("DISTILKIT_DEBUG"):
        monkeypatch.setenv("DISTILKIT_DEBUG", "1")
    bad = run(*([debug] if debug == "--debug" else []), "fit", "nbhead", tmp_path / "missing.csv", "-t", "label",
              "-o", tmp_path / "m.dkm", "-q")
    assert bad.exit_code == 2 and bad.output.strip().splitlines()[-1].startswith("error: "), bad.output


def test_help_paragraphs_are_reflowed_not_cut_at_the_docstring_breaks():
    from distilkit.cli.app import reflowed

    assert reflowed("""One line.

        A paragraph written over
        two lines.""") == "One line.\n\nA paragraph written over two lines."
    wide = CliRunner().invoke(app, ["distill", "--help"], terminal_width=250, env={"COLUMNS": "250"})
    assert "the teacher's logits and embeddings give the targets: Hinton KD" in wide.output
