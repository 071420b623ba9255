"""The static-embedding student: token vectors from the teacher's encoder, mean-pooled, fine-tuned by distillation."""

import numpy as np
import pandas as pd
import pytest
import tiny_models
from scipy import sparse
from typer.testing import CliRunner

from distilkit.cli import app
from distilkit.estimators.distill.distillers import KDDistiller
from distilkit.exceptions import DataError
from distilkit.persistence import load_model
from distilkit.workflows import distill_table

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory):
    """A 1-layer BERT sentence-transformers folder over a 19-token vocabulary: distils in a blink."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertModel

    root = tmp_path_factory.mktemp("static")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        BertModel(tiny_models.bert_config()).save_pretrained(root / "raw")
    tiny_models.tokenizer().save_pretrained(root / "raw")
    SentenceTransformer(modules=[Transformer(str(root / "raw")), Pooling(16)], device="cpu").save(str(root / "st"))
    return root / "st"


@pytest.fixture()
def reviews():
    rng = np.random.default_rng(3)
    label = rng.integers(0, 2, 120)
    words = [rng.choice(tiny_models.GOOD if y else tiny_models.BAD) for y in label]
    return pd.DataFrame({"review": [f"a {w} film, really {w}" for w in words], "length": rng.normal(size=120),
                         "label": np.where(label, "pos", "neg")})


def test_static_vectors_follow_model2vec(tiny_encoder, tmp_path):
    from distilkit.encoders.static import static_vectors

    vectors = static_vectors(str(tiny_encoder), dims=8, cache_dir=tmp_path)
    assert vectors.vectors.shape == (5 + len(tiny_models.WORDS), 8) and vectors.vectors.dtype == np.float32
    # Zipf weighting: token id 0 gets weight log(1) = 0.
    assert np.all(vectors.vectors[0] == 0)
    again = static_vectors(str(tiny_encoder), dims=8, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.vectors, vectors.vectors)
    assert [p.name.split("-")[0] for p in tmp_path.iterdir()] == ["static"]


def test_a_sparse_student_with_an_embedding_layer_learns_its_teacher():
    rng = np.random.default_rng(0)
    X = sparse.random(400, 50, density=0.1, format="csr", random_state=0, dtype=np.float32)
    logit = X @ rng.normal(size=50) * 6
    student = KDDistiller(embedding_dim=8, standardize=False, max_epochs=40, lr=1e-2, random_state=0)
    student.fit(X, teacher_logits=np.column_stack([-logit / 2, logit / 2]),
                student_embedding=rng.normal(size=(50, 8)))
    assert (student.predict(X) == (logit > 0)).mean() > 0.85
    np.testing.assert_allclose(student.predict_proba(X), student.predict_proba(X.toarray()), atol=1e-6)
    with pytest.raises(DataError, match=r"student_embedding must have shape \(n_features, embedding_dim\)"):
        student.fit(X, teacher_logits=np.column_stack([-logit, logit]), student_embedding=np.zeros((50, 3)))
    with pytest.raises(DataError, match="sparse input cannot keep"):
        KDDistiller().fit(X, teacher_logits=np.column_stack([-logit, logit]))


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_only_the_tokens_a_student_reads_move_their_vectors(optimizer):
    # The embedding's gradient is sparse (the batch's tokens only): SparseAdam or SGD update
    # those rows, and a token no training row holds keeps its distilled vector.
    rng = np.random.default_rng(1)
    X = sparse.hstack([sparse.random(300, 30, density=0.13, random_state=1), sparse.csr_matrix((300, 10))],
                      format="csr", dtype=np.float32)
    logit = X @ rng.normal(size=40) * 6
    initial = rng.normal(size=(40, 4)).astype(np.float32)
    student = KDDistiller(embedding_dim=4, standardize=False, max_epochs=5, lr=1e-2, optimizer=optimizer,
                          random_state=0).fit(X, teacher_logits=np.column_stack([-logit / 2, logit / 2]),
                                              student_embedding=initial)
    learned = student.net_.module_.embedding.detach().numpy()
    np.testing.assert_array_equal(learned[30:], initial[30:])
    assert np.abs(learned[:30] - initial[:30]).max(axis=1).min() > 0


@pytest.mark.parametrize("method", ["labels", "kd", "lelp", "kmeans", "random", "auto"])
def test_every_method_trains_a_static_student(method, tiny_encoder, reviews, tmp_path):
    params = {"max_epochs": 3, **({"n_subclasses": 2} if method in ("lelp", "kmeans", "random") else {})}
    result = distill_table(reviews, target="label", text="review", teacher=str(tiny_encoder), method=method,
                           student="static", params=params, cache_dir=tmp_path)
    roles = {role.column: role for role in result.roles}
    assert "static token vectors" in roles["review"].encoding and roles["length"].role == "excluded"
    assert result.model.predict(reviews[["review"]]).shape == (120,)


@pytest.mark.parametrize("method", ["labels", "kd", "lelp"])
def test_a_static_student_takes_larger_steps_from_a_teacher_unless_told(method):
    from distilkit.workflows.teachers import STATIC_TRAINING, make_distiller

    defaults = KDDistiller().get_params()
    student = make_distiller(method, "static").get_params()
    expected = defaults if method == "labels" else STATIC_TRAINING
    assert {key: student[key] for key in STATIC_TRAINING} == {key: expected[key] for key in STATIC_TRAINING}
    assert make_distiller(method, "static", {"lr": 3e-4}).get_params()["lr"] == 3e-4


def test_a_saved_static_student_scores_raw_text_as_fitted(tiny_encoder, reviews, tmp_path):
    import zipfile

    reviews.to_csv(tmp_path / "r.csv", index=False)
    done = runner.invoke(app, ["distill", str(tmp_path / "r.csv"), "-t", "label", "--text", "review", "--teacher",
                               str(tiny_encoder), "--student", "static", "--method", "kd", "-p", "max_epochs=30",
                               "-p", "lr=0.01", "--cache-dir", str(tmp_path / "cache"), "-o", str(tmp_path / "s.dkm"),
                               "-q"])
    assert done.exit_code == 0, done.output
    student = load_model(tmp_path / "s.dkm")
    fitted = distill_table(reviews, target="label", text="review", teacher=str(tiny_encoder), method="kd",
                           student="static", params={"max_epochs": 30, "lr": 0.01}, cache_dir=tmp_path / "cache")
    np.testing.assert_allclose(student.predict_proba(reviews), fitted.model.predict_proba(reviews), atol=1e-6)
    # Plain arrays and the tokenizer's JSON: nothing pickled.
    with zipfile.ZipFile(tmp_path / "s.dkm") as archive:
        assert not any(name.endswith(".pkl") for name in archive.namelist())
    predicted = runner.invoke(app, ["predict", str(tmp_path / "s.dkm"), str(tmp_path / "r.csv"), "-o",
                                    str(tmp_path / "p.csv")])
    assert predicted.exit_code == 0, predicted.output
    assert (pd.read_csv(tmp_path / "p.csv").prediction == fitted.model.predict(reviews)).all()


def test_a_static_student_needs_a_text_column_and_an_encoder_it_can_distil(reviews, tmp_path):
    reviews.to_csv(tmp_path / "r.csv", index=False)
    refused = runner.invoke(app, ["distill", str(tmp_path / "r.csv"), "-t", "label", "--teacher", "embeddings:length",
                                  "--student", "static", "--method", "kd", "-o", str(tmp_path / "s.dkm")])
    assert refused.exit_code == 2 and "reads a text column, and none is named" in refused.output
    from distilkit.encoders.static import static_vectors

    (tmp_path / "clf").mkdir()
    (tmp_path / "clf" / "config.json").write_text('{"architectures": ["BertForSequenceClassification"]}')
    with pytest.raises(DataError, match="not a classifier folder"):
        static_vectors(str(tmp_path / "clf"), cache_dir=tmp_path)
    assert not (tmp_path / "s.dkm").exists()


def test_a_sparse_tfidf_student_reads_every_tfidf_column(tiny_encoder, reviews, tmp_path):
    result = distill_table(reviews, target="label", text="review", teacher=str(tiny_encoder), method="kd",
                           student="tfidf-sparse", params={"max_epochs": 5}, cache_dir=tmp_path)
    features = result.model[1].transform(reviews)
    (text,) = [step for name, step, _ in result.model[1].transformers_ if name.startswith("text")]
    assert text.svd_components is None and features.shape[1] > 100  # every TF-IDF column, no SVD
    assert result.model[-1].standardize is False
    reduced = distill_table(reviews, target="label", text="review", teacher=str(tiny_encoder), method="kd",
                            student="tfidf-mlp", params={"max_epochs": 5}, cache_dir=tmp_path)
    assert reduced.model[1].transform(reviews).shape[1] < features.shape[1]
    result.save(tmp_path / "s.dkm")
    np.testing.assert_allclose(load_model(tmp_path / "s.dkm").predict_proba(reviews),
                               result.model.predict_proba(reviews), atol=1e-6)
