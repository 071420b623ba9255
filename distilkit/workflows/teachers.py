"""Teachers named by a short spec, and the student of a distillation run, from table columns.

Used by :func:`distilkit.workflows.distill_table`; the teacher is named by a spec:

* ``minilm`` (any packaged encoder): embed the ``text`` column with the frozen encoder
  (cached to Parquet) and fit a logistic-regression head on the labelled rows;
* ``embeddings:<columns>``: the teacher's embeddings are columns of the table (names or
  globs, e.g. ``embeddings:emb_*``), with a logistic-regression head as above;
* a local sentence-transformers model folder: as a packaged encoder (its embeddings are
  cached under the digest of its files, so a changed folder is encoded afresh);
* a local Hugging Face classifier folder (``config.json`` names a
  ``*ForSequenceClassification`` architecture): its logits are the signal, no head is
  fitted; its ``id2label`` names its classes; the representation its last layer reads and
  that layer's weights are LELP's embedding and head;
* ``probs:<columns>`` / ``logits:<columns>``: the teacher's outputs are columns of the
  table, one per class (an LLM's class probabilities, say): ``probs:p_*`` over ``p_neg,
  p_pos`` names the classes ``neg`` and ``pos`` (the part the ``*`` matches), or
  ``probs:neg=colA,pos=colB`` names them explicitly; its embeddings, for LELP, are
  columns too (``embeddings`` of :func:`resolve_teacher`);
* ``<file>.dkm``: a fitted model file (e.g. ``distilkit fit logreg``) whose features are
  columns of the table: a linear one gives LELP its embedding and head, any classifier
  with ``predict_proba`` teaches by KD.

A teacher's classes are matched to the labels by value, never by position.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from distilkit.encoders import PACKAGED_ENCODERS, SentenceEncoder
from distilkit.encoders.cache import embed_texts
from distilkit.encoders.classifier import classifier_head
from distilkit.encoders.folders import (
    CLASSIFIER,
    classifier_labels,
    folder_digest,
    model_folder,
)
from distilkit.encoders.onnx import INT8_ENCODERS, encoder_id
from distilkit.estimators.distill.teachers import (
    TeacherSignal,
    logits_from_outputs,
    reorder_classes,
    signal_from_head,
    teacher_signal,
)
from distilkit.estimators.registry import make_estimator
from distilkit.exceptions import DataError, located
from distilkit.features import (
    ESTIMATOR_STEP,
    FEATURES_STEP,
    INPUT_ROLES,
    TABLE_STEP,
    ColumnRole,
    TableColumns,
    infer_roles,
    model_columns,
)
from distilkit.inference.scoring import table_model
from distilkit.io import feature_matrix, match_columns, target_vector
from distilkit.persistence import model_roles, read_model

__all__ = ["METHODS", "OUTPUT_KINDS", "SPARSE_STUDENTS", "STATIC_DIMS", "STUDENTS", "check_savable_teacher",
           "make_distiller", "output_columns", "resolve_teacher", "static_encoder", "static_roles", "student_model",
           "teacher_columns", "teacher_model", "training_rows"]
#: Teacher specs whose class outputs are columns of the table (``probs:<columns>``, ``logits:<columns>``).
OUTPUT_KINDS = ("probs", "logits")

#: ``--method`` -> (registry name, fixed parameters). ``kmeans`` and ``random`` are the LELP
#: paper's pseudo-subclass baselines (App. C) on the same student; ``auto`` chooses among
#: labels, KD and LELP by cross-validation (:mod:`distilkit.estimators.distill.selection`).
METHODS = {"lelp": ("lelp", {}), "kd": ("kd", {}), "labels": ("kd", {"alpha": 1.0}),
           "kmeans": ("lelp", {"subclasses": "kmeans"}), "random": ("lelp", {"subclasses": "random"})}
#: ``--student`` -> hidden layers of the student network. The ``tfidf-`` names say that the
#: student reads the raw text column (TF-IDF word and character n-grams) and need one;
#: ``tfidf-sparse``'s first layer reads every TF-IDF column (no SVD to 100 dimensions);
#: ``static`` reads it as token vectors distilled from an encoder (:mod:`distilkit.encoders.static`),
#: mean-pooled and fine-tuned with the head.
STUDENTS = {"mlp": (128,), "linear": (), "tfidf-mlp": (128,), "tfidf-linear": (), "tfidf-sparse": (128,),
            "static": (128,)}
#: Students that read sparse input (so their features are not centred).
SPARSE_STUDENTS = ("tfidf-sparse", "static")
#: A static student's training defaults when it learns from a teacher (where ``params`` do not set them):
#: its vectors start from an encoder's and need a larger step than a fresh layer to follow the teacher's
#: thousands of rows (movies and Amazon, 300 labels, MPNet teacher: +1.8 and +2.1 points over lr=1e-3 and
#: 30 epochs; MiniLM +0.2 and +0.8). On 300 labels alone the same step loses 0.7-1.7 points, so ``labels``
#: keeps the estimator's defaults.
STATIC_TRAINING = {"lr": 1e-2, "max_epochs": 15}
#: The static student's token vectors: dimensions kept by PCA (at most the encoder's width). Model2Vec
#: keeps 256; on the demo's split MiniLM's full 384 gave +1 point of accuracy by KD (one seed).
STATIC_DIMS = 384


def make_distiller(method, student, params=None, *, embedding_dim=STATIC_DIMS):
    """The distiller for a method (``METHODS``) and student (``STUDENTS``) with ``params`` applied.

    A static student's first layer is ``embedding_dim`` wide (its token vectors' width).
    """
    if method not in METHODS:
        raise DataError(f"unknown method {method!r} (choose from: {', '.join([*METHODS, 'auto'])})")
    if student not in STUDENTS:
        raise DataError(f"unknown student {student!r} (choose from: {', '.join(STUDENTS)})")
    name, fixed = METHODS[method]
    estimator = make_estimator(name, params)
    if student in SPARSE_STUDENTS:
        # Sparse features are not centred (the featurizer scales the numeric ones).
        fixed = {**fixed, "standardize": False}
    if student == "static":
        # The first layer holds the token vectors.
        fixed = {**fixed, "embedding_dim": embedding_dim}
        if method != "labels":
            fixed.update({key: value for key, value in STATIC_TRAINING.items() if key not in (params or {})})
    return estimator.set_params(hidden_layer_sizes=STUDENTS[student], **fixed)


def static_encoder(teacher):
    """The encoder whose token vectors a static student starts from: the teacher's, else the packaged MiniLM."""
    if teacher in PACKAGED_ENCODERS:
        return teacher
    if is_folder_teacher(teacher):
        folder, kind = model_folder(teacher)
        if kind != CLASSIFIER:
            return str(folder)
    return "minilm"


def static_roles(roles, text, encoder):
    """The roles of a static student: its text column only, read as token vectors of ``encoder``."""
    def described(role):
        if role.column == text:
            return ColumnRole(role.column, "text", role.dtype, f"{Path(encoder).name} static token vectors "
                              f"({STATIC_DIMS}-d, mean-pooled), fine-tuned with the student")
        if role.role in INPUT_ROLES:
            return ColumnRole(role.column, "excluded", role.dtype, "the static student reads the text only")
        return role

    return [described(role) for role in roles]


def student_model(estimator, roles, *, student, tokenizer=None, random_state=None):
    """The table model of a student: the featurizer of ``roles`` (a static student: the text's tokens) and it."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    from distilkit.features import make_model
    from distilkit.features.tokens import TokenBag

    if student != "static":
        return make_model(estimator, roles, sparse_output=True if student in SPARSE_STUDENTS else None,
                          random_state=random_state)
    (text,) = model_columns(roles, "text")
    features = ColumnTransformer([("tokens", TokenBag(tokenizer), text)], sparse_threshold=1.0)
    return Pipeline([(TABLE_STEP, TableColumns(tuple(roles))), (FEATURES_STEP, features), (ESTIMATOR_STEP, estimator)])


def _patterns(text):
    return [pattern.strip() for pattern in text.split(",") if pattern.strip()]


def embedding_columns(spec, frame):
    """The columns an ``embeddings:<names or globs>`` teacher spec names in ``frame``."""
    return match_columns([str(column) for column in frame.columns], _patterns(spec.split(":", 1)[1]),
                         "teacher embedding")


def output_kind(spec):
    """``"probs"`` or ``"logits"`` for a teacher spec whose outputs are columns, else None."""
    kind = spec.split(":", 1)[0] if ":" in spec else None
    return kind if kind in OUTPUT_KINDS else None


def is_folder_teacher(spec):
    """Whether a teacher spec names a local model folder."""
    return Path(spec).expanduser().is_dir()


def check_savable_teacher(spec):
    """Refuse a teacher :func:`teacher_model` cannot save: encoder, model folder and ``embeddings:`` teachers are.

    Raises
    ------
    DataError
        For teacher outputs given as columns, or a model file.
    """
    if spec in PACKAGED_ENCODERS or spec.startswith("embeddings:") or is_folder_teacher(spec):
        return
    if output_kind(spec):
        raise DataError(f"teacher {spec!r} is columns of the table, not a model: it cannot score new rows, so it "
                        "cannot be saved")
    raise DataError(f"teacher {spec!r} is a model file already; only encoder, model folder and embeddings: teachers "
                    "are saved")


def output_columns(spec, frame):
    """Class -> column of a ``probs:`` / ``logits:`` teacher spec, classes as the text that names them.

    Examples
    --------
    >>> frame = pd.DataFrame(columns=["id", "p_neg", "p_pos"])
    >>> output_columns("probs:p_*", frame), output_columns("probs:no=p_neg,yes=p_pos", frame)
    ({'neg': 'p_neg', 'pos': 'p_pos'}, {'no': 'p_neg', 'yes': 'p_pos'})
    """
    kind, body = spec.split(":", 1)
    names = [str(column) for column in frame.columns]
    items = _patterns(body)
    if not items:
        raise DataError(f"teacher {spec!r} names no columns: give one per class, e.g. {kind}:p_* or "
                        f"{kind}:neg=colA,pos=colB")
    mapping = {}
    for item in items:
        if "=" in item:
            label, column = (part.strip() for part in item.split("=", 1))
            pairs = [(label, *match_columns(names, [column], f"teacher {kind}"))]
        elif item.count("*") == 1:
            prefix, suffix = item.split("*")
            pairs = [(column[len(prefix):len(column) - len(suffix)], column)
                     for column in match_columns(names, [item], f"teacher {kind}")]
        else:
            raise DataError(f"teacher {kind} {item!r} does not say which class each column is: use one '*' for "
                            f"the class label ({kind}:p_*) or name them ({kind}:neg=colA,pos=colB)")
        for label, column in pairs:
            if label in mapping or column in mapping.values():
                raise DataError(f"teacher {kind}: class {label!r} or column {column!r} is named twice")
            mapping[label] = column
    return mapping


def teacher_columns(spec, frame, embeddings=None):
    """The columns that hold the teacher in ``frame``: never features of the student."""
    columns = []
    if spec.startswith("embeddings:"):
        columns = embedding_columns(spec, frame)
    elif output_kind(spec):
        columns = list(output_columns(spec, frame).values())
    if embeddings is not None:
        columns += match_columns([str(c) for c in frame.columns], _patterns(embeddings), "teacher embedding")
    return columns


def training_rows(frame, target, *, teacher, text=None, features=None, exclude=(), unlabeled=None, student=None,
                  teacher_embeddings=None):
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
    teacher_embeddings : str, default=None
        The embedding columns of a ``probs:`` / ``logits:`` teacher (names or globs,
        comma-separated); not student features either.

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
    if text is None and student is not None and (student.startswith("tfidf-") or student == "static"):
        raise DataError(f"student {student!r} reads a text column, and none is named (text)")
    y = target_vector(frame, target, min_classes=2)
    n_labelled = len(y)
    teacher_reads = teacher_columns(teacher, frame, teacher_embeddings)
    # The roles come from the labelled table alone: the unlabelled rows must bring every column they
    # name (an inner join would drop a student column, and a row id would become a feature).
    # The student reads the teacher's text too, through TF-IDF, so the saved student scores raw text.
    roles = infer_roles(frame.drop(columns=[target], errors="ignore"), features=features,
                        text=[text] if text is not None else (), exclude=[*exclude, *teacher_reads])
    if unlabeled is not None:
        needed = list(dict.fromkeys([*model_columns(roles), *teacher_reads, *([text] if text is not None else [])]))
        missing = [column for column in needed if column not in unlabeled.columns]
        if missing:
            raise DataError(f"the unlabelled table has no column {missing[0]!r}, which the student or the teacher "
                            f"reads ({len(missing)} missing)")
        frame = pd.concat([frame, unlabeled[needed]], ignore_index=True)
        marker = -1 if y.dtype.kind in "iuf" else None
        y = np.concatenate([y.astype(object) if marker is None else y,
                            np.full(len(unlabeled), marker, dtype=object if marker is None else y.dtype)])
    labelled = np.arange(len(frame)) < n_labelled
    return frame, roles, y, labelled


def resolve_teacher(spec, frame, y, labelled, *, text=None, cache_dir=".distilkit-cache", client=None,
                    backend="torch", embeddings=None):
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
    embeddings : str, default=None
        A ``probs:`` / ``logits:`` teacher's embedding columns (names or globs), for LELP.

    Returns
    -------
    TeacherSignal
        Its logits' columns in the order of the sorted labels (the student's classes).
    """
    labels = np.unique(y[labelled])
    if embeddings is not None and not output_kind(spec):
        raise DataError(f"teacher embeddings are given with a probs: or logits: teacher; teacher {spec!r} has its "
                        "own")
    if output_kind(spec):
        with located(f"teacher {spec}"):
            return _output_signal(spec, frame, labels, embeddings)
    head = LogisticRegression(max_iter=5000)
    if spec in PACKAGED_ENCODERS:
        texts = _teacher_texts(spec, frame, text)
        if backend == "onnx-int8" and spec not in INT8_ENCODERS:
            raise DataError(f"the int8 {spec} teacher is not offered: quantised, it lost more than half a point of "
                            "teacher accuracy (bench_teacher.py); use backend torch or onnx")
        embeddings = embed_texts(texts, encoder_id(spec, backend), cache_dir, client=client)
        return teacher_signal(head, embeddings, y, labelled)
    if spec.startswith("embeddings:"):
        return teacher_signal(head, feature_matrix(frame, embedding_columns(spec, frame)), y, labelled)
    if is_folder_teacher(spec):
        folder, kind = model_folder(spec)
        if backend != "torch":
            raise DataError(f"teacher {spec!r}: a model folder runs on torch only (backend {backend!r} is for the "
                            "packaged encoders)")
        texts = _teacher_texts(spec, frame, text)
        if kind == CLASSIFIER:
            # Checked before the encoding pass: a classifier of other classes cannot teach these labels.
            with located(f"teacher {spec}"):
                order = reorder_classes(classifier_labels(folder), labels)
            W, b = classifier_head(str(folder))
        embeddings = embed_texts(texts, str(folder), cache_dir, client=client,
                                 cache_name=f"folder-{folder_digest(folder)[:16]}")
        if kind != CLASSIFIER:
            return teacher_signal(head, embeddings, y, labelled)
        return signal_from_head(embeddings, W[order], b[order], labels)
    if spec.endswith(".dkm"):
        model, meta = read_model(spec)
        with located(f"teacher {spec}"):
            model = table_model(model, model_roles(meta))
            if hasattr(model[-1], "coef_"):
                signal = teacher_signal(model, frame, y, labelled)
            else:
                # Any classifier teaches by KD (table_model refused those without predict_proba):
                # its probabilities are its signal, it has no embedding.
                signal = TeacherSignal(logits_from_outputs(model.predict_proba(frame), "probs"),
                                       classes=np.asarray(model.classes_))
            return _in_label_order(signal, reorder_classes(signal.classes, labels))
    raise DataError(f"unknown teacher {spec!r}: use a packaged encoder ({', '.join(PACKAGED_ENCODERS)}), a "
                    "sentence-transformers model folder, embeddings:<columns>, probs:<columns>, logits:<columns> or "
                    "a .dkm model file")


def _teacher_texts(spec, frame, text):
    if text is None:
        raise DataError(f"teacher {spec!r} embeds a text column, and none is named (text)")
    if text not in frame.columns:
        raise DataError(f"text column {text!r} not found")
    return frame[text].tolist()


def _in_label_order(signal, order):
    """``signal`` with its classes (logits' columns, head rows) in the order ``order`` gives."""
    def take(values):
        return None if values is None else values[order]

    return TeacherSignal(signal.logits[:, order], signal.embeddings, take(signal.head_weights),
                         take(signal.head_bias), take(np.asarray(signal.classes)), signal.head)


def _output_signal(spec, frame, labels, embeddings):
    kind = output_kind(spec)
    mapping = output_columns(spec, frame)
    order = reorder_classes(list(mapping), labels)
    block = frame[[list(mapping.values())[index] for index in order]]
    for name, dtype in block.dtypes.items():
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise DataError(f"teacher {kind} column {name!r} is not numeric (dtype {dtype})")
    logits = logits_from_outputs(block.to_numpy(dtype=np.float64), kind)
    vectors = None
    if embeddings is not None:
        columns = match_columns([str(c) for c in frame.columns], _patterns(embeddings), "teacher embedding")
        vectors = feature_matrix(frame, columns).to_numpy()
    return TeacherSignal(logits, vectors, classes=labels)


def teacher_model(spec, signal, frame, *, text=None, backend="torch"):
    """The teacher as a table model that scores raw rows: its encoder (or embedding columns) and head.

    A packaged encoder is stored by name (its weights come from its package when the
    file is loaded), a model folder by its absolute path and the digest of its files (a
    file whose folder is gone or changed refuses to load), so the file holds only the head.

    Parameters
    ----------
    spec : str
        A packaged encoder name, a model folder or ``embeddings:<columns>`` (a ``.dkm``
        teacher is a model file already).
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

    check_savable_teacher(spec)
    if spec in PACKAGED_ENCODERS:
        features = ColumnTransformer([("text", SentenceEncoder(encoder_id(spec, backend)), text)])
        roles = [ColumnRole(text, "text", "str", f"{encoder_id(spec, backend)} sentence embedding (packaged "
                            "encoder, frozen)")]
    elif is_folder_teacher(spec):
        folder, kind = model_folder(spec)
        features = ColumnTransformer([("text", SentenceEncoder(str(folder)), text)])
        what = "classifier representation" if kind == CLASSIFIER else "sentence embedding"
        roles = [ColumnRole(text, "text", "str", f"{folder.name} {what} (model folder pinned by digest, frozen)")]
    else:
        columns = embedding_columns(spec, frame)
        features = ColumnTransformer([("embedding", "passthrough", columns)])
        roles = [ColumnRole(column, "numeric", "float64", "teacher embedding, as given") for column in columns]
    table = TableColumns(tuple(roles))
    # Fitting records the input columns only: the encoder is frozen and the head is fitted already.
    features.fit(table.fit_transform(frame.iloc[:1]))
    return Pipeline([(TABLE_STEP, table), (FEATURES_STEP, features), (ESTIMATOR_STEP, signal.head)])
