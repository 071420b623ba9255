"""Safe single-file persistence of fitted models (``.dkm``): a skops archive plus our metadata.

A model file is a `skops <https://skops.readthedocs.io>`_ archive of the whole fitted
model -- usually a :class:`~sklearn.pipeline.Pipeline` of preprocessing and one
estimator -- with one extra member, ``distilkit.json``: the format tag and version, the
input columns and their roles, the classes, the final estimator's parameters, library
versions and the fit metadata.

Loading never unpickles anything and never runs code from the file: skops rebuilds only
the types it trusts by default plus distilkit's own classes
(:func:`distilkit.estimators.registry.trusted_types`), and
distilkit's neural estimators keep their network weights as plain arrays (see
:class:`distilkit.estimators.neural.base.NeuralClassifierBase`). Before skops sees the archive every
member is read in bounded chunks into a fresh uncompressed archive, so a member that
inflates past ``max_bytes``, lies about its size, or is an array whose declared shape
needs more memory than its bytes hold is refused before anything is allocated for it.
"""

import io
import json
import platform
import sys
import warnings
import zipfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

import numpy as np

from distilkit.estimators.decision import decision_threshold
from distilkit.estimators.registry import registered_name, trusted_types
from distilkit.exceptions import DataError, ModelFileError, first_line
from distilkit.features import ColumnRole, TableColumns, final_estimator
from distilkit.io import atomic_path
from distilkit.persistence.state import check_model_state

FORMAT = "distilkit-model"
#: 3: classes moved into subpackages (distilkit 0.2) and table models begin with a TableColumns step.
FORMAT_VERSION = 3
META_MEMBER = "distilkit.json"
#: Default limit on the uncompressed size of a model file's content.
MAX_BYTES = 1 << 30
#: A file's content may inflate to this many times its size (real model files: 1-25x; zeros
#: and repeated nodes compress by 1000x), or to ``_MIN_INFLATED`` for small files.
MAX_INFLATION = 100
_MIN_INFLATED = 16 << 20
#: Objects skops may build from ``schema.json`` (real models: a few hundred to a few thousand).
MAX_NODES = 200_000
_NODE_MARKER = b'"__class__"'
_MAX_MEMBERS = 100_000
_CHUNK = 1 << 20

_TORCH_SHIM = "sklearn.externals.array_api_compat.torch"


def _skops_io():
    """``skops.io``, imported without importing torch.

    skops lists its trusted types at import through ``sklearn.utils.all_estimators``,
    whose ``pkgutil.walk_packages`` imports every scikit-learn package -- among them the
    torch array-API shim, and so torch (180 MB and a second) for a model with no torch in
    it. ``walk_packages`` skips a package that fails to import, and the shim holds no
    estimator, so it is hidden for the duration and the trusted set is unchanged.
    """
    if "skops.io" not in sys.modules and _TORCH_SHIM not in sys.modules:
        sys.modules[_TORCH_SHIM] = None
        try:
            import skops.io  # noqa: F401
        finally:
            if sys.modules.get(_TORCH_SHIM, False) is None:
                del sys.modules[_TORCH_SHIM]
    return sys.modules["skops.io"]


def save_model(model, path, *, metadata=None, roles=None):
    """Save a fitted model to a ``.dkm`` file, atomically.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        Made only of types that :func:`load_model` trusts (scikit-learn's own and
        distilkit's); anything else is refused rather than written.
    path : str or path-like
        Destination; replaced only once the file is complete.
    metadata : dict, default=None
        JSON-serialisable information about the fit (e.g. the target column).
    roles : list of ColumnRole, default=None
        The column roles of the model's input table; default: those of its first step
        when it is a :class:`~distilkit.features.TableColumns` (every table model), else
        none (a model fitted on arrays).

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
    from sklearn.utils.validation import check_is_fitted

    sio = _skops_io()
    try:
        check_is_fitted(model)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ModelFileError(f"{type(model).__name__} is not fitted; fit it before saving") from exc
    try:
        blob = sio.dumps(model, compression=zipfile.ZIP_DEFLATED)
    except (TypeError, RuntimeError, ValueError) as exc:
        raise ModelFileError(f"cannot store {type(model).__name__} in a model file: {first_line(exc)}") from exc
    untrusted = sorted(set(sio.get_untrusted_types(data=blob)) - set(trusted_types()))
    if untrusted:
        raise ModelFileError(f"a model file cannot hold {untrusted[0]} (only scikit-learn's and distilkit's "
                             "own types load safely)")
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, **_description(model),
            "versions": _versions(), "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "metadata": _json_safe(metadata or {})}
    if roles is not None:
        meta["roles"] = [role.as_dict() for role in roles] or None
    archive = io.BytesIO(blob)
    with zipfile.ZipFile(archive, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(META_MEMBER, json.dumps(meta, indent=2))
    with atomic_path(path) as tmp:
        tmp.write_bytes(archive.getvalue())


def load_model(path, *, max_bytes=MAX_BYTES):
    """Load a model saved by :func:`save_model` without executing any code.

    Parameters
    ----------
    path : str or path-like
    max_bytes : int, default=1 GiB
        Refuse files whose content would take more memory than this.

    Returns
    -------
    model : fitted estimator or Pipeline

    Raises
    ------
    ModelFileError
        See :func:`read_model`.
    """
    return read_model(path, max_bytes=max_bytes)[0]


def read_model(path, *, max_bytes=MAX_BYTES):
    """Load a model and its ``distilkit.json`` from one reading of a model file.

    Parameters
    ----------
    path : str or path-like
    max_bytes : int, default=1 GiB
        Refuse files whose content would take more memory than this.

    Returns
    -------
    model : fitted estimator or Pipeline
    meta : dict

    Raises
    ------
    ModelFileError
        If the file is missing, not a distilkit model file, of another format version,
        larger than ``max_bytes`` once inflated, holds a type outside the trusted set,
        pickled objects, arrays whose shape does not match their bytes, parameters
        that are not constructor parameters, or network weights that do not fit the
        network its parameters describe.
    """
    sio = _skops_io()
    from skops.io.exceptions import UntrustedTypesFoundException

    members = _checked_members(path, max_bytes)
    meta = _parse_meta(path, members)
    _check_arrays(path, members)
    clean = io.BytesIO()
    with zipfile.ZipFile(clean, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            if name != META_MEMBER:
                zf.writestr(name, data)
    members.clear()
    try:
        model = sio.loads(clean.getvalue(), trusted=list(trusted_types()))
    except UntrustedTypesFoundException as exc:
        raise ModelFileError(f"{path}: refused: {first_line(exc)}") from None
    except (ModelFileError, DataError) as exc:  # raised by the checks of our classes' __setstate__
        raise ModelFileError(f"{path}: refused: {exc}") from None
    except RecursionError:
        raise ModelFileError(f"{path}: corrupt model file (nested too deeply)") from None
    except Exception as exc:  # skops raises whatever a malformed schema makes its builders raise
        raise ModelFileError(f"{path}: corrupt model file ({type(exc).__name__}: {first_line(exc)})") from None
    if not hasattr(model, "predict"):
        raise ModelFileError(f"{path}: refused: the file holds a {type(model).__name__}, not a model")
    try:
        check_model_state(model)
        _check_description(path, meta, model)
    except DataError as exc:
        raise ModelFileError(f"{path}: refused: {exc}") from None
    except Exception as exc:  # a state that makes get_params or the sklearn checks themselves fail
        raise ModelFileError(f"{path}: refused: the model's state is damaged ({type(exc).__name__}: "
                             f"{first_line(exc)})") from None
    _warn_on_other_versions(path, meta.get("versions"))
    return model, meta


def read_model_meta(path, *, max_bytes=MAX_BYTES):
    """The ``distilkit.json`` of a model file, without building the model."""
    with _open_archive(path) as archive:
        info = _distilkit_members(path, archive, max_bytes)
        return _parse_meta(path, {META_MEMBER: _read_member(path, archive, info[META_MEMBER])})


def model_roles(meta):
    """The column roles of a model file: as stored, else every input column as numeric.

    Raises
    ------
    DataError
        If the model was fitted on an array without column names.
    """
    if meta.get("roles"):
        return [ColumnRole.from_dict(role) for role in meta["roles"]]
    if not meta.get("columns"):
        raise DataError("the model was fitted on an array without column names, so it cannot read a table")
    return [ColumnRole(column, "numeric", "float64", "as given") for column in meta["columns"]]


def model_roles_of(model):
    """The roles held by a table model's first step (:class:`~distilkit.features.TableColumns`), else ``[]``."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline) and isinstance(model[0], TableColumns):
        return list(model[0].roles)
    return []


def _description(model):
    """What ``distilkit.json`` says about a model, all of it read from the model itself."""
    estimator = final_estimator(model)
    described = _thresholded_model(estimator)
    description = {
        "estimator": _estimator_name(described),
        "class": f"{type(described).__module__}.{type(described).__qualname__}",
        "params": _json_safe(described.get_params(deep=False)),
        "columns": [str(c) for c in getattr(model, "feature_names_in_", [])] or None,
        "roles": [role.as_dict() for role in model_roles_of(model)] or None,
        "classes": _json_safe(getattr(estimator, "classes_", np.array([])).tolist()),
    }
    rule = decision_threshold(estimator) if described is not estimator else None
    if rule is not None:
        description["decision_threshold"] = {"threshold": rule[0], "pos_label": _json_safe(rule[1])}
    return description


def _check_description(path, meta, model):
    """Refuse a ``distilkit.json`` that describes another model than the archive holds."""
    for key, value in _description(model).items():
        if key == "roles" and value is None and meta.get("roles") is not None:
            continue  # a model fitted on arrays is given its roles when saved
        if meta.get(key) != value:
            raise ModelFileError(f"{path}: refused: {META_MEMBER} says {key} {meta.get(key)!r:.60}, the archive "
                                 f"holds {value!r:.60}")


def _thresholded_model(estimator):
    """The model inside a fixed-threshold wrapper (what a tuned threshold is saved as), else the estimator."""
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import FixedThresholdClassifier

    if isinstance(estimator, FixedThresholdClassifier):
        inner = estimator.estimator_
        return inner.estimator if isinstance(inner, FrozenEstimator) else inner
    return estimator


def _estimator_name(estimator):
    return registered_name(estimator) or type(estimator).__name__


def _json_safe(value):
    """Parameters and labels as JSON: numbers, strings, lists, dicts; other objects by name."""
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, type):
        return value.__name__
    return type(value).__name__


def _open_archive(path):
    if not Path(path).is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ModelFileError(f"{path}: not a distilkit model file (not a zip archive)") from None


def _member_info(path, archive, max_bytes):
    """Member name -> ZipInfo, refusing unsafe names, duplicates and oversized content."""
    infos = archive.infolist()
    if len(infos) > _MAX_MEMBERS:
        raise ModelFileError(f"{path}: refused: {len(infos):,} members in the model file")
    info, total = {}, 0
    for member in infos:
        name = member.filename
        parts = PurePosixPath(name).parts
        if name.startswith("/") or "\\" in name or ".." in parts or len(parts) != 1:
            raise ModelFileError(f"{path}: refused: unexpected member name {name!r}")
        if name in info:
            raise ModelFileError(f"{path}: refused: duplicate member {name!r}")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ModelFileError(f"{path}: refused: member {name!r} uses an unsupported compression")
        total += member.file_size
        if total > max_bytes:
            raise ModelFileError(f"{path}: refused: the content inflates past the {max_bytes:,}-byte limit (at "
                                 f"most {MAX_INFLATION}x the file's size, or {_MIN_INFLATED >> 20} MiB)")
        info[name] = member
    return info


def _read_member(path, archive, member, *, max_nodes=None):
    """A member's bytes, read in bounded chunks; a stream longer or shorter than declared is refused.

    With ``max_nodes``, the member is a skops schema, refused as soon as it holds more objects.
    """
    chunks, size, nodes, tail = [], 0, 0, b""
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > member.file_size:
                    raise ModelFileError(f"{path}: refused: member {member.filename!r} is larger than declared")
                if max_nodes is not None:
                    # The tail of the previous chunk, shorter than the marker, finds a marker cut in two.
                    nodes += (tail + chunk).count(_NODE_MARKER)
                    tail = chunk[-len(_NODE_MARKER) + 1:]
                    if nodes > max_nodes:
                        raise ModelFileError(f"{path}: refused: more than {max_nodes:,} objects in the model file")
                chunks.append(chunk)
        if size < member.file_size:
            raise ModelFileError(f"{path}: refused: member {member.filename!r} holds fewer bytes than declared")
    except ModelFileError:
        raise
    except Exception as exc:  # BadZipFile (CRC), EOFError, zlib.error: a damaged member
        raise ModelFileError(f"{path}: corrupt model file (member {member.filename!r}: {first_line(exc)})") from None
    return b"".join(chunks)


def _distilkit_members(path, archive, max_bytes):
    """The checked members of a distilkit archive; format-1 files are asked to be re-fitted."""
    info = _member_info(path, archive, max_bytes)
    if "meta.json" in info and META_MEMBER not in info:
        raise ModelFileError(f"{path}: model file format 1 (distilkit 0.1) is no longer read; re-fit the model "
                             "with this version")
    if META_MEMBER not in info or "schema.json" not in info:
        raise ModelFileError(f"{path}: not a distilkit model file (no {META_MEMBER} or schema.json)")
    return info


def _checked_members(path, max_bytes):
    with _open_archive(path) as archive:
        limit = min(max_bytes, max(_MIN_INFLATED, MAX_INFLATION * Path(path).stat().st_size))
        info = _distilkit_members(path, archive, limit)
        return {name: _read_member(path, archive, member, max_nodes=MAX_NODES if name == "schema.json" else None)
                for name, member in info.items()}


def _parse_meta(path, members):
    if META_MEMBER not in members:
        raise ModelFileError(f"{path}: not a distilkit model file (no {META_MEMBER})")
    try:
        meta = json.loads(members[META_MEMBER])
    except (ValueError, RecursionError):
        raise ModelFileError(f"{path}: corrupt model file ({META_MEMBER} unreadable)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a distilkit model file")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path}: model file format version {meta.get('format_version')!r} is not supported "
                             f"(this distilkit reads version {FORMAT_VERSION}; re-fit the model)")
    expected = {"estimator": str, "params": dict, "metadata": dict, "classes": list}
    for key, kind in expected.items():
        if not isinstance(meta.get(key), kind):
            raise ModelFileError(f"{path}: corrupt model file ({META_MEMBER}: {key!r} is not a {kind.__name__})")
    def corrupt(what):
        return ModelFileError(f"{path}: corrupt model file ({META_MEMBER}: {what})")

    for key in ("columns", "roles"):
        if meta.get(key) is not None and not isinstance(meta[key], list):
            raise corrupt(f"{key!r} is not a list")
    columns = meta.get("columns") or []
    if not all(isinstance(column, str) for column in columns) or len(set(columns)) != len(columns):
        raise corrupt("'columns' is not a list of names, each once")
    named = []
    for role in meta.get("roles") or []:
        try:
            named.append(ColumnRole.from_dict(role).column)
        except ValueError as exc:
            raise corrupt(exc) from None
    twice = sorted({column for column in named if named.count(column) > 1})
    if twice:
        raise corrupt(f"the roles name column {twice[0]!r} twice")
    # Fields that commands read back (the target names a column of the tables evaluate scores).
    for key in ("target", "data", "teacher", "method"):
        value = meta["metadata"].get(key)
        if value is not None and not isinstance(value, str):
            raise corrupt(f"{key!r} is not a column name" if key == "target" else f"{key!r} is not text")
    return meta


def _check_arrays(path, members):
    """Refuse arrays whose declared dtype or shape does not match the bytes that hold them."""
    for name, data in members.items():
        # skops finds an array by the member its schema names, whatever its extension.
        if name.endswith(".npy") or data.startswith(b"\x93NUMPY"):
            _check_npy(path, name, data)
        elif name.endswith(".npz"):
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as inner:
                    for member in _member_info(path, inner, len(data) * 1032 + 1024).values():
                        _check_npy(path, f"{name}/{member.filename}", _read_member(path, inner, member))
            except zipfile.BadZipFile:
                raise ModelFileError(f"{path}: corrupt model file (member {name!r})") from None


def _check_npy(path, name, data):
    from numpy.lib import format as npy

    stream = io.BytesIO(data)
    try:
        version = npy.read_magic(stream)
        read_header = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, _, dtype = read_header(stream, max_header_size=10_000)
    except (ValueError, SyntaxError, TypeError, EOFError) as exc:
        raise ModelFileError(f"{path}: corrupt array {name!r}: {first_line(exc)}") from None
    if dtype.hasobject:
        raise ModelFileError(f"{path}: refused: the model file contains pickled objects ({name!r})")
    count, extents = 1, 1
    for extent in shape:
        count *= int(extent)
        extents *= max(int(extent), 1)
    if count == 0 and extents > _MIN_INFLATED:
        # An empty array of shape (0, 10**15) holds no bytes, and code that reshapes it would ask for exabytes.
        raise ModelFileError(f"{path}: refused: empty array {name!r} declares shape {tuple(shape)}")
    if count * dtype.itemsize != len(data) - stream.tell():
        raise ModelFileError(f"{path}: refused: array {name!r} declares shape {tuple(shape)} of {dtype}, "
                             f"which its {len(data) - stream.tell():,} bytes do not hold")


#: Packages whose major.minor version, when it differs from the one a model was saved with, is warned about.
_COMPARED_VERSIONS = ("distilkit", "scikit-learn", "torch")


class ModelVersionWarning(UserWarning):
    """A model file was saved with another major.minor version of a library that computes its predictions."""


def _versions():
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for package in ("distilkit", "scikit-learn", "skops", "numpy", "torch"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _warn_on_other_versions(path, saved):
    """Warn when the model was saved with another major.minor of distilkit, scikit-learn or torch."""
    if not isinstance(saved, dict):
        return
    current = _versions()

    def minor(version):
        return ".".join(str(version).split("+")[0].split(".")[:2])

    for package in _COMPARED_VERSIONS:
        if package in saved and package in current and minor(saved[package]) != minor(current[package]):
            warnings.warn(f"{path}: saved with {package} {saved[package]}, running {current[package]}; "
                          "predictions may differ: re-fit to be sure", ModelVersionWarning, stacklevel=3)
