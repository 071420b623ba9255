"""The VADER (Hutto & Gilbert, ICWSM 2014) sentiment ground truth, read from its sdist.

Only the ``vadersentiment==3.3.2`` source distribution carries the data
(``additional_resources/hutto_ICWSM_2014.tar.gz``); fetch it once with::

    pip download --no-deps --no-binary :all: vadersentiment==3.3.2 -d data/vendor

Each sentence has the mean of human sentiment ratings in [-4, 4]; sentences with
``|score| >= margin`` become a binary task (``label`` 1 = positive).
"""

import io
import tarfile
from pathlib import Path

import pandas as pd

from distilkit.exceptions import DataError

VADER_SETS = ("amazonReviewSnippets", "movieReviewSnippets", "tweets", "nytEditorialSnippets")
_INNER = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"


def load_vader(name, sdist, margin=0.5):
    """Load one VADER ground-truth set as a DataFrame with ``text``, ``score``, ``label``.

    Parameters
    ----------
    name : {"amazonReviewSnippets", "movieReviewSnippets", "tweets", "nytEditorialSnippets"}
    sdist : path-like
        ``vaderSentiment-3.3.2.tar.gz`` as downloaded by ``pip download``.
    margin : float, default=0.5
        Sentences with ``|score| < margin`` (near-neutral) are dropped.

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` (str), ``text``, ``score`` (float) and ``label`` (int, 1 = positive).
    """
    if name not in VADER_SETS:
        raise DataError(f"unknown VADER set {name!r} (choose from: {', '.join(VADER_SETS)})")
    if not Path(sdist).is_file():
        raise DataError(
            f"{sdist}: not found; download it with "
            "'pip download --no-deps --no-binary :all: vadersentiment==3.3.2 -d <dir>'"
        )
    with tarfile.open(sdist) as outer:
        inner = tarfile.open(fileobj=io.BytesIO(outer.extractfile(_INNER).read()))
        raw = inner.extractfile(f"hutto_ICWSM_2014/{name}_GroundTruth.txt").read().decode("latin-1")
    rows = [line.split("\t", 2) for line in raw.splitlines() if line.strip()]
    frame = pd.DataFrame(rows, columns=["id", "score", "text"])
    frame["score"] = frame["score"].astype(float)
    frame["text"] = frame["text"].str.strip()
    frame = frame[frame["score"].abs() >= margin].reset_index(drop=True)
    frame["label"] = (frame["score"] > 0).astype(int)
    return frame[["id", "text", "score", "label"]]
