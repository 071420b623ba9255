"""Table files: CSV or Parquet chosen by extension, ``-`` for CSV on stdin/stdout.

Outputs are written to a temporary file next to the destination and renamed into
place only once complete, so a failure never leaves a half-written file behind.
"""

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

from distilkit.exceptions import DataError, first_line

STDIO = "-"
_CSV = {".csv", ".txt"}
_PARQUET = {".parquet", ".pq"}


def _format_of(path):
    if str(path) == STDIO:
        return "csv"
    suffix = Path(path).suffix.lower()
    if suffix in _CSV:
        return "csv"
    if suffix in _PARQUET:
        return "parquet"
    raise DataError(f"{path}: unsupported file type {suffix!r} (use .csv, .parquet or '-')")


def _check_readable(path):
    fmt = _format_of(path)
    if str(path) != STDIO and not Path(path).is_file():
        raise DataError(f"{path}: no such file")
    return fmt


def read_table(path, columns=None, strings=()):
    """Read a whole CSV/Parquet file (or CSV from stdin when ``path == "-"``).

    Parameters
    ----------
    path : str or path-like
    columns : list of str, default=None
        Only read these columns (all when None).
    strings : sequence of str, default=()
        CSV columns read as text whatever they look like (a model's categorical and
        text columns), so ``"007"`` stays ``"007"``.

    Returns
    -------
    frame : pandas.DataFrame
    """
    fmt = _check_readable(path)
    source = sys.stdin if str(path) == STDIO else path
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(source, columns=columns)
        else:
            frame = pd.read_csv(source, usecols=columns, dtype=_string_dtypes(strings))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read as {fmt}: {first_line(exc)}") from exc
    if frame.shape[0] == 0:
        raise DataError(f"{path}: the table has no rows")
    return frame


def table_columns(path):
    """Column names of a table without reading its rows (stdin is not supported)."""
    fmt = _check_readable(path)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return list(pq.ParquetFile(path).schema_arrow.names)
        return list(pd.read_csv(path, nrows=0).columns)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read as {fmt}: {first_line(exc)}") from exc


def count_rows(path):
    """Number of rows when it is cheap to know (Parquet metadata), else None."""
    if str(path) != STDIO and _format_of(path) == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    return None


def _string_dtypes(strings):
    return {name: str for name in strings} or None


def iter_batches(path, columns=None, batch_size=65_536, strings=()):
    """Yield DataFrames of at most ``batch_size`` rows, holding one batch in memory.

    Parquet is streamed with pyarrow record batches, CSV (and stdin) with pandas chunks;
    ``strings`` as in :func:`read_table`.
    """
    fmt = _check_readable(path)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            # pyarrow's defaults pre-buffer whole row groups (1M rows each when written by
            # pandas): buffered column reads keep memory at one batch whatever the file.
            parquet = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 16)
            start = 0
            for batch in parquet.iter_batches(batch_size=batch_size, columns=columns):
                # Index = row position in the file, as pandas' CSV chunks have it: errors name the row.
                frame = batch.to_pandas()
                frame.index = pd.RangeIndex(start, start + len(frame))
                start += len(frame)
                yield frame
        else:
            source = sys.stdin if str(path) == STDIO else path
            yield from pd.read_csv(source, usecols=columns, chunksize=batch_size, dtype=_string_dtypes(strings))
    except DataError:
        raise
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read as {fmt}: {first_line(exc)}") from exc


def check_writable(path):
    """Refuse an output path that cannot be written (missing directory, a directory itself) before any work."""
    if str(path) == STDIO:
        return
    target = Path(path)
    if not target.parent.is_dir():
        raise DataError(f"{path}: the directory {str(target.parent)!r} does not exist")
    if target.is_dir():
        raise DataError(f"{path}: is a directory")


def check_distinct_outputs(outputs, inputs=()):
    """Refuse outputs that name one file twice or would overwrite an input, before any work.

    ``None`` and ``"-"`` (stdout) entries are skipped. Paths are compared once resolved,
    so ``out/../m.dkm`` and ``m.dkm`` are the same file.

    Examples
    --------
    >>> check_distinct_outputs(["a.dkm", "-", None, "b.json"], inputs=["train.csv"])
    >>> check_distinct_outputs(["a.dkm", "./a.dkm"])
    Traceback (most recent call last):
    ...
    distilkit.exceptions.DataError: ./a.dkm: this file is named as two outputs
    """
    def resolved(path):
        return Path(path).expanduser().resolve()

    seen = {}
    read = {resolved(path) for path in inputs if path is not None and str(path) != STDIO}
    for path in outputs:
        if path is None or str(path) == STDIO:
            continue
        key = resolved(path)
        if key in seen:
            raise DataError(f"{path}: this file is named as two outputs")
        if key in read:
            raise DataError(f"{path}: an output would overwrite an input of the same command")
        seen[key] = path


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success only."""
    check_writable(path)
    target = Path(path)
    # The name is cut so that prefix + random part + suffix stay under the 255-byte name limit.
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name[:100]}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    try:
        yield Path(tmp)
        # mkstemp creates the file 0600; the result follows the umask like any Unix tool's output.
        follow_umask(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def follow_umask(path, mode=0o666):
    """Give ``path`` the permissions ``mode`` minus the process umask (for files made by mkstemp/mkdtemp)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, mode & ~mask)


@contextlib.contextmanager
def atomic_folder(path):
    """Yield a temporary folder beside ``path``; rename it onto ``path`` (which must not exist) on success only."""
    import shutil

    target = Path(path)
    if target.exists():
        raise DataError(f"{path}: already exists; choose a new output folder")
    check_writable(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name[:100]}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        follow_umask(tmp, 0o777)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


class TableSink:
    """Append DataFrames to a CSV/Parquet file, or CSV on stdout for ``"-"``.

    Use as a context manager: the file appears under its name only if the block
    completes; on an exception the partial output is deleted.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "scores.csv")
    >>> with TableSink(out) as sink:
    ...     sink.write(pd.DataFrame({"a": [1, 2]}))
    >>> pd.read_csv(out).shape
    (2, 1)
    """

    def __init__(self, path):
        self.path = path
        self._format = _format_of(path)

    def __enter__(self):
        self._writer = None
        self._header = True
        if str(self.path) == STDIO:
            self._atomic = None
            self._target = sys.stdout
        else:
            self._atomic = atomic_path(self.path)
            self._target = self._atomic.__enter__()
        return self

    def write(self, frame):
        """Append the rows of ``frame`` (same columns on every call)."""
        if self._format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            if self._writer is None:
                table = pa.Table.from_pandas(frame, preserve_index=False)
                self._writer = pq.ParquetWriter(self._target, table.schema)
            else:
                # Later batches take the first batch's schema: an int id column whose first
                # missing value comes in a later batch arrives as float there (NaN -> null).
                try:
                    table = pa.Table.from_pandas(frame, schema=self._writer.schema, preserve_index=False)
                except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                    raise DataError(f"{self.path}: a later batch does not fit the columns' types of the first "
                                    f"({first_line(exc)})") from None
            self._writer.write_table(table)
        else:
            frame.to_csv(self._target, header=self._header, index=False, mode="w" if self._header else "a")
            self._header = False

    def __exit__(self, exc_type, exc, tb):
        if self._writer is not None:
            self._writer.close()
        if self._atomic is not None:
            return self._atomic.__exit__(exc_type, exc, tb)
        self._target.flush()
        return False


def write_text(text, path):
    """Write a text file atomically (temp file + rename)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_table(frame, path):
    """Write a whole DataFrame atomically (see :class:`TableSink`)."""
    with TableSink(path) as sink:
        sink.write(frame)
