"""Hypothesis-generated tables (any column names, dtypes, missing values) through fit and predict."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from distilkit.cli import app


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(NAMES, min_size=1, max_size=4, unique=True),
       kinds=st.lists(st.sampled_from(["float", "int", "str", "bool", "text"]), min_size=4, max_size=4),
       gaps=st.lists(st.floats(0, 0.6), min_size=4, max_size=4), seed=st.integers(0, 2**16))
def test_random_tables_fit_and_predict_or_fail_cleanly(tmp_path, names, kinds, gaps, seed):
    """Any column names, dtypes and missing values: exit 0, or exit 2 with one error line; never a traceback."""
    rng = np.random.default_rng(seed)
    n = 40
    frame = pd.DataFrame({"label": rng.choice(["a", "b"], n)})
    for name, kind, gap in zip(names, kinds, gaps):
        if name == "label":
            continue
        values = {"float": rng.normal(size=n), "int": rng.integers(0, 5, n), "str": rng.choice(["x", "y z", "7"], n),
                  "bool": rng.random(n) > 0.5, "text": [" ".join(rng.choice(["good", "bad", "ok"], 3)) + f" {i}"
                                                         for i in range(n)]}[kind]
        column = pd.Series(values).astype(object)
        column[rng.random(n) < gap] = None
        frame[name] = column
    frame.to_csv(tmp_path / "t.csv", index=False)
    model = tmp_path / "m.dkm"
    for args in (["fit", "logreg", tmp_path / "t.csv", "-t", "label", "-o", model, "-q"],
                 ["predict", model, tmp_path / "t.csv", "--proba", "-o", tmp_path / "p.csv", "-q"]):
        result = run(*args)
        if result.exit_code == 2:
            lines = result.stderr.strip().splitlines()
            assert lines and lines[-1].startswith("error:") and "Traceback" not in result.output, result.output
            assert sum(line.startswith("error:") for line in lines) == 1
            return
        assert result.exit_code == 0, result.output
    scores = pd.read_csv(tmp_path / "p.csv")
    assert len(scores) == n and scores.filter(like="proba_").notna().all().all()
