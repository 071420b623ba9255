"""What every table workflow shares: reading the data, choosing the estimator, the training table, defaults."""

import contextlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distilkit.estimators.registry import (
    ESTIMATORS,
    check_parameters,
    learns_from_teacher,
    make_estimator,
    registered_name,
    table_estimators,
)
from distilkit.exceptions import DataError, located
from distilkit.features import TableColumns, infer_roles
from distilkit.inference import check_classifier, table_model
from distilkit.io import labels_like_target, read_table, target_vector
from distilkit.persistence import model_roles, read_model

#: The seed of every workflow whose estimator takes one and was not given one.
DEFAULT_SEED = 0


def read_data(data, *, strings=()):
    """A table and the name errors give it: ``data`` is a path (CSV, Parquet, ``"-"``) or a DataFrame.

    Returns
    -------
    frame : pandas.DataFrame
    where : str
        The path, or ``"DataFrame"``.
    """
    if isinstance(data, pd.DataFrame):
        if data.shape[0] == 0:
            raise DataError("DataFrame: the table has no rows")
        return data, "DataFrame"
    return read_table(data, strings=strings), str(data)


def patterns(values):
    """Column names or globs given as one string, a comma-separated string, or a list of either.

    Examples
    --------
    >>> patterns("a, emb_*"), patterns(["a", "b,c"]), patterns(None)
    (['a', 'emb_*'], ['a', 'b', 'c'], None)
    """
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    return [p.strip() for value in values for p in str(value).split(",") if p.strip()]


def build_estimator(estimator, params=None):
    """An unfitted estimator and its name: ``estimator`` is a registry name or an estimator instance.

    ``params`` are set on it; a name given by a typo, or a parameter the estimator does
    not have, is refused.
    """
    from sklearn.base import clone

    params = dict(params or {})
    if isinstance(estimator, str):
        return make_estimator(estimator, params), estimator
    if not hasattr(estimator, "fit"):
        raise DataError(f"estimator must be a name ({', '.join(ESTIMATORS)}) or a scikit-learn estimator, "
                        f"not {type(estimator).__name__}")
    model = clone(estimator)
    check_parameters(model, params, type(model).__name__)
    return model.set_params(**params), type(model).__name__


def check_table_estimator(name):
    """Refuse a registry name that is unknown or that needs a teacher to train.

    Raises
    ------
    DataError
        If ``name`` is not in the estimator table or learns from a teacher.
    """
    if name not in ESTIMATORS:
        raise DataError(f"unknown estimator {name!r} (choose from: {', '.join(table_estimators())})")
    if learns_from_teacher(name):
        raise DataError(f"{name} learns from a teacher: train it by distillation (method {name!r})")


def table_estimator(estimator, params=None):
    """:func:`build_estimator` for a workflow that trains from the labelled table alone."""
    if isinstance(estimator, str):
        check_table_estimator(estimator)
    return build_estimator(estimator, params)


def default_seed(model, params):
    """Reproducible by default: ``random_state=0`` unless the user chose one. Returns the seed in use."""
    if "random_state" in model.get_params(deep=False) and "random_state" not in (params or {}):
        model.set_params(random_state=DEFAULT_SEED)
    return model.get_params(deep=False).get("random_state")


def is_ordinal_estimator(model):
    """Whether ``model`` models ordered classes (a class attribute of distilkit's ordinal estimators)."""
    return bool(getattr(type(model), "ordinal", False))


def order_classes(model, name, y):
    """Give an ordinal model its class order as values of ``y``; string labels must come with an order."""
    if getattr(model, "classes", None) is not None:
        model.set_params(classes=labels_like_target(model.classes, y))
    elif is_ordinal_estimator(model) and y.dtype.kind not in "biuf":
        labels = ", ".join(map(str, np.unique(y.astype(str))))
        raise DataError(f"{name} is ordinal and string labels need an order: give the classes parameter, lowest "
                        f"first and the rare class last (labels: {labels})")


@dataclass
class TrainingTable:
    """A labelled table read for training.

    Attributes
    ----------
    frame : pandas.DataFrame
        Every column of the table (a table model reads the ones it uses).
    where : str
        The table's path, or ``"DataFrame"``.
    target : str
    roles : list of ColumnRole
    y : ndarray of shape (n_rows,)
    """

    frame: pd.DataFrame
    where: str
    target: str
    roles: list
    y: np.ndarray

    def metadata(self, seed, **extra):
        """What a model file records about the fit on this table."""
        return {"target": self.target, "data": self.where, "n_samples": len(self.y), "random_state": seed, **extra}


def training_table(data, target, model, name, *, features=None, text=(), exclude=()):
    """Read a labelled table and decide its column roles (see :func:`distilkit.features.infer_roles`)."""
    frame, where = read_data(data)
    roles = infer_roles(frame, target=target, features=patterns(features), text=patterns(text) or (),
                        exclude=patterns(exclude) or ())
    y = target_vector(frame, target, min_classes=2)
    order_classes(model, name, y)
    return TrainingTable(frame, where, target, roles, y)


@contextlib.contextmanager
def on_dask(address):
    """A Dask client, and joblib's Dask backend, for an address (``"local"`` or a scheduler); nothing for None."""
    if address is None:
        yield None
        return
    from distilkit.cluster import dask_client, dask_parallel

    with dask_client(address) as client, dask_parallel(client):
        yield client


def loaded_model(model):
    """A table model and its model-file metadata: ``model`` is a model file path or a fitted table model."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline) and isinstance(model[0], TableColumns):
        check_classifier(model)
        estimator = model[-1]
        return model, {"estimator": registered_name(estimator) or type(estimator).__name__, "metadata": {},
                       "roles": [role.as_dict() for role in model[0].roles], "classes": list(model.classes_)}
    if not isinstance(model, (str, bytes)) and not hasattr(model, "__fspath__"):
        raise DataError(f"model must be a model file or a table model (a Pipeline whose first step is "
                        f"TableColumns), not {type(model).__name__}")
    fitted, meta = read_model(model)
    with located(str(model)):
        return table_model(fitted, model_roles(meta)), meta


__all__ = ["DEFAULT_SEED", "TrainingTable", "build_estimator", "default_seed", "is_ordinal_estimator", "loaded_model",
           "on_dask", "order_classes", "patterns", "read_data", "table_estimator", "training_table"]
