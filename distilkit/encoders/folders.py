"""A user's own encoder: a local sentence-transformers model folder, named by path, known by its content."""

import hashlib
import json
from pathlib import Path

from distilkit.exceptions import DataError

__all__ = ["folder_digest", "sentence_transformers_folder"]


def sentence_transformers_folder(path):
    """``path`` as a local sentence-transformers model folder (it has ``modules.json``), resolved.

    Raises
    ------
    DataError
        If ``path`` is not a folder, or is a folder of another kind (a Hugging Face
        classifier, or neither).
    """
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise DataError(f"{path}: no such model folder")
    if "+" in folder.name:
        # "name+backend" is how an encoder's runtime is written (minilm+onnx).
        raise DataError(f"{path}: a model folder's name may not contain '+'; rename the folder")
    if (folder / "modules.json").is_file():
        return folder
    config = folder / "config.json"
    if config.is_file():
        try:
            architectures = json.loads(config.read_text()).get("architectures") or []
        except (ValueError, AttributeError):
            architectures = []
        if any(str(name).endswith("ForSequenceClassification") for name in architectures):
            raise DataError(f"{path}: a Hugging Face classifier folder; only sentence-transformers folders "
                            "(with modules.json) teach yet")
    raise DataError(f"{path}: not a sentence-transformers model folder (no modules.json)")


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
