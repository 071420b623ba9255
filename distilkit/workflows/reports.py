"""Comparing evaluation runs side by side (``distilkit report``)."""

from dataclasses import dataclass

from distilkit.report import comparison_table, data_groups, load_records, run_labels


@dataclass
class Comparison:
    """Evaluation records side by side.

    Attributes
    ----------
    records : list of dict
        The metrics records, in the order given.
    labels : list of str
        One unique column label per run.
    rows : list of (str, list, set)
        ``(metric, value per run, indices of the best runs)``
        (see :func:`distilkit.report.comparison_table`).
    groups : list of (str, list of int)
        Runs grouped by the rows they were scored on; more than one group means the runs
        are not comparable row for row.
    """

    records: list
    labels: list
    rows: list
    groups: list

    def as_dict(self):
        """The JSON document ``distilkit report --json`` writes."""
        return {"runs": self.labels, "metrics": {metric: dict(zip(self.labels, values))
                                                 for metric, values, _ in self.rows}}

    def html(self):
        """The self-contained HTML page of the comparison (tables and plots)."""
        from distilkit.report.html import render_html

        return render_html(self.records)


def compare_runs(paths):
    """Read metrics files written by ``evaluate`` and compare them, as ``distilkit report`` does.

    Parameters
    ----------
    paths : list of str or path-like
        Metrics files (``distilkit evaluate --json``, or ``EvaluationResult.record``
        written as JSON).

    Returns
    -------
    Comparison
    """
    records = load_records(paths)
    return Comparison(records, run_labels(records), comparison_table(records), data_groups(records))


__all__ = ["Comparison", "compare_runs"]
