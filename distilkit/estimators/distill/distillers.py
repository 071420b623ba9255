"""Knowledge distillation students: Hinton KD and LELP pseudo-subclass distillation.

Both train the same skorch-backed student (an MLP, or a linear model with
``hidden_layer_sizes=()``) on soft targets from a teacher; label-only training is the
same student with ``alpha=1``. The teacher signal is given to ``fit`` -- as arrays
(``teacher_logits``, ``teacher_embeddings``, ``teacher_head``), which metadata
routing carries through ``Pipeline`` and ``GridSearchCV`` -- or as a scikit-learn
``teacher`` estimator that sees ``teacher_X`` (by default the student's own ``X``).
Rows labelled ``-1`` (``None`` for string labels, or ``y=None``) are an unlabelled transfer set: with
``alpha=0`` they are distilled like any other row.
"""

from functools import partial
from numbers import Integral, Real

import numpy as np
from scipy.special import softmax
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from distilkit.estimators.distill import targets as lelp
from distilkit.estimators.distill.teachers import (
    TeacherSignal,
    is_fitted,
    linear_head,
    teacher_signal,
)
from distilkit.estimators.docstrings import Substitution
from distilkit.estimators.neural.base import OPTIMIZERS, NeuralClassifierBase
from distilkit.exceptions import DataError
from distilkit.sklearn_compat import HasMethods, Interval, StrOptions, _fit_context

__all__ = ["KDDistiller", "LELPDistiller"]


_STUDENT_PARAMETERS = """    teacher : estimator, default=None
        A linear classifier or a ``Pipeline`` ending in one (see
        :mod:`distilkit.estimators.distill.teachers`), used when ``fit`` gets no teacher arrays; an
        unfitted teacher is fitted on the labelled rows first.
    temperature : float, default=1.0
        The KD temperature ``tau`` of the teacher's class probabilities (and of the
        student's logits in the soft term).
    alpha : float in [0, 1], default=0.0
        Weight of the cross-entropy with the labels; ``0`` is pure distillation (the
        LELP paper's setting), ``1`` trains on labels only (the teacher is not used).
    hidden_layer_sizes : tuple of int, default=(128,)
        Hidden ReLU layers of the student; ``()`` is a linear student.
    embedding_dim : int or None, default=None
        A first layer of this width without bias or activation: one vector per input
        feature, so a row of token weights (:class:`~distilkit.features.tokens.TokenBag`)
        becomes the mean of its tokens' vectors -- a static embedding, trained with the
        rest (initialised from ``student_embedding`` when ``fit`` gets one). Its
        gradient holds only the rows of a batch's tokens: ``optimizer="adam"`` and
        ``"adamw"`` update it with ``torch.optim.SparseAdam`` (no weight decay), ``"sgd"``
        with plain SGD. None: no such layer.
    max_epochs : int, default=30
        Passes over the training rows.
    lr : float, default=1e-3
        Learning rate of the optimizer.
    batch_size : int, default=128
        Rows per gradient step.
    optimizer : {"adam", "adamw", "sgd"}, default="adam"
        The torch optimizer.
    standardize : bool, default=True
        Z-standardise the student's features with the training statistics.
    random_state : int, RandomState instance or None, default=None
        Seeds the network, the batches and (LELP) the random rotations.
    n_threads : int or None, default=1
        torch threads during fit/predict.
    **routed_params
        skorch parameters routed by prefix, e.g. ``optimizer__weight_decay=1e-4``."""

_FIT_PARAMETERS = """        X : array-like of shape (n_samples, n_features)
            The student's features.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (numeric labels) or ``None`` (object labels) marks an
            unlabelled row, and ``y=None`` makes every row unlabelled. Needed when ``alpha > 0`` or when an unfitted
            ``teacher`` must be fitted.
        teacher_logits : array-like of shape (n_samples, n_classes) or (n_samples,), default=None
            The teacher's logits, columns in sorted label order; a 1-D array is a binary
            ``decision_function`` (the logit of the second class). Must be finite.
        teacher_embeddings : array-like of shape (n_samples, n_dims), default=None
            The teacher's final-layer embeddings.
        teacher_head : tuple (W, b), default=None
            The teacher's linear head; with ``teacher_embeddings`` it gives the logits.
        teacher_X : array-like, default=None
            The ``teacher`` estimator's input rows when it differs from ``X`` (e.g. the
            texts while the student sees TF-IDF features).
        student_embedding : array-like of shape (n_features, embedding_dim), default=None
            Initial vectors of the ``embedding_dim`` layer (e.g. token vectors distilled
            from the teacher's encoder, :mod:`distilkit.encoders.static`); default: random."""


class _Distiller(NeuralClassifierBase):
    """Shared student machinery; subclasses define ``_n_subclasses()`` and ``_soft_targets``."""

    #: A student: trained from a teacher's logits or embeddings, which a labelled table alone does not give.
    learns_from_teacher = True

    _parameter_constraints: dict = {
        "teacher": [HasMethods(["fit"]), None],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "hidden_layer_sizes": [tuple, list],
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), None],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "standardize": ["boolean"],
        "random_state": ["random_state"],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, *, teacher=None, temperature=1.0, alpha=0.0, hidden_layer_sizes=(128,), embedding_dim=None,
                 max_epochs=30, lr=1e-3, batch_size=128, optimizer="adam", standardize=True, random_state=None,
                 n_threads=1, **routed_params):
        self.teacher = teacher
        self.temperature = temperature
        self.alpha = alpha
        self.hidden_layer_sizes = hidden_layer_sizes
        self.embedding_dim = embedding_dim
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.standardize = standardize
        self.random_state = random_state
        self.n_threads = n_threads
        self._set_routed_params(routed_params)

    def _labels(self, X, y):
        """Validated ``X`` and the label array with its labelled-row mask."""
        if y is None:
            X = validate_data(self, X, dtype=[np.float32, np.float64], accept_sparse="csr")
            return X, None, np.zeros(X.shape[0], dtype=bool)
        X, y = validate_data(self, X, y, dtype=[np.float32, np.float64], accept_sparse="csr")
        if y.dtype.kind in "iuf":
            labelled = y != -1
        else:
            labelled = np.array([label is not None for label in y.tolist()], dtype=bool)
        if labelled.any():
            check_classification_targets(y[labelled])
        return X, y, labelled

    def _teacher_signal(self, n_samples, y, labelled, X, teacher_logits, teacher_embeddings, teacher_head,
                        teacher_X):
        if teacher_logits is not None or teacher_embeddings is not None:
            embeddings = None if teacher_embeddings is None else np.asarray(teacher_embeddings)
            W = None if teacher_head is None else linear_head(*teacher_head)
            if teacher_logits is not None:
                logits = np.asarray(teacher_logits, dtype=np.float64)
                if logits.ndim == 1:
                    # scikit-learn's binary decision_function: the positive class's logit.
                    logits = np.column_stack([-logits / 2, logits / 2])
            elif W is not None:
                logits = embeddings @ W[0].T + W[1]
            else:
                raise DataError("teacher_embeddings need teacher_logits or teacher_head=(W, b) to give logits")
            signal = TeacherSignal(logits, embeddings, *(W or (None, None)))
        elif self.teacher is not None:
            has_labels = y is not None and labelled.any()
            if not has_labels and not is_fitted(self.teacher):
                raise DataError(f"{type(self).__name__} requires y to be passed, but the target y is None "
                                 "(an unfitted teacher must be fitted on labels)")
            signal = teacher_signal(self.teacher, X if teacher_X is None else teacher_X,
                                    y if has_labels else None, labelled)
        else:
            raise DataError(f"{type(self).__name__} needs a teacher: pass teacher_logits= (and teacher_embeddings= "
                             "for LELP) to fit, or set teacher= to a linear-head estimator")
        for name, values in (("teacher_logits", signal.logits), ("teacher_embeddings", signal.embeddings)):
            if values is None:
                continue
            if values.ndim != 2 or len(values) != n_samples:
                raise DataError(f"{name} must have one row per sample ({n_samples}); got shape {values.shape}")
            finite = np.isfinite(values).all(axis=1)
            if not finite.all():
                raise DataError(f"{name} hold NaN or infinite values ({int((~finite).sum())} row(s), first at "
                                 f"row {int(np.argmin(finite))}): a student would learn nothing from them")
        return signal

    @staticmethod
    def _classes(y, labelled, signal):
        """The student's classes: the teacher's when it names them (its logits' columns), else the labels'.

        Classes are matched by value, never by position: every label must be one of
        the teacher's classes.
        """
        labels = np.unique(y[labelled]) if labelled.any() else None
        if signal is None or signal.classes is None:
            return labels if labels is not None else np.arange(signal.logits.shape[1])
        teacher_classes = np.asarray(signal.classes)
        if labels is not None:
            known = set(teacher_classes.tolist())
            unknown = [label for label in labels.tolist() if label not in known]
            if unknown:
                shown = ", ".join(map(repr, unknown[:5]))
                raise DataError(f"label(s) {shown} are not among the teacher's classes "
                                 f"{teacher_classes.tolist()[:10]!r}: a teacher can only be distilled into "
                                 "the classes it scores")
        return teacher_classes

    @Substitution(fit_parameters=_FIT_PARAMETERS)
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, *, teacher_logits=None, teacher_embeddings=None, teacher_head=None, teacher_X=None,
            student_embedding=None):
        """Distil the teacher into the student.

        Parameters
        ----------
%(fit_parameters)s

        Returns
        -------
        self : object
        """
        return self._fit_student(X, y, teacher_logits, teacher_embeddings, teacher_head, teacher_X,
                                 student_embedding)

    def _fit_student(self, X, y, teacher_logits, teacher_embeddings, teacher_head, teacher_X, student_embedding,
                     **target_options):
        self._check_routed_params()
        X, y, labelled = self._labels(X, y)
        self._initial_embedding = self._checked_embedding(student_embedding, X.shape[1])
        if self.alpha > 0 and not labelled.any():
            raise DataError(f"{type(self).__name__} with alpha={self.alpha} requires y to be passed, but the target "
                             "y is None (or every label is -1)")
        signal = None
        if self.alpha < 1:
            signal = self._teacher_signal(X.shape[0], y, labelled, X, teacher_logits, teacher_embeddings,
                                          teacher_head, teacher_X)
        self.classes_ = self._classes(y, labelled, signal)
        if len(self.classes_) < 2:
            raise DataError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                f"but the data contains only one class: {self.classes_[0]!r}"
            )
        if signal is not None and signal.logits.shape[1] != len(self.classes_):
            raise DataError(f"the teacher scores {signal.logits.shape[1]} classes but the labels have "
                             f"{len(self.classes_)}")
        codes = np.full(X.shape[0], -1, dtype=np.int64)
        if labelled.any():
            index = {label: code for code, label in enumerate(self.classes_.tolist())}
            codes[labelled] = [index[label] for label in y[labelled].tolist()]
        n_outputs = len(self.classes_) * self._n_subclasses()
        soft = np.zeros((X.shape[0], n_outputs)) if signal is None else self._soft_targets(signal, codes,
                                                                                        **target_options)
        targets = np.column_stack([soft, codes]).astype(np.float32)
        if self.alpha == 1:
            # Trained on labels only, unlabelled rows would only make empty batches.
            X, codes, targets = X[labelled], codes[labelled], targets[labelled]
        try:
            return self._train_net(X, codes, targets)
        finally:
            del self._initial_embedding

    def _checked_embedding(self, embedding, n_features):
        if embedding is None:
            return None
        embedding = np.asarray(embedding, dtype=np.float32)
        if self.embedding_dim is None or embedding.shape != (n_features, self.embedding_dim):
            raise DataError(f"student_embedding must have shape (n_features, embedding_dim) = ({n_features}, "
                            f"{self.embedding_dim}); got {embedding.shape}")
        if not np.isfinite(embedding).all():
            raise DataError("student_embedding holds NaN or infinite values")
        return embedding

    def train_batch_rows(self, n_samples):
        """Rows per training mini-batch (``batch_size``)."""
        return self.batch_size

    def _build_net(self, n_features, n_classes, y, seed):
        from distilkit.estimators.distill.loss import (
            DistillationLoss,
            class_proba_from_subclasses,
        )
        from distilkit.estimators.neural.modules import StudentMLP

        n_subclasses = self._n_subclasses()
        return self._skorch_net(
            y,
            seed,
            module=StudentMLP,
            module__n_features=n_features,
            module__n_outputs=n_classes * n_subclasses,
            module__hidden_layer_sizes=tuple(self.hidden_layer_sizes),
            module__embedding_dim=self.embedding_dim,
            criterion=DistillationLoss,
            criterion__n_subclasses=n_subclasses,
            criterion__temperature=self.temperature,
            criterion__alpha=self.alpha,
            predict_nonlinearity=partial(class_proba_from_subclasses, n_subclasses=n_subclasses),
            initial_embedding=getattr(self, "_initial_embedding", None),
        )


@Substitution(student_parameters=_STUDENT_PARAMETERS)
class KDDistiller(_Distiller):
    """Hinton knowledge distillation into a small student.

    The student matches the teacher's class probabilities at temperature ``tau``
    (soft cross-entropy, scaled by ``tau^2``), optionally mixed with the labels.

    Parameters
    ----------
%(student_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    net_ : skorch.NeuralNet
        The trained student.
    feature_mean_, feature_scale_ : ndarray of shape (n_features_in_,)
        Standardisation statistics (when ``standardize=True``).
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from distilkit.estimators.distill.distillers import KDDistiller
    >>> X, y = make_classification(300, random_state=0)
    >>> teacher = LogisticRegression().fit(X, y)
    >>> logits = teacher.decision_function(X)[:, None] * [-0.5, 0.5]   # binary head as two logits
    >>> student = KDDistiller(temperature=2.0, random_state=0).fit(X, teacher_logits=logits)
    >>> float((student.predict(X) == teacher.predict(X)).mean()) > 0.9
    True
    """

    def _n_subclasses(self):
        return 1

    def _soft_targets(self, signal, codes):
        return softmax(signal.logits / self.temperature, axis=1)


@Substitution(student_parameters=_STUDENT_PARAMETERS)
class LELPDistiller(_Distiller):
    """LELP: distillation through pseudo-subclasses of the teacher's embedding.

    Loo et al. (arXiv:2409.20449). For every class, the top ``S`` principal directions
    of the teacher's final-layer embeddings -- in the null space of the teacher head
    and randomly rotated -- split the class into ``S`` soft pseudo-subclasses; the
    student has ``C * S`` outputs, learns the target
    ``p[c, s] = p_c(tau) * softmax_s(z[c, s] / beta)``, and predicts a class's
    probability as the sum over its subclasses. ``n_subclasses=1`` is exactly
    :class:`KDDistiller`.

    Parameters
    ----------
    n_subclasses : int, default=4
        ``S``, pseudo-subclasses per class.
    subclass_temperature : float, default=1.0
        ``beta``; larger values make the subclass split more uniform.
    null_space : bool, default=True
        Take the directions in the null space of the teacher head (which ordinary KD
        already transmits). Needs the head: ``teacher_head``, a ``teacher`` estimator,
        or ``teacher_logits`` (the head is then recovered by least squares on the
        embeddings, exact for a linear head).
    rotate : bool, default=True
        Randomly rotate each class's directions (equal variance in expectation).
    center : bool, default=True
        Measure coordinates from the class mean.
    scale_coordinates : bool, default=True
        Divide each coordinate by its standard deviation over the class's rows, so
        that ``beta`` means the same for any teacher (not in the paper, whose ``beta``
        is tuned per teacher; False reproduces it).
    subclasses : {"principal", "random", "kmeans"}, default="principal"
        How a class is split: along its top principal directions (LELP), along random
        directions (the paper's random-projection baseline), or by soft K-means
        clusters of its embeddings (the paper's K-means baseline), so that the three
        are compared with the same student, targets and temperatures.
    group_by : {"label", "teacher"}, default="label"
        Which rows make up a class when finding its directions: labelled rows by
        their label (unlabelled ones by the teacher's prediction), or every row by
        the teacher's prediction.
%(student_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    subclass_means_ : ndarray of shape (n_classes, n_dims) or None
        Class means of the projected teacher embeddings (None for ``subclasses="kmeans"``).
    subclass_directions_ : ndarray of shape (n_classes, n_dims, n_subclasses) or None
        The (rotated) directions of each class (None for ``subclasses="kmeans"``).
    net_ : skorch.NeuralNet
        The trained student, with ``n_classes * n_subclasses`` outputs.
    feature_mean_, feature_scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from distilkit.estimators.distill.distillers import LELPDistiller
    >>> X, digit = load_digits(return_X_y=True)
    >>> y = digit %% 2                                   # odd vs even: real subclasses exist
    >>> teacher = LogisticRegression(max_iter=2000).fit(X, y)
    >>> student = LELPDistiller(n_subclasses=4, teacher=teacher, random_state=0).fit(X[:, ::2], teacher_X=X)
    >>> student.subclass_directions_.shape, student.predict_proba(X[:3, ::2]).shape
    ((2, 64, 4), (3, 2))
    """

    _parameter_constraints: dict = {
        **_Distiller._parameter_constraints,
        "n_subclasses": [Interval(Integral, 1, None, closed="left")],
        "subclass_temperature": [Interval(Real, 0, None, closed="neither")],
        "null_space": ["boolean"],
        "rotate": ["boolean"],
        "center": ["boolean"],
        "scale_coordinates": ["boolean"],
        "group_by": [StrOptions({"label", "teacher"})],
        "subclasses": [StrOptions({"principal", "random", "kmeans"})],
    }

    def __init__(self, n_subclasses=4, *, subclass_temperature=1.0, null_space=True, rotate=True, center=True,
                 scale_coordinates=True, group_by="label", subclasses="principal", teacher=None, temperature=1.0,
                 alpha=0.0, hidden_layer_sizes=(128,), embedding_dim=None, max_epochs=30, lr=1e-3, batch_size=128,
                 optimizer="adam", standardize=True, random_state=None, n_threads=1, **routed_params):
        self.n_subclasses = n_subclasses
        self.subclasses = subclasses
        self.subclass_temperature = subclass_temperature
        self.null_space = null_space
        self.rotate = rotate
        self.center = center
        self.scale_coordinates = scale_coordinates
        self.group_by = group_by
        super().__init__(teacher=teacher, temperature=temperature, alpha=alpha, hidden_layer_sizes=hidden_layer_sizes,
                         embedding_dim=embedding_dim, max_epochs=max_epochs, lr=lr, batch_size=batch_size,
                         optimizer=optimizer, standardize=standardize, random_state=random_state, n_threads=n_threads, **routed_params)

    @Substitution(fit_parameters=_FIT_PARAMETERS)
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, *, teacher_logits=None, teacher_embeddings=None, teacher_head=None, teacher_X=None,
            student_embedding=None, subclass_coordinates=None):
        """Distil the teacher into the student.

        Parameters
        ----------
%(fit_parameters)s
        subclass_coordinates : array-like of shape (n_samples, n_classes, n_subclasses), default=None
            Replace the teacher-embedding coordinates ``z`` (used as given: no null
            space, rotation or scaling) -- for controls such as random or oracle splits.

        Returns
        -------
        self : object
        """
        return self._fit_student(X, y, teacher_logits, teacher_embeddings, teacher_head, teacher_X,
                                 student_embedding, subclass_coordinates=subclass_coordinates)

    def _n_subclasses(self):
        return self.n_subclasses

    def _soft_targets(self, signal, codes, subclass_coordinates=None):
        if subclass_coordinates is not None:
            z = np.asarray(subclass_coordinates, dtype=np.float64)
            expected = (len(signal.logits), len(self.classes_), self.n_subclasses)
            if z.shape != expected:
                raise DataError(f"subclass_coordinates must have shape {expected}; got {z.shape}")
            return lelp.pseudo_subclass_targets(signal.logits, z, temperature=self.temperature,
                                           subclass_temperature=self.subclass_temperature)
        if signal.embeddings is None:
            raise DataError("LELPDistiller needs the teacher's embeddings: pass teacher_embeddings= to fit, "
                             "or use a teacher estimator")
        embeddings = signal.embeddings
        n_classes = len(self.classes_)
        row_basis = None
        if self.null_space:
            head = signal.head_weights
            if head is None:
                # A linear head is recovered exactly from its logits (bias column included).
                design = np.column_stack([embeddings, np.ones(len(embeddings))])
                head = np.linalg.lstsq(design, signal.logits, rcond=None)[0][:-1].T
            row_basis = lelp.head_row_space(head)
        predicted = signal.logits.argmax(axis=1)
        groups = np.where(codes >= 0, codes, predicted) if self.group_by == "label" else predicted
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        try:
            if self.subclasses == "kmeans":
                z = lelp.cluster_coordinates(embeddings, groups, n_classes, self.n_subclasses, row_basis=row_basis,
                                             random_state=seed)
                means = directions = None
            else:
                means, directions = lelp.class_subspaces(embeddings, groups, n_classes, self.n_subclasses,
                                                         row_basis=row_basis, rotate=self.rotate,
                                                         rng=np.random.default_rng(seed), kind=self.subclasses)
                z = lelp.subclass_coordinates(embeddings, means, directions, center=self.center)
        except ValueError as exc:
            raise DataError(f"{exc} (teacher embeddings have {embeddings.shape[1]} feature(s))") from None
        if self.scale_coordinates:
            spread = np.stack([z[groups == c, c].std(axis=0) for c in range(n_classes)])
            z = z / np.where(spread > 0, spread, 1.0)[None]
        self.subclass_means_, self.subclass_directions_ = means, directions
        return lelp.pseudo_subclass_targets(signal.logits, z, temperature=self.temperature,
                                       subclass_temperature=self.subclass_temperature)
