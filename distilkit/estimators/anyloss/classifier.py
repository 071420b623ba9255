"""AnyLossClassifier: a network trained directly on F1, G-mean, balanced accuracy, MCC..."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from distilkit.estimators.anyloss.confusion import METRICS
from distilkit.estimators.decision import positive_label, threshold_labels
from distilkit.estimators.neural.base import OPTIMIZERS, NeuralClassifierBase
from distilkit.sklearn_compat import Interval, StrOptions, _fit_context

#: Below this, BatchNorm statistics and the batch confusion matrix are too noisy.
MIN_BATCH_ROWS = 16


class AnyLossClassifier(NeuralClassifierBase):
    """A neural classifier trained on ``1 - metric`` of a soft confusion matrix.

    The AnyLoss method (Han, Moniz and Chawla, KDD 2024): predicted probabilities are
    amplified towards 0/1 by ``sigmoid(L (p - 0.5))``, the batch's confusion matrix is
    computed from them, and the network minimises one minus the chosen metric, so F1,
    G-mean or balanced accuracy is optimised directly on imbalanced data. See
    :class:`distilkit.estimators.anyloss.loss.AnyLoss` for the loss and its deviations from the
    authors' code (batch-size ``N``, ``eps`` guards, multi-class macro extension).
    With more than two classes, ``predict_proba`` is the one-vs-rest sigmoid outputs
    scaled to sum to 1.

    Parameters
    ----------
    metric : {"f1", "fbeta", "gmean", "balanced_accuracy", "accuracy", "mcc"} or callable, default="f1"
        The metric to optimise; a callable takes soft ``tp, fn, fp, tn`` tensors.
    beta : float, default=1.0
        Recall weight for ``metric="fbeta"``.
    amplifier : float, default=73.0
        The amplifying scale ``L`` (the paper's value; large values can make Adam
        collapse to a constant prediction -- 30 is a steadier choice).
    loss : {"anyloss", "bce"}, default="anyloss"
        ``"bce"`` trains the same network with (binary) cross-entropy instead -- the
        paper's baseline; ``metric``, ``beta``, ``amplifier`` and ``eps`` are then unused.
    class_weight : {"balanced"}, dict or None, default=None
        With ``loss="bce"``: weights of the classes in the cross-entropy (``"balanced"``:
        inversely proportional to their frequency -- weighted BCE). Unused by AnyLoss,
        whose metric already sets the trade-off between the classes.
    hidden_layer_sizes : tuple of int, default=()
        ``()`` is the paper's single-layer net, ``(2,)`` its small MLP (BatchNorm + sigmoid).
    batch_size : float in (0, 1] or int, default=0.05
        A float is a fraction of the training rows (the paper uses 5%), an int a number
        of rows (``1`` is one row, not all of them); at least 16 rows (or all of them).
    max_epochs : int, default=50
        Passes over the training rows.
    lr : float, default=0.01
        Learning rate of the optimizer.
    optimizer : {"adam", "adamw", "sgd"}, default="adam"
        The torch optimizer.
    threshold : float, default=0.5
        Binary problems predict the positive class when its probability reaches this.
    stratified_batches : bool, default=True
        Give every mini-batch the class mix of the training data, so no batch lacks
        the minority class.
    eps : float, default=1e-7
        Guard on every denominator of the metric.
    standardize : bool, default=True
        Z-standardise the features with the training mean and standard deviation
        before the network (as the paper does); the statistics are kept in
        ``feature_mean_`` and ``feature_scale_`` and applied at prediction.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation and batch order.
    n_threads : int or None, default=1
        torch threads during fit/predict (None leaves torch's setting alone).
    **routed_params
        skorch parameters routed by prefix, e.g. ``optimizer__weight_decay=1e-4``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    feature_mean_, feature_scale_ : ndarray of shape (n_features_in_,)
        Standardisation statistics (when ``standardize=True``).
    net_ : skorch.NeuralNet
        The trained network.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.
    decision_rule : tuple (float, label) or None
        ``(threshold, positive label)`` of a binary model's :meth:`predict`; None with
        more classes.
    optimised_metric : tuple (str, float) or None
        ``(metric, beta)`` when trained on a named metric (``loss="anyloss"``), so
        evaluation can report it; None otherwise.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from distilkit.estimators.anyloss.classifier import AnyLossClassifier
    >>> X, y = make_classification(400, weights=[0.9], random_state=0)
    >>> clf = AnyLossClassifier(metric="f1", amplifier=30, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: dict = {
        "metric": [StrOptions(set(METRICS)), callable],
        "beta": [Interval(Real, 0, None, closed="neither")],
        "amplifier": [Interval(Real, 0, None, closed="neither")],
        "loss": [StrOptions({"anyloss", "bce"})],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "hidden_layer_sizes": [tuple, list],
        "batch_size": [Interval(Real, 0, 1, closed="right"), Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "threshold": [Interval(Real, 0, 1, closed="both")],
        "stratified_batches": ["boolean"],
        "eps": [Interval(Real, 0, None, closed="neither")],
        "standardize": ["boolean"],
        "random_state": ["random_state"],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        metric="f1",
        beta=1.0,
        amplifier=73.0,
        loss="anyloss",
        class_weight=None,
        hidden_layer_sizes=(),
        batch_size=0.05,
        max_epochs=50,
        lr=0.01,
        optimizer="adam",
        threshold=0.5,
        stratified_batches=True,
        eps=1e-7,
        standardize=True,
        random_state=None,
        n_threads=1,
        **routed_params,
    ):
        self.metric = metric
        self.beta = beta
        self.amplifier = amplifier
        self.loss = loss
        self.class_weight = class_weight
        self.hidden_layer_sizes = hidden_layer_sizes
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.lr = lr
        self.optimizer = optimizer
        self.threshold = threshold
        self.stratified_batches = stratified_batches
        self.eps = eps
        self.standardize = standardize
        self.random_state = random_state
        self.n_threads = n_threads
        self._set_routed_params(routed_params)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : object
        """
        self._fit_net(X, y)
        if self.loss == "anyloss":
            self._warn_on_collapse(X)
        return self

    def _warn_on_collapse(self, X):
        """AnyLoss can settle on one class for every row (the paper notes it at large amplifiers): say so."""
        predicted = np.unique(self.predict(X))
        if len(predicted) == 1:
            warnings.warn(f"AnyLossClassifier predicts {predicted.tolist()[0]!r} for every training row: the "
                          f"{self.metric} surrogate collapsed to one class; try a smaller amplifier (now "
                          f"{self.amplifier}), a larger batch_size, or loss='bce'", UserWarning, stacklevel=3)

    def train_batch_rows(self, n_samples):
        """Rows per training mini-batch for a training set of ``n_samples`` rows."""
        if isinstance(self.batch_size, Integral) and not isinstance(self.batch_size, bool):
            rows = int(self.batch_size)
        else:
            rows = int(round(float(self.batch_size) * n_samples))
        return min(n_samples, max(rows, MIN_BATCH_ROWS))

    def _build_net(self, n_features, n_classes, y, seed):
        from distilkit.estimators.neural.modules import (
            AnyLossNetwork,
            normalized_sigmoids,
            softmax_rows,
        )

        return self._skorch_net(
            y,
            seed,
            stratify=self.stratified_batches,
            module=AnyLossNetwork,
            module__n_features=n_features,
            module__n_classes=n_classes,
            module__hidden_layer_sizes=tuple(self.hidden_layer_sizes),
            **self._criterion(n_classes, y),
            # Multi-class AnyLoss trains one-vs-rest sigmoids (see AnyLoss); BCE a softmax.
            predict_nonlinearity=normalized_sigmoids
            if self.loss == "anyloss" and n_classes > 2
            else softmax_rows,
        )

    def _criterion(self, n_classes, y):
        import torch

        from distilkit.estimators.anyloss.loss import AnyLoss

        if self.loss == "anyloss":
            return {"criterion": AnyLoss, "criterion__metric": self.metric, "criterion__beta": self.beta,
                    "criterion__amplifier": self.amplifier, "criterion__eps": self.eps}
        weight = None
        if self.class_weight is not None and y is not None:
            weights = compute_class_weight(self.class_weight, classes=self.classes_, y=self.classes_[y])
            weight = torch.tensor(weights, dtype=torch.float32)
        return {"criterion": torch.nn.CrossEntropyLoss, "criterion__weight": weight}

    @property
    def optimised_metric(self):
        """``(metric, beta)`` the network is trained on, or None (cross-entropy, or a callable metric).

        Evaluation reports this metric of the predicted labels next to the usual ones.
        """
        if self.loss != "anyloss" or not isinstance(self.metric, str):
            return None
        return self.metric, self.beta

    @property
    def decision_rule(self):
        """``(threshold, positive label)`` that :meth:`predict` applies to a fitted binary model, else None.

        None (more classes) means the most probable class.
        """
        if len(self.classes_) != 2:
            return None
        return float(self.threshold), positive_label(self.classes_)

    def _labels_from_proba(self, proba):
        rule = self.decision_rule
        if rule is not None:
            return threshold_labels(proba, self.classes_, *rule)
        return super()._labels_from_proba(proba)
