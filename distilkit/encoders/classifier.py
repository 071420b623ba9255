"""A local Hugging Face sequence classifier as a frozen encoder: the representation its last layer reads.

Every ``*ForSequenceClassification`` model ends in a linear layer from a representation to
its logits (BERT's pooled output, RoBERTa's dense head, DistilBERT's pre-classifier): that
representation is the teacher's final-layer embedding for LELP and the layer's weights its
head, so ``logits = h(x) W^T + b`` holds exactly, which :func:`classifier_head` checks.
"""

import functools
import os

import numpy as np

from distilkit.exceptions import DataError, first_line

__all__ = ["classifier_head", "encode_classifier"]


@functools.lru_cache(maxsize=2)
def _loaded(path):
    """(tokenizer, model, final layer) of a classifier folder, kept so repeated calls do not reload it."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging

    logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True).eval()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: cannot load the classifier ({type(exc).__name__}: {first_line(exc)})") from None
    n_classes = model.config.num_labels
    layers = [m for m in model.modules() if isinstance(m, torch.nn.Linear) and m.out_features == n_classes]
    if not layers:
        raise DataError(f"{path}: the classifier has no linear layer with one output per class")
    return tokenizer, model, layers[-1]


def _max_length(tokenizer, model):
    limits = [tokenizer.model_max_length, getattr(model.config, "max_position_embeddings", 512), 512]
    return int(min(limit for limit in limits if isinstance(limit, int) and limit > 0))


def _forward(texts, path, batch_size):
    """The representation the last layer reads and the model's logits, for each text, in one pass."""
    import torch

    tokenizer, model, layer = _loaded(str(path))
    captured, logits = [], []
    hook = layer.register_forward_hook(lambda module, inputs, output: captured.append(inputs[0].detach()))
    texts = [str(text) for text in texts]
    try:
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = tokenizer(texts[start:start + batch_size], padding=True, truncation=True,
                                  max_length=_max_length(tokenizer, model), return_tensors="pt")
                logits.append(model(**batch).logits)
    finally:
        hook.remove()
    if not captured:
        return np.zeros((0, layer.in_features), dtype=np.float32), np.zeros((0, layer.out_features))
    return torch.cat(captured).to(torch.float32).numpy(), torch.cat(logits).to(torch.float64).numpy()


def encode_classifier(texts, path, *, batch_size=32):
    """The representation the classifier's last layer reads, for each text.

    Parameters
    ----------
    texts : sequence of str
    path : str
        A local Hugging Face classifier folder.
    batch_size : int, default=32

    Returns
    -------
    representation : ndarray of shape (n_texts, dim), float32
    """
    return _forward(texts, path, batch_size)[0]


def classifier_head(path, probe=("a probe sentence",)):
    """The weights ``(W, b)`` of the classifier's last layer, checked to give its logits on ``probe``.

    Returns
    -------
    W : ndarray of shape (n_classes, dim), float64
    b : ndarray of shape (n_classes,), float64

    Raises
    ------
    DataError
        If the layer's output is not the model's logits (a head that transforms them further).
    """
    import torch

    layer = _loaded(str(path))[2]
    W = layer.weight.detach().to(torch.float64).numpy().copy()
    b = (layer.bias.detach().to(torch.float64).numpy().copy() if layer.bias is not None
         else np.zeros(len(W)))
    representation, logits = _forward(probe, path, len(probe))
    if not np.allclose(representation.astype(np.float64) @ W.T + b, logits, rtol=1e-4, atol=1e-4):
        raise DataError(f"{path}: the classifier's logits are not a linear layer on a representation distilkit can "
                        "read")
    return W, b
