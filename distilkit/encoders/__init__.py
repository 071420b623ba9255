"""Frozen sentence encoders: the packaged models, their ONNX backends, the transformer and the embedding cache."""

from distilkit.encoders.cache import embed_texts
from distilkit.encoders.onnx import BACKENDS, INT8_ENCODERS, encoder_id
from distilkit.encoders.packaged import PACKAGED_ENCODERS, packaged_model_path
from distilkit.encoders.sentence import (
           SentenceEncoder,
           encode_texts,
           model_weight_bytes,
)

__all__ = ["BACKENDS", "INT8_ENCODERS", "PACKAGED_ENCODERS", "SentenceEncoder", "embed_texts", "encode_texts",
           "encoder_id", "model_weight_bytes", "packaged_model_path"]
