"""Sentence embeddings: packaged encoders run by torch or ONNX Runtime, and the scikit-learn transformer."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from distilkit.encoders.onnx import encode_onnx, onnx_file, split_encoder_id
from distilkit.encoders.packaged import loaded_encoder, packaged_model_path

__all__ = ["SentenceEncoder", "encode_texts", "model_weight_bytes"]


def encode_texts(texts, model="minilm", *, batch_size=32, normalize=True, progress=False):
    """Embed sentences with a frozen sentence-transformers encoder, on the CPU, offline.

    Parameters
    ----------
    texts : sequence of str
    model : str, default="minilm"
        A packaged encoder name (see :data:`PACKAGED_ENCODERS`), optionally run by ONNX
        Runtime (``"minilm+onnx"``, ``"minilm+onnx-int8"``, see
        :mod:`distilkit.onnx_encoders`), or a local model folder.
    batch_size : int, default=32
    normalize : bool, default=True
        L2-normalise the embeddings (the sentence-transformers convention).
    progress : bool, default=False
        Show sentence-transformers' progress bar.

    Returns
    -------
    embeddings : ndarray of shape (n_texts, dim), float32
    """
    name, backend = split_encoder_id(model)
    if backend != "torch":
        return encode_onnx(texts, name, backend, batch_size=batch_size, normalize=normalize)
    embeddings = loaded_encoder(packaged_model_path(model)).encode(
        list(texts), batch_size=batch_size, normalize_embeddings=normalize, show_progress_bar=progress
    )
    return np.asarray(embeddings, dtype=np.float32)


class SentenceEncoder(TransformerMixin, BaseEstimator):
    """A frozen sentence encoder as a scikit-learn transformer: texts in, embeddings out.

    Nothing is learned (``fit`` only records the embedding size), so it can be the first
    step of a teacher ``Pipeline`` -- ``make_pipeline(SentenceEncoder(), LogisticRegression())``
    -- whose embedding the distillers read. Embeddings are kept in a process-wide cache
    keyed by model and text, so a teacher refitted by cross-validation, or asked for the
    same rows again, encodes each sentence once.

    Parameters
    ----------
    model : str, default="minilm"
        A packaged encoder name (``"minilm"``, ``"mpnet"``) or a local model folder.
    batch_size : int, default=32
    normalize : bool, default=True
        L2-normalise the embeddings.

    Examples
    --------
    >>> encoder = SentenceEncoder().fit(["a sentence"])
    >>> encoder.transform(["great product", "awful"]).shape
    (2, 384)
    """

    _parameter_constraints: dict = {"model": [str], "batch_size": [int], "normalize": ["boolean"]}

    def __init__(self, model="minilm", *, batch_size=32, normalize=True):
        self.model = model
        self.batch_size = batch_size
        self.normalize = normalize

    def fit(self, X, y=None):
        """Record the embedding size (the encoder itself is frozen)."""
        self.n_embedding_dims_ = self.transform(list(X)[:1]).shape[1]
        return self

    def transform(self, X):
        """Embeddings of the texts ``X`` (any sequence of str), float32."""
        texts = [str(text) for text in X]
        key = (self.model, self.normalize)
        cache = _EMBEDDING_CACHE.setdefault(key, {})
        missing = [text for text in dict.fromkeys(texts) if text not in cache]
        if missing:
            embeddings = encode_texts(missing, self.model, batch_size=self.batch_size, normalize=self.normalize)
            cache.update(zip(missing, embeddings))
        return np.stack([cache[text] for text in texts]) if texts else np.zeros((0, 0), dtype=np.float32)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = False
        return tags


#: (model, normalize) -> {text: embedding}; see :class:`SentenceEncoder`.
_EMBEDDING_CACHE = {}


def model_weight_bytes(model):
    """Bytes of the packaged encoder weights a fitted model loads (0 without a :class:`SentenceEncoder`).

    A model file stores an encoder by name, so the file's size alone would hide what the
    model needs in memory and on disk.
    """
    from pathlib import Path

    names = set()
    stack = [model]
    while stack:
        node = stack.pop()
        if isinstance(node, SentenceEncoder):
            names.add(node.model)
        for attribute in ("steps", "transformers_"):
            stack.extend(step[1] for step in getattr(node, attribute, ()))
    total = 0
    for identifier in names:
        name, backend = split_encoder_id(identifier)
        files = [onnx_file(name, backend)] if backend != "torch" else Path(packaged_model_path(name)).rglob("*")
        total += sum(f.stat().st_size for f in files if f.is_file())
    return total
