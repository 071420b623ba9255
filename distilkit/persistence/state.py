"""What a loaded model may hold: every object's state checked against what its class defines.

skops rebuilds an object's ``__dict__`` from the file as given, so a file could add an
attribute its class never sets (a ``decision_rule`` on a ``LogisticRegression``), replace a
method by data (``predict_proba = 7``), drop a parameter, or store a parameter of the wrong
type -- each of which would change what the model does or fail at its first row. Every
estimator in a loaded model is checked here, before it runs:

* its keys are strings: constructor parameters (all of them present), fitted attributes
  (``name_``) or private state (``_name``), none of which has the name of something its
  class defines (a method, a property, a class constant);
* its parameters pass the class's own ``_parameter_constraints``;
* the fitted attributes every classifier shares have their types and shapes:
  ``classes_`` a 1-d array of distinct labels, sorted unless the class learns an order
  (what ``np.unique`` gives, so a head whose classes were swapped against its
  coefficients is refused), ``n_features_in_`` a count, ``feature_names_in_`` that many
  strings, ``coef_`` and ``intercept_`` numeric arrays whose shapes fit them.
"""

import functools
import inspect

import numpy as np
from sklearn.base import BaseEstimator

from distilkit.exceptions import DataError, first_line
from distilkit.sklearn_compat import (
    InvalidParameterError,
    LinearClassifierMixin,
    validate_params,
)

__all__ = ["check_model_state", "estimators_in"]


def estimators_in(model):
    """Every estimator reachable from ``model`` through attributes, lists, tuples and dicts, once each."""
    found, seen, stack = [], set(), [model]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if _rebuilt_network(node):
            continue
        if isinstance(node, BaseEstimator):
            found.append(node)
            stack.extend(vars(node).values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
    return found


def _rebuilt_network(node):
    # A skorch net is never read from a file (skops cannot rebuild one): a neural estimator
    # builds it from its checked parameters and weights (NeuralClassifierBase.__setstate__).
    return any(c.__module__.split(".")[0] == "skorch" for c in type(node).__mro__)


def check_model_state(model):
    """Refuse a model any of whose estimators holds state its class does not define (see the module docstring).

    Raises
    ------
    DataError
        Naming the class and the attribute.
    """
    for estimator in estimators_in(model):
        _check_keys(estimator)
        try:
            validate_params(estimator)
        except InvalidParameterError as exc:
            raise DataError(first_line(exc)) from None
        _check_fitted_attributes(estimator)


def _parameter_names(cls):
    signature = inspect.signature(cls.__init__)
    return {name for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


@functools.lru_cache(maxsize=None)
def _unfitted_keys(cls):
    """What a new instance holds besides its parameters (SVC's ``nu`` is set by its base class)."""
    try:
        return frozenset(vars(cls()))
    except TypeError:  # a parameter without default (Pipeline's steps): no extra keys
        return frozenset()


def _check_keys(estimator):
    cls = type(estimator)
    name = cls.__name__
    params = _parameter_names(cls)
    state = vars(estimator)
    for key in state:
        if not isinstance(key, str):
            raise DataError(f"{name} holds a state key {key!r} of type {type(key).__name__}, not a name")
        if key in params:
            continue
        defined = inspect.getattr_static(cls, key, None)
        if key.startswith("__") or defined is not None:
            raise DataError(f"{name} holds {key!r}, which would replace what its class defines")
        # Parameters routed to a network (optimizer__weight_decay) are checked by the estimator's __setstate__.
        routed = key.startswith(tuple(getattr(cls, "persisted_prefixes", ())))
        if not (key.endswith("_") or key.startswith("_") or routed or key in _unfitted_keys(cls)):
            raise DataError(f"{name} has no parameter or fitted attribute {key!r}")
    missing = sorted(params - set(state))
    if missing:
        raise DataError(f"{name} lacks its parameter {missing[0]!r}")


def _array(estimator, key, *, ndim=None, numeric=False):
    value = vars(estimator)[key]
    name = f"{type(estimator).__name__}.{key}"
    if not isinstance(value, np.ndarray):
        raise DataError(f"{name} is a {type(value).__name__}, not an array")
    if ndim is not None and value.ndim not in ndim:
        raise DataError(f"{name} has {value.ndim} dimension(s), not {' or '.join(map(str, ndim))}")
    if numeric and value.dtype.kind not in "fiu":
        raise DataError(f"{name} holds {value.dtype}, not numbers")
    return value


def _check_fitted_attributes(estimator):
    state = vars(estimator)
    name = type(estimator).__name__
    n_features = state.get("n_features_in_")
    if "n_features_in_" in state and (not isinstance(n_features, (int, np.integer)) or isinstance(n_features, bool)
                                      or n_features < 0):
        raise DataError(f"{name}.n_features_in_ is {n_features!r:.40}, not a count of features")
    if "feature_names_in_" in state:
        names = _array(estimator, "feature_names_in_", ndim=(1,))
        if not all(isinstance(v, str) for v in names.tolist()) or (n_features is not None and len(names) != n_features):
            raise DataError(f"{name}.feature_names_in_ is not {n_features} column names")
    classes = None
    if "classes_" in state:
        classes = _array(estimator, "classes_", ndim=(1,))
        if len(classes) == 0 or classes.dtype.kind not in "biufUSO":
            raise DataError(f"{name}.classes_ is not a list of labels")
        if len({str(c) for c in classes.tolist()}) != len(classes):
            raise DataError(f"{name}.classes_ names a class twice")
        if not getattr(type(estimator), "ordinal", False):
            try:
                ordered = np.sort(classes)
            except TypeError:  # labels of mixed types have no order; fitting refuses them
                raise DataError(f"{name}.classes_ mixes labels of different types") from None
            if not np.array_equal(ordered, classes):
                raise DataError(f"{name}.classes_ {classes.tolist()!r:.60} are not in the sorted order fitting "
                                "gives them: they would not match the model's outputs")
    if "coef_" in state:
        coef = _array(estimator, "coef_", ndim=(1, 2), numeric=True)
        if n_features is not None and coef.shape[-1] != n_features:
            raise DataError(f"{name}.coef_ has shape {coef.shape}, which does not fit {n_features} features")
        if classes is not None and isinstance(estimator, LinearClassifierMixin) and "intercept_" in state:
            intercept = _array(estimator, "intercept_", ndim=(1,), numeric=True)
            rows = 1 if len(classes) == 2 else len(classes)
            if coef.ndim != 2 or coef.shape[0] != rows or len(intercept) != rows:
                raise DataError(f"{name}: coef_ of shape {coef.shape} and intercept_ of {len(intercept)} do not "
                                f"fit {len(classes)} classes")
