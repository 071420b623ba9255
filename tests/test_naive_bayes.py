import io
import os

import joblib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from distilkit import NaiveBayesHead
from distilkit.estimators.naive_bayes.head import (
    merge_class_statistics,
    pooled_diagonal_linear_form,
)

finite = st.floats(-1e3, 1e3, allow_nan=False)


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


def reference_scores(X, y, eps=1e-9):
    """The paper's nb_diag head written out directly: log prior - 1/2 sum (x - mu)^2 / sigma^2."""
    classes = np.unique(y)
    prior = np.array([np.mean(y == c) for c in classes])
    mu = np.array([X[y == c].mean(0) for c in classes])
    var = np.array([X[y == c].var(0) + eps for c in classes])
    sigma2 = prior @ var
    return np.log(prior) - 0.5 * (((X[:, None, :] - mu) ** 2) / sigma2).sum(-1)


def test_matches_reference_formula(digits):
    X, y = digits
    head = NaiveBayesHead().fit(X, y)
    ref = reference_scores(X, y)
    ref_proba = np.exp(ref - ref.max(1, keepdims=True))
    ref_proba /= ref_proba.sum(1, keepdims=True)
    np.testing.assert_allclose(head.predict_proba(X), ref_proba, atol=1e-8)
    np.testing.assert_array_equal(head.predict(X), ref.argmax(1))


def test_binary_linear_form_matches_joint_scores():
    X, y = make_classification(200, 6, random_state=0)
    head = NaiveBayesHead().fit(X, y)
    assert head.coef_.shape == (1, 6) and head.intercept_.shape == (1,)
    ref = reference_scores(X, y)
    np.testing.assert_allclose(head.decision_function(X), ref[:, 1] - ref[:, 0], rtol=1e-9, atol=1e-8)


@pytest.mark.parametrize("scaler", [None, "minmax"])
@pytest.mark.parametrize("smoothing", ["absolute", "relative"])
def test_partial_fit_over_chunks_equals_fit(digits, scaler, smoothing):
    X, y = digits
    rng = np.random.default_rng(0)
    w = rng.uniform(0.1, 2.0, len(y))
    full = NaiveBayesHead(scaler=scaler, smoothing=smoothing).fit(X, y, sample_weight=w)
    streamed = NaiveBayesHead(scaler=scaler, smoothing=smoothing)
    for chunk in np.array_split(rng.permutation(len(y)), 13):
        streamed.partial_fit(X[chunk], y[chunk], classes=np.arange(10), sample_weight=w[chunk])
    for attr in ["class_count_", "theta_", "var_", "sigma2_", "coef_", "intercept_"]:
        np.testing.assert_allclose(getattr(streamed, attr), getattr(full, attr), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(streamed.predict_proba(X), full.predict_proba(X), atol=1e-10)


def test_minmax_scaler_equals_paper_pipeline(digits):
    X, y = digits
    X_train, X_test = X[:900], X[900:]
    inside = NaiveBayesHead(scaler="minmax").fit(X_train, y[:900])
    outside = make_pipeline(MinMaxScaler(), NaiveBayesHead()).fit(X_train, y[:900])
    np.testing.assert_allclose(inside.predict_proba(X_test), outside.predict_proba(X_test), atol=1e-9)


def test_label_permutation_and_string_labels(digits):
    X, y = digits
    names = np.array(list("abcdefghij"))
    a = NaiveBayesHead().fit(X, y)
    b = NaiveBayesHead().fit(X, names[y])
    np.testing.assert_array_equal(names[a.predict(X)], b.predict(X))
    perm = np.random.default_rng(1).permutation(len(y))
    c = NaiveBayesHead().fit(X[perm], y[perm])
    np.testing.assert_allclose(a.predict_proba(X), c.predict_proba(X), atol=1e-9)


def test_given_priors_shift_intercepts_only(digits):
    X, y = digits
    priors = np.full(10, 0.1)
    a = NaiveBayesHead().fit(X, y)
    b = NaiveBayesHead(priors=priors).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_)
    np.testing.assert_allclose(b.intercept_ - a.intercept_, np.log(priors) - np.log(a.class_prior_))


@pytest.mark.parametrize(
    "priors, message",
    [([0.5, 0.5], "Number of priors"), (np.full(10, 0.2), "sum of the priors"),
     (np.r_[-0.1, 0.2, np.full(8, 0.1125)], "non-negative")],
)
def test_invalid_priors(digits, priors, message):
    X, y = digits
    with pytest.raises(ValueError, match=message):
        NaiveBayesHead(priors=priors).fit(X, y)


def test_one_class_is_refused():
    with pytest.raises(ValueError, match="at least 2 classes"):
        NaiveBayesHead().fit(np.ones((4, 2)), [3, 3, 3, 3])


def test_pipeline_inside_grid_search(digits):
    X, y = digits
    pipe = Pipeline([("scale", StandardScaler()), ("head", NaiveBayesHead())])
    grid = GridSearchCV(pipe, {"head__var_smoothing": [1e-9, 1e-2, 1.0]}, cv=3).fit(X, y)
    assert grid.best_score_ > 0.85
    assert grid.predict(X[:5]).shape == (5,)


def test_joblib_round_trip(digits):
    X, y = digits
    head = NaiveBayesHead(scaler="minmax").fit(X, y)
    buffer = io.BytesIO()
    joblib.dump(head, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(joblib.load(buffer).predict_proba(X), head.predict_proba(X))


@settings(max_examples=60, deadline=None)
@given(
    data=arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 4)), elements=finite),
    split=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_merge_equals_statistics_of_concatenation(data, split, seed):
    labels = np.random.default_rng(seed).integers(0, 2, len(data))
    cut = int(round(split * len(data)))

    def stats(rows, lab):
        count = np.array([np.sum(lab == k) for k in range(2)], dtype=float)
        mean = np.array([rows[lab == k].mean(0) if np.any(lab == k) else np.zeros(rows.shape[1]) for k in range(2)])
        var = np.array([rows[lab == k].var(0) if np.any(lab == k) else np.zeros(rows.shape[1]) for k in range(2)])
        return count, mean, var

    merged = merge_class_statistics(*stats(data[:cut], labels[:cut]), *stats(data[cut:], labels[cut:]))
    for got, want in zip(merged, stats(data, labels)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    means=arrays(np.float64, st.tuples(st.integers(2, 5), st.just(3)), elements=finite),
    var=arrays(np.float64, 3, elements=st.floats(1e-3, 1e3)),
    x=arrays(np.float64, 3, elements=finite),
)
def test_linear_form_equals_gaussian_log_density_differences(means, var, x):
    log_prior = np.log(np.full(len(means), 1.0 / len(means)))
    weights, bias = pooled_diagonal_linear_form(means, var, log_prior)
    linear = weights @ x + bias
    quadratic = log_prior - 0.5 * (((x - means) ** 2) / var).sum(1)
    # Equal up to the class-independent term -1/2 sum x^2 / sigma^2.
    np.testing.assert_allclose(linear - linear[0], quadratic - quadratic[0], rtol=1e-7, atol=1e-4)


@settings(max_examples=60, deadline=None)
@given(
    data=arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 4)), elements=finite),
    offset=st.floats(-1e4, 1e4),
    seed=st.integers(0, 2**16),
)
def test_class_statistics_equal_numpy(data, offset, seed):
    from distilkit.estimators.naive_bayes.head import class_statistics

    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 3, len(data))
    weights = rng.uniform(0.5, 2.0, len(data))
    X = data + offset
    count, mean, var, low, high = class_statistics(X, codes, weights, 3)
    np.testing.assert_array_equal(low, X.min(axis=0))
    np.testing.assert_array_equal(high, X.max(axis=0))
    for k in range(3):
        rows = codes == k
        assert count[k] == pytest.approx(weights[rows].sum())
        if rows.any():
            want_mean = np.average(X[rows], axis=0, weights=weights[rows])
            want_var = np.average((X[rows] - want_mean) ** 2, axis=0, weights=weights[rows])
            np.testing.assert_allclose(mean[k], want_mean, rtol=1e-9, atol=1e-7)
            np.testing.assert_allclose(var[k], want_var, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("scaler", [None, "minmax"])
def test_float32_input_with_tiny_features_matches_float64(scaler):
    # Real MiniLM embeddings have dimensions of magnitude 1e-33: their squares underflow
    # in float32, which once made the min-max head divide by a zero variance.
    rng = np.random.default_rng(0)
    X = rng.normal(scale=0.1, size=(64, 6))
    X[:, 2] *= 1e-32
    y = np.repeat([0, 1], 32)
    X[y == 1, 2] += 1e-33
    X32 = X.astype(np.float32)
    a = NaiveBayesHead(scaler=scaler).fit(X32, y)
    b = NaiveBayesHead(scaler=scaler).fit(X32.astype(np.float64), y)
    np.testing.assert_allclose(a.var_, b.var_, rtol=1e-6)
    np.testing.assert_allclose(a.predict_proba(X32), b.predict_proba(X32), atol=1e-6)


def test_class_variances_survive_classes_far_apart():
    # One shift for all classes lost the variance of the class far from it (var_ 0 vs 1e-6).
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1e-3, (500, 2)), rng.normal(1e5, 1e-3, (500, 2))])
    y = np.repeat([0, 1], 500)
    head = NaiveBayesHead().fit(X, y)
    expected = np.vstack([X[y == k].var(axis=0) for k in (0, 1)])
    np.testing.assert_allclose(head.var_, expected, rtol=1e-6)
    np.testing.assert_allclose(head.var_, GaussianNB(var_smoothing=0).fit(X, y).var_, rtol=1e-6)
    chunks = NaiveBayesHead()
    for part in np.array_split(rng.permutation(1000), 4):
        chunks.partial_fit(X[part], y[part], classes=[0, 1])
    np.testing.assert_allclose(chunks.var_, expected, rtol=1e-6)


def test_invalid_priors_in_partial_fit_leave_the_head_unchanged():
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 5)), np.arange(40) % 2
    head = NaiveBayesHead().fit(X, y)
    before = {name: getattr(head, name).copy() for name in ("class_count_", "theta_", "var_", "coef_")}
    with pytest.raises(ValueError, match="sum of the priors"):
        head.set_params(priors=[0.5, 0.6]).partial_fit(X, y)
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(head, name), value)


def test_sparse_rows_are_scored_like_dense_ones():
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    X, y = rng.random((40, 5)), np.arange(40) % 3
    head = NaiveBayesHead().fit(X, y)
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        np.testing.assert_allclose(getattr(head, method)(sp.csr_matrix(X)), getattr(head, method)(X))
    with pytest.raises(TypeError, match="dense data is required"):
        NaiveBayesHead().fit(sp.csr_matrix(X), y)


def test_a_head_fits_where_numba_cannot_cache(tmp_path):
    """A read-only install with an unwritable HOME (a container, a Dask worker as nobody): numba has no folder to
    cache compiled code in, and must compile in memory instead of refusing.

    As root every folder is writable, so the install is a copy of the package whose kernel's
    ``__pycache__`` is a file (numba cannot create its cache there) and HOME is under /proc.
    """
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import distilkit

    copy = tmp_path / "site"
    shutil.copytree(Path(distilkit.__file__).parent, copy / "distilkit",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "distilkit" / "estimators" / "naive_bayes" / "__pycache__").write_text("not a folder")
    script = (
        "import sys\n"
        # The editable install's finder would import the checkout instead of the copy.
        "sys.meta_path = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]\n"
        f"sys.path.insert(0, {str(copy)!r})\n"
        "import numpy as np, distilkit\n"
        f"assert distilkit.__file__.startswith({str(copy)!r}), distilkit.__file__\n"
        "X = np.random.default_rng(0).normal(size=(50, 3))\n"
        "print(distilkit.NaiveBayesHead().fit(X, X[:, 0] > 0).score(X, X[:, 0] > 0))\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_CACHE_DIR"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**env, "HOME": "/proc/no-home"}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout.strip().splitlines()[-1]) > 0.9
