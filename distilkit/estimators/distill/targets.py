"""Pure functions that turn a teacher's embeddings and head into LELP soft targets.

LELP (Loo, Iliopoulos, Hu, Vee, arXiv:2409.20449): for every class, the top-``S``
principal directions of the teacher's final-layer embeddings -- after projecting out
the row space of the teacher head, which ordinary KD already transmits, and after a
random rotation that equalises their variances -- split the class into ``S`` soft
pseudo-subclasses. The target for subclass ``(c, s)`` is

    p[c, s] = p_c(tau) * softmax_s(z[c, s] / beta)

so summing over ``s`` gives back the Hinton KD target ``p_c(tau)`` exactly.

Shapes: ``N`` rows, ``D`` embedding dimensions, ``C`` classes, ``S`` subclasses.
"""

import numpy as np
from scipy.linalg import eigh
from scipy.special import softmax

from distilkit.exceptions import DataError

__all__ = [
    "class_subspaces",
    "cluster_coordinates",
    "head_row_space",
    "project_null_space",
    "pseudo_subclass_targets",
    "random_rotation",
    "subclass_coordinates",
]


def head_row_space(head_weights):
    """Orthonormal basis of the row space of the teacher head ``W``.

    Parameters
    ----------
    head_weights : ndarray of shape (C, D)
        The teacher head (logits ``W h + b``); the bias does not matter.

    Returns
    -------
    basis : ndarray of shape (rank(W), D)
        Orthonormal rows spanning the directions that change the teacher's logits.
    """
    W = np.asarray(head_weights, dtype=np.float64)
    # SVD keeps this stable when W is rank-deficient (e.g. binary softmax heads).
    _, singular, vt = np.linalg.svd(W, full_matrices=False)
    tolerance = singular.max(initial=0.0) * max(W.shape) * np.finfo(np.float64).eps
    return vt[singular > tolerance]


def project_null_space(embeddings, row_basis):
    """``(I - W^T (W W^T)^+ W) h`` for every row: remove what ordinary KD transmits.

    Computed as ``h - B^T (B h)`` with ``B`` from :func:`head_row_space`, which costs
    ``O(N D rank)`` instead of the ``O(N D^2)`` of applying the ``D x D`` projector.
    """
    H = np.asarray(embeddings, dtype=np.float64)
    return H - (H @ row_basis.T) @ row_basis


def random_rotation(size, rng):
    """A Haar-random ``size x size`` orthogonal matrix (QR of a Gaussian, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((size, size)))
    return q * np.sign(np.diag(r))


def class_subspaces(embeddings, groups, n_classes, n_subclasses, *, row_basis=None, rotate=True, rng=None,
                    kind="principal"):
    """Per-class means and ``S`` directions of (null-space projected) embeddings.

    Parameters
    ----------
    embeddings : ndarray of shape (N, D)
    groups : ndarray of shape (N,)
        Class index (0..C-1) of each row: its label, or the teacher's prediction.
    n_classes : int
    n_subclasses : int
    row_basis : ndarray of shape (r, D), default=None
        Row space of the teacher head (:func:`head_row_space`); when given, the
        embeddings and the directions are restricted to its orthogonal complement.
    rotate : bool, default=True
        Rotate each class's ``S`` directions by a random orthogonal matrix so that
        they have equal variance in expectation.
    rng : numpy.random.Generator, default=None
        Source of the rotations (required when ``rotate`` or ``kind="random"``).
    kind : {"principal", "random"}, default="principal"
        The top-``S`` principal directions (LELP), or ``S`` Haar-random orthonormal
        directions: the paper's random-projection baseline (App. C).

    Returns
    -------
    means : ndarray of shape (C, D)
        Class means of the projected embeddings.
    directions : ndarray of shape (C, D, S)
        Orthonormal columns per class.

    Raises
    ------
    ValueError
        If a class has no rows, or fewer than ``S`` dimensions remain.
    """
    H = np.asarray(embeddings)
    if H.dtype not in (np.float32, np.float64):
        H = H.astype(np.float64)
    n_dims = H.shape[1] - (0 if row_basis is None else len(row_basis))
    if n_subclasses > n_dims:
        raise DataError(
            f"n_subclasses={n_subclasses} exceeds the {n_dims} embedding dimensions available "
            "(the null space of the teacher head leaves D - rank(W))"
        )
    d = H.shape[1]
    means = np.zeros((n_classes, d))
    directions = np.zeros((n_classes, d, n_subclasses))
    for c in range(n_classes):
        rows = H[groups == c]
        if len(rows) == 0:
            raise DataError(f"class index {c} has no rows to compute its subspace from")
        mean = rows.mean(axis=0, dtype=np.float64)
        centred = rows - mean.astype(rows.dtype)
        # The scatter in the input's precision: float32 embeddings stay float32 (twice
        # the BLAS speed, no N x D float64 copy); the null space is applied to the
        # D x D scatter (P S P) rather than to the N x D embeddings.
        scatter = (centred.T @ centred).astype(np.float64)
        if row_basis is not None:
            mean = project_null_space(mean[None], row_basis)[0]
            scatter = project_null_space(project_null_space(scatter, row_basis).T, row_basis)
        means[c] = mean
        if kind == "random":
            top = np.linalg.qr(rng.standard_normal((d, n_subclasses)))[0]
        else:
            _, vectors = eigh(scatter, subset_by_index=[d - n_subclasses, d - 1])
            top = vectors[:, ::-1]
        if row_basis is not None:
            # Random directions, and zero-variance eigenvectors (classes with fewer rows
            # than S), may leave the null space: project them back and re-orthonormalise.
            top = np.linalg.qr(project_null_space(top.T, row_basis).T)[0]
        directions[c] = top @ random_rotation(n_subclasses, rng) if rotate else top
    return means, directions


def subclass_coordinates(embeddings, means, directions, *, center=True):
    """``z[n, c, s] = <v'_{c,s}, P h_n - mu_c>``: every row's coordinates in every class subspace.

    Raw embeddings can be passed even when the directions come from the null space
    of the teacher head: ``P`` is symmetric and fixes the directions, so
    ``<v, P h> = <v, h>``.

    Parameters
    ----------
    embeddings : ndarray of shape (N, D)
    means : ndarray of shape (C, D)
    directions : ndarray of shape (C, D, S)
    center : bool, default=True
        Subtract the class mean, so that no constant offset skews the split.

    Returns
    -------
    z : ndarray of shape (N, C, S)
    """
    H = np.asarray(embeddings)
    if H.dtype not in (np.float32, np.float64):
        H = H.astype(np.float64)
    n, (c, d, s) = len(H), directions.shape
    # One product in the embeddings' precision (no N x D float64 copy of float32 data).
    stacked = directions.transpose(1, 0, 2).reshape(d, c * s).astype(H.dtype)
    z = (H @ stacked).astype(np.float64).reshape(n, c, s)
    if center:
        z -= np.einsum("cd,cds->cs", means, directions)[None]
    return z


def cluster_coordinates(embeddings, groups, n_classes, n_subclasses, *, row_basis=None, random_state=None):
    """``z[n, c, s] = <h_n, m_cs> - |m_cs|^2 / 2`` for K-means centroids ``m_cs`` of each class.

    The K-means baseline of the LELP paper (App. C): the rows of each class are
    clustered into ``S`` groups. ``softmax_s(z / beta)`` is the soft assignment by
    distance, ``exp(-|h - m_cs|^2 / (2 beta))`` normalised over ``s``: the ``|h|^2``
    term is shared by a class's subclasses and cancels.

    Parameters
    ----------
    embeddings : ndarray of shape (N, D)
    groups : ndarray of shape (N,)
        Class index (0..C-1) of each row.
    n_classes, n_subclasses : int
    row_basis : ndarray of shape (r, D), default=None
        Cluster in the null space of the teacher head (as LELP's directions).
    random_state : int, default=None
        Seeds K-means.

    Returns
    -------
    z : ndarray of shape (N, C, S)
    """
    from sklearn.cluster import KMeans

    H = np.asarray(embeddings, dtype=np.float64)
    if row_basis is not None:
        H = project_null_space(H, row_basis)
    centroids = np.zeros((n_classes, n_subclasses, H.shape[1]))
    for c in range(n_classes):
        rows = H[groups == c]
        if len(rows) < n_subclasses:
            raise DataError(f"class index {c} has {len(rows)} row(s), fewer than n_subclasses={n_subclasses} "
                             "clusters")
        centroids[c] = KMeans(n_subclasses, n_init=3, random_state=random_state).fit(rows).cluster_centers_
    z = np.einsum("nd,csd->ncs", H, centroids)
    return z - 0.5 * np.einsum("csd,csd->cs", centroids, centroids)[None]


def pseudo_subclass_targets(teacher_logits, coordinates, *, temperature=1.0, subclass_temperature=1.0):
    """Soft targets over the ``C * S`` pseudo-subclasses.

    ``p[n, c, s] = softmax(logits / tau)[n, c] * softmax(z[n, c, :] / beta)[s]``.

    Parameters
    ----------
    teacher_logits : ndarray of shape (N, C)
    coordinates : ndarray of shape (N, C, S)
        From :func:`subclass_coordinates`.
    temperature : float, default=1.0
        The KD temperature ``tau``.
    subclass_temperature : float, default=1.0
        The subclass temperature ``beta``.

    Returns
    -------
    targets : ndarray of shape (N, C * S)
        Rows sum to 1; column ``c * S + s`` is subclass ``s`` of class ``c``, and
        ``targets.reshape(N, C, S).sum(-1)`` is the KD target.

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.array([[2.0, 0.0]])
    >>> z = np.array([[[1.0, -1.0], [0.0, 0.0]]])
    >>> t = pseudo_subclass_targets(logits, z)
    >>> np.round(t, 3)
    array([[0.776, 0.105, 0.06 , 0.06 ]])
    >>> np.allclose(t.reshape(1, 2, 2).sum(-1), np.exp(logits) / np.exp(logits).sum())
    True
    """
    logits = np.asarray(teacher_logits, dtype=np.float64)
    z = np.asarray(coordinates, dtype=np.float64)
    class_proba = softmax(logits / temperature, axis=1)
    within = softmax(z / subclass_temperature, axis=2)
    return (class_proba[:, :, None] * within).reshape(len(logits), -1)
