"""KDDistiller and LELPDistiller: sklearn compatibility, teacher signals, unlabelled transfer."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from distilkit.estimators.distill.distillers import KDDistiller, LELPDistiller


@pytest.fixture(scope="module")
def odd_even():
    """digits as odd vs even: a binary task whose classes have real subclasses."""
    from sklearn.datasets import load_digits

    X, digit = load_digits(return_X_y=True)
    return X, digit % 2, digit


def test_one_subclass_is_exactly_kd(odd_even):
    X, y, _ = odd_even
    teacher = LogisticRegression(max_iter=3000).fit(X, y)
    common = {"teacher": teacher, "temperature": 2.0, "max_epochs": 5, "random_state": 0}
    kd = KDDistiller(**common).fit(X[:, ::2], teacher_X=X)
    lelp = LELPDistiller(n_subclasses=1, **common).fit(X[:, ::2], teacher_X=X)
    np.testing.assert_allclose(lelp.predict_proba(X[:, ::2]), kd.predict_proba(X[:, ::2]), atol=1e-6)


def test_directions_lie_in_the_null_space_of_the_teacher_head(odd_even):
    X, y, _ = odd_even
    teacher = LogisticRegression(max_iter=3000).fit(X, y)
    logits = teacher.decision_function(X)[:, None] * [-0.5, 0.5]
    for head in ({"teacher_head": (teacher.coef_, teacher.intercept_)}, {}):  # {}: recovered from the logits
        lelp = LELPDistiller(n_subclasses=4, max_epochs=1, random_state=0).fit(
            X, y, teacher_logits=logits, teacher_embeddings=X, **head)
        assert np.abs(teacher.coef_ @ lelp.subclass_directions_).max() < 1e-6 * np.abs(teacher.coef_).max()
        gram = np.einsum("cds,cdt->cst", lelp.subclass_directions_, lelp.subclass_directions_)
        np.testing.assert_allclose(gram, np.broadcast_to(np.eye(4), gram.shape), atol=1e-8)


def test_unlabelled_transfer_rows_are_distilled(odd_even):
    X, y, _ = odd_even
    teacher = LogisticRegression(max_iter=3000).fit(X[:300], y[:300])
    logits = teacher.decision_function(X)[:, None] * [-0.5, 0.5]
    partly = np.where(np.arange(len(y)) < 100, y, -1)
    for labels in (None, partly):
        student = LELPDistiller(n_subclasses=2, random_state=0).fit(X, labels, teacher_logits=logits,
                                                                    teacher_embeddings=X)
        assert student.classes_.tolist() == [0, 1]
        agreement = (student.predict(X) == teacher.predict(X)).mean()
        assert agreement > 0.9


def test_label_only_training_ignores_the_teacher(odd_even):
    X, y, _ = odd_even
    student = KDDistiller(alpha=1.0, random_state=0).fit(X, y)
    assert (student.predict(X) == y).mean() > 0.95
    with pytest.raises(ValueError, match="requires y to be passed"):
        KDDistiller(alpha=1.0).fit(X, np.full(len(X), -1))


def test_live_teacher_sees_other_features_than_the_student(odd_even):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y, _ = odd_even
    encoder = FunctionTransformer(lambda images: images.reshape(len(images), -1) / 16.0)  # a frozen "encoder"
    teacher = make_pipeline(encoder, LogisticRegression(max_iter=3000))  # fitted on the labels inside fit
    images = X.reshape(-1, 8, 8)
    student = LELPDistiller(n_subclasses=2, teacher=teacher, random_state=0).fit(X[:, :32], y, teacher_X=images)
    assert student.subclass_directions_.shape == (2, 64, 2)
    assert student.n_features_in_ == 32


def test_teacher_arrays_are_routed_through_pipeline_and_grid_search(odd_even):
    import sklearn
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, _ = odd_even
    teacher = LogisticRegression(max_iter=3000).fit(X, y)
    logits = teacher.decision_function(X)[:, None] * [-0.5, 0.5]
    with sklearn.config_context(enable_metadata_routing=True):
        student = LELPDistiller(max_epochs=3, random_state=0).set_fit_request(
            teacher_logits=True, teacher_embeddings=True)
        search = GridSearchCV(make_pipeline(StandardScaler(), student), {"lelpdistiller__n_subclasses": [1, 2]},
                              cv=2).fit(X, y, teacher_logits=logits, teacher_embeddings=X)
    assert search.best_params_["lelpdistiller__n_subclasses"] in (1, 2)
    assert search.score(X, y) > 0.8


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "needs a teacher"),
    ({"teacher_logits": np.zeros((5, 2))}, "one row per sample"),
    ({"teacher_logits": np.zeros((1797, 3)), "teacher_embeddings": np.zeros((1797, 4))}, "scores 3 classes"),
    ({"teacher_logits": np.zeros((1797, 2))}, "needs the teacher's embeddings"),
    ({"teacher_logits": np.where(np.arange(1797)[:, None] == 7, np.nan, np.zeros((1797, 2))),
      "teacher_embeddings": np.zeros((1797, 4))}, r"teacher_logits hold NaN or infinite values \(1 row\(s\), first at row 7\)"),
    ({"teacher_logits": np.zeros((1797, 2)), "teacher_embeddings": np.full((1797, 4), np.inf)},
     "teacher_embeddings hold NaN or infinite"),
])
def test_bad_teacher_signals(odd_even, kwargs, message):
    X, y, _ = odd_even
    with pytest.raises(ValueError, match=message):
        LELPDistiller(max_epochs=1).fit(X, y, **kwargs)


def test_model_file_round_trip(tmp_path, odd_even):
    from distilkit import load_model, save_model

    X, y, _ = odd_even
    logits = LogisticRegression(max_iter=3000).fit(X, y).decision_function(X)[:, None] * [-0.5, 0.5]
    for student in (LELPDistiller(n_subclasses=3, max_epochs=2, random_state=0), KDDistiller(max_epochs=2)):
        student.fit(X, y, teacher_logits=logits, teacher_embeddings=X)
        save_model(student, tmp_path / "student.dkm")
        loaded = load_model(tmp_path / "student.dkm")
        np.testing.assert_allclose(loaded.predict_proba(X), student.predict_proba(X), rtol=1e-6)


def test_given_subclass_coordinates_replace_the_embedding_split(odd_even):
    X, y, digit = odd_even
    logits = LogisticRegression(max_iter=3000).fit(X, y).decision_function(X)[:, None] * [-0.5, 0.5]
    oracle = np.zeros((len(y), 2, 5))
    oracle[np.arange(len(y)), y, digit // 2] = 10.0  # the true digit within its parity class
    student = LELPDistiller(n_subclasses=5, max_epochs=20, random_state=0).fit(X, y, teacher_logits=logits,
                                                                               subclass_coordinates=oracle)
    subclass = student.net_.forward(student._network_input(X)).numpy().reshape(-1, 2, 5)[np.arange(len(y)), y]
    assert (subclass.argmax(axis=1) == digit // 2).mean() > 0.8  # the student learned the digits
    with pytest.raises(ValueError, match="must have shape"):
        LELPDistiller(n_subclasses=4).fit(X, y, teacher_logits=logits, subclass_coordinates=oracle)


def test_teacher_classes_are_matched_by_value_not_position():
    # A teacher fitted on labels c/b/a and a student whose labels are 0/1/2 once trained
    # silently (by column position) to 0.23 accuracy on iris.
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    letters = np.array(["c", "b", "a"])[y]
    teacher = LogisticRegression(max_iter=1000).fit(X, letters)
    with pytest.raises(ValueError, match="label\\(s\\) 0, 1, 2 are not among the teacher's classes"):
        KDDistiller(teacher=teacher, max_epochs=1).fit(X, y)
    # Same labels in another order and a subset of the classes labelled: matched by value.
    labelled = np.where(letters == "b", None, letters).astype(object)
    student = KDDistiller(teacher=teacher, max_epochs=60, lr=1e-2, random_state=0).fit(X, labelled)
    assert student.classes_.tolist() == ["a", "b", "c"]
    assert (student.predict(X) == letters).mean() > 0.9


def test_a_binary_decision_function_is_the_positive_logit(odd_even):
    X, y, _ = odd_even
    decision = LogisticRegression(max_iter=3000).fit(X, y).decision_function(X)
    one = KDDistiller(max_epochs=3, random_state=0).fit(X, y, teacher_logits=decision)
    two = KDDistiller(max_epochs=3, random_state=0).fit(X, y, teacher_logits=decision[:, None] * [-0.5, 0.5])
    np.testing.assert_allclose(one.predict_proba(X), two.predict_proba(X))


@pytest.mark.parametrize("subclasses", ["random", "kmeans"])
def test_the_papers_baseline_splits_train_the_same_student(odd_even, subclasses):
    X, y, _ = odd_even
    logits = LogisticRegression(max_iter=3000).fit(X, y).decision_function(X)
    student = LELPDistiller(n_subclasses=3, subclasses=subclasses, max_epochs=10, random_state=0)
    student.fit(X, y, teacher_logits=logits, teacher_embeddings=X)
    assert student.predict_proba(X).shape == (len(X), 2)
    assert (student.predict(X) == y).mean() > 0.8


def test_cluster_coordinates_assign_rows_to_their_nearest_centroid(odd_even):
    from sklearn.cluster import KMeans

    from distilkit.estimators.distill.targets import cluster_coordinates

    X, y, _ = odd_even
    z = cluster_coordinates(X, y, 2, 3, random_state=0)
    for c in range(2):
        nearest = KMeans(3, n_init=3, random_state=0).fit(X[y == c]).predict(X)
        np.testing.assert_array_equal(z[:, c].argmax(axis=1), nearest)


def test_auto_selection_keeps_the_best_row_of_its_own_table(odd_even):
    from distilkit.estimators.distill.selection import (
        Candidate,
        cross_validate_candidates,
    )

    X, y, _ = odd_even
    X = X[:, ::2]  # the student sees half the pixels
    teacher = LogisticRegression(max_iter=3000).fit(odd_even[0][:300], y[:300])
    labels = np.where(np.arange(len(y)) < 60, y, -1)  # 60 labelled rows, the rest a transfer set
    arrays = {"teacher_logits": teacher.decision_function(odd_even[0]), "teacher_embeddings": odd_even[0]}
    candidates = [Candidate("labels", {"alpha": 1.0}), Candidate("kd", {"temperature": 2.0}),
                  Candidate("lelp", {"n_subclasses": 2})]

    def make(candidate):
        kind = LELPDistiller if candidate.method == "lelp" else KDDistiller
        return kind(max_epochs=5, random_state=0, **candidate.params)

    rows, best = cross_validate_candidates(make, candidates, X, labels, labels != -1, arrays)
    assert [row["candidate"] for row in rows] == candidates
    assert all(len(row["scores"]) == 3 and 0 <= row["mean"] <= 1 for row in rows)
    assert best["mean"] == max(row["mean"] for row in rows)
    # With 60 labels and a teacher trained on 300, distillation beats the labels alone here.
    assert best["candidate"].method != "labels"
    assert Candidate("lelp", {"n_subclasses": 2, "subclass_temperature": 0.5}).name == "lelp S=2 beta=0.5"
