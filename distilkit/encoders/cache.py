"""The teacher's encoding pass, partition by partition, with a partitioned Parquet cache.

Texts are cut into partitions of ``partition_rows``; each partition is embedded by the
packaged encoder -- on a Dask worker when a client is given, where the encoder is loaded
once per worker process (:func:`distilkit.encoders.encode_texts` keeps it) -- and written
as ``part.NNNNN.parquet`` of a cache folder named by the encoder and a hash of the texts.
The folder appears only once complete, and any later run on the same texts, on Dask or
not, reads it instead of encoding again.
"""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from distilkit.encoders.sentence import encode_texts
from distilkit.io import atomic_folder


def encode_partition(texts, encoder, destination):
    """Embed one partition of texts and write it to ``destination``; returns its row count."""
    embeddings = encode_texts(list(texts), encoder)
    pd.DataFrame(embeddings, columns=[f"emb_{j}" for j in range(embeddings.shape[1])]).to_parquet(
        destination, index=False)
    return len(embeddings)


def cache_folder(texts, encoder, cache_dir):
    """Where the embeddings of ``texts`` by ``encoder`` are cached."""
    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{encoder}-{digest}"


def read_cache(folder):
    parts = sorted(Path(folder).glob("part.*.parquet"))
    return np.vstack([pd.read_parquet(part).to_numpy(dtype=np.float32) for part in parts])


def embed_texts(texts, encoder, cache_dir, *, client=None, partition_rows=1024, progress=None, cache_name=None):
    """Encoder embeddings of ``texts``, read from or written to the partitioned cache.

    Parameters
    ----------
    texts : sequence of str
    encoder : str
        A packaged encoder name (see :data:`distilkit.encoders.PACKAGED_ENCODERS`).
    cache_dir : str or path-like
        Folder of the caches, readable and writable by every worker.
    client : distributed.Client, default=None
        Encode on this cluster's workers; None encodes here, partition by partition.
    partition_rows : int, default=1024
    progress : callable, default=None
        Called with the number of rows of each finished partition.
    cache_name : str, default=None
        Names the encoder in the cache (default: ``encoder``); a model folder is named by
        its content (:func:`~distilkit.encoders.folders.folder_digest`), not its path.

    Returns
    -------
    embeddings : ndarray of shape (n_texts, dim), float32
    """
    texts = [str(t) for t in texts]
    folder = cache_folder(texts, cache_name or encoder, cache_dir)
    if folder.is_dir():
        return read_cache(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        _encode_into(folder, texts, encoder, client, partition_rows, progress)
    except OSError:
        # Another process filled the same cache first (the rename found it): same texts, same embeddings.
        if not folder.is_dir():
            raise
    return read_cache(folder)


def _encode_into(folder, texts, encoder, client, partition_rows, progress):
    with atomic_folder(folder) as tmp:
        chunks = [(texts[start:start + partition_rows], tmp / f"part.{i:05d}.parquet")
                  for i, start in enumerate(range(0, len(texts), partition_rows))]
        # Without a client no Dask is needed: the text extra alone runs the teacher pass.
        if client is None:
            done = (encode_partition(chunk, encoder, path) for chunk, path in chunks)
        else:
            from distributed import as_completed

            futures = [client.submit(encode_partition, chunk, encoder, path, pure=False) for chunk, path in chunks]
            done = (future.result() for future in as_completed(futures))
        for rows in done:
            if progress is not None:
                progress(rows)
