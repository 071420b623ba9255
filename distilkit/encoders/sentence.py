"""Sentence embeddings: packaged encoders run by torch or ONNX Runtime, local model folders, the transformer."""

from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from distilkit.encoders.classifier import encode_classifier
from distilkit.encoders.folders import (
    CLASSIFIER,
    check_pinned_folder,
    folder_digest,
    model_folder,
)
from distilkit.encoders.onnx import BACKENDS, encode_onnx, onnx_file, split_encoder_id
from distilkit.encoders.packaged import (
    PACKAGED_ENCODERS,
    loaded_encoder,
    packaged_model_path,
)
from distilkit.exceptions import DataError, ModelFileError
from distilkit.sklearn_compat import Interval

__all__ = ["SentenceEncoder", "encode_texts", "is_packaged", "model_weight_bytes"]


def is_packaged(identifier):
    """Whether ``identifier`` names a packaged encoder and a known backend (``minilm``, ``minilm+onnx``)."""
    name, backend = split_encoder_id(identifier)
    return name in PACKAGED_ENCODERS and backend in BACKENDS


def encode_texts(texts, model="minilm", *, batch_size=32, normalize=True, progress=False):
    """Embed sentences with a frozen encoder, on the CPU, offline.

    Parameters
    ----------
    texts : sequence of str
    model : str, default="minilm"
        A packaged encoder name (see :data:`PACKAGED_ENCODERS`), optionally run by ONNX
        Runtime (``"minilm+onnx"``, ``"minilm+onnx-int8"``, see
        :mod:`distilkit.encoders.onnx`), or a local model folder: a sentence-transformers
        one, or a Hugging Face classifier, whose embedding is the representation its last
        layer reads (see :mod:`distilkit.encoders.classifier`; never normalised).
    batch_size : int, default=32
    normalize : bool, default=True
        L2-normalise the embeddings (the sentence-transformers convention).
    progress : bool, default=False
        Show sentence-transformers' progress bar.

    Returns
    -------
    embeddings : ndarray of shape (n_texts, dim), float32

    Raises
    ------
    DataError
        If ``model`` is neither a packaged encoder nor a local model folder: nothing is
        looked up on a model hub.
    """
    if is_packaged(model):
        name, backend = split_encoder_id(model)
        if backend != "torch":
            return encode_onnx(texts, name, backend, batch_size=batch_size, normalize=normalize)
        path = packaged_model_path(name)
    else:
        if not Path(model).is_dir():
            raise DataError(f"unknown encoder {model!r}: use a packaged encoder ({', '.join(PACKAGED_ENCODERS)}) "
                            "or a local model folder")
        folder, kind = model_folder(model)
        if kind == CLASSIFIER:
            return encode_classifier(texts, str(folder), batch_size=batch_size)
        path = str(folder)
    embeddings = loaded_encoder(path).encode(
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
        A packaged encoder name (``"minilm"``, ``"mpnet"``, optionally ``+onnx``), or a
        local model folder (see :func:`encode_texts`), which ``fit`` pins by the digest of
        its files.
    batch_size : int, default=32
    normalize : bool, default=True
        L2-normalise the embeddings (not a classifier folder's).

    Attributes
    ----------
    n_embedding_dims_ : int
        The embedding size.
    folder_digest_ : str or None
        The digest of a model folder's files when fitted (see
        :func:`~distilkit.encoders.folders.folder_digest`); a model file holding the
        encoder refuses to load once the folder is gone or its files changed. None for a
        packaged encoder.

    Examples
    --------
    >>> encoder = SentenceEncoder().fit(["a sentence"])
    >>> encoder.transform(["great product", "awful"]).shape
    (2, 384)
    """

    _parameter_constraints: dict = {"model": [str], "batch_size": [Interval(Integral, 1, None, closed="left")],
                                    "normalize": ["boolean"]}

    def __init__(self, model="minilm", *, batch_size=32, normalize=True):
        self.model = model
        self.batch_size = batch_size
        self.normalize = normalize

    def fit(self, X, y=None):
        """Pin a model folder by its digest and record the embedding size (the encoder itself is frozen)."""
        self._validate_params()
        if is_packaged(self.model):
            self.folder_digest_ = None
        else:
            folder, _ = model_folder(self.model)
            if str(folder) != self.model:
                raise DataError(f"encoder folder {self.model!r}: give it as an absolute path ({folder})")
            self.folder_digest_ = folder_digest(folder)
        self.n_embedding_dims_ = self.transform(list(X)[:1]).shape[1]
        return self

    def transform(self, X):
        """Embeddings of the texts ``X`` (any sequence of str), float32."""
        texts = [str(text) for text in X]
        if not is_packaged(self.model):
            # A folder runs only as it was when fitted.
            if not hasattr(self, "folder_digest_"):
                raise DataError(f"SentenceEncoder on model folder {self.model!r} is not fitted: fit pins the folder")
            check_pinned_folder(self.model, self.folder_digest_)
        key = (self.model, self.normalize)
        cache = _EMBEDDING_CACHE.setdefault(key, {})
        missing = [text for text in dict.fromkeys(texts) if text not in cache]
        if missing:
            embeddings = encode_texts(missing, self.model, batch_size=self.batch_size, normalize=self.normalize)
            cache.update(zip(missing, embeddings))
        return np.stack([cache[text] for text in texts]) if texts else np.zeros((0, 0), dtype=np.float32)

    def __setstate__(self, state):
        """Restore a stored encoder, refusing any that is not a packaged one or a folder pinned as it still is.

        A model file names its encoder, so the name must not make loading reach a model
        hub, run an exporter, or read a folder other than the one that was fitted.
        """
        super().__setstate__(state)
        try:
            self._validate_params()
        except ValueError as exc:
            raise ModelFileError(f"SentenceEncoder: {exc}") from None
        digest = self.__dict__.get("folder_digest_")
        try:
            if is_packaged(self.model):
                if digest is not None:
                    raise DataError(f"packaged encoder {self.model!r} is pinned by a folder digest")
                return
            if "folder_digest_" not in self.__dict__:
                # An unfitted copy (a ColumnTransformer's specification) never runs: transform needs the pin.
                check_pinned_folder(self.model, "0" * 64, contents=False)
                return
            check_pinned_folder(self.model, digest)
        except DataError as exc:
            raise ModelFileError(f"SentenceEncoder: {exc}") from None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = False
        return tags


#: (model, normalize) -> {text: embedding}; see :class:`SentenceEncoder`.
_EMBEDDING_CACHE = {}


def model_weight_bytes(model):
    """Bytes of the encoder weights (packaged, or a folder's) a fitted model loads (0 without a SentenceEncoder).

    A model file stores an encoder by name, so the file's size alone would hide what the
    model needs in memory and on disk.
    """
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
        if not is_packaged(identifier):
            files = Path(identifier).rglob("*")
        elif backend != "torch":
            files = [onnx_file(name, backend)]
        else:
            files = Path(packaged_model_path(name)).rglob("*")
        total += sum(f.stat().st_size for f in files if f.is_file())
    return total
