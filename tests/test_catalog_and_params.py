import pytest
from hypothesis import given
from hypothesis import strategies as st

from distilkit.cli.params import parse_grid
from distilkit.estimators.catalog import docstring_parameters, estimator_parameters
from distilkit.estimators.registry import ESTIMATORS, estimator_class
from distilkit.exceptions import DataError


def test_grids_split_at_top_level_commas_only():
    assert parse_grid(['hidden_layer_sizes=[64],[32,16]', 'metric="f1,x",gmean']) == {
        "hidden_layer_sizes": [[64], [32, 16]], "metric": ["f1,x", "gmean"]}
    assert parse_grid(["order=low,mid,high"]) == {"classes": ["low,mid,high"]}
    for bad, fragment in [("C", "key=value"), ("=1", "key=value"), ("C=1,", "empty value"), ("C=", "empty value")]:
        with pytest.raises(DataError, match=fragment):
            parse_grid([bad])
    with pytest.raises(DataError, match="given twice"):
        parse_grid(["order=a,b", "classes=a,b"])


@given(st.lists(st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)),
                min_size=1, max_size=6))
def test_a_grid_of_numbers_reads_back_its_values(values):
    assert parse_grid(["C=" + ",".join(map(repr, values))]) == {"C": values}


def test_every_parameter_of_our_estimators_is_documented_and_constrained():
    for name, path in ESTIMATORS.items():
        if not path.startswith("distilkit."):
            continue
        rows = estimator_parameters(name)
        assert sorted(r["name"] for r in rows) == sorted(estimator_class(name)().get_params(deep=False)), name
        for row in rows:
            assert row["description"] and row["accepts"], (name, row["name"])


def test_docstring_sections_after_parameters_are_not_read():
    doc = """Summary.

    Parameters
    ----------
    a : int
        First.

        Second paragraph, not read.

    Returns
    -------
    b : int
        Not a parameter.
    """
    assert docstring_parameters(doc) == {"a": ("int", "First.")}
