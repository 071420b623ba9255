"""Distilling a teacher into a small student on a raw table (``distilkit distill``)."""

import time
from dataclasses import dataclass, field
from pathlib import Path

from distilkit.encoders import BACKENDS
from distilkit.encoders.static import static_vectors
from distilkit.estimators.distill.selection import (
    DEFAULT_CANDIDATES,
    cross_validate_candidates,
)
from distilkit.exceptions import DataError
from distilkit.features import estimator_params, model_columns
from distilkit.persistence import save_model
from distilkit.progress import progress_phase
from distilkit.workflows.tables import default_seed, on_dask, patterns, read_data
from distilkit.workflows.teachers import (
    METHODS,
    STATIC_DIMS,
    check_savable_teacher,
    make_distiller,
    resolve_teacher,
    static_encoder,
    static_roles,
    student_model,
    teacher_model,
    training_rows,
)

#: Every ``method`` of :func:`distill_table`.
DISTILL_METHODS = (*METHODS, "auto")
#: The methods that read the teacher's embedding (``auto`` may choose LELP).
NEEDS_EMBEDDINGS = ("lelp", "kmeans", "random", "auto")


@dataclass
class DistillResult:
    """What a distillation run made.

    Attributes
    ----------
    model : sklearn.pipeline.Pipeline
        The fitted student, a table model that reads the raw student columns.
    roles : list of ColumnRole
        The student's column roles.
    metadata : dict
        What the student's model file records (:meth:`save` writes it).
    method : str
        The method used (``"auto: lelp S=2 beta=0.5"`` when chosen by ``method="auto"``).
    candidates : list of dict or None
        ``method="auto"``'s table: ``name``, ``mean`` and ``std`` of each candidate's
        held-out accuracy, in the order tried; ``chosen`` names the best.
    chosen : str or None
    teacher : sklearn.pipeline.Pipeline or None
        With ``keep_teacher=True``: the teacher as a table model (packaged encoder by name
        + fitted head, or embedding columns + head).
    teacher_metadata : dict or None
    summary : list of (str, str)
        The facts ``distilkit distill`` prints.
    """

    model: object
    roles: list
    metadata: dict
    method: str
    candidates: list = None
    chosen: str = None
    teacher: object = None
    teacher_metadata: dict = None
    summary: list = field(default_factory=list)

    def save(self, path):
        """Write the student's model file (what ``distilkit distill -o`` writes)."""
        save_model(self.model, path, metadata=self.metadata)

    def save_teacher(self, path):
        """Write the teacher's model file (what ``distilkit distill --save-teacher`` writes)."""
        if self.teacher is None:
            raise DataError("no teacher to save: distil with keep_teacher=True")
        save_model(self.teacher, path, metadata=self.teacher_metadata)


def distill_table(data, *, target, teacher, method="lelp", student="mlp", text=None, unlabeled=None, params=None,
                  features=None, exclude=(), teacher_backend="torch", cache_dir=".distilkit-cache",
                  keep_teacher=False, dask=None, teacher_embeddings=None):
    """Distil a teacher into a small student network on a raw table, as ``distilkit distill`` does.

    The student reads ``features`` (default: every column that is neither the target
    nor the teacher's embeddings; the ``text`` column too, through TF-IDF, so the saved
    student scores raw text); the teacher gives the targets: Hinton KD
    (``method="kd"``), LELP pseudo-subclasses (``"lelp"``), the LELP paper's baselines
    (``"kmeans"``, ``"random"``) or none (``"labels"`` trains the same student on the
    labels). ``"auto"`` picks the best of labels / KD / LELP by 3-fold CV on the labelled
    rows, scored on their true labels. The teacher's classes are matched to the labels by
    value.

    Parameters
    ----------
    data : str, path-like or pandas.DataFrame
        The labelled training table.
    target : str
        The label column.
    teacher : str
        ``"minilm"`` or ``"mpnet"`` (a packaged encoder embedding ``text``, with a
        logistic head fitted on the labelled rows), ``"embeddings:<columns>"`` (names or
        globs of embedding columns, same head), a local sentence-transformers folder (as
        a packaged encoder) or Hugging Face ``*ForSequenceClassification`` folder (its
        logits, classes named by its ``id2label``), ``"probs:<columns>"`` or
        ``"logits:<columns>"`` (the teacher's outputs as columns, one per class: an
        LLM's probabilities, say; ``probs:p_*`` names the classes by the part the ``*``
        matches, ``probs:neg=colA,pos=colB`` explicitly), or a ``.dkm`` model file (a
        linear model teaches by every method, any classifier with ``predict_proba`` by
        KD). The teacher's columns are never student features.
    method : {"lelp", "kd", "labels", "kmeans", "random", "auto"}, default="lelp"
    student : {"mlp", "linear", "tfidf-mlp", "tfidf-linear", "tfidf-sparse", "static"}, default="mlp"
        One hidden layer of 128, or linear; ``tfidf-`` students read the raw ``text`` column
        (``tfidf-sparse``: every TF-IDF column, sparse, no SVD);
        ``static`` reads only the ``text`` column, as the mean of token vectors distilled
        from the teacher's encoder (the packaged MiniLM when the teacher has none; cached in
        ``cache_dir``), fine-tuned with its head by the same method.
    text : str, default=None
        The text column (embedded by an encoder teacher, read by the student).
    unlabeled : str, path-like or pandas.DataFrame, default=None
        Extra unlabelled transfer rows with the same columns (a target column is ignored).
    params : dict, default=None
        Student parameters (``n_subclasses``, ``temperature``, ``max_epochs``...);
        ``random_state`` defaults to 0.
    features, exclude : default=None, ()
        Student feature columns / columns to leave out (names or globs).
    teacher_backend : {"torch", "onnx", "onnx-int8"}, default="torch"
        How a packaged encoder teacher runs.
    cache_dir : str or path-like, default=".distilkit-cache"
        Where encoder embeddings are cached (Parquet).
    keep_teacher : bool, default=False
        Also return the teacher as a model that scores raw rows (``result.teacher``).
    dask : str, default=None
        Run the teacher's encoding pass on Dask (``"local"`` or a scheduler address).
    teacher_embeddings : str, default=None
        With a ``probs:`` / ``logits:`` teacher: its embedding columns (names or globs,
        comma-separated), which LELP needs.

    Returns
    -------
    DistillResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame(rng.normal(size=(200, 4)), columns=["x0", "x1", "e0", "e1"])
    >>> frame["label"] = np.where(frame.e0 + frame.x0 > 0, "yes", "no")
    >>> result = distill_table(frame, target="label", teacher="embeddings:e*", method="kd",
    ...                        params={"max_epochs": 5})
    >>> result.model.predict(frame[["x0", "x1"]].head(3)).shape, result.metadata["method"]
    ((3,), 'kd')
    """
    if method not in DISTILL_METHODS:
        raise DataError(f"unknown method {method!r} (choose from: {', '.join(DISTILL_METHODS)})")
    if teacher_backend not in BACKENDS:
        raise DataError(f"unknown teacher backend {teacher_backend!r} (choose from: {', '.join(BACKENDS)})")
    if keep_teacher and method == "labels":
        raise DataError("keeping the teacher needs one: method 'labels' trains without a teacher")
    if keep_teacher:
        check_savable_teacher(teacher)
    params = dict(params or {})
    model = make_distiller("lelp" if method == "auto" else method, student, params)
    seed = default_seed(model, params)
    frame, where = read_data(data)
    extra = None if unlabeled is None else read_data(unlabeled)[0]
    frame, roles, y, labelled = training_rows(frame, target, teacher=teacher, text=text,
                                              features=patterns(features), exclude=patterns(exclude) or (),
                                              unlabeled=extra, student=student,
                                              teacher_embeddings=teacher_embeddings)
    n_labelled = int(labelled.sum())
    start = time.perf_counter()
    static = None
    if student == "static":
        encoder = static_encoder(teacher)
        with progress_phase(f"static token vectors of {Path(encoder).name}"):
            static = static_vectors(encoder, dims=STATIC_DIMS, cache_dir=cache_dir)
        roles = static_roles(roles, text, encoder)
        model.set_params(embedding_dim=static.vectors.shape[1])
    pipeline = student_model(model, roles, student=student, tokenizer=static and static.tokenizer, random_state=seed)
    teacher_params, kept = {}, None
    if method != "labels":
        with on_dask(dask) as client, progress_phase(f"teacher {teacher}"):
            signal = resolve_teacher(teacher, frame, y, labelled, text=text, cache_dir=cache_dir, client=client,
                                     backend=teacher_backend, embeddings=teacher_embeddings)
        if signal.embeddings is None and method in NEEDS_EMBEDDINGS:
            raise DataError(f"method {method!r} needs the teacher's embeddings, and teacher {teacher!r} gives "
                            "none: name its embedding columns (teacher_embeddings) or use method 'kd'")
        if keep_teacher:
            kept = teacher_model(teacher, signal, frame, text=text, backend=teacher_backend)
        teacher_params = estimator_params(signal.fit_params())
    if static is not None:
        teacher_params.update(estimator_params({"student_embedding": static.vectors}))
    candidates = chosen = None
    if method == "auto":
        pipeline, candidates, chosen = _choose_method(student, params, roles, seed, frame, y, labelled,
                                                      teacher_params, static)
        method = f"auto: {chosen}"
    with progress_phase(f"distilling ({method}) into a {student} student on {len(y):,} rows"):
        pipeline.fit(frame, y, **teacher_params)
    seconds = time.perf_counter() - start
    metadata = {"target": target, "data": where, "n_samples": len(y), "n_labelled": n_labelled, "teacher": teacher,
                "method": method, "fit_seconds": seconds, "random_state": seed}
    teacher_metadata = None if kept is None else {"target": target, "data": where, "n_labelled": n_labelled,
                                                  "teacher": teacher}
    summary = [
        ("rows", f"{len(y):,} ({n_labelled:,} labelled)"),
        ("student columns", f"{len(model_columns(roles)):,}"),
        ("classes", ", ".join(map(str, pipeline.classes_))),
        ("random_state", str(seed)),
        ("time", f"{seconds:.1f} s"),
    ]
    return DistillResult(pipeline, roles, metadata, method, candidates, chosen, kept, teacher_metadata, summary)


def _choose_method(student, params, roles, seed, frame, y, labelled, teacher_params, static):
    """``method="auto"``: cross-validate the candidates; the best one's unfitted student, the table, its name."""

    def make_student(candidate):
        # The seed the result reports, for every candidate and the refit alike.
        width = {} if static is None else {"embedding_dim": static.vectors.shape[1]}
        return student_model(make_distiller(candidate.method, student,
                                            {"random_state": seed, **params, **candidate.params}, **width),
                             roles, student=student, tokenizer=static and static.tokenizer, random_state=seed)

    with progress_phase(f"choosing among {len(DEFAULT_CANDIDATES)} methods by 3-fold CV on the labelled rows"):
        rows, best = cross_validate_candidates(make_student, DEFAULT_CANDIDATES, frame, y, labelled, teacher_params,
                                               random_state=seed)
    table = [{"name": row["candidate"].name, "mean": row["mean"], "std": row["std"]} for row in rows]
    return make_student(best["candidate"]), table, best["candidate"].name


__all__ = ["DISTILL_METHODS", "DistillResult", "distill_table"]
