"""Reading and writing tables (CSV, Parquet, stdin/stdout), column selection, atomic output."""

from distilkit.io.columns import (
    feature_matrix,
    labels_like_target,
    match_columns,
    preview,
    target_vector,
)
from distilkit.io.tables import (
    TableSink,
    atomic_folder,
    atomic_path,
    check_distinct_outputs,
    check_writable,
    count_rows,
    follow_umask,
    iter_batches,
    read_table,
    table_columns,
    write_table,
    write_text,
)

__all__ = [
    "TableSink",
    "atomic_folder",
    "atomic_path",
    "check_distinct_outputs",
    "check_writable",
    "count_rows",
    "feature_matrix",
    "follow_umask",
    "iter_batches",
    "labels_like_target",
    "read_table",
    "match_columns",
    "preview",
    "table_columns",
    "target_vector",
    "write_table",
    "write_text",
]
