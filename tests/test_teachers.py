"""Teachers a user has: outputs as columns (an LLM's probabilities), any classifier model file."""

import numpy as np
import pandas as pd
import pytest
import tiny_models
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import softmax
from typer.testing import CliRunner

from distilkit.cli import app
from distilkit.estimators.distill.teachers import logits_from_outputs, reorder_classes
from distilkit.exceptions import DataError
from distilkit.persistence import load_model
from distilkit.workflows import distill_table
from distilkit.workflows.teachers import output_columns

runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


@given(arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(2, 6)), elements=st.floats(-30, 30)))
@settings(max_examples=60, deadline=None)
def test_probabilities_become_logits_whose_softmax_is_them(scores):
    probs = softmax(scores, axis=1)
    np.testing.assert_allclose(softmax(logits_from_outputs(probs, "probs"), axis=1), probs, atol=1e-9)
    np.testing.assert_array_equal(logits_from_outputs(scores, "logits"), scores)


@given(st.permutations(["a", "b", "c", "d"]))
def test_teacher_classes_are_matched_by_value(order):
    labels = np.array(["a", "b", "c", "d"])
    assert np.asarray(order)[reorder_classes(order, labels)].tolist() == labels.tolist()


@pytest.mark.parametrize("values, fragment", [
    ([[0.5, 0.6]], "do not sum to 1"),
    ([[1.2, -0.2]], "outside [0, 1]"),
    ([[np.nan, 1.0]], "NaN or infinite"),
    ([[1.0]], "one column per class"),
])
def test_bad_probabilities_are_refused(values, fragment):
    with pytest.raises(DataError, match=fragment.replace("[", r"\[")):
        logits_from_outputs(values, "probs")


def test_output_columns_name_classes_by_glob_or_explicitly():
    frame = pd.DataFrame(columns=["p_neg", "p_pos", "x"])
    assert output_columns("probs:p_*", frame) == {"neg": "p_neg", "pos": "p_pos"}
    assert output_columns("logits: a=p_neg , b=p_pos", frame) == {"a": "p_neg", "b": "p_pos"}
    for spec, fragment in [("probs:", "names no columns"), ("probs:p_neg", "which class each column is"),
                           ("probs:p_*,x=p_pos", "named twice"), ("probs:q_*", "not found")]:
        with pytest.raises(DataError, match=fragment):
            output_columns(spec, frame)
    with pytest.raises(DataError, match="no teacher class"):
        reorder_classes(["neg"], np.array(["neg", "pos"]))
    with pytest.raises(DataError, match="no labelled row has"):
        reorder_classes(["neg", "pos", "maybe"], np.array(["neg", "pos"]))


@pytest.fixture()
def llm_labelled(tmp_path):
    """Rows an LLM scored: its probabilities follow x0 + x1, the (noisy) labels disagree on ~20% of rows."""
    rng = np.random.default_rng(0)
    n = 1200
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=[f"x{j}" for j in range(4)])
    margin = 2.5 * (frame.x0 + frame.x1)
    frame["p_pos"] = 1 / (1 + np.exp(-margin))
    frame["p_neg"] = 1 - frame.p_pos
    truth = np.where(margin > 0, "pos", "neg")
    flipped = rng.random(n) < 0.2
    frame["label"] = np.where(flipped, np.where(truth == "pos", "neg", "pos"), truth)
    embedding = frame[[f"x{j}" for j in range(4)]].to_numpy() @ rng.normal(size=(4, 6)) + 0.1 * rng.normal(size=(n, 6))
    for j in range(6):
        frame[f"emb_{j}"] = embedding[:, j]
    # The labelled rows are the first 300, the held-out ones the last 300.
    paths = {"labelled": tmp_path / "labelled.csv", "unlabelled": tmp_path / "pool.csv",
             "held_out": tmp_path / "held_out.csv"}
    frame.iloc[:300].to_csv(paths["labelled"], index=False)
    frame.iloc[300:900].drop(columns="label").to_csv(paths["unlabelled"], index=False)
    frame.iloc[900:].to_csv(paths["held_out"], index=False)
    return frame, paths, truth


def test_kd_on_llm_probabilities_follows_them_not_the_noisy_labels(tmp_path, llm_labelled):
    frame, paths, truth = llm_labelled
    result = cli("distill", paths["labelled"], "-t", "label", "--teacher", "probs:p_*", "--method", "kd",
                 "--unlabeled", paths["unlabelled"], "-p", "max_epochs=60", "-o", tmp_path / "s.dkm", "-q")
    assert result.exit_code == 0, result.output
    student = load_model(tmp_path / "s.dkm")
    held_out = frame.iloc[900:]
    # The teacher's columns are not student features: the student scores rows without them.
    predicted = student.predict(held_out.drop(columns=["p_pos", "p_neg", "label"]))
    teacher_argmax = np.where(held_out.p_pos >= 0.5, "pos", "neg")
    assert (predicted == teacher_argmax).mean() > 0.9
    assert (predicted == teacher_argmax).mean() > (predicted == held_out.label).mean() + 0.1


def test_lelp_on_probabilities_needs_their_embeddings(tmp_path, llm_labelled):
    _, paths, _ = llm_labelled
    refused = cli("distill", paths["labelled"], "-t", "label", "--teacher", "probs:neg=p_neg,pos=p_pos",
                  "--method", "lelp", "-o", tmp_path / "s.dkm", "-q")
    assert refused.exit_code == 2 and refused.output.strip().splitlines() == [
        "error: method 'lelp' needs the teacher's embeddings, and teacher 'probs:neg=p_neg,pos=p_pos' gives none: "
        "name its embedding columns (teacher_embeddings) or use method 'kd'"]
    assert not (tmp_path / "s.dkm").exists()
    done = cli("distill", paths["labelled"], "-t", "label", "--teacher", "probs:neg=p_neg,pos=p_pos",
               "--teacher-embeddings", "emb_*", "--method", "lelp", "-p", "n_subclasses=2", "-p", "max_epochs=30",
               "-o", tmp_path / "s.dkm", "-q")
    assert done.exit_code == 0, done.output
    assert load_model(tmp_path / "s.dkm")[0].feature_names_in_.tolist() == ["x0", "x1", "x2", "x3"]


def test_any_classifier_model_file_teaches_by_kd(tmp_path, llm_labelled):
    frame, paths, _ = llm_labelled
    teacher = tmp_path / "nb.dkm"
    fitted = cli("fit", "gaussiannb", paths["labelled"], "-t", "label", "-f", "x0,x1", "-o", teacher, "-q")
    assert fitted.exit_code == 0, fitted.output
    result = distill_table(frame.iloc[:300], target="label", teacher=str(teacher), method="kd", features="x2,x3",
                           params={"max_epochs": 5})
    assert result.metadata["method"] == "kd"
    with pytest.raises(DataError, match="needs the teacher's embeddings"):
        distill_table(frame.iloc[:300], target="label", teacher=str(teacher), method="lelp", features="x2,x3")


def test_a_probs_teacher_is_not_saved_and_its_embeddings_need_it(llm_labelled):
    frame, _, _ = llm_labelled
    with pytest.raises(DataError, match="cannot be saved"):
        distill_table(frame, target="label", teacher="probs:p_*", method="kd", keep_teacher=True)
    with pytest.raises(DataError, match="teacher embeddings are given with a probs: or logits: teacher"):
        distill_table(frame, target="label", teacher="embeddings:emb_*", teacher_embeddings="emb_*", method="kd")


@pytest.fixture()
def reviews():
    rng = np.random.default_rng(1)
    good, bad = ["great", "lovely", "superb", "fun"], ["awful", "dull", "boring", "bad"]
    label = rng.integers(0, 2, 80)
    words = [rng.choice(good if y else bad) for y in label]
    frame = pd.DataFrame({"review": [f"a {w} film, {rng.choice(['really', 'quite'])} {w}" for w in words],
                          "length": rng.normal(size=80), "label": np.where(label, "pos", "neg")})
    return frame


def test_a_sentence_transformers_folder_teaches_as_the_packaged_name_does(tmp_path, reviews):
    from distilkit.encoders import packaged_model_path

    options = dict(target="label", text="review", method="kd", params={"max_epochs": 5})
    by_name = distill_table(reviews, teacher="minilm", cache_dir=tmp_path / "a", **options)
    by_folder = distill_table(reviews, teacher=packaged_model_path("minilm"), cache_dir=tmp_path / "b", **options)
    np.testing.assert_allclose(by_folder.model.predict_proba(reviews), by_name.model.predict_proba(reviews),
                               atol=1e-6)
    # Its embeddings are cached under the digest of its files, not its path.
    assert [p.name.split("-")[0] for p in (tmp_path / "b").iterdir()] == ["folder"]


def test_folders_that_cannot_teach_are_refused(tmp_path, reviews):
    import json

    plain, classifier = tmp_path / "plain", tmp_path / "bert-classifier"
    plain.mkdir()
    classifier.mkdir()
    (classifier / "config.json").write_text(json.dumps({"architectures": ["BertForSequenceClassification"],
                                                        "id2label": {"0": "neg", "1": "pos"}}))
    reviews.to_csv(tmp_path / "r.csv", index=False)
    for folder, fragment in [(plain, "neither a sentence-transformers model folder (no modules.json) nor a Hugging "
                                     "Face classifier folder"),
                             (classifier, "cannot load the classifier")]:
        result = cli("distill", tmp_path / "r.csv", "-t", "label", "--text", "review", "--teacher", folder,
                     "--method", "kd", "-o", tmp_path / "s.dkm", "-q")
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
        assert fragment in result.output
    from distilkit.encoders import packaged_model_path

    with pytest.raises(DataError, match="runs on torch only"):
        distill_table(reviews, target="label", text="review", teacher=packaged_model_path("minilm"), method="kd",
                      teacher_backend="onnx", cache_dir=tmp_path / "c")
    assert not (tmp_path / "s.dkm").exists()


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory):
    """A 1-layer BERT sentiment classifier trained for 40 steps and saved with save_pretrained: nothing is
    downloaded."""
    return tiny_models.classifier_folder(tmp_path_factory.mktemp("classifier") / "tiny-bert-sentiment")


def classifier_logits(folder, texts):
    """The classifier's own logits, computed by transformers directly."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    with torch.inference_mode():
        return model(**tokenizer(list(texts), padding=True, return_tensors="pt")).logits.double().numpy()


def test_a_hugging_face_classifier_folder_teaches_through_the_cli(tmp_path, reviews, tiny_classifier):
    from scipy.special import softmax

    from distilkit.workflows.teachers import resolve_teacher

    reviews.to_csv(tmp_path / "r.csv", index=False)
    result = cli("distill", tmp_path / "r.csv", "-t", "label", "--text", "review", "--teacher", tiny_classifier,
                 "--method", "kd", "-p", "max_epochs=40", "--cache-dir", tmp_path / "cache",
                 "--save-teacher", tmp_path / "t.dkm", "-o", tmp_path / "s.dkm", "-q")
    assert result.exit_code == 0, result.output
    logits = classifier_logits(tiny_classifier, reviews.review)
    argmax = np.array(["neg", "pos"])[logits.argmax(axis=1)]
    student = load_model(tmp_path / "s.dkm")
    assert (student.predict(reviews.drop(columns="label")) == argmax).mean() > 0.9
    # The saved teacher is the classifier itself: its probabilities, on raw rows.
    teacher = load_model(tmp_path / "t.dkm")
    np.testing.assert_allclose(teacher.predict_proba(reviews), softmax(logits, axis=1), atol=1e-5)
    timed = cli("evaluate", tmp_path / "t.dkm", tmp_path / "r.csv", "-q")
    assert timed.exit_code == 0, timed.output
    # LELP reads the representation its last layer reads, and that layer as the head.
    y = reviews.label.to_numpy()
    signal = resolve_teacher(str(tiny_classifier), reviews, y, np.ones(len(y), dtype=bool), text="review",
                             cache_dir=tmp_path / "cache")
    np.testing.assert_allclose(signal.logits, logits, atol=1e-4)
    np.testing.assert_allclose(signal.embeddings @ signal.head_weights.T + signal.head_bias, logits, atol=1e-4)
    lelp = cli("distill", tmp_path / "r.csv", "-t", "label", "--text", "review", "--teacher", tiny_classifier,
               "-p", "n_subclasses=2", "-p", "max_epochs=20", "--cache-dir", tmp_path / "cache",
               "-o", tmp_path / "lelp.dkm", "-q")
    assert lelp.exit_code == 0, lelp.output


def test_a_classifier_is_matched_to_the_labels_by_its_id2label(tmp_path, reviews, tiny_classifier):
    import json
    import shutil

    swapped = tmp_path / "swapped"
    shutil.copytree(tiny_classifier, swapped)
    config = json.loads((swapped / "config.json").read_text())
    config.update(id2label={"0": "pos", "1": "neg"}, label2id={"pos": 0, "neg": 1})
    (swapped / "config.json").write_text(json.dumps(config))
    y = reviews.label.to_numpy()
    from distilkit.workflows.teachers import resolve_teacher

    signal = resolve_teacher(str(swapped), reviews, y, np.ones(len(y), dtype=bool), text="review",
                             cache_dir=tmp_path / "cache")
    np.testing.assert_allclose(signal.logits, classifier_logits(tiny_classifier, reviews.review)[:, ::-1], atol=1e-4)
    reviews.to_csv(tmp_path / "r.csv", index=False)
    for id2label, fragment in [({"0": "bad", "1": "good"}, "label(s) 'neg', 'pos' have no teacher class"),
                               ({"0": "neg", "2": "pos"}, "id2label ids are not 0 .. 1")]:
        config.update(id2label=id2label)
        (swapped / "config.json").write_text(json.dumps(config))
        result = cli("distill", tmp_path / "r.csv", "-t", "label", "--text", "review", "--teacher", swapped,
                     "--method", "kd", "-o", tmp_path / "s.dkm", "-q")
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
        assert fragment in result.output
    assert not (tmp_path / "s.dkm").exists()


@pytest.fixture(scope="module")
def tiny_sentence_transformer(tmp_path_factory):
    """A randomly initialised 1-layer BERT saved as a sentence-transformers folder: nothing is downloaded."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertModel

    root = tmp_path_factory.mktemp("encoder")
    raw = root / "raw"
    with torch.random.fork_rng():
        torch.manual_seed(0)
        BertModel(tiny_models.bert_config()).save_pretrained(raw)
    tiny_models.tokenizer().save_pretrained(raw)
    SentenceTransformer(modules=[Transformer(str(raw)), Pooling(16)], device="cpu").save(
        str(root / "st"))
    return root / "st"


def test_any_sentence_transformers_folder_teaches_through_the_cli(tmp_path, reviews, tiny_sentence_transformer):
    from distilkit.encoders.folders import folder_digest

    reviews.to_csv(tmp_path / "r.csv", index=False)
    result = cli("distill", tmp_path / "r.csv", "-t", "label", "--text", "review", "--teacher",
                 tiny_sentence_transformer, "--method", "lelp", "-p", "n_subclasses=2", "-p", "max_epochs=20",
                 "--cache-dir", tmp_path / "cache", "-o", tmp_path / "s.dkm", "-q")
    assert result.exit_code == 0, result.output
    student = load_model(tmp_path / "s.dkm")
    assert student.predict(reviews.drop(columns="label")).shape == (80,)
    before = folder_digest(tiny_sentence_transformer)
    copy = tmp_path / "changed"
    import shutil

    shutil.copytree(tiny_sentence_transformer, copy)
    (copy / "README.md").write_text("edited")
    assert folder_digest(copy) != before == folder_digest(tiny_sentence_transformer)


def test_the_student_columns_come_from_the_labelled_table(llm_labelled):
    frame, _, _ = llm_labelled
    labelled = frame.iloc[:300].assign(row_id=np.arange(300))
    pool = frame.iloc[300:600].drop(columns="label").assign(row_id=np.arange(300, 600), extra=1.0)
    result = distill_table(labelled, target="label", teacher="probs:p_*", method="kd", unlabeled=pool,
                           params={"max_epochs": 2})
    roles = {role.column: role.role for role in result.roles}
    assert roles["row_id"] == "identifier" and "extra" not in roles
    assert result.model[0].feature_names_in_.tolist() == [*[f"x{j}" for j in range(4)], *[f"emb_{j}" for j in range(6)]]
    with pytest.raises(DataError, match="the unlabelled table has no column 'x3'"):
        distill_table(labelled, target="label", teacher="probs:p_*", method="kd", unlabeled=pool.drop(columns="x3"))


def test_a_saved_folder_teacher_runs_only_on_the_folder_it_was_fitted_with(tmp_path, reviews,
                                                                          tiny_sentence_transformer):
    import shutil

    folder = tmp_path / "encoder"
    shutil.copytree(tiny_sentence_transformer, folder)
    reviews.to_csv(tmp_path / "r.csv", index=False)
    result = cli("distill", tmp_path / "r.csv", "-t", "label", "--text", "review", "--teacher", folder,
                 "--method", "kd", "-p", "max_epochs=2", "--cache-dir", tmp_path / "cache",
                 "--save-teacher", tmp_path / "t.dkm", "-o", tmp_path / "s.dkm", "-q")
    assert result.exit_code == 0, result.output
    teacher = load_model(tmp_path / "t.dkm")
    encoder = teacher[1].transformers_[0][1]
    assert encoder.model == str(folder.resolve()) and len(encoder.folder_digest_) == 64
    assert teacher.predict(reviews).shape == (80,)
    (folder / "README.md").write_text("edited")
    for damage, fragment in [(lambda: None, "changed since the model was saved"),
                             (lambda: shutil.rmtree(folder), "no such model folder")]:
        damage()
        refused = cli("evaluate", tmp_path / "t.dkm", tmp_path / "r.csv")
        assert refused.exit_code == 2 and len(refused.output.strip().splitlines()) == 1, refused.output
        assert fragment in refused.output
        with pytest.raises(DataError, match=fragment):
            # A model loaded before the folder changed refuses to run too.
            teacher.predict(reviews)
