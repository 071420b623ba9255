"""Mini-batches as index lists, so a batch is one fancy-indexing call instead of a
per-row ``__getitem__`` + collate (the main cost of skorch on small tabular data)."""

import math

import numpy as np
from torch.utils.data import Sampler


def stratified_batches(y, n_batches, rng):
    """Split row indices into ``n_batches`` shuffled batches with the class mix of ``y``.

    Each class's rows are shuffled and dealt round-robin over the batches, so every
    batch holds about ``n_batches``-th of every class -- no batch misses the minority
    class while it has at least ``n_batches`` rows.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    n_batches : int
    rng : numpy.random.Generator

    Returns
    -------
    list of ndarray
    """
    order = np.concatenate([rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)])
    # Continue the round-robin across classes so batch sizes differ by at most one.
    slots = np.arange(len(order)) % n_batches
    batches = [order[slots == b] for b in range(n_batches)]
    return [batches[b] for b in rng.permutation(n_batches)]


class BatchIndexSampler(Sampler):
    """Yields one index array per mini-batch; a new shuffle every epoch.

    Parameters
    ----------
    n_samples : int
    batch_size : int
    y : ndarray of shape (n_samples,), default=None
        When given, batches are stratified by ``y`` (see :func:`stratified_batches`).
    shuffle : bool, default=True
    seed : int, default=0
    """

    def __init__(self, n_samples, batch_size, y=None, shuffle=True, seed=0):
        self.n_samples = n_samples
        self.batch_size = batch_size
        self.y = y
        self.shuffle = shuffle
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return math.ceil(self.n_samples / self.batch_size)

    def __iter__(self):
        n_batches = len(self)
        if not self.shuffle:
            for start in range(0, self.n_samples, self.batch_size):
                yield np.arange(start, min(start + self.batch_size, self.n_samples))
            return
        if self.y is not None:
            batches = stratified_batches(self.y, n_batches, self.rng)
        else:
            batches = np.array_split(self.rng.permutation(self.n_samples), n_batches)
        for batch in batches:
            yield np.sort(batch)
