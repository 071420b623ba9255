"""Connecting to a Dask cluster, or starting one on this machine."""

import contextlib
import os

from distilkit.exceptions import DataError

LOCAL = "local"

#: Dask's nanny starts every worker with MALLOC_TRIM_THRESHOLD_=65536 so that freed memory
#: goes back to the OS. Setting it stops glibc from adapting its mmap threshold: every
#: large temporary array becomes a fresh mmap, and numpy element-wise work measured 3x
#: slower in a worker than in the parent process (scoring: +45% wall time at 1 worker).
#: Workers started here keep glibc's adaptive default (``None`` drops the variable).
NANNY_MALLOC_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def _distributed():
    try:
        import distributed
    except ImportError:
        raise DataError("running on Dask needs the dask extra: pip install 'distilkit[dask]'") from None
    return distributed


@contextlib.contextmanager
def dask_client(address=LOCAL, *, n_workers=None, threads_per_worker=1):
    """A ``distributed.Client`` for the duration of the block.

    Parameters
    ----------
    address : str, default="local"
        ``"local"`` starts a ``LocalCluster`` of worker processes on this machine (one
        per core unless ``n_workers`` says otherwise) and stops it afterwards; anything
        else is a scheduler address such as ``tcp://scheduler:8786``.
    n_workers : int, default=None
    threads_per_worker : int, default=1
        One thread per worker process: the models and encoders run their own
        numerical threads, and several Python threads would only contend for them.
    """
    distributed = _distributed()
    if address == LOCAL:
        import dask

        with dask.config.set({NANNY_MALLOC_TRIM: None}):
            cluster = distributed.LocalCluster(n_workers=n_workers or os.cpu_count(),
                                               threads_per_worker=threads_per_worker, processes=True,
                                               dashboard_address=None)
            with cluster, distributed.Client(cluster) as client:
                yield client
        return
    try:
        client = distributed.Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise DataError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        yield client


@contextlib.contextmanager
def dask_parallel(client):
    """joblib's Dask backend on ``client``: every ``n_jobs`` fit in the block spreads over its workers.

    Estimators whose folds run through ``joblib.Parallel`` (``PrestoOrdinalCV``,
    ``GridSearchCV``) then use every worker, whatever their ``n_jobs``.
    """
    import joblib

    with joblib.parallel_config(backend="dask", n_jobs=-1, wait_for_workers_timeout=60):
        yield client

