"""Column roles and the featurizer on real mixed-type tables."""

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from distilkit.exceptions import DataError
from distilkit.features import (
    CategoryStrings,
    TextColumn,
    infer_roles,
    make_model,
    model_columns,
    summarize_roles,
    typed_columns,
)


def roles_of(frame, **options):
    return {r.column: r.role for r in infer_roles(frame, **options)}


def test_hmda_roles(data_dir):
    frame = pd.read_csv(data_dir / "hmda_sample.csv")
    roles = roles_of(frame, target="deny")
    assert roles["rownames"] == "identifier" and roles["deny"] == "target"
    assert {roles[c] for c in ("pirat", "hirat", "lvrat", "chist", "mhist", "unemp")} == {"numeric"}
    assert {roles[c] for c in ("phist", "selfemp", "insurance", "condomin", "afam", "single", "hschool")} == {
        "categorical"}


def test_medpar_provider_number_is_a_feature_not_an_identifier(data_dir):
    frame = pd.read_csv(data_dir / "medpar_sample.csv")
    roles = roles_of(frame, target="admission")
    assert roles["rownames"] == "identifier" and roles["provnum"] == "numeric"


def test_review_text_is_detected_and_the_snippet_id_left_out(data_dir):
    frame = pd.read_csv(data_dir / "amazon_reviews_sample.csv")
    assert roles_of(frame, target="sentiment") == {"snippet_id": "identifier", "text": "text", "sentiment": "target"}
    assert roles_of(frame, target="sentiment", text=["text"])["text"] == "text"


@pytest.mark.parametrize(("name", "values", "role"), [
    ("id", [5, 3, 9, 1], "identifier"),
    ("customer_id", ["a1", "b2", "c3", "d4"], "identifier"),
    ("userId", [10.5, 11.5, 12.5, 13.5], "identifier"),
    ("uuid", ["9f1c", "77ab", "0c3e", "e2d4"], "identifier"),
    ("row", [0, 1, 2, 3], "identifier"),           # consecutive integers: row numbers
    ("income", [52000, 31000, 47000, 88000], "numeric"),
    ("weight", [1.5, 2.5, 3.5, 4.5], "numeric"),
    ("id", [1, 1, 2, 2], "numeric"),               # an id that repeats groups rows; it is a feature
    ("note", ["good one", "bad one", "fine one", "meh one"], "text"),
    ("city", ["a", "b", "a", "c"], "categorical"),
    ("flag", [True, False, True, True], "categorical"),
])
def test_identifier_and_type_rules(name, values, role):
    frame = pd.DataFrame({name: values, "x": [0.1, 0.7, 0.2, 0.4], "y": [0, 1, 0, 1]})
    assert roles_of(frame, target="y")[name] == role


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 60), st.integers(-1000, 1000), st.randoms(use_true_random=False))
def test_shuffled_row_numbers_are_always_identifiers(n, start, random):
    numbers = list(range(start, start + n))
    random.shuffle(numbers)
    frame = pd.DataFrame({"n": numbers, "x": np.linspace(0, 1, n), "y": np.arange(n) % 2})
    assert roles_of(frame, target="y") == {"n": "identifier", "x": "numeric", "y": "target"}


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=40, unique=True))
def test_unique_floats_are_never_identifiers(values):
    frame = pd.DataFrame({"measure": values, "y": np.arange(len(values)) % 2})
    assert roles_of(frame, target="y")["measure"] == "numeric"


def test_exclude_features_and_empty_columns():
    frame = pd.DataFrame({"a": [1.0, 2, 3], "b_1": [1, 2, 4], "b_2": [3, 2, 1], "e": [None, None, None],
                          "y": [0, 1, 0]})
    assert roles_of(frame, target="y", exclude=["b_*"]) == {"a": "numeric", "b_1": "excluded", "b_2": "excluded",
                                                            "e": "empty", "y": "target"}
    assert roles_of(frame, target="y", features=["b_1"])["a"] == "excluded"
    with pytest.raises(DataError, match="no feature columns left"):
        infer_roles(frame, target="y", exclude=["a", "b_*"])
    with pytest.raises(DataError, match="excluded column 'zz' not found"):
        infer_roles(frame, target="y", exclude=["zz"])


def test_summary_collapses_long_runs_only():
    frame = pd.DataFrame(np.zeros((3, 12)), columns=[f"emb_{j}" for j in range(12)]).assign(y=[0, 1, 0])
    rows = summarize_roles(infer_roles(frame, target="y"))
    assert rows[0][0] == "emb_0 … emb_11 (12 columns)" and rows[-1] == ("y", "target", "the label")


def test_category_strings_are_the_same_whatever_pandas_inferred():
    as_numbers = CategoryStrings().fit_transform(pd.DataFrame({"c": [7, 8, None]}).astype("Int64"))
    as_text = CategoryStrings().fit_transform(pd.DataFrame({"c": ["7", "8", None]}))
    assert as_numbers[:2].tolist() == as_text[:2].tolist() == [["7"], ["8"]]
    assert pd.isna(as_numbers[2, 0]) and pd.isna(as_text[2, 0])


def test_text_column_state_is_arrays_and_round_trips():
    texts = pd.Series(["good film", "bad film", None, "good plot twist"])
    column = TextColumn(svd_components=2, random_state=0).fit(texts)
    state = column.__getstate__()
    assert "words_" not in state and state["words_terms_"].dtype.kind == "U"
    copy = TextColumn.__new__(TextColumn)
    copy.__setstate__(state)
    np.testing.assert_allclose(copy.transform(texts), column.transform(texts))
    state["chars_idf_"] = state["chars_idf_"][:-1]
    with pytest.raises(ValueError, match="vocabulary and its idf do not match"):
        TextColumn.__new__(TextColumn).__setstate__(state)


def test_raw_rows_with_unseen_categories_missing_values_and_extra_columns(data_dir):
    frame = pd.read_csv(data_dir / "hmda_sample.csv")
    roles = infer_roles(frame, target="deny")
    model = make_model(LogisticRegression(max_iter=1000), roles).fit(frame, frame["deny"])
    raw = frame.drop(columns="deny").head(4).copy()
    raw.loc[0, "insurance"] = "maybe"          # unseen category
    raw.loc[1, "lvrat"] = np.nan               # missing number
    raw.loc[2, "phist"] = np.nan               # missing category
    raw["comment"] = "not a model column"      # extra column
    proba = model.predict_proba(raw)
    assert proba.shape == (4, 2) and np.isfinite(proba).all()


@pytest.mark.parametrize(("edit", "message"), [
    (lambda f: f.drop(columns="lvrat"), "column 'lvrat' used by the model not found"),
    (lambda f: f.assign(lvrat=["high"] * len(f)), "numeric column 'lvrat' holds 'high' (row 1)"),
    (lambda f: f.assign(lvrat=np.inf), "column 'lvrat' holds infinite values"),
    (lambda f: f.assign(lvrat=-1e308), "column 'lvrat' holds -1e+308 (row 1), beyond ±1e+150"),
])
def test_the_table_step_refuses_what_it_cannot_read(data_dir, edit, message):
    frame = pd.read_csv(data_dir / "hmda_sample.csv")
    roles = infer_roles(frame, target="deny")
    with pytest.raises(DataError, match=re.escape(message)):
        typed_columns(edit(frame), roles)


def test_sparse_output_only_for_estimators_that_take_it(data_dir):
    from distilkit import NaiveBayesHead

    frame = pd.read_csv(data_dir / "amazon_reviews_sample.csv")
    roles = infer_roles(frame, target="sentiment")
    X = frame
    dense = make_model(NaiveBayesHead(), roles).fit(X, frame["sentiment"])
    sparse = make_model(LogisticRegression(), roles).fit(X, frame["sentiment"])
    assert isinstance(dense[:-1].transform(X), np.ndarray) and dense[:-1].transform(X).shape[1] == 100
    assert hasattr(sparse[:-1].transform(X), "tocsr") and sparse[:-1].transform(X).shape[1] > 1000
    assert model_columns(roles) == ["text"]


@pytest.mark.parametrize("name", ["_", "a__b", "numeric"])
def test_any_text_column_name_makes_a_valid_pipeline(name):
    # Found by test_random_tables: a step named after the column "_" was "text__", which sklearn refuses.
    from sklearn.linear_model import LogisticRegression

    from distilkit.features import infer_roles, make_model

    frame = pd.DataFrame({name: ["good film", "bad film", "good plot", "bad plot"] * 5, "y": [1, 0, 1, 0] * 5})
    model = make_model(LogisticRegression(), infer_roles(frame, target="y", text=[name])).fit(frame, frame.y)
    assert model.predict(frame).tolist() == frame.y.tolist()


def _dated_table(n=240):
    rng = np.random.default_rng(0)
    when = pd.date_range("2023-01-01", periods=n, freq="37h")
    frame = pd.DataFrame({"stamp": when, "day": when.strftime("%Y-%m-%d"), "x": rng.normal(size=n)})
    # Evening rows are one class: only the hour tells them apart.
    frame["label"] = np.where(when.hour >= 12, "late", "early")
    return frame


def test_datetime_columns_become_calendar_numbers(tmp_path):
    from typer.testing import CliRunner

    from distilkit.cli import app
    from distilkit.persistence import load_model

    frame = _dated_table()
    roles = {r.column: r for r in infer_roles(frame, target="label")}
    assert roles["stamp"].role == roles["day"].role == "datetime"
    assert ", hour," in roles["stamp"].encoding and "hour" not in roles["day"].encoding
    frame.to_parquet(tmp_path / "t.parquet")
    frame.assign(stamp=frame.stamp.astype(str)).to_csv(tmp_path / "t.csv", index=False)
    runner = CliRunner()
    for table in ("t.parquet", "t.csv"):
        fitted = runner.invoke(app, ["fit", "logreg", str(tmp_path / table), "-t", "label", "-o",
                                     str(tmp_path / "m.dkm")])
        assert fitted.exit_code == 0, fitted.output
        assert "year, month, day, day of week, hour" in fitted.output
        model = load_model(tmp_path / "m.dkm")
        assert model.score(frame, frame.label) > 0.95
        features = model[1].get_feature_names_out().tolist()
        assert "datetime__stamp_hour" in features and "datetime__day_weekday" in features
    bad = frame.assign(day=frame.day.where(frame.index != 5, "next tuesday"))
    bad.to_csv(tmp_path / "bad.csv", index=False)
    refused = runner.invoke(app, ["predict", str(tmp_path / "m.dkm"), str(tmp_path / "bad.csv"), "-o",
                                  str(tmp_path / "p.csv")])
    assert refused.exit_code == 2 and len(refused.output.strip().splitlines()) == 1, refused.output
    assert "datetime column 'day' holds 'next tuesday'" in refused.output and "not an ISO 8601 date" in refused.output
    assert not (tmp_path / "p.csv").exists()


def test_nested_parquet_columns_are_left_out_by_name_and_kind(tmp_path):
    from typer.testing import CliRunner

    from distilkit.cli import app

    frame = _dated_table(60).drop(columns=["stamp", "day"])
    frame["vector"] = [[float(i), 1.0] for i in range(60)]
    frame["meta"] = [{"source": "web", "rank": i} for i in range(60)]
    frame.to_parquet(tmp_path / "n.parquet")
    roles = {r.column: r for r in infer_roles(pd.read_parquet(tmp_path / "n.parquet"), target="label")}
    assert (roles["vector"].role, roles["meta"].role) == ("excluded", "excluded")
    assert "nested values (list)" in roles["vector"].encoding and "nested values (struct)" in roles["meta"].encoding
    fitted = CliRunner().invoke(app, ["fit", "nbhead", str(tmp_path / "n.parquet"), "-t", "label", "-o",
                                      str(tmp_path / "m.dkm")])
    assert fitted.exit_code == 0 and "nested values (list)" in fitted.output, fitted.output
    refused = CliRunner().invoke(app, ["fit", "nbhead", str(tmp_path / "n.parquet"), "-t", "label", "-f", "vector",
                                       "-o", str(tmp_path / "v.dkm")])
    assert refused.exit_code == 2 and "no feature columns left" in refused.output
    with pytest.raises(DataError, match="text column 'vector' holds lists"):
        infer_roles(frame, target="label", text=["vector"])


def test_integers_beyond_float64_say_they_lose_digits():
    frame = pd.DataFrame({"account": [2**70 + 7 * i for i in range(40)], "label": [0, 1] * 20})
    frame["account"] = frame.account.astype(object)
    (role,) = [r for r in infer_roles(frame, target="label", features=["account"]) if r.column == "account"]
    assert role.role == "numeric" and "integers beyond 2**53, read as the nearest float64" in role.encoding
    wide = pd.DataFrame({"n": np.arange(40, dtype=np.int64) * 2**54, "label": [0, 1] * 20})
    assert "digits lost" in infer_roles(wide, target="label", features=["n"])[0].encoding
