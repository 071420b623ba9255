"""The compiled kernel behind :func:`distilkit.estimators.naive_bayes.head.class_statistics`.

One pass over the rows, every value read once and widened to float64 in a register:
numpy needs a separate pass (and a temporary) per operation -- gather, subtract, square,
two products, min, max -- which made the statistics cost 10x a plain sum. Imported only
when a head is fitted (numba's import and cached compilation take a fraction of a second).
"""

import numba
import numpy as np


def _compiled(function):
    """``function`` compiled by numba, its machine code cached where numba can write (next to the module or in
    the user's cache folder), else kept in memory: a read-only install with an unwritable HOME (a container, a
    Dask worker) has no cache folder, and numba refuses ``cache=True`` there."""
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:
        return numba.njit(nogil=True)(function)


@_compiled
def accumulate_moments(X, codes, weights, reference, scale, first, second, low, high):
    """Add each row's weighted deviation from its class's reference row, and its square.

    ``first[c] += w (s x - r_c)`` and ``second[c] += w (s x - r_c)^2`` in float64 (``s`` the
    per-feature ``scale``, ``r`` the scaled ``reference`` rows); ``low``/``high`` track the raw
    column extremes. All outputs are updated in place.
    """
    n_samples, n_features = X.shape
    for i in range(n_samples):
        c = codes[i]
        w = weights[i]
        for j in range(n_features):
            x = X[i, j]
            deviation = np.float64(x) * scale[j] - reference[c, j]
            first[c, j] += w * deviation
            second[c, j] += w * deviation * deviation
            if x < low[j]:
                low[j] = x
            if x > high[j]:
                high[j] = x
