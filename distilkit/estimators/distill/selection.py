"""Choosing a distillation method by cross-validation on the labelled rows.

Every candidate (label-only training, Hinton KD at several temperatures, LELP at several
``(S, beta)``) trains the same student on the same rows: all unlabelled transfer rows plus
the labelled rows of the training folds. Each is scored on the held-out labelled rows
against their true labels, never against the teacher, so a candidate that copies a wrong
teacher well does not win.
"""

from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import StratifiedKFold

from distilkit.exceptions import DataError

__all__ = ["Candidate", "DEFAULT_CANDIDATES", "cross_validate_candidates"]


@dataclass(frozen=True)
class Candidate:
    """A method (``labels``, ``kd``, ``lelp``, ...) with the student parameters it sets."""

    method: str
    params: dict = field(default_factory=dict)

    @property
    def name(self):
        shown = {"temperature": "tau", "n_subclasses": "S", "subclass_temperature": "beta"}
        settings = " ".join(f"{shown.get(key, key)}={value:g}" if isinstance(value, float) else
                            f"{shown.get(key, key)}={value}" for key, value in self.params.items())
        return f"{self.method} {settings}".strip()


#: The grid of ``--method auto``: label-only, KD tau in {1, 2, 4}, LELP S in {2, 4} x beta in {0.5, 1, 2}.
DEFAULT_CANDIDATES = (
    Candidate("labels"),
    *(Candidate("kd", {"temperature": tau}) for tau in (1.0, 2.0, 4.0)),
    *(Candidate("lelp", {"n_subclasses": s, "subclass_temperature": beta}) for s in (2, 4) for beta in (0.5, 1.0, 2.0)),
)


def _rows(values, index):
    return values.iloc[index] if hasattr(values, "iloc") else values[index]


def cross_validate_candidates(make_student, candidates, X, y, labelled, teacher_arrays, *, cv=3, random_state=0):
    """Out-of-fold accuracy of every candidate on the labelled rows.

    Parameters
    ----------
    make_student : callable
        ``make_student(candidate)`` returns an unfitted student (estimator or Pipeline)
        whose ``fit(X, y, **teacher_arrays)`` takes the teacher arrays row-aligned with ``X``.
    candidates : sequence of Candidate
    X : array-like or DataFrame of shape (n_rows, ...)
    y : ndarray of shape (n_rows,)
        Labels, with unlabelled rows marked as the distillers expect (``-1`` or ``None``).
    labelled : ndarray of bool of shape (n_rows,)
    teacher_arrays : dict
        Fit parameters with one row per row of ``X`` (logits, embeddings); others (the
        teacher head) are passed unchanged. Label-only candidates get none.
    cv : int, default=3
        Stratified folds over the labelled rows.
    random_state : int, default=0
        Shuffles the folds.

    Returns
    -------
    rows : list of dict
        ``candidate``, ``scores`` (one accuracy per fold), ``mean`` and ``std``, in the
        order of ``candidates``.
    best : dict
        The row with the highest mean accuracy (the first, i.e. the simplest, on ties).
    """
    labelled_rows = np.flatnonzero(labelled)
    counts = np.unique(np.asarray(y[labelled_rows], dtype=str), return_counts=True)[1]
    if counts.min() < cv:
        raise DataError(f"choosing a method by {cv}-fold cross-validation needs at least {cv} labelled rows of "
                         f"every class; the rarest class has {counts.min()}")
    folds = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    splits = [(labelled_rows[train], labelled_rows[test])
              for train, test in folds.split(labelled_rows, np.asarray(y[labelled_rows], dtype=str))]
    rows = []
    for candidate in candidates:
        scores = []
        for _, held_out in splits:
            keep = np.setdiff1d(np.arange(len(y)), held_out)
            fit_params = {} if candidate.method == "labels" else {
                key: (_rows(value, keep) if hasattr(value, "__len__") and not isinstance(value, tuple)
                      and len(value) == len(y) else value)
                for key, value in teacher_arrays.items()}
            student = make_student(candidate).fit(_rows(X, keep), y[keep], **fit_params)
            predicted = student.predict(_rows(X, held_out))
            scores.append(float(np.mean(predicted == y[held_out])))
        rows.append({"candidate": candidate, "scores": scores, "mean": float(np.mean(scores)),
                     "std": float(np.std(scores))})
    best = max(rows, key=lambda row: row["mean"])
    return rows, best
