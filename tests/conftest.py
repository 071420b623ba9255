import os
from pathlib import Path

# scikit-learn's array-API estimator check (run with NumPy inputs for estimators without
# array-API support) is skipped unless this is set before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits


@pytest.fixture(scope="session")
def data_dir():
    """Committed samples of real tables (see tests/data/README.md)."""
    return Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def digits_frame():
    """The digits data as a table: an id, 64 pixel columns and a 'digit' label."""
    X, y = load_digits(return_X_y=True, as_frame=True)
    frame = X.copy()
    frame.insert(0, "id", np.arange(len(frame)))
    frame["digit"] = y
    return frame


@pytest.fixture()
def digits_files(tmp_path, digits_frame):
    train, test = digits_frame.iloc[:1200], digits_frame.iloc[1200:]
    paths = {"train": tmp_path / "train.parquet", "test": tmp_path / "test.csv"}
    train.to_parquet(paths["train"])
    test.to_csv(paths["test"], index=False)
    return paths


@pytest.fixture()
def tiny_frame():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    frame["label"] = np.where(frame.a + 0.3 * rng.normal(size=60) > 0, "pos", "neg")
    return frame
