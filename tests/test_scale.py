"""distilkit on a real Dask cluster: batch scoring, the teacher pass, folds, and a worker killed mid-job."""

import os
import signal

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from distilkit import NaiveBayesHead, load_model, save_model
from distilkit.cli import app
from distilkit.cluster import dask_client, dask_parallel
from distilkit.encoders import embed_texts
from distilkit.exceptions import DataError
from distilkit.features import infer_roles, make_model
from distilkit.inference import score_files
from distilkit.inference.scoring import prediction_frame, scoring_request


@pytest.fixture(scope="module")
def client():
    # The embedded cluster of `--dask local`, with 2 worker processes of 1 thread.
    with dask_client("local", n_workers=2) as client:
        yield client


def _table(n, seed):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 5)), columns=[f"x{j}" for j in range(5)])
    frame["colour"] = rng.choice(["red", "green", "blue", None], size=n)
    frame["label"] = np.where(frame.x0 + (frame.colour == "red") + 0.5 * rng.normal(size=n) > 0.5, "yes", "no")
    return frame


@pytest.fixture(scope="module")
def scoring_files(tmp_path_factory):
    """A pipeline model file and a table split into Parquet files (a few NaNs and unseen colours)."""
    root = tmp_path_factory.mktemp("scale")
    train = _table(2000, 0)
    roles = infer_roles(train, target="label")
    model = make_model(NaiveBayesHead(), roles).fit(train, train["label"])
    save_model(model, root / "model.dkm")
    (root / "in").mkdir()
    for i in range(8):
        part = _table(6000, i + 1)
        part.insert(0, "id", np.arange(i * 6000, (i + 1) * 6000))
        part.loc[::97, "x3"] = np.nan
        part.loc[::89, "colour"] = "purple"
        part.drop(columns="label").to_parquet(root / "in" / f"rows-{i}.parquet", index=False)
    return root


def _read_output(folder):
    return pd.concat([pd.read_parquet(p) for p in sorted(folder.glob("part.*.parquet"))], ignore_index=True)


def _single_process(root):
    model = load_model(root / "model.dkm")
    roles = list(model[0].roles)
    frame = pd.concat([pd.read_parquet(p) for p in sorted((root / "in").glob("*.parquet"))], ignore_index=True)
    return prediction_frame(model, frame, scoring_request(model.classes_, roles, passthrough=["id"], proba=True))


def test_scoring_on_dask_gives_the_single_process_rows_and_probabilities(client, scoring_files, tmp_path):
    rows = score_files(scoring_files / "model.dkm", str(scoring_files / "in" / "*.parquet"), tmp_path / "out",
                       client=client, proba=True, passthrough=["id"], batch_size=1000)
    assert rows == 48_000
    out = _read_output(tmp_path / "out").sort_values("id", ignore_index=True)
    expected = _single_process(scoring_files)
    assert list(out.columns) == ["id", "prediction", "proba_no", "proba_yes"]
    pd.testing.assert_frame_equal(out, expected)
    assert not list(tmp_path.glob(".out*"))


def test_a_threshold_applies_on_dask_as_in_one_process(client, scoring_files, tmp_path):
    score_files(scoring_files / "model.dkm", str(scoring_files / "in" / "*.parquet"), tmp_path / "out",
                client=client, proba=True, passthrough=["id"], threshold=0.2, pos_label="no", batch_size=5000)
    out = _read_output(tmp_path / "out")
    np.testing.assert_array_equal(out["prediction"] == "no", out["proba_no"] >= 0.2)
    assert (out["prediction"] != _single_process(scoring_files).set_index("id").loc[out["id"], "prediction"]
            .to_numpy()).any()


def test_cli_predict_on_dask(client, scoring_files, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["predict", str(scoring_files / "model.dkm"), str(scoring_files / "in"), "--proba",
                                 "--id-column", "id", "--dask", client.scheduler.address, "-o", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "wrote 48,000 predictions" in result.stderr
    assert len(_read_output(tmp_path / "s")) == 48_000
    for output, fragment in ((tmp_path / "s", "already exists"), (tmp_path / "s.csv", "folder of Parquet files")):
        result = runner.invoke(app, ["predict", str(scoring_files / "model.dkm"), str(scoring_files / "in"),
                                     "--dask", client.scheduler.address, "-o", str(output)])
        assert result.exit_code == 2 and fragment in result.stderr, result.output
    result = runner.invoke(app, ["predict", str(scoring_files / "model.dkm"), str(scoring_files / "in"),
                                 "--dask", "tcp://127.0.0.1:9", "-o", str(tmp_path / "t")])
    assert result.exit_code == 2 and "cannot reach the Dask scheduler" in result.stderr, result.output


def test_a_missing_column_is_refused_before_any_work(client, scoring_files, tmp_path):
    with pytest.raises(DataError, match="column 'nope' not found"):
        score_files(scoring_files / "model.dkm", str(scoring_files / "in"), tmp_path / "o", client=client,
                    passthrough=["nope"])
    assert not (tmp_path / "o").exists()


def test_teacher_pass_on_dask_equals_the_single_process_one(client, data_dir, tmp_path):
    from distilkit.encoders.packaged import loaded_encoder as _loaded_encoder

    texts = pd.read_csv(data_dir / "amazon_reviews_sample.csv")["text"].head(160).tolist()
    local = embed_texts(texts, "minilm", tmp_path / "local", partition_rows=40)
    on_dask = embed_texts(texts, "minilm", tmp_path / "dask", client=client, partition_rows=40)
    np.testing.assert_allclose(on_dask, local, atol=1e-5)
    assert on_dask.shape == (160, 384)
    # Loaded once per worker process, whatever the number of partitions it encoded.
    loads = client.run(lambda: _loaded_encoder.cache_info().misses)
    assert all(count <= 1 for count in loads.values()) and sum(loads.values()) >= 1
    # A later run reuses the partitioned cache instead of encoding again.
    cached = next((tmp_path / "dask").iterdir())
    assert len(list(cached.glob("part.*.parquet"))) == 4
    np.testing.assert_array_equal(embed_texts(texts, "minilm", tmp_path / "dask"), on_dask)


def test_embedded_workers_keep_the_adaptive_malloc_thresholds(client):
    import os as worker_os

    assert set(client.run(lambda: worker_os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()) == {None}


def test_presto_cv_folds_on_the_dask_backend_equal_local_ones(client):
    from distilkit.estimators.ordinal import PrestoOrdinalCV

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(600, 3))
    y = np.digitize(X @ [1.5, -1.0, 0.5] + rng.logistic(size=600), [-0.5, 1.0, 2.5])
    from distributed import get_task_stream

    local = PrestoOrdinalCV(n_lambdas=5, random_state=0).fit(X, y)
    with dask_parallel(client), get_task_stream(client) as tasks:
        distributed = PrestoOrdinalCV(n_lambdas=5, random_state=0).fit(X, y)
    assert len({task["worker"] for task in tasks.data}) == 2  # the folds ran on both workers
    np.testing.assert_allclose(distributed.brier_path_, local.brier_path_)
    np.testing.assert_allclose(distributed.coef_, local.coef_)


def test_a_worker_killed_mid_job_loses_no_row_and_duplicates_none(scoring_files, tmp_path):
    with dask_client("local", n_workers=2) as client:
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill_one_worker(rows):
            if not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        rows = score_files(scoring_files / "model.dkm", str(scoring_files / "in"), tmp_path / "out", client=client,
                           passthrough=["id"], batch_size=500, progress=kill_one_worker)
        assert killed and pids[0] not in client.run(os.getpid).values()
    out = _read_output(tmp_path / "out")
    assert rows == len(out) == 48_000
    assert sorted(out["id"]) == list(range(48_000))


def test_a_cache_filled_by_another_process_meanwhile_is_read(tmp_path, monkeypatch):
    import shutil

    from distilkit.encoders import cache as embedding

    texts = [f"sentence number {i}" for i in range(30)]
    first = embed_texts(texts, "minilm", tmp_path / "a", partition_rows=10)
    (done,) = [p for p in (tmp_path / "a").iterdir() if p.is_dir()]
    real = embedding.encode_partition

    def racing(chunk, encoder, path):
        rows = real(chunk, encoder, path)
        target = tmp_path / "b" / done.name
        if not target.exists():  # the other process finishes first, during our encoding
            shutil.copytree(done, target)
        return rows

    monkeypatch.setattr(embedding, "encode_partition", racing)
    np.testing.assert_array_equal(embed_texts(texts, "minilm", tmp_path / "b", partition_rows=10), first)
    assert [p.name for p in (tmp_path / "b").iterdir()] == [done.name]  # our temporary folder is gone


def test_a_cv_grid_on_dask_gives_the_single_process_table(client):
    from sklearn.linear_model import LogisticRegression

    from distilkit.evaluation.model_selection import grid_search

    frame = _table(600, 3)
    roles = infer_roles(frame, target="label")
    X, y = frame, frame["label"].to_numpy()
    pipeline = make_model(LogisticRegression(), roles)
    here = grid_search(pipeline, X, y, {"C": [0.01, 1.0, 100.0]}, folds=3, scoring="f1", tune_threshold="f1")
    with dask_parallel(client):
        there = grid_search(pipeline, X, y, {"C": [0.01, 1.0, 100.0]}, folds=3, scoring="f1", tune_threshold="f1")
    assert there.rows == here.rows and there.best == here.best and there.pos_label == "yes"
