"""Safe single-file persistence of fitted estimators (``.dkm``).

A model file is a zip archive holding

* ``meta.json`` -- format tag and version, the estimator's registry name and class
  (from the allow-list in :mod:`distilkit.registry`), its constructor parameters,
  library versions, feature names, classes, user metadata and the fitted scalar
  attributes;
* ``arrays.npz`` -- the fitted array attributes, written by :func:`numpy.savez` and
  read with ``allow_pickle=False``.

Loading never unpickles anything, so opening a model file cannot execute code: an
archive carrying pickled object arrays, an unknown class, or anything that is not a
distilkit archive is refused with :class:`~distilkit.exceptions.ModelFileError`.
Python users can still use joblib/pickle on the estimators directly.
"""

import io
import json
import platform
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from distilkit.exceptions import DataError, ModelFileError, first_line
from distilkit.io import atomic_path
from distilkit.registry import estimator_class, registered_name

FORMAT = "distilkit-model"
FORMAT_VERSION = 1
_META, _ARRAYS, _TENSORS = "meta.json", "arrays.npz", "tensors.pt"


def _encode(value, where):
    """JSON-encode a parameter/attribute value; tuples and arrays are tagged to round-trip."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, where) for v in value]}
    if isinstance(value, list):
        return [_encode(v, where) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _encode(v, where) for k, v in value.items()}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    raise ModelFileError(f"cannot store {where} of type {type(value).__name__} in a model file")


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "__tuple__" in value:
            return tuple(_decode(v) for v in value["__tuple__"])
        if "__ndarray__" in value:
            return np.asarray(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
        return {k: _decode(v) for k, v in value.items()}
    return value


def _storable_array(name, value):
    if value.dtype.kind in "biufU":
        return value, False
    if value.dtype == object and all(isinstance(v, str) for v in value.ravel()):
        return value.astype(str), True
    raise ModelFileError(f"cannot store attribute {name} (dtype {value.dtype}) in a model file")


def save_model(estimator, path, *, metadata=None):
    """Save a fitted estimator to a ``.dkm`` model file, atomically.

    Parameters
    ----------
    estimator : fitted estimator
        One of the classes in :data:`distilkit.registry.ESTIMATORS`.
    path : str or path-like
        Destination; replaced only once the file is complete.
    metadata : dict, default=None
        JSON-serialisable extra information (e.g. the training target column).

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import load_iris
    >>> from distilkit import NaiveBayesHead, load_model, save_model
    >>> X, y = load_iris(return_X_y=True)
    >>> path = os.path.join(tempfile.mkdtemp(), "head.dkm")
    >>> save_model(NaiveBayesHead().fit(X, y), path)
    >>> load_model(path).predict(X[:2])
    array([0, 0])
    """
    name = registered_name(estimator)
    fitted = {k: v for k, v in vars(estimator).items() if k.endswith("_") and not k.startswith("_")}
    if not fitted:
        raise ModelFileError(f"{type(estimator).__name__} is not fitted; fit it before saving")
    tensors = None
    if hasattr(estimator, "_model_file_state"):
        fitted, tensors = estimator._model_file_state()
    arrays, object_arrays, attributes = {}, [], {}
    for key, value in fitted.items():
        if isinstance(value, np.ndarray):
            arrays[key], is_object = _storable_array(key, value)
            if is_object:
                object_arrays.append(key)
        else:
            attributes[key] = _encode(value, f"attribute {key}")
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "estimator": name,
        "class": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
        "params": {k: _encode(v, f"parameter {k}") for k, v in estimator.get_params(deep=False).items()},
        "attributes": attributes,
        "object_arrays": object_arrays,
        "feature_names": [str(f) for f in getattr(estimator, "feature_names_in_", [])] or None,
        "classes": [_encode(c, "class label") for c in getattr(estimator, "classes_", np.array([])).tolist()],
        "versions": _versions(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "metadata": _encode(metadata or {}, "metadata"),
    }
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(_META, json.dumps(meta, indent=2))
            archive.writestr(_ARRAYS, buffer.getvalue())
            if tensors is not None:
                import torch

                weights = io.BytesIO()
                torch.save(tensors, weights)
                archive.writestr(_TENSORS, weights.getvalue())


def read_model_meta(path):
    """The ``meta.json`` of a model file, after checking it is a distilkit model file."""
    with _open_archive(path) as archive:
        return _read_meta(path, archive)


def load_model(path):
    """Load an estimator saved by :func:`save_model` without executing any code.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    estimator : fitted estimator

    Raises
    ------
    ModelFileError
        See :func:`read_model`.
    """
    return read_model(path)[0]


def read_model(path):
    """Load an estimator and its ``meta.json`` from one reading of a model file.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    estimator : fitted estimator
    meta : dict

    Raises
    ------
    ModelFileError
        If the file is missing, not a distilkit model file, from a newer format,
        names a class outside the allow-list, or carries pickled objects.
    """
    with _open_archive(path) as archive:
        meta = _read_meta(path, archive)
        try:
            with np.load(io.BytesIO(archive.read(_ARRAYS)), allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in npz.files}
        except ValueError as exc:
            if "allow_pickle" in str(exc):
                raise ModelFileError(f"{path}: refused: the model file contains pickled objects") from exc
            raise ModelFileError(f"{path}: corrupt arrays in model file") from exc
        except (KeyError, OSError, zipfile.BadZipFile) as exc:
            raise ModelFileError(f"{path}: corrupt arrays in model file") from exc
        tensors = _read_tensors(path, archive) if _TENSORS in archive.namelist() else None
    try:
        cls = estimator_class(meta["estimator"])
    except DataError as exc:
        raise ModelFileError(f"{path}: refused: {exc}") from None
    if meta.get("class") != f"{cls.__module__}.{cls.__qualname__}":
        raise ModelFileError(f"{path}: refused: class {meta.get('class')!r} does not match {meta['estimator']!r}")
    try:
        estimator = cls(**{k: _decode(v) for k, v in meta["params"].items()})
    except (TypeError, KeyError) as exc:
        raise ModelFileError(f"{path}: corrupt model parameters: {exc}") from None
    for key, value in meta.get("attributes", {}).items():
        setattr(estimator, key, _decode(value))
    for key, value in arrays.items():
        setattr(estimator, key, value.astype(object) if key in meta.get("object_arrays", []) else value)
    if hasattr(estimator, "_restore_model_file_state"):
        if tensors is None:
            raise ModelFileError(f"{path}: corrupt model file (no {_TENSORS} for {meta['estimator']})")
        try:
            estimator._restore_model_file_state(tensors)
        except (RuntimeError, KeyError, TypeError, AttributeError) as exc:
            raise ModelFileError(f"{path}: network weights do not fit the model: {first_line(exc)}") from None
    return estimator, meta


def _read_tensors(path, archive):
    import pickle

    import torch

    try:
        return torch.load(io.BytesIO(archive.read(_TENSORS)), weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ModelFileError(f"{path}: refused: the network weights contain objects other than tensors") from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as exc:
        raise ModelFileError(f"{path}: corrupt network weights in model file") from exc


def _open_archive(path):
    if not Path(path).is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ModelFileError(f"{path}: not a distilkit model file (not a zip archive)") from None


def _read_meta(path, archive):
    try:
        meta = json.loads(archive.read(_META))
    except KeyError:
        raise ModelFileError(f"{path}: not a distilkit model file (no {_META})") from None
    except (ValueError, zipfile.BadZipFile, OSError):
        raise ModelFileError(f"{path}: corrupt model file ({_META} unreadable)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a distilkit model file")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model file format version {meta.get('format_version')} is not supported "
            f"(this distilkit reads version {FORMAT_VERSION})"
        )
    if not isinstance(meta.get("params"), dict) or "estimator" not in meta:
        raise ModelFileError(f"{path}: corrupt model file (meta.json incomplete)")
    return meta


def _versions():
    import sklearn

    import distilkit

    return {
        "distilkit": distilkit.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
