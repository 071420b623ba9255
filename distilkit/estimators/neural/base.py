"""The scikit-learn shell shared by distilkit's skorch-backed classifiers.

A raw skorch ``NeuralNetClassifier`` fails most of scikit-learn's estimator checks
(float64 input, labels that are not ``0..K-1``, a hidden unshuffled 20% validation
split, float32 probabilities). Here skorch is wrapped instead: ``fit`` validates,
label-encodes, casts to float32/int64, seeds torch from ``random_state`` and builds the
skorch net into ``net_`` with ``train_split=None``; prediction returns ``classes_``
values and float64 probabilities.

skorch's double-underscore routing is kept: keyword arguments starting with
``module__``, ``optimizer__``, ``criterion__``, ``iterator_train__``,
``iterator_valid__`` or ``callbacks__`` are constructor parameters too (so
``GridSearchCV`` can tune them) and are passed to the skorch net unchanged.
"""

from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from distilkit.estimators.neural.threads import torch_threads
from distilkit.estimators.standardization import standardization
from distilkit.exceptions import DataError, first_line

#: ``optimizer`` parameter values -> ``torch.optim`` class names.
OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD"}

ROUTED_PREFIXES = ("module__", "optimizer__", "criterion__", "iterator_train__", "iterator_valid__", "callbacks__")
#: Routed parameters a saved estimator may carry: they shape the network or its training,
#: never how prediction runs (no data-loader workers, no callbacks).
PERSISTED_PREFIXES = ("module__", "optimizer__", "criterion__")
_WEIGHTS = "module_weights_"


class NeuralClassifierBase(ClassifierMixin, BaseEstimator):
    """Base class: subclasses define ``_build_net(n_features, n_classes, y, seed)`` (usually
    through :meth:`_skorch_net`), ``train_batch_rows(n_samples)``, and the parameters
    ``random_state``, ``n_threads``, ``standardize``, ``optimizer``, ``lr`` and ``max_epochs``."""

    #: Routed parameters that a saved (and a command-line) estimator may carry.
    persisted_prefixes = PERSISTED_PREFIXES

    def _set_routed_params(self, routed):
        # Stored unchecked, like every sklearn parameter; fit() validates the prefixes.
        for key, value in routed.items():
            setattr(self, key, value)

    def _routed_params(self):
        names = set(self._get_param_names())
        return {
            k: v for k, v in vars(self).items() if k not in names and not k.endswith("_") and not k.startswith("_")
        }

    def _check_routed_params(self):
        for key in self._routed_params():
            if not key.startswith(ROUTED_PREFIXES):
                raise DataError(
                    f"{type(self).__name__} got an unexpected parameter {key!r} "
                    f"(routed parameters start with one of {', '.join(ROUTED_PREFIXES)})"
                )

    def _check_routed_against(self, module, own):
        """Refuse routed parameters the estimator sets itself, or that its network does not take."""
        import inspect

        for key in self._routed_params():
            if key in own:
                raise DataError(f"{type(self).__name__} sets {key!r} itself (from the data and its own "
                                "parameters): it cannot be given")
            if key.startswith("module__") and module is not None:
                takes = [name for name in inspect.signature(module).parameters if f"module__{name}" not in own]
                if key[len("module__"):] not in takes:
                    raise DataError(f"{type(self).__name__}: its network {module.__name__} has no parameter "
                                    f"{key[len('module__'):]!r} to route (it takes: {', '.join(takes) or 'none'})")

    def get_params(self, deep=True):
        return {**super().get_params(deep=deep), **self._routed_params()}

    def set_params(self, **params):
        valid = set(self._get_param_names())
        routed = {k: params.pop(k) for k in list(params) if k not in valid and k.startswith(ROUTED_PREFIXES)}
        self._set_routed_params(routed)
        return super().set_params(**params)

    def _fit_net(self, X, y):
        """Validate and encode, then train a fresh skorch net on float32/int64 arrays."""
        self._check_routed_params()
        X, y = validate_data(self, X, y, dtype=[np.float32, np.float64])
        check_classification_targets(y)
        self.classes_, y_encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise DataError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                f"but the data contains only one class: {self.classes_[0]!r}"
            )
        return self._train_net(X, y_encoded, y_encoded.astype(np.int64))

    def _train_net(self, X, batch_labels, targets):
        """Seed, standardise and train a fresh net on ``targets`` (``classes_`` already set).

        ``batch_labels`` (class indices, or None) stratify the mini-batches.
        """
        self._check_hyperparameters()
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        if self.standardize and sparse.issparse(X):
            raise DataError(f"{type(self).__name__}: standardize=True centres the features, which sparse input "
                            "cannot keep: use standardize=False")
        if self.standardize:
            # Constant features are centred but not scaled (the ordinal models' rule too).
            self.feature_mean_, self.feature_scale_ = standardization(X)
        import torch

        # fork_rng: the seed applies to this fit only; the caller's torch RNG state is restored.
        with torch_threads(self.n_threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.net_ = self._build_net(X.shape[1], len(self.classes_), batch_labels, seed)
            try:
                self.net_.fit(self._network_input(X), targets)
            except RuntimeError as exc:  # torch's own checks, e.g. an lr float32 cannot hold
                raise DataError(f"{type(self).__name__} training failed: {first_line(exc)}") from exc
        # skorch swallows a KeyboardInterrupt and returns a half-trained net as if fitted: an epoch
        # missing its train_loss is one that did not finish, so the interruption is raised again.
        finished = sum("train_loss" in epoch for epoch in self.net_.history)
        if finished < self.max_epochs:
            del self.net_
            raise KeyboardInterrupt(f"training interrupted after {finished} of {self.max_epochs} epochs")
        if not all(bool(torch.isfinite(p).all()) for p in self.net_.module_.parameters()):
            raise DataError(f"{type(self).__name__} training diverged: the network's weights are not finite "
                             f"(lr={self.lr!r}; try a smaller lr or standardize=True)")
        return self

    def _check_hyperparameters(self):
        """What ``_parameter_constraints`` cannot say: counts are not booleans, layer sizes are positive integers."""
        for name in ("max_epochs", "batch_size", "n_threads"):
            value = getattr(self, name, None)
            if isinstance(value, bool):
                raise DataError(f"The '{name}' parameter of {type(self).__name__} must be a number, got {value!r}.")
        sizes = self.hidden_layer_sizes
        if not all(isinstance(size, Integral) and not isinstance(size, bool) and size >= 1 for size in sizes):
            raise DataError(f"The 'hidden_layer_sizes' parameter of {type(self).__name__} must hold positive "
                             f"integers, got {list(sizes)!r}.")

    def _skorch_net(self, y, seed, *, stratify=False, **net_params):
        """The index-batched skorch net every subclass builds in ``_build_net``.

        ``self.optimizer``, ``lr`` and ``max_epochs``, no validation split, the routed
        parameters; when training on ``y``, shuffled mini-batches of
        ``self.train_batch_rows(len(y))`` rows, stratified by ``y`` if asked.
        """
        import torch

        from distilkit.estimators.neural.batching import BatchIndexSampler
        from distilkit.estimators.neural.net import IndexBatchedNet

        training = {}
        if y is not None:
            sampler = BatchIndexSampler(len(y), self.train_batch_rows(len(y)), y=y if stratify else None, seed=seed)
            training = {"iterator_train__batch_size": None, "iterator_train__sampler": sampler}
        self._check_routed_against(net_params.get("module"), {**net_params, **training})
        if self.optimizer != "sgd" and "optimizer__fused" not in self._routed_params():
            # One fused kernel per step instead of a pass per tensor and operation: 16x faster on a
            # (vocabulary x 256) first layer, e.g. the sparse TF-IDF student's.
            net_params = {**net_params, "optimizer__fused": True}
        return IndexBatchedNet(
            optimizer=getattr(torch.optim, OPTIMIZERS[self.optimizer]),
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=4096,
            train_split=None,
            verbose=0,
            **net_params,
            **training,
            **self._routed_params(),
        )

    def _network_input(self, X):
        """float32 rows for the network (sparse ones stay sparse), standardised with the training statistics if
        asked."""
        if self.standardize and not sparse.issparse(X):
            return ((X - self.feature_mean_) / self.feature_scale_).astype(np.float32)
        return X.astype(np.float32)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            float64, columns in the order of ``classes_``, rows summing to 1.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float32, np.float64],
                          accept_sparse="csr" if not self.standardize else False)
        import torch

        # fork_rng: a DataLoader iterator draws its seed from torch's global RNG, even unshuffled.
        with torch_threads(self.n_threads), torch.random.fork_rng(devices=[]):
            proba = self.net_.predict_proba(self._network_input(X)).astype(np.float64)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Predicted class labels (values of ``classes_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._labels_from_proba(self.predict_proba(X))

    def _labels_from_proba(self, proba):
        return self.classes_[proba.argmax(axis=1)]

    # -- persistence: the network's weights as plain arrays, never a pickled torch object --
    def __getstate__(self):
        """The estimator's state with the network replaced by its weights as numpy arrays.

        pickle, joblib and skops (model files) all go through this, so a saved
        estimator holds no torch object: :meth:`__setstate__` rebuilds the network.
        """
        transient = [key for key in self._routed_params() if not key.startswith(PERSISTED_PREFIXES)]
        if transient:
            raise DataError(f"{type(self).__name__} with {transient[0]}= cannot be saved: only parameters routed "
                             f"with {', '.join(PERSISTED_PREFIXES)} are kept with a fitted estimator")
        # A copy: object.__getstate__ returns the instance's own __dict__.
        state = dict(super().__getstate__())
        net = state.pop("net_", None)
        if net is not None:
            state[_WEIGHTS] = {name: tensor.detach().cpu().numpy().copy()
                               for name, tensor in net.module_.state_dict().items()}
        return state

    def __setstate__(self, state):
        """Restore from :meth:`__getstate__`, refusing what no fitted estimator holds.

        Keys must be constructor parameters, parameters routed to the network's
        module, optimizer or criterion, or fitted attributes; the weights must have
        exactly the shapes of the network the parameters describe, which is checked
        on torch's ``meta`` device before any memory is allocated for it.
        """
        state = dict(state)
        weights = state.pop(_WEIGHTS, None)
        allowed = set(self._get_param_names()) | {"_sklearn_version"}
        for key in state:
            fitted = key.endswith("_") and not key.startswith("_")
            if not (key in allowed or fitted or key.startswith(PERSISTED_PREFIXES)):
                raise DataError(f"{type(self).__name__} has no parameter {key!r}")
        super().__setstate__(state)
        if weights is not None:
            self.net_ = self._net_from_weights(weights)

    def _net_from_weights(self, weights):
        import torch

        if not isinstance(weights, dict) or not all(isinstance(w, np.ndarray) for w in weights.values()):
            raise DataError(f"{type(self).__name__}: network weights are not a mapping of arrays")
        self._validate_params()
        self._check_hyperparameters()
        self._check_routed_params()
        # Even on the meta device a network costs memory per layer: one its weights cannot fill is refused first.
        widths = [*getattr(self, "hidden_layer_sizes", ()), int(self.n_features_in_), len(self.classes_)]
        largest = max((max(w.shape, default=1) for w in weights.values()), default=0)
        if len(widths) - 1 > len(weights) or max(widths) > max(largest, 1):
            raise DataError(f"{type(self).__name__}: network weights do not fit the network its parameters "
                            f"describe ({len(widths) - 2} hidden layers up to {max(widths)} wide, {len(weights)} "
                            "weight arrays)")
        net = self._build_net(int(self.n_features_in_), len(self.classes_), None, 0)
        with torch.device("meta"):
            skeleton = net.initialized_instance(net.module, net.get_params_for("module"))
        expected = {name: tuple(t.shape) for name, t in skeleton.state_dict().items()}
        stored = {name: tuple(w.shape) for name, w in weights.items()}
        if expected != stored:
            difference = sorted(set(expected.items()) ^ set(stored.items()))[0][0]
            raise DataError(f"{type(self).__name__}: network weights do not fit the network its parameters "
                             f"describe (first difference: {difference!r})")
        with torch_threads(self.n_threads):
            net.initialize()
            net.module_.load_state_dict({name: torch.from_numpy(np.require(w, requirements="W"))
                                         for name, w in weights.items()})
        net.module_.eval()
        return net
