"""Static token vectors distilled from a sentence encoder, Model2Vec's way, with the transformers installed here.

Every token of the encoder's vocabulary goes through the encoder once, alone between the
end and start markers (Model2Vec found the reversed order works better); the mean of the
three output vectors is the token's vector. PCA keeps ``dims`` dimensions and each
vector is weighted by ``log(1 + rank)`` of its token id (Model2Vec's Zipf weighting: the
vocabulary is roughly in frequency order, and frequent tokens carry less meaning). A
text is then the mean of its tokens' vectors -- a few hundred times faster than the
encoder, and a starting point that distillation fine-tunes.

``model2vec`` itself is not used: its ``distill`` extra pins ``transformers<5.4``, below
what sentence-transformers 6 installs here. The token vectors are cached per encoder.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from distilkit.encoders.folders import (
    SENTENCE_TRANSFORMERS,
    folder_digest,
    model_folder,
)
from distilkit.encoders.packaged import (
    PACKAGED_ENCODERS,
    loaded_encoder,
    packaged_model_path,
)
from distilkit.exceptions import DataError
from distilkit.io import atomic_path

__all__ = ["StaticVectors", "static_vectors"]

_BATCH = 1024


@dataclass
class StaticVectors:
    """A tokenizer (its JSON, as ``tokenizers`` writes it) and one vector per token id."""

    tokenizer: str
    vectors: np.ndarray


def static_vectors(encoder="minilm", *, dims=256, cache_dir=".distilkit-cache", progress=None):
    """The static token vectors of a sentence encoder, computed once and cached.

    Parameters
    ----------
    encoder : str, default="minilm"
        A packaged encoder name or a local sentence-transformers folder (run by torch).
    dims : int, default=256
        PCA dimensions kept (at most the encoder's width).
    cache_dir : str or path-like, default=".distilkit-cache"
    progress : callable, default=None
        Called with the number of tokens of each finished batch.

    Returns
    -------
    StaticVectors
    """
    if encoder in PACKAGED_ENCODERS:
        path, name = packaged_model_path(encoder), encoder
    else:
        folder, kind = model_folder(encoder)
        if kind != SENTENCE_TRANSFORMERS:
            raise DataError(f"{encoder}: static token vectors are distilled from a sentence-transformers encoder, "
                            "not a classifier folder")
        path, name = str(folder), f"folder-{folder_digest(folder)[:16]}"
    cache = Path(cache_dir) / f"static-{name}-{dims}.npz"
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as stored:
            return StaticVectors(str(stored["tokenizer"]), stored["vectors"])
    model = loaded_encoder(path)
    transformer = model[0]
    tokenizer = model.tokenizer
    if not hasattr(tokenizer, "backend_tokenizer"):
        raise DataError(f"encoder {encoder!r} has no fast tokenizer, so its vocabulary cannot be distilled")
    vectors = _token_outputs(transformer.auto_model, tokenizer, progress)
    vectors = _pca(vectors, dims) * np.log1p(np.arange(len(vectors)))[:, None]
    result = StaticVectors(tokenizer.backend_tokenizer.to_str(), vectors.astype(np.float32))
    cache.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(cache) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, tokenizer=np.array(result.tokenizer), vectors=result.vectors)
    return result


def _token_outputs(model, tokenizer, progress):
    import inspect

    import torch

    size = len(tokenizer.get_vocab())
    marker = tokenizer("a")["input_ids"]
    start, end = marker[0], marker[-1]
    ids = torch.arange(size)
    rows = torch.stack([torch.full_like(ids, end), ids, torch.full_like(ids, start)], dim=1)
    takes_types = "token_type_ids" in inspect.signature(model.forward).parameters
    outputs = []
    with torch.inference_mode():
        for first in range(0, size, _BATCH):
            batch = rows[first:first + _BATCH]
            inputs = {"input_ids": batch, "attention_mask": torch.ones_like(batch)}
            if takes_types:
                inputs["token_type_ids"] = torch.zeros_like(batch)
            outputs.append(model(**inputs).last_hidden_state.mean(dim=1).float().numpy())
            if progress is not None:
                progress(len(batch))
    return np.concatenate(outputs)


def _pca(vectors, dims):
    from sklearn.decomposition import PCA

    dims = min(dims, vectors.shape[1])
    return PCA(n_components=dims, random_state=0).fit_transform(vectors.astype(np.float64))
