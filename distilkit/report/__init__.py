"""Reports: evaluation records side by side, as tables and as one HTML page."""

from distilkit.report.records import (
    METRICS_FORMAT,
    comparison_table,
    data_groups,
    format_value,
    load_records,
    metrics_record,
    run_labels,
)

__all__ = ["METRICS_FORMAT", "comparison_table", "data_groups", "format_value", "load_records", "metrics_record",
           "run_labels"]
