"""Packaged sentence encoders run by ONNX Runtime: exported once from the packaged weights, then cached.

sentence-transformers' own ONNX backend needs ``optimum``, whose current release cannot be
installed next to transformers 5, so the encoder is exported here with ``torch.onnx``
(the legacy TorchScript exporter) and, for ``onnx-int8``, its weights quantised by
``onnxruntime.quantization.quantize_dynamic``. Mean pooling and L2 normalisation (what the
packaged sentence-transformers models do) are applied to the graph's last hidden state.

An encoder is named ``<name>`` (torch, through sentence-transformers), ``<name>+onnx`` or
``<name>+onnx-int8``: the name is all a model file or an embedding cache needs to record.
"""

import contextlib
import functools
import json
import logging
import os
import warnings
from pathlib import Path

import numpy as np

from distilkit.encoders.packaged import packaged_model_path
from distilkit.exceptions import DataError

__all__ = ["BACKENDS", "INT8_ENCODERS", "encode_onnx", "encoder_id", "onnx_file", "split_encoder_id"]

#: Ways to run a packaged encoder.
BACKENDS = ("torch", "onnx", "onnx-int8")
#: Encoders whose int8 teacher stays within half a point of accuracy of the torch one
#: (bench_teacher.py: MiniLM -0.3 point; MPNet lost 3.6 points and is not offered).
INT8_ENCODERS = ("minilm",)


def encoder_id(name, backend="torch"):
    """The identifier of a packaged encoder run by ``backend``.

    Examples
    --------
    >>> encoder_id("minilm", "onnx-int8"), encoder_id("minilm")
    ('minilm+onnx-int8', 'minilm')
    """
    if backend not in BACKENDS:
        raise DataError(f"unknown encoder backend {backend!r} (choose from: {', '.join(BACKENDS)})")
    return name if backend == "torch" else f"{name}+{backend}"


def split_encoder_id(identifier):
    """``(name, backend)`` of an encoder identifier (see :func:`encoder_id`)."""
    name, _, backend = identifier.partition("+")
    return name, backend or "torch"


def _cache_dir():
    return Path(os.environ.get("DISTILKIT_CACHE", Path.home() / ".cache" / "distilkit")) / "onnx"


def onnx_file(name, backend):
    """The ONNX graph of packaged encoder ``name`` for ``backend``, exported (and quantised) on first use."""
    folder = _cache_dir()
    target = folder / f"{name}-{backend}.onnx"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    fp32 = folder / f"{name}-onnx.onnx"
    if not fp32.is_file():
        _export(packaged_model_path(name), fp32)
    if backend == "onnx-int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        partial = target.with_suffix(f".{os.getpid()}.tmp")
        with _quiet():
            quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8)
        os.replace(partial, target)
    return target


@contextlib.contextmanager
def _quiet():
    """The exporter's tracer warnings and the quantiser's root-logger advice are not the user's business."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def _export(model_folder, target):
    import torch
    from transformers import AutoModel, AutoTokenizer

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            # Keyword arguments: positional ones collide with use_cache in transformers 5.
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    # A throw-away copy: an exported in-memory model gives different embeddings afterwards.
    model = AutoModel.from_pretrained(model_folder).eval()
    example = AutoTokenizer.from_pretrained(model_folder)(["a sentence", "and another one"], padding=True,
                                                          return_tensors="pt")
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad(), _quiet():
        torch.onnx.export(LastHiddenState(model), (example["input_ids"], example["attention_mask"]), str(partial),
                          input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
                          opset_version=17, dynamo=False)
    os.replace(partial, target)


@functools.lru_cache(maxsize=4)
def _runtime(name, backend):
    """The ONNX Runtime session, tokenizer and maximum sequence length of an encoder."""
    import onnxruntime
    from transformers import AutoTokenizer

    folder = Path(packaged_model_path(name))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = min(2, os.cpu_count() or 1)
    session = onnxruntime.InferenceSession(str(onnx_file(name, backend)), options,
                                           providers=["CPUExecutionProvider"])
    config = folder / "sentence_bert_config.json"
    max_length = json.loads(config.read_text()).get("max_seq_length", 512) if config.is_file() else 512
    return session, AutoTokenizer.from_pretrained(folder), max_length


def encode_onnx(texts, name, backend, *, batch_size=32, normalize=True):
    """Mean-pooled (and L2-normalised) embeddings of ``texts``, float32, by the ONNX encoder."""
    session, tokenizer, max_length = _runtime(name, backend)
    texts = [str(text) for text in texts]
    batches = []
    for start in range(0, len(texts), batch_size):
        tokens = tokenizer(texts[start:start + batch_size], padding=True, truncation=True, max_length=max_length,
                           return_tensors="np")
        mask = tokens["attention_mask"].astype(np.int64)
        hidden = session.run(None, {"input_ids": tokens["input_ids"].astype(np.int64), "attention_mask": mask})[0]
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        if normalize:
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        batches.append(pooled.astype(np.float32))
    return np.vstack(batches) if batches else np.zeros((0, session.get_outputs()[0].shape[-1]), np.float32)
