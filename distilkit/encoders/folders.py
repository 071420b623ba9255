"""A user's own model folder -- sentence-transformers or a Hugging Face classifier -- named by path, known by content.

A folder is trusted only as what it is when it is named: a model file records the folder's
absolute path and the digest of its files (:func:`folder_digest`), and refuses to run if
either no longer holds (:func:`check_pinned_folder`). Nothing in a folder is code that runs:
transformers loads it with ``trust_remote_code`` off and only from local files.
"""

import functools
import hashlib
import json
import re
from pathlib import Path

from distilkit.exceptions import DataError

__all__ = ["CLASSIFIER", "SENTENCE_TRANSFORMERS", "check_pinned_folder", "classifier_labels", "folder_digest",
           "folder_kind", "model_folder"]

#: The kinds of model folder a teacher may be.
SENTENCE_TRANSFORMERS, CLASSIFIER = "sentence-transformers", "classifier"
_DIGEST = re.compile(r"[0-9a-f]{64}")


def _config(folder):
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError, RecursionError):
        return {}
    return config if isinstance(config, dict) else {}


def folder_kind(folder):
    """``SENTENCE_TRANSFORMERS`` (the folder has ``modules.json``), ``CLASSIFIER`` (its ``config.json`` names a
    ``*ForSequenceClassification`` architecture) or None."""
    folder = Path(folder)
    if (folder / "modules.json").is_file():
        return SENTENCE_TRANSFORMERS
    architectures = _config(folder).get("architectures")
    if isinstance(architectures, list) and any(str(a).endswith("ForSequenceClassification") for a in architectures):
        return CLASSIFIER
    return None


def model_folder(path):
    """``path`` as a local model folder, resolved, with its kind (see :func:`folder_kind`).

    Raises
    ------
    DataError
        If ``path`` is not a folder, or a folder of neither kind.
    """
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise DataError(f"{path}: no such model folder")
    if "+" in folder.name:
        # "name+backend" is how an encoder's runtime is written (minilm+onnx).
        raise DataError(f"{path}: a model folder's name may not contain '+'; rename the folder")
    kind = folder_kind(folder)
    if kind is None:
        raise DataError(f"{path}: neither a sentence-transformers model folder (no modules.json) nor a Hugging Face "
                        "classifier folder (no *ForSequenceClassification architecture in config.json)")
    return folder, kind


def classifier_labels(folder):
    """The class names of a Hugging Face classifier folder, in the order of its logits (its ``id2label``).

    Raises
    ------
    DataError
        If ``id2label`` is missing, or its ids are not ``0 .. n-1``.
    """
    id2label = _config(Path(folder)).get("id2label")
    if not isinstance(id2label, dict) or not id2label:
        raise DataError(f"{folder}: config.json has no id2label naming the classifier's classes")
    try:
        ids = sorted(int(key) for key in id2label)
    except (TypeError, ValueError):
        ids = None
    if ids != list(range(len(id2label))):
        raise DataError(f"{folder}: config.json's id2label ids are not 0 .. {len(id2label) - 1}")
    return [str(id2label.get(str(i), id2label.get(i))) for i in ids]


def folder_digest(folder):
    """SHA-256 of a model folder's files (names and contents): the same weights, the same digest.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "w.bin").write_bytes(b"weights")
    ...     len(folder_digest(tmp))
    64
    """
    digest = hashlib.sha256()
    for file in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(folder)).encode() + b"\0")
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def check_pinned_folder(path, digest, *, contents=True):
    """Refuse a pinned model folder that is not an absolute path, is gone, or whose files changed.

    With ``contents=False`` only the path is checked (absolute, no ``+``), not the folder.

    Raises
    ------
    DataError
        Saying which of these it is.
    """
    if not isinstance(path, str) or not Path(path).is_absolute() or "+" in Path(path).name:
        raise DataError(f"encoder {path!r} is neither a packaged encoder nor an absolute model folder path")
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise DataError(f"model folder {path}: no valid digest pins its files")
    if not contents:
        return
    folder, _ = model_folder(path)
    # Hashing a folder of weights takes a moment: once per process per state of its files.
    signature = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")))
    if _digest_of(folder, signature) != digest:
        raise DataError(f"model folder {path} changed since the model was saved (its files no longer have the "
                        "digest the model file pins); re-fit with the folder as it is now")


@functools.lru_cache(maxsize=16)
def _digest_of(folder, signature):
    return folder_digest(folder)
