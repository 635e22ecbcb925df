"""What a curation run did, in numbers and one picture: row counts per step, split, domain and
reject reason; the MLflow metrics derived from them; the domain mix before and after."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from afs.curation.rehearsal import rehearsal_shortfall
from afs.reports.html import Bars, grouped_barh
from afs.samples.rejects import reject_counts
from afs.tracking import flatten_numbers, metric_history

log = logging.getLogger(__name__)


def domain_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Rows per domain, largest first."""
    return {str(k): int(v) for k, v in frame["domain"].value_counts().items()}


def curation_report(
    inputs: Mapping[str, pd.DataFrame],
    steps: Mapping[str, pd.DataFrame],
    splits: Mapping[str, pd.DataFrame],
    rejects: pd.DataFrame,
    rehearsal_buffer: pd.DataFrame,
    rehearsal_ratio: float | None = None,
    new_rows: int | None = None,
    rebalance: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Row counts of a curation run (JSON-ready).

    ``all_rows_accounted_for`` says whether every input row ended in a split or in the
    rejects (it can only fail when rebalancing was allowed to oversample). ``rebalance`` is the
    rebalance plan's summary (weights asked and effective, samples available and taken per
    group, scarce groups; its metrics are ``rebalance.effective_weights.<group>`` ...).
    ``warnings`` lists what fell short of what was asked: the rebalance's warnings (a scarce
    group, a group that caps the others) and a ``rehearsal_ratio`` that the mix of ``new_rows``
    new samples and the buffer does not reach (also logged).
    """
    mixed = pd.concat(list(splits.values()), ignore_index=True)
    in_mix = int(mixed["sample_id"].isin(rehearsal_buffer["sample_id"]).sum())
    input_rows = sum(len(frame) for frame in inputs.values())
    report = {
        "input": {name: len(frame) for name, frame in inputs.items()},
        "steps": {**{name: len(frame) for name, frame in steps.items()}, "rehearsal_in_mix": in_mix},
        "split": {name: len(frame) for name, frame in splits.items()},
        "domain": {
            "before": domain_counts(pd.concat(list(inputs.values()), ignore_index=True)),
            "after": domain_counts(mixed),
            **{name: domain_counts(frame) for name, frame in splits.items()},
        },
        "rejects": reject_counts(rejects),
        "rehearsal_share": round(in_mix / len(mixed), 4) if len(mixed) else 0.0,
    }
    report["all_rows_accounted_for"] = input_rows == len(mixed) + report["rejects"]["total"]
    report["warnings"] = []
    if rebalance is not None:
        report["rebalance"] = {k: v for k, v in rebalance.items() if k != "warnings"}
        report["warnings"] += list(rebalance.get("warnings", ()))
    if rehearsal_ratio is not None and new_rows is not None:
        report["rehearsal_ratio_asked"] = rehearsal_ratio
        shortfall = rehearsal_shortfall(new_rows, len(mixed) - new_rows, rehearsal_ratio)
        if shortfall:
            log.warning("curation: %s", shortfall)
            report["warnings"].append(shortfall)
    return report


def report_metrics(report: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """The report's row counts as MLflow metrics (``rehearsal_selected``, ``split.train``,
    ``domain.train.asm``, ``rejects.reason.low_quality``, ...) in the shape
    ``MlflowMetricsHistoryDataset`` saves, which prefixes them (``rows.``)."""
    counts = {key: value for key, value in report.items() if key not in ("steps", "rehearsal_share")}
    return metric_history(flatten_numbers({**report["steps"], **counts}))


def plot_domain_mix(before: Mapping[str, int], after: Mapping[str, int]) -> Any:  # a matplotlib Figure
    """Each domain's share of the rows before and after curation, as horizontal bars labelled
    with the rows; the largest domain before curation on top."""
    domains = sorted({*before, *after}, key=lambda d: (-before.get(d, 0), -after.get(d, 0), d))
    series = []
    for label, counts, color in (("before", before, "#8FA8C8"), ("after", after, "#4C72B0")):
        total = sum(counts.values())
        series.append(Bars(f"{label} ({total} rows)",
                           [100 * counts.get(d, 0) / (total or 1) for d in domains],
                           [str(counts.get(d, 0)) for d in domains], color))
    return grouped_barh("Domain mix before and after curation (bar labels: rows)", domains,
                        series, "share of rows (%)")
