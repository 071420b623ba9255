"""Scoring a partitioned table on Dask: one model load per worker, one output file per partition.

The input is read with ``dask.dataframe`` (Parquet files, a folder or a glob; or CSV),
each partition is scored by :func:`distilkit.inference.scoring.prediction_frame` in slices of
``batch_size`` rows, and written as ``part.NNNNN.parquet`` into a temporary folder that
is renamed onto the output folder only when every partition is written. A partition
whose worker dies is recomputed elsewhere and overwrites its own file, so the output
holds every input row exactly once.
"""

import functools
import os
from pathlib import Path

import pandas as pd

from distilkit.exceptions import DataError, first_line
from distilkit.inference.scoring import (
    output_columns,
    prediction_frame,
    scoring_request,
    table_model,
)
from distilkit.io import atomic_folder
from distilkit.persistence.model_files import model_roles, read_model, read_model_meta


@functools.lru_cache(maxsize=4)
def _worker_model(path, mtime_ns, size):
    """The table model of ``path``, loaded once per worker process (and again only if the file changes)."""
    model, meta = read_model(path)
    return table_model(model, model_roles(meta))


def _load(path):
    stat = os.stat(path)
    return _worker_model(str(path), stat.st_mtime_ns, stat.st_size)


def score_partition(frame, model_path, request, batch_size, destination, where):
    """Score one partition in slices and write it to ``destination``; returns its row count."""
    model = _load(model_path)
    parts = [prediction_frame(model, frame.iloc[start:start + batch_size], request, where=where)
             for start in range(0, len(frame), batch_size)]
    scored = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=[*request.passthrough, *output_columns(model.classes_, proba=request.proba)])
    scored.to_parquet(destination, index=False)
    return len(scored)


def _read(source, request):
    """The columns ``request`` reads of a Parquet or CSV source, as a Dask dataframe (read lazily)."""
    import dask.dataframe as dd

    text = str(source)
    try:
        if text.endswith((".csv", ".txt")):
            frame = dd.read_csv(text, dtype={c: str for c in request.strings}, blocksize="64MB")
        else:
            frame = dd.read_parquet(text)
    except (OSError, ValueError) as exc:
        raise DataError(f"{source}: cannot read: {first_line(exc)}") from None
    request.check_columns(list(frame.columns), source)
    return frame[request.columns]


def _finished(tasks, client, progress):
    """Results of ``dask.delayed`` tasks as they finish: on the cluster, or one after another here."""
    if client is None:
        results = (task.compute(scheduler="sync") for task in tasks)
    else:
        from distributed import as_completed

        results = (future.result() for future in as_completed(client.compute(tasks)))
    for result in results:
        if progress is not None:
            progress(result)
        yield result


def score_files(model_path, source, output_dir, *, client=None, proba=False, passthrough=(), threshold=None,
                pos_label=None, batch_size=16_384, progress=None):
    """Score every row of a partitioned table with a model file, on Dask or in this process.

    Parameters
    ----------
    model_path : str or path-like
        A ``.dkm`` model file readable from every worker.
    source : str
        Parquet file(s) -- one path, a folder or a glob such as ``"in/*.parquet"`` -- or CSV.
    output_dir : str or path-like
        Folder to create with one ``part.NNNNN.parquet`` per input partition; it must not
        exist yet, and it appears only once complete.
    client : distributed.Client, default=None
        Score on this cluster; None scores the partitions one after another here.
    proba : bool, default=False
        Add one ``proba_<class>`` column per class.
    passthrough : sequence of str, default=()
        Columns copied to the output first (ids).
    threshold, pos_label : default=None
        A decision threshold for a binary model (see :func:`distilkit.inference.scoring.prediction_frame`).
    batch_size : int, default=16384
        Rows scored at a time inside a partition (bounds each worker's memory).
    progress : callable, default=None
        Called with the number of rows of each finished partition.

    Returns
    -------
    n_rows : int
    """
    from dask import delayed

    meta = read_model_meta(model_path)
    request = scoring_request(meta["classes"], model_roles(meta), passthrough=passthrough, proba=proba,
                              threshold=threshold, pos_label=pos_label)
    frame = _read(source, request)
    model_path = str(Path(model_path).resolve())
    with atomic_folder(output_dir) as tmp:
        tasks = [delayed(score_partition, pure=False)(part, model_path, request, batch_size,
                                                        tmp / f"part.{i:05d}.parquet", f"{source} (partition {i})")
                 for i, part in enumerate(frame.to_delayed())]
        counts = list(_finished(tasks, client, progress))
    return sum(counts)
