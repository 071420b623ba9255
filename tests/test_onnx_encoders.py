"""Packaged encoders exported to ONNX (fp32 and int8) and run by ONNX Runtime."""

import os

import numpy as np
import pytest

from distilkit.encoders import SentenceEncoder, encode_texts
from distilkit.encoders.onnx import encoder_id, onnx_file, split_encoder_id

pytest.importorskip("onnxruntime")

TEXTS = ["a great movie", "terrible acting and a dull plot", "it was fine, I guess", "",
         "a much longer sentence about a film whose second half drags on far too long for anyone"]


@pytest.fixture(scope="module", autouse=True)
def onnx_cache(tmp_path_factory):
    """Export into a fresh folder, as on a new machine."""
    before = os.environ.get("DISTILKIT_CACHE")
    os.environ["DISTILKIT_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        del os.environ["DISTILKIT_CACHE"]
    else:
        os.environ["DISTILKIT_CACHE"] = before


def test_onnx_embeddings_equal_the_torch_encoders_and_int8_stays_close():
    torch_embeddings = encode_texts(TEXTS, "minilm")
    fp32 = encode_texts(TEXTS, "minilm+onnx")
    int8 = encode_texts(TEXTS, "minilm+onnx-int8")
    assert fp32.shape == int8.shape == torch_embeddings.shape and fp32.dtype == np.float32
    assert (fp32 * torch_embeddings).sum(axis=1).min() > 0.9999
    assert (int8 * torch_embeddings).sum(axis=1).min() > 0.8
    assert onnx_file("minilm", "onnx-int8").stat().st_size < onnx_file("minilm", "onnx").stat().st_size / 2


def test_encoder_identifiers_and_the_transformer_carry_the_backend():
    assert split_encoder_id(encoder_id("mpnet", "onnx")) == ("mpnet", "onnx")
    assert split_encoder_id("minilm") == ("minilm", "torch")
    with pytest.raises(ValueError, match="unknown encoder backend 'tensorrt'"):
        encoder_id("minilm", "tensorrt")
    encoder = SentenceEncoder("minilm+onnx").fit(TEXTS)
    np.testing.assert_allclose(encoder.transform(TEXTS[:2]), encode_texts(TEXTS[:2], "minilm+onnx"), atol=1e-6)
