import numpy as np
import pandas as pd
import pytest

from distilkit.exceptions import DataError
from distilkit.io import (
    TableSink,
    count_rows,
    feature_matrix,
    iter_batches,
    match_columns,
    read_table,
    target_vector,
    write_table,
)


def test_match_columns_takes_names_and_globs_in_pattern_order():
    cols = ["id", "emb_0", "emb_1", "emb_10", "x", "text", "y"]
    assert match_columns(cols, ["emb_*"]) == ["emb_0", "emb_1", "emb_10"]
    assert match_columns(cols, ["x", "emb_1", "emb_?"]) == ["x", "emb_1", "emb_0"]
    with pytest.raises(DataError, match="feature column 'zz' not found"):
        match_columns(cols, ["zz"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_read_round_trip_and_batches(tmp_path, suffix):
    frame = pd.DataFrame({"a": np.arange(25.0), "b": list("xy" * 12) + ["x"]})
    path = tmp_path / f"t{suffix}"
    write_table(frame, path)
    pd.testing.assert_frame_equal(read_table(path), frame)
    batches = list(iter_batches(path, columns=["a"], batch_size=10))
    assert [len(b) for b in batches] == [10, 10, 5] and list(batches[0].columns) == ["a"]
    assert count_rows(path) == (25 if suffix == ".parquet" else None)


def test_sink_removes_partial_output_on_error(tmp_path):
    path = tmp_path / "out.parquet"
    with pytest.raises(RuntimeError):
        with TableSink(path) as sink:
            sink.write(pd.DataFrame({"a": [1.0]}))
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_survives_a_failed_rewrite(tmp_path):
    path = tmp_path / "out.csv"
    write_table(pd.DataFrame({"a": [1]}), path)
    with pytest.raises(RuntimeError):
        with TableSink(path) as sink:
            sink.write(pd.DataFrame({"a": [2, 3]}))
            raise RuntimeError("boom")
    assert read_table(path)["a"].tolist() == [1]


def test_feature_matrix_and_target_checks():
    frame = pd.DataFrame({"a": [1, 2, 3], "flag": [True, False, True], "y": ["u", "v", None]})
    assert feature_matrix(frame, ["a", "flag"]).dtypes.tolist() == [np.float64, np.float64]
    with pytest.raises(DataError, match="infinite"):
        feature_matrix(frame.assign(a=[1, np.inf, 2]), ["a"])
    with pytest.raises(DataError, match="1 missing values"):
        target_vector(frame, "y")
    with pytest.raises(DataError, match="only one class"):
        target_vector(frame.iloc[:1], "y", min_classes=2)
