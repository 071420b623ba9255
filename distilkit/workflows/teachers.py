"""Teachers named by a short spec, and the student of a distillation run, from table columns.

Used by :func:`distilkit.workflows.distill_table`; the teacher is named by a spec:

* ``minilm`` (any packaged encoder): embed the ``text`` column with the frozen encoder
  (cached to Parquet) and fit a logistic-regression head on the labelled rows;
* ``embeddings:<columns>``: the teacher's embeddings are columns of the table (names or
  globs, e.g. ``embeddings:emb_*``), with a logistic-regression head as above;
* ``<file>.dkm``: a fitted linear model file (e.g. ``distilkit fit logreg``) whose
  features are columns of the table.
"""

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from distilkit.encoders import PACKAGED_ENCODERS, SentenceEncoder
from distilkit.encoders.cache import embed_texts
from distilkit.encoders.onnx import INT8_ENCODERS, encoder_id
from distilkit.estimators.distill.teachers import teacher_signal
from distilkit.estimators.registry import make_estimator
from distilkit.exceptions import DataError, located
from distilkit.features import (
    ESTIMATOR_STEP,
    FEATURES_STEP,
    TABLE_STEP,
    ColumnRole,
    TableColumns,
    infer_roles,
)
from distilkit.inference.scoring import table_model
from distilkit.io import feature_matrix, match_columns, target_vector
from distilkit.persistence import model_roles, read_model

__all__ = ["METHODS", "STUDENTS", "make_distiller", "resolve_teacher", "teacher_model", "training_rows"]

#: ``--method`` -> (registry name, fixed parameters). ``kmeans`` and ``random`` are the LELP
#: paper's pseudo-subclass baselines (App. C) on the same student; ``auto`` chooses among
#: labels, KD and LELP by cross-validation (:mod:`distilkit.estimators.distill.selection`).
METHODS = {"lelp": ("lelp", {}), "kd": ("kd", {}), "labels": ("kd", {"alpha": 1.0}),
           "kmeans": ("lelp", {"subclasses": "kmeans"}), "random": ("lelp", {"subclasses": "random"})}
#: ``--student`` -> hidden layers of the student network. The ``tfidf-`` names say that the
#: student reads the raw text column (TF-IDF word and character n-grams) and need one.
STUDENTS = {"mlp": (128,), "linear": (), "tfidf-mlp": (128,), "tfidf-linear": ()}


def make_distiller(method, student, params=None):
    """The distiller for a method (``METHODS``) and student (``STUDENTS``) with ``params`` applied."""
    if method not in METHODS:
        raise DataError(f"unknown method {method!r} (choose from: {', '.join([*METHODS, 'auto'])})")
    if student not in STUDENTS:
        raise DataError(f"unknown student {student!r} (choose from: {', '.join(STUDENTS)})")
    name, fixed = METHODS[method]
    estimator = make_estimator(name, params)
    return estimator.set_params(hidden_layer_sizes=STUDENTS[student], **fixed)


def embedding_columns(spec, frame):
    """The columns an ``embeddings:<names or globs>`` teacher spec names in ``frame``."""
    patterns = [pattern.strip() for pattern in spec.split(":", 1)[1].split(",") if pattern.strip()]
    return match_columns([str(column) for column in frame.columns], patterns, "teacher embedding")


def training_rows(frame, target, *, teacher, text=None, features=None, exclude=(), unlabeled=None, student=None):
    """Rows, student column roles and labels of a distillation run.

    Parameters
    ----------
    frame : pandas.DataFrame
        The labelled table.
    target : str
    teacher : str
        The teacher spec; its embedding columns are not student features.
    text : str, default=None
        The column an encoder teacher embeds; the student reads it as a TF-IDF text column.
    features : list of str, default=None
        Student feature columns (names or globs); default: every other column.
    exclude : list of str, default=()
        Columns (names or globs) the student does not see.
    unlabeled : pandas.DataFrame, default=None
        Extra transfer rows; their target column, if any, is ignored.
    student : str, default=None
        The ``STUDENTS`` name; a ``tfidf-`` student needs ``text``.

    Returns
    -------
    frame : pandas.DataFrame
        All rows, labelled first.
    roles : list of ColumnRole
        The student's column roles (see :func:`distilkit.features.infer_roles`).
    y : ndarray of shape (n_rows,)
        Labels; unlabelled rows are ``-1`` (numeric labels) or ``None``.
    labelled : ndarray of bool of shape (n_rows,)
    """
    if text is None and student is not None and student.startswith("tfidf-"):
        raise DataError(f"student {student!r} reads a text column, and none is named (text)")
    y = target_vector(frame, target, min_classes=2)
    n_labelled = len(y)
    if unlabeled is not None:
        frame = pd.concat([frame, unlabeled.drop(columns=[target], errors="ignore")], ignore_index=True,
                          join="inner")
        marker = -1 if y.dtype.kind in "iuf" else None
        y = np.concatenate([y.astype(object) if marker is None else y,
                            np.full(len(unlabeled), marker, dtype=object if marker is None else y.dtype)])
    labelled = np.arange(len(frame)) < n_labelled
    teacher_columns = []
    if teacher.startswith("embeddings:"):
        teacher_columns = embedding_columns(teacher, frame)
    # The student reads the teacher's text too, through TF-IDF, so the saved student scores raw text.
    roles = infer_roles(frame.drop(columns=[target], errors="ignore"), features=features,
                        text=[text] if text is not None else (), exclude=[*exclude, *teacher_columns])
    return frame, roles, y, labelled


def resolve_teacher(spec, frame, y, labelled, *, text=None, cache_dir=".distilkit-cache", client=None,
                    backend="torch"):
    """The :class:`~distilkit.estimators.distill.teachers.TeacherSignal` of a teacher spec on a table.

    Parameters
    ----------
    spec : str
        See the module docstring.
    frame : pandas.DataFrame
        Every training row (labelled and unlabelled).
    y : ndarray of shape (n_rows,)
        Labels, with unlabelled rows marked (see the distillers).
    labelled : ndarray of bool of shape (n_rows,)
    text : str, default=None
        Text column for encoder teachers.
    cache_dir : str or path-like, default=".distilkit-cache"
        Where encoder embeddings are cached (see :func:`distilkit.encoders.cache.embed_texts`).
    client : distributed.Client, default=None
        Encode the texts on this Dask cluster.
    backend : {"torch", "onnx", "onnx-int8"}, default="torch"
        How a packaged encoder runs (see :mod:`distilkit.encoders.onnx`).
    """
    head = LogisticRegression(max_iter=5000)
    if spec in PACKAGED_ENCODERS:
        if text is None:
            raise DataError(f"teacher {spec!r} embeds a text column, and none is named (text)")
        if text not in frame.columns:
            raise DataError(f"text column {text!r} not found")
        if backend == "onnx-int8" and spec not in INT8_ENCODERS:
            raise DataError(f"the int8 {spec} teacher is not offered: quantised, it lost more than half a point of "
                            "teacher accuracy (bench_teacher.py); use backend torch or onnx")
        embeddings = embed_texts(frame[text].tolist(), encoder_id(spec, backend), cache_dir, client=client)
        return teacher_signal(head, embeddings, y, labelled)
    if spec.startswith("embeddings:"):
        return teacher_signal(head, feature_matrix(frame, embedding_columns(spec, frame)), y, labelled)
    if spec.endswith(".dkm"):
        model, meta = read_model(spec)
        model = table_model(model, model_roles(meta))
        if not hasattr(model[-1], "coef_"):
            raise DataError(f"{spec}: the teacher model {meta['estimator']} has no linear head (coef_)")
        with located(f"teacher {spec}"):
            return teacher_signal(model, frame, y, labelled)
    raise DataError(f"unknown teacher {spec!r}: use a packaged encoder ({', '.join(PACKAGED_ENCODERS)}), "
                    "embeddings:<columns> or a .dkm model file")


def teacher_model(spec, signal, frame, *, text=None, backend="torch"):
    """The teacher as a table model that scores raw rows: its encoder (or embedding columns) and fitted head.

    A packaged encoder is stored by name (its weights come from its package when the
    file is loaded), so the file holds only the head.

    Parameters
    ----------
    spec : str
        A packaged encoder name or ``embeddings:<columns>`` (a ``.dkm`` teacher is a model
        file already).
    signal : TeacherSignal
        From :func:`resolve_teacher`.
    frame : pandas.DataFrame
        The training rows (names the embedding columns).
    text : str, default=None
        The text column of an encoder teacher.
    backend : {"torch", "onnx", "onnx-int8"}, default="torch"
        How the encoder runs (stored with it).

    Returns
    -------
    model : sklearn.pipeline.Pipeline
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if spec in PACKAGED_ENCODERS:
        features = ColumnTransformer([("text", SentenceEncoder(encoder_id(spec, backend)), text)])
        roles = [ColumnRole(text, "text", "str", f"{encoder_id(spec, backend)} sentence embedding (packaged "
                            "encoder, frozen)")]
    elif spec.startswith("embeddings:"):
        columns = embedding_columns(spec, frame)
        features = ColumnTransformer([("embedding", "passthrough", columns)])
        roles = [ColumnRole(column, "numeric", "float64", "teacher embedding, as given") for column in columns]
    else:
        raise DataError(f"teacher {spec!r} is a model file already; only encoder and embeddings: teachers are saved")
    table = TableColumns(tuple(roles))
    # Fitting records the input columns only: the encoder is frozen and the head is fitted already.
    features.fit(table.fit_transform(frame.iloc[:1]))
    return Pipeline([(TABLE_STEP, table), (FEATURES_STEP, features), (ESTIMATOR_STEP, signal.head)])
